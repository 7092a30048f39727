/* System commands: version (client and daemon) and info. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "client/commands.h"
#include "client/output.h"
#include "proto/proto.h"

int
cmd_version(struct client *cl, int argc, char **argv)
{
        json_auto_t *result = NULL;

        if (argc > 1)
                return usage_error("version takes no arguments");
        printf("Client:\n Version:      %s\n API version:  %d\n\n", PACKAGE_VERSION,
               PROTO_API_VERSION);
        fflush(stdout);
        if (client_call(cl, "system.version", NULL, &result) < 0)
                return EXIT_USAGE;
        printf("Server:\n Version:      %s\n API version:  %lld\n",
               json_str(result, "version") ? json_str(result, "version") : "?",
               (long long) json_integer_value(json_object_get(result, "api_version")));
        return 0;
}

static void
print_value(const char *key, json_t *v, int indent)
{
        const char *k;
        json_t *sub;

        if (json_is_object(v)) {
                printf("%*s%s:\n", indent, "", key);
                json_object_foreach(v, k, sub)
                        print_value(k, sub, indent + 1);
        } else if (json_is_string(v))
                printf("%*s%s: %s\n", indent, "", key, json_string_value(v));
        else if (json_is_null(v))
                printf("%*s%s: -\n", indent, "", key);
        else {
                _cleanup_free_ char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

                printf("%*s%s: %s\n", indent, "", key, s ? s : "?");
        }
}

int
cmd_info(struct client *cl, int argc, char **argv)
{
        json_auto_t *result = NULL;
        const char *key;
        json_t *v;

        if (argc > 2 || (argc == 2 && strcmp(argv[1], "--json") != 0))
                return usage_error("usage: containerctl info [--json]");
        if (client_call(cl, "system.info", NULL, &result) < 0)
                return EXIT_USAGE;
        if (argc == 2) {
                print_json(result);
                return 0;
        }
        json_object_foreach(result, key, v)
                print_value(key, v, 0);
        return 0;
}
