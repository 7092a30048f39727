/* Networks as objects and files: names, the record <root>/networks/<name>.json
 * (written atomically; its presence is the network's existence), its IPAM
 * file <name>.ipam.json, loading them all at start with the default
 * network from the config, the once-per-run preparation (record of the
 * default network, host check, bridge) the first attach does in a worker,
 * and the NAT job that keeps our nftables table in step with the networks.
 * No requests here. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/fs-util.h"
#include "common/log.h"
#include "common/time-util.h"
#include "daemon/network-manager-internal.h"

#define RECORD_VERSION 1
#define RECORD_MAX_SIZE (64 * 1024)

bool
network_name_is_valid(const char *name)
{
        size_t n = name ? strlen(name) : 0;

        if (n == 0 || n > NETWORK_NAME_MAX)
                return false;
        if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')))
                return false;
        for (const char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' ||
                      *p == '-'))
                        return false;
        /* Network modes of container.create, not networks. */
        return strcmp(name, "none") != 0 && strcmp(name, "host") != 0;
}

void
network_default_bridge(const char *name, char buf[static NET_IFNAME_MAX + 1])
{
        snprintf(buf, NET_IFNAME_MAX + 1, NETWORK_BRIDGE_PREFIX "%s", name);
}

int
network_new(const char *name, const struct net_subnet *subnet, const char *bridge, bool is_default,
            const char *dir, struct network **ret)
{
        struct network *n = calloc(1, sizeof(*n));

        if (!n)
                return -ENOMEM;
        atomic_init(&n->refs, 1);
        pthread_mutex_init(&n->lock, NULL);
        n->name = strdup(name);
        n->bridge = strdup(bridge);
        n->dir = strdup(dir);
        n->subnet = *subnet;
        n->is_default = is_default;
        n->state = NETWORK_READY;
        if (!n->name || !n->bridge || !n->dir) {
                network_unref(n);
                return -ENOMEM;
        }
        *ret = n;
        return 0;
}

struct network *
network_ref(struct network *n)
{
        if (n)
                atomic_fetch_add(&n->refs, 1);
        return n;
}

void
network_unref(struct network *n)
{
        if (!n || atomic_fetch_sub(&n->refs, 1) != 1)
                return;
        net_ipam_free(n->ipam);
        pthread_mutex_destroy(&n->lock);
        free(n->name);
        free(n->bridge);
        free(n->dir);
        free(n->w_stale_bridge);
        free(n);
}

static char *
file_path(const char *dir, const char *name, const char *suffix)
{
        char *p;

        return asprintf(&p, "%s/%s%s", dir, name, suffix) < 0 ? NULL : p;
}

int
network_ipam_open(struct network *n, struct ctr_error **err)
{
        _cleanup_free_ char *path = file_path(n->dir, n->name, ".ipam.json");

        if (!path)
                return ctr_error_sys(err, ENOMEM, "network `%s`", n->name);
        net_ipam_free(TAKE_PTR(n->ipam));
        return net_ipam_open(n->name, &n->subnet, path, &n->ipam, err);
}

int
network_record_save(const struct network *n, int64_t created_ns, struct ctr_error **err)
{
        _cleanup_free_ char *path = file_path(n->dir, n->name, ".json"), *text = NULL;
        char subnet[NET_SUBNET_STRLEN], created[64];
        json_t *j;

        if (!path)
                return ctr_error_sys(err, ENOMEM, "network `%s`", n->name);
        j = json_pack("{s:i,s:s,s:s,s:s,s:b,s:s,s:b}", "version", RECORD_VERSION, "name", n->name, "subnet",
                      net_subnet_format(&n->subnet, subnet), "bridge", n->bridge, "default",
                      n->is_default, "created", format_rfc3339(created_ns, created, sizeof(created)),
                      "masquerade", n->masquerade);
        if (j)
                text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(j);
        if (!text)
                return ctr_error_sys(err, ENOMEM, "network `%s`: encode record", n->name);
        return write_file_atomic(path, text, strlen(text), 0600, err);
}

int
network_record_load(const char *dir, const char *path, struct network **ret, int64_t *ret_created_ns,
                    struct ctr_error **err)
{
        _cleanup_(network_unrefp) struct network *n = NULL;
        _cleanup_free_ char *text = NULL;
        const char *name, *subnet, *bridge, *created;
        struct net_subnet s;
        json_error_t jerr;
        json_t *j;
        int is_default = 0, masquerade = 0, version = 0, r;
        int64_t ns = 0;

        r = read_file_full(path, RECORD_MAX_SIZE, &text, NULL, err);
        if (r < 0)
                return r;
        j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
        if (!j)
                return ctr_error_msg(err, EBADMSG, "network record `%s` is corrupt: %s (line %d)", path,
                                     jerr.text, jerr.line);
        /* "masquerade" came with outbound NAT: absent in older records. */
        r = json_unpack(j, "{s:i,s:s,s:s,s:s,s:b,s:s,s?b}", "version", &version, "name", &name, "subnet",
                        &subnet, "bridge", &bridge, "default", &is_default, "created", &created, "masquerade",
                        &masquerade);
        if (r < 0)
                r = ctr_error_msg(err, EBADMSG,
                                  "network record `%s` is corrupt: missing or mistyped version, name, "
                                  "subnet, bridge, default, created or masquerade",
                                  path);
        else if (version != RECORD_VERSION)
                r = ctr_error_msg(err, EBADMSG, "network record `%s`: unknown version %d", path, version);
        else if (is_default ? strcmp(name, NETWORK_DEFAULT_NAME) != 0 : !network_name_is_valid(name))
                r = ctr_error_msg(err, EBADMSG, "network record `%s`: invalid name `%.80s`", path, name);
        else if (net_subnet_parse(subnet, &s, NULL) < 0)
                r = ctr_error_msg(err, EBADMSG, "network record `%s`: invalid subnet `%.40s`", path, subnet);
        else if (!net_ifname_is_valid(bridge))
                r = ctr_error_msg(err, EBADMSG, "network record `%s`: invalid bridge name `%.40s`", path,
                                  bridge);
        else if (parse_rfc3339_ns(created, strlen(created), &ns) < 0 || ns <= 0)
                r = ctr_error_msg(err, EBADMSG, "network record `%s`: invalid created time `%.40s`", path,
                                  created);
        else {
                r = network_new(name, &s, bridge, is_default, dir, &n);
                if (r < 0)
                        r = ctr_error_sys(err, -r, "network record `%s`", path);
        }
        json_decref(j);
        if (r < 0)
                return r;
        n->w_persisted = true;
        n->masquerade = masquerade;
        n->created_ns = ns;
        *ret_created_ns = ns;
        *ret = TAKE_PTR(n);
        return 0;
}

static int
unlink_file(const char *dir, const char *name, const char *suffix, struct ctr_error **err)
{
        _cleanup_free_ char *path = file_path(dir, name, suffix);

        if (!path)
                return ctr_error_sys(err, ENOMEM, "network `%s`", name);
        if (unlink(path) < 0 && errno != ENOENT)
                return ctr_error_sys(err, errno, "remove `%s`", path);
        return 0;
}

int
network_files_remove(const struct network *n, struct ctr_error **err)
{
        int r;

        /* The IPAM file first: a record without it is a network without
         * leases (what a removable network has anyway); the record going
         * is the commit. */
        r = unlink_file(n->dir, n->name, ".ipam.json", err);
        if (r < 0)
                return r;
        r = unlink_file(n->dir, n->name, ".json", err);
        if (r < 0)
                return r;
        r = fsync_path(n->dir);
        if (r < 0)
                return ctr_error_sys(err, -r, "fsync `%s`", n->dir);
        return 0;
}

/* A user network's record: its name is the file name. */
static int
load_one(struct network_manager *m, const char *file, struct ctr_error **err)
{
        _cleanup_(network_unrefp) struct network *n = NULL;
        _cleanup_free_ char *path = NULL;
        size_t len = strlen(file) - strlen(".json");
        int64_t created;
        int r;

        if (asprintf(&path, "%s/%s", m->dir, file) < 0)
                return ctr_error_sys(err, ENOMEM, "load networks");
        r = network_record_load(m->dir, path, &n, &created, err);
        if (r < 0)
                return r;
        if (strlen(n->name) != len || strncmp(n->name, file, len) != 0)
                return ctr_error_msg(err, EBADMSG, "network record `%s` names network `%s`", path, n->name);
        r = network_ipam_open(n, err);
        if (r < 0)
                return r;
        nm_insert(m, TAKE_PTR(n));
        return 0;
}

/* The default network as the config says. A record with another bridge or
 * subnet is replaced while no container holds a lease on it (the old
 * bridge is deleted at the first attach); with leases, the record wins
 * until they are gone: the daemon must not renumber running containers. */
static int
load_default(struct network_manager *m, const char *bridge, const char *subnet, struct ctr_error **err)
{
        _cleanup_(network_unrefp) struct network *n = NULL;
        struct network *old = nm_find(m, NETWORK_DEFAULT_NAME);
        char a[NET_SUBNET_STRLEN];
        struct net_subnet s;
        int r;

        r = net_subnet_parse(subnet, &s, err);
        if (r < 0)
                return ctr_error_prefix(err, -r, "default network");
        if (!net_ifname_is_valid(bridge))
                return ctr_error_msg(err, EINVAL, "default network: invalid bridge name `%s`", bridge);
        if (old) {
                if (old->subnet.addr == s.addr && old->subnet.prefix == s.prefix &&
                    strcmp(old->bridge, bridge) == 0)
                        return 0;
                if (net_ipam_count(old->ipam) > 0) {
                        log_warning("default network: keeping bridge %s and subnet %s while containers "
                                    "hold addresses in it (the config says %s and %s)",
                                    old->bridge, net_subnet_format(&old->subnet, a), bridge, subnet);
                        return 0;
                }
                log_notice("default network: bridge %s, subnet %s (was %s, %s)", bridge, subnet,
                           old->bridge, net_subnet_format(&old->subnet, a));
        }
        r = network_new(NETWORK_DEFAULT_NAME, &s, bridge, true, m->dir, &n);
        if (r < 0)
                return ctr_error_sys(err, -r, "default network");
        if (old) {
                if (strcmp(old->bridge, bridge) != 0 && !(n->w_stale_bridge = strdup(old->bridge)))
                        return ctr_error_sys(err, ENOMEM, "default network");
                /* Startup, before any client: the old subnet's IPAM file
                 * (no leases) would not open for the new subnet. */
                r = unlink_file(m->dir, NETWORK_DEFAULT_NAME, ".ipam.json", err);
                if (r < 0)
                        return r;
                nm_unlink(m, old);
        }
        r = network_ipam_open(n, err);
        if (r < 0)
                return r;
        nm_insert(m, TAKE_PTR(n));
        return 0;
}

int
network_store_load(struct network_manager *m, const char *default_bridge, const char *default_subnet,
                   struct ctr_error **err)
{
        struct dirent *de;
        DIR *d;
        int r = 0;

        r = mkdir_p(m->dir, 0700, err);
        if (r < 0)
                return r;
        d = opendir(m->dir);
        if (!d)
                return ctr_error_sys(err, errno, "open `%s`", m->dir);
        while ((errno = 0, de = readdir(d))) {
                size_t n = strlen(de->d_name);

                /* Skips dot files, write_file_atomic()'s "*.tmp.<pid>" and
                 * the IPAM files (opened with their record). */
                if (de->d_name[0] == '.' || n <= 5 || strcmp(de->d_name + n - 5, ".json") != 0 ||
                    (n > 10 && strcmp(de->d_name + n - 10, ".ipam.json") == 0))
                        continue;
                r = load_one(m, de->d_name, err);
                if (r < 0)
                        break;
        }
        if (r == 0 && errno != 0)
                r = ctr_error_sys(err, errno, "list `%s`", m->dir);
        closedir(d);
        if (r < 0)
                return r;
        r = load_default(m, default_bridge, default_subnet, err);
        if (r < 0)
                return r;
        for (struct network *n = m->networks->next; n; n = n->next) {
                struct network *def = m->networks; /* the default is first */
                char a[NET_SUBNET_STRLEN], b[NET_SUBNET_STRLEN];

                if (net_subnet_overlaps(&n->subnet, &def->subnet))
                        log_warning("default network %s overlaps network `%s` (%s): containers on the "
                                    "default network cannot start until one of them changes",
                                    net_subnet_format(&def->subnet, a), n->name,
                                    net_subnet_format(&n->subnet, b));
        }
        return 0;
}

int
network_prepare(struct network *n, int64_t *ret_created_ns, struct ctr_error **err)
{
        int r = 0;

        *ret_created_ns = 0;
        pthread_mutex_lock(&n->lock);
        if (!n->w_persisted) {
                int64_t now = now_ns();
                r = network_record_save(n, now, err);
                if (r < 0)
                        goto out;
                n->w_persisted = true;
                *ret_created_ns = now;
        }
        if (n->w_bridge_ready)
                goto out;
        if (n->w_stale_bridge) {
                _cleanup_error_ struct ctr_error *e = NULL;
                if (net_bridge_delete(n->w_stale_bridge, &e) < 0)
                        log_warning("default network: delete old bridge: %s", e ? e->message : "error");
                else
                        log_info("default network: deleted old bridge %s", n->w_stale_bridge);
                free(TAKE_PTR(n->w_stale_bridge));
        }
        /* Once per run, not per container: the host may have gained a
         * route into the subnet since the network was made. */
        r = net_subnet_check_host(&n->subnet, n->bridge, err);
        if (r < 0) {
                ctr_error_prefix(err, -r, "network `%s`", n->name);
                goto out;
        }
        r = net_bridge_ensure(n->bridge, &n->subnet, 0, err);
        /* The bridge is born with forwarding off (isolated); a network with
         * outbound NAT routes what arrives on it (the NAT job set
         * ip_forward and the rules). */
        if (r >= 0 && n->masquerade)
                r = net_bridge_set_forwarding(n->bridge, true, err);
        if (r < 0) {
                ctr_error_prefix(err, -r, "network `%s`", n->name);
                goto out;
        }
        n->w_bridge_ready = true;
out:
        pthread_mutex_unlock(&n->lock);
        return r;
}

json_t *
network_to_json(const struct network *n)
{
        char subnet[NET_SUBNET_STRLEN], gw[NET_ADDR_STRLEN], created[64];

        return json_pack("{s:s,s:s,s:s,s:s,s:b,s:b,s:o,s:I}", "name", n->name, "subnet",
                         net_subnet_format(&n->subnet, subnet), "gateway",
                         net_addr_format(net_subnet_gateway(&n->subnet), gw), "bridge", n->bridge,
                         "default", n->is_default, "masquerade", n->masquerade, "created",
                         n->created_ns > 0 ? json_string(format_rfc3339(n->created_ns, created,
                                                                        sizeof(created)))
                                           : json_null(),
                         "containers", (json_int_t) net_ipam_count(n->ipam));
}

/* ---- outbound NAT ---- */

struct nm_nat {
        char *table, *marker;
        struct net_nat_network *nets; /* bridges are copies */
        size_t n;
};

int
nm_nat_table_name(const char *default_bridge, char **ret)
{
        char *t;

        if (asprintf(&t, "containerctl-%s", default_bridge) < 0)
                return -ENOMEM;
        for (char *p = t; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '_' || *p == '.' || *p == '-'))
                        *p = '_';
        *ret = t;
        return 0;
}

void
nm_nat_free(struct nm_nat *s)
{
        if (!s)
                return;
        for (size_t i = 0; s->nets && i < s->n; i++)
                free((char *) s->nets[i].bridge);
        free(s->nets);
        free(s->table);
        free(s->marker);
        free(s);
}

/* Loop: every network that exists (one being removed still does). */
static struct nm_nat *
nat_snapshot(struct network_manager *m)
{
        struct nm_nat *s = calloc(1, sizeof(*s));
        size_t n = 0;

        for (struct network *x = m->networks; x; x = x->next)
                n++;
        if (!s || !(s->nets = calloc(n + 1, sizeof(*s->nets))) || !(s->table = strdup(m->nat_table)) ||
            !(s->marker = strdup(m->nat_marker))) {
                nm_nat_free(s);
                return NULL;
        }
        for (struct network *x = m->networks; x; x = x->next) {
                if (x->state == NETWORK_CREATING)
                        continue;
                s->nets[s->n] = (struct net_nat_network){
                        .bridge = strdup(x->bridge), .subnet = x->subnet, .masquerade = x->masquerade
                };
                if (!s->nets[s->n++].bridge) {
                        nm_nat_free(s);
                        return NULL;
                }
        }
        return s;
}

/* Worker. The marker file (run-root: gone at reboot, like the table) says
 * that the table may exist: without it and without a masquerading network
 * nftables is not touched at all (not even loaded). The marker is made
 * before the table and removed after it. */
static int
nat_run(struct nm_job *j)
{
        struct nm_nat *s = j->nat;
        bool any = false, marked, changed = false;
        int r;

        for (size_t i = 0; i < s->n; i++)
                any |= s->nets[i].masquerade;
        marked = access(s->marker, F_OK) == 0;
        if (!any && !marked)
                return 0;
        if (any && !marked) {
                _cleanup_close_ int fd = open(s->marker, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

                if (fd < 0 || write_all(fd, s->table, strlen(s->table)) < 0)
                        return ctr_error_sys(&j->err, errno, "create `%s`", s->marker);
        }
        r = net_nat_apply(s->table, s->nets, s->n, &j->err);
        if (r < 0)
                return r;
        if (!any && unlink(s->marker) < 0 && errno != ENOENT)
                log_warning("remove `%s`: %s", s->marker, strerror(errno));
        if (any) {
                r = net_ipv4_forward_enable(&changed, &j->err);
                if (r < 0)
                        return r;
                if (changed)
                        log_notice("outbound NAT: set net.ipv4.ip_forward = 1");
        }
        /* After ip_forward went 0 -> 1 the kernel switched forwarding on
         * for every interface, ours too: each bridge of ours gets its own
         * setting back. Bridges not made yet get theirs from
         * network_prepare(). */
        for (size_t i = 0; i < s->n; i++) {
                _cleanup_error_ struct ctr_error *e = NULL;

                r = net_bridge_set_forwarding(s->nets[i].bridge, s->nets[i].masquerade, &e);
                if (r < 0 && r != -ENODEV)
                        log_warning("outbound NAT: %s", e ? e->message : strerror(-r));
        }
        log_info("outbound NAT: table ip %s %s", s->table, any ? "up to date" : "removed");
        return 0;
}

/* Loop, at the job's turn: the networks as they are now. */
static int
nat_start(struct nm_job *j)
{
        j->nat = nat_snapshot(j->m);
        if (!j->nat) {
                j->r = -ENOMEM;
                return 1;
        }
        return 0;
}

static void
nat_finish(struct nm_job *j)
{
        if (j->r < 0)
                log_error("outbound NAT: %s", j->err ? j->err->message : strerror(-j->r));
}

void
nm_nat_update(struct network_manager *m)
{
        struct nm_job *j = nm_job_new(m, NM_JOB_NAT, nat_run, nat_finish);

        if (!j) {
                log_error("outbound NAT: out of memory");
                return;
        }
        j->start = nat_start;
        /* Rules of a removed network must go even without a thread. */
        j->inline_ok = true;
        nm_job_submit(m, j);
}
