/* syscall-try: a static helper for the seccomp smoke test. For each name
 * given, makes that syscall with arguments that change nothing (invalid
 * flags, NULL pointers, a wrong magic) and prints `name=OK` or
 * `name=<ERRNO name>`, so a test tells the filter's EPERM from the
 * kernel's own answer. Built with gcc -static by run-seccomp-smoke.sh. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LINUX_REBOOT_MAGIC1 0xfee1dead

static long
try(const char *name)
{
        if (strcmp(name, "unshare") == 0)
                return syscall(SYS_unshare, CLONE_NEWUTS); /* harmless: a new uts ns for this process */
        if (strcmp(name, "mount") == 0)
                return syscall(SYS_mount, NULL, NULL, NULL, 0, NULL); /* EFAULT unfiltered */
        if (strcmp(name, "keyctl") == 0)
                return syscall(SYS_keyctl, -1, 0, 0, 0, 0); /* EOPNOTSUPP unfiltered */
        if (strcmp(name, "bpf") == 0)
                return syscall(SYS_bpf, -1, NULL, 0); /* EINVAL with CAP_BPF/CAP_SYS_ADMIN */
        if (strcmp(name, "perf_event_open") == 0)
                return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0); /* EFAULT unfiltered */
        if (strcmp(name, "reboot") == 0)
                return syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, 0, 0, NULL); /* wrong magic2: EINVAL */
        if (strcmp(name, "clone3") == 0)
                return syscall(SYS_clone3, NULL, 0); /* EINVAL unfiltered */
        if (strcmp(name, "mkdir") == 0)
                return mkdir("/tmp/syscall-try-dir", 0700);
        if (strcmp(name, "getpid") == 0)
                return syscall(SYS_getpid);
        errno = ENOSYS;
        return -2;
}

int
main(int argc, char **argv)
{
        for (int i = 1; i < argc; i++) {
                long r;

                errno = 0;
                r = try(argv[i]);
                if (r == -2) {
                        printf("%s=UNKNOWN\n", argv[i]);
                        continue;
                }
                printf("%s=%s\n", argv[i], r >= 0 ? "OK" : strerrorname_np(errno) ? strerrorname_np(errno) : "E?");
        }
        return 0;
}
