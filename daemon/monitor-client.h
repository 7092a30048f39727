/* The daemon's client side of containerctl-monitor (see
 * daemon/monitor/monitor-proto.h for the messages). Used by the container
 * orchestrator only, from the loop thread. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

struct container;
struct port_mapping;

/* Path of containerctl-monitor: next to /proc/self/exe (the build tree),
 * else PKGLIBEXECDIR. Caller frees. */
int monitor_client_find_binary(char **ret);
/* Field 22 of /proc/<pid>/stat (start time in clock ticks since boot). */
int monitor_client_proc_starttime(pid_t pid, uint64_t *ret);

/* Spawns the monitor for c and watches its channel and pidfd. With
 * wait_network it stops before clone3 until monitor_client_network_ready()
 * (the daemon makes the netns meanwhile), or leaves without a container
 * when the channel closes first. */
int monitor_client_spawn(struct container *c, bool wait_network, struct ctr_error **err);
/* {"op":"network"} to a monitor spawned with wait_network: the one message
 * that gets no reply (it is read before the channel is served). */
int monitor_client_network_ready(struct container *c, struct ctr_error **err);
/* After a daemon restart: watches c's recorded monitor if the pid is alive
 * and its start time matches. -ESRCH if it is gone. */
int monitor_client_adopt(struct container *c);
/* Adds "rows" and "cols" to msg when both are > 0 (the monitor then
 * sizes the pty before the client's bytes flow). */
void monitor_client_winsize(json_t *msg, unsigned rows, unsigned cols);
/* Connects to monitor.sock unless the channel is open. */
int monitor_client_connect(struct container *c, struct ctr_error **err);
/* Called with the monitor's reply to one op ("ok", "failed", "started",
 * "exec-started", "exec-failed", "exec-list"; borrowed), or with reply
 * NULL when the channel closed before the reply came. The monitor answers
 * the ops of one connection in order, so replies are matched FIFO. */
typedef void (*monitor_reply_fn)(struct container *c, json_t *reply, void *userdata);

/* Sends msg (+ fd if >= 0, not consumed), connecting to monitor.sock if
 * needed, and queues cb (may be NULL: the reply is only logged if it is
 * "failed"). On failure cb is not called. */
int monitor_client_call(struct container *c, json_t *msg, int fd, monitor_reply_fn cb,
                        void *userdata, struct ctr_error **err);
/* monitor_client_call() without a reply callback. */
/* As monitor_client_call with nfds (<= MONITOR_MSG_MAX_FDS) fds, not consumed. */
int monitor_client_call_fds(struct container *c, json_t *msg, const int *fds, size_t nfds,
                            monitor_reply_fn cb, void *userdata, struct ctr_error **err);
int monitor_client_send(struct container *c, json_t *msg, int fd, struct ctr_error **err);
int monitor_client_signal(struct container *c, int sig, struct ctr_error **err);
/* Hands the bound host sockets of ports[0..n) (fds[i] for ports[i], from
 * ports_bind(); host_port the actual port) to the monitor, which relays
 * them to address (the container's IPv4 address) until the container
 * exits: op "publish", one per MONITOR_MSG_MAX_FDS ports. Send only, like
 * "start": call it after "created" and before "start" (the monitor handles
 * ops in order, so the relay exists before the command runs). The fds are
 * not consumed: close them right after, or the ports stay bound by the
 * daemon after the container exits. A "failed" reply (the monitor could not
 * take them) is logged. Loop thread. */
int monitor_client_publish(struct container *c, const char *address, const struct port_mapping *ports,
                           size_t n, const int *fds, struct ctr_error **err);
/* Closes the channel only / the channel and the pidfd watch. */
void monitor_client_disconnect(struct container *c);
void monitor_client_unwatch(struct container *c);
