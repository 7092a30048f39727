/* Unit tests for daemon/log-reader.c: the CRI record parser, time parsing,
 * reading console.log.N ... console.log in order, since/until selection,
 * rewind (the --tail second pass), and following across rotation done the
 * way the monitor does it (hard link to .1, new file renamed over). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs-util.h"
#include "daemon/log-reader.h"
#include "tests/unit/tap.h"

#define T0 "2024-01-02T03:04:05.000000001Z"
#define NS0 1704164645000000001LL

static void
test_parse(void)
{
        struct log_record r;
        const char *l;

        l = T0 " stdout F hello world";
        ok(cri_record_parse(l, strlen(l), &r) == 0 && !r.is_stderr && !r.partial &&
                   r.len == 11 && memcmp(r.data, "hello world", 11) == 0 && r.ts_ns == NS0 &&
                   r.ts_len == strlen(T0),
           "F stdout record");
        l = T0 " stderr P part";
        ok(cri_record_parse(l, strlen(l), &r) == 0 && r.is_stderr && r.partial && r.len == 4,
           "P stderr record");
        l = T0 " stdout F ";
        ok(cri_record_parse(l, strlen(l), &r) == 0 && r.len == 0, "empty line record");
        l = T0 " stdout F";
        ok(cri_record_parse(l, strlen(l), &r) == 0 && r.len == 0, "empty record without space");
        l = T0 " stdout F  two  spaces ";
        ok(cri_record_parse(l, strlen(l), &r) == 0 && r.len == 13 && r.data[0] == ' ',
           "data keeps its spaces");
        ok(cri_record_parse("x", 1, &r) == -EBADMSG, "no space");
        l = T0 " stdin F x";
        ok(cri_record_parse(l, strlen(l), &r) == -EBADMSG, "bad stream");
        l = T0 " stdout X x";
        ok(cri_record_parse(l, strlen(l), &r) == -EBADMSG, "bad tag");
        l = T0 " stdout Fx";
        ok(cri_record_parse(l, strlen(l), &r) == -EBADMSG, "tag not followed by space");
        l = "2024-13-02T03:04:05Z stdout F x";
        ok(cri_record_parse(l, strlen(l), &r) == -EBADMSG, "bad month");
        l = "yesterday stdout F x";
        ok(cri_record_parse(l, strlen(l), &r) == -EBADMSG, "bad timestamp");
        l = T0 " stdout ";
        ok(cri_record_parse(l, strlen(l), &r) == -EBADMSG, "missing tag");
}

static void
test_time(void)
{
        int64_t ns = 0;

        ok(log_time_parse(T0, &ns) == 0 && ns == NS0, "RFC 3339 with nanoseconds");
        ok(log_time_parse("2024-01-02T03:04:05Z", &ns) == 0 && ns == NS0 - 1, "no fraction");
        ok(log_time_parse("2024-01-02T04:04:05.5+01:00", &ns) == 0 &&
                   ns == NS0 - 1 + 500000000,
           "offset +01:00 and a short fraction");
        ok(log_time_parse("2024-01-02T02:04:05-01:00", &ns) == 0 && ns == NS0 - 1,
           "offset -01:00");
        ok(log_time_parse("1704164645", &ns) == 0 && ns == NS0 - 1, "unix seconds");
        ok(log_time_parse("1704164645.25", &ns) == 0 && ns == NS0 - 1 + 250000000,
           "unix seconds with a fraction");
        ok(log_time_parse("0", &ns) == 0 && ns == 0, "epoch");
        ns = 7;
        ok(log_time_parse("", &ns) == -EINVAL && ns == 7, "empty");
        ok(log_time_parse("12x", &ns) == -EINVAL, "junk after seconds");
        ok(log_time_parse("1.", &ns) == -EINVAL, "dot without digits");
        ok(log_time_parse("-5", &ns) == -EINVAL, "negative");
        ok(log_time_parse("2024-01-02T03:04:05", &ns) == -EINVAL, "no zone");
        ok(log_time_parse("2024-01-02 03:04:05Z", &ns) == -EINVAL, "space for T");
        ok(log_time_parse("99999999999999999999", &ns) == -EINVAL, "overflow");
}

static char dir[] = "/tmp/test-log-reader-XXXXXX";

static void
put(const char *name, const char *text, bool append)
{
        _cleanup_free_ char *p = path_join(dir, name);
        int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);

        if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t) strlen(text))
                printf("# write %s failed\n", p);
        close(fd);
}

static void
rm_name(const char *name)
{
        _cleanup_free_ char *p = path_join(dir, name);

        (void) unlink(p);
}

/* Reads everything selected up to EOF/END; returns the data joined, each
 * record followed by '|' (P records by '~'), a gap (LOG_NEXT_LOST) as '!'. */
static int
drain(struct log_reader *r, char *out, size_t size, int *ret_status)
{
        struct log_record rec;
        size_t n = 0;
        int count = 0, q;

        out[0] = '\0';
        for (;;) {
                size_t budget = 7; /* tiny: exercises LOG_NEXT_AGAIN */
                q = log_reader_next(r, &budget, &rec);
                if (q == LOG_NEXT_AGAIN)
                        continue;
                if (q == LOG_NEXT_LOST) {
                        n += (size_t) snprintf(out + n, size - n, "!");
                        continue;
                }
                if (q != LOG_NEXT_RECORD)
                        break;
                count++;
                n += (size_t) snprintf(out + n, size - n, "%s%.*s%c", rec.is_stderr ? "E:" : "",
                                       (int) rec.len, rec.data, rec.partial ? '~' : '|');
        }
        *ret_status = q;
        return count;
}

static char *
rec(const char *ts, const char *stream, const char *tag, const char *data)
{
        static char buf[8][256];
        static int k;
        char *b = buf[k++ % 8];

        snprintf(b, 256, "2024-01-02T03:04:%sZ %s %s %s\n", ts, stream, tag, data);
        return b;
}

static void
test_files(void)
{
        struct log_reader *r = NULL;
        char out[4096];
        int st, n;

        ok(mkdtemp(dir) != NULL, "temp dir");
        ok(log_reader_open(dir, "console.log", 3, -1, -1, false, &r, NULL) == 0, "open empty log");
        n = drain(r, out, sizeof(out), &st);
        ok(n == 0 && st == LOG_NEXT_EOF, "no files: empty, EOF");
        log_reader_free(r);

        put("console.log.2", rec("01", "stdout", "F", "a"), false);
        put("console.log.2", rec("02", "stderr", "F", "b"), true);
        put("console.log.1", rec("03", "stdout", "P", "c1"), false);
        put("console.log.1", "garbage line\n", true);
        put("console.log.1", rec("04", "stdout", "F", "c2"), true);
        put("console.log", rec("05", "stdout", "F", "d"), false);
        put("console.log", "2024-01-02T03:04:06Z stdout F partial-no-newline", true);
        put("console.log.3", rec("00", "stdout", "F", "too-old"), false);

        ok(log_reader_open(dir, "console.log", 3, -1, -1, false, &r, NULL) == 0, "open 3 files");
        n = drain(r, out, sizeof(out), &st);
        is_str(out, "a|E:b|c1~c2|d|", "oldest first, malformed skipped, .3 ignored");
        ok(n == 5 && st == LOG_NEXT_EOF, "5 records then EOF (the live file's partial line waits)");
        put("console.log", "\n", true);
        n = drain(r, out, sizeof(out), &st);
        is_str(out, "partial-no-newline|", "the line is read once complete");
        ok(log_reader_rewind(r) == 0, "rewind");
        n = drain(r, out, sizeof(out), &st);
        ok(n == 6, "second pass reads all 6 again");
        log_reader_free(r);

        ok(log_reader_open(dir, "console.log", 3, 1704164643000000000LL, 1704164645000000000LL, false,
                           &r, NULL) == 0,
           "open with since/until");
        n = drain(r, out, sizeof(out), &st);
        is_str(out, "c1~c2|", "since 03 <= ts < until 05");
        ok(st == LOG_NEXT_END, "END at until");
        log_reader_free(r);

        ok(log_reader_open(dir, "console.log", 1, 1704164645000000000LL, -1, false, &r, NULL) == 0,
           "open only console.log (max_files 1)");
        n = drain(r, out, sizeof(out), &st);
        is_str(out, "d|partial-no-newline|", "since 05 in console.log only");
        log_reader_free(r);
}

/* The monitor's rotation: .1 -> .2, console.log linked as .1, a new file
 * renamed over console.log. */
static void
rotate(void)
{
        _cleanup_free_ char *l = path_join(dir, "console.log"), *one = path_join(dir, "console.log.1"),
                            *two = path_join(dir, "console.log.2"),
                            *tmp = path_join(dir, "console.log.new");
        int fd;

        (void) rename(one, two);
        (void) unlink(one);
        ok(link(l, one) == 0, "rotate: link console.log to .1");
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        close(fd);
        ok(rename(tmp, l) == 0, "rotate: new console.log");
}

static void
test_follow(void)
{
        struct log_reader *r = NULL;
        char out[4096];
        int st, n;

        rm_name("console.log.2");
        rm_name("console.log.1");
        put("console.log", rec("10", "stdout", "F", "one"), false);
        ok(log_reader_open(dir, "console.log", 3, -1, -1, true, &r, NULL) == 0, "open for follow");
        ok(log_reader_watch_fd(r) >= 0, "inotify watch");
        log_reader_set_follow(r, true);
        n = drain(r, out, sizeof(out), &st);
        is_str(out, "one|", "first record");

        put("console.log", rec("11", "stdout", "F", "two"), true);
        rotate();
        put("console.log", rec("12", "stdout", "F", "three"), true);
        n = drain(r, out, sizeof(out), &st);
        is_str(out, "two|three|", "across one rotation: nothing lost or repeated");
        ok(st == LOG_NEXT_EOF, "caught up");

        put("console.log", rec("13", "stdout", "F", "four"), true);
        rotate();
        put("console.log", rec("14", "stdout", "F", "five"), true);
        rotate();
        put("console.log", rec("15", "stdout", "F", "six"), true);
        n = drain(r, out, sizeof(out), &st);
        is_str(out, "four|five|six|", "across two rotations between reads");

        n = drain(r, out, sizeof(out), &st);
        ok(n == 0 && st == LOG_NEXT_EOF, "nothing new: EOF");
        log_reader_free(r);

        /* max_files 1: the old file is gone; the reader still finishes it
         * through its fd and goes on with the new console.log. */
        rm_name("console.log.1");
        rm_name("console.log.2");
        put("console.log", rec("20", "stdout", "F", "x"), false);
        ok(log_reader_open(dir, "console.log", 1, -1, -1, true, &r, NULL) == 0, "open max_files 1");
        log_reader_set_follow(r, true);
        n = drain(r, out, sizeof(out), &st);
        put("console.log", rec("21", "stdout", "F", "y"), true);
        {
                _cleanup_free_ char *l = path_join(dir, "console.log"),
                                    *tmp = path_join(dir, "console.log.new");
                int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                close(fd);
                ok(rename(tmp, l) == 0, "replace console.log");
        }
        put("console.log", rec("22", "stdout", "F", "z"), true);
        n = drain(r, out, sizeof(out), &st);
        is_str(out, "y|z|", "max_files 1: old file finished, new one read");
        log_reader_free(r);
}

static void
rm_all(void)
{
        rm_name("console.log");
        rm_name("console.log.1");
        rm_name("console.log.2");
}

/* A reader that does not read (its client is paused) but is told of each
 * rotation keeps every file, even those the rotation deleted; one that is
 * not told for more than max_files rotations reports the gap once. */
static void
test_follow_queue(bool inotify)
{
        struct log_reader *r = NULL;
        char out[4096], want[4096], ts[8], data[16];
        size_t w = 0;
        int st;

        rm_all();
        put("console.log", rec("00", "stdout", "F", "r0"), false);
        ok(log_reader_open(dir, "console.log", 3, -1, -1, inotify, &r, NULL) == 0,
           "open for follow (%s)", inotify ? "inotify" : "stat");
        log_reader_set_follow(r, true);
        drain(r, out, sizeof(out), &st);
        is_str(out, "r0|", "first record");
        for (int i = 1; i <= 12; i++) {
                snprintf(ts, sizeof(ts), "%02d", i);
                snprintf(data, sizeof(data), "r%d", i);
                put("console.log", rec(ts, "stdout", "F", data), true);
                rotate();
                ok(log_reader_update(r) == 0, "update after rotation %d", i);
                w += (size_t) snprintf(want + w, sizeof(want) - w, "%s|", data);
        }
        put("console.log", rec("13", "stdout", "F", "r13"), true);
        w += (size_t) snprintf(want + w, sizeof(want) - w, "r13|");
        drain(r, out, sizeof(out), &st);
        is_str(out, want, "12 rotations while not reading: every record, in order");
        ok(st == LOG_NEXT_EOF, "then EOF");

        /* Five rotations with no update in between: the files of r15 and
         * r16 are gone before the reader looks. */
        for (int i = 14; i <= 18; i++) {
                snprintf(ts, sizeof(ts), "%02d", i);
                snprintf(data, sizeof(data), "r%d", i);
                put("console.log", rec(ts, "stdout", "F", data), true);
                rotate();
        }
        put("console.log", rec("19", "stdout", "F", "r19"), true);
        drain(r, out, sizeof(out), &st);
        is_str(out, "r14|!r17|r18|r19|", "outrun: the held file to its end, one gap notice, what is left");
        drain(r, out, sizeof(out), &st);
        is_str(out, "", "the notice is given once");

        /* Exactly max_files rotations between two looks: nothing lost. */
        for (int i = 20; i <= 22; i++) {
                snprintf(ts, sizeof(ts), "%02d", i);
                snprintf(data, sizeof(data), "r%d", i);
                put("console.log", rec(ts, "stdout", "F", data), true);
                rotate();
        }
        drain(r, out, sizeof(out), &st);
        if (inotify)
                is_str(out, "r20|r21|r22|", "max_files rotations between looks: nothing lost");
        else
                ok(strstr(out, "r21|r22|") != NULL, "stat mode: the rest is read (%s)", out);
        log_reader_free(r);
}

static void
test_long_line(void)
{
        struct log_reader *r = NULL;
        size_t big = 600 * 1024;
        char *line = malloc(big + 64), out[256];
        int st, n;

        memset(line, 'x', big + 63);
        line[big + 63] = '\0';
        put("console.log", line, false);
        put("console.log", "\n", true);
        put("console.log", rec("30", "stdout", "F", "after"), true);
        ok(log_reader_open(dir, "console.log", 1, -1, -1, false, &r, NULL) == 0,
           "open long-line log");
        n = drain(r, out, sizeof(out), &st);
        is_str(out, "after|", "an overlong line is skipped, the next one read");
        ok(n == 1, "one record");
        log_reader_free(r);
        free(line);
}

int
main(void)
{
        test_parse();
        test_time();
        test_files();
        test_follow();
        test_follow_queue(true);
        test_follow_queue(false);
        test_long_line();
        (void) rm_rf(dir, NULL);
        return tap_done();
}
