/* Option parsing for `run` and `create`, and the container.create params
 * built from it. Kept apart from the commands so it can be unit-tested
 * without a daemon. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

struct mount_spec {
        char *source;      /* as given; made absolute by create_opts_to_params() */
        char *destination; /* absolute */
        bool readonly;
};

struct create_opts {
        bool detach, auto_remove;
        const char *name, *workdir, *user, *hostname; /* borrowed from argv */
        char **env;                                   /* owned "K=V" strings */
        size_t n_env;
        struct mount_spec *mounts; /* owned */
        size_t n_mounts;
        const char *image;   /* borrowed */
        char **command;      /* borrowed slice of argv, NULL-terminated */
        size_t n_command;
};

/* Parses "SRC:DST[:ro|:rw]". SRC must be a path (starting with '/' or '.'),
 * DST absolute, no part empty. Fills *ret (owned strings). */
int args_parse_mount(const char *spec, struct mount_spec *ret, struct ctr_error **err);
void mount_spec_done(struct mount_spec *m);

/* Parses the arguments of `run` (allow_detach) or `create`; argv[0] is the
 * command name. Options stop at the image ("+" in getopt terms), so
 * `run busybox ls -l` keeps "-l" for the container. Returns 0, -EINVAL
 * with *err set, or 1 if --help was asked for. */
int args_parse_create(int argc, char **argv, bool allow_detach, struct create_opts *ret,
                      struct ctr_error **err);
void create_opts_done(struct create_opts *o);

/* Builds the container.create params; resolves mount sources with
 * realpath(3). Returns a new reference or NULL with *err set. */
json_t *create_opts_to_params(const struct create_opts *o, struct ctr_error **err);
