/* Image commands: image import|list|ls|inspect|rm|prune|history and the
 * `images` alias. Import shows the daemon's progress notifications through
 * progress.c (a live display on a terminal, plain lines otherwise); the
 * commands here only turn arguments into image.* calls and results into
 * text. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "client/commands.h"
#include "client/format.h"
#include "client/output.h"
#include "client/progress.h"
#include "common/id.h"

/* "sha256:abc..." → "abc...", so ids print as docker prints them. */
static const char *
bare_id(const char *id)
{
        if (id && strncmp(id, "sha256:", 7) == 0)
                return id + 7;
        return id ? id : "";
}

struct import_display {
        struct progress *progress; /* NULL with --quiet */
        bool tty;
};

/* The terminal's size, asked at each notification so a resize during a
 * long import is followed. */
static void
stderr_size(int *ret_width, int *ret_rows)
{
        struct winsize ws = {};

        if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) < 0)
                ws = (struct winsize) {};
        *ret_width = ws.ws_col;
        *ret_rows = ws.ws_row;
}

static void
import_notify(const struct proto_reply *n, void *userdata)
{
        struct import_display *d = userdata;
        int width, rows;

        if (!d->progress || !n->method || strcmp(n->method, "image.import.progress") != 0)
                return;
        if (d->tty) {
                stderr_size(&width, &rows);
                progress_resize(d->progress, width, rows);
        }
        /* Out of memory for the display is no reason to stop the import. */
        (void) progress_update(d->progress, n->params);
}

/* "Imported alpine:3 (sha256:0123456789ab)": the name asked for, else the
 * image's own names (those of the source), else <none>:<none>. */
static void
print_imported(json_t *img, const char *asked)
{
        json_t *refs = json_object_get(img, "refs"), *v;
        const char *id = bare_id(json_str(img, "id"));
        size_t i, n = 0;

        fputs("Imported ", stdout);
        if (asked) {
                fputs(asked, stdout);
                n = 1;
        } else
                json_array_foreach(refs, i, v)
                        if (json_is_string(v))
                                printf("%s%s", n++ ? ", " : "", json_string_value(v));
        if (n == 0)
                fputs("<none>:<none>", stdout);
        printf(" (sha256:%.*s)\n", ID_SHORT_LEN, id);
}

static int
image_import(struct client *cl, int argc, char **argv)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        _cleanup_(args_import_done) struct args_import o = {};
        _cleanup_(progress_freep) struct progress *progress = NULL;
        _cleanup_free_ char *asked = NULL;
        struct import_display display = {};
        json_auto_t *params = NULL;
        struct proto_reply reply;
        char path[PATH_MAX];
        const char *term = getenv("TERM");
        json_t *images, *img;
        size_t i;
        int r;

        r = args_parse_import(argc, argv, &o, &err);
        if (r != 0)
                return parse_exit(r, err,
                                  "Usage: containerctl image import [--all] [-q|--quiet] PATH "
                                  "[NAME[:TAG]]\n\n"
                                  "PATH: an OCI image layout directory, an OCI archive, a docker "
                                  "save archive,\nor a root file system tarball "
                                  "(.tar, .tar.gz, .tar.zst, .tar.xz).\n\n"
                                  "Options:\n"
                                  "      --all     import every image of PATH (NAME: the "
                                  "repository for bare tags)\n"
                                  "  -q, --quiet   show no progress\n");
        /* The daemon opens the path itself, from its own working directory. */
        if (!realpath(o.path, path))
                return usage_error("image import: %s: %s", o.path, strerror(errno));

        params = json_pack("{s:s}", "path", path);
        if (!params ||
            (o.name && json_object_set_new(params, "name", json_string(o.name)) < 0) ||
            (o.tag && json_object_set_new(params, "tag", json_string(o.tag)) < 0) ||
            (o.all && json_object_set_new(params, "all", json_true()) < 0))
                return usage_error("image import: arguments are not valid UTF-8");
        if (o.name && !o.all && asprintf(&asked, "%s:%s", o.name, o.tag ?: "latest") < 0)
                return EXIT_USAGE;

        if (!o.quiet) {
                int width = 0, rows = 0;

                /* A dumb terminal would print the escape sequences. */
                display.tty = isatty(STDERR_FILENO) && !(term && strcmp(term, "dumb") == 0);
                if (display.tty)
                        stderr_size(&width, &rows);
                progress = progress_new(stderr, display.tty, width, rows);
                display.progress = progress;
        }
        r = client_call_reply(cl, "image.import", params, import_notify, &display, &reply);
        progress_finish(progress);
        if (r < 0)
                return EXIT_USAGE;
        if (reply.is_error)
                return client_reply_fail(&reply);

        images = json_object_get(reply.result, "images");
        if (json_is_array(images)) {
                json_array_foreach(images, i, img)
                        print_imported(img, NULL);
        } else
                print_imported(reply.result, asked);
        proto_reply_clear(&reply);
        return 0;
}

/* One line of `image list`; t NULL (--quiet) prints the short id only. */
static int
add_image_row(struct table *t, json_t *img, const char *name, const char *tag, int64_t now)
{
        char short_id[ID_SHORT_LEN + 1], created[64], size[32];
        json_t *sz = json_object_get(img, "size");

        snprintf(short_id, sizeof(short_id), "%s", bare_id(json_str(img, "id")));
        if (!t) {
                printf("%s\n", short_id);
                return 0;
        }
        format_ago(json_str(img, "created"), now, created, sizeof(created));
        if (json_is_integer(sz) && json_integer_value(sz) >= 0)
                format_size((uint64_t) json_integer_value(sz), size, sizeof(size));
        else
                snprintf(size, sizeof(size), "?");
        return table_add_row(t, (const char *const[]) { name, tag, short_id, created, size });
}

/* The rows of one image: one per name (as docker), one <none> <none> row
 * for a dangling image; a daemon without "refs" gives name and tag only. */
static int
image_rows(struct table *t, json_t *img, int64_t now)
{
        json_t *refs = json_object_get(img, "refs");
        size_t n = json_is_array(refs) ? json_array_size(refs) : 0;

        for (size_t k = 0; k < (n ? n : 1); k++) {
                _cleanup_free_ char *name = NULL;
                const char *tag = json_str(img, "tag") ?: "<none>";

                if (n) {
                        const char *ref = json_string_value(json_array_get(refs, k));
                        const char *colon = ref ? strrchr(ref, ':') : NULL;

                        if (!colon || strchr(colon, '/'))
                                continue;
                        name = strndup(ref, (size_t) (colon - ref));
                        tag = colon + 1;
                } else {
                        name = strdup(json_str(img, "name") ?: "<none>");
                }
                if (!name)
                        return -ENOMEM;
                if (add_image_row(t, img, name, tag, now) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int64_t
created_seconds(json_t *img)
{
        int64_t t;

        return parse_rfc3339(json_str(img, "created"), &t) < 0 ? INT64_MIN : t;
}

/* Newest first as docker lists them; equal times by first name, then id,
 * so the order is stable from one run to the next. */
static int
image_cmp(const void *a, const void *b)
{
        json_t *x = *(json_t *const *) a, *y = *(json_t *const *) b;
        int64_t tx = created_seconds(x), ty = created_seconds(y);
        const char *rx = json_string_value(json_array_get(json_object_get(x, "refs"), 0));
        const char *ry = json_string_value(json_array_get(json_object_get(y, "refs"), 0));
        int c;

        if (tx != ty)
                return tx > ty ? -1 : 1;
        /* Named before dangling. */
        if (!rx != !ry)
                return rx ? -1 : 1;
        c = rx ? strcmp(rx, ry) : 0;
        return c ? c : strcmp(json_str(x, "id") ?: "", json_str(y, "id") ?: "");
}

/* A new array with list's items sorted by image_cmp, or NULL. */
static json_t *
sorted_images(json_t *list)
{
        size_t n = json_array_size(list);
        _cleanup_free_ json_t **items = calloc(n ? n : 1, sizeof(*items));
        json_t *out = json_array();

        if (!items || !out) {
                json_decref(out);
                return NULL;
        }
        for (size_t i = 0; i < n; i++)
                items[i] = json_array_get(list, i);
        qsort(items, n, sizeof(*items), image_cmp);
        for (size_t i = 0; i < n; i++)
                if (json_array_append(out, items[i]) < 0) {
                        json_decref(out);
                        return NULL;
                }
        return out;
}

static int
image_list(struct client *cl, int argc, char **argv)
{
        static const char *const headers[] = { "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE",
                                               NULL };
        _cleanup_error_ struct ctr_error *err = NULL;
        json_auto_t *result = NULL, *sorted = NULL;
        struct args_list o;
        json_t *list;
        int r;

        r = args_parse_list(argc, argv, false, &o, &err);
        if (r != 0)
                return parse_exit(r, err, "Usage: containerctl image list [-q|--quiet] [--json]\n");
        if (optind < argc)
                return usage_error("%s takes no arguments", argv[0]);
        if (client_call(cl, "image.list", NULL, &result) < 0)
                return EXIT_USAGE;
        list = json_object_get(result, "images");
        if (!json_is_array(list)) {
                fprintf(stderr, "Error: image.list returned no image list\n");
                return EXIT_USAGE;
        }
        /* --json is the daemon's list as it came. */
        if (!o.json) {
                sorted = sorted_images(list);
                if (!sorted)
                        return EXIT_USAGE;
                list = sorted;
        }
        /* No id_key: -q prints the short id of each row (image_rows). */
        if (print_listing(list, o.json, o.quiet, NULL, headers, image_rows, (int64_t) time(NULL)) < 0)
                return EXIT_USAGE;
        return 0;
}

/* As docker rmi: "Untagged: REF" per name, then "Deleted: ID" if the
 * image is gone (always, from a daemon that does not say). */
static void
print_removal(const char *target, json_t *result, void *userdata)
{
        json_t *untagged = json_object_get(result, "untagged"), *deleted, *v;
        size_t i;

        json_array_foreach(untagged, i, v)
                if (json_is_string(v))
                        printf("Untagged: %s\n", json_string_value(v));
        deleted = json_object_get(result, "deleted");
        if (!json_is_boolean(deleted) || json_is_true(deleted))
                printf("Deleted: %s\n", bare_id(json_str(result, "id")));
}

static int
image_rm(struct client *cl, int argc, char **argv)
{
        static const struct target_cmd cmd = {
                .name = "image rm", .option = ARGS_OPT_FORCE, .target = "IMAGE",
                .what = "an image", .method = "image.remove", .key = "image",
                .done = print_removal,
        };
        /* image.remove always gets "force" (-f makes it true). */
        json_auto_t *extra = json_pack("{s:b}", "force", 0);

        return extra ? target_command(cl, argc, argv, &cmd, extra) : EXIT_USAGE;
}

static int
image_inspect(struct client *cl, int argc, char **argv)
{
        static const struct target_cmd cmd = {
                .name = "image inspect", .option = ARGS_NO_OPTION, .target = "IMAGE",
                .what = "an image", .method = "image.inspect", .key = "image", .collect = true,
        };

        return target_command(cl, argc, argv, &cmd, NULL);
}

static uint64_t
json_size(json_t *obj, const char *key)
{
        json_t *v = json_object_get(obj, key);

        return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t) json_integer_value(v) : 0;
}

static int
image_prune(struct client *cl, int argc, char **argv)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        json_auto_t *result = NULL;
        json_t *deleted, *v;
        char reclaimed[32];
        bool as_json;
        size_t i, n = 0;
        int r;

        r = args_parse_prune(argc, argv, &as_json, &err);
        if (r != 0)
                return parse_exit(r, err,
                                  "Usage: containerctl image prune [--json]\n\n"
                                  "Remove images without a name that no container uses, then "
                                  "every layer\nno image, container or running import uses.\n");
        if (client_call(cl, "image.prune", NULL, &result) < 0)
                return EXIT_USAGE;
        if (as_json) {
                print_json(result);
                return 0;
        }
        deleted = json_object_get(result, "images_deleted");
        json_array_foreach(deleted, i, v)
                if (json_is_string(v)) {
                        printf("Deleted: %s\n", bare_id(json_string_value(v)));
                        n++;
                }
        format_size(json_size(result, "space_reclaimed"), reclaimed, sizeof(reclaimed));
        printf("Deleted images: %zu, deleted layers: %llu, reclaimed %s\n", n,
               (unsigned long long) json_size(result, "layers_deleted"), reclaimed);
        return 0;
}

/* The text of a history field on one table line: control characters
 * (a Dockerfile RUN may hold newlines) become spaces, and unless no_trunc
 * it is cut as docker cuts it. */
static void
history_cell(const char *s, bool no_trunc, size_t max, char **ret)
{
        _cleanup_free_ char *flat = strdup(s ?: "");
        char *buf;

        *ret = NULL;
        if (!flat)
                return;
        for (char *p = flat; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = ' ';
        if (no_trunc) {
                *ret = TAKE_PTR(flat);
                return;
        }
        buf = malloc(max * 4 + 4);
        if (buf)
                format_truncate(flat, max, buf, max * 4 + 4);
        *ret = buf;
}

/* One history entry as a row; size is its layer's, 0 for an empty layer. */
static int
history_row(json_t *rows, json_t *entry, uint64_t size)
{
        json_t *row = json_pack("{s:s, s:s, s:s, s:I, s:b}",
                                "created", json_str(entry, "created") ?: "",
                                "created_by", json_str(entry, "created_by") ?: "",
                                "comment", json_str(entry, "comment") ?: "",
                                "size", (json_int_t) size,
                                "empty_layer", (int) json_is_true(json_object_get(entry, "empty_layer")));

        return row ? json_array_append_new(rows, row) : -ENOMEM;
}

/* The image's history oldest first: each config history entry that made
 * a layer takes the next layer's size, as docker history pairs them; layers
 * no entry accounts for (an image without history) get rows of their own. */
static json_t *
history_rows(json_t *image)
{
        json_t *history = json_object_get(image, "history");
        json_t *layers = json_object_get(image, "layers");
        json_auto_t *rows = json_array();
        size_t i, li = 0;
        json_t *e;

        if (!rows)
                return NULL;
        json_array_foreach(history, i, e) {
                bool empty = json_is_true(json_object_get(e, "empty_layer"));
                uint64_t size = 0;

                if (!empty && li < json_array_size(layers))
                        size = json_size(json_array_get(layers, li++), "size");
                if (history_row(rows, e, size) < 0)
                        return NULL;
        }
        for (; li < json_array_size(layers); li++) {
                json_auto_t *none = json_object();

                if (!none || history_row(rows, none, json_size(json_array_get(layers, li), "size")) < 0)
                        return NULL;
        }
        return TAKE_PTR(rows);
}

static int
image_history(struct client *cl, int argc, char **argv)
{
        static const char *const headers[] = { "CREATED", "CREATED BY", "SIZE", "COMMENT", NULL };
        _cleanup_error_ struct ctr_error *err = NULL;
        _cleanup_(table_freep) struct table *t = NULL;
        json_auto_t *params = NULL, *image = NULL, *rows = NULL;
        struct args_history o;
        int64_t now = (int64_t) time(NULL);
        size_t n;
        int r;

        r = args_parse_history(argc, argv, &o, &err);
        if (r != 0)
                return parse_exit(r, err,
                                  "Usage: containerctl image history [--no-trunc] [--json] IMAGE\n");
        params = json_pack("{s:s}", "image", argv[optind]);
        if (!params)
                return usage_error("image history: '%s' is not valid UTF-8", argv[optind]);
        if (client_call(cl, "image.inspect", params, &image) < 0)
                return EXIT_USAGE;
        rows = history_rows(image);
        t = table_new(headers);
        if (!rows || !t)
                return EXIT_USAGE;
        if (o.json) {
                print_json(rows);
                return 0;
        }
        /* Newest first, as docker history. */
        for (n = json_array_size(rows); n-- > 0;) {
                json_t *row = json_array_get(rows, n);
                _cleanup_free_ char *by = NULL, *comment = NULL;
                char created[64] = "", size[32];

                if (*json_str(row, "created"))
                        format_ago(json_str(row, "created"), now, created, sizeof(created));
                format_size(json_size(row, "size"), size, sizeof(size));
                history_cell(json_str(row, "created_by"), o.no_trunc, 45, &by);
                history_cell(json_str(row, "comment"), o.no_trunc, 45, &comment);
                if (!by || !comment ||
                    table_add_row(t, (const char *const[]) { created, by, size, comment }) < 0)
                        return EXIT_USAGE;
        }
        table_print(t, stdout);
        return 0;
}

int
cmd_images(struct client *cl, int argc, char **argv)
{
        return image_list(cl, argc, argv);
}

int
cmd_image(struct client *cl, int argc, char **argv)
{
        static const struct command subs[] = {
                { "import", image_import, "import [--all] [-q] PATH [NAME[:TAG]]",
                  "import an image archive or OCI layout" },
                { "list", image_list, "list, ls [-q] [--json]", "list images" },
                { "ls", image_list, NULL, NULL },
                { "inspect", image_inspect, "inspect IMAGE...", "show images as JSON" },
                { "history", image_history, "history [--no-trunc] IMAGE",
                  "show how an image's layers were made" },
                { "rm", image_rm, "rm [-f] IMAGE...", "untag (NAME:TAG) or remove images" },
                { "remove", image_rm, NULL, NULL },
                { "prune", image_prune, "prune [--json]",
                  "remove unnamed unused images and unused layers" },
        };
        const struct command *sub;
        char name[32];

        if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                printf("Usage: containerctl image COMMAND\n\nCommands:\n");
                command_print_list(subs, ARRAY_SIZE(subs));
                return argc < 2 ? EXIT_USAGE : 0;
        }
        sub = command_find(subs, ARRAY_SIZE(subs), argv[1]);
        if (!sub)
                return usage_error("unknown command 'image %s'", argv[1]);
        /* Messages then say "image import: ...", not "import: ...". */
        snprintf(name, sizeof(name), "image %s", sub->name);
        argv[1] = name;
        return sub->fn(cl, argc - 1, argv + 1);
}
