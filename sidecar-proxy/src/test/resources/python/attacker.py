"""An allowed mesh peer that forges identity headers, written with Python's ssl and raw sockets so
that it can send what no HTTP library would: extension methods, an HTTP/2 preface, an h2c upgrade,
requests pipelined behind an upgrade.

  python3 attacker.py <host:port> <scenario>

stdin: `spire-agent api fetch x509 -output json` (the attacker's real X.509-SVID, its key and the
bundle). The key is loaded through a memfd, never a file on disk. The server is verified against
the bundle (not its name: a mesh port presents a SPIFFE ID, not a DNS name).

Scenarios: purge, h2-preface, h2c-upgrade, declined-upgrade, foreign-headers, websocket, not-http,
jwt-declined-upgrade <token>. Prints `alpn <protocol|None>`, then everything the server sent,
ISO-8859-1 decoded, after a line `--- received`; `--- closed` when the server closed.
"""
import base64
import json
import os
import socket
import ssl
import sys
import time

FORGED = "spiffe://lanyard.test/ns/forged/sa/"


def der_items(blob):
    """Splits concatenated DER (a chain or a bundle) into its items."""
    items, i = [], 0
    while i < len(blob):
        length, head = blob[i + 1], 2
        if length & 0x80:
            n = length & 0x7F
            length, head = int.from_bytes(blob[i + 2:i + 2 + n], "big"), 2 + n
        items.append(blob[i:i + head + length])
        i += head + length
    return items


def memfd(name, text):
    fd = os.memfd_create(name)
    os.write(fd, text.encode())
    return fd, "/proc/self/fd/%d" % fd


def context():
    svid = json.load(sys.stdin)["svids"][0]
    chain = "".join(ssl.DER_cert_to_PEM_cert(c) for c in der_items(base64.b64decode(svid["x509_svid"])))
    key = ("-----BEGIN PRIVATE KEY-----\n" + base64.encodebytes(base64.b64decode(svid["x509_svid_key"])).decode()
           + "-----END PRIVATE KEY-----\n")
    roots = "".join(ssl.DER_cert_to_PEM_cert(c) for c in der_items(base64.b64decode(svid["bundle"])))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cadata=roots)
    cert_fd, cert_path = memfd("svid", chain)
    key_fd, key_path = memfd("key", key)
    try:
        ctx.load_cert_chain(cert_path, key_path)
    finally:
        os.close(cert_fd)
        os.close(key_fd)
    # What a gRPC client offers: whether the mesh port negotiates h2 is printed.
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    return ctx


def hpack_literal(name, value):
    """A header field as HPACK 'literal without indexing, new name', no Huffman coding."""
    def string(text):
        data = text.encode()
        assert len(data) < 127
        return bytes([len(data)]) + data
    return b"\x00" + string(name) + string(value)


def frame(kind, flags, stream, payload):
    return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload


def h2_request(path, forged):
    block = b"".join(hpack_literal(n, v) for n, v in [
        (":method", "GET"), (":scheme", "http"), (":path", path), (":authority", "app"),
        ("x-lanyard-peer-id", forged), ("x-lanyard-jwt-subject", forged)])
    return (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(0x4, 0, 0, b"")
            + frame(0x1, 0x4 | 0x1, 1, block))


def scenario(name, args):
    if name == "purge":
        return [("PURGE /purge HTTP/1.1\r\nHost: app\r\nX-Lanyard-Peer-Id: %spurge\r\n"
                 "X-Lanyard-Jwt-Subject: %spurge-jwt\r\nConnection: close\r\n\r\n" % (FORGED, FORGED)).encode()]
    if name == "h2-preface":
        return [h2_request("/prior-knowledge", FORGED + "prior-knowledge")]
    if name == "h2c-upgrade":
        return [("GET /keep/h2c HTTP/1.1\r\nHost: app\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                 "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n"
                 "GET /after-h2c HTTP/1.1\r\nHost: app\r\nX-Lanyard-Peer-Id: %sh2c\r\n"
                 "Connection: close\r\n\r\n" % FORGED).encode()]
    if name == "declined-upgrade":
        return [("GET /decline HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
                 "GET /after-decline HTTP/1.1\r\nHost: app\r\nX-Lanyard-Peer-Id: %sdeclined\r\n"
                 "Connection: close\r\n\r\n" % FORGED).encode()]
    if name == "jwt-declined-upgrade":
        # The next request goes only once the upgrade was declined (see run()), without a token.
        return [("GET /decline HTTP/1.1\r\nHost: app\r\nAuthorization: Bearer %s\r\nConnection: Upgrade\r\n"
                 "Upgrade: websocket\r\n\r\n" % args[0]).encode(),
                ("PUT /after-decline HTTP/1.1\r\nHost: app\r\nX-Lanyard-Jwt-Subject: %sjwt-declined\r\n"
                 "Content-Length: 0\r\nConnection: close\r\n\r\n" % FORGED).encode()]
    if name == "foreign-headers":
        return [("GET /foreign HTTP/1.1\r\nHost: app\r\n"
                 "X-Forwarded-Client-Cert: By=spiffe://forged;URI=%sxfcc\r\n"
                 "l5d-client-id: forged.l5d.serviceaccount.identity.linkerd.cluster.local\r\n"
                 "L5D-Server-Id: forged.l5d-server\r\nConnection: close\r\n\r\n" % FORGED).encode()]
    if name == "not-http":
        return [b"\x01probe-bytes\r\n\r\n"]
    if name == "websocket":
        # The frames go only after the 101 has arrived (see run()).
        return [b"GET /ws HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                b"Sec-WebSocket-Version: 13\r\n\r\n",
                b"\x81\x05hello GET /not-http HTTP/1.1\r\nX-Lanyard-Peer-Id: raw\r\n\r\n"]
    raise SystemExit("unknown scenario " + name)


def run(address, name, args):
    host, port = address.rsplit(":", 1)
    parts = scenario(name, args)
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        with context().wrap_socket(raw) as tls:
            print("alpn", tls.selected_alpn_protocol(), flush=True)
            received = b""
            for i, part in enumerate(parts):
                tls.sendall(part)
                if i + 1 < len(parts):
                    # Wait for the answer to this part (a 101, or a declined upgrade) before the next.
                    while b"\r\n\r\n" not in received:
                        chunk = tls.recv(65536)
                        if not chunk:
                            break
                        received += chunk
            deadline = time.time() + 10
            closed = False
            while time.time() < deadline:
                try:
                    chunk = tls.recv(65536)
                except socket.timeout:
                    break
                except (ssl.SSLError, ConnectionResetError) as e:
                    print("--- error", e)
                    closed = True
                    break
                if not chunk:
                    closed = True
                    break
                received += chunk
                if name == "websocket" and received.endswith(parts[-1]):
                    break
            print("--- received")
            print(received.decode("iso-8859-1"))
            if closed:
                print("--- closed")


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2], sys.argv[3:])
