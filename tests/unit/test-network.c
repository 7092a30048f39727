/* Unit tests for daemon/network/ without root: address and subnet parsing
 * and validation, overlap, names and MACs, and IPAM (exhaustion, reuse,
 * round-robin, persistence round trip, corrupt files, failed writes,
 * concurrent leases from several threads). Files live in a mktemp dir. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fs-util.h"
#include "daemon/network/network.h"
#include "tests/unit/tap.h"

static char tmpdir[] = "/tmp/ctl-test-network-XXXXXX";

static uint32_t
A(const char *s)
{
        uint32_t a = 0;

        if (net_addr_parse(s, &a) < 0) {
                printf("# bad test address %s\n", s);
                abort();
        }
        return a;
}

static struct net_subnet
S(const char *s)
{
        struct net_subnet n = { 0, 0 };

        if (net_subnet_parse(s, &n, NULL) < 0) {
                printf("# bad test subnet %s\n", s);
                abort();
        }
        return n;
}

static void
test_addr(void)
{
        static const char *bad[] = { "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", " 1.2.3.4",
                                     "1..3.4", "-1.2.3.4", "+1.2.3.4", "1.2.3.4/24", "0x1.2.3.4", "1.2.3.a" };
        char buf[NET_ADDR_STRLEN];
        uint32_t a = 7;

        ok(net_addr_parse("10.90.1.2", &a) == 0 && a == 0x0a5a0102, "parse 10.90.1.2");
        ok(net_addr_parse("0.0.0.0", &a) == 0 && a == 0, "parse 0.0.0.0");
        ok(net_addr_parse("255.255.255.255", &a) == 0 && a == 0xffffffff, "parse 255.255.255.255");
        is_str(net_addr_format(0x0a5a0102, buf), "10.90.1.2", "format address");
        a = 7;
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                ok(net_addr_parse(bad[i], &a) == -EINVAL && a == 7, "reject address `%s`", bad[i]);
        ok(net_addr_parse(NULL, &a) == -EINVAL, "reject NULL address");
}

static void
expect_subnet_error(const char *s, const char *want)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        struct net_subnet n = { 1, 1 };
        int r = net_subnet_parse(s, &n, &err);

        ok(r == -EINVAL && n.addr == 1 && n.prefix == 1, "subnet `%s` rejected", s);
        is_str(err ? err->message : NULL, want, "  with a clear message");
}

static void
test_subnet(void)
{
        char buf[NET_SUBNET_STRLEN], a[NET_ADDR_STRLEN];
        struct net_subnet n, m;

        n = S("10.90.1.0/24");
        ok(n.addr == 0x0a5a0100 && n.prefix == 24, "parse 10.90.1.0/24");
        is_str(net_subnet_format(&n, buf), "10.90.1.0/24", "format subnet");
        is_str(net_addr_format(net_subnet_gateway(&n), a), "10.90.1.1", "gateway is .1");
        is_str(net_addr_format(net_subnet_broadcast(&n), a), "10.90.1.255", "broadcast");
        is_int(net_subnet_mask(&n), 0xffffff00u, "mask");
        is_int(net_subnet_capacity(&n), 253, "capacity of a /24");
        ok(net_subnet_contains(&n, A("10.90.1.77")) && !net_subnet_contains(&n, A("10.90.2.1")), "contains");
        n = S("172.16.0.0/12");
        is_int(net_subnet_capacity(&n), (1u << 20) - 3, "capacity of a /12");
        n = S("10.0.0.0/8");
        is_int(n.prefix, 8, "/8 accepted");
        n = S("192.168.7.4/30");
        is_int(net_subnet_capacity(&n), 1, "a /30 leaves one address");

        expect_subnet_error("10.90.1.5/24", "10.90.1.5/24 is not a network address; did you mean 10.90.1.0/24?");
        expect_subnet_error("10.90.1.128/16",
                            "10.90.1.128/16 is not a network address; did you mean 10.90.0.0/16?");
        expect_subnet_error("10.90.1.0", "invalid subnet `10.90.1.0`: expected A.B.C.D/PREFIX");
        expect_subnet_error("10.90.1.0/", "invalid subnet `10.90.1.0/`: the prefix length must be 0..32");
        expect_subnet_error("10.90.1.0/33", "invalid subnet `10.90.1.0/33`: the prefix length must be 0..32");
        expect_subnet_error("10.90.1.0/024", "invalid subnet `10.90.1.0/024`: the prefix length must be 0..32");
        expect_subnet_error("10.90.1.0/24x", "invalid subnet `10.90.1.0/24x`: the prefix length must be 0..32");
        expect_subnet_error("10.90.1/24", "invalid subnet `10.90.1/24`: expected A.B.C.D/PREFIX");
        expect_subnet_error("10.90.1.0/31",
                            "subnet 10.90.1.0/31 is too small: a network needs at least 4 addresses (/30)");
        expect_subnet_error("8.0.0.0/7", "subnet 8.0.0.0/7 is too large: use a prefix of /8 or longer");
        expect_subnet_error("127.1.0.0/16", "subnet 127.1.0.0/16 overlaps the loopback range 127.0.0.0/8");
        expect_subnet_error("169.254.3.0/24", "subnet 169.254.3.0/24 overlaps the link-local range 169.254.0.0/16");
        expect_subnet_error("224.1.0.0/16", "subnet 224.1.0.0/16 overlaps the multicast range 224.0.0.0/4");
        expect_subnet_error("0.1.0.0/16", "subnet 0.1.0.0/16 overlaps the \"this network\" range 0.0.0.0/8");
        expect_subnet_error("250.0.0.0/8", "subnet 250.0.0.0/8 overlaps the reserved range 240.0.0.0/4");
        ok(net_subnet_parse(NULL, &n, NULL) == -EINVAL, "NULL subnet rejected");

        n = S("10.90.0.0/16");
        m = S("10.90.1.0/24");
        ok(net_subnet_overlaps(&n, &m) && net_subnet_overlaps(&m, &n), "a /24 inside a /16 overlaps (both ways)");
        m = S("10.91.0.0/24");
        ok(!net_subnet_overlaps(&n, &m), "neighbouring subnets do not overlap");
        m = S("10.90.0.0/16");
        ok(net_subnet_overlaps(&n, &m), "equal subnets overlap");
        n = S("10.90.1.0/25");
        m = S("10.90.1.128/25");
        ok(!net_subnet_overlaps(&n, &m), "two halves of a /24 do not overlap");
}

static void
test_names(void)
{
        char name[NET_IFNAME_MAX + 1], mac[NET_MAC_STRLEN];
        uint8_t m[6];

        ok(net_ifname_is_valid("eth0") && net_ifname_is_valid("ctnt12ab34") && net_ifname_is_valid("a"),
           "valid interface names");
        ok(net_ifname_is_valid("123456789012345") && !net_ifname_is_valid("1234567890123456"),
           "15 characters at most");
        ok(!net_ifname_is_valid("") && !net_ifname_is_valid(NULL) && !net_ifname_is_valid(".") &&
                   !net_ifname_is_valid("..") && !net_ifname_is_valid("a/b") && !net_ifname_is_valid("a:b") &&
                   !net_ifname_is_valid("a b") && !net_ifname_is_valid("a\nb") && !net_ifname_is_valid("\xc3\xa9"),
           "invalid interface names");
        ok(net_veth_name("0123456789abcdef0123", name) == 0, "veth name from an id");
        is_str(name, "vc0123456789", "  is vc + 10 hex chars");
        ok(net_veth_name("0123456789", name) == 0 && strcmp(name, "vc0123456789") == 0, "exactly 10 chars");
        ok(net_veth_name("012345678", name) == -EINVAL, "id too short");
        ok(net_veth_name("ABCDEF0123456789", name) == -EINVAL, "upper case is not an id");
        ok(net_veth_name(NULL, name) == -EINVAL, "NULL id");
        net_mac_from_addr(A("10.90.1.2"), m);
        is_str(net_mac_format(m, mac), "02:42:0a:5a:01:02", "MAC derived from the address like Docker");
        ok((m[0] & 0x02) && !(m[0] & 0x01), "  locally administered unicast");
}

static void
test_ipam_basic(void)
{
        _cleanup_(net_ipam_freep) struct net_ipam *ipam = NULL;
        _cleanup_error_ struct ctr_error *err = NULL;
        struct net_subnet n = S("10.90.1.0/29");
        char owner[32], a[NET_ADDR_STRLEN];
        uint32_t got[8] = { 0 }, addr = 0;
        bool seen_reserved = false;
        struct net_lease *leases = NULL;
        size_t nl = 0;

        ok(net_ipam_open("backend", &n, NULL, &ipam, NULL) == 0, "open in-memory IPAM on a /29");
        if (!ipam)
                return;
        is_str(net_ipam_name(ipam), "backend", "name");
        ok(net_ipam_subnet(ipam)->addr == n.addr, "subnet");
        for (int i = 0; i < 5; i++) {
                snprintf(owner, sizeof(owner), "c%d", i);
                ok(net_ipam_lease(ipam, owner, &got[i], NULL) == 0, "lease %d: %s", i,
                   net_addr_format(got[i], a));
                if (got[i] == n.addr || got[i] == net_subnet_gateway(&n) || got[i] == net_subnet_broadcast(&n) ||
                    !net_subnet_contains(&n, got[i]))
                        seen_reserved = true;
        }
        ok(!seen_reserved, "never the network, gateway or broadcast address");
        ok(got[0] == A("10.90.1.2") && got[4] == A("10.90.1.6"), "addresses handed out in order .2 .. .6");
        ok(net_ipam_lease(ipam, "c2", &addr, NULL) == 0 && addr == got[2], "lease is idempotent per owner");
        is_int(net_ipam_count(ipam), 5, "five leases");
        is_int(net_ipam_lease(ipam, "c5", &addr, &err), -ENOSPC, "sixth lease: subnet full");
        is_str(err ? err->message : NULL, "network `backend` has no free address in 10.90.1.0/29",
               "  clear message");
        ctr_error_free(TAKE_PTR(err));

        is_int(net_ipam_release(ipam, "c1", NULL), 1, "release c1");
        is_int(net_ipam_release(ipam, "c1", NULL), 0, "release again: nothing to do");
        is_int(net_ipam_release(ipam, "nobody", NULL), 0, "release of an unknown owner: nothing to do");
        ok(net_ipam_get(ipam, "c1", &addr) == -ENOENT, "released owner has no address");
        ok(net_ipam_lease(ipam, "c6", &addr, NULL) == 0 && addr == got[1], "released address is reused when full");
        ok(net_ipam_get(ipam, "c6", &addr) == 0 && addr == got[1], "get");

        /* round robin: with free room, a just-released address waits */
        is_int(net_ipam_release(ipam, "c6", NULL), 1, "release c6");
        is_int(net_ipam_release(ipam, "c4", NULL), 1, "release c4 (.6)");
        ok(net_ipam_lease(ipam, "c7", &addr, NULL) == 0 && addr == A("10.90.1.6"),
           "next lease continues after the last one handed out (.6), not at the lowest free (.3)");
        ok(net_ipam_lease(ipam, "c8", &addr, NULL) == 0 && addr == A("10.90.1.3"), "then wraps around to .3");

        is_int(net_ipam_lease_addr(ipam, "c9", A("10.90.1.3"), &err), -EEXIST, "lease_addr of a taken address");
        is_str(err ? err->message : NULL, "network `backend`: 10.90.1.3 is already leased to `c8`", "  message");
        ctr_error_free(TAKE_PTR(err));
        is_int(net_ipam_lease_addr(ipam, "c9", A("10.90.1.1"), &err), -EINVAL, "lease_addr of the gateway");
        is_str(err ? err->message : NULL, "network `backend`: 10.90.1.1 is the gateway", "  message");
        ctr_error_free(TAKE_PTR(err));
        is_int(net_ipam_lease_addr(ipam, "c9", A("10.90.2.3"), &err), -EINVAL, "lease_addr outside the subnet");
        is_str(err ? err->message : NULL, "network `backend`: 10.90.2.3 is not in 10.90.1.0/29", "  message");
        ctr_error_free(TAKE_PTR(err));
        is_int(net_ipam_lease_addr(ipam, "c8", A("10.90.1.3"), NULL), 0, "lease_addr of own address: fine");
        is_int(net_ipam_release(ipam, "c0", NULL), 1, "release c0 (.2)");
        is_int(net_ipam_lease_addr(ipam, "c8", A("10.90.1.2"), &err), -EEXIST, "owner already has another");
        ctr_error_free(TAKE_PTR(err));
        is_int(net_ipam_lease_addr(ipam, "c9", A("10.90.1.2"), NULL), 0, "lease_addr of a free address");

        is_int(net_ipam_lease(ipam, "", &addr, &err), -EINVAL, "empty owner rejected");
        ctr_error_free(TAKE_PTR(err));
        is_int(net_ipam_lease(ipam, "a/b", &addr, NULL), -EINVAL, "owner with '/' rejected");
        is_int(net_ipam_lease(ipam, "0123456789012345678901234567890123456789012345678901234567890123x", &addr, NULL),
               -EINVAL, "65-character owner rejected");
        ok(net_ipam_leases(ipam, &leases, &nl) == 0 && nl == net_ipam_count(ipam), "snapshot of leases");
        for (size_t i = 1; i < nl; i++)
                if (leases[i - 1].addr >= leases[i].addr)
                        ok(0, "snapshot sorted by address");
        free(leases);
}

static bool
keep_even(const char *owner, void *userdata)
{
        int *calls = userdata;

        (*calls)++;
        return (owner[strlen(owner) - 1] - '0') % 2 == 0;
}

static char *
state_path(const char *name)
{
        char *p = NULL;

        if (asprintf(&p, "%s/%s.json", tmpdir, name) < 0)
                abort();
        return p;
}

static void
test_ipam_persistence(void)
{
        _cleanup_free_ char *path = state_path("persist");
        _cleanup_free_ char *text = NULL;
        _cleanup_error_ struct ctr_error *err = NULL;
        struct net_subnet n = S("10.77.0.0/24"), other = S("10.78.0.0/24");
        struct net_ipam *ipam = NULL;
        uint32_t addr = 0, a1 = 0, a2 = 0, a3 = 0;
        struct stat st;
        int calls = 0;

        ok(net_ipam_open("persist", &n, path, &ipam, NULL) == 0, "open with a missing state file");
        ok(stat(path, &st) < 0 && errno == ENOENT, "nothing written before the first change");
        ok(net_ipam_lease(ipam, "c1", &a1, NULL) == 0 && net_ipam_lease(ipam, "c2", &a2, NULL) == 0 &&
                   net_ipam_lease(ipam, "c3", &a3, NULL) == 0,
           "three leases");
        ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "state file written, mode 0600");
        is_int(net_ipam_release(ipam, "c3", NULL), 1, "release the last one");
        net_ipam_free(ipam);
        ipam = NULL;

        ok(net_ipam_open("persist", &n, path, &ipam, &err) == 0, "reopen");
        if (!ipam) {
                printf("# %s\n", err ? err->message : "?");
                return;
        }
        is_int(net_ipam_count(ipam), 2, "two leases survived");
        ok(net_ipam_get(ipam, "c1", &addr) == 0 && addr == a1, "c1 kept its address");
        ok(net_ipam_get(ipam, "c2", &addr) == 0 && addr == a2, "c2 kept its address");
        ok(net_ipam_lease(ipam, "c4", &addr, NULL) == 0 && addr != a3 && addr == a3 + 1,
           "the cursor survived: c3's released address is not handed out next");
        ok(net_ipam_lease(ipam, "c1", &addr, NULL) == 0 && addr == a1, "same owner, same address after restart");

        is_int(net_ipam_release_unless(ipam, keep_even, &calls, NULL), 1, "reconcile: release the owners keep() rejects (c1)");
        ok(calls == 3 && net_ipam_get(ipam, "c1", &addr) == -ENOENT && net_ipam_get(ipam, "c2", &addr) == 0 &&
                   net_ipam_get(ipam, "c4", &addr) == 0,
           "  keep() consulted once per lease; only rejected owners released");
        net_ipam_free(ipam);
        ipam = NULL;
        ok(net_ipam_open("persist", &n, path, &ipam, NULL) == 0 && net_ipam_count(ipam) == 2,
           "release_unless persisted");
        net_ipam_free(ipam);
        ipam = NULL;

        ok(read_file_full(path, 1 << 20, &text, NULL, NULL) == 0 && strstr(text, "\"version\": 1") &&
                   strstr(text, "\"subnet\": \"10.77.0.0/24\"") && strstr(text, "\"c2\": \"10.77.0.3\""),
           "state file is readable JSON");

        is_int(net_ipam_open("persist", &other, path, &ipam, &err), -EINVAL, "state file of another subnet");
        ok(err && strstr(err->message, "is for subnet 10.77.0.0/24, not 10.78.0.0/24"), "  says which");
        ctr_error_free(TAKE_PTR(err));
        ok(!ipam, "  no object returned");
}

static void
expect_corrupt(const char *name, const char *content, const char *want_substr)
{
        _cleanup_free_ char *path = state_path(name);
        _cleanup_error_ struct ctr_error *err = NULL;
        struct net_subnet n = S("10.77.0.0/24");
        struct net_ipam *ipam = NULL;
        int r;

        if (write_file_atomic(path, content, strlen(content), 0600, NULL) < 0)
                abort();
        r = net_ipam_open(name, &n, path, &ipam, &err);
        ok(r == -EBADMSG && !ipam, "corrupt state (%s) refused", name);
        ok(err && strstr(err->message, "is corrupt") && strstr(err->message, path) &&
                   strstr(err->message, want_substr),
           "  message names the file and says: %s", want_substr);
        if (err && !strstr(err->message, want_substr))
                printf("#   got: %s\n", err->message);
        net_ipam_free(ipam);
}

static void
test_ipam_corrupt(void)
{
#define HEAD "{\"version\":1,\"network\":\"x\",\"subnet\":\"10.77.0.0/24\",\"next\":\"10.77.0.2\","
        expect_corrupt("garbage", "not json at all", "line 1");
        expect_corrupt("truncated", HEAD "\"leases\":{\"a\":\"10.77.0.2\"", "line 1");
        expect_corrupt("blank", "\n", "line");
        {
                /* Not fsynced (ipam.c): an empty file is a write lost to a
                 * power loss, read as no leases. */
                _cleanup_free_ char *path = state_path("empty");
                _cleanup_error_ struct ctr_error *err = NULL;
                struct net_subnet n = S("10.77.0.0/24");
                struct net_ipam *ipam = NULL;

                if (write_file_atomic(path, "", 0, 0600, NULL) < 0)
                        abort();
                ok(net_ipam_open("empty", &n, path, &ipam, &err) == 0 && ipam && net_ipam_count(ipam) == 0,
                   "an empty state file: no leases");
                net_ipam_free(ipam);
        }
        expect_corrupt("array", "[]", "missing or mistyped");
        expect_corrupt("version", "{\"version\":2,\"network\":\"x\",\"subnet\":\"10.77.0.0/24\",\"next\":\"10.77.0.2\","
                                  "\"leases\":{}}",
                       "unknown version 2");
        expect_corrupt("nosubnet", "{\"version\":1,\"network\":\"x\",\"next\":\"10.77.0.2\",\"leases\":{}}",
                       "missing or mistyped");
        expect_corrupt("badsubnet", "{\"version\":1,\"network\":\"x\",\"subnet\":\"10.77.0.1/24\",\"next\":\"10.77.0.2\","
                                    "\"leases\":{}}",
                       "invalid subnet");
        expect_corrupt("badnext", "{\"version\":1,\"network\":\"x\",\"subnet\":\"10.77.0.0/24\",\"next\":\"10.78.0.2\","
                                  "\"leases\":{}}",
                       "\"next\" is not an address of the subnet");
        expect_corrupt("noleases", HEAD "\"leases\":[]}", "\"leases\" is not an object");
        expect_corrupt("notaddr", HEAD "\"leases\":{\"a\":\"10.77.0.300\"}}", "lease of `a` is not an IPv4 address");
        expect_corrupt("numaddr", HEAD "\"leases\":{\"a\":167772162}}", "lease of `a` is not an IPv4 address");
        expect_corrupt("outside", HEAD "\"leases\":{\"a\":\"10.78.0.2\"}}", "10.78.0.2 is outside the subnet");
        expect_corrupt("gateway", HEAD "\"leases\":{\"a\":\"10.77.0.1\"}}", "10.77.0.1 is the gateway");
        expect_corrupt("bcast", HEAD "\"leases\":{\"a\":\"10.77.0.255\"}}", "is the broadcast address");
        expect_corrupt("twice", HEAD "\"leases\":{\"a\":\"10.77.0.5\",\"b\":\"10.77.0.5\"}}",
                       "10.77.0.5 is leased to both `a` and `b`");
        expect_corrupt("dupowner", HEAD "\"leases\":{\"a\":\"10.77.0.5\",\"a\":\"10.77.0.6\"}}", "duplicate");
        expect_corrupt("badowner", HEAD "\"leases\":{\"a b\":\"10.77.0.5\"}}", "invalid owner `a b`");
#undef HEAD
}

static void
test_ipam_write_failure(void)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_error_ struct ctr_error *err = NULL;
        _cleanup_(net_ipam_freep) struct net_ipam *ipam = NULL;
        struct net_subnet n = S("10.77.0.0/24");
        uint32_t addr = 0;

        if (asprintf(&path, "%s/missing-dir/state.json", tmpdir) < 0)
                abort();
        ok(net_ipam_open("nodir", &n, path, &ipam, NULL) == 0, "open with a state dir that does not exist");
        if (!ipam)
                return;
        ok(net_ipam_lease(ipam, "c1", &addr, &err) < 0, "lease fails when the state cannot be written");
        ok(err && strstr(err->message, "network `nodir`: save IPAM state"), "  error says so");
        ctr_error_free(TAKE_PTR(err));
        is_int(net_ipam_count(ipam), 0, "  and the lease was undone in memory");
        ok(net_ipam_get(ipam, "c1", &addr) == -ENOENT, "  owner has no address");
}

struct lease_thread {
        struct net_ipam *ipam;
        int id, n, failures;
        uint32_t *addrs;
};

static void *
lease_thread_main(void *p)
{
        struct lease_thread *t = p;
        char owner[32];

        for (int i = 0; i < t->n; i++) {
                snprintf(owner, sizeof(owner), "t%d-%d", t->id, i);
                if (net_ipam_lease(t->ipam, owner, &t->addrs[i], NULL) < 0)
                        t->failures++;
                /* churn: release every third one again */
                if (i % 3 == 2 && net_ipam_release(t->ipam, owner, NULL) != 1)
                        t->failures++;
        }
        return NULL;
}

static int
cmp_u32(const void *a, const void *b)
{
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;

        return x < y ? -1 : x > y;
}

static void
concurrent(const char *label, const char *path, int nthreads, int per_thread)
{
        struct net_subnet n = S("10.66.0.0/20");
        struct net_ipam *ipam = NULL;
        struct lease_thread t[8];
        pthread_t th[8];
        struct net_lease *leases = NULL;
        size_t nl = 0, dups = 0, expected = 0;
        int failures = 0;

        if (net_ipam_open("conc", &n, path, &ipam, NULL) < 0)
                abort();
        for (int i = 0; i < nthreads; i++) {
                t[i] = (struct lease_thread){ ipam, i, per_thread, 0, calloc((size_t) per_thread, sizeof(uint32_t)) };
                pthread_create(&th[i], NULL, lease_thread_main, &t[i]);
        }
        for (int i = 0; i < nthreads; i++) {
                pthread_join(th[i], NULL);
                failures += t[i].failures;
                expected += (size_t) (per_thread - per_thread / 3);
                free(t[i].addrs);
        }
        is_int(failures, 0, "concurrent leases: no failures");
        ok(net_ipam_leases(ipam, &leases, &nl) == 0, "snapshot");
        ok(nl == expected, "%s: %zu leases held", label, nl);
        {
                uint32_t *v = calloc(nl + 1, sizeof(uint32_t));

                for (size_t i = 0; i < nl; i++)
                        v[i] = leases[i].addr;
                qsort(v, nl, sizeof(uint32_t), cmp_u32);
                for (size_t i = 1; i < nl; i++)
                        if (v[i] == v[i - 1])
                                dups++;
                free(v);
        }
        is_int(dups, 0, "no address leased twice");
        free(leases);
        net_ipam_free(ipam);
        if (path) {
                ipam = NULL;
                ok(net_ipam_open("conc", &n, path, &ipam, NULL) == 0 && net_ipam_count(ipam) == expected,
                   "%s: the file holds exactly the leases in memory", label);
                net_ipam_free(ipam);
        }
}

static double
now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

struct one_lease {
        struct net_ipam *ipam;
        char owner[16];
        int r;
};

static void *
one_lease_main(void *p)
{
        struct one_lease *o = p;
        uint32_t addr;

        o->r = net_ipam_lease(o->ipam, o->owner, &addr, NULL);
        return NULL;
}

/* Group commit: 16 simultaneous leases should cost a few writes, not 16. */
static void
test_ipam_group_commit(void)
{
        _cleanup_free_ char *p1 = state_path("seq"), *p2 = state_path("par");
        struct net_subnet n = S("10.55.0.0/24");
        struct net_ipam *seq = NULL, *par = NULL;
        struct one_lease o[16];
        pthread_t th[16];
        double t0, t_seq, t_par;
        int failures = 0;
        uint32_t addr;

        if (net_ipam_open("seq", &n, p1, &seq, NULL) < 0 || net_ipam_open("par", &n, p2, &par, NULL) < 0)
                abort();
        t0 = now_ms();
        for (int i = 0; i < 16; i++) {
                char owner[16];

                snprintf(owner, sizeof(owner), "s%d", i);
                failures += net_ipam_lease(seq, owner, &addr, NULL) < 0;
        }
        t_seq = now_ms() - t0;
        t0 = now_ms();
        for (int i = 0; i < 16; i++) {
                o[i] = (struct one_lease){ .ipam = par };
                snprintf(o[i].owner, sizeof(o[i].owner), "p%d", i);
                pthread_create(&th[i], NULL, one_lease_main, &o[i]);
        }
        for (int i = 0; i < 16; i++) {
                pthread_join(th[i], NULL);
                failures += o[i].r < 0;
        }
        t_par = now_ms() - t0;
        is_int(failures, 0, "16 sequential and 16 simultaneous persisted leases");
        printf("# IPAM persisted lease: %.2f ms each in sequence; 16 at once took %.2f ms in all\n", t_seq / 16,
               t_par);
        net_ipam_free(par);
        par = NULL;
        ok(net_ipam_open("par", &n, p2, &par, NULL) == 0 && net_ipam_count(par) == 16,
           "  all 16 simultaneous leases are in the file");
        net_ipam_free(seq);
        net_ipam_free(par);
}

static void
test_ipam_concurrent(void)
{
        _cleanup_free_ char *path = state_path("conc");

        concurrent("in memory, 4 threads x 600", NULL, 4, 600);
        concurrent("persisted, 2 threads x 60", path, 2, 60);
        test_ipam_group_commit();
}

int
main(void)
{
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return 1;
        }
        test_addr();
        test_subnet();
        test_names();
        test_ipam_basic();
        test_ipam_persistence();
        test_ipam_corrupt();
        test_ipam_write_failure();
        test_ipam_concurrent();
        rm_rf(tmpdir, NULL);
        return tap_done();
}
