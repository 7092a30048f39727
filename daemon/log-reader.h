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
        LOG_NEXT_LOST,   /* follow: the rotation outran the reader; records
                          * between the last one returned and the next are
                          * gone (returned once per gap, then reading goes on) */
};

/* Opens <dir>/<base>.<max_files-1> ... <base>.1, <base> (those that
 * exist; none is an empty log). since_ns/until_ns < 0: no bound;
 * records are selected when since <= ts < until. With follow, an inotify
 * watch on dir is set up first (before the files are opened), so every
 * rotation from then on is seen: see log_reader_update(). */
int log_reader_open(const char *dir, const char *base, int max_files, int64_t since_ns,
                    int64_t until_ns, bool follow, struct log_reader **ret, struct ctr_error **err);
void log_reader_free(struct log_reader *r);
DEFINE_FREEP(struct log_reader, log_reader_free)

/* Whether EOF of the newest file ends the reading (false: LOG_NEXT_EOF
 * after the last file, as for the --tail counting pass) or checks for a
 * rotation first (true; only for a reader opened with follow). Once true,
 * files read to their end are closed (no rewind any more). */
void log_reader_set_follow(struct log_reader *r, bool follow);
/* Back to the start of the first file (for a second pass after counting). */
int log_reader_rewind(struct log_reader *r);

/* Follow mode. The fd to watch for EV_READ (the inotify fd), or -1 when
 * inotify is unavailable (then log_reader_next() looks for rotations by
 * stat() at each EOF). When it is readable, call log_reader_update(): it
 * reads the events and opens every log file that appeared since, queued
 * behind the file being read, so a rotated (even deleted) file stays
 * readable through its fd however far behind the reader is. At most
 * max_files + LOG_READER_HELD_EXTRA files are held; a reader further
 * behind than that, or one that more than max_files rotations pass between
 * two updates, loses the files in between: log_reader_next() then returns
 * LOG_NEXT_LOST at the gap. Returns 0 or -errno. */
#define LOG_READER_HELD_EXTRA 16
int log_reader_watch_fd(const struct log_reader *r);
int log_reader_update(struct log_reader *r);

/* Reads at most about *budget bytes from the files (decremented). Returns
 * enum log_next or -errno. Malformed lines are skipped. With follow, a
 * file is left only when its successor exists (it is complete then), so
 * nothing is read twice and nothing is lost short of LOG_NEXT_LOST. */
int log_reader_next(struct log_reader *r, size_t *budget, struct log_record *rec);
