/* veth endpoints: a pair between the host's bridge and a container's
 * network namespace, its address and default route, its removal and its
 * counters. Host-side requests use a socket of the calling thread's
 * namespace; inside requests the namespace's own socket (netns.c). */
#include <errno.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <string.h>

#include "daemon/network/netns-internal.h"

static bool
link_is(struct rtnl_link *l, const char *kind)
{
        const char *k = rtnl_link_get_type(l);

        return k && strcmp(k, kind) == 0;
}

static int
validate(const struct net_endpoint *ep, const char *ifname, struct ctr_error **err)
{
        char a[NET_ADDR_STRLEN], g[NET_ADDR_STRLEN];
        struct net_subnet s;

        if (!net_ifname_is_valid(ep->bridge))
                return ctr_error_msg(err, EINVAL, "invalid bridge name `%s`", ep->bridge ? ep->bridge : "");
        if (!net_ifname_is_valid(ep->host_ifname))
                return ctr_error_msg(err, EINVAL, "invalid interface name `%s`",
                                     ep->host_ifname ? ep->host_ifname : "");
        if (!net_ifname_is_valid(ifname))
                return ctr_error_msg(err, EINVAL, "invalid interface name `%s`", ifname);
        if (ep->prefix < 1 || ep->prefix > 32 || ep->addr == 0)
                return ctr_error_msg(err, EINVAL, "invalid address %s/%u for `%s`", net_addr_format(ep->addr, a),
                                     ep->prefix, ep->host_ifname);
        s = (struct net_subnet){ ep->addr & (0xffffffffu << (32 - ep->prefix)), ep->prefix };
        if (ep->gateway != 0 && (!net_subnet_contains(&s, ep->gateway) || ep->gateway == ep->addr))
                return ctr_error_msg(err, EINVAL, "gateway %s is not a neighbour of %s/%u",
                                     net_addr_format(ep->gateway, g), net_addr_format(ep->addr, a), ep->prefix);
        return 0;
}

/* The bridge's ifindex and MTU; refuses a missing bridge or another kind. */
static int
bridge_lookup(struct nls *host, const char *name, int *ret_index, unsigned *ret_mtu, struct ctr_error **err)
{
        struct rtnl_link *br = NULL;
        bool ok;
        int r;

        r = nls_link_get(host, name, &br, err);
        if (r == -ENODEV)
                return ctr_error_msg(err, ENODEV, "bridge `%s` does not exist", name);
        if (r < 0)
                return r;
        ok = link_is(br, "bridge");
        *ret_index = rtnl_link_get_ifindex(br);
        *ret_mtu = rtnl_link_get_mtu(br);
        rtnl_link_put(br);
        if (!ok)
                return ctr_error_msg(err, EINVAL, "`%s` is not a bridge", name);
        return 0;
}

/* One RTM_NEWLINK: host end named, mastered and up; peer born inside the
 * namespace with its final name, MAC and MTU. Not up: the kernel opens the
 * peer before the pair is linked, and veth_open() then fails with ENOTCONN
 * (and the rollback costs ~30 ms), so configure_peer() brings it up. */
static int
create_pair(struct nls *host, struct net_netns *ns, const struct net_endpoint *ep, const char *ifname,
            int bridge_index, unsigned mtu, const uint8_t mac[static 6], struct ctr_error **err)
{
        struct rtnl_link *veth = NULL, *peer = NULL;
        struct nl_addr *lladdr = NULL;
        int r = -NLE_NOMEM;

        veth = rtnl_link_veth_alloc();
        lladdr = nl_addr_build(AF_LLC, mac, 6);
        if (veth && lladdr) {
                peer = rtnl_link_veth_get_peer(veth); /* a reference: put below */
                rtnl_link_set_name(veth, ep->host_ifname);
                rtnl_link_set_mtu(veth, mtu);
                rtnl_link_set_master(veth, bridge_index);
                rtnl_link_set_flags(veth, IFF_UP);
                rtnl_link_set_name(peer, ifname);
                rtnl_link_set_mtu(peer, mtu);
                rtnl_link_set_addr(peer, lladdr);
                rtnl_link_set_ns_fd(peer, net_netns_fd(ns));
                nls_reset(host);
                r = rtnl_link_add(host->sk, veth, NLM_F_CREATE | NLM_F_EXCL);
        }
        rtnl_link_put(peer);
        rtnl_link_put(veth);
        nl_addr_put(lladdr);
        if (r < 0)
                return nls_error(host, r, err, "create veth `%s` (peer `%s` in `%s`) on bridge `%s`",
                                 ep->host_ifname, ifname, net_netns_path(ns), ep->bridge);
        return 0;
}

/* Inside the namespace: the peer up (before the address, so the kernel
 * adds the prefix route the default route's gateway needs), its address,
 * the default route. */
static int
configure_peer(struct net_netns *ns, const struct net_endpoint *ep, const char *ifname, struct ctr_error **err)
{
        struct rtnl_link *peer = NULL;
        struct nls *nl;
        int r, ifindex;

        r = net_netns_session(ns, &nl, err);
        if (r < 0)
                return r;
        r = nls_link_get(nl, ifname, &peer, err);
        if (r == -ENODEV)
                return ctr_error_msg(err, ENODEV, "`%s` did not appear in `%s`", ifname, net_netns_path(ns));
        if (r < 0)
                return r;
        ifindex = rtnl_link_get_ifindex(peer);
        rtnl_link_put(peer);
        r = nls_link_set_up(nl, ifindex, ifname, err);
        if (r < 0)
                return r;
        r = nls_addr_add(nl, ifindex, ifname, ep->addr, ep->prefix, err);
        if (r < 0)
                return r;
        if (ep->gateway != 0)
                return nls_route_add_default(nl, ifindex, ifname, ep->gateway, err);
        return 0;
}

int
net_endpoint_create(struct net_netns *ns, const struct net_endpoint *ep, struct ctr_error **err)
{
        static const uint8_t zero_mac[6];
        _cleanup_(nls_freep) struct nls *host = NULL;
        const char *ifname = ep->ifname ? ep->ifname : NET_DEFAULT_IFNAME;
        uint8_t mac[6];
        unsigned mtu = 0;
        int r, bridge_index = 0;

        r = validate(ep, ifname, err);
        if (r < 0)
                return r;
        if (memcmp(ep->mac, zero_mac, sizeof(mac)) == 0)
                net_mac_from_addr(ep->addr, mac);
        else
                memcpy(mac, ep->mac, sizeof(mac));
        r = nls_open(-1, &host, err);
        if (r < 0)
                return r;
        r = bridge_lookup(host, ep->bridge, &bridge_index, &mtu, err);
        if (r < 0)
                return r;
        if (ep->mtu > 0)
                mtu = ep->mtu;
        r = create_pair(host, ns, ep, ifname, bridge_index, mtu, mac, err);
        if (r < 0)
                return r;
        r = configure_peer(ns, ep, ifname, err);
        if (r < 0) {
                /* The peer dies with the host end: nothing is left. */
                (void) nls_link_delete(host, 0, ep->host_ifname, NULL);
                return ctr_error_prefix(err, -r, "set up `%s` of veth `%s`", ifname, ep->host_ifname);
        }
        return 0;
}

int
net_endpoint_delete(const char *host_ifname, struct ctr_error **err)
{
        _cleanup_(nls_freep) struct nls *host = NULL;
        struct rtnl_link *l = NULL;
        int r, ifindex;
        bool is_veth;

        if (!net_ifname_is_valid(host_ifname))
                return ctr_error_msg(err, EINVAL, "invalid interface name `%s`", host_ifname ? host_ifname : "");
        r = nls_open(-1, &host, err);
        if (r < 0)
                return r;
        r = nls_link_get(host, host_ifname, &l, err);
        if (r == -ENODEV)
                return 0;
        if (r < 0)
                return r;
        ifindex = rtnl_link_get_ifindex(l);
        is_veth = link_is(l, "veth");
        rtnl_link_put(l);
        if (!is_veth)
                return ctr_error_msg(err, EINVAL, "refusing to delete `%s`: not a veth", host_ifname);
        return nls_link_delete(host, ifindex, host_ifname, err);
}

static int
read_counters(struct nls *nl, const char *ifname, bool swap, struct net_counters *ret, struct ctr_error **err)
{
        struct rtnl_link *l = NULL;
        uint64_t rxb, rxp, txb, txp;
        int r;

        r = nls_link_get(nl, ifname, &l, err);
        if (r == -ENODEV)
                return ctr_error_msg(err, ENODEV, "interface `%s` does not exist", ifname);
        if (r < 0)
                return r;
        rxb = rtnl_link_get_stat(l, RTNL_LINK_RX_BYTES);
        rxp = rtnl_link_get_stat(l, RTNL_LINK_RX_PACKETS);
        txb = rtnl_link_get_stat(l, RTNL_LINK_TX_BYTES);
        txp = rtnl_link_get_stat(l, RTNL_LINK_TX_PACKETS);
        rtnl_link_put(l);
        *ret = swap ? (struct net_counters){ txb, txp, rxb, rxp } : (struct net_counters){ rxb, rxp, txb, txp };
        return 0;
}

int
net_endpoint_counters(const char *host_ifname, struct net_counters *ret, struct ctr_error **err)
{
        _cleanup_(nls_freep) struct nls *host = NULL;
        int r;

        if (!net_ifname_is_valid(host_ifname))
                return ctr_error_msg(err, EINVAL, "invalid interface name `%s`", host_ifname ? host_ifname : "");
        r = nls_open(-1, &host, err);
        if (r < 0)
                return r;
        /* What the host end received, the container sent. */
        return read_counters(host, host_ifname, true, ret, err);
}

int
net_netns_counters(struct net_netns *ns, const char *ifname, struct net_counters *ret, struct ctr_error **err)
{
        struct nls *nl;
        int r;

        if (!net_ifname_is_valid(ifname))
                return ctr_error_msg(err, EINVAL, "invalid interface name `%s`", ifname ? ifname : "");
        r = net_netns_session(ns, &nl, err);
        if (r < 0)
                return r;
        r = read_counters(nl, ifname, false, ret, err);
        if (r < 0)
                return ctr_error_prefix(err, -r, "network namespace `%s`", net_netns_path(ns));
        return 0;
}
