/* The layer reader thread: read, hash, decompress, hand over; and its
 * hasher thread, which hashes the decompressed stream (the diff_id).
 * Overlapping these with the file writes is what lets an import keep up
 * with `tar -xzf`: decompression and SHA-256 run here while the calling
 * thread creates files. SHA-256 of the 3x larger stream costs about half
 * of what decompression does (with SHA-NI, 328 MB: 0.23 s against 0.5 s
 * for ISA-L or zstd), so in the reader thread it made the reader the
 * slowest of the three. The hand-over is a ring of N_SLOTS buffers of
 * SLOT_SIZE: the reader fills one while the consumer parses another and
 * the hasher hashes it, so memory is bounded whatever the blob; a slot is
 * refilled only once both are done with it. Either side can stop the other:
 * the consumer through layer_reader_end(), the reader by ending with an
 * error the consumer sees at its next read. libarchive is used here only
 * for the rare formats (raw format + one filter, never an external
 * program: a fork from a threaded daemon is not allowed). */
#include "daemon/image/decompress.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <isa-l/igzip_lib.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "common/log.h"

#define SLOT_SIZE (1024 * 1024)
#define N_SLOTS 4
#define IN_SIZE (256 * 1024) /* compressed input, per read() */
#define PROGRESS_STEP (1024 * 1024)

struct layer_reader {
        /* Set before the thread starts; read-only afterwards. */
        int fd;
        char *name;
        enum blob_format format;
        image_progress_fn progress;
        void *userdata;
        uint64_t total;

        pthread_t thread;
        bool started;

        /* The ring, under lock. Counts of slots since the start, slot
         * number i being slots[i % N_SLOTS]: filled by the reader, taken
         * by the consumer, released by it (at its next read), hashed by
         * the hasher. In use: from min(released, hashed) to filled. */
        pthread_mutex_t lock;
        pthread_cond_t can_fill; /* reader waits: a slot freed, or stop/drain */
        pthread_cond_t can_take; /* consumer waits: a slot filled, or ended */
        pthread_cond_t can_hash; /* hasher waits: a slot filled, or pumped/stop */
        uint8_t *slots[N_SLOTS];
        size_t lens[N_SLOTS];
        uint64_t filled, taken, released, hashed;
        bool pumped;     /* the reader filled its last slot (or failed) */
        bool ended;      /* the reader is done, successfully or not */
        int status;      /* its result: 0, or -errno */
        bool stop;       /* consumer: give up now (also read without lock) */
        bool drain;      /* consumer: hand nothing over, but finish the blob */

        /* The reader thread's own (stream_sha: the hasher's, or the
         * reader's if the hasher could not start); the consumer reads them
         * after join. */
        struct ctr_error *err; /* set only for a real failure, not for stop */
        pthread_t hasher;
        bool hasher_started;
        struct sha256_ctx blob_sha, stream_sha;
        uint64_t blob_size, stream_size, last_progress;
        bool at_eof;
        uint8_t *in;
        struct layer_reader_result result;
};

enum blob_format
blob_format_sniff(const uint8_t *p, size_t n)
{
        /* A tar first: its first bytes are a file name, which could be anything. */
        if (n >= 262 && memcmp(p + 257, "ustar", 5) == 0)
                return BLOB_TAR;
        if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
                return BLOB_GZIP;
        if (n >= 4 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd && p[0] == 0x28)
                return BLOB_ZSTD;
        /* A zstd skippable frame (0x184D2A5?) may come first. */
        if (n >= 4 && (p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18)
                return BLOB_ZSTD;
        if (n >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0)
                return BLOB_XZ;
        if (n >= 4 && memcmp(p, "BZh", 3) == 0 && p[3] >= '1' && p[3] <= '9')
                return BLOB_BZIP2;
        if (n >= 4 && ((p[0] == 0x04 && p[1] == 0x22 && p[2] == 0x4d && p[3] == 0x18) ||
                       (p[0] == 0x02 && p[1] == 0x21 && p[2] == 0x4c && p[3] == 0x18)))
                return BLOB_LZ4;
        if (n >= 4 && memcmp(p, "LZIP", 4) == 0)
                return BLOB_LZIP;
        if (n >= 2 && p[0] == 0x1f && p[1] == 0x9d)
                return BLOB_COMPRESS;
        return BLOB_TAR;
}

const char *
blob_format_name(enum blob_format f)
{
        switch (f) {
        case BLOB_TAR:
                return "uncompressed";
        case BLOB_GZIP:
                return "gzip";
        case BLOB_ZSTD:
                return "zstd";
        case BLOB_XZ:
                return "xz";
        case BLOB_BZIP2:
                return "bzip2";
        case BLOB_LZ4:
                return "lz4";
        case BLOB_LZIP:
                return "lzip";
        case BLOB_COMPRESS:
                return "compress (.Z)";
        }
        return "unknown";
}

enum image_compression
blob_format_compression(enum blob_format f)
{
        switch (f) {
        case BLOB_TAR:
                return IMAGE_COMPRESSION_NONE;
        case BLOB_GZIP:
                return IMAGE_COMPRESSION_GZIP;
        case BLOB_ZSTD:
                return IMAGE_COMPRESSION_ZSTD;
        default:
                return IMAGE_COMPRESSION_ANY;
        }
}

static const char *
compression_name(enum image_compression c)
{
        switch (c) {
        case IMAGE_COMPRESSION_NONE:
                return "uncompressed";
        case IMAGE_COMPRESSION_GZIP:
                return "gzip";
        case IMAGE_COMPRESSION_ZSTD:
                return "zstd";
        default:
                return "any";
        }
}

/* Sets the reader's error "<name>: <fmt>" (the first one wins); returns
 * -errnum. Thread-safe: no strerror(). */
static int _printf_(3, 4)
rd_error(struct layer_reader *r, int errnum, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&msg, fmt, ap);
        va_end(ap);
        return ctr_error_msg(&r->err, errnum, "%s: %s", r->name, k < 0 ? "read failed" : msg);
}

static bool
stopped(struct layer_reader *r)
{
        return __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE);
}

/* Reads up to len bytes of the blob into buf, hashing them. 0 at the end
 * of the file; -ECANCELED (no error set) once the consumer said stop. */
static ssize_t
rd_read(struct layer_reader *r, uint8_t *buf, size_t len)
{
        ssize_t n;

        if (stopped(r))
                return -ECANCELED;
        if (r->at_eof)
                return 0;
        do
                n = read(r->fd, buf, len);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return ctr_error_sys(&r->err, errno, "%s: read", r->name);
        /* Uncompressed: the blob is the stream, which the hasher hashes. */
        if (r->format != BLOB_TAR)
                sha256_update(&r->blob_sha, buf, (size_t) n);
        r->blob_size += (uint64_t) n;
        if (n == 0)
                r->at_eof = true;
        if (r->progress && (r->blob_size - r->last_progress >= PROGRESS_STEP || n == 0)) {
                r->last_progress = r->blob_size;
                r->progress(r->blob_size, r->total, r->userdata);
        }
        return n;
}

/* Slots the reader may not refill yet. Under lock. After drain the
 * consumer holds none: slots then only wait for the hasher. */
static uint64_t
slots_busy(const struct layer_reader *r)
{
        uint64_t cons = r->drain ? r->filled : r->released;

        return r->filled - (cons < r->hashed ? cons : r->hashed);
}

/* The next slot to fill, or NULL once the consumer said stop. Blocks
 * while every slot is in use. */
static uint8_t *
slot_get(struct layer_reader *r)
{
        uint8_t *p = NULL;

        pthread_mutex_lock(&r->lock);
        while (!r->stop && slots_busy(r) >= N_SLOTS)
                pthread_cond_wait(&r->can_fill, &r->lock);
        if (!r->stop)
                p = r->slots[r->filled % N_SLOTS];
        pthread_mutex_unlock(&r->lock);
        return p;
}

/* Hands over the slot from slot_get() with len bytes: to the consumer
 * (unless it said drain: then only to the hash) and to the hasher. Both
 * only read it. Without a hasher thread the reader hashes it here while
 * the consumer parses. */
static void
slot_put(struct layer_reader *r, size_t len)
{
        uint8_t *p;

        if (len == 0)
                return;
        pthread_mutex_lock(&r->lock);
        p = r->slots[r->filled % N_SLOTS];
        r->lens[r->filled % N_SLOTS] = len;
        r->filled++;
        if (!r->drain)
                pthread_cond_signal(&r->can_take);
        pthread_cond_signal(&r->can_hash);
        pthread_mutex_unlock(&r->lock);
        r->stream_size += len;
        if (r->hasher_started)
                return;
        sha256_update(&r->stream_sha, p, len);
        pthread_mutex_lock(&r->lock);
        r->hashed++;
        pthread_mutex_unlock(&r->lock);
}

/* The hasher thread: SHA-256 of every slot the reader fills, in order,
 * until the reader has pumped its last one (or anyone said stop). */
static void *
hasher_thread(void *userdata)
{
        struct layer_reader *r = userdata;

        pthread_mutex_lock(&r->lock);
        for (;;) {
                uint8_t *p;
                size_t len;

                while (!r->stop && !r->pumped && r->hashed == r->filled)
                        pthread_cond_wait(&r->can_hash, &r->lock);
                if (r->stop || r->hashed == r->filled)
                        break;
                p = r->slots[r->hashed % N_SLOTS];
                len = r->lens[r->hashed % N_SLOTS];
                pthread_mutex_unlock(&r->lock);
                sha256_update(&r->stream_sha, p, len);
                pthread_mutex_lock(&r->lock);
                r->hashed++;
                pthread_cond_signal(&r->can_fill);
        }
        pthread_mutex_unlock(&r->lock);
        return NULL;
}

static int
pump_plain(struct layer_reader *r)
{
        for (;;) {
                uint8_t *out = slot_get(r);
                size_t fill = 0;
                ssize_t n;

                if (!out)
                        return -ECANCELED;
                /* Fill the whole slot: fewer, larger hand-overs. */
                while (fill < SLOT_SIZE) {
                        n = rd_read(r, out + fill, SLOT_SIZE - fill);
                        if (n < 0)
                                return (int) n;
                        if (n == 0)
                                break;
                        fill += (size_t) n;
                }
                slot_put(r, fill);
                if (fill < SLOT_SIZE)
                        return 0;
        }
}

static const char *
isal_strerror(int ret)
{
        switch (ret) {
        case ISAL_INVALID_BLOCK:
                return "invalid deflate block";
        case ISAL_INVALID_SYMBOL:
                return "invalid deflate symbol";
        case ISAL_INVALID_LOOKBACK:
                return "invalid back-reference distance";
        case ISAL_INVALID_WRAPPER:
                return "invalid gzip header";
        case ISAL_UNSUPPORTED_METHOD:
                return "unsupported compression method";
        case ISAL_INCORRECT_CHECKSUM:
                return "checksum mismatch (CRC-32 or length)";
        case ISAL_NEED_DICT:
                return "needs a preset dictionary";
        default:
                return "decompression failed";
        }
}

/* Makes at least 2 bytes of input available in st unless the file ends
 * first. Returns 0 or -errno. */
static int
gz_want2(struct layer_reader *r, struct inflate_state *st)
{
        while (st->avail_in < 2 && !r->at_eof) {
                ssize_t n;

                memmove(r->in, st->next_in, st->avail_in);
                st->next_in = r->in;
                n = rd_read(r, r->in + st->avail_in, IN_SIZE - st->avail_in);
                if (n < 0)
                        return (int) n;
                st->avail_in += (uint32_t) n;
        }
        return 0;
}

/* After a gzip member: another member follows (1, st reset for it), the
 * file ends (0), or there is trailing data. gzip(1) ignores trailing
 * zeros (tape padding) and so do we; anything else is an error, since
 * no tool writes it and a layer with unverifiable bytes is suspect. */
static int
gz_next_member(struct layer_reader *r, struct inflate_state *st)
{
        uint64_t at;
        int k;

        k = gz_want2(r, st);
        if (k < 0)
                return k;
        if (st->avail_in == 0)
                return 0;
        if (st->avail_in >= 2 && st->next_in[0] == 0x1f && st->next_in[1] == 0x8b) {
                isal_inflate_reset(st);
                st->crc_flag = ISAL_GZIP;
                return 1;
        }
        at = r->blob_size - st->avail_in;
        for (;;) {
                for (uint32_t i = 0; i < st->avail_in; i++)
                        if (st->next_in[i] != 0)
                                return rd_error(r, EBADMSG,
                                                "gzip: trailing garbage after the compressed data at byte %llu",
                                                (unsigned long long) at);
                ssize_t n = rd_read(r, r->in, IN_SIZE);
                if (n < 0)
                        return (int) n;
                if (n == 0)
                        return 0;
                st->next_in = r->in;
                st->avail_in = (uint32_t) n;
        }
}

static int
pump_gzip(struct layer_reader *r)
{
        _cleanup_free_ struct inflate_state *st = malloc(sizeof(*st));
        uint8_t *out;
        size_t fill = 0;
        int k;

        if (!st)
                return rd_error(r, ENOMEM, "gzip: out of memory");
        isal_inflate_init(st);
        st->crc_flag = ISAL_GZIP; /* parse the header, check CRC-32 and length */
        st->next_in = r->in;
        st->avail_in = 0;
        out = slot_get(r);
        if (!out)
                return -ECANCELED;
        for (;;) {
                uint32_t in_before, out_before;
                bool out_full;

                if (st->avail_in == 0 && !r->at_eof) {
                        ssize_t n = rd_read(r, r->in, IN_SIZE);
                        if (n < 0)
                                return (int) n;
                        st->next_in = r->in;
                        st->avail_in = (uint32_t) n;
                }
                st->next_out = out + fill;
                st->avail_out = (uint32_t) (SLOT_SIZE - fill);
                in_before = st->avail_in;
                out_before = st->avail_out;
                k = isal_inflate(st);
                if (k != ISAL_DECOMP_OK)
                        return rd_error(r, EBADMSG, "gzip: %s near byte %llu", isal_strerror(k),
                                        (unsigned long long) (r->blob_size - st->avail_in));
                fill = SLOT_SIZE - st->avail_out;
                out_full = st->avail_out == 0;
                if (out_full) {
                        slot_put(r, fill);
                        fill = 0;
                        out = slot_get(r);
                        if (!out)
                                return -ECANCELED;
                }
                if (st->block_state == ISAL_BLOCK_FINISH) {
                        k = gz_next_member(r, st);
                        if (k < 0)
                                return k;
                        if (k == 0)
                                break;
                        continue;
                }
                if (out_full)
                        continue;
                /* Output room left and the input all used: it wants more. */
                if (r->at_eof && st->avail_in == 0)
                        return rd_error(r, EBADMSG, "gzip: unexpected end of file (truncated blob?)");
                if (st->avail_in == in_before && st->avail_out == out_before && st->avail_in > 0)
                        return rd_error(r, EBADMSG, "gzip: decompression made no progress near byte %llu",
                                        (unsigned long long) (r->blob_size - st->avail_in));
        }
        slot_put(r, fill);
        return 0;
}

static void
zstd_freep(ZSTD_DCtx **d)
{
        ZSTD_freeDCtx(*d);
}

static int
pump_zstd(struct layer_reader *r)
{
        _cleanup_(zstd_freep) ZSTD_DCtx *d = ZSTD_createDCtx();
        ZSTD_inBuffer in = { r->in, 0, 0 };
        size_t last = 1, fill = 0;
        bool flushed = true;
        uint8_t *out;

        if (!d)
                return rd_error(r, ENOMEM, "zstd: out of memory");
        out = slot_get(r);
        if (!out)
                return -ECANCELED;
        for (;;) {
                ZSTD_outBuffer o;

                /* Only with all input used and all output flushed (the last
                 * call left room) is it time to read, or to stop. */
                if (in.pos == in.size && flushed) {
                        ssize_t n;

                        if (r->at_eof) {
                                /* 0: the last frame ended; else it wanted more. */
                                if (last != 0)
                                        return rd_error(r, EBADMSG,
                                                        "zstd: unexpected end of file (truncated blob?)");
                                break;
                        }
                        n = rd_read(r, r->in, IN_SIZE);
                        if (n < 0)
                                return (int) n;
                        in.size = (size_t) n;
                        in.pos = 0;
                        continue;
                }
                o = (ZSTD_outBuffer) { out, SLOT_SIZE, fill };
                /* Frames one after another decode as one stream; a frame's
                 * checksum, when it has one, is checked here. */
                last = ZSTD_decompressStream(d, &o, &in);
                if (ZSTD_isError(last))
                        return rd_error(r, EBADMSG, "zstd: %s near byte %llu", ZSTD_getErrorName(last),
                                        (unsigned long long) (r->blob_size - (in.size - in.pos)));
                fill = o.pos;
                flushed = fill < SLOT_SIZE;
                if (!flushed) {
                        slot_put(r, fill);
                        fill = 0;
                        out = slot_get(r);
                        if (!out)
                                return -ECANCELED;
                }
        }
        slot_put(r, fill);
        return 0;
}

static la_ssize_t
la_read_cb(struct archive *a, void *userdata, const void **ret_buf)
{
        struct layer_reader *r = userdata;
        ssize_t n = rd_read(r, r->in, IN_SIZE);

        if (n < 0) {
                archive_set_error(a, (int) -n, "read failed");
                return -1;
        }
        *ret_buf = r->in;
        return n;
}

static void
la_freep(struct archive **a)
{
        if (*a)
                archive_read_free(*a);
}

/* Adds the one filter the blob needs, only where libarchive has its
 * library built in: without it libarchive would run an external program
 * (xz, lz4, ...), and a threaded daemon must not fork. */
static int
la_add_filter(struct layer_reader *r, struct archive *a)
{
        int k = ARCHIVE_FATAL;

        switch (r->format) {
        case BLOB_XZ:
                if (archive_liblzma_version())
                        k = archive_read_support_filter_xz(a);
                break;
        case BLOB_LZIP:
                if (archive_liblzma_version())
                        k = archive_read_support_filter_lzip(a);
                break;
        case BLOB_BZIP2:
                if (archive_bzlib_version())
                        k = archive_read_support_filter_bzip2(a);
                break;
        case BLOB_LZ4:
                if (archive_liblz4_version())
                        k = archive_read_support_filter_lz4(a);
                break;
        case BLOB_COMPRESS:
                k = archive_read_support_filter_compress(a);
                break;
        default:
                break;
        }
        if (k != ARCHIVE_OK)
                return rd_error(r, ENOTSUP, "%s is not supported by this build of libarchive",
                                blob_format_name(r->format));
        return 0;
}

static int
pump_libarchive(struct layer_reader *r)
{
        _cleanup_(la_freep) struct archive *a = archive_read_new();
        struct archive_entry *e;
        const char *fmt = blob_format_name(r->format);
        int k;

        if (!a)
                return rd_error(r, ENOMEM, "%s: out of memory", fmt);
        k = la_add_filter(r, a);
        if (k < 0)
                return k;
        if (archive_read_support_format_raw(a) != ARCHIVE_OK)
                return rd_error(r, EIO, "%s: %s", fmt, archive_error_string(a) ?: "setup failed");
        if (archive_read_open(a, r, NULL, la_read_cb, NULL) != ARCHIVE_OK ||
            archive_read_next_header(a, &e) != ARCHIVE_OK) {
                if (stopped(r))
                        return -ECANCELED;
                return rd_error(r, EBADMSG, "%s: %s", fmt, archive_error_string(a) ?: "cannot open");
        }
        for (;;) {
                uint8_t *out = slot_get(r);
                size_t fill = 0;

                if (!out)
                        return -ECANCELED;
                while (fill < SLOT_SIZE) {
                        la_ssize_t n = archive_read_data(a, out + fill, SLOT_SIZE - fill);
                        if (n < 0) {
                                if (stopped(r))
                                        return -ECANCELED;
                                return rd_error(r, EBADMSG, "%s: %s", fmt,
                                                archive_error_string(a) ?: "decompression failed");
                        }
                        if (n == 0)
                                break;
                        fill += (size_t) n;
                }
                slot_put(r, fill);
                if (fill < SLOT_SIZE)
                        break;
        }
        /* Whatever the filter did not need still belongs to the blob. */
        for (;;) {
                ssize_t n = rd_read(r, r->in, IN_SIZE);
                if (n <= 0)
                        return (int) n;
        }
}

static void *
reader_thread(void *userdata)
{
        struct layer_reader *r = userdata;
        int k;

        /* Without it the reader hashes in slot_put(): slower, not wrong. */
        r->hasher_started = pthread_create(&r->hasher, NULL, hasher_thread, r) == 0;
        if (!r->hasher_started)
                log_debug("%s: no hasher thread, hashing in the reader", r->name);
        switch (r->format) {
        case BLOB_TAR:
                k = pump_plain(r);
                break;
        case BLOB_GZIP:
                k = pump_gzip(r);
                break;
        case BLOB_ZSTD:
                k = pump_zstd(r);
                break;
        default:
                k = pump_libarchive(r);
                break;
        }
        /* The hasher finishes the slots filled so far (or stops). */
        pthread_mutex_lock(&r->lock);
        r->pumped = true;
        pthread_cond_signal(&r->can_hash);
        pthread_mutex_unlock(&r->lock);
        if (r->hasher_started)
                pthread_join(r->hasher, NULL);
        if (k >= 0 && stopped(r)) /* the hasher may have left slots unhashed */
                k = -ECANCELED;
        if (k >= 0) {
                sha256_final(&r->stream_sha, r->result.diff_id);
                if (r->format == BLOB_TAR)
                        memcpy(r->result.blob_digest, r->result.diff_id, SHA256_DIGEST_SIZE);
                else
                        sha256_final(&r->blob_sha, r->result.blob_digest);
                r->result.blob_size = r->blob_size;
                r->result.stream_size = r->stream_size;
                r->result.format = r->format;
        }
        pthread_mutex_lock(&r->lock);
        r->status = k < 0 ? k : 0;
        r->ended = true;
        pthread_cond_broadcast(&r->can_take);
        pthread_mutex_unlock(&r->lock);
        return NULL;
}

int
layer_reader_start(const char *blob_path, const char *name, enum image_compression want,
                   image_progress_fn progress, void *userdata, struct layer_reader **ret,
                   struct ctr_error **err)
{
        _cleanup_(layer_reader_freep) struct layer_reader *r = NULL;
        _cleanup_free_ char *shown = NULL;
        const char *blob_path_shown;
        uint8_t head[BLOB_SNIFF_SIZE];
        struct stat st;
        ssize_t n;
        int k;

        r = calloc(1, sizeof(*r));
        if (!r)
                return ctr_error_msg(err, ENOMEM, "%s: out of memory", name);
        r->fd = -1;
        pthread_mutex_init(&r->lock, NULL);
        pthread_cond_init(&r->can_fill, NULL);
        pthread_cond_init(&r->can_take, NULL);
        pthread_cond_init(&r->can_hash, NULL);
        if (asprintf(&shown, " `%s`", blob_path) < 0)
                return ctr_error_msg(err, ENOMEM, "%s: out of memory", name);
        blob_path_shown = shown;
        r->name = strdup(name);
        if (!r->name)
                return ctr_error_msg(err, ENOMEM, "%s: out of memory", name);
        r->progress = progress;
        r->userdata = userdata;
        sha256_init(&r->blob_sha);
        sha256_init(&r->stream_sha);

        /* Errors name the path unless the name is the path already. */
        if (strstr(name, blob_path))
                blob_path_shown = "";
        /* O_NONBLOCK: a FIFO in its place must not hang the open. */
        r->fd = open(blob_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (r->fd < 0)
                return ctr_error_sys(err, errno, "%s: open%s", name, blob_path_shown);
        if (fstat(r->fd, &st) < 0)
                return ctr_error_sys(err, errno, "%s: stat%s", name, blob_path_shown);
        if (S_ISDIR(st.st_mode))
                return ctr_error_msg(err, EISDIR, "%s:%s is a directory, not a tar archive", name,
                                     blob_path_shown);
        if (!S_ISREG(st.st_mode))
                return ctr_error_msg(err, EINVAL, "%s:%s is not a regular file", name, blob_path_shown);
        r->total = (uint64_t) st.st_size;
        (void) posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);

        do
                n = pread(r->fd, head, sizeof(head), 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return ctr_error_sys(err, errno, "%s: read%s", name, blob_path_shown);
        r->format = blob_format_sniff(head, (size_t) n);
        if (want != IMAGE_COMPRESSION_ANY && blob_format_compression(r->format) != want)
                return ctr_error_msg(err, EINVAL, "%s: media type says %s but the blob is %s", name,
                                     compression_name(want), blob_format_name(r->format));

        for (int i = 0; i < N_SLOTS; i++) {
                r->slots[i] = malloc(SLOT_SIZE);
                if (!r->slots[i])
                        return ctr_error_msg(err, ENOMEM, "%s: out of memory", name);
        }
        r->in = malloc(IN_SIZE);
        if (!r->in)
                return ctr_error_msg(err, ENOMEM, "%s: out of memory", name);

        k = pthread_create(&r->thread, NULL, reader_thread, r);
        if (k != 0)
                return ctr_error_sys(err, k, "%s: start the reader thread", name);
        r->started = true;
        *ret = TAKE_PTR(r);
        return 0;
}

ssize_t
layer_reader_read(struct layer_reader *r, const void **ret_buf)
{
        ssize_t n = 0;

        pthread_mutex_lock(&r->lock);
        if (r->released < r->taken) {
                r->released = r->taken;
                pthread_cond_signal(&r->can_fill);
        }
        while (r->taken == r->filled && !r->ended)
                pthread_cond_wait(&r->can_take, &r->lock);
        if (r->ended && r->status < 0)
                n = r->status;
        else if (r->taken < r->filled) {
                *ret_buf = r->slots[r->taken % N_SLOTS];
                n = (ssize_t) r->lens[r->taken % N_SLOTS];
                r->taken++;
        }
        pthread_mutex_unlock(&r->lock);
        return n;
}

static void
reader_join(struct layer_reader *r, bool drain)
{
        if (!r->started)
                return;
        pthread_mutex_lock(&r->lock);
        r->released = r->taken;
        if (drain)
                r->drain = true;
        else
                __atomic_store_n(&r->stop, true, __ATOMIC_RELEASE);
        pthread_cond_broadcast(&r->can_fill);
        pthread_cond_broadcast(&r->can_hash);
        pthread_mutex_unlock(&r->lock);
        pthread_join(r->thread, NULL);
        r->started = false;
}

int
layer_reader_end(struct layer_reader *r, bool drain, struct layer_reader_result *ret,
                 struct ctr_error **err)
{
        reader_join(r, drain);
        if (r->err) {
                int k = -r->err->errnum;
                if (err && !*err)
                        *err = TAKE_PTR(r->err);
                return k;
        }
        if (!drain)
                return 0;
        if (r->status < 0) /* cannot happen: only a stop ends without an error */
                return ctr_error_msg(err, -r->status, "%s: reader stopped", r->name);
        if (ret)
                *ret = r->result;
        return 0;
}

void
layer_reader_free(struct layer_reader *r)
{
        if (!r)
                return;
        reader_join(r, false);
        safe_close(r->fd);
        for (int i = 0; i < N_SLOTS; i++)
                free(r->slots[i]);
        free(r->in);
        ctr_error_free(r->err);
        pthread_cond_destroy(&r->can_hash);
        pthread_cond_destroy(&r->can_take);
        pthread_cond_destroy(&r->can_fill);
        pthread_mutex_destroy(&r->lock);
        free(r->name);
        free(r);
}
