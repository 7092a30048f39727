/* The daemon <-> containerctl-monitor control channel: one JSON object per
 * SOCK_SEQPACKET message, optionally with up to MONITOR_MSG_MAX_FDS (64) fds
 * (SCM_RIGHTS). At spawn the channel is a socketpair on the monitor's fd 3;
 * later (after a daemon restart) the daemon connects to
 * <run-dir>/monitor.sock. Replies to commands come in order per connection;
 * exec-exited and exited are unsolicited and go to every connection.
 *
 * Monitor options: --stdin (the init gets a stdin pipe, else /dev/null),
 * --tty (informational: a pty is used when config.json has
 * process.terminal), --log-max-size BYTES (0: unbounded, the default),
 * --log-max-files N (1-1000, default 1; console.log included),
 * --wait-network (stop before clone3 until the daemon sends
 * {"op":"network"} on fd 3, the one command without a reply: it has made
 * the network namespace config.json names; if fd 3 closes first, leave
 * with an "error" event and no container).
 *
 * monitor -> daemon events:
 *   {"event":"created","pid":N}                 init is set up, waits for start
 *   {"event":"error","exit_code":125|126|127,"message":"..."}   create failed; monitor exits
 *   {"event":"started"}                          init exec'd
 *   {"event":"exited","exit_code":N[,"signal":"SIGKILL"][,"message":"..."]}
 *                                                init is gone, exit.json written
 *   {"event":"exec-started","exec_id":ID,"pid":N}
 *   {"event":"exec-failed","exec_id":ID,"exit_code":125|126|127,"message":"..."}
 *   {"event":"exec-exited","exec_id":ID,"exit_code":N[,"signal":"SIGKILL"]}
 *   {"event":"exec-list","execs":[{"exec_id","command":[..],"tty","running","pid",
 *       "exit_code" (null while running),"signal","created","finished_at" (RFC 3339 or null)}]}
 *   {"event":"ok"} / {"event":"failed","message":"..."}   reply to a command
 * daemon -> monitor commands (rows/cols > 0 size the pty first; "stdin"
 * defaults to true and applies only if the process has stdin):
 *   {"op":"start","stdin":B,"rows":R,"cols":C}  [+ fd: the `run` client, waited for however slow]
 *   {"op":"attach","stdin":B,"rows":R,"cols":C} + fd: an attacher (dropped when too slow)
 *   {"op":"signal","signal":N}  signal the init (via its pidfd)
 *   {"op":"exec","exec_id":ID,"process":{"args","env","cwd","user":{"uid","gid",
 *       "additionalGids"},"terminal","rows","cols"},"stdin":B,"detach":B} [+ fd]
 *       Without detach, output beyond the 64 KiB ring is held (the process
 *       slowed) until the first exec-attach, for at most 5 s.
 *       With "passthrough":true the fds are the process's stdio instead of
 *       a connection: stdin (only if "stdin"), stdout, stderr; no pipes, no
 *       ring (exec-attach gets only the EXIT), exec-list says "passthrough".
 *   {"op":"exec-attach","exec_id":ID,"stdin":B,"replay":B,"rows","cols"} + fd
 *       replay: the ring, then CONTROL {"op":"replay_end"}; without replay the
 *       ring is sent only to the first attacher. EXIT follows if it ended.
 *   {"op":"exec-kill","exec_id":ID,"signal":N}   {"op":"exec-list"}
 *   {"op":"exec-remove","exec_id":ID,"force":B}   (running and not force: failed)
 *   {"op":"publish","address":"10.88.0.5","ports":[{"host_ip","host_port",
 *       "container_port","protocol"}, ...]} + one fd per port, in order
 *       (daemon/ports.h: the JSON form, host_port the port actually bound):
 *       bound host sockets (TCP listening, UDP bound) the monitor relays to
 *       address:container_port until the container exits
 *       (daemon/monitor/proxy.c). At most MONITOR_MSG_MAX_FDS ports per op:
 *       more are sent as several ops, which add up. Sent after "created"
 *       and before "start" (the init was cloned before the fds arrived, and
 *       execs never inherit them: close-on-exec). Reply ok, or failed (all
 *       fds of the op closed, nothing relayed).
 *
 * If the spawn socketpair closes before "start", the monitor kills the
 * init and exits: a container nobody will start must not linger. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#define MONITOR_MSG_MAX 65536
#define MONITOR_CONTROL_FD 3
#define MONITOR_SOCKET_NAME "monitor.sock"
/* {"exit_code","signal","finished_at","finished_ns","message",
 *  "oom_kills"? (the cgroup's count when the init exited)} */
#define MONITOR_EXIT_FILE "exit.json"

/* Fds per packet: 64 listening sockets of "publish" in one op (the kernel
 * allows SCM_MAX_FD, 253); the other ops pass 1 to 3. */
#define MONITOR_MSG_MAX_FDS 64

/* Sends msg (and fd if >= 0) as one packet. Returns 0 or -errno. */
int monitor_msg_send(int sock, json_t *msg, int fd);
/* Sends msg with nfds (0..MONITOR_MSG_MAX_FDS) fds, not consumed. */
int monitor_msg_send_fds(int sock, json_t *msg, const int *fds, size_t nfds);
/* As monitor_msg_recv, keeping up to MONITOR_MSG_MAX_FDS received fds
 * (O_CLOEXEC, in order) in fds; *ret_nfds gets their number. */
int monitor_msg_recv_fds(int sock, json_t **ret, int *fds, size_t *ret_nfds);
/* Receives one packet: *ret gets a new reference, *ret_fd a received fd
 * (O_CLOEXEC) or -1 (ret_fd may be NULL: a received fd is then closed).
 * Returns 0, -ECONNRESET on EOF, -EAGAIN if non-blocking and empty,
 * -EBADMSG if not a JSON object. */
int monitor_msg_recv(int sock, json_t **ret, int *ret_fd);
