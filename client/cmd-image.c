/* Image commands: image import|list|ls|rm|inspect and the `images` alias.
 * Import prints progress notifications as one updating line on a tty. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/commands.h"
#include "client/format.h"
#include "client/output.h"
#include "common/id.h"

/* "sha256:abc..." → "abc...", so ids print as docker prints them. */
static const char *
bare_id(const char *id)
{
        if (id && strncmp(id, "sha256:", 7) == 0)
                return id + 7;
        return id ? id : "";
}

struct progress {
        bool tty;
        bool shown;
};

static void
import_progress(const struct proto_reply *n, void *userdata)
{
        struct progress *p = userdata;
        json_int_t bytes, total;

        if (!p->tty || strcmp(n->method, "image.import.progress") != 0)
                return;
        bytes = json_integer_value(json_object_get(n->params, "bytes"));
        total = json_integer_value(json_object_get(n->params, "total"));
        if (total > 0) {
                fprintf(stderr, "\rImporting: %3d%%", (int) (bytes * 100 / total));
        } else {
                char size[32];

                format_size((uint64_t) (bytes > 0 ? bytes : 0), size, sizeof(size));
                fprintf(stderr, "\rImporting: %s   ", size);
        }
        fflush(stderr);
        p->shown = true;
}

static int
image_import(struct client *cl, int argc, char **argv)
{
        char path[PATH_MAX];
        json_auto_t *params = NULL;
        _cleanup_free_ char *name = NULL;
        struct progress progress = { .tty = isatty(STDERR_FILENO) };
        struct proto_reply reply;
        const char *tag = "latest";
        char *colon;
        int r;

        if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                printf("Usage: containerctl image import FILE NAME[:TAG]\n");
                return 0;
        }
        if (argc != 3)
                return usage_error("image import requires exactly 2 arguments: FILE NAME[:TAG]");
        if (!realpath(argv[1], path))
                return usage_error("image import: %s: %s", argv[1], strerror(errno));
        name = strdup(argv[2]);
        if (!name)
                return EXIT_USAGE;
        /* The tag follows the last ':' unless that ':' is part of a path
         * ("registry:5000/name"). */
        colon = strrchr(name, ':');
        if (colon && !strchr(colon, '/')) {
                *colon = '\0';
                tag = colon + 1;
        }
        if (name[0] == '\0' || tag[0] == '\0')
                return usage_error("image import: invalid image name '%s'", argv[2]);

        params = json_pack("{s:s, s:s, s:s}", "path", path, "name", name, "tag", tag);
        if (!params)
                return usage_error("image import: arguments are not valid UTF-8");
        r = client_call_reply(cl, "image.import", params, import_progress, &progress, &reply);
        if (progress.shown)
                fprintf(stderr, "\r\033[K");
        if (r < 0)
                return EXIT_USAGE;
        if (reply.is_error) {
                client_print_reply_error(&reply);
                proto_reply_clear(&reply);
                return EXIT_USAGE;
        }
        printf("%s\n", bare_id(json_str(reply.result, "id")));
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

static int
image_list(struct client *cl, int argc, char **argv)
{
        static const struct option options[] = {
                { "quiet", no_argument, NULL, 'q' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        static const char *const headers[] = { "NAME", "TAG", "IMAGE ID", "CREATED", "SIZE", NULL };
        _cleanup_(table_freep) struct table *t = NULL;
        json_auto_t *result = NULL;
        bool quiet = false, as_json = false;
        int64_t now = (int64_t) time(NULL);
        json_t *list, *img;
        size_t i;
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:qh", options, NULL)) >= 0)
                switch (c) {
                case 'q':
                        quiet = true;
                        break;
                case 'j':
                        as_json = true;
                        break;
                case 'h':
                        printf("Usage: containerctl image list [-q|--quiet] [--json]\n");
                        return 0;
                default:
                        return option_error(argv, c);
                }
        if (optind < argc)
                return usage_error("%s takes no arguments", argv[0]);
        if (client_call(cl, "image.list", NULL, &result) < 0)
                return EXIT_USAGE;
        list = json_object_get(result, "images");
        if (!json_is_array(list)) {
                fprintf(stderr, "Error: image.list returned no image list\n");
                return EXIT_USAGE;
        }
        if (as_json) {
                print_json(list);
                return 0;
        }
        t = quiet ? NULL : table_new(headers);
        if (!quiet && !t)
                return EXIT_USAGE;
        json_array_foreach(list, i, img) {
                json_t *refs = json_object_get(img, "refs");
                size_t n = json_is_array(refs) ? json_array_size(refs) : 0;

                /* One row per name, one <none> row for a dangling image; a
                 * daemon without "refs" gives name and tag only. */
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
                                return EXIT_USAGE;
                        if (add_image_row(t, img, name, tag, now) < 0)
                                return EXIT_USAGE;
                }
        }
        if (quiet)
                return 0;
        table_print(t, stdout);
        return 0;
}

/* As docker rmi: "Untagged: REF" per name, then "Deleted: ID" if the
 * image is gone (always, from a daemon that does not say). */
static void
print_removal(json_t *result)
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
        static const struct option options[] = {
                { "force", no_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        bool force = false;
        int c, failed = 0;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:fh", options, NULL)) >= 0)
                switch (c) {
                case 'f':
                        force = true;
                        break;
                case 'h':
                        printf("Usage: containerctl image rm [-f|--force] IMAGE...\n");
                        return 0;
                default:
                        return option_error(argv, c);
                }
        if (optind >= argc)
                return usage_error("image rm requires at least 1 argument (an image)");
        for (int i = optind; i < argc; i++) {
                json_auto_t *params = json_pack("{s:s, s:b}", "image", argv[i], "force", (int) force);
                json_auto_t *result = NULL;
                int r;

                if (!params)
                        return EXIT_USAGE;
                r = client_call(cl, "image.remove", params, &result);
                if (r == CLIENT_EREMOTE) {
                        failed = 1;
                        continue;
                }
                if (r < 0)
                        return EXIT_USAGE;
                print_removal(result);
        }
        return failed;
}

static int
image_inspect(struct client *cl, int argc, char **argv)
{
        json_auto_t *all = json_array();
        int failed = 0;

        if (argc < 2)
                return usage_error("image inspect requires at least 1 argument (an image)");
        for (int i = 1; i < argc; i++) {
                json_auto_t *params = json_pack("{s:s}", "image", argv[i]);
                json_t *result = NULL;
                int r;

                if (!params)
                        return EXIT_USAGE;
                r = client_call(cl, "image.inspect", params, &result);
                if (r == CLIENT_EREMOTE) {
                        failed = 1;
                        continue;
                }
                if (r < 0)
                        return EXIT_USAGE;
                json_array_append_new(all, result);
        }
        print_json(all);
        return failed;
}

int
cmd_images(struct client *cl, int argc, char **argv)
{
        return image_list(cl, argc, argv);
}

int
cmd_image(struct client *cl, int argc, char **argv)
{
        static const struct {
                const char *name;
                int (*fn)(struct client *, int, char **);
        } sub[] = {
                { "import", image_import },
                { "list", image_list },
                { "ls", image_list },
                { "rm", image_rm },
                { "remove", image_rm },
                { "inspect", image_inspect },
        };

        if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                printf("Usage: containerctl image COMMAND\n\n"
                       "Commands:\n"
                       "  import FILE NAME[:TAG]   import an OCI layout, docker save or rootfs tarball\n"
                       "  list, ls [-q] [--json]   list images\n"
                       "  rm [-f] IMAGE...         untag (NAME:TAG) or remove images\n"
                       "  inspect IMAGE...         show images as JSON\n");
                return argc < 2 ? EXIT_USAGE : 0;
        }
        for (size_t i = 0; i < ARRAY_SIZE(sub); i++)
                if (strcmp(argv[1], sub[i].name) == 0)
                        return sub[i].fn(cl, argc - 1, argv + 1);
        return usage_error("unknown command 'image %s'", argv[1]);
}
