/* Unit tests for the event bus (daemon/events.c): filter parsing and
 * matching, since/until values, the ring buffer, and subscriptions over a
 * real Unix socket (order, filters, replay, until, a slow subscriber
 * dropped, a subscriber that leaves, shutdown). No root. */
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
#include "common/time-util.h"
#include "daemon/dispatch.h"
#include "daemon/events.h"
#include "daemon/server.h"
#include "tests/unit/tap.h"

static struct event_base *base;
static struct event_bus *bus;

/* ---- filters ---- */

static int
parse(const char *json, struct event_filter *f, char **msg)
{
        json_t *j = json_loads(json, 0, NULL);
        int r;

        *msg = NULL;
        r = event_filter_from_json(j, f, msg);
        json_decref(j);
        return r;
}

static void
test_filter_parse(void)
{
        struct event_filter f = {};
        char *msg = NULL;

        is_int(event_filter_from_json(NULL, &f, &msg), 0, "no filters");
        ok(!f.types && !f.actions && !f.containers && !f.images, "no filters: all NULL");
        is_int(parse("{\"type\":[\"container\",\"image\"],\"event\":\"die\",\"container\":[\"web\"]}",
                     &f, &msg),
               0, "filters parse");
        is_str(f.types[1], "image", "second type");
        ok(f.types[2] == NULL, "types NULL-terminated");
        is_str(f.actions[0], "die", "a single string is a list of one");
        is_str(f.containers[0], "web", "container");
        ok(f.images == NULL, "absent key stays NULL");
        event_filter_clear(&f);

        is_int(parse("{\"label\":[\"a=b\"]}", &f, &msg), -EINVAL, "unknown key");
        ok(msg && strstr(msg, "'label'"), "message names the key: %s", msg ? msg : "");
        free(msg);
        is_int(parse("{\"type\":[\"volume\"]}", &f, &msg), -EINVAL, "unknown type");
        ok(msg && strstr(msg, "'volume'"), "message names the type: %s", msg ? msg : "");
        free(msg);
        is_int(parse("{\"event\":[\"explode\"]}", &f, &msg), -EINVAL, "unknown event");
        ok(msg && strstr(msg, "'explode'"), "message names the event: %s", msg ? msg : "");
        free(msg);
        is_int(parse("{\"container\":[1]}", &f, &msg), -EINVAL, "number as a value");
        free(msg);
        is_int(parse("{\"container\":[\"\"]}", &f, &msg), -EINVAL, "empty value");
        free(msg);
        is_int(parse("{\"container\":{}}", &f, &msg), -EINVAL, "object as a value");
        free(msg);
        is_int(parse("[\"type\"]", &f, &msg), -EINVAL, "filters not an object");
        free(msg);
}

static json_t *
ev(const char *type, const char *action, const char *id, const char *name, const char *image)
{
        json_t *j = json_pack("{s:s,s:s,s:s,s:{}}", "type", type, "action", action, "id", id,
                              "attributes");
        if (name)
                json_object_set_new(j, "name", json_string(name));
        if (image)
                json_object_set_new(json_object_get(j, "attributes"), "image",
                                    json_string(image));
        return j;
}

static bool
matches(const char *filters, json_t *e)
{
        struct event_filter f = {};
        char *msg = NULL;
        bool m;

        if (parse(filters, &f, &msg) < 0) {
                printf("# bad filter %s: %s\n", filters, msg ? msg : "?");
                free(msg);
                return false;
        }
        m = event_filter_match(&f, e);
        event_filter_clear(&f);
        return m;
}

static void
test_filter_match(void)
{
        const char *cid = "3f2a0c1b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a";
        const char *iid = "aaaa0c1b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a";
        json_t *die = ev("container", "die", cid, "web", "busybox");
        json_t *imp = ev("image", "import", iid, "busybox:latest", NULL);

        ok(matches("{}", die), "empty filter matches");
        ok(event_filter_match(NULL, die), "NULL filter matches");
        ok(matches("{\"type\":[\"container\"]}", die), "type");
        ok(!matches("{\"type\":[\"image\"]}", die), "other type");
        ok(matches("{\"type\":[\"image\",\"container\"]}", die), "one key ORs its values");
        ok(matches("{\"event\":[\"start\",\"die\"]}", die), "event");
        ok(!matches("{\"event\":[\"start\"]}", die), "other event");
        ok(matches("{\"container\":[\"web\"]}", die), "container by name");
        ok(matches("{\"container\":[\"3f2a0c\"]}", die), "container by id prefix");
        ok(matches("{\"container\":[\"" "3f2a0c1b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a" "\"]}", die),
           "container by full id");
        ok(!matches("{\"container\":[\"we\"]}", die), "no partial names");
        ok(!matches("{\"container\":[\"3f2b\"]}", die), "other id prefix");
        ok(!matches("{\"container\":[\"web\"]}", imp), "container filter skips image events");
        ok(matches("{\"container\":[\"web\"],\"event\":[\"die\"]}", die), "keys AND");
        ok(!matches("{\"container\":[\"web\"],\"event\":[\"start\"]}", die), "keys AND (no)");
        ok(matches("{\"image\":[\"busybox\"]}", die), "container event by its image");
        ok(matches("{\"image\":[\"busybox:latest\"]}", die), "busybox:latest is busybox");
        ok(!matches("{\"image\":[\"busybox:1\"]}", die), "other tag");
        ok(!matches("{\"image\":[\"busy\"]}", die), "no partial names");
        ok(matches("{\"image\":[\"busybox\"]}", imp), "image event by name");
        ok(matches("{\"image\":[\"sha256:aaaa0c\"]}", imp), "image event by sha256:prefix");
        ok(!matches("{\"image\":[\"alpine\"]}", imp), "other image");
        json_decref(die);
        json_decref(imp);
}

static void
test_time(void)
{
        int64_t t = 0;
        json_t *j;

#define T(json, want, name)                                                          \
        do {                                                                         \
                j = json_loads(json, JSON_DECODE_ANY, NULL);                         \
                t = -7;                                                              \
                ok(event_time_from_json(j, &t) == 0 && t == (want), "%s", name);    \
                json_decref(j);                                                      \
        } while (0)
#define BAD(json, name)                                                              \
        do {                                                                         \
                j = json_loads(json, JSON_DECODE_ANY, NULL);                         \
                ok(event_time_from_json(j, &t) == -EINVAL, "%s", name);              \
                json_decref(j);                                                      \
        } while (0)
        T("1700000000", 1700000000LL * 1000000000, "integer seconds");
        T("\"1700000000\"", 1700000000LL * 1000000000, "seconds as a string");
        T("\"1700000000.123456789\"", 1700000000123456789LL, "nanoseconds in the fraction");
        T("\"1700000000.5\"", 1700000000500000000LL, "half a second");
        T("\"2023-11-14T22:13:20Z\"", 1700000000LL * 1000000000, "RFC 3339");
        T("\"2023-11-14T23:13:20.25+01:00\"", 1700000000250000000LL, "RFC 3339, offset, fraction");
        BAD("-1", "negative");
        BAD("\"\"", "empty");
        BAD("\"yesterday\"", "words");
        BAD("\"1700000000.\"", "dot without digits");
        BAD("true", "boolean");
        BAD("\"2023-13-14T22:13:20Z\"", "month 13");
#undef T
#undef BAD
}

/* ---- ring ---- */

static size_t n_seen;
static json_int_t first_seq, last_seq;

static void
count_cb(json_t *e, void *userdata)
{
        json_int_t seq = json_integer_value(json_object_get(e, "seq"));

        if (n_seen++ == 0)
                first_seq = seq;
        last_seq = seq;
}

static size_t
count(int64_t since, int64_t until, const char *filters)
{
        struct event_filter f = {};
        char *msg = NULL;
        size_t n;

        if (filters)
                parse(filters, &f, &msg);
        free(msg);
        n_seen = 0;
        n = event_bus_foreach(bus, since, until, filters ? &f : NULL, count_cb, NULL);
        event_filter_clear(&f);
        return n;
}

static void
test_ring(void)
{
        int64_t mid = 0;
        json_t *probe;

        event_bus_emit(NULL, "container", "create", "x", NULL, json_object(), 0); /* no bus */
        for (int i = 0; i < EVENT_RING_SIZE + 100; i++) {
                char id[16];
                snprintf(id, sizeof(id), "%04x", i);
                if (i == EVENT_RING_SIZE + 50)
                        mid = now_ns();
                event_bus_emit(bus, "container", i % 2 ? "start" : "create", id,
                               i % 2 ? "odd" : NULL, json_pack("{s:s}", "k", "v"),
                               i % 3 ? (uid_t) -1 : 1000);
        }
        is_int(count(-1, -1, NULL), EVENT_RING_SIZE, "the ring keeps the last 1024");
        is_int(first_seq, 101, "oldest kept is #101");
        is_int(last_seq, EVENT_RING_SIZE + 100, "newest last");
        is_int(count(-1, -1, "{\"event\":[\"start\"]}"), EVENT_RING_SIZE / 2, "filtered replay");
        ok(count(mid, -1, NULL) <= 50 && count(mid, -1, NULL) >= 1, "since cuts the older");
        ok(count(-1, mid, NULL) >= EVENT_RING_SIZE - 50, "until cuts the newer");
        is_int(count(mid, mid, NULL), 0, "empty window");

        /* The last event's shape. */
        n_seen = 0;
        probe = NULL;
        {
                struct event_filter f = {};
                char *msg = NULL;
                parse("{\"container\":[\"0463\"]}", &f, &msg);
                free(msg);
                is_int(event_bus_foreach(bus, -1, -1, &f, count_cb, NULL), 1, "one by id");
                event_filter_clear(&f);
        }
        (void) probe;
}

/* ---- subscriptions over a socket ---- */

static void
m_subscribe(struct request *req, json_t *params, void *userdata)
{
        struct event_filter f = {};
        char *msg = NULL;
        int64_t since = -1, until = -1;
        json_t *v;

        if (event_filter_from_json(json_object_get(params, "filters"), &f, &msg) < 0) {
                request_error(req, PROTO_ERR_INVALID_PARAMS, msg ? msg : "bad filters", NULL);
                free(msg);
                return;
        }
        if ((v = json_object_get(params, "since")))
                event_time_from_json(v, &since);
        if ((v = json_object_get(params, "until")))
                event_time_from_json(v, &until);
        event_bus_subscribe(bus, req, &f, since, until);
}

static const struct dispatch_method methods[] = {
        { "events.subscribe", m_subscribe, false },
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

/* Runs the loop and reads fd until it has `want` lines (or EOF with
 * until_eof); returns them (static buffer). */
static char *
read_lines(int fd, int want, bool until_eof)
{
        static char buf[1 << 20];
        size_t len = 0;
        int lines = 0;

        for (int i = 0; i < 3000; i++) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                event_base_loop(base, EVLOOP_NONBLOCK);
                if (fd >= 0 && poll(&p, 1, 1) > 0) {
                        ssize_t k = read(fd, buf + len, sizeof(buf) - 1 - len);
                        if (k <= 0)
                                break;
                        for (ssize_t j = 0; j < k; j++)
                                lines += buf[len + j] == '\n';
                        len += (size_t) k;
                } else if (fd < 0)
                        break;
                if (!until_eof && lines >= want)
                        break;
        }
        buf[len] = '\0';
        return buf;
}

static void
send_str(int fd, const char *s)
{
        ok(write(fd, s, strlen(s)) == (ssize_t) strlen(s), "send %.*s", (int) strcspn(s, "\n"),
           s);
}

static int
count_str(const char *hay, const char *needle)
{
        int n = 0;

        for (const char *p = hay; (p = strstr(p, needle)); p++)
                n++;
        return n;
}

static void
test_subscribe(const char *path, struct server *s)
{
        char line[512], *r;
        int fd, other;
        int64_t t0;

        /* Live events, in order, filtered. */
        fd = connect_to(path);
        send_str(fd, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"events.subscribe\","
                     "\"params\":{\"filters\":{\"container\":[\"web\"]}}}\n");
        r = read_lines(fd, 1, false);
        ok(strstr(r, "\"subscribed\":true"), "subscribe reply");
        is_int(event_bus_subscriber_count(bus), 1, "one subscriber");
        event_bus_emit(bus, "container", "create", "c1", "web", NULL, 0);
        event_bus_emit(bus, "container", "create", "c2", "db", NULL, 0);
        event_bus_emit(bus, "container", "start", "c1", "web", NULL, 0);
        event_bus_emit(bus, "container", "die", "c1", "web",
                       json_pack("{s:s}", "exit_code", "3"), (uid_t) -1);
        r = read_lines(fd, 3, false);
        is_int(count_str(r, "\"events.event\""), 3, "three events for web");
        ok(!strstr(r, "\"db\""), "db filtered out");
        ok(strstr(r, "\"create\"") < strstr(r, "\"start\"") &&
                   strstr(r, "\"start\"") < strstr(r, "\"die\""),
           "in order");
        ok(strstr(r, "\"exit_code\":\"3\""), "attributes carried");
        ok(strstr(r, "\"uid\":0") && strstr(r, "\"time\":\"") && strstr(r, "\"time_ns\":"),
           "uid and times");

        /* A subscriber that goes away is freed promptly (ASan: no leak). */
        close(fd);
        read_lines(-1, 0, false);
        read_lines(-1, 0, false);
        is_int(event_bus_subscriber_count(bus), 0, "gone with its client");
        is_int(server_client_count(s), 0, "client closed");

        /* since replays, until in the past ends after the replay. */
        t0 = now_ns();
        event_bus_emit(bus, "image", "import", "i1", "busybox:latest", NULL, 0);
        event_bus_emit(bus, "image", "remove", "i1", "busybox:latest", NULL, 0);
        fd = connect_to(path);
        snprintf(line, sizeof(line),
                 "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"events.subscribe\",\"params\":"
                 "{\"filters\":{\"type\":\"image\"},\"since\":\"%lld.%09lld\",\"until\":\"%lld\"}}\n",
                 (long long) (t0 / 1000000000), (long long) (t0 % 1000000000),
                 (long long) (now_ns() / 1000000000 + 1));
        /* until 1 s ahead: replay, then the timer ends it. */
        send_str(fd, line);
        r = read_lines(fd, 0, true);
        ok(strstr(r, "\"subscribed\":true"), "reply before the replay");
        is_int(count_str(r, "\"events.event\""), 2, "since replays both image events");
        ok(strstr(r, "\"import\"") < strstr(r, "\"remove\""), "replayed in order");
        ok(strstr(r, "\"events.end\"") && strstr(r, "\"until\""), "until ends the stream");
        close(fd);
        read_lines(-1, 0, false);
        is_int(event_bus_subscriber_count(bus), 0, "ended subscriber freed");
        is_int(server_client_count(s), 0, "and its client closed");

        fd = connect_to(path);
        send_str(fd, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"events.subscribe\",\"params\":"
                     "{\"until\":\"1\"}}\n");
        r = read_lines(fd, 0, true);
        ok(strstr(r, "\"events.end\"") && !strstr(r, "\"events.event\""),
           "until in the distant past: nothing but the end");
        close(fd);
        read_lines(-1, 0, false);

        /* A subscriber that does not read is dropped with an error; the
         * others carry on. */
        fd = connect_to(path);
        other = connect_to(path);
        send_str(fd, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"events.subscribe\"}\n");
        send_str(other, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"events.subscribe\","
                        "\"params\":{\"filters\":{\"event\":[\"oom\"]}}}\n");
        read_lines(fd, 1, false);
        read_lines(other, 1, false);
        is_int(event_bus_subscriber_count(bus), 2, "two subscribers");
        {
                char name[200];
                memset(name, 'n', sizeof(name) - 1);
                name[sizeof(name) - 1] = '\0';
                for (int i = 0; i < 20000 && event_bus_subscriber_count(bus) == 2; i++) {
                        event_bus_emit(bus, "container", "start", "c9", name, NULL, 0);
                        event_base_loop(base, EVLOOP_NONBLOCK);
                }
        }
        is_int(event_bus_subscriber_count(bus), 1, "the slow one is dropped");
        {
                /* Drain it: everything, then the error, then EOF. */
                static char tail[256];
                size_t total = 0;
                for (int i = 0; i < 20000; i++) {
                        char buf[65536];
                        struct pollfd p = { .fd = fd, .events = POLLIN };
                        event_base_loop(base, EVLOOP_NONBLOCK);
                        if (poll(&p, 1, 1) <= 0)
                                continue;
                        ssize_t k = read(fd, buf, sizeof(buf));
                        if (k <= 0)
                                break;
                        total += (size_t) k;
                        if ((size_t) k >= sizeof(tail) - 1) {
                                memcpy(tail, buf + k - (sizeof(tail) - 1), sizeof(tail) - 1);
                        } else {
                                memmove(tail, tail + k, sizeof(tail) - 1 - (size_t) k);
                                memcpy(tail + sizeof(tail) - 1 - k, buf, (size_t) k);
                        }
                }
                ok(total > EVENT_MAX_PENDING, "it got what was queued (%zu bytes)", total);
                ok(strstr(tail, "\"events.error\"") && strstr(tail, "too slow"),
                   "then the error notification");
        }
        close(fd);
        read_lines(-1, 0, false);
        is_int(server_client_count(s), 1, "its connection closed");
        event_bus_emit(bus, "container", "oom", "c9", "x", NULL, (uid_t) -1);
        r = read_lines(other, 1, false);
        ok(strstr(r, "\"oom\"") && !strstr(r, "\"uid\""), "the other still gets events, no uid");

        /* Shutdown: a live subscriber hears it, then the bus goes. */
        event_bus_shutdown(bus);
        is_int(event_bus_subscriber_count(bus), 0, "shutdown ends every subscription");
        r = read_lines(other, 0, true);
        ok(strstr(r, "\"events.end\"") && strstr(r, "\"shutdown\""), "shutdown end");
        close(other);
        read_lines(-1, 0, false);
        is_int(server_client_count(s), 0, "no client left");

        /* Freed with a live subscriber (no shutdown first): no leak, and
         * the end still goes out if the loop turns. */
        fd = connect_to(path);
        send_str(fd, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"events.subscribe\"}\n");
        read_lines(fd, 1, false);
        is_int(event_bus_subscriber_count(bus), 1, "subscribed before the free");
        event_bus_free(bus);
        bus = NULL;
        r = read_lines(fd, 0, true);
        ok(strstr(r, "\"shutdown\""), "end notification after a plain free");
        close(fd);
        read_lines(-1, 0, false);
        is_int(server_client_count(s), 0, "no client left after the free");
}

int
main(void)
{
        char dir[] = "/tmp/test-events-XXXXXX";
        char path[128];
        struct dispatch *d = NULL;
        struct server *s = NULL;
        struct ctr_error *e = NULL;
        int lfd = -1;

        signal(SIGPIPE, SIG_IGN);
        log_set_max_level(LOG_ERR);
        base = event_base_new();
        ok(event_bus_new(base, &bus) == 0, "bus");
        test_filter_parse();
        test_filter_match();
        test_time();
        test_ring();

        ok(mkdtemp(dir) != NULL, "temp dir");
        snprintf(path, sizeof(path), "%s/sock", dir);
        ok(server_bind_unix(path, NULL, &lfd, &e) == 0, "bind");
        ok(dispatch_new(methods, NULL, &d) == 0, "dispatch");
        ok(server_new(base, &lfd, 1, dispatch_line, d, &s) == 0, "server");
        test_subscribe(path, s);

        server_free(s);
        dispatch_free(d);
        event_bus_free(bus);
        event_base_free(base);
        unlink(path);
        rmdir(dir);
        return tap_done();
}
