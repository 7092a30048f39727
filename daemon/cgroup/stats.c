/* Accounting of one cgroup: the pure parsers of the kernel's stat files,
 * and a reader that keeps those files open and re-reads them with pread at
 * offset 0 (cgroupfs regenerates a file's text on a read from offset 0),
 * so a stream costs no open/close and no allocation per sample. */
#include "daemon/cgroup/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/parse.h"

/* v1 reports "no limit" as the largest page-aligned long. */
#define V1_UNLIMITED_MIN INT64_C(0x7FFFFFFFFFFF0000)

/* ---- pure parsers ---- */

static int
parse_u64_prefix(const char *s, uint64_t *ret)
{
        char num[24];
        size_t n = strspn(s, "0123456789");

        if (n == 0 || n >= sizeof(num))
                return -EINVAL;
        memcpy(num, s, n);
        num[n] = 0;
        return parse_uint64(num, ret);
}

int
cgroup_parse_keyed(const char *text, const char *key, uint64_t *ret)
{
        size_t kl = strlen(key);

        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
                        return parse_u64_prefix(p + kl + 1, ret);
        return -ENOENT;
}

/* Value of "name=" in one io.stat line [p, end). */
static void
io_field(const char *p, const char *end, const char *name, uint64_t *sum)
{
        size_t nl = strlen(name);
        uint64_t v;

        for (const char *f = p; f && f < end; f = memchr(f, ' ', (size_t) (end - f)), f = f ? f + 1 : NULL)
                if ((size_t) (end - f) > nl && strncmp(f, name, nl) == 0 && f[nl] == '=' &&
                    parse_u64_prefix(f + nl + 1, &v) == 0)
                        *sum += v;
}

int
cgroup_parse_io_stat(const char *text, uint64_t *rbytes, uint64_t *wbytes, uint64_t *rios, uint64_t *wios)
{
        *rbytes = *wbytes = *rios = *wios = 0;
        for (const char *p = text; *p;) {
                const char *end = strchrnul(p, '\n');

                io_field(p, end, "rbytes", rbytes);
                io_field(p, end, "wbytes", wbytes);
                io_field(p, end, "rios", rios);
                io_field(p, end, "wios", wios);
                p = *end ? end + 1 : end;
        }
        return 0;
}

int
cgroup_parse_blkio(const char *text, uint64_t *read, uint64_t *write)
{
        *read = *write = 0;
        for (const char *p = text; *p;) {
                const char *end = strchrnul(p, '\n'), *sp = memchr(p, ' ', (size_t) (end - p));
                uint64_t v;

                /* "8:0 Read 4096"; the last line is "Total N" alone. */
                if (sp && strncmp(sp + 1, "Read ", 5) == 0 && parse_u64_prefix(sp + 6, &v) == 0)
                        *read += v;
                else if (sp && strncmp(sp + 1, "Write ", 6) == 0 && parse_u64_prefix(sp + 7, &v) == 0)
                        *write += v;
                p = *end ? end + 1 : end;
        }
        return 0;
}

int
cgroup_parse_limit(const char *text, int64_t *ret)
{
        char buf[32];
        size_t n = strcspn(text, "\n");
        int64_t v;

        if (n >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, text, n);
        buf[n] = 0;
        if (strcmp(buf, "max") == 0 || strcmp(buf, "-1") == 0) {
                *ret = CGROUP_UNLIMITED;
                return 0;
        }
        if (parse_int64(buf, &v) < 0 || v < 0)
                return -EINVAL;
        *ret = v >= V1_UNLIMITED_MIN ? CGROUP_UNLIMITED : v;
        return 0;
}

int
cgroup_parse_freezer_state(const char *text)
{
        size_t n = strcspn(text, "\n");

        if (n == 6 && strncmp(text, "FROZEN", 6) == 0)
                return 1;
        if (n == 6 && strncmp(text, "THAWED", 6) == 0)
                return 0;
        if (n == 8 && strncmp(text, "FREEZING", 8) == 0)
                return 2;
        return -EINVAL;
}

int
cgroup_parse_events_frozen(const char *text)
{
        uint64_t v;
        int r = cgroup_parse_keyed(text, "frozen", &v);

        if (r < 0)
                return r;
        return v ? 1 : 0;
}

/* ---- the reader ---- */

enum {
        F_CPU_STAT,       /* v2 cpu.stat (core file: present without the cpu controller) */
        F_CPUACCT_USAGE,  /* v1 */
        F_CPUACCT_USER,
        F_CPUACCT_SYS,
        F_CPUACCT_STAT,   /* v1 before 4.7: user/system in USER_HZ ticks */
        F_MEM_CURRENT,
        F_MEM_PEAK,
        F_MEM_MAX,
        F_MEM_STAT,
        F_SWAP_CURRENT,   /* v2 */
        F_MEMSW_USAGE,    /* v1: memory + swap */
        F_KMEM_USAGE,     /* v1 */
        F_MEM_EVENTS,     /* v2 oom_kill */
        F_OOM_CONTROL,    /* v1 oom_kill */
        F_PIDS_CURRENT,
        F_PIDS_MAX,
        F_IO_STAT,        /* v2 */
        F_BLKIO_BYTES,    /* v1 */
        F_BLKIO_OPS,
        _F_MAX,
};

struct cgroup_stats_reader {
        int fd[_F_MAX];
        bool mem_v2;
        char buf[32 * 1024]; /* v1 memory.stat is about 1.5 KiB, v2 about 3 KiB */
};

void
cgroup_stats_reader_free(struct cgroup_stats_reader *r)
{
        if (!r)
                return;
        for (size_t i = 0; i < _F_MAX; i++)
                safe_close(r->fd[i]);
        free(r);
}

/* Opens the files of one controller; names[i] goes to fd[first + i]. */
static int
open_files(struct cgroup_stats_reader *r, const char *path, const char *v1, const char *v2,
           const char *const *names_v1, const char *const *names_v2, int first, int count,
           bool *ret_v2, struct ctr_error **err)
{
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int dfd = -1;
        bool is_v2 = false;
        int q = cgroup_controller_dir(path, v1, v2, &dir, &is_v2, err);

        if (q == -EOPNOTSUPP)
                return 0;
        if (q < 0)
                return q;
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return ctr_error_sys(err, errno, "open cgroup `%s`", dir);
        for (int i = 0; i < count; i++) {
                const char *name = (is_v2 ? names_v2 : names_v1)[i];
                if (name)
                        r->fd[first + i] = openat(dfd, name, O_RDONLY | O_CLOEXEC);
        }
        if (ret_v2)
                *ret_v2 = is_v2;
        return 0;
}

int
cgroup_stats_reader_open(const char *path, struct cgroup_stats_reader **ret, struct ctr_error **err)
{
        static const char *const cpu1[] = { NULL, "cpuacct.usage", "cpuacct.usage_user", "cpuacct.usage_sys",
                                            "cpuacct.stat" };
        static const char *const cpu2[] = { "cpu.stat", NULL, NULL, NULL, NULL };
        static const char *const mem1[] = { "memory.usage_in_bytes", "memory.max_usage_in_bytes",
                                            "memory.limit_in_bytes", "memory.stat", NULL,
                                            "memory.memsw.usage_in_bytes", "memory.kmem.usage_in_bytes",
                                            NULL, "memory.oom_control" };
        static const char *const mem2[] = { "memory.current", "memory.peak", "memory.max", "memory.stat",
                                            "memory.swap.current", NULL, NULL, "memory.events", NULL };
        static const char *const pids[] = { "pids.current", "pids.max" };
        static const char *const io1[] = { NULL, "blkio.throttle.io_service_bytes_recursive",
                                           "blkio.throttle.io_serviced_recursive" };
        static const char *const io2[] = { "io.stat", NULL, NULL };
        _cleanup_(cgroup_stats_reader_freep) struct cgroup_stats_reader *r = calloc(1, sizeof(*r));
        int q;

        if (!r)
                return ctr_error_sys(err, ENOMEM, "stats of `%s`", path);
        for (size_t i = 0; i < _F_MAX; i++)
                r->fd[i] = -1;
        if ((q = open_files(r, path, "cpuacct", "", cpu1, cpu2, F_CPU_STAT, 5, NULL, err)) < 0 ||
            (q = open_files(r, path, "memory", "memory", mem1, mem2, F_MEM_CURRENT, 9, &r->mem_v2, err)) < 0 ||
            (q = open_files(r, path, "pids", "pids", pids, pids, F_PIDS_CURRENT, 2, NULL, err)) < 0 ||
            (q = open_files(r, path, "blkio", "io", io1, io2, F_IO_STAT, 3, NULL, err)) < 0)
                return q;
        /* Older kernels have only the non-recursive v1 blkio files. */
        if (r->fd[F_BLKIO_BYTES] < 0 && r->fd[F_BLKIO_OPS] < 0) {
                _cleanup_free_ char *dir = NULL;
                if (cgroup_controller_dir(path, "blkio", NULL, &dir, NULL, NULL) == 0) {
                        _cleanup_free_ char *b = NULL, *o = NULL;
                        if (asprintf(&b, "%s/blkio.throttle.io_service_bytes", dir) > 0 &&
                            asprintf(&o, "%s/blkio.throttle.io_serviced", dir) > 0) {
                                r->fd[F_BLKIO_BYTES] = open(b, O_RDONLY | O_CLOEXEC);
                                r->fd[F_BLKIO_OPS] = open(o, O_RDONLY | O_CLOEXEC);
                        }
                }
        }
        *ret = TAKE_PTR(r);
        return 0;
}

/* Reads fd[i] into r->buf; false if the file is absent. */
static int
slurp(struct cgroup_stats_reader *r, int i)
{
        ssize_t n;

        if (r->fd[i] < 0)
                return 0;
        n = pread(r->fd[i], r->buf, sizeof(r->buf) - 1, 0);
        if (n < 0)
                return -errno;
        r->buf[n] = 0;
        return 1;
}

static uint64_t
keyed(const char *text, const char *key)
{
        uint64_t v;

        return cgroup_parse_keyed(text, key, &v) == 0 ? v : CGROUP_STAT_NONE;
}

/* A single number; limit files give NONE when unlimited. */
static int
read_number(struct cgroup_stats_reader *r, int i, uint64_t *ret)
{
        int64_t v;
        int q = slurp(r, i);

        if (q <= 0)
                return q;
        if (cgroup_parse_limit(r->buf, &v) == 0)
                *ret = v == CGROUP_UNLIMITED ? CGROUP_STAT_NONE : (uint64_t) v;
        return 0;
}

static uint64_t
usec_to_ns(uint64_t us)
{
        return us == CGROUP_STAT_NONE ? us : us * 1000;
}

static int
read_cpu(struct cgroup_stats_reader *r, struct cgroup_stats *s)
{
        int q;

        if ((q = slurp(r, F_CPU_STAT)) < 0)
                return q;
        if (q > 0) {
                s->cpu_usage_ns = usec_to_ns(keyed(r->buf, "usage_usec"));
                s->cpu_user_ns = usec_to_ns(keyed(r->buf, "user_usec"));
                s->cpu_system_ns = usec_to_ns(keyed(r->buf, "system_usec"));
                return 0;
        }
        if ((q = read_number(r, F_CPUACCT_USAGE, &s->cpu_usage_ns)) < 0 ||
            (q = read_number(r, F_CPUACCT_USER, &s->cpu_user_ns)) < 0 ||
            (q = read_number(r, F_CPUACCT_SYS, &s->cpu_system_ns)) < 0)
                return q;
        if (s->cpu_user_ns == CGROUP_STAT_NONE && (q = slurp(r, F_CPUACCT_STAT)) > 0) {
                uint64_t hz = (uint64_t) sysconf(_SC_CLK_TCK), u = keyed(r->buf, "user"),
                         y = keyed(r->buf, "system");
                if (u != CGROUP_STAT_NONE)
                        s->cpu_user_ns = u * (1000000000 / hz);
                if (y != CGROUP_STAT_NONE)
                        s->cpu_system_ns = y * (1000000000 / hz);
        }
        return q < 0 ? q : 0;
}

/* v2 memory.stat has "kernel" since 5.18; before, its parts. */
static uint64_t
v2_kernel(const char *text)
{
        static const char *const parts[] = { "kernel_stack", "pagetables", "percpu", "sock", "slab" };
        uint64_t k = keyed(text, "kernel"), sum = 0;

        if (k != CGROUP_STAT_NONE)
                return k;
        for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
                if ((k = keyed(text, parts[i])) != CGROUP_STAT_NONE)
                        sum += k;
        return sum;
}

static int
read_memory(struct cgroup_stats_reader *r, struct cgroup_stats *s)
{
        uint64_t memsw = CGROUP_STAT_NONE;
        int q;

        if ((q = read_number(r, F_MEM_CURRENT, &s->memory_current)) < 0 ||
            (q = read_number(r, F_MEM_PEAK, &s->memory_peak)) < 0 ||
            (q = read_number(r, F_MEM_MAX, &s->memory_limit)) < 0 ||
            (q = read_number(r, F_SWAP_CURRENT, &s->swap_current)) < 0 ||
            (q = read_number(r, F_MEMSW_USAGE, &memsw)) < 0 ||
            (q = read_number(r, F_KMEM_USAGE, &s->memory_kernel)) < 0)
                return q;
        if (memsw != CGROUP_STAT_NONE && s->memory_current != CGROUP_STAT_NONE)
                s->swap_current = memsw > s->memory_current ? memsw - s->memory_current : 0;
        if ((q = slurp(r, F_MEM_STAT)) < 0)
                return q;
        if (q > 0 && r->mem_v2) {
                s->memory_anon = keyed(r->buf, "anon");
                s->memory_file = keyed(r->buf, "file");
                s->memory_shmem = keyed(r->buf, "shmem");
                s->memory_kernel = v2_kernel(r->buf);
        } else if (q > 0) {
                /* total_*: this cgroup and its descendants, as v2 counts. */
                s->memory_anon = keyed(r->buf, "total_rss");
                s->memory_file = keyed(r->buf, "total_cache");
                s->memory_shmem = keyed(r->buf, "total_shmem");
        }
        if ((q = slurp(r, r->mem_v2 ? F_MEM_EVENTS : F_OOM_CONTROL)) > 0)
                s->oom_kills = keyed(r->buf, "oom_kill");
        return q < 0 ? q : 0;
}

static int
read_io(struct cgroup_stats_reader *r, struct cgroup_stats *s)
{
        int q;

        if ((q = slurp(r, F_IO_STAT)) > 0)
                return cgroup_parse_io_stat(r->buf, &s->io_read_bytes, &s->io_write_bytes, &s->io_read_ops,
                                            &s->io_write_ops);
        if (q < 0)
                return q;
        if ((q = slurp(r, F_BLKIO_BYTES)) > 0)
                cgroup_parse_blkio(r->buf, &s->io_read_bytes, &s->io_write_bytes);
        if (q >= 0 && (q = slurp(r, F_BLKIO_OPS)) > 0)
                cgroup_parse_blkio(r->buf, &s->io_read_ops, &s->io_write_ops);
        return q < 0 ? q : 0;
}

int
cgroup_stats_reader_read(struct cgroup_stats_reader *r, struct cgroup_stats *ret, struct ctr_error **err)
{
        struct cgroup_stats s;
        int q;

        memset(&s, 0xff, sizeof(s)); /* every counter CGROUP_STAT_NONE */
        if ((q = read_cpu(r, &s)) < 0 || (q = read_memory(r, &s)) < 0 ||
            (q = read_number(r, F_PIDS_CURRENT, &s.pids_current)) < 0 ||
            (q = read_number(r, F_PIDS_MAX, &s.pids_limit)) < 0 || (q = read_io(r, &s)) < 0)
                /* ENODEV: the cgroup was removed under us (the container exited). */
                return ctr_error_sys(err, -q, "read cgroup stats");
        *ret = s;
        return 0;
}

int
cgroup_stats_read(const char *path, struct cgroup_stats *ret, struct ctr_error **err)
{
        _cleanup_(cgroup_stats_reader_freep) struct cgroup_stats_reader *r = NULL;
        int q = cgroup_stats_reader_open(path, &r, err);

        return q < 0 ? q : cgroup_stats_reader_read(r, ret, err);
}
