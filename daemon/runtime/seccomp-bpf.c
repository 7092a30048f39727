/* A resolved seccomp profile -> a classic BPF program, compiled once by
 * libseccomp in the parent (the monitor, before clone3) and cached on disk
 * by the hash of everything the program depends on; loading it is the
 * child's last step before execve (child.c). Only seccomp_bpf_install()
 * may run in the child: it allocates nothing. */
#include "daemon/runtime/seccomp-profile.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/fs-util.h"

/* Bump when the cache file layout or the compile options change. */
#define CACHE_MAGIC "CTLBPF1\n"
#define CACHE_HEADER 16 /* magic, u32 flags, u32 instruction count */
#define CACHE_MAX (CACHE_HEADER + BPF_MAXINSNS * sizeof(struct sock_filter) + 32)

/* ---- SHA-256 (FIPS 180-4). Small and portable: the monitor hashes a few
 * KiB per container, not worth linking libcrypto into it. ---- */

struct sha256 {
        uint32_t h[8];
        uint8_t buf[64];
        uint64_t len;
};

static const uint32_t sha256_k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void
sha256_block(struct sha256 *c, const uint8_t *p)
{
        uint32_t w[64], a, b, d, e, f, g, h, cc, t1, t2;

        for (int i = 0; i < 16; i++)
                w[i] = (uint32_t) p[4 * i] << 24 | (uint32_t) p[4 * i + 1] << 16 | (uint32_t) p[4 * i + 2] << 8 | p[4 * i + 3];
        for (int i = 16; i < 64; i++)
                w[i] = w[i - 16] + (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) + w[i - 7] +
                       (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10));
        a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3], e = c->h[4], f = c->h[5], g = c->h[6], h = c->h[7];
        for (int i = 0; i < 64; i++) {
                t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
                t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & cc) ^ (b & cc));
                h = g, g = f, f = e, e = d + t1, d = cc, cc = b, b = a, a = t1 + t2;
        }
        c->h[0] += a, c->h[1] += b, c->h[2] += cc, c->h[3] += d;
        c->h[4] += e, c->h[5] += f, c->h[6] += g, c->h[7] += h;
}

static void
sha256_init(struct sha256 *c)
{
        static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

        memcpy(c->h, iv, sizeof(iv));
        c->len = 0;
}

static void
sha256_update(struct sha256 *c, const void *data, size_t n)
{
        const uint8_t *p = data;

        while (n > 0) {
                size_t used = c->len % 64, take = 64 - used < n ? 64 - used : n;

                memcpy(c->buf + used, p, take);
                c->len += take;
                p += take;
                n -= take;
                if (c->len % 64 == 0)
                        sha256_block(c, c->buf);
        }
}

static void
sha256_final(struct sha256 *c, uint8_t out[32])
{
        uint64_t bits = c->len * 8;
        uint8_t pad = 0x80, zero = 0, be[8];

        sha256_update(c, &pad, 1);
        while (c->len % 64 != 56)
                sha256_update(c, &zero, 1);
        for (int i = 0; i < 8; i++)
                be[i] = (uint8_t) (bits >> (56 - 8 * i));
        sha256_update(c, be, 8);
        for (int i = 0; i < 8; i++) {
                out[4 * i] = (uint8_t) (c->h[i] >> 24);
                out[4 * i + 1] = (uint8_t) (c->h[i] >> 16);
                out[4 * i + 2] = (uint8_t) (c->h[i] >> 8);
                out[4 * i + 3] = (uint8_t) c->h[i];
        }
}

/* ---- compile ---- */

void
seccomp_bpf_free(struct seccomp_bpf *b)
{
        if (!b)
                return;
        free(b->insns);
        free(b);
}

static void
filter_releasep(scmp_filter_ctx *ctx)
{
        if (*ctx)
                seccomp_release(*ctx);
}

static int
add_rule(scmp_filter_ctx ctx, const struct seccomp_rule *rule, size_t k, struct ctr_error **err)
{
        struct scmp_arg_cmp cmp[6];
        bool same_index = false;
        int r;

        for (size_t i = 0; i < rule->n_args; i++) {
                const struct seccomp_arg *a = &rule->args[i];

                cmp[i] = (struct scmp_arg_cmp){ .arg = a->index, .op = (enum scmp_compare) a->op,
                                                .datum_a = a->value, .datum_b = a->value_two };
                for (size_t j = 0; j < i; j++)
                        same_index |= rule->args[j].index == a->index;
        }
        /* Several comparisons of one argument mean "any of them" in Docker
         * profiles (runc adds one rule per comparison); libseccomp would AND
         * them, or refuse. */
        if (same_index) {
                for (size_t i = 0; i < rule->n_args; i++) {
                        r = seccomp_rule_add_array(ctx, rule->action, rule->nrs[k], 1, &cmp[i]);
                        if (r < 0)
                                return ctr_error_sys(err, -r, "seccomp: add a rule for `%s`", rule->names[k]);
                }
                return 0;
        }
        r = seccomp_rule_add_array(ctx, rule->action, rule->nrs[k], (unsigned) rule->n_args, cmp);
        if (r < 0)
                return ctr_error_sys(err, -r, "seccomp: add a rule for `%s`", rule->names[k]);
        return 0;
}

/* libseccomp 2.5 exports to an fd only (seccomp_export_bpf_mem is 2.6). */
static int
export_bpf(scmp_filter_ctx ctx, unsigned flags, struct seccomp_bpf **ret, struct ctr_error **err)
{
        _cleanup_(seccomp_bpf_freep) struct seccomp_bpf *b = calloc(1, sizeof(*b));
        _cleanup_close_ int fd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
        struct stat st;
        ssize_t n;
        int r;

        if (!b)
                return ctr_error_sys(err, ENOMEM, "seccomp: compile");
        if (fd < 0)
                return ctr_error_sys(err, errno, "seccomp: create a memfd");
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return ctr_error_sys(err, -r, "seccomp: export the BPF program");
        if (fstat(fd, &st) < 0)
                return ctr_error_sys(err, errno, "seccomp: stat the BPF program");
        if (st.st_size <= 0 || st.st_size % (off_t) sizeof(struct sock_filter) != 0 ||
            st.st_size / (off_t) sizeof(struct sock_filter) > BPF_MAXINSNS)
                return ctr_error_msg(err, E2BIG, "seccomp: the compiled program has %lld bytes (at most %d instructions)",
                                     (long long) st.st_size, BPF_MAXINSNS);
        b->insns = malloc((size_t) st.st_size);
        if (!b->insns)
                return ctr_error_sys(err, ENOMEM, "seccomp: compile");
        n = pread(fd, b->insns, (size_t) st.st_size, 0);
        if (n != st.st_size)
                return ctr_error_sys(err, n < 0 ? errno : EIO, "seccomp: read the BPF program");
        b->n_insns = (unsigned short) (st.st_size / (off_t) sizeof(struct sock_filter));
        b->flags = flags;
        *ret = TAKE_PTR(b);
        return 0;
}

int
seccomp_bpf_compile(const struct seccomp_profile *p, struct seccomp_bpf **ret, struct ctr_error **err)
{
        _cleanup_(filter_releasep) scmp_filter_ctx ctx = seccomp_init(p->default_action);
        int r;

        if (!ctx)
                return ctr_error_msg(err, EINVAL, "seccomp: libseccomp refused the default action");
        /* We set no_new_privs ourselves (or not, as the spec says), and load
         * the program with seccomp(2) in the child, never through libseccomp.
         * A binary tree of syscall numbers keeps each syscall's cost
         * logarithmic in a ~350-entry allowlist. */
        if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0 ||
            (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0)
                return ctr_error_sys(err, -r, "seccomp: set the filter attributes");
        for (size_t i = 0; i < p->n_arches; i++) {
                r = seccomp_arch_add(ctx, p->arches[i]);
                if (r < 0 && r != -EEXIST)
                        return ctr_error_sys(err, -r, "seccomp: add architecture %#x", p->arches[i]);
        }
        for (size_t i = 0; i < p->n_rules; i++) {
                /* libseccomp refuses a rule that repeats the default action
                 * (-EACCES); it would change nothing. */
                if (p->rules[i].action == p->default_action)
                        continue;
                for (size_t k = 0; k < p->rules[i].n_names; k++) {
                        r = add_rule(ctx, &p->rules[i], k, err);
                        if (r < 0)
                                return r;
                }
        }
        return export_bpf(ctx, p->flags, ret, err);
}

/* ---- cache ---- */

static void
cache_key(const char *text, size_t len, const struct seccomp_profile_env *env, uint8_t out[32])
{
        const struct scmp_version *v = seccomp_version();
        struct sha256 c;
        struct utsname u;
        char extra[512];
        int n;

        if (uname(&u) < 0)
                u.release[0] = 0;
        n = snprintf(extra, sizeof(extra), "\ncaps=%016llx arch=%08x kernel=%s libseccomp=%u.%u.%u\n",
                     (unsigned long long) (env ? env->caps : UINT64_MAX),
                     env && env->arch ? env->arch : seccomp_arch_native(),
                     env && env->kernel_release ? env->kernel_release : u.release, v ? v->major : 0,
                     v ? v->minor : 0, v ? v->micro : 0);
        sha256_init(&c);
        sha256_update(&c, CACHE_MAGIC, strlen(CACHE_MAGIC));
        sha256_update(&c, text, len);
        sha256_update(&c, extra, n > 0 ? (size_t) n : 0);
        sha256_final(&c, out);
}

int
seccomp_bpf_cache_name(const char *text, size_t len, const struct seccomp_profile_env *env, char ret[static 70])
{
        uint8_t key[32];

        cache_key(text, len, env, key);
        for (int i = 0; i < 32; i++)
                snprintf(ret + 2 * i, 3, "%02x", key[i]);
        memcpy(ret + 64, ".bpf", 5);
        return 0;
}

/* 0 with *ret, or -errno: -ENOENT missing, -EBADMSG corrupt. */
static int
cache_read(const char *path, struct seccomp_bpf **ret)
{
        _cleanup_(seccomp_bpf_freep) struct seccomp_bpf *b = NULL;
        _cleanup_free_ char *data = NULL;
        size_t len, body;
        uint32_t flags, n;
        uint8_t sum[32];
        struct sha256 c;
        int r;

        r = read_file_full(path, CACHE_MAX, &data, &len, NULL);
        if (r < 0)
                return r == -EFBIG ? -EBADMSG : r;
        if (len < CACHE_HEADER + 32 || memcmp(data, CACHE_MAGIC, 8) != 0)
                return -EBADMSG;
        memcpy(&flags, data + 8, 4);
        memcpy(&n, data + 12, 4);
        body = CACHE_HEADER + (size_t) n * sizeof(struct sock_filter);
        if (n == 0 || n > BPF_MAXINSNS || len != body + 32)
                return -EBADMSG;
        sha256_init(&c);
        sha256_update(&c, data, body);
        sha256_final(&c, sum);
        if (memcmp(sum, data + body, 32) != 0)
                return -EBADMSG;
        b = calloc(1, sizeof(*b));
        if (!b || !(b->insns = malloc((size_t) n * sizeof(struct sock_filter))))
                return -ENOMEM;
        memcpy(b->insns, data + CACHE_HEADER, (size_t) n * sizeof(struct sock_filter));
        b->n_insns = (unsigned short) n;
        b->flags = flags;
        *ret = TAKE_PTR(b);
        return 0;
}

static int
cache_write(const char *path, const struct seccomp_bpf *b)
{
        size_t body = CACHE_HEADER + (size_t) b->n_insns * sizeof(struct sock_filter);
        _cleanup_free_ char *data = malloc(body + 32);
        uint32_t flags = b->flags, n = b->n_insns;
        struct sha256 c;

        if (!data)
                return -ENOMEM;
        memcpy(data, CACHE_MAGIC, 8);
        memcpy(data + 8, &flags, 4);
        memcpy(data + 12, &n, 4);
        memcpy(data + CACHE_HEADER, b->insns, (size_t) n * sizeof(struct sock_filter));
        sha256_init(&c);
        sha256_update(&c, data, body);
        sha256_final(&c, (uint8_t *) data + body);
        return write_file_atomic(path, data, body + 32, 0600, NULL);
}

/* A cache entry decides what the container may do, and its checksum only
 * catches corruption: use a directory only if nobody else can write to it. */
static bool
cache_dir_trusted(const char *dir)
{
        struct stat st;

        if (mkdir_p(dir, 0700, NULL) < 0 || stat(dir, &st) < 0)
                return false;
        return S_ISDIR(st.st_mode) && st.st_uid == geteuid() && !(st.st_mode & (S_IWGRP | S_IWOTH));
}

int
seccomp_bpf_load(const char *cache_dir, const char *text, size_t len, const char *origin, const char *root,
                 const struct seccomp_profile_env *env, struct seccomp_bpf **ret, bool *ret_cached,
                 struct ctr_error **err)
{
        _cleanup_(seccomp_profile_freep) struct seccomp_profile *p = NULL;
        _cleanup_(seccomp_bpf_freep) struct seccomp_bpf *b = NULL;
        _cleanup_free_ char *path = NULL;
        char name[70];
        int r;

        if (ret_cached)
                *ret_cached = false;
        if (cache_dir && cache_dir_trusted(cache_dir)) {
                seccomp_bpf_cache_name(text, len, env, name);
                path = path_join(cache_dir, name);
                if (!path)
                        return ctr_error_sys(err, ENOMEM, "seccomp: cache path");
                if (cache_read(path, &b) == 0) {
                        if (ret_cached)
                                *ret_cached = true;
                        *ret = TAKE_PTR(b);
                        return 0;
                }
        }
        r = seccomp_profile_parse(text, len, SECCOMP_PROFILE_OCI, origin, root, env, &p, err);
        if (r < 0)
                return r;
        r = seccomp_bpf_compile(p, &b, err);
        if (r < 0)
                return r;
        /* The cache only saves time: a full or read-only disk must not stop
         * the container, so a failed write is not an error. A missing or
         * corrupt entry is replaced (rename over it). */
        if (path)
                (void) cache_write(path, b);
        *ret = TAKE_PTR(b);
        return 0;
}

int
seccomp_bpf_install(const struct seccomp_bpf *b)
{
        struct sock_fprog prog = { .len = b->n_insns, .filter = b->insns };

        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, b->flags, &prog) < 0)
                return -errno;
        return 0;
}
