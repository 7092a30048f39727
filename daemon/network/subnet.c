/* IPv4 addresses and subnets: strict parsing, formatting, validation of a
 * network's subnet and overlap arithmetic. Pure: no I/O, no allocation. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/network/network.h"

/* Ranges a bridge network must never use: they are routed specially by
 * every host (RFC 6890). */
static const struct {
        struct net_subnet subnet;
        const char *what;
} special_ranges[] = {
        { { 0x00000000, 8 }, "\"this network\"" },
        { { 0x7f000000, 8 }, "loopback" },
        { { 0xa9fe0000, 16 }, "link-local" },
        { { 0xe0000000, 4 }, "multicast" },
        { { 0xf0000000, 4 }, "reserved" },
};

/* One decimal octet without sign, spaces or leading zeros; *s advances. */
static int
parse_octet(const char **s, unsigned max, unsigned *ret)
{
        const char *p = *s;
        unsigned v = 0;
        int n = 0;

        while (*p >= '0' && *p <= '9') {
                if (n > 0 && v == 0)
                        return -EINVAL; /* "01": octal in inet_aton, so never */
                v = v * 10 + (unsigned) (*p - '0');
                if (v > max)
                        return -EINVAL;
                p++;
                n++;
        }
        if (n == 0)
                return -EINVAL;
        *s = p;
        *ret = v;
        return 0;
}

/* Parses the address at the start of s; *end points after it. */
static int
parse_addr_prefix(const char *s, const char **end, uint32_t *ret)
{
        uint32_t a = 0;

        for (int i = 0; i < 4; i++) {
                unsigned o;

                if (i > 0) {
                        if (*s != '.')
                                return -EINVAL;
                        s++;
                }
                if (parse_octet(&s, 255, &o) < 0)
                        return -EINVAL;
                a = (a << 8) | o;
        }
        *end = s;
        *ret = a;
        return 0;
}

int
net_addr_parse(const char *s, uint32_t *ret)
{
        const char *end;
        uint32_t a;

        if (!s || parse_addr_prefix(s, &end, &a) < 0 || *end != 0)
                return -EINVAL;
        *ret = a;
        return 0;
}

char *
net_addr_format(uint32_t addr, char buf[static NET_ADDR_STRLEN])
{
        snprintf(buf, NET_ADDR_STRLEN, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff,
                 (addr >> 8) & 0xff, addr & 0xff);
        return buf;
}

char *
net_subnet_format(const struct net_subnet *s, char buf[static NET_SUBNET_STRLEN])
{
        char a[NET_ADDR_STRLEN];

        snprintf(buf, NET_SUBNET_STRLEN, "%s/%u", net_addr_format(s->addr, a), s->prefix);
        return buf;
}

static uint32_t
prefix_mask(unsigned prefix)
{
        return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

uint32_t
net_subnet_mask(const struct net_subnet *s)
{
        return prefix_mask(s->prefix);
}

uint32_t
net_subnet_gateway(const struct net_subnet *s)
{
        return s->addr + 1;
}

uint32_t
net_subnet_broadcast(const struct net_subnet *s)
{
        return s->addr | ~prefix_mask(s->prefix);
}

bool
net_subnet_contains(const struct net_subnet *s, uint32_t addr)
{
        return (addr & prefix_mask(s->prefix)) == s->addr;
}

bool
net_subnet_overlaps(const struct net_subnet *a, const struct net_subnet *b)
{
        /* Two prefixes overlap iff they agree on the shorter one. */
        uint32_t m = prefix_mask(a->prefix < b->prefix ? a->prefix : b->prefix);

        return (a->addr & m) == (b->addr & m);
}

uint32_t
net_subnet_capacity(const struct net_subnet *s)
{
        if (s->prefix > 30)
                return 0;
        return (uint32_t) ((1ull << (32 - s->prefix)) - 3);
}

int
net_subnet_parse(const char *str, struct net_subnet *ret, struct ctr_error **err)
{
        char want[NET_SUBNET_STRLEN];
        struct net_subnet s;
        const char *p;
        unsigned prefix;
        uint32_t a;

        if (!str || parse_addr_prefix(str, &p, &a) < 0 || *p != '/')
                return ctr_error_msg(err, EINVAL, "invalid subnet `%s`: expected A.B.C.D/PREFIX",
                                     str ? str : "");
        p++;
        if (parse_octet(&p, 32, &prefix) < 0 || *p != 0)
                return ctr_error_msg(err, EINVAL, "invalid subnet `%s`: the prefix length must be 0..32",
                                     str);
        s = (struct net_subnet){ a & prefix_mask(prefix), prefix };
        if (s.addr != a)
                return ctr_error_msg(err, EINVAL, "%s is not a network address; did you mean %s?", str,
                                     net_subnet_format(&s, want));
        if (prefix > 30)
                return ctr_error_msg(err, EINVAL,
                                     "subnet %s is too small: a network needs at least 4 addresses (/30)",
                                     str);
        if (prefix < 8)
                return ctr_error_msg(err, EINVAL, "subnet %s is too large: use a prefix of /8 or longer", str);
        for (size_t i = 0; i < ARRAY_SIZE(special_ranges); i++)
                if (net_subnet_overlaps(&s, &special_ranges[i].subnet))
                        return ctr_error_msg(err, EINVAL, "subnet %s overlaps the %s range %s", str,
                                             special_ranges[i].what,
                                             net_subnet_format(&special_ranges[i].subnet, want));
        *ret = s;
        return 0;
}
