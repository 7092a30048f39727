#!/bin/bash
# Import benchmark (issue 4): one ~110 MB gzip layer of ~7,000 files (made
# by bench/mklayer.py, deterministic) imported by `containerctl image import
# LAYOUT` (client + daemon + verify + unpack + commit) against `tar -xzf` of
# the same file into an empty dir and `umoci unpack` of the same layout, and
# the same layer as zstd; with `gzip -dc`, `zstd -dc` and `tar -xf` of the
# plain tar as floors, and `tar -xf` / `tar -xzf` followed by `sync -f`
# (containerctl makes the layer durable with syncfs(); tar does not). Every
# method runs --runs times, interleaved (round 1 runs each method once,
# then round 2...) after one untimed trial. Warm page cache, no cache
# dropping; times are wall-clock medians.
#
# Where the trees go (--fs):
#   loop (default)  a fresh ext4 for every run that writes files: an image
#                   file in the work dir, made with the options of
#                   /var/tmp's file system (no journal here) and mounted
#                   with its discard option; containerctl gets a fresh
#                   daemon on it (untimed). Reason: ext4 without a journal
#                   skips inodes freed in the last 60 s (6 min while their
#                   inode table block is dirty) when it allocates one, one
#                   lookup each, so creating files after anyone's mass
#                   delete on the same file system is up to ~12x slower;
#                   other work deleting trees on / makes runs there random.
#   host            the work dir itself; before each run the previous tree
#                   is deleted (containerctl: `image rm` + `image prune`),
#                   then `sync` and --settle seconds (default 65 there).
# The "right after rm -rf" probe measures that effect: tar -xzf started
# right after deleting a full tree.
# Prints medians and the issue's ratios, MISSED next to a missed target;
# exits 0 whether or not targets are met. Needs root.
#
# Usage: bench/import.sh [--runs N] [--fs loop|host] [--settle SECONDS]
#                        [--json FILE] [--layer-dir DIR] [--no-probe]
#                        [--only REGEX]
#   --layer-dir DIR  make the layer there (kept), or reuse it if present
#   --only REGEX     run only the methods whose name matches (grep -E)
# Env:   CONTAINERCTL_BUILDDIR (containerctl, containerctld), BENCH_KEEP=1
#        keeps the work dir (in /var/tmp).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"

RUNS=5 FS=loop SETTLE='' JSON='' LAYER_DIR='' PROBE=1 ONLY=''
while (($#)); do
        case $1 in
        --runs) RUNS=$2; shift 2 ;;
        --fs) FS=$2; shift 2 ;;
        --settle) SETTLE=$2; shift 2 ;;
        --json) JSON=$2; shift 2 ;;
        --layer-dir) LAYER_DIR=$2; shift 2 ;;
        --no-probe) PROBE=0; shift ;;
        --only) ONLY=$2; shift 2 ;;
        -h | --help) sed -n '2,/^[^#]/{/^#/p}' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
        esac
done
[[ $FS == loop || $FS == host ]] || { echo "--fs: loop or host" >&2; exit 2; }
if [[ -z $SETTLE ]]; then
        if [[ $FS == loop ]]; then SETTLE=1; else SETTLE=65; fi
fi
[[ $(id -u) == 0 ]] || { echo "import.sh needs root" >&2; exit 1; }
for t in jq python3 gzip zstd tar; do
        command -v $t >/dev/null || { echo "$t not installed" >&2; exit 1; }
done
[[ $FS == host ]] || command -v mkfs.ext4 >/dev/null || { echo "mkfs.ext4 not installed (or use --fs host)" >&2; exit 1; }
[[ -n ${CONTAINERCTL_BUILDDIR:-} ]] && export PATH="$CONTAINERCTL_BUILDDIR:$PATH"
[[ -z $JSON || $JSON == /* ]] || JSON=$PWD/$JSON

# About 0.55 GB of layer files and one extracted tree (0.33 GB) at a time
# with umoci's or the store's metadata.
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

# W holds the trees: out/ (tar), bundle/ (umoci), root/ (the daemon's state).
W=$B/w
OUT=$W/out
mkdir "$W"
MKFS_OPTS=() MOUNT_OPTS=loop FS_DESC="the work dir ($(findmnt -no FSTYPE -T "$B"))"
if [[ $FS == loop ]]; then
        # Like /var/tmp's file system: ext4, with a journal only if it has
        # one (jbd2 lists the journaled devices), discard if it has it.
        host_dev=$(findmnt -no SOURCE -T "$B")
        host_dev=${host_dev##*/}
        journaled=(/proc/fs/jbd2/"$host_dev"-*)
        if [[ $(findmnt -no FSTYPE -T "$B") == ext4 && ! -e ${journaled[0]} ]]; then
                MKFS_OPTS+=(-O ^has_journal)
                FS_DESC="a fresh 2 GB ext4 without a journal"
        else
                FS_DESC="a fresh 2 GB ext4 with a journal"
        fi
        if findmnt -no OPTIONS -T "$B" | tr , '\n' | grep -qx discard; then
                MOUNT_OPTS+=,discard
                FS_DESC+=", mounted with discard"
        fi
        FS_DESC+=", per run, on a loop device"
fi

# fresh_fs: W becomes a new empty file system (loop mode; untimed). The
# daemon, whose root is on the old one, is stopped first.
fresh_fs() {
        bench_daemon_stop
        if mountpoint -q "$W"; then
                umount "$W"
        fi
        rm -f "$B/fs.img"
        truncate -s 2G "$B/fs.img"
        mkfs.ext4 -q -F "${MKFS_OPTS[@]}" -E lazy_itable_init=0,nodiscard "$B/fs.img"
        mount -o "$MOUNT_OPTS" "$B/fs.img" "$W"
}

# start_daemon: the private daemon with its state in W/root.
start_daemon() {
        [[ -z $DAEMON_PID ]] || return 0
        containerctld --socket "$SOCK" --root "$W/root" --run-root "$B/run" --cgroup-parent "$CG/ctl" \
                --log-level warning </dev/null >>"$B/daemon.log" 2>&1 &
        DAEMON_PID=$!
        wait_for 10 containerctl --socket "$SOCK" version || { echo "containerctld did not come up: $(tail -n1 "$B/daemon.log")"; return 1; }
}

# prepare KIND: the untimed part before a run. KIND "none" (decompression
# only): nothing. "tree" or "ctl": an empty OUT, no bundle; for "ctl" a
# daemon with an empty store. Loop mode: a fresh file system (and daemon).
# Host mode: delete the previous trees (containerctl: every image, then
# prune, and fail if a layer survives: the import would find it and unpack
# nothing), then sync and the pause.
prepare() {
        local kind=$1
        [[ $kind != none ]] || return 0
        if [[ $FS == loop ]]; then
                fresh_fs
                [[ $kind != ctl ]] || start_daemon || return 1
        else
                if [[ $kind == ctl ]]; then
                        start_daemon || return 1
                        local i
                        for i in $($CTL image list -q); do $CTL image rm -f "$i" >/dev/null || return 1; done
                        $CTL image prune >/dev/null || return 1
                        if [[ -d $W/root/layers ]] && find "$W/root/layers" -mindepth 1 -maxdepth 1 | grep -q .; then
                                echo "layers left after image prune: $(ls "$W/root/layers")"
                                return 1
                        fi
                fi
                rm -rf --one-file-system "$OUT" "$W/bundle"
        fi
        mkdir "$OUT"
        sync
        sleep "$SETTLE"
}

# The methods, in the order they run within a round.
NAMES=() CMDS=() KINDS=()
add() {
        [[ -z $ONLY ]] || grep -qE -- "$ONLY" <<<"$1" || return 0
        NAMES+=("$1"); CMDS+=("$2"); KINDS+=("$3")
}

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
echo "    trees go to $FS_DESC; pause after cleanup ${SETTLE}s"
# Warm page cache for every input (the layouts' blobs are hard links).
cat "$L/layer.tar" "$L/layer.tar.gz" "$L/layer.tar.zst" >/dev/null

add "gzip -dc" "gzip -dc $L/layer.tar.gz >/dev/null" none
add "zstd -dc" "zstd -dc $L/layer.tar.zst >/dev/null" none
add "tar -xf (plain tar)" "tar -xf $L/layer.tar -C $OUT" tree
add "tar -xzf" "tar -xzf $L/layer.tar.gz -C $OUT" tree
add "tar --zstd -xf" "tar --zstd -xf $L/layer.tar.zst -C $OUT" tree
# containerctl ends an unpack with syncfs() (the layer must be on disk
# before it is committed); these include that write-out, tar does not.
add "tar -xf + sync -f" "tar -xf $L/layer.tar -C $OUT && sync -f $OUT" tree
add "tar -xzf + sync -f" "tar -xzf $L/layer.tar.gz -C $OUT && sync -f $OUT" tree
if command -v umoci >/dev/null; then
        add "umoci unpack gzip" "umoci unpack --image $L/oci-gzip:$REF $W/bundle" tree
        add "umoci unpack zstd" "umoci unpack --image $L/oci-zstd:$REF $W/bundle" tree
else
        NOTES+=("umoci not installed: skipped")
fi
if command -v containerctld >/dev/null && command -v containerctl >/dev/null; then
        add "containerctl gzip" "$CTL image import $L/oci-gzip bench-gz:latest >/dev/null" ctl
        add "containerctl zstd" "$CTL image import $L/oci-zstd bench-zst:latest >/dev/null" ctl
else
        NOTES+=("containerctl skipped: containerctld/containerctl not found (set CONTAINERCTL_BUILDDIR)")
fi

# The tree a method made, summarized: entries and bytes of regular files.
tree_sum() { find "$1" -mindepth 1 -printf '%y %s\n' | awk '{n++} $1 == "f" {s += $2} END {print n, s}'; }

# check NAME: after a trial run, that the method really unpacked the layer
# (umoci's rootfs, the layer containerctl committed), compared with the
# trial of tar -xzf.
REF_SUM=
check() {
        local dir=
        case $1 in
        "tar -xzf") REF_SUM=$(tree_sum "$OUT"); return 0 ;;
        "containerctl "*) dir=$W/root/layers/${DIFF_ID#sha256:}/diff ;;
        "umoci unpack "*) dir=$W/bundle/rootfs ;;
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

# run_one I [noprep]: prepare (untimed), then the timed command; sets T
# (seconds). Returns non-zero on failure, the output in $B/run.log.
T=
run_one() {
        local i=$1 t0 t1
        if [[ ${2:-} != noprep ]] && ! prepare "${KINDS[$i]}" >"$B/run.log" 2>&1; then
                echo "prepare failed: $(grep -v '^$' "$B/run.log" | tail -n1)" >"$B/run.log"
                return 1
        fi
        t0=$EPOCHREALTIME
        bash -c "set -o pipefail; ${CMDS[$i]}" >"$B/run.log" 2>&1 || return 1
        t1=$EPOCHREALTIME
        T=$(jq -n "$t1 - $t0")
}

declare -A TIMES OK
echo "==> trial run of each method (untimed)"
for i in "${!NAMES[@]}"; do
        n=${NAMES[$i]}
        if run_one "$i"; then
                OK[$n]=1
                TIMES[$n]=
                printf '    %-22s %7.2f s\n' "$n" "$T"
                check "$n"
        else
                printf '    %-22s failed (see notes)\n' "$n"
                if [[ $n == "umoci unpack zstd" ]] && grep -q 'not correct mediatype' "$B/run.log"; then
                        NOTES+=("umoci $(umoci --version | awk '{print $3}') cannot unpack zstd layers (\"blob is not correct mediatype: ...tar+zstd\"): no umoci zstd figure")
                else
                        NOTES+=("$n skipped: trial run failed: $(grep -v '^$' "$B/run.log" | tail -n1 |
                                sed 's/^[[:space:]⨯]*//' || true)")
                fi
        fi
done

echo "==> $RUNS rounds, methods interleaved"
for ((r = 1; r <= RUNS; r++)); do
        line="    round $r:"
        for i in "${!NAMES[@]}"; do
                n=${NAMES[$i]}
                [[ -n ${OK[$n]:-} ]] || continue
                if run_one "$i"; then
                        TIMES[$n]+="$T "
                        line+=" $(printf '%.2f' "$T")"
                else
                        unset "OK[$n]"
                        NOTES+=("$n: FAILED in round $r: $(grep -v '^$' "$B/run.log" | tail -n1 || true)")
                        line+=" FAIL"
                fi
        done
        echo "$line"
done

# The probe: tar -xzf started right after `rm -rf` of a full tree of the
# layer, without sync or pause (what an import pays if a prune or a
# container removal ran just before it).
PROBE_N="tar -xzf right after rm -rf"
if ((PROBE)) && [[ -n ${OK[tar -xzf]:-} ]]; then
        for i in "${!NAMES[@]}"; do [[ ${NAMES[$i]} != "tar -xzf" ]] || TARXZF=$i; done
        echo "==> probe: $PROBE_N (no sync, no pause)"
        # A full tree to delete (untimed, settled).
        if run_one "$TARXZF"; then
                rm -rf --one-file-system "$OUT"
                mkdir "$OUT"
                if run_one "$TARXZF" noprep; then
                        TIMES[$PROBE_N]=$T
                        printf '    %.2f s\n' "$T"
                fi
        fi
        [[ -n ${TIMES[$PROBE_N]:-} ]] || NOTES+=("probe failed: $(tail -n1 "$B/run.log")")
fi

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
ratio "containerctl gzip / tar -xzf + sync -f" "containerctl gzip" "tar -xzf + sync -f" - -
ratio "containerctl gzip / tar -xf + sync -f" "containerctl gzip" "tar -xf + sync -f" - -
ratio "containerctl zstd / tar -xf + sync -f" "containerctl zstd" "tar -xf + sync -f" - -
ratio "containerctl zstd / tar --zstd -xf" "containerctl zstd" "tar --zstd -xf" - -
ratio "tar -xzf after rm -rf / tar -xzf" "$PROBE_N" "tar -xzf" - -
if [[ -n ${MED[$PROBE_N]:-} ]]; then
        slow=$(jq -n "${MED[$PROBE_N]} / ${MED[tar -xzf]}")
        if [[ $(jq -n "$slow > 1.5") == true ]]; then
                NOTES+=("mass-delete effect seen: tar -xzf right after rm -rf of a full tree took $(printf '%.1f' "$slow")x its settled time")
        else
                NOTES+=("mass-delete effect not seen: tar -xzf right after rm -rf of a full tree took $(printf '%.2f' "$slow")x its settled time")
        fi
fi
if [[ -s $B/daemon.log ]]; then
        NOTES+=("daemon log: $(wc -l <"$B/daemon.log") lines, the last: $(tail -n1 "$B/daemon.log")")
fi
load=$(cut -d' ' -f1-3 /proc/loadavg)
NOTES+=("trees on $FS_DESC")
NOTES+=("load average at the end: $load ($(nproc) CPUs)")
for n in "${NOTES[@]}"; do
        echo "note: $n"
done

if [[ -n $JSON ]]; then
        notes_json=$(printf '%s\n' "${NOTES[@]}" | jq -R . | jq -sc .)
        jq -n --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg host "$(uname -srm)" --argjson cpus "$(nproc)" \
                --argjson runs "$RUNS" --arg fs "$FS" --argjson settle "$SETTLE" --slurpfile layer "$LJ" \
                --argjson results "$RESULTS" --argjson ratios "$RATIOS" --argjson notes "$notes_json" \
                '{date: $date, host: $host, cpus: $cpus, runs: $runs, fs: $fs, settle_s: $settle,
                  layer: ($layer[0] | {files, dirs, symlinks, hardlinks, tar_bytes, gz_bytes, zst_bytes, seed}),
                  results: $results, ratios: $ratios, notes: $notes}' >"$JSON"
        echo "results: $JSON"
fi
