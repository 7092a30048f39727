/* Interface counters of every link in the daemon's network namespace from
 * one read of /proc/net/dev, instead of four sysfs files per veth: a stats
 * stream over 100 bridge containers costs one syscall per tick for the
 * network, not 400. Loop thread (plain reads of a procfs file). */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct netdev_counters {
        uint64_t rx_bytes, rx_packets, tx_bytes, tx_packets;
};

struct netdev_table;

/* Opens /proc/net/dev (path: for tests, NULL for the real one). */
int netdev_table_open(const char *path, struct netdev_table **ret);
void netdev_table_free(struct netdev_table *t);
/* Re-reads the file (pread at 0) and parses it. */
int netdev_table_refresh(struct netdev_table *t);
/* The counters of ifname as of the last refresh; -ENOENT if absent. */
int netdev_table_get(const struct netdev_table *t, const char *ifname, struct netdev_counters *ret);

/* Parses /proc/net/dev text (pure; for the unit test): calls fn for each
 * interface line. Returns the number of interfaces, or -EINVAL. */
int netdev_parse(const char *text, size_t len,
                 void (*fn)(const char *ifname, size_t name_len, const struct netdev_counters *c,
                            void *userdata),
                 void *userdata);
