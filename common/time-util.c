/* Clock readings and their text form. */
#include "time-util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <time.h>

int64_t
now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t
now_monotonic_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

char *
format_rfc3339(int64_t ns, char *buf, size_t size)
{
        time_t sec = (time_t) (ns / 1000000000LL);
        struct tm tm;
        char head[32];

        if (!gmtime_r(&sec, &tm) || strftime(head, sizeof(head), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
                snprintf(buf, size, "invalid");
                return buf;
        }
        snprintf(buf, size, "%s.%09lldZ", head, (long long) (ns % 1000000000LL));
        return buf;
}

static int
parse_digits(const char *s, size_t n, int *ret)
{
        int v = 0;

        for (size_t i = 0; i < n; i++) {
                if (!isdigit((unsigned char) s[i]))
                        return -EINVAL;
                v = v * 10 + (s[i] - '0');
        }
        *ret = v;
        return 0;
}

int
parse_rfc3339_ns(const char *s, size_t len, int64_t *ret_ns)
{
        int Y, M, D, h, m, sec, oh, om, off = 0;
        int64_t frac = 0;
        size_t i = 19, nd = 0;
        struct tm tm = { 0 };
        time_t t;

        if (!s || len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
            s[13] != ':' || s[16] != ':' || parse_digits(s, 4, &Y) < 0 ||
            parse_digits(s + 5, 2, &M) < 0 || parse_digits(s + 8, 2, &D) < 0 ||
            parse_digits(s + 11, 2, &h) < 0 || parse_digits(s + 14, 2, &m) < 0 ||
            parse_digits(s + 17, 2, &sec) < 0)
                return -EINVAL;
        if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
                return -EINVAL;
        if (s[i] == '.') {
                for (i++; i < len && isdigit((unsigned char) s[i]); i++, nd++)
                        if (nd < 9)
                                frac = frac * 10 + (s[i] - '0');
                if (nd == 0)
                        return -EINVAL;
                for (; nd < 9; nd++)
                        frac *= 10;
        }
        if (i + 1 == len && (s[i] == 'Z' || s[i] == 'z'))
                off = 0;
        else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':' &&
                 parse_digits(s + i + 1, 2, &oh) == 0 && parse_digits(s + i + 4, 2, &om) == 0 &&
                 oh < 24 && om < 60)
                off = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
        else
                return -EINVAL;
        tm.tm_year = Y - 1900;
        tm.tm_mon = M - 1;
        tm.tm_mday = D;
        tm.tm_hour = h;
        tm.tm_min = m;
        tm.tm_sec = sec;
        t = timegm(&tm);
        /* Past 2262 the nanoseconds overflow int64. */
        if (t == (time_t) -1 || (int64_t) t - off < 0 ||
            (int64_t) t - off > INT64_MAX / 1000000000 - 1)
                return -EINVAL;
        *ret_ns = ((int64_t) t - off) * 1000000000 + frac;
        return 0;
}
