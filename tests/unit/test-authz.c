/* Unit tests for daemon/authz.c: roles from credentials, the method table,
 * and SO_PEERGROUPS over a real socketpair. */
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/macros.h"
#include "daemon/authz.h"
#include "tests/unit/tap.h"

static void
test_roles(void)
{
        const struct authz_groups g = {
                .admin_gid = 990, .user_gid = 991, .has_admin = true, .has_user = true,
        };
        const struct authz_groups none = { 0 };
        const gid_t in_user[] = { 100, 991 }, in_both[] = { 991, 990 }, other[] = { 100, 27 };

        is_int(authz_role_for(0, 0, NULL, 0, &none), AUTHZ_ROLE_ADMIN, "uid 0 is admin, groups or not");
        is_int(authz_role_for(1000, 1000, NULL, 0, &g), AUTHZ_ROLE_NONE, "no groups: none");
        is_int(authz_role_for(1000, 1000, other, ARRAY_SIZE(other), &g), AUTHZ_ROLE_NONE,
               "unrelated groups: none");
        is_int(authz_role_for(1000, 1000, in_user, ARRAY_SIZE(in_user), &g), AUTHZ_ROLE_USER,
               "supplementary user group: user");
        is_int(authz_role_for(1000, 991, NULL, 0, &g), AUTHZ_ROLE_USER, "primary user group: user");
        is_int(authz_role_for(1000, 1000, in_both, ARRAY_SIZE(in_both), &g), AUTHZ_ROLE_ADMIN,
               "admin group wins over user group");
        is_int(authz_role_for(1000, 990, NULL, 0, &g), AUTHZ_ROLE_ADMIN, "primary admin group: admin");
        is_int(authz_role_for(1000, 991, in_user, ARRAY_SIZE(in_user), &none), AUTHZ_ROLE_NONE,
               "groups missing on the host give nobody a role");
        is_str(authz_role_to_string(AUTHZ_ROLE_USER), "user", "role name");
}

static void
test_methods(void)
{
        is_int(authz_method_need("system.version"), AUTHZ_NEED_ANY, "version: any");
        is_int(authz_method_need("image.list"), AUTHZ_NEED_ANY, "image.list: any");
        is_int(authz_method_need("image.import"), AUTHZ_NEED_ADMIN, "image.import: admin");
        is_int(authz_method_need("image.prune"), AUTHZ_NEED_ADMIN, "image.prune: admin");
        is_int(authz_method_need("network.create"), AUTHZ_NEED_ADMIN, "network.create: admin");
        is_int(authz_method_need("container.create"), AUTHZ_NEED_OWNER, "container.create: owner");
        is_int(authz_method_need("exec.kill"), AUTHZ_NEED_OWNER, "exec.kill: owner");
        is_int(authz_method_need("containerx.create"), AUTHZ_NEED_ADMIN,
               "a prefix matches only up to its dot");
        is_int(authz_method_need("no.such"), AUTHZ_NEED_ADMIN, "unknown: admin");
        ok(authz_method_denied(AUTHZ_ROLE_ADMIN, "image.import") == NULL, "admin may import");
        ok(authz_method_denied(AUTHZ_ROLE_USER, "image.import") != NULL, "user may not import");
        ok(authz_method_denied(AUTHZ_ROLE_USER, "container.list") == NULL, "user may list");
        ok(authz_method_denied(AUTHZ_ROLE_NONE, "system.version") != NULL, "none may nothing");
}

static void
test_peer_groups(void)
{
        _cleanup_free_ gid_t *groups = NULL, *mine = NULL;
        int sv[2], n_mine;
        size_t n = 0;

        ok(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
        ok(authz_peer_groups(sv[0], &groups, &n) == 0, "SO_PEERGROUPS");
        n_mine = getgroups(0, NULL);
        mine = calloc((size_t) n_mine + 1, sizeof(gid_t));
        n_mine = getgroups(n_mine, mine);
        is_int(n, n_mine, "as many groups as getgroups()");
        for (size_t i = 0; i < n && (int) i < n_mine; i++)
                if (groups[i] != mine[i])
                        ok(0, "group %zu differs", i);
        close(sv[0]);
        close(sv[1]);
}

static void
test_refusal(void)
{
        struct authz_groups g = { 0 };
        char buf[256];

        ok(authz_groups_resolve("", "containerctl-no-such-group-xyz", &g, NULL) == 0,
           "missing groups resolve to nothing, no error");
        ok(!g.has_admin && !g.has_user, "no roles through missing groups");
        authz_refusal_message(1234, &g, buf, sizeof(buf));
        ok(strstr(buf, "uid 1234") && strstr(buf, "containerctl-no-such-group-xyz"),
           "refusal names the uid and the group: %s", buf);
}

int
main(void)
{
        test_roles();
        test_methods();
        test_peer_groups();
        test_refusal();
        return tap_done();
}
