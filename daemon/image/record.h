/* Internal to daemon/image/: one image in memory (its refs, layers and
 * config), its record image.json on disk (reads the current format and the
 * old single-rootfs one, writes the current one atomically) and its JSON
 * views. No store, no directory scanning here. */
#pragma once

#include <sys/types.h>

#include "daemon/image/image.h"

/* NULL-safe; frees the refs, the layers, the config and the manifest digest. */
void image_free(struct image *img);
DEFINE_FREEP(struct image, image_free)

/* An image of the old format: one layer, diff_id "", its tree in
 * <images>/<id>/rootfs (not in the layer store). */
bool image_is_legacy(const struct image *img);

/* Index of name:tag in img->refs, or -1. */
ssize_t image_ref_index(const struct image *img, const char *name, const char *tag);
/* Inserts a copy of name:tag at pos (<= n_refs); -ENOMEM leaves img as it was. */
int image_ref_insert(struct image *img, size_t pos, const char *name, const char *tag);
/* Removes and frees refs[pos]. */
void image_ref_remove(struct image *img, size_t pos);

/* Copies n layers (strings duplicated; dir left NULL) into img->layers. */
int image_set_layers(struct image *img, const struct image_layer *layers, size_t n);

/* The config's "created" (RFC 3339) in ns since the epoch; -EINVAL if
 * absent or not a valid time (or before the epoch). */
int image_config_created(json_t *config, int64_t *ret);

/* Writes img's record into dir/image.json atomically (temp, fsync, rename,
 * fsync dir). */
int image_record_write(const struct image *img, const char *dir, struct ctr_error **err);
/* Reads dir/image.json of image id. Current format: the layers' dir stay
 * NULL (the store fills them from the layer store). Old format (no
 * "layers"): one layer with diff_id "" and dir = dir/rootfs, and the old
 * Docker-style config becomes the "config" of an OCI config for the host.
 * Caller frees *ret with image_free(). */
int image_record_load(const char *dir, const char *id, struct image **ret, struct ctr_error **err);
