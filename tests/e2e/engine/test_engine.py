"""The engine and the case ledger against moto.

The sample playbook (capture metadata, enable termination protection, snapshot volumes: see
tests/unit/engine/sample_steps.h) is test-only, so it is driven by the unit_engine binary in
driver mode (MotoDriver.RunSamplePlaybook); everything after that is the real `firebreak case`
command, and boto3 checks the world independently.
"""
import hashlib
import base64
import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from conftest import REGION, firebreak_binary


def unit_engine_binary():
    path = Path(os.environ.get("FIREBREAK_UNIT_ENGINE", firebreak_binary().parent / "unit_engine"))
    if not path.exists():
        pytest.exit(f"unit_engine not found at {path}; build the unit_engine target", 2)
    return path


class Driver:
    """Runs the sample playbook through the engine in its own process."""

    def __init__(self, env, tmp_path):
        self.env = env
        self.tmp_path = tmp_path
        self.binary = unit_engine_binary()

    def environment(self, case, instances, volumes, apply, extra=None):
        return {**self.env,
                "FIREBREAK_E2E_DRIVER": "1",
                "FIREBREAK_E2E_CASE": case,
                "FIREBREAK_E2E_INSTANCES": ",".join(instances),
                "FIREBREAK_E2E_VOLUMES": ",".join(volumes),
                "FIREBREAK_E2E_APPLY": "1" if apply else "0",
                "FIREBREAK_E2E_RESULT": str(self.tmp_path / f"result-{case}.json"),
                **(extra or {})}

    def command(self):
        return [str(self.binary), "--gtest_filter=MotoDriver.RunSamplePlaybook", "--gtest_brief=1"]

    def run(self, case, instances, volumes, apply, extra=None, check=True):
        result = subprocess.run(self.command(), capture_output=True, text=True, timeout=300,
                                env=self.environment(case, instances, volumes, apply, extra))
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    def result(self, case):
        return json.loads((self.tmp_path / f"result-{case}.json").read_text())

    def run_until_killed(self, case, instances, volumes, hang_after):
        """Starts an apply, waits until `hang_after` made its change, and kills the process."""
        marker = self.tmp_path / f"marker-{case}"
        process = subprocess.Popen(
            self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=self.environment(case, instances, volumes, True,
                                 {"FIREBREAK_E2E_HANG_AFTER": hang_after, "FIREBREAK_E2E_MARKER": str(marker)}))
        deadline = time.time() + 120
        while not marker.exists():
            assert process.poll() is None, "the driver ended before reaching the step"
            assert time.time() < deadline, "the driver never reached the step"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(10)


@pytest.fixture
def driver(aws_env, tmp_path):
    return Driver(aws_env, tmp_path)


@pytest.fixture
def world(fresh_moto, boto):
    """Two running instances and a data volume."""
    ec2 = boto("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    reservation = ec2.run_instances(ImageId=image, MinCount=2, MaxCount=2, InstanceType="t3.micro")
    instances = sorted(i["InstanceId"] for i in reservation["Instances"])
    volume = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8)["VolumeId"]
    return {"instances": instances, "volumes": [volume], "ec2": ec2}


def protection(ec2, instance):
    return ec2.describe_instance_attribute(InstanceId=instance, Attribute="disableApiTermination")[
        "DisableApiTermination"]["Value"]


def case_snapshots(ec2, case, volume):
    return ec2.describe_snapshots(Filters=[{"Name": "tag:firebreak:case", "Values": [case]},
                                           {"Name": "volume-id", "Values": [volume]}])["Snapshots"]


def ledger_path(env):
    return Path(env["FIREBREAK_HOME"]) / "ledger.db"


def steps_by_name(shown):
    return {step["name"]: step for step in shown["steps"]}


def test_dry_run_changes_nothing(driver, world, firebreak):
    ec2 = world["ec2"]
    driver.run("dry", world["instances"], world["volumes"], apply=False)
    for instance in world["instances"]:
        assert protection(ec2, instance) is False
    assert case_snapshots(ec2, "dry", world["volumes"][0]) == []
    shown = firebreak.json("--output", "json", "case", "show", "dry")
    states = {name: step["state"] for name, step in steps_by_name(shown).items()}
    assert set(states.values()) == {"planned"}, states
    assert steps_by_name(shown)[f"termination-protection-{world['instances'][0]}"]["changes"] == [
        f"set DisableApiTermination of {world['instances'][0]} to true"]
    assert shown["evidence"] == []


def test_apply_records_everything_and_a_second_apply_changes_nothing(driver, world, firebreak):
    ec2 = world["ec2"]
    driver.run("c1", world["instances"], world["volumes"], apply=True)
    for instance in world["instances"]:
        assert protection(ec2, instance) is True
    snapshots = case_snapshots(ec2, "c1", world["volumes"][0])
    assert len(snapshots) == 1

    shown = firebreak.json("--output", "json", "case", "show", "c1")
    assert shown["opened_by"]["account"] == "123456789012"
    assert shown["region"] == REGION
    assert {step["state"] for step in shown["steps"]} == {"done"}
    assert len(shown["evidence"]) == 2
    for artifact in shown["evidence"]:
        assert hashlib.sha256(Path(artifact["path"]).read_bytes()).hexdigest() == artifact["sha256"]
    metadata = json.loads(Path(shown["evidence"][0]["path"]).read_text())
    assert metadata["Reservations"][0]["Instances"][0]["InstanceId"] in world["instances"]

    driver.run("c1", world["instances"], world["volumes"], apply=True)
    assert len(case_snapshots(ec2, "c1", world["volumes"][0])) == 1
    second = driver.result("c1")
    assert {step["state"] for step in second["steps"]} == {"done"}
    assert not second["created"]

    verified = firebreak.run("case", "verify", "c1")
    assert verified.returncode == 0, verified.stderr
    assert "ledger intact" in verified.stdout
    assert "every local copy matches" in verified.stdout


@pytest.mark.parametrize("kill_in", ["termination-protection", "snapshot"])
def test_resume_after_kill_mid_apply_ends_as_one_clean_run(driver, world, firebreak, kill_in):
    ec2 = world["ec2"]
    instances, volumes = world["instances"], world["volumes"]
    hang_after = (f"termination-protection-{instances[0]}" if kill_in == "termination-protection"
                  else f"snapshot-{volumes[0]}")
    driver.run_until_killed("crashed", instances, volumes, hang_after)
    shown = firebreak.json("--output", "json", "case", "show", "crashed")
    assert steps_by_name(shown)[hang_after]["state"] == "running"

    driver.run("crashed", instances, volumes, apply=True)
    # A twin world, run once without a crash.
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    twins = sorted(i["InstanceId"] for i in ec2.run_instances(
        ImageId=image, MinCount=2, MaxCount=2, InstanceType="t3.micro")["Instances"])
    twin_volumes = [ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8)["VolumeId"]]
    driver.run("clean", twins, twin_volumes, apply=True)

    for instance in instances:
        assert protection(ec2, instance) is True
    assert len(case_snapshots(ec2, "crashed", volumes[0])) == 1, "no second snapshot"

    def shape(case):
        """Each step's line, state and undo, without the ids that differ between the worlds."""
        steps = firebreak.json("--output", "json", "case", "show", case)["steps"]
        return [(s["line"], s["state"],
                 [(c["operation"], c["input"]["DisableApiTermination"]) for c in s.get("undo", [])])
                for s in steps]
    assert shape("crashed") == shape("clean")
    assert {state for _, state, _ in shape("crashed")} == {"done"}
    assert firebreak.run("case", "verify", "crashed").returncode == 0


def test_undo_restores_the_recorded_state(driver, world, firebreak):
    ec2 = world["ec2"]
    instances, volumes = world["instances"], world["volumes"]
    ec2.modify_instance_attribute(InstanceId=instances[1], DisableApiTermination={"Value": True})
    driver.run("u1", instances, volumes, apply=True)
    for instance in instances:
        assert protection(ec2, instance) is True

    planned = firebreak.json("--output", "json", "case", "undo", "u1")
    assert planned["mode"] == "undo-plan"
    assert protection(ec2, instances[0]) is True, "undo without --apply changes nothing"

    undone = firebreak.run("case", "undo", "u1", "--apply")
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert protection(ec2, instances[0]) is False, "restored to what the case found"
    assert protection(ec2, instances[1]) is True, "it was already on: nothing to undo"
    assert len(case_snapshots(ec2, "u1", volumes[0])) == 1, "evidence is never undone"
    states = {n: s["state"] for n, s in steps_by_name(firebreak.json("--output", "json", "case", "show", "u1")).items()}
    assert states[f"termination-protection-{instances[0]}"] == "undone"
    assert states[f"termination-protection-{instances[1]}"] == "already-done"
    assert firebreak.run("case", "verify", "u1").returncode == 0

    again = firebreak.run("case", "undo", "u1", "--apply", "--step", f"termination-protection-{instances[0]}")
    assert again.returncode == 2 and "nothing to undo" in again.stderr


def test_bad_case_ids_are_input_errors(driver, world, firebreak):
    missing = firebreak.run("case", "show", "no-such-case")
    assert missing.returncode == 2 and "there is no case no-such-case" in missing.stderr
    assert not ledger_path(firebreak.env).exists(), "reading creates nothing"
    traversal = firebreak.run("case", "show", "../../etc")
    assert traversal.returncode == 2 and "not a valid case id" in traversal.stderr
    assert firebreak.run("case", "undo", "no-such-case", "--apply").returncode == 2
    listed = firebreak.run("case", "list")
    assert listed.returncode == 0 and "no cases" in listed.stdout


def test_corrupted_ledger_file_is_refused_and_left_alone(world, firebreak):
    path = ledger_path(firebreak.env)
    path.parent.mkdir(parents=True)
    garbage = os.urandom(16384)
    path.write_bytes(garbage)
    for args in (["case", "list"], ["case", "show", "c1"], ["case", "verify", "c1"],
                 ["case", "undo", "c1", "--apply"]):
        result = firebreak.run(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert "damaged or not a firebreak ledger" in result.stderr
    assert path.read_bytes() == garbage
    assert sorted(p.name for p in path.parent.iterdir()) == ["ledger.db"]


def tamper(path, sql):
    db = sqlite3.connect(path)
    db.executescript("DROP TRIGGER IF EXISTS ledger_no_update; DROP TRIGGER IF EXISTS ledger_no_delete;" + sql)
    db.commit()
    db.close()


@pytest.mark.parametrize("edit, broken_row", [
    ("UPDATE ledger SET result = '{\"reason\":\"nothing happened\"}' WHERE seq = 5;", 5),
    ("DELETE FROM ledger WHERE seq = 4;", 4),
    ("UPDATE ledger SET seq = -1 WHERE seq = 6; UPDATE ledger SET seq = 6 WHERE seq = 7;"
     "UPDATE ledger SET seq = 7 WHERE seq = -1;", 6),
])
def test_verify_names_the_first_broken_row(driver, world, firebreak, edit, broken_row):
    driver.run("t1", world["instances"], world["volumes"], apply=True)
    assert firebreak.run("case", "verify", "t1").returncode == 0
    tamper(ledger_path(firebreak.env), edit)
    result = firebreak.run("case", "verify", "t1")
    assert result.returncode == 1
    assert f"BROKEN at row {broken_row}:" in result.stdout, result.stdout
    verdict = firebreak.run("--output", "json", "case", "verify", "t1")
    assert json.loads(verdict.stdout)["first_break"]["row"] == broken_row
    # A broken case is not run or undone further.
    before = sqlite3.connect(ledger_path(firebreak.env)).execute("SELECT count(*) FROM ledger").fetchone()[0]
    refused = firebreak.run("case", "undo", "t1", "--apply")
    assert refused.returncode == 2 and f"broken at row {broken_row}" in refused.stderr
    after = sqlite3.connect(ledger_path(firebreak.env)).execute("SELECT count(*) FROM ledger").fetchone()[0]
    assert before == after
    assert protection(world["ec2"], world["instances"][0]) is True


def test_case_from_another_account_or_region_is_refused(driver, world, firebreak, boto):
    driver.run("acct", world["instances"], world["volumes"], apply=True)
    rows = sqlite3.connect(ledger_path(firebreak.env)).execute("SELECT count(*) FROM ledger").fetchone()[0]
    # moto gives credentials from AssumeRole into another account that account's identity.
    other = boto("sts").assume_role(RoleArn="arn:aws:iam::222222222222:role/responder",
                                    RoleSessionName="other")["Credentials"]
    other_env = {"AWS_ACCESS_KEY_ID": other["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": other["SecretAccessKey"],
                 "AWS_SESSION_TOKEN": other["SessionToken"]}
    refused = firebreak.run("case", "undo", "acct", "--apply", env=other_env)
    assert refused.returncode == 2, refused.stderr
    assert "belongs to account 123456789012" in refused.stderr and "222222222222" in refused.stderr
    elsewhere = firebreak.run("--region", "eu-west-1", "case", "undo", "acct", "--apply")
    assert elsewhere.returncode == 2 and "is in region us-east-1" in elsewhere.stderr
    resumed = driver.run("acct", world["instances"], world["volumes"], apply=True,
                         extra={**other_env}, check=False)
    assert resumed.returncode != 0 and "belongs to account" in resumed.stdout + resumed.stderr
    assert sqlite3.connect(ledger_path(firebreak.env)).execute("SELECT count(*) FROM ledger").fetchone()[0] == rows
    assert protection(world["ec2"], world["instances"][0]) is True


def test_evidence_is_uploaded_with_its_checksum_and_version(driver, world, firebreak, boto):
    s3 = boto("s3")
    s3.create_bucket(Bucket="evidence")
    s3.put_bucket_versioning(Bucket="evidence", VersioningConfiguration={"Status": "Enabled"})
    driver.run("ev", world["instances"], [], apply=True, extra={"FIREBREAK_E2E_EVIDENCE": "s3://evidence/ir"})
    shown = firebreak.json("--output", "json", "case", "show", "ev")
    assert len(shown["evidence"]) == 2
    for artifact in shown["evidence"]:
        key = artifact["s3_uri"].removeprefix("s3://evidence/")
        assert key == f"ir/ev/{artifact['step']}/{artifact['name']}"
        head = s3.head_object(Bucket="evidence", Key=key, ChecksumMode="ENABLED")
        assert head["VersionId"] == artifact["s3_version_id"] != ""
        expected = base64.b64encode(bytes.fromhex(artifact["sha256"])).decode()
        assert head["ChecksumSHA256"] == expected
        body = s3.get_object(Bucket="evidence", Key=key)["Body"].read()
        assert hashlib.sha256(body).hexdigest() == artifact["sha256"]


def create_ledger_table(boto, name):
    boto("dynamodb").create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "case_id", "AttributeType": "S"},
                              {"AttributeName": "seq", "AttributeType": "N"}],
        KeySchema=[{"AttributeName": "case_id", "KeyType": "HASH"},
                   {"AttributeName": "seq", "KeyType": "RANGE"}])


def test_dynamodb_store_passes_the_store_suite(aws_env, fresh_moto, boto):
    create_ledger_table(boto, "suite-cases")
    result = subprocess.run([str(unit_engine_binary()), "--gtest_filter=Stores/LedgerStoreSuite.*"],
                            capture_output=True, text=True, timeout=600,
                            env={**aws_env, "FIREBREAK_TEST_DYNAMODB_TABLE": "suite-cases"})
    assert result.returncode == 0, result.stdout[-4000:]
    assert "SKIPPED" not in result.stdout
    assert "[  PASSED  ] 12 tests." in result.stdout


def test_dynamodb_ledger_end_to_end(driver, world, firebreak, boto):
    create_ledger_table(boto, "team-cases")
    ledger = {"FIREBREAK_LEDGER": "dynamodb://team-cases"}
    driver.run("d1", world["instances"], world["volumes"], apply=True, extra=ledger)
    assert not ledger_path(firebreak.env).exists()
    listed = firebreak.json("--output", "json", "case", "list", env=ledger)
    assert [c["id"] for c in listed] == ["d1"]
    shown = firebreak.json("--output", "json", "case", "show", "d1", env=ledger)
    assert {step["state"] for step in shown["steps"]} == {"done"}
    assert firebreak.run("case", "verify", "d1", env=ledger).returncode == 0
    undone = firebreak.run("case", "undo", "d1", "--apply", env=ledger)
    assert undone.returncode == 0, undone.stderr
    assert protection(world["ec2"], world["instances"][0]) is False

    dynamodb = boto("dynamodb")
    item = dynamodb.get_item(TableName="team-cases", Key={"case_id": {"S": "d1"}, "seq": {"N": "3"}})["Item"]
    row = json.loads(item["row"]["S"])
    row["actor"] = "arn:aws:iam::123456789012:user/someone-else"
    item["row"]["S"] = json.dumps(row)
    dynamodb.put_item(TableName="team-cases", Item=item)
    verdict = firebreak.run("case", "verify", "d1", env=ledger)
    assert verdict.returncode == 1 and "BROKEN at row 3:" in verdict.stdout


def test_missing_dynamodb_table_says_how_to_create_it(world, firebreak):
    result = firebreak.run("case", "list", env={"FIREBREAK_LEDGER": "dynamodb://no-such-table"})
    assert result.returncode == 3, result.stderr
    assert "aws dynamodb create-table" in result.stderr


def test_export_can_be_verified_without_firebreak(driver, world, firebreak, tmp_path):
    """The canonical form is plain: each row without "hash", as JSON with sorted keys and no
    spaces; its SHA-256 is the row's hash and the next row's prev_hash."""
    driver.run("x1", world["instances"], world["volumes"], apply=True)
    out = tmp_path / "x1.json"
    exported = firebreak.run("case", "export", "x1", "-o", out)
    assert exported.returncode == 0, exported.stderr
    document = json.loads(out.read_text())
    assert document["verification"]["intact"] is True
    assert document["case"]["id"] == "x1"
    rows = document["rows"]
    assert rows[0]["action"] == "case-opened" and len(rows) == document["verification"]["rows"]
    previous = "0" * 64
    for row in rows:
        body = {k: v for k, v in row.items() if k != "hash"}
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert row["prev_hash"] == previous, row["seq"]
        assert hashlib.sha256(canonical.encode()).hexdigest() == row["hash"], row["seq"]
        previous = row["hash"]
    assert previous == document["verification"]["head_hash"]
    assert json.loads(firebreak.run("case", "export", "x1").stdout)["rows"] == rows
