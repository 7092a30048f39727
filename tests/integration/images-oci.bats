#!/usr/bin/env bats
# OCI images (issue 4): images built here with umoci and skopeo
# (oci-build.bash), imported from every source form, their layers compared
# with `umoci unpack` of the same image and with what a container sees;
# layers shared between images and pruned; the image config applied at
# create; and bad sources that must fail naming the problem and change
# nothing.

load helpers
load oci-build

setup_file() {
        ctl_setup_file
        oci_setup "$TMP/oci"
}

teardown() {
        local m id
        # Mounts this file made (tests unmount them themselves; this is for
        # a test that failed half-way).
        for m in $(grep -F " $TMP/mnt-" /proc/self/mountinfo | awk '{print $5}' | sort -r); do
                umount "$m" || umount -l "$m"
        done
        ctl_teardown
        # Every test starts with busybox:latest as its only image and no
        # containers.
        for id in $(timeout 30 containerctl ps -a -q 2>/dev/null); do
                timeout 30 containerctl rm -f "$id" >/dev/null 2>&1 || true
        done
        for id in $(timeout 30 containerctl image list --json 2>/dev/null |
                jq -r '(if type == "array" then . else .images end)[] |
                       select((.refs // []) | index("busybox:latest") | not) | .id'); do
                timeout 30 containerctl image rm -f "$id" >/dev/null 2>&1 || true
        done
}

images_json() {
        containerctl image list --json | jq -c 'if type == "array" then . else .images end'
}

# Every name of every image, one per line, sorted.
image_refs() {
        images_json | jq -r '.[] | .refs[]' | sort
}

image_id_of() {
        images_json | jq -r --arg r "$1" '.[] | select(.refs | index($r)) | .id'
}

# image inspect of $1 as one object.
inspect_image() {
        containerctl image inspect "$1" | jq -c 'if type == "array" then .[0] else . end'
}

# What a failed import must not change: the images and their names, the
# layer and image dirs of the store (temp dirs included), the state root.
store_state() {
        images_json | jq -S -c 'sort_by(.id)'
        ls -A "$TMP/root"
        echo "-- layers"
        ls -A "$TMP/root/layers"
        echo "-- images"
        ls -A "$TMP/root/images"
}

store_is() {
        [[ $(store_state) == "$1" ]]
}

# bad_import PATH REGEX...: importing PATH fails (the CLI exits 125, as
# for every error the daemon replies) with a message matching every REGEX
# (grep -E), and leaves the store as it was. BAD_KIND=K: the raw API's
# error kind must be K.
bad_import() {
        local path=$1 before re
        shift
        before=$(store_state)
        run containerctl image import "$path" badimg:1
        echo "import of $path: status $status, output: $output"
        assert_status 125
        [[ -n $output ]]
        for re in "$@"; do
                if ! grep -qE -- "$re" <<<"$output"; then
                        echo "the message does not match /$re/" >&2
                        return 1
                fi
        done
        if ! wait_until 5 store_is "$before"; then
                echo "the store changed:" >&2
                diff <(echo "$before") <(store_state) >&2
                return 1
        fi
        if [[ -n ${BAD_KIND:-} ]]; then
                run oci_import_raw "$path" badimg 1
                echo "raw: $output"
                [[ $(grep '^error=' <<<"$output" | cut -d= -f2- | jq -r .data.kind) == "$BAD_KIND" ]]
                store_is "$before"
        fi
}

# image.prune over the raw API: prints the result (or error) object.
prune_raw() {
        printf '{"jsonrpc":"2.0","id":1,"method":"image.prune","params":{}}\n' |
                rpc --timeout 60 | jq -c '.result // .error'
}

# The sha256 hex of a file.
sha_of() {
        sha256sum "$1" | cut -d' ' -f1
}

# The layer dirs that images other than $1 use, one per line.
dirs_used_by_others() {
        local ref
        for ref in $(image_refs); do
                [[ $ref == "$1" ]] && continue
                inspect_image "$ref" | jq -r '.layers[].dir'
        done | sort -u
}

# mount_layers DIR INSPECT_JSON: mounts the image's layers read-only as one
# overlay (top layer first), as the container's lower dirs.
mount_layers() {
        local lower
        lower=$(jq -r '[.layers[].dir] | reverse | join(":")' <<<"$2")
        mkdir -p "$1"
        mount -t overlay overlay -o "ro,lowerdir=$lower" "$1"
}

# Facts about /data of the rich image, printed by busybox inside a
# container and in a chroot of `umoci unpack`.
RICH_PROBE='cd /data || exit 1
stat -c "%n %A %u:%g %s %h %Y" a/f b/g suid sgid owned chmodme overwritten capfile xattr new big
stat -c "%n %A %u:%g" sticky owneddir opq opq/sub2 filetodir
stat -c "%n %F %t:%T %a %u:%g" chardev blockdev fifo
for l in l1 l2 l3 dangle; do echo "$l -> $(readlink $l)"; done
cat l1 overwritten filetodir/x opq/new1 opq/sub2/new3
echo "opq: $(ls -a opq | tr "\n" " ")"
echo "data: $(ls -a . | tr "\n" " ")"
[ "$(stat -c %i a/f)" = "$(stat -c %i b/g)" ] && echo hardlinked
for p in del-me deldir opq/old1 opq/sub; do [ -e $p ] || [ -L $p ] || echo "absent $p"; done
md5sum big
stat -c "%n %A %u:%g" /'

# --- layers: the merged tree -------------------------------------------------

@test "multi-layer image: layers equal umoci unpack (whiteouts, opaque dir, hardlinks, setuid, xattrs, devices)" {
        local insp want got hex dir l3 l4 xattrs
        oci_single rich "$TMP/rich"
        run containerctl image import "$TMP/rich" rich:1
        assert_status 0
        insp=$(inspect_image rich:1)
        # Digests, sizes, media types, diff_ids and platform as the layout
        # has them.
        want=$(oci_tool describe "$TMP/rich" rich)
        got=$(jq -r "$OCI_DESCRIBE_JQ" <<<"$insp")
        if [[ $got != "$want" ]]; then
                diff <(echo "$want") <(echo "$got")
                return 1
        fi
        [[ $(jq -r '.layers | length' <<<"$insp") == 4 ]]
        [[ $(jq -r '([.layers[].size] | add) == .size' <<<"$insp") == true ]]
        # Each layer's dir is its diff_id's in the store.
        while read -r hex dir; do
                [[ $dir == "$TMP/root/layers/$hex/diff" && -d $dir ]]
        done < <(jq -r '.layers[] | "\(.diff_id | ltrimstr("sha256:")) \(.dir)"' <<<"$insp")

        # The layers as overlayfs wants them: whiteouts are 0:0 char
        # devices, the opaque dir has trusted.overlay.opaque, no .wh. name
        # is left anywhere.
        l3=$(jq -r '.layers[2].dir' <<<"$insp")
        l4=$(jq -r '.layers[3].dir' <<<"$insp")
        [[ $(stat -c '%F %t:%T %u:%g' "$l3/data/del-me") == "character special file 0:0 0:0" ]]
        [[ $(stat -c '%F %t:%T %u:%g' "$l3/data/deldir") == "character special file 0:0 0:0" ]]
        [[ $(oci_python -c 'import os,sys; print(os.getxattr(sys.argv[1], "trusted.overlay.opaque").decode())' "$l4/data/opq") == y ]]
        [[ -z $(jq -r '.layers[].dir' <<<"$insp" | xargs -I{} find {} -name '.wh.*') ]]

        umoci unpack --image "$OCI/L:rich" "$TMP/rich-bundle" >/dev/null
        mount_layers "$TMP/mnt-rich" "$insp"
        # The xattrs are there at all (treecmp compares them, but would not
        # notice both sides losing them): a VFS v2 capability with
        # cap_net_bind_service and cap_net_raw, and the user.* ones.
        xattrs=$(oci_python -c 'import os, sys
r = sys.argv[1]
print(os.getxattr(r + "/data/capfile", "security.capability").hex(),
      os.getxattr(r + "/data/xattr", "user.test").decode(),
      os.getxattr(r + "/data/owneddir", "user.dirattr").decode())' "$TMP/mnt-rich" 2>&1) || true
        run oci_python "$BATS_TEST_DIRNAME/treecmp.py" "$TMP/rich-bundle/rootfs" "$TMP/mnt-rich"
        umount "$TMP/mnt-rich"
        rm -rf "$TMP/rich-bundle" "$TMP/rich"
        echo "$output"
        assert_status 0
        echo "xattrs: $xattrs"
        [[ $xattrs == "0100000200240000000000000000000000000000 hello d" ]]
        containerctl image rm rich:1
}

@test "multi-layer image: a container sees deletions, the opaque dir, modes, owners, links and devices" {
        local want
        oci_single rich "$TMP/rich"
        containerctl image import "$TMP/rich" rich:1 >/dev/null
        umoci unpack --image "$OCI/L:rich" "$TMP/rich-bundle" >/dev/null
        want=$(chroot "$TMP/rich-bundle/rootfs" /bin/sh -c "$RICH_PROBE" 2>&1)
        rm -rf "$TMP/rich-bundle" "$TMP/rich"
        run containerctl run --rm rich:1 sh -c "$RICH_PROBE"
        assert_status 0
        if [[ $output != "$want" ]]; then
                diff <(echo "$want") <(echo "$output") || true
                return 1
        fi
        # The same facts, spelled out (so a umoci change cannot hide one).
        grep -qx 'a/f -rw-r--r-- 0:0 6 2 [0-9]*' <<<"$output"
        grep -qx 'b/g -rw-r--r-- 0:0 6 2 [0-9]*' <<<"$output"
        grep -qx 'suid -rwsr-xr-x 0:0 20 1 [0-9]*' <<<"$output"
        grep -qx 'sgid -rwxr-s--x 0:0 3 1 [0-9]*' <<<"$output"
        assert_line_eq "owned -rw-r--r-- 1234:5678 4 1 1234567890"
        grep -qx 'chmodme -rw------- 42:43 3 1 [0-9]*' <<<"$output"
        assert_line_eq "sticky drwxrwxrwt 0:0"
        assert_line_eq "owneddir drwxr-x--- 1000:1001"
        assert_line_eq "chardev character special file 1:3 666 0:0"
        assert_line_eq "blockdev block special file 7:0 600 0:0"
        assert_line_eq "fifo fifo 0:0 640 0:0"
        assert_line_eq "l1 -> l2"
        assert_line_eq "l2 -> /data/l3"
        assert_line_eq "l3 -> a/f"
        assert_line_eq "dangle -> /nonexistent"
        assert_line_eq "hello"
        assert_line_eq "new"
        assert_line_eq "opq: . .. new1 sub2 "
        assert_line_eq "hardlinked"
        assert_line_eq "absent del-me"
        assert_line_eq "absent deldir"
        assert_line_eq "absent opq/old1"
        assert_line_eq "absent opq/sub"
        assert_line_eq "/ drwxr-xr-x 0:0"
        containerctl image rm rich:1
}

# --- source forms and names ---------------------------------------------------

@test "OCI layout directory: named by its ref.name annotation, by NAME, or dangling" {
        local id
        # No annotation and no NAME: dangling.
        oci_single one "$TMP/noref" ""
        run containerctl image import "$TMP/noref"
        assert_status 0
        id=$(oci_blob "$OCI/L" one config | cut -d: -f2)
        [[ $(images_json | jq -c --arg id "$id" '.[] | select(.id == $id) | [.refs, .ref]') == '[[],"<none>:<none>"]' ]]
        # A bare tag is completed with the directory's name, lower-cased.
        oci_single one "$TMP/MyLayout" v1
        run containerctl image import "$TMP/MyLayout"
        assert_status 0
        [[ $(image_id_of mylayout:v1) == "$id" ]]
        # A full reference is taken as it is.
        oci_single one "$TMP/full" example.com/ns/img:2.0
        run containerctl image import "$TMP/full"
        assert_status 0
        [[ $(image_id_of example.com/ns/img:2.0) == "$id" ]]
        # NAME[:TAG] wins over the annotation.
        run containerctl image import "$TMP/MyLayout" named:7
        assert_status 0
        [[ $(image_id_of named:7) == "$id" ]]
        run containerctl image import "$TMP/MyLayout" justname
        assert_status 0
        [[ $(image_id_of justname:latest) == "$id" ]]
        [[ $(images_json | jq -c --arg id "$id" '.[] | select(.id == $id) | .refs | sort') == \
                '["example.com/ns/img:2.0","justname:latest","mylayout:v1","named:7"]' ]]
        run containerctl run --rm named:7 cat /marker
        assert_status 0
        [[ $output == one ]]
}

@test "oci-archive: imported from the tar, named from its index" {
        skopeo copy -q "oci:$OCI/L:two" "oci-archive:$TMP/MyArch.tar:rc1"
        run containerctl image import "$TMP/MyArch.tar"
        assert_status 0
        run image_refs
        assert_line_eq myarch:rc1
        run containerctl image import "$TMP/MyArch.tar" arch:x
        assert_status 0
        [[ $(image_id_of arch:x) == "$(image_id_of myarch:rc1)" ]]
        run containerctl run --rm arch:x cat /marker
        assert_status 0
        [[ $output == two ]]
        # Nothing of the extracted archive stays behind.
        [[ -z $(find "$TMP/root" -maxdepth 2 -name '.tmp*') ]]
}

@test "docker-archive: imported and run; the legacy <id>/layer.tar form too" {
        local id
        skopeo copy -q "oci:$OCI/L:two" "docker-archive:$TMP/d.tar:foo/bar:v1"
        run containerctl image import "$TMP/d.tar" dock:1
        assert_status 0
        id=$(image_id_of dock:1)
        # The id is the config's digest, as skopeo wrote the config.
        [[ $id == $(tar -xOf "$TMP/d.tar" manifest.json | jq -r '.[0].Config' | sed 's/\.json$//') ]]
        run containerctl run --rm dock:1 cat /marker
        assert_status 0
        [[ $output == two ]]
        # As `docker save` wrote it before 25.0: Layers are <id>/layer.tar
        # files.
        mkdir "$TMP/dleg"
        tar -xf "$TMP/d.tar" -C "$TMP/dleg"
        oci_tool docker-legacy "$TMP/dleg"
        grep -q '/layer.tar' "$TMP/dleg/manifest.json"
        tar -cf "$TMP/dleg.tar" -C "$TMP/dleg" .
        run containerctl image import "$TMP/dleg.tar" legacy:1
        assert_status 0
        [[ $(image_id_of legacy:1) == "$id" ]]
        rm -rf "$TMP/dleg" "$TMP/dleg.tar" "$TMP/d.tar"
}

@test "docker-archive: named from RepoTags, as docker load names them" {
        local id
        skopeo copy -q "oci:$OCI/L:two" "docker-archive:$TMP/d.tar:foo/bar:v1"
        tar -xOf "$TMP/d.tar" manifest.json | jq -e '.[0].RepoTags == ["docker.io/foo/bar:v1"]'
        run containerctl image import "$TMP/d.tar"
        assert_status 0
        run image_refs
        assert_line_eq foo/bar:v1
        id=$(image_id_of foo/bar:v1)
        # skopeo writes docker.io/library/alpine:3 for alpine:3; `docker
        # load` calls it alpine:3 again.
        skopeo copy -q "oci:$OCI/L:two" "docker-archive:$TMP/d-alpine.tar:alpine:3"
        run containerctl image import "$TMP/d-alpine.tar"
        assert_status 0
        [[ $(image_id_of alpine:3) == "$id" ]]
        rm -f "$TMP/d.tar" "$TMP/d-alpine.tar"
}

@test "--all imports every tag of a layout, bare tags completed with the dir name or NAME" {
        oci_tool multi "$OCI/L" "$TMP/multi" one two
        run containerctl image import "$TMP/multi" --all
        assert_status 0
        run image_refs
        assert_line_eq multi:one
        assert_line_eq multi:two
        [[ $(image_id_of multi:one) == "$(oci_blob "$TMP/multi" one config | cut -d: -f2)" ]]
        [[ $(image_id_of multi:two) == "$(oci_blob "$TMP/multi" two config | cut -d: -f2)" ]]
        run containerctl run --rm multi:two cat /marker
        assert_status 0
        [[ $output == two ]]
        run containerctl image import "$TMP/multi" grp --all
        assert_status 0
        [[ $(image_id_of grp:one) == "$(image_id_of multi:one)" ]]
        [[ $(image_id_of grp:two) == "$(image_id_of multi:two)" ]]
        # The raw reply lists both images.
        run oci_import_raw "$TMP/multi" "" "" true
        assert_status 0
        [[ $(grep '^result=' <<<"$output" | cut -d= -f2- | jq -c '[.images[].refs | sort]') == \
                '[["grp:one","multi:one"],["grp:two","multi:two"]]' ]]
}

@test "a layout with two tags without --all fails, names them, imports nothing" {
        oci_tool multi "$OCI/L" "$TMP/multi2" one two
        BAD_KIND=invalid_params bad_import "$TMP/multi2" 'holds 2 images \(multi2:one, multi2:two\)' 'pass --all'
        # With a NAME too.
        local before
        before=$(store_state)
        run containerctl image import "$TMP/multi2" some:1
        assert_status 125
        grep -q -- '--all' <<<"$output"
        store_is "$before"
}

@test "a nested index: the linux/<host arch> image is picked" {
        oci_tool platforms "$OCI/L" "$TMP/plat" v3 "one=$(oci_other_arch)" "two=$(oci_host_arch)"
        run containerctl image import "$TMP/plat"
        assert_status 0
        run image_refs
        assert_line_eq plat:v3
        [[ $(image_id_of plat:v3) == "$(oci_blob "$OCI/L" two config | cut -d: -f2)" ]]
        run containerctl run --rm plat:v3 cat /marker
        assert_status 0
        [[ $output == two ]]
}

# check_format TAG MARKER MEDIA_TYPE: TAG recompressed imports with its
# layers' media types, unpacks its own top layer, and runs.
check_format() {
        local tag=$1 marker=$2 mt=$3 insp want got top
        want=$(oci_tool describe "$TMP/$tag" "$tag")
        [[ $(grep -cF " $mt sha256:" <<<"$want") == 2 ]]
        run containerctl image import "$TMP/$tag" "$tag:1"
        assert_status 0
        insp=$(inspect_image "$tag:1")
        got=$(jq -r "$OCI_DESCRIBE_JQ" <<<"$insp")
        if [[ $got != "$want" ]]; then
                diff <(echo "$want") <(echo "$got")
                return 1
        fi
        # Its own top layer was really unpacked from this blob.
        top=$(jq -r '.layers[-1] | "\(.diff_id)|\(.digest)" | gsub("sha256:"; "")' <<<"$insp")
        grep -qE "layer sha256:($top): unpacking" "$TMP/daemon.log"
        run containerctl run --rm "$tag:1" cat /marker
        assert_status 0
        [[ $output == "$marker" ]]
}

@test "tar+zstd layers" {
        oci_single fz "$TMP/fz"
        oci_tool recompress "$TMP/fz" fz zstd
        check_format fz zstd application/vnd.oci.image.layer.v1.tar+zstd
}

@test "plain uncompressed tar layers" {
        oci_single fplain "$TMP/fplain"
        oci_tool recompress "$TMP/fplain" fplain none
        check_format fplain plain application/vnd.oci.image.layer.v1.tar
}

# --- the shared layer store and prune -----------------------------------------

@test "a layer shared by two images is unpacked once, kept while used, pruned after" {
        local a b da db used gone hex n r size
        # Start from a store without unused layers.
        prune_raw >/dev/null
        oci_single share1 "$TMP/s1"
        oci_single share2 "$TMP/s2"
        run oci_import_raw "$TMP/s1" share-a 1
        echo "$output"
        assert_status 0
        a=$output
        # Its own layer (2 of 2) was unpacked, with progress up to its size.
        [[ $(grep -v '^result=' <<<"$a" | jq -s -c 'map(select(.layer == 2) | .status) | unique') == '["done","unpacking"]' ]]
        size=$(oci_tool size "$TMP/s1" share1 1)
        [[ $(grep -v '^result=' <<<"$a" | jq -s -c 'map(select(.layer == 2 and .status == "done")) | last | [.bytes, .total, .digest]') == \
                "[$size,$size,\"$(oci_blob "$TMP/s1" share1 1)\"]" ]]
        [[ $(grep -v '^result=' <<<"$a" | jq -s -c 'map([.image, .images, .layers]) | unique') == '[[1,1,2]]' ]]
        [[ $(grep '^result=' <<<"$a" | cut -d= -f2- | jq -c '[.refs, .layers]') == '[["share-a:1"],2]' ]]

        run oci_import_raw "$TMP/s2" share-b 1
        echo "$output"
        assert_status 0
        b=$output
        # The two layers share-a brought are there already; only the top one
        # is unpacked.
        [[ $(grep -v '^result=' <<<"$b" | jq -s -c 'map(select(.layer <= 2) | [.layer, .status]) | unique') == '[[1,"exists"],[2,"exists"]]' ]]
        [[ $(grep -v '^result=' <<<"$b" | jq -s -c 'map(select(.layer == 3) | .status) | unique') == '["done","unpacking"]' ]]
        [[ $(grep -v '^result=' <<<"$b" | jq -s -c 'map(select(.layer != null) | [.layer, .digest]) | unique | map(.[1])') == \
                "[\"$(oci_blob "$TMP/s2" share2 0)\",\"$(oci_blob "$TMP/s2" share2 1)\",\"$(oci_blob "$TMP/s2" share2 2)\"]" ]]
        # The daemon unpacked the shared layer once.
        hex=$(inspect_image share-a:1 | jq -r '.layers[1] | "\(.diff_id)|\(.digest)" | gsub("sha256:"; "")')
        [[ $(grep -cE "layer sha256:($hex): unpacking" "$TMP/daemon.log") == 1 ]]

        da=$(inspect_image share-a:1 | jq -c '[.layers[].dir]')
        db=$(inspect_image share-b:1 | jq -c '[.layers[].dir]')
        [[ $(jq -c '.[:2]' <<<"$db") == "$da" ]]

        # Removing one keeps the other whole.
        run containerctl image rm share-a:1
        assert_status 0
        run containerctl run --rm share-b:1 cat /share/marker /share/top
        assert_status 0
        [[ $output == $'share\ntop' ]]
        # Prune removes nothing still used.
        run prune_raw
        echo "$output"
        [[ $(jq -c '[.images_deleted, .layers_deleted]' <<<"$output") == '[[],0]' ]]
        for d in $(jq -r '.[]' <<<"$db"); do
                [[ -d $d ]]
        done
        run containerctl run --rm share-b:1 cat /share/top
        assert_status 0
        [[ $output == top ]]

        # Without images, prune removes the layers (all three: no other image
        # has them) and says how much it freed.
        used=$(dirs_used_by_others share-b:1)
        gone=$(jq -r '.[]' <<<"$db" | grep -vxF -f <(echo "$used") || true)
        n=$(wc -l <<<"$gone")
        [[ $n == 3 ]]
        run containerctl image rm share-b:1
        assert_status 0
        run prune_raw
        echo "$output"
        r=$output
        [[ $(jq -c '[.images_deleted, .layers_deleted]' <<<"$r") == "[[],$n]" ]]
        (($(jq .space_reclaimed <<<"$r") > 0))
        for d in $gone; do
                [[ ! -e $d ]]
                [[ ! -e ${d%/diff} ]]
        done
        # And the CLI's prune has nothing left to do.
        run containerctl image prune
        assert_status 0
        [[ $(prune_raw | jq -c '[.images_deleted, .layers_deleted, .space_reclaimed]') == '[[],0,0]' ]]
}

@test "concurrent imports of two images sharing a new layer unpack it once" {
        local p1 p2 hex st
        # A layer of a few hundred files, new to the store, under two images.
        oci_python - "$TMP/cbig" <<'PY'
import os, sys
for i in range(20):
        os.makedirs("%s/many/d%d" % (sys.argv[1], i))
        for j in range(20):
                with open("%s/many/d%d/f%d" % (sys.argv[1], i, j), "w") as f:
                        f.write("%d %d\n" % (i, j))
PY
        oci_tool add-layer "$OCI/L" base cbig "$TMP/cbig"
        rm -rf "$TMP/cbig"
        oci_marker cbig conc1 marker c1
        oci_marker cbig conc2 marker c2
        oci_single conc1 "$TMP/conc1"
        oci_single conc2 "$TMP/conc2"
        [[ $(oci_blob "$TMP/conc1" conc1 1) == "$(oci_blob "$TMP/conc2" conc2 1)" ]]
        oci_import_raw "$TMP/conc1" conc1 1 >"$TMP/conc1.out" &
        p1=$!
        oci_import_raw "$TMP/conc2" conc2 1 >"$TMP/conc2.out" &
        p2=$!
        wait "$p1"
        wait "$p2"
        cat "$TMP/conc1.out" "$TMP/conc2.out"
        hex=$(inspect_image conc1:1 | jq -r '.layers[1] | "\(.diff_id)|\(.digest)" | gsub("sha256:"; "")')
        [[ $(grep -cE "layer sha256:($hex): unpacking" "$TMP/daemon.log") == 1 ]]
        # One import unpacked it; the other waited for it or found it there.
        st=$(for f in "$TMP/conc1.out" "$TMP/conc2.out"; do
                grep -v '^result=' "$f" | jq -s -c 'map(select(.layer == 2) | .status)'
        done | sort)
        echo "layer 2 statuses: $st"
        grep -qx '\["unpacking",\("unpacking",\)*"done"\]' <<<"$st"
        grep -qx '\[\("waiting",\)*"exists"\]' <<<"$st"
        [[ $(inspect_image conc1:1 | jq -r '.layers[1].dir') == "$(inspect_image conc2:1 | jq -r '.layers[1].dir')" ]]
        run containerctl run --rm conc2:1 cat /marker /many/d3/f4
        assert_status 0
        [[ $output == $'c2\n3 4' ]]
}

@test "image rm refuses while a container uses the image; -f removes it; prune keeps the container's layers" {
        local id dirs d n r
        prune_raw >/dev/null
        oci_single share2 "$TMP/s2"
        containerctl image import "$TMP/s2" inuse:1 >/dev/null
        id=$(image_id_of inuse:1)
        dirs=$(inspect_image inuse:1 | jq -r '.layers[].dir')
        containerctl create --name inuse-c inuse:1 cat /share/marker /share/top >/dev/null
        run containerctl image rm inuse:1
        assert_error
        printf '{"jsonrpc":"2.0","id":1,"method":"image.remove","params":{"image":"inuse:1"}}\n' |
                rpc | jq -e '.error.data.kind == "conflict"'
        run image_refs
        assert_line_eq inuse:1
        run containerctl image rm -f inuse:1
        assert_status 0
        assert_line_eq "Deleted: $id"
        # The container's overlay still needs every layer.
        run prune_raw
        echo "$output"
        [[ $(jq -c '[.images_deleted, .layers_deleted]' <<<"$output") == '[[],0]' ]]
        for d in $dirs; do
                [[ -d $d ]]
        done
        run containerctl start -a inuse-c
        assert_status 0
        [[ $output == $'share\ntop' ]]
        run containerctl rm inuse-c
        assert_status 0
        n=$(grep -cvxF -f <(dirs_used_by_others none) <<<"$dirs" || true)
        [[ $n == 3 ]]
        run prune_raw
        echo "$output"
        r=$output
        [[ $(jq -c '[.images_deleted, .layers_deleted]' <<<"$r") == "[[],$n]" ]]
        (($(jq .space_reclaimed <<<"$r") > 0))
        for d in $dirs; do
                [[ ! -e $d ]]
        done
}

@test "prune removes dangling images no container uses, not named ones" {
        local id
        prune_raw >/dev/null
        oci_single one "$TMP/dangling" ""
        containerctl image import "$TMP/dangling" >/dev/null
        id=$(oci_blob "$OCI/L" one config | cut -d: -f2)
        [[ $(images_json | jq -c --arg id "$id" '.[] | select(.id == $id) | .refs') == '[]' ]]
        oci_single two "$TMP/named" v1
        containerctl image import "$TMP/named" >/dev/null
        run prune_raw
        echo "$output"
        [[ $(jq -c '.images_deleted' <<<"$output") == "[\"$id\"]" || $(jq -c '.images_deleted' <<<"$output") == "[\"sha256:$id\"]" ]]
        # Its own layer (/marker one) went with it; the shared base stays
        # for named:v1.
        [[ $(jq -c '.layers_deleted' <<<"$output") == 1 ]]
        run image_refs
        assert_line_eq named:v1
        run containerctl run --rm named:v1 cat /marker
        assert_status 0
        [[ $output == two ]]
}

# --- the image config, applied at create --------------------------------------

@test "Entrypoint and Cmd: defaults, args replace Cmd, --entrypoint replaces both, \"\" clears" {
        oci_single ep "$TMP/ep"
        containerctl image import "$TMP/ep" ep:1 >/dev/null
        run containerctl run --rm ep:1
        assert_status 0
        [[ $output == "ep c1 c 2" ]]
        run containerctl run --rm ep:1 x y
        assert_status 0
        [[ $output == "ep x y" ]]
        # --entrypoint drops the image's Cmd (echo with no arguments).
        run containerctl run --rm --entrypoint /bin/echo ep:1
        assert_status 0
        [[ $output == "" ]]
        run containerctl run --rm --entrypoint /bin/echo ep:1 a b
        assert_status 0
        [[ $output == "a b" ]]
        run containerctl run --rm --entrypoint "" ep:1 /bin/echo cleared
        assert_status 0
        [[ $output == cleared ]]
        # Cleared and no command: nothing to run.
        run containerctl run --rm --entrypoint "" ep:1
        assert_status 125
}

@test "Env: image variables, overridden and extended by -e, PATH from the image" {
        oci_single cfg "$TMP/cfg"
        containerctl image import "$TMP/cfg" cfg:1 >/dev/null
        run containerctl run --rm -e FOO=cli -e NEW=2 cfg:1 env
        assert_status 0
        assert_line_eq FOO=cli
        assert_line_eq NEW=2
        assert_line_eq KEEP=1
        assert_line_eq PATH=/custom/bin:/usr/bin:/bin
        [[ $(grep -c '^FOO=' <<<"$output") == 1 ]]
        run containerctl run --rm cfg:1 env
        assert_status 0
        assert_line_eq FOO=image
        not grep -q '^NEW=' <<<"$output"
}

@test "WorkingDir: the image's, or -w" {
        oci_single cfg "$TMP/cfg"
        containerctl image import "$TMP/cfg" cfg:1 >/dev/null
        run containerctl run --rm cfg:1 pwd
        assert_status 0
        [[ $output == /work/dir ]]
        run containerctl run --rm -w /tmp cfg:1 pwd
        assert_status 0
        [[ $output == /tmp ]]
}

@test "User: a name resolved in the image's /etc/passwd, uid:gid, or -u" {
        oci_single cfg "$TMP/cfg"
        oci_single uid "$TMP/uid"
        containerctl image import "$TMP/cfg" cfg:1 >/dev/null
        containerctl image import "$TMP/uid" uid:1 >/dev/null
        run containerctl run --rm cfg:1 sh -c 'echo $(id -u):$(id -g)'
        assert_status 0
        [[ $output == 1234:5678 ]]
        run containerctl run --rm uid:1 sh -c 'echo $(id -u):$(id -g)'
        assert_status 0
        [[ $output == 2345:3456 ]]
        run containerctl run --rm -u 0 cfg:1 sh -c 'echo $(id -u):$(id -g)'
        assert_status 0
        [[ $output == 0:0 ]]
        # The image's user can write its own working directory.
        run containerctl run --rm cfg:1 sh -c 'echo hi >f && cat f'
        assert_status 0
        [[ $output == hi ]]
}

@test "Labels: the image's in container inspect, merged with -l" {
        oci_single cfg "$TMP/cfg"
        containerctl image import "$TMP/cfg" cfg:1 >/dev/null
        containerctl create --name lab1 cfg:1 true >/dev/null
        [[ $(inspect_field lab1 '(.labels // .config.labels) | tojson' | jq -S -c .) == '{"org.example.a":"img","shared":"image"}' ]]
        containerctl create --name lab2 -l shared=cli -l new=x cfg:1 true >/dev/null
        [[ $(inspect_field lab2 '(.labels // .config.labels) | tojson' | jq -S -c .) == '{"new":"x","org.example.a":"img","shared":"cli"}' ]]
        containerctl rm lab1 lab2 >/dev/null
}

# A shell that reports the signal that stops it.
SIG_SCRIPT='trap "echo got-usr1; exit 7" USR1; trap "echo got-term; exit 8" TERM; echo ready; while :; do sleep 0.1; done'

@test "StopSignal: the image's SIGUSR1 stops the container; --stop-signal overrides" {
        oci_single cfg "$TMP/cfg"
        containerctl image import "$TMP/cfg" cfg:1 >/dev/null
        containerctl run -d --name sig1 cfg:1 sh -c "$SIG_SCRIPT" >/dev/null
        [[ $(inspect_field sig1 '.stop_signal // .config.stop_signal') == SIGUSR1 ]]
        wait_until 10 bash -c 'containerctl logs sig1 | grep -qx ready'
        run containerctl stop -t 10 sig1
        assert_status 0
        [[ $(containerctl logs sig1) == $'ready\ngot-usr1' ]]
        [[ $(inspect_field sig1 '.state.exit_code // .exit_code') == 7 ]]

        containerctl run -d --name sig2 --stop-signal TERM cfg:1 sh -c "$SIG_SCRIPT" >/dev/null
        [[ $(inspect_field sig2 '.stop_signal // .config.stop_signal') == SIGTERM ]]
        wait_until 10 bash -c 'containerctl logs sig2 | grep -qx ready'
        run containerctl stop -t 10 sig2
        assert_status 0
        [[ $(containerctl logs sig2) == $'ready\ngot-term' ]]
        [[ $(inspect_field sig2 '.state.exit_code // .exit_code') == 8 ]]

        # An image without StopSignal: SIGTERM.
        containerctl create --name sig3 busybox:latest true >/dev/null
        [[ $(inspect_field sig3 '.stop_signal // .config.stop_signal') == SIGTERM ]]
        containerctl rm -f sig1 sig2 sig3 >/dev/null
}

# --- bad sources: fail naming the problem, change nothing -----------------------

@test "bad: a layer blob whose digest does not match" {
        local d got
        oci_single bad "$TMP/b1"
        oci_tool corrupt "$TMP/b1" bad layer-gzip-mtime
        d=$(oci_blob "$TMP/b1" bad 1)
        got=$(sha_of "$TMP/b1/blobs/sha256/${d#sha256:}")
        BAD_KIND=invalid_params bad_import "$TMP/b1" 'digest mismatch' "${d#sha256:}" "$got"
}

@test "bad: a layer blob corrupted inside its compressed data" {
        local d h f
        oci_single bad "$TMP/b2"
        d=$(oci_blob "$TMP/b2" bad 1)
        h=${d#sha256:}
        f=$TMP/b2/blobs/sha256/$h
        # A copy: the blob is a hardlink of the one in $OCI/L.
        cp "$f" "$f.new"
        printf '\xff\xff\xff\xff' | dd of="$f.new" bs=1 seek=$(($(stat -c %s "$f") / 2)) conv=notrunc status=none
        mv "$f.new" "$f"
        bad_import "$TMP/b2" "${h:0:12}"
}

@test "bad: a manifest whose digest does not match" {
        local d
        oci_single bad "$TMP/b3"
        oci_tool corrupt "$TMP/b3" bad manifest
        d=$(oci_blob "$TMP/b3" bad manifest)
        BAD_KIND=invalid_params bad_import "$TMP/b3" 'digest mismatch' "${d#sha256:}" "$(sha_of "$TMP/b3/blobs/sha256/${d#sha256:}")"
}

@test "bad: a config whose digest does not match" {
        local d
        oci_single bad "$TMP/b4"
        oci_tool corrupt "$TMP/b4" bad config
        d=$(oci_blob "$TMP/b4" bad config)
        BAD_KIND=invalid_params bad_import "$TMP/b4" 'digest mismatch' "${d#sha256:}" "$(sha_of "$TMP/b4/blobs/sha256/${d#sha256:}")"
}

@test "bad: a truncated layer blob" {
        local n
        oci_single bad "$TMP/b5"
        n=$(oci_tool size "$TMP/b5" bad 1)
        oci_tool corrupt "$TMP/b5" bad layer-truncate
        bad_import "$TMP/b5" "layer 2: size mismatch: descriptor says $n bytes, blob has $((n / 2))"
}

@test "bad: a missing layer blob" {
        local d
        oci_single bad "$TMP/b6"
        d=$(oci_blob "$TMP/b6" bad 1)
        rm "$TMP/b6/blobs/sha256/${d#sha256:}"
        bad_import "$TMP/b6" "layer 2: .*${d#sha256:}.* (is missing|No such file)"
}

@test "bad: an unknown layer media type" {
        oci_single bad "$TMP/b7"
        oci_tool media-type "$TMP/b7" bad 1 application/vnd.example.layer.v1.tar+lzma
        bad_import "$TMP/b7" 'unknown media type' 'application/vnd\.example\.layer\.v1\.tar\+lzma'
}

@test "bad: an index with no image for this platform" {
        oci_tool platforms "$OCI/L" "$TMP/b8" v1 "bad=$(oci_other_arch)"
        bad_import "$TMP/b8" "no image for linux/$(oci_host_arch)" "linux/$(oci_other_arch)"
}

@test "bad: a config whose diff_id does not match the layer" {
        local d real
        oci_single bad "$TMP/b9"
        real=$(jq -r '.rootfs.diff_ids[1]' "$TMP/b9/blobs/sha256/$(oci_blob "$TMP/b9" bad config | cut -d: -f2)")
        oci_tool diff-id "$TMP/b9" bad 1 "$(printf '%064d' 0)"
        # Everything else is consistent: the layer blob is the right one.
        d=$(oci_blob "$TMP/b9" bad 1)
        [[ $(sha_of "$TMP/b9/blobs/sha256/${d#sha256:}") == "${d#sha256:}" ]]
        bad_import "$TMP/b9" 'mismatch' "$(printf '%064d' 0)" "${real#sha256:}"
}

@test "bad: a docker-archive with a corrupted layer" {
        local top real
        skopeo copy -q "oci:$OCI/L:bad" "docker-archive:$TMP/dbad.tar:bad/img:1"
        mkdir "$TMP/dbad"
        tar -xf "$TMP/dbad.tar" -C "$TMP/dbad"
        top=$(jq -r '.[0].Layers[-1]' "$TMP/dbad/manifest.json")
        real=$(sha_of "$TMP/dbad/$top")
        oci_tool tar-flip "$TMP/dbad/$top"
        tar -cf "$TMP/dbad2.tar" -C "$TMP/dbad" .
        bad_import "$TMP/dbad2.tar" 'mismatch' "$real"
}

@test "bad: a path that does not exist, a directory that is no image, a relative path" {
        BAD_KIND=invalid_params bad_import "$TMP/does-not-exist" 'does-not-exist' 'No such file'
        mkdir -p "$TMP/notlayout/sub"
        echo hi >"$TMP/notlayout/file"
        bad_import "$TMP/notlayout" 'notlayout'
        # Relative paths are refused by the API itself.
        printf '{"jsonrpc":"2.0","id":1,"method":"image.import","params":{"path":"relative/dir"}}\n' |
                rpc --timeout 20 | jq -e '.error.data.kind == "invalid_params"'
}
