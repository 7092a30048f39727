/* Reading back what the daemon made, for crash reconciliation at daemon
 * start: the ports of a bridge (so only veths on our own bridges are ever
 * deleted, never another daemon's), and the address and MAC of an
 * interface inside a pinned namespace (to rebuild a running container's
 * endpoint). Read-only: nothing here changes a link. */
#include <arpa/inet.h>
#include <errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/network/netns-internal.h"

int
net_bridge_ports(const char *bridge, const char *prefix, const char *kind, char ***ret,
                 struct ctr_error **err)
{
        _cleanup_(nls_freep) struct nls *nl = NULL;
        _cleanup_free_ char *what = NULL;
        struct rtnl_link *br = NULL;
        int master, r;

        if (!net_ifname_is_valid(bridge))
                return ctr_error_msg(err, EINVAL, "invalid bridge name `%s`", bridge ? bridge : "");
        r = nls_open(-1, &nl, err);
        if (r < 0)
                return r;
        r = nls_link_get(nl, bridge, &br, err);
        if (r == -ENODEV) {
                *ret = calloc(1, sizeof(char *)); /* no bridge, no ports */
                return *ret ? 0 : ctr_error_sys(err, ENOMEM, "list ports of `%s`", bridge);
        }
        if (r < 0)
                return r;
        master = rtnl_link_get_ifindex(br);
        rtnl_link_put(br);
        if (asprintf(&what, "list ports of `%s`", bridge) < 0)
                return ctr_error_sys(err, ENOMEM, "list ports of `%s`", bridge);
        return nls_links_collect(nl, master, prefix, kind, ret, what, err);
}

struct addr_find {
        int ifindex;
        uint32_t addr;
        unsigned prefix;
        bool found;
};

static void
find_addr(struct nl_object *obj, void *arg)
{
        struct rtnl_addr *ra = (struct rtnl_addr *) obj;
        struct addr_find *f = arg;
        struct nl_addr *local;
        uint32_t be;

        if (f->found || rtnl_addr_get_ifindex(ra) != f->ifindex || rtnl_addr_get_family(ra) != AF_INET)
                return;
        local = rtnl_addr_get_local(ra);
        if (!local || nl_addr_get_len(local) != sizeof(be))
                return;
        memcpy(&be, nl_addr_get_binary_addr(local), sizeof(be));
        f->addr = ntohl(be);
        f->prefix = (unsigned) rtnl_addr_get_prefixlen(ra);
        f->found = true;
}

int
net_netns_ifaddr(struct net_netns *ns, const char *ifname, uint32_t *ret_addr, unsigned *ret_prefix,
                 uint8_t ret_mac[static 6], struct ctr_error **err)
{
        struct addr_find f = { 0 };
        struct rtnl_link *l = NULL;
        struct nl_cache *cache = NULL;
        struct nl_addr *lladdr;
        uint8_t mac[6] = { 0 };
        struct nls *nl;
        int r;

        if (!net_ifname_is_valid(ifname))
                return ctr_error_msg(err, EINVAL, "invalid interface name `%s`", ifname ? ifname : "");
        r = net_netns_session(ns, &nl, err);
        if (r < 0)
                return r;
        r = nls_link_get(nl, ifname, &l, err);
        if (r == -ENODEV)
                return ctr_error_msg(err, ENODEV, "`%s` does not exist in `%s`", ifname,
                                     net_netns_path(ns));
        if (r < 0)
                return r;
        f.ifindex = rtnl_link_get_ifindex(l);
        lladdr = rtnl_link_get_addr(l);
        if (lladdr && nl_addr_get_len(lladdr) == sizeof(mac))
                memcpy(mac, nl_addr_get_binary_addr(lladdr), sizeof(mac));
        rtnl_link_put(l);
        nls_reset(nl);
        NLS_DUMP_RETRY(r, rtnl_addr_alloc_cache(nl->sk, &cache));
        if (r < 0)
                return nls_error(nl, r, err, "list addresses in `%s`", net_netns_path(ns));
        nl_cache_foreach(cache, find_addr, &f);
        nl_cache_free(cache);
        if (!f.found)
                return ctr_error_msg(err, EADDRNOTAVAIL, "`%s` in `%s` has no IPv4 address", ifname,
                                     net_netns_path(ns));
        *ret_addr = f.addr;
        *ret_prefix = f.prefix;
        memcpy(ret_mac, mac, sizeof(mac));
        return 0;
}
