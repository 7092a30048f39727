# owned by the daemon/monitor owner
# libmonitorproto.a: the daemon <-> monitor control codec, linked by both.
noinst_LIBRARIES += libmonitorproto.a
libmonitorproto_a_SOURCES = daemon/monitor/monitor-proto.c daemon/monitor/monitor-proto.h
libmonitorproto_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)

# The monitor's relay pieces without main.c, shared with the unit test.
MONITOR_CORE_SOURCES = daemon/monitor/monitor.h \
	daemon/monitor/cri-log.c daemon/monitor/frame-client.c daemon/monitor/ring.c \
	daemon/monitor/session.c

pkglibexec_PROGRAMS += containerctl-monitor
containerctl_monitor_SOURCES = daemon/monitor/main.c daemon/monitor/exec.c \
	daemon/monitor/proxy.c daemon/monitor/proxy.h daemon/ports.c daemon/ports.h $(MONITOR_CORE_SOURCES)
containerctl_monitor_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
containerctl_monitor_LDADD = libruntime.a libcgroup.a libmonitorproto.a libproto.a libcommon.a \
	$(JANSSON_LIBS) $(LIBCAP_LIBS) $(SECCOMP_LIBS)

check_PROGRAMS += tests/unit/test-monitor-proto
tests_unit_test_monitor_proto_SOURCES = tests/unit/test-monitor-proto.c $(MONITOR_CORE_SOURCES)
tests_unit_test_monitor_proto_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_monitor_proto_LDADD = libmonitorproto.a libproto.a libcommon.a $(JANSSON_LIBS)
TESTS += tests/unit/test-monitor-proto

EXTRA_DIST += tests/monitor/run-monitor.py tests/monitor/run-proxy.py
