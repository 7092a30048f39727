/* The client side of the socket: connect, write one request line, read
 * lines until the matching reply. Blocking I/O only; the client is a
 * one-shot program, so there is no event loop here. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client/connection.h"
#include "common/fs-util.h"
#include "common/macros.h"

void
conn_free(struct conn *c)
{
        if (!c)
                return;
        safe_close(c->fd);
        proto_line_buffer_free(&c->buf);
        free(c->path);
        free(c);
}

int
conn_open(const char *path, struct conn **ret, struct ctr_error **err)
{
        _cleanup_close_ int fd = -1;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct conn *c;

        if (strlen(path) >= sizeof(sa.sun_path))
                return ctr_error_msg(err, ENAMETOOLONG,
                                     "cannot connect to containerctld at %s: socket path too long",
                                     path);
        memcpy(sa.sun_path, path, strlen(path) + 1);

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return ctr_error_sys(err, errno, "cannot create a socket");
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int e = errno;

                /* The socket is 0660 root:containerctl: say what to do. */
                if (e == EACCES)
                        return ctr_error_msg(err, e,
                                             "permission denied connecting to containerctld at %s: "
                                             "only root and members of group containerctl (or "
                                             "containerctl-admin) may use it",
                                             path);
                return ctr_error_msg(err, e,
                                     "cannot connect to containerctld at %s: %s (is the daemon running?)",
                                     path, strerror(e));
        }

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->path = strdup(path);
        if (!c->path) {
                free(c);
                return -ENOMEM;
        }
        c->fd = TAKE_FD(fd);
        c->next_id = 1;
        proto_line_buffer_init(&c->buf, PROTO_MAX_LINE);
        *ret = c;
        return 0;
}

/* Reads more bytes into the line buffer; 0 on EOF. */
static int
conn_fill(struct conn *c, struct ctr_error **err)
{
        char tmp[65536];
        ssize_t n;
        int r;

        do
                n = read(c->fd, tmp, sizeof(tmp));
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return ctr_error_sys(err, errno, "read from containerctld");
        if (n == 0)
                return 0;
        r = proto_line_buffer_feed(&c->buf, tmp, (size_t) n);
        if (r < 0)
                return ctr_error_sys(err, -r, "reply from containerctld");
        return 1;
}

/* The first bytes go with the fds in one sendmsg, the rest as usual. */
/* write_all() for the socket, without SIGPIPE: a daemon that closed on
 * us is an error to report (and its last line may still be read), not a
 * reason to die. */
static int
send_all(int fd, const char *buf, size_t len)
{
        while (len > 0) {
                ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                buf += n;
                len -= (size_t) n;
        }
        return 0;
}

static int
send_with_fds(int fd, const char *buf, size_t len, const int *fds, size_t nfds)
{
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int) * 3)];
        } ctl = {};
        struct iovec iov = { .iov_base = (void *) buf, .iov_len = len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                             .msg_controllen = CMSG_SPACE(sizeof(int) * nfds) };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        ssize_t n;

        if (nfds > 3)
                return -EINVAL;
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
        do
                n = sendmsg(fd, &mh, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        return send_all(fd, buf + n, len - (size_t) n);
}

int
conn_call(struct conn *c, const char *method, json_t *params, conn_notify_fn notify,
          void *userdata, struct proto_reply *ret, struct ctr_error **err)
{
        json_auto_t *id = json_integer(c->next_id++);
        _cleanup_free_ char *line = NULL;
        int r;

        line = proto_encode_request(id, method, params);
        if (!line)
                return ctr_error_msg(err, ENOMEM, "cannot encode request %s", method);
        r = c->n_pass_fds > 0 ? send_with_fds(c->fd, line, strlen(line), c->pass_fds, c->n_pass_fds)
                              : send_all(c->fd, line, strlen(line));
        c->pass_fds = NULL;
        c->n_pass_fds = 0;
        /* A daemon that refuses us at connect writes one error line and
         * closes: our write then fails (EPIPE, no SIGPIPE: send_all), but
         * its line is there to read. */
        if (r < 0 && r != -EPIPE && r != -ECONNRESET)
                return ctr_error_sys(err, -r, "send %s to containerctld", method);

        for (;;) {
                _cleanup_free_ char *l = NULL, *msg = NULL;
                struct proto_reply reply;
                size_t len;

                r = proto_line_buffer_take(&c->buf, &l, &len);
                if (r < 0)
                        return ctr_error_sys(err, -r, "read reply");
                if (r == 0) {
                        r = conn_fill(c, err);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                return ctr_error_msg(err, ECONNRESET,
                                                     "containerctld closed the connection "
                                                     "before replying to %s", method);
                        continue;
                }
                r = proto_reply_decode(l, len, &reply, &msg);
                if (r < 0)
                        return ctr_error_msg(err, -r, "bad reply from containerctld: %s",
                                             msg ? msg : strerror(-r));
                if (reply.method) {
                        if (notify)
                                notify(&reply, userdata);
                        proto_reply_clear(&reply);
                        continue;
                }
                /* A reply to an id we did not send (or null, for a request
                 * the daemon could not parse) is the daemon telling us
                 * something went wrong; only ours ends the wait. */
                if (!json_equal(reply.id, id) && !json_is_null(reply.id)) {
                        proto_reply_clear(&reply);
                        continue;
                }
                *ret = reply;
                return 0;
        }
}
