/* The network manager: the table of networks and of running containers'
 * endpoints, and what a container asks of them. Every netlink call, IPAM
 * write and file removal runs in a worker job (network-jobs.c, which runs
 * one container's jobs in the order asked: a restart's attach waits for
 * the exit's detach). Callbacks never run inside the call that asked.
 *
 *   attach:  worker: bridge once per run -> lease -> netns pinned at
 *            <run-root>/netns/<id> -> veth -> endpoint record; any failure
 *            undoes what this attach made. loop: endpoint, done(), members.
 *   detach:  loop: endpoint out, members; veth, netns and record parked.
 *            worker, later, in a batch (network-jobs.c, "deferred
 *            teardown").
 *   release: worker: the IPAM lease (with the batch if still parked).
 *
 * network.create/remove are network-admin.c's, reconciliation
 * network-reconcile.c's, the network objects and files network-store.c's.
 * Loop thread, except the *_run() functions (worker). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/fs-util.h"
#include "common/id.h"
#include "common/log.h"
#include "daemon/network-manager-internal.h"

/* ---- the table of networks ---- */

struct network *
nm_find(struct network_manager *m, const char *name)
{
        for (struct network *n = m->networks; n; n = n->next)
                if (strcmp(n->name, name) == 0)
                        return n;
        return NULL;
}

void
nm_insert(struct network_manager *m, struct network *n)
{
        struct network **p = &m->networks;

        if (!n->is_default)
                while (*p && ((*p)->is_default || strcmp((*p)->name, n->name) < 0))
                        p = &(*p)->next;
        n->next = *p;
        *p = n;
}

void
nm_unlink(struct network_manager *m, struct network *n)
{
        for (struct network **p = &m->networks; *p; p = &(*p)->next)
                if (*p == n) {
                        *p = n->next;
                        n->next = NULL;
                        network_unref(n);
                        return;
                }
}

bool
network_manager_exists(struct network_manager *m, const char *name)
{
        struct network *n = nm_find(m, name ? name : NETWORK_DEFAULT_NAME);

        return n && n->state == NETWORK_READY;
}

void
network_manager_on_members_changed(struct network_manager *m, network_members_changed_fn fn,
                                   void *userdata)
{
        m->members_fn = fn;
        m->members_userdata = userdata;
}

/* ---- the manager ---- */

int
network_manager_new(const struct network_manager_config *cfg, struct network_manager **ret,
                    struct ctr_error **err)
{
        struct network_manager *m;
        int r;

        /* Checked first: nothing is made for a config that cannot work. */
        if (cfg->masquerade && !net_nat_name_is_valid(cfg->default_bridge))
                return ctr_error_msg(err, EINVAL,
                                     "masquerade = yes: the bridge name `%s` must be letters, digits, '_', "
                                     "'.' and '-' (nftables matches it)",
                                     cfg->default_bridge);
        m = calloc(1, sizeof(*m));
        if (!m)
                return ctr_error_sys(err, ENOMEM, "network manager");
        m->base = cfg->base;
        m->workers = cfg->workers;
        if (asprintf(&m->dir, "%s/networks", cfg->root) < 0 ||
            asprintf(&m->netns_dir, "%s/netns", cfg->run_root) < 0 ||
            asprintf(&m->ep_dir, "%s/endpoints", cfg->run_root) < 0 ||
            asprintf(&m->nat_marker, "%s/nat-table", cfg->run_root) < 0 ||
            nm_nat_table_name(cfg->default_bridge, &m->nat_table) < 0) {
                r = ctr_error_sys(err, ENOMEM, "network manager");
                goto fail;
        }
        m->ev_ready = event_new(m->base, -1, 0, nm_ready_cb, m);
        m->ev_idle = evtimer_new(m->base, nm_teardown_idle_cb, m);
        if (!m->ev_ready || !m->ev_idle) {
                r = ctr_error_sys(err, ENOMEM, "network manager");
                goto fail;
        }
        /* 0755 like /run/netns: runtimes open the pins by path. */
        r = mkdir_p(m->netns_dir, 0755, err);
        if (r >= 0)
                r = mkdir_p(m->ep_dir, 0700, err);
        if (r >= 0)
                r = network_store_load(m, cfg->default_bridge, cfg->default_subnet, err);
        if (r < 0)
                goto fail;
        /* The config decides for the default network (first in the list);
         * the rules follow at network_manager_reconcile(). */
        m->networks->masquerade = cfg->masquerade;
        *ret = m;
        return 0;
fail:
        network_manager_free(m);
        return r;
}

static void endpoint_free(struct nm_endpoint *e);

void
network_manager_free(struct network_manager *m)
{
        if (!m)
                return;
        nm_teardown_shutdown(m);
        /* The pool is freed first (main.c): no job finishes any more;
         * threads still running hold their own reference to their job
         * and its network. */
        while (m->jobs) {
                struct nm_job *j = m->jobs;
                m->jobs = j->next;
                if (j->req)
                        request_error(TAKE_PTR(j->req), PROTO_ERR_INTERNAL, "daemon shutting down",
                                      NULL);
                j->m = NULL;
                nm_job_unref(j);
        }
        while (m->endpoints) {
                struct nm_endpoint *e = m->endpoints;
                m->endpoints = e->next;
                endpoint_free(e);
        }
        while (m->networks) {
                struct network *n = m->networks;
                m->networks = n->next;
                network_unref(n);
        }
        for (size_t i = 0; i < m->n_notify; i++)
                free(m->notify[i]);
        free(m->notify);
        if (m->ev_ready)
                event_free(m->ev_ready);
        if (m->ev_idle)
                event_free(m->ev_idle);
        free(m->dir);
        free(m->netns_dir);
        free(m->ep_dir);
        free(m->nat_table);
        free(m->nat_marker);
        free(m);
}

/* ---- endpoints ---- */

static void
endpoint_free(struct nm_endpoint *e)
{
        if (!e)
                return;
        network_unref(e->net);
        free(e->id);
        free(e->name);
        free(e->hostname);
        free(e);
}

struct nm_endpoint *
nm_endpoint_find(struct network_manager *m, const char *id)
{
        for (struct nm_endpoint *e = m->endpoints; e; e = e->next)
                if (strcmp(e->id, id) == 0)
                        return e;
        return NULL;
}

unsigned
nm_endpoints_on(struct network_manager *m, const struct network *net)
{
        unsigned n = 0;

        for (struct nm_endpoint *e = m->endpoints; e; e = e->next)
                n += e->net == net;
        return n;
}

int
nm_endpoint_add(struct network_manager *m, struct network *net, const char *id, const char *name,
                const char *hostname, uint32_t addr, const uint8_t mac[static 6], struct nm_endpoint **ret)
{
        struct nm_endpoint *e = calloc(1, sizeof(*e));
        char short_id[ID_SHORT_LEN + 1];

        if (!e)
                return -ENOMEM;
        snprintf(short_id, sizeof(short_id), "%s", id);
        e->id = strdup(id);
        e->name = strdup(name ? name : short_id);
        e->hostname = strdup(hostname ? hostname : short_id);
        if (!e->id || !e->name || !e->hostname || net_veth_name(id, e->veth) < 0 ||
            snprintf(e->netns_path, sizeof(e->netns_path), "%s/%s", m->netns_dir, id) >=
                    (int) sizeof(e->netns_path)) {
                endpoint_free(e);
                return -ENOMEM;
        }
        e->net = network_ref(net);
        net_addr_format(addr, e->address);
        net_addr_format(net_subnet_gateway(&net->subnet), e->gateway);
        net_mac_format(mac, e->mac);
        e->info = (struct network_endpoint_info){
                .network = net->name,
                .bridge = net->bridge,
                .netns_path = e->netns_path,
                .veth = e->veth,
                .address = e->address,
                .prefix = net->subnet.prefix,
                .gateway = e->gateway,
                .mac = e->mac,
        };
        e->next = m->endpoints;
        m->endpoints = e;
        if (ret)
                *ret = e;
        return 0;
}

static void
endpoint_remove(struct network_manager *m, struct nm_endpoint *e)
{
        for (struct nm_endpoint **p = &m->endpoints; *p; p = &(*p)->next)
                if (*p == e) {
                        *p = e->next;
                        break;
                }
        endpoint_free(e);
}

const struct network_endpoint_info *
network_manager_endpoint(struct network_manager *m, const char *id)
{
        struct nm_endpoint *e = nm_endpoint_find(m, id);

        return e ? &e->info : NULL;
}

static int
cmp_member(const void *a, const void *b)
{
        const struct network_member *x = a, *y = b;
        uint32_t ax = 0, ay = 0;

        (void) net_addr_parse(x->address, &ax);
        (void) net_addr_parse(y->address, &ay);
        return ax < ay ? -1 : ax > ay;
}

int
network_manager_members(struct network_manager *m, const char *network, struct network_member **ret,
                        size_t *ret_n)
{
        const char *name = network ? network : NETWORK_DEFAULT_NAME;
        struct network_member *v;
        size_t n = 0;

        for (struct nm_endpoint *e = m->endpoints; e; e = e->next)
                n += strcmp(e->net->name, name) == 0;
        v = calloc(n + 1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        n = 0;
        for (struct nm_endpoint *e = m->endpoints; e; e = e->next)
                if (strcmp(e->net->name, name) == 0)
                        v[n++] = (struct network_member){ e->id, e->name, e->hostname, e->address };
        qsort(v, n, sizeof(*v), cmp_member);
        *ret = v;
        *ret_n = n;
        return 0;
}

/* ---- attach ---- */

static int64_t
monotonic_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* <run-root>/endpoints/<id>.json: the network, name and hostname of an
 * attached container, which reconciliation after a restart cannot learn
 * from the kernel. run-root is tmpfs and dies with the namespaces: written
 * without fsync (~20 µs instead of ~8 ms per start). Worker. */
static int
endpoint_record_write(const char *path, const char *network, const char *name, const char *hostname,
                      struct ctr_error **err)
{
        _cleanup_free_ char *text = NULL, *tmp = NULL;
        _cleanup_close_ int fd = -1;
        json_t *j;
        int r;

        j = json_pack("{s:s,s:s?,s:s?}", "network", network, "name", name, "hostname", hostname);
        if (j)
                text = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        if (!text || asprintf(&tmp, "%s.tmp", path) < 0)
                return ctr_error_sys(err, ENOMEM, "write `%s`", path);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return ctr_error_sys(err, errno, "create `%s`", tmp);
        r = write_all(fd, text, strlen(text));
        if (r < 0 || rename(tmp, path) < 0) {
                r = r < 0 ? r : -errno;
                (void) unlink(tmp);
                return ctr_error_sys(err, -r, "write `%s`", path);
        }
        return 0;
}

/* A veth of that name on this network's bridge is a leftover of this
 * container (ids are unique in their first 10 characters among the
 * attached ones, checked in attach_start()); anywhere else it is not ours. */
static bool
veth_is_stale(const struct network *net, const char *veth)
{
        _cleanup_(net_strv_freep) char **ports = NULL;

        if (net_bridge_ports(net->bridge, veth, "veth", &ports, NULL) < 0)
                return false;
        for (char **p = ports; *p; p++)
                if (strcmp(*p, veth) == 0)
                        return true;
        return false;
}

/* Worker: the namespace at netns_path, also over a leftover pin (the path
 * is this container's alone, and its jobs run one at a time). */
static int
make_netns(const char *path, struct net_netns **ret, struct ctr_error **err)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        int r = net_netns_create(path, ret, &e);

        if (r == -EEXIST) {
                ctr_error_free(TAKE_PTR(e));
                (void) net_netns_remove(path, NULL);
                r = net_netns_create(path, ret, &e);
        }
        if (r < 0 && err && !*err)
                *err = TAKE_PTR(e);
        return r;
}

/* Worker: the veth, also over a leftover of this container's. */
static int
make_endpoint(struct nm_job *j, struct net_netns *ns, struct ctr_error **err)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        struct network *net = j->net;
        struct net_endpoint ep = {
                .bridge = net->bridge,
                .host_ifname = j->veth,
                .addr = j->addr,
                .prefix = net->subnet.prefix,
                .gateway = net_subnet_gateway(&net->subnet),
        };
        int r = net_endpoint_create(ns, &ep, &e);

        if (r == -EEXIST && veth_is_stale(net, j->veth)) {
                ctr_error_free(TAKE_PTR(e));
                r = net_endpoint_delete(j->veth, &e);
                if (r >= 0)
                        r = net_endpoint_create(ns, &ep, &e);
        }
        if (r < 0 && err && !*err)
                *err = TAKE_PTR(e);
        return r;
}

/* Worker. Undoes what it made on failure: the pin, and the lease unless
 * the container had it before. */
static int
attach_run(struct nm_job *j)
{
        _cleanup_(net_netns_closep) struct net_netns *ns = NULL;
        _cleanup_error_ struct ctr_error *e = NULL;
        struct network *net = j->net;
        bool had_lease;
        int r;

        r = network_prepare(net, &j->created_ns, &j->err);
        if (r < 0)
                return r;
        /* The lease first: a full subnet fails before anything is made.
         * (The IPAM write is not fsynced: ~50 µs, see ipam.c.) */
        had_lease = net_ipam_get(net->ipam, j->id, &j->addr) == 0;
        if (!had_lease) {
                r = net_ipam_lease(net->ipam, j->id, &j->addr, &j->err);
                if (r < 0)
                        return r;
        }
        r = make_netns(j->netns_path, &ns, &j->err);
        if (r < 0) {
                if (!had_lease)
                        (void) net_ipam_release(net->ipam, j->id, NULL);
                return r;
        }
        r = make_endpoint(j, ns, &j->err);
        net_netns_close(TAKE_PTR(ns));
        if (r < 0) {
                (void) net_netns_remove(j->netns_path, NULL);
                if (!had_lease)
                        (void) net_ipam_release(net->ipam, j->id, NULL);
                return r;
        }
        if (endpoint_record_write(j->ep_path, net->name, j->name, j->hostname, &e) < 0)
                log_warning("container %.12s: %s (its name is unknown to a restarted daemon)", j->id,
                            e ? e->message : "error");
        return 0;
}

/* Loop, at the job's turn: nothing may share the container's endpoint. */
static int
attach_start(struct nm_job *j)
{
        struct network_manager *m = j->m;
        struct nm_endpoint *e = nm_endpoint_find(m, j->id);

        if (e) {
                j->r = ctr_error_msg(&j->err, EEXIST, "container %.12s is already attached to network `%s`",
                                     j->id, e->net->name);
                return 1;
        }
        for (e = m->endpoints; e; e = e->next)
                if (strcmp(e->veth, j->veth) == 0) {
                        j->r = ctr_error_msg(&j->err, EEXIST,
                                             "interface `%s` of container %.12s is taken by container %.12s",
                                             j->veth, j->id, e->id);
                        return 1;
                }
        for (struct nm_job *o = m->jobs; o; o = o->next)
                if (o != j && o->kind == NM_JOB_ATTACH && o->started && strcmp(o->veth, j->veth) == 0) {
                        j->r = ctr_error_msg(&j->err, EEXIST,
                                             "interface `%s` of container %.12s is taken by container %.12s",
                                             j->veth, j->id, o->id);
                        return 1;
                }
        return 0;
}

static void
attach_finish(struct nm_job *j)
{
        struct network_manager *m = j->m;
        struct nm_endpoint *e = NULL;
        uint8_t mac[6];
        int r = j->r;

        if (j->net) {
                j->net->attaching--;
                if (j->created_ns > 0)
                        j->net->created_ns = j->created_ns;
        }
        nm_teardown_idle_arm(m);
        if (r >= 0) {
                net_mac_from_addr(j->addr, mac);
                r = nm_endpoint_add(m, j->net, j->id, j->name, j->hostname, j->addr, mac, &e);
                if (r < 0)
                        r = ctr_error_sys(&j->err, -r, "container %.12s: network endpoint", j->id);
        }
        if (r < 0) {
                log_debug("container %.12s: attach: %s", j->id, j->err ? j->err->message : strerror(-r));
                j->attach_done(r, NULL, j->err, j->userdata);
                return;
        }
        log_debug("container %.12s: %s on %s (%s, %s) in %.1f ms", j->id, e->address, j->net->bridge,
                  e->veth, e->netns_path, (double) (monotonic_us() - j->t0_us) / 1000.0);
        j->attach_done(0, &e->info, NULL, j->userdata);
        nm_notify_members(m, j->net->name);
}

/* The default network must not overlap a user network (possible after its
 * subnet changed in the config). */
static int
check_default_overlap(struct network_manager *m, const struct network *net, struct ctr_error **err)
{
        char a[NET_SUBNET_STRLEN], b[NET_SUBNET_STRLEN];

        if (!net->is_default)
                return 0;
        for (struct network *o = m->networks; o; o = o->next)
                if (o != net && net_subnet_overlaps(&o->subnet, &net->subnet))
                        return ctr_error_msg(err, EADDRINUSE,
                                             "the default network's subnet %s overlaps network `%s` (%s); "
                                             "change --subnet or remove `%s`",
                                             net_subnet_format(&net->subnet, a), o->name,
                                             net_subnet_format(&o->subnet, b), o->name);
        return 0;
}

void
network_manager_attach(struct network_manager *m, const char *network, const char *id, const char *name,
                       const char *hostname, network_attach_done_fn done, void *userdata)
{
        const char *want = network ? network : NETWORK_DEFAULT_NAME;
        struct nm_job *j = nm_job_new(m, NM_JOB_ATTACH, attach_run, attach_finish);
        struct network *net;
        int r;

        if (!j) {
                done(-ENOMEM, NULL, NULL, userdata);
                return;
        }
        j->attach_done = done;
        j->userdata = userdata;
        j->start = attach_start;
        j->t0_us = monotonic_us();
        j->id = strdup(id);
        j->name = name ? strdup(name) : NULL;
        j->hostname = hostname ? strdup(hostname) : NULL;
        if (!j->id || (name && !j->name) || (hostname && !j->hostname) ||
            asprintf(&j->netns_path, "%s/%s", m->netns_dir, id) < 0 ||
            asprintf(&j->ep_path, "%s/%s.json", m->ep_dir, id) < 0) {
                nm_job_fail(m, j, -ENOMEM);
                return;
        }
        if (net_veth_name(id, j->veth) < 0) {
                nm_job_fail(m, j, ctr_error_msg(&j->err, EINVAL, "invalid container id `%s`", id));
                return;
        }
        net = nm_find(m, want);
        if (!net || net->state == NETWORK_CREATING) {
                nm_job_fail(m, j, ctr_error_msg(&j->err, ENOENT, "no such network `%s`", want));
                return;
        }
        if (net->state == NETWORK_REMOVING) {
                nm_job_fail(m, j, ctr_error_msg(&j->err, EBUSY, "network `%s` is being removed", want));
                return;
        }
        r = check_default_overlap(m, net, &j->err);
        if (r < 0) {
                nm_job_fail(m, j, r);
                return;
        }
        /* Its own parked endpoint (same veth, same pin) goes first; so do
         * the parked leases of a network that is full without them. */
        nm_unpark_for_attach(m, net, j->veth);
        j->net = network_ref(net);
        net->attaching++;
        nm_job_submit(m, j);
}

/* ---- detach, release ---- */

/* Worker: every step is tried; the first error is reported. */
int
nm_detach_run(struct nm_job *j)
{
        _cleanup_error_ struct ctr_error *e1 = NULL, *e2 = NULL;
        int r1, r2;

        r1 = net_endpoint_delete(j->veth, &e1);
        r2 = net_netns_remove(j->netns_path, &e2);
        if (unlink(j->ep_path) < 0 && errno != ENOENT)
                log_warning("remove `%s`: %s", j->ep_path, strerror(errno));
        if (r1 < 0) {
                j->err = TAKE_PTR(e1);
                return r1;
        }
        j->err = TAKE_PTR(e2);
        return r2;
}

/* Loop, at the job's turn: the endpoint goes now, so members lists and a
 * following attach see it gone. */
static int
detach_start(struct nm_job *j)
{
        struct network_manager *m = j->m;
        struct nm_endpoint *e = nm_endpoint_find(m, j->id);

        if (!e) {
                j->r = 0;
                return 1;
        }
        j->net = network_ref(e->net);
        memcpy(j->veth, e->veth, sizeof(j->veth));
        j->netns_path = strdup(e->netns_path);
        if (!j->netns_path || asprintf(&j->ep_path, "%s/%s.json", m->ep_dir, j->id) < 0) {
                j->r = -ENOMEM;
                return 1;
        }
        nm_notify_members(m, e->net->name);
        endpoint_remove(m, e);
        if (j->immediate || !nm_park(m, j))
                return 0;
        j->r = 0;
        return 1;
}

void
nm_detach_finish(struct nm_job *j)
{
        if (j->r < 0)
                log_warning("container %.12s: remove its network endpoint: %s (retried at the next daemon "
                            "start)",
                            j->id, j->err ? j->err->message : strerror(-j->r));
        else if (j->net)
                log_debug("container %.12s: detached from network `%s`", j->id, j->net->name);
}

struct nm_job *
nm_container_job(struct network_manager *m, enum nm_job_kind kind, nm_job_run_fn run, nm_job_start_fn start,
                 nm_job_finish_fn finish, const char *id)
{
        struct nm_job *j = nm_job_new(m, kind, run, finish);

        if (!j || !(j->id = strdup(id))) {
                log_error("container %.12s: out of memory for a network job", id);
                nm_job_unref(j);
                return NULL;
        }
        j->start = start;
        j->inline_ok = true;
        return j;
}

static void
detach(struct network_manager *m, const char *id, bool now)
{
        struct nm_job *j =
                nm_container_job(m, NM_JOB_DETACH, nm_detach_run, detach_start, nm_detach_finish, id);

        if (!j)
                return;
        j->immediate = now;
        nm_job_submit(m, j);
}

void
network_manager_detach(struct network_manager *m, const char *id)
{
        detach(m, id, false);
}

void
network_manager_detach_now(struct network_manager *m, const char *id)
{
        detach(m, id, true);
}

static int
release_run(struct nm_job *j)
{
        return net_ipam_release(j->net->ipam, j->id, &j->err);
}

/* Loop, at the job's turn (after the container's attach, if one ran). */
static int
release_start(struct nm_job *j)
{
        struct nm_parked *p = nm_parked_find(j->m, j->id);
        uint32_t addr;

        /* Its veth is parked: the batch releases the address once the veth
         * is gone. */
        if (p) {
                p->release = true;
                j->r = 0;
                return 1;
        }
        for (struct network *n = j->m->networks; n; n = n->next)
                if (n->state != NETWORK_CREATING && net_ipam_get(n->ipam, j->id, &addr) == 0) {
                        j->net = network_ref(n);
                        j->addr = addr;
                        return 0;
                }
        j->r = 0;
        return 1;
}

static void
release_finish(struct nm_job *j)
{
        char a[NET_ADDR_STRLEN];

        if (j->r < 0)
                log_warning("container %.12s: release its address: %s", j->id,
                            j->err ? j->err->message : strerror(-j->r));
        else if (j->net)
                log_debug("container %.12s: released %s of network `%s`", j->id, net_addr_format(j->addr, a),
                          j->net->name);
}

void
network_manager_release(struct network_manager *m, const char *id)
{
        struct nm_job *j =
                nm_container_job(m, NM_JOB_RELEASE, release_run, release_start, release_finish, id);

        if (j)
                nm_job_submit(m, j);
}

/* ---- counters ---- */

static int
counters_run(struct nm_job *j)
{
        return net_endpoint_counters(j->veth, &j->counters, &j->err);
}

static void
counters_finish(struct nm_job *j)
{
        json_t *c = NULL;

        if (j->r < 0)
                log_debug("container %.12s: counters: %s", j->id, j->err ? j->err->message : strerror(-j->r));
        else
                c = json_pack("{s:I,s:I,s:I,s:I}", "rx_bytes", (json_int_t) j->counters.rx_bytes, "rx_packets",
                              (json_int_t) j->counters.rx_packets, "tx_bytes",
                              (json_int_t) j->counters.tx_bytes, "tx_packets",
                              (json_int_t) j->counters.tx_packets);
        j->counters_done(c, j->userdata);
}

void
network_manager_counters(struct network_manager *m, const char *id,
                         void (*done)(json_t *counters, void *userdata), void *userdata)
{
        struct nm_job *j = nm_job_new(m, NM_JOB_COUNTERS, counters_run, counters_finish);
        struct nm_endpoint *e = nm_endpoint_find(m, id);

        if (!j) {
                done(NULL, userdata);
                return;
        }
        j->counters_done = done;
        j->userdata = userdata;
        j->id = strdup(id);
        if (!j->id) {
                nm_job_fail(m, j, -ENOMEM);
                return;
        }
        if (!e) {
                nm_job_fail(m, j, -ENOENT);
                return;
        }
        memcpy(j->veth, e->veth, sizeof(j->veth));
        nm_job_submit(m, j);
}
