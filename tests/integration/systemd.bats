#!/usr/bin/env bats
# systemd integration without systemd as PID 1: socket activation through
# systemd-socket-activate (LISTEN_FDS, as containerctld.socket does) and the
# sd_notify protocol through a datagram socket of our own (NOTIFY_SOCKET, as
# Type=notify reads it).

load helpers

notify_listen() {
        rm -f "$TMP/notify.sock" "$TMP/notify.log"
        python3 "$BATS_TEST_DIRNAME/notify-listen.py" "$TMP/notify.sock" "$TMP/notify.log" \
                </dev/null >/dev/null 2>&1 3>&- 4>&- &
        echo $! >"$TMP/notify.pid"
        wait_until 5 test -S "$TMP/notify.sock"
}

notify_stop() {
        [[ -f $TMP/notify.pid ]] || return 0
        kill "$(cat "$TMP/notify.pid")" 2>/dev/null || true
        wait "$(cat "$TMP/notify.pid")" 2>/dev/null || true
        rm -f "$TMP/notify.pid"
}

notified() {
        grep -q "$1" "$TMP/notify.log" 2>/dev/null
}

teardown() {
        notify_stop
        ctl_teardown
}

@test "sd_notify: READY=1 and STATUS once serving, STOPPING=1 on SIGTERM" {
        ctl_daemon_stop
        notify_listen
        NOTIFY_SOCKET=$TMP/notify.sock ctl_daemon_start
        wait_until 5 notified '^READY=1'
        grep -q 'STATUS=' "$TMP/notify.log"
        ctl_daemon_stop
        wait_until 5 notified 'STOPPING=1'
        ctl_daemon_start
}

@test "socket activation: the daemon serves the socket it was given (LISTEN_FDS)" {
        command -v systemd-socket-activate || skip "systemd-socket-activate not installed"
        ctl_daemon_stop
        rm -f "$CTL_SOCK"
        # systemd-socket-activate binds the socket, then execs the daemon on
        # the first connection with LISTEN_FDS=1 (its pid stays the same).
        systemd-socket-activate -l "$CTL_SOCK" \
                containerctld --socket "$CTL_SOCK" --root "$TMP/root" --run-root "$CTL_RUN_ROOT" \
                --cgroup-parent "$CTL_CGROUP_PARENT" --bridge "$CTL_BRIDGE" --subnet "$CTL_SUBNET" \
                --log-level debug </dev/null >>"$TMP/daemon.log" 2>&1 3>&- 4>&- &
        echo $! >"$TMP/daemon.pid"
        wait_until 10 test -S "$CTL_SOCK"
        local ino_before
        ino_before=$(stat -c %i "$CTL_SOCK")
        run containerctl version
        assert_status 0
        [[ $output == *"api_version"* || $output == *"0.1"* ]]
        run containerctl run --rm busybox echo activated
        assert_status 0
        [[ $output == activated ]]
        # Same socket inode: the daemon used the passed fd, it did not rebind.
        [[ $(stat -c %i "$CTL_SOCK") == "$ino_before" ]]
        # The passed fd (3) is close-on-exec, and no monitor inherits it.
        local pid flags sock_ino mon
        pid=$(cat "$TMP/daemon.pid")
        flags=$(awk '/^flags:/ {print $2}' "/proc/$pid/fdinfo/3")
        (((8#$flags & 8#2000000) != 0))
        sock_ino=$(stat -L -c %i "/proc/$pid/fd/3")
        run containerctl run -d --name activated busybox sleep 100
        assert_status 0
        mon=$(containerctl inspect activated | jq -r '.[0].monitor_pid')
        [[ $mon =~ ^[0-9]+$ ]]
        not grep -q "socket:\[$sock_ino\]" < <(ls -l "/proc/$mon/fd")
        containerctl rm -f activated >/dev/null
        grep -q 'from systemd' "$TMP/daemon.log"
        ctl_daemon_stop
        ctl_daemon_start
}

@test "socket activation: the admin group gets the socket's ACL entry, as on a socket the daemon binds" {
        command -v systemd-socket-activate || skip "systemd-socket-activate not installed"
        local g=ctlsa$(ctl_random | cut -c1-6) gid
        groupadd "$g"
        gid=$(getent group "$g" | cut -d: -f3)
        printf 'admin_group = %s\n' "$g" >"$TMP/acl.conf"
        ctl_daemon_stop
        rm -f "$CTL_SOCK"
        systemd-socket-activate -l "$CTL_SOCK" \
                containerctld --config "$TMP/acl.conf" --socket "$CTL_SOCK" --root "$TMP/root" \
                --run-root "$CTL_RUN_ROOT" --cgroup-parent "$CTL_CGROUP_PARENT" --bridge "$CTL_BRIDGE" \
                --subnet "$CTL_SUBNET" --log-level debug </dev/null >>"$TMP/daemon.log" 2>&1 3>&- 4>&- &
        echo $! >"$TMP/daemon.pid"
        wait_until 10 test -S "$CTL_SOCK"
        run containerctl version # the first connection execs the daemon
        assert_status 0
        # The ACL's named-group entries (acl(5) xattr: version, then tag,
        # perm, id per entry; ACL_GROUP is tag 8).
        run python3 -c '
import os, struct, sys
a = os.getxattr(sys.argv[1], "system.posix_acl_access")
for off in range(4, len(a), 8):
    tag, perm, id_ = struct.unpack_from("<HHI", a, off)
    if tag == 8:
        print(id_, perm)' "$CTL_SOCK"
        ctl_daemon_stop
        groupdel "$g"
        ctl_daemon_start
        [[ $output == "$gid 6" ]]
}
