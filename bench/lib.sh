# shellcheck shell=bash
# Helpers shared by the bench scripts (sourced, bash). They start a private
# containerctld in a work dir and undo only what a script made there: its
# processes, its cgroup parent, its mounts and the dir itself.
#
# A script sets, before calling them:
#   B    its mktemp work dir (everything it makes lives below it)
#   CG   its unique cgroup parent ("/ctlxxx-XXXXXX")
#   SOCK the private daemon's socket
# and gets DAEMON_PID (empty while no daemon runs).

DAEMON_PID=

# wait_for SECONDS CMD...: polls CMD every 50 ms until it succeeds.
wait_for() {
        local t=$1 i
        shift
        for ((i = 0; i < t * 20; i++)); do
                "$@" >/dev/null 2>&1 && return 0
                sleep 0.05
        done
        return 1
}

# bench_run_tmpfs: a private tmpfs at $B/run for the daemon's --run-root,
# as /run/containerctl is on a host (tmpfs): the monitors' exit records
# and the netns pins then cost what they cost there, not a disk's fsync
# (whose latency on a VM disk is most of the noise between runs).
# bench_cleanup unmounts it.
bench_run_tmpfs() {
        mkdir -p "$B/run" && mount -t tmpfs -o mode=0755,size=64m "bench-run-${B##*.}" "$B/run"
}

# bench_daemon_start: containerctld on $SOCK with its state in
# $B/root and $B/run, containers under $CG/ctl, logging to $B/daemon.log;
# waits until it answers. Returns 1 (with the log's last line on stderr)
# if it does not come up.
bench_daemon_start() {
        containerctld --socket "$SOCK" --root "$B/root" --run-root "$B/run" --cgroup-parent "$CG/ctl" \
                --log-level warning </dev/null >>"$B/daemon.log" 2>&1 &
        DAEMON_PID=$!
        if ! wait_for 10 containerctl --socket "$SOCK" version; then
                echo "containerctld did not come up: $(tail -n1 "$B/daemon.log")" >&2
                return 1
        fi
}

# bench_daemon_stop: removes the daemon's containers, then TERM (KILL after
# 15 s) and reaps it.
bench_daemon_stop() {
        [[ -n $DAEMON_PID ]] || return 0
        local c
        for c in $(containerctl --socket "$SOCK" ps -a -q 2>/dev/null); do
                containerctl --socket "$SOCK" rm -f "$c" >/dev/null 2>&1
        done
        kill -TERM "$DAEMON_PID" 2>/dev/null
        wait_for 15 sh -c "! kill -0 $DAEMON_PID" || kill -KILL "$DAEMON_PID" 2>/dev/null
        wait "$DAEMON_PID" 2>/dev/null
        DAEMON_PID=
}

# bench_cleanup: for an EXIT trap. Stops the daemon, kills what still has
# $B/ on its command line (monitors: only ours), removes $CG in every
# hierarchy, unmounts what is mounted below $B, and removes $B unless
# BENCH_KEEP=1.
bench_cleanup() {
        set +e
        bench_daemon_stop
        local d h m
        for d in /proc/[0-9]*; do
                { tr '\0' ' ' <"$d/cmdline"; } 2>/dev/null | grep -qF -- "$B/" &&
                        kill -KILL "${d#/proc/}" 2>/dev/null
        done
        if [[ -n ${CG:-} ]]; then
                for h in /sys/fs/cgroup/*/; do
                        [[ -d $h${CG#/} ]] || continue
                        find "$h${CG#/}" -depth -type d -exec rmdir {} + 2>/dev/null ||
                                echo "warning: could not remove cgroup $h${CG#/}" >&2
                done
        fi
        for m in $(grep -F " $B/" /proc/self/mountinfo | awk '{print $5}' | sort -r); do
                umount -l "$m"
        done
        if [[ ${BENCH_KEEP:-0} == 1 ]]; then
                echo "kept $B" >&2
        else
                rm -rf --one-file-system "$B"
        fi
}

# bench_free_subnet: prints a random 10.2xx.y.0/24 that no address or
# route of this host overlaps (for a private bridge), or fails.
bench_free_subnet() {
        python3 -c '
import ipaddress, random, subprocess
used = []
for cmd in (["ip", "-4", "-o", "addr", "show"], ["ip", "-4", "route", "show"]):
    for line in subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines():
        for w in line.split():
            try:
                used.append(ipaddress.ip_network(w, strict=False))
            except ValueError:
                pass
for _ in range(1000):
    n = ipaddress.ip_network("10.%d.%d.0/24" % (random.randint(200, 249), random.randint(0, 255)))
    if not any(n.overlaps(u) for u in used if u.prefixlen > 0):
        print(n)
        break
'
}
