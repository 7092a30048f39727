/* The event bus: a ring of the last EVENT_RING_SIZE events (each kept as
 * its JSON object and its encoded "events.event" line, so a burst costs
 * one encoding per event whatever the number of subscribers), and the
 * subscribers, each a client connection in stream mode. Writing never
 * blocks: a subscriber that leaves more than EVENT_MAX_PENDING bytes
 * unread is ended with an error. A subscription is freed from the loop
 * (a deferred event), never from inside the client callback that reports
 * its end. Loop thread only. */
#include "daemon/events.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "common/log.h"
#include "common/time-util.h"
#include "daemon/dispatch.h"
#include "daemon/log-reader.h"
#include "proto/proto.h"

struct event_entry {
        json_t *event;
        char *line; /* the notification, '\n'-terminated */
        int64_t time_ns;
};

struct subscriber {
        struct event_bus *bus;
        struct subscriber *prev, *next; /* bus->subs or bus->ending */
        struct client *client;
        struct event_filter filter;
        int64_t since_ns, until_ns; /* < 0: unbounded */
        bool ended;                 /* in bus->ending, waiting for the client to go */
        struct event *until_ev;     /* until_ns reached */
        struct event *grace_ev;     /* ended: the client had its time to read */
        struct event *free_ev;      /* the client is gone: free from the loop */
};

struct event_bus {
        struct event_base *base;
        struct event_entry ring[EVENT_RING_SIZE];
        size_t head, count; /* head: the next slot written */
        uint64_t seq;
        int64_t last_ns;
        struct subscriber *subs, *ending;
        size_t n_subs;
};

static const char *const known_types[] = { "container", "image", "network", NULL };
/* Every action some producer emits (daemon/events.h); a filter naming
 * another one is a typo, and Docker's silence about it a trap. */
static const char *const known_actions[] = { "create", "start",   "die",    "oom",    "pause",
                                             "unpause", "update", "stop",   "kill",   "destroy",
                                             "import",  "remove", "untag",  "connect",
                                             "disconnect", NULL };

/* ---- filters ---- */

static void
strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

void
event_filter_clear(struct event_filter *f)
{
        if (!f)
                return;
        strv_free(f->types);
        strv_free(f->actions);
        strv_free(f->containers);
        strv_free(f->images);
        *f = (struct event_filter){};
}

static bool
strv_contains(const char *const *v, const char *s)
{
        for (size_t i = 0; v && v[i]; i++)
                if (strcmp(v[i], s) == 0)
                        return true;
        return false;
}

static char *
known_list(const char *const *v)
{
        size_t n = 1;
        char *s, *p;

        for (size_t i = 0; v[i]; i++)
                n += strlen(v[i]) + 2;
        s = malloc(n);
        if (!s)
                return NULL;
        p = s;
        *p = '\0';
        for (size_t i = 0; v[i]; i++)
                p += sprintf(p, "%s%s", i ? ", " : "", v[i]);
        return s;
}

/* One key's value (a string or an array of strings) into *ret. */
static int
filter_values(const char *key, json_t *v, const char *const *allowed, char ***ret,
              char **ret_message)
{
        json_t *one = json_is_string(v) ? v : NULL;
        size_t n = one ? 1 : json_is_array(v) ? json_array_size(v) : 0;
        char **out;

        if (!one && !json_is_array(v))
                goto bad_type;
        out = calloc(n + 1, sizeof(char *));
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_t *e = one ? one : json_array_get(v, i);
                const char *s = json_string_value(e);

                if (!s || !*s || strlen(s) > 512) {
                        strv_free(out);
                        goto bad_type;
                }
                if (allowed && !strv_contains(allowed, s)) {
                        _cleanup_free_ char *list = known_list(allowed);
                        strv_free(out);
                        if (asprintf(ret_message, "unknown %s filter value '%.64s' (known: %s)",
                                     key, s, list ? list : "?") < 0)
                                *ret_message = NULL;
                        return -EINVAL;
                }
                out[i] = strdup(s);
                if (!out[i]) {
                        strv_free(out);
                        return -ENOMEM;
                }
        }
        *ret = out;
        return 0;

bad_type:
        if (asprintf(ret_message, "filter '%s' must be a non-empty string or a list of them",
                     key) < 0)
                *ret_message = NULL;
        return -EINVAL;
}

int
event_filter_from_json(json_t *filters, struct event_filter *ret, char **ret_message)
{
        struct event_filter f = {};
        const char *key;
        json_t *v;
        int r;

        *ret_message = NULL;
        if (!filters || json_is_null(filters)) {
                *ret = f;
                return 0;
        }
        if (!json_is_object(filters)) {
                *ret_message = strdup("parameter 'filters' must be an object");
                return -EINVAL;
        }
        json_object_foreach (filters, key, v) {
                char ***slot;
                const char *const *allowed = NULL;

                if (strcmp(key, "type") == 0) {
                        slot = &f.types;
                        allowed = known_types;
                } else if (strcmp(key, "event") == 0) {
                        slot = &f.actions;
                        allowed = known_actions;
                } else if (strcmp(key, "container") == 0)
                        slot = &f.containers;
                else if (strcmp(key, "image") == 0)
                        slot = &f.images;
                else {
                        event_filter_clear(&f);
                        if (asprintf(ret_message,
                                     "unknown filter '%.64s' (known: type, event, container, "
                                     "image)",
                                     key) < 0)
                                *ret_message = NULL;
                        return -EINVAL;
                }
                r = filter_values(key, v, allowed, slot, ret_message);
                if (r < 0) {
                        event_filter_clear(&f);
                        return r;
                }
        }
        *ret = f;
        return 0;
}

static bool
is_hex(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
                        return false;
        return true;
}

/* A full id, or a prefix of it ("sha256:" allowed before an image's). */
static bool
id_matches(const char *want, const char *id)
{
        if (!id)
                return false;
        if (strncmp(want, "sha256:", 7) == 0)
                want += 7;
        return is_hex(want) && strncmp(id, want, strlen(want)) == 0;
}

/* Whether ref names a tag (a ':' after the last '/'). */
static bool
has_tag(const char *ref)
{
        const char *slash = strrchr(ref, '/'), *colon = strrchr(ref, ':');

        return colon && (!slash || colon > slash);
}

/* "busybox" and "busybox:latest" are one image, as in image refs. */
static bool
ref_matches(const char *want, const char *ref)
{
        size_t nw, nr;

        if (!ref)
                return false;
        if (strcmp(want, ref) == 0)
                return true;
        nw = strlen(want);
        nr = strlen(ref);
        if (!has_tag(want) && has_tag(ref))
                return strncmp(ref, want, nw) == 0 && strcmp(ref + nw, ":latest") == 0;
        if (has_tag(want) && !has_tag(ref))
                return strncmp(want, ref, nr) == 0 && strcmp(want + nr, ":latest") == 0;
        return false;
}

static bool
match_any(char **values, bool (*fn)(const char *want, json_t *event), json_t *event)
{
        if (!values)
                return true;
        for (size_t i = 0; values[i]; i++)
                if (fn(values[i], event))
                        return true;
        return false;
}

static const char *
event_str(json_t *event, const char *key)
{
        return json_string_value(json_object_get(event, key));
}

static bool
type_is(const char *want, json_t *event)
{
        const char *t = event_str(event, "type");
        return t && strcmp(want, t) == 0;
}

static bool
action_is(const char *want, json_t *event)
{
        const char *a = event_str(event, "action");
        return a && strcmp(want, a) == 0;
}

static bool
container_is(const char *want, json_t *event)
{
        const char *name = event_str(event, "name");

        if (!type_is("container", event))
                return false;
        return (name && strcmp(want, name) == 0) || id_matches(want, event_str(event, "id"));
}

static bool
image_is(const char *want, json_t *event)
{
        if (type_is("image", event))
                return ref_matches(want, event_str(event, "name")) ||
                       id_matches(want, event_str(event, "id"));
        if (type_is("container", event))
                return ref_matches(want, json_string_value(json_object_get(
                                                 json_object_get(event, "attributes"), "image")));
        return false;
}

/* A user's subscription sees the objects the user owns, and everything
 * nobody owns. */
static bool
owner_may_see(const struct event_filter *f, json_t *event)
{
        json_t *owner = json_object_get(event, "owner_uid");

        return !f->own_only || !owner || json_integer_value(owner) == (json_int_t) f->owner_uid;
}

bool
event_filter_match(const struct event_filter *f, json_t *event)
{
        if (!f)
                return true;
        return owner_may_see(f, event) && match_any(f->types, type_is, event) && match_any(f->actions, action_is, event) &&
               match_any(f->containers, container_is, event) &&
               match_any(f->images, image_is, event);
}

int
event_time_from_json(json_t *v, int64_t *ret_ns)
{
        if (json_is_integer(v)) {
                json_int_t s = json_integer_value(v);
                if (s < 0 || s >= INT64_MAX / 1000000000)
                        return -EINVAL;
                *ret_ns = (int64_t) s * 1000000000;
                return 0;
        }
        if (json_is_real(v)) {
                double s = json_real_value(v);
                if (!(s >= 0 && s < 9e9))
                        return -EINVAL;
                *ret_ns = (int64_t) (s * 1e9);
                return 0;
        }
        if (json_is_string(v))
                return log_time_parse(json_string_value(v), ret_ns);
        return -EINVAL;
}

/* ---- the bus ---- */

int
event_bus_new(struct event_base *base, struct event_bus **ret)
{
        struct event_bus *b = calloc(1, sizeof(*b));

        if (!b)
                return -ENOMEM;
        b->base = base;
        *ret = b;
        return 0;
}

static void
list_remove(struct subscriber **list, struct subscriber *s)
{
        if (s->prev)
                s->prev->next = s->next;
        else if (*list == s)
                *list = s->next;
        if (s->next)
                s->next->prev = s->prev;
        s->prev = s->next = NULL;
}

static void
list_add(struct subscriber **list, struct subscriber *s)
{
        s->prev = NULL;
        s->next = *list;
        if (s->next)
                s->next->prev = s;
        *list = s;
}

static void
subscriber_free(struct subscriber *s)
{
        if (!s)
                return;
        if (s->bus) {
                if (s->ended)
                        list_remove(&s->bus->ending, s);
                else {
                        list_remove(&s->bus->subs, s);
                        s->bus->n_subs--;
                }
        }
        if (s->client) {
                client_stream_end(s->client);
                client_unref(s->client);
        }
        if (s->until_ev)
                event_free(s->until_ev);
        if (s->grace_ev)
                event_free(s->grace_ev);
        if (s->free_ev)
                event_free(s->free_ev);
        event_filter_clear(&s->filter);
        free(s);
}

static void
send_notification(struct subscriber *s, const char *method, json_t *params)
{
        _cleanup_free_ char *line = proto_encode_notification(method, params);

        json_decref(params);
        if (line)
                client_write(s->client, line, strlen(line));
}

/* Stops sending, says why (method/params: the last notification, params
 * stolen), and closes once the client has read it — or after a grace
 * period. The struct goes when the client does (free_cb). */
static void
subscriber_end(struct subscriber *s, const char *method, json_t *params)
{
        struct timeval tv = { .tv_sec = EVENT_END_GRACE_SECONDS };
        struct client *c = s->client;

        if (s->ended) {
                json_decref(params);
                return;
        }
        list_remove(&s->bus->subs, s);
        s->bus->n_subs--;
        s->ended = true;
        list_add(&s->bus->ending, s);
        if (s->until_ev)
                event_del(s->until_ev);
        send_notification(s, method, params);
        if (s->grace_ev)
                evtimer_add(s->grace_ev, &tv);
        /* May close at once (nothing left to write); our stream callback
         * then only schedules free_cb. */
        client_close_after_flush(c);
}

static void
free_cb(evutil_socket_t fd, short what, void *arg)
{
        subscriber_free(arg);
}

static void
grace_cb(evutil_socket_t fd, short what, void *arg)
{
        struct subscriber *s = arg;

        log_debug("event subscriber %s did not read the end of its stream, closing",
                  client_peer_name(s->client));
        client_stream_end(s->client);
        client_close(s->client);
        subscriber_free(s);
}

static void
until_cb(evutil_socket_t fd, short what, void *arg)
{
        subscriber_end(arg, "events.end", json_pack("{s:s}", "reason", "until"));
}

/* Drained or gone: only the end matters (a slow reader is judged when the
 * next event comes). */
static void
client_cb(struct client *c, void *userdata)
{
        struct subscriber *s = userdata;

        if (client_is_dead(c))
                event_active(s->free_ev, EV_TIMEOUT, 0);
}

static bool
in_window(int64_t t, int64_t since_ns, int64_t until_ns)
{
        return (since_ns < 0 || t >= since_ns) && (until_ns < 0 || t < until_ns);
}

/* One live event to one subscriber. */
static void
deliver(struct subscriber *s, const struct event_entry *e)
{
        if (s->until_ns >= 0 && e->time_ns >= s->until_ns) {
                subscriber_end(s, "events.end", json_pack("{s:s}", "reason", "until"));
                return;
        }
        if (!in_window(e->time_ns, s->since_ns, -1) || !event_filter_match(&s->filter, e->event))
                return;
        if (client_output_pending(s->client) > EVENT_MAX_PENDING) {
                char msg[160];

                log_warning("event subscriber %s fell more than %d bytes behind, dropping it",
                            client_peer_name(s->client), EVENT_MAX_PENDING);
                snprintf(msg, sizeof(msg),
                         "too slow: more than %d bytes of events unread, subscription ended",
                         EVENT_MAX_PENDING);
                subscriber_end(s, "events.error",
                               json_pack("{s:s,s:s}", "kind",
                                         proto_error_kind_to_string(PROTO_ERR_BUSY), "message",
                                         msg));
                return;
        }
        client_write(s->client, e->line, strlen(e->line));
}

static json_t *
event_new_json(struct event_bus *b, const char *type, const char *action, const char *id,
               const char *name, json_t *attributes, uid_t uid, uid_t owner, int64_t t)
{
        char ts[48];
        json_t *j;

        if (!attributes)
                attributes = json_object();
        if (!attributes)
                return NULL;
        /* Docker puts the name among the attributes too; the CLI's line
         * shows them all in one parenthesis. */
        if (name && !json_object_get(attributes, "name"))
                json_object_set_new(attributes, "name", proto_json_string_lossy(name));
        j = json_pack("{s:I,s:s,s:I,s:s,s:s,s:o*,s:o}", "seq", (json_int_t) b->seq, "time",
                      format_rfc3339(t, ts, sizeof(ts)), "time_ns", (json_int_t) t, "type", type,
                      "action", action, "id", proto_json_string_lossy(id ? id : ""),
                      "attributes", attributes);
        if (!j)
                return NULL;
        if (name)
                json_object_set_new(j, "name", proto_json_string_lossy(name));
        if (uid != (uid_t) -1)
                json_object_set_new(j, "uid", json_integer((json_int_t) uid));
        if (owner != (uid_t) -1)
                json_object_set_new(j, "owner_uid", json_integer((json_int_t) owner));
        return j;
}

void
event_bus_emit(struct event_bus *b, const char *type, const char *action, const char *id,
               const char *name, json_t *attributes, uid_t uid)
{
        event_bus_emit_owned(b, type, action, id, name, attributes, uid, (uid_t) -1);
}

void
event_bus_emit_owned(struct event_bus *b, const char *type, const char *action, const char *id,
                     const char *name, json_t *attributes, uid_t uid, uid_t owner)
{
        struct event_entry *e;
        json_t *j;
        char *line;
        int64_t t;

        if (!b) {
                json_decref(attributes);
                return;
        }
        /* Never backwards, whatever the wall clock does: since/until and
         * the order of replayed events rely on it. */
        t = now_ns();
        if (t < b->last_ns)
                t = b->last_ns;
        b->seq++;
        j = event_new_json(b, type, action, id, name, attributes, uid, owner, t);
        line = j ? proto_encode_notification("events.event", j) : NULL;
        if (!line) {
                json_decref(j);
                log_error("out of memory recording a %s %s event", type, action);
                return;
        }
        b->last_ns = t;
        e = &b->ring[b->head];
        json_decref(e->event);
        free(e->line);
        *e = (struct event_entry){ .event = j, .line = line, .time_ns = t };
        b->head = (b->head + 1) % EVENT_RING_SIZE;
        if (b->count < EVENT_RING_SIZE)
                b->count++;
        log_debug("event %s %s %.12s%s%s", type, action, id ? id : "", name ? " " : "",
                  name ? name : "");

        /* subscriber_end() moves s to another list: take next first. */
        for (struct subscriber *s = b->subs, *next; s; s = next) {
                next = s->next;
                deliver(s, e);
        }
}

size_t
event_bus_foreach(struct event_bus *b, int64_t since_ns, int64_t until_ns,
                  const struct event_filter *f, void (*fn)(json_t *event, void *userdata),
                  void *userdata)
{
        size_t n = 0;

        for (size_t i = 0; i < b->count; i++) {
                struct event_entry *e =
                        &b->ring[(b->head + EVENT_RING_SIZE - b->count + i) % EVENT_RING_SIZE];

                if (in_window(e->time_ns, since_ns, until_ns) && event_filter_match(f, e->event)) {
                        fn(e->event, userdata);
                        n++;
                }
        }
        return n;
}

static void
replay(struct subscriber *s)
{
        struct event_bus *b = s->bus;

        for (size_t i = 0; i < b->count; i++) {
                struct event_entry *e =
                        &b->ring[(b->head + EVENT_RING_SIZE - b->count + i) % EVENT_RING_SIZE];

                if (in_window(e->time_ns, s->since_ns, s->until_ns) &&
                    event_filter_match(&s->filter, e->event))
                        client_write(s->client, e->line, strlen(e->line));
        }
}

void
event_bus_subscribe(struct event_bus *b, struct request *req, struct event_filter *filter,
                    int64_t since_ns, int64_t until_ns)
{
        struct subscriber *s = calloc(1, sizeof(*s));
        bool want_replay = since_ns >= 0 || until_ns >= 0;

        if (s) {
                s->until_ev = evtimer_new(b->base, until_cb, s);
                s->grace_ev = evtimer_new(b->base, grace_cb, s);
                s->free_ev = evtimer_new(b->base, free_cb, s);
        }
        if (!s || !s->until_ev || !s->grace_ev || !s->free_ev) {
                subscriber_free(s);
                event_filter_clear(filter);
                request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                return;
        }
        s->filter = *filter;
        *filter = (struct event_filter){};
        if (request_peer_role(req) != AUTHZ_ROLE_ADMIN) {
                s->filter.own_only = true;
                s->filter.owner_uid = request_peer_uid(req);
        }
        s->since_ns = since_ns;
        s->until_ns = until_ns;
        s->client = request_stream(req, json_pack("{s:b}", "subscribed", 1));
        if (!s->client) {
                subscriber_free(s);
                return;
        }
        s->bus = b;
        list_add(&b->subs, s);
        b->n_subs++;
        client_stream_begin(s->client, 0, client_cb, s);
        log_debug("event subscriber %s: since %lld until %lld", client_peer_name(s->client),
                  (long long) since_ns, (long long) until_ns);
        if (want_replay)
                replay(s);
        if (until_ns >= 0) {
                int64_t now = now_ns();
                if (now < b->last_ns)
                        now = b->last_ns;
                if (until_ns <= now) {
                        subscriber_end(s, "events.end", json_pack("{s:s}", "reason", "until"));
                        return;
                }
                int64_t d = until_ns - now;
                struct timeval tv = { .tv_sec = d / 1000000000,
                                      .tv_usec = (d % 1000000000) / 1000 + 1 };
                evtimer_add(s->until_ev, &tv);
        }
}

size_t
event_bus_subscriber_count(const struct event_bus *b)
{
        return b ? b->n_subs : 0;
}

void
event_bus_shutdown(struct event_bus *b)
{
        if (!b)
                return;
        while (b->subs)
                subscriber_end(b->subs, "events.end", json_pack("{s:s}", "reason", "shutdown"));
}

void
event_bus_free(struct event_bus *b)
{
        if (!b)
                return;
        while (b->subs) {
                struct subscriber *s = b->subs;
                /* Last words, then let go: the server closes the client. */
                send_notification(s, "events.end", json_pack("{s:s}", "reason", "shutdown"));
                client_close_after_flush(s->client);
                subscriber_free(s);
        }
        while (b->ending)
                subscriber_free(b->ending);
        for (size_t i = 0; i < EVENT_RING_SIZE; i++) {
                json_decref(b->ring[i].event);
                free(b->ring[i].line);
        }
        free(b);
}
