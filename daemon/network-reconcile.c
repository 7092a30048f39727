/* Crash reconciliation after a daemon start: what the kernel and run-root
 * still hold is compared with what the container side says exists.
 *
 *   worker (scan):  pins in <run-root>/netns, endpoint records in
 *                   <run-root>/endpoints, the "vc" veths on each of our
 *                   bridges (never another daemon's: only our bridges' ports)
 *   loop:           keep(id) for every id found there or in a lease:
 *                   running on a bridge network -> rebuild its endpoint;
 *                   else its veth, pin and record go; not a container at
 *                   all -> its leases go too
 *   worker (apply): deletions, releases, and for the running ones the
 *                   address and MAC of eth0 read inside their namespace
 *   loop:           endpoints back, members changed, done()
 *
 * Attach, detach and release wait while this runs (job_blocked()). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/fs-util.h"
#include "common/log.h"
#include "daemon/network-manager-internal.h"

#define RECORD_MAX_SIZE (64 * 1024)

struct rc_rebuild {
        char *id;
        struct network *net; /* a reference */
        char *name, *hostname;
        /* apply's result */
        int r;
        uint32_t addr;
        unsigned prefix;
        uint8_t mac[6];
};

struct reconcile {
        network_keep_fn keep;
        void *keep_userdata;
        void (*done)(void *userdata);
        void *done_userdata;
        char *netns_dir, *ep_dir;
        struct network **nets; /* references: READY networks at the start */
        size_t n_nets;
        /* scan */
        char **netns;     /* ids with a pin */
        json_t *records;  /* id -> {"network","name","hostname"} */
        char ***ports;    /* per nets[i]: our veths on its bridge */
        /* decisions */
        char **rm_veths;
        size_t n_rm_veths;
        char **rm_ids; /* pin and record */
        size_t n_rm_ids;
        char ***release; /* per nets[i]: owners to release, NULL-terminated */
        size_t *n_release;
        struct rc_rebuild *rebuild;
        size_t n_rebuild;
        /* apply */
        unsigned veths_removed, pins_removed, released;
};

static void
strv_free_n(char **v, size_t n)
{
        for (size_t i = 0; v && i < n; i++)
                free(v[i]);
        free(v);
}

void
nm_reconcile_free(struct reconcile *rc)
{
        if (!rc)
                return;
        for (size_t i = 0; i < rc->n_nets; i++) {
                if (rc->ports)
                        net_strv_free(rc->ports[i]);
                if (rc->release)
                        strv_free_n(rc->release[i], rc->n_release[i]);
                network_unref(rc->nets[i]);
        }
        free(rc->nets);
        free(rc->ports);
        free(rc->release);
        free(rc->n_release);
        net_strv_free(rc->netns);
        json_decref(rc->records);
        strv_free_n(rc->rm_veths, rc->n_rm_veths);
        strv_free_n(rc->rm_ids, rc->n_rm_ids);
        for (size_t i = 0; i < rc->n_rebuild; i++) {
                free(rc->rebuild[i].id);
                free(rc->rebuild[i].name);
                free(rc->rebuild[i].hostname);
                network_unref(rc->rebuild[i].net);
        }
        free(rc->rebuild);
        free(rc->netns_dir);
        free(rc->ep_dir);
        free(rc);
}

/* Appends a copy of s to a NULL-terminated vector of n entries. */
static int
strv_push(char ***v, size_t *n, const char *s)
{
        char **nv = reallocarray(*v, *n + 2, sizeof(char *));

        if (!nv)
                return -ENOMEM;
        *v = nv;
        nv[*n] = strdup(s);
        if (!nv[*n])
                return -ENOMEM;
        nv[++*n] = NULL;
        return 0;
}

static bool
strv_contains(char **v, size_t n, const char *s)
{
        /* n may be SIZE_MAX: up to the NULL terminator. */
        for (size_t i = 0; v && i < n && v[i]; i++)
                if (strcmp(v[i], s) == 0)
                        return true;
        return false;
}

/* ---- scan (worker) ---- */

static int
read_records(struct reconcile *rc, struct ctr_error **err)
{
        struct dirent *de;
        DIR *d;

        rc->records = json_object();
        if (!rc->records)
                return ctr_error_sys(err, ENOMEM, "reconcile");
        d = opendir(rc->ep_dir);
        if (!d)
                return errno == ENOENT ? 0 : ctr_error_sys(err, errno, "open `%s`", rc->ep_dir);
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL, *text = NULL, *id = NULL;
                size_t n = strlen(de->d_name);
                json_t *j;

                if (n > 9 && strcmp(de->d_name + n - 9, ".json.tmp") == 0) {
                        /* A write a crash interrupted (endpoint_record_write()). */
                        (void) unlinkat(dirfd(d), de->d_name, 0);
                        continue;
                }
                if (de->d_name[0] == '.' || n <= 5 || strcmp(de->d_name + n - 5, ".json") != 0)
                        continue;
                id = strndup(de->d_name, n - 5);
                if (!id || asprintf(&path, "%s/%s", rc->ep_dir, de->d_name) < 0)
                        continue;
                if (read_file_full(path, RECORD_MAX_SIZE, &text, NULL, NULL) < 0)
                        continue;
                j = json_loads(text, 0, NULL);
                if (json_is_object(j))
                        json_object_set(rc->records, id, j);
                else
                        /* Still a record: its pin goes unless the container runs. */
                        json_object_set_new(rc->records, id, json_object());
                json_decref(j);
        }
        closedir(d);
        return 0;
}

static int
scan_run(struct nm_job *j)
{
        struct reconcile *rc = j->rc;
        int r;

        r = net_netns_list(rc->netns_dir, &rc->netns, &j->err);
        if (r < 0)
                return r;
        r = read_records(rc, &j->err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < rc->n_nets; i++) {
                r = net_bridge_ports(rc->nets[i]->bridge, NET_VETH_PREFIX, "veth", &rc->ports[i], &j->err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- decisions (loop) ---- */

/* The network a running container is on, if it is one of ours with
 * endpoints: NULL or "bridge" is the default one; "none", "host" and
 * "container:<x>" have none. */
static struct network *
bridge_network(struct network_manager *m, const char *network)
{
        struct network *n;

        if (network && (strcmp(network, "none") == 0 || strcmp(network, "host") == 0 ||
                        strncmp(network, "container:", 10) == 0))
                return NULL;
        n = nm_find(m, network ? network : NETWORK_DEFAULT_NAME);
        return n && n->state != NETWORK_CREATING ? n : NULL;
}

static const char *
record_string(struct reconcile *rc, const char *id, const char *key)
{
        return json_string_value(json_object_get(json_object_get(rc->records, id), key));
}

static int
decide_one(struct network_manager *m, struct reconcile *rc, const char *id, char ***kept_veths,
           size_t *n_kept)
{
        const char *network = NULL;
        bool running = false, exists;
        struct network *net = NULL;
        char veth[NET_IFNAME_MAX + 1];
        uint32_t addr;

        exists = rc->keep(id, &running, &network, rc->keep_userdata);
        if (exists && running)
                net = bridge_network(m, network);
        if (net && net_veth_name(id, veth) >= 0) {
                struct rc_rebuild *v = reallocarray(rc->rebuild, rc->n_rebuild + 1, sizeof(*v));
                const char *name = record_string(rc, id, "name"), *host = record_string(rc, id, "hostname");

                if (!v)
                        return -ENOMEM;
                rc->rebuild = v;
                v = &v[rc->n_rebuild++];
                *v = (struct rc_rebuild){ .id = strdup(id), .net = network_ref(net) };
                v->name = name ? strdup(name) : NULL;
                v->hostname = host ? strdup(host) : NULL;
                if (!v->id)
                        return -ENOMEM;
                return strv_push(kept_veths, n_kept, veth);
        }
        if ((strv_contains(rc->netns, SIZE_MAX, id) || json_object_get(rc->records, id)) &&
            strv_push(&rc->rm_ids, &rc->n_rm_ids, id) < 0)
                return -ENOMEM;
        if (exists)
                return 0;
        for (size_t i = 0; i < rc->n_nets; i++)
                if (net_ipam_get(rc->nets[i]->ipam, id, &addr) == 0 &&
                    strv_push(&rc->release[i], &rc->n_release[i], id) < 0)
                        return -ENOMEM;
        return 0;
}

/* Every id the scan or a lease names, once. */
static int
collect_ids(struct reconcile *rc, char ***ret, size_t *ret_n)
{
        char **ids = NULL;
        size_t n = 0;
        const char *key;
        json_t *v;

        for (char **p = rc->netns; p && *p; p++)
                if (!strv_contains(ids, n, *p) && strv_push(&ids, &n, *p) < 0)
                        goto oom;
        json_object_foreach (rc->records, key, v)
                if (!strv_contains(ids, n, key) && strv_push(&ids, &n, key) < 0)
                        goto oom;
        for (size_t i = 0; i < rc->n_nets; i++) {
                _cleanup_free_ struct net_lease *leases = NULL;
                size_t k = 0;

                if (net_ipam_leases(rc->nets[i]->ipam, &leases, &k) < 0)
                        goto oom;
                for (size_t l = 0; l < k; l++)
                        if (!strv_contains(ids, n, leases[l].owner) && strv_push(&ids, &n, leases[l].owner) < 0)
                                goto oom;
        }
        *ret = ids;
        *ret_n = n;
        return 0;
oom:
        strv_free_n(ids, n);
        return -ENOMEM;
}

static int
decide(struct network_manager *m, struct reconcile *rc)
{
        char **ids = NULL, **kept = NULL;
        size_t n_ids = 0, n_kept = 0;
        int r;

        rc->release = calloc(rc->n_nets + 1, sizeof(char **));
        rc->n_release = calloc(rc->n_nets + 1, sizeof(size_t));
        if (!rc->release || !rc->n_release)
                return -ENOMEM;
        r = collect_ids(rc, &ids, &n_ids);
        if (r < 0)
                return r;
        for (size_t i = 0; r >= 0 && i < n_ids; i++)
                r = decide_one(m, rc, ids[i], &kept, &n_kept);
        for (size_t i = 0; r >= 0 && i < rc->n_nets; i++)
                for (char **p = rc->ports[i]; r >= 0 && p && *p; p++)
                        if (!strv_contains(kept, n_kept, *p))
                                r = strv_push(&rc->rm_veths, &rc->n_rm_veths, *p);
        strv_free_n(ids, n_ids);
        strv_free_n(kept, n_kept);
        return r;
}

/* ---- apply (worker) ---- */

static bool
not_listed(const char *owner, void *userdata)
{
        char **v = userdata;

        return !strv_contains(v, SIZE_MAX, owner);
}

static void
rebuild_one(struct reconcile *rc, struct rc_rebuild *b)
{
        _cleanup_(net_netns_closep) struct net_netns *ns = NULL;
        _cleanup_error_ struct ctr_error *e = NULL;
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/%s", rc->netns_dir, b->id) < 0) {
                b->r = -ENOMEM;
                return;
        }
        b->r = net_netns_open(path, &ns, &e);
        if (b->r >= 0)
                b->r = net_netns_ifaddr(ns, NET_DEFAULT_IFNAME, &b->addr, &b->prefix, b->mac, &e);
        if (b->r < 0)
                log_warning("container %.12s is running, but its network endpoint is lost: %s", b->id,
                            e ? e->message : strerror(-b->r));
}

static int
apply_run(struct nm_job *j)
{
        struct reconcile *rc = j->rc;

        for (size_t i = 0; i < rc->n_rm_veths; i++) {
                _cleanup_error_ struct ctr_error *e = NULL;
                if (net_endpoint_delete(rc->rm_veths[i], &e) < 0)
                        log_warning("reconcile: %s", e ? e->message : "delete veth failed");
                else
                        rc->veths_removed++;
        }
        for (size_t i = 0; i < rc->n_rm_ids; i++) {
                _cleanup_error_ struct ctr_error *e = NULL;
                _cleanup_free_ char *pin = NULL, *record = NULL;

                if (asprintf(&pin, "%s/%s", rc->netns_dir, rc->rm_ids[i]) < 0 ||
                    asprintf(&record, "%s/%s.json", rc->ep_dir, rc->rm_ids[i]) < 0)
                        return -ENOMEM;
                if (net_netns_remove(pin, &e) < 0)
                        log_warning("reconcile: %s", e ? e->message : "remove network namespace failed");
                else
                        rc->pins_removed++;
                if (unlink(record) < 0 && errno != ENOENT)
                        log_warning("reconcile: remove `%s`: %s", record, strerror(errno));
        }
        for (size_t i = 0; i < rc->n_nets; i++) {
                _cleanup_error_ struct ctr_error *e = NULL;
                int r;

                if (rc->n_release[i] == 0)
                        continue;
                r = net_ipam_release_unless(rc->nets[i]->ipam, not_listed, rc->release[i], &e);
                if (r < 0)
                        log_warning("reconcile: %s", e ? e->message : "release addresses failed");
                else
                        rc->released += (unsigned) r;
        }
        for (size_t i = 0; i < rc->n_rebuild; i++)
                rebuild_one(rc, &rc->rebuild[i]);
        return 0;
}

/* ---- loop ---- */

static void
reconcile_end(struct network_manager *m, struct reconcile *rc)
{
        m->reconciling--;
        if (rc->done)
                rc->done(rc->done_userdata);
}

static void
apply_finish(struct nm_job *j)
{
        struct network_manager *m = j->m;
        struct reconcile *rc = j->rc;
        unsigned restored = 0;

        for (size_t i = 0; i < rc->n_rebuild; i++) {
                struct rc_rebuild *b = &rc->rebuild[i];
                char a[NET_ADDR_STRLEN];

                if (b->r < 0 || nm_endpoint_find(m, b->id))
                        continue;
                if (!net_subnet_contains(&b->net->subnet, b->addr) || b->prefix != b->net->subnet.prefix) {
                        log_warning("container %.12s: eth0 has %s/%u, outside network `%s`; not restored",
                                    b->id, net_addr_format(b->addr, a), b->prefix, b->net->name);
                        continue;
                }
                if (nm_endpoint_add(m, b->net, b->id, b->name, b->hostname, b->addr, b->mac, NULL) < 0) {
                        log_error("container %.12s: out of memory restoring its endpoint", b->id);
                        continue;
                }
                nm_notify_members(m, b->net->name);
                restored++;
        }
        if (j->r < 0)
                log_error("network reconcile: %s", j->err ? j->err->message : strerror(-j->r));
        log_info("network reconcile: %u endpoint(s) restored, %u veth(s) and %u namespace(s) removed, "
                 "%u address(es) released",
                 restored, rc->veths_removed, rc->pins_removed, rc->released);
        reconcile_end(m, rc);
}

static void
scan_finish(struct nm_job *j)
{
        struct network_manager *m = j->m;
        struct nm_job *apply;
        int r = j->r;

        if (r >= 0)
                r = decide(m, j->rc);
        if (r < 0) {
                log_error("network reconcile: %s; nothing cleaned up",
                          j->err ? j->err->message : strerror(-r));
                reconcile_end(m, j->rc);
                return;
        }
        apply = nm_job_new(m, NM_JOB_RECONCILE_APPLY, apply_run, apply_finish);
        if (!apply) {
                log_error("network reconcile: out of memory; nothing cleaned up");
                reconcile_end(m, j->rc);
                return;
        }
        apply->inline_ok = true;
        apply->rc = TAKE_PTR(j->rc);
        nm_job_submit(m, apply);
}

void
network_manager_reconcile(struct network_manager *m, network_keep_fn keep, void *userdata,
                          void (*done)(void *userdata), void *userdata2)
{
        struct reconcile *rc = calloc(1, sizeof(*rc));
        struct nm_job *j = nm_job_new(m, NM_JOB_RECONCILE_SCAN, scan_run, scan_finish);
        size_t n = 0;

        for (struct network *net = m->networks; net; net = net->next)
                n++;
        if (rc) {
                rc->nets = calloc(n + 1, sizeof(*rc->nets));
                rc->ports = calloc(n + 1, sizeof(*rc->ports));
                rc->netns_dir = strdup(m->netns_dir);
                rc->ep_dir = strdup(m->ep_dir);
        }
        if (!rc || !j || !rc->nets || !rc->ports || !rc->netns_dir || !rc->ep_dir) {
                log_error("network reconcile: out of memory");
                nm_reconcile_free(rc);
                nm_job_unref(j);
                if (done)
                        done(userdata2);
                return;
        }
        for (struct network *net = m->networks; net; net = net->next)
                if (net->state != NETWORK_CREATING)
                        rc->nets[rc->n_nets++] = network_ref(net);
        rc->keep = keep;
        rc->keep_userdata = userdata;
        rc->done = done;
        rc->done_userdata = userdata2;
        j->rc = rc;
        j->inline_ok = true;
        m->reconciling++;
        nm_job_submit(m, j);
        /* The NAT table from the networks as they are now: rules of
         * networks that are gone go, those of masquerading ones come. */
        nm_nat_update(m);
}
