/* The container record shared by the orchestrator's files (container.c,
 * container-store.c, container-spec.c, monitor-client.c). Not for use
 * outside daemon/container*.c and daemon/monitor-client.c. */
#pragma once

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/id.h"
#include "daemon/cgroup/resources.h"
#include "daemon/ports.h"
#include "daemon/container.h"
#include "daemon/dispatch.h"

enum container_state {
        CONTAINER_CREATED,
        CONTAINER_RUNNING,
        CONTAINER_EXITED,
};
const char *container_state_to_string(enum container_state s);
int container_state_from_string(const char *s);

enum container_net_mode {
        CONTAINER_NET_NONE,      /* its own netns with lo only */
        CONTAINER_NET_BRIDGE,    /* a veth on a network's bridge (network-manager.h) */
        CONTAINER_NET_HOST,      /* the host's network namespace */
        CONTAINER_NET_CONTAINER, /* another running container's netns */
};
const char *container_net_mode_to_string(enum container_net_mode m);

struct container_config {
        char **command;
        char **env;
        char *workdir;
        char *user;
        char *hostname;
        struct container_mount *mounts;
        size_t n_mounts;
        bool auto_remove;
        bool tty;
        bool open_stdin;
        int64_t log_max_size; /* 0: unbounded */
        int log_max_files;    /* >= 1 */
        int stop_signal;      /* what stop sends first */
        char **labels;        /* "KEY=VALUE": the image's, then the create request's */
        enum container_net_mode net_mode;
        char *network;        /* BRIDGE: the network's name; CONTAINER: the other's id */
        struct port_mapping *ports;
        size_t n_ports;
        char **network_aliases;
        struct cgroup_limits limits; /* as asked at create or by the last update */
        struct container_security security; /* container-security.c; zero: the defaults */
        struct container_userns userns; /* container-userns.c; zero: the host's */
};

struct waiter {
        struct request *req;
        struct waiter *next;
};

struct container;
struct logs_stream;

/* A reply the daemon waits for from the monitor (monitor-client.c). */
struct monitor_call {
        void (*cb)(struct container *c, json_t *reply, void *userdata);
        void *userdata;
        struct monitor_call *next;
};

/* An exec session known to run (or have run) under c's monitor. The
 * monitor holds its state; the daemon only maps ids to containers. */
struct container_exec {
        char id[ID_HEX_LEN + 1];
        bool tty;
        bool in; /* created with stdin (true if unknown, after a restart) */
        struct container_exec *next;
};

struct container {
        struct container_manager *mgr;
        struct container *next;

        /* Persisted. */
        char id[ID_HEX_LEN + 1];
        /* Counts the record's writes: at start the newer of the run copy
         * and the disk record wins (container_load_all()); -1 for a record
         * written before there were run copies. */
        int64_t record_gen;
        uid_t owner_uid; /* who created it (authz: users manage only their own) */
        char *name;
        char image_id[ID_HEX_LEN + 1];
        char *image_ref;
        char *image_lowerdir; /* the image's layer dirs, overlayfs order (top first, ':') */
        struct container_config config;
        enum container_state state;
        pid_t pid;
        pid_t monitor_pid;
        uint64_t monitor_starttime;
        int exit_code;
        struct port_mapping *run_ports; /* while running: the ports as bound (port 0 resolved) */
        size_t n_run_ports;
        char *signal;
        char *error;
        int64_t created_ns, started_ns, finished_ns;
        bool paused;        /* running with its cgroup frozen */
        uint64_t oom_kills; /* OOM kills seen in its cgroup (the last run's), see
                             * container-resources.c */

        /* Runtime only. */
        char *dir;     /* <root>/containers/<id> */
        char *run_dir; /* <run-root>/containers/<id> */
        int chan_fd;   /* monitor control channel, -1 if not connected */
        struct event *chan_ev;
        struct monitor_call *calls, *calls_tail; /* replies owed by the monitor, FIFO */
        struct container_exec *execs;
        unsigned start_rows, start_cols;
        int pidfd; /* the monitor's */
        struct event *pidfd_ev;
        bool monitor_is_child;
        bool starting;
        struct request *start_req;
        bool start_attach;
        struct waiter *waiters; /* stop and wait: answered at exit */
        struct event *kill_timer;
        bool removing;
        bool net_attached;        /* network_manager_attach() succeeded for this run */
        bool spec_has_pin;        /* config.json names the bridge netns pin (checked once) */
        int *port_fds;            /* bound at start, handed to the monitor once created */
        size_t n_port_fds;
        struct waiter *remove_waiters; /* remove, answered when gone */
        struct waiter *gone_waiters;   /* wait condition=removed, answered when gone */
        bool freezing;            /* a pause, resume or update job is running */
        int oom_fd;               /* cgroup_oom_watch() while running, else -1 */
        struct event *oom_ev;
        struct event *oom_timer;  /* re-reads the count shortly after a notification */
        int oom_rechecks;
};

/* What is left of a removed container for a late wait condition=removed
 * (`run --rm` asks right after the exit, racing the auto-removal). */
struct container_tombstone {
        char id[ID_HEX_LEN + 1];
        char name[NAME_MAX_LEN + 1];
        bool has_exit_code;
        int exit_code;
};
#define CONTAINER_TOMBSTONES 32

struct container_manager {
        struct event_base *base;
        struct worker_pool *workers;
        /* Every durable write of a container's files (state-writer.h). */
        struct state_writer *writer;
        struct image_store *images;
        struct network_manager *networks;
        struct event_bus *events;
        char *root;
        char *run_root;
        char *containers_dir;
        char *run_containers_dir;
        char *cgroup_parent;
        char *log_level;
        char *monitor_path;
        int stop_timeout;
        int64_t log_max_size;
        int log_max_files;
        struct container *containers;
        struct container_tombstone tombstones[CONTAINER_TOMBSTONES]; /* ring */
        size_t next_tombstone;
        struct logs_stream *logs_streams; /* container-logs.c */
        struct stats_stream *stats_streams; /* container-stats.c */
        struct container_security_defaults *security; /* borrowed, may be NULL */
        struct userns_alloc *userns; /* container-userns.c; NULL until loaded */
};

/* container-logs.c: frees every container.logs stream (shutdown). */
void container_logs_free_all(struct container_manager *m);

void container_free(struct container *c);

/* container-config.c: builds the persisted config from the create params
 * and the image (command, env, workdir, user resolved to *ret_uid/gid,
 * validated binds and hostname, default_hostname if none was given). On
 * failure *ret is untouched. container_config_clear() frees the fields. */
struct image;
int container_config_build(const struct container_create_params *p, const struct image *img,
                           const char *default_hostname, struct container_config *ret,
                           uid_t *ret_uid, gid_t *ret_gid, struct ctr_error **err);
void container_config_clear(struct container_config *cfg);

/* container.c: exactly the container with this full id, or NULL (for jobs
 * and streams that keep an id, never a pointer). */
struct container *container_by_id(struct container_manager *m, const char *id);
/* container.c: container_lookup(), or answers req (not found, or being
 * removed: conflict) and returns NULL. */
struct container *container_lookup_or_reply(struct container_manager *m, const char *ref,
                                            struct request *req);
/* container.c: name, full id or unique id prefix. */
int container_lookup(struct container_manager *m, const char *ref, struct container **ret,
                     struct ctr_error **err);

/* container-net.c: the container's network at each step of its life. */
typedef void (*container_net_cont_fn)(struct container *c, int r, const struct ctr_error *err);
/* Create: a named network must exist; container:<ref> must be running
 * (cfg->network becomes its id). */
int container_net_resolve(struct container_manager *m, struct container_config *cfg,
                          struct ctr_error **err);
/* Start: attaches a bridge network (async), points config.json at the
 * netns, writes the hosts file, binds published ports; then cont(c, r, e)
 * in the loop. A failure leaves nothing made. */
void container_net_start(struct container *c, container_net_cont_fn cont);
/* Bridge networks: the netns pin's path, <run-root>/netns/<id>, known
 * before the attach makes it (NULL on OOM; caller frees). */
char *container_net_pin_path(const struct container *c);
/* Makes config.json name the pin before a monitor reads it: written at
 * create, so only an older record changes; read once per daemon run. */
int container_net_prepare_spec(struct container *c, struct ctr_error **err);
/* Created, before the command runs: hands the bound ports to the monitor. */
int container_net_publish(struct container *c, struct ctr_error **err);
/* Exited: veth and netns go (the address stays leased). */
void container_net_stopped(struct container *c);
/* Removed: the address is released. */
void container_net_removed(struct container *c);
/* Daemon start: re-finds endpoints of running containers, removes leftovers. */
void container_net_recover(struct container_manager *m);
json_t *container_net_inspect_json(const struct container *c);

/* container-store.c */
json_t *container_to_record_json(const struct container *c);
int container_from_record_json(json_t *j, struct container **ret, struct ctr_error **err);
/* Whether c's files must survive a power loss (fsync'd): not for a
 * container removed when it exits (`run --rm`): after a reboot it is gone
 * either way, and the daemon removes what is left of it. */
bool container_durable(const struct container *c);
int container_persist(struct container *c, struct ctr_error **err);
/* Writes text to path, one of c's files, replacing it atomically. The new
 * content is there for readers (the monitor) at once; for a durable
 * container the state writer then fsyncs it, off the loop and before any
 * later record of c reaches the disk. */
int container_write_file(const struct container *c, const char *path, const char *text,
                         mode_t mode, struct ctr_error **err);
/* container_persist() for a state change that has already happened: a
 * failure is logged, the change stands. */
void container_persist_or_log(struct container *c);
int container_load_all(struct container_manager *m, struct ctr_error **err);
json_t *container_summary_json(const struct container *c);
json_t *container_ports_json(const struct container *c);
json_t *container_inspect_full_json(const struct container *c);
char *container_cgroup_path(const struct container *c);

/* container-spec.c: resolves "uid[:gid]" or "name[:group]" against the
 * contents of an etc/passwd and etc/group (either may be NULL: absent);
 * an unknown name is -EINVAL with *err. */
int container_spec_resolve_user(const char *passwd, const char *group, const char *user,
                                uid_t *ret_uid, gid_t *ret_gid, struct ctr_error **err);
/* Reads root/rel (at most 4 MiB) with every component resolved inside root
 * (openat2 RESOLVE_IN_ROOT): for a running container's files through
 * /proc/<pid>/root. Caller frees *ret. */
int container_read_root_file(const char *root, const char *rel, char **ret);
/* The files the daemon writes below c->dir and binds (read-write, as
 * Docker does) into every container, in mount order; NULL-terminated. */
struct container_host_file {
        const char *name;        /* below c->dir */
        const char *destination; /* in the container */
};
extern const struct container_host_file container_host_files[];
/* Writes hostname, hosts, resolv.conf and bundle/config.json below c->dir
 * (which must exist with bundle/). */
int container_spec_write(struct container *c, uid_t uid, gid_t gid, struct ctr_error **err);
/* Sets (path) or clears (NULL) the network namespace path in config.json. */
int container_spec_set_netns(const struct container *c, const char *path, struct ctr_error **err);
/* Rewrites linux.resources in config.json from c->config.limits (after an
 * update: the next start applies the new limits). */
int container_spec_set_resources(const struct container *c, struct ctr_error **err);
/* Rewrites c's hosts file in place: localhost, itself (self_addr, or
 * 127.0.1.1 without a network) with its hostname, name and aliases, and
 * every other member of its network. */
struct network_member;
int container_spec_write_hosts(const struct container *c, const char *self_addr,
                               const struct network_member *members, size_t n,
                               struct ctr_error **err);

/* container.c: a "container" event on the bus for c, attributes (taken,
 * may be NULL) plus the image as created and the owner's uid. Every
 * container event goes through it, so that filters on the image and a
 * user's own-containers stream see them all. */
void container_emit_event(struct container *c, const char *action, json_t *attributes, uid_t uid);

/* container.c: called by monitor-client.c on monitor events. */
void container_on_created(struct container *c, pid_t pid);
void container_on_error(struct container *c, int exit_code, const char *message);
void container_on_exited(struct container *c);

/* container-resources.c: the container's cgroup beyond placement. */
/* Running (also after a daemon restart): watches OOM kills if a memory
 * limit is set; after a restart also cross-checks the paused state with
 * the cgroup's freezer. */
void container_resources_started(struct container *c, bool recovered);
/* Exited: the last OOM count is read (if the cgroup is still there), the
 * watch stops, paused is cleared. Before the record is persisted. */
void container_resources_stopped(struct container *c);
/* The cgroup's OOM kill count as the monitor read it when the init
 * exited (exit.json): counted, with an "oom" event, if it is higher; the
 * exit's own record write (container_finish()) follows. */
void container_resources_exit_oom_kills(struct container *c, uint64_t n);
/* After stop/kill/remove signalled a paused container: thaw it (in a
 * worker) so the signal is delivered, as Docker does. */
void container_resources_thaw_after_signal(struct container *c);
/* inspect: "resources" (the limits in force), "oom_kills". */
json_t *container_resources_inspect_json(const struct container *c);
/* config.json linux.resources in OCI form, or NULL if no limit is set. */
json_t *container_limits_to_oci(const struct cgroup_limits *l);
/* Sets in dst every field src sets (strings copied); -ENOMEM leaves dst
 * partly merged. */
int container_limits_merge(struct cgroup_limits *dst, const struct cgroup_limits *src);
/* container.json's "limits" object and back (absent: no limits). */
json_t *container_limits_to_json(const struct cgroup_limits *l);
int container_limits_from_json(json_t *j, struct cgroup_limits *ret);
/* container_free(): the OOM watch's event and fd (nothing on the host). */
void container_resources_forget(struct container *c);
/* container-stats.c: frees every container.stats stream (shutdown). */
void container_stats_free_all(struct container_manager *m);

/* container-exec.c */
void container_on_exec_exited(struct container *c, const char *exec_id, int exit_code);
/* After a daemon restart: asks the monitor for its execs (exec-list). */
void container_exec_recover(struct container *c);
/* Forgets c's execs (its monitor is gone). */
void container_exec_forget_all(struct container *c);
