/* The container side of networking: what --network means for one
 * container at create, start, exit and removal, on top of the network
 * manager (daemon/network-manager.h) and the published ports
 * (daemon/ports.h). container.c calls in at each step; nothing here
 * changes a container's state, it only prepares or undoes its network. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/fs-util.h"
#include "common/log.h"
#include "daemon/container-record.h"
#include "daemon/monitor-client.h"
#include "daemon/network-manager.h"

static struct container *
find_by_id(struct container_manager *m, const char *id)
{
        for (struct container *c = m->containers; c; c = c->next)
                if (strcmp(c->id, id) == 0)
                        return c;
        return NULL;
}

int
container_net_resolve(struct container_manager *m, struct container_config *cfg,
                      struct ctr_error **err)
{
        struct container *other;
        int r;

        switch (cfg->net_mode) {
        case CONTAINER_NET_BRIDGE:
                if (!m->networks || !network_manager_exists(m->networks, cfg->network))
                        return ctr_error_msg(err, ENOENT, "no such network `%s`", cfg->network);
                return 0;
        case CONTAINER_NET_CONTAINER:
                r = container_lookup(m, cfg->network, &other, err);
                if (r < 0)
                        return r;
                if (other->state != CONTAINER_RUNNING)
                        return ctr_error_msg(err, EBUSY, "container `%s` is not running", other->name);
                free(cfg->network);
                cfg->network = strdup(other->id);
                return cfg->network ? 0 : -ENOMEM;
        case CONTAINER_NET_NONE:
        case CONTAINER_NET_HOST:
                return 0;
        }
        return 0;
}

/* ---- start ---- */

struct net_start {
        struct container_manager *m;
        char id[ID_HEX_LEN + 1];
        container_net_cont_fn cont;
};

static void
close_port_fds(struct container *c)
{
        for (size_t i = 0; i < c->n_port_fds; i++)
                safe_close(c->port_fds[i]);
        free(c->port_fds);
        c->port_fds = NULL;
        c->n_port_fds = 0;
}

/* Binds the published ports now, so a port in use fails the start before
 * anything runs; the monitor gets them once the container is created. */
static int
bind_ports(struct container *c, struct ctr_error **err)
{
        int r;

        if (c->config.n_ports == 0)
                return 0;
        free(c->run_ports);
        c->run_ports = calloc(c->config.n_ports, sizeof(*c->run_ports));
        c->port_fds = calloc(c->config.n_ports, sizeof(int));
        if (!c->run_ports || !c->port_fds)
                return -ENOMEM;
        memcpy(c->run_ports, c->config.ports, c->config.n_ports * sizeof(*c->run_ports));
        c->n_run_ports = c->config.n_ports;
        r = ports_bind(c->run_ports, c->n_run_ports, c->port_fds, err);
        if (r < 0) {
                free(c->port_fds);
                c->port_fds = NULL;
                free(TAKE_PTR(c->run_ports));
                c->n_run_ports = 0;
                return r;
        }
        c->n_port_fds = c->config.n_ports;
        return 0;
}

static void
write_hosts(struct container *c)
{
        const struct network_endpoint_info *ep = network_manager_endpoint(c->mgr->networks, c->id);
        _cleanup_error_ struct ctr_error *e = NULL;
        _cleanup_free_ struct network_member *members = NULL;
        size_t n = 0;

        if (ep && network_manager_members(c->mgr->networks, ep->network, &members, &n) < 0)
                n = 0;
        if (container_spec_write_hosts(c, ep ? ep->address : NULL, members, n, &e) < 0)
                log_warning("container %.12s: hosts file: %s", c->id, e ? e->message : "failed");
}

static void
attach_done(int r, const struct network_endpoint_info *ep, const struct ctr_error *err,
            void *userdata)
{
        struct net_start *s = userdata;
        struct container *c = find_by_id(s->m, s->id);
        _cleanup_error_ struct ctr_error *e = NULL;

        if (!c || !c->starting) {
                /* Removed (or failed) while the network was being made. */
                if (r >= 0)
                        network_manager_detach_now(s->m->networks, s->id);
                free(s);
                return;
        }
        if (r < 0) {
                /* A full subnet is a conflict with the other containers, not
                 * the daemon's failure (ENOSPC elsewhere means a full disk). */
                s->cont(c, r == -ENOSPC ? -EBUSY : r, err);
                free(s);
                return;
        }
        c->net_attached = true;
        write_hosts(c);
        /* config.json names ep->netns_path already (container_net_prepare_spec). */
        r = bind_ports(c, &e);
        s->cont(c, r, e);
        free(s);
}

char *
container_net_pin_path(const struct container *c)
{
        char *pin;

        return asprintf(&pin, "%s/netns/%s", c->mgr->run_root, c->id) < 0 ? NULL : pin;
}

int
container_net_prepare_spec(struct container *c, struct ctr_error **err)
{
        _cleanup_free_ char *pin = NULL;
        int r;

        if (c->spec_has_pin)
                return 0;
        pin = container_net_pin_path(c);
        if (!pin)
                return ctr_error_sys(err, ENOMEM, "network namespace path");
        r = container_spec_set_netns(c, pin, err);
        c->spec_has_pin = r >= 0;
        return r;
}

void
container_net_start(struct container *c, container_net_cont_fn cont)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        _cleanup_free_ char *path = NULL;
        struct net_start *s;
        struct container *other;
        int r = 0;

        switch (c->config.net_mode) {
        case CONTAINER_NET_BRIDGE:
                s = calloc(1, sizeof(*s));
                if (!s) {
                        cont(c, -ENOMEM, NULL);
                        return;
                }
                s->m = c->mgr;
                s->cont = cont;
                memcpy(s->id, c->id, sizeof(s->id));
                network_manager_attach(c->mgr->networks, c->config.network, c->id, c->name,
                                       c->config.hostname, attach_done, s);
                return;
        case CONTAINER_NET_CONTAINER:
                other = find_by_id(c->mgr, c->config.network);
                if (!other || other->state != CONTAINER_RUNNING || other->pid <= 0) {
                        r = ctr_error_msg(&e, EBUSY, "container `%s` is not running",
                                          other ? other->name : c->config.network);
                        break;
                }
                /* Its init's namespace, by pid: the kernel keeps it alive as
                 * long as we are in it, whatever happens to the other. */
                if (asprintf(&path, "/proc/%d/ns/net", (int) other->pid) < 0)
                        r = -ENOMEM;
                else
                        r = container_spec_set_netns(c, path, &e);
                break;
        case CONTAINER_NET_NONE:
                write_hosts(c);
                break;
        case CONTAINER_NET_HOST:
                break;
        }
        cont(c, r, e);
}

int
container_net_publish(struct container *c, struct ctr_error **err)
{
        const struct network_endpoint_info *ep = network_manager_endpoint(c->mgr->networks, c->id);
        int r;

        if (c->n_port_fds == 0)
                return 0;
        if (!ep) {
                close_port_fds(c);
                return ctr_error_msg(err, ENXIO, "published ports: the container has no network endpoint");
        }
        r = monitor_client_publish(c, ep->address, c->run_ports, c->n_run_ports, c->port_fds, err);
        close_port_fds(c); /* the monitor has its own copies now */
        return r;
}

void
container_net_stopped(struct container *c)
{
        close_port_fds(c);
        free(TAKE_PTR(c->run_ports));
        c->n_run_ports = 0;
        if (c->net_attached) {
                /* A first start that failed leaves nothing behind at once;
                 * an exit's teardown waits for a quiet moment. (A failed
                 * restart looks like an exit here: its endpoint goes with
                 * the next batch.) */
                if (c->started_ns == 0)
                        network_manager_detach_now(c->mgr->networks, c->id);
                else
                        network_manager_detach(c->mgr->networks, c->id);
                c->net_attached = false;
        }
}

void
container_net_removed(struct container *c)
{
        if (c->config.net_mode == CONTAINER_NET_BRIDGE)
                network_manager_release(c->mgr->networks, c->id);
}

/* ---- hosts files, restart, inspect ---- */

static void
members_changed(const char *network, void *userdata)
{
        struct container_manager *m = userdata;

        for (struct container *c = m->containers; c; c = c->next)
                if (c->net_attached && c->state == CONTAINER_RUNNING &&
                    c->config.net_mode == CONTAINER_NET_BRIDGE &&
                    strcmp(c->config.network, network) == 0)
                        write_hosts(c);
}

static bool
keep_id(const char *id, bool *ret_running, const char **ret_network, void *userdata)
{
        struct container *c = find_by_id(userdata, id);

        if (!c)
                return false;
        *ret_running = c->state == CONTAINER_RUNNING && c->net_attached;
        *ret_network = c->config.net_mode == CONTAINER_NET_BRIDGE ? c->config.network : NULL;
        return true;
}

void
container_net_recover(struct container_manager *m)
{
        network_manager_on_members_changed(m->networks, members_changed, m);
        /* Running containers on a bridge kept their veth and netns across
         * the daemon's restart; the reconcile finds them again. */
        for (struct container *c = m->containers; c; c = c->next)
                c->net_attached = c->state == CONTAINER_RUNNING &&
                                  c->config.net_mode == CONTAINER_NET_BRIDGE;
        network_manager_reconcile(m->networks, keep_id, m, NULL, NULL);
}

json_t *
container_net_inspect_json(const struct container *c)
{
        const struct network_endpoint_info *ep =
                c->net_attached ? network_manager_endpoint(c->mgr->networks, c->id) : NULL;
        const char *mode = container_net_mode_to_string(c->config.net_mode);
        bool bridge = c->config.net_mode == CONTAINER_NET_BRIDGE;
        bool other = c->config.net_mode == CONTAINER_NET_CONTAINER;

        return json_pack("{s:s,s:s?,s:s?,s:s?,s:o,s:s?,s:s?,s:s?,s:s?,s:o,s:n}", "mode", mode,
                         "network", bridge ? c->config.network : NULL, "container",
                         other ? c->config.network : NULL, "address", ep ? ep->address : NULL,
                         "prefix", ep ? json_integer(ep->prefix) : json_null(), "gateway",
                         ep ? ep->gateway : NULL, "mac", ep ? ep->mac : NULL, "bridge",
                         ep ? ep->bridge : NULL, "veth", ep ? ep->veth : NULL, "ports",
                         container_ports_json(c), "counters");
}

struct inspect_job {
        struct request *req;
        json_t *j;
};

static void
inspect_counters_done(json_t *counters, void *userdata)
{
        struct inspect_job *job = userdata;
        json_t *net = json_object_get(job->j, "network");

        if (net && counters)
                json_object_set_new(net, "counters", counters);
        else
                json_decref(counters);
        request_reply(job->req, job->j);
        free(job);
}

void
container_inspect(struct container_manager *m, const char *ref, struct request *req)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        struct inspect_job *job;
        struct container *c;
        json_t *j;
        int r;

        r = container_lookup(m, ref, &c, &e);
        if (r < 0) {
                request_error_errno(req, r, e);
                return;
        }
        j = container_inspect_full_json(c);
        if (!j) {
                request_error(req, PROTO_ERR_INTERNAL, "out of memory", NULL);
                return;
        }
        json_object_set_new(j, "network", container_net_inspect_json(c));
        if (!c->net_attached || !(job = calloc(1, sizeof(*job)))) {
                request_reply(req, j);
                return;
        }
        job->req = req;
        job->j = j;
        network_manager_counters(m->networks, c->id, inspect_counters_done, job);
}
