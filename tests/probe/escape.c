/* The breakout probes of `probe escape:NAME`: each tries one way out of a
 * container and prints `escape.NAME=blocked:ERRNO` or `escape.NAME=ESCAPED
 * (detail)`. Tests assert that no line says ESCAPED. Every attempt is
 * chosen to be harmless if it succeeds (CAD_OFF for reboot, the current
 * time for the clock, a device opened and closed, nothing written to
 * sysrq-trigger), so a broken sandbox fails the test, not the host. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/probe/escape.h"

static int
blocked(const char *name, int e)
{
        const char *n = strerrorname_np(e);

        printf("escape.%s=blocked:%s\n", name, n ? n : "EUNKNOWN");
        return 0;
}

static int
escaped(const char *name, const char *detail)
{
        printf("escape.%s=ESCAPED (%s)\n", name, detail);
        return 1;
}

/* A scratch directory: /tmp if writable, else /dev/shm (read-only root). */
static const char *
scratch_dir(void)
{
        return access("/tmp", W_OK) == 0 ? "/tmp" : "/dev/shm";
}

static int
try_mount(const char *name, const char *fstype)
{
        char dir[64];

        snprintf(dir, sizeof dir, "%s/escape-mnt-%d", scratch_dir(), (int) getpid());
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return blocked(name, errno);
        if (mount(fstype, dir, fstype, 0, NULL) < 0) {
                int e = errno;
                rmdir(dir);
                return blocked(name, e);
        }
        umount2(dir, MNT_DETACH);
        rmdir(dir);
        return escaped(name, "mounted");
}

static int
esc_mount_proc(void)
{
        return try_mount("mount-proc", "proc");
}

static int
esc_mount_sysfs(void)
{
        return try_mount("mount-sysfs", "sysfs");
}

static int
esc_mount_tmpfs(void)
{
        return try_mount("mount-tmpfs", "tmpfs");
}

/* Opening for writing is enough to prove the hole; nothing is written. */
static int
esc_sysrq(void)
{
        int fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);

        if (fd < 0)
                return blocked("sysrq", errno);
        close(fd);
        return escaped("sysrq", "opened for writing");
}

/* Masked: either not openable or empty. */
static int
esc_kcore(void)
{
        char c;
        ssize_t n;
        int fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return blocked("kcore", errno);
        n = read(fd, &c, 1);
        close(fd);
        if (n <= 0)
                return blocked("kcore", n < 0 ? errno : ENODATA);
        return escaped("kcore", "read kernel memory");
}

/* The kernel checks CAP_SYS_MODULE before the fd: EBADF means it passed. */
static int
esc_module(void)
{
        if (syscall(SYS_finit_module, -1, "", 0) == 0 || errno == EBADF)
                return escaped("module", "finit_module passed the permission check");
        return blocked("module", errno);
}

/* CAP_SYS_BOOT is checked first; CAD_OFF is harmless (EINVAL in a child
 * PID namespace). */
static int
esc_reboot(void)
{
        if (syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_CAD_OFF,
                    NULL) == 0 ||
            errno == EINVAL)
                return escaped("reboot", "reboot passed the permission check");
        return blocked("reboot", errno);
}

/* Sets the clock to what it is: harmless if it works. */
static int
esc_clock(void)
{
        struct timespec now;

        clock_gettime(CLOCK_REALTIME, &now);
        if (clock_settime(CLOCK_REALTIME, &now) == 0)
                return escaped("clock", "clock_settime worked");
        return blocked("clock", errno);
}

/* Device nodes made with mknod (CAP_MKNOD is in Docker's default set):
 * opening any of them must fail (device cgroup / BPF device filter).
 * Devices this kernel lacks fail with ENXIO/ENODEV either way; the list
 * has several so that at least one exists on any host: /dev/mem, kmsg,
 * loop0 and the usual first disks. Opened read-only, closed at once. */
static int
esc_mknod(void)
{
        static const struct {
                mode_t type;
                unsigned major, minor;
        } devs[] = {
                { S_IFCHR, 1, 1 }, { S_IFCHR, 1, 11 }, { S_IFBLK, 7, 0 },   { S_IFBLK, 8, 0 },
                { S_IFBLK, 253, 0 }, { S_IFBLK, 254, 0 }, { S_IFBLK, 259, 0 },
        };
        int last = ENXIO;

        for (size_t i = 0; i < sizeof devs / sizeof devs[0]; i++) {
                char path[80];
                int fd, e;

                snprintf(path, sizeof path, "%s/escape-dev-%d-%zu", scratch_dir(), (int) getpid(), i);
                if (mknod(path, devs[i].type | 0600, makedev(devs[i].major, devs[i].minor)) < 0)
                        return blocked("mknod", errno);
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
                e = errno;
                unlink(path);
                if (fd >= 0) {
                        char detail[64];
                        close(fd);
                        snprintf(detail, sizeof detail, "opened device %u:%u made with mknod",
                                 devs[i].major, devs[i].minor);
                        return escaped("mknod", detail);
                }
                /* A refusal by policy is the interesting answer. */
                if (e == EPERM || e == EACCES || last == ENXIO || last == ENODEV)
                        last = e;
        }
        return blocked("mknod", last);
}

/* In a child, so a successful unshare does not change the probe. */
static int
try_in_child(const char *name, int (*fn)(void))
{
        int status;
        pid_t pid = fork();

        if (pid < 0)
                return blocked(name, errno);
        if (pid == 0)
                _exit(fn() == 0 ? 0 : errno ? errno : 255);
        if (waitpid(pid, &status, 0) < 0)
                return blocked(name, errno);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return escaped(name, "worked");
        return blocked(name, WIFEXITED(status) ? WEXITSTATUS(status) : EINTR);
}

static int
do_unshare_user(void)
{
        return unshare(CLONE_NEWUSER);
}

static int
do_unshare_mnt(void)
{
        return unshare(CLONE_NEWNS);
}

static int
esc_unshare_user(void)
{
        return try_in_child("unshare-user", do_unshare_user);
}

static int
esc_unshare_mnt(void)
{
        return try_in_child("unshare-mnt", do_unshare_mnt);
}

static int
esc_keyctl(void)
{
        long r = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);

        if (r >= 0)
                return escaped("keyctl", "reached the kernel keyring");
        return blocked("keyctl", errno);
}

static int
esc_bpf(void)
{
        union bpf_attr attr;
        long fd;

        memset(&attr, 0, sizeof attr);
        attr.map_type = BPF_MAP_TYPE_ARRAY;
        attr.key_size = 4;
        attr.value_size = 4;
        attr.max_entries = 1;
        fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
        if (fd >= 0) {
                close((int) fd);
                return escaped("bpf", "created a BPF map");
        }
        return blocked("bpf", errno);
}

static int
esc_perf(void)
{
        struct perf_event_attr attr;
        long fd;

        memset(&attr, 0, sizeof attr);
        attr.type = PERF_TYPE_SOFTWARE;
        attr.size = sizeof attr;
        attr.config = PERF_COUNT_SW_CPU_CLOCK;
        attr.disabled = 1;
        fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
        if (fd >= 0) {
                close((int) fd);
                return escaped("perf", "opened a perf event");
        }
        return blocked("perf", errno);
}

/* /proc/1/root must be our own root (the container's init), not the host's. */
static int
esc_proc1_root(void)
{
        struct stat a, b;

        if (stat("/proc/1/root/", &a) < 0)
                return blocked("proc1-root", errno);
        if (stat("/", &b) < 0)
                return blocked("proc1-root", errno);
        if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
                return escaped("proc1-root", "/proc/1/root is not our root");
        return blocked("proc1-root", EXDEV);
}

/* CVE-2024-21626: a host directory fd leaked into the container, or a cwd
 * outside its root. Only 0-2 may be open, and the cwd must resolve. */
static int
esc_leaked_fds(void)
{
        char buf[4096], link[64];
        struct dirent *de;
        DIR *d = opendir("/proc/self/fd");
        int self, bad = 0;
        ssize_t n;

        if (!d)
                return blocked("leaked-fds", errno);
        self = dirfd(d);
        while ((de = readdir(d))) {
                int fd = atoi(de->d_name);
                if (de->d_name[0] == '.' || fd <= 2 || fd == self)
                        continue;
                snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
                n = readlink(link, buf, sizeof buf - 1);
                buf[n > 0 ? n : 0] = '\0';
                printf("escape.leaked-fds.fd%d=%s\n", fd, buf);
                bad++;
        }
        closedir(d);
        n = readlink("/proc/self/cwd", buf, sizeof buf - 1);
        buf[n > 0 ? n : 0] = '\0';
        if (n <= 0 || buf[0] != '/')
                return escaped("leaked-fds", "the cwd is outside the root");
        if (bad)
                return escaped("leaked-fds", "fds other than 0-2 are open");
        return blocked("leaked-fds", EBADF);
}

/* CVE-2019-5736: no process we can see may expose a binary of the host
 * through /proc/PID/exe for writing. A host binary shows up on another
 * device than our root; a writable open proves the hole either way. */
static int
esc_exe(void)
{
        struct stat root, st;
        struct dirent *de;
        char path[300];
        DIR *d = opendir("/proc");
        int bad = 0;

        if (!d)
                return blocked("exe", errno);
        if (stat("/", &root) < 0) {
                closedir(d);
                return blocked("exe", errno);
        }
        while ((de = readdir(d))) {
                int fd;
                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof path, "/proc/%s/exe", de->d_name);
                fd = open(path, O_WRONLY | O_CLOEXEC);
                if (fd >= 0) {
                        close(fd);
                        printf("escape.exe.pid%s=writable\n", de->d_name);
                        bad++;
                        continue;
                }
                if (stat(path, &st) == 0 && st.st_dev != root.st_dev) {
                        printf("escape.exe.pid%s=outside-root\n", de->d_name);
                        bad++;
                }
        }
        closedir(d);
        if (bad)
                return escaped("exe", "a process's binary is reachable");
        return blocked("exe", ETXTBSY);
}

static const struct {
        const char *name;
        int (*fn)(void);
} escapes[] = {
        { "mount-proc", esc_mount_proc },
        { "mount-sysfs", esc_mount_sysfs },
        { "mount-tmpfs", esc_mount_tmpfs },
        { "sysrq", esc_sysrq },
        { "kcore", esc_kcore },
        { "module", esc_module },
        { "reboot", esc_reboot },
        { "clock", esc_clock },
        { "mknod", esc_mknod },
        { "unshare-user", esc_unshare_user },
        { "unshare-mnt", esc_unshare_mnt },
        { "keyctl", esc_keyctl },
        { "bpf", esc_bpf },
        { "perf", esc_perf },
        { "proc1-root", esc_proc1_root },
        { "leaked-fds", esc_leaked_fds },
        { "exe", esc_exe },
};

/* exe-watch:MS: scans /proc for MS milliseconds, as an attacker waiting
 * for `exec` would: a process that joins the container is a copy of the
 * runtime until its execve, and its /proc/PID/exe must not be reachable
 * then either (the runtime makes itself non-dumpable). */
static int
esc_exe_watch(const char *arg)
{
        struct timespec start, now;
        struct stat root, st;
        long ms = atol(arg), seen = 0;
        char path[300];
        int bad = 0;

        if (stat("/", &root) < 0)
                return blocked("exe-watch", errno);
        printf("ready=1\n");
        fflush(stdout);
        clock_gettime(CLOCK_MONOTONIC, &start);
        do {
                struct dirent *de;
                DIR *d = opendir("/proc");
                if (!d)
                        return blocked("exe-watch", errno);
                while ((de = readdir(d))) {
                        if (de->d_name[0] < '1' || de->d_name[0] > '9')
                                continue;
                        snprintf(path, sizeof path, "/proc/%s/exe", de->d_name);
                        if (stat(path, &st) == 0 && st.st_dev != root.st_dev) {
                                printf("escape.exe-watch.pid%s=outside-root\n", de->d_name);
                                bad++;
                        }
                        seen++;
                }
                closedir(d);
                clock_gettime(CLOCK_MONOTONIC, &now);
        } while (!bad && (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < ms);
        printf("escape.exe-watch.scanned=%ld\n", seen);
        if (bad)
                return escaped("exe-watch", "a joining process exposed a host binary");
        return blocked("exe-watch", EACCES);
}

/* ptrace:PID: the PID of a host process must not be reachable. */
static int
esc_ptrace(const char *arg)
{
        pid_t pid = (pid_t) atoi(arg);

        if (pid <= 0)
                return blocked("ptrace", EINVAL);
        if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) == 0) {
                ptrace(PTRACE_DETACH, pid, NULL, NULL);
                return escaped("ptrace", "attached to a host process");
        }
        return blocked("ptrace", errno);
}

int
probe_escape(const char *what)
{
        int rc = 0;

        if (strncmp(what, "ptrace:", 7) == 0)
                return esc_ptrace(what + 7);
        if (strncmp(what, "exe-watch:", 10) == 0)
                return esc_exe_watch(what + 10);
        for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++) {
                if (strcmp(what, "all") == 0 || strcmp(what, escapes[i].name) == 0) {
                        errno = 0;
                        rc |= escapes[i].fn();
                        fflush(stdout);
                        if (strcmp(what, "all") != 0)
                                return rc;
                }
        }
        if (strcmp(what, "all") != 0) {
                printf("escape.%s=unknown\n", what);
                return 2;
        }
        return rc;
}
