/* The client's own settings: the optional config file ("key = value"
 * lines, '#' comments) and the detach-keys default resolved from flag,
 * environment, user file, system file, built-in. */
#pragma once

#include "client/detach-keys.h"
#include "common/error.h"

#define CLIENT_SYSTEM_CONFIG "/etc/containerctl/containerctl.conf"

/* Looks key up in the config file at path. Returns 1 with *ret (malloc'd,
 * caller frees) set, 0 if the file does not exist or lacks the key, or
 * -errno with *err set (unreadable file, malformed line). */
int client_config_get(const char *path, const char *key, char **ret, struct ctr_error **err);

/* Detach keys from the first source that is set: flag, env (empty means
 * unset), the user file, the system file (either path may be NULL), else
 * DETACH_KEYS_DEFAULT. A bad spec is an error naming its source. */
int client_detach_keys_resolve(const char *flag, const char *env, const char *user_path,
                               const char *system_path, struct detach_keys *ret,
                               struct ctr_error **err);

/* client_detach_keys_resolve() with $CONTAINERCTL_DETACH_KEYS,
 * $XDG_CONFIG_HOME/containerctl/containerctl.conf (else
 * ~/.config/containerctl/containerctl.conf) and CLIENT_SYSTEM_CONFIG. */
int client_detach_keys(const char *flag, struct detach_keys *ret, struct ctr_error **err);
