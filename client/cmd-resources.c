/* Resource commands: stats, update, pause, unpause. stats reads the
 * container.stats stream (notifications after the reply, one per
 * interval, see PROTOCOL.md) and draws a table, refreshed in place on a
 * terminal; the daemon computes CPU % from its own successive reads. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client/args-resources.h"
#include "client/commands.h"
#include "client/format.h"
#include "client/output.h"
#include "common/id.h"

int
cmd_pause(struct client *cl, int argc, char **argv)
{
        static const struct target_cmd cmd = {
                .name = "pause", .option = ARGS_NO_OPTION, .target = "CONTAINER",
                .what = "a container", .method = "container.pause", .key = "container",
        };

        return target_command(cl, argc, argv, &cmd, NULL);
}

int
cmd_unpause(struct client *cl, int argc, char **argv)
{
        static const struct target_cmd cmd = {
                .name = "unpause", .option = ARGS_NO_OPTION, .target = "CONTAINER",
                .what = "a container", .method = "container.resume", .key = "container",
        };

        return target_command(cl, argc, argv, &cmd, NULL);
}

int
cmd_update(struct client *cl, int argc, char **argv)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        json_auto_t *limits = NULL, *extra = NULL;
        int r;

        r = args_parse_update(argc, argv, &limits, &err);
        if (r != 0)
                return parse_exit(r, err,
                                  "Usage: containerctl update [OPTIONS] CONTAINER...\n\n"
                                  "Change the resource limits of created or running containers; "
                                  "a running\ncontainer gets them at once, all or none.\n\n"
                                  "Options:\n%s",
                                  args_resource_help);
        extra = json_pack("{s:O}", "limits", limits);
        if (!extra)
                return EXIT_USAGE;
        return client_call_each(cl, argv + optind, argc - optind, "container.update", "container",
                                extra, NULL, NULL);
}

/* ---- stats ---- */

static uint64_t
u64_at(json_t *sample, const char *section, const char *key, bool *ret_present)
{
        json_t *v = json_object_get(json_object_get(sample, section), key);

        if (ret_present)
                *ret_present = json_is_integer(v);
        return json_is_integer(v) ? (uint64_t) json_integer_value(v) : 0;
}

/* "1.5MiB / 64MiB" (binary, as docker stats shows memory). */
static void
pair_binary(uint64_t a, uint64_t b, char *buf, size_t size)
{
        char x[32], y[32];

        format_size_binary(a, "", x, sizeof(x));
        format_size_binary(b, "", y, sizeof(y));
        snprintf(buf, size, "%s / %s", x, y);
}

/* "1.2kB / 648B" (decimal, as docker stats shows I/O). */
static void
pair_decimal(uint64_t a, uint64_t b, char *buf, size_t size)
{
        char x[32], y[32];

        format_size(a, x, sizeof(x));
        format_size(b, y, sizeof(y));
        snprintf(buf, size, "%s / %s", x, y);
}

static int
stats_row(struct table *t, json_t *s, uint64_t host_memory)
{
        char id[ID_SHORT_LEN + 1] = "", cpu[32] = "--", mem[80] = "--", memp[32] = "--",
             net[80] = "--", io[80] = "--", pids[32] = "--";
        const char *name = json_str(s, "name");
        json_t *cpu_pct = json_object_get(s, "cpu_percent");
        bool has, has_limit;
        uint64_t usage, limit;

        snprintf(id, sizeof(id), "%s", json_str(s, "id") ?: "");
        if (json_is_number(cpu_pct))
                snprintf(cpu, sizeof(cpu), "%.2f%%", json_number_value(cpu_pct));
        usage = u64_at(s, "memory", "usage", &has);
        limit = u64_at(s, "memory", "limit", &has_limit);
        if (!has_limit)
                limit = host_memory;
        if (has) {
                pair_binary(usage, limit, mem, sizeof(mem));
                if (limit > 0)
                        snprintf(memp, sizeof(memp), "%.2f%%", (double) usage * 100.0 / (double) limit);
        }
        if (json_object_get(s, "net"))
                pair_decimal(u64_at(s, "net", "rx_bytes", NULL), u64_at(s, "net", "tx_bytes", NULL),
                             net, sizeof(net));
        if (json_object_get(s, "io"))
                pair_decimal(u64_at(s, "io", "read_bytes", NULL), u64_at(s, "io", "write_bytes", NULL),
                             io, sizeof(io));
        usage = u64_at(s, "pids", "current", &has);
        if (has)
                snprintf(pids, sizeof(pids), "%llu", (unsigned long long) usage);
        /* Not running: the CPU column says what it is instead. */
        if (strcmp(json_str(s, "state") ?: "", "paused") == 0)
                snprintf(cpu, sizeof(cpu), "paused");
        else if (strcmp(json_str(s, "state") ?: "", "running") != 0)
                snprintf(cpu, sizeof(cpu), "%s", json_str(s, "state") ?: "--");
        return table_add_row(t, (const char *const[]) { id, name, cpu, mem, memp, net, io, pids });
}

static int
print_stats(json_t *params, const struct args_stats *o, bool redraw)
{
        static const char *const headers[] = {
                "CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O",
                "BLOCK I/O", "PIDS", NULL,
        };
        _cleanup_(table_freep) struct table *t = NULL;
        json_t *arr = json_object_get(params, "stats"), *s;
        uint64_t host_memory;
        size_t i;

        host_memory = json_is_integer(json_object_get(params, "host_memory"))
                              ? (uint64_t) json_integer_value(json_object_get(params, "host_memory"))
                              : 0;
        if (o->json) {
                json_array_foreach (arr, i, s) {
                        _cleanup_free_ char *line = NULL;
                        json_t *copy = json_copy(s);
                        if (!copy)
                                return -ENOMEM;
                        json_object_set(copy, "time", json_object_get(params, "time"));
                        line = json_dumps(copy, JSON_COMPACT);
                        json_decref(copy);
                        if (line)
                                printf("%s\n", line);
                }
                fflush(stdout);
                return 0;
        }
        t = table_new(headers);
        if (!t)
                return -ENOMEM;
        json_array_foreach (arr, i, s)
                if (stats_row(t, s, host_memory) < 0)
                        return -ENOMEM;
        /* Home and clear to the end: the table is redrawn in place. */
        if (redraw)
                fputs("\033[H\033[J", stdout);
        table_print(t, stdout);
        fflush(stdout);
        return 0;
}

int
cmd_stats(struct client *cl, int argc, char **argv)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        json_auto_t *params = NULL;
        struct args_stats o;
        struct proto_reply reply;
        bool redraw;
        int r;

        r = args_parse_stats(argc, argv, &o, &err);
        if (r != 0)
                return parse_exit(r, err,
                                  "Usage: containerctl stats [OPTIONS] [CONTAINER...]\n\n"
                                  "Show the resource use of running containers (all of them "
                                  "when none is named).\n\n"
                                  "Options:\n"
                                  "  -a, --all        also show containers that are not running\n"
                                  "      --no-stream  print one sample and exit (also when "
                                  "stdout is not a terminal)\n"
                                  "      --json       one JSON object per container and sample\n");
        /* Not a terminal: one sample, as a script wants it. */
        if (!isatty(STDOUT_FILENO) && !o.json)
                o.no_stream = true;
        redraw = !o.no_stream && !o.json;
        /* Even one sample is a short stream: CPU % needs two reads. */
        params = json_pack("{s:b,s:b,s:i}", "all", o.all, "stream", 1, "interval_ms",
                           o.no_stream ? 500 : 1000);
        if (!params)
                return EXIT_USAGE;
        if (optind < argc) {
                json_t *a = json_array();
                if (!a || json_object_set_new(params, "containers", a) < 0)
                        return EXIT_USAGE;
                for (int i = optind; i < argc; i++)
                        if (json_array_append_new(a, json_string(argv[i])) < 0)
                                return usage_error("stats: '%s' is not valid UTF-8", argv[i]);
        }
        r = client_call_checked(cl, "container.stats", params, NULL, NULL, &reply);
        if (r != 0)
                return r;
        proto_reply_clear(&reply);
        for (;;) {
                r = client_next_notification(cl, &reply);
                if (r <= 0)
                        return r < 0 ? EXIT_USAGE : 0;
                if (strcmp(reply.method, "container.stats") == 0)
                        r = print_stats(reply.params, &o, redraw);
                proto_reply_clear(&reply);
                if (r < 0)
                        return EXIT_USAGE;
                if (o.no_stream)
                        return 0;
        }
}
