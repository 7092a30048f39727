/* A blocking JSON-RPC connection to containerctld over its Unix socket:
 * connect, send a request, read lines until the reply with our id,
 * passing notifications to a callback. After an attach the same socket
 * carries frames; the bytes already read past the reply stay in buf. */
#pragma once

#include <jansson.h>

#include "common/error.h"
#include "common/fs-util.h" /* write_all() */
#include "proto/proto.h"

struct conn {
        int fd;
        char *path;
        struct proto_line_buffer buf;
        int64_t next_id;
        /* Passed (SCM_RIGHTS) with the next request line only, then
         * forgotten; not owned. */
        const int *pass_fds;
        size_t n_pass_fds;
};

/* Connects to path. On failure *err reads
 * "cannot connect to containerctld at PATH: <strerror> (is the daemon running?)". */
int conn_open(const char *path, struct conn **ret, struct ctr_error **err);
void conn_free(struct conn *c);
DEFINE_FREEP(struct conn, conn_free)
#define _cleanup_conn_ _cleanup_(conn_freep)

typedef void (*conn_notify_fn)(const struct proto_reply *notification, void *userdata);

/* Sends method(params) and waits for its reply, handing notifications that
 * arrive first to notify (may be NULL: they are skipped). On success *ret
 * holds the reply, result or error (caller clears it). Transport problems
 * (EOF, bad line) return -errno with *err set. */
int conn_call(struct conn *c, const char *method, json_t *params, conn_notify_fn notify,
              void *userdata, struct proto_reply *ret, struct ctr_error **err);

