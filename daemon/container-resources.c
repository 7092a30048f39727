/* A container's cgroup beyond placement: limits in the record, in
 * config.json and changed live (container.update), the freezer
 * (container.pause/resume) and OOM kills (container-stats.c streams samples).
 * Every write that may block (memory reclaim, waiting for the freezer)
 * runs in a worker; jobs carry the container's id and path, never a
 * pointer, and find the container again when they finish. Loop thread
 * only, except *_work(). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include <fcntl.h>

#include "common/fs-util.h"
#include "common/log.h"
#include "common/time-util.h"
#include "daemon/client.h"
#include "daemon/container-record.h"
#include "daemon/events.h"
#include "daemon/network-manager.h"
#include "daemon/worker.h"
#include "proto/proto.h"

/* ---- limits: record, API and OCI forms ---- */

static int
dup_str(char **dst, const char *src)
{
        char *s = strdup(src);

        if (!s)
                return -ENOMEM;
        free(*dst);
        *dst = s;
        return 0;
}

int
container_limits_merge(struct cgroup_limits *dst, const struct cgroup_limits *src)
{
        int64_t *d[] = { &dst->memory_max, &dst->memory_swap, &dst->memory_low, &dst->cpu_quota_us,
                         &dst->cpu_period_us, &dst->cpu_shares, &dst->pids_max, &dst->io_weight };
        const int64_t s[] = { src->memory_max, src->memory_swap, src->memory_low, src->cpu_quota_us,
                              src->cpu_period_us, src->cpu_shares, src->pids_max, src->io_weight };

        for (size_t i = 0; i < ARRAY_SIZE(s); i++)
                if (s[i] != CGROUP_UNSET)
                        *d[i] = s[i];
        if (src->cpuset_cpus && dup_str(&dst->cpuset_cpus, src->cpuset_cpus) < 0)
                return -ENOMEM;
        if (src->cpuset_mems && dup_str(&dst->cpuset_mems, src->cpuset_mems) < 0)
                return -ENOMEM;
        return 0;
}

/* The API's names of the int64_t fields, in one table for both ways. */
struct limit_field {
        const char *key;
        size_t offset;
};
#define LIMIT_FIELD(k, f) { k, offsetof(struct cgroup_limits, f) }
static const struct limit_field limit_fields[] = {
        LIMIT_FIELD("memory", memory_max),         LIMIT_FIELD("memory_swap", memory_swap),
        LIMIT_FIELD("memory_reservation", memory_low), LIMIT_FIELD("cpu_quota", cpu_quota_us),
        LIMIT_FIELD("cpu_period", cpu_period_us),  LIMIT_FIELD("cpu_shares", cpu_shares),
        LIMIT_FIELD("pids_limit", pids_max),       LIMIT_FIELD("blkio_weight", io_weight),
};

static int64_t *
field_ptr(struct cgroup_limits *l, const struct limit_field *f)
{
        return (int64_t *) ((char *) l + f->offset);
}

static int64_t
field_get(const struct cgroup_limits *l, const struct limit_field *f)
{
        return *(const int64_t *) ((const char *) l + f->offset);
}

json_t *
container_limits_to_json(const struct cgroup_limits *l)
{
        json_t *o = json_object();

        for (size_t i = 0; o && i < ARRAY_SIZE(limit_fields); i++) {
                int64_t v = field_get(l, &limit_fields[i]);
                if (v == CGROUP_UNSET)
                        continue;
                /* -1 is "unlimited", as Docker's API says it. */
                json_object_set_new(o, limit_fields[i].key,
                                    json_integer(v == CGROUP_UNLIMITED ? -1 : (json_int_t) v));
        }
        if (o && l->cpuset_cpus)
                json_object_set_new(o, "cpuset_cpus", json_string(l->cpuset_cpus));
        if (o && l->cpuset_mems)
                json_object_set_new(o, "cpuset_mems", json_string(l->cpuset_mems));
        if (o && l->cpu_quota_us > 0 && l->cpu_quota_us != CGROUP_UNLIMITED)
                json_object_set_new(o, "cpus",
                                    json_real((double) l->cpu_quota_us /
                                              (double) (l->cpu_period_us > 0 ? l->cpu_period_us
                                                                             : 100000)));
        return o;
}

int
container_limits_from_json(json_t *j, struct cgroup_limits *ret)
{
        const char *s;

        cgroup_limits_init(ret);
        if (!j || json_is_null(j))
                return 0;
        if (!json_is_object(j))
                return -EINVAL;
        for (size_t i = 0; i < ARRAY_SIZE(limit_fields); i++) {
                json_t *v = json_object_get(j, limit_fields[i].key);
                if (!v)
                        continue;
                if (!json_is_integer(v))
                        return -EINVAL;
                *field_ptr(ret, &limit_fields[i]) =
                        json_integer_value(v) < 0 ? CGROUP_UNLIMITED : json_integer_value(v);
        }
        if ((s = json_string_value(json_object_get(j, "cpuset_cpus"))) &&
            !(ret->cpuset_cpus = strdup(s)))
                return -ENOMEM;
        if ((s = json_string_value(json_object_get(j, "cpuset_mems"))) &&
            !(ret->cpuset_mems = strdup(s)))
                return -ENOMEM;
        return 0;
}

static void
oci_set(json_t *parent, const char *section, const char *key, int64_t v)
{
        json_t *o;

        if (v == CGROUP_UNSET)
                return;
        o = json_object_get(parent, section);
        if (!o) {
                o = json_object();
                json_object_set_new(parent, section, o);
        }
        json_object_set_new(o, key, json_integer(v == CGROUP_UNLIMITED ? -1 : (json_int_t) v));
}

/* https://github.com/opencontainers/runtime-spec/blob/main/config-linux.md#control-groups
 * memory.swap is memory + swap there too, as Docker's --memory-swap. */
json_t *
container_limits_to_oci(const struct cgroup_limits *l)
{
        json_t *r = json_object();

        if (!r)
                return NULL;
        oci_set(r, "memory", "limit", l->memory_max);
        oci_set(r, "memory", "swap", l->memory_swap);
        oci_set(r, "memory", "reservation", l->memory_low);
        oci_set(r, "cpu", "shares", l->cpu_shares);
        oci_set(r, "cpu", "quota", l->cpu_quota_us);
        oci_set(r, "cpu", "period", l->cpu_period_us);
        if (l->cpuset_cpus || l->cpuset_mems) {
                json_t *cpu = json_object_get(r, "cpu");
                if (!cpu) {
                        cpu = json_object();
                        json_object_set_new(r, "cpu", cpu);
                }
                if (l->cpuset_cpus)
                        json_object_set_new(cpu, "cpus", json_string(l->cpuset_cpus));
                if (l->cpuset_mems)
                        json_object_set_new(cpu, "mems", json_string(l->cpuset_mems));
        }
        oci_set(r, "pids", "limit", l->pids_max);
        oci_set(r, "blockIO", "weight", l->io_weight);
        if (json_object_size(r) == 0) {
                json_decref(r);
                return NULL;
        }
        return r;
}

/* ---- helpers ---- */

static bool
is_running(const struct container *c)
{
        return c->state == CONTAINER_RUNNING && !c->starting;
}

/* Looks ref up for a resource change; answers req and returns NULL if it
 * cannot have one now. */
static struct container *
lookup_for_change(struct container_manager *m, const char *ref, struct request *req)
{
        struct container *c = container_lookup_or_reply(m, ref, req);

        if (!c)
                return NULL;
        if (c->starting) {
                request_errorf(req, PROTO_ERR_CONFLICT, "container %s is starting: try again",
                               c->name);
                return NULL;
        }
        if (c->freezing) {
                request_errorf(req, PROTO_ERR_CONFLICT,
                               "container %s: another pause, unpause or update is in progress",
                               c->name);
                return NULL;
        }
        return c;
}

/* A job for the worker: what it needs copied, what it found. */
struct res_job {
        struct container_manager *m;
        char id[ID_HEX_LEN + 1];
        char *cgroup;
        struct request *req;
        uid_t uid;
        bool freeze;                /* pause/resume: the state asked for */
        bool is_update;
        bool detached;              /* thaw after a signal: no request */
        struct cgroup_limits apply; /* update: the fields asked for */
        struct cgroup_limits merged;/* update: the limits after it */
        struct ctr_error *err;
};

static void
res_job_free(struct res_job *j)
{
        if (!j)
                return;
        free(j->cgroup);
        cgroup_limits_clear(&j->apply);
        cgroup_limits_clear(&j->merged);
        ctr_error_free(j->err);
        free(j);
}

static struct res_job *
res_job_new(struct container *c, struct request *req)
{
        struct res_job *j = calloc(1, sizeof(*j));

        if (!j)
                return NULL;
        j->m = c->mgr;
        memcpy(j->id, c->id, sizeof(j->id));
        j->req = req;
        j->uid = req ? request_peer_uid(req) : (uid_t) -1;
        cgroup_limits_init(&j->apply);
        cgroup_limits_init(&j->merged);
        j->cgroup = container_cgroup_path(c);
        if (!j->cgroup) {
                free(j);
                return NULL;
        }
        return j;
}

/* Worker thread: the cgroup files only. */
static int
res_work(void *userdata)
{
        struct res_job *j = userdata;

        if (j->is_update)
                return cgroup_limits_apply(j->cgroup, &j->apply, &j->err);
        return cgroup_freeze(j->cgroup, j->freeze, &j->err);
}

/* ---- update ---- */

static void oom_watch_arm(struct container *c, bool recovered);

static void
update_commit(struct container *c, struct res_job *j)
{
        _cleanup_error_ struct ctr_error *e = NULL;

        cgroup_limits_clear(&c->config.limits);
        c->config.limits = j->merged;
        cgroup_limits_init(&j->merged);
        /* The next start gets them too. */
        if (container_spec_set_resources(c, &e) < 0)
                log_warning("container %.12s: config.json resources: %s", c->id,
                            e ? e->message : "failed");
        container_persist_or_log(c);
        /* The first memory limit of a running container: its OOM kills
         * count from now on (at start there was nothing to watch). */
        if (is_running(c) && !c->oom_ev)
                oom_watch_arm(c, false);
        log_info("container %.12s (%s): limits updated", c->id, c->name);
        container_emit_event(c, "update", NULL, j->uid);
        request_reply(j->req, json_pack("{s:s,s:o}", "id", c->id, "limits",
                                        container_limits_to_json(&c->config.limits)));
        j->req = NULL;
}

static void
res_done(int r, void *userdata)
{
        struct res_job *j = userdata;
        struct container *c = container_by_id(j->m, j->id);

        if (c)
                c->freezing = false;
        if (j->detached) {
                /* Thaw after a signal: the container may be gone already. */
                if (r < 0 && r != -ENOENT)
                        log_warning("container %.12s: thaw: %s", j->id,
                                    j->err ? j->err->message : strerror(-r));
                if (c && r >= 0 && c->paused) {
                        c->paused = false;
                        if (c->state == CONTAINER_RUNNING)
                                container_persist_or_log(c);
                }
                res_job_free(j);
                return;
        }
        if (!c) {
                request_errorf(j->req, PROTO_ERR_CONFLICT, "container %.12s was removed", j->id);
                res_job_free(j);
                return;
        }
        if (r < 0) {
                /* cgroup_limits_apply() and cgroup_freeze() undid what they
                 * did: the old limits and state hold. */
                /* ENOENT: the cgroup went with an exit; EOPNOTSUPP: the
                 * host lacks the controller, which is the caller's to fix. */
                request_error_errno(j->req, r == -ENOENT ? -EBUSY : r == -EOPNOTSUPP ? -EINVAL : r,
                                    j->err);
                res_job_free(j);
                return;
        }
        if (j->is_update) {
                update_commit(c, j);
        } else if (!is_running(c)) {
                request_errorf(j->req, PROTO_ERR_CONFLICT, "container %s exited meanwhile", c->name);
        } else {
                c->paused = j->freeze;
                container_persist_or_log(c);
                log_info("container %.12s (%s) %s", c->id, c->name, j->freeze ? "paused" : "unpaused");
                container_emit_event(c, j->freeze ? "pause" : "unpause", NULL, j->uid);
                request_reply(j->req, json_pack("{s:s}", "id", c->id));
        }
        res_job_free(j);
}

static int
res_submit(struct container *c, struct res_job *j)
{
        int r = worker_submit(c->mgr->workers, res_work, res_done, j);

        if (r >= 0)
                c->freezing = true;
        return r;
}

void
container_update(struct container_manager *m, const char *ref, const struct cgroup_limits *l,
                 struct request *req)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        struct container *c = lookup_for_change(m, ref, req);
        struct res_job *j;
        int r;

        if (!c)
                return;
        if (c->state == CONTAINER_EXITED) {
                request_errorf(req, PROTO_ERR_CONFLICT,
                               "container %s has exited: only a created or running container can "
                               "be updated",
                               c->name);
                return;
        }
        j = res_job_new(c, req);
        if (!j) {
                request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                return;
        }
        j->is_update = true;
        r = container_limits_merge(&j->apply, l);
        if (r >= 0)
                r = container_limits_merge(&j->merged, &c->config.limits);
        if (r >= 0)
                r = container_limits_merge(&j->merged, l);
        /* The result as a whole must make sense (a new --memory above the
         * old --memory-swap is refused here, before any write). */
        if (r >= 0)
                r = cgroup_limits_validate(&j->merged, &e);
        /* Memory and swap are one pair: --memory-swap is memory plus swap,
         * so v2's memory.swap.max (the swap alone) follows from both, and
         * either alone would be written against the wrong other half. The
         * merged pair goes to the cgroup whenever the update touches one. */
        if (r >= 0 && (l->memory_max != CGROUP_UNSET || l->memory_swap != CGROUP_UNSET) &&
            j->merged.memory_max != CGROUP_UNSET && j->merged.memory_swap != CGROUP_UNSET) {
                j->apply.memory_max = j->merged.memory_max;
                j->apply.memory_swap = j->merged.memory_swap;
        }
        if (r < 0) {
                j->req = NULL;
                res_job_free(j);
                request_error_errno(req, r, e);
                return;
        }
        if (c->state == CONTAINER_CREATED) {
                update_commit(c, j);
                res_job_free(j);
                return;
        }
        r = res_submit(c, j);
        if (r < 0) {
                j->req = NULL;
                res_job_free(j);
                request_error_errno(req, r, NULL);
        }
}

/* ---- pause, resume ---- */

void
container_pause(struct container_manager *m, const char *ref, bool pause, struct request *req)
{
        struct container *c = lookup_for_change(m, ref, req);
        struct res_job *j;
        int r;

        if (!c)
                return;
        if (!is_running(c)) {
                request_errorf(req, PROTO_ERR_CONFLICT, "container %s is not running", c->name);
                return;
        }
        if (pause == c->paused) {
                request_errorf(req, PROTO_ERR_CONFLICT,
                               pause ? "container %s is already paused" : "container %s is not paused",
                               c->name);
                return;
        }
        j = res_job_new(c, req);
        if (!j) {
                request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                return;
        }
        j->freeze = pause;
        r = res_submit(c, j);
        if (r < 0) {
                j->req = NULL;
                res_job_free(j);
                request_error_errno(req, r, NULL);
        }
}

void
container_resources_thaw_after_signal(struct container *c)
{
        struct res_job *j;

        if (!c->paused)
                return;
        j = res_job_new(c, NULL);
        if (!j)
                return;
        j->detached = true;
        j->freeze = false;
        if (worker_submit(c->mgr->workers, res_work, res_done, j) < 0) {
                log_warning("container %.12s: cannot thaw after a signal", c->id);
                res_job_free(j);
        }
}

/* ---- OOM watch ---- */

static bool
has_memory_limit(const struct container *c)
{
        int64_t v = c->config.limits.memory_max;

        return v != CGROUP_UNSET && v != CGROUP_UNLIMITED;
}

/* An increase of the count is an "oom" event (one per increase: the
 * kernel may kill several processes of one episode); persist: write the
 * record now (not at the exit, whose own write follows at once). */
static void
oom_count(struct container *c, uint64_t n, bool persist)
{
        if (n <= c->oom_kills)
                return;
        log_info("container %.12s (%s): %" PRIu64 " OOM kill(s)", c->id, c->name, n - c->oom_kills);
        c->oom_kills = n;
        if (persist)
                container_persist_or_log(c);
        container_emit_event(c, "oom", NULL, (uid_t) -1);
}

static void
oom_check(struct container *c, bool persist)
{
        _cleanup_free_ char *cg = container_cgroup_path(c);
        uint64_t n;

        if (cg && cgroup_oom_kills(cg, &n, NULL) >= 0)
                oom_count(c, n, persist);
}

void
container_resources_exit_oom_kills(struct container *c, uint64_t n)
{
        oom_count(c, n, false);
}

/* v1 signals the OOM as it starts, before the victim is chosen and the
 * counter moves: look again a few times, 250 ms apart. */
#define OOM_RECHECKS 4

static void
oom_timer_cb(evutil_socket_t fd, short what, void *arg)
{
        struct container *c = arg;
        uint64_t before = c->oom_kills;
        struct timeval tv = { .tv_sec = 0, .tv_usec = 250000 };

        oom_check(c, true);
        if (c->oom_kills == before && --c->oom_rechecks > 0)
                evtimer_add(c->oom_timer, &tv);
}

static void
oom_cb(evutil_socket_t fd, short what, void *arg)
{
        struct container *c = arg;
        struct timeval tv = { .tv_sec = 0, .tv_usec = 250000 };

        cgroup_oom_watch_drain(fd);
        oom_check(c, true);
        if (!c->oom_timer)
                c->oom_timer = evtimer_new(c->mgr->base, oom_timer_cb, c);
        if (c->oom_timer) {
                c->oom_rechecks = OOM_RECHECKS;
                evtimer_add(c->oom_timer, &tv);
        }
}

void
container_resources_forget(struct container *c)
{
        if (c->oom_ev) {
                event_free(c->oom_ev);
                c->oom_ev = NULL;
        }
        if (c->oom_timer) {
                event_free(c->oom_timer);
                c->oom_timer = NULL;
        }
        c->oom_fd = safe_close(c->oom_fd);
}

static void
recover_paused(struct container *c, const char *cg)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        bool frozen;

        if (cgroup_is_frozen(cg, &frozen, &e) < 0) {
                log_debug("container %.12s: freezer state: %s", c->id, e ? e->message : "unknown");
                return;
        }
        if (frozen == c->paused)
                return;
        /* The cgroup is the truth: a pause or resume the daemon did not
         * live to record (or someone else's freezer write). */
        log_info("container %.12s (%s) is %s after all", c->id, c->name,
                 frozen ? "paused" : "not paused");
        c->paused = frozen;
        container_persist_or_log(c);
}

/* Watches c's OOM kills if it has a memory limit (else no kill can be
 * its own); any earlier watch is dropped. recovered: after a daemon
 * restart, also counts the kills while the daemon was away. */
static void
oom_watch_arm(struct container *c, bool recovered)
{
        _cleanup_free_ char *cg = container_cgroup_path(c);
        _cleanup_error_ struct ctr_error *e = NULL;
        int fd;

        container_resources_forget(c);
        if (!cg || !has_memory_limit(c))
                return;
        if (cgroup_oom_watch(cg, &fd, &e) < 0) {
                log_warning("container %.12s: cannot watch OOM kills: %s", c->id,
                            e ? e->message : "failed");
                return;
        }
        c->oom_fd = fd;
        c->oom_ev = event_new(c->mgr->base, fd, EV_READ | EV_PERSIST, oom_cb, c);
        if (!c->oom_ev || event_add(c->oom_ev, NULL) < 0) {
                container_resources_forget(c);
                return;
        }
        /* Kills while the daemon was away. */
        if (recovered)
                oom_check(c, true);
}

void
container_resources_started(struct container *c, bool recovered)
{
        _cleanup_free_ char *cg = container_cgroup_path(c);

        if (!cg)
                return;
        if (recovered)
                recover_paused(c, cg);
        else {
                c->paused = false;
                c->oom_kills = 0; /* per run, as Docker's OOMKilled */
        }
        oom_watch_arm(c, recovered);
}

/* The monitor removes the cgroup right after the exit, so this last read
 * may find nothing: then the count is what the watch saw last, which the
 * kernel reported before the exit (the kill comes first). */
void
container_resources_stopped(struct container *c)
{
        if (c->oom_ev)
                oom_check(c, false);
        container_resources_forget(c);
        c->paused = false;
}

/* ---- inspect ---- */

json_t *
container_resources_inspect_json(const struct container *c)
{
        _cleanup_free_ char *cg = NULL;
        struct cgroup_limits l;
        json_t *j;

        /* Running: what the kernel enforces, read back. */
        if (c->state == CONTAINER_RUNNING && (cg = container_cgroup_path(c)) &&
            cgroup_limits_read(cg, &l, NULL) >= 0) {
                j = container_limits_to_json(&l);
                cgroup_limits_clear(&l);
                return j;
        }
        return container_limits_to_json(&c->config.limits);
}
