/* Network back-end: IPv4 subnets and IPAM, network namespaces pinned at a
 * file, bridges and veth endpoints, configured over rtnetlink with libnl-3
 * (never by running `ip`). A back-end: no libevent, no clients, no
 * containers, no globals except constant tables.
 *
 * Threads: every function may be called from any thread (the daemon calls
 * them from worker threads; not from the event loop: netlink requests,
 * fsyncs and helper threads block for milliseconds). Netlink functions
 * open their own sockets per call; a struct net_netns or struct net_ipam
 * has its own rules, stated at its type. Work inside another network
 * namespace is done by a short-lived helper thread, so the calling thread
 * never changes namespace.
 *
 * Addresses are IPv4 in host byte order (uint32_t) everywhere in this API.
 * Errors: >= 0 or -errno, and *err names the interface, address, file or
 * network. Chosen errno values: EINVAL bad input, EEXIST a name or lease
 * conflict, EADDRINUSE a subnet overlap, ENOSPC a full subnet, ENODEV a
 * missing interface, EBADMSG a corrupt IPAM file. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* ---- names, addresses, subnets (pure; subnet.c, names.c) ---- */

#define NET_IFNAME_MAX 15        /* IFNAMSIZ - 1 */
#define NET_ADDR_STRLEN 16       /* "255.255.255.255" + NUL */
#define NET_SUBNET_STRLEN 19     /* "255.255.255.255/32" + NUL */
#define NET_MAC_STRLEN 18        /* "02:42:0a:5a:01:02" + NUL */
#define NET_VETH_PREFIX "vc"     /* host ends: "vc" + 10 hex chars of the id */
#define NET_DEFAULT_IFNAME "eth0"

struct net_subnet {
        uint32_t addr;   /* network address, host byte order */
        unsigned prefix; /* 8..30 */
};

/* Strict dotted quad ("10.90.1.2": four decimal octets, no leading zeros,
 * nothing else). Returns 0 or -EINVAL; *ret untouched on failure. */
int net_addr_parse(const char *s, uint32_t *ret);
/* Formats addr into buf, returns buf. */
char *net_addr_format(uint32_t addr, char buf[static NET_ADDR_STRLEN]);

/* Parses and validates "A.B.C.D/P": the address must be the network address
 * ("10.90.1.5/24 is not a network address; did you mean 10.90.1.0/24?"),
 * the prefix within /8../30 (a network needs a gateway, one container, and
 * its network and broadcast addresses), and the range must not touch
 * 0.0.0.0/8, loopback, link-local, multicast or reserved space. */
int net_subnet_parse(const char *s, struct net_subnet *ret, struct ctr_error **err);
char *net_subnet_format(const struct net_subnet *s, char buf[static NET_SUBNET_STRLEN]);
uint32_t net_subnet_mask(const struct net_subnet *s);
/* The gateway (the bridge's address) is always the first host: x.x.x.1. */
uint32_t net_subnet_gateway(const struct net_subnet *s);
uint32_t net_subnet_broadcast(const struct net_subnet *s);
bool net_subnet_contains(const struct net_subnet *s, uint32_t addr);
bool net_subnet_overlaps(const struct net_subnet *a, const struct net_subnet *b);
/* Addresses IPAM can lease: size - 3 (network, gateway, broadcast). */
uint32_t net_subnet_capacity(const struct net_subnet *s);

/* A name the kernel accepts for a link: 1..15 bytes, printable, no '/',
 * ':' or whitespace, not "." or "..". */
bool net_ifname_is_valid(const char *name);
/* "vc" + the first 10 characters of a container id (at least 10 hex
 * chars, else -EINVAL). 12 characters, within IFNAMSIZ. */
int net_veth_name(const char *container_id, char buf[static NET_IFNAME_MAX + 1]);
/* Docker's locally administered MAC derived from the address:
 * 02:42:a:b:c:d. Unique as long as the address is. */
void net_mac_from_addr(uint32_t addr, uint8_t mac[static 6]);
char *net_mac_format(const uint8_t mac[static 6], char buf[static NET_MAC_STRLEN]);

/* NULL-terminated string vectors returned by the list functions. */
void net_strv_free(char **v);
DEFINE_FREEP(char *, net_strv_free)

/* ---- IPAM (ipam.c; pure apart from its state file) ----
 *
 * One object per network. Leases map an owner (a container id: 1..64
 * characters of [A-Za-z0-9_.-]) to one address. The network address, the
 * gateway and the broadcast address are never leased; an address is never
 * leased to two owners; allocation moves round-robin through the subnet
 * (the cursor is persisted too), so a released address is handed out again
 * only after the rest of the subnet was used, also across restarts — stale
 * ARP entries of a removed container do not hit its successor.
 *
 * Threads: an object carries its own locks; every function may be called
 * concurrently on the same object from any thread (but make at most one
 * call per owner at a time). A change is on disk (write_file_atomic, two
 * fsyncs: ~8 ms here) before the call returns; concurrent changes share
 * one write (group commit), so N parallel leases cost about two writes,
 * not N. If the write fails, the call's change is undone in memory and the
 * error returned (a concurrent write may already have put it in the file;
 * the next write takes it out). Two objects must never share a file. */
struct net_ipam;

struct net_lease {
        char owner[65];
        uint32_t addr;
};

/* Opens the IPAM of network `name` over subnet. path is the JSON state file
 * (loaded if present, created at the first change; its directory must
 * exist), or NULL for an in-memory object (tests). A file for another
 * subnet, or any inconsistency in it (address outside the subnet, reserved
 * address leased, an address or owner twice, bad JSON), is an error naming
 * the file: the daemon must not guess. */
int net_ipam_open(const char *name, const struct net_subnet *subnet, const char *path,
                  struct net_ipam **ret, struct ctr_error **err);
void net_ipam_free(struct net_ipam *ipam);
DEFINE_FREEP(struct net_ipam, net_ipam_free)

const struct net_subnet *net_ipam_subnet(const struct net_ipam *ipam);
const char *net_ipam_name(const struct net_ipam *ipam);

/* Leases an address to owner. Idempotent: an owner that has a lease gets
 * the same address again (returns 0 either way). A full subnet is -ENOSPC:
 * "network `NAME` has no free address in 10.90.1.0/29". */
int net_ipam_lease(struct net_ipam *ipam, const char *owner, uint32_t *ret_addr,
                   struct ctr_error **err);
/* Leases a given address (a user's --ip). -EINVAL outside the subnet or
 * reserved; -EEXIST when another owner has it or owner has another one. */
int net_ipam_lease_addr(struct net_ipam *ipam, const char *owner, uint32_t addr,
                        struct ctr_error **err);
/* Releases owner's lease. Returns 1 if it had one, 0 if not (idempotent). */
int net_ipam_release(struct net_ipam *ipam, const char *owner, struct ctr_error **err);
/* Releases every lease whose owner keep() rejects (crash reconciliation),
 * in one write. keep is called under the object's lock: it must not call
 * back into this object. Returns the number released. */
int net_ipam_release_unless(struct net_ipam *ipam, bool (*keep)(const char *owner, void *userdata),
                            void *userdata, struct ctr_error **err);
/* Owner's address: 0 or -ENOENT. */
int net_ipam_get(struct net_ipam *ipam, const char *owner, uint32_t *ret_addr);
/* Number of leases. */
size_t net_ipam_count(struct net_ipam *ipam);
/* A snapshot of the leases sorted by address; caller frees *ret (NULL when
 * there are none). */
int net_ipam_leases(struct net_ipam *ipam, struct net_lease **ret, size_t *ret_n);

/* ---- host checks (host-check.c; netlink, calling thread's netns) ---- */

/* Fails with -EADDRINUSE if subnet overlaps an IPv4 address of a host
 * interface or a route of the main table other than the default route:
 * "subnet 10.90.1.0/24 overlaps 10.90.0.0/16 of interface `eth0`". Links
 * named ignore_ifname (may be NULL) are skipped: a network's own bridge
 * when the daemon re-checks it at start. Overlap between the daemon's own
 * networks is net_subnet_overlaps(), the caller's job. */
int net_subnet_check_host(const struct net_subnet *subnet, const char *ignore_ifname,
                          struct ctr_error **err);

/* ---- network namespaces (netns.c) ----
 *
 * A namespace is pinned by bind-mounting its nsfs file onto a regular file
 * (what `ip netns add` does); a container joins it by that path. The
 * library never changes mount propagation: the directory should be on a
 * mount that propagates unmounts to other mount namespaces (systemd's "/"
 * is shared), or is private to the daemon.
 *
 * A struct net_netns is an open namespace: an fd of it plus a netlink
 * socket inside it. Use it from one thread at a time; any thread may use
 * it, and it never changes the namespace of the thread using it. */
struct net_netns;

/* Creates a new network namespace pinned at path (created with O_EXCL: an
 * existing file is -EEXIST; its directory must exist) with lo up. On
 * failure nothing remains (file unmounted and removed). ret may be NULL;
 * else the caller owns the open namespace (net_netns_close). */
int net_netns_create(const char *path, struct net_netns **ret, struct ctr_error **err);
/* Opens a pinned namespace: -ENOENT if missing, -EINVAL if path is not a
 * network namespace. */
int net_netns_open(const char *path, struct net_netns **ret, struct ctr_error **err);
void net_netns_close(struct net_netns *ns);
DEFINE_FREEP(struct net_netns, net_netns_close)
const char *net_netns_path(const struct net_netns *ns);
/* Unmounts (MNT_DETACH) and unlinks path. The namespace itself dies with
 * its last user. A missing file is success; a plain file is just removed.
 * Close any struct net_netns of it first, or the namespace lives on. */
int net_netns_remove(const char *path, struct ctr_error **err);
/* Names (not paths) of the entries in dir, sorted, skipping dot files (a
 * missing dir is an empty list), for crash reconciliation. */
int net_netns_list(const char *dir, char ***ret, struct ctr_error **err);

/* ---- bridges (bridge.c; calling thread's netns = the host's) ---- */

/* Makes sure bridge `name` exists with the gateway address of subnet
 * (x.x.x.1/prefix) and is up. Creates it if missing (with mtu, 0 = kernel
 * default, and a fixed random MAC so it does not follow its ports' MACs).
 * Idempotent: an existing bridge with that address is fine, a missing
 * address or down state is repaired. -EEXIST if `name` exists but is not
 * a bridge, or has another IPv4 address. On failure a bridge this call
 * created is deleted again. */
int net_bridge_ensure(const char *name, const struct net_subnet *subnet, unsigned mtu,
                      struct ctr_error **err);
/* Deletes bridge `name` (its ports are detached by the kernel). A missing
 * link is success; a link of another kind is refused (-EINVAL). */
int net_bridge_delete(const char *name, struct ctr_error **err);

/* IPv4 forwarding of one interface (/proc/sys/net/ipv4/conf/NAME/
 * forwarding): on for a bridge whose network masquerades, off otherwise.
 * -ENODEV if there is no such interface. */
int net_bridge_set_forwarding(const char *name, bool on, struct ctr_error **err);

/* ---- outbound NAT (nat.c; libnftables, calling thread's netns) ----
 *
 * One nftables table (family ip) of the daemon's, holding exactly the
 * rules of the networks passed in: a masquerade rule per masquerading
 * network and forward rules keeping networks apart (nat.c says which). */
#define NET_NAT_TABLE_MAX 64

struct net_nat_network {
        const char *bridge;
        struct net_subnet subnet;
        bool masquerade;
};

/* Names nft takes literally, as table and as interface names: 1..64 of
 * [A-Za-z0-9_.-] (no wildcard '*', no '@' set reference). */
bool net_nat_name_is_valid(const char *name);
/* Replaces table `ip <table>` in one transaction with the rules for nets;
 * when none of them masquerades the table is deleted (a missing one is
 * fine). -EINVAL for a masquerading network whose bridge name fails
 * net_nat_name_is_valid(); nftables' own message otherwise (-EPERM,
 * -EIO). Takes a few ms: worker or startup. */
int net_nat_apply(const char *table, const struct net_nat_network *nets, size_t n, struct ctr_error **err);
/* 1 if table `ip <table>` exists, 0 if not, or -errno. */
int net_nat_table_exists(const char *table, struct ctr_error **err);
/* Sets net.ipv4.ip_forward to 1 if it is 0 (*ret_changed then true). The
 * kernel turns on forwarding of every interface when it changes: callers
 * switch their isolated bridges off again. Never set back to 0 (the host
 * may rely on it by then). */
int net_ipv4_forward_enable(bool *ret_changed, struct ctr_error **err);

/* ---- veth endpoints (endpoint.c) ---- */

struct net_endpoint {
        const char *bridge;      /* host bridge the host end joins; must exist */
        const char *host_ifname; /* host end, e.g. from net_veth_name() */
        const char *ifname;      /* inside the namespace; NULL = "eth0" */
        uint32_t addr;           /* host byte order */
        unsigned prefix;         /* of the subnet */
        uint32_t gateway;        /* default route via it; 0 = no route */
        uint8_t mac[6];          /* all zero = net_mac_from_addr(addr) */
        unsigned mtu;            /* 0 = the bridge's MTU */
};

/* Connects namespace ns to a bridge: one RTM_NEWLINK creates the veth pair
 * with the host end on the bridge and up, and the peer born inside ns
 * with its final name, MAC and MTU (no separate move or rename, so a
 * half-moved or misnamed peer cannot exist). Then, inside ns: peer up,
 * address addr/prefix, default route via gateway. On any failure the pair
 * is deleted again. Not idempotent: an existing host_ifname (or ifname
 * inside ns) is -EEXIST. Cost measured here (tests/unit/test-network-
 * netlink prints it): ~1-1.5 ms, most of it the kernel creating the pair;
 * with net_netns_create() ~2-4 ms per container on an idle machine. */
int net_endpoint_create(struct net_netns *ns, const struct net_endpoint *ep, struct ctr_error **err);
/* Deletes the host end (the peer dies with it). Idempotent: a missing link
 * is success. A link of another kind than veth is refused (-EINVAL).
 * Synchronous and slow-ish (15-55 ms here: the kernel waits for RCU grace
 * periods); call it from a worker, never the loop. */
int net_endpoint_delete(const char *host_ifname, struct ctr_error **err);

/* Counters as the container sees them. */
struct net_counters {
        uint64_t rx_bytes, rx_packets, tx_bytes, tx_packets;
};
/* From the host end, rx and tx swapped (no namespace switch: cheap). */
int net_endpoint_counters(const char *host_ifname, struct net_counters *ret, struct ctr_error **err);
/* From interface ifname inside ns. */
int net_netns_counters(struct net_netns *ns, const char *ifname, struct net_counters *ret,
                       struct ctr_error **err);

/* ---- reconciliation (links.c) ---- */

/* Names of the calling thread's netns links that start with prefix and,
 * if kind is not NULL, are of that rtnetlink kind ("veth", "bridge"),
 * sorted. Pass the kind: "vc" alone also matches a host's "vcan0". */
int net_links_list(const char *prefix, const char *kind, char ***ret, struct ctr_error **err);

/* ---- reading back (readback.c; added by the network manager) ---- */

/* Names of the links enslaved to bridge `bridge` in the calling thread's
 * netns that start with prefix and, if kind is not NULL, are of that kind,
 * sorted. A missing bridge has no ports (empty list). Crash reconciliation
 * deletes only veths found this way: never another daemon's. */
int net_bridge_ports(const char *bridge, const char *prefix, const char *kind, char ***ret,
                     struct ctr_error **err);
/* The first IPv4 address (and its prefix) and the MAC of interface ifname
 * inside ns: a running container's endpoint, read back after a daemon
 * restart. -ENODEV without the interface, -EADDRNOTAVAIL without an
 * address. */
int net_netns_ifaddr(struct net_netns *ns, const char *ifname, uint32_t *ret_addr, unsigned *ret_prefix,
                     uint8_t ret_mac[static 6], struct ctr_error **err);
