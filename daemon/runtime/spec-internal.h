/* The parsed OCI runtime spec as the runtime's own files see it. Private to
 * daemon/runtime/ (and its unit test): everyone else uses runtime.h. All
 * strings are owned by the spec; arrays of strings are NULL-terminated. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "daemon/cgroup/resources.h"
#include "daemon/runtime/runtime.h"

struct runtime_mount {
        char *destination;      /* absolute, inside the container */
        char *type;             /* NULL for a bind mount */
        char *source;
        unsigned long flags;    /* MS_* from the options, without MS_BIND/MS_REC */
        unsigned long clear;    /* MS_* flags explicitly cleared (rw, suid, ...) */
        unsigned long propagation; /* MS_PRIVATE etc., optionally | MS_REC */
        char *data;             /* the options that are not flags, comma-joined */
        bool bind;
        bool recursive;         /* rbind */
        bool idmap;             /* "idmap": with a user namespace, mapped through it */
};

struct runtime_rlimit {
        int resource;
        uint64_t soft, hard;
};

/* One line of linux.uidMappings / gidMappings: container ids
 * [container_id, container_id + size) are host ids from host_id. */
struct runtime_id_map {
        uint32_t container_id, host_id, size;
};
#define RUNTIME_ID_MAPS_MAX 5 /* what every kernel accepts (user_namespaces(7)) */

struct runtime_namespace {
        int flag; /* CLONE_NEW* */
        char *path; /* join this one (setns) instead of creating it, or NULL */
};

enum {
        RUNTIME_CAP_BOUNDING,
        RUNTIME_CAP_EFFECTIVE,
        RUNTIME_CAP_PERMITTED,
        RUNTIME_CAP_INHERITABLE,
        RUNTIME_CAP_AMBIENT,
        _RUNTIME_CAP_SET_MAX,
};

struct runtime_spec {
        char *bundle; /* directory of config.json, absolute */

        char **args;
        char **env;
        char *cwd;
        uid_t uid;
        gid_t gid;
        gid_t *additional_gids;
        size_t n_additional_gids;
        bool terminal;
        unsigned console_rows, console_cols; /* process.consoleSize, 0 if absent */
        bool no_new_privileges;
        struct runtime_rlimit *rlimits;
        size_t n_rlimits;
        bool has_capabilities; /* false: process.capabilities absent, keep all */
        uint64_t caps[_RUNTIME_CAP_SET_MAX]; /* bit n = capability n */

        char *root_path; /* absolute */
        bool root_readonly;
        char *hostname;

        struct runtime_mount *mounts;
        size_t n_mounts;

        char *overlay_lowerdir, *overlay_upperdir, *overlay_workdir;

        struct runtime_namespace namespaces[8];
        size_t n_namespaces;
        /* With a new user namespace: written by the parent (userns.c). */
        struct runtime_id_map uid_maps[RUNTIME_ID_MAPS_MAX], gid_maps[RUNTIME_ID_MAPS_MAX];
        size_t n_uid_maps, n_gid_maps;
        char *cgroups_path;
        struct cgroup_limits limits; /* linux.resources; applied by runtime_create() */
        struct cgroup_device_rule *devices; /* linux.resources.devices, in order; the same */
        size_t n_devices;
        char **masked_paths;
        char **readonly_paths;
        char *seccomp;           /* linux.seccomp as compact JSON, sorted keys; NULL: none */
        char *seccomp_cache_dir; /* annotation org.containerctl.seccomp.cache, or NULL */
};

/* Parses a config.json text; bundle is the directory relative paths refer
 * to. Exposed for the unit test; runtime_spec_load() reads the file. */
int runtime_spec_parse(const char *text, const char *bundle, struct runtime_spec **ret,
                       struct ctr_error **err);

/* Fills m->flags/clear/propagation/data/bind/recursive from the OCI mount
 * options. Unknown options become data ("mode=755", "size=64k"). */
int runtime_mount_options_parse(struct runtime_mount *m, char *const *options,
                                struct ctr_error **err);

/* Flags (CLONE_NEW*) of the namespaces the spec creates (not joins). */
int runtime_spec_new_ns_flags(const struct runtime_spec *spec);
/* The namespace entry for flag, or NULL. */
const struct runtime_namespace *runtime_spec_namespace(const struct runtime_spec *spec, int flag);

/* Capability name ("CAP_SYS_ADMIN") to number, or -EINVAL. */
int runtime_cap_from_name(const char *name);
/* rlimit name ("RLIMIT_NOFILE") to resource, or -EINVAL. */
int runtime_rlimit_from_name(const char *name);

/* seccomp-spec.c: keeps linux.seccomp (root is the config.json object,
 * linux_obj its "linux" or NULL) and the cache annotation in s. */
struct json_t;
int runtime_spec_parse_seccomp(struct json_t *root, struct json_t *linux_obj, struct runtime_spec *s,
                               struct ctr_error **err);
/* spec-devices.c: linux.resources.devices (res is linux.resources) into
 * s->devices, checking each rule ("linux.resources.devices[2].major"). */
int runtime_spec_parse_devices(struct json_t *res, struct runtime_spec *s, struct ctr_error **err);
/* The BPF program for spec->seccomp (*ret NULL without one), from the
 * cache or compiled. Parent side, before clone3. */
struct seccomp_bpf;
int runtime_seccomp_load(const struct runtime_spec *spec, struct seccomp_bpf **ret, struct ctr_error **err);
