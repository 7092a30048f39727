/* Owns the log level and the stderr writer. One write(2) per message so
 * lines from several processes sharing stderr do not interleave. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "parse.h"

static int max_level = LOG_INFO;
static const char *log_ident = "containerctl";

void
log_set_max_level(int level)
{
        max_level = level;
}

int
log_get_max_level(void)
{
        return max_level;
}

void
log_set_ident(const char *ident)
{
        log_ident = ident;
}

int
log_level_from_string(const char *s)
{
        static const char *const names[] = {
                [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert",   [LOG_CRIT] = "crit",
                [LOG_ERR] = "error",   [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
                [LOG_INFO] = "info",   [LOG_DEBUG] = "debug",
        };
        int64_t v;

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (strcasecmp(s, names[i]) == 0)
                        return (int) i;
        if (strcasecmp(s, "err") == 0)
                return LOG_ERR;
        if (strcasecmp(s, "warn") == 0)
                return LOG_WARNING;
        if (parse_int64(s, &v) >= 0 && v >= 0 && v <= 7)
                return (int) v;
        return -EINVAL;
}

static void
log_write(int level, const char *errtext, const char *fmt, va_list ap)
{
        char buf[4096];
        int n, m;

        n = snprintf(buf, sizeof(buf), "<%d>%s: ", level, log_ident);
        if (n < 0 || (size_t) n >= sizeof(buf))
                return;
        m = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
        if (m < 0)
                return;
        n = (size_t) (n + m) >= sizeof(buf) - 1 ? (int) sizeof(buf) - 2 : n + m;
        if (errtext) {
                m = snprintf(buf + n, sizeof(buf) - n, ": %s", errtext);
                if (m > 0)
                        n = (size_t) (n + m) >= sizeof(buf) - 1 ? (int) sizeof(buf) - 2 : n + m;
        }
        buf[n++] = '\n';
        (void) !write(STDERR_FILENO, buf, n);
}

void
log_msg(int level, const char *fmt, ...)
{
        va_list ap;
        int saved = errno;

        if (level > max_level)
                return;
        va_start(ap, fmt);
        log_write(level, NULL, fmt, ap);
        va_end(ap);
        errno = saved;
}

int
log_msg_errno(int level, int r, const char *fmt, ...)
{
        va_list ap;
        int saved = errno;
        char ebuf[128];

        if (level > max_level)
                return r;
        va_start(ap, fmt);
        log_write(level, strerror_r(r < 0 ? -r : r, ebuf, sizeof(ebuf)), fmt, ap);
        va_end(ap);
        errno = saved;
        return r;
}
