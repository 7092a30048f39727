/* The allocator of userns-alloc.h: blocks aligned on USERNS_RANGE_SIZE
 * from the start of each subordinate range, lowest free first, uids and
 * gids chosen independently (the files may differ). A block is free when
 * it overlaps no allocation at all, also an adopted one of another size. */
#include "daemon/userns-alloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fs-util.h"
#include "common/id.h"
#include "common/log.h"
#include "common/parse.h"

#define SUBID_FILE_MAX (1024 * 1024)
#define RECORD_MAX 4096

struct userns_entry {
        char id[ID_HEX_LEN + 1];
        struct userns_range range;
};

struct userns_alloc {
        char *dir;
        char *user;
        char *subuid_path, *subgid_path;
        struct userns_entry *entries;
        size_t n, cap;
};

int
userns_subid_parse(const char *text, const char *user, struct userns_subid **ret, size_t *ret_n)
{
        _cleanup_free_ char *copy = strdup(text);
        _cleanup_free_ struct userns_subid *v = NULL;
        size_t n = 0, cap = 0, ulen = strlen(user);
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *start, *count;
                uint64_t s, c;

                if (strncmp(line, user, ulen) != 0 || line[ulen] != ':')
                        continue;
                start = line + ulen + 1;
                count = strchr(start, ':');
                if (!count)
                        continue;
                *count++ = 0;
                if (parse_uint64(start, &s) < 0 || parse_uint64(count, &c) < 0 || c == 0 ||
                    s > UINT32_MAX || c > UINT32_MAX - s)
                        continue;
                if (n == cap) {
                        struct userns_subid *nv = realloc(v, (cap = cap ? cap * 2 : 4) * sizeof(*v));
                        if (!nv)
                                return -ENOMEM;
                        v = nv;
                }
                v[n++] = (struct userns_subid){ (uint32_t) s, (uint32_t) c };
        }
        *ret = n ? TAKE_PTR(v) : NULL;
        *ret_n = n;
        return 0;
}

static bool
overlaps(uint32_t a, uint32_t a_size, uint32_t b, uint32_t b_size)
{
        return (uint64_t) a < (uint64_t) b + b_size && (uint64_t) b < (uint64_t) a + a_size;
}

static bool
in_use(const struct userns_alloc *a, bool uid, uint32_t start, uint32_t size)
{
        for (size_t i = 0; i < a->n; i++) {
                const struct userns_range *r = &a->entries[i].range;
                if (overlaps(start, size, uid ? r->uid : r->gid, r->size))
                        return true;
        }
        return false;
}

/* The lowest free block of path's ranges for the user. */
static int
pick_block(const struct userns_alloc *a, bool uid, uint32_t *ret, struct ctr_error **err)
{
        const char *path = uid ? a->subuid_path : a->subgid_path;
        _cleanup_free_ struct userns_subid *v = NULL;
        _cleanup_free_ char *text = NULL;
        uint64_t best = UINT64_MAX;
        size_t n = 0;
        int r;

        r = read_file_full(path, SUBID_FILE_MAX, &text, NULL, NULL);
        if (r == -ENOENT)
                return ctr_error_msg(err, ENOSPC, "user namespaces: `%s` does not exist: add a line "
                                     "`%s:<start>:<count>` (count a multiple of %u)", path, a->user, USERNS_RANGE_SIZE);
        if (r < 0)
                return ctr_error_sys(err, -r, "user namespaces: read `%s`", path);
        r = userns_subid_parse(text, a->user, &v, &n);
        if (r < 0)
                return ctr_error_sys(err, -r, "user namespaces: parse `%s`", path);
        if (n == 0)
                return ctr_error_msg(err, ENOSPC, "user namespaces: `%s` grants user `%s` no subordinate %cids",
                                     path, a->user, uid ? 'u' : 'g');
        for (size_t i = 0; i < n; i++) {
                uint64_t end = (uint64_t) v[i].start + v[i].count;

                /* Host id 0 is never a container's: a hostile line must not
                 * map the host's root. */
                for (uint64_t s = v[i].start ? v[i].start : USERNS_RANGE_SIZE;
                     s + USERNS_RANGE_SIZE <= end && s < best; s += USERNS_RANGE_SIZE)
                        if (!in_use(a, uid, (uint32_t) s, USERNS_RANGE_SIZE)) {
                                best = s;
                                break;
                        }
        }
        if (best == UINT64_MAX)
                return ctr_error_msg(err, ENOSPC, "user namespaces: every block of %u subordinate %cids of `%s` "
                                     "in `%s` is in use (%zu containers): remove a container or extend the file",
                                     USERNS_RANGE_SIZE, uid ? 'u' : 'g', a->user, path, a->n);
        *ret = (uint32_t) best;
        return 0;
}

static char *
record_path(const struct userns_alloc *a, const char *id)
{
        char *p = NULL;

        if (asprintf(&p, "%s/%s.json", a->dir, id) < 0)
                return NULL;
        return p;
}

static int
add_entry(struct userns_alloc *a, const char *id, const struct userns_range *r)
{
        if (a->n == a->cap) {
                size_t cap = a->cap ? a->cap * 2 : 16;
                struct userns_entry *e = realloc(a->entries, cap * sizeof(*e));
                if (!e)
                        return -ENOMEM;
                a->entries = e;
                a->cap = cap;
        }
        snprintf(a->entries[a->n].id, sizeof(a->entries[a->n].id), "%s", id);
        a->entries[a->n].range = *r;
        a->n++;
        return 0;
}

static int
persist(const struct userns_alloc *a, const char *id, const struct userns_range *r, struct ctr_error **err)
{
        _cleanup_free_ char *path = record_path(a, id), *text = NULL;

        if (!path || asprintf(&text, "{\"id\":\"%s\",\"uid\":%u,\"gid\":%u,\"size\":%u}\n", id, r->uid, r->gid,
                              r->size) < 0)
                return ctr_error_sys(err, ENOMEM, "user namespaces: record the ids of %s", id);
        /* Not fsync'd: the container's own record (container.json, durable
         * for any container that outlives a reboot) is what the daemon
         * adopts at start; this one only covers a crash of the daemon. */
        return write_file_replace(path, text, strlen(text), 0600, false, err);
}

int
userns_alloc_reserve(struct userns_alloc *a, const char *id, struct userns_range *ret, struct ctr_error **err)
{
        struct userns_range r = { .size = USERNS_RANGE_SIZE };
        int rc;

        if (!id_is_valid(id))
                return ctr_error_msg(err, EINVAL, "user namespaces: bad container id");
        if (userns_alloc_find(a, id))
                return ctr_error_msg(err, EEXIST, "user namespaces: %.12s has ids already", id);
        rc = pick_block(a, true, &r.uid, err);
        if (rc >= 0)
                rc = pick_block(a, false, &r.gid, err);
        if (rc >= 0)
                rc = persist(a, id, &r, err);
        if (rc < 0)
                return rc;
        rc = add_entry(a, id, &r);
        if (rc < 0) {
                _cleanup_free_ char *path = record_path(a, id);
                if (path)
                        (void) unlink(path);
                return ctr_error_sys(err, -rc, "user namespaces");
        }
        *ret = r;
        return 0;
}

int
userns_alloc_adopt(struct userns_alloc *a, const char *id, const struct userns_range *r, struct ctr_error **err)
{
        const struct userns_range *have = userns_alloc_find(a, id);
        int rc;

        if (have && have->uid == r->uid && have->gid == r->gid && have->size == r->size)
                return 0;
        if (have || in_use(a, true, r->uid, r->size) || in_use(a, false, r->gid, r->size))
                return ctr_error_msg(err, EEXIST, "user namespaces: the ids of %.12s (uid %u, gid %u) clash "
                                     "with another container's", id, r->uid, r->gid);
        rc = persist(a, id, r, err);
        if (rc < 0)
                return rc;
        rc = add_entry(a, id, r);
        return rc < 0 ? ctr_error_sys(err, -rc, "user namespaces") : 0;
}

int
userns_alloc_release(struct userns_alloc *a, const char *id)
{
        _cleanup_free_ char *path = NULL;

        for (size_t i = 0; i < a->n; i++) {
                if (strcmp(a->entries[i].id, id) != 0)
                        continue;
                path = record_path(a, id);
                if (!path)
                        return -ENOMEM;
                /* The file first: a crash in between leaves a record that
                 * pruning at start removes, never a block used twice. */
                if (unlink(path) < 0 && errno != ENOENT)
                        return -errno;
                a->entries[i] = a->entries[--a->n];
                return 0;
        }
        return 0;
}

void
userns_alloc_prune(struct userns_alloc *a, bool (*keep)(const char *id, void *userdata), void *userdata)
{
        for (size_t i = 0; i < a->n;) {
                char id[ID_HEX_LEN + 1];

                if (keep(a->entries[i].id, userdata)) {
                        i++;
                        continue;
                }
                memcpy(id, a->entries[i].id, sizeof(id));
                log_info("user namespaces: releasing the ids of %.12s (no such container)", id);
                if (userns_alloc_release(a, id) < 0)
                        i++;
        }
}

const struct userns_range *
userns_alloc_find(const struct userns_alloc *a, const char *id)
{
        for (size_t i = 0; i < a->n; i++)
                if (strcmp(a->entries[i].id, id) == 0)
                        return &a->entries[i].range;
        return NULL;
}

size_t
userns_alloc_count(const struct userns_alloc *a)
{
        return a->n;
}

/* One record file; a malformed one is removed (its container, if any,
 * adopts its ids again from its own record). */
static void
load_one(struct userns_alloc *a, const char *name)
{
        _cleanup_free_ char *path = NULL, *text = NULL, *id = strndup(name, strcspn(name, "."));
        struct userns_range r;
        json_int_t uid = -1, gid = -1, size = -1;
        json_t *j;

        if (!id || !id_is_valid(id) || strcmp(name + strlen(id), ".json") != 0)
                return;
        path = record_path(a, id);
        if (!path || read_file_full(path, RECORD_MAX, &text, NULL, NULL) < 0)
                return;
        j = json_loads(text, 0, NULL);
        if (!j || json_unpack(j, "{s:I,s:I,s:I}", "uid", &uid, "gid", &gid, "size", &size) < 0 || uid <= 0 ||
            gid <= 0 || size <= 0 || uid > UINT32_MAX || gid > UINT32_MAX || size > UINT32_MAX ||
            uid + size > (json_int_t) UINT32_MAX + 1 || gid + size > (json_int_t) UINT32_MAX + 1) {
                log_warning("user namespaces: removing malformed `%s`", path);
                (void) unlink(path);
                json_decref(j);
                return;
        }
        json_decref(j);
        r = (struct userns_range){ (uint32_t) uid, (uint32_t) gid, (uint32_t) size };
        if (in_use(a, true, r.uid, r.size) || in_use(a, false, r.gid, r.size)) {
                log_warning("user namespaces: `%s` clashes with another allocation, removing it", path);
                (void) unlink(path);
                return;
        }
        if (add_entry(a, id, &r) < 0)
                log_warning("user namespaces: out of memory loading `%s`", path);
}

int
userns_alloc_new(const char *dir, const char *user, const char *subuid_path, const char *subgid_path,
                 struct userns_alloc **ret, struct ctr_error **err)
{
        _cleanup_(userns_alloc_freep) struct userns_alloc *a = calloc(1, sizeof(*a));
        DIR *d;
        int r;

        if (!a)
                return -ENOMEM;
        a->dir = strdup(dir);
        a->user = strdup(user ? user : USERNS_DEFAULT_USER);
        a->subuid_path = strdup(subuid_path ? subuid_path : USERNS_DEFAULT_SUBUID);
        a->subgid_path = strdup(subgid_path ? subgid_path : USERNS_DEFAULT_SUBGID);
        if (!a->dir || !a->user || !a->subuid_path || !a->subgid_path)
                return -ENOMEM;
        r = mkdir_p(dir, 0700, err);
        if (r < 0)
                return r;
        d = opendir(dir);
        if (!d)
                return ctr_error_sys(err, errno, "open `%s`", dir);
        for (struct dirent *de; (de = readdir(d));) {
                /* write_file_atomic()'s temp file of a crash. */
                if (strstr(de->d_name, ".json.tmp."))
                        (void) unlinkat(dirfd(d), de->d_name, 0);
                else if (de->d_name[0] != '.')
                        load_one(a, de->d_name);
        }
        closedir(d);
        *ret = TAKE_PTR(a);
        return 0;
}

void
userns_alloc_free(struct userns_alloc *a)
{
        if (!a)
                return;
        free(a->dir);
        free(a->user);
        free(a->subuid_path);
        free(a->subgid_path);
        free(a->entries);
        free(a);
}
