#!/usr/bin/env python3
"""Deterministic CloudTrail data for bench/cloudtrail_hunt.py.

Expands the real CloudTrail events in ../shared/data (Stratus Red Team detonations, Panther's
labelled cases, OTRF, Cloud Custodian, cloudgrep) into CloudTrail's S3 layout,
AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/*.json.gz, one {"Records":[...]} line per file
like CloudTrail writes. Principals (IAM users with access keys, role sessions, services, root),
source IPs, user agents, regions and times vary the way a busy organisation's do, with a few
principals doing most of the calls. The same seed and size give the same files.

  cloudtrail_generate.py OUT_DIR --size-mb 2048 [--seed 7] [--jobs N]

Writes OUT_DIR/manifest.json with what the benchmark questions must answer.
"""
import argparse
import gzip
import json
import multiprocessing
import os
import random
import sys
import uuid
from pathlib import Path

import yaml

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ACCOUNTS = ["111122223333", "444455556666", "777788889999"]
REGIONS = ["us-east-1", "us-east-1", "us-east-1", "us-west-2", "us-west-2", "eu-west-1", "eu-central-1",
           "ap-southeast-2"]
SERVICES = ["ec2.amazonaws.com", "lambda.amazonaws.com", "cloudformation.amazonaws.com",
            "autoscaling.amazonaws.com", "elasticloadbalancing.amazonaws.com", "config.amazonaws.com"]
START_DAY = (2024, 7, 1)
VERSION = 3  # bump when the same seed and size give other files
VOLATILE = ("p_", "@")


def load_templates():
    events = []
    for path in sorted((SHARED / "stratus-red-team-detonation-logs").glob("*.json")):
        events += json.loads(path.read_text())
    for line in (SHARED / "otrf-security-datasets" / "ec2_proxy_s3_exfiltration_2020-09-14011940.json").read_text().splitlines():
        if line.strip():
            events.append(json.loads(line))
    for path in sorted((SHARED / "cloud-custodian-cwe").glob("event-cloud-trail-*.json")):
        doc = json.loads(path.read_text())
        events.append(doc["detail"] if doc.get("detail-type", "").endswith("via CloudTrail") else doc)
    events += json.loads((SHARED / "cado-cloudgrep" / "cloudtrail.json").read_text())["Records"]
    for path in sorted((SHARED / "panther-analysis" / "aws_cloudtrail_rules").glob("*.yml")):
        rule = yaml.safe_load(path.read_text())
        for test in rule.get("Tests") or []:
            log = test.get("Log")
            if isinstance(log, dict) and "eventName" in log and "eventSource" in log:
                events.append(log)
    templates = []
    for e in events:
        e = {k: v for k, v in e.items() if not k.startswith(VOLATILE)}
        if well_formed(e):
            templates.append(e)
    return templates


def well_formed(e):
    """Shaped as CloudTrail writes records (some hand-written test cases are not)."""
    keys = [k.lower() for k in e]
    resources = e.get("resources", [])
    return (isinstance(e.get("userIdentity"), dict) and isinstance(e.get("eventName"), str)
            and len(keys) == len(set(keys))
            and isinstance(resources, list) and all(isinstance(r, dict) for r in resources)
            and isinstance(e.get("tlsDetails", {}), dict)
            and all(isinstance(e.get(k), (dict, type(None))) for k in ("requestParameters", "responseElements")))


def make_principals(rng, agents):
    def ip():
        return f"{rng.choice([3, 18, 34, 52, 54, 81, 92, 104, 145, 185, 198, 203])}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"

    def key(prefix):
        return prefix + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))

    principals = []
    for i in range(160):
        account = rng.choice(ACCOUNTS)
        name = f"{rng.choice(['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'ci', 'deploy', 'backup', 'terraform'])}-{i:03d}"
        principals.append({
            "identity": {"type": "IAMUser", "principalId": key("AIDA"), "arn": f"arn:aws:iam::{account}:user/{name}",
                         "accountId": account, "userName": name},
            "keys": [key("AKIA") for _ in range(rng.choice([1, 1, 2]))],
            "ips": [ip() for _ in range(rng.choice([1, 2, 3, 5]))], "agents": rng.sample(agents, 2), "account": account})
    for i in range(60):
        account = rng.choice(ACCOUNTS)
        role = f"{rng.choice(['Admin', 'ReadOnly', 'Deploy', 'Lambda', 'EC2Instance', 'Audit'])}Role{i:02d}"
        role_id = key("AROA")
        for s in range(rng.choice([1, 2, 4])):
            session = f"{rng.choice(['i-0', 'botocore-session-', 'user', 'gh-actions-'])}{rng.randrange(10**8):08d}"
            principals.append({
                "identity": {"type": "AssumedRole", "principalId": f"{role_id}:{session}",
                             "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}", "accountId": account,
                             "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": role_id,
                                                                  "arn": f"arn:aws:iam::{account}:role/{role}",
                                                                  "accountId": account, "userName": role},
                                                "attributes": {"creationDate": "2024-07-01T00:00:00Z",
                                                               "mfaAuthenticated": "false"}}},
                "keys": [key("ASIA")], "ips": [ip() for _ in range(rng.choice([1, 2]))],
                "agents": rng.sample(agents, 2), "account": account})
    for service in SERVICES:
        principals.append({"identity": {"type": "AWSService", "invokedBy": service}, "keys": [None],
                           "ips": [service], "agents": [service], "account": None})
    for account in ACCOUNTS:
        principals.append({"identity": {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root",
                                        "accountId": account},
                           "keys": [key("AKIA")], "ips": [ip()], "agents": rng.sample(agents, 1), "account": account})
    # A few principals make most calls, as in real trails.
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(principals))]
    rng.shuffle(weights)
    return principals, weights


def plan_files(rng, size_bytes, average_record, minute=0, first_index=0):
    """Files for about size_bytes, from `minute` on; returns them and the minute after them."""
    files = []
    total = 0
    while total < size_bytes:
        day, rest = divmod(minute, 24 * 60)
        for account in ACCOUNTS:
            for region in sorted(set(REGIONS)):
                if rng.random() < 0.6:
                    continue
                records = max(1, int(rng.lognormvariate(5.3, 0.9)))
                files.append((first_index + len(files), account, region, day, rest, records))
                total += records * average_record
        minute += 5
    return files, minute


def day_text(day):
    import datetime
    d = datetime.date(*START_DAY) + datetime.timedelta(days=day)
    return d


SHARED_STATE = {}


def init_worker(state):
    SHARED_STATE.update(state)


def write_file(args):
    index, account, region, day, minute_of_day, count = args
    out_dir, seed, templates, principals, weights = (SHARED_STATE[k] for k in ("out", "seed", "templates", "principals", "weights"))
    rng = random.Random(f"{seed}/{index}")
    date = day_text(day)
    hour, minute = divmod(minute_of_day, 60)
    stamp = f"{date:%Y%m%d}T{hour:02d}{minute:02d}Z"
    folder = Path(out_dir) / "AWSLogs" / account / "CloudTrail" / region / f"{date:%Y}" / f"{date:%m}" / f"{date:%d}"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{account}_CloudTrail_{region}_{stamp}_{''.join(rng.choice('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789') for _ in range(16))}.json.gz"
    counts = {}
    records = []
    for _ in range(count):
        t = rng.choice(templates)
        p = rng.choices(principals, weights)[0]
        record = dict(t)
        identity = dict(p["identity"])
        if p["account"] is None:
            identity = {"type": "AWSService", "invokedBy": p["identity"]["invokedBy"]}
        else:
            identity["accessKeyId"] = rng.choice(p["keys"])
        record["userIdentity"] = identity
        second = rng.randrange(300)
        record["eventTime"] = f"{date:%Y-%m-%d}T{hour:02d}:{minute + second // 60:02d}:{second % 60:02d}Z"
        record["awsRegion"] = region
        record["recipientAccountId"] = account
        record["sourceIPAddress"] = rng.choice(p["ips"])
        record["userAgent"] = rng.choice(p["agents"])
        record["eventID"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        record["requestID"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if rng.random() < 0.03:
            record["errorCode"] = "AccessDenied"
            record["errorMessage"] = "User is not authorized to perform this operation"
        records.append(record)
        key = identity.get("accessKeyId")
        counts[key] = counts.get(key, 0) + 1
    text = json.dumps({"Records": records}, separators=(",", ":")).encode()
    (folder / name).write_bytes(gzip.compress(text, compresslevel=6, mtime=0))
    return len(text), count, counts


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("--size-mb", type=int, default=2048, help="uncompressed size to reach")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    args = parser.parse_args()
    out = Path(args.out_dir)
    manifest_path = out / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if (manifest.get("seed"), manifest.get("size_mb"), manifest.get("version")) == (args.seed, args.size_mb, VERSION):
            print(f"reusing {out} ({manifest['bytes'] / 1e6:.0f} MB, {manifest['records']} records)")
            return
        sys.exit(f"{out} holds other data (seed/size differ): remove it first")
    rng = random.Random(args.seed)
    templates = load_templates()
    agents = sorted({t["userAgent"] for t in templates if isinstance(t.get("userAgent"), str)})
    principals, weights = make_principals(rng, agents)
    average = sum(len(json.dumps(t, separators=(",", ":"))) for t in templates) / len(templates) + 150
    state = {"out": str(out), "seed": args.seed, "templates": templates, "principals": principals, "weights": weights}
    total_bytes = total_records = files = minute = 0
    key_counts = {}
    target = args.size_mb * 1_000_000
    with multiprocessing.Pool(args.jobs, initializer=init_worker, initargs=(state,)) as pool:
        # The size of a record is only estimated: plan again for what is missing until reached.
        while total_bytes < target:
            planned, minute = plan_files(rng, max(target - total_bytes, 1), average, minute, files)
            files += len(planned)
            for size, count, counts in pool.imap_unordered(write_file, planned, chunksize=16):
                total_bytes += size
                total_records += count
                for k, v in counts.items():
                    key_counts[k] = key_counts.get(k, 0) + v
    # The access-key question asks about a key of middling activity.
    ranked = sorted((v, k) for k, v in key_counts.items() if k)
    needle_count, needle = ranked[len(ranked) // 2]
    manifest = {"version": VERSION, "seed": args.seed, "size_mb": args.size_mb, "files": files, "bytes": total_bytes,
                "records": total_records, "templates": len(templates), "principals": len(principals),
                "needle_access_key": needle, "needle_records": needle_count}
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    print(json.dumps(manifest))


if __name__ == "__main__":
    main()
