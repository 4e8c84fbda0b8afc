"""A loopback proxy in front of moto for tests that need AWS to say no: `answer(method, path,
headers, body)` returns (status, XML payload) to answer a request itself, or None to pass it on
to moto unchanged. Used as `with intercepting_proxy(moto.url, answer) as url:`."""
import http.client
import http.server
import threading
import urllib.parse
from contextlib import contextmanager


@contextmanager
def intercepting_proxy(target_url, answer):
    target = urllib.parse.urlsplit(target_url)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
            answered = answer(self.command, self.path, self.headers, body)
            if answered is not None:
                status, payload = answered
                headers, payload = [("Content-Type", "text/xml")], payload.encode()
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

    class Server(http.server.ThreadingHTTPServer):
        # socketserver's default backlog of 5 drops the SYNs of a client opening more connections
        # at once, and each dropped one stalls the run for a 1 s retransmit.
        request_queue_size = 128

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
