/* Network namespaces pinned at a file: created by a helper thread that
 * unshares, keeps a netlink socket born inside and bind-mounts its nsfs
 * file (what `ip netns add` does), then exits; opened, removed and listed
 * for reconciliation. No thread of the caller ever changes namespace. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "daemon/network/netns-internal.h"

struct net_netns {
        int fd;
        char *path;
        struct nls *nl; /* opened on first use */
};

int
net_netns_fd(const struct net_netns *ns)
{
        return ns->fd;
}

const char *
net_netns_path(const struct net_netns *ns)
{
        return ns->path;
}

int
net_netns_session(struct net_netns *ns, struct nls **ret, struct ctr_error **err)
{
        int r;

        if (!ns->nl) {
                r = nls_open(ns->fd, &ns->nl, err);
                if (r < 0)
                        return ctr_error_prefix(err, -r, "network namespace `%s`", ns->path);
        }
        *ret = ns->nl;
        return 0;
}

void
net_netns_close(struct net_netns *ns)
{
        if (!ns)
                return;
        nls_free(ns->nl);
        safe_close(ns->fd);
        free(ns->path);
        free(ns);
}

static int
netns_new(const char *path, int fd, struct net_netns **ret)
{
        struct net_netns *ns = calloc(1, sizeof(*ns));

        if (!ns)
                return -ENOMEM;
        ns->path = strdup(path);
        if (!ns->path) {
                free(ns);
                return -ENOMEM;
        }
        ns->fd = fd;
        *ret = ns;
        return 0;
}

struct create_args {
        const char *path;
        int sock_fd, ns_fd;
        struct ctr_error *err;
};

/* Runs in the helper thread, already in the new namespace: everything the
 * caller needs of it (a socket, an fd, the pin) is taken from here. */
static int
create_in_netns(void *p)
{
        struct create_args *a = p;
        int r;

        /* /proc/thread-self: this thread's namespace, not the process's. */
        a->ns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (a->ns_fd < 0)
                return ctr_error_sys(&a->err, errno, "open new network namespace");
        a->sock_fd = nls_socket_fd();
        if (a->sock_fd < 0) {
                r = ctr_error_sys(&a->err, -a->sock_fd, "open netlink socket in new network namespace");
                goto fail;
        }
        if (mount("/proc/thread-self/ns/net", a->path, NULL, MS_BIND, NULL) < 0) {
                r = ctr_error_sys(&a->err, errno, "bind-mount network namespace on `%s`", a->path);
                goto fail;
        }
        return 0;
fail:
        a->ns_fd = safe_close(a->ns_fd);
        a->sock_fd = safe_close(a->sock_fd);
        return r;
}

/* Undoes net_netns_create() on a failure path; errors are moot there. */
static void
unpin(const char *path)
{
        (void) umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW);
        (void) unlink(path);
}

int
net_netns_create(const char *path, struct net_netns **ret, struct ctr_error **err)
{
        struct create_args a = { .path = path, .sock_fd = -1, .ns_fd = -1 };
        _cleanup_(net_netns_closep) struct net_netns *ns = NULL;
        _cleanup_(nls_freep) struct nls *nl = NULL;
        _cleanup_close_ int ns_fd = -1;
        int fd, r;

        if (!path || !*path)
                return ctr_error_msg(err, EINVAL, "empty network namespace path");
        fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
        if (fd < 0)
                return ctr_error_sys(err, errno, "create network namespace file `%s`", path);
        safe_close(fd);

        r = nls_run_in_netns(-1, create_in_netns, &a, err);
        if (a.err) {
                if (err && !*err)
                        *err = TAKE_PTR(a.err);
                ctr_error_free(a.err);
        }
        if (r < 0) {
                (void) unlink(path);
                return ctr_error_prefix(err, -r, "create network namespace `%s`", path);
        }
        ns_fd = a.ns_fd;
        r = nls_from_fd(a.sock_fd, &nl, err);
        if (r < 0)
                goto fail;
        /* lo is always ifindex 1 (LOOPBACK_IFINDEX) in a new namespace. */
        r = nls_link_set_up(nl, 1, "lo", err);
        if (r < 0)
                goto fail;
        if (!ret)
                return 0;
        r = netns_new(path, ns_fd, &ns);
        if (r < 0) {
                r = ctr_error_sys(err, -r, "open network namespace `%s`", path);
                goto fail;
        }
        TAKE_FD(ns_fd);
        ns->nl = TAKE_PTR(nl);
        *ret = TAKE_PTR(ns);
        return 0;
fail:
        unpin(path);
        return ctr_error_prefix(err, -r, "set up network namespace `%s`", path);
}

int
net_netns_open(const char *path, struct net_netns **ret, struct ctr_error **err)
{
        _cleanup_close_ int fd = -1;
        struct statfs fs;
        int r;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return ctr_error_sys(err, errno, "open network namespace `%s`", path);
        if (fstatfs(fd, &fs) < 0)
                return ctr_error_sys(err, errno, "statfs `%s`", path);
        /* An unmounted pin is a plain empty file: joining it would fail
         * much later, inside the runtime. */
        if (fs.f_type != NSFS_MAGIC)
                return ctr_error_msg(err, EINVAL, "`%s` is not a network namespace", path);
        r = ioctl(fd, NS_GET_NSTYPE);
        if (r >= 0 && r != CLONE_NEWNET)
                return ctr_error_msg(err, EINVAL, "`%s` is a namespace, but not a network namespace", path);
        r = netns_new(path, fd, ret);
        if (r < 0)
                return ctr_error_sys(err, -r, "open network namespace `%s`", path);
        TAKE_FD(fd);
        return 0;
}

int
net_netns_remove(const char *path, struct ctr_error **err)
{
        /* A file may carry stacked mounts (a crash between two daemons'
         * attempts); undo them all, boundedly. */
        for (int i = 0; i < 16; i++) {
                if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
                        continue;
                if (errno == EINVAL || errno == ENOENT)
                        break; /* not a mount point (any more), or no file */
                return ctr_error_sys(err, errno, "unmount network namespace `%s`", path);
        }
        if (unlink(path) < 0 && errno != ENOENT)
                return ctr_error_sys(err, errno, "remove network namespace file `%s`", path);
        return 0;
}

static int
cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int
net_netns_list(const char *dir, char ***ret, struct ctr_error **err)
{
        _cleanup_(net_strv_freep) char **v = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        DIR *d;

        v = calloc(1, sizeof(char *));
        if (!v)
                return ctr_error_sys(err, ENOMEM, "list `%s`", dir);
        d = opendir(dir);
        if (!d) {
                if (errno == ENOENT) {
                        *ret = TAKE_PTR(v);
                        return 0;
                }
                return ctr_error_sys(err, errno, "open directory `%s`", dir);
        }
        while ((errno = 0, de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                if (n + 2 > cap) {
                        size_t c = cap ? cap * 2 : 8;
                        char **nv = realloc(v, c * sizeof(char *));

                        if (!nv)
                                break;
                        v = nv;
                        cap = c;
                }
                v[n] = strdup(de->d_name);
                if (!v[n])
                        break;
                v[++n] = NULL;
        }
        if (errno != 0) {
                int e = errno;
                closedir(d);
                return ctr_error_sys(err, e, "list `%s`", dir);
        }
        closedir(d);
        qsort(v, n, sizeof(char *), cmp_str);
        *ret = TAKE_PTR(v);
        return 0;
}
