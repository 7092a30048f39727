/* Renders image.import progress (see progress.h). Every line is built
 * whole and cut to the terminal width before it is printed: a line that
 * wrapped would take two rows and the cursor-up count would be wrong.
 * Nothing here decides anything about the import; it only draws. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/format.h"
#include "client/progress.h"

/* Notifications for layers beyond this are ignored: images have tens of
 * layers (docker refuses more than 127), and it bounds what a daemon can
 * make us allocate. */
#define PROGRESS_MAX_LAYERS 4096
#define BAR_WIDTH 30
#define SHORT_DIGEST 12

enum layer_status {
        LAYER_UNSEEN, /* no notification yet: not shown */
        LAYER_WAITING,
        LAYER_UNPACKING,
        LAYER_EXISTS,
        LAYER_DONE,
};

struct layer {
        enum layer_status status;
        enum layer_status printed; /* plain lines: the last status printed */
        char digest[160];          /* "sha256:<hex>", printable ASCII only */
        uint64_t bytes, total;
};

struct progress {
        FILE *out;
        bool tty, finished;
        int width, rows;
        /* An archive being read (extracted) before its images: */
        bool reading, reading_done, reading_printed;
        uint64_t read_bytes, read_total;
        /* The image whose layers are shown, 1-based; 0 before the first. */
        int image, images;
        struct layer *layers;
        size_t n_layers;
        int drawn; /* tty: lines of the live block, the cursor just below them */
};

struct progress *
progress_new(FILE *out, bool tty, int width, int rows)
{
        struct progress *p = calloc(1, sizeof(*p));

        if (!p)
                return NULL;
        p->out = out;
        p->tty = tty;
        progress_resize(p, width, rows);
        return p;
}

void
progress_free(struct progress *p)
{
        if (!p)
                return;
        free(p->layers);
        free(p);
}

void
progress_resize(struct progress *p, int width, int rows)
{
        p->width = width > 0 ? width : 80;
        p->rows = rows > 0 ? rows : 24;
}

static int64_t
int_field(json_t *params, const char *key, int64_t def)
{
        json_t *v = json_object_get(params, key);

        return json_is_integer(v) ? json_integer_value(v) : def;
}

static uint64_t
size_field(json_t *params, const char *key)
{
        int64_t v = int_field(params, key, 0);

        return v > 0 ? (uint64_t) v : 0;
}

/* "sha256:0123456789ab" for plain lines; the hex part alone (tty) with
 * with_algo false; "" for a layer without a digest (a rootfs tarball). */
static void
short_digest(const char *digest, bool with_algo, char *buf, size_t size)
{
        const char *colon = strchr(digest, ':');

        if (!colon)
                snprintf(buf, size, "%.*s", SHORT_DIGEST, digest);
        else if (with_algo)
                snprintf(buf, size, "%.*s%.*s", (int) (colon - digest + 1), digest, SHORT_DIGEST,
                         colon + 1);
        else
                snprintf(buf, size, "%.*s", SHORT_DIGEST, colon + 1);
}

/* Keeps escape sequences a daemon might send off the user's terminal. */
static void
copy_printable(const char *s, char *buf, size_t size)
{
        size_t i = 0;

        for (; s && *s && i + 1 < size; s++)
                buf[i++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
        buf[i] = '\0';
}

/* One line of the live display: cleared, cut to the width, ended. */
static void _printf_(3, 4)
tty_line(struct progress *p, int *count, const char *fmt, ...)
{
        char buf[512];
        size_t max = (size_t) p->width - 1; /* the last column would wrap on some terminals */
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (strlen(buf) > max)
                buf[max] = '\0';
        fprintf(p->out, "\r\033[2K%s\n", buf);
        (*count)++;
}

/* "[=========>          ]" with inner characters inside the brackets. */
static void
format_bar(uint64_t bytes, uint64_t total, size_t inner, char *buf, size_t size)
{
        size_t filled = total ? (size_t) ((double) (bytes > total ? total : bytes) / (double) total *
                                          (double) inner)
                              : 0;
        size_t i = 0;

        if (size < inner + 3)
                inner = size - 3;
        buf[i++] = '[';
        for (size_t k = 0; k < inner; k++)
                buf[i++] = k < filled ? '=' : (k == filled ? '>' : ' ');
        buf[i++] = ']';
        buf[i] = '\0';
}

static void
tty_layer_line(struct progress *p, size_t idx, int *count)
{
        const struct layer *l = &p->layers[idx];
        char label[32], done[32], total[32], sizes[80], bar[BAR_WIDTH + 3];
        int avail;

        if (l->digest[0])
                short_digest(l->digest, false, label, sizeof(label));
        else
                snprintf(label, sizeof(label), "layer %zu", idx + 1);

        switch (l->status) {
        case LAYER_WAITING:
                tty_line(p, count, "%-*s  Waiting", SHORT_DIGEST, label);
                return;
        case LAYER_EXISTS:
                tty_line(p, count, "%-*s  Already exists", SHORT_DIGEST, label);
                return;
        case LAYER_DONE:
                tty_line(p, count, "%-*s  Done", SHORT_DIGEST, label);
                return;
        case LAYER_UNPACKING:
                break;
        case LAYER_UNSEEN:
                return;
        }
        format_size_binary(l->bytes, "", done, sizeof(done));
        if (l->total == 0) {
                tty_line(p, count, "%-*s  Unpacking  %s", SHORT_DIGEST, label, done);
                return;
        }
        format_size_binary(l->total, "", total, sizeof(total));
        snprintf(sizes, sizeof(sizes), "%s/%s", done, total);
        /* label, "  Unpacking ", the brackets, two spaces, the sizes. */
        avail = p->width - 1 - (SHORT_DIGEST + 2 + 10 + 2 + 2 + (int) strlen(sizes));
        if (avail < 5) {
                tty_line(p, count, "%-*s  Unpacking  %s", SHORT_DIGEST, label, sizes);
                return;
        }
        format_bar(l->bytes, l->total, avail < BAR_WIDTH ? (size_t) avail : BAR_WIDTH, bar,
                   sizeof(bar));
        tty_line(p, count, "%-*s  Unpacking %s  %s", SHORT_DIGEST, label, bar, sizes);
}

static bool
layer_active(const struct layer *l)
{
        return l->status == LAYER_WAITING || l->status == LAYER_UNPACKING;
}

/* The layers of the current image; when they do not fit on the screen
 * (the cursor cannot move up past its top), a count of the finished ones
 * and as many active ones as fit. */
static void
tty_layers(struct progress *p, int *count, int header)
{
        size_t seen = 0, finished = 0, active = 0, shown = 0;
        int room = p->rows - 1 - header;

        for (size_t i = 0; i < p->n_layers; i++) {
                seen += p->layers[i].status != LAYER_UNSEEN;
                finished += p->layers[i].status == LAYER_DONE ||
                            p->layers[i].status == LAYER_EXISTS;
                active += layer_active(&p->layers[i]);
        }
        if ((int) seen <= room || room < 2) {
                for (size_t i = 0; i < p->n_layers; i++)
                        tty_layer_line(p, i, count);
                return;
        }
        tty_line(p, count, "%zu of %zu layers done, %zu in progress", finished, p->n_layers,
                 active);
        for (size_t i = 0; i < p->n_layers && (int) shown < room - 1; i++)
                if (layer_active(&p->layers[i])) {
                        tty_layer_line(p, i, count);
                        shown++;
                }
}

/* Draws the live block over its previous drawing. */
static void
tty_redraw(struct progress *p)
{
        int count = 0, header = 0;

        if (p->drawn > 0)
                fprintf(p->out, "\033[%dA", p->drawn);
        if (p->image == 0) {
                char done[32], total[32];

                format_size_binary(p->read_bytes, "", done, sizeof(done));
                format_size_binary(p->read_total, "", total, sizeof(total));
                if (p->reading_done)
                        tty_line(p, &count, "Reading archive  Done");
                else if (p->read_total)
                        tty_line(p, &count, "Reading archive  %s/%s", done, total);
                else
                        tty_line(p, &count, "Reading archive  %s", done);
        } else {
                if (p->images > 1) {
                        tty_line(p, &count, "Image %d/%d", p->image, p->images);
                        header = 1;
                }
                tty_layers(p, &count, header);
        }
        /* The block shrank (compact view): clear what is left below. */
        if (count < p->drawn)
                fputs("\033[J", p->out);
        p->drawn = count;
        fflush(p->out);
}

static const char *
plain_status(const struct layer *l, char *buf, size_t size)
{
        char total[32];

        switch (l->status) {
        case LAYER_WAITING:
                return "waiting (another import is unpacking it)";
        case LAYER_UNPACKING:
                if (!l->total)
                        return "unpacking";
                format_size_binary(l->total, " ", total, sizeof(total));
                snprintf(buf, size, "unpacking (%s)", total);
                return buf;
        case LAYER_EXISTS:
                return "already exists";
        case LAYER_DONE:
                return "done";
        case LAYER_UNSEEN:
                break;
        }
        return "";
}

/* "[image 1/2 ]layer 2/3 sha256:abcd1234abcd: unpacking (100.0 MiB)" */
static void
plain_layer_line(struct progress *p, size_t idx)
{
        struct layer *l = &p->layers[idx];
        char digest[64] = "", image[32] = "", text[64];

        if (l->status == l->printed || l->status == LAYER_UNSEEN)
                return;
        if (l->digest[0]) {
                digest[0] = ' ';
                short_digest(l->digest, true, digest + 1, sizeof(digest) - 1);
        }
        if (p->images > 1)
                snprintf(image, sizeof(image), "image %d/%d ", p->image, p->images);
        fprintf(p->out, "%slayer %zu/%zu%s: %s\n", image, idx + 1, p->n_layers, digest,
                plain_status(l, text, sizeof(text)));
        fflush(p->out);
        l->printed = l->status;
}

static int
update_reading(struct progress *p, json_t *params)
{
        char total[32];

        p->reading = true;
        p->read_bytes = size_field(params, "bytes");
        p->read_total = size_field(params, "total");
        if (p->tty) {
                /* A reading notice after the images started: the block
                 * is about layers now, nothing to show it in. */
                if (p->image == 0)
                        tty_redraw(p);
                return 0;
        }
        if (p->reading_printed)
                return 0;
        p->reading_printed = true;
        if (p->read_total) {
                format_size_binary(p->read_total, " ", total, sizeof(total));
                fprintf(p->out, "reading archive (%s)\n", total);
        } else
                fputs("reading archive\n", p->out);
        fflush(p->out);
        return 0;
}

/* The first notice of another image: the current block stays on screen
 * as it is and a new one starts under it. */
static int
start_image(struct progress *p, int image, int images, size_t layers)
{
        struct layer *l = calloc(layers, sizeof(*l));

        if (!l)
                return -ENOMEM;
        if (p->tty && p->drawn > 0) {
                if (p->image == 0)
                        p->reading_done = true;
                tty_redraw(p);
        }
        p->drawn = 0;
        free(p->layers);
        p->layers = l;
        p->n_layers = layers;
        p->image = image;
        p->images = images;
        return 0;
}

static bool
parse_status(const char *s, enum layer_status *ret)
{
        static const struct {
                const char *name;
                enum layer_status status;
        } names[] = {
                { "waiting", LAYER_WAITING },
                { "unpacking", LAYER_UNPACKING },
                { "exists", LAYER_EXISTS },
                { "done", LAYER_DONE },
        };

        /* A daemon before the per-layer protocol sent bytes and total only. */
        if (!s) {
                *ret = LAYER_UNPACKING;
                return true;
        }
        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (strcmp(s, names[i].name) == 0) {
                        *ret = names[i].status;
                        return true;
                }
        return false;
}

int
progress_update(struct progress *p, json_t *params)
{
        const char *status = json_string_value(json_object_get(params, "status")), *digest;
        int64_t image, images, layer, layers;
        enum layer_status st;
        struct layer *l;
        int r;

        if (p->finished || !json_is_object(params))
                return 0;
        if (status && strcmp(status, "reading") == 0)
                return update_reading(p, params);
        if (!parse_status(status, &st))
                return 0;
        images = int_field(params, "images", 1);
        image = int_field(params, "image", 1);
        layer = int_field(params, "layer", 1);
        layers = int_field(params, "layers", layer);
        if (images < 1 || images > INT32_MAX || image < 1 || image > images || layers < 1 ||
            layers > PROGRESS_MAX_LAYERS || layer < 1 || layer > layers)
                return 0;

        if (image != p->image) {
                r = start_image(p, (int) image, (int) images, (size_t) layers);
                if (r < 0)
                        return r;
        } else if ((size_t) layers > p->n_layers) {
                l = reallocarray(p->layers, (size_t) layers, sizeof(*l));
                if (!l)
                        return -ENOMEM;
                memset(l + p->n_layers, 0, ((size_t) layers - p->n_layers) * sizeof(*l));
                p->layers = l;
                p->n_layers = (size_t) layers;
        }

        l = &p->layers[layer - 1];
        digest = json_string_value(json_object_get(params, "digest"));
        if (digest && *digest)
                copy_printable(digest, l->digest, sizeof(l->digest));
        l->bytes = size_field(params, "bytes");
        l->total = size_field(params, "total");
        /* "Already exists" stays what the user sees of a layer it did not
         * unpack, whatever follows it. */
        if (l->status != LAYER_EXISTS)
                l->status = st;
        if (p->tty)
                tty_redraw(p);
        else
                plain_layer_line(p, (size_t) layer - 1);
        return 0;
}

void
progress_finish(struct progress *p)
{
        if (!p || p->finished)
                return;
        if (p->tty && p->drawn > 0)
                tty_redraw(p);
        p->finished = true;
}
