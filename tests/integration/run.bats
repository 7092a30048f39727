#!/usr/bin/env bats
# `containerctl run`: output, exit codes (own, 126, 127), -e -w -u --hostname
# -v (ro and rw), --rm (gone when run returns) and -d.

bats_require_minimum_version 1.5.0
load helpers

@test "echo hello prints hello and exits 0" {
        run containerctl run --rm busybox echo hello
        assert_status 0
        [[ $output == hello ]]
}

@test "the container's exit code is returned" {
        run containerctl run --rm busybox sh -c 'exit 7'
        assert_status 7
        run containerctl run --rm busybox /probe exit 42
        assert_status 42
}

@test "missing command gives 127" {
        run -127 containerctl run --rm busybox /no/such/command
        [[ -n $output ]]
}

@test "non-executable file gives 126" {
        run -126 containerctl run --rm busybox /noexec
        [[ -n $output ]]
}

@test "-e sets environment variables" {
        run containerctl run --rm -e FOO=bar -e "SPACED=a b" busybox /probe env
        assert_status 0
        assert_line_eq "env=FOO=bar"
        assert_line_eq "env=SPACED=a b"
}

@test "-w sets the working directory" {
        run containerctl run --rm -w /tmp busybox /probe cwd
        assert_status 0
        assert_line_eq "cwd=/tmp"
}

@test "-u sets uid and gid" {
        run containerctl run --rm -u 65534:65534 busybox /probe ids
        assert_status 0
        assert_line_eq "uid=65534"
        assert_line_eq "gid=65534"
        run containerctl run --rm -u 1234 busybox /probe ids
        assert_status 0
        assert_line_eq "uid=1234"
}

@test "--hostname sets the hostname" {
        run containerctl run --rm --hostname probe-host busybox /probe hostname
        assert_status 0
        assert_line_eq "hostname=probe-host"
}

@test "-v bind mounts read-write" {
        mkdir -p "$TMP/vol-rw"
        echo from-host >"$TMP/vol-rw/in"
        run containerctl run --rm -v "$TMP/vol-rw:/data" busybox sh -c 'cat /data/in && /probe write-test /data/out'
        assert_status 0
        assert_line_eq "from-host"
        assert_line_eq "write=ok"
        [[ $(cat "$TMP/vol-rw/out") == probe ]]
}

@test "-v with :ro is read-only" {
        mkdir -p "$TMP/vol-ro"
        echo from-host >"$TMP/vol-ro/in"
        run containerctl run --rm -v "$TMP/vol-ro:/data:ro" busybox sh -c 'cat /data/in; /probe write-test /data/out'
        assert_status 1
        assert_line_eq "from-host"
        assert_line_eq "write=EROFS"
        [[ ! -e $TMP/vol-ro/out ]]
}

@test "--rm removes the container before run returns" {
        run containerctl run --rm --name rm-me busybox true
        assert_status 0
        # As with Docker, the name is free again as soon as run returns.
        run containerctl run --rm --name rm-me busybox true
        assert_status 0
        run containerctl ps -a
        not grep -q rm-me <<<"$output"
        run containerctl inspect rm-me
        [[ $status -ne 0 ]]
}

@test "--rm leaves nothing in ps -a when run returns, 5 times with one name" {
        local i
        for i in 1 2 3 4 5; do
                run containerctl run --rm --name rm-loop busybox sh -c 'exit 3'
                assert_status 3
                run containerctl ps -a
                assert_status 0
                not grep -q rm-loop <<<"$output"
        done
        # A start that fails (127) is removed before run returns, too.
        for i in 1 2; do
                run -127 containerctl run --rm --name rm-loop busybox /no/such/command
                run containerctl ps -a
                not grep -q rm-loop <<<"$output"
        done
}

@test "without --rm the container stays, exited, with its exit code" {
        run containerctl run --name keep-me busybox sh -c 'exit 3'
        assert_status 3
        [[ $(ctl_state keep-me) == exited ]]
        [[ $(inspect_field keep-me '.state.exit_code // .exit_code') == 3 ]]
        containerctl rm keep-me
}

@test "-d prints a 64-hex id and the container runs" {
        run containerctl run -d busybox /probe sleep term-exit
        assert_status 0
        [[ $output =~ ^[0-9a-f]{64}$ ]]
        local id=$output
        wait_until 5 state_is "$id" running
        containerctl stop -t 5 "$id"
        [[ $(ctl_state "$id") == exited ]]
        containerctl rm "$id"
}

@test "stdout and stderr both reach the client" {
        run containerctl run --rm busybox sh -c 'echo out; echo err >&2'
        assert_status 0
        assert_line_eq out
        assert_line_eq err
}
