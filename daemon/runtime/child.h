/* The container init's side of runtime_create(): the state the setup steps
 * share and the steps themselves. Runs only in the freshly cloned child,
 * which never logs and never returns (see child.c). Private to runtime/. */
#pragma once

#include <stdbool.h>

#include "common/error.h"
#include "daemon/cgroup/cgroup.h"
#include "daemon/runtime/runtime.h"
#include "daemon/runtime/spec-internal.h"

struct child_ctx {
        const struct runtime_spec *spec;
        const struct runtime_stdio *stdio;
        int sync_fd;
        int new_ns;       /* CLONE_NEW* created for this container */
        int stdio_fds[3]; /* CLOEXEC copies >= 3 of the container's 0, 1, 2 */
        int rootfd;       /* O_PATH of the container root mount, until pivot */
        int devnull_fd;   /* O_PATH of the host's /dev/null, until pivot */
        char *exec_path;  /* args[0] resolved in the container's PATH */
        const struct cgroup_join *cgroup; /* NULL without linux.cgroupsPath */
        bool cgroup_born_in_unified; /* clone3 placed us (CLONE_INTO_CGROUP) */
};

/* Never returns: runs every step, then execve()s or _exit()s. */
_noreturn_ void child_run(struct child_ctx *ctx);

/* child-mounts.c */
int child_mount_propagation(struct child_ctx *ctx, struct ctr_error **err);
int child_mount_root(struct child_ctx *ctx, struct ctr_error **err);
int child_mount_spec_mounts(struct child_ctx *ctx, struct ctr_error **err);
int child_mount_dev(struct child_ctx *ctx, struct ctr_error **err);
int child_mount_masked_paths(struct child_ctx *ctx, struct ctr_error **err);
int child_mount_readonly_paths(struct child_ctx *ctx, struct ctr_error **err);
int child_pivot_root(struct child_ctx *ctx, struct ctr_error **err);
int child_mount_root_readonly(struct child_ctx *ctx, struct ctr_error **err);

/* child-identity.c */
int child_drop_bounding_set(struct child_ctx *ctx, struct ctr_error **err);
int child_switch_user(struct child_ctx *ctx, struct ctr_error **err);
int child_set_capabilities(struct child_ctx *ctx, struct ctr_error **err);

/* exec-path.c: finds name in the PATH of env (or the default PATH), like
 * execvp() but without running anything. Returns 0 with *ret (caller frees),
 * -ENOENT when not found, -EACCES when found but not executable. */
int runtime_find_executable(const char *name, char *const *env, char **ret);
