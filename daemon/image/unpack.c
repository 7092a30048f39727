/* image_unpack_layer(): parses the tar stream that decompress.c's reader
 * thread hands over (libarchive, tar format only, no filter) and writes
 * each entry itself, NOT with archive_write_disk. Every parent directory is
 * resolved with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
 * RESOLVE_NO_XDEV) and the last component is created with *at() calls
 * relative to it, so symlinks, hardlinks and ".." in a hostile archive
 * resolve inside the root or fail (openat2(2)). OCI whiteouts become
 * overlayfs ones. Runs in worker threads: no globals, no chdir, no umask
 * (modes are set explicitly), no strerror. */
#include "daemon/image/image.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/fs-util.h"
#include "common/log.h"
#include "daemon/image/archive-path.h"
#include "daemon/image/decompress.h"
#include "daemon/image/sha256.h"

/* OCI image spec, layer.md "Whiteouts". */
#define WH_PREFIX ".wh."
#define WH_PREFIX_LEN 4
#define WH_OPAQUE ".wh..wh..opq"
#define OVERLAY_OPAQUE_XATTR "trusted.overlay.opaque"

/* Bytes of file data written between two background syncfs() calls. */
#define FLUSH_STEP (32 * 1024 * 1024)

/* The background flusher: a thread that calls syncfs() on the layer's file
 * system each time the unpack has written another FLUSH_STEP bytes, so the
 * write-out (and, below a loop device or a VM, the host's own write-out,
 * which starts only at a flush) runs while the unpack goes on instead of
 * all of it in the final syncfs(). It uses its own fd: syncfs() reports a
 * write-back error once per open file (errseq, syncfs(2)), and the final
 * syncfs() on root_fd must still see every error. Its own errors are
 * ignored for that reason: the final syncfs() is the one that counts. */
struct flusher {
        int fd;
        pthread_t thread;
        bool started;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        uint64_t requested, done; /* syncfs() rounds asked for and finished */
        bool quit;
};

struct dir_time {
        char *path;
        struct timespec ts[2];
};

struct unpack {
        const char *name; /* how errors name the blob */
        int root_fd;
        bool as_root; /* false: ownership and privileged xattrs are skipped (tests) */
        struct layer_reader *reader;
        bool reader_failed; /* the tar parser saw the reader fail */
        uint64_t size;
        struct dir_time *dirs;
        size_t n_dirs, cap_dirs;
        /* The parent directory of the previous entry: archives list a
         * directory's entries together, so most entries reuse it instead
         * of another openat2() walk. Marked stale whenever an entry
         * removes anything, the only thing that can change what an
         * already resolved path resolves to. */
        char *parent_path;
        int parent_fd;
        bool parent_stale;
        struct flusher flusher;
        uint64_t unflushed; /* bytes written since the last flush request */
};

static void *
flusher_thread(void *userdata)
{
        struct flusher *f = userdata;

        pthread_mutex_lock(&f->lock);
        for (;;) {
                uint64_t want;

                while (!f->quit && f->done == f->requested)
                        pthread_cond_wait(&f->cond, &f->lock);
                if (f->quit)
                        break;
                /* Requests made while a syncfs() runs fold into the next one. */
                want = f->requested;
                pthread_mutex_unlock(&f->lock);
                if (syncfs(f->fd) < 0)
                        log_debug("background syncfs: %d", errno);
                pthread_mutex_lock(&f->lock);
                f->done = want;
        }
        pthread_mutex_unlock(&f->lock);
        return NULL;
}

/* Starts the flusher on dir. Without it the unpack is only slower, so a
 * failure is not one. */
static void
flusher_start(struct flusher *f, const char *dir)
{
        f->fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (f->fd < 0)
                return;
        pthread_mutex_init(&f->lock, NULL);
        pthread_cond_init(&f->cond, NULL);
        if (pthread_create(&f->thread, NULL, flusher_thread, f) != 0) {
                pthread_cond_destroy(&f->cond);
                pthread_mutex_destroy(&f->lock);
                f->fd = safe_close(f->fd);
                return;
        }
        f->started = true;
}

static void
flusher_kick(struct flusher *f)
{
        if (!f->started)
                return;
        pthread_mutex_lock(&f->lock);
        f->requested++;
        pthread_cond_signal(&f->cond);
        pthread_mutex_unlock(&f->lock);
}

/* Joins the thread (after the syncfs() it may be running); NULL-safe on a
 * flusher that never started. */
static void
flusher_stop(struct flusher *f)
{
        if (f->started) {
                pthread_mutex_lock(&f->lock);
                f->quit = true;
                pthread_cond_signal(&f->cond);
                pthread_mutex_unlock(&f->lock);
                pthread_join(f->thread, NULL);
                pthread_cond_destroy(&f->cond);
                pthread_mutex_destroy(&f->lock);
                f->started = false;
        }
        f->fd = safe_close(f->fd);
}

static void
unpack_free(struct unpack *u)
{
        if (!u)
                return;
        for (size_t i = 0; i < u->n_dirs; i++)
                free(u->dirs[i].path);
        free(u->dirs);
        free(u->parent_path);
        flusher_stop(&u->flusher);
        safe_close(u->parent_fd);
        safe_close(u->root_fd);
        layer_reader_free(u->reader);
        free(u);
}
DEFINE_FREEP(struct unpack, unpack_free)

static void
archive_freep(struct archive **a)
{
        if (*a)
                archive_read_free(*a);
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

/* The tar parser's input: the reader thread's decompressed stream. */
static la_ssize_t
read_cb(struct archive *a, void *userdata, const void **ret_buf)
{
        struct unpack *u = userdata;
        ssize_t n = layer_reader_read(u->reader, ret_buf);

        if (n < 0) {
                u->reader_failed = true;
                archive_set_error(a, (int) -n, "the layer reader failed");
                return -1;
        }
        return n;
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
                return ctr_error_sys(err, -fd, "entry `%s`: open parent `%s`", entry, parent);

        /* Slow path: the archive did not list every directory. */
        prefix = strdup(parent);
        if (!prefix)
                return ctr_error_sys(err, ENOMEM, "entry `%s`", entry);
        cur = resolve_in_root(u->root_fd, "", O_PATH | O_DIRECTORY);
        if (cur < 0)
                return ctr_error_sys(err, -cur, "open `%s`", "/");
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
                                        return ctr_error_sys(err, errno, "entry `%s`: create directory `%s`",
                                                            entry, prefix);
                        } else if (fchmodat(cur, comp, 0755, 0) < 0)
                                return ctr_error_sys(err, errno, "entry `%s`: chmod `%s`", entry, prefix);
                        fd = resolve_in_root(u->root_fd, prefix, O_PATH | O_DIRECTORY);
                }
                if (fd < 0)
                        return ctr_error_sys(err, -fd, "entry `%s`: open parent `%s`", entry, prefix);
                safe_close(cur);
                cur = fd;
                *s = c;
                if (c == 0)
                        break;
        }
        return TAKE_FD(cur);
}

/* The parent directory fd for an entry, borrowed: valid until the next
 * call. */
static int
get_parent(struct unpack *u, const char *parent, const char *entry, struct ctr_error **err)
{
        int fd;

        if (u->parent_fd >= 0 && !u->parent_stale && strcmp(u->parent_path, parent) == 0)
                return u->parent_fd;
        u->parent_fd = safe_close(u->parent_fd);
        free(u->parent_path);
        u->parent_path = strdup(parent);
        if (!u->parent_path)
                return ctr_error_sys(err, ENOMEM, "entry `%s`", entry);
        fd = open_parent(u, parent, entry, err);
        if (fd < 0)
                return fd;
        u->parent_fd = fd;
        u->parent_stale = false;
        return fd;
}

/* Removes whatever is at dfd/name (a non-directory or an empty directory),
 * so a new entry can take its place, as tar does. */
static int
make_room(struct unpack *u, int dfd, const char *name)
{
        struct stat st;

        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        u->parent_stale = true;
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
 * clears security.capability), on an fd of a regular file or directory.
 * fresh: a file this unpack just created, without special mode bits or
 * xattrs. A chown to the owner it already has, or a chmod to the mode it
 * has, would then change nothing but its ctime ("now" anyway), so they are
 * skipped: one fstat() costs less than either. */
static int
apply_fd_meta(struct unpack *u, int fd, bool fresh, struct archive_entry *e, const char *path,
              struct ctr_error **err)
{
        mode_t mode = archive_entry_perm(e) & 07777;
        const char *xname;
        const void *xvalue;
        size_t xsize;
        struct stat st;
        uid_t uid;
        gid_t gid;

        if (entry_owner(e, &uid, &gid) < 0)
                return ctr_error_msg(err, ERANGE, "entry `%s`: invalid owner", path);
        if (fresh && fstat(fd, &st) < 0)
                return ctr_error_sys(err, errno, "entry `%s`: stat", path);
        if (!fresh || st.st_uid != uid || st.st_gid != gid) {
                if (fchown(fd, uid, gid) < 0 && (u->as_root || errno != EPERM))
                        return ctr_error_sys(err, errno, "entry `%s`: chown to %u:%u", path, uid, gid);
                fresh = false; /* the mode bits may have changed too */
        }
        if ((!fresh || (st.st_mode & 07777) != mode) && fchmod(fd, mode) < 0)
                return ctr_error_sys(err, errno, "entry `%s`: chmod", path);

        if (archive_entry_xattr_reset(e) == 0)
                return 0;
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
                        return ctr_error_sys(err, errno, "entry `%s`: set xattr `%s`", path, xname);
                }
        }
        return 0;
}

static int
unpack_file(struct unpack *u, struct archive *a, struct archive_entry *e, int pfd,
            const char *name, const char *path, struct ctr_error **err)
{
        _cleanup_close_ int fd = -1;
        struct timespec ts[2];
        int64_t size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0, end = 0;
        /* Created with its final permission bits (the umask may take some:
         * apply_fd_meta() checks), none of the special ones: those only
         * after the chown. The layer's staging dir is 0700, so nobody sees
         * the file before it is complete. */
        mode_t mode = archive_entry_perm(e) & 0777;
        int r;

        /* O_EXCL | O_NOFOLLOW: never through a symlink planted there; on
         * EEXIST the old entry is replaced, as tar does (one syscall less
         * than looking first, in the common case of an empty target). */
        fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0 && errno == EEXIST) {
                r = make_room(u, pfd, name);
                if (r < 0)
                        return ctr_error_sys(err, -r, "entry `%s`: replace existing entry", path);
                fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        }
        if (fd < 0)
                return ctr_error_sys(err, errno, "entry `%s`: create file", path);
        for (;;) {
                const void *buf;
                size_t len;
                la_int64_t off;

                r = archive_read_data_block(a, &buf, &len, &off);
                if (r == ARCHIVE_EOF)
                        break;
                if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
                        if (u->reader_failed)
                                return -EIO; /* the reader's error says why */
                        return ctr_error_msg(err, EIO, "entry `%s`: read data: %s", path,
                                             archive_error_string(a) ?: "unknown error");
                }
                if (off < 0)
                        return ctr_error_msg(err, EIO, "entry `%s`: invalid data offset", path);
                r = pwrite_all(fd, buf, len, off);
                if (r < 0)
                        return ctr_error_sys(err, -r, "entry `%s`: write", path);
                if (off + (int64_t) len > end)
                        end = off + (int64_t) len;
        }
        /* Only a sparse file ending in a hole is shorter than its size. */
        if (size > end && ftruncate(fd, size) < 0)
                return ctr_error_sys(err, errno, "entry `%s`: set size", path);
        if (size > 0)
                u->size += (uint64_t) size;
        r = apply_fd_meta(u, fd, true, e, path, err);
        if (r < 0)
                return r;
        entry_times(e, ts);
        if (futimens(fd, ts) < 0)
                return ctr_error_sys(err, errno, "entry `%s`: set times", path);
        /* Write-out is the flusher's, in its thread: a sync_file_range()
         * per file here cost this thread more than it saved (it allocates
         * blocks and submits the I/O), and did not reach the host's cache
         * below a loop device anyway (see struct flusher). */
        u->unflushed += (uint64_t) (size > 0 ? size : 0);
        if (u->unflushed >= FLUSH_STEP) {
                u->unflushed = 0;
                flusher_kick(&u->flusher);
        }
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
                                return ctr_error_sys(err, errno, "entry `%s`: create directory", path);
                        if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                                return ctr_error_sys(err, errno, "entry `%s`: stat", path);
                        /* A symlink or file in the way is replaced, never followed. */
                        if (!S_ISDIR(st.st_mode)) {
                                r = make_room(u, pfd, name);
                                if (r < 0)
                                        return ctr_error_sys(err, -r, "entry `%s`: replace existing entry", path);
                                if (mkdirat(pfd, name, 0700) < 0)
                                        return ctr_error_sys(err, errno, "entry `%s`: create directory", path);
                        }
                }
                fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return ctr_error_sys(err, errno, "entry `%s`: open directory", path);
        } else {
                fd = resolve_in_root(u->root_fd, "", O_RDONLY | O_DIRECTORY);
                if (fd < 0)
                        return ctr_error_sys(err, -fd, "entry `.`: open directory");
        }
        r = apply_fd_meta(u, fd, false, e, *path ? path : ".", err);
        if (r < 0)
                return r;
        if (remember_dir_time(u, path, e) < 0)
                return ctr_error_sys(err, ENOMEM, "entry `%s`", path);
        return 0;
}

/* chown (as root) and times of a node that has no fd of its own. */
static int
apply_node_meta(struct unpack *u, struct archive_entry *e, int pfd, const char *name,
                const char *path, struct ctr_error **err)
{
        struct timespec ts[2];
        uid_t uid;
        gid_t gid;

        if (entry_owner(e, &uid, &gid) < 0)
                return ctr_error_msg(err, ERANGE, "entry `%s`: invalid owner", path);
        if (fchownat(pfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && (u->as_root || errno != EPERM))
                return ctr_error_sys(err, errno, "entry `%s`: chown", path);
        entry_times(e, ts);
        if (utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return ctr_error_sys(err, errno, "entry `%s`: set times", path);
        return 0;
}

static int
unpack_symlink(struct unpack *u, struct archive_entry *e, int pfd, const char *name,
               const char *path, struct ctr_error **err)
{
        const char *target = archive_entry_symlink(e);
        int r;

        /* Stored verbatim: it is only ever resolved inside the root. */
        if (!target || !*target || strlen(target) >= PATH_MAX)
                return ctr_error_msg(err, EINVAL, "entry `%s`: invalid symlink target", path);
        if (symlinkat(target, pfd, name) < 0) {
                if (errno != EEXIST)
                        return ctr_error_sys(err, errno, "entry `%s`: create symlink", path);
                r = make_room(u, pfd, name);
                if (r < 0)
                        return ctr_error_sys(err, -r, "entry `%s`: replace existing entry", path);
                if (symlinkat(target, pfd, name) < 0)
                        return ctr_error_sys(err, errno, "entry `%s`: create symlink", path);
        }
        return apply_node_meta(u, e, pfd, name, path, err);
}

/* mknodat(), replacing whatever is in the way. */
static int
make_node(struct unpack *u, int pfd, const char *name, mode_t mode, dev_t dev)
{
        int r;

        if (mknodat(pfd, name, mode, dev) == 0)
                return 0;
        if (errno != EEXIST)
                return -errno;
        r = make_room(u, pfd, name);
        if (r < 0)
                return r;
        return mknodat(pfd, name, mode, dev) < 0 ? -errno : 0;
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
        uid_t uid;
        gid_t gid;
        int r;

        r = make_node(u, pfd, name, type | 0600, dev);
        if (r < 0)
                return ctr_error_sys(err, -r, "entry `%s`: create %s", path,
                                    type == AE_IFIFO ? "fifo" : "device node");
        if (entry_owner(e, &uid, &gid) < 0)
                return ctr_error_msg(err, ERANGE, "entry `%s`: invalid owner", path);
        if (fchownat(pfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && (u->as_root || errno != EPERM))
                return ctr_error_sys(err, errno, "entry `%s`: chown", path);
        /* Follows a symlink in theory, but we just created a node here and
         * nothing else writes into the tree. */
        if (fchmodat(pfd, name, archive_entry_perm(e) & 07777, 0) < 0)
                return ctr_error_sys(err, errno, "entry `%s`: chmod", path);
        {
                struct timespec ts[2];
                entry_times(e, ts);
                if (utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
                        return ctr_error_sys(err, errno, "entry `%s`: set times", path);
        }
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
        /* Resolved like every other path: inside the layer, or not at all. */
        tfd = resolve_in_root(u->root_fd, target, O_PATH | O_NOFOLLOW);
        if (tfd < 0)
                return ctr_error_sys(err, -tfd, "entry `%s`: hardlink target `%s`", path, target);
        if (fstat(tfd, &st) < 0)
                return ctr_error_sys(err, errno, "entry `%s`: stat hardlink target `%s`", path, target);
        if (!S_ISREG(st.st_mode))
                return ctr_error_msg(err, EINVAL, "entry `%s`: hardlink target `%s` is not a regular file",
                                     path, target);
        r = make_room(u, pfd, name);
        if (r < 0)
                return ctr_error_sys(err, -r, "entry `%s`: replace existing entry", path);
        if (linkat(tfd, "", pfd, name, AT_EMPTY_PATH) == 0)
                return 0;
        if (errno != ENOENT && errno != EPERM)
                return ctr_error_sys(err, errno, "entry `%s`: link to `%s`", path, target);
        /* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; without it go through
         * our own fd's /proc link, which names the inode already resolved
         * inside the root. */
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", tfd);
        if (linkat(AT_FDCWD, proc, pfd, name, AT_SYMLINK_FOLLOW) < 0)
                return ctr_error_sys(err, errno, "entry `%s`: link to `%s`", path, target);
        return 0;
}

/* ".wh.NAME": NAME is deleted in this layer; overlayfs spells that as a
 * 0:0 character device (overlayfs(5) "whiteouts"), owned like the entry. */
static int
unpack_whiteout(struct unpack *u, struct archive_entry *e, int pfd, const char *target,
                const char *path, struct ctr_error **err)
{
        uid_t uid;
        gid_t gid;
        int r;

        r = make_node(u, pfd, target, S_IFCHR | 0000, makedev(0, 0));
        if (r < 0)
                return ctr_error_sys(err, -r, "entry `%s`: create whiteout for `%s`", path, target);
        if (entry_owner(e, &uid, &gid) < 0)
                return ctr_error_msg(err, ERANGE, "entry `%s`: invalid owner", path);
        if (fchownat(pfd, target, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && (u->as_root || errno != EPERM))
                return ctr_error_sys(err, errno, "entry `%s`: chown", path);
        return 0;
}

/* ".wh..wh..opq": the directory hides everything below it in lower layers. */
static int
unpack_opaque(int pfd, const char *path, struct ctr_error **err)
{
        _cleanup_close_ int fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return ctr_error_sys(err, errno, "entry `%s`: open directory", path);
        if (fsetxattr(fd, OVERLAY_OPAQUE_XATTR, "y", 1, 0) < 0)
                return ctr_error_sys(err, errno, "entry `%s`: set %s", path, OVERLAY_OPAQUE_XATTR);
        return 0;
}

/* True if parent exists in this layer and is not a directory. */
static bool
parent_is_not_dir(struct unpack *u, const char *parent)
{
        _cleanup_close_ int fd = resolve_in_root(u->root_fd, parent, O_PATH | O_NOFOLLOW);
        struct stat st;

        return fd >= 0 && fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* Whiteout markers may only be the last component: a ".wh.X" directory
 * with entries below it means nothing in OCI and would be a whiteout
 * naming a path. Returns 0 or -EINVAL with *err set. */
static int
check_whiteout_components(const char *path, struct ctr_error **err)
{
        for (const char *p = path;;) {
                size_t n = strcspn(p, "/");

                if (p[n] == 0)
                        return 0;
                if (n >= WH_PREFIX_LEN && strncmp(p, WH_PREFIX, WH_PREFIX_LEN) == 0)
                        return ctr_error_msg(err, EINVAL, "entry `%s`: whiteout `%.*s` used as a directory", path,
                                             (int) n, p);
                p += n + 1;
        }
}

static int
unpack_entry(struct unpack *u, struct archive *a, struct archive_entry *e, struct ctr_error **err)
{
        const char *raw = archive_entry_pathname(e), *reason, *name;
        _cleanup_free_ char *path = NULL;
        mode_t type = archive_entry_filetype(e);
        char *slash;
        int pfd, r;

        r = archive_path_normalize(raw, &path, &reason);
        if (r < 0) /* raw may be PATH_MAX long: keep the message readable */
                return ctr_error_msg(err, -r, "entry `%.200s%s`: %s", raw ?: "",
                                     raw && strlen(raw) > 200 ? "..." : "", reason);
        if (!*path) {
                if (type != AE_IFDIR || archive_entry_hardlink(e))
                        return ctr_error_msg(err, EINVAL, "entry `%s`: empty name", raw);
                return unpack_dir(u, e, -1, "", "", err);
        }
        r = check_whiteout_components(path, err);
        if (r < 0)
                return r;
        slash = strrchr(path, '/');
        name = slash ? slash + 1 : path;
        if (slash)
                *slash = 0; /* path is now the parent, until restored below */
        if (slash && strncmp(name, WH_PREFIX, WH_PREFIX_LEN) == 0 && strcmp(name, WH_OPAQUE) != 0 &&
            parent_is_not_dir(u, path)) {
                /* umoci writes "d" (now a file) then "d/.wh.x" when a directory
                 * became a file: the file already hides all of d below it. */
                *slash = '/';
                log_debug("entry `%s`: skipping whiteout below a non-directory", path);
                return 0;
        }
        pfd = get_parent(u, slash ? path : "", raw, err);
        if (slash)
                *slash = '/';
        if (pfd < 0)
                return pfd;

        if (strncmp(name, WH_PREFIX, WH_PREFIX_LEN) == 0) {
                const char *target = name + WH_PREFIX_LEN;

                if (strcmp(name, WH_OPAQUE) == 0)
                        return unpack_opaque(pfd, path, err);
                if (strncmp(target, WH_PREFIX, WH_PREFIX_LEN) == 0) {
                        /* Other ".wh..wh.*" names are AUFS metadata (".wh..wh.plnk"). */
                        log_debug("entry `%s`: skipping whiteout metadata", path);
                        return 0;
                }
                if (!*target || strcmp(target, ".") == 0 || strcmp(target, "..") == 0)
                        return ctr_error_msg(err, EINVAL, "entry `%s`: whiteout of `%s` is not allowed", path,
                                             target);
                return unpack_whiteout(u, e, pfd, target, path, err);
        }

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

/* On a failure of the tar side: stops the reader. If the tar parser
 * failed only because the reader did, the reader's error replaces ours:
 * it says why ("gzip: unexpected end of file"). */
static int
unpack_fail(struct unpack *u, int r, struct ctr_error **err)
{
        _cleanup_error_ struct ctr_error *rerr = NULL;
        int rr = layer_reader_end(u->reader, false, NULL, &rerr);

        if (rr < 0 && u->reader_failed) {
                if (err) {
                        ctr_error_free(*err);
                        *err = TAKE_PTR(rerr);
                }
                return rr;
        }
        return r;
}

static int
check_expect(struct unpack *u, const struct image_unpack_expect *expect,
             const struct image_unpack_result *got, struct ctr_error **err)
{
        if (!expect)
                return 0;
        if (expect->blob_digest && strcmp(expect->blob_digest, got->blob_digest) != 0)
                return ctr_error_msg(err, EBADMSG, "%s: digest mismatch: expected %s, got %s", u->name,
                                     expect->blob_digest, got->blob_digest);
        if (expect->blob_size && expect->blob_size != got->blob_size)
                return ctr_error_msg(err, EBADMSG, "%s: size mismatch: expected %llu bytes, got %llu",
                                     u->name, (unsigned long long) expect->blob_size,
                                     (unsigned long long) got->blob_size);
        if (expect->diff_id && strcmp(expect->diff_id, got->diff_id) != 0)
                return ctr_error_msg(err, EBADMSG, "%s: diff_id mismatch: expected %s, got %s", u->name,
                                     expect->diff_id, got->diff_id);
        return 0;
}

int
image_unpack_layer(const char *blob_path, const char *dest_dir,
                   const struct image_unpack_expect *expect, image_progress_fn progress,
                   void *userdata, struct image_unpack_result *ret, struct ctr_error **err)
{
        _cleanup_(unpack_freep) struct unpack *u = NULL;
        _cleanup_(archive_freep) struct archive *a = NULL;
        _cleanup_free_ char *name = NULL;
        struct image_unpack_result res = { 0 };
        struct layer_reader_result rr;
        struct archive_entry *e;
        char hex[SHA256_HEX_SIZE];
        size_t n_entries = 0;
        int r;

        if (expect && expect->blob_digest)
                r = asprintf(&name, "layer blob %s", expect->blob_digest);
        else
                r = asprintf(&name, "`%s`", blob_path);
        if (r < 0)
                return ctr_error_msg(err, ENOMEM, "unpack `%s`: out of memory", blob_path);
        u = calloc(1, sizeof(*u));
        if (!u)
                return ctr_error_msg(err, ENOMEM, "unpack `%s`: out of memory", blob_path);
        u->root_fd = u->parent_fd = u->flusher.fd = -1;
        u->name = name;
        u->as_root = geteuid() == 0;

        u->root_fd = open(dest_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (u->root_fd < 0)
                return ctr_error_sys(err, errno, "open `%s`", dest_dir);
        flusher_start(&u->flusher, dest_dir);
        r = layer_reader_start(blob_path, name, expect ? expect->compression : IMAGE_COMPRESSION_ANY,
                               progress, userdata, &u->reader, err);
        if (r < 0)
                return r;

        a = archive_read_new();
        if (!a)
                return unpack_fail(u, ctr_error_sys(err, ENOMEM, "unpack `%s`", blob_path), err);
        /* tar (ustar, pax, gnutar, v7) only; decompression is the reader's. */
        if (archive_read_support_format_tar(a) != ARCHIVE_OK)
                return unpack_fail(u, ctr_error_msg(err, EIO, "libarchive: %s",
                                                    archive_error_string(a) ?: "setup failed"), err);
        if (archive_read_open(a, u, NULL, read_cb, NULL) != ARCHIVE_OK)
                return unpack_fail(u, ctr_error_msg(err, EINVAL, "%s is not a tar archive: %s", name,
                                                    archive_error_string(a) ?: "unknown error"), err);
        for (;;) {
                r = archive_read_next_header(a, &e);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN) {
                        if (n_entries == 0)
                                r = ctr_error_msg(err, EINVAL, "%s is not a tar archive: %s", name,
                                                  archive_error_string(a) ?: "unknown error");
                        else
                                r = ctr_error_msg(err, EIO, "%s: read entry %zu: %s", name, n_entries + 1,
                                                  archive_error_string(a) ?: "unknown error");
                        return unpack_fail(u, r, err);
                }
                n_entries++;
                r = unpack_entry(u, a, e, err);
                if (r < 0) {
                        if (!u->reader_failed) /* else the reader's error replaces ours */
                                r = ctr_error_prefix(err, -r, "%s", name);
                        return unpack_fail(u, r, err);
                }
        }
        /* n_entries may be 0: a tar end marker alone (libarchive rejects
         * anything else at the first header) is an empty layer, as some
         * tools write them (gzip'd 1024 zero bytes, diff_id sha256:5f70bf18...).
         * The tar ended; the blob may not have: the digests cover all of it. */
        r = layer_reader_end(u->reader, true, &rr, err);
        if (r < 0)
                return r;

        snprintf(res.blob_digest, sizeof(res.blob_digest), "sha256:%s", sha256_to_hex(rr.blob_digest, hex));
        snprintf(res.diff_id, sizeof(res.diff_id), "sha256:%s", sha256_to_hex(rr.diff_id, hex));
        res.blob_size = rr.blob_size;
        res.size = u->size;
        res.compression = blob_format_compression(rr.format);
        r = check_expect(u, expect, &res, err);
        if (r < 0)
                return r;

        flusher_stop(&u->flusher);
        apply_dir_times(u);
        /* The store commits the layer right after this; make the tree
         * durable first, here in the worker. */
        if (syncfs(u->root_fd) < 0)
                return ctr_error_sys(err, errno, "sync `%s`", dest_dir);
        if (ret)
                *ret = res;
        return 0;
}
