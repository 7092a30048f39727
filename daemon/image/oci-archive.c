/* oci_archive_extract() (oci.h): tells an image archive (a tar of an OCI
 * layout or a `docker save` tree) from a rootfs tarball by its first entry
 * that is not a directory, and extracts an image archive's members in one
 * libarchive pass. Only names such archives have are written, as regular
 * files created O_EXCL below directories opened one component at a time
 * with O_NOFOLLOW (plus docker's <id>/layer.tar symlinks, checked and never
 * followed here): nothing lands outside dest_dir. Other names are skipped.
 * Nothing is hashed here: oci_source_read() verifies. Runs in worker
 * threads: no globals, no chdir, no umask. */
#include "daemon/image/oci.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs-util.h"
#include "common/log.h"
#include "daemon/image/archive-path.h"

#define READ_BUF_SIZE (128 * 1024)
#define PROGRESS_STEP (1024 * 1024)
/* oci_source_read() refuses bigger JSON files anyway; refusing them here
 * keeps a compressed archive from filling the disk with one. */
#define SMALL_MEMBER_MAX (4 * 1024 * 1024)

struct extract {
        const char *archive_path;
        int archive_fd;
        int root_fd;
        image_progress_fn progress;
        void *userdata;
        uint64_t done, total, last_progress;
        bool has_index, has_manifest;
        struct ctr_error **err;
        uint8_t buf[READ_BUF_SIZE];
};

enum member {
        MEMBER_NONE,         /* not a name image archives have */
        MEMBER_SMALL,        /* a JSON (or VERSION) file */
        MEMBER_BLOB,         /* a layer or blob of any size */
        MEMBER_LEGACY_LAYER, /* <id>/layer.tar: may be a symlink (see extract_symlink()) */
        MEMBER_SKIP,         /* an image archive's, never read: blobs of other algorithms */
};

static void
extract_free(struct extract *x)
{
        if (!x)
                return;
        safe_close(x->archive_fd);
        safe_close(x->root_fd);
        free(x);
}
DEFINE_FREEP(struct extract, extract_free)

static void
archive_freep(struct archive **a)
{
        if (*a)
                archive_read_free(*a);
}

static bool
is_hex64(const char *s, size_t len)
{
        if (len != ID_HEX_LEN)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

/* Names (normalised) that OCI archives, `docker save` (old: <id>/layer.tar,
 * <id>.json; Docker >= 25: blobs/sha256), skopeo/podman docker-archive
 * (<digest>.tar, <digest>.json, <id>/layer.tar symlinks) and crane
 * (<digest>.tar.gz, sha256:<digest>) write. */
static enum member
classify(const char *path)
{
        const char *slash = strchr(path, '/');
        size_t len = strlen(path);

        if (strcmp(path, "oci-layout") == 0 || strcmp(path, "index.json") == 0 ||
            strcmp(path, "manifest.json") == 0 || strcmp(path, "repositories") == 0)
                return MEMBER_SMALL;
        /* Anything else below blobs/ (other algorithms, stray files) is an
         * image archive's too, but never read. */
        if (strncmp(path, "blobs/", 6) == 0)
                return strncmp(path + 6, "sha256/", 7) == 0 && is_hex64(path + 13, strlen(path + 13)) ?
                               MEMBER_BLOB : MEMBER_SKIP;
        if (strncmp(path, "sha256:", 7) == 0 && is_hex64(path + 7, len - 7))
                return MEMBER_SMALL;
        if (!slash) {
                if (len == ID_HEX_LEN + 5 && is_hex64(path, ID_HEX_LEN) && strcmp(path + ID_HEX_LEN, ".json") == 0)
                        return MEMBER_SMALL;
                if (len == ID_HEX_LEN + 4 && is_hex64(path, ID_HEX_LEN) && strcmp(path + ID_HEX_LEN, ".tar") == 0)
                        return MEMBER_BLOB;
                if (len == ID_HEX_LEN + 7 && is_hex64(path, ID_HEX_LEN) && strcmp(path + ID_HEX_LEN, ".tar.gz") == 0)
                        return MEMBER_BLOB;
                return MEMBER_NONE;
        }
        if (!is_hex64(path, (size_t) (slash - path)))
                return MEMBER_NONE;
        if (strcmp(slash + 1, "layer.tar") == 0)
                return MEMBER_LEGACY_LAYER;
        if (strcmp(slash + 1, "json") == 0 || strcmp(slash + 1, "VERSION") == 0)
                return MEMBER_SMALL;
        return MEMBER_NONE;
}

/* "`archive`: entry `name`: <message>[: <strerror>]". errnum < 0: no strerror. */
static int _printf_(4, 5)
entry_error(struct extract *x, int errnum, const char *entry, const char *fmt, ...)
{
        _cleanup_free_ char *m = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (n < 0)
                return ctr_error_msg(x->err, ENOMEM, "`%s`: out of memory", x->archive_path);
        if (errnum < 0)
                return ctr_error_msg(x->err, -errnum, "`%s`: entry `%.200s`: %s", x->archive_path, entry, m);
        return ctr_error_sys(x->err, errnum, "`%s`: entry `%.200s`: %s", x->archive_path, entry, m);
}

static la_ssize_t
read_cb(struct archive *a, void *userdata, const void **ret_buf)
{
        struct extract *x = userdata;
        ssize_t n;

        do
                n = read(x->archive_fd, x->buf, sizeof(x->buf));
        while (n < 0 && errno == EINTR);
        if (n < 0) {
                char ebuf[128];
                int e = errno;
                archive_set_error(a, e, "read: %s", strerror_r(e, ebuf, sizeof(ebuf)));
                return -1;
        }
        x->done += (uint64_t) n;
        if (x->progress && x->done - x->last_progress >= PROGRESS_STEP) {
                x->last_progress = x->done;
                x->progress(x->done, x->total, x->userdata);
        }
        *ret_buf = x->buf;
        return n;
}

/* The directory that will hold path's last component, created (0700) where
 * missing, one component at a time: mkdirat() and O_NOFOLLOW opens never
 * follow a symlink, so every write stays below the root. Returns an O_PATH
 * fd; *ret_name points into path. */
static int
open_parent(struct extract *x, const char *path, const char **ret_name)
{
        _cleanup_close_ int cur = -1;
        const char *p = path, *slash;
        char comp[NAME_MAX + 1];

        cur = openat(x->root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cur < 0)
                return entry_error(x, errno, path, "open destination");
        while ((slash = strchr(p, '/'))) {
                size_t n = (size_t) (slash - p);
                int fd;

                if (n > NAME_MAX)
                        return entry_error(x, -ENAMETOOLONG, path, "name too long");
                memcpy(comp, p, n);
                comp[n] = 0;
                if (mkdirat(cur, comp, 0700) < 0 && errno != EEXIST)
                        return entry_error(x, errno, path, "create directory `%s`", comp);
                fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return entry_error(x, errno, path, "open directory `%s`", comp);
                safe_close(cur);
                cur = fd;
                p = slash + 1;
        }
        *ret_name = p;
        return TAKE_FD(cur);
}

static int
extract_file(struct extract *x, struct archive *a, struct archive_entry *e, const char *path,
             enum member kind)
{
        _cleanup_close_ int pfd = -1, fd = -1;
        const char *name;
        int64_t size = archive_entry_size(e);
        int r;

        if (kind == MEMBER_SMALL && size > SMALL_MEMBER_MAX)
                return entry_error(x, -EFBIG, path, "too large (%lld bytes, at most %d)", (long long) size,
                                   SMALL_MEMBER_MAX);
        pfd = open_parent(x, path, &name);
        if (pfd < 0)
                return pfd;
        /* O_EXCL: a duplicate entry fails instead of replacing what the
         * first one wrote. */
        fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return entry_error(x, errno, path, "create file");
        for (;;) {
                const void *buf;
                size_t len;
                la_int64_t off;

                r = archive_read_data_block(a, &buf, &len, &off);
                if (r == ARCHIVE_EOF)
                        break;
                if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
                        return entry_error(x, -EIO, path, "read data: %s",
                                           archive_error_string(a) ?: "unknown error");
                if (off < 0 || (kind == MEMBER_SMALL && (uint64_t) off + len > SMALL_MEMBER_MAX))
                        return entry_error(x, -EINVAL, path, "invalid data offset");
                r = pwrite_all(fd, buf, len, off);
                if (r < 0)
                        return entry_error(x, -r, path, "write");
        }
        /* Sparse members end in a hole. */
        if (size > 0 && ftruncate(fd, size) < 0)
                return entry_error(x, errno, path, "set size");
        if (strcmp(path, "index.json") == 0)
                x->has_index = true;
        else if (strcmp(path, "manifest.json") == 0)
                x->has_manifest = true;
        return 0;
}

/* `docker save` writes <id>/layer.tar as a symlink to "../<id2>/layer.tar"
 * when two layer ids share a diff, and skopeo/podman always link it to
 * "../<digest>.tar". Only exactly those targets are created, verbatim;
 * oci_source_read() resolves them inside the tree anyway (RESOLVE_IN_ROOT). */
static int
extract_symlink(struct extract *x, struct archive_entry *e, const char *path)
{
        _cleanup_close_ int pfd = -1;
        const char *target = archive_entry_symlink(e), *name;

        if (!target || strncmp(target, "../", 3) != 0 ||
            (classify(target + 3) != MEMBER_LEGACY_LAYER && classify(target + 3) != MEMBER_BLOB))
                return entry_error(x, -EINVAL, path, "symlink to `%.200s` in an image archive", target ?: "");
        pfd = open_parent(x, path, &name);
        if (pfd < 0)
                return pfd;
        if (symlinkat(target, pfd, name) < 0)
                return entry_error(x, errno, path, "create symlink");
        return 0;
}

static const char *
type_name(mode_t type)
{
        switch (type) {
        case AE_IFLNK:
                return "symlink";
        case AE_IFCHR:
                return "character device";
        case AE_IFBLK:
                return "block device";
        case AE_IFIFO:
                return "fifo";
        case AE_IFSOCK:
                return "socket";
        case AE_IFDIR:
                return "directory";
        default:
                return "special file";
        }
}

static int
extract_entry(struct extract *x, struct archive *a, struct archive_entry *e, const char *path,
              enum member kind)
{
        mode_t type = archive_entry_filetype(e);

        /* A link is refused even where it is not needed: a `blobs` symlink
         * skipped here would later read as "blob missing", a worse message. */
        if ((kind == MEMBER_NONE || kind == MEMBER_SKIP) && type != AE_IFLNK &&
            !archive_entry_hardlink(e)) {
                log_debug("`%s`: entry `%s`: not needed, skipped", x->archive_path, path);
                return 0;
        }
        if (archive_entry_hardlink(e))
                return entry_error(x, -EINVAL, path, "hardlink to `%.200s` in an image archive",
                                   archive_entry_hardlink(e));
        if (type == AE_IFREG)
                return extract_file(x, a, e, path, kind);
        if (type == AE_IFLNK && kind == MEMBER_LEGACY_LAYER)
                return extract_symlink(x, e, path);
        if (type == AE_IFDIR) /* a member's name given to a directory: never read */
                return 0;
        return entry_error(x, -EINVAL, path, "%s in an image archive", type_name(type));
}

static void
drain(struct extract *x)
{
        for (;;) {
                ssize_t n = read(x->archive_fd, x->buf, sizeof(x->buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                x->done += (uint64_t) n;
        }
        if (x->progress)
                x->progress(x->done, x->total, x->userdata);
}

int
oci_archive_extract(const char *archive_path, const char *dest_dir, image_progress_fn progress,
                    void *userdata, struct ctr_error **err)
{
        _cleanup_(extract_freep) struct extract *x = NULL;
        _cleanup_(archive_freep) struct archive *a = NULL;
        struct archive_entry *e;
        bool is_image = false;
        size_t n_entries = 0;
        struct stat st;
        int r;

        x = calloc(1, sizeof(*x));
        if (!x)
                return ctr_error_msg(err, ENOMEM, "`%s`: out of memory", archive_path);
        x->archive_fd = x->root_fd = -1;
        x->archive_path = archive_path;
        x->progress = progress;
        x->userdata = userdata;
        x->err = err;

        x->archive_fd = open(archive_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (x->archive_fd < 0)
                return ctr_error_sys(err, errno, "open `%s`", archive_path);
        if (fstat(x->archive_fd, &st) < 0)
                return ctr_error_sys(err, errno, "stat `%s`", archive_path);
        if (S_ISDIR(st.st_mode))
                return ctr_error_msg(err, EISDIR, "`%s` is a directory, not an archive", archive_path);
        x->total = S_ISREG(st.st_mode) ? (uint64_t) st.st_size : 0;
        x->root_fd = open(dest_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (x->root_fd < 0)
                return ctr_error_sys(err, errno, "open `%s`", dest_dir);

        a = archive_read_new();
        if (!a)
                return ctr_error_msg(err, ENOMEM, "`%s`: out of memory", archive_path);
        /* tar (ustar, pax, gnutar, v7) only, under any compression filter. */
        if (archive_read_support_filter_all(a) < ARCHIVE_WARN ||
            archive_read_support_format_tar(a) != ARCHIVE_OK)
                return ctr_error_msg(err, EIO, "libarchive: %s", archive_error_string(a) ?: "setup failed");
        if (archive_read_open(a, x, NULL, read_cb, NULL) != ARCHIVE_OK)
                return ctr_error_msg(err, EINVAL, "`%s` is not a tar archive: %s", archive_path,
                                     archive_error_string(a) ?: "unknown error");
        for (;;) {
                _cleanup_free_ char *path = NULL;
                const char *raw, *reason;
                enum member kind;

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
                raw = archive_entry_pathname(e);
                r = archive_path_normalize(raw, &path, &reason);
                if (r < 0)
                        return ctr_error_msg(err, -r, "`%s`: entry `%.200s%s`: %s", archive_path, raw ?: "",
                                             raw && strlen(raw) > 200 ? "..." : "", reason);
                kind = *path ? classify(path) : MEMBER_NONE;
                if (!is_image) {
                        /* Leading directories ("./", "blobs/") tell nothing. */
                        if (archive_entry_filetype(e) == AE_IFDIR && !archive_entry_hardlink(e))
                                continue;
                        if (kind == MEMBER_NONE) {
                                log_debug("`%s`: entry `%s`: a rootfs tarball", archive_path, path);
                                return 0;
                        }
                        is_image = true;
                }
                r = extract_entry(x, a, e, path, kind);
                if (r < 0)
                        return r;
        }
        if (!is_image)
                return 0; /* nothing but directories: a (strange) rootfs tarball */
        if (!x->has_index && !x->has_manifest)
                return ctr_error_msg(err, EINVAL, "`%s`: not an image archive: no index.json or manifest.json",
                                     archive_path);
        drain(x);
        return 1;
}
