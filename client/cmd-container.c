/* Container commands: run, create, start, stop, kill, rm, ps, inspect,
 * wait. Each turns its arguments into container.* calls; formatting of
 * listings is in format.c and output.c. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "client/args.h"
#include "client/args-resources.h"
#include "client/commands.h"
#include "client/console.h"
#include "client/format.h"
#include "client/output.h"
#include "client/stream.h"
#include "common/id.h"
#include "common/parse.h"

static int
print_run_help(const char *cmd)
{
        printf("Usage: containerctl %s [OPTIONS] IMAGE [COMMAND [ARG...]]\n\n"
               "Options:\n"
               "%s"
               "      --rm                 remove the container when it exits\n"
               "      --name NAME          name the container\n"
               "  -e, --env K=V            set an environment variable (repeatable)\n"
               "  -w, --workdir DIR        working directory inside the container\n"
               "  -u, --user USER[:GROUP]  user to run the command as\n"
               "      --hostname NAME      container host name\n"
               "      --entrypoint CMD     replace the image's entrypoint ('' clears it)\n"
               "      --stop-signal SIG    signal stop sends first (default: the image's, or TERM)\n"
               "  -l, --label K=V          set a label (repeatable)\n"
               "  -v, --volume SRC:DST[:ro|:rw]  bind mount a host path (repeatable)\n"
               "  -i, --interactive        keep stdin open and send ours to the container\n"
               "  -t, --tty                allocate a terminal for the container\n"
               "      --detach-keys KEYS   keys that detach from the container (default\n"
               "                           $CONTAINERCTL_DETACH_KEYS, the config file, or\n"
               "                           ctrl-p,ctrl-q; 'none' disables detaching)\n"
               "      --log-opt max-size=SIZE|max-file=N  console log rotation (repeatable)\n"
               "      --network NET        bridge (default), none, host, container:NAME, or a\n"
               "                           network made with 'network create'\n"
               "  -p, --publish [IP:][HOSTPORT:]CTRPORT[/tcp|udp]  publish a container port\n"
               "                           on the host (repeatable; bridge networks only)\n"
               "      --network-alias NAME another name other containers on the network\n"
               "                           reach this one by (repeatable)\n"
               "      --userns auto|host   auto: its own user namespace, root inside is an\n"
               "                           unprivileged host uid (default: host)\n"
               "\nResource limits:\n%s"
               "\nSecurity:\n%s",
               cmd,
               strcmp(cmd, "run") == 0 ? "  -d, --detach             run in the background, print the id\n" : "",
               args_resource_help, args_security_help);
        return 0;
}

/* container.create from parsed options; *ret_id gets the new full id. */
static int
create_container(struct client *cl, const struct create_opts *o, char **ret_id)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        json_auto_t *params = NULL, *result = NULL;
        const char *id;
        int r;

        params = create_opts_to_params(o, &err);
        if (!params)
                return usage_error("%s", err ? err->message : "out of memory");
        r = client_call(cl, "container.create", params, &result);
        if (r < 0)
                return EXIT_USAGE;
        id = json_str(result, "id");
        if (!id) {
                fprintf(stderr, "Error: container.create returned no id\n");
                return EXIT_USAGE;
        }
        *ret_id = strdup(id);
        return *ret_id ? 0 : EXIT_USAGE;
}

enum start_outcome {
        START_RUNNING,  /* started, not attached (or start failed before exit) */
        START_EXITED,   /* went through its exit: attached and done, or failed with data.exit_code */
        START_DETACHED, /* attached, then the user detached */
};

/* container.start, attached (con != NULL) or not. For an attached start,
 * returns the container's exit code (0 on detach); otherwise 0. Errors
 * carrying data.exit_code 126/127 exit with that code. *ret_outcome (may
 * be NULL) tells what became of the container, which decides its
 * auto-removal. */
static int
start_container(struct client *cl, const char *ref, struct console *con,
                enum start_outcome *ret_outcome)
{
        json_auto_t *params = json_pack("{s:s, s:b}", "container", ref, "attach", con != NULL);
        struct proto_reply reply;
        enum stream_end end;
        int r;

        if (ret_outcome)
                *ret_outcome = START_RUNNING;
        if (!params || (con && console_add_size(params, con->tty) < 0))
                return EXIT_USAGE;
        r = client_call_reply(cl, "container.start", params, NULL, NULL, &reply);
        if (r < 0)
                return EXIT_USAGE;
        if (reply.is_error) {
                if (ret_outcome && json_is_integer(json_object_get(reply.error_data, "exit_code")))
                        *ret_outcome = START_EXITED;
                return client_reply_fail(&reply);
        }
        proto_reply_clear(&reply);
        if (!con)
                return 0;
        r = attached_exit_code(cl, con, ref, &end);
        if (ret_outcome)
                *ret_outcome = end == STREAM_DETACHED ? START_DETACHED : START_EXITED;
        return r;
}

static void
remove_quietly(struct client *cl, const char *id)
{
        json_auto_t *params = json_pack("{s:s, s:b}", "container", id, "force", 1);
        json_auto_t *result = NULL;

        if (params)
                (void) client_call(cl, "container.remove", params, &result);
}

/* `run --rm` returns once the daemon's auto-removal is done, as `docker
 * run --rm` does, so the name is free again. Returns code, or EXIT_USAGE
 * if the container could not be removed. */
static int
wait_removed(struct client *cl, const char *id, int code)
{
        json_auto_t *params = json_pack("{s:s, s:s}", "container", id, "condition", "removed");
        json_auto_t *result = NULL;

        if (!params || client_call(cl, "container.wait", params, &result) < 0)
                return EXIT_USAGE;
        return code;
}

static int
run_or_create(struct client *cl, int argc, char **argv, bool run)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        _cleanup_free_ char *id = NULL;
        struct create_opts o = {};
        struct console con = {};
        enum start_outcome outcome;
        int r;

        r = args_parse_create(argc, argv, run, &o, &err);
        if (r == 1)
                return print_run_help(argv[0]);
        if (r < 0)
                return usage_error("%s", err ? err->message : "invalid arguments");
        /* A bad --detach-keys is reported before anything is created. */
        r = console_init(&con, o.detach_keys);
        if (r != 0)
                goto out;

        r = create_container(cl, &o, &id);
        if (r != 0)
                goto out;
        if (!run || o.detach) {
                if (run) {
                        r = start_container(cl, id, NULL, NULL);
                        if (r != 0) {
                                if (o.auto_remove)
                                        remove_quietly(cl, id);
                                goto out;
                        }
                }
                printf("%s\n", id);
                r = 0;
                goto out;
        }
        con.tty = o.tty;
        con.send_stdin = o.interactive;
        r = start_container(cl, id, &con, &outcome);
        if (o.auto_remove) {
                /* Exited: the daemon removes it, we wait for that. Detached:
                 * it keeps running and the daemon removes it when it exits.
                 * Otherwise it never ran: the daemon will not remove it; we do. */
                if (outcome == START_EXITED)
                        r = wait_removed(cl, id, r);
                else if (outcome == START_RUNNING)
                        remove_quietly(cl, id);
        }
out:
        create_opts_done(&o);
        return r;
}

int
cmd_run(struct client *cl, int argc, char **argv)
{
        return run_or_create(cl, argc, argv, true);
}

int
cmd_create(struct client *cl, int argc, char **argv)
{
        return run_or_create(cl, argc, argv, false);
}

int
cmd_start(struct client *cl, int argc, char **argv)
{
        static const struct option options[] = {
                { "attach", no_argument, NULL, 'a' },
                { "interactive", no_argument, NULL, 'i' },
                { "detach-keys", required_argument, NULL, 'K' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        bool attach = false, interactive = false;
        const char *detach_keys = NULL;
        int c, failed = 0;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:aih", options, NULL)) >= 0)
                switch (c) {
                case 'a':
                        attach = true;
                        break;
                case 'i':
                        interactive = true;
                        break;
                case 'K':
                        detach_keys = optarg;
                        break;
                case 'h':
                        printf("Usage: containerctl start [-a|--attach] [-i|--interactive] "
                               "[--detach-keys KEYS] CONTAINER...\n");
                        return 0;
                default:
                        return option_error(argv, c);
                }
        if (optind >= argc)
                return usage_error("start requires at least 1 argument (a container)");
        if (attach) {
                struct console con = {};

                if (argc - optind > 1)
                        return usage_error("you cannot start and attach multiple containers at once");
                if (console_init(&con, detach_keys) != 0)
                        return EXIT_USAGE;
                if (container_console_config(cl, argv[optind], &con.tty, NULL) < 0)
                        return EXIT_USAGE;
                con.send_stdin = interactive;
                return start_container(cl, argv[optind], &con, NULL);
        }
        for (int i = optind; i < argc; i++) {
                int r = start_container(cl, argv[i], NULL, NULL);

                if (r != 0) {
                        /* 126/127 (command not executable / not found) are
                         * worth passing on; any other failure counts as 1. */
                        failed = r == 126 || r == 127 ? r : 1;
                        if (!cl->conn && client_connect(cl) < 0)
                                return EXIT_USAGE;
                } else
                        printf("%s\n", argv[i]);
        }
        return failed;
}

int
cmd_stop(struct client *cl, int argc, char **argv)
{
        static const struct option options[] = {
                { "time", required_argument, NULL, 't' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        json_auto_t *extra = NULL;
        int64_t timeout = 10;
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:t:h", options, NULL)) >= 0)
                switch (c) {
                case 't':
                        if (parse_int_range(optarg, 0, 24 * 3600, &timeout) < 0)
                                return usage_error("stop: invalid timeout '%s' (seconds)", optarg);
                        break;
                case 'h':
                        printf("Usage: containerctl stop [-t|--time SECONDS] CONTAINER...\n");
                        return 0;
                default:
                        return option_error(argv, c);
                }
        if (optind >= argc)
                return usage_error("stop requires at least 1 argument (a container)");
        extra = json_pack("{s:I}", "timeout", (json_int_t) timeout);
        return client_call_each(cl, argv + optind, argc - optind, "container.stop", "container",
                                extra, NULL, NULL);
}

int
cmd_kill(struct client *cl, int argc, char **argv)
{
        static const struct target_cmd cmd = {
                .name = "kill", .option = ARGS_OPT_SIGNAL, .target = "CONTAINER",
                .what = "a container", .method = "container.kill", .key = "container",
        };

        return target_command(cl, argc, argv, &cmd, NULL);
}

int
cmd_rm(struct client *cl, int argc, char **argv)
{
        static const struct target_cmd cmd = {
                .name = "rm", .option = ARGS_OPT_FORCE, .target = "CONTAINER",
                .what = "a container", .method = "container.remove", .key = "container",
        };

        return target_command(cl, argc, argv, &cmd, NULL);
}

static void
print_exit_code(const char *target, json_t *result, void *userdata)
{
        printf("%d\n", exit_code_from_result(result));
}

int
cmd_wait(struct client *cl, int argc, char **argv)
{
        static const struct target_cmd cmd = {
                .name = "wait", .option = ARGS_NO_OPTION, .target = "CONTAINER",
                .what = "a container", .method = "container.wait", .key = "container",
                .done = print_exit_code,
        };

        return target_command(cl, argc, argv, &cmd, NULL);
}

int
cmd_inspect(struct client *cl, int argc, char **argv)
{
        static const struct target_cmd cmd = {
                .name = "inspect", .option = ARGS_NO_OPTION, .target = "CONTAINER",
                .what = "a container", .method = "container.inspect", .key = "container",
                .collect = true,
        };

        return target_command(cl, argc, argv, &cmd, NULL);
}

/* ps: one table row per container summary. */
static int
ps_row(struct table *t, json_t *ctr, int64_t now)
{
        const char *id = json_str(ctr, "id");
        char short_id[ID_SHORT_LEN + 1] = "", cmd[256] = "", cmd_cut[128], quoted[140];
        char status[96], created[64];
        _cleanup_free_ char *ports = NULL;
        bool running, paused;
        json_t *arg;
        size_t i, len = 0;

        if (id)
                snprintf(short_id, sizeof(short_id), "%s", id);
        json_array_foreach(json_object_get(ctr, "command"), i, arg) {
                const char *s = json_string_value(arg);
                int n;

                if (!s)
                        continue;
                n = snprintf(cmd + len, sizeof(cmd) - len, "%s%s", len ? " " : "", s);
                if (n < 0 || (size_t) n >= sizeof(cmd) - len) {
                        len = sizeof(cmd) - 1;
                        break;
                }
                len += (size_t) n;
        }
        format_truncate(cmd, 30, cmd_cut, sizeof(cmd_cut));
        snprintf(quoted, sizeof(quoted), "\"%s\"", cmd_cut);
        paused = json_str(ctr, "state") && strcmp(json_str(ctr, "state"), "paused") == 0;
        format_status(paused ? "running" : json_str(ctr, "state"), json_str(ctr, "started_at"),
                      json_str(ctr, "finished_at"),
                      json_integer_value(json_object_get(ctr, "exit_code")), now, status,
                      sizeof(status));
        /* Docker's "Up 3 minutes (Paused)". */
        if (paused)
                snprintf(status + strlen(status), sizeof(status) - strlen(status), " (Paused)");
        format_ago(json_str(ctr, "created"), now, created, sizeof(created));
        /* As docker ps: the ports a running container has bound; those of
         * any other are only asked for (inspect shows them). */
        running = paused ||
                  (json_str(ctr, "state") && strcmp(json_str(ctr, "state"), "running") == 0);
        ports = format_ports(running ? json_object_get(ctr, "ports") : NULL);
        if (!ports)
                return -ENOMEM;

        return table_add_row(t, (const char *const[]) {
                short_id, json_str(ctr, "name"), json_str(ctr, "image"), quoted, status, created,
                ports,
        });
}

int
cmd_ps(struct client *cl, int argc, char **argv)
{
        static const char *const headers[] = {
                "CONTAINER ID", "NAME", "IMAGE", "COMMAND", "STATUS", "CREATED", "PORTS", NULL,
        };
        static const struct list_cmd cmd = {
                .usage = "Usage: containerctl ps [-a|--all] [-q|--quiet] [--json]\n",
                .with_all = true,
                .method = "container.list", .key = "containers", .id_key = "id",
                .headers = headers, .add_row = ps_row,
        };

        return list_command(cl, argc, argv, &cmd);
}
