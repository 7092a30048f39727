/* Unit tests for proto/: request validation with malformed inputs, reply
 * decoding, encoders, the line buffer and frame headers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"
#include "tests/unit/tap.h"

/* Decodes s as a request; returns the result, kind in *kind, and whether an
 * id was recovered in *has_id. */
static int
decode(const char *s, enum proto_error_kind *kind, int *has_id)
{
        struct proto_request req;
        char *msg = NULL;
        json_t *id = NULL;
        int r;

        *kind = _PROTO_ERR_MAX;
        r = proto_request_decode(s, strlen(s), &req, kind, &msg, &id);
        if (r == 0)
                proto_request_clear(&req);
        else if (!msg)
                printf("# no message for %s\n", s);
        *has_id = id != NULL;
        json_decref(id);
        free(msg);
        return r;
}

static void
bad(const char *s, enum proto_error_kind want, const char *name)
{
        enum proto_error_kind kind;
        int has_id;
        int r = decode(s, &kind, &has_id);

        ok(r < 0 && kind == want, "%s -> %s", name, proto_error_kind_to_string(want));
        if (r >= 0 || kind != want)
                printf("#   r=%d kind=%d\n", r, (int) kind);
}

static void
test_request_malformed(void)
{
        char withnul[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\0b\"}";
        struct proto_request req;
        enum proto_error_kind kind;
        char *msg = NULL;
        json_t *id = NULL;
        int has_id;

        bad("", PROTO_ERR_PARSE, "empty line");
        bad("not json", PROTO_ERR_PARSE, "not JSON");
        bad("{\"jsonrpc\":\"2.0\",", PROTO_ERR_PARSE, "truncated JSON");
        bad("[1,2]", PROTO_ERR_INVALID_REQUEST, "array top level");
        bad("42", PROTO_ERR_INVALID_REQUEST, "number top level");
        bad("\"x\"", PROTO_ERR_INVALID_REQUEST, "string top level");
        bad("{\"id\":1,\"method\":\"system.info\"}", PROTO_ERR_INVALID_REQUEST, "missing jsonrpc");
        bad("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"x\"}", PROTO_ERR_INVALID_REQUEST,
            "wrong jsonrpc");
        bad("{\"jsonrpc\":2.0,\"id\":1,\"method\":\"x\"}", PROTO_ERR_INVALID_REQUEST,
            "jsonrpc not a string");
        bad("{\"jsonrpc\":\"2.0\",\"id\":1}", PROTO_ERR_INVALID_REQUEST, "missing method");
        bad("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}", PROTO_ERR_INVALID_REQUEST,
            "method not a string");
        bad("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\"}", PROTO_ERR_INVALID_REQUEST,
            "empty method");
        bad("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"x\"}", PROTO_ERR_INVALID_REQUEST,
            "id an object");
        bad("{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"x\"}", PROTO_ERR_INVALID_REQUEST,
            "id a boolean");
        bad("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":[1]}",
            PROTO_ERR_INVALID_PARAMS, "params array");
        bad("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":3}",
            PROTO_ERR_INVALID_REQUEST, "params scalar");
        bad("{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"x\"}", PROTO_ERR_PARSE,
            "duplicate keys");
        bad("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"} {}", PROTO_ERR_PARSE,
            "two objects on one line");
        bad("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\"}", PROTO_ERR_PARSE,
            "invalid UTF-8");

        ok(decode("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":5}", &kind, &has_id) < 0 && has_id,
           "id recovered from an invalid request");
        ok(decode("[1]", &kind, &has_id) < 0 && !has_id, "no id from an array");

        ok(proto_request_decode(withnul, sizeof(withnul) - 1, &req, &kind, &msg, &id) == -EBADMSG &&
                   kind == PROTO_ERR_PARSE,
           "embedded NUL rejected");
        free(msg);
        json_decref(id);

        {
                size_t n = PROTO_MAX_LINE + 1;
                char *big = malloc(n);

                memset(big, ' ', n);
                msg = NULL;
                ok(proto_request_decode(big, n, &req, &kind, &msg, &id) == -EMSGSIZE && msg,
                   "oversize line rejected");
                free(msg);
                free(big);
        }
}

static void
test_request_good(void)
{
        const char *s = "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"container.list\","
                        "\"params\":{\"all\":true}}";
        struct proto_request req;
        enum proto_error_kind kind;
        char *msg = NULL;
        json_t *id = NULL;

        ok(proto_request_decode(s, strlen(s), &req, &kind, &msg, &id) == 0, "valid request");
        is_str(req.method, "container.list", "method");
        is_str(json_string_value(req.id), "abc", "string id");
        ok(json_is_true(json_object_get(req.params, "all")), "params");
        proto_request_clear(&req);

        s = "{\"jsonrpc\":\"2.0\",\"method\":\"system.info\"}";
        ok(proto_request_decode(s, strlen(s), &req, &kind, &msg, &id) == 0 && !req.id,
           "notification has no id");
        ok(json_is_object(req.params) && json_object_size(req.params) == 0,
           "absent params is an empty object");
        proto_request_clear(&req);

        s = "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"m\",\"params\":null}";
        ok(proto_request_decode(s, strlen(s), &req, &kind, &msg, &id) == 0 && json_is_null(req.id),
           "null id is a request, not a notification");
        ok(json_is_object(req.params), "null params is an empty object");
        proto_request_clear(&req);

        s = "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"m\",\"extra\":1}";
        ok(proto_request_decode(s, strlen(s), &req, &kind, &msg, &id) == 0,
           "real id and unknown members accepted");
        proto_request_clear(&req);
}

static void
test_encode(void)
{
        json_t *id = json_integer(3), *params = json_pack("{s:b}", "all", 1);
        json_t *data = json_pack("{s:i}", "exit_code", 127);
        struct proto_reply reply;
        char *line, *msg = NULL;

        line = proto_encode_request(id, "container.list", params);
        is_str(line, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"container.list\",\"params\":{\"all\":true}}\n",
               "encode request");
        free(line);

        line = proto_encode_notification("image.import.progress", NULL);
        is_str(line, "{\"jsonrpc\":\"2.0\",\"method\":\"image.import.progress\"}\n",
               "encode notification");
        free(line);

        line = proto_encode_result(id, params);
        ok(line && proto_reply_decode(line, strlen(line) - 1, &reply, &msg) == 0 &&
                   !reply.is_error && json_integer_value(reply.id) == 3 &&
                   json_is_true(json_object_get(reply.result, "all")),
           "result round trip");
        proto_reply_clear(&reply);
        free(line);

        line = proto_encode_result(NULL, NULL);
        is_str(line, "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":{}}\n", "null id, empty result");
        free(line);

        line = proto_encode_error(id, PROTO_ERR_NOT_FOUND, "no such container: x\nnewline", data);
        ok(line && strchr(line, '\n') == line + strlen(line) - 1, "one newline, at the end");
        ok(proto_reply_decode(line, strlen(line) - 1, &reply, &msg) == 0 && reply.is_error,
           "error round trip");
        is_int(reply.error_code, -32001, "not_found code");
        is_int(reply.error_kind, PROTO_ERR_NOT_FOUND, "kind");
        is_str(reply.error_message, "no such container: x\nnewline", "message");
        is_int(json_integer_value(json_object_get(reply.error_data, "exit_code")), 127,
               "data kept");
        ok(!json_object_get(data, "kind"), "caller's data not modified");
        proto_reply_clear(&reply);
        free(line);

        line = proto_encode_error(NULL, PROTO_ERR_INTERNAL, "bad \xff utf8", NULL);
        ok(line && strstr(line, "bad ? utf8"), "invalid UTF-8 message made lossy");
        free(line);

        for (int k = 0; k < _PROTO_ERR_MAX; k++)
                ok(proto_error_kind_from_string(proto_error_kind_to_string(k)) == k &&
                           proto_error_kind_from_code(proto_error_kind_code(k)) == k,
                   "kind %s round trip", proto_error_kind_to_string(k));
        is_int(proto_error_kind_code(PROTO_ERR_PARSE), -32700, "parse code");
        is_int(proto_error_kind_code(PROTO_ERR_BUSY), -32005, "busy code");
        ok(proto_error_kind_from_string("nope") == -EINVAL, "unknown kind");

        json_decref(id);
        json_decref(params);
        json_decref(data);
}

static void
test_reply_decode(void)
{
        static const char *bad_replies[] = {
                "nope",
                "[]",
                "{\"id\":1,\"result\":{}}",
                "{\"jsonrpc\":\"2.0\",\"result\":{}}",
                "{\"jsonrpc\":\"2.0\",\"id\":1}",
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{},\"error\":{}}",
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":\"x\"}",
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":\"x\",\"message\":\"m\"}}",
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1}}",
                "{\"jsonrpc\":\"2.0\",\"id\":[],\"result\":1}",
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}",
                "{\"jsonrpc\":\"2.0\",\"method\":7}",
        };
        struct proto_reply reply;
        char *msg;
        const char *s;

        for (size_t i = 0; i < sizeof(bad_replies) / sizeof(bad_replies[0]); i++) {
                int r;

                msg = NULL;
                memset(&reply, 0xaa, sizeof(reply)); /* must be zeroed on failure */
                /* Decode first: argument evaluation order is unspecified. */
                r = proto_reply_decode(bad_replies[i], strlen(bad_replies[i]), &reply, &msg);
                ok(r < 0 && msg && !reply.root, "bad reply %zu rejected (%s)", i, msg ? msg : "?");
                free(msg);
        }

        s = "{\"jsonrpc\":\"2.0\",\"method\":\"image.import.progress\",\"params\":{\"bytes\":5}}";
        ok(proto_reply_decode(s, strlen(s), &reply, &msg) == 0 && !reply.id &&
                   reply.method && strcmp(reply.method, "image.import.progress") == 0 &&
                   json_integer_value(json_object_get(reply.params, "bytes")) == 5,
           "notification decoded");
        proto_reply_clear(&reply);

        s = "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32601,\"message\":\"no\"}}";
        ok(proto_reply_decode(s, strlen(s), &reply, &msg) == 0 && reply.is_error &&
                   reply.error_kind == PROTO_ERR_NO_METHOD,
           "kind from code when data.kind is absent");
        proto_reply_clear(&reply);

        s = "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1,\"message\":\"no\"}}";
        ok(proto_reply_decode(s, strlen(s), &reply, &msg) == 0 &&
                   reply.error_kind == PROTO_ERR_INTERNAL,
           "unknown code is internal");
        proto_reply_clear(&reply);
}

static void
test_line_buffer(void)
{
        struct proto_line_buffer b;
        char *line = NULL;
        size_t len = 0;
        const char *msg = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}\n";
        int r, n;

        proto_line_buffer_init(&b, 0);
        ok(b.max == PROTO_MAX_LINE, "default max");
        /* A line split over one-byte feeds. */
        for (size_t i = 0; i < strlen(msg) - 1; i++) {
                proto_line_buffer_feed(&b, msg + i, 1);
                if (proto_line_buffer_take(&b, &line, &len) != 0)
                        break;
        }
        ok(proto_line_buffer_take(&b, &line, &len) == 0, "no line before the newline");
        proto_line_buffer_feed(&b, "\n", 1);
        ok(proto_line_buffer_take(&b, &line, &len) == 1 && len == strlen(msg) - 1 &&
                   memcmp(line, msg, len) == 0 && line[len] == '\0',
           "line split over many feeds");
        free(line);

        /* Several lines in one feed, CRLF and blank lines. */
        ok(proto_line_buffer_feed(&b, "a\nbb\r\n\n\r\nccc\ndd", 15) == 0, "multi-line feed");
        n = 0;
        while ((r = proto_line_buffer_take(&b, &line, &len)) == 1) {
                n++;
                if (n == 1)
                        is_str(line, "a", "first line");
                if (n == 2)
                        is_str(line, "bb", "CRLF stripped");
                if (n == 3)
                        is_str(line, "ccc", "blank lines skipped");
                free(line);
        }
        is_int(n, 3, "three complete lines");
        proto_line_buffer_feed(&b, "d\n", 2);
        ok(proto_line_buffer_take(&b, &line, &len) == 1 && strcmp(line, "ddd") == 0,
           "partial tail completed");
        free(line);
        proto_line_buffer_free(&b);

        /* Limits. */
        proto_line_buffer_init(&b, 8);
        ok(proto_line_buffer_feed(&b, "12345678\n", 9) == 0, "line of exactly max");
        ok(proto_line_buffer_feed(&b, "12345", 5) == 0, "partial within max");
        ok(proto_line_buffer_feed(&b, "6789", 4) == -EMSGSIZE, "partial grows past max");
        ok(proto_line_buffer_take(&b, &line, &len) == 1 && strcmp(line, "12345678") == 0,
           "buffer intact after a refused feed");
        free(line);
        ok(proto_line_buffer_feed(&b, "\n123456789\nx\n", 13) == -EMSGSIZE,
           "long line in the middle of a feed");
        proto_line_buffer_free(&b);

        {
                size_t big = PROTO_MAX_LINE + 10, fed = 0;
                char *chunk = malloc(65536);

                memset(chunk, 'x', 65536);
                proto_line_buffer_init(&b, 0);
                r = 0;
                while (fed < big && r == 0) {
                        r = proto_line_buffer_feed(&b, chunk, 65536);
                        fed += 65536;
                }
                ok(r == -EMSGSIZE && b.len <= PROTO_MAX_LINE, "huge line refused, bounded memory");
                proto_line_buffer_free(&b);
                free(chunk);
        }
}

static void
test_frames(void)
{
        uint8_t h[PROTO_FRAME_HEADER_SIZE];
        uint8_t type = 99;
        uint32_t len = 0;

        proto_frame_header_encode(PROTO_FRAME_STDERR, 0x01020304, h);
        ok(h[0] == 2 && h[1] == 0 && h[4] == 1 && h[7] == 4, "header bytes big-endian");
        proto_frame_header_encode(PROTO_FRAME_STDOUT, 4096, h);
        ok(proto_frame_header_decode(h, &type, &len) == 0 && type == PROTO_FRAME_STDOUT &&
                   len == 4096,
           "header round trip");
        proto_frame_header_encode(PROTO_FRAME_EXIT, 0, h);
        ok(proto_frame_header_decode(h, &type, &len) == 0 && type == PROTO_FRAME_EXIT && len == 0,
           "empty exit frame");
        proto_frame_header_encode(PROTO_FRAME_STDOUT, PROTO_MAX_FRAME, h);
        ok(proto_frame_header_decode(h, &type, &len) == 0, "max frame accepted");

        type = 99;
        proto_frame_header_encode(_PROTO_FRAME_MAX, 1, h);
        ok(proto_frame_header_decode(h, &type, &len) == -EBADMSG && type == 99, "bad frame type");
        proto_frame_header_encode(PROTO_FRAME_STDOUT, 1, h);
        h[2] = 1;
        ok(proto_frame_header_decode(h, &type, &len) == -EBADMSG, "non-zero padding");
        proto_frame_header_encode(PROTO_FRAME_STDOUT, PROTO_MAX_FRAME + 1, h);
        ok(proto_frame_header_decode(h, &type, &len) == -EMSGSIZE, "oversize frame");
}

int
main(void)
{
        test_request_malformed();
        test_request_good();
        test_encode();
        test_reply_decode();
        test_line_buffer();
        test_frames();
        return tap_done();
}
