/* /proc/net/dev, read whole and parsed into a small table each tick. The
 * lines are "  name: rx_bytes rx_packets errs drop fifo frame compressed
 * multicast tx_bytes tx_packets ..." after two header lines. */
#include "daemon/netdev-stats.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/macros.h"

struct netdev_entry {
        char name[IFNAMSIZ];
        struct netdev_counters c;
};

struct netdev_table {
        int fd;
        char *buf;
        size_t size;
        struct netdev_entry *e;
        size_t n, cap;
};

static const char *
skip_spaces(const char *p, const char *end)
{
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        return p;
}

static const char *
parse_u64(const char *p, const char *end, uint64_t *ret)
{
        uint64_t v = 0;

        p = skip_spaces(p, end);
        if (p >= end || *p < '0' || *p > '9')
                return NULL;
        while (p < end && *p >= '0' && *p <= '9')
                v = v * 10 + (uint64_t) (*p++ - '0');
        *ret = v;
        return p;
}

int
netdev_parse(const char *text, size_t len,
             void (*fn)(const char *ifname, size_t name_len, const struct netdev_counters *c,
                        void *userdata),
             void *userdata)
{
        const char *p = text, *end = text + len;
        int n = 0;

        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t) (end - p));
                const char *colon, *name, *q;
                uint64_t f[10];

                if (!eol)
                        eol = end;
                colon = memchr(p, ':', (size_t) (eol - p));
                /* Header lines have '|' and no ':' before the numbers. */
                if (!colon || memchr(p, '|', (size_t) (eol - p))) {
                        p = eol + 1;
                        continue;
                }
                name = skip_spaces(p, colon);
                q = colon + 1;
                for (size_t i = 0; i < ARRAY_SIZE(f) && q; i++)
                        q = parse_u64(q, eol, &f[i]);
                if (!q || name == colon || (size_t) (colon - name) >= IFNAMSIZ)
                        return -EINVAL;
                fn(name, (size_t) (colon - name),
                   &(struct netdev_counters){ .rx_bytes = f[0], .rx_packets = f[1],
                                              .tx_bytes = f[8], .tx_packets = f[9] },
                   userdata);
                n++;
                p = eol + 1;
        }
        return n;
}

int
netdev_table_open(const char *path, struct netdev_table **ret)
{
        struct netdev_table *t = calloc(1, sizeof(*t));

        if (!t)
                return -ENOMEM;
        t->fd = open(path ? path : "/proc/net/dev", O_RDONLY | O_CLOEXEC);
        if (t->fd < 0) {
                int r = -errno;
                free(t);
                return r;
        }
        *ret = t;
        return 0;
}

void
netdev_table_free(struct netdev_table *t)
{
        if (!t)
                return;
        safe_close(t->fd);
        free(t->buf);
        free(t->e);
        free(t);
}

static void
add_entry(const char *name, size_t name_len, const struct netdev_counters *c, void *userdata)
{
        struct netdev_table *t = userdata;
        struct netdev_entry *e;

        if (t->n == t->cap) {
                size_t cap = t->cap ? t->cap * 2 : 64;
                e = reallocarray(t->e, cap, sizeof(*e));
                if (!e)
                        return; /* this one goes missing; the next refresh retries */
                t->e = e;
                t->cap = cap;
        }
        e = &t->e[t->n++];
        memcpy(e->name, name, name_len);
        e->name[name_len] = '\0';
        e->c = *c;
}

int
netdev_table_refresh(struct netdev_table *t)
{
        size_t len = 0;

        /* procfs regenerates the text on a read from offset 0; grow the
         * buffer until one read holds it all. */
        for (;;) {
                ssize_t k;
                if (t->size - len < 4096) {
                        size_t size = t->size ? t->size * 2 : 16384;
                        char *b = realloc(t->buf, size);
                        if (!b)
                                return -ENOMEM;
                        t->buf = b;
                        t->size = size;
                }
                k = pread(t->fd, t->buf + len, t->size - len, (off_t) len);
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        t->n = 0;
        return netdev_parse(t->buf, len, add_entry, t) < 0 ? -EINVAL : 0;
}

int
netdev_table_get(const struct netdev_table *t, const char *ifname, struct netdev_counters *ret)
{
        for (size_t i = 0; i < t->n; i++)
                if (strcmp(t->e[i].name, ifname) == 0) {
                        *ret = t->e[i].c;
                        return 0;
                }
        return -ENOENT;
}
