#!/bin/bash
# Network benchmark (issue 5), against a private daemon with its own bridge
# (ctlb + 4 random hex digits) and a free random 10.2xx.y.0/24 subnet:
#  1. start cost: `containerctl run --rm busybox true` on the default
#     (bridge) network against `--network none` (hyperfine, same run); the
#     difference is the network setup cost (target < 5 ms); the same pair
#     interleaved (robust to a drifting load), and split into `run -d`
#     (create + attach + start) and `rm -f` (kill + detach + remove);
#  2. --count containers (`run -d ... sleep`) started all at once on the
#     bridge (xargs -P): time until all run, distinct addresses, time to
#     remove them all at once; the same with --network none for reference;
#  3. a published port: busybox httpd serving a --big-mib file and a small
#     one from a tmpfs, `-p 127.0.0.1:0:80`: bytes/s of the big download
#     (1 connection) and requests/s of the small one (--connections; httpd
#     closes every connection, so this is also the connection rate) through
#     127.0.0.1:HOSTPORT (the monitor's relay) against the container's own
#     address (the host reaches the bridge subnet), with wrk (curl and a
#     python client without it), --rounds rounds interleaved, medians.
# Prints a table and the ratios; all traffic stays on this machine. Needs
# root. Removes every container, cgroup, mount and file it made and its
# bridge, also on failure or Ctrl-C.
#
# Usage: bench/net.sh [--runs N] [--warmup N] [--count N] [--rounds N]
#                     [--duration S] [--connections N] [--big-mib N] [--json FILE]
# Env:   CONTAINERCTL_BUILDDIR (containerctl, containerctld, monitor),
#        BENCH_KEEP=1 keeps the work dir.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"

RUNS=30 WARMUP=3 COUNT=50 ROUNDS=3 DURATION=5 CONNS=8 BIG_MIB=100 JSON=''
while (($#)); do
        case $1 in
        --runs) RUNS=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        --count) COUNT=$2; shift 2 ;;
        --rounds) ROUNDS=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --connections) CONNS=$2; shift 2 ;;
        --big-mib) BIG_MIB=$2; shift 2 ;;
        --json) JSON=$2; shift 2 ;;
        -h | --help) sed -n '2,/^[^#]/{/^#/p}' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
        esac
done
[[ $(id -u) == 0 ]] || { echo "net.sh needs root" >&2; exit 1; }
for t in hyperfine jq curl python3 ip xargs; do
        command -v $t >/dev/null || { echo "$t not installed" >&2; exit 1; }
done
[[ -n ${CONTAINERCTL_BUILDDIR:-} ]] && export PATH="$CONTAINERCTL_BUILDDIR:$PATH"
[[ -z $JSON || $JSON == /* ]] || JSON=$PWD/$JSON

B=$(mktemp -d /tmp/ctlnet.XXXXXX)
# shellcheck disable=SC2034 # CG is lib.sh's
CG=/ctlnet-${B##*.}
SOCK=$B/sock
ctl() { containerctl --socket "$SOCK" "$@"; }
NOTES=()
BR=

# Our bridge goes with the rest: the daemon leaves the default network's
# bridge in place when it stops (it survives restarts). A veth still on it
# after the daemon stopped (a crash) is ours too: only our daemon knows
# this bridge name.
cleanup() {
        set +e
        bench_cleanup
        if [[ -n $BR ]] && ip link show dev "$BR" >/dev/null 2>&1; then
                local v
                for v in $(ip -o link show master "$BR" | awk -F': ' '{print $2}' | cut -d@ -f1); do
                        ip link del dev "$v"
                done
                ip link del dev "$BR" || echo "warning: could not delete bridge $BR" >&2
        fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A bridge name nobody uses, then a 10.200-249.x.0/24 that overlaps no
# address or route of the host (all tables).
for _ in 1 2 3 4 5 6 7 8; do
        b=ctlb$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
        ip link show dev "$b" >/dev/null 2>&1 || { BR=$b; break; }
done
[[ -n $BR ]] || { echo "net.sh: no free bridge name" >&2; exit 1; }
SUBNET=$({ ip -4 -o addr show; ip -4 route show table all; } | python3 -c '
import ipaddress, random, re, sys
used = []
for tok in re.findall(r"\b\d+\.\d+\.\d+\.\d+(?:/\d+)?\b", sys.stdin.read()):
    try:
        used.append(ipaddress.ip_interface(tok).network)
    except ValueError:
        pass
for _ in range(1000):
    n = ipaddress.ip_network("10.%d.%d.0/24" % (random.randint(200, 249), random.randint(0, 255)))
    if not any(n.overlaps(u) for u in used if u.prefixlen > 0):
        print(n)
        break
')
[[ -n $SUBNET ]] || { echo "net.sh: no free 10.2xx.y.0/24 subnet" >&2; exit 1; }

ms() { jq -n "$1 * 1000 | . * 100 | round / 100"; }
med() { jq -rn --arg t "$1" '$t | split(" ") | map(select(. != "") | tonumber) | sort |
        if length == 0 then empty elif length % 2 == 1 then .[length / 2 | floor]
        else (.[length / 2 - 1] + .[length / 2]) / 2 end'; }

echo "==> busybox image, private containerctld ($SOCK, bridge $BR, subnet $SUBNET)"
"$SRC/contrib/make-busybox-image.sh" "$B/busybox.tar" >/dev/null
bench_run_tmpfs || { echo "cannot mount a tmpfs for the run root" >&2; exit 1; }
containerctld --socket "$SOCK" --root "$B/root" --run-root "$B/run" --cgroup-parent "$CG/ctl" \
        --bridge "$BR" --subnet "$SUBNET" --log-level warning </dev/null >>"$B/daemon.log" 2>&1 &
DAEMON_PID=$! # lib.sh stops it
if ! wait_for 10 ctl version; then
        echo "containerctld did not come up: $(tail -n3 "$B/daemon.log")" >&2
        exit 1
fi
ctl image import "$B/busybox.tar" busybox:latest >/dev/null 2>"$B/import.log" ||
        { cat "$B/import.log" >&2; exit 1; }
# The default network is made on demand: this also creates the bridge.
if ! out=$(ctl run --rm busybox ip -4 -o addr show dev eth0 2>&1) || ! grep -q "inet " <<<"$out"; then
        echo "net.sh: no eth0 with an address in a bridge container: $out" >&2
        echo "daemon log: $(tail -n3 "$B/daemon.log")" >&2
        exit 1
fi
echo "    probe: $(awk '{print $2, $4}' <<<"$out" | head -n1)"

# --- 1. start cost -------------------------------------------------------
# hf ARGS...: hyperfine -N, its report dropped (we print our own); its
# outlier warnings become one note, a failure stops the script.
OUTLIERS=0
hf() {
        if ! hyperfine -N --style basic "$@" >/dev/null 2>"$B/hf.err"; then
                cat "$B/hf.err" >&2
                return 1
        fi
        if grep -q 'outliers were detected' "$B/hf.err"; then OUTLIERS=$((OUTLIERS + 1)); fi
}
echo "==> 1. start cost: run --rm busybox true, bridge vs --network none (hyperfine, $RUNS runs)"
hf --warmup "$WARMUP" --runs "$RUNS" --export-json "$B/start.json" \
        -n bridge "containerctl --socket $SOCK run --rm busybox true" \
        -n none "containerctl --socket $SOCK run --rm --network none busybox true"
declare -A ST
while IFS=$'\t' read -r n m md s mi; do
        ST[$n.mean]=$m ST[$n.median]=$md ST[$n.min]=$mi
        printf '    %-8s mean %7.2f ms  median %7.2f  stddev %6.2f  min %7.2f\n' "$n" "$m" "$md" "$s" "$mi"
done < <(jq -r '.results[] | [.command, .mean * 1000, .median * 1000, .stddev * 1000, .min * 1000] | @tsv' \
        "$B/start.json")
D_MEAN=$(jq -n "${ST[bridge.mean]} - ${ST[none.mean]}")
D_MED=$(jq -n "${ST[bridge.median]} - ${ST[none.median]}")
D_MIN=$(jq -n "${ST[bridge.min]} - ${ST[none.min]}")
printf '    network setup cost (bridge - none): mean %.2f ms, median %.2f ms, min %.2f ms\n' \
        "$D_MEAN" "$D_MED" "$D_MIN"

# hyperfine runs all of one command, then all of the other: on a machine
# whose load drifts, that skews the difference. The same pair again,
# interleaved (order alternating), and the median of the $RUNS per-pair
# differences.
echo "==> 1a. the same, interleaved pairs ($RUNS pairs, order alternating)"
PAIRS=
one() { # one bridge|none: prints the seconds of one run --rm
        local t0=$EPOCHREALTIME
        if [[ $1 == bridge ]]; then ctl run --rm busybox true; else ctl run --rm --network none busybox true; fi
        jq -n "$EPOCHREALTIME - $t0"
}
for ((i = 0; i < RUNS; i++)); do
        if ((i % 2)); then
                tn=$(one none) tb=$(one bridge)
        else
                tb=$(one bridge) tn=$(one none)
        fi
        PAIRS+="$(jq -n "($tb - $tn) * 1000") "
done
D_PAIR=$(med "$PAIRS")
printf '    network setup cost, median of per-pair differences: %.2f ms\n' "$D_PAIR"

# Where it goes: `run -d ... sleep` (create, attach, start) with the
# previous container removed untimed, and `rm -f` (kill, detach, remove)
# of a running one made untimed; hyperfine -p runs before every timed run,
# and waits 0.3 s so that the asynchronous teardown (veth, netns) or setup
# of the untimed step does not overlap the timed one.
echo "==> 1b. split: run -d (create + start), rm -f (kill + remove), each 0.3 s after the untimed step,"
echo "    and run -d right after rm -f of the previous container ($RUNS runs each)"
X="containerctl --socket $SOCK"
for net in bridge none; do
        opt=
        [[ $net == none ]] && opt="--network none"
        hf --warmup 1 --runs "$RUNS" --export-json "$B/split-$net.json" \
                -p "sh -c '$X rm -f nbx >/dev/null 2>&1; sleep 0.3'" \
                -n "run -d $net" "$X run -d $opt --name nbx busybox sleep 600" \
                -c "sh -c '$X rm -f nbx >/dev/null 2>&1; true'"
        hf --warmup 1 --runs "$RUNS" --export-json "$B/split-rm-$net.json" \
                -p "sh -c '$X rm -f nbx >/dev/null 2>&1; $X run -d $opt --name nbx busybox sleep 600 >/dev/null; sleep 0.3'" \
                -n "rm -f $net" "$X rm -f nbx"
        # Churn: the previous container removed just before, no pause.
        hf --warmup 1 --runs "$RUNS" --export-json "$B/split-churn-$net.json" \
                -p "sh -c '$X rm -f nbx >/dev/null 2>&1; true'" \
                -n "run -d after rm -f $net" "$X run -d $opt --name nbx busybox sleep 600" \
                -c "sh -c '$X rm -f nbx >/dev/null 2>&1; true'"
done
jq -s '{results: map(.results[])}' "$B"/split-*.json >"$B/split.json"
while IFS=$'\t' read -r n m md mi; do
        ST[$n.mean]=$m ST[$n.median]=$md ST[$n.min]=$mi
done < <(jq -r '.results[] | [.command, .mean * 1000, .median * 1000, .min * 1000] | @tsv' "$B/split.json")
for op in "run -d" "rm -f" "run -d after rm -f"; do
        printf '    %-18s bridge mean %7.2f ms (median %7.2f), none %7.2f ms (median %7.2f): bridge - none %6.2f ms (median %6.2f)\n' \
                "$op" "${ST[$op bridge.mean]}" "${ST[$op bridge.median]}" "${ST[$op none.mean]}" \
                "${ST[$op none.median]}" "$(jq -n "${ST[$op bridge.mean]} - ${ST[$op none.mean]}")" \
                "$(jq -n "${ST[$op bridge.median]} - ${ST[$op none.median]}")"
done

# --- 2. many containers at once -----------------------------------------
# parallel_batch PREFIX [RUN OPTIONS...]: starts $COUNT `sleep` containers
# at once; sets P_START (all `run -d` returned), P_RUN (all running),
# P_OK (how many run), P_RM (all removed, at once), P_ADDRS (distinct
# addresses, bridge only).
parallel_batch() {
        local pfx=$1 t0 t1 t2 t3 n=0
        shift
        t0=$EPOCHREALTIME
        seq -w 1 "$COUNT" | xargs -P "$COUNT" -I{} containerctl --socket "$SOCK" run -d "$@" --name "$pfx-{}" busybox sleep 600 \
                >/dev/null 2>"$B/$pfx.err" || true
        t1=$EPOCHREALTIME
        for ((i = 0; i < 1200; i++)); do
                n=$(ctl ps -a --json | jq --arg p "$pfx-" \
                        '[.[] | select((.name | startswith($p)) and .state == "running")] | length')
                ((n < COUNT)) || break
                # Failed starts never come: stop waiting once all exist.
                [[ -s $B/$pfx.err ]] && break
                sleep 0.02
        done
        t2=$EPOCHREALTIME
        P_OK=$n P_START=$(jq -n "$t1 - $t0") P_RUN=$(jq -n "$t2 - $t0") P_ADDRS=0
        if [[ -s $B/$pfx.err ]]; then
                NOTES+=("$pfx: $((COUNT - n)) of $COUNT did not start: $(sort "$B/$pfx.err" | uniq -c | sort -rn | head -n1)")
        fi
        local names
        names=$(ctl ps -a --json | jq -r --arg p "$pfx-" '.[] | select(.name | startswith($p)) | .name')
        if [[ $* != *none* && -n $names ]]; then
                # shellcheck disable=SC2086
                ctl inspect $names | jq -r '.[].network.address // empty' >"$B/$pfx.addrs"
                P_ADDRS=$(sort -u "$B/$pfx.addrs" | wc -l)
                if ! python3 -c 'import ipaddress, sys
n = ipaddress.ip_network(sys.argv[1])
sys.exit(0 if all(ipaddress.ip_address(a) in n for a in open(sys.argv[2]).read().split()) else 1)' \
                        "$SUBNET" "$B/$pfx.addrs"; then
                        NOTES+=("$pfx: an address outside $SUBNET: $(tr '\n' ' ' <"$B/$pfx.addrs")")
                fi
        fi
        t3=$EPOCHREALTIME
        # shellcheck disable=SC2086
        [[ -z $names ]] || printf '%s\n' $names | xargs -P "$COUNT" -I{} containerctl --socket "$SOCK" rm -f {} >/dev/null 2>"$B/$pfx.rm.err" || true
        P_RM=$(jq -n "$EPOCHREALTIME - $t3")
        [[ ! -s $B/$pfx.rm.err ]] || NOTES+=("$pfx: rm -f failed: $(head -n1 "$B/$pfx.rm.err")")
        local left
        left=$(ctl ps -a -q | wc -l)
        ((left == 0)) || NOTES+=("$pfx: $left containers left after rm -f")
}
echo "==> 2. $COUNT containers started at once (run -d ... sleep 600 via xargs -P $COUNT)"
declare -A PB
for mode in bridge none; do
        if [[ $mode == bridge ]]; then parallel_batch pb; else parallel_batch pn --network none; fi
        PB[$mode.ok]=$P_OK PB[$mode.start]=$P_START PB[$mode.running]=$P_RUN PB[$mode.rm]=$P_RM
        PB[$mode.addrs]=$P_ADDRS
        printf '    %-7s %2d/%d running after %6.2f s (all run -d returned %6.2f s), removed in %6.2f s' \
                "$mode" "$P_OK" "$COUNT" "$P_RUN" "$P_START" "$P_RM"
        [[ $mode == none ]] && echo || echo ", $P_ADDRS distinct addresses"
done
# The daemon removes exited containers' veths in batches once no start has
# run for a moment (network-manager.c, "deferred teardown"): bounded wait.
no_veths() { [[ -z $(ip -o link show master "$BR") ]]; }
if ! wait_for 10 no_veths; then
        veths=$(ip -o link show master "$BR" | wc -l)
        NOTES+=("$veths veths left on $BR 10 s after the removal")
fi
[[ ${PB[bridge.addrs]} == "${PB[bridge.ok]}" ]] ||
        NOTES+=("only ${PB[bridge.addrs]} distinct addresses for ${PB[bridge.ok]} running bridge containers")

# --- 3. published port: relay vs direct ---------------------------------
echo "==> 3. published port: httpd, ${BIG_MIB} MiB file and a small one on a tmpfs, -p 127.0.0.1:0:80"
mkdir "$B/srv"
mount -t tmpfs -o size=$((BIG_MIB + 8))m,mode=0755 ctlnet "$B/srv"
dd if=/dev/zero of="$B/srv/big" bs=1M count="$BIG_MIB" status=none
head -c 128 /dev/zero | tr '\0' x >"$B/srv/small"
BIG_BYTES=$((BIG_MIB * 1048576))
ctl run -d --name srv -p 127.0.0.1:0:80 -v "$B/srv:/srv:ro" busybox httpd -f -p 80 -h /srv >/dev/null
read -r HP CADDR < <(ctl inspect srv | jq -r '.[0].network | "\(.ports[0].host_port) \(.address)"')
RELAY=http://127.0.0.1:$HP DIRECT=http://$CADDR:80
echo "    relay $RELAY, direct $DIRECT"
for u in "$RELAY" "$DIRECT"; do
        wait_for 10 curl -sf -o /dev/null "$u/small" || { echo "net.sh: $u/small does not answer" >&2; exit 1; }
        s=$(curl -s -o /dev/null -w '%{size_download}' "$u/big")
        [[ $s == "$BIG_BYTES" ]] || { echo "net.sh: $u/big gave $s bytes, not $BIG_BYTES" >&2; exit 1; }
done

# measure KIND URL: prints "requests bytes seconds errors" of one round.
if command -v wrk >/dev/null; then
        TOOL="wrk (big: -t1 -c1; small: -t2 -c$CONNS; ${DURATION}s per round)"
        cat >"$B/sum.lua" <<'EOF'
done = function(s, latency, requests)
        local e = s.errors
        io.write(string.format("WRKSUM %d %d %f %d\n", s.requests, s.bytes, s.duration / 1e6,
                e.connect + e.read + e.write + e.status + e.timeout))
end
EOF
        measure() {
                local args=(-t1 -c1)
                [[ $1 == small ]] && args=(-t2 "-c$CONNS")
                wrk "${args[@]}" -d"${DURATION}s" -s "$B/sum.lua" "$2/$1" | awk '/^WRKSUM/ {print $2, $3, $4, $5}'
        }
else
        TOOL="curl (big) and a python client (small, 1 connection), ${DURATION}s per round (wrk not installed)"
        NOTES+=("wrk not installed (apt-get install wrk): curl and a sequential python client; small requests on one connection at a time")
        measure() {
                if [[ $1 == big ]]; then
                        local t0=$EPOCHREALTIME n=0 bytes=0 s
                        while [[ $(jq -n "$EPOCHREALTIME - $t0 < $DURATION") == true ]]; do
                                s=$(curl -s -o /dev/null -w '%{size_download}' "$2/big")
                                ((bytes += s, n += 1))
                        done
                        echo "$n $bytes $(jq -n "$EPOCHREALTIME - $t0") 0"
                else
                        python3 - "$2" "$DURATION" <<'EOF'
import socket, sys, time, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
req = b"GET /small HTTP/1.0\r\nHost: x\r\n\r\n"
n = nbytes = err = 0
t0 = time.monotonic()
while time.monotonic() - t0 < float(sys.argv[2]):
    try:
        with socket.create_connection((u.hostname, u.port)) as s:
            s.sendall(req)
            while True:
                b = s.recv(65536)
                if not b:
                    break
                nbytes += len(b)
        n += 1
    except OSError:
        err += 1
print(n, nbytes, time.monotonic() - t0, err)
EOF
                fi
        }
fi
echo "    $TOOL, $ROUNDS rounds interleaved"
declare -A R
for ((r = 1; r <= ROUNDS; r++)); do
        line="    round $r:"
        for kind in big small; do
                for path in relay direct; do
                        [[ $path == relay ]] && u=$RELAY || u=$DIRECT
                        read -r n bytes secs errs < <(measure $kind "$u")
                        ((errs == 0)) || NOTES+=("$kind via $path, round $r: $errs errors")
                        if [[ $kind == big ]]; then
                                v=$(jq -n "$bytes / $secs / 1048576")
                                line+=" $path big $(printf '%.0f' "$v") MiB/s"
                        else
                                v=$(jq -n "$n / $secs")
                                line+=" $path small $(printf '%.0f' "$v") req/s"
                        fi
                        R[$kind.$path]+="$v "
                done
        done
        echo "$line"
done
ctl rm -f srv >/dev/null
for k in big.relay big.direct small.relay small.direct; do
        R[$k.med]=$(med "${R[$k]}")
done

# --- table, ratios, JSON -------------------------------------------------
RATIOS='[]'
ratio() { # ratio LABEL VALUE [TARGET-TEXT MET]
        local mark=
        [[ ${4:-} != false ]] || mark=" MISSED"
        printf '%-48s %8.2f%s%s\n' "$1" "$2" "${3:+   (target $3)}" "$mark"
        RATIOS=$(jq -c --arg l "$1" --argjson v "$2" --arg t "${3:-}" --argjson met "${4:-null}" \
                '. + [{name: $l, value: $v, target: (if $t == "" then null else $t end), met: $met}]' <<<"$RATIOS")
}
echo
printf '%-48s %12s\n' figure value
printf '%-48s %9.2f ms\n' "run --rm true, bridge (mean)" "${ST[bridge.mean]}" \
        "run --rm true, --network none (mean)" "${ST[none.mean]}" \
        "network setup cost, bridge - none (mean)" "$D_MEAN" \
        "network setup cost, bridge - none (median)" "$D_MED" \
        "network setup cost, interleaved pairs (median)" "$D_PAIR" \
        "run -d sleep, bridge - none (mean)" "$(jq -n "${ST[run -d bridge.mean]} - ${ST[run -d none.mean]}")" \
        "rm -f, bridge - none (mean)" "$(jq -n "${ST[rm -f bridge.mean]} - ${ST[rm -f none.mean]}")" \
        "run -d right after rm -f, bridge - none (mean)" \
        "$(jq -n "${ST[run -d after rm -f bridge.mean]} - ${ST[run -d after rm -f none.mean]}")"
for mode in bridge none; do
        printf '%-48s %9.2f s\n' "$COUNT at once, $mode: all running" "${PB[$mode.running]}" \
                "$COUNT at once, $mode: all removed" "${PB[$mode.rm]}"
done
printf '%-48s %9d\n' "$COUNT at once, bridge: distinct addresses" "${PB[bridge.addrs]}"
printf '%-48s %9.0f MiB/s\n' "big download via 127.0.0.1:$HP (relay)" "${R[big.relay.med]}" \
        "big download via $CADDR:80 (direct)" "${R[big.direct.med]}"
printf '%-48s %9.0f req/s\n' "small requests via 127.0.0.1:$HP (relay)" "${R[small.relay.med]}" \
        "small requests via $CADDR:80 (direct)" "${R[small.direct.med]}"
echo
echo "==> ratios (medians for the port figures)"
ratio "network setup cost, ms (bridge - none, mean)" "$D_MEAN" "< 5 ms" "$(jq -n "$D_MEAN < 5")"
ratio "network setup cost, ms (interleaved, median)" "$D_PAIR" "< 5 ms" "$(jq -n "$D_PAIR < 5")"
ratio "start bridge / none (mean)" "$(jq -n "${ST[bridge.mean]} / ${ST[none.mean]}")"
ratio "$COUNT at once: bridge / none (all running)" "$(jq -n "${PB[bridge.running]} / ${PB[none.running]}")"
ratio "$COUNT at once: bridge / none (removal)" "$(jq -n "${PB[bridge.rm]} / ${PB[none.rm]}")"
ratio "big download: relay / direct" "$(jq -n "${R[big.relay.med]} / ${R[big.direct.med]}")"
ratio "small requests (connections)/s: relay / direct" "$(jq -n "${R[small.relay.med]} / ${R[small.direct.med]}")"

((OUTLIERS == 0)) || NOTES+=("hyperfine saw statistical outliers in $OUTLIERS of 7 hyperfine calls (a loaded machine)")
if [[ -s $B/daemon.log ]]; then
        NOTES+=("daemon log: $(wc -l <"$B/daemon.log") lines, the last: $(tail -n1 "$B/daemon.log")")
fi
NOTES+=("load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)")
for n in "${NOTES[@]}"; do
        echo "note: $n"
done

if [[ -n $JSON ]]; then
        series() { jq -cn --arg t "$1" '$t | split(" ") | map(select(. != "") | tonumber)'; }
        notes_json=$(printf '%s\n' "${NOTES[@]}" | jq -R . | jq -sc .)
        jq -n --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg host "$(uname -srm)" --argjson cpus "$(nproc)" \
                --arg bridge "$BR" --arg subnet "$SUBNET" --slurpfile start "$B/start.json" --slurpfile split "$B/split.json" \
                --argjson dmean "$D_MEAN" --argjson dmed "$D_MED" --argjson dmin "$D_MIN" \
                --argjson dpair "$D_PAIR" --argjson pairs "$(series "$PAIRS")" \
                --argjson count "$COUNT" \
                --argjson pb "$(for k in "${!PB[@]}"; do printf '%s\t%s\n' "$k" "${PB[$k]}"; done |
                        jq -R 'split("\t") | {(.[0]): (.[1] | tonumber)}' | jq -sc add)" \
                --arg tool "$TOOL" --argjson big_mib "$BIG_MIB" --argjson rounds "$ROUNDS" \
                --argjson br "$(series "${R[big.relay]}")" --argjson bd "$(series "${R[big.direct]}")" \
                --argjson sr "$(series "${R[small.relay]}")" --argjson sd "$(series "${R[small.direct]}")" \
                --argjson ratios "$RATIOS" --argjson notes "$notes_json" '
                def m: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
                {date: $date, host: $host, cpus: $cpus, bridge: $bridge, subnet: $subnet,
                 start_ms: ($start[0].results | map({(.command): {mean: (.mean * 1000), median: (.median * 1000),
                        stddev: (.stddev * 1000), min: (.min * 1000), runs: (.times | length)}}) | add
                        | . + {setup_cost: {mean: $dmean, median: $dmed, min: $dmin,
                                interleaved_median: $dpair, interleaved_pairs: $pairs}}),
                 split_ms: ($split[0].results | map({(.command): {mean: (.mean * 1000), median: (.median * 1000),
                        min: (.min * 1000)}}) | add),
                 parallel: {count: $count,
                        bridge: {running: $pb["bridge.ok"], all_running_s: $pb["bridge.running"],
                                 all_returned_s: $pb["bridge.start"], removed_s: $pb["bridge.rm"],
                                 distinct_addresses: $pb["bridge.addrs"]},
                        none: {running: $pb["none.ok"], all_running_s: $pb["none.running"],
                               all_returned_s: $pb["none.start"], removed_s: $pb["none.rm"]}},
                 ports: {tool: $tool, big_mib: $big_mib, rounds: $rounds,
                        big_mib_s: {relay: {median: ($br | m), rounds: $br}, direct: {median: ($bd | m), rounds: $bd}},
                        small_req_s: {relay: {median: ($sr | m), rounds: $sr}, direct: {median: ($sd | m), rounds: $sd}}},
                 ratios: $ratios, notes: $notes}' >"$JSON"
        echo "results: $JSON"
fi
