/* rtnetlink sessions for daemon/network: sockets created in a chosen
 * network namespace by a short-lived thread (a socket keeps the namespace
 * it was born in), the kernel's errno and extended-ack message captured
 * from NLMSG_ERROR, and the few link requests every file needs. */
#include "daemon/network/nl-session.h"
#include "daemon/network/network.h"

#include <errno.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* libnl folds many errnos into NLE_FAILURE; this only serves when the
 * kernel's own errno was not captured (libnl-side failures). */
static const int nle_errno[] = {
        [NLE_FAILURE] = EIO,        [NLE_INTR] = EINTR,
        [NLE_BAD_SOCK] = EBADF,     [NLE_AGAIN] = EAGAIN,
        [NLE_NOMEM] = ENOMEM,       [NLE_EXIST] = EEXIST,
        [NLE_INVAL] = EINVAL,       [NLE_RANGE] = ERANGE,
        [NLE_MSGSIZE] = EMSGSIZE,   [NLE_OPNOTSUPP] = EOPNOTSUPP,
        [NLE_AF_NOSUPPORT] = EAFNOSUPPORT, [NLE_OBJ_NOTFOUND] = ENOENT,
        [NLE_NOATTR] = ENOENT,      [NLE_MISSING_ATTR] = EINVAL,
        [NLE_AF_MISMATCH] = EINVAL, [NLE_SEQ_MISMATCH] = EPROTO,
        [NLE_MSG_OVERFLOW] = EOVERFLOW, [NLE_MSG_TRUNC] = EMSGSIZE,
        [NLE_NOADDR] = EADDRNOTAVAIL, [NLE_SRCRT_NOSUPPORT] = EOPNOTSUPP,
        [NLE_MSG_TOOSHORT] = EPROTO, [NLE_MSGTYPE_NOSUPPORT] = EOPNOTSUPP,
        [NLE_OBJ_MISMATCH] = EINVAL, [NLE_NOCACHE] = EINVAL,
        [NLE_BUSY] = EBUSY,         [NLE_PROTO_MISMATCH] = EPROTONOSUPPORT,
        [NLE_NOACCESS] = EACCES,    [NLE_PERM] = EPERM,
        [NLE_PKTLOC_FILE] = ENOENT, [NLE_PARSE_ERR] = EPROTO,
        [NLE_NODEV] = ENODEV,       [NLE_IMMUTABLE] = EPERM,
        [NLE_DUMP_INTR] = EINTR,    [NLE_ATTRSIZE] = EINVAL,
};

int
nls_socket_fd(void)
{
        struct sockaddr_nl local = { .nl_family = AF_NETLINK };
        int fd, one = 1;

        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0)
                return negative_errno();
        /* Port 0: the kernel picks a unique one, so libnl's process-wide
         * port map (and its lock) is never involved. */
        if (bind(fd, (struct sockaddr *) &local, sizeof(local)) < 0) {
                int r = negative_errno();
                safe_close(fd);
                return r;
        }
        /* Best effort: older kernels lack them; errors then just read
         * "Invalid argument" without the kernel's explanation. */
        (void) setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
        (void) setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
        return fd;
}

struct netns_thread {
        int netns_fd;
        int (*fn)(void *arg);
        void *arg;
        int r;
        struct ctr_error *err;
};

static void *
netns_thread_main(void *p)
{
        struct netns_thread *t = p;

        if (t->netns_fd >= 0) {
                if (setns(t->netns_fd, CLONE_NEWNET) < 0) {
                        t->r = ctr_error_sys(&t->err, errno, "enter network namespace");
                        return NULL;
                }
        } else if (unshare(CLONE_NEWNET) < 0) {
                t->r = ctr_error_sys(&t->err, errno, "unshare network namespace");
                return NULL;
        }
        t->r = t->fn(t->arg);
        return NULL;
}

int
nls_run_in_netns(int netns_fd, int (*fn)(void *arg), void *arg, struct ctr_error **err)
{
        struct netns_thread t = { .netns_fd = netns_fd, .fn = fn, .arg = arg };
        pthread_t thread;
        int r;

        r = pthread_create(&thread, NULL, netns_thread_main, &t);
        if (r != 0)
                return ctr_error_sys(err, r, "start network namespace helper thread");
        r = pthread_join(thread, NULL);
        if (r != 0) /* cannot happen for a joinable thread we own */
                return ctr_error_sys(err, r, "join network namespace helper thread");
        if (t.err) {
                if (err && !*err)
                        *err = TAKE_PTR(t.err);
                else
                        ctr_error_free(t.err);
        }
        return t.r;
}

/* NLMSG_ERROR with a non-zero error: keep the kernel's errno and its
 * extended-ack text. NL_STOP makes libnl return its own mapping of the
 * same error, which nls_errno() then replaces. */
static int
error_cb(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
        struct nls *s = arg;
        const struct nlmsghdr *h = (const struct nlmsghdr *) ((const char *) e - NLMSG_HDRLEN);
        size_t off, end;

        s->kernel_errno = e->error < 0 ? -e->error : e->error;
        s->kernel_msg[0] = 0;
        if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
                return NL_STOP;
        off = NLMSG_HDRLEN + sizeof(*e);
        if (!(h->nlmsg_flags & NLM_F_CAPPED))
                off += e->msg.nlmsg_len - NLMSG_HDRLEN;
        end = h->nlmsg_len;
        while (off + NLA_HDRLEN <= end) {
                const struct nlattr *a = (const struct nlattr *) ((const char *) h + off);

                if (a->nla_len < NLA_HDRLEN || off + a->nla_len > end)
                        break;
                if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
                        size_t n = a->nla_len - NLA_HDRLEN;

                        if (n >= sizeof(s->kernel_msg))
                                n = sizeof(s->kernel_msg) - 1;
                        memcpy(s->kernel_msg, (const char *) a + NLA_HDRLEN, n);
                        s->kernel_msg[n] = 0;
                        break;
                }
                off += NLA_ALIGN(a->nla_len);
        }
        return NL_STOP;
}

static int
socket_fd_fn(void *arg)
{
        int *fd = arg;

        *fd = nls_socket_fd();
        return *fd < 0 ? *fd : 0;
}

int
nls_from_fd(int fd, struct nls **ret, struct ctr_error **err)
{
        _cleanup_close_ int owned = fd;
        _cleanup_(nls_freep) struct nls *s = NULL;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return ctr_error_sys(err, ENOMEM, "allocate netlink session");
        s->sk = nl_socket_alloc();
        if (!s->sk)
                return ctr_error_sys(err, ENOMEM, "allocate netlink socket");
        r = nl_socket_set_fd(s->sk, NETLINK_ROUTE, owned);
        if (r < 0)
                return ctr_error_msg(err, EIO, "set up netlink socket: %s", nl_geterror(r));
        TAKE_FD(owned); /* nl_socket_free() closes it from now on */
        nl_socket_modify_err_cb(s->sk, NL_CB_CUSTOM, error_cb, s);
        *ret = TAKE_PTR(s);
        return 0;
}

int
nls_open(int netns_fd, struct nls **ret, struct ctr_error **err)
{
        int fd = -1, r;

        if (netns_fd >= 0) {
                r = nls_run_in_netns(netns_fd, socket_fd_fn, &fd, err);
                if (r < 0)
                        return ctr_error_prefix(err, -r, "open netlink socket in network namespace");
        } else {
                fd = nls_socket_fd();
                if (fd < 0)
                        return ctr_error_sys(err, -fd, "open netlink socket");
        }
        return nls_from_fd(fd, ret, err);
}

void
nls_free(struct nls *s)
{
        if (!s)
                return;
        nl_socket_free(s->sk); /* closes the fd; NULL-safe */
        free(s);
}

void
nls_reset(struct nls *s)
{
        s->kernel_errno = 0;
        s->kernel_msg[0] = 0;
}

int
nls_errno(struct nls *s, int nlerr)
{
        int e;

        if (s && s->kernel_errno > 0)
                return -s->kernel_errno;
        e = nlerr < 0 ? -nlerr : nlerr;
        if (e > 0 && (size_t) e < ARRAY_SIZE(nle_errno) && nle_errno[e] != 0)
                return -nle_errno[e];
        return -EIO;
}

int
nls_error(struct nls *s, int nlerr, struct ctr_error **err, const char *fmt, ...)
{
        char what[512];
        va_list ap;
        int r = nls_errno(s, nlerr);

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        if (s && s->kernel_msg[0])
                return ctr_error_msg(err, -r, "%s: %s (%s)", what, strerror(-r), s->kernel_msg);
        return ctr_error_msg(err, -r, "%s: %s", what, strerror(-r));
}

int
nls_link_get(struct nls *s, const char *name, struct rtnl_link **ret, struct ctr_error **err)
{
        int r;

        nls_reset(s);
        r = rtnl_link_get_kernel(s->sk, 0, name, ret);
        if (r < 0) {
                int e = nls_errno(s, r);

                if (e == -ENODEV || e == -ENOENT)
                        return -ENODEV;
                return nls_error(s, r, err, "look up interface `%s`", name);
        }
        return 0;
}

int
nls_link_set_up(struct nls *s, int ifindex, const char *name, struct ctr_error **err)
{
        struct rtnl_link *l;
        int r;

        l = rtnl_link_alloc();
        if (!l)
                return ctr_error_sys(err, ENOMEM, "bring `%s` up", name);
        rtnl_link_set_ifindex(l, ifindex);
        rtnl_link_set_flags(l, IFF_UP);
        nls_reset(s);
        /* RTM_NEWLINK without NLM_F_CREATE on an existing index changes
         * just the flags given in ifi_change. */
        r = rtnl_link_add(s->sk, l, 0);
        rtnl_link_put(l);
        if (r < 0)
                return nls_error(s, r, err, "bring `%s` up", name);
        return 0;
}

int
nls_link_delete(struct nls *s, int ifindex, const char *name, struct ctr_error **err)
{
        struct rtnl_link *l;
        int r;

        l = rtnl_link_alloc();
        if (!l)
                return ctr_error_sys(err, ENOMEM, "delete `%s`", name);
        if (ifindex > 0)
                rtnl_link_set_ifindex(l, ifindex);
        else
                rtnl_link_set_name(l, name);
        nls_reset(s);
        r = rtnl_link_delete(s->sk, l);
        rtnl_link_put(l);
        if (r < 0) {
                if (nls_errno(s, r) == -ENODEV)
                        return 0;
                return nls_error(s, r, err, "delete interface `%s`", name);
        }
        return 0;
}

struct nl_addr *
nls_addr_ipv4(uint32_t addr, unsigned prefix)
{
        uint32_t be = htonl(addr);
        struct nl_addr *a = nl_addr_build(AF_INET, &be, sizeof(be));

        if (a)
                nl_addr_set_prefixlen(a, (int) prefix);
        return a;
}

int
nls_addr_add(struct nls *s, int ifindex, const char *name, uint32_t addr, unsigned prefix,
             struct ctr_error **err)
{
        char a[NET_ADDR_STRLEN];
        struct nl_addr *local = NULL, *bcast = NULL;
        struct rtnl_addr *ra = NULL;
        int r = -NLE_NOMEM;

        local = nls_addr_ipv4(addr, prefix);
        bcast = nls_addr_ipv4(addr | (prefix >= 32 ? 0 : 0xffffffffu >> prefix), 32);
        ra = rtnl_addr_alloc();
        if (local && bcast && ra) {
                rtnl_addr_set_ifindex(ra, ifindex);
                rtnl_addr_set_family(ra, AF_INET);
                r = rtnl_addr_set_local(ra, local); /* prefix length from local */
                if (r >= 0)
                        r = rtnl_addr_set_broadcast(ra, bcast);
                if (r >= 0) {
                        nls_reset(s);
                        r = rtnl_addr_add(s->sk, ra, NLM_F_EXCL);
                }
        }
        rtnl_addr_put(ra);
        nl_addr_put(local);
        nl_addr_put(bcast);
        if (r < 0)
                return nls_error(s, r, err, "add address %s/%u to `%s`", net_addr_format(addr, a), prefix,
                                 name);
        return 0;
}

int
nls_route_add_default(struct nls *s, int ifindex, const char *name, uint32_t gateway,
                      struct ctr_error **err)
{
        char a[NET_ADDR_STRLEN];
        struct nl_addr *dst = NULL, *gw = NULL;
        struct rtnl_route *route = NULL;
        struct rtnl_nexthop *nh = NULL;
        int r = -NLE_NOMEM;

        dst = nls_addr_ipv4(0, 0);
        gw = nls_addr_ipv4(gateway, 32);
        route = rtnl_route_alloc();
        nh = rtnl_route_nh_alloc();
        if (dst && gw && route && nh) {
                rtnl_route_set_family(route, AF_INET);
                rtnl_route_set_table(route, RT_TABLE_MAIN);
                rtnl_route_set_type(route, RTN_UNICAST);
                rtnl_route_set_protocol(route, RTPROT_BOOT);
                rtnl_route_set_scope(route, RT_SCOPE_UNIVERSE);
                r = rtnl_route_set_dst(route, dst);
                if (r >= 0) {
                        rtnl_route_nh_set_ifindex(nh, ifindex);
                        rtnl_route_nh_set_gateway(nh, gw);
                        rtnl_route_add_nexthop(route, TAKE_PTR(nh)); /* route owns it now */
                        nls_reset(s);
                        r = rtnl_route_add(s->sk, route, NLM_F_EXCL);
                }
        }
        if (nh)
                rtnl_route_nh_free(nh);
        rtnl_route_put(route);
        nl_addr_put(dst);
        nl_addr_put(gw);
        if (r < 0)
                return nls_error(s, r, err, "add default route via %s on `%s`", net_addr_format(gateway, a),
                                 name);
        return 0;
}
