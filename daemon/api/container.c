/* container.* handlers: typed parameters in, the container orchestrator
 * does the rest. Every malformed parameter is answered here with
 * invalid_params naming it; nothing reaches the orchestrator unchecked. */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "common/parse.h"
#include "daemon/api/api.h"
#include "daemon/container.h"

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
                bool ro;
                if (!json_is_object(x)) {
                        request_errorf(req, PROTO_ERR_INVALID_PARAMS,
                                       "parameter 'mounts' item %zu must be an object", i);
                        return -EINVAL;
                }
                if (api_param_string(req, x, "source", true, &src) < 0 ||
                    api_param_string(req, x, "destination", true, &dst) < 0 ||
                    api_param_bool(req, x, "readonly", &ro) < 0)
                        return -EINVAL;
                p->mounts[i].source = strdup(src);
                p->mounts[i].destination = strdup(dst);
                p->mounts[i].readonly = ro;
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

void
api_container_create(struct request *req, json_t *params, void *userdata)
{
        static const char *const keys[] = { "image", "name", "command", "env", "workdir",
                                            "user", "hostname", "mounts", "auto_remove", NULL };
        struct api_context *ctx = userdata;
        _cleanup_error_ struct ctr_error *e = NULL;
        struct container_create_params p = { 0 };
        _cleanup_free_ char *name = NULL;
        char id[ID_HEX_LEN + 1];
        const char *image;
        int r;

        if (api_params_check_keys(req, params, keys) < 0 ||
            api_param_string(req, params, "image", true, &image) < 0)
                return;
        p.image = strdup(image);
        if (dup_param(req, params, "name", &p.name) < 0 ||
            api_param_strv(req, params, "command", &p.command) < 0 ||
            api_param_strv(req, params, "env", &p.env) < 0 ||
            dup_param(req, params, "workdir", &p.workdir) < 0 ||
            dup_param(req, params, "user", &p.user) < 0 ||
            dup_param(req, params, "hostname", &p.hostname) < 0 ||
            parse_mounts(req, params, &p) < 0 ||
            api_param_bool(req, params, "auto_remove", &p.auto_remove) < 0) {
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
        bool attach;

        if (api_param_string(req, params, "container", true, &ref) < 0 ||
            api_param_bool(req, params, "attach", &attach) < 0)
                return;
        container_start(ctx->containers, ref, attach, req);
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
        json_t *s = json_object_get(params, "signal");
        char id[ID_HEX_LEN + 1];
        const char *ref;
        int sig = SIGKILL, r;

        if (api_param_string(req, params, "container", true, &ref) < 0)
                return;
        if (json_is_string(s))
                sig = parse_signal(json_string_value(s));
        else if (json_is_integer(s))
                sig = json_integer_value(s) > 0 && json_integer_value(s) < 65
                              ? (int) json_integer_value(s)
                              : -EINVAL;
        else if (s && !json_is_null(s))
                sig = -EINVAL;
        if (sig <= 0) {
                request_error(req, PROTO_ERR_INVALID_PARAMS,
                              "parameter 'signal' must be a signal name (\"TERM\") or number", NULL);
                return;
        }
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
        request_reply(req, container_list_json(ctx->containers, all));
}

void
api_container_inspect(struct request *req, json_t *params, void *userdata)
{
        struct api_context *ctx = userdata;
        _cleanup_error_ struct ctr_error *e = NULL;
        const char *ref;
        json_t *j = NULL;
        int r;

        if (api_param_string(req, params, "container", true, &ref) < 0)
                return;
        r = container_inspect_json(ctx->containers, ref, &j, &e);
        if (r < 0)
                request_error_errno(req, r, e);
        else
                request_reply(req, j);
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
