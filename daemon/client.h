/* One API connection: buffered line I/O on a non-blocking Unix socket, the
 * peer's credentials (SO_PEERCRED at accept), and a lifetime that survives
 * its own callbacks: refcount, a dead flag once the connection is gone, and
 * the free deferred to the last unref. Knows nothing of JSON-RPC methods. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "common/macros.h"
#include "daemon/authz.h"

struct client;
struct server;

/* Called for each complete line (newline stripped, NUL-terminated, owned
 * by the callee: free it). The client is alive and referenced during the
 * call. */
typedef void (*client_line_fn)(struct client *c, char *line, size_t len, void *userdata);

/* Most fds a peer may pass (SCM_RIGHTS) with one request line; more, or
 * fds with no line that claims them, are closed. */
#define CLIENT_MAX_FDS 3

struct client *client_ref(struct client *c);
void client_unref(struct client *c);
DEFINE_FREEP(struct client, client_unref)

/* True once the connection is closed or handed away; writes are dropped. */
bool client_is_dead(const struct client *c);
uid_t client_peer_uid(const struct client *c);
/* The role the peer got at accept (daemon/authz.h). */
enum authz_role client_peer_role(const struct client *c);
pid_t client_peer_pid(const struct client *c);
/* Short name for logs: "uid=0 pid=123". */
const char *client_peer_name(const struct client *c);

/* Only from the line callback: moves up to max of the fds that came with
 * this line into fds (the caller owns them; O_CLOEXEC). Those left are
 * closed when the callback returns. Returns how many. */
size_t client_take_fds(struct client *c, int *fds, size_t max);

/* Queues bytes for writing (a complete line). Silently dropped if dead. */
void client_write(struct client *c, const char *data, size_t len);
/* Stops reading and closes once queued output is written. */
void client_close_after_flush(struct client *c);
/* Closes now (pending output is lost). Idempotent. */
void client_close(struct client *c);

/* Requests in flight (replies the daemon still owes). The client closes
 * after its peer's EOF only once this reaches 0 and output is flushed. */
unsigned client_inflight(const struct client *c);
void client_inflight_inc(struct client *c);
void client_inflight_dec(struct client *c);

/* Stream mode (container.logs): after the reply the connection carries
 * frames written by the daemon. Input is discarded, the peer's EOF closes
 * the connection. fn is called (from the loop, never from inside
 * client_write) when the output has drained below `low` bytes and once
 * when the connection is gone (client_is_dead()); fn must not free the
 * client. client_stream_end() unregisters fn. */
typedef void (*client_stream_fn)(struct client *c, void *userdata);
void client_stream_begin(struct client *c, size_t low, client_stream_fn fn, void *userdata);
void client_stream_end(struct client *c);
/* Bytes queued for the peer and not yet written (0 if dead). */
size_t client_output_pending(const struct client *c);

/* Hands the connection away (attach): writes all queued output and then
 * extra (may be NULL) synchronously, stops all I/O, and returns the socket
 * in *ret_fd (caller owns it, O_CLOEXEC, switched to blocking). The client
 * is dead afterwards. */
int client_detach(struct client *c, const char *extra, size_t extra_len, int *ret_fd);
