/* Reading a container's console log: the CRI record format the monitor
 * writes ("<RFC3339Nano> <stdout|stderr> <F|P> <bytes>\n"), the files
 * console.log.N ... console.log.1, console.log in order, since/until
 * selection, and following the live file across rotation. Plain fds and
 * bounded reads: no libevent, no client, so it is unit-tested alone
 * (daemon/container-logs.c streams it to a client). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/macros.h"

/* One record; the pointers are into the reader's buffer, valid until the
 * next log_reader_next(). */
struct log_record {
        int64_t ts_ns;
        const char *ts; /* the timestamp as written, ts_len bytes */
        size_t ts_len;
        bool is_stderr;
        bool partial;   /* "P": the line goes on in the next record */
        const char *data; /* without the record's '\n' */
        size_t len;
};

/* Parses one CRI line (without its '\n'). Returns 0 or -EBADMSG. */
int cri_record_parse(const char *line, size_t len, struct log_record *ret);

/* "2026-11-29T17:49:05.123456789Z", "...+02:00", fraction optional, or
 * unix seconds "1700000000" / "1700000000.25". Returns 0 or -EINVAL. */
int log_time_parse(const char *s, int64_t *ret_ns);

struct log_reader;

enum log_next {
        LOG_NEXT_RECORD, /* *rec is the next selected record */
        LOG_NEXT_AGAIN,  /* the read budget is used up: call again */
        LOG_NEXT_EOF,    /* caught up with what is written so far */
        LOG_NEXT_END,    /* past `until`: nothing more will be selected */
};

/* Opens <dir>/<base>.<max_files-1> ... <base>.1, <base> (those that
 * exist; none is an empty log). since_ns/until_ns < 0: no bound;
 * records are selected when since <= ts < until. */
int log_reader_open(const char *dir, const char *base, int max_files, int64_t since_ns,
                    int64_t until_ns, struct log_reader **ret, struct ctr_error **err);
void log_reader_free(struct log_reader *r);
DEFINE_FREEP(struct log_reader, log_reader_free)

/* With follow, EOF of the last file checks whether <base> was rotated
 * (its inode changed): then the old file is read to its end and the
 * reader goes on with its successor from offset 0, so nothing is lost or
 * read twice. */
void log_reader_set_follow(struct log_reader *r, bool follow);
/* Back to the start of the first file (for a second pass after counting). */
int log_reader_rewind(struct log_reader *r);

/* Reads at most about *budget bytes from the files (decremented). Returns
 * enum log_next or -errno. Malformed lines are skipped. */
int log_reader_next(struct log_reader *r, size_t *budget, struct log_record *rec);
