/* Unit tests for daemon/monitor/: the control-channel codec over a
 * SOCK_SEQPACKET socketpair (fd passing, malformed packets, EOF), the CRI
 * log formatter and the bounded frame-client buffers. No root needed. */
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
slurp(int fd)
{
        static char buf[65536];
        ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
        buf[n > 0 ? n : 0] = 0;
        return buf;
}

static void
test_cri_log(void)
{
        char path[] = "/tmp/test-monitor-log-XXXXXX";
        int fd = mkstemp(path);
        const int64_t t = 1700000000123456789LL;

        ok(fd >= 0, "temp log");
        is_int(cri_log_write(fd, t, "stdout", "hello\nwor", 9), 0, "write chunk");
        is_int(cri_log_write(fd, t, "stderr", "ld\n\n", 4), 0, "write chunk 2");
        is_int(cri_log_write(fd, t, "stdout", "", 0), 0, "empty chunk writes nothing");
        is_str(slurp(fd),
               "2023-11-14T22:13:20.123456789Z stdout F hello\n"
               "2023-11-14T22:13:20.123456789Z stdout P wor\n"
               "2023-11-14T22:13:20.123456789Z stderr F ld\n"
               "2023-11-14T22:13:20.123456789Z stderr F \n",
               "CRI records");
        close(fd);
        unlink(path);
}

static void
test_frame_clients(void)
{
        struct frame_clients cs = {};
        int sp[2], big = 256 * 1024;
        uint8_t hdr[PROTO_FRAME_HEADER_SIZE], type;
        uint32_t len;
        char buf[16], *chunk = calloc(1, (size_t) big);

        ok(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0, "stream socketpair");
        is_int(frame_clients_add(&cs, sp[0]), 0, "add client");
        frame_clients_send(&cs, PROTO_FRAME_STDOUT, "hi", 2);
        ok(read(sp[1], hdr, sizeof(hdr)) == sizeof(hdr) && proto_frame_header_decode(hdr, &type, &len) == 0 &&
                   type == PROTO_FRAME_STDOUT && len == 2, "frame header");
        ok(read(sp[1], buf, 2) == 2 && memcmp(buf, "hi", 2) == 0, "frame payload");

        /* A reader that never reads: bounded, then dropped. */
        for (int i = 0; i < 40 && cs.n == 1; i++)
                frame_clients_send(&cs, PROTO_FRAME_STDERR, chunk, (size_t) big);
        is_int(cs.n, 0, "slow client dropped after ~1 MiB queued");
        close(sp[1]);

        /* A peer that went away: dropped on send. */
        ok(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0, "socketpair 2");
        is_int(frame_clients_add(&cs, sp[0]), 0, "add client 2");
        close(sp[1]);
        frame_clients_send(&cs, PROTO_FRAME_STDOUT, "x", 1);
        is_int(cs.n, 0, "client with closed peer dropped");
        frame_clients_free(&cs);
        free(chunk);
}

int
main(void)
{
        test_roundtrip();
        test_cri_log();
        test_frame_clients();
        return tap_done();
}
