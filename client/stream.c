/* Reads binary frames after an attach (see proto/PROTOCOL.md, "Attach
 * stream") and copies their payloads to our stdout/stderr, keeping the two
 * apart. Signals arrive through a signalfd so the loop is one poll(). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "client/stream.h"
#include "common/parse.h"

int
exit_code_from_result(json_t *result)
{
        json_t *v = json_object_get(result, "exit_code");

        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 255)
                return EXIT_USAGE;
        return (int) json_integer_value(v);
}

/* Forwards sig as container.kill on its own connection, so the attach
 * stream is never interleaved with a request (docker's sig-proxy). */
static void
forward_signal(struct client *cl, const char *id, int sig)
{
        _cleanup_conn_ struct conn *c = NULL;
        _cleanup_error_ struct ctr_error *err = NULL;
        json_auto_t *params = json_pack("{s:s, s:i}", "container", id, "signal", sig);
        struct proto_reply reply;

        if (!params || client_connect_new(cl, &c) < 0)
                return;
        if (conn_call(c, "container.kill", params, NULL, NULL, &reply, &err) < 0) {
                fprintf(stderr, "Error: forwarding %s: %s\n", signal_to_name(sig),
                        err ? err->message : "failed");
                return;
        }
        /* The container may have exited meanwhile: not worth a message. */
        proto_reply_clear(&reply);
}

static int
wait_exit_code(struct client *cl, const char *id)
{
        _cleanup_conn_ struct conn *c = NULL;
        _cleanup_error_ struct ctr_error *err = NULL;
        json_auto_t *params = json_pack("{s:s}", "container", id);
        struct proto_reply reply;
        int code;

        if (!params || client_connect_new(cl, &c) < 0)
                return EXIT_USAGE;
        if (conn_call(c, "container.wait", params, NULL, NULL, &reply, &err) < 0) {
                fprintf(stderr, "Error: %s\n", err ? err->message : "container.wait failed");
                return EXIT_USAGE;
        }
        if (reply.is_error) {
                client_print_reply_error(&reply);
                code = EXIT_USAGE;
        } else
                code = exit_code_from_result(reply.result);
        proto_reply_clear(&reply);
        return code;
}

/* Frame parser state over a byte stream. */
struct demux {
        uint8_t header[PROTO_FRAME_HEADER_SIZE];
        size_t header_len;
        uint8_t type;
        uint32_t remaining; /* payload bytes still to come for this frame */
        char *exit_payload;
        size_t exit_len;
        bool exited;
        int exit_code;
};

static int
handle_exit_payload(struct demux *d)
{
        json_auto_t *j = json_loadb(d->exit_payload ? d->exit_payload : "", d->exit_len, 0, NULL);

        d->exited = true;
        d->exit_code = j ? exit_code_from_result(j) : EXIT_USAGE;
        if (!j)
                fprintf(stderr, "Error: malformed exit frame from containerctld\n");
        return 0;
}

/* Consumes n bytes of stream. Returns 0, or -errno on a protocol error. */
static int
demux_feed(struct demux *d, const uint8_t *p, size_t n)
{
        int r;

        while (n > 0 && !d->exited) {
                if (d->remaining == 0 && d->header_len < PROTO_FRAME_HEADER_SIZE) {
                        size_t k = PROTO_FRAME_HEADER_SIZE - d->header_len;

                        if (k > n)
                                k = n;
                        memcpy(d->header + d->header_len, p, k);
                        d->header_len += k;
                        p += k;
                        n -= k;
                        if (d->header_len < PROTO_FRAME_HEADER_SIZE)
                                break;
                        r = proto_frame_header_decode(d->header, &d->type, &d->remaining);
                        if (r < 0)
                                return r;
                        if (d->type == PROTO_FRAME_EXIT) {
                                free(d->exit_payload);
                                d->exit_payload = malloc(d->remaining + 1);
                                d->exit_len = 0;
                                if (!d->exit_payload)
                                        return -ENOMEM;
                        }
                        if (d->remaining == 0) {
                                d->header_len = 0;
                                if (d->type == PROTO_FRAME_EXIT)
                                        handle_exit_payload(d);
                        }
                        continue;
                }

                size_t k = d->remaining < n ? d->remaining : n;

                switch (d->type) {
                case PROTO_FRAME_STDOUT:
                case PROTO_FRAME_STDERR:
                        /* A closed stdout (| head) must not stop the exit code. */
                        (void) write_all(d->type == PROTO_FRAME_STDOUT ? STDOUT_FILENO : STDERR_FILENO,
                                         p, k);
                        break;
                case PROTO_FRAME_EXIT:
                        memcpy(d->exit_payload + d->exit_len, p, k);
                        d->exit_len += k;
                        break;
                default:
                        break; /* stdin/control from the daemon: ignored */
                }
                p += k;
                n -= k;
                d->remaining -= (uint32_t) k;
                if (d->remaining == 0) {
                        d->header_len = 0;
                        if (d->type == PROTO_FRAME_EXIT)
                                handle_exit_payload(d);
                }
        }
        return 0;
}

int
stream_attach(struct client *cl, struct conn *c, const char *container_id)
{
        _cleanup_close_ int sfd = -1;
        struct demux d = {};
        sigset_t mask, old;
        int r, code;

        /* SIGPIPE would kill us on a closed stdout before we learn the exit code. */
        signal(SIGPIPE, SIG_IGN);
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, &old);
        sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

        /* Frame bytes that arrived together with the reply line. */
        r = demux_feed(&d, (const uint8_t *) c->buf.data + c->buf.off, c->buf.len - c->buf.off);
        c->buf.off = c->buf.len;

        while (r >= 0 && !d.exited) {
                struct pollfd p[2] = {
                        { .fd = c->fd, .events = POLLIN },
                        { .fd = sfd, .events = POLLIN },
                };
                uint8_t buf[65536];
                ssize_t n;

                if (poll(p, sfd >= 0 ? 2 : 1, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                if (sfd >= 0 && (p[1].revents & POLLIN)) {
                        struct signalfd_siginfo si;

                        while (read(sfd, &si, sizeof(si)) == sizeof(si))
                                forward_signal(cl, container_id, (int) si.ssi_signo);
                }
                if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
                        continue;
                n = read(c->fd, buf, sizeof(buf));
                if (n < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        r = -errno;
                        break;
                }
                if (n == 0)
                        break;
                r = demux_feed(&d, buf, (size_t) n);
        }

        if (r < 0)
                fprintf(stderr, "Error: attach stream: %s\n", strerror(-r));
        if (d.exited)
                code = d.exit_code;
        else
                /* The stream ended without an exit frame (daemon restart,
                 * connection lost): the exit code is still recorded. */
                code = wait_exit_code(cl, container_id);

        free(d.exit_payload);
        sigprocmask(SIG_SETMASK, &old, NULL);
        return code;
}
