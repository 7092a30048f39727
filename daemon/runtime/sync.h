/* Named sync stages between runtime_create()/runtime_start() (parent) and
 * the container init during setup (child), one fixed-size message per
 * SOCK_SEQPACKET packet. Private to daemon/runtime/. */
#pragma once

#include <stdint.h>

enum sync_kind {
        SYNC_CGROUP_PLACED = 1, /* parent -> child: you are in your cgroup, go on */
        SYNC_READY,             /* child -> parent: set up, waiting for start */
        SYNC_START,             /* parent -> child: execve now */
        SYNC_ERROR,             /* child -> parent: a step failed, child exits */
};

struct sync_msg {
        uint32_t kind;
        int32_t errnum;
        char step[48];
        char text[1024];
};

/* Each returns 0 or -errno. */
int sync_send(int fd, enum sync_kind kind);
int sync_send_error(int fd, const char *step, int errnum, const char *text);
/* -ECONNRESET when the peer closed (or exec'd), -EBADMSG on a malformed packet. */
int sync_recv(int fd, struct sync_msg *ret);
