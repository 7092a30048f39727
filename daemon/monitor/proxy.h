/* The published-port relay of containerctl-monitor: the daemon binds the
 * host sockets (daemon/ports.c) and hands them over with op "publish"; the
 * monitor relays them to the container's address for as long as the
 * container lives, across daemon restarts. Runs in the monitor's single
 * poll() loop: nothing here blocks, and only fds that can make progress are
 * polled (no busy loop).
 *
 * TCP: accept, a non-blocking connect to address:container_port, then
 * splice(2) both ways through one pipe per direction (the bytes never enter
 * user space); EOF on one side becomes shutdown(SHUT_WR) on the other, a
 * reset or error on either side resets both; a refused or failed connect
 * resets the client. At most conns_max connections (PROXY_TCP_CONNS_MAX, or
 * fewer when RLIMIT_NOFILE is low): beyond that the listeners are not
 * polled (the kernel's backlog holds new clients) until one closes.
 *
 * UDP: per client address a socket connected to the container, closed after
 * PROXY_UDP_IDLE_MS without traffic (the least recently used one is
 * recycled when PROXY_UDP_FLOWS_MAX are open); replies go back to the
 * client from the address it sent to (IP_PKTINFO), so a wildcard listener
 * answers from the right address.
 *
 * The container sees the monitor's address (the host side of its network),
 * not the client's: the price of a userspace relay. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "daemon/monitor/monitor.h"

#define PROXY_TCP_CONNS_MAX 1024
#define PROXY_UDP_FLOWS_MAX 1024
#define PROXY_UDP_IDLE_MS 60000
/* Listening sockets per container, over all publish ops. */
#define PROXY_LISTENERS_MAX 1024
/* Asked for each relay pipe (F_SETPIPE_SZ, best effort: pipe-max-size may
 * be lower and then the default 64 KiB stays): fewer wake-ups per MiB. */
#define PROXY_PIPE_SIZE (256 * 1024)
/* Empty relay pipes kept for reuse (2 fds each): a connection holds a pipe
 * only while bytes are in flight. */
#define PROXY_PIPES_SPARE 32
/* Bytes moved per direction per wake-up, so one fast connection cannot
 * starve the others or the control ops. */
#define PROXY_SPLICE_BURST (4 * PROXY_PIPE_SIZE)
#define PROXY_ACCEPT_BURST 32
#define PROXY_UDP_BURST 64
/* Out of fds (EMFILE, ENFILE) at accept: listeners rest this long. */
#define PROXY_ACCEPT_BACKOFF_MS 100
/* Fds a TCP connection may hold: two sockets and two pipes (while both
 * directions have bytes in flight). */
#define PROXY_FDS_PER_CONN 6
/* Fds kept out of the relay's budget for the monitor's own use (stdio,
 * control connections, attach clients, execs). */
#define PROXY_FDS_RESERVED 512

struct proxy;

/* An empty relay. Its limits come from RLIMIT_NOFILE now: at most
 * PROXY_TCP_CONNS_MAX connections and PROXY_UDP_FLOWS_MAX flows, fewer
 * when the fds beyond PROXY_FDS_RESERVED do not suffice. NULL on ENOMEM. */
struct proxy *proxy_new(void);
/* Op "publish" (monitor-proto.h): takes every fd of fds[0..nfds) (set to
 * -1) on success; on failure takes none, and *err says why. All or
 * nothing: either every port of the op is relayed or none. */
int proxy_publish(struct proxy *p, json_t *msg, int *fds, size_t nfds, struct ctr_error **err);
/* Adds the fds that can make progress (kind PK_PROXY) and the timers. */
void proxy_poll(struct proxy *p, struct pollset *ps, int64_t now_ms);
/* For a PK_PROXY tag. A connection closed here stays allocated until
 * proxy_tick(), so later tags of the same poll round stay valid. */
void proxy_handle(struct proxy *p, const struct poll_tag *t, short revents, int64_t now_ms);
/* After each poll round: frees closed connections, expires idle UDP flows. */
void proxy_tick(struct proxy *p, int64_t now_ms);
/* Closes every listener, connection and flow. NULL-safe. */
void proxy_free(struct proxy *p);
