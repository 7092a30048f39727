# owned by the daemon owner; runtime/, cgroup/, monitor/, image/ have their own fragments
noinst_LIBRARIES += libdaemon.a
libdaemon_a_SOURCES = \
	daemon/config.c daemon/config.h \
	daemon/worker.c daemon/worker.h \
	daemon/state-writer.c daemon/state-writer.h \
	daemon/client.c daemon/client.h \
	daemon/server.c daemon/server.h \
	daemon/authz.c daemon/authz.h \
	daemon/dispatch.c daemon/dispatch.h \
	daemon/container.c daemon/container.h daemon/container-record.h \
	daemon/container-store.c \
	daemon/container-spec.c \
	daemon/container-devices.c daemon/container-devices.h \
	daemon/container-config.c \
	daemon/container-security.c daemon/container-security.h \
	daemon/container-userns.c daemon/container-userns.h \
	daemon/userns-alloc.c daemon/userns-alloc.h \
	daemon/container-net.c \
	daemon/container-exec.c \
	daemon/container-logs.c \
	daemon/log-reader.c daemon/log-reader.h \
	daemon/monitor-client.c daemon/monitor-client.h \
	daemon/ports.c daemon/ports.h \
	daemon/image-manager.c daemon/image-manager.h daemon/image-manager-internal.h \
	daemon/image-import.c \
	daemon/network-manager.c daemon/network-manager.h daemon/network-manager-internal.h \
	daemon/network-jobs.c \
	daemon/network-store.c \
	daemon/network-admin.c \
	daemon/network-reconcile.c \
	daemon/api/api.h \
	daemon/api/params.c \
	daemon/api/system.c \
	daemon/api/image.c \
	daemon/api/container.c \
	daemon/api/exec.c \
	daemon/api/network.c \
	daemon/api/resources.c daemon/api/api-resources.h \
	daemon/api/events.c \
	daemon/api/authz.c \
	daemon/events.c daemon/events.h \
	daemon/container-resources.c \
	daemon/container-stats.c \
	daemon/netdev-stats.c daemon/netdev-stats.h
libdaemon_a_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JANSSON_CFLAGS) $(SYSTEMD_CFLAGS) \
	$(SECCOMP_CFLAGS) $(LIBCAP_CFLAGS)
# etc/seccomp.json built into the daemon as a C array: the default profile
# when the installed one is missing (an uninstalled build, a copied binary).
nodist_libdaemon_a_SOURCES = daemon/seccomp-default.c
CLEANFILES += daemon/seccomp-default.c
daemon/seccomp-default.c: $(top_srcdir)/etc/seccomp.json
	$(AM_V_GEN)$(MKDIR_P) daemon && { \
	  echo '/* Generated from etc/seccomp.json by daemon/local.mk. */'; \
	  echo '#include <stddef.h>'; \
	  echo 'const unsigned char container_security_builtin_profile[] = {'; \
	  od -An -v -tx1 $(top_srcdir)/etc/seccomp.json | sed -e 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '0 };'; \
	  echo 'const size_t container_security_builtin_profile_len = sizeof(container_security_builtin_profile) - 1;'; \
	} >$@.tmp && mv $@.tmp $@

DAEMON_LIBS = libdaemon.a libimage.a libnetwork.a libruntime.a libcgroup.a libmonitorproto.a libproto.a libcommon.a \
	$(LIBEVENT_LIBS) $(JANSSON_LIBS) $(SYSTEMD_LIBS) $(IMAGE_LIBS) $(NETWORK_LIBS) \
	$(SECCOMP_LIBS) $(LIBCAP_LIBS) -lpthread

sbin_PROGRAMS += containerctld
containerctld_SOURCES = daemon/main.c
containerctld_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JANSSON_CFLAGS) $(SYSTEMD_CFLAGS)
containerctld_LDADD = $(DAEMON_LIBS)

check_PROGRAMS += tests/unit/test-config
tests_unit_test_config_SOURCES = tests/unit/test-config.c
tests_unit_test_config_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_config_LDADD = libdaemon.a libnetwork.a libcommon.a $(NETWORK_LIBS)
TESTS += tests/unit/test-config

check_PROGRAMS += tests/unit/test-daemon-dispatch
tests_unit_test_daemon_dispatch_SOURCES = tests/unit/test-daemon-dispatch.c
tests_unit_test_daemon_dispatch_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_daemon_dispatch_LDADD = $(DAEMON_LIBS)
TESTS += tests/unit/test-daemon-dispatch

check_PROGRAMS += tests/unit/test-events
tests_unit_test_events_SOURCES = tests/unit/test-events.c
tests_unit_test_events_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_events_LDADD = $(DAEMON_LIBS)
TESTS += tests/unit/test-events

check_PROGRAMS += tests/unit/test-log-reader
tests_unit_test_log_reader_SOURCES = tests/unit/test-log-reader.c
tests_unit_test_log_reader_CFLAGS = $(AM_CFLAGS)
tests_unit_test_log_reader_LDADD = libdaemon.a libcommon.a
TESTS += tests/unit/test-log-reader

check_PROGRAMS += tests/unit/test-container-config
tests_unit_test_container_config_SOURCES = tests/unit/test-container-config.c
tests_unit_test_container_config_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_container_config_LDADD = $(DAEMON_LIBS)
TESTS += tests/unit/test-container-config

check_PROGRAMS += tests/unit/test-ports
tests_unit_test_ports_SOURCES = tests/unit/test-ports.c
tests_unit_test_ports_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_ports_LDADD = libdaemon.a libcommon.a $(JANSSON_LIBS)
TESTS += tests/unit/test-ports

include daemon/runtime/local.mk
include daemon/cgroup/local.mk
include daemon/monitor/local.mk
include daemon/image/local.mk
include daemon/network/local.mk
# The network manager's read-back functions (crash reconciliation), in the
# back-end's library; declared in daemon/network/network.h.
libnetwork_a_SOURCES += daemon/network/readback.c

check_PROGRAMS += tests/unit/test-network-manager
tests_unit_test_network_manager_SOURCES = tests/unit/test-network-manager.c
tests_unit_test_network_manager_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_network_manager_LDADD = $(DAEMON_LIBS)
TESTS += tests/unit/test-network-manager

check_PROGRAMS += tests/unit/test-authz
tests_unit_test_authz_SOURCES = tests/unit/test-authz.c
tests_unit_test_authz_CFLAGS = $(AM_CFLAGS)
tests_unit_test_authz_LDADD = libdaemon.a libcommon.a
TESTS += tests/unit/test-authz

# The security part of a container's config (issue 7): params, caps,
# container.json, config.json. No root needed.
check_PROGRAMS += tests/unit/test-container-security
tests_unit_test_container_security_SOURCES = tests/unit/test-container-security.c
tests_unit_test_container_security_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JANSSON_CFLAGS) \
	-DTOP_SRCDIR=\"$(abs_top_srcdir)\"
tests_unit_test_container_security_LDADD = $(DAEMON_LIBS)
TESTS += tests/unit/test-container-security

check_PROGRAMS += tests/unit/test-userns-alloc
tests_unit_test_userns_alloc_SOURCES = tests/unit/test-userns-alloc.c
tests_unit_test_userns_alloc_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_userns_alloc_LDADD = libdaemon.a libcommon.a $(JANSSON_LIBS)
TESTS += tests/unit/test-userns-alloc

check_PROGRAMS += tests/unit/test-netdev-stats
tests_unit_test_netdev_stats_SOURCES = tests/unit/test-netdev-stats.c
tests_unit_test_netdev_stats_CFLAGS = $(AM_CFLAGS)
tests_unit_test_netdev_stats_LDADD = libdaemon.a libcommon.a
TESTS += tests/unit/test-netdev-stats

check_PROGRAMS += tests/unit/test-state-writer
tests_unit_test_state_writer_SOURCES = tests/unit/test-state-writer.c
tests_unit_test_state_writer_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
tests_unit_test_state_writer_LDADD = libdaemon.a libcommon.a $(LIBEVENT_LIBS) -lpthread
TESTS += tests/unit/test-state-writer
