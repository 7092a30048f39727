/* Container commands: run, create, start, stop, kill, rm, ps, inspect,
 * wait. Each turns its arguments into container.* calls; formatting of
 * listings is in format.c and output.c. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client/args.h"
#include "client/commands.h"
#include "client/console.h"
#include "client/format.h"
#include "client/output.h"
#include "client/stream.h"
#include "common/id.h"
#include "common/parse.h"

int
option_error(char **argv, int c)
{
        if (c == ':')
                return usage_error("%s: option '%s' needs an argument", argv[0], argv[optind - 1]);
        if (optopt > 0 && optopt < 0x100)
                return usage_error("%s: unknown option -%c", argv[0], optopt);
        return usage_error("%s: unknown option '%s'", argv[0], argv[optind - 1]);
}

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
               "  -v, --volume SRC:DST[:ro|:rw]  bind mount a host path (repeatable)\n"
               "  -i, --interactive        keep stdin open and send ours to the container\n"
               "  -t, --tty                allocate a terminal for the container\n"
               "      --detach-keys KEYS   keys that detach from the container (default\n"
               "                           $CONTAINERCTL_DETACH_KEYS, the config file, or\n"
               "                           ctrl-p,ctrl-q; 'none' disables detaching)\n"
               "      --log-opt max-size=SIZE|max-file=N  console log rotation (repeatable)\n",
               cmd,
               strcmp(cmd, "run") == 0 ? "  -d, --detach             run in the background, print the id\n" : "");
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

/* Exit code of a container whose stream ended without an EXIT frame
 * (daemon restart, connection lost): it is still recorded. */
static int
wait_exit_code(struct client *cl, const char *id)
{
        _cleanup_conn_ struct conn *c = NULL;
        _cleanup_error_ struct ctr_error *err = NULL;
        json_auto_t *params = json_pack("{s:s}", "container", id);
        struct proto_reply reply;
        int code;

        if (!params || client_connect_new(cl, &c) < 0)
                return EXIT_USAGE;
        if (conn_call(c, "container.wait", params, NULL, NULL, &reply, &err) < 0) {
                fprintf(stderr, "Error: %s\n", err ? err->message : "container.wait failed");
                return EXIT_USAGE;
        }
        if (reply.is_error) {
                client_print_reply_error(&reply);
                code = EXIT_USAGE;
        } else
                code = exit_code_from_result(reply.result);
        proto_reply_clear(&reply);
        return code;
}

int
attached_exit_code(struct client *cl, struct conn *c, const struct console *con,
                   const char *container_id, enum stream_end *ret_end)
{
        int code = EXIT_USAGE;
        int end = console_run(cl, c, con, &code);

        if (ret_end)
                *ret_end = end;
        switch (end) {
        case STREAM_EXITED:
                return code;
        case STREAM_DETACHED:
                return 0;
        default:
                return wait_exit_code(cl, container_id);
        }
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
start_container(struct client *cl, const char *ref, const struct console *con,
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
                client_print_reply_error(&reply);
                r = client_reply_exit_code(&reply);
                if (ret_outcome && json_is_integer(json_object_get(reply.error_data, "exit_code")))
                        *ret_outcome = START_EXITED;
                proto_reply_clear(&reply);
                return r;
        }
        proto_reply_clear(&reply);
        if (!con)
                return 0;
        r = attached_exit_code(cl, cl->conn, con, ref, &end);
        /* After frames the connection is no longer JSON-RPC. */
        conn_free(cl->conn);
        cl->conn = NULL;
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
        con.kill_method = "container.kill";
        con.kill_key = "container";
        con.kill_target = id;
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

/* Parses options that take no argument except the listed ones, for the
 * simple multi-container commands. */
static int
need_targets(int argc, char **argv, const char *what)
{
        if (optind >= argc)
                return usage_error("%s requires at least 1 argument (%s)", argv[0], what);
        return 0;
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
        if (need_targets(argc, argv, "a container"))
                return EXIT_USAGE;
        if (attach) {
                struct console con = {
                        .kill_method = "container.kill",
                        .kill_key = "container",
                        .kill_target = argv[optind],
                };

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

/* For each target: call method with {"container": arg} + extra, print the
 * argument on success. Continues after errors; 1 if any failed. */
static int
for_each_container(struct client *cl, int argc, char **argv, const char *method, json_t *extra,
                   bool print_exit_code)
{
        int failed = 0;

        for (int i = optind; i < argc; i++) {
                json_auto_t *params = extra ? json_copy(extra) : json_object();
                json_auto_t *result = NULL;
                int r;

                if (!params || json_object_set_new(params, "container", json_string(argv[i])) < 0)
                        return EXIT_USAGE;
                r = client_call(cl, method, params, &result);
                if (r == CLIENT_EREMOTE) {
                        failed = 1;
                        continue;
                }
                if (r < 0)
                        return EXIT_USAGE; /* transport: no point trying the others */
                if (print_exit_code)
                        printf("%d\n", exit_code_from_result(result));
                else
                        printf("%s\n", argv[i]);
        }
        fflush(stdout);
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
        if (need_targets(argc, argv, "a container"))
                return EXIT_USAGE;
        extra = json_pack("{s:I}", "timeout", (json_int_t) timeout);
        return for_each_container(cl, argc, argv, "container.stop", extra, false);
}

int
cmd_kill(struct client *cl, int argc, char **argv)
{
        static const struct option options[] = {
                { "signal", required_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        json_auto_t *extra = json_object();
        int c, sig;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:s:h", options, NULL)) >= 0)
                switch (c) {
                case 's':
                        sig = parse_signal(optarg);
                        if (sig < 0)
                                return usage_error("kill: invalid signal '%s'", optarg);
                        json_object_set_new(extra, "signal", json_integer(sig));
                        break;
                case 'h':
                        printf("Usage: containerctl kill [-s|--signal SIGNAL] CONTAINER...\n");
                        return 0;
                default:
                        return option_error(argv, c);
                }
        if (need_targets(argc, argv, "a container"))
                return EXIT_USAGE;
        return for_each_container(cl, argc, argv, "container.kill", extra, false);
}

int
cmd_rm(struct client *cl, int argc, char **argv)
{
        static const struct option options[] = {
                { "force", no_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        json_auto_t *extra = json_object();
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:fh", options, NULL)) >= 0)
                switch (c) {
                case 'f':
                        json_object_set_new(extra, "force", json_true());
                        break;
                case 'h':
                        printf("Usage: containerctl rm [-f|--force] CONTAINER...\n");
                        return 0;
                default:
                        return option_error(argv, c);
                }
        if (need_targets(argc, argv, "a container"))
                return EXIT_USAGE;
        return for_each_container(cl, argc, argv, "container.remove", extra, false);
}

int
cmd_wait(struct client *cl, int argc, char **argv)
{
        optind = 1;
        if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                printf("Usage: containerctl wait CONTAINER...\n");
                return 0;
        }
        if (need_targets(argc, argv, "a container"))
                return EXIT_USAGE;
        return for_each_container(cl, argc, argv, "container.wait", NULL, true);
}

int
cmd_inspect(struct client *cl, int argc, char **argv)
{
        json_auto_t *all = json_array();
        int failed = 0;

        if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                printf("Usage: containerctl inspect CONTAINER...\n");
                return 0;
        }
        if (argc < 2)
                return usage_error("inspect requires at least 1 argument (a container)");
        for (int i = 1; i < argc; i++) {
                json_auto_t *params = json_pack("{s:s}", "container", argv[i]);
                json_t *result = NULL;
                int r;

                if (!params)
                        return EXIT_USAGE;
                r = client_call(cl, "container.inspect", params, &result);
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

/* ps: one table row per container summary. */
static int
ps_row(struct table *t, json_t *ctr, int64_t now)
{
        const char *id = json_str(ctr, "id");
        char short_id[ID_SHORT_LEN + 1] = "", cmd[256] = "", cmd_cut[128], quoted[140];
        char status[96], created[64];
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
        format_status(json_str(ctr, "state"), json_str(ctr, "started_at"),
                      json_str(ctr, "finished_at"),
                      json_integer_value(json_object_get(ctr, "exit_code")), now, status,
                      sizeof(status));
        format_ago(json_str(ctr, "created"), now, created, sizeof(created));

        return table_add_row(t, (const char *const[]) {
                short_id, json_str(ctr, "name"), json_str(ctr, "image"), quoted, status, created,
        });
}

int
cmd_ps(struct client *cl, int argc, char **argv)
{
        static const struct option options[] = {
                { "all", no_argument, NULL, 'a' },
                { "quiet", no_argument, NULL, 'q' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        static const char *const headers[] = {
                "CONTAINER ID", "NAME", "IMAGE", "COMMAND", "STATUS", "CREATED", NULL,
        };
        _cleanup_(table_freep) struct table *t = NULL;
        json_auto_t *params = json_object(), *result = NULL;
        bool all = false, quiet = false, as_json = false;
        json_t *list, *ctr;
        int64_t now = (int64_t) time(NULL);
        size_t i;
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:aqh", options, NULL)) >= 0)
                switch (c) {
                case 'a':
                        all = true;
                        break;
                case 'q':
                        quiet = true;
                        break;
                case 'j':
                        as_json = true;
                        break;
                case 'h':
                        printf("Usage: containerctl ps [-a|--all] [-q|--quiet] [--json]\n");
                        return 0;
                default:
                        return option_error(argv, c);
                }
        if (optind < argc)
                return usage_error("ps takes no arguments");

        json_object_set_new(params, "all", json_boolean(all));
        if (client_call(cl, "container.list", params, &result) < 0)
                return EXIT_USAGE;
        list = json_object_get(result, "containers");
        if (!json_is_array(list)) {
                fprintf(stderr, "Error: container.list returned no container list\n");
                return EXIT_USAGE;
        }
        if (as_json) {
                print_json(list);
                return 0;
        }
        if (quiet) {
                json_array_foreach(list, i, ctr) {
                        const char *id = json_str(ctr, "id");

                        if (id)
                                printf("%.*s\n", ID_SHORT_LEN, id);
                }
                return 0;
        }
        t = table_new(headers);
        if (!t)
                return EXIT_USAGE;
        json_array_foreach(list, i, ctr)
                if (ps_row(t, ctr, now) < 0)
                        return EXIT_USAGE;
        table_print(t, stdout);
        return 0;
}
