/* The client's side of resource limits: the flags `run`, `create` and
 * `update` share (--memory, --cpus, --pids-limit, ...), parsed into the
 * "limits" object of container.create and container.update (see
 * proto/PROTOCOL.md *Resources*), and the options of `stats`. Values are
 * checked here so that a typo is a usage error naming the flag; what the
 * kernel accepts is the daemon's to check again. Prints nothing. */
#pragma once

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

/* getopt codes of the long-only limit flags; -m (--memory) and -c
 * (--cpu-shares) use their short letters. */
enum {
        ARGS_OPT_MEMORY_SWAP = 0x200,
        ARGS_OPT_MEMORY_RESERVATION,
        ARGS_OPT_CPUS,
        ARGS_OPT_CPU_PERIOD,
        ARGS_OPT_CPU_QUOTA,
        ARGS_OPT_CPUSET_CPUS,
        ARGS_OPT_CPUSET_MEMS,
        ARGS_OPT_PIDS_LIMIT,
        ARGS_OPT_BLKIO_WEIGHT,
};

/* The limit flags as struct option entries, to put inside a command's
 * option table. Short options: "m:c:". */
#define ARGS_RESOURCE_LONG_OPTIONS                                                        \
        { "memory", required_argument, NULL, 'm' },                                       \
        { "memory-swap", required_argument, NULL, ARGS_OPT_MEMORY_SWAP },                 \
        { "memory-reservation", required_argument, NULL, ARGS_OPT_MEMORY_RESERVATION },   \
        { "cpus", required_argument, NULL, ARGS_OPT_CPUS },                               \
        { "cpu-shares", required_argument, NULL, 'c' },                                   \
        { "cpu-period", required_argument, NULL, ARGS_OPT_CPU_PERIOD },                   \
        { "cpu-quota", required_argument, NULL, ARGS_OPT_CPU_QUOTA },                     \
        { "cpuset-cpus", required_argument, NULL, ARGS_OPT_CPUSET_CPUS },                 \
        { "cpuset-mems", required_argument, NULL, ARGS_OPT_CPUSET_MEMS },                 \
        { "pids-limit", required_argument, NULL, ARGS_OPT_PIDS_LIMIT },                   \
        { "blkio-weight", required_argument, NULL, ARGS_OPT_BLKIO_WEIGHT }

/* The usage lines of the limit flags, for --help texts. */
extern const char args_resource_help[];

/* A memory size as Docker reads it: a number (decimals allowed: "1.5g"),
 * an optional space, an optional unit b, k, m, g, t (binary: 1k = 1024),
 * optionally followed by "i" and/or "b" ("64m", "64mb", "64MiB", "512b",
 * "4096"). -EINVAL or -ERANGE. */
int args_parse_ram_size(const char *s, int64_t *ret);

/* True if c (a getopt result) is one of the limit flags. */
bool args_is_resource_opt(int c);
/* Applies one limit flag to *limits (an object, created on first use; a
 * later flag wins). Errors name the flag and value: "invalid --memory
 * '12q': ...". host_cpus (0: unknown) bounds --cpus. Returns 0, -EINVAL
 * with *err, -ENOMEM. */
int args_resource_opt(json_t **limits, int c, const char *arg, long host_cpus,
                      struct ctr_error **err);
/* Checks the flags of run/create together: --memory-swap needs --memory
 * (unless unlimited) and must be at least it; --memory-reservation at most
 * --memory; --cpus with --cpu-quota is ambiguous. Returns 0 or -EINVAL
 * with *err. */
int args_resource_check(json_t *limits, struct ctr_error **err);

/* `update [limit flags] CONTAINER...`: at least one flag and one
 * container (argv[optind...]). The checks of args_resource_check() but
 * one: --memory-swap alone is fine, paired by the daemon with the memory
 * limit in force (and refused there if there is none). Returns 0, 1 for
 * --help, -EINVAL with *err. *ret_limits is a new reference. */
int args_parse_update(int argc, char **argv, json_t **ret_limits, struct ctr_error **err);

/* `stats [--no-stream] [--json] [-a|--all] [CONTAINER...]`. */
struct args_stats {
        bool no_stream, json, all;
};
/* Returns 0 with optind at the first container (if any), 1 for --help,
 * -EINVAL with *err. */
int args_parse_stats(int argc, char **argv, struct args_stats *ret, struct ctr_error **err);
