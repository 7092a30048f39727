#!/usr/bin/env bats
# Daemon restart: SIGTERM leaves containers running; a new daemon re-adopts
# them with correct states and exit codes, including one that exited while
# no daemon was running; stop still works on the re-adopted container.

load helpers

@test "containers survive a daemon restart with correct states" {
        mkdir -p "$TMP/r3"
        containerctl run -d --name r-run busybox /probe sleep term-exit >/dev/null
        containerctl run --name r-exit busybox sh -c 'exit 5' || true
        containerctl run -d --name r-late -v "$TMP/r3:/w" busybox \
                sh -c 'while [ ! -e /w/go ]; do sleep 0.05; done; exit 9' >/dev/null
        wait_until 5 state_is r-run running
        wait_until 5 state_is r-late running
        local pid_run pid_late
        pid_run=$(inspect_field r-run .state.pid)
        pid_late=$(inspect_field r-late .state.pid)
        [[ $pid_run -gt 1 && $pid_late -gt 1 ]]

        ctl_daemon_stop
        # The containers keep running without the daemon.
        kill -0 "$pid_run"
        kill -0 "$pid_late"
        # r-late exits while no daemon is there.
        touch "$TMP/r3/go"
        wait_until 5 ctl_pid_gone "$pid_late"

        ctl_daemon_start
        run containerctl ps -a --json
        assert_status 0
        local j=$output
        sel() { jq -r --arg n "$1" "(if type == \"array\" then . else .containers end)[] | select(.name == \$n) | $2" <<<"$j"; }
        [[ $(sel r-run .state) == running ]]
        [[ $(sel r-exit .state) == exited ]]
        [[ $(sel r-exit .exit_code) == 5 ]]
        [[ $(sel r-late .state) == exited ]]
        [[ $(sel r-late .exit_code) == 9 ]]
        [[ $(inspect_field r-run .state.pid) == "$pid_run" ]]

        run containerctl stop -t 5 r-run
        assert_status 0
        [[ $(ctl_state r-run) == exited ]]
        [[ $(inspect_field r-run '.state.exit_code') == 0 ]]
        wait_until 5 ctl_pid_gone "$pid_run"
        containerctl rm r-run
        containerctl rm r-exit
        containerctl rm r-late
}

@test "a restarted daemon can run new containers and keeps images" {
        ctl_daemon_stop
        ctl_daemon_start
        run containerctl run --rm busybox echo after-restart
        assert_status 0
        [[ $output == after-restart ]]
}

@test "a container dir without a record (a create cut short, a run --rm after a power loss) goes at start" {
        # run --rm writes its files without fsync (container_durable()): after
        # a power loss its record may be missing or empty. A durable record
        # with bad JSON is kept for the admin to look at.
        local d=$TMP/root/containers a b c
        a=$(printf 'a%.0s' {1..64}) b=$(printf 'b%.0s' {1..64}) c=$(printf 'c%.0s' {1..64})
        containerctl run -d --name r-keep busybox /probe sleep term-exit >/dev/null
        mkdir -p "$d/$a/upper/etc" "$d/$b/bundle" "$d/$c"
        : >"$d/$b/container.json"
        echo '{"not":' >"$d/$c/container.json"
        ctl_daemon_stop
        ctl_daemon_start
        [[ ! -e $d/$a && ! -e $d/$b ]]
        [[ -e $d/$c/container.json ]]
        grep -q "removing container directory $a: it has no record (missing)" "$TMP/daemon.log"
        grep -q "removing container directory $b: it has no record (empty)" "$TMP/daemon.log"
        grep -q "skipping container $c" "$TMP/daemon.log"
        [[ $(ctl_state r-keep) == running ]]
        rm -rf "${d:?}/$c"
        containerctl rm -f r-keep >/dev/null
}
