/* A container in its own user namespace (issue 7): the parent's side
 * (namespaces to join entered around clone3, the id maps, idmapped mounts
 * of the image layers and the bind mounts, sent to the child) and the
 * child's side (receiving them, becoming root of the namespace). Private to
 * daemon/runtime/. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "daemon/runtime/spec-internal.h"

struct child_ctx;

/* The namespaces of the monitor that runtime_userns_enter() left. */
struct userns_saved {
        int own_fds[8];
        int flags[8];
        size_t n;
};

/* Parent, before clone3 of an init that creates a user namespace: enters
 * every namespace the spec joins by path, so the child is born in them
 * (it could not setns into one owned by the host's user namespace from
 * inside its own: setns(2) needs CAP_SYS_ADMIN over the owner). Without a
 * network namespace of its own, sysfs is made here too (*ret_sysfs_fd, or
 * -1): sysfs(5) may be mounted only by a process privileged over the
 * network namespace it shows. Undo with runtime_userns_leave(), also on
 * failure (s is then partly filled). */
int runtime_userns_enter(const struct runtime_spec *spec, struct userns_saved *s, int *ret_sysfs_fd,
                         struct ctr_error **err);
int runtime_userns_leave(struct userns_saved *s, struct ctr_error **err);

/* Parent, after "cgroup placed": writes pid's uid_map and gid_map, makes
 * the overlay root over idmapped layers and an idmapped clone of each bind
 * mount, and sends them over sync_fd (SYNC_IDMAPPED_MOUNT), then
 * SYNC_ID_MAPPED. */
int runtime_userns_setup(const struct runtime_spec *spec, pid_t pid, int sync_fd, struct ctr_error **err);

/* Child step "user namespace": receives the parent's mounts, then becomes
 * root of the new user namespace. No-op without one. */
int child_userns(struct child_ctx *ctx, struct ctr_error **err);
