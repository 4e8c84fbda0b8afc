"""Benchmark for issue 4: API calls and sequential round trips of `firebreak ec2 --apply`, for 1
and for 20 instances in one run, against moto behind a loopback proxy that adds a fixed delay
to every request (as a distant region would). Not part of the tests.

    FIREBREAK_BIN=build/release/firebreak .venv/bin/python bench/ec2_isolation.py [--delay-ms 50]

Two counts of round trips: sequential_round_trips() (the calls that had to follow one another,
from the proxy's record) and elapsed time / delay (which adds the client's own time and waits).
"isolated" is the end of the last ModifyNetworkInterfaceAttribute; it is counted from the end
of the metadata capture (the time of the capture step's "observed" row in the case ledger)."""
import datetime
import sqlite3
import subprocess
import tempfile
import time
import urllib.request

import boto3

from delay_proxy import (Recorder, firebreak_env, make_proxy, round_trip_arguments, sequential_round_trips,
                         start_moto)


def world(port, count):
    urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/moto-api/reset", method="POST"))
    ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    out = ec2.run_instances(ImageId=image, MinCount=count, MaxCount=count, SubnetId=subnet,
                            BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8}}])
    return [i["InstanceId"] for i in out["Instances"]]


def capture_observed(home, case, monotonic_offset):
    """When the metadata capture finished reading, on time.monotonic()'s clock."""
    with sqlite3.connect(f"file:{home}/ledger.db?mode=ro", uri=True) as db:
        (stamp,) = db.execute("SELECT time FROM ledger WHERE case_id = ? AND step = 'capture-metadata' "
                              "AND action = 'observed' ORDER BY seq DESC LIMIT 1", (case,)).fetchone()
    wall = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    return wall - monotonic_offset


def measure(binary, moto_port, delay, count):
    instances = world(moto_port, count)
    recorder = Recorder()
    proxy = make_proxy(moto_port, delay, recorder)
    with tempfile.TemporaryDirectory() as home:
        env = firebreak_env(home, proxy.server_address[1])
        case = f"bench-{count}"
        start = time.monotonic()
        result = subprocess.run([binary, "ec2", *instances, "--apply", "--case", case], env=env,
                                capture_output=True, text=True)
        total = time.monotonic() - start
        if result.returncode != 0:
            raise SystemExit(f"firebreak failed:\n{result.stdout}\n{result.stderr}")
        metadata_done = capture_observed(home, case, time.time() - time.monotonic())
    proxy.shutdown()
    calls = sorted(recorder.calls)
    first, last = calls[0][0], max(end for _, end, _ in calls)
    isolated = max(end for _, end, op in calls if op == "ModifyNetworkInterfaceAttribute")
    return {"instances": count, "calls": len(calls),
            "calls_to_isolated": sum(1 for s, _, _ in calls if s < isolated),
            "rt_isolated": sequential_round_trips(calls, metadata_done, isolated),
            "elapsed_isolated": (isolated - metadata_done) / delay,
            "rt_to_isolated": sequential_round_trips(calls, first, isolated),
            "rt_all": sequential_round_trips(calls, first, last),
            "elapsed_all": total / delay, "seconds": total}


def main():
    delay_ms, delay, binary = round_trip_arguments()
    moto, port = start_moto()
    try:
        rows = [measure(binary, port, delay, n) for n in (1, 20)]
        # The emulator's own floor: the same 20-instance run with no added delay is as fast as
        # moto can serve those calls, whatever the client does.
        undelayed = measure(binary, port, 1e-6, 20)
    finally:
        moto.terminate()
    print(f"delay per request: {delay_ms:.0f} ms")
    print("RT = sequential round trips (calls that had to follow one another); elapsed = time / delay")
    print(f"{'instances':>9} {'calls':>6} {'calls->isolated':>15} {'metadata->isolated RT':>21} {'elapsed':>8} "
          f"{'start->isolated RT':>18} {'all RT':>7} {'elapsed':>8} {'seconds':>8}")
    for r in rows:
        print(f"{r['instances']:>9} {r['calls']:>6} {r['calls_to_isolated']:>15} {r['rt_isolated']:>21} "
              f"{r['elapsed_isolated']:>8.1f} {r['rt_to_isolated']:>18} {r['rt_all']:>7} {r['elapsed_all']:>8.1f} "
              f"{r['seconds']:>8.2f}")
    print("target: metadata->isolated <= 4 RT")
    print(f"20 instances / 1 instance wall time: {rows[1]['seconds'] / rows[0]['seconds']:.2f}x (target <= 2x)")
    print(f"moto serving the 20-instance run with no delay: {undelayed['seconds']:.2f} s; with the delay "
          f"{rows[1]['seconds']:.2f} s = {rows[1]['seconds'] / undelayed['seconds']:.2f}x the emulator's own time")


if __name__ == "__main__":
    main()
