/* Unified (cgroup v2 only) back-end: one hierarchy at /sys/fs/cgroup.
 * Membership only for now; limits (subtree_control, memory.max, ...) come
 * with the limits work and will live here. */
#include "daemon/cgroup/cgroup-internal.h"

static int
v2_create(const struct cgroup_table *t, const char *path, struct ctr_error **err)
{
        return cgroup_each_create(t, CGROUP_V2, path, err);
}

static int
v2_enter(const struct cgroup_table *t, const char *path, pid_t pid, struct ctr_error **err)
{
        return cgroup_each_enter(t, CGROUP_V2, path, pid, err);
}

static int
v2_destroy(const struct cgroup_table *t, const char *path, struct ctr_error **err)
{
        return cgroup_each_destroy(t, CGROUP_V2, path, true, err);
}

const struct cgroup_ops cgroup_ops_unified = {
        .mode = CGROUP_MODE_UNIFIED,
        .create = v2_create,
        .enter = v2_enter,
        .destroy = v2_destroy,
};
