/* One image's record, images/<id>/image.json, its refs and layers in
 * memory, and its JSON views. Current format (keys sorted, compact):
 *   {"id","refs":["name:tag",...],"created","updated" (ns),"size",
 *    "config":{the whole OCI image config},
 *    "layers":[{"diff_id","digest","media_type","size","blob_size"}...],
 *    "manifest_digest":"sha256:..."|null}
 * Older records have no "layers": the image's single tree is rootfs/ next
 * to image.json, "config" is only the Docker-style part (Cmd, Env), and
 * the oldest have "name"/"tag" instead of "refs". They load as one layer
 * with diff_id "" and are rewritten in the current format on change. */
#include "daemon/image/record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs-util.h"
#include "common/time-util.h"

/* OCI configs may carry a long history; oci.c reads config blobs of up to
 * 4 MiB. */
#define RECORD_MAX (8 * 1024 * 1024)
#define REFS_MAX 4096
#define LAYERS_MAX 4096

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* name/tag alias refs[0]; call after every change of refs. */
static void
sync_first(struct image *img)
{
        img->name = img->n_refs ? img->refs[0].name : NULL;
        img->tag = img->n_refs ? img->refs[0].tag : NULL;
}

static void
layers_free(struct image_layer *layers, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(layers[i].media_type);
                free(layers[i].dir);
        }
        free(layers);
}

void
image_free(struct image *img)
{
        if (!img)
                return;
        for (size_t i = 0; i < img->n_refs; i++) {
                free(img->refs[i].name);
                free(img->refs[i].tag);
        }
        free(img->refs);
        layers_free(img->layers, img->n_layers);
        json_decref(img->config);
        free(img->manifest_digest);
        free(img);
}

bool
image_is_legacy(const struct image *img)
{
        return img->n_layers == 1 && img->layers[0].diff_id[0] == '\0';
}

ssize_t
image_ref_index(const struct image *img, const char *name, const char *tag)
{
        for (size_t i = 0; i < img->n_refs; i++)
                if (strcmp(img->refs[i].name, name) == 0 && strcmp(img->refs[i].tag, tag) == 0)
                        return (ssize_t) i;
        return -1;
}

int
image_ref_insert(struct image *img, size_t pos, const char *name, const char *tag)
{
        _cleanup_free_ char *n = strdup(name), *t = strdup(tag);
        struct image_ref *refs;

        if (!n || !t || pos > img->n_refs)
                return -ENOMEM;
        refs = reallocarray(img->refs, img->n_refs + 1, sizeof(*refs));
        if (!refs)
                return -ENOMEM;
        img->refs = refs;
        memmove(refs + pos + 1, refs + pos, (img->n_refs - pos) * sizeof(*refs));
        refs[pos] = (struct image_ref){ .name = TAKE_PTR(n), .tag = TAKE_PTR(t) };
        img->n_refs++;
        sync_first(img);
        return 0;
}

void
image_ref_remove(struct image *img, size_t pos)
{
        if (pos >= img->n_refs)
                return;
        free(img->refs[pos].name);
        free(img->refs[pos].tag);
        memmove(img->refs + pos, img->refs + pos + 1, (img->n_refs - pos - 1) * sizeof(*img->refs));
        img->n_refs--;
        sync_first(img);
}

char *
image_ref_format(const struct image_ref *ref)
{
        char *s = NULL;

        if (asprintf(&s, "%s:%s", ref->name, ref->tag) < 0)
                return NULL;
        return s;
}

int
image_set_layers(struct image *img, const struct image_layer *layers, size_t n)
{
        struct image_layer *copy = calloc(n ? n : 1, sizeof(*copy));

        if (!copy)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                copy[i] = layers[i];
                copy[i].dir = NULL;
                copy[i].media_type = NULL;
                if (layers[i].media_type && !(copy[i].media_type = strdup(layers[i].media_type))) {
                        layers_free(copy, i + 1);
                        return -ENOMEM;
                }
        }
        layers_free(img->layers, img->n_layers);
        img->layers = copy;
        img->n_layers = n;
        return 0;
}

/* RFC 3339 as OCI configs use it: "2024-01-02T03:04:05[.frac](Z|+hh:mm)". */
int
image_config_created(json_t *config, int64_t *ret)
{
        const char *s = json_string_value(json_object_get(config, "created"));

        if (!s)
                return -EINVAL;
        return parse_rfc3339_ns(s, strlen(s), ret);
}

static json_t *
refs_json(const struct image *img)
{
        _cleanup_(json_decrefp) json_t *a = json_array();

        for (size_t i = 0; a && i < img->n_refs; i++) {
                char *r = image_ref_format(&img->refs[i]);
                if (!r || json_array_append_new(a, json_string(r)) < 0) {
                        free(r);
                        return NULL;
                }
                free(r);
        }
        return TAKE_PTR(a);
}

static json_t *
str_or_null(const char *s)
{
        return s ? json_string(s) : json_null();
}

/* The layers as the record has them; with dirs for inspect. */
static json_t *
layers_json(const struct image *img, bool with_dir)
{
        _cleanup_(json_decrefp) json_t *a = json_array();

        for (size_t i = 0; a && i < img->n_layers; i++) {
                const struct image_layer *l = &img->layers[i];
                json_t *o = json_pack("{s:s,s:s,s:o,s:I,s:I}", "diff_id", l->diff_id, "digest",
                                      l->digest, "media_type", str_or_null(l->media_type), "size",
                                      (json_int_t) l->size, "blob_size", (json_int_t) l->blob_size);
                if (o && with_dir && json_object_set_new(o, "dir", str_or_null(l->dir)) < 0)
                        json_decref(TAKE_PTR(o));
                if (!o || json_array_append_new(a, o) < 0)
                        return NULL;
        }
        return TAKE_PTR(a);
}

int
image_record_write(const struct image *img, const char *dir, struct ctr_error **err)
{
        _cleanup_(json_decrefp) json_t *j = NULL, *refs = refs_json(img),
                                       *layers = layers_json(img, false);
        _cleanup_free_ char *text = NULL, *path = NULL;

        if (refs && layers)
                j = json_pack("{s:s,s:O,s:I,s:I,s:I,s:O,s:O,s:o}", "id", img->id, "refs", refs,
                              "created", (json_int_t) img->created_ns, "updated",
                              (json_int_t) img->updated_ns, "size", (json_int_t) img->size,
                              "config", img->config, "layers", layers, "manifest_digest",
                              str_or_null(img->manifest_digest));
        if (j)
                text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        path = path_join(dir, "image.json");
        if (!text || !path)
                return ctr_error_msg(err, ENOMEM, "write image record: out of memory");
        return write_file_atomic(path, text, strlen(text), 0600, err);
}

/* Adds "name:tag" (validated) to img unless it is there already. */
static int
load_ref(struct image *img, const char *ref, const char *path, struct ctr_error **err)
{
        _cleanup_free_ char *name = NULL, *tag = NULL;

        if (image_parse_ref(ref, &name, &tag, NULL) < 0)
                return ctr_error_msg(err, EINVAL, "`%s`: invalid image record: bad ref `%s`", path,
                                     ref);
        if (image_ref_index(img, name, tag) >= 0)
                return 0;
        if (image_ref_insert(img, img->n_refs, name, tag) < 0)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        return 0;
}

/* The refs of a current record, or name/tag of an old one. */
static int
load_refs(struct image *img, json_t *refs, json_t *jname, json_t *jtag, const char *path,
          struct ctr_error **err)
{
        _cleanup_free_ char *ref = NULL;
        const char *name = NULL, *tag = NULL;
        json_t *v;
        size_t i;
        int r;

        if (refs) {
                if (!json_is_array(refs) || json_array_size(refs) > REFS_MAX)
                        return ctr_error_msg(err, EINVAL, "`%s`: invalid image record: bad refs",
                                             path);
                json_array_foreach (refs, i, v) {
                        if (!json_is_string(v))
                                return ctr_error_msg(err, EINVAL,
                                                     "`%s`: invalid image record: bad refs", path);
                        r = load_ref(img, json_string_value(v), path, err);
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        if ((jname && !json_is_null(jname) && !(name = json_string_value(jname))) ||
            (jtag && !json_is_null(jtag) && !(tag = json_string_value(jtag))) || (!name) != (!tag))
                return ctr_error_msg(err, EINVAL, "`%s`: invalid image record: bad name or tag",
                                     path);
        if (!name)
                return 0;
        if (asprintf(&ref, "%s:%s", name, tag) < 0)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        return load_ref(img, ref, path, err);
}

/* "sha256:<64 hex>", or "" where allow_empty. */
static bool
digest_ok(const char *d, bool allow_empty)
{
        if (allow_empty && d[0] == '\0')
                return true;
        return strncmp(d, "sha256:", 7) == 0 && id_is_valid(d + 7);
}

static int
load_layers(struct image *img, json_t *layers, const char *path, struct ctr_error **err)
{
        size_t n = json_array_size(layers), i;
        json_t *v;

        if (!json_is_array(layers) || n > LAYERS_MAX)
                return ctr_error_msg(err, EINVAL, "`%s`: invalid image record: bad layers", path);
        img->layers = calloc(n ? n : 1, sizeof(*img->layers));
        if (!img->layers)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        json_array_foreach (layers, i, v) {
                struct image_layer *l = &img->layers[i];
                const char *diff_id = NULL, *digest = NULL;
                json_t *media_type = NULL;
                json_int_t size = -1, blob_size = -1;
                json_error_t jerr;

                img->n_layers = i + 1;
                if (json_unpack_ex(v, &jerr, 0, "{s:s,s:s,s:o,s:I,s:I}", "diff_id", &diff_id,
                                   "digest", &digest, "media_type", &media_type, "size", &size,
                                   "blob_size", &blob_size) < 0)
                        return ctr_error_msg(err, EINVAL,
                                             "`%s`: invalid image record: layer %zu: %s", path,
                                             i + 1, jerr.text);
                /* diff_id "" is an old-format tree (rootfs/): alone only. */
                if (!digest_ok(diff_id, n == 1) || !digest_ok(digest, true) || size < 0 ||
                    blob_size < 0 || (!json_is_null(media_type) && !json_is_string(media_type)))
                        return ctr_error_msg(err, EINVAL, "`%s`: invalid image record: layer %zu",
                                             path, i + 1);
                memcpy(l->diff_id, diff_id, strlen(diff_id) + 1);
                memcpy(l->digest, digest, strlen(digest) + 1);
                l->size = (uint64_t) size;
                l->blob_size = (uint64_t) blob_size;
                if (json_is_string(media_type) &&
                    !(l->media_type = strdup(json_string_value(media_type))))
                        return ctr_error_msg(err, ENOMEM, "out of memory");
        }
        return 0;
}

/* An old record: its rootfs/ as the only layer, and its Docker-style
 * config (or the default one) as the "config" of an OCI config. The
 * architecture is left out: a rootfs tarball never said. */
static int
load_legacy(struct image *img, const char *dir, json_t *old_config)
{
        img->layers = calloc(1, sizeof(*img->layers));
        if (!img->layers)
                return -ENOMEM;
        img->n_layers = 1;
        img->layers[0].size = img->size;
        img->layers[0].dir = path_join(dir, "rootfs");
        if (json_is_object(old_config))
                img->config = json_pack("{s:s,s:O}", "os", "linux", "config", old_config);
        else
                img->config = json_pack("{s:s,s:{s:[s],s:[s]}}", "os", "linux", "config", "Cmd",
                                        "sh", "Env", DEFAULT_PATH);
        return img->layers[0].dir && img->config ? 0 : -ENOMEM;
}

int
image_record_load(const char *dir, const char *id, struct image **ret, struct ctr_error **err)
{
        _cleanup_free_ char *path = NULL, *text = NULL;
        _cleanup_(json_decrefp) json_t *j = NULL;
        _cleanup_(image_freep) struct image *img = NULL;
        const char *rid = NULL;
        json_int_t created = 0, size = 0, updated = -1;
        json_t *config = NULL, *jname = NULL, *jtag = NULL, *refs = NULL, *layers = NULL,
               *manifest = NULL;
        json_error_t jerr;
        int r;

        if (!(path = path_join(dir, "image.json")))
                return ctr_error_msg(err, ENOMEM, "out of memory");
        r = read_file_full(path, RECORD_MAX, &text, NULL, err);
        if (r < 0)
                return r;
        j = json_loads(text, 0, &jerr);
        if (!j || json_unpack_ex(j, &jerr, 0, "{s:s,s?o,s?o,s?o,s:I,s?I,s:I,s?o,s?o,s?o}", "id",
                                 &rid, "refs", &refs, "name", &jname, "tag", &jtag, "created",
                                 &created, "updated", &updated, "size", &size, "config", &config,
                                 "layers", &layers, "manifest_digest", &manifest) < 0)
                return ctr_error_msg(err, EINVAL, "`%s`: invalid image record: %s", path,
                                     jerr.text);
        if (strcmp(rid, id) != 0 || size < 0)
                return ctr_error_msg(err, EINVAL, "`%s`: invalid image record", path);
        if (manifest && !json_is_null(manifest) &&
            (!json_is_string(manifest) || !digest_ok(json_string_value(manifest), false)))
                return ctr_error_msg(err, EINVAL, "`%s`: invalid image record: bad manifest_digest",
                                     path);
        if (layers && !json_is_object(config))
                return ctr_error_msg(err, EINVAL, "`%s`: invalid image record: no config", path);
        img = calloc(1, sizeof(*img));
        if (!img)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        memcpy(img->id, id, ID_HEX_LEN + 1);
        r = load_refs(img, refs, jname, jtag, path, err);
        if (r < 0)
                return r;
        img->created_ns = created;
        img->updated_ns = updated >= 0 ? updated : created;
        img->size = (uint64_t) size;
        if (json_is_string(manifest) &&
            !(img->manifest_digest = strdup(json_string_value(manifest))))
                return ctr_error_msg(err, ENOMEM, "out of memory");
        if (!layers) {
                if (load_legacy(img, dir, config) < 0)
                        return ctr_error_msg(err, ENOMEM, "out of memory");
        } else {
                r = load_layers(img, layers, path, err);
                if (r < 0)
                        return r;
                if (image_is_legacy(img) && !(img->layers[0].dir = path_join(dir, "rootfs")))
                        return ctr_error_msg(err, ENOMEM, "out of memory");
                img->config = json_incref(config);
        }
        *ret = TAKE_PTR(img);
        return 0;
}

/* ---- JSON views ---- */

json_t *
image_to_json(const struct image *img)
{
        _cleanup_(json_decrefp) json_t *refs = refs_json(img);
        _cleanup_free_ char *first = NULL;
        char created[64];

        if (!refs || (img->n_refs && !(first = image_ref_format(&img->refs[0]))))
                return NULL;
        format_rfc3339(img->created_ns, created, sizeof(created));
        return json_pack("{s:s,s:s,s:s,s:s,s:O,s:s,s:I,s:I}", "id", img->id, "name",
                         img->name ?: "<none>", "tag", img->tag ?: "<none>", "ref",
                         first ?: "<none>:<none>", "refs", refs, "created", created, "size",
                         (json_int_t) img->size, "layers", (json_int_t) img->n_layers);
}

static json_t *
config_string(const struct image *img, const char *key)
{
        json_t *v = json_object_get(img->config, key);

        return json_is_string(v) ? json_incref(v) : json_null();
}

json_t *
image_to_inspect_json(const struct image *img)
{
        _cleanup_(json_decrefp) json_t *j = image_to_json(img);
        json_t *history = json_object_get(img->config, "history");

        if (!j ||
            json_object_set_new(j, "config",
                                img->config ? json_deep_copy(img->config) : json_object()) < 0 ||
            json_object_set_new(j, "architecture", config_string(img, "architecture")) < 0 ||
            json_object_set_new(j, "os", config_string(img, "os")) < 0 ||
            json_object_set_new(j, "manifest_digest", str_or_null(img->manifest_digest)) < 0 ||
            json_object_set_new(j, "history",
                                json_is_array(history) ? json_deep_copy(history) : json_array()) <
                    0 ||
            json_object_set_new(j, "layers", layers_json(img, true)) < 0)
                return NULL;
        return TAKE_PTR(j);
}
