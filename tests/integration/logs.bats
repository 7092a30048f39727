#!/usr/bin/env bats
# logs: stdout/stderr kept apart, --tail, --since/--until, --timestamps,
# --follow (to the exit, and across rotation without losing or repeating a
# line), rotation bounded by the config defaults and per container, logs
# after the exit and after a daemon restart, back-pressure instead of
# memory growth. The daemon runs with small log defaults (CTL_DAEMON_CONFIG).

load helpers

CTL_DAEMON_CONFIG=$'log_max_size = 16384\nlog_max_files = 2'

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

log_path() {
        inspect_field "$1" .log_path
}

# create_rpc NAME MAX_SIZE MAX_FILES CMD...: container.create with log limits.
create_rpc() {
        local name=$1 size=$2 files=$3
        shift 3
        local cmd
        cmd=$(printf '%s\n' "$@" | jq -R . | jq -cs .)
        run rpc <<<"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"container.create\",\"params\":{\"image\":\"busybox\",\"name\":\"$name\",\"command\":$cmd,\"log_max_size\":$size,\"log_max_files\":$files}}"
        [[ $output == *'"result"'* ]] || { echo "$output" >&2; return 1; }
}

@test "logs: stdout and stderr stay apart, also after the exit" {
        containerctl run --name se busybox sh -c 'echo out1; echo err1 >&2; echo out2; printf no-newline' >/dev/null 2>&1
        run bash -c 'containerctl logs se 2>"$1"' _ "$BATS_TEST_TMPDIR/err"
        assert_status 0
        [[ $output == $'out1\nout2\nno-newline' ]]
        [[ $(cat "$BATS_TEST_TMPDIR/err") == err1 ]]
        # The file is in CRI format.
        grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+) stderr F err1$' "$(log_path se)"
}

@test "logs --tail N" {
        containerctl run --name tl busybox /probe seq 100 >/dev/null
        run containerctl logs --tail 3 tl
        [[ $output == $'seq=98\nseq=99\nseq=100' ]]
        run containerctl logs --tail 0 tl
        [[ -z $output ]]
        run containerctl logs --tail 1000 tl
        [[ $(wc -l <<<"$output") == 100 ]]
        run containerctl logs --tail -1 tl
        [[ $(wc -l <<<"$output") == 100 ]]
        run containerctl logs --tail x tl
        assert_error
}

@test "logs --timestamps prefixes RFC 3339 nano times, in order" {
        containerctl run --name ts busybox /probe seq 5 >/dev/null
        run containerctl logs --timestamps ts
        assert_status 0
        [[ $(grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]+(Z|[+-][0-9:]+) seq=[1-5]$' <<<"$output") == 5 ]]
        [[ $(cut -d' ' -f1 <<<"$output") == $(cut -d' ' -f1 <<<"$output" | sort) ]]
        run containerctl logs -t --tail 1 ts
        [[ $output == *" seq=5" ]]
}

@test "logs --since and --until (RFC 3339 and unix seconds)" {
        containerctl run -d --name su busybox sh -c 'echo early; sleep 2; echo late' >/dev/null
        wait_until 5 bash -c 'containerctl logs su | grep -q early'
        sleep 0.5
        local mid
        mid=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
        wait_until 10 state_is su exited
        run containerctl logs --since "$mid" su
        [[ $output == late ]]
        run containerctl logs --until "$mid" su
        [[ $output == early ]]
        run containerctl logs --since "$(($(date +%s) + 3600))" su
        [[ -z $output ]]
        run containerctl logs --since 1 --until "$(($(date +%s) + 3600))" su
        [[ $output == $'early\nlate' ]]
        run containerctl logs --since yesterday-ish su
        assert_error
}

@test "logs -f follows until the container exits" {
        containerctl run -d --name fo busybox /probe seq 20 50 >/dev/null
        run timeout 20 containerctl logs -f fo
        assert_status 0
        [[ $output == $(seq 1 20 | sed 's/^/seq=/') ]]
        # -f --tail on an exited container: the tail, then the end.
        run timeout 5 containerctl logs -f --tail 2 fo
        [[ $output == $'seq=19\nseq=20' ]]
}

@test "logs -f on a running container, started mid-way, sees new lines and ends at the exit" {
        containerctl run -d --name fm busybox sh -c 'echo one; sleep 1.5; echo two' >/dev/null
        wait_until 5 bash -c 'containerctl logs fm | grep -q one'
        run timeout 20 containerctl logs -f --tail 1 fm
        assert_status 0
        [[ $output == $'one\ntwo' ]]
}

@test "logs -f across rotation loses and repeats nothing" {
        # One line per ms (about 11 rotations a second): the follower must keep up
        # across every rotation. (At full speed with 4 KiB files a follower can
        # fall more than max_files behind; see the report.)
        create_rpc rot 4096 3 sh -c 'sleep 1; exec /probe seq 4000 1 err'
        containerctl start rot >/dev/null
        run timeout 60 containerctl logs -f rot
        assert_status 0
        local want
        want=$(seq 1 4000 | sed 's/^/seq=/')
        if [[ $output != "$want" ]]; then
                diff <(echo "$want") <(echo "$output") | head -20
                return 1
        fi
        # The log rotated and is bounded: at most 3 files of about 4 KiB.
        local p n
        p=$(log_path rot)
        n=$(ls "$p"* | wc -l)
        echo "files: $(ls -l "$p"*)"
        ((n >= 2 && n <= 3))
        for f in "$p"*; do
                (($(stat -c %s "$f") <= 4096 + 256))
        done
        # What is kept ends at the last line and has no gap.
        run containerctl logs rot
        [[ $(tail -n1 <<<"$output") == seq=4000 ]]
        local first
        first=$(head -n1 <<<"$output" | tr -dc 0-9)
        [[ $output == $(seq "$first" 4000 | sed 's/^/seq=/') ]]
}

# follow_burst NAME: follows NAME's log with stream.py (frames dumped, so a
# CONTROL "lost" notice is seen) and sets seqs (the seq=N numbers, one a
# line) and lost (how many lost notices came).
follow_burst() {
        run stream container.logs "{\"container\":\"$1\",\"follow\":true}" --dump --timeout 60
        assert_status 0
        [[ $(tail -n1 <<<"$output") == 'exit 15 {"exit_code":0}' ]]
        seqs=$(grep -oE "^stdout [0-9]+ b'seq=[0-9]+" <<<"$output" | sed 's/.*seq=//')
        lost=$(grep -cE '^control [0-9]+ \{"op":"lost","after":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z"\}$' <<<"$output" || true)
        [[ $(grep -c '^control' <<<"$output") == "$lost" ]]
}

@test "logs -f of a burst with 4 KiB files: all lines, or a lost notice and no repeat" {
        # 4000 lines at full speed, 80 lines a file, 3 files: about 50
        # rotations, many per write of the monitor. Every file is opened as
        # soon as inotify reports it; only more than 3 rotations between two
        # looks can lose lines, and then a CONTROL lost frame says so.
        create_rpc burst4k 4096 3 sh -c 'sleep 1; exec /probe seq 4000'
        containerctl start burst4k >/dev/null
        follow_burst burst4k
        echo "lost notices: $lost, lines: $(wc -l <<<"$seqs")"
        if ((lost == 0)); then
                [[ $seqs == $(seq 1 4000) ]]
        else
                # Strictly increasing, up to the last line.
                sort -n -c -u <<<"$seqs"
                [[ $(tail -n1 <<<"$seqs") == 4000 ]]
        fi
}

@test "logs -f of a burst with 64 KiB files loses nothing" {
        create_rpc burst64k 65536 3 sh -c 'sleep 1; exec /probe seq 4000'
        containerctl start burst64k >/dev/null
        follow_burst burst64k
        ((lost == 0))
        [[ $seqs == $(seq 1 4000) ]]
        # It did rotate.
        [[ -e $(log_path burst64k).1 ]]
}

@test "logs --timestamps: one timestamp per line, also for a line written in pieces" {
        containerctl run --name tsp busybox sh -c 'printf abc; sleep 0.3; printf def; sleep 0.3; echo ghi; echo err >&2' >/dev/null 2>&1
        # The log has P records for the pieces.
        [[ $(grep -c ' stdout P ' "$(log_path tsp)") == 2 ]]
        run bash -c 'containerctl logs -t tsp 2>/dev/null'
        assert_status 0
        [[ $output =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\ abcdefghi$ ]]
        # The line's time is that of its first piece.
        [[ ${output%% *} == $(head -n1 "$(log_path tsp)" | cut -d' ' -f1) ]]
        run bash -c 'containerctl logs -t tsp 2>&1 >/dev/null'
        [[ $output =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\ err$ ]]
}

@test "log rotation defaults come from the daemon config" {
        containerctl run --name dflt busybox /probe seq 5000 >/dev/null
        local p n
        p=$(log_path dflt)
        n=$(ls "$p"* | wc -l)
        echo "files: $(ls -l "$p"*)"
        ((n == 2))
        for f in "$p"*; do
                (($(stat -c %s "$f") <= 16384 + 256))
        done
        run containerctl logs --tail 1 dflt
        [[ $output == seq=5000 ]]
}

@test "log_max_size 0 is unbounded" {
        create_rpc unb 0 1 /probe seq 5000
        containerctl start unb >/dev/null
        wait_until 10 state_is unb exited
        run containerctl logs unb
        [[ $(wc -l <<<"$output") == 5000 ]]
        [[ $(ls "$(log_path unb)"* | wc -l) == 1 ]]
}

@test "logs remain readable after a daemon restart" {
        containerctl run --name rs busybox sh -c 'echo before-restart; echo e >&2' >/dev/null 2>&1
        containerctl run -d --name rr busybox sh -c 'echo running-one; sleep 1000' >/dev/null
        wait_until 5 bash -c 'containerctl logs rr | grep -q running-one'
        ctl_daemon_restart
        CTL_DAEMON_PID=$(cat "$TMP/daemon.pid")
        run bash -c 'containerctl logs rs 2>"$1"' _ "$BATS_TEST_TMPDIR/err"
        echo "$output"
        [[ $output == before-restart ]]
        [[ $(cat "$BATS_TEST_TMPDIR/err") == e ]]
        run containerctl logs rr
        [[ $output == running-one ]]
        containerctl rm -f rr rs >/dev/null
        # The fresh daemon has its own fd baseline.
        CTL_LEAK_DAEMON_FDS=$(ctl_fd_count "$CTL_DAEMON_PID")
}

@test "logs -f streams open at daemon shutdown are freed" {
        # Under a sanitizer build the daemon's exit runs the leak checker.
        containerctl run -d --name lfs busybox sh -c 'while :; do echo x; sleep 0.2; done' >/dev/null
        containerctl logs -f lfs >/dev/null 2>&1 &
        local p1=$!
        containerctl logs -f --tail 1 -t lfs >/dev/null 2>&1 &
        local p2=$!
        wait_until 5 bash -c "ls -l /proc/$CTL_DAEMON_PID/fd | grep -c inotify | grep -qx 2"
        local before
        before=$(grep -cE 'Sanitizer|runtime error' "$TMP/daemon.log" || true)
        ctl_daemon_stop
        # The followers see the connection end.
        wait_until 5 bash -c "! kill -0 $p1 2>/dev/null && ! kill -0 $p2 2>/dev/null"
        wait "$p1" "$p2" || true
        [[ $(grep -cE 'Sanitizer|runtime error' "$TMP/daemon.log" || true) == "$before" ]] || {
                tail -n 60 "$TMP/daemon.log"
                return 1
        }
        ctl_daemon_restart
        CTL_DAEMON_PID=$(cat "$TMP/daemon.pid")
        containerctl rm -f lfs >/dev/null
        CTL_LEAK_DAEMON_FDS=$(ctl_fd_count "$CTL_DAEMON_PID")
}

@test "a fast writer with nobody attached: the monitor's memory stays bounded" {
        containerctl run -d --name fast busybox yes 0123456789012345678901234567890123456789 >/dev/null
        wait_until 5 state_is fast running
        local mon r0 r1
        mon=$(ctl_monitor_pid fast)
        sleep 1
        r0=$(ctl_rss_kb "$mon")
        sleep 3
        r1=$(ctl_rss_kb "$mon")
        echo "monitor rss $r0 -> $r1 KiB; log files: $(ls -l "$(log_path fast)"*)"
        ((r1 - r0 < 8192))
        ((r1 < 65536))
        state_is fast running
}

@test "logs of an unknown container is an error" {
        run containerctl logs no-such-container
        assert_error
}
