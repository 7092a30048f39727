#!/usr/bin/env bats
# Interactive containers on a real pty (tests/pty/ptydrive.py): a shell with
# job control, Ctrl-C delivery, vi, detach keys (default, custom, none,
# prefix twice, held prefix, config file and env), re-attach, resize, and the
# local terminal restored on every exit path. Every test ends with the
# per-test leak check (helpers.bash: ctl_leak_end).

load helpers

setup_file() {
        ctl_setup_file
        # Warm-up: lazily opened daemon fds are not counted as leaks.
        containerctl run --rm busybox true
}

setup() {
        ctl_leak_begin
}

teardown() {
        ctl_teardown
        ctl_leak_end
}

PROMPT='/ # '

@test "run -it: a shell prompt, a command, the exit code, terminal restored" {
        run ptydrive "expect:$PROMPT" raw 'send:echo hel""lo\r' 'expect:\r\nhello\r\n' \
                'send:/probe tty\r' 'expect:isatty0=1.*isatty1=1.*isatty2=1' \
                'send:exit 3\r' wait -- containerctl run -it --rm busybox sh
        assert_pty_ok 3
}

@test "run -it: job control works (own foreground group, Ctrl-Z, fg, jobs)" {
        run ptydrive "expect:$PROMPT" \
                'send:/probe pgrp\r' 'expect:pgid=([0-9]+)\r\nsid=[0-9]+\r\ntpgid=\1\r\n' \
                'send:sleep 100 &\r' "expect:$PROMPT" 'send:jobs\r' 'expect:Running' \
                'send:sleep 200\r' sleep:0.5 'send:\x1a' 'expect:Stopped' \
                'send:jobs\r' 'expect:Stopped' 'send:fg %2\r' sleep:0.3 'send:\x03' "expect:$PROMPT" \
                'send:kill %1; echo k""illed\r' 'expect:killed' 'send:exit 0\r' wait \
                -- containerctl run -it --rm busybox sh
        assert_pty_ok 0
}

@test "run -it: Ctrl-C interrupts the foreground command, the shell survives" {
        run ptydrive "expect:$PROMPT" 'send:echo st""art; sleep 100\r' 'expect:start' sleep:0.3 \
                'send:\x03' "expect:$PROMPT" 'send:echo al""ive\r' 'expect:alive' \
                'send:exit 5\r' wait -- containerctl run -it --rm busybox sh
        assert_pty_ok 5
}

@test "run -it: vi edits a file" {
        run ptydrive "expect:$PROMPT" 'send:vi /tmp/f\r' 'expect:~' \
                'send:ihello from vi\x1b' sleep:0.2 'send::wq\r' "expect:$PROMPT" \
                'send:cat /tmp/f\r' 'expect:hello from vi\r\n' 'send:exit\r' wait \
                -- containerctl run -it --rm busybox sh
        assert_pty_ok 0
}

@test "detach with ctrl-p ctrl-q, the container keeps running, re-attach, exit" {
        run ptydrive "expect:$PROMPT" 'send:echo on""e\r' 'expect:one' 'send:\x10\x11' wait \
                -- containerctl run -it --name dt busybox sh
        assert_pty_ok 0
        state_is dt running
        run ptydrive 'send:echo tw""o\r' 'expect:two' 'send:\x10\x11' wait -- containerctl attach dt
        assert_pty_ok 0
        state_is dt running
        run ptydrive 'send:echo thr""ee\r' 'expect:three' 'send:exit 4\r' wait -- containerctl attach dt
        assert_pty_ok 4
        wait_until 5 state_is dt exited
        [[ $(inspect_field dt '.exit_code // .state.exit_code') == 4 ]]
}

@test "run -d -it then attach: input and output flow, detach" {
        containerctl run -d -it --name dd busybox sh >/dev/null
        wait_until 5 state_is dd running
        run ptydrive 'send:echo x""yz\r' 'expect:xyz' raw 'send:\x10\x11' wait -- containerctl attach dd
        assert_pty_ok 0
        state_is dd running
}

# A container that prints every byte it receives (probe rawread).
start_rawread() {
        containerctl run -d -it --name "$1" busybox /probe rawread >/dev/null
        wait_until 5 state_is "$1" running
        # Keys sent before rawread made its tty raw would be cooked (^Q eaten).
        wait_until 5 bash -c "containerctl logs $1 | grep -q rawread=ready"
}

@test "custom --detach-keys: the default keys pass through, the custom ones detach" {
        start_rawread rk
        run ptydrive 'send:a' 'expect:byte=61' 'send:\x10\x11' 'expect:byte=10\r\nbyte=11' \
                'send:\x18x' wait -- containerctl attach --detach-keys ctrl-x,x rk
        assert_pty_ok 0
        state_is rk running
        # Single plain-character keys work too.
        run ptydrive 'send:b' 'expect:byte=62' 'send:Z' wait -- containerctl attach --detach-keys Z rk
        assert_pty_ok 0
        state_is rk running
}

@test "--detach-keys none: ctrl-p ctrl-q reach the container, no detach" {
        start_rawread rn
        run ptydrive 'send:a' 'expect:byte=61' 'send:\x10\x11' 'expect:byte=10\r\nbyte=11' 'send:q' wait \
                -- containerctl attach --detach-keys none rn
        assert_pty_ok 0
        wait_until 5 state_is rn exited
}

@test "detach prefix twice sends one literal prefix; a held prefix passes after 500 ms" {
        start_rawread rp
        run ptydrive 'send:a' 'expect:byte=61' 'send:\x10\x10' 'send:z' 'expect:byte=10\r\nbyte=7a\r\n' \
                'send:\x10' sleep:1 'expect:byte=10\r\n' \
                'send:\x10a' 'expect:byte=10\r\nbyte=61\r\n' \
                'send:\x10\x11' sleep:0.5 wait -- containerctl attach rp
        assert_pty_ok 0
        # Exactly the bytes above reached the container, nothing else.
        run grep -c '^byte=10' <(tr -d '\r' <"$BATS_TEST_TMPDIR/pty.log")
        [[ $output == 3 ]]
        state_is rp running
}

@test "detach keys from env and config file; flag > env > user file > system default" {
        start_rawread rc
        mkdir -p "$BATS_TEST_TMPDIR/xdg/containerctl"
        echo 'detach_keys = ctrl-y' >"$BATS_TEST_TMPDIR/xdg/containerctl/containerctl.conf"
        run env XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/xdg" python3 "$CTL_SRCDIR/tests/pty/ptydrive.py" \
                'send:a' 'expect:byte=61' 'send:\x10\x11' 'expect:byte=10\r\nbyte=11' 'send:\x19' wait \
                -- containerctl attach rc
        assert_pty_ok 0
        run env XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/xdg" CONTAINERCTL_DETACH_KEYS=ctrl-x \
                python3 "$CTL_SRCDIR/tests/pty/ptydrive.py" \
                'send:a' 'expect:byte=61' 'send:\x19' 'expect:byte=19' 'send:\x18' wait -- containerctl attach rc
        assert_pty_ok 0
        run env XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/xdg" CONTAINERCTL_DETACH_KEYS=ctrl-x \
                python3 "$CTL_SRCDIR/tests/pty/ptydrive.py" \
                'send:a' 'expect:byte=61' 'send:\x18' 'expect:byte=18' 'send:w' wait \
                -- containerctl attach --detach-keys w rc
        assert_pty_ok 0
        state_is rc running
}

@test "an unknown detach-keys spec is an error, nothing is attached" {
        containerctl run -d -it --name bad busybox sh >/dev/null
        run containerctl attach --detach-keys ctrl-foo bad
        assert_error
        [[ $output == *detach* ]]
        run env CONTAINERCTL_DETACH_KEYS=ctrl-,x containerctl attach bad
        assert_error
        state_is bad running
}

@test "resize: initial size and SIGWINCH are seen by stty size inside" {
        run ptydrive --rows 30 --cols 100 "expect:$PROMPT" 'send:stty size\r' 'expect:30 100\r\n' \
                resize:40x132 sleep:0.3 'send:stty size\r' 'expect:40 132\r\n' \
                resize:25x81 sleep:0.3 'send:/probe winsize\r' 'expect:rows=25\r\ncols=81' \
                'send:exit\r' wait -- containerctl run -it --rm busybox sh
        assert_pty_ok 0
}

@test "attach sends the attacher's size" {
        containerctl run -d -it --name rs busybox sh >/dev/null
        wait_until 5 state_is rs running
        run ptydrive --rows 33 --cols 77 'send:stty size\r' 'expect:33 77\r\n' 'send:\x10\x11' wait \
                -- containerctl attach rs
        assert_pty_ok 0
}

@test "terminal restored after SIGTERM and SIGHUP to the client" {
        run ptydrive "expect:$PROMPT" raw signal:TERM wait -- containerctl run -it --rm --name st busybox sh
        echo "$output"
        grep -qx steps=ok <<<"$output"
        grep -qx termios=restored <<<"$output"
        containerctl rm -f st >/dev/null 2>&1 || true
        containerctl run -d -it --name sh1 busybox sh >/dev/null
        wait_until 5 state_is sh1 running
        run ptydrive 'send:echo u""p\r' 'expect:up' raw signal:HUP wait -- containerctl attach sh1
        echo "$output"
        grep -qx steps=ok <<<"$output"
        grep -qx termios=restored <<<"$output"
}

@test "terminal restored when the command does not exist (exit 127)" {
        run ptydrive wait -- containerctl run -it --rm busybox no-such-command
        assert_pty_ok 127
}

@test "run -t without a tty on stdin: the container still gets a pty, no raw mode needed" {
        run containerctl run -t --rm busybox /probe tty </dev/null
        assert_status 0
        [[ $output == *isatty0=1* && $output == *isatty1=1* && $output == *isatty2=1* ]]
}

@test "run without -t: no tty inside, stdout and stderr apart" {
        run bash -c 'containerctl run --rm busybox sh -c "echo out; echo err >&2; /probe tty" 2>"$1"' _ \
                "$BATS_TEST_TMPDIR/err"
        assert_status 0
        [[ $(head -n1 <<<"$output") == out && $output == *isatty1=0* ]]
        [[ $(cat "$BATS_TEST_TMPDIR/err") == err ]]
}
