#!/bin/bash
# Import benchmark (issue 4): one ~110 MB gzip layer of ~7,000 files (made
# by bench/mklayer.py, deterministic) imported by `containerctl image import
# LAYOUT` (client + daemon + verify + unpack + commit) against `tar -xzf` of
# the same file into an empty dir and `umoci unpack` of the same layout, and
# the same layer as zstd; with `gzip -dc`, `zstd -dc` and `tar -xf` of the
# plain tar as floors. Every method runs --runs times, interleaved (round 1
# runs each method once, then round 2...) after one untimed trial, each
# time into an empty dir (containerctl: an empty store, `image rm` + `image
# prune`), the previous tree deleted before the timing, then `sync` and
# --settle seconds of quiet: deleting a big tree on this ext4 makes file
# creation right after it much slower (measured apart as the "right after
# rm -rf" probe). Warm page cache, no cache dropping.
# Prints medians and the issue's ratios, MISSED next to a missed target;
# exits 0 whether or not targets are met. Needs root.
#
# Usage: bench/import.sh [--runs N] [--settle SECONDS] [--json FILE]
#                        [--layer-dir DIR] [--no-probe] [--only REGEX]
#   --layer-dir DIR  make the layer there (kept), or reuse it if present
#   --only REGEX     run only the methods whose name matches (grep -E)
# Env:   CONTAINERCTL_BUILDDIR (containerctl, containerctld), BENCH_KEEP=1
#        keeps the work dir (in /var/tmp).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"

RUNS=5 SETTLE=2 JSON='' LAYER_DIR='' PROBE=1 ONLY=''
while (($#)); do
        case $1 in
        --runs) RUNS=$2; shift 2 ;;
        --settle) SETTLE=$2; shift 2 ;;
        --json) JSON=$2; shift 2 ;;
        --layer-dir) LAYER_DIR=$2; shift 2 ;;
        --no-probe) PROBE=0; shift ;;
        --only) ONLY=$2; shift 2 ;;
        -h | --help) sed -n '2,/^[^#]/{/^#/p}' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
        esac
done
[[ $(id -u) == 0 ]] || { echo "import.sh needs root" >&2; exit 1; }
for t in jq python3 gzip zstd tar; do
        command -v $t >/dev/null || { echo "$t not installed" >&2; exit 1; }
done
[[ -n ${CONTAINERCTL_BUILDDIR:-} ]] && export PATH="$CONTAINERCTL_BUILDDIR:$PATH"
[[ -z $JSON || $JSON == /* ]] || JSON=$PWD/$JSON

# About 0.55 GB of layer files, one extracted tree (0.33 GB) at a time, and
# umoci's or the store's metadata.
avail=$(df -Pk /var/tmp | awk 'NR == 2 {print $4}')
if ((avail < 1200 * 1024)); then
        echo "import.sh: /var/tmp has $((avail / 1024)) MB free, needs about 1.2 GB" >&2
        exit 1
fi

B=$(mktemp -d /var/tmp/ctlimport.XXXXXX)
# shellcheck disable=SC2034 # CG is lib.sh's
CG=/ctlimport-${B##*.}
SOCK=$B/sock
CTL="containerctl --socket $SOCK"
NOTES=()
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

L=${LAYER_DIR:-$B/layer}
if [[ -f $L/layer.json && -f $L/layer.tar.gz && -d $L/oci-zstd ]]; then
        echo "==> reusing the layer in $L"
else
        echo "==> making the layer in $L (bench/mklayer.py, ~30 s)"
        python3 "$SRC/bench/mklayer.py" "$L" >/dev/null
fi
LJ=$L/layer.json
read -r FILES DIRS TAR_B GZ_B ZST_B DIFF_ID REF < <(jq -r \
        '[.files, .dirs, .tar_bytes, .gz_bytes, .zst_bytes, .diff_id, .ref] | @tsv' "$LJ")
mb() { jq -n "$1 / 1000000 | . * 10 | round / 10"; }
echo "    $FILES files, $DIRS dirs; tar $(mb "$TAR_B") MB, gzip -6 $(mb "$GZ_B") MB" \
        "($(jq -n "$TAR_B / $GZ_B | . * 100 | round / 100"):1), zstd -3 $(mb "$ZST_B") MB"
# Warm page cache for every input (the layouts' blobs are hard links).
cat "$L/layer.tar" "$L/layer.tar.gz" "$L/layer.tar.zst" >/dev/null

# The methods, in the order they run within a round.
NAMES=() CMDS=() PREPS=()
add() {
        [[ -z $ONLY ]] || grep -qE -- "$ONLY" <<<"$1" || return 0
        NAMES+=("$1"); CMDS+=("$2"); PREPS+=("$3")
}
OUT=$B/out
# Before every extracting run: the same state for every method. Removes the
# previous run's tree and umoci's bundle; for containerctl also every image
# and layer of the private daemon (and fails if a layer survives the prune:
# the import would find it and unpack nothing); then sync and a pause, so
# that no method pays for another's deletion.
cat >"$B/prep.sh" <<EOF
#!/bin/bash
set -eu
if [[ \${1:-} == ctl ]]; then
        for i in \$($CTL image list -q); do $CTL image rm -f "\$i" >/dev/null; done
        $CTL image prune >/dev/null
        if [[ -d $B/root/layers ]] && find $B/root/layers -mindepth 1 -maxdepth 1 | grep -q .; then
                echo "layers left after image prune: \$(ls $B/root/layers)" >&2
                exit 1
        fi
fi
rm -rf --one-file-system $OUT $B/bundle
mkdir $OUT
sync
sleep $SETTLE
EOF
chmod +x "$B/prep.sh"
PREP="$B/prep.sh"

add "gzip -dc" "gzip -dc $L/layer.tar.gz >/dev/null" ""
add "zstd -dc" "zstd -dc $L/layer.tar.zst >/dev/null" ""
add "tar -xf (plain tar)" "tar -xf $L/layer.tar -C $OUT" "$PREP"
add "tar -xzf" "tar -xzf $L/layer.tar.gz -C $OUT" "$PREP"
add "tar --zstd -xf" "tar --zstd -xf $L/layer.tar.zst -C $OUT" "$PREP"

if command -v umoci >/dev/null; then
        add "umoci unpack gzip" "umoci unpack --image $L/oci-gzip:$REF $B/bundle" "$PREP"
        add "umoci unpack zstd" "umoci unpack --image $L/oci-zstd:$REF $B/bundle" "$PREP"
else
        NOTES+=("umoci not installed: skipped")
fi

if command -v containerctld >/dev/null && command -v containerctl >/dev/null; then
        echo "==> private containerctld ($SOCK, state in $B/root)"
        if bench_daemon_start; then
                add "containerctl gzip" "$CTL image import $L/oci-gzip bench-gz:latest >/dev/null" "$PREP ctl"
                add "containerctl zstd" "$CTL image import $L/oci-zstd bench-zst:latest >/dev/null" "$PREP ctl"
        else
                NOTES+=("containerctl skipped: the daemon did not come up ($(tail -n1 "$B/daemon.log"))")
        fi
else
        NOTES+=("containerctl skipped: containerctld/containerctl not found (set CONTAINERCTL_BUILDDIR)")
fi

# The tree a method made, summarized: entries and bytes of regular files.
tree_sum() { find "$1" -mindepth 1 -printf '%y %s\n' | awk '{n++} $1 == "f" {s += $2} END {print n, s}'; }

# check NAME: after a trial run, that the method really unpacked the layer
# (containerctl: the committed layer dir; compared with the trial of tar -xzf).
REF_SUM=
check() {
        local dir=
        case $1 in
        "tar -xzf") REF_SUM=$(tree_sum "$OUT"); return 0 ;;
        "containerctl "*) dir=$B/root/layers/${DIFF_ID#sha256:}/diff ;;
        "umoci unpack "*) dir=$B/bundle/rootfs ;;
        *) return 0 ;;
        esac
        if [[ ! -d $dir ]]; then
                NOTES+=("$1: no tree at $dir after the trial run")
                return 0
        fi
        local s
        s=$(tree_sum "$dir")
        if [[ -n $REF_SUM && $s != "$REF_SUM" ]]; then
                NOTES+=("$1: tree differs from tar -xzf's (entries bytes: $s vs $REF_SUM)")
        fi
}

# run_one I [noprep]: prepare (untimed), then the timed command; prints
# seconds. Returns the command's status; the output of a failure is in
# $B/run.log.
run_one() {
        local i=$1 t0 t1
        if [[ -n ${PREPS[$i]} && ${2:-} != noprep ]] && ! bash -c "${PREPS[$i]}" >"$B/run.log" 2>&1; then
                echo "prepare failed: $(tail -n1 "$B/run.log")" >"$B/run.log"
                return 1
        fi
        t0=$EPOCHREALTIME
        bash -c "set -o pipefail; ${CMDS[$i]}" >"$B/run.log" 2>&1 || return $?
        t1=$EPOCHREALTIME
        jq -n "$t1 - $t0"
}

declare -A TIMES OK
echo "==> trial run of each method (untimed)"
for i in "${!NAMES[@]}"; do
        n=${NAMES[$i]}
        if t=$(run_one "$i"); then
                OK[$n]=1
                TIMES[$n]=
                printf '    %-22s %7.2f s\n' "$n" "$t"
                check "$n"
        else
                if [[ $n == "umoci unpack zstd" ]] && grep -q 'not correct mediatype' "$B/run.log"; then
                        NOTES+=("umoci $(umoci --version | awk '{print $3}') cannot unpack zstd layers (\"blob is not correct mediatype: ...tar+zstd\"): no umoci zstd figure")
                else
                        NOTES+=("$n skipped: trial run failed: $(grep -v '^$' "$B/run.log" | tail -n1 |
                                sed 's/^[[:space:]⨯]*//' || true)")
                fi
                printf '    %-22s failed (see notes)\n' "$n"
        fi
done

echo "==> $RUNS rounds, methods interleaved (settle ${SETTLE}s after each cleanup)"
for ((r = 1; r <= RUNS; r++)); do
        line="    round $r:"
        for i in "${!NAMES[@]}"; do
                n=${NAMES[$i]}
                [[ -n ${OK[$n]:-} ]] || continue
                if t=$(run_one "$i"); then
                        TIMES[$n]+="$t "
                        line+=" $(printf '%.2f' "$t")"
                else
                        unset "OK[$n]"
                        NOTES+=("$n: FAILED in round $r: $(grep -v '^$' "$B/run.log" | tail -n1 || true)")
                        line+=" FAIL"
                fi
        done
        echo "$line"
done

# The probe: tar -xzf started right after `rm -rf` of the previous tree,
# without sync or pause (what an import pays if a prune or a removal runs
# just before it).
PROBE_N="tar -xzf right after rm -rf"
if ((PROBE)) && [[ -n ${OK[tar -xzf]:-} ]]; then
        for i in "${!NAMES[@]}"; do [[ ${NAMES[$i]} != "tar -xzf" ]] || TARXZF=$i; done
        echo "==> probe: $PROBE_N (no sync, no pause), 2 runs"
        for r in 1 2; do
                # A full tree to delete first (untimed, settled).
                run_one "$TARXZF" >/dev/null || { NOTES+=("probe failed: $(tail -n1 "$B/run.log")"); break; }
                rm -rf --one-file-system "$OUT"
                mkdir "$OUT"
                t=$(run_one "$TARXZF" noprep) || { NOTES+=("probe failed: $(tail -n1 "$B/run.log")"); break; }
                TIMES[$PROBE_N]+="$t "
                printf '    %.2f s\n' "$t"
        done
fi
rm -rf --one-file-system "$OUT" "$B/bundle"

# stats "t1 t2 ...": median min max (seconds).
stats() { jq -rn --arg t "$1" '$t | split(" ") | map(select(. != "") | tonumber) | sort |
        [(if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end),
         .[0], .[-1]] | @tsv'; }
declare -A MED
echo
printf '%-30s %9s %9s %9s\n' method "median s" "min s" "max s"
RESULTS='{}'
for n in "${NAMES[@]}" "$PROBE_N"; do
        [[ -n ${TIMES[$n]:-} ]] || continue
        read -r med mi ma < <(stats "${TIMES[$n]}")
        MED[$n]=$med
        printf '%-30s %9.3f %9.3f %9.3f\n' "$n" "$med" "$mi" "$ma"
        RESULTS=$(jq -c --arg n "$n" --arg t "${TIMES[$n]}" --argjson med "$med" --argjson mi "$mi" --argjson ma "$ma" \
                '.[$n] = {median: $med, min: $mi, max: $ma, runs: ($t | split(" ") | map(select(. != "") | tonumber))}' \
                <<<"$RESULTS")
done

# ratio LABEL A B OP TARGET: prints A/B and, with a target, whether it holds.
RATIOS='[]'
ratio() {
        local label=$1 a=${MED[$2]:-} b=${MED[$3]:-} op=$4 target=$5 v met=null mark=
        if [[ -z $a || -z $b ]]; then
                printf '%-44s %6s\n' "$label" "n/a"
                return 0
        fi
        v=$(jq -n "$a / $b")
        if [[ $op != - ]]; then
                met=$(jq -n "$v $op $target")
                [[ $met == true ]] || mark=MISSED
                printf '%-44s %6.2f   (target %s %s) %s\n' "$label" "$v" "$op" "$target" "$mark"
        else
                printf '%-44s %6.2f\n' "$label" "$v"
        fi
        RATIOS=$(jq -c --arg l "$label" --argjson v "$v" --arg op "$op" --arg t "$target" --argjson met "$met" \
                '. + [{name: $l, value: $v, target: (if $op == "-" then null else "\($op) \($t)" end), met: $met}]' \
                <<<"$RATIOS")
}
echo
echo "==> ratios (of medians)"
ratio "containerctl gzip / tar -xzf" "containerctl gzip" "tar -xzf" "<=" 1.0
ratio "umoci unpack gzip / containerctl gzip" "umoci unpack gzip" "containerctl gzip" ">=" 2.0
ratio "containerctl zstd / containerctl gzip" "containerctl zstd" "containerctl gzip" "<=" 0.6
ratio "containerctl gzip / gzip -dc" "containerctl gzip" "gzip -dc" - -
ratio "containerctl gzip / tar -xf (plain tar)" "containerctl gzip" "tar -xf (plain tar)" - -
ratio "containerctl zstd / tar --zstd -xf" "containerctl zstd" "tar --zstd -xf" - -
ratio "tar -xzf after rm -rf / tar -xzf" "$PROBE_N" "tar -xzf" - -
if [[ -n ${MED[$PROBE_N]:-} ]]; then
        slow=$(jq -n "${MED[$PROBE_N]} / ${MED[tar -xzf]}")
        if [[ $(jq -n "$slow > 1.5") == true ]]; then
                NOTES+=("mass-delete effect seen: tar -xzf right after rm -rf of the previous tree took $(printf '%.1f' "$slow")x its settled time")
        else
                NOTES+=("mass-delete effect not seen this run: tar -xzf right after rm -rf took $(printf '%.2f' "$slow")x its settled time")
        fi
fi
if [[ -s $B/daemon.log ]]; then
        NOTES+=("daemon log: $(wc -l <"$B/daemon.log") lines, the last: $(tail -n1 "$B/daemon.log")")
fi
load=$(cut -d' ' -f1-3 /proc/loadavg)
NOTES+=("load average at the end: $load ($(nproc) CPUs)")
for n in "${NOTES[@]}"; do
        echo "note: $n"
done

if [[ -n $JSON ]]; then
        notes_json=$(printf '%s\n' "${NOTES[@]}" | jq -R . | jq -sc .)
        jq -n --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg host "$(uname -srm)" --argjson cpus "$(nproc)" \
                --argjson runs "$RUNS" --argjson settle "$SETTLE" --slurpfile layer "$LJ" \
                --argjson results "$RESULTS" --argjson ratios "$RATIOS" --argjson notes "$notes_json" \
                '{date: $date, host: $host, cpus: $cpus, runs: $runs, settle_s: $settle,
                  layer: ($layer[0] | {files, dirs, symlinks, hardlinks, tar_bytes, gz_bytes, zst_bytes, seed}),
                  results: $results, ratios: $ratios, notes: $notes}' >"$JSON"
        echo "results: $JSON"
fi
