# owned by the daemon/cgroup owner
noinst_LIBRARIES += libcgroup.a
libcgroup_a_SOURCES = \
	daemon/cgroup/cgroup.h daemon/cgroup/cgroup-internal.h \
	daemon/cgroup/cgroup.c daemon/cgroup/cgroup-parse.c daemon/cgroup/cgroup-fs.c \
	daemon/cgroup/cgroup-each.c daemon/cgroup/cgroup-join.c daemon/cgroup/v1.c daemon/cgroup/v2.c daemon/cgroup/hybrid.c \
	daemon/cgroup/resources.h daemon/cgroup/controllers.c daemon/cgroup/limits.c \
	daemon/cgroup/stats.c daemon/cgroup/freeze.c daemon/cgroup/oom.c daemon/cgroup/delegate.c \
	daemon/cgroup/devices.c
libcgroup_a_CFLAGS = $(AM_CFLAGS)

check_PROGRAMS += tests/unit/test-cgroup
tests_unit_test_cgroup_SOURCES = tests/unit/test-cgroup.c
tests_unit_test_cgroup_LDADD = libcgroup.a libcommon.a
TESTS += tests/unit/test-cgroup


check_PROGRAMS += tests/unit/test-cgroup-resources
tests_unit_test_cgroup_resources_SOURCES = tests/unit/test-cgroup-resources.c
tests_unit_test_cgroup_resources_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_cgroup_resources_LDADD = libruntime.a libcgroup.a libcommon.a $(JANSSON_LIBS) $(LIBCAP_LIBS) $(SECCOMP_LIBS)
TESTS += tests/unit/test-cgroup-resources

# Root only, real kernel: drives the resources back-end for
# tests/integration/cgroup-resources.bats (also in the v2 VM). Built by
# `make all` so that check-integration and check-vm have it.
noinst_PROGRAMS += tests/cgroup/cgroup-tool
tests_cgroup_cgroup_tool_SOURCES = tests/cgroup/cgroup-tool.c
tests_cgroup_cgroup_tool_LDADD = libcgroup.a libcommon.a

# Device rules: parsing, decisions, the BPF program (loaded, not attached,
# when run as root), linux.resources.devices in the runtime spec.
check_PROGRAMS += tests/unit/test-cgroup-devices
tests_unit_test_cgroup_devices_SOURCES = tests/unit/test-cgroup-devices.c
tests_unit_test_cgroup_devices_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_cgroup_devices_LDADD = libruntime.a libcgroup.a libcommon.a $(JANSSON_LIBS) $(LIBCAP_LIBS) $(SECCOMP_LIBS)
TESTS += tests/unit/test-cgroup-devices
