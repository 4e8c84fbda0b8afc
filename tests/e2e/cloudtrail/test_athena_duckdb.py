"""The Athena SQL that `firebreak hunt --athena` prints, run in DuckDB over the same files,
returns the same events (and the same per-principal summary) as the hunt itself.

DuckDB stands in for Athena: a view gives it the table the DDL declares (its columns, with
CloudTrail's camelCase names as Athena's JSON SerDe matches them, and the account, region and
day partitions read from each object's path)."""
import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[3]
NAMES = {n.lower(): n for n in [
    "eventVersion", "userIdentity", "type", "principalId", "arn", "accountId", "invokedBy", "accessKeyId",
    "userName", "sessionContext", "attributes", "mfaAuthenticated", "creationDate", "sessionIssuer",
    "sourceIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent",
    "errorCode", "errorMessage", "requestParameters", "responseElements", "additionalEventData", "requestID",
    "eventID", "readOnly", "resources", "eventType", "apiVersion", "recipientAccountId", "serviceEventDetails",
    "sharedEventID", "vpcEndpointId", "eventCategory", "tlsDetails", "tlsVersion", "cipherSuite",
    "clientProvidedHostHeader"]}
NAMES["arn"] = "arn"


def duckdb_type(hive):
    """Hive column types as DuckDB types, with CloudTrail's own field names."""
    hive = hive.strip()
    if hive.upper().startswith("STRUCT<"):
        fields, depth, current = [], 0, ""
        for ch in hive[7:-1]:
            depth += ch == "<"
            depth -= ch == ">"
            if ch == "," and depth == 0:
                fields.append(current)
                current = ""
            else:
                current += ch
        fields.append(current)
        parts = []
        for f in fields:
            name, _, t = f.strip().partition(":")
            parts.append(f'"{NAMES.get(name.strip(), name.strip())}" {duckdb_type(t)}')
        return "STRUCT(" + ", ".join(parts) + ")"
    if hive.upper().startswith("ARRAY<"):
        inner = duckdb_type(hive[6:-1])
        # resources[].ARN is upper case in CloudTrail.
        return inner.replace('"arn"', '"ARN"') + "[]"
    return {"STRING": "VARCHAR", "BOOLEAN": "BOOLEAN", "BIGINT": "BIGINT"}[hive.upper()]


def ddl_columns(ddl):
    body = ddl[ddl.index("(") + 1:ddl.index("\n)\nPARTITIONED BY")]
    columns, depth, current = [], 0, ""
    for ch in body:
        depth += ch == "<"
        depth -= ch == ">"
        if ch == "," and depth == 0:
            columns.append(current)
            current = ""
        else:
            current += ch
    columns.append(current)
    out = {}
    for c in columns:
        name, t = c.strip().split(None, 1)
        out[NAMES.get(name, name)] = duckdb_type(" ".join(t.split()))
    return out


@pytest.fixture(scope="module")
def trail(tmp_path_factory):
    root = tmp_path_factory.mktemp("trail")
    subprocess.run([sys.executable, ROOT / "bench" / "cloudtrail_generate.py", root, "--size-mb", "4", "--jobs", "2"],
                   check=True, capture_output=True)
    return root


def athena(firebreak, *arguments):
    out = firebreak.run("hunt", "--athena", "--athena-location", "s3://trail/AWSLogs/",
                        "--athena-account", "111122223333", *arguments, check=True).stdout
    ddl = out[out.index("CREATE EXTERNAL TABLE"):out.index(";\n\n-- The question")]
    query = out[out.index("-- The question\n") + 16:].rstrip().rstrip(";")
    return ddl, query


def run_in_duckdb(trail, ddl, query):
    con = duckdb.connect()
    columns = ", ".join(f"'{name}': '{t}'" for name, t in ddl_columns(ddl).items())
    con.sql('CREATE SCHEMA "default"')
    con.sql(f"""CREATE VIEW "default".cloudtrail_logs AS
        SELECT r.*,
               regexp_extract(filename, 'AWSLogs/([0-9]+)/CloudTrail/', 1) AS account,
               regexp_extract(filename, '/CloudTrail/([^/]+)/', 1) AS region,
               regexp_extract(filename, '/CloudTrail/[^/]+/([0-9]{{4}}/[0-9]{{2}}/[0-9]{{2}})/', 1) AS "timestamp"
        FROM (SELECT unnest(Records) AS r, filename
              FROM read_json('{trail}/AWSLogs/**/*.json.gz', filename = true,
                             columns = {{'Records': 'STRUCT({", ".join(f'"{n}" {t}' for n, t in ddl_columns(ddl).items())})[]'}}))""")
    result = con.sql(query)
    names = [d[0].lower() for d in result.description]  # Athena names columns in lower case
    return [dict(zip(names, row)) for row in result.fetchall()]


@pytest.fixture(scope="module")
def sample(trail):
    """Values that occur in the generated trail, to ask about."""
    path = sorted(trail.rglob("*.json.gz"))[0]
    records = json.loads(gzip.decompress(path.read_bytes()))["Records"]
    users = [r for r in records if r["userIdentity"].get("type") == "IAMUser"]
    ip = next(r["sourceIPAddress"] for r in users)
    return {"user": users[0]["userIdentity"]["userName"], "key": users[0]["userIdentity"]["accessKeyId"],
            "network": ".".join(ip.split(".")[:1]) + ".0.0.0/8", "day": records[0]["eventTime"][:10],
            "time": records[len(records) // 2]["eventTime"], "agent": f"*{users[0]['userAgent'][:12]}*"}


QUESTIONS = [
    lambda s: ["--access-key", s["key"]],
    lambda s: ["--principal", s["user"]],
    lambda s: ["--principal", "111122223333", "--event-name", "Get*", "--region", "us-west-2"],
    lambda s: ["--source-ip", s["network"], "--errors"],
    lambda s: ["--since", s["day"], "--until", s["day"], "--read-only", "false"],
    lambda s: ["--event-source", "s3.amazonaws.com", "--event-source", "iam.amazonaws.com", "--error-code", "Access*"],
    lambda s: ["--user-agent", s["agent"], "--since", s["time"]],
]


@pytest.mark.parametrize("question", range(len(QUESTIONS)))
def test_athena_sql_returns_the_events_the_hunt_returns(firebreak, trail, sample, question):
    arguments = QUESTIONS[question](sample)
    hunt = firebreak.run("hunt", trail, *arguments, "--output", "jsonl", check=True).stdout
    expected = sorted(json.loads(line)["eventID"] for line in hunt.splitlines())
    assert expected, f"{arguments} selects nothing: not a useful question"
    ddl, query = athena(firebreak, *arguments)
    rows = run_in_duckdb(trail, ddl, query)
    assert sorted(r["eventid"] for r in rows) == expected


def test_athena_summary_matches_the_hunt_summary(firebreak, trail, sample):
    arguments = ["--since", sample["day"], "--until", sample["day"]]
    hunt = json.loads(firebreak.run("--output", "json", "hunt", trail, *arguments, "--output", "summary",
                                    check=True).stdout)
    ddl, query = athena(firebreak, *arguments, "--output", "summary")
    rows = {r["principal"]: r for r in run_in_duckdb(trail, ddl, query)}
    assert len(rows) == len(hunt)
    for p in hunt:
        row = rows[p["principal"]]
        assert (row["calls"], row["errors"], row["first_seen"], row["last_seen"]) == \
               (p["calls"], p["errors"], p["firstSeen"], p["lastSeen"]), p["principal"]
        assert sorted(row["event_names"]) == sorted(p["eventNames"])
        assert sorted(row["source_ips"]) == sorted(p["sourceIPs"])
        assert sorted(row["access_keys"] or []) == sorted(p["accessKeys"])
