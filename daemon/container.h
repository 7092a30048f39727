/* The container orchestrator: the registry of containers and the only
 * writer of their state. It creates bundles, spawns and talks to
 * containerctl-monitor, persists every state change and recovers after a
 * daemon restart. Loop thread only. Operations that finish later (start,
 * stop, wait, remove) answer through the request handle they are given. */
#pragma once

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>

#include "common/error.h"
#include "common/id.h"
#include "daemon/dispatch.h"

struct image_store;
struct worker_pool;
struct container_manager;

struct container_manager_config {
        struct event_base *base;
        struct worker_pool *workers;
        struct image_store *images;
        const char *root;          /* <root>/containers/<id> */
        const char *run_root;      /* <run-root>/containers/<id> */
        const char *cgroup_parent; /* "/containerctl" */
        const char *log_level;     /* passed to monitors: "info" */
        int stop_timeout;          /* default seconds for stop */
        const char *monitor_path;  /* NULL: next to /proc/self/exe, else PKGLIBEXECDIR */
};

/* Loads every container below <root>/containers and re-adopts live
 * monitors. The strings in cfg are copied. */
int container_manager_new(const struct container_manager_config *cfg,
                          struct container_manager **ret, struct ctr_error **err);
/* Frees the registry without touching containers: monitors keep running. */
void container_manager_free(struct container_manager *m);
DEFINE_FREEP(struct container_manager, container_manager_free)

struct container_mount {
        char *source;
        char *destination;
        bool readonly;
};

/* Typed container.create parameters (filled by daemon/api/container.c). */
struct container_create_params {
        char *image;
        char *name;      /* NULL: generated */
        char **command;  /* NULL-terminated; NULL: the image's Cmd */
        char **env;      /* NULL-terminated "K=V"; may be NULL */
        char *workdir;
        char *user;      /* "uid[:gid]" or a name from the image */
        char *hostname;
        struct container_mount *mounts;
        size_t n_mounts;
        bool auto_remove;
};
void container_create_params_clear(struct container_create_params *p);

/* Creates the container on disk (state "created"). *ret_name is malloc'd. */
int container_create(struct container_manager *m, const struct container_create_params *p,
                     char ret_id[static ID_HEX_LEN + 1], char **ret_name, struct ctr_error **err);

/* Asynchronous: each ends req. */
void container_start(struct container_manager *m, const char *ref, bool attach,
                     struct request *req);
/* timeout < 0: the configured default. */
void container_stop(struct container_manager *m, const char *ref, int timeout,
                    struct request *req);
enum container_wait_condition {
        CONTAINER_WAIT_NOT_RUNNING, /* {"id","exit_code"} once it is not running */
        CONTAINER_WAIT_REMOVED,     /* {"id","exit_code"?,"removed":true} once it is gone */
};
/* For CONTAINER_WAIT_REMOVED a container that no longer exists (or never
 * did) is answered at once, with its exit code if it was removed recently. */
void container_wait(struct container_manager *m, const char *ref,
                    enum container_wait_condition condition, struct request *req);
void container_remove(struct container_manager *m, const char *ref, bool force,
                      struct request *req);

int container_kill(struct container_manager *m, const char *ref, int sig,
                   char ret_id[static ID_HEX_LEN + 1], struct ctr_error **err);

/* {"containers":[summary...]} */
json_t *container_list_json(struct container_manager *m, bool all);
int container_inspect_json(struct container_manager *m, const char *ref, json_t **ret,
                           struct ctr_error **err);

struct container_counts {
        unsigned total, created, running, exited;
};
void container_manager_counts(struct container_manager *m, struct container_counts *ret);
/* True if any container was created from image id. */
bool container_manager_image_in_use(struct container_manager *m, const char *image_id);
