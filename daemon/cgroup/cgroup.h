/* cgroup driver: one interface over unified v2, hybrid (v1 controllers plus
 * a v2 hierarchy) and legacy v1. Paths are absolute from each hierarchy's
 * root ("/containerctl/<id>"), never relative to the caller's own cgroup.
 * Never touches a cgroup it was not asked to create or remove. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"

enum cgroup_mode {
        CGROUP_MODE_UNIFIED,
        CGROUP_MODE_HYBRID,
        CGROUP_MODE_LEGACY,
};

/* Detects the host's layout under /sys/fs/cgroup (statfs, mountinfo). */
int cgroup_detect(enum cgroup_mode *ret, struct ctr_error **err);
const char *cgroup_mode_to_string(enum cgroup_mode mode); /* "unified", "hybrid", "legacy" */

/* Creates path in every hierarchy in use (mkdir -p; existing is fine). On
 * v1 cpuset, copies cpus/mems from the parent so tasks can join. */
int cgroup_create(const char *path, struct ctr_error **err);

/* Moves pid into path in every hierarchy in use. */
int cgroup_enter(const char *path, pid_t pid, struct ctr_error **err);

/* Fast placement for the spawn path. Moving another process into a v1
 * cgroup (cgroup_enter) takes the kernel's global threadgroup rwsem for
 * writing, which costs one RCU grace period (12-22 ms measured here). A
 * single-threaded process that moves itself by writing "0" to each v1
 * hierarchy's `tasks` file skips that lock, and on cgroup2 clone3()'s
 * CLONE_INTO_CGROUP places the child at birth. So:
 *   parent: cgroup_create(); cgroup_join_prepare() opens the files;
 *           clone3() with CLONE_INTO_CGROUP and cgroup_join_clone_fd()
 *           when it is >= 0 (unified or hybrid);
 *   child:  cgroup_join_self() first, before any unshare(CLONE_NEWCGROUP),
 *           user-namespace switch or pivot_root; then close the fds
 *           (cgroup_join_free() or close-on-exec does it).
 * If clone3 could not use CLONE_INTO_CGROUP, pass with_unified = true and
 * the child also writes "0" to the unified cgroup.procs (slow path). */
struct cgroup_join;
int cgroup_join_prepare(const char *path, struct cgroup_join **ret, struct ctr_error **err);
/* O_DIRECTORY fd of path in the cgroup2 hierarchy, or -1 (legacy). Owned by j. */
int cgroup_join_clone_fd(const struct cgroup_join *j);
/* Child side: allocates only to report an error; safe after clone3 of a
 * single-threaded parent. */
int cgroup_join_self(const struct cgroup_join *j, bool with_unified, struct ctr_error **err);
void cgroup_join_free(struct cgroup_join *j);
DEFINE_FREEP(struct cgroup_join, cgroup_join_free)

/* Kills whatever still runs in path (cgroup.kill on v2, else SIGKILL to
 * cgroup.procs), then removes the directory in every hierarchy, retrying
 * briefly while the kernel finishes reaping. A missing cgroup is success. */
int cgroup_destroy(const char *path, struct ctr_error **err);

/* Where path lives in the hierarchy that /proc/<pid>/cgroup reports for
 * the unified (0::) entry or, on legacy, the memory controller. For tests
 * and inspect. Caller frees. */
int cgroup_hierarchy_dir(const char *path, char **ret, struct ctr_error **err);
