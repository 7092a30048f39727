/* Which hierarchy carries a controller for a cgroup, and, on cgroup2, making
 * the controllers reach the container's cgroup: subtree_control of its
 * parent and of the levels we create. Never writes the subtree_control of
 * the hierarchy root (the host's business: systemd, or the VM's init) nor
 * of a level above the container's parent that existed before. */
#include "daemon/cgroup/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs-util.h"

bool
cgroup_list_has(const char *list, char sep, const char *word)
{
        size_t wl = strlen(word);
        const char *p = list;

        while (*p) {
                const char *e = p;
                while (*e && *e != sep && *e != '\n')
                        e++;
                if ((size_t) (e - p) == wl && strncmp(p, word, wl) == 0)
                        return true;
                p = *e ? e + 1 : e;
        }
        return false;
}

ssize_t
cgroup_read_at(const char *dir, const char *file, char *buf, size_t size)
{
        _cleanup_free_ char *path = path_join(dir, file);
        _cleanup_close_ int fd = -1;
        ssize_t n;

        if (!path)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, size - 1);
        if (n < 0)
                return -errno;
        while (n > 0 && buf[n - 1] == '\n')
                n--;
        buf[n] = 0;
        return n;
}

int
cgroup_write_at(const char *dir, const char *file, const char *s)
{
        _cleanup_free_ char *path = path_join(dir, file);
        _cleanup_close_ int fd = -1;
        size_t len = strlen(s);
        ssize_t n;

        if (!path)
                return -ENOMEM;
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* cgroupfs takes a value in one write; an empty one still needs the
         * call (cpuset.cpus "" means "inherit" on cgroup2). */
        n = write(fd, len ? s : "\n", len ? len : 1);
        if (n < 0)
                return -errno;
        return 0;
}

static bool
offers(const char *dir, const char *controller)
{
        char buf[512];

        return cgroup_read_at(dir, "cgroup.controllers", buf, sizeof(buf)) >= 0 &&
               cgroup_list_has(buf, ' ', controller);
}

int
cgroup_controller_dir(const char *path, const char *v1, const char *v2, char **ret_dir,
                      bool *ret_unified, struct ctr_error **err)
{
        const struct cgroup_table *t;
        enum cgroup_mode mode;
        int r;

        if (!cgroup_path_is_valid(path))
                return ctr_error_msg(err, EINVAL, "invalid cgroup path `%s`", path ? path : "(null)");
        r = cgroup_detect(&mode, err);
        if (r < 0)
                return r;
        t = cgroup_table_get();
        for (size_t i = 0; v1 && mode != CGROUP_MODE_UNIFIED && i < t->n; i++) {
                if (t->h[i].unified || !cgroup_list_has(t->h[i].controllers, ',', v1))
                        continue;
                if (ret_unified)
                        *ret_unified = false;
                return cgroup_hierarchy_path(&t->h[i], path, ret_dir, err);
        }
        for (size_t i = 0; v2 && mode != CGROUP_MODE_LEGACY && i < t->n; i++) {
                _cleanup_free_ char *dir = NULL;

                if (!t->h[i].unified)
                        continue;
                r = cgroup_hierarchy_path(&t->h[i], path, &dir, err);
                if (r < 0)
                        return r;
                if (access(dir, F_OK) < 0)
                        return ctr_error_sys(err, errno, "cgroup `%s`", dir);
                if (*v2 && !offers(dir, v2))
                        break;
                if (ret_unified)
                        *ret_unified = true;
                *ret_dir = TAKE_PTR(dir);
                return 0;
        }
        return -EOPNOTSUPP;
}

int
cgroup_enable_controllers(const char *dir)
{
        char avail[512], enabled[512], want[128] = "";
        const char *p = CGROUP_V2_LIMIT_CONTROLLERS;
        int failed = 0;

        if (cgroup_read_at(dir, "cgroup.controllers", avail, sizeof(avail)) < 0 ||
            cgroup_read_at(dir, "cgroup.subtree_control", enabled, sizeof(enabled)) < 0)
                return 1;
        while (*p) {
                char name[16];
                size_t l = strcspn(p, " ");

                snprintf(name, sizeof(name), "%.*s", (int) l, p);
                p += l + (p[l] == ' ');
                if (cgroup_list_has(avail, ' ', name) && !cgroup_list_has(enabled, ' ', name))
                        snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s+%s",
                                 want[0] ? " " : "", name);
        }
        if (!want[0] || cgroup_write_at(dir, "cgroup.subtree_control", want) == 0)
                return 0;
        /* One refused controller fails the whole write: retry one by one so
         * the others still reach the container. */
        for (char *save = NULL, *tok = strtok_r(want, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
                if (cgroup_write_at(dir, "cgroup.subtree_control", tok) < 0)
                        failed++;
        return failed;
}

/* mkdir -p below mount; levels created here other than the leaf get the
 * controllers enabled, so that the leaf is offered them. */
static int
create_tree(const char *mount, const char *dir, bool leaf, struct ctr_error **err)
{
        _cleanup_free_ char *parent = NULL;
        char *slash;
        int r;

        if (mkdir(dir, 0755) == 0)
                goto created;
        if (errno == EEXIST)
                return 0;
        if (errno != ENOENT)
                return ctr_error_sys(err, errno, "create cgroup `%s`", dir);
        parent = strdup(dir);
        if (!parent)
                return ctr_error_sys(err, ENOMEM, "create cgroup `%s`", dir);
        slash = strrchr(parent, '/');
        if (!slash || slash == parent || (size_t) (slash - parent) <= strlen(mount))
                return ctr_error_sys(err, ENOENT, "create cgroup `%s`", dir);
        *slash = 0;
        r = create_tree(mount, parent, false, err);
        if (r < 0)
                return r;
        if (mkdir(dir, 0755) < 0) {
                if (errno == EEXIST)
                        return 0;
                return ctr_error_sys(err, errno, "create cgroup `%s`", dir);
        }
created:
        if (!leaf)
                (void) cgroup_enable_controllers(dir);
        return 0;
}

int
cgroup_unified_create(const struct cgroup_hierarchy *h, const char *dir, struct ctr_error **err)
{
        _cleanup_free_ char *parent = strdup(dir);
        char *slash;

        if (!parent)
                return ctr_error_sys(err, ENOMEM, "create cgroup `%s`", dir);
        /* The container's parent (the configured cgroup parent) enables
         * the controllers for it; if the parent is missing, create_tree()
         * makes it and enables them there. Never the hierarchy root. */
        slash = strrchr(parent, '/');
        if (slash && (size_t) (slash - parent) > strlen(h->mount)) {
                *slash = 0;
                if (access(parent, F_OK) == 0)
                        (void) cgroup_enable_controllers(parent);
        }
        return create_tree(h->mount, dir, true, err);
}
