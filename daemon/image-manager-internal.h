/* What the image manager's two files share, and nothing else includes:
 * the manager's state, and its worker jobs (image-manager.c) that the
 * imports (image-import.c) run. The rest of the daemon uses
 * image-manager.h. Loop thread only, except where a job says otherwise. */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/macros.h"
#include "daemon/image-manager.h"
#include "daemon/image/image.h"

struct import;
struct prune;
struct oci_source;

struct image_manager {
        struct event_base *base;
        struct worker_pool *workers;
        struct image_store *store;
        struct container_manager *containers;
        struct event_bus *events; /* image events, may be NULL */
        struct import *imports; /* image-import.c's */
        unsigned n_imports;
        struct prune *prunes;
        struct image_job *removals;
};

/* ---- jobs (image-manager.c) ---- */

struct image_job;
/* Worker thread (or the loop, if no thread could start): the work. */
typedef int (*image_job_run_fn)(struct image_job *j);
/* Loop: the result. */
typedef void (*image_job_done_fn)(struct image_job *j, int r);

/* Shared by the loop and one worker thread: the thread drops its
 * reference when its work is done, the loop when it has read the result
 * (or when the manager is freed without it). */
struct image_job {
        atomic_int refs;
        image_job_run_fn run;
        char *src, *dest;
        char **trash; /* rm jobs: the trees to remove */
        /* Unpack jobs: what the manifest and config say (verify false: a
         * rootfs tarball, nothing to check). */
        bool verify;
        char blob_digest[IMAGE_DIGEST_LEN + 1];
        char diff_id[IMAGE_DIGEST_LEN + 1];
        uint64_t blob_size;
        enum image_compression compression;
        /* results */
        struct image_unpack_result result;
        struct oci_source *source;
        struct ctr_error *err;
        _Atomic uint64_t done, total; /* image_job_progress() */
        /* loop side only */
        image_job_done_fn on_done;
        void *owner;
        struct image_job *next; /* in the manager's list of background removals */
};

/* A job that will run(j); src and dest are copied (may be NULL). One
 * reference, the caller's. NULL: out of memory. */
struct image_job *image_job_new(image_job_run_fn run, const char *src, const char *dest);
/* rm -rf of every tree of trash (a NULL-terminated list, taken on
 * success). NULL: out of memory, trash untouched. */
struct image_job *image_job_new_rm(char **trash);
/* NULL-safe; either thread. */
void image_job_unref(struct image_job *j);
/* Starts j in a worker; the caller keeps its reference (the loop's) and
 * on_done(j, r) runs later in the loop. On failure (-errno) nothing runs:
 * the caller may run j in the loop with image_job_run(). */
int image_job_submit(struct image_manager *m, struct image_job *j, image_job_done_fn on_done,
                     void *owner);
/* Runs j's work in the calling thread. */
int image_job_run(struct image_job *j);
/* An image_progress_fn for the work of j (userdata): sets j->done and
 * j->total, which the loop samples. Worker thread. */
void image_job_progress(uint64_t done, uint64_t total, void *userdata);
/* rm -rf of trash (taken) in a worker with no one waiting; in the loop if
 * no thread starts. */
void image_manager_remove_in_background(struct image_manager *m, char **trash);

/* NULL-terminated string lists. */
void image_strv_free(char **v);
DEFINE_FREEP(char *, image_strv_free)
/* Appends a copy of s to *v (n entries), keeping it NULL-terminated. */
int image_strv_push(char ***v, size_t *n, const char *s);

/* ---- imports (image-import.c) ---- */

/* Answers every import still in flight with an error and frees it (the
 * manager is being freed; no job completion runs any more). */
void image_import_abort_all(struct image_manager *m);
/* Whether a running import needs the committed layer at layer_dir: it
 * found the layer in the store and has not committed its image yet. */
bool image_import_uses_layer_dir(struct image_manager *m, const char *layer_dir);
