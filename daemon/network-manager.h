/* Networks as the daemon runs them (issue 5): the default network
 * ("bridge", created on demand, its bridge name and subnet from the config
 * and the --bridge/--subnet flags) and networks made with network.create,
 * persisted under <root>/networks/<name>.json with their IPAM state
 * (<name>.ipam.json); and the endpoints of running containers. Built on
 * daemon/network/ (libnl). Every netlink call and fsync runs in a worker;
 * results come back to the loop through callbacks. Loop thread only.
 *
 * A container on a bridge network keeps its address (IPAM lease, owner =
 * container id) from its first start until it is removed; its network
 * namespace (pinned at <run-root>/netns/<id>) and veth exist while it
 * runs. */
#pragma once

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "daemon/dispatch.h"

#define NETWORK_DEFAULT_NAME "bridge"

struct worker_pool;
struct network_manager;

struct network_manager_config {
        struct event_base *base;
        struct worker_pool *workers;
        const char *root;           /* the daemon's state root: networks live in <root>/networks */
        const char *run_root;       /* netns files in <run-root>/netns */
        const char *default_bridge; /* "ctl0" */
        const char *default_subnet; /* "10.88.0.0/16" */
        bool masquerade;            /* outbound NAT for bridge networks (config; off by default) */
};

/* Loads the persisted networks (no netlink yet). The default network is
 * made (persisted) on first use. Strings are copied. */
int network_manager_new(const struct network_manager_config *cfg, struct network_manager **ret,
                        struct ctr_error **err);
/* Frees memory only: bridges, veths and namespaces stay. */
void network_manager_free(struct network_manager *m);
DEFINE_FREEP(struct network_manager, network_manager_free)

/* True if name is a network that exists (or is the default one, which
 * always "exists"). For create-time validation of --network. */
bool network_manager_exists(struct network_manager *m, const char *name);

/* What a running container's network looks like, for config.json, its
 * hosts file and inspect. Strings owned by the manager, valid until the
 * endpoint is detached. */
struct network_endpoint_info {
        const char *network;    /* "bridge" or a user network's name */
        const char *bridge;     /* "ctl0" */
        const char *netns_path; /* <run-root>/netns/<id> */
        const char *veth;       /* host end, "vc0123456789" */
        const char *address;    /* "10.88.0.5" */
        unsigned prefix;        /* 16 */
        const char *gateway;    /* "10.88.0.1" */
        const char *mac;        /* "02:42:0a:58:00:05" */
};

/* Attaches container id to network (NULL: the default network): in a
 * worker, ensures the bridge (with the host-overlap check the first time),
 * leases an address (the same one again if id has a lease), creates and
 * pins the netns and the veth endpoint. done is called in the loop with 0
 * and the endpoint, or -errno and *err ("network `x` has no free address
 * in 10.90.1.0/29"); nothing is left half-made on failure (the lease stays
 * only if it existed before). name/hostname are recorded for the members
 * list. */
typedef void (*network_attach_done_fn)(int r, const struct network_endpoint_info *ep,
                                       const struct ctr_error *err, void *userdata);
void network_manager_attach(struct network_manager *m, const char *network, const char *id,
                            const char *name, const char *hostname, network_attach_done_fn done,
                            void *userdata);

/* The endpoint of a running container, or NULL. */
const struct network_endpoint_info *network_manager_endpoint(struct network_manager *m,
                                                             const char *id);

/* Takes container id's endpoint away at once (members, inspect) and
 * deletes its veth and netns in a worker (the lease stays), in a later
 * batch, once no container has started for a moment (an exit: the
 * deletion must not slow the next start; network-jobs.c). _now: right
 * away (a start that failed: nothing may stay half-made). No-op if it has
 * none. Fire and forget: failures are logged, and the next start's
 * reconcile retries. */
void network_manager_detach(struct network_manager *m, const char *id);
void network_manager_detach_now(struct network_manager *m, const char *id);

/* Releases container id's lease (container removal), in a worker. */
void network_manager_release(struct network_manager *m, const char *id);

/* Members of a network with an endpoint, for hosts files: called whenever
 * they change (attach, detach) with the network's name. The container
 * side rewrites the hosts file of every running member. */
struct network_member {
        const char *id, *name, *hostname, *address;
};
typedef void (*network_members_changed_fn)(const char *network, void *userdata);
void network_manager_on_members_changed(struct network_manager *m, network_members_changed_fn fn,
                                        void *userdata);
/* A snapshot: *ret is malloc'd (strings borrowed, valid until the next
 * attach/detach), caller frees the array. */
int network_manager_members(struct network_manager *m, const char *network,
                            struct network_member **ret, size_t *ret_n);

/* After a daemon restart: containers that are still running (their ids and
 * networks, from the container records) get their endpoint info back
 * (from the netns file and the link, read in a worker); every veth with
 * our prefix, netns file and lease that belongs to no container in keep()
 * is removed. done (may be NULL) is called in the loop when finished. */
typedef bool (*network_keep_fn)(const char *id, bool *ret_running, const char **ret_network,
                                void *userdata);
void network_manager_reconcile(struct network_manager *m, network_keep_fn keep, void *userdata,
                               void (*done)(void *userdata), void *userdata2);

/* Network counters of container id's endpoint (rx/tx bytes and packets),
 * read over netlink in a worker; done gets a new JSON object
 * {"rx_bytes","rx_packets","tx_bytes","tx_packets"} or NULL. */
void network_manager_counters(struct network_manager *m, const char *id,
                              void (*done)(json_t *counters, void *userdata), void *userdata);

/* The API (daemon/api/network.c): network.create {"name","subnet","bridge"?,
 * "masquerade"?} -> network object; network.list -> {"networks":[...]}; network.inspect
 * {"network"} -> object with "containers"; network.remove {"network"}:
 * conflict while containers are attached (leases), the default network
 * cannot be removed. in_use(id) tells if a lease owner is still a
 * container. Replies may come later (workers). */
void network_manager_create(struct network_manager *m, const char *name, const char *subnet,
                            const char *bridge, bool masquerade, struct request *req);
json_t *network_manager_list_json(struct network_manager *m);
int network_manager_inspect_json(struct network_manager *m, const char *name, json_t **ret,
                                 struct ctr_error **err);
void network_manager_remove(struct network_manager *m, const char *name, struct request *req);
