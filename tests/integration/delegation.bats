#!/usr/bin/env bats
# systemd cgroup delegation without systemd as PID 1: the daemon is started
# as systemd starts a unit with Delegate=yes (INVOCATION_ID set, the
# process already in the unit's cgroup, the same path in every hierarchy,
# the controllers enabled down to it) and the default cgroup parent. It
# must keep itself and its monitors in <unit>/supervisor, put containers
# below <unit>/containers and leave no process in an inner node, in every
# hierarchy: cgroup2 alone (the VM) or v1 controllers plus cgroup2 (here).
# The "unit" cgroup is $CTL_CGROUP_PARENT/svc, made by this test.

load helpers

# The "unit" cgroup in every hierarchy, made as systemd would make it.
make_unit_cgroup() {
        local h dir
        for h in $(ctl_cgroup_roots); do
                dir=$h${SVC#/}
                mkdir -p "$dir"
                # v1 cpuset: a cgroup takes no task until it has cpus and mems.
                if [[ -f ${h}cpuset.cpus || -f ${h}cpus ]] && [[ ! -f ${h}cgroup.subtree_control ]]; then
                        local f p
                        for f in cpus mems; do
                                [[ -f ${h}cpuset.$f ]] && f=cpuset.$f
                                for p in "$h${CTL_CGROUP_PARENT#/}" "$dir"; do
                                        cat "$h$f" >"$p/$f"
                                done
                        done
                fi
                # cgroup2 with controllers (the VM): enable them down to the unit.
                if [[ -f ${h}cgroup.subtree_control && -s ${h}cgroup.controllers ]]; then
                        local c
                        for c in $(cat "${h}cgroup.subtree_control"); do
                                echo "+$c" >"$h${CTL_CGROUP_PARENT#/}/cgroup.subtree_control"
                        done
                fi
        done
}

remove_unit_cgroup() {
        local h d
        for h in $(ctl_cgroup_roots); do
                for d in containers supervisor ""; do
                        [[ -d $h${SVC#/}/$d ]] && rmdir "$h${SVC#/}/$d"
                done
        done
        return 0
}

# Starts the daemon inside the unit cgroup, with INVOCATION_ID and no
# --cgroup-parent (the default: delegation applies only to it).
start_as_unit() {
        (
                for h in $(ctl_cgroup_roots); do
                        echo "$BASHPID" >"$h${SVC#/}/cgroup.procs"
                done
                export INVOCATION_ID=ctltest$RANDOM
                exec containerctld --socket "$CTL_SOCK" --root "$TMP/root" --run-root "$CTL_RUN_ROOT" \
                        --bridge "$CTL_BRIDGE" --subnet "$CTL_SUBNET" \
                        --seccomp-profile "$CTL_SRCDIR/etc/seccomp.json" --log-level debug \
                        </dev/null >>"$TMP/daemon.log" 2>&1 3>&- 4>&-
        ) &
        CTL_DAEMON_PID=$!
        echo "$CTL_DAEMON_PID" >"$TMP/daemon.pid"
        wait_until 10 test -S "$CTL_SOCK"
        wait_until 10 containerctl version
}

# Every line of /proc/PID/cgroup names the same path: prints it.
same_path_everywhere() {
        cut -d: -f3 "/proc/$1/cgroup" | sort -u
}

@test "under systemd the daemon delegates inside its own cgroup, in every hierarchy" {
        SVC=$CTL_CGROUP_PARENT/svc
        ctl_daemon_stop
        make_unit_cgroup
        start_as_unit
        # Nothing may start before the parent is known to be ours: with the
        # default /containerctl, containers would land outside this test.
        run containerctl info --json
        assert_status 0
        [[ $(jq -r .cgroup_parent <<<"$output") == "$SVC/containers" ]]
        grep -q "systemd delegation: daemon in $SVC/supervisor" "$TMP/daemon.log"
        [[ $(same_path_everywhere "$CTL_DAEMON_PID") == "$SVC/supervisor" ]]

        containerctl run -d --name dg1 busybox sleep 60 >/dev/null
        wait_until 10 state_is dg1 running
        local id pid mon h
        id=$(inspect_field dg1 .id)
        pid=$(inspect_field dg1 .state.pid)
        mon=$(ctl_monitor_pid dg1)
        [[ $(same_path_everywhere "$pid") == "$SVC/containers/$id"* ]]
        [[ $(same_path_everywhere "$mon") == "$SVC/supervisor" ]]
        # No process in an inner node, in any hierarchy.
        for h in $(ctl_cgroup_roots); do
                [[ ! -s $h${SVC#/}/cgroup.procs ]]
                [[ ! -s $h${SVC#/}/containers/cgroup.procs ]]
        done

        containerctl rm -f dg1 >/dev/null
        for h in $(ctl_cgroup_roots); do
                wait_until 10 test ! -e "$h${SVC#/}/containers/$id"
        done
        ctl_daemon_stop
        remove_unit_cgroup
        ctl_daemon_start
}
