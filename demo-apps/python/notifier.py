#!/usr/bin/env python3
"""The notifier workload: files each assessment as an incident ticket.

Python standard library only, and no TLS: the Lanyard sidecar in front of it terminates mTLS,
refuses callers its policy does not allow, and passes the verified caller's SPIFFE ID in the
X-Lanyard-Peer-Id header (client copies are stripped). With lanyard.dev/inbound-jwt-audience the
sidecar also requires a JWT-SVID and passes its verified subject in X-Lanyard-Jwt-Subject.
POST /notify {"text": ..., "verdict": {...}} answers {"workload", "ticket", "caller", "jwt_subject"}
(jwt_subject null when the sidecar checks no JWT-SVID).
"""
import hashlib
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PEER_HEADER = "X-Lanyard-Peer-Id"
JWT_SUBJECT_HEADER = "X-Lanyard-Jwt-Subject"
MAX_BODY = 64 * 1024


class Notifier(BaseHTTPRequestHandler):
    server_version = "notifier/0.1"

    def do_POST(self):
        if self.path != "/notify":
            return self.reply(404, {"error": "not found: " + self.path + " (try POST /notify)"})
        caller = self.headers.get(PEER_HEADER)
        if not caller:
            return self.reply(403, {"error": "no " + PEER_HEADER + ": reach the notifier through its sidecar"})
        try:
            length = int(self.headers.get("Content-Length", "0"))
            if length > MAX_BODY:
                return self.reply(413, {"error": "body over %d bytes" % MAX_BODY})
            body = json.loads(self.rfile.read(length) or b"{}")
            text = body["text"]
            verdict = body.get("verdict", {})
            if not isinstance(text, str) or not isinstance(verdict, dict):
                raise ValueError("text must be a string and verdict an object")
        except (ValueError, KeyError) as e:
            return self.reply(400, {"error": "expected JSON {\"text\": ..., \"verdict\": {...}}: %s" % e})
        jwt_subject = self.headers.get(JWT_SUBJECT_HEADER)
        ticket = "INC-" + hashlib.sha256(text.encode()).hexdigest()[:6].upper()
        print("notifier: filed %s (%s, %s) for %s (JWT-SVID subject: %s)"
              % (ticket, verdict.get("severity"), verdict.get("category"), caller, jwt_subject),
              flush=True)
        self.reply(200, {"workload": "notifier", "ticket": ticket, "caller": caller,
                         "jwt_subject": jwt_subject})

    def do_GET(self):
        self.reply(405, {"error": "use POST /notify"})

    def reply(self, status, body):
        data = (json.dumps(body) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        pass  # one line per ticket is enough


def main():
    bind = os.environ.get("BIND", "127.0.0.1")
    port = int(os.environ.get("PORT", "8080"))
    server = ThreadingHTTPServer((bind, port), Notifier)
    print("notifier: listening on http %s:%d (plain: the sidecar does the TLS)" % (bind, port), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
