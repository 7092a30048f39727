/* Resource limits of one cgroup: checking them against the host, writing
 * them all or nothing, and reading back what is in force. A write plan is
 * built first (every controller and file resolved, so a missing one fails
 * before anything changed), then run in order; on a refusal the files
 * already written get the values they had. */
#include "daemon/cgroup/cgroup-internal.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/fs-util.h"
#include "common/parse.h"

#define MEMORY_MIN (6 << 20)  /* Docker's minimum: less cannot start a process */
#define PERIOD_DEFAULT 100000 /* us, the kernel's and Docker's default */
#define PLAN_MAX 12

/* ---- conversions ---- */

int64_t
cgroup_shares_to_weight(int64_t shares)
{
        /* The mapping runc, crun and systemd use: 2..262144 -> 1..10000. */
        return 1 + (shares - 2) * 9999 / 262142;
}

int64_t
cgroup_weight_to_shares(int64_t weight)
{
        return 2 + ((weight - 1) * 262142 + 9998) / 9999;
}

int64_t
cgroup_blkio_to_io_weight(int64_t w)
{
        return 1 + (w - 10) * 9999 / 990;
}

int64_t
cgroup_io_to_blkio_weight(int64_t w)
{
        return 10 + ((w - 1) * 990 + 9998) / 9999;
}

/* ---- validation ---- */

/* Next "a" or "a-b" item of a cpu list; advances *p. */
static int
cpulist_next(const char **p, long *lo, long *hi)
{
        char *end;

        if (**p < '0' || **p > '9')
                return -EINVAL;
        errno = 0;
        *lo = *hi = strtol(*p, &end, 10);
        if (errno || *lo > 65535)
                return -EINVAL;
        if (*end == '-') {
                if (end[1] < '0' || end[1] > '9')
                        return -EINVAL;
                *hi = strtol(end + 1, &end, 10);
                if (errno || *hi > 65535 || *hi < *lo)
                        return -EINVAL;
        }
        if (*end == ',' && end[1])
                end++;
        else if (*end)
                return -EINVAL;
        *p = end;
        return 0;
}

static bool
cpulist_contains(const char *list, long n)
{
        const char *p = list;
        long lo, hi;

        while (*p && cpulist_next(&p, &lo, &hi) == 0)
                if (n >= lo && n <= hi)
                        return true;
        return false;
}

/* Number of entries of a valid list, or -EINVAL. */
static long
cpulist_count(const char *list)
{
        const char *p = list;
        long lo, hi, n = 0;

        while (*p) {
                if (cpulist_next(&p, &lo, &hi) < 0)
                        return -EINVAL;
                n += hi - lo + 1;
        }
        return n;
}

int
cgroup_cpulist_check(const char *field, const char *list, const char *online, struct ctr_error **err)
{
        const char *p = list;
        long lo, hi;

        if (!*list)
                return ctr_error_msg(err, EINVAL, "%s: empty list", field);
        while (*p) {
                if (cpulist_next(&p, &lo, &hi) < 0)
                        return ctr_error_msg(err, EINVAL, "%s: `%s` is not a list like 0-2,4", field, list);
                for (long n = lo; n <= hi; n++)
                        if (!cpulist_contains(online, n))
                                return ctr_error_msg(err, EINVAL, "%s: %s %ld does not exist (this host has %s)",
                                                     field, strcmp(field, "cpuset-mems") == 0 ? "node" : "CPU",
                                                     n, online);
        }
        return 0;
}

static int
check_range(const char *field, int64_t v, int64_t min, int64_t max, bool unlimited_ok,
            struct ctr_error **err)
{
        if (v == CGROUP_UNSET || (unlimited_ok && v == CGROUP_UNLIMITED))
                return 0;
        if (v < min || v > max)
                return ctr_error_msg(err, EINVAL, "%s: %" PRId64 " is out of range (%" PRId64 " to %" PRId64 ")",
                                     field, v, min, max);
        return 0;
}

static int
validate_memory(const struct cgroup_limits *l, struct ctr_error **err)
{
        if (l->memory_max != CGROUP_UNSET && l->memory_max != CGROUP_UNLIMITED && l->memory_max < MEMORY_MIN)
                return ctr_error_msg(err, EINVAL, "memory: %" PRId64 " is below the minimum of 6 MiB",
                                     l->memory_max);
        if (check_range("memory-swap", l->memory_swap, 0, INT64_MAX - 1, true, err) < 0 ||
            check_range("memory-reservation", l->memory_low, 0, INT64_MAX - 1, true, err) < 0)
                return -EINVAL;
        if (l->memory_swap != CGROUP_UNSET && l->memory_swap != CGROUP_UNLIMITED) {
                if (l->memory_max == CGROUP_UNSET || l->memory_max == CGROUP_UNLIMITED)
                        return ctr_error_msg(err, EINVAL, "memory-swap needs a memory limit too");
                if (l->memory_swap < l->memory_max)
                        return ctr_error_msg(err, EINVAL, "memory-swap must be at least memory");
        }
        if (l->memory_low != CGROUP_UNSET && l->memory_low != CGROUP_UNLIMITED &&
            l->memory_max != CGROUP_UNSET && l->memory_max != CGROUP_UNLIMITED && l->memory_low > l->memory_max)
                return ctr_error_msg(err, EINVAL, "memory-reservation must not be above memory");
        return 0;
}

static int
validate_cpu(const struct cgroup_limits *l, long ncpus, struct ctr_error **err)
{
        int64_t period = l->cpu_period_us == CGROUP_UNSET ? PERIOD_DEFAULT : l->cpu_period_us;

        /* The kernel's bounds (kernel/sched/core.c): period 1 ms..1 s,
         * quota at least 1 ms. */
        if (check_range("cpu-period", l->cpu_period_us, 1000, 1000000, false, err) < 0 ||
            check_range("cpu-quota", l->cpu_quota_us, 1000, INT64_MAX / 2, true, err) < 0 ||
            check_range("cpu-shares", l->cpu_shares, 2, 262144, false, err) < 0)
                return -EINVAL;
        if (l->cpu_quota_us != CGROUP_UNSET && l->cpu_quota_us != CGROUP_UNLIMITED && ncpus > 0 &&
            l->cpu_quota_us > period * ncpus)
                return ctr_error_msg(err, EINVAL, "cpus: %.2f is more than this host's %ld CPUs",
                                     (double) l->cpu_quota_us / (double) period, ncpus);
        return 0;
}

int
cgroup_limits_validate_host(const struct cgroup_limits *l, const char *cpus_online,
                            const char *mems_online, struct ctr_error **err)
{
        int r;

        r = validate_memory(l, err);
        if (r < 0)
                return r;
        r = validate_cpu(l, cpus_online ? cpulist_count(cpus_online) : 0, err);
        if (r < 0)
                return r;
        if (l->pids_max != CGROUP_UNSET && l->pids_max != CGROUP_UNLIMITED && l->pids_max < 1)
                return ctr_error_msg(err, EINVAL, "pids-limit: %" PRId64 " must be at least 1", l->pids_max);
        r = check_range("blkio-weight", l->io_weight, 10, 1000, false, err);
        if (r < 0)
                return r;
        if (l->cpuset_cpus && cpus_online) {
                r = cgroup_cpulist_check("cpuset-cpus", l->cpuset_cpus, cpus_online, err);
                if (r < 0)
                        return r;
        }
        if (l->cpuset_mems && mems_online)
                return cgroup_cpulist_check("cpuset-mems", l->cpuset_mems, mems_online, err);
        return 0;
}

int
cgroup_limits_validate(const struct cgroup_limits *l, struct ctr_error **err)
{
        char cpus[1024], mems[1024] = "0";

        if (cgroup_read_at("/sys/devices/system/cpu", "online", cpus, sizeof(cpus)) < 0)
                return cgroup_limits_validate_host(l, NULL, NULL, err);
        /* A kernel without NUMA has no node directory: node 0 only. */
        if (cgroup_read_at("/sys/devices/system/node", "online", mems, sizeof(mems)) < 0)
                snprintf(mems, sizeof(mems), "0");
        return cgroup_limits_validate_host(l, cpus, mems, err);
}

/* ---- the write plan ---- */

struct plan_step {
        char *dir;        /* borrowed from struct plan's dirs */
        const char *file;
        char *value;      /* malloc'd */
        char *old;        /* malloc'd once read */
        bool swap_next;   /* on EINVAL, write the next step first (v1 quota/period) */
        bool done;
};

struct plan {
        struct plan_step s[PLAN_MAX];
        size_t n;
        char *dirs[8];
        size_t n_dirs;
        const char *path;
};

static void
plan_clear(struct plan *p)
{
        for (size_t i = 0; i < p->n; i++) {
                free(p->s[i].value);
                free(p->s[i].old);
        }
        for (size_t i = 0; i < p->n_dirs; i++)
                free(p->dirs[i]);
}

static int
plan_add(struct plan *p, char *dir, const char *file, const char *fmt, ...) _printf_(4, 5);

static int
plan_add(struct plan *p, char *dir, const char *file, const char *fmt, ...)
{
        va_list ap;
        int r;

        if (p->n == PLAN_MAX)
                return -E2BIG;
        va_start(ap, fmt);
        r = vasprintf(&p->s[p->n].value, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        p->s[p->n].dir = dir;
        p->s[p->n].file = file;
        p->n++;
        return 0;
}

/* Resolves a controller for the plan; the dir is owned by p. what names
 * the limit for the error ("memory limit"). */
static int
plan_dir(struct plan *p, const char *v1, const char *v2, const char *what, char **ret_dir,
         bool *ret_unified, struct ctr_error **err)
{
        char *dir = NULL;
        int r;

        if (p->n_dirs == ARRAY_SIZE(p->dirs))
                return -E2BIG;
        r = cgroup_controller_dir(p->path, v1, v2, &dir, ret_unified, err);
        if (r == -EOPNOTSUPP)
                return ctr_error_msg(err, EOPNOTSUPP, "%s: the %s controller is not available for cgroup `%s`",
                                     what, v1 ? v1 : v2, p->path);
        if (r < 0)
                return r;
        p->dirs[p->n_dirs++] = dir;
        *ret_dir = dir;
        return 0;
}

static int
need_file(const char *dir, const char *file, const char *what, const char *why, struct ctr_error **err)
{
        _cleanup_free_ char *f = path_join(dir, file);

        if (!f)
                return -ENOMEM;
        if (access(f, F_OK) == 0)
                return 0;
        return ctr_error_msg(err, EOPNOTSUPP, "%s: %s is missing%s", what, file, why);
}

static void
fmt_limit(char *buf, size_t size, int64_t v, bool v2)
{
        if (v == CGROUP_UNLIMITED)
                snprintf(buf, size, "%s", v2 ? "max" : "-1");
        else
                snprintf(buf, size, "%" PRId64, v);
}

static int64_t
read_limit(const char *dir, const char *file)
{
        char buf[64];
        int64_t v;

        if (cgroup_read_at(dir, file, buf, sizeof(buf)) < 0 || cgroup_parse_limit(buf, &v) < 0)
                return CGROUP_UNSET;
        return v;
}

static int
plan_memory(struct plan *p, const struct cgroup_limits *l, struct ctr_error **err)
{
        char *dir, mem[32], swap[32], low[32];
        int64_t swap_of;
        bool v2, memsw_first;
        int r;

        if (l->memory_max == CGROUP_UNSET && l->memory_swap == CGROUP_UNSET && l->memory_low == CGROUP_UNSET)
                return 0;
        r = plan_dir(p, "memory", "memory", "memory limit", &dir, &v2, err);
        if (r < 0)
                return r;
        fmt_limit(mem, sizeof(mem), l->memory_max, v2);
        fmt_limit(low, sizeof(low), l->memory_low, v2);
        if (l->memory_swap == CGROUP_UNLIMITED || l->memory_swap == CGROUP_UNSET || !v2) {
                fmt_limit(swap, sizeof(swap), l->memory_swap, v2);
        } else {
                /* v2's memory.swap.max is the swap alone: memory_swap less
                 * the memory limit, the one given or else the one in force. */
                swap_of = l->memory_max != CGROUP_UNSET ? l->memory_max : read_limit(dir, "memory.max");
                if (swap_of == CGROUP_UNSET || swap_of == CGROUP_UNLIMITED)
                        return ctr_error_msg(err, EINVAL, "memory-swap needs a memory limit too");
                if (l->memory_swap < swap_of)
                        return ctr_error_msg(err, EINVAL, "memory-swap must be at least memory");
                fmt_limit(swap, sizeof(swap), l->memory_swap - swap_of, v2);
        }
        if (v2) {
                if (l->memory_swap != CGROUP_UNSET &&
                    (r = need_file(dir, "memory.swap.max", "swap limit", " (kernel without swap accounting)", err)) < 0)
                        return r;
                if ((l->memory_max != CGROUP_UNSET && (r = plan_add(p, dir, "memory.max", "%s", mem)) < 0) ||
                    (l->memory_swap != CGROUP_UNSET && (r = plan_add(p, dir, "memory.swap.max", "%s", swap)) < 0) ||
                    (l->memory_low != CGROUP_UNSET && (r = plan_add(p, dir, "memory.low", "%s", low)) < 0))
                        return r;
                return 0;
        }
        if (l->memory_swap != CGROUP_UNSET &&
            (r = need_file(dir, "memory.memsw.limit_in_bytes", "swap limit", " (boot with swapaccount=1)", err)) < 0)
                return r;
        /* v1 refuses memory > memsw at every moment: raise memsw first when
         * the new memory limit is above the memsw limit in force, else
         * lower memory first. */
        memsw_first = l->memory_swap != CGROUP_UNSET && l->memory_max != CGROUP_UNSET &&
                      (uint64_t) l->memory_max > (uint64_t) read_limit(dir, "memory.memsw.limit_in_bytes");
        if ((memsw_first && (r = plan_add(p, dir, "memory.memsw.limit_in_bytes", "%s", swap)) < 0) ||
            (l->memory_max != CGROUP_UNSET && (r = plan_add(p, dir, "memory.limit_in_bytes", "%s", mem)) < 0) ||
            (!memsw_first && l->memory_swap != CGROUP_UNSET &&
             (r = plan_add(p, dir, "memory.memsw.limit_in_bytes", "%s", swap)) < 0) ||
            (l->memory_low != CGROUP_UNSET && (r = plan_add(p, dir, "memory.soft_limit_in_bytes", "%s", low)) < 0))
                return r;
        return 0;
}

static int
plan_cpu_v2(struct plan *p, char *dir, const struct cgroup_limits *l)
{
        char quota[32], cur[64];
        int r;

        if (l->cpu_shares != CGROUP_UNSET &&
            (r = plan_add(p, dir, "cpu.weight", "%" PRId64, cgroup_shares_to_weight(l->cpu_shares))) < 0)
                return r;
        if (l->cpu_quota_us == CGROUP_UNSET && l->cpu_period_us == CGROUP_UNSET)
                return 0;
        if (l->cpu_quota_us == CGROUP_UNSET) {
                /* A period alone keeps the quota in force. */
                if (cgroup_read_at(dir, "cpu.max", cur, sizeof(cur)) < 0)
                        snprintf(cur, sizeof(cur), "max");
                cur[strcspn(cur, " ")] = 0;
                return plan_add(p, dir, "cpu.max", "%s %" PRId64, cur, l->cpu_period_us);
        }
        fmt_limit(quota, sizeof(quota), l->cpu_quota_us, true);
        if (l->cpu_period_us == CGROUP_UNSET && l->cpu_quota_us == CGROUP_UNLIMITED)
                return plan_add(p, dir, "cpu.max", "max");
        return plan_add(p, dir, "cpu.max", "%s %" PRId64, quota,
                        l->cpu_period_us == CGROUP_UNSET ? PERIOD_DEFAULT : l->cpu_period_us);
}

static int
plan_cpu(struct plan *p, const struct cgroup_limits *l, struct ctr_error **err)
{
        char *dir, quota[32];
        int64_t period = l->cpu_period_us;
        bool v2;
        int r;

        if (l->cpu_shares == CGROUP_UNSET && l->cpu_quota_us == CGROUP_UNSET && l->cpu_period_us == CGROUP_UNSET)
                return 0;
        r = plan_dir(p, "cpu", "cpu", "cpu limit", &dir, &v2, err);
        if (r < 0)
                return r;
        if (v2)
                return plan_cpu_v2(p, dir, l);
        if (l->cpu_shares != CGROUP_UNSET && (r = plan_add(p, dir, "cpu.shares", "%" PRId64, l->cpu_shares)) < 0)
                return r;
        if (period == CGROUP_UNSET && l->cpu_quota_us != CGROUP_UNSET && l->cpu_quota_us != CGROUP_UNLIMITED)
                period = PERIOD_DEFAULT;
        if (period != CGROUP_UNSET) {
                r = plan_add(p, dir, "cpu.cfs_period_us", "%" PRId64, period);
                if (r < 0)
                        return r;
                /* The kernel checks each write against the other value in
                 * force; if the period is refused, the quota goes first. */
                p->s[p->n - 1].swap_next = l->cpu_quota_us != CGROUP_UNSET;
        }
        fmt_limit(quota, sizeof(quota), l->cpu_quota_us, false);
        if (l->cpu_quota_us != CGROUP_UNSET && (r = plan_add(p, dir, "cpu.cfs_quota_us", "%s", quota)) < 0)
                return r;
        return 0;
}

static int
plan_cpuset(struct plan *p, const struct cgroup_limits *l, struct ctr_error **err)
{
        const char *cpus_file = "cpuset.cpus", *mems_file = "cpuset.mems";
        char *dir;
        bool v2;
        int r;

        if (!l->cpuset_cpus && !l->cpuset_mems)
                return 0;
        r = plan_dir(p, "cpuset", "cpuset", "cpuset", &dir, &v2, err);
        if (r < 0)
                return r;
        /* noprefix v1 mounts name them "cpus" and "mems". */
        if (!v2 && need_file(dir, "cpuset.cpus", "", "", NULL) < 0) {
                cpus_file = "cpus";
                mems_file = "mems";
        }
        if ((l->cpuset_cpus && (r = plan_add(p, dir, cpus_file, "%s", l->cpuset_cpus)) < 0) ||
            (l->cpuset_mems && (r = plan_add(p, dir, mems_file, "%s", l->cpuset_mems)) < 0))
                return r;
        return 0;
}

static int
plan_pids_io(struct plan *p, const struct cgroup_limits *l, struct ctr_error **err)
{
        char *dir, v[32];
        bool v2;
        int r;

        if (l->pids_max != CGROUP_UNSET) {
                r = plan_dir(p, "pids", "pids", "pids limit", &dir, &v2, err);
                if (r < 0)
                        return r;
                fmt_limit(v, sizeof(v), l->pids_max, true); /* v1 pids.max also says "max" */
                r = plan_add(p, dir, "pids.max", "%s", v);
                if (r < 0)
                        return r;
        }
        if (l->io_weight == CGROUP_UNSET)
                return 0;
        r = plan_dir(p, "blkio", "io", "io weight", &dir, &v2, err);
        if (r < 0)
                return r;
        /* CFQ (blkio.weight) is gone from current kernels and io.weight
         * needs blk-iocost: BFQ's own file is the fallback on both. */
        if (v2 && need_file(dir, "io.weight", "", "", NULL) == 0)
                return plan_add(p, dir, "io.weight", "default %" PRId64, cgroup_blkio_to_io_weight(l->io_weight));
        if (v2 && need_file(dir, "io.bfq.weight", "", "", NULL) == 0)
                return plan_add(p, dir, "io.bfq.weight", "default %" PRId64, l->io_weight);
        if (!v2 && need_file(dir, "blkio.weight", "", "", NULL) == 0)
                return plan_add(p, dir, "blkio.weight", "%" PRId64, l->io_weight);
        if (!v2 && need_file(dir, "blkio.bfq.weight", "", "", NULL) == 0)
                return plan_add(p, dir, "blkio.bfq.weight", "%" PRId64, l->io_weight);
        return ctr_error_msg(err, EOPNOTSUPP, "io weight: neither %s nor %s exists in `%s` (no BFQ I/O scheduler%s)",
                             v2 ? "io.weight" : "blkio.weight", v2 ? "io.bfq.weight" : "blkio.bfq.weight", dir,
                             v2 ? " and no blk-iocost" : "");
}

static int
step_write(struct plan_step *s, struct ctr_error **err)
{
        char old[4096];
        ssize_t n;
        int r;

        n = cgroup_read_at(s->dir, s->file, old, sizeof(old));
        if (n < 0)
                return ctr_error_sys(err, (int) -n, "read `%s/%s`", s->dir, s->file);
        /* Restore only the default line (io.weight lists devices below). */
        old[strcspn(old, "\n")] = 0;
        free(s->old);
        s->old = strdup(old);
        if (!s->old)
                return ctr_error_sys(err, ENOMEM, "limits");
        r = cgroup_write_at(s->dir, s->file, s->value);
        if (r < 0)
                return r;
        s->done = true;
        return 0;
}

static void
plan_undo(struct plan *p)
{
        for (size_t i = p->n; i-- > 0;)
                if (p->s[i].done)
                        (void) cgroup_write_at(p->s[i].dir, p->s[i].file, p->s[i].old);
}

static int
plan_run(struct plan *p, struct ctr_error **err)
{
        for (size_t i = 0; i < p->n; i++) {
                struct plan_step *s = &p->s[i];
                int r = step_write(s, err);

                if (r == -EINVAL && s->swap_next && i + 1 < p->n) {
                        s = &p->s[++i];
                        r = step_write(s, err);
                        if (r == 0) {
                                s = &p->s[i - 1];
                                r = step_write(s, err);
                        }
                }
                if (r < 0) {
                        plan_undo(p);
                        if (err && *err)
                                return r;
                        return ctr_error_sys(err, -r, "write %s to `%s/%s`", s->value, s->dir, s->file);
                }
        }
        return 0;
}

int
cgroup_limits_apply(const char *path, const struct cgroup_limits *l, struct ctr_error **err)
{
        struct plan p = { .path = path };
        int r;

        if ((r = plan_memory(&p, l, err)) < 0 || (r = plan_cpu(&p, l, err)) < 0 ||
            (r = plan_cpuset(&p, l, err)) < 0 || (r = plan_pids_io(&p, l, err)) < 0)
                goto out;
        r = plan_run(&p, err);
out:
        if (r == -E2BIG || r == -ENOMEM)
                r = ctr_error_sys(err, -r, "limits of `%s`", path);
        plan_clear(&p);
        return r;
}

/* ---- reading back ---- */

/* The dir of a controller, 0 if the host has none (the fields stay unset). */
static int
read_dir(const char *path, const char *v1, const char *v2, char **ret, bool *ret_v2, struct ctr_error **err)
{
        int r = cgroup_controller_dir(path, v1, v2, ret, ret_v2, err);

        if (r == -EOPNOTSUPP)
                return 0;
        return r < 0 ? r : 1;
}

static int
read_memory(const char *path, struct cgroup_limits *l, struct ctr_error **err)
{
        _cleanup_free_ char *dir = NULL;
        int64_t swap;
        bool v2;
        int r = read_dir(path, "memory", "memory", &dir, &v2, err);

        if (r <= 0)
                return r;
        l->memory_max = read_limit(dir, v2 ? "memory.max" : "memory.limit_in_bytes");
        l->memory_low = read_limit(dir, v2 ? "memory.low" : "memory.soft_limit_in_bytes");
        swap = read_limit(dir, v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes");
        if (!v2 || swap == CGROUP_UNSET || l->memory_max == CGROUP_UNSET)
                l->memory_swap = swap;
        else if (swap == CGROUP_UNLIMITED || l->memory_max == CGROUP_UNLIMITED)
                l->memory_swap = CGROUP_UNLIMITED;
        else
                l->memory_swap = l->memory_max + swap;
        return 0;
}

static int
read_cpu(const char *path, struct cgroup_limits *l, struct ctr_error **err)
{
        _cleanup_free_ char *dir = NULL;
        char buf[64], *sp;
        bool v2;
        int r = read_dir(path, "cpu", "cpu", &dir, &v2, err);

        if (r <= 0)
                return r;
        if (!v2) {
                l->cpu_shares = read_limit(dir, "cpu.shares");
                l->cpu_quota_us = read_limit(dir, "cpu.cfs_quota_us");
                l->cpu_period_us = read_limit(dir, "cpu.cfs_period_us");
                return 0;
        }
        l->cpu_shares = read_limit(dir, "cpu.weight");
        if (l->cpu_shares > 0 && l->cpu_shares != CGROUP_UNLIMITED)
                l->cpu_shares = cgroup_weight_to_shares(l->cpu_shares);
        if (cgroup_read_at(dir, "cpu.max", buf, sizeof(buf)) < 0 || !(sp = strchr(buf, ' ')))
                return 0;
        *sp = 0;
        if (cgroup_parse_limit(buf, &l->cpu_quota_us) < 0 || cgroup_parse_limit(sp + 1, &l->cpu_period_us) < 0)
                l->cpu_quota_us = l->cpu_period_us = CGROUP_UNSET;
        return 0;
}

static char *
read_string(const char *dir, const char *file)
{
        char buf[4096];

        if (cgroup_read_at(dir, file, buf, sizeof(buf)) <= 0)
                return NULL;
        return strdup(buf);
}

/* "default 100" (v2, bfq) or "100" (v1): the default weight. */
static int64_t
read_weight(const char *dir, const char *file)
{
        char buf[512], *p = buf;
        int64_t v;

        if (cgroup_read_at(dir, file, buf, sizeof(buf)) < 0)
                return CGROUP_UNSET;
        buf[strcspn(buf, "\n")] = 0;
        if (strncmp(p, "default ", 8) == 0)
                p += 8;
        return parse_int64(p, &v) == 0 ? v : CGROUP_UNSET;
}

static int
read_cpuset_pids_io(const char *path, struct cgroup_limits *l, struct ctr_error **err)
{
        _cleanup_free_ char *cs = NULL, *pids = NULL, *io = NULL;
        bool v2;
        int r;

        if ((r = read_dir(path, "cpuset", "cpuset", &cs, &v2, err)) < 0)
                return r;
        if (r > 0) {
                bool np = !v2 && need_file(cs, "cpuset.cpus", "", "", NULL) < 0;
                l->cpuset_cpus = read_string(cs, np ? "cpus" : "cpuset.cpus");
                l->cpuset_mems = read_string(cs, np ? "mems" : "cpuset.mems");
        }
        if ((r = read_dir(path, "pids", "pids", &pids, &v2, err)) < 0)
                return r;
        if (r > 0)
                l->pids_max = read_limit(pids, "pids.max");
        if ((r = read_dir(path, "blkio", "io", &io, &v2, err)) < 0)
                return r;
        if (r == 0)
                return 0;
        if (v2) {
                l->io_weight = read_weight(io, "io.weight");
                if (l->io_weight > 0)
                        l->io_weight = cgroup_io_to_blkio_weight(l->io_weight);
                else
                        l->io_weight = read_weight(io, "io.bfq.weight");
        } else {
                l->io_weight = read_weight(io, "blkio.weight");
                if (l->io_weight == CGROUP_UNSET)
                        l->io_weight = read_weight(io, "blkio.bfq.weight");
        }
        return 0;
}

int
cgroup_limits_read(const char *path, struct cgroup_limits *ret, struct ctr_error **err)
{
        struct cgroup_limits l;
        int r;

        cgroup_limits_init(&l);
        if ((r = read_memory(path, &l, err)) < 0 || (r = read_cpu(path, &l, err)) < 0 ||
            (r = read_cpuset_pids_io(path, &l, err)) < 0) {
                cgroup_limits_clear(&l);
                return r;
        }
        *ret = l;
        return 0;
}
