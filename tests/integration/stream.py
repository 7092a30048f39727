#!/usr/bin/env python3
"""Stream client for the console tests: calls one streaming method
(container.attach, container.exec, exec.attach, container.logs,
container.start with attach) and then speaks the frame protocol of
proto/PROTOCOL.md directly, where the CLI cannot show what a test needs.

Usage: stream.py SOCK METHOD PARAMS_JSON [options]
  --stdin TEXT       send TEXT as one stdin frame after the reply
  --close-stdin      then send the close_stdin control frame
  --resize RxC       send a resize control frame after the reply
  --raw-frame HEX    send these raw bytes after the reply (bad-input tests)
  --no-read SECS     after the reply, do not read for SECS seconds
                     (the slow-reader case; prints `reply=...` first), then exit
  --dump             print every frame as `TYPE LEN REPR` (control and exit
                     as JSON) instead of copying stdout/stderr payloads
  --timeout SECS     give up (exit 3) after SECS (default 20)
Without --dump, stdout/stderr payloads go to fd 1 / fd 2 and the exit status
is the EXIT frame's exit_code; an error reply prints `error=JSON` and exits 1;
a connection closed without an EXIT frame prints `closed=noexit`, exits 4.
"""
import argparse
import json
import socket
import struct
import sys
import time

TYPES = {0: "stdin", 1: "stdout", 2: "stderr", 3: "control", 4: "exit"}


def frame(kind, payload):
        return struct.pack(">B3xI", kind, len(payload)) + payload


def main():
        ap = argparse.ArgumentParser()
        ap.add_argument("socket")
        ap.add_argument("method")
        ap.add_argument("params")
        ap.add_argument("--stdin")
        ap.add_argument("--close-stdin", action="store_true")
        ap.add_argument("--resize")
        ap.add_argument("--raw-frame")
        ap.add_argument("--no-read", type=float)
        ap.add_argument("--dump", action="store_true")
        ap.add_argument("--timeout", type=float, default=20.0)
        a = ap.parse_args()

        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if a.no_read is not None:
                # Small buffers so the peer's side fills quickly.
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(a.timeout)
        s.connect(a.socket)
        req = {"jsonrpc": "2.0", "id": 1, "method": a.method, "params": json.loads(a.params)}
        s.sendall((json.dumps(req) + "\n").encode())
        buf = b""
        deadline = time.monotonic() + a.timeout
        reply = None
        while reply is None:
                while b"\n" not in buf:
                        chunk = s.recv(65536)
                        if not chunk:
                                print("closed=noreply")
                                return 4
                        buf += chunk
                line, buf = buf.split(b"\n", 1)
                if not line.strip():
                        continue
                msg = json.loads(line)
                if msg.get("id") == 1:
                        reply = msg
        if "error" in reply:
                print("error=" + json.dumps(reply["error"]))
                return 1
        if a.dump or a.no_read is not None:
                print("reply=" + json.dumps(reply["result"]), flush=True)
        out = b""
        if a.stdin is not None:
                out += frame(0, a.stdin.encode())
        if a.resize:
                r, c = a.resize.split("x")
                out += frame(3, json.dumps({"op": "resize", "rows": int(r), "cols": int(c)}).encode())
        if a.close_stdin:
                out += frame(3, b'{"op":"close_stdin"}')
        if a.raw_frame:
                out += bytes.fromhex(a.raw_frame)
        if out:
                s.sendall(out)
        if a.no_read is not None:
                time.sleep(a.no_read)
                return 0
        while True:
                while len(buf) < 8:
                        if time.monotonic() > deadline:
                                print("timeout=1")
                                return 3
                        s.settimeout(max(0.1, deadline - time.monotonic()))
                        try:
                                chunk = s.recv(1 << 20)
                        except socket.timeout:
                                continue
                        except ConnectionResetError:
                                chunk = b""
                        if not chunk:
                                sys.stdout.flush()
                                print("closed=noexit")
                                return 4
                        buf += chunk
                kind, n = struct.unpack(">B3xI", buf[:8])
                while len(buf) < 8 + n:
                        chunk = s.recv(1 << 20)
                        if not chunk:
                                print("closed=midframe")
                                return 4
                        buf += chunk
                data, buf = buf[8:8 + n], buf[8 + n:]
                name = TYPES.get(kind, "type%d" % kind)
                if a.dump:
                        if kind in (3, 4):
                                print("%s %d %s" % (name, n, data.decode()), flush=True)
                        else:
                                print("%s %d %r" % (name, n, data), flush=True)
                elif kind == 1:
                        sys.stdout.buffer.write(data)
                        sys.stdout.flush()
                elif kind == 2:
                        sys.stderr.buffer.write(data)
                        sys.stderr.flush()
                if kind == 4:
                        return json.loads(data).get("exit_code", 0) if not a.dump else 0


if __name__ == "__main__":
        sys.exit(main())
