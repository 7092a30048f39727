/* Self-placement for the spawn path (see cgroup.h): the parent opens every
 * v1 hierarchy's `tasks` file and the cgroup2 directory of the target; the
 * child writes "0" to them. Writing "0" to `tasks` moves only the calling
 * thread and lets the kernel skip the global threadgroup rwsem (see
 * cgroup_procs_write_start() in kernel/cgroup/cgroup.c). */
#include "daemon/cgroup/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/fs-util.h"

#define JOIN_MAX 32

struct cgroup_join {
        int tasks_fd[JOIN_MAX]; /* v1 hierarchies */
        size_t n;
        int unified_dir_fd;     /* cgroup2 directory, -1 on legacy */
        int unified_procs_fd;
};

void
cgroup_join_free(struct cgroup_join *j)
{
        if (!j)
                return;
        for (size_t i = 0; i < j->n; i++)
                safe_close(j->tasks_fd[i]);
        safe_close(j->unified_dir_fd);
        safe_close(j->unified_procs_fd);
        free(j);
}

int
cgroup_join_prepare(const char *path, struct cgroup_join **ret, struct ctr_error **err)
{
        _cleanup_(cgroup_join_freep) struct cgroup_join *j = NULL;
        const struct cgroup_table *t;
        enum cgroup_mode mode;
        int r;

        if (!cgroup_path_is_valid(path))
                return ctr_error_msg(err, EINVAL, "invalid cgroup path `%s`", path ? path : "(null)");
        r = cgroup_detect(&mode, err);
        if (r < 0)
                return r;
        t = cgroup_table_get();
        j = calloc(1, sizeof(*j));
        if (!j)
                return ctr_error_sys(err, ENOMEM, "join cgroup `%s`", path);
        j->unified_dir_fd = j->unified_procs_fd = -1;
        for (size_t i = 0; i < t->n; i++) {
                const struct cgroup_hierarchy *h = &t->h[i];
                _cleanup_free_ char *dir = NULL, *file = NULL;
                bool use = h->unified ? mode != CGROUP_MODE_LEGACY : mode != CGROUP_MODE_UNIFIED;

                if (!use)
                        continue;
                r = cgroup_hierarchy_path(h, path, &dir, err);
                if (r < 0)
                        return r;
                if (h->unified) {
                        if (j->unified_dir_fd >= 0)
                                continue;
                        j->unified_dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (j->unified_dir_fd < 0)
                                return ctr_error_sys(err, errno, "open cgroup `%s`", dir);
                        j->unified_procs_fd = openat(j->unified_dir_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
                        if (j->unified_procs_fd < 0)
                                return ctr_error_sys(err, errno, "open `%s/cgroup.procs`", dir);
                        continue;
                }
                if (j->n == JOIN_MAX)
                        return ctr_error_msg(err, E2BIG, "more than %d cgroup hierarchies", JOIN_MAX);
                file = path_join(dir, "tasks");
                if (!file)
                        return ctr_error_sys(err, ENOMEM, "join cgroup `%s`", path);
                r = open(file, O_WRONLY | O_CLOEXEC);
                if (r < 0)
                        return ctr_error_sys(err, errno, "open `%s`", file);
                j->tasks_fd[j->n++] = r;
        }
        *ret = TAKE_PTR(j);
        return 0;
}

int
cgroup_join_clone_fd(const struct cgroup_join *j)
{
        return j ? j->unified_dir_fd : -1;
}

int
cgroup_join_self(const struct cgroup_join *j, bool with_unified, struct ctr_error **err)
{
        for (size_t i = 0; i < j->n; i++)
                if (write(j->tasks_fd[i], "0", 1) != 1)
                        return ctr_error_sys(err, errno, "join cgroup (v1 hierarchy %zu)", i);
        if (with_unified && j->unified_procs_fd >= 0 && write(j->unified_procs_fd, "0", 1) != 1)
                return ctr_error_sys(err, errno, "join cgroup (cgroup2)");
        return 0;
}
