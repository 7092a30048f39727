/* Resolves the command like execvp(3) would, in the container's PATH (from
 * process.env), without executing it, so "not found" (127) and "not
 * executable" (126) are known before the init waits for start. Pure code
 * apart from stat/access; runs in the child (and the unit test). */
#include "daemon/runtime/child.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* 0 if path is a regular file we may execute, else -ENOENT or -EACCES. */
static int
check_executable(const char *path)
{
        struct stat st;

        if (stat(path, &st) < 0)
                return errno == ENOENT || errno == ENOTDIR ? -ENOENT : -EACCES;
        if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0)
                return -EACCES;
        return 0;
}

int
runtime_find_executable(const char *name, char *const *env, char **ret)
{
        const char *path = DEFAULT_PATH;
        bool saw_eacces = false;
        int r;

        if (!name || !name[0])
                return -ENOENT;
        if (strchr(name, '/')) {
                r = check_executable(name);
                if (r < 0)
                        return r;
                *ret = strdup(name);
                return *ret ? 0 : -ENOMEM;
        }
        for (char *const *e = env; e && *e; e++)
                if (strncmp(*e, "PATH=", 5) == 0)
                        path = *e + 5;
        for (const char *p = path;;) {
                const char *colon = strchrnul(p, ':');
                _cleanup_free_ char *candidate = NULL;
                int len = (int) (colon - p);

                /* An empty PATH element means the current directory. */
                if (asprintf(&candidate, "%.*s%s%s", len, p, len ? "/" : "./", name) < 0)
                        return -ENOMEM;
                r = check_executable(candidate);
                if (r == 0) {
                        *ret = TAKE_PTR(candidate);
                        return 0;
                }
                if (r == -EACCES)
                        saw_eacces = true;
                if (!*colon)
                        break;
                p = colon + 1;
        }
        return saw_eacces ? -EACCES : -ENOENT;
}
