/* Who may do what on the API socket. Each connection gets a role from its
 * peer's credentials, read once at accept (SO_PEERCRED, SO_PEERGROUPS):
 *   admin: uid 0 or a member of the admin group (default containerctl-admin)
 *          — everything;
 *   user:  a member of the user group (default containerctl) — reads, and
 *          their own containers only (the orchestrator checks ownership and
 *          the create-time restrictions, see container_authorize_create());
 *   none:  anyone else — refused at connect with a message saying why.
 * Docker's socket is all-or-nothing root; this is the middle ground. Pure
 * functions except authz_peer_groups() and authz_groups_resolve(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"

#define AUTHZ_DEFAULT_ADMIN_GROUP "containerctl-admin"
#define AUTHZ_DEFAULT_USER_GROUP "containerctl"

enum authz_role {
        AUTHZ_ROLE_NONE,
        AUTHZ_ROLE_USER,
        AUTHZ_ROLE_ADMIN,
};
const char *authz_role_to_string(enum authz_role r); /* "none", "user", "admin" */

struct authz_groups {
        gid_t admin_gid, user_gid;
        bool has_admin, has_user; /* false: no such group on this host */
        char admin_name[64], user_name[64]; /* for messages */
};

/* Looks the group names up (NSS; at start-up, before the loop runs). A
 * missing group is not an error: nobody gets that role through it. */
int authz_groups_resolve(const char *admin_group, const char *user_group,
                         struct authz_groups *ret, struct ctr_error **err);

/* The peer's supplementary groups as the kernel recorded them at connect
 * (SO_PEERGROUPS). *ret is malloc'd (NULL with *ret_n 0 for none). */
int authz_peer_groups(int fd, gid_t **ret, size_t *ret_n);

enum authz_role authz_role_for(uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups,
                               const struct authz_groups *g);

/* What a method needs. */
enum authz_need {
        AUTHZ_NEED_ANY,   /* any connected role: version, info, listings of shared things */
        AUTHZ_NEED_OWNER, /* a user acts on their own containers (checked by the orchestrator) */
        AUTHZ_NEED_ADMIN, /* shared state: images, networks */
};
/* The need of a method; unknown methods need admin. */
enum authz_need authz_method_need(const char *method);
/* NULL if role may call method, else why not (a static string for the reply). */
const char *authz_method_denied(enum authz_role role, const char *method);
/* The message a refused peer gets at connect, in buf. */
const char *authz_refusal_message(uid_t uid, const struct authz_groups *g, char *buf, size_t size);
