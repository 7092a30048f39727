# Unit tests: one program per module, TAP output. Integration tests (bats,
# root) run through `make check-integration`; see tests/integration/README.
EXTRA_DIST += tests/unit/tap.h

check_PROGRAMS += tests/unit/test-common
tests_unit_test_common_SOURCES = tests/unit/test-common.c
tests_unit_test_common_LDADD = libcommon.a
TESTS += tests/unit/test-common

include tests/integration/local.mk
include tests/vm/local.mk
