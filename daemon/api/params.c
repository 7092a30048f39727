/* Typed access to request params with one error style: invalid_params
 * naming the field and what it must be. Also the method table. */
#include <errno.h>
#include <string.h>

#include "common/parse.h"
#include "daemon/api/api.h"

const struct dispatch_method api_methods[] = {
        { "system.version", api_system_version, false },
        { "system.info", api_system_info, false },
        { "image.import", api_image_import, true },
        { "image.list", api_image_list, false },
        { "image.inspect", api_image_inspect, false },
        { "image.remove", api_image_remove, true },
        { "image.prune", api_image_prune, true },
        { "container.create", api_container_create, true },
        { "container.start", api_container_start, true },
        { "container.stop", api_container_stop, true },
        { "container.kill", api_container_kill, true },
        { "container.remove", api_container_remove, true },
        { "container.list", api_container_list, false },
        { "container.inspect", api_container_inspect, false },
        { "container.wait", api_container_wait, false },
        { "container.attach", api_container_attach, true },
        { "container.exec", api_container_exec, true },
        { "container.logs", api_container_logs, false },
        { "container.update", api_container_update, true },
        { "container.pause", api_container_pause, true },
        { "container.resume", api_container_resume, true },
        { "container.stats", api_container_stats, false },
        { "events.subscribe", api_events_subscribe, false },
        { "exec.list", api_exec_list, false },
        { "exec.inspect", api_exec_inspect, false },
        { "exec.attach", api_exec_attach, true },
        { "exec.kill", api_exec_kill, true },
        { "exec.remove", api_exec_remove, true },
        { "network.create", api_network_create, true },
        { "network.list", api_network_list, false },
        { "network.inspect", api_network_inspect, false },
        { "network.remove", api_network_remove, true },
        { NULL, NULL, false },
};

int
api_param_string(struct request *req, json_t *params, const char *key, bool required,
                 const char **ret)
{
        json_t *v = json_object_get(params, key);

        if (!v || json_is_null(v)) {
                if (required) {
                        request_errorf(req, PROTO_ERR_INVALID_PARAMS, "missing parameter '%s'",
                                       key);
                        return -EINVAL;
                }
                *ret = NULL;
                return 0;
        }
        if (!json_is_string(v)) {
                request_errorf(req, PROTO_ERR_INVALID_PARAMS, "parameter '%s' must be a string",
                               key);
                return -EINVAL;
        }
        if (strlen(json_string_value(v)) != json_string_length(v)) {
                request_errorf(req, PROTO_ERR_INVALID_PARAMS,
                               "parameter '%s' must not contain NUL bytes", key);
                return -EINVAL;
        }
        *ret = json_string_value(v);
        return 0;
}

int
api_param_bool(struct request *req, json_t *params, const char *key, bool *ret)
{
        json_t *v = json_object_get(params, key);

        if (!v || json_is_null(v)) {
                *ret = false;
                return 0;
        }
        if (!json_is_boolean(v)) {
                request_errorf(req, PROTO_ERR_INVALID_PARAMS, "parameter '%s' must be a boolean",
                               key);
                return -EINVAL;
        }
        *ret = json_is_true(v);
        return 0;
}

int
api_param_int(struct request *req, json_t *params, const char *key, long long min, long long max,
              bool *ret_present, long long *ret)
{
        json_t *v = json_object_get(params, key);

        *ret_present = false;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
                request_errorf(req, PROTO_ERR_INVALID_PARAMS,
                               "parameter '%s' must be an integer from %lld to %lld", key, min,
                               max);
                return -EINVAL;
        }
        *ret_present = true;
        *ret = json_integer_value(v);
        return 0;
}

int
api_param_strv(struct request *req, json_t *params, const char *key, char ***ret)
{
        json_t *v = json_object_get(params, key), *x;
        char **out;
        size_t i;

        *ret = NULL;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_array(v)) {
                request_errorf(req, PROTO_ERR_INVALID_PARAMS,
                               "parameter '%s' must be an array of strings", key);
                return -EINVAL;
        }
        out = calloc(json_array_size(v) + 1, sizeof(char *));
        if (!out) {
                request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                return -ENOMEM;
        }
        json_array_foreach (v, i, x) {
                if (!json_is_string(x) || strlen(json_string_value(x)) != json_string_length(x)) {
                        for (size_t k = 0; k < i; k++)
                                free(out[k]);
                        free(out);
                        request_errorf(req, PROTO_ERR_INVALID_PARAMS,
                                       "parameter '%s' must be an array of strings (item %zu)",
                                       key, i);
                        return -EINVAL;
                }
                out[i] = strdup(json_string_value(x));
        }
        *ret = out;
        return 0;
}

int
api_params_check_keys(struct request *req, json_t *params, const char *const *allowed)
{
        const char *key;
        json_t *v;

        json_object_foreach (params, key, v) {
                size_t i;
                for (i = 0; allowed[i]; i++)
                        if (strcmp(allowed[i], key) == 0)
                                break;
                if (!allowed[i]) {
                        request_errorf(req, PROTO_ERR_INVALID_PARAMS, "unknown parameter '%s'",
                                       key);
                        return -EINVAL;
                }
        }
        return 0;
}

int
api_param_signal(struct request *req, json_t *params, const char *key, int def, int *ret)
{
        json_t *s = json_object_get(params, key);
        int sig = def;

        if (json_is_string(s))
                sig = parse_signal(json_string_value(s));
        else if (json_is_integer(s))
                sig = json_integer_value(s) > 0 && json_integer_value(s) < 65
                              ? (int) json_integer_value(s)
                              : -EINVAL;
        else if (s && !json_is_null(s))
                sig = -EINVAL;
        if (sig <= 0) {
                request_errorf(req, PROTO_ERR_INVALID_PARAMS,
                               "parameter '%s' must be a signal name (\"TERM\") or number", key);
                return -EINVAL;
        }
        *ret = sig;
        return 0;
}

int
api_param_winsize(struct request *req, json_t *params, unsigned *ret_rows, unsigned *ret_cols)
{
        long long rows = 0, cols = 0;
        bool present;

        if (api_param_int(req, params, "rows", 0, 65535, &present, &rows) < 0 ||
            api_param_int(req, params, "cols", 0, 65535, &present, &cols) < 0)
                return -EINVAL;
        *ret_rows = (unsigned) rows;
        *ret_cols = (unsigned) cols;
        return 0;
}

int
api_param_tristate(struct request *req, json_t *params, const char *key, int *ret)
{
        json_t *v = json_object_get(params, key);
        bool b;

        if (!v || json_is_null(v)) {
                *ret = -1;
                return 0;
        }
        if (api_param_bool(req, params, key, &b) < 0)
                return -EINVAL;
        *ret = b;
        return 0;
}
