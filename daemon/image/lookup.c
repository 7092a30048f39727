/* Views of an image's merged tree without mounting it: the overlayfs
 * lowerdir string, and reading one file (etc/passwd for a user name) the
 * way overlayfs would show it — from the top-most layer that has it,
 * stopping at a whiteout or an opaque directory. Every lookup goes through
 * openat2(RESOLVE_IN_ROOT) below the layer dir, so a hostile symlink in a
 * layer cannot make the daemon read a host file. */
#include "daemon/image/image.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/fs-util.h"

/* True if layer i's dir also appears above it. */
static bool
layer_repeated_above(const struct image *img, size_t i)
{
        for (size_t k = i + 1; k < img->n_layers; k++)
                if (strcmp(img->layers[k].dir, img->layers[i].dir) == 0)
                        return true;
        return false;
}

char *
image_lowerdir(const struct image *img)
{
        size_t len = 1;
        char *s, *p;

        for (size_t i = 0; i < img->n_layers; i++)
                len += strlen(img->layers[i].dir) + 1;
        s = p = malloc(len);
        if (!s)
                return NULL;
        *p = 0;
        /* overlayfs stacks the leftmost lowerdir on top. A layer listed
         * twice (identical empty layers are common) is one dir in the store
         * and overlayfs refuses a dir twice; the upper copy alone gives the
         * same tree, since it repeats every file and whiteout of the lower. */
        for (size_t i = img->n_layers; i > 0; i--) {
                if (layer_repeated_above(img, i - 1))
                        continue;
                if (p != s)
                        *p++ = ':';
                p = stpcpy(p, img->layers[i - 1].dir);
        }
        return s;
}

static int
open_beneath(int root_fd, const char *path, uint64_t flags)
{
        struct open_how how = {
                .flags = flags | O_CLOEXEC | O_NOFOLLOW,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV |
                           RESOLVE_NO_SYMLINKS,
        };
        long fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));

        return fd < 0 ? -errno : (int) fd;
}

static bool
is_whiteout(const struct stat *st)
{
        return S_ISCHR(st->st_mode) && st->st_rdev == 0;
}

/* What one layer says about path: 1 and *ret_fd if it has the file, 0 if
 * it says nothing (look further down), -ENOENT if it hides it (whiteout,
 * opaque parent, or a non-directory where a parent should be). */
static int
layer_lookup(const char *layer_dir, const char *path, int *ret_fd)
{
        _cleanup_close_ int root = open(layer_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *prefix = strdup(path);
        struct stat st;
        char *slash;
        int fd;

        if (root < 0 || !prefix)
                return root < 0 ? -errno : -ENOMEM;
        /* Parents first, top-down: an opaque or replaced parent in this
         * layer hides everything of lower layers below it. */
        for (slash = strchr(prefix, '/'); slash; slash = strchr(slash + 1, '/')) {
                char opaque[2];
                _cleanup_close_ int dfd = -1;

                *slash = 0;
                dfd = open_beneath(root, prefix, O_RDONLY);
                *slash = '/';
                if (dfd == -ENOENT)
                        return 0;
                if (dfd < 0 || fstat(dfd, &st) < 0)
                        return -ENOENT;
                if (!S_ISDIR(st.st_mode))
                        return -ENOENT;
                if (fgetxattr(dfd, "trusted.overlay.opaque", opaque, sizeof(opaque)) == 1 &&
                    opaque[0] == 'y') {
                        /* Opaque: this layer has the last word below here. */
                        fd = open_beneath(root, path, O_RDONLY);
                        if (fd < 0)
                                return -ENOENT;
                        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                                close(fd);
                                return -ENOENT;
                        }
                        *ret_fd = fd;
                        return 1;
                }
        }
        fd = open_beneath(root, path, O_PATH);
        if (fd == -ENOENT)
                return 0;
        if (fd < 0)
                return -ENOENT; /* a symlink (ELOOP) or worse: not followed */
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || is_whiteout(&st)) {
                close(fd);
                return -ENOENT;
        }
        close(fd);
        fd = open_beneath(root, path, O_RDONLY);
        if (fd < 0)
                return -ENOENT;
        *ret_fd = fd;
        return 1;
}

int
image_read_file(const struct image *img, const char *path, size_t max, char **ret)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r = 0;

        if (!path || !*path || path[0] == '/')
                return -EINVAL;
        for (size_t i = img->n_layers; i > 0 && r == 0; i--)
                r = layer_lookup(img->layers[i - 1].dir, path, &fd);
        if (r <= 0)
                return r < 0 ? r : -ENOENT;
        buf = malloc(max + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, buf + len, max + 1 - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        return 0;
}
