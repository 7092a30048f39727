#!/usr/bin/env python3
"""End-to-end test of containerctl-monitor (root): builds a busybox rootfs
and bundles in a temp dir, runs the monitor with a SOCK_SEQPACKET socketpair
on fd 3, and checks events, output frames, the CRI log, exit.json, and that
no cgroup, process or socket is left behind. Prints TAP.

usage: run-monitor.py /path/to/containerctl-monitor
"""
import json, os, re, shutil, signal, socket, struct, sys, tempfile, time

MONITOR = os.path.abspath(sys.argv[1])
CG_PARENT = "/ctltest-%d-monitor" % os.getpid()
count = failed = 0


def ok(cond, name, diag=None):
    global count, failed
    count += 1
    if not cond:
        failed += 1
    print("%sok %d - %s" % ("" if cond else "not ", count, name))
    if not cond and diag is not None:
        print("#   " + str(diag).replace("\n", "\n#   "))
    sys.stdout.flush()


def make_rootfs(top):
    root = os.path.join(top, "rootfs")
    for d in ("bin", "proc", "dev", "tmp"):
        os.makedirs(os.path.join(root, d))
    shutil.copy("/bin/busybox", os.path.join(root, "bin/busybox"))
    for a in ("sh", "echo", "sleep", "printf", "cat", "true", "stty", "tty", "wc", "head", "dd", "seq"):
        os.symlink("busybox", os.path.join(root, "bin", a))
    return root


def make_bundle(top, name, rootfs, args, terminal=False, size=None, devpts=False):
    b = os.path.join(top, name)
    os.makedirs(b)
    mounts = [{"destination": "/proc", "type": "proc", "source": "proc"}]
    if terminal or devpts:
        mounts += [{"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
                    "options": ["nosuid", "mode=755", "size=1024k"]},
                   {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
                    "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]}]
    cfg = {
        "ociVersion": "1.0.2",
        "process": {"args": args, "cwd": "/", "env": ["PATH=/bin"], "terminal": terminal,
                    "user": {"uid": 0, "gid": 0}},
        "root": {"path": rootfs, "readonly": True},
        "hostname": "mon-" + name,
        "mounts": mounts,
        "linux": {"cgroupsPath": CG_PARENT + "/" + name,
                  "namespaces": [{"type": t} for t in ("pid", "mount", "uts", "ipc")]},
    }
    if size:
        cfg["process"]["consoleSize"] = {"height": size[0], "width": size[1]}
    with open(os.path.join(b, "config.json"), "w") as f:
        json.dump(cfg, f)
    run = os.path.join(b, "run")
    os.makedirs(run)
    return b, run


def spawn(bundle, run, name, extra=()):
    parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    log = os.path.join(run, "container.log")
    fa = [(os.POSIX_SPAWN_DUP2, child.fileno(), 3)]
    t0 = time.monotonic()
    pid = os.posix_spawn(MONITOR, [MONITOR, "--id", name + "0123456789abcdef", "--bundle", bundle,
                                   "--run-dir", run, "--log", log, "--log-level", "debug"] + list(extra),
                         os.environ, file_actions=fa)
    child.close()
    return pid, parent, log, t0


def recv(sock, timeout=5):
    sock.settimeout(timeout)
    data = sock.recv(65536)
    return json.loads(data) if data else None


def read_frames(sock, timeout=5):
    """Returns [(type, payload)] until the EXIT frame or EOF."""
    sock.settimeout(timeout)
    buf, frames = b"", []
    while True:
        try:
            d = sock.recv(65536)
        except socket.timeout:
            break
        if not d:
            break
        buf += d
        while len(buf) >= 8:
            t, pad, n = buf[0], buf[1:4], struct.unpack(">I", buf[4:8])[0]
            if len(buf) < 8 + n:
                break
            frames.append((t, buf[8:8 + n]))
            buf = buf[8 + n:]
            if t == 4:
                return frames
    return frames


def cgroup_gone(name):
    left = [d for d in os.listdir("/sys/fs/cgroup")
            if os.path.exists("/sys/fs/cgroup/%s%s/%s" % (d, CG_PARENT, name))]
    return left


def wait_monitor(pid, timeout=5):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        p, st = os.waitpid(pid, os.WNOHANG)
        if p == pid:
            return os.waitstatus_to_exitcode(st)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


CRI = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) ([FP]) (.*)$")


def test_run(top, rootfs):
    b, run = make_bundle(top, "run1", rootfs,
                         ["sh", "-c", "echo hello; echo two; printf partial >&2; exit 3"])
    pid, ctl, log, t0 = spawn(b, run, "run1")
    ev = recv(ctl)
    ok(ev and ev.get("event") == "created" and ev.get("pid", 0) > 0, "created event", ev)
    print("# spawn to created: %.1f ms" % ((time.monotonic() - t0) * 1000))
    ok(os.path.exists(os.path.join(run, "monitor.sock")) and
       (os.stat(os.path.join(run, "monitor.sock")).st_mode & 0o777) == 0o600, "monitor.sock 0600")
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    socket.send_fds(ctl, [json.dumps({"op": "start"}).encode()], [theirs.fileno()])
    theirs.close()
    ev = recv(ctl)
    ok(ev == {"event": "started"}, "started event", ev)
    frames = read_frames(mine)
    out = b"".join(p for t, p in frames if t == 1)
    err = b"".join(p for t, p in frames if t == 2)
    ok(out == b"hello\ntwo\n", "stdout frames", out)
    ok(err == b"partial", "stderr frames", err)
    ok(frames and frames[-1][0] == 4 and json.loads(frames[-1][1]) == {"exit_code": 3},
       "EXIT frame", frames[-1:] if frames else None)
    ev = recv(ctl)
    ok(ev and ev.get("event") == "exited" and ev.get("exit_code") == 3, "exited event", ev)
    ok(wait_monitor(pid) == 0, "monitor exit status 0")
    lines = open(log).read().splitlines()
    parsed = [CRI.match(l) for l in lines]
    ok(all(parsed) and len(parsed) == 3, "CRI log format", lines)
    got = sorted((m.group(1), m.group(2), m.group(3)) for m in parsed if m)
    ok(got == [("stderr", "P", "partial"), ("stdout", "F", "hello"), ("stdout", "F", "two")],
       "CRI log content", got)
    ok((os.stat(log).st_mode & 0o777) == 0o640, "log mode 0640")
    ex = json.load(open(os.path.join(run, "exit.json")))
    ok(ex.get("exit_code") == 3 and ex.get("signal") is None and "finished_at" in ex and
       ex.get("finished_ns", 0) > 0 and "message" in ex, "exit.json", ex)
    ok(not os.path.exists(os.path.join(run, "monitor.sock")), "monitor.sock removed")
    ok(cgroup_gone("run1") == [], "cgroup removed", cgroup_gone("run1"))
    mine.close()
    ctl.close()


def test_signal_attach(top, rootfs):
    b, run = make_bundle(top, "sig", rootfs, ["sh", "-c", "echo ready; exec sleep 100"])
    pid, ctl, log, t0 = spawn(b, run, "sig")
    ev = recv(ctl)
    ok(ev and ev.get("event") == "created", "created (signal test)", ev)
    ctl.send(json.dumps({"op": "start"}).encode())
    ok(recv(ctl) == {"event": "started"}, "started without a client")
    # After start, the daemon may go away: the monitor must keep running.
    ctl.close()
    time.sleep(0.1)
    ok(os.waitpid(pid, os.WNOHANG) == (0, 0), "monitor survives daemon EOF after start")
    # A restarted daemon talks to monitor.sock.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(os.path.join(run, "monitor.sock"))
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    socket.send_fds(s, [json.dumps({"op": "attach"}).encode()], [theirs.fileno()])
    theirs.close()
    ok(recv(s) == {"event": "ok"}, "attach via monitor.sock")
    s.send(b'{"op":"attach"}')
    ok(recv(s).get("event") == "failed", "attach without fd fails")
    s.send(b'{"op":"nope"}')
    ok(recv(s).get("event") == "failed", "unknown op fails")
    s.send(b'[1]')
    ok(recv(s).get("event") == "failed", "malformed command fails, connection stays")
    s.send(b'{"op":"start"}')
    ok(recv(s).get("event") == "failed", "second start fails")
    s.send(json.dumps({"op": "signal", "signal": 9}).encode())
    ok(recv(s) == {"event": "ok"}, "signal ok")
    frames = read_frames(mine)
    ok(frames and json.loads(frames[-1][1]) == {"exit_code": 137, "signal": "SIGKILL"},
       "EXIT frame with signal", frames[-1:] if frames else None)
    ev = recv(s)
    ok(ev and ev.get("exit_code") == 137 and ev.get("signal") == "SIGKILL", "exited on monitor.sock", ev)
    ok(wait_monitor(pid) == 0, "monitor exited")
    ex = json.load(open(os.path.join(run, "exit.json")))
    ok(ex.get("exit_code") == 137 and ex.get("signal") == "SIGKILL", "exit.json signal", ex)
    ok("stdout F ready" in open(log).read(), "output before attach is in the log")
    ok(cgroup_gone("sig") == [], "cgroup removed (signal)")
    s.close()
    mine.close()


def test_abandon(top, rootfs):
    b, run = make_bundle(top, "abandon", rootfs, ["sleep", "100"])
    pid, ctl, log, t0 = spawn(b, run, "abandon")
    ev = recv(ctl)
    ok(ev and ev.get("event") == "created", "created (abandon)", ev)
    init = ev.get("pid") if ev else 0
    ctl.close()
    ok(wait_monitor(pid) is not None, "monitor exits when daemon leaves before start")
    ok(not os.path.exists("/proc/%d" % init) or
       "zombie" in open("/proc/%d/status" % init).read().lower(), "init killed")
    ok(cgroup_gone("abandon") == [], "cgroup removed (abandon)")
    ok(not os.path.exists(os.path.join(run, "monitor.sock")), "socket removed (abandon)")


def test_not_found(top, rootfs):
    b, run = make_bundle(top, "nf", rootfs, ["does-not-exist"])
    pid, ctl, log, t0 = spawn(b, run, "nf")
    ev = recv(ctl)
    ok(ev and ev.get("event") == "error" and ev.get("exit_code") == 127 and ev.get("message"),
       "error event for a missing command", ev)
    print("# %s" % ev)
    ok(wait_monitor(pid) == 1, "monitor exits 1 on create failure")
    ok(cgroup_gone("nf") == [], "cgroup removed (not found)")
    ctl.close()


def test_flood(top, rootfs):
    # A lot of output and a client that never reads: the container must
    # finish, the log must have everything, the client is dropped.
    b, run = make_bundle(top, "flood", rootfs,
                         ["sh", "-c", "i=0; while [ $i -lt 3000 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done"])
    pid, ctl, log, t0 = spawn(b, run, "flood")
    ok(recv(ctl).get("event") == "created", "created (flood)")
    # An attacher (not the start client, which is waited for) that never reads.
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    socket.send_fds(ctl, [b'{"op":"attach"}'], [theirs.fileno()])
    theirs.close()
    ok(recv(ctl) == {"event": "ok"}, "stuck attacher attached before start")
    ctl.send(b'{"op":"start"}')
    ok(recv(ctl) == {"event": "started"}, "started (flood)")
    ev = recv(ctl, timeout=20)
    ok(ev and ev.get("exit_code") == 0, "flooding container exits 0 with a stuck client", ev)
    ok(wait_monitor(pid) == 0, "monitor exited (flood)")
    text, part = [], ""
    for l in open(log).read().splitlines():  # join P records to their line
        m = CRI.match(l)
        part += m.group(3)
        if m.group(2) == "F":
            text.append(part)
            part = ""
    n = sum(1 for l in text if l.startswith("line-"))
    ok(n == 3000, "all 3000 lines logged", n)
    mine.close()
    ctl.close()


def frame(t, payload):
    return struct.pack(">B3xI", t, len(payload)) + payload


def ctl_frame(obj):
    return frame(3, json.dumps(obj).encode())


class Reader:
    """Collects the frames a client connection receives."""

    def __init__(self, sock):
        self.sock, self.buf, self.frames, self.eof, self.nbytes = sock, b"", [], False, 0

    def pump(self, timeout):
        self.sock.settimeout(max(timeout, 0.001))
        try:
            d = self.sock.recv(262144)
        except socket.timeout:
            return
        except (ConnectionResetError, BrokenPipeError):
            d = b""
        if not d:
            self.eof = True
            return
        self.nbytes += len(d)
        self.buf += d
        while len(self.buf) >= 8:
            n = struct.unpack(">I", self.buf[4:8])[0]
            if len(self.buf) < 8 + n:
                break
            self.frames.append((self.buf[0], self.buf[8:8 + n]))
            self.buf = self.buf[8 + n:]

    def until(self, pred, timeout=5):
        end = time.monotonic() + timeout
        while not pred(self) and not self.eof and time.monotonic() < end:
            self.pump(end - time.monotonic())
        return pred(self)

    def out(self, types=(1,)):
        return b"".join(p for t, p in self.frames if t in types)

    def exit(self):
        for t, p in self.frames:
            if t == 4:
                return json.loads(p)
        return None

    def wait_exit(self, timeout=10):
        self.until(lambda r: r.exit() is not None, timeout)
        return self.exit()


class Ctl:
    """A control connection: replies in order, unsolicited events aside."""
    UNSOLICITED = ("exec-exited", "exited")

    def __init__(self, sock):
        self.sock, self.events = sock, []

    def send(self, obj, fd=None):
        data = json.dumps(obj).encode()
        if fd is None:
            self.sock.send(data)
        else:
            socket.send_fds(self.sock, [data], [fd])

    def _recv(self, timeout):
        self.sock.settimeout(timeout)
        d = self.sock.recv(65536)
        return json.loads(d) if d else None

    def reply(self, timeout=10):
        while True:
            m = self._recv(timeout)
            if m is None or m.get("event") not in self.UNSOLICITED:
                return m
            self.events.append(m)

    def call(self, obj, fd=None, timeout=10):
        self.send(obj, fd)
        return self.reply(timeout)

    def attach(self, obj):
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        r = self.call(obj, theirs.fileno())
        theirs.close()
        return r, mine

    def event(self, pred, timeout=10):
        end = time.monotonic() + timeout
        while True:
            for e in self.events:
                if pred(e):
                    self.events.remove(e)
                    return e
            left = end - time.monotonic()
            if left <= 0:
                return None
            try:
                m = self._recv(left)
            except socket.timeout:
                return None
            if m is None:
                return None
            self.events.append(m)


def start_attached(top, rootfs, name, args, extra=(), start=None, **kw):
    b, run = make_bundle(top, name, rootfs, args, **kw)
    pid, sock, log, t0 = spawn(b, run, name, extra)
    ctl = Ctl(sock)
    ev = ctl.reply()
    ok(ev and ev.get("event") == "created", "created (%s)" % name, ev)
    if not ev or ev.get("event") != "created":
        wait_monitor(pid)
        return None
    r, mine = ctl.attach(dict({"op": "start", "stdin": True}, **(start or {})))
    ok(r == {"event": "started"}, "started (%s)" % name, r)
    return pid, ctl, run, log, mine


def test_stdin(top, rootfs):
    st = start_attached(top, rootfs, "stdin", ["sh", "-c", "cat; echo done"], ["--stdin"])
    if not st:
        return
    pid, ctl, run, log, mine = st
    mine.sendall(frame(0, b"abc\n") + frame(0, b"") + frame(0, b"def"))
    mine.sendall(ctl_frame({"op": "close_stdin"}))
    rd = Reader(mine)
    ok(rd.wait_exit() == {"exit_code": 0}, "stdin: exit 0 after close_stdin", rd.frames[-3:])
    ok(rd.out() == b"abc\ndefdone\n", "stdin reaches the container, close_stdin is EOF", rd.out())
    ok(wait_monitor(pid) == 0, "monitor exited (stdin)")
    mine.close()

    # Without --stdin the container's stdin is /dev/null: stdin frames go nowhere.
    st = start_attached(top, rootfs, "nostdin", ["sh", "-c", "cat; echo rc=$?"])
    if not st:
        return
    pid, ctl, run, log, mine = st
    try:
        mine.sendall(frame(0, b"ignored\n"))
    except OSError:
        pass
    rd = Reader(mine)
    ok(rd.wait_exit() == {"exit_code": 0} and rd.out() == b"rc=0\n", "no --stdin: /dev/null", rd.out())
    ok(wait_monitor(pid) == 0, "monitor exited (no stdin)")
    mine.close()


def rss_kb(pid):
    for l in open("/proc/%d/status" % pid):
        if l.startswith("VmRSS:"):
            return int(l.split()[1])
    return 0


def test_stdin_backpressure(top, rootfs):
    # The container reads nothing for a while: the client's stdin must stall
    # (bounded buffers), then everything arrives once it reads.
    st = start_attached(top, rootfs, "stdinbp", ["sh", "-c", "sleep 1.5; wc -c"], ["--stdin"])
    if not st:
        return
    pid, ctl, run, log, mine = st
    total = 8 * 1024 * 1024
    chunk = frame(0, b"x" * 65536)
    rss0 = rss_kb(pid)
    mine.setblocking(False)
    sent, end = 0, time.monotonic() + 1.0
    while time.monotonic() < end and sent < len(chunk) * 128:
        try:
            n = mine.send(chunk)
            if n < len(chunk):
                mine.setblocking(True)
                mine.sendall(chunk[n:])
                mine.setblocking(False)
            sent += len(chunk)
        except BlockingIOError:
            time.sleep(0.02)
    rss1 = rss_kb(pid)
    ok(sent < 2 * 1024 * 1024, "stdin stalls while the container does not read (%d bytes accepted)" % sent)
    ok(rss1 - rss0 < 2048, "monitor memory bounded under stdin back-pressure (%d -> %d kB)" % (rss0, rss1))
    mine.setblocking(True)
    mine.settimeout(20)
    for _ in range(sent // len(chunk), 128):
        mine.sendall(chunk)
    mine.sendall(ctl_frame({"op": "close_stdin"}))
    rd = Reader(mine)
    ok(rd.wait_exit(20) == {"exit_code": 0}, "stdin back-pressure: exit 0")
    ok(rd.out().strip() == str(total).encode(), "all 8 MiB of stdin arrived", rd.out())
    ok(wait_monitor(pid) == 0, "monitor exited (stdin back-pressure)")
    mine.close()


def test_slow_start_client(top, rootfs):
    # The start client (`run` attached) is the container's terminal: a slow
    # one slows the container and gets every byte, also after the exit.
    total = 16 << 20
    st = start_attached(top, rootfs, "slowstart", ["dd", "if=/dev/zero", "bs=65536", "count=%d" % (total >> 16)],
                        devpts=True)
    if not st:
        return
    pid, ctl, run, log, mine = st
    time.sleep(1.5)
    ok(os.waitpid(pid, os.WNOHANG) == (0, 0), "container held while its start client does not read")
    rd = Reader(mine)
    ok(rd.wait_exit(30) == {"exit_code": 0}, "slow start client: EXIT 0")
    ok(len(rd.out()) == total, "slow start client got every byte (%d)" % len(rd.out()))
    ok(wait_monitor(pid) == 0, "monitor exited (slow start client)")
    mine.close()


def test_tty(top, rootfs):
    st = start_attached(top, rootfs, "tty", ["sh", "-c", "stty size; tty; read x; stty size; echo got:$x"],
                        ["--stdin", "--tty"], start={"rows": 30, "cols": 100}, terminal=True, size=(10, 20))
    if not st:
        return
    pid, ctl, run, log, mine = st
    rd = Reader(mine)
    ok(rd.until(lambda r: b"30 100" in r.out()), "start rows/cols set the pty size", rd.out())
    mine.sendall(ctl_frame({"op": "resize", "rows": 40, "cols": 120}) + frame(0, b"hi\n"))
    ok(rd.wait_exit() == {"exit_code": 0}, "tty: exit 0", rd.frames[-2:])
    out = rd.out()
    ok(b"/dev/pts/0" in out, "stdio is a pty of the container's devpts", out)
    ok(b"40 120" in out, "resize control frame reaches the pty", out)
    ok(b"got:hi" in out, "tty input", out)
    ok(not [t for t, p in rd.frames if t == 2], "tty: no stderr frames")
    lines = open(log).read().splitlines()
    ok(lines and all(" stdout " in l for l in lines), "tty output logged as stdout", lines[:3])
    ok(wait_monitor(pid) == 0, "monitor exited (tty)")
    mine.close()

    st = start_attached(top, rootfs, "ttyeof", ["sh", "-c", "cat; echo eof-seen"], ["--stdin", "--tty"],
                        terminal=True)
    if not st:
        return
    pid, ctl, run, log, mine = st
    mine.sendall(frame(0, b"abc") + ctl_frame({"op": "close_stdin"}))
    rd = Reader(mine)
    ok(rd.wait_exit() == {"exit_code": 0} and b"eof-seen" in rd.out(), "tty close_stdin sends EOF", rd.out())
    ok(wait_monitor(pid) == 0, "monitor exited (tty eof)")
    mine.close()


def test_multi_attach(top, rootfs):
    # More than the stuck client's socket can hold (FRAME_CLIENT_SNDBUF, doubled
    # by the kernel) plus FRAME_CLIENT_MAX_BUFFER: about 11.7 MB.
    n_lines = 1600000
    expect = sum(len(str(i)) + 1 for i in range(1, n_lines + 1))
    st = start_attached(top, rootfs, "multi",
                        ["sh", "-c", "read x; echo got:$x; read y; echo got:$y; read z; seq 1 %d; echo end" % n_lines],
                        ["--stdin"])
    if not st:
        return
    pid, ctl, run, log, mine = st
    a = Reader(mine)
    r, sb = ctl.attach({"op": "attach", "stdin": True})
    ok(r == {"event": "ok"}, "second attacher", r)
    b = Reader(sb)
    r, sc = ctl.attach({"op": "attach", "stdin": True})
    c = Reader(sc)
    r2, sd = ctl.attach({"op": "attach", "stdin": False})  # never reads
    ok(r2 == {"event": "ok"}, "a client that will never read attached", r2)
    sc.sendall(b"\x09\0\0\0\0\0\0\0")
    ok(c.until(lambda r: r.eof) and c.eof, "invalid frame: that client is closed")
    mine.sendall(frame(0, b"a\n"))
    ok(a.until(lambda r: b"got:a" in r.out()) and b.until(lambda r: b"got:a" in r.out()),
       "output from A's input reaches A and B")
    sb.sendall(frame(0, b"b\n"))
    ok(a.until(lambda r: b"got:b" in r.out()) and b.until(lambda r: b"got:b" in r.out()),
       "input from B too")
    sb.sendall(frame(0, b"go\n"))
    t0 = time.monotonic()
    end = time.monotonic() + 30
    while time.monotonic() < end and (a.exit() is None or b.exit() is None):
        for x in (a, b):  # both read at full speed, in turn
            if x.exit() is None and not x.eof:
                x.pump(0.01)
    ok(a.exit() == {"exit_code": 0}, "A gets EXIT")
    ok(b.exit() == {"exit_code": 0} and b.out() == a.out(), "B gets EXIT and the same bytes")
    ok(a.out().endswith(b"%d\nend\n" % n_lines) and len(a.out()) == expect + len(b"got:a\ngot:b\nend\n"),
       "A got every byte (%d)" % len(a.out()))
    print("# %d bytes to two readers past a stuck one in %.2f s" % (len(a.out()), time.monotonic() - t0))
    d = Reader(sd)
    d.until(lambda r: r.eof, 5)
    ok(d.eof and d.exit() is None and d.nbytes < expect, "the stuck client was disconnected (%d bytes)" % d.nbytes)
    ok(wait_monitor(pid) == 0, "monitor exited (multi)")
    for s in (mine, sb, sc, sd):
        s.close()


def test_exec(top, rootfs):
    b, run = make_bundle(top, "exec", rootfs, ["sleep", "100"], devpts=True)
    pid, sock, log, t0 = spawn(b, run, "exec")
    ctl = Ctl(sock)
    ok(ctl.reply().get("event") == "created", "created (exec)")
    ok(ctl.call({"op": "start"}) == {"event": "started"}, "started (exec)")

    def proc(args, **kw):
        return dict({"args": args, "env": ["PATH=/bin"], "cwd": "/", "user": {"uid": 0, "gid": 0}}, **kw)

    fds0 = sorted(os.listdir("/proc/%d/fd" % pid))

    r = ctl.call({"op": "exec", "exec_id": "e1", "process": proc(["sh", "-c", "echo out; echo err >&2; exit 5"]),
                  "stdin": False})
    ok(r and r.get("event") == "exec-started" and r.get("exec_id") == "e1" and r.get("pid", 0) > 0,
       "exec-started", r)
    if not r or r.get("event") != "exec-started":
        ctl.call({"op": "signal", "signal": 9})
        wait_monitor(pid)
        return
    time.sleep(0.2)  # output produced before the attach is not lost
    r, s1 = ctl.attach({"op": "exec-attach", "exec_id": "e1", "stdin": False, "replay": False})
    ok(r == {"event": "ok"}, "exec-attach", r)
    rd = Reader(s1)
    ok(rd.wait_exit() == {"exit_code": 5}, "exec EXIT frame 5", rd.frames)
    ok(rd.out() == b"out\n" and rd.out((2,)) == b"err\n", "exec stdout/stderr apart", rd.frames)
    ev = ctl.event(lambda e: e.get("event") == "exec-exited" and e.get("exec_id") == "e1")
    ok(ev and ev.get("exit_code") == 5, "exec-exited event", ev)
    r = ctl.call({"op": "exec-list"})
    e1 = [e for e in (r or {}).get("execs", []) if e.get("exec_id") == "e1"]
    ok(e1 and e1[0].get("exit_code") == 5 and e1[0].get("running") is False and
       e1[0].get("command") == ["sh", "-c", "echo out; echo err >&2; exit 5"] and e1[0].get("finished_at") and
       e1[0].get("created"), "exec-list keeps the exit code", r)

    r = ctl.call({"op": "exec", "exec_id": "e2", "process": proc(["nope"]), "stdin": False})
    ok(r and r.get("event") == "exec-failed" and r.get("exit_code") == 127, "exec of a missing command: 127", r)
    r = ctl.call({"op": "exec", "exec_id": "e1", "process": proc(["true"])})
    ok(r and r.get("event") == "exec-failed", "duplicate exec id refused", r)
    r = ctl.call({"op": "exec", "exec_id": "bad", "process": {"args": []}})
    ok(r and r.get("event") == "exec-failed" and r.get("exit_code") == 125, "empty args refused", r)

    # Detach and re-attach with replay.
    r = ctl.call({"op": "exec", "exec_id": "e3", "process": proc(["sh", "-c", "echo first; read x; echo second:$x"]),
                  "stdin": True})
    ok(r and r.get("event") == "exec-started", "exec with stdin", r)
    r, s3 = ctl.attach({"op": "exec-attach", "exec_id": "e3", "stdin": True, "replay": False})
    rd = Reader(s3)
    ok(rd.until(lambda x: b"first" in x.out()), "first attacher sees output")
    s3.close()
    time.sleep(0.1)
    r = ctl.call({"op": "exec-list"})
    e3 = [e for e in r.get("execs", []) if e.get("exec_id") == "e3"]
    ok(e3 and e3[0].get("running") is True and e3[0].get("exit_code") is None, "exec survives its client", e3)
    r, s3b = ctl.attach({"op": "exec-attach", "exec_id": "e3", "stdin": True, "replay": True})
    rd = Reader(s3b)
    ok(rd.until(lambda x: any(t == 3 for t, p in x.frames)), "replay_end after the replay")
    ctlf = [json.loads(p) for t, p in rd.frames if t == 3]
    ok(rd.out() == b"first\n" and ctlf == [{"op": "replay_end"}], "replayed recent output", rd.frames)
    s3b.sendall(frame(0, b"z\n") + ctl_frame({"op": "close_stdin"}))
    ok(rd.wait_exit() == {"exit_code": 0} and rd.out() == b"first\nsecond:z\n", "re-attached stdin and EXIT",
       rd.frames)
    s3b.close()

    # Re-attach to a finished exec: replay, replay_end, EXIT.
    r, s1b = ctl.attach({"op": "exec-attach", "exec_id": "e1", "stdin": False, "replay": True})
    rd = Reader(s1b)
    ok(r == {"event": "ok"} and rd.wait_exit() == {"exit_code": 5} and [t for t, p in rd.frames] == [1, 2, 3, 4],
       "attach to a finished exec: replay, replay_end, EXIT", rd.frames)
    s1b.close()

    # Kill and remove.
    r = ctl.call({"op": "exec", "exec_id": "e4", "process": proc(["sleep", "100"]), "detach": True})
    ok(r and r.get("event") == "exec-started", "detached exec", r)
    r = ctl.call({"op": "exec-remove", "exec_id": "e4", "force": False})
    ok(r and r.get("event") == "failed", "remove of a running exec refused", r)
    ok(ctl.call({"op": "exec-kill", "exec_id": "e4", "signal": 9}) == {"event": "ok"}, "exec-kill")
    ev = ctl.event(lambda e: e.get("event") == "exec-exited" and e.get("exec_id") == "e4")
    ok(ev and ev.get("exit_code") == 137 and ev.get("signal") == "SIGKILL", "killed exec: 137 SIGKILL", ev)
    ok(ctl.call({"op": "exec-kill", "exec_id": "e4", "signal": 9}).get("event") == "failed",
       "kill of a finished exec fails")
    ok(ctl.call({"op": "exec-remove", "exec_id": "e4"}) == {"event": "ok"}, "exec-remove")
    r = ctl.call({"op": "exec", "exec_id": "e5", "process": proc(["sleep", "100"]), "detach": True})
    ok(ctl.call({"op": "exec-remove", "exec_id": "e5", "force": True}) == {"event": "ok"}, "forced exec-remove")
    ids = [e["exec_id"] for e in ctl.call({"op": "exec-list"}).get("execs", [])]
    ok("e4" not in ids and "e5" not in ids and "e1" in ids, "removed execs gone from the list", ids)
    ok(ctl.call({"op": "exec-attach", "exec_id": "nope"}).get("event") == "failed", "attach to unknown exec fails")

    # An exec with a terminal.
    r = ctl.call({"op": "exec", "exec_id": "e6", "process": proc(["sh", "-c", "stty size; tty"], terminal=True,
                                                                  rows=20, cols=50), "stdin": False})
    ok(r and r.get("event") == "exec-started", "tty exec", r)
    r, s6 = ctl.attach({"op": "exec-attach", "exec_id": "e6", "stdin": False, "replay": False})
    rd = Reader(s6)
    ok(rd.wait_exit() == {"exit_code": 0} and b"20 50" in rd.out() and b"/dev/pts/" in rd.out(),
       "tty exec: size and pty", rd.out())
    s6.close()

    # Output produced before the first attach is held, not dropped, even
    # beyond the 64 KiB ring.
    n_lines = 100000
    expect = sum(len(str(i)) + 1 for i in range(1, n_lines + 1))
    r = ctl.call({"op": "exec", "exec_id": "e8", "process": proc(["seq", "1", str(n_lines)])})
    time.sleep(0.5)
    r, s8 = ctl.attach({"op": "exec-attach", "exec_id": "e8", "stdin": False, "replay": False})
    rd = Reader(s8)
    ok(rd.wait_exit() == {"exit_code": 0} and len(rd.out()) == expect,
       "no output lost before the first attach (%d of %d bytes)" % (len(rd.out()), expect))
    s8.close()

    # Throughput of one exec's stdout through the monitor (no tty).
    r = ctl.call({"op": "exec", "exec_id": "e9", "process": proc(["dd", "if=/dev/zero", "bs=1048576", "count=512"])})
    r, s9 = ctl.attach({"op": "exec-attach", "exec_id": "e9", "stdin": False, "replay": False})
    t0, n = time.monotonic(), 0
    s9.settimeout(10)
    buf = bytearray(1 << 20)
    while True:
        k = s9.recv_into(buf)
        if not k:
            break
        n += k
    dt = time.monotonic() - t0
    ok(n > 512 << 20, "dd through an exec: %d bytes" % n)
    print("# exec stdout throughput: %.0f MiB/s (python reader)" % (n / dt / (1 << 20)))
    s9.close()
    time.sleep(0.3)
    fds1 = sorted(os.listdir("/proc/%d/fd" % pid))
    ok(len(fds1) == len(fds0), "no fd leaked by finished execs and their clients", (fds0, fds1))

    # A running exec when the container dies gets its EXIT too.
    r = ctl.call({"op": "exec", "exec_id": "e7", "process": proc(["sleep", "100"])})
    r, s7 = ctl.attach({"op": "exec-attach", "exec_id": "e7", "stdin": False, "replay": False})
    ok(ctl.call({"op": "signal", "signal": 9}) == {"event": "ok"}, "kill the container")
    rd = Reader(s7)
    ok(rd.wait_exit() is not None, "exec client gets EXIT when the container dies", rd.frames)
    ev = ctl.event(lambda e: e.get("event") == "exited")
    ok(ev and ev.get("exit_code") == 137, "container exited", ev)
    ok(wait_monitor(pid) == 0, "monitor exited (exec)")
    ok(cgroup_gone("exec") == [], "cgroup removed (exec)")
    s7.close()
    sock.close()


def test_log_rotation(top, rootfs):
    b, run = make_bundle(top, "rot", rootfs, ["seq", "1", "400"])
    pid, sock, log, t0 = spawn(b, run, "rot", ["--log-max-size", "2000", "--log-max-files", "3"])
    ctl = Ctl(sock)
    ok(ctl.reply().get("event") == "created", "created (rotation)")
    ok(ctl.call({"op": "start"}) == {"event": "started"}, "started (rotation)")
    ok(ctl.event(lambda e: e.get("event") == "exited").get("exit_code") == 0, "exited (rotation)")
    ok(wait_monitor(pid) == 0, "monitor exited (rotation)")
    names = sorted(n for n in os.listdir(run) if n.startswith("container.log"))
    ok(names == ["container.log", "container.log.1", "container.log.2"], "max 3 files", names)
    recs = []
    for n in ("container.log.2", "container.log.1", "container.log"):
        p = os.path.join(run, n)
        ok(os.path.getsize(p) <= 2000, "%s within 2000 bytes" % n, os.path.getsize(p))
        for l in open(p).read().splitlines():
            m = CRI.match(l)
            recs.append(m.group(3) if m and m.group(2) == "F" else None)
    ok(None not in recs, "every record whole (F) in every file")
    nums = [int(x) for x in recs if x]
    ok(nums and nums[-1] == 400 and nums == list(range(nums[0], 401)) and nums[0] > 1,
       "newest records kept in order, oldest dropped", nums[:3])
    sock.close()


def main():
    top = tempfile.mkdtemp(prefix="ctltest-monitor-")
    try:
        rootfs = make_rootfs(top)
        test_run(top, rootfs)
        test_signal_attach(top, rootfs)
        test_abandon(top, rootfs)
        test_not_found(top, rootfs)
        test_flood(top, rootfs)
        only = os.environ.get("MONITOR_TESTS", "").split()
        for t in (test_stdin, test_stdin_backpressure, test_slow_start_client, test_tty, test_multi_attach, test_exec, test_log_rotation):
            if not only or t.__name__ in only:
                t(top, rootfs)
    finally:
        for d in os.listdir("/sys/fs/cgroup"):
            p = "/sys/fs/cgroup/%s%s" % (d, CG_PARENT)
            if os.path.isdir(p):
                for sub in os.listdir(p):
                    if os.path.isdir(os.path.join(p, sub)):
                        try:
                            os.rmdir(os.path.join(p, sub))
                        except OSError as e:
                            print("# leftover %s/%s: %s" % (p, sub, e))
                os.rmdir(p)
        shutil.rmtree(top)
    print("1..%d" % count)
    sys.exit(1 if failed else 0)


main()
