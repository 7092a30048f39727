/* Reading image sources other tools make (oci.h): OCI image layouts and
 * `docker save` trees. Every file is opened below the source directory with
 * openat2(RESOLVE_IN_ROOT), so a symlink in a hostile source resolves
 * inside it or finds nothing; small JSON blobs are read whole (at most
 * 4 MiB) and checked against their size and digest before they are parsed.
 * Layer blobs are only located and sized here (docker-save ones hashed):
 * nothing is unpacked. Runs in worker threads: no globals, no chdir. */
#include "daemon/image/oci.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/image/archive-path.h"
#include "daemon/image/sha256.h"

#define JSON_BLOB_MAX (4 * 1024 * 1024)
#define HASH_BUF_SIZE (1024 * 1024)
#define LABEL_SIZE 96

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar"
#define MT_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MT_DOCKER_LAYER_ZSTD "application/vnd.docker.image.rootfs.diff.tar.zstd"
#define ANNOTATION_REF_NAME "org.opencontainers.image.ref.name"
#define ANNOTATION_CONTAINERD_NAME "io.containerd.image.name"

static const struct {
        const char *media_type;
        enum image_compression compression;
} layer_types[] = {
        { "application/vnd.oci.image.layer.v1.tar", IMAGE_COMPRESSION_NONE },
        { "application/vnd.oci.image.layer.v1.tar+gzip", IMAGE_COMPRESSION_GZIP },
        { "application/vnd.oci.image.layer.v1.tar+zstd", IMAGE_COMPRESSION_ZSTD },
        { "application/vnd.oci.image.layer.nondistributable.v1.tar", IMAGE_COMPRESSION_NONE },
        { "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", IMAGE_COMPRESSION_GZIP },
        { "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", IMAGE_COMPRESSION_ZSTD },
        { MT_DOCKER_LAYER_GZIP, IMAGE_COMPRESSION_GZIP },
        { "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", IMAGE_COMPRESSION_GZIP },
        /* Not in the Docker v2.2 spec but written by buildah/podman
         * (uncompressed docker-format layers) and containerd (zstd). */
        { MT_DOCKER_LAYER, IMAGE_COMPRESSION_NONE },
        { MT_DOCKER_LAYER_ZSTD, IMAGE_COMPRESSION_ZSTD },
};

struct reader {
        const char *dir;   /* as given, for messages */
        const char *arch;
        int root_fd;
        char *root_real;   /* dir's canonical path: blob paths must be below it */
        struct oci_source *src;
        struct ctr_error **err;
};

/* A descriptor; strings are borrowed from the JSON holding it. */
struct desc {
        const char *media_type;
        const char *digest;
        int64_t size;
        json_t *obj;
};

const char *
oci_host_arch(void)
{
        /* The daemon runs containers of its own build's architecture. */
#if defined(__x86_64__)
        return "amd64";
#elif defined(__aarch64__)
        return "arm64";
#elif defined(__arm__)
        return "arm";
#elif defined(__i386__)
        return "386";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        return "ppc64le";
#elif defined(__powerpc64__)
        return "ppc64";
#elif defined(__s390x__)
        return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
        return "riscv64";
#elif defined(__loongarch64)
        return "loong64";
#elif defined(__mips64) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        return "mips64le";
#elif defined(__mips64)
        return "mips64";
#elif defined(__mips__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        return "mipsle";
#elif defined(__mips__)
        return "mips";
#else
        return "unknown";
#endif
}

/* "`dir`: <message>". */
static int _printf_(3, 4)
src_error(struct reader *r, int errnum, const char *fmt, ...)
{
        _cleanup_free_ char *m = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (n < 0)
                return ctr_error_msg(r->err, ENOMEM, "`%s`: out of memory", r->dir);
        return ctr_error_msg(r->err, errnum, "`%s`: %s", r->dir, m);
}

/* "`dir`: <message>: <strerror>". */
static int _printf_(3, 4)
src_error_sys(struct reader *r, int errnum, const char *fmt, ...)
{
        _cleanup_free_ char *m = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (n < 0)
                return ctr_error_msg(r->err, ENOMEM, "`%s`: out of memory", r->dir);
        return ctr_error_sys(r->err, errnum, "`%s`: %s", r->dir, m);
}

static bool
is_hex64(const char *s)
{
        size_t i;

        for (i = 0; i < ID_HEX_LEN; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return s[i] == 0;
}

/* An algorithm name as the OCI descriptor grammar allows it, to tell "not
 * sha256" from "garbage" in messages. */
static bool
looks_like_algorithm(const char *s, size_t len)
{
        if (len == 0 || len > 32)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
                      strchr("+._-", s[i])))
                        return false;
        return true;
}

/* Only "sha256:" + 64 lower-case hex digits: the hex part becomes a file
 * name below blobs/sha256, and the image id. */
static int
check_digest(struct reader *r, const char *ctx, const char *digest)
{
        const char *colon;

        if (!digest)
                return src_error(r, EINVAL, "%s: missing digest", ctx);
        if (strncmp(digest, "sha256:", 7) == 0 && is_hex64(digest + 7))
                return 0;
        colon = strchr(digest, ':');
        if (colon && strncmp(digest, "sha256:", 7) != 0 &&
            looks_like_algorithm(digest, (size_t) (colon - digest)))
                return src_error(r, ENOTSUP, "%s: unsupported digest algorithm `%.*s` (only sha256)",
                                 ctx, (int) (colon - digest), digest);
        return src_error(r, EINVAL, "%s: invalid digest `%.100s` (expected sha256:<64 lower-case hex digits>)",
                         ctx, digest);
}

/* "manifest sha256:0123456789ab..." for messages; digest already checked. */
static void
blob_label(char buf[static LABEL_SIZE], const char *kind, const char *digest)
{
        snprintf(buf, LABEL_SIZE, "%s %.19s...", kind, digest);
}

static int
openat2_in_root(int root_fd, const char *path, uint64_t flags)
{
        struct open_how how = {
                .flags = flags | O_CLOEXEC,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        long fd;

        for (int tries = 0; tries < 16; tries++) {
                fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
                if (fd >= 0)
                        return (int) fd;
                /* EAGAIN: a concurrent rename raced the resolution. */
                if (errno != EINTR && errno != EAGAIN)
                        break;
        }
        return -errno;
}

/* The canonical path of what fd is open on. */
static int
fd_path(int fd, char **ret)
{
        char proc[64], buf[PATH_MAX];
        ssize_t n;

        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        n = readlink(proc, buf, sizeof(buf));
        if (n < 0)
                return -errno;
        if ((size_t) n >= sizeof(buf) || buf[0] != '/')
                return -ENAMETOOLONG;
        buf[n] = 0;
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

static bool
exists_in_root(struct reader *r, const char *path)
{
        _cleanup_close_ int fd = openat2_in_root(r->root_fd, path, O_PATH);

        return fd >= 0;
}

/* Opens the regular file relpath below the source dir for reading. It is
 * resolved inside the dir (a symlink to /etc/passwd finds <dir>/etc/passwd)
 * and opened O_PATH first, so a fifo or device node in a hostile source is
 * never opened for real. ret_path (may be NULL) gets its canonical
 * absolute path, which the unpacker opens later. */
static int
open_file(struct reader *r, const char *label, const char *relpath, struct stat *ret_st,
          char **ret_path)
{
        _cleanup_close_ int pfd = -1, fd = -1;
        _cleanup_free_ char *path = NULL;
        char proc[64];
        struct stat st;
        size_t n;
        int k;

        pfd = openat2_in_root(r->root_fd, relpath, O_PATH);
        if (pfd == -ENOENT) {
                _cleanup_close_ int lfd = openat2_in_root(r->root_fd, relpath, O_PATH | O_NOFOLLOW);

                if (lfd >= 0 && fstat(lfd, &st) == 0 && S_ISLNK(st.st_mode))
                        return src_error(r, ENOENT, "%s: `%s` is a symlink to nothing inside the source",
                                         label, relpath);
                return src_error(r, ENOENT, "%s: `%s` is missing", label, relpath);
        }
        if (pfd < 0)
                return src_error_sys(r, -pfd, "%s: open `%s`", label, relpath);
        if (fstat(pfd, &st) < 0)
                return src_error_sys(r, errno, "%s: stat `%s`", label, relpath);
        if (!S_ISREG(st.st_mode))
                return src_error(r, EINVAL, "%s: `%s` is not a regular file", label, relpath);
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
        fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return src_error_sys(r, errno, "%s: open `%s`", label, relpath);
        if (ret_path) {
                k = fd_path(pfd, &path);
                if (k < 0)
                        return src_error_sys(r, -k, "%s: path of `%s`", label, relpath);
                /* Cannot fail after RESOLVE_IN_ROOT; checked because the
                 * caller hands this path to code that follows symlinks. */
                n = strlen(r->root_real);
                if (strncmp(path, r->root_real, n) != 0 || (path[n] != '/' && n > 1))
                        return src_error(r, EINVAL, "%s: `%s` is outside the source", label, relpath);
                *ret_path = TAKE_PTR(path);
        }
        *ret_st = st;
        return TAKE_FD(fd);
}

static int
read_retry(int fd, void *buf, size_t len)
{
        ssize_t n;

        do
                n = read(fd, buf, len);
        while (n < 0 && errno == EINTR);
        return n < 0 ? -errno : (int) n;
}

/* Reads a whole small file (at most JSON_BLOB_MAX bytes), NUL-terminated. */
static int
read_small(struct reader *r, const char *label, const char *relpath, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t cap, len = 0;
        struct stat st;
        int n;

        fd = open_file(r, label, relpath, &st, NULL);
        if (fd < 0)
                return fd;
        if (st.st_size > JSON_BLOB_MAX)
                return src_error(r, EFBIG, "%s: too large (%lld bytes, at most %d)", label,
                                 (long long) st.st_size, JSON_BLOB_MAX);
        cap = (size_t) st.st_size + 1;
        buf = malloc(cap + 1);
        if (!buf)
                return src_error(r, ENOMEM, "%s: out of memory", label);
        for (;;) {
                if (len == cap) {
                        char *nbuf;

                        /* The file grew since fstat(). */
                        if (cap > JSON_BLOB_MAX)
                                return src_error(r, EFBIG, "%s: too large (more than %d bytes)", label,
                                                 JSON_BLOB_MAX);
                        cap = cap * 2 > JSON_BLOB_MAX + 1 ? JSON_BLOB_MAX + 1 : cap * 2;
                        nbuf = realloc(buf, cap + 1);
                        if (!nbuf)
                                return src_error(r, ENOMEM, "%s: out of memory", label);
                        buf = nbuf;
                }
                n = read_retry(fd, buf + len, cap - len);
                if (n < 0)
                        return src_error_sys(r, -n, "%s: read `%s`", label, relpath);
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        if (len > JSON_BLOB_MAX)
                return src_error(r, EFBIG, "%s: too large (more than %d bytes)", label, JSON_BLOB_MAX);
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

static void
digest_of(const void *data, size_t len, char out[static IMAGE_DIGEST_LEN + 1])
{
        struct sha256_ctx c;
        uint8_t d[SHA256_DIGEST_SIZE];
        char hex[SHA256_HEX_SIZE];

        sha256_init(&c);
        sha256_update(&c, data, len);
        sha256_final(&c, d);
        snprintf(out, IMAGE_DIGEST_LEN + 1, "sha256:%s", sha256_to_hex(d, hex));
}

static int
parse_json(struct reader *r, const char *label, const char *buf, size_t len, json_t **ret)
{
        json_error_t jerr;
        json_t *j;

        /* Duplicate keys would let two readers see different images. */
        j = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
        if (!j)
                return src_error(r, EINVAL, "%s: invalid JSON: %s (line %d)", label, jerr.text, jerr.line);
        *ret = j;
        return 0;
}

static int
parse_json_object(struct reader *r, const char *label, const char *buf, size_t len, json_t **ret)
{
        _cleanup_(json_decrefp) json_t *j = NULL;
        int k;

        k = parse_json(r, label, buf, len, &j);
        if (k < 0)
                return k;
        if (!json_is_object(j))
                return src_error(r, EINVAL, "%s: not a JSON object", label);
        *ret = TAKE_PTR(j);
        return 0;
}

/* Reads blobs/sha256/<hex> (digest already checked), compares its size
 * (want_size >= 0) and digest, and parses it as a JSON object. */
static int
read_json_blob(struct reader *r, const char *label, const char *digest, int64_t want_size, json_t **ret)
{
        _cleanup_free_ char *buf = NULL;
        char path[sizeof("blobs/sha256/") + ID_HEX_LEN], got[IMAGE_DIGEST_LEN + 1];
        size_t len;
        int k;

        if (want_size > JSON_BLOB_MAX)
                return src_error(r, EFBIG, "%s: too large (%lld bytes, at most %d)", label,
                                 (long long) want_size, JSON_BLOB_MAX);
        snprintf(path, sizeof(path), "blobs/sha256/%s", digest + 7);
        k = read_small(r, label, path, &buf, &len);
        if (k < 0)
                return k;
        if (want_size >= 0 && (uint64_t) want_size != len)
                return src_error(r, EINVAL, "%s: size mismatch: descriptor says %lld bytes, blob has %zu",
                                 label, (long long) want_size, len);
        digest_of(buf, len, got);
        if (strcmp(got, digest) != 0)
                return src_error(r, EINVAL, "%s: digest mismatch: expected %s, got %s", label, digest, got);
        return parse_json_object(r, label, buf, len, ret);
}

static int
parse_desc(struct reader *r, const char *ctx, json_t *j, struct desc *ret)
{
        json_t *size;
        int k;

        if (!json_is_object(j))
                return src_error(r, EINVAL, "%s: descriptor is not a JSON object", ctx);
        ret->obj = j;
        ret->media_type = json_string_value(json_object_get(j, "mediaType"));
        if (!ret->media_type)
                return src_error(r, EINVAL, "%s: missing mediaType", ctx);
        ret->digest = json_string_value(json_object_get(j, "digest"));
        k = check_digest(r, ctx, ret->digest);
        if (k < 0)
                return k;
        size = json_object_get(j, "size");
        if (!json_is_integer(size) || json_integer_value(size) < 0)
                return src_error(r, EINVAL, "%s: missing or invalid size", ctx);
        ret->size = json_integer_value(size);
        return 0;
}

static bool
is_manifest_type(const char *mt)
{
        return strcmp(mt, MT_OCI_MANIFEST) == 0 || strcmp(mt, MT_DOCKER_MANIFEST) == 0;
}

static bool
is_index_type(const char *mt)
{
        return strcmp(mt, MT_OCI_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0;
}

/* schemaVersion 2, and a mediaType, where the document has one, equal to
 * what its descriptor said (want NULL: any of the given kind). */
static int
check_header(struct reader *r, const char *label, json_t *j, const char *want, bool (*kind)(const char *))
{
        json_t *v = json_object_get(j, "schemaVersion");
        const char *mt;

        if (!json_is_integer(v) || json_integer_value(v) != 2)
                return src_error(r, EINVAL, "%s: schemaVersion is not 2", label);
        v = json_object_get(j, "mediaType");
        if (!v)
                return 0;
        mt = json_string_value(v);
        if (!mt)
                return src_error(r, EINVAL, "%s: mediaType is not a string", label);
        if (want && strcmp(mt, want) != 0)
                return src_error(r, EINVAL, "%s: media type mismatch: descriptor says `%s`, blob says `%.200s`",
                                 label, want, mt);
        if (!kind(mt))
                return src_error(r, ENOTSUP, "%s: unexpected media type `%.200s`", label, mt);
        return 0;
}

static void
image_clear(struct oci_image *img)
{
        free(img->manifest_digest);
        json_decref(img->config);
        for (size_t i = 0; i < img->n_layers; i++) {
                free(img->layers[i].media_type);
                free(img->layers[i].blob_path);
        }
        free(img->layers);
        for (size_t i = 0; i < img->n_ref_names; i++)
                free(img->ref_names[i]);
        free(img->ref_names);
        memset(img, 0, sizeof(*img));
}

void
oci_source_free(struct oci_source *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->n_images; i++)
                image_clear(&s->images[i]);
        free(s->images);
        free(s);
}

static int
add_ref_name(struct oci_image *img, const char *name)
{
        char **n;

        if (!name)
                return 0;
        for (size_t i = 0; i < img->n_ref_names; i++)
                if (strcmp(img->ref_names[i], name) == 0)
                        return 0;
        n = reallocarray(img->ref_names, img->n_ref_names + 1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        img->ref_names = n;
        n[img->n_ref_names] = strdup(name);
        if (!n[img->n_ref_names])
                return -ENOMEM;
        img->n_ref_names++;
        return 0;
}

/* Moves *img (cleared) to the end of the source's list. */
static int
append_image(struct reader *r, struct oci_image *img)
{
        struct oci_image *n;

        n = reallocarray(r->src->images, r->src->n_images + 1, sizeof(*n));
        if (!n)
                return src_error(r, ENOMEM, "out of memory");
        r->src->images = n;
        n[r->src->n_images++] = *img;
        memset(img, 0, sizeof(*img));
        return 0;
}

/* What we rely on in an image config: a Linux image whose rootfs.diff_ids
 * list one valid digest per layer. Fills layers[i].diff_id. */
static int
check_config(struct reader *r, const char *label, json_t *config, struct oci_layer *layers,
             size_t n_layers)
{
        json_t *os = json_object_get(config, "os"), *rootfs, *diff_ids;
        const char *type;
        char ctx[LABEL_SIZE + 32];
        int k;

        if (os && (!json_is_string(os) || strcmp(json_string_value(os), "linux") != 0))
                return src_error(r, ENOTSUP, "%s: os `%.64s` is not linux", label,
                                 json_is_string(os) ? json_string_value(os) : "?");
        rootfs = json_object_get(config, "rootfs");
        if (!json_is_object(rootfs))
                return src_error(r, EINVAL, "%s: missing rootfs", label);
        type = json_string_value(json_object_get(rootfs, "type"));
        if (!type || strcmp(type, "layers") != 0)
                return src_error(r, EINVAL, "%s: rootfs.type is not `layers`", label);
        diff_ids = json_object_get(rootfs, "diff_ids");
        if (!json_is_array(diff_ids))
                return src_error(r, EINVAL, "%s: missing rootfs.diff_ids", label);
        if (json_array_size(diff_ids) != n_layers)
                return src_error(r, EINVAL, "%s: rootfs.diff_ids has %zu entries for %zu layers", label,
                                 json_array_size(diff_ids), n_layers);
        for (size_t i = 0; i < n_layers; i++) {
                const char *d = json_string_value(json_array_get(diff_ids, i));

                snprintf(ctx, sizeof(ctx), "%s: rootfs.diff_ids[%zu]", label, i);
                k = check_digest(r, ctx, d);
                if (k < 0)
                        return k;
                memcpy(layers[i].diff_id, d, IMAGE_DIGEST_LEN + 1);
        }
        return 0;
}

/* Locates an OCI layer blob: it must exist as a regular file of the
 * descriptor's size (a truncated blob fails here, before any unpacking). */
static int
locate_layer(struct reader *r, const char *ctx, const struct desc *d, struct oci_layer *l)
{
        _cleanup_close_ int fd = -1;
        char path[sizeof("blobs/sha256/") + ID_HEX_LEN];
        struct stat st;
        size_t i;

        for (i = 0; i < ARRAY_SIZE(layer_types); i++)
                if (strcmp(d->media_type, layer_types[i].media_type) == 0)
                        break;
        if (i == ARRAY_SIZE(layer_types))
                return src_error(r, ENOTSUP, "%s: unknown media type `%.200s`", ctx, d->media_type);
        l->compression = layer_types[i].compression;
        l->media_type = strdup(d->media_type);
        if (!l->media_type)
                return src_error(r, ENOMEM, "out of memory");
        memcpy(l->digest, d->digest, IMAGE_DIGEST_LEN + 1);
        l->size = (uint64_t) d->size;
        snprintf(path, sizeof(path), "blobs/sha256/%s", d->digest + 7);
        fd = open_file(r, ctx, path, &st, &l->blob_path);
        if (fd < 0)
                return fd;
        if ((uint64_t) st.st_size != l->size)
                return src_error(r, EINVAL, "%s: size mismatch: descriptor says %" PRIu64 " bytes, blob has %lld",
                                 ctx, l->size, (long long) st.st_size);
        return 0;
}

/* One image from its manifest descriptor (a top-level index entry or the
 * platform picked from a nested index). The same manifest named twice
 * becomes one image with both names. */
static int
add_manifest(struct reader *r, const struct desc *d, const char *ref_name)
{
        _cleanup_(json_decrefp) json_t *m = NULL;
        _cleanup_(image_clear) struct oci_image img = {};
        char label[LABEL_SIZE], clabel[LABEL_SIZE], ctx[LABEL_SIZE + 64], img_name[32];
        size_t img_no = r->src->n_images + 1;
        struct desc cd;
        json_t *layers;
        int k;

        for (size_t i = 0; i < r->src->n_images; i++) {
                struct oci_image *o = &r->src->images[i];
                if (o->manifest_digest && strcmp(o->manifest_digest, d->digest) == 0)
                        return add_ref_name(o, ref_name) < 0 ? src_error(r, ENOMEM, "out of memory") : 0;
        }

        snprintf(img_name, sizeof(img_name), "image %zu", img_no);
        blob_label(label, "manifest", d->digest);
        k = read_json_blob(r, label, d->digest, d->size, &m);
        if (k < 0)
                return k;
        k = check_header(r, label, m, d->media_type, is_manifest_type);
        if (k < 0)
                return k;

        snprintf(ctx, sizeof(ctx), "%s: config", img_name);
        k = parse_desc(r, ctx, json_object_get(m, "config"), &cd);
        if (k < 0)
                return k;
        if (strcmp(cd.media_type, MT_OCI_CONFIG) != 0 && strcmp(cd.media_type, MT_DOCKER_CONFIG) != 0)
                return src_error(r, ENOTSUP, "%s: unknown media type `%.200s`", ctx, cd.media_type);
        layers = json_object_get(m, "layers");
        if (!json_is_array(layers))
                return src_error(r, EINVAL, "%s: missing layers", label);
        img.n_layers = json_array_size(layers);
        if (img.n_layers > 0) {
                img.layers = calloc(img.n_layers, sizeof(*img.layers));
                if (!img.layers) {
                        img.n_layers = 0;
                        return src_error(r, ENOMEM, "out of memory");
                }
        }

        blob_label(clabel, "config", cd.digest);
        k = read_json_blob(r, clabel, cd.digest, cd.size, &img.config);
        if (k < 0)
                return k;
        k = check_config(r, clabel, img.config, img.layers, img.n_layers);
        if (k < 0)
                return k;
        memcpy(img.config_digest, cd.digest, IMAGE_DIGEST_LEN + 1);

        for (size_t i = 0; i < img.n_layers; i++) {
                struct desc ld;

                snprintf(ctx, sizeof(ctx), "%s: layer %zu", img_name, i + 1);
                k = parse_desc(r, ctx, json_array_get(layers, i), &ld);
                if (k < 0)
                        return k;
                k = locate_layer(r, ctx, &ld, &img.layers[i]);
                if (k < 0)
                        return k;
        }

        img.manifest_digest = strdup(d->digest);
        if (!img.manifest_digest || add_ref_name(&img, ref_name) < 0)
                return src_error(r, ENOMEM, "out of memory");
        return append_image(r, &img);
}

/* Adds "os/arch[/variant]" to the ", "-separated list in buf, once. */
static void
append_platform(char *buf, size_t size, json_t *plat)
{
        const char *os = json_string_value(json_object_get(plat, "os"));
        const char *arch = json_string_value(json_object_get(plat, "architecture"));
        const char *variant = json_string_value(json_object_get(plat, "variant"));
        size_t len = strlen(buf), n;
        char one[128];

        /* Build attestations: not images anyone asks for. */
        if (os && arch && strcmp(os, "unknown") == 0 && strcmp(arch, "unknown") == 0)
                return;
        snprintf(one, sizeof(one), "%.40s/%.40s%s%.20s", os ?: "?", arch ?: "?", variant ? "/" : "",
                 variant ?: "");
        n = strlen(one);
        for (const char *p = buf; *p;) {
                size_t tl = strcspn(p, ",");

                if (tl == n && memcmp(p, one, n) == 0)
                        return;
                p += tl;
                while (*p == ',' || *p == ' ')
                        p++;
        }
        if (len + n + 8 >= size) {
                if (!strstr(buf, "...") && len + 6 < size)
                        strcat(buf, len ? ", ..." : "...");
                return;
        }
        if (len)
                strcat(buf, ", ");
        strcat(buf, one);
}

/* A nested index (multi-platform image): the entry for linux/<arch>, else
 * the first one without a platform. Entries of other media types
 * (attestations, nested indexes) are skipped. *ret borrows from *ret_json. */
static int
pick_platform(struct reader *r, const struct desc *d, struct desc *ret, json_t **ret_json)
{
        _cleanup_(json_decrefp) json_t *idx = NULL;
        char label[LABEL_SIZE], ctx[LABEL_SIZE + 32], found[512] = "";
        json_t *manifests, *e;
        ssize_t chosen = -1, fallback = -1;
        size_t i;
        int k;

        blob_label(label, "index", d->digest);
        k = read_json_blob(r, label, d->digest, d->size, &idx);
        if (k < 0)
                return k;
        k = check_header(r, label, idx, d->media_type, is_index_type);
        if (k < 0)
                return k;
        manifests = json_object_get(idx, "manifests");
        if (!json_is_array(manifests))
                return src_error(r, EINVAL, "%s: missing manifests", label);
        json_array_foreach(manifests, i, e) {
                const char *mt = json_string_value(json_object_get(e, "mediaType"));
                json_t *plat = json_object_get(e, "platform");
                const char *os, *arch;

                if (!mt || !is_manifest_type(mt))
                        continue;
                if (!plat) {
                        if (fallback < 0)
                                fallback = (ssize_t) i;
                        continue;
                }
                os = json_string_value(json_object_get(plat, "os"));
                arch = json_string_value(json_object_get(plat, "architecture"));
                if (os && arch && strcmp(os, "linux") == 0 && strcmp(arch, r->arch) == 0) {
                        chosen = (ssize_t) i;
                        break;
                }
                append_platform(found, sizeof(found), plat);
        }
        if (chosen < 0)
                chosen = fallback;
        if (chosen < 0)
                return ctr_error_msg(r->err, ENOENT, "no image for linux/%s in `%s` (found: %s)", r->arch,
                                     r->dir, *found ? found : "no platforms");
        snprintf(ctx, sizeof(ctx), "%s: manifests[%zd]", label, chosen);
        k = parse_desc(r, ctx, json_array_get(manifests, (size_t) chosen), ret);
        if (k < 0)
                return k;
        *ret_json = TAKE_PTR(idx);
        return 0;
}

static int
read_oci_layout(struct reader *r)
{
        _cleanup_(json_decrefp) json_t *layout = NULL, *index = NULL;
        _cleanup_free_ char *buf = NULL;
        json_t *manifests, *e;
        const char *version;
        size_t len, i;
        int k;

        if (!exists_in_root(r, "oci-layout"))
                return src_error(r, ENOENT, "missing oci-layout: not an OCI image layout");
        k = read_small(r, "oci-layout", "oci-layout", &buf, &len);
        if (k < 0)
                return k;
        k = parse_json_object(r, "oci-layout", buf, len, &layout);
        if (k < 0)
                return k;
        version = json_string_value(json_object_get(layout, "imageLayoutVersion"));
        if (!version)
                return src_error(r, EINVAL, "oci-layout: missing imageLayoutVersion");
        if (strncmp(version, "1.", 2) != 0)
                return src_error(r, ENOTSUP, "oci-layout: unsupported imageLayoutVersion `%.40s` (expected 1.x)",
                                 version);

        free(TAKE_PTR(buf));
        k = read_small(r, "index.json", "index.json", &buf, &len);
        if (k < 0)
                return k;
        k = parse_json_object(r, "index.json", buf, len, &index);
        if (k < 0)
                return k;
        k = check_header(r, "index.json", index, NULL, is_index_type);
        if (k < 0)
                return k;
        manifests = json_object_get(index, "manifests");
        if (!json_is_array(manifests))
                return src_error(r, EINVAL, "index.json: missing manifests");

        json_array_foreach(manifests, i, e) {
                _cleanup_(json_decrefp) json_t *nested = NULL;
                char ctx[64];
                struct desc d, md;
                const char *ref;

                snprintf(ctx, sizeof(ctx), "index.json: manifests[%zu]", i);
                k = parse_desc(r, ctx, e, &d);
                if (k < 0)
                        return k;
                /* docker save (25+) writes the bare tag as ref.name and the
                 * full name in containerd's annotation: prefer the full one. */
                ref = json_string_value(json_object_get(json_object_get(e, "annotations"), ANNOTATION_CONTAINERD_NAME));
                if (!ref)
                        ref = json_string_value(json_object_get(json_object_get(e, "annotations"), ANNOTATION_REF_NAME));
                if (is_manifest_type(d.media_type))
                        k = add_manifest(r, &d, ref);
                else if (is_index_type(d.media_type)) {
                        k = pick_platform(r, &d, &md, &nested);
                        if (k >= 0)
                                k = add_manifest(r, &md, ref);
                } else
                        k = src_error(r, ENOTSUP, "%s: unsupported media type `%.200s`", ctx, d.media_type);
                if (k < 0)
                        return k;
        }
        return 0;
}

/* Hashes a docker-save layer file (one read) and tells its compression
 * from its first bytes: there is no media type to say. */
static int
hash_layer(struct reader *r, const char *ctx, const char *relpath, int fd, uint64_t size,
           struct oci_layer *l)
{
        _cleanup_free_ uint8_t *buf = NULL;
        uint8_t head[4] = { 0 }, d[SHA256_DIGEST_SIZE];
        char hex[SHA256_HEX_SIZE];
        struct sha256_ctx c;
        uint64_t done = 0;
        int n;

        buf = malloc(HASH_BUF_SIZE);
        if (!buf)
                return src_error(r, ENOMEM, "out of memory");
        (void) posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        sha256_init(&c);
        for (;;) {
                n = read_retry(fd, buf, HASH_BUF_SIZE);
                if (n < 0)
                        return src_error_sys(r, -n, "%s: read `%s`", ctx, relpath);
                if (n == 0)
                        break;
                if (done < sizeof(head))
                        memcpy(head + done, buf,
                               sizeof(head) - done < (size_t) n ? sizeof(head) - done : (size_t) n);
                sha256_update(&c, buf, (size_t) n);
                done += (uint64_t) n;
        }
        if (done != size)
                return src_error(r, EIO, "%s: `%s` changed while read", ctx, relpath);
        sha256_final(&c, d);
        snprintf(l->digest, sizeof(l->digest), "sha256:%s", sha256_to_hex(d, hex));
        if (head[0] == 0x1f && head[1] == 0x8b) {
                l->compression = IMAGE_COMPRESSION_GZIP;
                l->media_type = strdup(MT_DOCKER_LAYER_GZIP);
        } else if (head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd) {
                l->compression = IMAGE_COMPRESSION_ZSTD;
                l->media_type = strdup(MT_DOCKER_LAYER_ZSTD);
        } else {
                l->compression = IMAGE_COMPRESSION_NONE;
                l->media_type = strdup(MT_DOCKER_LAYER);
        }
        if (!l->media_type)
                return src_error(r, ENOMEM, "out of memory");
        l->size = size;
        return 0;
}

/* A path from manifest.json, relative to the source dir. */
static int
docker_path(struct reader *r, const char *ctx, json_t *j, char **ret)
{
        const char *raw = json_string_value(j), *reason;
        int k;

        if (!raw)
                return src_error(r, EINVAL, "%s: missing path", ctx);
        k = archive_path_normalize(raw, ret, &reason);
        if (k < 0)
                return src_error(r, EINVAL, "%s: path `%.200s`: %s", ctx, raw, reason);
        if (!**ret) {
                free(TAKE_PTR(*ret));
                return src_error(r, EINVAL, "%s: path `%.200s` names the source itself", ctx, raw);
        }
        return 0;
}

/* For a content-addressed path (blobs/sha256/<hex>, as Docker >= 25
 * writes): the digest its name promises, to be checked. */
static const char *
path_digest_hex(const char *path)
{
        if (strncmp(path, "blobs/sha256/", 13) == 0 && is_hex64(path + 13))
                return path + 13;
        return NULL;
}

static int
docker_layer(struct reader *r, const char *ctx, json_t *j, struct oci_layer *l)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1;
        const char *want;
        struct stat st;
        int k;

        k = docker_path(r, ctx, j, &path);
        if (k < 0)
                return k;
        fd = open_file(r, ctx, path, &st, &l->blob_path);
        if (fd < 0)
                return fd;
        k = hash_layer(r, ctx, path, fd, (uint64_t) st.st_size, l);
        if (k < 0)
                return k;
        want = path_digest_hex(path);
        if (want && strcmp(want, l->digest + 7) != 0)
                return src_error(r, EINVAL, "%s: digest mismatch: expected sha256:%s, got %s", ctx, want,
                                 l->digest);
        return 0;
}

static int
add_repo_tags(struct reader *r, struct oci_image *img, json_t *tags)
{
        json_t *t;
        size_t i;

        json_array_foreach(tags, i, t)
                if (add_ref_name(img, json_string_value(t)) < 0)
                        return src_error(r, ENOMEM, "out of memory");
        return 0;
}

static int
docker_image(struct reader *r, size_t idx, json_t *e)
{
        _cleanup_(image_clear) struct oci_image img = {};
        _cleanup_free_ char *cpath = NULL, *buf = NULL;
        char ctx[64], clabel[LABEL_SIZE + 64], lctx[LABEL_SIZE + 64];
        json_t *tags, *layers, *t;
        const char *want;
        size_t len, i;
        int k;

        snprintf(ctx, sizeof(ctx), "manifest.json[%zu]", idx);
        if (!json_is_object(e))
                return src_error(r, EINVAL, "%s: not a JSON object", ctx);
        tags = json_object_get(e, "RepoTags");
        if (tags && !json_is_null(tags) && !json_is_array(tags))
                return src_error(r, EINVAL, "%s: RepoTags is not an array", ctx);
        json_array_foreach(tags, i, t)
                if (!json_is_string(t))
                        return src_error(r, EINVAL, "%s: RepoTags[%zu] is not a string", ctx, i);
        layers = json_object_get(e, "Layers");
        if (!json_is_array(layers))
                return src_error(r, EINVAL, "%s: missing Layers", ctx);

        snprintf(clabel, sizeof(clabel), "%s: Config", ctx);
        k = docker_path(r, clabel, json_object_get(e, "Config"), &cpath);
        if (k < 0)
                return k;
        k = read_small(r, clabel, cpath, &buf, &len);
        if (k < 0)
                return k;
        digest_of(buf, len, img.config_digest);
        want = path_digest_hex(cpath);
        if (want && strcmp(want, img.config_digest + 7) != 0)
                return src_error(r, EINVAL, "%s: digest mismatch: expected sha256:%s, got %s", clabel, want,
                                 img.config_digest);

        /* The same image listed twice: one image, all its names. */
        for (i = 0; i < r->src->n_images; i++) {
                struct oci_image *o = &r->src->images[i];

                if (strcmp(o->config_digest, img.config_digest) == 0)
                        return add_repo_tags(r, o, tags);
        }

        blob_label(clabel, "config", img.config_digest);
        k = parse_json_object(r, clabel, buf, len, &img.config);
        if (k < 0)
                return k;
        img.n_layers = json_array_size(layers);
        if (img.n_layers > 0) {
                img.layers = calloc(img.n_layers, sizeof(*img.layers));
                if (!img.layers) {
                        img.n_layers = 0;
                        return src_error(r, ENOMEM, "out of memory");
                }
        }
        k = check_config(r, clabel, img.config, img.layers, img.n_layers);
        if (k < 0)
                return k;
        for (i = 0; i < img.n_layers; i++) {
                snprintf(lctx, sizeof(lctx), "image %zu: layer %zu", r->src->n_images + 1, i + 1);
                k = docker_layer(r, lctx, json_array_get(layers, i), &img.layers[i]);
                if (k < 0)
                        return k;
        }
        k = add_repo_tags(r, &img, tags);
        if (k < 0)
                return k;
        return append_image(r, &img);
}

static int
read_docker_save(struct reader *r)
{
        _cleanup_(json_decrefp) json_t *manifest = NULL;
        _cleanup_free_ char *buf = NULL;
        json_t *e;
        size_t len, i;
        int k;

        k = read_small(r, "manifest.json", "manifest.json", &buf, &len);
        if (k < 0)
                return k;
        k = parse_json(r, "manifest.json", buf, len, &manifest);
        if (k < 0)
                return k;
        if (!json_is_array(manifest))
                return src_error(r, EINVAL, "manifest.json: not a JSON array");
        json_array_foreach(manifest, i, e) {
                k = docker_image(r, i, e);
                if (k < 0)
                        return k;
        }
        return 0;
}

int
oci_source_read(const char *dir, const char *arch, struct oci_source **ret, struct ctr_error **err)
{
        _cleanup_(oci_source_freep) struct oci_source *src = NULL;
        _cleanup_free_ char *root_real = NULL;
        _cleanup_close_ int root_fd = -1;
        struct reader r = {
                .dir = dir,
                .arch = arch ?: oci_host_arch(),
                .err = err,
        };
        int k;

        src = calloc(1, sizeof(*src));
        if (!src)
                return ctr_error_msg(err, ENOMEM, "`%s`: out of memory", dir);
        r.src = src;
        root_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return ctr_error_sys(err, errno, "open `%s`", dir);
        k = fd_path(root_fd, &root_real);
        if (k < 0)
                return ctr_error_sys(err, -k, "resolve `%s`", dir);
        r.root_fd = root_fd;
        r.root_real = root_real;

        if (exists_in_root(&r, "index.json")) {
                src->format = "oci-layout";
                k = read_oci_layout(&r);
        } else if (exists_in_root(&r, "manifest.json")) {
                src->format = "docker-archive";
                k = read_docker_save(&r);
        } else
                return src_error(&r, ENOENT, "not an image: no index.json (OCI layout) or manifest.json (docker save)");
        if (k < 0)
                return k;
        if (src->n_images == 0)
                return src_error(&r, ENOENT, "no images in %s", src->format[0] == 'o' ? "index.json" : "manifest.json");
        *ret = TAKE_PTR(src);
        return 0;
}
