/* Decodes request lines, applies the per-client in-flight limit, routes
 * to the method table and owns struct request, the handle through which a
 * handler answers now or later (stop, wait, import). A request holds a
 * reference on its client, so a late answer to a vanished client is
 * simply dropped. */
#include "daemon/dispatch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"

struct dispatch {
        const struct dispatch_method *methods;
        void *userdata;
        dispatch_authorize_fn authorize;
};

struct request {
        struct client *client;
        json_t *id; /* NULL for a notification: no reply is sent */
        const char *method;
};

int
dispatch_new(const struct dispatch_method *methods, void *userdata, struct dispatch **ret)
{
        struct dispatch *d = calloc(1, sizeof(*d));

        if (!d)
                return -ENOMEM;
        d->methods = methods;
        d->userdata = userdata;
        *ret = d;
        return 0;
}

void
dispatch_set_authorize(struct dispatch *d, dispatch_authorize_fn fn)
{
        d->authorize = fn;
}

void
dispatch_free(struct dispatch *d)
{
        free(d);
}

static void
send_line(struct client *c, char *line)
{
        if (!line) {
                log_error("out of memory encoding a reply");
                return;
        }
        client_write(c, line, strlen(line));
        free(line);
}

static void
request_end(struct request *req)
{
        client_inflight_dec(req->client);
        client_unref(req->client);
        json_decref(req->id);
        free(req);
}

void
request_reply(struct request *req, json_t *result)
{
        if (!result)
                result = json_object();
        if (req->id && !client_is_dead(req->client))
                send_line(req->client, proto_encode_result(req->id, result));
        json_decref(result);
        request_end(req);
}

void
request_error(struct request *req, enum proto_error_kind kind, const char *message, json_t *data)
{
        log_debug("%s %s: error %s: %s", client_peer_name(req->client), req->method,
                  proto_error_kind_to_string(kind), message);
        if (req->id && !client_is_dead(req->client))
                send_line(req->client, proto_encode_error(req->id, kind, message, data));
        request_end(req);
}

void
request_errorf(struct request *req, enum proto_error_kind kind, const char *fmt, ...)
{
        _cleanup_free_ char *m = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&m, fmt, ap) < 0)
                m = NULL;
        va_end(ap);
        request_error(req, kind, m ? m : "out of memory", NULL);
}

void
request_error_errno(struct request *req, int r, const struct ctr_error *e)
{
        enum proto_error_kind kind;
        char buf[128];

        switch (-r) {
        case ENOENT:
                kind = PROTO_ERR_NOT_FOUND;
                break;
        case EEXIST:
        case EBUSY:
        case EADDRINUSE: /* a port or a subnet someone else has */
                kind = PROTO_ERR_CONFLICT;
                break;
        case EINVAL:
        case ENOEXEC:
        case ENOTDIR:
        case ENAMETOOLONG:
                kind = PROTO_ERR_INVALID;
                break;
        case EPERM:
        case EACCES:
                kind = PROTO_ERR_DENIED;
                break;
        case EAGAIN:
                kind = PROTO_ERR_BUSY;
                break;
        default:
                kind = PROTO_ERR_INTERNAL;
        }
        if (kind == PROTO_ERR_INTERNAL)
                log_error("%s %s: %s", client_peer_name(req->client), req->method,
                          e ? e->message : strerror_r(-r, buf, sizeof(buf)));
        request_error(req, kind, e ? e->message : strerror_r(-r, buf, sizeof(buf)), NULL);
}

void
request_notify(struct request *req, const char *method, json_t *params)
{
        if (!client_is_dead(req->client))
                send_line(req->client, proto_encode_notification(method, params));
        json_decref(params);
}

int
request_detach(struct request *req, json_t *result, int *ret_fd)
{
        _cleanup_free_ char *line = NULL;
        int r;

        if (!result)
                result = json_object();
        line = proto_encode_result(req->id ? req->id : json_null(), result);
        json_decref(result);
        if (!line) {
                request_end(req);
                return -ENOMEM;
        }
        r = client_detach(req->client, line, strlen(line), ret_fd);
        request_end(req);
        return r;
}

struct client *
request_stream(struct request *req, json_t *result)
{
        struct client *c = client_ref(req->client);

        request_reply(req, result);
        if (client_is_dead(c)) {
                client_unref(c);
                return NULL;
        }
        return c;
}

bool
request_client_gone(const struct request *req)
{
        return client_is_dead(req->client);
}

const char *
request_method(const struct request *req)
{
        return req->method;
}

size_t
request_take_fds(struct request *req, int *fds, size_t max)
{
        return client_take_fds(req->client, fds, max);
}

const char *
request_peer(const struct request *req)
{
        return client_peer_name(req->client);
}

uid_t
request_peer_uid(const struct request *req)
{
        return client_peer_uid(req->client);
}

enum authz_role
request_peer_role(const struct request *req)
{
        return client_peer_role(req->client);
}

static void
log_mutating(struct client *c, const char *method, json_t *params)
{
        char args[256] = "";
        size_t n = 0;
        const char *key;
        json_t *v;

        /* Only short scalar params: enough to say who did what. */
        json_object_foreach (params, key, v) {
                int k;
                if (json_is_string(v))
                        k = snprintf(args + n, sizeof(args) - n, " %s=%.64s", key,
                                     json_string_value(v));
                else if (json_is_integer(v))
                        k = snprintf(args + n, sizeof(args) - n, " %s=%lld", key,
                                     (long long) json_integer_value(v));
                else if (json_is_boolean(v))
                        k = snprintf(args + n, sizeof(args) - n, " %s=%s", key,
                                     json_is_true(v) ? "true" : "false");
                else
                        continue;
                if (k < 0 || (size_t) k >= sizeof(args) - n)
                        break;
                n += (size_t) k;
        }
        log_info("%s %s%s", client_peer_name(c), method, args);
}

void
dispatch_line(struct client *c, char *line, size_t len, void *userdata)
{
        struct dispatch *d = userdata;
        struct proto_request preq = { 0 };
        enum proto_error_kind kind;
        _cleanup_free_ char *message = NULL;
        json_t *err_id = NULL;
        const struct dispatch_method *m;
        const char *denied;
        struct request *req;
        int r;

        r = proto_request_decode(line, len, &preq, &kind, &message, &err_id);
        free(line);
        if (r < 0) {
                log_debug("%s: bad request: %s", client_peer_name(c), message ? message : "?");
                send_line(c, proto_encode_error(err_id ? err_id : json_null(), kind,
                                                message ? message : "invalid request", NULL));
                json_decref(err_id);
                return;
        }
        for (m = d->methods; m->name; m++)
                if (strcmp(m->name, preq.method) == 0)
                        break;
        if (!m->name) {
                char msg[200];
                snprintf(msg, sizeof(msg), "unknown method '%.128s'", preq.method);
                if (preq.id)
                        send_line(c, proto_encode_error(preq.id, PROTO_ERR_NO_METHOD, msg, NULL));
                proto_request_clear(&preq);
                return;
        }
        denied = authz_method_denied(client_peer_role(c), m->name);
        if (denied) {
                log_info("%s %s: denied (role %s)", client_peer_name(c), m->name,
                         authz_role_to_string(client_peer_role(c)));
                if (preq.id)
                        send_line(c, proto_encode_error(preq.id, PROTO_ERR_DENIED, denied, NULL));
                proto_request_clear(&preq);
                return;
        }
        if (client_inflight(c) >= DISPATCH_MAX_INFLIGHT) {
                char msg[120];
                snprintf(msg, sizeof(msg), "too many requests in flight (limit %d)",
                         DISPATCH_MAX_INFLIGHT);
                if (preq.id)
                        send_line(c, proto_encode_error(preq.id, PROTO_ERR_BUSY, msg, NULL));
                proto_request_clear(&preq);
                return;
        }
        req = calloc(1, sizeof(*req));
        if (!req) {
                proto_request_clear(&preq);
                client_close(c);
                return;
        }
        req->client = client_ref(c);
        req->id = preq.id ? json_incref(preq.id) : NULL;
        req->method = m->name;
        client_inflight_inc(c);
        if (m->mutating)
                log_mutating(c, m->name, preq.params);
        /* A user acts only on their own objects: checked before the
         * handler, which then never sees another user's container. */
        if (client_peer_role(c) != AUTHZ_ROLE_ADMIN && d->authorize &&
            authz_method_need(m->name) == AUTHZ_NEED_OWNER &&
            !d->authorize(req, preq.params, d->userdata)) {
                proto_request_clear(&preq);
                return;
        }
        m->handler(req, preq.params, d->userdata);
        proto_request_clear(&preq);
}
