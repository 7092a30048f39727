/* containerctl-monitor: one per container. Creates the container init
 * through daemon/runtime, holds its stdout/stderr pipes, writes the CRI log,
 * streams frames to attached clients, serves start/attach/signal on fd 3 and
 * <run-dir>/monitor.sock, records the exit in exit.json and removes the
 * cgroup. Single-threaded, one poll() loop; outlives a daemon restart. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fs-util.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/time-util.h"
#include "daemon/cgroup/cgroup.h"
#include "daemon/monitor/monitor-proto.h"
#include "daemon/monitor/monitor.h"
#include "daemon/runtime/runtime.h"
#include "proto/proto.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define CONNS_MAX 8
#define DRAIN_MS 200
#define FLUSH_MS 500
#define READ_CHUNK 65536

struct monitor {
        const char *id, *bundle, *run_dir, *log_path;
        char *sock_path;
        int ctl_fd;            /* fd 3: the spawn socketpair, -1 once closed */
        int listen_fd;         /* monitor.sock */
        int conns[CONNS_MAX];  /* control connections accepted on monitor.sock */
        size_t n_conns;
        int out_fd, err_fd;    /* read ends of the container's stdout/stderr, -1 at EOF */
        int log_fd;
        int sigchld_fd;
        struct runtime_spec *spec;
        struct runtime_container *ctr;
        pid_t pid;
        int pidfd;
        bool started, log_failed;
        char *message;         /* why the container ended badly (exec failure) */
        struct frame_clients clients;
};

static void
usage(FILE *f)
{
        fputs("Usage: containerctl-monitor --id ID --bundle DIR --run-dir DIR --log FILE [--log-level LEVEL]\n"
              "Spawns and babysits one container; fd 3 is the control socket to containerctld.\n", f);
}

static void
send_event(struct monitor *m, int fd, json_t *ev)
{
        int r;

        if (!ev || fd < 0)
                goto out;
        r = monitor_msg_send(fd, ev, -1);
        if (r < 0)
                log_debug_errno(r, "send event");
out:
        json_decref(ev);
}

static void
reply_failed(struct monitor *m, int fd, const char *msg)
{
        send_event(m, fd, json_pack("{s:s, s:s}", "event", "failed", "message", msg));
}

static void
cgroup_cleanup(struct monitor *m)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        const char *path = m->spec ? runtime_spec_cgroups_path(m->spec) : NULL;

        if (path && cgroup_destroy(path, &err) < 0)
                log_warning("%s", err->message);
}

static int
pidfd_signal(int pidfd, int sig)
{
        return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? negative_errno() : 0;
}

/* Reaps children other than the init (we are a subreaper). The init is
 * reaped through its pidfd; WNOWAIT peeks so we never take it here. */
static void
reap_others(struct monitor *m)
{
        for (;;) {
                siginfo_t si = {};
                if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
                        return;
                if (si.si_pid == m->pid && m->pidfd >= 0)
                        return;
                (void) waitpid(si.si_pid, NULL, WNOHANG);
        }
}

/* Reads one chunk from a stream; logs it and frames it. Returns false at EOF. */
static bool
pump(struct monitor *m, int *fd, const char *stream, uint8_t frame_type)
{
        static char buf[READ_CHUNK];
        ssize_t n = read(*fd, buf, sizeof(buf));
        int r;

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return true;
        if (n <= 0) {
                *fd = safe_close(*fd);
                return false;
        }
        r = cri_log_write(m->log_fd, now_ns(), stream, buf, (size_t) n);
        if (r < 0 && !m->log_failed) {
                log_warning_errno(r, "write log `%s`", m->log_path);
                m->log_failed = true;
        }
        frame_clients_send(&m->clients, frame_type, buf, (size_t) n);
        return true;
}

static void
handle_command(struct monitor *m, int fd, json_t *msg, int passed_fd)
{
        const char *op = json_string_value(json_object_get(msg, "op"));
        _cleanup_close_ int pfd = passed_fd;
        _cleanup_error_ struct ctr_error *err = NULL;
        int r;

        if (!op) {
                reply_failed(m, fd, "command without `op`");
        } else if (strcmp(op, "start") == 0) {
                if (m->started) {
                        reply_failed(m, fd, "container already started");
                        return;
                }
                if (pfd >= 0 && frame_clients_add(&m->clients, TAKE_FD(pfd)) < 0)
                        log_warning("too many attached clients, start client not attached");
                m->started = true;
                r = runtime_start(m->ctr, &err);
                if (r < 0) {
                        const char *why = err ? err->message : strerror(-r);
                        free(m->message);
                        m->message = strdup(why);
                        reply_failed(m, fd, why);
                        return;
                }
                send_event(m, fd, json_pack("{s:s}", "event", "started"));
        } else if (strcmp(op, "attach") == 0) {
                if (pfd < 0) {
                        reply_failed(m, fd, "attach needs a connection (SCM_RIGHTS)");
                        return;
                }
                if (frame_clients_add(&m->clients, TAKE_FD(pfd)) < 0) {
                        reply_failed(m, fd, "too many attached clients");
                        return;
                }
                send_event(m, fd, json_pack("{s:s}", "event", "ok"));
        } else if (strcmp(op, "signal") == 0) {
                json_t *s = json_object_get(msg, "signal");
                json_int_t sig = json_is_integer(s) ? json_integer_value(s) : 0;
                char why[128];

                if (sig < 1 || sig > 64) {
                        reply_failed(m, fd, "`signal` must be an integer 1-64");
                        return;
                }
                r = m->pidfd >= 0 ? pidfd_signal(m->pidfd, (int) sig) : -ESRCH;
                if (r < 0) {
                        snprintf(why, sizeof(why), "signal %d to pid %d: %s", (int) sig, (int) m->pid, strerror(-r));
                        reply_failed(m, fd, why);
                        return;
                }
                send_event(m, fd, json_pack("{s:s}", "event", "ok"));
        } else {
                char why[128];
                snprintf(why, sizeof(why), "unknown op `%.64s`", op);
                reply_failed(m, fd, why);
        }
}

/* The spawn channel closed before start: nobody will start this container. */
static _noreturn_ void
abandon(struct monitor *m)
{
        siginfo_t si;

        log_info("daemon went away before start, killing the container");
        (void) pidfd_signal(m->pidfd, SIGKILL);
        (void) waitid(P_PIDFD, (id_t) m->pidfd, &si, WEXITED);
        cgroup_cleanup(m);
        unlink(m->sock_path);
        _exit(0);
}

/* Reads one command from a control fd. Returns false if fd hit EOF/error. */
static bool
read_command(struct monitor *m, int fd)
{
        json_t *msg = NULL;
        int passed = -1;
        int r = monitor_msg_recv(fd, &msg, &passed);

        if (r == -EAGAIN)
                return true;
        if (r == -EBADMSG || r == -EMSGSIZE) {
                reply_failed(m, fd, "malformed command: expected one JSON object");
                return true;
        }
        if (r < 0)
                return false;
        handle_command(m, fd, msg, passed);
        json_decref(msg);
        return true;
}

static void
accept_conn(struct monitor *m)
{
        int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);

        if (fd < 0)
                return;
        if (m->n_conns == CONNS_MAX) {
                log_warning("too many control connections on %s", m->sock_path);
                safe_close(fd);
                return;
        }
        m->conns[m->n_conns++] = fd;
}

/* <run-dir>/monitor.sock easily exceeds the 108 bytes of sun_path (a
 * 64-hex id under a temp dir), so bind through an O_PATH fd of the run dir:
 * "/proc/self/fd/N/monitor.sock" is short whatever the run dir is. The
 * daemon connects the same way (daemon/monitor-client.c). */
static int
listen_socket(struct monitor *m, struct ctr_error **err)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int dfd = -1;
        mode_t old;
        int r;

        dfd = open(m->run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return ctr_error_sys(err, errno, "open `%s`", m->run_dir);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dfd, MONITOR_SOCKET_NAME);
        m->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (m->listen_fd < 0)
                return ctr_error_sys(err, errno, "socket");
        (void) unlink(m->sock_path);
        old = umask(0177);
        r = bind(m->listen_fd, (struct sockaddr *) &sa, sizeof(sa));
        umask(old);
        if (r < 0)
                return ctr_error_sys(err, errno, "bind `%s`", m->sock_path);
        if (listen(m->listen_fd, 8) < 0)
                return ctr_error_sys(err, errno, "listen `%s`", m->sock_path);
        return 0;
}

/* Polls only the pipes and the clients' output until the deadline. */
static void
drain_and_flush(struct monitor *m, bool pipes, int64_t deadline_ms)
{
        for (;;) {
                struct pollfd p[2 + FRAME_CLIENTS_MAX];
                size_t n = 0, first_client;
                int64_t left = deadline_ms - now_monotonic_ms();

                if (pipes && m->out_fd >= 0)
                        p[n++] = (struct pollfd){ .fd = m->out_fd, .events = POLLIN };
                if (pipes && m->err_fd >= 0)
                        p[n++] = (struct pollfd){ .fd = m->err_fd, .events = POLLIN };
                first_client = n;
                for (size_t i = 0; i < m->clients.n; i++)
                        p[n++] = (struct pollfd){ .fd = m->clients.c[i].fd,
                                                  .events = m->clients.c[i].off < m->clients.c[i].len ? POLLOUT : 0 };
                if (first_client == 0 && !frame_clients_pending(&m->clients))
                        return;
                if (left <= 0 || poll(p, n, (int) left) <= 0)
                        return;
                for (size_t i = 0; i < first_client; i++) {
                        if (!p[i].revents)
                                continue;
                        if (p[i].fd == m->out_fd)
                                pump(m, &m->out_fd, "stdout", PROTO_FRAME_STDOUT);
                        else if (p[i].fd == m->err_fd)
                                pump(m, &m->err_fd, "stderr", PROTO_FRAME_STDERR);
                }
                /* pump() may have dropped clients: match by fd. */
                for (size_t k = n; k-- > first_client;) {
                        size_t i = k - first_client;
                        if (!p[k].revents || i >= m->clients.n || m->clients.c[i].fd != p[k].fd)
                                continue;
                        if (p[k].revents & (POLLERR | POLLHUP))
                                frame_clients_drop(&m->clients, i);
                        else
                                frame_clients_flush_one(&m->clients, i);
                }
        }
}

static _noreturn_ void
finish(struct monitor *m)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        _cleanup_free_ char *exit_path = NULL, *text = NULL;
        const char *signame = NULL;
        char ts[64];
        siginfo_t si = {};
        int64_t ns;
        int code;
        json_t *rec, *frame, *ev;

        if (waitid(P_PIDFD, (id_t) m->pidfd, &si, WEXITED) < 0)
                log_warning("reap pid %d: %m", (int) m->pid);
        ns = now_ns();
        m->pidfd = -1; /* owned by the runtime container */
        if (si.si_code == CLD_EXITED)
                code = si.si_status;
        else {
                code = 128 + si.si_status;
                signame = signal_to_name(si.si_status);
        }
        log_debug("container init %d exited with %d", (int) m->pid, code);

        /* Orphans may hold the pipes open: drain, but not forever. */
        drain_and_flush(m, true, now_monotonic_ms() + DRAIN_MS);
        m->out_fd = safe_close(m->out_fd);
        m->err_fd = safe_close(m->err_fd);

        format_rfc3339(ns, ts, sizeof(ts));
        rec = json_pack("{s:i, s:s?, s:s, s:I, s:s?}", "exit_code", code, "signal", signame, "finished_at", ts,
                        "finished_ns", (json_int_t) ns, "message", m->message);
        if (!signame && rec)
                json_object_set_new(rec, "signal", json_null());
        if (!m->message && rec)
                json_object_set_new(rec, "message", json_null());
        text = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
        exit_path = path_join(m->run_dir, MONITOR_EXIT_FILE);
        if (!text || !exit_path || write_file_atomic(exit_path, text, strlen(text), 0644, &err) < 0)
                log_error("record exit: %s", err ? err->message : "out of memory");
        json_decref(rec);

        frame = json_pack("{s:i, s:s*}", "exit_code", code, "signal", signame);
        free(text);
        text = frame ? json_dumps(frame, JSON_COMPACT) : NULL;
        json_decref(frame);
        if (text) {
                frame_clients_send(&m->clients, PROTO_FRAME_EXIT, text, strlen(text));
                drain_and_flush(m, false, now_monotonic_ms() + FLUSH_MS);
        }
        frame_clients_free(&m->clients);

        /* The cgroup goes before "exited", so whoever hears it finds the
         * container fully gone. */
        cgroup_cleanup(m);
        unlink(m->sock_path);
        ev = json_pack("{s:s, s:i, s:s*, s:s*}", "event", "exited", "exit_code", code, "signal", signame,
                       "message", m->message);
        for (size_t i = 0; ev && i < m->n_conns; i++)
                (void) monitor_msg_send(m->conns[i], ev, -1);
        if (m->ctl_fd >= 0)
                (void) monitor_msg_send(m->ctl_fd, ev, -1);
        json_decref(ev);
        _exit(0);
}

static void
loop(struct monitor *m)
{
        for (;;) {
                struct pollfd p[6 + CONNS_MAX + FRAME_CLIENTS_MAX];
                enum { T_CTL, T_LISTEN, T_CONN, T_OUT, T_ERR, T_PIDFD, T_SIGCHLD, T_CLIENT } tag[ARRAY_SIZE(p)];
                size_t idx[ARRAY_SIZE(p)], n = 0;

#define ADD(f, ev, t, i) do { p[n] = (struct pollfd){ .fd = (f), .events = (ev) }; tag[n] = (t); idx[n] = (i); n++; } while (0)
                if (m->ctl_fd >= 0)
                        ADD(m->ctl_fd, POLLIN, T_CTL, 0);
                ADD(m->listen_fd, POLLIN, T_LISTEN, 0);
                for (size_t i = 0; i < m->n_conns; i++)
                        ADD(m->conns[i], POLLIN, T_CONN, i);
                if (m->out_fd >= 0)
                        ADD(m->out_fd, POLLIN, T_OUT, 0);
                if (m->err_fd >= 0)
                        ADD(m->err_fd, POLLIN, T_ERR, 0);
                ADD(m->pidfd, POLLIN, T_PIDFD, 0);
                ADD(m->sigchld_fd, POLLIN, T_SIGCHLD, 0);
                for (size_t i = 0; i < m->clients.n; i++) {
                        const struct frame_client *c = &m->clients.c[i];
                        ADD(c->fd, (c->read_eof ? 0 : POLLIN) | (c->off < c->len ? POLLOUT : 0), T_CLIENT, i);
                }
#undef ADD
                if (poll(p, n, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        log_error("poll: %m");
                        return;
                }
                /* Output first, so nothing written before the exit is lost. */
                for (size_t k = 0; k < n; k++) {
                        if (!p[k].revents)
                                continue;
                        if (tag[k] == T_OUT)
                                pump(m, &m->out_fd, "stdout", PROTO_FRAME_STDOUT);
                        else if (tag[k] == T_ERR)
                                pump(m, &m->err_fd, "stderr", PROTO_FRAME_STDERR);
                }
                /* Clients and connections in reverse, so drops do not shift
                 * the indices still to visit. */
                for (size_t k = n; k-- > 0;) {
                        if (!p[k].revents)
                                continue;
                        switch (tag[k]) {
                        case T_CLIENT:
                                /* pump() may have dropped clients: match by fd. */
                                if (idx[k] >= m->clients.n || m->clients.c[idx[k]].fd != p[k].fd)
                                        break;
                                if ((p[k].revents & POLLOUT) && !frame_clients_flush_one(&m->clients, idx[k]))
                                        break;
                                if (p[k].revents & (POLLERR | POLLHUP))
                                        frame_clients_drop(&m->clients, idx[k]);
                                else if (p[k].revents & POLLIN)
                                        frame_clients_read_one(&m->clients, idx[k]);
                                break;
                        case T_CONN:
                                if (!read_command(m, m->conns[idx[k]])) {
                                        safe_close(m->conns[idx[k]]);
                                        m->conns[idx[k]] = m->conns[--m->n_conns];
                                }
                                break;
                        default:
                                break;
                        }
                }
                for (size_t k = 0; k < n; k++) {
                        if (!p[k].revents)
                                continue;
                        switch (tag[k]) {
                        case T_CTL:
                                if (!read_command(m, m->ctl_fd)) {
                                        if (!m->started)
                                                abandon(m);
                                        log_debug("daemon closed the control channel; running on");
                                        m->ctl_fd = safe_close(m->ctl_fd);
                                }
                                break;
                        case T_LISTEN:
                                accept_conn(m);
                                break;
                        case T_SIGCHLD: {
                                struct signalfd_siginfo ssi;
                                while (read(m->sigchld_fd, &ssi, sizeof(ssi)) > 0)
                                        ;
                                reap_others(m);
                                break;
                        }
                        case T_PIDFD:
                                finish(m);
                        default:
                                break;
                        }
                }
        }
}

static int
parse_args(struct monitor *m, int argc, char **argv)
{
        static const struct option opts[] = {
                { "id", required_argument, NULL, 'i' },        { "bundle", required_argument, NULL, 'b' },
                { "run-dir", required_argument, NULL, 'r' },   { "log", required_argument, NULL, 'l' },
                { "log-level", required_argument, NULL, 'L' }, { "help", no_argument, NULL, 'h' },
                {},
        };
        int c, level;

        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
                switch (c) {
                case 'i': m->id = optarg; break;
                case 'b': m->bundle = optarg; break;
                case 'r': m->run_dir = optarg; break;
                case 'l': m->log_path = optarg; break;
                case 'L':
                        level = log_level_from_string(optarg);
                        if (level < 0) {
                                fprintf(stderr, "invalid --log-level `%s`\n", optarg);
                                return -EINVAL;
                        }
                        log_set_max_level(level);
                        break;
                case 'h': usage(stdout); exit(0);
                default: usage(stderr); return -EINVAL;
                }
        }
        if (optind < argc || !m->id || !*m->id || !m->bundle || !m->run_dir || !m->log_path) {
                usage(stderr);
                return -EINVAL;
        }
        return 0;
}

/* Sets up everything that must exist before the container does. */
static int
setup(struct monitor *m, struct ctr_error **err)
{
        sigset_t mask;

        /* Only fd 0-2 and the control socket are ours to keep. */
        if (fcntl(MONITOR_CONTROL_FD, F_SETFD, FD_CLOEXEC) < 0)
                return ctr_error_sys(err, errno, "control fd %d", MONITOR_CONTROL_FD);
        if (syscall(SYS_close_range, MONITOR_CONTROL_FD + 1, ~0U, 0) < 0)
                for (int fd = MONITOR_CONTROL_FD + 1; fd < 1024; fd++)
                        close(fd);
        m->ctl_fd = MONITOR_CONTROL_FD;
        (void) setsid();
        /* Orphans of the container that escape its pid namespace become
         * ours, so we reap them instead of leaving zombies (prctl(2)). */
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
                return ctr_error_sys(err, errno, "PR_SET_CHILD_SUBREAPER");
        signal(SIGPIPE, SIG_IGN);
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        m->sigchld_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (m->sigchld_fd < 0)
                return ctr_error_sys(err, errno, "signalfd");
        m->log_fd = open(m->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
        if (m->log_fd < 0)
                return ctr_error_sys(err, errno, "open log `%s`", m->log_path);
        m->sock_path = path_join(m->run_dir, MONITOR_SOCKET_NAME);
        if (!m->sock_path)
                return ctr_error_sys(err, ENOMEM, "socket path");
        return 0;
}

/* Loads the spec and creates the init, stdio wired to our pipes. On
 * failure *ret_code is the exit code to report. */
static int
spawn(struct monitor *m, int *ret_code, struct ctr_error **err)
{
        _cleanup_free_ char *config = path_join(m->bundle, "config.json");
        _cleanup_close_ int null_fd = -1, out_w = -1, err_w = -1;
        int out_p[2], err_p[2], r;

        *ret_code = 125;
        if (!config)
                return ctr_error_sys(err, ENOMEM, "config path");
        r = runtime_spec_load(config, &m->spec, err);
        if (r < 0)
                return r;
        null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null_fd < 0)
                return ctr_error_sys(err, errno, "open `/dev/null`");
        if (pipe2(out_p, O_CLOEXEC) < 0)
                return ctr_error_sys(err, errno, "pipe");
        m->out_fd = out_p[0];
        out_w = out_p[1];
        if (pipe2(err_p, O_CLOEXEC) < 0)
                return ctr_error_sys(err, errno, "pipe");
        m->err_fd = err_p[0];
        err_w = err_p[1];
        if (fcntl(m->out_fd, F_SETFL, O_NONBLOCK) < 0 || fcntl(m->err_fd, F_SETFL, O_NONBLOCK) < 0)
                return ctr_error_sys(err, errno, "set pipes non-blocking");
        r = runtime_create(m->spec, &(struct runtime_stdio){ null_fd, out_w, err_w }, &m->ctr, ret_code, err);
        if (r < 0)
                return r;
        m->pid = runtime_container_pid(m->ctr);
        m->pidfd = runtime_container_pidfd(m->ctr);
        return 0;
        /* Our copies of the write ends close here, so EOF comes when the
         * container's last writer is gone. */
}

int
main(int argc, char **argv)
{
        static char ident[64];
        struct monitor m = { .ctl_fd = -1, .listen_fd = -1, .out_fd = -1, .err_fd = -1, .log_fd = -1,
                             .sigchld_fd = -1, .pidfd = -1 };
        _cleanup_error_ struct ctr_error *err = NULL;
        int r, code = 125;

        if (parse_args(&m, argc, argv) < 0)
                return 2;
        snprintf(ident, sizeof(ident), "containerctl-monitor[%.12s]", m.id);
        log_set_ident(ident);
        if (fcntl(MONITOR_CONTROL_FD, F_GETFD) < 0) {
                log_error("fd %d (control socket) is not open: run by containerctld only", MONITOR_CONTROL_FD);
                return 2;
        }
        r = setup(&m, &err);
        if (r >= 0)
                r = spawn(&m, &code, &err);
        if (r >= 0)
                r = listen_socket(&m, &err);
        if (r < 0) {
                const char *why = err ? err->message : strerror(-r);
                log_debug("create failed: %s", why);
                if (m.ctr) {
                        siginfo_t si;
                        (void) pidfd_signal(m.pidfd, SIGKILL);
                        (void) waitid(P_PIDFD, (id_t) m.pidfd, &si, WEXITED);
                }
                cgroup_cleanup(&m);
                if (m.sock_path)
                        unlink(m.sock_path);
                send_event(&m, MONITOR_CONTROL_FD,
                           json_pack("{s:s, s:i, s:s}", "event", "error", "exit_code", code, "message", why));
                runtime_container_free(m.ctr);
                runtime_spec_free(m.spec);
                free(m.sock_path);
                return 1;
        }
        send_event(&m, m.ctl_fd, json_pack("{s:s, s:i}", "event", "created", "pid", (int) m.pid));
        loop(&m);
        return 1;
}
