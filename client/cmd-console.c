/* attach and logs: the commands that connect to a running container's
 * console or to its log. The stream itself is stream.c; terminal and
 * detach-keys handling is console.c. */
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

enum {
        OPT_NO_STDIN = 0x100,
        OPT_DETACH_KEYS,
        OPT_SINCE,
        OPT_UNTIL,
};

int
cmd_attach(struct client *cl, int argc, char **argv)
{
        static const struct option options[] = {
                { "no-stdin", no_argument, NULL, OPT_NO_STDIN },
                { "detach-keys", required_argument, NULL, OPT_DETACH_KEYS },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        json_auto_t *params = NULL;
        struct console con = {};
        struct proto_reply reply;
        const char *detach_keys = NULL, *id;
        _cleanup_free_ char *id_copy = NULL;
        bool no_stdin = false;
        json_t *v;
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
                        printf("Usage: containerctl attach [--no-stdin] [--detach-keys KEYS] "
                               "CONTAINER\n");
                        return 0;
                default:
                        return option_error(argv, c);
                }
        if (argc - optind != 1)
                return usage_error("attach requires exactly 1 argument (a container)");
        if (console_init(&con, detach_keys) != 0)
                return EXIT_USAGE;

        params = json_pack("{s:s}", "container", argv[optind]);
        if (!params || (no_stdin && json_object_set_new(params, "stdin", json_false()) < 0))
                return EXIT_USAGE;
        /* The tty is not known before the reply; the size only matters
         * with one, and the monitor ignores it otherwise. */
        if (isatty(STDIN_FILENO) && console_add_size(params, true) < 0)
                return EXIT_USAGE;
        r = client_call_reply(cl, "container.attach", params, NULL, NULL, &reply);
        if (r < 0)
                return EXIT_USAGE;
        if (reply.is_error) {
                client_print_reply_error(&reply);
                proto_reply_clear(&reply);
                return EXIT_USAGE;
        }
        id = json_str(reply.result, "id");
        id_copy = strdup(id ? id : argv[optind]);
        con.tty = json_is_true(json_object_get(reply.result, "tty"));
        /* A daemon that says whether stdin is open saves us a raw terminal
         * for a container that reads nothing. */
        v = json_object_get(reply.result, "stdin");
        con.send_stdin = !no_stdin && (!json_is_boolean(v) || json_is_true(v));
        con.kill_method = "container.kill";
        con.kill_key = "container";
        con.kill_target = id_copy;
        proto_reply_clear(&reply);
        if (!id_copy)
                return EXIT_USAGE;

        r = attached_exit_code(cl, cl->conn, &con, id_copy, NULL);
        conn_free(cl->conn);
        cl->conn = NULL;
        return r;
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
        int c, r, code = EXIT_USAGE;

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

        r = client_call_reply(cl, "container.logs", params, NULL, NULL, &reply);
        if (r < 0)
                return EXIT_USAGE;
        if (reply.is_error) {
                client_print_reply_error(&reply);
                proto_reply_clear(&reply);
                return EXIT_USAGE;
        }
        proto_reply_clear(&reply);
        r = console_run(cl, cl->conn, &con, &code);
        conn_free(cl->conn);
        cl->conn = NULL;
        if (r != STREAM_EXITED) {
                fprintf(stderr, "Error: containerctld ended the log stream early\n");
                return EXIT_USAGE;
        }
        return code;
}
