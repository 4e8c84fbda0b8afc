"""The IAM world the credentials, role and account tests share: users with several keys, a
responder with its own key, and helpers to read what firebreak recorded."""
import http.client
import http.server
import json
import re
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from conftest import SHARED_DATA

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


@contextmanager
def refusing_proxy(target_url, region, service):
    """A loopback proxy in front of moto that answers every `service` call signed for `region` as
    EC2 answers a caller not allowed there (an SCP or a policy denying the region), and passes
    the rest on. Yields its URL."""
    target = http.client.urlsplit(target_url)
    scope = re.compile(rf"Credential=[^/]+/\d{{8}}/{re.escape(region)}/{re.escape(service)}/")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
            if scope.search(self.headers.get("Authorization", "")):
                status, headers, payload = 403, [("Content-Type", "text/xml")], (
                    "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized "
                    "to perform this operation.</Message></Error></Errors><RequestID>r</RequestID></Response>").encode()
            else:
                connection = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
                connection.request(self.command, self.path, body=body,
                                   headers={k: v for k, v in self.headers.items() if k.lower() != "connection"})
                response = connection.getresponse()
                status, payload = response.status, response.read()
                headers = [(k, v) for k, v in response.getheaders()
                           if k.lower() not in ("transfer-encoding", "connection", "content-length")]
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
