/* Bridges of networks, in the calling thread's (the host's) namespace:
 * created on demand with the gateway address and up, repaired when found
 * half-made, deleted with their network. Never touches a link that is not
 * a bridge. */
#include <errno.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/fs-util.h"
#include "daemon/network/network.h"
#include "daemon/network/nl-session.h"

static bool
link_is_bridge(struct rtnl_link *l)
{
        const char *kind = rtnl_link_get_type(l);

        return kind && strcmp(kind, "bridge") == 0;
}

static int
create_bridge(struct nls *nl, const char *name, unsigned mtu, struct ctr_error **err)
{
        struct rtnl_link *l = NULL;
        struct nl_addr *mac = NULL;
        uint8_t m[6];
        int r;

        /* A bridge without an explicit MAC takes the lowest of its ports'
         * and changes it as containers come and go, which makes neighbours
         * relearn the gateway. A fixed one (NET_ADDR_SET) stays. */
        if (getrandom(m, sizeof(m), 0) != sizeof(m))
                return ctr_error_sys(err, errno, "create bridge `%s`: random MAC", name);
        m[0] = (uint8_t) ((m[0] & 0xfe) | 0x02); /* unicast, locally administered */
        l = rtnl_link_alloc();
        mac = nl_addr_build(AF_LLC, m, sizeof(m));
        r = -NLE_NOMEM;
        if (l && mac) {
                r = rtnl_link_set_type(l, "bridge");
                if (r >= 0) {
                        rtnl_link_set_name(l, name);
                        rtnl_link_set_addr(l, mac);
                        if (mtu > 0)
                                rtnl_link_set_mtu(l, mtu);
                        rtnl_link_set_flags(l, IFF_UP);
                        nls_reset(nl);
                        r = rtnl_link_add(nl->sk, l, NLM_F_CREATE | NLM_F_EXCL);
                }
        }
        rtnl_link_put(l);
        nl_addr_put(mac);
        if (r < 0)
                return nls_error(nl, r, err, "create bridge `%s`", name);
        return 0;
}

struct addr_scan {
        int ifindex;
        uint32_t want;
        unsigned prefix;
        bool found;
        uint32_t other;
        unsigned other_prefix;
};

static void
scan_addr(struct nl_object *obj, void *arg)
{
        struct rtnl_addr *ra = (struct rtnl_addr *) obj;
        struct addr_scan *s = arg;
        struct nl_addr *local;
        uint32_t be;

        if (rtnl_addr_get_ifindex(ra) != s->ifindex || rtnl_addr_get_family(ra) != AF_INET)
                return;
        local = rtnl_addr_get_local(ra);
        if (!local || nl_addr_get_len(local) != sizeof(be))
                return;
        memcpy(&be, nl_addr_get_binary_addr(local), sizeof(be));
        if (ntohl(be) == s->want && (unsigned) rtnl_addr_get_prefixlen(ra) == s->prefix)
                s->found = true;
        else if (s->other == 0) {
                s->other = ntohl(be);
                s->other_prefix = (unsigned) rtnl_addr_get_prefixlen(ra);
        }
}

/* Adds the gateway address unless present; another IPv4 address on the
 * bridge means it belongs to something else (or an old config): refuse. */
static int
ensure_address(struct nls *nl, const char *name, int ifindex, const struct net_subnet *subnet,
               struct ctr_error **err)
{
        struct addr_scan s = { .ifindex = ifindex, .want = net_subnet_gateway(subnet), .prefix = subnet->prefix };
        char a[NET_ADDR_STRLEN], b[NET_ADDR_STRLEN];
        struct nl_cache *cache = NULL;
        int r;

        nls_reset(nl);
        NLS_DUMP_RETRY(r, rtnl_addr_alloc_cache(nl->sk, &cache));
        if (r < 0)
                return nls_error(nl, r, err, "list addresses of bridge `%s`", name);
        nl_cache_foreach(cache, scan_addr, &s);
        nl_cache_free(cache);
        if (s.other != 0)
                return ctr_error_msg(err, EEXIST, "bridge `%s` already has address %s/%u, not %s/%u", name,
                                     net_addr_format(s.other, a), s.other_prefix, net_addr_format(s.want, b),
                                     s.prefix);
        if (s.found)
                return 0;
        return nls_addr_add(nl, ifindex, name, s.want, subnet->prefix, err);
}

int
net_bridge_set_forwarding(const char *name, bool on, struct ctr_error **err)
{
        _cleanup_free_ char *path = NULL;

        if (!net_ifname_is_valid(name) || strcmp(name, "all") == 0 || strcmp(name, "default") == 0)
                return ctr_error_msg(err, EINVAL, "invalid bridge name `%s`", name ? name : "");
        if (asprintf(&path, "/proc/sys/net/ipv4/conf/%s/forwarding", name) < 0)
                return -ENOMEM;
        if (access(path, F_OK) < 0 && errno == ENOENT)
                return ctr_error_msg(err, ENODEV, "no interface `%s`", name);
        return write_file_string(path, on ? "1" : "0", err);
}

/* Nothing arriving on our bridge is routed anywhere: two networks stay
 * apart, and containers do not reach beyond the host, even where the host
 * has ip_forward=1 for other reasons. A network with outbound NAT turns it
 * on again afterwards (net_bridge_set_forwarding). Only this bridge's own
 * setting is touched. */
static int
disable_forwarding(const char *name, struct ctr_error **err)
{
        return net_bridge_set_forwarding(name, false, err);
}

int
net_bridge_ensure(const char *name, const struct net_subnet *subnet, unsigned mtu, struct ctr_error **err)
{
        _cleanup_(nls_freep) struct nls *nl = NULL;
        struct rtnl_link *l = NULL;
        bool created = false;
        int r, ifindex;

        if (!net_ifname_is_valid(name))
                return ctr_error_msg(err, EINVAL, "invalid bridge name `%s`", name ? name : "");
        r = nls_open(-1, &nl, err);
        if (r < 0)
                return r;
        r = nls_link_get(nl, name, &l, err);
        if (r == -ENODEV) {
                r = create_bridge(nl, name, mtu, err);
                /* EEXIST: another thread won the race; use its bridge. */
                if (r < 0 && r != -EEXIST)
                        return r;
                created = r >= 0;
                if (r == -EEXIST && err && *err) {
                        ctr_error_free(*err);
                        *err = NULL;
                }
                r = nls_link_get(nl, name, &l, err);
                if (r == -ENODEV)
                        r = ctr_error_msg(err, ENODEV, "bridge `%s` vanished while being created", name);
        }
        if (r < 0)
                return r;
        ifindex = rtnl_link_get_ifindex(l);
        if (!link_is_bridge(l)) {
                rtnl_link_put(l);
                return ctr_error_msg(err, EEXIST, "interface `%s` exists and is not a bridge", name);
        }
        r = ensure_address(nl, name, ifindex, subnet, err);
        if (r >= 0)
                r = disable_forwarding(name, err);
        if (r >= 0 && !(rtnl_link_get_flags(l) & IFF_UP))
                r = nls_link_set_up(nl, ifindex, name, err);
        rtnl_link_put(l);
        if (r < 0 && created)
                (void) nls_link_delete(nl, ifindex, name, NULL);
        return r;
}

int
net_bridge_delete(const char *name, struct ctr_error **err)
{
        _cleanup_(nls_freep) struct nls *nl = NULL;
        struct rtnl_link *l = NULL;
        int r, ifindex;
        bool is_bridge;

        if (!net_ifname_is_valid(name))
                return ctr_error_msg(err, EINVAL, "invalid bridge name `%s`", name ? name : "");
        r = nls_open(-1, &nl, err);
        if (r < 0)
                return r;
        r = nls_link_get(nl, name, &l, err);
        if (r == -ENODEV)
                return 0;
        if (r < 0)
                return r;
        ifindex = rtnl_link_get_ifindex(l);
        is_bridge = link_is_bridge(l);
        rtnl_link_put(l);
        if (!is_bridge)
                return ctr_error_msg(err, EINVAL, "refusing to delete `%s`: not a bridge", name);
        return nls_link_delete(nl, ifindex, name, err);
}
