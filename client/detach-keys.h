/* Detach keys: the Docker-syntax spec parser ("ctrl-p,ctrl-q", "none")
 * and the state machine that watches stdin for the sequence. Pure code:
 * no I/O, no clock of its own (callers pass now_ms), so it is unit-tested
 * without a terminal. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define DETACH_KEYS_MAX 16
#define DETACH_KEYS_DEFAULT "ctrl-p,ctrl-q"
/* A held (partially typed) sequence is passed through after this long. */
#define DETACH_KEYS_TIMEOUT_MS 500

struct detach_keys {
        uint8_t keys[DETACH_KEYS_MAX];
        size_t n; /* 0: detaching disabled ("none") */
};

/* Parses a spec: "none", or comma-separated keys, each a single ASCII
 * character or ctrl-X with X one of a-z @ [ \ ] ^ _ (case-insensitive,
 * as Docker). Fills *ret; -EINVAL with *err set on a bad spec. */
int detach_keys_parse(const char *spec, struct detach_keys *ret, struct ctr_error **err);

/* The watcher. keys[0] is the prefix: typed twice in a row it sends one
 * literal prefix (as tmux and screen do); a held partial sequence is sent
 * on as typed once DETACH_KEYS_TIMEOUT_MS pass without the next key. */
struct detach_state {
        struct detach_keys keys;
        size_t matched;      /* keys[0..matched) typed and held back */
        int64_t deadline_ms; /* when the held keys are passed through */
};

void detach_state_init(struct detach_state *s, const struct detach_keys *keys);

/* Feeds n input bytes read at now_ms. The bytes to forward are written to
 * out, which must hold n + DETACH_KEYS_MAX bytes; *ret_out_len gets their
 * number. Returns true if the detach sequence was completed (the input
 * after it is dropped), false otherwise. */
bool detach_state_feed(struct detach_state *s, const uint8_t *in, size_t n, int64_t now_ms,
                       uint8_t *out, size_t *ret_out_len);

/* If the held keys' deadline has passed (or force, e.g. at stdin EOF),
 * writes them to out (DETACH_KEYS_MAX bytes) and returns their number;
 * else 0. */
size_t detach_state_expire(struct detach_state *s, int64_t now_ms, bool force, uint8_t *out);

/* Milliseconds until the held keys expire, for poll(): -1 when nothing is
 * held, 0 when due. */
int detach_state_timeout(const struct detach_state *s, int64_t now_ms);
