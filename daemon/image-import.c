/* Image import: the state machine that turns an OCI layout, an OCI or
 * docker-save archive, or a rootfs tarball into committed layers and
 * images, with progress notifications. Every slow step is a worker job
 * (image-manager.c runs them); state changes and store commits happen in
 * the loop only:
 *
 *   import of a file:  extract (oci_archive_extract into images/.tmp-*)
 *                      -> read (oci_source_read) -> unpack each missing
 *                      layer (image_unpack_layer into diff/ of a layers/.tmp-* dir,
 *                      one at a time per import) -> commit layers, then
 *                      images, in the loop -> rm -rf of the temp dirs ->
 *                      reply. A rootfs tarball (extract returns 0) is one
 *                      layer unpacked without expectations, with a
 *                      synthesized config.
 *   import of a dir:   read -> unpack -> commit -> reply.
 *
 * Two imports never unpack the same diff_id at once: the one that starts
 * it holds a claim on the diff_id; the second waits ("waiting") and then
 * finds the layer committed ("exists"), or unpacks it itself if the first
 * failed. Progress crosses threads only as the job's two atomic counters,
 * which a 100 ms loop timer samples. */
#include "daemon/image-manager.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common/fs-util.h"
#include "common/log.h"
#include "common/time-util.h"
#include "daemon/events.h"
#include "daemon/image-manager-internal.h"
#include "daemon/image/image.h"
#include "daemon/image/oci.h"
#include "daemon/image/sha256.h"

#define DEFAULT_ENV_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* Names listed in the "holds N images" error. */
#define LIST_NAMES_MAX 8

/* ---- state ---- */

/* One layer of an image being imported. */
struct import_layer {
        struct image_layer l;  /* diff_id ("" until a rootfs tarball is unpacked),
                                  * digest, media_type (borrowed), blob_size */
        const char *blob_path; /* borrowed from the source or the import */
        enum image_compression compression;
};

/* One image to import. */
struct target {
        json_t *config; /* owned reference */
        char config_digest[IMAGE_DIGEST_LEN + 1];
        const char *manifest_digest; /* borrowed; NULL */
        struct import_layer *layers;
        size_t n_layers;
        struct image_ref *names; /* owned; the names to give it, in order */
        size_t n_names;
};

struct import {
        struct import *next;
        struct image_manager *m;
        struct request *req;
        char *path, *name, *tag;
        bool all;
        char *extract_dir; /* images/.tmp-* of an archive */
        bool rootfs;       /* a rootfs tarball */
        uint64_t file_size;
        struct oci_source *src;
        struct target *targets;
        size_t n_targets;
        size_t cur_image, cur_layer;
        struct image_job *job; /* the running job, or NULL */
        char *staging;   /* layers/.tmp-* of the running unpack */
        int64_t unpack_start_ms;
        char claim[IMAGE_DIGEST_LEN + 1];    /* diff_id this import unpacks */
        char wait_for[IMAGE_DIGEST_LEN + 1]; /* diff_id another import unpacks */
        const char *status;                  /* of the current layer, for the timer */
        uint64_t reported;
        struct event *timer, *resume;
        char **trash; /* removed before the reply */
        size_t n_trash;
        /* the outcome */
        int error;
        enum proto_error_kind error_kind;
        char *error_message;
        json_t *result;
};

/* ---- bookkeeping ---- */

static void
target_clear(struct target *t)
{
        json_decref(t->config);
        free(t->layers);
        for (size_t i = 0; i < t->n_names; i++) {
                free(t->names[i].name);
                free(t->names[i].tag);
        }
        free(t->names);
}

static void
import_free(struct import *imp)
{
        if (!imp)
                return;
        for (struct import **p = &imp->m->imports; *p; p = &(*p)->next)
                if (*p == imp) {
                        *p = imp->next;
                        imp->m->n_imports--;
                        break;
                }
        if (imp->timer)
                event_free(imp->timer);
        if (imp->resume)
                event_free(imp->resume);
        image_job_unref(imp->job);
        for (size_t i = 0; i < imp->n_targets; i++)
                target_clear(&imp->targets[i]);
        free(imp->targets);
        oci_source_free(imp->src);
        image_strv_free(imp->trash);
        free(imp->staging);
        free(imp->extract_dir);
        free(imp->path);
        free(imp->name);
        free(imp->tag);
        free(imp->error_message);
        json_decref(imp->result);
        free(imp);
}

void
image_import_abort_all(struct image_manager *m)
{
        while (m->imports) {
                struct import *imp = m->imports;
                request_error(imp->req, PROTO_ERR_INTERNAL, "daemon shutting down", NULL);
                imp->req = NULL;
                import_free(imp);
        }
}

bool
image_import_uses_layer_dir(struct image_manager *m, const char *layer_dir)
{
        for (struct import *imp = m->imports; imp; imp = imp->next)
                for (size_t i = 0; i < imp->n_targets; i++)
                        for (size_t k = 0; k < imp->targets[i].n_layers; k++) {
                                const char *diff_id = imp->targets[i].layers[k].l.diff_id;
                                const char *dir = diff_id[0]
                                                          ? image_store_layer_dir(m->store, diff_id)
                                                          : NULL;
                                if (dir && strcmp(dir, layer_dir) == 0)
                                        return true;
                        }
        return false;
}

/* The import unpacking diff_id right now, if any. */
static struct import *
claimant(struct image_manager *m, const char *diff_id)
{
        for (struct import *i = m->imports; i; i = i->next)
                if (i->claim[0] && strcmp(i->claim, diff_id) == 0)
                        return i;
        return NULL;
}

/* Releases imp's claim and resumes the imports waiting for that layer
 * (from fresh callbacks: the caller may be about to free imp). */
static void
release_claim(struct import *imp)
{
        if (!imp->claim[0])
                return;
        for (struct import *i = imp->m->imports; i; i = i->next)
                if (i->wait_for[0] && strcmp(i->wait_for, imp->claim) == 0) {
                        i->wait_for[0] = '\0';
                        event_active(i->resume, EV_TIMEOUT, 0);
                }
        imp->claim[0] = '\0';
}

static struct import_layer *
current_layer(struct import *imp)
{
        if (imp->cur_image >= imp->n_targets ||
            imp->cur_layer >= imp->targets[imp->cur_image].n_layers)
                return NULL;
        return &imp->targets[imp->cur_image].layers[imp->cur_layer];
}

/* ---- progress ---- */

static void
notify_layer(struct import *imp, const char *status, uint64_t bytes, uint64_t total)
{
        struct import_layer *l = current_layer(imp);

        if (!l || !imp->req)
                return;
        imp->status = status;
        imp->reported = bytes;
        request_notify(imp->req, "image.import.progress",
                       json_pack("{s:I,s:I,s:I,s:I,s:s,s:s,s:I,s:I}", "image",
                                 (json_int_t) imp->cur_image + 1, "images",
                                 (json_int_t) imp->n_targets, "layer",
                                 (json_int_t) imp->cur_layer + 1, "layers",
                                 (json_int_t) imp->targets[imp->cur_image].n_layers, "digest",
                                 imp->rootfs ? "" : l->l.digest, "status", status, "bytes",
                                 (json_int_t) bytes, "total", (json_int_t) total));
}

static void
notify_reading(struct import *imp, uint64_t bytes, uint64_t total)
{
        imp->status = "reading";
        imp->reported = bytes;
        request_notify(imp->req, "image.import.progress",
                       json_pack("{s:s,s:I,s:I}", "status", "reading", "bytes", (json_int_t) bytes,
                                 "total", (json_int_t) total));
}

static int extract_run(struct image_job *j);
static int unpack_run(struct image_job *j);

/* Every 100 ms: the running job's bytes, if they moved. */
static void
import_timer_cb(evutil_socket_t fd, short what, void *arg)
{
        struct import *imp = arg;
        uint64_t done, total;

        if (!imp->job || !imp->status)
                return;
        done = atomic_load(&imp->job->done);
        total = atomic_load(&imp->job->total);
        if (done == imp->reported)
                return;
        if (imp->job->run == extract_run)
                notify_reading(imp, done, total);
        else if (imp->job->run == unpack_run)
                notify_layer(imp, "unpacking", done, total);
}

/* ---- the end: failure, cleanup, reply ---- */

/* Errors of the source itself (bad archive, digest mismatch, hostile
 * entry, unknown media type, no platform) are the caller's:
 * invalid_params. Host trouble (ENOSPC, EIO, ENOMEM) keeps its kind. */
static enum proto_error_kind
import_error_kind(int r)
{
        switch (-r) {
        case EINVAL:
        case ENOENT:
        case EBADMSG:
        case ENOEXEC:
        case ENOTDIR:
        case EISDIR:
        case ELOOP:
        case ENAMETOOLONG:
        case EXDEV:
        case EFBIG:
        case EOPNOTSUPP:
        case EPROTO:
        case EILSEQ:
        case EMSGSIZE:
        case EOVERFLOW:
        case ENODATA:
        case ENXIO:
                return PROTO_ERR_INVALID_PARAMS;
        case EAGAIN:
                return PROTO_ERR_BUSY;
        default:
                return PROTO_ERR_INTERNAL;
        }
}

static void
import_reply(struct import *imp)
{
        if (imp->error < 0) {
                log_info("import of %s failed: %s", imp->path, imp->error_message ?: "error");
                request_error(imp->req, imp->error_kind, imp->error_message ?: "import failed",
                              NULL);
        } else {
                request_reply(imp->req, TAKE_PTR(imp->result));
        }
        imp->req = NULL;
        import_free(imp);
}

static void
import_cleanup_done(struct image_job *j, int r)
{
        struct import *imp = j->owner;

        image_job_unref(TAKE_PTR(imp->job));
        import_reply(imp);
}

/* Removes the import's temp dirs in a worker, then replies. */
static void
import_finish(struct import *imp)
{
        struct image_job *j;

        release_claim(imp);
        imp->wait_for[0] = '\0';
        imp->status = NULL;
        if (imp->staging && image_strv_push(&imp->trash, &imp->n_trash, imp->staging) < 0)
                log_warning("import: leaving `%s` for the next start", imp->staging);
        if (imp->extract_dir && image_strv_push(&imp->trash, &imp->n_trash, imp->extract_dir) < 0)
                log_warning("import: leaving `%s` for the next start", imp->extract_dir);
        free(TAKE_PTR(imp->staging));
        free(TAKE_PTR(imp->extract_dir));
        if (!imp->trash) {
                import_reply(imp);
                return;
        }
        j = image_job_new_rm(imp->trash);
        if (j) {
                imp->trash = NULL;
                imp->n_trash = 0;
                if (image_job_submit(imp->m, j, import_cleanup_done, imp) >= 0) {
                        imp->job = j;
                        return;
                }
                (void) image_job_run(j);
                image_job_unref(j);
        }
        import_reply(imp);
}

/* Records the failure (err taken) and ends the import. */
static void
import_fail(struct import *imp, int r, struct ctr_error *err)
{
        char buf[128];

        imp->error = r < 0 ? r : -EIO;
        imp->error_kind = import_error_kind(imp->error);
        imp->error_message = strdup(err ? err->message : strerror_r(-imp->error, buf, sizeof(buf)));
        ctr_error_free(err);
        import_finish(imp);
}

static void import_failf(struct import *imp, int r, const char *fmt, ...) _printf_(3, 4);

static void
import_failf(struct import *imp, int r, const char *fmt, ...)
{
        struct ctr_error *e = NULL;
        char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        ctr_error_msg(&e, -r, "%s", msg ?: "out of memory");
        free(msg);
        import_fail(imp, r, e);
}

/* ---- naming ---- */

/* name/tag/all as api.md allows them; ret_name/ret_tag normalised. */
static int
check_names(const char *name, const char *tag, bool all, char **ret_name, char **ret_tag,
            struct ctr_error **err)
{
        _cleanup_free_ char *ref = NULL;

        if (!name) {
                if (tag)
                        return ctr_error_msg(err, EINVAL, "a tag (`%s`) needs a name", tag);
                return 0;
        }
        if (all && tag)
                return ctr_error_msg(
                        err, EINVAL,
                        "a tag (`%s`) cannot be used with `all`: each image keeps its own tags",
                        tag);
        if (asprintf(&ref, "%s:%s", name, tag ?: "latest") < 0)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        return image_parse_ref(ref, ret_name, all ? NULL : ret_tag, err);
}

static bool
is_sep(char c)
{
        return c == '.' || c == '_' || c == '-';
}

/* The repository for bare tags when no name is given: the basename of
 * path without archive extensions, lower-cased, with runs of other
 * characters as '-' so that it is a valid reference name. */
static char *
repo_from_path(const char *path)
{
        static const char *const exts[] = { "tar", "gz",  "tgz", "zst", "zstd",   "xz",
                                            "txz", "bz2", "lz4", "oci", "docker", "tzst" };
        _cleanup_free_ char *base = NULL;
        char *slash, *dot, *out, *o;
        size_t n;

        base = strdup(path);
        if (!base)
                return NULL;
        while ((n = strlen(base)) > 1 && base[n - 1] == '/')
                base[n - 1] = '\0';
        slash = strrchr(base, '/');
        memmove(base, slash ? slash + 1 : base, strlen(slash ? slash + 1 : base) + 1);
        while ((dot = strrchr(base, '.')) && dot != base) {
                bool known = false;
                for (size_t i = 0; i < ARRAY_SIZE(exts); i++)
                        known = known || strcasecmp(dot + 1, exts[i]) == 0;
                if (!known)
                        break;
                *dot = '\0';
        }
        out = o = calloc(1, strlen(base) + 1);
        if (!out)
                return NULL;
        for (const char *p = base; *p;) {
                const char *q = p;
                if (isalnum((unsigned char) *p)) {
                        *o++ = (char) tolower((unsigned char) *p++);
                        continue;
                }
                while (*q && !isalnum((unsigned char) *q))
                        q++;
                /* A separator run between two alnums: keep ".", "_", "__"
                 * and "-+" as they are, anything else becomes "-". */
                if (o != out && *q) {
                        size_t len = (size_t) (q - p);
                        bool dashes = true;
                        for (const char *c = p; c < q; c++)
                                dashes = dashes && *c == '-';
                        if (dashes || (len == 1 && is_sep(*p)) ||
                            (len == 2 && p[0] == '_' && p[1] == '_')) {
                                memcpy(o, p, len);
                                o += len;
                        } else {
                                *o++ = '-';
                        }
                }
                p = q;
        }
        *o = '\0';
        if (!*out) {
                free(out);
                return strdup("image");
        }
        return out;
}

/* Appends name:tag to t's names unless it is there. */
static int
target_add_name(struct target *t, char *name, char *tag)
{
        struct image_ref *n;

        for (size_t i = 0; i < t->n_names; i++)
                if (strcmp(t->names[i].name, name) == 0 && strcmp(t->names[i].tag, tag) == 0) {
                        free(name);
                        free(tag);
                        return 0;
                }
        n = reallocarray(t->names, t->n_names + 1, sizeof(*n));
        if (!n) {
                free(name);
                free(tag);
                return -ENOMEM;
        }
        t->names = n;
        t->names[t->n_names++] = (struct image_ref){ .name = name, .tag = tag };
        return 0;
}

/* A name from the source: a bare tag ("3.19": no ':' and no '/') gets
 * repo; anything else must be a full reference. */
static int
source_name(const char *src_name, const char *repo, char **ret_name, char **ret_tag,
            struct ctr_error **err)
{
        _cleanup_free_ char *ref = NULL;

        if (!strchr(src_name, ':') && !strchr(src_name, '/')) {
                if (asprintf(&ref, "%s:%s", repo, src_name) < 0)
                        return ctr_error_msg(err, ENOMEM, "out of memory");
                return image_parse_ref(ref, ret_name, ret_tag, err);
        }
        /* Docker's familiar form, as `docker load` shows them:
         * docker.io/library/alpine:3 is alpine:3, docker.io/foo/bar is foo/bar. */
        if (strncmp(src_name, "docker.io/", 10) == 0)
                src_name += 10;
        else if (strncmp(src_name, "index.docker.io/", 16) == 0)
                src_name += 16;
        else
                return image_parse_ref(src_name, ret_name, ret_tag, err);
        if (strncmp(src_name, "library/", 8) == 0 && !strchr(src_name + 8, '/'))
                src_name += 8;
        return image_parse_ref(src_name, ret_name, ret_tag, err);
}

static int
target_add_source_names(struct import *imp, struct target *t, const struct oci_image *oi,
                        const char *repo, size_t index, struct ctr_error **err)
{
        for (size_t k = 0; k < oi->n_ref_names; k++) {
                _cleanup_error_ struct ctr_error *e = NULL;
                char *n = NULL, *tg = NULL;

                if (source_name(oi->ref_names[k], repo, &n, &tg, &e) < 0)
                        return ctr_error_msg(err, EINVAL, "image %zu of `%s`: name `%s`: %s",
                                             index + 1, imp->path, oi->ref_names[k],
                                             e ? e->message : "invalid");
                if (target_add_name(t, n, tg) < 0)
                        return ctr_error_msg(err, ENOMEM, "out of memory");
        }
        return 0;
}

/* "`PATH` holds N images (a:1, b:2): pass --all to import them all". */
static int
too_many_images(struct import *imp, const char *repo, struct ctr_error **err)
{
        _cleanup_free_ char *list = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&list, &len);

        if (!f)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < imp->src->n_images && i < LIST_NAMES_MAX; i++) {
                const struct oci_image *oi = &imp->src->images[i];
                _cleanup_free_ char *n = NULL, *t = NULL;

                if (oi->n_ref_names && source_name(oi->ref_names[0], repo, &n, &t, NULL) >= 0)
                        fprintf(f, "%s%s:%s", i ? ", " : "", n, t);
                else
                        fprintf(f, "%s%s", i ? ", " : "",
                                oi->n_ref_names ? oi->ref_names[0] : "<none>");
        }
        if (imp->src->n_images > LIST_NAMES_MAX)
                fputs(", ...", f);
        if (fclose(f) != 0 || !list)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        return ctr_error_msg(err, EINVAL,
                             "`%s` holds %zu images (%s): pass --all to import them all", imp->path,
                             imp->src->n_images, list);
}

/* The images of imp->src to import, with their names (api.md naming rules). */
static int
build_targets(struct import *imp, struct ctr_error **err)
{
        _cleanup_free_ char *repo = NULL;
        int r;

        repo = imp->name && imp->all ? strdup(imp->name) : repo_from_path(imp->path);
        if (!repo)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        if (imp->src->n_images == 0)
                return ctr_error_msg(err, EINVAL, "`%s` holds no image", imp->path);
        if (!imp->all && imp->src->n_images > 1)
                return too_many_images(imp, repo, err);
        imp->targets = calloc(imp->src->n_images, sizeof(*imp->targets));
        if (!imp->targets)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < imp->src->n_images; i++) {
                const struct oci_image *oi = &imp->src->images[i];
                struct target *t = &imp->targets[i];

                imp->n_targets = i + 1;
                t->config = json_incref(oi->config);
                memcpy(t->config_digest, oi->config_digest, sizeof(t->config_digest));
                t->manifest_digest = oi->manifest_digest;
                t->layers = calloc(oi->n_layers ? oi->n_layers : 1, sizeof(*t->layers));
                if (!t->layers)
                        return ctr_error_msg(err, ENOMEM, "out of memory");
                t->n_layers = oi->n_layers;
                for (size_t k = 0; k < oi->n_layers; k++) {
                        const struct oci_layer *ol = &oi->layers[k];
                        struct import_layer *l = &t->layers[k];

                        memcpy(l->l.diff_id, ol->diff_id, sizeof(l->l.diff_id));
                        memcpy(l->l.digest, ol->digest, sizeof(l->l.digest));
                        l->l.media_type = ol->media_type;
                        l->l.blob_size = ol->size;
                        l->blob_path = ol->blob_path;
                        l->compression = ol->compression;
                }
                if (!imp->all && imp->name) {
                        char *n = strdup(imp->name), *tg = strdup(imp->tag ?: "latest");
                        r = n && tg ? target_add_name(t, n, tg) : -ENOMEM;
                        if (!n || !tg) {
                                free(n);
                                free(tg);
                        }
                } else {
                        r = target_add_source_names(imp, t, oi, repo, i, err);
                        if (r < 0)
                                return r;
                }
                if (r < 0)
                        return ctr_error_msg(err, ENOMEM, "out of memory");
        }
        return 0;
}

/* ---- a rootfs tarball ---- */

/* One image, one layer, found out by the unpack. */
static int
build_rootfs_target(struct import *imp)
{
        struct target *t;

        imp->targets = calloc(1, sizeof(*imp->targets));
        if (!imp->targets)
                return -ENOMEM;
        imp->n_targets = 1;
        t = &imp->targets[0];
        t->layers = calloc(1, sizeof(*t->layers));
        if (!t->layers)
                return -ENOMEM;
        t->n_layers = 1;
        t->layers[0].blob_path = imp->path;
        t->layers[0].l.blob_size = imp->file_size;
        if (imp->name) {
                char *n = strdup(imp->name), *tg = strdup(imp->tag ?: "latest");
                if (!n || !tg) {
                        free(n);
                        free(tg);
                        return -ENOMEM;
                }
                return target_add_name(t, n, tg);
        }
        return 0;
}

static const char *
media_type_of(enum image_compression c)
{
        switch (c) {
        case IMAGE_COMPRESSION_NONE:
                return "application/vnd.oci.image.layer.v1.tar";
        case IMAGE_COMPRESSION_GZIP:
                return "application/vnd.oci.image.layer.v1.tar+gzip";
        case IMAGE_COMPRESSION_ZSTD:
                return "application/vnd.oci.image.layer.v1.tar+zstd";
        default:
                /* xz, bzip2, lz4: no OCI media type says so. */
                return NULL;
        }
}

/* The config of a rootfs tarball: deterministic (sorted keys, no time), so
 * the same tarball always gives the same image id. */
static int
rootfs_config(struct target *t, const char *diff_id)
{
        _cleanup_free_ char *text = NULL;
        char hex[SHA256_HEX_SIZE];
        uint8_t d[SHA256_DIGEST_SIZE];
        struct sha256_ctx c;

        t->config = json_pack("{s:s,s:s,s:{s:[s],s:[s]},s:{s:s,s:[s]}}", "architecture",
                              oci_host_arch(), "os", "linux", "config", "Cmd", "sh", "Env",
                              DEFAULT_ENV_PATH, "rootfs", "type", "layers", "diff_ids", diff_id);
        if (t->config)
                text = json_dumps(t->config, JSON_COMPACT | JSON_SORT_KEYS);
        if (!text)
                return -ENOMEM;
        sha256_init(&c);
        sha256_update(&c, text, strlen(text));
        sha256_final(&c, d);
        snprintf(t->config_digest, sizeof(t->config_digest), "sha256:%s", sha256_to_hex(d, hex));
        return 0;
}

/* ---- the steps, in the order an import takes them ---- */

static void start_extract(struct import *imp);
static void extract_done(struct image_job *j, int r);
static void start_read(struct import *imp, const char *dir);
static void read_done(struct image_job *j, int r);
static void import_advance(struct import *imp);
static void import_resume_cb(evutil_socket_t fd, short what, void *arg);
static void start_unpack(struct import *imp, struct import_layer *l);
static void unpack_done(struct image_job *j, int r);
static void commit_all(struct import *imp);

void
image_manager_import(struct image_manager *m, const char *path, const char *name, const char *tag,
                     bool all, struct request *req)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        _cleanup_free_ char *pname = NULL, *ptag = NULL;
        struct import *imp;
        struct timeval tv = { .tv_usec = 100 * 1000 };
        struct stat st;

        if (path[0] != '/') {
                request_errorf(req, PROTO_ERR_INVALID_PARAMS, "path `%s` must be absolute", path);
                return;
        }
        if (check_names(name, tag, all, &pname, &ptag, &e) < 0) {
                request_error(req, PROTO_ERR_INVALID_PARAMS, e ? e->message : "invalid image name",
                              NULL);
                return;
        }
        if (stat(path, &st) < 0) {
                ctr_error_sys(&e, errno, "image source `%s`", path);
                request_error(req, PROTO_ERR_INVALID_PARAMS, e->message, NULL);
                return;
        }
        if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
                request_errorf(req, PROTO_ERR_INVALID_PARAMS,
                               "image source `%s` is neither a regular file nor a directory", path);
                return;
        }
        if (m->n_imports >= IMAGE_MANAGER_MAX_IMPORTS) {
                request_errorf(req, PROTO_ERR_BUSY, "too many imports running (limit %d)",
                               IMAGE_MANAGER_MAX_IMPORTS);
                return;
        }
        imp = calloc(1, sizeof(*imp));
        if (!imp) {
                request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                return;
        }
        imp->m = m;
        imp->next = m->imports;
        m->imports = imp;
        m->n_imports++;
        imp->req = req;
        imp->all = all;
        imp->file_size = S_ISREG(st.st_mode) ? (uint64_t) st.st_size : 0;
        imp->path = strdup(path);
        imp->name = TAKE_PTR(pname);
        imp->tag = TAKE_PTR(ptag);
        imp->timer = event_new(m->base, -1, EV_PERSIST, import_timer_cb, imp);
        imp->resume = event_new(m->base, -1, 0, import_resume_cb, imp);
        if (!imp->path || !imp->timer || !imp->resume || event_add(imp->timer, &tv) < 0) {
                import_failf(imp, -ENOMEM, "out of memory");
                return;
        }
        if (S_ISDIR(st.st_mode))
                start_read(imp, imp->path);
        else
                start_extract(imp);
}

/* Worker thread: a failed extract removes its own partial tree here, so
 * a big tree is never removed on the loop. */
static int
extract_run(struct image_job *j)
{
        int r = oci_archive_extract(j->src, j->dest, image_job_progress, j, &j->err);

        if (r < 0)
                (void) rm_rf(j->dest, NULL);
        return r;
}

static void
start_extract(struct import *imp)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        struct image_job *j;
        int r;

        r = image_store_new_staging_dir(imp->m->store, false, &imp->extract_dir, &e);
        if (r < 0) {
                import_fail(imp, r, TAKE_PTR(e));
                return;
        }
        j = image_job_new(extract_run, imp->path, imp->extract_dir);
        if (!j) {
                import_failf(imp, -ENOMEM, "out of memory");
                return;
        }
        atomic_store(&j->total, imp->file_size);
        r = image_job_submit(imp->m, j, extract_done, imp);
        if (r < 0) {
                image_job_unref(j);
                import_failf(imp, r, "could not start the import: %s", strerror(-r));
                return;
        }
        imp->job = j;
        notify_reading(imp, 0, imp->file_size);
}

static void
extract_done(struct image_job *j, int r)
{
        struct import *imp = j->owner;

        imp->job = NULL;
        if (r < 0) {
                /* The worker removed the extract dir. */
                free(TAKE_PTR(imp->extract_dir));
                import_fail(imp, r, TAKE_PTR(j->err));
                image_job_unref(j);
                return;
        }
        notify_reading(imp, atomic_load(&j->done), atomic_load(&j->total));
        image_job_unref(j);
        if (r > 0) {
                start_read(imp, imp->extract_dir);
                return;
        }
        imp->rootfs = true;
        if (imp->all) {
                import_failf(imp, -EINVAL,
                             "`%s` is a rootfs tarball, not an image archive: `all` does not apply",
                             imp->path);
                return;
        }
        if (build_rootfs_target(imp) < 0) {
                import_failf(imp, -ENOMEM, "out of memory");
                return;
        }
        import_advance(imp);
}

/* Worker thread. */
static int
read_run(struct image_job *j)
{
        return oci_source_read(j->src, NULL, &j->source, &j->err);
}

static void
start_read(struct import *imp, const char *dir)
{
        struct image_job *j = image_job_new(read_run, dir, NULL);
        int r;

        if (!j) {
                import_failf(imp, -ENOMEM, "out of memory");
                return;
        }
        r = image_job_submit(imp->m, j, read_done, imp);
        if (r < 0) {
                image_job_unref(j);
                import_failf(imp, r, "could not start the import: %s", strerror(-r));
                return;
        }
        imp->job = j;
}

static void
read_done(struct image_job *j, int r)
{
        struct import *imp = j->owner;
        struct ctr_error *e = NULL;

        imp->job = NULL;
        if (r < 0) {
                import_fail(imp, r, TAKE_PTR(j->err));
                image_job_unref(j);
                return;
        }
        imp->src = TAKE_PTR(j->source);
        image_job_unref(j);
        r = build_targets(imp, &e);
        if (r < 0) {
                import_fail(imp, r, e);
                return;
        }
        import_advance(imp);
}

/* Next layer to get, or the commit: runs until a job is started, the
 * import waits for another one, or it ends. */
static void
import_advance(struct import *imp)
{
        struct image_store *s = imp->m->store;

        while (imp->cur_image < imp->n_targets) {
                struct target *t = &imp->targets[imp->cur_image];

                while (imp->cur_layer < t->n_layers) {
                        struct import_layer *l = &t->layers[imp->cur_layer];
                        const char *dir;

                        if (imp->rootfs) {
                                start_unpack(imp, l);
                                return;
                        }
                        dir = image_store_layer_dir(s, l->l.diff_id);
                        if (dir) {
                                notify_layer(imp, "exists", l->l.blob_size, l->l.blob_size);
                                imp->cur_layer++;
                                continue;
                        }
                        if (claimant(imp->m, l->l.diff_id)) {
                                memcpy(imp->wait_for, l->l.diff_id, sizeof(imp->wait_for));
                                notify_layer(imp, "waiting", 0, l->l.blob_size);
                                return;
                        }
                        start_unpack(imp, l);
                        return;
                }
                imp->cur_image++;
                imp->cur_layer = 0;
        }
        commit_all(imp);
}

/* A claim this import waited for was released. */
static void
import_resume_cb(evutil_socket_t fd, short what, void *arg)
{
        import_advance(arg);
}

/* Worker thread: a failed unpack removes its own partial tree here, so a
 * big tree is never removed on the loop. */
static int
unpack_run(struct image_job *j)
{
        _cleanup_free_ char *diff = NULL;
        struct image_unpack_expect expect = { 0 };
        int r = 0;

        diff = path_join(j->dest, "diff");
        if (!diff)
                return ctr_error_msg(&j->err, ENOMEM, "out of memory");
        if (mkdir(diff, 0755) < 0)
                r = ctr_error_sys(&j->err, errno, "create `%s`", diff);
        if (j->verify)
                expect = (struct image_unpack_expect){
                        .blob_digest = j->blob_digest[0] ? j->blob_digest : NULL,
                        .blob_size = j->blob_size,
                        .diff_id = j->diff_id,
                        .compression = j->compression,
                };
        if (r >= 0)
                r = image_unpack_layer(j->src, diff, &expect, image_job_progress, j, &j->result,
                                       &j->err);
        if (r < 0)
                (void) rm_rf(j->dest, NULL);
        return r;
}

static void
start_unpack(struct import *imp, struct import_layer *l)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        struct image_job *j;
        int r;

        r = image_store_new_staging_dir(imp->m->store, true, &imp->staging, &e);
        if (r < 0) {
                import_fail(imp, r, TAKE_PTR(e));
                return;
        }
        j = image_job_new(unpack_run, l->blob_path, imp->staging);
        if (!j) {
                import_failf(imp, -ENOMEM, "out of memory");
                return;
        }
        j->verify = !imp->rootfs;
        memcpy(j->blob_digest, l->l.digest, sizeof(j->blob_digest));
        memcpy(j->diff_id, l->l.diff_id, sizeof(j->diff_id));
        j->blob_size = l->l.blob_size;
        j->compression = l->compression;
        atomic_store(&j->total, l->l.blob_size);
        r = image_job_submit(imp->m, j, unpack_done, imp);
        if (r < 0) {
                image_job_unref(j);
                import_failf(imp, r, "could not start the unpack: %s", strerror(-r));
                return;
        }
        imp->job = j;
        if (!imp->rootfs)
                memcpy(imp->claim, l->l.diff_id, sizeof(imp->claim));
        imp->unpack_start_ms = now_monotonic_ms();
        if (imp->rootfs)
                log_info("layer of rootfs tarball: unpacking %s", l->blob_path);
        else
                log_info("layer %s: unpacking %s", l->l.diff_id, l->blob_path);
        notify_layer(imp, "unpacking", 0, l->l.blob_size);
}

static void
unpack_done(struct image_job *j, int r)
{
        struct import *imp = j->owner;
        struct import_layer *l = current_layer(imp);
        struct target *t = &imp->targets[imp->cur_image];
        struct ctr_error *e = NULL;
        const char *dir = NULL;

        imp->job = NULL;
        release_claim(imp);
        if (r < 0) {
                /* The worker removed the staging tree already. */
                free(TAKE_PTR(imp->staging));
                import_fail(imp, r, TAKE_PTR(j->err));
                image_job_unref(j);
                return;
        }
        if (imp->rootfs) {
                memcpy(l->l.diff_id, j->result.diff_id, sizeof(l->l.diff_id));
                memcpy(l->l.digest, j->result.blob_digest, sizeof(l->l.digest));
                l->l.media_type = (char *) media_type_of(j->result.compression);
                l->l.blob_size = j->result.blob_size;
                if (rootfs_config(t, l->l.diff_id) < 0) {
                        image_job_unref(j);
                        import_failf(imp, -ENOMEM, "out of memory");
                        return;
                }
        }
        l->l.size = j->result.size;
        if (image_store_layer_dir(imp->m->store, l->l.diff_id)) {
                /* A rootfs tarball imported twice at once: the other won;
                 * this tree goes with the import's temp dirs, not here. */
                r = image_strv_push(&imp->trash, &imp->n_trash, imp->staging);
        } else {
                r = image_store_commit_layer(imp->m->store, imp->staging, l->l.diff_id, l->l.size,
                                             &dir, &e);
        }
        if (r < 0) {
                image_job_unref(j);
                import_fail(imp, r, e);
                return;
        }
        free(TAKE_PTR(imp->staging));
        log_info("layer %s: unpacked %llu bytes in %lld ms", l->l.diff_id,
                 (unsigned long long) j->result.size,
                 (long long) (now_monotonic_ms() - imp->unpack_start_ms));
        notify_layer(imp, "done", j->result.blob_size, j->result.blob_size);
        image_job_unref(j);
        imp->cur_layer++;
        import_advance(imp);
}

static void
commit_all(struct import *imp)
{
        _cleanup_(json_decrefp) json_t *images = json_array();
        struct image_store *s = imp->m->store;

        for (size_t i = 0; i < imp->n_targets; i++) {
                struct target *t = &imp->targets[i];
                _cleanup_free_ struct image_layer *layers =
                        calloc(t->n_layers ? t->n_layers : 1, sizeof(*layers));
                struct ctr_error *e = NULL;
                const struct image *img = NULL;
                int r;

                if (!layers) {
                        import_failf(imp, -ENOMEM, "out of memory");
                        return;
                }
                for (size_t k = 0; k < t->n_layers; k++)
                        layers[k] = t->layers[k].l;
                r = image_store_commit_image(s, t->config_digest, t->config, layers, t->n_layers,
                                             t->manifest_digest,
                                             t->n_names ? t->names[0].name : NULL,
                                             t->n_names ? t->names[0].tag : NULL, &img, &e);
                for (size_t k = 1; r >= 0 && k < t->n_names; k++)
                        r = image_store_tag(s, img->id, t->names[k].name, t->names[k].tag, &e);
                if (r < 0) {
                        import_fail(imp, r, e);
                        return;
                }
        }
        /* The JSON once every image has its names: a later image of the
         * source may have taken a name from an earlier one. */
        for (size_t i = 0; images && i < imp->n_targets; i++) {
                const struct image *img = NULL;
                char names[512] = "";
                size_t off = 0;

                if (image_store_lookup(s, imp->targets[i].config_digest, &img, NULL) < 0 ||
                    json_array_append_new(images, image_to_json(img)) < 0) {
                        import_failf(imp, -ENOMEM, "out of memory");
                        return;
                }
                for (size_t k = 0; k < img->n_refs && off < sizeof(names); k++)
                        off += (size_t) snprintf(names + off, sizeof(names) - off, "%s%s:%s",
                                                 k ? " " : "", img->refs[k].name, img->refs[k].tag);
                log_info("imported %s as %s (%.12s)", imp->path,
                         img->n_refs ? names : "<none>:<none>", img->id);
                {
                        /* Named as this import named it (the image may
                         * have older names). */
                        const struct target *t = &imp->targets[i];
                        char layers[24], first[512];
                        snprintf(layers, sizeof(layers), "%zu", img->n_layers);
                        if (t->n_names)
                                snprintf(first, sizeof(first), "%s:%s", t->names[0].name,
                                         t->names[0].tag);
                        event_bus_emit(imp->m->events, "image", "import", img->id,
                                       t->n_names ? first : NULL,
                                       json_pack("{s:s}", "layers", layers),
                                       imp->req ? request_peer_uid(imp->req) : (uid_t) -1);
                }
        }
        if (!images) {
                import_failf(imp, -ENOMEM, "out of memory");
                return;
        }
        imp->result = imp->all ? json_pack("{s:O}", "images", images)
                               : json_incref(json_array_get(images, 0));
        if (!imp->result) {
                import_failf(imp, -ENOMEM, "out of memory");
                return;
        }
        import_finish(imp);
}
