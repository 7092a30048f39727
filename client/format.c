/* Human formatting for tables: Docker-compatible durations, sizes and
 * status texts, published ports and network rows. No I/O; output goes
 * into caller buffers or new strings. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/format.h"

void
format_duration(int64_t s, char *buf, size_t size)
{
        int64_t minutes = s / 60, hours = (s + 1800) / 3600;

        if (s < 1)
                snprintf(buf, size, "Less than a second");
        else if (s == 1)
                snprintf(buf, size, "1 second");
        else if (s < 60)
                snprintf(buf, size, "%lld seconds", (long long) s);
        else if (minutes == 1)
                snprintf(buf, size, "About a minute");
        else if (minutes < 60)
                snprintf(buf, size, "%lld minutes", (long long) minutes);
        else if (hours == 1)
                snprintf(buf, size, "About an hour");
        else if (hours < 48)
                snprintf(buf, size, "%lld hours", (long long) hours);
        else if (hours < 24 * 7 * 2)
                snprintf(buf, size, "%lld days", (long long) (hours / 24));
        else if (hours < 24 * 30 * 2)
                snprintf(buf, size, "%lld weeks", (long long) (hours / 24 / 7));
        else if (hours < 24 * 365 * 2)
                snprintf(buf, size, "%lld months", (long long) (hours / 24 / 30));
        else
                snprintf(buf, size, "%lld years", (long long) (s / 3600 / 24 / 365));
}

void
format_size(uint64_t bytes, char *buf, size_t size)
{
        static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };
        double v = (double) bytes;
        size_t i = 0;

        while (v >= 1000.0 && i + 1 < sizeof(units) / sizeof(units[0])) {
                v /= 1000.0;
                i++;
        }
        snprintf(buf, size, "%.3g%s", v, units[i]);
}

void
format_size_binary(uint64_t bytes, const char *sep, char *buf, size_t size)
{
        static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
        double v = (double) bytes;
        size_t i = 0;

        if (bytes < 1024) {
                snprintf(buf, size, "%llu%sB", (unsigned long long) bytes, sep);
                return;
        }
        /* 1023.96 KiB would print as "1024.0KiB": move up at the rounding
         * point, not at 1024. */
        while (v >= 1023.95 && i + 1 < sizeof(units) / sizeof(units[0])) {
                v /= 1024.0;
                i++;
        }
        snprintf(buf, size, "%.1f%s%s", v, sep, units[i]);
}

int
parse_rfc3339(const char *s, int64_t *ret_seconds)
{
        struct tm tm = {};
        const char *p;
        int64_t t, off = 0;

        if (!s)
                return -EINVAL;
        p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!p)
                return -EINVAL;
        if (*p == '.') {
                p++;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                while (*p >= '0' && *p <= '9')
                        p++;
        }
        if (*p == 'Z' || *p == 'z')
                p++;
        else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
                int hh, mm;

                if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
                        return -EINVAL;
                off = (hh * 60 + mm) * 60;
                if (*p == '-')
                        off = -off;
                p += 6;
        } else
                return -EINVAL;
        if (*p)
                return -EINVAL;
        t = (int64_t) timegm(&tm);
        *ret_seconds = t - off;
        return 0;
}

void
format_ago(const char *timestamp, int64_t now, char *buf, size_t size)
{
        char d[64];
        int64_t t;

        if (parse_rfc3339(timestamp, &t) < 0) {
                snprintf(buf, size, "%s", "");
                return;
        }
        format_duration(now - t, d, sizeof(d));
        snprintf(buf, size, "%s ago", d);
}

void
format_status(const char *state, const char *started_at, const char *finished_at,
              int64_t exit_code, int64_t now, char *buf, size_t size)
{
        char d[64];
        int64_t t;

        if (!state)
                state = "unknown";
        if (strcmp(state, "running") == 0) {
                if (parse_rfc3339(started_at, &t) < 0)
                        snprintf(buf, size, "Up");
                else {
                        format_duration(now - t, d, sizeof(d));
                        snprintf(buf, size, "Up %s", d);
                }
        } else if (strcmp(state, "exited") == 0) {
                if (parse_rfc3339(finished_at, &t) < 0)
                        snprintf(buf, size, "Exited (%lld)", (long long) exit_code);
                else {
                        format_duration(now - t, d, sizeof(d));
                        snprintf(buf, size, "Exited (%lld) %s ago", (long long) exit_code, d);
                }
        } else if (strcmp(state, "created") == 0)
                snprintf(buf, size, "Created");
        else
                snprintf(buf, size, "%s", state);
}

size_t
utf8_width(const char *s)
{
        size_t n = 0;

        for (; *s; s++)
                if (((unsigned char) *s & 0xc0) != 0x80)
                        n++;
        return n;
}

void
format_truncate(const char *s, size_t max, char *buf, size_t size)
{
        static const char ellipsis[] = "\xe2\x80\xa6"; /* … */
        size_t chars = 0, i = 0;

        if (size == 0)
                return;
        if (max == 0) {
                buf[0] = '\0';
                return;
        }
        if (utf8_width(s) <= max) {
                snprintf(buf, size, "%s", s);
                return;
        }
        /* Keep max - 1 characters and the ellipsis. */
        while (s[i]) {
                if (((unsigned char) s[i] & 0xc0) != 0x80) {
                        if (chars == max - 1)
                                break;
                        chars++;
                }
                i++;
        }
        snprintf(buf, size, "%.*s%s", (int) i, s, ellipsis);
}

/* A port number from a mapping, or -1 if it is not one. */
static long
json_port(json_t *m, const char *key)
{
        json_t *v = json_object_get(m, key);

        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 65535)
                return -1;
        return (long) json_integer_value(v);
}

char *
format_ports(json_t *ports)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        bool first = true;
        json_t *m;
        size_t i;

        if (!f)
                return NULL;
        json_array_foreach(ports, i, m) {
                const char *ip = json_string_value(json_object_get(m, "host_ip"));
                const char *proto = json_string_value(json_object_get(m, "protocol"));
                long host = json_port(m, "host_port"), ctr = json_port(m, "container_port");
                char host_s[8] = "*";

                if (ctr < 0 || host < 0)
                        continue;
                if (host > 0)
                        snprintf(host_s, sizeof(host_s), "%ld", host);
                fprintf(f, "%s%s:%s->%ld/%s", first ? "" : ", ", ip && *ip ? ip : "0.0.0.0",
                        host_s, ctr, proto && *proto ? proto : "tcp");
                first = false;
        }
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

void
format_network_row(json_t *net, struct network_row *ret)
{
        json_t *n = json_object_get(net, "containers");

        ret->containers[0] = '\0';
        if (json_is_integer(n))
                snprintf(ret->containers, sizeof(ret->containers), "%lld",
                         (long long) json_integer_value(n));
        /* inspect's "containers" is the members' list: count them. */
        else if (json_is_array(n))
                snprintf(ret->containers, sizeof(ret->containers), "%zu", json_array_size(n));
        ret->cells[0] = json_string_value(json_object_get(net, "name"));
        ret->cells[1] = json_string_value(json_object_get(net, "bridge"));
        ret->cells[2] = json_string_value(json_object_get(net, "subnet"));
        ret->cells[3] = json_string_value(json_object_get(net, "gateway"));
        ret->cells[4] = ret->containers;
        ret->cells[5] = json_is_true(json_object_get(net, "default")) ? "yes" : "no";
}
