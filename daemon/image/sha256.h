/* SHA-256 (FIPS 180-4), streaming. Owns nothing but the context it is
 * given: no globals, safe to use from any thread. Used to compute image
 * digests while an archive is read. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32
#define SHA256_HEX_SIZE (2 * SHA256_DIGEST_SIZE + 1)

struct sha256_ctx {
        uint32_t h[8];
        uint64_t len;     /* total bytes hashed */
        uint8_t buf[64];
        size_t buf_len;
};

void sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
void sha256_final(struct sha256_ctx *c, uint8_t out[static SHA256_DIGEST_SIZE]);
/* Lower-case hex of a digest into out (SHA256_HEX_SIZE bytes). Returns out. */
char *sha256_to_hex(const uint8_t d[static SHA256_DIGEST_SIZE], char out[static SHA256_HEX_SIZE]);
