/* Option parsing for the commands: `run` and `create` and the
 * container.create params built from it, and the option sets several
 * commands share (multi-target, listing, attach). Kept apart from the
 * commands so it can be unit-tested without a daemon. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/args-network.h"
#include "client/args-security.h"
#include "common/error.h"

struct mount_spec {
        char *source;      /* as given; made absolute by create_opts_to_params() */
        char *destination; /* absolute */
        bool readonly;
        bool idmap;        /* ":idmap": mapped through the container's user namespace */
};

struct create_opts {
        bool detach, auto_remove;
        bool interactive, tty;   /* -i (open_stdin), -t */
        const char *detach_keys; /* --detach-keys, borrowed; NULL: default */
        bool has_log_max_size, has_log_max_files; /* else the daemon's default */
        int64_t log_max_size;    /* --log-opt max-size, bytes (0: unbounded) */
        int64_t log_max_files;   /* --log-opt max-file, >= 1 */
        const char *name, *workdir, *user, *hostname; /* borrowed from argv */
        char **env;                                   /* owned "K=V" strings */
        size_t n_env;
        struct mount_spec *mounts; /* owned */
        size_t n_mounts;
        /* --entrypoint: has_entrypoint with "" clears the image's
         * Entrypoint ([]), anything else is one word, as Docker does. */
        bool has_entrypoint;
        const char *entrypoint;  /* borrowed */
        char *stop_signal;       /* --stop-signal, canonical: "SIGQUIT" or "40" (owned) */
        json_t *labels;          /* --label K=V, an object (owned); NULL: none */
        const char *network;     /* --network, borrowed; NULL: the daemon's default */
        struct publish_spec *ports; /* -p/--publish (owned array) */
        size_t n_ports;
        const char **network_aliases; /* --network-alias (owned array of borrowed strings) */
        size_t n_network_aliases;
        json_t *limits;      /* the limit flags (args-resources.h), owned; NULL: none */
        json_t *security;    /* the security flags (args-security.h), owned; NULL: none */
        const char *userns;  /* --userns auto|host, borrowed; NULL: the daemon's default */
        const char *image;   /* borrowed */
        char **command;      /* borrowed slice of argv, NULL-terminated */
        size_t n_command;
};

/* Parses "SRC:DST[:ro|:rw]". SRC must be a path (starting with '/' or '.'),
 * DST absolute, no part empty. Fills *ret (owned strings). */
int args_parse_mount(const char *spec, struct mount_spec *ret, struct ctr_error **err);
void mount_spec_done(struct mount_spec *m);

/* Parses a size: bytes, or a number with k/m/g (KiB/MiB/GiB, case-insensitive,
 * optional trailing "b"). 0 or -EINVAL/-ERANGE. */
int args_parse_size(const char *s, int64_t *ret);
/* Applies one --log-opt KEY=VALUE (max-size=SIZE, max-file=N >= 1) to o. */
int args_parse_log_opt(struct create_opts *o, const char *opt, struct ctr_error **err);

/* Parses the arguments of `run` (allow_detach) or `create`; argv[0] is the
 * command name. Options stop at the image ("+" in getopt terms), so
 * `run busybox ls -l` keeps "-l" for the container. Returns 0, -EINVAL
 * with *err set, or 1 if --help was asked for. */
int args_parse_create(int argc, char **argv, bool allow_detach, struct create_opts *ret,
                      struct ctr_error **err);
void create_opts_done(struct create_opts *o);

/* Applies one --label KEY=VALUE to o (a later KEY wins). KEY must be
 * non-empty; VALUE may be. */
int args_add_label(struct create_opts *o, const char *arg, struct ctr_error **err);
/* Checks a --stop-signal (name with or without SIG, or number) and stores
 * its canonical form in o. */
int args_set_stop_signal(struct create_opts *o, const char *arg, struct ctr_error **err);

/* Builds the container.create params; resolves mount sources with
 * realpath(3). Returns a new reference or NULL with *err set. */
json_t *create_opts_to_params(const struct create_opts *o, struct ctr_error **err);

/* A --since/--until value for container.logs: a duration before now_s
 * ("10m", "1h30m", "90s", "1.5h") becomes unix seconds ("1700000000");
 * anything else (RFC 3339, unix seconds) is passed on for the daemon to
 * check. *ret is malloc'd. -EINVAL for an empty value, -ENOMEM. */
int args_parse_log_time(const char *s, int64_t now_s, char **ret);

/* getopt_long's complaint (c is ':' or '?') about argv[optind - 1] as *err:
 * "NAME: option '--x' needs an argument", "NAME: unknown option -x" or
 * "NAME: unknown option '--x'". Returns -EINVAL. */
int args_option_error(char **argv, int c, struct ctr_error **err);

/* The one option, besides -h/--help, of a command that acts on each of its
 * arguments. */
enum args_option {
        ARGS_NO_OPTION,
        ARGS_OPT_FORCE,  /* -f/--force: "force": true in the params */
        ARGS_OPT_SIGNAL, /* -s/--signal SIGNAL: "signal": N in the params */
};

/* Parses the options of kill, rm, wait, inspect and their exec and image
 * forms into extra (the params every target's call gets). With
 * ARGS_NO_OPTION only a first argument -h/--help is an option; anything
 * else is a target. name starts the messages ("kill: invalid signal 'X'",
 * "kill requires at least 1 argument (WHAT)"). Returns 0 with optind at
 * the first of at least one target, 1 for --help, -EINVAL with *err. */
int args_parse_targets(int argc, char **argv, const char *name, enum args_option opt,
                       const char *what, json_t *extra, struct ctr_error **err);

/* The options of the listings (ps, exec ls, image list). */
struct args_list {
        bool all;   /* -a/--all, only where with_all */
        bool quiet; /* -q/--quiet */
        bool json;  /* --json */
};

/* Returns 0 with optind at the first argument, 1 for --help, -EINVAL with
 * *err. */
int args_parse_list(int argc, char **argv, bool with_all, struct args_list *ret,
                    struct ctr_error **err);

/* The options of attach and exec attach. */
struct args_attach {
        bool no_stdin;           /* --no-stdin */
        const char *detach_keys; /* --detach-keys KEYS, borrowed; NULL: default */
};

/* Also checks for exactly one argument, argv[optind] ("NAME requires
 * exactly 1 argument (WHAT)"). Returns 0, 1 for --help, -EINVAL with *err. */
int args_parse_attach(int argc, char **argv, const char *name, const char *what,
                      struct args_attach *ret, struct ctr_error **err);

/* `image import PATH [NAME[:TAG]] [--all] [-q]`; options may follow the
 * arguments. */
struct args_import {
        const char *path;  /* borrowed, as given (the command resolves it) */
        char *name, *tag;  /* owned; NULL when not given */
        bool all;          /* --all: every image of the source */
        bool quiet;        /* -q/--quiet: no progress */
};

/* Splits NAME[:TAG]: the tag follows the last ':' unless a '/' comes
 * after it ("registry:5000/name" has no tag). Neither part may be empty.
 * *ret_tag is NULL without a tag. Returns 0, -EINVAL with *err, -ENOMEM. */
int args_split_ref(const char *ref, char **ret_name, char **ret_tag, struct ctr_error **err);

/* Returns 0, 1 for --help, -EINVAL with *err ("image import requires ...",
 * "with --all, NAME is a repository without a tag"). */
int args_parse_import(int argc, char **argv, struct args_import *ret, struct ctr_error **err);
void args_import_done(struct args_import *o);

/* `image prune [-f] [--json]`: -f is accepted for Docker's habits and
 * changes nothing (prune never asks). No arguments. Returns 0, 1 for
 * --help, -EINVAL with *err. */
int args_parse_prune(int argc, char **argv, bool *ret_json, struct ctr_error **err);

/* `image history [--no-trunc] [--json] IMAGE`: exactly one argument, at
 * argv[optind]. Returns 0, 1 for --help, -EINVAL with *err. */
struct args_history {
        bool no_trunc; /* --no-trunc: CREATED BY in full */
        bool json;     /* --json: the rows as a JSON array */
};
int args_parse_history(int argc, char **argv, struct args_history *ret, struct ctr_error **err);
