/* The runtime spec's side of seccomp: config.json linux.seccomp kept as
 * canonical JSON text (its bytes are the cache key), the cache directory
 * annotation, and turning both into the BPF program the child loads.
 * Runs in the monitor (spec load, and runtime_launch before clone3). */
#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "daemon/runtime/seccomp-profile.h"
#include "daemon/runtime/spec-internal.h"

#define CACHE_ANNOTATION "org.containerctl.seccomp.cache"

int
runtime_spec_parse_seccomp(struct json_t *root, struct json_t *linux_obj, struct runtime_spec *s,
                           struct ctr_error **err)
{
        json_t *v = linux_obj ? json_object_get(linux_obj, "seccomp") : NULL;
        json_t *ann = json_object_get(root, "annotations"), *dir;

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_object(v))
                return ctr_error_msg(err, EINVAL, "config.json: linux.seccomp: expected an object");
        /* Sorted keys, compact: the same profile gives the same bytes, so
         * every container with it shares one cache entry. */
        s->seccomp = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
        if (!s->seccomp)
                return ctr_error_sys(err, ENOMEM, "config.json: linux.seccomp");
        dir = json_is_object(ann) ? json_object_get(ann, CACHE_ANNOTATION) : NULL;
        if (!dir || json_is_null(dir))
                return 0;
        if (!json_is_string(dir) || json_string_value(dir)[0] != '/' ||
            strlen(json_string_value(dir)) != json_string_length(dir))
                return ctr_error_msg(err, EINVAL, "config.json: annotations.%s: expected an absolute path",
                                     CACHE_ANNOTATION);
        s->seccomp_cache_dir = strdup(json_string_value(dir));
        if (!s->seccomp_cache_dir)
                return ctr_error_sys(err, ENOMEM, "config.json: annotations");
        return 0;
}

int
runtime_seccomp_load(const struct runtime_spec *spec, struct seccomp_bpf **ret, struct ctr_error **err)
{
        /* linux.seccomp has no includes/excludes (the writer resolved them),
         * so the capabilities only keep cache entries apart. */
        const struct seccomp_profile_env env = {
                .caps = spec->has_capabilities ? spec->caps[RUNTIME_CAP_BOUNDING] : UINT64_MAX,
        };

        *ret = NULL;
        if (!spec->seccomp)
                return 0;
        return seccomp_bpf_load(spec->seccomp_cache_dir, spec->seccomp, strlen(spec->seccomp), "config.json",
                                "linux.seccomp", &env, ret, NULL, err);
}
