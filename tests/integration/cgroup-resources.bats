#!/usr/bin/env bats
# The cgroup resources back-end (daemon/cgroup/{limits,stats,freeze,oom}.c)
# against the real kernel, driven by tests/cgroup/cgroup-tool, on whatever
# layout the host has: hybrid here, pure v2 in the VM (tests/vm/run-vm.sh).
# No daemon: each test gets a cgroup <parent>/tN of a unique parent
# /ctltest-res-<pid>-<random>, removed with everything in it in teardown,
# and the parent in teardown_file, in every hierarchy.

bats_require_minimum_version 1.5.0
load helpers

TOOL=${CTL_RES_TOOL:-$CTL_BUILDDIR/tests/cgroup/cgroup-tool}
MiB=1048576

setup_file() {
        if [[ ! -x $TOOL && -r /ctlvm.env ]]; then
                # The test VM copies only the daemon, CLI and monitor to its
                # tmpfs; the tool is in the build dir shared over 9p.
                cp "$(. /ctlvm.env && echo "$CTLVM_BUILDDIR")/tests/cgroup/cgroup-tool" "$BATS_FILE_TMPDIR/" &&
                        TOOL=$BATS_FILE_TMPDIR/cgroup-tool
                export CTL_RES_TOOL=$TOOL
        fi
        [[ -x $TOOL ]] || {
                echo "build tests/cgroup/cgroup-tool first (make all)" >&2
                return 1
        }
        CTL_RES_PARENT=/ctltest-res-$$-$RANDOM
        CTL_RES_MODE=$("$TOOL" mode | jq -r .mode)
        export CTL_RES_PARENT CTL_RES_MODE
}

teardown_file() {
        local h left=
        [[ -n ${CTL_RES_PARENT:-} ]] || return 0
        "$TOOL" destroy "$CTL_RES_PARENT" >/dev/null || true
        for h in $(ctl_cgroup_roots); do
                [[ -e $h${CTL_RES_PARENT#/} ]] && left+=" $h${CTL_RES_PARENT#/}"
        done
        [[ -z $left ]] || {
                echo "cgroups left behind:$left" >&2
                return 1
        }
}

setup() {
        CG=$CTL_RES_PARENT/t$BATS_TEST_NUMBER
        PIDS=$BATS_TEST_TMPDIR/pids
        : >"$PIDS"
        "$TOOL" create "$CG" >/dev/null
}

teardown() {
        local pid
        while read -r pid; do
                kill -KILL "$pid" 2>/dev/null || true
        done <"$PIDS"
        # Kills what is left in the cgroup (only processes this test put
        # there) and removes it in every hierarchy.
        "$TOOL" destroy "$CG" >/dev/null
}

# bg CMD...: runs CMD in $CG in the background (its pid recorded for the
# teardown), with bats' fd 3 closed so bats does not wait for it.
bg() {
        "$TOOL" exec "$CG" "$@" </dev/null >/dev/null 2>&1 3>&- &
        echo $! >>"$PIDS"
}

# cgfile V1_CONTROLLER FILE: the file of $CG in the hierarchy that carries
# the controller (v1 dir on hybrid, the one cgroup2 dir on unified).
cgfile() {
        if [[ $CTL_RES_MODE == unified ]]; then
                echo "/sys/fs/cgroup$CG/$2"
        else
                echo "/sys/fs/cgroup/$1$CG/$2"
        fi
}

limit() {
        "$TOOL" read "$CG" | jq -r ".\"$1\""
}

stat_of() {
        "$TOOL" stats "$CG" | jq -r ".$1"
}

# stat_above KEY N: the counter is above N now (re-read on every call, for
# wait_until).
stat_above() {
        local v
        v=$(stat_of "$1")
        ((v > $2))
}

# apply_or_skip ARGS...: skips the test if the host lacks the controller or
# file (cgroup-tool exits 3 on EOPNOTSUPP), fails on any other error.
apply_or_skip() {
        run "$TOOL" apply "$CG" "$@"
        if ((status == 3)); then
                skip "$output"
        fi
        [[ $status == 0 ]] || {
                echo "$output" >&2
                return 1
        }
}

@test "the layout is detected and the cgroup exists in every hierarchy in use" {
        [[ $CTL_RES_MODE == unified || $CTL_RES_MODE == hybrid || $CTL_RES_MODE == legacy ]]
        [[ -d $(cgfile memory .) ]]
        [[ -d $(cgfile pids .) ]]
}

@test "on cgroup2 the parent enables the limit controllers for the container's cgroup" {
        [[ $CTL_RES_MODE == unified ]] || skip "controllers are on v1 hierarchies here"
        local c
        for c in cpu memory pids; do
                grep -qw "$c" "/sys/fs/cgroup$CTL_RES_PARENT/cgroup.subtree_control"
                grep -qw "$c" "/sys/fs/cgroup$CG/cgroup.controllers"
        done
        # Never the hierarchy root's business: its subtree_control is the
        # host's (the VM's init enabled it).
}

@test "memory limits are written and read back" {
        "$TOOL" apply "$CG" memory=$((64 * MiB)) memory-reservation=$((32 * MiB))
        [[ $(limit memory) == $((64 * MiB)) ]]
        [[ $(limit memory-reservation) == $((32 * MiB)) ]]
        if [[ $CTL_RES_MODE == unified ]]; then
                [[ $(cat "$(cgfile memory memory.max)") == $((64 * MiB)) ]]
                [[ $(cat "$(cgfile memory memory.low)") == $((32 * MiB)) ]]
        else
                [[ $(cat "$(cgfile memory memory.limit_in_bytes)") == $((64 * MiB)) ]]
                [[ $(cat "$(cgfile memory memory.soft_limit_in_bytes)") == $((32 * MiB)) ]]
        fi
        "$TOOL" apply "$CG" memory=max
        [[ $(limit memory) == max ]]
}

@test "the swap limit is written and read back (memory + swap, as Docker)" {
        apply_or_skip memory=$((64 * MiB)) memory-swap=$((96 * MiB))
        [[ $(limit memory-swap) == $((96 * MiB)) ]]
        if [[ $CTL_RES_MODE == unified ]]; then
                [[ $(cat "$(cgfile memory memory.swap.max)") == $((32 * MiB)) ]]
        else
                [[ $(cat "$(cgfile memory memory.memsw.limit_in_bytes)") == $((96 * MiB)) ]]
        fi
        # Raising memory above the swap limit in force needs memsw first on v1.
        "$TOOL" apply "$CG" memory=$((128 * MiB)) memory-swap=$((160 * MiB))
        [[ $(limit memory) == $((128 * MiB)) && $(limit memory-swap) == $((160 * MiB)) ]]
        "$TOOL" apply "$CG" memory=$((16 * MiB)) memory-swap=$((16 * MiB))
        [[ $(limit memory) == $((16 * MiB)) && $(limit memory-swap) == $((16 * MiB)) ]]
}

@test "a swap limit alone is paired with the memory limit in force" {
        apply_or_skip memory=$((64 * MiB)) memory-swap=$((96 * MiB))
        # Validation wants both (the daemon validates its merged limits):
        # the write itself must still be right alone.
        "$TOOL" apply --no-validate "$CG" memory-swap=$((256 * MiB))
        [[ $(limit memory) == $((64 * MiB)) ]]
        [[ $(limit memory-swap) == $((256 * MiB)) ]]
        if [[ $CTL_RES_MODE == unified ]]; then
                # The swap alone: 256m - 64m, not 256m less an unset limit.
                [[ $(cat "$(cgfile memory memory.swap.max)") == $((192 * MiB)) ]]
        else
                [[ $(cat "$(cgfile memory memory.memsw.limit_in_bytes)") == $((256 * MiB)) ]]
        fi
        # Below the memory in force: refused, nothing changed (v1: by the
        # kernel; v2 by the plan, since swap.max cannot be negative).
        run "$TOOL" apply --no-validate "$CG" memory-swap=$((32 * MiB))
        [[ $status == 1 ]]
        [[ $(limit memory-swap) == $((256 * MiB)) ]]
}

@test "a swap limit alone without a memory limit is refused" {
        [[ -e $(cgfile memory memory.memsw.limit_in_bytes) || -e $(cgfile memory memory.swap.max) ]] ||
                skip "no swap accounting"
        run "$TOOL" apply --no-validate "$CG" memory-swap=$((256 * MiB))
        echo "$output"
        [[ $status == 1 ]]
        [[ $(limit memory) == max ]]
        # v2: nothing to subtract from; v1: memsw below the (unlimited) memory.
        if [[ $CTL_RES_MODE == unified ]]; then
                [[ $output == *"memory-swap needs a memory limit"* ]]
                [[ $(cat "$(cgfile memory memory.swap.max)") == max ]]
        fi
}

@test "cpu quota, period and shares are written and read back" {
        "$TOOL" apply "$CG" cpu-quota=50000 cpu-period=100000 cpu-shares=512
        [[ $(limit cpu-quota) == 50000 && $(limit cpu-period) == 100000 ]]
        if [[ $CTL_RES_MODE == unified ]]; then
                [[ $(cat "$(cgfile cpu cpu.max)") == "50000 100000" ]]
                [[ $(cat "$(cgfile cpu cpu.weight)") == 20 ]]
                [[ $(limit cpu-shares) == 501 ]] # shares -> weight is lossy
        else
                [[ $(cat "$(cgfile cpu cpu.cfs_quota_us)") == 50000 ]]
                [[ $(cat "$(cgfile cpu cpu.shares)") == 512 ]]
                [[ $(limit cpu-shares) == 512 ]]
        fi
        "$TOOL" apply "$CG" cpu-quota=20000 cpu-period=50000
        [[ $(limit cpu-quota) == 20000 && $(limit cpu-period) == 50000 ]]
        "$TOOL" apply "$CG" cpu-quota=max
        [[ $(limit cpu-quota) == max ]]
}

@test "cpuset and pids limits are written and read back" {
        apply_or_skip cpuset-cpus=0 cpuset-mems=0
        [[ $(limit cpuset-cpus) == 0 && $(limit cpuset-mems) == 0 ]]
        "$TOOL" apply "$CG" pids=50
        [[ $(limit pids) == 50 ]]
        [[ $(cat "$(cgfile pids pids.max)") == 50 ]]
        "$TOOL" apply "$CG" pids=max
        [[ $(limit pids) == max ]]
}

@test "the io weight is written and read back, or refused naming the missing file" {
        run "$TOOL" apply "$CG" blkio-weight=300
        if ((status == 3)); then
                [[ $output == *"io weight: neither "*" nor "*" exists in"* ]]
                skip "$output"
        fi
        [[ $status == 0 ]]
        [[ $(limit blkio-weight) == 300 ]]
}

@test "a value the kernel refuses fails and leaves the old values in force" {
        "$TOOL" apply "$CG" memory=$((64 * MiB)) cpu-quota=50000 pids=50
        # CPU 4096 exists nowhere: the kernel refuses the cpuset write, the
        # last step, after memory, cpu and pids were written.
        run "$TOOL" apply --no-validate "$CG" memory=$((96 * MiB)) cpu-quota=70000 pids=60 cpuset-cpus=4096
        [[ $status == 1 ]]
        [[ $output == *"write 4096 to \`"*"cpuset.cpus\`: "* ]]
        [[ $(limit memory) == $((64 * MiB)) ]]
        [[ $(limit cpu-quota) == 50000 ]]
        [[ $(limit pids) == 50 ]]
}

@test "v1: memory.limit_in_bytes below the usage is refused (EBUSY), the old limit stays" {
        [[ $CTL_RES_MODE != unified ]] || skip "cgroup2 reclaims and OOM-kills instead of refusing"
        local ready=$BATS_TEST_TMPDIR/ready
        "$TOOL" apply "$CG" memory=$((128 * MiB))
        bg python3 -c "
b = bytearray(40 << 20)
for i in range(0, len(b), 4096): b[i] = 1
open('$ready', 'w').write('1')
import time; time.sleep(60)"
        wait_until 30 test -s "$ready"
        run "$TOOL" apply --no-validate "$CG" memory=$((8 * MiB))
        [[ $status == 1 && $output == *"Device or resource busy"* ]]
        [[ $(limit memory) == $((128 * MiB)) ]]
}

@test "validation names the field: cpuset outside the host, memory too small, too many cpus" {
        run "$TOOL" validate cpuset-cpus=4096
        [[ $status == 1 && $output == "error: cpuset-cpus: CPU 4096 does not exist (this host has "* ]]
        run "$TOOL" validate memory=4096
        [[ $output == "error: memory: 4096 is below the minimum of 6 MiB" ]]
        run "$TOOL" validate cpu-quota=$((100000 * ($(nproc --all) + 1)))
        [[ $output == "error: cpus: "*" is more than this host's "*" CPUs" ]]
        # Nothing was applied: validation runs before any write.
        run "$TOOL" apply "$CG" memory=4096
        [[ $status == 1 && $(limit memory) == max ]]
}

@test "stats move when a process burns CPU, allocates memory and forks" {
        local ready=$BATS_TEST_TMPDIR/ready cpu0 cpu1
        cpu0=$(stat_of cpu_usage_ns)
        [[ $(stat_of pids_current) == 0 ]]
        bg python3 -c "
import os, time
b = bytearray(24 << 20)
for i in range(0, len(b), 4096): b[i] = 1
kids = [os.fork() or (time.sleep(60), os._exit(0)) for _ in range(3)]
open('$ready', 'w').write('1')
t = time.time()
while time.time() < t + 60: pass"
        wait_until 60 test -s "$ready"
        wait_until 10 stat_above pids_current 3
        (($(stat_of memory_current) > 20 * MiB))
        (($(stat_of memory_anon) > 20 * MiB))
        (($(stat_of memory_peak) >= $(stat_of memory_current)))
        cpu1=$(stat_of cpu_usage_ns)
        wait_until 10 stat_above cpu_usage_ns $((cpu1 + 100000000))
        ((cpu1 > cpu0))
        (($(stat_of cpu_user_ns) > 0))
        [[ $(stat_of oom_kills) == 0 ]]
}

count_above() {
        local v
        v=$(cat "$1")
        ((v > $2))
}

@test "freeze stops a counter process and thaw resumes it" {
        local count=$BATS_TEST_TMPDIR/count a b
        bg sh -c "i=0; while :; do i=\$((i + 1)); echo \$i >$count.tmp; mv $count.tmp $count; done"
        wait_until 30 test -s "$count"
        [[ $("$TOOL" frozen "$CG" | jq -r .frozen) == false ]]
        "$TOOL" freeze "$CG"
        [[ $("$TOOL" frozen "$CG" | jq -r .frozen) == true ]]
        a=$(cat "$count")
        # Progress is what we measure: an interval has to pass.
        sleep 0.5
        b=$(cat "$count")
        [[ $a == "$b" ]]
        "$TOOL" thaw "$CG"
        [[ $("$TOOL" frozen "$CG" | jq -r .frozen) == false ]]
        wait_until 10 count_above "$count" "$b"
}

@test "a process over the memory limit is OOM-killed, counted, and the watch fd wakes" {
        "$TOOL" apply "$CG" memory=$((32 * MiB))
        if [[ -e $(cgfile memory memory.memsw.limit_in_bytes) ]]; then
                "$TOOL" apply "$CG" memory=$((32 * MiB)) memory-swap=$((32 * MiB))
        elif [[ -e $(cgfile memory memory.swap.max) ]]; then
                "$TOOL" apply "$CG" memory=$((32 * MiB)) memory-swap=$((32 * MiB))
        fi
        [[ $("$TOOL" oom-kills "$CG" | jq -r .oom_kills) == 0 ]]
        run "$TOOL" oom-watch "$CG" 60000 python3 -c "
b = bytearray(256 << 20)
for i in range(0, len(b), 4096): b[i] = 1"
        echo "$output"
        [[ $status == 0 ]]
        [[ $(jq -r .woke <<<"$output") == true ]]
        [[ $(jq -r .signal <<<"$output") == 9 ]]
        (($(jq -r .after <<<"$output") >= 1))
        (($(stat_of oom_kills) >= 1))
}

# ---- device access (daemon/cgroup/devices.c) ----

# Docker's default rules, as the daemon writes them (container-devices.c).
DOCKER_DEVICES=("deny a" "allow c *:* m" "allow b *:* m" "allow c 1:3 rwm" "allow c 1:5 rwm"
        "allow c 1:7 rwm" "allow c 1:8 rwm" "allow c 1:9 rwm" "allow c 5:0 rwm" "allow c 5:1 rwm"
        "allow c 5:2 rwm" "allow c 136:* rwm" "allow c 10:200 rwm")

# node_open [CGROUP] TYPE MAJOR MINOR: "mknod=X open=Y" (errno names or ok)
# for a node made in the test's tmpdir by a process in CGROUP (none: here).
node_open() {
        local out
        if (($# == 4)); then
                out=$("$TOOL" exec "$1" "$TOOL" mknod-open "$BATS_TEST_TMPDIR" "$2" "$3" "$4")
        else
                out=$("$TOOL" mknod-open "$BATS_TEST_TMPDIR" "$1" "$2" "$3")
        fi
        jq -r '"mknod=\(.mknod) open=\(.open)"' <<<"$out"
}

# The control: outside any rules the test's loop node opens (or the kernel
# has no loop driver: ENXIO), so an EPERM below is the rules' doing.
devices_control() {
        local got
        got=$(node_open b 7 0)
        [[ $got == "mknod=ok open=ok" || $got == "mknod=ok open=ENXIO" ]] ||
                skip "cannot open a node made in $BATS_TEST_TMPDIR even without rules: $got"
}

@test "devices: with Docker's rules a loop node made with mknod cannot be opened, /dev/null can" {
        devices_control
        "$TOOL" devices "$CG" "${DOCKER_DEVICES[@]}"
        [[ $(node_open "$CG" b 7 0) == "mknod=ok open=EPERM" ]]
        [[ $(node_open "$CG" c 1 1) == "mknod=ok open=EPERM" ]]
        [[ $(node_open "$CG" c 1 3) == "mknod=ok open=ok" ]]
        [[ $(node_open "$CG" c 1 9) == "mknod=ok open=ok" ]]
        # The host's processes are not affected.
        [[ $(node_open c 1 3) == "mknod=ok open=ok" ]]
}

@test "devices: no mknod either when the rules deny it" {
        devices_control
        "$TOOL" devices "$CG" "deny a" "allow c 1:3 rwm"
        [[ $(node_open "$CG" b 7 0) == "mknod=EPERM open=EPERM" ]]
        [[ $(node_open "$CG" c 1 3) == "mknod=ok open=ok" ]]
}

@test "devices: on cgroup2 a BPF program is attached, and on hybrid it holds without the v1 rules" {
        [[ $CTL_RES_MODE != legacy ]] || skip "no cgroup2 hierarchy"
        devices_control
        [[ $("$TOOL" device-programs "$CG" | jq -r .programs) == 0 ]]
        "$TOOL" devices "$CG" "${DOCKER_DEVICES[@]}"
        [[ $("$TOOL" device-programs "$CG" | jq -r .programs) == 1 ]]
        if [[ $CTL_RES_MODE == hybrid ]]; then
                # Our test cgroup: open the v1 list again to everything.
                echo a >"/sys/fs/cgroup/devices$CG/devices.allow"
                [[ $(cat "/sys/fs/cgroup/devices$CG/devices.list") == "a *:* rwm" ]]
        fi
        [[ $(node_open "$CG" b 7 0) == "mknod=ok open=EPERM" ]]
        [[ $(node_open "$CG" c 1 3) == "mknod=ok open=ok" ]]
}

@test "devices: v1 gets the rules as devices.allow/deny lines" {
        [[ -d /sys/fs/cgroup/devices ]] || skip "no v1 devices controller"
        "$TOOL" devices "$CG" "deny a" "allow c *:* m" "allow c 1:3 rw" "allow a 5:* r"
        run cat "/sys/fs/cgroup/devices$CG/devices.list"
        [[ $output == $'c *:* m\nc 1:3 rw\nc 5:* r\nb 5:* r' ]]
}

@test "devices: the rules add to those of the cgroup above, never replace them" {
        [[ $CTL_RES_MODE != legacy ]] || skip "v1 copies the parent's list instead"
        devices_control
        "$TOOL" create "$CG/inner" >/dev/null
        "$TOOL" devices "$CG/inner" "${DOCKER_DEVICES[@]}"
        # A deny line is allowed on a v1 cgroup with children; the program
        # goes beside the one below.
        "$TOOL" devices "$CG" "deny c 1:3 rw"
        [[ $(node_open "$CG/inner" c 1 3) == "mknod=ok open=EPERM" ]]
        [[ $(node_open "$CG/inner" c 1 9) == "mknod=ok open=ok" ]]
        [[ $("$TOOL" device-programs "$CG/inner" | jq -r .programs) == 1 ]]
        # cgroup2 keeps processes out of $CG now that it has a child.
        if [[ $CTL_RES_MODE == hybrid ]]; then
                [[ $(node_open "$CG" c 1 3) == "mknod=ok open=EPERM" ]]
                [[ $(node_open "$CG" c 1 9) == "mknod=ok open=ok" ]]
        fi
}

@test "devices: an error names the rule" {
        [[ -d /sys/fs/cgroup/devices ]] || skip "v1 only: a program is always accepted"
        "$TOOL" devices "$CG" "deny a"
        "$TOOL" create "$CG/inner" >/dev/null
        run "$TOOL" devices "$CG/inner" "deny a" "allow c 1:3 rwm"
        [[ $status == 1 ]]
        [[ $output == "error: linux.resources.devices[1]: write \`c 1:3 rwm\` to \`/sys/fs/cgroup/devices$CG/inner/devices.allow\`: Operation not permitted" ]]
}
