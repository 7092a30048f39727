# The wire protocol codec (no I/O): libproto.a, its unit test and its fuzz
# harness. PROTOCOL.md is the prose specification.
noinst_LIBRARIES += libproto.a
libproto_a_SOURCES = \
	proto/proto.h \
	proto/error-kind.c \
	proto/request.c \
	proto/reply.c \
	proto/encode.c \
	proto/line-buffer.c \
	proto/frame.c
libproto_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
EXTRA_DIST += proto/PROTOCOL.md

check_PROGRAMS += tests/unit/test-proto
tests_unit_test_proto_SOURCES = tests/unit/test-proto.c
tests_unit_test_proto_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_proto_LDADD = libproto.a libcommon.a $(JANSSON_LIBS)
TESTS += tests/unit/test-proto

# libFuzzer harness, not part of the normal build. Build and run with clang:
#   make fuzz CC=clang    (in a build dir configured with CC=clang)
#   ./tests/fuzz/fuzz-proto -max_total_time=60
EXTRA_DIST += tests/fuzz/fuzz-proto.c
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined
PROTO_FUZZ_FILES = \
	$(top_srcdir)/tests/fuzz/fuzz-proto.c \
	$(top_srcdir)/proto/error-kind.c \
	$(top_srcdir)/proto/request.c \
	$(top_srcdir)/proto/reply.c \
	$(top_srcdir)/proto/encode.c \
	$(top_srcdir)/proto/line-buffer.c \
	$(top_srcdir)/proto/frame.c
.PHONY: fuzz
fuzz: tests/fuzz/fuzz-proto
tests/fuzz/fuzz-proto: $(PROTO_FUZZ_FILES)
	@mkdir -p tests/fuzz
	$(CC) $(FUZZ_CFLAGS) -include config.h -I$(top_srcdir) -I$(top_builddir) \
		$(JANSSON_CFLAGS) -o $@ $(PROTO_FUZZ_FILES) $(JANSSON_LIBS)
CLEANFILES += tests/fuzz/fuzz-proto
