/* image.* handlers: parameter validation, then the image manager. */
#include "common/id.h"
#include "daemon/api/api.h"
#include "daemon/image-manager.h"

void
api_image_import(struct request *req, json_t *params, void *userdata)
{
        struct api_context *ctx = userdata;
        const char *path, *name, *tag;
        bool all;

        if (api_param_string(req, params, "path", true, &path) < 0 ||
            api_param_string(req, params, "name", false, &name) < 0 ||
            api_param_string(req, params, "tag", false, &tag) < 0 ||
            api_param_bool(req, params, "all", &all) < 0)
                return;
        image_manager_import(ctx->images, path, name, tag, all, req);
}

void
api_image_list(struct request *req, json_t *params, void *userdata)
{
        struct api_context *ctx = userdata;

        request_reply(req, image_manager_list_json(ctx->images));
}

void
api_image_inspect(struct request *req, json_t *params, void *userdata)
{
        struct api_context *ctx = userdata;
        _cleanup_error_ struct ctr_error *e = NULL;
        const char *ref;
        json_t *j = NULL;
        int r;

        if (api_param_string(req, params, "image", true, &ref) < 0)
                return;
        r = image_manager_inspect_json(ctx->images, ref, &j, &e);
        if (r < 0)
                request_error_errno(req, r, e);
        else
                request_reply(req, j);
}

void
api_image_remove(struct request *req, json_t *params, void *userdata)
{
        struct api_context *ctx = userdata;
        _cleanup_error_ struct ctr_error *e = NULL;
        const char *ref;
        json_t *j = NULL;
        bool force;
        int r;

        if (api_param_string(req, params, "image", true, &ref) < 0 ||
            api_param_bool(req, params, "force", &force) < 0)
                return;
        r = image_manager_remove(ctx->images, ref, force, &j, &e);
        if (r < 0)
                request_error_errno(req, r, e);
        else
                request_reply(req, j);
}

void
api_image_prune(struct request *req, json_t *params, void *userdata)
{
        struct api_context *ctx = userdata;

        image_manager_prune(ctx->images, req);
}
