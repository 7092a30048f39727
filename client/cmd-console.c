/* attach and logs: the commands that connect to a running container's
 * console or to its log, and the exit code at the end of every attached
 * stream. The stream itself is stream.c; terminal and detach-keys
 * handling is console.c. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client/args.h"
#include "client/commands.h"
#include "common/parse.h"

int
container_console_config(struct client *cl, const char *ref, bool *ret_tty, bool *ret_open_stdin)
{
        json_auto_t *params = json_pack("{s:s}", "container", ref), *result = NULL;
        json_t *config;

        if (!params || client_call(cl, "container.inspect", params, &result) < 0)
                return -EIO;
        config = json_object_get(result, "config");
        if (ret_tty)
                *ret_tty = json_is_true(json_object_get(config, "tty"));
        if (ret_open_stdin)
                *ret_open_stdin = json_is_true(json_object_get(config, "open_stdin"));
        return 0;
}

int
stream_exit_code(struct client *cl, const struct console *con,
                 int (*lost)(struct client *cl, const char *id), const char *id,
                 enum stream_end *ret_end)
{
        int code = EXIT_USAGE;
        int end = console_run(cl, cl->conn, con, &code);

        /* After frames the connection is no longer JSON-RPC. */
        conn_free(cl->conn);
        cl->conn = NULL;
        if (ret_end)
                *ret_end = end;
        switch (end) {
        case STREAM_EXITED:
                return code;
        case STREAM_DETACHED:
                return 0;
        default:
                return lost(cl, id);
        }
}

/* Exit code of a container whose stream ended without an EXIT frame
 * (daemon restart, connection lost): it is still recorded. */
static int
wait_exit_code(struct client *cl, const char *id)
{
        json_auto_t *params = json_pack("{s:s}", "container", id), *result = NULL;

        if (!params || client_call_once(cl, "container.wait", params, &result) < 0)
                return EXIT_USAGE;
        return exit_code_from_result(result);
}

int
attached_exit_code(struct client *cl, struct console *con, const char *id,
                   enum stream_end *ret_end)
{
        con->kill_method = "container.kill";
        con->kill_key = "container";
        con->kill_target = id;
        return stream_exit_code(cl, con, wait_exit_code, id, ret_end);
}

enum {
        OPT_SINCE = 0x100,
        OPT_UNTIL,
};

int
cmd_attach(struct client *cl, int argc, char **argv)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        _cleanup_free_ char *id = NULL;
        json_auto_t *params = NULL;
        struct args_attach o;
        struct console con = {};
        struct proto_reply reply;
        json_t *v;
        int r;

        r = args_parse_attach(argc, argv, "attach", "a container", &o, &err);
        if (r != 0)
                return parse_exit(r, err, "Usage: containerctl attach [--no-stdin] [--detach-keys KEYS] "
                                  "CONTAINER\n");
        if (console_init(&con, o.detach_keys) != 0)
                return EXIT_USAGE;

        params = json_pack("{s:s}", "container", argv[optind]);
        if (!params || (o.no_stdin && json_object_set_new(params, "stdin", json_false()) < 0))
                return EXIT_USAGE;
        /* The tty is not known before the reply; the size only matters
         * with one, and the monitor ignores it otherwise. */
        if (isatty(STDIN_FILENO) && console_add_size(params, true) < 0)
                return EXIT_USAGE;
        r = client_call_checked(cl, "container.attach", params, NULL, NULL, &reply);
        if (r != 0)
                return r;
        id = strdup(json_str(reply.result, "id") ?: argv[optind]);
        con.tty = json_is_true(json_object_get(reply.result, "tty"));
        /* A daemon that says whether stdin is open saves us a raw terminal
         * for a container that reads nothing. */
        v = json_object_get(reply.result, "stdin");
        con.send_stdin = !o.no_stdin && (!json_is_boolean(v) || json_is_true(v));
        proto_reply_clear(&reply);
        if (!id)
                return EXIT_USAGE;
        return attached_exit_code(cl, &con, id, NULL);
}

static int
print_logs_help(void)
{
        printf("Usage: containerctl logs [OPTIONS] CONTAINER\n\n"
               "Options:\n"
               "  -f, --follow         keep printing new output until the container exits\n"
               "  -n, --tail N         only the last N records (default: all)\n"
               "      --since TIME     records from TIME on (RFC 3339, unix seconds, or a\n"
               "                       duration before now such as 10m, 1h30m)\n"
               "      --until TIME     records before TIME (same forms)\n"
               "  -t, --timestamps     prefix each record with its RFC 3339 timestamp\n");
        return 0;
}

static int
add_log_time(json_t *params, const char *key, const char *value)
{
        _cleanup_free_ char *v = NULL;

        if (args_parse_log_time(value, (int64_t) time(NULL), &v) < 0)
                return usage_error("logs: invalid --%s '%s'", key, value);
        if (json_object_set_new(params, key, json_string(v)) < 0)
                return usage_error("logs: invalid --%s '%s'", key, value);
        return 0;
}

static int
log_stream_lost(struct client *cl, const char *id)
{
        fprintf(stderr, "Error: containerctld ended the log stream early\n");
        return EXIT_USAGE;
}

int
cmd_logs(struct client *cl, int argc, char **argv)
{
        static const struct option options[] = {
                { "follow", no_argument, NULL, 'f' },
                { "tail", required_argument, NULL, 'n' },
                { "since", required_argument, NULL, OPT_SINCE },
                { "until", required_argument, NULL, OPT_UNTIL },
                { "timestamps", no_argument, NULL, 't' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        json_auto_t *params = json_object();
        struct console con = {}; /* no stdin, no tty, no signal forwarding */
        struct proto_reply reply;
        int64_t tail;
        int c, r;

        if (!params)
                return EXIT_USAGE;
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:fn:th", options, NULL)) >= 0)
                switch (c) {
                case 'f':
                        json_object_set_new(params, "follow", json_true());
                        break;
                case 'n':
                        if (strcmp(optarg, "all") == 0)
                                tail = -1;
                        else if (parse_int_range(optarg, -1, INT32_MAX, &tail) < 0)
                                return usage_error("logs: invalid --tail '%s' (a number, or all)",
                                                   optarg);
                        json_object_set_new(params, "tail", json_integer(tail));
                        break;
                case OPT_SINCE:
                case OPT_UNTIL:
                        if (add_log_time(params, c == OPT_SINCE ? "since" : "until", optarg) != 0)
                                return EXIT_USAGE;
                        break;
                case 't':
                        json_object_set_new(params, "timestamps", json_true());
                        break;
                case 'h':
                        return print_logs_help();
                default:
                        return option_error(argv, c);
                }
        if (argc - optind != 1)
                return usage_error("logs requires exactly 1 argument (a container)");
        json_object_set_new(params, "container", json_string(argv[optind]));

        r = client_call_checked(cl, "container.logs", params, NULL, NULL, &reply);
        if (r != 0)
                return r;
        proto_reply_clear(&reply);
        /* No detach keys: the stream ends with its EXIT frame or early. */
        return stream_exit_code(cl, &con, log_stream_lost, argv[optind], NULL);
}
