/* The sync messages of sync.h over a SOCK_SEQPACKET socketpair: fixed size,
 * one per packet, always NUL-terminated on receipt, at most one fd per
 * message. No allocation, so the child may use it anywhere. */
#include "daemon/runtime/sync.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "common/macros.h"

static int
sync_send_msg(int fd, const struct sync_msg *m, int passfd)
{
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = { 0 };
        struct iovec iov = { .iov_base = (void *) m, .iov_len = sizeof(*m) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        ssize_t n;

        if (passfd >= 0) {
                struct cmsghdr *c;

                mh.msg_control = control.buf;
                mh.msg_controllen = sizeof(control.buf);
                c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &passfd, sizeof(int));
        }
        do
                n = sendmsg(fd, &mh, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        return n == (ssize_t) sizeof(*m) ? 0 : -EIO;
}

int
sync_send(int fd, enum sync_kind kind)
{
        struct sync_msg m = { .kind = kind };

        return sync_send_msg(fd, &m, -1);
}

int
sync_send_fd(int fd, enum sync_kind kind, int passfd)
{
        struct sync_msg m = { .kind = kind };

        return sync_send_msg(fd, &m, passfd);
}

int
sync_send_mount(int fd, int32_t index, int mount_fd)
{
        struct sync_msg m = { .kind = SYNC_IDMAPPED_MOUNT, .index = index };

        return sync_send_msg(fd, &m, mount_fd);
}

int
sync_send_error(int fd, const char *step, int errnum, const char *text)
{
        struct sync_msg m = { .kind = SYNC_ERROR, .errnum = errnum };

        strncpy(m.step, step ? step : "", sizeof(m.step) - 1);
        strncpy(m.text, text ? text : "", sizeof(m.text) - 1);
        return sync_send_msg(fd, &m, -1);
}

int
sync_recv_fd(int fd, struct sync_msg *ret, int *ret_fd)
{
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control;
        struct iovec iov = { .iov_base = ret, .iov_len = sizeof(*ret) };
        struct msghdr mh = {
                .msg_iov = &iov, .msg_iovlen = 1,
                .msg_control = control.buf, .msg_controllen = sizeof(control.buf),
        };
        _cleanup_close_ int got = -1;
        ssize_t n;

        *ret_fd = -1;
        do
                n = recvmsg(fd, &mh, MSG_TRUNC | MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return errno == ECONNRESET ? -ECONNRESET : -errno;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
                    c->cmsg_len == CMSG_LEN(sizeof(int)))
                        memcpy(&got, CMSG_DATA(c), sizeof(int));
        if (n == 0)
                return -ECONNRESET;
        if (n != (ssize_t) sizeof(*ret) || (mh.msg_flags & MSG_CTRUNC) ||
            ret->kind < SYNC_CGROUP_PLACED || ret->kind > _SYNC_KIND_MAX)
                return -EBADMSG;
        ret->step[sizeof(ret->step) - 1] = 0;
        ret->text[sizeof(ret->text) - 1] = 0;
        *ret_fd = TAKE_FD(got);
        return 0;
}

int
sync_recv(int fd, struct sync_msg *ret)
{
        _cleanup_close_ int passed = -1;

        return sync_recv_fd(fd, ret, &passed);
}
