/* The spawn path: turns an OCI runtime-spec config.json and a rootfs into a
 * running container init. Knows nothing of the daemon, the protocol or
 * libevent; used by containerctl-monitor (single-threaded) only.
 * See docs/ARCHITECTURE.md "Spawn path" for the ordered setup steps. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"

struct runtime_spec;

/* Parses the subset of the OCI runtime spec we support from config_path.
 * Unknown fields are ignored; malformed known fields are an error naming
 * the field. The caller frees with runtime_spec_free(). */
int runtime_spec_load(const char *config_path, struct runtime_spec **ret, struct ctr_error **err);
void runtime_spec_free(struct runtime_spec *spec);
DEFINE_FREEP(struct runtime_spec, runtime_spec_free)

/* linux.cgroupsPath of the spec, or NULL. Borrowed from spec. */
const char *runtime_spec_cgroups_path(const struct runtime_spec *spec);
/* linux.resources of the spec (every field CGROUP_UNSET when absent; see
 * daemon/cgroup/resources.h). Borrowed from spec. */
struct cgroup_limits;
const struct cgroup_limits *runtime_spec_limits(const struct runtime_spec *spec);

/* Host fds that become the container's 0, 1 and 2 (duplicated; the caller
 * keeps its own). A negative fd means /dev/null. */
struct runtime_stdio {
        int in_fd;
        int out_fd;
        int err_fd;
};

struct runtime_container;

/* Creates the container init with clone3() in the namespaces the spec asks
 * for, places it in linux.cgroupsPath (cgroup_create, then the limits of
 * linux.resources checked against the host and applied — a value the kernel
 * refuses fails the create with its reason —, then cgroup_enter, before
 * the child runs any step), and runs every setup step in the child up to,
 * not including, execve: the child then waits for runtime_start(). The
 * command is resolved in the container's PATH before the wait, so "not
 * found" is reported here. stdio may be NULL (all /dev/null); with
 * process.terminal it is ignored: 0/1/2 are a pty (runtime_container_take_pty).
 *
 * On failure the child is killed and reaped, *err says which step failed
 * and why ("mounts: mount `proc` on `/proc`: Operation not permitted"), and
 * *ret_exit_code (may be NULL) is the Docker-style code for it: 127 command
 * not found, 126 not executable, 125 anything else. The cgroup is NOT
 * removed here, on failure or later: the caller (monitor/daemon) owns its
 * removal with cgroup_destroy(), on failure and after the init exited.
 * Call only from a single-threaded process. */
int runtime_create(const struct runtime_spec *spec, const struct runtime_stdio *stdio,
                   struct runtime_container **ret, int *ret_exit_code, struct ctr_error **err);

/* runtime_create() that calls gate(gate_data) once everything before
 * clone3 is done (cgroup, limits, device rules, seccomp program) and goes
 * on only if it returns >= 0: the monitor waits there for the daemon to
 * finish the network namespace the spec names, doing its own setup
 * meanwhile. A gate's error is the create's. */
typedef int (*runtime_gate_fn)(void *gate_data, struct ctr_error **err);
int runtime_create_gated(const struct runtime_spec *spec, const struct runtime_stdio *stdio,
                         runtime_gate_fn gate, void *gate_data, struct runtime_container **ret,
                         int *ret_exit_code, struct ctr_error **err);

pid_t runtime_container_pid(const struct runtime_container *c);
/* pidfd of the init; owned by c. Readable (POLLIN) when the init exits. */
int runtime_container_pidfd(const struct runtime_container *c);

/* Lets the init execve. Returns 0 once execve succeeded (the CLOEXEC sync
 * socket closed); if execve failed returns its -errno with *err set
 * ("execve: execute `/bin/x`: Exec format error"), and the init exits with
 * 127 (ENOENT) or 126. Either way the caller reaps the init via the pidfd.
 * Call at most once. */
int runtime_start(struct runtime_container *c, struct ctr_error **err);

/* With process.terminal, the pty master the init's 0/1/2 are the other
 * end of (allocated in the container's own devpts instance). Ownership
 * passes to the caller; -1 without a terminal or when already taken. */
int runtime_container_take_pty(struct runtime_container *c);

/* What runtime_exec() runs. args must be non-empty; env NULL means the
 * spec's process.env, cwd NULL its process.cwd. With terminal, rows/cols
 * (when both > 0) are the pty's initial size and stdio is ignored. */
struct runtime_exec_params {
        char **args;
        char **env;
        const char *cwd;
        uid_t uid;
        gid_t gid;
        gid_t *groups;
        size_t n_groups;
        bool terminal;
        unsigned rows, cols;
};

/* Starts p's command inside the running container whose init has the
 * pidfd init_pidfd: in every namespace the spec lists (joined through the
 * init's pidfd, setns(2), kernel 5.8+), in linux.cgroupsPath, with the
 * spec's capabilities, no_new_privs and rlimits, as p's user, in p's cwd.
 * Returns once the command has exec'd; the result's pid/pidfd/take_pty
 * work as for runtime_create() (runtime_start() does not apply). The
 * process is a child of the caller, which reaps it through its pidfd.
 * On failure nothing is left running, *err names the step, and
 * *ret_exit_code (may be NULL) is 127 (not found), 126 (not executable)
 * or 125. Call only from a single-threaded process: it briefly sets the
 * caller's pid namespace for children (see launch.c). */
int runtime_exec(const struct runtime_spec *spec, int init_pidfd, const struct runtime_exec_params *p,
                 const struct runtime_stdio *stdio, struct runtime_container **ret, int *ret_exit_code,
                 struct ctr_error **err);

/* Frees c and its fds. Does not signal or reap the init; an init that was
 * never started sees its sync socket close and exits with 125, so the
 * caller still reaps it. */
void runtime_container_free(struct runtime_container *c);
DEFINE_FREEP(struct runtime_container, runtime_container_free)
