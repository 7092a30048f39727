/* Text formatting for the client's human output: sizes, durations, the
 * status column, timestamps, published ports, network rows. Pure
 * functions, unit-tested. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* "Less than a second", "1 second", "5 seconds", "About a minute",
 * "3 minutes", "About an hour", "5 hours", "3 days", "2 weeks", "4 months",
 * "2 years" (Docker's go-units HumanDuration). */
void format_duration(int64_t seconds, char *buf, size_t size);
/* Decimal units with three significant digits: "512B", "4.19MB", "1.5GB". */
void format_size(uint64_t bytes, char *buf, size_t size);
/* Binary units with one decimal, as progress displays show them: "512B",
 * "45.1MiB", "1.0GiB"; sep goes between the number and the unit ("" or
 * " "). */
void format_size_binary(uint64_t bytes, const char *sep, char *buf, size_t size);
/* RFC 3339 ("2026-11-29T17:49:05.123Z", "…+02:00") to seconds since the
 * epoch; -EINVAL if unparsable. */
int parse_rfc3339(const char *s, int64_t *ret_seconds);
/* "Up 5 seconds", "Exited (7) 3 minutes ago", "Created", or the state as is.
 * Timestamps may be NULL; now is seconds since the epoch. */
void format_status(const char *state, const char *started_at, const char *finished_at,
                   int64_t exit_code, int64_t now, char *buf, size_t size);
/* "2 minutes ago" from an RFC 3339 timestamp, "" if unparsable. */
void format_ago(const char *timestamp, int64_t now, char *buf, size_t size);
/* Copies s into buf, cutting it to at most max characters (UTF-8 aware) and
 * ending it with "…" if cut. */
void format_truncate(const char *s, size_t max, char *buf, size_t size);
/* Number of UTF-8 characters (display columns for our purposes). */
size_t utf8_width(const char *s);

/* The PORTS cell of ps from a container summary's "ports" array:
 * "127.0.0.1:8080->80/tcp, 0.0.0.0:9000->90/udp" ("" host_ip: 0.0.0.0;
 * a host port not chosen yet, 0, shows as "*"). Items that are not
 * mappings are skipped. A malloc'd string ("" for none or not an array),
 * or NULL without memory. */
char *format_ports(json_t *ports);

/* The cells of one `network ls` row, NAME, BRIDGE, SUBNET, GATEWAY,
 * CONTAINERS, DEFAULT ("yes"/"no"), from a network object: strings
 * borrowed from net (NULL when absent: an empty cell), the count in
 * ret->containers. */
struct network_row {
        char containers[24];
        const char *cells[6];
};
void format_network_row(json_t *net, struct network_row *ret);
