/* Unit tests for daemon/image/: SHA-256 vectors, entry name checks,
 * references, the unpacker against hostile archives built here with
 * libarchive's writer, and the image store in a temp dir. Root is not
 * needed (ownership is then not restored); as root, device nodes are also
 * tested. No test writes outside its temp dir even if the unpacker is
 * broken: escape targets are unique names that are checked and removed. */
#include <archive.h>
#include <archive_entry.h>
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
#include <unistd.h>

#include "common/error.h"
#include "common/fs-util.h"
#include "daemon/image/archive-path.h"
#include "daemon/image/image.h"
#include "daemon/image/sha256.h"
#include "tests/unit/tap.h"

static char tmpdir[64];

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

static void
test_refs(void)
{
        static const char *good[] = { "busybox", "busybox:1.36", "library/busybox", "a-b__c.d_e",
                                      "registry.example.com:5000/x/y:v1", "localhost/foo", "a:_x" };
        static const char *bad[] = { "", "Busybox", "-a", "a-", "a..b", "a___b", "a:", "a:-x", "a@sha256:00",
                                     "a//b", "/a", "a/", "a:b:c", "a b" };
        char *n = NULL, *t = NULL;

        for (size_t i = 0; i < ARRAY_SIZE(good); i++)
                ok(image_parse_ref(good[i], NULL, NULL, NULL) == 0, "ref `%s` valid", good[i]);
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                ok(image_parse_ref(bad[i], NULL, NULL, NULL) == -EINVAL, "ref `%s` invalid", bad[i]);
        ok(image_parse_ref("localhost:5000/x", &n, &t, NULL) == 0 && strcmp(n, "localhost:5000/x") == 0 &&
           strcmp(t, "latest") == 0, "registry port is not a tag; default tag latest");
        free(n);
        free(t);
}

/* ---- archive building ---- */

struct ent {
        const char *path;
        char type;           /* f file, d dir, l symlink, h hardlink, p fifo, c chardev */
        const char *data;    /* file content, symlink or hardlink target */
        unsigned mode;
};

static int
write_tar(const char *path, const struct ent *ents, size_t n, bool gzip, bool zip)
{
        struct archive *a = archive_write_new();
        int r = 0;

        if (zip)
                archive_write_set_format_zip(a);
        else
                archive_write_set_format_pax_restricted(a);
        if (gzip)
                archive_write_add_filter_gzip(a);
        if (archive_write_open_filename(a, path) != ARCHIVE_OK)
                return -1;
        for (size_t i = 0; i < n; i++) {
                struct archive_entry *e = archive_entry_new();
                size_t len = 0;

                archive_entry_set_pathname(e, ents[i].path);
                archive_entry_set_perm(e, ents[i].mode ? ents[i].mode : 0644);
                archive_entry_set_mtime(e, 1000000000, 0);
                archive_entry_set_uid(e, 0);
                archive_entry_set_gid(e, 0);
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

/* Unpacks ents as an archive into a fresh dir; returns the unpack result
 * and leaves the message (if any) in msg. */
static int
unpack_ents(const char *name, const struct ent *ents, size_t n, char **ret_dest, char msg[static 512])
{
        _cleanup_error_ struct ctr_error *e = NULL;
        _cleanup_free_ char *tar = NULL, *tarname = NULL;
        char digest[7 + ID_HEX_LEN + 1];
        uint64_t size;
        int r;

        if (asprintf(&tarname, "%s.tar", name) < 0)
                return -ENOMEM;
        tar = tpath(tarname);
        if (write_tar(tar, ents, n, false, false) < 0)
                return -EIO;
        *ret_dest = fresh_dest(name);
        r = image_unpack_tarball(tar, *ret_dest, NULL, NULL, digest, &size, &e);
        snprintf(msg, 512, "%s", e ? e->message : "");
        if (r < 0)
                printf("# %s: %s\n", name, msg);
        return r;
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

struct progress {
        uint64_t done, total;
        int calls;
};

static void
progress_cb(uint64_t done, uint64_t total, void *userdata)
{
        struct progress *p = userdata;

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
        };
        _cleanup_error_ struct ctr_error *e = NULL;
        _cleanup_free_ char *tar = tpath("basic.tar"), *dest = fresh_dest("basic"), *data = NULL,
                            *file = NULL;
        char digest[7 + ID_HEX_LEN + 1], hex[SHA256_HEX_SIZE], link[64];
        struct progress prog = { 0 };
        struct stat st, st2;
        size_t len = 0;
        uint64_t size = 0;
        ssize_t n;

        ok(write_tar(tar, ents, ARRAY_SIZE(ents), false, false) == 0, "write basic tar");
        is_int(image_unpack_tarball(tar, dest, progress_cb, &prog, digest, &size, &e), 0, "unpack basic tar");
        if (e)
                printf("# %s\n", e->message);
        read_file_full(tar, 1 << 24, &file, &len, NULL);
        ok(strncmp(digest, "sha256:", 7) == 0 && strcmp(digest + 7, hash_hex(file, len, hex)) == 0,
           "digest is the sha256 of the whole file");
        ok(prog.calls >= 1 && prog.done == len && prog.total == len, "progress reached the file size");
        is_int(size, 10, "size is the sum of file sizes");
        is_str(data = read_text(dest, "a/f"), "hello\n", "file content");
        ok(lstat_in(dest, "a/f", &st) == 0 && (st.st_mode & 07777) == 04755, "setuid mode kept");
        ok(lstat_in(dest, "a/f", &st) == 0 && st.st_mtime == 1000000000, "file mtime");
        ok(lstat_in(dest, "a/g", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0, "empty file");
        ok(lstat_in(dest, "a", &st) == 0 && (st.st_mode & 07777) == 0700 && st.st_mtime == 1000000000,
           "dir mode and mtime (set at the end)");
        ok(lstat_in(dest, ".", &st) == 0 && (st.st_mode & 07777) == 0750, "root entry `./` applies to dest");
        ok(lstat_in(dest, "tmp", &st) == 0 && (st.st_mode & 07777) == 01777, "sticky tmp");
        {
                _cleanup_free_ char *p = path_join(dest, "a/abs");
                n = readlink(p, link, sizeof(link) - 1);
                ok(n > 0 && (link[n] = 0, strcmp(link, "/etc/passwd") == 0), "symlink target verbatim");
        }
        ok(lstat_in(dest, "a/h", &st) == 0 && lstat_in(dest, "a/f", &st2) == 0 && st.st_ino == st2.st_ino,
           "hardlink shares the inode");
        free(data);
        is_str(data = read_text(dest, "x/y/z"), "deep", "missing parents are created");
        ok(lstat_in(dest, "x/y", &st) == 0 && (st.st_mode & 07777) == 0755, "created parents are 0755");
        ok(lstat_in(dest, "a/fifo", &st) == 0 && S_ISFIFO(st.st_mode), "fifo");
        free(data);
        data = NULL;

        if (geteuid() == 0) {
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
        if (geteuid() == 0)
                ok(getxattr(p, "trusted.overlay.opaque", val, sizeof(val)) < 0 && errno == ENODATA,
                   "trusted.overlay.* xattr not restored");
}

struct job {
        const char *tar;
        char *dest;
        char digest[7 + ID_HEX_LEN + 1];
        int r;
};

static void *
unpack_thread(void *userdata)
{
        struct job *j = userdata;
        struct ctr_error *e = NULL;
        uint64_t size;

        j->r = image_unpack_tarball(j->tar, j->dest, NULL, NULL, j->digest, &size, &e);
        ctr_error_free(e);
        return NULL;
}

/* Worker threads: several unpacks at once, no shared state. */
static void
test_unpack_threads(void)
{
        _cleanup_free_ char *tar = tpath("basic.tar");
        struct job jobs[4];
        pthread_t t[4];
        bool all = true;

        for (int i = 0; i < 4; i++) {
                char name[16];
                snprintf(name, sizeof(name), "thr%d", i);
                jobs[i] = (struct job) { .tar = tar, .dest = fresh_dest(name) };
                pthread_create(&t[i], NULL, unpack_thread, &jobs[i]);
        }
        for (int i = 0; i < 4; i++) {
                pthread_join(t[i], NULL);
                all = all && jobs[i].r == 0 && strcmp(jobs[i].digest, jobs[0].digest) == 0;
                free(jobs[i].dest);
        }
        ok(all, "4 parallel unpacks succeed with the same digest");
}

static void
test_unpack_gzip(void)
{
        static const struct ent ents[] = { { "f", 'f', "gz", 0644 } };
        _cleanup_error_ struct ctr_error *e = NULL;
        _cleanup_free_ char *tar = tpath("gz.tar.gz"), *dest = fresh_dest("gz"), *data = NULL;
        char digest[7 + ID_HEX_LEN + 1];
        uint64_t size;

        ok(write_tar(tar, ents, 1, true, false) == 0, "write gzip tar");
        is_int(image_unpack_tarball(tar, dest, NULL, NULL, digest, &size, &e), 0, "unpack .tar.gz");
        is_str(data = read_text(dest, "f"), "gz", "gzip content");
}

static void
test_unpack_not_tar(void)
{
        static const struct ent ents[] = { { "f", 'f', "zip", 0644 } };
        _cleanup_free_ char *junk = tpath("junk.bin"), *zip = tpath("x.zip"), *dest = fresh_dest("nt"),
                            *empty = tpath("empty.tar");
        char digest[7 + ID_HEX_LEN + 1];
        uint64_t size;
        char buf[4096];

        for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = (char) (i * 7 + 3);
        write_file_atomic(junk, buf, sizeof(buf), 0644, NULL);
        {
                _cleanup_error_ struct ctr_error *e = NULL;
                int r = image_unpack_tarball(junk, dest, NULL, NULL, digest, &size, &e);
                ok(r < 0 && e && strstr(e->message, "is not a tar archive"), "junk: %s", e ? e->message : "");
        }
        write_tar(zip, ents, 1, false, true);
        {
                _cleanup_error_ struct ctr_error *e = NULL;
                int r = image_unpack_tarball(zip, dest, NULL, NULL, digest, &size, &e);
                ok(r < 0 && e && strstr(e->message, "is not a tar archive"), "zip: %s", e ? e->message : "");
        }
        write_file_atomic(empty, "", 0, 0644, NULL);
        {
                _cleanup_error_ struct ctr_error *e = NULL;
                int r = image_unpack_tarball(empty, dest, NULL, NULL, digest, &size, &e);
                ok(r < 0 && e, "empty file: %s", e ? e->message : "");
        }
        {
                _cleanup_error_ struct ctr_error *e = NULL;
                int r = image_unpack_tarball("/nonexistent.tar", dest, NULL, NULL, digest, &size, &e);
                ok(r == -ENOENT && e, "missing file: %s", e ? e->message : "");
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

static const char *
ida_of(const char *digest)
{
        return digest + 7;
}

static void
test_store(void)
{
        static const struct ent a[] = { { "bin/", 'd', NULL, 0 }, { "bin/sh", 'f', "A", 0755 } };
        static const struct ent b[] = { { "bin/", 'd', NULL, 0 }, { "bin/sh", 'f', "BB", 0755 } };
        _cleanup_error_ struct ctr_error *e = NULL;
        _cleanup_free_ char *root = tpath("store"), *ta = tpath("a.tar"), *tb = tpath("b.tar"),
                            *leftover = NULL;
        struct image_store *s = NULL;
        const struct image *img = NULL, *img2 = NULL, *found = NULL;
        char da[7 + ID_HEX_LEN + 1], db[7 + ID_HEX_LEN + 1], ida[ID_HEX_LEN + 1], prefix[8];
        char *staging = NULL, *trash = NULL;
        uint64_t size;
        struct stat st;
        json_t *j;

        write_tar(ta, a, 2, false, false);
        write_tar(tb, b, 2, false, false);
        is_int(image_store_open(root, &s, &e), 0, "open store");

        ok(image_store_new_staging_dir(s, &staging, &e) == 0 && strstr(staging, "/images/.tmp-"), "staging dir");
        ok(stat(staging, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0755, "staging is an empty 0755 dir");
        is_int(image_unpack_tarball(ta, staging, NULL, NULL, da, &size, &e), 0, "unpack a");
        is_int(image_store_commit(s, staging, da, size, "busybox", NULL, &img, &e), 0, "commit a as busybox");
        ok(stat(staging, &st) < 0, "staging renamed away");
        {
                _cleanup_free_ char *rec = path_join(root, "images");
                char *p2 = NULL;
                asprintf(&p2, "%s/%s/image.json", rec, ida_of(da));
                ok(p2 && stat(p2, &st) == 0 && (st.st_mode & 0777) == 0600, "record image.json next to rootfs");
                free(p2);
        }
        free(staging);
        memcpy(ida, da + 7, sizeof(ida));
        ok(img && strcmp(img->id, ida) == 0 && strcmp(img->tag, "latest") == 0 && img->size == 1, "record");
        {
                _cleanup_free_ char *sh = path_join(img->rootfs, "bin/sh");
                ok(stat(sh, &st) == 0, "rootfs path points at the tree");
        }
        ok(image_store_lookup(s, "busybox", &found, &e) == 0 && found == img, "lookup by name");
        ok(image_store_lookup(s, "busybox:latest", &found, &e) == 0 && found == img, "lookup name:tag");
        ok(image_store_lookup(s, ida, &found, &e) == 0 && found == img, "lookup by id");
        ok(image_store_lookup(s, da, &found, &e) == 0 && found == img, "lookup by sha256:id");
        snprintf(prefix, sizeof(prefix), "%.6s", ida);
        ok(image_store_lookup(s, prefix, &found, &e) == 0 && found == img, "lookup by id prefix");
        ctr_error_free(e);
        e = NULL;
        ok(image_store_lookup(s, "busybox:other", &found, &e) == -ENOENT && e, "unknown tag: ENOENT");
        ctr_error_free(e);
        e = NULL;

        /* Same content again with another tag: staging removed, ref added. */
        image_store_new_staging_dir(s, &staging, &e);
        image_unpack_tarball(ta, staging, NULL, NULL, da, &size, &e);
        ok(image_store_commit(s, staging, da, size, "busybox", "1.0", &img2, &e) == 0 && img2 == img &&
           stat(staging, &st) < 0 && image_store_count(s) == 1, "same digest: staging removed");
        free(staging);
        ok(img->n_refs == 2 && strcmp(img->name, "busybox") == 0 && strcmp(img->tag, "latest") == 0,
           "same digest under a second name: ref added, first name kept");
        ok(image_store_lookup(s, "busybox:1.0", &found, &e) == 0 && found == img, "lookup second ref");
        ok(image_store_lookup(s, "busybox:latest", &found, &e) == 0 && found == img, "lookup first ref");
        ok(image_store_find_ref(s, "busybox", "1.0") == img && !image_store_find_ref(s, "busybox", "2"),
           "find_ref");
        is_int(image_store_tag(s, ida, "busybox", "1.0", &e), 0, "tag again: no-op");
        is_int(img->n_refs, 2, "no duplicate ref");
        j = image_to_json(img);
        ok(json_array_size(json_object_get(j, "refs")) == 2 &&
           strcmp(json_string_value(json_array_get(json_object_get(j, "refs"), 1)), "busybox:1.0") == 0 &&
           strcmp(json_string_value(json_object_get(j, "ref")), "busybox:latest") == 0, "refs in JSON");
        json_decref(j);

        /* Another image takes busybox:1.0: it moves, a keeps its other name. */
        image_store_new_staging_dir(s, &staging, &e);
        image_unpack_tarball(tb, staging, NULL, NULL, db, &size, &e);
        ok(image_store_commit(s, staging, db, size, "busybox", "1.0", &img2, &e) == 0 && img2 != img,
           "commit b as busybox:1.0");
        free(staging);
        ok(img->n_refs == 1 && strcmp(img->tag, "latest") == 0 && img2->n_refs == 1 &&
           strcmp(img2->tag, "1.0") == 0, "ref moved from a to b");
        ok(image_store_lookup(s, "busybox:1.0", &found, &e) == 0 && found == img2, "lookup moved ref");

        /* Moving a's last name leaves it dangling. */
        is_int(image_store_tag(s, db + 7, "busybox", NULL, &e), 0, "tag b busybox (latest)");
        ok(image_store_count(s) == 2 && img->n_refs == 0 && img->name == NULL && img->tag == NULL,
           "a is dangling");
        ok(img2->n_refs == 2 && strcmp(img2->name, "busybox") == 0 && strcmp(img2->tag, "1.0") == 0,
           "b keeps its first ref first");
        ok(image_store_tag(s, db + 7, "Bad", "x", &e) == -EINVAL, "tag with a bad name refused");
        ok(image_store_tag(s, "0123", "x", "1", &e) == -ENOENT, "tag of an unknown id: ENOENT");
        j = image_to_json(img);
        is_str(json_string_value(json_object_get(j, "ref")), "<none>:<none>", "dangling ref in JSON");
        ok(json_array_size(json_object_get(j, "refs")) == 0, "dangling: empty refs");
        json_decref(j);

        /* Untag: the image stays; its last ref leaves it dangling. */
        is_int(image_store_tag(s, db + 7, "second", "1", &e), 0, "tag b second:1");
        is_int(image_store_untag(s, "busybox", "1.0", &e), 0, "untag busybox:1.0");
        ok(img2->n_refs == 2 && strcmp(img2->tag, "latest") == 0 && image_store_count(s) == 2 &&
           image_store_lookup(s, "busybox:1.0", &found, NULL) == -ENOENT, "untagged, first ref now busybox:latest");
        ok(image_store_untag(s, "busybox", "1.0", &e) == -ENOENT, "untag again: ENOENT");
        is_int(image_store_untag(s, "second", "1", &e), 0, "untag second:1");
        is_int(image_store_untag(s, "busybox", NULL, &e), 0, "untag busybox (latest), the last ref");
        ok(img2->n_refs == 0 && image_store_count(s) == 2, "b dangling, still stored");
        is_int(image_store_tag(s, db + 7, "busybox", "1.0", &e), 0, "retag b busybox:1.0");

        j = image_to_json(img2);
        is_str(json_string_value(json_object_get(j, "ref")), "busybox:1.0", "ref in JSON");
        ok(json_is_integer(json_object_get(j, "size")) && json_is_string(json_object_get(j, "created")) &&
           strlen(json_string_value(json_object_get(j, "id"))) == 64, "JSON fields");
        json_decref(j);
        ok(image_store_commit(s, "/tmp", db, size, "x", NULL, NULL, &e) == -EINVAL, "commit of a foreign dir refused");
        ctr_error_free(e);
        e = NULL;
        image_store_new_staging_dir(s, &staging, &e);
        ok(image_store_commit(s, staging, db, size, "Bad Name", NULL, NULL, &e) == -EINVAL && stat(staging, &st) == 0,
           "invalid name refused, staging left in place");
        free(staging);
        ctr_error_free(e);
        e = NULL;

        /* A crash leftover, then reopen. */
        leftover = path_join(root, "images/.tmp-crashed");
        mkdir(leftover, 0700);
        image_store_free(s);
        s = NULL;
        is_int(image_store_open(root, &s, &e), 0, "reopen store");
        ok(stat(leftover, &st) < 0 && errno == ENOENT, "leftover .tmp-* removed at open");
        is_int(image_store_count(s), 2, "both images loaded");
        ok(image_store_lookup(s, "busybox:1.0", &found, &e) == 0 && strcmp(found->id, db + 7) == 0,
           "tag persisted");
        ok(image_store_lookup(s, ida, &found, &e) == 0 && found->name == NULL && found->n_refs == 0,
           "dangling persisted");
        ok(found->config && json_is_array(json_object_get(found->config, "Cmd")), "config persisted");

        ok(image_store_remove_detach(s, ida, &trash, &e) == 0 && image_store_count(s) == 1 &&
           strstr(trash, "/.tmp-rm-"), "remove detach");
        ok(image_store_remove_tree(trash, &e) == 0 && stat(trash, &st) < 0, "remove tree");
        free(trash);
        is_int(image_store_remove(s, db + 7, &e), 0, "remove b");
        is_int(image_store_count(s), 0, "store empty");
        ok(image_store_remove(s, db + 7, &e) == -ENOENT, "remove again: ENOENT");
        image_store_free(s);
        s = NULL;
        ctr_error_free(e);
        e = NULL;
        ok(image_store_open(root, &s, &e) == 0 && image_store_count(s) == 0, "reopen: still empty");
        image_store_free(s);
}

/* Writes <root>/images/<64 x c>/image.json: {"id":"<id>",<rest>. */
static void
put_record(const char *root, char c, const char *rest)
{
        char id[ID_HEX_LEN + 1], *dir = NULL, *rootfs = NULL, *text = NULL, *path = NULL;

        memset(id, c, ID_HEX_LEN);
        id[ID_HEX_LEN] = '\0';
        if (asprintf(&dir, "%s/images/%s", root, id) < 0 || asprintf(&text, "{\"id\":\"%s\",%s", id, rest) < 0)
                abort();
        rootfs = path_join(dir, "rootfs");
        path = path_join(dir, "image.json");
        mkdir_p(rootfs, 0755, NULL);
        write_file_atomic(path, text, strlen(text), 0600, NULL);
        free(dir);
        free(rootfs);
        free(text);
        free(path);
}

static const char *
idc(char c)
{
        static char id[ID_HEX_LEN + 1];

        memset(id, c, ID_HEX_LEN);
        id[ID_HEX_LEN] = '\0';
        return id;
}

/* Records of the single-name format, several refs, and a ref left on two
 * images by a crash. */
static void
test_store_records(void)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        _cleanup_free_ char *root = tpath("store-records"), *rec3 = NULL, *rec1 = NULL;
        struct image_store *s = NULL;
        const struct image *img = NULL;

        put_record(root, '1', "\"name\":\"old\",\"tag\":\"v1\",\"created\":100,\"size\":5}");
        put_record(root, '2', "\"name\":null,\"tag\":null,\"created\":110,\"size\":5}");
        put_record(root, '3', "\"refs\":[\"dup:1\",\"x/y:2\",\"registry:5000/z:3\"],"
                              "\"created\":200,\"updated\":300,\"size\":5}");
        put_record(root, '4', "\"refs\":[\"dup:1\"],\"created\":250,\"updated\":400,\"size\":5}");
        put_record(root, '5', "\"refs\":[\"Bad Ref\"],\"created\":1,\"size\":5}");
        put_record(root, '6', "\"name\":\"half\",\"created\":1,\"size\":5}");
        put_record(root, '7', "\"refs\":[1],\"created\":1,\"size\":5}");

        is_int(image_store_open(root, &s, &e), 0, "open store of hand-written records");
        is_int(image_store_count(s), 4, "invalid records skipped");
        ok(image_store_lookup(s, "old:v1", &img, NULL) == 0 && strcmp(img->id, idc('1')) == 0 &&
           img->n_refs == 1 && strcmp(img->name, "old") == 0 && img->updated_ns == 100,
           "old single-name record loads");
        ok(image_store_lookup(s, idc('2'), &img, NULL) == 0 && img->n_refs == 0 && !img->name,
           "old dangling record loads");
        ok(image_store_lookup(s, "dup:1", &img, NULL) == 0 && strcmp(img->id, idc('4')) == 0,
           "doubled ref: the most recently written record keeps it");
        ok(image_store_lookup(s, "x/y:2", &img, NULL) == 0 && strcmp(img->id, idc('3')) == 0 &&
           img->n_refs == 2 && strcmp(img->name, "x/y") == 0, "the other image loses only that ref");
        ok(image_store_lookup(s, "registry:5000/z:3", &img, NULL) == 0 && strcmp(img->id, idc('3')) == 0,
           "ref with a registry port");
        is_str(image_store_get(s, 0)->id, idc('1'), "listed by creation time");

        is_int(image_store_tag(s, idc('1'), "new", "v2", &e), 0, "tag the old-format image");
        image_store_free(s);
        s = NULL;

        rec3 = read_text(root, "images/3333333333333333333333333333333333333333333333333333333333333333/image.json");
        ok(rec3 && !strstr(rec3, "dup:1") && strstr(rec3, "\"refs\":[\"x/y:2\",\"registry:5000/z:3\"]"),
           "reconciled record rewritten");
        rec1 = read_text(root, "images/1111111111111111111111111111111111111111111111111111111111111111/image.json");
        ok(rec1 && strstr(rec1, "\"refs\":[\"old:v1\",\"new:v2\"]") && strstr(rec1, "\"name\":\"old\"") &&
           strstr(rec1, "\"tag\":\"v1\"") && strstr(rec1, "\"updated\":"),
           "rewritten in the new format, first ref also as name/tag");

        is_int(image_store_open(root, &s, &e), 0, "reopen");
        ok(image_store_lookup(s, "new:v2", &img, NULL) == 0 && strcmp(img->id, idc('1')) == 0 &&
           img->n_refs == 2, "refs persisted");
        ok(image_store_lookup(s, "dup:1", &img, NULL) == 0 && strcmp(img->id, idc('4')) == 0, "dup:1 stays");
        is_int(image_store_untag(s, "dup", "1", &e), 0, "untag the last ref of 4");
        ok(image_store_lookup(s, idc('4'), &img, NULL) == 0 && img->n_refs == 0, "4 dangling");
        is_int(image_store_remove(s, idc('4'), &e), 0, "delete 4");
        is_int(image_store_count(s), 3, "3 images left");
        image_store_free(s);
}

int
main(void)
{
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/test-image-XXXXXX");
        if (!mkdtemp(tmpdir))
                return 1;
        test_sha256();
        test_paths();
        test_refs();
        test_unpack_basic();
        test_unpack_threads();
        test_unpack_xattrs();
        test_unpack_gzip();
        test_unpack_not_tar();
        test_unpack_hostile();
        test_store();
        test_store_records();
        rm_rf(tmpdir, NULL);
        return tap_done();
}
