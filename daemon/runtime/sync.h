/* Named sync stages between the runtime's parent side (runtime_create,
 * runtime_start, runtime_exec) and the child during setup, one fixed-size
 * message per SOCK_SEQPACKET packet, optionally carrying one fd
 * (SCM_RIGHTS). Private to daemon/runtime/. */
#pragma once

#include <stdint.h>

enum sync_kind {
        SYNC_CGROUP_PLACED = 1, /* parent -> child: you are in your cgroup, go on */
        SYNC_READY,             /* child -> parent: set up, waiting for start */
        SYNC_START,             /* parent -> child: execve now */
        SYNC_ERROR,             /* child -> parent: a step failed, child exits */
        SYNC_PTY,               /* child -> parent: the pty master, as the fd */
        /* With a new user namespace, after "cgroup placed" (userns.c): */
        SYNC_IDMAPPED_MOUNT,    /* parent -> child: a detached mount made for the container's
                                 * user namespace, as the fd; index: the spec mount it
                                 * replaces, or -1 for the overlay root */
        SYNC_ID_MAPPED,         /* parent -> child: id maps written, every mount sent, go on */
        _SYNC_KIND_MAX = SYNC_ID_MAPPED,
};

struct sync_msg {
        uint32_t kind;
        int32_t errnum;
        int32_t index; /* SYNC_IDMAPPED_MOUNT only */
        char step[48];
        char text[1024];
};

/* Each returns 0 or -errno. */
int sync_send(int fd, enum sync_kind kind);
/* Sends kind with passfd attached (SCM_RIGHTS); the caller keeps passfd. */
int sync_send_fd(int fd, enum sync_kind kind, int passfd);
/* SYNC_IDMAPPED_MOUNT with index and mount_fd attached. */
int sync_send_mount(int fd, int32_t index, int mount_fd);
int sync_send_error(int fd, const char *step, int errnum, const char *text);
/* -ECONNRESET when the peer closed (or exec'd), -EBADMSG on a malformed
 * packet. A received fd is closed. */
int sync_recv(int fd, struct sync_msg *ret);
/* Like sync_recv(), and *ret_fd is the attached fd (O_CLOEXEC, caller
 * owns it) or -1. */
int sync_recv_fd(int fd, struct sync_msg *ret, int *ret_fd);
