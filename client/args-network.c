/* Parsing and light checks of the networking arguments: -p/--publish,
 * --network, --network-alias and `network create`. The -p grammar is the
 * daemon's (daemon/ports.h), written again here because the client links
 * no daemon code; the messages use the daemon's words so that a bad spec
 * reads the same whichever side refuses it. Prints nothing. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/args.h"
#include "client/args-network.h"
#include "common/macros.h"

#define PUBLISH_GRAMMAR "[IP:][HOSTPORT:]CTRPORT[/tcp|udp]"
/* Longer is no port spec ("255.255.255.255:65535:65535/udp" is 31). */
#define PUBLISH_SPEC_MAX 64

/* "port spec `SPEC`: <formatted>" as *err. Returns -EINVAL. */
static int _printf_(3, 4)
spec_error(struct ctr_error **err, const char *spec, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (n < 0)
                return ctr_error_msg(err, EINVAL, "port spec `%s` is invalid", spec);
        return ctr_error_msg(err, EINVAL, "port spec `%s`: %s", spec, msg);
}

/* One port number of spec; which is "container" or "host". min is 1 for
 * a container port, 0 for a host port (0: any). The messages start with
 * the daemon's words and may add a hint. */
static int
parse_port(const char *spec, const char *s, const char *which, unsigned min, uint16_t *ret,
           struct ctr_error **err)
{
        size_t len = strlen(s), digits = strspn(s, "0123456789");
        const char *hint = "", *num;
        unsigned long v;

        if (digits != len || len == 0) {
                if (strchr(s, '-') && strspn(s, "0123456789-") == len && s[0] != '-' &&
                    s[len - 1] != '-')
                        hint = " (port ranges are not supported: one -p per port)";
                else if (strcmp(which, "host") == 0 && strchr(s, '.'))
                        hint = " (a host address needs IP:HOSTPORT:CTRPORT or IP::CTRPORT)";
                return spec_error(err, spec, "%s port `%s` is not a number%s", which, s, hint);
        }
        /* Leading zeros, then at most five digits: no overflow below. */
        num = s + strspn(s, "0");
        v = strlen(num) <= 5 ? strtoul(num, NULL, 10) : ULONG_MAX;
        if (v < min || v > 65535)
                return spec_error(err, spec, "%s port %s is out of range (%u-65535)", which, s,
                                  min);
        *ret = (uint16_t) v;
        return 0;
}

int
args_parse_publish(const char *spec, struct publish_spec *ret, struct ctr_error **err)
{
        _cleanup_free_ char *copy = NULL;
        struct publish_spec ps = {};
        char *parts[3] = {}, *slash, *p;
        size_t n = 0;
        int r;

        if (spec[0] == '\0')
                return ctr_error_msg(err, EINVAL, "port spec is empty (expected " PUBLISH_GRAMMAR ")");
        if (strlen(spec) > PUBLISH_SPEC_MAX)
                return ctr_error_msg(err, EINVAL, "port spec `%.*s...` is too long",
                                     PUBLISH_SPEC_MAX, spec);
        copy = strdup(spec);
        if (!copy)
                return -ENOMEM;
        slash = strchr(copy, '/');
        if (slash) {
                *slash = '\0';
                if (strcasecmp(slash + 1, "udp") == 0)
                        ps.udp = true;
                else if (strcasecmp(slash + 1, "tcp") != 0)
                        return spec_error(err, spec, "unknown protocol `%s` (tcp or udp)",
                                          slash + 1);
        }
        if (copy[0] == '[')
                return spec_error(err, spec, "IPv6 host addresses are not supported");
        for (p = copy;;) {
                char *colon = strchr(p, ':');

                if (n == ARRAY_SIZE(parts))
                        return spec_error(err, spec,
                                          "too many `:` (expected [IP:][HOSTPORT:]CTRPORT)");
                parts[n++] = p;
                if (!colon)
                        break;
                *colon = '\0';
                p = colon + 1;
        }
        /* parts: [IP:][HOSTPORT:]CTRPORT. Only the host port of the
         * three-part form may be empty: "127.0.0.1::80" is any free port. */
        if (n == 3 && parts[0][0] == '\0')
                return spec_error(err, spec, "the host IP is empty");
        if (n == 2 && parts[0][0] == '\0')
                return spec_error(err, spec, "the host port is empty");
        if (parts[n - 1][0] == '\0')
                return spec_error(err, spec, "the container port is missing");
        if (n == 3) {
                struct in_addr a;

                if (inet_pton(AF_INET, parts[0], &a) != 1)
                        return spec_error(err, spec, "`%s` is not an IPv4 address", parts[0]);
                /* "0.0.0.0" is every address: the API spells it "". */
                if (a.s_addr != htonl(INADDR_ANY))
                        inet_ntop(AF_INET, &a, ps.host_ip, sizeof(ps.host_ip));
        }
        if (n >= 2 && parts[n - 2][0]) {
                r = parse_port(spec, parts[n - 2], "host", 0, &ps.host_port, err);
                if (r < 0)
                        return r;
        }
        r = parse_port(spec, parts[n - 1], "container", 1, &ps.container_port, err);
        if (r < 0)
                return r;
        *ret = ps;
        return 0;
}

bool
publish_specs_collide(const struct publish_spec *a, const struct publish_spec *b)
{
        return a->host_port != 0 && a->host_port == b->host_port && a->udp == b->udp &&
               (!a->host_ip[0] || !b->host_ip[0] || strcmp(a->host_ip, b->host_ip) == 0);
}

json_t *
publish_specs_to_json(const struct publish_spec *ports, size_t n)
{
        json_auto_t *a = json_array();

        if (!a)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                json_t *p = json_pack("{s:s, s:i, s:i, s:s}", "host_ip", ports[i].host_ip,
                                      "host_port", (int) ports[i].host_port, "container_port",
                                      (int) ports[i].container_port, "protocol",
                                      ports[i].udp ? "udp" : "tcp");

                if (!p || json_array_append_new(a, p) < 0)
                        return NULL;
        }
        return TAKE_PTR(a);
}

int
args_network_mode(const char *value, struct ctr_error **err)
{
        if (!value)
                return NETWORK_MODE_DEFAULT;
        if (value[0] == '\0')
                return ctr_error_msg(err, EINVAL,
                                     "--network needs a value: bridge, none, host, "
                                     "container:NAME or a network's name");
        if (strcmp(value, "none") == 0)
                return NETWORK_MODE_NONE;
        if (strcmp(value, "host") == 0)
                return NETWORK_MODE_HOST;
        if (strncmp(value, "container:", 10) == 0) {
                if (value[10] == '\0')
                        return ctr_error_msg(err, EINVAL,
                                             "--network container:NAME needs the name or id "
                                             "of a running container");
                return NETWORK_MODE_CONTAINER;
        }
        return NETWORK_MODE_BRIDGE;
}

int
args_check_network_alias(const char *alias, struct ctr_error **err)
{
        size_t n = strlen(alias);
        bool valid = n >= 1 && n <= 63 && isalnum((unsigned char) alias[0]);

        for (size_t i = 0; valid && i < n; i++)
                valid = isalnum((unsigned char) alias[i]) || alias[i] == '-' || alias[i] == '.';
        if (!valid)
                return ctr_error_msg(err, EINVAL,
                                     "invalid network alias '%s' (a host name: letters, digits, "
                                     "'-' and '.', starting with a letter or digit, at most 63 "
                                     "characters)", alias);
        return 0;
}

int
args_check_network_options(const char *network, size_t n_ports, size_t n_aliases,
                           struct ctr_error **err)
{
        const char *why;
        int mode;

        mode = args_network_mode(network, err);
        if (mode < 0)
                return mode;
        switch (mode) {
        case NETWORK_MODE_NONE:
                why = "the container has only lo";
                break;
        case NETWORK_MODE_HOST:
                why = "the container uses the host's ports directly";
                break;
        case NETWORK_MODE_CONTAINER:
                why = "it shares the other container's network: publish there";
                break;
        default:
                return 0;
        }
        if (n_ports > 0)
                return ctr_error_msg(err, EINVAL,
                                     "-p/--publish cannot be used with --network %s (%s)",
                                     network, why);
        if (n_aliases > 0)
                return ctr_error_msg(err, EINVAL,
                                     "--network-alias cannot be used with --network %s (aliases "
                                     "are names on a bridge network)", network);
        return 0;
}

/* "a.b.c.d/N" with N in 0..32; whether it is a network address (no host
 * bits) and free is the daemon's to say. */
static bool
cidr_is_valid(const char *s)
{
        const char *slash = strchr(s, '/');
        char addr[INET_ADDRSTRLEN];
        struct in_addr a;
        size_t plen;

        if (!slash || (size_t) (slash - s) >= sizeof(addr))
                return false;
        memcpy(addr, s, (size_t) (slash - s));
        addr[slash - s] = '\0';
        if (inet_pton(AF_INET, addr, &a) != 1)
                return false;
        plen = strlen(slash + 1);
        if (plen < 1 || plen > 2 || strspn(slash + 1, "0123456789") != plen)
                return false;
        return strtoul(slash + 1, NULL, 10) <= 32;
}

/* An interface name the kernel takes: 1 to IFNAMSIZ - 1 characters, none
 * of them '/', ':' or white space, and not "." or "..". */
static bool
ifname_is_valid(const char *s)
{
        size_t len = strlen(s);

        if (len < 1 || len > 15 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
                return false;
        for (; *s; s++)
                if (*s == '/' || *s == ':' || isspace((unsigned char) *s))
                        return false;
        return true;
}

enum {
        OPT_SUBNET = 0x100,
        OPT_BRIDGE,
        OPT_MASQUERADE,
};

int
args_parse_network_create(int argc, char **argv, struct args_network_create *ret,
                          struct ctr_error **err)
{
        static const struct option options[] = {
                { "subnet", required_argument, NULL, OPT_SUBNET },
                { "bridge", required_argument, NULL, OPT_BRIDGE },
                { "masquerade", no_argument, NULL, OPT_MASQUERADE },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        struct args_network_create o = {};
        int c;

        optind = 0; /* full re-initialisation (glibc) */
        opterr = 0;
        /* No "+": `network create backend --subnet ...` reads as written. */
        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0)
                switch (c) {
                case OPT_SUBNET:
                        if (!cidr_is_valid(optarg))
                                return ctr_error_msg(err, EINVAL,
                                                     "%s: invalid subnet '%s' (an IPv4 network "
                                                     "such as 10.90.1.0/24)", argv[0], optarg);
                        o.subnet = optarg;
                        break;
                case OPT_BRIDGE:
                        if (!ifname_is_valid(optarg))
                                return ctr_error_msg(err, EINVAL,
                                                     "%s: invalid bridge name '%s' (1 to 15 "
                                                     "characters, no '/', ':' or spaces)",
                                                     argv[0], optarg);
                        o.bridge = optarg;
                        break;
                case OPT_MASQUERADE:
                        o.masquerade = true;
                        break;
                case 'h':
                        return 1;
                default:
                        return args_option_error(argv, c, err);
                }
        if (argc - optind != 1)
                return ctr_error_msg(err, EINVAL, "%s requires exactly 1 argument (a network name)",
                                     argv[0]);
        o.name = argv[optind];
        if (o.name[0] == '\0')
                return ctr_error_msg(err, EINVAL, "%s: the network name is empty", argv[0]);
        if (!o.subnet)
                return ctr_error_msg(err, EINVAL,
                                     "%s: --subnet CIDR is required (such as 10.90.1.0/24)",
                                     argv[0]);
        *ret = o;
        return 0;
}
