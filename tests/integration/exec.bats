#!/usr/bin/env bats
# exec: with and without a tty, stdin and its EOF, -e/-w/-u, exit codes,
# the same namespaces, cgroup and security as the init, and exec sessions as
# objects (ls, -d, attach with replay, kill, rm, inspect). `box` lives for the
# whole file; the per-test leak check also asserts that its monitor is back
# to its fd count and has no child but the init after each test.

load helpers

CTL_KEEP=box

setup_file() {
        ctl_setup_file
        containerctl run --rm busybox true
        containerctl run -d --name box -e BOXVAR=from-box -w /tmp busybox /probe sleep term-exit >/dev/null
        wait_until 5 state_is box running
}

setup() {
        ctl_leak_begin
}

# exec_field ID JQ: a field of `exec inspect` (an object, or an array of one).
exec_field() {
        containerctl exec inspect "$1" | jq -r "if type == \"array\" then .[0] else . end | $2"
}

exec_is() {
        [[ $(exec_field "$1" "$2") == true ]]
}

teardown() {
        ctl_teardown
        ctl_leak_end
}

@test "exec without tty: output, stdout and stderr apart, exit code" {
        run bash -c 'containerctl exec box sh -c "echo out; echo err >&2; exit 3" 2>"$1"' _ "$BATS_TEST_TMPDIR/err"
        assert_status 3
        [[ $output == out ]]
        [[ $(cat "$BATS_TEST_TMPDIR/err") == err ]]
        run containerctl exec box cat /etc/hostname
        assert_status 0
        [[ -n $output ]]
        run containerctl exec box /probe tty
        assert_line_eq isatty0=0
        assert_line_eq isatty1=0
}

@test "exec exit codes: 0 1 126 127 137" {
        run containerctl exec box true
        assert_status 0
        run containerctl exec box false
        assert_status 1
        run containerctl exec box /noexec
        assert_status 126
        [[ -n $output ]]
        run containerctl exec box no-such-command
        assert_status 127
        [[ $output == *no-such-command* ]]
        run containerctl exec box sh -c 'kill -9 $$'
        assert_status 137
}

@test "exec -i: stdin reaches the process, EOF closes it" {
        run bash -c 'echo data | containerctl exec -i box wc -c'
        assert_status 0
        [[ $(tr -d ' ' <<<"$output") == 5 ]]
        # Without -i the process gets no stdin (immediate EOF).
        run bash -c 'echo data | containerctl exec box wc -c'
        assert_status 0
        [[ $(tr -d ' ' <<<"$output") == 0 ]]
        # Binary-safe and complete: 8 MiB through stdin and back.
        head -c 8388608 /dev/urandom >"$BATS_TEST_TMPDIR/blob"
        run bash -c 'containerctl exec -i box cat <"$1" | md5sum' _ "$BATS_TEST_TMPDIR/blob"
        [[ ${output%% *} == $(md5sum <"$BATS_TEST_TMPDIR/blob" | cut -d' ' -f1) ]]
}

@test "exec output is complete and exact when the reader is slower than the writer" {
        # The exec's own client is not a bystander: it must get every byte
        # (back-pressure on the exec), never a truncated stream.
        run bash -c 'containerctl exec box dd if=/dev/zero bs=1M count=256 2>/dev/null | { sleep 1; wc -c; }; echo "status=${PIPESTATUS[0]}"'
        echo "$output"
        assert_line_eq 268435456
        assert_line_eq status=0
        run bash -c 'containerctl exec box dd if=/dev/zero bs=1M count=64 2>/dev/null >"$1"; echo "status=$?"' _ "$BATS_TEST_TMPDIR/big"
        assert_line_eq status=0
        [[ $(stat -c %s "$BATS_TEST_TMPDIR/big") == 67108864 ]]
}

@test "exec -e -w -u; the container's env is inherited" {
        run containerctl exec -e FOO=bar -e BOXVAR=over -w /etc -u 65534:65534 box /probe env cwd ids
        assert_status 0
        assert_line_eq env=FOO=bar
        assert_line_eq env=BOXVAR=over
        assert_line_eq cwd=/etc
        assert_line_eq uid=65534
        assert_line_eq gid=65534
        run containerctl exec box /probe env cwd ids
        assert_line_eq env=BOXVAR=from-box
        assert_line_eq cwd=/tmp
        assert_line_eq uid=0
        run containerctl exec -u nobody box /probe ids
        assert_line_eq uid=65534
        run containerctl exec -u no-such-user box true
        assert_error
}

@test "exec joins every namespace, the cgroup and the security settings of the init" {
        local pid k
        pid=$(inspect_field box '.pid // .state.pid')
        run containerctl exec box /probe ns cgroup caps nnp seccomp
        assert_status 0
        for k in cgroup ipc mnt net pid user uts; do
                assert_line_eq "ns_$k=$(readlink "/proc/$pid/ns/$k")"
        done
        while read -r line; do
                assert_line_eq "cgroup=$line"
        done <"/proc/$pid/cgroup"
        for k in CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs Seccomp; do
                assert_line_eq "$k=$(awk -v k="$k:" '$1 == k {print $2}' "/proc/$pid/status")"
        done
        # Not the host's: the init's pid namespace is not ours.
        [[ $(readlink "/proc/$pid/ns/pid") != $(readlink /proc/self/ns/pid) ]]
        # The exec'd process sees the container's processes only.
        run containerctl exec box /probe procs
        assert_line_eq "proc=1 probe"
}

@test "exec -t: a pty inside; exec -it: interactive shell, size, terminal restored" {
        run containerctl exec -t box /probe tty </dev/null
        assert_status 0
        [[ $output == *isatty0=1* && $output == *isatty1=1* ]]
        run ptydrive --rows 31 --cols 91 'expect:# ' 'send:stty size\r' 'expect:31 91\r\n' raw \
                resize:20x70 sleep:0.3 'send:stty size\r' 'expect:20 70\r\n' \
                'send:sleep 100\r' sleep:0.3 'send:\x03' 'expect:# ' 'send:exit 9\r' wait \
                -- containerctl exec -it box sh
        assert_pty_ok 9
}

@test "exec -d, exec ls, exec attach replays recent output, exec kill, exec rm" {
        local id
        id=$(containerctl exec -d -i box sh -c 'echo first; echo second >&2; read x; echo got-$x; sleep 1000')
        [[ -n $id ]]
        run containerctl exec ls box
        assert_status 0
        [[ $output == *"${id:0:12}"* ]]
        run exec_field "$id" .running
        assert_status 0
        [[ $output == true ]]
        # Re-attach: the replay comes first, then replay_end, then live output;
        # stdin of an exec started with -d -i is still open and reaches it.
        run stream exec.attach "{\"exec\":\"$id\"}" --dump --stdin $'hello\n' --timeout 3
        echo "$output"
        local before after
        before=$(sed -n '/replay_end/q;p' <<<"$output")
        after=$(sed -n '/replay_end/,$p' <<<"$output")
        [[ $after == *replay_end* ]]
        [[ $before == *"stdout "*"first"* ]]
        [[ $before == *"stderr 7 b'second\n'"* ]]
        [[ $after == *"stdout "*"got-hello"* ]]
        # The client left: the exec still runs.
        [[ $(exec_field "$id" .running) == true ]]
        run containerctl exec rm "$id"
        assert_error
        run containerctl exec kill -s KILL "$id"
        assert_status 0
        wait_until 5 exec_is "$id" '.running == false'
        [[ $(exec_field "$id" .exit_code) == 137 ]]
        # An exited exec still replays, then EXIT at once.
        run stream exec.attach "{\"exec\":\"$id\"}" --timeout 3
        assert_status 137
        [[ $output == *first* ]]
        run containerctl exec rm "$id"
        assert_status 0
        run containerctl exec inspect "$id"
        assert_error
        not grep -q "${id:0:12}" <<<"$(containerctl exec ls box)"
}

@test "exec rm -f removes a running exec; exec kill with a signal name" {
        local id
        id=$(containerctl exec -d box /probe sleep term-exit)
        wait_until 5 exec_is "$id" '.pid > 0'
        run containerctl exec kill -s TERM "$id"
        assert_status 0
        wait_until 5 exec_is "$id" '.running == false'
        [[ $(exec_field "$id" .exit_code) == 0 ]]
        containerctl exec rm "$id"
        id=$(containerctl exec -d box sleep 1000)
        run containerctl exec rm -f "$id"
        assert_status 0
        run containerctl exec inspect "$id"
        assert_error
}

@test "a client that disconnects does not kill its exec" {
        containerctl exec box rm -f /tmp/done
        containerctl exec box sh -c 'sleep 1; echo ok >/tmp/done' &
        local pid=$!
        sleep 0.3
        kill -KILL "$pid"
        wait "$pid" || true
        wait_until 5 containerctl exec box test -s /tmp/done
        run containerctl exec ls box
        echo "$output"
}

@test "exec attach of an unknown id, exec into a created or exited container: errors" {
        run containerctl exec attach 0123456789abcdef
        assert_error
        run containerctl exec kill 0123456789abcdef
        assert_error
        containerctl create --name ec busybox true >/dev/null
        run containerctl exec ec true
        assert_error
        [[ $output == *"not running"* ]]
        containerctl run --name ee busybox true
        run containerctl exec ee true
        assert_error
        [[ $output == *"not running"* ]]
        run containerctl exec no-such-container true
        assert_error
}

@test "exec stream over the API: stdout and stderr frames, EXIT carries the code" {
        run stream container.exec '{"container":"box","command":["sh","-c","echo o; echo e >&2; exit 4"]}' --dump
        echo "$output"
        [[ $output == *"stdout 2 b'o\\n'"* ]]
        [[ $output == *"stderr 2 b'e\\n'"* ]]
        [[ $output == *'exit'*'"exit_code":4'* || $output == *'exit'*'"exit_code": 4'* ]]
        run stream container.exec '{"container":"box","command":["no-such-cmd"]}'
        assert_status 1
        [[ $output == *'"exit_code": 127'* || $output == *'"exit_code":127'* ]]
}

@test "exec passthrough: same output as the framed path, stdout and stderr apart, exit codes" {
        local t=$BATS_TEST_TMPDIR cmd='echo out; echo err >&2; exit 3'
        run bash -c 'containerctl exec box sh -c "$2" >"$1/p.out" 2>"$1/p.err"' _ "$t" "$cmd"
        assert_status 3
        run bash -c 'containerctl exec --no-passthrough box sh -c "$2" >"$1/f.out" 2>"$1/f.err"' _ "$t" "$cmd"
        assert_status 3
        cmp "$t/p.out" "$t/f.out"
        cmp "$t/p.err" "$t/f.err"
        [[ $(cat "$t/p.out") == out && $(cat "$t/p.err") == err ]]
        for code in 0 1; do
                run bash -c 'containerctl exec box sh -c "exit $1" >/dev/null' _ "$code"
                assert_status "$code"
        done
        run bash -c 'containerctl exec box no-such-command >/dev/null'
        assert_status 127
        [[ $output == *no-such-command* ]]
        # stdin with -i goes straight to the process too.
        run bash -c 'echo data | containerctl exec -i box wc -c | tr -d " "'
        [[ $output == 5 ]]
}

@test "exec passthrough: 64 MiB through a pipe, exact; inspect says passthrough" {
        run bash -c 'containerctl exec box dd if=/dev/zero bs=1M count=64 2>/dev/null | wc -c'
        assert_status 0
        [[ $output == 67108864 ]]
        run bash -c 'containerctl exec box echo hi >/dev/null'
        id=$(containerctl exec ls -q box | tail -1)
        exec_is "$id" .passthrough
        containerctl exec rm "$id"
}

@test "exec passthrough: fds beyond 3, or without the param, are closed and refused" {
        run python3 - "$CTL_SOCK" <<'PY'
import json, os, socket, sys
def call(params, fds):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    line = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "container.exec", "params": params}) + "\n"
    socket.send_fds(s, [line.encode()], fds)
    reply = json.loads(s.makefile().readline())
    s.close()
    return reply
r, w = os.pipe()
four = call({"container": "box", "command": ["true"], "passthrough": True}, [w, w, w, w])
print("four", "error" in four)
extra = call({"container": "box", "command": ["true"], "detach": True}, [w, w])
print("extra", "result" in extra)
os.close(w)
# Every copy of w was closed by the daemon: EOF, not a hang.
print("eof", os.read(r, 1) == b"")
PY
        assert_status 0
        assert_line_eq "four True"
        assert_line_eq "extra True"
        assert_line_eq "eof True"
        containerctl exec ls -q box | xargs -r containerctl exec rm -f >/dev/null
}
