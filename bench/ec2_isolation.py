"""Benchmark for issue 4: API calls and sequential round trips of `firebreak ec2 --apply`, for 1
and for 20 instances in one run, against moto behind a loopback proxy that adds a fixed delay
to every request (as a distant region would). Not part of the tests.

    FIREBREAK_BIN=build/release/firebreak .venv/bin/python bench/ec2_isolation.py [--delay-ms 50]

Sequential round trips = elapsed time / delay (the client's own time is small next to 50 ms).
"isolated" is the end of the last ModifyNetworkInterfaceAttribute; it is counted from the end
of the metadata capture (the last GetConsoleOutput)."""
import argparse
import os
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import boto3

from delay_proxy import Recorder, make_proxy, start_moto

ROOT = Path(__file__).resolve().parents[1]


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


def measure(binary, moto_port, delay, count):
    instances = world(moto_port, count)
    recorder = Recorder()
    proxy = make_proxy(moto_port, delay, recorder)
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
                    "AWS_ENDPOINT_URL": f"http://127.0.0.1:{proxy.server_address[1]}", "AWS_MAX_ATTEMPTS": "2",
                    "AWS_CONFIG_FILE": f"{home}/none", "AWS_SHARED_CREDENTIALS_FILE": f"{home}/none",
                    "FIREBREAK_HOME": home})
        start = time.monotonic()
        result = subprocess.run([binary, "ec2", *instances, "--apply", "--case", f"bench-{count}"], env=env,
                                capture_output=True, text=True)
        total = time.monotonic() - start
    proxy.shutdown()
    if result.returncode != 0:
        raise SystemExit(f"firebreak failed:\n{result.stdout}\n{result.stderr}")
    calls = sorted(recorder.calls)
    metadata_done = max(end for _, end, op in calls if op == "GetConsoleOutput")
    swaps = [end for _, end, op in calls if op == "ModifyNetworkInterfaceAttribute"]
    isolated = max(swaps)
    return {"instances": count, "calls": len(calls),
            "calls_to_isolated": sum(1 for s, _, _ in calls if s < isolated),
            "round_trips_isolated_after_metadata": (isolated - metadata_done) / delay,
            "round_trips_all": total / delay, "seconds": total}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay-ms", type=float, default=50)
    args = parser.parse_args()
    binary = os.environ.get("FIREBREAK_BIN", str(ROOT / "build" / "release" / "firebreak"))
    delay = args.delay_ms / 1000
    moto, port = start_moto()
    try:
        rows = [measure(binary, port, delay, n) for n in (1, 20)]
    finally:
        moto.terminate()
    print(f"delay per request: {args.delay_ms:.0f} ms")
    print(f"{'instances':>9} {'calls':>6} {'calls->isolated':>15} {'RT isolated after metadata':>27} "
          f"{'RT all':>7} {'seconds':>8}")
    for r in rows:
        print(f"{r['instances']:>9} {r['calls']:>6} {r['calls_to_isolated']:>15} "
              f"{r['round_trips_isolated_after_metadata']:>27.1f} {r['round_trips_all']:>7.1f} {r['seconds']:>8.2f}")
    print(f"20 instances / 1 instance wall time: {rows[1]['seconds'] / rows[0]['seconds']:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
