"""Shared by the benchmarks that count AWS round trips: a moto server, and a loopback proxy in
front of it that adds a fixed delay to every request (as a distant region would) and records
each call's operation, start and end. Not part of the tests."""
import argparse
import http.client
import http.server
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.calls = []  # (start, end, operation)

    def add(self, start, end, operation):
        with self.lock:
            self.calls.append((start, end, operation))


def make_proxy(target_port, delay, recorder):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do(self):
            start = time.monotonic()
            body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
            operation = self.headers.get("X-Amz-Target", "")
            if not operation:
                form = urllib.parse.parse_qs(body.decode("latin-1")) if body else {}
                operation = form.get("Action", [self.path])[0]
            time.sleep(delay)
            connection = http.client.HTTPConnection("127.0.0.1", target_port, timeout=120)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            recorder.add(start, time.monotonic(), operation)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do

        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        # socketserver's default backlog of 5 drops the SYNs of a client opening more connections
        # at once, and each dropped one costs a 1 s retransmit that is the proxy's, not the client's.
        request_queue_size = 128

    server = Server(("127.0.0.1", free_port()), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def round_trip_arguments():
    """--delay-ms (default 50) as (milliseconds, seconds), and the firebreak binary: FIREBREAK_BIN,
    or the release build."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay-ms", type=float, default=50)
    args = parser.parse_args()
    binary = os.environ.get("FIREBREAK_BIN", str(Path(__file__).resolve().parents[1] / "build" / "release" / "firebreak"))
    return args.delay_ms, args.delay_ms / 1000, binary


def firebreak_env(home, port, access_key="testing", secret_key="testing"):
    """The environment for running firebreak against 127.0.0.1:port (the proxy), with the given
    keys and nothing from the machine's own AWS configuration; FIREBREAK_HOME is `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": secret_key, "AWS_REGION": "us-east-1",
                "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_MAX_ATTEMPTS": "2",
                "AWS_CONFIG_FILE": f"{home}/none", "AWS_SHARED_CREDENTIALS_FILE": f"{home}/none",
                "FIREBREAK_HOME": str(home)})
    return env


def start_moto():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1)
            return process, port
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("moto did not start")


def sequential_round_trips(calls, start, end):
    """The round trips that had to follow one another between start and end: the most calls
    in that window of which none overlaps the next (earliest-finishing first finds it)."""
    count, free_from = 0, start
    for call_start, call_end, _ in sorted(calls, key=lambda c: c[1]):
        if call_start >= free_from and call_end <= end:
            count, free_from = count + 1, call_end
    return count
