"""Benchmark for issue 5: `firebreak account --apply` on an account with 200 users (1 or 2 access
keys each; some with a login profile, an MFA device, an SSH key; a few added after the baseline)
and EC2 key pairs in 16 regions, against moto behind a loopback proxy that adds a fixed delay to
every request. Not part of the tests.

    FIREBREAK_BIN=build/release/firebreak .venv/bin/python bench/account_playbook.py [--delay-ms 50]

The peer is the same calls made one after another: calls x delay, and the sum of each call's
measured duration (delay plus moto's own time). Target: wall / sum <= 1/5."""
import subprocess
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

import boto3

from delay_proxy import (Recorder, firebreak_env, make_proxy, round_trip_arguments, sequential_round_trips,
                         start_moto)

ROOT = Path(__file__).resolve().parents[1]
TRAIL_LOGS = ROOT.parent / "shared" / "data" / "stratus-red-team-detonation-logs"
USERS = 200
UNAUTHORIZED = 10  # the last users, created after the baseline
KEY_PAIR_REGIONS = 16
SSH_KEY = ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDiGzJmL9c0u7eP1w2P7w2bT8F9Ggq3xM3e7d3oKq0bXwJ9GvS3P5hM1o"
           "Kz8c8m2u3a7y1p2x9QWbV5zZrLk1G4yPp0aH8vNq0O4p9Zx2tQ8c4dJ5a3X9F0k6LwYb7e2W1R3p4fS8u0TqVn5mY2h6Gj1C0x"
           "zq7Jv9b3KdF2sN6a8L1u4Qm0eT5yW7rP3cX9oH2i4kZ6jB8gA1fD5nS7vU0wE3tR9lM2bY4pC6qI8hK0xO1zG3aJ5dL7eN9f"
           "T1vX3cQ5sU7wY9A2kE4mG6iO8rT0uW2yB4dF6hJ8lN0pR2tV4xZ6B8D0F2H4J6L8N0P2R4T6V8X0Z2b4d6f8h0j2l4n6p8r0t"
           "2v4x6z8B0D2F4H6J8L0N2P4R6T8V0X2Z4b6d8f0h2j4l6n8p0r2t4v6x8z0 bench@example")


def client(port, service, region="us-east-1"):
    return boto3.client(service, region_name=region, endpoint_url=f"http://127.0.0.1:{port}",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def make_user(iam, index):
    name = f"user-{index:03d}"
    iam.create_user(UserName=name)
    for _ in range(1 + index % 2):
        iam.create_access_key(UserName=name)
    if index % 5 == 0:
        iam.create_login_profile(UserName=name, Password="Correct-Horse-9")
    if index % 7 == 0:
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(UserName=name, SerialNumber=serial, AuthenticationCode1="123456",
                              AuthenticationCode2="654321")
    if index % 11 == 0:
        iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=SSH_KEY)


def run(binary, args, env):
    result = subprocess.run([binary, *map(str, args)], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"firebreak {' '.join(map(str, args))} exited {result.returncode}:\n"
                         f"{result.stdout}\n{result.stderr}")
    return result


def world(binary, port, home):
    """The account, and its baseline captured before the last users were made (straight to moto)."""
    urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/moto-api/reset", method="POST"))
    iam = client(port, "iam")
    iam.create_user(UserName="responder")
    key = iam.create_access_key(UserName="responder")["AccessKey"]
    regions = sorted(r["RegionName"] for r in client(port, "ec2").describe_regions()["Regions"]
                     if r.get("OptInStatus") != "not-opted-in")[:KEY_PAIR_REGIONS]
    for region in regions:
        ec2 = client(port, "ec2", region)
        for n in range(2):
            ec2.create_key_pair(KeyName=f"ops-{region}-{n}")
    for index in range(USERS - UNAUTHORIZED):
        make_user(iam, index)
    env = firebreak_env(home, port, key["AccessKeyId"], key["SecretAccessKey"])
    baseline = Path(home) / "baseline.json"
    run(binary, ["baseline", "capture", "-o", baseline], env)
    for index in range(USERS - UNAUTHORIZED, USERS):
        make_user(iam, index)
    return key, baseline


def main():
    delay_ms, delay, binary = round_trip_arguments()
    moto, port = start_moto()
    try:
        with tempfile.TemporaryDirectory() as home:
            key, baseline = world(binary, port, home)
            recorder = Recorder()
            proxy = make_proxy(port, delay, recorder)
            env = firebreak_env(home, proxy.server_address[1], key["AccessKeyId"], key["SecretAccessKey"])
            start = time.monotonic()
            run(binary, ["account", "--apply", "--case", "bench-account", "--baseline", baseline,
                         "--trail-logs", TRAIL_LOGS], env)
            end = time.monotonic()
            proxy.shutdown()
    finally:
        moto.terminate()
    calls = recorder.calls
    wall = end - start
    measured = sum(e - s for s, e, _ in calls)
    print(f"delay per request: {delay_ms:.0f} ms; {USERS} users ({UNAUTHORIZED} outside the baseline), "
          f"key pairs in {KEY_PAIR_REGIONS} regions")
    print("calls by operation: " + ", ".join(f"{op} {n}" for op, n in Counter(op for *_, op in calls).most_common()))
    print(f"calls:                                {len(calls)}")
    print(f"sequential peer, calls x delay:       {len(calls) * delay:8.2f} s")
    print(f"sequential peer, sum of durations:    {measured:8.2f} s")
    print(f"wall time:                            {wall:8.2f} s")
    print(f"round trips that had to follow one another: {sequential_round_trips(calls, start, end)}")
    print(f"wall / (calls x delay):               {wall / (len(calls) * delay):8.3f}")
    print(f"wall / sum of durations:              {wall / measured:8.3f}   (target <= 0.200)")


if __name__ == "__main__":
    main()
