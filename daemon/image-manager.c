/* Image import and removal around the image store. An import unpacks in a
 * worker (image_unpack_tarball is thread-safe) into a staging dir the loop
 * made, and commits in the loop. Progress crosses threads only as two
 * atomic counters that a 100 ms loop timer samples. */
#include "daemon/image-manager.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fs-util.h"
#include "common/log.h"
#include "daemon/container.h"
#include "daemon/image/image.h"
#include "daemon/worker.h"

struct image_manager {
        struct event_base *base;
        struct worker_pool *workers;
        struct image_store *store;
        struct container_manager *containers;
        unsigned imports;
};

struct import_job {
        struct image_manager *m;
        struct request *req;
        char *path, *name, *tag, *staging;
        char digest[7 + ID_HEX_LEN + 1];
        uint64_t size;
        struct ctr_error *err;
        _Atomic uint64_t done, total;
        uint64_t reported;
        struct event *timer;
};

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
        image_store_free(m->store);
        free(m);
}

void
image_manager_set_containers(struct image_manager *m, struct container_manager *c)
{
        m->containers = c;
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

/* Worker thread. */
static void
import_progress(uint64_t done, uint64_t total, void *userdata)
{
        struct import_job *j = userdata;

        atomic_store(&j->done, done);
        atomic_store(&j->total, total);
}

/* Worker thread: unpack, and on failure clean the staging dir here too,
 * so a large partial tree is never removed on the loop. */
static int
import_work(void *userdata)
{
        struct import_job *j = userdata;
        int r;

        r = image_unpack_tarball(j->path, j->staging, import_progress, j, j->digest, &j->size,
                                 &j->err);
        if (r < 0)
                (void) rm_rf(j->staging, NULL);
        return r;
}

static void
import_report(struct import_job *j)
{
        uint64_t done = atomic_load(&j->done);

        if (done == j->reported)
                return;
        j->reported = done;
        request_notify(j->req, "image.import.progress",
                       json_pack("{s:I,s:I}", "bytes", (json_int_t) done, "total",
                                 (json_int_t) atomic_load(&j->total)));
}

static void
import_timer_cb(evutil_socket_t fd, short what, void *arg)
{
        import_report(arg);
}

static void
import_job_free(struct import_job *j)
{
        if (j->timer)
                event_free(j->timer);
        ctr_error_free(j->err);
        free(j->path);
        free(j->name);
        free(j->tag);
        free(j->staging);
        free(j);
}

static void
import_done(int r, void *userdata)
{
        struct import_job *j = userdata;
        _cleanup_error_ struct ctr_error *e = NULL;
        const struct image *img = NULL;

        j->m->imports--;
        if (r < 0) {
                log_info("import of %s failed: %s", j->path, j->err ? j->err->message : "error");
                request_error_errno(j->req, r == -ENOENT ? -EINVAL : r, j->err);
                import_job_free(j);
                return;
        }
        import_report(j);
        r = image_store_commit(j->m->store, j->staging, j->digest, j->size, j->name, j->tag, &img,
                               &e);
        if (r < 0) {
                (void) rm_rf(j->staging, NULL);
                request_error_errno(j->req, r, e);
        } else {
                log_info("imported %s as %s:%s (%.19s)", j->path, j->name, j->tag, j->digest);
                request_reply(j->req, image_to_json(img));
        }
        import_job_free(j);
}

void
image_manager_import(struct image_manager *m, const char *path, const char *name,
                     const char *tag, struct request *req)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        _cleanup_free_ char *ref = NULL, *pname = NULL, *ptag = NULL;
        struct import_job *j;
        struct timeval tv = { .tv_usec = 100 * 1000 };
        struct stat st;
        int r;

        if (path[0] != '/') {
                request_errorf(req, PROTO_ERR_INVALID, "path '%s' must be absolute", path);
                return;
        }
        if (stat(path, &st) < 0) {
                r = -errno;
                ctr_error_sys(&e, -r, "image archive `%s`", path);
                request_error_errno(req, r, e);
                return;
        }
        if (!S_ISREG(st.st_mode)) {
                request_errorf(req, PROTO_ERR_INVALID, "image archive `%s` is not a regular file",
                               path);
                return;
        }
        if (asprintf(&ref, "%s:%s", name, tag ? tag : "latest") < 0) {
                request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                return;
        }
        r = image_parse_ref(ref, &pname, &ptag, &e);
        if (r < 0) {
                request_error(req, PROTO_ERR_INVALID, e ? e->message : "invalid image name", NULL);
                return;
        }
        if (m->imports >= IMAGE_MANAGER_MAX_IMPORTS) {
                request_errorf(req, PROTO_ERR_BUSY, "too many imports running (limit %d)",
                               IMAGE_MANAGER_MAX_IMPORTS);
                return;
        }
        j = calloc(1, sizeof(*j));
        if (!j) {
                request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                return;
        }
        j->m = m;
        j->path = strdup(path);
        j->name = TAKE_PTR(pname);
        j->tag = TAKE_PTR(ptag);
        r = image_store_new_staging_dir(m->store, &j->staging, &e);
        if (r < 0 || !j->path) {
                request_error_errno(req, r < 0 ? r : -ENOMEM, e);
                import_job_free(j);
                return;
        }
        j->timer = event_new(m->base, -1, EV_PERSIST, import_timer_cb, j);
        if (!j->timer || event_add(j->timer, &tv) < 0 ||
            (r = worker_submit(m->workers, import_work, import_done, j)) < 0) {
                (void) rm_rf(j->staging, NULL);
                request_error(req, PROTO_ERR_INTERNAL, "could not start the import", NULL);
                import_job_free(j);
                return;
        }
        j->req = req;
        m->imports++;
}

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
        j = image_to_json(img);
        if (!j)
                return -ENOMEM;
        json_object_set_new(j, "config", img->config ? json_deep_copy(img->config) : json_null());
        json_object_set_new(j, "rootfs", json_string(img->rootfs));
        *ret = j;
        return 0;
}

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

/* Worker thread: the tree of a removed image. */
static int
remove_work(void *userdata)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        int r = image_store_remove_tree(userdata, &e);

        if (r < 0)
                log_warning("remove `%s`: %s", (char *) userdata, e ? e->message : "error");
        return r;
}

static void
remove_done(int r, void *userdata)
{
        free(userdata);
}

/* Detaches the image in the loop (it is gone at once, crash-safe) and
 * leaves the rm -rf to a worker, or does it here if no thread starts. */
static int
delete_image(struct image_manager *m, const char *id, struct ctr_error **err)
{
        _cleanup_free_ char *trash = NULL;
        int r;

        r = image_store_remove_detach(m->store, id, &trash, err);
        if (r < 0)
                return r;
        if (m->workers && worker_submit(m->workers, remove_work, remove_done, trash) >= 0) {
                trash = NULL;
                return 0;
        }
        (void) remove_work(trash);
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
        j = json_pack("{s:s,s:O,s:b}", "id", id, "untagged", untagged, "deleted", 1);
        if (!j)
                return -ENOMEM;
        *ret = j;
        return 0;
}
