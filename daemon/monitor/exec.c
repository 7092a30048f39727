/* Exec sessions: processes started in the running container by runtime_exec(),
 * each with an id, its own stdio session and a ring of its recent output,
 * kept (with the exit code) until exec-remove or until the monitor exits.
 * Serves the exec ops of monitor-proto.h; never touches the init. */
#include "daemon/monitor/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/macros.h"
#include "common/parse.h"
#include "common/time-util.h"
#include "daemon/runtime/runtime.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define EXEC_ID_MAX 128

static json_t *
ev_ok(void)
{
        return json_pack("{s:s}", "event", "ok");
}

static json_t * _printf_(1, 2)
ev_failed(const char *fmt, ...)
{
        char buf[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        return json_pack("{s:s, s:s}", "event", "failed", "message", buf);
}

static json_t *
ev_exec_failed(const char *id, int code, const char *message)
{
        return json_pack("{s:s, s:s, s:i, s:s}", "event", "exec-failed", "exec_id", id, "exit_code", code,
                         "message", message);
}

static struct exec *
find(struct exec_table *t, const char *id)
{
        for (size_t i = 0; id && i < t->n; i++)
                if (!t->v[i]->remove_on_exit && strcmp(t->v[i]->id, id) == 0)
                        return t->v[i];
        return NULL;
}

static void
exec_free(struct exec *e)
{
        if (!e)
                return;
        session_free(&e->s);
        ring_free(&e->ring);
        runtime_container_free(e->rc);
        json_decref(e->command);
        free(e->id);
        free(e);
}

static unsigned
get_uint(json_t *o, const char *key, unsigned max)
{
        json_t *v = json_object_get(o, key);
        json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;

        return n > 0 && n <= (json_int_t) max ? (unsigned) n : 0;
}

static bool
get_bool(json_t *o, const char *key, bool dflt)
{
        json_t *v = json_object_get(o, key);

        return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* A NULL-terminated array borrowing the strings of a JSON string array. */
static int
string_array(json_t *a, bool nonempty, char ***ret)
{
        char **v;
        size_t i;
        json_t *s;

        *ret = NULL;
        if (!a)
                return nonempty ? -EINVAL : 0;
        if (!json_is_array(a) || (nonempty && json_array_size(a) == 0))
                return -EINVAL;
        v = calloc(json_array_size(a) + 1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        json_array_foreach(a, i, s) {
                if (!json_is_string(s)) {
                        free(v);
                        return -EINVAL;
                }
                v[i] = (char *) json_string_value(s);
        }
        *ret = v;
        return 0;
}

static int
parse_user(json_t *u, struct runtime_exec_params *p, gid_t **ret_groups)
{
        json_t *g = json_object_get(u, "additionalGids"), *x;
        size_t i;

        *ret_groups = NULL;
        if (!u)
                return 0;
        if (!json_is_object(u))
                return -EINVAL;
        x = json_object_get(u, "uid");
        if (x && (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) > UINT32_MAX - 1))
                return -EINVAL;
        p->uid = x ? (uid_t) json_integer_value(x) : 0;
        x = json_object_get(u, "gid");
        if (x && (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) > UINT32_MAX - 1))
                return -EINVAL;
        p->gid = x ? (gid_t) json_integer_value(x) : 0;
        if (!g)
                return 0;
        if (!json_is_array(g) || json_array_size(g) > 256)
                return -EINVAL;
        *ret_groups = calloc(json_array_size(g) + 1, sizeof(gid_t));
        if (!*ret_groups)
                return -ENOMEM;
        json_array_foreach(g, i, x) {
                if (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) > UINT32_MAX - 1)
                        return -EINVAL;
                (*ret_groups)[i] = (gid_t) json_integer_value(x);
        }
        p->groups = *ret_groups;
        p->n_groups = json_array_size(g);
        return 0;
}

static bool
valid_id(const char *id)
{
        size_t n = id ? strlen(id) : 0;

        if (n == 0 || n > EXEC_ID_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (id[i] <= ' ' || id[i] == 0x7f)
                        return false;
        return true;
}

/* Sends the ring to client c (all of it when replay, or when nobody has
 * seen it yet), then replay_end when replay, then EXIT if the exec ended. */
static void
greet_client(struct exec *e, struct frame_client *c, bool replay)
{
        static const char replay_end[] = "{\"op\":\"replay_end\"}";

        if (replay || !e->ever_attached) {
                size_t pos = 0, len;
                const uint8_t *data;
                uint8_t type;
                while (ring_next(&e->ring, &pos, &type, &data, &len))
                        if (frame_client_send(c, type, data, len) < 0)
                                return;
        }
        if (replay && frame_client_send(c, PROTO_FRAME_CONTROL, replay_end, strlen(replay_end)) < 0)
                return;
        e->ever_attached = true;
        if (e->hold) {
                e->hold = false;
                e->drain_until_ms = now_monotonic_ms() + MONITOR_DRAIN_MS;
        }
        if (e->finished) {
                _cleanup_free_ char *exit_json = monitor_exit_json(e->exit_code, e->signame);
                if (exit_json && frame_client_send(c, PROTO_FRAME_EXIT, exit_json, strlen(exit_json)) < 0)
                        return;
                c->closing = true;
                c->close_deadline_ms = now_monotonic_ms() + MONITOR_FLUSH_MS;
                (void) frame_client_flush(c);
        }
}

static json_t *
op_exec(struct exec_table *t, json_t *msg, int *fds, size_t nfds, const struct runtime_spec *spec,
        int init_pidfd)
{
        bool passthrough = get_bool(msg, "passthrough", false);
        int *fd = &fds[0];
        const char *id = json_string_value(json_object_get(msg, "exec_id"));
        json_t *proc = json_object_get(msg, "process"), *cwd;
        bool want_stdin = get_bool(msg, "stdin", false), detach = get_bool(msg, "detach", false);
        struct runtime_exec_params p = {};
        _cleanup_free_ char **args = NULL, **env = NULL;
        _cleanup_free_ gid_t *groups = NULL;
        _cleanup_close_ int in_r = -1, in_w = -1, out_r = -1, out_w = -1, err_r = -1, err_w = -1, pty = -1;
        _cleanup_error_ struct ctr_error *err = NULL;
        struct runtime_container *rc = NULL;
        struct exec *e;
        int code = 125, r, pp[2];

        if (!valid_id(id))
                return ev_exec_failed(id ? id : "", 125, "`exec_id` must be 1-128 printable characters");
        if (find(t, id))
                return ev_exec_failed(id, 125, "exec id already in use");
        if (t->n == EXECS_MAX)
                return ev_exec_failed(id, 125, "too many exec sessions in this container (64): remove finished ones");
        if (init_pidfd < 0)
                return ev_exec_failed(id, 125, "the container is not running");
        if (!json_is_object(proc) || string_array(json_object_get(proc, "args"), true, &args) < 0)
                return ev_exec_failed(id, 125, "`process.args` must be a non-empty array of strings");
        if (string_array(json_object_get(proc, "env"), false, &env) < 0)
                return ev_exec_failed(id, 125, "`process.env` must be an array of strings");
        cwd = json_object_get(proc, "cwd");
        if (cwd && !json_is_string(cwd))
                return ev_exec_failed(id, 125, "`process.cwd` must be a string");
        if (parse_user(json_object_get(proc, "user"), &p, &groups) < 0)
                return ev_exec_failed(id, 125, "`process.user` must be {uid, gid, additionalGids}");
        p.args = args;
        p.env = env;
        p.cwd = json_string_value(cwd);
        p.terminal = get_bool(proc, "terminal", false);
        p.rows = get_uint(proc, "rows", 65535);
        p.cols = get_uint(proc, "cols", 65535);

        if (passthrough) {
                /* The client's own stdio: no pipes, nothing to relay. */
                size_t want = want_stdin ? 3 : 2;
                if (p.terminal || nfds != want)
                        return ev_exec_failed(id, 125, "passthrough needs stdin (with `stdin`), stdout and "
                                                       "stderr fds and no terminal");
                if (want_stdin)
                        in_r = TAKE_FD(fds[0]);
                out_w = TAKE_FD(fds[want - 2]);
                err_w = TAKE_FD(fds[want - 1]);
                want_stdin = false;
        } else if (!p.terminal) {
                if (want_stdin) {
                        if (pipe2(pp, O_CLOEXEC) < 0)
                                return ev_exec_failed(id, 125, "pipe for stdin failed");
                        in_r = pp[0];
                        in_w = pp[1];
                }
                if (pipe2(pp, O_CLOEXEC) < 0)
                        return ev_exec_failed(id, 125, "pipe for stdout failed");
                out_r = pp[0];
                out_w = pp[1];
                if (pipe2(pp, O_CLOEXEC) < 0)
                        return ev_exec_failed(id, 125, "pipe for stderr failed");
                err_r = pp[0];
                err_w = pp[1];
        }
        r = runtime_exec(spec, init_pidfd, &p, &(struct runtime_stdio){ in_r, out_w, err_w }, &rc, &code, &err);
        if (r < 0)
                return ev_exec_failed(id, code >= 125 && code <= 127 ? code : 125, err ? err->message : strerror(-r));
        /* Our copies of the child's ends close here: EOF comes with its last writer. */
        in_r = safe_close(in_r);
        out_w = safe_close(out_w);
        err_w = safe_close(err_w);
        if (p.terminal) {
                pty = runtime_container_take_pty(rc);
                if (pty < 0) {
                        siginfo_t si;
                        (void) monitor_pidfd_signal(runtime_container_pidfd(rc), SIGKILL);
                        (void) waitid(P_PIDFD, (id_t) runtime_container_pidfd(rc), &si, WEXITED);
                        runtime_container_free(rc);
                        return ev_exec_failed(id, 125, "the runtime gave no pty for a terminal exec");
                }
        }

        e = calloc(1, sizeof(*e));
        if (e) {
                e->id = strdup(id);
                e->command = json_deep_copy(json_object_get(proc, "args"));
        }
        if (!e || !e->id || !e->command ||
            session_init(&e->s, e->id, TAKE_FD(pty), want_stdin, TAKE_FD(in_w), TAKE_FD(out_r), TAKE_FD(err_r)) < 0) {
                siginfo_t si;
                (void) monitor_pidfd_signal(runtime_container_pidfd(rc), SIGKILL);
                (void) waitid(P_PIDFD, (id_t) runtime_container_pidfd(rc), &si, WEXITED);
                runtime_container_free(rc);
                exec_free(e);
                return ev_exec_failed(id, 125, "out of memory");
        }
        e->rc = rc;
        e->pid = runtime_container_pid(rc);
        e->pidfd = runtime_container_pidfd(rc);
        e->tty = p.terminal;
        e->has_stdin = want_stdin;
        e->passthrough = passthrough;
        e->running = true;
        e->created_ns = now_ns();
        e->s.ring = &e->ring;
        e->hold = !detach;
        e->s.hold = e->hold;
        e->hold_until_ms = now_monotonic_ms() + EXEC_HOLD_MS;
        t->v[t->n++] = e;
        log_debug("exec %s: pid %d", e->id, (int) e->pid);

        if (!passthrough && *fd >= 0) {
                struct frame_client *c = NULL;
                if (session_attach(&e->s, TAKE_FD(*fd), want_stdin, true, 0, 0, &c) == 0)
                        greet_client(e, c, false);
        }
        return json_pack("{s:s, s:s, s:i}", "event", "exec-started", "exec_id", e->id, "pid", (int) e->pid);
}

static json_t *
op_attach(struct exec_table *t, json_t *msg, int *fd)
{
        const char *id = json_string_value(json_object_get(msg, "exec_id"));
        struct exec *e = find(t, id);
        struct frame_client *c = NULL;
        bool replay;
        int r;

        if (!e)
                return ev_failed("no exec `%.128s`", id ? id : "");
        if (*fd < 0)
                return ev_failed("exec-attach needs a connection (SCM_RIGHTS)");
        /* "replay":false is the exec's own client (container.exec): it gets
         * back-pressure; a re-attach (exec.attach) is an additional one. */
        replay = get_bool(msg, "replay", false);
        r = session_attach(&e->s, TAKE_FD(*fd), get_bool(msg, "stdin", true), !replay, get_uint(msg, "rows", 65535),
                           get_uint(msg, "cols", 65535), &c);
        if (r < 0)
                return ev_failed("attach to exec %s: %s", e->id, r == -EBUSY ? "too many attached clients" : strerror(-r));
        greet_client(e, c, replay);
        return ev_ok();
}

static json_t *
op_kill(struct exec_table *t, json_t *msg)
{
        const char *id = json_string_value(json_object_get(msg, "exec_id"));
        struct exec *e = find(t, id);
        json_t *s = json_object_get(msg, "signal");
        json_int_t sig = json_is_integer(s) ? json_integer_value(s) : (s ? 0 : SIGKILL);
        int r;

        if (!e)
                return ev_failed("no exec `%.128s`", id ? id : "");
        if (sig < 1 || sig > 64)
                return ev_failed("`signal` must be an integer 1-64");
        if (!e->running)
                return ev_failed("exec %s is not running", e->id);
        r = monitor_pidfd_signal(e->pidfd, (int) sig);
        if (r < 0)
                return ev_failed("signal %d to exec %s (pid %d): %s", (int) sig, e->id, (int) e->pid, strerror(-r));
        return ev_ok();
}

static json_t *
op_remove(struct exec_table *t, json_t *msg)
{
        const char *id = json_string_value(json_object_get(msg, "exec_id"));
        struct exec *e = find(t, id);

        if (!e)
                return ev_failed("no exec `%.128s`", id ? id : "");
        if (e->running) {
                if (!get_bool(msg, "force", false))
                        return ev_failed("exec %s is running: kill it first or force", e->id);
                (void) monitor_pidfd_signal(e->pidfd, SIGKILL);
        }
        /* Freed by exec_table_tick() once it has exited: this iteration's
         * poll bookkeeping may still point at its clients. */
        e->remove_on_exit = true;
        return ev_ok();
}

static json_t *
exec_to_json(const struct exec *e)
{
        char created[64], finished[64];

        format_rfc3339(e->created_ns, created, sizeof(created));
        if (e->finished_ns)
                format_rfc3339(e->finished_ns, finished, sizeof(finished));
        return json_pack("{s:s, s:O, s:b, s:b, s:b, s:i, s:o, s:s*, s:s, s:o}", "exec_id", e->id, "command",
                         e->command, "tty", e->tty, "passthrough", e->passthrough, "running", e->running, "pid", (int) e->pid, "exit_code",
                         e->running ? json_null() : json_integer(e->exit_code), "signal", e->signame, "created",
                         created, "finished_at", e->finished_ns ? json_string(finished) : json_null());
}

static json_t *
op_list(struct exec_table *t)
{
        json_t *a = json_array();

        for (size_t i = 0; a && i < t->n; i++)
                if (!t->v[i]->remove_on_exit)
                        json_array_append_new(a, exec_to_json(t->v[i]));
        return json_pack("{s:s, s:o}", "event", "exec-list", "execs", a ? a : json_array());
}

json_t *
exec_handle_op(struct exec_table *t, const char *op, json_t *msg, int *fds, size_t nfds,
               const struct runtime_spec *spec, int init_pidfd)
{
        if (strcmp(op, "exec") == 0)
                return op_exec(t, msg, fds, nfds, spec, init_pidfd);
        if (strcmp(op, "exec-attach") == 0)
                return nfds == 1 ? op_attach(t, msg, &fds[0]) : ev_failed("exec-attach needs one connection fd");
        if (strcmp(op, "exec-kill") == 0)
                return op_kill(t, msg);
        if (strcmp(op, "exec-list") == 0)
                return op_list(t);
        if (strcmp(op, "exec-remove") == 0)
                return op_remove(t, msg);
        return NULL;
}

void
exec_table_poll(struct exec_table *t, struct pollset *ps, int64_t now_ms)
{
        (void) now_ms;
        for (size_t i = 0; i < t->n; i++) {
                struct exec *e = t->v[i];

                e->s.hold = e->hold;
                if (e->running && e->pidfd >= 0)
                        pollset_add(ps, e->pidfd, POLLIN, PK_EXEC_PIDFD, e, NULL, 0);
                session_poll(&e->s, ps);
                if (e->hold)
                        pollset_deadline(ps, e->hold_until_ms);
                if (!e->running && !e->finished && !e->hold)
                        pollset_deadline(ps, session_output_held(&e->s) ? e->flush_until_ms : e->drain_until_ms);
        }
}

void
exec_reaped(struct exec *e)
{
        siginfo_t si = {};

        if (!e->running || waitid(P_PIDFD, (id_t) e->pidfd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
                return;
        if (si.si_code == CLD_EXITED) {
                e->exit_code = si.si_status;
                e->signame = NULL;
        } else {
                e->exit_code = 128 + si.si_status;
                e->signame = signal_to_name(si.si_status);
        }
        e->running = false;
        e->pidfd = -1;
        /* Reaped: its pidfd (owned by rc) is of no further use. */
        runtime_container_free(e->rc);
        e->rc = NULL;
        e->finished_ns = now_ns();
        e->drain_until_ms = now_monotonic_ms() + MONITOR_DRAIN_MS;
        e->flush_until_ms = now_monotonic_ms() + SESSION_FLUSH_PATIENT_MAX_MS;
        log_debug("exec %s: pid %d exited with %d", e->id, (int) e->pid, e->exit_code);
}

static void
finalize(struct exec *e, int64_t now_ms, json_t *events)
{
        _cleanup_free_ char *exit_json = monitor_exit_json(e->exit_code, e->signame);

        e->finished = true;
        e->hold = e->s.hold = false;
        session_finish(&e->s, exit_json, now_ms + MONITOR_FLUSH_MS);
        json_array_append_new(events, json_pack("{s:s, s:s, s:i, s:s*}", "event", "exec-exited", "exec_id", e->id,
                                                "exit_code", e->exit_code, "signal", e->signame));
}

void
exec_table_tick(struct exec_table *t, int64_t now_ms, json_t *events)
{
        size_t j = 0;

        for (size_t i = 0; i < t->n; i++) {
                struct exec *e = t->v[i];

                if (e->hold && now_ms >= e->hold_until_ms) {
                        e->hold = false;
                        e->drain_until_ms = now_ms + MONITOR_DRAIN_MS;
                }
                /* Output left in the pipes after the exit waits for a
                 * primary client that is behind, within a cap. */
                if (!e->running && !e->finished &&
                    (!session_output_open(&e->s) ||
                     (!e->hold && now_ms >= e->drain_until_ms && !session_output_held(&e->s)) ||
                     now_ms >= e->flush_until_ms))
                        finalize(e, now_ms, events);
                frame_clients_sweep(&e->s.clients, now_ms);
                if (e->remove_on_exit && e->finished) {
                        exec_free(e);
                        continue;
                }
                t->v[j++] = e;
        }
        t->n = j;
}

bool
exec_is_tracked_pid(const struct exec_table *t, pid_t pid)
{
        for (size_t i = 0; i < t->n; i++)
                if (t->v[i]->running && t->v[i]->pid == pid)
                        return true;
        return false;
}

void
exec_table_shutdown(struct exec_table *t, json_t *events)
{
        int64_t deadline = now_monotonic_ms() + MONITOR_DRAIN_MS;

        for (size_t i = 0; i < t->n; i++) {
                struct exec *e = t->v[i];
                siginfo_t si = {};

                if (e->running) {
                        (void) monitor_pidfd_signal(e->pidfd, SIGKILL);
                        (void) waitid(P_PIDFD, (id_t) e->pidfd, &si, WEXITED | WNOWAIT);
                        exec_reaped(e);
                }
                if (!e->finished) {
                        session_drain(&e->s, deadline);
                        finalize(e, now_monotonic_ms(), events);
                }
        }
}

void
exec_table_flush(struct exec_table *t, int64_t deadline_ms)
{
        for (size_t i = 0; i < t->n; i++)
                session_flush_clients(&t->v[i]->s, deadline_ms);
}

void
exec_table_free(struct exec_table *t)
{
        for (size_t i = 0; i < t->n; i++)
                exec_free(t->v[i]);
        t->n = 0;
}
