# Shared setup for the integration tests: one private containerctld per bats
# file (own socket, state dirs, cgroup parent under $TMP), the test image
# (busybox + /probe) built once per bats run, bounded polling helpers, and a
# teardown that removes everything the file created and fails if the product
# left anything behind. Never touches anything it did not create.

CTL_SRCDIR=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
CTL_BUILDDIR=${CONTAINERCTL_BUILDDIR:-$CTL_SRCDIR}
export PATH="$CTL_BUILDDIR:$PATH"

# wait_until TIMEOUT_SECONDS CMD...: polls CMD every 50 ms until it succeeds;
# fails once TIMEOUT_SECONDS of wall time have passed (a real deadline, so a
# slow machine or an emulated VM does not stretch it). CMD's words are
# expanded once, by the caller: anything that must be re-read at each poll
# ($(...), $((...))) goes inside eval '...'.
wait_until() {
        local timeout=$1 deadline
        shift
        deadline=$(($(date +%s%N) / 1000000 + timeout * 1000))
        while :; do
                if "$@" >/dev/null 2>&1; then
                        return 0
                fi
                if (($(date +%s%N) / 1000000 >= deadline)); then
                        break
                fi
                sleep 0.05
        done
        echo "timed out after ${timeout}s waiting for: $*" >&2
        return 1
}

now_ms() {
        echo $(($(date +%s%N) / 1000000))
}

# The test image: the busybox rootfs from contrib/make-busybox-image.sh with
# /probe and /noexec (a 0644 script, for the 126 test) appended, built once
# per bats run and shared by every file.
ctl_build_image() {
        local dir=${CTL_IMAGE_CACHE:-$BATS_RUN_TMPDIR/ctl-image}
        local tar=$dir/busybox-probe.tar
        mkdir -p "$dir"
        (
                flock 9
                if [[ -s $tar ]]; then
                        exit 0
                fi
                set -e
                local probe=${CTL_PROBE:-$CTL_BUILDDIR/tests/probe/probe}
                if [[ ! -x $probe ]]; then
                        probe=$dir/probe
                        gcc -static -O2 -I"$CTL_SRCDIR" -o "$probe" "$CTL_SRCDIR/tests/probe/probe.c" "$CTL_SRCDIR/tests/probe/escape.c"
                fi
                if [[ -x $CTL_SRCDIR/contrib/make-busybox-image.sh ]]; then
                        "$CTL_SRCDIR/contrib/make-busybox-image.sh" "$dir/base.tar" >&2
                else
                        ctl_fallback_busybox_tar "$dir/base.tar"
                fi
                case $(file -b --mime-type "$dir/base.tar" 2>/dev/null) in
                application/gzip) gzip -dc "$dir/base.tar" >"$tar.tmp" ;;
                application/x-xz) xz -dc "$dir/base.tar" >"$tar.tmp" ;;
                application/zstd) zstd -qdc "$dir/base.tar" >"$tar.tmp" ;;
                *) cp "$dir/base.tar" "$tar.tmp" ;;
                esac
                mkdir -p "$dir/probe-root"
                install -m 0755 "$probe" "$dir/probe-root/probe"
                printf '#!/bin/sh\necho never\n' >"$dir/probe-root/noexec"
                chmod 0644 "$dir/probe-root/noexec"
                tar --append -f "$tar.tmp" -C "$dir/probe-root" --owner=0 --group=0 \
                        --numeric-owner --mtime=@0 ./probe ./noexec
                mv "$tar.tmp" "$tar"
        ) 9>"$dir/lock" || return 1
        echo "$tar"
}

# Used only while contrib/make-busybox-image.sh does not exist.
ctl_fallback_busybox_tar() {
        local out=$1 root
        root=$(mktemp -d /tmp/ctlimg.XXXXXX)
        mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,root,usr/bin,usr/sbin}
        cp /bin/busybox "$root/bin/busybox"
        local applet
        for applet in $("$root/bin/busybox" --list); do
                [[ -e $root/bin/$applet ]] || ln -s busybox "$root/bin/$applet"
        done
        echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
        echo 'nobody:x:65534:65534:nobody:/:/bin/false' >>"$root/etc/passwd"
        printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
        chmod 1777 "$root/tmp"
        tar -C "$root" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$out" .
        rm -rf "$root"
}

ctl_random() {
        od -An -N4 -tx4 /dev/urandom | tr -d ' \n'
}

# A /24 for this file's default network that no host address or route
# touches: 10.200.0.0-10.249.255.0, picked at random, checked with ip(8).
ctl_free_subnet() {
        local a b net tries
        for tries in $(seq 50); do
                a=$((200 + RANDOM % 50)) b=$((RANDOM % 256))
                net=10.$a.$b
                if ! ip -4 -o addr show | grep -q " $net\." &&
                        ! ip -4 route show | grep -qE "^(10\.$a\.$b\.|10\.$a\.0\.0/16|10\.0\.0\.0/8)"; then
                        echo "$net.0/24"
                        return 0
                fi
        done
        return 1
}

# Starts this file's private daemon, with its own default bridge and subnet
# (CTL_BRIDGE, CTL_SUBNET). Exports TMP, CTL_SOCK, CTL_CGROUP_PARENT,
# CTL_DAEMON_PID, CONTAINERCTL_SOCKET.
ctl_daemon_start() {
        if [[ -z ${CTL_BRIDGE:-} ]]; then
                CTL_BRIDGE=ctlt$(ctl_random | cut -c1-6)
                CTL_SUBNET=$(ctl_free_subnet) || { echo "no free 10.x subnet for the test network" >&2; return 1; }
                export CTL_BRIDGE CTL_SUBNET
        fi
        containerctld --socket "$CTL_SOCK" --root "$TMP/root" --run-root "$CTL_RUN_ROOT" \
                --cgroup-parent "$CTL_CGROUP_PARENT" --bridge "$CTL_BRIDGE" --subnet "$CTL_SUBNET" \
                --seccomp-profile "$CTL_SRCDIR/etc/seccomp.json" --log-level debug "$@" \
                </dev/null >>"$TMP/daemon.log" 2>&1 3>&- 4>&- &
        CTL_DAEMON_PID=$!
        export CTL_DAEMON_PID
        echo "$CTL_DAEMON_PID" >"$TMP/daemon.pid"
        if ! wait_until 10 test -S "$CTL_SOCK"; then
                echo "daemon did not create $CTL_SOCK; its log:" >&2
                cat "$TMP/daemon.log" >&2
                return 1
        fi
        # The socket exists; make sure it answers.
        wait_until 10 containerctl version
}

# Restarts the daemon with the same flags (and config) as ctl_setup_file.
ctl_daemon_restart() {
        ctl_daemon_stop
        if [[ -f $TMP/containerctld.conf ]]; then
                ctl_daemon_start --config "$TMP/containerctld.conf"
        else
                ctl_daemon_start
        fi
}

# Sends SIGTERM and waits (bounded) for the daemon to exit. The pid comes
# from $TMP/daemon.pid: a test may have restarted the daemon in its subshell.
ctl_daemon_stop() {
        local pid
        pid=$(cat "$TMP/daemon.pid" 2>/dev/null) || return 0
        [[ -n $pid ]] || return 0
        kill -TERM "$pid" 2>/dev/null || true
        if ! wait_until 15 ctl_pid_gone "$pid"; then
                echo "daemon $pid ignored SIGTERM for 15s, killing it" >&2
                kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
        rm -f "$TMP/daemon.pid"
        CTL_DAEMON_PID=
}

ctl_pid_gone() {
        ! kill -0 "$1" 2>/dev/null || [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) == Z ]]
}

ctl_setup_file() {
        TMP=$(mktemp -d /tmp/ctltest.XXXXXX)
        CTL_SOCK=$TMP/sock
        CTL_CGROUP_PARENT=/ctltest-$(ctl_random)
        CONTAINERCTL_SOCKET=$CTL_SOCK
        CTL_RUN_ROOT=$TMP/run
        # CTL_SHORT_RUN_ROOT=1: a short run root (/tmp/ctr.XXXXXX) for daemons
        # that cannot bind a long monitor socket path (sun_path is 108 bytes).
        if [[ ${CTL_SHORT_RUN_ROOT:-0} == 1 ]]; then
                CTL_RUN_ROOT=/tmp/ctr.${TMP##*.}
                mkdir "$CTL_RUN_ROOT"
        fi
        export TMP CTL_SOCK CTL_CGROUP_PARENT CONTAINERCTL_SOCKET CTL_RUN_ROOT
        echo "$CTL_CGROUP_PARENT" >"$TMP/cgroup-parent"
        CTL_IMAGE_TAR=$(ctl_build_image)
        export CTL_IMAGE_TAR
        # CTL_DAEMON_CONFIG: the text of a containerctld.conf for this file.
        if [[ -n ${CTL_DAEMON_CONFIG:-} ]]; then
                printf '%s\n' "$CTL_DAEMON_CONFIG" >"$TMP/containerctld.conf"
                ctl_daemon_start --config "$TMP/containerctld.conf"
        else
                ctl_daemon_start
        fi
        containerctl image import "$CTL_IMAGE_TAR" busybox:latest >/dev/null
}

# Processes whose command line mentions our $TMP (monitors, daemon).
ctl_our_pids() {
        # One grep for all (forks are dear in the TCG VM), its patterns in
        # a file so that its own command line does not match.
        grep -lsFf <(printf '%s\n' "$TMP/" "$CTL_RUN_ROOT/") /proc/[0-9]*/cmdline | cut -d/ -f3
}

# Cgroup directories created for our parent in every hierarchy.
# Every cgroup hierarchy root: /sys/fs/cgroup itself on a pure v2 host, each
# mounted hierarchy below it on hybrid and v1 hosts.
ctl_cgroup_roots() {
        if [[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]]; then
                echo /sys/fs/cgroup/
        else
                ls -d /sys/fs/cgroup/*/
        fi
}

ctl_our_cgroups() {
        local h
        [[ -n ${CTL_CGROUP_PARENT:-} ]] || return 0
        for h in $(ctl_cgroup_roots); do
                [[ -d $h${CTL_CGROUP_PARENT#/} ]] && find "$h${CTL_CGROUP_PARENT#/}" -mindepth 1 -type d
        done
        return 0
}

ctl_our_mounts() {
        grep -F -e " $TMP/" -e " $CTL_RUN_ROOT/" /proc/self/mountinfo | awk '{print $5}'
        return 0
}

# Removes every container, stops the daemon, then checks (and repairs) that
# nothing is left: processes, cgroups, mounts, zombies. Fails if anything was.
ctl_teardown_file() {
        local leaks="" ids pid p m h dir
        [[ -n ${TMP:-} && -d $TMP ]] || return 0
        CTL_DAEMON_PID=$(cat "$TMP/daemon.pid" 2>/dev/null) || true
        if [[ -n ${CTL_DAEMON_PID:-} ]] && kill -0 "$CTL_DAEMON_PID" 2>/dev/null; then
                ids=$(timeout 30 containerctl ps -a -q 2>/dev/null) || true
                for p in $ids; do
                        timeout 30 containerctl rm -f "$p" >/dev/null 2>&1 ||
                                leaks+="container $p could not be removed; "
                done
        fi
        ctl_daemon_stop

        # Give monitors a moment to exit after their container is gone.
        wait_until 5 eval '[[ -z $(ctl_our_pids) ]]' || true
        for pid in $(ctl_our_pids); do
                leaks+="process $pid ($({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null)); "
                kill -KILL "$pid" 2>/dev/null || true
        done
        for h in $(ctl_our_cgroups | sort -r); do
                leaks+="cgroup $h; "
                if [[ -f $h/cgroup.kill ]]; then
                        echo 1 >"$h/cgroup.kill" 2>/dev/null || true
                fi
                for p in $(cat "$h/cgroup.procs" 2>/dev/null); do
                        kill -KILL "$p" 2>/dev/null || true
                done
                wait_until 5 rmdir "$h" || true
        done
        for h in $(ctl_cgroup_roots); do
                dir=$h${CTL_CGROUP_PARENT#/}
                [[ -d $dir ]] && { wait_until 5 rmdir "$dir" || leaks+="cgroup $dir not removable; "; }
        done
        for m in $(ctl_our_mounts | sort -r); do
                leaks+="mount $m; "
                umount -l "$m" 2>/dev/null || true
        done
        # Network: no veth left on this file's bridge; the bridge itself (made
        # by this file's daemon, unique name) is removed here.
        if [[ -n ${CTL_BRIDGE:-} ]] && ip link show "$CTL_BRIDGE" >/dev/null 2>&1; then
                for p in $(ip -o link show master "$CTL_BRIDGE" 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
                        leaks+="veth $p on $CTL_BRIDGE; "
                        ip link del "$p" 2>/dev/null || true
                done
                ip link del "$CTL_BRIDGE" 2>/dev/null || true
        fi
        # Sanitizer builds: the daemon's and the monitors' reports (leaks are
        # only reported at exit, after the tests' own checks) land in
        # daemon.log, which is deleted below; a report is a failure.
        if grep -qE 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:' "$TMP/daemon.log" 2>/dev/null; then
                leaks+="sanitizer report in daemon.log; "
                grep -E -A30 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:' "$TMP/daemon.log" | head -80 >&2
        fi
        if ps -e -o stat=,ppid= | awk -v p="$$" '$1 ~ /^Z/ && $2 == p' | grep -q .; then
                leaks+="zombie children of the test shell; "
        fi
        if [[ -n $leaks ]]; then
                echo "LEFT BEHIND: $leaks" >&2
                echo "--- daemon log (tail) ---" >&2
                tail -n 60 "$TMP/daemon.log" >&2
        fi
        if [[ $CTL_RUN_ROOT != "$TMP/run" ]]; then
                rm -rf --one-file-system "$CTL_RUN_ROOT"
        fi
        rm -rf --one-file-system "$TMP"
        [[ -z $leaks ]]
}

# Per-test teardown: on failure show the daemon log tail.
ctl_teardown() {
        if [[ -z ${BATS_TEST_COMPLETED:-} && -n ${TMP:-} && -f $TMP/daemon.log ]]; then
                echo "--- daemon log (tail) ---"
                tail -n 40 "$TMP/daemon.log"
        fi
}

setup_file() { ctl_setup_file; }
teardown_file() { ctl_teardown_file; }
teardown() { ctl_teardown; }

# rpc: sends stdin (one JSON request per line) to the socket, prints replies.
rpc() {
        python3 "$BATS_TEST_DIRNAME/rpc.py" "$CTL_SOCK" "$@"
}

# Field of a container from `inspect` (jq expression).
inspect_field() {
        containerctl inspect "$1" | jq -r "if type == \"array\" then .[0] else . end | $2"
}

ctl_state() {
        inspect_field "$1" '.state | if type == "object" then .status else . end'
}

state_is() {
        [[ $(ctl_state "$1") == "$2" ]]
}

# Asserts that $output contains line $1 exactly.
assert_line_eq() {
        if ! grep -qxF -- "$1" <<<"$output"; then
                echo "expected line '$1' in output:" >&2
                echo "$output" >&2
                return 1
        fi
}

# A failed command as Docker reports it: 125 for run/create and usage
# errors, 1 for other commands' daemon errors; always with a message.
assert_error() {
        if [[ $status -ne 1 && $status -ne 125 ]] || [[ -z $output ]]; then
                echo "expected an error (exit 1 or 125, with a message), got $status; output:" >&2
                echo "$output" >&2
                return 1
        fi
}

assert_status() {
        if [[ $status -ne $1 ]]; then
                echo "expected exit status $1, got $status; output:" >&2
                echo "$output" >&2
                return 1
        fi
}

# not CMD...: succeeds iff CMD fails. Use instead of `! CMD`, which bats
# does not treat as a failure unless it is the test's last command.
not() {
        if "$@"; then
                return 1
        fi
        return 0
}

# --- Per-test leak check (console tests) ------------------------------------
# ctl_leak_begin (in setup) records the daemon's fd count and, for each
# container named in $CTL_KEEP (long-lived containers of the file), its
# monitor's fd count and number of children. ctl_leak_end (in teardown)
# removes every other container, then waits (bounded) until the daemon and
# those monitors are back to their counts, and until no process other than
# the daemon and the kept monitors runs with our socket in its environment or
# our state dir in its command line (clients, pty drivers, monitors). What
# it finds is reported, killed (only our own processes) and fails the test.

ctl_fd_count() {
        ls "/proc/$1/fd" 2>/dev/null | wc -l
}

ctl_children() {
        cat /proc/"$1"/task/*/children 2>/dev/null | wc -w
}

# The pid of the monitor of container $1 (the parent of its init).
ctl_monitor_pid() {
        local pid
        pid=$(inspect_field "$1" '.pid // .state.pid') || return 1
        [[ -n $pid && $pid != null ]] || return 1
        awk '{print $4}' "/proc/$pid/stat"
}

# Our processes: clients, drivers and monitors (by program name) whose
# environment names our socket or whose command line names our dirs.
ctl_our_procs() {
        local d pid comm
        # No command substitution per process: a fork costs tens of ms in
        # the TCG VM (tests/vm), and this runs over every process, often.
        for d in /proc/[0-9]*; do
                pid=${d#/proc/}
                { read -r comm <"$d/comm"; } 2>/dev/null || continue
                case $comm in
                containerctl* | python3* | socat | script | timeout) ;;
                *) continue ;;
                esac
                if { tr '\0' '\n' <"$d/environ"; } 2>/dev/null | grep -qxF "CONTAINERCTL_SOCKET=$CTL_SOCK" ||
                        { tr '\0' ' ' <"$d/cmdline"; } 2>/dev/null | grep -qF -e "$TMP/" -e "$CTL_RUN_ROOT/"; then
                        echo "$pid"
                fi
        done
}

ctl_leak_begin() {
        local c
        CTL_DAEMON_PID=$(cat "$TMP/daemon.pid")
        CTL_LEAK_DAEMON_FDS=$(ctl_fd_count "$CTL_DAEMON_PID")
        CTL_LEAK_MONITORS=()
        for c in ${CTL_KEEP:-}; do
                local m
                m=$(ctl_monitor_pid "$c") || continue
                CTL_LEAK_MONITORS+=("$c:$m:$(ctl_fd_count "$m"):$(ctl_children "$m")")
        done
        # Our helpers and the bats process tree itself are not leaks.
        CTL_LEAK_IGNORE=" $(ctl_our_procs | tr '\n' ' ') "
}

ctl_leak_settled() {
        local e c m fds kids pid
        (($(ctl_fd_count "$CTL_DAEMON_PID") <= CTL_LEAK_DAEMON_FDS)) || return 1
        for e in "${CTL_LEAK_MONITORS[@]}"; do
                IFS=: read -r c m fds kids <<<"$e"
                (($(ctl_fd_count "$m") <= fds)) || return 1
                (($(ctl_children "$m") <= kids)) || return 1
        done
        for pid in $(ctl_leak_strays); do
                return 1
        done
        [[ -z $(ctl_daemon_zombies) ]]
}

# Exited children of the daemon it has not reaped (monitors).
ctl_daemon_zombies() {
        ps -e -o pid=,stat=,ppid= | awk -v p="$CTL_DAEMON_PID" '$2 ~ /^Z/ && $3 == p {print $1}'
}

# Our processes that are neither the daemon, a kept monitor, a kept
# container's process, nor something that existed when the test began.
ctl_leak_strays() {
        local pid keep=" $CTL_DAEMON_PID " e c m x
        for e in "${CTL_LEAK_MONITORS[@]}"; do
                IFS=: read -r c m x <<<"$e"
                keep+="$m $(cat /proc/"$m"/task/*/children 2>/dev/null | tr '\n' ' ') "
        done
        for pid in $(ctl_our_procs); do
                [[ $keep == *" $pid "* || $CTL_LEAK_IGNORE == *" $pid "* ]] && continue
                # Descendants of a kept container (its init's children).
                [[ -d /proc/$pid ]] || continue
                echo "$pid"
        done
}

ctl_leak_end() {
        local c ids keepids="" leaks="" e m fds kids pid
        [[ -n ${CTL_LEAK_DAEMON_FDS:-} ]] || return 0
        for c in ${CTL_KEEP:-}; do
                keepids+=" $(inspect_field "$c" .id 2>/dev/null) "
        done
        ids=$(timeout 30 containerctl ps -a -q 2>/dev/null) || true
        for c in $ids; do
                [[ $keepids == *"$c"* ]] && continue
                timeout 30 containerctl rm -f "$c" >/dev/null 2>&1 || leaks+="container $c not removable; "
        done
        if ! wait_until 10 ctl_leak_settled; then
                if (($(ctl_fd_count "$CTL_DAEMON_PID") > CTL_LEAK_DAEMON_FDS)); then
                        leaks+="daemon fds $CTL_LEAK_DAEMON_FDS -> $(ctl_fd_count "$CTL_DAEMON_PID"): $(ls -l "/proc/$CTL_DAEMON_PID/fd" | awk 'NR>1{print $NF}' | sort | uniq -c | tr '\n' ' '); "
                fi
                for e in "${CTL_LEAK_MONITORS[@]}"; do
                        IFS=: read -r c m fds kids <<<"$e"
                        (($(ctl_fd_count "$m") <= fds)) ||
                                leaks+="monitor of $c fds $fds -> $(ctl_fd_count "$m"); "
                        if (($(ctl_children "$m") > kids)); then
                                leaks+="monitor of $c children $kids -> $(ctl_children "$m"); "
                                # Kill what the test left in the kept container (execs),
                                # never its init, so the next test starts clean.
                                local init
                                init=$(inspect_field "$c" '.pid // .state.pid')
                                for pid in $(cat /proc/"$m"/task/*/children 2>/dev/null); do
                                        [[ $pid == "$init" ]] || kill -KILL "$pid" 2>/dev/null || true
                                done
                        fi
                done
                for pid in $(ctl_daemon_zombies); do
                        leaks+="zombie child $pid of the daemon (not reaped); "
                done
                for pid in $(ctl_leak_strays); do
                        leaks+="process $pid ($({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null)); "
                        kill -KILL "$pid" 2>/dev/null || true
                done
        fi
        CTL_LEAK_DAEMON_FDS=
        if [[ -n $leaks ]]; then
                echo "LEAKED by this test: $leaks" >&2
                return 1
        fi
}

# RSS of a process in KiB.
ctl_rss_kb() {
        awk '/^VmRSS:/{print $2}' "/proc/$1/status"
}

# ptydrive: the pty driver (tests/pty/ptydrive.py); see its --help.
ptydrive() {
        python3 "$CTL_SRCDIR/tests/pty/ptydrive.py" --log "$BATS_TEST_TMPDIR/pty.log" "$@"
}

# stream: the frame-protocol client (tests/integration/stream.py).
stream() {
        python3 "$BATS_TEST_DIRNAME/stream.py" "$CTL_SOCK" "$@"
}

# Asserts ptydrive's report: steps=ok, termios=restored and exit=$1.
assert_pty_ok() {
        if ! grep -qx "steps=ok" <<<"$output" || ! grep -qx "termios=restored" <<<"$output" ||
                ! grep -qx "exit=$1" <<<"$output"; then
                echo "expected steps=ok termios=restored exit=$1; ptydrive said:" >&2
                echo "$output" >&2
                echo "--- transcript ---" >&2
                tail -c 3000 "$BATS_TEST_TMPDIR/pty.log" 2>/dev/null | cat -v >&2
                return 1
        fi
}
