/* A container in its own user namespace: the parent writes the id maps and
 * makes every mount whose files live on the host idmapped to the
 * container's namespace (the image layers under the overlay root, and the
 * bind mounts), so files owned by host uid 0 appear owned by the
 * container's root and nothing on the host is chowned. The child receives
 * the mounts as fds and attaches them in its own mount namespace. Runs in
 * the single-threaded monitor (parent functions) or the fresh child
 * (child_userns); the child side never logs.
 *
 * user_namespaces(7): the maps are written once, each in one write(2), by
 * a process privileged in the parent namespace; then setgroups(2) stays
 * allowed inside. mount_setattr(2) MOUNT_ATTR_IDMAP needs a detached mount,
 * which open_tree(2) OPEN_TREE_CLONE gives, and the fd of a user namespace
 * with maps. overlayfs accepts idmapped layers (Linux >= 5.19) and one
 * "lowerdir+" per layer (>= 6.8). */
#include "daemon/runtime/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/runtime/child.h"
#include "daemon/runtime/sync.h"

#define PROC_PATH_MAX 64

/* ---- parent: before clone3 ---- */

static const char *
ns_proc_name(int flag)
{
        switch (flag) {
        case CLONE_NEWNET:
                return "net";
        case CLONE_NEWIPC:
                return "ipc";
        case CLONE_NEWUTS:
                return "uts";
        case CLONE_NEWCGROUP:
                return "cgroup";
        default:
                return NULL;
        }
}

static const struct runtime_mount *
find_sysfs(const struct runtime_spec *spec)
{
        for (size_t i = 0; i < spec->n_mounts; i++)
                if (spec->mounts[i].type && strcmp(spec->mounts[i].type, "sysfs") == 0)
                        return &spec->mounts[i];
        return NULL;
}

/* A detached sysfs of the network namespace we are in, with the mount's
 * flags as attributes (the child only attaches it). */
static int
make_sysfs(const struct runtime_mount *m, int *ret_fd, struct ctr_error **err)
{
        _cleanup_close_ int fsfd = -1;
        unsigned attr = 0;
        int fd;

        if (m->flags & MS_RDONLY)
                attr |= MOUNT_ATTR_RDONLY;
        if (m->flags & MS_NOSUID)
                attr |= MOUNT_ATTR_NOSUID;
        if (m->flags & MS_NODEV)
                attr |= MOUNT_ATTR_NODEV;
        if (m->flags & MS_NOEXEC)
                attr |= MOUNT_ATTR_NOEXEC;
        fsfd = fsopen("sysfs", FSOPEN_CLOEXEC);
        if (fsfd < 0)
                return ctr_error_sys(err, errno, "fsopen `sysfs`");
        if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return ctr_error_sys(err, errno, "create a `sysfs` for %s", m->destination);
        fd = fsmount(fsfd, FSMOUNT_CLOEXEC, attr);
        if (fd < 0)
                return ctr_error_sys(err, errno, "fsmount `sysfs` for %s", m->destination);
        *ret_fd = fd;
        return 0;
}

int
runtime_userns_enter(const struct runtime_spec *spec, struct userns_saved *s, int *ret_sysfs_fd,
                     struct ctr_error **err)
{
        const struct runtime_mount *sysfs = find_sysfs(spec);

        *s = (struct userns_saved){ .n = 0 };
        *ret_sysfs_fd = -1;
        for (size_t i = 0; i < spec->n_namespaces; i++) {
                const struct runtime_namespace *ns = &spec->namespaces[i];
                const char *name = ns_proc_name(ns->flag);
                char own[PROC_PATH_MAX];
                _cleanup_close_ int fd = -1;

                if (!ns->path)
                        continue;
                if (!name || s->n >= ARRAY_SIZE(s->own_fds))
                        return ctr_error_msg(err, EINVAL, "joining `%s` with a new user namespace is not supported",
                                             ns->path);
                snprintf(own, sizeof(own), "/proc/self/ns/%s", name);
                s->own_fds[s->n] = open(own, O_RDONLY | O_CLOEXEC);
                if (s->own_fds[s->n] < 0)
                        return ctr_error_sys(err, errno, "open our %s namespace", name);
                s->flags[s->n] = ns->flag;
                s->n++;
                fd = open(ns->path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return ctr_error_sys(err, errno, "open namespace `%s`", ns->path);
                if (setns(fd, ns->flag) < 0)
                        return ctr_error_sys(err, errno, "join namespace `%s`", ns->path);
        }
        if (sysfs && !(runtime_spec_new_ns_flags(spec) & CLONE_NEWNET))
                return make_sysfs(sysfs, ret_sysfs_fd, err);
        return 0;
}

int
runtime_userns_leave(struct userns_saved *s, struct ctr_error **err)
{
        int r = 0;

        for (size_t i = s->n; i > 0; i--) {
                if (setns(s->own_fds[i - 1], s->flags[i - 1]) < 0 && r == 0)
                        r = ctr_error_sys(err, errno, "return to our own %s namespace",
                                          ns_proc_name(s->flags[i - 1]));
                s->own_fds[i - 1] = safe_close(s->own_fds[i - 1]);
        }
        s->n = 0;
        return r;
}

/* ---- parent: after "cgroup placed" ---- */

static int
write_map(pid_t pid, const char *file, const struct runtime_id_map *maps, size_t n, struct ctr_error **err)
{
        char path[PROC_PATH_MAX], text[RUNTIME_ID_MAPS_MAX * 36];
        _cleanup_close_ int fd = -1;
        size_t len = 0;
        ssize_t w;

        for (size_t i = 0; i < n; i++)
                len += (size_t) snprintf(text + len, sizeof(text) - len, "%u %u %u\n", maps[i].container_id,
                                         maps[i].host_id, maps[i].size);
        snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, file);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return ctr_error_sys(err, errno, "open `%s`", path);
        /* One write(2): the kernel takes the whole map at once or nothing. */
        w = write(fd, text, len);
        if (w < 0)
                return ctr_error_sys(err, errno, "write `%s` (%.*s)", path, (int) strcspn(text, "\n"), text);
        if ((size_t) w != len)
                return ctr_error_msg(err, EIO, "write `%s`: short write", path);
        return 0;
}

/* A detached copy of the mount tree at path (recursive: with its
 * submounts), idmapped through userns_fd unless userns_fd < 0. Made here
 * with host root's credentials either way: the child, already the
 * container's root, may not even be allowed to walk to path. */
static int
detached_clone(const char *path, bool recursive, int userns_fd, int *ret_fd, struct ctr_error **err)
{
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns_fd };
        _cleanup_close_ int fd = -1;

        fd = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
        if (fd < 0)
                return ctr_error_sys(err, errno, "open_tree `%s`", path);
        if (userns_fd >= 0 &&
            mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof(attr)) < 0)
                return ctr_error_sys(err, errno, "idmap the mount of `%s`%s", path,
                                     errno == EINVAL ? " (does its filesystem support idmapped mounts?)" : "");
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* The fs context's own messages say more than the errno (fsopen(2)). */
static int
fs_error(int fsfd, int errnum, const char *what, struct ctr_error **err)
{
        char buf[512];
        ssize_t n = read(fsfd, buf, sizeof(buf) - 1);

        if (n > 2) {
                buf[n] = 0;
                buf[strcspn(buf, "\n")] = 0;
                return ctr_error_msg(err, errnum, "%s: %s (%s)", what, strerror(errnum), buf + 2);
        }
        return ctr_error_sys(err, errnum, "%s", what);
}

/* The overlay root, mounted here with the monitor's credentials: overlayfs
 * then reads the layers' trusted.overlay.* xattrs (opaque dirs) as the
 * host's root, which a mount made inside the user namespace could not.
 * Each layer is an idmapped clone; the upper and work dirs are plain: the
 * daemon made them owned by the container's root, and overlayfs creates
 * files there with the caller's (mapped) ids. */
static void
close_all(int *fds, size_t n)
{
        for (size_t i = 0; i < n; i++)
                safe_close(fds[i]);
        free(fds);
}

/* The layer clones stay open until the overlay is made: closing the last
 * fd of a detached mount unmounts it, and overlayfs refuses a layer that
 * is no longer mounted. */
static int
overlay_config(int fsfd, const struct runtime_spec *spec, int userns_fd, int *layers, size_t *n,
               struct ctr_error **err)
{
        _cleanup_free_ char *lower = strdup(spec->overlay_lowerdir);
        char *save = NULL;

        if (!lower)
                return ctr_error_sys(err, ENOMEM, "mount the overlay");
        /* Top-most first, as in the lowerdir string. */
        for (char *dir = strtok_r(lower, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                char path[PROC_PATH_MAX];
                int r = detached_clone(dir, false, userns_fd, &layers[*n], err);

                if (r < 0)
                        return r;
                snprintf(path, sizeof(path), "/proc/self/fd/%d", layers[(*n)++]);
                if (fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir+", path, 0) < 0)
                        return fs_error(fsfd, errno, "overlay: add idmapped layer (needs Linux >= 6.8)", err);
        }
        if (spec->overlay_upperdir &&
            (fsconfig(fsfd, FSCONFIG_SET_STRING, "upperdir", spec->overlay_upperdir, 0) < 0 ||
             fsconfig(fsfd, FSCONFIG_SET_STRING, "workdir", spec->overlay_workdir, 0) < 0))
                return fs_error(fsfd, errno, "overlay: upper and work dirs", err);
        if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return fs_error(fsfd, errno, "create the overlay over idmapped layers", err);
        return 0;
}

static int
make_overlay(const struct runtime_spec *spec, int userns_fd, int *ret_fd, struct ctr_error **err)
{
        size_t max = 1, n = 0;
        _cleanup_close_ int fsfd = -1;
        int *layers, fd, r;

        for (const char *c = spec->overlay_lowerdir; (c = strchr(c, ':')); c++)
                max++;
        layers = calloc(max, sizeof(int));
        if (!layers)
                return ctr_error_sys(err, ENOMEM, "mount the overlay");
        fsfd = fsopen("overlay", FSOPEN_CLOEXEC);
        if (fsfd < 0)
                r = ctr_error_sys(err, errno, "fsopen `overlay`");
        else
                r = overlay_config(fsfd, spec, userns_fd, layers, &n, err);
        if (r >= 0) {
                fd = fsmount(fsfd, FSMOUNT_CLOEXEC, 0);
                if (fd < 0)
                        r = ctr_error_sys(err, errno, "fsmount the overlay");
                else
                        *ret_fd = fd;
        }
        close_all(layers, n);
        return r;
}

/* Binds of directories and files are made here (the child may not reach
 * their sources); device nodes and sockets keep a plain bind by the child
 * (their access is by mode, and devtmpfs has no idmapping). */
static bool
bind_is_premade(const struct runtime_mount *m)
{
        struct stat st;

        return m->bind && stat(m->source, &st) == 0 && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode));
}

static int
send_mount(int sync_fd, int32_t index, int fd, const char *what, struct ctr_error **err)
{
        int r = sync_send_mount(sync_fd, index, fd);

        if (r < 0)
                return ctr_error_sys(err, -r, "send the idmapped mount of `%s`", what);
        return 0;
}

int
runtime_userns_setup(const struct runtime_spec *spec, pid_t pid, int sync_fd, struct ctr_error **err)
{
        _cleanup_close_ int userns_fd = -1, root = -1;
        char path[PROC_PATH_MAX];
        int r;

        r = write_map(pid, "uid_map", spec->uid_maps, spec->n_uid_maps, err);
        if (r >= 0)
                r = write_map(pid, "gid_map", spec->gid_maps, spec->n_gid_maps, err);
        if (r < 0)
                return r;
        /* The child is ours and not reaped: its pid cannot be reused. */
        snprintf(path, sizeof(path), "/proc/%d/ns/user", (int) pid);
        userns_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (userns_fd < 0)
                return ctr_error_sys(err, errno, "open `%s`", path);
        if (spec->overlay_lowerdir)
                r = make_overlay(spec, userns_fd, &root, err);
        else
                r = detached_clone(spec->root_path, true, userns_fd, &root, err);
        if (r >= 0)
                r = send_mount(sync_fd, -1, root, spec->root_path, err);
        for (size_t i = 0; r >= 0 && i < spec->n_mounts; i++) {
                const struct runtime_mount *m = &spec->mounts[i];
                _cleanup_close_ int fd = -1;

                if (!bind_is_premade(m))
                        continue;
                /* Idmapped only when asked ("idmap" option: the daemon's own
                 * files, `-v SRC:DST:idmap`): through an idmapped volume the
                 * container's root writes as host uid 0. Otherwise the
                 * container's root writes as its mapped uid, and host files
                 * show as the overflow uid, as with Docker's userns-remap. */
                r = detached_clone(m->source, m->recursive, m->idmap ? userns_fd : -1, &fd, err);
                if (r >= 0)
                        r = send_mount(sync_fd, (int32_t) i, fd, m->source, err);
        }
        if (r < 0)
                return r;
        r = sync_send(sync_fd, SYNC_ID_MAPPED);
        if (r < 0)
                return ctr_error_sys(err, -r, "tell the container init its id maps are written");
        return 0;
}

/* ---- child ---- */

static bool
maps_root(const struct runtime_id_map *maps, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (maps[i].container_id == 0)
                        return true;
        return false;
}

/* Why right after "cgroup": nothing before needs the maps; everything
 * after creates files or mounts, which must belong to the container's
 * root, not to the unmapped host root (seen inside as the overflow uid).
 * root.path is opened first, while our ids are still the host's: its
 * parent dirs are private to the host's root. */
int
child_userns(struct child_ctx *ctx, struct ctr_error **err)
{
        const struct runtime_spec *s = ctx->spec;

        if (!(ctx->new_ns & CLONE_NEWUSER))
                return 0;
        ctx->mount_fds = malloc((s->n_mounts + 1) * sizeof(int));
        if (!ctx->mount_fds)
                return ctr_error_sys(err, ENOMEM, "receive the idmapped mounts");
        for (size_t i = 0; i < s->n_mounts; i++)
                ctx->mount_fds[i] = -1;
        for (;;) {
                struct sync_msg m;
                int fd, r;

                r = sync_recv_fd(ctx->sync_fd, &m, &fd);
                if (r < 0)
                        _exit(125); /* the parent gave up on us */
                if (m.kind == SYNC_ID_MAPPED) {
                        safe_close(fd);
                        break;
                }
                if (m.kind != SYNC_IDMAPPED_MOUNT || fd < 0 || m.index < -1 || m.index >= (int32_t) s->n_mounts) {
                        safe_close(fd);
                        return ctr_error_msg(err, EPROTO, "unexpected sync message %u", m.kind);
                }
                if (m.index < 0)
                        ctx->root_mount_fd = fd;
                else
                        ctx->mount_fds[m.index] = fd;
        }
        ctx->root_dir_fd = open(s->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (ctx->root_dir_fd < 0)
                return ctr_error_sys(err, errno, "open `%s`", s->root_path);
        if (!maps_root(s->uid_maps, s->n_uid_maps) || !maps_root(s->gid_maps, s->n_gid_maps))
                return 0;
        if (setgroups(0, NULL) < 0)
                return ctr_error_sys(err, errno, "drop the supplementary groups");
        if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                return ctr_error_sys(err, errno, "become root of the user namespace");
        return 0;
}
