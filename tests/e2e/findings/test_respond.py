"""`firebreak respond` end to end: real GuardDuty samples from ../shared/data, their ids pointed at a
world in moto, answered by the playbook they route to; boto3 checks what changed. The samples
keep their form (EventBridge event, GetFindings object); only the resource, principal and account
are changed, and the sample flag cleared."""
import copy
import json

import pytest

from conftest import REGION, ROOT, SHARED_DATA

ACCOUNT = "123456789012"  # moto's account
EC2_EVENT = SHARED_DATA / "cloud-custodian-cwe/ec2-duty-event.json"
IAM_FINDING = SHARED_DATA / "guardduty-automated-response-sample/guardduty_iam_event.json"
STRATUS_LOGS = SHARED_DATA / "stratus-red-team-detonation-logs"  # moto has no LookupEvents
S3_EVENT = SHARED_DATA / "hmrc-platsec-compliance-alerting/guardduty_event.json"
CANARY_EVENT = SHARED_DATA / "guardduty-automated-response-sample/guardduty_ec2_event.json"


def load(path):
    return json.loads(path.read_text())


def ec2_event(instance_id, account=ACCOUNT):
    event = copy.deepcopy(load(EC2_EVENT))
    event["account"] = account
    detail = event["detail"]
    detail["accountId"] = account
    detail["resource"]["instanceDetails"]["instanceId"] = instance_id
    detail["service"]["additionalInfo"]["sample"] = False
    return event


def iam_finding(user, key):
    finding = copy.deepcopy(load(IAM_FINDING))
    details = finding["resource"]["accessKeyDetails"]
    details.update({"accessKeyId": key, "userName": user, "principalId": "AIDAEXAMPLE0000000000"})
    finding["service"]["additionalInfo"]["sample"] = False
    return finding


def write(tmp_path, name, document):
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


@pytest.fixture
def instance(fresh_moto, boto):
    ec2 = boto("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.7.1.0/24")["Subnet"]["SubnetId"]
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    return ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, SubnetId=subnet)["Instances"][0]["InstanceId"]


def groups_of(boto, instance_id):
    reservation = boto("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"][0]
    return sorted(g["GroupName"] for g in reservation["Instances"][0]["SecurityGroups"])


def test_plan_shows_the_finding_and_its_playbook_and_changes_nothing(firebreak, boto, instance, tmp_path):
    before = groups_of(boto, instance)
    result = firebreak.run("respond", write(tmp_path, "event.json", ec2_event(instance)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Backdoor:EC2/C&CActivity.B!DNS" in result.stdout
    assert f"Instance {instance}" in result.stdout
    assert "playbook  ec2" in result.stdout
    assert f"firebreak --region {REGION} ec2 {instance}" in result.stdout
    assert "isolat" in result.stdout.lower()  # the ec2 plan itself follows
    assert groups_of(boto, instance) == before


def test_apply_runs_the_playbook_and_keeps_the_finding_as_evidence(firebreak, boto, instance, tmp_path):
    event = ec2_event(instance)
    result = firebreak.run("--output", "json", "respond", write(tmp_path, "event.json", event), "--apply",
                           "--case", "respond-ec2")
    assert result.returncode == 0, result.stdout + result.stderr
    run = json.loads(result.stdout)
    assert run["finding"]["finding_id"] == event["detail"]["id"]
    assert groups_of(boto, instance) == ["firebreak-isolation"]

    case = firebreak.json("--output", "json", "case", "show", "respond-ec2")
    assert case["incident"]["finding_id"] == event["detail"]["id"]
    kept = [e for e in case["evidence"] if e["name"] == "finding.json"]
    assert len(kept) == 1
    assert json.loads(open(kept[0]["path"]).read())["id"] == event["detail"]["id"]
    assert firebreak.run("case", "verify", "respond-ec2").returncode == 0


def test_a_credentials_finding_deactivates_the_named_key(firebreak, boto, fresh_moto, tmp_path):
    iam = boto("iam")
    iam.create_user(UserName="mallory")
    key = iam.create_access_key(UserName="mallory")["AccessKey"]["AccessKeyId"]
    finding = write(tmp_path, "finding.json", iam_finding("mallory", key))
    result = firebreak.run("respond", finding, "--apply", "--case", "respond-key", "--", "--trail-logs", STRATUS_LOGS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"credentials {key} --user mallory --case respond-key --apply" in result.stdout
    statuses = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName="mallory")["AccessKeyMetadata"]}
    assert statuses == {key: "Inactive"}


def test_standard_input_is_read(firebreak, instance):
    result = firebreak.run("respond", "-", input=json.dumps(ec2_event(instance)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "playbook  ec2" in result.stdout


def test_flags_after_the_separator_reach_the_playbook(firebreak, instance, tmp_path):
    result = firebreak.run("respond", write(tmp_path, "event.json", ec2_event(instance)), "--",
                           "--forensic-cidr", "203.0.113.7/32")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "203.0.113.7/32" in result.stdout

    bad = firebreak.run("respond", write(tmp_path, "event.json", ec2_event(instance)), "--", "--no-such-flag")
    assert bad.returncode == 2
    assert "--no-such-flag" in bad.stderr


def test_unrouted_and_not_yet_built_are_said_not_failed(firebreak, fresh_moto, tmp_path):
    unrouted = firebreak.run("respond", CANARY_EVENT)
    assert unrouted.returncode == 0, unrouted.stdout + unrouted.stderr
    assert "Nothing to run: unrouted" in unrouted.stdout
    assert firebreak.run("respond", CANARY_EVENT, "--apply").returncode == 1

    runtime = ROOT / "tests" / "data" / "findings" / "sns_notification.json"
    not_built = firebreak.run("respond", runtime)
    assert not_built.returncode == 0, not_built.stdout + not_built.stderr
    assert "the ecs playbook is not built yet" in not_built.stdout


def test_refuses_a_sample_finding_and_another_account(firebreak, instance, tmp_path):
    sample = ec2_event(instance)
    sample["detail"]["service"]["additionalInfo"]["sample"] = True
    result = firebreak.run("respond", write(tmp_path, "sample.json", sample), "--apply")
    assert result.returncode == 1
    assert "sample finding" in result.stdout

    elsewhere = firebreak.run("respond", write(tmp_path, "other.json", ec2_event(instance, account="210987654321")),
                              "--apply")
    assert elsewhere.returncode == 1
    assert "account 210987654321" in elsewhere.stdout


def test_bad_files_are_clear_errors(firebreak, fresh_moto, tmp_path):
    truncated = tmp_path / "truncated.json"
    truncated.write_text(EC2_EVENT.read_text()[:200])
    result = firebreak.run("respond", truncated)
    assert result.returncode == 2
    assert "truncated.json" in result.stderr

    missing = firebreak.run("respond", tmp_path / "nope.json")
    assert missing.returncode == 2
    assert "nope.json" in missing.stderr

    no_finding = write(tmp_path, "empty.json", {"Findings": []})
    result = firebreak.run("respond", no_finding)
    assert result.returncode == 2
    assert "no finding" in result.stderr


def test_case_is_refused_for_many_findings(firebreak, fresh_moto, instance, tmp_path):
    many = tmp_path / "many.jsonl"
    many.write_text("\n".join(json.dumps(ec2_event(instance)) for _ in range(2)))
    result = firebreak.run("respond", many, "--case", "one")
    assert result.returncode == 2
    assert "--case" in result.stderr


def s3_event(bucket):
    """The real SNS-wrapped S3 finding, pointed at `bucket` in moto's account and region."""
    envelope = load(S3_EVENT)
    message = json.loads(envelope["Records"][0]["Sns"]["Message"])
    message["account"] = message["detail"]["accountId"] = ACCOUNT
    message["region"] = message["detail"]["region"] = REGION
    details = message["detail"]["resource"]["s3BucketDetails"][0]
    details.update({"name": bucket, "arn": f"arn:aws:s3:::{bucket}"})
    envelope["Records"][0]["Sns"]["Message"] = json.dumps(message)
    return envelope


def test_an_s3_finding_secures_the_named_bucket(firebreak, boto, fresh_moto, tmp_path):
    s3 = boto("s3")
    s3.create_bucket(Bucket="victim-data")
    finding = write(tmp_path, "s3.json", s3_event("victim-data"))
    result = firebreak.run("respond", finding, "--apply", "--case", "respond-s3", "--", "--trail-logs", STRATUS_LOGS)
    assert "playbook  s3" in result.stdout
    assert "firebreak --region us-east-1 s3 victim-data --case respond-s3 --apply" in result.stdout
    assert result.returncode == 0, result.stdout + result.stderr
    block = s3.get_public_access_block(Bucket="victim-data")["PublicAccessBlockConfiguration"]
    assert all(block.values())
