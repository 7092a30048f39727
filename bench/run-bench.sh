#!/bin/bash
# Start-to-exit latency of one `true` container: containerctl (private daemon)
# against crun and runc on an equivalent OCI bundle, and lxc-execute /
# systemd-nspawn where installed, all on the same busybox rootfs in the same
# run, timed with hyperfine. Prints a table of means and the ratios
# containerctl/runc and containerctl/crun. Needs root. Removes every
# container, cgroup, mount and file it made, also on failure or Ctrl-C.
#
# Usage: bench/run-bench.sh [--runs N] [--warmup N] [--json FILE]
# Env:   CONTAINERCTL_BUILDDIR (dir with containerctl, containerctld,
#        containerctl-monitor; default: from PATH), BENCH_KEEP=1 keeps $B.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=30 WARMUP=3 JSON=bench-results.json
while (($#)); do
        case $1 in
        --runs) RUNS=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        --json) JSON=$2; shift 2 ;;
        -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
        esac
done
[[ $(id -u) == 0 ]] || { echo "run-bench.sh needs root" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine not installed (apt-get install hyperfine)" >&2; exit 1; }
[[ -n ${CONTAINERCTL_BUILDDIR:-} ]] && export PATH="$CONTAINERCTL_BUILDDIR:$PATH"

B=$(mktemp -d /tmp/ctlbench.XXXXXX)
CG=/ctlbench-${B##*.}
SOCK=$B/sock
DAEMON_PID=
NOTES=()

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
                for c in $(containerctl --socket "$SOCK" ps -a -q 2>/dev/null); do
                        containerctl --socket "$SOCK" rm -f "$c" >/dev/null 2>&1
                done
                kill -TERM "$DAEMON_PID" 2>/dev/null
                wait_for 15 sh -c "! kill -0 $DAEMON_PID" || kill -KILL "$DAEMON_PID"
                wait "$DAEMON_PID" 2>/dev/null
        fi
        local rt id
        for rt in runc crun; do
                [[ -d $B/$rt-state ]] || continue
                for id in $("$rt" --root "$B/$rt-state" list -q 2>/dev/null); do
                        "$rt" --root "$B/$rt-state" delete -f "$id" >/dev/null 2>&1
                done
        done
        # Processes still mentioning our dir (monitors): only ours.
        local d
        for d in /proc/[0-9]*; do
                tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -qF -- "$B/" &&
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

echo "==> busybox rootfs in $B"
if [[ -x $SRC/contrib/make-busybox-image.sh ]]; then
        "$SRC/contrib/make-busybox-image.sh" "$B/busybox.tar" >/dev/null
else
        r=$B/mkroot
        mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev" "$r/tmp" "$r/etc"
        cp /bin/busybox "$r/bin/busybox"
        for a in $(busybox --list); do [[ -e $r/bin/$a ]] || ln -s busybox "$r/bin/$a"; done
        echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
        tar -C "$r" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$B/busybox.tar" .
        NOTES+=("contrib/make-busybox-image.sh missing: used a minimal busybox rootfs")
fi
mkdir -p "$B/bundle/rootfs"
tar -C "$B/bundle/rootfs" -xf "$B/busybox.tar"

# The OCI bundle for runc and crun: pid, net, ipc, uts, mount namespaces, as
# containerctl gives its containers; no terminal; cgroup under our parent.
(cd "$B/bundle" && runc spec)
jq --arg cg "$CG/oci" '
        .process.args = ["/bin/true"] | .process.terminal = false |
        .linux.cgroupsPath = $cg |
        .linux.namespaces = [{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}]
' "$B/bundle/config.json" >"$B/bundle/config.json.new"
mv "$B/bundle/config.json.new" "$B/bundle/config.json"

NAMES=() CMDS=()
add() { NAMES+=("$1"); CMDS+=("$2"); }
# try NAME CMD: adds CMD if one trial run succeeds, else records a note.
try() {
        if bash -c "$2" >"$B/try.log" 2>&1; then
                add "$1" "$2"
        else
                NOTES+=("$1 skipped: trial run failed: $(tail -n1 "$B/try.log")")
        fi
}

if command -v containerctld >/dev/null && command -v containerctl >/dev/null; then
        echo "==> private containerctld ($SOCK, cgroup parent $CG/ctl)"
        containerctld --socket "$SOCK" --root "$B/root" --run-root "$B/run" --cgroup-parent "$CG/ctl" \
                --log-level warning </dev/null >>"$B/daemon.log" 2>&1 &
        DAEMON_PID=$!
        if wait_for 10 containerctl --socket "$SOCK" version &&
                containerctl --socket "$SOCK" image import "$B/busybox.tar" busybox:latest >/dev/null; then
                try containerctl "containerctl --socket $SOCK run --rm --network none busybox true"
        else
                NOTES+=("containerctl skipped: the daemon did not come up or import failed (log: $(tail -n1 "$B/daemon.log"))")
        fi
else
        NOTES+=("containerctl skipped: containerctld/containerctl not found (set CONTAINERCTL_BUILDDIR)")
fi
if command -v runc >/dev/null; then
        try runc "runc --root $B/runc-state run --bundle $B/bundle r\$\$\$RANDOM"
else
        NOTES+=("runc not installed")
fi
if command -v crun >/dev/null; then
        # crun 1.8.1 cannot handle the hybrid layout's cgroup2 mount at
        # /sys/fs/cgroup/unified: hide it in a private mount namespace.
        if [[ -d /sys/fs/cgroup/unified ]] && mountpoint -q /sys/fs/cgroup/unified; then
                try crun "unshare -m sh -c 'umount /sys/fs/cgroup/unified && exec crun \"\$@\"' crun --root $B/crun-state run --bundle $B/bundle c\$\$\$RANDOM"
                NOTES+=("crun runs under 'unshare -m ... umount /sys/fs/cgroup/unified' (hybrid host): +~2 ms of unshare/sh")
        else
                try crun "crun --root $B/crun-state run --bundle $B/bundle c\$\$\$RANDOM"
        fi
else
        NOTES+=("crun not installed")
fi
if command -v lxc-execute >/dev/null; then
        mkdir -p "$B/lxc"
        printf 'lxc.rootfs.path = dir:%s\nlxc.uts.name = bench\nlxc.cgroup.relative = 0\nlxc.net.0.type = empty\n' \
                "$B/bundle/rootfs" >"$B/lxc.conf"
        try lxc-execute "lxc-execute -P $B/lxc -n l\$\$\$RANDOM -f $B/lxc.conf -- /bin/true"
else
        NOTES+=("lxc-execute not installed: skipped")
fi
if command -v systemd-nspawn >/dev/null; then
        try systemd-nspawn "systemd-nspawn -q --register=no --keep-unit -D $B/bundle/rootfs /bin/true"
else
        NOTES+=("systemd-nspawn not installed: skipped")
fi

ARGS=()
for i in "${!NAMES[@]}"; do
        ARGS+=(-n "${NAMES[$i]}" "${CMDS[$i]}")
done
echo "==> hyperfine --warmup $WARMUP --runs $RUNS"
hyperfine --shell bash --warmup "$WARMUP" --runs "$RUNS" --export-json "$JSON" "${ARGS[@]}"

echo
printf '%-16s %10s %10s %10s\n' tool "mean ms" "stddev" "min ms"
jq -r '.results[] | [.command, .mean * 1000, .stddev * 1000, .min * 1000] | @tsv' "$JSON" |
        while IFS=$'\t' read -r n m s mi; do
                printf '%-16s %10.2f %10.2f %10.2f\n' "$n" "$m" "$s" "$mi"
        done
mean() { jq -r --arg n "$1" '.results[] | select(.command == $n) | .mean' "$JSON"; }
ctl=$(mean containerctl)
for rt in runc crun; do
        other=$(mean "$rt")
        if [[ -n $ctl && -n $other ]]; then
                printf 'containerctl/%s = %.2f\n' "$rt" "$(jq -n "$ctl / $other")"
        fi
done
for n in "${NOTES[@]}"; do
        echo "note: $n"
done
echo "results: $JSON"
