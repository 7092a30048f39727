/* The attach stream loop (see proto/PROTOCOL.md, "Attach stream").
 * Single-threaded: socket, stdin and a signalfd in one poll(), the detach
 * timeout as poll()'s timeout. Output to fds 1/2 is written in full before
 * the socket is read again, which is our back-pressure towards the monitor.
 * The socket is read in big chunks until EAGAIN; a big payload bound for a
 * pipe is splice(2)d from the socket straight into it (no copy here). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/stream.h"
#include "client/terminal.h"
#include "common/parse.h"
#include "common/time-util.h"

#define STDIN_CHUNK (32 * 1024)
/* Stop reading stdin while this much is waiting for the socket. */
#define OUT_HIGH_WATER (256 * 1024)
/* On detach, how long pending input may take to leave. */
#define DETACH_FLUSH_MS 1000
/* Socket reads: chunk size, and how much to take before looking at stdin
 * and signals again. */
#define SOCK_CHUNK PROTO_MAX_FRAME
#define SOCK_BURST (8 * SOCK_CHUNK)
/* Payloads at least this big go to a pipe on fd 1/2 by splice(2). */
#define SPLICE_MIN (16 * 1024)

#define MIN(a, b) ((a) < (b) ? (a) : (b))

int
exit_code_from_result(json_t *result)
{
        json_t *v = json_object_get(result, "exit_code");
        const char *sig = json_string_value(json_object_get(result, "signal"));
        int n;

        if (sig && (n = parse_signal(sig)) > 0)
                return 128 + n;
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 255)
                return EXIT_USAGE;
        return (int) json_integer_value(v);
}

/* Writes all of p to fd, waiting when fd is non-blocking. */
static int
write_full(int fd, const uint8_t *p, size_t n)
{
        while (n > 0) {
                ssize_t k = write(fd, p, n);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN) {
                                struct pollfd pfd = { .fd = fd, .events = POLLOUT };

                                (void) poll(&pfd, 1, -1);
                                continue;
                        }
                        return -errno;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

/* Frames waiting for the socket. */
struct outbuf {
        uint8_t *data;
        size_t len, cap;
};

static int
outbuf_frame(struct outbuf *b, uint8_t type, const void *p, size_t n)
{
        size_t need = b->len + PROTO_FRAME_HEADER_SIZE + n;

        if (need > b->cap) {
                size_t cap = b->cap ? b->cap : 65536;
                uint8_t *d;

                while (cap < need)
                        cap *= 2;
                d = realloc(b->data, cap);
                if (!d)
                        return -ENOMEM;
                b->data = d;
                b->cap = cap;
        }
        proto_frame_header_encode(type, (uint32_t) n, b->data + b->len);
        if (n > 0)
                memcpy(b->data + b->len + PROTO_FRAME_HEADER_SIZE, p, n);
        b->len = need;
        return 0;
}

static int
outbuf_control(struct outbuf *b, json_t *j)
{
        _cleanup_free_ char *s = json_dumps(j, JSON_COMPACT);

        if (!s)
                return -ENOMEM;
        return outbuf_frame(b, PROTO_FRAME_CONTROL, s, strlen(s));
}

/* Sends what the socket takes now. -errno when it is gone. */
static int
outbuf_flush(struct outbuf *b, int fd)
{
        while (b->len > 0) {
                ssize_t k = send(fd, b->data, b->len, MSG_NOSIGNAL | MSG_DONTWAIT);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        return -errno;
                }
                memmove(b->data, b->data + k, b->len - (size_t) k);
                b->len -= (size_t) k;
        }
        return 0;
}

/* Frame parser state over the byte stream from the daemon/monitor. */
struct demux {
        uint8_t header[PROTO_FRAME_HEADER_SIZE];
        size_t header_len;
        uint8_t type;
        uint32_t remaining; /* payload bytes still to come for this frame */
        char *exit_payload; /* that of an EXIT or CONTROL frame */
        size_t exit_len;
        bool exited;
        int exit_code;
        bool splice_ok[3]; /* fd 1/2 takes splice(2) and it has not failed */
        int via[3][2];     /* fd 1/2 is not a pipe: a pipe of ours in between, else -1 */
};

/* CONTROL {"op":"lost","after":TS} (logs -f: records rotated away unread)
 * is said on stderr; the others (replay_end) need nothing. */
static void
demux_control(struct demux *d)
{
        json_auto_t *j = json_loadb(d->exit_payload ? d->exit_payload : "", d->exit_len, 0, NULL);
        const char *op = json_string_value(json_object_get(j, "op"));
        const char *after = json_string_value(json_object_get(j, "after"));

        if (op && strcmp(op, "lost") == 0)
                fprintf(stderr, "containerctl: some log records were rotated away before they "
                                "could be read (after %s)\n", after ? after : "?");
}

static void
demux_exit(struct demux *d)
{
        json_auto_t *j = json_loadb(d->exit_payload ? d->exit_payload : "", d->exit_len, 0, NULL);

        d->exited = true;
        d->exit_code = j ? exit_code_from_result(j) : EXIT_USAGE;
        if (!j)
                fprintf(stderr, "Error: malformed exit frame from containerctld\n");
}

static int
demux_header(struct demux *d)
{
        int r = proto_frame_header_decode(d->header, &d->type, &d->remaining);

        if (r < 0)
                return r;
        if (d->type == PROTO_FRAME_EXIT || d->type == PROTO_FRAME_CONTROL) {
                free(d->exit_payload);
                d->exit_payload = malloc(d->remaining + 1);
                d->exit_len = 0;
                if (!d->exit_payload)
                        return -ENOMEM;
        }
        return 0;
}

/* Consumes n bytes of stream. Returns 0, or -errno on a protocol error. */
static int
demux_feed(struct demux *d, const uint8_t *p, size_t n)
{
        int r;

        while (n > 0 && !d->exited) {
                if (d->header_len < PROTO_FRAME_HEADER_SIZE) {
                        size_t k = MIN(PROTO_FRAME_HEADER_SIZE - d->header_len, n);

                        memcpy(d->header + d->header_len, p, k);
                        d->header_len += k;
                        p += k;
                        n -= k;
                        if (d->header_len < PROTO_FRAME_HEADER_SIZE)
                                break;
                        r = demux_header(d);
                        if (r < 0)
                                return r;
                } else {
                        size_t k = MIN((size_t) d->remaining, n);

                        switch (d->type) {
                        case PROTO_FRAME_STDOUT:
                        case PROTO_FRAME_STDERR:
                                /* A closed stdout (| head) must not stop the exit code. */
                                (void) write_full(d->type == PROTO_FRAME_STDOUT ? STDOUT_FILENO
                                                                                : STDERR_FILENO,
                                                  p, k);
                                break;
                        case PROTO_FRAME_EXIT:
                        case PROTO_FRAME_CONTROL:
                                memcpy(d->exit_payload + d->exit_len, p, k);
                                d->exit_len += k;
                                break;
                        default:
                                break; /* stdin: nothing to do */
                        }
                        p += k;
                        n -= k;
                        d->remaining -= (uint32_t) k;
                }
                if (d->header_len == PROTO_FRAME_HEADER_SIZE && d->remaining == 0) {
                        d->header_len = 0;
                        if (d->type == PROTO_FRAME_EXIT)
                                demux_exit(d);
                        else if (d->type == PROTO_FRAME_CONTROL)
                                demux_control(d);
                }
        }
        return 0;
}

/* Forwards sig on its own connection, so the stream is never interleaved
 * with a request (docker's sig-proxy). */
static void
forward_signal(struct client *cl, const struct stream_opts *o, int sig)
{
        _cleanup_conn_ struct conn *c = NULL;
        _cleanup_error_ struct ctr_error *err = NULL;
        json_auto_t *params = json_pack("{s:s, s:i}", o->kill_key, o->kill_target, "signal", sig);
        struct proto_reply reply;

        if (!params || client_connect_new(cl, &c) < 0)
                return;
        if (conn_call(c, o->kill_method, params, NULL, NULL, &reply, &err) < 0) {
                fprintf(stderr, "Error: forwarding %s: %s\n", signal_to_name(sig),
                        err ? err->message : "failed");
                return;
        }
        /* The target may have exited meanwhile: not worth a message. */
        proto_reply_clear(&reply);
}

struct session {
        struct client *cl;
        const struct stream_opts *o;
        int sock;
        struct outbuf out;
        struct demux d;
        struct detach_state ds;
        bool watch_keys, stdin_done, send_failed;
};

static int
send_stdin_bytes(struct session *s, const uint8_t *p, size_t n)
{
        if (n == 0 || s->send_failed)
                return 0;
        return outbuf_frame(&s->out, PROTO_FRAME_STDIN, p, n);
}

static int
send_resize(struct session *s)
{
        json_auto_t *j = NULL;
        unsigned rows, cols;

        if (terminal_get_size(&rows, &cols) < 0)
                return 0;
        j = json_pack("{s:s, s:i, s:i}", "op", "resize", "rows", (int) rows, "cols", (int) cols);
        return j ? outbuf_control(&s->out, j) : -ENOMEM;
}

static int
stdin_eof(struct session *s)
{
        json_auto_t *j = json_pack("{s:s}", "op", "close_stdin");
        uint8_t held[DETACH_KEYS_MAX];
        int r;

        s->stdin_done = true;
        r = send_stdin_bytes(s, held, detach_state_expire(&s->ds, 0, true, held));
        if (r < 0)
                return r;
        return j ? outbuf_control(&s->out, j) : -ENOMEM;
}

/* Reads a chunk of stdin. Returns 1 if the detach keys were typed. */
static int
read_stdin(struct session *s)
{
        uint8_t in[STDIN_CHUNK], fwd[STDIN_CHUNK + DETACH_KEYS_MAX];
        size_t n_fwd;
        ssize_t n;
        bool detach;
        int r;

        n = read(STDIN_FILENO, in, sizeof(in));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return 0;
        if (n <= 0) /* EOF, or EIO from a hung-up terminal: both end our input */
                return stdin_eof(s);
        if (!s->watch_keys)
                return send_stdin_bytes(s, in, (size_t) n);
        detach = detach_state_feed(&s->ds, in, (size_t) n, now_monotonic_ms(), fwd, &n_fwd);
        r = send_stdin_bytes(s, fwd, n_fwd);
        if (r < 0)
                return r;
        return detach ? 1 : 0;
}

static void
handle_signals(struct session *s, int sfd)
{
        struct signalfd_siginfo si;

        while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGWINCH) {
                        if (send_resize(s) < 0)
                                fprintf(stderr, "Error: resize: out of memory\n");
                } else if (s->o->kill_method)
                        forward_signal(s->cl, s->o, (int) si.ssi_signo);
        }
}

/* Gives input typed before the detach keys a bounded chance to leave. */
static void
flush_before_detach(struct session *s)
{
        int64_t deadline = now_monotonic_ms() + DETACH_FLUSH_MS;

        while (s->out.len > 0 && !s->send_failed) {
                struct pollfd p = { .fd = s->sock, .events = POLLOUT };
                int64_t left = deadline - now_monotonic_ms();

                if (left <= 0 || poll(&p, 1, (int) left) <= 0)
                        break;
                if (outbuf_flush(&s->out, s->sock) < 0)
                        break;
        }
}

/* The fd the next payload bytes go to when they may be spliced there
 * from the socket (a big STDOUT/STDERR payload, fd a pipe), else -1. */
static int
demux_splice_fd(const struct demux *d)
{
        int fd;

        if (d->exited || d->header_len < PROTO_FRAME_HEADER_SIZE || d->remaining < SPLICE_MIN)
                return -1;
        if (d->type == PROTO_FRAME_STDOUT)
                fd = STDOUT_FILENO;
        else if (d->type == PROTO_FRAME_STDERR)
                fd = STDERR_FILENO;
        else
                return -1;
        return d->splice_ok[fd] ? fd : -1;
}

/* Waits until fd takes more. */
static int
wait_writable(int fd)
{
        struct pollfd p = { .fd = fd, .events = POLLOUT };

        if (poll(&p, 1, -1) < 0 && errno != EINTR)
                return -errno;
        return 0;
}

/* Moves n bytes from our pipe in front of fd into fd; if fd does not take
 * splice(2) after all, reads them back and writes them. */
static int
drain_via(struct demux *d, int fd, size_t n)
{
        uint8_t buf[65536];

        while (n > 0 && d->splice_ok[fd]) {
                ssize_t k = splice(d->via[fd][0], NULL, fd, NULL, n, SPLICE_F_MOVE);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 && errno == EAGAIN) {
                        if (wait_writable(fd) < 0)
                                d->splice_ok[fd] = false;
                        continue;
                }
                if (k <= 0)
                        d->splice_ok[fd] = false;
                else
                        n -= (size_t) k;
        }
        while (n > 0) {
                ssize_t k = read(d->via[fd][0], buf, MIN(n, sizeof(buf)));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return -EIO;
                (void) write_full(fd, buf, (size_t) k); /* a closed stdout must not stop the exit code */
                n -= (size_t) k;
        }
        return 0;
}

/* Moves payload bytes from the socket into fd: straight into a pipe, else
 * through our pipe (e.g. to a file or /dev/null). Returns the bytes moved,
 * 0 at EOF, -EAGAIN when the socket has nothing now, or another -errno
 * (the caller falls back to read()). Waits while fd is full, as
 * write_full() does. */
static ssize_t
splice_payload(struct session *s, int fd)
{
        int to = s->d.via[fd][1] >= 0 ? s->d.via[fd][1] : fd;

        for (;;) {
                struct pollfd p = { .fd = to, .events = POLLOUT };
                ssize_t n = splice(s->sock, NULL, to, NULL, s->d.remaining, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

                if (n > 0) {
                        if (to != fd && drain_via(&s->d, fd, (size_t) n) < 0)
                                return -EIO;
                        s->d.remaining -= (uint32_t) n;
                        if (s->d.remaining == 0)
                                s->d.header_len = 0;
                        return n;
                }
                if (n == 0)
                        return 0;
                if (errno == EINTR)
                        continue;
                if (errno != EAGAIN)
                        return -errno;
                /* Either side may have said EAGAIN: a full pipe is waited
                 * for, an empty socket goes back to the main poll(). */
                if (poll(&p, 1, 0) == 1 && (p.revents & POLLOUT))
                        return -EAGAIN;
                if (wait_writable(to) < 0)
                        return -errno;
        }
}

/* Reads the socket until EAGAIN or SOCK_BURST bytes. Returns 1 when the
 * stream ended (*ret set), 0 to go on, -errno on a protocol error. */
static int
read_stream(struct session *s, enum stream_end *ret)
{
        static uint8_t buf[SOCK_CHUNK];
        size_t total = 0, want;
        ssize_t n;
        int r, fd;

        while (total < SOCK_BURST) {
                fd = demux_splice_fd(&s->d);
                if (fd >= 0) {
                        n = splice_payload(s, fd);
                        if (n == -EAGAIN)
                                return 0;
                        if (n < 0 && n != -ECONNRESET) {
                                s->d.splice_ok[fd] = false; /* e.g. EPIPE: read() and discard */
                                continue;
                        }
                        if (n <= 0) {
                                *ret = STREAM_LOST;
                                return 1;
                        }
                        total += (size_t) n;
                        continue;
                }
                /* With a pipe to splice into, a header is read alone, so its
                 * payload can be spliced; else a whole chunk at once. */
                want = sizeof(buf);
                if ((s->d.splice_ok[STDOUT_FILENO] || s->d.splice_ok[STDERR_FILENO]) &&
                    s->d.header_len < PROTO_FRAME_HEADER_SIZE)
                        want = PROTO_FRAME_HEADER_SIZE - s->d.header_len;
                n = read(s->sock, buf, want);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return 0;
                /* A reset is the other side closing with our input unread: an
                 * end like EOF, which the caller reports. */
                if (n < 0 && errno != ECONNRESET)
                        return -errno;
                if (n <= 0) {
                        *ret = STREAM_LOST;
                        return 1;
                }
                r = demux_feed(&s->d, buf, (size_t) n);
                if (r < 0)
                        return r;
                if (s->d.exited) {
                        *ret = STREAM_EXITED;
                        return 1;
                }
                total += (size_t) n;
        }
        return 0;
}

/* One pass of the loop. Returns 1 when the session ended (*ret set). */
static int
session_step(struct session *s, int sfd, enum stream_end *ret)
{
        struct pollfd p[3] = {
                { .fd = s->sock, .events = POLLIN },
                { .fd = -1, .events = POLLIN },
                { .fd = sfd, .events = POLLIN },
        };
        int64_t now = now_monotonic_ms();
        int r, timeout;

        if (s->out.len > 0 && !s->send_failed)
                p[0].events |= POLLOUT;
        if (s->o->send_stdin && !s->stdin_done && !s->send_failed && s->out.len < OUT_HIGH_WATER)
                p[1].fd = STDIN_FILENO;
        timeout = s->watch_keys ? detach_state_timeout(&s->ds, now) : -1;

        if (poll(p, 3, timeout) < 0)
                return errno == EINTR ? 0 : -errno;

        if (s->watch_keys) {
                uint8_t held[DETACH_KEYS_MAX];

                r = send_stdin_bytes(s, held,
                                     detach_state_expire(&s->ds, now_monotonic_ms(), false, held));
                if (r < 0)
                        return r;
        }
        if (p[2].revents & POLLIN)
                handle_signals(s, sfd);
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
                r = read_stdin(s);
                if (r < 0)
                        return r;
                if (r == 1) {
                        flush_before_detach(s);
                        *ret = STREAM_DETACHED;
                        return 1;
                }
        }
        if (s->out.len > 0 && !s->send_failed && outbuf_flush(&s->out, s->sock) < 0) {
                /* The other side stopped reading our input; its output and
                 * the EXIT frame may still come. */
                s->send_failed = true;
                s->out.len = 0;
        }
        if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
                return 0;
        return read_stream(s, ret);
}

/* Sets up splice(2) towards fd: straight into a pipe; into a regular file
 * or a character device that is not a terminal (/dev/null) through a pipe
 * of ours (no copy in user space; a file still copies into its page cache,
 * /dev/null takes nothing). Terminals and the rest: read() and write(). */
static void
splice_setup(struct demux *d, int fd)
{
        struct stat st;

        d->via[fd][0] = d->via[fd][1] = -1;
        if (fstat(fd, &st) < 0)
                return;
        if (S_ISFIFO(st.st_mode)) {
                d->splice_ok[fd] = true;
                return;
        }
        if (!(S_ISREG(st.st_mode) || (S_ISCHR(st.st_mode) && !isatty(fd))))
                return;
        if (pipe2(d->via[fd], O_CLOEXEC) < 0) {
                d->via[fd][0] = d->via[fd][1] = -1;
                return;
        }
        (void) fcntl(d->via[fd][1], F_SETPIPE_SZ, PROTO_MAX_FRAME);
        d->splice_ok[fd] = true;
}

static void
splice_done(struct demux *d)
{
        for (int fd = STDOUT_FILENO; fd <= STDERR_FILENO; fd++) {
                safe_close(d->via[fd][0]);
                safe_close(d->via[fd][1]);
        }
}

int
stream_session(struct client *cl, struct conn *c, const struct stream_opts *o,
               int *ret_exit_code)
{
        _cleanup_close_ int sfd = -1;
        struct session s = { .cl = cl, .o = o, .sock = c->fd };
        enum stream_end end = STREAM_LOST;
        sigset_t mask, old;
        int r;

        /* SIGPIPE would kill us on a closed stdout before we learn the exit code. */
        signal(SIGPIPE, SIG_IGN);
        sigemptyset(&mask);
        if (o->resize)
                sigaddset(&mask, SIGWINCH);
        if (o->kill_method) {
                sigaddset(&mask, SIGINT);
                sigaddset(&mask, SIGTERM);
        }
        sigprocmask(SIG_BLOCK, &mask, &old);
        sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        (void) fcntl(s.sock, F_SETFL, fcntl(s.sock, F_GETFL) | O_NONBLOCK);

        splice_setup(&s.d, STDOUT_FILENO);
        splice_setup(&s.d, STDERR_FILENO);
        if (o->detach && o->detach->n > 0 && o->send_stdin) {
                detach_state_init(&s.ds, o->detach);
                s.watch_keys = true;
        }

        /* Frame bytes that arrived together with the reply line. */
        r = demux_feed(&s.d, (const uint8_t *) c->buf.data + c->buf.off, c->buf.len - c->buf.off);
        c->buf.off = c->buf.len;
        if (r == 0 && s.d.exited)
                end = STREAM_EXITED;
        else if (r == 0)
                while ((r = session_step(&s, sfd, &end)) == 0)
                        ;
        if (r < 0) {
                terminal_restore();
                fprintf(stderr, "Error: attach stream: %s\n", strerror(-r));
                end = STREAM_LOST;
        }
        if (end == STREAM_EXITED)
                *ret_exit_code = s.d.exit_code;

        splice_done(&s.d);
        free(s.d.exit_payload);
        free(s.out.data);
        sigprocmask(SIG_SETMASK, &old, NULL);
        return end;
}
