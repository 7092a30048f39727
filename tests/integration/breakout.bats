#!/usr/bin/env bats
# The breakout suite (issue 7): from inside a default container, each way
# out is tried by /probe escape:NAME (tests/probe/escape.c) and must be
# blocked. A probe that gets through prints ESCAPED and fails its test.
# Every attempt is harmless if it succeeds (see escape.c).

load helpers

# escape_blocked NAME [RUN OPTIONS...]: runs the probe in a fresh default
# container and asserts it was blocked.
escape_blocked() {
        local name=$1
        shift
        run containerctl run --rm "$@" busybox /probe "escape:$name"
        assert_status 0
        if [[ $output != *"escape.$name=blocked:"* || $output == *ESCAPED* ]]; then
                echo "$output" >&2
                return 1
        fi
}

@test "mount proc, sysfs or tmpfs: refused" {
        escape_blocked mount-proc
        escape_blocked mount-sysfs
        escape_blocked mount-tmpfs
}

@test "/proc/sysrq-trigger cannot be opened for writing" {
        escape_blocked sysrq
}

@test "/proc/kcore cannot be read" {
        escape_blocked kcore
}

@test "loading a kernel module: refused" {
        escape_blocked module
}

@test "reboot: refused" {
        escape_blocked reboot
}

@test "changing the host clock: refused" {
        escape_blocked clock
}

@test "a device node made with mknod cannot be opened" {
        escape_blocked mknod
}

@test "unshare of a mount or user namespace: refused" {
        escape_blocked unshare-mnt
        escape_blocked unshare-user
}

@test "keyctl, bpf, perf_event_open: refused by the default seccomp profile" {
        escape_blocked keyctl
        escape_blocked bpf
        escape_blocked perf
}

@test "/proc/1/root is the container's own root" {
        escape_blocked proc1-root
}

@test "no leaked fd or cwd outside the root (CVE-2024-21626 class), also for exec" {
        escape_blocked leaked-fds
        run containerctl run -d --name bo-exec busybox /probe sleep
        assert_status 0
        run containerctl exec bo-exec /probe escape:leaked-fds
        assert_status 0
        [[ $output == *"escape.leaked-fds=blocked:"* ]] || { echo "$output" >&2; false; }
        containerctl rm -f bo-exec >/dev/null
}

@test "no host binary reachable through /proc/PID/exe (CVE-2019-5736 class)" {
        escape_blocked exe
        # A process joining the container (exec) is a copy of the runtime
        # until its execve: a watcher inside scans /proc while 20 execs join.
        run containerctl run -d --name bo-exe busybox /probe sleep
        assert_status 0
        containerctl exec bo-exe /probe escape:exe-watch:4000 >"$TMP/watch.out" &
        local watcher=$!
        wait_until 10 grep -q ready=1 "$TMP/watch.out"
        for _ in $(seq 20); do
                containerctl exec bo-exe /probe pid >/dev/null
        done
        wait "$watcher"
        cat "$TMP/watch.out"
        grep -q "escape.exe-watch=blocked:" "$TMP/watch.out"
        ! grep -q ESCAPED "$TMP/watch.out"
        containerctl rm -f bo-exe >/dev/null
}

@test "a host process cannot be ptraced or seen" {
        sleep 300 &
        local host_pid=$!
        run containerctl run --rm busybox /probe "escape:ptrace:$host_pid" procs
        kill "$host_pid"
        wait "$host_pid" 2>/dev/null || true
        assert_status 0
        [[ $output == *"escape.ptrace=blocked:"* && $output != *ESCAPED* ]] || { echo "$output" >&2; false; }
}
