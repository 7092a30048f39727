/* SHA-256, streaming, backed by OpenSSL's libcrypto (which uses the CPU's
 * SHA extensions where there are some: every layer is hashed twice, so
 * this is on the import's critical path). Owns nothing but the context it
 * is given: no globals, nothing to free, safe to use from any thread. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32
#define SHA256_HEX_SIZE (2 * SHA256_DIGEST_SIZE + 1)

/* Opaque storage for OpenSSL's SHA256_CTX (112 bytes on every ABI we
 * build for; sha256.c checks it fits), so this header does not pull in
 * OpenSSL's headers or their deprecation warnings. */
struct sha256_ctx {
        _Alignas(8) unsigned char state[128];
};

void sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
void sha256_final(struct sha256_ctx *c, uint8_t out[static SHA256_DIGEST_SIZE]);
/* Lower-case hex of a digest into out (SHA256_HEX_SIZE bytes). Returns out. */
char *sha256_to_hex(const uint8_t d[static SHA256_DIGEST_SIZE], char out[static SHA256_HEX_SIZE]);
