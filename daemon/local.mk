# owned by the daemon owner; runtime/, cgroup/, monitor/, image/ have their own fragments
noinst_LIBRARIES += libdaemon.a
libdaemon_a_SOURCES = \
	daemon/config.c daemon/config.h \
	daemon/worker.c daemon/worker.h \
	daemon/client.c daemon/client.h \
	daemon/server.c daemon/server.h \
	daemon/dispatch.c daemon/dispatch.h \
	daemon/container.c daemon/container.h daemon/container-record.h \
	daemon/container-store.c \
	daemon/container-spec.c \
	daemon/container-config.c \
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
	daemon/api/network.c
libdaemon_a_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JANSSON_CFLAGS) $(SYSTEMD_CFLAGS)

DAEMON_LIBS = libdaemon.a libimage.a libnetwork.a libcgroup.a libmonitorproto.a libproto.a libcommon.a \
	$(LIBEVENT_LIBS) $(JANSSON_LIBS) $(SYSTEMD_LIBS) $(IMAGE_LIBS) $(NETWORK_LIBS) -lpthread

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
