/* Tests for daemon/network/ that need root: bridges, pinned network
 * namespaces, veth endpoints, counters, host subnet checks and listing.
 * The process first moves into a private network and mount namespace, so
 * nothing here touches the host's links, addresses or mounts, and
 * whatever a failure leaves behind dies with the process. Every check
 * reads the kernel's state back over netlink. Prints setup timings as TAP
 * comments. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fs-util.h"
#include "daemon/network/network.h"
#include "daemon/network/nl-session.h"
#include "tests/unit/tap.h"

static char tmpdir[] = "/tmp/ctl-test-netlink-XXXXXX";
static char nsdir[256];
static char bridge[16];
static struct net_subnet subnet;
static uint32_t gateway;

static double
now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static int
count_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        int n = 0;

        if (!d)
                return -1;
        while (readdir(d))
                n++;
        closedir(d);
        return n;
}

static void
random_hex(char *buf, size_t n)
{
        static const char hex[] = "0123456789abcdef";
        uint8_t r[64];

        if (getrandom(r, sizeof(r), 0) != sizeof(r))
                abort();
        for (size_t i = 0; i < n && i < sizeof(r); i++)
                buf[i] = hex[r[i] & 15];
        buf[n] = 0;
}

/* Per-thread rotating buffers: the parallel test calls this from threads. */
static char *
ns_path(const char *name)
{
        static __thread char p[4][320];
        static __thread int slot;
        char *s = p[slot++ % 4];

        snprintf(s, sizeof(p[0]), "%s/%s", nsdir, name);
        return s;
}

/* ---- netlink readers for verification ---- */

struct link_info {
        int ifindex, master, mtu;
        unsigned flags;
        char kind[16];
        uint8_t mac[6];
};

static int
link_info(struct nls *nl, const char *name, struct link_info *ret)
{
        struct rtnl_link *l = NULL;
        struct nl_addr *a;
        int r;

        memset(ret, 0, sizeof(*ret)); /* ifindex 0 on failure: never another link's */
        r = nls_link_get(nl, name, &l, NULL);
        if (r < 0)
                return r;
        ret->ifindex = rtnl_link_get_ifindex(l);
        ret->master = rtnl_link_get_master(l);
        ret->mtu = (int) rtnl_link_get_mtu(l);
        ret->flags = rtnl_link_get_flags(l);
        snprintf(ret->kind, sizeof(ret->kind), "%s", rtnl_link_get_type(l) ? rtnl_link_get_type(l) : "");
        a = rtnl_link_get_addr(l);
        if (a && nl_addr_get_len(a) == 6)
                memcpy(ret->mac, nl_addr_get_binary_addr(a), 6);
        rtnl_link_put(l);
        return 0;
}

struct addr_find {
        int ifindex, n_ipv4;
        uint32_t addr;
        unsigned prefix;
        bool found;
};

static void
addr_find_cb(struct nl_object *obj, void *arg)
{
        struct rtnl_addr *ra = (struct rtnl_addr *) obj;
        struct addr_find *f = arg;
        struct nl_addr *local = rtnl_addr_get_local(ra);
        uint32_t be;

        if (rtnl_addr_get_ifindex(ra) != f->ifindex || rtnl_addr_get_family(ra) != AF_INET || !local)
                return;
        f->n_ipv4++;
        memcpy(&be, nl_addr_get_binary_addr(local), 4);
        if (ntohl(be) == f->addr && (unsigned) rtnl_addr_get_prefixlen(ra) == f->prefix)
                f->found = true;
}

/* Whether ifindex has addr/prefix; *n_ipv4 = its number of IPv4 addresses. */
static bool
has_addr(struct nls *nl, int ifindex, uint32_t addr, unsigned prefix, int *n_ipv4)
{
        struct addr_find f = { .ifindex = ifindex, .addr = addr, .prefix = prefix };
        struct nl_cache *c = NULL;

        if (rtnl_addr_alloc_cache(nl->sk, &c) < 0)
                return false;
        nl_cache_foreach(c, addr_find_cb, &f);
        nl_cache_free(c);
        if (n_ipv4)
                *n_ipv4 = f.n_ipv4;
        return f.found;
}

struct route_find {
        uint32_t gw;
        int oif, n;
};

static void
route_find_cb(struct nl_object *obj, void *arg)
{
        struct rtnl_route *rt = (struct rtnl_route *) obj;
        struct route_find *f = arg;
        struct rtnl_nexthop *nh;
        struct nl_addr *gw;
        uint32_t be;

        if (rtnl_route_get_table(rt) != RT_TABLE_MAIN || !rtnl_route_get_dst(rt) ||
            nl_addr_get_prefixlen(rtnl_route_get_dst(rt)) != 0 || rtnl_route_get_nnexthops(rt) < 1)
                return;
        nh = rtnl_route_nexthop_n(rt, 0);
        gw = rtnl_route_nh_get_gateway(nh);
        f->n++;
        f->oif = rtnl_route_nh_get_ifindex(nh);
        if (gw && nl_addr_get_len(gw) == 4) {
                memcpy(&be, nl_addr_get_binary_addr(gw), 4);
                f->gw = ntohl(be);
        }
}

static struct route_find
default_route(struct nls *nl)
{
        struct route_find f = { 0 };
        struct nl_cache *c = NULL;

        if (rtnl_route_alloc_cache(nl->sk, AF_INET, 0, &c) < 0)
                return f;
        nl_cache_foreach(c, route_find_cb, &f);
        nl_cache_free(c);
        return f;
}

static void
count_cb(struct nl_object *obj, void *arg)
{
        (*(int *) arg)++;
}

static int
count_links(struct nls *nl)
{
        struct nl_cache *c = NULL;
        int n = 0;

        if (rtnl_link_alloc_cache(nl->sk, AF_UNSPEC, &c) < 0)
                return -1;
        nl_cache_foreach(c, count_cb, &n);
        nl_cache_free(c);
        return n;
}

static int
strv_len(char **v)
{
        int n = 0;

        while (v && v[n])
                n++;
        return n;
}

static bool
strv_has(char **v, const char *s)
{
        for (int i = 0; v && v[i]; i++)
                if (strcmp(v[i], s) == 0)
                        return true;
        return false;
}

/* A session inside the namespace pinned at path (for checks only). */
static struct nls *
open_in(const char *path)
{
        struct nls *nl = NULL;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return NULL;
        if (nls_open(fd, &nl, NULL) < 0)
                nl = NULL;
        close(fd);
        return nl;
}

/* A link of kind (veth gets a peer named name + "p"); not every kernel
 * has the dummy module, every one we support has veth and bridge. */
static int
add_link(struct nls *nl, const char *name, const char *kind)
{
        struct rtnl_link *l = rtnl_link_alloc();
        char peer[32];
        int r;

        rtnl_link_set_type(l, kind);
        rtnl_link_set_name(l, name);
        if (strcmp(kind, "veth") == 0) {
                struct rtnl_link *p = rtnl_link_veth_get_peer(l);

                snprintf(peer, sizeof(peer), "%.13sp", name);
                rtnl_link_set_name(p, peer);
                rtnl_link_put(p);
        }
        r = rtnl_link_add(nl->sk, l, NLM_F_CREATE | NLM_F_EXCL);
        rtnl_link_put(l);
        return r;
}

static void
endpoint_for(struct net_endpoint *ep, const char *veth, uint32_t addr)
{
        *ep = (struct net_endpoint){
                .bridge = bridge,
                .host_ifname = veth,
                .addr = addr,
                .prefix = subnet.prefix,
                .gateway = gateway,
        };
}

/* ---- the tests ---- */

static void
test_bridge(struct nls *host)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        struct link_info li, li2;
        struct net_subnet other = subnet;
        struct rtnl_addr *ra;
        struct nl_addr *local;
        char dummy[16];
        int n4 = 0;

        ok(net_bridge_ensure(bridge, &subnet, 0, &err) == 0, "create bridge %s", bridge);
        if (err)
                printf("# %s\n", err->message);
        ctr_error_free(TAKE_PTR(err));
        ok(link_info(host, bridge, &li) == 0 && strcmp(li.kind, "bridge") == 0, "  it is a bridge");
        ok(li.flags & IFF_UP, "  up");
        ok(has_addr(host, li.ifindex, gateway, subnet.prefix, &n4) && n4 == 1, "  with the gateway address only");
        ok((li.mac[0] & 0x03) == 0x02, "  with a locally administered unicast MAC");

        ok(net_bridge_ensure(bridge, &subnet, 0, NULL) == 0, "ensure again: idempotent");
        ok(has_addr(host, li.ifindex, gateway, subnet.prefix, &n4) && n4 == 1, "  still one address");
        ok(link_info(host, bridge, &li2) == 0 && li2.ifindex == li.ifindex && memcmp(li.mac, li2.mac, 6) == 0,
           "  same link, same MAC");

        /* repair: address removed and link down behind our back */
        ra = rtnl_addr_alloc();
        local = nls_addr_ipv4(gateway, subnet.prefix);
        rtnl_addr_set_ifindex(ra, li.ifindex);
        rtnl_addr_set_family(ra, AF_INET);
        rtnl_addr_set_local(ra, local); /* takes its own reference */
        ok(rtnl_addr_delete(host->sk, ra, 0) == 0, "(remove the bridge address by hand)");
        rtnl_addr_put(ra);
        nl_addr_put(local);
        {
                struct rtnl_link *l = rtnl_link_alloc();

                rtnl_link_set_ifindex(l, li.ifindex);
                rtnl_link_unset_flags(l, IFF_UP);
                ok(rtnl_link_add(host->sk, l, 0) == 0, "(set the bridge down by hand)");
                rtnl_link_put(l);
        }
        ok(net_bridge_ensure(bridge, &subnet, 0, NULL) == 0, "ensure repairs a half-made bridge");
        ok(link_info(host, bridge, &li2) == 0 && (li2.flags & IFF_UP) &&
                   has_addr(host, li.ifindex, gateway, subnet.prefix, &n4) && n4 == 1,
           "  up again with its address");

        other.addr ^= 0x00010000; /* 10.123.x.0 -> 10.122.x.0 or so: another /24 */
        is_int(net_bridge_ensure(bridge, &other, 0, &err), -EEXIST, "ensure with another subnet refused");
        ok(err && strstr(err->message, "already has address") && strstr(err->message, bridge), "  says why: %s",
           err ? err->message : "");
        ctr_error_free(TAKE_PTR(err));

        snprintf(dummy, sizeof(dummy), "%.8sdm", bridge);
        ok(add_link(host, dummy, "veth") == 0, "(a veth link %s)", dummy);
        is_int(net_bridge_ensure(dummy, &subnet, 0, &err), -EEXIST, "ensure on a non-bridge refused");
        ok(err && strstr(err->message, "exists and is not a bridge") && strstr(err->message, dummy),
           "  message: %s", err ? err->message : "");
        ctr_error_free(TAKE_PTR(err));
        is_int(net_bridge_delete(dummy, &err), -EINVAL, "bridge_delete refuses a non-bridge");
        ok(err && strstr(err->message, "not a bridge"), "  message: %s", err ? err->message : "");
        ctr_error_free(TAKE_PTR(err));
        ok(link_info(host, dummy, &li2) == 0, "  the veth is still there");
        ok(nls_link_delete(host, li2.ifindex, dummy, NULL) == 0, "(remove the veth)");
        is_int(net_endpoint_delete(bridge, &err), -EINVAL, "endpoint_delete refuses a non-veth (the bridge)");
        ok(err && strstr(err->message, "not a veth"), "  message: %s", err ? err->message : "");
        ctr_error_free(TAKE_PTR(err));
        ok(link_info(host, bridge, &li2) == 0, "  the bridge is still there");
        is_int(net_bridge_ensure("bad/name", &subnet, 0, NULL), -EINVAL, "invalid bridge name refused");
}

static void
test_host_check(struct nls *host)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        struct net_subnet half = { subnet.addr, subnet.prefix + 1 }, far = { 0x0ac80000 | (subnet.addr & 0xff00), 24 };
        char dummy[16];
        struct link_info li = { .ifindex = -1 };
        struct rtnl_route *rt;
        struct rtnl_nexthop *nh;
        struct nl_addr *dst;

        is_int(net_subnet_check_host(&half, NULL, &err), -EADDRINUSE, "subnet inside the bridge's: overlap");
        ok(err && strstr(err->message, bridge) && strstr(err->message, "overlaps"), "  names the bridge: %s",
           err ? err->message : "");
        ctr_error_free(TAKE_PTR(err));
        is_int(net_subnet_check_host(&half, bridge, NULL), 0, "  unless that bridge is ignored");
        is_int(net_subnet_check_host(&far, NULL, NULL), 0, "unrelated subnet: fine");

        snprintf(dummy, sizeof(dummy), "%.8srt", bridge);
        ok(add_link(host, dummy, "veth") == 0 && link_info(host, dummy, &li) == 0 &&
                   nls_link_set_up(host, li.ifindex, dummy, NULL) == 0,
           "(veth %s, up)", dummy);
        if (li.ifindex <= 0)
                return;
        rt = rtnl_route_alloc();
        nh = rtnl_route_nh_alloc();
        rtnl_route_set_family(rt, AF_INET);
        dst = nls_addr_ipv4(far.addr & 0xffff0000, 16);
        rtnl_route_set_dst(rt, dst); /* takes its own reference */
        nl_addr_put(dst);
        rtnl_route_nh_set_ifindex(nh, li.ifindex);
        rtnl_route_add_nexthop(rt, nh);
        ok(rtnl_route_add(host->sk, rt, NLM_F_EXCL) == 0, "(a route to 10.200.0.0/16 on it)");
        rtnl_route_put(rt);
        is_int(net_subnet_check_host(&far, NULL, &err), -EADDRINUSE, "subnet inside a host route: overlap");
        ok(err && strstr(err->message, "overlaps route 10.200.0.0/16 via interface") && strstr(err->message, dummy),
           "  message: %s", err ? err->message : "");
        ctr_error_free(TAKE_PTR(err));
        ok(nls_link_delete(host, li.ifindex, dummy, NULL) == 0, "(remove the veth and its route)");
        is_int(net_subnet_check_host(&far, NULL, NULL), 0, "  then the subnet is free");
}

struct udp_args {
        const char *ns;
        uint32_t to;
        uint16_t port;
        int r;
};

static void *
udp_send_thread(void *p)
{
        struct udp_args *a = p;
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(a->port), .sin_addr.s_addr = htonl(a->to) };
        int nsfd, s;

        a->r = -1;
        nsfd = open(a->ns, O_RDONLY | O_CLOEXEC);
        if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0)
                return NULL; /* this thread ends here: no one else is moved */
        close(nsfd);
        s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s >= 0 && sendto(s, "hello", 5, 0, (struct sockaddr *) &sa, sizeof(sa)) == 5)
                a->r = 0;
        if (s >= 0)
                close(s);
        return NULL;
}

/* A UDP datagram from inside the container namespace reaches the bridge
 * address over the veth, with the container's address as its source. */
static void
check_udp(const char *ns, uint32_t from)
{
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(gateway) }, src;
        socklen_t len = sizeof(sa);
        struct udp_args a = { .ns = ns, .to = gateway };
        struct pollfd pfd;
        char buf[16] = "";
        pthread_t th;
        int s;

        s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0 || bind(s, (struct sockaddr *) &sa, sizeof(sa)) < 0 ||
            getsockname(s, (struct sockaddr *) &sa, &len) < 0) {
                ok(0, "bind UDP on the gateway address: %m");
                if (s >= 0)
                        close(s);
                return;
        }
        a.port = ntohs(sa.sin_port);
        pthread_create(&th, NULL, udp_send_thread, &a);
        pthread_join(th, NULL);
        ok(a.r == 0, "send a UDP datagram from the container namespace to the gateway");
        pfd = (struct pollfd){ .fd = s, .events = POLLIN };
        len = sizeof(src);
        ok(poll(&pfd, 1, 3000) == 1 && recvfrom(s, buf, sizeof(buf) - 1, 0, (struct sockaddr *) &src, &len) == 5 &&
                   strcmp(buf, "hello") == 0 && ntohl(src.sin_addr.s_addr) == from,
           "  it arrives on the bridge, from the container's address");
        close(s);
}

static void
test_netns_errors(void)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        struct net_netns *ns = NULL;
        const char *plain = ns_path("plain");
        struct statfs fs;

        is_int(net_netns_create(ns_path("ns0"), NULL, NULL), 0, "create a netns without keeping it open");
        ok(statfs(ns_path("ns0"), &fs) == 0 && fs.f_type == NSFS_MAGIC, "  pinned: the file is an nsfs mount");
        is_int(net_netns_create(ns_path("ns0"), NULL, &err), -EEXIST, "create over an existing file refused");
        ok(err && strstr(err->message, ns_path("ns0")), "  names the file: %s", err ? err->message : "");
        ctr_error_free(TAKE_PTR(err));
        ok(statfs(ns_path("ns0"), &fs) == 0 && fs.f_type == NSFS_MAGIC, "  the existing pin is untouched");
        is_int(net_netns_remove(ns_path("ns0"), NULL), 0, "remove it");
        ok(access(ns_path("ns0"), F_OK) < 0 && errno == ENOENT, "  file gone");
        is_int(net_netns_remove(ns_path("ns0"), NULL), 0, "remove again: idempotent");

        if (write_file_atomic(plain, "", 0, 0600, NULL) < 0)
                abort();
        is_int(net_netns_open(plain, &ns, &err), -EINVAL, "open a plain file as netns refused");
        ok(err && strstr(err->message, "is not a network namespace"), "  message: %s", err ? err->message : "");
        ctr_error_free(TAKE_PTR(err));
        is_int(net_netns_remove(plain, NULL), 0, "remove of a plain (unmounted) file");
        is_int(net_netns_open(ns_path("missing"), &ns, NULL), -ENOENT, "open of a missing file: ENOENT");
        is_int(net_netns_create("/nonexistent-dir-ctl/x", NULL, &err), -ENOENT, "create in a missing dir fails");
        ctr_error_free(TAKE_PTR(err));
}

static void
test_endpoint(struct nls *host, struct net_ipam *ipam)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        char id[65], veth[NET_IFNAME_MAX + 1], mac[NET_MAC_STRLEN], want_mac[NET_MAC_STRLEN];
        struct link_info br, hv, pe, lo, br2;
        struct net_netns *ns = NULL;
        struct net_endpoint ep;
        struct net_counters hc = { 0 }, nc = { 0 };
        struct route_find rf;
        struct nls *in = NULL;
        uint8_t m[6];
        uint32_t addr = 0;
        char **list = NULL;
        int n4 = 0;

        random_hex(id, 64);
        net_veth_name(id, veth);
        ok(net_ipam_lease(ipam, id, &addr, NULL) == 0, "lease an address for container %.12s", id);
        ok(net_netns_create(ns_path("c1"), &ns, &err) == 0, "create netns c1 (kept open)");
        if (!ns) {
                printf("# %s\n", err ? err->message : "?");
                return;
        }
        is_str(net_netns_path(ns), ns_path("c1"), "  path");
        endpoint_for(&ep, veth, addr);
        link_info(host, bridge, &br);
        ok(net_endpoint_create(ns, &ep, &err) == 0, "create endpoint %s", veth);
        if (err)
                printf("# %s\n", err->message);
        ctr_error_free(TAKE_PTR(err));

        ok(link_info(host, veth, &hv) == 0 && strcmp(hv.kind, "veth") == 0, "host end exists, a veth");
        ok(hv.master == br.ifindex, "  on the bridge");
        ok(hv.flags & IFF_UP, "  up");
        ok(hv.mtu == br.mtu, "  with the bridge's MTU (%d)", br.mtu);
        ok(link_info(host, "eth0", &pe) == -ENODEV, "no eth0 in the host namespace");
        ok(link_info(host, bridge, &br2) == 0 && memcmp(br.mac, br2.mac, 6) == 0, "bridge kept its MAC");

        in = open_in(ns_path("c1"));
        ok(in, "open a checking socket inside c1");
        if (!in)
                goto out;
        ok(link_info(in, "eth0", &pe) == 0 && strcmp(pe.kind, "veth") == 0, "eth0 inside, a veth");
        ok(pe.flags & IFF_UP, "  up");
        net_mac_from_addr(addr, m);
        is_str(net_mac_format(pe.mac, mac), net_mac_format(m, want_mac), "  MAC derived from its address");
        ok(pe.mtu == br.mtu, "  MTU");
        ok(has_addr(in, pe.ifindex, addr, subnet.prefix, &n4) && n4 == 1, "  has its address");
        rf = default_route(in);
        ok(rf.n == 1 && rf.gw == gateway && rf.oif == pe.ifindex, "default route via the gateway on eth0");
        ok(link_info(in, "lo", &lo) == 0 && (lo.flags & IFF_UP), "lo is up");
        is_int(count_links(in), 2, "only lo and eth0 inside");

        check_udp(ns_path("c1"), addr);

        ok(net_endpoint_counters(veth, &hc, NULL) == 0, "counters from the host end");
        ok(net_netns_counters(ns, "eth0", &nc, NULL) == 0, "counters from inside");
        ok(hc.tx_packets >= 1 && hc.tx_bytes >= 33, "  container sent at least the datagram (%llu pkts, %llu B)",
           (unsigned long long) hc.tx_packets, (unsigned long long) hc.tx_bytes);
        ok(hc.tx_packets <= nc.tx_packets + 2 && nc.tx_packets <= hc.tx_packets + 2 &&
                   hc.rx_packets <= nc.rx_packets + 2 && nc.rx_packets <= hc.rx_packets + 2,
           "  host view (rx/tx swapped) matches the inside view");
        is_int(net_endpoint_counters("vcnonexist0", &hc, &err), -ENODEV, "counters of a missing link");
        ctr_error_free(TAKE_PTR(err));

        ok(net_links_list(NET_VETH_PREFIX, "veth", &list, NULL) == 0 && strv_has(list, veth),
           "links_list(vc, veth) finds it");
        net_strv_free(TAKE_PTR(list));
        ok(net_netns_list(nsdir, &list, NULL) == 0 && strv_has(list, "c1"), "netns_list finds c1");
        net_strv_free(TAKE_PTR(list));

        /* not idempotent on purpose: the daemon must know */
        is_int(net_endpoint_create(ns, &ep, &err), -EEXIST, "second create with the same name: EEXIST");
        ok(err && strstr(err->message, veth), "  names the veth: %s", err ? err->message : "");
        ctr_error_free(TAKE_PTR(err));
        is_int(count_links(in), 2, "  nothing added inside");

        is_int(net_endpoint_delete(veth, NULL), 0, "delete the endpoint");
        ok(link_info(host, veth, &hv) == -ENODEV, "  host end gone");
        is_int(count_links(in), 1, "  the peer died with it (only lo inside)");
        is_int(net_endpoint_delete(veth, NULL), 0, "delete again: idempotent");
        is_int(net_ipam_release(ipam, id, NULL), 1, "release the address");
out:
        nls_free(in);
        net_netns_close(ns);
        is_int(net_netns_remove(ns_path("c1"), NULL), 0, "remove netns c1");
        ok(access(ns_path("c1"), F_OK) < 0, "  file gone");
}

static void
test_endpoint_failures(struct nls *host, struct net_ipam *ipam)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        struct net_netns *ns = NULL;
        struct net_endpoint ep;
        struct nls *in = NULL;
        char **list = NULL;
        int before;

        ok(net_links_list(NET_VETH_PREFIX, "veth", &list, NULL) == 0, "list veths");
        before = strv_len(list);
        net_strv_free(TAKE_PTR(list));
        if (net_netns_create(ns_path("f1"), &ns, NULL) < 0) {
                ok(0, "create netns f1");
                return;
        }
        in = open_in(ns_path("f1"));

        endpoint_for(&ep, "vcfail000001", net_subnet_gateway(&subnet) + 10);
        ep.bridge = "ctntnone00";
        is_int(net_endpoint_create(ns, &ep, &err), -ENODEV, "missing bridge refused");
        is_str(err ? err->message : NULL, "bridge `ctntnone00` does not exist", "  message");
        ctr_error_free(TAKE_PTR(err));

        endpoint_for(&ep, "vcfail000002", net_subnet_gateway(&subnet) + 10);
        ep.gateway = 0x01020304;
        is_int(net_endpoint_create(ns, &ep, &err), -EINVAL, "gateway outside the subnet refused");
        ok(err && strstr(err->message, "is not a neighbour"), "  message: %s", err ? err->message : "");
        ctr_error_free(TAKE_PTR(err));

        /* fails after the pair exists: the kernel refuses a broadcast
         * next hop, and the pair must be rolled back */
        endpoint_for(&ep, "vcfail000003", net_subnet_gateway(&subnet) + 10);
        ep.gateway = net_subnet_broadcast(&subnet);
        ok(net_endpoint_create(ns, &ep, &err) < 0, "route failure after the veth exists");
        ok(err && strstr(err->message, "vcfail000003") && strstr(err->message, "default route"), "  message: %s",
           err ? err->message : "");
        ctr_error_free(TAKE_PTR(err));
        ok(link_info(host, "vcfail000003", &(struct link_info){ 0 }) == -ENODEV, "  veth rolled back");
        is_int(in ? count_links(in) : -1, 1, "  nothing left inside (only lo)");

        endpoint_for(&ep, "bad name", net_subnet_gateway(&subnet) + 10);
        is_int(net_endpoint_create(ns, &ep, NULL), -EINVAL, "invalid host name refused");
        endpoint_for(&ep, "vcfail000004", net_subnet_gateway(&subnet) + 10);
        ep.ifname = "way-too-long-name";
        is_int(net_endpoint_create(ns, &ep, NULL), -EINVAL, "invalid inside name refused");

        ok(net_links_list(NET_VETH_PREFIX, "veth", &list, NULL) == 0 && strv_len(list) == before,
           "no veth left by any failure");
        net_strv_free(TAKE_PTR(list));
        is_int(net_ipam_count(ipam), 0, "no lease held");
        nls_free(in);
        net_netns_close(ns);
        net_netns_remove(ns_path("f1"), NULL);
}

static int
cmp_double(const void *a, const void *b)
{
        double x = *(const double *) a, y = *(const double *) b;

        return x < y ? -1 : x > y;
}

static void
report(const char *what, double *v, int n)
{
        qsort(v, (size_t) n, sizeof(double), cmp_double);
        printf("# %-44s median %.2f ms, min %.2f, max %.2f (n=%d)\n", what, v[n / 2], v[0], v[n - 1], n);
}

#define ROUNDS 30

/* All setups first, then all teardowns: a teardown leaves the kernel
 * destroying the namespace in a workqueue (under rtnl_lock) for a while,
 * which would otherwise be timed as part of the next setup. */
static void
test_timing(struct net_ipam *ipam)
{
        double t_ns[ROUNDS], t_ep[ROUNDS], t_all[ROUNDS], t_down[ROUNDS];
        char ids[ROUNDS][65];
        int failures = 0;

        for (int i = 0; i < ROUNDS; i++) {
                char veth[NET_IFNAME_MAX + 1], name[32];
                struct net_netns *ns = NULL;
                struct net_endpoint ep;
                uint32_t addr = 0;
                double t0, t1, t2;

                random_hex(ids[i], 64);
                net_veth_name(ids[i], veth);
                snprintf(name, sizeof(name), "t%d", i);
                if (net_ipam_lease(ipam, ids[i], &addr, NULL) < 0)
                        failures++;
                endpoint_for(&ep, veth, addr);
                t0 = now_ms();
                if (net_netns_create(ns_path(name), &ns, NULL) < 0)
                        failures++;
                t1 = now_ms();
                if (ns && net_endpoint_create(ns, &ep, NULL) < 0)
                        failures++;
                net_netns_close(ns);
                t2 = now_ms();
                t_ns[i] = t1 - t0;
                t_ep[i] = t2 - t1;
                t_all[i] = t2 - t0;
        }
        for (int i = 0; i < ROUNDS; i++) {
                char veth[NET_IFNAME_MAX + 1], name[32];
                double t0;

                net_veth_name(ids[i], veth);
                snprintf(name, sizeof(name), "t%d", i);
                t0 = now_ms();
                if (net_endpoint_delete(veth, NULL) < 0 || net_netns_remove(ns_path(name), NULL) < 0)
                        failures++;
                t_down[i] = now_ms() - t0;
                if (net_ipam_release(ipam, ids[i], NULL) != 1)
                        failures++;
        }
        is_int(failures, 0, "30 containers set up, then torn down");
        report("netns create (unshare, pin, lo up):", t_ns, ROUNDS);
        report("endpoint create (veth, up, addr, route):", t_ep, ROUNDS);
        report("whole per-container setup:", t_all, ROUNDS);
        report("teardown (veth delete, unpin):", t_down, ROUNDS);
        ok(t_all[ROUNDS / 2] < 50.0, "setup median under 50 ms (sanity bound; target 5 ms)");
}

#define PAR_THREADS 8
#define PAR_ROUNDS 5

struct par_args {
        struct net_ipam *ipam;
        int id, failures;
        char msg[256];
};

static void *
par_main(void *p)
{
        struct par_args *a = p;

        for (int i = 0; i < PAR_ROUNDS; i++) {
                _cleanup_error_ struct ctr_error *err = NULL;
                char id[65], veth[NET_IFNAME_MAX + 1], name[32];
                struct net_netns *ns = NULL;
                struct net_counters c;
                struct net_endpoint ep;
                uint32_t addr;

                random_hex(id, 64);
                net_veth_name(id, veth);
                snprintf(name, sizeof(name), "p%d-%d", a->id, i);
                if (net_ipam_lease(a->ipam, id, &addr, &err) < 0 || net_netns_create(ns_path(name), &ns, &err) < 0) {
                        a->failures++;
                        snprintf(a->msg, sizeof(a->msg), "%s", err ? err->message : "?");
                        continue;
                }
                endpoint_for(&ep, veth, addr);
                if (net_endpoint_create(ns, &ep, &err) < 0 || net_netns_counters(ns, "eth0", &c, &err) < 0 ||
                    net_endpoint_counters(veth, &c, &err) < 0) {
                        a->failures++;
                        snprintf(a->msg, sizeof(a->msg), "%s", err ? err->message : "?");
                }
                net_netns_close(ns);
                if (net_endpoint_delete(veth, &err) < 0 || net_netns_remove(ns_path(name), &err) < 0 ||
                    net_ipam_release(a->ipam, id, &err) != 1) {
                        a->failures++;
                        snprintf(a->msg, sizeof(a->msg), "%s", err ? err->message : "?");
                }
        }
        return NULL;
}

static void
test_parallel(struct net_ipam *ipam)
{
        struct par_args a[PAR_THREADS];
        pthread_t th[PAR_THREADS];
        int failures = 0;
        double t0 = now_ms(), dt;

        for (int i = 0; i < PAR_THREADS; i++) {
                a[i] = (struct par_args){ .ipam = ipam, .id = i };
                pthread_create(&th[i], NULL, par_main, &a[i]);
        }
        for (int i = 0; i < PAR_THREADS; i++) {
                pthread_join(th[i], NULL);
                failures += a[i].failures;
                if (a[i].failures)
                        printf("# thread %d: %s\n", i, a[i].msg);
        }
        dt = now_ms() - t0;
        is_int(failures, 0, "8 threads x 5 containers: setup, counters, teardown in parallel");
        printf("# parallel: %d containers set up and torn down in %.1f ms (%.2f ms each)\n",
               PAR_THREADS * PAR_ROUNDS, dt, dt / (PAR_THREADS * PAR_ROUNDS));
}

static void
test_lists(struct nls *host)
{
        char **list = NULL;
        char dummy[16] = "vcbridge0";

        ok(add_link(host, dummy, "bridge") == 0, "(a bridge named vcbridge0)");
        ok(net_links_list(NET_VETH_PREFIX, "veth", &list, NULL) == 0 && !strv_has(list, dummy),
           "links_list with a kind skips a same-prefix link of another kind");
        net_strv_free(TAKE_PTR(list));
        ok(net_links_list(NET_VETH_PREFIX, NULL, &list, NULL) == 0 && strv_has(list, dummy),
           "  without a kind it would match (hence the kind)");
        net_strv_free(TAKE_PTR(list));
        nls_link_delete(host, 0, dummy, NULL);
        ok(net_links_list("ctnt", "bridge", &list, NULL) == 0 && strv_has(list, bridge), "links_list finds the bridge");
        net_strv_free(TAKE_PTR(list));
        ok(net_netns_list("/nonexistent-ctl-dir", &list, NULL) == 0 && strv_len(list) == 0,
           "netns_list of a missing dir: empty");
        net_strv_free(TAKE_PTR(list));
}

/* Picks 10.123.x.0/24 with random x that the host does not use. */
static int
pick_subnet(void)
{
        uint8_t r[20];
        char s[NET_SUBNET_STRLEN];

        if (getrandom(r, sizeof(r), 0) != sizeof(r))
                return -1;
        for (size_t i = 0; i < sizeof(r); i++) {
                subnet = (struct net_subnet){ 0x0a7b0000u | ((uint32_t) r[i] << 8), 24 };
                if (net_subnet_check_host(&subnet, NULL, NULL) == 0) {
                        gateway = net_subnet_gateway(&subnet);
                        printf("# subnet %s (free on the host)\n", net_subnet_format(&subnet, s));
                        return 0;
                }
        }
        return -1;
}

int
main(void)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        struct net_ipam *ipam = NULL;
        struct nls *host = NULL;
        char **list = NULL;
        char hex[7];
        int fds_before, fds_after;

        if (geteuid() != 0) {
                printf("1..0 # SKIP needs root\n");
                return 0;
        }
        /* The host check runs against the real host, before we leave it. */
        if (pick_subnet() < 0) {
                printf("1..0 # SKIP no free 10.123.x.0/24 on this host\n");
                return 0;
        }
        if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0) {
                printf("1..0 # SKIP cannot unshare network and mount namespaces: %m\n");
                return 0;
        }
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                printf("1..0 # SKIP cannot make mounts private: %m\n");
                return 0;
        }
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return 1;
        }
        snprintf(nsdir, sizeof(nsdir), "%s/netns", tmpdir);
        if (mkdir(nsdir, 0700) < 0)
                abort();
        random_hex(hex, 6);
        snprintf(bridge, sizeof(bridge), "ctnt%s", hex);
        if (net_ipam_open("test", &subnet, NULL, &ipam, NULL) < 0 || nls_open(-1, &host, NULL) < 0)
                abort();
        /* libnl and the first helper threads allocate once: warm up before
         * counting fds and timing */
        net_links_list("x", NULL, &list, NULL);
        net_strv_free(TAKE_PTR(list));
        fds_before = count_fds();

        test_bridge(host);
        /* before anything tears a namespace down: the kernel destroys
         * those in a workqueue that holds rtnl_lock, which every setup
         * step needs too */
        test_timing(ipam);
        test_host_check(host);
        test_netns_errors();
        test_endpoint(host, ipam);
        test_endpoint_failures(host, ipam);
        test_parallel(ipam);
        test_lists(host);

        is_int(net_bridge_delete(bridge, &err), 0, "delete the bridge");
        ok(link_info(host, bridge, &(struct link_info){ 0 }) == -ENODEV, "  gone");
        is_int(net_bridge_delete(bridge, NULL), 0, "delete again: idempotent");

        ok(net_links_list("", NULL, &list, NULL) == 0 && strv_len(list) == 1 && strcmp(list[0], "lo") == 0,
           "no link left but lo");
        net_strv_free(TAKE_PTR(list));
        ok(net_netns_list(nsdir, &list, NULL) == 0 && strv_len(list) == 0, "no netns file left");
        for (int i = 0; list && list[i]; i++)
                printf("#   left: %s\n", list[i]);
        net_strv_free(TAKE_PTR(list));
        is_int(net_ipam_count(ipam), 0, "no lease left");
        fds_after = count_fds();
        is_int(fds_after, fds_before, "no fd leaked");

        nls_free(host);
        net_ipam_free(ipam);
        /* unpin anything a failure left before rm -rf (a mount point is EBUSY) */
        if (net_netns_list(nsdir, &list, NULL) == 0)
                for (int i = 0; list[i]; i++)
                        net_netns_remove(ns_path(list[i]), NULL);
        net_strv_free(list);
        rm_rf(tmpdir, NULL);
        return tap_done();
}
