"""An independent server for secure-naming tests: Python's ssl, not the JVM's.

Reads one JSON line on stdin: {"mode": "tls"|"raw", "cert": PEM chain, "key": PEM key}. The key
never touches the disk: it is handed to OpenSSL through a pipe (/dev/fd/N). Listens on
127.0.0.1, prints "LISTENING port=N", then for every connection one line saying what it saw:
  tls:  HANDSHAKE failed <reason> | REQUEST <json of the request line and headers>
  raw:  BYTES <hex of the first bytes received>
and answers an HTTP request with 200 "impostor" (tls) or 418 in clear text (raw).
"""
import json
import os
import socket
import ssl
import sys
import threading


def piped(text):
    read_end, write_end = os.pipe()
    os.write(write_end, text.encode())
    os.close(write_end)
    return read_end


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def serve_tls(context, conn):
    try:
        tls = context.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError) as e:
        say("HANDSHAKE failed " + str(e).replace("\n", " "))
        return
    try:
        head = read_head(tls)
        lines = head.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        say("REQUEST " + json.dumps({"line": lines[0], "headers": headers}))
        body = b"impostor"
        tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                    % (len(body), body))
    except (ssl.SSLError, OSError) as e:
        say("AFTER_HANDSHAKE failed " + str(e).replace("\n", " "))
    finally:
        tls.close()


def serve_raw(conn):
    conn.settimeout(5)
    try:
        data = conn.recv(4096)
    except OSError:
        data = b""
    say("BYTES " + data[:64].hex())
    try:
        # A plain answer: a plain-HTTP client gets it; a TLS client fails its handshake on it.
        conn.sendall(b"HTTP/1.1 418 plain listener\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    except OSError:
        pass
    conn.close()


def main():
    config = json.loads(sys.stdin.readline())
    context = None
    if config["mode"] == "tls":
        cert, key = piped(config["cert"]), piped(config["key"])
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain("/dev/fd/%d" % cert, "/dev/fd/%d" % key)
        os.close(cert)
        os.close(key)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    say("LISTENING port=%d" % listener.getsockname()[1])
    while True:
        conn, _ = listener.accept()
        target = serve_raw if context is None else (lambda c: serve_tls(context, c))
        threading.Thread(target=target, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
