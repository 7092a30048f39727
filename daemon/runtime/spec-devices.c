/* The runtime spec's side of device access: linux.resources.devices
 * checked rule by rule into struct cgroup_device_rule, which
 * runtime_create() hands to cgroup_devices_apply(). Parsing only (the
 * spec parser's unit test links no libcgroup.a). Runs in the monitor. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/runtime/spec-internal.h"

/* major/minor: absent, null or -1 is any device ("*"). */
static int
get_number(json_t *rule, const char *key, size_t i, int64_t max, int64_t *ret, struct ctr_error **err)
{
        json_t *v = json_object_get(rule, key);
        json_int_t n;

        *ret = CGROUP_DEV_ANY;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_integer(v))
                return ctr_error_msg(err, EINVAL, "config.json: linux.resources.devices[%zu].%s: expected an integer", i,
                                     key);
        n = json_integer_value(v);
        if (n < -1 || n > max)
                return ctr_error_msg(err, EINVAL,
                                     "config.json: linux.resources.devices[%zu].%s: %lld is out of range (0 to %lld, "
                                     "or -1 for any)",
                                     i, key, (long long) n, (long long) max);
        *ret = n;
        return 0;
}

static int
parse_rule(json_t *rule, size_t i, struct cgroup_device_rule *r, struct ctr_error **err)
{
        json_t *allow = json_object_get(rule, "allow"), *type = json_object_get(rule, "type"),
               *access = json_object_get(rule, "access");
        const char *t;
        int k;

        if (!json_is_object(rule))
                return ctr_error_msg(err, EINVAL, "config.json: linux.resources.devices[%zu]: expected an object", i);
        if (!json_is_boolean(allow))
                return ctr_error_msg(err, EINVAL, "config.json: linux.resources.devices[%zu].allow: expected true or false",
                                     i);
        r->allow = json_is_true(allow);
        /* The OCI defaults: type "a", every access. */
        r->type = 'a';
        if (type && !json_is_null(type)) {
                t = json_string_value(type);
                if (!t || strlen(t) != 1 || !strchr("acb", t[0]))
                        return ctr_error_msg(err, EINVAL,
                                             "config.json: linux.resources.devices[%zu].type: expected \"a\", \"c\" or \"b\"", i);
                r->type = t[0];
        }
        r->access = CGROUP_DEV_RWM;
        if (access && !json_is_null(access) &&
            (!json_is_string(access) || cgroup_device_access_parse(json_string_value(access), &r->access) < 0))
                return ctr_error_msg(err, EINVAL,
                                     "config.json: linux.resources.devices[%zu].access: expected some of r, w and m, "
                                     "each once",
                                     i);
        k = get_number(rule, "major", i, CGROUP_DEV_MAJOR_MAX, &r->major, err);
        if (k < 0)
                return k;
        return get_number(rule, "minor", i, CGROUP_DEV_MINOR_MAX, &r->minor, err);
}

int
runtime_spec_parse_devices(json_t *res, struct runtime_spec *s, struct ctr_error **err)
{
        json_t *arr = res ? json_object_get(res, "devices") : NULL, *e;
        size_t i;
        int r;

        if (!arr || json_is_null(arr))
                return 0;
        if (!json_is_array(arr))
                return ctr_error_msg(err, EINVAL, "config.json: linux.resources.devices: expected an array");
        if (json_array_size(arr) > CGROUP_DEV_RULES_MAX)
                return ctr_error_msg(err, EINVAL, "config.json: linux.resources.devices: more than %d rules",
                                     CGROUP_DEV_RULES_MAX);
        if (json_array_size(arr) == 0)
                return 0;
        s->devices = calloc(json_array_size(arr), sizeof(*s->devices));
        if (!s->devices)
                return ctr_error_sys(err, ENOMEM, "config.json: linux.resources.devices");
        json_array_foreach(arr, i, e) {
                r = parse_rule(e, i, &s->devices[i], err);
                if (r < 0)
                        return r;
                s->n_devices++;
        }
        return 0;
}
