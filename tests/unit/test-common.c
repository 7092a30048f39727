/* Unit tests for common/: parsers, ids and names, errors, fs helpers, times. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fs-util.h"
#include "common/id.h"
#include "common/parse.h"
#include "common/time-util.h"
#include "tests/unit/tap.h"

static void
test_parse(void)
{
        int64_t v = 42;
        uint64_t u = 0;
        int i = 0;

        ok(parse_int64("123", &v) == 0 && v == 123, "parse_int64 123");
        ok(parse_int64("-5", &v) == 0 && v == -5, "parse_int64 -5");
        v = 7;
        ok(parse_int64("", &v) == -EINVAL && v == 7, "empty string is invalid, value untouched");
        ok(parse_int64(" 1", &v) == -EINVAL, "leading space is invalid");
        ok(parse_int64("1x", &v) == -EINVAL, "trailing junk is invalid");
        ok(parse_int64("99999999999999999999", &v) == -ERANGE, "overflow is ERANGE");
        ok(parse_uint64("-1", &u) == -EINVAL, "negative unsigned is invalid");
        ok(parse_uint64("18446744073709551615", &u) == 0 && u == UINT64_MAX, "uint64 max");
        ok(parse_int("2147483648", &i) == -ERANGE, "int overflow");
        ok(parse_int_range("11", 0, 10, &v) == -ERANGE, "range check");
        is_int(parse_signal("TERM"), 15, "signal TERM");
        is_int(parse_signal("sigkill"), 9, "signal sigkill");
        is_int(parse_signal("10"), 10, "signal by number");
        ok(parse_signal("0") < 0, "signal 0 rejected");
        ok(parse_signal("NOPE") < 0, "unknown signal rejected");
        is_str(signal_to_name(15), "SIGTERM", "signal name");
}

static void
test_ids(void)
{
        char id[ID_HEX_LEN + 1], id2[ID_HEX_LEN + 1];

        ok(id_generate(id) == 0 && id_is_valid(id), "generated id is valid");
        ok(id_generate(id2) == 0 && strcmp(id, id2) != 0, "ids differ");
        ok(!id_is_valid("abc"), "short id invalid");
        ok(!id_is_valid(NULL), "NULL id invalid");
        ok(id_prefix_is_valid("abc123"), "hex prefix valid");
        ok(!id_prefix_is_valid("ABC"), "upper-case prefix invalid");
        ok(!id_prefix_is_valid(""), "empty prefix invalid");
        ok(name_is_valid("web-1.a_b"), "name valid");
        ok(!name_is_valid("-web"), "leading dash invalid");
        ok(!name_is_valid("a/b"), "slash invalid");
        ok(!name_is_valid(""), "empty name invalid");
        {
                char longname[NAME_MAX_LEN + 2];
                memset(longname, 'a', sizeof(longname) - 1);
                longname[sizeof(longname) - 1] = 0;
                ok(!name_is_valid(longname), "overlong name invalid");
        }
}

static void
test_errors(void)
{
        _cleanup_error_ struct ctr_error *e = NULL;

        is_int(ctr_error_sys(&e, ENOENT, "open `%s`", "/x"), -ENOENT, "sys returns -errno");
        is_str(e->message, "open `/x`: No such file or directory", "sys message");
        ctr_error_msg(&e, EINVAL, "second");
        is_str(e->message, "open `/x`: No such file or directory", "first error wins");
        ctr_error_prefix(&e, EIO, "load image");
        is_str(e->message, "load image: open `/x`: No such file or directory", "prefix");
        is_int(ctr_error_msg(NULL, EPERM, "x"), -EPERM, "NULL err is fine");
}

static void
test_fs(void)
{
        char tmpl[] = "/tmp/test-common-XXXXXX";
        _cleanup_free_ char *dir = NULL, *sub = NULL, *file = NULL, *data = NULL;
        _cleanup_error_ struct ctr_error *e = NULL;
        size_t len = 0;
        struct stat st;

        ok(mkdtemp(tmpl) != NULL, "mkdtemp");
        dir = strdup(tmpl);
        sub = path_join(dir, "a/b/c");
        ok(mkdir_p(sub, 0755, &e) == 0 && stat(sub, &st) == 0, "mkdir_p");
        file = path_join(dir, "a/state.json");
        ok(write_file_atomic(file, "hello", 5, 0600, &e) == 0, "write_file_atomic");
        ok(read_file_full(file, 100, &data, &len, &e) == 0 && len == 5 && strcmp(data, "hello") == 0,
           "read back");
        ok(stat(file, &st) == 0 && (st.st_mode & 0777) == 0600, "mode kept");
        free(data);
        data = NULL;
        ok(read_file_full(file, 3, &data, &len, &e) == -EFBIG, "read limit enforced");
        ctr_error_free(e);
        e = NULL;
        /* Not durable: the same atomic replace, only without fsync. */
        ok(write_file_replace(file, "bye", 3, 0640, false, &e) == 0, "write_file_replace, not durable");
        free(data);
        data = NULL;
        ok(read_file_full(file, 100, &data, &len, &e) == 0 && len == 3 && strcmp(data, "bye") == 0,
           "replaced in place");
        ok(stat(file, &st) == 0 && (st.st_mode & 0777) == 0640, "its mode");
        {
                _cleanup_free_ char *d = path_join(dir, "a");
                DIR *dh = opendir(d);
                int n = 0;

                for (struct dirent *de; dh && (de = readdir(dh));)
                        n += de->d_name[0] != '.';
                if (dh)
                        closedir(dh);
                is_int(n, 2, "no temp file left (state.json and b/)");
        }
        {
                _cleanup_free_ char *link = path_join(dir, "a/b/escape");
                ok(symlink("/etc", link) == 0, "symlink to outside");
        }
        ok(rm_rf(dir, &e) == 0, "rm_rf");
        ok(stat(dir, &st) < 0 && errno == ENOENT, "tree gone");
        ok(stat("/etc/passwd", &st) == 0, "symlink target untouched");
        ok(rm_rf(dir, &e) == 0, "rm_rf of missing path is success");
        {
                _cleanup_free_ char *j = path_join("/a/", "/b");
                is_str(j, "/a/b", "path_join");
        }
}

/* parse_rfc3339_ns() of a NUL-terminated string. */
static int
rfc3339(const char *s, int64_t *ret)
{
        return parse_rfc3339_ns(s, strlen(s), ret);
}

static void
test_rfc3339(void)
{
        static const char *const bad[] = {
                "",
                "2024-01-02T03:04:05",           /* no zone */
                "2024-01-02 03:04:05Z",          /* space for T */
                "2024-01-02T03:04:05.Z",         /* dot without digits */
                "2024-13-02T03:04:05Z",          /* month */
                "2024-01-00T03:04:05Z",          /* day */
                "2024-01-02T24:04:05Z",          /* hour */
                "2024-01-02T03:60:05Z",          /* minute */
                "2024-01-02T03:04:61Z",          /* second */
                "2024-01-02T03:04:05+1:00",      /* short offset */
                "2024-01-02T03:04:05+24:00",     /* offset hours */
                "2024-01-02T03:04:05+01:60",     /* offset minutes */
                "2024-01-02T03:04:05+0100",      /* offset without colon */
                "2024-01-02T03:04:05Zjunk",      /* trailing bytes */
                "2024-1-02T03:04:05Z",           /* short field */
                "+024-01-02T03:04:05Z",          /* sign in a field */
                "1969-12-31T23:59:59Z",          /* before the epoch */
                "1970-01-01T00:30:00+01:00",     /* before the epoch by its offset */
                "2262-04-11T23:47:16Z",          /* int64 nanoseconds overflow */
                "9999-12-31T23:59:59Z",
        };
        const char *rec = "2024-01-02T03:04:05Z stdout F x";
        int64_t ns = 0;

        ok(rfc3339("2024-01-02T03:04:05.000000001Z", &ns) == 0 && ns == 1704164645000000001LL,
           "rfc3339: nanoseconds");
        ok(rfc3339("2024-01-02T03:04:05Z", &ns) == 0 && ns == 1704164645000000000LL,
           "rfc3339: no fraction");
        ok(rfc3339("2024-01-02t03:04:05z", &ns) == 0 && ns == 1704164645000000000LL,
           "rfc3339: lower-case t and z");
        ok(rfc3339("2024-01-02T03:04:05.5Z", &ns) == 0 && ns == 1704164645500000000LL,
           "rfc3339: short fraction");
        ok(rfc3339("2024-01-02T03:04:05.1234567899Z", &ns) == 0 && ns == 1704164645123456789LL,
           "rfc3339: digits past nanoseconds ignored");
        ok(rfc3339("2024-01-02T04:04:05+01:00", &ns) == 0 && ns == 1704164645000000000LL,
           "rfc3339: positive offset");
        ok(rfc3339("2024-01-02T01:34:05-01:30", &ns) == 0 && ns == 1704164645000000000LL,
           "rfc3339: negative offset");
        ok(rfc3339("1970-01-01T00:00:00Z", &ns) == 0 && ns == 0, "rfc3339: the epoch");
        ok(rfc3339("2016-12-31T23:59:60Z", &ns) == 0 && ns == 1483228800000000000LL,
           "rfc3339: a leap second is the next second");
        ok(rfc3339("2262-04-11T23:47:15.999999999Z", &ns) == 0 &&
                   ns == 9223372035999999999LL,
           "rfc3339: the last representable second");
        ok(parse_rfc3339_ns(rec, 20, &ns) == 0 && ns == 1704164645000000000LL,
           "rfc3339: only len bytes are read (a log record's timestamp)");
        ok(parse_rfc3339_ns(rec, 21, &ns) == -EINVAL, "rfc3339: the byte after the zone counts");
        ok(parse_rfc3339_ns(rec, 19, &ns) == -EINVAL, "rfc3339: cut before the zone");
        ok(parse_rfc3339_ns(NULL, 0, &ns) == -EINVAL, "rfc3339: NULL");
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                ns = 7;
                ok(rfc3339(bad[i], &ns) == -EINVAL && ns == 7,
                   "rfc3339: `%s` rejected, value untouched", bad[i]);
        }
}

int
main(void)
{
        test_parse();
        test_ids();
        test_errors();
        test_fs();
        test_rfc3339();
        return tap_done();
}
