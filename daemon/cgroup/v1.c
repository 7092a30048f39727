/* Legacy (cgroup v1 only) back-end: every mounted v1 hierarchy, controllers
 * and named ones (name=systemd) alike. Killing goes through cgroup.procs
 * because v1 has no cgroup.kill. */
#include "daemon/cgroup/cgroup-internal.h"

static int
v1_create(const struct cgroup_table *t, const char *path, struct ctr_error **err)
{
        return cgroup_each_create(t, CGROUP_V1, path, err);
}

static int
v1_enter(const struct cgroup_table *t, const char *path, pid_t pid, struct ctr_error **err)
{
        return cgroup_each_enter(t, CGROUP_V1, path, pid, err);
}

static int
v1_destroy(const struct cgroup_table *t, const char *path, struct ctr_error **err)
{
        return cgroup_each_destroy(t, CGROUP_V1, path, false, err);
}

const struct cgroup_ops cgroup_ops_legacy = {
        .mode = CGROUP_MODE_LEGACY,
        .create = v1_create,
        .enter = v1_enter,
        .destroy = v1_destroy,
};
