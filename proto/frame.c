/* The 8-byte header of the binary stream frames that follow an attach:
 * type, three zero bytes, big-endian payload length. */
#include <errno.h>

#include "proto/proto.h"

void
proto_frame_header_encode(uint8_t type, uint32_t len, uint8_t out[PROTO_FRAME_HEADER_SIZE])
{
        out[0] = type;
        out[1] = out[2] = out[3] = 0;
        out[4] = (uint8_t) (len >> 24);
        out[5] = (uint8_t) (len >> 16);
        out[6] = (uint8_t) (len >> 8);
        out[7] = (uint8_t) len;
}

int
proto_frame_header_decode(const uint8_t in[PROTO_FRAME_HEADER_SIZE], uint8_t *ret_type,
                          uint32_t *ret_len)
{
        uint32_t len;

        if (in[0] >= _PROTO_FRAME_MAX || in[1] || in[2] || in[3])
                return -EBADMSG;
        len = (uint32_t) in[4] << 24 | (uint32_t) in[5] << 16 | (uint32_t) in[6] << 8 | in[7];
        if (len > PROTO_MAX_FRAME)
                return -EMSGSIZE;
        *ret_type = in[0];
        *ret_len = len;
        return 0;
}
