/* Entry name checks for the unpacker. Security relevant: everything that
 * is rejected here never reaches openat2(); everything accepted is still
 * resolved with RESOLVE_IN_ROOT, so this is the first of two walls. */
#include "archive-path.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/macros.h"

int
archive_path_normalize(const char *name, char **ret, const char **ret_reason)
{
        _cleanup_free_ char *out = NULL;
        size_t len, o = 0, depth = 0;
        const char *p;

        if (!name || !*name) {
                *ret_reason = "empty name";
                return -EINVAL;
        }
        len = strlen(name);
        if (len >= PATH_MAX) {
                *ret_reason = "name longer than PATH_MAX";
                return -EINVAL;
        }
        /* "/" alone is the layer's root dir (umoci insert writes it, tar
         * reads it so); any other absolute name is hostile. */
        if (name[0] == '/' && name[strspn(name, "/")] != 0) {
                *ret_reason = "absolute path";
                return -EINVAL;
        }
        out = malloc(len + 1);
        if (!out) {
                *ret_reason = "out of memory";
                return -ENOMEM;
        }
        for (p = name; *p;) {
                size_t n = strcspn(p, "/");

                if (n == 2 && p[0] == '.' && p[1] == '.') {
                        *ret_reason = "`..` component";
                        return -EINVAL;
                }
                if (n > 0 && !(n == 1 && p[0] == '.')) {
                        if (++depth > ARCHIVE_PATH_MAX_DEPTH) {
                                *ret_reason = "path too deep";
                                return -EINVAL;
                        }
                        if (o > 0)
                                out[o++] = '/';
                        memcpy(out + o, p, n);
                        o += n;
                }
                p += n;
                while (*p == '/')
                        p++;
        }
        out[o] = 0;
        *ret = TAKE_PTR(out);
        return 0;
}
