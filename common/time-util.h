/* Wall-clock timestamps as the API shows them: RFC 3339 UTC with
 * nanoseconds, and nanoseconds since the epoch for storage. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Nanoseconds since the epoch (CLOCK_REALTIME). */
int64_t now_ns(void);
/* Monotonic milliseconds, for timeouts. */
int64_t now_monotonic_ms(void);
/* "2026-11-29T17:49:05.123456789Z" into buf (at least 40 bytes). Returns buf. */
char *format_rfc3339(int64_t ns, char *buf, size_t size);
