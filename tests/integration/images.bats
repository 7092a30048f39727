#!/usr/bin/env bats
# Images: import of plain and compressed rootfs tarballs, list, rm, rm of an
# image in use, and bad imports that must change nothing.

load helpers

image_refs() {
        containerctl image list --json |
                jq -r '(if type == "array" then . else .images end)[] | "\(.name):\(.tag)"' | sort
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
        containerctl image import "$CTL_IMAGE_TAR" gone:1 >/dev/null
        run containerctl image rm gone:1
        assert_status 0
        run image_refs
        not grep -qx 'gone:1' <<<"$output"
        run containerctl image rm gone:1
        [[ $status -ne 0 ]]
        grep -qi 'not found\|no such' <<<"$output"
}

@test "image rm of an image in use is refused until the container is gone" {
        containerctl image import "$CTL_IMAGE_TAR" inuse:1 >/dev/null
        containerctl create --name inuse-c inuse:1 true >/dev/null
        run containerctl image rm inuse:1
        [[ $status -ne 0 ]]
        [[ -n $output ]]
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
