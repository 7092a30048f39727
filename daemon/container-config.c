/* Create-time configuration of a container: turns the typed create
 * params and the image config into the container_config that is
 * persisted (command from Entrypoint + Cmd, merged env, workdir, user
 * resolved against the image, validated binds and hostname). Pure: it
 * touches no container state, spawns nothing and writes no file. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/parse.h"
#include "daemon/container-record.h"
#include "daemon/image/image.h"

/* etc/passwd and etc/group of an image are read whole, up to this size. */
#define USER_DB_MAX (4 * 1024 * 1024)

static void
strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

static void
strv_freep(char ***v)
{
        strv_free(*v);
}

static void
mounts_free(struct container_mount *m, size_t n)
{
        for (size_t i = 0; m && i < n; i++) {
                free(m[i].source);
                free(m[i].destination);
        }
        free(m);
}

void
container_config_clear(struct container_config *cfg)
{
        strv_free(cfg->command);
        strv_free(cfg->env);
        free(cfg->workdir);
        free(cfg->user);
        free(cfg->hostname);
        strv_free(cfg->labels);
        free(cfg->network);
        free(cfg->ports);
        strv_free(cfg->network_aliases);
        mounts_free(cfg->mounts, cfg->n_mounts);
        cgroup_limits_clear(&cfg->limits);
        container_security_clear(&cfg->security);
        *cfg = (struct container_config){ 0 };
        /* Zero is a value for a limit; "not set" is CGROUP_UNSET. */
        cgroup_limits_init(&cfg->limits);
}

void
container_create_params_clear(struct container_create_params *p)
{
        free(p->image);
        free(p->name);
        strv_free(p->command);
        strv_free(p->env);
        free(p->workdir);
        free(p->user);
        free(p->hostname);
        strv_free(p->entrypoint);
        free(p->stop_signal);
        strv_free(p->labels);
        free(p->network);
        free(p->ports);
        strv_free(p->network_aliases);
        mounts_free(p->mounts, p->n_mounts);
        if (p->has_limits)
                cgroup_limits_clear(&p->limits);
        container_security_clear(&p->security);
        *p = (struct container_create_params){ 0 };
}

static json_t *
image_cfg(const struct image *img)
{
        json_t *inner;

        if (!img->config || !json_is_object(img->config))
                return NULL;
        /* An OCI image config nests the runtime settings under "config". */
        inner = json_object_get(img->config, "config");
        return json_is_object(inner) ? inner : img->config;
}

static int
strv_push(char ***v, size_t *n, const char *s)
{
        char **nv = realloc(*v, (*n + 2) * sizeof(char *));

        if (!nv)
                return -ENOMEM;
        *v = nv;
        nv[*n] = strdup(s);
        if (!nv[*n])
                return -ENOMEM;
        nv[++*n] = NULL;
        return 0;
}

static int
build_command(const struct container_create_params *p, json_t *cfg, char ***ret,
              struct ctr_error **err)
{
        char **v = NULL;
        size_t n = 0, i;
        json_t *ep = cfg ? json_object_get(cfg, "Entrypoint") : NULL;
        json_t *cmd = cfg ? json_object_get(cfg, "Cmd") : NULL;
        json_t *x;

        /* As Docker: --entrypoint replaces the image's and drops its Cmd,
         * so `--entrypoint sh` does not run `sh <image Cmd>`. */
        if (p->entrypoint) {
                for (i = 0; p->entrypoint[i]; i++)
                        if (strv_push(&v, &n, p->entrypoint[i]) < 0)
                                goto oom;
                cmd = NULL;
        } else {
                json_array_foreach (ep, i, x)
                        if (json_is_string(x) && strv_push(&v, &n, json_string_value(x)) < 0)
                                goto oom;
        }
        if (p->command && p->command[0]) {
                for (i = 0; p->command[i]; i++)
                        if (strv_push(&v, &n, p->command[i]) < 0)
                                goto oom;
        } else {
                json_array_foreach (cmd, i, x)
                        if (json_is_string(x) && strv_push(&v, &n, json_string_value(x)) < 0)
                                goto oom;
        }
        if (n == 0) {
                strv_free(v);
                return ctr_error_msg(err, EINVAL,
                                     "no command given and the image has no default command");
        }
        *ret = v;
        return 0;
oom:
        strv_free(v);
        return ctr_error_sys(err, ENOMEM, "build command");
}

/* Image Env, then the request's env; a later KEY=... replaces an earlier. */
static int
merge_env_one(char ***v, size_t *n, const char *kv, struct ctr_error **err)
{
        const char *eq = strchr(kv, '=');
        size_t klen;

        if (!eq || eq == kv)
                return ctr_error_msg(err, EINVAL, "environment entry '%s' is not KEY=VALUE", kv);
        klen = (size_t) (eq - kv) + 1;
        for (size_t i = 0; i < *n; i++) {
                if (strncmp((*v)[i], kv, klen) == 0) {
                        char *s = strdup(kv);
                        if (!s)
                                return -ENOMEM;
                        free((*v)[i]);
                        (*v)[i] = s;
                        return 0;
                }
        }
        return strv_push(v, n, kv);
}

static int
build_env(const struct container_create_params *p, json_t *cfg, char ***ret, struct ctr_error **err)
{
        _cleanup_(strv_freep) char **v = NULL;
        size_t n = 0, i;
        json_t *env = cfg ? json_object_get(cfg, "Env") : NULL, *x;
        bool has_path = false;
        int r;

        json_array_foreach (env, i, x)
                if (json_is_string(x) && strchr(json_string_value(x), '=') &&
                    (r = merge_env_one(&v, &n, json_string_value(x), err)) < 0)
                        return r;
        for (i = 0; p->env && p->env[i]; i++)
                if ((r = merge_env_one(&v, &n, p->env[i], err)) < 0)
                        return r;
        for (i = 0; i < n; i++)
                has_path |= strncmp(v[i], "PATH=", 5) == 0;
        if (!has_path &&
            strv_push(&v, &n, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") <
                    0)
                return -ENOMEM;
        *ret = TAKE_PTR(v);
        return 0;
}

/* The request's signal, else the image's StopSignal, else SIGTERM. */
static int
build_stop_signal(const struct container_create_params *p, json_t *cfg, int *ret,
                  struct ctr_error **err)
{
        const char *s = cfg ? json_string_value(json_object_get(cfg, "StopSignal")) : NULL;
        int sig;

        if (p->stop_signal) {
                sig = parse_signal(p->stop_signal);
                if (sig < 0)
                        return ctr_error_msg(err, EINVAL, "invalid stop signal '%s'", p->stop_signal);
        } else if (s && *s) {
                sig = parse_signal(s);
                if (sig < 0)
                        return ctr_error_msg(err, EINVAL, "the image's StopSignal '%s' is not a signal",
                                             s);
        } else {
                sig = SIGTERM;
        }
        /* SIGSTOP would only freeze the container until the stop timeout. */
        if (sig == SIGSTOP)
                return ctr_error_msg(err, EINVAL, "stop signal SIGSTOP cannot stop a container");
        *ret = sig;
        return 0;
}

/* The image's Labels, then the request's "KEY=VALUE" (a later key wins). */
static int
build_labels(const struct container_create_params *p, json_t *cfg, char ***ret,
             struct ctr_error **err)
{
        _cleanup_(strv_freep) char **v = NULL;
        json_t *labels = cfg ? json_object_get(cfg, "Labels") : NULL, *x;
        const char *key;
        size_t n = 0;
        int r;

        json_object_foreach (labels, key, x) {
                _cleanup_free_ char *kv = NULL;
                if (!json_is_string(x) || !*key)
                        continue;
                if (asprintf(&kv, "%s=%s", key, json_string_value(x)) < 0)
                        return -ENOMEM;
                if ((r = merge_env_one(&v, &n, kv, err)) < 0)
                        return r;
        }
        for (size_t i = 0; p->labels && p->labels[i]; i++) {
                const char *eq = strchr(p->labels[i], '=');
                if (!eq || eq == p->labels[i])
                        return ctr_error_msg(err, EINVAL, "label '%s' is not KEY=VALUE", p->labels[i]);
                if ((r = merge_env_one(&v, &n, p->labels[i], err)) < 0)
                        return r;
        }
        *ret = TAKE_PTR(v);
        return 0;
}

/* user as the image's etc/passwd and etc/group show it (top layer first,
 * whiteouts honoured). */
static int
resolve_image_user(const struct image *img, const char *user, uid_t *uid, gid_t *gid,
                   struct ctr_error **err)
{
        _cleanup_free_ char *passwd = NULL, *group = NULL;

        if (user && *user) {
                (void) image_read_file(img, "etc/passwd", USER_DB_MAX, &passwd);
                (void) image_read_file(img, "etc/group", USER_DB_MAX, &group);
        }
        return container_spec_resolve_user(passwd, group, user, uid, gid, err);
}

static bool hostname_is_valid(const char *s);

const char *
container_net_mode_to_string(enum container_net_mode m)
{
        switch (m) {
        case CONTAINER_NET_NONE:
                return "none";
        case CONTAINER_NET_BRIDGE:
                return "bridge";
        case CONTAINER_NET_HOST:
                return "host";
        case CONTAINER_NET_CONTAINER:
                return "container";
        }
        return "none";
}

/* --network: mode and name (container:<ref> keeps the ref; container.c
 * resolves it and checks that a named network exists), published ports
 * and aliases, which need a network of ours. */
static int
build_network(const struct container_create_params *p, struct container_config *c,
              struct ctr_error **err)
{
        const char *v = p->network ? p->network : "bridge";

        if (!*v)
                return ctr_error_msg(err, EINVAL, "empty network name");
        if (strcmp(v, "none") == 0)
                c->net_mode = CONTAINER_NET_NONE;
        else if (strcmp(v, "host") == 0)
                c->net_mode = CONTAINER_NET_HOST;
        else if (strncmp(v, "container:", 10) == 0) {
                if (!v[10])
                        return ctr_error_msg(err, EINVAL, "network `container:` needs a container name");
                c->net_mode = CONTAINER_NET_CONTAINER;
                v += 10;
        } else
                c->net_mode = CONTAINER_NET_BRIDGE;
        if (c->net_mode == CONTAINER_NET_BRIDGE || c->net_mode == CONTAINER_NET_CONTAINER) {
                c->network = strdup(v);
                if (!c->network)
                        return -ENOMEM;
        }
        if (c->net_mode != CONTAINER_NET_BRIDGE && (p->n_ports > 0 || p->network_aliases)) {
                return ctr_error_msg(err, EINVAL, "%s need a bridge network, not --network %s",
                                     p->n_ports > 0 ? "published ports" : "network aliases",
                                     p->network);
        }
        if (p->n_ports > 0) {
                c->ports = calloc(p->n_ports, sizeof(*c->ports));
                if (!c->ports)
                        return -ENOMEM;
                memcpy(c->ports, p->ports, p->n_ports * sizeof(*c->ports));
                c->n_ports = p->n_ports;
        }
        for (size_t i = 0, n = 0; p->network_aliases && p->network_aliases[i]; i++) {
                if (!hostname_is_valid(p->network_aliases[i]))
                        return ctr_error_msg(err, EINVAL, "invalid network alias '%s'",
                                             p->network_aliases[i]);
                if (strv_push(&c->network_aliases, &n, p->network_aliases[i]) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static bool
hostname_is_valid(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > 63 || s[0] == '-' || s[0] == '.')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.'))
                        return false;
        return true;
}

/* Absolute, shorter than PATH_MAX, and no ".." component. */
static bool
container_path_is_valid(const char *p)
{
        size_t n;

        if (!p || p[0] != '/' || (n = strlen(p)) >= 4096)
                return false;
        for (const char *s = p; (s = strstr(s, "..")); s += 2)
                if (s[-1] == '/' && (s[2] == '/' || s[2] == '\0'))
                        return false;
        return true;
}

static int
copy_mounts(const struct container_create_params *p, struct container_config *cfg,
            struct ctr_error **err)
{
        cfg->mounts = calloc(p->n_mounts + 1, sizeof(struct container_mount));
        if (!cfg->mounts)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_mounts; i++) {
                const struct container_mount *u = &p->mounts[i];
                struct stat st;

                if (!u->source || u->source[0] != '/')
                        return ctr_error_msg(err, EINVAL,
                                             "mount source '%s' must be an absolute path",
                                             u->source ? u->source : "");
                if (!container_path_is_valid(u->destination))
                        return ctr_error_msg(err, EINVAL,
                                             "mount destination '%s' must be an absolute path "
                                             "without '..'",
                                             u->destination ? u->destination : "");
                if (stat(u->source, &st) < 0)
                        return ctr_error_sys(err, errno, "mount source `%s`", u->source);
                cfg->mounts[i].source = strdup(u->source);
                cfg->mounts[i].destination = strdup(u->destination);
                cfg->mounts[i].readonly = u->readonly;
                cfg->mounts[i].idmap = u->idmap;
                cfg->n_mounts++;
                if (!cfg->mounts[i].source || !cfg->mounts[i].destination)
                        return -ENOMEM;
        }
        return 0;
}

int
container_config_build(const struct container_create_params *p, const struct image *img,
                       const char *default_hostname, struct container_config *ret,
                       uid_t *ret_uid, gid_t *ret_gid, struct ctr_error **err)
{
        _cleanup_(container_config_clear) struct container_config c = { 0 };
        json_t *cfg = image_cfg(img);
        const char *s;
        uid_t uid;
        gid_t gid;
        int r;

        cgroup_limits_init(&c.limits);
        /* Limits first: a value the kernel would refuse is the clearest
         * error, and nothing has been made yet. */
        r = p->has_limits ? cgroup_limits_validate(&p->limits, err) : 0;
        if (r >= 0 && p->has_limits)
                r = container_limits_merge(&c.limits, &p->limits);
        if (r >= 0)
                r = build_command(p, cfg, &c.command, err);
        if (r >= 0)
                r = build_env(p, cfg, &c.env, err);
        if (r < 0)
                return r;
        s = p->workdir ? p->workdir : (cfg ? json_string_value(json_object_get(cfg, "WorkingDir")) : NULL);
        if (s && *s) {
                if (!container_path_is_valid(s))
                        return ctr_error_msg(err, EINVAL, "workdir '%s' must be an absolute path", s);
                c.workdir = strdup(s);
                if (!c.workdir)
                        return -ENOMEM;
        }
        s = p->user ? p->user : (cfg ? json_string_value(json_object_get(cfg, "User")) : NULL);
        if (s && *s) {
                c.user = strdup(s);
                if (!c.user)
                        return -ENOMEM;
        }
        r = resolve_image_user(img, c.user, &uid, &gid, err);
        if (r >= 0)
                r = build_stop_signal(p, cfg, &c.stop_signal, err);
        if (r >= 0)
                r = build_labels(p, cfg, &c.labels, err);
        if (r < 0)
                return r;
        r = copy_mounts(p, &c, err);
        if (r >= 0)
                r = container_security_copy(&p->security, &c.security);
        if (r < 0)
                return r;
        c.auto_remove = p->auto_remove;
        c.userns.mode = p->userns; /* the ids come at create (container-userns.c) */
        c.tty = p->tty;
        c.open_stdin = p->open_stdin;
        r = build_network(p, &c, err);
        if (r < 0)
                return r;
        /* Defaults (< 0, < 1) are the daemon's: container_create() fills them. */
        c.log_max_size = p->log_max_size;
        c.log_max_files = p->log_max_files;
        if (p->hostname) {
                if (!hostname_is_valid(p->hostname))
                        return ctr_error_msg(err, EINVAL, "invalid hostname '%s'", p->hostname);
                c.hostname = strdup(p->hostname);
        } else {
                c.hostname = strdup(default_hostname);
        }
        if (!c.hostname)
                return -ENOMEM;
        *ret = c;
        c = (struct container_config){ 0 };
        *ret_uid = uid;
        *ret_gid = gid;
        return 0;
}
