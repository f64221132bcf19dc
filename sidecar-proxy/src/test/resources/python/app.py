"""The non-JVM workload behind the inbound listener: Python's standard http.server.

GET (and any other method but POST, e.g. PURGE) answers a JSON document with the request's path
and headers (so tests see what the sidecar passed on); a GET with Upgrade is accepted (101) and
then echoes raw bytes, unless its path starts with /decline (then it is answered like any GET);
requests to /decline... and /keep... leave the connection open whatever Connection says; POST streams the body, counting bytes without keeping them, and answers the
count. An HTTP/2 connection preface is understood too (HEADERS as literal HPACK fields): what
reached the app that way is printed and answered with one line. Everything the app received is
printed on stdout ("app request", "app raw", "app h2 headers"), so a test can tell that a forged
value never reached it.
Usage: python3 app.py <port> [bind-address, default 127.0.0.1]
"""
import json
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def hpack_literals(block):
    """Literal HPACK fields with new names, no Huffman: what the test's attacker sends."""
    fields, i = [], 0

    def string(i):
        length = block[i] & 0x7F
        return block[i + 1:i + 1 + length].decode("iso-8859-1"), i + 1 + length
    while i < len(block) and block[i] in (0x00, 0x10, 0x40):
        name, i = string(i + 1)
        value, i = string(i)
        fields.append([name, value])
    return fields


class Handler(BaseHTTPRequestHandler):
    def handle(self):
        """Peeks for an HTTP/2 preface before http.server, which knows only HTTP/1.x."""
        head = b""
        try:
            while len(head) < len(H2_PREFACE) and H2_PREFACE.startswith(head):
                if head:
                    time.sleep(0.01)
                head = self.connection.recv(len(H2_PREFACE), socket.MSG_PEEK)
                if not head:
                    return
        except OSError:
            return
        if head == H2_PREFACE:
            return self._h2()
        super().handle()

    def _h2(self):
        data = b""
        while True:
            chunk = self.connection.recv(65536)
            if not chunk:
                break
            data += chunk
            i, fields = len(H2_PREFACE), []
            while i + 9 <= len(data):
                length = int.from_bytes(data[i:i + 3], "big")
                kind, flags = data[i + 3], data[i + 4]
                payload = data[i + 9:i + 9 + length]
                if len(payload) < length:
                    break
                if kind == 0x1:
                    fields += hpack_literals(payload)
                i += 9 + length
            if fields:
                print("app h2 headers:", json.dumps(fields), flush=True)
                self.connection.sendall(b"h2-seen " + json.dumps(fields).encode() + b"\n")
                break

    def __getattr__(self, name):
        # Any method token (PURGE, ...) is answered like GET.
        if name.startswith("do_"):
            return self.do_GET
        raise AttributeError(name)

    def _answer(self, document):
        body = json.dumps(document).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        print("app request:", self.command, self.path, json.dumps(self.headers.items()), flush=True)
        if self.headers.get("Upgrade") and not self.path.startswith("/decline"):
            return self._upgrade_to_echo()
        self._answer({"path": self.path, "method": self.command,
                      "peer_ids": self.headers.get_all("X-Lanyard-Peer-Id") or [],
                      "header_list": self.headers.items(),
                      "headers": {k: v for k, v in self.headers.items()}})
        if self.path.startswith(("/decline", "/keep")):
            # A declined upgrade (and /keep...) leaves the connection open for the next request,
            # whatever Connection said (as many servers do).
            self.close_connection = False

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
            print("app raw:", repr(data), flush=True)
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
