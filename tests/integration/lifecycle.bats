#!/usr/bin/env bats
# Lifecycle: create/start/stop (TERM, then KILL after --time), kill -s, rm,
# rm -f, ps variants, inspect fields and mounts, wait (both conditions).

load helpers

@test "create, start, stop: states and exit code" {
        run containerctl create --name lc1 busybox /probe sleep term-exit
        assert_status 0
        local id
        id=$(inspect_field lc1 .id)
        [[ $id =~ ^[0-9a-f]{64}$ ]]
        [[ $(ctl_state lc1) == created ]]
        run containerctl start lc1
        assert_status 0
        [[ $(ctl_state lc1) == running ]]
        local t0 t1
        t0=$(now_ms)
        run containerctl stop -t 10 lc1
        t1=$(now_ms)
        assert_status 0
        [[ $(ctl_state lc1) == exited ]]
        [[ $(inspect_field lc1 '.state.exit_code // .exit_code') == 0 ]]
        # The probe exits on TERM: no waiting for the timeout.
        ((t1 - t0 < 5000))
        containerctl rm lc1
}

@test "stop kills with SIGKILL after --time when TERM is ignored" {
        containerctl run -d --name lc2 busybox /probe sleep term-ignore >/dev/null
        wait_until 5 state_is lc2 running
        local t0 t1
        t0=$(now_ms)
        run containerctl stop -t 2 lc2
        t1=$(now_ms)
        assert_status 0
        echo "stop took $((t1 - t0)) ms"
        ((t1 - t0 >= 1900))
        ((t1 - t0 < 6000))
        [[ $(ctl_state lc2) == exited ]]
        [[ $(inspect_field lc2 '.state.exit_code // .exit_code') == 137 ]]
        containerctl rm lc2
}

@test "kill -s TERM and default kill" {
        containerctl run -d --name lc3 busybox /probe sleep term-exit >/dev/null
        wait_until 5 state_is lc3 running
        run containerctl kill -s TERM lc3
        assert_status 0
        wait_until 5 state_is lc3 exited
        [[ $(inspect_field lc3 '.state.exit_code // .exit_code') == 0 ]]
        containerctl rm lc3

        containerctl run -d --name lc4 busybox /probe sleep term-ignore >/dev/null
        wait_until 5 state_is lc4 running
        run containerctl kill lc4
        assert_status 0
        wait_until 5 state_is lc4 exited
        [[ $(inspect_field lc4 '.state.exit_code // .exit_code') == 137 ]]
        containerctl rm lc4
}

@test "rm removes an exited container; rm -f removes a running one" {
        containerctl run --name lc5 busybox true
        run containerctl rm lc5
        assert_status 0
        run containerctl inspect lc5
        [[ $status -ne 0 ]]

        containerctl run -d --name lc6 busybox /probe sleep term-ignore >/dev/null
        wait_until 5 state_is lc6 running
        local pid
        pid=$(inspect_field lc6 '.state.pid // .pid')
        [[ $pid -gt 1 ]]
        run containerctl rm -f lc6
        assert_status 0
        run containerctl inspect lc6
        [[ $status -ne 0 ]]
        wait_until 5 ctl_pid_gone "$pid"
}

@test "ps, ps -a, ps -q, ps --json" {
        containerctl run -d --name ps-run busybox /probe sleep term-exit >/dev/null
        containerctl run --name ps-exit busybox sh -c 'exit 4' || true
        local id_run id_exit
        id_run=$(inspect_field ps-run .id)
        id_exit=$(inspect_field ps-exit .id)

        run containerctl ps
        assert_status 0
        grep -q ps-run <<<"$output"
        not grep -q ps-exit <<<"$output"

        run containerctl ps -a
        assert_status 0
        grep -q ps-run <<<"$output"
        grep -q ps-exit <<<"$output"

        run containerctl ps -a -q
        assert_status 0
        grep -q "^${id_run:0:12}" <<<"$output"
        grep -q "^${id_exit:0:12}" <<<"$output"
        not grep -q ps-run <<<"$output"

        run containerctl ps -q
        assert_status 0
        grep -q "^${id_run:0:12}" <<<"$output"
        not grep -q "^${id_exit:0:12}" <<<"$output"

        run containerctl ps -a --json
        assert_status 0
        local j=$output
        [[ $(jq -r '(if type == "array" then . else .containers end)[] | select(.name == "ps-run") | .state' <<<"$j") == running ]]
        [[ $(jq -r '(if type == "array" then . else .containers end)[] | select(.name == "ps-exit") | .state' <<<"$j") == exited ]]
        [[ $(jq -r '(if type == "array" then . else .containers end)[] | select(.name == "ps-exit") | .exit_code' <<<"$j") == 4 ]]
        [[ $(jq -r '(if type == "array" then . else .containers end)[] | select(.name == "ps-run") | .id' <<<"$j") == "$id_run" ]]

        containerctl rm -f ps-run ps-exit >/dev/null 2>&1 || {
                containerctl rm -f ps-run
                containerctl rm -f ps-exit
        }
}

@test "inspect shows config, state and cgroup" {
        containerctl create --name insp -e A=1 -w /tmp --hostname ih busybox /probe sleep term-exit >/dev/null
        run containerctl inspect insp
        assert_status 0
        local j
        j=$(jq 'if type == "array" then .[0] else . end' <<<"$output")
        [[ $(jq -r .name <<<"$j") == insp ]]
        [[ $(jq -r .id <<<"$j") =~ ^[0-9a-f]{64}$ ]]
        jq -e '.image | test("busybox")' <<<"$j"
        jq -e '.config.command == ["/probe","sleep","term-exit"] or .command == ["/probe","sleep","term-exit"]' <<<"$j"
        jq -e '.config.env | index("A=1")' <<<"$j"
        [[ $(jq -r .config.workdir <<<"$j") == /tmp ]]
        [[ $(jq -r .config.hostname <<<"$j") == ih ]]
        [[ $(jq -r '.state.status // .state' <<<"$j") == created ]]
        containerctl start insp
        j=$(containerctl inspect insp | jq 'if type == "array" then .[0] else . end')
        [[ $(jq -r .state.status <<<"$j") == running ]]
        [[ $(jq -r .state.pid <<<"$j") -gt 1 ]]
        jq -e --arg p "$CTL_CGROUP_PARENT" --arg id "$(jq -r .id <<<"$j")" \
                '.cgroup | tostring | contains($p) and contains($id)' <<<"$j"
        jq -e '.state.started_at | type == "string"' <<<"$j"
        containerctl stop insp
        j=$(containerctl inspect insp | jq 'if type == "array" then .[0] else . end')
        [[ $(jq -r .state.status <<<"$j") == exited ]]
        jq -e '.state.finished_at | type == "string"' <<<"$j"
        containerctl rm insp
}

@test "wait returns the exit code once the container stops" {
        mkdir -p "$TMP/wait"
        containerctl run -d --name w1 -v "$TMP/wait:/w" busybox \
                sh -c 'while [ ! -e /w/go ]; do sleep 0.05; done; exit 9' >/dev/null
        wait_until 5 state_is w1 running
        containerctl wait w1 >"$TMP/wait/out" 2>&1 &
        local wpid=$!
        # wait must still be blocked while the container runs.
        not wait_until 1 ctl_pid_gone "$wpid"
        touch "$TMP/wait/go"
        wait "$wpid" || true
        grep -qx 9 "$TMP/wait/out"
        run containerctl wait w1
        grep -qx 9 <<<"$output"
        containerctl rm w1
}

@test "inspect mounts lists the -v binds and the files the daemon provides" {
        mkdir -p "$TMP/mnt-ro" "$TMP/mnt-rw"
        containerctl create --name mnt1 -v "$TMP/mnt-ro:/data:ro" -v "$TMP/mnt-rw:/rw" \
                busybox true >/dev/null
        local j dir
        j=$(containerctl inspect mnt1 | jq 'if type == "array" then .[0] else . end')
        jq -e --arg s "$TMP/mnt-ro" '.mounts | map(select(.destination == "/data")) ==
                [{"type":"bind","source":$s,"destination":"/data","mode":"ro","rw":false,"idmap":false}]' <<<"$j"
        jq -e --arg s "$TMP/mnt-rw" '.mounts | map(select(.destination == "/rw")) ==
                [{"type":"bind","source":$s,"destination":"/rw","mode":"rw","rw":true,"idmap":false}]' <<<"$j"
        dir=$TMP/root/containers/$(jq -r .id <<<"$j")
        for f in hostname hosts resolv.conf; do
                jq -e --arg s "$dir/$f" --arg d "/etc/$f" \
                        '.mounts | map(select(.destination == $d)) ==
                        [{"type":"bind","source":$s,"destination":$d,"mode":"rw","rw":true,"idmap":false}]' <<<"$j"
                [[ -f $dir/$f ]]
        done
        [[ $(jq '.mounts | length' <<<"$j") == 5 ]]
        # rootfs is unchanged.
        jq -e '.rootfs.upper and .rootfs.lower' <<<"$j"
        containerctl rm mnt1
}

@test "wait condition=removed answers once the container is gone" {
        containerctl run -d --name wr1 busybox /probe sleep term-exit >/dev/null
        wait_until 5 state_is wr1 running
        local id
        id=$(inspect_field wr1 .id)
        rpc <<<'{"jsonrpc":"2.0","id":1,"method":"container.wait","params":{"container":"wr1","condition":"removed"}}' \
                >"$TMP/wr1.out" 2>&1 &
        local wpid=$!
        # The container stops: that does not answer a wait for its removal.
        containerctl stop wr1 >/dev/null
        not wait_until 1 ctl_pid_gone "$wpid"
        containerctl rm wr1 >/dev/null
        wait "$wpid"
        jq -e --arg id "$id" '.result == {"id":$id,"exit_code":0,"removed":true}' "$TMP/wr1.out"

        # Gone already: answered at once, with the exit code while known.
        containerctl run --rm --name wr2 busybox sh -c 'exit 5' || true
        run rpc <<<'{"jsonrpc":"2.0","id":2,"method":"container.wait","params":{"container":"wr2","condition":"removed"}}'
        assert_status 0
        jq -e '.result.removed == true and .result.exit_code == 5' <<<"$output"
        run rpc <<<'{"jsonrpc":"2.0","id":3,"method":"container.wait","params":{"container":"never-was","condition":"removed"}}'
        assert_status 0
        jq -e '.result == {"id":"never-was","removed":true}' <<<"$output"
        # The default condition still wants the container to exist.
        run rpc <<<'{"jsonrpc":"2.0","id":4,"method":"container.wait","params":{"container":"never-was"}}'
        jq -e '.error.data.kind == "not_found"' <<<"$output"
        run rpc <<<'{"jsonrpc":"2.0","id":5,"method":"container.wait","params":{"container":"x","condition":"stopped"}}'
        jq -e '.error.data.kind == "invalid_params"' <<<"$output"
}
