/* Image operations as the daemon runs them: imports (archive extraction,
 * source reading and layer unpacks in worker threads, progress sampled back
 * in the loop, commits in the loop), removal guarded by the containers
 * that use an image, and prune. The image store itself (daemon/image/) is
 * touched from the loop thread only. Imports live in image-import.c, the
 * rest and the worker jobs in image-manager.c. */
#pragma once

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>

#include "common/error.h"
#include "common/id.h"
#include "daemon/dispatch.h"

#define IMAGE_MANAGER_MAX_IMPORTS 4

struct image_manager;
struct image_store;
struct worker_pool;
struct container_manager;
struct event_bus;

int image_manager_new(struct event_base *base, struct worker_pool *workers, const char *root,
                      struct image_manager **ret, struct ctr_error **err);
/* Answers requests still in flight with an error. Call after
 * worker_pool_free() (no job completion may run after this); threads still
 * running keep what they use and their trees are removed at the next start. */
void image_manager_free(struct image_manager *m);
DEFINE_FREEP(struct image_manager, image_manager_free)
/* The containers whose images may not be removed without force. */
void image_manager_set_containers(struct image_manager *m, struct container_manager *c);
/* Where "image" events (import, remove) go (daemon/events.h); NULL: none. */
void image_manager_set_events(struct image_manager *m, struct event_bus *events);
struct image_store *image_manager_store(struct image_manager *m);

/* image.import (proto/PROTOCOL.md): path is an OCI layout directory, an
 * OCI or docker-save archive, or a rootfs tarball. Answers req after
 * image.import.progress notifications. name/tag may be NULL (the source's
 * own names, else dangling; tag NULL: "latest"). all: every image of the
 * source, else the source must hold exactly one. */
void image_manager_import(struct image_manager *m, const char *path, const char *name,
                          const char *tag, bool all, struct request *req);
/* image.prune: removes dangling images no container uses, then every layer
 * no image, container or running import uses (trees removed in a worker;
 * the reply comes after). */
void image_manager_prune(struct image_manager *m, struct request *req);
json_t *image_manager_list_json(struct image_manager *m);
int image_manager_inspect_json(struct image_manager *m, const char *ref, json_t **ret,
                               struct ctr_error **err);
/* image.remove as Docker's rmi: a name:tag of an image with other refs is
 * only untagged ({"id","untagged":[ref],"deleted":false}); the last ref,
 * or an id, deletes the image ({"id","untagged":[all refs],
 * "deleted":true}) unless a container uses it (-EBUSY) or, by id, it has
 * several refs (-EBUSY); force overrides both. Only the record goes: the
 * layers stay for image.prune (an old-format image's own tree is removed
 * in a worker). Caller owns *ret. Loop only. */
int image_manager_remove(struct image_manager *m, const char *ref, bool force, json_t **ret,
                         struct ctr_error **err);
size_t image_manager_count(struct image_manager *m);
