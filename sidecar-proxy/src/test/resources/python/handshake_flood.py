"""A peer without an SVID that tries to keep a mesh port busy (standard library only).

  python3 handshake_flood.py <source-address> <host> <port> <connections> <seconds> <silent|partial-hello>

Keeps up to <connections> TCP connections from <source-address> (e.g. 127.0.0.2: all of 127/8 is
loopback on Linux) to <host>:<port> open for <seconds>: each sends nothing (silent) or the first
bytes of a TLS ClientHello and then nothing (partial-hello), never finishes a handshake, and is
reopened as soon as the server closes it (at most 200 connects a second). Prints one summary line:

  flood <source>: connects <n> closed_by_server <n> closed_within_100ms <n> max_open <n>
    max_open_1s <n>

max_open is the most connections the server let stand at once, max_open_1s the most that had
stood for at least a second at once (what the server really let this source hold).
"""
import selectors
import socket
import sys
import time

# A TLS record header (handshake, TLS 1.0 record version, 512 bytes) and the start of a
# ClientHello (type 1, length 508, client version TLS 1.2, the first random bytes): then silence.
PARTIAL_HELLO = bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03]) + b"\x5a" * 16
MAX_CONNECTS_PER_SECOND = 200


def main():
    source, host, port, wanted, seconds, mode = sys.argv[1:7]
    port, wanted, seconds = int(port), int(wanted), float(seconds)
    payload = PARTIAL_HELLO if mode == "partial-hello" else b""
    selector = selectors.DefaultSelector()
    opened_at = {}
    connects = closed = closed_fast = max_open = max_open_1s = 0
    deadline = time.monotonic() + seconds
    budget_start, budget_used = time.monotonic(), 0
    while time.monotonic() < deadline:
        now = time.monotonic()
        if now - budget_start >= 1.0:
            budget_start, budget_used = now, 0
        # Closes first, then the figures: a socket the server reset while we were busy
        # connecting must not count as standing.
        for key, _ in selector.select(timeout=0.05):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if not data:
                if time.monotonic() - opened_at[s] < 0.1:
                    closed_fast += 1
                closed += 1
                selector.unregister(s)
                del opened_at[s]
                s.close()
        now = time.monotonic()
        max_open = max(max_open, len(opened_at))
        max_open_1s = max(max_open_1s, sum(1 for t in opened_at.values() if now - t >= 1.0))
        while len(opened_at) < wanted and budget_used < MAX_CONNECTS_PER_SECOND:
            budget_used += 1
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((source, 0))
            s.settimeout(2)
            try:
                s.connect((host, port))
                if payload:
                    s.sendall(payload)
            except OSError:
                s.close()
                closed += 1
                closed_fast += 1
                continue
            s.setblocking(False)
            connects += 1
            opened_at[s] = time.monotonic()
            selector.register(s, selectors.EVENT_READ)
    for s in list(opened_at):
        s.close()
    print("flood %s: connects %d closed_by_server %d closed_within_100ms %d max_open %d"
          " max_open_1s %d" % (source, connects, closed, closed_fast, max_open, max_open_1s),
          flush=True)


if __name__ == "__main__":
    main()
