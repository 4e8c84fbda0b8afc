#!/usr/bin/env python3
"""Hunting an S3 trail bucket: does firebreak keep its cores busy while objects download?

A slice of the tree bench/cloudtrail_generate.py makes is put in a moto bucket, behind the
loopback proxy of bench/delay_proxy.py that adds a fixed delay to every request (S3's
first-byte latency). The same summary is run on the slice as local files and from the bucket:

  local files        the CPU-bound time: what the hunt costs once the bytes are here
  s3://, delayed     wall time, GETs in flight (most and mean), and the latency floor: the
                     GETs x delay / in flight, which no number of cores can beat
  s3://, no delay    the emulator's own time: how fast moto and the proxy (Python, on the
                     same cores) serve those requests at all

    bench/cloudtrail_s3.py [--objects 600] [--delay-ms 50] [--data-dir DIR] [--build build/release]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3

from delay_proxy import Recorder, firebreak_env, make_proxy, start_moto

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def timed(command, env):
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {command}\n{process.stderr.read().decode()}")
    return wall, usage.ru_utime + usage.ru_stime


def in_flight(calls):
    """The most and the mean number of calls in progress while any was."""
    edges = sorted([(start, 1) for start, _, _ in calls] + [(end, -1) for _, end, _ in calls])
    most = current = 0
    busy = weighted = 0.0
    last = edges[0][0]
    for at, step in edges:
        if current:
            busy += at - last
            weighted += current * (at - last)
        current += step
        most = max(most, current)
        last = at
    return most, weighted / busy if busy else 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=600)
    parser.add_argument("--delay-ms", type=float, default=50)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/firebreak-bench/cloudtrail-2048"))
    parser.add_argument("--build", type=Path, default=ROOT / "build" / "release")
    args = parser.parse_args()
    firebreak = args.build / "firebreak"
    if not (args.data_dir / "AWSLogs").is_dir():
        subprocess.run([sys.executable, HERE / "cloudtrail_generate.py", args.data_dir], check=True)
    files = sorted((args.data_dir / "AWSLogs").rglob("*.json.gz"))[: args.objects]

    work = Path(tempfile.mkdtemp(prefix="cloudtrail-s3-bench-"))
    moto, port = start_moto()
    try:
        s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        s3.create_bucket(Bucket="trail")
        size = 0
        for path in files:
            key = path.relative_to(args.data_dir).as_posix()
            (work / key).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, work / key)
            s3.upload_file(str(path), "trail", key)
            size += path.stat().st_size

        question = ["--output", "summary"]
        local = firebreak_env(work, port)
        timed([str(firebreak), "hunt", str(work / "AWSLogs"), *question], local)  # warm the page cache
        local_wall, local_cpu = timed([str(firebreak), "hunt", str(work / "AWSLogs"), *question], local)

        def from_s3(delay, recorder):
            proxy = make_proxy(port, delay, recorder)
            try:
                return timed([str(firebreak), "hunt", "s3://trail/AWSLogs/", *question],
                             firebreak_env(work, proxy.server_address[1]))
            finally:
                proxy.shutdown()

        recorder = Recorder()
        s3_wall, s3_cpu = from_s3(args.delay_ms / 1000, recorder)
        undelayed_wall, _ = from_s3(0, Recorder())
    finally:
        moto.terminate()
        shutil.rmtree(work, ignore_errors=True)

    gets = [c for c in recorder.calls if c[2].startswith("/trail/AWSLogs/") and c[2].endswith(".json.gz")]
    lists = [c for c in recorder.calls if c not in gets]
    most, mean = in_flight(gets)
    first_get = min(start for start, _, _ in gets)
    cores = os.cpu_count()
    print(f"{len(files)} objects, {size / 1e6:.0f} MB compressed; {args.delay_ms:.0f} ms per request; {cores} cores")
    print(f"  local files     {local_wall:6.2f} s wall {local_cpu:6.2f} s CPU")
    print(f"  s3://           {s3_wall:6.2f} s wall {s3_cpu:6.2f} s CPU = {s3_cpu / (s3_wall * cores):.0%} of the cores")
    print(f"  requests        {len(lists)} listings, ending {max(e for _, e, _ in lists) - min(s for s, _, _ in lists):.2f} s "
          f"after the first; {len(gets)} GETs, the first {first_get - min(s for s, _, _ in lists):.2f} s after it")
    print(f"  GETs in flight  most {most}, mean {mean:.1f}")
    print(f"  latency floor   {len(gets)} GETs x {args.delay_ms:.0f} ms / {mean:.1f} in flight = "
          f"{len(gets) * args.delay_ms / 1000 / mean:.2f} s")
    print(f"  emulator        the same hunt with no delay: {undelayed_wall:.2f} s; with the delay "
          f"{s3_wall / undelayed_wall:.2f}x that")


if __name__ == "__main__":
    main()
