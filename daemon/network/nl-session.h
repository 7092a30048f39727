/* Internal to daemon/network: one rtnetlink socket (libnl-3) for a call
 * sequence, opened in the caller's or another network namespace, and error
 * reports that carry the kernel's own errno and extended-ack text instead
 * of libnl's coarser codes. An nls is used by one thread at a time. */
#pragma once

#include <netlink/errno.h>
#include <stdint.h>

#include "common/error.h"

struct nl_addr;
struct nl_sock;
struct rtnl_link;

struct nls {
        struct nl_sock *sk;
        int kernel_errno;     /* positive errno of the last NLMSG_ERROR, or 0 */
        char kernel_msg[160]; /* its extended-ack message, or "" */
};

/* Opens a NETLINK_ROUTE socket in netns_fd's network namespace, or in the
 * calling thread's when netns_fd < 0. The socket stays in that namespace
 * for its whole life; the calling thread never switches (a helper thread
 * does). */
int nls_open(int netns_fd, struct nls **ret, struct ctr_error **err);
/* Wraps an fd from nls_socket_fd() (taken over, also on failure). */
int nls_from_fd(int fd, struct nls **ret, struct ctr_error **err);
void nls_free(struct nls *s);
DEFINE_FREEP(struct nls, nls_free)

/* Turns a libnl result (-NLE_*) into -errno, preferring the errno the
 * kernel sent for the last request. */
int nls_errno(struct nls *s, int nlerr);
/* Sets *err to "<fmt>: <strerror> (<kernel message>)" for a libnl failure
 * nlerr and returns -errno. */
int nls_error(struct nls *s, int nlerr, struct ctr_error **err, const char *fmt, ...) _printf_(4, 5);
/* Forget the captured kernel error; call before each request. */
void nls_reset(struct nls *s);

/* Runs fn(arg) in a new thread that first joins netns_fd's network
 * namespace (setns), or, with netns_fd < 0, a new one (unshare). The
 * thread ends with fn, so no thread of the process stays in the namespace
 * by accident. Returns fn's result or -errno of the thread setup. */
int nls_run_in_netns(int netns_fd, int (*fn)(void *arg), void *arg, struct ctr_error **err);

/* A bound, close-on-exec NETLINK_ROUTE socket fd in the calling thread's
 * namespace, or -errno. */
int nls_socket_fd(void);

/* One RTM_GETLINK by name (no dump, no cache). A missing link is -ENODEV
 * with *err untouched, so callers decide whether that is an error. */
int nls_link_get(struct nls *s, const char *name, struct rtnl_link **ret, struct ctr_error **err);
/* Names of the links (sorted, NULL-terminated, net_strv_free()) whose name
 * starts with prefix, of kind (NULL: any) and, if master >= 0, ports of
 * that ifindex. what names the operation in errors (links.c). */
int nls_links_collect(struct nls *nl, int master, const char *prefix, const char *kind, char ***ret,
                      const char *what, struct ctr_error **err);
/* Sets IFF_UP on ifindex (name is for messages). */
int nls_link_set_up(struct nls *s, int ifindex, const char *name, struct ctr_error **err);
/* Deletes link ifindex, or link `name` when ifindex is 0; a link already
 * gone is success. */
int nls_link_delete(struct nls *s, int ifindex, const char *name, struct ctr_error **err);
/* Adds addr/prefix (with its broadcast address) to ifindex. */
int nls_addr_add(struct nls *s, int ifindex, const char *name, uint32_t addr, unsigned prefix,
                 struct ctr_error **err);
/* Adds the default route via gateway on ifindex (main table). */
int nls_route_add_default(struct nls *s, int ifindex, const char *name, uint32_t gateway,
                          struct ctr_error **err);
/* A dump the kernel marks interrupted (NLM_F_DUMP_INTR: the table changed
 * meanwhile, e.g. containers starting in parallel) is retried this often. */
#define NLS_DUMP_TRIES 5
#define NLS_DUMP_RETRY(r, expr)                                                \
        do {                                                                   \
                for (int _try = 0; _try < NLS_DUMP_TRIES; _try++) {            \
                        (r) = (expr);                                          \
                        if ((r) != -NLE_DUMP_INTR)                             \
                                break;                                         \
                }                                                              \
        } while (0)

/* An AF_INET nl_addr with a prefix length; NULL on OOM. Caller puts it. */
struct nl_addr *nls_addr_ipv4(uint32_t addr, unsigned prefix);
