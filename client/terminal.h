/* The local terminal during an attach: raw mode on a saved termios that
 * is restored on every exit path (normal return, exit(), SIGTERM, SIGHUP,
 * SIGINT, SIGQUIT), and the window size. One terminal per process. */
#pragma once

#include <stdbool.h>

#include "common/error.h"

/* Saves fd's termios and switches fd to raw mode (cfmakeraw). Installs,
 * once, an atexit() hook and handlers for SIGTERM/SIGHUP/SIGINT/SIGQUIT
 * that restore the terminal and re-raise the signal (so the process still
 * dies of it). Returns 0, or -errno with *err set. */
int terminal_make_raw(int fd, struct ctr_error **err);

/* Restores the saved termios if raw mode is on; idempotent and
 * async-signal-safe. Call it before printing a message after an attach. */
void terminal_restore(void);

/* The window size of the first of fds 0, 1 that is a terminal. Returns 0,
 * or -ENOTTY when neither is (or the size is unknown: 0x0). */
int terminal_get_size(unsigned *ret_rows, unsigned *ret_cols);
