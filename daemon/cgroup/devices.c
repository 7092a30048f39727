/* Device access of one container cgroup (issue 7): OCI device rules as v1
 * devices.allow/deny lines and as a cgroup2 BPF device program, built from
 * raw instructions (no libbpf), loaded and attached with bpf(2). Only the
 * cgroup it is given is touched; the program is attached with
 * BPF_F_ALLOW_MULTI so nothing the host attached above is replaced.
 * See resources.h for the rule semantics. */
#include "daemon/cgroup/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/fs-util.h"
#include "common/parse.h"

#define PROGRAM_NAME "ctr_devices"
#define LOG_SIZE (64 * 1024)

/* ---- the rules ---- */

static bool
rule_matches(const struct cgroup_device_rule *r, char type, int64_t major, int64_t minor, unsigned access)
{
        if (r->type != 'a' && r->type != type)
                return false;
        if (r->major != CGROUP_DEV_ANY && r->major != major)
                return false;
        if (r->minor != CGROUP_DEV_ANY && r->minor != minor)
                return false;
        /* allow: grants all that is asked; deny: refuses any of it. */
        return r->allow ? (access & ~r->access) == 0 : (access & r->access) != 0;
}

bool
cgroup_devices_allowed(const struct cgroup_device_rule *rules, size_t n, char type, int64_t major,
                       int64_t minor, unsigned access)
{
        for (size_t i = n; i-- > 0;)
                if (rule_matches(&rules[i], type, major, minor, access))
                        return rules[i].allow;
        return true;
}

static int
parse_dev_number(const char *s, size_t len, int64_t max, int64_t *ret)
{
        char buf[16];
        int64_t v;

        if (len == 1 && s[0] == '*') {
                *ret = CGROUP_DEV_ANY;
                return 0;
        }
        if (len == 0 || len >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, len);
        buf[len] = 0;
        if (parse_int64(buf, &v) < 0 || v < 0 || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

int
cgroup_device_rule_parse(const char *text, struct cgroup_device_rule *ret)
{
        struct cgroup_device_rule r = { .major = CGROUP_DEV_ANY, .minor = CGROUP_DEV_ANY, .access = CGROUP_DEV_RWM };
        char type[2], nums[32], access[8];
        const char *colon;
        int n;

        if (strncmp(text, "allow ", 6) == 0)
                r.allow = true;
        else if (strncmp(text, "deny ", 5) != 0)
                return -EINVAL;
        text += r.allow ? 6 : 5;
        n = sscanf(text, "%1s %31s %7s", type, nums, access);
        if (n < 1 || !strchr("acb", type[0]) || (n == 1 && type[0] != 'a') || n == 2)
                return -EINVAL;
        r.type = type[0];
        if (n == 3) {
                colon = strchr(nums, ':');
                if (!colon || parse_dev_number(nums, (size_t) (colon - nums), CGROUP_DEV_MAJOR_MAX, &r.major) < 0 ||
                    parse_dev_number(colon + 1, strlen(colon + 1), CGROUP_DEV_MINOR_MAX, &r.minor) < 0 ||
                    cgroup_device_access_parse(access, &r.access) < 0)
                        return -EINVAL;
        }
        *ret = r;
        return 0;
}

static bool
rule_is_everything(const struct cgroup_device_rule *r)
{
        return r->type == 'a' && r->major == CGROUP_DEV_ANY && r->minor == CGROUP_DEV_ANY &&
               r->access == CGROUP_DEV_RWM;
}

/* ---- cgroup v1: devices.allow / devices.deny ---- */

static void
v1_line(const struct cgroup_device_rule *r, char type, char *buf, size_t size)
{
        char major[16] = "*", minor[16] = "*";
        size_t l;

        if (r->major != CGROUP_DEV_ANY)
                snprintf(major, sizeof(major), "%" PRId64, r->major);
        if (r->minor != CGROUP_DEV_ANY)
                snprintf(minor, sizeof(minor), "%" PRId64, r->minor);
        l = (size_t) snprintf(buf, size, "%c %s:%s ", type, major, minor);
        if (r->access & CGROUP_DEV_READ)
                buf[l++] = 'r';
        if (r->access & CGROUP_DEV_WRITE)
                buf[l++] = 'w';
        if (r->access & CGROUP_DEV_MKNOD)
                buf[l++] = 'm';
        buf[l] = 0;
}

static int
v1_write(const char *dir, const char *file, int *fd, const char *line)
{
        if (*fd < 0) {
                _cleanup_free_ char *path = path_join(dir, file);

                if (!path)
                        return -ENOMEM;
                *fd = open(path, O_WRONLY | O_CLOEXEC);
                if (*fd < 0)
                        return -errno;
        }
        return write(*fd, line, strlen(line)) < 0 ? -errno : 0;
}

static int
apply_v1(const char *dir, const struct cgroup_device_rule *rules, size_t n, struct ctr_error **err)
{
        /* Each file opened once: one write(2) per line is what the
         * kernel parses, the open need not be repeated. */
        _cleanup_close_ int deny_fd = -1, allow_fd = -1;

        for (size_t i = 0; i < n; i++) {
                const struct cgroup_device_rule *r = &rules[i];
                const char *file = r->allow ? "devices.allow" : "devices.deny";
                /* "a" resets the cgroup's list to allow or deny all (it is
                 * a copy of the parent's until then). A rule on every type
                 * but not every device or access is one line per type,
                 * since v1 reads "a" alone whatever follows it. */
                const char *types = rule_is_everything(r) ? "a" : r->type == 'a' ? "cb" : &r->type;
                size_t nt = rule_is_everything(r) || r->type != 'a' ? 1 : 2;

                for (size_t k = 0; k < nt; k++) {
                        char line[64];
                        int w;

                        if (types[k] == 'a')
                                snprintf(line, sizeof(line), "a");
                        else
                                v1_line(r, types[k], line, sizeof(line));
                        w = v1_write(dir, file, r->allow ? &allow_fd : &deny_fd, line);
                        if (w < 0)
                                return ctr_error_sys(err, -w, "linux.resources.devices[%zu]: write `%s` to `%s/%s`",
                                                     i, line, dir, file);
                }
        }
        return 0;
}

/* ---- cgroup2: the BPF program ----
 *
 * The context is struct bpf_cgroup_dev_ctx: access_type = access << 16 |
 * type, then major, minor. The prologue loads them into r2 (type), r3
 * (access), r4 (major), r5 (minor); then one block per rule, last rule
 * first, each a few "if this field differs, go to the next block" jumps
 * and "r0 = allow; exit". A block without conditions matches everything:
 * nothing after it is emitted (the verifier refuses unreachable code);
 * else the program ends with "allow" (no rule matched). */

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(dst, off) INSN(BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_1, off, 0)
#define ALU32_IMM(op, dst, imm) INSN(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV32_REG(dst, src) INSN(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define JMP32_IMM(op, dst, imm, off) INSN(BPF_JMP32 | (op) | BPF_K, dst, 0, off, imm)
#define JMP32_REG(op, dst, src, off) INSN(BPF_JMP32 | (op) | BPF_X, dst, src, off, 0)
#define MOV64_IMM(dst, imm) INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

#define PROLOGUE_LEN 6
#define BLOCK_MAX 9 /* type 1, access 3, major 1, minor 1, result 2 */

static size_t
rule_conditions(const struct cgroup_device_rule *r)
{
        return (r->type != 'a') + (r->access != CGROUP_DEV_RWM ? 3 : 0) + (r->major != CGROUP_DEV_ANY) +
               (r->minor != CGROUP_DEV_ANY);
}

int
cgroup_devices_program(const struct cgroup_device_rule *rules, size_t n, struct bpf_insn **ret, size_t *ret_n)
{
        _cleanup_free_ struct bpf_insn *p = NULL;
        size_t pc = 0;
        bool complete = false;

        *ret = NULL;
        *ret_n = 0;
        /* Nothing to refuse: no rules, or the last one allows everything. */
        if (n == 0 || (rules[n - 1].allow && rule_is_everything(&rules[n - 1])))
                return 0;
        p = calloc(PROLOGUE_LEN + n * BLOCK_MAX + 2, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p[pc++] = LDX_W(BPF_REG_2, offsetof(struct bpf_cgroup_dev_ctx, access_type));
        p[pc++] = ALU32_IMM(BPF_AND, BPF_REG_2, 0xffff);
        p[pc++] = LDX_W(BPF_REG_3, offsetof(struct bpf_cgroup_dev_ctx, access_type));
        p[pc++] = ALU32_IMM(BPF_RSH, BPF_REG_3, 16);
        p[pc++] = LDX_W(BPF_REG_4, offsetof(struct bpf_cgroup_dev_ctx, major));
        p[pc++] = LDX_W(BPF_REG_5, offsetof(struct bpf_cgroup_dev_ctx, minor));
        for (size_t i = n; i-- > 0 && !complete;) {
                const struct cgroup_device_rule *r = &rules[i];
                size_t end = pc + rule_conditions(r) + 2;
#define NEXT ((int16_t) (end - (pc + 1))) /* jump offset to the next block */

                if (r->type != 'a') {
                        p[pc] = JMP32_IMM(BPF_JNE, BPF_REG_2, r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK,
                                          NEXT);
                        pc++;
                }
                if (r->access != CGROUP_DEV_RWM) {
                        p[pc++] = MOV32_REG(BPF_REG_1, BPF_REG_3);
                        p[pc++] = ALU32_IMM(BPF_AND, BPF_REG_1, (int32_t) r->access);
                        /* allow: skip unless (access & granted) == access;
                         * deny: skip if (access & refused) == 0. */
                        if (r->allow)
                                p[pc] = JMP32_REG(BPF_JNE, BPF_REG_1, BPF_REG_3, NEXT);
                        else
                                p[pc] = JMP32_IMM(BPF_JEQ, BPF_REG_1, 0, NEXT);
                        pc++;
                }
                if (r->major != CGROUP_DEV_ANY) {
                        p[pc] = JMP32_IMM(BPF_JNE, BPF_REG_4, (int32_t) r->major, NEXT);
                        pc++;
                }
                if (r->minor != CGROUP_DEV_ANY) {
                        p[pc] = JMP32_IMM(BPF_JNE, BPF_REG_5, (int32_t) r->minor, NEXT);
                        pc++;
                }
#undef NEXT
                p[pc++] = MOV64_IMM(BPF_REG_0, r->allow ? 1 : 0);
                p[pc++] = EXIT();
                complete = rule_conditions(r) == 0;
        }
        if (!complete) {
                p[pc++] = MOV64_IMM(BPF_REG_0, 1);
                p[pc++] = EXIT();
        }
        *ret = TAKE_PTR(p);
        *ret_n = pc;
        return 0;
}

static int
sys_bpf(int cmd, union bpf_attr *attr)
{
        long r = syscall(__NR_bpf, cmd, attr, sizeof(*attr));

        return r < 0 ? -errno : (int) r;
}

int
cgroup_devices_program_load(const struct bpf_insn *insns, size_t n, int *ret_fd, struct ctr_error **err)
{
        static const char license[] = "GPL";
        _cleanup_free_ char *log = NULL;
        union bpf_attr attr;
        const char *tail;
        int fd;

        memset(&attr, 0, sizeof(attr));
        attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attr.insns = (uint64_t) (uintptr_t) insns;
        attr.insn_cnt = (uint32_t) n;
        attr.license = (uint64_t) (uintptr_t) license;
        attr.prog_flags = 0;
        memcpy(attr.prog_name, PROGRAM_NAME, sizeof(PROGRAM_NAME));
        fd = sys_bpf(BPF_PROG_LOAD, &attr);
        if (fd >= 0) {
                *ret_fd = fd; /* bpf(2) fds are close-on-exec */
                return 0;
        }
        if (fd != -EINVAL && fd != -EACCES)
                return ctr_error_sys(err, -fd, "load the device program (%zu instructions)", n);
        /* Again with the verifier's log, only to say why. */
        log = calloc(1, LOG_SIZE);
        if (!log)
                return ctr_error_sys(err, -fd, "load the device program (%zu instructions)", n);
        attr.log_level = 1;
        attr.log_buf = (uint64_t) (uintptr_t) log;
        attr.log_size = LOG_SIZE;
        fd = sys_bpf(BPF_PROG_LOAD, &attr);
        if (fd >= 0) {
                *ret_fd = fd;
                return 0;
        }
        /* The verdict is at the end of the log, before the statistics
         * ("processed N insns ...", "verification time ..."). */
        for (;;) {
                char *nl;
                size_t l = strlen(log);

                while (l > 0 && log[l - 1] == '\n')
                        log[--l] = 0;
                nl = strrchr(log, '\n');
                if (!nl || (strncmp(nl + 1, "processed ", 10) != 0 && strncmp(nl + 1, "verification time", 17) != 0))
                        break;
                *nl = 0;
        }
        tail = strlen(log) > 300 ? log + strlen(log) - 300 : log;
        for (char *c = log; *c; c++)
                if (*c == '\n')
                        *c = ' ';
        return ctr_error_msg(err, -fd, "load the device program (%zu instructions): %s%s%s", n, strerror(-fd),
                             *tail ? ": verifier: " : "", tail);
}

static int
apply_bpf(const char *dir, const struct cgroup_device_rule *rules, size_t n, struct ctr_error **err)
{
        _cleanup_free_ struct bpf_insn *insns = NULL;
        _cleanup_close_ int cgfd = -1, progfd = -1;
        union bpf_attr attr;
        size_t ninsns;
        int r;

        r = cgroup_devices_program(rules, n, &insns, &ninsns);
        if (r < 0)
                return ctr_error_sys(err, -r, "linux.resources.devices: build the device program");
        if (!insns)
                return 0;
        r = cgroup_devices_program_load(insns, ninsns, &progfd, err);
        if (r < 0)
                return ctr_error_prefix(err, -r, "linux.resources.devices");
        cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cgfd < 0)
                return ctr_error_sys(err, errno, "linux.resources.devices: open `%s`", dir);
        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t) cgfd;
        attr.attach_bpf_fd = (uint32_t) progfd;
        attr.attach_type = BPF_CGROUP_DEVICE;
        /* Add to, never replace, what is attached here or inherited from
         * above (systemd's DeviceAllow= programs, another manager's). */
        attr.attach_flags = BPF_F_ALLOW_MULTI;
        r = sys_bpf(BPF_PROG_ATTACH, &attr);
        if (r < 0)
                return ctr_error_sys(err, -r, "linux.resources.devices: attach the device program to `%s`", dir);
        /* The cgroup holds the program now; closing our fd leaves it there
         * until the cgroup is removed. */
        return 0;
}

int
cgroup_devices_apply(const char *path, const struct cgroup_device_rule *rules, size_t n, struct ctr_error **err)
{
        _cleanup_free_ char *v1_dir = NULL, *v2_dir = NULL;
        int r1, r2;

        if (n == 0)
                return 0;
        r1 = cgroup_controller_dir(path, "devices", NULL, &v1_dir, NULL, err);
        if (r1 < 0 && r1 != -EOPNOTSUPP)
                return r1;
        /* v2 "" is the cgroup2 directory itself: device programs need no
         * controller to be enabled. */
        r2 = cgroup_controller_dir(path, NULL, "", &v2_dir, NULL, err);
        if (r2 < 0 && r2 != -EOPNOTSUPP)
                return r2;
        if (!v1_dir && !v2_dir)
                return ctr_error_msg(err, EOPNOTSUPP,
                                     "linux.resources.devices: this host has neither a v1 devices controller nor cgroup2");
        if (v1_dir) {
                int r = apply_v1(v1_dir, rules, n, err);
                if (r < 0)
                        return r;
        }
        if (v2_dir) {
                _cleanup_(ctr_error_freep) struct ctr_error *e = NULL;
                int r = apply_bpf(v2_dir, rules, n, v1_dir ? &e : err);

                /* On hybrid the v1 controller already holds the rules: a
                 * kernel without cgroup BPF (CONFIG_CGROUP_BPF) is no
                 * reason to refuse the container. */
                if (r < 0 && v1_dir && (r == -ENOSYS || r == -EOPNOTSUPP))
                        return 0;
                if (r < 0 && v1_dir) {
                        if (err && !*err)
                                *err = TAKE_PTR(e);
                        return r;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}
