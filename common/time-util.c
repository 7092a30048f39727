/* Clock readings and their text form. */
#include "time-util.h"

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
