# owned by the daemon/cgroup owner
noinst_LIBRARIES += libcgroup.a
libcgroup_a_SOURCES = \
	daemon/cgroup/cgroup.h daemon/cgroup/cgroup-internal.h \
	daemon/cgroup/cgroup.c daemon/cgroup/cgroup-parse.c daemon/cgroup/cgroup-fs.c \
	daemon/cgroup/cgroup-each.c daemon/cgroup/cgroup-join.c daemon/cgroup/v1.c daemon/cgroup/v2.c daemon/cgroup/hybrid.c
libcgroup_a_CFLAGS = $(AM_CFLAGS)

check_PROGRAMS += tests/unit/test-cgroup
tests_unit_test_cgroup_SOURCES = tests/unit/test-cgroup.c
tests_unit_test_cgroup_LDADD = libcgroup.a libcommon.a
TESTS += tests/unit/test-cgroup

