#!/bin/bash
# Stream benchmark (issue 3): throughput of `containerctl exec box dd
# if=/dev/zero bs=1M count=N` without a tty (to /dev/null and to a pipe)
# against the same bytes through a plain Unix socket with 128 KiB buffers
# and a pipe (bench/sockbench.c), through a relay process (dd | cat into
# the socket: the shape of any exec path), `crun exec` and `runc exec` to
# a pipe;
# with a tty against `crun exec -t` / `runc exec -t`; and exec latency
# (`exec box true`) against `runc exec` / `crun exec`. Prints the figures and
# the ratios the issue sets as targets. Needs root. Removes every container,
# cgroup, mount and file it made, also on failure or Ctrl-C.
#
# Usage: bench/stream.sh [--mib N] [--tty-mib N] [--runs N] [--lat-runs N]
# Env:   CONTAINERCTL_BUILDDIR (containerctl, containerctld, monitor),
#        BENCH_KEEP=1 keeps the work dir.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MIB=1024 TTY_MIB=256 RUNS=3 LAT_RUNS=30
while (($#)); do
        case $1 in
        --mib) MIB=$2; shift 2 ;;
        --tty-mib) TTY_MIB=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --lat-runs) LAT_RUNS=$2; shift 2 ;;
        -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
        esac
done
[[ $(id -u) == 0 ]] || { echo "stream.sh needs root" >&2; exit 1; }
for t in hyperfine jq gcc script; do
        command -v $t >/dev/null || { echo "$t not installed" >&2; exit 1; }
done
[[ -n ${CONTAINERCTL_BUILDDIR:-} ]] && export PATH="$CONTAINERCTL_BUILDDIR:$PATH"

B=$(mktemp -d /tmp/ctlstream.XXXXXX)
CG=/ctlstream-${B##*.}
SOCK=$B/sock
DAEMON_PID=
NOTES=()
CTL="containerctl --socket $SOCK"

wait_for() {
        local t=$1 i
        shift
        for ((i = 0; i < t * 20; i++)); do
                "$@" >/dev/null 2>&1 && return 0
                sleep 0.05
        done
        return 1
}

cleanup() {
        set +e
        if [[ -n $DAEMON_PID ]]; then
                for c in $($CTL ps -a -q 2>/dev/null); do
                        $CTL rm -f "$c" >/dev/null 2>&1
                done
                kill -TERM "$DAEMON_PID" 2>/dev/null
                wait_for 15 sh -c "! kill -0 $DAEMON_PID" || kill -KILL "$DAEMON_PID"
                wait "$DAEMON_PID" 2>/dev/null
        fi
        local rt id
        for rt in runc crun; do
                [[ -d $B/$rt-state ]] || continue
                for id in $(rt_cmd "$rt" list -q 2>/dev/null); do
                        rt_cmd "$rt" delete -f "$id" >/dev/null 2>&1
                done
        done
        local d
        for d in /proc/[0-9]*; do
                { tr '\0' ' ' <"$d/cmdline"; } 2>/dev/null | grep -qF -- "$B/" &&
                        kill -KILL "${d#/proc/}" 2>/dev/null
        done
        local h
        for h in /sys/fs/cgroup/*/; do
                [[ -d $h${CG#/} ]] || continue
                find "$h${CG#/}" -depth -type d -exec rmdir {} + 2>/dev/null ||
                        echo "warning: could not remove cgroup $h${CG#/}" >&2
        done
        for m in $(grep -F " $B/" /proc/self/mountinfo | awk '{print $5}' | sort -r); do
                umount -l "$m"
        done
        [[ ${BENCH_KEEP:-0} == 1 ]] || rm -rf --one-file-system "$B"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# rt_cmd RUNTIME ARGS...: runc, or crun (on a hybrid cgroup host inside a
# mount namespace without /sys/fs/cgroup/unified, which crun 1.8.1 needs).
rt_cmd() {
        local rt=$1
        shift
        if [[ $rt == crun && $CRUN_UNSHARE == 1 ]]; then
                unshare -m sh -c 'umount /sys/fs/cgroup/unified && exec crun "$@"' crun --root "$B/crun-state" "$@"
        else
                "$rt" --root "$B/$rt-state" "$@"
        fi
}
CRUN_UNSHARE=0
if [[ -d /sys/fs/cgroup/unified ]] && mountpoint -q /sys/fs/cgroup/unified; then
        CRUN_UNSHARE=1
fi

echo "==> busybox rootfs and sockbench in $B"
"$SRC/contrib/make-busybox-image.sh" "$B/busybox.tar" >/dev/null
mkdir -p "$B/bundle/rootfs"
tar -C "$B/bundle/rootfs" -xf "$B/busybox.tar"
gcc -O2 -o "$B/sockbench" "$SRC/bench/sockbench.c"

BYTES=$((MIB * 1048576))
TTY_BYTES=$((TTY_MIB * 1048576))
DD="dd if=/dev/zero bs=1M count=$MIB"
TTY_DD="dd if=/dev/zero bs=1M count=$TTY_MIB"

# name -> MiB/s, and the notes.
declare -A RATE
rate_line() { printf '%-44s %10.1f MiB/s %8.2f GiB/s\n' "$1" "$2" "$(jq -n "$2 / 1024")"; }

# hyperfine_rate NAME BYTES CMD: mean of $RUNS runs -> MiB/s.
hyperfine_rate() {
        local name=$1 bytes=$2 cmd=$3 json=$B/hf-$RANDOM.json
        local st=0
        cmd="set -o pipefail; $cmd"
        bash -c "$cmd" >"$B/try.log" 2>&1 || st=$?
        if ((st != 0)); then
                NOTES+=("$name skipped: trial run failed (status $st): $(grep -v '^$' "$B/try.log" | tail -n1 || true)")
                return 0
        fi
        if ! hyperfine --shell bash --style basic --warmup 1 --runs "$RUNS" --export-json "$json" \
                -n "$name" "$cmd" >/dev/null 2>"$B/hf.err"; then
                NOTES+=("$name: FAILED during the timed runs: $(tail -n1 "$B/hf.err")")
                echo "$name: failed (see notes)"
                return 0
        fi
        RATE[$name]=$(jq -r --argjson b "$bytes" '.results[0].mean as $m | $b / $m / 1048576' "$json")
        rate_line "$name" "${RATE[$name]}"
}

echo "==> baselines (bench/sockbench.c, best of $RUNS)"
best() {
        local mode=$1 i r best=0
        shift
        for ((i = 0; i < RUNS; i++)); do
                r=$("$B/sockbench" "$mode" "$@" | awk '{print $4}')
                best=$(jq -n "[$best, $r] | max")
        done
        echo "$best"
}
RATE[pipe]=$(best pipe "$BYTES" $DD status=none)
rate_line "pipe: dd | reader" "${RATE[pipe]}"
RATE[socket]=$(best socket "$BYTES" $DD status=none)
rate_line "unix socket 128K: dd > socket, reader" "${RATE[socket]}"
RATE[socket-mem]=$(best socket "$BYTES")
rate_line "unix socket 128K: memory writer" "${RATE[socket-mem]}"
# The shape of the exec path without containerctl: dd writes into a pipe, a
# relay process (cat: read/write) copies it into the Unix socket, a reader.
RATE[relay]=$(best socket "$BYTES" sh -c "$DD status=none | cat")
rate_line "relay: dd | cat > socket, reader" "${RATE[relay]}"

echo "==> private containerctld ($SOCK)"
containerctld --socket "$SOCK" --root "$B/root" --run-root "$B/run" --cgroup-parent "$CG/ctl" \
        --log-level warning </dev/null >>"$B/daemon.log" 2>&1 &
DAEMON_PID=$!
wait_for 10 $CTL version || { echo "daemon did not start: $(tail -n3 "$B/daemon.log")" >&2; exit 1; }
$CTL image import "$B/busybox.tar" busybox:latest >/dev/null
# The log of `box` is not on the exec path (exec output is not logged), so
# its limits do not matter here.
$CTL run -d --network none --name box busybox sleep 100000 >/dev/null

echo "==> OCI containers for runc and crun"
(cd "$B/bundle" && runc spec)
jq --arg cg "$CG/oci" '
        .process.args = ["sleep", "100000"] | .process.terminal = false |
        .linux.cgroupsPath = $cg |
        .linux.namespaces = [{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}]
' "$B/bundle/config.json" >"$B/bundle/config.json.new"
mv "$B/bundle/config.json.new" "$B/bundle/config.json"
HAVE=()
for rt in runc crun; do
        if ! command -v $rt >/dev/null; then
                NOTES+=("$rt not installed")
                continue
        fi
        mkdir -p "$B/$rt-state"
        mkdir -p "$B/$rt-bundle"
        jq --arg cg "$CG/$rt" --arg root "$B/bundle/rootfs" '.linux.cgroupsPath = $cg | .root.path = $root' \
                "$B/bundle/config.json" >"$B/$rt-bundle/config.json"
        if rt_cmd $rt run -d --bundle "$B/$rt-bundle" "${rt}box" </dev/null >"$B/$rt.log" 2>&1; then
                HAVE+=("$rt")
        else
                NOTES+=("$rt skipped: run -d failed: $(tail -n1 "$B/$rt.log")")
        fi
done
[[ $CRUN_UNSHARE == 1 ]] && NOTES+=("crun runs under 'unshare -m ... umount /sys/fs/cgroup/unified' (hybrid host)")
# crun as one word for nested shells (script -c): a wrapper script.
printf '#!/bin/sh\nexec unshare -m sh -c %s crun --root %s "$@"\n' \
        "'umount /sys/fs/cgroup/unified && exec crun \"\$@\"'" "$B/crun-state" >"$B/crun-wrap"
chmod +x "$B/crun-wrap"
rtx() { # the command line of `RT exec` for bash -c
        if [[ $1 == crun && $CRUN_UNSHARE == 1 ]]; then
                echo "$B/crun-wrap exec"
        else
                echo "$1 --root $B/$1-state exec"
        fi
}

echo "==> throughput without a tty: $MIB MiB (hyperfine, $RUNS runs)"
hyperfine_rate "containerctl exec > /dev/null" "$BYTES" "$CTL exec box $DD 2>/dev/null >/dev/null"
# The pipe's reader counts the bytes: a short stream fails the run.
SINK="wc -c | grep -qx $BYTES"
hyperfine_rate "containerctl exec | pipe" "$BYTES" "$CTL exec box $DD 2>/dev/null | $SINK"
for rt in "${HAVE[@]}"; do
        hyperfine_rate "$rt exec | pipe" "$BYTES" "$(rtx $rt) ${rt}box $DD 2>/dev/null | $SINK"
done

echo "==> throughput with a tty: $TTY_MIB MiB"
# runc and crun exec -t need a controlling terminal (/dev/tty), so all
# three run under script(1): container pty -> client -> script's pty ->
# script -> pipe, the same two hops each. containerctl also alone: its
# stdout a pipe, one pty hop.
hyperfine_rate "containerctl exec -t (one hop)" "$TTY_BYTES" \
        "$CTL exec -t box $TTY_DD 2>/dev/null </dev/null | cat >/dev/null"
hyperfine_rate "containerctl exec -t" "$TTY_BYTES" \
        "script -qec '$CTL exec -t box $TTY_DD status=none' /dev/null </dev/null | cat >/dev/null"
for rt in "${HAVE[@]}"; do
        hyperfine_rate "$rt exec -t" "$TTY_BYTES" \
                "script -qec \"$(rtx $rt) -t ${rt}box $TTY_DD status=none\" /dev/null </dev/null | cat >/dev/null"
done

echo "==> exec latency (hyperfine, $LAT_RUNS runs)"
LAT_ARGS=(-n "containerctl exec true" "$CTL exec box true")
for rt in "${HAVE[@]}"; do
        LAT_ARGS+=(-n "$rt exec true" "$(rtx $rt) ${rt}box true")
done
hyperfine --shell bash --style basic --warmup 3 --runs "$LAT_RUNS" --export-json "$B/lat.json" "${LAT_ARGS[@]}" >/dev/null ||
        { NOTES+=("latency: hyperfine failed"); echo '{"results":[]}' >"$B/lat.json"; }
declare -A LAT
while IFS=$'\t' read -r n m s mi; do
        LAT[$n]=$m
        printf '%-44s %8.2f ms (stddev %.2f, min %.2f)\n' "$n" "$m" "$s" "$mi"
done < <(jq -r '.results[] | [.command, .mean * 1000, .stddev * 1000, .min * 1000] | @tsv' "$B/lat.json")

ratio() { # ratio LABEL A B TARGET-TEXT
        if [[ -n ${2:-} && -n ${3:-} ]]; then
                printf '%-52s %6.2f   (target %s)\n' "$1" "$(jq -n "$2 / $3")" "$4"
        fi
}
echo
echo "==> ratios"
ratio "exec >/dev/null / unix socket (dd > socket)" "${RATE[containerctl exec > /dev/null]:-}" "${RATE[socket]}" ">= 0.8"
ratio "exec | pipe / unix socket (dd > socket)" "${RATE[containerctl exec | pipe]:-}" "${RATE[socket]}" "-"
ratio "exec >/dev/null / relay (dd | cat > socket)" "${RATE[containerctl exec > /dev/null]:-}" "${RATE[relay]}" "-"
ratio "exec | pipe / relay (dd | cat > socket)" "${RATE[containerctl exec | pipe]:-}" "${RATE[relay]}" "-"
ratio "exec | pipe / crun exec | pipe" "${RATE[containerctl exec | pipe]:-}" "${RATE[crun exec | pipe]:-}" "-"
ratio "exec | pipe / runc exec | pipe" "${RATE[containerctl exec | pipe]:-}" "${RATE[runc exec | pipe]:-}" "-"
ratio "exec -t / crun exec -t (both under script)" "${RATE[containerctl exec -t]:-}" "${RATE[crun exec -t]:-}" ">= 1"
ratio "exec -t / runc exec -t (both under script)" "${RATE[containerctl exec -t]:-}" "${RATE[runc exec -t]:-}" ">= 1"
ratio "latency exec true / runc exec true" "${LAT[containerctl exec true]:-}" "${LAT[runc exec true]:-}" "<= 1"
ratio "latency exec true / crun exec true" "${LAT[containerctl exec true]:-}" "${LAT[crun exec true]:-}" "-"
for n in "${NOTES[@]}"; do
        echo "note: $n"
done
