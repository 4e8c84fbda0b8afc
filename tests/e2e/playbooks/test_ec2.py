"""`firebreak ec2` against moto: plan, apply, rerun and undo of the compromised-instance
playbook, with boto3 checking the state it leaves."""
import collections
import hashlib
import json
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from intercepting_proxy import intercepting_proxy
from ec2_world import (ROLE_TRUST, ThrottlingProxy, asg_members, attribute, case_copies, case_snapshots, classic_members,
                       eni_groups, groups_named, image, instance_record, launch, make_world, network, subnet_acl,
                       target_members)


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
        "instances": sorted(i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]),
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
    forensic = ["--forensic-subnet", world["subnets"][1], "--forensic-ami", image(ec2)]
    out = ok(run(firebreak, instance, "--case", "c1", "--apply", "--revoke-role-sessions", *forensic))
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

    workstations = [i for r in ec2.describe_instances(Filters=[
        {"Name": "tag:firebreak:case", "Values": ["c1"]},
        {"Name": "tag:firebreak:role", "Values": ["forensic-workstation"]}])["Reservations"] for i in r["Instances"]]
    assert len(workstations) == 1 and workstations[0]["SubnetId"] == world["subnets"][1]
    workstation = workstations[0]["InstanceId"]
    copies = case_copies(ec2, "c1")
    assert sorted(c["SnapshotId"] for c in copies) == sorted(s["SnapshotId"] for s in snapshots)
    assert sorted(c["Attachments"][0]["Device"] for c in copies) == ["/dev/sdf", "/dev/sdg"]
    for copy in copies:
        assert copy["AvailabilityZone"] == workstations[0]["Placement"]["AvailabilityZone"]
        assert copy["Attachments"][0]["InstanceId"] == workstation
        assert {t["Key"]: t["Value"] for t in copy["Tags"]}["firebreak:responder"].startswith("arn:aws:")

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
    mounting = [e for e in shown["evidence"] if e["name"] == "forensic-volumes.json"]
    instructions = json.loads(Path(mounting[0]["path"]).read_text())["mount"]
    assert "mount -o ro,noload" in instructions and "-o ro,norecovery" in instructions and workstation in instructions

    contained = world_state(world)
    ok(run(firebreak, instance, "--case", "c1", "--apply", "--revoke-role-sessions", *forensic))
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
    assert all(c["Attachments"][0]["InstanceId"] == workstation for c in case_copies(ec2, "c1")), \
        "the forensic copies stay attached to the workstation"


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


def test_one_run_reads_each_attribute_and_the_shared_profile_once(firebreak, fresh_moto, boto):
    # The capture hands its attribute reads to protect instead of protect asking again, and
    # reads a profile two instances share once.
    ec2, iam = boto("ec2"), boto("iam")
    _, subnets, group = network(ec2)
    iam.create_role(RoleName="batch-role", AssumeRolePolicyDocument=json.dumps(ROLE_TRUST))
    profile = iam.create_instance_profile(InstanceProfileName="batch-profile")["InstanceProfile"]["Arn"]
    iam.add_role_to_instance_profile(InstanceProfileName="batch-profile", RoleName="batch-role")
    # One at a time: moto gives the profile to the first instance of a multi-instance launch only.
    instances = [launch(ec2, subnets[0], group, profile, volumes=1)[0] for _ in range(2)]
    reads, lock = collections.Counter(), threading.Lock()

    def count(method, path, headers, body):
        form = urllib.parse.parse_qs(body.decode("latin-1"))
        if form.get("Action") == ["DescribeInstanceAttribute"]:
            with lock:
                reads[form["InstanceId"][0], form["Attribute"][0]] += 1
        elif form.get("Action") == ["GetInstanceProfile"]:
            with lock:
                reads["GetInstanceProfile"] += 1

    with intercepting_proxy(fresh_moto.url, count) as url:
        ok(firebreak.run("--output", "json", "ec2", *instances, "--case", "once", "--apply",
                         env={"AWS_ENDPOINT_URL": url}))
    attribute_reads = {k: v for k, v in reads.items() if k != "GetInstanceProfile"}
    assert {instance for instance, _ in attribute_reads} == set(instances)
    assert set(attribute_reads.values()) == {1}, reads
    assert reads["GetInstanceProfile"] == 1, reads
    shown = firebreak.json("--output", "json", "case", "show", "once")
    for instance in instances:
        assert attribute(ec2, instance, "disableApiTermination") is True
        assert attribute(ec2, instance, "instanceInitiatedShutdownBehavior") == "stop"
        metadata = next(e for e in shown["evidence"] if e["name"] == f"metadata-{instance}.json")
        assert json.loads(Path(metadata["path"]).read_bytes())["iam"]["roles"][0]["role"]["RoleName"] == "batch-role"


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


def test_nacl_cuts_the_whole_subnet_with_a_warning_and_undo_restores_its_acl(firebreak, fresh_moto, boto):
    ec2 = boto("ec2")
    _, subnets, group = network(ec2)
    instance = launch(ec2, subnets[0], group, volumes=0)[0]
    original = subnet_acl(ec2, subnets[0])["NetworkAclId"]
    result = run(firebreak, instance, "--case", "cut", "--apply", "--nacl")
    out = ok(result)
    assert "every instance in those subnets" in result.stderr
    assert states(out)["isolate-subnets"] == "done"
    acl = subnet_acl(ec2, subnets[0])
    assert acl["NetworkAclId"] != original
    assert {t["Key"]: t["Value"] for t in acl["Tags"]}["firebreak:isolation"] == "nacl"
    assert all(e["RuleAction"] == "deny" for e in acl["Entries"]), acl["Entries"]
    assert subnet_acl(ec2, subnets[1])["NetworkAclId"] == original, "only the instance's subnet is cut"
    ok(run(firebreak, instance, "--case", "cut", "--apply", "--nacl"))
    assert len(ec2.describe_network_acls(Filters=[{"Name": "tag:firebreak:isolation", "Values": ["nacl"]}])[
        "NetworkAcls"]) == 1
    undone = firebreak.run("case", "undo", "cut", "--apply")
    assert undone.returncode == 0, undone.stderr
    assert subnet_acl(ec2, subnets[0])["NetworkAclId"] == original


def test_disassociate_profile_after_the_revocation_and_undo_associates_it_again(firebreak, world):
    ec2, instance = world["ec2"], world["instance"]

    def associations():
        return ec2.describe_iam_instance_profile_associations(
            Filters=[{"Name": "instance-id", "Values": [instance]}])["IamInstanceProfileAssociations"]

    assert len(associations()) == 1
    out = ok(run(firebreak, instance, "--case", "dis", "--apply", "--revoke-role-sessions", "--disassociate-profile"))
    assert states(out)["disassociate-profile"] == "done"
    assert [a for a in associations() if a["State"] == "associated"] == []
    # The revocation ran first and still found the role through the profile.
    assert world["iam"].list_role_policies(RoleName="web-role")["PolicyNames"] == ["AWSRevokeOlderSessions"]
    undone = firebreak.run("case", "undo", "dis", "--apply")
    assert undone.returncode == 0, undone.stderr
    assert [a["IamInstanceProfile"]["Arn"] for a in associations() if a["State"] == "associated"] == [
        world["iam"].get_instance_profile(InstanceProfileName="web-profile")["InstanceProfile"]["Arn"]]


def test_access_denied_on_one_step_fails_only_that_step_and_the_case_says_why(firebreak, world, moto, boto):
    iam, instance = world["iam"], world["instance"]
    iam.create_user(UserName="responder")
    iam.put_user_policy(UserName="responder", PolicyName="all-but-detach", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "autoscaling:DetachInstances", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="responder")["AccessKey"]
    keys = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}

    def no_auth_requests(count):  # moto checks IAM once this many requests have gone unchecked
        urllib.request.urlopen(urllib.request.Request(moto.url + "/moto-api/reset-auth", data=count, method="POST",
                                                      headers={"Content-Type": "text/plain"}))

    no_auth_requests(b"0")
    try:
        result = firebreak.run("--output", "json", "ec2", instance, "--case", "denied", "--apply", env=keys)
    finally:
        no_auth_requests(b"inf")
    assert result.returncode == 1, result.stderr
    out = json.loads(result.stdout)
    assert states(out)["detach-asg"] == "failed"
    failed = next(step for step in out["steps"] if step["name"] == "detach-asg")
    assert "AccessDenied" in json.dumps(failed["error"]) and "DetachInstances" in json.dumps(failed)
    others = {name: state for name, state in states(out).items() if name not in ("detach-asg", "revoke-role-sessions")}
    assert set(others.values()) == {"done"}, others
    assert instance in asg_members(world)
    assert instance not in classic_members(world), "the steps that do not depend on it still ran"
    shown = firebreak.json("--output", "json", "case", "show", "denied")
    step = next(s for s in shown["steps"] if s["name"] == "detach-asg")
    assert step["state"] == "failed" and "AccessDenied" in json.dumps(step)


def test_throttling_is_retried_and_the_run_succeeds(firebreak, world, moto):
    proxy = ThrottlingProxy(moto.url, {"ModifyNetworkInterfaceAttribute": "ec2", "DetachInstances": "query"})
    with proxy as url:
        out = ok(firebreak.run("--output", "json", "ec2", world["instance"], "--case", "slow", "--apply",
                               env={"AWS_ENDPOINT_URL": url, "AWS_MAX_ATTEMPTS": "4"}))
    assert proxy.throttled == {"ModifyNetworkInterfaceAttribute": 2, "DetachInstances": 2}
    assert set(states(out).values()) <= {"done", "skipped"}, out
    isolation = groups_named(world["ec2"], "firebreak-isolation")[0]["GroupId"]
    assert set(map(tuple, eni_groups(world["ec2"], world["instance"]).values())) == {(isolation,)}
    assert world["instance"] not in asg_members(world)
