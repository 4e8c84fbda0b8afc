"""`firebreak s3` against moto: plan, apply, rerun and undo of the compromised-bucket playbook,
the authorization verdicts, and bad input, with boto3 checking the state it leaves."""
import json
from pathlib import Path

import pytest

from s3_world import (ACCOUNT, INTRUDER, OUTSIDER, bucket_state, make_public_bucket, owner_policy_text, s3control,
                      write_trail)

BUCKET = "victim-data"


def run(firebreak, *args, env=None):
    return firebreak.run("--output", "json", "s3", *args, env=env)


def ok(result):
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return json.loads(result.stdout)


def states(out):
    return {step["name"]: step["state"] for step in out["steps"]}


def step(out, name):
    return next(s for s in out["steps"] if s["name"] == name)


def evidence(firebreak, case, name):
    shown = firebreak.json("--output", "json", "case", "show", case)
    found = [e for e in shown["evidence"] if e["name"] == name]
    assert len(found) == 1, [e["name"] for e in shown["evidence"]]
    return Path(found[0]["path"]).read_bytes()


@pytest.fixture
def s3(fresh_moto, boto):
    return make_public_bucket(boto, BUCKET)


@pytest.fixture
def trail(tmp_path):
    """The bucket's CloudTrail records: moto has no LookupEvents, so every apply hunts a file."""
    return write_trail(tmp_path / "trail.json", BUCKET)


def test_dry_run_changes_nothing_and_shows_the_plan(firebreak, s3):
    before = bucket_state(s3, BUCKET)
    out = ok(run(firebreak, BUCKET, "--case", "dry", "--deny-principal", INTRUDER))
    assert bucket_state(s3, BUCKET) == before
    planned = states(out)
    for name in ("record-bucket", "bucket-policy", "disable-acls", "enable-versioning", "block-public-access"):
        assert planned[name] == "planned", out
    assert planned["account-block-public-access"] == "skipped"
    changes = " ".join(step(out, "disable-acls")["changes"])
    assert "reset the ACL" in changes and "READ to AllUsers" in changes
    assert any(INTRUDER in c for c in step(out, "bucket-policy")["changes"])


def test_apply_makes_the_bucket_private_a_rerun_changes_nothing_and_undo_restores(firebreak, s3, boto, trail):
    original = bucket_state(s3, BUCKET)
    assert original["policy"] == owner_policy_text(BUCKET)
    out = ok(run(firebreak, BUCKET, "--case", "c1", "--apply", "--deny-principal", INTRUDER, "--account-bpa",
                 "--trail-logs", trail))
    assert set(states(out).values()) == {"done"}, out

    secured = bucket_state(s3, BUCKET)
    policy = json.loads(secured["policy"])
    owner_statements = json.loads(owner_policy_text(BUCKET))["Statement"]
    assert policy["Statement"][:2] == owner_statements, "the owner's statements stay"
    deny = policy["Statement"][2]
    assert deny["Sid"] == "FirebreakDenySource" and deny["Effect"] == "Deny"
    assert deny["Condition"]["ArnLike"]["aws:PrincipalArn"] == [INTRUDER]
    assert deny["Resource"] == [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"]
    assert secured["public_access_block"] == {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                              "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    assert secured["ownership"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert [g["Grantee"].get("URI") for g in secured["acl"]["Grants"]] == [None], "only the owner is left"
    assert secured["versioning"] == "Enabled"
    account_block = s3control(boto).get_public_access_block(AccountId=ACCOUNT)["PublicAccessBlockConfiguration"]
    assert all(account_block.values())

    recorded = json.loads(evidence(firebreak, "c1", "bucket-settings.json"))
    assert recorded["policy"]["text"] == original["policy"]
    assert any(g["Grantee"].get("URI", "").endswith("AllUsers") for g in recorded["acl"]["Grants"])
    assert recorded["public_access_block"] is None and recorded["versioning"] == {}

    again = ok(run(firebreak, BUCKET, "--case", "c1", "--apply", "--deny-principal", INTRUDER, "--account-bpa",
                   "--trail-logs", trail))
    assert bucket_state(s3, BUCKET) == secured, "a second apply changes nothing"
    assert set(states(again).values()) <= {"done", "already-done"}, again

    undone = firebreak.run("case", "undo", "c1", "--apply")
    assert undone.returncode == 0, undone.stderr
    restored = bucket_state(s3, BUCKET)
    assert restored["policy"] == original["policy"], "the policy text comes back byte for byte"
    assert restored["acl"] == original["acl"]
    assert restored["public_access_block"] is None and restored["ownership"] is None
    assert restored["versioning"] == "Suspended", "S3 cannot unversion a bucket: suspended is as close as it gets"
    with pytest.raises(Exception, match="NoSuchPublicAccessBlockConfiguration"):
        s3control(boto).get_public_access_block(AccountId=ACCOUNT)


def test_verdicts_for_a_public_read_a_cross_account_write_and_a_denied_call(firebreak, s3, boto, trail):
    boto("iam").create_user(UserName="intruder")
    ok(run(firebreak, BUCKET, "--case", "v1", "--apply", "--trail-logs", trail))
    verdicts = json.loads(evidence(firebreak, "v1", "authorization.json"))["verdicts"]
    by_call = {(v["principal"], v["action"]): v for v in verdicts}
    assert set(by_call) == {("ANONYMOUS_PRINCIPAL", "s3:GetObject"), (OUTSIDER, "s3:PutObject"),
                            (INTRUDER, "s3:PutBucketPolicy")}, "the other bucket's event is left out"
    public_read = by_call[("ANONYMOUS_PRINCIPAL", "s3:GetObject")]
    assert public_read["decision"] == "public" and "PublicRead" in public_read["decided_by"]
    partner = by_call[(OUTSIDER, "s3:PutObject")]
    assert partner["decision"] == "allowed" and "PartnerWrite" in partner["decided_by"]
    denied = by_call[(INTRUDER, "s3:PutBucketPolicy")]
    assert denied["decision"] == "denied"
    # moto has no policy simulator: the verdict says the project's own evaluation gave it.
    assert "firebreak's evaluation" in denied["method"] and "IAM policy simulator answered" in denied["method"]


def test_findings_are_listed_from_security_hub_and_guardduty_failure_is_noted(firebreak, s3, boto):
    boto("guardduty").create_detector(Enable=True)
    boto("securityhub").batch_import_findings(Findings=[{
        "SchemaVersion": "2018-10-08", "Id": f"arn:aws:guardduty:us-east-1:{ACCOUNT}:detector/d/finding/f1",
        "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/guardduty", "ProductName": "GuardDuty",
        "GeneratorId": "arn:aws:guardduty:us-east-1:123456789012:detector/d", "AwsAccountId": ACCOUNT,
        "Types": ["TTPs/Policy:S3-BucketAnonymousAccessGranted"], "CreatedAt": "2024-05-30T10:00:00Z",
        "UpdatedAt": "2024-05-30T10:00:00Z", "Severity": {"Label": "HIGH", "Normalized": 70},
        "Title": "Anonymous access granted to victim-data", "Description": "d",
        "Resources": [{"Type": "AwsS3Bucket", "Id": f"arn:aws:s3:::{BUCKET}", "Region": "us-east-1"}],
        "RecordState": "ACTIVE"}])
    out = ok(run(firebreak, BUCKET, "--case", "f1"))
    changes = step(out, "identify-bucket")["changes"]
    assert any("Anonymous access granted" in c for c in changes), changes
    assert any(c.startswith("could not list: us-east-1 GuardDuty") for c in changes), changes
    assert step(out, "identify-bucket")["state"] == "planned"


def test_lockdown_presigned_and_access_points_are_denied_in_the_policy(firebreak, s3, boto, trail):
    s3control(boto).create_access_point(AccountId=ACCOUNT, Name="partner-ap", Bucket=BUCKET)
    responder = f"arn:aws:iam::{ACCOUNT}:role/IncidentResponder"
    out = ok(run(firebreak, BUCKET, "--case", "l1", "--apply", "--lockdown", "--responder-role", responder,
                 "--vpce", "vpce-0123abcd", "--deny-presigned", "--access-points", "--trail-logs", trail))
    statements = {s["Sid"]: s for s in json.loads(bucket_state(s3, BUCKET)["policy"])["Statement"]}
    lockdown = statements["FirebreakLockdown"]["Condition"]
    assert responder in lockdown["ArnNotLike"]["aws:PrincipalArn"]
    assert lockdown["StringNotEquals"] == {"aws:SourceVpce": "vpce-0123abcd"}
    assert statements["FirebreakDenyPresigned"]["Condition"] == {"StringEquals": {"s3:authType": "REST-QUERY-STRING"}}
    assert statements["FirebreakDenyAccessPoints"]["Condition"] == {"Null": {"s3:DataAccessPointArn": "false"}}
    recorded = json.loads(evidence(firebreak, "l1", "bucket-settings.json"))
    assert [p["Name"] for p in recorded["access_points"]] == ["partner-ap"]
    assert states(out)["bucket-policy"] == "done"


@pytest.mark.parametrize("bad", ["ab", "Bad-Bucket", "bad_bucket", "a..b", "192.168.1.1", "lead-", "x" * 64,
                                 "xn--punycode", "bucket;rm"])
def test_malformed_bucket_names_are_refused_before_any_call(firebreak, fresh_moto, bad):
    result = run(firebreak, bad, "--apply")
    assert result.returncode == 2 and "not a valid S3 bucket name" in result.stderr, result.stderr


def test_a_bucket_that_does_not_exist_is_refused_before_a_case_opens(firebreak, fresh_moto):
    result = run(firebreak, "no-such-bucket-here", "--apply", "--case", "gone")
    assert result.returncode == 2 and "does not exist" in result.stderr
    listed = firebreak.json("--output", "json", "case", "list")
    assert all(c.get("case_id", c.get("id")) != "gone" for c in listed), listed


def test_bad_principal_and_lockdown_options_are_refused(firebreak, s3):
    bad = run(firebreak, BUCKET, "--deny-principal", "alice")
    assert bad.returncode == 2 and "not the ARN" in bad.stderr
    alone = run(firebreak, BUCKET, "--vpce", "vpce-0123abcd")
    assert alone.returncode == 2 and "only apply with --lockdown" in alone.stderr


def test_a_policy_that_is_not_json_is_reported_and_kept_and_the_rest_still_runs(firebreak, s3, trail):
    s3.put_bucket_policy(Bucket=BUCKET, Policy="{not json")
    result = run(firebreak, BUCKET, "--case", "j1", "--apply", "--deny-principal", INTRUDER, "--trail-logs", trail)
    assert result.returncode == 1
    out = json.loads(result.stdout)
    assert states(out)["bucket-policy"] == "failed"
    assert "not replace" in step(out, "bucket-policy")["detail"]
    assert states(out)["block-public-access"] == "done" and states(out)["disable-acls"] == "done"
    assert evidence(firebreak, "j1", "bucket-policy.txt") == b"{not json"
    assert bucket_state(s3, BUCKET)["policy"] == "{not json", "the owner's policy is left alone"


def test_a_bucket_in_another_region_is_followed_there(firebreak, fresh_moto, boto, trail):
    s3 = make_public_bucket(boto, "victim-eu", region="eu-west-1")
    result = run(firebreak, "victim-eu", "--case", "eu1", "--apply", "--trail-logs", trail)
    assert result.returncode == 0, result.stderr
    assert "is in eu-west-1" in result.stderr
    assert json.loads(result.stdout)["case"]["region"] == "eu-west-1"
    assert bucket_state(s3, "victim-eu")["public_access_block"]["BlockPublicPolicy"] is True
    undone = firebreak.run("--region", "eu-west-1", "case", "undo", "eu1", "--apply")
    assert undone.returncode == 0, undone.stderr
    assert bucket_state(s3, "victim-eu")["public_access_block"] is None


def test_access_denied_on_the_bucket_policy_fails_that_step_only(firebreak, s3, denied_responder, trail):
    with denied_responder("s3:GetBucketPolicy") as credentials:
        result = run(firebreak, BUCKET, "--case", "d1", "--apply", "--deny-principal", INTRUDER, "--trail-logs", trail,
                     env=credentials)
    assert result.returncode == 1, result.stderr
    out = json.loads(result.stdout)
    assert states(out)["bucket-policy"] == "failed"
    assert step(out, "bucket-policy")["error"]["code"] == "AccessDenied"
    for name in ("record-bucket", "disable-acls", "enable-versioning", "block-public-access"):
        assert states(out)[name] == "done", out
    assert bucket_state(s3, BUCKET)["public_access_block"]["RestrictPublicBuckets"] is True
