/* containerctl events: subscribes (events.subscribe) and prints each
 * event as it comes, one line each, Docker's way
 *   2026-11-29T23:50:58.123456789Z container die 3f2a... (exit_code=0, image=busybox, name=web)
 * or as one JSON object per line with --format json. Runs until
 * interrupted, or until --until comes (the daemon ends the stream). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/commands.h"

enum {
        OPT_FILTER = 0x100,
        OPT_SINCE,
        OPT_UNTIL,
        OPT_FORMAT,
};

static int
print_events_help(void)
{
        printf("Usage: containerctl events [OPTIONS]\n\n"
               "Stream the daemon's events: containers (create, start, die, oom, pause,\n"
               "unpause, update, stop, kill, destroy) and images (import, untag, remove).\n\n"
               "Options:\n"
               "  -f, --filter KEY=VALUE  only matching events; KEY is type (container, image,\n"
               "                          network), event (an action, e.g. die), container\n"
               "                          (name or id) or image (name[:tag] or id). Repeated\n"
               "                          keys match any of their values, different keys all\n"
               "      --since TIME        replay past events from TIME on (RFC 3339, unix\n"
               "                          seconds, or a duration before now such as 10m)\n"
               "      --until TIME        stop at TIME (same forms); a past TIME prints past\n"
               "                          events only\n"
               "      --format json       one JSON object per event\n");
        return 0;
}

/* --filter KEY=VALUE: appended to filters[KEY]; the daemon checks keys and
 * values and names the bad ones. */
static int
add_filter(json_t *filters, const char *spec)
{
        const char *eq = strchr(spec, '=');
        _cleanup_free_ char *key = NULL;
        json_t *list;

        if (!eq || eq == spec || !eq[1])
                return usage_error("events: invalid --filter '%s' (KEY=VALUE)", spec);
        key = strndup(spec, (size_t) (eq - spec));
        if (!key)
                return EXIT_USAGE;
        list = json_object_get(filters, key);
        if (!list) {
                list = json_array();
                if (!list || json_object_set_new(filters, key, list) < 0)
                        return EXIT_USAGE;
        }
        if (json_array_append_new(list, json_string(eq + 1)) < 0)
                return usage_error("events: invalid --filter '%s'", spec);
        return 0;
}

static int
add_time(json_t *params, const char *key, const char *value)
{
        _cleanup_free_ char *v = NULL;

        if (args_parse_log_time(value, (int64_t) time(NULL), &v) < 0 ||
            json_object_set_new(params, key, json_string(v)) < 0)
                return usage_error("events: invalid --%s '%s'", key, value);
        return 0;
}

static int
cmp_keys(const void *a, const void *b)
{
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* TIME TYPE ACTION ID (k=v, ...), the attributes sorted by key. */
static void
print_line(json_t *ev)
{
        json_t *attrs = json_object_get(ev, "attributes");
        size_t n = json_is_object(attrs) ? json_object_size(attrs) : 0, i = 0;
        _cleanup_free_ const char **keys = n ? calloc(n, sizeof(char *)) : NULL;
        const char *key;
        json_t *v;

        printf("%s %s %s %s", json_str(ev, "time") ?: "-", json_str(ev, "type") ?: "-",
               json_str(ev, "action") ?: "-", json_str(ev, "id") ?: "-");
        if (keys) {
                json_object_foreach (attrs, key, v)
                        keys[i++] = key;
                qsort(keys, n, sizeof(*keys), cmp_keys);
                printf(" (");
                for (i = 0; i < n; i++) {
                        json_t *a = json_object_get(attrs, keys[i]);
                        printf("%s%s=%s", i ? ", " : "", keys[i],
                               json_is_string(a) ? json_string_value(a) : "?");
                }
                printf(")");
        }
        printf("\n");
}

static void
print_event(json_t *ev, bool as_json)
{
        if (as_json) {
                _cleanup_free_ char *s = json_dumps(ev, JSON_COMPACT);
                if (s)
                        printf("%s\n", s);
        } else
                print_line(ev);
        /* Whoever reads a pipe wants each event when it happens. */
        fflush(stdout);
}

int
cmd_events(struct client *cl, int argc, char **argv)
{
        static const struct option options[] = {
                { "filter", required_argument, NULL, 'f' },
                { "since", required_argument, NULL, OPT_SINCE },
                { "until", required_argument, NULL, OPT_UNTIL },
                { "format", required_argument, NULL, OPT_FORMAT },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        json_auto_t *params = json_object();
        json_t *filters = json_object();
        struct proto_reply reply;
        bool as_json = false;
        int c, r;

        if (!params || !filters || json_object_set_new(params, "filters", filters) < 0)
                return EXIT_USAGE;
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:f:h", options, NULL)) >= 0)
                switch (c) {
                case 'f':
                        if (add_filter(filters, optarg) != 0)
                                return EXIT_USAGE;
                        break;
                case OPT_SINCE:
                case OPT_UNTIL:
                        if (add_time(params, c == OPT_SINCE ? "since" : "until", optarg) != 0)
                                return EXIT_USAGE;
                        break;
                case OPT_FORMAT:
                        if (strcmp(optarg, "json") != 0 && strcmp(optarg, "{{json .}}") != 0)
                                return usage_error("events: unknown --format '%s' (only json)",
                                                   optarg);
                        as_json = true;
                        break;
                case 'h':
                        return print_events_help();
                default:
                        return option_error(argv, c);
                }
        if (argc != optind)
                return usage_error("events takes no arguments");

        r = client_call_checked(cl, "events.subscribe", params, NULL, NULL, &reply);
        if (r != 0)
                return r;
        proto_reply_clear(&reply);
        for (;;) {
                r = client_next_notification(cl, &reply);
                if (r < 0)
                        return EXIT_USAGE;
                if (r == 0) {
                        fprintf(stderr, "Error: containerctld closed the event stream\n");
                        return 1;
                }
                if (strcmp(reply.method, "events.event") == 0) {
                        print_event(reply.params, as_json);
                } else if (strcmp(reply.method, "events.end") == 0) {
                        const char *why = json_str(reply.params, "reason");
                        bool until = why && strcmp(why, "until") == 0;
                        if (!until)
                                fprintf(stderr, "containerctld ended the event stream (%s)\n",
                                        why ? why : "no reason given");
                        proto_reply_clear(&reply);
                        return until ? 0 : 1;
                } else if (strcmp(reply.method, "events.error") == 0) {
                        fprintf(stderr, "Error: %s\n",
                                json_str(reply.params, "message") ?: "event stream failed");
                        proto_reply_clear(&reply);
                        return 1;
                }
                proto_reply_clear(&reply);
        }
}
