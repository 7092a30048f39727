/* The layer store: every unpacked layer once, under <root>/layers/<hex>/
 * (hex = its diff_id), shared by all the images that list it:
 *
 *   layers/<hex>/diff/        the tree, an overlayfs lower dir
 *   layers/<hex>/layer.json   {"diff_id","size","created"}
 *   layers/.tmp-<random>/     an unpack in progress (staging)
 *   layers/.tmp-rm-<random>/  a swept layer waiting for rm -rf
 *
 * Crash safety: a layer exists only once its staging dir, fully written
 * and fsynced (the unpack ends with syncfs, layer.json is written
 * atomically, the staging dir is fsynced), is renamed to <hex>; a sweep is
 * one rename to .tmp-rm-*. Whatever is still named .tmp-* at open is
 * deleted then, before the daemon serves. Layers no image references
 * stay until a sweep (image.prune): a retried import reuses them.
 * Loop only; the big rm -rf of swept layers is the caller's, in a worker. */
#include "daemon/image/layer-store.h"

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

#define LAYER_RECORD_MAX 4096

struct layer_store {
        char *dir; /* absolute <root>/layers */
        struct layer **layers;
        size_t n_layers;
};

/* ---- helpers shared with store.c ---- */

void
store_remove_leftovers(const char *dir)
{
        struct dirent *de;
        DIR *d = opendir(dir);

        if (!d) {
                log_warning_errno(-errno, "open `%s`", dir);
                return;
        }
        while ((de = readdir(d))) {
                _cleanup_error_ struct ctr_error *e = NULL;
                _cleanup_free_ char *p = NULL;

                if (strncmp(de->d_name, STORE_TMP_PREFIX, strlen(STORE_TMP_PREFIX)) != 0)
                        continue;
                p = path_join(dir, de->d_name);
                log_debug("removing unfinished import or removal `%s`", p ?: de->d_name);
                if (!p || rm_rf(p, &e) < 0)
                        log_warning("remove `%s/%s`: %s", dir, de->d_name,
                                    e ? e->message : "out of memory");
        }
        closedir(d);
}

int
store_tmp_name(const char *dir, const char *infix, char **ret, struct ctr_error **err)
{
        char rnd[ID_HEX_LEN + 1];
        int r;

        r = id_generate(rnd);
        if (r < 0)
                return ctr_error_sys(err, -r, "getrandom");
        if (asprintf(ret, "%s/" STORE_TMP_PREFIX "%s%.16s", dir, infix, rnd) < 0)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        return 0;
}

bool
store_is_tmp_child(const char *dir, const char *path)
{
        size_t n = strlen(dir);
        const char *base = path + n + 1;

        return strncmp(path, dir, n) == 0 && path[n] == '/' &&
               strncmp(base, STORE_TMP_PREFIX, strlen(STORE_TMP_PREFIX)) == 0 &&
               !strchr(base, '/') && base[strlen(STORE_TMP_PREFIX)] != '\0';
}

int
store_strv_push(char ***v, size_t *n, const char *path)
{
        char *copy = strdup(path);
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

/* ---- the store ---- */

static void
layer_free(struct layer *l)
{
        if (!l)
                return;
        free(l->dir);
        free(l);
}
DEFINE_FREEP(struct layer, layer_free)

void
layer_store_free(struct layer_store *ls)
{
        if (!ls)
                return;
        for (size_t i = 0; i < ls->n_layers; i++)
                layer_free(ls->layers[i]);
        free(ls->layers);
        free(ls->dir);
        free(ls);
}

const char *
layer_store_path(struct layer_store *ls)
{
        return ls->dir;
}

static bool
digest_is_valid(const char *d)
{
        return d && strncmp(d, "sha256:", 7) == 0 && id_is_valid(d + 7);
}

const struct layer *
layer_store_find(struct layer_store *ls, const char *diff_id)
{
        if (!diff_id)
                return NULL;
        for (size_t i = 0; i < ls->n_layers; i++)
                if (strcmp(ls->layers[i]->diff_id, diff_id) == 0)
                        return ls->layers[i];
        return NULL;
}

static int
append(struct layer_store *ls, struct layer *l)
{
        struct layer **n = reallocarray(ls->layers, ls->n_layers + 1, sizeof(*n));

        if (!n)
                return -ENOMEM;
        ls->layers = n;
        ls->layers[ls->n_layers++] = l;
        return 0;
}

/* A new struct layer for <ls->dir>/<hex>. */
static struct layer *
layer_new(struct layer_store *ls, const char *diff_id, uint64_t size, int64_t created_ns)
{
        _cleanup_(layer_freep) struct layer *l = calloc(1, sizeof(*l));

        if (!l || asprintf(&l->dir, "%s/%s/diff", ls->dir, diff_id + 7) < 0) {
                if (l)
                        l->dir = NULL;
                return NULL;
        }
        memcpy(l->diff_id, diff_id, IMAGE_DIGEST_LEN + 1);
        l->size = size;
        l->created_ns = created_ns;
        return TAKE_PTR(l);
}

/* Reads <ls->dir>/<hex>/layer.json. */
static int
load_layer(struct layer_store *ls, const char *hex, struct layer **ret, struct ctr_error **err)
{
        _cleanup_free_ char *path = NULL, *text = NULL, *diff = NULL;
        _cleanup_(json_decrefp) json_t *j = NULL;
        json_int_t size = -1, created = 0;
        const char *diff_id = NULL;
        json_error_t jerr;
        struct stat st;
        int r;

        if (asprintf(&path, "%s/%s/layer.json", ls->dir, hex) < 0 ||
            asprintf(&diff, "%s/%s/diff", ls->dir, hex) < 0)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        r = read_file_full(path, LAYER_RECORD_MAX, &text, NULL, err);
        if (r < 0)
                return r;
        j = json_loads(text, 0, &jerr);
        if (!j || json_unpack_ex(j, &jerr, 0, "{s:s,s:I,s:I}", "diff_id", &diff_id, "size", &size,
                                 "created", &created) < 0)
                return ctr_error_msg(err, EINVAL, "`%s`: invalid layer record: %s", path,
                                     jerr.text);
        if (!digest_is_valid(diff_id) || strcmp(diff_id + 7, hex) != 0 || size < 0)
                return ctr_error_msg(err, EINVAL, "`%s`: invalid layer record", path);
        if (lstat(diff, &st) < 0 || !S_ISDIR(st.st_mode))
                return ctr_error_msg(err, EINVAL, "`%s`: layer without its diff directory", path);
        *ret = layer_new(ls, diff_id, (uint64_t) size, created);
        if (!*ret)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        return 0;
}

int
layer_store_open(const char *root, struct layer_store **ret, struct ctr_error **err)
{
        _cleanup_(layer_store_freep) struct layer_store *ls = NULL;
        _cleanup_free_ char *dir = NULL;
        char real[PATH_MAX];
        struct dirent *de;
        DIR *d;
        int r;

        dir = path_join(root, "layers");
        if (!dir)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        r = mkdir_p(dir, 0700, err);
        if (r < 0)
                return r;
        if (!realpath(dir, real))
                return ctr_error_sys(err, errno, "resolve `%s`", dir);
        ls = calloc(1, sizeof(*ls));
        if (!ls || !(ls->dir = strdup(real)))
                return ctr_error_msg(err, ENOMEM, "out of memory");

        store_remove_leftovers(ls->dir);
        d = opendir(ls->dir);
        if (!d)
                return ctr_error_sys(err, errno, "open `%s`", ls->dir);
        while ((errno = 0, de = readdir(d))) {
                _cleanup_error_ struct ctr_error *e = NULL;
                struct layer *l = NULL;

                if (!id_is_valid(de->d_name))
                        continue;
                if (load_layer(ls, de->d_name, &l, &e) < 0) {
                        log_warning("skipping layer %s: %s", de->d_name, e ? e->message : "error");
                        continue;
                }
                if (append(ls, l) < 0) {
                        layer_free(l);
                        closedir(d);
                        return ctr_error_msg(err, ENOMEM, "out of memory");
                }
        }
        r = errno;
        closedir(d);
        if (r)
                return ctr_error_sys(err, r, "read `%s`", ls->dir);
        *ret = TAKE_PTR(ls);
        return 0;
}

/* The record, then an fsync of the staging dir itself so its entries
 * (diff/, layer.json) are on disk before the rename publishes them. */
static int
write_record(const struct layer *l, const char *staging, struct ctr_error **err)
{
        _cleanup_free_ char *path = path_join(staging, "layer.json"), *text = NULL;
        _cleanup_(json_decrefp) json_t *j = NULL;
        int r;

        j = json_pack("{s:s,s:I,s:I}", "diff_id", l->diff_id, "size", (json_int_t) l->size,
                      "created", (json_int_t) l->created_ns);
        if (j)
                text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        if (!path || !text)
                return ctr_error_msg(err, ENOMEM, "write layer record: out of memory");
        r = write_file_atomic(path, text, strlen(text), 0600, err);
        if (r < 0)
                return r;
        r = fsync_path(staging);
        if (r < 0)
                return ctr_error_sys(err, -r, "fsync `%s`", staging);
        return 0;
}

int
layer_store_commit(struct layer_store *ls, const char *staging, const char *diff_id, uint64_t size,
                   const struct layer **ret, struct ctr_error **err)
{
        _cleanup_(layer_freep) struct layer *l = NULL;
        _cleanup_free_ char *dest = NULL, *diff = NULL;
        const struct layer *existing;
        struct stat st;
        int r;

        if (!digest_is_valid(diff_id))
                return ctr_error_msg(err, EINVAL, "invalid layer diff_id `%s`", diff_id ?: "");
        if (!staging || !store_is_tmp_child(ls->dir, staging))
                return ctr_error_msg(err, EINVAL,
                                     "`%s` is not a staging directory of the layer store",
                                     staging ?: "");
        existing = layer_store_find(ls, diff_id);
        if (existing) {
                /* Same diff_id, same tree: keep the one we have. */
                _cleanup_error_ struct ctr_error *e = NULL;
                if (rm_rf(staging, &e) < 0)
                        log_warning("remove `%s`: %s", staging, e ? e->message : "error");
                if (ret)
                        *ret = existing;
                return 0;
        }
        diff = path_join(staging, "diff");
        if (!diff)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        if (lstat(diff, &st) < 0 || !S_ISDIR(st.st_mode))
                return ctr_error_msg(err, EINVAL, "`%s` has no diff directory", staging);
        l = layer_new(ls, diff_id, size, now_ns());
        if (!l || asprintf(&dest, "%s/%s", ls->dir, diff_id + 7) < 0)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        r = write_record(l, staging, err);
        if (r < 0)
                return r;
        /* A leftover <hex> we did not load (no valid record) is in the
         * way: rename fails with ENOTEMPTY and the import reports it. */
        if (rename(staging, dest) < 0)
                return ctr_error_sys(err, errno, "rename `%s` to `%s`", staging, dest);
        r = fsync_path(ls->dir);
        if (r < 0)
                log_warning_errno(r, "fsync `%s`", ls->dir);
        if (append(ls, l) < 0) {
                /* On disk it is committed; the next open finds it. */
                return ctr_error_msg(err, ENOMEM, "out of memory");
        }
        if (ret)
                *ret = l;
        l = NULL;
        return 0;
}

int
layer_store_sweep(struct layer_store *ls, bool (*in_use)(const struct layer *l, void *userdata),
                  void *userdata, char ***trash, size_t *n_trash, size_t *n_layers, uint64_t *bytes,
                  struct ctr_error **err)
{
        size_t i = 0, swept = 0;
        int r = 0;

        while (i < ls->n_layers) {
                struct layer *l = ls->layers[i];
                _cleanup_free_ char *src = NULL, *dest = NULL;

                if (in_use(l, userdata)) {
                        i++;
                        continue;
                }
                r = store_tmp_name(ls->dir, "rm-", &dest, err);
                if (r < 0)
                        break;
                if (asprintf(&src, "%s/%s", ls->dir, l->diff_id + 7) < 0) {
                        r = ctr_error_msg(err, ENOMEM, "out of memory");
                        break;
                }
                /* Room in *trash first: once renamed, the path must not be lost. */
                if (store_strv_push(trash, n_trash, dest) < 0) {
                        r = ctr_error_msg(err, ENOMEM, "out of memory");
                        break;
                }
                /* The rename is the removal: a .tmp-* tree is garbage at open. */
                if (rename(src, dest) < 0) {
                        r = ctr_error_sys(err, errno, "rename `%s` to `%s`", src, dest);
                        free((*trash)[--*n_trash]);
                        (*trash)[*n_trash] = NULL;
                        break;
                }
                log_debug("layer %s: swept (%llu bytes)", l->diff_id, (unsigned long long) l->size);
                swept++;
                *n_layers += 1;
                *bytes += l->size;
                layer_free(l);
                memmove(ls->layers + i, ls->layers + i + 1,
                        (ls->n_layers - i - 1) * sizeof(*ls->layers));
                ls->n_layers--;
        }
        if (swept) {
                int f = fsync_path(ls->dir);
                if (f < 0)
                        log_warning_errno(f, "fsync `%s`", ls->dir);
        }
        return r;
}
