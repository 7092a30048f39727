/* Small language helpers shared by every module: cleanup attributes,
 * ownership transfer and array sizes. No allocation, no I/O here. */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_ __attribute__((noreturn))

static inline void
freep(void *p)
{
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

/* Closes an fd without clobbering errno; returns -1 so callers can write
 * fd = safe_close(fd). */
static inline int
safe_close(int fd)
{
        if (fd >= 0) {
                int saved = errno;
                close(fd);
                errno = saved;
        }
        return -1;
}

static inline void
closep(int *fd)
{
        safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

/* Hand ownership out of a cleanup-annotated local. */
#define TAKE_PTR(p)                                                            \
        ({                                                                     \
                __typeof__(p) _p = (p);                                        \
                (p) = NULL;                                                    \
                _p;                                                            \
        })
#define TAKE_FD(fd)                                                            \
        ({                                                                     \
                int _fd = (fd);                                                \
                (fd) = -1;                                                     \
                _fd;                                                           \
        })

/* Define foo_freep() for a type with a NULL-safe foo_free(). */
#define DEFINE_FREEP(type, func)                                               \
        static inline void func##p(type **p)                                   \
        {                                                                      \
                func(*p);                                                      \
        }

/* Negative errno from the current errno, never 0 even if errno was lost. */
static inline int
negative_errno(void)
{
        return errno > 0 ? -errno : -EIO;
}
