/* The published-port relay (see proxy.h): listeners handed over by the
 * daemon, TCP connections spliced through a pipe per direction, UDP flows
 * with an idle timeout. Owns those fds only; never blocks, never logs above
 * debug for a client's doing (a port scan must not flood the log). Every fd
 * is close-on-exec, so an exec started later never inherits one. */
#include "daemon/monitor/proxy.h"
#include "daemon/monitor/monitor-proto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/macros.h"
#include "daemon/ports.h"

/* poll_tag.i for PK_PROXY; poll_tag.b is the object. */
enum { TAG_LISTENER, TAG_CLIENT, TAG_BACKEND, TAG_FLOW };

#define DGRAM_MAX 65536
#define FLOW_BUCKETS 256

struct listener {
        int fd;
        int protocol;
        struct sockaddr_in target; /* the container's address and port */
        char name[80];             /* "127.0.0.1:8080/tcp -> 10.88.0.5:80", for logs */
};

/* One direction of a TCP connection: source socket -> pipe -> destination. */
struct relay {
        int pipe_r, pipe_w; /* only while bytes are in flight (relay_put_pipe) */
        size_t cap;         /* the pipe's size */
        size_t bytes;       /* in the pipe now */
        bool eof;           /* the source sent FIN */
        bool full;          /* the pipe took nothing more (EAGAIN while holding bytes) */
        bool shut;          /* the EOF passed on: shutdown(SHUT_WR) of the destination */
};

struct conn {
        struct conn *prev, *next;
        struct listener *l;
        int cfd, bfd;       /* the client's socket, ours to the container */
        bool connecting;    /* the connect to the container is in progress */
        bool dead;          /* closed; freed by proxy_tick() */
        struct relay dir[2]; /* [0] client -> container, [1] container -> client */
};

struct flow {
        struct flow *prev, *next; /* LRU order: the least recently used first */
        struct flow *hnext;       /* hash chain */
        struct listener *l;
        int fd;                   /* connected to the container */
        struct sockaddr_in client;
        struct in_addr local;     /* the address the client sent to: replies come from it */
        int64_t last_ms;
        bool dead;
};

/* An empty relay pipe kept for the next connection or the next burst. */
struct spare_pipe {
        int r, w;
        size_t cap;
};

struct proxy {
        struct listener **listeners;
        size_t n_listeners;
        struct conn *conns;       /* open connections */
        struct conn *dead_conns;  /* closed during a poll round, freed after it */
        size_t n_conns, conns_max;
        int64_t accept_resume_ms; /* listeners rest until then after EMFILE */
        struct flow *lru_head, *lru_tail;
        struct flow *dead_flows;
        struct flow *buckets[FLOW_BUCKETS];
        size_t n_flows, flows_max;
        uint8_t *dgram;           /* one datagram */
        struct spare_pipe spare[PROXY_PIPES_SPARE];
        size_t n_spare;
};

static size_t
clamp_size(size_t v, size_t lo, size_t hi)
{
        return v < lo ? lo : v > hi ? hi : v;
}

struct proxy *
proxy_new(void)
{
        struct proxy *p = calloc(1, sizeof(*p));
        struct rlimit rl;
        size_t budget = 0;

        if (!p)
                return NULL;
        p->dgram = malloc(DGRAM_MAX);
        if (!p->dgram) {
                free(p);
                return NULL;
        }
        /* Three quarters of the spare fds for TCP (6 each at most), a
         * quarter for UDP flows (1 each). The monitor does not raise its
         * limit: an exec started later would inherit it. */
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
                budget = rl.rlim_cur == RLIM_INFINITY ? SIZE_MAX / 2 :
                         rl.rlim_cur > PROXY_FDS_RESERVED ? (size_t) rl.rlim_cur - PROXY_FDS_RESERVED : 0;
        p->conns_max = clamp_size(budget / 4 * 3 / PROXY_FDS_PER_CONN, 16, PROXY_TCP_CONNS_MAX);
        p->flows_max = clamp_size(budget / 4, 16, PROXY_UDP_FLOWS_MAX);
        return p;
}

/* ---- publish -------------------------------------------------------------- */

static int
check_socket(int fd, const struct port_mapping *m, struct ctr_error **err)
{
        const char *proto = m->protocol == IPPROTO_UDP ? "udp" : "tcp";
        int domain = -1, type = -1, listening = 0, one = 1;
        socklen_t len = sizeof(int);

        if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 || domain != AF_INET ||
            getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
            type != (m->protocol == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) ||
            (m->protocol == IPPROTO_TCP &&
             (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening)))
                return ctr_error_msg(err, EINVAL, "publish: the fd for port %u/%s is not a %s IPv4 socket",
                                     (unsigned) m->host_port, proto,
                                     m->protocol == IPPROTO_UDP ? "datagram" : "listening TCP");
        /* Replies from the address the client sent to (see flow_send_back). */
        if (m->protocol == IPPROTO_UDP && setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0)
                return ctr_error_sys(err, errno, "publish: IP_PKTINFO on port %u/udp", (unsigned) m->host_port);
        /* The daemon made it non-blocking; make sure, a blocking accept
         * would stall every container stream of this monitor. */
        if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
                return ctr_error_sys(err, errno, "publish: port %u/%s non-blocking", (unsigned) m->host_port, proto);
        return 0;
}

int
proxy_publish(struct proxy *p, json_t *msg, int *fds, size_t nfds, struct ctr_error **err)
{
        _cleanup_free_ struct port_mapping *ports = NULL;
        const char *address = json_string_value(json_object_get(msg, "address"));
        struct listener **grown, *ls[MONITOR_MSG_MAX_FDS] = {};
        struct in_addr addr;
        size_t n = 0;
        int r;

        if (!address || inet_pton(AF_INET, address, &addr) != 1)
                return ctr_error_msg(err, EINVAL, "publish: `address` must be an IPv4 address");
        r = ports_from_json(json_object_get(msg, "ports"), &ports, &n, err);
        if (r < 0)
                return ctr_error_prefix(err, -r, "publish");
        if (n == 0 || n != nfds || n > MONITOR_MSG_MAX_FDS)
                return ctr_error_msg(err, EINVAL, "publish: got %zu fds for %zu ports", nfds, n);
        if (p->n_listeners + n > PROXY_LISTENERS_MAX)
                return ctr_error_msg(err, E2BIG, "publish: more than %d published ports", PROXY_LISTENERS_MAX);
        for (size_t i = 0; i < n; i++) {
                r = check_socket(fds[i], &ports[i], err);
                if (r < 0)
                        return r;
        }
        grown = realloc(p->listeners, (p->n_listeners + n) * sizeof(*grown));
        if (!grown)
                return ctr_error_sys(err, ENOMEM, "publish");
        p->listeners = grown;
        for (size_t i = 0; i < n; i++) {
                ls[i] = calloc(1, sizeof(*ls[i]));
                if (!ls[i]) {
                        for (size_t k = 0; k < i; k++)
                                free(ls[k]);
                        return ctr_error_sys(err, ENOMEM, "publish");
                }
        }
        /* Nothing can fail from here on: take every fd. */
        for (size_t i = 0; i < n; i++) {
                struct listener *l = ls[i];
                l->fd = TAKE_FD(fds[i]);
                l->protocol = ports[i].protocol;
                l->target = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr = addr,
                                                  .sin_port = htons(ports[i].container_port) };
                snprintf(l->name, sizeof(l->name), "%s:%u/%s -> %s:%u",
                         ports[i].host_ip[0] ? ports[i].host_ip : "0.0.0.0", (unsigned) ports[i].host_port,
                         l->protocol == IPPROTO_UDP ? "udp" : "tcp", address, (unsigned) ports[i].container_port);
                p->listeners[p->n_listeners++] = l;
                log_info("relaying %s", l->name);
        }
        return 0;
}

/* ---- TCP ------------------------------------------------------------------ */

/* Closes a TCP socket with a reset (SO_LINGER 0) instead of a FIN: the peer
 * learns that the other side failed, not that it finished. */
static void
close_reset(int fd)
{
        struct linger lg = { .l_onoff = 1, .l_linger = 0 };

        if (fd < 0)
                return;
        (void) setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        safe_close(fd);
}

static void
relay_init(struct relay *r)
{
        *r = (struct relay){ .pipe_r = -1, .pipe_w = -1 };
}

/* A relay holds a pipe only while bytes are in it: an empty one goes back
 * to the spares, so an idle connection holds just its two sockets, and a
 * busy one takes a pipe from the spares without a syscall. A pipe with
 * bytes left (a connection reset mid-way) is closed, never reused. */
static void
relay_put_pipe(struct proxy *p, struct relay *r)
{
        if (r->pipe_r < 0)
                return;
        if (r->bytes == 0 && p->n_spare < PROXY_PIPES_SPARE) {
                p->spare[p->n_spare++] = (struct spare_pipe){ .r = r->pipe_r, .w = r->pipe_w, .cap = r->cap };
        } else {
                safe_close(r->pipe_r);
                safe_close(r->pipe_w);
        }
        r->pipe_r = r->pipe_w = -1;
        r->bytes = 0;
        r->full = false;
}

static int
relay_get_pipe(struct proxy *p, struct relay *r)
{
        int pp[2], sz;

        if (p->n_spare > 0) {
                struct spare_pipe *sp = &p->spare[--p->n_spare];
                r->pipe_r = sp->r;
                r->pipe_w = sp->w;
                r->cap = sp->cap;
                return 0;
        }
        if (pipe2(pp, O_CLOEXEC | O_NONBLOCK) < 0)
                return negative_errno();
        r->pipe_r = pp[0];
        r->pipe_w = pp[1];
        (void) fcntl(r->pipe_w, F_SETPIPE_SZ, PROXY_PIPE_SIZE);
        sz = fcntl(r->pipe_w, F_GETPIPE_SZ);
        r->cap = sz > 0 ? (size_t) sz : 65536;
        return 0;
}

static bool
relay_wants_read(const struct relay *r)
{
        return !r->eof && !r->full && (r->pipe_w < 0 || r->bytes < r->cap);
}

/* Moves what it can from src through the pipe to dst, at most about
 * PROXY_SPLICE_BURST bytes, and passes an EOF on once the pipe is empty.
 * Returns 0, or -errno when either socket failed (the connection is then
 * reset). */
static int
relay_pump(struct proxy *p, struct relay *r, int src, int dst)
{
        size_t moved = 0;
        ssize_t n;
        int k;

        for (;;) {
                bool progress = false;

                if (relay_wants_read(r)) {
                        if (r->pipe_w < 0 && (k = relay_get_pipe(p, r)) < 0)
                                return k;
                        n = splice(src, NULL, r->pipe_w, NULL, r->cap - r->bytes, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
                        if (n > 0) {
                                r->bytes += (size_t) n;
                                progress = true;
                        } else if (n == 0) {
                                r->eof = true;
                        } else if (errno == EAGAIN) {
                                /* Either the socket is empty or the pipe has no
                                 * free slot (a slot per skb fragment, so it can
                                 * fill below cap). With bytes in the pipe we
                                 * cannot tell: stop reading until some leave,
                                 * or POLLIN would fire forever. */
                                if (r->bytes > 0)
                                        r->full = true;
                        } else if (errno != EINTR) {
                                return negative_errno();
                        }
                }
                if (r->bytes > 0) {
                        n = splice(r->pipe_r, NULL, dst, NULL, r->bytes, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
                        if (n > 0) {
                                r->bytes -= (size_t) n;
                                r->full = false;
                                moved += (size_t) n;
                                progress = true;
                        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                                return negative_errno();
                        }
                }
                if (!progress || moved >= PROXY_SPLICE_BURST)
                        break;
        }
        if (r->bytes == 0)
                relay_put_pipe(p, r);
        if (r->eof && r->bytes == 0 && !r->shut) {
                /* Half-close: the other side may still answer. */
                r->shut = true;
                if (shutdown(dst, SHUT_WR) < 0 && errno != ENOTCONN)
                        return negative_errno();
        }
        return 0;
}

static void
conn_close(struct proxy *p, struct conn *c, bool reset)
{
        if (c->dead)
                return;
        if (reset) {
                close_reset(c->cfd);
                close_reset(c->bfd);
        } else {
                safe_close(c->cfd);
                safe_close(c->bfd);
        }
        c->cfd = c->bfd = -1;
        relay_put_pipe(p, &c->dir[0]);
        relay_put_pipe(p, &c->dir[1]);
        if (c->prev)
                c->prev->next = c->next;
        else
                p->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        c->prev = NULL;
        c->next = p->dead_conns;
        p->dead_conns = c;
        c->dead = true;
        p->n_conns--;
}

static void
set_nodelay(int fd)
{
        int one = 1;

        /* A relay must not add Nagle delays the two ends did not ask for. */
        (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Takes cfd. Returns -EMFILE/-ENFILE when out of fds (cfd reset). */
static int
conn_open(struct proxy *p, struct listener *l, int cfd)
{
        struct conn *c = calloc(1, sizeof(*c));
        int bfd, r;

        if (!c) {
                close_reset(cfd);
                return -ENOMEM;
        }
        bfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (bfd < 0) {
                r = negative_errno();
                close_reset(cfd);
                free(c);
                return r;
        }
        set_nodelay(cfd);
        set_nodelay(bfd);
        *c = (struct conn){ .l = l, .cfd = cfd, .bfd = bfd };
        relay_init(&c->dir[0]);
        relay_init(&c->dir[1]);
        if (connect(bfd, (struct sockaddr *) &l->target, sizeof(l->target)) < 0) {
                if (errno != EINPROGRESS) {
                        /* Refused at once (loopback): the client hears a reset. */
                        log_debug("%s: connect: %m", l->name);
                        close_reset(cfd);
                        safe_close(bfd);
                        free(c);
                        return 0;
                }
                c->connecting = true;
        }
        c->next = p->conns;
        if (p->conns)
                p->conns->prev = c;
        p->conns = c;
        p->n_conns++;
        return 0;
}

static void
listener_accept(struct proxy *p, struct listener *l, int64_t now_ms)
{
        for (int i = 0; i < PROXY_ACCEPT_BURST && p->n_conns < p->conns_max; i++) {
                int cfd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), r;

                if (cfd < 0) {
                        if (errno == EAGAIN || errno == EWOULDBLOCK)
                                return;
                        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                                log_warning("%s: accept: %m; pausing for %d ms", l->name, PROXY_ACCEPT_BACKOFF_MS);
                                p->accept_resume_ms = now_ms + PROXY_ACCEPT_BACKOFF_MS;
                                return;
                        }
                        continue; /* ECONNABORTED and the like: that client only */
                }
                r = conn_open(p, l, cfd);
                if (r == -EMFILE || r == -ENFILE || r == -ENOMEM) {
                        log_warning("%s: %s; pausing for %d ms", l->name, strerror(-r), PROXY_ACCEPT_BACKOFF_MS);
                        p->accept_resume_ms = now_ms + PROXY_ACCEPT_BACKOFF_MS;
                        return;
                }
        }
}

/* The container's side accepted (or refused) the connection. */
static int
conn_connected(struct conn *c)
{
        int e = 0;
        socklen_t len = sizeof(e);

        if (getsockopt(c->bfd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
                return negative_errno();
        if (e) {
                log_debug("%s: connect: %s", c->l->name, strerror(e));
                return -e;
        }
        c->connecting = false;
        return 0;
}

static void
conn_handle(struct proxy *p, struct conn *c, bool client_side, short revents)
{
        bool err = revents & (POLLERR | POLLHUP);
        /* Which directions this event can move: reading from the fd feeds
         * the relay it is the source of, writing drains the other one. */
        bool up = client_side ? (revents & POLLIN) || err : (revents & POLLOUT) || err;
        bool down = client_side ? (revents & POLLOUT) || err : (revents & POLLIN) || err;
        int r = 0;

        if (c->dead)
                return;
        if (c->connecting) {
                if (client_side)
                        return;
                r = conn_connected(c);
                if (r < 0) {
                        conn_close(p, c, true);
                        return;
                }
                up = down = true;
        }
        if (up)
                r = relay_pump(p, &c->dir[0], c->cfd, c->bfd);
        if (r >= 0 && down)
                r = relay_pump(p, &c->dir[1], c->bfd, c->cfd);
        if (r < 0) {
                log_debug("%s: connection reset: %s", c->l->name, strerror(-r));
                conn_close(p, c, true);
        } else if (c->dir[0].shut && c->dir[1].shut) {
                conn_close(p, c, false);
        }
}

static void
conn_poll(struct proxy *p, struct conn *c, struct pollset *ps)
{
        short ce, be;

        if (c->connecting) {
                pollset_add(ps, c->bfd, POLLOUT, PK_PROXY, p, c, TAG_BACKEND);
                return;
        }
        /* Only what can move: a full pipe stops reading its source, an
         * empty one does not wait for its destination. */
        ce = (relay_wants_read(&c->dir[0]) ? POLLIN : 0) | (c->dir[1].bytes > 0 ? POLLOUT : 0);
        be = (relay_wants_read(&c->dir[1]) ? POLLIN : 0) | (c->dir[0].bytes > 0 ? POLLOUT : 0);
        if (ce)
                pollset_add(ps, c->cfd, ce, PK_PROXY, p, c, TAG_CLIENT);
        if (be)
                pollset_add(ps, c->bfd, be, PK_PROXY, p, c, TAG_BACKEND);
}

/* ---- UDP ------------------------------------------------------------------ */

static size_t
flow_hash(const struct listener *l, const struct sockaddr_in *a)
{
        uint64_t h = (uint64_t) (uintptr_t) l;

        h ^= (uint64_t) a->sin_addr.s_addr * 0x9e3779b97f4a7c15ULL;
        h ^= (uint64_t) a->sin_port * 0xc2b2ae3d27d4eb4fULL;
        return (size_t) ((h ^ (h >> 29)) % FLOW_BUCKETS);
}

static void
lru_unlink(struct proxy *p, struct flow *f)
{
        if (f->prev)
                f->prev->next = f->next;
        else
                p->lru_head = f->next;
        if (f->next)
                f->next->prev = f->prev;
        else
                p->lru_tail = f->prev;
        f->prev = f->next = NULL;
}

static void
lru_append(struct proxy *p, struct flow *f)
{
        f->prev = p->lru_tail;
        f->next = NULL;
        if (p->lru_tail)
                p->lru_tail->next = f;
        else
                p->lru_head = f;
        p->lru_tail = f;
}

static void
flow_touch(struct proxy *p, struct flow *f, int64_t now_ms)
{
        f->last_ms = now_ms;
        if (p->lru_tail != f) {
                lru_unlink(p, f);
                lru_append(p, f);
        }
}

static struct flow *
flow_find(struct proxy *p, const struct listener *l, const struct sockaddr_in *a)
{
        for (struct flow *f = p->buckets[flow_hash(l, a)]; f; f = f->hnext)
                if (f->l == l && f->client.sin_addr.s_addr == a->sin_addr.s_addr && f->client.sin_port == a->sin_port)
                        return f;
        return NULL;
}

/* Closes f; freed by proxy_tick() (a tag of this round may point at it). */
static void
flow_kill(struct proxy *p, struct flow *f)
{
        struct flow **pp = &p->buckets[flow_hash(f->l, &f->client)];

        while (*pp && *pp != f)
                pp = &(*pp)->hnext;
        if (*pp)
                *pp = f->hnext;
        lru_unlink(p, f);
        f->fd = safe_close(f->fd);
        f->dead = true;
        f->next = p->dead_flows;
        p->dead_flows = f;
        p->n_flows--;
}

static struct flow *
flow_open(struct proxy *p, struct listener *l, const struct sockaddr_in *client, struct in_addr local,
          int64_t now_ms)
{
        struct flow *f;
        size_t h;
        int fd;

        if (p->n_flows >= p->flows_max && p->lru_head)
                flow_kill(p, p->lru_head); /* recycle the least recently used */
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                log_debug("%s: socket: %m", l->name);
                return NULL;
        }
        /* Connected: the kernel drops datagrams from anyone but the
         * container's port, and recv() needs no source check. */
        if (connect(fd, (struct sockaddr *) &l->target, sizeof(l->target)) < 0) {
                log_debug("%s: connect: %m", l->name);
                safe_close(fd);
                return NULL;
        }
        f = calloc(1, sizeof(*f));
        if (!f) {
                safe_close(fd);
                return NULL;
        }
        *f = (struct flow){ .l = l, .fd = fd, .client = *client, .local = local, .last_ms = now_ms };
        h = flow_hash(l, client);
        f->hnext = p->buckets[h];
        p->buckets[h] = f;
        lru_append(p, f);
        p->n_flows++;
        return f;
}

static void
listener_udp_read(struct proxy *p, struct listener *l, int64_t now_ms)
{
        for (int i = 0; i < PROXY_UDP_BURST; i++) {
                union {
                        struct cmsghdr h;
                        char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
                } ctl;
                struct sockaddr_in from = {};
                struct iovec iov = { .iov_base = p->dgram, .iov_len = DGRAM_MAX };
                struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
                                     .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
                struct in_addr local = { .s_addr = htonl(INADDR_ANY) };
                struct flow *f;
                ssize_t n = recvmsg(l->fd, &mh, MSG_DONTWAIT);

                if (n < 0) {
                        if (errno == EAGAIN || errno == EWOULDBLOCK)
                                return;
                        continue; /* an ICMP error queued on the socket, EINTR */
                }
                if (from.sin_family != AF_INET)
                        continue;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
                                struct in_pktinfo pi;
                                memcpy(&pi, CMSG_DATA(c), sizeof(pi));
                                local = pi.ipi_spec_dst;
                        }
                f = flow_find(p, l, &from);
                if (f)
                        flow_touch(p, f, now_ms);
                else
                        f = flow_open(p, l, &from, local, now_ms);
                /* A datagram the container's socket does not take is lost,
                 * as it would be on the wire. */
                if (f)
                        (void) send(f->fd, p->dgram, (size_t) n, MSG_DONTWAIT);
        }
}

/* A reply to the client, from the address it wrote to. */
static void
flow_send_back(struct flow *f, const void *data, size_t n)
{
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
        } ctl = {};
        struct iovec iov = { .iov_base = (void *) data, .iov_len = n };
        struct msghdr mh = { .msg_name = &f->client, .msg_namelen = sizeof(f->client), .msg_iov = &iov,
                             .msg_iovlen = 1 };

        if (f->local.s_addr != htonl(INADDR_ANY)) {
                struct in_pktinfo pi = { .ipi_spec_dst = f->local };
                struct cmsghdr *c;
                mh.msg_control = ctl.buf;
                mh.msg_controllen = sizeof(ctl.buf);
                c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = IPPROTO_IP;
                c->cmsg_type = IP_PKTINFO;
                c->cmsg_len = CMSG_LEN(sizeof(pi));
                memcpy(CMSG_DATA(c), &pi, sizeof(pi));
        }
        (void) sendmsg(f->l->fd, &mh, MSG_DONTWAIT);
}

static void
flow_read(struct proxy *p, struct flow *f, int64_t now_ms)
{
        for (int i = 0; i < PROXY_UDP_BURST && !f->dead; i++) {
                ssize_t n = recv(f->fd, p->dgram, DGRAM_MAX, MSG_DONTWAIT);

                if (n < 0) {
                        /* ECONNREFUSED: the container's port is closed (an
                         * ICMP came back); the flow stays for later replies. */
                        if (errno == ECONNREFUSED || errno == EINTR)
                                continue;
                        return;
                }
                flow_touch(p, f, now_ms);
                flow_send_back(f, p->dgram, (size_t) n);
        }
}

/* ---- the loop's side -------------------------------------------------------- */

void
proxy_poll(struct proxy *p, struct pollset *ps, int64_t now_ms)
{
        bool accepting;

        if (!p)
                return;
        accepting = p->n_conns < p->conns_max && now_ms >= p->accept_resume_ms;
        if (p->n_conns < p->conns_max && !accepting)
                pollset_deadline(ps, p->accept_resume_ms);
        for (size_t i = 0; i < p->n_listeners; i++) {
                struct listener *l = p->listeners[i];
                /* At the connection limit the listeners are not polled: new
                 * clients wait in the kernel's backlog, not in a busy loop. */
                if (l->protocol == IPPROTO_UDP || accepting)
                        pollset_add(ps, l->fd, POLLIN, PK_PROXY, p, l, TAG_LISTENER);
        }
        for (struct conn *c = p->conns; c; c = c->next)
                conn_poll(p, c, ps);
        for (struct flow *f = p->lru_head; f; f = f->next)
                pollset_add(ps, f->fd, POLLIN, PK_PROXY, p, f, TAG_FLOW);
        if (p->lru_head)
                pollset_deadline(ps, p->lru_head->last_ms + PROXY_UDP_IDLE_MS);
}

void
proxy_handle(struct proxy *p, const struct poll_tag *t, short revents, int64_t now_ms)
{
        switch (t->i) {
        case TAG_LISTENER: {
                struct listener *l = t->b;
                if (l->protocol == IPPROTO_UDP)
                        listener_udp_read(p, l, now_ms);
                else
                        listener_accept(p, l, now_ms);
                break;
        }
        case TAG_CLIENT:
        case TAG_BACKEND:
                conn_handle(p, t->b, t->i == TAG_CLIENT, revents);
                break;
        case TAG_FLOW: {
                struct flow *f = t->b;
                if (!f->dead)
                        flow_read(p, f, now_ms);
                break;
        }
        default:
                break;
        }
}

void
proxy_tick(struct proxy *p, int64_t now_ms)
{
        if (!p)
                return;
        while (p->lru_head && p->lru_head->last_ms + PROXY_UDP_IDLE_MS <= now_ms)
                flow_kill(p, p->lru_head);
        while (p->dead_conns) {
                struct conn *c = p->dead_conns;
                p->dead_conns = c->next;
                free(c);
        }
        while (p->dead_flows) {
                struct flow *f = p->dead_flows;
                p->dead_flows = f->next;
                free(f);
        }
}

void
proxy_free(struct proxy *p)
{
        if (!p)
                return;
        /* Listeners first: from now on new clients are refused. */
        for (size_t i = 0; i < p->n_listeners; i++) {
                safe_close(p->listeners[i]->fd);
                free(p->listeners[i]);
        }
        free(p->listeners);
        while (p->conns)
                conn_close(p, p->conns, false);
        while (p->lru_head)
                flow_kill(p, p->lru_head);
        proxy_tick(p, INT64_MIN);
        while (p->n_spare > 0) {
                p->n_spare--;
                safe_close(p->spare[p->n_spare].r);
                safe_close(p->spare[p->n_spare].w);
        }
        free(p->dgram);
        free(p);
}
