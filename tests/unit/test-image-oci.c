/* oci_source_read() and oci_archive_extract() on layouts, docker-save trees
 * and archives built here by hand (blobs written with their sha256), and
 * on broken or hostile variants of them: each must fail with an error
 * naming the source and the blob or entry, and write nothing outside. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fs-util.h"
#include "daemon/image/oci.h"
#include "daemon/image/sha256.h"
#include "tap.h"

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_OCI_TAR "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"

static char top[] = "/tmp/test-image-oci-XXXXXX";
static int n_dirs;

typedef char digest_t[IMAGE_DIGEST_LEN + 1];

static void
die(const char *what)
{
        printf("Bail out! %s: %s\n", what, strerror(errno));
        exit(1);
}

static char *
new_dir(void)
{
        char *d;

        if (asprintf(&d, "%s/%d", top, n_dirs++) < 0 || mkdir(d, 0755) < 0)
                die("mkdir");
        return d;
}

static void
digest_of(const void *data, size_t len, digest_t out)
{
        struct sha256_ctx c;
        uint8_t d[SHA256_DIGEST_SIZE];
        char hex[SHA256_HEX_SIZE];

        sha256_init(&c);
        sha256_update(&c, data, len);
        sha256_final(&c, d);
        snprintf(out, IMAGE_DIGEST_LEN + 1, "sha256:%s", sha256_to_hex(d, hex));
}

/* Writes dir/rel, creating parents. */
static void
put_file(const char *dir, const char *rel, const void *data, size_t len)
{
        char path[PATH_MAX], *slash;
        int fd;

        snprintf(path, sizeof(path), "%s/%s", dir, rel);
        slash = strrchr(path, '/');
        *slash = 0;
        if (mkdir_p(path, 0755, NULL) < 0)
                die("mkdir_p");
        *slash = '/';
        unlink(path);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write_all(fd, data, len) < 0)
                die(path);
        close(fd);
}

static void
put_str(const char *dir, const char *rel, const char *s)
{
        put_file(dir, rel, s, strlen(s));
}

/* A content-addressed blob. */
static void
put_blob(const char *dir, const void *data, size_t len, digest_t ret)
{
        char rel[128];

        digest_of(data, len, ret);
        snprintf(rel, sizeof(rel), "blobs/sha256/%s", ret + 7);
        put_file(dir, rel, data, len);
}

/* Stores j (consumed) as a blob; returns its size. */
static int64_t
put_json_blob(const char *dir, json_t *j, digest_t ret)
{
        char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
        int64_t size = (int64_t) strlen(s);

        put_blob(dir, s, strlen(s), ret);
        free(s);
        json_decref(j);
        return size;
}

static json_t *
desc(const char *mt, const char *digest, int64_t size)
{
        return json_pack("{s:s,s:s,s:I}", "mediaType", mt, "digest", digest, "size", (json_int_t) size);
}

static json_t *
config_json(size_t n_diff_ids, const char *arch, const char *seed)
{
        json_t *ids = json_array();

        for (size_t i = 0; i < n_diff_ids; i++) {
                char s[64];
                digest_t d;

                snprintf(s, sizeof(s), "diff %s %zu", seed, i);
                digest_of(s, strlen(s), d);
                json_array_append_new(ids, json_string(d));
        }
        return json_pack("{s:s,s:s,s:{s:[s]},s:{s:s,s:o}}", "architecture", arch, "os", "linux", "config",
                         "Cmd", "/bin/sh", "rootfs", "type", "layers", "diff_ids", ids);
}

/* What an image is made of; NULL fields take defaults. */
struct spec {
        const char *manifest_mt;
        const char *config_mt;
        const char *layer_mt;
        const char *arch;
        const char *seed;         /* makes configs and layers distinct */
        size_t n_layers;
        json_t *config;           /* overrides the generated config (consumed) */
        int64_t layer_size_delta; /* added to the first layer's descriptor size */
};

/* Writes the blobs of one image; returns the manifest's digest and size. */
static int64_t
make_image(const char *dir, const struct spec *sp, digest_t ret)
{
        const char *seed = sp->seed ?: "a";
        json_t *layers = json_array(), *config;
        digest_t cd;
        int64_t csize;

        for (size_t i = 0; i < sp->n_layers; i++) {
                char data[128];
                digest_t ld;

                snprintf(data, sizeof(data), "layer %s %zu: not really a tar", seed, i);
                put_blob(dir, data, strlen(data), ld);
                json_array_append_new(layers, desc(sp->layer_mt ?: MT_OCI_GZIP, ld,
                                                   (int64_t) strlen(data) + (i == 0 ? sp->layer_size_delta : 0)));
        }
        config = sp->config ?: config_json(sp->n_layers, sp->arch ?: oci_host_arch(), seed);
        csize = put_json_blob(dir, config, cd);
        return put_json_blob(dir,
                             json_pack("{s:i,s:s,s:o,s:o}", "schemaVersion", 2, "mediaType",
                                       sp->manifest_mt ?: MT_OCI_MANIFEST, "config",
                                       desc(sp->config_mt ?: MT_OCI_CONFIG, cd, csize), "layers", layers),
                             ret);
}

static json_t *
entry(const char *mt, const char *digest, int64_t size, const char *ref)
{
        json_t *e = desc(mt, digest, size);

        if (ref)
                json_object_set_new(e, "annotations", json_pack("{s:s}", "org.opencontainers.image.ref.name", ref));
        return e;
}

static json_t *
platform_entry(const char *digest, int64_t size, const char *os, const char *arch)
{
        json_t *e = desc(MT_OCI_MANIFEST, digest, size);

        json_object_set_new(e, "platform", json_pack("{s:s,s:s}", "os", os, "architecture", arch));
        return e;
}

/* oci-layout and index.json listing manifests (consumed). */
static void
write_layout(const char *dir, json_t *manifests)
{
        json_t *index = json_pack("{s:i,s:s,s:o}", "schemaVersion", 2, "mediaType", MT_OCI_INDEX, "manifests",
                                  manifests);
        char *s = json_dumps(index, JSON_COMPACT);

        put_str(dir, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
        put_str(dir, "index.json", s);
        free(s);
        json_decref(index);
}

/* A layout with one image of spec; returns the dir. */
static char *
simple_layout(const struct spec *sp, digest_t ret_manifest)
{
        char *dir = new_dir();
        digest_t md;
        int64_t size = make_image(dir, sp, md);

        write_layout(dir, json_pack("[o]", entry(sp->manifest_mt ?: MT_OCI_MANIFEST, md, size, "t1")));
        if (ret_manifest)
                memcpy(ret_manifest, md, sizeof(md));
        return dir;
}

/* Reads dir expecting failure; the message must contain want. */
static void
fails_with(const char *dir, const char *arch, const char *want, const char *name)
{
        struct oci_source *src = NULL;
        struct ctr_error *err = NULL;
        int r = oci_source_read(dir, arch, &src, &err);

        ok(r < 0 && !src && err && strstr(err->message, want) && strstr(err->message, dir), "%s", name);
        if (!(r < 0 && err && strstr(err->message, want)))
                printf("#   r=%d, message: %s\n#   wanted: %s\n", r, err ? err->message : "(none)", want);
        ctr_error_free(err);
        oci_source_free(src);
}

static struct oci_source *
read_ok(const char *dir, const char *arch, const char *name)
{
        struct oci_source *src = NULL;
        struct ctr_error *err = NULL;
        int r = oci_source_read(dir, arch, &src, &err);

        ok(r == 0 && src, "%s", name);
        if (r < 0)
                printf("#   %s\n", err ? err->message : "(no message)");
        ctr_error_free(err);
        return src;
}

static bool
file_has_size(const char *path, uint64_t size)
{
        struct stat st;

        return path && path[0] == '/' && stat(path, &st) == 0 && (uint64_t) st.st_size == size;
}

static void
test_single_image(void)
{
        struct spec sp = { .n_layers = 2 };
        digest_t md;
        char *dir = simple_layout(&sp, md);
        struct oci_source *src = read_ok(dir, NULL, "single image: read");
        json_t *ids;

        if (src) {
                struct oci_image *img = &src->images[0];

                is_str(src->format, "oci-layout", "single image: format");
                is_int(src->n_images, 1, "single image: one image");
                is_str(img->manifest_digest, md, "single image: manifest digest");
                is_int(img->n_ref_names, 1, "single image: one ref name");
                is_str(img->n_ref_names ? img->ref_names[0] : NULL, "t1", "single image: ref name verbatim");
                is_int(img->n_layers, 2, "single image: two layers");
                ok(json_is_object(img->config) &&
                   json_is_array(json_object_get(json_object_get(img->config, "config"), "Cmd")),
                   "single image: config parsed");
                ok(strncmp(img->config_digest, "sha256:", 7) == 0 && strlen(img->config_digest) == 71,
                   "single image: config digest");
                ids = json_object_get(json_object_get(img->config, "rootfs"), "diff_ids");
                for (size_t i = 0; i < img->n_layers; i++) {
                        struct oci_layer *l = &img->layers[i];

                        ok(l->compression == IMAGE_COMPRESSION_GZIP && strcmp(l->media_type, MT_OCI_GZIP) == 0,
                           "single image: layer %zu gzip", i + 1);
                        is_str(l->diff_id, json_string_value(json_array_get(ids, i)), "single image: diff_id");
                        ok(file_has_size(l->blob_path, l->size) && strstr(l->blob_path, l->digest + 7),
                           "single image: layer %zu blob path %s", i + 1, l->blob_path);
                }
        }
        oci_source_free(src);
        free(dir);
}

static void
test_two_tagged(void)
{
        char *dir = new_dir();
        struct spec a = { .n_layers = 1, .seed = "a", .layer_mt = MT_OCI_TAR };
        struct spec b = { .n_layers = 3, .seed = "b", .layer_mt = MT_OCI_ZSTD };
        digest_t ma, mb;
        int64_t sa = make_image(dir, &a, ma), sb = make_image(dir, &b, mb);
        struct oci_source *src;

        write_layout(dir, json_pack("[o,o,o,o]", entry(MT_OCI_MANIFEST, ma, sa, "1.0"),
                                    entry(MT_OCI_MANIFEST, mb, sb, "2.0"), entry(MT_OCI_MANIFEST, ma, sa, "latest"),
                                    entry(MT_OCI_MANIFEST, mb, sb, NULL)));
        src = read_ok(dir, NULL, "two tagged images: read");
        if (src && src->n_images == 2) {
                struct oci_image *x = &src->images[0], *y = &src->images[1];

                ok(1, "two tagged images: two images (the same manifest twice is one image)");
                ok(x->n_ref_names == 2 && strcmp(x->ref_names[0], "1.0") == 0 &&
                   strcmp(x->ref_names[1], "latest") == 0, "two tagged images: first has both its names");
                ok(y->n_ref_names == 1 && strcmp(y->ref_names[0], "2.0") == 0,
                   "two tagged images: second keeps its name");
                ok(x->n_layers == 1 && x->layers[0].compression == IMAGE_COMPRESSION_NONE,
                   "two tagged images: uncompressed layer");
                ok(y->n_layers == 3 && y->layers[2].compression == IMAGE_COMPRESSION_ZSTD,
                   "two tagged images: zstd layers");
                ok(strcmp(x->config_digest, y->config_digest) != 0, "two tagged images: distinct configs");
        } else
                ok(0, "two tagged images: two images (got %zu)", src ? src->n_images : 0);
        oci_source_free(src);
        free(dir);
}

/* A layout whose only entry is an index of per-platform manifests. */
static char *
nested_layout(const char *const *arches, size_t n, bool with_unplatformed, const char *list_mt, digest_t *ret_m)
{
        char *dir = new_dir();
        json_t *list = json_array(), *att;
        digest_t id;
        int64_t isize;

        for (size_t i = 0; i < n; i++) {
                struct spec sp = { .n_layers = 1, .arch = arches[i], .seed = arches[i] };
                int64_t s = make_image(dir, &sp, ret_m[i]);

                json_array_append_new(list, platform_entry(ret_m[i], s, "linux", arches[i]));
        }
        /* Build attestations look like this: never picked. */
        att = platform_entry(ret_m[0], 1, "unknown", "unknown");
        json_array_append_new(list, att);
        if (with_unplatformed) {
                struct spec sp = { .n_layers = 1, .seed = "noplat" };
                int64_t s = make_image(dir, &sp, ret_m[n]);

                json_array_append_new(list, desc(MT_OCI_MANIFEST, ret_m[n], s));
        }
        isize = put_json_blob(dir,
                              json_pack("{s:i,s:s,s:o}", "schemaVersion", 2, "mediaType", list_mt, "manifests", list),
                              id);
        write_layout(dir, json_pack("[o]", entry(list_mt, id, isize, "multi")));
        return dir;
}

static void
test_nested_index(void)
{
        const char *arches[] = { "arm64", oci_host_arch(), "s390x" };
        const char *others[] = { "arm64", "s390x", "ppc64le" };
        digest_t m[4];
        char *dir = nested_layout(arches, 3, false, MT_OCI_INDEX, m);
        struct oci_source *src = read_ok(dir, NULL, "nested index: read");

        if (src) {
                ok(src->n_images == 1 && strcmp(src->images[0].manifest_digest, m[1]) == 0,
                   "nested index: the host's platform is picked");
                ok(src->images[0].n_ref_names == 1 && strcmp(src->images[0].ref_names[0], "multi") == 0,
                   "nested index: ref name from the top-level entry");
        }
        oci_source_free(src);
        src = read_ok(dir, "s390x", "nested index: read for s390x");
        ok(src && strcmp(src->images[0].manifest_digest, m[2]) == 0, "nested index: s390x picked when asked");
        oci_source_free(src);
        fails_with(dir, "riscv64", "no image for linux/riscv64 in `", "nested index: no match fails");
        {
                struct oci_source *s = NULL;
                struct ctr_error *err = NULL;

                oci_source_read(dir, "riscv64", &s, &err);
                ok(err && strstr(err->message, "(found: linux/arm64, linux/"),
                   "nested index: error lists the platforms: %s", err ? err->message : "");
                ok(err && strstr(err->message, "linux/s390x)"),
                   "nested index: attestations (unknown/unknown) not listed");
                ctr_error_free(err);
                oci_source_free(s);
        }
        free(dir);

        dir = nested_layout(others, 3, true, MT_DOCKER_LIST, m);
        src = read_ok(dir, "amd64", "nested index without a match but a platform-less entry: read");
        ok(src && strcmp(src->images[0].manifest_digest, m[3]) == 0,
           "nested index: an entry without a platform counts as matching");
        oci_source_free(src);
        src = read_ok(dir, "ppc64le", "nested docker manifest list: read");
        ok(src && strcmp(src->images[0].manifest_digest, m[2]) == 0,
           "nested docker list: an explicit match wins over a platform-less entry");
        oci_source_free(src);
        free(dir);
}

static void
test_docker_media_types(void)
{
        struct spec sp = {
                .n_layers = 2, .manifest_mt = MT_DOCKER_MANIFEST, .config_mt = MT_DOCKER_CONFIG, .layer_mt = MT_DOCKER_GZIP,
        };
        char *dir = simple_layout(&sp, NULL);
        struct oci_source *src = read_ok(dir, NULL, "docker media types: read");

        ok(src && src->images[0].n_layers == 2 && src->images[0].layers[1].compression == IMAGE_COMPRESSION_GZIP &&
           strcmp(src->images[0].layers[1].media_type, MT_DOCKER_GZIP) == 0,
           "docker media types: gzip layers");
        oci_source_free(src);
        free(dir);

        sp.layer_mt = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
        dir = simple_layout(&sp, NULL);
        src = read_ok(dir, NULL, "docker foreign layer: read");
        oci_source_free(src);
        free(dir);

        sp.layer_mt = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
        dir = simple_layout(&sp, NULL);
        src = read_ok(dir, NULL, "oci nondistributable zstd layer: read");
        ok(src && src->images[0].layers[0].compression == IMAGE_COMPRESSION_ZSTD,
           "nondistributable zstd: compression zstd");
        oci_source_free(src);
        free(dir);
}

static const char gzip_data[] = "\x1f\x8b\x08\x00 not really gzip";
static const char zstd_data[] = "\x28\xb5\x2f\xfd not really zstd";
static const char tar_data[] = "plain tar bytes, not checked here";

static void
check_docker_layer(const struct oci_layer *l, const char *data, size_t len, enum image_compression c,
                   const char *mt, const char *name)
{
        digest_t d;

        digest_of(data, len, d);
        ok(strcmp(l->digest, d) == 0 && l->size == len && l->compression == c && strcmp(l->media_type, mt) == 0 &&
           file_has_size(l->blob_path, len),
           "%s: digest, size, compression, media type, path", name);
}

static void
test_docker_save_old(void)
{
        char *dir = new_dir(), cfgname[80], hex1[65], hex2[65], hex3[65], m[1024], *s;
        json_t *config = config_json(3, "amd64", "docker");
        digest_t cd, tmp;
        struct oci_source *src;

        memset(hex1, '1', 64), memset(hex2, '2', 64), memset(hex3, '3', 64);
        hex1[64] = hex2[64] = hex3[64] = 0;
        s = json_dumps(config, JSON_COMPACT);
        digest_of(s, strlen(s), cd);
        snprintf(cfgname, sizeof(cfgname), "%s.json", cd + 7);
        put_str(dir, cfgname, s);
        free(s);
        json_decref(config);
        snprintf(m, sizeof(m), "%s/layer.tar", hex1);
        put_file(dir, m, tar_data, sizeof(tar_data) - 1);
        snprintf(m, sizeof(m), "%s/layer.tar", hex2);
        put_file(dir, m, gzip_data, sizeof(gzip_data) - 1);
        /* skopeo's layout: the layer at the top, a legacy symlink to it */
        snprintf(m, sizeof(m), "%s/%s", dir, hex3);
        mkdir(m, 0755);
        digest_of(zstd_data, sizeof(zstd_data) - 1, tmp);
        snprintf(m, sizeof(m), "%s.tar", tmp + 7);
        put_file(dir, m, zstd_data, sizeof(zstd_data) - 1);
        snprintf(cfgname, sizeof(cfgname), "../%s.tar", tmp + 7);
        snprintf(m, sizeof(m), "%s/%s/layer.tar", dir, hex3);
        if (symlink(cfgname, m) < 0)
                die("symlink");
        snprintf(m, sizeof(m),
                 "[{\"Config\":\"%s.json\",\"RepoTags\":[\"foo:bar\",\"foo:baz\"],"
                 "\"Layers\":[\"%s/layer.tar\",\"./%s/layer.tar\",\"%s/layer.tar\"]}]",
                 cd + 7, hex1, hex2, hex3);
        put_str(dir, "manifest.json", m);

        src = read_ok(dir, NULL, "docker save (old form): read");
        if (src) {
                struct oci_image *img = &src->images[0];

                is_str(src->format, "docker-archive", "docker save: format");
                is_str(img->config_digest, cd, "docker save: config digest is the file's sha256");
                ok(img->manifest_digest == NULL, "docker save: no manifest digest");
                ok(img->n_ref_names == 2 && strcmp(img->ref_names[1], "foo:baz") == 0, "docker save: RepoTags");
                if (img->n_layers == 3) {
                        check_docker_layer(&img->layers[0], tar_data, sizeof(tar_data) - 1, IMAGE_COMPRESSION_NONE,
                                           "application/vnd.docker.image.rootfs.diff.tar", "docker save: tar layer");
                        check_docker_layer(&img->layers[1], gzip_data, sizeof(gzip_data) - 1,
                                           IMAGE_COMPRESSION_GZIP, MT_DOCKER_GZIP, "docker save: gzip layer");
                        check_docker_layer(&img->layers[2], zstd_data, sizeof(zstd_data) - 1,
                                           IMAGE_COMPRESSION_ZSTD, "application/vnd.docker.image.rootfs.diff.tar.zstd",
                                           "docker save: zstd layer via symlink");
                        ok(strstr(img->layers[2].blob_path, ".tar") && !strstr(img->layers[2].blob_path, "layer.tar"),
                           "docker save: symlinked layer's path is the real file");
                } else
                        ok(0, "docker save: 3 layers");
        }
        oci_source_free(src);

        /* A layer path outside, a symlink out, a missing layer. */
        snprintf(m, sizeof(m), "[{\"Config\":\"%s.json\",\"Layers\":[\"../x\",\"a\",\"b\"]}]", cd + 7);
        put_str(dir, "manifest.json", m);
        fails_with(dir, NULL, "image 1: layer 1: path `../x`: `..` component", "docker save: `..` in a path");
        snprintf(m, sizeof(m), "%s/evil", dir);
        if (symlink("/etc/passwd", m) < 0)
                die("symlink");
        snprintf(m, sizeof(m), "[{\"Config\":\"%s.json\",\"Layers\":[\"%s/layer.tar\",\"evil\",\"b\"]}]", cd + 7,
                 hex1);
        put_str(dir, "manifest.json", m);
        fails_with(dir, NULL, "image 1: layer 2: `evil` is a symlink to nothing inside the source",
                   "docker save: layer symlinked to /etc/passwd");
        snprintf(m, sizeof(m), "[{\"Config\":\"/%s.json\",\"Layers\":[]}]", cd + 7);
        put_str(dir, "manifest.json", m);
        fails_with(dir, NULL, "absolute path", "docker save: absolute config path");
        snprintf(m, sizeof(m), "[{\"Config\":\"%s.json\",\"Layers\":[\"%s/layer.tar\"]}]", cd + 7, hex1);
        put_str(dir, "manifest.json", m);
        fails_with(dir, NULL, "rootfs.diff_ids has 3 entries for 1 layers", "docker save: diff_ids count");
        put_str(dir, "manifest.json", "{}");
        fails_with(dir, NULL, "manifest.json: not a JSON array", "docker save: manifest.json not an array");
        put_str(dir, "manifest.json", "[]");
        fails_with(dir, NULL, "no images", "docker save: empty manifest.json");
        free(dir);
}

static void
test_docker_save_new(void)
{
        char *dir = new_dir(), m[1024], *s;
        json_t *config = config_json(2, "amd64", "docker25");
        digest_t cd, l1, l2;
        struct oci_source *src;

        s = json_dumps(config, JSON_COMPACT);
        put_blob(dir, s, strlen(s), cd);
        free(s);
        json_decref(config);
        put_blob(dir, tar_data, sizeof(tar_data) - 1, l1);
        put_blob(dir, gzip_data, sizeof(gzip_data) - 1, l2);
        snprintf(m, sizeof(m), "[{\"Config\":\"blobs/sha256/%s\",\"RepoTags\":null,"
                 "\"Layers\":[\"blobs/sha256/%s\",\"blobs/sha256/%s\"]}]", cd + 7, l1 + 7, l2 + 7);
        put_str(dir, "manifest.json", m);
        src = read_ok(dir, NULL, "docker save (blobs/sha256 form): read");
        ok(src && src->n_images == 1 && src->images[0].n_ref_names == 0 && strcmp(src->images[0].config_digest, cd) == 0 &&
           src->images[0].n_layers == 2 && strcmp(src->images[0].layers[1].digest, l2) == 0,
           "docker save (blobs/sha256 form): config, no names, layers");
        oci_source_free(src);

        snprintf(m, sizeof(m), "[{\"Config\":\"blobs/sha256/%s\",\"RepoTags\":[\"a:1\"],\"Layers\":[\"blobs/sha256/%s\",\"blobs/sha256/%s\"]},"
                 "{\"Config\":\"blobs/sha256/%s\",\"RepoTags\":[\"b:2\",\"a:1\"],\"Layers\":[]}]",
                 cd + 7, l1 + 7, l2 + 7, cd + 7);
        put_str(dir, "manifest.json", m);
        src = read_ok(dir, NULL, "docker save, one image listed twice: read");
        ok(src && src->n_images == 1 && src->images[0].n_ref_names == 2 &&
           strcmp(src->images[0].ref_names[1], "b:2") == 0, "docker save: one image listed twice has all its names once");
        oci_source_free(src);
        snprintf(m, sizeof(m), "[{\"Config\":\"blobs/sha256/%s\",\"RepoTags\":[1],\"Layers\":[]}]", cd + 7);
        put_str(dir, "manifest.json", m);
        fails_with(dir, NULL, "manifest.json[0]: RepoTags[0] is not a string", "docker save: RepoTags not strings");
        snprintf(m, sizeof(m), "[{\"Config\":\"blobs/sha256/%s\",\"Layers\":[\"blobs/sha256/%s\",\"blobs/sha256/%s\"]}]",
                 cd + 7, l1 + 7, l2 + 7);
        put_str(dir, "manifest.json", m);

        /* A blob whose content does not match its name. */
        snprintf(m, sizeof(m), "blobs/sha256/%s", l2 + 7);
        put_str(dir, m, "something else");
        fails_with(dir, NULL, "image 1: layer 2: digest mismatch: expected", "docker save: layer digest mismatch");
        snprintf(m, sizeof(m), "blobs/sha256/%s", cd + 7);
        put_str(dir, m, "{}");
        fails_with(dir, NULL, "manifest.json[0]: Config: digest mismatch", "docker save: config digest mismatch");
        free(dir);
}

/* Rewrites the blob of digest d with data (same name, new content). */
static void
clobber_blob(const char *dir, const char *d, const char *data, size_t len)
{
        char rel[128];

        snprintf(rel, sizeof(rel), "blobs/sha256/%s", d + 7);
        put_file(dir, rel, data, len);
}

static void
read_blob(const char *dir, const char *d, char **ret, size_t *ret_len)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, d + 7);
        if (read_file_full(path, 1 << 20, ret, ret_len, NULL) < 0)
                die("read blob");
}

static void
test_mismatches(void)
{
        struct spec sp = { .n_layers = 2 };
        digest_t md;
        char *dir = simple_layout(&sp, md), *buf, want[256];
        json_t *m;
        size_t len;

        /* manifest: same size, one byte different */
        read_blob(dir, md, &buf, &len);
        buf[0] = ' ';
        clobber_blob(dir, md, buf, len);
        snprintf(want, sizeof(want), "manifest %.19s...: digest mismatch: expected %s, got sha256:", md, md);
        fails_with(dir, NULL, want, "manifest digest mismatch");
        free(buf);
        free(dir);

        /* config */
        dir = simple_layout(&sp, md);
        read_blob(dir, md, &buf, &len);
        m = json_loadb(buf, len, 0, NULL);
        free(buf);
        {
                const char *cd = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));

                read_blob(dir, cd, &buf, &len);
                buf[len - 1] = ' ';
                clobber_blob(dir, cd, buf, len);
                free(buf);
                snprintf(want, sizeof(want), "config %.19s...: digest mismatch", cd);
                fails_with(dir, NULL, want, "config digest mismatch");
        }
        json_decref(m);
        free(dir);

        /* size: the manifest descriptor one byte short */
        dir = new_dir();
        {
                int64_t size = make_image(dir, &sp, md);

                write_layout(dir, json_pack("[o]", entry(MT_OCI_MANIFEST, md, size - 1, NULL)));
                snprintf(want, sizeof(want), "manifest %.19s...: size mismatch: descriptor says %lld bytes, blob has %lld",
                         md, (long long) size - 1, (long long) size);
                fails_with(dir, NULL, want, "manifest size mismatch");
        }
        free(dir);

        /* truncated layer: the blob is smaller than its descriptor says */
        sp.layer_size_delta = 5;
        dir = simple_layout(&sp, NULL);
        fails_with(dir, NULL, "image 1: layer 1: size mismatch: descriptor says", "truncated layer blob");
        free(dir);
        sp.layer_size_delta = 0;

        /* missing layer blob */
        dir = simple_layout(&sp, md);
        {
                char path[PATH_MAX];
                digest_t ld;
                char data[64];

                snprintf(data, sizeof(data), "layer a 1: not really a tar");
                digest_of(data, strlen(data), ld);
                snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, ld + 7);
                if (unlink(path) < 0)
                        die("unlink");
                fails_with(dir, NULL, "image 1: layer 2: `blobs/sha256/", "missing layer blob");
        }
        free(dir);
}

static void
test_bad_descriptors(void)
{
        struct spec sp = { .n_layers = 1, .layer_mt = "application/x-foo" };
        char *dir = simple_layout(&sp, NULL), d[160];
        digest_t md;
        int64_t size;

        fails_with(dir, NULL, "image 1: layer 1: unknown media type `application/x-foo`", "unknown layer media type");
        free(dir);

        sp.layer_mt = NULL;
        dir = new_dir();
        size = make_image(dir, &sp, md);
        snprintf(d, sizeof(d), "sha512:%s%s", md + 7, md + 7);
        write_layout(dir, json_pack("[o]", entry(MT_OCI_MANIFEST, d, size, NULL)));
        fails_with(dir, NULL, "index.json: manifests[0]: unsupported digest algorithm `sha512` (only sha256)",
                   "sha512 digest");
        snprintf(d, sizeof(d), "sha256:%s", md + 7);
        for (char *p = d + 7; *p; p++)
                if (*p >= 'a' && *p <= 'f')
                        *p = (char) (*p - 'a' + 'A');
        write_layout(dir, json_pack("[o]", entry(MT_OCI_MANIFEST, d, size, NULL)));
        fails_with(dir, NULL, "index.json: manifests[0]: invalid digest `sha256:", "upper-case hex digest");
        snprintf(d, sizeof(d), "sha256:%.40s", md + 7);
        write_layout(dir, json_pack("[o]", entry(MT_OCI_MANIFEST, d, size, NULL)));
        fails_with(dir, NULL, "invalid digest", "short hex digest");
        snprintf(d, sizeof(d), "sha256:../../../../etc/passwd");
        write_layout(dir, json_pack("[o]", entry(MT_OCI_MANIFEST, d, size, NULL)));
        fails_with(dir, NULL, "invalid digest", "digest with a path");
        write_layout(dir, json_pack("[{s:s,s:I}]", "digest", md, "size", (json_int_t) size));
        fails_with(dir, NULL, "index.json: manifests[0]: missing mediaType", "descriptor without mediaType");
        write_layout(dir, json_pack("[o]", entry("application/x-bar", md, size, NULL)));
        fails_with(dir, NULL, "index.json: manifests[0]: unsupported media type `application/x-bar`",
                   "unknown manifest media type");
        write_layout(dir, json_pack("[o]", entry(MT_DOCKER_MANIFEST, md, size, NULL)));
        fails_with(dir, NULL, "media type mismatch", "manifest media type differs from its descriptor");
        write_layout(dir, json_pack("[{s:s,s:s,s:i}]", "mediaType", MT_OCI_MANIFEST, "digest", md, "size", -1));
        fails_with(dir, NULL, "missing or invalid size", "negative size");
        write_layout(dir, json_array());
        fails_with(dir, NULL, "no images in index.json", "layout without images");
        free(dir);
}

static void
test_symlinked_blob(void)
{
        struct spec sp = { .n_layers = 1 };
        digest_t md;
        char *dir = simple_layout(&sp, md), path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, md + 7);
        if (unlink(path) < 0 || symlink("/etc/passwd", path) < 0)
                die("symlink");
        fails_with(dir, NULL, "is a symlink to nothing inside the source", "manifest blob symlinked to /etc/passwd");
        /* Even when the target exists inside: its content is then checked. */
        put_str(dir, "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
        fails_with(dir, NULL, "size mismatch", "symlink to /etc/passwd resolves inside the layout");
        if (unlink(path) < 0 || mkfifo(path, 0600) < 0)
                die("mkfifo");
        fails_with(dir, NULL, "is not a regular file", "fifo blob is not opened");
        free(dir);

        /* a layer blob pointing out */
        dir = simple_layout(&sp, NULL);
        {
                char data[64];
                digest_t ld;

                snprintf(data, sizeof(data), "layer a 0: not really a tar");
                digest_of(data, strlen(data), ld);
                snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, ld + 7);
                if (unlink(path) < 0 || symlink("../../../../../../etc/passwd", path) < 0)
                        die("symlink");
                fails_with(dir, NULL, "image 1: layer 1: `blobs/sha256/", "layer blob symlinked out");
        }
        free(dir);
}

static void
test_bad_configs(void)
{
        struct spec sp = { .n_layers = 2, .config = config_json(1, "amd64", "x") };
        char *dir = simple_layout(&sp, NULL);
        json_t *c;

        fails_with(dir, NULL, "rootfs.diff_ids has 1 entries for 2 layers", "diff_ids count mismatch");
        free(dir);

        c = config_json(2, "amd64", "x");
        json_object_set_new(c, "os", json_string("windows"));
        sp.config = c;
        dir = simple_layout(&sp, NULL);
        fails_with(dir, NULL, "os `windows` is not linux", "windows config");
        free(dir);

        c = config_json(2, "amd64", "x");
        json_array_set_new(json_object_get(json_object_get(c, "rootfs"), "diff_ids"), 1, json_string("sha256:abc"));
        sp.config = c;
        dir = simple_layout(&sp, NULL);
        fails_with(dir, NULL, "rootfs.diff_ids[1]: invalid digest", "invalid diff_id");
        free(dir);

        c = config_json(2, "amd64", "x");
        json_object_set_new(json_object_get(c, "rootfs"), "type", json_string("snapshot"));
        sp.config = c;
        dir = simple_layout(&sp, NULL);
        fails_with(dir, NULL, "rootfs.type is not `layers`", "rootfs type");
        free(dir);

        sp.config = json_string("not an object");
        dir = simple_layout(&sp, NULL);
        fails_with(dir, NULL, ": not a JSON object", "config that is not an object");
        free(dir);

        /* A config just over 4 MiB, correctly described. */
        {
                size_t n = 4 * 1024 * 1024 + 16;
                char *big = malloc(n + 1);

                memset(big, ' ', n);
                memcpy(big, "{\"a\":1}", 7);
                big[n] = 0;
                sp.config = json_pack("{s:s}", "pad", big + 8);
                dir = simple_layout(&sp, NULL);
                fails_with(dir, NULL, "too large", "huge config blob");
                free(dir);
                free(big);
        }

        sp.config = NULL;
        sp.n_layers = 0;
        dir = simple_layout(&sp, NULL);
        {
                struct oci_source *src = read_ok(dir, NULL, "image without layers (umoci new)");
                ok(src && src->images[0].n_layers == 0, "image without layers: no layers");
                oci_source_free(src);
        }
        free(dir);
}

static void
test_layout_files(void)
{
        struct spec sp = { .n_layers = 1 };
        char *dir = simple_layout(&sp, NULL), path[PATH_MAX];
        struct oci_source *src;

        snprintf(path, sizeof(path), "%s/oci-layout", dir);
        put_str(dir, "oci-layout", "{\"imageLayoutVersion\":\"1.1.0\"}");
        src = read_ok(dir, NULL, "imageLayoutVersion 1.1.0 accepted");
        oci_source_free(src);
        put_str(dir, "oci-layout", "{\"imageLayoutVersion\":\"2.0.0\"}");
        fails_with(dir, NULL, "oci-layout: unsupported imageLayoutVersion `2.0.0`", "imageLayoutVersion 2.0.0");
        put_str(dir, "oci-layout", "[]");
        fails_with(dir, NULL, "oci-layout: not a JSON object", "oci-layout not an object");
        put_str(dir, "oci-layout", "{\"imageLayoutVersion\":");
        fails_with(dir, NULL, "oci-layout: invalid JSON", "oci-layout not JSON");
        unlink(path);
        fails_with(dir, NULL, "missing oci-layout", "missing oci-layout");
        put_str(dir, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
        put_str(dir, "index.json", "[1,2]");
        fails_with(dir, NULL, "index.json: not a JSON object", "index.json not an object");
        put_str(dir, "index.json", "{\"schemaVersion\":1,\"manifests\":[]}");
        fails_with(dir, NULL, "index.json: schemaVersion is not 2", "index.json schemaVersion 1");
        put_str(dir, "index.json", "{\"schemaVersion\":2,\"schemaVersion\":2,\"manifests\":[]}");
        fails_with(dir, NULL, "duplicate", "duplicate keys refused");
        free(dir);

        dir = new_dir();
        fails_with(dir, NULL, "not an image", "empty directory");
        free(dir);
}

/* Archives ------------------------------------------------------------ */

struct tentry {
        const char *name;
        char type;        /* f file, d dir, l symlink, h hardlink, c char device */
        const char *data; /* content, or link target */
};

static void
make_tar(const char *path, const struct tentry *e, size_t n)
{
        struct archive *a = archive_write_new();
        struct archive_entry *ae = archive_entry_new();

        archive_write_set_format_pax_restricted(a);
        if (archive_write_open_filename(a, path) != ARCHIVE_OK)
                die("archive_write_open_filename");
        for (size_t i = 0; i < n; i++) {
                archive_entry_clear(ae);
                archive_entry_set_pathname(ae, e[i].name);
                archive_entry_set_perm(ae, 0644);
                switch (e[i].type) {
                case 'f':
                        archive_entry_set_filetype(ae, AE_IFREG);
                        archive_entry_set_size(ae, (la_int64_t) strlen(e[i].data));
                        break;
                case 'd':
                        archive_entry_set_filetype(ae, AE_IFDIR);
                        archive_entry_set_perm(ae, 0755);
                        break;
                case 'l':
                        archive_entry_set_filetype(ae, AE_IFLNK);
                        archive_entry_set_symlink(ae, e[i].data);
                        break;
                case 'h':
                        archive_entry_set_filetype(ae, AE_IFREG);
                        archive_entry_set_hardlink(ae, e[i].data);
                        break;
                case 'c':
                        archive_entry_set_filetype(ae, AE_IFCHR);
                        archive_entry_set_rdevmajor(ae, 1);
                        archive_entry_set_rdevminor(ae, 3);
                        break;
                }
                if (archive_write_header(a, ae) != ARCHIVE_OK)
                        die(archive_error_string(a));
                if (e[i].type == 'f' && archive_write_data(a, e[i].data, strlen(e[i].data)) < 0)
                        die("archive_write_data");
        }
        archive_entry_free(ae);
        archive_write_close(a);
        archive_write_free(a);
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

static int
extract(const char *archive, const char *dest, struct ctr_error **err)
{
        return oci_archive_extract(archive, dest, NULL, NULL, err);
}

static int
count_entries(const char *dir)
{
        char cmd[PATH_MAX + 64];
        FILE *f;
        int n = 0, c;

        snprintf(cmd, sizeof(cmd), "find '%s' -mindepth 1 -not -type d", dir);
        f = popen(cmd, "r");
        if (!f)
                die("popen");
        while ((c = fgetc(f)) != EOF)
                n += c == '\n';
        pclose(f);
        return n;
}

static void
test_archive_layout(void)
{
        struct spec sp = { .n_layers = 2 };
        digest_t md;
        char *dir = simple_layout(&sp, md), *dest = new_dir(), *dest2 = new_dir(), tarpath[PATH_MAX], cmd[PATH_MAX * 3];
        struct ctr_error *err = NULL;
        struct progress p = {};
        struct oci_source *src;
        struct stat st;
        int r;

        snprintf(tarpath, sizeof(tarpath), "%s/layout.tar", top);
        snprintf(cmd, sizeof(cmd), "tar -C '%s' -cf '%s' .", dir, tarpath);
        if (system(cmd) != 0)
                die("tar");
        r = oci_archive_extract(tarpath, dest, progress_cb, &p, &err);
        is_int(r, 1, "archive: an OCI layout tar is an image archive");
        if (r < 0)
                printf("#   %s\n", err->message);
        ctr_error_free(err);
        err = NULL;
        stat(tarpath, &st);
        ok(p.calls > 0 && p.done == (uint64_t) st.st_size && p.total == (uint64_t) st.st_size,
           "archive: progress reaches the archive's size");
        src = read_ok(dest, NULL, "archive: extracted layout reads");
        ok(src && strcmp(src->images[0].manifest_digest, md) == 0 && strncmp(src->images[0].layers[0].blob_path, dest, strlen(dest)) == 0,
           "archive: same image, blobs inside dest");
        oci_source_free(src);

        snprintf(cmd, sizeof(cmd), "tar -C '%s' -czf '%s.gz' index.json oci-layout blobs", dir, tarpath);
        if (system(cmd) != 0)
                die("tar");
        snprintf(cmd, sizeof(cmd), "%s.gz", tarpath);
        r = extract(cmd, dest2, &err);
        is_int(r, 1, "archive: a gzip-compressed layout tar");
        ctr_error_free(err);
        err = NULL;
        src = read_ok(dest2, NULL, "archive: extracted gzip layout reads");
        oci_source_free(src);

        /* Extracting into a non-empty dest: O_EXCL refuses to replace. */
        r = extract(tarpath, dest, &err);
        ok(r < 0 && err && strstr(err->message, "create file: File exists"), "archive: existing files are never replaced");
        ctr_error_free(err);
        free(dir);
        free(dest);
        free(dest2);
}

static void
test_archive_rootfs(void)
{
        char *dest = new_dir(), path[PATH_MAX];
        const struct tentry rootfs[] = {
                { "./", 'd', NULL }, { "./bin/", 'd', NULL }, { "./bin/sh", 'f', "#!" }, { "./index.json", 'f', "{}" },
        };
        const struct tentry dirs[] = { { "./", 'd', NULL }, { "./etc/", 'd', NULL } };
        struct ctr_error *err = NULL;
        int r;

        snprintf(path, sizeof(path), "%s/rootfs.tar", top);
        make_tar(path, rootfs, ARRAY_SIZE(rootfs));
        r = extract(path, dest, &err);
        is_int(r, 0, "archive: a rootfs tarball is not an image archive");
        is_int(count_entries(dest), 0, "archive: nothing written for a rootfs tarball");
        make_tar(path, dirs, ARRAY_SIZE(dirs));
        is_int(extract(path, dest, &err), 0, "archive: directories only is a rootfs tarball");
        snprintf(path, sizeof(path), "%s/junk", top);
        put_str(top, "junk", "this is not an archive at all, not even close ..........");
        r = extract(path, dest, &err);
        ok(r < 0 && err && strstr(err->message, "is not a tar archive"), "archive: junk is not a tar archive");
        ctr_error_free(err);
        free(dest);
}

/* The archive's entries must fail naming want, writing nothing outside. */
static void
hostile(const struct tentry *e, size_t n, const char *want, const char *name)
{
        char *dest = new_dir(), path[PATH_MAX], outside[PATH_MAX];
        struct ctr_error *err = NULL;
        struct stat st;
        int r;

        snprintf(path, sizeof(path), "%s/hostile.tar", top);
        make_tar(path, e, n);
        r = extract(path, dest, &err);
        ok(r < 0 && err && strstr(err->message, want) && strstr(err->message, path), "hostile: %s", name);
        if (!(r < 0 && err && strstr(err->message, want)))
                printf("#   r=%d, message: %s\n#   wanted: %s\n", r, err ? err->message : "(none)", want);
        snprintf(outside, sizeof(outside), "%s/x", top);
        ok(lstat(outside, &st) < 0 && errno == ENOENT, "hostile: %s: nothing outside", name);
        ctr_error_free(err);
        free(dest);
}

#define HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void
test_archive_hostile(void)
{
        const struct tentry dotdot[] = { { "oci-layout", 'f', "{}" }, { "../x", 'f', "pwned" } };
        const struct tentry dotdot_first[] = { { "./", 'd', NULL }, { "blobs/../../x", 'f', "pwned" } };
        const struct tentry abs[] = { { "index.json", 'f', "{}" }, { "/tmp/x", 'f', "pwned" } };
        const struct tentry sym[] = { { "oci-layout", 'f', "{}" }, { "blobs/sha256/" HEX, 'l', "/etc/passwd" } };
        const struct tentry sym_first[] = { { "index.json", 'l', "/etc/passwd" } };
        const struct tentry hard[] = { { "oci-layout", 'f', "{}" }, { "index.json", 'h', "oci-layout" } };
        const struct tentry hard_out[] = { { "oci-layout", 'f', "{}" }, { "index.json", 'h', "../../../etc/passwd" } };
        const struct tentry dev[] = { { "oci-layout", 'f', "{}" }, { "index.json", 'c', NULL } };
        const struct tentry dup[] = { { "index.json", 'f', "{}" }, { "./index.json", 'f', "{\"a\":1}" } };
        const struct tentry legacy_out[] = { { "manifest.json", 'f', "[]" }, { HEX "/layer.tar", 'l', "/etc/passwd" } };
        const struct tentry legacy_dotdot[] = { { "manifest.json", 'f', "[]" },
                                                { HEX "/layer.tar", 'l', "../../x" } };
        const struct tentry noindex[] = { { "oci-layout", 'f', "{}" }, { "blobs/sha256/" HEX, 'f', "x" } };
        char *big = malloc(4 * 1024 * 1024 + 2);

        hostile(dotdot, ARRAY_SIZE(dotdot), "entry `../x`: `..` component", "../x");
        hostile(dotdot_first, ARRAY_SIZE(dotdot_first), "entry `blobs/../../x`: `..` component", "`..` first");
        hostile(abs, ARRAY_SIZE(abs), "entry `/tmp/x`: absolute path", "/abs");
        hostile(sym, ARRAY_SIZE(sym), "entry `blobs/sha256/" HEX "`: symlink in an image archive", "symlinked blob");
        hostile(sym_first, ARRAY_SIZE(sym_first), "entry `index.json`: symlink in an image archive",
                "symlink as first entry");
        hostile(hard, ARRAY_SIZE(hard), "entry `index.json`: hardlink to `oci-layout`", "hardlink");
        hostile(hard_out, ARRAY_SIZE(hard_out), "entry `index.json`: hardlink", "hardlink out");
        hostile(dev, ARRAY_SIZE(dev), "entry `index.json`: character device in an image archive", "device node");
        hostile(dup, ARRAY_SIZE(dup), "entry `index.json`: create file: File exists", "duplicate entry");
        hostile(legacy_out, ARRAY_SIZE(legacy_out), "entry `" HEX "/layer.tar`: symlink to `/etc/passwd`",
                "legacy layer symlinked out");
        hostile(legacy_dotdot, ARRAY_SIZE(legacy_dotdot), "symlink to `../../x`", "legacy layer symlinked up");
        hostile(noindex, ARRAY_SIZE(noindex), "not an image archive: no index.json or manifest.json",
                "blobs without index.json");
        memset(big, ' ', 4 * 1024 * 1024 + 1);
        big[4 * 1024 * 1024 + 1] = 0;
        {
                const struct tentry bigjson[] = { { "index.json", 'f', "{}" }, { HEX ".json", 'f', big } };
                hostile(bigjson, ARRAY_SIZE(bigjson), "entry `" HEX ".json`: too large", "JSON member over 4 MiB");
        }
        free(big);
}

static void
test_archive_docker(void)
{
        /* What skopeo/podman docker-archive writes. */
        char *dest = new_dir(), path[PATH_MAX], m[2048], cfgname[100], layername[100], legacy[100], target[128], *cfg;
        json_t *config = config_json(1, "amd64", "skopeo");
        struct ctr_error *err = NULL;
        struct oci_source *src;
        digest_t cd, ld;
        int r;

        cfg = json_dumps(config, JSON_COMPACT);
        json_decref(config);
        digest_of(cfg, strlen(cfg), cd);
        digest_of(tar_data, strlen(tar_data), ld);
        snprintf(cfgname, sizeof(cfgname), "%s.json", cd + 7);
        snprintf(layername, sizeof(layername), "%s.tar", ld + 7);
        snprintf(legacy, sizeof(legacy), HEX "/layer.tar");
        snprintf(target, sizeof(target), "../%s", layername);
        snprintf(m, sizeof(m), "[{\"Config\":\"%s\",\"RepoTags\":[\"foo:bar\"],\"Layers\":[\"%s\"]}]", cfgname, legacy);
        {
                const struct tentry e[] = {
                        { layername, 'f', tar_data }, { cfgname, 'f', cfg },   { HEX, 'd', NULL },
                        { HEX "/VERSION", 'f', "1.0" }, { HEX "/json", 'f', "{}" }, { legacy, 'l', target },
                        { "manifest.json", 'f', m },  { "repositories", 'f', "{}" }, { "extra/unknown", 'f', "x" },
                };
                snprintf(path, sizeof(path), "%s/docker.tar", top);
                make_tar(path, e, ARRAY_SIZE(e));
        }
        r = extract(path, dest, &err);
        is_int(r, 1, "archive: skopeo docker-archive is an image archive");
        if (r < 0)
                printf("#   %s\n", err->message);
        ctr_error_free(err);
        snprintf(path, sizeof(path), "%s/extra", dest);
        ok(access(path, F_OK) < 0, "archive: unknown members are not extracted");
        src = read_ok(dest, NULL, "archive: extracted docker-archive reads");
        ok(src && src->images[0].n_layers == 1 && strcmp(src->images[0].layers[0].digest, ld) == 0 &&
           strcmp(src->images[0].config_digest, cd) == 0 && strstr(src->images[0].layers[0].blob_path, layername),
           "archive: docker-archive layer through its legacy symlink");
        oci_source_free(src);
        free(cfg);
        free(dest);
}

int
main(void)
{
        if (!mkdtemp(top))
                die("mkdtemp");

        test_single_image();
        test_two_tagged();
        test_nested_index();
        test_docker_media_types();
        test_docker_save_old();
        test_docker_save_new();
        test_mismatches();
        test_bad_descriptors();
        test_symlinked_blob();
        test_bad_configs();
        test_layout_files();
        test_archive_layout();
        test_archive_rootfs();
        test_archive_hostile();
        test_archive_docker();

        if (rm_rf(top, NULL) < 0)
                printf("# could not remove %s\n", top);
        return tap_done();
}
