/* The parent's half of starting one child, shared by runtime_create()
 * (spawn.c) and runtime_exec() (exec.c): the sync socketpair, the clone3
 * (into the container's pid namespace for an exec), the sync stages, and
 * killing and reaping a child that failed them. Called by the
 * single-threaded monitor only. */
#include "daemon/runtime/parent.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/runtime/child.h"
#include "daemon/runtime/seccomp-profile.h"
#include "daemon/runtime/sync.h"
#include "daemon/runtime/userns.h"

/* A pid namespace join (setns CLONE_NEWPID) applies only to the children
 * of the caller, never to the caller itself. Rather than a helper process
 * that joins and forks again (CLONE_PARENT, as runc and crun do), we set
 * the caller's "pid namespace for children" to the init's for the one
 * clone3 and put it back at once: one process creation instead of two, no
 * intermediate to reap, and the exec is born as the caller's child inside
 * the container's pid namespace. The caller is single-threaded, so nothing
 * else forks in between. */
static pid_t
clone_child(const struct launch_plan *plan, struct child_ctx *ctx, int *ret_pidfd,
            bool *ret_into_cgroup, struct ctr_error **err)
{
        _cleanup_close_ int own = -1;
        int cgroup_fd = ctx->cgroup ? cgroup_join_clone_fd(ctx->cgroup) : -1;
        struct userns_saved saved = { .n = 0 };
        pid_t pid;
        int r;

        /* With a new user namespace the child is born in the namespaces
         * the spec joins (userns.h says why). */
        if (ctx->new_ns & CLONE_NEWUSER) {
                r = runtime_userns_enter(ctx->spec, &saved, &ctx->sysfs_fd, err);
                if (r < 0) {
                        (void) runtime_userns_leave(&saved, NULL);
                        ctx->sysfs_fd = safe_close(ctx->sysfs_fd);
                        return r;
                }
        }
        if (plan->join_pid_ns) {
                own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
                if (own < 0)
                        return ctr_error_sys(err, errno, "open our pid namespace");
                if (setns(ctx->init_pidfd, CLONE_NEWPID) < 0)
                        return ctr_error_sys(err, errno, "enter the pid namespace of the container init");
        }
        pid = runtime_clone(ctx->new_ns, cgroup_fd, ret_pidfd, ret_into_cgroup);
        if (pid == 0)
                return 0;
        /* The child has its copy of the sysfs mount. */
        ctx->sysfs_fd = safe_close(ctx->sysfs_fd);
        r = runtime_userns_leave(&saved, pid < 0 ? NULL : err);
        if (r < 0) {
                if (pid > 0)
                        runtime_kill_and_reap(*ret_pidfd);
                return pid < 0 ? ctr_error_sys(err, -pid, "clone3 %s", plan->what) : r;
        }
        if (plan->join_pid_ns && setns(own, CLONE_NEWPID) < 0) {
                int errnum = errno;

                if (pid > 0)
                        runtime_kill_and_reap(*ret_pidfd);
                return ctr_error_sys(err, errnum, "restore our own pid namespace for children");
        }
        if (pid < 0)
                return ctr_error_sys(err, -pid, "clone3 %s", plan->what);
        return pid;
}

/* The parent's sync stages. The init (until_ready): tell it that it is in
 * its cgroup, then wait for "ready". An exec: wait for EOF, which means it
 * exec'd (the sync socket is close-on-exec). Either may first send a
 * terminal's pty master (SYNC_PTY); SYNC_ERROR is a failed step. */
static int
drive_child(int sync_fd, const struct launch_plan *plan, const struct child_ctx *ctx, pid_t pid,
            int *ret_pty, int *ret_exit_code, struct ctr_error **err)
{
        int r;

        if (plan->until_ready) {
                r = sync_send(sync_fd, SYNC_CGROUP_PLACED);
                if (r < 0)
                        return ctr_error_sys(err, -r, "tell %s to proceed", plan->what);
        }
        /* Stage "id maps": the child waits for them in its "user namespace"
         * step; a failure here kills it like a failed step. */
        if (plan->until_ready && (ctx->new_ns & CLONE_NEWUSER)) {
                r = runtime_userns_setup(ctx->spec, pid, sync_fd, err);
                if (r < 0)
                        return ctr_error_prefix(err, -r, "user namespace");
        }
        for (;;) {
                _cleanup_close_ int fd = -1;
                struct sync_msg m;

                r = sync_recv_fd(sync_fd, &m, &fd);
                if (r == -ECONNRESET && !plan->until_ready)
                        return 0;
                if (r == -ECONNRESET)
                        return ctr_error_msg(err, EIO, "%s exited during setup", plan->what);
                if (r < 0)
                        return ctr_error_sys(err, -r, "read from %s", plan->what);
                if (m.kind == SYNC_ERROR)
                        return runtime_sync_error(&m, ret_exit_code, err);
                if (m.kind == SYNC_PTY && fd >= 0 && *ret_pty < 0) {
                        *ret_pty = TAKE_FD(fd);
                        continue;
                }
                if (m.kind != SYNC_READY || !plan->until_ready)
                        return ctr_error_msg(err, EPROTO, "unexpected sync message %u from %s", m.kind,
                                             plan->what);
                return 0;
        }
}

int
runtime_launch(const struct launch_plan *plan, struct child_ctx *ctx, struct runtime_container **ret,
               int *ret_exit_code, struct ctr_error **err)
{
        static const struct runtime_stdio null_stdio = { -1, -1, -1 };
        _cleanup_(seccomp_bpf_freep) struct seccomp_bpf *seccomp = NULL;
        _cleanup_close_ int parent_sock = -1, pidfd = -1, pty = -1;
        int sv[2], exit_code = 125, r;
        pid_t pid;

        if (ret_exit_code)
                *ret_exit_code = 125;
        /* The seccomp program is compiled (or read from the cache) here, in
         * the parent, before clone3: the child only hands it to seccomp(2)
         * as its last step, and the cost is paid once per profile. */
        r = runtime_seccomp_load(ctx->spec, &seccomp, err);
        if (r < 0)
                return r;
        ctx->seccomp = seccomp;
        if (ctx->gate) {
                r = ctx->gate(ctx->gate_data, err);
                if (r < 0)
                        return r;
        }
        ctx->sysfs_fd = ctx->root_mount_fd = ctx->root_dir_fd = -1;
        ctx->mount_fds = NULL;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return ctr_error_sys(err, errno, "create the sync socket");
        parent_sock = sv[0];
        pid = clone_child(plan, ctx, &pidfd, &ctx->cgroup_born_in_unified, err);
        if (pid < 0) {
                safe_close(sv[1]);
                return pid;
        }
        if (pid == 0) {
                if (!ctx->stdio)
                        ctx->stdio = &null_stdio;
                ctx->sync_fd = sv[1];
                ctx->stdio_fds[0] = ctx->stdio_fds[1] = ctx->stdio_fds[2] = -1;
                ctx->rootfd = -1;
                ctx->devnull_fd = -1;
                safe_close(sv[0]);
                plan->child_fn(ctx);
        }
        safe_close(sv[1]);

        r = drive_child(parent_sock, plan, ctx, pid, &pty, &exit_code, err);
        if (r < 0) {
                runtime_kill_and_reap(pidfd);
                if (ret_exit_code)
                        *ret_exit_code = exit_code;
                return r;
        }
        /* Only the init still needs the socket: runtime_start() sends "start". */
        if (!plan->until_ready)
                parent_sock = safe_close(parent_sock);
        r = runtime_container_new(pid, &pidfd, &parent_sock, &pty, ret);
        if (r < 0) {
                runtime_kill_and_reap(pidfd);
                return ctr_error_sys(err, -r, "allocate the handle of %s", plan->what);
        }
        if (ret_exit_code)
                *ret_exit_code = 0;
        return 0;
}
