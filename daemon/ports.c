/* Published ports: the -p parser, the JSON form (API and container record)
 * and binding the host sockets the monitor relays from (daemon/monitor/
 * proxy.c). Pure parsing plus socket(2)/bind(2): no libevent, no state, so
 * the loop, a worker and the unit test can all call it. */
#include "daemon/ports.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "common/macros.h"
#include "common/parse.h"

/* A spec longer than this is not a port spec ("255.255.255.255:65535:65535/udp"
 * is 31 characters); it is cut in messages. */
#define PORT_SPEC_MAX 64
#define LISTEN_BACKLOG 4096

static const char *
proto_name(int protocol)
{
        return protocol == IPPROTO_UDP ? "udp" : "tcp";
}

static int
proto_from_name(const char *s)
{
        if (strcasecmp(s, "tcp") == 0)
                return IPPROTO_TCP;
        if (strcasecmp(s, "udp") == 0)
                return IPPROTO_UDP;
        return -EINVAL;
}

/* Parses a port number: digits only (no sign, no blanks), within [min, 65535]. */
static int
parse_port(const char *s, unsigned min, uint16_t *ret)
{
        uint64_t v;
        int r = parse_uint64(s, &v);

        if (r < 0)
                return r;
        if (v < min || v > 65535)
                return -ERANGE;
        *ret = (uint16_t) v;
        return 0;
}

/* A dotted quad into its canonical form; 0.0.0.0 becomes "" (every
 * address), so the same binding is spelled one way only. */
static int
parse_host_ip(const char *s, char ret[static 16])
{
        struct in_addr a;

        if (inet_pton(AF_INET, s, &a) != 1)
                return -EINVAL;
        if (a.s_addr == htonl(INADDR_ANY)) {
                ret[0] = '\0';
                return 0;
        }
        if (!inet_ntop(AF_INET, &a, ret, 16))
                return -EINVAL;
        return 0;
}

static int _printf_(3, 4)
port_error(struct ctr_error **err, const char *spec, const char *fmt, ...)
{
        char why[160];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(why, sizeof(why), fmt, ap);
        va_end(ap);
        return ctr_error_msg(err, EINVAL, "port spec `%.*s`: %s", PORT_SPEC_MAX, spec, why);
}

static int
port_range_error(struct ctr_error **err, const char *spec, const char *which, const char *value, int r,
                 const char *range)
{
        if (r == -ERANGE)
                return ctr_error_msg(err, EINVAL, "port spec `%.*s`: %s port %.16s is out of range (%s)",
                                     PORT_SPEC_MAX, spec, which, value, range);
        return ctr_error_msg(err, EINVAL, "port spec `%.*s`: %s port `%.16s` is not a number", PORT_SPEC_MAX,
                             spec, which, value);
}

int
ports_parse(const char *spec, struct port_mapping *ret, struct ctr_error **err)
{
        char buf[PORT_SPEC_MAX + 1];
        char *parts[3], *slash, *p;
        struct port_mapping m = { .protocol = IPPROTO_TCP };
        size_t n = 0;
        int r;

        if (!spec || !*spec)
                return ctr_error_msg(err, EINVAL, "port spec is empty (expected [IP:][HOSTPORT:]CTRPORT[/tcp|udp])");
        if (strlen(spec) > PORT_SPEC_MAX)
                return ctr_error_msg(err, EINVAL, "port spec `%.*s...` is too long", PORT_SPEC_MAX, spec);
        memcpy(buf, spec, strlen(spec) + 1);

        slash = strchr(buf, '/');
        if (slash) {
                *slash++ = '\0';
                r = proto_from_name(slash);
                if (r < 0)
                        return port_error(err, spec, "unknown protocol `%.16s` (tcp or udp)", slash);
                m.protocol = r;
        }
        if (buf[0] == '[')
                return port_error(err, spec, "IPv6 host addresses are not supported");
        for (p = buf;; p++) {
                char *colon = strchr(p, ':');
                if (n == ARRAY_SIZE(parts))
                        return port_error(err, spec, "too many `:` (expected [IP:][HOSTPORT:]CTRPORT)");
                parts[n++] = p;
                if (!colon)
                        break;
                *colon = '\0';
                p = colon;
        }
        /* parts: [ip, hostport,] ctrport. Only the host port of the
         * three-part form may be empty ("127.0.0.1::80": any port). */
        if (n == 3 && !*parts[0])
                return port_error(err, spec, "the host IP is empty");
        if (n == 2 && !*parts[0])
                return port_error(err, spec, "the host port is empty");
        if (!*parts[n - 1])
                return port_error(err, spec, "the container port is missing");
        if (n == 3 && parse_host_ip(parts[0], m.host_ip) < 0)
                return port_error(err, spec, "`%.20s` is not an IPv4 address", parts[0]);
        if (n >= 2 && *parts[n - 2]) {
                r = parse_port(parts[n - 2], 0, &m.host_port);
                if (r < 0)
                        return port_range_error(err, spec, "host", parts[n - 2], r, "0-65535");
        }
        r = parse_port(parts[n - 1], 1, &m.container_port);
        if (r < 0)
                return port_range_error(err, spec, "container", parts[n - 1], r, "1-65535");
        *ret = m;
        return 0;
}

json_t *
ports_to_json(const struct port_mapping *ports, size_t n)
{
        json_t *a = json_array();

        for (size_t i = 0; a && i < n; i++) {
                json_t *o = json_pack("{s:s, s:i, s:i, s:s}", "host_ip", ports[i].host_ip, "host_port",
                                      (int) ports[i].host_port, "container_port", (int) ports[i].container_port,
                                      "protocol", proto_name(ports[i].protocol));
                if (!o || json_array_append_new(a, o) < 0) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}

static int
json_port(json_t *o, const char *key, size_t i, unsigned min, bool required, uint16_t *ret,
          struct ctr_error **err)
{
        json_t *v = json_object_get(o, key);
        json_int_t x;

        if (!v) {
                if (required)
                        return ctr_error_msg(err, EINVAL, "ports[%zu]: `%s` is missing", i, key);
                *ret = 0;
                return 0;
        }
        if (!json_is_integer(v))
                return ctr_error_msg(err, EINVAL, "ports[%zu]: `%s` must be an integer", i, key);
        x = json_integer_value(v);
        if (x < (json_int_t) min || x > 65535)
                return ctr_error_msg(err, EINVAL, "ports[%zu]: %s %lld is out of range (%u-65535)", i, key,
                                     (long long) x, min);
        *ret = (uint16_t) x;
        return 0;
}

static int
port_from_json(json_t *o, size_t i, struct port_mapping *ret, struct ctr_error **err)
{
        struct port_mapping m = { .protocol = IPPROTO_TCP };
        const char *key;
        json_t *v;
        int r;

        if (!json_is_object(o))
                return ctr_error_msg(err, EINVAL, "ports[%zu] must be an object", i);
        json_object_foreach(o, key, v) {
                if (strcmp(key, "host_ip") != 0 && strcmp(key, "host_port") != 0 &&
                    strcmp(key, "container_port") != 0 && strcmp(key, "protocol") != 0)
                        return ctr_error_msg(err, EINVAL, "ports[%zu]: unknown key `%.32s`", i, key);
        }
        v = json_object_get(o, "host_ip");
        if (v && !json_is_string(v))
                return ctr_error_msg(err, EINVAL, "ports[%zu]: `host_ip` must be a string", i);
        if (v && *json_string_value(v) && parse_host_ip(json_string_value(v), m.host_ip) < 0)
                return ctr_error_msg(err, EINVAL, "ports[%zu]: `%.20s` is not an IPv4 address", i,
                                     json_string_value(v));
        r = json_port(o, "host_port", i, 0, false, &m.host_port, err);
        if (r < 0)
                return r;
        r = json_port(o, "container_port", i, 1, true, &m.container_port, err);
        if (r < 0)
                return r;
        v = json_object_get(o, "protocol");
        if (v) {
                r = json_is_string(v) ? proto_from_name(json_string_value(v)) : -EINVAL;
                if (r < 0)
                        return ctr_error_msg(err, EINVAL, "ports[%zu]: `protocol` must be \"tcp\" or \"udp\"", i);
                m.protocol = r;
        }
        *ret = m;
        return 0;
}

/* Two mappings that would bind the same socket: the same port and protocol
 * on the same address, or on any address when one of them is the wildcard.
 * Port 0 never collides: the kernel picks distinct ports. */
static bool
ports_collide(const struct port_mapping *a, const struct port_mapping *b)
{
        return a->host_port != 0 && a->host_port == b->host_port && a->protocol == b->protocol &&
               (!a->host_ip[0] || !b->host_ip[0] || strcmp(a->host_ip, b->host_ip) == 0);
}

int
ports_from_json(json_t *j, struct port_mapping **ret, size_t *ret_n, struct ctr_error **err)
{
        _cleanup_free_ struct port_mapping *v = NULL;
        size_t n;
        int r;

        if (!j || json_is_null(j)) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        if (!json_is_array(j))
                return ctr_error_msg(err, EINVAL, "`ports` must be an array");
        n = json_array_size(j);
        if (n == 0) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        v = calloc(n, sizeof(*v));
        if (!v)
                return ctr_error_sys(err, ENOMEM, "ports");
        for (size_t i = 0; i < n; i++) {
                r = port_from_json(json_array_get(j, i), i, &v[i], err);
                if (r < 0)
                        return r;
                for (size_t k = 0; k < i; k++)
                        if (ports_collide(&v[k], &v[i]))
                                return ctr_error_msg(err, EINVAL, "ports[%zu]: host port %s:%u/%s is published twice",
                                                     i, v[i].host_ip[0] ? v[i].host_ip : "0.0.0.0",
                                                     (unsigned) v[i].host_port, proto_name(v[i].protocol));
        }
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

static int
bind_one(struct port_mapping *m, int *ret_fd, struct ctr_error **err)
{
        const char *ip = m->host_ip[0] ? m->host_ip : "0.0.0.0";
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(m->host_port) };
        socklen_t len = sizeof(sa);
        bool tcp = m->protocol != IPPROTO_UDP;
        _cleanup_close_ int fd = -1;
        int one = 1;

        if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
                return ctr_error_msg(err, EINVAL, "`%s` is not an IPv4 address", ip);
        fd = socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return ctr_error_sys(err, errno, "socket for port %s:%u/%s", ip, (unsigned) m->host_port,
                                     proto_name(m->protocol));
        /* TCP: rebinding a port whose old connections linger in TIME_WAIT
         * (a restarted container) must work. Not for UDP: there it would let
         * two sockets share the port, hiding the conflict we must report. */
        if (tcp && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
                return ctr_error_sys(err, errno, "SO_REUSEADDR");
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                if (errno == EADDRINUSE)
                        return ctr_error_msg(err, EADDRINUSE, "port %s:%u/%s is already in use", ip,
                                             (unsigned) m->host_port, proto_name(m->protocol));
                return ctr_error_sys(err, errno, "bind port %s:%u/%s", ip, (unsigned) m->host_port,
                                     proto_name(m->protocol));
        }
        if (tcp && listen(fd, LISTEN_BACKLOG) < 0) {
                if (errno == EADDRINUSE)
                        return ctr_error_msg(err, EADDRINUSE, "port %s:%u/%s is already in use", ip,
                                             (unsigned) m->host_port, proto_name(m->protocol));
                return ctr_error_sys(err, errno, "listen on port %s:%u/%s", ip, (unsigned) m->host_port,
                                     proto_name(m->protocol));
        }
        if (getsockname(fd, (struct sockaddr *) &sa, &len) < 0)
                return ctr_error_sys(err, errno, "getsockname for port %s:%u/%s", ip, (unsigned) m->host_port,
                                     proto_name(m->protocol));
        m->host_port = ntohs(sa.sin_port);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int
ports_bind(struct port_mapping *ports, size_t n, int *fds, struct ctr_error **err)
{
        _cleanup_free_ uint16_t *asked = n ? calloc(n, sizeof(*asked)) : NULL;
        int r;

        if (n && !asked)
                return ctr_error_sys(err, ENOMEM, "bind ports");
        for (size_t i = 0; i < n; i++) {
                fds[i] = -1;
                asked[i] = ports[i].host_port;
        }
        for (size_t i = 0; i < n; i++) {
                r = bind_one(&ports[i], &fds[i], err);
                if (r < 0) {
                        /* Nothing half-made: every socket closed, every
                         * port as it was asked for. */
                        for (size_t k = 0; k < n; k++) {
                                fds[k] = safe_close(fds[k]);
                                ports[k].host_port = asked[k];
                        }
                        return r;
                }
        }
        return 0;
}
