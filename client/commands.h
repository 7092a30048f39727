/* The client's commands. Each takes argv with argv[0] = the command name
 * and returns the process exit code (docker's conventions: 0, 1 when one
 * of several targets failed, 125 for usage and daemon errors, or the
 * container's own code). */
#pragma once

#include "client/client.h"

int cmd_run(struct client *cl, int argc, char **argv);
int cmd_create(struct client *cl, int argc, char **argv);
int cmd_start(struct client *cl, int argc, char **argv);
int cmd_stop(struct client *cl, int argc, char **argv);
int cmd_kill(struct client *cl, int argc, char **argv);
int cmd_rm(struct client *cl, int argc, char **argv);
int cmd_ps(struct client *cl, int argc, char **argv);
int cmd_inspect(struct client *cl, int argc, char **argv);
int cmd_wait(struct client *cl, int argc, char **argv);

int cmd_image(struct client *cl, int argc, char **argv);
int cmd_images(struct client *cl, int argc, char **argv);

int cmd_version(struct client *cl, int argc, char **argv);
int cmd_info(struct client *cl, int argc, char **argv);

/* Shared getopt helper: prints the usage error for the option getopt
 * rejected (c is ':' or '?'). Returns EXIT_USAGE. */
int option_error(char **argv, int c);
