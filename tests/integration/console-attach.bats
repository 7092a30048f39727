#!/usr/bin/env bats
# Attach: several attachers (output to all, input from any), attach to a
# container that is not running, a client killed mid-stream, a client that
# never reads (bounded memory, the container and other attachers go on),
# and bad frames. Every test ends with the per-test leak check.

load helpers

setup_file() {
        ctl_setup_file
        containerctl run --rm busybox true
}

setup() {
        ctl_leak_begin
}

teardown() {
        ctl_teardown
        ctl_leak_end
}

# Starts `containerctl attach $1` with stdin from a fifo kept open on fd $2
# of the test shell, output to $BATS_TEST_TMPDIR/$1.$2.{out,err}.
attach_fifo() {
        local c=$1 fd=$2 f=$BATS_TEST_TMPDIR/$1.$2
        mkfifo "$f.in"
        containerctl attach "$c" <"$f.in" >"$f.out" 2>"$f.err" &
        echo $! >"$f.pid"
        eval "exec $fd>\"$f.in\""
}

@test "two attachers both see the output; input from either reaches the container" {
        containerctl run -d -i --name two busybox sh >/dev/null
        wait_until 5 state_is two running
        attach_fifo two 7
        attach_fifo two 8
        local a=$BATS_TEST_TMPDIR/two.7 b=$BATS_TEST_TMPDIR/two.8
        sleep 0.5 # both attach requests reach the monitor
        echo 'echo from-a' >&7
        wait_until 5 grep -qx from-a "$a.out"
        wait_until 5 grep -qx from-a "$b.out"
        echo 'echo from-b; echo to-err >&2' >&8
        wait_until 5 grep -qx from-b "$a.out"
        wait_until 5 grep -qx from-b "$b.out"
        wait_until 5 grep -qx to-err "$a.err"
        grep -qx to-err "$b.err"
        not grep -q to-err "$a.out"
        echo 'exit 7' >&8
        local sa=0 sb=0
        wait "$(cat "$a.pid")" || sa=$?
        wait "$(cat "$b.pid")" || sb=$?
        exec 7>&- 8>&-
        echo "attacher statuses: $sa $sb"
        [[ $sa == 7 && $sb == 7 ]]
        wait_until 5 state_is two exited
}

@test "run with a slow reader: the attached client gets every byte" {
        run bash -c 'containerctl run --rm busybox dd if=/dev/zero bs=1M count=128 2>/dev/null | { sleep 1; wc -c; }; echo "status=${PIPESTATUS[0]}"'
        echo "$output"
        assert_line_eq 134217728
        assert_line_eq status=0
}

@test "a second attacher that never reads is dropped; the run client still gets every byte" {
        local d=$BATS_TEST_TMPDIR spid st=0 drops
        drops=$(grep -c "dropping attached client" "$TMP/daemon.log" || true)
        mkfifo "$d/go"
        # The container waits for a line on stdin, so the second attacher is
        # there before the output starts; the run client reads 2 s late.
        (containerctl run -i --name pr busybox sh -c 'read x; dd if=/dev/zero bs=1M count=128 2>/dev/null' \
                <"$d/go" 2>"$d/run.err" | { sleep 2; wc -c; } >"$d/count"; echo "${PIPESTATUS[0]}" >"$d/status") &
        exec 7>"$d/go"
        wait_until 10 state_is pr running
        python3 "$BATS_TEST_DIRNAME/stream.py" "$CTL_SOCK" container.attach '{"container":"pr","stdin":false}' \
                --no-read 60 >"$d/slow" &
        spid=$!
        wait_until 5 grep -q reply= "$d/slow"
        echo go >&7
        exec 7>&-
        wait_until 60 test -s "$d/status" || st=$?
        kill "$spid" 2>/dev/null || true
        wait "$spid" || true
        echo "count=$(cat "$d/count") status=$(cat "$d/status") stderr=$(cat "$d/run.err")"
        ((st == 0))
        [[ $(cat "$d/count") == 134217728 ]]
        [[ $(cat "$d/status") == 0 ]]
        # The attacher that never read was dropped (alone), it did not stall the container.
        (($(grep -c "dropping attached client" "$TMP/daemon.log") > drops))
        wait_until 5 state_is pr exited
}

@test "attach to a created or exited container is an error" {
        containerctl create --name cr busybox true >/dev/null
        run containerctl attach cr
        assert_error
        [[ $output == *"not running"* ]]
        containerctl run --name ex busybox true
        run containerctl attach ex
        assert_error
        [[ $output == *"not running"* ]]
        run containerctl attach no-such-container
        assert_error
        run stream container.attach '{"container":"ex"}'
        assert_status 1
        [[ $output == *'"conflict"'* ]]
}

@test "attach --no-stdin: output flows, input is not sent" {
        containerctl run -d -i --name ns busybox sh -c 'while read l; do echo got-$l; done; echo eof' >/dev/null
        wait_until 5 state_is ns running
        echo hello | timeout -s KILL 3 containerctl attach --no-stdin ns >"$BATS_TEST_TMPDIR/out" || true
        not grep -q got-hello "$BATS_TEST_TMPDIR/out"
        not grep -q eof "$BATS_TEST_TMPDIR/out"
        state_is ns running
}

@test "a client killed mid-stream: the container keeps running, nothing leaks" {
        containerctl run -d --name km busybox /probe seq 0 5 >/dev/null
        wait_until 5 state_is km running
        local mon dfds mfds i pid
        mon=$(ctl_monitor_pid km)
        dfds=$(ctl_fd_count "$CTL_DAEMON_PID")
        mfds=$(ctl_fd_count "$mon")
        for i in 1 2 3 4 5; do
                containerctl attach km >"$BATS_TEST_TMPDIR/out$i" 2>&1 &
                pid=$!
                wait_until 5 grep -q seq= "$BATS_TEST_TMPDIR/out$i"
                kill -KILL "$pid"
                wait "$pid" || true
        done
        wait_until 5 eval '(( $(ctl_fd_count "$mon") <= mfds ))'
        wait_until 5 eval '(( $(ctl_fd_count "$CTL_DAEMON_PID") <= dfds ))'
        state_is km running
        # And it still produces output: a new attacher gets new lines.
        local n1 n2
        n1=$(timeout -s KILL 1 containerctl attach km | tail -n1 | tr -dc 0-9) || true
        sleep 0.3
        n2=$(timeout -s KILL 1 containerctl attach km | tail -n1 | tr -dc 0-9) || true
        echo "seq $n1 -> $n2"
        ((n2 > n1))
}

@test "a client that never reads: bounded memory, the container and others go on" {
        containerctl run -d --name slow busybox sh -c 'yes 0123456789012345678901234567890123456789012345678901234567890123456789 & exec /probe seq 0 2' >/dev/null
        wait_until 5 state_is slow running
        local mon mrss0 drss0 mrss1 drss1 spid n1 n2
        mon=$(ctl_monitor_pid slow)
        sleep 1
        mrss0=$(ctl_rss_kb "$mon")
        drss0=$(ctl_rss_kb "$CTL_DAEMON_PID")
        # python3 itself in the background (not the `stream` function in a
        # subshell), so that $! is the process to kill.
        python3 "$BATS_TEST_DIRNAME/stream.py" "$CTL_SOCK" container.attach '{"container":"slow","stdin":false}' \
                --no-read 60 >"$BATS_TEST_TMPDIR/slow" &
        spid=$!
        wait_until 5 grep -q reply= "$BATS_TEST_TMPDIR/slow"
        n1=$(timeout -s KILL 2 containerctl attach --no-stdin slow | grep -ao 'seq=[0-9]*' | tail -n1 | tr -dc 0-9) || true
        sleep 4
        n2=$(timeout -s KILL 2 containerctl attach --no-stdin slow | grep -ao 'seq=[0-9]*' | tail -n1 | tr -dc 0-9) || true
        mrss1=$(ctl_rss_kb "$mon")
        drss1=$(ctl_rss_kb "$CTL_DAEMON_PID")
        echo "monitor rss ${mrss0} -> ${mrss1} KiB, daemon rss ${drss0} -> ${drss1} KiB, seq $n1 -> $n2"
        kill "$spid" 2>/dev/null || true
        wait "$spid" || true
        # Not stalled: the other attachers saw the container's output advance.
        [[ -n $n1 && -n $n2 ]]
        ((n2 > n1 + 100))
        # Bounded: neither grew by more than 16 MiB while the reader slept.
        ((mrss1 - mrss0 < 16384))
        ((drss1 - drss0 < 16384))
        state_is slow running
}

@test "bad frames close only that connection; the container and others carry on" {
        containerctl run -d -i --name bf busybox sh -c 'while read l; do echo got-$l; done' >/dev/null
        wait_until 5 state_is bf running
        local good=$BATS_TEST_TMPDIR/good
        mkfifo "$good.in"
        containerctl attach bf <"$good.in" >"$good.out" 2>&1 &
        local gpid=$!
        exec 7>"$good.in"
        sleep 0.3
        # unknown type 9; non-zero padding; length over 1 MiB
        for hex in 0900000000000000 0001000000000001ff 0000000000200000; do
                run stream container.attach '{"container":"bf"}' --raw-frame "$hex" --timeout 5
                echo "$hex: $output"
                [[ $status == 4 ]]
                [[ $output == *closed=noexit* ]]
        done
        echo one >&7
        wait_until 5 grep -qx got-one "$good.out"
        state_is bf running
        containerctl version >/dev/null
        exec 7>&-
        wait "$gpid" || true
}

@test "stdin EOF is an explicit close_stdin; the container sees EOF" {
        containerctl run -d -i --name eo busybox sh -c 'cat; echo after-eof; sleep 100' >/dev/null
        wait_until 5 state_is eo running
        # Frame boundaries carry no meaning: check the joined stdout, in order.
        run stream container.attach '{"container":"eo"}' --stdin 'abc' --close-stdin --timeout 3
        echo "$output"
        [[ $output == *"abcafter-eof"* ]]
}
