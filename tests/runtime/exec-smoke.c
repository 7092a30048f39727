/* Root-only smoke test of runtime_exec() and process.terminal on their own:
 * writes bundles for a busybox rootfs (argv[1]) in a temp dir, runs a
 * container and execs into it: same namespaces, cgroup, capabilities,
 * no_new_privs and rlimits as the init, PID 1 is the init, user/cwd/env
 * from the params, exit codes 0/3/126/127, a tty exec and a tty init.
 * Prints TAP; removes its cgroups and bundles. Run by run-exec-smoke.sh. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
#include "daemon/cgroup/cgroup.h"
#include "daemon/runtime/runtime.h"
#include "tests/unit/tap.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static char cg_parent[64];
static char tmpdir[] = "/tmp/exec-smoke-XXXXXX";

/* The bundle's config.json: a container on rootfs in its own pid, mount,
 * uts, ipc, net and cgroup namespaces with a reduced capability set. */
static int
write_bundle(const char *name, const char *rootfs, const char *args_json, bool terminal,
             char **ret_config)
{
        static const char caps[] = "[\"CAP_CHOWN\",\"CAP_KILL\",\"CAP_SETUID\",\"CAP_SETGID\",\"CAP_NET_BIND_SERVICE\"]";
        _cleanup_free_ char *dir = NULL, *config = NULL;
        FILE *f;

        if (asprintf(&dir, "%s/%s", tmpdir, name) < 0 || mkdir(dir, 0700) < 0 ||
            asprintf(&config, "%s/config.json", dir) < 0)
                return -errno;
        f = fopen(config, "we");
        if (!f)
                return -errno;
        fprintf(f,
                "{\"ociVersion\":\"1.0.2\","
                "\"process\":{\"args\":%s,\"cwd\":\"/\",\"env\":[\"PATH=/bin\",\"HOME=/\"],"
                " \"terminal\":%s,\"consoleSize\":{\"height\":30,\"width\":100},"
                " \"user\":{\"uid\":0,\"gid\":0},\"noNewPrivileges\":true,"
                " \"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":4096,\"soft\":1000}],"
                " \"capabilities\":{\"bounding\":%s,\"effective\":%s,\"permitted\":%s}},"
                "\"root\":{\"path\":\"%s\",\"readonly\":true},\"hostname\":\"exec-smoke\","
                "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
                " {\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"mode=755\"]},"
                " {\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
                "  \"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\"]},"
                " {\"destination\":\"/tmp\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}],"
                "\"linux\":{\"cgroupsPath\":\"%s/%s\",\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},"
                " {\"type\":\"uts\"},{\"type\":\"ipc\"},{\"type\":\"network\"},{\"type\":\"cgroup\"}]}}\n",
                args_json, terminal ? "true" : "false", caps, caps, caps, rootfs, cg_parent, name);
        if (fclose(f) != 0)
                return -errno;
        *ret_config = TAKE_PTR(config);
        return 0;
}

/* Reads fd to EOF (or EIO, a pty whose slave closed) into a string. */
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

/* runtime_exec with stdout+stderr (or the pty) read into *ret_out, then
 * reaped: returns the exit code, or -1 with *ret_create_code and the error
 * printed as a TAP comment. */
static int
run_exec(const struct runtime_spec *spec, int init_pidfd, const struct runtime_exec_params *p,
         char **ret_out, int *ret_create_code)
{
        _cleanup_(runtime_container_freep) struct runtime_container *c = NULL;
        _cleanup_error_ struct ctr_error *err = NULL;
        _cleanup_close_ int rd = -1, wr = -1, pty = -1;
        int pipefd[2];

        *ret_out = NULL;
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -1;
        rd = pipefd[0];
        wr = pipefd[1];
        if (runtime_exec(spec, init_pidfd, p, &(struct runtime_stdio){ -1, wr, wr }, &c, ret_create_code, &err) < 0) {
                printf("# exec: %s\n", err->message);
                return -1;
        }
        wr = safe_close(wr);
        pty = runtime_container_take_pty(c);
        *ret_out = read_all(pty >= 0 ? pty : rd);
        return wait_code(runtime_container_pidfd(c));
}

static char *
proc_file(pid_t pid, const char *name)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1;

        if (asprintf(&path, "/proc/%d/%s", (int) pid, name) < 0)
                return NULL;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        return fd < 0 ? NULL : read_all(fd);
}

static char *
proc_link(pid_t pid, const char *name)
{
        _cleanup_free_ char *path = NULL;
        char buf[256];
        ssize_t n;

        if (asprintf(&path, "/proc/%d/%s", (int) pid, name) < 0)
                return NULL;
        n = readlink(path, buf, sizeof(buf) - 1);
        if (n < 0)
                return NULL;
        buf[n] = 0;
        return strdup(buf);
}

/* The lines of /proc/PID/status that start with prefix, concatenated. */
static char *
status_lines(pid_t pid, const char *prefix)
{
        _cleanup_free_ char *all = proc_file(pid, "status");
        char *out = calloc(1, 4096), *save = NULL;

        if (!all || !out)
                return out;
        for (char *l = strtok_r(all, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                if (strncmp(l, prefix, strlen(prefix)) == 0 && strlen(out) + strlen(l) + 2 < 4096) {
                        strcat(out, l);
                        strcat(out, "\n");
                }
        return out;
}

static void
same(pid_t a, pid_t b, char *(*get)(pid_t, const char *), const char *what, const char *label)
{
        _cleanup_free_ char *x = get(a, what), *y = get(b, what);
        int eq = x && y && strcmp(x, y) == 0;

        ok(eq, "exec has the init's %s", label);
        if (!eq)
                printf("#   init: %s\n#   exec: %s\n", x ? x : "(null)", y ? y : "(null)");
}

/* Execs `sleep 5` and compares what the host sees of it with the init. */
static void
test_same_as_init(const struct runtime_spec *spec, struct runtime_container *init)
{
        static char *args[] = { "sleep", "5", NULL };
        const struct runtime_exec_params p = { .args = args };
        _cleanup_(runtime_container_freep) struct runtime_container *c = NULL;
        _cleanup_error_ struct ctr_error *err = NULL;
        static const char *const ns[] = { "ns/mnt", "ns/uts", "ns/ipc", "ns/net", "ns/pid", "ns/cgroup" };
        pid_t ipid = runtime_container_pid(init), epid;
        char ppid[32];
        int code;

        if (runtime_exec(spec, runtime_container_pidfd(init), &p, NULL, &c, &code, &err) < 0) {
                ok(0, "exec sleep 5: %s", err->message);
                return;
        }
        epid = runtime_container_pid(c);
        for (size_t i = 0; i < ARRAY_SIZE(ns); i++)
                same(ipid, epid, proc_link, ns[i], ns[i]);
        same(ipid, epid, proc_file, "cgroup", "cgroups (/proc/PID/cgroup)");
        same(ipid, epid, status_lines, "Cap", "capability sets (Cap*)");
        same(ipid, epid, status_lines, "NoNewPrivs", "no_new_privs");
        same(ipid, epid, proc_file, "limits", "rlimits (/proc/PID/limits)");
        snprintf(ppid, sizeof(ppid), "PPid:\t%d\n", (int) getpid());
        {
                _cleanup_free_ char *pp = status_lines(epid, "PPid");
                is_str(pp, ppid, "the exec is the caller's child");
        }
        (void) syscall(SYS_pidfd_send_signal, runtime_container_pidfd(c), SIGKILL, NULL, 0);
        is_int(wait_code(runtime_container_pidfd(c)), 128 + SIGKILL, "reaped through its pidfd after SIGKILL");
}

static void
test_exec(const struct runtime_spec *spec, struct runtime_container *init)
{
        static char *hostname[] = { "hostname", NULL };
        static char *pid1[] = { "sh", "-c", "echo $$ $(cat /proc/1/comm)", NULL };
        static char *exit3[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
        static char *who[] = { "sh", "-c", "id -u; id -g; id -G; pwd; echo $FOO", NULL };
        static char *env[] = { "PATH=/bin", "FOO=bar", NULL };
        static char *missing[] = { "no-such-command", NULL };
        static char *notexec[] = { "/proc/version", NULL };
        static char *tty[] = { "sh", "-c", "tty; stty size; echo x >/dev/tty && echo ctty", NULL };
        static gid_t groups[] = { 1001, 1002 };
        int initfd = runtime_container_pidfd(init), code, rc;
        char *out;

        rc = run_exec(spec, initfd, &(struct runtime_exec_params){ .args = hostname }, &out, &code);
        is_int(rc, 0, "exec hostname exits 0");
        is_str(out, "exec-smoke\n", "exec sees the container's hostname");
        free(out);

        rc = run_exec(spec, initfd, &(struct runtime_exec_params){ .args = pid1 }, &out, &code);
        is_int(rc, 0, "exec sh exits 0");
        ok(out && strstr(out, " sleep\n") && atoi(out) > 1 && atoi(out) < 100,
           "exec is in the container's pid namespace: PID 1 is the init, own pid small (%s)", out ? out : "");
        free(out);

        rc = run_exec(spec, initfd, &(struct runtime_exec_params){ .args = exit3 }, &out, &code);
        is_int(rc, 3, "exit code 3 propagated");
        is_str(out, "out\nerr\n", "stdout and stderr reach the given fds");
        free(out);

        rc = run_exec(spec, initfd,
                      &(struct runtime_exec_params){ .args = who, .env = env, .cwd = "/tmp", .uid = 1000,
                                                     .gid = 1000, .groups = groups, .n_groups = 2 },
                      &out, &code);
        is_int(rc, 0, "exec as uid 1000 exits 0");
        is_str(out, "1000\n1000\n1000 1001 1002\n/tmp\nbar\n", "user, groups, cwd and env from the params");
        free(out);

        rc = run_exec(spec, initfd, &(struct runtime_exec_params){ .args = missing }, &out, &code);
        ok(rc == -1 && code == 127, "missing command: error with exit code 127 (got %d)", code);
        free(out);
        rc = run_exec(spec, initfd, &(struct runtime_exec_params){ .args = notexec }, &out, &code);
        ok(rc == -1 && code == 126, "not executable: error with exit code 126 (got %d)", code);
        free(out);

        rc = run_exec(spec, initfd,
                      &(struct runtime_exec_params){ .args = tty, .terminal = true, .rows = 40, .cols = 120 },
                      &out, &code);
        is_int(rc, 0, "tty exec exits 0");
        ok(out && strstr(out, "/dev/pts/0\r\n40 120\r\nx\r\nctty\r\n"),
           "tty exec: a pty of the container's devpts, sized 40x120, controlling terminal (%s)", out ? out : "");
        free(out);
}

/* Not a test: the time from runtime_exec() to the reaped exit of `true`,
 * as a TAP comment (the target: no slower than `runc exec`). */
static void
measure_latency(const struct runtime_spec *spec, struct runtime_container *init)
{
        static char *args[] = { "true", NULL };
        struct timespec a, b;
        int n = 50, fails = 0;

        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int i = 0; i < n; i++) {
                _cleanup_(runtime_container_freep) struct runtime_container *c = NULL;
                _cleanup_error_ struct ctr_error *err = NULL;
                int code;

                if (runtime_exec(spec, runtime_container_pidfd(init), &(struct runtime_exec_params){ .args = args },
                                 NULL, &c, &code, &err) < 0 || wait_code(runtime_container_pidfd(c)) != 0)
                        fails++;
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        ok(fails == 0, "%d execs of `true` succeed", n);
        printf("# exec latency: %.0f us per `true` (runtime_exec to reaped exit, mean of %d)\n",
               ((double) (b.tv_sec - a.tv_sec) * 1e6 + (double) (b.tv_nsec - a.tv_nsec) / 1e3) / n, n);
}

static void
cleanup(void)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        char cmd[128];

        if (cgroup_destroy(cg_parent, &err) < 0)
                printf("# cleanup: %s\n", err->message);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
        (void) system(cmd);
}

static int
start(const char *config, struct runtime_spec **ret_spec, struct runtime_container **ret_c)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        int code;

        if (runtime_spec_load(config, ret_spec, &err) < 0 ||
            runtime_create(*ret_spec, NULL, ret_c, &code, &err) < 0 || runtime_start(*ret_c, &err) < 0) {
                printf("# %s\n", err->message);
                return -1;
        }
        return 0;
}

int
main(int argc, char **argv)
{
        _cleanup_(runtime_spec_freep) struct runtime_spec *spec = NULL, *tspec = NULL;
        _cleanup_(runtime_container_freep) struct runtime_container *init = NULL, *tinit = NULL;
        _cleanup_free_ char *config = NULL, *tconfig = NULL;
        static char *sleep_args[] = { "true", NULL };
        _cleanup_error_ struct ctr_error *err = NULL;
        _cleanup_close_ int pty = -1;
        char *out;
        int code, rc;

        if (argc != 2) {
                fprintf(stderr, "usage: %s BUSYBOX_ROOTFS\n", argv[0]);
                return 2;
        }
        snprintf(cg_parent, sizeof(cg_parent), "/ctltest-%d-exec", (int) getpid());
        if (!mkdtemp(tmpdir) || write_bundle("a", argv[1], "[\"sleep\",\"60\"]", false, &config) < 0 ||
            write_bundle("t", argv[1], "[\"sh\",\"-c\",\"tty; stty size; echo x >/dev/tty && echo ctty\"]", true,
                         &tconfig) < 0) {
                perror("exec-smoke: bundle");
                return 1;
        }

        ok(start(config, &spec, &init) == 0, "container a runs `sleep 60`");
        if (init) {
                test_exec(spec, init);
                test_same_as_init(spec, init);
                measure_latency(spec, init);
                (void) syscall(SYS_pidfd_send_signal, runtime_container_pidfd(init), SIGKILL, NULL, 0);
                (void) wait_code(runtime_container_pidfd(init));
                rc = runtime_exec(spec, runtime_container_pidfd(init),
                                  &(struct runtime_exec_params){ .args = sleep_args }, NULL,
                                  &(struct runtime_container *){ NULL }, &code, &err);
                ok(rc < 0 && code == 125, "exec into a stopped container fails: %s",
                   err ? err->message : "(no error)");
        }

        ok(start(tconfig, &tspec, &tinit) == 0, "container t (process.terminal) runs");
        if (tinit) {
                pty = runtime_container_take_pty(tinit);
                ok(pty >= 0 && runtime_container_take_pty(tinit) == -1, "the init's pty master is taken once");
                out = pty >= 0 ? read_all(pty) : NULL;
                ok(out && strstr(out, "/dev/pts/0\r\n30 100\r\nx\r\nctty\r\n"),
                   "tty init: container devpts, consoleSize 30x100, controlling terminal (%s)", out ? out : "");
                free(out);
                is_int(wait_code(runtime_container_pidfd(tinit)), 0, "tty init exits 0");
        }
        cleanup();
        return tap_done();
}
