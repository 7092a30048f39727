#!/usr/bin/env bats
# cgroup v2 specifics, for a pure v2 host (tests/vm/run-vm.sh boots one): the
# daemon reports unified mode, a container lives in <parent>/<id> of the one
# hierarchy while it runs, stop/kill/rm reach every process in that cgroup
# (cgroup.kill), and the cgroup goes with the container. Skipped elsewhere.

bats_require_minimum_version 1.5.0
load ../integration/helpers

CG=/sys/fs/cgroup

# The helpers' setup with a /ctlvm-<random> parent instead of /ctltest-*.
setup_file() {
        if [[ $(stat -f -c %T $CG) != cgroup2fs ]]; then
                return 0
        fi
        TMP=$(mktemp -d /tmp/ctltest.XXXXXX)
        CTL_SOCK=$TMP/sock
        CTL_RUN_ROOT=$TMP/run
        CTL_CGROUP_PARENT=/ctlvm-$(ctl_random)
        CONTAINERCTL_SOCKET=$CTL_SOCK
        export TMP CTL_SOCK CTL_RUN_ROOT CTL_CGROUP_PARENT CONTAINERCTL_SOCKET
        echo "$CTL_CGROUP_PARENT" >"$TMP/cgroup-parent"
        CTL_IMAGE_TAR=$(ctl_build_image)
        export CTL_IMAGE_TAR
        ctl_daemon_start
        containerctl image import "$CTL_IMAGE_TAR" busybox:latest >/dev/null
}

setup() {
        if [[ $(stat -f -c %T $CG) != cgroup2fs ]]; then
                skip "not a pure cgroup v2 host; run tests/vm/run-vm.sh"
        fi
}

teardown() {
        if [[ -n ${HOSTPID:-} ]]; then
                kill -KILL "$HOSTPID" 2>/dev/null || true
                wait "$HOSTPID" 2>/dev/null || true
        fi
        ctl_teardown
}

cgdir() {
        echo "$CG$CTL_CGROUP_PARENT/$1"
}

nprocs_at_least() {
        [[ $(wc -l <"$1/cgroup.procs") -ge $2 ]]
}

# all_gone PID...: every pid has exited (or is a zombie).
all_gone() {
        local p
        for p in "$@"; do
                ctl_pid_gone "$p" || return 1
        done
}

# ctl_id_pid NAME: sets ID and PID from one inspect.
ctl_id_pid() {
        local j
        j=$(containerctl inspect "$1" | jq -r 'if type == "array" then .[0] else . end | "\(.id) \(.state.pid)"')
        read -r ID PID <<<"$j"
}

@test "info reports cgroup_mode unified and the parent" {
        run containerctl info --json
        assert_status 0
        [[ $(jq -r '"\(.cgroup_mode) \(.cgroup_parent)"' <<<"$output") == "unified $CTL_CGROUP_PARENT" ]]
}

@test "/proc/1/cgroup in the container is exactly 0::<parent>/<id>" {
        run containerctl run --rm busybox cat /proc/1/cgroup
        assert_status 0
        echo "got: $output"
        [[ $output =~ ^0::$CTL_CGROUP_PARENT/[0-9a-f]{64}$ ]]
}

@test "the cgroup exists while the container runs, goes when it exits" {
        containerctl run -d --name cg2 busybox /probe sleep term-exit >/dev/null
        ctl_id_pid cg2
        local dir
        dir=$(cgdir "$ID")
        [[ -d $dir ]]
        grep -qx "$PID" "$dir/cgroup.procs"
        [[ $(cat "/proc/$PID/cgroup") == "0::$CTL_CGROUP_PARENT/$ID" ]]
        [[ $(cat "$dir/cgroup.type") == domain ]]
        grep -qx 'populated 1' "$dir/cgroup.events"
        containerctl stop -t 5 cg2
        # The monitor removes the cgroup when the container has exited.
        wait_until 5 test ! -e "$dir"
        containerctl rm cg2
        [[ ! -e $dir ]]
}

# A process outside the container's PID namespace but inside its cgroup is
# reached only through the cgroup (cgroup.kill, or a kill of every pid in
# cgroup.procs): the death of the container's init ends only its PID
# namespace. The container's own children (ignoring TERM) are there too.
start_with_children() { # NAME INIT_MODE
        containerctl run -d --name "$1" busybox sh -c \
                "trap '' TERM; sleep 1000 & sleep 1000 & (sleep 1000 &); exec /probe sleep $2" >/dev/null
        ctl_id_pid "$1"
        DIR=$(cgdir "$ID")
        wait_until 10 nprocs_at_least "$DIR" 4
        sleep 1000 3>&- &
        HOSTPID=$!
        echo "$HOSTPID" >"$DIR/cgroup.procs"
        PIDS=$(cat "$DIR/cgroup.procs")
        echo "pids in $DIR: $(echo $PIDS)"
        [[ $(wc -w <<<"$PIDS") -ge 5 ]]
        grep -qx "$HOSTPID" <<<"$PIDS"
}

check_all_gone() {
        # shellcheck disable=SC2086
        wait_until 10 all_gone $PIDS
        wait "$HOSTPID" || true
        HOSTPID=
        wait_until 10 test ! -e "$DIR"
}

@test "kill reaches every process in the cgroup" {
        start_with_children ck1 term-ignore
        run containerctl kill ck1
        assert_status 0
        wait_until 10 state_is ck1 exited
        check_all_gone
        containerctl rm ck1
}

@test "stop (TERM ignored, then KILL after -t) reaches every process in the cgroup" {
        start_with_children ck2 term-ignore
        run containerctl stop -t 1 ck2
        assert_status 0
        check_all_gone
        containerctl rm ck2
}

@test "rm -f of a running container reaches every process in the cgroup" {
        start_with_children ck3 term-exit
        run containerctl rm -f ck3
        assert_status 0
        check_all_gone
}

@test "a start that fails (127) leaves no cgroup; nothing is left under the parent" {
        run -127 containerctl run --rm busybox /no/such/command
        local ids
        ids=$(containerctl ps -a -q)
        [[ -z $ids ]] || containerctl rm -f $ids
        wait_until 5 eval '[[ -z $(find "$CG$CTL_CGROUP_PARENT" -mindepth 1 -type d) ]]'
}
