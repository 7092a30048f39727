/* The container side of user namespaces (container-userns.h): the create
 * parameter, the record, config.json's maps, and the allocator's life
 * with the manager. The runtime does the kernel work (runtime/userns.c);
 * nothing here mounts or spawns. The image layers are never chowned: only
 * the container's own upper and work dirs are given to its root. */
#include "daemon/container-userns.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/fs-util.h"
#include "common/log.h"
#include "daemon/container-record.h"
#include "daemon/userns-alloc.h"

int
container_userns_mode_parse(const char *s, enum container_userns_mode *ret, struct ctr_error **err)
{
        if (!s || strcmp(s, "host") == 0 || strcmp(s, "") == 0)
                *ret = CONTAINER_USERNS_HOST;
        else if (strcmp(s, "auto") == 0)
                *ret = CONTAINER_USERNS_AUTO;
        else
                return ctr_error_msg(err, EINVAL, "userns: expected `auto` or `host`, got `%s`", s);
        return 0;
}

const char *
container_userns_mode_to_string(enum container_userns_mode mode)
{
        return mode == CONTAINER_USERNS_AUTO ? "auto" : "host";
}

json_t *
container_userns_to_json(const struct container_userns *u)
{
        if (u->mode != CONTAINER_USERNS_AUTO)
                return json_pack("{s:s}", "mode", "host");
        return json_pack("{s:s,s:I,s:I,s:I}", "mode", "auto", "uid", (json_int_t) u->uid, "gid",
                         (json_int_t) u->gid, "size", (json_int_t) u->size);
}

int
container_userns_from_json(json_t *j, struct container_userns *ret)
{
        const char *mode = NULL;
        json_int_t uid = 0, gid = 0, size = 0;

        *ret = (struct container_userns){ .mode = CONTAINER_USERNS_HOST };
        if (!j || json_is_null(j))
                return 0;
        if (json_unpack(j, "{s:s,s?I,s?I,s?I}", "mode", &mode, "uid", &uid, "gid", &gid, "size", &size) < 0 ||
            container_userns_mode_parse(mode, &ret->mode, NULL) < 0)
                return -EINVAL;
        if (ret->mode == CONTAINER_USERNS_HOST)
                return 0;
        if (uid <= 0 || gid <= 0 || size <= 0 || uid > UINT32_MAX || gid > UINT32_MAX || size > UINT32_MAX ||
            uid + size > (json_int_t) UINT32_MAX + 1 || gid + size > (json_int_t) UINT32_MAX + 1)
                return -EINVAL;
        ret->uid = (uint32_t) uid;
        ret->gid = (uint32_t) gid;
        ret->size = (uint32_t) size;
        return 0;
}

static bool
container_exists(const char *id, void *userdata)
{
        struct container_manager *m = userdata;

        for (const struct container *c = m->containers; c; c = c->next)
                if (strcmp(c->id, id) == 0 && c->config.userns.mode == CONTAINER_USERNS_AUTO)
                        return true;
        return false;
}

int
container_userns_manager_init(struct container_manager *m, const char *subuid_path, const char *subgid_path,
                              struct ctr_error **err)
{
        _cleanup_free_ char *dir = path_join(m->root, "userns");
        int r;

        if (!dir)
                return -ENOMEM;
        r = userns_alloc_new(dir, NULL, subuid_path, subgid_path, &m->userns, err);
        if (r < 0)
                return r;
        /* A crash between the allocation and container.json, or a removal
         * cut short, leaves a record of no container: its ids are free. */
        userns_alloc_prune(m->userns, container_exists, m);
        for (struct container *c = m->containers; c; c = c->next) {
                _cleanup_error_ struct ctr_error *e = NULL;
                const struct container_userns *u = &c->config.userns;
                struct userns_range range = { u->uid, u->gid, u->size };

                if (u->mode != CONTAINER_USERNS_AUTO)
                        continue;
                /* Its own record wins; a clash (a hand-edited file) is
                 * logged, not fatal: the container keeps running. */
                if (userns_alloc_adopt(m->userns, c->id, &range, &e) < 0)
                        log_error("container %.12s: %s", c->id, e ? e->message : "user namespace ids");
        }
        return 0;
}

void
container_userns_manager_free(struct container_manager *m)
{
        userns_alloc_free(m->userns);
        m->userns = NULL;
}

/* Owned by the container's root, so its writes land there as the mapped
 * uid; overlayfs writes the upper dir with the caller's ids. */
static int
chown_dir(const struct container *c, const char *name, struct ctr_error **err)
{
        _cleanup_free_ char *p = path_join(c->dir, name);

        if (!p)
                return -ENOMEM;
        if (lchown(p, c->config.userns.uid, c->config.userns.gid) < 0)
                return ctr_error_sys(err, errno, "give `%s` to the container's root", p);
        return 0;
}

int
container_userns_create(struct container *c, struct ctr_error **err)
{
        struct container_userns *u = &c->config.userns;
        struct userns_range range;
        int r;

        if (u->mode != CONTAINER_USERNS_AUTO)
                return 0;
        /* As Docker with userns-remap: host devices and every capability
         * mean nothing for an unprivileged root. */
        if (c->config.security.privileged)
                return ctr_error_msg(err, EINVAL, "--privileged cannot be combined with --userns auto");
        if (!c->mgr->userns)
                return ctr_error_msg(err, ENOTSUP, "user namespaces are not available");
        r = userns_alloc_reserve(c->mgr->userns, c->id, &range, err);
        if (r < 0)
                return r;
        u->uid = range.uid;
        u->gid = range.gid;
        u->size = range.size;
        r = chown_dir(c, "upper", err);
        if (r >= 0)
                r = chown_dir(c, "work", err);
        if (r < 0)
                container_userns_removed(c);
        return r;
}

void
container_userns_removed(struct container *c)
{
        int r;

        if (c->config.userns.mode != CONTAINER_USERNS_AUTO || !c->mgr || !c->mgr->userns)
                return;
        r = userns_alloc_release(c->mgr->userns, c->id);
        if (r < 0)
                log_warning_errno(r, "container %.12s: release its user namespace ids", c->id);
}

static json_t *
map_json(uint32_t host, uint32_t size)
{
        return json_pack("[{s:i,s:I,s:I}]", "containerID", 0, "hostID", (json_int_t) host, "size",
                         (json_int_t) size);
}

int
container_userns_apply_spec(const struct container *c, json_t *spec, struct ctr_error **err)
{
        const struct container_userns *u = &c->config.userns;
        json_t *linux_obj = json_object_get(spec, "linux");
        json_t *user = json_object_get(json_object_get(spec, "process"), "user");
        json_int_t uid = json_integer_value(json_object_get(user, "uid"));
        json_int_t gid = json_integer_value(json_object_get(user, "gid"));

        if (u->mode != CONTAINER_USERNS_AUTO)
                return 0;
        if (uid < 0 || uid >= (json_int_t) u->size || gid < 0 || gid >= (json_int_t) u->size)
                return ctr_error_msg(err, EINVAL, "user %lld:%lld is outside the container's user namespace "
                                     "(ids 0-%u)", (long long) uid, (long long) gid, u->size - 1);
        if (json_array_append_new(json_object_get(linux_obj, "namespaces"), json_pack("{s:s}", "type", "user")) < 0 ||
            json_object_set_new(linux_obj, "uidMappings", map_json(u->uid, u->size)) < 0 ||
            json_object_set_new(linux_obj, "gidMappings", map_json(u->gid, u->size)) < 0)
                return ctr_error_sys(err, ENOMEM, "config.json: user namespace");
        return 0;
}

json_t *
container_userns_info_json(struct container_manager *m)
{
        unsigned in_use = 0;

        for (const struct container *c = m ? m->containers : NULL; c; c = c->next)
                in_use += c->config.userns.mode == CONTAINER_USERNS_AUTO;
        return json_pack("{s:b,s:s,s:s,s:I,s:i}", "supported", m && m->userns, "default", "host", "user",
                         USERNS_DEFAULT_USER, "range_size", (json_int_t) USERNS_RANGE_SIZE, "containers",
                         (int) in_use);
}
