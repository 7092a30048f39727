# containerctl, the command-line client: blocking sockets, no libevent.
# args.c, args-network.c, format.c, detach-keys.c and config.c are unit-tested
# without a daemon.
bin_PROGRAMS += containerctl
containerctl_SOURCES = \
	client/main.c \
	client/commands.h \
	client/client.c client/client.h \
	client/connection.c client/connection.h \
	client/args.c client/args.h \
	client/args-network.c client/args-network.h \
	client/args-resources.c client/args-resources.h client/args-security.c client/args-security.h \
	client/format.c client/format.h \
	client/output.c client/output.h \
	client/progress.c client/progress.h \
	client/stream.c client/stream.h \
	client/console.c client/console.h \
	client/terminal.c client/terminal.h \
	client/detach-keys.c client/detach-keys.h \
	client/config.c client/config.h \
	client/cmd-container.c \
	client/cmd-console.c \
	client/cmd-exec.c \
	client/cmd-image.c \
	client/cmd-network.c \
	client/cmd-system.c \
	client/cmd-resources.c \
	client/cmd-events.c
containerctl_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
containerctl_LDADD = libproto.a libcommon.a $(JANSSON_LIBS)

check_PROGRAMS += tests/unit/test-client-args tests/unit/test-client-format \
	tests/unit/test-client-detach
tests_unit_test_client_args_SOURCES = tests/unit/test-client-args.c client/args.c client/args.h \
	client/args-network.c client/args-network.h client/args-resources.c client/args-resources.h client/args-security.c client/args-security.h
tests_unit_test_client_args_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_client_args_LDADD = libcommon.a $(JANSSON_LIBS)
tests_unit_test_client_format_SOURCES = tests/unit/test-client-format.c \
	client/format.c client/format.h client/output.c client/output.h
tests_unit_test_client_format_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_client_format_LDADD = libcommon.a $(JANSSON_LIBS)
tests_unit_test_client_detach_SOURCES = tests/unit/test-client-detach.c \
	client/detach-keys.c client/detach-keys.h client/config.c client/config.h
tests_unit_test_client_detach_LDADD = libcommon.a
TESTS += tests/unit/test-client-args tests/unit/test-client-format \
	tests/unit/test-client-detach

check_PROGRAMS += tests/unit/test-client-progress
tests_unit_test_client_progress_SOURCES = tests/unit/test-client-progress.c \
	client/progress.c client/progress.h client/format.c client/format.h
tests_unit_test_client_progress_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_client_progress_LDADD = libcommon.a $(JANSSON_LIBS)
TESTS += tests/unit/test-client-progress

check_PROGRAMS += tests/unit/test-client-resources
tests_unit_test_client_resources_SOURCES = tests/unit/test-client-resources.c \
	client/args.c client/args.h client/args-network.c client/args-network.h \
	client/args-resources.c client/args-resources.h client/args-security.c client/args-security.h
tests_unit_test_client_resources_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_client_resources_LDADD = libcommon.a $(JANSSON_LIBS)
TESTS += tests/unit/test-client-resources

check_PROGRAMS += tests/unit/test-client-security
tests_unit_test_client_security_SOURCES = tests/unit/test-client-security.c \
	client/args.c client/args.h client/args-network.c client/args-network.h \
	client/args-resources.c client/args-resources.h client/args-security.c client/args-security.h
tests_unit_test_client_security_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_client_security_LDADD = libcommon.a $(JANSSON_LIBS)
TESTS += tests/unit/test-client-security
