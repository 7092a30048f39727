/* cgroup driver: one interface over unified v2, hybrid (v1 controllers plus
 * a v2 hierarchy) and legacy v1. Paths are absolute from each hierarchy's
 * root ("/containerctl/<id>"), never relative to the caller's own cgroup.
 * Never touches a cgroup it was not asked to create or remove. */
#pragma once

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

/* Kills whatever still runs in path (cgroup.kill on v2, else SIGKILL to
 * cgroup.procs), then removes the directory in every hierarchy, retrying
 * briefly while the kernel finishes reaping. A missing cgroup is success. */
int cgroup_destroy(const char *path, struct ctr_error **err);

/* Where path lives in the hierarchy that /proc/<pid>/cgroup reports for
 * the unified (0::) entry or, on legacy, the memory controller. For tests
 * and inspect. Caller frees. */
int cgroup_hierarchy_dir(const char *path, char **ret, struct ctr_error **err);
