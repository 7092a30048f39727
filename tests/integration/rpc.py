#!/usr/bin/env python3
"""Raw JSON-RPC client for the integration tests: sends stdin to the daemon's
Unix socket as-is (one request per line, or arbitrary bytes for bad-input
tests) and prints each reply line. Stops after --replies N lines (default:
one per input line), when the daemon closes the connection, or after
--timeout seconds (exit 3)."""
import argparse
import socket
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("socket")
ap.add_argument("--replies", type=int, default=None)
ap.add_argument("--timeout", type=float, default=10.0)
args = ap.parse_args()

data = sys.stdin.buffer.read()
want = args.replies if args.replies is not None else max(1, data.count(b"\n"))

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(args.timeout)
s.connect(args.socket)
try:
    s.sendall(data)
except (BrokenPipeError, ConnectionResetError):
    pass  # the daemon may drop us mid-way (oversized line); read what it sent

deadline = time.monotonic() + args.timeout
buf = b""
lines = []
while len(lines) < want:
    left = deadline - time.monotonic()
    if left <= 0:
        sys.stdout.write("\n".join(lines) + ("\n" if lines else ""))
        print("rpc.py: timeout waiting for replies", file=sys.stderr)
        sys.exit(3)
    s.settimeout(left)
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        continue
    except ConnectionResetError:
        chunk = b""
    if not chunk:
        break
    buf += chunk
    while b"\n" in buf and len(lines) < want:
        line, buf = buf.split(b"\n", 1)
        lines.append(line.decode("utf-8", "replace"))
for line in lines:
    print(line)
s.close()
