/* The image store: one directory per image under <root>/images/<id>/ with
 * image.json (the record) and rootfs/ (the unpacked tree). An import is
 * committed by renaming its ".tmp-*" staging dir, record inside, to <id>;
 * anything still named ".tmp-*" at open is an unfinished import or removal
 * and is deleted. An image has any number of refs (name:tag); a ref is
 * held by at most one image. Event-loop only: not thread-safe, never
 * unpacks. The record format lives in record.c. */
#include "daemon/image/image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs-util.h"
#include "common/log.h"
#include "common/time-util.h"
#include "daemon/image/record.h"

#define TMP_PREFIX ".tmp-"

struct image_store {
        char *images_dir; /* absolute <root>/images */
        struct image **images;
        size_t n_images;
};

void
image_store_free(struct image_store *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->n_images; i++)
                image_free(s->images[i]);
        free(s->images);
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
                        log_warning("untag image %s: %s", img->id, e ? e->message : "out of memory");
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

        return x->created_ns < y->created_ns ? -1 : x->created_ns > y->created_ns;
}

int
image_store_open(const char *root, struct image_store **ret, struct ctr_error **err)
{
        _cleanup_(image_store_freep) struct image_store *s = NULL;
        _cleanup_free_ char *dir = NULL;
        char real[PATH_MAX];
        struct dirent *de;
        DIR *d;
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

        d = opendir(s->images_dir);
        if (!d)
                return ctr_error_sys(err, errno, "open `%s`", s->images_dir);
        while ((errno = 0, de = readdir(d))) {
                _cleanup_error_ struct ctr_error *e = NULL;
                _cleanup_free_ char *idir = NULL;
                struct image *img = NULL;

                if (strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0) {
                        _cleanup_free_ char *p = path_join(s->images_dir, de->d_name);
                        log_debug("removing unfinished import or removal `%s`", de->d_name);
                        if (!p || rm_rf(p, &e) < 0)
                                log_warning("remove `%s`: %s", de->d_name, e ? e->message : "out of memory");
                        continue;
                }
                if (!id_is_valid(de->d_name))
                        continue;
                idir = image_dir(s, de->d_name);
                if (!idir || image_record_load(idir, de->d_name, &img, &e) < 0) {
                        log_warning("skipping image %s: %s", de->d_name, e ? e->message : "error");
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
        reconcile_refs(s);
        if (s->n_images > 1)
                qsort(s->images, s->n_images, sizeof(*s->images), cmp_created);
        *ret = TAKE_PTR(s);
        return 0;
}

/* "<images>/.tmp-<16 random hex><suffix>" into *ret. */
static int
tmp_name(struct image_store *s, const char *infix, char **ret, struct ctr_error **err)
{
        char rnd[ID_HEX_LEN + 1];
        int r;

        r = id_generate(rnd);
        if (r < 0)
                return ctr_error_sys(err, -r, "getrandom");
        if (asprintf(ret, "%s/" TMP_PREFIX "%s%.16s", s->images_dir, infix, rnd) < 0)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        return 0;
}

int
image_store_new_staging_dir(struct image_store *s, char **ret, struct ctr_error **err)
{
        _cleanup_free_ char *path = NULL;
        int r;

        r = tmp_name(s, "", &path, err);
        if (r < 0)
                return r;
        if (mkdir(path, 0700) < 0)
                return ctr_error_sys(err, errno, "create `%s`", path);
        if (chmod(path, 0755) < 0) {
                r = ctr_error_sys(err, errno, "chmod `%s`", path);
                rmdir(path);
                return r;
        }
        *ret = TAKE_PTR(path);
        return 0;
}

/* staging must be a direct ".tmp-*" child of the images dir. */
static bool
is_staging_dir(struct image_store *s, const char *staging)
{
        size_t n = strlen(s->images_dir);

        return strncmp(staging, s->images_dir, n) == 0 && staging[n] == '/' &&
               strncmp(staging + n + 1, TMP_PREFIX, strlen(TMP_PREFIX)) == 0 && !strchr(staging + n + 1, '/') &&
               strcmp(staging + n + 1, TMP_PREFIX) != 0;
}

/* Builds "<images>/.tmp-c-*" holding image.json and the unpacked tree
 * (staging moved in as rootfs/), then renames it to <id>: that rename is
 * the commit. Until then everything is a ".tmp-*" leftover for the next
 * image_store_open(); on failure the staging dir is moved back. */
static int
commit_tree(struct image_store *s, const char *staging_dir, const struct image *img, const char *dir,
            struct ctr_error **err)
{
        _cleanup_free_ char *wrap = NULL, *rootfs = NULL;
        int r;

        r = tmp_name(s, "c-", &wrap, err);
        if (r < 0)
                return r;
        rootfs = path_join(wrap, "rootfs");
        if (!rootfs)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        if (mkdir(wrap, 0700) < 0)
                return ctr_error_sys(err, errno, "create `%s`", wrap);
        if (rename(staging_dir, rootfs) < 0) {
                r = ctr_error_sys(err, errno, "rename `%s` to `%s`", staging_dir, rootfs);
                rmdir(wrap);
                return r;
        }
        r = image_record_write(img, wrap, err);
        if (r >= 0 && rename(wrap, dir) < 0)
                r = ctr_error_sys(err, errno, "rename `%s` to `%s`", wrap, dir);
        if (r < 0) {
                _cleanup_free_ char *record = path_join(wrap, "image.json");
                if (rename(rootfs, staging_dir) == 0) {
                        if (record)
                                unlink(record);
                        rmdir(wrap);
                }
                return r;
        }
        r = fsync_path(s->images_dir);
        if (r < 0)
                log_warning_errno(r, "fsync `%s`", s->images_dir);
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
parse_name_tag(const char *name, const char *tag, char **ret_name, char **ret_tag, struct ctr_error **err)
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

int
image_store_commit(struct image_store *s, const char *staging_dir, const char *digest, uint64_t size,
                   const char *name, const char *tag, const struct image **ret, struct ctr_error **err)
{
        _cleanup_(image_freep) struct image *img = NULL;
        _cleanup_free_ char *dir = NULL, *n = NULL, *t = NULL;
        struct image *existing, *added;
        const char *id;
        int r;

        if (!digest || strncmp(digest, "sha256:", 7) != 0 || !id_is_valid(digest + 7))
                return ctr_error_msg(err, EINVAL, "invalid image digest `%s`", digest ?: "");
        id = digest + 7;
        if (!is_staging_dir(s, staging_dir))
                return ctr_error_msg(err, EINVAL, "`%s` is not a staging directory of the image store",
                                     staging_dir);
        if (!name && tag)
                return ctr_error_msg(err, EINVAL, "image tag `%s` without a name", tag);
        if (name) {
                r = parse_name_tag(name, tag, &n, &t, err);
                if (r < 0)
                        return r;
        }

        existing = find_id(s, id);
        if (existing) {
                /* Same digest, same content: keep the tree we have. */
                _cleanup_error_ struct ctr_error *e = NULL;
                if (rm_rf(staging_dir, &e) < 0)
                        log_warning("remove `%s`: %s", staging_dir, e->message);
                if (n) {
                        r = tag_image(s, existing, n, t, err);
                        if (r < 0)
                                return r;
                }
                if (ret)
                        *ret = existing;
                return 0;
        }

        dir = image_dir(s, id);
        img = calloc(1, sizeof(*img));
        if (!dir || !img)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        memcpy(img->id, id, ID_HEX_LEN + 1);
        img->created_ns = img->updated_ns = now_ns();
        img->size = size;
        img->rootfs = path_join(dir, "rootfs");
        img->config = image_default_config();
        if ((n && image_ref_insert(img, 0, n, t) < 0) || !img->rootfs || !img->config)
                return ctr_error_msg(err, ENOMEM, "out of memory");

        r = commit_tree(s, staging_dir, img, dir, err);
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
image_store_lookup(struct image_store *s, const char *ref, const struct image **ret, struct ctr_error **err)
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
image_store_remove_detach(struct image_store *s, const char *id, char **ret_trash, struct ctr_error **err)
{
        _cleanup_free_ char *dir = NULL, *trash = NULL;
        size_t i;
        int r;

        for (i = 0; i < s->n_images; i++)
                if (id && strcmp(s->images[i]->id, id) == 0)
                        break;
        if (i == s->n_images)
                return ctr_error_msg(err, ENOENT, "no such image `%s`", id ?: "");
        r = tmp_name(s, "rm-", &trash, err);
        if (r < 0)
                return r;
        dir = image_dir(s, id);
        if (!dir)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        /* The rename is the removal: a ".tmp-*" tree is garbage at open. */
        if (rename(dir, trash) < 0)
                return ctr_error_sys(err, errno, "rename `%s` to `%s`", dir, trash);
        r = fsync_path(s->images_dir);
        if (r < 0)
                log_warning_errno(r, "fsync `%s`", s->images_dir);
        image_free(s->images[i]);
        memmove(s->images + i, s->images + i + 1, (s->n_images - i - 1) * sizeof(*s->images));
        s->n_images--;
        if (ret_trash)
                *ret_trash = TAKE_PTR(trash);
        return 0;
}

int
image_store_remove_tree(const char *trash, struct ctr_error **err)
{
        return rm_rf(trash, err);
}

int
image_store_remove(struct image_store *s, const char *id, struct ctr_error **err)
{
        _cleanup_free_ char *trash = NULL;
        int r;

        r = image_store_remove_detach(s, id, &trash, err);
        if (r < 0)
                return r;
        return image_store_remove_tree(trash, err);
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

json_t *
image_to_json(const struct image *img)
{
        _cleanup_(json_decrefp) json_t *refs = json_array();
        _cleanup_free_ char *first = NULL;
        char created[64];

        for (size_t i = 0; refs && i < img->n_refs; i++) {
                char *r = image_ref_format(&img->refs[i]);
                if (!r || json_array_append_new(refs, json_string(r)) < 0) {
                        free(r);
                        return NULL;
                }
                if (i == 0)
                        first = r;
                else
                        free(r);
        }
        if (!refs)
                return NULL;
        format_rfc3339(img->created_ns, created, sizeof(created));
        return json_pack("{s:s,s:s,s:s,s:s,s:O,s:s,s:I}", "id", img->id, "name", img->name ?: "<none>",
                         "tag", img->tag ?: "<none>", "ref", first ?: "<none>:<none>", "refs", refs,
                         "created", created, "size", (json_int_t) img->size);
}
