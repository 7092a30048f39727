/* Mount steps of the container init: the root (overlay or bind), the spec's
 * mounts, a minimal /dev, masked and read-only paths, pivot_root. Every
 * destination is resolved inside the rootfs with openat2(RESOLVE_IN_ROOT),
 * and mounted on through /proc/self/fd/N, so a symlink in the image can
 * never make a mount land on the host. Runs in the child only. */
#include "daemon/runtime/child.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FD_PATH_MAX 32

static int
open_in_root(int rootfd, const char *path, int flags)
{
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));

        return fd < 0 ? -errno : (int) fd;
}

static void
fd_path(char buf[static FD_PATH_MAX], int fd)
{
        snprintf(buf, FD_PATH_MAX, "/proc/self/fd/%d", fd);
}

/* mkdir -p of path inside the root; the last component is a directory, or
 * an empty regular file when !dir (a bind mount target for a file). */
static int
create_in_root(int rootfd, const char *path, bool dir, struct ctr_error **err)
{
        _cleanup_free_ char *p = strdup(path);
        size_t len;

        if (!p)
                return ctr_error_sys(err, ENOMEM, "create `%s`", path);
        len = strlen(p);
        for (size_t i = 1; i <= len; i++) {
                _cleanup_close_ int fd = -1, parent = -1;
                bool last;
                char *name;

                if (p[i] != '/' && p[i] != 0)
                        continue;
                last = i == len || (p[i] == '/' && p[i + 1] == 0);
                p[i] = 0;
                fd = open_in_root(rootfd, p, O_PATH);
                if (fd >= 0 || fd != -ENOENT) {
                        if (fd < 0)
                                return ctr_error_sys(err, -fd, "open `%s` in the container root", p);
                        p[i] = i == len ? 0 : '/';
                        continue;
                }
                name = strrchr(p, '/');
                *name = 0;
                parent = open_in_root(rootfd, p[0] ? p : "/", O_PATH | O_DIRECTORY);
                *name = '/';
                if (parent < 0)
                        return ctr_error_sys(err, -parent, "open the parent of `%s` in the container root", p);
                if (last && !dir) {
                        if (mknodat(parent, name + 1, S_IFREG | 0644, 0) < 0 && errno != EEXIST)
                                return ctr_error_sys(err, errno, "create `%s` in the container root", p);
                } else if (mkdirat(parent, name + 1, 0755) < 0 && errno != EEXIST) {
                        return ctr_error_sys(err, errno, "create `%s` in the container root", p);
                }
                p[i] = i == len ? 0 : '/';
        }
        return 0;
}

/* Flags a bind remount must keep: without CAP_SYS_ADMIN in the mount's
 * owning user namespace the kernel refuses to clear nosuid/nodev/noexec/
 * atime flags ("locked" flags), so we carry over what is set now. */
static unsigned long
locked_flags(const char *path)
{
        static const struct {
                unsigned long st, ms;
        } map[] = {
                { ST_NOSUID, MS_NOSUID },     { ST_NODEV, MS_NODEV },
                { ST_NOEXEC, MS_NOEXEC },     { ST_NOATIME, MS_NOATIME },
                { ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
                { ST_RDONLY, MS_RDONLY },
        };
        struct statvfs sv;
        unsigned long flags = 0;

        if (statvfs(path, &sv) < 0)
                return 0;
        for (size_t i = 0; i < ARRAY_SIZE(map); i++)
                if (sv.f_flag & map[i].st)
                        flags |= map[i].ms;
        return flags;
}

/* Bind-remounts the mount at dest (inside root) with flags, keeping the
 * locked flags unless the spec explicitly cleared them. */
static int
remount_bind(int rootfd, const char *dest, unsigned long flags, unsigned long clear,
             struct ctr_error **err)
{
        _cleanup_close_ int fd = open_in_root(rootfd, dest, O_PATH);
        char target[FD_PATH_MAX];
        unsigned long keep;

        if (fd < 0)
                return ctr_error_sys(err, -fd, "open `%s` in the container root", dest);
        fd_path(target, fd);
        keep = locked_flags(target) & ~clear & ~(unsigned long) MS_RDONLY;
        if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | flags | keep, NULL) < 0)
                return ctr_error_sys(err, errno, "remount `%s` read-only or with its flags", dest);
        return 0;
}

/* A bind remount changes only the top mount; for rbind the submounts get
 * the same ro/nosuid/nodev/noexec through mount_setattr(AT_RECURSIVE). */
static int
setattr_recursive(int rootfd, const char *dest, unsigned long flags, struct ctr_error **err)
{
        struct mount_attr attr = { 0 };
        _cleanup_close_ int fd = -1;

        if (flags & MS_RDONLY)
                attr.attr_set |= MOUNT_ATTR_RDONLY;
        if (flags & MS_NOSUID)
                attr.attr_set |= MOUNT_ATTR_NOSUID;
        if (flags & MS_NODEV)
                attr.attr_set |= MOUNT_ATTR_NODEV;
        if (flags & MS_NOEXEC)
                attr.attr_set |= MOUNT_ATTR_NOEXEC;
        if (!attr.attr_set)
                return 0;
        fd = open_in_root(rootfd, dest, O_PATH);
        if (fd < 0)
                return ctr_error_sys(err, -fd, "open `%s` in the container root", dest);
        if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
                return ctr_error_sys(err, errno, "set the flags of `%s` and its submounts", dest);
        return 0;
}

static int
set_propagation(int rootfd, const char *dest, unsigned long propagation, struct ctr_error **err)
{
        _cleanup_close_ int fd = open_in_root(rootfd, dest, O_PATH);
        char target[FD_PATH_MAX];

        if (fd < 0)
                return ctr_error_sys(err, -fd, "open `%s` in the container root", dest);
        fd_path(target, fd);
        if (mount(NULL, target, NULL, propagation, NULL) < 0)
                return ctr_error_sys(err, errno, "set the propagation of `%s`", dest);
        return 0;
}

/* Why first: everything below mounts in our new mount namespace, which
 * starts as a copy that still shares propagation with the host; without
 * this, our mounts would show up on the host (mount_namespaces(7)). */
int
child_mount_propagation(struct child_ctx *ctx, struct ctr_error **err)
{
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return ctr_error_sys(err, errno, "make `/` private");
        return 0;
}

/* mount(2) copies at most one page of options. */
#define MOUNT_DATA_MAX 4096

/* Length of the longest directory prefix (up to and including a '/')
 * shared by s and prefix[0..n). */
static size_t
common_dir_prefix(const char *s, const char *prefix, size_t n)
{
        size_t i = 0, dir = 0;

        while (i < n && s[i] && s[i] == prefix[i]) {
                if (s[i] == '/')
                        dir = i + 1;
                i++;
        }
        return dir;
}

/* The overlay options with every dir relative to *ret_base, the longest
 * directory all of them share: many image layers under one store would
 * not fit a page as absolute paths. */
static int
overlay_data_relative(const struct runtime_spec *s, char **ret_data, char **ret_base)
{
        const char *lower = s->overlay_lowerdir;
        _cleanup_free_ char *base = NULL, *rel = NULL;
        size_t n = strlen(lower), len = 0;
        char *p;

        /* The common prefix of every lower dir, the upper and the work dir. */
        for (const char *c = lower; c; c = strchr(c, ':') ? strchr(c, ':') + 1 : NULL)
                n = common_dir_prefix(c, lower, n);
        if (s->overlay_upperdir) {
                n = common_dir_prefix(s->overlay_upperdir, lower, n);
                n = common_dir_prefix(s->overlay_workdir, lower, n);
        }
        if (n <= 1)
                return -E2BIG;
        base = strndup(lower, n);
        rel = malloc(strlen(lower) + 1);
        if (!base || !rel)
                return -ENOMEM;
        p = rel;
        for (const char *c = lower; c;) {
                const char *end = strchr(c, ':');
                size_t l = end ? (size_t) (end - c) : strlen(c);
                memcpy(p, c + n, l - n);
                p += l - n;
                *p++ = end ? ':' : 0;
                c = end ? end + 1 : NULL;
        }
        if (s->overlay_upperdir)
                len = (size_t) asprintf(ret_data, "lowerdir=%s,upperdir=%s,workdir=%s", rel,
                                        s->overlay_upperdir + n, s->overlay_workdir + n);
        else
                len = (size_t) asprintf(ret_data, "lowerdir=%s", rel);
        if (len == (size_t) -1)
                return -ENOMEM;
        if (len >= MOUNT_DATA_MAX) {
                free(*ret_data);
                *ret_data = NULL;
                return -E2BIG;
        }
        *ret_base = TAKE_PTR(base);
        return 0;
}

/* The new mount API's constants (linux/mount.h), under our own names:
 * glibc >= 2.36 declares some of them as enum values in <sys/mount.h>. */
#define CTL_FSOPEN_CLOEXEC 0x1
#define CTL_FSCONFIG_SET_STRING 1
#define CTL_FSCONFIG_CMD_CREATE 6
#define CTL_FSMOUNT_CLOEXEC 0x1
#define CTL_MOVE_MOUNT_F_EMPTY_PATH 0x4

/* Linux >= 6.8: one "lowerdir+" per layer through fsconfig(2), so the
 * number of layers is bounded by overlayfs (500), not by a page of mount
 * options. -EINVAL from an older kernel that has no "lowerdir+". */
static int
mount_overlay_fsconfig(const struct runtime_spec *s)
{
        _cleanup_free_ char *lower = strdup(s->overlay_lowerdir);
        _cleanup_close_ int fsfd = -1, mfd = -1;
        char *save = NULL;

        if (!lower)
                return -ENOMEM;
        fsfd = (int) syscall(SYS_fsopen, "overlay", CTL_FSOPEN_CLOEXEC);
        if (fsfd < 0)
                return -errno;
        /* Top-most first, as in the lowerdir string. */
        for (char *dir = strtok_r(lower, ":", &save); dir; dir = strtok_r(NULL, ":", &save))
                if (syscall(SYS_fsconfig, fsfd, CTL_FSCONFIG_SET_STRING, "lowerdir+", dir, 0) < 0)
                        return -errno;
        if (s->overlay_upperdir &&
            (syscall(SYS_fsconfig, fsfd, CTL_FSCONFIG_SET_STRING, "upperdir", s->overlay_upperdir, 0) < 0 ||
             syscall(SYS_fsconfig, fsfd, CTL_FSCONFIG_SET_STRING, "workdir", s->overlay_workdir, 0) < 0))
                return -errno;
        if (syscall(SYS_fsconfig, fsfd, CTL_FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return -errno;
        mfd = (int) syscall(SYS_fsmount, fsfd, CTL_FSMOUNT_CLOEXEC, 0);
        if (mfd < 0)
                return -errno;
        if (syscall(SYS_move_mount, mfd, "", AT_FDCWD, s->root_path, CTL_MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return -errno;
        return 0;
}

static int
mount_overlay(const struct runtime_spec *s, struct ctr_error **err)
{
        _cleanup_free_ char *data = NULL, *base = NULL;
        int r;

        if (s->overlay_upperdir)
                r = asprintf(&data, "lowerdir=%s,upperdir=%s,workdir=%s", s->overlay_lowerdir,
                             s->overlay_upperdir, s->overlay_workdir);
        else
                r = asprintf(&data, "lowerdir=%s", s->overlay_lowerdir);
        if (r < 0)
                return ctr_error_sys(err, ENOMEM, "mount the overlay");
        if ((size_t) r >= MOUNT_DATA_MAX) {
                r = mount_overlay_fsconfig(s);
                if (r != -EINVAL && r != -ENOSYS)
                        return r < 0 ? ctr_error_sys(err, -r, "mount `overlay` of %s on `%s`",
                                                     "many layers", s->root_path) : 0;
                free(TAKE_PTR(data));
                r = overlay_data_relative(s, &data, &base);
                if (r < 0)
                        return ctr_error_msg(err, E2BIG, "mount `overlay` on `%s`: the image has too many "
                                             "layers for one mount (lowerdir is %zu bytes)",
                                             s->root_path, strlen(s->overlay_lowerdir));
                /* overlayfs resolves relative dirs against the caller's cwd;
                 * this process is the container's own and chdirs again later. */
                if (chdir(base) < 0)
                        return ctr_error_sys(err, errno, "chdir `%s`", base);
        }
        r = mount("overlay", s->root_path, "overlay", 0, data) < 0 ? -errno : 0;
        if (base && chdir("/") < 0 && r == 0)
                r = -errno;
        if (r < 0)
                return ctr_error_sys(err, -r, "mount `overlay` (%.200s%s) on `%s`", data,
                                     strlen(data) > 200 ? "..." : "", s->root_path);
        return 0;
}

/* Why here: the root must be a mount point for pivot_root(2), and the
 * overlay must exist before any spec mount is placed inside it. Mounted in
 * the container's namespace only: it dies with the container. */
int
child_mount_root(struct child_ctx *ctx, struct ctr_error **err)
{
        const struct runtime_spec *s = ctx->spec;
        int fd;

        /* In a user namespace the parent made the root (userns.c); it is
         * attached through the O_PATH of its mount point, as the path's
         * parents are private to the host's root. */
        if (ctx->root_mount_fd >= 0) {
                if (move_mount(ctx->root_mount_fd, "", ctx->root_dir_fd, "",
                               MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                        return ctr_error_sys(err, errno, "attach the idmapped root on `%s`", s->root_path);
                ctx->root_dir_fd = safe_close(ctx->root_dir_fd);
                ctx->rootfd = TAKE_FD(ctx->root_mount_fd);
                return 0;
        }
        if (s->overlay_lowerdir) {
                int r = mount_overlay(s, err);
                if (r < 0)
                        return r;
        } else if (mount(s->root_path, s->root_path, NULL, MS_BIND | MS_REC, NULL) < 0) {
                return ctr_error_sys(err, errno, "bind `%s` onto itself", s->root_path);
        }
        fd = open(s->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return ctr_error_sys(err, errno, "open `%s`", s->root_path);
        ctx->rootfd = fd;
        return 0;
}

/* premade: a mount the parent made for the user namespace (userns.c),
 * attached instead of binding the source or mounting the type; or -1. */
static int
mount_one(int rootfd, const struct runtime_mount *m, int premade, struct ctr_error **err)
{
        _cleanup_close_ int fd = -1;
        char target[FD_PATH_MAX];
        const char *type = m->type;
        bool dir = true;
        int r;

        if (m->bind) {
                struct stat st;
                if ((premade >= 0 ? fstat(premade, &st) : stat(m->source, &st)) < 0)
                        return ctr_error_sys(err, errno, "bind mount source `%s`", m->source);
                dir = S_ISDIR(st.st_mode);
        }
        r = create_in_root(rootfd, m->destination, dir, err);
        if (r < 0)
                return r;
        fd = open_in_root(rootfd, m->destination, O_PATH);
        if (fd < 0)
                return ctr_error_sys(err, -fd, "open `%s` in the container root", m->destination);
        fd_path(target, fd);
        if (premade >= 0) {
                if (move_mount(premade, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                        return ctr_error_sys(err, errno, "attach the %s of `%s` on `%s`",
                                             m->bind ? "idmapped mount" : "mount", m->source, m->destination);
                if (m->bind && m->flags) {
                        r = remount_bind(rootfd, m->destination, m->flags, m->clear, err);
                        if (r < 0)
                                return r;
                }
                if (m->bind && m->recursive) {
                        r = setattr_recursive(rootfd, m->destination, m->flags, err);
                        if (r < 0)
                                return r;
                }
        } else if (m->bind) {
                if (mount(m->source, target, NULL, MS_BIND | (m->recursive ? MS_REC : 0), NULL) < 0)
                        return ctr_error_sys(err, errno, "bind `%s` on `%s`", m->source, m->destination);
                if (m->flags) {
                        r = remount_bind(rootfd, m->destination, m->flags, m->clear, err);
                        if (r < 0)
                                return r;
                }
                if (m->recursive) {
                        r = setattr_recursive(rootfd, m->destination, m->flags, err);
                        if (r < 0)
                                return r;
                }
        } else {
                /* On a hybrid or v1 host a v1 "cgroup" mount would need
                 * controller options; in our cgroup namespace cgroup2 shows
                 * the container's own subtree. */
                if (strcmp(type, "cgroup") == 0)
                        type = "cgroup2";
                if (mount(m->source, target, type, m->flags, m->data) < 0)
                        return ctr_error_sys(err, errno, "mount `%s` on `%s`", m->source, m->destination);
        }
        if (m->propagation)
                return set_propagation(rootfd, m->destination, m->propagation, err);
        return 0;
}

/* Why here: in spec order, inside the new root and before pivot_root, so
 * bind sources are still reachable on the host side. */
int
child_mount_spec_mounts(struct child_ctx *ctx, struct ctr_error **err)
{
        for (size_t i = 0; i < ctx->spec->n_mounts; i++) {
                const struct runtime_mount *m = &ctx->spec->mounts[i];
                int premade = ctx->mount_fds ? ctx->mount_fds[i] : -1;
                int r;

                if (!m->bind && ctx->sysfs_fd >= 0 && strcmp(m->type, "sysfs") == 0)
                        premade = ctx->sysfs_fd;
                r = mount_one(ctx->rootfd, m, premade, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Why here: after the spec mounted its tmpfs on /dev (and devpts), and
 * before pivot_root, while the host's device nodes are still reachable.
 * Bind-mounting host nodes instead of mknod works in user namespaces too. */
int
child_mount_dev(struct child_ctx *ctx, struct ctr_error **err)
{
        static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
        static const char *const links[][2] = {
                { "fd", "/proc/self/fd" },         { "stdin", "/proc/self/fd/0" },
                { "stdout", "/proc/self/fd/1" },   { "stderr", "/proc/self/fd/2" },
                { "ptmx", "pts/ptmx" },
        };
        _cleanup_close_ int devfd = -1;
        bool has_dev = false;
        int r;

        for (size_t i = 0; i < ctx->spec->n_mounts; i++) {
                const struct runtime_mount *m = &ctx->spec->mounts[i];
                if (m->type && strcmp(m->type, "tmpfs") == 0 && strcmp(m->destination, "/dev") == 0)
                        has_dev = true;
        }
        if (!has_dev)
                return 0;
        for (size_t i = 0; i < ARRAY_SIZE(nodes); i++) {
                _cleanup_free_ char *dest = NULL, *host = NULL;
                _cleanup_close_ int fd = -1;
                char target[FD_PATH_MAX];

                if (asprintf(&dest, "/dev/%s", nodes[i]) < 0 || asprintf(&host, "/dev/%s", nodes[i]) < 0)
                        return ctr_error_sys(err, ENOMEM, "populate /dev");
                r = create_in_root(ctx->rootfd, dest, false, err);
                if (r < 0)
                        return r;
                fd = open_in_root(ctx->rootfd, dest, O_PATH);
                if (fd < 0)
                        return ctr_error_sys(err, -fd, "open `%s` in the container root", dest);
                fd_path(target, fd);
                if (mount(host, target, NULL, MS_BIND, NULL) < 0)
                        return ctr_error_sys(err, errno, "bind `%s` on `%s`", host, dest);
        }
        devfd = open_in_root(ctx->rootfd, "/dev", O_PATH | O_DIRECTORY);
        if (devfd < 0)
                return ctr_error_sys(err, -devfd, "open `/dev` in the container root");
        for (size_t i = 0; i < ARRAY_SIZE(links); i++)
                if (symlinkat(links[i][1], devfd, links[i][0]) < 0 && errno != EEXIST)
                        return ctr_error_sys(err, errno, "symlink `/dev/%s` to `%s`", links[i][0], links[i][1]);
        return 0;
}

/* Why here: after /proc and /sys are mounted (their paths must exist) and
 * still before pivot_root, so paths resolve with RESOLVE_IN_ROOT and mount
 * through the host's /proc/self/fd whatever the container mounted. */
int
child_mount_masked_paths(struct child_ctx *ctx, struct ctr_error **err)
{
        char devnull[FD_PATH_MAX];

        if (!ctx->spec->masked_paths)
                return 0;
        ctx->devnull_fd = open("/dev/null", O_PATH | O_CLOEXEC);
        if (ctx->devnull_fd < 0)
                return ctr_error_sys(err, errno, "open `/dev/null`");
        fd_path(devnull, ctx->devnull_fd);
        for (char **p = ctx->spec->masked_paths; *p; p++) {
                _cleanup_close_ int fd = open_in_root(ctx->rootfd, *p, O_PATH);
                char target[FD_PATH_MAX];
                struct stat st;

                if (fd == -ENOENT)
                        continue;
                if (fd < 0)
                        return ctr_error_sys(err, -fd, "open masked path `%s`", *p);
                if (fstat(fd, &st) < 0)
                        return ctr_error_sys(err, errno, "stat masked path `%s`", *p);
                fd_path(target, fd);
                if (S_ISDIR(st.st_mode)) {
                        if (mount("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0k") < 0)
                                return ctr_error_sys(err, errno, "mask `%s` with an empty tmpfs", *p);
                } else if (mount(devnull, target, NULL, MS_BIND, NULL) < 0) {
                        return ctr_error_sys(err, errno, "mask `%s` with /dev/null", *p);
                }
        }
        return 0;
}

/* Why here: after the masks, so a masked path inside a read-only one stays
 * masked; before pivot_root for the same reasons as the masks. */
int
child_mount_readonly_paths(struct child_ctx *ctx, struct ctr_error **err)
{
        for (char **p = ctx->spec->readonly_paths; p && *p; p++) {
                _cleanup_close_ int fd = open_in_root(ctx->rootfd, *p, O_PATH);
                char target[FD_PATH_MAX];
                int r;

                if (fd == -ENOENT)
                        continue;
                if (fd < 0)
                        return ctr_error_sys(err, -fd, "open read-only path `%s`", *p);
                fd_path(target, fd);
                if (mount(target, target, NULL, MS_BIND | MS_REC, NULL) < 0)
                        return ctr_error_sys(err, errno, "bind `%s` onto itself", *p);
                r = remount_bind(ctx->rootfd, *p, MS_RDONLY, 0, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Why here: every mount that needs the host side is done. pivot_root(".",
 * ".") stacks the old root on top of the new one; detaching it leaves no
 * path to the host (pivot_root(2) NOTES; bubblewrap and crun do the same). */
int
child_pivot_root(struct child_ctx *ctx, struct ctr_error **err)
{
        if (fchdir(ctx->rootfd) < 0)
                return ctr_error_sys(err, errno, "chdir to `%s`", ctx->spec->root_path);
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return ctr_error_sys(err, errno, "pivot_root to `%s`", ctx->spec->root_path);
        if (umount2(".", MNT_DETACH) < 0)
                return ctr_error_sys(err, errno, "detach the old root");
        if (chdir("/") < 0)
                return ctr_error_sys(err, errno, "chdir to `/`");
        ctx->rootfd = safe_close(ctx->rootfd);
        ctx->devnull_fd = safe_close(ctx->devnull_fd);
        return 0;
}

/* Why here: last mount change, after pivot_root; earlier would block
 * creating the mount points above. */
int
child_mount_root_readonly(struct child_ctx *ctx, struct ctr_error **err)
{
        unsigned long keep;

        if (!ctx->spec->root_readonly)
                return 0;
        keep = locked_flags("/");
        if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, NULL) < 0)
                return ctr_error_sys(err, errno, "remount `/` read-only");
        return 0;
}
