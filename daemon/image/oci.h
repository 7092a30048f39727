/* Reading image sources other tools make: OCI image layouts (a directory
 * with oci-layout and index.json), `docker save` trees (manifest.json) and
 * archives of either (extracted first with oci_archive_extract()). The
 * result is the list of images to import, every small blob (index,
 * manifests, config) already checked against its digest and size; layer
 * blobs are only located here and verified while they are unpacked.
 * Thread-safe, no globals: runs in a worker. No store, no unpacking. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/image/image.h"

struct oci_layer {
        char *media_type;                 /* as the manifest says it */
        enum image_compression compression;
        char digest[IMAGE_DIGEST_LEN + 1];  /* the blob's (compressed) */
        uint64_t size;                    /* the descriptor's size; for a docker-save
                                           * layer (no descriptor), the file's */
        char diff_id[IMAGE_DIGEST_LEN + 1]; /* config rootfs.diff_ids[i] */
        char *blob_path;                  /* absolute path of the blob file */
};

struct oci_image {
        char config_digest[IMAGE_DIGEST_LEN + 1]; /* the image id is its hex part */
        char *manifest_digest;            /* "sha256:..."; NULL if the source had no manifest blob
                                           * (a docker-save manifest.json entry) */
        json_t *config;                   /* the parsed image config (owned reference) */
        struct oci_layer *layers;         /* bottom first */
        size_t n_layers;
        /* Names the source gives the image, verbatim: OCI index annotation
         * org.opencontainers.image.ref.name (often just a tag, "3.19"), or
         * docker-save RepoTags ("alpine:3.19"). May be none. */
        char **ref_names;
        size_t n_ref_names;
};

struct oci_source {
        const char *format;               /* "oci-layout" or "docker-archive" (static) */
        struct oci_image *images;         /* in index/manifest order */
        size_t n_images;
};

/* The OCI name of the host's architecture ("amd64", "arm64", "arm",
 * "386", "ppc64le", "s390x", "riscv64", ...). Static string. */
const char *oci_host_arch(void);

/* Reads the image source in dir: an OCI image layout (oci-layout with
 * imageLayoutVersion 1.x, index.json) or a docker-save tree
 * (manifest.json; preferred only when there is no index.json). For each
 * top-level index entry: a manifest is one image; a nested index picks the
 * entry for linux/<arch> (arch NULL: the host's; entries without a
 * platform count as matching; "variant" is ignored), failing with an error
 * listing the platforms found when none matches. Checks: every blob
 * referenced by digest is "sha256:<64 lower-case hex>" and read only as
 * <dir>/blobs/sha256/<hex> (or, for docker-save, a relative path resolved
 * inside dir with openat2 RESOLVE_IN_ROOT); index/manifest/config blobs
 * match their digest and size (error naming the blob: "manifest
 * sha256:ab12...: digest mismatch"); media types are known (OCI and Docker
 * v2 schema 2 manifest, index/manifest-list, config, layer tar,
 * tar+gzip, tar+zstd and their nondistributable forms; anything else:
 * "layer N of <image>: unknown media type `X`"); the config's
 * rootfs.diff_ids has one entry per layer; a layer blob file exists and,
 * with a descriptor size, has that size (a truncated blob fails here).
 * A docker-save layer's digest is computed here when the source has none
 * (its blob is hashed while read: one extra read of the file). Blob
 * files are at most 4 MiB for JSON blobs. Caller frees with
 * oci_source_free(). */
int oci_source_read(const char *dir, const char *arch, struct oci_source **ret,
                    struct ctr_error **err);
void oci_source_free(struct oci_source *s);
DEFINE_FREEP(struct oci_source, oci_source_free)

/* Tells what archive_path is and, for an image archive, extracts it:
 * returns 1 after extracting an OCI archive (tar of a layout) or a
 * docker-save archive into dest_dir (existing, empty) — only the members
 * such archives have (oci-layout, index.json, manifest.json, repositories,
 * blobs/sha256/<hex>, <hex>/layer.tar, <hex>/json, <hex>/VERSION,
 * <hex>.json), regular files and directories only, every write resolved
 * inside dest_dir; returns 0 without writing anything more when the first
 * entry that is not a directory shows a plain rootfs tarball (any other
 * name): the caller then imports the file as a single layer (dest_dir may
 * hold empty directories). progress as for image_unpack_layer(). <0 with
 * *err for unreadable or hostile archives. */
int oci_archive_extract(const char *archive_path, const char *dest_dir,
                        image_progress_fn progress, void *userdata, struct ctr_error **err);
