/* The parent side of the spawn path: clone3() the container init into its
 * namespaces, place it in its cgroup, drive the named sync stages, and turn
 * a child's error message into a struct ctr_error. Called by the
 * single-threaded monitor only. Owns the pidfd and the sync socket. */
#include "daemon/runtime/runtime.h"

#include <errno.h>
#include <stdbool.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/cgroup/cgroup.h"
#include "daemon/runtime/child.h"
#include "daemon/runtime/sync.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

struct runtime_container {
        pid_t pid;
        int pidfd;
        int sync_fd;
};

/* struct clone_args of <linux/sched.h>, which clashes with <sched.h>. */
struct ctr_clone_args {
        uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
        uint64_t set_tid, set_tid_size, cgroup;
};

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* fork()-like clone with CLONE_PIDFD and the namespace flags: returns 0 in
 * the child, the pid in the parent, -errno on failure. With cgroup_fd >= 0
 * the child is born in that cgroup2 directory (CLONE_INTO_CGROUP, 5.7+);
 * *ret_into_cgroup says whether that happened. */
static pid_t
clone_init(int ns_flags, int cgroup_fd, int *ret_pidfd, bool *ret_into_cgroup)
{
        struct ctr_clone_args args = {
                .flags = (uint64_t) (CLONE_PIDFD | ns_flags),
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
                pid = syscall(SYS_clone, (unsigned long) (CLONE_PIDFD | ns_flags | SIGCHLD), NULL,
                              ret_pidfd, NULL, 0UL);
        return pid < 0 ? -errno : (pid_t) pid;
}

static void
kill_and_reap(int pidfd)
{
        siginfo_t si;

        (void) syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
        while (waitid((idtype_t) P_PIDFD, (id_t) pidfd, &si, WEXITED) < 0 && errno == EINTR)
                ;
}

void
runtime_container_free(struct runtime_container *c)
{
        if (!c)
                return;
        safe_close(c->pidfd);
        safe_close(c->sync_fd);
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

static int
exit_code_for(const struct sync_msg *m)
{
        if (strcmp(m->step, "command") == 0 && m->errnum == ENOENT)
                return 127;
        if (strcmp(m->step, "command") == 0 && m->errnum == EACCES)
                return 126;
        return 125;
}

/* Parent half of the stages: place the child, let it run its steps, and
 * wait for "ready" or its error. */
static int
drive_setup(int sync_fd, int *ret_exit_code, struct ctr_error **err)
{
        struct sync_msg m;
        int r;

        *ret_exit_code = 125;
        r = sync_send(sync_fd, SYNC_CGROUP_PLACED);
        if (r < 0)
                return ctr_error_sys(err, -r, "tell the container init to proceed");
        r = sync_recv(sync_fd, &m);
        if (r == -ECONNRESET)
                return ctr_error_msg(err, EIO, "the container init exited during setup");
        if (r < 0)
                return ctr_error_sys(err, -r, "read from the container init");
        if (m.kind == SYNC_ERROR) {
                *ret_exit_code = exit_code_for(&m);
                return ctr_error_msg(err, m.errnum > 0 ? m.errnum : EIO, "%s: %s", m.step, m.text);
        }
        if (m.kind != SYNC_READY)
                return ctr_error_msg(err, EPROTO, "unexpected sync message %u from the container init", m.kind);
        *ret_exit_code = 0;
        return 0;
}

int
runtime_create(const struct runtime_spec *spec, const struct runtime_stdio *stdio,
               struct runtime_container **ret, int *ret_exit_code, struct ctr_error **err)
{
        static const struct runtime_stdio null_stdio = { -1, -1, -1 };
        _cleanup_(cgroup_join_freep) struct cgroup_join *join = NULL;
        _cleanup_close_ int parent_sock = -1, pidfd = -1;
        const char *cg = runtime_spec_cgroups_path(spec);
        struct runtime_container *c;
        int sv[2], ns_flags, exit_code = 125, r;
        bool into_cgroup;
        pid_t pid;

        if (ret_exit_code)
                *ret_exit_code = 125;
        /* The cgroup exists before the child does, so it can be born in it.
         * The caller removes it (cgroup_destroy) whatever happens below. */
        if (cg) {
                r = cgroup_create(cg, err);
                if (r < 0)
                        return r;
                r = cgroup_join_prepare(cg, &join, err);
                if (r < 0)
                        return r;
        }
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return ctr_error_sys(err, errno, "create the sync socket");
        parent_sock = sv[0];
        /* The cgroup namespace is unshared by the child once it is in its
         * cgroup (see step_cgroup_namespace in child.c). */
        ns_flags = runtime_spec_new_ns_flags(spec) & ~CLONE_NEWCGROUP;
        pid = clone_init(ns_flags, join ? cgroup_join_clone_fd(join) : -1, &pidfd, &into_cgroup);
        if (pid < 0) {
                safe_close(sv[1]);
                return ctr_error_sys(err, -pid, "clone3 the container init");
        }
        if (pid == 0) {
                struct child_ctx ctx = {
                        .spec = spec,
                        .stdio = stdio ? stdio : &null_stdio,
                        .sync_fd = sv[1],
                        .new_ns = ns_flags,
                        .stdio_fds = { -1, -1, -1 },
                        .rootfd = -1,
                        .devnull_fd = -1,
                        .cgroup = join,
                        .cgroup_born_in_unified = into_cgroup,
                };
                safe_close(sv[0]);
                child_run(&ctx);
        }
        safe_close(sv[1]);

        r = drive_setup(parent_sock, &exit_code, err);
        if (r < 0) {
                kill_and_reap(pidfd);
                if (ret_exit_code)
                        *ret_exit_code = exit_code;
                return r;
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
                kill_and_reap(pidfd);
                return ctr_error_sys(err, ENOMEM, "create the container");
        }
        c->pid = pid;
        c->pidfd = TAKE_FD(pidfd);
        c->sync_fd = TAKE_FD(parent_sock);
        if (ret_exit_code)
                *ret_exit_code = 0;
        *ret = c;
        return 0;
}

int
runtime_start(struct runtime_container *c, struct ctr_error **err)
{
        struct sync_msg m;
        int r;

        if (c->sync_fd < 0)
                return ctr_error_msg(err, EALREADY, "the container was already started");
        r = sync_send(c->sync_fd, SYNC_START);
        if (r < 0) {
                c->sync_fd = safe_close(c->sync_fd);
                return ctr_error_sys(err, -r, "tell the container init to start");
        }
        /* The sync socket is close-on-exec in the child: EOF means execve
         * succeeded (or the init died, which the pidfd reports). */
        r = sync_recv(c->sync_fd, &m);
        c->sync_fd = safe_close(c->sync_fd);
        if (r == -ECONNRESET)
                return 0;
        if (r < 0)
                return ctr_error_sys(err, -r, "read from the container init");
        if (m.kind != SYNC_ERROR)
                return ctr_error_msg(err, EPROTO, "unexpected sync message %u from the container init", m.kind);
        return ctr_error_msg(err, m.errnum > 0 ? m.errnum : EIO, "%s: %s", m.step, m.text);
}
