#!/usr/bin/env bats
# Images: import of plain and compressed rootfs tarballs, list, rm, rm of an
# image in use, several names per image (untag vs delete), and bad imports
# that must change nothing.

load helpers

# Every name of every image, one per line ("<none>:<none>" for a dangling one).
image_refs() {
        containerctl image list --json |
                jq -r '(if type == "array" then . else .images end)[] |
                       (.refs // ["\(.name):\(.tag)"]) | if length == 0 then ["<none>:<none>"] else . end | .[]' |
                sort
}

# The full id of the image holding ref $1.
image_id_of() {
        containerctl image list --json |
                jq -r --arg r "$1" '(if type == "array" then . else .images end)[] | select(.refs | index($r)) | .id'
}

# A copy of the test image with its own content ($1 goes into /marker), so
# it gets its own id.
distinct_tar() {
        mkdir -p "$TMP/mk-$1"
        echo "$1" >"$TMP/mk-$1/marker"
        cp "$CTL_IMAGE_TAR" "$TMP/distinct-$1.tar"
        tar --append -f "$TMP/distinct-$1.tar" -C "$TMP/mk-$1" --owner=0 --group=0 ./marker
        echo "$TMP/distinct-$1.tar"
}

# The error kind of image.remove of $1 over the raw API.
remove_kind() {
        printf '{"jsonrpc":"2.0","id":1,"method":"image.remove","params":{"image":"%s"}}\n' "$1" |
                rpc | jq -r '.error.data.kind // "none"'
}

@test "busybox:latest imported by setup is listed" {
        run image_refs
        assert_status 0
        assert_line_eq "busybox:latest"
}

@test "import .tar, .tar.gz, .tar.xz, .tar.zst and run from each" {
        # Distinct content per format (a marker file), so each is its own image.
        local ext
        mkdir -p "$TMP/marker"
        for ext in tar tar.gz tar.xz tar.zst; do
                cp "$CTL_IMAGE_TAR" "$TMP/img-$ext"
                echo "$ext" >"$TMP/marker/format"
                tar --append -f "$TMP/img-$ext" -C "$TMP/marker" --owner=0 --group=0 ./format
        done
        cp "$TMP/img-tar" "$TMP/img.tar"
        gzip -c "$TMP/img-tar.gz" >"$TMP/img.tar.gz"
        xz -T1 -0 -c "$TMP/img-tar.xz" >"$TMP/img.tar.xz"
        zstd -q -c "$TMP/img-tar.zst" >"$TMP/img.tar.zst"
        for ext in tar tar.gz tar.xz tar.zst; do
                run containerctl image import "$TMP/img.$ext" "fmt:${ext//./-}"
                assert_status 0
        done
        run image_refs
        for ext in tar tar.gz tar.xz tar.zst; do
                assert_line_eq "fmt:${ext//./-}"
        done
        for ext in tar tar.gz tar.xz tar.zst; do
                run containerctl run --rm "fmt:${ext//./-}" cat /format
                assert_status 0
                [[ $output == "$ext" ]]
        done
        for ext in tar tar.gz tar.xz tar.zst; do
                run containerctl image rm "fmt:${ext//./-}"
                assert_status 0
        done
        run image_refs
        not grep -q '^fmt:' <<<"$output"
}

@test "the same content imported under a second name keeps the first name" {
        local refs_both refs_after
        containerctl image import "$CTL_IMAGE_TAR" second:1 >/dev/null
        refs_both=$(image_refs)
        containerctl image rm second:1 >/dev/null || true
        refs_after=$(image_refs)
        # Restore before asserting, so later tests have busybox:latest.
        containerctl image import "$CTL_IMAGE_TAR" busybox:latest >/dev/null
        echo "after import of second:1: $refs_both"
        echo "after rm of second:1: $refs_after"
        grep -qx busybox:latest <<<"$refs_both"
        grep -qx second:1 <<<"$refs_both"
        grep -qx busybox:latest <<<"$refs_after"
        not grep -qx second:1 <<<"$refs_after"
}

@test "image list, ls, images, -q and inspect agree" {
        run containerctl image list
        assert_status 0
        grep -q busybox <<<"$output"
        run containerctl image ls
        assert_status 0
        grep -q busybox <<<"$output"
        run containerctl images
        assert_status 0
        grep -q busybox <<<"$output"
        local id
        id=$(containerctl image list --json | jq -r '(if type == "array" then . else .images end)[] | select(.name == "busybox") | .id')
        [[ $id =~ ^(sha256:)?[0-9a-f]{64}$ ]]
        run containerctl image list -q
        assert_status 0
        grep -q "${id#sha256:}" <<<"${output#sha256:}" || grep -q "${id:0:12}" <<<"$output"
        run containerctl image inspect busybox
        assert_status 0
        [[ $(jq -r 'if type == "array" then .[0] else . end | .name' <<<"$output") == busybox ]]
}

@test "image rm removes; rm of an unknown image fails" {
        local id
        containerctl image import "$(distinct_tar gone)" gone:1 >/dev/null
        id=$(image_id_of gone:1)
        run containerctl image rm gone:1
        assert_status 0
        assert_line_eq "Deleted: $id"
        run image_refs
        not grep -qx 'gone:1' <<<"$output"
        run containerctl image rm gone:1
        [[ $status -ne 0 ]]
        grep -qi 'not found\|no such' <<<"$output"
}

@test "image rm of an image in use is refused until the container is gone" {
        # Own content: inuse:1 is the image's only name.
        containerctl image import "$(distinct_tar inuse)" inuse:1 >/dev/null
        containerctl create --name inuse-c inuse:1 true >/dev/null
        run containerctl image rm inuse:1
        assert_error
        [[ $(remove_kind inuse:1) == conflict ]]
        run image_refs
        assert_line_eq "inuse:1"
        containerctl rm inuse-c >/dev/null
        run containerctl image rm inuse:1
        assert_status 0
}

@test "import of a non-tar file fails clearly and adds nothing" {
        local before
        before=$(image_refs)
        head -c 4096 /dev/urandom >"$TMP/junk.tar"
        run containerctl image import "$TMP/junk.tar" junk:1
        [[ $status -ne 0 ]]
        [[ -n $output ]]
        [[ $(image_refs) == "$before" ]]
        # No half-unpacked layer directories left behind either.
        run containerctl run --rm junk:1 true
        [[ $status -ne 0 ]]
}

@test "import of a missing file names the file and adds nothing" {
        local before
        before=$(image_refs)
        run containerctl image import "$TMP/does-not-exist.tar" missing:1
        [[ $status -ne 0 ]]
        grep -qF "does-not-exist.tar" <<<"$output"
        [[ $(image_refs) == "$before" ]]
}

@test "image list shows one row per name and --json each image once with its refs" {
        containerctl image import "$CTL_IMAGE_TAR" alias:1 >/dev/null
        run containerctl image list
        assert_status 0
        grep -Eq '^busybox +latest ' <<<"$output"
        grep -Eq '^alias +1 ' <<<"$output"
        run containerctl image list --json
        assert_status 0
        local id
        id=$(image_id_of busybox:latest)
        [[ $(jq --arg id "$id" '[.[] | select(.id == $id)] | length' <<<"$output") == 1 ]]
        [[ $(jq -c --arg id "$id" '.[] | select(.id == $id) | .refs' <<<"$output") == '["busybox:latest","alias:1"]' ]]
        [[ $(jq -r --arg id "$id" '.[] | select(.id == $id) | "\(.name) \(.tag) \(.ref)"' <<<"$output") == "busybox latest busybox:latest" ]]
        [[ $(containerctl image list -q | grep -c "^${id:0:12}$") == 2 ]]
        containerctl image rm alias:1 >/dev/null
}

@test "image rm of one of several names only untags; of the last name deletes" {
        local tar id
        tar=$(distinct_tar untag)
        containerctl image import "$tar" multi:1 >/dev/null
        containerctl image import "$tar" multi:2 >/dev/null
        id=$(image_id_of multi:1)
        [[ $id == $(image_id_of multi:2) ]]
        run containerctl image rm multi:1
        assert_status 0
        [[ $output == "Untagged: multi:1" ]]
        run image_refs
        not grep -qx multi:1 <<<"$output"
        assert_line_eq multi:2
        run containerctl run --rm multi:2 cat /marker
        assert_status 0
        [[ $output == untag ]]
        run containerctl image rm multi:2
        assert_status 0
        assert_line_eq "Untagged: multi:2"
        assert_line_eq "Deleted: $id"
        run containerctl image inspect "$id"
        [[ $status -ne 0 ]]
        [[ ! -e $TMP/root/images/$id ]]
}

@test "image rm by id of an image with several names: conflict unless forced" {
        local tar id
        tar=$(distinct_tar byid)
        containerctl image import "$tar" byid:1 >/dev/null
        containerctl image import "$tar" byid:2 >/dev/null
        id=$(image_id_of byid:1)
        run containerctl image rm "${id:0:12}"
        assert_error
        [[ $(remove_kind "$id") == conflict ]]
        run image_refs
        assert_line_eq byid:1
        assert_line_eq byid:2
        run containerctl image rm -f "${id:0:12}"
        assert_status 0
        assert_line_eq "Untagged: byid:1"
        assert_line_eq "Untagged: byid:2"
        assert_line_eq "Deleted: $id"
        run image_refs
        not grep -q '^byid:' <<<"$output"
}

@test "a name moved to other content leaves the old image dangling" {
        local old new
        containerctl image import "$(distinct_tar move-a)" moving:1 >/dev/null
        old=$(image_id_of moving:1)
        containerctl image import "$(distinct_tar move-b)" moving:1 >/dev/null
        new=$(image_id_of moving:1)
        [[ $old != "$new" ]]
        run containerctl image list --json
        [[ $(jq -c --arg id "$old" '.[] | select(.id == $id) | [.refs, .ref]' <<<"$output") == '[[],"<none>:<none>"]' ]]
        run containerctl image list
        grep -Eq "^<none> +<none> +${old:0:12} " <<<"$output"
        run containerctl image rm "$old"
        assert_status 0
        [[ $output == "Deleted: $old" ]]
        containerctl image rm moving:1 >/dev/null
}

@test "image rm of an image with several names used by a container" {
        local tar id
        tar=$(distinct_tar used)
        containerctl image import "$tar" used:1 >/dev/null
        containerctl image import "$tar" used:2 >/dev/null
        id=$(image_id_of used:1)
        containerctl create --name used-c used:1 cat /marker >/dev/null
        # Untagging is allowed while a container uses the image.
        run containerctl image rm used:1
        assert_status 0
        [[ $output == "Untagged: used:1" ]]
        # The last name and the id are refused: a container uses the image.
        run containerctl image rm used:2
        assert_error
        [[ $(remove_kind used:2) == conflict ]]
        [[ $(remove_kind "$id") == conflict ]]
        run image_refs
        assert_line_eq used:2
        run containerctl start -a used-c
        assert_status 0
        [[ $output == used ]]
        containerctl rm used-c >/dev/null
        run containerctl image rm used:2
        assert_status 0
        assert_line_eq "Deleted: $id"
}

@test "image rm -f deletes an image a container uses" {
        local id
        containerctl image import "$(distinct_tar forced)" forced:1 >/dev/null
        id=$(image_id_of forced:1)
        containerctl create --name forced-c forced:1 true >/dev/null
        run containerctl image rm forced:1
        assert_error
        run containerctl image rm -f forced:1
        assert_status 0
        assert_line_eq "Deleted: $id"
        run containerctl rm forced-c
        assert_status 0
}

@test "names survive a daemon restart" {
        local tar id
        tar=$(distinct_tar restart)
        containerctl image import "$tar" keep:1 >/dev/null
        containerctl image import "$tar" keep:2 >/dev/null
        id=$(image_id_of keep:1)
        ctl_daemon_stop
        ctl_daemon_start
        run containerctl image list --json
        [[ $(jq -c --arg id "$id" '.[] | select(.id == $id) | .refs' <<<"$output") == '["keep:1","keep:2"]' ]]
        containerctl image rm keep:1 keep:2 >/dev/null
}
