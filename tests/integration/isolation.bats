#!/usr/bin/env bats
# Isolation: the container sees its own hostname, PID namespace, root (the
# image), mounts, cgroup, read-only /proc/sys, loopback-only network, and no
# fds from the daemon.

load helpers

@test "hostname differs from the host's" {
        run containerctl run --rm busybox /probe hostname
        assert_status 0
        [[ $output == hostname=* ]]
        [[ $output != "hostname=$(hostname)" ]]
}

@test "the command is PID 1 and only its processes are visible" {
        run containerctl run --rm busybox /probe pid procs
        assert_status 0
        assert_line_eq "pid=1"
        assert_line_eq "ppid=0"
        [[ $(grep -c '^proc=' <<<"$output") == 1 ]]
        assert_line_eq "proc=1 probe"
        run containerctl run --rm busybox ps
        assert_status 0
        # header + ps itself
        [[ $(wc -l <<<"$output") == 2 ]]
}

@test "/ is the image: /probe is there, host files are not" {
        touch "$TMP/host-marker"
        run containerctl run --rm busybox /probe exists /probe exists /bin/busybox \
                exists "$TMP/host-marker" exists /work exists /etc/os-release
        assert_status 0
        [[ $output == $'exists=1\nexists=1\nexists=0\nexists=0\nexists=0' ]]
}

@test "host mounts are invisible" {
        run containerctl run --rm busybox /probe mounts
        assert_status 0
        grep -q '^mount=/ ' <<<"$output"
        grep -q '^mount=/proc proc ' <<<"$output"
        # None of the host's own mount points (other than the usual API
        # file systems every container gets) shows up.
        local mp
        for mp in $(awk '{print $5}' /proc/self/mountinfo | sort -u); do
                case $mp in
                / | /proc* | /sys* | /dev*) continue ;;
                esac
                not grep -q "^mount=$mp " <<<"$output"
        done
        not grep -q "^mount=$TMP" <<<"$output"
}

@test "namespaces differ from the host's (pid, net, ipc, uts, mnt)" {
        run containerctl run --rm busybox /probe ns
        assert_status 0
        local ns
        for ns in pid net ipc uts mnt; do
                grep -q "^ns_$ns=" <<<"$output"
                not grep -qx "ns_$ns=$(readlink /proc/self/ns/$ns)" <<<"$output"
        done
}

@test "/proc/1/cgroup names the container's cgroup <parent>/<id>" {
        run containerctl run --name cg1 busybox /probe cgroup
        assert_status 0
        local id
        id=$(inspect_field cg1 .id)
        containerctl rm cg1
        grep -qE "^cgroup=[0-9]+:[^:]*:$CTL_CGROUP_PARENT/$id\$" <<<"$output"
        # The unified (0::) entry, too, when present.
        if grep -q '^cgroup=0::' <<<"$output"; then
                assert_line_eq "cgroup=0::$CTL_CGROUP_PARENT/$id"
        fi
}

@test "/proc/sys is read-only" {
        run containerctl run --rm busybox /probe openw-test /proc/sys/kernel/hostname \
                openw-test /proc/sys/vm/drop_caches
        [[ $output == $'openw=EROFS\nopenw=EROFS' ]]
}

@test "--network none: only lo in the network namespace" {
        run containerctl run --rm --network none busybox /probe netdevs
        assert_status 0
        [[ $output == netdev=lo ]]
        run containerctl run --rm --network none busybox ip -o link
        assert_status 0
        [[ $(wc -l <<<"$output") == 1 ]]
        grep -q ': lo:' <<<"$output"
}

@test "default network: lo and eth0 only, no host interface" {
        run containerctl run --rm busybox /probe netdevs
        assert_status 0
        [[ $(sort <<<"$output" | tr '\n' ' ') == "netdev=eth0 netdev=lo " ]]
}

@test "no fds leak into the container: exactly 0, 1, 2" {
        run containerctl run --rm busybox /probe fds
        assert_status 0
        [[ $(grep -c '^fd=' <<<"$output") == 3 ]]
        grep -q '^fd=0 ' <<<"$output"
        grep -q '^fd=1 ' <<<"$output"
        grep -q '^fd=2 ' <<<"$output"
}

@test "stdio is not a tty without -t" {
        run containerctl run --rm busybox /probe tty
        assert_status 0
        [[ $output == $'isatty0=0\nisatty1=0\nisatty2=0' ]]
}

# Docker's default capabilities without MKNOD (as Podman: no device node
# could be opened anyway), no_new_privs, and the default seccomp filter.
@test "default security: Docker's default capabilities minus MKNOD, no_new_privs, seccomp" {
        run containerctl run --rm busybox /probe caps nnp seccomp
        assert_status 0
        # CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
        # NET_BIND_SERVICE NET_RAW SYS_CHROOT AUDIT_WRITE SETFCAP
        assert_line_eq "CapEff=00000000a00425fb"
        assert_line_eq "CapBnd=00000000a00425fb"
        assert_line_eq "CapAmb=0000000000000000"
        assert_line_eq "NoNewPrivs=1"
        assert_line_eq "Seccomp=2"
}
