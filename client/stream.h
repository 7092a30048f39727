/* The attached phase of run/start -a/attach/exec/logs: one poll() loop
 * that demultiplexes stdout/stderr frames to fds 1 and 2, sends stdin
 * frames (through the detach-keys watcher), resize and close_stdin
 * control frames, and ends at the EXIT frame, a detach, or a lost
 * connection. */
#pragma once

#include "client/client.h"
#include "client/detach-keys.h"

struct stream_opts {
        bool send_stdin; /* -i: read fd 0, send it, close_stdin at EOF */
        bool resize;     /* the remote side has a tty: resize frames on SIGWINCH */
        /* Watch stdin for these keys (NULL or n == 0: never detach). */
        const struct detach_keys *detach;
        /* Non-tty sessions forward SIGINT/SIGTERM as kill_method
         * {kill_key: kill_target, "signal": N} on a second connection
         * (NULL: signals keep their default action). */
        const char *kill_method, *kill_key, *kill_target;
};

enum stream_end {
        STREAM_EXITED,   /* EXIT frame received; *ret_exit_code is set */
        STREAM_DETACHED, /* the user typed the detach keys */
        STREAM_LOST,     /* connection ended without EXIT (error printed if any) */
};

/* c has just received the success reply that starts the frames; bytes
 * already buffered in c->buf are the first frame bytes. The caller owns
 * raw mode (terminal_make_raw) and restores it afterwards. Returns an
 * enum stream_end; *ret_exit_code is the EXIT frame's code (128 + n for a
 * signal). c is no longer usable for JSON-RPC afterwards. */
int stream_session(struct client *cl, struct conn *c, const struct stream_opts *o,
                   int *ret_exit_code);

/* Exit code from a result or EXIT payload: 128 + n when "signal" names a
 * signal, else "exit_code" if it is 0..255, else 125. */
int exit_code_from_result(json_t *result);
