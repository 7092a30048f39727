/* Encoding of requests, results, errors and notifications as one compact
 * JSON line ending in '\n'. Encoders borrow their arguments; they never
 * steal a reference. */
#include <errno.h>
#include <string.h>

#include "common/macros.h"
#include "proto/proto.h"

/* jansson provides json_decrefp() for json_auto_t. */
#define _cleanup_json_ _cleanup_(json_decrefp)

/* JSON_COMPACT never emits a raw newline (strings escape it), so the
 * appended '\n' is the only one on the line. */
static char *
dump_line(json_t *root)
{
        _cleanup_free_ char *s = NULL;
        size_t n;
        char *line;

        s = json_dumps(root, JSON_COMPACT);
        if (!s)
                return NULL;
        n = strlen(s);
        line = malloc(n + 2);
        if (!line)
                return NULL;
        memcpy(line, s, n);
        line[n] = '\n';
        line[n + 1] = '\0';
        return line;
}

json_t *
proto_json_string_lossy(const char *s)
{
        _cleanup_free_ char *copy = NULL;
        json_t *j;

        if (!s)
                s = "";
        j = json_string(s);
        if (j)
                return j;
        /* Not valid UTF-8 (a path or a kernel string): keep it readable
         * instead of dropping the whole message. */
        copy = strdup(s);
        if (!copy)
                return NULL;
        for (unsigned char *p = (unsigned char *) copy; *p; p++)
                if (*p >= 0x80)
                        *p = '?';
        return json_string(copy);
}

static json_t *
envelope(json_t *id)
{
        json_t *root = json_object();

        if (!root)
                return NULL;
        if (json_object_set_new(root, "jsonrpc", json_string("2.0")) < 0 ||
            (id && json_object_set(root, "id", id) < 0)) {
                json_decref(root);
                return NULL;
        }
        return root;
}

char *
proto_encode_request(json_t *id, const char *method, json_t *params)
{
        _cleanup_json_ json_t *root = envelope(id ? id : NULL);

        if (!root || !method)
                return NULL;
        if (json_object_set_new(root, "method", json_string(method)) < 0)
                return NULL;
        if (params && json_object_set(root, "params", params) < 0)
                return NULL;
        return dump_line(root);
}

char *
proto_encode_notification(const char *method, json_t *params)
{
        return proto_encode_request(NULL, method, params);
}

char *
proto_encode_result(json_t *id, json_t *result)
{
        _cleanup_json_ json_t *null_id = json_null();
        _cleanup_json_ json_t *root = envelope(id ? id : null_id);
        _cleanup_json_ json_t *empty = NULL;

        if (!root)
                return NULL;
        if (!result) {
                empty = json_object();
                result = empty;
        }
        if (!result || json_object_set(root, "result", result) < 0)
                return NULL;
        return dump_line(root);
}

char *
proto_encode_error(json_t *id, enum proto_error_kind kind, const char *message, json_t *data)
{
        _cleanup_json_ json_t *null_id = json_null();
        _cleanup_json_ json_t *root = envelope(id ? id : null_id);
        _cleanup_json_ json_t *error = json_object();
        _cleanup_json_ json_t *d = NULL;

        if (!root || !error)
                return NULL;

        if (json_is_object(data))
                d = json_copy(data);
        else {
                d = json_object();
                if (d && data && json_object_set(d, "detail", data) < 0)
                        return NULL;
        }
        if (!d)
                return NULL;
        if (json_object_set_new(d, "kind", json_string(proto_error_kind_to_string(kind))) < 0)
                return NULL;

        if (json_object_set_new(error, "code", json_integer(proto_error_kind_code(kind))) < 0 ||
            json_object_set_new(error, "message", proto_json_string_lossy(message)) < 0 ||
            json_object_set(error, "data", d) < 0 ||
            json_object_set(root, "error", error) < 0)
                return NULL;
        return dump_line(root);
}
