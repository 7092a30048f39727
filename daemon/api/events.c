/* events.subscribe: checks the params (filters, since, until) and hands
 * the request to the event bus (daemon/events.c), which replies and keeps
 * the connection as a stream of "events.event" notifications. */
#include <errno.h>

#include "daemon/api/api.h"
#include "daemon/events.h"

static int
param_event_time(struct request *req, json_t *params, const char *key, int64_t *ret)
{
        json_t *v = json_object_get(params, key);

        *ret = -1;
        if (!v || json_is_null(v))
                return 0;
        if (event_time_from_json(v, ret) == 0)
                return 0;
        request_errorf(req, PROTO_ERR_INVALID_PARAMS,
                       "parameter '%s' must be an RFC 3339 time or unix seconds", key);
        return -EINVAL;
}

void
api_events_subscribe(struct request *req, json_t *params, void *userdata)
{
        static const char *const keys[] = { "filters", "since", "until", NULL };
        struct api_context *ctx = userdata;
        struct event_filter filter = {};
        _cleanup_free_ char *message = NULL;
        int64_t since, until;
        int r;

        if (api_params_check_keys(req, params, keys) < 0 ||
            param_event_time(req, params, "since", &since) < 0 ||
            param_event_time(req, params, "until", &until) < 0)
                return;
        if (!ctx->events) {
                request_error(req, PROTO_ERR_INTERNAL, "no event bus", NULL);
                return;
        }
        r = event_filter_from_json(json_object_get(params, "filters"), &filter, &message);
        if (r < 0) {
                request_error(req, r == -EINVAL ? PROTO_ERR_INVALID_PARAMS : PROTO_ERR_INTERNAL,
                              message ? message : "out of memory", NULL);
                return;
        }
        event_bus_subscribe(ctx->events, req, &filter, since, until);
}
