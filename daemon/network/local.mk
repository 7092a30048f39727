# owned by the daemon/network owner (issue 5): netlink (libnl-3 route), network
# namespaces, IPAM, outbound NAT (libnftables). A back-end: no libevent, no
# clients, no containers.
noinst_LIBRARIES += libnetwork.a
libnetwork_a_SOURCES = \
	daemon/network/network.h \
	daemon/network/subnet.c \
	daemon/network/names.c \
	daemon/network/ipam.c \
	daemon/network/nl-session.c daemon/network/nl-session.h \
	daemon/network/netns.c daemon/network/netns-internal.h \
	daemon/network/bridge.c \
	daemon/network/endpoint.c \
	daemon/network/host-check.c \
	daemon/network/links.c \
	daemon/network/nat.c
libnetwork_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(LIBNL_CFLAGS) $(LIBNFTABLES_CFLAGS)

# What a program linking libnetwork.a needs after it (and libcommon.a).
NETWORK_LIBS = $(LIBNL_LIBS) $(LIBNFTABLES_LIBS) $(JANSSON_LIBS) -lpthread

check_PROGRAMS += tests/unit/test-network
tests_unit_test_network_SOURCES = tests/unit/test-network.c
tests_unit_test_network_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_network_LDFLAGS = $(AM_LDFLAGS) -pthread
tests_unit_test_network_LDADD = libnetwork.a libcommon.a $(NETWORK_LIBS)
TESTS += tests/unit/test-network

check_PROGRAMS += tests/unit/test-network-netlink
tests_unit_test_network_netlink_SOURCES = tests/unit/test-network-netlink.c
tests_unit_test_network_netlink_CFLAGS = $(AM_CFLAGS) $(LIBNL_CFLAGS)
tests_unit_test_network_netlink_LDFLAGS = $(AM_LDFLAGS) -pthread
tests_unit_test_network_netlink_LDADD = libnetwork.a libcommon.a $(NETWORK_LIBS)
TESTS += tests/unit/test-network-netlink
