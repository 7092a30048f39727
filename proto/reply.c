/* Decoding of one line from the daemon on the client side: a reply to a
 * request (result or error) or a notification. The daemon is trusted less
 * than the kernel: a malformed line is an error, never a crash. */
#include <errno.h>
#include <string.h>

#include "common/macros.h"
#include "proto/proto.h"

static int
reply_fail(char **ret_message, const char *message)
{
        if (ret_message)
                *ret_message = strdup(message);
        return -EBADMSG;
}

static int
decode_error(json_t *error, struct proto_reply *reply, char **ret_message)
{
        json_t *code = json_object_get(error, "code");
        json_t *message = json_object_get(error, "message");
        json_t *data = json_object_get(error, "data");
        int kind = -EINVAL;

        if (!json_is_object(error))
                return reply_fail(ret_message, "\"error\" must be an object");
        if (!json_is_integer(code) || json_integer_value(code) < INT32_MIN ||
            json_integer_value(code) > INT32_MAX)
                return reply_fail(ret_message, "\"error.code\" must be an integer");
        if (!json_is_string(message))
                return reply_fail(ret_message, "\"error.message\" must be a string");

        if (json_is_object(data))
                kind = proto_error_kind_from_string(
                        json_string_value(json_object_get(data, "kind")));
        if (kind < 0)
                kind = proto_error_kind_from_code((int) json_integer_value(code));
        if (kind < 0)
                kind = PROTO_ERR_INTERNAL;

        reply->is_error = true;
        reply->error_code = (int) json_integer_value(code);
        reply->error_message = json_string_value(message);
        reply->error_kind = kind;
        reply->error_data = data;
        return 0;
}

int
proto_reply_decode(const char *line, size_t len, struct proto_reply *reply, char **ret_message)
{
        json_t *root = NULL, *v, *id, *result, *error;
        int r;

        if (ret_message)
                *ret_message = NULL;
        *reply = (struct proto_reply) { 0 };

        r = proto_json_load_line(line, len, &root, ret_message);
        if (r < 0)
                return r;

        *reply = (struct proto_reply) { .root = root };

        if (!json_is_object(root)) {
                r = reply_fail(ret_message, "reply must be a JSON object");
                goto fail;
        }
        v = json_object_get(root, "jsonrpc");
        if (!json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0) {
                r = reply_fail(ret_message, "\"jsonrpc\" must be \"2.0\"");
                goto fail;
        }

        id = json_object_get(root, "id");
        v = json_object_get(root, "method");
        if (v) {
                /* A notification: method and optional params, no id. */
                json_t *params = json_object_get(root, "params");

                if (id) {
                        r = reply_fail(ret_message, "requests from the daemon are not supported");
                        goto fail;
                }
                if (!json_is_string(v) || json_string_length(v) == 0) {
                        r = reply_fail(ret_message, "\"method\" must be a non-empty string");
                        goto fail;
                }
                if (!params || json_is_null(params)) {
                        if (json_object_set_new(root, "params", json_object()) < 0) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        params = json_object_get(root, "params");
                }
                reply->method = json_string_value(v);
                reply->params = params;
                return 0;
        }

        if (!id) {
                r = reply_fail(ret_message, "reply has neither \"id\" nor \"method\"");
                goto fail;
        }
        if (!json_is_string(id) && !json_is_number(id) && !json_is_null(id)) {
                r = reply_fail(ret_message, "\"id\" must be a string, a number or null");
                goto fail;
        }
        reply->id = id;

        result = json_object_get(root, "result");
        error = json_object_get(root, "error");
        if (!!result == !!error) {
                r = reply_fail(ret_message, "reply must have exactly one of \"result\" and \"error\"");
                goto fail;
        }
        if (result) {
                reply->result = result;
                return 0;
        }
        r = decode_error(error, reply, ret_message);
        if (r < 0)
                goto fail;
        return 0;

fail:
        json_decref(root);
        *reply = (struct proto_reply) {};
        return r;
}

void
proto_reply_clear(struct proto_reply *reply)
{
        if (!reply)
                return;
        json_decref(reply->root);
        *reply = (struct proto_reply) {};
}
