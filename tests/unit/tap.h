/* Minimal TAP producer for unit tests, read by automake's tap-driver.sh.
 * Header-only on purpose: each test is one program. */
#pragma once

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

static inline void __attribute__((format(printf, 2, 3)))
tap_ok(int cond, const char *fmt, ...)
{
        va_list ap;

        tap_count++;
        if (!cond)
                tap_failed++;
        printf("%sok %d - ", cond ? "" : "not ", tap_count);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
}

#define ok(cond, ...) tap_ok(!!(cond), __VA_ARGS__)
#define is_int(got, want, name)                                                \
        do {                                                                   \
                long long _g = (long long) (got), _w = (long long) (want);     \
                tap_ok(_g == _w, "%s", name);                                  \
                if (_g != _w)                                                  \
                        printf("#   got %lld, want %lld\n", _g, _w);           \
        } while (0)
#define is_str(got, want, name)                                                \
        do {                                                                   \
                const char *_g = (got), *_w = (want);                          \
                int _eq = (_g && _w) ? strcmp(_g, _w) == 0 : _g == _w;         \
                tap_ok(_eq, "%s", name);                                       \
                if (!_eq)                                                      \
                        printf("#   got '%s', want '%s'\n", _g ? _g : "(null)",   \
                               _w ? _w : "(null)");                            \
        } while (0)

static inline int
tap_done(void)
{
        printf("1..%d\n", tap_count);
        return tap_failed ? 1 : 0;
}
