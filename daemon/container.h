/* The container orchestrator: the registry of containers and the only
 * writer of their state. It creates bundles, spawns and talks to
 * containerctl-monitor, persists every state change and recovers after a
 * daemon restart. Loop thread only. Operations that finish later (start,
 * stop, wait, remove) answer through the request handle they are given. */
#pragma once

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/id.h"
#include "daemon/cgroup/resources.h"
#include "daemon/container-security.h"
#include "daemon/container-userns.h"
#include "daemon/dispatch.h"

struct image_store;
struct worker_pool;
struct container_manager;
struct network_manager;
struct event_bus;

struct container_manager_config {
        struct event_base *base;
        struct worker_pool *workers;
        struct image_store *images;
        struct network_manager *networks;
        struct event_bus *events;  /* container events (daemon/events.h) */
        const char *root;          /* <root>/containers/<id> */
        const char *run_root;      /* <run-root>/containers/<id> */
        const char *cgroup_parent; /* "/containerctl" */
        const char *log_level;     /* passed to monitors: "info" */
        int stop_timeout;          /* default seconds for stop */
        int64_t log_max_size;      /* default console log rotation size, 0 = unbounded */
        int log_max_files;         /* default number of console log files, >= 1 */
        const char *monitor_path;  /* NULL: next to /proc/self/exe, else PKGLIBEXECDIR */
        const char *subuid_path;   /* --userns auto's ids; NULL: /etc/subuid */
        const char *subgid_path;   /* NULL: /etc/subgid */
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
        bool idmap; /* --userns auto: mapped through the container's user namespace */
};

/* Typed container.create parameters (filled by daemon/api/container.c). */
struct container_create_params {
        uid_t owner_uid; /* the caller's uid (request_peer_uid) */
        char *image;
        char *name;      /* NULL: generated */
        char **command;  /* NULL-terminated; NULL: the image's Cmd */
        char **entrypoint; /* NULL: the image's Entrypoint; empty: none. Given,
                            * the image's Cmd is dropped too (as Docker does) */
        char *stop_signal; /* NULL: the image's StopSignal, else SIGTERM */
        char **labels;     /* "KEY=VALUE", over the image's Labels; may be NULL */
        char *network;     /* NULL: the default network; "none", "host",
                            * "container:<ref>" or a network's name */
        struct port_mapping *ports; /* published ports (bridge networks only) */
        size_t n_ports;
        char **network_aliases; /* extra names in the network's hosts files */
        char **env;      /* NULL-terminated "K=V"; may be NULL */
        char *workdir;
        char *user;      /* "uid[:gid]" or a name from the image */
        char *hostname;
        struct container_mount *mounts;
        size_t n_mounts;
        bool auto_remove;
        bool tty;             /* process.terminal */
        bool open_stdin;      /* without it the container's stdin is /dev/null */
        int64_t log_max_size; /* < 0: the daemon's default; 0: unbounded */
        int log_max_files;    /* < 1: the daemon's default */
        bool has_limits;             /* else limits is ignored (a zeroed params is valid) */
        struct cgroup_limits limits; /* checked with cgroup_limits_validate() at create */
        struct container_security security; /* checked by container_security_from_params() */
        enum container_userns_mode userns;  /* zero: the host's user namespace */
};
void container_create_params_clear(struct container_create_params *p);

/* Creates the container on disk (state "created"). *ret_name is malloc'd. */
int container_create(struct container_manager *m, const struct container_create_params *p,
                     char ret_id[static ID_HEX_LEN + 1], char **ret_name, struct ctr_error **err);

/* Asynchronous: each ends req. rows/cols (0: unknown) size the pty of a
 * tty container before its first byte reaches an attached client. */
void container_start(struct container_manager *m, const char *ref, bool attach, unsigned rows,
                     unsigned cols, struct request *req);
/* container.attach: replies {"id","tty","stdin"} synchronously, then
 * hands the connection to the monitor (SCM_RIGHTS). stdin < 0: the
 * container's open_stdin; the reply's "stdin" says whether stdin frames
 * reach the container. Not running: conflict. */
void container_attach(struct container_manager *m, const char *ref, int stdin_mode, unsigned rows,
                      unsigned cols, struct request *req);
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

/* Typed container.exec parameters (filled by daemon/api/exec.c). */
struct container_exec_params {
        char **command; /* NULL-terminated, not empty */
        char **env;     /* "K=V" added to (or replacing in) the container's env */
        char *workdir;  /* NULL: the container's */
        char *user;     /* NULL: the container's; else "uid[:gid]" or names */
        bool tty;
        bool open_stdin;
        bool detach;    /* reply {"exec_id","pid"} and keep the connection */
        bool passthrough; /* fds are the client's stdin (with open_stdin), stdout, stderr */
        int fds[3];     /* owned; closed by container_exec_params_clear() */
        size_t n_fds;
        unsigned rows, cols;
};
void container_exec_params_clear(struct container_exec_params *p);

/* container.exec: replies once the process runs (or with exit_code
 * 125/126/127 in data if it could not); unless detach, the connection is
 * then handed to the monitor. Not running: conflict. */
void container_exec(struct container_manager *m, const char *ref,
                    const struct container_exec_params *p, struct request *req);
/* exec.*: exec ref = full exec id or unique prefix, across containers. */
void container_exec_list(struct container_manager *m, const char *ref, struct request *req);
void container_exec_inspect(struct container_manager *m, const char *exec_ref,
                            struct request *req);
/* stdin_mode < 0: as the exec was created. */
void container_exec_attach(struct container_manager *m, const char *exec_ref, int stdin_mode,
                           unsigned rows, unsigned cols, struct request *req);
void container_exec_kill(struct container_manager *m, const char *exec_ref, int sig,
                         struct request *req);
void container_exec_remove(struct container_manager *m, const char *exec_ref, bool force,
                           struct request *req);

struct container_logs_params {
        bool follow;
        bool timestamps;   /* prefix each record with "<RFC3339Nano> " */
        long long tail;    /* last N lines, -1 all */
        int64_t since_ns;  /* -1: from the start */
        int64_t until_ns;  /* -1: no end; records with since <= ts < until */
};
/* container.logs: replies {"id"}, then streams one STDOUT/STDERR frame
 * per log record and EXIT {"exit_code":0} at the end (with follow: once
 * the container is not running and the log is drained). The connection
 * stays in the daemon; reading is bounded per loop iteration and paused
 * while the client's output buffer is full. */
void container_logs(struct container_manager *m, const char *ref,
                    const struct container_logs_params *p, struct request *req);

int container_kill(struct container_manager *m, const char *ref, int sig,
                   char ret_id[static ID_HEX_LEN + 1], struct ctr_error **err);

/* {"containers":[summary...]}; owner != (uid_t) -1: only the containers
 * that uid created (a user's view). */
json_t *container_list_json(struct container_manager *m, bool all, uid_t owner);
/* The uid that created the container ref names: 0 and *ret_uid set, or
 * -ENOENT. For the API's ownership checks (daemon/api/authz.c). */
int container_owner(struct container_manager *m, const char *ref, uid_t *ret_uid);
/* The owner of the container an exec ref belongs to, or -ENOENT. */
int container_exec_owner(struct container_manager *m, const char *exec_ref, uid_t *ret_uid);
/* container.inspect: answers req, after reading the network counters of
 * a running container on a bridge network. */
void container_inspect(struct container_manager *m, const char *ref, struct request *req);

/* container-resources.c. Each answers req. */
/* container.update: validates, then (running) applies all or nothing in a
 * worker and persists only on success; (created) changes the stored
 * config. Exited: conflict. Reply {"id","limits"} (the merged limits). */
void container_update(struct container_manager *m, const char *ref,
                      const struct cgroup_limits *l, struct request *req);
/* container.pause (freeze) and container.resume: a worker freezes or thaws
 * the cgroup; the state is persisted. Pause of a paused container,
 * resume of one not paused, either of one not running: conflict. */
void container_pause(struct container_manager *m, const char *ref, bool pause,
                     struct request *req);
struct container_stats_params {
        char **refs;     /* NULL-terminated; NULL: every running container */
        bool all;        /* without refs: also those not running (no numbers) */
        bool stream;     /* a sample every interval_ms until the client goes */
        int interval_ms; /* 100..60000 */
        uid_t owner;     /* (uid_t) -1: every container; else only those it created */
};
/* container.stats: without stream, replies {"stats":[sample...]}; with
 * stream, replies {"interval_ms"} and sends "container.stats"
 * notifications {"time","stats":[...]} on the connection (see
 * PROTOCOL.md). */
void container_stats(struct container_manager *m, const struct container_stats_params *p,
                     struct request *req);

struct container_counts {
        unsigned total, created, running, exited;
};
void container_manager_counts(struct container_manager *m, struct container_counts *ret);
/* True if any container was created from image id. */
bool container_manager_image_in_use(struct container_manager *m, const char *image_id);
/* True if any container's root has layer_dir (an image layer's diff dir)
 * among its overlay lower dirs; images removed with force keep their
 * layers alive this way until their containers are gone. */
bool container_manager_uses_layer_dir(struct container_manager *m, const char *layer_dir);
