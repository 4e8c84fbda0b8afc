"""`firebreak ec2` against moto: plan, apply, rerun and undo of the compromised-instance
playbook, with boto3 checking the state it leaves."""
import hashlib
import json
from pathlib import Path

import pytest

from ec2_world import (asg_members, attribute, case_snapshots, classic_members, eni_groups, groups_named,
                       instance_record, launch, make_world, network, target_members)


def run(firebreak, *args):
    return firebreak.run("--output", "json", "ec2", *args)


def ok(result):
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return json.loads(result.stdout)


def states(out):
    return {step["name"]: step["state"] for step in out["steps"]}


def world_state(world):
    ec2, instance = world["ec2"], world["instance"]
    return {
        "termination": attribute(ec2, instance, "disableApiTermination"),
        "shutdown": attribute(ec2, instance, "instanceInitiatedShutdownBehavior"),
        "groups": eni_groups(ec2, instance),
        "all_groups": sorted(g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]),
        "snapshots": sorted(s["SnapshotId"] for s in ec2.describe_snapshots()["Snapshots"]),
        "volumes": sorted(v["VolumeId"] for v in ec2.describe_volumes()["Volumes"]),
        "asg": asg_members(world), "classic": classic_members(world), "targets": target_members(world),
        "tags": sorted((t["Key"], t["Value"]) for t in instance_record(ec2, instance).get("Tags", [])),
        "role_policies": world["iam"].list_role_policies(RoleName="web-role")["PolicyNames"],
    }


@pytest.fixture
def world(fresh_moto, boto):
    return make_world(boto)


def test_dry_run_changes_nothing_and_shows_the_plan_in_order(firebreak, world):
    before = world_state(world)
    out = ok(run(firebreak, world["instance"], "--case", "dry", "--revoke-role-sessions"))
    assert world_state(world) == before
    names = [step["name"] for step in out["steps"]]
    assert names.index("capture-metadata") < names.index("protect") < names.index("isolate")
    assert states(out)["isolate"] == "planned"


def test_apply_contains_the_instance_and_a_rerun_changes_nothing_and_undo_restores(firebreak, world):
    ec2, instance = world["ec2"], world["instance"]
    original = world_state(world)
    out = ok(run(firebreak, instance, "--case", "c1", "--apply", "--revoke-role-sessions"))
    assert set(states(out).values()) == {"done"}, out

    assert attribute(ec2, instance, "disableApiTermination") is True
    assert attribute(ec2, instance, "disableApiStop") is True
    assert attribute(ec2, instance, "instanceInitiatedShutdownBehavior") == "stop"
    record = instance_record(ec2, instance)
    assert [m["Ebs"]["DeleteOnTermination"] for m in record["BlockDeviceMappings"]] == [False, False]

    isolation = [g for g in groups_named(ec2, "firebreak-isolation") if g["VpcId"] == world["vpc"]]
    assert len(isolation) == 1
    assert isolation[0]["IpPermissions"] == [] and isolation[0]["IpPermissionsEgress"] == []
    assert set(map(tuple, eni_groups(ec2, instance).values())) == {(isolation[0]["GroupId"],)}
    assert [g["GroupId"] for g in record["SecurityGroups"]] == [isolation[0]["GroupId"]]

    assert instance not in asg_members(world)
    assert instance not in classic_members(world)
    assert instance not in target_members(world)

    snapshots = case_snapshots(ec2, "c1")
    volumes = {m["Ebs"]["VolumeId"] for m in record["BlockDeviceMappings"]}
    assert {s["VolumeId"] for s in snapshots} == volumes and len(snapshots) == 2
    for snapshot in snapshots:
        assert snapshot["State"] == "completed"
        tags = {t["Key"]: t["Value"] for t in snapshot["Tags"]}
        assert tags["firebreak:instance"] == instance and tags["firebreak:volume"] == snapshot["VolumeId"]

    tags = {t["Key"]: t["Value"] for t in record["Tags"]}
    assert tags["firebreak:case"] == "c1" and tags["firebreak:responder"].startswith("arn:aws:")

    policy = world["iam"].get_role_policy(RoleName="web-role", PolicyName="AWSRevokeOlderSessions")["PolicyDocument"]
    statement = policy["Statement"][0]
    assert statement["Effect"] == "Deny" and "aws:TokenIssueTime" in statement["Condition"]["DateLessThan"]
    assert statement["Condition"]["StringEquals"]["ec2:SourceInstanceARN"][0].endswith(f"instance/{instance}")

    shown = firebreak.json("--output", "json", "case", "show", "c1")
    metadata = [e for e in shown["evidence"] if e["name"] == f"metadata-{instance}.json"]
    assert len(metadata) == 1
    content = Path(metadata[0]["path"]).read_bytes()
    assert hashlib.sha256(content).hexdigest() == metadata[0]["sha256"]
    captured = json.loads(content)
    assert captured["instance"]["InstanceId"] == instance
    assert captured["iam"]["roles"][0]["role"]["RoleName"] == "web-role"
    assert captured["auto_scaling"][0]["AutoScalingGroupName"] == "web-asg"
    assert captured["classic_load_balancers"][0]["LoadBalancerName"] == "web-classic"
    assert len(captured["volumes"]) == 2 and "console_output" in captured

    contained = world_state(world)
    ok(run(firebreak, instance, "--case", "c1", "--apply", "--revoke-role-sessions"))
    assert world_state(world) == contained, "a second apply changes and creates nothing"

    undone = firebreak.run("case", "undo", "c1", "--apply")
    assert undone.returncode == 0, undone.stderr
    assert eni_groups(ec2, instance) == original["groups"]
    assert instance in asg_members(world)
    assert instance in classic_members(world)
    assert instance in target_members(world)
    assert attribute(ec2, instance, "disableApiTermination") is False
    assert world["iam"].list_role_policies(RoleName="web-role")["PolicyNames"] == []
    assert len(case_snapshots(ec2, "c1")) == 2, "evidence is never undone"


def test_instance_alone_without_asg_load_balancer_or_volumes(firebreak, fresh_moto, boto):
    ec2 = boto("ec2")
    _, subnets, group = network(ec2)
    instance = launch(ec2, subnets[0], group, volumes=0)[0]
    out = ok(run(firebreak, instance, "--case", "lone", "--apply", "--forensic-cidr", "203.0.113.7/32"))
    assert states(out)["detach-asg"] == "already-done" or states(out)["detach-asg"] == "done"
    forensic = groups_named(ec2, "firebreak-forensic-203.0.113.7/32")
    assert len(forensic) == 1
    assert forensic[0]["IpPermissions"][0]["IpRanges"][0]["CidrIp"] == "203.0.113.7/32"
    assert forensic[0]["IpPermissionsEgress"] == []
    isolation = groups_named(ec2, "firebreak-isolation")[0]["GroupId"]
    assert set(next(iter(eni_groups(ec2, instance).values()))) == {isolation, forensic[0]["GroupId"]}


def test_many_instances_in_one_run_share_one_isolation_group(firebreak, fresh_moto, boto):
    ec2 = boto("ec2")
    _, subnets, group = network(ec2)
    instances = launch(ec2, subnets[0], group, volumes=1, count=3)
    ok(run(firebreak, *instances, "--case", "many", "--apply"))
    isolation = groups_named(ec2, "firebreak-isolation")
    assert len(isolation) == 1
    for instance in instances:
        assert list(eni_groups(ec2, instance).values()) == [[isolation[0]["GroupId"]]]
    assert len(case_snapshots(ec2, "many")) == 3
    # A second case in the same VPC reuses the groups.
    ok(run(firebreak, instances[0], "--case", "again", "--apply"))
    assert len(groups_named(ec2, "firebreak-isolation")) == 1


@pytest.mark.parametrize("bad", ["i-123", "i-0123456789ABCDEF0", "sg-0123abcd", "i-0123abcd;rm"])
def test_malformed_ids_are_refused_before_any_call(firebreak, fresh_moto, bad):
    result = run(firebreak, bad, "--apply")
    assert result.returncode == 2 and "not a valid id" in result.stderr


def test_unknown_terminated_and_other_region_instances_are_refused(firebreak, fresh_moto, boto):
    ec2 = boto("ec2")
    _, subnets, group = network(ec2)
    instance = launch(ec2, subnets[0], group, volumes=0)[0]
    missing = run(firebreak, "i-0123456789abcdef0", "--apply")
    assert missing.returncode == 2 and "another region" in missing.stderr
    elsewhere = run(firebreak, instance, "--region", "eu-west-1", "--apply")
    assert elsewhere.returncode == 2
    ec2.terminate_instances(InstanceIds=[instance])
    terminated = run(firebreak, instance, "--apply")
    assert terminated.returncode == 2 and "terminated" in terminated.stderr
