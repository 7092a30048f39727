/* exec: run a command in a running container (attached or -d), and the
 * exec objects' subcommands: exec ls|attach|kill|rm|inspect. Execs live
 * in the container's monitor; a detach or a lost client leaves them
 * running, and exec attach reconnects with the recent output replayed. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/commands.h"
#include "client/format.h"
#include "client/output.h"
#include "common/id.h"
#include "common/parse.h"

enum {
        OPT_DETACH_KEYS = 0x100,
        OPT_NO_STDIN,
        OPT_JSON,
};

/* Exit code of an exec whose stream ended without an EXIT frame. */
static int
exec_lost_exit_code(struct client *cl, const char *exec_id)
{
        _cleanup_conn_ struct conn *c = NULL;
        _cleanup_error_ struct ctr_error *err = NULL;
        json_auto_t *params = json_pack("{s:s}", "exec", exec_id);
        struct proto_reply reply;
        int code = EXIT_USAGE;

        if (!params || client_connect_new(cl, &c) < 0)
                return EXIT_USAGE;
        if (conn_call(c, "exec.inspect", params, NULL, NULL, &reply, &err) < 0) {
                fprintf(stderr, "Error: %s\n", err ? err->message : "exec.inspect failed");
                return EXIT_USAGE;
        }
        if (reply.is_error)
                client_print_reply_error(&reply);
        else if (json_is_true(json_object_get(reply.result, "running")))
                fprintf(stderr, "Error: lost the connection; exec %.*s is still running "
                        "(containerctl exec attach %.*s)\n", ID_SHORT_LEN, exec_id, ID_SHORT_LEN,
                        exec_id);
        else
                code = exit_code_from_result(reply.result);
        proto_reply_clear(&reply);
        return code;
}

/* After the success reply to container.exec or exec.attach: the stream. */
static int
exec_stream(struct client *cl, struct console *con, const char *exec_id)
{
        int code = EXIT_USAGE, end;

        con->kill_method = "exec.kill";
        con->kill_key = "exec";
        con->kill_target = exec_id;
        end = console_run(cl, cl->conn, con, &code);
        conn_free(cl->conn);
        cl->conn = NULL;
        switch (end) {
        case STREAM_EXITED:
                return code;
        case STREAM_DETACHED:
                return 0;
        default:
                return exec_lost_exit_code(cl, exec_id);
        }
}

/* Calls method; on success keeps the result's exec_id in *ret_id. */
static int
exec_call(struct client *cl, const char *method, json_t *params, char **ret_id, bool *ret_tty)
{
        struct proto_reply reply;
        const char *id;
        int r;

        r = client_call_reply(cl, method, params, NULL, NULL, &reply);
        if (r < 0)
                return EXIT_USAGE;
        if (reply.is_error) {
                client_print_reply_error(&reply);
                r = client_reply_exit_code(&reply);
                proto_reply_clear(&reply);
                return r;
        }
        id = json_str(reply.result, "exec_id");
        *ret_id = id ? strdup(id) : NULL;
        if (ret_tty)
                *ret_tty = json_is_true(json_object_get(reply.result, "tty"));
        proto_reply_clear(&reply);
        if (!*ret_id) {
                fprintf(stderr, "Error: %s returned no exec_id\n", method);
                return EXIT_USAGE;
        }
        return 0;
}

static int
add_env(json_t *env, const char *arg)
{
        _cleanup_free_ char *s = NULL;

        if (arg[0] == '=' || arg[0] == '\0')
                return usage_error("invalid environment variable '%s'", arg);
        if (strchr(arg, '='))
                s = strdup(arg);
        else {
                /* "-e NAME" takes our value, skipped if unset (as Docker). */
                const char *v = getenv(arg);

                if (!v)
                        return 0;
                if (asprintf(&s, "%s=%s", arg, v) < 0)
                        s = NULL;
        }
        if (!s || json_array_append_new(env, json_string(s)) < 0)
                return usage_error("invalid environment variable '%s'", arg);
        return 0;
}

static int
print_exec_help(void)
{
        printf("Usage: containerctl exec [OPTIONS] CONTAINER COMMAND [ARG...]\n"
               "       containerctl exec ls [--json] [-q] CONTAINER\n"
               "       containerctl exec attach [--no-stdin] [--detach-keys KEYS] EXEC\n"
               "       containerctl exec kill [-s SIGNAL] EXEC...\n"
               "       containerctl exec rm [-f] EXEC...\n"
               "       containerctl exec inspect EXEC...\n\n"
               "Options:\n"
               "  -i, --interactive        send our stdin to the command\n"
               "  -t, --tty                allocate a terminal\n"
               "  -d, --detach             run in the background, print the exec id\n"
               "  -u, --user USER[:GROUP]  user to run as\n"
               "  -w, --workdir DIR        working directory\n"
               "  -e, --env K=V            set an environment variable (repeatable)\n"
               "      --detach-keys KEYS   keys that detach (default ctrl-p,ctrl-q; 'none')\n");
        return 0;
}

static int
exec_run(struct client *cl, int argc, char **argv)
{
        static const struct option options[] = {
                { "interactive", no_argument, NULL, 'i' },
                { "tty", no_argument, NULL, 't' },
                { "detach", no_argument, NULL, 'd' },
                { "user", required_argument, NULL, 'u' },
                { "workdir", required_argument, NULL, 'w' },
                { "env", required_argument, NULL, 'e' },
                { "detach-keys", required_argument, NULL, OPT_DETACH_KEYS },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        json_auto_t *params = json_object(), *env = json_array(), *cmd = json_array();
        _cleanup_free_ char *exec_id = NULL;
        const char *detach_keys = NULL;
        bool interactive = false, tty = false, detach = false;
        struct console con = {};
        int c, r;

        if (!params || !env || !cmd)
                return EXIT_USAGE;
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:itdu:w:e:h", options, NULL)) >= 0)
                switch (c) {
                case 'i':
                        interactive = true;
                        break;
                case 't':
                        tty = true;
                        break;
                case 'd':
                        detach = true;
                        break;
                case 'u':
                        if (!*optarg)
                                return usage_error("exec: the user must not be empty");
                        json_object_set_new(params, "user", json_string(optarg));
                        break;
                case 'w':
                        if (optarg[0] != '/')
                                return usage_error("exec: the working directory '%s' must be an "
                                                   "absolute path", optarg);
                        json_object_set_new(params, "workdir", json_string(optarg));
                        break;
                case 'e':
                        if (add_env(env, optarg) != 0)
                                return EXIT_USAGE;
                        break;
                case OPT_DETACH_KEYS:
                        detach_keys = optarg;
                        break;
                case 'h':
                        return print_exec_help();
                default:
                        return option_error(argv, c);
                }
        if (argc - optind < 2)
                return usage_error("exec requires at least 2 arguments (a container and a command)");
        if (console_init(&con, detach_keys) != 0)
                return EXIT_USAGE;
        for (int i = optind + 1; i < argc; i++)
                if (json_array_append_new(cmd, json_string(argv[i])) < 0)
                        return usage_error("exec: argument '%s' is not valid UTF-8", argv[i]);
        if (json_object_set_new(params, "container", json_string(argv[optind])) < 0 ||
            json_object_set(params, "command", cmd) < 0 ||
            (json_array_size(env) > 0 && json_object_set(params, "env", env) < 0) ||
            json_object_set_new(params, "tty", json_boolean(tty)) < 0 ||
            /* With -d, -i keeps the exec's stdin open for a later exec attach. */
            json_object_set_new(params, "stdin", json_boolean(interactive)) < 0 ||
            json_object_set_new(params, "detach", json_boolean(detach)) < 0 ||
            console_add_size(params, tty) < 0)
                return usage_error("exec: invalid arguments");

        r = exec_call(cl, "container.exec", params, &exec_id, NULL);
        if (r != 0)
                return r;
        if (detach) {
                printf("%s\n", exec_id);
                return 0;
        }
        con.tty = tty;
        con.send_stdin = interactive;
        return exec_stream(cl, &con, exec_id);
}

static int
exec_attach(struct client *cl, int argc, char **argv)
{
        static const struct option options[] = {
                { "no-stdin", no_argument, NULL, OPT_NO_STDIN },
                { "detach-keys", required_argument, NULL, OPT_DETACH_KEYS },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        json_auto_t *params = NULL;
        _cleanup_free_ char *exec_id = NULL;
        const char *detach_keys = NULL;
        bool no_stdin = false;
        struct console con = {};
        int c, r;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:h", options, NULL)) >= 0)
                switch (c) {
                case OPT_NO_STDIN:
                        no_stdin = true;
                        break;
                case OPT_DETACH_KEYS:
                        detach_keys = optarg;
                        break;
                case 'h':
                        printf("Usage: containerctl exec attach [--no-stdin] [--detach-keys KEYS] "
                               "EXEC\n");
                        return 0;
                default:
                        return option_error(argv, c);
                }
        if (argc - optind != 1)
                return usage_error("exec attach requires exactly 1 argument (an exec id)");
        if (console_init(&con, detach_keys) != 0)
                return EXIT_USAGE;
        params = json_pack("{s:s, s:b}", "exec", argv[optind], "stdin", !no_stdin);
        if (!params || (isatty(STDIN_FILENO) && console_add_size(params, true) < 0))
                return EXIT_USAGE;
        r = exec_call(cl, "exec.attach", params, &exec_id, &con.tty);
        if (r != 0)
                return r;
        con.send_stdin = !no_stdin;
        return exec_stream(cl, &con, exec_id);
}

static int
exec_ls_row(struct table *t, json_t *e, int64_t now)
{
        char short_id[ID_SHORT_LEN + 1] = "", quoted[64], status[64], created[64], pid[32] = "";
        _cleanup_free_ char *joined = NULL;
        const char *id = json_str(e, "exec_id");
        bool running = json_is_true(json_object_get(e, "running"));
        json_t *cmd = json_object_get(e, "command"), *w;
        size_t i, len = 0;

        if (id)
                snprintf(short_id, sizeof(short_id), "%.*s", ID_SHORT_LEN, id);
        json_array_foreach(cmd, i, w)
                len += strlen(json_string_value(w) ? json_string_value(w) : "") + 1;
        joined = calloc(1, len + 1);
        if (!joined)
                return -ENOMEM;
        json_array_foreach(cmd, i, w) {
                if (i > 0)
                        strcat(joined, " ");
                strcat(joined, json_string_value(w) ? json_string_value(w) : "");
        }
        {
                _cleanup_free_ char *q = NULL;

                if (asprintf(&q, "\"%s\"", joined) < 0)
                        return -ENOMEM;
                format_truncate(q, 22, quoted, sizeof(quoted));
        }
        format_status(running ? "running" : "exited", json_str(e, "created"),
                      json_str(e, "finished_at"), json_integer_value(json_object_get(e, "exit_code")),
                      now, status, sizeof(status));
        format_ago(json_str(e, "created"), now, created, sizeof(created));
        if (running && json_is_integer(json_object_get(e, "pid")))
                snprintf(pid, sizeof(pid), "%" JSON_INTEGER_FORMAT,
                         json_integer_value(json_object_get(e, "pid")));
        return table_add_row(t, (const char *const[]) {
                short_id, quoted, json_is_true(json_object_get(e, "tty")) ? "yes" : "no", pid,
                status, created,
        });
}

static int
exec_ls(struct client *cl, int argc, char **argv)
{
        static const struct option options[] = {
                { "quiet", no_argument, NULL, 'q' },
                { "json", no_argument, NULL, OPT_JSON },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        static const char *const headers[] = {
                "EXEC ID", "COMMAND", "TTY", "PID", "STATUS", "CREATED", NULL,
        };
        _cleanup_(table_freep) struct table *t = NULL;
        json_auto_t *params = NULL, *result = NULL;
        bool quiet = false, as_json = false;
        int64_t now = (int64_t) time(NULL);
        json_t *list, *e;
        size_t i;
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:qh", options, NULL)) >= 0)
                switch (c) {
                case 'q':
                        quiet = true;
                        break;
                case OPT_JSON:
                        as_json = true;
                        break;
                case 'h':
                        printf("Usage: containerctl exec ls [-q|--quiet] [--json] CONTAINER\n");
                        return 0;
                default:
                        return option_error(argv, c);
                }
        if (argc - optind != 1)
                return usage_error("exec ls requires exactly 1 argument (a container)");
        params = json_pack("{s:s}", "container", argv[optind]);
        if (!params || client_call(cl, "exec.list", params, &result) < 0)
                return EXIT_USAGE;
        list = json_object_get(result, "execs");
        if (!json_is_array(list)) {
                fprintf(stderr, "Error: exec.list returned no exec list\n");
                return EXIT_USAGE;
        }
        if (as_json) {
                print_json(list);
                return 0;
        }
        if (quiet) {
                json_array_foreach(list, i, e)
                        if (json_str(e, "exec_id"))
                                printf("%.*s\n", ID_SHORT_LEN, json_str(e, "exec_id"));
                return 0;
        }
        t = table_new(headers);
        if (!t)
                return EXIT_USAGE;
        json_array_foreach(list, i, e)
                if (exec_ls_row(t, e, now) < 0)
                        return EXIT_USAGE;
        table_print(t, stdout);
        return 0;
}

/* exec kill / rm / inspect: one call per exec id, Docker's multi-target
 * conventions (print the argument, 1 if any failed). */
static int
exec_each(struct client *cl, int argc, char **argv, const char *method, json_t *extra,
          json_t *collect)
{
        int failed = 0;

        if (optind >= argc)
                return usage_error("exec %s requires at least 1 argument (an exec id)", argv[0]);
        for (int i = optind; i < argc; i++) {
                json_auto_t *params = extra ? json_copy(extra) : json_object();
                json_t *result = NULL;
                int r;

                if (!params || json_object_set_new(params, "exec", json_string(argv[i])) < 0)
                        return EXIT_USAGE;
                r = client_call(cl, method, params, &result);
                if (r == CLIENT_EREMOTE) {
                        failed = 1;
                        continue;
                }
                if (r < 0)
                        return EXIT_USAGE;
                if (collect)
                        json_array_append_new(collect, result);
                else {
                        printf("%s\n", argv[i]);
                        json_decref(result);
                }
        }
        if (collect)
                print_json(collect);
        return failed;
}

static int
exec_kill(struct client *cl, int argc, char **argv)
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
                                return usage_error("exec kill: invalid signal '%s'", optarg);
                        json_object_set_new(extra, "signal", json_integer(sig));
                        break;
                case 'h':
                        printf("Usage: containerctl exec kill [-s|--signal SIGNAL] EXEC...\n");
                        return 0;
                default:
                        return option_error(argv, c);
                }
        return exec_each(cl, argc, argv, "exec.kill", extra, NULL);
}

static int
exec_rm(struct client *cl, int argc, char **argv)
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
                        printf("Usage: containerctl exec rm [-f|--force] EXEC...\n");
                        return 0;
                default:
                        return option_error(argv, c);
                }
        return exec_each(cl, argc, argv, "exec.remove", extra, NULL);
}

static int
exec_inspect(struct client *cl, int argc, char **argv)
{
        json_auto_t *all = json_array();

        optind = 1;
        if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                printf("Usage: containerctl exec inspect EXEC...\n");
                return 0;
        }
        return all ? exec_each(cl, argc, argv, "exec.inspect", NULL, all) : EXIT_USAGE;
}

int
cmd_exec(struct client *cl, int argc, char **argv)
{
        static const struct {
                const char *name;
                int (*fn)(struct client *cl, int argc, char **argv);
        } subs[] = {
                { "ls", exec_ls },
                { "list", exec_ls },
                { "attach", exec_attach },
                { "kill", exec_kill },
                { "rm", exec_rm },
                { "inspect", exec_inspect },
        };

        /* A subcommand word right after "exec"; a container with such a
         * name is reached with an option or "--" first (exec -- ls cat). */
        if (argc > 1)
                for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
                        if (strcmp(argv[1], subs[i].name) == 0)
                                return subs[i].fn(cl, argc - 1, argv + 1);
        return exec_run(cl, argc, argv);
}
