"""A plain Python client (standard library only) that reaches the mesh through the sidecar's
outbound proxy, named by HTTP_PROXY as the webhook sets it.

  python3 client.py get <url> [spoofed-peer-id]   GET, optionally sending a forged X-Lanyard-Peer-Id
  python3 client.py headers <url> <name: value>... GET with these request headers
  python3 client.py post <url> <bytes>            streams that many bytes as the body
  python3 client.py connect <host:port> <path>    CONNECT tunnel through the proxy, then GET path
  python3 client.py tls <host:port> <cert> <key> [payload]
                                                  TLS with that client certificate, server not
                                                  verified (to reach the server's own check), then
                                                  GET / (or the payload's bytes)

Prints "status <code>" and the body; errors are printed, never raised, so the test reads them.
"""
import http.client
import os
import sys
import urllib.error
import urllib.parse
import urllib.request


def show(status, body, headers=None):
    print("status", status)
    # The server's SPIFFE ID as the sidecar verified it (absent for non-mesh destinations).
    if headers is not None and headers.get("X-Lanyard-Peer-Id"):
        print("server_peer", headers.get("X-Lanyard-Peer-Id"))
    print(body.decode(errors="replace"))


def get(url, spoof=None):
    headers = {"X-Lanyard-Peer-Id": spoof} if spoof else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            show(response.status, response.read(), response.headers)
    except urllib.error.HTTPError as e:
        show(e.code, e.read())


def get_with_headers(url, *pairs):
    headers = dict(pair.split(": ", 1) for pair in pairs)
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            show(response.status, response.read(), response.headers)
    except urllib.error.HTTPError as e:
        show(e.code, e.read())


def post(url, size):
    size = int(size)
    block = b"x" * (1 << 16)

    def body():
        left = size
        while left > 0:
            n = min(left, len(block))
            yield block[:n]
            left -= n

    request = urllib.request.Request(url, data=body(), method="POST",
                                     headers={"Content-Length": str(size),
                                              "Content-Type": "application/octet-stream"})
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            show(response.status, response.read())
    except urllib.error.HTTPError as e:
        show(e.code, e.read())


def connect(target, path):
    proxy = urllib.parse.urlsplit(os.environ["HTTP_PROXY"])
    host, port = target.rsplit(":", 1)
    connection = http.client.HTTPConnection(proxy.hostname, proxy.port, timeout=30)
    connection.set_tunnel(host, int(port))
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        show(response.status, response.read())
    except OSError as e:
        print("tunnel refused:", e)


def tls(target, cert, key, payload=None):
    import socket
    import ssl
    host, port = target.rsplit(":", 1)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.load_cert_chain(cert, key)
    try:
        with socket.create_connection((host, int(port)), timeout=20) as raw:
            with context.wrap_socket(raw, server_hostname=host) as conn:
                conn.sendall(payload.encode() if payload else
                             b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                data = conn.recv(65536)
                print("answered:", data.decode(errors="replace") if data else "(closed)")
    except (OSError, ssl.SSLError) as e:
        print("refused:", e)


mode = sys.argv[1]
if mode == "get":
    get(*sys.argv[2:])
elif mode == "headers":
    get_with_headers(*sys.argv[2:])
elif mode == "post":
    post(*sys.argv[2:])
elif mode == "connect":
    connect(*sys.argv[2:])
elif mode == "tls":
    tls(*sys.argv[2:])
else:
    sys.exit("unknown mode " + mode)
