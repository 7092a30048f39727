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
    for a in ("sh", "echo", "sleep", "printf", "cat", "true"):
        os.symlink("busybox", os.path.join(root, "bin", a))
    return root


def make_bundle(top, name, rootfs, args):
    b = os.path.join(top, name)
    os.makedirs(b)
    cfg = {
        "ociVersion": "1.0.2",
        "process": {"args": args, "cwd": "/", "env": ["PATH=/bin"],
                    "user": {"uid": 0, "gid": 0}},
        "root": {"path": rootfs, "readonly": True},
        "hostname": "mon-" + name,
        "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
        "linux": {"cgroupsPath": CG_PARENT + "/" + name,
                  "namespaces": [{"type": t} for t in ("pid", "mount", "uts", "ipc")]},
    }
    with open(os.path.join(b, "config.json"), "w") as f:
        json.dump(cfg, f)
    run = os.path.join(b, "run")
    os.makedirs(run)
    return b, run


def spawn(bundle, run, name):
    parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    log = os.path.join(run, "container.log")
    fa = [(os.POSIX_SPAWN_DUP2, child.fileno(), 3)]
    t0 = time.monotonic()
    pid = os.posix_spawn(MONITOR, [MONITOR, "--id", name + "0123456789abcdef", "--bundle", bundle,
                                   "--run-dir", run, "--log", log, "--log-level", "debug"],
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
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    socket.send_fds(ctl, [b'{"op":"start"}'], [theirs.fileno()])
    theirs.close()
    ok(recv(ctl) == {"event": "started"}, "started (flood)")
    ev = recv(ctl, timeout=20)
    ok(ev and ev.get("exit_code") == 0, "flooding container exits 0 with a stuck client", ev)
    ok(wait_monitor(pid) == 0, "monitor exited (flood)")
    n = sum(1 for l in open(log) if " stdout F line-" in l)
    ok(n == 3000, "all 3000 lines logged", n)
    mine.close()
    ctl.close()


def main():
    top = tempfile.mkdtemp(prefix="ctltest-monitor-")
    try:
        rootfs = make_rootfs(top)
        test_run(top, rootfs)
        test_signal_attach(top, rootfs)
        test_abandon(top, rootfs)
        test_not_found(top, rootfs)
        test_flood(top, rootfs)
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
