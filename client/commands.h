/* The client's commands. Each takes argv with argv[0] = the command name
 * and returns the process exit code (docker's conventions: 0, 1 when one
 * of several targets failed, 125 for usage and daemon errors, or the
 * container's own code). */
#pragma once

#include "client/args.h"
#include "client/client.h"
#include "client/console.h"
#include "client/output.h"

/* One entry of a command table (main.c, `image`, `exec`). */
struct command {
        const char *name;
        int (*fn)(struct client *cl, int argc, char **argv);
        const char *synopsis; /* in the list; NULL: the name */
        const char *help;     /* NULL: not listed (an alias, or listed elsewhere) */
};

/* The entry called name, or NULL. */
const struct command *command_find(const struct command *cmds, size_t n, const char *name);
/* "  SYNOPSIS   HELP" for each listed entry, the help texts aligned. */
void command_print_list(const struct command *cmds, size_t n);

int cmd_run(struct client *cl, int argc, char **argv);
int cmd_create(struct client *cl, int argc, char **argv);
int cmd_start(struct client *cl, int argc, char **argv);
int cmd_stop(struct client *cl, int argc, char **argv);
int cmd_kill(struct client *cl, int argc, char **argv);
int cmd_rm(struct client *cl, int argc, char **argv);
int cmd_ps(struct client *cl, int argc, char **argv);
int cmd_inspect(struct client *cl, int argc, char **argv);
int cmd_wait(struct client *cl, int argc, char **argv);
int cmd_attach(struct client *cl, int argc, char **argv);
int cmd_logs(struct client *cl, int argc, char **argv);
int cmd_exec(struct client *cl, int argc, char **argv);
/* client/cmd-resources.c */
int cmd_stats(struct client *cl, int argc, char **argv);
int cmd_update(struct client *cl, int argc, char **argv);
int cmd_pause(struct client *cl, int argc, char **argv);
int cmd_unpause(struct client *cl, int argc, char **argv);
/* client/cmd-events.c */
int cmd_events(struct client *cl, int argc, char **argv);

int cmd_image(struct client *cl, int argc, char **argv);
int cmd_images(struct client *cl, int argc, char **argv);

int cmd_network(struct client *cl, int argc, char **argv);

int cmd_version(struct client *cl, int argc, char **argv);
int cmd_info(struct client *cl, int argc, char **argv);

/* Shared getopt helper: prints the usage error for the option getopt
 * rejected (c is ':' or '?'). Returns EXIT_USAGE. */
int option_error(char **argv, int c);
/* The exit for an args_parse_*() result r other than 0: after --help (1)
 * prints the usage (a printf format) and gives 0; else prints err as a
 * usage error and gives EXIT_USAGE. */
int parse_exit(int r, const struct ctr_error *err, const char *usage, ...) _printf_(3, 4);

/* A command that makes one call per argument, Docker's multi-target way
 * (kill, rm, wait, inspect, exec kill|rm|inspect, image rm|inspect). */
struct target_cmd {
        const char *name;          /* "kill", "exec kill": usage and messages */
        enum args_option option;   /* its one option besides --help */
        const char *target;        /* the usage's "CONTAINER..." */
        const char *what;          /* "a container": when none is given */
        const char *method, *key;  /* "container.kill" with {"container": ARG} */
        client_each_fn done;       /* per success (NULL: print the argument) */
        bool collect;              /* print all results as one JSON array instead */
};

/* Parses the options into extra (NULL: a new object; see
 * args_parse_targets) and calls cmd->method for each argument
 * (client_call_each). */
int target_command(struct client *cl, int argc, char **argv, const struct target_cmd *cmd,
                   json_t *extra);

/* A listing command (ps, exec ls, image list). */
struct list_cmd {
        const char *usage;         /* its --help text */
        bool with_all;             /* -a/--all: "all" in the params */
        const char *arg_key;       /* one argument, as {arg_key: ARG}; NULL: none */
        const char *arg_error;     /* the usage error without that one argument */
        const char *method, *key;  /* "container.list", the result's array */
        const char *id_key;        /* the short id -q prints (NULL: see print_listing) */
        const char *const *headers;
        listing_row_fn add_row;
};

/* Parses the listing options (args_parse_list), calls cmd->method and
 * prints the listing (print_listing). */
int list_command(struct client *cl, int argc, char **argv, const struct list_cmd *cmd);

/* Runs con's stream (console_run) on cl's connection, which carries frames
 * from then on and is closed after, and turns its end into the exit code:
 * the EXIT frame's, 0 on a detach, else lost(cl, id) (the stream ended
 * without an EXIT frame: ask the daemon). *ret_end (may be NULL) gets the
 * enum stream_end. */
int stream_exit_code(struct client *cl, const struct console *con,
                     int (*lost)(struct client *cl, const char *id), const char *id,
                     enum stream_end *ret_end);
/* stream_exit_code() for the container id: signals are forwarded as
 * container.kill (con's kill target is set here), and a lost stream's
 * exit code is the one container.wait reports. */
int attached_exit_code(struct client *cl, struct console *con, const char *id,
                       enum stream_end *ret_end);

/* Whether a container was created with a tty / open stdin, from
 * container.inspect (config.tty, config.open_stdin; false if absent).
 * Either out-param may be NULL. Prints errors; returns 0 or < 0. */
int container_console_config(struct client *cl, const char *ref, bool *ret_tty,
                             bool *ret_open_stdin);
