/* Unit tests for client/args-resources.c: Docker's size syntax, each limit
 * flag into the "limits" object (and the errors naming flag and value),
 * the cross-flag checks, `run`/`create` carrying the limits into the
 * container.create params, and the `update` and `stats` options. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client/args-resources.h"
#include "client/args.h"
#include "common/macros.h"
#include "tests/unit/tap.h"

#define ARGC(a) ((int) (sizeof(a) / sizeof((a)[0])) - 1)

static void
test_sizes(void)
{
        static const struct {
                const char *s;
                int64_t want;
        } good[] = {
                { "4096", 4096 },         { "512b", 512 },           { "512B", 512 },
                { "1k", 1024 },           { "1kb", 1024 },           { "1KiB", 1024 },
                { "64m", 64 << 20 },      { "64M", 64 << 20 },       { "64mb", 64 << 20 },
                { "64MiB", 64 << 20 },    { "2g", 2LL << 30 },       { "1.5g", 3LL << 29 },
                { "64 m", 64 << 20 },     { "1t", 1LL << 40 },       { "0", 0 },
        };
        static const char *const bad[] = { "", "12q", "m", "-1", "1.m", "1..5m", "64mm", "64 ",
                                           "1e3", "99999999999999999999", "9000p", " 1m", "1bb" };
        int64_t v;

        for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
                v = -7;
                ok(args_parse_ram_size(good[i].s, &v) == 0 && v == good[i].want, "size '%s' = %lld (got %lld)",
                   good[i].s, (long long) good[i].want, (long long) v);
        }
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                ok(args_parse_ram_size(bad[i], &v) < 0, "size '%s' refused", bad[i]);
}

/* One flag: returns the error message (malloc'd) or NULL, and the limits. */
static char *
apply(int c, const char *arg, long cpus, json_t **limits)
{
        struct ctr_error *err = NULL;
        char *msg = NULL;
        int r = args_resource_opt(limits, c, arg, cpus, &err);

        if (r < 0)
                msg = strdup(err ? err->message : "(no message)");
        ctr_error_free(err);
        return msg;
}

static void
good_flag(int c, const char *arg, const char *key, json_t *want)
{
        json_t *limits = NULL;
        char *msg = apply(c, arg, 4, &limits);

        ok(!msg && json_equal(json_object_get(limits, key), want), "'%s' -> %s", arg, key);
        if (msg)
                printf("#   %s\n", msg);
        free(msg);
        json_decref(limits);
        json_decref(want);
}

static void
bad_flag(int c, const char *arg, const char *needle)
{
        json_t *limits = NULL;
        char *msg = apply(c, arg, 4, &limits);

        ok(msg && strstr(msg, needle) && !limits, "'%s' refused: %s", arg, msg ? msg : "(accepted)");
        free(msg);
        json_decref(limits);
}

static void
test_flags(void)
{
        good_flag('m', "64m", "memory", json_integer(64 << 20));
        good_flag(ARGS_OPT_MEMORY_SWAP, "-1", "memory_swap", json_integer(-1));
        good_flag(ARGS_OPT_MEMORY_SWAP, "128m", "memory_swap", json_integer(128 << 20));
        good_flag(ARGS_OPT_MEMORY_RESERVATION, "32m", "memory_reservation", json_integer(32 << 20));
        good_flag(ARGS_OPT_CPUS, "0.5", "cpus", json_real(0.5));
        good_flag(ARGS_OPT_CPUS, "4", "cpus", json_real(4));
        good_flag('c', "512", "cpu_shares", json_integer(512));
        good_flag(ARGS_OPT_CPU_PERIOD, "50000", "cpu_period", json_integer(50000));
        good_flag(ARGS_OPT_CPU_QUOTA, "25000", "cpu_quota", json_integer(25000));
        good_flag(ARGS_OPT_CPU_QUOTA, "-1", "cpu_quota", json_integer(-1));
        good_flag(ARGS_OPT_CPUSET_CPUS, "0-1,3", "cpuset_cpus", json_string("0-1,3"));
        good_flag(ARGS_OPT_CPUSET_MEMS, "0", "cpuset_mems", json_string("0"));
        good_flag(ARGS_OPT_PIDS_LIMIT, "50", "pids_limit", json_integer(50));
        good_flag(ARGS_OPT_PIDS_LIMIT, "0", "pids_limit", json_integer(-1));
        good_flag(ARGS_OPT_PIDS_LIMIT, "-1", "pids_limit", json_integer(-1));
        good_flag(ARGS_OPT_BLKIO_WEIGHT, "500", "blkio_weight", json_integer(500));

        bad_flag('m', "12q", "invalid --memory '12q'");
        bad_flag('m', "-5m", "invalid --memory '-5m'");
        bad_flag('m', "0", "invalid --memory '0'");
        bad_flag(ARGS_OPT_MEMORY_SWAP, "-2", "--memory-swap");
        /* Negative sizes: only a bare -1 means unlimited, and only for swap. */
        bad_flag(ARGS_OPT_MEMORY_SWAP, "-1g", "invalid --memory-swap '-1g'");
        bad_flag(ARGS_OPT_MEMORY_SWAP, "-5m", "or -1 for unlimited");
        bad_flag(ARGS_OPT_MEMORY_RESERVATION, "-1", "invalid --memory-reservation '-1'");
        bad_flag(ARGS_OPT_MEMORY_RESERVATION, "-5m", "invalid --memory-reservation '-5m'");
        bad_flag('m', "-1", "invalid --memory '-1'");
        bad_flag(ARGS_OPT_CPUS, "0", "invalid --cpus '0'");
        bad_flag(ARGS_OPT_CPUS, "-1", "invalid --cpus");
        bad_flag(ARGS_OPT_CPUS, "abc", "invalid --cpus");
        bad_flag(ARGS_OPT_CPUS, "1e2", "invalid --cpus");
        bad_flag(ARGS_OPT_CPUS, "5", "this host has 4 CPUs");
        bad_flag('c', "1", "invalid --cpu-shares '1'");
        bad_flag(ARGS_OPT_CPU_PERIOD, "10", "--cpu-period");
        bad_flag(ARGS_OPT_CPU_QUOTA, "-2", "--cpu-quota");
        bad_flag(ARGS_OPT_CPUSET_CPUS, "1-0", "invalid --cpuset-cpus '1-0'");
        bad_flag(ARGS_OPT_CPUSET_CPUS, "a", "--cpuset-cpus");
        bad_flag(ARGS_OPT_CPUSET_CPUS, "", "--cpuset-cpus");
        bad_flag(ARGS_OPT_CPUSET_CPUS, "0,", "--cpuset-cpus");
        bad_flag(ARGS_OPT_CPUSET_MEMS, "0-", "--cpuset-mems");
        bad_flag(ARGS_OPT_PIDS_LIMIT, "-2", "--pids-limit");
        bad_flag(ARGS_OPT_PIDS_LIMIT, "lots", "--pids-limit");
        bad_flag(ARGS_OPT_BLKIO_WEIGHT, "5", "--blkio-weight");
}

static char *
check(const char *json)
{
        json_t *limits = json_loads(json, 0, NULL);
        struct ctr_error *err = NULL;
        char *msg = NULL;

        if (args_resource_check(limits, &err) < 0)
                msg = strdup(err ? err->message : "?");
        ctr_error_free(err);
        json_decref(limits);
        return msg;
}

static void
test_check(void)
{
        char *m;

        ok(!(m = check("{\"memory\":67108864,\"memory_swap\":134217728}")), "swap above memory");
        free(m);
        ok(!(m = check("{\"memory_swap\":-1}")), "unlimited swap alone");
        free(m);
        m = check("{\"memory\":67108864,\"memory_swap\":1048576}");
        ok(m && strstr(m, "at least --memory"), "swap below memory: %s", m ? m : "");
        free(m);
        ok((m = check("{\"memory_swap\":1048576}")) && strstr(m, "needs --memory"), "swap alone");
        free(m);
        ok((m = check("{\"memory\":1048576,\"memory_reservation\":2097152}")) &&
                   strstr(m, "reservation"),
           "reservation above memory");
        free(m);
        ok((m = check("{\"cpus\":1.0,\"cpu_quota\":50000}")) && strstr(m, "--cpus"), "cpus and quota");
        free(m);
}

static void
test_create(void)
{
        char *a1[] = { "run", "-d", "-m", "64m", "--memory-swap", "64m", "--cpus", "0.5",
                       "--pids-limit", "50", "-c", "512", "busybox", "sh", "-m", NULL };
        char *a2[] = { "run", "--memory", "12q", "busybox", NULL };
        char *a3[] = { "create", "--memory-swap", "1m", "--memory", "64m", "busybox", NULL };
        struct ctr_error *err = NULL;
        struct create_opts o;
        json_t *params;
        int r;

        r = args_parse_create(ARGC(a1), a1, true, &o, &err);
        ok(r == 0 && o.limits, "run with limits parses");
        if (r == 0) {
                params = create_opts_to_params(&o, &err);
                ok(params && json_integer_value(json_object_get(
                                     json_object_get(params, "limits"), "memory")) == 64 << 20,
                   "params.limits.memory");
                ok(json_integer_value(json_object_get(json_object_get(params, "limits"),
                                                      "pids_limit")) == 50,
                   "params.limits.pids_limit");
                ok(o.n_command == 2 && strcmp(o.command[1], "-m") == 0,
                   "-m after the image stays the container's");
                json_decref(params);
                create_opts_done(&o);
        }
        ctr_error_free(err);
        err = NULL;
        r = args_parse_create(ARGC(a2), a2, true, &o, &err);
        ok(r == -EINVAL && err && strstr(err->message, "--memory '12q'"), "run --memory 12q: %s",
           err ? err->message : "");
        ctr_error_free(err);
        err = NULL;
        r = args_parse_create(ARGC(a3), a3, false, &o, &err);
        ok(r == -EINVAL && err && strstr(err->message, "at least --memory"),
           "create: swap below memory, flags in any order");
        ctr_error_free(err);
}

static void
test_update(void)
{
        char *a1[] = { "update", "--memory", "128m", "--cpus", "1", "web", "db", NULL };
        char *a2[] = { "update", "web", NULL };
        char *a3[] = { "update", "-m", "64m", NULL };
        char *a4[] = { "update", "--bogus", "1", "web", NULL };
        char *a5[] = { "update", "--help", NULL };
        char *a6[] = { "update", "--memory-swap", "256m", "web", NULL };
        char *a7[] = { "update", "-m", "128m", "--memory-swap", "64m", "web", NULL };
        char *a8[] = { "run", "--memory-swap", "256m", "busybox", NULL };
        struct create_opts o;
        struct ctr_error *err = NULL;
        json_t *limits = NULL;
        int r;

        r = args_parse_update(ARGC(a1), a1, &limits, &err);
        ok(r == 0 && limits && optind == 5 && json_object_size(limits) == 2, "update parses");
        json_decref(limits);
        limits = NULL;
        r = args_parse_update(ARGC(a2), a2, &limits, &err);
        ok(r == -EINVAL && err && strstr(err->message, "at least one limit"), "update without a flag");
        ctr_error_free(err);
        err = NULL;
        r = args_parse_update(ARGC(a3), a3, &limits, &err);
        ok(r == -EINVAL && err && strstr(err->message, "requires at least 1 argument"),
           "update without a container");
        ctr_error_free(err);
        err = NULL;
        r = args_parse_update(ARGC(a4), a4, &limits, &err);
        ok(r == -EINVAL && err && strstr(err->message, "unknown option"), "update --bogus");
        ctr_error_free(err);
        err = NULL;
        ok(args_parse_update(ARGC(a5), a5, &limits, &err) == 1, "update --help");
        /* The daemon pairs a new swap limit with the memory limit in
         * force: the client must not insist on --memory. */
        limits = NULL;
        r = args_parse_update(ARGC(a6), a6, &limits, &err);
        ok(r == 0 && json_integer_value(json_object_get(limits, "memory_swap")) == 256 << 20 &&
                   !json_object_get(limits, "memory"),
           "update --memory-swap alone: %s", err ? err->message : "ok");
        json_decref(limits);
        ctr_error_free(err);
        err = NULL;
        limits = NULL;
        r = args_parse_update(ARGC(a7), a7, &limits, &err);
        ok(r == -EINVAL && err && strstr(err->message, "at least --memory"),
           "update: swap below memory, both given");
        ctr_error_free(err);
        err = NULL;
        /* run and create have no limit in force to pair with. */
        r = args_parse_create(ARGC(a8), a8, true, &o, &err);
        ok(r == -EINVAL && err && strstr(err->message, "needs --memory"),
           "run --memory-swap alone still refused: %s", err ? err->message : "accepted");
        if (r == 0)
                create_opts_done(&o);
        ctr_error_free(err);
}

static void
test_stats(void)
{
        char *a1[] = { "stats", "web", "--no-stream", "--json", "-a", NULL };
        char *a2[] = { "stats", "--stream", NULL };
        struct ctr_error *err = NULL;
        struct args_stats s;

        ok(args_parse_stats(ARGC(a1), a1, &s, &err) == 0 && s.no_stream && s.json && s.all &&
                   optind == 4 && strcmp(a1[optind], "web") == 0,
           "stats options after the container");
        ok(args_parse_stats(ARGC(a2), a2, &s, &err) == -EINVAL, "stats --stream refused");
        ctr_error_free(err);
}

int
main(void)
{
        test_sizes();
        test_flags();
        test_check();
        test_create();
        test_update();
        test_stats();
        return tap_done();
}
