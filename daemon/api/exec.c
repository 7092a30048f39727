/* container.exec and exec.* handlers: typed parameters in, the exec
 * orchestrator (daemon/container-exec.c) does the rest. */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "daemon/api/api.h"
#include "daemon/container.h"

static int
dup_string(struct request *req, json_t *params, const char *key, char **ret)
{
        const char *s;

        if (api_param_string(req, params, key, false, &s) < 0)
                return -EINVAL;
        *ret = s ? strdup(s) : NULL;
        return 0;
}

void
api_container_exec(struct request *req, json_t *params, void *userdata)
{
        static const char *const keys[] = { "container", "command", "env",    "workdir",
                                            "user",      "tty",     "stdin",  "detach",
                                            "rows",      "cols",    "passthrough", NULL };
        struct api_context *ctx = userdata;
        struct container_exec_params p = { 0 };
        const char *ref;

        if (api_params_check_keys(req, params, keys) < 0 ||
            api_param_string(req, params, "container", true, &ref) < 0)
                return;
        if (api_param_strv(req, params, "command", &p.command) < 0 ||
            api_param_strv(req, params, "env", &p.env) < 0 ||
            dup_string(req, params, "workdir", &p.workdir) < 0 ||
            dup_string(req, params, "user", &p.user) < 0 ||
            api_param_bool(req, params, "tty", &p.tty) < 0 ||
            api_param_bool(req, params, "stdin", &p.open_stdin) < 0 ||
            api_param_bool(req, params, "detach", &p.detach) < 0 ||
            api_param_bool(req, params, "passthrough", &p.passthrough) < 0 ||
            api_param_winsize(req, params, &p.rows, &p.cols) < 0) {
                container_exec_params_clear(&p);
                return;
        }
        if (!p.command || !p.command[0]) {
                container_exec_params_clear(&p);
                request_error(req, PROTO_ERR_INVALID_PARAMS,
                              "missing parameter 'command' (a non-empty array of strings)", NULL);
                return;
        }
        if (p.workdir && p.workdir[0] != '/') {
                container_exec_params_clear(&p);
                request_error(req, PROTO_ERR_INVALID_PARAMS,
                              "parameter 'workdir' must be an absolute path", NULL);
                return;
        }
        for (size_t i = 0; p.env && p.env[i]; i++)
                if (!strchr(p.env[i], '=') || p.env[i][0] == '=') {
                        request_errorf(req, PROTO_ERR_INVALID_PARAMS,
                                       "parameter 'env' item %zu must be \"KEY=VALUE\"", i);
                        container_exec_params_clear(&p);
                        return;
                }
        if (p.passthrough)
                p.n_fds = request_take_fds(req, p.fds, 3);
        container_exec(ctx->containers, ref, &p, req);
        container_exec_params_clear(&p);
}

void
api_exec_list(struct request *req, json_t *params, void *userdata)
{
        struct api_context *ctx = userdata;
        const char *ref;

        if (api_param_string(req, params, "container", true, &ref) < 0)
                return;
        container_exec_list(ctx->containers, ref, req);
}

void
api_exec_inspect(struct request *req, json_t *params, void *userdata)
{
        struct api_context *ctx = userdata;
        const char *ref;

        if (api_param_string(req, params, "exec", true, &ref) < 0)
                return;
        container_exec_inspect(ctx->containers, ref, req);
}

void
api_exec_attach(struct request *req, json_t *params, void *userdata)
{
        static const char *const keys[] = { "exec", "stdin", "rows", "cols", NULL };
        struct api_context *ctx = userdata;
        const char *ref;
        unsigned rows, cols;
        int in;

        if (api_params_check_keys(req, params, keys) < 0 ||
            api_param_string(req, params, "exec", true, &ref) < 0 ||
            api_param_tristate(req, params, "stdin", &in) < 0 ||
            api_param_winsize(req, params, &rows, &cols) < 0)
                return;
        container_exec_attach(ctx->containers, ref, in, rows, cols, req);
}

void
api_exec_kill(struct request *req, json_t *params, void *userdata)
{
        struct api_context *ctx = userdata;
        const char *ref;
        int sig;

        if (api_param_string(req, params, "exec", true, &ref) < 0 ||
            api_param_signal(req, params, "signal", SIGKILL, &sig) < 0)
                return;
        container_exec_kill(ctx->containers, ref, sig, req);
}

void
api_exec_remove(struct request *req, json_t *params, void *userdata)
{
        struct api_context *ctx = userdata;
        const char *ref;
        bool force;

        if (api_param_string(req, params, "exec", true, &ref) < 0 ||
            api_param_bool(req, params, "force", &force) < 0)
                return;
        container_exec_remove(ctx->containers, ref, force, req);
}
