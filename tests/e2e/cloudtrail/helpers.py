"""Shared by the hunt tests: the real CloudTrail events in ../shared/data, laid out as a trail."""
import gzip
import json
from pathlib import Path

import yaml

SHARED = Path(__file__).resolve().parents[4] / "shared" / "data"
STRATUS = SHARED / "stratus-red-team-detonation-logs"


def stratus_events():
    events = []
    for path in sorted(STRATUS.glob("*.json")):
        events += json.loads(path.read_text())
    return events


def panther_cases():
    """(rule id, test name, expected, event) for every CloudTrail test case in Panther's rules."""
    cases = []
    for path in sorted((SHARED / "panther-analysis" / "aws_cloudtrail_rules").glob("*.yml")):
        rule = yaml.safe_load(path.read_text())
        for test in rule.get("Tests") or []:
            log = test.get("Log")
            if isinstance(log, dict) and "eventName" in log:
                cases.append((rule["RuleID"], test.get("Name", ""), bool(test.get("ExpectedResult")), log))
    return cases


def write_trail(root, events, account="111122223333"):
    """Writes events as CloudTrail does: one gzip {"Records": [...]} file per region and day."""
    files = {}
    for e in events:
        day = e["eventTime"][:10].replace("-", "/")
        key = f"AWSLogs/{account}/CloudTrail/{e['awsRegion']}/{day}"
        files.setdefault(key, []).append(e)
    for i, (folder, records) in enumerate(sorted(files.items())):
        path = Path(root) / folder / f"{account}_CloudTrail_{i:04d}.json.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(json.dumps({"Records": records}).encode()))
    return Path(root) / "AWSLogs"
