#!/bin/bash
# Start latency with the security defaults (issue 7), against a private
# daemon: `containerctl run --rm --network none busybox true` with the
# default seccomp profile (a cached compiled program, no_new_privs, the
# default capabilities) against `--security-opt seccomp=unconfined`
# (hyperfine, same run), then the same pair interleaved, as the median of
# per-pair differences (load drift on a shared machine skews the first).
# Then --userns auto against the default (its own user namespace, id maps,
# an overlay over idmapped layers), interleaved the same way. Target: each
# hardening adds under 2 ms. --network none keeps the network's cost out.
# Removes every container, cgroup, mount and file it made, also on failure.
#
# Usage: bench/start-secure.sh [--runs N] [--pairs N] [--warmup N] [--profile FILE]
# (--runs: hyperfine runs, 40; --pairs: interleaved pairs, 120.) The run
# root is a private tmpfs, as /run is on a host (bench_run_tmpfs, lib.sh).
# Env:   CONTAINERCTL_BUILDDIR (containerctl, containerctld, monitor),
#        BENCH_KEEP=1 keeps the work dir. --profile: the daemon's default
#        profile (default: etc/seccomp.json of this source tree).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"

RUNS=40 PAIRS=120 WARMUP=5 PROFILE=$SRC/etc/seccomp.json
while (($#)); do
        case $1 in
        --runs) RUNS=$2; shift 2 ;;
        --pairs) PAIRS=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        --profile) PROFILE=$2; shift 2 ;;
        -h | --help) sed -n '2,/^[^#]/{/^#/p}' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
        esac
done
[[ $(id -u) == 0 ]] || { echo "start-secure.sh needs root" >&2; exit 1; }
for t in hyperfine jq; do
        command -v $t >/dev/null || { echo "$t not installed" >&2; exit 1; }
done
[[ -n ${CONTAINERCTL_BUILDDIR:-} ]] && export PATH="$CONTAINERCTL_BUILDDIR:$PATH"

B=$(mktemp -d /tmp/ctlsecb.XXXXXX)
CG=/ctlsecb-${B##*.}
SOCK=$B/sock
ctl() { containerctl --socket "$SOCK" "$@"; }
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

echo "==> busybox image, private containerctld ($SOCK, default profile $PROFILE)"
"$SRC/contrib/make-busybox-image.sh" "$B/busybox.tar" >/dev/null
# No container here uses a bridge; the name and subnet only keep the
# daemon's default network away from the host's.
# --userns auto takes its ids from files of this run (a random base).
printf 'containerctl:%d:%d\n' $(((1100 + RANDOM % 20000) * 65536)) $((4 * 65536)) >"$B/subuid"
printf 'subuid_file = %s\nsubgid_file = %s\n' "$B/subuid" "$B/subuid" >"$B/containerctld.conf"
bench_run_tmpfs || { echo "cannot mount a tmpfs for the run root" >&2; exit 1; }
containerctld --config "$B/containerctld.conf" --socket "$SOCK" --root "$B/root" --run-root "$B/run" \
        --cgroup-parent "$CG/ctl" --bridge "ctlsb${B##*.}" --subnet "$(bench_free_subnet)" \
        --seccomp-profile "$PROFILE" --log-level warning </dev/null >>"$B/daemon.log" 2>&1 &
DAEMON_PID=$! # lib.sh stops it
if ! wait_for 10 ctl version; then
        echo "containerctld did not come up: $(tail -n3 "$B/daemon.log")" >&2
        exit 1
fi
ctl image import "$B/busybox.tar" busybox:latest >/dev/null 2>"$B/import.log" ||
        { cat "$B/import.log" >&2; exit 1; }
# The first default start compiles the profile into the cache; every
# later one loads it (what a host sees once it has run one container).
seccomp=$(ctl run --rm --network none busybox grep Seccomp: /proc/self/status | awk '{print $2}')
unconf=$(ctl run --rm --network none --security-opt seccomp=unconfined busybox grep Seccomp: /proc/self/status |
        awk '{print $2}')
[[ $seccomp == 2 && $unconf == 0 ]] || { echo "expected Seccomp 2 and 0, got '$seccomp' '$unconf'" >&2; exit 1; }

echo "==> 1. run --rm --network none busybox true: default vs seccomp=unconfined (hyperfine, $RUNS runs)"
hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$B/start.json" \
        -n default "containerctl --socket $SOCK run --rm --network none busybox true" \
        -n unconfined "containerctl --socket $SOCK run --rm --network none --security-opt seccomp=unconfined busybox true" \
        >/dev/null 2>"$B/hf.err" || { cat "$B/hf.err" >&2; exit 1; }
declare -A ST
while IFS=$'\t' read -r n m md s mi; do
        ST[$n.mean]=$m ST[$n.median]=$md ST[$n.min]=$mi
        printf '    %-10s mean %7.2f ms  median %7.2f  stddev %6.2f  min %7.2f\n' "$n" "$m" "$md" "$s" "$mi"
done < <(jq -r '.results[] | [.command, .mean * 1000, .median * 1000, .stddev * 1000, .min * 1000] | @tsv' \
        "$B/start.json")
printf '    seccomp cost (default - unconfined): mean %.2f ms, median %.2f ms, min %.2f ms\n' \
        "$(jq -n "${ST[default.mean]} - ${ST[unconfined.mean]}")" \
        "$(jq -n "${ST[default.median]} - ${ST[unconfined.median]}")" \
        "$(jq -n "${ST[default.min]} - ${ST[unconfined.min]}")"
grep -q 'outliers were detected' "$B/hf.err" && echo "    (hyperfine saw statistical outliers: a busy machine)"

echo "==> 2. the same, interleaved pairs ($PAIRS pairs, order alternating)"
# One run's wall time is 20-40 ms with a spread of several ms on a VM, so
# a difference under 2 ms needs many pairs: timed in bash (microseconds
# from $EPOCHREALTIME), nothing else started between the two of a pair.
one() { # one default|unconfined|userns: sets US to the microseconds of one run --rm
        local t0=${EPOCHREALTIME/./}
        case $1 in
        default) ctl run --rm --network none busybox true ;;
        unconfined) ctl run --rm --network none --security-opt seccomp=unconfined busybox true ;;
        userns) ctl run --rm --network none --userns auto busybox true ;;
        esac
        US=$((${EPOCHREALTIME/./} - t0))
}
# pairs HARDENED BASE: the median of HARDENED - BASE (ms) over $PAIRS
# interleaved pairs, the order alternating.
pairs() {
        local diffs=() th tb
        for ((i = 0; i < PAIRS; i++)); do
                if ((i % 2)); then
                        one "$2"; tb=$US; one "$1"; th=$US
                else
                        one "$1"; th=$US; one "$2"; tb=$US
                fi
                diffs+=($((th - tb)))
        done
        printf '%s\n' "${diffs[@]}" | sort -n |
                awk '{v[NR] = $1} END {printf "%.2f\n", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) / 1000}'
}
verdict() { jq -rn "if $1 < 2 then \"met\" else \"NOT met\" end"; }
D=$(pairs default unconfined)
printf '    seccomp cost, median of per-pair differences: %.2f ms (target: under 2 ms): %s\n' "$D" "$(verdict "$D")"
echo "==> 3. --userns auto vs the default, interleaved pairs ($PAIRS pairs)"
U=$(pairs userns default)
printf '    user namespace cost, median of per-pair differences: %.2f ms (target: under 2 ms): %s\n' "$U" "$(verdict "$U")"
