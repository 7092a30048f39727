/* Wall-clock timestamps as the API shows them: RFC 3339 UTC with
 * nanoseconds, and nanoseconds since the epoch for storage; the one
 * RFC 3339 parser. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Nanoseconds since the epoch (CLOCK_REALTIME). */
int64_t now_ns(void);
/* Monotonic milliseconds, for timeouts. */
int64_t now_monotonic_ms(void);
/* "2026-11-29T17:49:05.123456789Z" into buf (at least 40 bytes). Returns buf. */
char *format_rfc3339(int64_t ns, char *buf, size_t size);
/* RFC 3339 as container logs and OCI image configs write it,
 * "2024-01-02T03:04:05[.frac](Z|+hh:mm|-hh:mm)" ('T' and 'Z' in either
 * case), the len bytes at s (no NUL needed), to nanoseconds since the
 * epoch; digits past nanoseconds are ignored. -EINVAL for anything else,
 * or a time before 1970 or past 2262 (int64 nanoseconds); *ret_ns is then
 * untouched. */
int parse_rfc3339_ns(const char *s, size_t len, int64_t *ret_ns);
