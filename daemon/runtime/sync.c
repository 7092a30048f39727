/* The sync messages of sync.h over a SOCK_SEQPACKET socketpair: fixed size,
 * one per packet, always NUL-terminated on receipt. No allocation, so the
 * child may use it anywhere. */
#include "daemon/runtime/sync.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "common/macros.h"

static int
sync_send_msg(int fd, const struct sync_msg *m)
{
        ssize_t n;

        do
                n = send(fd, m, sizeof(*m), MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        return n == (ssize_t) sizeof(*m) ? 0 : -EIO;
}

int
sync_send(int fd, enum sync_kind kind)
{
        struct sync_msg m = { .kind = kind };

        return sync_send_msg(fd, &m);
}

int
sync_send_error(int fd, const char *step, int errnum, const char *text)
{
        struct sync_msg m = { .kind = SYNC_ERROR, .errnum = errnum };

        strncpy(m.step, step ? step : "", sizeof(m.step) - 1);
        strncpy(m.text, text ? text : "", sizeof(m.text) - 1);
        return sync_send_msg(fd, &m);
}

int
sync_recv(int fd, struct sync_msg *ret)
{
        ssize_t n;

        do
                n = recv(fd, ret, sizeof(*ret), MSG_TRUNC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return errno == ECONNRESET ? -ECONNRESET : -errno;
        if (n == 0)
                return -ECONNRESET;
        if (n != (ssize_t) sizeof(*ret) || ret->kind < SYNC_CGROUP_PLACED || ret->kind > SYNC_ERROR)
                return -EBADMSG;
        ret->step[sizeof(ret->step) - 1] = 0;
        ret->text[sizeof(ret->text) - 1] = 0;
        return 0;
}
