/* Unit tests for the layer unpacker (daemon/image/unpack.c, decompress.c,
 * sha256.c, archive-path.c): SHA-256 vectors, entry name checks, layers
 * built here with libarchive's writer in every compression, digests and
 * expectations, OCI whiteouts, hostile archives, and failures on either
 * side of the reader thread (no fd or thread left behind). Root is not
 * needed (ownership, whiteouts and privileged xattrs are then skipped or
 * expected to fail). No test writes outside its temp dir even if the
 * unpacker is broken: escape targets are unique names, checked and
 * removed.
 *
 * With UNPACK_BENCH_BLOB=<layer blob> set, it only times
 * image_unpack_layer() of that file into UNPACK_BENCH_DIR (default: a new
 * dir in /tmp) and prints the result (bench harness, not a test). */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fs-util.h"
#include "daemon/image/archive-path.h"
#include "daemon/image/image.h"
#include "daemon/image/sha256.h"
#include "tests/unit/tap.h"

/* Entry tables list only the fields they need (see struct ent). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

static char tmpdir[64];
static bool is_root;

static const char *
hash_hex(const void *data, size_t len, char out[static SHA256_HEX_SIZE])
{
        struct sha256_ctx c;
        uint8_t d[SHA256_DIGEST_SIZE];

        sha256_init(&c);
        sha256_update(&c, data, len);
        sha256_final(&c, d);
        return sha256_to_hex(d, out);
}

/* "sha256:<hex>" of a file's bytes into out. */
static const char *
file_digest(const char *path, char out[static IMAGE_DIGEST_LEN + 1])
{
        _cleanup_free_ char *data = NULL;
        char hex[SHA256_HEX_SIZE];
        size_t len = 0;

        if (read_file_full(path, 1 << 30, &data, &len, NULL) < 0)
                return "unreadable";
        snprintf(out, IMAGE_DIGEST_LEN + 1, "sha256:%s", hash_hex(data, len, hex));
        return out;
}

static void
test_sha256(void)
{
        static const struct {
                const char *in, *out;
        } v[] = {
                { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
                { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
                { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
                { "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
                  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
        };
        char hex[SHA256_HEX_SIZE];
        struct sha256_ctx c;
        uint8_t d[SHA256_DIGEST_SIZE];
        char *million;

        for (size_t i = 0; i < ARRAY_SIZE(v); i++)
                is_str(hash_hex(v[i].in, strlen(v[i].in), hex), v[i].out, "sha256 FIPS 180-4 vector");
        million = malloc(1000000);
        memset(million, 'a', 1000000);
        is_str(hash_hex(million, 1000000, hex), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
               "sha256 of a million 'a'");
        sha256_init(&c);
        for (size_t i = 0; i < 1000000; i += 997)
                sha256_update(&c, million + i, i + 997 > 1000000 ? 1000000 - i : 997);
        sha256_final(&c, d);
        is_str(sha256_to_hex(d, hex), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
               "sha256 streaming in odd chunks");
        free(million);
}

static void
test_paths(void)
{
        static const struct {
                const char *in, *out;
        } good[] = {
                { "a", "a" }, { "./a/b", "a/b" }, { "././a//b/./c/", "a/b/c" }, { "./", "" }, { ".", "" },
                { "a/.../b", "a/.../b" }, { "..a/b..", "..a/b.." },
        };
        static const char *bad[] = { "/etc/passwd", "../x", "a/../../x", "a/..", "..", "", "//a", "./../x" };
        const char *reason = NULL;
        char *out, *deep, *longname;

        for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
                out = NULL;
                ok(archive_path_normalize(good[i].in, &out, &reason) == 0 && out &&
                   strcmp(out, good[i].out) == 0, "normalize `%s` -> `%s`", good[i].in, good[i].out);
                free(out);
        }
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                int r = archive_path_normalize(bad[i], &out, &reason);
                ok(r == -EINVAL, "reject `%s` (%s)", bad[i], r < 0 ? reason : "accepted");
        }
        ok(archive_path_normalize(NULL, &out, &reason) == -EINVAL, "reject NULL name");
        deep = calloc(1, 2 * 300 + 1);
        for (int i = 0; i < 257; i++)
                strcat(deep, "d/");
        ok(archive_path_normalize(deep, &out, &reason) == -EINVAL, "reject 257 components");
        deep[2 * 256 - 1] = 0;
        ok(archive_path_normalize(deep, &out, &reason) == 0, "accept 256 components");
        free(out);
        free(deep);
        longname = malloc(PATH_MAX + 10);
        memset(longname, 'x', PATH_MAX + 9);
        longname[PATH_MAX + 9] = 0;
        ok(archive_path_normalize(longname, &out, &reason) == -EINVAL, "reject name > PATH_MAX");
        free(longname);
}

/* ---- archive building ---- */

struct ent {
        const char *path;
        char type;           /* f file, d dir, l symlink, h hardlink, p fifo, c chardev, x file+xattrs */
        const char *data;    /* file content, symlink or hardlink target */
        unsigned mode;
        int uid, gid;        /* 0 unless set */
        const char *xname;   /* one extra xattr, if set */
        const void *xvalue;
        size_t xsize;
};

enum filt { F_NONE, F_GZIP, F_ZSTD, F_XZ, F_BZIP2, F_LZ4 };

static int
add_filter(struct archive *a, enum filt f)
{
        switch (f) {
        case F_NONE:
                return ARCHIVE_OK;
        case F_GZIP:
                return archive_write_add_filter_gzip(a);
        case F_ZSTD:
                return archive_write_add_filter_zstd(a);
        case F_XZ:
                return archive_write_add_filter_xz(a);
        case F_BZIP2:
                return archive_write_add_filter_bzip2(a);
        case F_LZ4:
                return archive_write_add_filter_lz4(a);
        }
        return ARCHIVE_FATAL;
}

static int
write_tar(const char *path, const struct ent *ents, size_t n, bool zip)
{
        struct archive *a = archive_write_new();
        int r = 0;

        if (zip)
                archive_write_set_format_zip(a);
        else
                archive_write_set_format_pax_restricted(a);
        if (archive_write_open_filename(a, path) != ARCHIVE_OK)
                return -1;
        for (size_t i = 0; i < n; i++) {
                struct archive_entry *e = archive_entry_new();
                size_t len = 0;

                archive_entry_set_pathname(e, ents[i].path);
                archive_entry_set_perm(e, ents[i].mode ? ents[i].mode : 0644);
                archive_entry_set_mtime(e, 1000000000, 0);
                archive_entry_set_uid(e, ents[i].uid);
                archive_entry_set_gid(e, ents[i].gid);
                if (ents[i].xname)
                        archive_entry_xattr_add_entry(e, ents[i].xname, ents[i].xvalue, ents[i].xsize);
                switch (ents[i].type) {
                case 'f':
                        archive_entry_set_filetype(e, AE_IFREG);
                        len = strlen(ents[i].data);
                        archive_entry_set_size(e, (la_int64_t) len);
                        break;
                case 'd':
                        archive_entry_set_filetype(e, AE_IFDIR);
                        if (!ents[i].mode)
                                archive_entry_set_perm(e, 0755);
                        break;
                case 'l':
                        archive_entry_set_filetype(e, AE_IFLNK);
                        archive_entry_set_symlink(e, ents[i].data);
                        break;
                case 'h':
                        archive_entry_set_filetype(e, AE_IFREG);
                        archive_entry_set_hardlink(e, ents[i].data);
                        break;
                case 'x': /* a file with xattrs */
                        archive_entry_set_filetype(e, AE_IFREG);
                        archive_entry_set_size(e, 0);
                        archive_entry_xattr_add_entry(e, "user.test", "val", 3);
                        archive_entry_xattr_add_entry(e, "trusted.overlay.opaque", "y", 1);
                        break;
                case 'p':
                        archive_entry_set_filetype(e, AE_IFIFO);
                        break;
                case 'c':
                        archive_entry_set_filetype(e, AE_IFCHR);
                        archive_entry_set_rdev(e, makedev(1, 3));
                        break;
                }
                if (archive_write_header(a, e) != ARCHIVE_OK)
                        r = -1;
                if (len && archive_write_data(a, ents[i].data, len) != (la_ssize_t) len)
                        r = -1;
                archive_entry_free(e);
        }
        archive_write_close(a);
        archive_write_free(a);
        return r;
}

/* Writes data, compressed with f and nothing else (no padding), to path;
 * append: after what path holds already (a second gzip member). */
static int
write_compressed(const char *path, const void *data, size_t len, enum filt f, bool append)
{
        struct archive *a = archive_write_new();
        struct archive_entry *e = archive_entry_new();
        int fd, r = 0;

        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
        if (fd < 0)
                return -1;
        /* Level 1: the tests need the format, not the ratio. */
        if (archive_write_set_format_raw(a) != ARCHIVE_OK || add_filter(a, f) != ARCHIVE_OK ||
            (f != F_NONE && archive_write_set_filter_option(a, NULL, "compression-level", "1") < ARCHIVE_WARN) ||
            archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
            archive_write_open_fd(a, fd) != ARCHIVE_OK)
                r = -1;
        archive_entry_set_pathname(e, "data");
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, (la_int64_t) len);
        if (r == 0 && (archive_write_header(a, e) != ARCHIVE_OK ||
                       (len && archive_write_data(a, data, len) != (la_ssize_t) len)))
                r = -1;
        if (archive_write_close(a) != ARCHIVE_OK)
                r = -1;
        archive_write_free(a);
        archive_entry_free(e);
        close(fd);
        return r;
}

/* Compresses the file `in` into `out`. */
static int
compress_file(const char *in, const char *out, enum filt f)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;

        if (read_file_full(in, 1 << 30, &data, &len, NULL) < 0)
                return -1;
        return write_compressed(out, data, len, f, false);
}

static int
append_bytes(const char *path, const void *data, size_t len)
{
        int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
        int r;

        if (fd < 0)
                return -1;
        r = write_all(fd, data, len);
        close(fd);
        return r;
}

static char *
tpath(const char *rel)
{
        return path_join(tmpdir, rel);
}

/* Fresh empty dest dir named `name` under tmpdir. */
static char *
fresh_dest(const char *name)
{
        char *d = tpath(name);

        rm_rf(d, NULL);
        mkdir(d, 0755);
        return d;
}

/* Unpacks blob into a fresh dir `name`; message (if any) in msg. */
static int
unpack_blob(const char *blob, const char *name, const struct image_unpack_expect *expect,
            struct image_unpack_result *res, char **ret_dest, char msg[static 512])
{
        _cleanup_error_ struct ctr_error *e = NULL;
        struct image_unpack_result dummy;
        int r;

        *ret_dest = fresh_dest(name);
        r = image_unpack_layer(blob, *ret_dest, expect, NULL, NULL, res ? res : &dummy, &e);
        snprintf(msg, 512, "%s", e ? e->message : "");
        if (r < 0)
                printf("# %s: %s\n", name, msg);
        return r;
}

/* Unpacks ents as a plain tar into a fresh dir. */
static int
unpack_ents(const char *name, const struct ent *ents, size_t n, char **ret_dest, char msg[static 512])
{
        _cleanup_free_ char *tar = NULL, *tarname = NULL;

        if (asprintf(&tarname, "%s.tar", name) < 0)
                return -ENOMEM;
        tar = tpath(tarname);
        if (write_tar(tar, ents, n, false) < 0)
                return -EIO;
        return unpack_blob(tar, name, NULL, NULL, ret_dest, msg);
}

static char *
read_text(const char *dir, const char *rel)
{
        _cleanup_free_ char *p = path_join(dir, rel);
        char *data = NULL;

        if (read_file_full(p, 1 << 20, &data, NULL, NULL) < 0)
                return NULL;
        return data;
}

static int
lstat_in(const char *dir, const char *rel, struct stat *st)
{
        _cleanup_free_ char *p = path_join(dir, rel);

        return lstat(p, st);
}

static int
count_dir(const char *path)
{
        DIR *d = opendir(path);
        struct dirent *de;
        int n = 0;

        if (!d)
                return -1;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}

static int
count_fds(void)
{
        return count_dir("/proc/self/fd");
}

static int
count_threads(void)
{
        return count_dir("/proc/self/task");
}

static double
now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

struct progress {
        uint64_t done, total;
        int calls;
};

static void
progress_cb(uint64_t done, uint64_t total, void *userdata)
{
        struct progress *p = userdata;

        /* Called from the reader thread; the test reads it after the join. */
        p->done = done;
        p->total = total;
        p->calls++;
}

static void
test_unpack_basic(void)
{
        static const struct ent ents[] = {
                { "./", 'd', NULL, 0750 },
                { "./a/", 'd', NULL, 0700 },
                { "./a/f", 'f', "hello\n", 04755 },
                { "./a/g", 'f', "", 02640 },
                { "a/l", 'l', "f", 0 },
                { "a/abs", 'l', "/etc/passwd", 0 },
                { "a/h", 'h', "a/f", 0 },
                { "x/y/z", 'f', "deep", 0600 },
                { "tmp/", 'd', NULL, 01777 },
                { "a/fifo", 'p', NULL, 0600 },
                { "a/rw", 'f', "rw", 0666 },
                { "a/none", 'f', "-", 0400 },
        };
        _cleanup_error_ struct ctr_error *e = NULL;
        _cleanup_free_ char *tar = tpath("basic.tar"), *dest = fresh_dest("basic"), *data = NULL,
                            *file = NULL;
        char hex[SHA256_HEX_SIZE], want[IMAGE_DIGEST_LEN + 1], link[64];
        struct image_unpack_result res;
        struct progress prog = { 0 };
        struct stat st, st2;
        size_t len = 0;
        ssize_t n;

        ok(write_tar(tar, ents, ARRAY_SIZE(ents), false) == 0, "write basic tar");
        is_int(image_unpack_layer(tar, dest, NULL, progress_cb, &prog, &res, &e), 0, "unpack basic tar");
        if (e)
                printf("# %s\n", e->message);
        read_file_full(tar, 1 << 24, &file, &len, NULL);
        snprintf(want, sizeof(want), "sha256:%s", hash_hex(file, len, hex));
        is_str(res.blob_digest, want, "blob digest is the sha256 of the whole file");
        is_str(res.diff_id, want, "uncompressed: diff_id = blob digest");
        is_int(res.blob_size, len, "blob size");
        is_int(res.compression, IMAGE_COMPRESSION_NONE, "detected: uncompressed");
        ok(prog.calls >= 1 && prog.done == len && prog.total == len, "progress reached the file size");
        is_int(res.size, 13, "size is the sum of file sizes");
        ok(lstat_in(dest, "a/rw", &st) == 0 && (st.st_mode & 07777) == 0666, "0666 kept whatever the umask");
        ok(lstat_in(dest, "a/none", &st) == 0 && (st.st_mode & 07777) == 0400 && st.st_size == 1,
           "0400 file written");
        is_str(data = read_text(dest, "a/f"), "hello\n", "file content");
        ok(lstat_in(dest, "a/f", &st) == 0 && (st.st_mode & 07777) == 04755, "setuid mode kept");
        ok(lstat_in(dest, "a/f", &st) == 0 && st.st_mtime == 1000000000, "file mtime");
        ok(lstat_in(dest, "a/g", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0 &&
           (st.st_mode & 07777) == 02640, "empty setgid file");
        ok(lstat_in(dest, "a", &st) == 0 && (st.st_mode & 07777) == 0700 && st.st_mtime == 1000000000,
           "dir mode and mtime (set at the end)");
        ok(lstat_in(dest, ".", &st) == 0 && (st.st_mode & 07777) == 0750, "root entry `./` applies to dest");
        ok(lstat_in(dest, "tmp", &st) == 0 && (st.st_mode & 07777) == 01777, "sticky tmp");
        {
                _cleanup_free_ char *p = path_join(dest, "a/abs");
                n = readlink(p, link, sizeof(link) - 1);
                ok(n > 0 && (link[n] = 0, strcmp(link, "/etc/passwd") == 0), "symlink target verbatim");
        }
        ok(lstat_in(dest, "a/l", &st) == 0 && S_ISLNK(st.st_mode) && st.st_mtime == 1000000000,
           "symlink mtime");
        ok(lstat_in(dest, "a/h", &st) == 0 && lstat_in(dest, "a/f", &st2) == 0 && st.st_ino == st2.st_ino,
           "hardlink shares the inode");
        free(data);
        is_str(data = read_text(dest, "x/y/z"), "deep", "missing parents are created");
        ok(lstat_in(dest, "x/y", &st) == 0 && (st.st_mode & 07777) == 0755, "created parents are 0755");
        ok(lstat_in(dest, "a/fifo", &st) == 0 && S_ISFIFO(st.st_mode), "fifo");
        free(data);
        data = NULL;

        if (is_root) {
                static const struct ent dev[] = { { "dev/null", 'c', NULL, 0666 } };
                _cleanup_free_ char *d2 = NULL;
                char msg[512];
                ok(unpack_ents("dev", dev, 1, &d2, msg) == 0 && lstat_in(d2, "dev/null", &st) == 0 &&
                   S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3), "device node (root)");
        }
}

static void
test_unpack_xattrs(void)
{
        static const struct ent ents[] = { { "x", 'x', NULL, 0644 } };
        _cleanup_free_ char *dest = NULL, *p = NULL;
        char msg[512], val[16];
        ssize_t n;

        ok(unpack_ents("xattr", ents, 1, &dest, msg) == 0, "unpack file with xattrs");
        p = path_join(dest, "x");
        n = getxattr(p, "user.test", val, sizeof(val));
        if (n < 0 && errno == ENOTSUP)
                ok(1, "# SKIP user xattrs not supported on /tmp");
        else
                ok(n == 3 && memcmp(val, "val", 3) == 0, "user.test xattr restored");
        if (is_root)
                ok(getxattr(p, "trusted.overlay.opaque", val, sizeof(val)) < 0 && errno == ENODATA,
                   "trusted.overlay.* xattr not restored");
}

/* setuid + security.capability + owner (chown first, or it would clear
 * both), hardlinks across directories. */
static void
test_unpack_meta(void)
{
        /* VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE, permitted CAP_NET_BIND_SERVICE. */
        static const uint8_t cap[20] = { 0x01, 0x00, 0x00, 0x02, 0x00, 0x04 };
        const struct ent ents[] = {
                { "usr/", 'd', NULL, 0755 },
                { "usr/bin/", 'd', NULL, 0755 },
                { "usr/bin/ping", 'f', "ping", 04711, 1000, 1001, "security.capability", cap, sizeof(cap) },
                { "usr/bin/wall", 'f', "wall", 02755, 0, 5 },
                { "etc/", 'd', NULL, 0755 },
                { "etc/ping-link", 'h', "usr/bin/ping", 0 },
                { "var/lib/x/deep-link", 'h', "usr/bin/wall", 0 },
        };
        _cleanup_free_ char *dest = NULL, *p = NULL;
        uint8_t got[32];
        struct stat st, st2;
        char msg[512];
        ssize_t n;

        ok(unpack_ents("meta", ents, ARRAY_SIZE(ents), &dest, msg) == 0, "unpack setuid/caps/hardlinks");
        ok(lstat_in(dest, "usr/bin/ping", &st) == 0 && (st.st_mode & 07777) == 04711, "setuid 04711 kept");
        ok(lstat_in(dest, "usr/bin/wall", &st) == 0 && (st.st_mode & 07777) == 02755, "setgid 02755 kept");
        ok(lstat_in(dest, "etc/ping-link", &st2) == 0 && lstat_in(dest, "usr/bin/ping", &st) == 0 &&
           st.st_ino == st2.st_ino && st.st_nlink == 2, "hardlink across directories");
        ok(lstat_in(dest, "var/lib/x/deep-link", &st2) == 0 && lstat_in(dest, "usr/bin/wall", &st) == 0 &&
           st.st_ino == st2.st_ino, "hardlink into a directory the archive never listed");
        if (!is_root) {
                ok(1, "# SKIP owner and security.capability need root");
                return;
        }
        ok(lstat_in(dest, "usr/bin/ping", &st) == 0 && st.st_uid == 1000 && st.st_gid == 1001,
           "owner 1000:1001 kept");
        ok(lstat_in(dest, "usr/bin/wall", &st) == 0 && st.st_uid == 0 && st.st_gid == 5, "group 5 kept");
        p = path_join(dest, "usr/bin/ping");
        n = getxattr(p, "security.capability", got, sizeof(got));
        ok(n == (ssize_t) sizeof(cap) && memcmp(got, cap, sizeof(cap)) == 0,
           "security.capability survives the chown (n=%zd)", n);
}

struct job {
        const char *blob;
        char *dest;
        struct image_unpack_result res;
        int r;
};

static void *
unpack_thread(void *userdata)
{
        struct job *j = userdata;
        struct ctr_error *e = NULL;

        j->r = image_unpack_layer(j->blob, j->dest, NULL, NULL, NULL, &j->res, &e);
        ctr_error_free(e);
        return NULL;
}

/* Worker threads: several unpacks at once, no shared state. */
static void
test_unpack_threads(void)
{
        _cleanup_free_ char *tar = tpath("basic.tar"), *gz = tpath("basic.tar.gz");
        int fds = count_fds(), threads = count_threads();
        struct job jobs[6];
        pthread_t t[6];
        bool all = true;

        compress_file(tar, gz, F_GZIP);
        for (int i = 0; i < 6; i++) {
                char name[16];
                snprintf(name, sizeof(name), "thr%d", i);
                jobs[i] = (struct job) { .blob = i % 2 ? gz : tar, .dest = fresh_dest(name) };
                pthread_create(&t[i], NULL, unpack_thread, &jobs[i]);
        }
        for (int i = 0; i < 6; i++) {
                pthread_join(t[i], NULL);
                all = all && jobs[i].r == 0 && strcmp(jobs[i].res.diff_id, jobs[0].res.diff_id) == 0;
                free(jobs[i].dest);
        }
        ok(all, "6 parallel unpacks (plain and gzip) succeed with the same diff_id");
        is_int(count_fds(), fds, "no fd left after the parallel unpacks");
        is_int(count_threads(), threads, "no thread left after the parallel unpacks");
}

/* A layer of n files of about `each` bytes of compressible pseudo-random
 * text, entry 0 optionally replaced by a hostile one. */
static int
write_big_tar(const char *path, int n, size_t each, const char *hostile_at_2)
{
        struct archive *a = archive_write_new();
        char *buf = malloc(each);
        uint64_t x = 88172645463325252ull;
        int r = 0;

        archive_write_set_format_pax_restricted(a);
        if (!buf || archive_write_open_filename(a, path) != ARCHIVE_OK)
                return -1;
        for (int i = 0; i < n; i++) {
                struct archive_entry *e = archive_entry_new();
                char name[64];

                /* 16 letters, 4 bits each: about 2:1 for gzip. */
                for (size_t k = 0; k < each; k++) {
                        if (k % 16 == 0)
                                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                        buf[k] = "abcdefgh ijklmn\n"[(x >> (4 * (k % 16))) & 15];
                }
                snprintf(name, sizeof(name), "d%d/f%d", i % 10, i);
                archive_entry_set_pathname(e, i == 2 && hostile_at_2 ? hostile_at_2 : name);
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_perm(e, 0644);
                archive_entry_set_size(e, (la_int64_t) each);
                archive_entry_set_mtime(e, 1000000000, 0);
                if (archive_write_header(a, e) != ARCHIVE_OK ||
                    archive_write_data(a, buf, each) != (la_ssize_t) each)
                        r = -1;
                archive_entry_free(e);
        }
        archive_write_close(a);
        archive_write_free(a);
        free(buf);
        return r;
}

/* The same tar in every compression gives the same diff_id; the blob
 * digest is always the file's. */
static void
test_unpack_compressions(void)
{
        static const struct {
                enum filt f;
                const char *ext;
                enum image_compression c;
        } kinds[] = {
                { F_NONE, "tar", IMAGE_COMPRESSION_NONE },  { F_GZIP, "gz", IMAGE_COMPRESSION_GZIP },
                { F_ZSTD, "zst", IMAGE_COMPRESSION_ZSTD },  { F_XZ, "xz", IMAGE_COMPRESSION_ANY },
                { F_BZIP2, "bz2", IMAGE_COMPRESSION_ANY },  { F_LZ4, "lz4", IMAGE_COMPRESSION_ANY },
        };
        _cleanup_free_ char *tar = tpath("multi.tar"), *gz2 = tpath("multi2.gz"), *gzz = tpath("multiz.gz"),
                            *gzj = tpath("multij.gz"), *tarx = tpath("multix.tar"), *gzx = tpath("multix.gz"),
                            *data = NULL;
        char diff_id[IMAGE_DIGEST_LEN + 1], want[IMAGE_DIGEST_LEN + 1], msg[512];
        size_t len = 0;

        /* Small: libarchive's xz writer manages about 1 MB/s. */
        ok(write_big_tar(tar, 100, 2000, NULL) == 0, "write a 100-file tar");
        file_digest(tar, diff_id);
        for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
                _cleanup_free_ char *blob = NULL, *dest = NULL, *f = NULL;
                struct image_unpack_result res;
                struct image_unpack_expect ex = { 0 };
                struct stat st;

                asprintf(&f, "multi.%s", kinds[i].ext);
                blob = kinds[i].f == F_NONE ? strdup(tar) : tpath(f);
                if (kinds[i].f != F_NONE && compress_file(tar, blob, kinds[i].f) < 0) {
                        ok(1, "# SKIP libarchive cannot write %s", kinds[i].ext);
                        continue;
                }
                file_digest(blob, want);
                stat(blob, &st);
                ex.blob_digest = want;
                ex.blob_size = (uint64_t) st.st_size;
                ex.diff_id = diff_id;
                ex.compression = kinds[i].c;
                free(f);
                f = NULL;
                asprintf(&f, "u-%s", kinds[i].ext);
                ok(unpack_blob(blob, f, &ex, &res, &dest, msg) == 0 && strcmp(res.diff_id, diff_id) == 0 &&
                   strcmp(res.blob_digest, want) == 0 && res.blob_size == (uint64_t) st.st_size &&
                   res.compression == kinds[i].c && res.size == 100 * 2000,
                   "%s: diff_id = sha256 of the tar, blob digest = sha256 of the file", kinds[i].ext);
                ok(lstat_in(dest, "d9/f99", &st) == 0 && st.st_size == 2000, "%s: last file there",
                   kinds[i].ext);
                rm_rf(dest, NULL);
        }

        /* Two gzip members, split mid-entry: one stream. */
        read_file_full(tar, 1 << 30, &data, &len, NULL);
        write_compressed(gz2, data, len / 3, F_GZIP, false);
        write_compressed(gz2, data + len / 3, len - len / 3, F_GZIP, true);
        {
                _cleanup_free_ char *dest = NULL;
                struct image_unpack_result res;
                ok(unpack_blob(gz2, "gz2", NULL, &res, &dest, msg) == 0 && strcmp(res.diff_id, diff_id) == 0 &&
                   strcmp(res.blob_digest, file_digest(gz2, want)) == 0, "multi-member gzip: one stream");
                rm_rf(dest, NULL);
        }
        /* Trailing zeros after the gzip stream: ignored, but hashed. */
        write_compressed(gzz, data, len, F_GZIP, false);
        {
                static const char zeros[3000];
                _cleanup_free_ char *dest = NULL;
                struct image_unpack_result res;
                append_bytes(gzz, zeros, sizeof(zeros));
                ok(unpack_blob(gzz, "gzz", NULL, &res, &dest, msg) == 0 && strcmp(res.diff_id, diff_id) == 0 &&
                   strcmp(res.blob_digest, file_digest(gzz, want)) == 0,
                   "gzip + trailing zeros: accepted, blob digest covers them");
                rm_rf(dest, NULL);
        }
        write_compressed(gzj, data, len, F_GZIP, false);
        {
                _cleanup_free_ char *dest = NULL;
                append_bytes(gzj, "\0\0junk", 6);
                ok(unpack_blob(gzj, "gzj", NULL, NULL, &dest, msg) == -EBADMSG && strstr(msg, "trailing garbage"),
                   "gzip + trailing garbage fails: %s", msg);
                rm_rf(dest, NULL);
        }
        /* Data after the tar's end blocks, inside the compressed stream:
         * the diff_id covers it (it is the sha256 of every byte). */
        {
                _cleanup_free_ char *dest = NULL, *big = malloc(len + 5000);
                struct image_unpack_result res;
                char want_diff[IMAGE_DIGEST_LEN + 1];
                memcpy(big, data, len);
                memset(big + len, 'J', 5000);
                write_file_atomic(tarx, big, len + 5000, 0644, NULL);
                write_compressed(gzx, big, len + 5000, F_GZIP, false);
                file_digest(tarx, want_diff);
                ok(unpack_blob(gzx, "gzx", NULL, &res, &dest, msg) == 0 && strcmp(res.diff_id, want_diff) == 0 &&
                   strcmp(res.diff_id, diff_id) != 0, "bytes after the tar end count in the diff_id (gzip)");
                rm_rf(dest, NULL);
                free(dest);
                ok(unpack_blob(tarx, "tarx", NULL, &res, &dest, msg) == 0 && strcmp(res.diff_id, want_diff) == 0 &&
                   res.blob_size == len + 5000, "bytes after the tar end count in the digest (plain)");
                rm_rf(dest, NULL);
        }
}

/* Expectations that do not hold, truncated and corrupt blobs. Uses the
 * multi.* blobs test_unpack_compressions() wrote. */
static void
test_unpack_verify(void)
{
        _cleanup_free_ char *tar = tpath("multi.tar"), *gz = tpath("multi.gz"), *zst = tpath("multi.zst"),
                            *xz = tpath("multi.xz"), *tgz = tpath("trunc.gz"), *tzst = tpath("trunc.zst"),
                            *txz = tpath("trunc.xz"), *cgz = tpath("corrupt.gz"), *czst = tpath("corrupt.zst"),
                            *ttar = tpath("trunc.tar"), *data = NULL;
        char blob[IMAGE_DIGEST_LEN + 1], diff_id[IMAGE_DIGEST_LEN + 1], msg[512];
        const char *wrong = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
        struct stat st;
        size_t len = 0;

        file_digest(gz, blob);
        file_digest(tar, diff_id);
        stat(gz, &st);
        {
                struct image_unpack_expect ex = { .blob_digest = wrong };
                _cleanup_free_ char *dest = NULL;
                ok(unpack_blob(gz, "v1", &ex, NULL, &dest, msg) == -EBADMSG && strstr(msg, wrong) &&
                   strstr(msg, blob) && strstr(msg, "digest mismatch"), "blob digest mismatch names both: %s", msg);
        }
        {
                struct image_unpack_expect ex = { .blob_digest = blob, .blob_size = (uint64_t) st.st_size + 1 };
                _cleanup_free_ char *dest = NULL;
                ok(unpack_blob(gz, "v2", &ex, NULL, &dest, msg) == -EBADMSG && strstr(msg, blob) &&
                   strstr(msg, "size mismatch"), "size mismatch: %s", msg);
        }
        {
                struct image_unpack_expect ex = { .blob_digest = blob, .diff_id = wrong };
                _cleanup_free_ char *dest = NULL;
                ok(unpack_blob(gz, "v3", &ex, NULL, &dest, msg) == -EBADMSG && strstr(msg, wrong) &&
                   strstr(msg, diff_id) && strstr(msg, "diff_id mismatch"), "diff_id mismatch names both: %s", msg);
        }
        {
                struct image_unpack_expect ex = { .blob_digest = blob, .compression = IMAGE_COMPRESSION_ZSTD };
                _cleanup_free_ char *dest = NULL;
                ok(unpack_blob(gz, "v4", &ex, NULL, &dest, msg) == -EINVAL && strstr(msg, blob) &&
                   strstr(msg, "media type says zstd but the blob is gzip"), "compression mismatch: %s", msg);
                ok(count_dir(dest) == 0, "compression mismatch: nothing written");
        }
        {
                struct image_unpack_expect ex = { .compression = IMAGE_COMPRESSION_GZIP };
                _cleanup_free_ char *dest = NULL;
                ok(unpack_blob(zst, "v5", &ex, NULL, &dest, msg) == -EINVAL &&
                   strstr(msg, "media type says gzip but the blob is zstd"), "gzip expected, zstd found: %s", msg);
        }
        {
                struct image_unpack_expect ex = { .compression = IMAGE_COMPRESSION_NONE };
                _cleanup_free_ char *dest = NULL;
                ok(unpack_blob(gz, "v6", &ex, NULL, &dest, msg) == -EINVAL &&
                   strstr(msg, "media type says uncompressed but the blob is gzip"), "tar expected, gzip found: %s",
                   msg);
        }
        {
                struct image_unpack_expect ex = { .compression = IMAGE_COMPRESSION_GZIP };
                _cleanup_free_ char *dest = NULL;
                ok(unpack_blob(tar, "v7", &ex, NULL, &dest, msg) == -EINVAL &&
                   strstr(msg, "media type says gzip but the blob is uncompressed"), "gzip expected, tar found: %s",
                   msg);
        }

        read_file_full(gz, 1 << 30, &data, &len, NULL);
        write_file_atomic(tgz, data, len * 2 / 3, 0644, NULL);
        data[len - 6] ^= 0x55; /* the CRC-32 in the trailer */
        write_file_atomic(cgz, data, len, 0644, NULL);
        free(data);
        data = NULL;
        read_file_full(zst, 1 << 30, &data, &len, NULL);
        write_file_atomic(tzst, data, len - 100, 0644, NULL);
        data[4] ^= 0x08; /* the frame header's reserved bit */
        write_file_atomic(czst, data, len, 0644, NULL);
        free(data);
        data = NULL;
        read_file_full(xz, 1 << 30, &data, &len, NULL);
        write_file_atomic(txz, data, len / 2, 0644, NULL);
        free(data);
        data = NULL;
        read_file_full(tar, 1 << 30, &data, &len, NULL);
        write_file_atomic(ttar, data, len / 2 + 100, 0644, NULL);
        {
                _cleanup_free_ char *dest = NULL;
                ok(unpack_blob(tgz, "t1", NULL, NULL, &dest, msg) == -EBADMSG && strstr(msg, "gzip") &&
                   strstr(msg, "unexpected end"), "truncated gzip fails: %s", msg);
        }
        {
                _cleanup_free_ char *dest = NULL;
                ok(unpack_blob(tzst, "t2", NULL, NULL, &dest, msg) == -EBADMSG && strstr(msg, "zstd") &&
                   strstr(msg, "unexpected end"), "truncated zstd fails: %s", msg);
        }
        {
                _cleanup_free_ char *dest = NULL;
                ok(unpack_blob(txz, "t3", NULL, NULL, &dest, msg) < 0 && strstr(msg, "xz"), "truncated xz fails: %s",
                   msg);
        }
        {
                _cleanup_free_ char *dest = NULL;
                ok(unpack_blob(ttar, "t4", NULL, NULL, &dest, msg) < 0 && strstr(msg, "trunc.tar"),
                   "truncated tar fails: %s", msg);
        }
        {
                _cleanup_free_ char *dest = NULL;
                ok(unpack_blob(cgz, "t5", NULL, NULL, &dest, msg) == -EBADMSG && strstr(msg, "gzip") &&
                   strstr(msg, "checksum mismatch"), "gzip CRC mismatch fails: %s", msg);
        }
        {
                _cleanup_free_ char *dest = NULL;
                ok(unpack_blob(czst, "t6", NULL, NULL, &dest, msg) == -EBADMSG && strstr(msg, "zstd"),
                   "corrupt zstd frame header fails: %s", msg);
        }
        {
                /* A zstd frame without a checksum (libarchive writes none)
                 * decodes corrupt data silently: the diff_id catches it. */
                _cleanup_free_ char *dest = NULL;
                struct image_unpack_expect ex = { .diff_id = diff_id };
                free(data);
                data = NULL;
                read_file_full(zst, 1 << 30, &data, &len, NULL);
                data[len / 2] ^= 0x55;
                write_file_atomic(czst, data, len, 0644, NULL);
                ok(unpack_blob(czst, "t7", &ex, NULL, &dest, msg) < 0, "corrupt zstd data fails: %s", msg);
        }
}

static void
test_unpack_whiteouts(void)
{
        const struct ent ents[] = {
                { "etc/", 'd', NULL, 0755 },
                { "etc/.wh.passwd", 'f', "", 0644, 0, 0 },
                { "etc/.wh..wh..opq", 'f', "", 0644 },
                { "etc/kept", 'f', "k", 0644 },
                { "var/cache/.wh..wh..opq", 'f', "", 0644 },
                { ".wh.top", 'f', "", 0644, 7, 8 },
                { "usr/.wh..wh.plnk", 'd', NULL, 0700 },
                { "opt/x", 'f', "x", 0644 },
                { "opt/.wh.x", 'f', "", 0644 },
                { "data/typechg", 'f', "now a file", 0644 },
                { "data/typechg/.wh.inner", 'f', "", 0644 },
        };
        _cleanup_free_ char *dest = NULL, *p = NULL;
        char msg[512], val[8];
        struct stat st;
        int r;

        r = unpack_ents("wh", ents, ARRAY_SIZE(ents), &dest, msg);
        if (!is_root) {
                ok(r == -EPERM && strstr(msg, ".wh."), "whiteouts need root: %s", msg);
                return;
        }
        is_int(r, 0, "unpack whiteouts");
        ok(lstat_in(dest, "etc/passwd", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0),
           "`.wh.passwd` -> 0:0 char device `passwd`");
        ok(lstat_in(dest, "etc/.wh.passwd", &st) < 0 && errno == ENOENT, "the marker itself is not written");
        p = path_join(dest, "etc");
        ok(getxattr(p, "trusted.overlay.opaque", val, sizeof(val)) == 1 && val[0] == 'y',
           "`.wh..wh..opq` -> trusted.overlay.opaque=y");
        ok(lstat_in(dest, "etc/.wh..wh..opq", &st) < 0, "opaque marker not written");
        free(p);
        p = path_join(dest, "var/cache");
        ok(getxattr(p, "trusted.overlay.opaque", val, sizeof(val)) == 1 && val[0] == 'y',
           "opaque dir the archive never listed is created");
        ok(lstat_in(dest, "top", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == 0 && st.st_uid == 7 &&
           st.st_gid == 8, "whiteout at the top, owned like its entry");
        ok(lstat_in(dest, "usr/.wh..wh.plnk", &st) < 0, "other `.wh..wh.*` skipped");
        ok(lstat_in(dest, "opt/x", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == 0,
           "whiteout replaces a file of the same layer");
        ok(lstat_in(dest, "etc", &st) == 0 && st.st_mtime == 1000000000, "dir mtime kept after whiteouts");
        ok(lstat_in(dest, "data/typechg", &st) == 0 && S_ISREG(st.st_mode),
           "a whiteout below a file (umoci, dir became file) is skipped");
        free(p);
        p = path_join(dest, "etc/kept");
        ok(getxattr(p, "trusted.overlay.opaque", val, sizeof(val)) < 0, "files are not marked opaque");
}

static void
test_unpack_hostile_whiteouts(void)
{
        static const struct {
                const char *raw, *named;
        } bad[] = {
                { ".wh..", ".wh.." },         { ".wh.", ".wh." },           { "a/.wh../x", "a/.wh../x" },
                { "a/.wh...", "a/.wh..." },   { "a/.wh.b/c", "a/.wh.b/c" }, { "./.wh../", ".wh.." },
        };
        char msg[512];

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                const struct ent ents[] = { { "a/", 'd', NULL, 0 }, { bad[i].raw, 'f', "", 0 } };
                _cleanup_free_ char *dest = NULL, *name = NULL, *want = NULL;

                asprintf(&name, "hwh%zu", i);
                asprintf(&want, "entry `%s`", bad[i].named);
                ok(unpack_ents(name, ents, 2, &dest, msg) == -EINVAL && strstr(msg, want),
                   "hostile whiteout `%s` rejected naming the entry: %s", bad[i].raw, msg);
                ok(count_dir(dest) == 1, "only `a` was made");
        }
}

static void
test_unpack_not_tar(void)
{
        static const struct ent ents[] = { { "f", 'f', "zip", 0644 } };
        _cleanup_free_ char *junk = tpath("junk.bin"), *zip = tpath("x.zip"), *dest = fresh_dest("nt"),
                            *empty = tpath("empty.tar");
        struct image_unpack_result res;
        char buf[4096];

        for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = (char) (i * 7 + 3);
        write_file_atomic(junk, buf, sizeof(buf), 0644, NULL);
        {
                _cleanup_error_ struct ctr_error *e = NULL;
                int r = image_unpack_layer(junk, dest, NULL, NULL, NULL, &res, &e);
                ok(r < 0 && e && strstr(e->message, "is not a tar archive"), "junk: %s", e ? e->message : "");
        }
        write_tar(zip, ents, 1, true);
        {
                _cleanup_error_ struct ctr_error *e = NULL;
                int r = image_unpack_layer(zip, dest, NULL, NULL, NULL, &res, &e);
                ok(r < 0 && e && strstr(e->message, "is not a tar archive"), "zip: %s", e ? e->message : "");
        }
        {
                /* The empty layer other tools write: gzip of two zero blocks. */
                static const char zeros[1024];
                _cleanup_error_ struct ctr_error *e = NULL;
                _cleanup_free_ char *el = tpath("empty-layer.gz"), *d = fresh_dest("empty-layer");
                write_compressed(el, zeros, sizeof(zeros), F_GZIP, false);
                ok(image_unpack_layer(el, d, NULL, NULL, NULL, &res, &e) == 0 &&
                   strcmp(res.diff_id, "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef") == 0 &&
                   res.size == 0 && count_dir(d) == 0, "empty layer (only the end blocks): %s",
                   e ? e->message : "ok");
        }
        write_file_atomic(empty, "", 0, 0644, NULL);
        {
                _cleanup_error_ struct ctr_error *e = NULL;
                int r = image_unpack_layer(empty, dest, NULL, NULL, NULL, &res, &e);
                ok(r < 0 && e, "empty file: %s", e ? e->message : "");
        }
        {
                _cleanup_error_ struct ctr_error *e = NULL;
                int r = image_unpack_layer("/nonexistent.tar", dest, NULL, NULL, NULL, &res, &e);
                ok(r == -ENOENT && e, "missing file: %s", e ? e->message : "");
        }
        {
                _cleanup_error_ struct ctr_error *e = NULL;
                int r = image_unpack_layer(tmpdir, dest, NULL, NULL, NULL, &res, &e);
                ok(r == -EISDIR && e, "directory: %s", e ? e->message : "");
        }
        {
                _cleanup_error_ struct ctr_error *e = NULL;
                int r = image_unpack_layer("/dev/null", dest, NULL, NULL, NULL, &res, &e);
                ok(r == -EINVAL && e && strstr(e->message, "not a regular file"), "device: %s",
                   e ? e->message : "");
        }
        {
                _cleanup_error_ struct ctr_error *e = NULL;
                int r = image_unpack_layer(junk, "/nonexistent-dir", NULL, NULL, NULL, &res, &e);
                ok(r == -ENOENT && e, "missing dest: %s", e ? e->message : "");
        }
}

static void
test_unpack_hostile(void)
{
        char msg[512], hostdir[128], hostfile[160], hostname_rel[160];
        struct stat st;
        char *dest = NULL, *data = NULL;

        /* A host-side directory standing for "outside the root". */
        snprintf(hostdir, sizeof(hostdir), "%s/host", tmpdir);
        mkdir(hostdir, 0755);
        snprintf(hostfile, sizeof(hostfile), "%s/victim", hostdir);
        write_file_atomic(hostfile, "original", 8, 0644, NULL);

        {
                const struct ent ents[] = { { "/etc/x", 'f', "x", 0 } };
                ok(unpack_ents("abs", ents, 1, &dest, msg) == -EINVAL && strstr(msg, "`/etc/x`") &&
                   strstr(msg, "absolute"), "absolute path rejected, entry named");
                free(dest);
        }
        {
                const struct ent ents[] = { { "a/", 'd', NULL, 0 }, { "a/../../x", 'f', "x", 0 } };
                ok(unpack_ents("dotdot", ents, 2, &dest, msg) == -EINVAL && strstr(msg, "a/../../x"),
                   "`..` rejected");
                free(dest);
        }
        {
                /* evil -> /etc, then evil/<name>: lands in <root>/etc, never the host's /etc. */
                const struct ent ents[] = { { "etc/", 'd', NULL, 0 },
                                            { "evil", 'l', "/etc", 0 },
                                            { "evil/containerctl-test-escape", 'f', "pwned", 0 } };
                ok(unpack_ents("evil", ents, 3, &dest, msg) == 0, "symlink to /etc then file below it");
                is_str(data = read_text(dest, "etc/containerctl-test-escape"), "pwned",
                       "the write landed in <root>/etc");
                ok(lstat("/etc/containerctl-test-escape", &st) < 0 && errno == ENOENT,
                   "host /etc untouched");
                unlink("/etc/containerctl-test-escape");
                free(data);
                free(dest);
        }
        {
                /* The same through a relative chain climbing out: l1 -> l2 -> ../../../.. + host dir */
                const struct ent ents[] = { { "l2", 'l', "../../../../../../..", 0 },
                                            { "l1", 'l', "l2", 0 },
                                            { "l3", 'l', NULL, 0 },
                                            { "l3/victim", 'f', "pwned", 0 } };
                struct ent e2[4];
                memcpy(e2, ents, sizeof(e2));
                snprintf(hostname_rel, sizeof(hostname_rel), "l1%s", hostdir);
                e2[2].data = hostname_rel; /* l3 -> l1/<tmpdir>/host */
                ok(unpack_ents("chain", e2, 4, &dest, msg) < 0, "symlink chain out of the root fails (%s)", msg);
                is_str(data = read_text(hostdir, "victim"), "original", "host file untouched by chain");
                free(data);
                free(dest);
        }
        {
                /* A symlink in place, then a regular file of the same name: replaced, not followed. */
                const struct ent ents[] = { { "f", 'l', hostfile, 0 }, { "f", 'f', "new", 0 } };
                ok(unpack_ents("replace", ents, 2, &dest, msg) == 0, "file replaces symlink");
                ok(lstat_in(dest, "f", &st) == 0 && S_ISREG(st.st_mode), "now a regular file");
                is_str(data = read_text(hostdir, "victim"), "original", "symlink target untouched");
                free(data);
                free(dest);
        }
        {
                const struct ent ents[] = { { "d", 'l', hostdir, 0 }, { "d/", 'd', NULL, 0700 },
                                            { "d/victim", 'f', "pwned", 0 } };
                ok(unpack_ents("dirrepl", ents, 3, &dest, msg) == 0, "dir replaces symlink");
                ok(lstat_in(dest, "d", &st) == 0 && S_ISDIR(st.st_mode), "now a directory");
                is_str(data = read_text(hostdir, "victim"), "original", "host dir untouched");
                free(data);
                free(dest);
        }
        {
                /* The parent cache must not outlive a replacement: "l" -> "." puts
                 * l/a in the root; then "l" becomes a file and "l/b" must fail
                 * exactly as without the cache. */
                const struct ent ents[] = { { "l", 'l', ".", 0 }, { "l/a", 'f', "a", 0 },
                                            { "l/l", 'f', "now a file", 0 }, { "l/b", 'f', "b", 0 } };
                ok(unpack_ents("cache", ents, 4, &dest, msg) == -ENOTDIR && strstr(msg, "l/b"),
                   "replaced parent is resolved again: %s", msg);
                ok(lstat_in(dest, "b", &st) < 0, "nothing written through the stale parent");
                free(dest);
        }
        {
                const struct ent ents[] = { { "h", 'h', "/etc/passwd", 0 } };
                ok(unpack_ents("hl-abs", ents, 1, &dest, msg) == -EINVAL && strstr(msg, "hardlink target"),
                   "hardlink to /etc/passwd rejected");
                free(dest);
        }
        {
                const struct ent ents[] = { { "h", 'h', "../../../../etc/passwd", 0 } };
                ok(unpack_ents("hl-dotdot", ents, 1, &dest, msg) == -EINVAL, "hardlink with `..` rejected");
                free(dest);
        }
        {
                /* Through an in-root symlink to /etc: must resolve inside (or fail). */
                const struct ent ents[] = { { "etc/passwd", 'f', "inside", 0 }, { "evil", 'l', "/etc", 0 },
                                            { "h", 'h', "evil/passwd", 0 } };
                ok(unpack_ents("hl-evil", ents, 3, &dest, msg) == 0, "hardlink via symlink resolves in root");
                is_str(data = read_text(dest, "h"), "inside", "hardlink points at <root>/etc/passwd");
                free(data);
                free(dest);
        }
        {
                const struct ent ents[] = { { "evil", 'l', "/etc", 0 }, { "h", 'h', "evil/passwd", 0 } };
                ok(unpack_ents("hl-evil2", ents, 2, &dest, msg) == -ENOENT,
                   "hardlink via symlink to a missing in-root file fails");
                free(dest);
        }
        {
                const struct ent ents[] = { { "d/", 'd', NULL, 0 }, { "h", 'h', "d", 0 } };
                ok(unpack_ents("hl-dir", ents, 2, &dest, msg) == -EINVAL && strstr(msg, "not a regular file"),
                   "hardlink to a directory rejected");
                free(dest);
        }
        {
                const struct ent ents[] = { { "s", 'l', hostfile, 0 }, { "h", 'h', "s", 0 } };
                ok(unpack_ents("hl-sym", ents, 2, &dest, msg) == -EINVAL, "hardlink to a symlink rejected");
                free(dest);
        }
        {
                char deep[2 * 260 + 4] = "";
                for (int i = 0; i < 257; i++)
                        strcat(deep, "d/");
                strcat(deep, "f");
                const struct ent ents[] = { { deep, 'f', "x", 0 } };
                ok(unpack_ents("deep", ents, 1, &dest, msg) == -EINVAL && strstr(msg, "too deep"),
                   "too deep rejected");
                free(dest);
        }
        {
                const struct ent ents[] = { { "", 'f', "x", 0 } };
                ok(unpack_ents("emptyname", ents, 1, &dest, msg) < 0, "empty name rejected (%s)", msg);
                free(dest);
        }
        {
                const struct ent ents[] = { { "./", 'f', "x", 0 } };
                ok(unpack_ents("rootfile", ents, 1, &dest, msg) == -EINVAL, "file naming the root rejected");
                free(dest);
        }
}

/* A failure on either side of the reader thread ends the unpack at once,
 * with the right error, and leaves no fd and no thread. */
static void
test_unpack_failures(void)
{
        _cleanup_free_ char *big = tpath("big.tar"), *biggz = tpath("big.gz"), *bad = tpath("bad.tar"),
                            *badgz = tpath("bad.gz"), *badzst = tpath("bad.zst"), *tbig = tpath("tbig.gz"),
                            *cbig = tpath("cbig.zst"), *data = NULL;
        int fds, threads;
        size_t len = 0;
        struct stat st;

        /* 24 MiB of tar, entry 2 hostile. */
        write_big_tar(big, 384, 64 * 1024, NULL);
        write_big_tar(bad, 384, 64 * 1024, "x/../../escape");
        compress_file(big, biggz, F_GZIP);
        compress_file(bad, badgz, F_GZIP);
        compress_file(bad, badzst, F_ZSTD);
        read_file_full(biggz, 1 << 30, &data, &len, NULL);
        write_file_atomic(tbig, data, len * 3 / 5, 0644, NULL);
        free(data);
        data = NULL;
        compress_file(big, cbig, F_ZSTD);
        read_file_full(cbig, 1 << 30, &data, &len, NULL);
        write_file_atomic(cbig, data, len * 3 / 5, 0644, NULL);

        fds = count_fds();
        threads = count_threads();
        {
                const char *blobs[] = { bad, badgz, badzst };
                for (size_t i = 0; i < ARRAY_SIZE(blobs); i++) {
                        _cleanup_error_ struct ctr_error *e = NULL;
                        _cleanup_free_ char *dest = fresh_dest("fail-w");
                        struct image_unpack_result res;
                        struct progress prog = { 0 };
                        double t0 = now_s(), dt;
                        int r = image_unpack_layer(blobs[i], dest, NULL, progress_cb, &prog, &res, &e);

                        dt = now_s() - t0;
                        stat(blobs[i], &st);
                        ok(r == -EINVAL && e && strstr(e->message, "entry `x/../../escape`"),
                           "writer-side failure names the entry: %s", e ? e->message : "");
                        ok(prog.done < (uint64_t) st.st_size / 2,
                           "reader stopped early: read %llu of %llu bytes in %.3f s",
                           (unsigned long long) prog.done, (unsigned long long) st.st_size, dt);
                        is_int(count_fds(), fds, "no fd left after a writer-side failure");
                        is_int(count_threads(), threads, "no thread left after a writer-side failure");
                        rm_rf(dest, NULL);
                }
        }
        {
                const char *blobs[] = { tbig, cbig };
                const char *want[] = { "gzip: unexpected end of file", "zstd: unexpected end of file" };
                for (size_t i = 0; i < ARRAY_SIZE(blobs); i++) {
                        _cleanup_error_ struct ctr_error *e = NULL;
                        _cleanup_free_ char *dest = fresh_dest("fail-r");
                        struct image_unpack_result res;
                        int r = image_unpack_layer(blobs[i], dest, NULL, NULL, NULL, &res, &e);

                        ok(r == -EBADMSG && e && strstr(e->message, want[i]) && strstr(e->message, blobs[i]),
                           "reader-side failure mid-stream: %s", e ? e->message : "");
                        is_int(count_fds(), fds, "no fd left after a reader-side failure");
                        is_int(count_threads(), threads, "no thread left after a reader-side failure");
                        rm_rf(dest, NULL);
                }
        }
        if (!is_root) {
                _cleanup_error_ struct ctr_error *e = NULL;
                _cleanup_free_ char *dest = fresh_dest("fail-perm");
                struct image_unpack_result res;
                chmod(big, 0);
                ok(image_unpack_layer(big, dest, NULL, NULL, NULL, &res, &e) == -EACCES && e,
                   "unreadable blob: %s", e ? e->message : "");
                chmod(big, 0644);
                is_int(count_fds(), fds, "no fd left after an unreadable blob");
        }
        {
                /* The consumer fails at its first entry, the reader
                 * still filling the ring: a file where d0/ must go. */
                _cleanup_error_ struct ctr_error *e = NULL;
                _cleanup_free_ char *dest = fresh_dest("fail-dest"), *d0 = path_join(dest, "d0");
                struct image_unpack_result res;
                write_file_atomic(d0, "", 0, 0644, NULL);
                int r = image_unpack_layer(biggz, dest, NULL, NULL, NULL, &res, &e);
                ok(r == -ENOTDIR && e && strstr(e->message, "entry `d0/f0`"), "failure in dest: %s",
                   e ? e->message : "");
                is_int(count_fds(), fds, "no fd left after a dest failure");
                is_int(count_threads(), threads, "no thread left after a dest failure");
        }
}

/* UNPACK_BENCH_BLOB: time one unpack (bench/, not a test). */
static int
bench(const char *blob)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        const char *dir = getenv("UNPACK_BENCH_DIR");
        char tmpl[] = "/tmp/unpack-bench-XXXXXX";
        struct image_unpack_result res;
        double t0;
        int r;

        if (!dir) {
                dir = mkdtemp(tmpl);
                if (!dir)
                        return 1;
        }
        t0 = now_s();
        r = image_unpack_layer(blob, dir, NULL, NULL, NULL, &res, &e);
        printf("unpack %s: %s in %.3f s\n", blob, r < 0 ? (e ? e->message : "failed") : "ok", now_s() - t0);
        if (r >= 0)
                printf("blob %s (%llu bytes)\ndiff_id %s\nfiles %llu bytes\n", res.blob_digest,
                       (unsigned long long) res.blob_size, res.diff_id, (unsigned long long) res.size);
        if (!getenv("UNPACK_BENCH_DIR")) {
                t0 = now_s();
                rm_rf(dir, NULL);
                printf("rm -rf %.3f s\n", now_s() - t0);
        }
        return r < 0;
}

/* Runs one test function, noting its time (syncfs and file creation on
 * a busy disk make some of them slow; this shows which). */
#define RUN(f)                                                                 \
        do {                                                                   \
                double _t0 = now_s();                                          \
                f();                                                           \
                printf("# %s: %.2f s\n", #f, now_s() - _t0);                  \
        } while (0)

int
main(void)
{
        const char *b = getenv("UNPACK_BENCH_BLOB");

        if (b && *b)
                return bench(b);
        is_root = geteuid() == 0;
        /* tmpfs where there is one: every unpack ends with syncfs(), which
         * on a disk also flushes the test's own big archives. Same
         * semantics otherwise (xattrs, whiteouts, openat2). */
        snprintf(tmpdir, sizeof(tmpdir), "%s/test-image-unpack-XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(tmpdir))
                return 1;
        RUN(test_sha256);
        RUN(test_paths);
        RUN(test_unpack_basic);
        RUN(test_unpack_threads);
        RUN(test_unpack_xattrs);
        RUN(test_unpack_meta);
        RUN(test_unpack_compressions);
        RUN(test_unpack_verify);
        RUN(test_unpack_whiteouts);
        RUN(test_unpack_hostile_whiteouts);
        RUN(test_unpack_not_tar);
        RUN(test_unpack_hostile);
        RUN(test_unpack_failures);
        rm_rf(tmpdir, NULL);
        return tap_done();
}
