/* Internal to daemon/image/: one image in memory (its list of refs) and its
 * record image.json on disk (reads the old single name/tag format and the
 * current "refs" format, writes the current one atomically). No store, no
 * directory scanning here. */
#pragma once

#include <sys/types.h>

#include "daemon/image/image.h"

/* NULL-safe; frees the refs, the rootfs path and the config. */
void image_free(struct image *img);
DEFINE_FREEP(struct image, image_free)

/* The default config of an image without one. NULL on OOM. */
json_t *image_default_config(void);

/* Index of name:tag in img->refs, or -1. */
ssize_t image_ref_index(const struct image *img, const char *name, const char *tag);
/* Inserts a copy of name:tag at pos (<= n_refs); -ENOMEM leaves img as it was. */
int image_ref_insert(struct image *img, size_t pos, const char *name, const char *tag);
/* Removes and frees refs[pos]. */
void image_ref_remove(struct image *img, size_t pos);

/* Writes img's record into dir/image.json atomically (temp, fsync, rename). */
int image_record_write(const struct image *img, const char *dir, struct ctr_error **err);
/* Reads dir/image.json of image id; rootfs becomes dir/rootfs. Caller frees
 * *ret with image_free(). */
int image_record_load(const char *dir, const char *id, struct image **ret, struct ctr_error **err);
