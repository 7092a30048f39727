/* The parent-side pieces runtime_create() (spawn.c) and runtime_exec()
 * (exec.c) share: the runtime_container handle, the clone3 call, killing
 * a half-set-up child, turning a child's error message into a struct
 * ctr_error (parent.c), and the whole launch of one child (launch.c).
 * Private to daemon/runtime/. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "daemon/runtime/sync.h"

struct runtime_container {
        pid_t pid;
        int pidfd;
        int sync_fd; /* create only, until runtime_start() */
        int pty_fd;  /* process.terminal: the pty master, until taken */
};

/* Takes the fds (sets them to -1) into a new handle; -ENOMEM leaves them. */
int runtime_container_new(pid_t pid, int *pidfd, int *sync_fd, int *pty_fd, struct runtime_container **ret);

/* fork()-like clone3 with CLONE_PIDFD and flags: returns 0 in the child,
 * the pid in the parent, -errno on failure. With cgroup_fd >= 0 the child
 * is born in that cgroup2 directory (CLONE_INTO_CGROUP, 5.7+);
 * *ret_into_cgroup says whether that happened. */
pid_t runtime_clone(int flags, int cgroup_fd, int *ret_pidfd, bool *ret_into_cgroup);

/* SIGKILL through the pidfd, then reap. */
void runtime_kill_and_reap(int pidfd);

/* A SYNC_ERROR message as "<step>: <text>" in *err; *ret_exit_code is 127
 * or 126 for a command not found / not executable, else 125. */
int runtime_sync_error(const struct sync_msg *m, int *ret_exit_code, struct ctr_error **err);

struct child_ctx;

/* What differs between launching the init and an exec. */
struct launch_plan {
        const char *what; /* "the container init", "the exec process": for messages */
        /* The init: the "cgroup placed" and "ready" stages, and the sync
         * socket kept for runtime_start(). An exec: until its execve. */
        bool until_ready;
        /* Born in the pid namespace of ctx->init_pidfd (see launch.c). */
        bool join_pid_ns;
        _noreturn_ void (*child_fn)(struct child_ctx *ctx);
};

/* Clones a child with ctx->new_ns (into ctx->cgroup when set) that runs
 * plan->child_fn(ctx), and drives its sync stages. Sets ctx->sync_fd,
 * ctx->cgroup_born_in_unified and the fds the child fills itself; a NULL
 * ctx->stdio means /dev/null. On success *ret owns the pidfd, the pty
 * master and (the init only) the sync socket. On failure the child is
 * killed and reaped, and *ret_exit_code (may be NULL) is 127, 126 or 125
 * as runtime_sync_error() says. Single-threaded callers only. */
int runtime_launch(const struct launch_plan *plan, struct child_ctx *ctx, struct runtime_container **ret,
                   int *ret_exit_code, struct ctr_error **err);
