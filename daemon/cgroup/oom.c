/* OOM kills of one cgroup: the count (v2 memory.events, v1
 * memory.oom_control) and an fd that wakes the caller's loop when it may
 * have changed (inotify on memory.events, whose changes kernfs reports as
 * IN_MODIFY; a v1 cgroup.event_control eventfd). The caller re-reads the
 * count on wake-up: both sources also fire for other memory events. */
#include "daemon/cgroup/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "common/fs-util.h"
#include "common/time-util.h"

/* Longest wait for a v1 OOM kill to be counted after its notification. */
#define OOM_SETTLE_MS 50

static int
memory_dir(const char *path, char **ret, bool *ret_v2, struct ctr_error **err)
{
        int r = cgroup_controller_dir(path, "memory", "memory", ret, ret_v2, err);

        if (r == -EOPNOTSUPP)
                return ctr_error_msg(err, EOPNOTSUPP, "OOM count of `%s`: the memory controller is not available",
                                     path);
        return r;
}

int
cgroup_oom_kills(const char *path, uint64_t *ret, struct ctr_error **err)
{
        _cleanup_free_ char *dir = NULL;
        const char *file;
        char buf[1024];
        bool v2 = false;
        ssize_t n;
        int r;

        r = memory_dir(path, &dir, &v2, err);
        if (r < 0)
                return r;
        file = v2 ? "memory.events" : "memory.oom_control";
        n = cgroup_read_at(dir, file, buf, sizeof(buf));
        if (n < 0)
                return ctr_error_sys(err, (int) -n, "read `%s/%s`", dir, file);
        r = cgroup_parse_keyed(buf, "oom_kill", ret);
        if (r < 0)
                /* v1 before 4.13 counts no kills. */
                return ctr_error_msg(err, EOPNOTSUPP, "`%s/%s` has no oom_kill count", dir, file);
        return 0;
}

static int
watch_v2(const char *dir, int *ret_fd, struct ctr_error **err)
{
        _cleanup_free_ char *file = path_join(dir, "memory.events");
        _cleanup_close_ int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);

        if (!file)
                return ctr_error_sys(err, ENOMEM, "watch OOM in `%s`", dir);
        if (fd < 0)
                return ctr_error_sys(err, errno, "inotify_init1");
        if (inotify_add_watch(fd, file, IN_MODIFY) < 0)
                return ctr_error_sys(err, errno, "watch `%s`", file);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* cgroup-v1 memory.txt "Memory thresholds"/"OOM control": write
 * "<eventfd> <fd of memory.oom_control>" to cgroup.event_control. The
 * kernel keeps its own references, so only the eventfd stays open. */
static int
watch_v1(const char *dir, int *ret_fd, struct ctr_error **err)
{
        _cleanup_free_ char *file = path_join(dir, "memory.oom_control");
        _cleanup_close_ int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), cfd = -1;
        char line[64];
        int r;

        if (!file)
                return ctr_error_sys(err, ENOMEM, "watch OOM in `%s`", dir);
        if (efd < 0)
                return ctr_error_sys(err, errno, "eventfd");
        cfd = open(file, O_RDONLY | O_CLOEXEC);
        if (cfd < 0)
                return ctr_error_sys(err, errno, "open `%s`", file);
        snprintf(line, sizeof(line), "%d %d", efd, cfd);
        r = cgroup_write_at(dir, "cgroup.event_control", line);
        if (r < 0)
                return ctr_error_sys(err, -r, "write `%s` to `%s/cgroup.event_control`", line, dir);
        *ret_fd = TAKE_FD(efd);
        return 0;
}

int
cgroup_oom_watch(const char *path, int *ret_fd, struct ctr_error **err)
{
        _cleanup_free_ char *dir = NULL;
        bool v2 = false;
        int r;

        r = memory_dir(path, &dir, &v2, err);
        if (r < 0)
                return r;
        return v2 ? watch_v2(dir, ret_fd, err) : watch_v1(dir, ret_fd, err);
}

void
cgroup_oom_watch_drain(int fd)
{
        char buf[4096];

        /* An eventfd gives 8 bytes once, an inotify fd whole events: read
         * until empty either way (both are O_NONBLOCK). */
        while (read(fd, buf, sizeof(buf)) > 0)
                ;
}

int
cgroup_oom_watch_read(const char *path, int fd, uint64_t last, uint64_t *ret, struct ctr_error **err)
{
        int64_t deadline = now_monotonic_ms() + OOM_SETTLE_MS;
        long delay_us = 100;
        uint64_t buf[512];
        bool woke = false;
        ssize_t n;
        int r;

        while ((n = read(fd, buf, sizeof(buf))) > 0)
                woke = woke || n == sizeof(uint64_t); /* an eventfd's 8 bytes: v1 */
        for (;;) {
                r = cgroup_oom_kills(path, ret, err);
                if (r < 0 || !woke || *ret > last || now_monotonic_ms() >= deadline)
                        return r;
                /* v1 signals as the OOM begins; the kill is counted a moment
                 * later by the task that hit the limit. */
                nanosleep(&(struct timespec){ .tv_nsec = delay_us * 1000 }, NULL);
                if (delay_us < 5000)
                        delay_us *= 2;
        }
}
