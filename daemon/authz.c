/* Roles from peer credentials, and which methods each role may call. The
 * table below is the whole method-level policy; per-object checks (whose
 * container it is, what a user may ask for at create) live with the
 * objects in the orchestrator. */
#include "daemon/authz.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/macros.h"

const char *
authz_role_to_string(enum authz_role r)
{
        switch (r) {
        case AUTHZ_ROLE_ADMIN:
                return "admin";
        case AUTHZ_ROLE_USER:
                return "user";
        case AUTHZ_ROLE_NONE:
                break;
        }
        return "none";
}

static int
lookup_group(const char *name, gid_t *ret_gid, bool *ret_found, struct ctr_error **err)
{
        struct group grp, *res = NULL;
        char buf[16384];
        int r;

        *ret_found = false;
        if (!name || !*name)
                return 0;
        r = getgrnam_r(name, &grp, buf, sizeof(buf), &res);
        if (r != 0 && r != ENOENT && r != ESRCH)
                return ctr_error_sys(err, r, "look up group `%s`", name);
        if (res) {
                *ret_gid = res->gr_gid;
                *ret_found = true;
        }
        return 0;
}

int
authz_groups_resolve(const char *admin_group, const char *user_group, struct authz_groups *ret,
                     struct ctr_error **err)
{
        struct authz_groups g = { 0 };
        int r;

        r = lookup_group(admin_group, &g.admin_gid, &g.has_admin, err);
        if (r < 0)
                return r;
        r = lookup_group(user_group, &g.user_gid, &g.has_user, err);
        if (r < 0)
                return r;
        snprintf(g.admin_name, sizeof(g.admin_name), "%s", admin_group ? admin_group : "");
        snprintf(g.user_name, sizeof(g.user_name), "%s", user_group ? user_group : "");
        *ret = g;
        return 0;
}

int
authz_peer_groups(int fd, gid_t **ret, size_t *ret_n)
{
        socklen_t len = 32 * sizeof(gid_t);

        /* Two tries: the kernel says how much it needs (ERANGE) the first
         * time the guess is too small. */
        for (int i = 0; i < 2; i++) {
                _cleanup_free_ gid_t *buf = malloc(len ? len : sizeof(gid_t));
                if (!buf)
                        return -ENOMEM;
                if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, buf, &len) == 0) {
                        *ret_n = len / sizeof(gid_t);
                        *ret = *ret_n ? TAKE_PTR(buf) : NULL;
                        return 0;
                }
                if (errno != ERANGE)
                        return -errno;
        }
        return -ERANGE;
}

static bool
has_gid(gid_t want, gid_t gid, const gid_t *groups, size_t n)
{
        if (gid == want)
                return true;
        for (size_t i = 0; i < n; i++)
                if (groups[i] == want)
                        return true;
        return false;
}

enum authz_role
authz_role_for(uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups,
               const struct authz_groups *g)
{
        if (uid == 0)
                return AUTHZ_ROLE_ADMIN;
        if (g->has_admin && has_gid(g->admin_gid, gid, groups, n_groups))
                return AUTHZ_ROLE_ADMIN;
        if (g->has_user && has_gid(g->user_gid, gid, groups, n_groups))
                return AUTHZ_ROLE_USER;
        return AUTHZ_ROLE_NONE;
}

/* Methods a user may call. Listed by prefix or name; the rest need admin.
 * container.* and exec.* act on objects daemon/api/authz.c checks are the
 * caller's own (a user's container.list and stats show only theirs).
 * events.subscribe: a user's stream has only their own containers' events
 * (daemon/events.c, struct event_filter's own_only). */
static const struct {
        const char *method; /* exact, or a prefix ending in '.' */
        enum authz_need need;
} method_needs[] = {
        { "system.version", AUTHZ_NEED_ANY },
        { "system.info", AUTHZ_NEED_ANY },
        { "image.list", AUTHZ_NEED_ANY },
        { "image.inspect", AUTHZ_NEED_ANY },
        { "network.list", AUTHZ_NEED_ANY },
        { "network.inspect", AUTHZ_NEED_ANY },
        { "events.subscribe", AUTHZ_NEED_ANY },
        { "container.", AUTHZ_NEED_OWNER },
        { "exec.", AUTHZ_NEED_OWNER },
};

enum authz_need
authz_method_need(const char *method)
{
        for (size_t i = 0; i < ARRAY_SIZE(method_needs); i++) {
                const char *m = method_needs[i].method;
                size_t n = strlen(m);
                if (m[n - 1] == '.' ? strncmp(method, m, n) == 0 : strcmp(method, m) == 0)
                        return method_needs[i].need;
        }
        return AUTHZ_NEED_ADMIN;
}

const char *
authz_method_denied(enum authz_role role, const char *method)
{
        switch (role) {
        case AUTHZ_ROLE_ADMIN:
                return NULL;
        case AUTHZ_ROLE_USER:
                if (authz_method_need(method) == AUTHZ_NEED_ADMIN)
                        return "only administrators (root or group containerctl-admin) may do this";
                return NULL;
        case AUTHZ_ROLE_NONE:
                break;
        }
        return "permission denied";
}

const char *
authz_refusal_message(uid_t uid, const struct authz_groups *g, char *buf, size_t size)
{
        snprintf(buf, size,
                 "permission denied: uid %u may not use containerctld (ask an administrator "
                 "to add you to group %s, or %s for full access)",
                 (unsigned) uid, g->user_name[0] ? g->user_name : "containerctl",
                 g->admin_name[0] ? g->admin_name : "containerctl-admin");
        return buf;
}
