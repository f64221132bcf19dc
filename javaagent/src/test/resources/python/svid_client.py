"""An mTLS client holding an X.509-SVID, written with Python's ssl module: a non-Java mesh
workload calling a JVM's plain HTTP port that Lanyard upgraded. Usage: svid_client.py HOST PORT
SVID_PEM KEY_PEM BUNDLE_PEM. It verifies the server's chain against the SPIFFE bundle (an SVID
names no host, so the host name is not checked; the test checks the URI SAN printed).
Prints: SERVER_ID <the server certificate's URI SAN>, then RESPONSE <the response>; or
FAILED <why>."""
import socket
import ssl
import sys

host, port, svid, key, bundle = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.check_hostname = False
context.verify_mode = ssl.CERT_REQUIRED
context.load_verify_locations(cafile=bundle)
context.load_cert_chain(certfile=svid, keyfile=key)
try:
    with socket.create_connection((host, port), timeout=15) as raw:
        with context.wrap_socket(raw) as tls:
            uris = [value for kind, value in tls.getpeercert().get("subjectAltName", ()) if kind == "URI"]
            print("SERVER_ID " + (uris[0] if uris else "none"), flush=True)
            tls.sendall(b"GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            response = b""
            while True:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                response += chunk
    print("RESPONSE " + response.decode("utf-8", "replace").replace("\r\n", " | "), flush=True)
except (ssl.SSLError, OSError) as failure:
    print("FAILED %s: %s" % (type(failure).__name__, failure), flush=True)
