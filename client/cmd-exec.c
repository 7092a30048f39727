/* exec: run a command in a running container (attached or -d), and the
 * exec objects' subcommands: exec ls|attach|kill|rm|inspect. Execs live
 * in the container's monitor; a detach or a lost client leaves them
 * running, and exec attach reconnects with the recent output replayed. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/commands.h"
#include "client/format.h"
#include "client/output.h"
#include "common/id.h"

enum {
        OPT_DETACH_KEYS = 0x100,
        OPT_NO_PASSTHROUGH,
};

/* Exit code of an exec whose stream ended without an EXIT frame. */
static int
exec_lost_exit_code(struct client *cl, const char *exec_id)
{
        json_auto_t *params = json_pack("{s:s}", "exec", exec_id), *result = NULL;

        if (!params || client_call_once(cl, "exec.inspect", params, &result) < 0)
                return EXIT_USAGE;
        if (json_is_true(json_object_get(result, "running"))) {
                fprintf(stderr, "Error: lost the connection; exec %.*s is still running "
                        "(containerctl exec attach %.*s)\n", ID_SHORT_LEN, exec_id, ID_SHORT_LEN,
                        exec_id);
                return EXIT_USAGE;
        }
        return exit_code_from_result(result);
}

/* After the success reply to container.exec or exec.attach: the stream. */
static int
exec_stream(struct client *cl, struct console *con, const char *exec_id)
{
        con->kill_method = "exec.kill";
        con->kill_key = "exec";
        con->kill_target = exec_id;
        return stream_exit_code(cl, con, exec_lost_exit_code, exec_id, NULL);
}

/* Calls method; on success keeps the result's exec_id in *ret_id. */
static int
exec_call(struct client *cl, const char *method, json_t *params, char **ret_id, bool *ret_tty)
{
        struct proto_reply reply;
        const char *id;
        int r;

        r = client_call_checked(cl, method, params, NULL, NULL, &reply);
        if (r != 0)
                return r;
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
               "      --detach-keys KEYS   keys that detach (default ctrl-p,ctrl-q; 'none')\n"
               "      --no-passthrough     relay the output through the daemon even when\n"
               "                           stdout is not a terminal\n");
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
                { "no-passthrough", no_argument, NULL, OPT_NO_PASSTHROUGH },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        static const int stdio_fds[] = { 0, 1, 2 };
        json_auto_t *params = json_object(), *env = json_array(), *cmd = json_array();
        _cleanup_free_ char *exec_id = NULL;
        const char *detach_keys = NULL;
        bool interactive = false, tty = false, detach = false, passthrough = true;
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
                case OPT_NO_PASSTHROUGH:
                        passthrough = false;
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

        /* Our own stdio goes to the process: no relay at all (a terminal
         * on stdout keeps the framed path, which knows about ttys). */
        passthrough = passthrough && !tty && !detach && !isatty(STDOUT_FILENO) &&
                      fcntl(STDOUT_FILENO, F_GETFD) >= 0 && fcntl(STDERR_FILENO, F_GETFD) >= 0 &&
                      (!interactive || fcntl(STDIN_FILENO, F_GETFD) >= 0);
        if (passthrough) {
                if (json_object_set_new(params, "passthrough", json_true()) < 0 ||
                    client_connect(cl) < 0)
                        return EXIT_USAGE;
                cl->conn->pass_fds = interactive ? stdio_fds : stdio_fds + 1;
                cl->conn->n_pass_fds = interactive ? 3 : 2;
        }
        r = exec_call(cl, "container.exec", params, &exec_id, NULL);
        if (r != 0)
                return r;
        if (detach) {
                printf("%s\n", exec_id);
                return 0;
        }
        con.tty = tty;
        con.send_stdin = interactive && !passthrough;
        return exec_stream(cl, &con, exec_id);
}

static int
exec_attach(struct client *cl, int argc, char **argv)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        _cleanup_free_ char *exec_id = NULL;
        json_auto_t *params = NULL;
        struct args_attach o;
        struct console con = {};
        int r;

        r = args_parse_attach(argc, argv, "exec attach", "an exec id", &o, &err);
        if (r != 0)
                return parse_exit(r, err, "Usage: containerctl exec attach [--no-stdin] "
                                  "[--detach-keys KEYS] EXEC\n");
        if (console_init(&con, o.detach_keys) != 0)
                return EXIT_USAGE;
        params = json_pack("{s:s, s:b}", "exec", argv[optind], "stdin", !o.no_stdin);
        if (!params || (isatty(STDIN_FILENO) && console_add_size(params, true) < 0))
                return EXIT_USAGE;
        r = exec_call(cl, "exec.attach", params, &exec_id, &con.tty);
        if (r != 0)
                return r;
        con.send_stdin = !o.no_stdin;
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
        static const char *const headers[] = {
                "EXEC ID", "COMMAND", "TTY", "PID", "STATUS", "CREATED", NULL,
        };
        static const struct list_cmd cmd = {
                .usage = "Usage: containerctl exec ls [-q|--quiet] [--json] CONTAINER\n",
                .arg_key = "container",
                .arg_error = "exec ls requires exactly 1 argument (a container)",
                .method = "exec.list", .key = "execs", .id_key = "exec_id",
                .headers = headers, .add_row = exec_ls_row,
        };

        return list_command(cl, argc, argv, &cmd);
}

static int
exec_kill(struct client *cl, int argc, char **argv)
{
        static const struct target_cmd cmd = {
                .name = "exec kill", .option = ARGS_OPT_SIGNAL, .target = "EXEC",
                .what = "an exec id", .method = "exec.kill", .key = "exec",
        };

        return target_command(cl, argc, argv, &cmd, NULL);
}

static int
exec_rm(struct client *cl, int argc, char **argv)
{
        static const struct target_cmd cmd = {
                .name = "exec rm", .option = ARGS_OPT_FORCE, .target = "EXEC",
                .what = "an exec id", .method = "exec.remove", .key = "exec",
        };

        return target_command(cl, argc, argv, &cmd, NULL);
}

static int
exec_inspect(struct client *cl, int argc, char **argv)
{
        static const struct target_cmd cmd = {
                .name = "exec inspect", .option = ARGS_NO_OPTION, .target = "EXEC",
                .what = "an exec id", .method = "exec.inspect", .key = "exec", .collect = true,
        };

        return target_command(cl, argc, argv, &cmd, NULL);
}

int
cmd_exec(struct client *cl, int argc, char **argv)
{
        /* Listed by print_exec_help(). */
        static const struct command subs[] = {
                { "ls", exec_ls, NULL, NULL },
                { "list", exec_ls, NULL, NULL },
                { "attach", exec_attach, NULL, NULL },
                { "kill", exec_kill, NULL, NULL },
                { "rm", exec_rm, NULL, NULL },
                { "inspect", exec_inspect, NULL, NULL },
        };
        const struct command *sub = NULL;

        /* A subcommand word right after "exec"; a container with such a
         * name is reached with an option or "--" first (exec -- ls cat). */
        if (argc > 1)
                sub = command_find(subs, ARRAY_SIZE(subs), argv[1]);
        if (sub)
                return sub->fn(cl, argc - 1, argv + 1);
        return exec_run(cl, argc, argv);
}
