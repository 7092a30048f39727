/* Unit tests for daemon/ports.c: the -p parser (every accepted form and
 * the malformed ones), the JSON form and its validation, and binding on
 * loopback (conflicts, port 0, no fd left behind on failure). No root. */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/ports.h"
#include "tap.h"

static size_t
count_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        struct dirent *e;
        size_t n = 0;

        if (!d)
                return 0;
        while ((e = readdir(d)))
                if (e->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}

struct good {
        const char *spec;
        const char *ip;
        unsigned host, ctr;
        int proto;
};

static void
test_parse_good(void)
{
        static const struct good cases[] = {
                { "80", "", 0, 80, IPPROTO_TCP },
                { "8080:80", "", 8080, 80, IPPROTO_TCP },
                { "127.0.0.1:8080:80", "127.0.0.1", 8080, 80, IPPROTO_TCP },
                { "127.0.0.1::80", "127.0.0.1", 0, 80, IPPROTO_TCP },
                { "80/udp", "", 0, 80, IPPROTO_UDP },
                { "53:53/udp", "", 53, 53, IPPROTO_UDP },
                { "8080:80/tcp", "", 8080, 80, IPPROTO_TCP },
                { "10.1.2.3:5353:53/udp", "10.1.2.3", 5353, 53, IPPROTO_UDP },
                { "10.1.2.3::53/UDP", "10.1.2.3", 0, 53, IPPROTO_UDP },
                { "0.0.0.0:8080:80", "", 8080, 80, IPPROTO_TCP },
                { "0:80", "", 0, 80, IPPROTO_TCP },
                { "65535:65535", "", 65535, 65535, IPPROTO_TCP },
                { "1", "", 0, 1, IPPROTO_TCP },
                { "255.255.255.255:65535:65535/udp", "255.255.255.255", 65535, 65535, IPPROTO_UDP },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const struct good *c = &cases[i];
                struct ctr_error *err = NULL;
                struct port_mapping m;
                int r = ports_parse(c->spec, &m, &err);

                ok(r == 0 && strcmp(m.host_ip, c->ip) == 0 && m.host_port == c->host &&
                           m.container_port == c->ctr && m.protocol == c->proto,
                   "parse `%s`", c->spec);
                if (err)
                        printf("#   %s\n", err->message);
                ctr_error_free(err);
        }
}

struct bad {
        const char *spec;
        const char *message; /* exact, or NULL: only that it fails with a message naming the spec */
};

static void
test_parse_bad(void)
{
        static const struct bad cases[] = {
                { "8080:99999", "port spec `8080:99999`: container port 99999 is out of range (1-65535)" },
                { "8080:0", "port spec `8080:0`: container port 0 is out of range (1-65535)" },
                { "0", "port spec `0`: container port 0 is out of range (1-65535)" },
                { "65536:80", "port spec `65536:80`: host port 65536 is out of range (0-65535)" },
                { "99999999999999999999999:80", NULL },
                { "", "port spec is empty (expected [IP:][HOSTPORT:]CTRPORT[/tcp|udp])" },
                { ":80", "port spec `:80`: the host port is empty" },
                { "8080:", "port spec `8080:`: the container port is missing" },
                { "127.0.0.1:8080:", "port spec `127.0.0.1:8080:`: the container port is missing" },
                { ":8080:80", "port spec `:8080:80`: the host IP is empty" },
                { "::80", "port spec `::80`: the host IP is empty" },
                { "/tcp", "port spec `/tcp`: the container port is missing" },
                { "abc", "port spec `abc`: container port `abc` is not a number" },
                { "8080:abc", "port spec `8080:abc`: container port `abc` is not a number" },
                { "x:80", "port spec `x:80`: host port `x` is not a number" },
                { "-1:80", NULL },
                { "+80", NULL },
                { " 80", NULL },
                { "80 ", NULL },
                { "8O", NULL },
                { "0x50", NULL },
                { "256.0.0.1:80:80", "port spec `256.0.0.1:80:80`: `256.0.0.1` is not an IPv4 address" },
                { "1.2.3:80:80", NULL },
                { "01.2.3.4:80:80", NULL },
                { "localhost:80:80", NULL },
                { "[::1]:80:80", "port spec `[::1]:80:80`: IPv6 host addresses are not supported" },
                { "80/sctp", "port spec `80/sctp`: unknown protocol `sctp` (tcp or udp)" },
                { "80/", "port spec `80/`: unknown protocol `` (tcp or udp)" },
                { "80/tcp/udp", NULL },
                { "1:2:3:4", "port spec `1:2:3:4`: too many `:` (expected [IP:][HOSTPORT:]CTRPORT)" },
                { "1.2.3.4:1:2:3", NULL },
                { "1.2.3.4:80:80:", NULL },
                { "1234567890123456789012345678901234567890123456789012345678901234567890", NULL },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const struct bad *c = &cases[i];
                struct ctr_error *err = NULL;
                struct port_mapping m = { .host_port = 4242 };
                int r = ports_parse(c->spec, &m, &err);
                bool good_msg = err && err->message &&
                                (c->message ? strcmp(err->message, c->message) == 0
                                            : strncmp(err->message, "port spec", 9) == 0);

                ok(r == -EINVAL && good_msg && m.host_port == 4242, "refused `%s`", c->spec);
                if (err)
                        printf("#   %s\n", err->message);
                ctr_error_free(err);
        }
        {
                struct ctr_error *err = NULL;
                struct port_mapping m;
                ok(ports_parse(NULL, &m, &err) == -EINVAL && err, "NULL spec refused");
                ctr_error_free(err);
        }
}

static bool
same(const struct port_mapping *a, const struct port_mapping *b)
{
        return strcmp(a->host_ip, b->host_ip) == 0 && a->host_port == b->host_port &&
               a->container_port == b->container_port && a->protocol == b->protocol;
}

static void
test_json_round_trip(void)
{
        static const char *const specs[] = { "80", "127.0.0.1:8080:80", "10.0.0.1::53/udp", "9000:9000/udp" };
        struct port_mapping in[4], *out = NULL;
        struct ctr_error *err = NULL;
        size_t n = 0;
        json_t *j;
        char *text;
        bool all = true;

        for (size_t i = 0; i < 4; i++)
                all &= ports_parse(specs[i], &in[i], NULL) == 0;
        ok(all, "specs for the round trip parse");
        j = ports_to_json(in, 4);
        text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        is_str(json_string_value(json_object_get(json_array_get(j, 0), "protocol")), "tcp", "protocol tcp");
        ok(text && strstr(text, "{\"host_ip\":\"127.0.0.1\",\"host_port\":8080,\"container_port\":80,"
                                "\"protocol\":\"tcp\"}"),
           "JSON form: %s", text ? text : "(null)");
        ok(ports_from_json(j, &out, &n, &err) == 0 && n == 4, "from_json of to_json");
        for (size_t i = 0; out && i < n; i++)
                ok(same(&in[i], &out[i]), "round trip of `%s`", specs[i]);
        free(text);
        free(out);
        json_decref(j);
        ctr_error_free(err);

        j = ports_to_json(NULL, 0);
        ok(json_is_array(j) && json_array_size(j) == 0, "no ports: []");
        out = (void *) 1;
        ok(ports_from_json(j, &out, &n, NULL) == 0 && !out && n == 0, "[] gives NULL, 0");
        json_decref(j);
        out = (void *) 1;
        ok(ports_from_json(NULL, &out, &n, NULL) == 0 && !out && n == 0, "absent ports give NULL, 0");
        j = json_null();
        out = (void *) 1;
        ok(ports_from_json(j, &out, &n, NULL) == 0 && !out && n == 0, "null ports give NULL, 0");
        json_decref(j);

        /* Defaults: host_ip "", host_port 0, protocol tcp; 0.0.0.0 is "". */
        j = json_loads("[{\"container_port\":80},{\"host_ip\":\"0.0.0.0\",\"host_port\":81,"
                       "\"container_port\":81,\"protocol\":\"udp\"}]",
                       0, NULL);
        ok(ports_from_json(j, &out, &n, NULL) == 0 && n == 2 && out[0].host_ip[0] == '\0' &&
                   out[0].host_port == 0 && out[0].protocol == IPPROTO_TCP && out[1].host_ip[0] == '\0' &&
                   out[1].protocol == IPPROTO_UDP,
           "defaults and 0.0.0.0 normalised");
        free(out);
        json_decref(j);
}

static void
test_json_bad(void)
{
        static const struct {
                const char *json, *message;
        } cases[] = {
                { "{}", "`ports` must be an array" },
                { "[1]", "ports[0] must be an object" },
                { "[{}]", "ports[0]: `container_port` is missing" },
                { "[{\"container_port\":0}]", "ports[0]: container_port 0 is out of range (1-65535)" },
                { "[{\"container_port\":65536}]", "ports[0]: container_port 65536 is out of range (1-65535)" },
                { "[{\"container_port\":\"80\"}]", "ports[0]: `container_port` must be an integer" },
                { "[{\"container_port\":80,\"host_port\":-1}]", "ports[0]: host_port -1 is out of range (0-65535)" },
                { "[{\"container_port\":80,\"host_port\":1.5}]", "ports[0]: `host_port` must be an integer" },
                { "[{\"container_port\":80,\"host_ip\":\"::1\"}]", "ports[0]: `::1` is not an IPv4 address" },
                { "[{\"container_port\":80,\"host_ip\":5}]", "ports[0]: `host_ip` must be a string" },
                { "[{\"container_port\":80,\"protocol\":\"sctp\"}]",
                  "ports[0]: `protocol` must be \"tcp\" or \"udp\"" },
                { "[{\"container_port\":80,\"protocol\":null}]", "ports[0]: `protocol` must be \"tcp\" or \"udp\"" },
                { "[{\"container_port\":80,\"containerPort\":80}]", "ports[0]: unknown key `containerPort`" },
                { "[{\"container_port\":80,\"host_port\":8080},{\"container_port\":81,\"host_port\":8080}]",
                  "ports[1]: host port 0.0.0.0:8080/tcp is published twice" },
                { "[{\"host_ip\":\"127.0.0.1\",\"container_port\":80,\"host_port\":8080},"
                  "{\"host_ip\":\"127.0.0.1\",\"container_port\":81,\"host_port\":8080}]",
                  "ports[1]: host port 127.0.0.1:8080/tcp is published twice" },
                { "[{\"host_ip\":\"127.0.0.1\",\"container_port\":80,\"host_port\":8080},"
                  "{\"container_port\":81,\"host_port\":8080}]",
                  "ports[1]: host port 0.0.0.0:8080/tcp is published twice" },
                { "[{\"container_port\":53,\"host_port\":53,\"protocol\":\"udp\"},"
                  "{\"host_ip\":\"10.0.0.1\",\"container_port\":54,\"host_port\":53,\"protocol\":\"udp\"}]",
                  "ports[1]: host port 10.0.0.1:53/udp is published twice" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                json_t *j = json_loads(cases[i].json, 0, NULL);
                struct port_mapping *out = (void *) 1;
                struct ctr_error *err = NULL;
                size_t n = 77;
                int r = ports_from_json(j, &out, &n, &err);

                ok(j && r == -EINVAL && err && strcmp(err->message, cases[i].message) == 0 && out == (void *) 1 &&
                           n == 77,
                   "refused %s", cases[i].json);
                if (err)
                        printf("#   %s\n", err->message);
                ctr_error_free(err);
                json_decref(j);
        }

        /* Not duplicates: other protocol, other address, port 0 twice. */
        {
                json_t *j = json_loads("[{\"container_port\":80,\"host_port\":8080},"
                                       "{\"container_port\":80,\"host_port\":8080,\"protocol\":\"udp\"},"
                                       "{\"host_ip\":\"127.0.0.1\",\"container_port\":80,\"host_port\":9090},"
                                       "{\"host_ip\":\"127.0.0.2\",\"container_port\":80,\"host_port\":9090},"
                                       "{\"container_port\":80},{\"container_port\":80}]",
                                       0, NULL);
                struct port_mapping *out = NULL;
                size_t n = 0;
                ok(ports_from_json(j, &out, &n, NULL) == 0 && n == 6, "distinct bindings accepted");
                free(out);
                json_decref(j);
        }
}

static bool
is_cloexec_nonblock(int fd)
{
        int fdf = fcntl(fd, F_GETFD), fl = fcntl(fd, F_GETFL);

        return fdf >= 0 && (fdf & FD_CLOEXEC) && fl >= 0 && (fl & O_NONBLOCK);
}

static int
sock_int(int fd, int level, int opt)
{
        int v = -1;
        socklen_t len = sizeof(v);

        if (getsockopt(fd, level, opt, &v, &len) < 0)
                return -1;
        return v;
}

static unsigned
bound_port(int fd)
{
        struct sockaddr_in sa;
        socklen_t len = sizeof(sa);

        if (getsockname(fd, (struct sockaddr *) &sa, &len) < 0)
                return 0;
        return ntohs(sa.sin_port);
}

/* A socket of ours on 127.0.0.1, port chosen by the kernel. */
static int
occupy(int type, unsigned *ret_port)
{
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 ||
            (type == SOCK_STREAM && listen(fd, 1) < 0)) {
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        *ret_port = bound_port(fd);
        return fd;
}

static void
test_bind(void)
{
        struct port_mapping m[2];
        struct ctr_error *err = NULL;
        int fds[2] = { -1, -1 };
        size_t before = count_fds();
        unsigned busy;
        int mine;
        char want[128];

        ok(ports_parse("127.0.0.1::80", &m[0], NULL) == 0 && ports_parse("127.0.0.1::53/udp", &m[1], NULL) == 0,
           "specs for binding");
        ok(ports_bind(m, 2, fds, &err) == 0, "bind tcp and udp on 127.0.0.1, any port");
        ok(m[0].host_port != 0 && m[0].host_port == bound_port(fds[0]), "tcp port chosen by the kernel reported (%u)",
           (unsigned) m[0].host_port);
        ok(m[1].host_port != 0 && m[1].host_port == bound_port(fds[1]), "udp port chosen by the kernel reported (%u)",
           (unsigned) m[1].host_port);
        ok(is_cloexec_nonblock(fds[0]) && is_cloexec_nonblock(fds[1]), "non-blocking and close-on-exec");
        ok(sock_int(fds[0], SOL_SOCKET, SO_ACCEPTCONN) == 1 && sock_int(fds[0], SOL_SOCKET, SO_TYPE) == SOCK_STREAM,
           "tcp socket listens");
        ok(sock_int(fds[1], SOL_SOCKET, SO_TYPE) == SOCK_DGRAM && sock_int(fds[1], SOL_SOCKET, SO_REUSEADDR) == 0,
           "udp socket is a datagram socket without SO_REUSEADDR");
        close(fds[0]);
        close(fds[1]);
        ctr_error_free(err);
        err = NULL;

        /* A TCP port in use: the error names it, nothing stays open, the
         * first mapping's port 0 is given back as asked. */
        mine = occupy(SOCK_STREAM, &busy);
        ok(mine >= 0, "occupied 127.0.0.1:%u/tcp", busy);
        before = count_fds();
        m[0] = (struct port_mapping){ .host_ip = "127.0.0.1", .host_port = 0, .container_port = 80,
                                      .protocol = IPPROTO_TCP };
        m[1] = (struct port_mapping){ .host_ip = "127.0.0.1", .host_port = (uint16_t) busy, .container_port = 81,
                                      .protocol = IPPROTO_TCP };
        snprintf(want, sizeof(want), "port 127.0.0.1:%u/tcp is already in use", busy);
        ok(ports_bind(m, 2, fds, &err) == -EADDRINUSE && err && strcmp(err->message, want) == 0,
           "tcp conflict: %s", err ? err->message : "(no error)");
        ok(fds[0] == -1 && fds[1] == -1 && m[0].host_port == 0 && m[1].host_port == busy,
           "failed bind: fds -1, ports as asked");
        is_int(count_fds(), before, "no fd leaked by a failed bind");
        ctr_error_free(err);
        err = NULL;

        /* The wildcard over a port taken on one address is a conflict too. */
        m[0] = (struct port_mapping){ .host_port = (uint16_t) busy, .container_port = 80, .protocol = IPPROTO_TCP };
        snprintf(want, sizeof(want), "port 0.0.0.0:%u/tcp is already in use", busy);
        ok(ports_bind(m, 1, fds, &err) == -EADDRINUSE && err && strcmp(err->message, want) == 0,
           "wildcard over a used port: %s", err ? err->message : "(no error)");
        is_int(count_fds(), before, "no fd leaked (wildcard)");
        ctr_error_free(err);
        err = NULL;
        close(mine);

        /* The same for UDP. */
        mine = occupy(SOCK_DGRAM, &busy);
        before = count_fds();
        m[0] = (struct port_mapping){ .host_ip = "127.0.0.1", .container_port = 53, .protocol = IPPROTO_UDP };
        m[1] = (struct port_mapping){ .host_ip = "127.0.0.1", .host_port = (uint16_t) busy, .container_port = 53,
                                      .protocol = IPPROTO_UDP };
        snprintf(want, sizeof(want), "port 127.0.0.1:%u/udp is already in use", busy);
        ok(mine >= 0 && ports_bind(m, 2, fds, &err) == -EADDRINUSE && err && strcmp(err->message, want) == 0,
           "udp conflict: %s", err ? err->message : "(no error)");
        is_int(count_fds(), before, "no fd leaked (udp)");
        ctr_error_free(err);
        err = NULL;
        close(mine);

        /* Two mappings of one call that collide. */
        m[0] = (struct port_mapping){ .host_ip = "127.0.0.1", .container_port = 80, .protocol = IPPROTO_TCP };
        ok(ports_bind(m, 1, fds, NULL) == 0, "bind one");
        busy = m[0].host_port;
        close(fds[0]);
        m[0].host_port = (uint16_t) busy;
        m[1] = m[0];
        before = count_fds();
        ok(ports_bind(m, 2, fds, &err) == -EADDRINUSE && err, "the same port twice in one call: %s",
           err ? err->message : "(no error)");
        is_int(count_fds(), before, "no fd leaked (twice)");
        ctr_error_free(err);
        err = NULL;

        /* An address that is not ours. */
        m[0] = (struct port_mapping){ .host_ip = "192.0.2.77", .container_port = 80, .protocol = IPPROTO_TCP };
        ok(ports_bind(m, 1, fds, &err) == -EADDRNOTAVAIL && err && strstr(err->message, "192.0.2.77:0/tcp"),
           "foreign address: %s", err ? err->message : "(no error)");
        is_int(count_fds(), before, "no fd leaked (foreign address)");
        ctr_error_free(err);

        ok(ports_bind(NULL, 0, NULL, NULL) == 0, "nothing to bind");
}

int
main(void)
{
        test_parse_good();
        test_parse_bad();
        test_json_round_trip();
        test_json_bad();
        test_bind();
        return tap_done();
}
