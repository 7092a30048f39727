/* network.create, list, inspect and remove as the API sees them. Checks
 * that need only the table (name, subnet shape, overlaps with the other
 * networks, bridge names) run in the loop and answer at once; the host's
 * addresses and routes, the interface names and the files are a worker's:
 *
 *   create: loop: checks, network reserved (CREATING) -> worker: host
 *           overlap, bridge name free, IPAM, record -> loop: READY, reply,
 *           NAT job. The bridge itself is made by the first attach
 *           (network_prepare).
 *   remove: loop: checks, REMOVING -> (after releases asked before it)
 *           loop: still no lease? -> worker: bridge, files -> loop: gone,
 *           NAT job (its rules go). */
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "common/time-util.h"
#include "daemon/network-manager-internal.h"

void
nm_reply_error(struct request *req, int r, const struct ctr_error *e)
{
        const char *msg = e && e->message ? e->message : strerror(-r);

        if (r == -EADDRINUSE || r == -EEXIST || r == -ENOTEMPTY || r == -EBUSY)
                request_error(req, PROTO_ERR_CONFLICT, msg, NULL);
        else
                request_error_errno(req, r, e);
}

/* ---- create ---- */

/* Worker. */
static int
create_run(struct nm_job *j)
{
        _cleanup_(net_strv_freep) char **links = NULL;
        struct network *net = j->net;
        int64_t now;
        int r;

        r = net_subnet_check_host(&net->subnet, NULL, &j->err);
        if (r < 0)
                return r;
        /* Any existing interface is refused, a bridge too: network.remove
         * deletes the bridge, so it must be one this network made. */
        r = net_links_list(net->bridge, NULL, &links, &j->err);
        if (r < 0)
                return r;
        for (char **l = links; *l; l++)
                if (strcmp(*l, net->bridge) == 0)
                        return ctr_error_msg(&j->err, EEXIST,
                                             "interface `%s` already exists; choose another bridge name",
                                             net->bridge);
        /* A stale IPAM file of a network of that name removed halfway
         * would carry its old subnet. */
        r = network_files_remove(net, &j->err);
        if (r < 0)
                return r;
        r = network_ipam_open(net, &j->err);
        if (r < 0)
                return r;
        now = now_ns();
        pthread_mutex_lock(&net->lock);
        r = network_record_save(net, now, &j->err);
        if (r >= 0)
                net->w_persisted = true;
        pthread_mutex_unlock(&net->lock);
        if (r < 0)
                return r;
        j->created_ns = now;
        return 0;
}

static void
create_finish(struct nm_job *j)
{
        struct network *net = j->net;
        char s[NET_SUBNET_STRLEN];
        json_t *reply;

        if (j->r < 0) {
                nm_unlink(j->m, net);
                nm_reply_error(TAKE_PTR(j->req), j->r, j->err);
                return;
        }
        net->state = NETWORK_READY;
        net->created_ns = j->created_ns;
        nm_nat_update(j->m);
        log_info("network `%s` created: %s on bridge %s", net->name, net_subnet_format(&net->subnet, s),
                 net->bridge);
        reply = network_to_json(net);
        if (!reply)
                request_error(TAKE_PTR(j->req), PROTO_ERR_INTERNAL, "out of memory", NULL);
        else
                request_reply(TAKE_PTR(j->req), reply);
}

/* The checks against the other networks (loop, no I/O). *ret_kind says how
 * to answer a failure. Also used by the unit tests. */
int
nm_check_new_network(struct network_manager *m, const char *name, const char *subnet, const char *bridge,
                     struct net_subnet *ret_subnet, char ret_bridge[static NET_IFNAME_MAX + 1],
                     enum proto_error_kind *ret_kind, struct ctr_error **err)
{
        char a[NET_SUBNET_STRLEN];
        struct net_subnet s;
        int r;

        *ret_kind = PROTO_ERR_INVALID_PARAMS;
        if (!network_name_is_valid(name))
                return ctr_error_msg(err, EINVAL,
                                     "invalid network name `%s`: 1-64 characters of a-z, 0-9, '_', '.' and "
                                     "'-', starting with a letter or digit (not `none` or `host`)",
                                     name);
        r = net_subnet_parse(subnet, &s, err);
        if (r < 0)
                return r;
        if (bridge) {
                if (!net_ifname_is_valid(bridge))
                        return ctr_error_msg(err, EINVAL,
                                             "invalid bridge name `%s`: 1-15 characters, no '/', ':' or "
                                             "spaces",
                                             bridge);
                snprintf(ret_bridge, NET_IFNAME_MAX + 1, "%s", bridge);
        } else
                network_default_bridge(name, ret_bridge);
        /* Container interfaces are "vc" + 10 hex characters. */
        if (strncmp(ret_bridge, NET_VETH_PREFIX, strlen(NET_VETH_PREFIX)) == 0)
                return ctr_error_msg(err, EINVAL,
                                     "bridge name `%s`: names starting with `" NET_VETH_PREFIX
                                     "` are for container interfaces",
                                     ret_bridge);
        *ret_kind = PROTO_ERR_CONFLICT;
        for (struct network *n = m->networks; n; n = n->next) {
                if (strcmp(n->name, name) == 0)
                        return ctr_error_msg(err, EEXIST, "network `%s` already exists", name);
                if (net_subnet_overlaps(&n->subnet, &s))
                        return ctr_error_msg(err, EADDRINUSE, "subnet %s overlaps network `%s` (%s)", subnet,
                                             n->name, net_subnet_format(&n->subnet, a));
                if (strcmp(n->bridge, ret_bridge) == 0)
                        return ctr_error_msg(err, EEXIST, "bridge `%s` is used by network `%s`%s", ret_bridge,
                                             n->name, bridge ? "" : "; choose a bridge name (--bridge)");
        }
        *ret_subnet = s;
        return 0;
}

void
network_manager_create(struct network_manager *m, const char *name, const char *subnet, const char *bridge,
                       bool masquerade, struct request *req)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        char br[NET_IFNAME_MAX + 1];
        enum proto_error_kind kind;
        struct network *net = NULL;
        struct net_subnet s;
        struct nm_job *j;
        int r;

        r = nm_check_new_network(m, name, subnet, bridge, &s, br, &kind, &e);
        if (r < 0) {
                request_error(req, kind, e ? e->message : strerror(-r), NULL);
                return;
        }
        if (masquerade && !net_nat_name_is_valid(br)) {
                request_errorf(req, PROTO_ERR_INVALID_PARAMS,
                               "--masquerade: the bridge name `%s` must be letters, digits, '_', '.' and '-' "
                               "(nftables matches it)",
                               br);
                return;
        }
        j = nm_job_new(m, NM_JOB_CREATE, create_run, create_finish);
        if (!j || network_new(name, &s, br, false, m->dir, &net) < 0) {
                nm_job_unref(j);
                request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                return;
        }
        /* Reserved in the table now: a concurrent create sees the name,
         * subnet and bridge taken; nothing else sees the network. */
        net->state = NETWORK_CREATING;
        net->masquerade = masquerade;
        nm_insert(m, net);
        j->net = network_ref(net);
        j->req = req;
        nm_job_submit(m, j);
}

/* ---- list, inspect ---- */

/* network_to_json() with "containers" not counting the removed containers
 * whose lease only waits for the teardown batch (parked or already in a
 * running batch: nm_lease_leaving()), as inspect lists them. */
static json_t *
network_json(struct network_manager *m, const struct network *n)
{
        _cleanup_free_ struct net_lease *leases = NULL;
        json_t *j = network_to_json(n);
        json_int_t count = 0;
        size_t n_leases = 0;

        if (!j || net_ipam_leases(n->ipam, &leases, &n_leases) < 0)
                return j;
        for (size_t i = 0; i < n_leases; i++)
                if (!nm_lease_leaving(m, leases[i].owner))
                        count++;
        json_object_set_new(j, "containers", json_integer(count));
        return j;
}

json_t *
network_manager_list_json(struct network_manager *m)
{
        json_t *a = json_array();

        for (struct network *n = m->networks; a && n; n = n->next)
                if (n->state != NETWORK_CREATING && json_array_append_new(a, network_json(m, n)) < 0) {
                        json_decref(a);
                        a = NULL;
                }
        return a ? json_pack("{s:o}", "networks", a) : NULL;
}

int
network_manager_inspect_json(struct network_manager *m, const char *name, json_t **ret,
                             struct ctr_error **err)
{
        _cleanup_free_ struct net_lease *leases = NULL;
        struct network *n = nm_find(m, name);
        json_t *j, *a;
        size_t n_leases = 0;
        int r;

        if (!n || n->state == NETWORK_CREATING)
                return ctr_error_msg(err, ENOENT, "no such network `%s`", name);
        r = net_ipam_leases(n->ipam, &leases, &n_leases);
        if (r < 0)
                return ctr_error_sys(err, -r, "network `%s`", name);
        j = network_to_json(n);
        a = json_array();
        if (!j || !a || json_object_set_new(j, "containers", a) < 0) {
                json_decref(j);
                return ctr_error_sys(err, ENOMEM, "network `%s`", name);
        }
        for (size_t i = 0; i < n_leases; i++) {
                struct nm_endpoint *e = nm_endpoint_find(m, leases[i].owner);
                char addr[NET_ADDR_STRLEN];

                /* Removed, its lease only waiting for the teardown batch:
                 * no longer a member. */
                if (nm_lease_leaving(m, leases[i].owner))
                        continue;

                /* The name of a container that is not running is the
                 * container side's (daemon/api/network.c fills it in). */
                if (json_array_append_new(a, json_pack("{s:s,s:s?,s:s}", "id", leases[i].owner, "name",
                                                       e ? e->name : NULL, "address",
                                                       net_addr_format(leases[i].addr, addr))) < 0) {
                        json_decref(j);
                        return ctr_error_sys(err, ENOMEM, "network `%s`", name);
                }
        }
        *ret = j;
        return 0;
}

/* ---- remove ---- */

/* Worker: the bridge first (a failure leaves a working network), then
 * the files. */
static int
remove_run(struct nm_job *j)
{
        int r = net_bridge_delete(j->net->bridge, &j->err);

        if (r < 0)
                return ctr_error_prefix(&j->err, -r, "network `%s`", j->net->name);
        return network_files_remove(j->net, &j->err);
}

/* Loop, once the releases asked before it are done. */
static int
remove_start(struct nm_job *j)
{
        struct network *net = j->net;
        unsigned n = (unsigned) net_ipam_count(net->ipam);

        if (n == 0 && net->attaching == 0 && nm_endpoints_on(j->m, net) == 0)
                return 0;
        if (n == 0)
                n = net->attaching + nm_endpoints_on(j->m, net);
        j->r = ctr_error_msg(&j->err, EBUSY, "network `%s` is in use by %u container%s", net->name, n,
                             n == 1 ? "" : "s");
        return 1;
}

static void
remove_finish(struct nm_job *j)
{
        struct network *net = j->net;

        if (j->r < 0) {
                net->state = NETWORK_READY;
                nm_reply_error(TAKE_PTR(j->req), j->r, j->err);
                return;
        }
        log_info("network `%s` removed (bridge %s)", net->name, net->bridge);
        request_reply(TAKE_PTR(j->req), json_pack("{s:s}", "name", net->name));
        nm_unlink(j->m, net);
        nm_nat_update(j->m);
}

void
network_manager_remove(struct network_manager *m, const char *name, struct request *req)
{
        struct network *net = nm_find(m, name);
        struct nm_job *j;

        if (!net || net->state == NETWORK_CREATING) {
                request_errorf(req, PROTO_ERR_NOT_FOUND, "no such network `%s`", name);
                return;
        }
        if (net->is_default) {
                request_errorf(req, PROTO_ERR_INVALID_PARAMS, "the default network `%s` cannot be removed",
                               name);
                return;
        }
        if (net->state == NETWORK_REMOVING) {
                request_errorf(req, PROTO_ERR_CONFLICT, "network `%s` is being removed", name);
                return;
        }
        j = nm_job_new(m, NM_JOB_REMOVE, remove_run, remove_finish);
        if (!j) {
                request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                return;
        }
        /* No new attach from now on; remove_start() decides, after the
         * parked endpoints of exited containers went (their leases too). */
        net->state = NETWORK_REMOVING;
        nm_flush_network(m, net);
        j->start = remove_start;
        j->inline_ok = false;
        j->net = network_ref(net);
        j->req = req;
        nm_job_submit(m, j);
}
