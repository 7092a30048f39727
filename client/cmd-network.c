/* Network commands: network create|ls|list|inspect|rm|remove. They turn
 * arguments into network.* calls (args-network.c checks them) and results
 * into text (format.c); the daemon owns bridges, subnets and addresses. */
#include <stdio.h>
#include <string.h>

#include "client/args-network.h"
#include "client/commands.h"
#include "client/format.h"
#include "client/output.h"

static int
network_create(struct client *cl, int argc, char **argv)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        struct args_network_create o;
        json_auto_t *params = NULL, *result = NULL;
        int r;

        r = args_parse_network_create(argc, argv, &o, &err);
        if (r != 0)
                return parse_exit(r, err,
                                  "Usage: containerctl network create --subnet CIDR "
                                  "[--bridge NAME] [--masquerade] NAME\n\n"
                                  "Create a bridge network. Containers join it with "
                                  "run --network NAME.\n\n"
                                  "Options:\n"
                                  "      --subnet CIDR   its IPv4 subnet, such as 10.90.1.0/24 "
                                  "(required; the gateway,\n"
                                  "                      on the bridge, is its first address)\n"
                                  "      --bridge NAME   the bridge's interface name (default: "
                                  "ctl-NAME, cut to 15\n"
                                  "                      characters)\n"
                                  "      --masquerade    outbound access: containers reach "
                                  "beyond the host\n"
                                  "                      through its address (NAT, nftables)\n");
        params = json_pack("{s:s, s:s}", "name", o.name, "subnet", o.subnet);
        if (params && o.masquerade && json_object_set_new(params, "masquerade", json_true()) < 0)
                return usage_error("%s: out of memory", argv[0]);
        if (!params || (o.bridge && json_object_set_new(params, "bridge", json_string(o.bridge)) < 0))
                return usage_error("%s: arguments are not valid UTF-8", argv[0]);
        if (client_call(cl, "network.create", params, &result) < 0)
                return EXIT_USAGE;
        printf("%s\n", json_str(result, "name") ?: o.name);
        return 0;
}

/* One row of `network ls`; with t NULL (-q) the name alone, in full. */
static int
network_row(struct table *t, json_t *net, int64_t now)
{
        struct network_row row;

        format_network_row(net, &row);
        if (!t) {
                if (row.cells[0])
                        printf("%s\n", row.cells[0]);
                return 0;
        }
        return table_add_row(t, row.cells);
}

static int
network_list(struct client *cl, int argc, char **argv)
{
        static const char *const headers[] = {
                "NAME", "BRIDGE", "SUBNET", "GATEWAY", "CONTAINERS", "DEFAULT", NULL,
        };
        /* No id_key: names are printed whole by -q, not cut to an id's
         * length. */
        static const struct list_cmd cmd = {
                .usage = "Usage: containerctl network ls [-q|--quiet] [--json]\n",
                .method = "network.list", .key = "networks",
                .headers = headers, .add_row = network_row,
        };

        return list_command(cl, argc, argv, &cmd);
}

static int
network_inspect(struct client *cl, int argc, char **argv)
{
        static const struct target_cmd cmd = {
                .name = "network inspect", .option = ARGS_NO_OPTION, .target = "NETWORK",
                .what = "a network", .method = "network.inspect", .key = "network",
                .collect = true,
        };

        return target_command(cl, argc, argv, &cmd, NULL);
}

static int
network_rm(struct client *cl, int argc, char **argv)
{
        static const struct target_cmd cmd = {
                .name = "network rm", .option = ARGS_NO_OPTION, .target = "NETWORK",
                .what = "a network", .method = "network.remove", .key = "network",
        };

        return target_command(cl, argc, argv, &cmd, NULL);
}

int
cmd_network(struct client *cl, int argc, char **argv)
{
        static const struct command subs[] = {
                { "create", network_create, "create --subnet CIDR [--bridge NAME] [--masquerade] NAME",
                  "create a bridge network" },
                { "list", network_list, "list, ls [-q] [--json]", "list networks" },
                { "ls", network_list, NULL, NULL },
                { "inspect", network_inspect, "inspect NETWORK...",
                  "show networks and their containers as JSON" },
                { "rm", network_rm, "rm NETWORK...", "remove networks no container uses" },
                { "remove", network_rm, NULL, NULL },
        };
        const struct command *sub;
        char name[32];

        if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                printf("Usage: containerctl network COMMAND\n\nCommands:\n");
                command_print_list(subs, ARRAY_SIZE(subs));
                return argc < 2 ? EXIT_USAGE : 0;
        }
        sub = command_find(subs, ARRAY_SIZE(subs), argv[1]);
        if (!sub)
                return usage_error("unknown command 'network %s'", argv[1]);
        /* Messages then say "network create: ...", not "create: ...". */
        snprintf(name, sizeof(name), "network %s", sub->name);
        argv[1] = name;
        return sub->fn(cl, argc - 1, argv + 1);
}
