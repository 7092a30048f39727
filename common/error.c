/* struct ctr_error: construction and destruction. Never allocates in a way
 * that can fail loudly: if formatting fails, the error keeps errnum and a
 * fixed message, so an error is never lost. Safe to use from any thread. */
#include "error.h"

#include <stdio.h>
#include <string.h>

static char oom_message[] = "out of memory while formatting an error";

static int
error_store(struct ctr_error **err, int errnum, char *message)
{
        struct ctr_error *e;

        if (errnum <= 0)
                errnum = EIO;
        if (!err || *err) {
                if (message != oom_message)
                        free(message);
                return -errnum;
        }
        e = calloc(1, sizeof(*e));
        if (!e) {
                if (message != oom_message)
                        free(message);
                return -errnum;
        }
        e->errnum = errnum;
        e->message = message;
        *err = e;
        return -errnum;
}

int
ctr_error_msgv(struct ctr_error **err, int errnum, const char *fmt, va_list ap)
{
        char *m = NULL;

        if (!err || *err)
                return -(errnum > 0 ? errnum : EIO);
        if (vasprintf(&m, fmt, ap) < 0)
                m = oom_message;
        return error_store(err, errnum, m);
}

int
ctr_error_msg(struct ctr_error **err, int errnum, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = ctr_error_msgv(err, errnum, fmt, ap);
        va_end(ap);
        return r;
}

int
ctr_error_sys(struct ctr_error **err, int errnum, const char *fmt, ...)
{
        _cleanup_free_ char *head = NULL;
        char *m = NULL, ebuf[128];
        va_list ap;
        int r;

        if (errnum <= 0)
                errnum = EIO;
        if (!err || *err)
                return -errnum;
        va_start(ap, fmt);
        r = vasprintf(&head, fmt, ap);
        va_end(ap);
        /* GNU strerror_r: thread-safe, errors are built in worker threads too. */
        if (r < 0 || asprintf(&m, "%s: %s", head, strerror_r(errnum, ebuf, sizeof(ebuf))) < 0)
                m = oom_message;
        return error_store(err, errnum, m);
}

int
ctr_error_prefix(struct ctr_error **err, int errnum, const char *fmt, ...)
{
        _cleanup_free_ char *head = NULL;
        char *m = NULL;
        va_list ap;
        int r;

        if (!err)
                return -(errnum > 0 ? errnum : EIO);
        va_start(ap, fmt);
        r = vasprintf(&head, fmt, ap);
        va_end(ap);
        if (r < 0)
                return *err ? -(*err)->errnum : -(errnum > 0 ? errnum : EIO);
        if (!*err)
                return ctr_error_sys(err, errnum, "%s", head);
        if (asprintf(&m, "%s: %s", head, (*err)->message) < 0)
                return -(*err)->errnum;
        if ((*err)->message != oom_message)
                free((*err)->message);
        (*err)->message = m;
        return -(*err)->errnum;
}

void
ctr_error_free(struct ctr_error *e)
{
        if (!e)
                return;
        if (e->message != oom_message)
                free(e->message);
        free(e);
}
