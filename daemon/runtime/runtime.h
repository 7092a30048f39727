/* The spawn path: turns an OCI runtime-spec config.json and a rootfs into a
 * running container init. Knows nothing of the daemon, the protocol or
 * libevent; used by containerctl-monitor (single-threaded) only.
 * See docs/ARCHITECTURE.md "Spawn path" for the ordered setup steps. */
#pragma once

#include <stdbool.h>
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

/* Host fds that become the container's 0, 1 and 2 (duplicated; the caller
 * keeps its own). A negative fd means /dev/null. */
struct runtime_stdio {
        int in_fd;
        int out_fd;
        int err_fd;
};

struct runtime_container;

/* Creates the container init with clone3() in the namespaces the spec asks
 * for, places it in linux.cgroupsPath (cgroup_create + cgroup_enter, before
 * the child runs any step), and runs every setup step in the child up to,
 * not including, execve: the child then waits for runtime_start(). The
 * command is resolved in the container's PATH before the wait, so "not
 * found" is reported here. stdio may be NULL (all /dev/null).
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

pid_t runtime_container_pid(const struct runtime_container *c);
/* pidfd of the init; owned by c. Readable (POLLIN) when the init exits. */
int runtime_container_pidfd(const struct runtime_container *c);

/* Lets the init execve. Returns 0 once execve succeeded (the CLOEXEC sync
 * socket closed); if execve failed returns its -errno with *err set
 * ("execve: execute `/bin/x`: Exec format error"), and the init exits with
 * 127 (ENOENT) or 126. Either way the caller reaps the init via the pidfd.
 * Call at most once. */
int runtime_start(struct runtime_container *c, struct ctr_error **err);

/* Frees c and its fds. Does not signal or reap the init; an init that was
 * never started sees its sync socket close and exits with 125, so the
 * caller still reaps it. */
void runtime_container_free(struct runtime_container *c);
DEFINE_FREEP(struct runtime_container, runtime_container_free)
