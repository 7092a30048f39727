#!/usr/bin/env bats
# User namespaces (issue 7, scope 4): `--userns auto` gives each container
# its own block of 65536 subordinate ids; the image layers are mounted
# idmapped (never chowned), files the container's root creates belong to
# the mapped uid on the host, volumes are plain binds unless :idmap, exec joins the
# namespace, allocations survive a daemon restart, go back at rm, and
# running out is a clear error. The daemon of this file allocates from its
# own subuid/subgid files (config keys subuid_file, subgid_file): a random
# base, so that daemons of other files never hand out the same ids.

load helpers

USERNS_BLOCKS=4
USERNS_SIZE=65536

setup_file() {
        USERNS_IDS=$(mktemp -d /tmp/ctluserns.XXXXXX)
        USERNS_BASE=$(((1100 + RANDOM % 20000) * USERNS_SIZE))
        printf '# test ids\nsomeoneelse:100000:65536\ncontainerctl:%d:%d\n' "$USERNS_BASE" \
                $((USERNS_BLOCKS * USERNS_SIZE)) >"$USERNS_IDS/subuid"
        cp "$USERNS_IDS/subuid" "$USERNS_IDS/subgid"
        CTL_DAEMON_CONFIG="subuid_file = $USERNS_IDS/subuid
subgid_file = $USERNS_IDS/subgid"
        export USERNS_IDS USERNS_BASE CTL_DAEMON_CONFIG
        ctl_setup_file
}

teardown_file() {
        ctl_teardown_file
        rm -rf "$USERNS_IDS"
}

# The map of a /proc/.../uid_map or gid_map text as "inside host size".
map_of() {
        awk '{print $1, $2, $3}' <<<"$1"
}

in_block_range() {
        (($1 >= USERNS_BASE && $1 < USERNS_BASE + USERNS_BLOCKS * USERNS_SIZE && ($1 - USERNS_BASE) % USERNS_SIZE == 0))
}

@test "--userns auto: uid_map and gid_map inside show the container's own range, root is uid 0 inside" {
        run containerctl run --rm --userns auto busybox sh -c 'cat /proc/self/uid_map; cat /proc/self/gid_map; id -u; id -g'
        assert_status 0
        local lines=("${lines[@]}")
        local uid gid
        read -r _ uid _ <<<"${lines[0]}"
        read -r _ gid _ <<<"${lines[1]}"
        [[ $(map_of "${lines[0]}") == "0 $uid $USERNS_SIZE" ]]
        [[ $(map_of "${lines[1]}") == "0 $gid $USERNS_SIZE" ]]
        in_block_range "$uid"
        in_block_range "$gid"
        [[ ${lines[2]} == 0 && ${lines[3]} == 0 ]]
}

@test "the default is the host's user namespace" {
        run containerctl run --rm busybox cat /proc/self/uid_map
        assert_status 0
        [[ $(map_of "$output") == "0 0 4294967295" ]]
        containerctl create --name u-host busybox true >/dev/null
        [[ $(inspect_field u-host .userns.mode) == host ]]
        containerctl rm u-host >/dev/null
}

@test "two running containers get different ranges; the host sees their inits as the mapped uid" {
        containerctl run -d --name u-a --userns auto busybox /probe sleep >/dev/null
        containerctl run -d --name u-b --userns auto busybox /probe sleep >/dev/null
        wait_until 5 state_is u-a running
        wait_until 5 state_is u-b running
        local ua ub pa pb
        ua=$(inspect_field u-a .userns.uid)
        ub=$(inspect_field u-b .userns.uid)
        [[ $(inspect_field u-a .userns.mode) == auto ]]
        [[ $(inspect_field u-a .userns.size) == "$USERNS_SIZE" ]]
        [[ $ua != "$ub" ]]
        in_block_range "$ua"
        in_block_range "$ub"
        [[ $(inspect_field u-a .userns.gid) != "$(inspect_field u-b .userns.gid)" ]]
        pa=$(inspect_field u-a .state.pid)
        pb=$(inspect_field u-b .state.pid)
        [[ $(map_of "$(cat /proc/"$pa"/uid_map)") == "0 $ua $USERNS_SIZE" ]]
        [[ $(map_of "$(cat /proc/"$pb"/uid_map)") == "0 $ub $USERNS_SIZE" ]]
        # The init runs as the mapped uid on the host (real, effective, saved, fs).
        [[ $(awk '/^Uid:/ {print $2, $3, $4, $5}' /proc/"$pa"/status) == "$ua $ua $ua $ua" ]]
        # Its capabilities are only those of the namespace: the host's
        # user namespace is not its own.
        [[ $(readlink /proc/"$pa"/ns/user) != "$(readlink /proc/self/ns/user)" ]]
        containerctl rm -f u-a u-b >/dev/null
}

@test "files root creates inside belong to the mapped uid on the host; image files stay owned by 0 and are not chowned" {
        containerctl run -d --name u-files --userns auto busybox /probe sleep >/dev/null
        wait_until 5 state_is u-files running
        local uid gid upper lower pid
        uid=$(inspect_field u-files .userns.uid)
        gid=$(inspect_field u-files .userns.gid)
        upper=$(inspect_field u-files .rootfs.upper)
        lower=$(inspect_field u-files .rootfs.lower)
        pid=$(inspect_field u-files .state.pid)

        run containerctl exec u-files sh -c 'touch /x && mkdir /d && echo hi >/etc/motd-test && ls -ln /bin/busybox /x'
        assert_status 0
        # Inside: the image's busybox is 0:0, the new file too.
        [[ $(awk '$NF == "/bin/busybox" {print $3, $4}' <<<"$output") == "0 0" ]]
        [[ $(awk '$NF == "/x" {print $3, $4}' <<<"$output") == "0 0" ]]
        # On the host, in the upper dir and through /proc/PID/root: the mapped ids.
        [[ $(stat -c '%u %g' "$upper/x") == "$uid $gid" ]]
        [[ $(stat -c '%u %g' "$upper/d") == "$uid $gid" ]]
        [[ $(stat -c '%u %g' "$upper/etc/motd-test") == "$uid $gid" ]]
        [[ $(stat -c '%u %g' "/proc/$pid/root/x") == "$uid $gid" ]]
        [[ $(stat -c '%u %g' "$upper") == "$uid $gid" ]]
        # The layers: still owned by the host's root, nothing chowned.
        local layer found=0
        IFS=: read -ra layers <<<"$lower"
        for layer in "${layers[@]}"; do
                if [[ -e $layer/bin/busybox ]]; then
                        [[ $(stat -c '%u %g' "$layer/bin/busybox") == "0 0" ]]
                        found=1
                fi
                [[ -z $(find "$layer" -xdev \( -uid "$uid" -o -gid "$gid" \) -print -quit) ]]
        done
        ((found))
        # A copy-up (chmod of an image file) lands in the upper dir as the mapped uid.
        containerctl exec u-files chmod 0700 /bin/busybox
        [[ $(stat -c '%u %a' "$upper/bin/busybox") == "$uid 700" ]]
        containerctl rm -f u-files >/dev/null
}

@test "a bind volume: the container's root writes as its mapped uid; :idmap maps it to host root" {
        local vol=$TMP/u-vol uid gid
        mkdir -p "$vol"
        chmod 1777 "$vol"
        echo a >"$vol/root-file"
        echo b >"$vol/user-file"
        chown 1234:2345 "$vol/user-file"
        # Plain: as Docker's userns-remap. Host ids outside the map show as
        # the overflow id; what the container's root makes is its host uid.
        run containerctl run -d --name u-vol --userns auto -v "$vol:/vol" busybox sleep 600
        assert_status 0
        uid=$(inspect_field u-vol .userns.uid)
        gid=$(inspect_field u-vol .userns.gid)
        run containerctl exec u-vol sh -c 'ls -ln /vol; touch /vol/new; cat /vol/root-file'
        assert_status 0
        [[ $(awk '$NF == "root-file" {print $3, $4}' <<<"$output") == "65534 65534" ]]
        [[ $output == *a* ]]
        [[ $(stat -c '%u %g' "$vol/new") == "$uid $gid" ]]
        containerctl rm -f u-vol >/dev/null
        # :idmap (opt-in, as Podman's): host ownership shows through, and
        # container uid 0 is host uid 0 on this mount.
        run containerctl run --rm --userns auto -v "$vol:/vol:idmap" busybox \
                sh -c 'ls -ln /vol; touch /vol/new2; echo c >>/vol/user-file'
        assert_status 0
        [[ $(awk '$NF == "root-file" {print $3, $4}' <<<"$output") == "0 0" ]]
        [[ $(awk '$NF == "user-file" {print $3, $4}' <<<"$output") == "1234 2345" ]]
        [[ $(stat -c '%u %g' "$vol/new2") == "0 0" ]]
        [[ $(stat -c '%u %g' "$vol/user-file") == "1234 2345" ]]
        # Read-only stays read-only, also with idmap.
        run containerctl run --rm --userns auto -v "$vol:/vol:ro,idmap" busybox touch /vol/nope
        [[ $status -ne 0 ]]
        [[ ! -e $vol/nope ]]
}

@test "exec joins the user namespace and runs as the mapped root" {
        containerctl run -d --name u-exec --userns auto busybox /probe sleep >/dev/null
        wait_until 5 state_is u-exec running
        local uid upper
        uid=$(inspect_field u-exec .userns.uid)
        upper=$(inspect_field u-exec .rootfs.upper)
        run containerctl exec u-exec sh -c 'cat /proc/self/uid_map; id -u; touch /from-exec'
        assert_status 0
        [[ $(map_of "${lines[0]}") == "0 $uid $USERNS_SIZE" ]]
        [[ ${lines[1]} == 0 ]]
        [[ $(stat -c %u "$upper/from-exec") == "$uid" ]]
        # Another user of the image inside is another mapped uid.
        run containerctl exec -u 1000:1000 u-exec sh -c 'id -u; touch /tmp/by-1000'
        assert_status 0
        [[ ${lines[0]} == 1000 ]]
        [[ $(stat -c %u "$upper/tmp/by-1000") == $((uid + 1000)) ]]
        # A tty exec works too.
        run containerctl exec -t u-exec id -u
        assert_status 0
        containerctl rm -f u-exec >/dev/null
}

@test "--user inside the namespace maps to the block; a uid outside it is refused at create" {
        local out uid
        run containerctl run --rm --userns auto --user 4321:4321 busybox /probe ids
        assert_status 0
        [[ $output == *"uid=4321"* ]]
        run containerctl create --userns auto --user 70000 busybox true
        [[ $status -ne 0 ]]
        [[ $output == *"outside the container's user namespace"* ]]
}

@test "the breakout probes are blocked with --userns auto" {
        run containerctl run --rm --userns auto busybox /probe escape:all
        echo "$output"
        [[ $output != *ESCAPED* ]]
        local name
        for name in mount-proc mount-sysfs mount-tmpfs sysrq kcore module reboot clock mknod \
                unshare-user unshare-mnt keyctl bpf perf proc1-root leaked-fds exe; do
                [[ $output == *"escape.$name=blocked:"* ]] || { echo "not blocked: $name" >&2; false; }
        done
        # sysfs in a network namespace the host made (bridge) and in its own (none).
        run containerctl run --rm --userns auto busybox ls /sys/class/net
        assert_status 0
        [[ $output == *eth0* && $output == *lo* ]]
        run containerctl run --rm --userns auto --network none busybox ls /sys/class/net
        assert_status 0
        [[ $output == lo ]]
}

@test "--privileged and a bad --userns are refused" {
        run containerctl create --userns auto --privileged busybox true
        [[ $status -ne 0 ]]
        [[ $output == *"--privileged cannot be combined with --userns auto"* ]]
        run containerctl create --userns sometimes busybox true
        [[ $status -ne 0 ]]
        [[ $output == *"--userns"* ]]
        run rpc <<<'{"jsonrpc":"2.0","id":1,"method":"container.create","params":{"image":"busybox","userns":"sometimes"}}'
        [[ $output == *"expected \`auto\` or \`host\`"* ]]
}

@test "the allocation survives a daemon restart, and rm gives it back" {
        containerctl run -d --name u-keep --userns auto busybox /probe sleep >/dev/null
        wait_until 5 state_is u-keep running
        local id uid
        id=$(inspect_field u-keep .id)
        uid=$(inspect_field u-keep .userns.uid)
        [[ -f $TMP/root/userns/$id.json ]]
        [[ $(jq -r .uid "$TMP/root/userns/$id.json") == "$uid" ]]
        # A stale record (a container that is gone) is pruned at start.
        echo '{"uid":1,"gid":1,"size":1}' >"$TMP/root/userns/$(printf 'f%.0s' {1..64}).json"

        ctl_daemon_restart
        [[ ! -e $TMP/root/userns/$(printf 'f%.0s' {1..64}).json ]]
        [[ $(inspect_field u-keep .userns.uid) == "$uid" ]]
        wait_until 5 state_is u-keep running
        run containerctl exec u-keep cat /proc/self/uid_map
        assert_status 0
        [[ $(map_of "$output") == "0 $uid $USERNS_SIZE" ]]
        # A new container never gets the kept range.
        containerctl create --name u-new --userns auto busybox true >/dev/null
        [[ $(inspect_field u-new .userns.uid) != "$uid" ]]
        local new_id
        new_id=$(inspect_field u-new .id)
        [[ -f $TMP/root/userns/$new_id.json ]]
        containerctl rm u-new >/dev/null
        [[ ! -e $TMP/root/userns/$new_id.json ]]
        # Stopped and started again: the same ids, the upper dir still its root's.
        containerctl stop -t 1 u-keep >/dev/null
        containerctl start u-keep >/dev/null
        wait_until 5 state_is u-keep running
        run containerctl exec u-keep sh -c 'cat /proc/self/uid_map; touch /again'
        assert_status 0
        [[ $(map_of "${lines[0]}") == "0 $uid $USERNS_SIZE" ]]
        [[ $(stat -c %u "$(inspect_field u-keep .rootfs.upper)/again") == "$uid" ]]
        containerctl rm -f u-keep >/dev/null
        [[ ! -e $TMP/root/userns/$id.json ]]
        # --rm gives it back too.
        containerctl run --rm --userns auto busybox true
        [[ -z $(ls "$TMP/root/userns") ]]
}

@test "running out of subordinate ids is a clear error, and removal makes room again" {
        local i made=()
        for i in $(seq $((USERNS_BLOCKS + 1))); do
                if containerctl create --name "u-full-$i" --userns auto busybox true >/dev/null 2>"$TMP/full.err"; then
                        made+=("u-full-$i")
                else
                        break
                fi
        done
        [[ ${#made[@]} -eq $USERNS_BLOCKS ]]
        grep -q "subordinate uids of \`containerctl\` in \`$USERNS_IDS/subuid\` is in use" "$TMP/full.err"
        # The failed create left nothing behind.
        run containerctl inspect "u-full-$i"
        [[ $status -ne 0 ]]
        [[ $(ls "$TMP/root/userns" | wc -l) -eq $USERNS_BLOCKS ]]
        # A container without a user namespace needs no ids.
        containerctl run --rm busybox true
        containerctl rm "${made[0]}" >/dev/null
        containerctl create --name u-full-again --userns auto busybox true >/dev/null
        containerctl rm u-full-again "${made[@]:1}" >/dev/null
        [[ -z $(ls "$TMP/root/userns") ]]
}
