/* The one error convention: functions return >= 0 or -errno, and where a
 * person must read why, they fill a struct ctr_error at the leaf that failed
 * ("mount `proc` on `/proc`: Operation not permitted"). Callers pass it up
 * unchanged or prefix context that adds information. */
#pragma once

#include <stdarg.h>

#include "macros.h"

struct ctr_error {
        int errnum;    /* positive errno value */
        char *message; /* complete, human readable */
};

/* Set *err to "<formatted>: <strerror(errnum)>". Keeps an already set error
 * (the leaf wins). err may be NULL. Returns -errnum. */
int ctr_error_sys(struct ctr_error **err, int errnum, const char *fmt, ...)
        _printf_(3, 4);

/* Set *err to the formatted text alone; errnum classifies it. Returns -errnum. */
int ctr_error_msg(struct ctr_error **err, int errnum, const char *fmt, ...)
        _printf_(3, 4);
int ctr_error_msgv(struct ctr_error **err, int errnum, const char *fmt, va_list ap)
        _printf_(3, 0);

/* Prefix "<formatted>: " to an existing error; if none was set, behaves like
 * ctr_error_sys() with the given errnum. Returns -errnum of the error. */
int ctr_error_prefix(struct ctr_error **err, int errnum, const char *fmt, ...)
        _printf_(3, 4);

void ctr_error_free(struct ctr_error *e);
DEFINE_FREEP(struct ctr_error, ctr_error_free)
#define _cleanup_error_ _cleanup_(ctr_error_freep)
