/* SHA-256 through libcrypto's low-level SHA256_* calls: no allocation and
 * no EVP fetch per context (an EVP_MD_CTX would need a free, which the
 * callers' plain struct does not have). They are deprecated in OpenSSL 3
 * but kept, and they dispatch to the SHA-NI/AVX2 code like EVP does. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "sha256.h"

#include <openssl/sha.h>

_Static_assert(sizeof(SHA256_CTX) <= sizeof(((struct sha256_ctx *) 0)->state),
               "struct sha256_ctx too small for SHA256_CTX");
_Static_assert(_Alignof(SHA256_CTX) <= 8, "struct sha256_ctx under-aligned for SHA256_CTX");

static SHA256_CTX *
ctx(struct sha256_ctx *c)
{
        return (SHA256_CTX *) (void *) c->state;
}

void
sha256_init(struct sha256_ctx *c)
{
        SHA256_Init(ctx(c));
}

void
sha256_update(struct sha256_ctx *c, const void *data, size_t len)
{
        SHA256_Update(ctx(c), data, len);
}

void
sha256_final(struct sha256_ctx *c, uint8_t out[static SHA256_DIGEST_SIZE])
{
        SHA256_Final(out, ctx(c));
}

char *
sha256_to_hex(const uint8_t d[static SHA256_DIGEST_SIZE], char out[static SHA256_HEX_SIZE])
{
        static const char hex[] = "0123456789abcdef";

        for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
                out[2 * i] = hex[d[i] >> 4];
                out[2 * i + 1] = hex[d[i] & 15];
        }
        out[2 * SHA256_DIGEST_SIZE] = 0;
        return out;
}
