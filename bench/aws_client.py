#!/usr/bin/env python3
"""Client-side CPU per AWS call: firebreak's client against boto3, same moto server, same calls.

Starts moto on 127.0.0.1, seeds instances, then makes N DescribeInstances calls with C threads
from firebreak (bench_aws_client_calls) and from boto3, and prints the CPU time per call of each
client process (moto's own CPU is not counted) and the ratio.

    .venv/bin/python bench/aws_client.py [--calls 2000] [--concurrency 4] [--instances 20]
"""
import argparse
import concurrent.futures
import json
import os
import resource
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[1]


def start_moto():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1)
            return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    sys.exit("moto did not start")


def boto3_cpu_per_call(url, calls, concurrency):
    client = boto3.client("ec2", region_name="us-east-1", endpoint_url=url,
                          config=Config(max_pool_connections=concurrency))
    client.describe_instances()  # warm-up, as for firebreak
    before = resource.getrusage(resource.RUSAGE_SELF)
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda _: client.describe_instances(), range(calls)))
    after = resource.getrusage(resource.RUSAGE_SELF)
    return ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) / calls


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--instances", type=int, default=20)
    parser.add_argument("--binary", default=str(ROOT / "build" / "release" / "bench_aws_client_calls"))
    args = parser.parse_args()

    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null",
                       "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"})
    moto, url = start_moto()
    try:
        os.environ["AWS_ENDPOINT_URL"] = url
        ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=url)
        image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        ec2.run_instances(ImageId=image, MinCount=args.instances, MaxCount=args.instances,
                          TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "bench"}]}])

        result = json.loads(subprocess.run([args.binary, str(args.calls), str(args.concurrency)],
                                           check=True, capture_output=True, text=True).stdout)
        assert result["instances_seen"] == args.calls * args.instances, result
        firebreak = result["cpu_seconds"] / args.calls
        boto = boto3_cpu_per_call(url, args.calls, args.concurrency)
    finally:
        moto.terminate()
    print(f"DescribeInstances x{args.calls}, concurrency {args.concurrency}, {args.instances} instances per response")
    print(f"  firebreak client CPU per call: {firebreak * 1e6:9.1f} us")
    print(f"  boto3 client CPU per call:     {boto * 1e6:9.1f} us")
    print(f"  ratio firebreak/boto3:         {firebreak / boto:9.3f}  (target <= 0.100)")


if __name__ == "__main__":
    main()
