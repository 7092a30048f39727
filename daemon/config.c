/* Parses containerctld.conf: `key = value` per line, `#` comments, blank
 * lines. Values are taken verbatim after trimming (no quoting). Every error
 * names the file and line so an operator can fix it without guessing. */
#include "daemon/config.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <syslog.h>

#include "common/fs-util.h"
#include "common/log.h"
#include "daemon/authz.h"
#include "common/parse.h"
#include "daemon/network/network.h"

#define CONFIG_MAX_SIZE (1024 * 1024)

int
daemon_config_init(struct daemon_config *c)
{
        *c = (struct daemon_config){
                .socket_path = strdup(DAEMON_DEFAULT_SOCKET),
                .root = strdup(DAEMON_DEFAULT_ROOT),
                .run_root = strdup(DAEMON_DEFAULT_RUN_ROOT),
                .cgroup_parent = strdup(DAEMON_DEFAULT_CGROUP_PARENT),
                .log_level = LOG_INFO,
                .stop_timeout = DAEMON_DEFAULT_STOP_TIMEOUT,
                .log_max_size = DAEMON_DEFAULT_LOG_MAX_SIZE,
                .log_max_files = DAEMON_DEFAULT_LOG_MAX_FILES,
                .bridge = strdup(DAEMON_DEFAULT_BRIDGE),
                .subnet = strdup(DAEMON_DEFAULT_SUBNET),
                .seccomp_profile = strdup(DAEMON_DEFAULT_SECCOMP_PROFILE),
                .admin_group = strdup(AUTHZ_DEFAULT_ADMIN_GROUP),
                .user_group = strdup(AUTHZ_DEFAULT_USER_GROUP),
        };
        if (!c->socket_path || !c->root || !c->run_root || !c->cgroup_parent || !c->bridge ||
            !c->subnet || !c->seccomp_profile || !c->admin_group || !c->user_group) {
                daemon_config_clear(c);
                return -ENOMEM;
        }
        return 0;
}

void
daemon_config_clear(struct daemon_config *c)
{
        free(c->socket_path);
        free(c->root);
        free(c->run_root);
        free(c->cgroup_parent);
        free(c->bridge);
        free(c->subnet);
        free(c->seccomp_profile);
        c->seccomp_profile = NULL;
        free(c->subuid_file);
        free(c->subgid_file);
        c->subuid_file = c->subgid_file = NULL;
        free(c->admin_group);
        free(c->user_group);
        c->admin_group = c->user_group = NULL;
        c->socket_path = c->root = c->run_root = c->cgroup_parent = c->bridge = c->subnet = NULL;
}

static int
set_string(char **field, const char *key, const char *value, struct ctr_error **err)
{
        char *s = strdup(value);

        if (!s)
                return ctr_error_sys(err, ENOMEM, "%s", key);
        free(*field);
        *field = s;
        return 0;
}

static int
set_path(char **field, const char *key, const char *value, struct ctr_error **err)
{
        char *s;

        if (value[0] != '/')
                return ctr_error_msg(err, EINVAL, "%s must be an absolute path, got '%s'", key,
                                     value);
        s = strdup(value);
        if (!s)
                return ctr_error_sys(err, ENOMEM, "%s", key);
        free(*field);
        *field = s;
        return 0;
}

/* "10485760", "512k", "10m", "1g" (powers of 1024, case-insensitive). */
static int
parse_size(const char *value, int64_t *ret)
{
        char num[32];
        size_t n = strlen(value);
        int64_t v, mult = 1;

        if (n == 0 || n >= sizeof(num))
                return -EINVAL;
        memcpy(num, value, n + 1);
        switch (tolower((unsigned char) num[n - 1])) {
        case 'k':
                mult = 1024;
                break;
        case 'm':
                mult = 1024 * 1024;
                break;
        case 'g':
                mult = 1024 * 1024 * 1024;
                break;
        }
        if (mult > 1)
                num[--n] = '\0';
        if (parse_int_range(num, 0, INT64_MAX / mult, &v) < 0)
                return -EINVAL;
        *ret = v * mult;
        return 0;
}

int
daemon_config_set(struct daemon_config *c, const char *key, const char *value,
                  struct ctr_error **err)
{
        if (strcmp(key, "socket") == 0)
                return set_path(&c->socket_path, key, value, err);
        if (strcmp(key, "root") == 0)
                return set_path(&c->root, key, value, err);
        if (strcmp(key, "run_root") == 0)
                return set_path(&c->run_root, key, value, err);
        if (strcmp(key, "cgroup_parent") == 0) {
                /* Absolute from each hierarchy root; ".." would escape it. */
                if (value[0] != '/' || strstr(value, "..") || strlen(value) > 1024)
                        return ctr_error_msg(err, EINVAL,
                                             "cgroup_parent must be an absolute cgroup path "
                                             "without '..', got '%s'",
                                             value);
                return set_path(&c->cgroup_parent, key, value, err);
        }
        if (strcmp(key, "log_level") == 0) {
                int l = log_level_from_string(value);
                if (l < 0)
                        return ctr_error_msg(err, EINVAL,
                                             "log_level must be one of error, warning, notice, "
                                             "info, debug, got '%s'",
                                             value);
                c->log_level = l;
                return 0;
        }
        if (strcmp(key, "stop_timeout") == 0) {
                int64_t v;
                if (parse_int_range(value, 0, 86400, &v) < 0)
                        return ctr_error_msg(err, EINVAL,
                                             "stop_timeout must be a number of seconds "
                                             "(0-86400), got '%s'",
                                             value);
                c->stop_timeout = (int) v;
                return 0;
        }
        if (strcmp(key, "log_max_size") == 0) {
                int64_t v;
                if (parse_size(value, &v) < 0)
                        return ctr_error_msg(err, EINVAL,
                                             "log_max_size must be a size in bytes with an "
                                             "optional k, m or g suffix (0 = unbounded), got '%s'",
                                             value);
                c->log_max_size = v;
                return 0;
        }
        if (strcmp(key, "log_max_files") == 0) {
                int64_t v;
                if (parse_int_range(value, 1, DAEMON_LOG_MAX_FILES_LIMIT, &v) < 0)
                        return ctr_error_msg(err, EINVAL,
                                             "log_max_files must be a number from 1 to %d, got '%s'",
                                             DAEMON_LOG_MAX_FILES_LIMIT, value);
                c->log_max_files = (int) v;
                return 0;
        }
        if (strcmp(key, "admin_group") == 0 || strcmp(key, "user_group") == 0) {
                /* A group name as useradd(8) takes it; resolved at start. */
                if (!value[0] || strlen(value) > 32 || strspn(value, "abcdefghijklmnopqrstuvwxyz"
                                                                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                                     "0123456789_.-") != strlen(value))
                        return ctr_error_msg(err, EINVAL,
                                             "%s must be a group name ([A-Za-z0-9_.-], at most 32 "
                                             "characters), got '%s'",
                                             key, value);
                return set_string(key[0] == 'a' ? &c->admin_group : &c->user_group, key, value, err);
        }
        if (strcmp(key, "bridge") == 0) {
                /* Container interfaces are "vc" + 10 hex characters. */
                if (!net_ifname_is_valid(value) ||
                    strncmp(value, NET_VETH_PREFIX, strlen(NET_VETH_PREFIX)) == 0)
                        return ctr_error_msg(err, EINVAL,
                                             "bridge must be an interface name (1-15 characters, no "
                                             "'/', ':' or spaces, not starting with '" NET_VETH_PREFIX
                                             "'), got '%s'",
                                             value);
                return set_string(&c->bridge, key, value, err);
        }
        if (strcmp(key, "subnet") == 0) {
                _cleanup_error_ struct ctr_error *e = NULL;
                struct net_subnet s;
                if (net_subnet_parse(value, &s, &e) < 0)
                        return ctr_error_msg(err, EINVAL, "%s", e ? e->message : value);
                return set_string(&c->subnet, key, value, err);
        }
        if (strcmp(key, "masquerade") == 0) {
                if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0)
                        c->masquerade = true;
                else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0)
                        c->masquerade = false;
                else
                        return ctr_error_msg(err, EINVAL, "masquerade must be yes or no, got '%s'",
                                             value);
                return 0;
        }
        if (strcmp(key, "seccomp_profile") == 0) {
                /* The file is read and checked at start (main.c), where a
                 * profile that does not parse stops the daemon. */
                if (strcmp(value, "unconfined") == 0)
                        return set_string(&c->seccomp_profile, key, value, err);
                return set_path(&c->seccomp_profile, key, value, err);
        }
        /* The subordinate id files --userns auto allocates from (tests
         * point them at their own). */
        if (strcmp(key, "subuid_file") == 0)
                return set_path(&c->subuid_file, key, value, err);
        if (strcmp(key, "subgid_file") == 0)
                return set_path(&c->subgid_file, key, value, err);
        return ctr_error_msg(err, ENOENT, "unknown key '%s'", key);
}

static char *
trim(char *s)
{
        char *e;

        while (*s && isspace((unsigned char) *s))
                s++;
        e = s + strlen(s);
        while (e > s && isspace((unsigned char) e[-1]))
                *--e = '\0';
        return s;
}

int
daemon_config_parse(struct daemon_config *c, const char *text, const char *filename,
                    struct ctr_error **err)
{
        _cleanup_free_ char *copy = strdup(text);
        char *line, *next;
        unsigned lineno = 0;

        if (!copy)
                return ctr_error_sys(err, ENOMEM, "%s", filename);
        for (line = copy; line; line = next) {
                _cleanup_error_ struct ctr_error *e = NULL;
                char *eq, *key, *value;
                int r;

                lineno++;
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                line = trim(line);
                if (line[0] == '\0' || line[0] == '#')
                        continue;
                eq = strchr(line, '=');
                if (!eq)
                        return ctr_error_msg(err, EINVAL, "%s:%u: expected 'key = value', got '%s'",
                                             filename, lineno, line);
                *eq = '\0';
                key = trim(line);
                value = trim(eq + 1);
                if (key[0] == '\0')
                        return ctr_error_msg(err, EINVAL, "%s:%u: missing key before '='",
                                             filename, lineno);
                if (value[0] == '\0')
                        return ctr_error_msg(err, EINVAL, "%s:%u: missing value for '%s'",
                                             filename, lineno, key);
                r = daemon_config_set(c, key, value, &e);
                if (r < 0)
                        return ctr_error_msg(err, EINVAL, "%s:%u: %s", filename, lineno,
                                             e ? e->message : "invalid setting");
        }
        return 0;
}

int
daemon_config_load(struct daemon_config *c, const char *path, bool must_exist,
                   struct ctr_error **err)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_file_full(path, CONFIG_MAX_SIZE, &text, NULL, &e);
        if (r == -ENOENT && !must_exist)
                return 0;
        if (r < 0) {
                if (err && !*err)
                        *err = TAKE_PTR(e);
                return r;
        }
        return daemon_config_parse(c, text, path, err);
}
