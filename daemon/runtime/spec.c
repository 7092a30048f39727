/* config.json -> struct runtime_spec: the OCI runtime-spec subset we
 * support. Unknown fields are ignored; a known field with the wrong shape
 * is an error naming the field ("process.args: ..."). No syscalls beyond
 * reading the file; nothing here runs in the container child. */
#include "daemon/runtime/spec-internal.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>

#include "common/fs-util.h"

#define CONFIG_MAX (4u << 20)

static void
strv_free(char **v)
{
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}

void
runtime_spec_free(struct runtime_spec *spec)
{
        if (!spec)
                return;
        free(spec->bundle);
        strv_free(spec->args);
        strv_free(spec->env);
        free(spec->cwd);
        free(spec->additional_gids);
        free(spec->rlimits);
        free(spec->root_path);
        free(spec->hostname);
        for (size_t i = 0; i < spec->n_mounts; i++) {
                free(spec->mounts[i].destination);
                free(spec->mounts[i].type);
                free(spec->mounts[i].source);
                free(spec->mounts[i].data);
        }
        free(spec->mounts);
        free(spec->overlay_lowerdir);
        free(spec->overlay_upperdir);
        free(spec->overlay_workdir);
        for (size_t i = 0; i < spec->n_namespaces; i++)
                free(spec->namespaces[i].path);
        free(spec->cgroups_path);
        cgroup_limits_clear(&spec->limits);
        free(spec->devices);
        strv_free(spec->masked_paths);
        strv_free(spec->readonly_paths);
        free(spec->seccomp);
        free(spec->seccomp_cache_dir);
        free(spec);
}

const char *
runtime_spec_cgroups_path(const struct runtime_spec *spec)
{
        return spec ? spec->cgroups_path : NULL;
}

const struct cgroup_limits *
runtime_spec_limits(const struct runtime_spec *spec)
{
        return &spec->limits;
}

int
runtime_spec_new_ns_flags(const struct runtime_spec *spec)
{
        int flags = 0;

        for (size_t i = 0; i < spec->n_namespaces; i++)
                if (!spec->namespaces[i].path)
                        flags |= spec->namespaces[i].flag;
        return flags;
}

const struct runtime_namespace *
runtime_spec_namespace(const struct runtime_spec *spec, int flag)
{
        for (size_t i = 0; i < spec->n_namespaces; i++)
                if (spec->namespaces[i].flag == flag)
                        return &spec->namespaces[i];
        return NULL;
}

int
runtime_cap_from_name(const char *name)
{
        char lower[64];
        cap_value_t v;
        size_t i;

        if (!name || strlen(name) >= sizeof(lower) || strncasecmp(name, "CAP_", 4) != 0)
                return -EINVAL;
        for (i = 0; name[i]; i++)
                lower[i] = (char) tolower((unsigned char) name[i]);
        lower[i] = 0;
        if (cap_from_name(lower, &v) < 0 || v < 0 || v > 63)
                return -EINVAL;
        return (int) v;
}

static const struct {
        const char *name;
        int resource;
} rlimit_names[] = {
        { "RLIMIT_AS", RLIMIT_AS },
        { "RLIMIT_CORE", RLIMIT_CORE },
        { "RLIMIT_CPU", RLIMIT_CPU },
        { "RLIMIT_DATA", RLIMIT_DATA },
        { "RLIMIT_FSIZE", RLIMIT_FSIZE },
        { "RLIMIT_LOCKS", RLIMIT_LOCKS },
        { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
        { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
        { "RLIMIT_NICE", RLIMIT_NICE },
        { "RLIMIT_NOFILE", RLIMIT_NOFILE },
        { "RLIMIT_NPROC", RLIMIT_NPROC },
        { "RLIMIT_RSS", RLIMIT_RSS },
        { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
        { "RLIMIT_RTTIME", RLIMIT_RTTIME },
        { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
        { "RLIMIT_STACK", RLIMIT_STACK },
};

int
runtime_rlimit_from_name(const char *name)
{
        for (size_t i = 0; name && i < ARRAY_SIZE(rlimit_names); i++)
                if (strcmp(rlimit_names[i].name, name) == 0)
                        return rlimit_names[i].resource;
        return -EINVAL;
}

static const struct {
        const char *name;
        int flag;
} ns_names[] = {
        { "pid", CLONE_NEWPID },     { "network", CLONE_NEWNET }, { "mount", CLONE_NEWNS },
        { "ipc", CLONE_NEWIPC },     { "uts", CLONE_NEWUTS },     { "user", CLONE_NEWUSER },
        { "cgroup", CLONE_NEWCGROUP },
};

/* ---- small typed getters; each names the field on error ---- */

static int
bad(struct ctr_error **err, const char *field, const char *what)
{
        return ctr_error_msg(err, EINVAL, "config.json: %s: %s", field, what);
}

/* Optional string: absent or null leaves *ret NULL. */
static int
get_string(json_t *obj, const char *key, const char *field, bool required, char **ret,
           struct ctr_error **err)
{
        json_t *v = json_object_get(obj, key);

        if (!v || json_is_null(v)) {
                if (required)
                        return bad(err, field, "missing");
                return 0;
        }
        if (!json_is_string(v))
                return bad(err, field, "expected a string");
        if (strlen(json_string_value(v)) != json_string_length(v))
                return bad(err, field, "contains a NUL byte");
        *ret = strdup(json_string_value(v));
        if (!*ret)
                return ctr_error_sys(err, ENOMEM, "config.json: %s", field);
        return 1;
}

static int
get_bool(json_t *obj, const char *key, const char *field, bool *ret, struct ctr_error **err)
{
        json_t *v = json_object_get(obj, key);

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_boolean(v))
                return bad(err, field, "expected true or false");
        *ret = json_is_true(v);
        return 1;
}

static int
get_u32(json_t *obj, const char *key, const char *field, bool required, uint32_t *ret,
        struct ctr_error **err)
{
        json_t *v = json_object_get(obj, key);

        if (!v || json_is_null(v))
                return required ? bad(err, field, "missing") : 0;
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > UINT32_MAX)
                return bad(err, field, "expected an integer from 0 to 4294967295");
        *ret = (uint32_t) json_integer_value(v);
        return 1;
}

static int
get_u64(json_t *obj, const char *key, const char *field, uint64_t *ret, struct ctr_error **err)
{
        json_t *v = json_object_get(obj, key);

        if (!v || json_is_null(v))
                return bad(err, field, "missing");
        /* jansson integers are signed 64-bit; "unlimited" is written as -1 by
         * some generators, or as 18446744073709551615 which jansson rejects
         * (parsed as real). Accept both spellings as RLIM_INFINITY. */
        if (json_is_integer(v) && json_integer_value(v) == -1) {
                *ret = UINT64_MAX;
                return 1;
        }
        if (json_is_real(v) && json_real_value(v) >= 1.8446744073709550e19) {
                *ret = UINT64_MAX;
                return 1;
        }
        if (!json_is_integer(v) || json_integer_value(v) < 0)
                return bad(err, field, "expected a non-negative integer");
        *ret = (uint64_t) json_integer_value(v);
        return 1;
}

/* Array of strings into a NULL-terminated vector; absent -> NULL. */
static int
get_strv(json_t *obj, const char *key, const char *field, char ***ret, struct ctr_error **err)
{
        json_t *v = json_object_get(obj, key), *e;
        char **strv;
        size_t i;

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_array(v))
                return bad(err, field, "expected an array of strings");
        strv = calloc(json_array_size(v) + 1, sizeof(char *));
        if (!strv)
                return ctr_error_sys(err, ENOMEM, "config.json: %s", field);
        json_array_foreach(v, i, e) {
                if (!json_is_string(e) || strlen(json_string_value(e)) != json_string_length(e)) {
                        strv_free(strv);
                        return bad(err, field, "expected an array of strings");
                }
                strv[i] = strdup(json_string_value(e));
                if (!strv[i]) {
                        strv_free(strv);
                        return ctr_error_sys(err, ENOMEM, "config.json: %s", field);
                }
        }
        *ret = strv;
        return 1;
}

static int
get_object(json_t *obj, const char *key, const char *field, json_t **ret, struct ctr_error **err)
{
        json_t *v = json_object_get(obj, key);

        *ret = NULL;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_object(v))
                return bad(err, field, "expected an object");
        *ret = v;
        return 1;
}

static int
get_array(json_t *obj, const char *key, const char *field, json_t **ret, struct ctr_error **err)
{
        json_t *v = json_object_get(obj, key);

        *ret = NULL;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_array(v))
                return bad(err, field, "expected an array");
        *ret = v;
        return 1;
}

/* ---- sections ---- */

static int
parse_user(json_t *process, struct runtime_spec *s, struct ctr_error **err)
{
        json_t *user, *gids, *e;
        uint32_t u;
        size_t i;
        int r;

        r = get_object(process, "user", "process.user", &user, err);
        if (r <= 0)
                return r;
        r = get_u32(user, "uid", "process.user.uid", true, &u, err);
        if (r < 0)
                return r;
        s->uid = u;
        r = get_u32(user, "gid", "process.user.gid", true, &u, err);
        if (r < 0)
                return r;
        s->gid = u;
        if (json_object_get(user, "username"))
                return bad(err, "process.user.username", "not supported (give uid and gid)");
        r = get_array(user, "additionalGids", "process.user.additionalGids", &gids, err);
        if (r <= 0)
                return r;
        s->additional_gids = calloc(json_array_size(gids) + 1, sizeof(gid_t));
        if (!s->additional_gids)
                return ctr_error_sys(err, ENOMEM, "config.json");
        json_array_foreach(gids, i, e) {
                if (!json_is_integer(e) || json_integer_value(e) < 0 ||
                    json_integer_value(e) > UINT32_MAX)
                        return bad(err, "process.user.additionalGids", "expected an array of gids");
                s->additional_gids[i] = (gid_t) json_integer_value(e);
        }
        s->n_additional_gids = json_array_size(gids);
        return 0;
}

static int
parse_rlimits(json_t *process, struct runtime_spec *s, struct ctr_error **err)
{
        json_t *arr, *e;
        size_t i;
        int r;

        r = get_array(process, "rlimits", "process.rlimits", &arr, err);
        if (r <= 0)
                return r;
        s->rlimits = calloc(json_array_size(arr) + 1, sizeof(*s->rlimits));
        if (!s->rlimits)
                return ctr_error_sys(err, ENOMEM, "config.json");
        json_array_foreach(arr, i, e) {
                _cleanup_free_ char *type = NULL;
                struct runtime_rlimit *rl = &s->rlimits[i];

                if (!json_is_object(e))
                        return bad(err, "process.rlimits", "expected an array of objects");
                r = get_string(e, "type", "process.rlimits.type", true, &type, err);
                if (r < 0)
                        return r;
                rl->resource = runtime_rlimit_from_name(type);
                if (rl->resource < 0)
                        return ctr_error_msg(err, EINVAL, "config.json: process.rlimits.type: unknown rlimit `%s`", type);
                if (get_u64(e, "soft", "process.rlimits.soft", &rl->soft, err) < 0 ||
                    get_u64(e, "hard", "process.rlimits.hard", &rl->hard, err) < 0)
                        return -EINVAL;
                if (rl->soft > rl->hard)
                        return ctr_error_msg(err, EINVAL, "config.json: process.rlimits: soft limit of %s is above the hard limit", type);
                s->n_rlimits++;
        }
        return 0;
}

static int
parse_capabilities(json_t *process, struct runtime_spec *s, struct ctr_error **err)
{
        static const char *const set_names[_RUNTIME_CAP_SET_MAX] = {
                "bounding", "effective", "permitted", "inheritable", "ambient",
        };
        json_t *caps;
        int r;

        r = get_object(process, "capabilities", "process.capabilities", &caps, err);
        if (r <= 0)
                return r;
        s->has_capabilities = true;
        for (int set = 0; set < _RUNTIME_CAP_SET_MAX; set++) {
                json_t *arr = json_object_get(caps, set_names[set]), *e;
                size_t i;

                if (!arr || json_is_null(arr))
                        continue;
                if (!json_is_array(arr))
                        return ctr_error_msg(err, EINVAL, "config.json: process.capabilities.%s: expected an array of strings", set_names[set]);
                json_array_foreach(arr, i, e) {
                        int cap = runtime_cap_from_name(json_string_value(e));
                        if (cap < 0)
                                return ctr_error_msg(err, EINVAL, "config.json: process.capabilities.%s: unknown capability `%s`",
                                                     set_names[set], json_is_string(e) ? json_string_value(e) : "(not a string)");
                        s->caps[set] |= UINT64_C(1) << cap;
                }
        }
        return 0;
}

/* process.consoleSize {height, width}: the pty's size at start. */
static int
parse_console_size(json_t *process, struct runtime_spec *s, struct ctr_error **err)
{
        json_t *size = json_object_get(process, "consoleSize");
        uint32_t h = 0, w = 0;

        if (!size || json_is_null(size))
                return 0;
        if (!json_is_object(size))
                return bad(err, "process.consoleSize", "expected an object");
        if (get_u32(size, "height", "process.consoleSize.height", true, &h, err) < 0 ||
            get_u32(size, "width", "process.consoleSize.width", true, &w, err) < 0)
                return -EINVAL;
        if (h > UINT16_MAX || w > UINT16_MAX)
                return bad(err, "process.consoleSize", "height and width must be at most 65535");
        s->console_rows = h;
        s->console_cols = w;
        return 0;
}

static int
parse_process(json_t *root, struct runtime_spec *s, struct ctr_error **err)
{
        json_t *process;
        int r;

        r = get_object(root, "process", "process", &process, err);
        if (r < 0)
                return r;
        if (r == 0)
                return bad(err, "process", "missing");
        r = get_strv(process, "args", "process.args", &s->args, err);
        if (r < 0)
                return r;
        if (!s->args || !s->args[0] || !s->args[0][0])
                return bad(err, "process.args", "must be a non-empty array of strings");
        r = get_strv(process, "env", "process.env", &s->env, err);
        if (r < 0)
                return r;
        if (!s->env) {
                s->env = calloc(1, sizeof(char *));
                if (!s->env)
                        return ctr_error_sys(err, ENOMEM, "config.json");
        }
        r = get_string(process, "cwd", "process.cwd", false, &s->cwd, err);
        if (r < 0)
                return r;
        if (!s->cwd && !(s->cwd = strdup("/")))
                return ctr_error_sys(err, ENOMEM, "config.json");
        if (s->cwd[0] != '/')
                return bad(err, "process.cwd", "must be an absolute path");
        if (get_bool(process, "terminal", "process.terminal", &s->terminal, err) < 0)
                return -EINVAL;
        r = parse_console_size(process, s, err);
        if (r < 0)
                return r;
        if (get_bool(process, "noNewPrivileges", "process.noNewPrivileges", &s->no_new_privileges, err) < 0)
                return -EINVAL;
        r = parse_user(process, s, err);
        if (r < 0)
                return r;
        r = parse_rlimits(process, s, err);
        if (r < 0)
                return r;
        return parse_capabilities(process, s, err);
}

static int
parse_root(json_t *root, struct runtime_spec *s, struct ctr_error **err)
{
        _cleanup_free_ char *path = NULL;
        json_t *r_obj;
        int r;

        r = get_object(root, "root", "root", &r_obj, err);
        if (r < 0)
                return r;
        if (r == 0)
                return bad(err, "root", "missing");
        r = get_string(r_obj, "path", "root.path", true, &path, err);
        if (r < 0)
                return r;
        if (!path[0])
                return bad(err, "root.path", "must not be empty");
        if (get_bool(r_obj, "readonly", "root.readonly", &s->root_readonly, err) < 0)
                return -EINVAL;
        if (path[0] == '/')
                s->root_path = TAKE_PTR(path);
        else
                s->root_path = path_join(s->bundle, path);
        if (!s->root_path)
                return ctr_error_sys(err, ENOMEM, "config.json");
        return 0;
}

static int
parse_mounts(json_t *root, struct runtime_spec *s, struct ctr_error **err)
{
        json_t *arr, *e;
        size_t i;
        int r;

        r = get_array(root, "mounts", "mounts", &arr, err);
        if (r <= 0)
                return r;
        s->mounts = calloc(json_array_size(arr) + 1, sizeof(*s->mounts));
        if (!s->mounts)
                return ctr_error_sys(err, ENOMEM, "config.json");
        json_array_foreach(arr, i, e) {
                struct runtime_mount *m = &s->mounts[i];
                char **options = NULL;

                if (!json_is_object(e))
                        return bad(err, "mounts", "expected an array of objects");
                s->n_mounts++;
                if (get_string(e, "destination", "mounts.destination", true, &m->destination, err) < 0 ||
                    get_string(e, "type", "mounts.type", false, &m->type, err) < 0 ||
                    get_string(e, "source", "mounts.source", false, &m->source, err) < 0 ||
                    get_strv(e, "options", "mounts.options", &options, err) < 0)
                        return -EINVAL;
                if (m->destination[0] != '/')
                        return ctr_error_msg(err, EINVAL, "config.json: mounts.destination: `%s` is not an absolute path", m->destination);
                r = runtime_mount_options_parse(m, options, err);
                strv_free(options);
                if (r < 0)
                        return r;
                if (m->type && (strcmp(m->type, "bind") == 0 || strcmp(m->type, "none") == 0) && !m->bind) {
                        /* crun and runc treat type "bind" as a bind mount even
                         * without the option. */
                        m->bind = strcmp(m->type, "bind") == 0;
                }
                if (m->bind) {
                        free(m->type);
                        m->type = NULL;
                } else if (!m->type) {
                        return ctr_error_msg(err, EINVAL, "config.json: mounts.type: missing for `%s`", m->destination);
                }
                if (!m->source && (m->bind || !m->type))
                        return ctr_error_msg(err, EINVAL, "config.json: mounts.source: missing for bind mount `%s`", m->destination);
                if (!m->source && !(m->source = strdup(m->type)))
                        return ctr_error_sys(err, ENOMEM, "config.json");
                if (m->bind && m->source[0] != '/') {
                        char *abs = path_join(s->bundle, m->source);
                        if (!abs)
                                return ctr_error_sys(err, ENOMEM, "config.json");
                        free(m->source);
                        m->source = abs;
                }
        }
        return 0;
}

static int
parse_overlay(json_t *root, struct runtime_spec *s, struct ctr_error **err)
{
        static const char *const keys[3] = {
                "org.containerctl.overlay.lowerdir",
                "org.containerctl.overlay.upperdir",
                "org.containerctl.overlay.workdir",
        };
        char **dst[3] = { &s->overlay_lowerdir, &s->overlay_upperdir, &s->overlay_workdir };
        json_t *ann;
        int r, n = 0;

        r = get_object(root, "annotations", "annotations", &ann, err);
        if (r <= 0)
                return r;
        for (int i = 0; i < 3; i++) {
                _cleanup_free_ char *field = NULL;
                if (asprintf(&field, "annotations.%s", keys[i]) < 0)
                        return ctr_error_sys(err, ENOMEM, "config.json");
                r = get_string(ann, keys[i], field, false, dst[i], err);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                n++;
                /* The overlay options are one comma-separated string: a comma
                 * in a path cannot be expressed, a relative path is ambiguous. */
                if ((*dst[i])[0] != '/' || strchr(*dst[i], ',') || (i > 0 && strchr(*dst[i], ':')))
                        return ctr_error_msg(err, EINVAL, "config.json: %s: `%s` must be absolute and contain no `,`%s",
                                             field, *dst[i], i > 0 ? " or `:`" : "");
                for (const char *c = *dst[i]; i == 0 && (c = strchr(c, ':')); c++)
                        if (c[1] != '/')
                                return ctr_error_msg(err, EINVAL, "config.json: %s: `%s`: every `:`-separated dir must be absolute",
                                                     field, *dst[i]);
        }
        if (n == 1 && s->overlay_lowerdir)
                return 0; /* a read-only overlay of lower dirs alone is fine */
        if (n != 0 && n != 3)
                return bad(err, "annotations", "org.containerctl.overlay.upperdir and .workdir must be given together with .lowerdir");
        return 0;
}

static int
parse_namespaces(json_t *linux_obj, struct runtime_spec *s, struct ctr_error **err)
{
        json_t *arr, *e;
        size_t i;
        int r;

        r = get_array(linux_obj, "namespaces", "linux.namespaces", &arr, err);
        if (r <= 0)
                return r;
        json_array_foreach(arr, i, e) {
                _cleanup_free_ char *type = NULL, *path = NULL;
                int flag = 0;

                if (!json_is_object(e))
                        return bad(err, "linux.namespaces", "expected an array of objects");
                if (get_string(e, "type", "linux.namespaces.type", true, &type, err) < 0 ||
                    get_string(e, "path", "linux.namespaces.path", false, &path, err) < 0)
                        return -EINVAL;
                for (size_t k = 0; k < ARRAY_SIZE(ns_names); k++)
                        if (strcmp(ns_names[k].name, type) == 0)
                                flag = ns_names[k].flag;
                if (!flag)
                        return ctr_error_msg(err, EINVAL, "config.json: linux.namespaces.type: unknown namespace `%s`", type);
                if (runtime_spec_namespace(s, flag))
                        return ctr_error_msg(err, EINVAL, "config.json: linux.namespaces: `%s` given twice", type);
                if (path && (flag == CLONE_NEWPID || flag == CLONE_NEWNS || flag == CLONE_NEWUSER))
                        return ctr_error_msg(err, EINVAL, "config.json: linux.namespaces.path: joining an existing `%s` namespace is not supported", type);
                if (path && path[0] != '/')
                        return ctr_error_msg(err, EINVAL, "config.json: linux.namespaces.path: `%s` is not an absolute path", path);
                s->namespaces[s->n_namespaces].flag = flag;
                s->namespaces[s->n_namespaces].path = TAKE_PTR(path);
                s->n_namespaces++;
        }
        return 0;
}

/* linux.uidMappings / gidMappings: [{containerID, hostID, size}], required
 * with a new user namespace (the parent writes them, userns.c) and
 * meaningless without one. */
static int
parse_id_map_array(json_t *linux_obj, const char *key, struct runtime_id_map *maps, size_t *n,
                   struct ctr_error **err)
{
        _cleanup_free_ char *field = NULL;
        json_t *arr, *e;
        size_t i;
        int r;

        if (asprintf(&field, "linux.%s", key) < 0)
                return ctr_error_sys(err, ENOMEM, "config.json");
        r = get_array(linux_obj, key, field, &arr, err);
        if (r <= 0)
                return r;
        if (json_array_size(arr) > RUNTIME_ID_MAPS_MAX)
                return ctr_error_msg(err, EINVAL, "config.json: %s: at most %d entries", field,
                                     RUNTIME_ID_MAPS_MAX);
        json_array_foreach(arr, i, e) {
                struct runtime_id_map *m = &maps[i];

                if (!json_is_object(e))
                        return bad(err, field, "expected an array of objects");
                if (get_u32(e, "containerID", field, true, &m->container_id, err) < 0 ||
                    get_u32(e, "hostID", field, true, &m->host_id, err) < 0 ||
                    get_u32(e, "size", field, true, &m->size, err) < 0)
                        return -EINVAL;
                if (m->size == 0 || m->container_id > UINT32_MAX - m->size || m->host_id > UINT32_MAX - m->size)
                        return ctr_error_msg(err, EINVAL, "config.json: %s: size must be at least 1 and the "
                                             "ranges within 32 bits", field);
        }
        *n = json_array_size(arr);
        return 0;
}

static int
parse_id_maps(json_t *linux_obj, struct runtime_spec *s, struct ctr_error **err)
{
        bool userns = runtime_spec_new_ns_flags(s) & CLONE_NEWUSER;
        int r;

        r = parse_id_map_array(linux_obj, "uidMappings", s->uid_maps, &s->n_uid_maps, err);
        if (r >= 0)
                r = parse_id_map_array(linux_obj, "gidMappings", s->gid_maps, &s->n_gid_maps, err);
        if (r < 0)
                return r;
        if (userns && (s->n_uid_maps == 0 || s->n_gid_maps == 0))
                return bad(err, "linux.uidMappings", "a new `user` namespace needs uidMappings and gidMappings");
        if (!userns && (s->n_uid_maps > 0 || s->n_gid_maps > 0))
                return bad(err, "linux.uidMappings", "given without a new `user` namespace");
        return 0;
}

/* An OCI resource number: 0 (or absent) is unset and, where unlimited is
 * allowed, -1 is unlimited (runc's reading of the spec). */
static int
get_limit(json_t *obj, const char *key, const char *field, bool unlimited_ok, int64_t *ret,
          struct ctr_error **err)
{
        json_t *v = json_object_get(obj, key);
        json_int_t n;

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_integer(v))
                return bad(err, field, "expected an integer");
        n = json_integer_value(v);
        if (n < 0 && !(unlimited_ok && n == -1))
                return bad(err, field, unlimited_ok ? "expected -1 (unlimited), 0 (unset) or a positive integer"
                                                    : "expected a non-negative integer");
        if (n != 0)
                *ret = n < 0 ? CGROUP_UNLIMITED : (int64_t) n;
        return 0;
}

/* linux.resources: the subset struct cgroup_limits carries. Values are
 * checked against the host (cgroup_limits_validate) at create time. */
static int
parse_resources(json_t *linux_obj, struct runtime_spec *s, struct ctr_error **err)
{
        struct cgroup_limits *l = &s->limits;
        json_t *res, *mem, *cpu, *pids, *bio;
        int64_t pids_limit = 0;
        int r;

        r = get_object(linux_obj, "resources", "linux.resources", &res, err);
        if (r <= 0)
                return r;
        if (get_object(res, "memory", "linux.resources.memory", &mem, err) < 0 ||
            get_object(res, "cpu", "linux.resources.cpu", &cpu, err) < 0 ||
            get_object(res, "pids", "linux.resources.pids", &pids, err) < 0 ||
            get_object(res, "blockIO", "linux.resources.blockIO", &bio, err) < 0)
                return -EINVAL;
        if (get_limit(mem, "limit", "linux.resources.memory.limit", true, &l->memory_max, err) < 0 ||
            get_limit(mem, "swap", "linux.resources.memory.swap", true, &l->memory_swap, err) < 0 ||
            get_limit(mem, "reservation", "linux.resources.memory.reservation", true, &l->memory_low, err) < 0 ||
            get_limit(cpu, "shares", "linux.resources.cpu.shares", false, &l->cpu_shares, err) < 0 ||
            get_limit(cpu, "quota", "linux.resources.cpu.quota", true, &l->cpu_quota_us, err) < 0 ||
            get_limit(cpu, "period", "linux.resources.cpu.period", false, &l->cpu_period_us, err) < 0 ||
            get_limit(bio, "weight", "linux.resources.blockIO.weight", false, &l->io_weight, err) < 0 ||
            get_string(cpu, "cpus", "linux.resources.cpu.cpus", false, &l->cpuset_cpus, err) < 0 ||
            get_string(cpu, "mems", "linux.resources.cpu.mems", false, &l->cpuset_mems, err) < 0)
                return -EINVAL;
        /* pids.limit: any negative value means unlimited (runc). */
        if (json_object_get(pids, "limit")) {
                if (!json_is_integer(json_object_get(pids, "limit")))
                        return bad(err, "linux.resources.pids.limit", "expected an integer");
                pids_limit = json_integer_value(json_object_get(pids, "limit"));
                if (pids_limit != 0)
                        l->pids_max = pids_limit < 0 ? CGROUP_UNLIMITED : pids_limit;
        }
        return runtime_spec_parse_devices(res, s, err);
}

static int
parse_linux(json_t *root, struct runtime_spec *s, struct ctr_error **err)
{
        json_t *linux_obj;
        int r;

        r = get_object(root, "linux", "linux", &linux_obj, err);
        if (r < 0)
                return r;
        if (r > 0) {
                r = parse_namespaces(linux_obj, s, err);
                if (r < 0)
                        return r;
                r = get_string(linux_obj, "cgroupsPath", "linux.cgroupsPath", false, &s->cgroups_path, err);
                if (r < 0)
                        return r;
                if (s->cgroups_path && (s->cgroups_path[0] != '/' || strstr(s->cgroups_path, "..")))
                        return bad(err, "linux.cgroupsPath", "must be an absolute path without `..`");
                r = parse_resources(linux_obj, s, err);
                if (r < 0)
                        return r;
                if (get_strv(linux_obj, "maskedPaths", "linux.maskedPaths", &s->masked_paths, err) < 0 ||
                    get_strv(linux_obj, "readonlyPaths", "linux.readonlyPaths", &s->readonly_paths, err) < 0)
                        return -EINVAL;
                r = parse_id_maps(linux_obj, s, err);
                if (r < 0)
                        return r;
                r = runtime_spec_parse_seccomp(root, linux_obj, s, err);
                if (r < 0)
                        return r;
        }
        if (!s->cgroups_path && (!cgroup_limits_empty(&s->limits) || s->n_devices > 0))
                return bad(err, "linux.resources", "needs linux.cgroupsPath");
        /* Every mount we make must land in the container's own mount
         * namespace, never on the host. */
        if (!(runtime_spec_new_ns_flags(s) & CLONE_NEWNS))
                return bad(err, "linux.namespaces", "a new `mount` namespace is required");
        return 0;
}

int
runtime_spec_parse(const char *text, const char *bundle, struct runtime_spec **ret,
                   struct ctr_error **err)
{
        _cleanup_(runtime_spec_freep) struct runtime_spec *s = NULL;
        _cleanup_free_ char *version = NULL;
        json_error_t jerr;
        json_t *root;
        int r;

        root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return ctr_error_msg(err, EINVAL, "config.json: line %d: %s", jerr.line, jerr.text);
        s = calloc(1, sizeof(*s));
        if (!s || !(s->bundle = strdup(bundle))) {
                json_decref(root);
                return ctr_error_sys(err, ENOMEM, "config.json");
        }
        cgroup_limits_init(&s->limits);
        if (!json_is_object(root))
                r = bad(err, "(top level)", "expected an object");
        else if ((r = get_string(root, "ociVersion", "ociVersion", true, &version, err)) < 0)
                ;
        else if ((r = parse_process(root, s, err)) < 0)
                ;
        else if ((r = parse_root(root, s, err)) < 0)
                ;
        else if ((r = get_string(root, "hostname", "hostname", false, &s->hostname, err)) < 0)
                ;
        else if ((r = parse_mounts(root, s, err)) < 0)
                ;
        else if ((r = parse_overlay(root, s, err)) < 0)
                ;
        else
                r = parse_linux(root, s, err);
        json_decref(root);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

int
runtime_spec_load(const char *config_path, struct runtime_spec **ret, struct ctr_error **err)
{
        _cleanup_free_ char *text = NULL, *abs = NULL;
        char *slash;
        int r;

        r = read_file_full(config_path, CONFIG_MAX, &text, NULL, err);
        if (r < 0)
                return r;
        abs = realpath(config_path, NULL);
        if (!abs)
                return ctr_error_sys(err, errno, "resolve `%s`", config_path);
        slash = strrchr(abs, '/');
        if (slash == abs)
                slash[1] = 0;
        else
                *slash = 0;
        return runtime_spec_parse(text, abs, ret, err);
}
