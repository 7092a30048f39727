#!/usr/bin/env bats
# events: the order of container events for run/stop/rm and run --rm
# (create, start, die, destroy), kill and die attributes (signal, exit
# code), image import/untag/remove events, filters (container, event, type,
# image), --since replaying past events, --until ending the stream, the
# Docker-like line format and --format json, bad filters and times.

load helpers

setup() {
        ctl_leak_begin
}

teardown() {
        ev_stop
        ctl_teardown
        ctl_leak_end
}

now_s() {
        date +%s.%N
}

# The daemon's count of "event subscriber" log lines (it logs at debug).
subscribers_logged() {
        grep -c "event subscriber .*: since" "$TMP/daemon.log" || true
}

# ev_start ARGS...: `containerctl events ARGS` in the background, output in
# $EV_OUT; returns once the daemon has the subscription.
ev_start() {
        local before
        before=$(subscribers_logged)
        EV_OUT=$BATS_TEST_TMPDIR/events.out
        containerctl events "$@" >"$EV_OUT" 2>"$EV_OUT.err" &
        EV_PID=$!
        wait_until 10 subscribers_more_than "$before"
}

subscribers_more_than() {
        (($(subscribers_logged) > $1))
}

ev_stop() {
        if [[ -n ${EV_PID:-} ]]; then
                kill -TERM "$EV_PID" 2>/dev/null || true
                wait "$EV_PID" 2>/dev/null || true
                EV_PID=
        fi
}

# The actions in $EV_OUT (--format json), space-separated.
ev_actions() {
        jq -r .action "$EV_OUT" | tr '\n' ' ' | sed 's/ $//'
}

# ev_check ACTION JQ: exactly one ACTION event in $EV_OUT, and JQ holds for it.
ev_check() {
        jq -e -s --arg a "$1" "map(select(.action == \$a)) | length == 1 and (.[0] | $2)" "$EV_OUT"
}

ev_has() {
        jq -e -s --arg a "$1" 'any(.action == $a)' "$EV_OUT" >/dev/null
}

@test "run, stop, rm: create, start, kill, die, stop, destroy in order" {
        ev_start --filter container=ev1 --format json
        containerctl run -d --name ev1 busybox /probe sleep term-exit >/dev/null
        wait_until 10 state_is ev1 running
        containerctl stop ev1 >/dev/null
        containerctl rm ev1 >/dev/null
        wait_until 10 ev_has destroy
        ev_stop
        cat "$EV_OUT"
        [[ $(ev_actions) == "create start kill die stop destroy" ]]
        local id
        id=$(jq -r 'select(.action == "create") | .id' "$EV_OUT")
        [[ $id =~ ^[0-9a-f]{64}$ ]]
        # Every event: the same container, its name and image, a time, an
        # increasing seq; requests carry the caller's uid, the exit none.
        [[ $(jq -r .id "$EV_OUT" | sort -u) == "$id" ]]
        [[ $(jq -r '.name + " " + .attributes.name + " " + .attributes.image + " " + .type' "$EV_OUT" | sort -u) == "ev1 ev1 busybox container" ]]
        jq -e -s 'map(.seq) as $s | $s == ($s | sort) and ($s | unique | length) == ($s | length)' "$EV_OUT"
        jq -e -s 'all(.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{9}Z$"))' "$EV_OUT"
        jq -e -s 'map(.time_ns) as $t | $t == ($t | sort)' "$EV_OUT"
        ev_check start '.uid == 0'
        ev_check die 'has("uid") | not'
        ev_check kill '.attributes.signal == "SIGTERM"'
        ev_check die '.attributes.exit_code == "0"'
}

@test "run --rm: create, start, die with the exit code, destroy" {
        ev_start --filter container=ev2 --format json
        run containerctl run --rm --name ev2 busybox /probe exit 3
        assert_status 3
        wait_until 10 ev_has destroy
        ev_stop
        cat "$EV_OUT"
        [[ $(ev_actions) == "create start die destroy" ]]
        ev_check die '.attributes.exit_code == "3"'
        ev_check die '.attributes | has("signal") | not'
}

@test "kill carries the signal, die the exit code and the signal; --since/--until replay them" {
        local t0 t1
        t0=$(now_s)
        containerctl run -d --name ev3 busybox /probe sleep term-ignore >/dev/null
        wait_until 10 state_is ev3 running
        containerctl kill -s KILL ev3 >/dev/null
        wait_until 10 state_is ev3 exited
        containerctl rm ev3 >/dev/null
        t1=$(now_s)
        # Both times in the past: the replay, then the command ends by itself.
        run timeout 10 containerctl events --since "$t0" --until "$t1" --filter container=ev3 --format json
        assert_status 0
        EV_OUT=$BATS_TEST_TMPDIR/replay.out
        printf '%s\n' "$output" >"$EV_OUT"
        [[ $(ev_actions) == "create start kill die destroy" ]]
        ev_check kill '.attributes.signal == "SIGKILL"'
        ev_check die '.attributes.exit_code == "137" and .attributes.signal == "SIGKILL"'
        # --since alone replays and goes on (live); --until alone in the past
        # replays what the ring holds up to then.
        run timeout 10 containerctl events --until "$t1" --filter container=ev3 --filter event=die --format json
        assert_status 0
        [[ $(jq -r .action <<<"$output") == die ]]
}

@test "Docker-like lines; filter by event" {
        ev_start --filter event=die --filter container=ev4 --filter container=ev4b
        containerctl run --rm --name ev4 busybox /probe exit 0
        run containerctl run --rm --name ev4b busybox /probe exit 5
        assert_status 5
        run containerctl run --rm --name ev4c busybox /probe exit 6
        assert_status 6
        wait_until 10 grep -q 'name=ev4b' "$EV_OUT"
        ev_stop
        cat "$EV_OUT"
        [[ $(wc -l <"$EV_OUT") -eq 2 ]]
        grep -Eqx '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z container die [0-9a-f]{64} \(exit_code=0, image=busybox, name=ev4\)' "$EV_OUT"
        grep -Eqx '.* container die [0-9a-f]{64} \(exit_code=5, image=busybox, name=ev4b\)' "$EV_OUT"
        not grep -q ev4c "$EV_OUT"
}

@test "image import, untag and remove events; filter by type and image" {
        ev_start --filter type=image --format json
        containerctl image import "$CTL_IMAGE_TAR" evimg:1 >/dev/null
        containerctl image import "$CTL_IMAGE_TAR" evimg:2 >/dev/null
        containerctl image rm evimg:1 >/dev/null
        containerctl image rm evimg:2 >/dev/null
        wait_until 10 eval '(( $(wc -l <"$EV_OUT") >= 4 ))'
        ev_stop
        cat "$EV_OUT"
        # The tarball is the busybox image again: busybox:latest keeps it,
        # so removing the new names only untags them.
        [[ $(jq -r '.action + " " + (.name // "-")' "$EV_OUT" | tr '\n' ' ') == "import evimg:1 import evimg:2 untag evimg:1 untag evimg:2 " ]]
        jq -e -s 'all(.type == "image") and all(.id | test("^[0-9a-f]{64}$"))' "$EV_OUT"
        jq -e -s 'map(select(.action == "import")) | all(.attributes.layers | test("^[1-9][0-9]*$"))' "$EV_OUT"
        # A separate image, really removed.
        local t0 t1
        t0=$(now_s)
        mkdir -p "$BATS_TEST_TMPDIR/root/etc"
        echo "events test $RANDOM" >"$BATS_TEST_TMPDIR/root/etc/marker"
        tar -C "$BATS_TEST_TMPDIR/root" -cf "$BATS_TEST_TMPDIR/other.tar" etc
        containerctl image import "$BATS_TEST_TMPDIR/other.tar" evother:1 >/dev/null
        containerctl image rm evother:1 >/dev/null
        t1=$(now_s)
        run timeout 10 containerctl events --since "$t0" --until "$t1" --filter image=evother:1 --format json
        assert_status 0
        echo "$output"
        [[ $(jq -r '.action + " " + .name + " " + .attributes.layers' <<<"$output" | head -1) == "import evother:1 1" ]]
        [[ $(jq -r .action <<<"$output" | tr '\n' ' ') == "import remove " ]]
        containerctl image prune >/dev/null
}

@test "--until in the future ends the stream when it comes" {
        local t0 t1 until
        until=$(($(date +%s) + 2))
        t0=$(now_ms)
        run timeout 20 containerctl events --until "$until"
        t1=$(now_ms)
        assert_status 0
        echo "took $((t1 - t0)) ms"
        ((t1 - t0 < 4000))
        # A duration before now is a past time: replay and end at once.
        run timeout 10 containerctl events --since 1h --until 1s --filter type=network
        assert_status 0
}

@test "bad filters and times are refused with their name" {
        run containerctl events --filter label=a=b
        assert_status 125
        [[ $output == *"'label'"* ]]
        run containerctl events --filter type=volume
        assert_status 125
        [[ $output == *"'volume'"* ]]
        run containerctl events --filter event=explode
        assert_status 125
        [[ $output == *"'explode'"* ]]
        run containerctl events --filter nokey
        assert_status 125
        run containerctl events --since yesterday
        assert_status 125
        [[ $output == *since* ]]
        run containerctl events --format table
        assert_status 125
        run containerctl events extra
        assert_status 125
        run rpc <<<'{"jsonrpc":"2.0","id":1,"method":"events.subscribe","params":{"filters":{"container":[7]}}}'
        [[ $output == *invalid_params* && $output == *container* ]]
        run rpc <<<'{"jsonrpc":"2.0","id":1,"method":"events.subscribe","params":{"until":-5}}'
        [[ $output == *invalid_params* && $output == *until* ]]
        run rpc <<<'{"jsonrpc":"2.0","id":1,"method":"events.subscribe","params":{"follow":true}}'
        [[ $output == *invalid_params* && $output == *follow* ]]
}

@test "a subscriber that goes away leaves nothing behind; many subscribers each get every event" {
        local i pids=() outs=()
        for i in 1 2 3; do
                ev_start --filter container=ev7 --format json
                pids+=("$EV_PID")
                outs+=("$EV_OUT.$i")
                mv "$EV_OUT" "$EV_OUT.$i"
                EV_PID=
        done
        # Moved files keep receiving (same inode).
        containerctl run --rm --name ev7 busybox /probe exit 0
        for i in 0 1 2; do
                wait_until 10 grep -q '"destroy"' "${outs[$i]}"
                [[ $(jq -r .action "${outs[$i]}" | tr '\n' ' ') == "create start die destroy " ]]
        done
        for i in 0 1 2; do
                kill -KILL "${pids[$i]}"
                wait "${pids[$i]}" 2>/dev/null || true
        done
        # ctl_leak_end checks the daemon's fds are back where they were.
}

@test "daemon shutdown ends a live stream with a message" {
        ev_start
        ctl_daemon_restart
        wait_until 10 ctl_pid_gone "$EV_PID"
        run wait "$EV_PID"
        EV_PID=
        assert_status 1
        cat "$EV_OUT.err"
        grep -q "ended the event stream (shutdown)" "$EV_OUT.err"
        # The new daemon streams again.
        ev_start --format json
        containerctl run --rm --name ev9 busybox /probe exit 0
        wait_until 10 ev_has destroy
}

@test "pause, unpause, update and oom: in order, with the image; the image filter keeps them" {
        ev_start --filter container=ev10 --format json
        containerctl run -d --name ev10 -m 16m --memory-swap 16m busybox \
                sh -c 'while [ ! -e /tmp/go ]; do usleep 50000; done; tail /dev/zero
                        while [ ! -e /tmp/end ]; do usleep 50000; done; exit 3' >/dev/null
        wait_until 10 state_is ev10 running
        containerctl pause ev10 >/dev/null
        containerctl unpause ev10 >/dev/null
        containerctl update --pids-limit 10 ev10 >/dev/null
        # The hog is OOM-killed; the shell exits 3 once the kill is counted
        # (at once, the count could go with the cgroup: v1 signals the OOM
        # before it counts the kill).
        containerctl exec ev10 touch /tmp/go
        wait_until 30 ev_has oom
        containerctl exec ev10 touch /tmp/end
        wait_until 30 state_is ev10 exited
        containerctl rm ev10 >/dev/null
        wait_until 10 ev_has destroy
        ev_stop
        cat "$EV_OUT"
        [[ $(ev_actions) == "create start pause unpause update oom die destroy" ]]
        # Every one names the image, as create and start do.
        jq -e -s 'all(.attributes.image == "busybox" and .attributes.name == "ev10")' "$EV_OUT"
        ev_check pause '.uid == 0'
        ev_check update '.uid == 0'
        ev_check oom 'has("uid") | not'
        ev_check die '.attributes.exit_code == "3"'
        # Filtering on the image drops none of them.
        run timeout 10 containerctl events --since 0 --until "$(($(date +%s) + 1))" \
                --filter image=busybox --filter container=ev10 --format json
        assert_status 0
        EV_OUT=$BATS_TEST_TMPDIR/replay.out
        printf '%s\n' "$output" >"$EV_OUT"
        [[ $(ev_actions) == "create start pause unpause update oom die destroy" ]]
}
