/* The client's commands. Each takes argv with argv[0] = the command name
 * and returns the process exit code (docker's conventions: 0, 1 when one
 * of several targets failed, 125 for usage and daemon errors, or the
 * container's own code). */
#pragma once

#include "client/client.h"
#include "client/console.h"

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

int cmd_image(struct client *cl, int argc, char **argv);
int cmd_images(struct client *cl, int argc, char **argv);

int cmd_version(struct client *cl, int argc, char **argv);
int cmd_info(struct client *cl, int argc, char **argv);

/* Shared getopt helper: prints the usage error for the option getopt
 * rejected (c is ':' or '?'). Returns EXIT_USAGE. */
int option_error(char **argv, int c);

/* Runs the stream of an attached container (console_run) and turns its
 * end into the exit code: the EXIT frame's, 0 on detach, else the one
 * container.wait reports. *ret_end (may be NULL) gets the enum stream_end. */
int attached_exit_code(struct client *cl, struct conn *c, const struct console *con,
                       const char *container_id, enum stream_end *ret_end);

/* Whether a container was created with a tty / open stdin, from
 * container.inspect (config.tty, config.open_stdin; false if absent).
 * Either out-param may be NULL. Prints errors; returns 0 or < 0. */
int container_console_config(struct client *cl, const char *ref, bool *ret_tty,
                             bool *ret_open_stdin);
