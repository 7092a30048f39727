/* The containerctl wire protocol, version 1: JSON-RPC 2.0, one JSON object
 * per line, plus binary stream frames after an attach. This header is pure
 * codec: no I/O, no libevent, so it can be unit-tested and fuzzed alone.
 * The prose specification is proto/PROTOCOL.md. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_API_VERSION 1
/* Longest accepted request or reply line, newline excluded. */
#define PROTO_MAX_LINE (1024 * 1024)
/* Largest frame payload either side may send. */
#define PROTO_MAX_FRAME (1024 * 1024)
#define PROTO_FRAME_HEADER_SIZE 8

/* Stable, machine-readable error kinds (data.kind in every error reply). */
enum proto_error_kind {
        PROTO_ERR_PARSE,          /* -32700 the line is not JSON            */
        PROTO_ERR_INVALID_REQUEST,/* -32600 not a JSON-RPC 2.0 request      */
        PROTO_ERR_NO_METHOD,      /* -32601 unknown method                  */
        PROTO_ERR_INVALID_PARAMS, /* -32602 wrong or missing parameters     */
        PROTO_ERR_NOT_FOUND,      /* -32001 no such container/image/...     */
        PROTO_ERR_CONFLICT,       /* -32002 name taken, wrong state, in use */
        PROTO_ERR_INVALID,        /* -32003 semantically invalid input      */
        PROTO_ERR_DENIED,         /* -32004 caller may not do this          */
        PROTO_ERR_BUSY,           /* -32005 a limit was hit, try later      */
        PROTO_ERR_INTERNAL,       /* -32603 the daemon failed               */
        _PROTO_ERR_MAX,
};

/* data.kind string: "parse", "invalid_request", "no_method", "invalid_params",
 * "not_found", "conflict", "invalid", "denied", "busy", "internal". */
const char *proto_error_kind_to_string(enum proto_error_kind k);
int proto_error_kind_from_string(const char *s); /* -EINVAL if unknown */
int proto_error_kind_code(enum proto_error_kind k);
/* Kind for a JSON-RPC error code, -EINVAL if the code is not ours. */
int proto_error_kind_from_code(int code);

/* A decoded request. id is a borrowed reference into root (NULL for a
 * notification); params is always an object (empty if absent). */
struct proto_request {
        json_t *root;
        json_t *id;
        const char *method;
        json_t *params;
};

/* Parses one line as JSON (JSON_REJECT_DUPLICATES, any top-level value) after checking
 * the length limit (-EMSGSIZE) and embedded NUL bytes (-EBADMSG). On failure
 * *ret_message (may be NULL) gets a malloc'd explanation. */
int proto_json_load_line(const char *line, size_t len, json_t **ret, char **ret_message);

/* Decodes one line (without its newline). On success fills *req, which the
 * caller releases with proto_request_clear(). On failure returns a negative
 * errno, sets *ret_kind and *ret_message (malloc'd, caller frees), and
 * *ret_id to a new reference to the request id if one could be recovered
 * (else NULL) so the error reply can carry it. */
int proto_request_decode(const char *line, size_t len, struct proto_request *req,
                         enum proto_error_kind *ret_kind, char **ret_message, json_t **ret_id);
void proto_request_clear(struct proto_request *req);

/* Encoders return a malloc'd line ending in '\n' (caller frees), or NULL on
 * OOM. They steal no references. A NULL id encodes as null in replies and
 * is omitted in requests (which makes them notifications); a NULL result
 * encodes as {}. Messages that are not valid UTF-8 get '?' for bad bytes. */
char *proto_encode_request(json_t *id, const char *method, json_t *params);
char *proto_encode_result(json_t *id, json_t *result);
/* data may be NULL; kind is merged into it as data.kind. */
char *proto_encode_error(json_t *id, enum proto_error_kind kind, const char *message, json_t *data);
/* A notification (no id): used for progress and streamed events. */
char *proto_encode_notification(const char *method, json_t *params);
/* json_string() that never fails on bad UTF-8 (bytes >= 0x80 become '?'
 * if the string is not valid UTF-8); NULL only on OOM. New reference. */
json_t *proto_json_string_lossy(const char *s);

/* A decoded reply, for the client. Exactly one of result/error is set. */
struct proto_reply {
        json_t *root;
        json_t *id;      /* borrowed; NULL for notifications */
        const char *method; /* notifications only */
        json_t *params;  /* notifications only */
        json_t *result;  /* borrowed */
        bool is_error;
        int error_code;
        const char *error_message;
        int error_kind;  /* enum proto_error_kind, PROTO_ERR_INTERNAL if unknown */
        json_t *error_data; /* borrowed, may be NULL */
};
/* Decodes one line from the daemon. A notification sets method and params
 * (id, result NULL); a reply sets id and result, or is_error and error_*.
 * Returns 0, or -EBADMSG/-EMSGSIZE/-ENOMEM with *ret_message (malloc'd,
 * may be NULL) and *reply zeroed. Release with proto_reply_clear(). */
int proto_reply_decode(const char *line, size_t len, struct proto_reply *reply, char **ret_message);
void proto_reply_clear(struct proto_reply *reply);

/* Line splitter for a byte stream: feed bytes, take complete lines.
 * Enforces PROTO_MAX_LINE (or a smaller max, 0 = PROTO_MAX_LINE) on every
 * line as it arrives. "\r\n" is accepted; blank lines are skipped. */
struct proto_line_buffer {
        char *data;
        size_t len, cap, max;
        size_t off;     /* bytes already taken from the front of data */
        size_t partial; /* length of the incomplete line at the end */
};
void proto_line_buffer_init(struct proto_line_buffer *b, size_t max);
void proto_line_buffer_free(struct proto_line_buffer *b);
/* Appends bytes; -ENOMEM, or -EMSGSIZE if a line grows past max (then
 * nothing is appended; the caller should reply with an error and close). */
int proto_line_buffer_feed(struct proto_line_buffer *b, const void *p, size_t n);
/* Takes the next complete line: returns 1 and sets *ret_line and *ret_len
 * (malloc'd, NUL-terminated, newline stripped, caller frees), 0 if no
 * complete line is buffered. */
int proto_line_buffer_take(struct proto_line_buffer *b, char **ret_line, size_t *ret_len);

/* Stream frames after attach: byte 0 type, bytes 1-3 zero, bytes 4-7
 * payload length big-endian, then the payload. */
enum proto_frame_type {
        PROTO_FRAME_STDIN = 0,
        PROTO_FRAME_STDOUT = 1,
        PROTO_FRAME_STDERR = 2,
        PROTO_FRAME_CONTROL = 3, /* JSON: {"op":"resize","rows":R,"cols":C} | {"op":"close_stdin"} */
        PROTO_FRAME_EXIT = 4,    /* JSON: {"exit_code":N} or {"exit_code":N,"signal":"SIGKILL"} */
        _PROTO_FRAME_MAX,
};
void proto_frame_header_encode(uint8_t type, uint32_t len, uint8_t out[PROTO_FRAME_HEADER_SIZE]);
/* -EBADMSG for an unknown type or non-zero padding, -EMSGSIZE above PROTO_MAX_FRAME. */
int proto_frame_header_decode(const uint8_t in[PROTO_FRAME_HEADER_SIZE], uint8_t *ret_type,
                              uint32_t *ret_len);
