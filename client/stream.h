/* The attached phase of `run` and `start -a`: demultiplexes stdout/stderr
 * frames to fds 1 and 2, forwards SIGINT/SIGTERM as container.kill, and
 * ends with the container's exit code. */
#pragma once

#include "client/client.h"

/* c has just received the success reply to container.start with
 * "attach":true; bytes already buffered in c->buf are the first frame
 * bytes. Returns the exit code to exit with (the container's, or 125). */
int stream_attach(struct client *cl, struct conn *c, const char *container_id);

/* Exit code from a container.wait result, 125 if absent. */
int exit_code_from_result(json_t *result);
