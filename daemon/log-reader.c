/* The console log reader: CRI record parsing, time parsing, and a cursor
 * over console.log.N ... console.log that follows rotation by inode. It
 * owns its fds and one bounded line buffer; it never blocks longer than a
 * read(2) of a regular file and never reads more than the budget it is
 * given per call. */
#include "daemon/log-reader.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fs-util.h"

/* Longest record accepted; longer lines are skipped (the monitor writes
 * records of at most 64 KiB of data). Keeps a frame below PROTO_MAX_FRAME. */
#define LOG_LINE_MAX (512 * 1024)
#define LOG_READ_CHUNK (64 * 1024)
#define LOG_FILES_MAX 128

struct log_file {
        int fd;
        dev_t dev;
        ino_t ino;
};

struct log_reader {
        char *dir;
        char *base;
        int max_files;
        int64_t since_ns, until_ns;
        bool follow;
        struct log_file files[LOG_FILES_MAX];
        size_t n_files, cur;
        char *buf;
        size_t off, len; /* unparsed bytes: buf[off..len) */
        bool skipping;   /* dropping an overlong line up to its '\n' */
        bool rotated;    /* the current file was seen replaced: at EOF move on */
};

/* ---- parsing ---- */

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

/* Parses a time at s (len bytes, not NUL-terminated). */
static int
parse_rfc3339(const char *s, size_t len, int64_t *ret)
{
        struct tm tm = { 0 };
        int Y, M, D, h, m, sec, frac = 0, off = 0, oh, om;
        size_t i = 19, digits = 0;
        time_t t;

        if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
            s[13] != ':' || s[16] != ':' || parse_digits(s, 4, &Y) < 0 ||
            parse_digits(s + 5, 2, &M) < 0 || parse_digits(s + 8, 2, &D) < 0 ||
            parse_digits(s + 11, 2, &h) < 0 || parse_digits(s + 14, 2, &m) < 0 ||
            parse_digits(s + 17, 2, &sec) < 0)
                return -EINVAL;
        if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
                return -EINVAL;
        if (s[i] == '.') {
                for (i++; i < len && isdigit((unsigned char) s[i]); i++, digits++)
                        if (digits < 9)
                                frac = frac * 10 + (s[i] - '0');
                if (digits == 0)
                        return -EINVAL;
                for (size_t k = digits; k < 9; k++)
                        frac *= 10;
        }
        if (i == len - 1 && (s[i] == 'Z' || s[i] == 'z')) {
                off = 0;
        } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':' &&
                   parse_digits(s + i + 1, 2, &oh) == 0 && parse_digits(s + i + 4, 2, &om) == 0 &&
                   oh < 24 && om < 60) {
                off = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
        } else {
                return -EINVAL;
        }
        tm.tm_year = Y - 1900;
        tm.tm_mon = M - 1;
        tm.tm_mday = D;
        tm.tm_hour = h;
        tm.tm_min = m;
        tm.tm_sec = sec;
        t = timegm(&tm);
        if (t == (time_t) -1 || t - off < 0)
                return -EINVAL;
        *ret = ((int64_t) t - off) * 1000000000 + frac;
        return 0;
}

int
log_time_parse(const char *s, int64_t *ret_ns)
{
        size_t len = s ? strlen(s) : 0, i = 0;
        int64_t secs = 0, frac = 0;
        size_t digits = 0;

        if (len == 0)
                return -EINVAL;
        if (strchr(s, '-') || strchr(s, 'T'))
                return parse_rfc3339(s, len, ret_ns);
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
        if (parse_rfc3339(line, ret->ts_len, &ret->ts_ns) < 0)
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
        char *p = NULL, name[64];

        if (k == 0)
                return path_join(r->dir, r->base);
        if (snprintf(name, sizeof(name), "%s.%d", r->base, k) >= (int) sizeof(name))
                return NULL;
        p = path_join(r->dir, name);
        return p;
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

static void
close_files(struct log_reader *r)
{
        for (size_t i = 0; i < r->n_files; i++)
                safe_close(r->files[i].fd);
        r->n_files = r->cur = 0;
}

/* Opens the oldest to the newest file. A rotation between two opens can
 * make two slots the same file: then it starts over. */
static int
open_all(struct log_reader *r, struct ctr_error **err)
{
        for (int attempt = 0; attempt < 5; attempt++) {
                bool dup = false;

                close_files(r);
                for (int k = r->max_files - 1; k >= 0; k--) {
                        _cleanup_free_ char *p = file_path(r, k);
                        int q;
                        if (!p)
                                return -ENOMEM;
                        q = open_file(p, &r->files[r->n_files]);
                        if (q == -ENOENT)
                                continue;
                        if (q < 0)
                                return ctr_error_sys(err, -q, "open `%s`", p);
                        for (size_t i = 0; i < r->n_files; i++)
                                if (r->files[i].ino == r->files[r->n_files].ino &&
                                    r->files[i].dev == r->files[r->n_files].dev)
                                        dup = true;
                        r->n_files++;
                }
                if (!dup)
                        return 0;
        }
        return ctr_error_msg(err, EAGAIN, "the log of %s rotates too fast to be read", r->dir);
}

int
log_reader_open(const char *dir, const char *base, int max_files, int64_t since_ns,
                int64_t until_ns, struct log_reader **ret, struct ctr_error **err)
{
        _cleanup_(log_reader_freep) struct log_reader *r = calloc(1, sizeof(*r));
        int q;

        if (!r)
                return -ENOMEM;
        r->dir = strdup(dir);
        r->base = strdup(base);
        r->max_files = max_files < 1 ? 1 : max_files > LOG_FILES_MAX ? LOG_FILES_MAX : max_files;
        r->since_ns = since_ns;
        r->until_ns = until_ns;
        r->buf = malloc(LOG_LINE_MAX);
        if (!r->dir || !r->base || !r->buf)
                return -ENOMEM;
        q = open_all(r, err);
        if (q < 0)
                return q;
        *ret = TAKE_PTR(r);
        return 0;
}

void
log_reader_free(struct log_reader *r)
{
        if (!r)
                return;
        close_files(r);
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
        r->skipping = r->rotated = false;
        return 0;
}

/* After the current (last) file was rotated away: the file that came
 * after it. If it was renamed to <base>.k, that is <base>.(k-1) (or
 * <base>); if it is gone already, <base>. */
static int
open_successor(struct log_reader *r)
{
        struct log_file *f = &r->files[r->cur], next;
        int succ = 0, q;

        for (int k = 1; k <= r->max_files; k++) {
                _cleanup_free_ char *p = file_path(r, k);
                struct stat st;
                if (!p)
                        return -ENOMEM;
                if (stat(p, &st) == 0 && st.st_ino == f->ino && st.st_dev == f->dev) {
                        succ = k - 1;
                        break;
                }
        }
        for (;; succ--) {
                _cleanup_free_ char *p = file_path(r, succ);
                if (!p)
                        return -ENOMEM;
                q = open_file(p, &next);
                if (q >= 0 || succ == 0)
                        break;
        }
        if (q < 0)
                return q == -ENOENT ? 0 : q; /* no new file yet: stay */
        safe_close(f->fd);
        *f = next;
        r->rotated = false;
        return 1;
}

/* Is the last file still <base>? (follow mode, at EOF) */
static bool
base_replaced(struct log_reader *r)
{
        _cleanup_free_ char *p = file_path(r, 0);
        struct log_file *f = &r->files[r->cur];
        struct stat st;

        if (!p || stat(p, &st) < 0)
                return false; /* gone: the writer is about to create it */
        return st.st_ino != f->ino || st.st_dev != f->dev;
}

static bool
selected(const struct log_reader *r, const struct log_record *rec)
{
        if (r->since_ns >= 0 && rec->ts_ns < r->since_ns)
                return false;
        return true;
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
                bool last = r->cur + 1 >= r->n_files;
                int q;

                /* A finished file's unterminated tail counts as a line. */
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
                if (r->n_files == 0) {
                        /* No log yet (never started): in follow mode, look
                         * for the file to appear. */
                        _cleanup_free_ char *p = file_path(r, 0);
                        if (!r->follow || !p || open_file(p, &r->files[0]) < 0)
                                return LOG_NEXT_EOF;
                        r->n_files = 1;
                        continue;
                }
                if (*budget == 0)
                        return LOG_NEXT_AGAIN;
                q = fill(r, budget);
                if (q < 0)
                        return q;
                if (q > 0)
                        continue;
                /* EOF of the current file. */
                if (!last || (r->follow && r->rotated)) {
                        if (take_line(r, true, &line, &len) > 0) {
                                r->skipping = false;
                                if (cri_record_parse(line, len, rec) == 0 &&
                                    (r->until_ns < 0 || rec->ts_ns < r->until_ns) &&
                                    selected(r, rec))
                                        return LOG_NEXT_RECORD;
                        }
                        r->skipping = false;
                        if (!last) {
                                /* Kept open: a rewind reads it again. */
                                r->cur++;
                                continue;
                        }
                        q = open_successor(r);
                        if (q < 0)
                                return q;
                        if (q == 0)
                                return LOG_NEXT_EOF;
                        continue;
                }
                if (!r->follow || !base_replaced(r))
                        return LOG_NEXT_EOF;
                /* Rotated: whatever was written to the old file before the
                 * new one appeared is read first (one more pass to EOF). */
                r->rotated = true;
        }
}
