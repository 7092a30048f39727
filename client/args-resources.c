/* Parsing of the resource-limit flags (run, create, update) into the
 * "limits" object of the API, and of the `stats` options. Each flag maps
 * to one key; sizes and CPU counts are turned into plain integers and
 * numbers here, so the daemon sees one spelling of each value. Prints
 * nothing. */
#include "client/args-resources.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/args.h"
#include "common/macros.h"
#include "common/parse.h"

const char args_resource_help[] =
        "  -m, --memory SIZE        memory limit (b, k, m, g: 64m; at least 6m)\n"
        "      --memory-swap SIZE   memory plus swap limit; -1: unlimited swap\n"
        "      --memory-reservation SIZE  soft memory limit\n"
        "      --cpus N             number of CPUs, decimals allowed (0.5)\n"
        "  -c, --cpu-shares N       relative CPU weight (2-262144, default 1024)\n"
        "      --cpu-period US      CFS period in microseconds (1000-1000000)\n"
        "      --cpu-quota US       CFS quota in microseconds per period; -1: none\n"
        "      --cpuset-cpus LIST   CPUs the container may use (0-1,3)\n"
        "      --cpuset-mems LIST   memory nodes the container may use (0)\n"
        "      --pids-limit N       most processes at once; -1 or 0: unlimited\n"
        "      --blkio-weight N     relative block I/O weight (10-1000)\n";

int
args_parse_ram_size(const char *s, int64_t *ret)
{
        static const char units[] = "bkmgtp";
        const char *p = s, *u;
        long double whole = 0, frac = 0, scale = 1, mult = 1;
        bool digits = false;

        for (; *p >= '0' && *p <= '9'; p++, digits = true)
                whole = whole * 10 + (*p - '0');
        if (*p == '.') {
                bool fdigits = false;
                for (p++; *p >= '0' && *p <= '9'; p++, fdigits = true) {
                        frac = frac * 10 + (*p - '0');
                        scale *= 10;
                }
                if (!fdigits)
                        return -EINVAL;
        }
        if (!digits)
                return -EINVAL;
        /* "64 m", not "64 ": a space only before a unit. */
        if (*p == ' ' && p[1])
                p++;
        if (*p && (u = strchr(units, *p | 0x20))) {
                for (long i = 0; i < u - units; i++)
                        mult *= 1024;
                p++;
                /* "kib", "kb", "ki": the unit is binary in every spelling,
                 * as Docker's RAMInBytes reads it. */
                if (u != units && (*p | 0x20) == 'i')
                        p++;
                if (u != units && (*p | 0x20) == 'b')
                        p++;
        }
        if (*p)
                return -EINVAL;
        whole = (whole + frac / scale) * mult;
        if (whole >= 9.2e18L)
                return -ERANGE;
        *ret = (int64_t) whole;
        return 0;
}

bool
args_is_resource_opt(int c)
{
        return c == 'm' || c == 'c' || (c >= ARGS_OPT_MEMORY_SWAP && c <= ARGS_OPT_BLKIO_WEIGHT);
}

/* "0-3,5": comma-separated numbers or ascending ranges. */
static bool
cpuset_is_valid(const char *s)
{
        const char *p = s;

        if (!*p)
                return false;
        for (;;) {
                char *end;
                unsigned long a, b;

                if (*p < '0' || *p > '9')
                        return false;
                errno = 0;
                a = strtoul(p, &end, 10);
                if (errno || a > 65535)
                        return false;
                p = end;
                if (*p == '-') {
                        p++;
                        if (*p < '0' || *p > '9')
                                return false;
                        b = strtoul(p, &end, 10);
                        if (errno || b > 65535 || b < a)
                                return false;
                        p = end;
                }
                if (*p == '\0')
                        return true;
                if (*p != ',')
                        return false;
                p++;
        }
}

/* "0.5", "2", "1.25": at most 9 decimals (Docker's nano-CPUs). */
static int
parse_cpus(const char *s, double *ret)
{
        const char *p = s;
        int fdigits = 0;
        bool digits = false;
        char *end;
        double v;

        for (; *p >= '0' && *p <= '9'; p++)
                digits = true;
        if (*p == '.')
                for (p++; *p >= '0' && *p <= '9'; p++, fdigits++)
                        digits = true;
        if (!digits || *p || fdigits > 9)
                return -EINVAL;
        errno = 0;
        v = strtod(s, &end);
        if (errno || *end || !isfinite(v))
                return -EINVAL;
        *ret = v;
        return 0;
}

static const char *
flag_name(int c)
{
        switch (c) {
        case 'm':
                return "--memory";
        case 'c':
                return "--cpu-shares";
        case ARGS_OPT_MEMORY_SWAP:
                return "--memory-swap";
        case ARGS_OPT_MEMORY_RESERVATION:
                return "--memory-reservation";
        case ARGS_OPT_CPUS:
                return "--cpus";
        case ARGS_OPT_CPU_PERIOD:
                return "--cpu-period";
        case ARGS_OPT_CPU_QUOTA:
                return "--cpu-quota";
        case ARGS_OPT_CPUSET_CPUS:
                return "--cpuset-cpus";
        case ARGS_OPT_CPUSET_MEMS:
                return "--cpuset-mems";
        case ARGS_OPT_PIDS_LIMIT:
                return "--pids-limit";
        case ARGS_OPT_BLKIO_WEIGHT:
                return "--blkio-weight";
        }
        return "?";
}

static int
set_limit(json_t **limits, const char *key, json_t *v)
{
        if (!v)
                return -ENOMEM;
        if (!*limits && !(*limits = json_object())) {
                json_decref(v);
                return -ENOMEM;
        }
        return json_object_set_new(*limits, key, v) < 0 ? -ENOMEM : 0;
}

/* A size flag: bytes > 0, or -1 where allow_unlimited. */
static int
size_opt(json_t **limits, int c, const char *key, const char *arg, bool allow_unlimited,
         struct ctr_error **err)
{
        int64_t v;

        if (allow_unlimited && strcmp(arg, "-1") == 0)
                return set_limit(limits, key, json_integer(-1));
        if (args_parse_ram_size(arg, &v) < 0 || v <= 0)
                return ctr_error_msg(err, EINVAL,
                                     "invalid %s '%s': expected a size in bytes or with a unit "
                                     "b, k, m or g (such as 64m)%s",
                                     flag_name(c), arg, allow_unlimited ? ", or -1 for unlimited" : "");
        return set_limit(limits, key, json_integer(v));
}

static int
int_opt(json_t **limits, int c, const char *key, const char *arg, int64_t min, int64_t max,
        struct ctr_error **err)
{
        int64_t v;

        if (parse_int_range(arg, min, max, &v) < 0)
                return ctr_error_msg(err, EINVAL, "invalid %s '%s': expected an integer from %lld to %lld",
                                     flag_name(c), arg, (long long) min, (long long) max);
        return set_limit(limits, key, json_integer(v));
}

int
args_resource_opt(json_t **limits, int c, const char *arg, long host_cpus, struct ctr_error **err)
{
        int64_t v;
        double cpus;

        switch (c) {
        case 'm':
                return size_opt(limits, c, "memory", arg, false, err);
        case ARGS_OPT_MEMORY_SWAP:
                return size_opt(limits, c, "memory_swap", arg, true, err);
        case ARGS_OPT_MEMORY_RESERVATION:
                return size_opt(limits, c, "memory_reservation", arg, false, err);
        case ARGS_OPT_CPUS:
                if (parse_cpus(arg, &cpus) < 0 || cpus <= 0)
                        return ctr_error_msg(err, EINVAL,
                                             "invalid --cpus '%s': expected a number of CPUs above 0, "
                                             "such as 0.5 or 2", arg);
                if (host_cpus > 0 && cpus > (double) host_cpus)
                        return ctr_error_msg(err, EINVAL,
                                             "invalid --cpus '%s': this host has %ld CPU%s", arg,
                                             host_cpus, host_cpus == 1 ? "" : "s");
                return set_limit(limits, "cpus", json_real(cpus));
        case 'c':
                return int_opt(limits, c, "cpu_shares", arg, 2, 262144, err);
        case ARGS_OPT_CPU_PERIOD:
                return int_opt(limits, c, "cpu_period", arg, 1000, 1000000, err);
        case ARGS_OPT_CPU_QUOTA:
                if (strcmp(arg, "-1") == 0)
                        return set_limit(limits, "cpu_quota", json_integer(-1));
                return int_opt(limits, c, "cpu_quota", arg, 1000, INT64_MAX / 2, err);
        case ARGS_OPT_CPUSET_CPUS:
        case ARGS_OPT_CPUSET_MEMS:
                if (!cpuset_is_valid(arg))
                        return ctr_error_msg(err, EINVAL,
                                             "invalid %s '%s': expected a list of numbers and "
                                             "ranges such as 0-2,4", flag_name(c), arg);
                return set_limit(limits, c == ARGS_OPT_CPUSET_CPUS ? "cpuset_cpus" : "cpuset_mems",
                                 json_string(arg));
        case ARGS_OPT_PIDS_LIMIT:
                if (parse_int_range(arg, -1, INT64_MAX / 2, &v) < 0)
                        return ctr_error_msg(err, EINVAL,
                                             "invalid --pids-limit '%s': expected a positive "
                                             "integer, or -1 or 0 for unlimited", arg);
                /* Docker: 0 and -1 both mean unlimited. */
                return set_limit(limits, "pids_limit", json_integer(v <= 0 ? -1 : v));
        case ARGS_OPT_BLKIO_WEIGHT:
                return int_opt(limits, c, "blkio_weight", arg, 10, 1000, err);
        }
        return ctr_error_msg(err, EINVAL, "unknown limit option");
}

static int64_t
limit_int(json_t *limits, const char *key)
{
        json_t *v = json_object_get(limits, key);

        return json_is_integer(v) ? json_integer_value(v) : 0;
}

/* update: the container's memory limit in force may pair with a new
 * --memory-swap alone; the daemon checks the merged limits. */
static int
resource_check(json_t *limits, bool update, struct ctr_error **err)
{
        int64_t mem = limit_int(limits, "memory"), swap = limit_int(limits, "memory_swap"),
                res = limit_int(limits, "memory_reservation");

        if (!limits)
                return 0;
        if (swap > 0 && mem == 0 && !update)
                return ctr_error_msg(err, EINVAL,
                                     "--memory-swap needs --memory: it limits memory plus swap");
        if (swap > 0 && swap < mem)
                return ctr_error_msg(err, EINVAL,
                                     "--memory-swap must be at least --memory (it limits memory "
                                     "plus swap)");
        if (res > 0 && mem > 0 && res > mem)
                return ctr_error_msg(err, EINVAL,
                                     "--memory-reservation must be at most --memory");
        if (json_object_get(limits, "cpus") && json_object_get(limits, "cpu_quota"))
                return ctr_error_msg(err, EINVAL,
                                     "--cpus and --cpu-quota both set the CPU quota: give one");
        return 0;
}

int
args_resource_check(json_t *limits, struct ctr_error **err)
{
        return resource_check(limits, false, err);
}

int
args_parse_update(int argc, char **argv, json_t **ret_limits, struct ctr_error **err)
{
        static const struct option options[] = {
                ARGS_RESOURCE_LONG_OPTIONS,
                { "help", no_argument, NULL, 'h' },
                {}
        };
        json_t *limits = NULL;
        long host_cpus = sysconf(_SC_NPROCESSORS_ONLN);
        int c, r;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:m:c:h", options, NULL)) >= 0) {
                if (c == 'h') {
                        json_decref(limits);
                        return 1;
                }
                if (args_is_resource_opt(c))
                        r = args_resource_opt(&limits, c, optarg, host_cpus, err);
                else
                        r = args_option_error(argv, c, err);
                if (r < 0) {
                        json_decref(limits);
                        return r;
                }
        }
        r = resource_check(limits, true, err);
        if (r >= 0 && !limits)
                r = ctr_error_msg(err, EINVAL, "%s: give at least one limit to change", argv[0]);
        if (r >= 0 && optind >= argc)
                r = ctr_error_msg(err, EINVAL, "%s requires at least 1 argument (a container)",
                                  argv[0]);
        if (r < 0) {
                json_decref(limits);
                return r;
        }
        *ret_limits = limits;
        return 0;
}

int
args_parse_stats(int argc, char **argv, struct args_stats *ret, struct ctr_error **err)
{
        enum { OPT_NO_STREAM = 0x300, OPT_JSON };
        static const struct option options[] = {
                { "no-stream", no_argument, NULL, OPT_NO_STREAM },
                { "json", no_argument, NULL, OPT_JSON },
                { "all", no_argument, NULL, 'a' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        int c;

        *ret = (struct args_stats) {};
        optind = 0;
        opterr = 0;
        /* No "+": `stats web --no-stream` reads as written. */
        while ((c = getopt_long(argc, argv, ":ah", options, NULL)) >= 0)
                switch (c) {
                case OPT_NO_STREAM:
                        ret->no_stream = true;
                        break;
                case OPT_JSON:
                        ret->json = true;
                        break;
                case 'a':
                        ret->all = true;
                        break;
                case 'h':
                        return 1;
                default:
                        return args_option_error(argv, c, err);
                }
        return 0;
}
