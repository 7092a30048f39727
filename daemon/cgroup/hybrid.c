/* Hybrid back-end: the v1 controller hierarchies plus the cgroup2 hierarchy
 * beside them (/sys/fs/cgroup/unified). Members are killed through the v2
 * cgroup.kill when the kernel has it, since every task is in both. */
#include "daemon/cgroup/cgroup-internal.h"

static int
hybrid_create(const struct cgroup_table *t, const char *path, struct ctr_error **err)
{
        return cgroup_each_create(t, CGROUP_ALL, path, err);
}

static int
hybrid_enter(const struct cgroup_table *t, const char *path, pid_t pid, struct ctr_error **err)
{
        return cgroup_each_enter(t, CGROUP_ALL, path, pid, err);
}

static int
hybrid_destroy(const struct cgroup_table *t, const char *path, struct ctr_error **err)
{
        return cgroup_each_destroy(t, CGROUP_ALL, path, true, err);
}

const struct cgroup_ops cgroup_ops_hybrid = {
        .mode = CGROUP_MODE_HYBRID,
        .create = hybrid_create,
        .enter = hybrid_enter,
        .destroy = hybrid_destroy,
};
