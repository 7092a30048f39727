/* Unit tests for the image store (daemon/image/store.c, layer-store.c,
 * record.c, ref.c) in a temp dir: references, layer commit and dedup,
 * images over layers, refs moving, lookup, removal keeping layers, prune
 * sweeping exactly the unreferenced layers, crash leftovers, old and
 * corrupt records. Layers are made by hand (no unpacking here: that is
 * test-image-unpack.c). Root is not needed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fs-util.h"
#include "daemon/image/image.h"
#include "tests/unit/tap.h"

static char tmpdir[64];

static char *
tpath(const char *rel)
{
        return path_join(tmpdir, rel);
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

static bool
exists(const char *path)
{
        struct stat st;

        return lstat(path, &st) == 0;
}

static bool
exists_in(const char *dir, const char *rel)
{
        _cleanup_free_ char *p = path_join(dir, rel);

        return exists(p);
}

/* "sha256:" + 64 x c, in a static buffer per slot. */
static const char *
dg(char c)
{
        static char buf[8][7 + 64 + 1];
        static unsigned slot;
        char *d = buf[slot++ % 8];

        memcpy(d, "sha256:", 7);
        memset(d + 7, c, 64);
        d[71] = '\0';
        return d;
}

static const char *
idc(char c)
{
        return dg(c) + 7;
}

/* Number of ".tmp-*" entries in dir. */
static int
count_tmp(const char *dir)
{
        struct dirent *de;
        DIR *d = opendir(dir);
        int n = 0;

        if (!d)
                return -1;
        while ((de = readdir(d)))
                if (strncmp(de->d_name, ".tmp-", 5) == 0)
                        n++;
        closedir(d);
        return n;
}

/* A layer staging dir holding diff/<file> with content (size = its length). */
static char *
make_layer(struct image_store *s, const char *file, const char *content)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        _cleanup_free_ char *diff = NULL, *p = NULL;
        char *staging = NULL;

        if (image_store_new_staging_dir(s, true, &staging, &e) < 0)
                return NULL;
        diff = path_join(staging, "diff");
        p = path_join(diff, file);
        mkdir(diff, 0755);
        write_file_atomic(p, content, strlen(content), 0644, NULL);
        return staging;
}

/* Commits a hand-made layer diff_id dg(c) holding file c with n bytes. */
static int
commit_layer(struct image_store *s, char c, size_t n, const char **ret_dir)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        _cleanup_free_ char *staging = NULL, *content = calloc(1, n + 1);
        char file[2] = { c, 0 };

        memset(content, c, n);
        staging = make_layer(s, file, content);
        if (!staging)
                return -EIO;
        return image_store_commit_layer(s, staging, dg(c), n, ret_dir, &e);
}

/* An OCI config listing layers cs (diff_ids dg(c)); marker makes it unique. */
static json_t *
config_for(const char *cs, const char *marker, const char *created)
{
        json_t *ids = json_array();
        json_t *c;

        for (const char *p = cs; *p; p++)
                json_array_append_new(ids, json_string(dg(*p)));
        c = json_pack("{s:s,s:s,s:{s:[s],s:s},s:{s:s,s:o},s:[{s:s}]}", "architecture", "amd64",
                      "os", "linux", "config", "Cmd", "sh", "WorkingDir", marker, "rootfs", "type",
                      "layers", "diff_ids", ids, "history", "created_by", marker);
        if (created)
                json_object_set_new(c, "created", json_string(created));
        return c;
}

static void
layers_for(const char *cs, struct image_layer *out)
{
        for (size_t i = 0; cs[i]; i++) {
                memset(&out[i], 0, sizeof(out[i]));
                strcpy(out[i].diff_id, dg(cs[i]));
                strcpy(out[i].digest, dg((char) (cs[i] - 'a' + '0')));
                out[i].media_type = (char *) "application/vnd.oci.image.layer.v1.tar+gzip";
                out[i].blob_size = 100 + i;
        }
}

/* Commits image id idc(idch) over layers cs. */
static int
commit_image(struct image_store *s, char idch, const char *cs, const char *name, const char *tag,
             const struct image **ret, struct ctr_error **e)
{
        struct image_layer layers[16];
        _cleanup_(json_decrefp) json_t *config =
                config_for(cs, idc(idch), "2024-01-02T03:04:05.5Z");

        layers_for(cs, layers);
        return image_store_commit_image(s, dg(idch), config, layers, strlen(cs), dg('9'), name, tag,
                                        ret, e);
}

static void
test_refs(void)
{
        static const char *good[] = { "busybox",
                                      "busybox:1.36",
                                      "library/busybox",
                                      "a-b__c.d_e",
                                      "registry.example.com:5000/x/y:v1",
                                      "localhost/foo",
                                      "a:_x" };
        static const char *bad[] = { "",     "Busybox",     "-a",   "a-", "a..b", "a___b", "a:",
                                     "a:-x", "a@sha256:00", "a//b", "/a", "a/",   "a:b:c", "a b" };
        char *n = NULL, *t = NULL;

        for (size_t i = 0; i < ARRAY_SIZE(good); i++)
                ok(image_parse_ref(good[i], NULL, NULL, NULL) == 0, "ref `%s` valid", good[i]);
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                ok(image_parse_ref(bad[i], NULL, NULL, NULL) == -EINVAL, "ref `%s` invalid",
                   bad[i]);
        ok(image_parse_ref("localhost:5000/x", &n, &t, NULL) == 0 &&
                   strcmp(n, "localhost:5000/x") == 0 && strcmp(t, "latest") == 0,
           "registry port is not a tag; default tag latest");
        free(n);
        free(t);
}

static void
test_layers(void)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        _cleanup_free_ char *root = tpath("layers"), *layers = tpath("layers/layers"),
                            *expect = NULL;
        struct image_store *s = NULL;
        const char *dir = NULL, *dir2 = NULL;
        char *staging = NULL, *rec = NULL;
        struct stat st;

        is_int(image_store_open(root, &s, &e), 0, "open store");
        ok(exists(layers), "layers/ created");
        ok(image_store_new_staging_dir(s, true, &staging, &e) == 0 &&
                   strstr(staging, "/layers/.tmp-") && stat(staging, &st) == 0 &&
                   S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700,
           "layer staging dir: an empty 0700 dir in layers/");
        rmdir(staging);
        free(staging);
        ok(image_store_new_staging_dir(s, false, &staging, &e) == 0 &&
                   strstr(staging, "/images/.tmp-"),
           "image staging dir in images/");
        rmdir(staging);
        free(staging);

        ok(!image_store_layer_dir(s, dg('a')), "no layer a yet");
        is_int(commit_layer(s, 'a', 3, &dir), 0, "commit layer a");
        if (asprintf(&expect, "%s/%s/diff", layers, idc('a')) < 0)
                abort();
        ok(dir && strcmp(dir, expect) == 0 && dir == image_store_layer_dir(s, dg('a')),
           "layer dir is layers/<hex>/diff");
        ok(exists_in(dir, "a"), "tree moved in");
        rec = read_text(
                layers,
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/layer.json");
        ok(rec && strstr(rec, "\"diff_id\":\"sha256:aaaa") && strstr(rec, "\"size\":3") &&
                   strstr(rec, "\"created\":"),
           "layer.json written");
        free(rec);
        is_int(count_tmp(layers), 0, "no staging left");

        /* The same diff_id again: the staging tree goes, the first stays. */
        staging = make_layer(s, "other", "x");
        ok(image_store_commit_layer(s, staging, dg('a'), 1, &dir2, &e) == 0 && dir2 == dir &&
                   !exists(staging) && exists_in(dir, "a") && !exists_in(dir, "other"),
           "dedup: existing layer kept, staging removed");
        free(staging);

        staging = make_layer(s, "x", "x");
        ok(image_store_commit_layer(s, staging, "sha256:xyz", 1, NULL, &e) == -EINVAL &&
                   exists(staging),
           "bad diff_id refused, staging left");
        ctr_error_free(e);
        e = NULL;
        ok(image_store_commit_layer(s, "/tmp", dg('b'), 1, NULL, &e) == -EINVAL,
           "foreign dir refused");
        ctr_error_free(e);
        e = NULL;
        rm_rf(staging, NULL);
        free(staging);
        ok(image_store_new_staging_dir(s, false, &staging, &e) == 0 &&
                   image_store_commit_layer(s, staging, dg('b'), 1, NULL, &e) == -EINVAL,
           "an images/ staging dir is not a layer staging dir");
        ctr_error_free(e);
        e = NULL;
        rmdir(staging);
        free(staging);
        ok(image_store_new_staging_dir(s, true, &staging, &e) == 0 &&
                   image_store_commit_layer(s, staging, dg('b'), 1, NULL, &e) == -EINVAL &&
                   !image_store_layer_dir(s, dg('b')),
           "staging without diff/ refused");
        ctr_error_free(e);
        e = NULL;
        rmdir(staging);
        free(staging);

        /* Layers no image uses survive a reopen (a retried import reuses them). */
        image_store_free(s);
        s = NULL;
        is_int(image_store_open(root, &s, &e), 0, "reopen");
        ok(image_store_layer_dir(s, dg('a')) && exists_in(image_store_layer_dir(s, dg('a')), "a"),
           "unreferenced layer still there after reopen");
        image_store_free(s);
}

static void
test_images(void)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        _cleanup_free_ char *root = tpath("images"), *images = tpath("images/images"), *rec = NULL;
        struct image_store *s = NULL;
        const struct image *img = NULL, *img2 = NULL, *found = NULL;
        char prefix[8];
        json_t *j;

        is_int(image_store_open(root, &s, &e), 0, "open store");
        ok(commit_image(s, '1', "ab", "busybox", NULL, &img, &e) == -ENOENT &&
                   image_store_count(s) == 0,
           "image over layers not in the store: ENOENT");
        ctr_error_free(e);
        e = NULL;
        is_int(commit_layer(s, 'a', 10, NULL), 0, "layer a");
        is_int(commit_layer(s, 'b', 20, NULL), 0, "layer b");
        is_int(commit_layer(s, 'c', 30, NULL), 0, "layer c");
        {
                struct image_layer layers[2];
                _cleanup_(json_decrefp) json_t *config = config_for("ba", "x", NULL);
                layers_for("ab", layers);
                ok(image_store_commit_image(s, dg('1'), config, layers, 2, NULL, "x", NULL, NULL,
                                            &e) == -EINVAL,
                   "diff_ids not matching the config: EINVAL");
                ctr_error_free(e);
                e = NULL;
                ok(image_store_commit_image(s, "sha256:12", config, layers, 2, NULL, "x", NULL,
                                            NULL, &e) == -EINVAL,
                   "bad config digest: EINVAL");
                ctr_error_free(e);
                e = NULL;
        }
        ok(commit_image(s, '1', "ab", "Bad Name", NULL, &img, &e) == -EINVAL &&
                   image_store_count(s) == 0,
           "bad name: EINVAL");
        ctr_error_free(e);
        e = NULL;
        ok(commit_image(s, '1', "ab", NULL, "1", &img, &e) == -EINVAL, "tag without name: EINVAL");
        ctr_error_free(e);
        e = NULL;

        is_int(commit_image(s, '1', "ab", "busybox", NULL, &img, &e), 0,
               "commit image 1 over a, b");
        ok(img && strcmp(img->id, idc('1')) == 0 && img->n_layers == 2 && img->size == 30 &&
                   strcmp(img->name, "busybox") == 0 && strcmp(img->tag, "latest") == 0,
           "image fields");
        ok(img && strcmp(img->layers[0].diff_id, dg('a')) == 0 &&
                   strcmp(img->layers[1].diff_id, dg('b')) == 0 && img->layers[0].dir &&
                   strcmp(img->layers[0].dir, image_store_layer_dir(s, dg('a'))) == 0 &&
                   img->layers[1].size == 20 && img->layers[1].blob_size == 101 &&
                   strcmp(img->layers[1].media_type,
                          "application/vnd.oci.image.layer.v1.tar+gzip") == 0,
           "layers bottom first with their dirs");
        ok(img && img->created_ns == 1704164645500000000LL, "created from the config");
        ok(img && img->manifest_digest && strcmp(img->manifest_digest, dg('9')) == 0,
           "manifest digest");
        {
                _cleanup_free_ char *lower = image_lowerdir(img), *want = NULL;
                if (asprintf(&want, "%s:%s", img->layers[1].dir, img->layers[0].dir) < 0)
                        abort();
                is_str(lower, want, "lowerdir: top layer first");
        }
        rec = read_text(root,
                        "images/1111111111111111111111111111111111111111111111111111111111111111/"
                        "image.json");
        ok(rec && strstr(rec, "\"layers\":[{\"blob_size\":100,\"diff_id\":\"sha256:aaa") &&
                   strstr(rec, "\"refs\":[\"busybox:latest\"]") &&
                   strstr(rec, "\"config\":{\"architecture\"") &&
                   strstr(rec, "\"manifest_digest\":\"sha256:999") && !strstr(rec, "\"dir\""),
           "record: layers, refs, whole config, manifest digest");
        free(rec);
        rec = NULL;
        is_int(count_tmp(images), 0, "no staging left in images/");

        ok(image_store_lookup(s, "busybox", &found, &e) == 0 && found == img, "lookup by name");
        ok(image_store_lookup(s, "busybox:latest", &found, &e) == 0 && found == img,
           "lookup name:tag");
        ok(image_store_lookup(s, idc('1'), &found, &e) == 0 && found == img, "lookup by id");
        ok(image_store_lookup(s, dg('1'), &found, &e) == 0 && found == img, "lookup by sha256:id");
        snprintf(prefix, sizeof(prefix), "%.6s", idc('1'));
        ok(image_store_lookup(s, prefix, &found, &e) == 0 && found == img, "lookup by id prefix");
        ok(image_store_lookup(s, "busybox:other", &found, &e) == -ENOENT && e,
           "unknown tag: ENOENT");
        ctr_error_free(e);
        e = NULL;

        /* The same config digest again: a ref is added, nothing else. */
        ok(commit_image(s, '1', "ab", "busybox", "1.0", &img2, &e) == 0 && img2 == img &&
                   image_store_count(s) == 1 && img->n_refs == 2 && strcmp(img->tag, "latest") == 0,
           "same id under a second name: ref added");
        ok(commit_image(s, '1', "ab", NULL, NULL, &img2, &e) == 0 && img2 == img &&
                   img->n_refs == 2,
           "same id without a name: unchanged");
        ok(image_store_find_ref(s, "busybox", "1.0") == img &&
                   !image_store_find_ref(s, "busybox", "2"),
           "find_ref");
        is_int(image_store_tag(s, idc('1'), "busybox", "1.0", &e), 0, "tag again: no-op");
        is_int(img->n_refs, 2, "no duplicate ref");

        /* Image 2 shares layer b and takes busybox:1.0 away from 1. */
        is_int(commit_image(s, '2', "bc", "busybox", "1.0", &img2, &e), 0,
               "commit image 2 over b, c");
        ok(img2 != img && img2->n_refs == 1 && img->n_refs == 1 && strcmp(img->tag, "latest") == 0,
           "ref moved from 1 to 2");
        ok(strcmp(img2->layers[0].dir, img->layers[1].dir) == 0, "layer b shared");
        is_int(image_store_tag(s, idc('2'), "busybox", NULL, &e), 0, "tag 2 busybox (latest)");
        ok(img->n_refs == 0 && !img->name && !img->tag && image_store_count(s) == 2,
           "1 is dangling");
        ok(image_store_tag(s, idc('2'), "Bad", "x", &e) == -EINVAL, "tag with a bad name refused");
        ok(image_store_tag(s, "0123", "x", "1", &e) == -ENOENT, "tag of an unknown id: ENOENT");
        is_int(image_store_untag(s, "busybox", "1.0", &e), 0, "untag busybox:1.0");
        ok(image_store_untag(s, "busybox", "1.0", &e) == -ENOENT, "untag again: ENOENT");
        ok(img2->n_refs == 1 && strcmp(img2->tag, "latest") == 0, "2 keeps busybox:latest");
        ctr_error_free(e);
        e = NULL;

        j = image_to_json(img);
        ok(j && json_integer_value(json_object_get(j, "layers")) == 2 &&
                   json_integer_value(json_object_get(j, "size")) == 30 &&
                   strcmp(json_string_value(json_object_get(j, "ref")), "<none>:<none>") == 0 &&
                   strcmp(json_string_value(json_object_get(j, "name")), "<none>") == 0 &&
                   json_array_size(json_object_get(j, "refs")) == 0 &&
                   json_is_string(json_object_get(j, "created")) &&
                   strcmp(json_string_value(json_object_get(j, "created")),
                          "2024-01-02T03:04:05.500000000Z") == 0,
           "image_to_json of a dangling image");
        json_decref(j);
        j = image_to_inspect_json(img2);
        {
                json_t *l = json_array_get(json_object_get(j, "layers"), 1);
                ok(j &&
                           strcmp(json_string_value(json_object_get(j, "architecture")), "amd64") ==
                                   0 &&
                           strcmp(json_string_value(json_object_get(j, "os")), "linux") == 0 &&
                           json_is_object(json_object_get(j, "config")) &&
                           json_equal(json_object_get(j, "config"), img2->config) &&
                           json_array_size(json_object_get(j, "history")) == 1 &&
                           strcmp(json_string_value(json_object_get(j, "manifest_digest")),
                                  dg('9')) == 0 &&
                           json_array_size(json_object_get(j, "layers")) == 2 &&
                           strcmp(json_string_value(json_object_get(l, "diff_id")), dg('c')) == 0 &&
                           strcmp(json_string_value(json_object_get(l, "digest")), dg('2')) == 0 &&
                           json_integer_value(json_object_get(l, "size")) == 30 &&
                           json_integer_value(json_object_get(l, "blob_size")) == 101 &&
                           strcmp(json_string_value(json_object_get(l, "dir")),
                                  image_store_layer_dir(s, dg('c'))) == 0 &&
                           json_is_string(json_object_get(l, "media_type")),
                   "image_to_inspect_json");
        }
        json_decref(j);

        /* Round trip: everything comes back from disk. */
        image_store_free(s);
        s = NULL;
        is_int(image_store_open(root, &s, &e), 0, "reopen");
        is_int(image_store_count(s), 2, "both images loaded");
        ok(image_store_lookup(s, idc('1'), &found, &e) == 0 && found->n_refs == 0 &&
                   found->n_layers == 2 && found->size == 30 &&
                   found->created_ns == 1704164645500000000LL &&
                   strcmp(found->layers[1].dir, image_store_layer_dir(s, dg('b'))) == 0 &&
                   strcmp(found->layers[0].digest, dg('0')) == 0 &&
                   found->layers[0].blob_size == 100 &&
                   strcmp(found->layers[0].media_type,
                          "application/vnd.oci.image.layer.v1.tar+gzip") == 0 &&
                   strcmp(found->manifest_digest, dg('9')) == 0 &&
                   strcmp(json_string_value(json_object_get(
                                  json_object_get(found->config, "config"), "WorkingDir")),
                          idc('1')) == 0,
           "record round trip");
        ok(image_store_lookup(s, "busybox", &found, &e) == 0 && strcmp(found->id, idc('2')) == 0 &&
                   found->updated_ns >= found->created_ns,
           "refs round trip");

        /* Remove: the record goes, the layers stay. */
        is_int(image_store_remove(s, idc('1'), &e), 0, "remove image 1");
        ok(image_store_count(s) == 1 && image_store_lookup(s, idc('1'), &found, NULL) == -ENOENT &&
                   !exists_in(root,
                              "images/"
                              "1111111111111111111111111111111111111111111111111111111111111111"),
           "image 1 gone");
        ok(image_store_layer_dir(s, dg('a')) && exists_in(image_store_layer_dir(s, dg('a')), "a"),
           "its layers stay (for prune)");
        is_int(count_tmp(images), 0, "no trash left in images/");
        ok(image_store_remove(s, idc('1'), &e) == -ENOENT, "remove again: ENOENT");
        ctr_error_free(e);
        e = NULL;
        image_store_free(s);
}

struct keep_state {
        const char *keep_dir;
        unsigned calls;
};

static bool
keep_cb(const char *layer_dir, void *userdata)
{
        struct keep_state *k = userdata;

        k->calls++;
        return k->keep_dir && strcmp(layer_dir, k->keep_dir) == 0;
}

static void
free_trash(char **trash)
{
        for (size_t i = 0; trash && trash[i]; i++)
                free(trash[i]);
        free(trash);
}

static void
test_prune(void)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        _cleanup_free_ char *root = tpath("prune"), *layers = tpath("prune/layers"), *e_dir = NULL;
        struct image_store *s = NULL;
        struct keep_state k = { 0 };
        char **trash = NULL;
        size_t n = 0;
        uint64_t bytes = 0;
        const char *dir;
        bool all_there = true;

        is_int(image_store_open(root, &s, &e), 0, "open store");
        for (const char *c = "abcde"; *c; c++)
                commit_layer(s, *c, (size_t) (*c - 'a' + 1) * 10, NULL);
        is_int(commit_image(s, '1', "ab", "x", "1", NULL, &e), 0, "image 1 over a, b");
        is_int(commit_image(s, '2', "bc", NULL, NULL, NULL, &e), 0, "image 2 over b, c (dangling)");
        e_dir = strdup(image_store_layer_dir(s, dg('e')));
        k.keep_dir = e_dir;

        is_int(image_store_prune_layers(s, keep_cb, &k, &trash, &n, &bytes, &e), 0, "prune");
        ok(n == 1 && bytes == 40 && trash && trash[0] && !trash[1] &&
                   strstr(trash[0], "/layers/.tmp-rm-") && exists_in(trash[0], "diff/d"),
           "only d swept (e kept by keep()), renamed to .tmp-rm-*");
        ok(!image_store_layer_dir(s, dg('d')) && image_store_layer_dir(s, dg('e')),
           "d gone from the store, e kept");
        ok(k.calls == 2, "keep() asked only about unreferenced layers");
        for (const char *c = "abce"; *c; c++)
                all_there = all_there && (dir = image_store_layer_dir(s, dg(*c))) && exists(dir);
        ok(all_there, "a, b, c, e still there");
        rm_rf(trash[0], NULL);
        free_trash(trash);

        is_int(image_store_remove(s, idc('1'), &e), 0, "remove image 1");
        k.keep_dir = NULL;
        trash = NULL;
        n = 0;
        bytes = 0;
        is_int(image_store_prune_layers(s, NULL, NULL, &trash, &n, &bytes, &e), 0,
               "prune without keep()");
        ok(n == 2 && bytes == 10 + 50 && trash && trash[0] && trash[1] && !trash[2],
           "a and e swept");
        ok(!image_store_layer_dir(s, dg('a')) && image_store_layer_dir(s, dg('b')) &&
                   image_store_layer_dir(s, dg('c')),
           "b, c (image 2) stay");
        for (size_t i = 0; trash && trash[i]; i++)
                rm_rf(trash[i], NULL);
        free_trash(trash);

        trash = NULL;
        is_int(image_store_prune_layers(s, keep_cb, &k, &trash, &n, &bytes, &e), 0, "prune again");
        ok(trash && !trash[0], "nothing more to sweep");
        free_trash(trash);
        image_store_free(s);
        s = NULL;
        is_int(count_tmp(layers), 0, "nothing left in layers/");
        ok(image_store_open(root, &s, &e) == 0 && image_store_layer_dir(s, dg('b')) &&
                   !image_store_layer_dir(s, dg('a')) && image_store_count(s) == 1,
           "reopen: same state");
        image_store_free(s);
}

/* Unfinished unpacks, commits and removals: .tmp-* in images/ and layers/. */
static void
test_leftovers(void)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        _cleanup_free_ char *root = tpath("crash"), *l1 = tpath("crash/layers/.tmp-0123"),
                            *l2 = tpath("crash/layers/.tmp-rm-4567/diff/x/y"),
                            *i1 = tpath("crash/images/.tmp-89ab"),
                            *i2 = tpath("crash/images/.tmp-rm-cdef/rootfs/z"),
                            *i3 = tpath("crash/images/.tmp-"),
                            *l2top = tpath("crash/layers/.tmp-rm-4567"),
                            *i2top = tpath("crash/images/.tmp-rm-cdef"),
                            *rec = tpath("crash/images/.tmp-89ab/image.json");
        struct image_store *s = NULL;

        mkdir_p(l1, 0700, NULL);
        mkdir_p(l2, 0700, NULL);
        mkdir_p(i1, 0700, NULL);
        mkdir_p(i2, 0700, NULL);
        mkdir_p(i3, 0700, NULL);
        write_file_atomic(rec, "{}", 2, 0600, NULL);
        is_int(image_store_open(root, &s, &e), 0, "open store with leftovers");
        ok(!exists(l1) && !exists(l2top) && !exists(i1) && !exists(i2top) && !exists(i3),
           "every .tmp-* removed at open");
        is_int(image_store_count(s), 0, "no image from a staging dir");
        image_store_free(s);
}

/* Writes <root>/images/<64 x c>/image.json: {"id":"<id>",<rest>, with a rootfs/. */
static void
put_record(const char *root, char c, const char *rest)
{
        char *dir = NULL, *rootfs = NULL, *text = NULL, *path = NULL;

        if (asprintf(&dir, "%s/images/%s", root, idc(c)) < 0 ||
            asprintf(&text, "{\"id\":\"%s\",%s", idc(c), rest) < 0)
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

/* Records of the old single-rootfs formats (single name, several refs), a
 * ref left on two images by a crash, and corrupt ones. */
static void
test_records(void)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        _cleanup_free_ char *root = tpath("records"), *images = tpath("records/images"),
                            *rec3 = NULL, *rec1 = NULL, *rootfs1 = NULL, *dir1 = NULL;
        struct image_store *s = NULL;
        const struct image *img = NULL;
        char **trash = NULL;
        size_t n = 0;
        uint64_t bytes = 0;
        char hex_a[65];

        /* A committed layer for the current-format records below. */
        is_int(image_store_open(root, &s, &e), 0, "open empty store");
        is_int(commit_layer(s, 'a', 5, NULL), 0, "layer a");
        image_store_free(s);
        s = NULL;
        memset(hex_a, 'a', 64);
        hex_a[64] = 0;

        put_record(root, '1', "\"name\":\"old\",\"tag\":\"v1\",\"created\":100,\"size\":5}");
        put_record(root, '2',
                   "\"name\":null,\"tag\":null,\"created\":110,\"size\":5,"
                   "\"config\":{\"Cmd\":[\"/bin/app\"],\"Env\":[\"A=1\"]}}");
        put_record(root, '3',
                   "\"refs\":[\"dup:1\",\"x/y:2\",\"registry:5000/z:3\"],"
                   "\"created\":200,\"updated\":300,\"size\":5}");
        put_record(root, '4', "\"refs\":[\"dup:1\"],\"created\":250,\"updated\":400,\"size\":5}");
        put_record(root, '5', "\"refs\":[\"Bad Ref\"],\"created\":1,\"size\":5}");
        put_record(root, '6', "\"name\":\"half\",\"created\":1,\"size\":5}");
        put_record(root, '7', "\"refs\":[1],\"created\":1,\"size\":5}");
        /* Current format: a missing layer, a bad layer, a bad digest. */
        put_record(root, '8',
                   "\"refs\":[],\"created\":1,\"size\":5,\"config\":{},\"manifest_digest\":null,"
                   "\"layers\":[{\"diff_id\":\"sha256:"
                   "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\","
                   "\"digest\":\"\",\"media_type\":null,\"size\":5,\"blob_size\":0}]}");
        put_record(
                root, 'b',
                "\"refs\":[],\"created\":1,\"size\":5,\"config\":{},\"layers\":[{\"diff_id\":1}]}");
        put_record(
                root, 'c',
                "\"refs\":[],\"created\":1,\"size\":5,\"config\":{},\"manifest_digest\":\"md5:x\","
                "\"layers\":[]}");
        put_record(root, 'd', "\"refs\":[],\"created\":1,\"size\":5,\"layers\":[]}");
        /* Current format, good, over layer a. */
        {
                char *rest = NULL;
                if (asprintf(&rest,
                             "\"refs\":[\"cur:1\"],\"created\":500,\"size\":5,\"config\":{\"os\":"
                             "\"linux\"},"
                             "\"manifest_digest\":null,\"layers\":[{\"diff_id\":\"sha256:%s\","
                             "\"digest\":\"%s\","
                             "\"media_type\":\"application/vnd.oci.image.layer.v1.tar\",\"size\":5,"
                             "\"blob_size\":7}]}",
                             hex_a, dg('0')) < 0)
                        abort();
                put_record(root, 'e', rest);
                free(rest);
        }
        put_record(root, 'f', "\"refs\":[\"torn");

        is_int(image_store_open(root, &s, &e), 0, "open store of hand-written records");
        is_int(image_store_count(s), 5, "invalid records skipped");
        ok(image_store_lookup(s, "old:v1", &img, NULL) == 0 && strcmp(img->id, idc('1')) == 0 &&
                   img->n_refs == 1 && strcmp(img->name, "old") == 0 && img->updated_ns == 100,
           "old single-name record loads");
        ok(img->n_layers == 1 && img->layers[0].diff_id[0] == '\0' && img->layers[0].size == 5 &&
                   (dir1 = path_join(images, idc('1'))) && (rootfs1 = path_join(dir1, "rootfs")) &&
                   strcmp(img->layers[0].dir, rootfs1) == 0,
           "old record: one layer, its rootfs/");
        ok(json_is_array(json_object_get(json_object_get(img->config, "config"), "Cmd")) &&
                   strcmp(json_string_value(json_object_get(img->config, "os")), "linux") == 0,
           "old record without config: the default one, as an OCI config");
        ok(image_store_lookup(s, idc('2'), &img, NULL) == 0 && img->n_refs == 0 && !img->name &&
                   strcmp(json_string_value(json_array_get(
                                  json_object_get(json_object_get(img->config, "config"), "Cmd"),
                                  0)),
                          "/bin/app") == 0,
           "old dangling record loads with its config inside an OCI config");
        ok(image_store_lookup(s, "dup:1", &img, NULL) == 0 && strcmp(img->id, idc('4')) == 0,
           "doubled ref: the most recently written record keeps it");
        ok(image_store_lookup(s, "x/y:2", &img, NULL) == 0 && strcmp(img->id, idc('3')) == 0 &&
                   img->n_refs == 2 && strcmp(img->name, "x/y") == 0,
           "the other image loses only that ref");
        ok(image_store_lookup(s, "registry:5000/z:3", &img, NULL) == 0 &&
                   strcmp(img->id, idc('3')) == 0,
           "ref with a registry port");
        ok(image_store_lookup(s, "cur:1", &img, NULL) == 0 && strcmp(img->id, idc('e')) == 0 &&
                   img->n_layers == 1 &&
                   strcmp(img->layers[0].dir, image_store_layer_dir(s, dg('a'))) == 0 &&
                   img->layers[0].blob_size == 7 && !img->manifest_digest,
           "current-format record over a committed layer");
        ok(image_store_lookup(s, idc('8'), &img, NULL) == -ENOENT,
           "record over a missing layer skipped");
        is_str(image_store_get(s, 0)->id, idc('1'), "listed by creation time");

        is_int(image_store_tag(s, idc('1'), "new", "v2", &e), 0, "tag the old-format image");
        image_store_free(s);
        s = NULL;

        rec3 = read_text(root,
                         "images/3333333333333333333333333333333333333333333333333333333333333333/"
                         "image.json");
        ok(rec3 && !strstr(rec3, "dup:1") &&
                   strstr(rec3, "\"refs\":[\"x/y:2\",\"registry:5000/z:3\"]"),
           "reconciled record rewritten");
        rec1 = read_text(root,
                         "images/1111111111111111111111111111111111111111111111111111111111111111/"
                         "image.json");
        ok(rec1 && strstr(rec1, "\"refs\":[\"old:v1\",\"new:v2\"]") &&
                   strstr(rec1, "\"updated\":") &&
                   strstr(rec1, "\"layers\":[{\"blob_size\":0,\"diff_id\":\"\",\"digest\":\"\","
                                "\"media_type\":null,\"size\":5}]"),
           "rewritten in the current format, the old tree as a layer with diff_id \"\"");

        is_int(image_store_open(root, &s, &e), 0, "reopen");
        ok(image_store_lookup(s, "new:v2", &img, NULL) == 0 && strcmp(img->id, idc('1')) == 0 &&
                   img->n_refs == 2 && img->n_layers == 1 &&
                   strcmp(img->layers[0].dir, rootfs1) == 0,
           "rewritten old image still uses rootfs/");
        ok(image_store_lookup(s, "dup:1", &img, NULL) == 0 && strcmp(img->id, idc('4')) == 0,
           "dup:1 stays");
        is_int(image_store_untag(s, "dup", "1", &e), 0, "untag the last ref of 4");
        ok(image_store_lookup(s, idc('4'), &img, NULL) == 0 && img->n_refs == 0, "4 dangling");

        /* An old-format image's tree goes with it, through prune's trash. */
        is_int(image_store_remove(s, idc('4'), &e), 0, "delete old-format 4");
        is_int(image_store_remove(s, idc('1'), &e), 0, "delete rewritten old-format 1");
        is_int(image_store_count(s), 3, "3 images left");
        ok(!exists(rootfs1) && count_tmp(images) == 2, "their trees are renamed to .tmp-rm-*");
        is_int(image_store_prune_layers(s, NULL, NULL, &trash, &n, &bytes, &e), 0, "prune");
        ok(n == 2 && bytes == 10 && trash && trash[0] && trash[1] && !trash[2] &&
                   strstr(trash[0], "/images/.tmp-rm-") && exists_in(trash[0], "rootfs"),
           "prune hands out the old trees (layer a is used by cur:1)");
        ok(image_store_layer_dir(s, dg('a')), "layer a kept");
        for (size_t i = 0; trash && trash[i]; i++)
                rm_rf(trash[i], NULL);
        free_trash(trash);
        is_int(count_tmp(images), 0, "no trash left after the worker's rm");
        image_store_free(s);
}

int
main(void)
{
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/test-image-XXXXXX");
        if (!mkdtemp(tmpdir))
                return 1;
        test_refs();
        test_layers();
        test_images();
        test_prune();
        test_leftovers();
        test_records();
        rm_rf(tmpdir, NULL);
        return tap_done();
}
