#!/usr/bin/env bats
# Leaks: the daemon's fd count is stable across many requests and container
# runs; teardown_file (helpers.bash) checks that nothing is left at the end.

load helpers

daemon_fds() {
        ls "/proc/$CTL_DAEMON_PID/fd" | wc -l
}

@test "daemon fd count is stable after 50 requests" {
        # Warm up once so lazily opened fds (cgroup dirs, logs) are counted.
        containerctl run --rm busybox true
        containerctl ps -a >/dev/null
        local before after i
        before=$(daemon_fds)
        for i in $(seq 10); do
                containerctl version >/dev/null
                containerctl ps -a --json >/dev/null
                containerctl inspect no-such-ctr >/dev/null 2>&1 || true
                containerctl image list >/dev/null
                printf '{"jsonrpc":"2.0","id":1,"method":\n' | rpc >/dev/null || true
        done
        after=$(daemon_fds)
        echo "fds before=$before after=$after"
        ((after <= before))
}

@test "daemon fd count is stable after 10 container runs" {
        containerctl run --rm busybox true
        local before after i
        before=$(daemon_fds)
        for i in $(seq 5); do
                containerctl run --rm busybox true
                containerctl run -d --name "leak$i" busybox /probe sleep term-exit >/dev/null
                containerctl stop "leak$i" >/dev/null
                containerctl rm "leak$i" >/dev/null
        done
        # Network teardown (veth, netns) runs in a worker after the exit:
        # give it a bounded moment to close what it holds.
        wait_until 10 eval '(( $(daemon_fds) <= before ))' || true
        after=$(daemon_fds)
        echo "fds before=$before after=$after"
        ls -l "/proc/$CTL_DAEMON_PID/fd"
        ((after <= before))
}

@test "no monitor or mount is left after containers are removed" {
        containerctl run -d --name lm busybox /probe sleep term-exit >/dev/null
        wait_until 5 state_is lm running
        containerctl rm -f lm
        # Only the daemon itself mentions our state dir now.
        wait_until 5 eval '[[ -z $(ctl_our_pids | grep -vx "$CTL_DAEMON_PID") ]]'
        # The netns pin goes with the network teardown batch, after the
        # first exit was parked 0.5 s ago and no attach runs (network-jobs.c).
        wait_until 10 eval '[[ -z $(ctl_our_mounts) ]]'
        [[ -z $(ctl_our_mounts) ]]
        [[ -z $(ctl_our_cgroups) ]]
}
