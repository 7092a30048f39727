/* The parent side of runtime_exec(): one more process in a running
 * container. The caller (the monitor) clones it directly, so it is the
 * caller's own child, reaped through its pidfd like the init. The child
 * runs the exec step table of child.c and execve()s; we return when it has
 * (the sync socket is close-on-exec) or with its step's error. */
#include "daemon/runtime/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/cgroup/cgroup.h"
#include "daemon/runtime/child.h"
#include "daemon/runtime/parent.h"
#include "daemon/runtime/sync.h"

/* A pid namespace join (setns CLONE_NEWPID) applies only to the children
 * of the caller, never to the caller itself. Rather than a helper process
 * that joins and forks again (CLONE_PARENT, as runc and crun do), we set
 * the caller's "pid namespace for children" to the init's for the one
 * clone3 and put it back at once: one process creation instead of two, no
 * intermediate to reap, and the exec is born as the caller's child inside
 * the container's pid namespace. The caller is single-threaded, so nothing
 * else forks in between. */
static pid_t
clone_into_pid_ns(int init_pidfd, bool join_pid, int cgroup_fd, int *ret_pidfd, bool *ret_into_cgroup,
                  struct ctr_error **err)
{
        _cleanup_close_ int own = -1;
        pid_t pid;

        if (join_pid) {
                own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
                if (own < 0)
                        return ctr_error_sys(err, errno, "open our pid namespace");
                if (setns(init_pidfd, CLONE_NEWPID) < 0)
                        return ctr_error_sys(err, errno, "enter the pid namespace of the container init");
        }
        pid = runtime_clone(0, cgroup_fd, ret_pidfd, ret_into_cgroup);
        if (pid == 0)
                return 0;
        if (join_pid && setns(own, CLONE_NEWPID) < 0) {
                int errnum = errno;

                if (pid > 0)
                        runtime_kill_and_reap(*ret_pidfd);
                return ctr_error_sys(err, errnum, "restore our own pid namespace for children");
        }
        if (pid < 0)
                return ctr_error_sys(err, -pid, "clone3 the exec process");
        return pid;
}

/* Parent half of the exec: collect the pty master if any, then EOF (the
 * command exec'd) or a step's error. */
static int
wait_exec(int sync_fd, int *ret_pty, int *ret_exit_code, struct ctr_error **err)
{
        for (;;) {
                _cleanup_close_ int fd = -1;
                struct sync_msg m;
                int r = sync_recv_fd(sync_fd, &m, &fd);

                if (r == -ECONNRESET)
                        return 0;
                if (r < 0)
                        return ctr_error_sys(err, -r, "read from the exec process");
                if (m.kind == SYNC_ERROR)
                        return runtime_sync_error(&m, ret_exit_code, err);
                if (m.kind != SYNC_PTY || fd < 0 || *ret_pty >= 0)
                        return ctr_error_msg(err, EPROTO, "unexpected sync message %u from the exec process", m.kind);
                *ret_pty = TAKE_FD(fd);
        }
}

static bool
has_exited(int pidfd)
{
        struct pollfd p = { .fd = pidfd, .events = POLLIN };

        return poll(&p, 1, 0) > 0;
}

int
runtime_exec(const struct runtime_spec *spec, int init_pidfd, const struct runtime_exec_params *p,
             const struct runtime_stdio *stdio, struct runtime_container **ret, int *ret_exit_code,
             struct ctr_error **err)
{
        static const struct runtime_stdio null_stdio = { -1, -1, -1 };
        _cleanup_(cgroup_join_freep) struct cgroup_join *join = NULL;
        _cleanup_close_ int parent_sock = -1, pidfd = -1, pty = -1;
        const char *cg = runtime_spec_cgroups_path(spec);
        int sv[2], join_ns = 0, exit_code = 125, r;
        bool into_cgroup;
        pid_t pid;

        if (ret_exit_code)
                *ret_exit_code = 125;
        if (!p->args || !p->args[0] || !p->args[0][0])
                return ctr_error_msg(err, EINVAL, "exec: no command given");
        if (init_pidfd < 0 || has_exited(init_pidfd))
                return ctr_error_msg(err, ESRCH, "exec: the container init is not running");
        for (size_t i = 0; i < spec->n_namespaces; i++)
                join_ns |= spec->namespaces[i].flag;
        /* The cgroup exists (the init is in it); we only open its files. */
        if (cg) {
                r = cgroup_join_prepare(cg, &join, err);
                if (r < 0)
                        return r;
        }
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return ctr_error_sys(err, errno, "create the sync socket");
        parent_sock = sv[0];
        pid = clone_into_pid_ns(init_pidfd, join_ns & CLONE_NEWPID, join ? cgroup_join_clone_fd(join) : -1,
                                &pidfd, &into_cgroup, err);
        if (pid < 0) {
                safe_close(sv[1]);
                return pid;
        }
        if (pid == 0) {
                struct child_ctx ctx = {
                        .spec = spec,
                        .proc = {
                                .args = p->args,
                                .env = p->env ? p->env : spec->env,
                                .cwd = p->cwd ? p->cwd : spec->cwd,
                                .uid = p->uid,
                                .gid = p->gid,
                                .groups = p->groups,
                                .n_groups = p->n_groups,
                                .terminal = p->terminal,
                                .rows = p->rows,
                                .cols = p->cols,
                        },
                        .stdio = stdio ? stdio : &null_stdio,
                        .sync_fd = sv[1],
                        .stdio_fds = { -1, -1, -1 },
                        .rootfd = -1,
                        .devnull_fd = -1,
                        .cgroup = join,
                        .cgroup_born_in_unified = into_cgroup,
                        .init_pidfd = init_pidfd,
                        .join_ns = join_ns & ~CLONE_NEWPID,
                };
                safe_close(sv[0]);
                child_exec_run(&ctx);
        }
        safe_close(sv[1]);

        r = wait_exec(parent_sock, &pty, &exit_code, err);
        if (r < 0) {
                runtime_kill_and_reap(pidfd);
                if (ret_exit_code)
                        *ret_exit_code = exit_code;
                return r;
        }
        parent_sock = safe_close(parent_sock);
        r = runtime_container_new(pid, &pidfd, &parent_sock, &pty, ret);
        if (r < 0) {
                runtime_kill_and_reap(pidfd);
                return ctr_error_sys(err, -r, "exec: allocate the process handle");
        }
        if (ret_exit_code)
                *ret_exit_code = 0;
        return 0;
}
