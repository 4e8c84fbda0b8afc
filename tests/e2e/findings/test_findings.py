"""`firebreak findings` end to end: finding files in every form (the real samples in
../shared/data by path, fixtures in tests/data/findings), and listing from Security Hub in moto,
seeded with boto3 BatchImportFindings.

moto answers GuardDuty ListFindings and GetFindings with HTTP 500 (not implemented), so the
GuardDuty listing path is tested at the unit level with recorded responses
(tests/unit/findings/listing_test.cpp); here it is checked that the 500 is reported clearly and
that Security Hub is still listed with --source both."""
import json
import re

import pytest

from conftest import REGION, ROOT, SHARED_DATA

FIXTURES = ROOT / "tests" / "data" / "findings"
ACCOUNT = "123456789012"


def findings_json(firebreak, *args, **kwargs):
    return firebreak.json("--output", "json", "findings", *args, **kwargs)


def routes(out):
    return [(f["type"], f["route"]["playbook"]) for f in out["findings"]]


# ---- files ----

@pytest.mark.parametrize("path, expected", [
    (SHARED_DATA / "guardduty-automated-response-sample/guardduty_iam_event.json",
     [("Recon:IAMUser/MaliciousIPCaller.Custom", "credentials")]),
    (SHARED_DATA / "guardduty-automated-response-sample/guardduty_ec2_event.json",
     [("Canary:EC2/Stateless.IntegTest", None)]),
    (SHARED_DATA / "cloud-custodian-cwe/ec2-duty-event.json", [("Backdoor:EC2/C&CActivity.B!DNS", "ec2")]),
    (SHARED_DATA / "hmrc-platsec-compliance-alerting/guardduty_event.json",
     [("Policy:S3/BucketBlockPublicAccessDisabled", "s3")]),
    (FIXTURES / "sns_notification.json", [("Execution:Runtime/ReverseShell", "ecs")]),
    (FIXTURES / "securityhub_imported_event.json",
     [("Backdoor:EC2/C&CActivity.B!DNS", "ec2"),
      ("UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", "role")]),
    (FIXTURES / "getfindings_response.json",
     [("CryptoCurrency:Runtime/BitcoinTool.B!DNS", "ec2"), ("CredentialAccess:RDS/AnomalousBehavior.SuccessfulLogin", "rds"),
      ("Backdoor:Lambda/C&CActivity.B", None), ("Execution:Container/MaliciousFile", "container")]),
])
def test_finding_files_in_every_form_are_read_and_routed(firebreak, path, expected):
    out = findings_json(firebreak, "--file", path)
    assert routes(out) == expected
    assert out["problems"] == []
    for finding in out["findings"]:
        assert finding["route"]["reason"]
        assert finding["finding"], "the finding itself is kept as evidence"


def test_the_table_shows_playbook_or_unrouted_reason(firebreak):
    result = firebreak.run("findings", "--file", FIXTURES / "getfindings_response.json", check=True)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "TYPE", "SEVERITY", "RESOURCE", "REGION", "PLAYBOOK"]
    rds = next(line for line in lines if "CredentialAccess:RDS" in line)
    assert "RDSDBInstance orders-db" in rds and "5 MEDIUM" in rds and rds.rstrip().endswith("rds")
    lambda_row = next(line for line in lines if "Backdoor:Lambda" in line)
    assert "unrouted: " in lambda_row and "no Lambda playbook" in lambda_row
    assert "4 findings: 3 routed, 1 unrouted" in result.stdout


def test_standard_input_and_filters(firebreak):
    text = (FIXTURES / "getfindings_response.json").read_text()
    out = findings_json(firebreak, "--file", "-", "--severity", "high", input=text)
    assert [f["type"] for f in out["findings"]] == [
        "CryptoCurrency:Runtime/BitcoinTool.B!DNS", "Backdoor:Lambda/C&CActivity.B", "Execution:Container/MaliciousFile"]
    assert out["findings"][0]["origin"] == "<stdin>: Findings[0]"
    out = findings_json(firebreak, "--file", "-", "--type", "*:RDS/*", input=text)
    assert routes(out) == [("CredentialAccess:RDS/AnomalousBehavior.SuccessfulLogin", "rds")]
    out = findings_json(firebreak, "--file", "-", "--since", "2024-05-07T00:00:00Z", input=text)
    assert len(out["findings"]) == 2


def test_truncated_file_is_a_clear_error(firebreak):
    path = FIXTURES / "truncated_finding.json"
    result = firebreak.run("findings", "--file", path)
    assert result.returncode == 2
    assert f"{path}:16:" in result.stderr and "truncated" in result.stderr
    assert result.stderr.count("\n") == 1, "one clear line, no stack dump"


def test_malformed_and_partial_files_name_the_place(firebreak):
    result = firebreak.run("findings", "--file", FIXTURES / "malformed_finding.json")
    assert result.returncode == 2
    assert "malformed_finding.json:33:" in result.stderr

    # JSON lines: the good lines are listed, the cut one is named, and the exit code says so.
    path = FIXTURES / "findings.jsonl"
    result = firebreak.run("--output", "json", "findings", "--file", path)
    assert result.returncode == 2
    out = json.loads(result.stdout)
    assert len(out["findings"]) == 2
    assert out["problems"][0].startswith(f"{path}:3:")
    assert f"{path}:3:" in result.stderr

    result = firebreak.run("findings", "--file", FIXTURES / "missing_type.json")
    assert result.returncode == 2
    assert "a GuardDuty finding without the field 'type'" in result.stderr


def test_a_document_that_is_no_finding_says_what_it_is(firebreak):
    result = firebreak.run("findings", "--file", SHARED_DATA / "cloud-custodian-cwe/event-cloud-trail-s3.json")
    assert result.returncode == 2
    assert "CloudTrail" in result.stderr and "not a finding" in result.stderr
    result = firebreak.run("findings", "--file", "/nonexistent/finding.json")
    assert result.returncode == 2 and "cannot read" in result.stderr


def test_bad_arguments_are_refused_before_any_call(firebreak):
    for args in (["--severity", "severe"], ["--since", "yesterday"], ["--source", "inspector"],
                 ["--file", "x.json", "--region", "all"]):
        result = firebreak.run("findings", *args)
        assert result.returncode == 2, args


# ---- Security Hub and GuardDuty in moto ----

def asff(finding_id, gd_type, severity, resources, region=REGION):
    """A GuardDuty finding as Security Hub holds it."""
    purpose, rest = gd_type.split(":", 1)
    return {
        "SchemaVersion": "2018-10-08",
        "Id": f"arn:aws:guardduty:{region}:{ACCOUNT}:detector/d1/finding/{finding_id}",
        "ProductArn": f"arn:aws:securityhub:{region}::product/aws/guardduty",
        "ProductName": "GuardDuty",
        "GeneratorId": f"arn:aws:guardduty:{region}:{ACCOUNT}:detector/d1",
        "AwsAccountId": ACCOUNT,
        "Region": region,
        "Types": [f"TTPs/Test/{purpose}:{rest.replace('/', '-', 1)}"],
        "CreatedAt": "2024-05-01T10:00:00Z",
        "UpdatedAt": "2024-05-01T10:00:00Z",
        "Severity": {"Product": severity, "Label": "HIGH" if severity >= 7 else "MEDIUM" if severity >= 4 else "LOW",
                     "Normalized": int(severity * 10)},
        "Title": gd_type,
        "Description": gd_type,
        "Resources": resources,
        "RecordState": "ACTIVE",
    }


def seed_security_hub(boto):
    hub = boto("securityhub")
    hub.enable_security_hub()
    cis = dict(asff("cis-1", "Policy:S3/Unused", 1, [{"Type": "AwsAccount", "Id": f"AWS::::Account:{ACCOUNT}"}]),
               ProductArn=f"arn:aws:securityhub:{REGION}::product/aws/securityhub", ProductName="Security Hub",
               Types=["Software and Configuration Checks/Industry and Regulatory Standards/CIS"])
    findings = [
        asff("ec2-1", "Backdoor:EC2/C&CActivity.B!DNS", 8,
             [{"Type": "AwsEc2Instance", "Id": f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-0123456789abcdef0"}]),
        asff("iam-1", "Recon:IAMUser/TorIPCaller", 5,
             [{"Type": "AwsIamAccessKey", "Id": "AWS::IAM::AccessKey:AKIAQEXAMPLEKEY12345",
               "Details": {"AwsIamAccessKey": {"PrincipalName": "alice", "PrincipalType": "IAMUser"}}}]),
        asff("s3-1", "Policy:S3/BucketPublicAccessGranted", 2,
             [{"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::customer-data"}]),
        cis,
    ]
    out = hub.batch_import_findings(Findings=findings)
    assert out["FailedCount"] == 0, out


def test_security_hub_findings_are_listed_and_routed(firebreak, fresh_moto, boto):
    seed_security_hub(boto)
    out = findings_json(firebreak, "--source", "securityhub")
    assert routes(out) == [("Backdoor:EC2/C&CActivity.B!DNS", "ec2"), ("Recon:IAMUser/TorIPCaller", "credentials"),
                           ("Policy:S3/BucketPublicAccessGranted", "s3")]  # most severe first; the CIS check left out
    assert [f["route"]["targets"] for f in out["findings"]] == [["i-0123456789abcdef0"], ["alice"], ["customer-data"]]
    assert all(f["format"] == "securityhub" and f["region"] == REGION for f in out["findings"])

    assert routes(findings_json(firebreak, "--source", "securityhub", "--severity", "7")) == [
        ("Backdoor:EC2/C&CActivity.B!DNS", "ec2")]
    assert routes(findings_json(firebreak, "--source", "securityhub", "--type", "*:IAMUser/*")) == [
        ("Recon:IAMUser/TorIPCaller", "credentials")]
    assert findings_json(firebreak, "--source", "securityhub", "--since", "2030-01-01")["findings"] == []

    table = firebreak.run("findings", "--source", "securityhub", check=True).stdout
    assert "i-0123456789abcdef0" in table and "3 findings: 3 routed, 0 unrouted" in table


def test_guardduty_500_is_reported_and_security_hub_still_listed(firebreak, fresh_moto, boto):
    seed_security_hub(boto)
    boto("guardduty").create_detector(Enable=True)

    # This moto routes no URL for ListFindings: it answers 404 with an HTML page (older ones 500).
    result = firebreak.run("--output", "json", "findings", "--source", "both")
    assert result.returncode == 1
    error = next(line for line in result.stderr.splitlines() if "GuardDuty" in line)
    assert error.startswith(f"firebreak: {REGION} GuardDuty: guardduty ListFindings:")
    assert re.search(r"\(HTTP (404|500)\)$", error), error
    assert result.stderr.count("\n") == 1, "the HTML page is folded into that one line"
    out = json.loads(result.stdout)
    assert len(out["findings"]) == 3
    assert out["problems"] == [error.removeprefix("firebreak: ")]

    # GuardDuty alone: nothing could be listed, and the error itself is the answer.
    result = firebreak.run("findings", "--source", "guardduty")
    assert result.returncode == 1
    assert result.stderr.startswith("firebreak: guardduty ListFindings:")
    assert re.search(r"HTTP (404|500)", result.stderr)
    assert result.stdout == ""


def test_a_region_without_guardduty_is_a_note_not_an_error(firebreak, fresh_moto):
    result = firebreak.run("findings", check=True)
    assert f"{REGION}: GuardDuty is not enabled (no detector)" in result.stderr
    assert result.stdout.strip() == "no findings"


def test_every_enabled_region_is_scanned(firebreak, fresh_moto, boto):
    seed_security_hub(boto)
    result = firebreak.run("--output", "json", "findings", "--source", "securityhub", "--region", "all", check=True)
    out = json.loads(result.stdout)
    assert len(out["findings"]) == 3  # seeded in one region, listed once
    regions = firebreak.run("--output", "json", "findings", "--source", "securityhub",
                            "--region", f"{REGION},eu-west-1", check=True)
    assert len(json.loads(regions.stdout)["findings"]) == 3


def test_the_routing_table_is_printed(firebreak):
    table = firebreak.run("findings", "--routes", check=True).stdout
    rows = {line.split()[0]: line.split()[1] for line in table.splitlines()}
    assert rows["Backdoor:EC2/*"] == "ec2"
    assert rows["UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration*"] == "role"
    assert rows["Canary:*"] == "unrouted"
    as_json = firebreak.json("--output", "json", "findings", "--routes")
    assert {"family": "Policy:IAMUser/RootCredentialUsage", "how": "playbook", "playbook": "account",
            "why": "the root user's credentials were used"} in as_json
