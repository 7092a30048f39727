# Integration tests (bats, root, real kernel): `make check-integration`.
# Each .bats file starts its own private daemon (see helpers.bash) from the
# binaries of this build dir. The static probe goes into the test image.
INTEGRATION_TESTS = \
	tests/integration/images.bats \
	tests/integration/images-oci.bats \
	tests/integration/images-hostile.bats \
	tests/integration/images-crash.bats \
	tests/integration/images-layers.bats \
	tests/integration/run.bats \
	tests/integration/lifecycle.bats \
	tests/integration/addressing.bats \
	tests/integration/isolation.bats \
	tests/integration/restart.bats \
	tests/integration/state.bats \
	tests/integration/badinput.bats \
	tests/integration/leaks.bats \
	tests/integration/console-tty.bats \
	tests/integration/console-attach.bats \
	tests/integration/exec.bats \
	tests/integration/logs.bats \
	tests/integration/systemd.bats \
	tests/integration/delegation.bats \
	tests/integration/monitor-proxy.bats \
	tests/integration/network.bats \
	tests/integration/ports.bats \
	tests/integration/network-crash.bats \
	tests/integration/events.bats \
	tests/integration/cgroup-resources.bats \
	tests/integration/resources.bats \
	tests/integration/userns.bats \
	tests/integration/breakout.bats \
	tests/integration/security.bats \
	tests/integration/masquerade.bats \
	tests/integration/authz.bats

EXTRA_DIST += \
	$(INTEGRATION_TESTS) \
	tests/integration/helpers.bash \
	tests/monitor/run-proxy.py \
	tests/monitor/run-monitor.py \
	tests/integration/net-helpers.bash \
	tests/integration/oci-build.bash \
	tests/integration/treecmp.py \
	tests/integration/mkhostile.py \
	tests/integration/mklayers.py \
	tests/integration/rpc.py \
	tests/integration/stream.py \
	tests/integration/notify-listen.py \
	tests/pty/ptydrive.py \
	tests/integration/README.md \
	tests/probe/probe.c tests/probe/escape.c tests/probe/escape.h

# Built with plain $(CC) -static, never with the sanitizer flags: it runs
# inside the container where no libasan exists.
tests/probe/probe: $(top_srcdir)/tests/probe/probe.c $(top_srcdir)/tests/probe/escape.c $(top_srcdir)/tests/probe/escape.h
	$(AM_V_CC)$(MKDIR_P) tests/probe && \
	$(CC) -static -O2 -Wall -Wextra -Werror -I$(top_srcdir) -o $@ $(top_srcdir)/tests/probe/probe.c $(top_srcdir)/tests/probe/escape.c
CLEANFILES += tests/probe/probe

# BATS_FLAGS: extra flags, e.g. BATS_FLAGS='--filter stop'.
# INTEGRATION_TESTS can be overridden to run one file:
#   make check-integration INTEGRATION_TESTS=tests/integration/run.bats
check-integration: all tests/probe/probe
	@if [ "$$(id -u)" != 0 ]; then echo "check-integration needs root" >&2; exit 1; fi
	cd $(top_srcdir) && \
	CONTAINERCTL_BUILDDIR=$(abs_top_builddir) \
	CTL_PROBE=$(abs_top_builddir)/tests/probe/probe \
	bats --tap $(BATS_FLAGS) $(INTEGRATION_TESTS)
.PHONY: check-integration
