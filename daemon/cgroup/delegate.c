/* systemd delegation (Delegate=yes, https://systemd.io/CGROUP_DELEGATION/):
 * the unit's cgroup is ours, but cgroup2 forbids processes in a cgroup
 * whose subtree_control enables domain controllers. So the daemon (and any
 * monitor left from an earlier run) moves to <own>/supervisor, the
 * controllers are enabled in <own>, and containers go below
 * <own>/containers. Only ever touches the daemon's own cgroup. */
#include "daemon/cgroup/cgroup-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fs-util.h"
#include "common/parse.h"

/* Moves every pid of from/cgroup.procs to to/cgroup.procs. A cgroup's
 * processes can only be moved one by one; one that exits meanwhile is
 * fine (ESRCH). */
static int
move_procs(const char *from, const char *to, struct ctr_error **err)
{
        _cleanup_free_ char *procs = path_join(from, "cgroup.procs"), *text = NULL;
        int r;

        if (!procs)
                return ctr_error_sys(err, ENOMEM, "delegate");
        r = read_file_full(procs, 1 << 20, &text, NULL, err);
        if (r < 0)
                return r;
        for (char *save = NULL, *tok = strtok_r(text, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save)) {
                int pid;

                if (parse_int(tok, &pid) < 0 || pid <= 0)
                        continue;
                r = cgroup_write_at(to, "cgroup.procs", tok);
                if (r < 0 && r != -ESRCH)
                        return ctr_error_sys(err, -r, "move pid %d to `%s`", pid, to);
        }
        return 0;
}

static int
make_dir(const char *dir, struct ctr_error **err)
{
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return ctr_error_sys(err, errno, "create cgroup `%s`", dir);
        return 0;
}

int
cgroup_delegate_setup_at(const char *mount, const char *own_cgroup, char **ret_parent, struct ctr_error **err)
{
        _cleanup_free_ char *own = NULL, *sup = NULL, *containers = NULL, *parent = NULL;
        int r;

        if (!cgroup_path_is_valid(own_cgroup))
                return ctr_error_msg(err, EINVAL, "the daemon's cgroup `%s` cannot be delegated to it",
                                     own_cgroup ? own_cgroup : "(null)");
        own = path_join(mount, own_cgroup);
        sup = own ? path_join(own, "supervisor") : NULL;
        containers = own ? path_join(own, "containers") : NULL;
        parent = path_join(own_cgroup, "containers");
        if (!sup || !containers || !parent)
                return ctr_error_sys(err, ENOMEM, "delegate");
        if ((r = make_dir(sup, err)) < 0 || (r = move_procs(own, sup, err)) < 0 ||
            (r = make_dir(containers, err)) < 0)
                return r;
        /* Best effort, as in cgroup_create(): a controller systemd did not
         * delegate shows up later as a clear "not available" on a limit. */
        (void) cgroup_enable_controllers(own);
        (void) cgroup_enable_controllers(containers);
        *ret_parent = TAKE_PTR(parent);
        return 0;
}

int
cgroup_delegate_setup(const char *own_cgroup, char **ret_parent, struct ctr_error **err)
{
        const struct cgroup_table *t;
        enum cgroup_mode mode;
        int r;

        r = cgroup_detect(&mode, err);
        if (r < 0)
                return r;
        if (mode != CGROUP_MODE_UNIFIED)
                return ctr_error_msg(err, EOPNOTSUPP, "cgroup delegation needs a unified (cgroup v2) host, this one is %s",
                                     cgroup_mode_to_string(mode));
        t = cgroup_table_get();
        for (size_t i = 0; i < t->n; i++) {
                _cleanup_free_ char *mount = NULL;

                if (!t->h[i].unified)
                        continue;
                /* A mount of a subtree would need own_cgroup translated;
                 * systemd never runs us that way. */
                if (strcmp(t->h[i].root, "/") != 0)
                        return ctr_error_msg(err, EXDEV, "cgroup2 at `%s` is mounted from `%s`", t->h[i].mount,
                                             t->h[i].root);
                return cgroup_delegate_setup_at(t->h[i].mount, own_cgroup, ret_parent, err);
        }
        return ctr_error_msg(err, ENOENT, "no cgroup2 hierarchy is mounted");
}

int
cgroup_own_path(char **ret, struct ctr_error **err)
{
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_file_full("/proc/self/cgroup", 1 << 16, &text, NULL, err);
        if (r < 0)
                return r;
        r = cgroup_parse_proc_cgroup(text, NULL, ret);
        if (r < 0)
                return ctr_error_sys(err, -r, "find the cgroup2 entry in /proc/self/cgroup");
        return 0;
}
