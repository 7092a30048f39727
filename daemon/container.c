/* The container orchestrator: registry, lookup, create and the state
 * machine created -> running -> exited, driven by API requests and by
 * monitor events (monitor-client.c). The only writer of container state:
 * every change is persisted (container-store.c) before it is reported.
 * Slow work (tree removal) runs in a worker; replies that must wait for an
 * exit or a removal are kept as waiters. The create-time config is built
 * by container-config.c. Loop thread only. */
#include "daemon/container.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/fs-util.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/time-util.h"
#include "daemon/cgroup/cgroup.h"
#include "daemon/container-record.h"
#include "daemon/events.h"
#include "daemon/image/image.h"
#include "daemon/monitor-client.h"
#include "daemon/monitor/monitor-proto.h"
#include "daemon/state-writer.h"
#include "daemon/worker.h"

static void container_begin_removal(struct container *c);

/* A "container" event on the bus, with the image as created among the
 * attributes (taken, may be NULL), as Docker's, owned by the container's
 * owner (a user's event stream has only their own containers: events.h).
 * Shared with container-resources.c (pause, unpause, update, oom), so that
 * every container event carries both. */
void
container_emit_event(struct container *c, const char *action, json_t *attributes, uid_t uid)
{
        if (!c->mgr->events) {
                json_decref(attributes);
                return;
        }
        if (!attributes)
                attributes = json_object();
        if (attributes && c->image_ref)
                json_object_set_new(attributes, "image", json_string(c->image_ref));
        event_bus_emit_owned(c->mgr->events, "container", action, c->id, c->name, attributes, uid,
                             c->owner_uid);
}

static json_t *
signal_attributes(int sig)
{
        const char *name = signal_to_name(sig);
        char num[16];

        snprintf(num, sizeof(num), "%d", sig);
        return json_pack("{s:s}", "signal", name ? name : num);
}

/* ---- records ---- */

static void
waiters_fail(struct waiter **list, const char *why)
{
        while (*list) {
                struct waiter *w = *list;
                *list = w->next;
                request_error(w->req, PROTO_ERR_INTERNAL, why, NULL);
                free(w);
        }
}

void
container_free(struct container *c)
{
        if (!c)
                return;
        if (c->mgr)
                monitor_client_unwatch(c);
        container_exec_forget_all(c);
        container_resources_forget(c);
        if (c->kill_timer)
                event_free(c->kill_timer);
        if (c->start_req)
                request_error(c->start_req, PROTO_ERR_INTERNAL, "daemon shutting down", NULL);
        waiters_fail(&c->waiters, "daemon shutting down");
        waiters_fail(&c->remove_waiters, "daemon shutting down");
        waiters_fail(&c->gone_waiters, "daemon shutting down");
        free(c->name);
        free(c->image_ref);
        free(c->image_lowerdir);
        container_config_clear(&c->config);
        free(c->signal);
        free(c->error);
        free(c->run_ports);
        for (size_t i = 0; i < c->n_port_fds; i++)
                safe_close(c->port_fds[i]);
        free(c->port_fds);
        free(c->dir);
        free(c->run_dir);
        free(c);
}
DEFINE_FREEP(struct container, container_free)

static int
add_waiter(struct waiter **list, struct request *req)
{
        struct waiter *w = calloc(1, sizeof(*w));

        if (!w)
                return -ENOMEM;
        w->req = req;
        w->next = *list;
        *list = w;
        return 0;
}

/* ---- lookup ---- */

static struct container *
find_by_name(struct container_manager *m, const char *name)
{
        for (struct container *c = m->containers; c; c = c->next)
                if (strcmp(c->name, name) == 0)
                        return c;
        return NULL;
}

struct container *
container_by_id(struct container_manager *m, const char *id)
{
        for (struct container *c = m->containers; c; c = c->next)
                if (strcmp(c->id, id) == 0)
                        return c;
        return NULL;
}

int
container_lookup(struct container_manager *m, const char *ref, struct container **ret,
                 struct ctr_error **err)
{
        struct container *found = NULL, *c;
        size_t n;

        if (!ref || !*ref)
                return ctr_error_msg(err, EINVAL, "container reference is empty");
        c = find_by_name(m, ref);
        if (c) {
                *ret = c;
                return 0;
        }
        if (id_prefix_is_valid(ref)) {
                n = strlen(ref);
                for (c = m->containers; c; c = c->next) {
                        if (strncmp(c->id, ref, n) != 0)
                                continue;
                        if (found)
                                return ctr_error_msg(err, EINVAL,
                                                     "container id prefix '%s' is ambiguous", ref);
                        found = c;
                }
        }
        if (!found)
                return ctr_error_msg(err, ENOENT, "no such container: %s", ref);
        *ret = found;
        return 0;
}

/* Looks up ref for an asynchronous operation; on failure answers req. */
struct container *
container_lookup_or_reply(struct container_manager *m, const char *ref, struct request *req)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        struct container *c = NULL;
        int r = container_lookup(m, ref, &c, &e);

        if (r < 0) {
                request_error_errno(req, r, e);
                return NULL;
        }
        if (c->removing) {
                request_errorf(req, PROTO_ERR_CONFLICT, "container %s is being removed", c->name);
                return NULL;
        }
        return c;
}

/* ---- names ---- */

static int
generate_name(struct container_manager *m, char **ret)
{
        static const char *const adj[] = {
                "admiring", "bold",    "brave",   "calm",     "clever",  "eager",   "elated",
                "festive",  "gentle",  "happy",   "jolly",    "keen",    "kind",    "lucid",
                "modest",   "nifty",   "quirky",  "serene",   "sharp",   "stoic",   "sweet",
                "tender",   "vibrant", "wizardly", "zealous", "focused", "great",   "upbeat",
        };
        static const char *const who[] = {
                "babbage", "bohr",    "curie",   "darwin",  "euler",    "fermi",    "gauss",
                "hopper",  "hypatia", "kepler",  "lamport", "lovelace", "mccarthy", "noether",
                "pascal",  "ritchie", "shannon", "thompson", "turing",  "wozniak",  "yalow",
        };
        char id[ID_HEX_LEN + 1];

        for (int attempt = 0; attempt < 100; attempt++) {
                unsigned long v;
                char buf[64];
                int r = id_generate(id);
                if (r < 0)
                        return r;
                v = strtoul(id + ID_HEX_LEN - 8, NULL, 16);
                if (attempt < 50)
                        snprintf(buf, sizeof(buf), "%s_%s", adj[v % ARRAY_SIZE(adj)],
                                 who[(v / ARRAY_SIZE(adj)) % ARRAY_SIZE(who)]);
                else
                        snprintf(buf, sizeof(buf), "%s_%s%lu", adj[v % ARRAY_SIZE(adj)],
                                 who[(v / ARRAY_SIZE(adj)) % ARRAY_SIZE(who)], v % 100);
                if (!find_by_name(m, buf)) {
                        *ret = strdup(buf);
                        return *ret ? 0 : -ENOMEM;
                }
        }
        return -EEXIST;
}

/* ---- create ---- */

static int
make_dirs(struct container *c, struct ctr_error **err)
{
        static const char *const subdirs[] = { "bundle", "upper", "work", "rootfs" };
        int r = mkdir_p(c->dir, 0700, err);

        for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(subdirs); i++) {
                _cleanup_free_ char *p = path_join(c->dir, subdirs[i]);
                if (!p)
                        return -ENOMEM;
                /* upper/ becomes the merged root's own mode: 0755 as "/"
                 * must be, or a non-root user cannot even look up /bin. */
                r = mkdir_p(p, strcmp(subdirs[i], "bundle") == 0 || strcmp(subdirs[i], "work") == 0
                                       ? 0700
                                       : 0755,
                            err);
        }
        return r;
}

int
container_create(struct container_manager *m, const struct container_create_params *p,
                 char ret_id[static ID_HEX_LEN + 1], char **ret_name, struct ctr_error **err)
{
        _cleanup_(container_freep) struct container *c = NULL;
        const struct image *img = NULL;
        char short_id[ID_SHORT_LEN + 1];
        uid_t uid;
        gid_t gid;
        int r;

        r = image_store_lookup(m->images, p->image, &img, err);
        if (r == -ENOENT)
                return ctr_error_msg(err, ENOENT, "no such image: %s", p->image);
        if (r < 0)
                return r;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->chan_fd = c->pidfd = c->oom_fd = -1;
        c->mgr = m;
        c->owner_uid = p->owner_uid;
        if (p->name) {
                struct container *other;
                if (!name_is_valid(p->name))
                        return ctr_error_msg(err, EINVAL,
                                             "invalid container name '%s': use [a-zA-Z0-9][a-zA-Z0-9_.-]*, "
                                             "at most %d characters",
                                             p->name, NAME_MAX_LEN);
                other = find_by_name(m, p->name);
                if (other)
                        return ctr_error_msg(err, EEXIST,
                                             "container name '%s' is already in use by %.12s",
                                             p->name, other->id);
                c->name = strdup(p->name);
        } else if ((r = generate_name(m, &c->name)) < 0)
                return ctr_error_sys(err, -r, "generate a container name");
        if (!c->name)
                return -ENOMEM;

        r = id_generate(c->id);
        if (r < 0)
                return ctr_error_sys(err, -r, "generate container id");
        memcpy(short_id, c->id, ID_SHORT_LEN);
        short_id[ID_SHORT_LEN] = '\0';
        r = container_config_build(p, img, short_id, &c->config, &uid, &gid, err);
        if (r >= 0)
                r = container_net_resolve(m, &c->config, err);
        if (r < 0)
                return r;
        if (c->config.log_max_size < 0)
                c->config.log_max_size = m->log_max_size;
        if (c->config.log_max_files < 1)
                c->config.log_max_files = m->log_max_files;
        memcpy(c->image_id, img->id, sizeof(c->image_id));
        /* As the user named it (Docker shows "busybox", not the image's
         * first tag): an image may carry several names. */
        c->image_ref = strdup(p->image);
        c->image_lowerdir = image_lowerdir(img);
        c->dir = path_join(m->containers_dir, c->id);
        c->run_dir = path_join(m->run_containers_dir, c->id);
        if (!c->image_ref || !c->image_lowerdir || !c->dir || !c->run_dir)
                return -ENOMEM;
        c->state = CONTAINER_CREATED;
        c->created_ns = now_ns();

        r = make_dirs(c, err);
        if (r >= 0)
                r = container_userns_create(c, err);
        if (r >= 0)
                r = container_spec_write(c, uid, gid, err);
        if (r >= 0)
                r = container_persist(c, err);
        if (r < 0) {
                container_userns_removed(c);
                (void) rm_rf(c->dir, NULL);
                (void) rm_rf(c->run_dir, NULL);
                return r;
        }
        c->next = m->containers;
        m->containers = c;
        memcpy(ret_id, c->id, ID_HEX_LEN + 1);
        *ret_name = strdup(c->name);
        container_emit_event(c, "create", NULL, p->owner_uid);
        TAKE_PTR(c);
        log_info("container %.12s created as %s", ret_id, *ret_name ? *ret_name : "?");
        return 0;
}

/* ---- state changes from the monitor ---- */

/* Safety net when the monitor could not clean up (it vanished): kills what
 * is left in the container's cgroup and removes it. A missing cgroup is
 * success, so this is cheap when there is nothing to do. */
static void
container_cgroup_cleanup(struct container *c)
{
        _cleanup_free_ char *cg = container_cgroup_path(c);
        _cleanup_error_ struct ctr_error *e = NULL;

        if (cg && cgroup_destroy(cg, &e) < 0)
                log_warning("container %.12s: remove cgroup: %s", c->id,
                            e ? e->message : "failed");
}

static json_t *
exit_result(const struct container *c)
{
        return json_pack("{s:s,s:o}", "id", c->id, "exit_code",
                         c->state == CONTAINER_EXITED ? json_integer(c->exit_code) : json_null());
}

/* Moves c to exited (once), answers everyone waiting for that, and starts
 * the removal if one is due. */
static void
container_finish(struct container *c, int exit_code, const char *sig, const char *error)
{
        struct request *start_req = TAKE_PTR(c->start_req);

        if (c->state != CONTAINER_RUNNING && !c->starting)
                return;
        /* A start that failed before the command ran is 125 (Docker's
         * "the runtime failed"), whatever the monitor recorded. */
        if (c->starting && exit_code == 0 && error)
                exit_code = 125;
        c->state = CONTAINER_EXITED;
        c->starting = false;
        c->exit_code = exit_code;
        free(c->signal);
        c->signal = sig ? strdup(sig) : NULL;
        free(c->error);
        c->error = error ? strdup(error) : NULL;
        c->finished_ns = now_ns();
        c->pid = 0;
        container_exec_forget_all(c);
        container_net_stopped(c);
        container_resources_stopped(c);
        container_persist_or_log(c);
        if (c->kill_timer)
                event_del(c->kill_timer);
        log_info("container %.12s (%s) exited with %d%s%s", c->id, c->name, exit_code,
                 error ? ": " : "", error ? error : "");
        {
                json_t *attrs = json_object();
                char code[16];
                snprintf(code, sizeof(code), "%d", exit_code);
                if (attrs) {
                        json_object_set_new(attrs, "exit_code", json_string(code));
                        if (sig)
                                json_object_set_new(attrs, "signal", json_string(sig));
                }
                container_emit_event(c, "die", attrs, (uid_t) -1);
                /* Docker's order: kill, die, then stop once it is down. */
                for (struct waiter *w = c->waiters; w; w = w->next)
                        if (strcmp(request_method(w->req), "container.stop") == 0) {
                                container_emit_event(c, "stop", NULL, request_peer_uid(w->req));
                                break;
                        }
        }

        if (start_req) {
                json_t *data = json_pack("{s:i}", "exit_code", exit_code);
                request_error(start_req, PROTO_ERR_INVALID,
                              error ? error : "the container exited before it started", data);
                json_decref(data);
        }
        while (c->waiters) {
                struct waiter *w = c->waiters;
                c->waiters = w->next;
                request_reply(w->req, exit_result(c));
                free(w);
        }
        if (c->config.auto_remove || c->remove_waiters)
                container_begin_removal(c);
}

void
container_on_created(struct container *c, pid_t pid)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        json_t *msg, *result;
        int fd = -1, r;
        uid_t uid = c->start_req ? request_peer_uid(c->start_req) : (uid_t) -1;

        if (!c->starting || pid <= 0)
                return;
        c->pid = pid;
        r = container_net_publish(c, &e);
        if (r < 0) {
                /* Finish first, so the start request hears why; closing the
                 * channel then makes the monitor kill the init. */
                container_on_error(c, 125, e ? e->message : "publish ports failed");
                monitor_client_disconnect(c);
                return;
        }
        msg = json_pack("{s:s,s:b}", "op", "start", "stdin",
                        c->start_attach && c->config.open_stdin);
        if (msg)
                monitor_client_winsize(msg, c->start_rows, c->start_cols);
        result = json_pack("{s:s,s:i}", "id", c->id, "pid", (int) pid);
        if (c->start_attach && c->start_req && !request_client_gone(c->start_req)) {
                /* The reply goes out before the monitor may send frames. */
                r = request_detach(TAKE_PTR(c->start_req), json_incref(result), &fd);
                if (r < 0)
                        log_warning_errno(r, "container %.12s: attach client lost", c->id);
        }
        r = monitor_client_send(c, msg, fd, &e);
        json_decref(msg);
        safe_close(fd);
        if (r < 0) {
                /* Closing the channel before "start" makes the monitor kill
                 * the init and exit; the pidfd then finishes the record. */
                log_error("container %.12s: %s", c->id, e ? e->message : "start failed");
                monitor_client_disconnect(c);
                json_decref(result);
                return;
        }
        c->state = CONTAINER_RUNNING;
        c->starting = false;
        c->started_ns = now_ns();
        c->exit_code = 0;
        container_resources_started(c, false);
        container_persist_or_log(c);
        log_info("container %.12s (%s) started, pid %d", c->id, c->name, (int) pid);
        container_emit_event(c, "start", NULL, uid);
        if (c->start_req)
                request_reply(TAKE_PTR(c->start_req), result);
        else
                json_decref(result);
}

void
container_on_error(struct container *c, int exit_code, const char *message)
{
        container_finish(c, exit_code, NULL, message);
}

void
container_on_exited(struct container *c)
{
        _cleanup_free_ char *path = path_join(c->run_dir, MONITOR_EXIT_FILE);
        _cleanup_free_ char *text = NULL;
        json_t *j = NULL;

        if (c->state != CONTAINER_RUNNING && !c->starting)
                return;
        if (path && read_file_full(path, 65536, &text, NULL, NULL) >= 0)
                j = json_loads(text, 0, NULL);
        if (j && json_is_integer(json_object_get(j, "exit_code"))) {
                /* Before the exit: "oom" comes before "die". */
                if (json_integer_value(json_object_get(j, "oom_kills")) > 0)
                        container_resources_exit_oom_kills(
                                c, (uint64_t) json_integer_value(json_object_get(j, "oom_kills")));
                container_finish(c, (int) json_integer_value(json_object_get(j, "exit_code")),
                                 json_string_value(json_object_get(j, "signal")),
                                 json_string_value(json_object_get(j, "message")));
        } else {
                container_finish(c, -1, NULL,
                                 c->starting ? "the monitor exited before the container started"
                                             : "monitor vanished");
                /* Nobody cleaned up after the container: do it now. */
                container_cgroup_cleanup(c);
        }
        json_decref(j);
}

/* ---- start ---- */

/* A start that failed before the monitor made the container. */
static void
start_failed(struct container *c, int r, const struct ctr_error *err)
{
        struct request *req = TAKE_PTR(c->start_req);

        c->starting = false;
        container_net_stopped(c);
        /* A first start that failed keeps no address either. */
        if (c->started_ns == 0)
                container_net_removed(c);
        request_error_errno(req, r, err);
}

/* The second half of start, once the network is ready (or failed). */
static void
start_spawn(struct container *c, int r, const struct ctr_error *err)
{
        _cleanup_error_ struct ctr_error *e = NULL;

        if (r >= 0)
                r = monitor_client_spawn(c, false, &e);
        if (r < 0) {
                start_failed(c, r, e ? e : err);
                return;
        }
        /* The record must name the monitor before anything else happens, so
         * a daemon restart can find it. */
        container_persist_or_log(c);
}

/* A bridge network's start: the monitor was spawned first and waits before
 * clone3 (--wait-network) while the network is made, so its exec, spec,
 * cgroup and seccomp work overlap the netlink work (bench/README.md,
 * "Network figures"). */
static void
start_network_ready(struct container *c, int r, const struct ctr_error *err)
{
        _cleanup_error_ struct ctr_error *e = NULL;

        if (r >= 0)
                r = monitor_client_network_ready(c, &e);
        if (r < 0) {
                /* The waiting monitor leaves, making nothing, when its
                 * channel closes; reaped once gone (reap_later() skips a
                 * starting container's monitor). */
                c->starting = false;
                monitor_client_unwatch(c);
                start_failed(c, r, e ? e : err);
        }
}

static void
start_overlapped(struct container *c)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        int r;

        /* The monitor reads config.json now: its netns path must be the
         * pin the attach makes (written at create; an older record may
         * lack it). */
        r = container_net_prepare_spec(c, &e);
        if (r >= 0)
                r = monitor_client_spawn(c, true, &e);
        if (r < 0) {
                start_failed(c, r, e);
                return;
        }
        container_persist_or_log(c);
        container_net_start(c, start_network_ready);
}

void
container_start(struct container_manager *m, const char *ref, bool attach, unsigned rows,
                unsigned cols, struct request *req)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        _cleanup_free_ char *exit_path = NULL;
        struct container *c = container_lookup_or_reply(m, ref, req);
        int r;

        if (!c)
                return;
        if (c->starting || c->state == CONTAINER_RUNNING) {
                request_errorf(req, PROTO_ERR_CONFLICT, "container %s is already running",
                               c->name);
                return;
        }
        r = mkdir_p(c->run_dir, 0755, &e);
        if (r < 0) {
                request_error_errno(req, r, e);
                return;
        }
        exit_path = path_join(c->run_dir, MONITOR_EXIT_FILE);
        if (exit_path)
                (void) unlink(exit_path);
        c->starting = true;
        c->start_attach = attach;
        c->start_rows = rows;
        c->start_cols = cols;
        c->start_req = req;
        if (c->config.net_mode == CONTAINER_NET_BRIDGE)
                start_overlapped(c);
        else
                container_net_start(c, start_spawn);
}

/* ---- attach ---- */

void
container_attach(struct container_manager *m, const char *ref, int stdin_mode, unsigned rows,
                 unsigned cols, struct request *req)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        struct container *c = container_lookup_or_reply(m, ref, req);
        json_t *msg;
        bool in;
        int fd = -1, r;

        if (!c)
                return;
        if (c->state != CONTAINER_RUNNING) {
                request_errorf(req, PROTO_ERR_CONFLICT, "container %s is not running", c->name);
                return;
        }
        in = stdin_mode < 0 ? c->config.open_stdin : stdin_mode > 0;
        if (in && !c->config.open_stdin) {
                request_errorf(req, PROTO_ERR_INVALID,
                               "container %s was created without open_stdin", c->name);
                return;
        }
        /* Connect before replying: a monitor we cannot reach gets an
         * error reply, not a success and a closed connection. */
        r = monitor_client_connect(c, &e);
        if (r < 0) {
                request_error_errno(req, r, e);
                return;
        }
        msg = json_pack("{s:s,s:b}", "op", "attach", "stdin", in);
        if (msg)
                monitor_client_winsize(msg, rows, cols);
        if (!msg) {
                request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                return;
        }
        /* The reply is written synchronously before the monitor may send
         * the first frame; then the connection belongs to the monitor. */
        r = request_detach(req, json_pack("{s:s,s:b,s:b}", "id", c->id, "tty", c->config.tty, "stdin", in),
                           &fd);
        if (r < 0) {
                json_decref(msg);
                log_debug("container %.12s: attach client lost: %s", c->id, strerror(-r));
                return;
        }
        r = monitor_client_send(c, msg, fd, &e);
        json_decref(msg);
        safe_close(fd);
        if (r < 0)
                log_warning("container %.12s: attach: %s", c->id, e ? e->message : "failed");
}

/* ---- signals, stop, kill ---- */

static void
kill_timer_cb(evutil_socket_t fd, short what, void *arg)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        struct container *c = arg;

        if (c->state != CONTAINER_RUNNING)
                return;
        log_info("container %.12s (%s) did not stop in time, sending SIGKILL", c->id, c->name);
        if (monitor_client_signal(c, SIGKILL, &e) < 0)
                log_error("container %.12s: %s", c->id, e ? e->message : "SIGKILL failed");
}

void
container_stop(struct container_manager *m, const char *ref, int timeout, struct request *req)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        struct container *c = container_lookup_or_reply(m, ref, req);
        struct timeval tv;
        int r;

        if (!c)
                return;
        if (c->state != CONTAINER_RUNNING) {
                request_errorf(req, PROTO_ERR_CONFLICT, "container %s is not running", c->name);
                return;
        }
        if (timeout < 0)
                timeout = m->stop_timeout;
        r = monitor_client_signal(c, timeout == 0 ? SIGKILL : c->config.stop_signal, &e);
        if (r < 0) {
                request_error_errno(req, r, e);
                return;
        }
        /* A frozen process gets the signal once thawed (Docker's order). */
        container_resources_thaw_after_signal(c);
        container_emit_event(c, "kill", signal_attributes(timeout == 0 ? SIGKILL : c->config.stop_signal),
                   request_peer_uid(req));
        if (add_waiter(&c->waiters, req) < 0) {
                request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                return;
        }
        if (!c->kill_timer)
                c->kill_timer = evtimer_new(m->base, kill_timer_cb, c);
        tv = (struct timeval){ .tv_sec = timeout };
        if (c->kill_timer && timeout > 0 && !evtimer_pending(c->kill_timer, NULL))
                evtimer_add(c->kill_timer, &tv);
}

int
container_kill(struct container_manager *m, const char *ref, int sig,
               char ret_id[static ID_HEX_LEN + 1], struct ctr_error **err)
{
        struct container *c = NULL;
        int r = container_lookup(m, ref, &c, err);

        if (r < 0)
                return r;
        if (c->state != CONTAINER_RUNNING)
                return ctr_error_msg(err, EBUSY, "container %s is not running", c->name);
        r = monitor_client_signal(c, sig, err);
        if (r < 0)
                return r;
        container_resources_thaw_after_signal(c);
        container_emit_event(c, "kill", signal_attributes(sig), (uid_t) -1);
        memcpy(ret_id, c->id, ID_HEX_LEN + 1);
        return 0;
}

/* ---- wait ---- */

static json_t *
removed_result(const char *id, bool has_exit_code, int exit_code)
{
        json_t *j = json_pack("{s:s,s:b}", "id", id, "removed", 1);

        if (j && has_exit_code)
                json_object_set_new(j, "exit_code", json_integer(exit_code));
        return j;
}

/* Remembers a removed container, overwriting the oldest tombstone. */
static void
tombstone_add(struct container_manager *m, const struct container *c)
{
        struct container_tombstone *t = &m->tombstones[m->next_tombstone];

        m->next_tombstone = (m->next_tombstone + 1) % CONTAINER_TOMBSTONES;
        memcpy(t->id, c->id, sizeof(t->id));
        snprintf(t->name, sizeof(t->name), "%s", c->name);
        t->has_exit_code = c->state == CONTAINER_EXITED;
        t->exit_code = c->exit_code;
}

/* The most recent tombstone whose name, id or id prefix is ref. */
static const struct container_tombstone *
tombstone_find(const struct container_manager *m, const char *ref)
{
        size_t n = strlen(ref);

        for (size_t k = 1; k <= CONTAINER_TOMBSTONES; k++) {
                const struct container_tombstone *t =
                        &m->tombstones[(m->next_tombstone + CONTAINER_TOMBSTONES - k) %
                                       CONTAINER_TOMBSTONES];
                if (!t->id[0])
                        break;
                if (strcmp(t->name, ref) == 0 ||
                    (id_prefix_is_valid(ref) && strncmp(t->id, ref, n) == 0))
                        return t;
        }
        return NULL;
}

/* condition=removed for a container that is not (or no longer) there:
 * answered at once, as Docker's wait?condition=removed does. */
static void
wait_gone_reply(struct container_manager *m, const char *ref, struct request *req)
{
        const struct container_tombstone *t = tombstone_find(m, ref);

        if (t)
                request_reply(req, removed_result(t->id, t->has_exit_code, t->exit_code));
        else
                request_reply(req, removed_result(ref, false, 0));
}

void
container_wait(struct container_manager *m, const char *ref,
               enum container_wait_condition condition, struct request *req)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        struct container *c = NULL;
        int r = container_lookup(m, ref, &c, &e);

        if (r == -ENOENT && condition == CONTAINER_WAIT_REMOVED) {
                wait_gone_reply(m, ref, req);
                return;
        }
        if (r < 0) {
                request_error_errno(req, r, e);
                return;
        }
        if (condition == CONTAINER_WAIT_REMOVED) {
                if (add_waiter(&c->gone_waiters, req) < 0)
                        request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                return;
        }
        if (c->state != CONTAINER_RUNNING && !c->starting) {
                request_reply(req, exit_result(c));
                return;
        }
        if (add_waiter(&c->waiters, req) < 0)
                request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
}

/* ---- remove ---- */

struct removal {
        struct container *c;
        char *dir;
        char *run_dir;
        char *cgroup;
        struct ctr_error *err;
};

/* Worker thread: no container, no loop, only the copied paths. */
static int
removal_work(void *userdata)
{
        struct removal *rm = userdata;
        struct ctr_error *cg_err = NULL;
        int r;

        /* The cgroup should be empty already; this is a safety net. */
        if (cgroup_destroy(rm->cgroup, &cg_err) < 0)
                log_warning("remove cgroup %s: %s", rm->cgroup,
                            cg_err ? cg_err->message : "failed");
        ctr_error_free(cg_err);
        r = rm_rf(rm->run_dir, &rm->err);
        if (r >= 0)
                r = rm_rf(rm->dir, &rm->err);
        return r;
}

/* The container stays: whoever waited for it to go hears why it did not. */
static void
removal_failed(struct container *c, int r, const struct ctr_error *e)
{
        c->removing = false;
        while (c->remove_waiters) {
                struct waiter *w = c->remove_waiters;
                c->remove_waiters = w->next;
                request_error_errno(w->req, r, e);
                free(w);
        }
        while (c->gone_waiters) {
                struct waiter *w = c->gone_waiters;
                c->gone_waiters = w->next;
                request_error_errno(w->req, r, e);
                free(w);
        }
}

static void
removal_done(int r, void *userdata)
{
        struct removal *rm = userdata;
        struct container *c = rm->c;
        struct container_manager *m = c->mgr;

        if (r < 0) {
                log_error("container %.12s: removal failed: %s", c->id,
                          rm->err ? rm->err->message : "error");
                removal_failed(c, r, rm->err);
        } else {
                for (struct container **p = &m->containers; *p; p = &(*p)->next)
                        if (*p == c) {
                                *p = c->next;
                                break;
                        }
                log_info("container %.12s (%s) removed", c->id, c->name);
                container_emit_event(c, "destroy", NULL,
                           c->remove_waiters ? request_peer_uid(c->remove_waiters->req)
                                             : (uid_t) -1);
                container_net_removed(c);
                container_userns_removed(c);
                tombstone_add(m, c);
                while (c->remove_waiters) {
                        struct waiter *w = c->remove_waiters;
                        c->remove_waiters = w->next;
                        request_reply(w->req, json_pack("{s:s}", "id", c->id));
                        free(w);
                }
                while (c->gone_waiters) {
                        struct waiter *w = c->gone_waiters;
                        c->gone_waiters = w->next;
                        request_reply(w->req, removed_result(c->id, c->state == CONTAINER_EXITED,
                                                             c->exit_code));
                        free(w);
                }
                container_free(c);
        }
        ctr_error_free(rm->err);
        free(rm->dir);
        free(rm->run_dir);
        free(rm->cgroup);
        free(rm);
}

static void removal_submit(int r, void *userdata);

/* The directory goes once the state writer has written every file of c
 * it was given (a barrier): a write after the removal's would recreate a
 * file in a directory being deleted. container_persist() writes nothing
 * once c->removing is set. */
static void
container_begin_removal(struct container *c)
{
        c->removing = true;
        monitor_client_unwatch(c);
        if (state_writer_barrier(c->mgr->writer, removal_submit, c) < 0)
                removal_submit(0, c);
}

static void
removal_submit(int r, void *userdata)
{
        struct container *c = userdata;
        struct removal *rm = calloc(1, sizeof(*rm));

        r = -ENOMEM;
        if (rm) {
                rm->c = c;
                rm->dir = strdup(c->dir);
                rm->run_dir = strdup(c->run_dir);
                rm->cgroup = container_cgroup_path(c);
                if (rm->dir && rm->run_dir && rm->cgroup)
                        r = worker_submit(c->mgr->workers, removal_work, removal_done, rm);
        }
        if (r < 0) {
                if (rm) {
                        free(rm->dir);
                        free(rm->run_dir);
                        free(rm->cgroup);
                        free(rm);
                }
                removal_failed(c, r, NULL);
        }
}

void
container_remove(struct container_manager *m, const char *ref, bool force, struct request *req)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        struct container *c = container_lookup_or_reply(m, ref, req);
        bool running;
        int r;

        if (!c)
                return;
        running = c->state == CONTAINER_RUNNING || c->starting;
        if (running && !force) {
                request_errorf(req, PROTO_ERR_CONFLICT,
                               "container %s is running: stop it first or use force", c->name);
                return;
        }
        if (add_waiter(&c->remove_waiters, req) < 0) {
                request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                return;
        }
        if (!running) {
                container_begin_removal(c);
                return;
        }
        if (c->starting) {
                /* Not started yet: dropping the channel makes the monitor
                 * kill the init; its exit then triggers the removal. */
                monitor_client_disconnect(c);
                return;
        }
        r = monitor_client_signal(c, SIGKILL, &e);
        if (r >= 0)
                container_resources_thaw_after_signal(c);
        if (r >= 0)
                container_emit_event(c, "kill", signal_attributes(SIGKILL), request_peer_uid(req));
        if (r < 0) {
                struct waiter *w = c->remove_waiters;
                c->remove_waiters = w->next;
                free(w);
                request_error_errno(req, r, e);
        }
}

/* ---- queries ---- */

json_t *
container_list_json(struct container_manager *m, bool all, uid_t owner)
{
        json_t *a = json_array();

        for (struct container *c = m->containers; c; c = c->next)
                if ((all || c->state == CONTAINER_RUNNING) &&
                    (owner == (uid_t) -1 || c->owner_uid == owner))
                        json_array_append_new(a, container_summary_json(c));
        return json_pack("{s:o}", "containers", a);
}

int
container_owner(struct container_manager *m, const char *ref, uid_t *ret_uid)
{
        struct container *c;
        int r = container_lookup(m, ref, &c, NULL);

        if (r < 0)
                return r;
        *ret_uid = c->owner_uid;
        return 0;
}

void
container_manager_counts(struct container_manager *m, struct container_counts *ret)
{
        *ret = (struct container_counts){ 0 };
        for (struct container *c = m->containers; c; c = c->next) {
                ret->total++;
                if (c->state == CONTAINER_RUNNING)
                        ret->running++;
                else if (c->state == CONTAINER_CREATED)
                        ret->created++;
                else
                        ret->exited++;
        }
}

bool
container_manager_image_in_use(struct container_manager *m, const char *image_id)
{
        for (struct container *c = m->containers; c; c = c->next)
                if (strcmp(c->image_id, image_id) == 0)
                        return true;
        return false;
}

bool
container_manager_uses_layer_dir(struct container_manager *m, const char *layer_dir)
{
        size_t n = strlen(layer_dir);

        for (struct container *c = m->containers; c; c = c->next) {
                /* Whole ':'-separated entries only: .../a/diff is not .../a/diff2. */
                for (const char *s = c->image_lowerdir; s && (s = strstr(s, layer_dir)); s += n)
                        if ((s == c->image_lowerdir || s[-1] == ':') && (s[n] == ':' || s[n] == 0))
                                return true;
        }
        return false;
}

/* ---- manager ---- */

/* After a daemon restart: re-adopt live monitors; a monitor that is gone
 * left exit.json (its exit code) or nothing (reboot: "monitor vanished"). */
static void
container_recover(struct container *c)
{
        if (c->state != CONTAINER_RUNNING)
                return;
        if (monitor_client_adopt(c) >= 0) {
                log_info("container %.12s (%s): re-adopted monitor %d", c->id, c->name,
                         (int) c->monitor_pid);
                container_exec_recover(c);
                container_resources_started(c, true);
                return;
        }
        container_on_exited(c);
        if (!c->removing)
                container_cgroup_cleanup(c);
}

int
container_manager_new(const struct container_manager_config *cfg,
                      struct container_manager **ret, struct ctr_error **err)
{
        struct container_manager *m = calloc(1, sizeof(*m));
        int r;

        if (!m)
                return -ENOMEM;
        m->base = cfg->base;
        m->workers = cfg->workers;
        m->images = cfg->images;
        m->networks = cfg->networks;
        m->events = cfg->events;
        m->stop_timeout = cfg->stop_timeout;
        m->log_max_size = cfg->log_max_size;
        m->log_max_files = cfg->log_max_files > 0 ? cfg->log_max_files : 1;
        m->root = strdup(cfg->root);
        m->run_root = strdup(cfg->run_root);
        m->cgroup_parent = strdup(cfg->cgroup_parent);
        m->log_level = strdup(cfg->log_level);
        m->containers_dir = path_join(cfg->root, "containers");
        m->run_containers_dir = path_join(cfg->run_root, "containers");
        if (cfg->monitor_path)
                m->monitor_path = strdup(cfg->monitor_path);
        else
                (void) monitor_client_find_binary(&m->monitor_path);
        if (!m->root || !m->run_root || !m->cgroup_parent || !m->log_level ||
            !m->containers_dir || !m->run_containers_dir || !m->monitor_path) {
                container_manager_free(m);
                return -ENOMEM;
        }
        r = state_writer_new(m->base, &m->writer);
        if (r < 0) {
                container_manager_free(m);
                return ctr_error_sys(err, -r, "start the state writer");
        }
        r = mkdir_p(m->containers_dir, 0700, err);
        if (r >= 0)
                r = mkdir_p(m->run_containers_dir, 0755, err);
        if (r >= 0)
                r = container_load_all(m, err);
        if (r >= 0)
                r = container_userns_manager_init(m, cfg->subuid_path, cfg->subgid_path, err);
        if (r < 0) {
                container_manager_free(m);
                return r;
        }
        for (struct container *c = m->containers, *next; c; c = next) {
                next = c->next; /* recovery may start a removal, never a free */
                container_recover(c);
        }
        if (m->networks)
                container_net_recover(m);
        log_debug("monitor binary: %s", m->monitor_path);
        *ret = m;
        return 0;
}

void
container_manager_free(struct container_manager *m)
{
        if (!m)
                return;
        /* First: the states written last reach the disk before the daemon
         * exits. */
        state_writer_free(m->writer);
        container_logs_free_all(m);
        container_stats_free_all(m);
        while (m->containers) {
                struct container *c = m->containers;
                m->containers = c->next;
                container_free(c);
        }
        free(m->root);
        free(m->run_root);
        free(m->containers_dir);
        free(m->run_containers_dir);
        free(m->cgroup_parent);
        free(m->log_level);
        free(m->monitor_path);
        container_userns_manager_free(m);
        free(m);
}
