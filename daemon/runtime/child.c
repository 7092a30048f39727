/* The child between clone3() and execve(): one table of named steps for
 * the container init, one short table for an exec into a running
 * container, each run in order. A failing step sends {step, errno, text}
 * to the parent over the sync socket and _exit()s; the child never logs
 * and never returns into the caller's code. Mount, identity and terminal
 * steps live in child-mounts.c, child-identity.c and child-terminal.c. */
#include "daemon/runtime/child.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daemon/runtime/seccomp-profile.h"
#include "daemon/runtime/sync.h"
#include "daemon/runtime/userns.h"

/* Why first: we inherit the monitor's handlers and mask; the container's
 * program must start with defaults (and an unblocked SIGKILL path). */
static int
step_reset_signals(struct child_ctx *ctx, struct ctr_error **err)
{
        struct sigaction sa = { .sa_handler = SIG_DFL };
        sigset_t all;

        for (int sig = 1; sig < _NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) sigaction(sig, &sa, NULL);
        sigemptyset(&all);
        if (sigprocmask(SIG_SETMASK, &all, NULL) < 0)
                return ctr_error_sys(err, errno, "unblock signals");
        return 0;
}

/* Why early: if the monitor dies during setup, the half-built init must
 * die too. A parent that died before the prctl is caught by the next step:
 * its end of the sync socket is closed, so the read returns EOF (getppid()
 * cannot tell: it is 0 in a new pid namespace). */
static int
step_parent_death_signal(struct child_ctx *ctx, struct ctr_error **err)
{
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
                return ctr_error_sys(err, errno, "set the parent death signal");
        return 0;
}

/* Why before anything else that allocates: every page and pid of the
 * setup is charged to the container. clone3(CLONE_INTO_CGROUP) already put
 * us in the cgroup2 hierarchy; we move ourselves into the v1 hierarchies by
 * writing "0" to their cgroup.procs, which is far cheaper than the parent
 * writing our pid (that takes a kernel-wide lock: 10-20 ms here). Then we
 * wait for the parent's go, so it can abort us before any mount. */
static int
step_join_cgroup(struct child_ctx *ctx, struct ctr_error **err)
{
        struct sync_msg m;
        int r;

        if (ctx->cgroup) {
                r = cgroup_join_self(ctx->cgroup, !ctx->cgroup_born_in_unified, err);
                if (r < 0)
                        return r;
        }
        r = sync_recv(ctx->sync_fd, &m);
        if (r < 0)
                _exit(125); /* the parent gave up on us */
        if (m.kind != SYNC_CGROUP_PLACED)
                return ctr_error_msg(err, EPROTO, "unexpected sync message %u", m.kind);
        return 0;
}

/* Why here: we are in our cgroup now, so a new cgroup namespace gets the
 * container's cgroup as its root. Creating it in clone3() would root it at
 * the monitor's cgroup instead. */
static int
step_cgroup_namespace(struct child_ctx *ctx, struct ctr_error **err)
{
        const struct runtime_namespace *ns = runtime_spec_namespace(ctx->spec, CLONE_NEWCGROUP);

        if (!ns || ns->path)
                return 0;
        if (unshare(CLONE_NEWCGROUP) < 0)
                return ctr_error_sys(err, errno, "unshare the cgroup namespace");
        ctx->new_ns |= CLONE_NEWCGROUP;
        return 0;
}

/* Why before the mounts: the namespace paths are host paths. With a new
 * user namespace the parent joined them for us around clone3 (userns.c). */
static int
step_join_namespaces(struct child_ctx *ctx, struct ctr_error **err)
{
        if (ctx->new_ns & CLONE_NEWUSER)
                return 0;
        for (size_t i = 0; i < ctx->spec->n_namespaces; i++) {
                const struct runtime_namespace *ns = &ctx->spec->namespaces[i];
                _cleanup_close_ int fd = -1;

                if (!ns->path)
                        continue;
                fd = open(ns->path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return ctr_error_sys(err, errno, "open namespace `%s`", ns->path);
                if (setns(fd, ns->flag) < 0)
                        return ctr_error_sys(err, errno, "join namespace `%s`", ns->path);
        }
        return 0;
}

/* Why early: copy the caller's stdio fds out of the way (>= 3, CLOEXEC)
 * while the host's /dev/null is reachable for the missing ones; they are
 * put on 0, 1, 2 just before exec without number collisions. With a
 * terminal the "terminal" step stashes the pty slave instead. */
static int
step_stash_stdio(struct child_ctx *ctx, struct ctr_error **err)
{
        const int in[3] = { ctx->stdio->in_fd, ctx->stdio->out_fd, ctx->stdio->err_fd };

        if (ctx->proc.terminal)
                return 0;
        for (int i = 0; i < 3; i++) {
                if (in[i] < 0)
                        ctx->stdio_fds[i] = open("/dev/null", O_RDWR | O_CLOEXEC);
                else
                        ctx->stdio_fds[i] = fcntl(in[i], F_DUPFD_CLOEXEC, 3);
                if (ctx->stdio_fds[i] < 0)
                        return ctr_error_sys(err, errno, "duplicate stdio fd %d", in[i]);
        }
        return 0;
}

/* Why after pivot_root: nothing before needs it, and a failure here
 * leaves only the container's own namespace changed. */
static int
step_hostname(struct child_ctx *ctx, struct ctr_error **err)
{
        const char *h = ctx->spec->hostname;

        if (!h)
                return 0;
        if (!(ctx->new_ns & CLONE_NEWUTS))
                return ctr_error_msg(err, EINVAL, "hostname `%s` needs a new uts namespace", h);
        if (sethostname(h, strlen(h)) < 0)
                return ctr_error_sys(err, errno, "set hostname `%s`", h);
        return 0;
}

/* Why here: a fresh network namespace has `lo` down; programs expect
 * localhost to work. Needs CAP_NET_ADMIN, so before dropping capabilities. */
static int
step_loopback(struct child_ctx *ctx, struct ctr_error **err)
{
        _cleanup_close_ int fd = -1;
        struct ifreq ifr = { .ifr_name = "lo" };

        if (!(ctx->new_ns & CLONE_NEWNET))
                return 0;
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return ctr_error_sys(err, errno, "create a socket to configure `lo`");
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return ctr_error_sys(err, errno, "get the flags of `lo`");
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                return ctr_error_sys(err, errno, "bring `lo` up");
        return 0;
}

/* Why here: the init leads its own session, detached from the monitor's
 * (no controlling terminal to inherit; a pty would be acquired after). */
static int
step_setsid(struct child_ctx *ctx, struct ctr_error **err)
{
        if (setsid() < 0)
                return ctr_error_sys(err, errno, "setsid");
        return 0;
}

/* Why before the user switch: raising a hard limit needs
 * CAP_SYS_RESOURCE, which the target user may not keep. */
static int
step_rlimits(struct child_ctx *ctx, struct ctr_error **err)
{
        for (size_t i = 0; i < ctx->spec->n_rlimits; i++) {
                const struct runtime_rlimit *rl = &ctx->spec->rlimits[i];
                struct rlimit lim = {
                        .rlim_cur = rl->soft == UINT64_MAX ? RLIM_INFINITY : rl->soft,
                        .rlim_max = rl->hard == UINT64_MAX ? RLIM_INFINITY : rl->hard,
                };
                if (setrlimit((__rlimit_resource_t) rl->resource, &lim) < 0)
                        return ctr_error_sys(err, errno, "set rlimit %d", rl->resource);
        }
        return 0;
}

/* Why after capabilities: no_new_privs does not stop us dropping
 * capabilities, but set before execve so setuid binaries cannot regain. */
static int
step_no_new_privs(struct child_ctx *ctx, struct ctr_error **err)
{
        if (ctx->spec->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return ctr_error_sys(err, errno, "set no_new_privs");
        return 0;
}

static int
load_seccomp(struct child_ctx *ctx, struct ctr_error **err)
{
        int r = seccomp_bpf_install(ctx->seccomp);

        if (r < 0)
                return ctr_error_sys(err, -r, "load the seccomp program (%u instructions)",
                                     (unsigned) ctx->seccomp->n_insns);
        return 0;
}

/* Why last, after the start signal and right before execve: a filter is
 * inherited and cannot be lifted, so every setup syscall runs unfiltered
 * (a profile cannot break the setup, and a profile's own logging or
 * errno actions never see our syscalls), and only execve runs under it,
 * as bubblewrap, crun and runc do. The parent compiled the program
 * (runtime_launch); seccomp(2) itself needs no_new_privs, set just before. */
static int
step_seccomp(struct child_ctx *ctx, struct ctr_error **err)
{
        if (!ctx->seccomp || !ctx->spec->no_new_privileges)
                return 0;
        return load_seccomp(ctx, err);
}

/* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which the
 * capability steps drop: then the program goes in before them, as runc
 * does, and the remaining steps (capset, setgroups, setresuid, chdir,
 * stat, close_range, dup3, the sync messages, execve) run under it. */
static int
step_seccomp_privileged(struct child_ctx *ctx, struct ctr_error **err)
{
        if (!ctx->seccomp || ctx->spec->no_new_privileges)
                return 0;
        return load_seccomp(ctx, err);
}

/* Why after the user switch: the cwd must be reachable as that user. */
static int
step_cwd(struct child_ctx *ctx, struct ctr_error **err)
{
        if (chdir(ctx->proc.cwd) < 0)
                return ctr_error_sys(err, errno, "chdir to `%s`", ctx->proc.cwd);
        return 0;
}

/* Why before "ready": a missing command is reported by runtime_create()
 * (exit code 127/126) instead of surfacing only at start. */
static int
step_resolve_command(struct child_ctx *ctx, struct ctr_error **err)
{
        const char *name = ctx->proc.args[0];
        int r = runtime_find_executable(name, ctx->proc.env, &ctx->exec_path);

        if (r == -ENOENT)
                return ctr_error_msg(err, ENOENT, "`%s`: executable file not found in $PATH", name);
        if (r == -EACCES)
                return ctr_error_msg(err, EACCES, "`%s`: permission denied (not an executable file)", name);
        if (r < 0)
                return ctr_error_sys(err, -r, "resolve `%s`", name);
        return 0;
}

/* Why here: after the last step that might open something. Marking every
 * fd >= 3 close-on-exec (the sync socket already is) means the container
 * gets exactly 0, 1 and 2, while the sync socket lives until execve. */
static int
step_close_fds(struct child_ctx *ctx, struct ctr_error **err)
{
        if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                return ctr_error_sys(err, errno, "mark fds close-on-exec");
        return 0;
}

/* Why last before ready: dup3 onto 0-2 from the stashed copies (all >= 3,
 * so no collision); dup3 without O_CLOEXEC makes them survive execve. */
static int
step_stdio(struct child_ctx *ctx, struct ctr_error **err)
{
        for (int i = 0; i < 3; i++)
                if (dup3(ctx->stdio_fds[i], i, 0) < 0)
                        return ctr_error_sys(err, errno, "set up fd %d", i);
        return 0;
}

/* The container is set up: tell the parent, and wait for start. EOF means
 * nobody will start us. */
static int
step_ready_wait_start(struct child_ctx *ctx, struct ctr_error **err)
{
        struct sync_msg m;
        int r;

        r = sync_send(ctx->sync_fd, SYNC_READY);
        if (r < 0)
                _exit(125);
        r = sync_recv(ctx->sync_fd, &m);
        if (r < 0)
                _exit(125);
        if (m.kind != SYNC_START)
                return ctr_error_msg(err, EPROTO, "unexpected sync message %u", m.kind);
        return 0;
}

static const struct child_step {
        const char *name;
        int (*run)(struct child_ctx *ctx, struct ctr_error **err);
} child_steps[] = {
        { "reset signals", step_reset_signals },
        { "parent death signal", step_parent_death_signal },
        { "cgroup", step_join_cgroup },
        { "user namespace", child_userns },
        { "join namespaces", step_join_namespaces },
        { "cgroup namespace", step_cgroup_namespace },
        { "stdio", step_stash_stdio },
        { "mount propagation", child_mount_propagation },
        { "root filesystem", child_mount_root },
        { "mounts", child_mount_spec_mounts },
        { "/dev", child_mount_dev },
        { "masked paths", child_mount_masked_paths },
        { "read-only paths", child_mount_readonly_paths },
        { "pivot_root", child_pivot_root },
        { "read-only root", child_mount_root_readonly },
        { "hostname", step_hostname },
        { "loopback", step_loopback },
        { "setsid", step_setsid },
        { "terminal", child_terminal },
        { "rlimits", step_rlimits },
        { "seccomp (without no_new_privs)", step_seccomp_privileged },
        { "capability bounding set", child_drop_bounding_set },
        { "user", child_switch_user },
        { "capabilities", child_set_capabilities },
        { "no_new_privs", step_no_new_privs },
        { "cwd", step_cwd },
        { "command", step_resolve_command },
        { "close fds", step_close_fds },
        { "stdio", step_stdio },
        { "wait for start", step_ready_wait_start },
        { "seccomp", step_seccomp },
};

static _noreturn_ void
child_fail(struct child_ctx *ctx, const char *step, struct ctr_error *e)
{
        int errnum = e ? e->errnum : EIO;

        (void) sync_send_error(ctx->sync_fd, step, errnum, e ? e->message : "failed");
        _exit(errnum == ENOENT && strcmp(step, "command") == 0 ? 127 :
              errnum == EACCES && strcmp(step, "command") == 0 ? 126 : 125);
}

static _noreturn_ void
run_steps_and_execve(struct child_ctx *ctx, const struct child_step *steps, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                struct ctr_error *e = NULL;

                if (steps[i].run(ctx, &e) < 0)
                        child_fail(ctx, steps[i].name, e);
                ctr_error_free(e);
        }
        execve(ctx->exec_path, ctx->proc.args, ctx->proc.env);
        {
                int errnum = errno;
                struct ctr_error *e = NULL;

                ctr_error_sys(&e, errnum, "execute `%s`", ctx->exec_path);
                (void) sync_send_error(ctx->sync_fd, "execve", errnum, e ? e->message : "execve failed");
                _exit(errnum == ENOENT ? 127 : 126);
        }
}

void
child_run(struct child_ctx *ctx)
{
        run_steps_and_execve(ctx, child_steps, ARRAY_SIZE(child_steps));
}

/* ---- exec: a new process in a running container ---- */

/* Why third (after signals and the death signal): every page the exec
 * allocates is charged to the container. clone3(CLONE_INTO_CGROUP) placed
 * us in cgroup2; the v1 hierarchies we join ourselves. No go message from
 * the parent: there is nothing it could still abort cheaper than a kill. */
static int
step_exec_join_cgroup(struct child_ctx *ctx, struct ctr_error **err)
{
        if (!ctx->cgroup)
                return 0;
        return cgroup_join_self(ctx->cgroup, !ctx->cgroup_born_in_unified, err);
}

/* Why after the stdio stash: the host's /dev/null is out of reach once we
 * are in the container's mount namespace. One setns(2) through the init's
 * pidfd joins all of its namespaces at once (5.8+); the mount namespace
 * join also puts our root and cwd at the container's root. The pid
 * namespace is not in join_ns: the parent cloned us into it already. */
static int
step_exec_join_namespaces(struct child_ctx *ctx, struct ctr_error **err)
{
        int others = ctx->join_ns & ~CLONE_NEWUSER;

        /* The user namespace last: until then we are the host's root, who
         * may enter every other one, also those the host owns (a network
         * namespace the daemon made); from inside, we could not. */
        if (others && setns(ctx->init_pidfd, others) < 0)
                return ctr_error_sys(err, errno, "join the namespaces of the container init");
        if ((ctx->join_ns & CLONE_NEWUSER) && setns(ctx->init_pidfd, CLONE_NEWUSER) < 0)
                return ctr_error_sys(err, errno, "join the user namespace of the container init");
        return 0;
}

/* An exec skips what the container already has (mounts, pivot_root,
 * hostname, loopback) and the wait for start: runtime_exec() returns once
 * the command runs. Then the same order and reasons as the init's table:
 * cgroup before anything allocates, stdio while the host is reachable,
 * namespaces, own session (the terminal needs it), rlimits, bounding set,
 * user and capabilities while we may still change them, no_new_privs,
 * cwd as the user, the command resolved in the container, fds, and the
 * seccomp program last (before the bounding set without no_new_privs). */
static const struct child_step exec_steps[] = {
        { "reset signals", step_reset_signals },
        { "parent death signal", step_parent_death_signal },
        { "cgroup", step_exec_join_cgroup },
        { "stdio", step_stash_stdio },
        { "join namespaces", step_exec_join_namespaces },
        { "setsid", step_setsid },
        { "terminal", child_terminal },
        { "rlimits", step_rlimits },
        { "seccomp (without no_new_privs)", step_seccomp_privileged },
        { "capability bounding set", child_drop_bounding_set },
        { "user", child_switch_user },
        { "capabilities", child_set_capabilities },
        { "no_new_privs", step_no_new_privs },
        { "cwd", step_cwd },
        { "command", step_resolve_command },
        { "close fds", step_close_fds },
        { "stdio", step_stdio },
        { "seccomp", step_seccomp },
};

void
child_exec_run(struct child_ctx *ctx)
{
        run_steps_and_execve(ctx, exec_steps, ARRAY_SIZE(exec_steps));
}
