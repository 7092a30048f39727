/* Unit tests for client/detach-keys.c (spec parser, detach state machine
 * with an injected clock) and client/config.c (config file lookup and the
 * detach-keys precedence chain). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/config.h"
#include "client/detach-keys.h"
#include "tests/unit/tap.h"

static void
good(const char *spec, const char *want, size_t want_n)
{
        struct ctr_error *err = NULL;
        struct detach_keys k = { .n = 99 };
        int r = detach_keys_parse(spec, &k, &err);

        ok(r == 0 && k.n == want_n && memcmp(k.keys, want, want_n) == 0, "parse '%s'%s%s", spec,
           err ? ": " : "", err ? err->message : "");
        ctr_error_free(err);
}

static void
bad(const char *spec, const char *needle)
{
        struct ctr_error *err = NULL;
        struct detach_keys k = {};
        int r = detach_keys_parse(spec, &k, &err);

        ok(r == -EINVAL && err && strstr(err->message, needle), "reject '%s': %s", spec,
           err ? err->message : "(no error)");
        ctr_error_free(err);
}

static void
test_parse(void)
{
        good("ctrl-p,ctrl-q", "\x10\x11", 2);
        good("ctrl-P,CTRL-Q", "\x10\x11", 2);
        good("none", "", 0);
        good("ctrl-a", "\x01", 1);
        good("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_", "\x00\x1b\x1c\x1d\x1e\x1f", 6);
        good("a,b,c", "abc", 3);
        good("ctrl-z,x", "\x1a" "x", 2);
        good("ctrl-a,ctrl-a", "\x01\x01", 2);
        good("-", "-", 1);

        bad("", "empty");
        bad("ctrl-p,", "unknown key ''");
        bad(",ctrl-q", "unknown key ''");
        bad("ctrl-p,,ctrl-q", "unknown key ''");
        bad("ctrl-1", "unknown key 'ctrl-1'");
        bad("ctrl-", "unknown key 'ctrl-'");
        bad("ctrl-pq", "unknown key 'ctrl-pq'");
        bad("alt-x", "unknown key 'alt-x'");
        bad("ctrl-p, ctrl-q", "unknown key ' ctrl-q'");
        bad("é", "unknown key");
        bad("NONE", "unknown key 'NONE'");
        bad("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", "more than 16 keys");
}

/* Feeds s at t, returns the forwarded bytes as a string (static buffer). */
static const char *
feed(struct detach_state *s, const char *in, int64_t t, bool *ret_detach)
{
        static char out[256];
        size_t n = 0;
        bool d;

        d = detach_state_feed(s, (const uint8_t *) in, strlen(in), t, (uint8_t *) out, &n);
        out[n] = '\0';
        if (ret_detach)
                *ret_detach = d;
        return out;
}

static void
test_state(void)
{
        struct detach_keys k;
        struct detach_state s;
        uint8_t out[DETACH_KEYS_MAX];
        bool d;

        /* "ctrl-p,ctrl-q" spelled with printable stand-ins: P then Q. */
        k = (struct detach_keys) { .keys = { 'P', 'Q' }, .n = 2 };
        detach_state_init(&s, &k);
        is_str(feed(&s, "hello", 0, &d), "hello", "plain bytes pass");
        ok(!d, "no detach on plain bytes");
        is_int(detach_state_timeout(&s, 0), -1, "nothing held: no timeout");

        is_str(feed(&s, "abPQxyz", 0, &d), "ab", "bytes before the sequence pass, after it dropped");
        ok(d, "sequence in one read detaches");
        is_int(s.matched, 0, "state reset after detach");

        detach_state_init(&s, &k);
        is_str(feed(&s, "P", 1000, &d), "", "prefix held");
        ok(!d, "prefix alone does not detach");
        is_int(detach_state_timeout(&s, 1000), 500, "timeout 500 ms after the prefix");
        is_int(detach_state_timeout(&s, 1300), 200, "200 ms left");
        is_str(feed(&s, "Q", 1400, &d), "", "second key within the timeout");
        ok(d, "split sequence detaches");

        detach_state_init(&s, &k);
        feed(&s, "P", 1000, &d);
        is_int(detach_state_expire(&s, 1499, false, out), 0, "not expired at 499 ms");
        is_int(detach_state_expire(&s, 1500, false, out), 1, "expired at 500 ms");
        is_int(out[0], 'P', "held prefix passed through");
        is_int(detach_state_timeout(&s, 1500), -1, "nothing held after expiry");
        is_str(feed(&s, "Q", 1600, &d), "Q", "second key after expiry is a plain byte");
        ok(!d, "no detach after expiry");

        detach_state_init(&s, &k);
        feed(&s, "P", 0, NULL);
        is_str(feed(&s, "Q", 700, &d), "PQ", "late second key: held prefix flushed by feed itself");
        ok(!d, "late second key does not detach");

        detach_state_init(&s, &k);
        is_str(feed(&s, "PP", 0, &d), "P", "prefix twice sends one literal prefix");
        ok(!d && s.matched == 0, "and holds nothing");
        is_str(feed(&s, "PPPP", 0, &d), "PP", "four prefixes: two literals");
        is_str(feed(&s, "PPPQ", 0, &d), "P", "literal prefix then a sequence");
        ok(d, "... which detaches");

        detach_state_init(&s, &k);
        is_str(feed(&s, "Px", 0, &d), "Px", "prefix then another key: both pass");
        is_str(feed(&s, "P", 0, &d), "", "held");
        is_str(feed(&s, "\r", 100, &d), "P\r", "held prefix released in order");

        detach_state_init(&s, &k);
        feed(&s, "P", 0, NULL);
        is_int(detach_state_expire(&s, 1, true, out), 1, "forced expiry at EOF");

        /* none: everything passes, never a timeout. */
        k = (struct detach_keys) {};
        detach_state_init(&s, &k);
        is_str(feed(&s, "\x10\x11PQ", 0, &d), "\x10\x11PQ", "none: all bytes pass");
        ok(!d, "none: never detaches");
        is_int(detach_state_timeout(&s, 0), -1, "none: no timeout");

        /* One key: detaches at once. */
        k = (struct detach_keys) { .keys = { 'A' }, .n = 1 };
        detach_state_init(&s, &k);
        is_str(feed(&s, "xAy", 0, &d), "x", "single key detaches");
        ok(d, "single key: detach");

        /* Three keys; a mismatch on the third releases the first two. */
        k = (struct detach_keys) { .keys = { 'a', 'b', 'c' }, .n = 3 };
        detach_state_init(&s, &k);
        is_str(feed(&s, "abx", 0, &d), "abx", "three keys: mismatch releases the held two");
        is_str(feed(&s, "aba", 0, &d), "ab", "mismatch that restarts the sequence");
        is_int(s.matched, 1, "... holds the new prefix");
        is_str(feed(&s, "bc", 100, &d), "", "and completes");
        ok(d, "three keys detach");
        detach_state_init(&s, &k);
        feed(&s, "a", 0, NULL);
        feed(&s, "b", 100, NULL);
        is_int(detach_state_timeout(&s, 100), 500, "deadline moves with each key");
        is_int(detach_state_expire(&s, 599, false, out), 0, "not yet at 599 ms");
        is_int(detach_state_expire(&s, 600, false, out), 2, "two held keys expire together");

        /* Sequence whose two keys are equal: the second completes it. */
        k = (struct detach_keys) { .keys = { 'P', 'P' }, .n = 2 };
        detach_state_init(&s, &k);
        is_str(feed(&s, "PP", 0, &d), "", "ctrl-p,ctrl-p detaches on the second press");
        ok(d, "equal keys: detach");
}

static char *
write_tmp(const char *content)
{
        char *path = strdup("/tmp/test-client-detach-XXXXXX");
        int fd = mkstemp(path);

        if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t) strlen(content))
                abort();
        close(fd);
        return path;
}

static void
test_config(void)
{
        char *user = write_tmp("# comment\n\n  other = 1\ndetach_keys =  ctrl-a,d  \n");
        char *sys = write_tmp("detach_keys=ctrl-x\n");
        char *badf = write_tmp("detach_keys = ctrl-1\n");
        char *malformed = write_tmp("just words\n");
        struct ctr_error *err = NULL;
        struct detach_keys k;
        char *v = NULL;

        is_int(client_config_get(user, "detach_keys", &v, &err), 1, "config key found");
        is_str(v, "ctrl-a,d", "value trimmed");
        free(v);
        is_int(client_config_get(user, "missing", &v, &err), 0, "missing key");
        is_int(client_config_get("/nonexistent/x.conf", "detach_keys", &v, &err), 0,
               "missing file is not an error");
        is_int(client_config_get(malformed, "detach_keys", &v, &err), -EINVAL, "malformed line");
        ok(err && strstr(err->message, ":1: expected 'key = value'"), "error names the line: %s",
           err ? err->message : "");
        ctr_error_free(err);
        err = NULL;

        ok(client_detach_keys_resolve("ctrl-b", "ctrl-c", user, sys, &k, &err) == 0 && k.n == 1 &&
           k.keys[0] == 2, "flag wins");
        ok(client_detach_keys_resolve(NULL, "ctrl-c", user, sys, &k, &err) == 0 && k.n == 1 &&
           k.keys[0] == 3, "env next");
        ok(client_detach_keys_resolve(NULL, "", user, sys, &k, &err) == 0 && k.n == 2 &&
           k.keys[0] == 1 && k.keys[1] == 'd', "empty env ignored; user file next");
        ok(client_detach_keys_resolve(NULL, NULL, "/nonexistent", sys, &k, &err) == 0 &&
           k.n == 1 && k.keys[0] == 24, "system file next");
        ok(client_detach_keys_resolve(NULL, NULL, NULL, NULL, &k, &err) == 0 && k.n == 2 &&
           k.keys[0] == 16 && k.keys[1] == 17, "built-in ctrl-p,ctrl-q last");
        ok(client_detach_keys_resolve("none", NULL, NULL, NULL, &k, &err) == 0 && k.n == 0,
           "flag none");

        is_int(client_detach_keys_resolve(NULL, "bogus", NULL, NULL, &k, &err), -EINVAL, "bad env");
        ok(err && strncmp(err->message, "CONTAINERCTL_DETACH_KEYS: invalid detach keys 'bogus'", 53) == 0,
           "bad env names its source: %s", err ? err->message : "");
        ctr_error_free(err);
        err = NULL;
        is_int(client_detach_keys_resolve(NULL, NULL, badf, sys, &k, &err), -EINVAL, "bad file");
        ok(err && strstr(err->message, badf) && strstr(err->message, "'ctrl-1'"),
           "bad file names the file: %s", err ? err->message : "");
        ctr_error_free(err);
        err = NULL;

        unlink(user);
        unlink(sys);
        unlink(badf);
        unlink(malformed);
        free(user);
        free(sys);
        free(badf);
        free(malformed);
}

int
main(void)
{
        test_parse();
        test_state();
        test_config();
        return tap_done();
}
