/* The recent output of an exec session, replayed to whoever attaches: a
 * bounded buffer of records (1 byte stream type, 4 bytes length, payload)
 * from which the oldest records are dropped whole. Pure memory, no I/O. */
#include "daemon/monitor/monitor.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t
record_len(const struct ring *r, size_t pos)
{
        uint32_t n;

        memcpy(&n, r->buf + pos + 1, sizeof(n));
        return RING_RECORD_HEADER + n;
}

size_t
ring_room(const struct ring *r)
{
        size_t used = r->end - r->start;

        return used + RING_RECORD_HEADER >= RING_MAX ? 0 : RING_MAX - used - RING_RECORD_HEADER;
}

int
ring_append(struct ring *r, uint8_t type, const void *p, size_t n)
{
        uint32_t len;

        if (n == 0)
                return 0;
        if (!r->buf) {
                r->buf = malloc(RING_MAX);
                if (!r->buf)
                        return -ENOMEM;
                r->start = r->end = 0;
        }
        /* Larger than the whole ring: keep its tail. */
        if (n > RING_MAX - RING_RECORD_HEADER) {
                p = (const uint8_t *) p + (n - (RING_MAX - RING_RECORD_HEADER));
                n = RING_MAX - RING_RECORD_HEADER;
        }
        while (r->end - r->start + RING_RECORD_HEADER + n > RING_MAX)
                r->start += record_len(r, r->start);
        if (r->start == r->end)
                r->start = r->end = 0;
        if (r->end + RING_RECORD_HEADER + n > RING_MAX) {
                memmove(r->buf, r->buf + r->start, r->end - r->start);
                r->end -= r->start;
                r->start = 0;
        }
        len = (uint32_t) n;
        r->buf[r->end] = type;
        memcpy(r->buf + r->end + 1, &len, sizeof(len));
        memcpy(r->buf + r->end + RING_RECORD_HEADER, p, n);
        r->end += RING_RECORD_HEADER + n;
        return 0;
}

bool
ring_next(const struct ring *r, size_t *pos, uint8_t *ret_type, const uint8_t **ret_data, size_t *ret_len)
{
        size_t at = r->start + *pos;

        if (!r->buf || at >= r->end)
                return false;
        *ret_type = r->buf[at];
        *ret_len = record_len(r, at) - RING_RECORD_HEADER;
        *ret_data = r->buf + at + RING_RECORD_HEADER;
        *pos += RING_RECORD_HEADER + *ret_len;
        return true;
}

void
ring_free(struct ring *r)
{
        free(r->buf);
        r->buf = NULL;
        r->start = r->end = 0;
}
