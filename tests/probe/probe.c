/* probe: a small static program placed at /probe in the integration-test
 * image. Each subcommand prints exact facts about the process as key=value
 * lines, so bats tests compare strings instead of parsing busybox output.
 * Several subcommands may be given in one call: `probe hostname ids`.
 * `rawread`, `winsize`, `pgrp` and `seq` serve the console tests.
 * It must stay dependency-free (built with gcc -static) and never hang. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "tests/probe/escape.h"

extern char **environ;

static const char *
errname(int e)
{
        const char *n = strerrorname_np(e);

        return n ? n : "EUNKNOWN";
}

/* Prints the lines of a /proc status-like file whose key is in keys[]. */
static int
print_status_keys(const char *const keys[], const char *prefix)
{
        char line[512];
        FILE *f = fopen("/proc/self/status", "re");

        if (!f) {
                printf("error=%s\n", errname(errno));
                return 1;
        }
        while (fgets(line, sizeof line, f)) {
                char *colon = strchr(line, ':');
                char *v;

                if (!colon)
                        continue;
                *colon = '\0';
                for (size_t i = 0; keys[i]; i++) {
                        if (strcmp(line, keys[i]) != 0)
                                continue;
                        v = colon + 1;
                        v += strspn(v, " \t");
                        v[strcspn(v, "\n")] = '\0';
                        printf("%s%s=%s\n", prefix, keys[i], v);
                }
        }
        fclose(f);
        return 0;
}

static int
cmd_hostname(void)
{
        char h[HOST_NAME_MAX + 1] = "";

        if (gethostname(h, sizeof h) < 0) {
                printf("error=%s\n", errname(errno));
                return 1;
        }
        printf("hostname=%s\n", h);
        return 0;
}

static int
cmd_ids(void)
{
        gid_t groups[256];
        int n = getgroups(256, groups);

        printf("uid=%u\ngid=%u\neuid=%u\negid=%u\n", getuid(), getgid(), geteuid(), getegid());
        printf("groups=");
        for (int i = 0; i < n; i++)
                printf("%s%u", i ? "," : "", groups[i]);
        printf("\n");
        return 0;
}

static int
cmd_pid(void)
{
        printf("pid=%d\nppid=%d\n", getpid(), getppid());
        return 0;
}

static int
cmd_caps(void)
{
        static const char *const keys[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", NULL };

        return print_status_keys(keys, "");
}

static int
cmd_nnp(void)
{
        static const char *const keys[] = { "NoNewPrivs", NULL };

        return print_status_keys(keys, "");
}

static int
cmd_seccomp(void)
{
        static const char *const keys[] = { "Seccomp", NULL };

        return print_status_keys(keys, "");
}

static int
cmd_cwd(void)
{
        char buf[PATH_MAX];

        if (!getcwd(buf, sizeof buf)) {
                printf("error=%s\n", errname(errno));
                return 1;
        }
        printf("cwd=%s\n", buf);
        return 0;
}

static int
cmd_env(void)
{
        for (char **e = environ; e && *e; e++)
                printf("env=%s\n", *e);
        return 0;
}

/* mountinfo: id parent maj:min root mountpoint options ... - fstype source superopts */
static int
cmd_mounts(void)
{
        char line[4096];
        FILE *f = fopen("/proc/self/mountinfo", "re");

        if (!f) {
                printf("error=%s\n", errname(errno));
                return 1;
        }
        while (fgets(line, sizeof line, f)) {
                char mp[4096], opts[1024], fstype[256];
                char *dash = strstr(line, " - ");

                if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s %1023s", mp, opts) != 2 ||
                    sscanf(dash + 3, "%255s", fstype) != 1)
                        continue;
                printf("mount=%s %s %s\n", mp, fstype, opts);
        }
        fclose(f);
        return 0;
}

static int
cmd_tty(void)
{
        for (int fd = 0; fd <= 2; fd++)
                printf("isatty%d=%d\n", fd, isatty(fd) ? 1 : 0);
        return 0;
}

static int
cmd_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        int self;

        if (!d) {
                printf("error=%s\n", errname(errno));
                return 1;
        }
        self = dirfd(d);
        while ((de = readdir(d))) {
                char path[300], target[PATH_MAX];
                ssize_t n;

                if (de->d_name[0] == '.' || atoi(de->d_name) == self)
                        continue;
                snprintf(path, sizeof path, "/proc/self/fd/%s", de->d_name);
                n = readlink(path, target, sizeof target - 1);
                target[n < 0 ? 0 : n] = '\0';
                printf("fd=%s %s\n", de->d_name, target);
        }
        closedir(d);
        return 0;
}

static int
cmd_cgroup(void)
{
        char line[4096];
        FILE *f = fopen("/proc/self/cgroup", "re");

        if (!f) {
                printf("error=%s\n", errname(errno));
                return 1;
        }
        while (fgets(line, sizeof line, f)) {
                line[strcspn(line, "\n")] = '\0';
                printf("cgroup=%s\n", line);
        }
        fclose(f);
        return 0;
}

static int
cmd_ns(void)
{
        static const char *const names[] = { "cgroup", "ipc", "mnt", "net", "pid", "user", "uts", NULL };

        for (size_t i = 0; names[i]; i++) {
                char path[64], target[128];
                ssize_t n;

                snprintf(path, sizeof path, "/proc/self/ns/%s", names[i]);
                n = readlink(path, target, sizeof target - 1);
                if (n < 0) {
                        printf("ns_%s=%s\n", names[i], errname(errno));
                        continue;
                }
                target[n] = '\0';
                printf("ns_%s=%s\n", names[i], target);
        }
        return 0;
}

/* Processes visible in our /proc: "proc=PID COMM". */
static int
cmd_procs(void)
{
        DIR *d = opendir("/proc");
        struct dirent *de;

        if (!d) {
                printf("error=%s\n", errname(errno));
                return 1;
        }
        while ((de = readdir(d))) {
                char path[300], comm[64] = "";
                FILE *f;

                if (de->d_name[0] < '0' || de->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof path, "/proc/%s/comm", de->d_name);
                f = fopen(path, "re");
                if (f) {
                        if (fgets(comm, sizeof comm, f))
                                comm[strcspn(comm, "\n")] = '\0';
                        fclose(f);
                }
                printf("proc=%s %s\n", de->d_name, comm);
        }
        closedir(d);
        return 0;
}

/* Network interfaces visible in our netns: "netdev=NAME". */
static int
cmd_netdevs(void)
{
        char line[512];
        FILE *f = fopen("/proc/net/dev", "re");
        int n = 0;

        if (!f) {
                printf("error=%s\n", errname(errno));
                return 1;
        }
        while (fgets(line, sizeof line, f)) {
                char *colon = strchr(line, ':');
                char *name = line;

                if (n++ < 2 || !colon)
                        continue;
                *colon = '\0';
                name += strspn(name, " ");
                printf("netdev=%s\n", name);
        }
        fclose(f);
        return 0;
}

static int
cmd_write_test(const char *path)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        if (fd < 0 || write(fd, "probe\n", 6) != 6) {
                printf("write=%s\n", errname(errno));
                if (fd >= 0)
                        close(fd);
                return 1;
        }
        close(fd);
        printf("write=ok\n");
        return 0;
}

/* Opens PATH for writing without writing anything: safe on sysctl files. */
static int
cmd_open_write(const char *path)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);

        if (fd < 0) {
                printf("openw=%s\n", errname(errno));
                return 1;
        }
        close(fd);
        printf("openw=ok\n");
        return 0;
}

static int
cmd_exists(const char *path)
{
        struct stat st;

        printf("exists=%d\n", lstat(path, &st) == 0 ? 1 : 0);
        return 0;
}

/* winsize: the terminal size of fd 0 (else 1) as the kernel reports it. */
static int
cmd_winsize(void)
{
        struct winsize ws;

        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0) {
                printf("winsize=%s\n", errname(errno));
                return 1;
        }
        printf("rows=%u\ncols=%u\n", ws.ws_row, ws.ws_col);
        return 0;
}

/* pgrp: process group, session and the terminal's foreground group. */
static int
cmd_pgrp(void)
{
        printf("pgid=%d\nsid=%d\ntpgid=%d\n", (int) getpgrp(), (int) getsid(0),
               (int) tcgetpgrp(STDIN_FILENO));
        return 0;
}

/* rawread: puts a tty stdin in raw mode, then prints every byte it reads as
 * `byte=HEX` at once, until `q` or EOF (`eof=1`). Shows exactly which keys
 * reached the container (detach-key tests). */
static int
cmd_rawread(void)
{
        struct termios t, saved;
        bool tty = tcgetattr(STDIN_FILENO, &saved) == 0;
        unsigned char c;
        ssize_t n;

        if (tty) {
                t = saved;
                cfmakeraw(&t);
                tcsetattr(STDIN_FILENO, TCSANOW, &t);
        }
        printf("rawread=ready\r\n");
        fflush(stdout);
        while ((n = read(STDIN_FILENO, &c, 1)) == 1) {
                printf("byte=%02x\r\n", c);
                fflush(stdout);
                if (c == 'q')
                        break;
        }
        if (n == 0)
                printf("eof=1\r\n");
        if (tty)
                tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        return 0;
}

/* seq N [DELAY_MS] [err]: prints lines "seq=1".."seq=N" to stdout (to stderr
 * with `err`), DELAY_MS between lines (0: as fast as possible). N=0: forever. */
static int
cmd_seq(long n, long delay_ms, bool to_err)
{
        FILE *f = to_err ? stderr : stdout;
        struct timespec ts = { delay_ms / 1000, (delay_ms % 1000) * 1000000L };

        for (long i = 1; n == 0 || i <= n; i++) {
                if (fprintf(f, "seq=%ld\n", i) < 0 || fflush(f) != 0)
                        return 1;
                if (delay_ms > 0)
                        nanosleep(&ts, NULL);
        }
        return 0;
}

static void
term_exit_handler(int sig)
{
        static const char msg[] = "signal=TERM\n";

        (void) sig;
        (void) !write(STDOUT_FILENO, msg, sizeof msg - 1);
        _exit(0);
}

/* sleep [term-exit|term-ignore]: prints ready=1 and waits for signals. */
static int
cmd_sleep(const char *mode)
{
        struct sigaction sa = { 0 };

        if (mode && strcmp(mode, "term-exit") == 0) {
                sa.sa_handler = term_exit_handler;
                sigaction(SIGTERM, &sa, NULL);
                sigaction(SIGINT, &sa, NULL);
        } else if (mode && strcmp(mode, "term-ignore") == 0) {
                sa.sa_handler = SIG_IGN;
                sigaction(SIGTERM, &sa, NULL);
                sigaction(SIGINT, &sa, NULL);
        }
        printf("ready=1\n");
        fflush(stdout);
        for (;;)
                pause();
        return 0;
}

static void
usage(void)
{
        fputs("usage: probe CMD [CMD...]\n"
              "  hostname ids pid caps cwd env mounts tty fds cgroup nnp seccomp ns procs netdevs\n"
              "  winsize pgrp rawread | seq N [DELAY_MS] [err]\n"
              "  write-test PATH | openw-test PATH | exists PATH | exit N | sleep [term-exit|term-ignore] | all\n"
              "  escape:NAME | escape:all | escape:ptrace:PID   (breakout attempts, see escape.c)\n",
              stderr);
}

int
main(int argc, char **argv)
{
        static const struct {
                const char *name;
                int (*fn)(void);
        } simple[] = {
                { "hostname", cmd_hostname }, { "ids", cmd_ids },       { "pid", cmd_pid },
                { "caps", cmd_caps },         { "cwd", cmd_cwd },       { "env", cmd_env },
                { "mounts", cmd_mounts },     { "tty", cmd_tty },       { "fds", cmd_fds },
                { "cgroup", cmd_cgroup },     { "nnp", cmd_nnp },       { "seccomp", cmd_seccomp },
                { "ns", cmd_ns },             { "procs", cmd_procs },   { "netdevs", cmd_netdevs },
        };
        int rc = 0;

        if (argc < 2) {
                usage();
                return 2;
        }
        for (int i = 1; i < argc; i++) {
                const char *c = argv[i];
                size_t j;

                for (j = 0; j < sizeof simple / sizeof simple[0]; j++)
                        if (strcmp(c, simple[j].name) == 0)
                                break;
                if (j < sizeof simple / sizeof simple[0]) {
                        rc |= simple[j].fn();
                } else if (strcmp(c, "all") == 0) {
                        for (j = 0; j < sizeof simple / sizeof simple[0]; j++)
                                rc |= simple[j].fn();
                } else if (strcmp(c, "write-test") == 0 && i + 1 < argc) {
                        rc |= cmd_write_test(argv[++i]);
                } else if (strcmp(c, "openw-test") == 0 && i + 1 < argc) {
                        rc |= cmd_open_write(argv[++i]);
                } else if (strncmp(c, "escape:", 7) == 0) {
                        /* Report, don't fail: the tests read every line. */
                        if (probe_escape(c + 7) == 2) {
                                usage();
                                return 2;
                        }
                } else if (strcmp(c, "exists") == 0 && i + 1 < argc) {
                        rc |= cmd_exists(argv[++i]);
                } else if (strcmp(c, "exit") == 0 && i + 1 < argc) {
                        fflush(stdout);
                        return atoi(argv[i + 1]);
                } else if (strcmp(c, "winsize") == 0) {
                        rc |= cmd_winsize();
                } else if (strcmp(c, "pgrp") == 0) {
                        rc |= cmd_pgrp();
                } else if (strcmp(c, "rawread") == 0) {
                        rc |= cmd_rawread();
                } else if (strcmp(c, "seq") == 0 && i + 1 < argc) {
                        long n = atol(argv[++i]), delay = 0;
                        bool err = false;

                        if (i + 1 < argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9')
                                delay = atol(argv[++i]);
                        if (i + 1 < argc && strcmp(argv[i + 1], "err") == 0) {
                                err = true;
                                i++;
                        }
                        rc |= cmd_seq(n, delay, err);
                } else if (strcmp(c, "sleep") == 0) {
                        fflush(stdout);
                        return cmd_sleep(i + 1 < argc ? argv[i + 1] : NULL);
                } else {
                        usage();
                        return 2;
                }
                fflush(stdout);
        }
        return rc ? 1 : 0;
}
