/* The network manager's jobs: a job is shared by the loop and at most one
 * worker thread (reference counted), so the manager can be freed while
 * threads still run. This file orders them (a container's attach, detach
 * and release one at a time and in order, none during a reconciliation,
 * network.remove after the releases before it), starts them in the worker
 * pool, and finishes them in the loop, also those that needed no thread:
 * those finish from an event, never inside the call that asked, as do the
 * members-changed callbacks. And it defers the teardown of exited
 * containers' endpoints into batches. */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/time-util.h"
#include "daemon/network-manager-internal.h"
#include "daemon/worker.h"

/* ---- deferred delivery: jobs finished without a worker, members ---- */

static void job_finish(struct nm_job *j);

void
nm_ready_cb(evutil_socket_t fd, short what, void *arg)
{
        struct network_manager *m = arg;

        while (m->ready) {
                struct nm_job *j = m->ready;
                m->ready = j->ready_next;
                job_finish(j);
        }
        while (m->n_notify > 0) {
                char **names = TAKE_PTR(m->notify);
                size_t n = m->n_notify;

                m->n_notify = 0;
                for (size_t i = 0; i < n; i++) {
                        if (m->members_fn)
                                m->members_fn(names[i], m->members_userdata);
                        free(names[i]);
                }
                free(names);
        }
}

static void
ready_schedule(struct network_manager *m)
{
        event_active(m->ev_ready, EV_TIMEOUT, 0);
}

void
nm_notify_members(struct network_manager *m, const char *name)
{
        char **v, *copy;

        for (size_t i = 0; i < m->n_notify; i++)
                if (strcmp(m->notify[i], name) == 0)
                        return;
        copy = strdup(name);
        v = copy ? reallocarray(m->notify, m->n_notify + 1, sizeof(char *)) : NULL;
        if (!v) {
                free(copy);
                log_error("network `%s`: out of memory for a members update", name);
                return;
        }
        v[m->n_notify++] = copy;
        m->notify = v;
        ready_schedule(m);
}

/* ---- jobs ---- */

struct nm_job *
nm_job_new(struct network_manager *m, enum nm_job_kind kind, nm_job_run_fn run, nm_job_finish_fn finish)
{
        struct nm_job *j = calloc(1, sizeof(*j));

        if (!j)
                return NULL;
        atomic_init(&j->refs, 1);
        j->kind = kind;
        j->run = run;
        j->finish = finish;
        j->m = m;
        return j;
}

void
nm_job_unref(struct nm_job *j)
{
        if (!j || atomic_fetch_sub(&j->refs, 1) != 1)
                return;
        network_unref(j->net);
        free(j->id);
        free(j->name);
        free(j->hostname);
        free(j->netns_path);
        free(j->ep_path);
        nm_reconcile_free(j->rc);
        nm_nat_free(j->nat);
        nm_parked_free(j->batch);
        ctr_error_free(j->err);
        free(j);
}

static bool
job_is_serial(const struct nm_job *j)
{
        return j->kind == NM_JOB_ATTACH || j->kind == NM_JOB_DETACH || j->kind == NM_JOB_RELEASE;
}

/* What j must wait for: a container's attach, detach and release run in
 * order and never during a reconciliation; an attach also waits for the
 * releases asked before it on its network; a reconciliation starts once
 * no such job runs; network.remove waits for the releases asked before it
 * (a container removed just before its network); NAT jobs run one at a
 * time. A flush job counts as the detach of each container in it. */
static bool
job_blocked(struct network_manager *m, const struct nm_job *j)
{
        const struct nm_job *o;

        switch (j->kind) {
        case NM_JOB_ATTACH:
        case NM_JOB_DETACH:
        case NM_JOB_RELEASE:
                if (m->reconciling)
                        return true;
                for (o = m->jobs; o && o != j; o = o->next) {
                        if (job_is_serial(o) && o->id && j->id && strcmp(o->id, j->id) == 0)
                                return true;
                        if (o->kind == NM_JOB_FLUSH && j->id && nm_batch_has(o, j->id))
                                return true;
                        /* `rm a; start b` on a full network: b's lease
                         * needs the address a's release frees. (A release
                         * finds its network when it starts.) */
                        if (j->kind == NM_JOB_ATTACH && o->kind == NM_JOB_RELEASE &&
                            (!o->started || o->net == j->net))
                                return true;
                }
                return false;
        case NM_JOB_RECONCILE_SCAN:
                for (o = m->jobs; o; o = o->next)
                        if (((job_is_serial(o) || o->kind == NM_JOB_FLUSH) && o->started) ||
                            (o != j && o->kind == NM_JOB_RECONCILE_APPLY))
                                return true;
                for (o = m->jobs; o && o != j; o = o->next)
                        if (o->kind == NM_JOB_RECONCILE_SCAN)
                                return true;
                return false;
        case NM_JOB_REMOVE:
                /* Releases (also a flush's) free the network's leases. */
                for (o = m->jobs; o && o != j; o = o->next)
                        if (o->kind == NM_JOB_RELEASE || o->kind == NM_JOB_FLUSH)
                                return true;
                return false;
        case NM_JOB_NAT:
                /* One at a time, in order: the last snapshot wins. */
                for (o = m->jobs; o && o != j; o = o->next)
                        if (o->kind == NM_JOB_NAT)
                                return true;
                return false;
        default:
                return false;
        }
}

static int
job_work(void *userdata)
{
        struct nm_job *j = userdata;
        int r = j->run(j);

        nm_job_unref(j);
        return r;
}

static void
job_done(int r, void *userdata)
{
        struct nm_job *j = userdata;

        j->r = r;
        job_finish(j);
}

static void
push_ready(struct nm_job *j)
{
        struct nm_job **p = &j->m->ready;

        while (*p)
                p = &(*p)->ready_next;
        j->ready_next = NULL;
        *p = j;
        ready_schedule(j->m);
}

static void
job_start(struct network_manager *m, struct nm_job *j)
{
        int r;

        j->started = true;
        if (j->start && j->start(j) > 0) {
                push_ready(j);
                return;
        }
        atomic_fetch_add(&j->refs, 1);
        r = m->workers ? worker_submit(m->workers, job_work, job_done, j) : -ENOSYS;
        if (r >= 0)
                return;
        atomic_fetch_sub(&j->refs, 1);
        if (j->inline_ok) {
                /* Cleanup must happen even when no thread starts: block
                 * the loop rather than leak a veth or a lease. */
                log_warning("network: no worker thread (%s); working in the loop", strerror(-r));
                j->r = j->run(j);
        } else
                j->r = ctr_error_sys(&j->err, -r, "network: start a worker thread");
        push_ready(j);
}

static void
jobs_kick(struct network_manager *m)
{
        for (struct nm_job *j = m->jobs; j; j = j->next)
                if (!j->started && !job_blocked(m, j))
                        job_start(m, j);
}

static void
jobs_append(struct network_manager *m, struct nm_job *j)
{
        struct nm_job **p = &m->jobs;

        while (*p)
                p = &(*p)->next;
        j->next = NULL;
        *p = j;
}

void
nm_job_submit(struct network_manager *m, struct nm_job *j)
{
        jobs_append(m, j);
        jobs_kick(m);
}

void
nm_job_fail(struct network_manager *m, struct nm_job *j, int r)
{
        j->r = r;
        j->started = true;
        jobs_append(m, j);
        push_ready(j);
}

static void
job_finish(struct nm_job *j)
{
        struct network_manager *m = j->m;

        for (struct nm_job **p = &m->jobs; *p; p = &(*p)->next)
                if (*p == j) {
                        *p = j->next;
                        break;
                }
        j->finish(j);
        nm_job_unref(j);
        jobs_kick(m);
}

/* ---- deferred teardown ----
 *
 * Deleting a veth costs 20-60 ms in the kernel, holding the RTNL lock that
 * every attach needs: done at each exit, it lands in the middle of the
 * next container's start (bench/README.md, "Network figures"). So an
 * exited container's veth, pin and endpoint record are parked, and
 * removed in one batch NM_TEARDOWN_IDLE_MS after the first was parked, once
 * no attach is in flight (or when more than NM_TEARDOWN_MAX wait, or at
 * shutdown). The batch only
 * unmounts the pins: the namespaces die with them, and the kernel's netns
 * cleanup removes all their veths (both ends) in one pass, one RCU wait
 * for all: ~1.4 ms per container in a batch of 32 here, against ~20-60 ms
 * for each veth deleted on its own. A veth still there after
 * NM_TEARDOWN_WAIT_MS (its namespace kept alive by a container:NAME
 * container) is deleted explicitly, as before.
 *
 * Invariants: an address is released only after its veth is gone (a dead
 * namespace still answers ARP for it), so a container removed while parked
 * has its lease released by the batch; an attach of the same container
 * (same veth and pin) takes its endpoint out of the park and removes it
 * first, the old way; an attach to a network that is full but for parked
 * leases, and network.remove, do not wait for the timer. */
#define NM_TEARDOWN_IDLE_MS 500
/* ... but never later than this after the oldest was parked: a stream of
 * starts (or an attach that waits long) must not keep the dead around. */
#define NM_TEARDOWN_MAX_AGE_MS 3000
#define NM_TEARDOWN_MAX 32
#define NM_TEARDOWN_WAIT_MS 2000

void
nm_parked_free(struct nm_parked *p)
{
        while (p) {
                struct nm_parked *next = p->next;

                network_unref(p->net);
                free(p->id);
                free(p->netns_path);
                free(p->ep_path);
                free(p);
                p = next;
        }
}

bool
nm_batch_has(const struct nm_job *j, const char *id)
{
        for (const struct nm_parked *p = j->batch; p; p = p->next)
                if (strcmp(p->id, id) == 0)
                        return true;
        return false;
}

static bool
not_listed(const char *owner, void *userdata)
{
        for (char **v = userdata; *v; v++)
                if (strcmp(*v, owner) == 0)
                        return false;
        return true;
}

/* The leases of the batch's removed containers, one IPAM write per
 * network. */
static void
batch_release(struct nm_parked *batch)
{
        for (struct nm_parked *p = batch; p; p = p->next) {
                _cleanup_error_ struct ctr_error *e = NULL;
                _cleanup_free_ char **owners = NULL;
                size_t n = 0, cap = 1;

                if (!p->release || p->released)
                        continue;
                for (struct nm_parked *q = p; q; q = q->next)
                        cap += q->release && q->net == p->net;
                owners = calloc(cap, sizeof(*owners));
                if (!owners) {
                        log_warning("network `%s`: out of memory releasing addresses", p->net->name);
                        continue;
                }
                for (struct nm_parked *q = p; q; q = q->next)
                        if (q->release && q->net == p->net) {
                                owners[n++] = q->id;
                                q->released = true;
                        }
                if (net_ipam_release_unless(p->net->ipam, not_listed, owners, &e) < 0)
                        log_warning("network `%s`: release addresses: %s", p->net->name,
                                    e ? e->message : "failed");
        }
}

/* Worker (the loop at shutdown). Returns the number of veths that had to
 * be deleted one by one. */
static int
teardown_batch(struct nm_parked *batch, struct ctr_error **err)
{
        int64_t deadline = now_monotonic_ms() + NM_TEARDOWN_WAIT_MS;
        int slow = 0;
        bool left;

        for (struct nm_parked *p = batch; p; p = p->next) {
                _cleanup_error_ struct ctr_error *e = NULL;

                if (net_netns_remove(p->netns_path, &e) < 0)
                        log_warning("%s", e ? e->message : "remove a network namespace: failed");
                if (unlink(p->ep_path) < 0 && errno != ENOENT)
                        log_warning("remove `%s`: %s", p->ep_path, strerror(errno));
        }
        /* if_nametoindex() looks the name up under RCU, not RTNL: polling
         * does not slow the kernel's cleanup or anyone's attach. */
        do {
                left = false;
                for (struct nm_parked *p = batch; p && !left; p = p->next)
                        left = if_nametoindex(p->veth) != 0;
                if (left)
                        usleep(2000);
        } while (left && now_monotonic_ms() < deadline);
        for (struct nm_parked *p = batch; left && p; p = p->next) {
                _cleanup_error_ struct ctr_error *e = NULL;

                if (if_nametoindex(p->veth) == 0)
                        continue;
                slow++;
                if (net_endpoint_delete(p->veth, &e) < 0)
                        log_warning("container %.12s: %s (retried at the next daemon start)", p->id,
                                    e ? e->message : "delete veth failed");
        }
        batch_release(batch);
        return slow;
}

static int
flush_run(struct nm_job *j)
{
        return teardown_batch(j->batch, &j->err);
}

static void
flush_finish(struct nm_job *j)
{
        unsigned n = 0;

        for (struct nm_parked *p = j->batch; p; p = p->next)
                n++;
        log_debug("network: removed the endpoints of %u exited container(s) in one batch%s", n,
                  j->r > 0 ? " (some one by one: their namespace was still in use)" : "");
}

/* Hands list to a flush job (or, without memory for one, does it here). */
static void
flush_list(struct network_manager *m, struct nm_parked *list)
{
        struct nm_job *j;

        if (!list)
                return;
        j = nm_job_new(m, NM_JOB_FLUSH, flush_run, flush_finish);
        if (!j) {
                (void) teardown_batch(list, NULL);
                nm_parked_free(list);
                return;
        }
        j->batch = list;
        j->inline_ok = true;
        nm_job_submit(m, j);
}

static void
flush_all(struct network_manager *m)
{
        struct nm_parked *list = TAKE_PTR(m->parked);

        m->n_parked = 0;
        flush_list(m, list);
}

/* Moves the parked endpoints that match into a list of their own. */
static struct nm_parked *
parked_take(struct network_manager *m, bool (*match)(const struct nm_parked *p, const void *arg),
            const void *arg)
{
        struct nm_parked *list = NULL, **tail = &list;

        for (struct nm_parked **pp = &m->parked; *pp;) {
                struct nm_parked *p = *pp;

                if (!match(p, arg)) {
                        pp = &p->next;
                        continue;
                }
                *pp = p->next;
                p->next = NULL;
                *tail = p;
                tail = &p->next;
                m->n_parked--;
        }
        return list;
}

static bool
match_net(const struct nm_parked *p, const void *arg)
{
        return p->net == arg;
}

static bool
match_net_release(const struct nm_parked *p, const void *arg)
{
        return p->net == arg && p->release;
}

static bool
match_veth(const struct nm_parked *p, const void *arg)
{
        return strcmp(p->veth, arg) == 0;
}

void
nm_flush_network(struct network_manager *m, struct network *net)
{
        flush_list(m, parked_take(m, match_net, net));
}

/* The attach of a container whose endpoint is parked (a restart): its
 * own detach job, the old way (one veth: an explicit delete is faster
 * than waiting for the kernel's cleanup), queued before the attach. */
static void
unpark_now(struct network_manager *m, struct nm_parked *list)
{
        while (list) {
                struct nm_parked *p = list;
                struct nm_job *j =
                        nm_container_job(m, NM_JOB_DETACH, nm_detach_run, NULL, nm_detach_finish, p->id);

                list = p->next;
                p->next = NULL;
                if (!j) {
                        flush_list(m, p);
                        continue;
                }
                j->net = TAKE_PTR(p->net);
                memcpy(j->veth, p->veth, sizeof(j->veth));
                j->netns_path = TAKE_PTR(p->netns_path);
                j->ep_path = TAKE_PTR(p->ep_path);
                nm_job_submit(m, j);
                if (p->release)
                        network_manager_release(m, p->id);
                nm_parked_free(p);
        }
}

static bool
attach_in_flight(struct network_manager *m)
{
        for (struct nm_job *j = m->jobs; j; j = j->next)
                if (j->kind == NM_JOB_ATTACH)
                        return true;
        return false;
}

void
nm_teardown_idle_cb(evutil_socket_t fd, short what, void *arg)
{
        struct network_manager *m = arg;
        int64_t oldest = INT64_MAX;

        for (const struct nm_parked *p = m->parked; p; p = p->next)
                if (p->parked_ms < oldest)
                        oldest = p->parked_ms;
        if (!attach_in_flight(m) || now_monotonic_ms() - oldest >= NM_TEARDOWN_MAX_AGE_MS) {
                log_debug("network: tearing down %u exited container(s)", m->n_parked);
                flush_all(m);
        }
        else {
                log_debug("network: teardown of %u exited container(s) waits for an attach",
                          m->n_parked);
                nm_teardown_idle_arm(m); /* and attach_finish() re-arms it too */
        }
}

/* Armed once, when the first endpoint is parked, not at every park or
 * attach: a steady stream of starts must not push the teardown out
 * forever (it did, by re-arming it every few hundred ms). When it fires
 * while an attach is in flight it waits another period (at most until
 * NM_TEARDOWN_MAX_AGE_MS). */
void
nm_teardown_idle_arm(struct network_manager *m)
{
        struct timeval tv = { 0, NM_TEARDOWN_IDLE_MS * 1000 };

        if (m->parked && !evtimer_pending(m->ev_idle, NULL))
                evtimer_add(m->ev_idle, &tv);
}

bool
nm_park(struct network_manager *m, struct nm_job *j)
{
        struct nm_parked *p = calloc(1, sizeof(*p));

        if (!p || !(p->id = strdup(j->id))) {
                free(p);
                return false;
        }
        p->net = TAKE_PTR(j->net);
        p->parked_ms = now_monotonic_ms();
        memcpy(p->veth, j->veth, sizeof(p->veth));
        p->netns_path = TAKE_PTR(j->netns_path);
        p->ep_path = TAKE_PTR(j->ep_path);
        p->next = m->parked;
        m->parked = p;
        if (++m->n_parked > NM_TEARDOWN_MAX)
                flush_all(m);
        else
                nm_teardown_idle_arm(m);
        return true;
}

/* Removed, its lease only waiting for a teardown batch, parked or already
 * running (`release` is not changed once parked: the batch's worker marks
 * `released` instead). */
bool
nm_lease_leaving(struct network_manager *m, const char *id)
{
        const struct nm_parked *p = nm_parked_find(m, id);

        if (p)
                return p->release;
        for (const struct nm_job *j = m->jobs; j; j = j->next)
                if (j->kind == NM_JOB_FLUSH)
                        for (p = j->batch; p; p = p->next)
                                if (strcmp(p->id, id) == 0)
                                        return p->release;
        return false;
}

struct nm_parked *
nm_parked_find(struct network_manager *m, const char *id)
{
        for (struct nm_parked *p = m->parked; p; p = p->next)
                if (strcmp(p->id, id) == 0)
                        return p;
        return NULL;
}

void
nm_unpark_for_attach(struct network_manager *m, struct network *net, const char *veth)
{
        unpark_now(m, parked_take(m, match_veth, veth));
        if (net_ipam_count(net->ipam) + net->attaching >= net_subnet_capacity(&net->subnet))
                unpark_now(m, parked_take(m, match_net_release, net));
}

void
nm_teardown_shutdown(struct network_manager *m)
{
        struct nm_parked *list = TAKE_PTR(m->parked), **tail = &list;
        unsigned n = m->n_parked;

        /* Batches still queued are done here too (a running one finishes
         * in its thread). */
        while (*tail)
                tail = &(*tail)->next;
        for (struct nm_job *j = m->jobs; j; j = j->next)
                if (j->kind == NM_JOB_FLUSH && !j->started && j->batch) {
                        *tail = TAKE_PTR(j->batch);
                        while (*tail) {
                                tail = &(*tail)->next;
                                n++;
                        }
                }
        if (!list)
                return;
        m->n_parked = 0;
        (void) teardown_batch(list, NULL);
        nm_parked_free(list);
        log_debug("network: removed %u parked endpoint(s) at shutdown", n);
}

