"""The IAM world the credentials, role and account tests share: users with several keys, a
responder with its own key, and helpers to read what firebreak recorded."""
import json
import re
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from conftest import SHARED_DATA
from intercepting_proxy import intercepting_proxy

STRATUS_LOGS = SHARED_DATA / "stratus-red-team-detonation-logs"


def make_user(iam, name, keys=1):
    iam.create_user(UserName=name)
    return [iam.create_access_key(UserName=name)["AccessKey"] for _ in range(keys)]


def key_status(iam, user):
    return {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]}


class World:
    """alice (two keys, the first exposed), bob (one key), and the responder, whose key runs firebreak."""

    def __init__(self, boto, firebreak):
        self.iam = boto("iam")
        self.alice_exposed, self.alice_other = make_user(self.iam, "alice", keys=2)
        (self.bob_key,) = make_user(self.iam, "bob")
        (self.responder_key,) = make_user(self.iam, "responder")
        self.env = {"AWS_ACCESS_KEY_ID": self.responder_key["AccessKeyId"],
                    "AWS_SECRET_ACCESS_KEY": self.responder_key["SecretAccessKey"]}
        self.firebreak = firebreak

    def run(self, *args, env=None):
        return self.firebreak.run("--output", "json", *args, env={**self.env, **(env or {})})


def steps_of(result):
    return {s["name"]: s for s in json.loads(result.stdout)["steps"]}


def ledger_bytes(env):
    """Everything the ledger holds, as text: secrets must not be anywhere in it."""
    path = Path(env["FIREBREAK_HOME"]) / "ledger.db"
    with sqlite3.connect(path) as db:
        rows = []
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'"):
            rows += [repr(r) for r in db.execute(f"SELECT * FROM {table}")]
    return "\n".join(rows) + path.read_bytes().decode("latin-1")


def evidence(result, step, name_prefix):
    for record in steps_of(result)[step].get("evidence", []):
        if record["name"].startswith(name_prefix):
            return json.loads(Path(record["path"]).read_text())
    raise AssertionError(f"no evidence {name_prefix}* in step {step}")


def utc_now():
    return datetime.now(timezone.utc)


def refusing_proxy(target_url, region, service):
    """A loopback proxy in front of moto that answers every `service` call signed for `region` as
    EC2 answers a caller not allowed there (an SCP or a policy denying the region), and passes
    the rest on. Yields its URL."""
    scope = re.compile(rf"Credential=[^/]+/\d{{8}}/{re.escape(region)}/{re.escape(service)}/")

    def answer(method, path, headers, body):
        if not scope.search(headers.get("Authorization", "")):
            return None
        return 403, ("<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized "
                     "to perform this operation.</Message></Error></Errors><RequestID>r</RequestID></Response>")

    return intercepting_proxy(target_url, answer)
