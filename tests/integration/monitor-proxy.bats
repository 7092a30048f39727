#!/usr/bin/env bats
# The monitor's published-port relay, driven without a daemon by
# tests/monitor/run-proxy.py (TAP of its own: TCP and UDP echo, half-close,
# parallel connections, fd limits, no fd leaks into the container), with a
# small transfer size to keep the run short.

@test "published-port relay in the monitor (tests/monitor/run-proxy.py)" {
        local builddir=${CONTAINERCTL_BUILDDIR:-$BATS_TEST_DIRNAME/../..}
        run timeout 300 python3 "$BATS_TEST_DIRNAME/../monitor/run-proxy.py" \
                "$builddir/containerctl-monitor" 0.05
        grep -E '^not ok' <<<"$output" >&2 || true
        if ((status != 0)); then
                echo "$output" | tail -n 40 >&2
        fi
        ((status == 0))
        grep -qE '^ok ' <<<"$output"
}
