/* libFuzzer harness for the protocol decoders: request and reply lines,
 * the line buffer fed in random chunks, and frame headers. Build with
 * `make fuzz` in a build dir configured with CC=clang (see proto/local.mk),
 * then run ./tests/fuzz/fuzz-proto -max_total_time=60. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct proto_request req;
        struct proto_reply reply;
        struct proto_line_buffer b;
        enum proto_error_kind kind;
        char *msg = NULL, *line;
        json_t *id = NULL;
        size_t len, pos = 0;

        if (proto_request_decode((const char *) data, size, &req, &kind, &msg, &id) == 0) {
                char *out = proto_encode_result(req.id, req.params);
                free(out);
                proto_request_clear(&req);
        } else {
                char *out = proto_encode_error(id, kind, msg, NULL);
                free(out);
        }
        free(msg);
        json_decref(id);
        msg = NULL;

        if (proto_reply_decode((const char *) data, size, &reply, &msg) == 0)
                proto_reply_clear(&reply);
        free(msg);

        if (size >= PROTO_FRAME_HEADER_SIZE) {
                uint8_t type;
                uint32_t flen;

                (void) proto_frame_header_decode(data, &type, &flen);
        }

        /* Feed in chunks whose sizes come from the data itself. */
        proto_line_buffer_init(&b, 256);
        while (pos < size) {
                size_t n = 1 + data[pos] % 64;

                if (n > size - pos)
                        n = size - pos;
                if (proto_line_buffer_feed(&b, data + pos, n) < 0)
                        break;
                pos += n;
                while (proto_line_buffer_take(&b, &line, &len) > 0) {
                        if (len > 256 || strlen(line) > len)
                                abort();
                        free(line);
                }
        }
        proto_line_buffer_free(&b);
        return 0;
}
