/* The daemon's side of containerctl-monitor: spawning it (posix_spawn,
 * control socketpair on its fd 3), watching it through a pidfd (never
 * waitpid(-1)), reading its events, sending it commands, and reconnecting
 * to its monitor.sock after a daemon restart. State changes are left to
 * container.c through the container_on_*() calls. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "common/fs-util.h"
#include "common/log.h"
#include "daemon/container-record.h"
#include "daemon/monitor-client.h"
#include "daemon/ports.h"
#include "daemon/monitor/monitor-proto.h"

extern char **environ;

static int
pidfd_open_compat(pid_t pid)
{
        return (int) syscall(SYS_pidfd_open, pid, 0);
}

int
monitor_client_find_binary(char **ret)
{
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

        if (n > 0) {
                char *slash;
                self[n] = '\0';
                slash = strrchr(self, '/');
                if (slash) {
                        _cleanup_free_ char *p = NULL;
                        *slash = '\0';
                        p = path_join(self, "containerctl-monitor");
                        if (p && access(p, X_OK) == 0) {
                                *ret = TAKE_PTR(p);
                                return 0;
                        }
                }
        }
        *ret = strdup(PKGLIBEXECDIR "/containerctl-monitor");
        return *ret ? 0 : -ENOMEM;
}

int
monitor_client_proc_starttime(pid_t pid, uint64_t *ret)
{
        char path[64], buf[1024];
        _cleanup_close_ int fd = -1;
        ssize_t n;
        char *p;
        unsigned long long v;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return -EIO;
        buf[n] = '\0';
        /* comm may contain spaces and parentheses: skip to the last ')'.
         * Then fields 3.. follow; starttime is field 22. */
        p = strrchr(buf, ')');
        if (!p)
                return -EIO;
        p++;
        for (int field = 3; field <= 22; field++) {
                while (*p == ' ')
                        p++;
                if (field == 22)
                        break;
                p = strchr(p, ' ');
                if (!p)
                        return -EIO;
        }
        if (sscanf(p, "%llu", &v) != 1)
                return -EIO;
        *ret = v;
        return 0;
}

/* Replies to ops, as opposed to the unsolicited events (created, error,
 * exited, exec-exited). */
static bool
event_is_reply(const char *ev)
{
        static const char *const replies[] = { "ok", "failed", "started", "exec-started",
                                               "exec-failed", "exec-list", NULL };

        for (size_t i = 0; replies[i]; i++)
                if (strcmp(ev, replies[i]) == 0)
                        return true;
        return false;
}

static void
handle_reply(struct container *c, const char *ev, json_t *msg)
{
        struct monitor_call *call = c->calls;

        if (!call) {
                log_debug("container %.12s: unexpected monitor reply %s", c->id, ev);
                return;
        }
        c->calls = call->next;
        if (!c->calls)
                c->calls_tail = NULL;
        if (call->cb)
                call->cb(c, msg, call->userdata);
        else if (strcmp(ev, "failed") == 0) {
                const char *m = json_string_value(json_object_get(msg, "message"));
                log_warning("container %.12s: monitor: %s", c->id, m ? m : "command failed");
        }
        free(call);
}

static void
handle_event(struct container *c, json_t *msg)
{
        const char *ev = json_string_value(json_object_get(msg, "event"));

        if (!ev) {
                log_warning("container %.12s: monitor sent a message without event", c->id);
                return;
        }
        if (event_is_reply(ev)) {
                handle_reply(c, ev, msg);
        } else if (strcmp(ev, "exec-exited") == 0) {
                const char *id = json_string_value(json_object_get(msg, "exec_id"));
                json_t *code = json_object_get(msg, "exit_code");
                if (id)
                        container_on_exec_exited(c, id,
                                                 json_is_integer(code)
                                                         ? (int) json_integer_value(code)
                                                         : -1);
        } else if (strcmp(ev, "created") == 0) {
                json_int_t pid = json_integer_value(json_object_get(msg, "pid"));
                container_on_created(c, (pid_t) pid);
        } else if (strcmp(ev, "error") == 0) {
                json_t *code = json_object_get(msg, "exit_code");
                const char *m = json_string_value(json_object_get(msg, "message"));
                container_on_error(c, json_is_integer(code) ? (int) json_integer_value(code) : 125,
                                   m ? m : "container creation failed");
        } else if (strcmp(ev, "exited") == 0) {
                container_on_exited(c);
        } else {
                log_debug("container %.12s: monitor event %s", c->id, ev);
        }
}

static void
chan_cb(evutil_socket_t fd, short what, void *arg)
{
        struct container *c = arg;

        for (int i = 0; i < 32; i++) {
                json_t *msg = NULL;
                int r = monitor_msg_recv(fd, &msg, NULL);
                if (r == -EAGAIN)
                        return;
                if (r == -EBADMSG) {
                        log_warning("container %.12s: malformed message from monitor", c->id);
                        continue;
                }
                if (r < 0) {
                        /* EOF: the monitor is gone or closed the channel;
                         * the pidfd (or exit.json) says how it ended. */
                        monitor_client_disconnect(c);
                        if (c->pidfd < 0)
                                container_on_exited(c);
                        return;
                }
                handle_event(c, msg);
                json_decref(msg);
                if (c->chan_fd != fd)
                        return; /* disconnected or freed meanwhile */
        }
}

static void
pidfd_cb(evutil_socket_t fd, short what, void *arg)
{
        struct container *c = arg;

        /* Reap if it is our child; ECHILD after a daemon restart. */
        if (c->monitor_is_child)
                (void) waitpid(c->monitor_pid, NULL, WNOHANG);
        event_free(c->pidfd_ev);
        c->pidfd_ev = NULL;
        c->pidfd = safe_close(c->pidfd);
        /* Drain anything the monitor said before it died. */
        if (c->chan_fd >= 0)
                chan_cb(c->chan_fd, EV_READ, c);
        if (c->pidfd < 0 && c->chan_fd >= 0)
                monitor_client_disconnect(c);
        container_on_exited(c);
}

static int
watch_chan(struct container *c, int fd)
{
        c->chan_fd = fd;
        c->chan_ev = event_new(c->mgr->base, fd, EV_READ | EV_PERSIST, chan_cb, c);
        if (!c->chan_ev || event_add(c->chan_ev, NULL) < 0)
                return -ENOMEM;
        return 0;
}

static int
watch_pidfd(struct container *c, int pidfd)
{
        c->pidfd = pidfd;
        c->pidfd_ev = event_new(c->mgr->base, pidfd, EV_READ, pidfd_cb, c);
        if (!c->pidfd_ev || event_add(c->pidfd_ev, NULL) < 0)
                return -ENOMEM;
        return 0;
}

void
monitor_client_disconnect(struct container *c)
{
        struct monitor_call *calls = TAKE_PTR(c->calls);

        c->calls_tail = NULL;
        if (c->chan_ev) {
                event_free(c->chan_ev);
                c->chan_ev = NULL;
        }
        c->chan_fd = safe_close(c->chan_fd);
        /* The replies will never come: every waiter hears so (callbacks
         * may send again, on a new connection). */
        while (calls) {
                struct monitor_call *call = calls;
                calls = call->next;
                if (call->cb)
                        call->cb(c, NULL, call->userdata);
                free(call);
        }
}

/* A monitor we spawned that is still exiting when its container stops
 * being watched (removal right after the exit event): reaped when its
 * pidfd fires, so it never lingers as a zombie of the daemon. */
struct reaper {
        pid_t pid;
        int pidfd;
        struct event *ev;
};

static void
reaper_cb(evutil_socket_t fd, short what, void *arg)
{
        struct reaper *r = arg;

        (void) waitpid(r->pid, NULL, WNOHANG);
        event_free(r->ev);
        safe_close(r->pidfd);
        free(r);
}

static void
reap_later(struct container *c)
{
        struct reaper *r;

        /* A running container's monitor outlives the daemon: not ours to reap. */
        if (c->state == CONTAINER_RUNNING || c->starting || !c->monitor_is_child ||
            c->monitor_pid <= 0 || c->pidfd < 0 || waitpid(c->monitor_pid, NULL, WNOHANG) != 0)
                return;
        r = calloc(1, sizeof(*r));
        if (!r)
                return;
        r->pid = c->monitor_pid;
        r->pidfd = c->pidfd;
        r->ev = event_new(c->mgr->base, r->pidfd, EV_READ, reaper_cb, r);
        if (!r->ev || event_add(r->ev, NULL) < 0) {
                if (r->ev)
                        event_free(r->ev);
                free(r);
                return;
        }
        c->pidfd = -1; /* the reaper's now */
}

void
monitor_client_unwatch(struct container *c)
{
        monitor_client_disconnect(c);
        if (c->pidfd_ev) {
                event_free(c->pidfd_ev);
                c->pidfd_ev = NULL;
                reap_later(c);
        }
        c->pidfd = safe_close(c->pidfd);
}

int
monitor_client_spawn(struct container *c, bool wait_network, struct ctr_error **err)
{
        struct container_manager *m = c->mgr;
        _cleanup_free_ char *bundle = path_join(c->dir, "bundle");
        _cleanup_free_ char *log = path_join(c->dir, "console.log");
        _cleanup_close_ int parent_fd = -1, child_fd = -1, pidfd = -1;
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t none, all;
        int sv[2], r;
        pid_t pid;
        char max_size[32], max_files[16];
        char *argv[20] = {
                m->monitor_path, "--id", c->id, "--bundle", bundle, "--run-dir", c->run_dir,
                "--log", log, "--log-level", m->log_level, "--log-max-size", max_size,
                "--log-max-files", max_files,
        };
        size_t argc = 15;

        snprintf(max_size, sizeof(max_size), "%lld", (long long) c->config.log_max_size);
        snprintf(max_files, sizeof(max_files), "%d", c->config.log_max_files);
        if (c->config.tty)
                argv[argc++] = "--tty";
        if (c->config.open_stdin)
                argv[argc++] = "--stdin";
        if (wait_network)
                argv[argc++] = "--wait-network";
        argv[argc] = NULL;

        if (!bundle || !log)
                return ctr_error_sys(err, ENOMEM, "spawn monitor");
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return ctr_error_sys(err, errno, "socketpair for the monitor");
        parent_fd = sv[0];
        /* Keep the child's end away from fd 3 itself: dup2(3, 3) would not
         * clear its close-on-exec flag. */
        child_fd = fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
        safe_close(sv[1]);
        if (child_fd < 0)
                return ctr_error_sys(err, errno, "dup monitor socket");
        if (fcntl(parent_fd, F_SETFL, O_NONBLOCK) < 0)
                return ctr_error_sys(err, errno, "set monitor socket non-blocking");

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, child_fd, MONITOR_CONTROL_FD);
        posix_spawnattr_init(&attr);
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &all);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        r = posix_spawn(&pid, m->monitor_path, &fa, &attr, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        if (r != 0)
                return ctr_error_sys(err, r, "spawn `%s`", m->monitor_path);
        child_fd = safe_close(child_fd);

        pidfd = pidfd_open_compat(pid);
        if (pidfd < 0) {
                r = -errno;
                kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return ctr_error_sys(err, -r, "pidfd_open monitor %d", (int) pid);
        }
        c->monitor_pid = pid;
        c->monitor_is_child = true;
        c->monitor_starttime = 0;
        (void) monitor_client_proc_starttime(pid, &c->monitor_starttime);
        if (watch_chan(c, TAKE_FD(parent_fd)) < 0 || watch_pidfd(c, TAKE_FD(pidfd)) < 0) {
                monitor_client_unwatch(c);
                kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return ctr_error_msg(err, ENOMEM, "watch monitor");
        }
        log_debug("container %.12s: monitor pid %d", c->id, (int) pid);
        return 0;
}

int
monitor_client_adopt(struct container *c)
{
        uint64_t st = 0;
        int pidfd, r;

        if (c->monitor_pid <= 0)
                return -ESRCH;
        r = monitor_client_proc_starttime(c->monitor_pid, &st);
        if (r < 0 || st != c->monitor_starttime)
                return -ESRCH;
        pidfd = pidfd_open_compat(c->monitor_pid);
        if (pidfd < 0)
                return -ESRCH;
        /* Check again: the pid may have been reused between the two. */
        if (monitor_client_proc_starttime(c->monitor_pid, &st) < 0 || st != c->monitor_starttime) {
                safe_close(pidfd);
                return -ESRCH;
        }
        c->monitor_is_child = false;
        if (watch_pidfd(c, pidfd) < 0) {
                monitor_client_unwatch(c);
                return -ENOMEM;
        }
        return 0;
}

static int
monitor_connect(struct container *c, struct ctr_error **err)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_free_ char *path = path_join(c->run_dir, MONITOR_SOCKET_NAME);
        _cleanup_close_ int fd = -1, dfd = -1;

        if (!path)
                return -ENOMEM;
        /* <run-root>/containers/<64 hex id>/monitor.sock easily exceeds
         * sun_path (108 bytes): go through an O_PATH fd of the directory. */
        dfd = open(c->run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return ctr_error_sys(err, errno, "open `%s`", c->run_dir);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dfd,
                 MONITOR_SOCKET_NAME);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return ctr_error_sys(err, errno, "socket");
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return ctr_error_sys(err, errno, "connect to monitor `%s`", path);
        if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
                return ctr_error_sys(err, errno, "set monitor socket non-blocking");
        if (watch_chan(c, fd) < 0) {
                TAKE_FD(fd);
                monitor_client_disconnect(c);
                return -ENOMEM;
        }
        TAKE_FD(fd);
        return 0;
}

void
monitor_client_winsize(json_t *msg, unsigned rows, unsigned cols)
{
        if (rows == 0 || cols == 0)
                return;
        json_object_set_new(msg, "rows", json_integer(rows));
        json_object_set_new(msg, "cols", json_integer(cols));
}

int
monitor_client_connect(struct container *c, struct ctr_error **err)
{
        return c->chan_fd >= 0 ? 0 : monitor_connect(c, err);
}

int
monitor_client_call(struct container *c, json_t *msg, int fd, monitor_reply_fn cb,
                    void *userdata, struct ctr_error **err)
{
        return monitor_client_call_fds(c, msg, &fd, fd >= 0 ? 1 : 0, cb, userdata, err);
}

int
monitor_client_call_fds(struct container *c, json_t *msg, const int *fds, size_t nfds,
                        monitor_reply_fn cb, void *userdata, struct ctr_error **err)
{
        struct monitor_call *call;
        int r;

        if (c->chan_fd < 0) {
                r = monitor_connect(c, err);
                if (r < 0)
                        return r;
        }
        call = calloc(1, sizeof(*call));
        if (!call)
                return ctr_error_sys(err, ENOMEM, "send to the monitor of %.12s", c->id);
        r = monitor_msg_send_fds(c->chan_fd, msg, fds, nfds);
        if (r < 0) {
                free(call);
                return ctr_error_sys(err, -r, "send to the monitor of %.12s", c->id);
        }
        call->cb = cb;
        call->userdata = userdata;
        if (c->calls_tail)
                c->calls_tail->next = call;
        else
                c->calls = call;
        c->calls_tail = call;
        return 0;
}

int
monitor_client_network_ready(struct container *c, struct ctr_error **err)
{
        json_t *msg = json_pack("{s:s}", "op", "network");
        int r;

        if (!msg)
                return ctr_error_sys(err, ENOMEM, "tell the monitor of %.12s", c->id);
        r = c->chan_fd >= 0 ? monitor_msg_send(c->chan_fd, msg, -1) : -ENOTCONN;
        json_decref(msg);
        if (r < 0)
                return ctr_error_sys(err, -r, "tell the monitor of %.12s that its network is ready", c->id);
        return 0;
}

int
monitor_client_send(struct container *c, json_t *msg, int fd, struct ctr_error **err)
{
        return monitor_client_call(c, msg, fd, NULL, NULL, err);
}

int
monitor_client_signal(struct container *c, int sig, struct ctr_error **err)
{
        json_t *msg = json_pack("{s:s,s:i}", "op", "signal", "signal", sig);
        int r;

        if (!msg)
                return -ENOMEM;
        r = monitor_client_send(c, msg, -1, err);
        json_decref(msg);
        return r;
}

static void
publish_reply(struct container *c, json_t *reply, void *userdata)
{
        const char *ev = json_string_value(json_object_get(reply, "event"));
        const char *m = json_string_value(json_object_get(reply, "message"));

        if (reply && ev && strcmp(ev, "failed") == 0)
                log_warning("container %.12s: published ports are not relayed: %s", c->id,
                            m ? m : "the monitor refused them");
}

int
monitor_client_publish(struct container *c, const char *address, const struct port_mapping *ports,
                       size_t n, const int *fds, struct ctr_error **err)
{
        /* SCM_RIGHTS carries at most MONITOR_MSG_MAX_FDS fds per packet:
         * more ports go in several ops, each with its slice of the list. */
        if (!address)
                return ctr_error_msg(err, EINVAL, "publish ports of %.12s: no container address", c->id);
        for (size_t off = 0; off < n; off += MONITOR_MSG_MAX_FDS) {
                size_t k = n - off < MONITOR_MSG_MAX_FDS ? n - off : MONITOR_MSG_MAX_FDS;
                json_t *list = ports_to_json(ports + off, k);
                json_t *msg = list ? json_pack("{s:s, s:s, s:o}", "op", "publish", "address", address,
                                               "ports", list)
                                   : NULL;
                int r;

                if (!msg)
                        return ctr_error_sys(err, ENOMEM, "publish ports of %.12s", c->id);
                r = monitor_client_call_fds(c, msg, fds + off, k, publish_reply, NULL, err);
                json_decref(msg);
                if (r < 0)
                        return r;
        }
        return 0;
}
