/* The image manager: the image store behind the API (list, inspect,
 * remove, prune) and the worker jobs every slow step runs in. Imports are
 * image-import.c's; both files share image-manager-internal.h. The store is
 * touched in the loop only; everything slow runs in worker jobs:
 *
 *   remove:   the record goes in the loop (one rename); an old-format
 *             image's tree is removed in the background.
 *   prune:    remove dangling images, sweep layers (renames, in the loop)
 *             -> rm -rf of the trash in a worker -> reply.
 *
 * A job is shared by the loop and its thread (reference counted), so the
 * manager can be freed while threads still run (the pool never joins).
 * Progress crosses threads only as the job's two atomic counters. */
#include "daemon/image-manager.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "common/fs-util.h"
#include "common/log.h"
#include "daemon/container.h"
#include "daemon/events.h"
#include "daemon/image-manager-internal.h"
#include "daemon/image/image.h"
#include "daemon/image/oci.h"
#include "daemon/worker.h"

struct prune {
        struct prune *next;
        struct image_manager *m;
        struct request *req;
        struct image_job *job;
        json_t *deleted;
        size_t n_layers;
        uint64_t bytes;
        int error;
        struct ctr_error *err;
};

/* ---- jobs ---- */

void
image_strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

int
image_strv_push(char ***v, size_t *n, const char *s)
{
        char *copy = strdup(s);
        char **nv;

        if (!copy)
                return -ENOMEM;
        nv = reallocarray(*v, *n + 2, sizeof(*nv));
        if (!nv) {
                free(copy);
                return -ENOMEM;
        }
        nv[(*n)++] = copy;
        nv[*n] = NULL;
        *v = nv;
        return 0;
}

struct image_job *
image_job_new(image_job_run_fn run, const char *src, const char *dest)
{
        struct image_job *j = calloc(1, sizeof(*j));

        if (!j)
                return NULL;
        atomic_init(&j->refs, 1);
        j->run = run;
        if ((src && !(j->src = strdup(src))) || (dest && !(j->dest = strdup(dest)))) {
                free(j->src);
                free(j);
                return NULL;
        }
        return j;
}

void
image_job_unref(struct image_job *j)
{
        if (!j || atomic_fetch_sub(&j->refs, 1) != 1)
                return;
        free(j->src);
        free(j->dest);
        image_strv_free(j->trash);
        oci_source_free(j->source);
        ctr_error_free(j->err);
        free(j);
}

void
image_job_progress(uint64_t done, uint64_t total, void *userdata)
{
        struct image_job *j = userdata;

        atomic_store(&j->done, done);
        atomic_store(&j->total, total);
}

/* Worker thread (or the loop): every tree is tried, the last error wins. */
static int
rm_run(struct image_job *j)
{
        int r = 0;

        for (size_t i = 0; j->trash && j->trash[i]; i++) {
                _cleanup_error_ struct ctr_error *e = NULL;
                int k = rm_rf(j->trash[i], &e);
                if (k < 0) {
                        log_warning("remove `%s`: %s", j->trash[i], e ? e->message : "error");
                        r = k;
                }
        }
        return r;
}

struct image_job *
image_job_new_rm(char **trash)
{
        struct image_job *j = image_job_new(rm_run, NULL, NULL);

        if (j)
                j->trash = trash;
        return j;
}

int
image_job_run(struct image_job *j)
{
        return j->run(j);
}

static int
job_work(void *userdata)
{
        struct image_job *j = userdata;
        int r = image_job_run(j);

        image_job_unref(j);
        return r;
}

static void
job_done(int r, void *userdata)
{
        struct image_job *j = userdata;

        j->on_done(j, r);
}

int
image_job_submit(struct image_manager *m, struct image_job *j, image_job_done_fn on_done,
                 void *owner)
{
        int r;

        j->on_done = on_done;
        j->owner = owner;
        if (!m->workers)
                return -ENOSYS;
        atomic_fetch_add(&j->refs, 1);
        r = worker_submit(m->workers, job_work, job_done, j);
        if (r < 0)
                atomic_fetch_sub(&j->refs, 1);
        return r;
}

static void
removal_done(struct image_job *j, int r)
{
        struct image_manager *m = j->owner;

        for (struct image_job **p = &m->removals; *p; p = &(*p)->next)
                if (*p == j) {
                        *p = j->next;
                        break;
                }
        image_job_unref(j);
}

void
image_manager_remove_in_background(struct image_manager *m, char **trash)
{
        struct image_job *j;

        if (!trash || !trash[0]) {
                image_strv_free(trash);
                return;
        }
        j = image_job_new_rm(trash);
        if (!j) {
                image_strv_free(trash);
                return;
        }
        if (image_job_submit(m, j, removal_done, m) < 0) {
                (void) image_job_run(j);
                image_job_unref(j);
                return;
        }
        j->next = m->removals;
        m->removals = j;
}

/* ---- the manager ---- */

static void prune_free(struct prune *p);

int
image_manager_new(struct event_base *base, struct worker_pool *workers, const char *root,
                  struct image_manager **ret, struct ctr_error **err)
{
        struct image_manager *m = calloc(1, sizeof(*m));
        int r;

        if (!m)
                return -ENOMEM;
        m->base = base;
        m->workers = workers;
        r = image_store_open(root, &m->store, err);
        if (r < 0) {
                free(m);
                return r;
        }
        *ret = m;
        return 0;
}

void
image_manager_free(struct image_manager *m)
{
        if (!m)
                return;
        /* The pool is freed first (main.c): no job's on_done runs any more;
         * threads still running keep their own reference to their job. */
        image_import_abort_all(m);
        while (m->prunes) {
                struct prune *p = m->prunes;
                request_error(p->req, PROTO_ERR_INTERNAL, "daemon shutting down", NULL);
                p->req = NULL;
                prune_free(p);
        }
        while (m->removals) {
                struct image_job *j = m->removals;
                m->removals = j->next;
                image_job_unref(j);
        }
        image_store_free(m->store);
        free(m);
}

void
image_manager_set_containers(struct image_manager *m, struct container_manager *c)
{
        m->containers = c;
}

void
image_manager_set_events(struct image_manager *m, struct event_bus *events)
{
        m->events = events;
}

struct image_store *
image_manager_store(struct image_manager *m)
{
        return m->store;
}

size_t
image_manager_count(struct image_manager *m)
{
        return image_store_count(m->store);
}

/* ---- list, inspect ---- */

json_t *
image_manager_list_json(struct image_manager *m)
{
        json_t *a = json_array();
        const struct image *img;

        for (size_t i = 0; (img = image_store_get(m->store, i)); i++)
                json_array_append_new(a, image_to_json(img));
        return json_pack("{s:o}", "images", a);
}

int
image_manager_inspect_json(struct image_manager *m, const char *ref, json_t **ret,
                           struct ctr_error **err)
{
        const struct image *img = NULL;
        json_t *j;
        int r = image_store_lookup(m->store, ref, &img, err);

        if (r == -ENOENT)
                return ctr_error_msg(err, ENOENT, "no such image: %s", ref);
        if (r < 0)
                return r;
        j = image_to_inspect_json(img);
        if (!j)
                return -ENOMEM;
        *ret = j;
        return 0;
}

/* ---- remove ---- */

static json_t *
refs_json(const struct image *img)
{
        json_t *a = json_array();

        for (size_t i = 0; a && i < img->n_refs; i++) {
                char *r = image_ref_format(&img->refs[i]);
                if (!r || json_array_append_new(a, json_string(r)) < 0) {
                        free(r);
                        json_decref(a);
                        return NULL;
                }
                free(r);
        }
        return a;
}

static bool
keep_all(const char *layer_dir, void *userdata)
{
        return true;
}

/* Removes the record (one rename, in the loop); an old-format image's
 * tree goes to a worker. Layers stay for prune. */
static int
delete_image(struct image_manager *m, const char *id, struct ctr_error **err)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        char **trash = NULL;
        size_t n = 0;
        uint64_t bytes = 0;
        int r;

        r = image_store_remove(m->store, id, err);
        if (r < 0)
                return r;
        /* keep_all sweeps no layer: this only collects old-format trees. */
        if (image_store_prune_layers(m->store, keep_all, NULL, &trash, &n, &bytes, &e) < 0)
                log_warning("image %.12s: %s", id, e ? e->message : "error");
        image_manager_remove_in_background(m, trash);
        return 0;
}

/* Untags ref (already parsed as name:tag) from an image with other refs. */
static int
untag(struct image_manager *m, const struct image *img, const char *name, const char *tag,
      json_t **ret, struct ctr_error **err)
{
        _cleanup_free_ char *ref = NULL;
        char id[ID_HEX_LEN + 1];
        json_t *j;
        int r;

        if (asprintf(&ref, "%s:%s", name, tag) < 0)
                return -ENOMEM;
        memcpy(id, img->id, sizeof(id));
        r = image_store_untag(m->store, name, tag, err);
        if (r < 0)
                return r;
        log_info("image %.12s untagged %s", id, ref);
        event_bus_emit(m->events, "image", "untag", id, ref, NULL, (uid_t) -1);
        j = json_pack("{s:s,s:[s],s:b}", "id", id, "untagged", ref, "deleted", 0);
        if (!j)
                return -ENOMEM;
        *ret = j;
        return 0;
}

int
image_manager_remove(struct image_manager *m, const char *ref, bool force, json_t **ret,
                     struct ctr_error **err)
{
        _cleanup_free_ char *name = NULL, *tag = NULL;
        _cleanup_(json_decrefp) json_t *untagged = NULL;
        const struct image *img = NULL;
        char id[ID_HEX_LEN + 1];
        bool by_ref = false;
        json_t *j;
        int r;

        if (image_parse_ref(ref, &name, &tag, NULL) >= 0 &&
            (img = image_store_find_ref(m->store, name, tag))) {
                by_ref = true;
                if (img->n_refs > 1)
                        return untag(m, img, name, tag, ret, err);
        } else {
                r = image_store_lookup(m->store, ref, &img, err);
                if (r == -ENOENT)
                        return ctr_error_msg(err, ENOENT, "no such image: %s", ref);
                if (r < 0)
                        return r;
        }
        memcpy(id, img->id, sizeof(id));
        if (!by_ref && !force && img->n_refs > 1)
                return ctr_error_msg(err, EBUSY,
                                     "unable to delete %.12s (must be forced): image is referenced "
                                     "by %zu names; remove them by name or use force",
                                     id, img->n_refs);
        if (!force && m->containers && container_manager_image_in_use(m->containers, id))
                return ctr_error_msg(err, EBUSY,
                                     "image %s is used by a container: remove it first or use "
                                     "force",
                                     ref);
        untagged = refs_json(img);
        if (!untagged)
                return -ENOMEM;
        r = delete_image(m, id, err);
        if (r < 0)
                return r;
        log_info("image %.12s removed", id);
        event_bus_emit(m->events, "image", "remove", id,
                       json_string_value(json_array_get(untagged, 0)), NULL, (uid_t) -1);
        j = json_pack("{s:s,s:O,s:b}", "id", id, "untagged", untagged, "deleted", 1);
        if (!j)
                return -ENOMEM;
        *ret = j;
        return 0;
}

/* ---- prune ---- */

static void
prune_free(struct prune *p)
{
        if (!p)
                return;
        for (struct prune **q = &p->m->prunes; *q; q = &(*q)->next)
                if (*q == p) {
                        *q = p->next;
                        break;
                }
        image_job_unref(p->job);
        json_decref(p->deleted);
        ctr_error_free(p->err);
        free(p);
}

static void
prune_reply(struct prune *p)
{
        if (p->error < 0) {
                request_error_errno(p->req, p->error, p->err);
        } else {
                log_info("pruned %zu images, %zu layers, %llu bytes", json_array_size(p->deleted),
                         p->n_layers, (unsigned long long) p->bytes);
                request_reply(p->req, json_pack("{s:O,s:I,s:I}", "images_deleted", p->deleted,
                                                "layers_deleted", (json_int_t) p->n_layers,
                                                "space_reclaimed", (json_int_t) p->bytes));
        }
        p->req = NULL;
        prune_free(p);
}

static void
prune_rm_done(struct image_job *j, int r)
{
        struct prune *p = j->owner;

        prune_reply(p);
}

/* A layer no image lists may still be needed: by a container's overlay
 * (its image was removed with force), or by an import that found it
 * committed and has not committed its image yet. */
static bool
prune_keep(const char *layer_dir, void *userdata)
{
        struct image_manager *m = userdata;

        if (m->containers && container_manager_uses_layer_dir(m->containers, layer_dir))
                return true;
        return image_import_uses_layer_dir(m, layer_dir);
}

void
image_manager_prune(struct image_manager *m, struct request *req)
{
        _cleanup_(image_strv_freep) char **ids = NULL;
        struct prune *p = calloc(1, sizeof(*p));
        char **trash = NULL;
        size_t n_ids = 0;
        const struct image *img;
        struct image_job *j;

        if (!p || !(p->deleted = json_array())) {
                free(p);
                request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                return;
        }
        p->m = m;
        p->req = req;
        p->next = m->prunes;
        m->prunes = p;
        for (size_t i = 0; (img = image_store_get(m->store, i)); i++)
                if (img->n_refs == 0 &&
                    !(m->containers && container_manager_image_in_use(m->containers, img->id)) &&
                    image_strv_push(&ids, &n_ids, img->id) < 0) {
                        p->error = -ENOMEM;
                        prune_reply(p);
                        return;
                }
        for (size_t i = 0; i < n_ids; i++) {
                p->error = image_store_remove(m->store, ids[i], &p->err);
                if (p->error < 0) {
                        prune_reply(p);
                        return;
                }
                log_info("image %.12s removed (dangling)", ids[i]);
                event_bus_emit(m->events, "image", "remove", ids[i], NULL, NULL,
                               request_peer_uid(req));
                json_array_append_new(p->deleted, json_string(ids[i]));
        }
        /* On failure, what was detached is in trash all the same. */
        p->error = image_store_prune_layers(m->store, prune_keep, m, &trash, &p->n_layers,
                                            &p->bytes, &p->err);
        if (!trash || !trash[0] || !(j = image_job_new_rm(trash))) {
                if (trash && trash[0])
                        image_manager_remove_in_background(m, trash);
                else
                        image_strv_free(trash);
                prune_reply(p);
                return;
        }
        if (image_job_submit(m, j, prune_rm_done, p) < 0) {
                (void) image_job_run(j);
                image_job_unref(j);
                prune_reply(p);
                return;
        }
        p->job = j;
}
