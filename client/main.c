/* containerctl: global options, then one command from the table below.
 * Exit codes follow docker: the container's own code for run/start -a/wait,
 * 125 for usage and daemon errors, 1 when one of several targets failed. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/commands.h"

#define DEFAULT_SOCKET "/run/containerctl/containerctld.sock"

static const struct command {
        const char *name;
        int (*fn)(struct client *cl, int argc, char **argv);
        const char *help;
} commands[] = {
        { "run", cmd_run, "Create and start a container" },
        { "create", cmd_create, "Create a container" },
        { "start", cmd_start, "Start containers" },
        { "stop", cmd_stop, "Stop containers" },
        { "kill", cmd_kill, "Send a signal to containers" },
        { "rm", cmd_rm, "Remove containers" },
        { "ps", cmd_ps, "List containers" },
        { "inspect", cmd_inspect, "Show containers as JSON" },
        { "wait", cmd_wait, "Wait for containers to exit, print their exit codes" },
        { "attach", cmd_attach, "Attach to a running container's console" },
        { "exec", cmd_exec, "Run a command in a running container; manage execs" },
        { "logs", cmd_logs, "Show a container's console log" },
        { "image", cmd_image, "Manage images (import, list, rm, inspect)" },
        { "images", cmd_images, "List images" },
        { "version", cmd_version, "Show the client and daemon versions" },
        { "info", cmd_info, "Show daemon-wide information" },
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
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
                printf("  %-10s%s\n", commands[i].name, commands[i].help);
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
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
                if (strcmp(argv[optind], commands[i].name) == 0) {
                        r = commands[i].fn(&cl, argc - optind, argv + optind);
                        fflush(stdout);
                        conn_free(cl.conn);
                        return r;
                }
        return usage_error("'%s' is not a containerctl command", argv[optind]);
}
