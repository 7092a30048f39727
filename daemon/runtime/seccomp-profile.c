/* Docker and OCI seccomp profiles -> struct seccomp_profile: one parser,
 * with the Docker-only fields (archMap, name, includes/excludes) allowed
 * by a mode flag and resolved here against the caller's capabilities, the
 * host's architecture and kernel. Knows libseccomp's names only; compiling
 * is seccomp-bpf.c. Runs in the monitor or the daemon, never in a child. */
#include "daemon/runtime/seccomp-profile.h"

#include <ctype.h>
#include <errno.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/utsname.h>

#include "common/macros.h"

#ifndef SECCOMP_FILTER_FLAG_TSYNC
#define SECCOMP_FILTER_FLAG_TSYNC (1UL << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG (1UL << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif

#define ERRNO_MAX 4095

/* The SCMP names of the OCI spec, and for includes/excludes.arches also
 * Go's GOARCH names, which Docker's profiles use there. */
static const struct {
        const char *name;
        const char *go;
        uint32_t token;
} arches[] = {
        { "SCMP_ARCH_X86", "386", SCMP_ARCH_X86 },
        { "SCMP_ARCH_X86_64", "amd64", SCMP_ARCH_X86_64 },
        { "SCMP_ARCH_X32", "x32", SCMP_ARCH_X32 },
        { "SCMP_ARCH_ARM", "arm", SCMP_ARCH_ARM },
        { "SCMP_ARCH_AARCH64", "arm64", SCMP_ARCH_AARCH64 },
        { "SCMP_ARCH_MIPS", "mips", SCMP_ARCH_MIPS },
        { "SCMP_ARCH_MIPS64", "mips64", SCMP_ARCH_MIPS64 },
        { "SCMP_ARCH_MIPS64N32", "mips64n32", SCMP_ARCH_MIPS64N32 },
        { "SCMP_ARCH_MIPSEL", "mipsle", SCMP_ARCH_MIPSEL },
        { "SCMP_ARCH_MIPSEL64", "mips64le", SCMP_ARCH_MIPSEL64 },
        { "SCMP_ARCH_MIPSEL64N32", "mips64len32", SCMP_ARCH_MIPSEL64N32 },
        { "SCMP_ARCH_PPC", "ppc", SCMP_ARCH_PPC },
        { "SCMP_ARCH_PPC64", "ppc64", SCMP_ARCH_PPC64 },
        { "SCMP_ARCH_PPC64LE", "ppc64le", SCMP_ARCH_PPC64LE },
        { "SCMP_ARCH_S390", "s390", SCMP_ARCH_S390 },
        { "SCMP_ARCH_S390X", "s390x", SCMP_ARCH_S390X },
        { "SCMP_ARCH_PARISC", "parisc", SCMP_ARCH_PARISC },
        { "SCMP_ARCH_PARISC64", "parisc64", SCMP_ARCH_PARISC64 },
        { "SCMP_ARCH_RISCV64", "riscv64", SCMP_ARCH_RISCV64 },
};

static const struct {
        const char *name;
        uint32_t action; /* without the errno/trace value */
} actions[] = {
        { "SCMP_ACT_KILL", SCMP_ACT_KILL },
        { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
        { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
        { "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
        { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0) },
        { "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0) },
        { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
        { "SCMP_ACT_LOG", SCMP_ACT_LOG },
};

static const struct {
        const char *name;
        int op;
} ops[] = {
        { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
        { "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
        { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
        { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

static const struct {
        const char *name;
        unsigned flag;
} filter_flags[] = {
        { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
        { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
        { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
};

uint32_t
seccomp_arch_from_name(const char *name)
{
        for (size_t i = 0; name && i < ARRAY_SIZE(arches); i++)
                if (strcmp(arches[i].name, name) == 0)
                        return arches[i].token;
        return 0;
}

static const char *
arch_name(uint32_t token)
{
        for (size_t i = 0; i < ARRAY_SIZE(arches); i++)
                if (arches[i].token == token)
                        return arches[i].name;
        return NULL;
}

/* ---- parse state and errors ---- */

struct pstate {
        enum seccomp_profile_format format;
        const char *origin, *root;
        uint64_t caps;
        uint32_t arch;
        unsigned kmajor, kminor;
        struct seccomp_profile *p;
        struct ctr_error **err;
};

/* "<origin>: <root>.<path>: <what>" */
static int _printf_(3, 4)
fail(struct pstate *s, const char *path, const char *fmt, ...)
{
        _cleanup_free_ char *what = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&what, fmt, ap);
        va_end(ap);
        if (n < 0)
                return ctr_error_sys(s->err, ENOMEM, "%s", s->origin);
        return ctr_error_msg(s->err, EINVAL, "%s: %s%s%s: %s", s->origin, s->root,
                             s->root[0] && path[0] ? "." : "", path[0] || s->root[0] ? path : "(top level)", what);
}

static int
oom(struct pstate *s)
{
        return ctr_error_sys(s->err, ENOMEM, "%s", s->origin);
}

/* A Docker-only field in an OCI profile. */
static int
docker_only(struct pstate *s, json_t *obj, const char *key, const char *path)
{
        char field[160];

        if (s->format == SECCOMP_PROFILE_DOCKER || !json_object_get(obj, key))
                return 0;
        snprintf(field, sizeof(field), "%s%s%s", path, path[0] ? "." : "", key);
        return fail(s, field, "a Docker profile field, not allowed in linux.seccomp (resolve it when writing config.json)");
}

static int
get_str(struct pstate *s, json_t *obj, const char *key, const char *path, bool required, const char **ret)
{
        json_t *v = json_object_get(obj, key);

        *ret = NULL;
        if (!v || json_is_null(v))
                return required ? fail(s, path, "missing") : 0;
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
                return fail(s, path, "expected a string");
        *ret = json_string_value(v);
        return 1;
}

static int
get_uint(struct pstate *s, json_t *obj, const char *key, const char *path, uint64_t max, uint64_t *ret)
{
        json_t *v = json_object_get(obj, key);

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t) json_integer_value(v) > max)
                return fail(s, path, "expected an integer from 0 to %llu", (unsigned long long) max);
        *ret = (uint64_t) json_integer_value(v);
        return 1;
}

static int
get_array(struct pstate *s, json_t *obj, const char *key, const char *path, json_t **ret)
{
        json_t *v = json_object_get(obj, key);

        *ret = NULL;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_array(v))
                return fail(s, path, "expected an array");
        *ret = v;
        return 1;
}

/* element i of a string array, or an error naming path[i] */
static int
array_str(struct pstate *s, json_t *arr, size_t i, const char *path, const char **ret)
{
        json_t *e = json_array_get(arr, i);

        if (!json_is_string(e) || json_string_length(e) == 0 ||
            strlen(json_string_value(e)) != json_string_length(e))
                return fail(s, path, "element %zu: expected a non-empty string", i);
        *ret = json_string_value(e);
        return 0;
}

/* The action named at obj[key], with errnoRet (obj[errno_key]) folded in. */
static int
parse_action(struct pstate *s, json_t *obj, const char *key, const char *errno_key, const char *path,
             const char *errno_path, uint32_t *ret)
{
        const char *name;
        uint64_t ret_value = EPERM;
        int r, has_ret;

        r = get_str(s, obj, key, path, true, &name);
        if (r < 0)
                return r;
        has_ret = get_uint(s, obj, errno_key, errno_path, ERRNO_MAX, &ret_value);
        if (has_ret < 0)
                return has_ret;
        for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
                if (strcmp(actions[i].name, name) != 0)
                        continue;
                if (actions[i].action == SCMP_ACT_ERRNO(0))
                        *ret = SCMP_ACT_ERRNO((uint32_t) ret_value);
                else if (actions[i].action == SCMP_ACT_TRACE(0))
                        *ret = SCMP_ACT_TRACE((uint32_t) ret_value);
                else if (has_ret)
                        return fail(s, errno_path, "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take a return value");
                else
                        *ret = actions[i].action;
                return 0;
        }
        if (strcmp(name, "SCMP_ACT_NOTIFY") == 0)
                return fail(s, path, "`SCMP_ACT_NOTIFY` is not supported (no seccomp agent)");
        return fail(s, path, "unknown action `%s`", name);
}

/* ---- top level: architectures, archMap, flags ---- */

static int
add_arch(struct pstate *s, uint32_t token)
{
        uint32_t *a;

        for (size_t i = 0; i < s->p->n_arches; i++)
                if (s->p->arches[i] == token)
                        return 0;
        a = realloc(s->p->arches, (s->p->n_arches + 1) * sizeof(*a));
        if (!a)
                return oom(s);
        a[s->p->n_arches++] = token;
        s->p->arches = a;
        return 0;
}

static int
parse_arch_list(struct pstate *s, json_t *arr, const char *path, bool add)
{
        for (size_t i = 0; i < json_array_size(arr); i++) {
                const char *name;
                uint32_t token;
                int r;

                r = array_str(s, arr, i, path, &name);
                if (r < 0)
                        return r;
                token = seccomp_arch_from_name(name);
                if (!token)
                        return fail(s, path, "unknown architecture `%s`", name);
                if (add && (r = add_arch(s, token)) < 0)
                        return r;
        }
        return 0;
}

/* archMap: only the entry of the host's architecture counts (it and its
 * sub-architectures go into the filter); every entry must still parse. */
static int
parse_arch_map(struct pstate *s, json_t *map)
{
        json_t *e;
        size_t i;

        json_array_foreach(map, i, e) {
                char path[48], sub_path[96];
                const char *name;
                json_t *subs;
                uint32_t token;
                int r;

                snprintf(path, sizeof(path), "archMap[%zu]", i);
                if (!json_is_object(e))
                        return fail(s, path, "expected an object");
                snprintf(sub_path, sizeof(sub_path), "%s.architecture", path);
                r = get_str(s, e, "architecture", sub_path, true, &name);
                if (r < 0)
                        return r;
                token = seccomp_arch_from_name(name);
                if (!token)
                        return fail(s, sub_path, "unknown architecture `%s`", name);
                snprintf(sub_path, sizeof(sub_path), "%s.subArchitectures", path);
                r = get_array(s, e, "subArchitectures", sub_path, &subs);
                if (r < 0)
                        return r;
                if (token == s->arch && (r = add_arch(s, token)) < 0)
                        return r;
                r = parse_arch_list(s, subs, sub_path, token == s->arch);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int
parse_flags(struct pstate *s, json_t *root)
{
        json_t *arr;
        int r;

        r = get_array(s, root, "flags", "flags", &arr);
        if (r <= 0)
                return r;
        for (size_t i = 0; i < json_array_size(arr); i++) {
                const char *name;
                bool found = false;

                r = array_str(s, arr, i, "flags", &name);
                if (r < 0)
                        return r;
                for (size_t k = 0; k < ARRAY_SIZE(filter_flags); k++)
                        if (strcmp(filter_flags[k].name, name) == 0) {
                                s->p->flags |= filter_flags[k].flag;
                                found = true;
                        }
                if (!found)
                        return fail(s, "flags", "unknown flag `%s`", name);
        }
        return 0;
}

/* ---- syscalls[] ---- */

static int
parse_args(struct pstate *s, json_t *entry, const char *path, struct seccomp_rule *rule)
{
        char apath[96], fpath[128];
        json_t *arr, *e;
        size_t i;
        int r;

        snprintf(apath, sizeof(apath), "%s.args", path);
        r = get_array(s, entry, "args", apath, &arr);
        if (r <= 0)
                return r;
        if (json_array_size(arr) > 6)
                return fail(s, apath, "at most 6 comparisons");
        rule->args = calloc(json_array_size(arr) + 1, sizeof(*rule->args));
        if (!rule->args)
                return oom(s);
        json_array_foreach(arr, i, e) {
                struct seccomp_arg *a = &rule->args[i];
                const char *op;
                uint64_t index = 0;
                bool found = false;

                snprintf(apath, sizeof(apath), "%s.args[%zu]", path, i);
                if (!json_is_object(e))
                        return fail(s, apath, "expected an object");
                snprintf(fpath, sizeof(fpath), "%s.index", apath);
                r = get_uint(s, e, "index", fpath, 5, &index);
                if (r < 0)
                        return r;
                if (r == 0)
                        return fail(s, fpath, "missing");
                a->index = (unsigned) index;
                snprintf(fpath, sizeof(fpath), "%s.value", apath);
                if ((r = get_uint(s, e, "value", fpath, INT64_MAX, &a->value)) < 0)
                        return r;
                snprintf(fpath, sizeof(fpath), "%s.valueTwo", apath);
                if ((r = get_uint(s, e, "valueTwo", fpath, INT64_MAX, &a->value_two)) < 0)
                        return r;
                snprintf(fpath, sizeof(fpath), "%s.op", apath);
                r = get_str(s, e, "op", fpath, true, &op);
                if (r < 0)
                        return r;
                for (size_t k = 0; k < ARRAY_SIZE(ops); k++)
                        if (strcmp(ops[k].name, op) == 0) {
                                a->op = ops[k].op;
                                found = true;
                        }
                if (!found)
                        return fail(s, fpath, "unknown operator `%s`", op);
                rule->n_args++;
        }
        return 0;
}

static int
cap_number(const char *name)
{
        char lower[64];
        cap_value_t v;
        size_t i;

        if (strlen(name) >= sizeof(lower))
                return -EINVAL;
        for (i = 0; name[i]; i++)
                lower[i] = (char) tolower((unsigned char) name[i]);
        lower[i] = 0;
        if (strncmp(lower, "cap_", 4) != 0 || cap_from_name(lower, &v) < 0 || v < 0 || v > 63)
                return -EINVAL;
        return (int) v;
}

/* "4.8" -> major, minor */
static bool
parse_kernel_version(const char *v, unsigned *major, unsigned *minor)
{
        return v && sscanf(v, "%u.%u", major, minor) == 2;
}

/* includes (want = true) or excludes (want = false): does the condition
 * hold? includes holds when every cap is held, the host arch is listed and
 * the kernel is new enough; excludes holds when any one of those does, as
 * Docker resolves them. A capability name unknown to libcap is not held. */
static int
condition(struct pstate *s, json_t *entry, const char *key, const char *path, bool *ret_holds)
{
        char cpath[128];
        json_t *obj = json_object_get(entry, key), *caps, *arch_list;
        const char *min_kernel;
        bool includes = strcmp(key, "includes") == 0;
        bool any = false, all = true;
        int r;

        *ret_holds = false;
        if (!obj || json_is_null(obj))
                return 0;
        snprintf(cpath, sizeof(cpath), "%s.%s", path, key);
        if (!json_is_object(obj))
                return fail(s, cpath, "expected an object");
        snprintf(cpath, sizeof(cpath), "%s.%s.caps", path, key);
        if ((r = get_array(s, obj, "caps", cpath, &caps)) < 0)
                return r;
        for (size_t i = 0; i < json_array_size(caps); i++) {
                const char *name;
                int cap;

                if ((r = array_str(s, caps, i, cpath, &name)) < 0)
                        return r;
                cap = cap_number(name);
                bool held = cap >= 0 && (s->caps & (UINT64_C(1) << cap));
                any |= held;
                all &= held;
        }
        snprintf(cpath, sizeof(cpath), "%s.%s.arches", path, key);
        if ((r = get_array(s, obj, "arches", cpath, &arch_list)) < 0)
                return r;
        if (json_array_size(arch_list) > 0) {
                bool listed = false;

                for (size_t i = 0; i < json_array_size(arch_list); i++) {
                        const char *name;
                        bool known = false;

                        if ((r = array_str(s, arch_list, i, cpath, &name)) < 0)
                                return r;
                        for (size_t k = 0; k < ARRAY_SIZE(arches); k++)
                                if (strcmp(arches[k].name, name) == 0 || strcmp(arches[k].go, name) == 0 ||
                                    (arches[k].token == SCMP_ARCH_X86 && strcmp(name, "x86") == 0)) {
                                        known = true;
                                        listed |= arches[k].token == s->arch;
                                }
                        if (!known)
                                return fail(s, cpath, "unknown architecture `%s`", name);
                }
                any |= listed;
                all &= listed;
        }
        snprintf(cpath, sizeof(cpath), "%s.%s.minKernel", path, key);
        if ((r = get_str(s, obj, "minKernel", cpath, false, &min_kernel)) < 0)
                return r;
        if (min_kernel) {
                unsigned major, minor;
                bool new_enough;

                if (!parse_kernel_version(min_kernel, &major, &minor))
                        return fail(s, cpath, "expected a kernel version like `4.8`, got `%s`", min_kernel);
                new_enough = s->kmajor > major || (s->kmajor == major && s->kminor >= minor);
                any |= new_enough;
                all &= new_enough;
        }
        *ret_holds = includes ? all : any;
        return 0;
}

static int
add_name(struct pstate *s, struct seccomp_rule *rule, const char *name)
{
        int nr = seccomp_syscall_resolve_name(name);
        char **names;
        int *nrs;

        if (nr == __NR_SCMP_ERROR) {
                /* Unknown to this libseccomp: a newer syscall. Docker skips
                 * these so one profile serves old and new hosts. */
                s->p->n_unknown_names++;
                return 0;
        }
        names = realloc(rule->names, (rule->n_names + 2) * sizeof(*names));
        if (!names)
                return oom(s);
        rule->names = names;
        nrs = realloc(rule->nrs, (rule->n_names + 1) * sizeof(*nrs));
        if (!nrs)
                return oom(s);
        rule->nrs = nrs;
        names[rule->n_names] = strdup(name);
        if (!names[rule->n_names])
                return oom(s);
        nrs[rule->n_names++] = nr;
        names[rule->n_names] = NULL;
        return 0;
}

static void
rule_clear(struct seccomp_rule *rule)
{
        for (size_t i = 0; i < rule->n_names; i++)
                free(rule->names[i]);
        free(rule->names);
        free(rule->nrs);
        free(rule->args);
        *rule = (struct seccomp_rule){ 0 };
}

static int
parse_syscall(struct pstate *s, json_t *entry, size_t index)
{
        _cleanup_(rule_clear) struct seccomp_rule rule = { 0 };
        char path[64], fpath[96], epath[96];
        const char *name;
        json_t *names;
        bool inc = true, exc = false;
        int r;

        snprintf(path, sizeof(path), "syscalls[%zu]", index);
        if (!json_is_object(entry))
                return fail(s, path, "expected an object");
        if ((r = docker_only(s, entry, "name", path)) < 0 || (r = docker_only(s, entry, "includes", path)) < 0 ||
            (r = docker_only(s, entry, "excludes", path)) < 0)
                return r;
        snprintf(fpath, sizeof(fpath), "%s.action", path);
        snprintf(epath, sizeof(epath), "%s.errnoRet", path);
        if ((r = parse_action(s, entry, "action", "errnoRet", fpath, epath, &rule.action)) < 0)
                return r;
        if ((r = parse_args(s, entry, path, &rule)) < 0)
                return r;
        snprintf(fpath, sizeof(fpath), "%s.name", path);
        if ((r = get_str(s, entry, "name", fpath, false, &name)) < 0)
                return r;
        snprintf(fpath, sizeof(fpath), "%s.names", path);
        if ((r = get_array(s, entry, "names", fpath, &names)) < 0)
                return r;
        if (name && names)
                return fail(s, path, "give either `name` or `names`, not both");
        if (!name && json_array_size(names) == 0)
                return fail(s, fpath, "missing or empty");
        /* No includes: the entry applies (condition() says false for absent). */
        if (json_object_get(entry, "includes") && (r = condition(s, entry, "includes", path, &inc)) < 0)
                return r;
        if ((r = condition(s, entry, "excludes", path, &exc)) < 0)
                return r;
        for (size_t i = 0; i < json_array_size(names); i++) {
                const char *n;

                if ((r = array_str(s, names, i, fpath, &n)) < 0 || (r = add_name(s, &rule, n)) < 0)
                        return r;
        }
        if (name && (r = add_name(s, &rule, name)) < 0)
                return r;
        if (!inc || exc) {
                s->p->n_skipped_rules++;
                return 0;
        }
        if (rule.n_names == 0)
                return 0;
        s->p->rules[s->p->n_rules++] = rule;
        rule = (struct seccomp_rule){ 0 };
        return 0;
}

static int
parse_profile(struct pstate *s, json_t *root)
{
        json_t *list, *map, *syscalls, *e;
        const char *listener;
        size_t i;
        int r;

        if (!json_is_object(root))
                return fail(s, "", "expected an object");
        if ((r = docker_only(s, root, "archMap", "")) < 0)
                return r;
        r = parse_action(s, root, "defaultAction", "defaultErrnoRet", "defaultAction", "defaultErrnoRet",
                         &s->p->default_action);
        if (r < 0)
                return r;
        if ((r = get_array(s, root, "architectures", "architectures", &list)) < 0 ||
            (r = get_array(s, root, "archMap", "archMap", &map)) < 0)
                return r;
        if (json_array_size(list) > 0 && json_array_size(map) > 0)
                return fail(s, "", "give either `architectures` or `archMap`, not both");
        if ((r = parse_arch_list(s, list, "architectures", true)) < 0 || (r = parse_arch_map(s, map)) < 0)
                return r;
        if ((r = parse_flags(s, root)) < 0)
                return r;
        if ((r = get_str(s, root, "listenerPath", "listenerPath", false, &listener)) < 0)
                return r;
        if (listener && listener[0])
                return fail(s, "listenerPath", "not supported (no seccomp agent)");
        if ((r = get_array(s, root, "syscalls", "syscalls", &syscalls)) < 0)
                return r;
        s->p->rules = calloc(json_array_size(syscalls) + 1, sizeof(*s->p->rules));
        if (!s->p->rules)
                return oom(s);
        json_array_foreach(syscalls, i, e) {
                r = parse_syscall(s, e, i);
                if (r < 0)
                        return r;
        }
        return 0;
}

void
seccomp_profile_free(struct seccomp_profile *p)
{
        if (!p)
                return;
        for (size_t i = 0; i < p->n_rules; i++)
                rule_clear(&p->rules[i]);
        free(p->rules);
        free(p->arches);
        free(p);
}

int
seccomp_profile_from_json(json_t *obj, enum seccomp_profile_format format, const char *origin, const char *root,
                          const struct seccomp_profile_env *env, struct seccomp_profile **ret,
                          struct ctr_error **err)
{
        _cleanup_(seccomp_profile_freep) struct seccomp_profile *p = calloc(1, sizeof(*p));
        struct pstate s = {
                .format = format,
                .origin = origin ? origin : "seccomp profile",
                .root = root ? root : "",
                .caps = env ? env->caps : UINT64_MAX,
                .arch = env && env->arch ? env->arch : seccomp_arch_native(),
                .p = p,
                .err = err,
        };
        const char *release = env ? env->kernel_release : NULL;
        struct utsname u;
        int r;

        if (!p)
                return oom(&s);
        if (!release && uname(&u) == 0)
                release = u.release;
        if (!parse_kernel_version(release, &s.kmajor, &s.kminor))
                s.kmajor = s.kminor = 0;
        r = parse_profile(&s, obj);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

int
seccomp_profile_parse(const char *text, size_t len, enum seccomp_profile_format format, const char *origin,
                      const char *root, const struct seccomp_profile_env *env, struct seccomp_profile **ret,
                      struct ctr_error **err)
{
        json_error_t jerr;
        json_t *obj;
        int r;

        obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!obj)
                return ctr_error_msg(err, EINVAL, "%s: line %d, column %d: %s", origin ? origin : "seccomp profile",
                                     jerr.line, jerr.column, jerr.text);
        r = seccomp_profile_from_json(obj, format, origin, root, env, ret, err);
        json_decref(obj);
        return r;
}

/* ---- back to JSON (OCI form) ---- */

/* obj[key] = the action's name, obj[errno_key] = its errno/trace value. */
static int
set_action(json_t *obj, const char *key, const char *errno_key, uint32_t action)
{
        uint32_t base = action & 0xffff0000U;

        for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
                if (actions[i].action != base || strcmp(actions[i].name, "SCMP_ACT_KILL") == 0)
                        continue;
                if (json_object_set_new(obj, key, json_string(actions[i].name)) < 0)
                        return -ENOMEM;
                if ((base == SCMP_ACT_ERRNO(0) || base == SCMP_ACT_TRACE(0)) &&
                    json_object_set_new(obj, errno_key, json_integer(action & 0xffffU)) < 0)
                        return -ENOMEM;
                return 0;
        }
        return -EINVAL;
}

static const char *
op_name(int op)
{
        for (size_t k = 0; k < ARRAY_SIZE(ops); k++)
                if (ops[k].op == op)
                        return ops[k].name;
        return NULL;
}

static json_t *
rule_to_json(const struct seccomp_rule *rule)
{
        json_t *e = json_object(), *names = json_array(), *args = rule->n_args ? json_array() : NULL;
        int r = 0;

        /* The *_new setters take the reference even when they fail. */
        if (!e || json_object_set_new(e, "names", names) < 0 || (rule->n_args && json_object_set_new(e, "args", args) < 0))
                goto fail;
        for (size_t i = 0; i < rule->n_names && r == 0; i++)
                r = json_array_append_new(names, json_string(rule->names[i]));
        for (size_t i = 0; i < rule->n_args && r == 0; i++) {
                const struct seccomp_arg *a = &rule->args[i];

                r = json_array_append_new(args, json_pack("{sI sI sI ss}", "index", (json_int_t) a->index, "value",
                                                          (json_int_t) a->value, "valueTwo",
                                                          (json_int_t) a->value_two, "op", op_name(a->op)));
        }
        if (r < 0 || set_action(e, "action", "errnoRet", rule->action) < 0)
                goto fail;
        return e;
fail:
        json_decref(e);
        return NULL;
}

json_t *
seccomp_profile_to_oci_json(const struct seccomp_profile *p)
{
        json_t *o = json_object(), *list = json_array(), *flags = p->flags ? json_array() : NULL,
               *syscalls = json_array();
        int r = 0;

        if (!o || json_object_set_new(o, "architectures", list) < 0 ||
            (p->flags && json_object_set_new(o, "flags", flags) < 0) ||
            json_object_set_new(o, "syscalls", syscalls) < 0 ||
            set_action(o, "defaultAction", "defaultErrnoRet", p->default_action) < 0)
                goto fail;
        for (size_t i = 0; i < p->n_arches && r == 0; i++)
                r = json_array_append_new(list, json_string(arch_name(p->arches[i])));
        for (size_t i = 0; i < ARRAY_SIZE(filter_flags) && r == 0; i++)
                if (p->flags & filter_flags[i].flag)
                        r = json_array_append_new(flags, json_string(filter_flags[i].name));
        for (size_t i = 0; i < p->n_rules && r == 0; i++)
                r = json_array_append_new(syscalls, rule_to_json(&p->rules[i]));
        if (r < 0)
                goto fail;
        return o;
fail:
        json_decref(o);
        return NULL;
}
