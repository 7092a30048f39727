# owned by the daemon/image owner
noinst_LIBRARIES += libimage.a
libimage_a_SOURCES = \
	daemon/image/image.h \
	daemon/image/sha256.c daemon/image/sha256.h \
	daemon/image/archive-path.c daemon/image/archive-path.h \
	daemon/image/unpack.c \
	daemon/image/record.c daemon/image/record.h \
	daemon/image/store.c \
	daemon/image/ref.c
libimage_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(LIBARCHIVE_CFLAGS)

check_PROGRAMS += tests/unit/test-image
tests_unit_test_image_SOURCES = tests/unit/test-image.c
tests_unit_test_image_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(LIBARCHIVE_CFLAGS)
tests_unit_test_image_LDFLAGS = $(AM_LDFLAGS) -pthread
tests_unit_test_image_LDADD = libimage.a libcommon.a $(JANSSON_LIBS) $(LIBARCHIVE_LIBS)
TESTS += tests/unit/test-image
