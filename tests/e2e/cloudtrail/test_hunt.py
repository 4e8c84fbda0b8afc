"""firebreak hunt from the command line: sources, filters, answers and what it skips."""
import csv
import io
import json

import pytest

from helpers import SHARED, STRATUS, stratus_events, write_trail


def ids(stdout):
    return sorted(json.loads(line)["eventID"] for line in stdout.splitlines() if line.strip())


def test_reads_every_cloudtrail_file_in_shared_data_and_counts_what_it_skips(firebreak):
    dirs = ["aws-cloudtrail-processing-library", "cado-cloudgrep", "cloud-custodian-cwe", "otrf-security-datasets",
            "stratus-red-team-detonation-logs"]
    result = firebreak.run("hunt", *[SHARED / d for d in dirs], "--output", "jsonl")
    assert result.returncode == 0, result.stderr
    # Records: 40 (AWS processing library) + 2 (cloudgrep) + 20 (Custodian) + 103 (OTRF) + 310 (Stratus).
    assert len(result.stdout.splitlines()) == 475
    assert "475 records" in result.stderr
    assert "2 malformed records skipped" in result.stderr
    assert "bad_cloudtrail.json:1:14: malformed record skipped" in result.stderr
    assert "SerializerTestFileBadJsonFormat.json:3:9: malformed record skipped" in result.stderr


def test_filters_combine_with_and_and_repeat_with_or(firebreak):
    events = stratus_events()
    result = firebreak.run("hunt", STRATUS, "--principal", "christophe", "--event-source", "ec2.amazonaws.com",
                           "--event-name", "Describe*", "--event-name", "RunInstances", "--output", "jsonl", check=True)
    expected = sorted(e["eventID"] for e in events
                      if e["userIdentity"].get("userName") == "christophe" and e["eventSource"] == "ec2.amazonaws.com"
                      and (e["eventName"].startswith("Describe") or e["eventName"] == "RunInstances"))
    assert expected and ids(result.stdout) == expected


def test_csv_and_table_name_the_event(firebreak):
    out = firebreak.run("hunt", STRATUS / "aws.defense-evasion.cloudtrail-delete.json", "--output", "csv", check=True).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["eventName"], r["principal"]) for r in rows] == [("DeleteTrail", "arn:aws:iam::847129010505:user/christophe")]
    table = firebreak.run("hunt", STRATUS / "aws.defense-evasion.cloudtrail-delete.json", check=True).stdout
    assert "cloudtrail:DeleteTrail" in table and "847129010505:user/christophe" in table


def test_summary_per_principal(firebreak):
    out = firebreak.run("--output", "json", "hunt", STRATUS, "--output", "summary", check=True).stdout
    summary = {p["principal"]: p for p in json.loads(out)}
    events = [e for e in stratus_events() if e["userIdentity"].get("arn") == "arn:aws:iam::056392974792:user/christophe"]
    p = summary["arn:aws:iam::056392974792:user/christophe"]
    assert p["calls"] == len(events)
    assert p["errors"] == sum(1 for e in events if e.get("errorCode"))
    assert p["firstSeen"] == min(e["eventTime"] for e in events)
    assert p["lastSeen"] == max(e["eventTime"] for e in events)
    assert set(p["eventNames"]) == {e["eventName"] for e in events}
    assert set(p["sourceIPs"]) == {e["sourceIPAddress"] for e in events}


def test_sigma_matches_name_rule_and_level(firebreak):
    out = firebreak.run("hunt", STRATUS, "--sigma", SHARED / "sigma-cloudtrail", "--event-name", "StopLogging",
                        "--output", "jsonl", check=True).stdout
    [event] = [json.loads(line) for line in out.splitlines()]
    assert [(r["title"], r["level"]) for r in event["sigma"]] == [("AWS CloudTrail Important Change", "medium")]


def test_bad_input_exits_2(firebreak):
    assert firebreak.run("hunt", STRATUS, "--source-ip", "not-an-ip").returncode == 2
    assert firebreak.run("hunt", STRATUS, "--since", "yesterday").returncode == 2
    assert firebreak.run("hunt", SHARED / "no-such-dir").returncode == 2
    assert firebreak.run("hunt", STRATUS, "--sigma", SHARED / "panther-analysis" / "aws_cloudtrail_rules").returncode == 2


def test_s3_source_lists_prunes_and_reads_like_local_files(firebreak, boto, tmp_path):
    s3 = boto("s3")
    s3.create_bucket(Bucket="trail")
    root = write_trail(tmp_path / "trail", stratus_events())
    for path in sorted(root.rglob("*.json.gz")):
        s3.put_object(Bucket="trail", Key=str(path.relative_to(tmp_path / "trail")), Body=path.read_bytes())
    local = firebreak.run("hunt", root, "--output", "jsonl", check=True)
    remote = firebreak.run("hunt", "s3://trail/AWSLogs/", "--output", "jsonl", check=True)
    assert ids(remote.stdout) == ids(local.stdout) and len(ids(local.stdout)) == 310
    # A day's range reads only that day's folders (and a day of margin).
    day = firebreak.run("hunt", "s3://trail/AWSLogs/", "--since", "2024-08-01", "--until", "2024-08-01",
                        "--output", "jsonl", check=True)
    expected = sorted(e["eventID"] for e in stratus_events() if e["eventTime"].startswith("2024-08-01"))
    assert ids(day.stdout) == expected
    objects = int(day.stderr.split(" objects")[0].split()[-1])
    assert objects < len(list(root.rglob("*.json.gz")))


def test_athena_run_goes_through_the_athena_api(firebreak, boto):
    result = firebreak.run("hunt", "--athena", "--run", "--athena-location", "s3://trail/AWSLogs/111122223333/",
                           "--athena-output", "s3://results/", "--principal", "alice")
    assert result.returncode == 0, result.stderr
    executions = boto("athena").list_query_executions()["QueryExecutionIds"]
    queries = [boto("athena").get_query_execution(QueryExecutionId=i)["QueryExecution"]["Query"] for i in executions]
    assert any(q.startswith("CREATE EXTERNAL TABLE IF NOT EXISTS") for q in queries)
    assert any("useridentity.username = 'alice'" in q for q in queries)
