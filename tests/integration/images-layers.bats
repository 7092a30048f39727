#!/usr/bin/env bats
# Deep images: more layers than fit one page of overlay mount options as
# absolute paths (the runtime then uses fsconfig "lowerdir+" or relative
# paths), the top-most layer winning, and a user name resolved from an
# etc/passwd that only an upper layer has.

load helpers

setup_file() {
        ctl_setup_file
        python3 "$BATS_TEST_DIRNAME/mklayers.py" "$CTL_IMAGE_TAR" "$TMP/deep" 80 v1
        containerctl image import "$TMP/deep" deep:80 >/dev/null
}

@test "an 81-layer image runs with every layer visible, the top one winning" {
        run containerctl image inspect deep:80
        assert_status 0
        [[ $(jq '.[0].layers // .layers | length' <<<"$output") == 81 ]]
        # The overlay option string would not fit a page as absolute paths.
        local lower
        lower=$(containerctl image inspect deep:80 | jq -r '(.[0] // .).layers | map(.dir) | reverse | join(":")')
        ((${#lower} > 4096))

        run containerctl run --rm deep:80
        assert_status 0
        assert_line_eq 80
        run containerctl run --rm deep:80 sh -c 'ls /layers | wc -l; cat /layers/1 /layers/80'
        assert_status 0
        [[ ${lines[0]// /} == 80 && ${lines[1]} == 1 && ${lines[2]} == 80 ]]
}

@test "a user name is resolved in the passwd of an upper layer" {
        run containerctl run --rm -u deep deep:80 id -u
        assert_status 0
        assert_line_eq 4321
        run containerctl run --rm -u deep deep:80 id -g
        assert_line_eq 4322
        # Not in the base layer's passwd: busybox alone does not know it.
        run containerctl run --rm -u deep busybox true
        ((status != 0))
        [[ $output == *"user 'deep' not found"* ]]
}
