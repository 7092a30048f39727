/* The console log reader: CRI record parsing, time parsing, and a cursor
 * over console.log.N ... console.log that follows rotation: an inotify
 * watch on the directory counts the rotations, and every new file is
 * opened as soon as it appears and queued until it is read. It owns its
 * fds and one bounded line buffer; it never blocks longer than a read(2)
 * of a regular file and never reads more than the budget it is given. */
#include "daemon/log-reader.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs-util.h"
#include "common/time-util.h"

/* Longest record accepted; longer lines are skipped (the monitor writes
 * records of at most 64 KiB of data). Keeps a frame below PROTO_MAX_FRAME. */
#define LOG_LINE_MAX (512 * 1024)
#define LOG_READ_CHUNK (64 * 1024)
#define LOG_FILES_MAX 128
#define LOG_SCAN_ATTEMPTS 8

struct log_file {
        int fd;
        dev_t dev;
        ino_t ino;
        bool gap_before; /* files between the previous one and this were lost */
};

struct log_reader {
        char *dir;
        char *base;
        int max_files;
        int64_t since_ns, until_ns;
        bool follow;
        /* Oldest first; files[cur] is being read, files[n_files-1] is the
         * newest known (normally the live <base>). */
        struct log_file files[LOG_FILES_MAX];
        size_t n_files, cur;
        char *buf;
        size_t off, len; /* unparsed bytes: buf[off..len) */
        bool skipping;   /* dropping an overlong line up to its '\n' */

        /* Follow. Generations: the n-th file to become <base> after the
         * watch was set up has generation n (the files there before count
         * 0, -1, ...). With `exact`, `events` is the generation of the
         * current <base> once the queue is read, and newest_gen that of
         * files[n_files-1] (or of the last <base> seen, with no file). */
        int inotify_fd; /* -1: none, look by stat() at EOF */
        bool exact;     /* inotify works and its queue never overflowed */
        uint64_t events, newest_gen;
        bool gap_pending; /* a gap was found with no file after it yet */
};

/* ---- parsing ---- */

int
log_time_parse(const char *s, int64_t *ret_ns)
{
        size_t len = s ? strlen(s) : 0, i = 0;
        int64_t secs = 0, frac = 0;
        size_t digits = 0;

        if (len == 0)
                return -EINVAL;
        if (strchr(s, '-') || strchr(s, 'T'))
                return parse_rfc3339_ns(s, len, ret_ns);
        /* Unix seconds with an optional fraction. */
        for (; i < len && isdigit((unsigned char) s[i]); i++) {
                if (secs > (INT64_MAX / 1000000000 - 10) / 10)
                        return -EINVAL;
                secs = secs * 10 + (s[i] - '0');
        }
        if (i == 0)
                return -EINVAL;
        if (i < len && s[i] == '.') {
                for (i++; i < len && isdigit((unsigned char) s[i]); i++, digits++)
                        if (digits < 9)
                                frac = frac * 10 + (s[i] - '0');
                if (digits == 0)
                        return -EINVAL;
                for (size_t k = digits; k < 9; k++)
                        frac *= 10;
        }
        if (i != len)
                return -EINVAL;
        *ret_ns = secs * 1000000000 + frac;
        return 0;
}

int
cri_record_parse(const char *line, size_t len, struct log_record *ret)
{
        const char *sp1 = memchr(line, ' ', len), *stream, *tag;
        size_t rest;

        if (!sp1)
                return -EBADMSG;
        ret->ts = line;
        ret->ts_len = (size_t) (sp1 - line);
        if (parse_rfc3339_ns(line, ret->ts_len, &ret->ts_ns) < 0)
                return -EBADMSG;
        stream = sp1 + 1;
        rest = len - (size_t) (stream - line);
        if (rest >= 7 && memcmp(stream, "stdout ", 7) == 0)
                ret->is_stderr = false;
        else if (rest >= 7 && memcmp(stream, "stderr ", 7) == 0)
                ret->is_stderr = true;
        else
                return -EBADMSG;
        tag = stream + 7;
        rest -= 7;
        /* "F " or "P " then data; a record with empty data may end at the tag. */
        if (rest < 1 || (tag[0] != 'F' && tag[0] != 'P') || (rest > 1 && tag[1] != ' '))
                return -EBADMSG;
        ret->partial = tag[0] == 'P';
        ret->data = rest > 1 ? tag + 2 : tag + 1;
        ret->len = rest > 1 ? rest - 2 : 0;
        return 0;
}

/* ---- files ---- */

static char *
file_path(const struct log_reader *r, int k)
{
        char name[64];

        if (k == 0)
                return path_join(r->dir, r->base);
        if (snprintf(name, sizeof(name), "%s.%d", r->base, k) >= (int) sizeof(name))
                return NULL;
        return path_join(r->dir, name);
}

static int
open_file(const char *path, struct log_file *ret)
{
        struct stat st;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0) {
                int r = negative_errno();
                close(fd);
                return r;
        }
        *ret = (struct log_file){ .fd = fd, .dev = st.st_dev, .ino = st.st_ino };
        return 0;
}

static bool
same_file(const struct log_file *a, dev_t dev, ino_t ino)
{
        return a->dev == dev && a->ino == ino;
}

static void
close_list(struct log_file *f, size_t n)
{
        for (size_t i = 0; i < n; i++)
                f[i].fd = safe_close(f[i].fd);
}

static size_t
held_max(const struct log_reader *r)
{
        size_t m = (size_t) r->max_files + LOG_READER_HELD_EXTRA;

        return m > LOG_FILES_MAX ? LOG_FILES_MAX : m;
}

/* Follow mode: files read to their end are not needed any more. */
static void
compact(struct log_reader *r)
{
        if (r->cur == 0)
                return;
        close_list(r->files, r->cur);
        memmove(r->files, r->files + r->cur, (r->n_files - r->cur) * sizeof(r->files[0]));
        r->n_files -= r->cur;
        r->cur = 0;
}

/* Reads the pending inotify events: counts those that made a file <base>
 * (the monitor renames the new file over it; the first one is created). */
static int
drain_events(struct log_reader *r)
{
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

        if (r->inotify_fd < 0)
                return 0;
        for (;;) {
                ssize_t n = read(r->inotify_fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return 0;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        return 0;
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *) p;
                        if (ev->mask & IN_Q_OVERFLOW)
                                r->exact = false;
                        else if (ev->len > 0 && strcmp(ev->name, r->base) == 0)
                                r->events++;
                        p += sizeof(*ev) + ev->len;
                }
        }
}

/* Opens <base>, <base>.1, ... newest first, up to `stop` (the newest file
 * held, NULL if none). Walking newest first, a rotation during the walk
 * can show a file twice (skipped) but never hide one; a file newer than
 * found[0] can show up only if <base> was replaced, which the caller
 * checks. found[] gets the distinct files newest first. */
static int
walk(struct log_reader *r, const struct log_file *stop, struct log_file *found, size_t *ret_n,
     bool *ret_met, struct stat *ret_first)
{
        size_t n = 0;

        *ret_met = false;
        *ret_first = (struct stat){ .st_ino = 0 };
        for (int k = 0; k < r->max_files; k++) {
                _cleanup_free_ char *p = file_path(r, k);
                struct log_file f;
                bool dup = false;
                int q;

                if (!p) {
                        close_list(found, n);
                        return -ENOMEM;
                }
                q = open_file(p, &f);
                if (q == -ENOENT)
                        continue;
                if (q < 0) {
                        close_list(found, n);
                        return q;
                }
                if (k == 0) {
                        ret_first->st_dev = f.dev;
                        ret_first->st_ino = f.ino;
                }
                if (stop && same_file(stop, f.dev, f.ino)) {
                        safe_close(f.fd);
                        *ret_met = true;
                        break;
                }
                for (size_t i = 0; i < n && !dup; i++)
                        dup = same_file(&found[i], f.dev, f.ino);
                if (dup) {
                        safe_close(f.fd);
                        continue;
                }
                found[n++] = f;
        }
        *ret_n = n;
        return 0;
}

/* A walk during which <base> was not replaced (its inode is the one seen
 * first and, with inotify, no rename reached it): found[] are then
 * consecutive generations, newest first, found[0] of generation
 * r->events. Returns 1, or 0 if it kept rotating (try again later). */
static int
scan(struct log_reader *r, const struct log_file *stop, struct log_file *found, size_t *ret_n,
     bool *ret_met)
{
        _cleanup_free_ char *base = file_path(r, 0);
        int q;

        if (!base)
                return -ENOMEM;
        for (int attempt = 0; attempt < LOG_SCAN_ATTEMPTS; attempt++) {
                uint64_t before;
                struct stat first, now;
                bool stable;

                q = drain_events(r);
                if (q < 0)
                        return q;
                before = r->events;
                q = walk(r, stop, found, ret_n, ret_met, &first);
                if (q < 0)
                        return q;
                q = drain_events(r);
                if (q < 0) {
                        close_list(found, *ret_n);
                        return q;
                }
                if (stat(base, &now) < 0)
                        stable = errno == ENOENT && first.st_ino == 0;
                else
                        stable = now.st_ino == first.st_ino && now.st_dev == first.st_dev;
                if (stable && r->events == before)
                        return 1;
                close_list(found, *ret_n);
        }
        return 0;
}

/* Queues the files that appeared after the newest one held, oldest first,
 * as many as the queue takes; marks a gap where files were lost. */
static int
catch_up(struct log_reader *r)
{
        struct log_file found[LOG_FILES_MAX];
        const struct log_file *newest = r->n_files > 0 ? &r->files[r->n_files - 1] : NULL;
        size_t n = 0, keep, room;
        bool met, lost;
        int q;

        q = scan(r, newest, found, &n, &met);
        if (q <= 0)
                return q;
        if (met || n == 0)
                lost = false;
        else if (r->exact)
                lost = r->events - r->newest_gen > n; /* the successor of newest is gone */
        else
                lost = newest != NULL; /* cannot tell: say so rather than hide it */
        if (r->follow)
                compact(r);
        room = held_max(r) > r->n_files ? held_max(r) - r->n_files : 0;
        keep = n < room ? n : room;
        /* Keep the oldest: the newer ones are found again next time. */
        close_list(found, n - keep);
        for (size_t i = n; i > n - keep; i--)
                r->files[r->n_files++] = found[i - 1];
        if (lost)
                r->gap_pending = true;
        if (keep > 0 && r->gap_pending) {
                r->files[r->n_files - keep].gap_before = true;
                r->gap_pending = false;
        }
        if (keep > 0 || n == 0)
                r->newest_gen = r->events - (n - keep);
        return 0;
}

/* Without inotify: has <base> changed since the newest file held? */
static bool
base_changed(struct log_reader *r)
{
        _cleanup_free_ char *p = file_path(r, 0);
        struct stat st;

        if (!p || stat(p, &st) < 0)
                return false; /* gone: the writer is about to rename the new one */
        return r->n_files == 0 || !same_file(&r->files[r->n_files - 1], st.st_dev, st.st_ino);
}

int
log_reader_watch_fd(const struct log_reader *r)
{
        return r->inotify_fd;
}

int
log_reader_update(struct log_reader *r)
{
        int q = drain_events(r);

        if (q < 0)
                return q;
        if (r->exact ? r->events == r->newest_gen : !base_changed(r))
                return 0;
        return catch_up(r);
}

static void
watch_dir(struct log_reader *r)
{
        r->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (r->inotify_fd < 0 ||
            inotify_add_watch(r->inotify_fd, r->dir, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR) < 0) {
                /* Followed by stat() at each EOF instead: a fast rotation
                 * may then be reported as lost where nothing was. */
                r->inotify_fd = safe_close(r->inotify_fd);
                return;
        }
        r->exact = true;
}

int
log_reader_open(const char *dir, const char *base, int max_files, int64_t since_ns,
                int64_t until_ns, bool follow, struct log_reader **ret, struct ctr_error **err)
{
        _cleanup_(log_reader_freep) struct log_reader *r = calloc(1, sizeof(*r));
        struct log_file found[LOG_FILES_MAX];
        size_t n = 0;
        bool met;
        int q;

        if (!r)
                return -ENOMEM;
        r->inotify_fd = -1;
        r->dir = strdup(dir);
        r->base = strdup(base);
        r->max_files = max_files < 1 ? 1 : max_files > LOG_FILES_MAX ? LOG_FILES_MAX : max_files;
        r->since_ns = since_ns;
        r->until_ns = until_ns;
        r->buf = malloc(LOG_LINE_MAX);
        if (!r->dir || !r->base || !r->buf)
                return -ENOMEM;
        if (follow)
                watch_dir(r); /* first: every rotation after the walk is seen */
        q = scan(r, NULL, found, &n, &met);
        if (q < 0)
                return ctr_error_sys(err, -q, "open the log in `%s`", dir);
        if (q == 0)
                return ctr_error_msg(err, EAGAIN, "the log of %s rotates too fast to be read", dir);
        for (size_t i = n; i > 0; i--)
                r->files[r->n_files++] = found[i - 1];
        r->newest_gen = r->events;
        *ret = TAKE_PTR(r);
        return 0;
}

void
log_reader_free(struct log_reader *r)
{
        if (!r)
                return;
        close_list(r->files, r->n_files);
        safe_close(r->inotify_fd);
        free(r->dir);
        free(r->base);
        free(r->buf);
        free(r);
}

void
log_reader_set_follow(struct log_reader *r, bool follow)
{
        r->follow = follow;
}

int
log_reader_rewind(struct log_reader *r)
{
        for (size_t i = 0; i < r->n_files; i++)
                if (lseek(r->files[i].fd, 0, SEEK_SET) < 0)
                        return negative_errno();
        r->cur = 0;
        r->off = r->len = 0;
        r->skipping = false;
        return 0;
}

static bool
selected(const struct log_reader *r, const struct log_record *rec)
{
        return r->since_ns < 0 || rec->ts_ns >= r->since_ns;
}

/* The next complete line in the buffer (or the rest at the end of a
 * finished file when at_end): 1 and the line, 0 if none. */
static int
take_line(struct log_reader *r, bool at_end, const char **ret, size_t *ret_len)
{
        for (;;) {
                char *nl = memchr(r->buf + r->off, '\n', r->len - r->off);
                if (!nl) {
                        if (r->skipping) {
                                r->off = r->len = 0;
                                return 0;
                        }
                        if (at_end && r->len > r->off) {
                                *ret = r->buf + r->off;
                                *ret_len = r->len - r->off;
                                r->off = r->len = 0;
                                return 1;
                        }
                        return 0;
                }
                if (r->skipping) {
                        r->skipping = false;
                        r->off = (size_t) (nl - r->buf) + 1;
                        continue;
                }
                *ret = r->buf + r->off;
                *ret_len = (size_t) (nl - (r->buf + r->off));
                r->off += *ret_len + 1;
                return 1;
        }
}

/* Reads the next chunk of the current file: >0 bytes, 0 at EOF. */
static int
fill(struct log_reader *r, size_t *budget)
{
        size_t want;
        ssize_t n;

        if (r->off > 0) {
                memmove(r->buf, r->buf + r->off, r->len - r->off);
                r->len -= r->off;
                r->off = 0;
        }
        if (r->len == LOG_LINE_MAX) {
                /* A line longer than we accept: drop it up to its end. */
                r->len = 0;
                r->skipping = true;
        }
        want = LOG_LINE_MAX - r->len;
        if (want > LOG_READ_CHUNK)
                want = LOG_READ_CHUNK;
        n = read(r->files[r->cur].fd, r->buf + r->len, want);
        if (n < 0)
                return errno == EINTR ? 1 : negative_errno();
        r->len += (size_t) n;
        *budget = *budget > (size_t) n ? *budget - (size_t) n : 0;
        return (int) (n > 0);
}

int
log_reader_next(struct log_reader *r, size_t *budget, struct log_record *rec)
{
        for (;;) {
                const char *line;
                size_t len;
                bool last;
                int q;

                q = take_line(r, false, &line, &len);
                if (q > 0) {
                        if (cri_record_parse(line, len, rec) < 0)
                                continue;
                        if (r->until_ns >= 0 && rec->ts_ns >= r->until_ns)
                                return LOG_NEXT_END;
                        if (selected(r, rec))
                                return LOG_NEXT_RECORD;
                        continue;
                }
                if (r->cur >= r->n_files) {
                        /* No log yet (never started): look for it. */
                        if (!r->follow)
                                return LOG_NEXT_EOF;
                        q = log_reader_update(r);
                        if (q < 0)
                                return q;
                        if (r->cur >= r->n_files)
                                return LOG_NEXT_EOF;
                        continue;
                }
                /* Reported in the following pass only (not while
                 * counting for --tail: the rewind would lose it). */
                if (r->files[r->cur].gap_before && r->off == r->len && r->follow) {
                        r->files[r->cur].gap_before = false;
                        return LOG_NEXT_LOST;
                }
                if (*budget == 0)
                        return LOG_NEXT_AGAIN;
                q = fill(r, budget);
                if (q < 0)
                        return q;
                if (q > 0)
                        continue;
                /* EOF of the current file. */
                last = r->cur + 1 >= r->n_files;
                if (last && r->follow) {
                        q = log_reader_update(r);
                        if (q < 0)
                                return q;
                        /* A successor: this file is complete once read to
                         * its end again (the writer renames the new file
                         * only after its last write to the old one). */
                        if (r->cur + 1 < r->n_files)
                                continue;
                }
                if (last)
                        return LOG_NEXT_EOF;
                /* A finished file's unterminated tail counts as a line. */
                r->cur++;
                if (take_line(r, true, &line, &len) > 0) {
                        r->skipping = false;
                        if (r->follow)
                                compact(r);
                        if (cri_record_parse(line, len, rec) == 0 &&
                            (r->until_ns < 0 || rec->ts_ns < r->until_ns) && selected(r, rec))
                                return LOG_NEXT_RECORD;
                        continue;
                }
                r->skipping = false;
                if (r->follow)
                        compact(r);
        }
}
