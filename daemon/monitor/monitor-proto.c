/* The daemon <-> monitor control channel codec: one JSON object per
 * SOCK_SEQPACKET packet with at most MONITOR_MSG_MAX_FDS fds. Shared by the daemon and the
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
        return monitor_msg_send_fds(sock, msg, &fd, fd >= 0 ? 1 : 0);
}

int
monitor_msg_send_fds(int sock, json_t *msg, const int *fds, size_t nfds)
{
        _cleanup_free_ char *text = NULL;
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int) * MONITOR_MSG_MAX_FDS)];
        } ctl = {};
        struct iovec iov;
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        size_t len;
        ssize_t n;

        if (!json_is_object(msg) || nfds > MONITOR_MSG_MAX_FDS)
                return -EINVAL;
        text = json_dumps(msg, JSON_COMPACT);
        if (!text)
                return -ENOMEM;
        len = strlen(text);
        if (len > MONITOR_MSG_MAX)
                return -EMSGSIZE;
        iov.iov_base = text;
        iov.iov_len = len;
        if (nfds > 0) {
                struct cmsghdr *c;
                mh.msg_control = ctl.buf;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
                c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
                memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
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
        int fds[MONITOR_MSG_MAX_FDS];
        size_t nfds = 0;
        int r = monitor_msg_recv_fds(sock, ret, fds, &nfds);

        if (r < 0)
                return r;
        if (nfds > 1) {
                for (size_t i = 0; i < nfds; i++)
                        safe_close(fds[i]);
                json_decref(*ret);
                *ret = NULL;
                return -EBADMSG;
        }
        if (ret_fd)
                *ret_fd = nfds == 1 ? fds[0] : -1;
        else if (nfds == 1)
                safe_close(fds[0]);
        return 0;
}

int
monitor_msg_recv_fds(int sock, json_t **ret, int *fds, size_t *ret_nfds)
{
        _cleanup_free_ char *buf = malloc(MONITOR_MSG_MAX + 1);
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int) * MONITOR_MSG_MAX_FDS)];
        } ctl;
        struct iovec iov = { .iov_base = buf, .iov_len = MONITOR_MSG_MAX + 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                             .msg_controllen = sizeof(ctl.buf) };
        json_t *msg;
        size_t nfds = 0;
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
                size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                if (nfds > 0 || k == 0 || k > MONITOR_MSG_MAX_FDS) {
                        close_passed(&mh);
                        return -EBADMSG;
                }
                memcpy(fds, CMSG_DATA(c), sizeof(int) * k);
                nfds = k;
        }
        msg = json_loadb(buf, (size_t) n, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(msg)) {
                json_decref(msg);
                close_passed(&mh);
                return -EBADMSG;
        }
        *ret = msg;
        *ret_nfds = nfds;
        return 0;
}
