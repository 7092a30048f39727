/* The daemon's client side of containerctl-monitor (see
 * daemon/monitor/monitor-proto.h for the messages). Used by the container
 * orchestrator only, from the loop thread. */
#pragma once

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

struct container;

/* Path of containerctl-monitor: next to /proc/self/exe (the build tree),
 * else PKGLIBEXECDIR. Caller frees. */
int monitor_client_find_binary(char **ret);
/* Field 22 of /proc/<pid>/stat (start time in clock ticks since boot). */
int monitor_client_proc_starttime(pid_t pid, uint64_t *ret);

/* Spawns the monitor for c and watches its channel and pidfd. */
int monitor_client_spawn(struct container *c, struct ctr_error **err);
/* After a daemon restart: watches c's recorded monitor if the pid is alive
 * and its start time matches. -ESRCH if it is gone. */
int monitor_client_adopt(struct container *c);
/* Sends msg (+ fd if >= 0), connecting to monitor.sock if needed. */
int monitor_client_send(struct container *c, json_t *msg, int fd, struct ctr_error **err);
int monitor_client_signal(struct container *c, int sig, struct ctr_error **err);
/* Closes the channel only / the channel and the pidfd watch. */
void monitor_client_disconnect(struct container *c);
void monitor_client_unwatch(struct container *c);
