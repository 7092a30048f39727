/* Root-only test of seccomp in the spawn path: writes bundles for a busybox
 * rootfs (argv[1], with /bin/syscall-try) whose linux.seccomp is a custom
 * profile or etc/seccomp.json (argv[2]) converted as the daemon would, runs
 * them with runtime_create/runtime_exec and checks what the container sees:
 * the filter's EPERM where the kernel alone would answer otherwise (the
 * container is given CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON and CAP_SYS_BOOT,
 * the profile is resolved for Docker's default set), everyday commands
 * working, an exec filtered too, the filter loaded without no_new_privs
 * for a non-root user, a bad profile refused. Prints TAP; no cgroups;
 * removes its temp dir. Run by run-seccomp-smoke.sh. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fs-util.h"
#include "daemon/runtime/runtime.h"
#include "daemon/runtime/seccomp-profile.h"
#include "daemon/runtime/spec-internal.h"
#include "tests/unit/tap.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static char tmpdir[] = "/tmp/seccomp-smoke-XXXXXX";
static char cache_dir[64];
static const char *rootfs;

/* Docker's default capability set (moby oci/caps/defaults.go). */
static const char *const docker_caps[] = {
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE",
};
#define RAISED_CAPS "\"CAP_SYS_ADMIN\",\"CAP_BPF\",\"CAP_PERFMON\",\"CAP_SYS_BOOT\""

static const char custom_profile[] =
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],"
        "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1}]}";

/* etc/seccomp.json in the OCI form, resolved for Docker's default caps. */
static char *
default_profile_oci(const char *path)
{
        _cleanup_(seccomp_profile_freep) struct seccomp_profile *p = NULL;
        _cleanup_error_ struct ctr_error *err = NULL;
        _cleanup_free_ char *text = NULL;
        struct seccomp_profile_env env = { 0 };
        size_t len;
        json_t *j;
        char *out;

        for (size_t i = 0; i < ARRAY_SIZE(docker_caps); i++)
                env.caps |= UINT64_C(1) << runtime_cap_from_name(docker_caps[i]);
        if (read_file_full(path, 1 << 20, &text, &len, &err) < 0 ||
            seccomp_profile_parse(text, len, SECCOMP_PROFILE_DOCKER, path, "", &env, &p, &err) < 0) {
                printf("# %s\n", err->message);
                return NULL;
        }
        j = seccomp_profile_to_oci_json(p);
        out = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        return out;
}

/* A bundle for rootfs: own pid, mount, uts, ipc and net namespaces;
 * Docker's caps plus extra_caps (JSON list items, may be ""); seccomp NULL
 * for none. */
static char *
write_bundle(const char *name, const char *args_json, const char *extra_caps, unsigned uid, bool nnp,
             const char *seccomp)
{
        _cleanup_free_ char *dir = NULL, *config = NULL, *caps = NULL;
        char buf[1024] = "";
        FILE *f;

        for (size_t i = 0; i < ARRAY_SIZE(docker_caps); i++)
                snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s\"%s\"", i ? "," : "", docker_caps[i]);
        if (asprintf(&caps, "[%s%s%s]", buf, extra_caps[0] ? "," : "", extra_caps) < 0 ||
            asprintf(&dir, "%s/%s", tmpdir, name) < 0 || mkdir(dir, 0700) < 0 ||
            asprintf(&config, "%s/config.json", dir) < 0)
                return NULL;
        f = fopen(config, "we");
        if (!f)
                return NULL;
        fprintf(f,
                "{\"ociVersion\":\"1.0.2\","
                "\"process\":{\"args\":%s,\"cwd\":\"/\",\"env\":[\"PATH=/bin\",\"HOME=/\"],"
                " \"user\":{\"uid\":%u,\"gid\":%u},\"noNewPrivileges\":%s,"
                " \"capabilities\":{\"bounding\":%s,\"effective\":%s,\"permitted\":%s}},"
                "\"root\":{\"path\":\"%s\",\"readonly\":true},\"hostname\":\"seccomp-smoke\","
                "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
                " {\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"mode=755\"]},"
                " {\"destination\":\"/tmp\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"mode=1777\"]}],"
                "\"annotations\":{\"org.containerctl.seccomp.cache\":\"%s\"},"
                "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"uts\"},"
                " {\"type\":\"ipc\"},{\"type\":\"network\"}]%s%s}}\n",
                args_json, uid, uid, nnp ? "true" : "false", caps, caps, caps, rootfs, cache_dir,
                seccomp ? ",\"seccomp\":" : "", seccomp ? seccomp : "");
        if (fclose(f) != 0)
                return NULL;
        return TAKE_PTR(config);
}

static char *
read_all(int fd)
{
        char *buf = calloc(1, 65536);
        size_t len = 0;
        ssize_t n;

        while (buf && len < 65535 && ((n = read(fd, buf + len, 65535 - len)) > 0 || (n < 0 && errno == EINTR)))
                if (n > 0)
                        len += (size_t) n;
        return buf;
}

static int
wait_code(int pidfd)
{
        siginfo_t si = { 0 };

        while (waitid((idtype_t) P_PIDFD, (id_t) pidfd, &si, WEXITED) < 0)
                if (errno != EINTR)
                        return -errno;
        return si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
}

/* Runs the bundle to its end with stdout+stderr in *ret_out. Returns the
 * exit code, or -1 with *ret_out the create/start error. */
static int
run(const char *config, char **ret_out, int *ret_create_code)
{
        _cleanup_(runtime_spec_freep) struct runtime_spec *spec = NULL;
        _cleanup_(runtime_container_freep) struct runtime_container *c = NULL;
        _cleanup_error_ struct ctr_error *err = NULL;
        _cleanup_close_ int rd = -1, wr = -1;
        int pipefd[2], code = 125;

        *ret_out = NULL;
        if (ret_create_code)
                *ret_create_code = 0;
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -1;
        rd = pipefd[0];
        wr = pipefd[1];
        if (runtime_spec_load(config, &spec, &err) < 0 ||
            runtime_create(spec, &(struct runtime_stdio){ -1, wr, wr }, &c, &code, &err) < 0 ||
            runtime_start(c, &err) < 0) {
                *ret_out = strdup(err->message);
                if (ret_create_code)
                        *ret_create_code = code;
                if (c)
                        (void) wait_code(runtime_container_pidfd(c));
                return -1;
        }
        wr = safe_close(wr);
        *ret_out = read_all(rd);
        return wait_code(runtime_container_pidfd(c));
}

static void
expect_run(const char *config, const char *want, const char *label)
{
        _cleanup_free_ char *out = NULL;
        int rc = config ? run(config, &out, NULL) : -1;

        ok(rc == 0 && out && strstr(out, want), "%s", label);
        if (rc != 0 || !out || !strstr(out, want))
                printf("#   exit %d, output: %s#   want: %s\n", rc, out ? out : "(none)\n", want);
}

#define PROBES "\"unshare\",\"mount\",\"keyctl\",\"bpf\",\"perf_event_open\",\"reboot\",\"clone3\""

static void
test_default_profile(const char *profile)
{
        _cleanup_free_ char *base = NULL, *conf = NULL, *works = NULL, *out = NULL;
        int rc;

        /* The same container unfiltered: the kernel's own answers, none EPERM. */
        base = write_bundle("base", "[\"/bin/syscall-try\"," PROBES "]", RAISED_CAPS, 0, true, NULL);
        rc = base ? run(base, &out, NULL) : -1;
        ok(rc == 0 && out && !strstr(out, "EPERM") && strstr(out, "unshare=OK\nmount=EFAULT\n"),
           "without seccomp (CAP_SYS_ADMIN etc. held): no probe gets EPERM");
        for (char *l = out, *nl; l && *l; l = nl + 1) {
                nl = strchrnul(l, '\n');
                printf("#   %.*s\n", (int) (nl - l), l);
                if (!*nl)
                        break;
        }
        free(TAKE_PTR(out));

        conf = write_bundle("default", "[\"/bin/syscall-try\"," PROBES "]", RAISED_CAPS, 0, true, profile);
        expect_run(conf,
                   "unshare=EPERM\nmount=EPERM\nkeyctl=EPERM\nbpf=EPERM\nperf_event_open=EPERM\nreboot=EPERM\n"
                   "clone3=ENOSYS\n",
                   "default profile: unshare, mount, keyctl, bpf, perf_event_open, reboot get EPERM; clone3 ENOSYS");
        works = write_bundle("works", "[\"sh\",\"-c\",\"true && ls / >/dev/null && grep Seccomp: /proc/self/status "
                                      "&& sh -c 'echo works'\"]",
                             "", 0, true, profile);
        expect_run(works, "Seccomp:\t2\nworks\n", "default profile: true, ls, grep, sh -c work, in filter mode");
}

static void
test_custom_profile(void)
{
        _cleanup_free_ char *conf = NULL, *sh = NULL, *nonnp = NULL;

        conf = write_bundle("custom", "[\"/bin/syscall-try\",\"mkdir\",\"getpid\"]", "", 0, true, custom_profile);
        expect_run(conf, "mkdir=EPERM\ngetpid=OK\n", "custom profile: mkdir gets EPERM, getpid works");
        sh = write_bundle("custom-sh", "[\"sh\",\"-c\",\"mkdir /tmp/d; echo rc=$?\"]", "", 0, true, custom_profile);
        expect_run(sh, "Operation not permitted\nrc=1\n", "custom profile: busybox mkdir fails with EPERM");
        /* Without no_new_privs the program goes in before the capability
         * steps drop CAP_SYS_ADMIN (uid 1000 keeps none). */
        nonnp = write_bundle("custom-nonnp", "[\"sh\",\"-c\",\"syscall-try mkdir; grep -E 'Seccomp:|NoNewPrivs' /proc/self/status\"]",
                             "", 1000, false, custom_profile);
        expect_run(nonnp, "mkdir=EPERM\nNoNewPrivs:\t0\nSeccomp:\t2\n",
                   "without no_new_privs, as uid 1000: the filter is loaded all the same");
}

static void
test_exec(const char *profile)
{
        static char *args[] = { "sh", "-c", "syscall-try mount unshare getpid; grep Seccomp: /proc/self/status", NULL };
        _cleanup_(runtime_spec_freep) struct runtime_spec *spec = NULL;
        _cleanup_(runtime_container_freep) struct runtime_container *init = NULL, *c = NULL;
        _cleanup_error_ struct ctr_error *err = NULL;
        _cleanup_free_ char *conf = NULL, *out = NULL;
        _cleanup_close_ int rd = -1, wr = -1;
        int pipefd[2], code, rc = -1;

        conf = write_bundle("exec", "[\"sleep\",\"60\"]", RAISED_CAPS, 0, true, profile);
        if (!conf || runtime_spec_load(conf, &spec, &err) < 0 || runtime_create(spec, NULL, &init, &code, &err) < 0 ||
            runtime_start(init, &err) < 0) {
                ok(0, "exec: container starts: %s", err ? err->message : "bundle");
                return;
        }
        if (pipe2(pipefd, O_CLOEXEC) == 0) {
                rd = pipefd[0];
                wr = pipefd[1];
                if (runtime_exec(spec, runtime_container_pidfd(init), &(struct runtime_exec_params){ .args = args },
                                 &(struct runtime_stdio){ -1, wr, wr }, &c, &code, &err) == 0) {
                        wr = safe_close(wr);
                        out = read_all(rd);
                        rc = wait_code(runtime_container_pidfd(c));
                } else {
                        printf("# exec: %s\n", err->message);
                }
        }
        ok(rc == 0 && out && strstr(out, "mount=EPERM\nunshare=EPERM\ngetpid=OK\nSeccomp:\t2\n"),
           "an exec'd process is filtered too");
        if (!(rc == 0 && out && strstr(out, "mount=EPERM")))
                printf("#   exit %d, output: %s\n", rc, out ? out : "(none)");
        (void) syscall(SYS_pidfd_send_signal, runtime_container_pidfd(init), SIGKILL, NULL, 0);
        (void) wait_code(runtime_container_pidfd(init));
}

static void
test_bad_profile(void)
{
        _cleanup_free_ char *conf = NULL, *out = NULL;
        int code = 0, rc;

        conf = write_bundle("bad", "[\"true\"]", "", 0, true,
                            "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOPE\"}]}");
        rc = conf ? run(conf, &out, &code) : 0;
        ok(rc == -1 && code == 125 && out && strstr(out, "config.json: linux.seccomp.syscalls[0].action: unknown action `SCMP_ACT_NOPE`"),
           "a bad profile: create fails with 125 naming the field (%s)", out ? out : "");
}

/* Not a test: create+start+exit of `true` with and without the profile. */
static void
measure(const char *profile)
{
        _cleanup_free_ char *with = write_bundle("t-with", "[\"true\"]", "", 0, true, profile);
        _cleanup_free_ char *without = write_bundle("t-without", "[\"true\"]", "", 0, true, NULL);
        const char *confs[2] = { without, with };
        double us[2] = { 0, 0 };
        int n = 20, fails = 0;

        for (int k = 0; k < 2; k++) {
                struct timespec a, b;

                clock_gettime(CLOCK_MONOTONIC, &a);
                for (int i = 0; i < n; i++) {
                        _cleanup_free_ char *out = NULL;

                        if (!confs[k] || run(confs[k], &out, NULL) != 0)
                                fails++;
                }
                clock_gettime(CLOCK_MONOTONIC, &b);
                us[k] = ((double) (b.tv_sec - a.tv_sec) * 1e6 + (double) (b.tv_nsec - a.tv_nsec) / 1e3) / n;
        }
        ok(fails == 0, "%d runs of `true` with and without the default profile succeed", 2 * n);
        printf("# run `true` (load spec, create, start, reap): %.0f us unconfined, %.0f us default profile "
               "(cached), mean of %d\n", us[0], us[1], n);
}

int
main(int argc, char **argv)
{
        _cleanup_free_ char *profile = NULL;
        _cleanup_error_ struct ctr_error *err = NULL;

        if (argc != 3) {
                fprintf(stderr, "usage: %s ROOTFS SECCOMP_JSON\n", argv[0]);
                return 2;
        }
        rootfs = argv[1];
        if (!mkdtemp(tmpdir)) {
                perror("seccomp-smoke: mkdtemp");
                return 1;
        }
        snprintf(cache_dir, sizeof(cache_dir), "%s/cache", tmpdir);
        profile = default_profile_oci(argv[2]);
        ok(profile, "etc/seccomp.json converted to linux.seccomp");
        if (profile) {
                test_default_profile(profile);
                test_exec(profile);
                measure(profile);
        }
        test_custom_profile();
        test_bad_profile();
        if (rm_rf(tmpdir, &err) < 0)
                printf("# cleanup: %s\n", err->message);
        return tap_done();
}
