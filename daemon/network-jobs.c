/* The network manager's jobs: a job is shared by the loop and at most one
 * worker thread (reference counted), so the manager can be freed while
 * threads still run. This file orders them (a container's attach, detach
 * and release one at a time and in order, none during a reconciliation,
 * network.remove after the releases before it), starts them in the worker
 * pool, and finishes them in the loop, also those that needed no thread:
 * those finish from an event, never inside the call that asked, as do the
 * members-changed callbacks. */
#include <errno.h>
#include <string.h>

#include "common/log.h"
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
 * (a container removed just before its network). */
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
                        if ((job_is_serial(o) && o->started) ||
                            (o != j && o->kind == NM_JOB_RECONCILE_APPLY))
                                return true;
                for (o = m->jobs; o && o != j; o = o->next)
                        if (o->kind == NM_JOB_RECONCILE_SCAN)
                                return true;
                return false;
        case NM_JOB_REMOVE:
                for (o = m->jobs; o && o != j; o = o->next)
                        if (o->kind == NM_JOB_RELEASE)
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
