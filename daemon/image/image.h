/* Images: unpacking a rootfs tarball safely (worker threads) and the image
 * store (records under <root>/images, used from the event loop only).
 * Nothing here knows about libevent, clients or containers. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/id.h"

/* Called from the worker thread as bytes are read; total is 0 if unknown. */
typedef void (*image_progress_fn)(uint64_t done, uint64_t total, void *userdata);

/* Unpacks a .tar/.tar.gz/.tar.xz/.tar.zst rootfs archive into dest_dir (an
 * existing empty directory). No write lands outside dest_dir: every path is
 * resolved with openat2(RESOLVE_IN_ROOT); hostile entries fail the whole
 * unpack with an error naming the entry. Computes the sha256 of the archive
 * bytes ("sha256:<64 hex>", the whole file) and the unpacked size (sum of
 * regular file sizes). Ends with syncfs() on dest_dir. Thread-safe: no
 * chdir, no globals, no umask; call it from a worker. progress is called in
 * the calling thread at most every MiB and once at the end. Not running as
 * root (tests), ownership is not restored. On failure dest_dir may hold a
 * partial tree: the caller removes it. */
int image_unpack_tarball(const char *archive_path, const char *dest_dir,
                         image_progress_fn progress, void *userdata,
                         char ret_digest[static 7 + ID_HEX_LEN + 1], uint64_t *ret_size,
                         struct ctr_error **err);

/* One name of an image: "busybox" and "latest". */
struct image_ref {
        char *name;
        char *tag;
};

struct image {
        char id[ID_HEX_LEN + 1]; /* sha256 of the archive */
        struct image_ref *refs;  /* its names, oldest first; none: dangling */
        size_t n_refs;
        /* The first reference (refs[0], not separately owned), for callers
         * that show one name; both NULL for a dangling image. */
        const char *name;
        const char *tag;
        int64_t created_ns;
        int64_t updated_ns;      /* last record write: after a crash, the most
                                  * recently written image keeps a doubled ref */
        uint64_t size;
        char *rootfs;            /* absolute path of the unpacked tree */
        json_t *config;          /* image config (Cmd, Env, ...); may be NULL */
};

struct image_store;

/* Loads every record below <root>/images, removing leftovers of imports
 * that never finished. Caller frees with image_store_free(). */
int image_store_open(const char *root, struct image_store **ret, struct ctr_error **err);
void image_store_free(struct image_store *s);
DEFINE_FREEP(struct image_store, image_store_free)

/* Directory where a worker should unpack a new import: a fresh, empty
 * "<root>/images/.tmp-<random>" (0755) created by this call; pass it to
 * image_unpack_tarball() as dest_dir, then to image_store_commit(). If the
 * import fails, rm_rf() it (or leave it: image_store_open() removes every
 * ".tmp-*"). Caller frees *ret. */
int image_store_new_staging_dir(struct image_store *s, char **ret, struct ctr_error **err);

/* Commits an unpacked staging dir as image digest and gives it name:tag
 * (see image_store_tag: the ref moves from any other image, which may be
 * left dangling, <none>:<none>). name NULL imports a dangling image; tag
 * NULL means "latest". The staging dir becomes <root>/images/<id>/rootfs
 * next to the record image.json; one rename commits both (crash-safe). On
 * failure the staging dir is left where it was. If the digest already
 * exists, the staging dir is removed (synchronously, rm -rf in the calling
 * thread) and name:tag is added to the existing image's refs. *ret (may be
 * NULL) is borrowed from the store. Loop only. */
int image_store_commit(struct image_store *s, const char *staging_dir, const char *digest,
                       uint64_t size, const char *name, const char *tag,
                       const struct image **ret, struct ctr_error **err);

/* Adds name:tag (validated) to image id's refs, taking it away from any
 * other image that had it. The image's record is rewritten atomically
 * first, then the others'. A no-op if the image already has the ref.
 * -ENOENT if there is no image id. Loop only. */
int image_store_tag(struct image_store *s, const char *id, const char *name, const char *tag,
                    struct ctr_error **err);

/* Removes name:tag from the image that has it and rewrites its record; the
 * image stays, dangling if that was its last ref (image_store_remove()
 * deletes). -ENOENT if no image has the ref. Loop only. */
int image_store_untag(struct image_store *s, const char *name, const char *tag,
                      struct ctr_error **err);

/* The image holding exactly name:tag (no default tag, no id forms), or
 * NULL. Borrowed from the store. */
const struct image *image_store_find_ref(struct image_store *s, const char *name, const char *tag);

/* Finds by "name", "name:tag" (tag defaults to latest), full id, "sha256:<id>"
 * or unique id prefix. -ENOENT if none, -EINVAL (ambiguous) with *err set. */
int image_store_lookup(struct image_store *s, const char *ref, const struct image **ret,
                       struct ctr_error **err);

/* Removes an image (full id) record and its tree (the caller checks it is
 * unused). image_store_remove() does both synchronously. For big trees,
 * call image_store_remove_detach() in the loop (atomic rename of
 * <id> to "<root>/images/.tmp-rm-*", the image is gone from the store;
 * caller frees *ret_trash) and image_store_remove_tree() in a worker. A
 * crash before the tree is gone is cleaned up by the next image_store_open. */
int image_store_remove(struct image_store *s, const char *id, struct ctr_error **err);
int image_store_remove_detach(struct image_store *s, const char *id, char **ret_trash,
                              struct ctr_error **err);
int image_store_remove_tree(const char *trash, struct ctr_error **err);

/* Iteration: returns the n-th image or NULL past the end. */
const struct image *image_store_get(struct image_store *s, size_t n);
size_t image_store_count(struct image_store *s);

/* The image as the API shows it:
 * {"id","name","tag","ref","refs":["name:tag",...],"created","size"} where
 * name/tag/ref are those of the first ref; a dangling image has "refs":[]
 * and shows "<none>" for name and tag, "<none>:<none>" as ref. Caller owns
 * the reference; NULL on OOM. */
json_t *image_to_json(const struct image *img);

/* "name:tag" of ref; caller frees; NULL on OOM. */
char *image_ref_format(const struct image_ref *ref);

/* Validates "name[:tag]" per Docker's reference grammar (lower-case); tag
 * defaults to "latest". ret_name/ret_tag may be NULL; else caller frees. */
int image_parse_ref(const char *ref, char **ret_name, char **ret_tag, struct ctr_error **err);
