/* The image store: images that reference layers of the shared layer store
 * (layer-store.c). On disk, below the state root:
 *
 *   images/<id>/image.json    one image (record.c): refs, the whole OCI
 *                             config, its layers' diff_ids bottom first;
 *                             id = sha256 of the image config blob
 *   images/<id>/rootfs/       only for records of the old format: the
 *                             image's single tree, removed with the image
 *   images/.tmp-*             an image commit or removal in progress, and
 *                             the import manager's extraction dirs
 *   layers/...                the layer store (layer-store.c)
 *
 * Crash safety: an image exists once its staging dir, holding a fully
 * written image.json (written atomically, dir fsynced), is renamed to
 * <id>; it needs every layer committed before it. A removal is one rename
 * to .tmp-rm-*. Open deletes every .tmp-* of images/ and layers/ before the
 * daemon serves, so kill -9 at any moment leaves no image or a complete
 * one. Layers are never removed with an image: image_store_prune_layers()
 * sweeps those no image references (mark and sweep, no reference counts
 * to keep right across crashes).
 *
 * An image has any number of refs (name:tag); a ref is held by at most one
 * image. Event-loop only: not thread-safe, never unpacks, never removes a
 * big tree (old-format rootfs trees and swept layers go to the caller's
 * worker through image_store_prune_layers()). */
#include "daemon/image/image.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs-util.h"
#include "common/log.h"
#include "common/time-util.h"
#include "daemon/image/layer-store.h"
#include "daemon/image/record.h"

struct image_store {
        char *images_dir; /* absolute <root>/images */
        struct layer_store *layers;
        struct image **images;
        size_t n_images;
        /* Old-format images removed since the last prune: their rootfs
         * trees, renamed to images/.tmp-rm-*, wait for a worker. */
        char **trash;
        size_t n_trash;
        uint64_t trash_bytes;
};

void
image_store_free(struct image_store *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->n_images; i++)
                image_free(s->images[i]);
        free(s->images);
        for (size_t i = 0; i < s->n_trash; i++)
                free(s->trash[i]);
        free(s->trash);
        layer_store_free(s->layers);
        free(s->images_dir);
        free(s);
}

static char *
image_dir(struct image_store *s, const char *id)
{
        return path_join(s->images_dir, id);
}

static int
store_append(struct image_store *s, struct image *img)
{
        struct image **n = reallocarray(s->images, s->n_images + 1, sizeof(*n));

        if (!n)
                return -ENOMEM;
        s->images = n;
        s->images[s->n_images++] = img;
        return 0;
}

static struct image *
find_id(struct image_store *s, const char *id)
{
        for (size_t i = 0; i < s->n_images; i++)
                if (strcmp(s->images[i]->id, id) == 0)
                        return s->images[i];
        return NULL;
}

static struct image *
find_ref(struct image_store *s, const char *name, const char *tag)
{
        for (size_t i = 0; i < s->n_images; i++)
                if (image_ref_index(s->images[i], name, tag) >= 0)
                        return s->images[i];
        return NULL;
}

const struct image *
image_store_find_ref(struct image_store *s, const char *name, const char *tag)
{
        return name && tag ? find_ref(s, name, tag) : NULL;
}

/* Rewrites img's record with a fresh update time. */
static int
store_write(struct image_store *s, struct image *img, struct ctr_error **err)
{
        _cleanup_free_ char *dir = image_dir(s, img->id);

        if (!dir)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        img->updated_ns = now_ns();
        return image_record_write(img, dir, err);
}

/* Takes name:tag away from every image but keep (they may become
 * dangling). Called after keep's record was written with the ref: a
 * failed write here leaves the ref twice on disk, and the next open
 * gives it to the most recently written record, keep's. */
static void
untag_others(struct image_store *s, const char *name, const char *tag, struct image *keep)
{
        for (size_t i = 0; i < s->n_images; i++) {
                struct image *img = s->images[i];
                _cleanup_error_ struct ctr_error *e = NULL;
                ssize_t k;

                if (img == keep || (k = image_ref_index(img, name, tag)) < 0)
                        continue;
                image_ref_remove(img, (size_t) k);
                if (store_write(s, img, &e) < 0)
                        log_warning("untag image %s: %s", img->id,
                                    e ? e->message : "out of memory");
        }
}

static int
cmp_updated(const void *a, const void *b)
{
        const struct image *x = *(struct image *const *) a, *y = *(struct image *const *) b;

        if (x->updated_ns != y->updated_ns)
                return x->updated_ns < y->updated_ns ? -1 : 1;
        return x->created_ns < y->created_ns ? -1 : x->created_ns > y->created_ns;
}

/* A crash between writing a ref's new owner and its old one leaves the ref
 * on two images: the most recently written record keeps it. */
static void
reconcile_refs(struct image_store *s)
{
        if (s->n_images > 1)
                qsort(s->images, s->n_images, sizeof(*s->images), cmp_updated);
        for (size_t i = s->n_images; i > 0; i--) {
                struct image *img = s->images[i - 1];
                for (size_t k = 0; k < img->n_refs; k++)
                        untag_others(s, img->refs[k].name, img->refs[k].tag, img);
        }
}

static int
cmp_created(const void *a, const void *b)
{
        const struct image *x = *(struct image *const *) a, *y = *(struct image *const *) b;

        if (x->created_ns != y->created_ns)
                return x->created_ns < y->created_ns ? -1 : 1;
        return strcmp(x->id, y->id);
}

/* Fills each layer's dir from the layer store; an image whose layer is
 * missing cannot be used and is skipped (its layers stay for prune). */
static int
resolve_layers(struct image_store *s, struct image *img, struct ctr_error **err)
{
        if (image_is_legacy(img))
                return 0;
        for (size_t i = 0; i < img->n_layers; i++) {
                const struct layer *l = layer_store_find(s->layers, img->layers[i].diff_id);

                if (!l)
                        return ctr_error_msg(err, ENOENT,
                                             "layer %zu (%s) is not in the layer store", i + 1,
                                             img->layers[i].diff_id);
                free(img->layers[i].dir);
                img->layers[i].dir = strdup(l->dir);
                if (!img->layers[i].dir)
                        return ctr_error_msg(err, ENOMEM, "out of memory");
        }
        return 0;
}

static int
load_images(struct image_store *s, struct ctr_error **err)
{
        struct dirent *de;
        DIR *d;
        int r;

        d = opendir(s->images_dir);
        if (!d)
                return ctr_error_sys(err, errno, "open `%s`", s->images_dir);
        while ((errno = 0, de = readdir(d))) {
                _cleanup_error_ struct ctr_error *e = NULL;
                _cleanup_free_ char *idir = NULL;
                struct image *img = NULL;

                if (!id_is_valid(de->d_name))
                        continue;
                idir = image_dir(s, de->d_name);
                if (!idir || image_record_load(idir, de->d_name, &img, &e) < 0 ||
                    resolve_layers(s, img, &e) < 0) {
                        log_warning("skipping image %s: %s", de->d_name, e ? e->message : "error");
                        image_free(img);
                        continue;
                }
                if (store_append(s, img) < 0) {
                        image_free(img);
                        closedir(d);
                        return ctr_error_msg(err, ENOMEM, "out of memory");
                }
        }
        r = errno;
        closedir(d);
        if (r)
                return ctr_error_sys(err, r, "read `%s`", s->images_dir);
        return 0;
}

int
image_store_open(const char *root, struct image_store **ret, struct ctr_error **err)
{
        _cleanup_(image_store_freep) struct image_store *s = NULL;
        _cleanup_free_ char *dir = NULL;
        char real[PATH_MAX];
        int r;

        dir = path_join(root, "images");
        if (!dir)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        r = mkdir_p(dir, 0700, err);
        if (r < 0)
                return r;
        if (!realpath(dir, real))
                return ctr_error_sys(err, errno, "resolve `%s`", dir);
        s = calloc(1, sizeof(*s));
        if (!s || !(s->images_dir = strdup(real)))
                return ctr_error_msg(err, ENOMEM, "out of memory");
        r = layer_store_open(root, &s->layers, err);
        if (r < 0)
                return r;
        /* Synchronously: this runs before the loop serves anything, and the
         * import path must never run while a mass delete is under way. */
        store_remove_leftovers(s->images_dir);
        r = load_images(s, err);
        if (r < 0)
                return r;
        reconcile_refs(s);
        if (s->n_images > 1)
                qsort(s->images, s->n_images, sizeof(*s->images), cmp_created);
        *ret = TAKE_PTR(s);
        return 0;
}

int
image_store_new_staging_dir(struct image_store *s, bool for_layer, char **ret,
                            struct ctr_error **err)
{
        _cleanup_free_ char *path = NULL;
        int r;

        r = store_tmp_name(for_layer ? layer_store_path(s->layers) : s->images_dir, "", &path, err);
        if (r < 0)
                return r;
        if (mkdir(path, 0700) < 0)
                return ctr_error_sys(err, errno, "create `%s`", path);
        *ret = TAKE_PTR(path);
        return 0;
}

const char *
image_store_layer_dir(struct image_store *s, const char *diff_id)
{
        const struct layer *l = layer_store_find(s->layers, diff_id);

        return l ? l->dir : NULL;
}

int
image_store_commit_layer(struct image_store *s, const char *staging, const char *diff_id,
                         uint64_t size, const char **ret_dir, struct ctr_error **err)
{
        const struct layer *l = NULL;
        int r;

        r = layer_store_commit(s->layers, staging, diff_id, size, &l, err);
        if (r < 0)
                return r;
        if (ret_dir)
                *ret_dir = l->dir;
        return 0;
}

/* Adds name:tag to img (record first), then takes it from the others. */
static int
tag_image(struct image_store *s, struct image *img, const char *name, const char *tag,
          struct ctr_error **err)
{
        int r;

        if (image_ref_index(img, name, tag) >= 0)
                return 0;
        if (image_ref_insert(img, img->n_refs, name, tag) < 0)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        r = store_write(s, img, err);
        if (r < 0) {
                image_ref_remove(img, img->n_refs - 1);
                return r;
        }
        untag_others(s, name, tag, img);
        return 0;
}

/* Validates name:tag (tag NULL: latest) into a normalised pair. */
static int
parse_name_tag(const char *name, const char *tag, char **ret_name, char **ret_tag,
               struct ctr_error **err)
{
        _cleanup_free_ char *ref = NULL;

        if (!name)
                return ctr_error_msg(err, EINVAL, "empty image name");
        if (asprintf(&ref, "%s:%s", name, tag ?: "latest") < 0)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        return image_parse_ref(ref, ret_name, ret_tag, err);
}

int
image_store_tag(struct image_store *s, const char *id, const char *name, const char *tag,
                struct ctr_error **err)
{
        _cleanup_free_ char *n = NULL, *t = NULL;
        struct image *img = id ? find_id(s, id) : NULL;
        int r;

        if (!img)
                return ctr_error_msg(err, ENOENT, "no such image `%s`", id ?: "");
        r = parse_name_tag(name, tag, &n, &t, err);
        if (r < 0)
                return r;
        return tag_image(s, img, n, t, err);
}

int
image_store_untag(struct image_store *s, const char *name, const char *tag, struct ctr_error **err)
{
        _cleanup_free_ char *n = NULL, *t = NULL;
        struct image *img;
        ssize_t k;
        int r;

        r = parse_name_tag(name, tag, &n, &t, err);
        if (r < 0)
                return r;
        img = find_ref(s, n, t);
        if (!img)
                return ctr_error_msg(err, ENOENT, "no such image `%s:%s`", n, t);
        k = image_ref_index(img, n, t);
        image_ref_remove(img, (size_t) k);
        r = store_write(s, img, err);
        if (r < 0 && image_ref_insert(img, (size_t) k, n, t) < 0)
                log_warning("image %s: lost ref %s:%s in memory", img->id, n, t);
        return r;
}

/* The config's rootfs.diff_ids must be the layers' diff_ids, in order, and
 * each layer must be committed. */
static int
check_layers(struct image_store *s, json_t *config, const struct image_layer *layers, size_t n,
             struct ctr_error **err)
{
        json_t *ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");

        if (!json_is_array(ids) || json_array_size(ids) != n)
                return ctr_error_msg(err, EINVAL,
                                     "image config: rootfs.diff_ids does not list the %zu layers",
                                     n);
        for (size_t i = 0; i < n; i++) {
                const char *id = json_string_value(json_array_get(ids, i));

                if (!id || strcmp(id, layers[i].diff_id) != 0)
                        return ctr_error_msg(err, EINVAL,
                                             "image config: rootfs.diff_ids[%zu] is not %s", i,
                                             layers[i].diff_id);
                if (!layer_store_find(s->layers, layers[i].diff_id))
                        return ctr_error_msg(err, ENOENT, "layer %s is not in the layer store",
                                             layers[i].diff_id);
        }
        return 0;
}

/* A new image from a commit's arguments, layer dirs and sizes from the
 * layer store. */
static int
image_build(struct image_store *s, const char *id, json_t *config, const struct image_layer *layers,
            size_t n_layers, const char *manifest_digest, struct image **ret,
            struct ctr_error **err)
{
        _cleanup_(image_freep) struct image *img = calloc(1, sizeof(*img));

        if (!img || image_set_layers(img, layers, n_layers) < 0)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        memcpy(img->id, id, ID_HEX_LEN + 1);
        img->updated_ns = now_ns();
        if (image_config_created(config, &img->created_ns) < 0)
                img->created_ns = img->updated_ns;
        for (size_t i = 0; i < n_layers; i++) {
                const struct layer *l = layer_store_find(s->layers, layers[i].diff_id);

                img->layers[i].size = l->size;
                img->size += l->size;
                if (!(img->layers[i].dir = strdup(l->dir)))
                        return ctr_error_msg(err, ENOMEM, "out of memory");
        }
        img->config = json_incref(config);
        if (manifest_digest && !(img->manifest_digest = strdup(manifest_digest)))
                return ctr_error_msg(err, ENOMEM, "out of memory");
        *ret = TAKE_PTR(img);
        return 0;
}

/* Writes the record into a fresh images/.tmp-* and renames that to <id>:
 * the rename is the commit. On failure the staging dir is removed. */
static int
commit_record(struct image_store *s, const struct image *img, struct ctr_error **err)
{
        _cleanup_free_ char *staging = NULL, *dir = image_dir(s, img->id);
        int r;

        if (!dir)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        r = image_store_new_staging_dir(s, false, &staging, err);
        if (r < 0)
                return r;
        r = image_record_write(img, staging, err);
        if (r >= 0 && rename(staging, dir) < 0)
                r = ctr_error_sys(err, errno, "rename `%s` to `%s`", staging, dir);
        if (r < 0) {
                (void) rm_rf(staging, NULL);
                return r;
        }
        r = fsync_path(s->images_dir);
        if (r < 0)
                log_warning_errno(r, "fsync `%s`", s->images_dir);
        return 0;
}

int
image_store_commit_image(struct image_store *s, const char *config_digest, json_t *config,
                         const struct image_layer *layers, size_t n_layers,
                         const char *manifest_digest, const char *name, const char *tag,
                         const struct image **ret, struct ctr_error **err)
{
        _cleanup_(image_freep) struct image *img = NULL;
        _cleanup_free_ char *n = NULL, *t = NULL;
        struct image *existing, *added;
        const char *id;
        int r;

        if (!config_digest || strncmp(config_digest, "sha256:", 7) != 0 ||
            !id_is_valid(config_digest + 7))
                return ctr_error_msg(err, EINVAL, "invalid image config digest `%s`",
                                     config_digest ?: "");
        if (manifest_digest &&
            (strncmp(manifest_digest, "sha256:", 7) != 0 || !id_is_valid(manifest_digest + 7)))
                return ctr_error_msg(err, EINVAL, "invalid manifest digest `%s`", manifest_digest);
        if (!json_is_object(config))
                return ctr_error_msg(err, EINVAL, "image config is not an object");
        id = config_digest + 7;
        if (!name && tag)
                return ctr_error_msg(err, EINVAL, "image tag `%s` without a name", tag);
        if (name) {
                r = parse_name_tag(name, tag, &n, &t, err);
                if (r < 0)
                        return r;
        }
        r = check_layers(s, config, layers, n_layers, err);
        if (r < 0)
                return r;

        existing = find_id(s, id);
        if (existing) {
                /* Same config digest, same image: only the name is new. */
                if (n) {
                        r = tag_image(s, existing, n, t, err);
                        if (r < 0)
                                return r;
                }
                if (ret)
                        *ret = existing;
                return 0;
        }

        r = image_build(s, id, config, layers, n_layers, manifest_digest, &img, err);
        if (r < 0)
                return r;
        if (n && image_ref_insert(img, 0, n, t) < 0)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        r = commit_record(s, img, err);
        if (r < 0)
                return r;
        if (store_append(s, img) < 0)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        added = TAKE_PTR(img);
        if (n)
                untag_others(s, n, t, added);
        if (ret)
                *ret = added;
        return 0;
}

static int
lookup_prefix(struct image_store *s, const char *prefix, const char *ref, const struct image **ret,
              struct ctr_error **err)
{
        const struct image *found = NULL;
        size_t n = strlen(prefix);

        for (size_t i = 0; i < s->n_images; i++) {
                if (strncmp(s->images[i]->id, prefix, n) != 0)
                        continue;
                if (found)
                        return ctr_error_msg(err, EINVAL, "image id prefix `%s` is ambiguous", ref);
                found = s->images[i];
        }
        if (!found)
                return ctr_error_msg(err, ENOENT, "no such image `%s`", ref);
        *ret = found;
        return 0;
}

int
image_store_lookup(struct image_store *s, const char *ref, const struct image **ret,
                   struct ctr_error **err)
{
        _cleanup_free_ char *name = NULL, *tag = NULL;
        const struct image *img;

        if (!ref || !*ref)
                return ctr_error_msg(err, EINVAL, "empty image reference");
        if (strncmp(ref, "sha256:", 7) == 0) {
                if (!id_prefix_is_valid(ref + 7))
                        return ctr_error_msg(err, EINVAL, "invalid image id `%s`", ref);
                return lookup_prefix(s, ref + 7, ref, ret, err);
        }
        if (image_parse_ref(ref, &name, &tag, NULL) >= 0 && (img = find_ref(s, name, tag))) {
                *ret = img;
                return 0;
        }
        if (id_prefix_is_valid(ref))
                return lookup_prefix(s, ref, ref, ret, err);
        return ctr_error_msg(err, ENOENT, "no such image `%s`", ref);
}

int
image_store_remove(struct image_store *s, const char *id, struct ctr_error **err)
{
        _cleanup_free_ char *dir = NULL, *trash = NULL, *record = NULL;
        struct image *img;
        size_t i;
        int r;

        for (i = 0; i < s->n_images; i++)
                if (id && strcmp(s->images[i]->id, id) == 0)
                        break;
        if (i == s->n_images)
                return ctr_error_msg(err, ENOENT, "no such image `%s`", id ?: "");
        img = s->images[i];
        r = store_tmp_name(s->images_dir, "rm-", &trash, err);
        if (r < 0)
                return r;
        dir = image_dir(s, id);
        record = path_join(trash, "image.json");
        if (!dir || !record)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        /* An old-format tree must outlive the rename: keep a slot for it. */
        if (image_is_legacy(img) && store_strv_push(&s->trash, &s->n_trash, trash) < 0)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        /* The rename is the removal: a ".tmp-*" tree is garbage at open. */
        if (rename(dir, trash) < 0) {
                r = ctr_error_sys(err, errno, "rename `%s` to `%s`", dir, trash);
                if (image_is_legacy(img)) {
                        free(s->trash[--s->n_trash]);
                        s->trash[s->n_trash] = NULL;
                }
                return r;
        }
        r = fsync_path(s->images_dir);
        if (r < 0)
                log_warning_errno(r, "fsync `%s`", s->images_dir);
        if (image_is_legacy(img)) {
                s->trash_bytes += img->size;
        } else {
                /* Just the record: cheap enough for the loop. A failure
                 * leaves a .tmp-rm-* for the next open. */
                if (unlink(record) < 0 || rmdir(trash) < 0)
                        log_warning_errno(-errno, "remove `%s`", trash);
        }
        image_free(img);
        memmove(s->images + i, s->images + i + 1, (s->n_images - i - 1) * sizeof(*s->images));
        s->n_images--;
        return 0;
}

struct prune_ctx {
        struct image_store *s;
        bool (*keep)(const char *layer_dir, void *userdata);
        void *userdata;
};

/* Mark: a layer is live if an image lists it or keep() claims it. */
static bool
layer_in_use(const struct layer *l, void *userdata)
{
        struct prune_ctx *c = userdata;

        for (size_t i = 0; i < c->s->n_images; i++) {
                const struct image *img = c->s->images[i];
                for (size_t k = 0; k < img->n_layers; k++)
                        if (strcmp(img->layers[k].diff_id, l->diff_id) == 0)
                                return true;
        }
        return c->keep && c->keep(l->dir, c->userdata);
}

int
image_store_prune_layers(struct image_store *s, bool (*keep)(const char *layer_dir, void *userdata),
                         void *userdata, char ***ret_trash, size_t *ret_n_layers,
                         uint64_t *ret_bytes, struct ctr_error **err)
{
        struct prune_ctx c = { .s = s, .keep = keep, .userdata = userdata };
        char **trash = NULL;
        size_t n_trash = 0, n_layers = 0;
        uint64_t bytes = 0;
        int r;

        /* Old-format trees of images removed since the last prune first:
         * they were layers too. */
        trash = TAKE_PTR(s->trash);
        n_trash = n_layers = s->n_trash;
        bytes = s->trash_bytes;
        s->n_trash = 0;
        s->trash_bytes = 0;
        if (!trash && !(trash = calloc(1, sizeof(*trash))))
                return ctr_error_msg(err, ENOMEM, "out of memory");
        r = layer_store_sweep(s->layers, layer_in_use, &c, &trash, &n_trash, &n_layers, &bytes,
                              err);
        /* What was detached is gone from the store either way: hand it out. */
        *ret_trash = trash;
        *ret_n_layers = n_layers;
        *ret_bytes = bytes;
        return r;
}

const struct image *
image_store_get(struct image_store *s, size_t n)
{
        return n < s->n_images ? s->images[n] : NULL;
}

size_t
image_store_count(struct image_store *s)
{
        return s->n_images;
}
