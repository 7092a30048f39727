/* Per-hierarchy file system primitives for the cgroup back-ends: mkdir with
 * v1 cpuset preparation, joining, killing the members and removing a
 * subtree leaf first. Each takes the full directory path in one hierarchy;
 * none of them decides which hierarchies to touch. */
#include "daemon/cgroup/cgroup-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs-util.h"
#include "common/parse.h"

/* Reads a small cgroupfs file into buf. Returns length (newline stripped). */
static ssize_t
read_small(int dirfd, const char *name, char *buf, size_t size)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = read(fd, buf, size - 1);
        if (n < 0)
                return -errno;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
                n--;
        buf[n] = 0;
        return n;
}

static int
write_small(int dirfd, const char *name, const char *s, size_t len)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = write(fd, s, len);
        if (n < 0)
                return -errno;
        return (size_t) n == len ? 0 : -EIO;
}

/* A new v1 cpuset group starts with empty cpus and mems, and nothing can
 * join it until both are set (cpuset(7)). Copy them from the parent, and
 * turn on clone_children so deeper levels we create later inherit them
 * from the kernel without this copy. */
static int
cpuset_prepare(const struct cgroup_hierarchy *h, const char *dir, struct ctr_error **err)
{
        static const char *const files[] = { "cpus", "mems" };
        _cleanup_free_ char *parent = strdup(dir);
        _cleanup_close_ int dfd = -1, pfd = -1;
        char *slash;

        if (!parent)
                return ctr_error_sys(err, ENOMEM, "cpuset `%s`", dir);
        slash = strrchr(parent, '/');
        if (!slash || slash == parent)
                return 0;
        *slash = 0;
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return ctr_error_sys(err, errno, "open `%s`", dir);
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                char name[32], buf[4096];
                ssize_t n;
                int r;

                snprintf(name, sizeof(name), "%s%s", h->noprefix ? "" : "cpuset.", files[i]);
                n = read_small(dfd, name, buf, sizeof(buf));
                if (n < 0)
                        return ctr_error_sys(err, (int) -n, "read `%s/%s`", dir, name);
                if (n > 0)
                        continue;
                if (pfd < 0) {
                        pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (pfd < 0)
                                return ctr_error_sys(err, errno, "open `%s`", parent);
                }
                n = read_small(pfd, name, buf, sizeof(buf));
                if (n < 0)
                        return ctr_error_sys(err, (int) -n, "read `%s/%s`", parent, name);
                r = write_small(dfd, name, buf, (size_t) n);
                if (r < 0)
                        return ctr_error_sys(err, -r, "write `%s` to `%s/%s`", buf, dir, name);
        }
        (void) write_small(dfd, "cgroup.clone_children", "1", 1);
        return 0;
}

int
cgroup_fs_create(const struct cgroup_hierarchy *h, const char *dir, struct ctr_error **err)
{
        int r;

        /* Fast path: the parent usually exists, so one mkdir is enough. */
        if (mkdir(dir, 0755) < 0) {
                _cleanup_free_ char *parent = NULL;
                char *slash;

                if (errno == EEXIST)
                        return 0;
                if (errno != ENOENT)
                        return ctr_error_sys(err, errno, "create cgroup `%s`", dir);
                parent = strdup(dir);
                if (!parent)
                        return ctr_error_sys(err, ENOMEM, "create cgroup `%s`", dir);
                slash = strrchr(parent, '/');
                if (!slash || slash == parent || strlen(parent) <= strlen(h->mount))
                        return ctr_error_sys(err, ENOENT, "create cgroup `%s`", dir);
                *slash = 0;
                r = cgroup_fs_create(h, parent, err);
                if (r < 0)
                        return r;
                if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                        return ctr_error_sys(err, errno, "create cgroup `%s`", dir);
        }
        if (h->cpuset)
                return cpuset_prepare(h, dir, err);
        return 0;
}

int
cgroup_fs_enter(const char *dir, pid_t pid, struct ctr_error **err)
{
        _cleanup_free_ char *procs = path_join(dir, "cgroup.procs");
        char buf[32];

        if (!procs)
                return ctr_error_sys(err, ENOMEM, "join cgroup `%s`", dir);
        snprintf(buf, sizeof(buf), "%d", (int) pid);
        return write_file_string(procs, buf, err);
}

int
cgroup_fs_kill_v2(const char *dir)
{
        _cleanup_free_ char *kill_file = path_join(dir, "cgroup.kill");
        _cleanup_close_ int fd = -1;

        if (!kill_file)
                return -ENOMEM;
        fd = open(kill_file, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (write(fd, "1", 1) != 1)
                return negative_errno();
        return 0;
}

/* Kills the members of dirfd's cgroup and of every descendant. */
static int
kill_procs_at(int dirfd)
{
        _cleanup_close_ int fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
        int count = 0;
        DIR *d;
        struct dirent *de;

        if (fd >= 0) {
                FILE *f = fdopen(TAKE_FD(fd), "re");
                char line[32];
                if (f) {
                        while (fgets(line, sizeof(line), f)) {
                                int pid;
                                line[strcspn(line, "\n")] = 0;
                                if (parse_int(line, &pid) == 0 && pid > 1 && kill(pid, SIGKILL) == 0)
                                        count++;
                        }
                        fclose(f);
                }
        }
        fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return count;
        d = fdopendir(TAKE_FD(fd));
        if (!d)
                return count;
        while ((de = readdir(d))) {
                int sub;
                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (sub < 0)
                        continue;
                count += kill_procs_at(sub);
                safe_close(sub);
        }
        closedir(d);
        return count;
}

int
cgroup_fs_kill_procs(const char *dir)
{
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        return kill_procs_at(fd);
}

/* Removes the sub-directories of dirfd (path for messages), leaf first. */
static int
remove_children(int dirfd, const char *path, struct ctr_error **err)
{
        int dup_fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct dirent *de;
        DIR *d;
        int r = 0;

        if (dup_fd < 0)
                return ctr_error_sys(err, errno, "open `%s`", path);
        d = fdopendir(dup_fd);
        if (!d) {
                r = ctr_error_sys(err, errno, "open `%s`", path);
                safe_close(dup_fd);
                return r;
        }
        while ((de = readdir(d))) {
                _cleanup_free_ char *sub_path = NULL;
                _cleanup_close_ int sub = -1;
                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                sub_path = path_join(path, de->d_name);
                sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (sub < 0) {
                        if (errno == ENOENT)
                                continue;
                        r = ctr_error_sys(err, errno, "open `%s/%s`", path, de->d_name);
                        break;
                }
                r = remove_children(sub, sub_path ? sub_path : path, err);
                if (r < 0)
                        break;
                if (unlinkat(dirfd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
                        r = errno == EBUSY ? -EBUSY
                                           : ctr_error_sys(err, errno, "remove cgroup `%s/%s`", path, de->d_name);
                        break;
                }
        }
        closedir(d);
        return r;
}

int
cgroup_fs_remove(const char *dir, struct ctr_error **err)
{
        _cleanup_close_ int fd = -1;
        int r;

        /* Most containers never make sub-cgroups: try the leaf directly. */
        if (rmdir(dir) == 0 || errno == ENOENT)
                return 0;
        /* cgroupfs says EBUSY both for members and for sub-cgroups. */
        if (errno != EBUSY && errno != ENOTEMPTY)
                return ctr_error_sys(err, errno, "remove cgroup `%s`", dir);
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : ctr_error_sys(err, errno, "open `%s`", dir);
        r = remove_children(fd, dir, err);
        if (r < 0)
                return r;
        if (rmdir(dir) < 0 && errno != ENOENT)
                return errno == EBUSY ? -EBUSY : ctr_error_sys(err, errno, "remove cgroup `%s`", dir);
        return 0;
}
