/* Image references ("name[:tag]") following Docker's reference grammar:
 * lower-case path components with ".", "_", "__" or "-"+ separators, an
 * optional registry host[:port] first component, a tag of [\w][\w.-]{0,127}.
 * Digest references ("name@sha256:...") are rejected for now. */
#include "daemon/image/image.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#define REF_NAME_MAX 255
#define REF_TAG_MAX 128

static bool
is_lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* */
static bool
path_component_is_valid(const char *s, size_t n)
{
        size_t i = 0;

        if (n == 0 || !is_lower_alnum(s[0]))
                return false;
        while (i < n) {
                size_t j = i + 1;

                if (is_lower_alnum(s[i])) {
                        i++;
                        continue;
                }
                if (s[i] == '_' && j < n && s[j] == '_')
                        j++;
                else if (s[i] == '-')
                        while (j < n && s[j] == '-')
                                j++;
                else if (s[i] != '.' && s[i] != '_')
                        return false;
                if (j >= n || !is_lower_alnum(s[j]))
                        return false;
                i = j;
        }
        return true;
}

/* host[:port]: [A-Za-z0-9.-]+ with an optional decimal port. */
static bool
domain_is_valid(const char *s, size_t n)
{
        size_t i = 0;

        while (i < n && (isalnum((unsigned char) s[i]) || s[i] == '.' || s[i] == '-'))
                i++;
        if (i == 0 || !isalnum((unsigned char) s[0]) || !isalnum((unsigned char) s[i - 1]))
                return false;
        if (i == n)
                return true;
        if (s[i] != ':' || i + 1 == n || n - i - 1 > 5)
                return false;
        for (i++; i < n; i++)
                if (!isdigit((unsigned char) s[i]))
                        return false;
        return true;
}

static bool
name_is_reference(const char *s, size_t n)
{
        const char *end = s + n, *p = s;
        bool first = true;

        if (n == 0 || n > REF_NAME_MAX)
                return false;
        while (p <= end) {
                const char *slash = memchr(p, '/', (size_t) (end - p));
                size_t len = slash ? (size_t) (slash - p) : (size_t) (end - p);

                if (first && slash && (memchr(p, '.', len) || memchr(p, ':', len) ||
                                       (len == 9 && memcmp(p, "localhost", 9) == 0))) {
                        if (!domain_is_valid(p, len))
                                return false;
                } else if (!path_component_is_valid(p, len))
                        return false;
                first = false;
                if (!slash)
                        break;
                p = slash + 1;
        }
        return true;
}

static bool
tag_is_valid(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > REF_TAG_MAX || !(isalnum((unsigned char) s[0]) || s[0] == '_'))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && !strchr("_.-", s[i]))
                        return false;
        return true;
}

int
image_parse_ref(const char *ref, char **ret_name, char **ret_tag, struct ctr_error **err)
{
        _cleanup_free_ char *name = NULL, *tag = NULL;
        const char *colon, *slash;

        if (!ref || !*ref)
                return ctr_error_msg(err, EINVAL, "empty image reference");
        if (strchr(ref, '@'))
                return ctr_error_msg(err, EINVAL, "invalid image reference `%s`: digest references are not supported",
                                     ref);
        colon = strrchr(ref, ':');
        slash = strrchr(ref, '/');
        if (colon && slash && colon < slash)
                colon = NULL;
        name = colon ? strndup(ref, (size_t) (colon - ref)) : strdup(ref);
        tag = strdup(colon ? colon + 1 : "latest");
        if (!name || !tag)
                return ctr_error_msg(err, ENOMEM, "out of memory");
        if (!name_is_reference(name, strlen(name)))
                return ctr_error_msg(err, EINVAL,
                                     "invalid image name `%s`: use lower-case letters, digits and separators (. _ -)",
                                     name);
        if (!tag_is_valid(tag))
                return ctr_error_msg(err, EINVAL, "invalid image tag `%s`", tag);
        if (ret_name)
                *ret_name = TAKE_PTR(name);
        if (ret_tag)
                *ret_tag = TAKE_PTR(tag);
        return 0;
}
