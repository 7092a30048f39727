/* The daemon's event stream: a bounded ring of recent events and the
 * clients subscribed to them (events.subscribe). Producers (the container
 * orchestrator, the image manager) call event_bus_emit(); subscribers get
 * each matching event as an "events.event" notification, in order. Loop
 * thread only. A subscriber whose output buffer stays full is dropped with
 * an error rather than buffering without bound. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/macros.h"

struct event_base;
struct request;
struct event_bus;

/* Events kept for replay (since/until); the oldest is dropped first. */
#define EVENT_RING_SIZE 1024
/* Bytes of events a subscriber may leave unread before it is dropped
 * (with an "events.error" notification). About 3000 events. */
#define EVENT_MAX_PENDING (1024 * 1024)
/* How long a subscriber whose stream ended may take to read its last
 * bytes before the connection is closed anyway. */
#define EVENT_END_GRACE_SECONDS 10

int event_bus_new(struct event_base *base, struct event_bus **ret);
/* Shutdown, while the loop may still turn once: ends every subscription
 * with an "events.end" {"reason":"shutdown"} notification, written (and
 * the connection closed) by the loop's next turn. NULL-safe. */
void event_bus_shutdown(struct event_bus *b);
/* Frees the ring and the subscriptions (a live one gets the same end
 * notification queued, which is lost unless the loop turns again).
 * NULL-safe. */
void event_bus_free(struct event_bus *b);
DEFINE_FREEP(struct event_bus, event_bus_free)

/* Records one event, stamped with the current time (ns) and a sequence
 * number, and sends it to every matching subscriber.
 *   type:   "container", "image" or "network"
 *   action: container: create, start, die, oom, pause, unpause, update,
 *           stop, kill, destroy; image: import, remove; network: create, remove
 *   id:     the object's id (64 hex for containers and images), name its name
 *           (may be NULL)
 *   attributes: extra string-valued facts, e.g. {"exit_code":"137"} for die,
 *           {"signal":"SIGKILL"}; stolen; may be NULL
 *   uid:    the uid of the client whose request caused it, or (uid_t)-1 when
 *           the daemon acted on its own (an exit, an OOM)
 * b may be NULL (no bus: nothing happens, attributes are released). */
void event_bus_emit(struct event_bus *b, const char *type, const char *action, const char *id,
                    const char *name, json_t *attributes, uid_t uid);
/* event_bus_emit() for an object a user owns (a container): the event
 * gets "owner_uid", and a user's subscription sees it only if it is the
 * user's own (struct event_filter's own_only). */
void event_bus_emit_owned(struct event_bus *b, const char *type, const char *action,
                          const char *id, const char *name, json_t *attributes, uid_t uid,
                          uid_t owner);

/* What a subscriber wants (events.subscribe's "filters"). Each list is
 * NULL-terminated, NULL when the key is absent. Values of one key are
 * ORed, different keys ANDed (as Docker's). */
struct event_filter {
        char **types;      /* "container", "image", "network" */
        char **actions;    /* "event" */
        char **containers; /* name, full id or id prefix */
        char **images;     /* image events: name[:tag], id or id prefix;
                            * container events: their image as created */
        /* Set for a subscriber who is not an administrator: of the events
         * of owned objects (event_bus_emit_owned(): containers) only
         * those of the objects owner_uid owns; image and network events,
         * which such a user may list anyway, all. */
        bool own_only;
        uid_t owner_uid;
};
void event_filter_clear(struct event_filter *f);
/* The JSON object {"type":[..],"event":[..],"container":[..],"image":[..]}
 * (a single string stands for a list of one; NULL or null: no filter)
 * into *ret. An unknown key, type or event, or a value that is not a
 * non-empty string: -EINVAL with *ret_message (malloc'd) naming it; *ret
 * is then untouched. */
int event_filter_from_json(json_t *filters, struct event_filter *ret, char **ret_message);
/* Whether an event object (as event_bus_emit() builds it) passes f. */
bool event_filter_match(const struct event_filter *f, json_t *event);

/* since/until as events.subscribe takes them: an RFC 3339 string, or unix
 * seconds (a number, or a decimal string with up to 9 fractional digits:
 * nanosecond precision). -EINVAL for anything else or a negative time. */
int event_time_from_json(json_t *v, int64_t *ret_ns);

/* Calls fn(event, userdata) for each event in the ring, oldest first, with
 * since_ns <= time < until_ns (either < 0: unbounded) that passes f (NULL:
 * every event). event is borrowed. Returns how many. */
size_t event_bus_foreach(struct event_bus *b, int64_t since_ns, int64_t until_ns,
                         const struct event_filter *f, void (*fn)(json_t *event, void *userdata),
                         void *userdata);

/* events.subscribe: replies {"subscribed":true} to req and turns its
 * connection into a stream of notification lines: the ring's events with
 * since_ns <= time < until_ns first (only if since_ns or until_ns >= 0),
 * then live ones. With until_ns >= 0 the stream ends ("events.end"
 * {"reason":"until"}, then close) when that time comes, at once if it is
 * past. The subscription goes when the client does. filter is taken (and
 * zeroed). */
void event_bus_subscribe(struct event_bus *b, struct request *req, struct event_filter *filter,
                         int64_t since_ns, int64_t until_ns);
/* Live subscriptions (not counting those whose stream has ended). */
size_t event_bus_subscriber_count(const struct event_bus *b);
