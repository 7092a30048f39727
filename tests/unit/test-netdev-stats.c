/* Unit tests for daemon/netdev-stats.c: /proc/net/dev parsing, and the
 * table read from a file (a copy, and the real one). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/netdev-stats.h"
#include "tests/unit/tap.h"

static const char sample[] =
        "Inter-|   Receive                                                |  Transmit\n"
        " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
        "    lo:  123456     789    0    0    0     0          0         0   123456     789    0    0    0     0       0          0\n"
        "vc0123456789ab: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0\n"
        "  eth0: 18446744073709551615 1 0 0 0 0 0 0 5 6 0 0 0 0 0 0\n";

struct seen {
        int n;
        char last[32];
        struct netdev_counters c;
};

static void
collect(const char *name, size_t len, const struct netdev_counters *c, void *userdata)
{
        struct seen *s = userdata;

        s->n++;
        memcpy(s->last, name, len);
        s->last[len] = '\0';
        s->c = *c;
}

int
main(void)
{
        struct seen s = { 0 };
        struct netdev_table *t = NULL;
        struct netdev_counters c;
        char path[] = "/tmp/test-netdev-XXXXXX";
        int fd;

        is_int(netdev_parse(sample, strlen(sample), collect, &s), 3, "three interfaces");
        is_str(s.last, "eth0", "names without leading spaces");
        ok(s.c.rx_bytes == UINT64_MAX && s.c.tx_bytes == 5 && s.c.tx_packets == 6,
           "64-bit counters, tx after the eight rx fields");
        is_int(netdev_parse("x: 1 2 3\n", 9, collect, &s), -EINVAL, "a short line is invalid");
        is_int(netdev_parse("", 0, collect, &s), 0, "empty: none");

        fd = mkstemp(path);
        ok(fd >= 0 && write(fd, sample, strlen(sample)) == (ssize_t) strlen(sample), "temp copy");
        close(fd);
        ok(netdev_table_open(path, &t) == 0 && netdev_table_refresh(t) == 0, "table from a file");
        ok(netdev_table_get(t, "vc0123456789ab", &c) == 0 && c.rx_bytes == 1000 &&
                   c.rx_packets == 10 && c.tx_bytes == 2000 && c.tx_packets == 20,
           "lookup by name");
        is_int(netdev_table_get(t, "vc0123456789a", &c), -ENOENT, "a prefix is not a match");
        ok(netdev_table_refresh(t) == 0 && netdev_table_get(t, "lo", &c) == 0 &&
                   c.rx_bytes == 123456,
           "refresh re-reads from the start");
        netdev_table_free(t);
        unlink(path);

        t = NULL;
        ok(netdev_table_open(NULL, &t) == 0 && netdev_table_refresh(t) == 0 &&
                   netdev_table_get(t, "lo", &c) == 0,
           "the real /proc/net/dev has lo");
        netdev_table_free(t);
        return tap_done();
}
