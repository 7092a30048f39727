/* Generates a container's bundle: the OCI runtime-spec config.json the
 * monitor hands to daemon/runtime, and the hostname, hosts and resolv.conf
 * files bound into it. Resolves the user against the image's own
 * etc/passwd and etc/group, read with RESOLVE_IN_ROOT so a hostile image
 * cannot point them at host files. Pure file generation: spawns nothing. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "common/fs-util.h"
#include "common/log.h"
#include "common/parse.h"
#include "daemon/container-devices.h"
#include "daemon/container-record.h"
#include "daemon/network-manager.h"

#define SMALL_FILE_MAX (4 * 1024 * 1024)

const struct container_host_file container_host_files[] = {
        { "hostname", "/etc/hostname" },
        { "hosts", "/etc/hosts" },
        { "resolv.conf", "/etc/resolv.conf" },
        { NULL, NULL },
};

/* Reads rel (e.g. "etc/passwd") inside root as if root were "/".
 * https://man7.org/linux/man-pages/man2/openat2.2.html */
int
container_read_root_file(const char *root, const char *rel, char **ret)
{
        struct open_how how = {
                .flags = O_RDONLY | O_CLOEXEC,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
        };
        _cleanup_close_ int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;

        if (rfd < 0)
                return negative_errno();
        fd = (int) syscall(SYS_openat2, rfd, rel, &how, sizeof(how));
        if (fd < 0)
                return negative_errno();
        for (;;) {
                ssize_t n;
                if (cap - len < 4096) {
                        char *nb;
                        if (cap >= SMALL_FILE_MAX)
                                return -EFBIG;
                        cap = cap ? cap * 2 : 8192;
                        nb = realloc(buf, cap + 1);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                }
                n = read(fd, buf + len, cap - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        return 0;
}

/* Finds a passwd/group line by name (field 0) or numeric id (field 2) and
 * returns its field 2 (id) and, for passwd, field 3 (primary gid). */
static int
lookup_db(const char *text, const char *name, long want_id, long *ret_id, long *ret_gid)
{
        _cleanup_free_ char *copy = strdup(text);
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *f[4] = { 0 };
                char *p = line;
                int64_t id, gid = -1;

                for (int i = 0; i < 4 && p; i++) {
                        f[i] = p;
                        p = strchr(p, ':');
                        if (p)
                                *p++ = '\0';
                }
                if (!f[2] || parse_int64(f[2], &id) < 0)
                        continue;
                if (f[3] && parse_int64(f[3], &gid) < 0)
                        gid = -1;
                if ((name && strcmp(f[0], name) == 0) || (!name && id == want_id)) {
                        *ret_id = (long) id;
                        if (ret_gid)
                                *ret_gid = (long) gid;
                        return 0;
                }
        }
        return -ENOENT;
}

static int
parse_id(const char *s, long *ret)
{
        int64_t v;

        if (parse_int_range(s, 0, 0x7fffffff - 1, &v) < 0)
                return -EINVAL;
        *ret = (long) v;
        return 0;
}

int
container_spec_resolve_user(const char *passwd, const char *group, const char *user, uid_t *ret_uid,
                            gid_t *ret_gid, struct ctr_error **err)
{
        _cleanup_free_ char *copy = NULL;
        char *u, *g;
        long uid, gid = 0, pw_gid = -1;

        if (!user || !*user) {
                *ret_uid = 0;
                *ret_gid = 0;
                return 0;
        }
        copy = strdup(user);
        if (!copy)
                return -ENOMEM;
        u = copy;
        g = strchr(copy, ':');
        if (g)
                *g++ = '\0';
        if (parse_id(u, &uid) == 0) {
                if (passwd)
                        (void) lookup_db(passwd, NULL, uid, &uid, &pw_gid);
        } else if (!passwd || lookup_db(passwd, u, 0, &uid, &pw_gid) < 0) {
                return ctr_error_msg(err, EINVAL, "user '%s' not found in the image's /etc/passwd",
                                     u);
        }
        if (g && *g) {
                if (parse_id(g, &gid) < 0) {
                        if (!group || lookup_db(group, g, 0, &gid, NULL) < 0)
                                return ctr_error_msg(err, EINVAL,
                                                     "group '%s' not found in the image's "
                                                     "/etc/group",
                                                     g);
                }
        } else if (pw_gid >= 0) {
                gid = pw_gid;
        }
        *ret_uid = (uid_t) uid;
        *ret_gid = (gid_t) gid;
        return 0;
}

/* config.json without indentation, as runc and Docker write it: half the
 * bytes for the monitor to parse at every start (the seccomp profile's
 * syscall names are most of it). `jq . config.json` shows it indented. */
#define CONFIG_JSON_FLAGS JSON_COMPACT

static int
write_small(const struct container *c, const char *name, const char *text, struct ctr_error **err)
{
        _cleanup_free_ char *path = path_join(c->dir, name);

        if (!path)
                return -ENOMEM;
        return container_write_file(c, path, text, 0644, err);
}

/* The host's resolv.conf without loopback nameservers: 127.* points at a
 * resolver the container's own network namespace cannot reach. */
static char *
filtered_resolv_conf(void)
{
        _cleanup_free_ char *text = NULL;
        char *out, *save = NULL;
        size_t n = 0;

        if (read_file_full("/etc/resolv.conf", SMALL_FILE_MAX, &text, NULL, NULL) < 0)
                return strdup("");
        out = calloc(1, strlen(text) + 2);
        if (!out)
                return NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                const char *p = line;
                while (*p == ' ' || *p == '\t')
                        p++;
                if (strncmp(p, "nameserver", 10) == 0) {
                        p += 10;
                        while (*p == ' ' || *p == '\t')
                                p++;
                        if (strncmp(p, "127.", 4) == 0 || strncmp(p, "::1", 3) == 0)
                                continue;
                }
                n += (size_t) sprintf(out + n, "%s\n", line);
        }
        return out;
}

static json_t *
mount_json(const char *dst, const char *type, const char *src, const char *const *opts)
{
        json_t *o = json_array();

        for (size_t i = 0; opts[i]; i++)
                json_array_append_new(o, json_string(opts[i]));
        return json_pack("{s:s,s:s,s:s,s:o}", "destination", dst, "type", type, "source", src,
                         "options", o);
}

static json_t *
strv_json(char **v)
{
        json_t *a = json_array();

        for (size_t i = 0; v && v[i]; i++)
                json_array_append_new(a, json_string(v[i]));
        return a;
}

static json_t *
build_mounts(const struct container *c)
{
        static const char *const proc_o[] = { "nosuid", "noexec", "nodev", NULL };
        static const char *const dev_o[] = { "nosuid", "strictatime", "mode=755", "size=65536k",
                                             NULL };
        static const char *const pts_o[] = { "nosuid",   "noexec", "newinstance", "ptmxmode=0666",
                                             "mode=0620", "gid=5", NULL };
        static const char *const shm_o[] = { "nosuid", "noexec", "nodev", "mode=1777",
                                             "size=65536k", NULL };
        static const char *const mq_o[] = { "nosuid", "noexec", "nodev", NULL };
        static const char *const sys_o[] = { "nosuid", "noexec", "nodev", "ro", NULL };
        static const char *const bind_o[] = { "rbind", "rprivate", NULL };
        static const char *const bind_ro[] = { "rbind", "rprivate", "ro", NULL };
        /* The daemon's own files (hosts, ...) are idmapped under a user
         * namespace, so its root owns them; volumes only when asked. */
        static const char *const bind_idmap[] = { "rbind", "rprivate", "idmap", NULL };
        static const char *const bind_ro_idmap[] = { "rbind", "rprivate", "ro", "idmap", NULL };
        json_t *m = json_array();

        json_array_append_new(m, mount_json("/proc", "proc", "proc", proc_o));
        json_array_append_new(m, mount_json("/dev", "tmpfs", "tmpfs", dev_o));
        json_array_append_new(m, mount_json("/dev/pts", "devpts", "devpts", pts_o));
        json_array_append_new(m, mount_json("/dev/shm", "tmpfs", "shm", shm_o));
        json_array_append_new(m, mount_json("/dev/mqueue", "mqueue", "mqueue", mq_o));
        json_array_append_new(m, mount_json("/sys", "sysfs", "sysfs", sys_o));
        for (size_t i = 0; container_host_files[i].name; i++) {
                _cleanup_free_ char *src = path_join(c->dir, container_host_files[i].name);
                if (!src) {
                        json_decref(m);
                        return NULL;
                }
                json_array_append_new(m, mount_json(container_host_files[i].destination, "bind",
                                                    src, bind_idmap));
        }
        for (size_t i = 0; i < c->config.n_mounts; i++) {
                const struct container_mount *u = &c->config.mounts[i];
                json_array_append_new(m, mount_json(u->destination, "bind", u->source,
                                                    u->idmap ? (u->readonly ? bind_ro_idmap : bind_idmap)
                                                             : (u->readonly ? bind_ro : bind_o)));
        }
        return m;
}

int
container_spec_write(struct container *c, uid_t uid, gid_t gid, struct ctr_error **err)
{
        static const char *const ns[] = { "pid", "network", "ipc", "uts", "mount", NULL };
        _cleanup_free_ char *rootfs = path_join(c->dir, "rootfs");
        _cleanup_free_ char *upper = path_join(c->dir, "upper");
        _cleanup_free_ char *work = path_join(c->dir, "work");
        _cleanup_free_ char *bundle = path_join(c->dir, "bundle");
        _cleanup_free_ char *config_path = NULL, *text = NULL, *hosts = NULL, *host_line = NULL,
                            *resolv = NULL, *cgroup = container_cgroup_path(c);
        json_t *spec, *namespaces, *res;
        int r;

        if (!rootfs || !upper || !work || !bundle || !cgroup)
                return ctr_error_sys(err, ENOMEM, "generate bundle");

        if (asprintf(&host_line, "%s\n", c->config.hostname) < 0 ||
            asprintf(&hosts, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                             "127.0.1.1\t%s\n",
                     c->config.hostname) < 0)
                return ctr_error_sys(err, ENOMEM, "generate bundle");
        resolv = filtered_resolv_conf();
        if (!resolv)
                return ctr_error_sys(err, ENOMEM, "generate bundle");
        r = write_small(c, "hostname", host_line, err);
        if (r >= 0)
                r = write_small(c, "hosts", hosts, err);
        if (r >= 0)
                r = write_small(c, "resolv.conf", resolv, err);
        if (r < 0)
                return r;

        namespaces = json_array();
        for (size_t i = 0; ns[i]; i++) {
                /* --network host: no network namespace of its own. Bridge and
                 * container: modes get the path of theirs at start. */
                if (strcmp(ns[i], "network") == 0 && c->config.net_mode == CONTAINER_NET_HOST)
                        continue;
                /* A bridge network's namespace is pinned at a path known now
                 * (network-manager.h): written here, start need not rewrite
                 * config.json (two fsyncs on the loop) unless it differs. */
                if (strcmp(ns[i], "network") == 0 && c->config.net_mode == CONTAINER_NET_BRIDGE) {
                        _cleanup_free_ char *pin = container_net_pin_path(c);
                        c->spec_has_pin = pin != NULL;
                        json_array_append_new(namespaces,
                                              json_pack("{s:s,s:s?}", "type", ns[i], "path", pin));
                        continue;
                }
                json_array_append_new(namespaces, json_pack("{s:s}", "type", ns[i]));
        }

        spec = json_pack(
                "{s:s,s:{s:b,s:{s:i,s:i},s:o,s:o,s:s},s:{s:s},s:s,"
                "s:o,s:{s:s,s:s,s:s},s:{s:o,s:s}}",
                "ociVersion", "1.0.2",
                "process", "terminal", c->config.tty, "user", "uid", (int) uid, "gid", (int) gid,
                "args", strv_json(c->config.command),
                "env", strv_json(c->config.env),
                "cwd", c->config.workdir ? c->config.workdir : "/",
                "root", "path", rootfs,
                "hostname", c->config.hostname,
                "mounts", build_mounts(c),
                "annotations", "org.containerctl.overlay.lowerdir", c->image_lowerdir,
                "org.containerctl.overlay.upperdir", upper, "org.containerctl.overlay.workdir",
                work,
                "linux", "namespaces", namespaces, "cgroupsPath", cgroup);
        if (!spec)
                return ctr_error_msg(err, ENOMEM, "generate config.json for %s", c->id);
        /* Capabilities, no_new_privs, seccomp, read-only root, tmpfs,
         * masked and read-only paths: container-security.c decides. */
        r = container_security_apply_spec(c, spec, uid, err);
        /* --userns auto: the user namespace and its id maps (issue 7). */
        if (r >= 0)
                r = container_userns_apply_spec(c, spec, err);
        if (r < 0) {
                json_decref(spec);
                return r;
        }
        /* The runtime applies them to the cgroup before the command runs,
         * so a limit holds from the first instruction. */
        res = container_limits_to_oci(&c->config.limits);
        /* Device access (container-devices.c): Docker's rules, or every
         * device when privileged. Never left out: no rules is no limit. */
        if (!res)
                res = json_object();
        if (!res || json_object_set_new(res, "devices",
                                        container_spec_devices_json(c->config.security.privileged)) < 0 ||
            json_object_set_new(json_object_get(spec, "linux"), "resources", res) < 0) {
                json_decref(spec);
                return ctr_error_sys(err, ENOMEM, "generate config.json for %s", c->id);
        }
        /* The real size comes with start/attach (rows, cols); this is the
         * size until then. */
        if (c->config.tty)
                json_object_set_new(json_object_get(spec, "process"), "consoleSize",
                                    json_pack("{s:i,s:i}", "height", 24, "width", 80));
        text = json_dumps(spec, CONFIG_JSON_FLAGS);
        json_decref(spec);
        config_path = path_join(bundle, "config.json");
        if (!text || !config_path)
                return ctr_error_sys(err, ENOMEM, "generate config.json");
        return container_write_file(c, config_path, text, 0600, err);
}

int
container_spec_set_netns(const struct container *c, const char *path, struct ctr_error **err)
{
        _cleanup_free_ char *config_path = path_join(c->dir, "bundle/config.json");
        _cleanup_free_ char *text = NULL, *out = NULL;
        _cleanup_(json_decrefp) json_t *spec = NULL;
        json_t *namespaces, *ns;
        size_t i;
        int r;

        if (!config_path)
                return -ENOMEM;
        r = read_file_full(config_path, 4 * 1024 * 1024, &text, NULL, err);
        if (r < 0)
                return r;
        spec = json_loads(text, 0, NULL);
        namespaces = json_object_get(json_object_get(spec, "linux"), "namespaces");
        json_array_foreach (namespaces, i, ns) {
                if (strcmp(json_string_value(json_object_get(ns, "type")) ?: "", "network") != 0)
                        continue;
                /* Already so (a bridge network's pin, written at create). */
                if (path ? (json_string_value(json_object_get(ns, "path")) &&
                            strcmp(json_string_value(json_object_get(ns, "path")), path) == 0)
                         : !json_object_get(ns, "path"))
                        return 0;
                if (path)
                        json_object_set_new(ns, "path", json_string(path));
                else
                        json_object_del(ns, "path");
                out = json_dumps(spec, CONFIG_JSON_FLAGS);
                if (!out)
                        return -ENOMEM;
                return container_write_file(c, config_path, out, 0600, err);
        }
        return ctr_error_msg(err, EINVAL, "%s: config.json has no network namespace", c->id);
}

int
container_spec_set_resources(const struct container *c, struct ctr_error **err)
{
        _cleanup_free_ char *config_path = path_join(c->dir, "bundle/config.json");
        _cleanup_free_ char *text = NULL, *out = NULL;
        _cleanup_(json_decrefp) json_t *spec = NULL;
        json_t *linux_obj, *res, *devices;
        int r;

        if (!config_path)
                return -ENOMEM;
        r = read_file_full(config_path, 4 * 1024 * 1024, &text, NULL, err);
        if (r < 0)
                return r;
        spec = json_loads(text, 0, NULL);
        linux_obj = json_object_get(spec, "linux");
        if (!json_is_object(linux_obj))
                return ctr_error_msg(err, EINVAL, "%s: config.json has no linux section", c->id);
        devices = json_object_get(json_object_get(linux_obj, "resources"), "devices");
        res = container_limits_to_oci(&c->config.limits);
        /* The device rules stay as container_spec_write() made them. */
        if (devices && !res)
                res = json_object();
        if (devices && (!res || json_object_set(res, "devices", devices) < 0)) {
                json_decref(res);
                return -ENOMEM;
        }
        if (res)
                json_object_set_new(linux_obj, "resources", res);
        else
                json_object_del(linux_obj, "resources");
        out = json_dumps(spec, CONFIG_JSON_FLAGS);
        if (!out)
                return -ENOMEM;
        return container_write_file(c, config_path, out, 0600, err);
}

int
container_spec_write_hosts(const struct container *c, const char *self_addr,
                           const struct network_member *members, size_t n, struct ctr_error **err)
{
        _cleanup_free_ char *path = path_join(c->dir, "hosts");
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = -1;
        size_t len = 0;
        FILE *f;
        int r;

        if (!path)
                return -ENOMEM;
        f = open_memstream(&text, &len);
        if (!f)
                return -ENOMEM;
        fprintf(f, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        if (self_addr)
                fprintf(f, "%s\t%s %s", self_addr, c->config.hostname, c->name);
        else
                fprintf(f, "127.0.1.1\t%s", c->config.hostname);
        for (size_t k = 0; c->config.network_aliases && c->config.network_aliases[k]; k++)
                fprintf(f, " %s", c->config.network_aliases[k]);
        fputc('\n', f);
        for (size_t i = 0; i < n; i++) {
                if (strcmp(members[i].id, c->id) == 0)
                        continue;
                fprintf(f, "%s\t%s", members[i].address, members[i].name);
                if (members[i].hostname && strcmp(members[i].hostname, members[i].name) != 0)
                        fprintf(f, " %s", members[i].hostname);
                for (const struct container *o = c->mgr->containers; o; o = o->next)
                        if (strcmp(o->id, members[i].id) == 0)
                                for (size_t k = 0; o->config.network_aliases && o->config.network_aliases[k]; k++)
                                        fprintf(f, " %s", o->config.network_aliases[k]);
                fputc('\n', f);
        }
        if (fclose(f) != 0 || !text)
                return -ENOMEM;
        /* In place: the file is bind-mounted into the running container, and
         * a rename would leave the container with the old inode. */
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return ctr_error_sys(err, errno, "write `%s`", path);
        r = write_all(fd, text, len);
        return r < 0 ? ctr_error_sys(err, -r, "write `%s`", path) : 0;
}
