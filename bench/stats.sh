#!/bin/bash
# Stats benchmark (issue 6), against a private daemon with its own bridge:
#  1. --count (100) `sleep` containers on the bridge; the daemon's CPU time
#     and RSS idle for --seconds, then while one client streams
#     container.stats for all of them at 1 s intervals for --seconds
#     (target: under 1% of one core and under 5 MiB extra RSS);
#  2. latency of `containerctl update` (memory limit, alternating values),
#     `pause` and `unpause` (--updates rounds; median and p95), each the
#     whole CLI round trip.
# CPU time comes from /proc/<daemon>/stat (utime + stime, clock ticks),
# RSS from /proc/<daemon>/status (VmRSS, sampled every 0.2 s). Needs root.
# Removes every container, cgroup, mount and file it made and its bridge,
# also on failure or Ctrl-C.
#
# Usage: bench/stats.sh [--count N] [--seconds S] [--updates N] [--json FILE]
# Env:   CONTAINERCTL_BUILDDIR (containerctl, containerctld, monitor),
#        BENCH_KEEP=1 keeps the work dir.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"

COUNT=100 SECONDS_=20 UPDATES=30 JSON=''
while (($#)); do
        case $1 in
        --count) COUNT=$2; shift 2 ;;
        --seconds) SECONDS_=$2; shift 2 ;;
        --updates) UPDATES=$2; shift 2 ;;
        --json) JSON=$2; shift 2 ;;
        -h | --help) sed -n '2,/^[^#]/{/^#/p}' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
        esac
done
[[ $(id -u) == 0 ]] || { echo "stats.sh needs root" >&2; exit 1; }
for t in jq python3 ip xargs; do
        command -v $t >/dev/null || { echo "$t not installed" >&2; exit 1; }
done
[[ -n ${CONTAINERCTL_BUILDDIR:-} ]] && export PATH="$CONTAINERCTL_BUILDDIR:$PATH"
[[ -z $JSON || $JSON == /* ]] || JSON=$PWD/$JSON

B=$(mktemp -d /tmp/ctlstats.XXXXXX)
# shellcheck disable=SC2034 # CG is lib.sh's
CG=/ctlstats-${B##*.}
SOCK=$B/sock
BR=ctls${B##*.}
BR=${BR:0:15}
ctl() { containerctl --socket "$SOCK" "$@"; }

cleanup() {
        set +e
        bench_cleanup
        if ip link show dev "$BR" >/dev/null 2>&1; then
                local v
                for v in $(ip -o link show master "$BR" | awk -F': ' '{print $2}' | cut -d@ -f1); do
                        ip link del dev "$v"
                done
                ip link del dev "$BR" || echo "warning: could not delete bridge $BR" >&2
        fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SUBNET=$(bench_free_subnet)
[[ -n $SUBNET ]] || { echo "stats.sh: no free 10.2xx.y.0/24 subnet" >&2; exit 1; }
# A /24 holds 253 containers.
((COUNT <= 250)) || { echo "stats.sh: --count at most 250" >&2; exit 2; }

echo "==> busybox image, private containerctld ($SOCK, bridge $BR, subnet $SUBNET)"
"$SRC/contrib/make-busybox-image.sh" "$B/busybox.tar" >/dev/null
containerctld --socket "$SOCK" --root "$B/root" --run-root "$B/run" --cgroup-parent "$CG/ctl" \
        --bridge "$BR" --subnet "$SUBNET" --seccomp-profile "$SRC/etc/seccomp.json" \
        --log-level warning </dev/null >>"$B/daemon.log" 2>&1 &
DAEMON_PID=$! # lib.sh stops it
if ! wait_for 10 ctl version; then
        echo "containerctld did not come up: $(tail -n3 "$B/daemon.log")" >&2
        exit 1
fi
ctl image import "$B/busybox.tar" busybox:latest >/dev/null 2>"$B/import.log" ||
        { cat "$B/import.log" >&2; exit 1; }

echo "==> starting $COUNT containers (bridge, --memory 64m)"
seq -w 1 "$COUNT" | xargs -P 8 -I{} containerctl --socket "$SOCK" run -d --memory 64m --name "s-{}" busybox sleep 3600 \
        >/dev/null 2>"$B/start.err" || true
running=$(ctl ps --json | jq '[.[] | select(.state == "running")] | length')
((running == COUNT)) || { echo "only $running of $COUNT running: $(head -n3 "$B/start.err")" >&2; exit 1; }

TICK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$DAEMON_PID/stat"; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$DAEMON_PID/status"; }
# window S: sleeps S seconds sampling RSS every 0.2 s; prints "ticks max_rss_kib".
window() {
        local t0 max r end
        t0=$(cpu_ticks) max=0
        end=$((SECONDS + $1))
        while ((SECONDS < end)); do
                r=$(rss_kib)
                ((r > max)) && max=$r
                sleep 0.2
        done
        echo "$(($(cpu_ticks) - t0)) $max"
}
pct() { jq -n "$1 / $TICK / $2 * 100 | . * 1000 | round / 1000"; }

sleep 2
rss0=$(rss_kib)
echo "==> 1. idle for ${SECONDS_} s (daemon RSS ${rss0} KiB)"
read -r idle_ticks idle_rss < <(window "$SECONDS_")

echo "==> 1. streaming container.stats for all $COUNT at 1 s for ${SECONDS_} s"
python3 - "$SOCK" "$((SECONDS_ + 2))" >"$B/stream.out" 2>&1 <<'PY' &
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "container.stats",
                      "params": {"stream": True, "interval_ms": 1000}}).encode() + b"\n")
end = time.monotonic() + float(sys.argv[2])
buf, notes, samples, err = b"", 0, 0, None
s.settimeout(0.5)
while time.monotonic() < end:
    try:
        chunk = s.recv(1 << 20)
    except socket.timeout:
        continue
    if not chunk:
        break
    buf += chunk
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        m = json.loads(line)
        if m.get("method") == "container.stats":
            notes += 1
            p = m.get("params") or {}
            samples += len(p.get("stats") or [])
        elif "error" in m:
            err = m["error"]
print(json.dumps({"notifications": notes, "samples": samples, "error": err}))
PY
STREAM_PID=$!
sleep 1 # the first sample is out; measure the steady state
read -r stream_ticks stream_rss < <(window "$SECONDS_")
wait "$STREAM_PID" || true
stream=$(tail -n1 "$B/stream.out")
jq -e '.error == null and .samples > 0' <<<"$stream" >/dev/null ||
        { echo "stats stream failed: $(cat "$B/stream.out")" >&2; exit 1; }

idle_pct=$(pct "$idle_ticks" "$SECONDS_")
stream_pct=$(pct "$stream_ticks" "$SECONDS_")
extra_pct=$(jq -n "$stream_pct - $idle_pct | . * 1000 | round / 1000")
extra_rss=$(jq -n "($stream_rss - $rss0) / 1024 | . * 100 | round / 100")

echo "==> 2. update / pause / unpause latency ($UPDATES rounds on s-1)"
first=$(printf 's-%0*d' "${#COUNT}" 1)
declare -a upd pau unp
for ((i = 0; i < UPDATES; i++)); do
        mem=$((i % 2 ? 96 : 128))
        t0=$EPOCHREALTIME; ctl update --memory "${mem}m" "$first" >/dev/null; t1=$EPOCHREALTIME
        ctl pause "$first" >/dev/null; t2=$EPOCHREALTIME
        ctl unpause "$first" >/dev/null; t3=$EPOCHREALTIME
        upd+=("$(jq -n "$t1 - $t0")") pau+=("$(jq -n "$t2 - $t1")") unp+=("$(jq -n "$t3 - $t2")")
done
# stat LIST...: "median p95" in ms.
stat() { printf '%s\n' "$@" | jq -s 'sort | [.[length / 2 | floor], .[(length * 0.95 | floor)]] | map(. * 1000 | . * 100 | round / 100) | "\(.[0]) \(.[1])"' -r; }
read -r upd_med upd_p95 < <(stat "${upd[@]}")
read -r pau_med pau_p95 < <(stat "${pau[@]}")
read -r unp_med unp_p95 < <(stat "${unp[@]}")

echo
printf '%-44s %s\n' "containers" "$COUNT"
printf '%-44s %s\n' "stats samples received" "$(jq .samples <<<"$stream") in $(jq .notifications <<<"$stream") notifications"
printf '%-44s %s %%\n' "daemon CPU, idle" "$idle_pct"
printf '%-44s %s %%\n' "daemon CPU, streaming" "$stream_pct"
printf '%-44s %s %% of one core (target < 1)\n' "daemon CPU added by streaming" "$extra_pct"
printf '%-44s %s KiB -> %s KiB\n' "daemon RSS before -> max while streaming" "$rss0" "$stream_rss"
printf '%-44s %s MiB (target < 5)\n' "daemon RSS added by streaming" "$extra_rss"
printf '%-44s %s ms median, %s ms p95\n' "update --memory" "$upd_med" "$upd_p95"
printf '%-44s %s ms median, %s ms p95\n' "pause" "$pau_med" "$pau_p95"
printf '%-44s %s ms median, %s ms p95\n' "unpause" "$unp_med" "$unp_p95"
cpu_ok=$(jq -n "$extra_pct < 1") rss_ok=$(jq -n "$extra_rss < 5")
echo "targets: cpu $([[ $cpu_ok == true ]] && echo met || echo MISSED), rss $([[ $rss_ok == true ]] && echo met || echo MISSED)"

if [[ -n $JSON ]]; then
        jq -n --argjson count "$COUNT" --argjson stream "$stream" \
                --argjson idle "$idle_pct" --argjson streaming "$stream_pct" --argjson extra "$extra_pct" \
                --argjson rss0 "$rss0" --argjson rss "$stream_rss" --argjson extra_rss "$extra_rss" \
                --argjson um "$upd_med" --argjson up "$upd_p95" --argjson pm "$pau_med" --argjson pp "$pau_p95" \
                --argjson nm "$unp_med" --argjson np "$unp_p95" \
                '{containers: $count, stream: $stream, cpu_pct: {idle: $idle, streaming: $streaming, added: $extra},
                  rss_kib: {before: $rss0, streaming_max: $rss}, rss_added_mib: $extra_rss,
                  update_ms: {median: $um, p95: $up}, pause_ms: {median: $pm, p95: $pp},
                  unpause_ms: {median: $nm, p95: $np}}' >"$JSON"
        echo "wrote $JSON"
fi
