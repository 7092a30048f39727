/* sockbench: the baselines of bench/stream.sh. Moves BYTES bytes from a
 * writer process to a reader process through a Unix stream socketpair (both
 * buffers set to 128 KiB, 128 KiB reads and writes) or a pipe, and prints
 * the rate. Built by stream.sh with plain gcc; no dependency.
 *
 * Usage: sockbench socket|pipe [BYTES [CMD ARG...]]   (default 1 GiB)
 * With CMD, the writer is CMD with its stdout on the socket or pipe (e.g.
 * `dd if=/dev/zero bs=1M count=1024`: the same bytes the exec benchmark
 * moves), and BYTES is what the reader must receive.
 * Output: "MODE BYTES SECONDS MIB_PER_S" on one line. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (128 * 1024)

static double
now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
        static char buf[CHUNK];
        long long total = argc > 2 ? atoll(argv[2]) : 1LL << 30, got = 0;
        int fds[2], size = CHUNK;
        double t0, t1;
        pid_t pid;

        if (argc < 2 || (strcmp(argv[1], "socket") != 0 && strcmp(argv[1], "pipe") != 0)) {
                fprintf(stderr, "usage: sockbench socket|pipe [BYTES]\n");
                return 2;
        }
        if (strcmp(argv[1], "socket") == 0) {
                if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
                        return perror("socketpair"), 1;
                for (int i = 0; i < 2; i++) {
                        setsockopt(fds[i], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
                        setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
                }
        } else if (pipe2(fds, O_CLOEXEC) < 0) {
                return perror("pipe"), 1;
        }
        t0 = now();
        pid = fork();
        if (pid < 0)
                return perror("fork"), 1;
        if (pid == 0) {
                long long left = total;

                close(fds[0]);
                if (argc > 3) {
                        if (dup2(fds[1], STDOUT_FILENO) < 0)
                                _exit(126);
                        execvp(argv[3], argv + 3);
                        _exit(127);
                }
                while (left > 0) {
                        ssize_t n = write(fds[1], buf, left < CHUNK ? (size_t) left : CHUNK);

                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0)
                                _exit(1);
                        left -= n;
                }
                _exit(0);
        }
        close(fds[1]);
        for (;;) {
                ssize_t n = read(fds[0], buf, CHUNK);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                got += n;
        }
        waitpid(pid, NULL, 0);
        t1 = now();
        if (got != total) {
                fprintf(stderr, "sockbench: got %lld of %lld bytes\n", got, total);
                return 1;
        }
        printf("%s %lld %.3f %.1f\n", argv[1], total, t1 - t0, total / (t1 - t0) / (1 << 20));
        return 0;
}
