/* containerctl-monitor: one per container. Creates the container init
 * through daemon/runtime, holds its stdio (pipes or pty master), writes the
 * CRI log, relays frames to and from attached clients, runs exec sessions,
 * serves the ops of monitor-proto.h on fd 3 and <run-dir>/monitor.sock,
 * relays the published ports (proxy.c), records the exit in exit.json and
 * removes the cgroup. Single-threaded, one poll() loop; outlives a daemon
 * restart. */
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
#include "daemon/cgroup/resources.h"
#include "daemon/monitor/monitor-proto.h"
#include "daemon/monitor/monitor.h"
#include "daemon/monitor/proxy.h"
#include "daemon/runtime/runtime.h"
#include "proto/proto.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define CONNS_MAX 8

struct monitor {
        const char *id, *bundle, *run_dir, *log_path;
        uint64_t log_max_size; /* 0: unbounded */
        unsigned log_max_files;
        bool open_stdin, want_tty;
        bool wait_network;     /* --wait-network: the daemon is still making the netns */
        char *sock_path;
        int ctl_fd;            /* fd 3: the spawn socketpair, -1 once closed */
        int listen_fd;         /* monitor.sock */
        int conns[CONNS_MAX];  /* control connections accepted on monitor.sock */
        size_t n_conns;
        int sigchld_fd;
        struct cri_log log;
        struct runtime_spec *spec;
        struct runtime_container *ctr;
        pid_t pid;
        int pidfd;
        bool started;
        char *message;         /* why the container ended badly (exec failure) */
        struct session s;      /* the init's stdio */
        struct exec_table execs;
        struct proxy *proxy;   /* published ports, from the first "publish" */
};

static void
usage(FILE *f)
{
        fputs("Usage: containerctl-monitor --id ID --bundle DIR --run-dir DIR --log FILE\n"
              "         [--stdin] [--tty] [--wait-network] [--log-max-size BYTES] [--log-max-files N]\n"
              "         [--log-level LEVEL]\n"
              "Spawns and babysits one container; fd 3 is the control socket to containerctld.\n", f);
}

static void
send_event(int fd, json_t *ev)
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
reply_failed(int fd, const char *msg)
{
        send_event(fd, json_pack("{s:s, s:s}", "event", "failed", "message", msg));
}

/* Unsolicited events go to every control connection. Borrows ev. */
static void
broadcast(struct monitor *m, json_t *ev)
{
        for (size_t i = 0; ev && i < m->n_conns; i++)
                if (m->conns[i] >= 0)
                        (void) monitor_msg_send(m->conns[i], ev, -1);
        if (ev && m->ctl_fd >= 0)
                (void) monitor_msg_send(m->ctl_fd, ev, -1);
}

static void
cgroup_cleanup(struct monitor *m)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        const char *path = m->spec ? runtime_spec_cgroups_path(m->spec) : NULL;

        if (path && cgroup_destroy(path, &err) < 0)
                log_warning("%s", err->message);
}

/* Reaps children other than the init and the execs (we are a subreaper):
 * those are reaped through their pidfds; WNOWAIT peeks so we never take
 * them here. */
static void
reap_others(struct monitor *m)
{
        for (;;) {
                siginfo_t si = {};
                if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
                        return;
                if ((si.si_pid == m->pid && m->pidfd >= 0) || exec_is_tracked_pid(&m->execs, si.si_pid))
                        return;
                (void) waitpid(si.si_pid, NULL, WNOHANG);
        }
}

static unsigned
msg_uint(json_t *msg, const char *key)
{
        json_t *v = json_object_get(msg, key);
        json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;

        return n > 0 && n <= 65535 ? (unsigned) n : 0;
}

static bool
msg_stdin(json_t *msg)
{
        json_t *v = json_object_get(msg, "stdin");

        return json_is_boolean(v) ? json_is_true(v) : true;
}

static void
op_start(struct monitor *m, int fd, json_t *msg, int *pfd)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        int r;

        if (m->started) {
                reply_failed(fd, "container already started");
                return;
        }
        /* The size and the first reader exist before the command runs. */
        (void) session_resize(&m->s, msg_uint(msg, "rows"), msg_uint(msg, "cols"));
        if (*pfd >= 0) {
                struct frame_client *c = NULL;
                /* `run`: the container's own terminal, paced by its reader. */
                if (session_attach(&m->s, TAKE_FD(*pfd), msg_stdin(msg), true, 0, 0, &c) < 0)
                        log_warning("too many attached clients, start client not attached");
        }
        m->started = true;
        r = runtime_start(m->ctr, &err);
        if (r < 0) {
                const char *why = err ? err->message : strerror(-r);
                free(m->message);
                m->message = strdup(why);
                reply_failed(fd, why);
                return;
        }
        send_event(fd, json_pack("{s:s}", "event", "started"));
}

static void
op_signal(struct monitor *m, int fd, json_t *msg)
{
        json_t *s = json_object_get(msg, "signal");
        json_int_t sig = json_is_integer(s) ? json_integer_value(s) : 0;
        char why[128];
        int r;

        if (sig < 1 || sig > 64) {
                reply_failed(fd, "`signal` must be an integer 1-64");
                return;
        }
        r = monitor_pidfd_signal(m->pidfd, (int) sig);
        if (r < 0) {
                snprintf(why, sizeof(why), "signal %d to pid %d: %s", (int) sig, (int) m->pid, strerror(-r));
                reply_failed(fd, why);
                return;
        }
        send_event(fd, json_pack("{s:s}", "event", "ok"));
}

/* The bound host sockets of the published ports (see monitor-proto.h).
 * Received with MSG_CMSG_CLOEXEC after the init was cloned, so the init
 * never has them, and an exec cannot inherit them across execve. */
static void
op_publish(struct monitor *m, int fd, json_t *msg, int *fds, size_t nfds)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        int r;

        if (!m->proxy) {
                m->proxy = proxy_new();
                if (!m->proxy) {
                        reply_failed(fd, "publish: out of memory");
                        return;
                }
        }
        r = proxy_publish(m->proxy, msg, fds, nfds, &err);
        if (r < 0) {
                log_warning("%s", err ? err->message : strerror(-r));
                reply_failed(fd, err ? err->message : strerror(-r));
                return;
        }
        send_event(fd, json_pack("{s:s}", "event", "ok"));
}

static void
handle_command(struct monitor *m, int fd, json_t *msg, int *fds, size_t nfds)
{
        const char *op = json_string_value(json_object_get(msg, "op"));
        _cleanup_close_ int pfd = -1;
        json_t *reply;
        int r;

        if (op && strcmp(op, "publish") == 0) {
                op_publish(m, fd, msg, fds, nfds); /* the caller closes what it left */
                return;
        }
        if (nfds == 1)
                pfd = TAKE_FD(fds[0]);
        if (!op) {
                reply_failed(fd, "command without `op`");
        } else if (strcmp(op, "start") == 0) {
                op_start(m, fd, msg, &pfd);
        } else if (strcmp(op, "attach") == 0) {
                if (pfd < 0) {
                        reply_failed(fd, "attach needs a connection (SCM_RIGHTS)");
                        return;
                }
                r = session_attach(&m->s, TAKE_FD(pfd), msg_stdin(msg), false, msg_uint(msg, "rows"),
                                   msg_uint(msg, "cols"), NULL);
                if (r < 0) {
                        reply_failed(fd, r == -EBUSY ? "too many attached clients" : "attach failed");
                        return;
                }
                send_event(fd, json_pack("{s:s}", "event", "ok"));
        } else if (strcmp(op, "signal") == 0) {
                op_signal(m, fd, msg);
        } else if ((reply = exec_handle_op(&m->execs, op, msg, nfds == 1 ? &pfd : fds, nfds, m->spec,
                                           m->started ? m->pidfd : -1))) {
                send_event(fd, reply);
        } else {
                char why[128];
                snprintf(why, sizeof(why), "unknown op `%.64s`", op);
                reply_failed(fd, why);
        }
}

/* The spawn channel closed before start: nobody will start this container. */
static _noreturn_ void
abandon(struct monitor *m)
{
        siginfo_t si;

        log_info("daemon went away before start, killing the container");
        (void) monitor_pidfd_signal(m->pidfd, SIGKILL);
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
        int passed[MONITOR_MSG_MAX_FDS];
        size_t npassed = 0;
        int r;

        for (size_t i = 0; i < MONITOR_MSG_MAX_FDS; i++)
                passed[i] = -1;
        r = monitor_msg_recv_fds(fd, &msg, passed, &npassed);
        if (r == -EAGAIN)
                return true;
        if (r == -EBADMSG || r == -EMSGSIZE) {
                reply_failed(fd, "malformed command: expected one JSON object");
                return true;
        }
        if (r < 0)
                return false;
        handle_command(m, fd, msg, passed, npassed);
        for (size_t i = 0; i < npassed; i++)
                safe_close(passed[i]);
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

/* exit.json: how the init ended, and the cgroup's OOM kill count, read
 * here because the cgroup goes with the monitor: the daemon, told of the
 * exit, finds no cgroup left to read (a process killed for memory is
 * often the init itself, exiting at once). */
static void
record_exit(struct monitor *m, int code, const char *signame, int64_t ns)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        _cleanup_free_ char *exit_path = NULL, *text = NULL;
        const char *cg = m->spec ? runtime_spec_cgroups_path(m->spec) : NULL;
        uint64_t oom_kills;
        char ts[64];
        json_t *rec;

        format_rfc3339(ns, ts, sizeof(ts));
        rec = json_pack("{s:i, s:s?, s:s, s:I, s:s?}", "exit_code", code, "signal", signame, "finished_at", ts,
                        "finished_ns", (json_int_t) ns, "message", m->message);
        if (rec && cg && cgroup_oom_kills(cg, &oom_kills, NULL) >= 0)
                json_object_set_new(rec, "oom_kills", json_integer((json_int_t) oom_kills));
        if (!signame && rec)
                json_object_set_new(rec, "signal", json_null());
        if (!m->message && rec)
                json_object_set_new(rec, "message", json_null());
        text = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
        json_decref(rec);
        exit_path = path_join(m->run_dir, MONITOR_EXIT_FILE);
        if (!text || !exit_path || write_file_atomic(exit_path, text, strlen(text), 0644, &err) < 0)
                log_error("record exit: %s", err ? err->message : "out of memory");
}

static _noreturn_ void
finish(struct monitor *m)
{
        _cleanup_free_ char *exit_json = NULL;
        const char *signame = NULL;
        siginfo_t si = {};
        int64_t ns, deadline;
        int code;
        json_t *events = json_array(), *ev, *x;
        size_t i;

        if (waitid(P_PIDFD, (id_t) m->pidfd, &si, WEXITED) < 0)
                log_warning("reap pid %d: %m", (int) m->pid);
        ns = now_ns();
        m->pidfd = -1; /* owned by the runtime container */
        /* The ports go first: a client now is refused, not left waiting
         * while the output drains. */
        proxy_free(TAKE_PTR(m->proxy));
        if (si.si_code == CLD_EXITED)
                code = si.si_status;
        else {
                code = 128 + si.si_status;
                signame = signal_to_name(si.si_status);
        }
        log_debug("container init %d exited with %d", (int) m->pid, code);

        /* Orphans may hold the pipes open: drain, but not forever. */
        session_drain(&m->s, now_monotonic_ms() + MONITOR_DRAIN_MS);
        record_exit(m, code, signame, ns);

        /* Execs die with the init's pid namespace; end their streams too. */
        exec_table_shutdown(&m->execs, events);
        exit_json = monitor_exit_json(code, signame);
        deadline = now_monotonic_ms() + MONITOR_FLUSH_MS;
        session_finish(&m->s, exit_json, deadline);
        session_flush_clients(&m->s, deadline);
        exec_table_flush(&m->execs, deadline);

        /* The cgroup goes before "exited", so whoever hears it finds the
         * container fully gone. */
        cgroup_cleanup(m);
        unlink(m->sock_path);
        json_array_foreach(events, i, x)
                broadcast(m, x);
        json_decref(events);
        ev = json_pack("{s:s, s:i, s:s*, s:s*}", "event", "exited", "exit_code", code, "signal", signame,
                       "message", m->message);
        broadcast(m, ev);
        json_decref(ev);
        _exit(0);
}

static void
fill_pollset(struct monitor *m, struct pollset *ps)
{
        ps->n = 0;
        ps->deadline_ms = INT64_MAX;
        if (m->ctl_fd >= 0)
                pollset_add(ps, m->ctl_fd, POLLIN, PK_CTL, NULL, NULL, 0);
        pollset_add(ps, m->listen_fd, POLLIN, PK_LISTEN, NULL, NULL, 0);
        for (size_t i = 0; i < m->n_conns; i++)
                pollset_add(ps, m->conns[i], POLLIN, PK_CONN, NULL, NULL, i);
        pollset_add(ps, m->pidfd, POLLIN, PK_INIT_PIDFD, NULL, NULL, 0);
        pollset_add(ps, m->sigchld_fd, POLLIN, PK_SIGCHLD, NULL, NULL, 0);
        session_poll(&m->s, ps);
        exec_table_poll(&m->execs, ps, now_monotonic_ms());
        proxy_poll(m->proxy, ps, now_monotonic_ms());
}

static void
handle_control(struct monitor *m, struct pollset *ps, size_t k)
{
        struct poll_tag *t = &ps->t[k];
        struct signalfd_siginfo ssi;

        switch (t->kind) {
        case PK_CTL:
                if (!read_command(m, m->ctl_fd)) {
                        if (!m->started)
                                abandon(m);
                        log_debug("daemon closed the control channel; running on");
                        m->ctl_fd = safe_close(m->ctl_fd);
                }
                break;
        case PK_CONN:
                if (!read_command(m, m->conns[t->i]))
                        m->conns[t->i] = safe_close(m->conns[t->i]);
                break;
        case PK_LISTEN:
                accept_conn(m);
                break;
        case PK_SIGCHLD:
                while (read(m->sigchld_fd, &ssi, sizeof(ssi)) > 0)
                        ;
                break;
        default:
                break;
        }
}

static void
loop(struct monitor *m)
{
        struct pollset ps = {};
        json_t *events, *ev;
        size_t i;

        for (;;) {
                int64_t now = now_monotonic_ms();
                int timeout;
                bool init_exited = false;

                fill_pollset(m, &ps);
                timeout = ps.deadline_ms == INT64_MAX ? -1 :
                          ps.deadline_ms <= now ? 0 : (int) MIN_SIZE(ps.deadline_ms - now, 60000);
                if (poll(ps.p, ps.n, timeout) < 0) {
                        if (errno == EINTR)
                                continue;
                        log_error("poll: %m");
                        return;
                }
                /* Output first, so nothing written before an exit is lost. */
                for (size_t k = 0; k < ps.n; k++) {
                        enum poll_kind kd = ps.t[k].kind;
                        if (ps.p[k].revents && (kd == PK_OUT || kd == PK_ERR || kd == PK_PTY))
                                session_handle(ps.t[k].a, &ps.t[k], ps.p[k].revents);
                }
                /* Clients and pidfds next; dropped clients stay allocated
                 * until the sweep below, so the tags stay valid. */
                for (size_t k = 0; k < ps.n; k++) {
                        if (!ps.p[k].revents)
                                continue;
                        switch (ps.t[k].kind) {
                        case PK_IN:
                        case PK_CLIENT:
                                session_handle(ps.t[k].a, &ps.t[k], ps.p[k].revents);
                                break;
                        case PK_EXEC_PIDFD:
                                exec_reaped(ps.t[k].a);
                                break;
                        case PK_INIT_PIDFD:
                                init_exited = true;
                                break;
                        case PK_PROXY:
                                proxy_handle(ps.t[k].a, &ps.t[k], ps.p[k].revents, now_monotonic_ms());
                                break;
                        default:
                                handle_control(m, &ps, k);
                                break;
                        }
                }
                /* Control connections that closed. */
                for (size_t k = 0; k < m->n_conns;)
                        if (m->conns[k] < 0)
                                m->conns[k] = m->conns[--m->n_conns];
                        else
                                k++;
                if (init_exited) {
                        free(ps.p);
                        free(ps.t);
                        finish(m);
                }
                events = json_array();
                exec_table_tick(&m->execs, now_monotonic_ms(), events);
                json_array_foreach(events, i, ev)
                        broadcast(m, ev);
                json_decref(events);
                frame_clients_sweep(&m->s.clients, now_monotonic_ms());
                proxy_tick(m->proxy, now_monotonic_ms());
                reap_others(m);
        }
}
static int
parse_args(struct monitor *m, int argc, char **argv)
{
        static const struct option opts[] = {
                { "id", required_argument, NULL, 'i' },        { "bundle", required_argument, NULL, 'b' },
                { "run-dir", required_argument, NULL, 'r' },   { "log", required_argument, NULL, 'l' },
                { "log-level", required_argument, NULL, 'L' }, { "stdin", no_argument, NULL, 's' },
                { "tty", no_argument, NULL, 't' },             { "log-max-size", required_argument, NULL, 'S' },
                { "log-max-files", required_argument, NULL, 'F' }, { "help", no_argument, NULL, 'h' },
                { "wait-network", no_argument, NULL, 'w' },
                {},
        };
        int c, level;
        int64_t v;

        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
                switch (c) {
                case 'i': m->id = optarg; break;
                case 'b': m->bundle = optarg; break;
                case 'r': m->run_dir = optarg; break;
                case 'l': m->log_path = optarg; break;
                case 's': m->open_stdin = true; break;
                case 't': m->want_tty = true; break;
                case 'w': m->wait_network = true; break;
                case 'S':
                        if (parse_int_range(optarg, 0, INT64_MAX, &v) < 0) {
                                fprintf(stderr, "invalid --log-max-size `%s`\n", optarg);
                                return -EINVAL;
                        }
                        m->log_max_size = (uint64_t) v;
                        break;
                case 'F':
                        if (parse_int_range(optarg, 1, 1000, &v) < 0) {
                                fprintf(stderr, "invalid --log-max-files `%s` (1-1000)\n", optarg);
                                return -EINVAL;
                        }
                        m->log_max_files = (unsigned) v;
                        break;
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
        int r;

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
        /* CVE-2019-5736: a process joining the container (the init before
         * its execve, every exec) is a copy of this binary, visible in the
         * container's /proc. Non-dumpable, its /proc/PID/exe (and mem, fd)
         * need CAP_SYS_PTRACE in our user namespace, which containers do not
         * have; execve of the command makes it dumpable again. Inherited by
         * every clone. tests/integration/breakout.bats watches for it. */
        if (prctl(PR_SET_DUMPABLE, 0) < 0)
                return ctr_error_sys(err, errno, "PR_SET_DUMPABLE");
        signal(SIGPIPE, SIG_IGN);
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        m->sigchld_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (m->sigchld_fd < 0)
                return ctr_error_sys(err, errno, "signalfd");
        r = cri_log_open(&m->log, m->log_path, m->log_max_size, m->log_max_files, err);
        if (r < 0)
                return r;
        m->sock_path = path_join(m->run_dir, MONITOR_SOCKET_NAME);
        if (!m->sock_path)
                return ctr_error_sys(err, ENOMEM, "socket path");
        return 0;
}

/* --wait-network: the daemon spawned us while it makes the container's
 * network namespace (the one config.json names), so our exec, the spec,
 * the cgroup and the seccomp program overlap its netlink work. Blocks
 * before clone3 until it says {"op":"network"}. No reply comes if it gave
 * up (the network failed, the container went, the daemon died): it closes
 * the channel, and we leave without a container. */
static int
wait_network(void *data, struct ctr_error **err)
{
        struct monitor *m = data;
        json_t *msg = NULL;
        int r;

        do
                r = monitor_msg_recv(m->ctl_fd, &msg, NULL);
        while (r == -EINTR);
        if (r < 0)
                return ctr_error_msg(err, ECANCELED, "the daemon gave up before the network was ready");
        r = strcmp(json_string_value(json_object_get(msg, "op")) ?: "", "network") == 0
                    ? 0
                    : ctr_error_msg(err, EPROTO, "expected the network to be ready, got another message");
        json_decref(msg);
        if (r >= 0)
                log_debug("network ready");
        return r;
}

/* Loads the spec and creates the init, stdio wired to our pipes, or to a
 * pty when the spec asks for a terminal. On failure *ret_code is the exit
 * code to report. */
static int
spawn(struct monitor *m, int *ret_code, struct ctr_error **err)
{
        _cleanup_free_ char *config = path_join(m->bundle, "config.json");
        _cleanup_close_ int in_r = -1, in_w = -1, out_r = -1, out_w = -1, err_r = -1, err_w = -1, pty = -1;
        int p[2], r;

        *ret_code = 125;
        if (!config)
                return ctr_error_sys(err, ENOMEM, "config path");
        r = runtime_spec_load(config, &m->spec, err);
        if (r < 0)
                return r;
        if (m->open_stdin) {
                if (pipe2(p, O_CLOEXEC) < 0)
                        return ctr_error_sys(err, errno, "pipe");
                in_r = p[0];
                in_w = p[1];
        } else {
                in_r = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (in_r < 0)
                        return ctr_error_sys(err, errno, "open `/dev/null`");
        }
        if (pipe2(p, O_CLOEXEC) < 0)
                return ctr_error_sys(err, errno, "pipe");
        out_r = p[0];
        out_w = p[1];
        if (pipe2(p, O_CLOEXEC) < 0)
                return ctr_error_sys(err, errno, "pipe");
        err_r = p[0];
        err_w = p[1];
        r = runtime_create_gated(m->spec, &(struct runtime_stdio){ in_r, out_w, err_w },
                                 m->wait_network ? wait_network : NULL, m, &m->ctr, ret_code, err);
        if (r < 0)
                return r;
        m->pid = runtime_container_pid(m->ctr);
        m->pidfd = runtime_container_pidfd(m->ctr);
        pty = runtime_container_take_pty(m->ctr);
        if (m->want_tty && pty < 0)
                log_warning("--tty given but the spec has no process.terminal: using pipes");
        /* Our copies of the child's ends close here (cleanup), so EOF
         * comes when the container's last writer is gone. */
        r = session_init(&m->s, "container", TAKE_FD(pty), m->open_stdin, TAKE_FD(in_w), TAKE_FD(out_r),
                         TAKE_FD(err_r));
        if (r < 0)
                return ctr_error_sys(err, -r, "set up the container's stdio");
        m->s.log = &m->log;
        return 0;
}

int
main(int argc, char **argv)
{
        static char ident[64];
        struct monitor m = { .ctl_fd = -1, .listen_fd = -1, .sigchld_fd = -1, .pidfd = -1, .log_max_files = 1,
                             .log = { .fd = -1 } };
        _cleanup_error_ struct ctr_error *err = NULL;
        int r, code = 125;

        session_init(&m.s, "container", -1, false, -1, -1, -1);
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
                        (void) monitor_pidfd_signal(m.pidfd, SIGKILL);
                        (void) waitid(P_PIDFD, (id_t) m.pidfd, &si, WEXITED);
                }
                cgroup_cleanup(&m);
                if (m.sock_path)
                        unlink(m.sock_path);
                send_event(MONITOR_CONTROL_FD,
                           json_pack("{s:s, s:i, s:s}", "event", "error", "exit_code", code, "message", why));
                session_free(&m.s);
                cri_log_close(&m.log);
                runtime_container_free(m.ctr);
                runtime_spec_free(m.spec);
                free(m.sock_path);
                return 1;
        }
        send_event(m.ctl_fd, json_pack("{s:s, s:i}", "event", "created", "pid", (int) m.pid));
        loop(&m);
        return 1;
}
