# owned by the daemon/runtime owner
# The spawn path. Link order for users: libruntime.a libcgroup.a libcommon.a,
# plus $(JANSSON_LIBS) $(LIBCAP_LIBS) $(SECCOMP_LIBS).
noinst_LIBRARIES += libruntime.a
libruntime_a_SOURCES = \
	daemon/runtime/runtime.h \
	daemon/runtime/spec-internal.h \
	daemon/runtime/spec.c \
	daemon/runtime/mount-options.c \
	daemon/runtime/sync.c daemon/runtime/sync.h \
	daemon/runtime/child.h \
	daemon/runtime/child.c \
	daemon/runtime/child-mounts.c \
	daemon/runtime/child-identity.c \
	daemon/runtime/child-terminal.c \
	daemon/runtime/exec-path.c \
	daemon/runtime/parent.c daemon/runtime/parent.h \
	daemon/runtime/launch.c \
	daemon/runtime/spawn.c \
	daemon/runtime/exec.c \
	daemon/runtime/userns.c daemon/runtime/userns.h \
	daemon/runtime/seccomp-profile.c daemon/runtime/seccomp-profile.h \
	daemon/runtime/seccomp-bpf.c \
	daemon/runtime/seccomp-spec.c \
	daemon/runtime/spec-devices.c
libruntime_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(LIBCAP_CFLAGS) $(SECCOMP_CFLAGS)

check_PROGRAMS += tests/unit/test-runtime-spec
tests_unit_test_runtime_spec_SOURCES = tests/unit/test-runtime-spec.c
tests_unit_test_runtime_spec_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_runtime_spec_LDADD = libruntime.a libcommon.a $(JANSSON_LIBS) $(LIBCAP_LIBS) $(SECCOMP_LIBS)
TESTS += tests/unit/test-runtime-spec

# Profiles (Docker and OCI form, errors, includes/excludes, arches), the
# compiled program and its cache; reads etc/seccomp.json from the source tree.
check_PROGRAMS += tests/unit/test-seccomp-profile
tests_unit_test_seccomp_profile_SOURCES = tests/unit/test-seccomp-profile.c
tests_unit_test_seccomp_profile_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(SECCOMP_CFLAGS) \
	-DTOP_SRCDIR=\"$(abs_top_srcdir)\"
tests_unit_test_seccomp_profile_LDADD = libruntime.a libcommon.a $(JANSSON_LIBS) $(LIBCAP_LIBS) $(SECCOMP_LIBS)
TESTS += tests/unit/test-seccomp-profile

# Root only, not in TESTS: runs one bundle to completion, prints the exit code.
check_PROGRAMS += tests/runtime/spawn-smoke
tests_runtime_spawn_smoke_SOURCES = tests/runtime/spawn-smoke.c
tests_runtime_spawn_smoke_LDADD = libruntime.a libcgroup.a libcommon.a $(JANSSON_LIBS) $(LIBCAP_LIBS) $(SECCOMP_LIBS)

# Root only, not in TESTS: builds its own bundles on a busybox rootfs, runs
# a container and execs into it (namespaces, cgroup, caps, 126/127, tty);
# prints TAP. Run through tests/runtime/run-exec-smoke.sh.
check_PROGRAMS += tests/runtime/exec-smoke
tests_runtime_exec_smoke_SOURCES = tests/runtime/exec-smoke.c
EXTRA_DIST += tests/runtime/run-exec-smoke.sh
tests_runtime_exec_smoke_LDADD = libruntime.a libcgroup.a libcommon.a $(JANSSON_LIBS) $(LIBCAP_LIBS) $(SECCOMP_LIBS)

# Root only, not in TESTS: seccomp in the spawn path (default profile blocks
# unshare/mount/keyctl/bpf/perf_event_open/reboot, a custom EPERM profile,
# exec, no no_new_privs, a bad profile). Run tests/runtime/run-seccomp-smoke.sh.
check_PROGRAMS += tests/runtime/seccomp-smoke
tests_runtime_seccomp_smoke_SOURCES = tests/runtime/seccomp-smoke.c
tests_runtime_seccomp_smoke_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(SECCOMP_CFLAGS)
tests_runtime_seccomp_smoke_LDADD = libruntime.a libcgroup.a libcommon.a $(JANSSON_LIBS) $(LIBCAP_LIBS) $(SECCOMP_LIBS)
EXTRA_DIST += tests/runtime/run-seccomp-smoke.sh tests/runtime/syscall-try.c
