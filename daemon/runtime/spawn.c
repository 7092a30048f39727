/* The parent side of the spawn path: create the container's cgroup and
 * launch the container init into its namespaces (launch.c drives the named
 * sync stages and receives the pty master of a terminal), then release it
 * to execve. Called by the single-threaded monitor only. */
#include "daemon/runtime/runtime.h"

#include <errno.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/cgroup/cgroup.h"
#include "daemon/cgroup/resources.h"
#include "daemon/runtime/child.h"
#include "daemon/runtime/parent.h"
#include "daemon/runtime/sync.h"

int
runtime_create(const struct runtime_spec *spec, const struct runtime_stdio *stdio,
               struct runtime_container **ret, int *ret_exit_code, struct ctr_error **err)
{
        return runtime_create_gated(spec, stdio, NULL, NULL, ret, ret_exit_code, err);
}

int
runtime_create_gated(const struct runtime_spec *spec, const struct runtime_stdio *stdio,
                     runtime_gate_fn gate, void *gate_data, struct runtime_container **ret,
                     int *ret_exit_code, struct ctr_error **err)
{
        static const struct launch_plan plan = {
                .what = "the container init",
                .until_ready = true,
                .child_fn = child_run,
        };
        _cleanup_(cgroup_join_freep) struct cgroup_join *join = NULL;
        const char *cg = runtime_spec_cgroups_path(spec);
        int r;

        if (ret_exit_code)
                *ret_exit_code = 125;
        /* The cgroup exists before the child does, so it can be born in it.
         * The caller removes it (cgroup_destroy) whatever happens below. */
        if (cg) {
                r = cgroup_create(cg, err);
                if (r < 0)
                        return r;
                /* Limits are in force before the child exists, so every
                 * page and task of the setup already counts against them. */
                if (!cgroup_limits_empty(&spec->limits)) {
                        r = cgroup_limits_validate(&spec->limits, err);
                        if (r >= 0)
                                r = cgroup_limits_apply(cg, &spec->limits, err);
                        if (r < 0)
                                return ctr_error_prefix(err, -r, "cgroup limits");
                }
                /* Device access too: the setup steps (mounting /dev,
                 * opening the pty) already run under the rules. */
                r = cgroup_devices_apply(cg, spec->devices, spec->n_devices, err);
                if (r < 0)
                        return r;
                r = cgroup_join_prepare(cg, &join, err);
                if (r < 0)
                        return r;
        }
        return runtime_launch(&plan, &(struct child_ctx) {
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
                .stdio = stdio,
                /* The cgroup namespace is unshared by the child once it is
                 * in its cgroup (see step_cgroup_namespace in child.c). */
                .new_ns = runtime_spec_new_ns_flags(spec) & ~CLONE_NEWCGROUP,
                .cgroup = join,
                .init_pidfd = -1,
                .gate = gate,
                .gate_data = gate_data,
        }, ret, ret_exit_code, err);
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
