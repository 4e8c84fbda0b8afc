#!/usr/bin/env python3
"""CloudTrail hunting benchmark: firebreak hunt against its floor and its peers, in one run.

On the same CloudTrail tree (made by cloudtrail_generate.py, reused when present) and the same
two questions -- every event of one access key, and a summary by principal -- it times:

  firebreak hunt                       (the product)
  bench_cloudtrail_floor               (libdeflate decompression alone, every core: the floor)
  bench_cloudtrail_floor --walk        (the floor, plus stepping over every record with simdjson's
                                        on-demand API and reading nothing: the least an answer
                                        that looks at every record costs with the hunt's parser)
  gzip -dc on every core               (decompression the usual way)
  jq on every core                     (gzip -dc | jq, the usual hunt)
  DuckDB read_json                     (SQL over the same files, all cores)

and prints wall and CPU seconds, the ratios against firebreak, and firebreak's peak RSS.
The answers are compared too: every tool must find the same events and principals.

  bench/cloudtrail_hunt.py [--size-mb 2048] [--data-dir DIR] [--build build/hunt]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# The record shape for DuckDB: the fields the questions read; nested payloads as JSON text.
IDENTITY = ("STRUCT(type VARCHAR, principalId VARCHAR, arn VARCHAR, accountId VARCHAR, invokedBy VARCHAR, "
            "accessKeyId VARCHAR, userName VARCHAR, sessionContext JSON)")
RECORD = (f"STRUCT(eventVersion VARCHAR, userIdentity {IDENTITY}, eventTime VARCHAR, eventSource VARCHAR, "
          "eventName VARCHAR, awsRegion VARCHAR, sourceIPAddress VARCHAR, userAgent VARCHAR, errorCode VARCHAR, "
          "errorMessage VARCHAR, requestParameters JSON, responseElements JSON, additionalEventData JSON, "
          "requestID VARCHAR, eventID VARCHAR, readOnly VARCHAR, resources JSON, eventType VARCHAR, "
          "recipientAccountId VARCHAR, eventCategory VARCHAR, tlsDetails JSON)")

JQ_PRINCIPAL = '($r.userIdentity.arn // $r.userIdentity.invokedBy // $r.userIdentity.principalId // $r.userIdentity.type // "")'
JQ_PARTIAL = f"""
reduce (inputs | .Records[]) as $r ({{}};
  {JQ_PRINCIPAL} as $p
  | .[$p].calls += 1
  | .[$p].errors += (if ($r.errorCode // "") != "" then 1 else 0 end)
  | .[$p].first = ([.[$p].first, $r.eventTime] | map(select(. != null)) | min)
  | .[$p].last = ([.[$p].last, $r.eventTime] | max)
  | .[$p].events[$r.eventName // ""] += 1
  | .[$p].regions[$r.awsRegion // ""] += 1
  | .[$p].ips[$r.sourceIPAddress // ""] += 1
  | .[$p].agents[$r.userAgent // ""] += 1
  | .[$p].keys[$r.userIdentity.accessKeyId // ""] += 1)"""
JQ_MERGE = """
def add_counts($a; $b): reduce ($b | to_entries[]) as $x ($a // {}; .[$x.key] += $x.value);
reduce .[] as $part ({}; reduce ($part | to_entries[]) as $e (.;
  .[$e.key].calls += $e.value.calls | .[$e.key].errors += $e.value.errors
  | .[$e.key].first = ([.[$e.key].first, $e.value.first] | map(select(. != null)) | min)
  | .[$e.key].last = ([.[$e.key].last, $e.value.last] | max)
  | .[$e.key].events = add_counts(.[$e.key].events; $e.value.events)
  | .[$e.key].regions = add_counts(.[$e.key].regions; $e.value.regions)
  | .[$e.key].ips = add_counts(.[$e.key].ips; $e.value.ips)
  | .[$e.key].agents = add_counts(.[$e.key].agents; $e.value.agents)
  | .[$e.key].keys = add_counts(.[$e.key].keys; $e.value.keys)))"""


def measure(command, stdout=subprocess.DEVNULL, shell=False):
    """Runs a command; returns (wall seconds, CPU seconds of it and its children, peak RSS in MB)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.PIPE, shell=shell,
                               executable="/bin/bash" if shell else None)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    stderr = process.stderr.read().decode()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"failed ({process.returncode}): {command}\n{stderr}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


# DuckDB comes with the project's test environment (scripts/setup.sh).
PYTHON_WITH_DUCKDB = ROOT / ".venv" / "bin" / "python"


def duckdb_command(sql):
    return [str(PYTHON_WITH_DUCKDB), "-c", f"import duckdb; duckdb.sql({sql!r})"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=2048)
    parser.add_argument("--data-dir", type=Path, help="default: /tmp/firebreak-bench/cloudtrail-SIZE")
    parser.add_argument("--build", type=Path, default=ROOT / "build" / "release",
                        help="build directory with firebreak and bench_cloudtrail_floor")
    args = parser.parse_args()
    data = args.data_dir or Path(f"/tmp/firebreak-bench/cloudtrail-{args.size_mb}")
    firebreak, floor = args.build / "firebreak", args.build / "bench_cloudtrail_floor"
    for binary in (firebreak, floor):
        if not binary.exists():
            sys.exit(f"{binary} not found: build it first (cmake --build {args.build})")
    subprocess.run([sys.executable, HERE / "cloudtrail_generate.py", data, "--size-mb", str(args.size_mb)], check=True)
    manifest = json.loads((data / "manifest.json").read_text())
    key, cores = manifest["needle_access_key"], os.cpu_count()
    trail = data / "AWSLogs"
    files = f"find {trail} -name '*.json.gz' -print0"
    glob = f"{trail}/**/*.json.gz"
    work = Path(tempfile.mkdtemp(prefix="cloudtrail-bench-"))
    print(f"data: {data}: {manifest['files']} files, {manifest['bytes'] / 1e6:.0f} MB of JSON, "
          f"{manifest['records']} records; {cores} cores")

    results = {}

    def run(question, tool, command, output=None, shell=False):
        out = open(output, "w") if output else subprocess.DEVNULL
        wall, cpu, rss = measure(command, stdout=out, shell=shell)
        if output:
            out.close()
        results[(question, tool)] = (wall, cpu, rss)
        print(f"  {question:<11} {tool:<10} {wall:8.2f} s wall {cpu:8.2f} s CPU {rss:8.0f} MB peak RSS", flush=True)

    measure([str(floor), str(trail)])  # warm the page cache: every tool reads from memory
    run("decompress", "floor", [str(floor), str(trail)])
    run("walk", "floor", [str(floor), str(trail), "--walk"])
    run("decompress", "gzip -dc", f"{files} | xargs -0 -P {cores} -n 32 gzip -dc > /dev/null", shell=True)

    run("access key", "firebreak", [str(firebreak), "hunt", str(trail), "--access-key", key, "--output", "jsonl"],
        output=work / "firebreak-key.jsonl")
    # firebreak's runs come right after the floors they are compared with, before the long peer
    # runs leave the machine in another state (a summary measured after DuckDB took 20% longer).
    run("summary", "firebreak", [str(firebreak), "--output", "json", "hunt", str(trail), "--output", "summary"],
        output=work / "firebreak-summary.json")
    run("access key", "jq", f"{files} | xargs -0 -P {cores} -n 32 sh -c 'gzip -dc \"$@\" | "
        f"jq -c \".Records[] | select(.userIdentity.accessKeyId == \\\"{key}\\\")\"' _", output=work / "jq-key.jsonl",
        shell=True)
    run("access key", "duckdb", duckdb_command(
        f"COPY (SELECT r.* FROM (SELECT unnest(Records) AS r FROM read_json('{glob}', columns = {{'Records': '{RECORD}[]'}})) "
        f"WHERE r.userIdentity.accessKeyId = '{key}') TO '{work}/duckdb-key.json' (FORMAT JSON)"))

    run("summary", "jq", f"{files} | xargs -0 -P {cores} -n 256 sh -c 'gzip -dc \"$@\" | jq -n -c \"$0\"' '{JQ_PARTIAL}' "
        f"| jq -s -c '{JQ_MERGE}'", output=work / "jq-summary.json", shell=True)
    principal = "coalesce(r.userIdentity.arn, r.userIdentity.invokedBy, r.userIdentity.principalId, r.userIdentity.type)"
    run("summary", "duckdb", duckdb_command(
        f"COPY (SELECT {principal} AS principal, count(*) AS calls, count(nullif(r.errorCode, '')) AS errors, "
        "min(r.eventTime) AS first_seen, max(r.eventTime) AS last_seen, histogram(r.eventName) AS events, "
        "histogram(r.awsRegion) AS regions, histogram(r.sourceIPAddress) AS ips, histogram(r.userAgent) AS agents, "
        "histogram(r.userIdentity.accessKeyId) AS keys "
        f"FROM (SELECT unnest(Records) AS r FROM read_json('{glob}', columns = {{'Records': '{RECORD}[]'}})) "
        f"GROUP BY 1) TO '{work}/duckdb-summary.json' (FORMAT JSON)"))

    # Every tool must have found the same answer.
    key_counts = {tool: sum(1 for _ in open(work / f"{tool}-key.jsonl" if tool != "duckdb" else work / "duckdb-key.json"))
                  for tool in ("firebreak", "jq", "duckdb")}
    fb_summary = {p["principal"]: p["calls"] for p in json.load(open(work / "firebreak-summary.json"))}
    jq_summary = {p: v["calls"] for p, v in json.load(open(work / "jq-summary.json")).items()}
    db_summary = {r["principal"]: r["calls"] for r in map(json.loads, open(work / "duckdb-summary.json"))}
    agree = (len(set(key_counts.values())) == 1 and key_counts["firebreak"] == manifest["needle_records"]
             and fb_summary == jq_summary == db_summary)
    print(f"answers: access key {key} -> {key_counts} (generator says {manifest['needle_records']}); "
          f"{len(fb_summary)} principals, {sum(fb_summary.values())} calls; "
          f"{'all tools agree' if agree else 'TOOLS DISAGREE'}")

    floor_wall, floor_cpu, _ = results[("decompress", "floor")]
    walk_wall, walk_cpu, _ = results[("walk", "floor")]
    print("\nratios (wall time; CPU time in brackets)")
    print(f"  floor with --walk / floor = {walk_wall / floor_wall:.2f} ({walk_cpu / floor_cpu:.2f})")
    for question in ("access key", "summary"):
        wall, cpu, rss = results[(question, "firebreak")]
        print(f"  {question}: firebreak / floor = {wall / floor_wall:.2f} ({cpu / floor_cpu:.2f})  [target <= 1.3]")
        if question == "summary":
            print(f"  {question}: firebreak / floor with --walk = {wall / walk_wall:.2f} ({cpu / walk_cpu:.2f})")
        for peer, target in (("jq", 25), ("duckdb", 3)):
            pw, pc, _ = results[(question, peer)]
            print(f"  {question}: {peer} / firebreak = {pw / wall:.1f} ({pc / cpu:.1f})  [target >= {target}]; "
                  f"{peer} / floor = {pw / floor_wall:.1f}, the most any hunt can reach")
        print(f"  {question}: firebreak peak RSS {rss:.0f} MB  [target < 256]")
    gzip_wall, gzip_cpu, _ = results[("decompress", "gzip -dc")]
    print(f"  gzip -dc / floor = {gzip_wall / floor_wall:.1f} ({gzip_cpu / floor_cpu:.1f})")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
