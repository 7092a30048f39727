/* Internal to daemon/image/: the shared layer store below <root>/layers,
 * one directory per unpacked layer, named by the hex of its diff_id. The
 * image store (store.c) owns one and answers the image_store_*layer*
 * functions of image.h with it. Loop only: not thread-safe, never
 * unpacks, never removes a big tree (sweeps only rename). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "daemon/image/image.h"

struct layer {
        char diff_id[IMAGE_DIGEST_LEN + 1]; /* "sha256:<hex>" */
        char *dir;                          /* absolute <layers>/<hex>/diff */
        uint64_t size;                      /* sum of the regular files' sizes */
        int64_t created_ns;                 /* commit time */
};

struct layer_store;

/* Opens <root>/layers (created 0700 if missing): deletes every ".tmp-*"
 * (unfinished unpacks and sweeps) synchronously, loads every
 * <hex>/layer.json; a layer dir without a valid record is skipped with a
 * warning (and left alone). Caller frees with layer_store_free(). */
int layer_store_open(const char *root, struct layer_store **ret, struct ctr_error **err);
void layer_store_free(struct layer_store *ls);
DEFINE_FREEP(struct layer_store, layer_store_free)

/* The absolute <root>/layers. Borrowed. */
const char *layer_store_path(struct layer_store *ls);

/* The committed layer diff_id ("sha256:<hex>"), or NULL. Borrowed. */
const struct layer *layer_store_find(struct layer_store *ls, const char *diff_id);

/* Commits staging (a ".tmp-*" child of <root>/layers holding diff/):
 * writes staging/layer.json, fsyncs staging, renames it to <hex> and
 * fsyncs <root>/layers. If diff_id is committed already, staging is
 * removed (rm -rf, synchronously) and the existing layer is returned.
 * On other failures staging is left where it was. */
int layer_store_commit(struct layer_store *ls, const char *staging, const char *diff_id,
                       uint64_t size, const struct layer **ret, struct ctr_error **err);

/* Detaches every layer for which in_use() is false: renames it to
 * "<root>/layers/.tmp-rm-<random>" and forgets it. Appends the renamed
 * paths to *trash (a NULL-terminated array of *n_trash entries, grown
 * here; caller frees) and adds to *n_layers and *bytes. A failed rename
 * stops the sweep with an error; what was detached so far stays in
 * *trash. */
int layer_store_sweep(struct layer_store *ls, bool (*in_use)(const struct layer *l, void *userdata),
                      void *userdata, char ***trash, size_t *n_trash, size_t *n_layers,
                      uint64_t *bytes, struct ctr_error **err);

/* Shared by store.c and layer-store.c. */
#define STORE_TMP_PREFIX ".tmp-"

/* Deletes every "<dir>/.tmp-*" (rm -rf, synchronously: called at open,
 * before the daemon serves). Failures are logged. */
void store_remove_leftovers(const char *dir);
/* "<dir>/.tmp-<infix><16 random hex>" into *ret (caller frees). */
int store_tmp_name(const char *dir, const char *infix, char **ret, struct ctr_error **err);
/* path is a direct ".tmp-*" child of dir (not ".tmp-" alone). */
bool store_is_tmp_child(const char *dir, const char *path);
/* Appends a copy of path to the NULL-terminated *v of *n entries. */
int store_strv_push(char ***v, size_t *n, const char *path);
