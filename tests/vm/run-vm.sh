#!/bin/bash
# Runs containerctl's integration tests on a pure cgroup v2 kernel: boots a
# Debian kernel under QEMU (TCG, cgroup_no_v1=all) from an initramfs we build
# here, shares the host's /usr (read-only) and the source and build dirs
# (read-write) over 9p, lets tests/vm/guest-init.sh run bats in the guest,
# then prints the guest's TAP and exits non-zero on any failure or silence.
#
# usage: tests/vm/run-vm.sh [BUILDDIR]       (as root; default: $CONTAINERCTL_BUILDDIR or the source dir)
# env:   CTL_VM_TESTS   bats files, relative to the source dir, or "default" or "full" (below);
#                       FILE::REGEX runs only FILE's tests whose name matches REGEX (no spaces)
#        CTL_VM_FILTER  passed to bats --filter
#        CTL_VM_CACHE   kernel cache (default /var/tmp/containerctl-vm)
#        CTL_VM_KVER    kernel version, e.g. 6.1.0-57-amd64 (default: cached one, else
#                       what linux-image-amd64 depends on)
#        CTL_VM_TIMEOUT wall-clock limit for QEMU in seconds (default 1200)
#        CTL_VM_GUEST_CMD  a bash command to run in the guest instead of bats (debugging;
#                       no verdict), e.g. 'containerctl --help'
#        CTL_VM_SMP / CTL_VM_MEM   guest CPUs / MiB (default 2 / 1536)
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin

die() { echo "run-vm: $*" >&2; exit 2; }
say() { echo "run-vm: $*" >&2; }

SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
BUILDDIR=$(cd "${1:-${CONTAINERCTL_BUILDDIR:-$SRCDIR}}" && pwd)
CACHE=${CTL_VM_CACHE:-/var/tmp/containerctl-vm}
SMP=${CTL_VM_SMP:-2}
MEM=${CTL_VM_MEM:-1536}
CPU=${CTL_VM_CPU:-max}
# Under TCG bats costs 2-5 s per test on top of the test itself, so the
# default list is the v2-relevant part (about 10 min on a 2-core host);
# CTL_VM_TESTS=full adds restart, isolation, run and lifecycle (about 20 min).
TESTS=${CTL_VM_TESTS:-default}
case $TESTS in
default)
        TESTS="tests/vm/cgroupv2.bats tests/integration/cgroup-resources.bats tests/integration/resources.bats
                tests/integration/delegation.bats tests/integration/events.bats::in.order"
        ;;
full)
        TESTS="tests/vm/cgroupv2.bats tests/integration/cgroup-resources.bats tests/integration/resources.bats
                tests/integration/delegation.bats tests/integration/events.bats::in.order tests/integration/restart.bats
                tests/integration/isolation.bats tests/integration/run.bats tests/integration/lifecycle.bats"
        : "${CTL_VM_TIMEOUT:=2400}"
        ;;
esac
TIMEOUT=${CTL_VM_TIMEOUT:-1200}
# Kernel modules the guest needs; their dependencies come from modprobe.
MODULES="overlay veth bridge 9p 9pnet_virtio virtio_pci"

[[ $(id -u) == 0 ]] || die "needs root (9p passthrough, and the guest runs the tests as root)"
for b in containerctl containerctld containerctl-monitor; do
        [[ -x $BUILDDIR/$b ]] || die "$BUILDDIR/$b missing: build first (make)"
done
for t in $TESTS; do
        [[ -f $SRCDIR/${t%%::*} ]] || die "no test file $SRCDIR/${t%%::*}"
done

# --- host dependencies -------------------------------------------------------
apt_install() {
        say "installing $*"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 \
                --no-install-recommends "$@" >&2
}
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v cpio >/dev/null || need+=(cpio)
file -L /usr/bin/busybox 2>/dev/null | grep -q 'statically linked' || need+=(busybox-static)
command -v bats >/dev/null || need+=(bats)
command -v jq >/dev/null || need+=(jq)
command -v depmod >/dev/null || need+=(kmod)
command -v xz >/dev/null || need+=(xz-utils)
if ((${#need[@]})); then
        apt-get update -q >&2 || true
        apt_install "${need[@]}"
fi

# --- kernel: a Debian linux-image unpacked into the cache (never /boot) ------
mkdir -p "$CACHE"
KVER=${CTL_VM_KVER:-}
if [[ -z $KVER ]]; then
        KVER=$(ls -d "$CACHE"/kernel-*/ready 2>/dev/null | sed 's|.*/kernel-||; s|/ready$||' | sort -V | tail -n1 || true)
fi
if [[ -z $KVER ]]; then
        KVER=$(apt-cache depends linux-image-amd64 2>/dev/null |
                awk '/Depends: linux-image-[0-9].*-amd64$/ {sub("linux-image-", "", $2); print $2; exit}')
        if [[ -z $KVER ]]; then
                apt-get update -q >&2 || true
                KVER=$(apt-cache depends linux-image-amd64 |
                        awk '/Depends: linux-image-[0-9].*-amd64$/ {sub("linux-image-", "", $2); print $2; exit}')
        fi
        [[ -n $KVER ]] || die "cannot find the Debian kernel version (apt-cache depends linux-image-amd64)"
fi
KDIR=$CACHE/kernel-$KVER
if [[ ! -e $KDIR/ready ]]; then
        say "fetching linux-image-$KVER into $KDIR"
        rm -rf "$KDIR"
        mkdir -p "$KDIR/deb"
        chmod 0777 "$KDIR/deb" # apt-get download drops privileges to _apt
        (cd "$KDIR/deb" && apt-get download -q "linux-image-$KVER" >&2)
        dpkg-deb -x "$KDIR"/deb/linux-image-"$KVER"_*.deb "$KDIR/root"
        depmod -b "$KDIR/root" "$KVER"
        # Debian's bzImage is xz-compressed: decompressing it under TCG costs
        # seconds per boot. QEMU boots the ELF vmlinux inside it (PVH note).
        vmlinuz=$KDIR/root/boot/vmlinuz-$KVER
        off=$(LC_ALL=C grep -abo $'\xfd7zXZ\x00' "$vmlinuz" | head -n1 | cut -d: -f1)
        if [[ -n $off ]]; then
                # xz complains about the trailing bytes after the stream; the ELF check decides.
                tail -c +$((off + 1)) "$vmlinuz" | xz -dc >"$KDIR/vmlinux" 2>/dev/null || true
        fi
        if [[ $(head -c4 "$KDIR/vmlinux" 2>/dev/null | tail -c3) != ELF ]]; then
                cp "$vmlinuz" "$KDIR/vmlinux" # fall back to the bzImage
        fi
        rm -rf "$KDIR/deb"
        touch "$KDIR/ready"
fi
KROOT=$KDIR/root

# --- initramfs ------------------------------------------------------------------
WORK=$BUILDDIR/vm
rm -rf "$WORK"
mkdir -p "$WORK"
R=$WORK/initramfs
mkdir -p "$R"/{bb,modules,proc,sys,dev,tmp,run,etc,usr,root,var/tmp}
cp /usr/bin/busybox "$R/bb/busybox"
for a in $("$R/bb/busybox" --list); do
        [[ $a == busybox ]] || ln -s busybox "$R/bb/$a"
done
# Merged /usr as on the host, so the host's binaries and libraries resolve.
for d in bin sbin lib lib64; do
        ln -s "usr/$d" "$R/$d"
done
printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$R/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$R/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n127.0.1.1 ctlvm\n' >"$R/etc/hosts"
printf 'nameserver 127.0.0.1\n' >"$R/etc/resolv.conf"
echo ctlvm >"$R/etc/hostname"
cp /etc/ld.so.cache "$R/etc/"
[[ -f /etc/nsswitch.conf ]] && cp /etc/nsswitch.conf "$R/etc/"
for m in $MODULES; do
        modprobe -d "$KROOT" -S "$KVER" --show-depends "$m"
done | awk '$1 == "insmod" && !seen[$2]++ {print $2}' | while read -r ko; do
        cp "$ko" "$R/modules/"
        basename "$ko" >>"$R/modules/order"
done
[[ -s $R/modules/order ]] || die "no kernel modules found for $KVER"
install -m 0755 "$SRCDIR/tests/vm/guest-init.sh" "$R/init"

# Shares: mount tag -> host path, mounted at the same path in the guest.
QARGS=(-virtfs "local,path=/usr,mount_tag=hostusr,security_model=none,readonly=on,multidevs=remap")
SHARES="src=$SRCDIR"
QARGS+=(-virtfs "local,path=$SRCDIR,mount_tag=src,security_model=passthrough,multidevs=remap")
case $BUILDDIR/ in
"$SRCDIR"/*) ;;
*)
        SHARES+=" build=$BUILDDIR"
        QARGS+=(-virtfs "local,path=$BUILDDIR,mount_tag=build,security_model=passthrough,multidevs=remap")
        ;;
esac

# The test image is built here, where it is fast; the guest copies it to tmpfs.
probe=$BUILDDIR/tests/probe/probe
[[ -x $probe ]] || probe=
mkdir -p "$WORK/image"
img=$(BATS_TEST_DIRNAME=$SRCDIR/tests/integration CONTAINERCTL_BUILDDIR=$BUILDDIR \
        CTL_IMAGE_CACHE=$WORK/image CTL_PROBE=$probe bash -c \
        'source "$BATS_TEST_DIRNAME/helpers.bash" && ctl_build_image') || die "building the test image failed"

cat >"$R/ctlvm.env" <<EOF
CTLVM_SRCDIR='$SRCDIR'
CTLVM_BUILDDIR='$BUILDDIR'
CTLVM_WORK='$WORK'
CTLVM_SHARES='$SHARES'
CTLVM_IMAGE='$img'
CTLVM_TESTS='$(echo $TESTS)'
CTLVM_FILTER='${CTL_VM_FILTER:-}'
CTLVM_GUEST_CMD='${CTL_VM_GUEST_CMD:-}'
CTLVM_DEADLINE=$((TIMEOUT - 20))
EOF
(cd "$R" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$WORK/initramfs.gz"

# --- boot ---------------------------------------------------------------------
say "booting $KVER under TCG (smp $SMP, ${MEM}M), timeout ${TIMEOUT}s; console in $WORK/console.log"
t0=$(date +%s)
rc=0
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 -accel tcg -cpu "$CPU" -smp "$SMP" -m "$MEM" \
        -nographic -nodefaults -no-reboot -serial stdio \
        -kernel "$KDIR/vmlinux" -initrd "$WORK/initramfs.gz" \
        -append "console=ttyS0 panic=-1 quiet cgroup_no_v1=all ${CTL_VM_APPEND:-}" \
        "${QARGS[@]}" </dev/null | tee "$WORK/console.log" || rc=$?
t1=$(date +%s)
say "qemu ran $((t1 - t0))s (status $rc$( ((rc == 124)) && echo ": timed out"))"

# --- verdict ------------------------------------------------------------------
if [[ ! -f $WORK/result ]]; then
        echo "run-vm: FAIL: the guest never reported a result (timeout or crash); console tail:" >&2
        tail -n 30 "$WORK/console.log" >&2
        exit 1
fi
echo "=== TAP from the guest ($WORK/tap.txt) ==="
cat "$WORK/tap.txt"
echo "=== after-suite checks in the guest ($WORK/checks.txt) ==="
cat "$WORK/checks.txt" 2>/dev/null || echo "(none)"
echo "=== guest result: $(cat "$WORK/result") ==="
fails=$(cat "$WORK/tap.txt" "$WORK/checks.txt" 2>/dev/null | grep -c '^not ok' || true)
total=$(grep -cE '^(not )?ok' "$WORK/tap.txt" || true)
if ! grep -qx 'rc=0' "$WORK/result" || ((fails > 0)) || ((total == 0)); then
        echo "run-vm: FAIL: $fails failed ($total bats tests ran):" >&2
        cat "$WORK/tap.txt" "$WORK/checks.txt" 2>/dev/null | grep '^not ok' >&2 || true
        exit 1
fi
echo "run-vm: PASS: $total bats tests and the after-suite checks on pure cgroup v2 ($KVER), $((t1 - t0))s"
