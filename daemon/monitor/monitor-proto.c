/* The daemon <-> monitor control channel codec: one JSON object per
 * SOCK_SEQPACKET packet with at most one fd. Shared by the daemon and the
 * monitor; does no logging and keeps no state. */
#include "daemon/monitor/monitor-proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/macros.h"

int
monitor_msg_send(int sock, json_t *msg, int fd)
{
        _cleanup_free_ char *text = NULL;
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } ctl = {};
        struct iovec iov;
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        size_t len;
        ssize_t n;

        if (!json_is_object(msg))
                return -EINVAL;
        text = json_dumps(msg, JSON_COMPACT);
        if (!text)
                return -ENOMEM;
        len = strlen(text);
        if (len > MONITOR_MSG_MAX)
                return -EMSGSIZE;
        iov.iov_base = text;
        iov.iov_len = len;
        if (fd >= 0) {
                struct cmsghdr *c;
                mh.msg_control = ctl.buf;
                mh.msg_controllen = sizeof(ctl.buf);
                c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &fd, sizeof(int));
        }
        do
                n = sendmsg(sock, &mh, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        return (size_t) n == len ? 0 : -EIO;
}

/* Closes every fd in the control data (used when the packet is refused). */
static void
close_passed(struct msghdr *mh)
{
        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < nfd; i++) {
                        int fd;
                        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                        safe_close(fd);
                }
        }
}

int
monitor_msg_recv(int sock, json_t **ret, int *ret_fd)
{
        _cleanup_free_ char *buf = malloc(MONITOR_MSG_MAX + 1);
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int) * 4)];
        } ctl;
        struct iovec iov = { .iov_base = buf, .iov_len = MONITOR_MSG_MAX + 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                             .msg_controllen = sizeof(ctl.buf) };
        json_t *msg;
        int fd = -1;
        ssize_t n;

        if (!buf)
                return -ENOMEM;
        do
                n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        if (n == 0 && mh.msg_controllen == 0)
                return -ECONNRESET;
        if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || n > MONITOR_MSG_MAX) {
                close_passed(&mh);
                return -EMSGSIZE;
        }
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                if (c->cmsg_len != CMSG_LEN(sizeof(int)) || fd >= 0) {
                        close_passed(&mh); /* closes fd too */
                        return -EBADMSG;
                }
                memcpy(&fd, CMSG_DATA(c), sizeof(int));
        }
        msg = json_loadb(buf, (size_t) n, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(msg)) {
                json_decref(msg);
                safe_close(fd);
                return -EBADMSG;
        }
        *ret = msg;
        if (ret_fd)
                *ret_fd = fd;
        else
                safe_close(fd);
        return 0;
}
