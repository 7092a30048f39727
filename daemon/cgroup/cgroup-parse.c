/* Pure parsers for the cgroup driver: /proc/self/mountinfo into the table of
 * cgroup hierarchies, /proc/<pid>/cgroup lines, and cgroup path validation.
 * No I/O here, so the unit test can feed it any text. */
#include "daemon/cgroup/cgroup-internal.h"

#include "common/fs-util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
cgroup_table_clear(struct cgroup_table *t)
{
        for (size_t i = 0; i < t->n; i++) {
                free(t->h[i].mount);
                free(t->h[i].root);
                free(t->h[i].controllers);
        }
        free(t->h);
        t->h = NULL;
        t->n = 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *
unescape(const char *s, size_t len)
{
        char *out = malloc(len + 1), *o = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < len; i++) {
                if (s[i] == '\\' && i + 3 < len && s[i + 1] >= '0' && s[i + 1] <= '3' &&
                    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
                        *o++ = (char) ((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
                        i += 3;
                } else
                        *o++ = s[i];
        }
        *o = 0;
        return out;
}

/* Splits a line into space-separated fields (at most max). */
static size_t
split_fields(const char *line, size_t len, const char **f, size_t *flen, size_t max)
{
        size_t n = 0, i = 0;

        while (i < len && n < max) {
                while (i < len && line[i] == ' ')
                        i++;
                if (i >= len)
                        break;
                f[n] = line + i;
                while (i < len && line[i] != ' ')
                        i++;
                flen[n] = (size_t) (line + i - f[n]);
                n++;
        }
        return n;
}

static bool
is_v1_option(const char *o, size_t len)
{
        static const char *const opts[] = { "rw", "ro", "xattr", "noprefix", "clone_children",
                                            "cpuset_v2_mode", "favordynmods", "all", "none" };

        if (len >= 14 && strncmp(o, "release_agent=", 14) == 0)
                return true;
        for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
                if (strlen(opts[i]) == len && strncmp(o, opts[i], len) == 0)
                        return true;
        return false;
}

/* "rw,cpu,cpuacct" -> "cpu,cpuacct"; sets cpuset/noprefix. */
static char *
v1_controllers(const char *opts, size_t len, bool *cpuset, bool *noprefix)
{
        char *out = malloc(len + 1), *o = out;
        size_t i = 0;

        if (!out)
                return NULL;
        *cpuset = *noprefix = false;
        while (i < len) {
                size_t j = i;
                while (j < len && opts[j] != ',')
                        j++;
                if (j - i == 8 && strncmp(opts + i, "noprefix", 8) == 0)
                        *noprefix = true;
                if (j > i && !is_v1_option(opts + i, j - i)) {
                        if (j - i == 6 && strncmp(opts + i, "cpuset", 6) == 0)
                                *cpuset = true;
                        if (o != out)
                                *o++ = ',';
                        memcpy(o, opts + i, j - i);
                        o += j - i;
                }
                i = j + 1;
        }
        *o = 0;
        return out;
}

static bool
under_sys_fs_cgroup(const char *mount)
{
        return strncmp(mount, "/sys/fs/cgroup", 14) == 0 && (mount[14] == '/' || mount[14] == 0);
}

/* Adds h to t, or, if its hierarchy (device) is already there, keeps the
 * better mount point. Takes ownership of h's strings either way. */
static int
table_add(struct cgroup_table *t, struct cgroup_hierarchy *h)
{
        struct cgroup_hierarchy *nh;

        for (size_t i = 0; i < t->n; i++) {
                if (t->h[i].dev_major != h->dev_major || t->h[i].dev_minor != h->dev_minor)
                        continue;
                if (!under_sys_fs_cgroup(t->h[i].mount) && under_sys_fs_cgroup(h->mount)) {
                        struct cgroup_hierarchy old = t->h[i];
                        t->h[i] = *h;
                        *h = old;
                }
                free(h->mount);
                free(h->root);
                free(h->controllers);
                return 0;
        }
        nh = realloc(t->h, (t->n + 1) * sizeof(*nh));
        if (!nh) {
                free(h->mount);
                free(h->root);
                free(h->controllers);
                return -ENOMEM;
        }
        t->h = nh;
        t->h[t->n++] = *h;
        return 0;
}

static int
parse_line(const char *line, size_t len, struct cgroup_table *t)
{
        const char *f[64];
        size_t fl[64], n, sep;
        struct cgroup_hierarchy h = {};
        bool v2;

        n = split_fields(line, len, f, fl, ARRAY_SIZE(f));
        for (sep = 6; sep < n; sep++)
                if (fl[sep] == 1 && f[sep][0] == '-')
                        break;
        if (n < 7 || sep + 3 >= n)
                return 0; /* not a line we understand: ignore */
        if (fl[sep + 1] == 7 && strncmp(f[sep + 1], "cgroup2", 7) == 0)
                v2 = true;
        else if (fl[sep + 1] == 6 && strncmp(f[sep + 1], "cgroup", 6) == 0)
                v2 = false;
        else
                return 0;
        if (sscanf(f[2], "%u:%u", &h.dev_major, &h.dev_minor) != 2)
                return 0;
        h.unified = v2;
        h.root = unescape(f[3], fl[3]);
        h.mount = unescape(f[4], fl[4]);
        h.controllers = v2 ? strdup("") : v1_controllers(f[sep + 3], fl[sep + 3], &h.cpuset, &h.noprefix);
        if (!h.root || !h.mount || !h.controllers) {
                free(h.root);
                free(h.mount);
                free(h.controllers);
                return -ENOMEM;
        }
        if (!v2 && !h.controllers[0]) {
                /* A v1 hierarchy with neither controller nor name: useless. */
                free(h.root);
                free(h.mount);
                free(h.controllers);
                return 0;
        }
        return table_add(t, &h);
}

int
cgroup_parse_mountinfo(const char *text, struct cgroup_table *ret, struct ctr_error **err)
{
        struct cgroup_table t = {};
        const char *p = text;

        while (*p) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);
                int r = parse_line(p, len, &t);
                if (r < 0) {
                        cgroup_table_clear(&t);
                        return ctr_error_sys(err, -r, "parse mountinfo");
                }
                p += len;
                if (*p == '\n')
                        p++;
        }
        *ret = t;
        return 0;
}

/* Does the comma-separated list contain word? */
static bool
list_has(const char *list, size_t len, const char *word)
{
        size_t wl = strlen(word), i = 0;

        while (i < len) {
                size_t j = i;
                while (j < len && list[j] != ',')
                        j++;
                if (j - i == wl && strncmp(list + i, word, wl) == 0)
                        return true;
                i = j + 1;
        }
        return false;
}

int
cgroup_parse_proc_cgroup(const char *text, const char *controller, char **ret)
{
        const char *p = text;

        while (*p) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);
                const char *c1 = memchr(p, ':', len), *c2;

                if (c1 && (c2 = memchr(c1 + 1, ':', len - (size_t) (c1 + 1 - p)))) {
                        const char *list = c1 + 1;
                        size_t ll = (size_t) (c2 - list);
                        bool match = controller ? list_has(list, ll, controller)
                                                : (ll == 0 && c1 - p == 1 && p[0] == '0');
                        if (match) {
                                char *s = strndup(c2 + 1, len - (size_t) (c2 + 1 - p));
                                if (!s)
                                        return -ENOMEM;
                                *ret = s;
                                return 0;
                        }
                }
                p += len;
                if (*p == '\n')
                        p++;
        }
        return -ENOENT;
}

bool
cgroup_path_is_valid(const char *path)
{
        const char *p;

        if (!path || path[0] != '/' || path[1] == 0)
                return false;
        for (p = path + 1;;) {
                const char *e = strchrnul(p, '/');
                size_t l = (size_t) (e - p);
                if (l == 0 || (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
                        return false;
                if (*e == 0)
                        return true;
                p = e + 1;
        }
}

int
cgroup_hierarchy_path(const struct cgroup_hierarchy *h, const char *path, char **ret,
                      struct ctr_error **err)
{
        size_t rl = strlen(h->root);
        const char *rel = path;
        char *s;

        if (strcmp(h->root, "/") != 0) {
                /* Mounted from a subtree: path must lie below it. */
                if (strncmp(path, h->root, rl) != 0 || (path[rl] != '/' && path[rl] != 0))
                        return ctr_error_msg(err, EXDEV, "cgroup `%s` is outside `%s` (mounted from `%s`)",
                                             path, h->mount, h->root);
                rel = path + rl;
        }
        s = path_join(h->mount, rel);
        if (!s)
                return ctr_error_sys(err, ENOMEM, "cgroup path");
        *ret = s;
        return 0;
}
