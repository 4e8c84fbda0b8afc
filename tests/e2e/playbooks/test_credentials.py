"""`firebreak credentials` against moto, boto3 checking what it leaves: only the exposed key
inactive, the session deny on the user, the replacement key in Secrets Manager and nowhere
else, the responder untouched; rerun, undo, bad input and the CloudTrail step."""
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from identity_world import STRATUS_LOGS, World, evidence, key_status, ledger_bytes, steps_of, utc_now


@pytest.fixture
def world(fresh_moto, boto, firebreak):
    return World(boto, firebreak)


def apply(world, *extra):
    return world.run("credentials", world.alice_exposed["AccessKeyId"], "--apply", "--case", "cred-1",
                     "--trail-logs", STRATUS_LOGS, *extra)


def test_apply_deactivates_only_the_exposed_key_and_denies_older_sessions(world, boto):
    started = utc_now()
    result = apply(world)
    steps = steps_of(result)
    assert result.returncode == 0, result.stdout + result.stderr
    statuses = key_status(world.iam, "alice")
    assert statuses[world.alice_exposed["AccessKeyId"]] == "Inactive"
    assert statuses[world.alice_other["AccessKeyId"]] == "Active"
    assert key_status(world.iam, "bob") == {world.bob_key["AccessKeyId"]: "Active"}
    assert key_status(world.iam, "responder") == {world.responder_key["AccessKeyId"]: "Active"}

    policy = world.iam.get_user_policy(UserName="alice", PolicyName="AWSRevokeOlderSessions")["PolicyDocument"]
    policy = json.loads(policy) if isinstance(policy, str) else policy
    statement = policy["Statement"][-1]
    assert statement["Effect"] == "Deny"
    issued = statement["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
    issued = datetime.fromisoformat(issued.replace("Z", "+00:00"))
    assert started - timedelta(seconds=5) <= issued <= utc_now()

    assert steps["identify-user"]["state"] == "done"
    captured = evidence(result, "identify-user", "user-alice")
    assert {k["AccessKeyId"] for k in captured["AccessKeys"]} >= {world.alice_exposed["AccessKeyId"]}
    assert steps["check-cloudtrail"]["state"] == "done"
    assert steps["delete-keys"]["state"] == "skipped"


def test_replacement_key_goes_to_secrets_manager_only(world, boto):
    result = world.run("credentials", world.bob_key["AccessKeyId"], "--apply", "--replace", "--case", "cred-2",
                       "--trail-logs", STRATUS_LOGS)
    assert result.returncode == 0, result.stdout + result.stderr
    statuses = key_status(world.iam, "bob")
    assert statuses.pop(world.bob_key["AccessKeyId"]) == "Inactive"
    assert list(statuses.values()) == ["Active"]
    secrets = boto("secretsmanager").list_secrets()["SecretList"]
    assert [s["Name"] for s in secrets] == ["firebreak/cred-2/bob"]
    value = json.loads(boto("secretsmanager").get_secret_value(SecretId=secrets[0]["ARN"])["SecretString"])
    assert value["AccessKeyId"] in statuses
    assert value["SecretAccessKey"] not in result.stdout + result.stderr
    assert value["SecretAccessKey"] not in ledger_bytes(world.firebreak.env)
    assert secrets[0]["ARN"] in result.stderr  # shown to the responder
    # A rerun makes no second key.
    again = world.run("credentials", world.bob_key["AccessKeyId"], "--apply", "--replace", "--case", "cred-2",
                      "--trail-logs", STRATUS_LOGS)
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(key_status(world.iam, "bob")) == 2


def test_replacement_at_the_key_limit_says_what_to_do(world):
    result = apply(world, "--replace")
    assert result.returncode == 1
    assert "--delete-old" in steps_of(result)["replace-keys"]["detail"]


def test_rerun_changes_nothing_and_undo_restores_the_key(world):
    assert apply(world).returncode == 0
    before = key_status(world.iam, "alice")
    again = apply(world)
    assert again.returncode == 0, again.stdout + again.stderr
    assert key_status(world.iam, "alice") == before
    for name, step in steps_of(again).items():
        assert step["state"] != "failed", name
        assert step["state"] not in ("done",) or step.get("detail"), (name, step)

    undone = world.firebreak.run("case", "undo", "cred-1", "--apply", env=world.env)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert key_status(world.iam, "alice")[world.alice_exposed["AccessKeyId"]] == "Active"
    names = world.iam.list_user_policies(UserName="alice")["PolicyNames"]
    assert "AWSRevokeOlderSessions" not in names


def test_delete_old_deletes_only_after_deactivation(world):
    result = apply(world, "--delete-old")
    assert result.returncode == 0, result.stdout + result.stderr
    assert steps_of(result)["delete-keys"]["state"] == "done"
    assert key_status(world.iam, "alice") == {world.alice_other["AccessKeyId"]: "Active"}


def test_plan_changes_nothing(world):
    result = world.run("credentials", world.alice_exposed["AccessKeyId"], "--trail-logs", STRATUS_LOGS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert steps_of(result)["deactivate-keys"]["state"] == "planned"
    assert key_status(world.iam, "alice")[world.alice_exposed["AccessKeyId"]] == "Active"


def test_without_trail_logs_lookup_events_fails_clearly_and_the_rest_runs(world):
    result = world.run("credentials", world.alice_exposed["AccessKeyId"], "--apply")
    assert result.returncode == 1
    steps = steps_of(result)
    assert steps["check-cloudtrail"]["state"] == "failed"
    assert "LookupEvents" in steps["check-cloudtrail"]["detail"]
    assert steps["review-resources"]["state"] == "skipped"
    assert steps["deactivate-keys"]["state"] == "done"
    assert key_status(world.iam, "alice")[world.alice_exposed["AccessKeyId"]] == "Inactive"


@pytest.mark.parametrize("args, message", [
    (["AKIAAAAAAAAAAAAAAAAA"], "belongs to no IAM user"),
    (["AKIA-not-a-key"], "expected AKIA or ASIA"),
    (["--user", "nobody", "--all-keys"], "no IAM user nobody"),
    (["--user", "bad/name", "--all-keys"], "IAM names"),
])
def test_bad_input_exits_2_before_any_change(world, args, message):
    result = world.run("credentials", *args, "--apply")
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert key_status(world.iam, "alice")[world.alice_exposed["AccessKeyId"]] == "Active"


def test_the_responders_own_key_is_refused(world):
    result = world.run("credentials", world.responder_key["AccessKeyId"], "--apply")
    assert result.returncode == 2
    assert "responder" in result.stderr
    assert key_status(world.iam, "responder") == {world.responder_key["AccessKeyId"]: "Active"}


def test_all_keys_with_keep_leaves_the_kept_key(world):
    result = world.run("credentials", "--user", "alice", "--all-keys", "--keep", world.alice_other["AccessKeyId"],
                       "--apply", "--trail-logs", STRATUS_LOGS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert key_status(world.iam, "alice") == {world.alice_exposed["AccessKeyId"]: "Inactive",
                                              world.alice_other["AccessKeyId"]: "Active"}


POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def trail_file(path, key_id, events):
    """A CloudTrail log file of what alice's key did, one second from now (after the key was made)."""
    when = (utc_now() + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    records = [{"eventVersion": "1.08", "eventTime": when, "eventSource": f"{service}.amazonaws.com",
                "eventName": name, "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.7",
                "userAgent": "aws-cli/2", "readOnly": False, "eventID": f"e{i}", "eventType": "AwsApiCall",
                "recipientAccountId": "123456789012",
                "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/alice",
                                 "accountId": "123456789012", "accessKeyId": key_id, "userName": "alice"},
                "requestParameters": request, "responseElements": response,
                **({"resources": resources} if resources else {})}
               for i, (service, name, request, response, resources) in enumerate(events)]
    Path(path).write_text(json.dumps({"Records": records}))
    return path


def test_review_looks_up_the_current_state_of_what_the_key_changed(world, boto, tmp_path):
    ec2 = boto("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    group = ec2.create_security_group(GroupName="wide-open", Description="x")["GroupId"]
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8)["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    ami = ec2.create_image(InstanceId=instance, Name="exfil")["ImageId"]
    key_pair = ec2.create_key_pair(KeyName="backdoor")["KeyPairId"]
    boto("s3").create_bucket(Bucket="loot")
    world.iam.create_user(UserName="eve")
    eve_key = world.iam.create_access_key(UserName="eve")["AccessKey"]["AccessKeyId"]
    policy = world.iam.create_policy(PolicyName="everything", PolicyDocument=POLICY)["Policy"]["Arn"]
    world.iam.create_role(RoleName="backdoor-role", AssumeRolePolicyDocument=TRUST)
    gone = "i-0123456789abcdef0"
    logs = trail_file(tmp_path / "trail.json", world.alice_exposed["AccessKeyId"], [
        ("ec2", "RunInstances", {}, {"instancesSet": {"items": [{"instanceId": instance}]}}, None),
        ("ec2", "AuthorizeSecurityGroupIngress", {"groupId": group}, {"_return": True}, None),
        ("ec2", "CreateSnapshot", {"volumeId": volume}, {"snapshotId": snapshot}, None),
        ("ec2", "CreateImage", {"instanceId": instance}, {"imageId": ami},
         [{"ARN": f"arn:aws:ec2:us-east-1::image/{ami}"}]),
        ("ec2", "CreateKeyPair", {"keyName": "backdoor"}, {"keyName": "backdoor", "keyPairId": key_pair}, None),
        ("ec2", "TerminateInstances", {}, {"instancesSet": {"items": [{"instanceId": gone}]}}, None),
        ("s3", "CreateBucket", {"bucketName": "loot"}, None, None),
        ("iam", "CreateUser", {"userName": "eve"}, None, None),
        ("iam", "CreateAccessKey", {"userName": "eve"}, {"accessKey": {"accessKeyId": eve_key, "status": "Active"}}, None),
        ("iam", "AttachUserPolicy", {"userName": "eve", "policyArn": policy}, None, None),
        ("iam", "CreateRole", {"roleName": "backdoor-role"}, None, None),
        ("ssm", "SendCommand", {"documentName": "AWS-RunShellScript"}, {"command": {"commandId": "f6887251-cdde"}}, None),
    ])

    result = world.run("credentials", world.alice_exposed["AccessKeyId"], "--apply", "--trail-logs", logs)
    steps = steps_of(result)
    assert steps["review-resources"]["state"] == "done", result.stdout + result.stderr
    reviewed = {r["resource"]: r["state"] for r in evidence(result, "review-resources", "resources-review")}
    hunted = evidence(result, "check-cloudtrail", "cloudtrail-summary")["resources"]
    assert set(reviewed) == {r["resource"] for r in hunted}  # none dropped

    expected = {instance: "EC2 instance", group: "security group", volume: "EBS volume", snapshot: "EBS snapshot",
                f"arn:aws:ec2:us-east-1::image/{ami}": "AMI", key_pair: "EC2 key pair", "loot": "S3 bucket",
                "eve": "IAM user", eve_key: "IAM access key", policy: "IAM policy", "backdoor-role": "IAM role"}
    for resource, kind in expected.items():
        assert reviewed[resource]["status"] == "exists", (resource, reviewed[resource])
        assert reviewed[resource]["type"] == kind, (resource, reviewed[resource])
    assert reviewed[instance]["detail"]["Reservations"][0]["Instances"][0]["InstanceId"] == instance
    assert reviewed[eve_key]["detail"]["Status"] == "Active"
    assert reviewed[gone]["status"] == "gone"
    assert reviewed["f6887251-cdde"] == {"status": "not looked up", "type": "ssm commandId"}
    assert reviewed["AWS-RunShellScript"]["status"] == "not looked up"
