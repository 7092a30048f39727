/* Decoding of one request line into a validated JSON-RPC 2.0 request.
 * Everything a peer sends passes through here first, so every malformed
 * input must come back as an error kind and a message, never a crash. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/macros.h"
#include "proto/proto.h"

static int
request_fail(enum proto_error_kind kind, int r, enum proto_error_kind *ret_kind,
             char **ret_message, const char *message)
{
        if (ret_kind)
                *ret_kind = kind;
        if (ret_message)
                *ret_message = strdup(message);
        return r;
}

static bool
id_type_valid(const json_t *id)
{
        return json_is_string(id) || json_is_number(id) || json_is_null(id);
}

int
proto_json_load_line(const char *line, size_t len, json_t **ret, char **ret_message)
{
        json_error_t jerr;
        json_t *root;

        if (len > PROTO_MAX_LINE) {
                if (ret_message && asprintf(ret_message, "line longer than %d bytes",
                                            PROTO_MAX_LINE) < 0)
                        *ret_message = NULL;
                return -EMSGSIZE;
        }
        if (memchr(line, '\0', len)) {
                if (ret_message)
                        *ret_message = strdup("line contains a NUL byte");
                return -EBADMSG;
        }
        root = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
        if (!root) {
                if (ret_message &&
                    asprintf(ret_message, "parse error at column %d: %s", jerr.column,
                             jerr.text) < 0)
                        *ret_message = NULL;
                return -EBADMSG;
        }
        *ret = root;
        return 0;
}

int
proto_request_decode(const char *line, size_t len, struct proto_request *req,
                     enum proto_error_kind *ret_kind, char **ret_message, json_t **ret_id)
{
        json_t *root = NULL, *v, *id = NULL, *params;
        char *msg = NULL;
        int r;

        if (ret_id)
                *ret_id = NULL;
        if (ret_message)
                *ret_message = NULL;

        r = proto_json_load_line(line, len, &root, &msg);
        if (r < 0) {
                if (ret_kind)
                        *ret_kind = r == -EMSGSIZE ? PROTO_ERR_INVALID_REQUEST : PROTO_ERR_PARSE;
                if (ret_message)
                        *ret_message = msg;
                else
                        free(msg);
                return r;
        }

        if (!json_is_object(root)) {
                r = request_fail(PROTO_ERR_INVALID_REQUEST, -EBADMSG, ret_kind, ret_message,
                                 "request must be a JSON object");
                goto fail;
        }

        /* Recover the id first so that every later error can carry it. */
        id = json_object_get(root, "id");
        if (id && !id_type_valid(id)) {
                id = NULL;
                r = request_fail(PROTO_ERR_INVALID_REQUEST, -EBADMSG, ret_kind, ret_message,
                                 "\"id\" must be a string, a number or null");
                goto fail;
        }

        v = json_object_get(root, "jsonrpc");
        if (!json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0) {
                r = request_fail(PROTO_ERR_INVALID_REQUEST, -EBADMSG, ret_kind, ret_message,
                                 "\"jsonrpc\" must be \"2.0\"");
                goto fail;
        }

        v = json_object_get(root, "method");
        if (!v) {
                r = request_fail(PROTO_ERR_INVALID_REQUEST, -EBADMSG, ret_kind, ret_message,
                                 "\"method\" is missing");
                goto fail;
        }
        if (!json_is_string(v) || json_string_length(v) == 0) {
                r = request_fail(PROTO_ERR_INVALID_REQUEST, -EBADMSG, ret_kind, ret_message,
                                 "\"method\" must be a non-empty string");
                goto fail;
        }

        params = json_object_get(root, "params");
        if (json_is_array(params)) {
                r = request_fail(PROTO_ERR_INVALID_PARAMS, -EINVAL, ret_kind, ret_message,
                                 "\"params\" must be an object (parameters are by name)");
                goto fail;
        }
        if (params && !json_is_object(params) && !json_is_null(params)) {
                r = request_fail(PROTO_ERR_INVALID_REQUEST, -EBADMSG, ret_kind, ret_message,
                                 "\"params\" must be an object");
                goto fail;
        }
        if (!json_is_object(params)) {
                /* Absent or null: an empty object owned by root, so callers
                 * never have to test for NULL. */
                if (json_object_set_new(root, "params", json_object()) < 0) {
                        r = request_fail(PROTO_ERR_INTERNAL, -ENOMEM, ret_kind, ret_message,
                                         "out of memory");
                        goto fail;
                }
                params = json_object_get(root, "params");
        }

        *req = (struct proto_request) {
                .root = root,
                .id = json_object_get(root, "id"),
                .method = json_string_value(json_object_get(root, "method")),
                .params = params,
        };
        return 0;

fail:
        /* The error reply must carry the request's id when it had a valid one. */
        if (ret_id && id && id_type_valid(id))
                *ret_id = json_incref(id);
        json_decref(root);
        return r;
}

void
proto_request_clear(struct proto_request *req)
{
        if (!req)
                return;
        json_decref(req->root);
        *req = (struct proto_request) {};
}
