# owned by the daemon/image owner
noinst_LIBRARIES += libimage.a
libimage_a_SOURCES = \
	daemon/image/image.h \
	daemon/image/sha256.c daemon/image/sha256.h \
	daemon/image/archive-path.c daemon/image/archive-path.h \
	daemon/image/decompress.c daemon/image/decompress.h \
	daemon/image/unpack.c \
	daemon/image/oci.c daemon/image/oci.h \
	daemon/image/oci-archive.c \
	daemon/image/layer-store.c daemon/image/layer-store.h \
	daemon/image/lookup.c \
	daemon/image/record.c daemon/image/record.h \
	daemon/image/store.c \
	daemon/image/ref.c
libimage_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(LIBARCHIVE_CFLAGS) $(LIBCRYPTO_CFLAGS) \
	$(LIBISAL_CFLAGS) $(LIBZSTD_CFLAGS)

# What a program linking libimage.a needs after it.
IMAGE_LIBS = $(LIBARCHIVE_LIBS) $(LIBCRYPTO_LIBS) $(LIBISAL_LIBS) $(LIBZSTD_LIBS) -lpthread

check_PROGRAMS += tests/unit/test-image
tests_unit_test_image_SOURCES = tests/unit/test-image.c
tests_unit_test_image_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(LIBARCHIVE_CFLAGS)
tests_unit_test_image_LDFLAGS = $(AM_LDFLAGS) -pthread
tests_unit_test_image_LDADD = libimage.a libcommon.a $(JANSSON_LIBS) $(IMAGE_LIBS)
TESTS += tests/unit/test-image

check_PROGRAMS += tests/unit/test-image-unpack
tests_unit_test_image_unpack_SOURCES = tests/unit/test-image-unpack.c
tests_unit_test_image_unpack_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(LIBARCHIVE_CFLAGS)
tests_unit_test_image_unpack_LDFLAGS = $(AM_LDFLAGS) -pthread
tests_unit_test_image_unpack_LDADD = libimage.a libcommon.a $(JANSSON_LIBS) $(IMAGE_LIBS)
TESTS += tests/unit/test-image-unpack

check_PROGRAMS += tests/unit/test-image-oci
tests_unit_test_image_oci_SOURCES = tests/unit/test-image-oci.c
tests_unit_test_image_oci_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(LIBARCHIVE_CFLAGS)
tests_unit_test_image_oci_LDFLAGS = $(AM_LDFLAGS) -pthread
tests_unit_test_image_oci_LDADD = libimage.a libcommon.a $(JANSSON_LIBS) $(IMAGE_LIBS)
TESTS += tests/unit/test-image-oci
