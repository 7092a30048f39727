#!/usr/bin/env bats
# State files (daemon/state-writer.c, container_persist()): the daemon loop
# never waits for the disk, a container's newest record survives a daemon
# killed before the writer got it to the disk (the run copy on the run
# root), and after a "reboot" (no run copy) the disk record is used.

load helpers

run_copy() {
        echo "$CTL_RUN_ROOT/containers/$1/record.json"
}

disk_record() {
        echo "$TMP/root/containers/$1/container.json"
}

@test "the daemon's loop thread never calls fsync: the state writer does" {
        command -v strace >/dev/null || { echo "strace is not installed (setup/test.sh installs it)" >&2; return 1; }
        containerctl run --rm busybox true # warm-up: lazily made files
        local out=$TMP/strace.txt spid
        strace -f -qq -p "$CTL_DAEMON_PID" -e trace=fsync,fdatasync,syncfs,sync -o "$out" &
        spid=$!
        sleep 0.5 # strace attaches to every thread
        containerctl run -d --name st-a busybox sleep 60 >/dev/null
        containerctl update --memory 64m st-a >/dev/null
        containerctl pause st-a >/dev/null
        containerctl unpause st-a >/dev/null
        containerctl stop -t 1 st-a >/dev/null
        containerctl start st-a >/dev/null
        containerctl rm -f st-a >/dev/null
        containerctl create --name st-b busybox true >/dev/null
        containerctl rm st-b >/dev/null
        sleep 0.5
        kill -INT "$spid"
        wait "$spid" || true
        cat "$out"
        # The main thread's tid is the daemon's pid.
        ! grep -E "^$CTL_DAEMON_PID +(fsync|fdatasync|syncfs|sync)\(" "$out"
        # ... and the writes were made durable, by another thread.
        [[ $(grep -cE '^[0-9]+ +fsync\(' "$out") -ge 10 ]]
}

@test "a run copy newer than the disk record wins at start, and is written to the disk" {
        containerctl create --name st-c busybox /probe sleep term-exit >/dev/null
        local id old
        id=$(inspect_field st-c .id)
        wait_until 10 test -e "$(disk_record "$id")"
        old=$(cat "$(disk_record "$id")")
        [[ $(jq -r .state.status <<<"$old") == created ]]
        containerctl start st-c >/dev/null
        wait_until 10 state_is st-c running
        local pid
        pid=$(inspect_field st-c .state.pid)
        ctl_daemon_stop
        cmp "$(run_copy "$id")" "$(disk_record "$id")"
        # As if the daemon had been killed before the state writer wrote the
        # record naming the monitor: the disk still says "created".
        # (Written last, it is also the newest file: the generation decides.)
        printf '%s\n' "$old" >"$(disk_record "$id")"
        ctl_daemon_start
        [[ $(ctl_state st-c) == running ]]
        [[ $(inspect_field st-c .state.pid) == "$pid" ]]
        cmp "$(run_copy "$id")" "$(disk_record "$id")"
        containerctl stop -t 5 st-c >/dev/null
        containerctl rm st-c >/dev/null
        [[ ! -e $CTL_RUN_ROOT/containers/$id && ! -e $TMP/root/containers/$id ]]
}

@test "a disk record written by a daemon without run copies wins over an old run copy" {
        containerctl create --name st-f busybox true >/dev/null
        local id
        id=$(inspect_field st-f .id)
        ctl_daemon_stop
        [[ $(jq -r .generation "$(run_copy "$id")") -ge 1 ]]
        jq 'del(.generation) | .name = "st-f-disk"' "$(disk_record "$id")" >"$TMP/rec"
        mv "$TMP/rec" "$(disk_record "$id")"
        ctl_daemon_start
        [[ $(inspect_field st-f-disk .id) == "$id" ]]
        containerctl rm st-f-disk >/dev/null
}

@test "without run copies (a reboot clears the run root) the disk records are used" {
        containerctl run -d --name st-d busybox /probe sleep term-exit >/dev/null
        containerctl run --name st-e busybox sh -c 'exit 3' || true
        wait_until 10 state_is st-d running
        local d e pid
        d=$(inspect_field st-d .id)
        e=$(inspect_field st-e .id)
        pid=$(inspect_field st-d .state.pid)
        ctl_daemon_stop
        rm "$(run_copy "$d")" "$(run_copy "$e")"
        ctl_daemon_start
        [[ $(ctl_state st-d) == running ]]
        [[ $(inspect_field st-d .state.pid) == "$pid" ]]
        [[ $(ctl_state st-e) == exited ]]
        [[ $(inspect_field st-e .state.exit_code) == 3 ]]
        containerctl rm -f st-d st-e >/dev/null
}
