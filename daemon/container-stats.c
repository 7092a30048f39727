/* container.stats: one-shot samples and streams. A stream keeps each
 * container's cgroup stat files open (struct cgroup_stats_reader), reads
 * every link's counters once per tick from /proc/net/dev (netdev-stats.c),
 * and formats the notification into one reused buffer, so a 1 s stream of
 * 100 containers stays under 1% of a core (bench/stats.sh). A client that
 * does not read loses samples, never the daemon's memory. Loop thread only. */
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "common/time-util.h"
#include "daemon/cgroup/resources.h"
#include "daemon/client.h"
#include "daemon/container-record.h"
#include "daemon/netdev-stats.h"
#include "daemon/network-manager.h"
#include "proto/proto.h"

static bool
is_running(const struct container *c)
{
        return c->state == CONTAINER_RUNNING && !c->starting;
}


#define STATS_MAX_PENDING (1024 * 1024) /* unread bytes before samples are skipped */
#define STATS_LOW_WATER (64 * 1024)

struct stats_target {
        char id[ID_HEX_LEN + 1];
        struct cgroup_stats_reader *reader; /* NULL until the cgroup could be opened */
        char veth[IF_NAMESIZE];             /* the host end of its endpoint, "" without */
        uint64_t last_cpu_ns;
        int64_t last_read_ns; /* 0: no sample yet */
        bool seen;
};

struct stats_stream {
        struct container_manager *m;
        struct stats_stream *prev, *next; /* m->stats_streams */
        struct client *client;            /* NULL: a one-shot reply */
        struct event *timer;
        struct timeval interval;
        bool fixed, all;
        uid_t owner; /* (uid_t) -1: all containers */
        struct stats_target *t;
        size_t n, cap;
        char *buf; /* the line being built, reused for every sample */
        size_t len, size;
        bool oom;  /* an append failed */
        long online_cpus;
        uint64_t host_memory;
        struct netdev_table *netdev; /* every link's counters, read once per tick */
        bool netdev_fresh;           /* read in this tick */
};

static int64_t
monotonic_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
target_close(struct stats_target *t)
{
        cgroup_stats_reader_free(t->reader);
        t->reader = NULL;
        t->veth[0] = '\0';
}

static void
target_open_net(struct stats_stream *s, struct stats_target *t)
{
        const struct network_endpoint_info *ep =
                s->m->networks ? network_manager_endpoint(s->m->networks, t->id) : NULL;

        if (ep && ep->veth)
                snprintf(t->veth, sizeof(t->veth), "%s", ep->veth);
}

static void
target_open(struct stats_stream *s, struct stats_target *t, const struct container *c)
{
        _cleanup_free_ char *cg = container_cgroup_path(c);

        if (!t->reader && cg)
                (void) cgroup_stats_reader_open(cg, &t->reader, NULL);
        if (!t->veth[0] && c->config.net_mode == CONTAINER_NET_BRIDGE && c->net_attached)
                target_open_net(s, t);
}

static struct stats_target *
target_add(struct stats_stream *s, const char *id)
{
        struct stats_target *t;

        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 8;
                t = reallocarray(s->t, cap, sizeof(*t));
                if (!t)
                        return NULL;
                s->t = t;
                s->cap = cap;
        }
        t = &s->t[s->n++];
        *t = (struct stats_target){ 0 };
        memcpy(t->id, id, sizeof(t->id));
        return t;
}

static struct stats_target *
target_find(struct stats_stream *s, const char *id)
{
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->t[i].id, id) == 0)
                        return &s->t[i];
        return NULL;
}

static void
target_remove(struct stats_stream *s, size_t i)
{
        target_close(&s->t[i]);
        s->t[i] = s->t[--s->n];
}

static void _printf_(2, 3)
out(struct stats_stream *s, const char *fmt, ...)
{
        va_list ap;
        int n;

        for (;;) {
                va_start(ap, fmt);
                n = vsnprintf(s->buf + s->len, s->size - s->len, fmt, ap);
                va_end(ap);
                if (n < 0) {
                        s->oom = true;
                        return;
                }
                if ((size_t) n < s->size - s->len) {
                        s->len += (size_t) n;
                        return;
                }
                size_t size = s->size * 2 + (size_t) n + 1;
                char *b = realloc(s->buf, size);
                if (!b) {
                        s->oom = true;
                        return;
                }
                s->buf = b;
                s->size = size;
        }
}

/* ,"key":N unless the counter is missing. */
static void
out_u64(struct stats_stream *s, const char *key, uint64_t v, bool *first)
{
        if (v == CGROUP_STAT_NONE)
                return;
        out(s, "%s\"%s\":%" PRIu64, *first ? "" : ",", key, v);
        *first = false;
}

/* The host end of a bridge endpoint counts the other way round: what the
 * host's veth transmits, the container receives. */
static void
out_net(struct stats_stream *s, const struct stats_target *t)
{
        struct netdev_counters n;

        if (!t->veth[0])
                return;
        if (!s->netdev_fresh) {
                if (!s->netdev && netdev_table_open(NULL, &s->netdev) < 0)
                        return;
                if (netdev_table_refresh(s->netdev) < 0)
                        return;
                s->netdev_fresh = true;
        }
        if (netdev_table_get(s->netdev, t->veth, &n) < 0)
                return;
        out(s, ",\"net\":{\"rx_bytes\":%" PRIu64 ",\"rx_packets\":%" PRIu64
               ",\"tx_bytes\":%" PRIu64 ",\"tx_packets\":%" PRIu64 "}",
            n.tx_bytes, n.tx_packets, n.rx_bytes, n.rx_packets);
}

static void
out_sample(struct stats_stream *s, const struct container *c, struct stats_target *t)
{
        struct cgroup_stats st;
        bool first = true;
        int64_t now;

        out(s, "{\"id\":\"%s\",\"name\":\"%s\",\"state\":\"%s\"", c->id, c->name,
            c->state != CONTAINER_RUNNING ? container_state_to_string(c->state)
            : c->paused                   ? "paused"
                                          : "running");
        if (!t || !t->reader || cgroup_stats_reader_read(t->reader, &st, NULL) < 0) {
                out(s, "}");
                return;
        }
        now = monotonic_ns();
        if (t->last_read_ns > 0 && now > t->last_read_ns && st.cpu_usage_ns != CGROUP_STAT_NONE &&
            st.cpu_usage_ns >= t->last_cpu_ns)
                out(s, ",\"cpu_percent\":%.2f",
                    (double) (st.cpu_usage_ns - t->last_cpu_ns) * 100.0 /
                            (double) (now - t->last_read_ns));
        t->last_read_ns = now;
        t->last_cpu_ns = st.cpu_usage_ns;
        out(s, ",\"cpu\":{");
        out_u64(s, "usage_ns", st.cpu_usage_ns, &first);
        out_u64(s, "user_ns", st.cpu_user_ns, &first);
        out_u64(s, "system_ns", st.cpu_system_ns, &first);
        out(s, "},\"memory\":{");
        first = true;
        out_u64(s, "usage", st.memory_current, &first);
        out_u64(s, "limit", st.memory_limit, &first);
        out_u64(s, "peak", st.memory_peak, &first);
        out_u64(s, "anon", st.memory_anon, &first);
        out_u64(s, "file", st.memory_file, &first);
        out_u64(s, "shmem", st.memory_shmem, &first);
        out_u64(s, "kernel", st.memory_kernel, &first);
        out_u64(s, "swap", st.swap_current, &first);
        out(s, "},\"pids\":{");
        first = true;
        out_u64(s, "current", st.pids_current, &first);
        out_u64(s, "limit", st.pids_limit, &first);
        out(s, "},\"io\":{");
        first = true;
        out_u64(s, "read_bytes", st.io_read_bytes, &first);
        out_u64(s, "write_bytes", st.io_write_bytes, &first);
        out_u64(s, "read_ops", st.io_read_ops, &first);
        out_u64(s, "write_ops", st.io_write_ops, &first);
        out(s, "}");
        out_net(s, t);
        out(s, ",\"oom_kills\":%" PRIu64 "}",
            st.oom_kills != CGROUP_STAT_NONE && st.oom_kills > c->oom_kills ? st.oom_kills
                                                                              : c->oom_kills);
}

/* One sample of every selected container into s->buf, as the "stats"
 * array, from "[" to "]". Drops targets whose container is gone. */
static void
out_samples(struct stats_stream *s)
{
        bool first = true;

        out(s, "[");
        s->netdev_fresh = false;
        if (s->fixed) {
                for (size_t i = 0; i < s->n;) {
                        struct container *c = container_by_id(s->m, s->t[i].id);
                        if (!c || (s->client && !is_running(c))) {
                                target_remove(s, i); /* exited: it leaves the stream */
                                continue;
                        }
                        if (is_running(c))
                                target_open(s, &s->t[i], c);
                        out(s, "%s", first ? "" : ",");
                        first = false;
                        out_sample(s, c, is_running(c) ? &s->t[i] : NULL);
                        i++;
                }
                out(s, "]");
                return;
        }
        for (size_t i = 0; i < s->n; i++)
                s->t[i].seen = false;
        for (struct container *c = s->m->containers; c; c = c->next) {
                struct stats_target *t = NULL;
                if (s->owner != (uid_t) -1 && c->owner_uid != s->owner)
                        continue;
                if (is_running(c)) {
                        t = target_find(s, c->id);
                        if (!t)
                                t = target_add(s, c->id);
                        if (!t) {
                                s->oom = true;
                                continue;
                        }
                        t->seen = true;
                        target_open(s, t, c);
                } else if (!s->all) {
                        continue;
                }
                out(s, "%s", first ? "" : ",");
                first = false;
                out_sample(s, c, t);
        }
        for (size_t i = 0; i < s->n;)
                if (!s->t[i].seen)
                        target_remove(s, i);
                else
                        i++;
        out(s, "]");
}

static void
stats_stream_free(struct stats_stream *s)
{
        if (!s)
                return;
        if (s->client) {
                client_stream_end(s->client);
                client_unref(s->client);
        }
        if (s->timer)
                event_free(s->timer);
        for (size_t i = 0; i < s->n; i++)
                target_close(&s->t[i]);
        free(s->t);
        free(s->buf);
        netdev_table_free(s->netdev);
        if (s->prev)
                s->prev->next = s->next;
        else if (s->m->stats_streams == s)
                s->m->stats_streams = s->next;
        if (s->next)
                s->next->prev = s->prev;
        free(s);
}

static void
stats_tick_cb(evutil_socket_t fd, short what, void *arg)
{
        struct stats_stream *s = arg;
        char ts[64];

        if (client_is_dead(s->client)) {
                stats_stream_free(s);
                return;
        }
        /* A client that does not read loses samples, never our memory. */
        if (client_output_pending(s->client) > STATS_MAX_PENDING)
                return;
        s->len = 0;
        s->oom = false;
        out(s, "{\"jsonrpc\":\"2.0\",\"method\":\"container.stats\",\"params\":{\"time\":\"%s\","
               "\"online_cpus\":%ld,\"host_memory\":%" PRIu64 ",\"stats\":",
            format_rfc3339(now_ns(), ts, sizeof(ts)), s->online_cpus, s->host_memory);
        out_samples(s);
        out(s, "}}\n");
        if (!s->oom)
                client_write(s->client, s->buf, s->len);
        if (s->fixed && s->n == 0) {
                /* Every container it followed has exited. */
                client_stream_end(s->client);
                client_close_after_flush(s->client);
                stats_stream_free(s);
        }
}

static void
stats_client_cb(struct client *c, void *userdata)
{
        struct stats_stream *s = userdata;

        /* Gone: free from the loop, not from inside the client's call. */
        if (client_is_dead(c))
                event_active(s->timer, EV_TIMEOUT, 0);
}

static struct stats_stream *
stats_stream_new(struct container_manager *m, const struct container_stats_params *p)
{
        struct stats_stream *s = calloc(1, sizeof(*s));
        struct sysinfo si;

        if (!s)
                return NULL;
        s->m = m;
        s->all = p->all;
        s->owner = p->owner;
        s->online_cpus = sysconf(_SC_NPROCESSORS_ONLN);
        if (sysinfo(&si) == 0)
                s->host_memory = (uint64_t) si.totalram * si.mem_unit;
        s->interval = (struct timeval){ .tv_sec = p->interval_ms / 1000,
                                        .tv_usec = (p->interval_ms % 1000) * 1000 };
        s->size = 4096;
        s->buf = malloc(s->size);
        if (!s->buf) {
                free(s);
                return NULL;
        }
        return s;
}

void
container_stats(struct container_manager *m, const struct container_stats_params *p,
                struct request *req)
{
        struct stats_stream *s = stats_stream_new(m, p);
        _cleanup_(json_decrefp) json_t *arr = NULL;
        bool any_running = false;

        if (!s) {
                request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                return;
        }
        s->fixed = p->refs != NULL;
        for (size_t i = 0; p->refs && p->refs[i]; i++) {
                _cleanup_error_ struct ctr_error *e = NULL;
                struct container *c = NULL;
                int r = container_lookup(m, p->refs[i], &c, &e);
                if (r < 0) {
                        stats_stream_free(s);
                        request_error_errno(req, r, e);
                        return;
                }
                if (target_find(s, c->id))
                        continue;
                if (!target_add(s, c->id)) {
                        stats_stream_free(s);
                        request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                        return;
                }
                any_running |= is_running(c);
        }
        if (!p->stream) {
                char ts[64];
                out_samples(s);
                arr = s->oom ? NULL : json_loadb(s->buf, s->len, 0, NULL);
                stats_stream_free(s);
                if (!arr) {
                        request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                        return;
                }
                request_reply(req, json_pack("{s:s,s:O}", "time",
                                             format_rfc3339(now_ns(), ts, sizeof(ts)), "stats",
                                             arr));
                return;
        }
        if (s->fixed && !any_running) {
                stats_stream_free(s);
                request_errorf(req, PROTO_ERR_CONFLICT, "%s not running: nothing to stream",
                               p->refs[1] ? "none of the containers is" : "the container is");
                return;
        }
        s->timer = event_new(m->base, -1, EV_PERSIST, stats_tick_cb, s);
        if (!s->timer) {
                stats_stream_free(s);
                request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                return;
        }
        s->next = m->stats_streams;
        if (s->next)
                s->next->prev = s;
        m->stats_streams = s;
        /* The first read is the baseline of CPU %: the first notification,
         * one interval later, has it. */
        out_samples(s);
        s->client = request_stream(req, json_pack("{s:i}", "interval_ms", p->interval_ms));
        if (!s->client) {
                stats_stream_free(s);
                return;
        }
        client_stream_begin(s->client, STATS_LOW_WATER, stats_client_cb, s);
        event_add(s->timer, &s->interval);
}

void
container_stats_free_all(struct container_manager *m)
{
        while (m->stats_streams)
                stats_stream_free(m->stats_streams);
}
