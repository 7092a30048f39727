/* Images: unpacking layers safely (worker threads), the shared layer store
 * and the image store (records under <root>/images, used from the event
 * loop only). Nothing here knows about libevent, clients or containers.
 *
 * On disk (docs/ARCHITECTURE.md, "The image store"):
 *   <root>/layers/<hex>/diff/        one unpacked layer, overlayfs-ready;
 *   <root>/layers/<hex>/layer.json   hex = the layer's diff_id (sha256 of
 *                                    its uncompressed tar), shared by every
 *                                    image that has the layer
 *   <root>/images/<id>/image.json    one image: refs, the whole OCI config,
 *                                    its layers (diff_ids, bottom first);
 *                                    id = sha256 of the image config blob
 *   <root>/{layers,images}/.tmp-*    unfinished imports or removals: deleted
 *                                    at open */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/id.h"

/* "sha256:" + 64 hex. */
#define IMAGE_DIGEST_LEN (7 + ID_HEX_LEN)

/* Called from a worker thread as bytes are read; total is 0 if unknown. */
typedef void (*image_progress_fn)(uint64_t done, uint64_t total, void *userdata);

/* What a layer blob is compressed with. ANY: sniffed from its first bytes
 * (rootfs tarballs: also xz, bzip2, lz4 through libarchive's filters). */
enum image_compression {
        IMAGE_COMPRESSION_ANY = 0,
        IMAGE_COMPRESSION_NONE,
        IMAGE_COMPRESSION_GZIP,
        IMAGE_COMPRESSION_ZSTD,
};

/* What the caller knows about a layer blob before unpacking; NULL/0
 * fields are not checked. A mismatch fails the unpack with an error naming
 * both digests ("layer blob sha256:ab..: digest mismatch: expected X, got
 * Y"); the caller removes dest_dir. */
struct image_unpack_expect {
        const char *blob_digest;          /* sha256 of every byte of the file */
        uint64_t blob_size;               /* descriptor size; 0: unknown */
        const char *diff_id;              /* sha256 of the uncompressed tar */
        enum image_compression compression;
};

struct image_unpack_result {
        char blob_digest[IMAGE_DIGEST_LEN + 1];
        char diff_id[IMAGE_DIGEST_LEN + 1];
        uint64_t blob_size;               /* bytes of the file */
        uint64_t size;                    /* sum of the regular files' sizes */
        enum image_compression compression; /* as detected; NONE for xz etc. is never returned:
                                             * those report ANY */
};

/* Unpacks one layer (a tar, optionally gzip/zstd/xz/bzip2-compressed) from
 * blob_path into dest_dir (an existing empty directory), as an overlayfs
 * lower layer:
 *  - no write lands outside dest_dir: every path is resolved with
 *    openat2(RESOLVE_IN_ROOT); hostile entries (.. components, absolute
 *    names, links out, whiteouts naming "..", huge or deep paths) fail the
 *    whole unpack with an error naming the entry;
 *  - OCI whiteouts: ".wh.NAME" becomes a 0:0 character device NAME,
 *    ".wh..wh..opq" sets trusted.overlay.opaque=y on its directory, other
 *    ".wh..wh.*" entries are skipped; archive xattrs named trusted.overlay.*
 *    or user.overlay.* are never copied;
 *  - owners, modes (setuid/setgid), times, symlinks, hardlinks (inside the
 *    layer), xattrs (security.capability too) and device nodes are kept.
 * Reading, hashing and decompressing run in a second thread, overlapped with
 * the file writes in the calling thread. Ends with syncfs(). Thread-safe:
 * no chdir, no globals, no umask. progress is called (from either thread)
 * at most every MiB and once at the end, with blob bytes read and the blob
 * size. Not running as root (unit tests), ownership is not restored and
 * whiteouts fail with EPERM. On failure dest_dir may hold a partial tree:
 * the caller removes it. */
int image_unpack_layer(const char *blob_path, const char *dest_dir,
                       const struct image_unpack_expect *expect, image_progress_fn progress,
                       void *userdata, struct image_unpack_result *ret, struct ctr_error **err);

/* One name of an image: "busybox" and "latest". */
struct image_ref {
        char *name;
        char *tag;
};

/* One layer of an image, as its record keeps it. */
struct image_layer {
        char diff_id[IMAGE_DIGEST_LEN + 1]; /* identity in the layer store */
        char digest[IMAGE_DIGEST_LEN + 1];  /* of the blob imported (compressed) */
        char *media_type;                   /* as the manifest said */
        uint64_t size;                      /* unpacked: sum of regular file sizes */
        uint64_t blob_size;                 /* compressed */
        char *dir;                          /* absolute .../layers/<hex>/diff */
};

struct image {
        char id[ID_HEX_LEN + 1]; /* sha256 of the image config blob */
        struct image_ref *refs;  /* its names, oldest first; none: dangling */
        size_t n_refs;
        /* The first reference (refs[0], not separately owned), for callers
         * that show one name; both NULL for a dangling image. */
        const char *name;
        const char *tag;
        int64_t created_ns;      /* the config's "created", else the import time */
        int64_t updated_ns;      /* last record write: after a crash, the most
                                  * recently written image keeps a doubled ref */
        uint64_t size;           /* sum of the layers' sizes */
        struct image_layer *layers; /* bottom first */
        size_t n_layers;
        json_t *config;          /* the whole OCI image config: architecture, os,
                                  * config{Cmd,Entrypoint,Env,...}, rootfs, history */
        char *manifest_digest;   /* "sha256:..."; NULL for a rootfs tarball */
};

/* The overlayfs lowerdir of an image: its layer dirs joined by ':', top
 * layer first, a dir listed twice only at its top-most place. Caller
 * frees; NULL on OOM. */
char *image_lowerdir(const struct image *img);

/* Reads the file at path (relative, e.g. "etc/passwd") as the image's
 * merged tree shows it: the top-most layer that has it, honouring
 * whiteouts and opaque directories; symlinks are not followed (a symlink
 * gives -ENOENT). At most max bytes (else -EFBIG). -ENOENT if absent.
 * Caller frees *ret (NUL-terminated). Any thread. */
int image_read_file(const struct image *img, const char *path, size_t max, char **ret);

struct image_store;

/* Loads every record below <root>/images and the layer store below
 * <root>/layers, removing leftovers of imports and removals that never
 * finished (".tmp-*"). Layers no image references stay until
 * image_store_prune(). Caller frees with image_store_free(). */
int image_store_open(const char *root, struct image_store **ret, struct ctr_error **err);
void image_store_free(struct image_store *s);
DEFINE_FREEP(struct image_store, image_store_free)

/* A fresh, empty staging directory "<root>/{images,layers}/.tmp-<random>"
 * (0700) created by this call. Caller frees *ret. Loop only. */
int image_store_new_staging_dir(struct image_store *s, bool for_layer, char **ret,
                                struct ctr_error **err);

/* The layer store. */
/* The absolute diff dir of layer diff_id if the store has it committed, else
 * NULL. Borrowed. */
const char *image_store_layer_dir(struct image_store *s, const char *diff_id);
/* Commits a layer unpacked into staging (a dir from
 * image_store_new_staging_dir(s, true, ...) whose "diff" subdir holds the
 * tree): writes staging/layer.json, fsyncs, renames staging to
 * <root>/layers/<hex>. If the layer exists already, staging is removed
 * (synchronously) and the existing one kept. *ret_dir (may be NULL) is
 * borrowed. Loop only. */
int image_store_commit_layer(struct image_store *s, const char *staging, const char *diff_id,
                             uint64_t size, const char **ret_dir, struct ctr_error **err);

/* A new image whose layers are all committed. config is the parsed image
 * config (its "rootfs.diff_ids" must list the layers' diff_ids in order),
 * config_digest "sha256:<hex>" its blob's digest (the image id).
 * layers[i].dir is ignored (filled from the layer store). Writes
 * <root>/images/<id>/image.json through a staging dir and one rename. If
 * the id exists already, only name:tag is added. name NULL: no name
 * (dangling, unless the image exists with names); tag NULL: "latest". The
 * ref moves away from any other image holding it. *ret (may be NULL) is
 * borrowed. Loop only. */
int image_store_commit_image(struct image_store *s, const char *config_digest, json_t *config,
                             const struct image_layer *layers, size_t n_layers,
                             const char *manifest_digest, const char *name, const char *tag,
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

/* Removes an image record (full id); its layers stay for
 * image_store_prune(). Loop only: one rename and an unlink. */
int image_store_remove(struct image_store *s, const char *id, struct ctr_error **err);

/* Mark and sweep: every layer no image references and keep() does not
 * claim (layers used by containers of removed images, or by imports in
 * flight) is detached from the store: renamed to "<root>/layers/.tmp-rm-*"
 * in the loop. *ret_trash gets the renamed dirs (NULL-terminated, caller
 * frees each and the array) for removal in a worker with rm_rf();
 * *ret_n_layers and *ret_bytes what was swept. On error *ret_trash still
 * holds the dirs renamed before it, for removal. Loop only. */
int image_store_prune_layers(struct image_store *s, bool (*keep)(const char *layer_dir, void *userdata),
                             void *userdata, char ***ret_trash, size_t *ret_n_layers,
                             uint64_t *ret_bytes, struct ctr_error **err);

/* Iteration: returns the n-th image or NULL past the end. */
const struct image *image_store_get(struct image_store *s, size_t n);
size_t image_store_count(struct image_store *s);

/* The image as the API lists it:
 * {"id","name","tag","ref","refs":["name:tag",...],"created","size","layers":N}
 * where name/tag/ref are those of the first ref; a dangling image has
 * "refs":[] and shows "<none>" for name and tag, "<none>:<none>" as ref.
 * Caller owns the reference; NULL on OOM. */
json_t *image_to_json(const struct image *img);

/* image_to_json() plus "config" (the whole OCI config), "architecture",
 * "os", "manifest_digest" (or null), "history" (the config's, or []),
 * "layers":[{"diff_id","digest","media_type","size","blob_size","dir"}]
 * bottom first. Caller owns; NULL on OOM. */
json_t *image_to_inspect_json(const struct image *img);

/* "name:tag" of ref; caller frees; NULL on OOM. */
char *image_ref_format(const struct image_ref *ref);

/* Validates "name[:tag]" per Docker's reference grammar (lower-case); tag
 * defaults to "latest". ret_name/ret_tag may be NULL; else caller frees. */
int image_parse_ref(const char *ref, char **ret_name, char **ret_tag, struct ctr_error **err);
