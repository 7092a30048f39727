/* containerctl: global options, then one command from the table below.
 * Exit codes follow docker: the container's own code for run/start -a/wait,
 * 125 for usage and daemon errors, 1 when one of several targets failed. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/commands.h"

#define DEFAULT_SOCKET "/run/containerctl/containerctld.sock"

static const struct command commands[] = {
        { "run", cmd_run, NULL, "Create and start a container" },
        { "create", cmd_create, NULL, "Create a container" },
        { "start", cmd_start, NULL, "Start containers" },
        { "stop", cmd_stop, NULL, "Stop containers" },
        { "kill", cmd_kill, NULL, "Send a signal to containers" },
        { "rm", cmd_rm, NULL, "Remove containers" },
        { "ps", cmd_ps, NULL, "List containers" },
        { "inspect", cmd_inspect, NULL, "Show containers as JSON" },
        { "wait", cmd_wait, NULL, "Wait for containers to exit, print their exit codes" },
        { "attach", cmd_attach, NULL, "Attach to a running container's console" },
        { "exec", cmd_exec, NULL, "Run a command in a running container; manage execs" },
        { "logs", cmd_logs, NULL, "Show a container's console log" },
        { "stats", cmd_stats, NULL, "Show containers' resource usage (live on a terminal)" },
        { "update", cmd_update, NULL, "Change the resource limits of containers" },
        { "pause", cmd_pause, NULL, "Freeze every process of containers" },
        { "unpause", cmd_unpause, NULL, "Thaw paused containers" },
        { "events", cmd_events, NULL, "Stream daemon events (containers, images)" },
        { "image", cmd_image, NULL, "Manage images (import, list, inspect, history, rm, prune)" },
        { "images", cmd_images, NULL, "List images" },
        { "network", cmd_network, NULL, "Manage networks (create, ls, inspect, rm)" },
        { "version", cmd_version, NULL, "Show the client and daemon versions" },
        { "info", cmd_info, NULL, "Show daemon-wide information" },
};

static void
print_help(void)
{
        printf("Usage: containerctl [OPTIONS] COMMAND [ARG...]\n\n"
               "A small container manager for Linux.\n\n"
               "Options:\n"
               "      --socket PATH   daemon socket (default $CONTAINERCTL_SOCKET or %s)\n"
               "  -h, --help          show this help\n"
               "  -v, --version       show the client version\n\n"
               "Commands:\n",
               DEFAULT_SOCKET);
        command_print_list(commands, ARRAY_SIZE(commands));
        printf("\nRun 'containerctl COMMAND --help' for a command's options.\n");
}

int
main(int argc, char **argv)
{
        static const struct option options[] = {
                { "socket", required_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'v' },
                {}
        };
        struct client cl = {};
        const struct command *cmd;
        const char *env;
        int c, r;

        cl.socket_path = DEFAULT_SOCKET;
        env = getenv("CONTAINERCTL_SOCKET");
        if (env && *env)
                cl.socket_path = env;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:hv", options, NULL)) >= 0)
                switch (c) {
                case 's':
                        if (!*optarg)
                                return usage_error("--socket needs a path");
                        cl.socket_path = optarg;
                        break;
                case 'h':
                        print_help();
                        return 0;
                case 'v':
                        printf("containerctl version %s\n", PACKAGE_VERSION);
                        return 0;
                case ':':
                        return usage_error("option '%s' needs an argument", argv[optind - 1]);
                default:
                        return usage_error("unknown option '%s'", argv[optind - 1]);
                }

        if (optind >= argc) {
                print_help();
                return EXIT_USAGE;
        }
        cmd = command_find(commands, ARRAY_SIZE(commands), argv[optind]);
        if (!cmd)
                return usage_error("'%s' is not a containerctl command", argv[optind]);
        r = cmd->fn(&cl, argc - optind, argv + optind);
        fflush(stdout);
        conn_free(cl.conn);
        return r;
}
