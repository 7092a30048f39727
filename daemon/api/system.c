/* system.version and system.info: what this daemon is and what it holds.
 * Read-only; never fails except on OOM. */
#include <sys/utsname.h>

#include "common/log.h"
#include "daemon/api/api.h"
#include "daemon/cgroup/cgroup.h"
#include "daemon/config.h"
#include "daemon/container.h"
#include "daemon/image-manager.h"

void
api_system_version(struct request *req, json_t *params, void *userdata)
{
        request_reply(req, json_pack("{s:s,s:i}", "version", PACKAGE_VERSION, "api_version",
                                     PROTO_API_VERSION));
}

void
api_system_info(struct request *req, json_t *params, void *userdata)
{
        struct api_context *ctx = userdata;
        _cleanup_error_ struct ctr_error *e = NULL;
        struct container_counts n;
        enum cgroup_mode mode;
        struct utsname u;
        const char *cg = "unknown";
        json_t *reply;

        if (cgroup_detect(&mode, &e) >= 0)
                cg = cgroup_mode_to_string(mode);
        else
                log_debug("cgroup_detect: %s", e ? e->message : "failed");
        if (uname(&u) < 0)
                u.release[0] = '\0';
        container_manager_counts(ctx->containers, &n);
        reply = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:{s:i,s:i,s:i,s:i},s:I,s:s}", "version",
                                PACKAGE_VERSION, "api_version", PROTO_API_VERSION, "cgroup_mode",
                                cg, "root", ctx->config->root, "run_root", ctx->config->run_root,
                                "cgroup_parent", ctx->config->cgroup_parent, "containers",
                                "total", n.total, "running", n.running, "created", n.created,
                                "exited", n.exited, "images",
                                (json_int_t) image_manager_count(ctx->images), "kernel",
                                u.release);
        /* The settings new containers get by default (issue 7). */
        if (reply)
                json_object_set_new(reply, "security", container_security_info_json(ctx->containers));
        request_reply(req, reply);
}
