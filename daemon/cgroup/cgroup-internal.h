/* Internals shared by the cgroup back-ends: the hierarchy table parsed from
 * /proc/self/mountinfo, the back-end vtable, and the per-hierarchy helpers.
 * Not for use outside daemon/cgroup/ (except the unit test, which exercises
 * the pure parsers). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "daemon/cgroup/cgroup.h"
#include "daemon/cgroup/resources.h"

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

/* ---- resources (controllers.c, limits.c, stats.c, freeze.c, oom.c, delegate.c) ---- */

/* The controllers cgroup_create() enables in cgroup.subtree_control on
 * cgroup2 (those the parent offers): what cgroup_limits_apply() writes. */
#define CGROUP_V2_LIMIT_CONTROLLERS "cpu cpuset io memory pids"

/* True if word is one of the sep-separated entries of list. */
bool cgroup_list_has(const char *list, char sep, const char *word);

/* The directory holding a controller's files for path: the v1 hierarchy
 * whose controllers include v1 (in hybrid and legacy mode), else path's
 * cgroup2 directory (unified and hybrid mode) if path's own
 * cgroup.controllers lists v2 — or always when v2 is "" (a core cgroup2
 * file: cpu.stat, cgroup.freeze). v1 or v2 may be NULL (no such
 * controller there). Returns 0 and *ret_dir (malloc'd), -EOPNOTSUPP
 * without *err if no hierarchy provides it, other -errno with *err. */
int cgroup_controller_dir(const char *path, const char *v1, const char *v2, char **ret_dir,
                          bool *ret_unified, struct ctr_error **err);

/* mkdir -p of dir in the cgroup2 hierarchy h, enabling the limit
 * controllers in the subtree_control of dir's parent and of every
 * directory this call created on the way (see resources.h: never above
 * the configured parent, never the hierarchy root). */
int cgroup_unified_create(const struct cgroup_hierarchy *h, const char *dir, struct ctr_error **err);
/* Enables in dir/cgroup.subtree_control those of CGROUP_V2_LIMIT_CONTROLLERS
 * that dir/cgroup.controllers offers and are not enabled yet. Best effort:
 * returns the number it could not enable (a cgroup holding processes
 * refuses all: "no internal processes"). */
int cgroup_enable_controllers(const char *dir);

/* Small cgroupfs file helpers (controllers.c). Read: at most size-1 bytes,
 * NUL-terminated, trailing newlines stripped; returns the length or
 * -errno. Write: one write(2) of s; 0 or -errno. */
ssize_t cgroup_read_at(const char *dir, const char *file, char *buf, size_t size);
int cgroup_write_at(const char *dir, const char *file, const char *s);

/* Pure parsers (stats.c), for the unit test too. "key value" lines (
 * memory.stat, cpu.stat, memory.events, memory.oom_control): the value of
 * key, or -ENOENT. */
int cgroup_parse_keyed(const char *text, const char *key, uint64_t *ret);
/* v2 io.stat: sums of rbytes, wbytes, rios, wios over every device. */
int cgroup_parse_io_stat(const char *text, uint64_t *rbytes, uint64_t *wbytes, uint64_t *rios,
                         uint64_t *wios);
/* v1 blkio.throttle.io_service_bytes / io_serviced: sums of the "Read" and
 * "Write" lines over every device (the "Total" line is ignored). */
int cgroup_parse_blkio(const char *text, uint64_t *read, uint64_t *write);
/* A limit file: "max" or "-1" (and v1's page-rounded 2^63-4096) are
 * CGROUP_UNLIMITED; else the number. */
int cgroup_parse_limit(const char *text, int64_t *ret);
/* v1 freezer.state: 1 FROZEN, 0 THAWED, 2 FREEZING, -EINVAL otherwise. */
int cgroup_parse_freezer_state(const char *text);
/* v2 cgroup.events "frozen" value: 0/1, or -ENOENT. */
int cgroup_parse_events_frozen(const char *text);

/* Docker's --cpu-shares to cgroup2 cpu.weight and back (lossy), and
 * --blkio-weight (10..1000) to io.weight (1..10000) and back. */
int64_t cgroup_shares_to_weight(int64_t shares);
int64_t cgroup_weight_to_shares(int64_t weight);
int64_t cgroup_blkio_to_io_weight(int64_t w);
int64_t cgroup_io_to_blkio_weight(int64_t w);

/* cgroup_limits_validate() with the host's online CPUs and NUMA nodes
 * given ("0-1", "0"), for the unit test. */
int cgroup_limits_validate_host(const struct cgroup_limits *l, const char *cpus_online,
                                const char *mems_online, struct ctr_error **err);
/* Counts the entries of a cpu list ("0-3,8") and checks each is in
 * online; -EINVAL with *err naming field otherwise. */
int cgroup_cpulist_check(const char *field, const char *list, const char *online,
                         struct ctr_error **err);

/* cgroup_delegate_setup() on a hierarchy mounted at mount, moving the
 * pids listed in <own>/cgroup.procs (for the unit test's fake tree). */
int cgroup_delegate_setup_at(const char *mount, const char *own_cgroup, char **ret_parent,
                             struct ctr_error **err);
