/* network.* handlers: parameter validation, then the network manager. */
#include <string.h>

#include "daemon/api/api.h"
#include "daemon/container.h"
#include "daemon/network-manager.h"

void
api_network_create(struct request *req, json_t *params, void *userdata)
{
        static const char *const keys[] = { "name", "subnet", "bridge", "masquerade", NULL };
        struct api_context *ctx = userdata;
        const char *name, *subnet, *bridge;
        bool masquerade = false;

        if (api_params_check_keys(req, params, keys) < 0 ||
            api_param_string(req, params, "name", true, &name) < 0 ||
            api_param_string(req, params, "subnet", true, &subnet) < 0 ||
            api_param_string(req, params, "bridge", false, &bridge) < 0 ||
            api_param_bool(req, params, "masquerade", &masquerade) < 0)
                return;
        network_manager_create(ctx->networks, name, subnet, bridge, masquerade, req);
}

void
api_network_list(struct request *req, json_t *params, void *userdata)
{
        struct api_context *ctx = userdata;
        json_t *j = network_manager_list_json(ctx->networks);

        if (!j)
                request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
        else
                request_reply(req, j);
}

/* The manager knows the names of running containers only; the others'
 * come from the container records. */
static void
fill_names(struct api_context *ctx, json_t *containers)
{
        json_t *all = NULL, *c, *x;
        size_t i, k;

        json_array_foreach (containers, i, c) {
                const char *id = json_string_value(json_object_get(c, "id"));

                if (!json_is_null(json_object_get(c, "name")) || !id)
                        continue;
                if (!all && ctx->containers)
                        all = container_list_json(ctx->containers, true, (uid_t) -1);
                json_array_foreach (json_object_get(all, "containers"), k, x)
                        if (json_is_string(json_object_get(x, "id")) &&
                            strcmp(json_string_value(json_object_get(x, "id")), id) == 0) {
                                json_object_set(c, "name", json_object_get(x, "name"));
                                break;
                        }
        }
        json_decref(all);
}

void
api_network_inspect(struct request *req, json_t *params, void *userdata)
{
        struct api_context *ctx = userdata;
        _cleanup_error_ struct ctr_error *e = NULL;
        const char *name;
        json_t *j = NULL;
        int r;

        if (api_param_string(req, params, "network", true, &name) < 0)
                return;
        r = network_manager_inspect_json(ctx->networks, name, &j, &e);
        if (r < 0) {
                request_error_errno(req, r, e);
                return;
        }
        fill_names(ctx, json_object_get(j, "containers"));
        request_reply(req, j);
}

void
api_network_remove(struct request *req, json_t *params, void *userdata)
{
        struct api_context *ctx = userdata;
        const char *name;

        if (api_param_string(req, params, "network", true, &name) < 0)
                return;
        network_manager_remove(ctx->networks, name, req);
}
