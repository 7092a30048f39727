/* The daemon <-> containerctl-monitor control channel: one JSON object per
 * SOCK_SEQPACKET message, optionally with one fd (SCM_RIGHTS). At spawn the
 * channel is a socketpair on the monitor's fd 3; later (after a daemon
 * restart) the daemon connects to <run-dir>/monitor.sock.
 *
 * monitor -> daemon events:
 *   {"event":"created","pid":N}                 init is set up, waits for start
 *   {"event":"error","exit_code":125|126|127,"message":"..."}   create failed; monitor exits
 *   {"event":"started"}                          init exec'd
 *   {"event":"exited","exit_code":N[,"signal":"SIGKILL"][,"message":"..."]}
 *                                                init is gone, exit.json written
 *   {"event":"ok"} / {"event":"failed","message":"..."}   reply to a command
 * daemon -> monitor commands:
 *   {"op":"start"}            [+ fd: a client connection to stream output to]
 *   {"op":"attach"}           + fd: another client connection (frames)
 *   {"op":"signal","signal":N}  signal the init (via its pidfd)
 *
 * If the spawn socketpair closes before "start", the monitor kills the
 * init and exits: a container nobody will start must not linger. */
#pragma once

#include <jansson.h>

#define MONITOR_MSG_MAX 65536
#define MONITOR_CONTROL_FD 3
#define MONITOR_SOCKET_NAME "monitor.sock"
#define MONITOR_EXIT_FILE "exit.json"

/* Sends msg (and fd if >= 0) as one packet. Returns 0 or -errno. */
int monitor_msg_send(int sock, json_t *msg, int fd);
/* Receives one packet: *ret gets a new reference, *ret_fd a received fd
 * (O_CLOEXEC) or -1 (ret_fd may be NULL: a received fd is then closed).
 * Returns 0, -ECONNRESET on EOF, -EAGAIN if non-blocking and empty,
 * -EBADMSG if not a JSON object. */
int monitor_msg_recv(int sock, json_t **ret, int *ret_fd);
