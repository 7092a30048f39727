/* container.logs: streams a container's console log (read by
 * log-reader.c) to an API client as frames, from the loop without ever
 * blocking it: each callback reads a bounded amount, reading pauses while
 * the client's output buffer is above a high-water mark (so the daemon's
 * memory stays bounded whatever the client does), and with follow a short
 * timer polls for new records while the reader's inotify watch queues
 * each rotated file at once, also while paused. Holds the container by
 * id, never by pointer: the container may be removed while its log is
 * streamed. The manager lists the streams, so shutdown frees them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "common/log.h"
#include "daemon/client.h"
#include "daemon/container-record.h"
#include "daemon/log-reader.h"
#include "proto/proto.h"

#define LOGS_HIGH_WATER (256 * 1024)
#define LOGS_LOW_WATER (64 * 1024)
#define LOGS_READ_BUDGET (256 * 1024)
#define LOGS_FOLLOW_POLL_MS 50

struct logs_stream {
        struct container_manager *m;
        struct logs_stream *prev, *next; /* m->logs_streams */
        char id[ID_HEX_LEN + 1];
        struct client *client;
        struct log_reader *reader;
        struct event *ev;
        struct event *watch_ev; /* the reader's inotify fd */
        bool follow, timestamps;
        bool counting;        /* first pass of --tail: count lines */
        long long tail;
        uint64_t lines, skip; /* lines seen in this pass, lines to skip */
        bool in_line[2];      /* per stream: the last record was P, the line goes on */
        char last_ts[48];     /* timestamp of the last record sent, "" if none */
        bool final_pass;      /* the container has exited: drain and end */
};

static void
logs_stream_free(struct logs_stream *s)
{
        if (!s)
                return;
        if (s->client) {
                client_stream_end(s->client);
                client_unref(s->client);
        }
        if (s->ev)
                event_free(s->ev);
        if (s->watch_ev)
                event_free(s->watch_ev);
        log_reader_free(s->reader);
        if (s->prev)
                s->prev->next = s->next;
        else if (s->m->logs_streams == s)
                s->m->logs_streams = s->next;
        if (s->next)
                s->next->prev = s->prev;
        free(s);
}

static bool
container_running(struct logs_stream *s)
{
        struct container *c = NULL;

        if (container_lookup(s->m, s->id, &c, NULL) < 0)
                return false;
        return c->state == CONTAINER_RUNNING || c->starting;
}

struct piece {
        const char *p;
        size_t n;
};

static void
send_frame(struct client *c, uint8_t type, const struct piece *pieces, size_t n_pieces)
{
        uint8_t hdr[PROTO_FRAME_HEADER_SIZE];
        size_t total = 0;

        for (size_t i = 0; i < n_pieces; i++)
                total += pieces[i].n;
        proto_frame_header_encode(type, (uint32_t) total, hdr);
        client_write(c, (const char *) hdr, sizeof(hdr));
        for (size_t i = 0; i < n_pieces; i++)
                if (pieces[i].n)
                        client_write(c, pieces[i].p, pieces[i].n);
}

/* One record: counted in the first pass of --tail, sent in the second
 * unless its line is one of the first `skip`. A line is a run of P
 * records of one stream ended by an F record; with timestamps only its
 * first record gets the prefix (the time its first byte was logged), so
 * the output stays one timestamp per line, as Docker's, and cutting the
 * prefix off gives back exactly what the container wrote. P records are
 * where the monitor's read(2) happened to stop, not something the
 * container meant. */
static void
emit(struct logs_stream *s, const struct log_record *rec)
{
        uint64_t line = s->lines;
        bool line_start = !s->in_line[rec->is_stderr];
        struct piece pieces[4];
        size_t n = 0;

        s->in_line[rec->is_stderr] = rec->partial;
        if (!rec->partial)
                s->lines++;
        if (s->counting || line < s->skip)
                return;
        if (s->timestamps && line_start) {
                pieces[n++] = (struct piece){ rec->ts, rec->ts_len };
                pieces[n++] = (struct piece){ " ", 1 };
        }
        pieces[n++] = (struct piece){ rec->data, rec->len };
        if (!rec->partial)
                pieces[n++] = (struct piece){ "\n", 1 };
        send_frame(s->client, rec->is_stderr ? PROTO_FRAME_STDERR : PROTO_FRAME_STDOUT, pieces, n);
        if (rec->ts_len < sizeof(s->last_ts)) {
                memcpy(s->last_ts, rec->ts, rec->ts_len);
                s->last_ts[rec->ts_len] = '\0';
        }
}

/* The rotation outran the reader: CONTROL {"op":"lost","after":TS}. */
static void
emit_lost(struct logs_stream *s)
{
        _cleanup_free_ char *text = NULL;
        json_t *j;
        struct piece p;

        s->in_line[0] = s->in_line[1] = false;
        if (s->counting)
                return;
        log_info("container %.12s: a log follower fell behind the rotation, records lost after %s",
                 s->id, s->last_ts[0] ? s->last_ts : "the start");
        j = s->last_ts[0] ? json_pack("{s:s,s:s}", "op", "lost", "after", s->last_ts)
                          : json_pack("{s:s}", "op", "lost");
        text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        if (!text)
                return;
        p = (struct piece){ text, strlen(text) };
        send_frame(s->client, PROTO_FRAME_CONTROL, &p, 1);
}

/* Ends the stream with EXIT {"exit_code":0} and frees s. */
static void
finish(struct logs_stream *s)
{
        static const char exit_json[] = "{\"exit_code\":0}";
        struct client *c = s->client;
        struct piece p = { exit_json, sizeof(exit_json) - 1 };

        client_stream_end(c);
        send_frame(c, PROTO_FRAME_EXIT, &p, 1);
        client_close_after_flush(c);
        logs_stream_free(s);
}

static void
schedule(struct logs_stream *s, int ms)
{
        struct timeval tv = { .tv_sec = 0, .tv_usec = ms * 1000 };

        if (ms == 0)
                event_active(s->ev, EV_TIMEOUT, 0);
        else
                evtimer_add(s->ev, &tv);
}

static void
logs_cb(evutil_socket_t fd, short what, void *arg)
{
        struct logs_stream *s = arg;
        size_t budget = LOGS_READ_BUDGET;
        struct log_record rec;

        if (client_is_dead(s->client)) {
                logs_stream_free(s);
                return;
        }
        for (;;) {
                int r;

                /* Back-pressure: the client's drain callback resumes us. */
                if (client_output_pending(s->client) > LOGS_HIGH_WATER)
                        return;
                r = log_reader_next(s->reader, &budget, &rec);
                if (r < 0) {
                        log_warning_errno(r, "container %.12s: read log", s->id);
                        finish(s);
                        return;
                }
                switch (r) {
                case LOG_NEXT_RECORD:
                        emit(s, &rec);
                        if (client_is_dead(s->client)) {
                                logs_stream_free(s);
                                return;
                        }
                        continue;
                case LOG_NEXT_LOST:
                        emit_lost(s);
                        if (client_is_dead(s->client)) {
                                logs_stream_free(s);
                                return;
                        }
                        continue;
                case LOG_NEXT_AGAIN:
                        schedule(s, 0);
                        return;
                case LOG_NEXT_END:
                        if (!s->counting) {
                                finish(s);
                                return;
                        }
                        break; /* counting is done: same as EOF */
                case LOG_NEXT_EOF:
                        break;
                }
                if (s->counting) {
                        uint64_t total = s->lines + s->in_line[0] + s->in_line[1];
                        s->counting = false;
                        s->skip = total > (uint64_t) s->tail ? total - (uint64_t) s->tail : 0;
                        s->lines = 0;
                        s->in_line[0] = s->in_line[1] = false;
                        r = log_reader_rewind(s->reader);
                        if (r < 0) {
                                log_warning_errno(r, "container %.12s: rewind log", s->id);
                                finish(s);
                                return;
                        }
                        log_reader_set_follow(s->reader, s->follow);
                        continue;
                }
                if (!s->follow || s->final_pass || r == LOG_NEXT_END) {
                        finish(s);
                        return;
                }
                if (!container_running(s)) {
                        /* Its last output was written before the monitor
                         * reported the exit: one more pass reads it. */
                        s->final_pass = true;
                        continue;
                }
                schedule(s, LOGS_FOLLOW_POLL_MS);
                return;
        }
}

/* A file appeared in the container's dir: queue it now (also while the
 * client is paused), and read at once unless paused. */
static void
logs_watch_cb(evutil_socket_t fd, short what, void *arg)
{
        struct logs_stream *s = arg;
        int r = log_reader_update(s->reader);

        if (r < 0) {
                /* Reading goes on; its next EOF reports the error. */
                log_warning_errno(r, "container %.12s: follow log rotation", s->id);
                event_del(s->watch_ev);
        }
        if (client_is_dead(s->client) || client_output_pending(s->client) <= LOGS_HIGH_WATER)
                schedule(s, 0);
}

static void
logs_client_cb(struct client *c, void *userdata)
{
        struct logs_stream *s = userdata;

        /* Output drained or the client left: run from the loop, not from
         * inside whatever client call got us here. */
        if (!evtimer_pending(s->ev, NULL) || client_is_dead(c))
                schedule(s, 0);
}

void
container_logs(struct container_manager *m, const char *ref,
               const struct container_logs_params *p, struct request *req)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        struct container *c = NULL;
        struct logs_stream *s;
        int r;

        r = container_lookup(m, ref, &c, &e);
        if (r < 0) {
                request_error_errno(req, r, e);
                return;
        }
        s = calloc(1, sizeof(*s));
        if (!s) {
                request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                return;
        }
        s->m = m;
        memcpy(s->id, c->id, sizeof(s->id));
        s->follow = p->follow;
        s->timestamps = p->timestamps;
        s->tail = p->tail;
        s->counting = p->tail >= 0;
        s->next = m->logs_streams;
        if (s->next)
                s->next->prev = s;
        m->logs_streams = s;
        s->ev = evtimer_new(m->base, logs_cb, s);
        r = log_reader_open(c->dir, "console.log", c->config.log_max_files, p->since_ns,
                            p->until_ns, p->follow, &s->reader, &e);
        if (r >= 0 && log_reader_watch_fd(s->reader) >= 0) {
                s->watch_ev = event_new(m->base, log_reader_watch_fd(s->reader),
                                        EV_READ | EV_PERSIST, logs_watch_cb, s);
                if (!s->watch_ev || event_add(s->watch_ev, NULL) < 0)
                        r = -ENOMEM;
        }
        if (r < 0 || !s->ev) {
                logs_stream_free(s);
                if (r < 0)
                        request_error_errno(req, r, e);
                else
                        request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                return;
        }
        log_reader_set_follow(s->reader, s->follow && !s->counting);
        s->client = request_stream(req, json_pack("{s:s}", "id", c->id));
        if (!s->client) {
                logs_stream_free(s);
                return;
        }
        client_stream_begin(s->client, LOGS_LOW_WATER, logs_client_cb, s);
        schedule(s, 0);
}

void
container_logs_free_all(struct container_manager *m)
{
        while (m->logs_streams)
                logs_stream_free(m->logs_streams);
}
