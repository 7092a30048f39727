/* Unit tests for daemon/monitor/: the control-channel codec over a
 * SOCK_SEQPACKET socketpair (fd passing, malformed packets, EOF), the CRI
 * log formatter and its rotation, the client frame parser, the exec ring
 * and the bounded frame-client buffers. No root needed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macros.h"
#include "daemon/monitor/monitor-proto.h"
#include "daemon/monitor/monitor.h"
#include "proto/proto.h"
#include "tests/unit/tap.h"

static void
test_roundtrip(void)
{
        int sp[2], pp[2], fd = -2, r;
        json_t *msg = json_pack("{s:s, s:i}", "op", "signal", "signal", 15), *got = NULL;
        char c = 0;

        ok(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0, "socketpair");
        is_int(monitor_msg_send(sp[0], msg, -1), 0, "send without fd");
        is_int(monitor_msg_recv(sp[1], &got, &fd), 0, "recv");
        ok(got && json_equal(got, msg), "same object back");
        is_int(fd, -1, "no fd received");
        json_decref(got);

        ok(pipe(pp) == 0, "pipe");
        is_int(monitor_msg_send(sp[0], msg, pp[1]), 0, "send with fd");
        close(pp[1]);
        got = NULL;
        is_int(monitor_msg_recv(sp[1], &got, &fd), 0, "recv with fd");
        ok(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "received fd is close-on-exec");
        ok(fd >= 0 && write(fd, "x", 1) == 1 && read(pp[0], &c, 1) == 1 && c == 'x', "received fd works");
        if (fd >= 0)
                close(fd);
        json_decref(got);

        /* fd passed but caller does not want it: closed, not leaked. */
        {
                int q[2];
                ok(pipe(q) == 0, "pipe for discard");
                is_int(monitor_msg_send(sp[0], msg, q[1]), 0, "send fd");
                close(q[1]);
                got = NULL;
                is_int(monitor_msg_recv(sp[1], &got, NULL), 0, "recv with ret_fd NULL");
                ok(read(q[0], &c, 1) == 0, "discarded fd was closed (EOF on pipe)");
                close(q[0]);
                json_decref(got);
        }

        /* Malformed packets. */
        static const char *const bad[] = { "[1,2]", "not json", "{\"a\":1,\"a\":2}", "\"s\"" };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                ok(send(sp[0], bad[i], strlen(bad[i]), 0) > 0, "send raw");
                got = NULL;
                r = monitor_msg_recv(sp[1], &got, &fd);
                is_int(r, -EBADMSG, bad[i]);
                ok(got == NULL, "nothing returned");
        }
        {
                char *big = malloc(MONITOR_MSG_MAX + 10);
                memset(big, ' ', MONITOR_MSG_MAX + 10);
                ok(send(sp[0], big, MONITOR_MSG_MAX + 10, 0) > 0, "send oversized");
                is_int(monitor_msg_recv(sp[1], &got, &fd), -EMSGSIZE, "oversized packet refused");
                free(big);
        }
        got = json_array();
        ok(monitor_msg_send(sp[0], got, -1) == -EINVAL, "sending a non-object is refused");
        json_decref(got);

        fcntl(sp[1], F_SETFL, O_NONBLOCK);
        is_int(monitor_msg_recv(sp[1], &got, &fd), -EAGAIN, "empty non-blocking is EAGAIN");
        close(sp[0]);
        is_int(monitor_msg_recv(sp[1], &got, &fd), -ECONNRESET, "EOF is ECONNRESET");
        close(sp[1]);
        close(pp[0]);
        json_decref(msg);
}

static char *
slurp_path(const char *path)
{
        static char buf[65536];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

        buf[n > 0 ? n : 0] = 0;
        if (fd >= 0)
                close(fd);
        return buf;
}

static void
test_cri_log(void)
{
        char dir[] = "/tmp/test-monitor-log-XXXXXX", path[256];
        struct cri_log l;
        const int64_t t = 1700000000123456789LL;

        ok(mkdtemp(dir) != NULL, "temp dir");
        snprintf(path, sizeof(path), "%s/console.log", dir);
        is_int(cri_log_open(&l, path, 0, 1, NULL), 0, "open log");
        is_int(cri_log_write(&l, t, "stdout", "hello\nwor", 9), 0, "write chunk");
        is_int(cri_log_write(&l, t, "stderr", "ld\n\n", 4), 0, "write chunk 2");
        is_int(cri_log_write(&l, t, "stdout", "", 0), 0, "empty chunk writes nothing");
        is_str(slurp_path(path),
               "2023-11-14T22:13:20.123456789Z stdout F hello\n"
               "2023-11-14T22:13:20.123456789Z stdout P wor\n"
               "2023-11-14T22:13:20.123456789Z stderr F ld\n"
               "2023-11-14T22:13:20.123456789Z stderr F \n",
               "CRI records");
        is_int((int) l.size, 4 * 41 + 5 + 3 + 2, "size tracked");
        cri_log_close(&l);
        /* Reopen appends and knows the size. */
        is_int(cri_log_open(&l, path, 0, 1, NULL), 0, "reopen");
        is_int((int) l.size, 4 * 41 + 10, "size from fstat");
        cri_log_close(&l);
        unlink(path);
        rmdir(dir);
}

/* Rotation: records of 41+4 = 45 bytes ("<ts> stdout F abcd\n"), limit
 * 100 bytes: two records per file, max 3 files. */
static void
test_cri_log_rotate(void)
{
        char dir[] = "/tmp/test-monitor-rot-XXXXXX", path[256], p1[300], p2[300], p3[300];
        const int64_t t = 1700000000123456789LL;
        struct cri_log l;
        struct stat st;
        ino_t ino;

        ok(mkdtemp(dir) != NULL, "temp dir");
        snprintf(path, sizeof(path), "%s/console.log", dir);
        snprintf(p1, sizeof(p1), "%s.1", path);
        snprintf(p2, sizeof(p2), "%s.2", path);
        snprintf(p3, sizeof(p3), "%s.3", path);
        is_int(cri_log_open(&l, path, 100, 3, NULL), 0, "open with limits");
        is_int(cri_log_write(&l, t, "stdout", "l001\nl002\n", 10), 0, "two records");
        ok(stat(p1, &st) < 0, "no rotation yet");
        ok(stat(path, &st) == 0, "stat");
        ino = st.st_ino;
        /* One chunk with three records: l003 and l005 each cross the limit. */
        is_int(cri_log_write(&l, t, "stdout", "l003\nl004\nl005\n", 15), 0, "three more records");
        ok(stat(p2, &st) == 0 && st.st_ino == ino, "the old file became .1, then .2 (same inode)");
        is_int((int) st.st_size, 90, ".2 has two whole records");
        ok(strstr(slurp_path(p2), "l002\n") && !strstr(slurp_path(p2), "l003"), ".2 content");
        ok(strstr(slurp_path(p1), "F l003\n") && strstr(slurp_path(p1), "F l004\n"), ".1 content");
        ok(strstr(slurp_path(path), "F l005\n") && !strstr(slurp_path(path), "l004"), "console.log content");
        is_int(cri_log_write(&l, t, "stdout", "l005", 4), 0, "P record");
        is_int(cri_log_write(&l, t, "stdout", "l006\nl007\nl008\nl009\n", 20), 0, "more");
        ok(stat(p2, &st) == 0 && stat(p3, &st) < 0, "at most 3 files");
        ok(strstr(slurp_path(p2), "F l005\n") && strstr(slurp_path(p2), "P l005\n") &&
                   !strstr(slurp_path(p2), "l004") && strstr(slurp_path(p1), "l007\n"),
           "the oldest files were dropped, the order kept");
        ok(strstr(slurp_path(path), "l009") != NULL, "newest in console.log");
        ok(stat(path, &st) == 0 && st.st_size <= 100, "current file within the limit");
        snprintf(p3, sizeof(p3), "%s.new", path);
        ok(stat(p3, &st) < 0, "no temp file left");
        cri_log_close(&l);

        /* max_files 1: the old content is dropped. */
        is_int(cri_log_open(&l, path, 50, 1, NULL), 0, "open, one file");
        is_int(cri_log_write(&l, t, "stderr", "x001\nx002\n", 10), 0, "two records, limit one");
        ok(strstr(slurp_path(path), "x002") && !strstr(slurp_path(path), "x001"), "only the newest record");
        cri_log_close(&l);

        unlink(path);
        unlink(p1);
        unlink(p2);
        rmdir(dir);
}

struct sink_rec {
        char in[256];
        size_t in_len;
        char ctl[8][64];
        int n_ctl;
        int refuse;
};

static void
rec_stdin(void *ud, const uint8_t *p, size_t n)
{
        struct sink_rec *r = ud;
        memcpy(r->in + r->in_len, p, n);
        r->in_len += n;
}

static int
rec_control(void *ud, const char *json, size_t n)
{
        struct sink_rec *r = ud;
        snprintf(r->ctl[r->n_ctl++ % 8], 64, "%.*s", (int) n, json);
        return r->refuse ? -EBADMSG : 0;
}

static size_t
frame(uint8_t *out, uint8_t type, const char *payload)
{
        size_t n = strlen(payload);
        proto_frame_header_encode(type, (uint32_t) n, out);
        memcpy(out + PROTO_FRAME_HEADER_SIZE, payload, n);
        return PROTO_FRAME_HEADER_SIZE + n;
}

static void
test_frame_parser(void)
{
        static const struct frame_sink sink = { rec_stdin, rec_control };
        struct frame_parser p = {};
        struct sink_rec r = {};
        uint8_t buf[512];
        size_t n = 0;
        int res = 0;

        n += frame(buf + n, PROTO_FRAME_STDIN, "hello ");
        n += frame(buf + n, PROTO_FRAME_CONTROL, "{\"op\":\"resize\",\"rows\":5,\"cols\":7}");
        n += frame(buf + n, PROTO_FRAME_STDOUT, "ignored");
        n += frame(buf + n, PROTO_FRAME_STDIN, "");
        n += frame(buf + n, PROTO_FRAME_STDIN, "world");
        n += frame(buf + n, PROTO_FRAME_CONTROL, "{\"op\":\"close_stdin\"}");
        /* Byte by byte: every split point. */
        for (size_t i = 0; i < n && res == 0; i++)
                res = frame_parser_feed(&p, buf + i, 1, &sink, &r);
        is_int(res, 0, "byte-wise feed");
        is_int((int) r.in_len, 11, "stdin bytes");
        ok(memcmp(r.in, "hello world", 11) == 0, "stdin content, stdout frame skipped");
        is_int(r.n_ctl, 2, "two control frames");
        is_str(r.ctl[1], "{\"op\":\"close_stdin\"}", "control payload whole");

        memset(&p, 0, sizeof(p));
        is_int(frame_parser_feed(&p, (const uint8_t *) "\x09\0\0\0\0\0\0\0", 8, &sink, &r), -EBADMSG,
               "unknown type refused");
        memset(&p, 0, sizeof(p));
        is_int(frame_parser_feed(&p, (const uint8_t *) "\x00\1\0\0\0\0\0\0", 8, &sink, &r), -EBADMSG,
               "non-zero padding refused");
        memset(&p, 0, sizeof(p));
        proto_frame_header_encode(PROTO_FRAME_STDIN, PROTO_MAX_FRAME + 1, buf);
        is_int(frame_parser_feed(&p, buf, 8, &sink, &r), -EMSGSIZE, "oversized frame refused");
        memset(&p, 0, sizeof(p));
        proto_frame_header_encode(PROTO_FRAME_CONTROL, FRAME_CONTROL_MAX + 1, buf);
        is_int(frame_parser_feed(&p, buf, 8, &sink, &r), -EMSGSIZE, "oversized control frame refused");
        memset(&p, 0, sizeof(p));
        r.refuse = 1;
        n = frame(buf, PROTO_FRAME_CONTROL, "nope");
        is_int(frame_parser_feed(&p, buf, n, &sink, &r), -EBADMSG, "refused control frame");
}

static void
test_ring(void)
{
        struct ring r = {};
        size_t pos = 0, len, total = 0, count = 0;
        const uint8_t *data;
        uint8_t type;
        char *big = malloc(RING_MAX * 2);

        is_int((int) ring_room(&r), RING_MAX - RING_RECORD_HEADER, "empty ring room");
        ok(!ring_next(&r, &pos, &type, &data, &len), "empty ring has no records");
        is_int(ring_append(&r, PROTO_FRAME_STDOUT, "out", 3), 0, "append stdout");
        is_int(ring_append(&r, PROTO_FRAME_STDERR, "err", 3), 0, "append stderr");
        ok(ring_next(&r, &pos, &type, &data, &len) && type == 1 && len == 3 && memcmp(data, "out", 3) == 0,
           "first record");
        ok(ring_next(&r, &pos, &type, &data, &len) && type == 2 && len == 3 && memcmp(data, "err", 3) == 0,
           "second record");
        ok(!ring_next(&r, &pos, &type, &data, &len), "end");
        for (int i = 0; i < RING_MAX * 2; i++)
                big[i] = (char) ('a' + i % 26);
        for (int i = 0; i < 100; i++)
                is_int(ring_append(&r, PROTO_FRAME_STDOUT, big + i, 1000), 0, "append 1000") ;
        pos = 0;
        while (ring_next(&r, &pos, &type, &data, &len)) {
                total += len + RING_RECORD_HEADER;
                count++;
        }
        ok(total <= RING_MAX && total > RING_MAX - 1100, "ring bounded, nearly full");
        ok(data[len - 1] == big[99 + 999], "newest record last");
        is_int(ring_append(&r, PROTO_FRAME_STDERR, big, RING_MAX * 2), 0, "append more than the ring");
        pos = 0;
        ok(ring_next(&r, &pos, &type, &data, &len) && type == 2 && len == RING_MAX - RING_RECORD_HEADER &&
                   data[len - 1] == big[RING_MAX * 2 - 1],
           "oversized record keeps its tail");
        ok(!ring_next(&r, &pos, &type, &data, &len), "only that record");
        ring_free(&r);
        free(big);
}

static void
test_frame_clients(void)
{
        struct frame_clients cs = {};
        struct frame_client *c = NULL;
        int sp[2], big = 256 * 1024;
        uint8_t hdr[PROTO_FRAME_HEADER_SIZE], type;
        uint32_t len;
        char buf[64], *chunk = calloc(1, (size_t) big);

        ok(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0, "stream socketpair");
        is_int(frame_clients_add(&cs, sp[0], true, &c), 0, "add client");
        ok(c && c->stdin, "client forwards stdin");
        frame_clients_send(&cs, PROTO_FRAME_STDOUT, "hi", 2);
        ok(read(sp[1], hdr, sizeof(hdr)) == sizeof(hdr) && proto_frame_header_decode(hdr, &type, &len) == 0 &&
                   type == PROTO_FRAME_STDOUT && len == 2, "frame header");
        ok(read(sp[1], buf, 2) == 2 && memcmp(buf, "hi", 2) == 0, "frame payload");

        /* A reader that never reads: bounded, then dropped. */
        for (int i = 0; i < 40 && !c->dead; i++)
                frame_clients_send(&cs, PROTO_FRAME_STDERR, chunk, (size_t) big);
        ok(c->dead, "slow client dropped after ~1 MiB queued");
        frame_clients_sweep(&cs, 0);
        is_int((int) cs.n, 0, "swept");
        close(sp[1]);

        /* A peer that went away: dropped on send. */
        ok(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0, "socketpair 2");
        is_int(frame_clients_add(&cs, sp[0], false, &c), 0, "add client 2");
        close(sp[1]);
        frame_clients_send(&cs, PROTO_FRAME_STDOUT, "x", 1);
        ok(c->dead, "client with closed peer dropped");
        frame_clients_sweep(&cs, 0);

        /* close_all: EXIT frame, then the client closes once flushed. */
        ok(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0, "socketpair 3");
        is_int(frame_clients_add(&cs, sp[0], false, &c), 0, "add client 3");
        frame_clients_close_all(&cs, "{\"exit_code\":0}", 0);
        ok(read(sp[1], hdr, sizeof(hdr)) == sizeof(hdr) && proto_frame_header_decode(hdr, &type, &len) == 0 &&
                   type == PROTO_FRAME_EXIT && len == 15, "EXIT frame");
        ok(read(sp[1], buf, 15) == 15 && read(sp[1], buf, 1) == 0, "then EOF");
        frame_clients_sweep(&cs, 0);
        is_int((int) cs.n, 0, "closed client swept");
        close(sp[1]);
        frame_clients_free(&cs);
        free(chunk);
}

int
main(void)
{
        test_roundtrip();
        test_cri_log();
        test_cri_log_rotate();
        test_frame_parser();
        test_ring();
        test_frame_clients();
        return tap_done();
}
