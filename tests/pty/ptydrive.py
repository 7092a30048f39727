#!/usr/bin/env python3
"""ptydrive: runs a command on a fresh pty of a given size and drives it like
a person at a terminal would: send keys, wait for output, resize, signal.
After the command exits it reports the exit status and whether the pty's
termios state is the one the command started with (raw mode restored).

Usage: ptydrive.py [--rows R] [--cols C] [--timeout S] [--log FILE]
                   [STEP...] -- COMMAND [ARG...]

Steps, run in order (TEXT and REGEX take Python escapes: \\r \\x03 \\x10):
  send:TEXT          write TEXT to the terminal (as typed keys)
  expect:REGEX       wait until REGEX matches output not yet consumed
                     (everything up to the end of the match is consumed)
  absent:REGEX       fail if REGEX matches output received so far (not consumed)
  sleep:SECONDS      wait, still collecting output
  resize:RxC         TIOCSWINSZ on the pty; the kernel sends SIGWINCH to
                     the command's foreground process group
  signal:NAME        send the signal (TERM, HUP, INT, KILL...) to the command
  raw / cooked       assert the pty is / is not in raw mode right now
  wait               wait for the command to exit (--timeout)
  mark:TEXT          print TEXT to the log (to find places in transcripts)
Without a final `wait`, ptydrive waits for the exit anyway (--timeout); a
command still running then is killed (SIGKILL) and reported as a failure.

Output on stdout, one `key=value` per line:
  exit=N | signal=NAME   how the command ended
  termios=restored | termios=changed (then the differing fields)
  steps=ok | failed=STEP  (and the output received so far, escaped)
Exit status: 0 when every step passed, 1 when a step failed or timed out,
2 on usage errors. The command's own status is only in `exit=`.
"""
import codecs
import errno
import fcntl
import os
import re
import select
import signal
import struct
import sys
import termios
import time


ESCAPES = {"r": b"\r", "n": b"\n", "t": b"\t", "e": b"\x1b", "0": b"\x00"}


def unescape(s, regex=False):
        """\\r \\n \\t \\e \\0 \\xNN; in a regex other escapes (\\$ \\d \\\\) stay."""
        out = bytearray()
        i = 0
        b = s.encode()
        while i < len(b):
                c = b[i:i + 1]
                if c == b"\\" and i + 1 < len(b):
                        n = chr(b[i + 1])
                        if n == "x" and i + 3 < len(b):
                                out += bytes([int(b[i + 2:i + 4], 16)])
                                i += 4
                                continue
                        if n in ESCAPES:
                                out += ESCAPES[n]
                                i += 2
                                continue
                        out += b[i:i + 2] if regex else b[i + 1:i + 2]
                        i += 2
                        continue
                out += c
                i += 1
        return bytes(out)


class Driver:
        def __init__(self, argv, rows, cols, timeout, log):
                self.timeout = timeout
                self.log = log
                self.buf = b""        # all output
                self.pos = 0          # consumed up to here
                self.status = None
                self.master, self.slave = os.openpty()
                os.set_inheritable(self.slave, False)
                self.set_size(rows, cols)
                # A known cooked state to compare against after the exit.
                self.initial = termios.tcgetattr(self.slave)
                r, w = os.pipe2(os.O_CLOEXEC)
                pid = os.fork()
                if pid == 0:
                        try:
                                os.close(r)
                                os.close(self.master)
                                os.setsid()
                                fcntl.ioctl(self.slave, termios.TIOCSCTTY, 0)
                                for fd in (0, 1, 2):
                                        os.dup2(self.slave, fd)
                                if self.slave > 2:
                                        os.close(self.slave)
                                os.execvp(argv[0], argv)
                        except OSError as e:
                                os.write(w, str(e).encode())
                        os._exit(127)
                os.close(w)
                self.pid = pid
                err = os.read(r, 4096)
                os.close(r)
                if err:
                        self.out("exec %s: %s" % (argv[0], err.decode()))
                os.set_blocking(self.master, False)

        def out(self, msg):
                if self.log:
                        self.log.write(("--- %s\n" % msg).encode())
                        self.log.flush()

        def set_size(self, rows, cols):
                fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

        def pump(self, seconds):
                """Reads output for `seconds` (0: only what is there now)."""
                end = time.monotonic() + seconds
                while True:
                        left = end - time.monotonic()
                        rl, _, _ = select.select([self.master], [], [], max(0.0, left))
                        data = b""
                        if rl:
                                try:
                                        data = os.read(self.master, 65536)
                                except OSError as e:
                                        if e.errno not in (errno.EIO, errno.EAGAIN):
                                                raise
                        if data:
                                self.buf += data
                                if self.log:
                                        self.log.write(data)
                                        self.log.flush()
                        self.reap()
                        if time.monotonic() >= end and not data:
                                return
                        if time.monotonic() >= end + 1.0:
                                return  # output never stops: do not spin forever
                        if rl and not data:
                                time.sleep(0.01)

        def reap(self):
                if self.status is None:
                        pid, st = os.waitpid(self.pid, os.WNOHANG)
                        if pid == self.pid:
                                self.status = st

        def expect(self, regex):
                rx = re.compile(regex, re.S)
                end = time.monotonic() + self.timeout
                while True:
                        m = rx.search(self.buf, self.pos)
                        if m:
                                self.pos = m.end()
                                return True
                        if time.monotonic() >= end:
                                return False
                        if self.status is not None:
                                # Exited: only what is still buffered can match.
                                self.pump(0.2)
                                m = rx.search(self.buf, self.pos)
                                if m:
                                        self.pos = m.end()
                                        return True
                                return False
                        self.pump(min(0.05, end - time.monotonic()))

        def send(self, data):
                os.set_blocking(self.master, True)
                try:
                        os.write(self.master, data)
                finally:
                        os.set_blocking(self.master, False)
                self.pump(0)

        def is_raw(self):
                a = termios.tcgetattr(self.slave)
                return not (a[3] & (termios.ICANON | termios.ECHO))

        def wait(self):
                end = time.monotonic() + self.timeout
                while self.status is None and time.monotonic() < end:
                        self.pump(0.05)
                self.pump(0.1)
                return self.status is not None


def termios_diff(a, b):
        names = ["iflag", "oflag", "cflag", "lflag", "ispeed", "ospeed"]
        d = ["%s:%#o->%#o" % (n, x, y) for n, x, y in zip(names, a, b) if x != y]
        for i, (x, y) in enumerate(zip(a[6], b[6])):
                if isinstance(x, int):
                        x = bytes([x])
                if isinstance(y, int):
                        y = bytes([y])
                if x != y:
                        d.append("cc[%d]:%r->%r" % (i, x, y))
        return d


def main():
        args = sys.argv[1:]
        rows, cols, timeout, logpath = 24, 80, 10.0, None
        steps = []
        while args and args[0] != "--":
                a = args.pop(0)
                if a in ("--rows", "--cols", "--timeout", "--log") and args:
                        v = args.pop(0)
                        if a == "--rows":
                                rows = int(v)
                        elif a == "--cols":
                                cols = int(v)
                        elif a == "--timeout":
                                timeout = float(v)
                        else:
                                logpath = v
                elif a in ("-h", "--help"):
                        print(__doc__)
                        return 0
                else:
                        steps.append(a)
        if not args or len(args) < 2:
                print(__doc__, file=sys.stderr)
                return 2
        argv = args[1:]
        log = open(logpath, "ab") if logpath else None
        d = Driver(argv, rows, cols, timeout, log)
        failed = None
        for step in steps:
                kind, _, arg = step.partition(":")
                d.out("step " + step)
                ok = True
                if kind == "send":
                        d.send(unescape(arg))
                elif kind == "expect":
                        ok = d.expect(unescape(arg, regex=True))
                elif kind == "absent":
                        d.pump(0)
                        ok = re.search(unescape(arg, regex=True), d.buf, re.S) is None
                elif kind == "sleep":
                        d.pump(float(arg))
                elif kind == "resize":
                        r, c = arg.lower().split("x")
                        d.set_size(int(r), int(c))
                        d.pump(0)
                elif kind == "signal":
                        sig = getattr(signal, "SIG" + arg.upper().removeprefix("SIG"))
                        os.kill(d.pid, sig)
                elif kind == "raw":
                        ok = d.is_raw()
                elif kind == "cooked":
                        ok = not d.is_raw()
                elif kind == "wait":
                        ok = d.wait()
                elif kind == "mark":
                        pass
                else:
                        print("unknown step: " + step, file=sys.stderr)
                        return 2
                if not ok:
                        failed = step
                        break
        if failed is not None:
                d.timeout = min(d.timeout, 2.0)
        if not d.wait():
                if failed is None:
                        failed = "exit (still running after %gs)" % timeout
                os.kill(d.pid, signal.SIGKILL)
                d.wait()
        st = d.status
        if st is None:
                print("exit=unknown")
        elif os.WIFSIGNALED(st):
                print("signal=" + signal.Signals(os.WTERMSIG(st)).name.removeprefix("SIG"))
        else:
                print("exit=%d" % os.WEXITSTATUS(st))
        diff = termios_diff(d.initial, termios.tcgetattr(d.slave))
        print("termios=" + ("restored" if not diff else "changed " + " ".join(diff)))
        if failed is None:
                print("steps=ok")
        else:
                print("failed=" + failed)
                print("unconsumed=" + repr(d.buf[d.pos:][-2000:]))
                print("output=" + repr(d.buf[-2000:]))
        return 0 if failed is None else 1


if __name__ == "__main__":
        sys.exit(main())
