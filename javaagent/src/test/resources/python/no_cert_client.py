"""A TLS client that presents no certificate, written with Python's ssl module: an outsider
without an SVID trying a mesh server. Usage: no_cert_client.py HOST PORT TLS_VERSION (1.2 or 1.3).
Prints one line: SERVED <the response> when the server answered, REFUSED <why> otherwise."""
import socket
import ssl
import sys

host, port, version = sys.argv[1], int(sys.argv[2]), sys.argv[3]
context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
# The outsider does not care who the server is; it only wants to be served.
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
pinned = ssl.TLSVersion.TLSv1_3 if version == "1.3" else ssl.TLSVersion.TLSv1_2
context.minimum_version = pinned
context.maximum_version = pinned
try:
    with socket.create_connection((host, port), timeout=15) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(b"GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            response = b""
            while True:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                response += chunk
    if response:
        print("SERVED " + response.decode("utf-8", "replace").replace("\r\n", " | "), flush=True)
    else:
        print("REFUSED the server closed the connection without a response", flush=True)
except (ssl.SSLError, OSError) as failure:
    print("REFUSED %s: %s" % (type(failure).__name__, failure), flush=True)
