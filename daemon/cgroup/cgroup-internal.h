/* Internals shared by the cgroup back-ends: the hierarchy table parsed from
 * /proc/self/mountinfo, the back-end vtable, and the per-hierarchy helpers.
 * Not for use outside daemon/cgroup/ (except the unit test, which exercises
 * the pure parsers). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"
#include "daemon/cgroup/cgroup.h"

struct cgroup_hierarchy {
        char *mount;       /* mount point, e.g. /sys/fs/cgroup/memory */
        char *root;        /* root of the mount inside the hierarchy ("/") */
        char *controllers; /* v1: "cpu,cpuacct", "name=systemd"; v2: "" */
        unsigned dev_major, dev_minor;
        bool unified;      /* cgroup2 */
        bool cpuset;       /* v1 hierarchy carrying the cpuset controller */
        bool noprefix;     /* v1 cpuset mounted with noprefix: "cpus", not "cpuset.cpus" */
};

struct cgroup_table {
        struct cgroup_hierarchy *h;
        size_t n;
};

void cgroup_table_clear(struct cgroup_table *t);
/* The process-wide table; valid after a successful cgroup_detect(). */
const struct cgroup_table *cgroup_table_get(void);

/* Parses mountinfo text into the cgroup hierarchies it mounts: one entry per
 * hierarchy (a hierarchy mounted twice is listed once, the mount under
 * /sys/fs/cgroup preferred). Pure: no I/O. */
int cgroup_parse_mountinfo(const char *text, struct cgroup_table *ret, struct ctr_error **err);

/* Finds in /proc/<pid>/cgroup text the path of the unified ("0::") entry if
 * controller is NULL, else of the v1 hierarchy listing controller (e.g.
 * "memory", "name=systemd"). Returns 0 and a malloc'd path, or -ENOENT. */
int cgroup_parse_proc_cgroup(const char *text, const char *controller, char **ret);

/* Checks that path is absolute, not "/", and has no empty, "." or ".."
 * components, so it cannot name the root or escape it. */
bool cgroup_path_is_valid(const char *path);

/* <mount>/<path relative to the mount's root>. -EXDEV if path is not below
 * the mount's root (the hierarchy is mounted from a subtree). */
int cgroup_hierarchy_path(const struct cgroup_hierarchy *h, const char *path, char **ret,
                          struct ctr_error **err);

/* Per-hierarchy primitives (cgroup-fs.c). dir is the full file system path. */
int cgroup_fs_create(const struct cgroup_hierarchy *h, const char *dir, struct ctr_error **err);
int cgroup_fs_enter(const char *dir, pid_t pid, struct ctr_error **err);
/* SIGKILLs every pid in dir and below. Returns the number signalled. */
int cgroup_fs_kill_procs(const char *dir);
/* Writes 1 to dir/cgroup.kill. -ENOENT if the dir or the file is missing. */
int cgroup_fs_kill_v2(const char *dir);
/* rmdir dir and its sub-directories, leaf first. 0 if all gone (or never
 * there), -EBUSY if something is still populated, other -errno with *err. */
int cgroup_fs_remove(const char *dir, struct ctr_error **err);

/* A back-end: how to create, enter and destroy a cgroup given the table. */
struct cgroup_ops {
        enum cgroup_mode mode;
        int (*create)(const struct cgroup_table *t, const char *path, struct ctr_error **err);
        int (*enter)(const struct cgroup_table *t, const char *path, pid_t pid, struct ctr_error **err);
        int (*destroy)(const struct cgroup_table *t, const char *path, struct ctr_error **err);
};

extern const struct cgroup_ops cgroup_ops_unified;
extern const struct cgroup_ops cgroup_ops_hybrid;
extern const struct cgroup_ops cgroup_ops_legacy;

/* Shared by the back-ends: apply an operation to every hierarchy in t that
 * matches the filter (all, v1 only, unified only). */
enum cgroup_filter {
        CGROUP_ALL,
        CGROUP_V1,
        CGROUP_V2,
};
int cgroup_each_create(const struct cgroup_table *t, enum cgroup_filter f, const char *path,
                       struct ctr_error **err);
int cgroup_each_enter(const struct cgroup_table *t, enum cgroup_filter f, const char *path,
                      pid_t pid, struct ctr_error **err);
/* Kills (cgroup.kill where use_kill_file and available, else SIGKILL of
 * cgroup.procs) and removes path in every hierarchy, bounded to < 1 s. */
int cgroup_each_destroy(const struct cgroup_table *t, enum cgroup_filter f, const char *path,
                        bool use_kill_file, struct ctr_error **err);
