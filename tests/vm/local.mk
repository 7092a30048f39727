# Integration tests on a pure cgroup v2 kernel, inside a QEMU (TCG) VM, as
# root: `make check-vm` (see tests/vm/run-vm.sh). Not part of `make check`:
# the first run installs qemu and downloads a Debian kernel (cached under
# /var/tmp/containerctl-vm); a run takes a few minutes.
#   make check-vm VM_TESTS=tests/vm/cgroupv2.bats VM_FILTER=kill
EXTRA_DIST += \
	tests/vm/run-vm.sh \
	tests/vm/guest-init.sh \
	tests/vm/cgroupv2.bats \
	tests/vm/README.md

VM_TESTS =
VM_FILTER =
check-vm: all tests/probe/probe
	@if [ "$$(id -u)" != 0 ]; then echo "check-vm needs root" >&2; exit 1; fi
	CTL_VM_TESTS='$(VM_TESTS)' CTL_VM_FILTER='$(VM_FILTER)' \
	$(top_srcdir)/tests/vm/run-vm.sh $(abs_top_builddir)
.PHONY: check-vm
