#!/usr/bin/env bats
# The monitor driven without a daemon, each script with a TAP output of its
# own: tests/monitor/run-proxy.py, the published-port relay (TCP and UDP
# echo, half-close, parallel connections, fd limits, no fd leaks into the
# container), with a small transfer size to keep the run short; and
# tests/monitor/run-monitor.py, end to end (events, output frames, several
# attachers and the slow-reader rule, the CRI log, exec sessions, exit.json,
# nothing left behind).

# run_tap SCRIPT ARGS...: runs a TAP script; fails on any "not ok".
run_tap() {
        run timeout 300 python3 "$@"
        grep -E '^not ok' <<<"$output" >&2 || true
        if ((status != 0)); then
                echo "$output" | tail -n 40 >&2
        fi
        ((status == 0))
        grep -qE '^ok ' <<<"$output"
}

@test "published-port relay in the monitor (tests/monitor/run-proxy.py)" {
        local builddir=${CONTAINERCTL_BUILDDIR:-$BATS_TEST_DIRNAME/../..}
        run_tap "$BATS_TEST_DIRNAME/../monitor/run-proxy.py" "$builddir/containerctl-monitor" 0.05
}

@test "the monitor end to end (tests/monitor/run-monitor.py)" {
        local builddir=${CONTAINERCTL_BUILDDIR:-$BATS_TEST_DIRNAME/../..}
        run_tap "$BATS_TEST_DIRNAME/../monitor/run-monitor.py" "$builddir/containerctl-monitor"
}
