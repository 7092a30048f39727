/* The detach-keys spec parser and the stdin state machine (see
 * detach-keys.h). No I/O and no clock reads here: the stream loop owns
 * both, which keeps the timeout behaviour testable. */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "client/detach-keys.h"

/* ctrl-X for X in a-z @ [ \ ] ^ _, or -1. */
static int
ctrl_code(char x)
{
        x = (char) tolower((unsigned char) x);
        if (x >= 'a' && x <= 'z')
                return x - 'a' + 1;
        switch (x) {
        case '@':
                return 0;
        case '[':
                return 27;
        case '\\':
                return 28;
        case ']':
                return 29;
        case '^':
                return 30;
        case '_':
                return 31;
        default:
                return -1;
        }
}

static int
bad_key(const char *spec, const char *key, size_t len, struct ctr_error **err)
{
        return ctr_error_msg(err, EINVAL,
                             "invalid detach keys '%s': unknown key '%.*s' (use comma-separated "
                             "keys, each a single character or ctrl-<a-z, @, [, \\, ], ^, _>, "
                             "or 'none')",
                             spec, (int) len, key);
}

int
detach_keys_parse(const char *spec, struct detach_keys *ret, struct ctr_error **err)
{
        struct detach_keys k = {};
        const char *p = spec;

        if (!spec || !*spec)
                return ctr_error_msg(err, EINVAL,
                                     "invalid detach keys '': empty (use e.g. 'ctrl-p,ctrl-q' or 'none')");
        if (strcmp(spec, "none") == 0) {
                *ret = k;
                return 0;
        }
        for (;;) {
                const char *comma = strchr(p, ',');
                size_t len = comma ? (size_t) (comma - p) : strlen(p);
                int code;

                if (len == 1 && (unsigned char) p[0] < 0x80)
                        code = (unsigned char) p[0];
                else if (len == 6 && strncasecmp(p, "ctrl-", 5) == 0 && (code = ctrl_code(p[5])) >= 0)
                        ;
                else
                        return bad_key(spec, p, len, err);
                if (k.n == DETACH_KEYS_MAX)
                        return ctr_error_msg(err, EINVAL,
                                             "invalid detach keys '%s': more than %d keys", spec,
                                             DETACH_KEYS_MAX);
                k.keys[k.n++] = (uint8_t) code;
                if (!comma)
                        break;
                p = comma + 1;
        }
        *ret = k;
        return 0;
}

void
detach_state_init(struct detach_state *s, const struct detach_keys *keys)
{
        *s = (struct detach_state) { .keys = *keys };
}

static size_t
take_held(struct detach_state *s, uint8_t *out)
{
        size_t n = s->matched;

        memcpy(out, s->keys.keys, n);
        s->matched = 0;
        return n;
}

size_t
detach_state_expire(struct detach_state *s, int64_t now_ms, bool force, uint8_t *out)
{
        if (s->matched == 0 || (!force && now_ms < s->deadline_ms))
                return 0;
        return take_held(s, out);
}

int
detach_state_timeout(const struct detach_state *s, int64_t now_ms)
{
        if (s->matched == 0)
                return -1;
        if (now_ms >= s->deadline_ms)
                return 0;
        return (int) (s->deadline_ms - now_ms);
}

bool
detach_state_feed(struct detach_state *s, const uint8_t *in, size_t n, int64_t now_ms,
                  uint8_t *out, size_t *ret_out_len)
{
        const uint8_t *k = s->keys.keys;
        size_t o;

        /* Keys held past their deadline go first, whatever follows. */
        o = detach_state_expire(s, now_ms, false, out);
        for (size_t i = 0; i < n; i++) {
                uint8_t b = in[i];

                if (s->keys.n == 0) {
                        out[o++] = b;
                        continue;
                }
                if (b == k[s->matched]) {
                        if (++s->matched == s->keys.n) {
                                s->matched = 0;
                                *ret_out_len = o;
                                return true;
                        }
                        s->deadline_ms = now_ms + DETACH_KEYS_TIMEOUT_MS;
                        continue;
                }
                if (s->matched == 1 && b == k[0]) {
                        /* The prefix twice: one literal prefix. */
                        out[o++] = b;
                        s->matched = 0;
                        continue;
                }
                o += take_held(s, out + o);
                if (b == k[0]) {
                        s->matched = 1; /* keys.n > 1 here, else it matched above */
                        s->deadline_ms = now_ms + DETACH_KEYS_TIMEOUT_MS;
                        continue;
                }
                out[o++] = b;
        }
        *ret_out_len = o;
        return false;
}
