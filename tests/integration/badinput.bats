#!/usr/bin/env bats
# Bad input: unknown objects, name conflicts, invalid state transitions,
# malformed JSON-RPC on the raw socket (the daemon answers with an error and
# keeps serving other clients), and an unreachable daemon.

load helpers

rpc_one() {
        printf '%s\n' "$1" | rpc
}

@test "unknown image: exit 125 and a message" {
        run containerctl run --rm no-such-image:1 true
        assert_status 125
        grep -qi 'no-such-image' <<<"$output"
}

@test "unknown container: an error for every command" {
        local c
        for c in start stop kill rm inspect wait; do
                run containerctl "$c" no-such-ctr
                assert_error
                grep -q no-such-ctr <<<"$output"
        done
}

@test "name taken and malformed names are refused" {
        containerctl create --name taken busybox true >/dev/null
        run containerctl create --name taken busybox true
        assert_status 125
        grep -qi 'taken\|in use\|exists\|conflict' <<<"$output"
        local bad
        for bad in 'a/b' '../x' '-lead' 'sp ace' "$(printf 'x%.0s' {1..300})"; do
                run containerctl create --name "$bad" busybox true
                assert_status 125
        done
        # Nothing was created by the refused calls.
        [[ $(containerctl ps -a -q | wc -l) == 1 ]]
        containerctl rm taken
}

@test "start of a running container, kill of a stopped one, rm of a running one" {
        containerctl run -d --name st busybox /probe sleep term-exit >/dev/null
        wait_until 5 state_is st running
        run containerctl start st
        assert_error
        run containerctl rm st
        assert_error
        [[ $(ctl_state st) == running ]]
        containerctl stop st
        run containerctl kill st
        assert_error
        # stop of a stopped container changes nothing.
        run containerctl stop st
        [[ $status -eq 0 || $status -eq 1 || $status -eq 125 ]]
        [[ $(ctl_state st) == exited ]]
        [[ $(inspect_field st .state.exit_code) == 0 ]]
        containerctl rm st
}

@test "invalid JSON gets a parse error (-32700)" {
        run rpc_one '{"jsonrpc":"2.0","id":1,"method":'
        assert_status 0
        [[ $(jq -r .error.code <<<"$output") == -32700 ]]
        [[ $(jq -r .error.data.kind <<<"$output") == parse ]]
}

@test "a request without method is invalid (-32600); unknown method is -32601" {
        run rpc_one '{"jsonrpc":"2.0","id":2}'
        [[ $(jq -r .error.code <<<"$output") == -32600 ]]
        [[ $(jq -r .id <<<"$output") == 2 ]]
        run rpc_one '{"jsonrpc":"2.0","id":3,"method":"no.such"}'
        [[ $(jq -r .error.code <<<"$output") == -32601 ]]
        [[ $(jq -r .id <<<"$output") == 3 ]]
        run rpc_one '[1,2,3]'
        [[ $(jq -r .error.code <<<"$output") == -32600 ]]
}

@test "wrong parameter types are invalid params (-32602)" {
        run rpc_one '{"jsonrpc":"2.0","id":4,"method":"container.inspect","params":{"container":5}}'
        [[ $(jq -r .error.code <<<"$output") == -32602 ]]
        run rpc_one '{"jsonrpc":"2.0","id":5,"method":"container.create","params":{"image":"busybox","command":"not-a-list"}}'
        [[ $(jq -r .error.code <<<"$output") == -32602 ]]
        run rpc_one '{"jsonrpc":"2.0","id":6,"method":"container.list","params":"x"}'
        [[ $(jq -r .error.code <<<"$output") == -32602 || $(jq -r .error.code <<<"$output") == -32600 ]]
        run rpc_one '{"jsonrpc":"2.0","id":7,"method":"container.inspect","params":{"container":"nope"}}'
        [[ $(jq -r .error.data.kind <<<"$output") == not_found ]]
}

@test "pipelined requests get replies with their ids" {
        run rpc <<<'{"jsonrpc":"2.0","id":"a","method":"system.version"}
{"jsonrpc":"2.0","id":"b","method":"container.list","params":{"all":true}}
{"jsonrpc":"2.0","id":"c","method":"system.info"}'
        assert_status 0
        [[ $(jq -r .id <<<"$output" | sort | tr -d '\n') == abc ]]
        [[ $(jq -r 'select(.id == "a") | .result.api_version' <<<"$output") == 1 ]]
}

@test "an oversized line is refused and other clients are unaffected" {
        # A second client connected before the abuse must keep working.
        python3 - "$CTL_SOCK" <<'PY'
import socket, sys
path = sys.argv[1]
ok = socket.socket(socket.AF_UNIX); ok.connect(path); ok.settimeout(10)
bad = socket.socket(socket.AF_UNIX); bad.connect(path); bad.settimeout(10)
chunk = b"x" * 65536
sent = 0
try:
    while sent < 3 * 1024 * 1024:
        bad.sendall(chunk); sent += len(chunk)
except (BrokenPipeError, ConnectionResetError):
    pass
# The daemon either replies with an error or closes; never hangs.
try:
    data = bad.recv(65536)
except (socket.timeout, ConnectionResetError):
    data = b""
if data:
    import json
    reply = json.loads(data.split(b"\n")[0])
    assert "error" in reply, reply
ok.sendall(b'{"jsonrpc":"2.0","id":1,"method":"system.version"}\n')
r = b""
while not r.endswith(b"\n"):
    c = ok.recv(65536)
    assert c, "daemon closed the good client"
    r += c
assert b'"result"' in r, r
PY
        run containerctl version
        assert_status 0
}

@test "garbage bytes and abrupt disconnects do not hurt the daemon" {
        head -c 10000 /dev/urandom | tr -d '\n' >"$TMP/garbage"
        echo >>"$TMP/garbage"
        rpc --timeout 5 <"$TMP/garbage" || true
        # Half a request, then hang up.
        printf '{"jsonrpc":"2.0","id":1,' | rpc --replies 0 --timeout 1 || true
        run containerctl ps -a
        assert_status 0
        kill -0 "$CTL_DAEMON_PID"
}

@test "daemon not reachable: message names the socket, exit 125" {
        run containerctl --socket "$TMP/nowhere.sock" ps
        assert_status 125
        grep -qF "$TMP/nowhere.sock" <<<"$output"
        CONTAINERCTL_SOCKET=$TMP/env.sock run containerctl ps
        assert_status 125
        grep -qF "$TMP/env.sock" <<<"$output"
        # A stale socket file with nobody listening.
        python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$TMP/stale.sock"
        run containerctl --socket "$TMP/stale.sock" version
        assert_status 125
        grep -qF "$TMP/stale.sock" <<<"$output"
}

@test "usage errors exit 125" {
        run containerctl no-such-command
        assert_status 125
        run containerctl run
        assert_status 125
        run containerctl stop -t notanumber x
        assert_status 125
}
