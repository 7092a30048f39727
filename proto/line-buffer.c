/* Splits a byte stream into lines and enforces the line length limit as
 * bytes arrive, so a peer can never make us buffer more than one line
 * past the limit. No I/O: the caller reads and feeds. */
#include <errno.h>
#include <string.h>

#include "common/macros.h"
#include "proto/proto.h"

void
proto_line_buffer_init(struct proto_line_buffer *b, size_t max)
{
        *b = (struct proto_line_buffer) {
                .max = max > 0 && max < PROTO_MAX_LINE ? max : PROTO_MAX_LINE,
        };
}

void
proto_line_buffer_free(struct proto_line_buffer *b)
{
        if (!b)
                return;
        free(b->data);
        b->data = NULL;
        b->len = b->cap = b->off = b->partial = 0;
}

int
proto_line_buffer_feed(struct proto_line_buffer *b, const void *p, size_t n)
{
        const char *s = p, *end = s + n;
        size_t partial = b->partial;

        /* Check every line completed or extended by these bytes first, so a
         * failed feed leaves the buffer as it was. */
        while (s < end) {
                const char *nl = memchr(s, '\n', (size_t) (end - s));
                size_t seg = (size_t) ((nl ? nl : end) - s);

                if (seg > b->max - partial)
                        return -EMSGSIZE;
                partial = nl ? 0 : partial + seg;
                s = nl ? nl + 1 : end;
        }

        if (b->off > 0) {
                memmove(b->data, b->data + b->off, b->len - b->off);
                b->len -= b->off;
                b->off = 0;
        }
        if (n > b->cap - b->len) {
                size_t cap = b->cap ? b->cap : 4096;
                char *d;

                while (cap - b->len < n) {
                        if (cap > SIZE_MAX / 2)
                                return -ENOMEM;
                        cap *= 2;
                }
                d = realloc(b->data, cap);
                if (!d)
                        return -ENOMEM;
                b->data = d;
                b->cap = cap;
        }
        if (n > 0)
                memcpy(b->data + b->len, p, n);
        b->len += n;
        b->partial = partial;
        return 0;
}

int
proto_line_buffer_take(struct proto_line_buffer *b, char **ret_line, size_t *ret_len)
{
        while (b->off < b->len) {
                char *start = b->data + b->off;
                char *nl = memchr(start, '\n', b->len - b->off);
                size_t n;
                char *line;

                if (!nl)
                        return 0;
                n = (size_t) (nl - start);
                if (n > 0 && start[n - 1] == '\r')
                        n--;
                if (n == 0) {
                        b->off += (size_t) (nl - start) + 1;
                        continue; /* blank lines are allowed and ignored */
                }

                line = malloc(n + 1);
                if (!line)
                        return -ENOMEM;
                b->off += (size_t) (nl - start) + 1;
                memcpy(line, start, n);
                line[n] = '\0';
                *ret_line = line;
                if (ret_len)
                        *ret_len = n;
                return 1;
        }
        if (b->off == b->len)
                b->off = b->len = 0;
        return 0;
}
