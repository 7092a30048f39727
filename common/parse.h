/* Strict number and value parsers: the whole string must be consumed, no
 * leading whitespace or sign surprises, overflow is an error. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* All return 0 or -EINVAL/-ERANGE and leave *ret untouched on failure. */
int parse_int64(const char *s, int64_t *ret);
int parse_uint64(const char *s, uint64_t *ret);
int parse_int(const char *s, int *ret);
/* Decimal integer within [min, max]. */
int parse_int_range(const char *s, int64_t min, int64_t max, int64_t *ret);
/* "TERM", "SIGTERM", "sigterm" or "15"; returns the signal number or -EINVAL. */
int parse_signal(const char *s);
/* Name of a signal ("SIGTERM"), or NULL if unknown. */
const char *signal_to_name(int sig);
