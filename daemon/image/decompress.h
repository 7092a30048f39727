/* The reading half of a layer unpack: a thread that reads a blob file,
 * hashes its bytes (the blob digest), decompresses them (gzip with ISA-L,
 * zstd with libzstd, xz/bzip2/lz4/lzip/compress through libarchive's raw
 * format, plain tar as is) and hands the result to one consumer through a
 * few fixed buffers, while a second thread hashes the result (the
 * diff_id). Internal to daemon/image:
 * unpack.c is the only user. No globals; any number of readers may run. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "daemon/image/image.h"
#include "daemon/image/sha256.h"

/* What a blob's first bytes say it is. */
enum blob_format {
        BLOB_TAR,      /* ustar magic, or nothing recognised: given to the tar parser as is */
        BLOB_GZIP,
        BLOB_ZSTD,
        BLOB_XZ,
        BLOB_BZIP2,
        BLOB_LZ4,
        BLOB_LZIP,
        BLOB_COMPRESS, /* .Z */
};

/* At least this many bytes (fewer at the end of the file) are needed to
 * tell a tar with ustar magic from anything else. */
#define BLOB_SNIFF_SIZE 512

enum blob_format blob_format_sniff(const uint8_t *p, size_t n);
/* "gzip", "zstd", ..., "uncompressed" for BLOB_TAR. Static. */
const char *blob_format_name(enum blob_format f);
/* IMAGE_COMPRESSION_{NONE,GZIP,ZSTD}; ANY for the libarchive formats. */
enum image_compression blob_format_compression(enum blob_format f);

struct layer_reader_result {
        uint8_t blob_digest[SHA256_DIGEST_SIZE];
        uint8_t diff_id[SHA256_DIGEST_SIZE];
        uint64_t blob_size;   /* bytes read from the file */
        uint64_t stream_size; /* bytes of the decompressed stream */
        enum blob_format format;
};

struct layer_reader;

/* Opens blob_path (a regular file), sniffs its format, fails if want is
 * not ANY and the blob is something else ("<name>: media type says gzip
 * but the blob is zstd"), and starts the reader thread. name is how
 * errors name the blob ("layer blob sha256:...", "`/path`"); copied.
 * progress (may be NULL) is called from the reader thread every MiB of
 * blob read and once at its end. Caller frees with layer_reader_free(). */
int layer_reader_start(const char *blob_path, const char *name, enum image_compression want,
                       image_progress_fn progress, void *userdata, struct layer_reader **ret,
                       struct ctr_error **err);

/* Consumer side: the next piece of the decompressed stream, in order.
 * *ret_buf stays valid until the next call or layer_reader_end(). Returns
 * its length, 0 at the end of the stream, or -errno once the reader has
 * failed (layer_reader_end() then gives its error). Blocks while the
 * reader is behind. */
ssize_t layer_reader_read(struct layer_reader *r, const void **ret_buf);

/* Consumer side, called once: the consumer wants no more data. drain:
 * the reader still reads, decompresses and hashes the rest of the blob
 * (unread data after the tar's end counts in both digests), then *ret is
 * filled; !drain: the reader stops as soon as it can (the consumer
 * failed) and *ret (may be NULL) is not filled. Either way the thread is
 * joined before this returns. Returns the reader's own error, if it
 * failed, with *err set; else 0. */
int layer_reader_end(struct layer_reader *r, bool drain, struct layer_reader_result *ret,
                     struct ctr_error **err);

/* Stops and joins the thread if still running, closes the file, frees.
 * NULL-safe. */
void layer_reader_free(struct layer_reader *r);
DEFINE_FREEP(struct layer_reader, layer_reader_free)
