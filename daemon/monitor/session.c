/* One process's stdio relay, for the container init and for each exec:
 * reads its output (pipes, or the pty master) into the log / the ring and
 * to every attached client; writes clients' stdin frames to it through a
 * bounded buffer (a full buffer stops reading the clients that forward
 * stdin: back-pressure, never unbounded memory); applies resize and
 * close_stdin control frames. Output goes at the pace of the primary
 * client (the one that started the process: back-pressure, the process
 * blocks on its full pipe); an additional attacher further behind than
 * FRAME_CLIENT_MAX_BUFFER is dropped and never holds anything up (see
 * SESSION_PACE_HIGH in monitor.h). Does not reap or signal. */
#include "daemon/monitor/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "common/log.h"
#include "common/macros.h"
#include "common/time-util.h"

int
monitor_pidfd_signal(int pidfd, int sig)
{
        if (pidfd < 0)
                return -ESRCH;
        return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? negative_errno() : 0;
}

char *
monitor_exit_json(int code, const char *signame)
{
        char *s = NULL;
        int r;

        if (signame)
                r = asprintf(&s, "{\"exit_code\":%d,\"signal\":\"%s\"}", code, signame);
        else
                r = asprintf(&s, "{\"exit_code\":%d}", code);
        return r < 0 ? NULL : s;
}

int
pollset_add(struct pollset *ps, int fd, short events, enum poll_kind kind, void *a, void *b, size_t i)
{
        if (ps->n == ps->cap) {
                size_t ncap = ps->cap ? ps->cap * 2 : 64;
                struct pollfd *np = realloc(ps->p, ncap * sizeof(*np));
                struct poll_tag *nt;
                if (!np)
                        return -ENOMEM;
                ps->p = np;
                nt = realloc(ps->t, ncap * sizeof(*nt));
                if (!nt)
                        return -ENOMEM;
                ps->t = nt;
                ps->cap = ncap;
        }
        ps->p[ps->n] = (struct pollfd){ .fd = fd, .events = events };
        ps->t[ps->n] = (struct poll_tag){ .kind = kind, .a = a, .b = b, .i = i };
        ps->n++;
        return 0;
}

void
pollset_deadline(struct pollset *ps, int64_t ms)
{
        if (ms < ps->deadline_ms)
                ps->deadline_ms = ms;
}

static int
set_nonblock(int fd)
{
        int fl = fcntl(fd, F_GETFL);

        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
                return negative_errno();
        return 0;
}

int
session_init(struct session *s, const char *name, int pty_fd, bool forward_stdin, int in_fd, int out_fd,
             int err_fd)
{
        *s = (struct session){ .name = name, .pty_fd = -1, .in_fd = -1, .out_fd = -1, .err_fd = -1 };
        if (pty_fd >= 0) {
                safe_close(in_fd);
                safe_close(out_fd);
                safe_close(err_fd);
                s->pty_fd = s->out_fd = pty_fd;
                s->in_fd = forward_stdin ? pty_fd : -1;
        } else {
                s->in_fd = forward_stdin ? in_fd : safe_close(in_fd);
                s->out_fd = out_fd;
                s->err_fd = err_fd;
        }
        /* Best effort: pipe-max-size may be lower; the default works too. */
        for (int i = 0; i < 2; i++) {
                int fd = i == 0 ? s->out_fd : s->err_fd;
                if (fd >= 0 && fd != s->pty_fd)
                        (void) fcntl(fd, F_SETPIPE_SZ, SESSION_PIPE_SIZE);
        }
        if ((s->out_fd >= 0 && set_nonblock(s->out_fd) < 0) || (s->err_fd >= 0 && set_nonblock(s->err_fd) < 0) ||
            (s->in_fd >= 0 && set_nonblock(s->in_fd) < 0))
                return negative_errno();
        if (s->in_fd >= 0) {
                /* +2: room for the VEOF bytes of close_stdin on a tty. */
                s->in_buf = malloc(SESSION_STDIN_MAX + 2);
                if (!s->in_buf)
                        return -ENOMEM;
        }
        return 0;
}

static void
close_in(struct session *s)
{
        if (s->in_fd != s->pty_fd)
                safe_close(s->in_fd);
        s->in_fd = -1;
        s->in_len = 0;
}

static void
close_out(struct session *s, int *fdp)
{
        if (*fdp >= 0 && *fdp == s->pty_fd) {
                /* The pty is gone for output (EIO: no slave left): done with it. */
                s->in_fd = -1;
                s->in_len = 0;
                s->pty_fd = safe_close(s->pty_fd);
        } else
                safe_close(*fdp);
        *fdp = -1;
}

static void
write_stdin(struct session *s)
{
        while (s->in_fd >= 0 && s->in_len > 0) {
                ssize_t n = write(s->in_fd, s->in_buf, s->in_len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return;
                        log_debug("%s: stdin: %m, closing it", s->name);
                        close_in(s);
                        return;
                }
                memmove(s->in_buf, s->in_buf + n, s->in_len - (size_t) n);
                s->in_len -= (size_t) n;
        }
        if (s->in_fd >= 0 && s->in_len == 0 && s->stdin_closing)
                close_in(s);
}

/* Stdin bytes client c may send now. */
static size_t
client_room(const struct session *s, const struct frame_client *c)
{
        if (c->stdin && s->in_fd >= 0 && !s->stdin_closing)
                return SESSION_STDIN_MAX - s->in_len;
        return 65536; /* its stdin frames are discarded */
}

struct input {
        struct session *s;
        struct frame_client *c;
};

static void
input_stdin(void *ud, const uint8_t *p, size_t n)
{
        struct input *in = ud;
        struct session *s = in->s;

        if (!in->c->stdin || s->in_fd < 0 || s->stdin_closing)
                return;
        n = MIN_SIZE(n, SESSION_STDIN_MAX - s->in_len); /* read no more than the room: never cut */
        memcpy(s->in_buf + s->in_len, p, n);
        s->in_len += n;
}

int
session_resize(struct session *s, unsigned rows, unsigned cols)
{
        struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };

        if (s->pty_fd < 0)
                return -ENOTTY;
        if (rows == 0 || cols == 0)
                return 0;
        if (ioctl(s->pty_fd, TIOCSWINSZ, &ws) < 0)
                return -errno;
        return 0;
}

static void
request_close_stdin(struct session *s)
{
        if (s->in_fd < 0 || s->stdin_closing)
                return;
        if (s->in_fd == s->pty_fd) {
                /* A pty has no half-close: send the VEOF character (twice
                 * after a partial line, as a terminal user would). */
                struct termios tio;
                uint8_t veof = 4;
                if (tcgetattr(s->pty_fd, &tio) == 0 && tio.c_cc[VEOF])
                        veof = tio.c_cc[VEOF];
                if (s->in_len > 0 && s->in_buf[s->in_len - 1] != '\n')
                        s->in_buf[s->in_len++] = veof;
                s->in_buf[s->in_len++] = veof;
        }
        s->stdin_closing = true;
        write_stdin(s);
}

static int
input_control(void *ud, const char *text, size_t n)
{
        struct input *in = ud;
        json_t *msg = json_loadb(text, n, JSON_REJECT_DUPLICATES, NULL);
        const char *op = json_string_value(json_object_get(msg, "op"));
        int r = 0;

        if (!op) {
                r = -EBADMSG;
        } else if (strcmp(op, "resize") == 0) {
                json_t *jr = json_object_get(msg, "rows"), *jc = json_object_get(msg, "cols");
                json_int_t rows = json_is_integer(jr) ? json_integer_value(jr) : -1;
                json_int_t cols = json_is_integer(jc) ? json_integer_value(jc) : -1;
                if (rows < 1 || rows > 65535 || cols < 1 || cols > 65535)
                        r = -EBADMSG;
                else
                        (void) session_resize(in->s, (unsigned) rows, (unsigned) cols); /* no tty: ignored */
        } else if (strcmp(op, "close_stdin") == 0) {
                if (in->c->stdin)
                        request_close_stdin(in->s);
        } /* unknown ops are ignored: newer clients may send more */
        json_decref(msg);
        return r;
}

static const struct frame_sink input_sink = { .stdin_data = input_stdin, .control = input_control };

/* Whether to leave the output unread for now (see SESSION_PACE_HIGH): a
 * primary client is behind, or nobody is attached and the ring is full.
 * A primary client's POLLOUT wakes us when it has caught up. */
static bool
output_held(const struct session *s)
{
        if (s->hold && s->ring && ring_room(s->ring) == 0)
                return true;
        for (size_t i = 0; i < s->clients.n; i++) {
                const struct frame_client *c = s->clients.c[i];
                if (c->patient && !c->dead && !c->closing && frame_client_queued(c) > SESSION_PACE_HIGH)
                        return true;
        }
        return false;
}

/* The zero-copy path: with one client, no log, a pipe (not the pty), and
 * enough waiting, the payload goes from the pipe into the client's socket
 * by splice(2); only its last SESSION_SPLICE_TAIL bytes are read, for the
 * ring (what `exec attach` replays). Returns the payload size, 0 to use
 * the read path instead. */
static ssize_t
pump_splice(struct session *s, int fd, uint8_t type, char *buf)
{
        struct frame_client *c = NULL;
        size_t tail, n;
        ssize_t k;
        int avail;

        if (s->log || s->hold || fd == s->pty_fd)
                return 0;
        for (size_t i = 0; i < s->clients.n; i++) {
                struct frame_client *x = s->clients.c[i];
                if (x->dead)
                        continue;
                if (c || x->closing)
                        return 0;
                c = x;
        }
        if (!c || frame_client_queued(c) > 0 || ioctl(fd, FIONREAD, &avail) < 0 || avail < SESSION_SPLICE_MIN)
                return 0;
        n = MIN_SIZE((size_t) avail, SESSION_READ_CHUNK);
        tail = s->ring ? MIN_SIZE(n, SESSION_SPLICE_TAIL) : 0;
        k = frame_client_splice(c, type, fd, n, tail, (uint8_t *) buf);
        if (k == -EAGAIN)
                return 0;
        if (k < 0)
                return (ssize_t) n; /* c was dropped; what was read is gone with it */
        if (s->ring && ring_append(s->ring, type, buf, (size_t) k) < 0)
                log_warning("%s: no memory for the output ring", s->name);
        return (ssize_t) n;
}

/* Reads one chunk of output (all the pipe holds, up to a frame); logs,
 * keeps and frames it. Returns the bytes read, 0 when there is nothing
 * more for now (EAGAIN, EOF, held by the ring). */
static size_t
pump(struct session *s, int *fdp, uint8_t type)
{
        static char buf[SESSION_READ_CHUNK];
        size_t max = sizeof(buf);
        ssize_t n;
        int r;

        if (s->hold && s->ring)
                max = MIN_SIZE(max, ring_room(s->ring));
        if (max == 0)
                return 0;
        n = pump_splice(s, *fdp, type, buf);
        if (n > 0)
                return (size_t) n;
        n = read(*fdp, buf, max);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n <= 0) {
                close_out(s, fdp); /* EOF, or EIO on a pty whose slave is gone */
                return 0;
        }
        /* A pty hands out a few KiB per read: gather what is there into one
         * frame (the next read notices an EOF or EIO). */
        while (*fdp == s->pty_fd && (size_t) n < max) {
                ssize_t k = read(*fdp, buf + n, max - (size_t) n);
                if (k <= 0)
                        break;
                n += k;
        }
        if (s->log) {
                r = cri_log_write(s->log, now_ns(), type == PROTO_FRAME_STDERR ? "stderr" : "stdout", buf,
                                  (size_t) n);
                if (r < 0 && !s->log->failed) {
                        log_warning_errno(r, "write log `%s`", s->log->path);
                        s->log->failed = true;
                }
        }
        if (s->ring && ring_append(s->ring, type, buf, (size_t) n) < 0)
                log_warning("%s: no memory for the output ring", s->name);
        frame_clients_send(&s->clients, type, buf, (size_t) n);
        return (size_t) n;
}

/* Reads output until EAGAIN, a primary client falls behind, or
 * SESSION_READ_BURST bytes (then poll() serves the others first): one
 * poll() round trip per burst rather than per chunk. */
static void
pump_burst(struct session *s, int *fdp, uint8_t type)
{
        size_t total = 0, n;

        while (*fdp >= 0 && total < SESSION_READ_BURST && !output_held(s)) {
                n = pump(s, fdp, type);
                if (n == 0)
                        break;
                total += n;
        }
}

void
session_poll(struct session *s, struct pollset *ps)
{
        bool read_out = !output_held(s);
        bool write_in = s->in_fd >= 0 && s->in_len > 0;

        if (s->pty_fd >= 0) {
                short ev = (read_out && s->out_fd >= 0 ? POLLIN : 0) | (write_in ? POLLOUT : 0);
                if (ev && read_out)
                        pollset_add(ps, s->pty_fd, ev, PK_PTY, s, NULL, 0);
        } else {
                if (read_out && s->out_fd >= 0)
                        pollset_add(ps, s->out_fd, POLLIN, PK_OUT, s, NULL, 0);
                if (read_out && s->err_fd >= 0)
                        pollset_add(ps, s->err_fd, POLLIN, PK_ERR, s, NULL, 0);
                if (write_in)
                        pollset_add(ps, s->in_fd, POLLOUT, PK_IN, s, NULL, 0);
        }
        for (size_t i = 0; i < s->clients.n; i++) {
                struct frame_client *c = s->clients.c[i];
                short ev = 0;

                if (c->dead)
                        continue;
                if (!c->closing && !c->read_eof && client_room(s, c) > 0)
                        ev |= POLLIN;
                if (c->off < c->len)
                        ev |= POLLOUT;
                if (c->closing)
                        pollset_deadline(ps, c->close_deadline_ms);
                pollset_add(ps, c->fd, ev, PK_CLIENT, s, c, 0);
        }
}

void
session_handle(struct session *s, const struct poll_tag *t, short revents)
{
        struct frame_client *c = t->b;

        switch (t->kind) {
        case PK_OUT:
                pump_burst(s, &s->out_fd, PROTO_FRAME_STDOUT);
                break;
        case PK_ERR:
                pump_burst(s, &s->err_fd, PROTO_FRAME_STDERR);
                break;
        case PK_IN:
                if (revents & POLLERR)
                        close_in(s);
                else
                        write_stdin(s);
                break;
        case PK_PTY:
                if (revents & (POLLIN | POLLHUP | POLLERR))
                        pump_burst(s, &s->out_fd, PROTO_FRAME_STDOUT);
                if ((revents & POLLOUT) && s->in_fd >= 0)
                        write_stdin(s);
                break;
        case PK_CLIENT:
                if (c->dead)
                        break;
                if ((revents & POLLOUT) && !frame_client_flush(c))
                        break;
                if (revents & POLLERR) {
                        frame_client_drop(c);
                } else if (revents & POLLIN) {
                        struct input in = { s, c };
                        frame_client_read(c, client_room(s, c), &input_sink, &in);
                        write_stdin(s);
                } else if (revents & POLLHUP) {
                        frame_client_drop(c); /* the peer closed: detach */
                }
                break;
        default:
                break;
        }
}

int
session_attach(struct session *s, int fd, bool want_stdin, bool primary, unsigned rows, unsigned cols,
               struct frame_client **ret)
{
        struct frame_client *c = NULL;
        int r;

        if (rows > 0 && cols > 0)
                (void) session_resize(s, rows, cols);
        r = frame_clients_add(&s->clients, fd, want_stdin && s->in_fd >= 0 && !s->stdin_closing, &c);
        if (r < 0)
                return r;
        c->patient = primary;
        if (ret)
                *ret = c;
        return 0;
}

bool
session_output_open(const struct session *s)
{
        return s->out_fd >= 0 || s->err_fd >= 0;
}

bool
session_output_held(const struct session *s)
{
        return output_held(s);
}

void
session_drain(struct session *s, int64_t deadline_ms)
{
        int64_t cap = now_monotonic_ms() + SESSION_FLUSH_PATIENT_MAX_MS;

        s->hold = false;
        for (;;) {
                struct pollfd p[2 + FRAME_CLIENTS_MAX];
                struct frame_client *cl[2 + FRAME_CLIENTS_MAX] = {};
                int *fds[2] = {};
                size_t n = 0;
                int64_t left = deadline_ms - now_monotonic_ms();

                if (!session_output_open(s) || left <= 0)
                        return;
                if (!output_held(s)) {
                        if (s->out_fd >= 0) {
                                fds[n] = &s->out_fd;
                                p[n++] = (struct pollfd){ .fd = s->out_fd, .events = POLLIN };
                        }
                        if (s->err_fd >= 0) {
                                fds[n] = &s->err_fd;
                                p[n++] = (struct pollfd){ .fd = s->err_fd, .events = POLLIN };
                        }
                } else {
                        /* A primary client is behind: the rest waits for it. */
                        for (size_t i = 0; i < s->clients.n; i++) {
                                struct frame_client *c = s->clients.c[i];
                                if (!c->patient || c->dead || frame_client_queued(c) == 0)
                                        continue;
                                cl[n] = c;
                                p[n++] = (struct pollfd){ .fd = c->fd, .events = POLLOUT };
                        }
                }
                if (n == 0 || poll(p, n, (int) left) <= 0)
                        return;
                for (size_t i = 0; i < n; i++) {
                        if (!p[i].revents)
                                continue;
                        if (!cl[i]) {
                                if (*fds[i] >= 0)
                                        pump_burst(s, fds[i],
                                                   fds[i] == &s->err_fd ? PROTO_FRAME_STDERR : PROTO_FRAME_STDOUT);
                        } else if (p[i].revents & (POLLERR | POLLHUP)) {
                                frame_client_drop(cl[i]);
                        } else {
                                size_t before = frame_client_queued(cl[i]);
                                if (frame_client_flush(cl[i]) && frame_client_queued(cl[i]) != before) {
                                        /* It reads: it gets the time it needs, within the cap. */
                                        int64_t more = now_monotonic_ms() + MONITOR_DRAIN_MS;
                                        deadline_ms = more < cap ? more : cap;
                                }
                        }
                }
        }
}

void
session_finish(struct session *s, const char *exit_json, int64_t deadline_ms)
{
        if (s->out_fd >= 0)
                close_out(s, &s->out_fd);
        if (s->err_fd >= 0)
                close_out(s, &s->err_fd);
        close_in(s);
        s->pty_fd = safe_close(s->pty_fd);
        frame_clients_close_all(&s->clients, exit_json, deadline_ms);
}

void
session_flush_clients(struct session *s, int64_t deadline_ms)
{
        int64_t cap = now_monotonic_ms() + SESSION_FLUSH_PATIENT_MAX_MS;

        for (;;) {
                struct pollfd p[FRAME_CLIENTS_MAX];
                struct frame_client *cl[FRAME_CLIENTS_MAX];
                size_t n = 0;
                int64_t left = deadline_ms - now_monotonic_ms();

                for (size_t i = 0; i < s->clients.n; i++) {
                        struct frame_client *c = s->clients.c[i];
                        if (c->dead || c->off == c->len)
                                continue;
                        cl[n] = c;
                        p[n++] = (struct pollfd){ .fd = c->fd, .events = POLLOUT };
                }
                if (n == 0 || left <= 0 || poll(p, n, (int) left) <= 0)
                        break;
                for (size_t i = 0; i < n; i++) {
                        size_t before = cl[i]->off;
                        if (p[i].revents & (POLLERR | POLLHUP)) {
                                frame_client_drop(cl[i]);
                        } else if ((p[i].revents & POLLOUT) && frame_client_flush(cl[i]) &&
                                   cl[i]->off != before && cl[i]->patient) {
                                /* A patient client that reads gets the time it needs. */
                                int64_t more = now_monotonic_ms() + MONITOR_FLUSH_MS;
                                deadline_ms = more < cap ? more : cap;
                        }
                }
        }
        frame_clients_sweep(&s->clients, now_monotonic_ms());
}

void
session_free(struct session *s)
{
        if (s->out_fd >= 0)
                close_out(s, &s->out_fd);
        if (s->err_fd >= 0)
                close_out(s, &s->err_fd);
        close_in(s);
        s->pty_fd = safe_close(s->pty_fd);
        free(s->in_buf);
        s->in_buf = NULL;
        frame_clients_free(&s->clients);
}
