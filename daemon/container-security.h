/* The security part of a container's configuration (issue 7): capabilities
 * to add and drop, --privileged, --read-only with --tmpfs mounts, the
 * seccomp profile (the daemon's default, none, or the client's own) and
 * no_new_privs. Validated at create, persisted in container.json, shown by
 * inspect, and turned into config.json fields for the runtime. The daemon's
 * defaults (the default profile, the compiled-program cache) are loaded
 * once at start. Loop thread only; spawns nothing. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/macros.h"

enum container_seccomp_mode {
        CONTAINER_SECCOMP_DEFAULT,    /* the daemon's seccomp_profile */
        CONTAINER_SECCOMP_UNCONFINED, /* no filter */
        CONTAINER_SECCOMP_CUSTOM,     /* the profile text the client sent */
};

struct container_tmpfs {
        char *destination; /* absolute, no ".." */
        char *options;     /* "size=64m,mode=1777" as given, or NULL */
};

struct container_security {
        char **cap_add;  /* "CAP_NET_ADMIN" or "ALL", NULL-terminated; may be NULL */
        char **cap_drop; /* the same */
        bool privileged;
        bool read_only;  /* root.readonly */
        /* --security-opt no-new-privileges=false. Inverted so that a zeroed
         * struct is the secure default. */
        bool allow_new_privileges;
        struct container_tmpfs *tmpfs;
        size_t n_tmpfs;
        enum container_seccomp_mode seccomp;
        char *seccomp_name;    /* CUSTOM: where the client read it (for inspect) */
        char *seccomp_profile; /* CUSTOM: the Docker/OCI JSON profile text */
};

/* The defaults (all zero): no capability changes, not privileged,
 * no_new_privs on, the daemon's seccomp profile. */
void container_security_init(struct container_security *s);
/* Frees the fields and re-initialises s. */
void container_security_clear(struct container_security *s);
/* Deep copy into *dst (initialised by this call). -ENOMEM. */
int container_security_copy(const struct container_security *src, struct container_security *dst);

/* container.create's "security" object (PROTOCOL.md *Security*; j may be
 * NULL: the defaults). Capability names are checked against libcap, tmpfs
 * paths and options for shape, a custom seccomp profile is parsed in full:
 * *err names the field, or the profile's line/column or JSON path. On
 * failure *ret is left initialised and empty. */
int container_security_from_params(json_t *j, struct container_security *ret, struct ctr_error **err);

/* container.json's "security" object and back; a record without one (from
 * before issue 7) gets the defaults. */
json_t *container_security_to_json(const struct container_security *s);
int container_security_from_json(json_t *j, struct container_security *ret);

/* The capabilities the container gets (bit n = capability n): the default
 * set, or every capability with privileged, then drops, then adds. */
uint64_t container_security_caps(const struct container_security *s);

/* ---- the daemon's defaults ---- */

struct container_security_defaults;

/* Loads and checks the daemon's default seccomp profile (profile_path, or
 * "unconfined" for none) and empties the compiled-program cache
 * <run_root>/seccomp (made 0700). A profile that is missing or does not
 * parse fails, naming the file and the line or field; except that with
 * builtin_fallback (profile_path is the built-in default location) a
 * missing file means the copy of etc/seccomp.json built into the daemon. */
int container_security_defaults_new(const char *profile_path, bool builtin_fallback, const char *run_root,
                                    struct container_security_defaults **ret, struct ctr_error **err);
void container_security_defaults_free(struct container_security_defaults *d);
DEFINE_FREEP(struct container_security_defaults, container_security_defaults_free)

struct container_manager;
struct container;
/* Borrowed: d must outlive m (main frees it after the manager). Without
 * it, "default" containers run without a seccomp filter. */
void container_manager_set_security(struct container_manager *m, struct container_security_defaults *d);

/* system.info's "security": the default profile, libseccomp's version,
 * the default capabilities (and why not MKNOD), no_new_privs, masked and
 * read-only paths, the device policy (container-devices.c), how many
 * containers are privileged. */
json_t *container_security_info_json(struct container_manager *m);
/* inspect's "security": the settings in force for c. */
json_t *container_security_inspect_json(const struct container *c);

/* container-spec.c: fills config.json (spec, borrowed) for c running as
 * uid: process.capabilities, process.noNewPrivileges, root.readonly,
 * linux.seccomp (converted to OCI form with includes/excludes resolved
 * against the caps it really gets) and its cache annotation, the tmpfs
 * mounts, masked and read-only paths, and for privileged every host
 * device, a writable /sys and no masks. */
int container_security_apply_spec(const struct container *c, json_t *spec, uid_t uid,
                                  struct ctr_error **err);
