/* The cgroup driver's front: detects the host layout once per process,
 * parses /proc/self/mountinfo once, and dispatches to the back-end vtable
 * (v2.c, hybrid.c, v1.c). Validates every path before any back-end sees it,
 * so "/" or ".." can never reach a write or a kill. */
#include "daemon/cgroup/cgroup-internal.h"

#include <errno.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/vfs.h>

#include "common/fs-util.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

static struct {
        bool loaded;
        enum cgroup_mode mode;
        const struct cgroup_ops *ops;
        struct cgroup_table table;
} state;

const char *
cgroup_mode_to_string(enum cgroup_mode mode)
{
        switch (mode) {
        case CGROUP_MODE_UNIFIED:
                return "unified";
        case CGROUP_MODE_HYBRID:
                return "hybrid";
        case CGROUP_MODE_LEGACY:
                return "legacy";
        }
        return "unknown";
}

static int
detect_mode(enum cgroup_mode *ret, struct ctr_error **err)
{
        struct statfs fs;

        if (statfs(CGROUP_ROOT, &fs) < 0)
                return ctr_error_sys(err, errno, "statfs `%s`", CGROUP_ROOT);
        if (fs.f_type == CGROUP2_SUPER_MAGIC) {
                *ret = CGROUP_MODE_UNIFIED;
                return 0;
        }
        if (fs.f_type != TMPFS_MAGIC)
                return ctr_error_msg(err, ENOMEDIUM, "`%s` is neither cgroup2 nor tmpfs", CGROUP_ROOT);
        if (statfs(CGROUP_ROOT "/unified", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
                *ret = CGROUP_MODE_HYBRID;
        else
                *ret = CGROUP_MODE_LEGACY;
        return 0;
}

static int
load(struct ctr_error **err)
{
        _cleanup_free_ char *text = NULL;
        int r;

        if (state.loaded)
                return 0;
        r = detect_mode(&state.mode, err);
        if (r < 0)
                return r;
        r = read_file_full("/proc/self/mountinfo", 16 * 1024 * 1024, &text, NULL, err);
        if (r < 0)
                return r;
        r = cgroup_parse_mountinfo(text, &state.table, err);
        if (r < 0)
                return r;
        switch (state.mode) {
        case CGROUP_MODE_UNIFIED:
                state.ops = &cgroup_ops_unified;
                break;
        case CGROUP_MODE_HYBRID:
                state.ops = &cgroup_ops_hybrid;
                break;
        case CGROUP_MODE_LEGACY:
                state.ops = &cgroup_ops_legacy;
                break;
        }
        state.loaded = true;
        return 0;
}

int
cgroup_detect(enum cgroup_mode *ret, struct ctr_error **err)
{
        int r = load(err);

        if (r < 0)
                return r;
        *ret = state.mode;
        return 0;
}

const struct cgroup_table *
cgroup_table_get(void)
{
        return &state.table;
}

static int
check_path(const char *path, struct ctr_error **err)
{
        if (!cgroup_path_is_valid(path))
                return ctr_error_msg(err, EINVAL, "invalid cgroup path `%s`: must be absolute, below the root, "
                                     "without `.` or `..`", path ? path : "(null)");
        return load(err);
}

int
cgroup_create(const char *path, struct ctr_error **err)
{
        int r = check_path(path, err);

        return r < 0 ? r : state.ops->create(&state.table, path, err);
}

int
cgroup_enter(const char *path, pid_t pid, struct ctr_error **err)
{
        int r = check_path(path, err);

        if (r < 0)
                return r;
        if (pid <= 0)
                return ctr_error_msg(err, EINVAL, "invalid pid %d", (int) pid);
        return state.ops->enter(&state.table, path, pid, err);
}

int
cgroup_destroy(const char *path, struct ctr_error **err)
{
        int r = check_path(path, err);

        return r < 0 ? r : state.ops->destroy(&state.table, path, err);
}

int
cgroup_hierarchy_dir(const char *path, char **ret, struct ctr_error **err)
{
        int r = check_path(path, err);

        if (r < 0)
                return r;
        for (size_t i = 0; i < state.table.n; i++) {
                const struct cgroup_hierarchy *h = &state.table.h[i];
                bool want = state.mode == CGROUP_MODE_LEGACY ? !h->unified && strstr(h->controllers, "memory")
                                                             : h->unified;
                if (want)
                        return cgroup_hierarchy_path(h, path, ret, err);
        }
        return ctr_error_msg(err, ENOENT, "no %s cgroup hierarchy is mounted",
                             state.mode == CGROUP_MODE_LEGACY ? "memory" : "cgroup2");
}
