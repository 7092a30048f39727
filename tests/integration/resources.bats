#!/usr/bin/env bats
# Resources (issue 6): limits set at run and changed by update, enforced by
# the kernel (OOM kill, pids.max, CPU quota), read back by inspect; pause
# and unpause with the freezer; stats values; bad input changes nothing.
# Works on v2, hybrid and v1: cgroup files are found through
# /proc/<pid>/cgroup, whichever hierarchy holds the controller.

load helpers

# cg_file PID CONTROLLER V1_FILE V2_FILE: prints the path of the container's
# file for CONTROLLER (a v1 hierarchy carrying it, else the unified one).
cg_file() {
        local pid=$1 ctrl=$2 f1=$3 f2=$4 line path
        line=$(grep -E "^[0-9]+:([^:]*,)?$ctrl(,[^:]*)?:" "/proc/$pid/cgroup" | head -n1)
        if [[ -n $line ]]; then
                path=${line#*:*:}
                local mnt
                mnt=$(awk -v c="$ctrl" '$9 == "cgroup" && $NF ~ "(^|,)" c "(,|$)" { print $5; exit }' \
                        /proc/self/mountinfo)
                echo "$mnt$path/$f1"
                return
        fi
        line=$(grep '^0::' "/proc/$pid/cgroup")
        path=${line#0::}
        local mnt
        mnt=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
        echo "$mnt$path/$f2"
}

# The cpuset the kernel-refusal test narrowed: put back whatever happened
# ("FILE" "VALUE"; widening is always allowed).
CPUSET_RESTORE=()
teardown() {
        if ((${#CPUSET_RESTORE[@]})); then
                echo "${CPUSET_RESTORE[1]}" >"${CPUSET_RESTORE[0]}" || true
                CPUSET_RESTORE=()
        fi
        ctl_teardown
}

ctr_pid() {
        inspect_field "$1" .pid
}

oom_kills_at_least() {
        local n
        n=$(inspect_field "$1" '.state.oom_kills')
        [[ $n =~ ^[0-9]+$ ]] && ((n >= $2))
}

@test "limits given at run are in force and shown by inspect" {
        run containerctl run -d --name lim1 -m 64m --memory-swap 96m --memory-reservation 32m \
                --cpus 0.5 -c 512 --pids-limit 50 busybox sleep 1000
        assert_status 0
        wait_until 5 state_is lim1 running
        local pid
        pid=$(ctr_pid lim1)
        [[ $(cat "$(cg_file "$pid" memory memory.limit_in_bytes memory.max)") == 67108864 ]]
        [[ $(cat "$(cg_file "$pid" pids pids.max pids.max)") == 50 ]]
        run inspect_field lim1 '.resources | [.memory, .memory_swap, .pids_limit, .cpu_quota, .cpu_period] | @tsv'
        assert_status 0
        echo "resources: $output"
        [[ $output == $'67108864\t100663296\t50\t50000\t100000' ]]
        # v2 keeps shares as cpu.weight (1-10000): 512 reads back near it.
        local shares
        shares=$(inspect_field lim1 .resources.cpu_shares)
        echo "cpu_shares read back: $shares"
        ((shares >= 480 && shares <= 540))
        [[ $(inspect_field lim1 .config.limits.cpu_shares) == 512 ]]
        # The configured limits are kept with the container, also once exited.
        containerctl rm -f lim1 >/dev/null
}

@test "a process above --memory is OOM-killed and inspect reports it" {
        run containerctl run -d --name oom1 -m 16m --memory-swap 16m busybox \
                sh -c 'tail /dev/zero; sleep 1000'
        assert_status 0
        wait_until 30 oom_kills_at_least oom1 1
        # The container's own init survives: only the hog was killed.
        state_is oom1 running
        # The event, from the bus's past (until: a second ahead, so the
        # stream ends by itself).
        run timeout 10 containerctl events --since 0 --until "$(($(date +%s) + 1))" \
                --filter event=oom --filter container=oom1
        assert_status 0
        [[ $output == *oom* ]]
        containerctl rm -f oom1 >/dev/null
}

@test "an init killed for memory exits 137 with the OOM kill counted, oom before die" {
        # The init (sh) grows its command substitution until the kernel
        # kills it: the container ends at once and the monitor removes its
        # cgroup, so the count comes from the monitor's exit record.
        run containerctl run --name oom3 -m 16m --memory-swap 16m busybox \
                sh -c 'x=$(head -c 200m /dev/zero | tr "\0" a); echo ${#x}'
        [[ $status == 137 ]]
        [[ $(inspect_field oom3 .state.exit_code) == 137 ]]
        [[ $(inspect_field oom3 .state.oom_kills) -ge 1 ]]
        run timeout 10 containerctl events --since 0 --until "$(($(date +%s) + 1))" \
                --filter container=oom3 --format json
        assert_status 0
        [[ $(jq -r .action <<<"$output" | grep -E '^(oom|die)$' | tr '\n' ' ') == "oom die " ]]
        containerctl rm oom3 >/dev/null
}

@test "a fork bomb stops at --pids-limit" {
        containerctl run -d --name pids1 --pids-limit 20 busybox \
                sh -c '(i=0; while [ $i -lt 100 ]; do sleep 1000 & i=$((i+1)); done); sleep 1000' >/dev/null
        wait_until 5 state_is pids1 running
        local f max=0 n
        f=$(cg_file "$(ctr_pid pids1)" pids pids.current pids.current)
        [[ $(cat "${f%/*}/pids.max") == 20 ]]
        # The loop runs in a subshell that dies at the first failed fork,
        # giving one pid back: 19 or 20 once the limit was hit.
        reached() { [[ $(cat "$f") -ge 19 ]] && containerctl logs pids1 2>&1 | grep -q "can't fork"; }
        wait_until 10 reached
        for _ in 1 2 3 4 5 6 7 8 9 10; do
                n=$(cat "$f")
                ((n > max)) && max=$n
                sleep 0.1
        done
        echo "pids.current max $max"
        ((max <= 20))
        containerctl rm -f pids1 >/dev/null
}

# cpu_ns NAME: the container's CPU time so far, from stats --json.
cpu_ns() {
        containerctl stats --no-stream --json "$1" | jq -r '.cpu.usage_ns'
}

@test "a busy loop under --cpus 0.5 uses about half a core" {
        containerctl run -d --name cpu1 --cpus 0.5 busybox sh -c 'while :; do :; done' >/dev/null
        wait_until 5 state_is cpu1 running
        local c0 c1 t0 t1 ratio
        c0=$(cpu_ns cpu1)
        t0=$(date +%s%N)
        sleep 2
        c1=$(cpu_ns cpu1)
        t1=$(date +%s%N)
        ratio=$(((c1 - c0) * 1000 / (t1 - t0)))
        echo "cpu use: $ratio/1000 of a core"
        ((ratio >= 300 && ratio <= 700))
        containerctl rm -f cpu1 >/dev/null
}

@test "update changes the limits of a running container" {
        containerctl run -d --name up1 -m 64m --pids-limit 40 busybox sleep 1000 >/dev/null
        wait_until 5 state_is up1 running
        local pid
        pid=$(ctr_pid up1)
        run containerctl update -m 128m --memory-swap 256m --pids-limit 30 --cpus 1 up1
        assert_status 0
        [[ $(cat "$(cg_file "$pid" memory memory.limit_in_bytes memory.max)") == 134217728 ]]
        [[ $(cat "$(cg_file "$pid" pids pids.max pids.max)") == 30 ]]
        [[ $(inspect_field up1 .resources.memory) == 134217728 ]]
        [[ $(inspect_field up1 .config.limits.cpu_quota) == 100000 ]]
        # A value the kernel refuses or that makes no sense changes nothing.
        run containerctl update -m 4k up1
        assert_error
        [[ $output == *memory* ]]
        run containerctl update -m 512m --memory-swap 256m up1
        assert_error
        [[ $(cat "$(cg_file "$pid" memory memory.limit_in_bytes memory.max)") == 134217728 ]]
        [[ $(inspect_field up1 .config.limits.memory) == 134217728 ]]
        # Exited: refused, nothing changed.
        containerctl stop -t 0 up1 >/dev/null
        run containerctl update -m 256m up1
        assert_error
        [[ $output == *exited* ]]
        [[ $(inspect_field up1 .config.limits.memory) == 134217728 ]]
        containerctl rm up1 >/dev/null
}

# swap_limit_is PID TOTAL MEM: the kernel's swap file says memory + swap
# = TOTAL for a memory limit MEM (v1 memsw holds the total, v2 swap.max
# the swap alone).
swap_limit_is() {
        local f
        f=$(cg_file "$1" memory memory.memsw.limit_in_bytes memory.swap.max)
        if [[ $f == */memory.swap.max ]]; then
                [[ $(cat "$f") == $(($2 - $3)) ]]
        else
                [[ $(cat "$f") == "$2" ]]
        fi
}

@test "update --memory-swap alone or --memory alone keeps memory and swap a pair" {
        containerctl run -d --name sw1 -m 64m --memory-swap 128m busybox sleep 1000 >/dev/null
        wait_until 5 state_is sw1 running
        local pid f
        pid=$(ctr_pid sw1)
        f=$(cg_file "$pid" memory memory.memsw.limit_in_bytes memory.swap.max)
        [[ -e $f ]] || skip "no swap accounting: $f"
        # Swap alone: paired with the 64m in force (v2: swap.max 192m, not
        # 256m less an unset memory limit).
        run containerctl update --memory-swap 256m sw1
        assert_status 0
        [[ $(cat "$(cg_file "$pid" memory memory.limit_in_bytes memory.max)") == 67108864 ]]
        swap_limit_is "$pid" 268435456 67108864
        [[ $(inspect_field sw1 .resources.memory_swap) == 268435456 ]]
        [[ $(inspect_field sw1 .config.limits.memory_swap) == 268435456 ]]
        # Memory alone: the total stays what was asked last (v2: swap.max
        # follows, 256m - 100m).
        run containerctl update -m 100m sw1
        assert_status 0
        [[ $(cat "$(cg_file "$pid" memory memory.limit_in_bytes memory.max)") == 104857600 ]]
        swap_limit_is "$pid" 268435456 104857600
        [[ $(inspect_field sw1 .resources.memory_swap) == 268435456 ]]
        [[ $(inspect_field sw1 .resources.memory) == 104857600 ]]
        # Raising memory above the swap limit in force, and lowering both:
        # the order of the two writes must suit the kernel (v1).
        run containerctl update -m 300m --memory-swap 400m sw1
        assert_status 0
        swap_limit_is "$pid" 419430400 314572800
        run containerctl update -m 32m --memory-swap 48m sw1
        assert_status 0
        [[ $(cat "$(cg_file "$pid" memory memory.limit_in_bytes memory.max)") == 33554432 ]]
        swap_limit_is "$pid" 50331648 33554432
        # Swap alone below the memory in force: the daemon refuses it.
        run containerctl update --memory-swap 16m sw1
        assert_error
        [[ $output == *"memory-swap must be at least memory"* ]]
        [[ $(inspect_field sw1 .resources.memory_swap) == 50331648 ]]
        containerctl rm -f sw1 >/dev/null
        # Swap alone for a container without a memory limit: the daemon
        # says why, nothing changes.
        containerctl run -d --name sw2 busybox sleep 1000 >/dev/null
        wait_until 5 state_is sw2 running
        run containerctl update --memory-swap 256m sw2
        assert_error
        [[ $output == *"memory-swap needs a memory limit"* ]]
        [[ $(inspect_field sw2 .config.limits.memory_swap) == null ]]
        containerctl rm -f sw2 >/dev/null
}

@test "an OOM kill after update gave the first memory limit is counted and an oom event" {
        containerctl run -d --name oom2 busybox \
                sh -c 'while [ ! -e /tmp/go ]; do usleep 50000; done; tail /dev/zero; sleep 1000' >/dev/null
        wait_until 5 state_is oom2 running
        run containerctl update -m 16m --memory-swap 16m oom2
        assert_status 0
        containerctl exec oom2 touch /tmp/go
        wait_until 30 oom_kills_at_least oom2 1
        state_is oom2 running
        run timeout 10 containerctl events --since 0 --until "$(($(date +%s) + 1))" \
                --filter event=oom --filter container=oom2
        assert_status 0
        [[ $output == *" container oom "* ]]
        containerctl rm -f oom2 >/dev/null
}

@test "update changes reservation, cpu shares, cpuset and io weight live" {
        local cpu=0
        (($(nproc) >= 2)) && cpu=1
        containerctl run -d --name up3 -m 64m busybox sleep 1000 >/dev/null
        wait_until 5 state_is up3 running
        local pid f
        pid=$(ctr_pid up3)
        run containerctl update --memory-reservation 16m up3
        assert_status 0
        [[ $(cat "$(cg_file "$pid" memory memory.soft_limit_in_bytes memory.low)") == 16777216 ]]
        run containerctl update -c 256 up3
        assert_status 0
        f=$(cg_file "$pid" cpu cpu.shares cpu.weight)
        # v2: cpu.weight = 1 + (256 - 2) * 9999 / 262142 = 10.
        if [[ $f == */cpu.weight ]]; then
                [[ $(cat "$f") == 10 ]]
        else
                [[ $(cat "$f") == 256 ]]
        fi
        run containerctl update --cpuset-cpus "$cpu" --cpuset-mems 0 up3
        assert_status 0
        [[ $(cat "$(cg_file "$pid" cpuset cpuset.cpus cpuset.cpus)") == "$cpu" ]]
        [[ $(cat "$(cg_file "$pid" cpuset cpuset.mems cpuset.mems)") == 0 ]]
        run inspect_field up3 '.resources | [.memory_reservation, .cpuset_cpus, .cpuset_mems] | @tsv'
        [[ $output == $'16777216\t'"$cpu"$'\t0' ]]
        run containerctl update --blkio-weight 300 up3
        if [[ $status != 0 && $output == *"io weight"* ]]; then
                skip "no io weight file on this host: $output"
        fi
        assert_status 0
        # Read back from blkio.weight, blkio.bfq.weight, io.weight or
        # io.bfq.weight, whichever the kernel has (io.weight is converted).
        [[ $(inspect_field up3 .resources.blkio_weight) == 300 ]]
        [[ $(inspect_field up3 .config.limits.blkio_weight) == 300 ]]
        containerctl rm -f up3 >/dev/null
}

@test "a value the kernel refuses in update is an error and the old limits stay (v1 cpuset)" {
        # v1 wants a cpuset within its parent's; our daemon's cgroup parent
        # is ours to narrow. cgroup2 has no such rule (the effective set is
        # the intersection), and this test needs a second CPU.
        local root=/sys/fs/cgroup/cpuset
        [[ -e $root/cpuset.cpus ]] || skip "no v1 cpuset hierarchy"
        (($(nproc) >= 2)) || skip "one CPU"
        local d=$root$CTL_CGROUP_PARENT
        # v1 refuses to narrow a parent below a child's cpuset: no other
        # container of this file's daemon may be left (by a failed test).
        containerctl ps -a -q | xargs -r containerctl rm -f >/dev/null
        # A container's start creates the parent.
        containerctl run --rm busybox true >/dev/null
        [[ -d $d ]]
        CPUSET_RESTORE=("$d/cpuset.cpus" "$(cat "$d/cpuset.cpus")")
        echo 0 >"$d/cpuset.cpus"
        containerctl run -d --name kr1 -m 64m --pids-limit 40 busybox sleep 1000 >/dev/null
        wait_until 5 state_is kr1 running
        local pid
        pid=$(ctr_pid kr1)
        [[ $(cat "$(cg_file "$pid" cpuset cpuset.cpus cpuset.cpus)") == 0 ]]
        # Valid for the host, refused by the kernel at the last write, after
        # memory and pids were written: they get their old values back.
        run containerctl update -m 100m --pids-limit 30 --cpuset-cpus 1 kr1
        assert_error
        [[ $output == *"write 1 to \`"*"/cpuset.cpus\`"* ]]
        [[ $(cat "$(cg_file "$pid" memory memory.limit_in_bytes memory.max)") == 67108864 ]]
        [[ $(cat "$(cg_file "$pid" pids pids.max pids.max)") == 40 ]]
        [[ $(cat "$(cg_file "$pid" cpuset cpuset.cpus cpuset.cpus)") == 0 ]]
        [[ $(inspect_field kr1 '.config.limits | [.memory, .pids_limit, .cpuset_cpus] | tojson') == '[67108864,40,null]' ]]
        [[ $(inspect_field kr1 .resources.memory) == 67108864 ]]
        # The container still takes a valid update.
        run containerctl update --pids-limit 30 kr1
        assert_status 0
        [[ $(cat "$(cg_file "$pid" pids pids.max pids.max)") == 30 ]]
        containerctl rm -f kr1 >/dev/null
}

@test "update of a created container is used at its start" {
        containerctl create --name up2 busybox sleep 1000 >/dev/null
        run containerctl update --pids-limit 25 up2
        assert_status 0
        containerctl start up2 >/dev/null
        wait_until 5 state_is up2 running
        [[ $(cat "$(cg_file "$(ctr_pid up2)" pids pids.max pids.max)") == 25 ]]
        containerctl rm -f up2 >/dev/null
}

# The counter file (empty for a moment while the loop rewrites it: 0).
counter() {
        local v
        v=$(cat "$BATS_TEST_TMPDIR/out/c" 2>/dev/null)
        echo "${v:-0}"
}

counter_above() {
        (($(counter) > $1))
}

@test "pause stops progress, unpause resumes it; stop works while paused" {
        mkdir -p "$BATS_TEST_TMPDIR/out"
        containerctl run -d --name p1 -v "$BATS_TEST_TMPDIR/out:/out" busybox \
                sh -c 'i=0; while :; do i=$((i+1)); echo $i >/out/c; usleep 20000; done' >/dev/null
        wait_until 5 counter_above 2
        run containerctl pause p1
        assert_status 0
        [[ $(ctl_state p1) == paused ]]
        run containerctl ps
        [[ $output == *"(Paused)"* ]]
        run containerctl stats --no-stream --json p1
        [[ $(jq -r .state <<<"$output") == paused ]]
        local c0
        c0=$(counter)
        # Progress would show within a second (50 increments a second).
        sleep 1
        [[ $(counter) == "$c0" ]]
        # Pausing twice, unpausing what is not paused: conflicts.
        run containerctl pause p1
        assert_error
        [[ $output == *"already paused"* ]]
        # Exec into a paused container: a clear error, not a hang.
        run timeout 10 containerctl exec p1 true
        assert_error
        [[ $output == *"is paused"* ]]
        run containerctl unpause p1
        assert_status 0
        [[ $(ctl_state p1) == running ]]
        wait_until 5 counter_above "$c0"
        run containerctl unpause p1
        assert_error
        [[ $output == *"not paused"* ]]
        # A paused container still stops (it is thawed after the signal).
        containerctl pause p1 >/dev/null
        run timeout 10 containerctl stop -t 2 p1
        assert_status 0
        [[ $(ctl_state p1) == exited ]]
        run containerctl pause p1
        assert_error
        [[ $output == *"not running"* ]]
        containerctl rm p1 >/dev/null
}

@test "a paused container is still paused after a daemon restart" {
        containerctl run -d --name p2 busybox sleep 1000 >/dev/null
        wait_until 5 state_is p2 running
        containerctl pause p2 >/dev/null
        ctl_daemon_restart
        [[ $(ctl_state p2) == paused ]]
        containerctl unpause p2 >/dev/null
        [[ $(ctl_state p2) == running ]]
        containerctl rm -f p2 >/dev/null
}

@test "stats values move when the container works" {
        containerctl run -d --name st1 busybox sh -c 'while :; do :; done' >/dev/null
        containerctl run -d --name st2 busybox sleep 1000 >/dev/null
        wait_until 5 state_is st1 running
        local a b
        a=$(cpu_ns st1)
        wait_until 5 bash -c "(( \$(containerctl stats --no-stream --json st1 | jq -r .cpu.usage_ns) > $a ))"
        run containerctl stats --no-stream --json
        assert_status 0
        [[ $(jq -s 'length' <<<"$output") -ge 2 ]]
        b=$(jq -s -r '.[] | select(.name == "st1") | .cpu_percent' <<<"$output")
        echo "st1 cpu_percent $b"
        [[ ${b%.*} -ge 20 ]]
        [[ $(jq -s -r '.[] | select(.name == "st2") | .pids.current' <<<"$output") -ge 1 ]]
        [[ $(jq -s -r '.[] | select(.name == "st2") | .memory.usage' <<<"$output") -gt 0 ]]
        # The table (not a terminal: one sample).
        run containerctl stats st1 st2
        assert_status 0
        [[ ${lines[0]} == *"CONTAINER ID"*"CPU %"*"MEM USAGE / LIMIT"*"PIDS"* ]]
        [[ ${#lines[@]} -eq 3 ]]
        run containerctl stats --no-stream nosuchctr
        assert_error
        containerctl rm -f st1 st2 >/dev/null
}

@test "a stats stream follows a container until it exits" {
        containerctl run -d --name st3 busybox sleep 1000 >/dev/null
        wait_until 5 state_is st3 running
        timeout 20 containerctl stats --json st3 >"$BATS_TEST_TMPDIR/stream" &
        local bg=$!
        lines_at_least() { (($(wc -l <"$BATS_TEST_TMPDIR/stream") >= $1)); }
        wait_until 10 lines_at_least 2
        containerctl stop -t 0 st3 >/dev/null
        # The stream ends by itself once its container has exited.
        wait "$bg"
        containerctl rm st3 >/dev/null
}

@test "bad limits are clear errors and create nothing" {
        local before
        before=$(containerctl ps -a -q | wc -l)
        run containerctl run -d --memory 12q busybox true
        assert_status 125
        [[ $output == *"--memory '12q'"* ]]
        run containerctl run -d --memory 4k busybox true
        assert_status 125
        [[ $output == *memory* ]]
        run containerctl run -d --cpus 1000 busybox true
        assert_status 125
        [[ $output == *cpus* ]]
        run containerctl run -d --cpuset-cpus 999 busybox true
        assert_status 125
        [[ $output == *cpuset* ]]
        run containerctl run -d --pids-limit lots busybox true
        assert_status 125
        run containerctl update --memory 64m nosuchctr
        assert_error
        [[ $(containerctl ps -a -q | wc -l) == "$before" ]]
        # The daemon checks too, whatever the client sends.
        run rpc <<<'{"jsonrpc":"2.0","id":1,"method":"container.create","params":{"image":"busybox","limits":{"memory":"lots"}}}'
        [[ $output == *invalid_params* ]]
        run rpc <<<'{"jsonrpc":"2.0","id":1,"method":"container.create","params":{"image":"busybox","limits":{"bogus":1}}}'
        [[ $output == *"unknown limit"* ]]
        [[ $(containerctl ps -a -q | wc -l) == "$before" ]]
}

@test "negative sizes are clear errors; --memory-swap -1 is unlimited" {
        local before
        before=$(containerctl ps -a -q | wc -l)
        run containerctl run -d --memory -5m busybox true
        assert_status 125
        [[ $output == *"invalid --memory '-5m'"* ]]
        run containerctl run -d -m 64m --memory-swap -1g busybox true
        assert_status 125
        [[ $output == *"invalid --memory-swap '-1g'"*"or -1 for unlimited"* ]]
        run containerctl run -d --memory-reservation -1 busybox true
        assert_status 125
        [[ $output == *"invalid --memory-reservation '-1'"* ]]
        [[ $(containerctl ps -a -q | wc -l) == "$before" ]]
        containerctl run -d --name neg1 -m 64m --memory-swap -1 busybox sleep 1000 >/dev/null
        wait_until 5 state_is neg1 running
        [[ $(inspect_field neg1 .config.limits.memory_swap) == -1 ]]
        run containerctl update --memory -5m neg1
        assert_status 125
        [[ $output == *"invalid --memory '-5m'"* ]]
        run containerctl update --memory-swap -5m neg1
        assert_status 125
        [[ $output == *"invalid --memory-swap '-5m'"* ]]
        # The daemon refuses them too, whatever the client sends.
        run rpc <<<'{"jsonrpc":"2.0","id":1,"method":"container.update","params":{"container":"neg1","limits":{"memory_reservation":-5}}}'
        echo "$output"
        [[ $output == *'"error"'* ]]
        [[ $(inspect_field neg1 .config.limits.memory) == 67108864 ]]
        [[ $(inspect_field neg1 .config.limits.memory_swap) == -1 ]]
        [[ $(inspect_field neg1 .config.limits.memory_reservation) == null ]]
        containerctl rm -f neg1 >/dev/null
}
