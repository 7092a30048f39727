/* Exec sessions: container.exec and exec.*. The process and its state
 * (running, exit code, recent output) live in the container's monitor;
 * the daemon keeps only the map exec id -> container (c->execs), rebuilt
 * after a restart from each monitor's exec-list. Every operation is one op
 * to the monitor and its reply (monitor-client.c matches them FIFO).
 * Loop thread only. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/fs-util.h"
#include "common/log.h"
#include "common/time-util.h"
#include "daemon/container-record.h"
#include "daemon/monitor-client.h"

#define SPEC_MAX_SIZE (4 * 1024 * 1024)

void
container_exec_params_clear(struct container_exec_params *p)
{
        for (size_t i = 0; p->command && p->command[i]; i++)
                free(p->command[i]);
        free(p->command);
        for (size_t i = 0; p->env && p->env[i]; i++)
                free(p->env[i]);
        free(p->env);
        free(p->workdir);
        free(p->user);
        for (size_t i = 0; i < p->n_fds; i++)
                safe_close(p->fds[i]);
        *p = (struct container_exec_params){ 0 };
}

/* ---- the daemon's map ---- */

static int
exec_add(struct container *c, const char *id, bool tty, bool in)
{
        struct container_exec *x;

        for (x = c->execs; x; x = x->next)
                if (strcmp(x->id, id) == 0)
                        return 0;
        if (!id_is_valid(id))
                return -EINVAL;
        x = calloc(1, sizeof(*x));
        if (!x)
                return -ENOMEM;
        memcpy(x->id, id, sizeof(x->id));
        x->tty = tty;
        x->in = in;
        x->next = c->execs;
        c->execs = x;
        return 0;
}

static void
exec_forget(struct container *c, const char *id)
{
        for (struct container_exec **p = &c->execs; *p; p = &(*p)->next)
                if (strcmp((*p)->id, id) == 0) {
                        struct container_exec *x = *p;
                        *p = x->next;
                        free(x);
                        return;
                }
}

void
container_exec_forget_all(struct container *c)
{
        while (c->execs) {
                struct container_exec *x = c->execs;
                c->execs = x->next;
                free(x);
        }
}

void
container_on_exec_exited(struct container *c, const char *exec_id, int exit_code)
{
        log_debug("container %.12s: exec %.12s exited with %d", c->id, exec_id, exit_code);
}

static void
recover_cb(struct container *c, json_t *reply, void *userdata)
{
        json_t *execs = json_object_get(reply, "execs"), *x;
        size_t i;

        if (!json_is_array(execs))
                return;
        json_array_foreach (execs, i, x) {
                const char *id = json_string_value(json_object_get(x, "exec_id"));
                if (id && exec_add(c, id, json_is_true(json_object_get(x, "tty")), true) < 0)
                        log_warning("container %.12s: bad exec id from monitor", c->id);
        }
        log_debug("container %.12s: %zu exec sessions re-adopted", c->id, json_array_size(execs));
}

void
container_exec_recover(struct container *c)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        json_t *msg = json_pack("{s:s}", "op", "exec-list");

        if (msg && monitor_client_call(c, msg, -1, recover_cb, NULL, &e) < 0)
                log_warning("container %.12s: list execs: %s", c->id, e ? e->message : "failed");
        json_decref(msg);
}

/* Full id or unique prefix, across all containers. */
static int
exec_lookup(struct container_manager *m, const char *ref, struct container **ret_c,
            struct container_exec **ret_x, struct ctr_error **err)
{
        struct container *found_c = NULL;
        struct container_exec *found = NULL;
        size_t n;

        if (!ref || !id_prefix_is_valid(ref))
                return ctr_error_msg(err, ENOENT, "no such exec: %s", ref ? ref : "");
        n = strlen(ref);
        for (struct container *c = m->containers; c; c = c->next)
                for (struct container_exec *x = c->execs; x; x = x->next) {
                        if (strncmp(x->id, ref, n) != 0)
                                continue;
                        if (found)
                                return ctr_error_msg(err, EINVAL,
                                                     "exec id prefix '%s' is ambiguous", ref);
                        found = x;
                        found_c = c;
                }
        if (!found)
                return ctr_error_msg(err, ENOENT, "no such exec: %s", ref);
        *ret_c = found_c;
        *ret_x = found;
        return 0;
}

int
container_exec_owner(struct container_manager *m, const char *exec_ref, uid_t *ret_uid)
{
        struct container *c;
        struct container_exec *x;
        int r = exec_lookup(m, exec_ref, &c, &x, NULL);

        if (r < 0)
                return r;
        *ret_uid = c->owner_uid;
        return 0;
}

/* ---- container.exec ---- */

struct exec_call {
        struct request *req;
        char id[ID_HEX_LEN + 1];
        char container_id[ID_HEX_LEN + 1];
        bool detach, in, tty, passthrough;
        unsigned rows, cols;
};

/* The init's process section from bundle/config.json: env, cwd and user
 * an exec inherits. New reference. */
static int
load_process(struct container *c, json_t **ret, struct ctr_error **err)
{
        _cleanup_free_ char *path = path_join(c->dir, "bundle/config.json");
        _cleanup_free_ char *text = NULL;
        json_error_t jerr;
        json_t *spec, *proc;
        int r;

        if (!path)
                return -ENOMEM;
        r = read_file_full(path, SPEC_MAX_SIZE, &text, NULL, err);
        if (r < 0)
                return r;
        spec = json_loads(text, 0, &jerr);
        proc = json_object_get(spec, "process");
        if (!json_is_object(proc)) {
                json_decref(spec);
                return ctr_error_msg(err, EIO, "%s: no process section: %s", path, jerr.text);
        }
        *ret = json_incref(proc);
        json_decref(spec);
        return 0;
}

/* The container's env with p->env's "K=V" replacing or adding K. */
static json_t *
merge_env(json_t *base, char **extra)
{
        json_t *out = json_array(), *v;
        size_t i;

        json_array_foreach (base, i, v) {
                const char *s = json_string_value(v), *eq;
                bool replaced = false;
                if (!s)
                        continue;
                eq = strchr(s, '=');
                for (size_t k = 0; eq && extra && extra[k]; k++)
                        if (strncmp(extra[k], s, (size_t) (eq - s) + 1) == 0)
                                replaced = true;
                if (!replaced)
                        json_array_append(out, v);
        }
        for (size_t k = 0; extra && extra[k]; k++)
                json_array_append_new(out, json_string(extra[k]));
        return out;
}

static json_t *
strv_json(char **v)
{
        json_t *a = json_array();

        for (size_t i = 0; v && v[i]; i++)
                json_array_append_new(a, json_string(v[i]));
        return a;
}

static int
build_exec_msg(struct container *c, const char *id, const struct container_exec_params *p,
               json_t **ret, struct ctr_error **err)
{
        json_t *init = NULL, *proc, *user;
        int r;

        r = load_process(c, &init, err);
        if (r < 0)
                return r;
        if (p->user) {
                _cleanup_free_ char *root = NULL, *passwd = NULL, *group = NULL;
                uid_t uid;
                gid_t gid;
                /* Names as the running container's own files say now. */
                if (asprintf(&root, "/proc/%d/root", (int) c->pid) < 0) {
                        json_decref(init);
                        return -ENOMEM;
                }
                (void) container_read_root_file(root, "etc/passwd", &passwd);
                (void) container_read_root_file(root, "etc/group", &group);
                r = container_spec_resolve_user(passwd, group, p->user, &uid, &gid, err);
                if (r < 0) {
                        json_decref(init);
                        return r;
                }
                user = json_pack("{s:i,s:i,s:[]}", "uid", (int) uid, "gid", (int) gid,
                                 "additionalGids");
        } else {
                user = json_deep_copy(json_object_get(init, "user"));
                if (!user)
                        user = json_pack("{s:i,s:i}", "uid", 0, "gid", 0);
        }
        proc = json_pack("{s:o,s:o,s:s,s:o,s:b}", "args", strv_json(p->command), "env",
                         merge_env(json_object_get(init, "env"), p->env), "cwd",
                         p->workdir ? p->workdir
                         : json_string_value(json_object_get(init, "cwd"))
                                 ? json_string_value(json_object_get(init, "cwd"))
                                 : "/",
                         "user", user, "terminal", p->tty);
        json_decref(init);
        if (proc)
                monitor_client_winsize(proc, p->rows, p->cols);
        *ret = proc ? json_pack("{s:s,s:s,s:o,s:b,s:b,s:b}", "op", "exec", "exec_id", id, "process",
                                proc, "stdin", p->open_stdin, "detach", p->detach, "passthrough",
                                p->passthrough)
                    : NULL;
        return *ret ? 0 : -ENOMEM;
}

static void
exec_attach_cb(struct container *c, json_t *reply, void *userdata)
{
        const char *ev = json_string_value(json_object_get(reply, "event"));

        if (!ev || strcmp(ev, "ok") != 0) {
                const char *m = json_string_value(json_object_get(reply, "message"));
                log_warning("container %.12s: exec attach: %s", c->id,
                            m ? m : "monitor connection lost");
        }
}

/* Hands the request's connection to the monitor for exec id: the reply
 * result is written first, synchronously. */
static void
exec_hand_over(struct container *c, struct request *req, json_t *result, const char *id,
               bool in, bool replay, unsigned rows, unsigned cols)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        json_t *msg = json_pack("{s:s,s:s,s:b,s:b}", "op", "exec-attach", "exec_id", id, "stdin",
                                in, "replay", replay);
        int fd = -1, r;

        if (msg)
                monitor_client_winsize(msg, rows, cols);
        if (!msg) {
                json_decref(result);
                request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                return;
        }
        r = request_detach(req, result, &fd);
        if (r < 0) {
                /* The client left: the exec goes on, detached. */
                log_debug("container %.12s: exec %.12s client lost: %s", c->id, id, strerror(-r));
                json_decref(msg);
                return;
        }
        r = monitor_client_call(c, msg, fd, exec_attach_cb, NULL, &e);
        json_decref(msg);
        safe_close(fd);
        if (r < 0)
                log_warning("container %.12s: exec attach: %s", c->id, e ? e->message : "failed");
}

static void
exec_started_cb(struct container *c, json_t *reply, void *userdata)
{
        struct exec_call *x = userdata;
        const char *ev = json_string_value(json_object_get(reply, "event"));
        const char *m = json_string_value(json_object_get(reply, "message"));
        json_t *result;

        if (!ev) {
                request_errorf(x->req, PROTO_ERR_INTERNAL,
                               "the monitor of container %s went away", c->name);
        } else if (strcmp(ev, "exec-started") == 0) {
                json_t *pid = json_object_get(reply, "pid");
                if (exec_add(c, x->id, x->tty, x->in) < 0)
                        log_error("container %.12s: cannot record exec %.12s", c->id, x->id);
                log_info("container %.12s (%s): exec %.12s started, pid %lld", c->id, c->name,
                         x->id, (long long) json_integer_value(pid));
                result = json_pack("{s:s,s:I}", "exec_id", x->id, "pid",
                                   json_integer_value(pid));
                if (x->detach)
                        request_reply(x->req, result);
                else
                        exec_hand_over(c, x->req, result, x->id, x->in && !x->passthrough, false,
                                       x->rows, x->cols);
        } else if (strcmp(ev, "exec-failed") == 0) {
                json_t *code = json_object_get(reply, "exit_code");
                json_t *data = json_pack("{s:I}", "exit_code",
                                         json_is_integer(code) ? json_integer_value(code) : 125);
                request_error(x->req, PROTO_ERR_INVALID, m ? m : "exec failed", data);
                json_decref(data);
        } else {
                request_errorf(x->req, PROTO_ERR_INTERNAL, "exec failed: %s",
                               m ? m : "unexpected reply from the monitor");
        }
        free(x);
}

void
container_exec(struct container_manager *m, const char *ref, const struct container_exec_params *p,
               struct request *req)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        struct container *c = NULL;
        struct exec_call *x;
        json_t *msg = NULL;
        int r;

        r = container_lookup(m, ref, &c, &e);
        if (r < 0) {
                request_error_errno(req, r, e);
                return;
        }
        if (c->state != CONTAINER_RUNNING || c->removing) {
                request_errorf(req, PROTO_ERR_CONFLICT, "container %s is not running", c->name);
                return;
        }
        /* A frozen container could not even run the exec's setup steps: the
         * process would join the frozen cgroup and hang (as Docker refuses). */
        if (c->paused) {
                request_errorf(req, PROTO_ERR_CONFLICT, "container %s is paused", c->name);
                return;
        }
        if (!p->command || !p->command[0]) {
                request_error(req, PROTO_ERR_INVALID_PARAMS, "parameter 'command' must not be empty",
                              NULL);
                return;
        }
        if (p->passthrough && (p->tty || p->detach || p->n_fds != (p->open_stdin ? 3u : 2u))) {
                request_errorf(req, PROTO_ERR_INVALID_PARAMS,
                               "passthrough needs no tty, no detach, and the fds of %s with the "
                               "request line (SCM_RIGHTS): got %zu fds",
                               p->open_stdin ? "stdin, stdout and stderr" : "stdout and stderr",
                               p->n_fds);
                return;
        }
        x = calloc(1, sizeof(*x));
        if (!x) {
                request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                return;
        }
        r = id_generate(x->id);
        if (r >= 0)
                r = build_exec_msg(c, x->id, p, &msg, &e);
        if (r >= 0) {
                x->req = req;
                x->detach = p->detach;
                x->in = p->open_stdin;
                x->tty = p->tty;
                x->passthrough = p->passthrough;
                x->rows = p->rows;
                x->cols = p->cols;
                memcpy(x->container_id, c->id, sizeof(x->container_id));
                /* No fd yet: the reply (success or 126/127) goes out before
                 * any frame, so the connection follows only on exec-started. */
                r = monitor_client_call_fds(c, msg, p->fds, p->passthrough ? p->n_fds : 0,
                                            exec_started_cb, x, &e);
        }
        json_decref(msg);
        if (r < 0) {
                free(x);
                request_error_errno(req, r, e);
        }
}

/* ---- exec.list, exec.inspect ---- */

struct list_call {
        struct request *req;
        char *only; /* exec.inspect: this id; NULL: all */
};

static json_t *
exec_view(const struct container *c, json_t *x)
{
        json_t *v = json_deep_copy(x);

        if (v)
                json_object_set_new(v, "container", json_string(c->id));
        return v;
}

static void
list_cb(struct container *c, json_t *reply, void *userdata)
{
        struct list_call *l = userdata;
        json_t *execs = json_object_get(reply, "execs"), *x, *out;
        size_t i;

        if (!json_is_array(execs)) {
                const char *m = json_string_value(json_object_get(reply, "message"));
                request_errorf(l->req, PROTO_ERR_INTERNAL, "list execs of %s: %s", c->name,
                               m ? m : "the monitor went away");
                goto done;
        }
        if (!l->only) {
                out = json_array();
                json_array_foreach (execs, i, x)
                        json_array_append_new(out, exec_view(c, x));
                request_reply(l->req, json_pack("{s:o}", "execs", out));
                goto done;
        }
        json_array_foreach (execs, i, x) {
                const char *id = json_string_value(json_object_get(x, "exec_id"));
                if (id && strcmp(id, l->only) == 0) {
                        request_reply(l->req, exec_view(c, x));
                        goto done;
                }
        }
        exec_forget(c, l->only);
        request_errorf(l->req, PROTO_ERR_NOT_FOUND, "no such exec: %s", l->only);
done:
        free(l->only);
        free(l);
}

static void
list_call(struct container *c, const char *only, struct request *req)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        struct list_call *l = calloc(1, sizeof(*l));
        json_t *msg = json_pack("{s:s}", "op", "exec-list");
        int r = -ENOMEM;

        if (l && msg && (!only || (l->only = strdup(only)))) {
                l->req = req;
                r = monitor_client_call(c, msg, -1, list_cb, l, &e);
        }
        json_decref(msg);
        if (r < 0) {
                if (l)
                        free(l->only);
                free(l);
                request_error_errno(req, r, e);
        }
}

void
container_exec_list(struct container_manager *m, const char *ref, struct request *req)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        struct container *c = NULL;
        int r = container_lookup(m, ref, &c, &e);

        if (r < 0) {
                request_error_errno(req, r, e);
                return;
        }
        /* Execs die with the monitor, and so do their exit codes. */
        if (c->state != CONTAINER_RUNNING) {
                request_reply(req, json_pack("{s:[]}", "execs"));
                return;
        }
        list_call(c, NULL, req);
}

void
container_exec_inspect(struct container_manager *m, const char *ref, struct request *req)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        struct container *c = NULL;
        struct container_exec *x = NULL;
        int r = exec_lookup(m, ref, &c, &x, &e);

        if (r < 0) {
                request_error_errno(req, r, e);
                return;
        }
        list_call(c, x->id, req);
}

/* ---- exec.attach, exec.kill, exec.remove ---- */

void
container_exec_attach(struct container_manager *m, const char *ref, int stdin_mode,
                      unsigned rows, unsigned cols, struct request *req)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        struct container *c = NULL;
        struct container_exec *x = NULL;
        int r = exec_lookup(m, ref, &c, &x, &e);

        if (r < 0) {
                request_error_errno(req, r, e);
                return;
        }
        r = monitor_client_connect(c, &e);
        if (r < 0) {
                request_error_errno(req, r, e);
                return;
        }
        /* The monitor replays the exec's recent output, then replay_end,
         * then live output; EXIT at once if it has exited. */
        exec_hand_over(c, req, json_pack("{s:s,s:b}", "exec_id", x->id, "tty", x->tty), x->id,
                       stdin_mode < 0 ? x->in : stdin_mode > 0, true, rows, cols);
}

struct simple_call {
        struct request *req;
        char id[ID_HEX_LEN + 1];
        bool forget; /* exec.remove: drop it from the map on success */
};

static void
simple_cb(struct container *c, json_t *reply, void *userdata)
{
        struct simple_call *s = userdata;
        const char *ev = json_string_value(json_object_get(reply, "event"));
        const char *msg = json_string_value(json_object_get(reply, "message"));

        if (ev && strcmp(ev, "ok") == 0) {
                if (s->forget)
                        exec_forget(c, s->id);
                request_reply(s->req, json_pack("{s:s}", "exec_id", s->id));
        } else if (ev) {
                request_error(s->req, PROTO_ERR_CONFLICT, msg ? msg : "the monitor refused", NULL);
        } else {
                request_errorf(s->req, PROTO_ERR_INTERNAL, "the monitor of container %s went away",
                               c->name);
        }
        free(s);
}

static void
simple_op(struct container_manager *m, const char *ref, json_t *msg, bool forget,
          struct request *req)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        struct container *c = NULL;
        struct simple_call *s;
        struct container_exec *x = NULL;
        int r = exec_lookup(m, ref, &c, &x, &e);

        if (r < 0) {
                json_decref(msg);
                request_error_errno(req, r, e);
                return;
        }
        s = calloc(1, sizeof(*s));
        if (!s || !msg) {
                free(s);
                json_decref(msg);
                request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                return;
        }
        s->req = req;
        s->forget = forget;
        memcpy(s->id, x->id, sizeof(s->id));
        json_object_set_new(msg, "exec_id", json_string(x->id));
        r = monitor_client_call(c, msg, -1, simple_cb, s, &e);
        json_decref(msg);
        if (r < 0) {
                free(s);
                request_error_errno(req, r, e);
        }
}

void
container_exec_kill(struct container_manager *m, const char *ref, int sig, struct request *req)
{
        simple_op(m, ref, json_pack("{s:s,s:i}", "op", "exec-kill", "signal", sig), false, req);
}

void
container_exec_remove(struct container_manager *m, const char *ref, bool force,
                      struct request *req)
{
        simple_op(m, ref, json_pack("{s:s,s:b}", "op", "exec-remove", "force", force), true, req);
}
