noinst_LIBRARIES += libcommon.a
libcommon_a_SOURCES = \
	common/macros.h \
	common/error.c common/error.h \
	common/log.c common/log.h \
	common/parse.c common/parse.h \
	common/fs-util.c common/fs-util.h \
	common/id.c common/id.h \
	common/time-util.c common/time-util.h
libcommon_a_CFLAGS = $(AM_CFLAGS)
