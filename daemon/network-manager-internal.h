/* What the network manager's files share, and nothing else includes: the
 * manager's state, the network objects (network-store.c), the worker jobs
 * (network-manager.c) that network.create/remove (network-admin.c) and
 * reconciliation (network-reconcile.c) run. The rest of the daemon uses
 * network-manager.h. Loop thread only, except where a field or function
 * says "worker". */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/macros.h"
#include "daemon/network-manager.h"
#include "daemon/network/network.h"

/* Network names: what a file name, a bridge default ("ctl-" + name) and
 * the CLI all accept. */
#define NETWORK_NAME_MAX 64
#define NETWORK_BRIDGE_PREFIX "ctl-"

enum network_state {
        NETWORK_CREATING, /* network.create's worker runs: reserved, not usable */
        NETWORK_READY,
        NETWORK_REMOVING, /* network.remove accepted it: no new attach */
};

/* A network. Reference counted: a worker job holds a reference for as long
 * as its thread runs, so the manager may be freed under it. The immutable
 * fields and ipam (thread-safe) may be read by workers; the "w_" fields
 * only by workers, under lock; everything else is the loop's. */
struct network {
        atomic_int refs;
        struct network *next;
        /* immutable */
        char *name;
        char *bridge;
        struct net_subnet subnet;
        bool is_default;
        bool masquerade; /* outbound NAT (the default network: from the config) */
        char *dir; /* <root>/networks */
        struct net_ipam *ipam; /* set before the network is shared */
        /* loop */
        enum network_state state;
        int64_t created_ns; /* 0: no record yet (the default network before its first use) */
        unsigned attaching; /* attach jobs queued or running */
        /* workers, under lock */
        pthread_mutex_t lock;
        bool w_persisted;     /* the record is on disk */
        bool w_bridge_ready;  /* the bridge was ensured in this daemon run */
        char *w_stale_bridge; /* the default network's bridge before a config change */
};

struct nm_job;

struct network_manager {
        struct event_base *base;
        struct worker_pool *workers;
        char *dir;       /* <root>/networks */
        char *netns_dir; /* <run-root>/netns */
        char *ep_dir;    /* <run-root>/endpoints: who is attached, for reconciliation */
        char *nat_table;  /* our nftables table: "containerctl-" + the default bridge */
        char *nat_marker; /* <run-root>/nat-table: exists while that table may exist */
        struct network *networks; /* the default first, then by name */
        struct nm_endpoint *endpoints;
        struct nm_job *jobs; /* queued and running, oldest first */
        struct nm_job *ready; /* finished without a worker, to finish from ev_ready */
        struct event *ev_ready;
        char **notify; /* networks whose members changed, delivered from ev_ready */
        size_t n_notify;
        network_members_changed_fn members_fn;
        void *members_userdata;
        unsigned reconciling; /* reconciliations asked and not done: attach/detach/release wait */
        /* Deferred teardown (network-manager.c): endpoints of exited
         * containers, removed in batches once no attach has run for a
         * moment. */
        struct nm_parked *parked;
        unsigned n_parked;
        struct event *ev_idle;
};

/* The veth, pin and record of an exited container, parked until a batch
 * removes them; release: its lease goes too (the container was removed
 * meanwhile). Owned by the loop, then by one flush job. */
struct nm_parked {
        struct nm_parked *next;
        char *id;
        struct network *net; /* a reference */
        char veth[NET_IFNAME_MAX + 1];
        char *netns_path, *ep_path;
        int64_t parked_ms; /* CLOCK_MONOTONIC */
        bool release;
        bool released; /* by the batch's worker: done */
};

/* The endpoint of a running container (loop). */
struct nm_endpoint {
        struct nm_endpoint *next;
        struct network *net; /* a reference */
        char *id, *name, *hostname;
        struct network_endpoint_info info; /* points into the fields below */
        char netns_path[4096];
        char veth[NET_IFNAME_MAX + 1];
        char address[NET_ADDR_STRLEN];
        char gateway[NET_ADDR_STRLEN];
        char mac[NET_MAC_STRLEN];
};

/* ---- networks (network-store.c) ---- */

/* [a-z0-9][a-z0-9_.-]{0,63}, not "none" or "host" (network modes). */
bool network_name_is_valid(const char *name);
/* "ctl-" + name, cut to 15 characters: the default bridge of a network. */
void network_default_bridge(const char *name, char buf[static NET_IFNAME_MAX + 1]);

/* A new network object (state READY, one reference, no IPAM yet). */
int network_new(const char *name, const struct net_subnet *subnet, const char *bridge, bool is_default,
                const char *dir, struct network **ret);
struct network *network_ref(struct network *n);
/* Either thread. NULL-safe. */
void network_unref(struct network *n);
DEFINE_FREEP(struct network, network_unref)

/* Opens n's IPAM at <dir>/<name>.ipam.json. Startup (loop) or worker. */
int network_ipam_open(struct network *n, struct ctr_error **err);
/* Writes <dir>/<name>.json atomically. Worker (or startup). */
int network_record_save(const struct network *n, int64_t created_ns, struct ctr_error **err);
/* Reads the record at path (a file <name>.json of dir): a network without
 * IPAM, its created time in *ret_created_ns. */
int network_record_load(const char *dir, const char *path, struct network **ret, int64_t *ret_created_ns,
                        struct ctr_error **err);
/* Removes the IPAM file, then the record (which commits the removal).
 * Worker. */
int network_files_remove(const struct network *n, struct ctr_error **err);

/* Loads every record below m->dir and sets up the default network from
 * the config (startup, loop). */
int network_store_load(struct network_manager *m, const char *default_bridge, const char *default_subnet,
                       struct ctr_error **err);

/* Worker: the first attach to n in this daemon run writes its record if
 * it has none (the default network) and ensures its bridge, checking the
 * host for overlaps first. *ret_created_ns > 0 if this call wrote the
 * record. Serialized per network. */
int network_prepare(struct network *n, int64_t *ret_created_ns, struct ctr_error **err);

/* {"name","subnet","gateway","bridge","default","created","containers":N}. */
json_t *network_to_json(const struct network *n);

/* ---- the manager (network-manager.c) ---- */

struct network *nm_find(struct network_manager *m, const char *name);
/* Inserts n (taking the reference), keeping the default first and the rest sorted by name. */
void nm_insert(struct network_manager *m, struct network *n);
/* Unlinks n and drops the manager's reference. */
void nm_unlink(struct network_manager *m, struct network *n);
/* Calls the members-changed callback for network name, later, from the
 * loop (network-jobs.c). */
void nm_notify_members(struct network_manager *m, const char *name);
/* Adds an endpoint built from a lease and what the container is called. */
int nm_endpoint_add(struct network_manager *m, struct network *net, const char *id, const char *name,
                    const char *hostname, uint32_t addr, const uint8_t mac[static 6],
                    struct nm_endpoint **ret);
struct nm_endpoint *nm_endpoint_find(struct network_manager *m, const char *id);
unsigned nm_endpoints_on(struct network_manager *m, const struct network *net);

/* ---- jobs (network-jobs.c) ----
 *
 * A job is shared by the loop and at most one worker thread (reference
 * counted), so the manager can be freed while threads still run: the
 * thread touches only the job and its network, never the manager. */
enum nm_job_kind {
        NM_JOB_ATTACH,
        NM_JOB_DETACH,
        NM_JOB_RELEASE,
        NM_JOB_COUNTERS,
        NM_JOB_CREATE,
        NM_JOB_REMOVE,
        NM_JOB_RECONCILE_SCAN,
        NM_JOB_RECONCILE_APPLY,
        NM_JOB_NAT,
        NM_JOB_FLUSH,
};

/* Worker: the work, returning 0 or -errno (and j->err). */
typedef int (*nm_job_run_fn)(struct nm_job *j);
/* Loop: just before the work is handed to a thread. Return 0 to run it,
 * or 1 (j->r set, maybe < 0) to finish without running it. */
typedef int (*nm_job_start_fn)(struct nm_job *j);
/* Loop: the result is in j->r and j->err. */
typedef void (*nm_job_finish_fn)(struct nm_job *j);

struct reconcile;
struct nm_nat;

struct nm_job {
        atomic_int refs;
        enum nm_job_kind kind;
        nm_job_run_fn run;
        nm_job_start_fn start;
        nm_job_finish_fn finish;
        bool inline_ok; /* cleanup work: run it in the loop if no thread starts */
        bool immediate; /* detach: remove now, do not park */
        /* inputs, fixed before the job starts */
        struct network *net; /* a reference, or NULL */
        char *id, *name, *hostname;
        char *netns_path, *ep_path;
        char veth[NET_IFNAME_MAX + 1];
        struct reconcile *rc; /* reconcile jobs: owned by the loop side */
        struct nm_nat *nat;   /* NAT jobs: the networks as they were when it started */
        struct nm_parked *batch; /* flush jobs: the endpoints they remove */
        /* results */
        int r;
        struct ctr_error *err;
        uint32_t addr;
        int64_t created_ns;
        struct net_counters counters;
        /* loop only */
        int64_t t0_us; /* attach: when it was asked (CLOCK_MONOTONIC) */
        struct network_manager *m;
        struct nm_job *next, *ready_next;
        bool started;
        network_attach_done_fn attach_done;
        void (*counters_done)(json_t *counters, void *userdata);
        void *userdata;
        struct request *req;
};

/* A new job of kind with one reference (the loop's). NULL on OOM. */
struct nm_job *nm_job_new(struct network_manager *m, enum nm_job_kind kind, nm_job_run_fn run,
                          nm_job_finish_fn finish);
/* Either thread; NULL-safe. */
void nm_job_unref(struct nm_job *j);
/* Queues j (the manager takes the caller's reference): it starts once
 * nothing it must wait for runs (the jobs of the same container before it,
 * a reconciliation). */
void nm_job_submit(struct network_manager *m, struct nm_job *j);
/* Queues j already finished with r (and j->err): finish runs from the
 * loop later, never inside the caller. */
void nm_job_fail(struct network_manager *m, struct nm_job *j, int r);

/* network.create's checks against the table (loop, no I/O): name, subnet,
 * bridge name (default "ctl-" + name), overlaps, names taken. On failure
 * *ret_kind says how to answer. network-admin.c. */
int nm_check_new_network(struct network_manager *m, const char *name, const char *subnet, const char *bridge,
                         struct net_subnet *ret_subnet, char ret_bridge[static NET_IFNAME_MAX + 1],
                         enum proto_error_kind *ret_kind, struct ctr_error **err);

/* The event callback of m->ev_ready: finishes the jobs that needed no
 * thread, then delivers members-changed callbacks. */
void nm_ready_cb(evutil_socket_t fd, short what, void *arg);

/* Maps a worker's error for a reply: EADDRINUSE (overlaps), EEXIST and
 * EBUSY are conflicts (network-admin.c). */
void nm_reply_error(struct request *req, int r, const struct ctr_error *e);

/* ---- outbound NAT (network-store.c) ----
 *
 * The nftables table is a function of the list of networks: every change
 * (network created or removed, daemon start) queues a NAT job that
 * rebuilds it from a snapshot taken when the job starts; NAT jobs run one
 * at a time, in order, so the last snapshot wins. */

/* "containerctl-" + the default bridge, each character nft would not take
 * literally replaced by '_' (two daemons with different bridges never share
 * a table). */
int nm_nat_table_name(const char *default_bridge, char **ret);
/* Queues a NAT job (loop). */
void nm_nat_update(struct network_manager *m);
void nm_nat_free(struct nm_nat *s);

/* A container's job (kind detach or release, id copied), to run in the
 * loop if no thread starts (network-manager.c). NULL on OOM (logged). */
struct nm_job *nm_container_job(struct network_manager *m, enum nm_job_kind kind, nm_job_run_fn run,
                                nm_job_start_fn start, nm_job_finish_fn finish, const char *id);
/* A detach job's work and end: veth, pin and record of j->id. */
int nm_detach_run(struct nm_job *j);
void nm_detach_finish(struct nm_job *j);

/* ---- deferred teardown (network-jobs.c) ---- */

/* Frees a list of parked endpoints (NULL-safe). */
void nm_parked_free(struct nm_parked *p);
/* Loop: parks what detach job j would remove (taking its net, pin and
 * record paths). false without memory: then j runs now. */
bool nm_park(struct network_manager *m, struct nm_job *j);
struct nm_parked *nm_parked_find(struct network_manager *m, const char *id);
bool nm_lease_leaving(struct network_manager *m, const char *id);
/* Before an attach to net with host end veth: that endpoint, if parked,
 * gets a detach job of its own now (queued before the attach); so do the
 * parked leases of net if it is full without them. */
void nm_unpark_for_attach(struct network_manager *m, struct network *net, const char *veth);
/* Hands the parked endpoints of net to a flush job now (network.remove). */
void nm_flush_network(struct network_manager *m, struct network *net);
/* True if flush job j removes container id's endpoint. */
bool nm_batch_has(const struct nm_job *j, const char *id);
/* (Re)starts the idle timer if anything is parked; its callback. */
void nm_teardown_idle_arm(struct network_manager *m);
void nm_teardown_idle_cb(evutil_socket_t fd, short what, void *arg);
/* Shutdown (loop, no workers): removes everything parked, blocking. */
void nm_teardown_shutdown(struct network_manager *m);

/* ---- reconciliation (network-reconcile.c) ---- */

/* Frees what a reconcile job carries (the job is gone). */
void nm_reconcile_free(struct reconcile *rc);
