/* Internals of containerctl-monitor: the CRI log writer with rotation, the
 * attached frame clients and their input parser, the exec output ring, the
 * per-process stdio relay (session) and the exec table; the published-port
 * relay has its own header, proxy.h. The program itself (arguments, the
 * poll loop, the init's life) is main.c. Single-threaded; nothing here
 * blocks except the synchronous log write (back-pressure). */
#pragma once

#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "proto/proto.h"

#define MIN_SIZE(a, b) ((size_t) (a) < (size_t) (b) ? (size_t) (a) : (size_t) (b))

struct runtime_spec;
struct runtime_container;

/* ---- cri-log.c: the console log ---------------------------------------- */

/* console.log in the CRI format: one "<RFC3339Nano> <stream> <F|P> <line>\n"
 * record per line. When max_size > 0 and a record would take the file past
 * it, the file is rotated first (console.log -> .1 -> .2 ..., at most
 * max_files files in all, console.log included), so a record is never split
 * across files. console.log always exists: the old file is hard-linked to
 * .1 and a fresh file renamed over console.log, so a follower sees the inode
 * change only after the old file is complete. */
struct cri_log {
        int fd;
        char *path;
        uint64_t size;      /* bytes in the current file */
        uint64_t max_size;  /* 0: unbounded, never rotated */
        unsigned max_files; /* >= 1 */
        bool failed;        /* a write or rotation failed (logged once) */
};

/* Opens (appends to) path. Returns 0 or -errno with *err set. */
int cri_log_open(struct cri_log *l, const char *path, uint64_t max_size, unsigned max_files,
                 struct ctr_error **err);
/* Appends data read from stream ("stdout"/"stderr"): F records for lines
 * ending in '\n', a P record for a trailing partial line. Writes
 * synchronously (a slow disk slows the container, memory does not grow).
 * Returns 0 or -errno. */
int cri_log_write(struct cri_log *l, int64_t now_ns, const char *stream, const char *data, size_t len);
void cri_log_close(struct cri_log *l);

/* ---- frame-client.c: attached clients ----------------------------------- */

/* Output queued for an additional attacher beyond this disconnects it: a
 * slow attacher never stalls the container or the other attachers. The
 * primary client (patient) has no such limit: the session stops reading
 * the process's output while it is behind (see SESSION_PACE_HIGH). */
#define FRAME_CLIENT_MAX_BUFFER (1024 * 1024)
/* Send buffer asked for each client socket (SO_SNDBUFFORCE, we are root;
 * else SO_SNDBUF within net.core.wmem_max): fewer wake-ups per MiB. */
#define FRAME_CLIENT_SNDBUF (4 * 1024 * 1024)
#define FRAME_CLIENTS_MAX 32
/* A CONTROL frame from a client is at most this long (else invalid). */
#define FRAME_CONTROL_MAX 4096

/* Incremental decoder of a client's frames. STDIN payload is handed on as
 * it arrives, CONTROL payload whole; STDOUT/STDERR/EXIT frames from a
 * client are skipped. */
struct frame_parser {
        uint8_t hdr[PROTO_FRAME_HEADER_SIZE];
        size_t hdr_len;
        bool in_payload;
        uint8_t type;
        uint32_t left;      /* payload bytes still to come */
        char ctl[FRAME_CONTROL_MAX];
        size_t ctl_len;
};

struct frame_sink {
        void (*stdin_data)(void *ud, const uint8_t *p, size_t n);
        /* Returns < 0 to refuse the frame (the client is then closed). */
        int (*control)(void *ud, const char *json, size_t n);
};

/* Returns 0, -EBADMSG (unknown type, non-zero padding, refused control
 * frame) or -EMSGSIZE (length > PROTO_MAX_FRAME, control > FRAME_CONTROL_MAX). */
int frame_parser_feed(struct frame_parser *p, const uint8_t *data, size_t n, const struct frame_sink *sink,
                      void *ud);

struct frame_client {
        int fd;
        uint8_t *buf;       /* pending output, buf[off..len) */
        size_t off, len, cap;
        bool stdin;         /* its STDIN frames reach the process */
        bool patient;       /* primary client: the output waits for it (see SESSION_PACE_HIGH) */
        bool read_eof;      /* peer shut down its writing side */
        bool closing;       /* EXIT queued: dropped once flushed or at close_deadline_ms */
        bool dead;          /* fd closed; freed by frame_clients_sweep() */
        int64_t close_deadline_ms;
        struct frame_parser parser;
};

struct frame_clients {
        struct frame_client *c[FRAME_CLIENTS_MAX];
        size_t n;
};

/* Takes ownership of fd (made non-blocking). -EBUSY if full (fd closed). */
int frame_clients_add(struct frame_clients *cs, int fd, bool forward_stdin, struct frame_client **ret);
/* Queues one frame to every live client not closing; an additional
 * attacher whose queue would exceed FRAME_CLIENT_MAX_BUFFER, or a client
 * whose socket failed, is dropped. */
void frame_clients_send(struct frame_clients *cs, uint8_t type, const void *data, size_t len);
/* The same for one client. Returns 0, or -errno if it was dropped. */
int frame_client_send(struct frame_client *c, uint8_t type, const void *data, size_t len);
/* The zero-copy path of one frame: n payload bytes are waiting in pipe fd
 * (FIONREAD). Sends the header, splice(2)s the payload from the pipe into
 * the socket as far as the socket takes it, reads the rest - at least its
 * last tail bytes - into buf (room for n) and sends or queues it. Only when
 * nothing is queued for c. Returns the bytes read into buf (the payload's
 * end), -EAGAIN when nothing was done (use the read path), or another
 * -errno when c was dropped (the pipe's bytes may then be lost to the
 * others: the caller uses this only with one client). */
ssize_t frame_client_splice(struct frame_client *c, uint8_t type, int fd, size_t n, size_t tail, uint8_t *buf);
/* Writes pending bytes (on POLLOUT); drops the client on error, and a
 * closing client once empty. Returns false if dropped. */
bool frame_client_flush(struct frame_client *c);
/* Reads at most max bytes (on POLLIN) into the parser; at EOF sets
 * read_eof; drops the client on a socket error or an invalid frame. */
void frame_client_read(struct frame_client *c, size_t max, const struct frame_sink *sink, void *ud);
/* Closes the fd and marks the client dead (freed by the sweep). */
void frame_client_drop(struct frame_client *c);
/* Queues EXIT to every live client and marks them closing. */
void frame_clients_close_all(struct frame_clients *cs, const char *exit_json, int64_t deadline_ms);
/* Drops closing clients past their deadline, frees dead ones. */
void frame_clients_sweep(struct frame_clients *cs, int64_t now_ms);
bool frame_clients_pending(const struct frame_clients *cs);
/* Bytes queued for c and not yet taken by its socket. */
size_t frame_client_queued(const struct frame_client *c);
void frame_clients_free(struct frame_clients *cs);

/* ---- ring.c: recent output of an exec ------------------------------------ */

#define RING_MAX (64 * 1024)
#define RING_RECORD_HEADER 5

/* Output records (stream type + bytes), the oldest dropped whole to keep
 * the total (headers included) within RING_MAX. */
struct ring {
        uint8_t *buf;
        size_t start, end;
};
int ring_append(struct ring *r, uint8_t type, const void *p, size_t n);
/* Payload bytes that fit without dropping anything. */
size_t ring_room(const struct ring *r);
/* Iterates records: *pos starts at 0. Returns false at the end. */
bool ring_next(const struct ring *r, size_t *pos, uint8_t *ret_type, const uint8_t **ret_data, size_t *ret_len);
void ring_free(struct ring *r);

/* ---- the poll set, filled by main.c, session.c and exec.c ---------------- */

enum poll_kind {
        PK_CTL, PK_LISTEN, PK_CONN, PK_INIT_PIDFD, PK_SIGCHLD,
        PK_OUT, PK_ERR, PK_IN, PK_PTY, PK_CLIENT, PK_EXEC_PIDFD,
        PK_PROXY, /* published ports: a = the proxy, b and i its own (proxy.c) */
};

struct poll_tag {
        enum poll_kind kind;
        void *a, *b;        /* session/exec and client, by kind */
        size_t i;
};

struct pollset {
        struct pollfd *p;
        struct poll_tag *t;
        size_t n, cap;
        int64_t deadline_ms; /* earliest timer, INT64_MAX if none */
};
int pollset_add(struct pollset *ps, int fd, short events, enum poll_kind kind, void *a, void *b, size_t i);
void pollset_deadline(struct pollset *ps, int64_t ms);

/* ---- session.c: one process's stdio relay ------------------------------- */

/* Bytes from clients waiting for the process's stdin. When full, clients
 * that forward stdin are not read (back-pressure to them, bounded memory). */
#define SESSION_STDIN_MAX (64 * 1024)
/* Output pacing (the slow-reader rule, proto/PROTOCOL.md "Attach stream"):
 *  - the primary client - the connection passed with "start", an exec's own
 *    connection (op exec, or the first exec-attach, "replay":false) - is
 *    patient: while it has more than SESSION_PACE_HIGH queued, the session
 *    stops reading the process's output, so the process blocks in write(2)
 *    as on any full pipe; it is never dropped for being slow;
 *  - additional attachers (op attach, exec-attach with "replay":true) never
 *    hold the output: one more than FRAME_CLIENT_MAX_BUFFER behind is
 *    dropped alone.
 * Control ops, the other clients and their input are served all along;
 * the log gets every byte read (it is written before the frames). */
#define SESSION_PACE_HIGH (256 * 1024)
#define SESSION_FLUSH_PATIENT_MAX_MS 30000

/* Output is read in chunks up to the frame maximum (one frame each), and
 * read again until EAGAIN (at most SESSION_READ_BURST per wake-up, so a
 * fast writer cannot starve the control ops); output pipes are enlarged to
 * the same size where allowed (F_SETPIPE_SZ, else the default stays). A
 * read then takes all a pipe holds, so records end where the writes did. */
#define SESSION_READ_CHUNK PROTO_MAX_FRAME
#define SESSION_PIPE_SIZE SESSION_READ_CHUNK
#define SESSION_READ_BURST (16 * SESSION_READ_CHUNK)
/* The zero-copy path (exec sessions with one client, pipes): at least this
 * much waiting in the pipe, and the last SESSION_SPLICE_TAIL bytes of each
 * payload read (for the ring) rather than spliced. */
#define SESSION_SPLICE_MIN (64 * 1024)
#define SESSION_SPLICE_TAIL (RING_MAX - RING_RECORD_HEADER)

struct session {
        const char *name;    /* for log messages */
        int pty_fd;          /* pty master (owned), -1 without a tty */
        int in_fd;           /* stdin pipe write end (owned) or pty_fd; -1 if none/closed */
        int out_fd, err_fd;  /* output read ends (owned) or pty_fd; -1 at EOF */
        uint8_t *in_buf;
        size_t in_len;
        bool stdin_closing;  /* close stdin once in_buf is written */
        struct frame_clients clients;
        struct cri_log *log; /* the init's session: console.log */
        struct ring *ring;   /* exec sessions: recent output */
        bool hold;           /* nobody attached yet: keep the ring, stop reading when full */
};

/* Takes ownership of the fds given (-1 for none). With pty_fd >= 0 the
 * pty is output, and input too when forward_stdin. */
int session_init(struct session *s, const char *name, int pty_fd, bool forward_stdin, int in_fd, int out_fd,
                 int err_fd);
void session_poll(struct session *s, struct pollset *ps);
void session_handle(struct session *s, const struct poll_tag *t, short revents);
/* Adds a client connection; stdin is forwarded only if the session has
 * stdin. rows/cols > 0 resize the pty first. primary: the client gets
 * back-pressure instead of being dropped (see SESSION_PACE_HIGH). */
int session_attach(struct session *s, int fd, bool want_stdin, bool primary, unsigned rows, unsigned cols,
                   struct frame_client **ret);
int session_resize(struct session *s, unsigned rows, unsigned cols);
/* Reads what is left in the output pipes until EOF or the deadline; while
 * a primary client is behind it waits for it, and each bit of progress it
 * makes moves the deadline MONITOR_DRAIN_MS on (SESSION_FLUSH_PATIENT_MAX_MS
 * in all). */
void session_drain(struct session *s, int64_t deadline_ms);
/* Whether the output is not being read because a primary client is behind
 * (or the ring is full while nobody is attached). */
bool session_output_held(const struct session *s);
bool session_output_open(const struct session *s);
/* Closes the process's fds, sends EXIT to the clients (which then close
 * once flushed, by deadline_ms at the latest). */
void session_finish(struct session *s, const char *exit_json, int64_t deadline_ms);
/* Flushes clients synchronously until all are gone or the deadline. */
void session_flush_clients(struct session *s, int64_t deadline_ms);
void session_free(struct session *s);

/* ---- exec.c: exec sessions --------------------------------------------- */

#define EXECS_MAX 64
/* How long an exec started without "detach" keeps its output unread once
 * the ring is full, waiting for the daemon's exec-attach: nothing the
 * first attacher should see is dropped. */
#define EXEC_HOLD_MS 5000
#define MONITOR_DRAIN_MS 200
#define MONITOR_FLUSH_MS 500

struct exec {
        char *id;
        json_t *command;
        bool tty, has_stdin;
        bool passthrough;   /* stdio is the client's own fds: no session output, no ring */
        bool running, finished, remove_on_exit, ever_attached;
        bool hold;          /* see EXEC_HOLD_MS; mirrored into s.hold */
        struct runtime_container *rc;
        pid_t pid;
        int pidfd;          /* owned by rc; -1 once reaped */
        int exit_code;
        const char *signame;
        int64_t created_ns, finished_ns;
        int64_t hold_until_ms, drain_until_ms;
        int64_t flush_until_ms; /* after the exit: a primary client behind is waited for until then */
        struct ring ring;
        struct session s;
};

struct exec_table {
        struct exec *v[EXECS_MAX];
        size_t n;
};

/* Handles op exec, exec-attach, exec-kill, exec-list, exec-remove. fds
 * (nfds received with the command) are consumed (set to -1) when used; the
 * caller closes the rest. Returns the reply event (new reference). */
json_t *exec_handle_op(struct exec_table *t, const char *op, json_t *msg, int *fds, size_t nfds,
                       const struct runtime_spec *spec, int init_pidfd);
void exec_table_poll(struct exec_table *t, struct pollset *ps, int64_t now_ms);
/* For PK_EXEC_PIDFD: reaps the exec. */
void exec_reaped(struct exec *e);
/* Timers and state changes; appends exec-exited events to events. */
void exec_table_tick(struct exec_table *t, int64_t now_ms, json_t *events);
bool exec_is_tracked_pid(const struct exec_table *t, pid_t pid);
/* The init is gone: kills what runs, sends EXIT to every exec client. */
void exec_table_shutdown(struct exec_table *t, json_t *events);
void exec_table_flush(struct exec_table *t, int64_t deadline_ms);
void exec_table_free(struct exec_table *t);

/* Shared helpers (session.c). */
int monitor_pidfd_signal(int pidfd, int sig);
/* {"exit_code":N[,"signal":"SIGX"]} for a waitid() result; malloc'd. */
char *monitor_exit_json(int code, const char *signame);
