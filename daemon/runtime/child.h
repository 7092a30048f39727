/* The child's side of runtime_create() (the container init) and of
 * runtime_exec() (a process joining a running container): the state the
 * setup steps share and the steps themselves. Runs only in the freshly
 * cloned child, which never logs and never returns (see child.c). Private
 * to runtime/. */
#pragma once

#include <stdbool.h>

#include "common/error.h"
#include "daemon/cgroup/cgroup.h"
#include "daemon/runtime/runtime.h"
#include "daemon/runtime/spec-internal.h"

/* The process to run: the spec's process section for the init, the
 * runtime_exec_params (with the spec's as defaults) for an exec. */
struct child_process {
        char *const *args;
        char *const *env;
        const char *cwd;
        uid_t uid;
        gid_t gid;
        const gid_t *groups;
        size_t n_groups;
        bool terminal;
        unsigned rows, cols;
};

struct child_ctx {
        const struct runtime_spec *spec;
        struct child_process proc;
        const struct runtime_stdio *stdio;
        int sync_fd;
        int new_ns;       /* CLONE_NEW* created for this container */
        int stdio_fds[3]; /* CLOEXEC copies >= 3 of the container's 0, 1, 2 */
        int rootfd;       /* O_PATH of the container root mount, until pivot */
        int devnull_fd;   /* O_PATH of the host's /dev/null, until pivot */
        char *exec_path;  /* args[0] resolved in the container's PATH */
        const struct cgroup_join *cgroup; /* NULL without linux.cgroupsPath */
        bool cgroup_born_in_unified; /* clone3 placed us (CLONE_INTO_CGROUP) */
        int init_pidfd;   /* exec only: the running init, whose namespaces we join */
        int join_ns;      /* exec only: CLONE_NEW* to join through init_pidfd */
        const struct seccomp_bpf *seccomp; /* compiled by the parent, or NULL */
        runtime_gate_fn gate; /* the parent's, before clone3, or NULL */
        void *gate_data;
        /* With a new user namespace (userns.c), each -1 without: */
        int sysfs_fd;      /* sysfs made by the parent in our network namespace */
        int root_mount_fd; /* the root, made by the parent over idmapped layers */
        int root_dir_fd;   /* O_PATH of root.path, the root's mount point */
        int *mount_fds;    /* per spec mount: its idmapped clone, or -1 (NULL: none) */
};

/* Never return: run every step of the init's (child_run) or an exec's
 * (child_exec_run) table, then execve() or _exit(). */
_noreturn_ void child_run(struct child_ctx *ctx);
_noreturn_ void child_exec_run(struct child_ctx *ctx);

/* child-terminal.c: with proc.terminal, a pty from the container's devpts;
 * the master goes to the parent (SYNC_PTY), the slave becomes the stashed
 * stdio and the controlling terminal. Needs setsid() done. */
int child_terminal(struct child_ctx *ctx, struct ctr_error **err);

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
