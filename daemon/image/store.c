/* The image store: one directory per image under <root>/images/<id>/ with
 * image.json (the record) and rootfs/ (the unpacked tree). An import is
 * committed by renaming its ".tmp-*" staging dir, record inside, to <id>;
 * anything still named ".tmp-*" at open is an unfinished import or removal
 * and is deleted. Event-loop only: not thread-safe, never unpacks. */
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

#define RECORD_MAX (1024 * 1024)
#define TMP_PREFIX ".tmp-"

struct image_store {
        char *images_dir; /* absolute <root>/images */
        struct image **images;
        size_t n_images;
};

static void
image_free(struct image *img)
{
        if (!img)
                return;
        free(img->name);
        free(img->tag);
        free(img->rootfs);
        json_decref(img->config);
        free(img);
}
DEFINE_FREEP(struct image, image_free)

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

static json_t *
default_config(void)
{
        return json_pack("{s:[s],s:[s]}", "Cmd", "sh", "Env",
                         "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
}

static char *
image_dir(struct image_store *s, const char *id)
{
        return path_join(s->images_dir, id);
}

/* Writes img's record into dir/image.json atomically. */
static int
record_write(const struct image *img, const char *dir, struct ctr_error **err)
{
        _cleanup_(json_decrefp) json_t *j = NULL;
        _cleanup_free_ char *text = NULL, *path = NULL;

        j = json_pack("{s:s,s:o,s:o,s:I,s:I,s:O*}", "id", img->id,
                      "name", img->name ? json_string(img->name) : json_null(),
                      "tag", img->tag ? json_string(img->tag) : json_null(),
                      "created", (json_int_t) img->created_ns, "size", (json_int_t) img->size,
                      "config", img->config);
        if (j)
                text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        path = path_join(dir, "image.json");
        if (!text || !path)
                return ctr_error_msg(err, ENOMEM, "write image record: out of memory");
        return write_file_atomic(path, text, strlen(text), 0600, err);
}

static int
record_load(struct image_store *s, const char *id, struct image **ret, struct ctr_error **err)
{
        _cleanup_free_ char *dir = image_dir(s, id), *path = NULL, *text = NULL;
        _cleanup_(json_decrefp) json_t *j = NULL;
        _cleanup_(image_freep) struct image *img = NULL;
        const char *rid = NULL, *name = NULL, *tag = NULL;
        json_int_t created = 0, size = 0;
        json_t *config = NULL, *jname = NULL, *jtag = NULL;
        json_error_t jerr;
        int r;

        if (!dir || !(path = path_join(dir, "image.json")))
                return ctr_error_msg(err, ENOMEM, "out of memory");
        r = read_file_full(path, RECORD_MAX, &text, NULL, err);
        if (r < 0)
                return r;
        j = json_loads(text, 0, &jerr);
        if (!j || json_unpack_ex(j, &jerr, 0, "{s:s,s?o,s?o,s:I,s:I,s?o}", "id", &rid, "name", &jname,
                                 "tag", &jtag, "created", &created, "size", &size, "config", &config) < 0)
                return ctr_error_msg(err, EINVAL, "`%s`: invalid image record: %s", path, jerr.text);
        if ((jname && !json_is_null(jname) && !(name = json_string_value(jname))) ||
            (jtag && !json_is_null(jtag) && !(tag = json_string_value(jtag))))
                return ctr_error_msg(err, EINVAL, "`%s`: invalid image record: bad name or tag", path);
        if (strcmp(rid, id) != 0 || size < 0 || (!name) != (!tag) ||
            (name && image_parse_ref(name, NULL, NULL, NULL) < 0))
                return ctr_error_msg(err, EINVAL, "`%s`: invalid image record", path);
        img = calloc(1, sizeof(*img));
        if (!img)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        memcpy(img->id, id, ID_HEX_LEN + 1);
        img->created_ns = created;
        img->size = (uint64_t) size;
        img->name = name ? strdup(name) : NULL;
        img->tag = tag ? strdup(tag) : NULL;
        img->rootfs = path_join(dir, "rootfs");
        img->config = config && json_is_object(config) ? json_incref(config) : default_config();
        if ((name && (!img->name || !img->tag)) || !img->rootfs || !img->config)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        *ret = TAKE_PTR(img);
        return 0;
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
find_tag(struct image_store *s, const char *name, const char *tag)
{
        for (size_t i = 0; i < s->n_images; i++) {
                struct image *img = s->images[i];
                if (img->name && strcmp(img->name, name) == 0 && strcmp(img->tag, tag) == 0)
                        return img;
        }
        return NULL;
}

/* Takes name:tag away from every image but keep; they become dangling. */
static void
untag_others(struct image_store *s, const char *name, const char *tag, struct image *keep)
{
        for (size_t i = 0; i < s->n_images; i++) {
                struct image *img = s->images[i];
                _cleanup_error_ struct ctr_error *e = NULL;
                _cleanup_free_ char *dir = NULL;

                if (img == keep || !img->name || strcmp(img->name, name) != 0 || strcmp(img->tag, tag) != 0)
                        continue;
                free(img->name);
                free(img->tag);
                img->name = img->tag = NULL;
                dir = image_dir(s, img->id);
                if (!dir || record_write(img, dir, &e) < 0)
                        log_warning("untag image %s: %s", img->id, e ? e->message : "out of memory");
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
                if (record_load(s, de->d_name, &img, &e) < 0) {
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
        if (s->n_images > 1)
                qsort(s->images, s->n_images, sizeof(*s->images), cmp_created);
        /* A crash between committing a new image and untagging the old
         * owner leaves a tag twice: the newest image keeps it. */
        for (size_t i = s->n_images; i > 0; i--) {
                struct image *img = s->images[i - 1];
                if (img->name)
                        untag_others(s, img->name, img->tag, img);
        }
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
        r = record_write(img, wrap, err);
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

static int
retag(struct image_store *s, struct image *img, const char *name, const char *tag, struct ctr_error **err)
{
        _cleanup_free_ char *n = NULL, *t = NULL, *dir = NULL;

        if (!name || (img->name && strcmp(img->name, name) == 0 && strcmp(img->tag, tag) == 0))
                return 0;
        n = strdup(name);
        t = strdup(tag);
        dir = image_dir(s, img->id);
        if (!n || !t || !dir)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        untag_others(s, name, tag, img);
        free(img->name);
        free(img->tag);
        img->name = TAKE_PTR(n);
        img->tag = TAKE_PTR(t);
        return record_write(img, dir, err);
}

int
image_store_commit(struct image_store *s, const char *staging_dir, const char *digest, uint64_t size,
                   const char *name, const char *tag, const struct image **ret, struct ctr_error **err)
{
        _cleanup_(image_freep) struct image *img = NULL;
        _cleanup_free_ char *dir = NULL;
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
                _cleanup_free_ char *ref = NULL;
                if (!tag)
                        tag = "latest";
                if (asprintf(&ref, "%s:%s", name, tag) < 0)
                        return ctr_error_msg(err, ENOMEM, "out of memory");
                r = image_parse_ref(ref, NULL, NULL, err);
                if (r < 0)
                        return r;
        }

        existing = find_id(s, id);
        if (existing) {
                /* Same digest, same content: keep the tree we have. */
                _cleanup_error_ struct ctr_error *e = NULL;
                if (rm_rf(staging_dir, &e) < 0)
                        log_warning("remove `%s`: %s", staging_dir, e->message);
                r = retag(s, existing, name, tag, err);
                if (r < 0)
                        return r;
                if (ret)
                        *ret = existing;
                return 0;
        }

        dir = image_dir(s, id);
        img = calloc(1, sizeof(*img));
        if (!dir || !img)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        memcpy(img->id, id, ID_HEX_LEN + 1);
        img->created_ns = now_ns();
        img->size = size;
        img->name = name ? strdup(name) : NULL;
        img->tag = name ? strdup(tag) : NULL;
        img->rootfs = path_join(dir, "rootfs");
        img->config = default_config();
        if ((name && (!img->name || !img->tag)) || !img->rootfs || !img->config)
                return ctr_error_msg(err, ENOMEM, "out of memory");

        r = commit_tree(s, staging_dir, img, dir, err);
        if (r < 0)
                return r;
        if (store_append(s, img) < 0)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        added = TAKE_PTR(img);
        if (added->name)
                untag_others(s, added->name, added->tag, added);
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
        if (image_parse_ref(ref, &name, &tag, NULL) >= 0 && (img = find_tag(s, name, tag))) {
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
        _cleanup_free_ char *ref = NULL;
        char created[64];

        if (img->name && asprintf(&ref, "%s:%s", img->name, img->tag) < 0)
                return NULL;
        format_rfc3339(img->created_ns, created, sizeof(created));
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}", "id", img->id, "name", img->name ?: "<none>",
                         "tag", img->tag ?: "<none>", "ref", ref ?: "<none>:<none>", "created", created,
                         "size", (json_int_t) img->size);
}
