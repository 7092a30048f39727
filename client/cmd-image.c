/* Image commands: image import|list|ls|rm|inspect and the `images` alias.
 * Import prints progress notifications as one updating line on a tty. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
        if (reply.is_error)
                return client_reply_fail(&reply);
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

/* The rows of one image: one per name, one <none> row for a dangling
 * image; a daemon without "refs" gives name and tag only. */
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

static int
image_list(struct client *cl, int argc, char **argv)
{
        static const char *const headers[] = { "NAME", "TAG", "IMAGE ID", "CREATED", "SIZE", NULL };
        /* No id_key: -q prints the short id of each row (image_rows). */
        static const struct list_cmd cmd = {
                .usage = "Usage: containerctl image list [-q|--quiet] [--json]\n",
                .method = "image.list", .key = "images",
                .headers = headers, .add_row = image_rows,
        };

        return list_command(cl, argc, argv, &cmd);
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

int
cmd_images(struct client *cl, int argc, char **argv)
{
        return image_list(cl, argc, argv);
}

int
cmd_image(struct client *cl, int argc, char **argv)
{
        static const struct command subs[] = {
                { "import", image_import, "import FILE NAME[:TAG]",
                  "import an OCI layout, docker save or rootfs tarball" },
                { "list", image_list, "list, ls [-q] [--json]", "list images" },
                { "ls", image_list, NULL, NULL },
                { "rm", image_rm, "rm [-f] IMAGE...", "untag (NAME:TAG) or remove images" },
                { "remove", image_rm, NULL, NULL },
                { "inspect", image_inspect, "inspect IMAGE...", "show images as JSON" },
        };
        const struct command *sub;

        if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                printf("Usage: containerctl image COMMAND\n\nCommands:\n");
                command_print_list(subs, ARRAY_SIZE(subs));
                return argc < 2 ? EXIT_USAGE : 0;
        }
        sub = command_find(subs, ARRAY_SIZE(subs), argv[1]);
        if (!sub)
                return usage_error("unknown command 'image %s'", argv[1]);
        return sub->fn(cl, argc - 1, argv + 1);
}
