#!/usr/bin/env bats
# Import crash safety and concurrency (issue 4, scope 3 and 7): kill -9 of
# the daemon at different moments of an import of a ~40 MB, 3-layer image
# leaves either no image or a complete one that runs, the next start removes
# every partial leftover, and the import then succeeds with the same id.
# Concurrent imports of images sharing a layer unpack it once; parallel
# imports of one archive make one image and one layer dir per layer.

load helpers

MKHOSTILE() {
        python3 "$BATS_TEST_DIRNAME/mkhostile.py" "$@"
}

# The daemon is killed on purpose here: disowned, bash does not print a
# "Killed" job report for it (it still reaps it).
start_daemon() {
        ctl_daemon_start
        disown "$CTL_DAEMON_PID" 2>/dev/null || true
}

setup_file() {
        ctl_setup_file
        disown "$CTL_DAEMON_PID" 2>/dev/null || true
        local d=$BATS_FILE_TMPDIR busybox
        busybox=$CTL_IMAGE_TAR
        # ~37 MB of gzip (random data: it does not compress), 3 layers.
        MKHOSTILE image "$d/crash" --archive "$d/crash.tar" --busybox "$busybox" \
                --layer seed=c1,files=1000,size=8192,big=4194304,marker=1 \
                --layer seed=c2,files=1000,size=8192,big=4194304,marker=2 \
                --layer seed=c3,files=1000,size=8192,big=4194304,marker=top-crash >"$d/crash.json"
        # Two images on one ~25 MB base layer.
        MKHOSTILE image "$d/shared-a" --busybox "$busybox" \
                --layer seed=base,files=1500,size=8192,big=12582912,marker=base \
                --layer seed=a,files=10,size=100,marker=top-a >"$d/shared-a.json"
        MKHOSTILE image "$d/shared-b" --busybox "$busybox" \
                --layer seed=base,files=1500,size=8192,big=12582912,marker=base \
                --layer seed=b,files=10,size=100,marker=top-b >"$d/shared-b.json"
        MKHOSTILE image "$d/same" --archive "$d/same.tar" --busybox "$busybox" \
                --layer seed=s1,files=300,size=8192,big=1048576,marker=1 \
                --layer seed=s2,files=300,size=8192,big=1048576,marker=2 \
                --layer seed=s3,files=300,size=8192,big=1048576,marker=top-same >"$d/same.json"
        # A raw image.import client that keeps every progress notification.
        cat >"$d/import.py" <<'EOF'
import json, socket, sys
sock, path, name, tag, out = sys.argv[1:6]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sock)
req = {"jsonrpc": "2.0", "id": 1, "method": "image.import",
       "params": {"path": path, "name": name, "tag": tag}}
s.sendall(json.dumps(req).encode() + b"\n")
buf = b""
with open(out, "w") as f:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            f.write("connection closed\n")
            sys.exit(2)
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            f.write(line.decode() + "\n")
            f.flush()
            msg = json.loads(line)
            if msg.get("id") == 1:
                sys.exit(0 if "result" in msg else 1)
EOF
}

# A test that failed between a kill and the restart leaves no daemon.
setup() {
        local pid
        pid=$(cat "$TMP/daemon.pid" 2>/dev/null) || true
        if [[ -z $pid ]] || ctl_pid_gone "$pid"; then
                start_daemon
        fi
}

# Kills only what this file started: background clients, then (teardown)
# the daemon through helpers.
teardown() {
        local p
        for p in ${BG_PIDS:-}; do
                kill -KILL "$p" 2>/dev/null || true
                wait "$p" 2>/dev/null || true
        done
        BG_PIDS=
        ctl_teardown
}

field() {
        jq -r "$2" "$BATS_FILE_TMPDIR/$1.json"
}

daemon_pid() {
        cat "$TMP/daemon.pid"
}

# kill -9 of the daemon, waiting until it is gone (it may be a zombie of
# the process that started it until that one reaps it).
kill_daemon() {
        local pid
        pid=$(daemon_pid)
        kill -KILL "$pid"
        wait_until 10 ctl_pid_gone "$pid"
        wait "$pid" 2>/dev/null || true
        rm -f "$TMP/daemon.pid"
}

# The full id (hex) of image $1.
image_id() {
        containerctl image inspect "$1" | jq -r 'if type == "array" then .[0] else . end | .id | ltrimstr("sha256:")'
}

image_list_json() {
        containerctl image list --json | jq -c '(if type == "array" then . else .images end)'
}

# Top-level entries of the store's layer and image dirs.
store_entries() {
        (cd "$TMP/root" && find layers images -mindepth 1 -maxdepth 1 | sort)
}

store_tmp() {
        find "$TMP/root" -maxdepth 3 -name '.tmp-*' -print 2>/dev/null
}

no_store_tmp() {
        [[ -z $(store_tmp) ]]
}

# Log lines of the daemon since byte offset $1 matching $2 (grep -E).
log_since() {
        tail -c +$(($1 + 1)) "$TMP/daemon.log" | grep -E -- "$2" || true
}

log_count() {
        log_since "$1" "$2" | wc -l
}

log_has() {
        (($(log_count "$1" "$2") >= $3))
}

# The store after a restart: every committed layer and image is complete,
# crash:1 is either absent or complete and runnable.
check_after_crash() {
        local list id d got want
        wait_until 10 no_store_tmp || { echo "left after restart: $(store_tmp)"; return 1; }
        for d in "$TMP"/root/layers/*/; do
                [[ -d $d ]] || continue
                [[ -f $d/layer.json && -d $d/diff ]] || { echo "incomplete layer $d: $(ls -a "$d")"; return 1; }
        done
        for d in "$TMP"/root/images/*/; do
                [[ -d $d ]] || continue
                [[ -f $d/image.json ]] || { echo "incomplete image $d: $(ls -a "$d")"; return 1; }
        done
        list=$(image_list_json)
        id=$(jq -r '.[] | select(.refs | index("crash:1")) | .id' <<<"$list")
        if [[ -n $id ]]; then
                [[ ${id#sha256:} == "$(field crash .id)" ]] || { echo "crash:1 has id $id"; return 1; }
                got=$(containerctl image inspect crash:1 |
                        jq -c 'if type == "array" then .[0] else . end | [.layers[].diff_id | ltrimstr("sha256:")]')
                want=$(field crash .diff_ids | jq -c .)
                [[ $got == "$want" ]] || { echo "crash:1 has layers $got, not $want"; return 1; }
                run containerctl run --rm crash:1 cat /marker
                [[ $status -eq 0 && $output == top-crash ]] || { echo "crash:1 does not run: $status $output"; return 1; }
                echo present
        else
                echo absent
        fi
}

# crash_once SRC WHEN TRIGGER...: imports crash:1 in the background (from
# the layout or the archive), kills the daemon once TRIGGER returns (it gets
# the log offset as its last argument), restarts it and checks the store.
crash_once() {
        local src=$1 when=$2 off ipid outcome
        shift 2
        off=$(stat -c %s "$TMP/daemon.log")
        containerctl image import "$src" crash:1 >"$BATS_TEST_TMPDIR/import.out" 2>&1 3>&- &
        ipid=$!
        BG_PIDS="$ipid"
        "$@" "$off" || true
        kill_daemon
        wait "$ipid" || true
        BG_PIDS=
        echo "# ${src##*/}, kill -9 $when; the client said: $(tr '\n' ' ' <"$BATS_TEST_TMPDIR/import.out" | cut -c1-200)" >&3
        echo "# log: $(log_count "$off" ': unpacking ') unpacking, $(log_count "$off" ': unpacked ') unpacked" >&3
        start_daemon
        outcome=$(check_after_crash) || { echo "$outcome"; return 1; }
        echo "# image after restart: $outcome" >&3
        # The import works again, with the same id, and runs.
        run containerctl image import "$src" crash:1
        assert_status 0
        [[ $(image_id crash:1) == "$(field crash .id)" ]] || { echo "re-import gave id $(image_id crash:1)"; return 1; }
        run containerctl run --rm crash:1 cat /marker
        assert_status 0
        [[ $output == top-crash ]]
        # Back to the state before: image and layers gone.
        containerctl image rm crash:1 >/dev/null
        containerctl image prune >/dev/null
        [[ $(store_entries) == "$BASELINE" ]] || {
                echo "store after rm + prune differs from before:"
                diff <(echo "$BASELINE") <(store_entries)
                return 1
        }
}

sleep_ms() {
        sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
}

after_ms() {
        sleep_ms "$KILL_MS"
}

after_log() {
        wait_until 30 log_has "$1" "$LOG_RE" "$LOG_N"
}

@test "kill -9 at any moment of an import: no image or a complete one, nothing left over" {
        local t0 t1 ms i frac src
        BASELINE=$(store_entries)
        # One clean import first: its duration sets the kill times.
        t0=$(now_ms)
        run containerctl image import "$BATS_FILE_TMPDIR/crash" crash:1
        t1=$(now_ms)
        assert_status 0
        [[ $(image_id crash:1) == "$(field crash .id)" ]]
        ms=$((t1 - t0))
        echo "# a full import takes $ms ms" >&3
        containerctl image rm crash:1 >/dev/null
        containerctl image prune >/dev/null
        [[ $(store_entries) == "$BASELINE" ]]

        # Timed kills from the start to just past the end, alternating the
        # layout and the archive (which is read into the store first).
        i=0
        for frac in 0 10 30 50 70 90 110; do
                src=$BATS_FILE_TMPDIR/crash
                ((i % 2)) && src=$BATS_FILE_TMPDIR/crash.tar
                KILL_MS=$((ms * frac / 100))
                crash_once "$src" "after $KILL_MS ms" after_ms
                i=$((i + 1))
        done
        # Kills at the layer steps: as the first unpack starts, after each
        # layer is unpacked (before, between and after layer commits).
        LOG_RE=': unpacking ' LOG_N=1
        crash_once "$BATS_FILE_TMPDIR/crash" "as the first layer starts unpacking" after_log
        LOG_RE=': unpacked '
        for LOG_N in 1 2 3; do
                src=$BATS_FILE_TMPDIR/crash
                ((LOG_N % 2)) && src=$BATS_FILE_TMPDIR/crash.tar
                crash_once "$src" "once layer $LOG_N is unpacked" after_log
        done
}

@test "two imports sharing a base layer unpack it once" {
        local off base blob pa pb st_a=0 st_b=0 d=$BATS_FILE_TMPDIR
        base=$(field shared-a '.diff_ids[0]')
        blob=$(field shared-a '.digests[0]')
        [[ $base == "$(field shared-b '.diff_ids[0]')" ]]
        off=$(stat -c %s "$TMP/daemon.log")
        python3 "$d/import.py" "$CTL_SOCK" "$d/shared-a" shared-a 1 "$BATS_TEST_TMPDIR/a.out" 3>&- &
        pa=$!
        python3 "$d/import.py" "$CTL_SOCK" "$d/shared-b" shared-b 1 "$BATS_TEST_TMPDIR/b.out" 3>&- &
        pb=$!
        BG_PIDS="$pa $pb"
        wait "$pa" || st_a=$?
        wait "$pb" || st_b=$?
        BG_PIDS=
        echo "a: $(tail -n 1 "$BATS_TEST_TMPDIR/a.out")"
        echo "b: $(tail -n 1 "$BATS_TEST_TMPDIR/b.out")"
        [[ $st_a -eq 0 && $st_b -eq 0 ]]
        log_since "$off" "layer sha256:[0-9a-f]+: unpacking"
        # The contract allows the diff_id or the blob digest in that line.
        [[ $(log_count "$off" "layer sha256:($base|$blob): unpacking") -eq 1 ]]
        # Base layer statuses each import reported.
        local sa sb
        sa=$(jq -r --arg d "sha256:$(field shared-a '.digests[0]')" \
                'select(.method == "image.import.progress" and .params.digest == $d) | .params.status' \
                "$BATS_TEST_TMPDIR/a.out" | uniq | tr '\n' ' ')
        sb=$(jq -r --arg d "sha256:$(field shared-b '.digests[0]')" \
                'select(.method == "image.import.progress" and .params.digest == $d) | .params.status' \
                "$BATS_TEST_TMPDIR/b.out" | uniq | tr '\n' ' ')
        echo "base layer statuses: a: $sa; b: $sb"
        [[ " $sa $sb " == *" waiting "* || " $sa $sb " == *" exists "* ]]
        # Exactly one of them unpacked it.
        local unpackers=0
        [[ " $sa " == *" unpacking "* ]] && unpackers=$((unpackers + 1))
        [[ " $sb " == *" unpacking "* ]] && unpackers=$((unpackers + 1))
        ((unpackers == 1))
        run containerctl run --rm shared-a:1 cat /marker
        assert_status 0
        [[ $output == top-a ]]
        run containerctl run --rm shared-b:1 cat /marker
        assert_status 0
        [[ $output == top-b ]]
        # One layer dir for the base, shared.
        [[ $(containerctl image inspect shared-a:1 | jq -r 'if type == "array" then .[0] else . end | .layers[0].dir') == \
                $(containerctl image inspect shared-b:1 | jq -r 'if type == "array" then .[0] else . end | .layers[0].dir') ]]
        [[ -z $(store_tmp) ]]
}

@test "four parallel imports of one archive: one image, each layer unpacked once" {
        local off before after p pids="" st=0 i id h
        before=$(find "$TMP/root/layers" -mindepth 1 -maxdepth 1 -not -name '.tmp-*' | wc -l)
        off=$(stat -c %s "$TMP/daemon.log")
        for i in 1 2 3 4; do
                containerctl image import "$BATS_FILE_TMPDIR/same.tar" same:1 \
                        >"$BATS_TEST_TMPDIR/same-$i.out" 2>&1 3>&- &
                pids+="$! "
        done
        BG_PIDS=$pids
        for p in $pids; do
                wait "$p" || st=$?
        done
        BG_PIDS=
        cat "$BATS_TEST_TMPDIR"/same-*.out
        [[ $st -eq 0 ]]
        id=$(field same .id)
        [[ $(image_id same:1) == "$id" ]]
        run image_list_json
        [[ $(jq --arg id "$id" '[.[] | select((.id | ltrimstr("sha256:")) == $id)] | length' <<<"$output") -eq 1 ]]
        [[ $(jq -c --arg id "$id" '.[] | select((.id | ltrimstr("sha256:")) == $id) | .refs' <<<"$output") == '["same:1"]' ]]
        after=$(find "$TMP/root/layers" -mindepth 1 -maxdepth 1 -not -name '.tmp-*' | wc -l)
        echo "layer dirs: $before -> $after"
        [[ $after -eq $((before + 3)) ]]
        for i in 0 1 2; do
                h=$(field same ".diff_ids[$i]")
                [[ -d $TMP/root/layers/$h/diff ]]
                [[ $(log_count "$off" "layer sha256:($h|$(field same ".digests[$i]")): unpacking") -eq 1 ]]
        done
        wait_until 10 no_store_tmp
        run containerctl run --rm same:1 cat /marker
        assert_status 0
        [[ $output == top-same ]]
}
