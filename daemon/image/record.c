/* One image's record, images/<id>/image.json, and its list of refs in
 * memory. Current format: {"id","refs":["name:tag",...],"name","tag",
 * "created","updated","size","config"} where name/tag repeat the first ref
 * (null when dangling) so an older daemon still finds one name. Records
 * written before images had several names have name/tag only. */
#include "daemon/image/record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs-util.h"

#define RECORD_MAX (1024 * 1024)
#define REFS_MAX 4096

/* name/tag alias refs[0]; call after every change of refs. */
static void
sync_first(struct image *img)
{
        img->name = img->n_refs ? img->refs[0].name : NULL;
        img->tag = img->n_refs ? img->refs[0].tag : NULL;
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
        free(img->rootfs);
        json_decref(img->config);
        free(img);
}

json_t *
image_default_config(void)
{
        return json_pack("{s:[s],s:[s]}", "Cmd", "sh", "Env",
                         "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
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
        refs[pos] = (struct image_ref) { .name = TAKE_PTR(n), .tag = TAKE_PTR(t) };
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
image_record_write(const struct image *img, const char *dir, struct ctr_error **err)
{
        _cleanup_(json_decrefp) json_t *j = NULL, *refs = json_array();
        _cleanup_free_ char *text = NULL, *path = NULL;

        for (size_t i = 0; refs && i < img->n_refs; i++) {
                char *r = image_ref_format(&img->refs[i]);
                if (!r || json_array_append_new(refs, json_string(r)) < 0) {
                        free(r);
                        return ctr_error_msg(err, ENOMEM, "write image record: out of memory");
                }
                free(r);
        }
        if (refs)
                j = json_pack("{s:s,s:O,s:o,s:o,s:I,s:I,s:I,s:O*}", "id", img->id, "refs", refs,
                              "name", img->name ? json_string(img->name) : json_null(),
                              "tag", img->tag ? json_string(img->tag) : json_null(),
                              "created", (json_int_t) img->created_ns,
                              "updated", (json_int_t) img->updated_ns, "size", (json_int_t) img->size,
                              "config", img->config);
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
                return ctr_error_msg(err, EINVAL, "`%s`: invalid image record: bad ref `%s`", path, ref);
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
                        return ctr_error_msg(err, EINVAL, "`%s`: invalid image record: bad refs", path);
                json_array_foreach(refs, i, v) {
                        if (!json_is_string(v))
                                return ctr_error_msg(err, EINVAL, "`%s`: invalid image record: bad refs",
                                                     path);
                        r = load_ref(img, json_string_value(v), path, err);
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        if ((jname && !json_is_null(jname) && !(name = json_string_value(jname))) ||
            (jtag && !json_is_null(jtag) && !(tag = json_string_value(jtag))) || (!name) != (!tag))
                return ctr_error_msg(err, EINVAL, "`%s`: invalid image record: bad name or tag", path);
        if (!name)
                return 0;
        if (asprintf(&ref, "%s:%s", name, tag) < 0)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        return load_ref(img, ref, path, err);
}

int
image_record_load(const char *dir, const char *id, struct image **ret, struct ctr_error **err)
{
        _cleanup_free_ char *path = NULL, *text = NULL;
        _cleanup_(json_decrefp) json_t *j = NULL;
        _cleanup_(image_freep) struct image *img = NULL;
        const char *rid = NULL;
        json_int_t created = 0, size = 0, updated = -1;
        json_t *config = NULL, *jname = NULL, *jtag = NULL, *refs = NULL;
        json_error_t jerr;
        int r;

        if (!(path = path_join(dir, "image.json")))
                return ctr_error_msg(err, ENOMEM, "out of memory");
        r = read_file_full(path, RECORD_MAX, &text, NULL, err);
        if (r < 0)
                return r;
        j = json_loads(text, 0, &jerr);
        if (!j || json_unpack_ex(j, &jerr, 0, "{s:s,s?o,s?o,s?o,s:I,s?I,s:I,s?o}", "id", &rid, "refs", &refs,
                                 "name", &jname, "tag", &jtag, "created", &created, "updated", &updated,
                                 "size", &size, "config", &config) < 0)
                return ctr_error_msg(err, EINVAL, "`%s`: invalid image record: %s", path, jerr.text);
        if (strcmp(rid, id) != 0 || size < 0)
                return ctr_error_msg(err, EINVAL, "`%s`: invalid image record", path);
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
        img->rootfs = path_join(dir, "rootfs");
        img->config = config && json_is_object(config) ? json_incref(config) : image_default_config();
        if (!img->rootfs || !img->config)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        *ret = TAKE_PTR(img);
        return 0;
}
