/* Logging to stderr with sd-daemon priority prefixes ("<3>"), which journald
 * turns into priorities. Library code (back-ends) logs at debug level only;
 * the daemon's handlers and main decide what a user sees. */
#pragma once

#include <syslog.h>

#include "macros.h"

/* Messages above this level are dropped. Defaults to LOG_INFO. */
void log_set_max_level(int level);
int log_get_max_level(void);
/* Parses "error|warning|notice|info|debug" (or a number 0-7). */
int log_level_from_string(const char *s);
/* Program name printed after the priority prefix. */
void log_set_ident(const char *ident);

void log_msg(int level, const char *fmt, ...) _printf_(2, 3);
/* Logs "<fmt>: strerror(-r)" and returns r (negative errno). */
int log_msg_errno(int level, int r, const char *fmt, ...) _printf_(3, 4);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_debug_errno(r, ...) log_msg_errno(LOG_DEBUG, r, __VA_ARGS__)
#define log_warning_errno(r, ...) log_msg_errno(LOG_WARNING, r, __VA_ARGS__)
#define log_error_errno(r, ...) log_msg_errno(LOG_ERR, r, __VA_ARGS__)
