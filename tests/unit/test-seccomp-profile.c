/* Unit tests for daemon/runtime/seccomp-*.c without root: Docker and OCI
 * profiles (syntax errors with line and column, semantic errors with the
 * JSON path, unknown syscalls skipped, includes/excludes by capability,
 * architecture and kernel), etc/seccomp.json, the conversion to OCI, the
 * compiled program and its cache (hit, miss, corrupt), linux.seccomp in a
 * config.json, and the program loaded in a forked child (no_new_privs). */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/fs-util.h"
#include "daemon/runtime/seccomp-profile.h"
#include "daemon/runtime/spec-internal.h"
#include "tests/unit/tap.h"

#define CAP(n) (UINT64_C(1) << (n))
#define CAP_SYS_ADMIN_BIT 21
#define CAP_SYS_BOOT_BIT 22

static char tmpdir[] = "/tmp/test-seccomp-XXXXXX";

/* Parses text; returns the error message (caller frees) or NULL on success. */
static char *
parse_error(const char *text, enum seccomp_profile_format format, const char *root)
{
        _cleanup_(seccomp_profile_freep) struct seccomp_profile *p = NULL;
        struct ctr_error *err = NULL;
        char *msg;

        if (seccomp_profile_parse(text, strlen(text), format, "p.json", root, NULL, &p, &err) == 0)
                return NULL;
        msg = strdup(err ? err->message : "(no message)");
        ctr_error_free(err);
        return msg;
}

static void
expect_error(const char *text, enum seccomp_profile_format format, const char *want, const char *label)
{
        _cleanup_free_ char *msg = parse_error(text, format, format == SECCOMP_PROFILE_OCI ? "linux.seccomp" : "");

        ok(msg && strstr(msg, want), "%s", label);
        if (!msg || !strstr(msg, want))
                printf("#   got '%s', want it to contain '%s'\n", msg ? msg : "(success)", want);
}

static void
test_errors(void)
{
        const enum seccomp_profile_format D = SECCOMP_PROFILE_DOCKER, O = SECCOMP_PROFILE_OCI;

        expect_error("{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [\n"
                     "    {\"names\": [\"mkdir\"] \"action\": \"SCMP_ACT_ERRNO\"}\n  ]\n}\n",
                     D, "p.json: line 4, column", "syntax error: names the line and column");
        expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\"},"
                     "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOPE\"}]}",
                     D, "p.json: syscalls[1].action: unknown action `SCMP_ACT_NOPE`", "unknown action: names the JSON path");
        expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\","
                     "\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_ALMOST\"}]}]}",
                     D, "syscalls[0].args[0].op: unknown operator `SCMP_CMP_ALMOST`", "unknown operator");
        expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\","
                     "\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                     D, "syscalls[0].args[0].index: expected an integer from 0 to 5", "argument index above 5");
        expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_VAX\"]}",
                     D, "p.json: architectures: unknown architecture `SCMP_ARCH_VAX`", "unknown architecture");
        expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\","
                     "\"includes\":{\"arches\":[\"vax\"]}}]}",
                     D, "syscalls[0].includes.arches: unknown architecture `vax`", "unknown architecture in includes");
        expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ALLOW\","
                     "\"errnoRet\":1}]}",
                     D, "syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE", "errnoRet with ALLOW");
        expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"name\":\"mkdir\",\"names\":[\"rmdir\"],"
                     "\"action\":\"SCMP_ACT_ERRNO\"}]}",
                     D, "syscalls[0]: give either `name` or `names`", "name and names together");
        expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"action\":\"SCMP_ACT_ERRNO\"}]}",
                     D, "syscalls[0].names: missing or empty", "no names");
        expect_error("{\"syscalls\":[]}", D, "p.json: defaultAction: missing", "no defaultAction");
        expect_error("[1]", D, "p.json: (top level): expected an object", "not an object");
        expect_error("{\"defaultAction\":\"SCMP_ACT_NOTIFY\",\"listenerPath\":\"/x\"}", D,
                     "defaultAction: `SCMP_ACT_NOTIFY` is not supported", "SCMP_ACT_NOTIFY refused");
        expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_NOPE\"]}", D,
                     "flags: unknown flag `SECCOMP_FILTER_FLAG_NOPE`", "unknown flag");
        expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\","
                     "\"includes\":{\"caps\":[\"CAP_SYS_ADMIN\"]}}]}",
                     O, "p.json: linux.seccomp.syscalls[0].includes: a Docker profile field",
                     "OCI form: includes is an error naming linux.seccomp.syscalls[0].includes");
        expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"archMap\":[]}", O,
                     "linux.seccomp.archMap: a Docker profile field", "OCI form: archMap is an error");
        expect_error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":70000}", D,
                     "defaultErrnoRet: expected an integer from 0 to 4095", "errno out of range");
}

static const struct seccomp_rule *
find_rule(const struct seccomp_profile *p, const char *name, uint32_t action)
{
        for (size_t i = 0; i < p->n_rules; i++)
                for (size_t k = 0; k < p->rules[i].n_names; k++)
                        if (strcmp(p->rules[i].names[k], name) == 0 && (action == 0 || p->rules[i].action == action))
                                return &p->rules[i];
        return NULL;
}

static void
test_unknown_and_conditions(void)
{
        static const char text[] =
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                " {\"names\":[\"mkdir\",\"no_such_syscall_in_any_kernel\"],\"action\":\"SCMP_ACT_ERRNO\",\"comment\":\"x\"},"
                " {\"names\":[\"another_future_syscall\"],\"action\":\"SCMP_ACT_ERRNO\"},"
                " {\"name\":\"reboot\",\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38,\"excludes\":{\"caps\":[\"CAP_SYS_BOOT\"]}},"
                " {\"names\":[\"mount\"],\"action\":\"SCMP_ACT_ERRNO\",\"includes\":{\"caps\":[\"CAP_SYS_ADMIN\",\"CAP_SYS_BOOT\"]}},"
                " {\"names\":[\"swapon\"],\"action\":\"SCMP_ACT_ERRNO\",\"includes\":{\"caps\":[\"CAP_FUTURE_THING\"]}},"
                " {\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_ERRNO\",\"includes\":{\"arches\":[\"arm64\"]}},"
                " {\"names\":[\"chown\"],\"action\":\"SCMP_ACT_ERRNO\",\"excludes\":{\"arches\":[\"amd64\",\"x86\"]}},"
                " {\"names\":[\"rmdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"includes\":{\"minKernel\":\"5.4\"}}]}";
        struct seccomp_profile_env env = { .caps = 0, .arch = SCMP_ARCH_X86_64, .kernel_release = "4.19.0-x" };
        struct seccomp_profile *p = NULL;
        struct ctr_error *err = NULL;
        const struct seccomp_rule *r;

        if (seccomp_profile_parse(text, strlen(text), SECCOMP_PROFILE_DOCKER, "p.json", "", &env, &p, &err) < 0) {
                ok(0, "conditions profile parses: %s", err->message);
                ctr_error_free(err);
                return;
        }
        r = find_rule(p, "mkdir", 0);
        ok(r && r->n_names == 1 && r->action == SCMP_ACT_ERRNO(EPERM),
           "an unknown syscall name is skipped, the known one kept (errno EPERM by default)");
        is_int(p->n_unknown_names, 2, "two unknown names counted");
        ok(find_rule(p, "reboot", SCMP_ACT_ERRNO(38)), "excludes.caps: applies without CAP_SYS_BOOT (name, errnoRet 38)");
        ok(!find_rule(p, "mount", 0), "includes.caps: left out without the caps");
        ok(!find_rule(p, "swapon", 0), "includes.caps: a cap unknown to libcap is not held");
        ok(!find_rule(p, "chmod", 0), "includes.arches: left out on amd64");
        ok(!find_rule(p, "chown", 0), "excludes.arches: left out on amd64");
        ok(!find_rule(p, "rmdir", 0), "includes.minKernel 5.4: left out on 4.19");
        seccomp_profile_free(p);

        env = (struct seccomp_profile_env){ .caps = CAP(CAP_SYS_ADMIN_BIT) | CAP(CAP_SYS_BOOT_BIT),
                                            .arch = SCMP_ARCH_AARCH64, .kernel_release = "6.1.0" };
        p = NULL;
        if (seccomp_profile_parse(text, strlen(text), SECCOMP_PROFILE_DOCKER, "p.json", "", &env, &p, &err) < 0) {
                ok(0, "conditions profile parses: %s", err->message);
                ctr_error_free(err);
                return;
        }
        ok(!find_rule(p, "reboot", 0), "excludes.caps: left out with CAP_SYS_BOOT");
        ok(find_rule(p, "mount", 0), "includes.caps: applies with every listed cap");
        ok(find_rule(p, "chmod", 0), "includes.arches: applies on arm64");
        ok(find_rule(p, "chown", 0), "excludes.arches: applies on arm64");
        ok(find_rule(p, "rmdir", 0), "includes.minKernel 5.4: applies on 6.1");
        seccomp_profile_free(p);
}

static char *
default_profile_text(size_t *ret_len)
{
        char *text = NULL;

        if (read_file_full(TOP_SRCDIR "/etc/seccomp.json", 1 << 20, &text, ret_len, NULL) < 0)
                return NULL;
        return text;
}

static void
test_default_profile(void)
{
        _cleanup_free_ char *text = NULL, *oci = NULL;
        _cleanup_(seccomp_bpf_freep) struct seccomp_bpf *bpf = NULL;
        struct seccomp_profile *p = NULL, *p2 = NULL;
        struct ctr_error *err = NULL;
        size_t len = 0;
        json_t *j;
        static const char *const blocked[] = { "mount", "umount2", "unshare", "setns", "keyctl", "add_key",
                                               "request_key", "bpf", "perf_event_open", "reboot", "init_module",
                                               "finit_module", "kexec_load", "ptrace", "settimeofday",
                                               "clock_settime", "iopl", "acct", "open_by_handle_at",
                                               "userfaultfd", "io_uring_setup", "swapon", "pivot_root" };
        static const char *const allowed[] = { "read", "write", "execve", "openat", "mkdirat", "close_range",
                                               "wait4", "rt_sigreturn", "futex", "exit_group" };
        struct seccomp_profile_env env = { .caps = 0, .arch = SCMP_ARCH_X86_64 };
        bool all;

        text = default_profile_text(&len);
        ok(text, "etc/seccomp.json is readable");
        if (!text)
                return;
        if (seccomp_profile_parse(text, len, SECCOMP_PROFILE_DOCKER, "etc/seccomp.json", "", &env, &p, &err) < 0) {
                ok(0, "etc/seccomp.json parses: %s", err->message);
                ctr_error_free(err);
                return;
        }
        ok(p->default_action == SCMP_ACT_ERRNO(EPERM), "default action: EPERM");
        ok(p->n_arches == 2 && p->arches[0] == SCMP_ARCH_X86_64 && p->arches[1] == SCMP_ARCH_X86,
           "archMap: x86_64 host gets x86_64 and x86, not x32");
        all = true;
        for (size_t i = 0; i < ARRAY_SIZE(blocked); i++)
                if (find_rule(p, blocked[i], SCMP_ACT_ALLOW)) {
                        printf("#   %s is allowed\n", blocked[i]);
                        all = false;
                }
        ok(all, "without capabilities nothing dangerous is allowed (mount, unshare, keyctl, bpf, reboot, ...)");
        all = true;
        for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
                if (!find_rule(p, allowed[i], SCMP_ACT_ALLOW)) {
                        printf("#   %s is not allowed\n", allowed[i]);
                        all = false;
                }
        ok(all, "the everyday syscalls are allowed");
        ok(find_rule(p, "clone3", SCMP_ACT_ERRNO(ENOSYS)), "clone3 fails with ENOSYS without CAP_SYS_ADMIN");
        {
                const struct seccomp_rule *c = find_rule(p, "clone", SCMP_ACT_ALLOW);
                ok(c && c->n_args == 1 && c->args[0].index == 0 && c->args[0].op == SCMP_CMP_MASKED_EQ &&
                   c->args[0].value == 0x7E020000 && c->args[0].value_two == 0,
                   "clone: allowed only without CLONE_NEW* flags (index 0 on x86_64)");
        }
        ok(!find_rule(p, "s390_runtime_instr", 0) && find_rule(p, "arch_prctl", SCMP_ACT_ALLOW),
           "arch-specific entries: x86 in, s390 out");

        /* To the OCI form and back: what the daemon would write. */
        j = seccomp_profile_to_oci_json(p);
        oci = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(j);
        ok(oci && !strstr(oci, "includes") && !strstr(oci, "archMap") && strstr(oci, "\"SCMP_ARCH_X86\"") &&
                   !strstr(oci, "\"SCMP_ARCH_X32\""),
           "converted to the OCI form without Docker-only fields");
        if (oci && seccomp_profile_parse(oci, strlen(oci), SECCOMP_PROFILE_OCI, "config.json", "linux.seccomp", &env,
                                         &p2, &err) < 0) {
                printf("# %s\n", err->message);
                ctr_error_free(err);
                err = NULL;
        }
        ok(p2 && p2->n_rules == p->n_rules && p2->default_action == p->default_action && p2->n_arches == 2,
           "the OCI form parses back to the same rules");
        if (seccomp_bpf_compile(p, &bpf, &err) < 0) {
                ok(0, "the default profile compiles: %s", err->message);
                ctr_error_free(err);
        } else {
                ok(bpf->n_insns > 10 && bpf->n_insns <= BPF_MAXINSNS, "the default profile compiles (%u instructions)",
                   (unsigned) bpf->n_insns);
        }
        seccomp_profile_free(p2);
        seccomp_profile_free(p);

        env.caps = UINT64_MAX;
        p = NULL;
        if (seccomp_profile_parse(text, len, SECCOMP_PROFILE_DOCKER, "etc/seccomp.json", "", &env, &p, &err) == 0) {
                ok(find_rule(p, "mount", SCMP_ACT_ALLOW) && find_rule(p, "reboot", SCMP_ACT_ALLOW) &&
                   !find_rule(p, "clone3", SCMP_ACT_ERRNO(ENOSYS)) && !find_rule(p, "keyctl", SCMP_ACT_ALLOW),
                   "with every capability: mount and reboot allowed, clone3 plain, keyctl still not");
                seccomp_profile_free(p);
        } else {
                ok(0, "parse with every capability: %s", err->message);
                ctr_error_free(err);
        }
}

static double
now_us(void)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double) t.tv_sec * 1e6 + (double) t.tv_nsec / 1e3;
}

/* The OCI text of etc/seccomp.json for env, as the daemon would write it. */
static char *
default_oci_text(const struct seccomp_profile_env *env)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_(seccomp_profile_freep) struct seccomp_profile *p = NULL;
        size_t len;
        json_t *j;
        char *out;

        text = default_profile_text(&len);
        if (!text || seccomp_profile_parse(text, len, SECCOMP_PROFILE_DOCKER, "x", "", env, &p, NULL) < 0)
                return NULL;
        j = seccomp_profile_to_oci_json(p);
        out = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(j);
        return out;
}

static void
test_cache(void)
{
        const struct seccomp_profile_env env = { .caps = CAP(0) | CAP(5) };
        _cleanup_free_ char *oci = default_oci_text(&env), *path = NULL, *data = NULL;
        struct seccomp_bpf *a = NULL, *b = NULL;
        struct ctr_error *err = NULL;
        char name[70], name2[70];
        bool cached = true;
        struct stat st;
        size_t len;
        double t0, t1, t2;
        int r, n_compile = 20, n_cached = 200;

        ok(oci, "default profile in OCI form");
        if (!oci)
                return;
        seccomp_bpf_cache_name(oci, strlen(oci), &env, name);
        path = path_join(tmpdir, name);
        r = seccomp_bpf_load(tmpdir, oci, strlen(oci), "config.json", "linux.seccomp", &env, &a, &cached, &err);
        ok(r == 0 && !cached && a, "first load: compiled (a miss)");
        ok(stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600, "cache entry written, mode 0600");
        r = seccomp_bpf_load(tmpdir, oci, strlen(oci), "config.json", "linux.seccomp", &env, &b, &cached, &err);
        ok(r == 0 && cached && b && a && b->n_insns == a->n_insns && b->flags == a->flags &&
           memcmp(a->insns, b->insns, a->n_insns * sizeof(struct sock_filter)) == 0,
           "second load: from the cache, the same program");
        seccomp_bpf_free(b);
        b = NULL;

        /* Flip one byte of the program: the checksum catches it. */
        if (read_file_full(path, 1 << 20, &data, &len, NULL) == 0 && len > 40) {
                data[20] ^= 0x40;
                (void) write_file_atomic(path, data, len, 0600, NULL);
        }
        r = seccomp_bpf_load(tmpdir, oci, strlen(oci), "config.json", "linux.seccomp", &env, &b, &cached, &err);
        ok(r == 0 && !cached && b && memcmp(a->insns, b->insns, a->n_insns * sizeof(struct sock_filter)) == 0,
           "corrupt entry: compiled again");
        seccomp_bpf_free(b);
        b = NULL;
        r = seccomp_bpf_load(tmpdir, oci, strlen(oci), "config.json", "linux.seccomp", &env, &b, &cached, &err);
        ok(r == 0 && cached, "corrupt entry: replaced (the next load hits)");
        seccomp_bpf_free(b);
        b = NULL;
        (void) truncate(path, 100);
        r = seccomp_bpf_load(tmpdir, oci, strlen(oci), "config.json", "linux.seccomp", &env, &b, &cached, &err);
        ok(r == 0 && !cached, "truncated entry: compiled again");
        seccomp_bpf_free(b);
        b = NULL;

        /* A directory others may write to is not trusted. */
        if (chmod(tmpdir, 0777) == 0) {
                r = seccomp_bpf_load(tmpdir, oci, strlen(oci), "config.json", "linux.seccomp", &env, &b, &cached, &err);
                ok(r == 0 && !cached, "a world-writable cache dir is not used");
                seccomp_bpf_free(b);
                b = NULL;
                (void) chmod(tmpdir, 0700);
        }
        seccomp_bpf_cache_name(oci, strlen(oci), &(struct seccomp_profile_env){ .caps = CAP(0) }, name2);
        ok(strcmp(name, name2) != 0, "other capabilities: another cache entry");
        seccomp_bpf_cache_name(oci, strlen(oci), &(struct seccomp_profile_env){ .caps = env.caps, .arch = SCMP_ARCH_AARCH64 },
                               name2);
        ok(strcmp(name, name2) != 0, "another architecture: another cache entry");

        r = seccomp_bpf_load(tmpdir, "{\"defaultAction\":\"SCMP_ACT_NOPE\"}", 33, "config.json", "linux.seccomp", &env,
                             &b, &cached, &err);
        ok(r < 0 && err && strstr(err->message, "config.json: linux.seccomp.defaultAction: unknown action"),
           "a bad linux.seccomp is an error naming the field (%s)", err ? err->message : "");
        ctr_error_free(err);
        err = NULL;

        /* Not a test: compile vs cached load of the default profile. */
        t0 = now_us();
        for (int i = 0; i < n_compile; i++) {
                r = seccomp_bpf_load(NULL, oci, strlen(oci), "config.json", "linux.seccomp", &env, &b, NULL, NULL);
                seccomp_bpf_free(b);
                b = NULL;
        }
        t1 = now_us();
        for (int i = 0; i < n_cached; i++) {
                r = seccomp_bpf_load(tmpdir, oci, strlen(oci), "config.json", "linux.seccomp", &env, &b, &cached, NULL);
                seccomp_bpf_free(b);
                b = NULL;
        }
        t2 = now_us();
        ok(r == 0 && cached, "timed loads succeed");
        printf("# default profile (%u instructions): parse+compile %.0f us, cached load %.1f us (means of %d and %d)\n",
               a ? (unsigned) a->n_insns : 0, (t1 - t0) / n_compile, (t2 - t1) / n_cached, n_compile, n_cached);
        t0 = now_us();
        for (int i = 0; i < n_compile; i++)
                free(default_oci_text(&env));
        t1 = now_us();
        printf("# etc/seccomp.json read, parsed (Docker form) and converted to OCI JSON: %.0f us (the daemon's "
               "cost per container)\n", (t1 - t0) / n_compile);
        seccomp_bpf_free(a);
}

/* A forked child sets no_new_privs, loads a program returning EPERM for
 * mkdir/mkdirat and EACCES... for nothing else, and reports what it saw. */
static void
test_install(void)
{
        static const char text[] =
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                " {\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\"},"
                " {\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":42,"
                "  \"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},{\"index\":0,\"value\":2,\"op\":\"SCMP_CMP_EQ\"}]}]}";
        _cleanup_(seccomp_bpf_freep) struct seccomp_bpf *bpf = NULL;
        _cleanup_free_ char *dir = NULL, *dir2 = NULL;
        struct ctr_error *err = NULL;
        int status = -1;
        pid_t pid;

        if (seccomp_bpf_load(NULL, text, strlen(text), "config.json", "linux.seccomp", NULL, &bpf, NULL, &err) < 0) {
                ok(0, "test program compiles: %s", err->message);
                ctr_error_free(err);
                return;
        }
        dir = path_join(tmpdir, "made-before");
        dir2 = path_join(tmpdir, "made-after");
        pid = fork();
        if (pid == 0) {
                int code = 0;

                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || mkdir(dir, 0700) < 0)
                        _exit(10);
                if (seccomp_bpf_install(bpf) < 0)
                        _exit(11);
                errno = 0;
                if (mkdir(dir2, 0700) == 0 || errno != EPERM)
                        code |= 1;
                errno = 0;
                if (getpriority(1, 0) != -1 || errno != 42) /* PRIO_PGRP: one of the ORed args */
                        code |= 2;
                errno = 0;
                if (getpriority(2, 0) != -1 || errno != 42) /* PRIO_USER */
                        code |= 4;
                errno = 0;
                (void) getpriority(0, 0); /* PRIO_PROCESS: not matched */
                if (errno != 0)
                        code |= 8;
                _exit(code);
        }
        ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status), "child exited");
        is_int(WEXITSTATUS(status), 0,
               "in the child: mkdir fails with EPERM, getpriority(1|2) with errno 42 (two args on one index: OR), "
               "getpriority(0) works");
        ok(access(dir2, F_OK) < 0, "the blocked mkdir made nothing");
}

static void
test_spec_hook(void)
{
        static const char head[] =
                "{\"ociVersion\":\"1.1.0\",\"process\":{\"args\":[\"sh\"]},\"root\":{\"path\":\"/r\"},"
                "\"annotations\":{\"org.containerctl.seccomp.cache\":%s},"
                "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"seccomp\":%s}}";
        char text[1024];
        struct runtime_spec *s = NULL;
        struct ctr_error *err = NULL;
        int r;

        snprintf(text, sizeof(text), head, "\"/run/x/seccomp\"",
                 "{\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"}], \"defaultAction\":\"SCMP_ACT_ALLOW\"}");
        r = runtime_spec_parse(text, "/b", &s, &err);
        ok(r == 0 && s->seccomp && s->seccomp_cache_dir && strcmp(s->seccomp_cache_dir, "/run/x/seccomp") == 0,
           "config.json: linux.seccomp and the cache annotation are kept");
        if (r == 0)
                is_str(s->seccomp,
                       "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"action\":\"SCMP_ACT_ERRNO\",\"names\":[\"mkdir\"]}]}",
                       "linux.seccomp kept as compact JSON with sorted keys");
        runtime_spec_free(s);
        s = NULL;
        ctr_error_free(err);
        err = NULL;

        snprintf(text, sizeof(text), head, "null", "\"unconfined\"");
        r = runtime_spec_parse(text, "/b", &s, &err);
        ok(r < 0 && err && strstr(err->message, "config.json: linux.seccomp: expected an object"),
           "linux.seccomp not an object: an error naming it");
        runtime_spec_free(s);
        s = NULL;
        ctr_error_free(err);
        err = NULL;

        snprintf(text, sizeof(text), head, "\"relative\"", "{}");
        r = runtime_spec_parse(text, "/b", &s, &err);
        ok(r < 0 && err && strstr(err->message, "org.containerctl.seccomp.cache: expected an absolute path"),
           "a relative cache dir is an error");
        runtime_spec_free(s);
        ctr_error_free(err);
}

int
main(void)
{
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return 1;
        }
        test_errors();
        test_unknown_and_conditions();
        test_default_profile();
        test_cache();
        test_install();
        test_spec_hook();
        (void) rm_rf(tmpdir, NULL);
        return tap_done();
}
