/* Unit tests for client/progress.c: the plain lines (one per status change,
 * no escape codes) and the live terminal display (cursor movement, bar,
 * cutting to a made-up width, the compact view on a short terminal), driven
 * with image.import.progress params and an in-memory stream. */
#include <stdlib.h>
#include <string.h>

#include "client/progress.h"
#include "tests/unit/tap.h"

#define MiB (1024 * 1024)
#define D1 "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define D2 "sha256:abcd1234abcd5678abcd1234abcd5678abcd1234abcd5678abcd1234abcd5678"
#define D3 "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

struct capture {
        char *buf;
        size_t len, seen; /* seen: what take() already returned */
        FILE *f;
};

static void
capture_open(struct capture *c)
{
        *c = (struct capture) {};
        c->f = open_memstream(&c->buf, &c->len);
}

/* The output since the last call (caller frees). */
static char *
take(struct capture *c)
{
        char *s;

        fflush(c->f);
        s = strndup(c->buf + c->seen, c->len - c->seen);
        c->seen = c->len;
        return s;
}

/* Drops the output so far. */
static void
skip(struct capture *c)
{
        free(take(c));
}

static void
capture_close(struct capture *c)
{
        fclose(c->f);
        free(c->buf);
}

static void
layer(struct progress *p, int image, int images, int n, int layers, const char *digest,
      const char *status, json_int_t bytes, json_int_t total)
{
        json_t *j = json_pack("{s:i, s:i, s:i, s:i, s:s, s:s, s:I, s:I}", "image", image,
                              "images", images, "layer", n, "layers", layers, "digest", digest,
                              "status", status, "bytes", bytes, "total", total);

        progress_update(p, j);
        json_decref(j);
}

static void
reading(struct progress *p, json_int_t bytes, json_int_t total)
{
        json_t *j = json_pack("{s:s, s:I, s:I}", "status", "reading", "bytes", bytes, "total", total);

        progress_update(p, j);
        json_decref(j);
}

static void
expect(struct capture *c, const char *want, const char *name)
{
        char *got = take(c);

        is_str(got, want, name);
        free(got);
}

static void
test_plain(void)
{
        struct capture c;
        struct progress *p;
        char *s;

        capture_open(&c);
        p = progress_new(c.f, false, 0, 0);
        reading(p, 0, 3 * MiB);
        reading(p, MiB, 3 * MiB);
        expect(&c, "reading archive (3.0 MiB)\n", "plain: the archive read, once");
        layer(p, 1, 1, 1, 3, D1, "exists", 0, 0);
        layer(p, 1, 1, 2, 3, D2, "unpacking", 0, 100 * MiB);
        layer(p, 1, 1, 2, 3, D2, "unpacking", 50 * MiB, 100 * MiB);
        layer(p, 1, 1, 2, 3, D2, "unpacking", 100 * MiB, 100 * MiB);
        layer(p, 1, 1, 3, 3, D3, "waiting", 0, 0);
        layer(p, 1, 1, 2, 3, D2, "done", 100 * MiB, 100 * MiB);
        layer(p, 1, 1, 3, 3, D3, "done", 0, 0);
        layer(p, 1, 1, 1, 3, D1, "done", 0, 0);
        progress_finish(p);
        expect(&c,
               "layer 1/3 sha256:0123456789ab: already exists\n"
               "layer 2/3 sha256:abcd1234abcd: unpacking (100.0 MiB)\n"
               "layer 3/3 sha256:fedcba987654: waiting (another import is unpacking it)\n"
               "layer 2/3 sha256:abcd1234abcd: done\n"
               "layer 3/3 sha256:fedcba987654: done\n",
               "plain: one line per status change, none per byte count, exists stays");
        progress_free(p);
        capture_close(&c);

        capture_open(&c);
        p = progress_new(c.f, false, 0, 0);
        layer(p, 1, 2, 1, 1, D1, "unpacking", 0, 0);
        layer(p, 2, 2, 1, 1, D2, "exists", 0, 0);
        layer(p, 2, 2, 1, 1, "", "unpacking", 10, 2048);
        s = take(&c);
        is_str(s,
               "image 1/2 layer 1/1 sha256:0123456789ab: unpacking\n"
               "image 2/2 layer 1/1 sha256:abcd1234abcd: already exists\n",
               "plain: several images are numbered; an unknown total has no size");
        ok(!strchr(s, '\033'), "plain: no escape codes");
        free(s);
        progress_free(p);
        capture_close(&c);

        capture_open(&c);
        p = progress_new(c.f, false, 0, 0);
        layer(p, 1, 1, 1, 1, "", "unpacking", 0, 5 * 1024);
        layer(p, 1, 1, 1, 1, "", "done", 5 * 1024, 5 * 1024);
        expect(&c, "layer 1/1: unpacking (5.0 KiB)\nlayer 1/1: done\n",
               "plain: a rootfs tarball's layer has no digest");
        progress_free(p);
        capture_close(&c);
}

static void
test_tty(void)
{
        struct capture c;
        struct progress *p;

        capture_open(&c);
        p = progress_new(c.f, true, 80, 24);
        layer(p, 1, 1, 1, 2, D1, "unpacking", 50 * MiB, 100 * MiB);
        expect(&c,
               "\r\033[2K0123456789ab  Unpacking [===============>              ]  50.0MiB/100.0MiB\n",
               "tty: one line per layer, with a bar");
        layer(p, 1, 1, 2, 2, D2, "exists", 0, 0);
        expect(&c,
               "\033[1A"
               "\r\033[2K0123456789ab  Unpacking [===============>              ]  50.0MiB/100.0MiB\n"
               "\r\033[2Kabcd1234abcd  Already exists\n",
               "tty: redrawn in place, a new layer adds a line");
        layer(p, 1, 1, 1, 2, D1, "done", 100 * MiB, 100 * MiB);
        layer(p, 1, 1, 2, 2, D2, "done", 0, 0);
        skip(&c);
        progress_finish(p);
        expect(&c,
               "\033[2A"
               "\r\033[2K0123456789ab  Done\n"
               "\r\033[2Kabcd1234abcd  Already exists\n",
               "tty: finish draws the final state; done after exists shows exists");
        layer(p, 1, 1, 1, 2, D1, "unpacking", 0, 0);
        expect(&c, "", "tty: nothing after finish");
        progress_free(p);
        capture_close(&c);

        /* The archive line is left as done when the images start. */
        capture_open(&c);
        p = progress_new(c.f, true, 80, 24);
        reading(p, MiB, 2 * MiB);
        expect(&c, "\r\033[2KReading archive  1.0MiB/2.0MiB\n", "tty: reading the archive");
        layer(p, 1, 2, 1, 1, D1, "waiting", 0, 0);
        expect(&c,
               "\033[1A\r\033[2KReading archive  Done\n"
               "\r\033[2KImage 1/2\n"
               "\r\033[2K0123456789ab  Waiting\n",
               "tty: reading done, then a block per image under a header");
        layer(p, 2, 2, 1, 1, D2, "unpacking", 0, 0);
        expect(&c,
               "\033[2A\r\033[2KImage 1/2\n\r\033[2K0123456789ab  Waiting\n"
               "\r\033[2KImage 2/2\n"
               "\r\033[2Kabcd1234abcd  Unpacking  0B\n",
               "tty: the next image starts below the last, which stays");
        progress_free(p);
        capture_close(&c);
}

/* Each drawn line's length: the text between "\033[2K" and "\n". */
static size_t
longest_line(const char *s)
{
        size_t max = 0;

        for (const char *l = strstr(s, "\033[2K"); l; l = strstr(l, "\033[2K")) {
                const char *nl = strchr(l, '\n');

                l += 4;
                if (nl && (size_t) (nl - l) > max)
                        max = (size_t) (nl - l);
        }
        return max;
}

static void
test_tty_small(void)
{
        struct capture c;
        struct progress *p;
        char *s;

        capture_open(&c);
        p = progress_new(c.f, true, 45, 24);
        layer(p, 1, 1, 1, 1, D1, "unpacking", 50 * MiB, 100 * MiB);
        s = take(&c);
        is_str(s, "\r\033[2K0123456789ab  Unpacking  50.0MiB/100.0MiB\n",
               "tty 45 columns: no room for a bar");
        free(s);
        progress_resize(p, 20, 24);
        layer(p, 1, 1, 1, 1, D1, "unpacking", 60 * MiB, 100 * MiB);
        s = take(&c);
        ok(longest_line(s) == 19, "tty 20 columns: lines cut to 19 (%zu)", longest_line(s));
        free(s);
        progress_free(p);
        capture_close(&c);

        /* 10 layers on a 5-row terminal: a count and the active ones. */
        capture_open(&c);
        p = progress_new(c.f, true, 80, 5);
        for (int i = 1; i <= 10; i++)
                layer(p, 1, 1, i, 10, D1, i <= 7 ? "done" : "unpacking", 0, 0);
        skip(&c);
        layer(p, 1, 1, 9, 10, D2, "unpacking", 1024, 0);
        s = take(&c);
        is_str(s,
               "\033[4A"
               "\r\033[2K7 of 10 layers done, 3 in progress\n"
               "\r\033[2K0123456789ab  Unpacking  0B\n"
               "\r\033[2Kabcd1234abcd  Unpacking  1.0KiB\n"
               "\r\033[2K0123456789ab  Unpacking  0B\n",
               "tty 5 rows: compact view of 4 lines");
        free(s);
        layer(p, 1, 1, 8, 10, D1, "done", 0, 0);
        layer(p, 1, 1, 9, 10, D1, "done", 0, 0);
        skip(&c);
        layer(p, 1, 1, 10, 10, D1, "done", 0, 0);
        s = take(&c);
        is_str(s, "\033[2A\r\033[2K10 of 10 layers done, 0 in progress\n\033[J",
               "tty: a shrinking block clears below it");
        free(s);
        progress_free(p);
        capture_close(&c);
}

static void
test_odd_input(void)
{
        struct capture c;
        struct progress *p;
        json_t *j;
        char *s;

        capture_open(&c);
        p = progress_new(c.f, false, 0, 0);
        layer(p, 1, 1, 0, 2, D1, "done", 0, 0);
        layer(p, 1, 1, 3, 2, D1, "done", 0, 0);
        layer(p, 2, 1, 1, 1, D1, "done", 0, 0);
        layer(p, 1, 1, 1, 1000000, D1, "done", 0, 0);
        layer(p, 1, 1, 1, 1, D1, "frobnicating", 0, 0);
        progress_update(p, NULL);
        j = json_string("x");
        progress_update(p, j);
        json_decref(j);
        expect(&c, "", "bad indexes, counts, statuses and params are ignored");
        layer(p, 1, 1, 1, 1, "sha256:\033[2Jevil", "done", 0, 0);
        expect(&c, "layer 1/1 sha256:?[2Jevil: done\n", "control characters never reach the terminal");
        /* A daemon of the first protocol sent only bytes and total. */
        j = json_pack("{s:I, s:I}", "bytes", (json_int_t) 1, "total", (json_int_t) 2048);
        progress_free(p);
        p = progress_new(c.f, false, 0, 0);
        progress_update(p, j);
        json_decref(j);
        s = take(&c);
        is_str(s, "layer 1/1: unpacking (2.0 KiB)\n", "old protocol: one unpacking layer");
        free(s);
        progress_finish(NULL);
        progress_free(NULL);
        ok(true, "NULL-safe finish and free");
        progress_free(p);
        capture_close(&c);
}

int
main(void)
{
        test_plain();
        test_tty();
        test_tty_small();
        test_odd_input();
        return tap_done();
}
