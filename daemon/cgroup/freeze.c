/* Freezing and thawing every process of a cgroup: v2 cgroup.freeze (a core
 * file, no controller needed) or the v1 freezer. Both are asynchronous in
 * the kernel, so the call waits, bounded, for the state to be reached: v2
 * signals cgroup.events changes with POLLPRI; v1 has no notification and is
 * polled with a growing delay. */
#include "daemon/cgroup/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/fs-util.h"
#include "common/time-util.h"

/* A task freezes only on its way back to user space: one in uninterruptible
 * sleep (I/O on a busy disk, a rename waiting for the journal) holds the
 * whole cgroup back. 2 s was too short under a parallel build's writes (CI);
 * the daemon waits in a worker, never in its loop. */
#define FREEZE_TIMEOUT_MS 10000

/* v2: waits until cgroup.events says frozen == want. */
static int
wait_v2(const char *dir, bool want, int64_t deadline)
{
        _cleanup_free_ char *file = path_join(dir, "cgroup.events");
        _cleanup_close_ int fd = -1;
        char buf[256];

        if (!file)
                return -ENOMEM;
        fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        for (;;) {
                ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
                int64_t left = deadline - now_monotonic_ms();

                if (n < 0)
                        return -errno;
                buf[n] = 0;
                if (cgroup_parse_events_frozen(buf) == (want ? 1 : 0))
                        return 0;
                if (left <= 0)
                        return -ETIMEDOUT;
                /* kernfs wakes POLLPRI pollers when cgroup.events changes. */
                (void) poll(&(struct pollfd){ .fd = fd, .events = POLLPRI }, 1, (int) left);
        }
}

/* v1: waits until freezer.state is FROZEN or THAWED as wanted. */
static int
wait_v1(const char *dir, bool want, int64_t deadline)
{
        long delay_us = 100;
        char buf[64];

        for (;;) {
                ssize_t n = cgroup_read_at(dir, "freezer.state", buf, sizeof(buf));

                if (n < 0)
                        return (int) n;
                if (cgroup_parse_freezer_state(buf) == (want ? 1 : 0))
                        return 0;
                if (now_monotonic_ms() >= deadline)
                        return -ETIMEDOUT;
                /* No notification exists for freezer.state. */
                nanosleep(&(struct timespec){ .tv_nsec = delay_us * 1000 }, NULL);
                if (delay_us < 20000)
                        delay_us *= 2;
        }
}

static int
set_state(const char *dir, bool v2, bool frozen)
{
        return v2 ? cgroup_write_at(dir, "cgroup.freeze", frozen ? "1" : "0")
                  : cgroup_write_at(dir, "freezer.state", frozen ? "FROZEN" : "THAWED");
}

int
cgroup_freeze(const char *path, bool frozen, struct ctr_error **err)
{
        _cleanup_free_ char *dir = NULL;
        int64_t deadline = now_monotonic_ms() + FREEZE_TIMEOUT_MS;
        bool v2 = false;
        int r;

        r = cgroup_controller_dir(path, "freezer", "", &dir, &v2, err);
        if (r == -EOPNOTSUPP)
                return ctr_error_msg(err, EOPNOTSUPP, "%s `%s`: no freezer on this host", frozen ? "freeze" : "thaw",
                                     path);
        if (r < 0)
                return r;
        r = set_state(dir, v2, frozen);
        if (r < 0)
                return ctr_error_sys(err, -r, "write %s to `%s/%s`", v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED"),
                                     dir, v2 ? "cgroup.freeze" : "freezer.state");
        r = v2 ? wait_v2(dir, frozen, deadline) : wait_v1(dir, frozen, deadline);
        if (r == -ETIMEDOUT && frozen) {
                /* Half-frozen helps nobody: a task stuck in the kernel (e.g.
                 * in an uninterruptible wait) keeps the group FREEZING. */
                (void) set_state(dir, v2, false);
                return ctr_error_msg(err, ETIMEDOUT, "freeze `%s`: not frozen after %d ms, thawed again", path,
                                     FREEZE_TIMEOUT_MS);
        }
        if (r < 0)
                return ctr_error_sys(err, -r, "%s `%s`", frozen ? "freeze" : "thaw", dir);
        return 0;
}

int
cgroup_is_frozen(const char *path, bool *ret, struct ctr_error **err)
{
        _cleanup_free_ char *dir = NULL;
        char buf[64];
        bool v2 = false;
        ssize_t n;
        int r;

        r = cgroup_controller_dir(path, "freezer", "", &dir, &v2, err);
        if (r == -EOPNOTSUPP)
                return ctr_error_msg(err, EOPNOTSUPP, "`%s`: no freezer on this host", path);
        if (r < 0)
                return r;
        n = cgroup_read_at(dir, v2 ? "cgroup.freeze" : "freezer.state", buf, sizeof(buf));
        if (n < 0)
                return ctr_error_sys(err, (int) -n, "read `%s/%s`", dir, v2 ? "cgroup.freeze" : "freezer.state");
        /* v2 cgroup.freeze is the state asked for: frozen or freezing. */
        *ret = v2 ? strcmp(buf, "1") == 0 : cgroup_parse_freezer_state(buf) > 0;
        return 0;
}
