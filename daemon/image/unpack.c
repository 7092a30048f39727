/* image_unpack_tarball(): reads a tar archive with libarchive through our
 * own read callback (hashing every byte for the digest) and writes each
 * entry itself, NOT with archive_write_disk. Every parent directory is
 * resolved with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
 * RESOLVE_NO_XDEV) and the last component is created with *at() calls
 * relative to it, so symlinks, hardlinks and ".." in a hostile archive
 * resolve inside the root or fail (openat2(2)). Runs in worker threads: no
 * globals, no chdir, no umask (modes are set explicitly), no strerror. */
#include "daemon/image/image.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/image/archive-path.h"
#include "daemon/image/sha256.h"

#define READ_BUF_SIZE (128 * 1024)
#define PROGRESS_STEP (1024 * 1024)

struct dir_time {
        char *path;
        struct timespec ts[2];
};

struct unpack {
        const char *archive_path;
        int archive_fd;
        int root_fd;
        bool as_root; /* false: ownership and privileged xattrs are skipped (tests) */
        image_progress_fn progress;
        void *userdata;
        uint64_t done, total, last_progress;
        uint64_t size;
        struct sha256_ctx sha;
        struct dir_time *dirs;
        size_t n_dirs, cap_dirs;
        uint8_t buf[READ_BUF_SIZE];
};

static void
unpack_free(struct unpack *u)
{
        if (!u)
                return;
        for (size_t i = 0; i < u->n_dirs; i++)
                free(u->dirs[i].path);
        free(u->dirs);
        safe_close(u->archive_fd);
        safe_close(u->root_fd);
        free(u);
}
DEFINE_FREEP(struct unpack, unpack_free)

static void
archive_freep(struct archive **a)
{
        if (*a)
                archive_read_free(*a);
}

/* ctr_error_sys() with strerror_r(), safe in worker threads. */
static int _printf_(3, 4)
unpack_error(struct ctr_error **err, int errnum, const char *fmt, ...)
{
        _cleanup_free_ char *head = NULL;
        char ebuf[128];
        va_list ap;
        int r;

        if (errnum <= 0)
                errnum = EIO;
        va_start(ap, fmt);
        r = vasprintf(&head, fmt, ap);
        va_end(ap);
        return ctr_error_msg(err, errnum, "%s: %s", r < 0 ? "unpack" : head,
                             strerror_r(errnum, ebuf, sizeof(ebuf)));
}

/* openat2() below root_fd; path "" is the root itself. Returns fd or -errno. */
static int
resolve_in_root(int root_fd, const char *path, uint64_t flags)
{
        struct open_how how = {
                .flags = flags | O_CLOEXEC,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
        };
        long fd;

        for (int tries = 0; tries < 16; tries++) {
                fd = syscall(SYS_openat2, root_fd, *path ? path : ".", &how, sizeof(how));
                if (fd >= 0)
                        return (int) fd;
                if (errno != EINTR && errno != EAGAIN)
                        break;
        }
        return -errno;
}

static la_ssize_t
read_cb(struct archive *a, void *userdata, const void **ret_buf)
{
        struct unpack *u = userdata;
        ssize_t n;

        do
                n = read(u->archive_fd, u->buf, sizeof(u->buf));
        while (n < 0 && errno == EINTR);
        if (n < 0) {
                char ebuf[128];
                int e = errno;
                archive_set_error(a, e, "read: %s", strerror_r(e, ebuf, sizeof(ebuf)));
                return -1;
        }
        sha256_update(&u->sha, u->buf, (size_t) n);
        u->done += (uint64_t) n;
        if (u->progress && (u->done - u->last_progress >= PROGRESS_STEP || n == 0)) {
                u->last_progress = u->done;
                u->progress(u->done, u->total, u->userdata);
        }
        *ret_buf = u->buf;
        return n;
}

/* Hashes whatever libarchive did not need to read (padding after the end
 * of archive blocks), so the digest covers the whole file. */
static int
drain(struct unpack *u, struct ctr_error **err)
{
        for (;;) {
                ssize_t n = read(u->archive_fd, u->buf, sizeof(u->buf));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return unpack_error(err, errno, "read `%s`", u->archive_path);
                }
                if (n == 0)
                        break;
                sha256_update(&u->sha, u->buf, (size_t) n);
                u->done += (uint64_t) n;
        }
        if (u->progress)
                u->progress(u->done, u->total, u->userdata);
        return 0;
}

/* Opens (creating as 0755 where missing) the parent directory `parent` of
 * an entry, resolved inside the root. Returns an O_PATH fd or -errno. */
static int
open_parent(struct unpack *u, const char *parent, const char *entry, struct ctr_error **err)
{
        _cleanup_free_ char *prefix = NULL;
        _cleanup_close_ int cur = -1;
        int fd;

        fd = resolve_in_root(u->root_fd, parent, O_PATH | O_DIRECTORY);
        if (fd >= 0)
                return fd;
        if (fd != -ENOENT)
                return unpack_error(err, -fd, "entry `%s`: open parent `%s`", entry, parent);

        /* Slow path: the archive did not list every directory. */
        prefix = strdup(parent);
        if (!prefix)
                return unpack_error(err, ENOMEM, "entry `%s`", entry);
        cur = resolve_in_root(u->root_fd, "", O_PATH | O_DIRECTORY);
        if (cur < 0)
                return unpack_error(err, -cur, "open `%s`", "/");
        for (char *s = prefix;; s++) {
                char c = *s;
                const char *comp;

                if (c != '/' && c != 0)
                        continue;
                *s = 0;
                fd = resolve_in_root(u->root_fd, prefix, O_PATH | O_DIRECTORY);
                if (fd == -ENOENT) {
                        comp = strrchr(prefix, '/');
                        comp = comp ? comp + 1 : prefix;
                        if (mkdirat(cur, comp, 0700) < 0) {
                                if (errno != EEXIST)
                                        return unpack_error(err, errno, "entry `%s`: create directory `%s`",
                                                            entry, prefix);
                        } else if (fchmodat(cur, comp, 0755, 0) < 0)
                                return unpack_error(err, errno, "entry `%s`: chmod `%s`", entry, prefix);
                        fd = resolve_in_root(u->root_fd, prefix, O_PATH | O_DIRECTORY);
                }
                if (fd < 0)
                        return unpack_error(err, -fd, "entry `%s`: open parent `%s`", entry, prefix);
                safe_close(cur);
                cur = fd;
                *s = c;
                if (c == 0)
                        break;
        }
        return TAKE_FD(cur);
}

/* Removes whatever is at dfd/name (a non-directory or an empty directory),
 * so a new entry can take its place, as tar does. */
static int
make_room(int dfd, const char *name)
{
        struct stat st;

        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (unlinkat(dfd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0)
                return -errno;
        return 0;
}

static int
entry_owner(struct archive_entry *e, uid_t *uid, gid_t *gid)
{
        int64_t u = archive_entry_uid(e), g = archive_entry_gid(e);

        if (u < 0 || u >= UINT32_MAX || g < 0 || g >= UINT32_MAX)
                return -ERANGE;
        *uid = (uid_t) u;
        *gid = (gid_t) g;
        return 0;
}

static void
entry_times(struct archive_entry *e, struct timespec ts[2])
{
        ts[1].tv_sec = archive_entry_mtime(e);
        ts[1].tv_nsec = archive_entry_mtime_nsec(e);
        if (!archive_entry_mtime_is_set(e))
                ts[1].tv_nsec = UTIME_OMIT;
        if (archive_entry_atime_is_set(e)) {
                ts[0].tv_sec = archive_entry_atime(e);
                ts[0].tv_nsec = archive_entry_atime_nsec(e);
        } else
                ts[0] = ts[1];
}

/* chown, then chmod (chown clears setuid/setgid), then xattrs (chown also
 * clears security.capability), on an fd of a regular file or directory. */
static int
apply_fd_meta(struct unpack *u, int fd, struct archive_entry *e, const char *path,
              struct ctr_error **err)
{
        const char *xname;
        const void *xvalue;
        size_t xsize;
        uid_t uid;
        gid_t gid;

        if (entry_owner(e, &uid, &gid) < 0)
                return ctr_error_msg(err, ERANGE, "entry `%s`: invalid owner", path);
        if (fchown(fd, uid, gid) < 0 && (u->as_root || errno != EPERM))
                return unpack_error(err, errno, "entry `%s`: chown to %u:%u", path, uid, gid);
        if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
                return unpack_error(err, errno, "entry `%s`: chmod", path);

        archive_entry_xattr_reset(e);
        while (archive_entry_xattr_next(e, &xname, &xvalue, &xsize) == ARCHIVE_OK) {
                /* overlayfs keeps its own state in these; an image must not
                 * forge opaque dirs or redirects in a future lower layer. */
                if (strncmp(xname, "trusted.overlay.", 16) == 0 ||
                    strncmp(xname, "user.overlay.", 13) == 0) {
                        log_debug("entry `%s`: skipping xattr `%s`", path, xname);
                        continue;
                }
                if (fsetxattr(fd, xname, xvalue, xsize, 0) < 0) {
                        if (errno == ENOTSUP || (!u->as_root && errno == EPERM)) {
                                log_debug("entry `%s`: xattr `%s` not supported here", path, xname);
                                continue;
                        }
                        return unpack_error(err, errno, "entry `%s`: set xattr `%s`", path, xname);
                }
        }
        return 0;
}

static int
pwrite_all(int fd, const void *data, size_t len, off_t off)
{
        const char *p = data;

        while (len > 0) {
                ssize_t n = pwrite(fd, p, len, off);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                off += n;
                len -= (size_t) n;
        }
        return 0;
}

static int
unpack_file(struct unpack *u, struct archive *a, struct archive_entry *e, int pfd,
            const char *name, const char *path, struct ctr_error **err)
{
        _cleanup_close_ int fd = -1;
        struct timespec ts[2];
        int r;

        r = make_room(pfd, name);
        if (r < 0)
                return unpack_error(err, -r, "entry `%s`: replace existing entry", path);
        fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return unpack_error(err, errno, "entry `%s`: create file", path);
        for (;;) {
                const void *buf;
                size_t len;
                la_int64_t off;

                r = archive_read_data_block(a, &buf, &len, &off);
                if (r == ARCHIVE_EOF)
                        break;
                if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
                        return ctr_error_msg(err, EIO, "entry `%s`: read data: %s", path,
                                             archive_error_string(a) ?: "unknown error");
                if (off < 0)
                        return ctr_error_msg(err, EIO, "entry `%s`: invalid data offset", path);
                r = pwrite_all(fd, buf, len, off);
                if (r < 0)
                        return unpack_error(err, -r, "entry `%s`: write", path);
        }
        if (archive_entry_size_is_set(e) && archive_entry_size(e) >= 0 &&
            ftruncate(fd, archive_entry_size(e)) < 0)
                return unpack_error(err, errno, "entry `%s`: set size", path);
        if (archive_entry_size(e) > 0)
                u->size += (uint64_t) archive_entry_size(e);
        r = apply_fd_meta(u, fd, e, path, err);
        if (r < 0)
                return r;
        entry_times(e, ts);
        if (futimens(fd, ts) < 0)
                return unpack_error(err, errno, "entry `%s`: set times", path);
        return 0;
}

static int
remember_dir_time(struct unpack *u, const char *path, struct archive_entry *e)
{
        if (u->n_dirs == u->cap_dirs) {
                size_t ncap = u->cap_dirs ? u->cap_dirs * 2 : 64;
                struct dir_time *n = reallocarray(u->dirs, ncap, sizeof(*n));
                if (!n)
                        return -ENOMEM;
                u->dirs = n;
                u->cap_dirs = ncap;
        }
        u->dirs[u->n_dirs].path = strdup(path);
        if (!u->dirs[u->n_dirs].path)
                return -ENOMEM;
        entry_times(e, u->dirs[u->n_dirs].ts);
        u->n_dirs++;
        return 0;
}

static int
unpack_dir(struct unpack *u, struct archive_entry *e, int pfd, const char *name,
           const char *path, struct ctr_error **err)
{
        _cleanup_close_ int fd = -1;
        int r;

        if (*path) {
                if (mkdirat(pfd, name, 0700) < 0) {
                        struct stat st;
                        if (errno != EEXIST)
                                return unpack_error(err, errno, "entry `%s`: create directory", path);
                        if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                                return unpack_error(err, errno, "entry `%s`: stat", path);
                        /* A symlink or file in the way is replaced, never followed. */
                        if (!S_ISDIR(st.st_mode)) {
                                r = make_room(pfd, name);
                                if (r < 0)
                                        return unpack_error(err, -r, "entry `%s`: replace existing entry", path);
                                if (mkdirat(pfd, name, 0700) < 0)
                                        return unpack_error(err, errno, "entry `%s`: create directory", path);
                        }
                }
                fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return unpack_error(err, errno, "entry `%s`: open directory", path);
        } else {
                fd = resolve_in_root(u->root_fd, "", O_RDONLY | O_DIRECTORY);
                if (fd < 0)
                        return unpack_error(err, -fd, "entry `.`: open directory");
        }
        r = apply_fd_meta(u, fd, e, *path ? path : ".", err);
        if (r < 0)
                return r;
        if (remember_dir_time(u, path, e) < 0)
                return unpack_error(err, ENOMEM, "entry `%s`", path);
        return 0;
}

static int
unpack_symlink(struct unpack *u, struct archive_entry *e, int pfd, const char *name,
               const char *path, struct ctr_error **err)
{
        const char *target = archive_entry_symlink(e);
        struct timespec ts[2];
        uid_t uid;
        gid_t gid;
        int r;

        /* Stored verbatim: it is only ever resolved inside the root. */
        if (!target || !*target || strlen(target) >= PATH_MAX)
                return ctr_error_msg(err, EINVAL, "entry `%s`: invalid symlink target", path);
        r = make_room(pfd, name);
        if (r < 0)
                return unpack_error(err, -r, "entry `%s`: replace existing entry", path);
        if (symlinkat(target, pfd, name) < 0)
                return unpack_error(err, errno, "entry `%s`: create symlink", path);
        if (entry_owner(e, &uid, &gid) < 0)
                return ctr_error_msg(err, ERANGE, "entry `%s`: invalid owner", path);
        if (fchownat(pfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && (u->as_root || errno != EPERM))
                return unpack_error(err, errno, "entry `%s`: chown", path);
        entry_times(e, ts);
        if (utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return unpack_error(err, errno, "entry `%s`: set times", path);
        return 0;
}

/* Device nodes and fifos. Device nodes are allowed because the daemon runs
 * as root and images (e.g. old rootfs tarballs) carry /dev entries; the
 * runtime mounts its own /dev over them and the nodes are inert unless a
 * container is given the device cgroup permission. */
static int
unpack_node(struct unpack *u, struct archive_entry *e, int pfd, const char *name,
            const char *path, struct ctr_error **err)
{
        mode_t type = archive_entry_filetype(e);
        dev_t dev = type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
        struct timespec ts[2];
        uid_t uid;
        gid_t gid;
        int r;

        r = make_room(pfd, name);
        if (r < 0)
                return unpack_error(err, -r, "entry `%s`: replace existing entry", path);
        if (mknodat(pfd, name, type | 0600, dev) < 0)
                return unpack_error(err, errno, "entry `%s`: create %s", path,
                                    type == AE_IFIFO ? "fifo" : "device node");
        if (entry_owner(e, &uid, &gid) < 0)
                return ctr_error_msg(err, ERANGE, "entry `%s`: invalid owner", path);
        if (fchownat(pfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && (u->as_root || errno != EPERM))
                return unpack_error(err, errno, "entry `%s`: chown", path);
        /* Follows a symlink in theory, but we just created a node here and
         * nothing else writes into the tree. */
        if (fchmodat(pfd, name, archive_entry_perm(e) & 07777, 0) < 0)
                return unpack_error(err, errno, "entry `%s`: chmod", path);
        entry_times(e, ts);
        if (utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return unpack_error(err, errno, "entry `%s`: set times", path);
        return 0;
}

static int
unpack_hardlink(struct unpack *u, struct archive_entry *e, int pfd, const char *name,
                const char *path, struct ctr_error **err)
{
        _cleanup_free_ char *target = NULL;
        _cleanup_close_ int tfd = -1;
        const char *reason;
        char proc[64];
        struct stat st;
        int r;

        r = archive_path_normalize(archive_entry_hardlink(e), &target, &reason);
        if (r < 0 || !*target)
                return ctr_error_msg(err, EINVAL, "entry `%s`: hardlink target `%s`: %s", path,
                                     archive_entry_hardlink(e) ?: "", r < 0 ? reason : "is the root");
        tfd = resolve_in_root(u->root_fd, target, O_PATH | O_NOFOLLOW);
        if (tfd < 0)
                return unpack_error(err, -tfd, "entry `%s`: hardlink target `%s`", path, target);
        if (fstat(tfd, &st) < 0)
                return unpack_error(err, errno, "entry `%s`: stat hardlink target `%s`", path, target);
        if (!S_ISREG(st.st_mode))
                return ctr_error_msg(err, EINVAL, "entry `%s`: hardlink target `%s` is not a regular file",
                                     path, target);
        r = make_room(pfd, name);
        if (r < 0)
                return unpack_error(err, -r, "entry `%s`: replace existing entry", path);
        if (linkat(tfd, "", pfd, name, AT_EMPTY_PATH) == 0)
                return 0;
        if (errno != ENOENT && errno != EPERM)
                return unpack_error(err, errno, "entry `%s`: link to `%s`", path, target);
        /* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; without it go through
         * our own fd's /proc link, which names the inode already resolved
         * inside the root. */
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", tfd);
        if (linkat(AT_FDCWD, proc, pfd, name, AT_SYMLINK_FOLLOW) < 0)
                return unpack_error(err, errno, "entry `%s`: link to `%s`", path, target);
        return 0;
}

static int
unpack_entry(struct unpack *u, struct archive *a, struct archive_entry *e, struct ctr_error **err)
{
        const char *raw = archive_entry_pathname(e), *reason, *name;
        _cleanup_free_ char *path = NULL, *parent = NULL;
        _cleanup_close_ int pfd = -1;
        mode_t type = archive_entry_filetype(e);
        char *slash;
        int r;

        r = archive_path_normalize(raw, &path, &reason);
        if (r < 0) /* raw may be PATH_MAX long: keep the message readable */
                return ctr_error_msg(err, -r, "entry `%.200s%s`: %s", raw ?: "",
                                     raw && strlen(raw) > 200 ? "..." : "", reason);
        if (!*path) {
                if (type != AE_IFDIR || archive_entry_hardlink(e))
                        return ctr_error_msg(err, EINVAL, "entry `%s`: empty name", raw);
                return unpack_dir(u, e, -1, "", "", err);
        }
        slash = strrchr(path, '/');
        parent = slash ? strndup(path, (size_t) (slash - path)) : strdup("");
        if (!parent)
                return unpack_error(err, ENOMEM, "entry `%s`", path);
        name = slash ? slash + 1 : path;
        pfd = open_parent(u, parent, path, err);
        if (pfd < 0)
                return pfd;

        if (archive_entry_hardlink(e))
                return unpack_hardlink(u, e, pfd, name, path, err);
        switch (type) {
        case AE_IFREG:
                return unpack_file(u, a, e, pfd, name, path, err);
        case AE_IFDIR:
                return unpack_dir(u, e, pfd, name, path, err);
        case AE_IFLNK:
                return unpack_symlink(u, e, pfd, name, path, err);
        case AE_IFCHR:
        case AE_IFBLK:
        case AE_IFIFO:
                return unpack_node(u, e, pfd, name, path, err);
        case AE_IFSOCK:
                log_debug("entry `%s`: skipping socket", path);
                return 0;
        default:
                return ctr_error_msg(err, EINVAL, "entry `%s`: unsupported file type 0%o", path,
                                     (unsigned) type);
        }
}

/* Directory times last, deepest first: creating entries changed them. */
static void
apply_dir_times(struct unpack *u)
{
        for (size_t i = u->n_dirs; i > 0; i--) {
                _cleanup_close_ int fd =
                        resolve_in_root(u->root_fd, u->dirs[i - 1].path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
                if (fd < 0 || futimens(fd, u->dirs[i - 1].ts) < 0)
                        log_debug("directory `%s`: cannot set times", u->dirs[i - 1].path);
        }
}

int
image_unpack_tarball(const char *archive_path, const char *dest_dir, image_progress_fn progress,
                     void *userdata, char ret_digest[static 7 + ID_HEX_LEN + 1], uint64_t *ret_size,
                     struct ctr_error **err)
{
        _cleanup_(unpack_freep) struct unpack *u = NULL;
        _cleanup_(archive_freep) struct archive *a = NULL;
        struct archive_entry *e;
        uint8_t digest[SHA256_DIGEST_SIZE];
        char hex[SHA256_HEX_SIZE];
        size_t n_entries = 0;
        struct stat st;
        int r;

        u = calloc(1, sizeof(*u));
        if (!u)
                return unpack_error(err, ENOMEM, "unpack `%s`", archive_path);
        u->archive_fd = u->root_fd = -1;
        u->archive_path = archive_path;
        u->progress = progress;
        u->userdata = userdata;
        u->as_root = geteuid() == 0;
        sha256_init(&u->sha);

        u->archive_fd = open(archive_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (u->archive_fd < 0)
                return unpack_error(err, errno, "open `%s`", archive_path);
        if (fstat(u->archive_fd, &st) < 0)
                return unpack_error(err, errno, "stat `%s`", archive_path);
        if (S_ISDIR(st.st_mode))
                return ctr_error_msg(err, EISDIR, "`%s` is not a tar archive: it is a directory", archive_path);
        u->total = S_ISREG(st.st_mode) ? (uint64_t) st.st_size : 0;
        u->root_fd = open(dest_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (u->root_fd < 0)
                return unpack_error(err, errno, "open `%s`", dest_dir);

        a = archive_read_new();
        if (!a)
                return unpack_error(err, ENOMEM, "unpack `%s`", archive_path);
        /* tar (ustar, pax, gnutar, v7) only, under any compression filter. */
        if (archive_read_support_filter_all(a) < ARCHIVE_WARN ||
            archive_read_support_format_tar(a) != ARCHIVE_OK)
                return ctr_error_msg(err, EIO, "libarchive: %s", archive_error_string(a) ?: "setup failed");
        if (archive_read_open(a, u, NULL, read_cb, NULL) != ARCHIVE_OK)
                return ctr_error_msg(err, EINVAL, "`%s` is not a tar archive: %s", archive_path,
                                     archive_error_string(a) ?: "unknown error");
        for (;;) {
                r = archive_read_next_header(a, &e);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN) {
                        if (n_entries == 0)
                                return ctr_error_msg(err, EINVAL, "`%s` is not a tar archive: %s", archive_path,
                                                     archive_error_string(a) ?: "unknown error");
                        return ctr_error_msg(err, EIO, "`%s`: read entry %zu: %s", archive_path, n_entries + 1,
                                             archive_error_string(a) ?: "unknown error");
                }
                n_entries++;
                r = unpack_entry(u, a, e, err);
                if (r < 0)
                        return ctr_error_prefix(err, -r, "`%s`", archive_path);
        }
        if (n_entries == 0)
                return ctr_error_msg(err, EINVAL, "`%s` is not a tar archive: no entries", archive_path);
        r = drain(u, err);
        if (r < 0)
                return r;
        apply_dir_times(u);
        /* The store commits the import right after this; make the tree
         * durable first, here in the worker. */
        if (syncfs(u->root_fd) < 0)
                return unpack_error(err, errno, "sync `%s`", dest_dir);

        sha256_final(&u->sha, digest);
        snprintf(ret_digest, 7 + ID_HEX_LEN + 1, "sha256:%s", sha256_to_hex(digest, hex));
        if (ret_size)
                *ret_size = u->size;
        return 0;
}
