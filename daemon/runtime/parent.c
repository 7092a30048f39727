/* Parent-side helpers of the runtime (see parent.h): the container handle
 * and its accessors, the clone3 call with its fallbacks, kill-and-reap of
 * a child that failed its setup, and child error messages as ctr_error. */
#include "daemon/runtime/parent.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/runtime/runtime.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* struct clone_args of <linux/sched.h>, which clashes with <sched.h>. */
struct ctr_clone_args {
        uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
        uint64_t set_tid, set_tid_size, cgroup;
};

int
runtime_container_new(pid_t pid, int *pidfd, int *sync_fd, int *pty_fd, struct runtime_container **ret)
{
        struct runtime_container *c = calloc(1, sizeof(*c));

        if (!c)
                return -ENOMEM;
        c->pid = pid;
        c->pidfd = TAKE_FD(*pidfd);
        c->sync_fd = TAKE_FD(*sync_fd);
        c->pty_fd = TAKE_FD(*pty_fd);
        *ret = c;
        return 0;
}

void
runtime_container_free(struct runtime_container *c)
{
        if (!c)
                return;
        safe_close(c->pidfd);
        safe_close(c->sync_fd);
        safe_close(c->pty_fd);
        free(c);
}

pid_t
runtime_container_pid(const struct runtime_container *c)
{
        return c->pid;
}

int
runtime_container_pidfd(const struct runtime_container *c)
{
        return c->pidfd;
}

int
runtime_container_take_pty(struct runtime_container *c)
{
        return TAKE_FD(c->pty_fd);
}

pid_t
runtime_clone(int flags, int cgroup_fd, int *ret_pidfd, bool *ret_into_cgroup)
{
        struct ctr_clone_args args = {
                .flags = (uint64_t) (CLONE_PIDFD | flags),
                .pidfd = (uint64_t) (uintptr_t) ret_pidfd,
                .exit_signal = SIGCHLD,
        };
        long pid;

        *ret_into_cgroup = false;
        if (cgroup_fd >= 0) {
                args.flags |= CLONE_INTO_CGROUP;
                args.cgroup = (uint64_t) cgroup_fd;
                pid = syscall(SYS_clone3, &args, sizeof(args));
                if (pid >= 0) {
                        *ret_into_cgroup = true;
                        return (pid_t) pid;
                }
                if (errno != E2BIG && errno != EINVAL && errno != ENOSYS)
                        return -errno;
                /* Older kernel: place the child by hand instead. */
                args.flags &= ~CLONE_INTO_CGROUP;
                args.cgroup = 0;
        }
        pid = syscall(SYS_clone3, &args, sizeof(args));
        if (pid < 0 && errno == ENOSYS)
                /* Before 5.3. x86_64 argument order: flags, stack,
                 * parent_tid (receives the pidfd), child_tid, tls. */
                pid = syscall(SYS_clone, (unsigned long) (CLONE_PIDFD | flags | SIGCHLD), NULL,
                              ret_pidfd, NULL, 0UL);
        return pid < 0 ? -errno : (pid_t) pid;
}

void
runtime_kill_and_reap(int pidfd)
{
        siginfo_t si;

        (void) syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
        while (waitid((idtype_t) P_PIDFD, (id_t) pidfd, &si, WEXITED) < 0 && errno == EINTR)
                ;
}

int
runtime_sync_error(const struct sync_msg *m, int *ret_exit_code, struct ctr_error **err)
{
        /* The same codes the child _exit()s with (child.c). */
        if (strcmp(m->step, "command") == 0 && m->errnum == ENOENT)
                *ret_exit_code = 127;
        else if (strcmp(m->step, "command") == 0 && m->errnum == EACCES)
                *ret_exit_code = 126;
        else if (strcmp(m->step, "execve") == 0)
                *ret_exit_code = m->errnum == ENOENT ? 127 : 126;
        else
                *ret_exit_code = 125;
        return ctr_error_msg(err, m->errnum > 0 ? m->errnum : EIO, "%s: %s", m->step, m->text);
}
