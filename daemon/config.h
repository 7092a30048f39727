/* containerctld's settings: built-in defaults, the config file
 * (containerctld.conf(5): `key = value` lines, `#` comments) and the
 * precedence rule that command-line flags override the file. No I/O besides
 * reading the file; no libevent. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

#define DAEMON_DEFAULT_SOCKET RUNSTATEDIR "/containerctl/containerctld.sock"
#define DAEMON_DEFAULT_ROOT LOCALSTATEDIR "/lib/containerctl"
#define DAEMON_DEFAULT_RUN_ROOT RUNSTATEDIR "/containerctl"
#define DAEMON_DEFAULT_CONFIG SYSCONFDIR "/containerctl/containerctld.conf"
#define DAEMON_DEFAULT_CGROUP_PARENT "/containerctl"
#define DAEMON_DEFAULT_STOP_TIMEOUT 10
/* Console log rotation defaults (per container: container.create overrides). */
#define DAEMON_DEFAULT_LOG_MAX_SIZE (10 * 1024 * 1024)
#define DAEMON_DEFAULT_LOG_MAX_FILES 3
#define DAEMON_LOG_MAX_FILES_LIMIT 100
/* The default network ("bridge"): its bridge and subnet. */
#define DAEMON_DEFAULT_BRIDGE "ctl0"
#define DAEMON_DEFAULT_SUBNET "10.88.0.0/16"
/* The seccomp profile of containers without --security-opt seccomp=. */
#define DAEMON_DEFAULT_SECCOMP_PROFILE SYSCONFDIR "/containerctl/seccomp.json"

struct daemon_config {
        char *socket_path;
        char *root;
        char *run_root;
        char *cgroup_parent;
        int log_level;    /* LOG_* */
        int stop_timeout; /* seconds, default for container.stop */
        int64_t log_max_size; /* bytes per console log file, 0 = unbounded */
        int log_max_files;    /* console.log plus rotated files, >= 1 */
        char *bridge;         /* the default network's bridge */
        char *subnet;         /* the default network's subnet, "10.88.0.0/16" */
        bool masquerade;      /* outbound NAT for bridge networks */
        char *seccomp_profile; /* a Docker/OCI JSON profile file, or "unconfined" */
        char *subuid_file;     /* --userns auto's ids; NULL: /etc/subuid */
        char *subgid_file;     /* NULL: /etc/subgid */
        char *admin_group;     /* API role admin (daemon/authz.h), "containerctl-admin" */
        char *user_group;      /* API role user, and the socket's group, "containerctl" */
};

/* Fills c with the built-in defaults. -ENOMEM on failure. */
int daemon_config_init(struct daemon_config *c);
void daemon_config_clear(struct daemon_config *c);

/* Applies the settings in text (the contents of filename, used in
 * messages) on top of c. An unknown key, a malformed line or a bad value
 * fails with *err naming "filename:line"; c may then be partly updated. */
int daemon_config_parse(struct daemon_config *c, const char *text, const char *filename,
                        struct ctr_error **err);

/* Reads and parses path. A missing file is fine when !must_exist. */
int daemon_config_load(struct daemon_config *c, const char *path, bool must_exist,
                       struct ctr_error **err);

/* Sets one key ("root", "log_level", ...) from its string value; used by
 * the parser and by command-line flags. -EINVAL for a bad value, -ENOENT
 * for an unknown key; *err says which. */
int daemon_config_set(struct daemon_config *c, const char *key, const char *value,
                      struct ctr_error **err);
