/* Client config file lookup and the detach-keys precedence chain. Reads
 * files only when asked; never writes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/config.h"

static char *
strip(char *s)
{
        char *e;

        while (*s == ' ' || *s == '\t')
                s++;
        e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
                *--e = '\0';
        return s;
}

static void
fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

int
client_config_get(const char *path, const char *key, char **ret, struct ctr_error **err)
{
        _cleanup_(fclosep) FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        unsigned lineno = 0;

        f = fopen(path, "re");
        if (!f) {
                if (errno == ENOENT || errno == ENOTDIR)
                        return 0;
                return ctr_error_sys(err, errno, "open config file %s", path);
        }
        while (getline(&line, &cap, f) >= 0) {
                char *s = strip(line), *eq, *k, *v;

                lineno++;
                if (*s == '\0' || *s == '#')
                        continue;
                eq = strchr(s, '=');
                if (!eq)
                        return ctr_error_msg(err, EINVAL, "%s:%u: expected 'key = value'", path,
                                             lineno);
                *eq = '\0';
                k = strip(s);
                v = strip(eq + 1);
                if (strcmp(k, key) != 0)
                        continue;
                *ret = strdup(v);
                return *ret ? 1 : -ENOMEM;
        }
        if (ferror(f))
                return ctr_error_sys(err, EIO, "read config file %s", path);
        return 0;
}

static int
from_file(const char *path, struct detach_keys *ret, struct ctr_error **err)
{
        _cleanup_free_ char *v = NULL;
        int r;

        if (!path)
                return 0;
        r = client_config_get(path, "detach_keys", &v, err);
        if (r <= 0)
                return r;
        r = detach_keys_parse(v, ret, err);
        if (r < 0)
                return ctr_error_prefix(err, -r, "detach_keys in %s", path);
        return 1;
}

int
client_detach_keys_resolve(const char *flag, const char *env, const char *user_path,
                           const char *system_path, struct detach_keys *ret,
                           struct ctr_error **err)
{
        int r;

        if (flag)
                return detach_keys_parse(flag, ret, err);
        if (env && *env) {
                r = detach_keys_parse(env, ret, err);
                return r < 0 ? ctr_error_prefix(err, -r, "CONTAINERCTL_DETACH_KEYS") : 0;
        }
        r = from_file(user_path, ret, err);
        if (r != 0)
                return r < 0 ? r : 0;
        r = from_file(system_path, ret, err);
        if (r != 0)
                return r < 0 ? r : 0;
        return detach_keys_parse(DETACH_KEYS_DEFAULT, ret, err);
}

int
client_detach_keys(const char *flag, struct detach_keys *ret, struct ctr_error **err)
{
        _cleanup_free_ char *user_path = NULL;
        const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
        int r = 0;

        if (xdg && xdg[0] == '/')
                r = asprintf(&user_path, "%s/containerctl/containerctl.conf", xdg);
        else if (home && home[0] == '/')
                r = asprintf(&user_path, "%s/.config/containerctl/containerctl.conf", home);
        if (r < 0)
                return -ENOMEM;
        return client_detach_keys_resolve(flag, getenv("CONTAINERCTL_DETACH_KEYS"), user_path,
                                          CLIENT_SYSTEM_CONFIG, ret, err);
}
