"""End-to-end test bed: a moto server on 127.0.0.1, firebreak run as a subprocess against it,
and boto3 clients to check independently what firebreak did."""
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = ROOT.parent / "shared" / "data"
REGION = "us-east-1"
# moto accepts any key; these are moto's documented test values, not real credentials.
TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def firebreak_binary():
    path = Path(os.environ.get("FIREBREAK_BIN", ROOT / "build" / "release" / "firebreak"))
    if not path.exists():
        pytest.exit(f"firebreak binary not found at {path}; build first (see README.md)", 2)
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MotoServer:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/moto-api/", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("moto server did not start")

    def reset(self):
        urllib.request.urlopen(urllib.request.Request(self.url + "/moto-api/reset", method="POST"))

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="session")
def moto():
    server = MotoServer()
    yield server
    server.stop()


@pytest.fixture
def fresh_moto(moto):
    """The moto server, emptied before the test."""
    moto.reset()
    return moto


@pytest.fixture
def aws_env(moto, tmp_path):
    """The environment firebreak runs in: moto's endpoint, test credentials, no real config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(TEST_CREDENTIALS)
    env.update({
        "AWS_ENDPOINT_URL": moto.url,
        "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        # moto answers unimplemented operations with HTTP 500: do not retry them for long.
        "AWS_MAX_ATTEMPTS": "2",
        "FIREBREAK_HOME": str(tmp_path / "firebreak-home"),
    })
    return env


@pytest.fixture
def boto(moto):
    """boto3 clients against moto: boto("ec2"), boto("s3", region_name="eu-west-1")."""
    def make(service, region_name=REGION):
        return boto3.client(service, region_name=region_name, endpoint_url=moto.url,
                            aws_access_key_id="testing", aws_secret_access_key="testing",
                            # s3control's account-id host prefix cannot resolve in front of 127.0.0.1.
                            config=Config(retries={"max_attempts": 1}, inject_host_prefix=False))
    return make


class Firebreak:
    def __init__(self, env):
        self.env = env
        self.binary = firebreak_binary()

    def run(self, *args, input=None, check=False, env=None, timeout=300):
        """Runs firebreak; returns the CompletedProcess (text mode). `env` entries override
        the test environment; a value of None removes the variable."""
        merged = {**self.env, **(env or {})}
        merged = {k: v for k, v in merged.items() if v is not None}
        result = subprocess.run([str(self.binary), *map(str, args)], input=input,
                                capture_output=True, text=True, env=merged, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"firebreak {' '.join(map(str, args))} exited "
                                 f"{result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}")
        return result

    def json(self, *args, **kwargs):
        """Runs firebreak and parses its standard output as JSON."""
        result = self.run(*args, check=True, **kwargs)
        return json.loads(result.stdout)


@pytest.fixture
def firebreak(aws_env):
    return Firebreak(aws_env)


@pytest.fixture
def denied_responder(moto, boto):
    """A responder allowed everything but one action, with moto checking IAM while it acts:
        with denied_responder("s3:GetBucketPolicy") as env:
            firebreak.run(..., env=env)"""
    def enforce(free_requests):  # moto checks IAM once this many requests have gone unchecked
        urllib.request.urlopen(urllib.request.Request(moto.url + "/moto-api/reset-auth", data=free_requests,
                                                      method="POST", headers={"Content-Type": "text/plain"}))

    @contextlib.contextmanager
    def responder(action):
        iam = boto("iam")
        iam.create_user(UserName="responder")
        iam.put_user_policy(UserName="responder", PolicyName="all-but-one", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": action, "Resource": "*"}]}))
        key = iam.create_access_key(UserName="responder")["AccessKey"]
        enforce(b"0")
        try:
            yield {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
        finally:
            enforce(b"inf")
    return responder
