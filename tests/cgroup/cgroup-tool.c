/* cgroup-tool: drives daemon/cgroup/ resources against the real kernel for
 * tests/integration/cgroup-resources.bats. Root only; touches only the
 * cgroup path it is given. Prints JSON on stdout; on failure prints
 * "error: <message>" on stderr and exits 1 (3 for -EOPNOTSUPP, so tests
 * can skip a host that lacks a controller or file).
 *
 *   cgroup-tool mode
 *   cgroup-tool create|destroy|read|stats|freeze|thaw|frozen|oom-kills PATH
 *   cgroup-tool apply [--no-validate] PATH key=value...
 *   cgroup-tool validate key=value...
 *   cgroup-tool exec PATH CMD...                 joins PATH, then execs CMD
 *   cgroup-tool oom-watch PATH TIMEOUT_MS CMD... watch, run CMD in PATH,
 *                                                wait for the fd and CMD
 *   cgroup-tool devices PATH RULE...             cgroup_devices_apply(), each
 *                                                RULE like "allow c 1:3 rwm"
 *   cgroup-tool device-programs PATH             how many device programs are
 *                                                attached to PATH on cgroup2
 *   cgroup-tool mknod-open DIR b|c MAJOR MINOR   mknod DIR/node-PID, open it
 *                                                read-only, unlink; prints the
 *                                                errno names (or "ok")
 * Keys: memory memory-swap memory-reservation cpu-quota cpu-period
 * cpu-shares pids blkio-weight (a number or "max") cpuset-cpus cpuset-mems. */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "common/parse.h"
#include "common/time-util.h"
#include "daemon/cgroup/cgroup.h"
#include "daemon/cgroup/resources.h"

static int
fail(struct ctr_error *e, int r)
{
        fprintf(stderr, "error: %s\n", e && e->message ? e->message : strerror(-r));
        ctr_error_free(e);
        return r == -EOPNOTSUPP ? 3 : 1;
}

static int
parse_kv(struct cgroup_limits *l, const char *kv)
{
        static const struct {
                const char *key;
                size_t off;
        } nums[] = {
                { "memory", offsetof(struct cgroup_limits, memory_max) },
                { "memory-swap", offsetof(struct cgroup_limits, memory_swap) },
                { "memory-reservation", offsetof(struct cgroup_limits, memory_low) },
                { "cpu-quota", offsetof(struct cgroup_limits, cpu_quota_us) },
                { "cpu-period", offsetof(struct cgroup_limits, cpu_period_us) },
                { "cpu-shares", offsetof(struct cgroup_limits, cpu_shares) },
                { "pids", offsetof(struct cgroup_limits, pids_max) },
                { "blkio-weight", offsetof(struct cgroup_limits, io_weight) },
        };
        const char *eq = strchr(kv, '=');
        size_t kl = eq ? (size_t) (eq - kv) : 0;

        if (!eq)
                return -EINVAL;
        if (kl == 11 && strncmp(kv, "cpuset-cpus", 11) == 0)
                return (l->cpuset_cpus = strdup(eq + 1)) ? 0 : -ENOMEM;
        if (kl == 11 && strncmp(kv, "cpuset-mems", 11) == 0)
                return (l->cpuset_mems = strdup(eq + 1)) ? 0 : -ENOMEM;
        for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
                int64_t *f = (int64_t *) ((char *) l + nums[i].off);
                if (strlen(nums[i].key) != kl || strncmp(kv, nums[i].key, kl) != 0)
                        continue;
                if (strcmp(eq + 1, "max") == 0) {
                        *f = CGROUP_UNLIMITED;
                        return 0;
                }
                return parse_int64(eq + 1, f);
        }
        return -EINVAL;
}

static void
print_num(const char *key, int64_t v, bool *first)
{
        if (v == CGROUP_UNSET)
                return;
        printf("%s\"%s\":", *first ? "" : ",", key);
        if (v == CGROUP_UNLIMITED)
                printf("\"max\"");
        else
                printf("%" PRId64, v);
        *first = false;
}

static void
print_limits(const struct cgroup_limits *l)
{
        bool first = true;

        printf("{");
        print_num("memory", l->memory_max, &first);
        print_num("memory-swap", l->memory_swap, &first);
        print_num("memory-reservation", l->memory_low, &first);
        print_num("cpu-quota", l->cpu_quota_us, &first);
        print_num("cpu-period", l->cpu_period_us, &first);
        print_num("cpu-shares", l->cpu_shares, &first);
        print_num("pids", l->pids_max, &first);
        print_num("blkio-weight", l->io_weight, &first);
        if (l->cpuset_cpus)
                printf("%s\"cpuset-cpus\":\"%s\"", first ? "" : ",", l->cpuset_cpus), first = false;
        if (l->cpuset_mems)
                printf("%s\"cpuset-mems\":\"%s\"", first ? "" : ",", l->cpuset_mems), first = false;
        printf("}\n");
}

static void
print_stats(const struct cgroup_stats *s)
{
        const struct {
                const char *key;
                uint64_t v;
        } f[] = {
                { "cpu_usage_ns", s->cpu_usage_ns },     { "cpu_user_ns", s->cpu_user_ns },
                { "cpu_system_ns", s->cpu_system_ns },   { "memory_current", s->memory_current },
                { "memory_peak", s->memory_peak },       { "memory_limit", s->memory_limit },
                { "memory_anon", s->memory_anon },       { "memory_file", s->memory_file },
                { "memory_shmem", s->memory_shmem },     { "memory_kernel", s->memory_kernel },
                { "swap_current", s->swap_current },     { "pids_current", s->pids_current },
                { "pids_limit", s->pids_limit },         { "io_read_bytes", s->io_read_bytes },
                { "io_write_bytes", s->io_write_bytes }, { "io_read_ops", s->io_read_ops },
                { "io_write_ops", s->io_write_ops },     { "oom_kills", s->oom_kills },
        };
        bool first = true;

        printf("{");
        for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
                if (f[i].v == CGROUP_STAT_NONE)
                        continue;
                printf("%s\"%s\":%" PRIu64, first ? "" : ",", f[i].key, f[i].v);
                first = false;
        }
        printf("}\n");
}

static int
cmd_apply(int argc, char **argv, bool apply)
{
        struct ctr_error *e = NULL;
        struct cgroup_limits l;
        bool validate = true;
        const char *path = NULL;
        int r = 0;

        cgroup_limits_init(&l);
        if (apply && argc > 0 && strcmp(argv[0], "--no-validate") == 0) {
                validate = false;
                argc--, argv++;
        }
        if (apply) {
                if (argc < 1)
                        return 2;
                path = argv[0];
                argc--, argv++;
        }
        for (int i = 0; i < argc && r == 0; i++)
                if ((r = parse_kv(&l, argv[i])) < 0)
                        fprintf(stderr, "bad key=value `%s`\n", argv[i]);
        if (r < 0) {
                cgroup_limits_clear(&l);
                return 2;
        }
        if (validate)
                r = cgroup_limits_validate(&l, &e);
        if (r >= 0 && apply)
                r = cgroup_limits_apply(path, &l, &e);
        cgroup_limits_clear(&l);
        if (r < 0)
                return fail(e, r);
        printf("{\"ok\":true}\n");
        return 0;
}

static int
run_in(const char *path, char **cmd, pid_t *ret)
{
        pid_t pid = fork();

        if (pid < 0)
                return -errno;
        if (pid == 0) {
                struct ctr_error *e = NULL;
                if (cgroup_enter(path, getpid(), &e) < 0) {
                        fprintf(stderr, "error: %s\n", e->message);
                        _exit(125);
                }
                execvp(cmd[0], cmd);
                _exit(127);
        }
        *ret = pid;
        return 0;
}

/* Watches, runs cmd in path, then waits up to timeout_ms for the watch fd
 * and for cmd; prints whether the fd woke and the counts. */
static int
cmd_oom_watch(const char *path, const char *timeout, char **cmd)
{
        struct ctr_error *e = NULL;
        uint64_t before = 0, after = 0;
        int64_t t, deadline;
        int fd, status = 0, r;
        bool readable = false;
        pid_t pid = -1;

        if (parse_int64(timeout, &t) < 0)
                return 2;
        if ((r = cgroup_oom_kills(path, &before, &e)) < 0 || (r = cgroup_oom_watch(path, &fd, &e)) < 0)
                return fail(e, r);
        if ((r = run_in(path, cmd, &pid)) < 0)
                return fail(NULL, r);
        deadline = now_monotonic_ms() + t;
        while (!readable) {
                int64_t left = deadline - now_monotonic_ms();
                if (left <= 0)
                        break;
                if (poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1, (int) left) > 0 &&
                    cgroup_oom_watch_read(path, fd, before, &after, NULL) == 0 && after > before)
                        readable = true;
        }
        waitpid(pid, &status, 0);
        close(fd);
        if ((r = cgroup_oom_kills(path, &after, &e)) < 0)
                return fail(e, r);
        printf("{\"woke\":%s,\"before\":%" PRIu64 ",\"after\":%" PRIu64 ",\"signal\":%d}\n", readable ? "true" : "false",
               before, after, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        return 0;
}

static int
cmd_path(const char *cmd, const char *path)
{
        struct ctr_error *e = NULL;
        int r = -EINVAL;

        if (strcmp(cmd, "create") == 0)
                r = cgroup_create(path, &e);
        else if (strcmp(cmd, "destroy") == 0)
                r = cgroup_destroy(path, &e);
        else if (strcmp(cmd, "freeze") == 0 || strcmp(cmd, "thaw") == 0)
                r = cgroup_freeze(path, strcmp(cmd, "freeze") == 0, &e);
        else if (strcmp(cmd, "frozen") == 0) {
                bool f;
                if ((r = cgroup_is_frozen(path, &f, &e)) == 0)
                        printf("{\"frozen\":%s}\n", f ? "true" : "false");
                return r < 0 ? fail(e, r) : 0;
        } else if (strcmp(cmd, "oom-kills") == 0) {
                uint64_t n;
                if ((r = cgroup_oom_kills(path, &n, &e)) == 0)
                        printf("{\"oom_kills\":%" PRIu64 "}\n", n);
                return r < 0 ? fail(e, r) : 0;
        } else if (strcmp(cmd, "read") == 0) {
                struct cgroup_limits l;
                if ((r = cgroup_limits_read(path, &l, &e)) == 0) {
                        print_limits(&l);
                        cgroup_limits_clear(&l);
                }
                return r < 0 ? fail(e, r) : 0;
        } else if (strcmp(cmd, "stats") == 0) {
                struct cgroup_stats s;
                if ((r = cgroup_stats_read(path, &s, &e)) == 0)
                        print_stats(&s);
                return r < 0 ? fail(e, r) : 0;
        } else
                return 2;
        if (r < 0)
                return fail(e, r);
        printf("{\"ok\":true}\n");
        return 0;
}

static int
cmd_devices(const char *path, int n, char **text)
{
        struct cgroup_device_rule rules[CGROUP_DEV_RULES_MAX];
        struct ctr_error *e = NULL;
        int r;

        if (n > CGROUP_DEV_RULES_MAX)
                return 2;
        for (int i = 0; i < n; i++)
                if (cgroup_device_rule_parse(text[i], &rules[i]) < 0) {
                        fprintf(stderr, "bad rule `%s`\n", text[i]);
                        return 2;
                }
        r = cgroup_devices_apply(path, rules, (size_t) n, &e);
        if (r < 0)
                return fail(e, r);
        printf("{\"ok\":true}\n");
        return 0;
}

/* BPF_PROG_QUERY of BPF_CGROUP_DEVICE on path's cgroup2 directory. */
static int
cmd_device_programs(const char *path)
{
        struct ctr_error *e = NULL;
        _cleanup_free_ char *dir = NULL;
        union bpf_attr attr;
        uint32_t ids[64];
        int fd, r;

        r = cgroup_hierarchy_dir(path, &dir, &e);
        if (r < 0)
                return fail(e, r);
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return fail(NULL, -errno);
        memset(&attr, 0, sizeof(attr));
        attr.query.target_fd = (uint32_t) fd;
        attr.query.attach_type = BPF_CGROUP_DEVICE;
        attr.query.prog_ids = (uint64_t) (uintptr_t) ids;
        attr.query.prog_cnt = 64;
        r = (int) syscall(__NR_bpf, BPF_PROG_QUERY, &attr, sizeof(attr));
        close(fd);
        if (r < 0)
                return fail(NULL, -errno);
        printf("{\"programs\":%u}\n", attr.query.prog_cnt);
        return 0;
}

static const char *
errno_name(int e)
{
        const char *n = e ? strerrorname_np(e) : "ok";
        return n ? n : "unknown";
}

static int
cmd_mknod_open(const char *dir, const char *type, const char *major, const char *minor)
{
        char path[4096];
        int64_t ma, mi;
        int mknod_err = 0, open_err = 0, fd;

        if ((type[0] != 'b' && type[0] != 'c') || type[1] || parse_int64(major, &ma) < 0 ||
            parse_int64(minor, &mi) < 0)
                return 2;
        snprintf(path, sizeof(path), "%s/node-%d", dir, (int) getpid());
        if (mknod(path, (type[0] == 'b' ? S_IFBLK : S_IFCHR) | 0600, makedev(ma, mi)) < 0) {
                mknod_err = errno;
                open_err = mknod_err;
        } else {
                fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
                if (fd < 0)
                        open_err = errno;
                else
                        close(fd);
                unlink(path);
        }
        printf("{\"mknod\":\"%s\",\"open\":\"%s\"}\n", errno_name(mknod_err), errno_name(open_err));
        return 0;
}

int
main(int argc, char **argv)
{
        enum cgroup_mode mode;
        struct ctr_error *e = NULL;
        int r;

        if (argc < 2)
                goto usage;
        if (strcmp(argv[1], "mode") == 0) {
                if ((r = cgroup_detect(&mode, &e)) < 0)
                        return fail(e, r);
                printf("{\"mode\":\"%s\"}\n", cgroup_mode_to_string(mode));
                return 0;
        }
        if (strcmp(argv[1], "validate") == 0)
                return cmd_apply(argc - 2, argv + 2, false);
        if (argc < 3)
                goto usage;
        if (strcmp(argv[1], "apply") == 0)
                return cmd_apply(argc - 2, argv + 2, true);
        if (strcmp(argv[1], "exec") == 0 && argc > 3) {
                if ((r = cgroup_enter(argv[2], getpid(), &e)) < 0)
                        return fail(e, r);
                execvp(argv[3], argv + 3);
                perror(argv[3]);
                return 127;
        }
        if (strcmp(argv[1], "oom-watch") == 0 && argc > 4)
                return cmd_oom_watch(argv[2], argv[3], argv + 4);
        if (strcmp(argv[1], "devices") == 0)
                return cmd_devices(argv[2], argc - 3, argv + 3);
        if (strcmp(argv[1], "device-programs") == 0)
                return cmd_device_programs(argv[2]);
        if (strcmp(argv[1], "mknod-open") == 0 && argc == 6)
                return cmd_mknod_open(argv[2], argv[3], argv[4], argv[5]);
        r = cmd_path(argv[1], argv[2]);
        if (r != 2)
                return r;
usage:
        fprintf(stderr, "usage: cgroup-tool mode|create|destroy|read|stats|freeze|thaw|frozen|oom-kills PATH\n"
                        "       cgroup-tool apply [--no-validate] PATH key=value...\n"
                        "       cgroup-tool validate key=value...\n"
                        "       cgroup-tool exec PATH CMD... | oom-watch PATH TIMEOUT_MS CMD...\n"
                        "       cgroup-tool devices PATH RULE... | device-programs PATH\n"
                        "       cgroup-tool mknod-open DIR b|c MAJOR MINOR\n");
        return 2;
}
