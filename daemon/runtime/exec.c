/* The parent side of runtime_exec(): one more process in a running
 * container. The caller (the monitor) clones it directly (launch.c), so it
 * is the caller's own child, reaped through its pidfd like the init. The
 * child runs the exec step table of child.c and execve()s; we return when
 * it has (the sync socket is close-on-exec) or with its step's error. */
#include "daemon/runtime/runtime.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>

#include "daemon/cgroup/cgroup.h"
#include "daemon/runtime/child.h"
#include "daemon/runtime/parent.h"

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
        _cleanup_(cgroup_join_freep) struct cgroup_join *join = NULL;
        const char *cg = runtime_spec_cgroups_path(spec);
        int join_ns = 0, r;

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
        return runtime_launch(&(struct launch_plan) {
                .what = "the exec process",
                .join_pid_ns = join_ns & CLONE_NEWPID,
                .child_fn = child_exec_run,
        }, &(struct child_ctx) {
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
                .stdio = stdio,
                .cgroup = join,
                .init_pidfd = init_pidfd,
                /* The pid namespace is joined by the clone itself. */
                .join_ns = join_ns & ~CLONE_NEWPID,
        }, ret, ret_exit_code, err);
}
