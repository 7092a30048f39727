/* container.update, container.pause, container.resume, container.stats:
 * typed parameters in, daemon/container-resources.c does the rest. Also
 * the "limits" object that container.create shares. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "daemon/api/api-resources.h"
#include "daemon/api/api.h"
#include "daemon/container.h"

/* Integer fields: key, field, minimum, whether -1 means unlimited. */
struct limit_param {
        const char *key;
        size_t offset;
        long long min, max;
        bool unlimited;
};
#define LP(k, f, min, max, u) { k, offsetof(struct cgroup_limits, f), min, max, u }
static const struct limit_param limit_params[] = {
        LP("memory", memory_max, 1, INT64_MAX, true),
        LP("memory_swap", memory_swap, 1, INT64_MAX, true),
        LP("memory_reservation", memory_low, 1, INT64_MAX, true),
        LP("cpu_quota", cpu_quota_us, 1, INT64_MAX / 2, true),
        LP("cpu_period", cpu_period_us, 1, 1000000, false),
        LP("cpu_shares", cpu_shares, 2, 262144, false),
        /* Docker: 0 and -1 are both unlimited. */
        LP("pids_limit", pids_max, 0, INT64_MAX / 2, true),
        LP("blkio_weight", io_weight, 10, 1000, false),
};

/* Answers invalid_params; *ret is cleared. */
#define limits_invalid(req, ret, ...)                                        \
        (cgroup_limits_clear(ret), request_errorf(req, PROTO_ERR_INVALID_PARAMS, __VA_ARGS__), \
         -EINVAL)

int
api_param_limits(struct request *req, json_t *params, const char *key, bool *ret_present,
                 struct cgroup_limits *ret)
{
        json_t *o = json_object_get(params, key), *v;
        const char *k;
        double cpus = 0;

        cgroup_limits_init(ret);
        *ret_present = false;
        if (!o || json_is_null(o))
                return 0;
        if (!json_is_object(o))
                return limits_invalid(req, ret, "parameter '%s' must be an object", key);
        json_object_foreach (o, k, v) {
                const struct limit_param *lp = NULL;
                for (size_t i = 0; i < ARRAY_SIZE(limit_params); i++)
                        if (strcmp(limit_params[i].key, k) == 0)
                                lp = &limit_params[i];
                if (lp) {
                        long long n = json_is_integer(v) ? json_integer_value(v) : 0;
                        int64_t *f = (int64_t *) ((char *) ret + lp->offset);
                        if (!json_is_integer(v) || ((n < lp->min || n > lp->max) &&
                                                    !(lp->unlimited && n == -1)))
                                return limits_invalid(req, ret,
                                                      "limit '%s' must be an integer in range "
                                                      "(sizes in bytes, -1 for unlimited where "
                                                      "allowed)",
                                                      k);
                        *f = n == -1 || (n == 0 && lp->offset == offsetof(struct cgroup_limits,
                                                                           pids_max))
                                     ? CGROUP_UNLIMITED
                                     : n;
                } else if (strcmp(k, "cpus") == 0) {
                        if (!json_is_number(v) || !(json_number_value(v) > 0) ||
                            !isfinite(json_number_value(v)) || json_number_value(v) > 4096)
                                return limits_invalid(req, ret,
                                                      "limit '%s' must be a number of CPUs above 0",
                                                      k);
                        cpus = json_number_value(v);
                } else if (strcmp(k, "cpuset_cpus") == 0 || strcmp(k, "cpuset_mems") == 0) {
                        char **f = k[7] == 'c' ? &ret->cpuset_cpus : &ret->cpuset_mems;
                        if (!json_is_string(v) || !*json_string_value(v))
                                return limits_invalid(req, ret, "limit '%s' must be a non-empty string",
                                                      k);
                        free(*f);
                        *f = strdup(json_string_value(v));
                        if (!*f)
                                return limits_invalid(req, ret, "out of memory (%s)", k);
                } else {
                        return limits_invalid(req, ret, "unknown limit '%s'", k);
                }
        }
        if (cpus > 0) {
                if (ret->cpu_quota_us != CGROUP_UNSET)
                        return limits_invalid(req, ret,
                                              "limits 'cpus' and 'cpu_quota' both set the quota: "
                                              "give one (%s)",
                                              key);
                /* Docker's --cpus: the quota of the period (100 ms unless given). */
                if (ret->cpu_period_us == CGROUP_UNSET)
                        ret->cpu_period_us = 100000;
                ret->cpu_quota_us = (int64_t) (cpus * (double) ret->cpu_period_us + 0.5);
                if (ret->cpu_quota_us < 1000)
                        ret->cpu_quota_us = 1000; /* the kernel's minimum */
        }
        *ret_present = true;
        return 0;
}

static void
strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

static int
param_ref(struct request *req, json_t *params, const char **ret)
{
        return api_param_string(req, params, "container", true, ret);
}

void
api_container_update(struct request *req, json_t *params, void *userdata)
{
        static const char *const keys[] = { "container", "limits", NULL };
        struct api_context *ctx = userdata;
        struct cgroup_limits l;
        const char *ref;
        bool present;

        if (api_params_check_keys(req, params, keys) < 0 || param_ref(req, params, &ref) < 0 ||
            api_param_limits(req, params, "limits", &present, &l) < 0)
                return;
        if (!present) {
                request_error(req, PROTO_ERR_INVALID_PARAMS, "parameter 'limits' is required",
                              NULL);
                return;
        }
        container_update(ctx->containers, ref, &l, req);
        cgroup_limits_clear(&l);
}

static void
pause_or_resume(struct request *req, json_t *params, void *userdata, bool pause)
{
        static const char *const keys[] = { "container", NULL };
        struct api_context *ctx = userdata;
        const char *ref;

        if (api_params_check_keys(req, params, keys) < 0 || param_ref(req, params, &ref) < 0)
                return;
        container_pause(ctx->containers, ref, pause, req);
}

void
api_container_pause(struct request *req, json_t *params, void *userdata)
{
        pause_or_resume(req, params, userdata, true);
}

void
api_container_resume(struct request *req, json_t *params, void *userdata)
{
        pause_or_resume(req, params, userdata, false);
}

void
api_container_stats(struct request *req, json_t *params, void *userdata)
{
        static const char *const keys[] = { "containers", "all", "stream", "interval_ms", NULL };
        struct api_context *ctx = userdata;
        struct container_stats_params p = {
                .owner = request_peer_role(req) == AUTHZ_ROLE_ADMIN ? (uid_t) -1
                                                                    : request_peer_uid(req),
        };
        long long interval = 1000;
        bool present;

        if (api_params_check_keys(req, params, keys) < 0 ||
            api_param_strv(req, params, "containers", &p.refs) < 0 ||
            api_param_bool(req, params, "all", &p.all) < 0 ||
            api_param_bool(req, params, "stream", &p.stream) < 0 ||
            api_param_int(req, params, "interval_ms", 100, 60000, &present, &interval) < 0) {
                strv_free(p.refs);
                return;
        }
        if (p.refs && !p.refs[0]) {
                /* [] is "every container", as absent. */
                strv_free(p.refs);
                p.refs = NULL;
        }
        p.interval_ms = (int) interval;
        container_stats(ctx->containers, &p, req);
        strv_free(p.refs);
}
