/* systemd delegation (Delegate=yes, https://systemd.io/CGROUP_DELEGATION/):
 * the unit's cgroup is ours, but cgroup2 forbids processes in a cgroup
 * whose subtree_control enables domain controllers. So the daemon (and any
 * monitor left from an earlier run) moves to <own>/supervisor, the
 * controllers are enabled in <own>, and containers go below
 * <own>/containers. On a hybrid or legacy host the v1 hierarchies get the
 * same layout (systemd delegates the unit's cgroup in each of them too),
 * so one parent path serves all. Only ever touches the daemon's own
 * cgroup. */
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

/* The first controller of a v1 hierarchy's list ("cpu" of "cpu,cpuacct",
 * "name=systemd"): how /proc/self/cgroup names the hierarchy. */
static char *
first_controller(const struct cgroup_hierarchy *h)
{
        return strndup(h->controllers, strcspn(h->controllers, ","));
}

/* The daemon's cgroup in h, from /proc/self/cgroup text. */
static int
own_path_in(const struct cgroup_hierarchy *h, const char *proc_cgroup, char **ret)
{
        _cleanup_free_ char *controller = h->unified ? NULL : first_controller(h);

        if (!h->unified && !controller)
                return -ENOMEM;
        return cgroup_parse_proc_cgroup(proc_cgroup, controller, ret);
}

/* A v1 hierarchy: the same layout. No controllers to enable (a v1
 * hierarchy has its own); cgroup_fs_create() fills a cpuset's cpus and
 * mems, without which nothing can join it. */
static int
delegate_v1(const struct cgroup_hierarchy *h, const char *own_cgroup, struct ctr_error **err)
{
        _cleanup_free_ char *own = NULL, *sup = NULL, *containers = NULL;
        int r;

        r = cgroup_hierarchy_path(h, own_cgroup, &own, err);
        if (r < 0)
                return r;
        sup = path_join(own, "supervisor");
        containers = path_join(own, "containers");
        if (!sup || !containers)
                return ctr_error_sys(err, ENOMEM, "delegate");
        if ((r = cgroup_fs_create(h, sup, err)) < 0 || (r = move_procs(own, sup, err)) < 0)
                return r;
        return cgroup_fs_create(h, containers, err);
}

int
cgroup_delegate_setup(const char *own_cgroup, char **ret_parent, struct ctr_error **err)
{
        _cleanup_free_ char *proc_cgroup = NULL, *parent = NULL;
        const struct cgroup_table *t;
        enum cgroup_mode mode;
        int r;

        if (!cgroup_path_is_valid(own_cgroup))
                return ctr_error_msg(err, EINVAL, "the daemon's cgroup `%s` cannot be delegated to it",
                                     own_cgroup ? own_cgroup : "(null)");
        r = cgroup_detect(&mode, err);
        if (r < 0)
                return r;
        r = read_file_full("/proc/self/cgroup", 1 << 16, &proc_cgroup, NULL, err);
        if (r < 0)
                return r;
        /* One parent path serves every hierarchy, so the daemon must sit at
         * the same path in each: with Delegate=yes systemd puts it there. */
        t = cgroup_table_get();
        for (size_t i = 0; i < t->n; i++) {
                _cleanup_free_ char *path = NULL;

                r = own_path_in(&t->h[i], proc_cgroup, &path);
                if (r < 0)
                        return ctr_error_sys(err, -r, "find the daemon's cgroup in `%s`", t->h[i].mount);
                if (strcmp(path, own_cgroup) != 0)
                        return ctr_error_msg(err, EXDEV,
                                             "the daemon is in `%s` in `%s` but in `%s` in cgroup2: "
                                             "is Delegate=yes missing from its unit?",
                                             path, t->h[i].mount, own_cgroup);
        }
        for (size_t i = 0; i < t->n; i++) {
                if (t->h[i].unified) {
                        /* A mount of a subtree would need own_cgroup
                         * translated; systemd never runs us that way. */
                        if (strcmp(t->h[i].root, "/") != 0)
                                return ctr_error_msg(err, EXDEV, "cgroup2 at `%s` is mounted from `%s`",
                                                     t->h[i].mount, t->h[i].root);
                        free(parent);
                        parent = NULL;
                        r = cgroup_delegate_setup_at(t->h[i].mount, own_cgroup, &parent, err);
                } else {
                        r = delegate_v1(&t->h[i], own_cgroup, err);
                }
                if (r < 0)
                        return r;
        }
        if (!parent && !(parent = path_join(own_cgroup, "containers")))
                return ctr_error_sys(err, ENOMEM, "delegate");
        *ret_parent = TAKE_PTR(parent);
        return 0;
}

int
cgroup_own_path(char **ret, struct ctr_error **err)
{
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_file_full("/proc/self/cgroup", 1 << 16, &text, NULL, err);
        if (r < 0)
                return r;
        /* A legacy host has no cgroup2 entry: systemd's own hierarchy
         * places the unit there. */
        r = cgroup_parse_proc_cgroup(text, NULL, ret);
        if (r == -ENOENT)
                r = cgroup_parse_proc_cgroup(text, "name=systemd", ret);
        if (r < 0)
                return ctr_error_sys(err, -r, "find the daemon's cgroup in /proc/self/cgroup");
        return 0;
}
