#!/bb/sh
# PID 1 of the cgroup v2 test VM, packed into the initramfs by run-vm.sh.
# Mounts the API file systems, cgroup2 alone at /sys/fs/cgroup and the 9p
# shares, runs the bats files named in /ctlvm.env, then checks that the suite
# left no cgroup behind. Writes tap.txt, checks.txt and result into the
# shared work dir (the host's verdict comes from those), then powers off.
export PATH=/usr/sbin:/usr/bin:/bb HOME=/root LANG=C.UTF-8 TERM=dumb TMPDIR=/tmp

# pivot_root(2) refuses to move the initramfs (rootfs) away, so containers
# could not start from it: copy ourselves to a tmpfs and switch_root there.
if [ ! -e /.ctlvm-tmpfs-root ]; then
        mkdir /newroot
        mount -t tmpfs -o mode=0755 root /newroot
        for f in /*; do
                [ "$f" = /newroot ] || cp -a "$f" /newroot/
        done
        touch /newroot/.ctlvm-tmpfs-root
        mount -t devtmpfs devtmpfs /newroot/dev
        exec switch_root /newroot /init
fi
. /ctlvm.env

mount -t proc proc /proc
mount -t sysfs sysfs /sys
[ -c /dev/null ] || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
ln -s /proc/self/fd /dev/fd
ln -s fd/0 /dev/stdin
ln -s fd/1 /dev/stdout
ln -s fd/2 /dev/stderr
mount -t devpts -o ptmxmode=0666 devpts /dev/pts
mount -t tmpfs -o mode=1777 shm /dev/shm
mount -t tmpfs -o mode=1777 tmp /tmp
mount -t tmpfs -o mode=0755 run /run
exec </dev/null >/dev/console 2>&1

echo "ctlvm: kernel $(uname -r), init at $(cut -d' ' -f1 /proc/uptime)s uptime"
while read -r ko; do
        insmod "/modules/$ko" || echo "ctlvm: insmod $ko failed"
done </modules/order
hostname ctlvm
ip link set lo up

mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
# What systemd does on a real host: the root offers every controller to the
# cgroups below it (containerctl never writes the root's subtree_control).
for c in $(cat /sys/fs/cgroup/cgroup.controllers); do echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control || echo "ctlvm: cannot enable $c"; done
echo "ctlvm: /proc/self/cgroup: $(cat /proc/self/cgroup); controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"

p9() { mount -t 9p -o "trans=virtio,version=9p2000.L,msize=512000,$3" "$1" "$2"; }
p9 hostusr /usr ro,cache=loose || echo "ctlvm: cannot mount the host's /usr"
for s in $CTLVM_SHARES; do
        mkdir -p "${s#*=}"
        p9 "${s%%=*}" "${s#*=}" rw,cache=none || echo "ctlvm: cannot mount $s"
done

finish() {
        echo "rc=$1" >"$CTLVM_WORK/result"
        echo "ctlvm: result rc=$1, guest uptime $(cut -d' ' -f1 /proc/uptime)s"
        sync
        poweroff -f
}
[ -x /usr/bin/bats ] && [ -d "$CTLVM_WORK" ] || {
        echo "ctlvm: /usr/bin/bats or $CTLVM_WORK missing"
        echo "rc=99" >"$CTLVM_WORK/result" 2>/dev/null
        poweroff -f
}

# Cgroups that exist before the suite (none are expected on a fresh boot).
find /sys/fs/cgroup -mindepth 1 -type d | sort >/tmp/cgroups.before

# The helpers take the image from CTL_IMAGE_CACHE when its tar is there.
mkdir -p /tmp/ctl-image
cp "$CTLVM_IMAGE" /tmp/ctl-image/busybox-probe.tar
export CTL_IMAGE_CACHE=/tmp/ctl-image
# The build dir's programs run from a copy on tmpfs: every exec of a binary
# on 9p costs a few hundred ms more under TCG.
B=/tmp/ctl-build
mkdir -p $B/tests/probe
for f in containerctl containerctld containerctl-monitor; do
        cp "$CTLVM_BUILDDIR/$f" $B/
done
if [ -x "$CTLVM_BUILDDIR/tests/probe/probe" ]; then
        cp "$CTLVM_BUILDDIR/tests/probe/probe" $B/tests/probe/
        export CTL_PROBE=$B/tests/probe/probe
fi
export CONTAINERCTL_BUILDDIR=$B

if [ -n "$CTLVM_GUEST_CMD" ]; then # a developer's command instead of bats
        echo "ctlvm: running: $CTLVM_GUEST_CMD"
        (cd "$CTLVM_SRCDIR" && /usr/bin/bash -c "$CTLVM_GUEST_CMD") 2>&1 | tee "$CTLVM_WORK/tap.txt"
        finish 0
fi
cd "$CTLVM_SRCDIR" || finish 98
# One bats run per entry: FILE, or FILE::REGEX for the tests of FILE whose
# name matches REGEX (no spaces: "." matches one), so a slow file gives the
# VM only what is about cgroup v2.
echo 0 >/tmp/bats.rc
: >"$CTLVM_WORK/tap.txt"
for entry in $CTLVM_TESTS; do
        file=${entry%%::*}
        filter=$CTLVM_FILTER
        [ "$file" != "$entry" ] && filter=${entry#*::}
        left=$((CTLVM_DEADLINE - $(cut -d. -f1 /proc/uptime)))
        [ "$left" -ge 10 ] || left=10
        echo "ctlvm: running bats ($left s left): $file${filter:+ --filter $filter}"
        set -- --tap --timing
        [ -n "$filter" ] && set -- "$@" --filter "$filter"
        {
                timeout -k 5 "$left" bats "$@" "$file" 2>&1
                r=$?
                [ "$r" = 0 ] || echo "$r" >/tmp/bats.rc
        } | tee -a "$CTLVM_WORK/tap.txt"
        [ "$(cat /tmp/bats.rc)" = 124 ] && break
done
rc=$(cat /tmp/bats.rc)
echo "ctlvm: bats exit $rc"
[ "$rc" = 124 ] && echo "# bats stopped at the deadline ($left s): raise CTL_VM_TIMEOUT" >>"$CTLVM_WORK/checks.txt"

# After the suite: nothing of ours may remain in the one hierarchy. The
# helpers' teardown looks for cgroups per v1 hierarchy (/sys/fs/cgroup/*/),
# so on pure v2 only this check sees container cgroups left behind. An empty
# parent left by the harness is reported and removed, not counted.
n=0
check() { # check OK DESCRIPTION
        n=$((n + 1))
        if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi >>"$CTLVM_WORK/checks.txt"
}
find /sys/fs/cgroup -mindepth 1 -type d | sort >/tmp/cgroups.after
new=$(comm -13 /tmp/cgroups.before /tmp/cgroups.after)
inner=$(echo "$new" | awk -F/ 'NF > 5')
parents=$(echo "$new" | awk -F/ 'NF == 5')
[ -n "$parents" ] && echo "# empty parent cgroups left by the test harness: $(echo $parents)" >>"$CTLVM_WORK/checks.txt"
check "$([ -z "$inner" ] && echo 0 || echo 1)" "no container cgroups left after the suite${inner:+: $(echo $inner)}"
for d in $(echo "$parents" | sort -r); do rmdir "$d" 2>/dev/null; done
procs=$(ps -eo pid=,args= | grep -E 'containerctl(d|-monitor)' | grep -v grep)
check "$([ -z "$procs" ] && echo 0 || echo 1)" "no containerctld or monitor left running${procs:+: $(echo $procs)}"
mnts=$(grep -E ' /tmp/(ctltest|ctr)\.' /proc/self/mountinfo | awk '{print $5}')
check "$([ -z "$mnts" ] && echo 0 || echo 1)" "no mounts left under the tests' temp dirs${mnts:+: $(echo $mnts)}"
sed -i "1i 1..$n" "$CTLVM_WORK/checks.txt"
echo "ctlvm: after-suite checks:"
cat "$CTLVM_WORK/checks.txt"
grep -q '^not ok' "$CTLVM_WORK/checks.txt" && [ "$rc" = 0 ] && rc=1
if [ "$rc" != 0 ]; then
        echo "ctlvm: kernel messages (tail):"
        dmesg | tail -n 20
fi
finish "$rc"
