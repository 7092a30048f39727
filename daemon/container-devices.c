/* The device rules of a container (issue 7, "device access limited"):
 * Docker's default (moby oci/devices.go DefaultDevices + the
 * allowed-device list of oci/defaults.go), so an image that works under
 * Docker finds the same devices usable. Only data: the runtime enforces
 * it (daemon/cgroup/devices.c). */
#include "daemon/container-devices.h"

#include <stddef.h>

#include "common/macros.h"

static const struct {
        char type;
        int major, minor; /* -1: any */
        const char *access;
} default_allowed[] = {
        /* mknod of any device: a container may make nodes (CAP_MKNOD),
         * opening them is what the rules below restrict. */
        { 'c', -1, -1, "m" },
        { 'b', -1, -1, "m" },
        { 'c', 1, 3, "rwm" },    /* null */
        { 'c', 1, 5, "rwm" },    /* zero */
        { 'c', 1, 7, "rwm" },    /* full */
        { 'c', 1, 8, "rwm" },    /* random */
        { 'c', 1, 9, "rwm" },    /* urandom */
        { 'c', 5, 0, "rwm" },    /* tty */
        { 'c', 5, 1, "rwm" },    /* console */
        { 'c', 5, 2, "rwm" },    /* ptmx */
        { 'c', 136, -1, "rwm" }, /* the pts */
        { 'c', 10, 200, "rwm" }, /* net/tun */
};

static json_t *
rule_json(bool allow, char type, int major, int minor, const char *access)
{
        char t[2] = { type, 0 };

        return json_pack("{s:b,s:s,s:I,s:I,s:s}", "allow", allow, "type", t, "major", (json_int_t) major, "minor",
                         (json_int_t) minor, "access", access);
}

json_t *
container_spec_devices_json(bool privileged)
{
        json_t *a = json_array();

        if (!a)
                return NULL;
        /* The first rule covers every device: the cgroup's list starts
         * from it (v1 "a"), not from its parent's. */
        if (json_array_append_new(a, rule_json(privileged, 'a', -1, -1, "rwm")) < 0)
                goto fail;
        for (size_t i = 0; !privileged && i < ARRAY_SIZE(default_allowed); i++)
                if (json_array_append_new(a, rule_json(true, default_allowed[i].type, default_allowed[i].major,
                                                       default_allowed[i].minor, default_allowed[i].access)) < 0)
                        goto fail;
        return a;
fail:
        json_decref(a);
        return NULL;
}

const char *
container_devices_policy(bool privileged)
{
        if (privileged)
                return "every device (--privileged)";
        return "device cgroup (v1 devices controller and/or a cgroup2 BPF device program): mknod of any "
               "device allowed, opening denied except null, zero, full, random, urandom, tty, console, "
               "ptmx, pts and net/tun";
}
