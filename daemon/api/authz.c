/* What a user (group containerctl, not an admin) may do beyond the method
 * table of daemon/authz.c: act only on containers they created, and create
 * only containers that cannot reach the host as root — own user namespace
 * (the default for users), not privileged, no host network, no other
 * user's network namespace, no host port below 1024, binds only from
 * inside their home directory. Another user's container answers as if it
 * did not exist. JSON stops here, like everywhere in api/. */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "common/macros.h"
#include "daemon/api/api.h"
#include "daemon/container.h"
#include "daemon/ports.h"

/* Another user's object is reported exactly like a missing one; a
 * missing one is left to the handler to report. */
static bool
check_container(struct request *req, struct api_context *ctx, const char *ref)
{
        uid_t owner;

        if (container_owner(ctx->containers, ref, &owner) < 0 || owner == request_peer_uid(req))
                return true;
        request_errorf(req, PROTO_ERR_NOT_FOUND, "no such container: %s", ref);
        return false;
}

static bool
check_exec(struct request *req, struct api_context *ctx, const char *ref)
{
        uid_t owner;

        if (container_exec_owner(ctx->containers, ref, &owner) < 0 || owner == request_peer_uid(req))
                return true;
        request_errorf(req, PROTO_ERR_NOT_FOUND, "no such exec: %s", ref);
        return false;
}

bool
api_authorize(struct request *req, json_t *params, void *userdata)
{
        struct api_context *ctx = userdata;
        const char *ref;
        size_t i;
        json_t *v;

        ref = json_string_value(json_object_get(params, "container"));
        if (ref && !check_container(req, ctx, ref))
                return false;
        ref = json_string_value(json_object_get(params, "exec"));
        if (ref && !check_exec(req, ctx, ref))
                return false;
        json_array_foreach (json_object_get(params, "containers"), i, v) {
                ref = json_string_value(v);
                if (ref && !check_container(req, ctx, ref))
                        return false;
        }
        return true;
}

/* path (absolute, resolved) is home or below it. */
static bool
path_is_below(const char *path, const char *home)
{
        size_t n = strlen(home);

        while (n > 1 && home[n - 1] == '/')
                n--;
        return strncmp(path, home, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static int
check_mount(struct request *req, const struct container_mount *m, const char *home)
{
        char resolved[PATH_MAX];

        /* Resolved here, by the daemon: a symlink in the home must not lead
         * a bind out of it. */
        if (!realpath(m->source, resolved)) {
                request_errorf(req, PROTO_ERR_INVALID, "volume source `%s`: %s", m->source,
                               strerror(errno));
                return -EINVAL;
        }
        if (!home || !path_is_below(resolved, home)) {
                request_errorf(req, PROTO_ERR_DENIED,
                               "volume source `%s` is outside your home directory (%s): users "
                               "may bind only their own files",
                               resolved, home ? home : "none");
                return -EPERM;
        }
        if (m->idmap) {
                request_errorf(req, PROTO_ERR_DENIED,
                               "`idmap` volumes would let the container's root write as host root: "
                               "administrators only");
                return -EPERM;
        }
        return 0;
}

static int
check_network(struct request *req, struct api_context *ctx, const char *network)
{
        if (!network)
                return 0;
        if (strcmp(network, "host") == 0) {
                request_errorf(req, PROTO_ERR_DENIED, "--network host: administrators only");
                return -EPERM;
        }
        if (strncmp(network, "container:", 10) == 0 && !check_container(req, ctx, network + 10))
                return -EPERM;
        return 0;
}

int
api_authorize_create(struct request *req, json_t *params, struct api_context *ctx,
                     struct container_create_params *p)
{
        _cleanup_free_ char *buf = NULL;
        struct passwd pw, *res = NULL;
        const char *home = NULL;
        long size;
        int r;

        p->owner_uid = request_peer_uid(req);
        if (request_peer_role(req) == AUTHZ_ROLE_ADMIN)
                return 0;
        if (p->security.privileged) {
                request_errorf(req, PROTO_ERR_DENIED, "--privileged: administrators only");
                return -EPERM;
        }
        /* Users' containers always get their own user namespace. */
        if (!json_object_get(params, "userns"))
                p->userns = CONTAINER_USERNS_AUTO;
        if (p->userns != CONTAINER_USERNS_AUTO) {
                request_errorf(req, PROTO_ERR_DENIED,
                               "users' containers run in their own user namespace (--userns auto)");
                return -EPERM;
        }
        r = check_network(req, ctx, p->network);
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->n_ports; i++)
                if (p->ports[i].host_port != 0 && p->ports[i].host_port < 1024) {
                        request_errorf(req, PROTO_ERR_DENIED,
                                       "host port %u is privileged (below 1024): administrators only",
                                       p->ports[i].host_port);
                        return -EPERM;
                }
        if (p->n_mounts == 0)
                return 0;
        size = sysconf(_SC_GETPW_R_SIZE_MAX);
        buf = malloc(size > 0 ? (size_t) size : 16384);
        if (buf && getpwuid_r(p->owner_uid, &pw, buf, size > 0 ? (size_t) size : 16384, &res) == 0 &&
            res && res->pw_dir && res->pw_dir[0] == '/' && strcmp(res->pw_dir, "/") != 0)
                home = res->pw_dir;
        for (size_t i = 0; i < p->n_mounts; i++) {
                r = check_mount(req, &p->mounts[i], home);
                if (r < 0)
                        return r;
        }
        return 0;
}
