/* Applies the per-hierarchy primitives of cgroup-fs.c across the hierarchy
 * table: the common body of the three back-ends. The destroy loop is
 * bounded (< 1 s) and re-kills between attempts, so a container that forks
 * while dying cannot keep its cgroup alive. */
#include "daemon/cgroup/cgroup-internal.h"

#include <errno.h>
#include <time.h>

#include "common/time-util.h"

#define DESTROY_BUDGET_MS 800

static bool
selected(const struct cgroup_hierarchy *h, enum cgroup_filter f)
{
        return f == CGROUP_ALL || (f == CGROUP_V2) == h->unified;
}

int
cgroup_each_create(const struct cgroup_table *t, enum cgroup_filter f, const char *path,
                   struct ctr_error **err)
{
        for (size_t i = 0; i < t->n; i++) {
                _cleanup_free_ char *dir = NULL;
                int r;

                if (!selected(&t->h[i], f))
                        continue;
                r = cgroup_hierarchy_path(&t->h[i], path, &dir, err);
                if (r < 0)
                        return r;
                r = t->h[i].unified ? cgroup_unified_create(&t->h[i], dir, err)
                                    : cgroup_fs_create(&t->h[i], dir, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int
cgroup_each_enter(const struct cgroup_table *t, enum cgroup_filter f, const char *path, pid_t pid,
                  struct ctr_error **err)
{
        for (size_t i = 0; i < t->n; i++) {
                _cleanup_free_ char *dir = NULL;
                int r;

                if (!selected(&t->h[i], f))
                        continue;
                r = cgroup_hierarchy_path(&t->h[i], path, &dir, err);
                if (r < 0)
                        return r;
                r = cgroup_fs_enter(dir, pid, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Kills every member of path: cgroup.kill where allowed and available
 * (atomic, recursive, race-free against forks), else SIGKILL per pid. */
static void
kill_all(const struct cgroup_table *t, enum cgroup_filter f, const char *path, bool use_kill_file)
{
        bool killed = false;

        for (size_t i = 0; use_kill_file && i < t->n && !killed; i++) {
                _cleanup_free_ char *dir = NULL;
                if (!selected(&t->h[i], f) || !t->h[i].unified)
                        continue;
                if (cgroup_hierarchy_path(&t->h[i], path, &dir, NULL) == 0 && cgroup_fs_kill_v2(dir) == 0)
                        killed = true;
        }
        if (killed)
                return;
        for (size_t i = 0; i < t->n; i++) {
                _cleanup_free_ char *dir = NULL;
                if (!selected(&t->h[i], f))
                        continue;
                if (cgroup_hierarchy_path(&t->h[i], path, &dir, NULL) == 0)
                        (void) cgroup_fs_kill_procs(dir);
        }
}

int
cgroup_each_destroy(const struct cgroup_table *t, enum cgroup_filter f, const char *path,
                    bool use_kill_file, struct ctr_error **err)
{
        int64_t deadline = now_monotonic_ms() + DESTROY_BUDGET_MS;
        long delay_us = 500;
        bool done[t->n > 0 ? t->n : 1];

        for (size_t i = 0; i < t->n; i++)
                done[i] = !selected(&t->h[i], f);
        kill_all(t, f, path, use_kill_file);
        for (;;) {
                const char *busy = NULL;
                _cleanup_free_ char *busy_dir = NULL;

                for (size_t i = 0; i < t->n; i++) {
                        _cleanup_free_ char *dir = NULL;
                        int r;
                        if (done[i])
                                continue;
                        r = cgroup_hierarchy_path(&t->h[i], path, &dir, err);
                        if (r < 0)
                                return r;
                        r = cgroup_fs_remove(dir, err);
                        if (r == 0)
                                done[i] = true;
                        else if (r == -EBUSY) {
                                if (!busy) {
                                        busy_dir = TAKE_PTR(dir);
                                        busy = busy_dir;
                                }
                        } else
                                return r;
                }
                if (!busy)
                        return 0;
                if (now_monotonic_ms() >= deadline)
                        return ctr_error_sys(err, EBUSY, "remove cgroup `%s`", busy);
                /* The kernel needs a moment to finish the killed tasks. */
                nanosleep(&(struct timespec){ .tv_nsec = delay_us * 1000 }, NULL);
                if (delay_us < 32000)
                        delay_us *= 2;
                kill_all(t, f, path, use_kill_file);
        }
}
