/* The parent side of the spawn path: clone3() the container init into its
 * namespaces, place it in its cgroup, drive the named sync stages (and
 * receive the pty master of a terminal). Called by the single-threaded
 * monitor only. Shared helpers are in parent.c. */
#include "daemon/runtime/runtime.h"

#include <errno.h>
#include <stdbool.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/cgroup/cgroup.h"
#include "daemon/runtime/child.h"
#include "daemon/runtime/parent.h"
#include "daemon/runtime/sync.h"

/* Parent half of the stages: place the child, let it run its steps, and
 * wait for "ready" or its error. A terminal's pty master arrives before
 * "ready" (SYNC_PTY). */
static int
drive_setup(int sync_fd, int *ret_pty, int *ret_exit_code, struct ctr_error **err)
{
        int r;

        *ret_exit_code = 125;
        r = sync_send(sync_fd, SYNC_CGROUP_PLACED);
        if (r < 0)
                return ctr_error_sys(err, -r, "tell the container init to proceed");
        for (;;) {
                _cleanup_close_ int fd = -1;
                struct sync_msg m;

                r = sync_recv_fd(sync_fd, &m, &fd);
                if (r == -ECONNRESET)
                        return ctr_error_msg(err, EIO, "the container init exited during setup");
                if (r < 0)
                        return ctr_error_sys(err, -r, "read from the container init");
                if (m.kind == SYNC_ERROR)
                        return runtime_sync_error(&m, ret_exit_code, err);
                if (m.kind == SYNC_PTY && fd >= 0 && *ret_pty < 0) {
                        *ret_pty = TAKE_FD(fd);
                        continue;
                }
                if (m.kind != SYNC_READY)
                        return ctr_error_msg(err, EPROTO, "unexpected sync message %u from the container init", m.kind);
                *ret_exit_code = 0;
                return 0;
        }
}

int
runtime_create(const struct runtime_spec *spec, const struct runtime_stdio *stdio,
               struct runtime_container **ret, int *ret_exit_code, struct ctr_error **err)
{
        static const struct runtime_stdio null_stdio = { -1, -1, -1 };
        _cleanup_(cgroup_join_freep) struct cgroup_join *join = NULL;
        _cleanup_close_ int parent_sock = -1, pidfd = -1, pty = -1;
        const char *cg = runtime_spec_cgroups_path(spec);
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
        pid = runtime_clone(ns_flags, join ? cgroup_join_clone_fd(join) : -1, &pidfd, &into_cgroup);
        if (pid < 0) {
                safe_close(sv[1]);
                return ctr_error_sys(err, -pid, "clone3 the container init");
        }
        if (pid == 0) {
                struct child_ctx ctx = {
                        .spec = spec,
                        .proc = {
                                .args = spec->args,
                                .env = spec->env,
                                .cwd = spec->cwd,
                                .uid = spec->uid,
                                .gid = spec->gid,
                                .groups = spec->additional_gids,
                                .n_groups = spec->n_additional_gids,
                                .terminal = spec->terminal,
                                .rows = spec->console_rows,
                                .cols = spec->console_cols,
                        },
                        .stdio = stdio ? stdio : &null_stdio,
                        .sync_fd = sv[1],
                        .new_ns = ns_flags,
                        .stdio_fds = { -1, -1, -1 },
                        .rootfd = -1,
                        .devnull_fd = -1,
                        .cgroup = join,
                        .cgroup_born_in_unified = into_cgroup,
                        .init_pidfd = -1,
                };
                safe_close(sv[0]);
                child_run(&ctx);
        }
        safe_close(sv[1]);

        r = drive_setup(parent_sock, &pty, &exit_code, err);
        if (r < 0) {
                runtime_kill_and_reap(pidfd);
                if (ret_exit_code)
                        *ret_exit_code = exit_code;
                return r;
        }
        r = runtime_container_new(pid, &pidfd, &parent_sock, &pty, ret);
        if (r < 0) {
                runtime_kill_and_reap(pidfd);
                return ctr_error_sys(err, -r, "create the container");
        }
        if (ret_exit_code)
                *ret_exit_code = 0;
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
