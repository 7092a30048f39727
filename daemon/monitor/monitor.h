/* Internals of containerctl-monitor: the CRI log writer and the attached
 * frame clients. The program itself (argument parsing, the poll loop, the
 * container's life) is main.c. Single-threaded; nothing here blocks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Appends data read from the container's stream ("stdout"/"stderr") to
 * the log fd in the CRI format: one "<RFC3339Nano> <stream> <F|P> <line>\n"
 * record per line, F when the line ended with '\n' (not repeated), P for a
 * trailing partial line. One write(2) per call. Returns 0 or -errno. */
int cri_log_write(int fd, int64_t now_ns, const char *stream, const char *data, size_t len);

/* A client connection that gets the container's output as proto frames. */
#define FRAME_CLIENT_MAX_BUFFER (1024 * 1024)
#define FRAME_CLIENTS_MAX 32

struct frame_client {
        int fd;
        uint8_t *buf;      /* pending bytes, buf[off..len) */
        size_t off, len, cap;
        bool read_eof;     /* peer shut down its writing side: stop polling input */
};

struct frame_clients {
        struct frame_client c[FRAME_CLIENTS_MAX];
        size_t n;
};

/* Takes ownership of fd (made non-blocking). -EBUSY if full: fd closed. */
int frame_clients_add(struct frame_clients *cs, int fd);
/* Queues one frame to every client; a client whose buffer would exceed
 * FRAME_CLIENT_MAX_BUFFER or whose socket failed is dropped. */
void frame_clients_send(struct frame_clients *cs, uint8_t type, const void *data, size_t len);
/* Writes pending bytes of client i (on POLLOUT); drops it on error.
 * Returns false if the client was dropped (indices shift). */
bool frame_clients_flush_one(struct frame_clients *cs, size_t i);
/* Input from client i (on POLLIN): discarded; at EOF stops reading but
 * keeps sending (the peer may have shut down only its writing side). */
bool frame_clients_read_one(struct frame_clients *cs, size_t i);
void frame_clients_drop(struct frame_clients *cs, size_t i);
bool frame_clients_pending(const struct frame_clients *cs);
void frame_clients_free(struct frame_clients *cs);
