/* container.* handlers: typed parameters in, the container orchestrator
 * does the rest. Every malformed parameter is answered here with
 * invalid_params naming it; nothing reaches the orchestrator unchecked. */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "common/parse.h"
#include "daemon/api/api-resources.h"
#include "daemon/api/api.h"
#include "daemon/container.h"
#include "daemon/ports.h"
#include "daemon/log-reader.h"

static int
parse_mounts(struct request *req, json_t *params, struct container_create_params *p)
{
        json_t *v = json_object_get(params, "mounts"), *x;
        size_t i;

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_array(v)) {
                request_error(req, PROTO_ERR_INVALID_PARAMS,
                              "parameter 'mounts' must be an array of objects", NULL);
                return -EINVAL;
        }
        p->mounts = calloc(json_array_size(v) + 1, sizeof(*p->mounts));
        if (!p->mounts) {
                request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                return -ENOMEM;
        }
        json_array_foreach (v, i, x) {
                const char *src, *dst;
                bool ro, idmap;
                if (!json_is_object(x)) {
                        request_errorf(req, PROTO_ERR_INVALID_PARAMS,
                                       "parameter 'mounts' item %zu must be an object", i);
                        return -EINVAL;
                }
                if (api_param_string(req, x, "source", true, &src) < 0 ||
                    api_param_string(req, x, "destination", true, &dst) < 0 ||
                    api_param_bool(req, x, "readonly", &ro) < 0 ||
                    api_param_bool(req, x, "idmap", &idmap) < 0)
                        return -EINVAL;
                p->mounts[i].source = strdup(src);
                p->mounts[i].destination = strdup(dst);
                p->mounts[i].readonly = ro;
                p->mounts[i].idmap = idmap;
                p->n_mounts++;
        }
        return 0;
}

static int
dup_param(struct request *req, json_t *params, const char *key, char **ret)
{
        const char *s;

        if (api_param_string(req, params, key, false, &s) < 0)
                return -EINVAL;
        *ret = s ? strdup(s) : NULL;
        return 0;
}

/* "ports": [{"host_ip","host_port","container_port","protocol"}]. */
static int
parse_ports(struct request *req, json_t *params, struct container_create_params *p)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        json_t *j = json_object_get(params, "ports");
        int r;

        if (!j || json_is_null(j))
                return 0;
        r = ports_from_json(j, &p->ports, &p->n_ports, &e);
        if (r < 0)
                request_error(req, PROTO_ERR_INVALID_PARAMS, e ? e->message : "invalid ports", NULL);
        return r;
}

/* "labels": {"KEY":"VALUE"} -> "KEY=VALUE" strings. */
static int
parse_labels(struct request *req, json_t *params, char ***ret)
{
        json_t *o = json_object_get(params, "labels"), *v;
        const char *key;
        size_t n = 0;

        *ret = NULL;
        if (!o || json_is_null(o))
                return 0;
        if (!json_is_object(o)) {
                request_errorf(req, PROTO_ERR_INVALID_PARAMS, "parameter 'labels' must be an object of strings");
                return -EINVAL;
        }
        *ret = calloc(json_object_size(o) + 1, sizeof(char *));
        if (!*ret) {
                request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                return -ENOMEM;
        }
        json_object_foreach (o, key, v) {
                if (!*key || strchr(key, '=') || !json_is_string(v)) {
                        request_errorf(req, PROTO_ERR_INVALID_PARAMS,
                                       "label '%s': keys must be non-empty without '=', values strings",
                                       key);
                        return -EINVAL;
                }
                if (asprintf(&(*ret)[n++], "%s=%s", key, json_string_value(v)) < 0) {
                        (*ret)[n - 1] = NULL;
                        request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                        return -ENOMEM;
                }
        }
        return 0;
}

/* "security": capabilities, seccomp, read-only root (container-security.h). */
static int
parse_security(struct request *req, json_t *params, struct container_security *ret)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        int r = container_security_from_params(json_object_get(params, "security"), ret, &e);

        if (r < 0)
                request_error(req, r == -ENOMEM ? PROTO_ERR_INTERNAL : PROTO_ERR_INVALID_PARAMS,
                              e ? e->message : "invalid security settings", NULL);
        return r;
}

/* "userns": "auto" or "host" (container-userns.h); absent: host. */
static int
parse_userns(struct request *req, json_t *params, enum container_userns_mode *ret)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        const char *mode = NULL;
        int r;

        if (api_param_string(req, params, "userns", false, &mode) < 0)
                return -EINVAL;
        r = container_userns_mode_parse(mode, ret, &e);
        if (r < 0)
                request_error(req, PROTO_ERR_INVALID_PARAMS, e ? e->message : "invalid userns", NULL);
        return r;
}

void
api_container_create(struct request *req, json_t *params, void *userdata)
{
        static const char *const keys[] = { "image",       "name",         "command",
                                            "env",         "workdir",      "user",
                                            "hostname",    "mounts",       "auto_remove",
                                            "tty",         "open_stdin",   "log_max_size",
                                            "log_max_files", "entrypoint",  "stop_signal",
                                            "labels",      "network",      "ports",
                                            "network_aliases", "limits", "security", "userns", NULL };
        struct api_context *ctx = userdata;
        _cleanup_error_ struct ctr_error *e = NULL;
        struct container_create_params p = { 0 };
        _cleanup_free_ char *name = NULL;
        char id[ID_HEX_LEN + 1];
        const char *image;
        long long max_size = -1, max_files = -1;
        bool present;
        int r;

        if (api_params_check_keys(req, params, keys) < 0 ||
            api_param_string(req, params, "image", true, &image) < 0)
                return;
        p.image = strdup(image);
        if (dup_param(req, params, "name", &p.name) < 0 ||
            api_param_strv(req, params, "command", &p.command) < 0 ||
            api_param_strv(req, params, "entrypoint", &p.entrypoint) < 0 ||
            dup_param(req, params, "stop_signal", &p.stop_signal) < 0 ||
            parse_labels(req, params, &p.labels) < 0 ||
            dup_param(req, params, "network", &p.network) < 0 ||
            parse_ports(req, params, &p) < 0 ||
            api_param_strv(req, params, "network_aliases", &p.network_aliases) < 0 ||
            api_param_strv(req, params, "env", &p.env) < 0 ||
            dup_param(req, params, "workdir", &p.workdir) < 0 ||
            dup_param(req, params, "user", &p.user) < 0 ||
            dup_param(req, params, "hostname", &p.hostname) < 0 ||
            parse_mounts(req, params, &p) < 0 ||
            api_param_bool(req, params, "auto_remove", &p.auto_remove) < 0 ||
            api_param_bool(req, params, "tty", &p.tty) < 0 ||
            api_param_bool(req, params, "open_stdin", &p.open_stdin) < 0 ||
            api_param_int(req, params, "log_max_size", 0, INT64_MAX, &present, &max_size) < 0 ||
            api_param_int(req, params, "log_max_files", 1, 100, &present, &max_files) < 0 ||
            api_param_limits(req, params, "limits", &p.has_limits, &p.limits) < 0 ||
            parse_security(req, params, &p.security) < 0 ||
            parse_userns(req, params, &p.userns) < 0) {
                container_create_params_clear(&p);
                return;
        }
        p.log_max_size = max_size;
        p.log_max_files = (int) max_files;
        if (api_authorize_create(req, params, ctx, &p) < 0) {
                container_create_params_clear(&p);
                return;
        }
        r = container_create(ctx->containers, &p, id, &name, &e);
        container_create_params_clear(&p);
        if (r < 0)
                request_error_errno(req, r, e);
        else
                request_reply(req, json_pack("{s:s,s:s?}", "id", id, "name", name));
}

void
api_container_start(struct request *req, json_t *params, void *userdata)
{
        struct api_context *ctx = userdata;
        const char *ref;
        unsigned rows, cols;
        bool attach;

        if (api_param_string(req, params, "container", true, &ref) < 0 ||
            api_param_bool(req, params, "attach", &attach) < 0 ||
            api_param_winsize(req, params, &rows, &cols) < 0)
                return;
        container_start(ctx->containers, ref, attach, rows, cols, req);
}

void
api_container_stop(struct request *req, json_t *params, void *userdata)
{
        struct api_context *ctx = userdata;
        const char *ref;
        long long timeout = -1;
        bool present;

        if (api_param_string(req, params, "container", true, &ref) < 0 ||
            api_param_int(req, params, "timeout", 0, 86400, &present, &timeout) < 0)
                return;
        container_stop(ctx->containers, ref, present ? (int) timeout : -1, req);
}

void
api_container_kill(struct request *req, json_t *params, void *userdata)
{
        struct api_context *ctx = userdata;
        _cleanup_error_ struct ctr_error *e = NULL;
        char id[ID_HEX_LEN + 1];
        const char *ref;
        int sig, r;

        if (api_param_string(req, params, "container", true, &ref) < 0 ||
            api_param_signal(req, params, "signal", SIGKILL, &sig) < 0)
                return;
        r = container_kill(ctx->containers, ref, sig, id, &e);
        if (r < 0)
                request_error_errno(req, r, e);
        else
                request_reply(req, json_pack("{s:s}", "id", id));
}

void
api_container_remove(struct request *req, json_t *params, void *userdata)
{
        struct api_context *ctx = userdata;
        const char *ref;
        bool force;

        if (api_param_string(req, params, "container", true, &ref) < 0 ||
            api_param_bool(req, params, "force", &force) < 0)
                return;
        container_remove(ctx->containers, ref, force, req);
}

void
api_container_list(struct request *req, json_t *params, void *userdata)
{
        struct api_context *ctx = userdata;
        bool all;

        if (api_param_bool(req, params, "all", &all) < 0)
                return;
        /* A user sees only their own containers (daemon/authz.h). */
        request_reply(req, container_list_json(ctx->containers, all,
                                               request_peer_role(req) == AUTHZ_ROLE_ADMIN
                                                       ? (uid_t) -1
                                                       : request_peer_uid(req)));
}

void
api_container_inspect(struct request *req, json_t *params, void *userdata)
{
        struct api_context *ctx = userdata;
        const char *ref;

        if (api_param_string(req, params, "container", true, &ref) < 0)
                return;
        container_inspect(ctx->containers, ref, req);
}

void
api_container_wait(struct request *req, json_t *params, void *userdata)
{
        struct api_context *ctx = userdata;
        enum container_wait_condition cond = CONTAINER_WAIT_NOT_RUNNING;
        const char *ref, *s;

        if (api_param_string(req, params, "container", true, &ref) < 0 ||
            api_param_string(req, params, "condition", false, &s) < 0)
                return;
        if (s && strcmp(s, "removed") == 0)
                cond = CONTAINER_WAIT_REMOVED;
        else if (s && strcmp(s, "not-running") != 0) {
                request_error(req, PROTO_ERR_INVALID_PARAMS,
                              "parameter 'condition' must be \"not-running\" or \"removed\"",
                              NULL);
                return;
        }
        container_wait(ctx->containers, ref, cond, req);
}

void
api_container_attach(struct request *req, json_t *params, void *userdata)
{
        static const char *const keys[] = { "container", "stdin", "rows", "cols", NULL };
        struct api_context *ctx = userdata;
        const char *ref;
        unsigned rows, cols;
        int in;

        if (api_params_check_keys(req, params, keys) < 0 ||
            api_param_string(req, params, "container", true, &ref) < 0 ||
            api_param_tristate(req, params, "stdin", &in) < 0 ||
            api_param_winsize(req, params, &rows, &cols) < 0)
                return;
        container_attach(ctx->containers, ref, in, rows, cols, req);
}

/* RFC 3339 or unix seconds ("1700000000", "1700000000.5"). */
static int
param_time(struct request *req, json_t *params, const char *key, int64_t *ret)
{
        json_t *v = json_object_get(params, key);

        *ret = -1;
        if (!v || json_is_null(v))
                return 0;
        if (json_is_integer(v) && json_integer_value(v) >= 0 &&
            json_integer_value(v) < INT64_MAX / 1000000000) {
                *ret = json_integer_value(v) * 1000000000;
                return 0;
        }
        if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 9e9) {
                *ret = (int64_t) (json_real_value(v) * 1e9);
                return 0;
        }
        if (json_is_string(v) && log_time_parse(json_string_value(v), ret) == 0)
                return 0;
        request_errorf(req, PROTO_ERR_INVALID_PARAMS,
                       "parameter '%s' must be an RFC 3339 time or unix seconds", key);
        return -EINVAL;
}

void
api_container_logs(struct request *req, json_t *params, void *userdata)
{
        static const char *const keys[] = { "container", "follow", "tail",       "since",
                                            "until",     "timestamps", NULL };
        struct api_context *ctx = userdata;
        struct container_logs_params p = { .tail = -1 };
        long long tail = -1;
        bool present;
        const char *ref;

        if (api_params_check_keys(req, params, keys) < 0 ||
            api_param_string(req, params, "container", true, &ref) < 0 ||
            api_param_bool(req, params, "follow", &p.follow) < 0 ||
            api_param_bool(req, params, "timestamps", &p.timestamps) < 0 ||
            api_param_int(req, params, "tail", -1, INT64_MAX, &present, &tail) < 0 ||
            param_time(req, params, "since", &p.since_ns) < 0 ||
            param_time(req, params, "until", &p.until_ns) < 0)
                return;
        p.tail = tail;
        container_logs(ctx->containers, ref, &p, req);
}
