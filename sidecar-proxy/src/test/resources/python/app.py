"""The non-JVM workload behind the inbound listener: Python's standard http.server.

GET answers a JSON document with the request's path and headers (so tests see what the sidecar
passed on); a GET with Upgrade is accepted (101) and then echoes raw bytes; POST streams the body, counting bytes without keeping them, and answers the count.
Usage: python3 app.py <port> [bind-address, default 127.0.0.1]
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def _answer(self, document):
        body = json.dumps(document).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.headers.get("Upgrade"):
            return self._upgrade_to_echo()
        self._answer({"path": self.path,
                      "peer_ids": self.headers.get_all("X-Lanyard-Peer-Id") or [],
                      "headers": {k: v for k, v in self.headers.items()}})

    def _upgrade_to_echo(self):
        """Accepts any Upgrade with 101, then echoes raw bytes (a stand-in for WebSocket)."""
        self.send_response(101)
        self.send_header("Upgrade", self.headers["Upgrade"])
        self.send_header("Connection", "Upgrade")
        self.send_header("X-Seen-Peer-Id", ",".join(self.headers.get_all("X-Lanyard-Peer-Id") or []))
        self.end_headers()
        self.wfile.flush()
        while True:
            data = self.rfile.read1(65536)
            if not data:
                break
            self.wfile.write(data)
            self.wfile.flush()
        self.close_connection = True

    def do_POST(self):
        remaining = int(self.headers.get("Content-Length", "0"))
        received = 0
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 16))
            if not chunk:
                break
            received += len(chunk)
            remaining -= len(chunk)
        self._answer({"received": received,
                      "peer_ids": self.headers.get_all("X-Lanyard-Peer-Id") or []})

    def log_message(self, fmt, *args):
        sys.stderr.write("app: " + (fmt % args) + "\n")


server = ThreadingHTTPServer((sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1", int(sys.argv[1])),
                             Handler)
print("app listening on", server.server_address, flush=True)
server.serve_forever()
