/* Identifier generation and validation. */
#include "id.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>

int
id_generate(char out[static ID_HEX_LEN + 1])
{
        static const char hex[] = "0123456789abcdef";
        unsigned char raw[ID_HEX_LEN / 2];
        size_t got = 0;

        while (got < sizeof(raw)) {
                ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                got += (size_t) n;
        }
        for (size_t i = 0; i < sizeof(raw); i++) {
                out[2 * i] = hex[raw[i] >> 4];
                out[2 * i + 1] = hex[raw[i] & 15];
        }
        out[ID_HEX_LEN] = 0;
        return 0;
}

static bool
is_lower_hex(const char *s, size_t min, size_t max)
{
        size_t n = 0;

        if (!s)
                return false;
        for (; s[n]; n++)
                if (!isdigit((unsigned char) s[n]) && !(s[n] >= 'a' && s[n] <= 'f'))
                        return false;
        return n >= min && n <= max;
}

bool
id_is_valid(const char *s)
{
        return is_lower_hex(s, ID_HEX_LEN, ID_HEX_LEN);
}

bool
id_prefix_is_valid(const char *s)
{
        return is_lower_hex(s, 1, ID_HEX_LEN);
}

bool
name_is_valid(const char *s)
{
        size_t n;

        if (!s || !isalnum((unsigned char) s[0]))
                return false;
        for (n = 1; s[n]; n++)
                if (!isalnum((unsigned char) s[n]) && !strchr("_.-", s[n]))
                        return false;
        return n <= NAME_MAX_LEN;
}
