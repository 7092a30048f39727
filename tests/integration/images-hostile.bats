#!/usr/bin/env bats
# Hostile archives (issue 4, scope 6): a corpus made by mkhostile.py, each
# case wrapped as a rootfs tarball, as the only layer of an OCI layout and as
# an OCI archive (plus hostile members of the archive itself). Nothing may be
# written outside the layer being unpacked: the escapes aim at canaries in
# $TMP/outside and at $TMP itself (a layer root is 4 levels below $TMP), and
# every name they could create starts with ctlesc-<token>, which is looked
# for in $TMP, /tmp and /. A case that must fail must also name the entry
# and leave the store exactly as it was (no image, no layer, no .tmp-*).

load helpers

MKHOSTILE() {
        python3 "$BATS_TEST_DIRNAME/mkhostile.py" "$@"
}

setup_file() {
        ctl_setup_file
        HOSTILE_TOKEN=$(ctl_random)
        CORPUS=$BATS_FILE_TMPDIR/corpus
        export HOSTILE_TOKEN CORPUS
        MKHOSTILE corpus "$CORPUS" --outside "$TMP/outside" --token "$HOSTILE_TOKEN"
}

teardown_file() {
        local f leaked=""
        # Only names with this run's token: whatever a broken extractor made.
        for f in /tmp/ctlesc-"${HOSTILE_TOKEN:-none}"* /ctlesc-"${HOSTILE_TOKEN:-none}"*; do
                [[ -e $f || -L $f ]] || continue
                leaked+="$f "
                rm -rf --one-file-system "$f"
        done
        ctl_teardown_file
        if [[ -n $leaked ]]; then
                echo "hostile archives wrote outside \$TMP: $leaked" >&2
                return 1
        fi
}

# Everything outside the store a hostile archive could touch: $TMP but the
# daemon's own files, /etc/passwd, and ctlesc-* names in /tmp and /. ctime
# covers chmod, chown, link count and xattr changes (an opaque marker).
SNAP_FMT='%p %y %m %U:%G %s %n %T@ %C@ %l\n'
outside_state() {
        local f
        find "$TMP" /etc/passwd /etc/shadow \( -path "$TMP/root" -o -path "$TMP/run" \
                -o -path "$TMP/daemon.log" \) -prune -o -printf "$SNAP_FMT"
        for f in /tmp/ctlesc-"$HOSTILE_TOKEN"* /ctlesc-"$HOSTILE_TOKEN"*; do
                [[ -e $f || -L $f ]] && echo "$f"
        done
        return 0
}

# The whole store; the times of its top directories (which imports create
# and remove staging dirs in) are left out.
store_state() {
        find "$TMP/root" -path "$TMP/root/*/*" -printf "$SNAP_FMT" -o -printf '%p %y %m %U:%G\n'
}

image_list_state() {
        containerctl image list --json
}

# Leftovers of an import: staging dirs anywhere near the top of the store.
store_tmp() {
        find "$TMP/root" -maxdepth 3 -name '.tmp-*' -print 2>/dev/null
}

no_store_tmp() {
        [[ -z $(store_tmp) ]]
}

# ctlesc-* names in the store outside the dirs given as arguments.
escapes_in_store() {
        local found f d ok
        found=$(find "$TMP/root" -name "ctlesc-$HOSTILE_TOKEN*" 2>/dev/null) || true
        for f in $found; do
                ok=0
                for d in "$@"; do
                        [[ $f == "$d"/* ]] && ok=1
                done
                ((ok)) || echo "$f"
        done
}

daemon_alive() {
        local pid
        pid=$(cat "$TMP/daemon.pid" 2>/dev/null) && kill -0 "$pid" 2>/dev/null
}

# The diff dirs of image $1 (inspect), one per line.
layer_dirs() {
        containerctl image inspect "$1" | jq -r 'if type == "array" then .[0] else . end | .layers[].dir'
}

# Removes image $1 and prunes, so the next wrapping of the same content
# unpacks its layer again instead of finding it in the store.
drop_image() {
        local dirs d
        dirs=$(layer_dirs "$1") || true
        containerctl image rm "$1" >/dev/null 2>&1 || echo "image rm $1 failed"
        containerctl image prune >/dev/null 2>&1 || echo "image prune failed"
        for d in $dirs; do
                [[ $d == "$TMP/root/layers/"* ]] || continue
                # busybox's layer stays; only this case's own layers must go.
                if [[ -e $d ]] && ! grep -qxF "$d" <<<"$BASE_LAYER_DIRS"; then
                        echo "layer $d still there after image rm + prune"
                fi
        done
}

# check_case NAME WRAP PATH EXPECT NEEDLES FINAL: imports one case and
# prints what is wrong (nothing if the case behaved). NEEDLES: the names
# the error may quote, separated by \x1f; FINAL: JSON or null.
check_case() {
        local name=$1 wrap=$2 path=$3 expect=$4 needles=$5 final=$6 ref out st needle named=0 f
        local outside_before outside_after store_before store_after list_before list_after dirs
        ref=hostile-$name:$wrap

        outside_before=$(outside_state)
        store_before=$(store_state)
        list_before=$(image_list_state)
        st=0
        out=$(timeout 60 containerctl image import "$path" "$ref" 2>&1) || st=$?
        # HOSTILE_VERBOSE=1: every case's outcome in the TAP output.
        [[ -z ${HOSTILE_VERBOSE:-} ]] || echo "# $wrap/$name ($expect): $st: ${out:0:300}" >&3
        if ! daemon_alive; then
                echo "daemon died importing it (status $st: $out)"
                tail -n 20 "$TMP/daemon.log"
                ctl_daemon_start >/dev/null 2>&1 || echo "daemon restart failed"
                return
        fi
        if ! wait_until 10 no_store_tmp 2>/dev/null; then
                echo "staging dirs left: $(store_tmp | tr '\n' ' ')"
        fi
        outside_after=$(outside_state)
        if [[ $outside_after != "$outside_before" ]]; then
                echo "changed outside the store:"
                diff <(echo "$outside_before") <(echo "$outside_after") | head -20
        fi

        if [[ $st -ne 0 ]]; then
                if [[ $expect == ok ]]; then
                        echo "expected success (duplicates are legal), got $st: $out"
                        return
                fi
                [[ $st -eq 124 ]] && echo "import timed out"
                # Not in the archive's own path, which holds the case name.
                while read -r -d $'\x1f' needle; do
                        [[ ${out//"$path"/} == *"$needle"* ]] && named=1
                done <<<"$needles"$'\x1f'
                if ((!named)); then
                        echo "the error does not name the entry (any of: ${needles//$'\x1f'/ | }): ${out:0:400}"
                fi
                list_after=$(image_list_state)
                [[ $list_after == "$list_before" ]] || echo "image list changed: $list_before -> $list_after"
                store_after=$(store_state)
                if [[ $store_after != "$store_before" ]]; then
                        echo "the store changed:"
                        diff <(echo "$store_before") <(echo "$store_after") | head -20
                fi
                f=$(escapes_in_store)
                [[ -z $f ]] || echo "ctlesc names in the store: $f"
                return
        fi

        # The import succeeded.
        if [[ $expect == fail ]]; then
                echo "imported, must fail: $out"
        fi
        dirs=$(layer_dirs "$ref") || echo "inspect $ref failed"
        # Whatever went through a link out must have landed in its own layer.
        f=$(escapes_in_store $dirs)
        [[ -z $f ]] || echo "ctlesc names outside the image's layers: $f"
        if [[ $final != null ]]; then
                check_final "$final" "$(tail -n 1 <<<"$dirs")"
        fi
        drop_image "$ref"
}

# The state the last duplicate entry leaves (tar semantics: the last wins).
check_final() {
        local final=$1 dir=$2 p type
        p=$dir/$(jq -r .path <<<"$final")
        type=$(jq -r .type <<<"$final")
        case $type in
        symlink)
                [[ -L $p && $(readlink "$p") == "$(jq -r .target <<<"$final")" ]] ||
                        echo "expected $p -> $(jq -r .target <<<"$final"), got: $(ls -ld "$p" 2>&1)"
                ;;
        file)
                [[ -f $p && ! -L $p && $(cat "$p") == "$(jq -r .content <<<"$final")" ]] ||
                        echo "expected file $p with $(jq -c .content <<<"$final"), got: $(ls -ld "$p" 2>&1)"
                ;;
        esac
}

# Runs every case the jq filter $1 selects from the corpus; reports all
# that misbehaved.
run_corpus() {
        local filter=$1 name wrap path expect needles final problems report="" n=0 bad=0
        BASE_LAYER_DIRS=$(layer_dirs busybox:latest)
        while IFS=$'\t' read -r name wrap path expect needles final; do
                n=$((n + 1))
                final=$(base64 -d <<<"$final")
                problems=$(check_case "$name" "$wrap" "$path" "$expect" "$needles" "$final")
                if [[ -n $problems ]]; then
                        bad=$((bad + 1))
                        report+="--- $wrap/$name ($expect):"$'\n'"$problems"$'\n'
                fi
        done < <(jq -r ".[] | select($filter) |
                [.name, .wrap, .path, .expect, (.needles | join(\"\\u001f\")), (.final | tojson | @base64)] | @tsv" \
                "$CORPUS/cases.json")
        echo "$n cases, $bad misbehaved"
        if ((bad)); then
                echo "$report"
                return 1
        fi
        ((n > 0))
}

@test "hostile rootfs tarballs write nothing outside and fail naming the entry" {
        run_corpus '.wrap == "plain"'
}

@test "hostile layers of an OCI layout write nothing outside and fail naming the entry" {
        run_corpus '.wrap == "layout"'
}

@test "hostile layers of an OCI archive write nothing outside and fail naming the entry" {
        run_corpus '.wrap == "archive" and (.name | startswith("outer-") | not)'
}

@test "hostile members of an OCI archive itself (.., absolute, links to blobs outside)" {
        run_corpus '.wrap == "archive" and (.name | startswith("outer-"))'
}

@test "duplicate entries unpack the same tree every time" {
        local name path tree1 tree2 ref=dup-twice:1 dir
        BASE_LAYER_DIRS=$(layer_dirs busybox:latest)
        for name in dup-file-dir-symlink dup-symlink-dir-file dup-symlink-file; do
                path=$CORPUS/plain/$name.tar
                containerctl image import "$path" "$ref"
                dir=$(layer_dirs "$ref")
                tree1=$(MKHOSTILE layer-tree "$dir")
                run drop_image "$ref"
                [[ -z $output ]] || { echo "$output"; false; }
                [[ ! -e $dir ]]
                containerctl image import "$path" "$ref"
                [[ $(layer_dirs "$ref") == "$dir" ]]
                tree2=$(MKHOSTILE layer-tree "$dir")
                echo "$name: $tree2"
                [[ $tree1 == "$tree2" ]]
                run drop_image "$ref"
                [[ -z $output ]] || { echo "$output"; false; }
        done
}

@test "the daemon still works after the corpus" {
        run containerctl run --rm busybox:latest cat /etc/passwd
        assert_status 0
        grep -q '^root:' <<<"$output"
        [[ -z $(store_tmp) ]]
}
