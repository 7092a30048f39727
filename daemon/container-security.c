/* The security settings of a container (issue 7): parsed from
 * container.create, persisted, shown by inspect and info, and turned into
 * the config.json fields the runtime applies (capabilities, no_new_privs,
 * seccomp, read-only root, tmpfs mounts, masked paths, devices). Decides
 * what a container may do; never applies anything itself — the runtime
 * does, in the container's child (daemon/runtime/). */
#include "daemon/container-security.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs-util.h"
#include "common/log.h"
#include "daemon/container-devices.h"
#include "daemon/container-record.h"
#include "daemon/runtime/seccomp-profile.h"

#define PROFILE_MAX_SIZE (4 * 1024 * 1024)
#define TMPFS_MAX 64
#define CAPS_MAX 64
#define SECCOMP_CACHE_ANNOTATION "org.containerctl.seccomp.cache"

/* Docker's default set (moby oci/caps/defaults.go) without CAP_MKNOD, as
 * Podman does: there is no device cgroup or BPF device program yet, so a
 * node made with mknod could be opened (a disk, /dev/mem). Without
 * CAP_MKNOD mknod(2) of a device fails; /dev holds only the nodes the
 * runtime binds in. */
static const char *const default_caps[] = {
        "CAP_CHOWN",    "CAP_DAC_OVERRIDE",     "CAP_FSETID",     "CAP_FOWNER",
        "CAP_NET_RAW",  "CAP_SETGID",           "CAP_SETUID",     "CAP_SETFCAP",
        "CAP_SETPCAP",  "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE", NULL,
};

/* Docker's default masked and read-only paths (moby oci/defaults.go). */
static const char *const masked_paths[] = {
        "/proc/asound",        "/proc/acpi",       "/proc/kcore",       "/proc/keys",
        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
        "/proc/scsi",          "/sys/firmware",    "/sys/devices/virtual/powercap", NULL,
};
static const char *const readonly_paths[] = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

/* The device nodes child_mount_dev() binds into every container. */
static const char *const default_devices[] = { "null", "zero", "full", "random", "urandom", "tty", NULL };

/* Why the default set lacks CAP_MKNOD, for info. */
#define MKNOD_NOTE                                                                            \
        "CAP_MKNOD is not in the default set (Docker's has it): a container cannot make device " \
        "nodes unless given it"

/* The default profile converted for one capability set: most containers
 * share a few sets, and parsing plus converting costs about a millisecond
 * per create. */
struct converted_profile {
        uint64_t caps;
        json_t *obj; /* linux.seccomp, or NULL: slot unused */
};
#define CONVERTED_MAX 4

struct container_security_defaults {
        char *profile_path; /* NULL: unconfined */
        char *profile_text;
        size_t profile_len;
        char *cache_dir;
        struct converted_profile converted[CONVERTED_MAX];
        unsigned next_converted; /* the slot to replace next */
};

static void
strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

static int
strv_dup(char *const *v, char ***ret)
{
        size_t n = 0;
        char **out;

        *ret = NULL;
        if (!v)
                return 0;
        while (v[n])
                n++;
        out = calloc(n + 1, sizeof(char *));
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (!(out[i] = strdup(v[i]))) {
                        strv_free(out);
                        return -ENOMEM;
                }
        *ret = out;
        return 0;
}

static json_t *
strv_json(const char *const *v)
{
        json_t *a = json_array();

        for (size_t i = 0; a && v && v[i]; i++)
                json_array_append_new(a, json_string(v[i]));
        return a;
}

void
container_security_init(struct container_security *s)
{
        /* Zero is the default: a zeroed struct (a create params or record
         * filled field by field) can never mean less security. */
        *s = (struct container_security){ 0 };
}

void
container_security_clear(struct container_security *s)
{
        strv_free(s->cap_add);
        strv_free(s->cap_drop);
        for (size_t i = 0; s->tmpfs && i < s->n_tmpfs; i++) {
                free(s->tmpfs[i].destination);
                free(s->tmpfs[i].options);
        }
        free(s->tmpfs);
        free(s->seccomp_name);
        free(s->seccomp_profile);
        container_security_init(s);
}

int
container_security_copy(const struct container_security *src, struct container_security *dst)
{
        container_security_init(dst);
        dst->privileged = src->privileged;
        dst->read_only = src->read_only;
        dst->allow_new_privileges = src->allow_new_privileges;
        dst->seccomp = src->seccomp;
        if (strv_dup(src->cap_add, &dst->cap_add) < 0 || strv_dup(src->cap_drop, &dst->cap_drop) < 0)
                goto oom;
        if ((src->seccomp_name && !(dst->seccomp_name = strdup(src->seccomp_name))) ||
            (src->seccomp_profile && !(dst->seccomp_profile = strdup(src->seccomp_profile))))
                goto oom;
        if (src->n_tmpfs > 0) {
                dst->tmpfs = calloc(src->n_tmpfs, sizeof(*dst->tmpfs));
                if (!dst->tmpfs)
                        goto oom;
                for (size_t i = 0; i < src->n_tmpfs; i++) {
                        dst->n_tmpfs++;
                        if (!(dst->tmpfs[i].destination = strdup(src->tmpfs[i].destination)) ||
                            (src->tmpfs[i].options && !(dst->tmpfs[i].options = strdup(src->tmpfs[i].options))))
                                goto oom;
                }
        }
        return 0;
oom:
        container_security_clear(dst);
        return -ENOMEM;
}

/* ---- capabilities ---- */

static int
last_cap(void)
{
        int n = (int) cap_max_bits();

        return n > 0 && n <= CAPS_MAX ? n - 1 : CAP_LAST_CAP;
}

/* "net_admin", "CAP_NET_ADMIN", "Cap_Net_Admin" -> its number, or -EINVAL
 * for a name libcap does not know or this kernel does not have. */
static int
cap_number(const char *name)
{
        char lower[64];
        cap_value_t v;
        size_t i = 0;

        if (!name || strlen(name) + 4 >= sizeof(lower))
                return -EINVAL;
        if (strncasecmp(name, "CAP_", 4) != 0) {
                memcpy(lower, "cap_", 4);
                i = 4;
        }
        for (const char *p = name; *p; p++) {
                if (!isalnum((unsigned char) *p) && *p != '_')
                        return -EINVAL;
                lower[i++] = (char) tolower((unsigned char) *p);
        }
        lower[i] = '\0';
        /* cap_from_name() also takes numbers ("cap_5" is not one, "5" would
         * be): the prefix check above rules them out. */
        if (cap_from_name(lower, &v) < 0 || v < 0 || v > last_cap())
                return -EINVAL;
        return (int) v;
}

/* "CAP_NET_ADMIN" for capability cap (libcap's name, upper case). */
static char *
cap_upper_name(int cap)
{
        char *n = cap_to_name((cap_value_t) cap), *out;

        if (!n)
                return NULL;
        out = strdup(n);
        cap_free(n);
        for (char *p = out; p && *p; p++)
                *p = (char) toupper((unsigned char) *p);
        return out;
}

/* Every capability the kernel has and the daemon's bounding set still
 * holds (the monitor inherits it): a container cannot get more, and
 * asking the runtime for more fails at start. */
static uint64_t
all_caps_mask(void)
{
        uint64_t m = 0;

        for (int cap = 0; cap <= last_cap(); cap++)
                if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
                        m |= UINT64_C(1) << cap;
        return m;
}

static uint64_t
names_mask(char *const *v, bool *ret_all)
{
        uint64_t m = 0;

        *ret_all = false;
        for (size_t i = 0; v && v[i]; i++) {
                int cap;
                if (strcmp(v[i], "ALL") == 0) {
                        *ret_all = true;
                        continue;
                }
                cap = cap_number(v[i]);
                if (cap >= 0)
                        m |= UINT64_C(1) << cap;
        }
        return m;
}

uint64_t
container_security_caps(const struct container_security *s)
{
        bool add_all, drop_all;
        uint64_t add = names_mask(s->cap_add, &add_all), drop = names_mask(s->cap_drop, &drop_all);
        uint64_t caps = 0;

        /* As Docker: --cap-add ALL starts from every capability, --cap-drop
         * ALL from none; then the named drops, then the named adds. */
        if (s->privileged || add_all)
                caps = all_caps_mask();
        else if (!drop_all)
                for (size_t i = 0; default_caps[i]; i++)
                        caps |= UINT64_C(1) << cap_number(default_caps[i]);
        caps &= ~drop;
        caps |= add;
        return caps & all_caps_mask();
}

static json_t *
caps_json(uint64_t caps)
{
        json_t *a = json_array();

        for (int cap = 0; a && cap <= last_cap(); cap++) {
                _cleanup_free_ char *n = NULL;
                if (!((caps >> cap) & 1))
                        continue;
                n = cap_upper_name(cap);
                if (!n || json_array_append_new(a, json_string(n)) < 0) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}

/* A list of names from the API, normalised to "CAP_X" or "ALL". */
static int
parse_caps(json_t *v, const char *field, char ***ret, struct ctr_error **err)
{
        char **out;
        json_t *x;
        size_t i;

        *ret = NULL;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_array(v) || json_array_size(v) > CAPS_MAX)
                return ctr_error_msg(err, EINVAL, "security.%s must be an array of at most %d capability names",
                                     field, CAPS_MAX);
        out = calloc(json_array_size(v) + 1, sizeof(char *));
        if (!out)
                return -ENOMEM;
        json_array_foreach (v, i, x) {
                const char *name = json_string_value(x);
                int cap;
                if (name && strcasecmp(name, "ALL") == 0) {
                        out[i] = strdup("ALL");
                } else if (!name || (cap = cap_number(name)) < 0) {
                        strv_free(out);
                        return ctr_error_msg(err, EINVAL, "%s: unknown capability `%s`",
                                             strcmp(field, "cap_add") == 0 ? "--cap-add" : "--cap-drop",
                                             name ? name : "(not a string)");
                } else if (strcmp(field, "cap_add") == 0 && !((all_caps_mask() >> cap) & 1)) {
                        strv_free(out);
                        return ctr_error_msg(err, EPERM, "--cap-add: `%s` is not in the daemon's own bounding set",
                                             name);
                } else {
                        out[i] = cap_upper_name(cap);
                }
                if (!out[i]) {
                        strv_free(out);
                        return -ENOMEM;
                }
        }
        *ret = out;
        return 0;
}

/* ---- tmpfs ---- */

static bool
path_is_valid(const char *p)
{
        size_t n;

        if (!p || p[0] != '/' || (n = strlen(p)) >= 4096 || strcmp(p, "/") == 0)
                return false;
        for (const char *s = p; (s = strstr(s, "..")); s += 2)
                if (s[-1] == '/' && (s[2] == '/' || s[2] == '\0'))
                        return false;
        for (const char *s = p; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == ',' || *s == ':')
                        return false;
        return true;
}

/* Docker's --tmpfs options: mount flags, or size/mode/uid/gid/nr_* values.
 * Anything else would reach mount(2) as data. */
static int
check_tmpfs_options(const char *dst, const char *opts, struct ctr_error **err)
{
        static const char *const flags[] = {
                "ro", "rw", "exec", "noexec", "suid", "nosuid", "dev", "nodev", "sync", "async",
                "atime", "noatime", "diratime", "nodiratime", "relatime", "norelatime",
                "strictatime", "nostrictatime", "dirsync", NULL,
        };
        static const char *const keys[] = { "size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", NULL };
        _cleanup_free_ char *copy = opts ? strdup(opts) : NULL;
        char *save = NULL;

        if (!opts)
                return 0;
        if (!copy)
                return -ENOMEM;
        if (!*opts || strstr(opts, ",,") || opts[strlen(opts) - 1] == ',' || opts[0] == ',')
                return ctr_error_msg(err, EINVAL, "--tmpfs %s: empty mount option in `%s`", dst, opts);
        for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(o, '=');
                bool ok = false;
                if (eq) {
                        *eq = '\0';
                        for (size_t i = 0; keys[i]; i++)
                                ok |= strcmp(o, keys[i]) == 0;
                        for (const char *v = eq + 1; ok && *v; v++)
                                ok = isalnum((unsigned char) *v) || *v == '%';
                        ok = ok && eq[1];
                        *eq = '=';
                } else {
                        for (size_t i = 0; flags[i]; i++)
                                ok |= strcmp(o, flags[i]) == 0;
                }
                if (!ok)
                        return ctr_error_msg(err, EINVAL,
                                             "--tmpfs %s: unknown or malformed mount option `%s` (flags such as "
                                             "ro, exec, nosuid, or size=, mode=, uid=, gid=, nr_inodes=)",
                                             dst, o);
        }
        return 0;
}

static int
parse_tmpfs(json_t *v, struct container_security *s, struct ctr_error **err)
{
        json_t *x;
        size_t i;

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_array(v) || json_array_size(v) > TMPFS_MAX)
                return ctr_error_msg(err, EINVAL, "security.tmpfs must be an array of at most %d objects",
                                     TMPFS_MAX);
        s->tmpfs = calloc(json_array_size(v) + 1, sizeof(*s->tmpfs));
        if (!s->tmpfs)
                return -ENOMEM;
        json_array_foreach (v, i, x) {
                const char *dst = json_string_value(json_object_get(x, "destination"));
                json_t *o = json_object_get(x, "options");
                int r;

                if (!json_is_object(x) || (o && !json_is_null(o) && !json_is_string(o)))
                        return ctr_error_msg(err, EINVAL,
                                             "security.tmpfs[%zu] must be {\"destination\": PATH, \"options\": STRING}", i);
                if (!path_is_valid(dst))
                        return ctr_error_msg(err, EINVAL,
                                             "--tmpfs: `%s` must be an absolute path other than / without '..', ',' or ':'",
                                             dst ? dst : "");
                for (size_t k = 0; k < s->n_tmpfs; k++)
                        if (strcmp(s->tmpfs[k].destination, dst) == 0)
                                return ctr_error_msg(err, EINVAL, "--tmpfs: `%s` given twice", dst);
                r = check_tmpfs_options(dst, json_string_value(o), err);
                if (r < 0)
                        return r;
                s->tmpfs[s->n_tmpfs].destination = strdup(dst);
                if (json_string_value(o))
                        s->tmpfs[s->n_tmpfs].options = strdup(json_string_value(o));
                s->n_tmpfs++;
                if (!s->tmpfs[i].destination || (json_string_value(o) && !s->tmpfs[i].options))
                        return -ENOMEM;
        }
        return 0;
}

/* ---- seccomp ---- */

/* Parses text as a profile file would be read (Docker format, which also
 * takes the OCI fields), with includes/excludes resolved against env. */
static int
profile_parse(const char *text, size_t len, const char *origin, const struct seccomp_profile_env *env,
              struct seccomp_profile **ret, struct ctr_error **err)
{
        return seccomp_profile_parse(text, len, SECCOMP_PROFILE_DOCKER, origin, "", env, ret, err);
}

static int
parse_seccomp(json_t *v, struct container_security *s, struct ctr_error **err)
{
        _cleanup_(seccomp_profile_freep) struct seccomp_profile *p = NULL;
        const char *name, *text;
        int r;

        if (!v || json_is_null(v))
                return 0;
        if (json_is_string(v)) {
                if (strcmp(json_string_value(v), "default") == 0)
                        s->seccomp = CONTAINER_SECCOMP_DEFAULT;
                else if (strcmp(json_string_value(v), "unconfined") == 0)
                        s->seccomp = CONTAINER_SECCOMP_UNCONFINED;
                else
                        return ctr_error_msg(err, EINVAL,
                                             "security.seccomp must be \"default\", \"unconfined\" or "
                                             "{\"name\", \"profile\"}, got `%s`",
                                             json_string_value(v));
                return 0;
        }
        name = json_string_value(json_object_get(v, "name"));
        text = json_string_value(json_object_get(v, "profile"));
        if (!json_is_object(v) || !text || (json_object_get(v, "name") && !name))
                return ctr_error_msg(err, EINVAL,
                                     "security.seccomp must be \"default\", \"unconfined\" or "
                                     "{\"name\": STRING, \"profile\": STRING}");
        if (json_string_length(json_object_get(v, "profile")) > PROFILE_MAX_SIZE)
                return ctr_error_msg(err, EFBIG, "seccomp profile %s: larger than %d bytes",
                                     name ? name : "", PROFILE_MAX_SIZE);
        /* Every error now, with the line or field, so that nothing is
         * created from a profile the runtime would refuse at start. */
        r = profile_parse(text, json_string_length(json_object_get(v, "profile")), name ? name : "seccomp profile",
                          NULL, &p, err);
        if (r < 0)
                return r;
        s->seccomp = CONTAINER_SECCOMP_CUSTOM;
        s->seccomp_name = strdup(name ? name : "custom");
        s->seccomp_profile = strdup(text);
        return s->seccomp_name && s->seccomp_profile ? 0 : -ENOMEM;
}

static int
parse_bool(json_t *o, const char *key, bool *ret, struct ctr_error **err)
{
        json_t *v = json_object_get(o, key);

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_boolean(v))
                return ctr_error_msg(err, EINVAL, "security.%s must be a boolean", key);
        *ret = json_is_true(v);
        return 0;
}

int
container_security_from_params(json_t *j, struct container_security *ret, struct ctr_error **err)
{
        static const char *const keys[] = { "cap_add", "cap_drop", "privileged", "read_only",
                                            "no_new_privileges", "tmpfs", "seccomp", NULL };
        struct container_security s;
        bool nnp = true, both_all;
        const char *key;
        json_t *v;
        int r;

        container_security_init(ret);
        if (!j || json_is_null(j))
                return 0;
        if (!json_is_object(j))
                return ctr_error_msg(err, EINVAL, "parameter 'security' must be an object");
        json_object_foreach (j, key, v) {
                bool known = false;
                for (size_t i = 0; keys[i]; i++)
                        known |= strcmp(key, keys[i]) == 0;
                if (!known)
                        return ctr_error_msg(err, EINVAL, "security: unknown key '%s'", key);
        }
        container_security_init(&s);
        r = parse_caps(json_object_get(j, "cap_add"), "cap_add", &s.cap_add, err);
        if (r >= 0)
                r = parse_caps(json_object_get(j, "cap_drop"), "cap_drop", &s.cap_drop, err);
        if (r >= 0)
                r = parse_bool(j, "privileged", &s.privileged, err);
        if (r >= 0)
                r = parse_bool(j, "read_only", &s.read_only, err);
        if (r >= 0)
                r = parse_bool(j, "no_new_privileges", &nnp, err);
        if (r >= 0)
                r = parse_tmpfs(json_object_get(j, "tmpfs"), &s, err);
        if (r >= 0)
                r = parse_seccomp(json_object_get(j, "seccomp"), &s, err);
        if (r >= 0) {
                bool add_all, drop_all;
                (void) names_mask(s.cap_add, &add_all);
                (void) names_mask(s.cap_drop, &drop_all);
                both_all = add_all && drop_all;
                if (both_all)
                        r = ctr_error_msg(err, EINVAL, "--cap-add ALL and --cap-drop ALL contradict each other");
        }
        if (r < 0) {
                container_security_clear(&s);
                return r == -ENOMEM ? ctr_error_sys(err, ENOMEM, "security") : r;
        }
        s.allow_new_privileges = !nnp;
        *ret = s;
        return 0;
}

/* ---- persistence ---- */

static const char *
seccomp_mode_name(enum container_seccomp_mode m)
{
        switch (m) {
        case CONTAINER_SECCOMP_UNCONFINED:
                return "unconfined";
        case CONTAINER_SECCOMP_CUSTOM:
                return "custom";
        case CONTAINER_SECCOMP_DEFAULT:
                break;
        }
        return "default";
}

static json_t *
tmpfs_json(const struct container_security *s)
{
        json_t *a = json_array();

        for (size_t i = 0; a && i < s->n_tmpfs; i++)
                json_array_append_new(a, json_pack("{s:s,s:s?}", "destination", s->tmpfs[i].destination,
                                                   "options", s->tmpfs[i].options));
        return a;
}

json_t *
container_security_to_json(const struct container_security *s)
{
        return json_pack("{s:o,s:o,s:b,s:b,s:b,s:o,s:s,s:s?,s:s?}", "cap_add", strv_json((const char *const *) s->cap_add),
                         "cap_drop", strv_json((const char *const *) s->cap_drop), "privileged", s->privileged,
                         "read_only", s->read_only, "no_new_privileges", !s->allow_new_privileges, "tmpfs",
                         tmpfs_json(s), "seccomp", seccomp_mode_name(s->seccomp), "seccomp_name",
                         s->seccomp_name, "seccomp_profile", s->seccomp_profile);
}

static int
strv_from_json(json_t *a, char ***ret)
{
        json_t *x;
        size_t i;

        *ret = NULL;
        if (!a || json_is_null(a))
                return 0;
        if (!json_is_array(a))
                return -EINVAL;
        *ret = calloc(json_array_size(a) + 1, sizeof(char *));
        if (!*ret)
                return -ENOMEM;
        json_array_foreach (a, i, x)
                if (!json_is_string(x) || !((*ret)[i] = strdup(json_string_value(x))))
                        return -EINVAL;
        return 0;
}

int
container_security_from_json(json_t *j, struct container_security *ret)
{
        struct container_security s;
        const char *mode = NULL, *name, *text;
        int priv = 0, ro = 0, nnp = 1;
        json_t *tmpfs = NULL, *jname = NULL, *jtext = NULL, *x;
        size_t i;

        container_security_init(ret);
        if (!j || json_is_null(j))
                return 0;
        container_security_init(&s);
        /* seccomp_name and seccomp_profile are null unless custom. */
        if (json_unpack(j, "{s?b,s?b,s?b,s?o,s?s,s?o,s?o}", "privileged", &priv, "read_only", &ro,
                        "no_new_privileges", &nnp, "tmpfs", &tmpfs, "seccomp", &mode, "seccomp_name", &jname,
                        "seccomp_profile", &jtext) < 0)
                return -EINVAL;
        name = json_string_value(jname);
        text = json_string_value(jtext);
        s.privileged = priv;
        s.read_only = ro;
        s.allow_new_privileges = !nnp;
        if (!mode || strcmp(mode, "default") == 0)
                s.seccomp = CONTAINER_SECCOMP_DEFAULT;
        else if (strcmp(mode, "unconfined") == 0)
                s.seccomp = CONTAINER_SECCOMP_UNCONFINED;
        else if (strcmp(mode, "custom") == 0 && text)
                s.seccomp = CONTAINER_SECCOMP_CUSTOM;
        else
                return -EINVAL;
        if (strv_from_json(json_object_get(j, "cap_add"), &s.cap_add) < 0 ||
            strv_from_json(json_object_get(j, "cap_drop"), &s.cap_drop) < 0 ||
            (name && !(s.seccomp_name = strdup(name))) || (text && !(s.seccomp_profile = strdup(text))) ||
            (tmpfs && !json_is_array(tmpfs)))
                goto bad;
        if (json_array_size(tmpfs) > 0 && !(s.tmpfs = calloc(json_array_size(tmpfs), sizeof(*s.tmpfs))))
                goto bad;
        json_array_foreach (tmpfs, i, x) {
                const char *d = NULL, *o;
                json_t *jo = NULL;
                if (json_unpack(x, "{s:s,s?o}", "destination", &d, "options", &jo) < 0)
                        goto bad;
                o = json_string_value(jo);
                s.n_tmpfs++;
                if (!(s.tmpfs[i].destination = strdup(d)) || (o && !(s.tmpfs[i].options = strdup(o))))
                        goto bad;
        }
        *ret = s;
        return 0;
bad:
        container_security_clear(&s);
        return -EINVAL;
}

/* ---- the daemon's defaults ---- */

void
container_security_defaults_free(struct container_security_defaults *d)
{
        if (!d)
                return;
        free(d->profile_path);
        free(d->profile_text);
        free(d->cache_dir);
        for (size_t i = 0; i < CONVERTED_MAX; i++)
                json_decref(d->converted[i].obj);
        free(d);
}

/* <run_root>/seccomp, empty, 0700 and ours: the monitors trust what they
 * find there (seccomp_bpf_load() ignores a dir that is not). Emptied at
 * start so a libseccomp or kernel upgrade never meets an old program. */
static int
cache_dir_reset(const char *dir, struct ctr_error **err)
{
        struct stat st;
        int r;

        r = rm_rf(dir, err);
        if (r < 0)
                return r;
        if (mkdir(dir, 0700) < 0)
                return ctr_error_sys(err, errno, "create the seccomp cache `%s`", dir);
        if (lstat(dir, &st) < 0)
                return ctr_error_sys(err, errno, "stat `%s`", dir);
        if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077))
                return ctr_error_msg(err, EPERM, "the seccomp cache `%s` is not a private directory of ours",
                                     dir);
        return 0;
}

/* daemon/seccomp-default.c, generated from etc/seccomp.json. */
extern const unsigned char container_security_builtin_profile[];
extern const size_t container_security_builtin_profile_len;

int
container_security_defaults_new(const char *profile_path, bool builtin_fallback, const char *run_root,
                                struct container_security_defaults **ret, struct ctr_error **err)
{
        _cleanup_(container_security_defaults_freep) struct container_security_defaults *d = NULL;
        _cleanup_(seccomp_profile_freep) struct seccomp_profile *p = NULL;
        int r;

        d = calloc(1, sizeof(*d));
        if (!d || !(d->cache_dir = path_join(run_root, "seccomp")))
                return ctr_error_sys(err, ENOMEM, "seccomp defaults");
        if (profile_path && strcmp(profile_path, "unconfined") != 0) {
                _cleanup_error_ struct ctr_error *e = NULL;

                d->profile_path = strdup(profile_path);
                if (!d->profile_path)
                        return ctr_error_sys(err, ENOMEM, "seccomp defaults");
                r = read_file_full(profile_path, PROFILE_MAX_SIZE, &d->profile_text, &d->profile_len, &e);
                if (r == -ENOENT && builtin_fallback) {
                        /* Never weaker for a missing file: the same profile,
                         * as this build shipped it. */
                        log_notice("%s not found: using the built-in default seccomp profile", profile_path);
                        free(d->profile_path);
                        d->profile_path = strdup("built-in");
                        d->profile_text = strndup((const char *) container_security_builtin_profile,
                                                  container_security_builtin_profile_len);
                        d->profile_len = container_security_builtin_profile_len;
                        if (!d->profile_path || !d->profile_text)
                                return ctr_error_sys(err, ENOMEM, "seccomp defaults");
                } else if (r < 0) {
                        if (err && !*err)
                                *err = TAKE_PTR(e);
                        return ctr_error_prefix(err, -r, "seccomp_profile");
                }
                r = profile_parse(d->profile_text, d->profile_len, d->profile_path, NULL, &p, err);
                if (r < 0)
                        return ctr_error_prefix(err, -r, "seccomp_profile");
                log_info("default seccomp profile %s: %zu rules", d->profile_path, p->n_rules);
        } else {
                log_warning("seccomp_profile = unconfined: containers run without a seccomp filter "
                            "unless they ask for a profile");
        }
        r = cache_dir_reset(d->cache_dir, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(d);
        return 0;
}

void
container_manager_set_security(struct container_manager *m, struct container_security_defaults *d)
{
        m->security = d;
}

static json_t *
default_caps_json(void)
{
        return strv_json(default_caps);
}

json_t *
container_security_info_json(struct container_manager *m)
{
        const struct container_security_defaults *d = m ? m->security : NULL;
        const struct scmp_version *v = seccomp_version();
        char version[32];
        unsigned privileged = 0;

        for (const struct container *c = m ? m->containers : NULL; c; c = c->next)
                privileged += c->config.security.privileged;
        snprintf(version, sizeof(version), "%u.%u.%u", v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0);
        return json_pack("{s:{s:s,s:s,s:s?},s:o,s:s,s:b,s:o,s:o,s:s,s:i}", "seccomp", "libseccomp_version",
                         version, "default_profile", d && d->profile_path ? d->profile_path : "unconfined", "cache",
                         d ? d->cache_dir : NULL, "default_capabilities", default_caps_json(), "mknod", MKNOD_NOTE,
                         "no_new_privileges", 1, "masked_paths", strv_json(masked_paths), "readonly_paths",
                         strv_json(readonly_paths), "devices", container_devices_policy(false),
                         "privileged_containers", (int) privileged);
}

static const char *
seccomp_in_force(const struct container *c)
{
        const struct container_security *s = &c->config.security;
        const struct container_security_defaults *d = c->mgr ? c->mgr->security : NULL;

        if (s->privileged || s->seccomp == CONTAINER_SECCOMP_UNCONFINED)
                return "unconfined";
        if (s->seccomp == CONTAINER_SECCOMP_CUSTOM)
                return s->seccomp_name;
        return d && d->profile_path ? "default" : "unconfined";
}

json_t *
container_security_inspect_json(const struct container *c)
{
        const struct container_security *s = &c->config.security;
        const struct container_security_defaults *d = c->mgr ? c->mgr->security : NULL;
        const char *seccomp = seccomp_in_force(c);
        _cleanup_free_ char *opt_seccomp = NULL;
        json_t *opts;

        if (asprintf(&opt_seccomp, "seccomp=%s", seccomp) < 0)
                return NULL;
        /* Docker's HostConfig.SecurityOpt, for scripts that read it. */
        opts = json_pack("[s,s]", opt_seccomp,
                         s->allow_new_privileges ? "no-new-privileges=false" : "no-new-privileges=true");
        return json_pack("{s:b,s:o,s:o,s:o,s:s,s:s?,s:b,s:b,s:o,s:o,s:o,s:s,s:o}", "privileged", s->privileged,
                         "capabilities", caps_json(container_security_caps(s)), "cap_add",
                         strv_json((const char *const *) s->cap_add), "cap_drop",
                         strv_json((const char *const *) s->cap_drop), "seccomp", seccomp, "seccomp_profile",
                         s->seccomp == CONTAINER_SECCOMP_DEFAULT && !s->privileged && d ? d->profile_path : NULL,
                         "no_new_privileges", !s->allow_new_privileges, "read_only", s->read_only, "tmpfs",
                         tmpfs_json(s), "masked_paths", s->privileged ? json_array() : strv_json(masked_paths),
                         "readonly_paths", s->privileged ? json_array() : strv_json(readonly_paths),
                         "devices", container_devices_policy(s->privileged), "security_opt", opts);
}

/* ---- config.json ---- */

static json_t *
tmpfs_mount_json(const struct container_tmpfs *t)
{
        /* Docker's defaults for --tmpfs; the user's options come after and
         * win (the runtime applies them in order: "exec" clears noexec). */
        json_t *o = json_pack("[s,s,s]", "nosuid", "nodev", "noexec");
        _cleanup_free_ char *copy = t->options ? strdup(t->options) : NULL;
        char *save = NULL;

        if (!o || (t->options && !copy)) {
                json_decref(o);
                return NULL;
        }
        for (char *x = copy ? strtok_r(copy, ",", &save) : NULL; x; x = strtok_r(NULL, ",", &save))
                json_array_append_new(o, json_string(x));
        return json_pack("{s:s,s:s,s:s,s:o}", "destination", t->destination, "type", "tmpfs", "source", "tmpfs",
                         "options", o);
}

/* Every character and block device below dir (host /dev), as bind mounts
 * for a privileged container, skipping what the runtime binds anyway and
 * other filesystems (pts, shm, mqueue, hugepages). */
static int
add_host_devices(json_t *mounts, const char *dir, dev_t devfs, int depth)
{
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (depth > 3 || !(d = opendir(dir)))
                return 0;
        while (r >= 0 && (de = readdir(d))) {
                _cleanup_free_ char *path = NULL;
                struct stat st;
                bool skip = false;

                if (de->d_name[0] == '.')
                        continue;
                for (size_t i = 0; depth == 0 && default_devices[i]; i++)
                        skip |= strcmp(de->d_name, default_devices[i]) == 0;
                if (skip || (depth == 0 && (strcmp(de->d_name, "ptmx") == 0 || strcmp(de->d_name, "console") == 0)))
                        continue;
                path = path_join(dir, de->d_name);
                if (!path) {
                        r = -ENOMEM;
                        break;
                }
                if (lstat(path, &st) < 0 || st.st_dev != devfs)
                        continue;
                if (S_ISDIR(st.st_mode)) {
                        r = add_host_devices(mounts, path, devfs, depth + 1);
                } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
                        json_t *m = json_pack("{s:s,s:s,s:s,s:[s,s]}", "destination", path, "type", "bind",
                                              "source", path, "options", "bind", "private");
                        if (!m || json_array_append_new(mounts, m) < 0)
                                r = -ENOMEM;
                }
        }
        closedir(d);
        return r;
}

/* /sys writable for a privileged container, as Docker does. */
static void
sys_writable(json_t *mounts)
{
        json_t *m, *opts, *o;
        size_t i, k;

        json_array_foreach (mounts, i, m) {
                if (strcmp(json_string_value(json_object_get(m, "destination")) ?: "", "/sys") != 0)
                        continue;
                opts = json_object_get(m, "options");
                json_array_foreach (opts, k, o)
                        if (strcmp(json_string_value(o) ?: "", "ro") == 0)
                                json_array_set_new(opts, k, json_string("rw"));
        }
}

/* The default profile for caps, converted once per capability set. A
 * borrowed reference, or NULL with *err. */
static json_t *
default_profile_for(struct container_security_defaults *d, uint64_t caps, struct ctr_error **err)
{
        _cleanup_(seccomp_profile_freep) struct seccomp_profile *p = NULL;
        struct seccomp_profile_env env = { .caps = caps };
        struct converted_profile *slot;

        for (size_t i = 0; i < CONVERTED_MAX; i++)
                if (d->converted[i].obj && d->converted[i].caps == caps)
                        return d->converted[i].obj;
        if (profile_parse(d->profile_text, d->profile_len, d->profile_path, &env, &p, err) < 0)
                return NULL;
        slot = &d->converted[d->next_converted++ % CONVERTED_MAX];
        json_decref(slot->obj);
        slot->caps = caps;
        slot->obj = seccomp_profile_to_oci_json(p);
        if (!slot->obj)
                ctr_error_sys(err, ENOMEM, "seccomp profile");
        return slot->obj;
}

static int
apply_seccomp(const struct container *c, uint64_t caps, json_t *spec, struct ctr_error **err)
{
        const struct container_security *s = &c->config.security;
        struct container_security_defaults *d = c->mgr ? c->mgr->security : NULL;
        _cleanup_(seccomp_profile_freep) struct seccomp_profile *p = NULL;
        json_t *linux_obj = json_object_get(spec, "linux"), *ann = json_object_get(spec, "annotations"), *obj;
        struct seccomp_profile_env env = { .caps = caps };
        const char *text = NULL, *origin = NULL;
        size_t len = 0;
        int r;

        if (!json_is_object(linux_obj))
                return ctr_error_msg(err, EINVAL, "config.json has no linux section");
        json_object_del(linux_obj, "seccomp");
        if (s->privileged || s->seccomp == CONTAINER_SECCOMP_UNCONFINED)
                return 0;
        if (s->seccomp == CONTAINER_SECCOMP_CUSTOM) {
                text = s->seccomp_profile;
                len = strlen(text);
                origin = s->seccomp_name;
        } else if (d && d->profile_text) {
                /* Shared, not copied: nothing changes it once converted,
                 * and the spec is only dumped. */
                obj = default_profile_for(d, caps, err);
                if (!obj)
                        return -EINVAL;
                json_incref(obj);
                goto set;
        }
        if (!text)
                return 0;
        /* includes/excludes by capability see the caps this container
         * really gets (Docker's profile allows e.g. ptrace-like calls only
         * with CAP_SYS_PTRACE). */
        r = profile_parse(text, len, origin, &env, &p, err);
        if (r < 0)
                return r;
        obj = seccomp_profile_to_oci_json(p);
set:
        if (!obj || json_object_set_new(linux_obj, "seccomp", obj) < 0)
                return ctr_error_sys(err, ENOMEM, "seccomp profile");
        if (d && json_is_object(ann) &&
            json_object_set_new(ann, SECCOMP_CACHE_ANNOTATION, json_string(d->cache_dir)) < 0)
                return ctr_error_sys(err, ENOMEM, "seccomp profile");
        return 0;
}

int
container_security_apply_spec(const struct container *c, json_t *spec, uid_t uid, struct ctr_error **err)
{
        const struct container_security *s = &c->config.security;
        json_t *process = json_object_get(spec, "process"), *root = json_object_get(spec, "root");
        json_t *linux_obj = json_object_get(spec, "linux"), *mounts = json_object_get(spec, "mounts");
        uint64_t caps = container_security_caps(s);
        json_t *names = caps_json(caps), *set;
        int r;

        if (!json_is_object(process) || !json_is_object(root) || !json_is_object(linux_obj) || !json_is_array(mounts)) {
                json_decref(names);
                return ctr_error_msg(err, EINVAL, "%s: config.json lacks process, root, linux or mounts", c->id);
        }
        if (!names)
                return ctr_error_sys(err, ENOMEM, "capabilities");
        /* As Docker (and execve(2) for a non-root user): root gets the set
         * effective and permitted; another user only the bounding set, and
         * regains nothing but through file capabilities. Inheritable and
         * ambient stay empty (CVE-2022-24769). */
        set = json_pack("{s:o,s:o,s:o,s:[],s:[]}", "bounding", names, "effective",
                        uid == 0 ? json_copy(names) : json_array(), "permitted",
                        uid == 0 ? json_copy(names) : json_array(), "inheritable", "ambient");
        if (!set || json_object_set_new(process, "capabilities", set) < 0 ||
            json_object_set_new(process, "noNewPrivileges", json_boolean(!s->allow_new_privileges)) < 0 ||
            json_object_set_new(root, "readonly", json_boolean(s->read_only)) < 0)
                return ctr_error_sys(err, ENOMEM, "config.json");
        if (s->privileged) {
                struct stat st;
                json_object_del(linux_obj, "maskedPaths");
                json_object_del(linux_obj, "readonlyPaths");
                sys_writable(mounts);
                if (stat("/dev", &st) == 0 && (r = add_host_devices(mounts, "/dev", st.st_dev, 0)) < 0)
                        return ctr_error_sys(err, -r, "list the host's devices");
        } else if (json_object_set_new(linux_obj, "maskedPaths", strv_json(masked_paths)) < 0 ||
                   json_object_set_new(linux_obj, "readonlyPaths", strv_json(readonly_paths)) < 0) {
                return ctr_error_sys(err, ENOMEM, "config.json");
        }
        for (size_t i = 0; i < s->n_tmpfs; i++) {
                json_t *m = tmpfs_mount_json(&s->tmpfs[i]);
                if (!m || json_array_append_new(mounts, m) < 0)
                        return ctr_error_sys(err, ENOMEM, "config.json");
        }
        return apply_seccomp(c, caps, spec, err);
}
