/* Does a subnet collide with the host's own networking? One dump of the
 * IPv4 addresses and one of the IPv4 routes of the calling thread's
 * namespace; called when a network is created, not per container. */
#include <errno.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <string.h>

#include "daemon/network/network.h"
#include "daemon/network/nl-session.h"

struct scan {
        const struct net_subnet *subnet;
        int ignore_index;
        bool hit;
        bool is_route;
        struct net_subnet other;
        int ifindex;
};

static bool
to_subnet(struct nl_addr *a, unsigned prefix, struct net_subnet *ret)
{
        uint32_t be;

        if (!a || nl_addr_get_family(a) != AF_INET || nl_addr_get_len(a) != sizeof(be) || prefix > 32)
                return false;
        memcpy(&be, nl_addr_get_binary_addr(a), sizeof(be));
        ret->prefix = prefix;
        ret->addr = ntohl(be) & (prefix == 0 ? 0 : 0xffffffffu << (32 - prefix));
        return true;
}

static void
scan_addr(struct nl_object *obj, void *arg)
{
        struct rtnl_addr *ra = (struct rtnl_addr *) obj;
        struct scan *s = arg;
        struct net_subnet n;

        if (s->hit || rtnl_addr_get_family(ra) != AF_INET || rtnl_addr_get_ifindex(ra) == s->ignore_index)
                return;
        if (!to_subnet(rtnl_addr_get_local(ra), (unsigned) rtnl_addr_get_prefixlen(ra), &n))
                return;
        if (net_subnet_overlaps(s->subnet, &n)) {
                s->hit = true;
                s->other = n;
                s->ifindex = rtnl_addr_get_ifindex(ra);
        }
}

static void
scan_route(struct nl_object *obj, void *arg)
{
        struct rtnl_route *rt = (struct rtnl_route *) obj;
        struct scan *s = arg;
        struct rtnl_nexthop *nh;
        struct nl_addr *dst;
        struct net_subnet n;
        int ifindex = 0;

        if (s->hit || rtnl_route_get_table(rt) != RT_TABLE_MAIN || rtnl_route_get_type(rt) != RTN_UNICAST)
                return;
        dst = rtnl_route_get_dst(rt);
        if (!dst || nl_addr_get_prefixlen(dst) == 0)
                return; /* the default route covers everything by design */
        if (!to_subnet(dst, (unsigned) nl_addr_get_prefixlen(dst), &n))
                return;
        if (rtnl_route_get_nnexthops(rt) > 0) {
                nh = rtnl_route_nexthop_n(rt, 0);
                ifindex = nh ? rtnl_route_nh_get_ifindex(nh) : 0;
        }
        if (ifindex != 0 && ifindex == s->ignore_index)
                return;
        if (net_subnet_overlaps(s->subnet, &n)) {
                s->hit = true;
                s->is_route = true;
                s->other = n;
                s->ifindex = ifindex;
        }
}

int
net_subnet_check_host(const struct net_subnet *subnet, const char *ignore_ifname, struct ctr_error **err)
{
        _cleanup_(nls_freep) struct nls *nl = NULL;
        struct scan s = { .subnet = subnet, .ignore_index = -1 };
        char a[NET_SUBNET_STRLEN], b[NET_SUBNET_STRLEN], ifname[IF_NAMESIZE] = "?";
        struct nl_cache *cache = NULL;
        int r;

        r = nls_open(-1, &nl, err);
        if (r < 0)
                return r;
        if (ignore_ifname) {
                struct rtnl_link *l = NULL;

                r = nls_link_get(nl, ignore_ifname, &l, err);
                if (r < 0 && r != -ENODEV)
                        return r;
                if (r >= 0) {
                        s.ignore_index = rtnl_link_get_ifindex(l);
                        rtnl_link_put(l);
                }
        }
        nls_reset(nl);
        NLS_DUMP_RETRY(r, rtnl_addr_alloc_cache(nl->sk, &cache));
        if (r < 0)
                return nls_error(nl, r, err, "list host addresses");
        nl_cache_foreach(cache, scan_addr, &s);
        nl_cache_free(cache);
        if (!s.hit) {
                nls_reset(nl);
                NLS_DUMP_RETRY(r, rtnl_route_alloc_cache(nl->sk, AF_INET, 0, &cache));
                if (r < 0)
                        return nls_error(nl, r, err, "list host routes");
                nl_cache_foreach(cache, scan_route, &s);
                nl_cache_free(cache);
        }
        if (!s.hit)
                return 0;
        if (s.ifindex > 0)
                (void) if_indextoname((unsigned) s.ifindex, ifname);
        if (s.is_route)
                return ctr_error_msg(err, EADDRINUSE, "subnet %s overlaps route %s via interface `%s`",
                                     net_subnet_format(subnet, a), net_subnet_format(&s.other, b), ifname);
        return ctr_error_msg(err, EADDRINUSE, "subnet %s overlaps %s of interface `%s`",
                             net_subnet_format(subnet, a), net_subnet_format(&s.other, b), ifname);
}
