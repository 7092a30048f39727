/* Unit tests for the daemon's transport and dispatch (server.c, client.c,
 * dispatch.c) over a real Unix socket in /tmp, with a fake method table:
 * pipelined requests, parse errors, unknown methods, deferred replies,
 * the in-flight limit, an oversized line, and EOF handling. No root. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/log.h"
#include "daemon/dispatch.h"
#include "daemon/server.h"
#include "tests/unit/tap.h"

static struct event_base *base;
static struct request *held[64];
static size_t n_held;

static void
m_echo(struct request *req, json_t *params, void *userdata)
{
        request_reply(req, json_incref(params));
}

static void
m_hold(struct request *req, json_t *params, void *userdata)
{
        held[n_held++] = req;
}

static void
m_fail(struct request *req, json_t *params, void *userdata)
{
        request_error_errno(req, -ENOENT, NULL);
}

/* test.stream: replies, then keeps the connection as a frame stream. */
static struct client *streamed;
static int stream_calls, stream_dead_calls;

static void
stream_cb(struct client *c, void *userdata)
{
        stream_calls++;
        if (client_is_dead(c))
                stream_dead_calls++;
}

static void
m_stream(struct request *req, json_t *params, void *userdata)
{
        streamed = request_stream(req, json_pack("{s:b}", "streaming", 1));
        if (streamed)
                client_stream_begin(streamed, 1024, stream_cb, NULL);
}

static const struct dispatch_method methods[] = {
        { "test.stream", m_stream, false },
        { "test.echo", m_echo, false },
        { "test.hold", m_hold, true },
        { "test.fail", m_fail, false },
        { NULL, NULL, false },
};

static int
connect_to(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        strcpy(sa.sun_path, path);
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -1;
        return fd;
}

/* Runs the loop until fd has n lines (or EOF) buffered; returns them. */
static char *
read_reply(int fd, int want_lines, bool until_eof)
{
        static char buf[1 << 16];
        size_t len = 0;
        int lines = 0;

        for (int i = 0; i < 2000; i++) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                event_base_loop(base, EVLOOP_NONBLOCK);
                if (poll(&p, 1, 1) > 0) {
                        ssize_t k = read(fd, buf + len, sizeof(buf) - 1 - len);
                        if (k <= 0)
                                break;
                        for (ssize_t j = 0; j < k; j++)
                                lines += buf[len + j] == '\n';
                        len += (size_t) k;
                }
                if (!until_eof && lines >= want_lines)
                        break;
        }
        buf[len] = '\0';
        return buf;
}

static void
send_str(int fd, const char *s)
{
        ok(write(fd, s, strlen(s)) == (ssize_t) strlen(s), "send %.40s", s);
}

int
main(void)
{
        char dir[] = "/tmp/test-dispatch-XXXXXX";
        char path[128];
        struct dispatch *d = NULL;
        struct server *s = NULL;
        struct ctr_error *e = NULL;
        int lfd = -1, fd;
        char *r;

        signal(SIGPIPE, SIG_IGN); /* as containerctld does */
        log_set_max_level(LOG_WARNING);
        base = event_base_new();
        ok(mkdtemp(dir) != NULL, "temp dir");
        snprintf(path, sizeof(path), "%s/sock", dir);
        ok(server_bind_unix(path, NULL, &lfd, &e) == 0, "bind");
        ok(server_bind_unix(path, NULL, &fd, &e) == -EADDRINUSE, "second bind refused while live");
        ctr_error_free(e);
        ok(dispatch_new(methods, NULL, &d) == 0, "dispatch");
        ok(server_new(base, &lfd, 1, dispatch_line, d, &s) == 0, "server");
        /* Unit tests may run as any uid: make the test's own group the admins. */
        server_set_authz(s, &(struct authz_groups) { .has_admin = true, .admin_gid = getgid() });

        fd = connect_to(path);
        ok(fd >= 0, "connect");
        send_str(fd, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.echo\",\"params\":{\"a\":1}}\n"
                     "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nope\"}\n"
                     "not json\n"
                     "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"test.fail\"}\n");
        r = read_reply(fd, 4, false);
        ok(strstr(r, "\"id\":1") && strstr(r, "\"a\":1"), "echo reply");
        ok(strstr(r, "-32601") != NULL, "unknown method -> no_method");
        ok(strstr(r, "-32700") != NULL, "bad JSON -> parse error");
        ok(strstr(r, "\"not_found\"") != NULL, "errno mapped to not_found");
        is_int(server_client_count(s), 1, "one client");

        /* Deferred replies and the in-flight limit. */
        for (int i = 0; i < DISPATCH_MAX_INFLIGHT + 1; i++) {
                char line[128];
                snprintf(line, sizeof(line),
                         "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"test.hold\"}\n", 100 + i);
                (void) !write(fd, line, strlen(line));
        }
        r = read_reply(fd, 1, false);
        ok(strstr(r, "\"busy\"") && strstr(r, "\"id\":116"), "17th request in flight is busy");
        is_int(n_held, DISPATCH_MAX_INFLIGHT, "16 held");
        request_reply(held[0], json_pack("{s:b}", "late", 1));
        r = read_reply(fd, 1, false);
        ok(strstr(r, "\"late\":true") && strstr(r, "\"id\":100"), "late reply delivered");

        /* EOF from the peer: owed replies still go out, then close. */
        shutdown(fd, SHUT_WR);
        read_reply(fd, 0, false);
        is_int(server_client_count(s), 1, "client kept while replies are owed");
        for (size_t i = 1; i < n_held; i++)
                request_reply(held[i], NULL);
        r = read_reply(fd, 0, true);
        ok(strstr(r, "\"id\":115") != NULL, "last owed reply written after EOF");
        is_int(server_client_count(s), 0, "client closed after its replies");
        close(fd);
        n_held = 0;

        /* A request whose client is gone: reply dropped, no crash. */
        fd = connect_to(path);
        send_str(fd, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.hold\"}\n");
        read_reply(fd, 0, false);
        is_int(n_held, 1, "held");
        close(fd);
        read_reply(-1, 0, false);
        is_int(server_client_count(s), 1, "EOF alone keeps a client that is owed a reply");
        request_reply(held[0], NULL);
        read_reply(-1, 0, false);
        is_int(server_client_count(s), 0, "closed once the reply failed or was written");
        n_held = 0;

        /* Oversized line: error and close, other clients unaffected. */
        {
                int other = connect_to(path);
                size_t big = PROTO_MAX_LINE + 100;
                char *junk = malloc(big);
                size_t off = 0;
                memset(junk, 'x', big);
                fd = connect_to(path);
                fcntl(fd, F_SETFL, O_NONBLOCK);
                while (off < big) {
                        ssize_t k = write(fd, junk + off, big - off);
                        if (k > 0)
                                off += (size_t) k;
                        else
                                event_base_loop(base, EVLOOP_NONBLOCK);
                        if (k < 0 && errno != EAGAIN)
                                break;
                }
                free(junk);
                fcntl(fd, F_SETFL, 0);
                r = read_reply(fd, 1, false);
                ok(strstr(r, "line longer than 1048576 bytes") != NULL, "oversized line error");
                send_str(other, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"test.echo\"}\n");
                r = read_reply(other, 1, false);
                ok(strstr(r, "\"id\":9") != NULL, "other client unaffected");
                close(fd);
                close(other);
                read_reply(-1, 0, false);
        }

        /* Stream mode: input ignored, output back-pressure visible, the
         * drain and close callbacks, EOF ends the stream. */
        {
                static char chunk[256 * 1024];
                size_t got = 0;
                fd = connect_to(path);
                send_str(fd, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"test.stream\"}\n");
                r = read_reply(fd, 1, false);
                ok(strstr(r, "\"streaming\":true") && streamed, "stream reply");
                for (int i = 0; i < 16; i++)
                        client_write(streamed, chunk, sizeof(chunk));
                event_base_loop(base, EVLOOP_NONBLOCK);
                ok(client_output_pending(streamed) > 0, "output queued while the peer does not read");
                send_str(fd, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"test.echo\"}\n");
                for (int i = 0; i < 5000 && got < 16 * sizeof(chunk); i++) {
                        struct pollfd p = { .fd = fd, .events = POLLIN };
                        event_base_loop(base, EVLOOP_NONBLOCK);
                        if (poll(&p, 1, 1) > 0) {
                                ssize_t k = read(fd, chunk, sizeof(chunk));
                                if (k <= 0)
                                        break;
                                got += (size_t) k;
                        }
                }
                event_base_loop(base, EVLOOP_NONBLOCK);
                is_int(got, 16 * sizeof(chunk), "all stream bytes, no reply to input");
                ok(stream_calls > 0 && stream_dead_calls == 0, "drain callback");
                is_int(client_output_pending(streamed), 0, "nothing pending");
                close(fd);
                read_reply(-1, 0, false);
                is_int(stream_dead_calls, 1, "close callback once the peer closed");
                ok(client_is_dead(streamed), "stream client dead after EOF");
                client_stream_end(streamed);
                client_unref(streamed);
                is_int(server_client_count(s), 0, "no client left");
        }

        server_free(s);
        dispatch_free(d);
        event_base_free(base);
        unlink(path);
        rmdir(dir);
        return tap_done();
}
