/* Unit tests for the network manager without root (daemon/network-*.c):
 * network names, records on disk (round trip, corrupt ones), the default
 * network from the config (and what a config change does to a persisted
 * one), network.create's checks against the table (overlaps, names and
 * bridges taken), network.create/list/inspect/remove over a real socket
 * (no bridge is made: bridges come with the first attach), callbacks that
 * never run inside the call, and a reconciliation releasing the lease of
 * a container that no longer exists. Files live in a mktemp dir; the only
 * netlink requests are dumps. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/fs-util.h"
#include "common/log.h"
#include "daemon/api/api.h"
#include "daemon/config.h"
#include "daemon/network-manager-internal.h"
#include "daemon/server.h"
#include "daemon/worker.h"
#include "tests/unit/tap.h"

#define ID1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static char tmpdir[] = "/tmp/test-netmgr-XXXXXX";
static struct event_base *base;
static struct worker_pool *workers;

static void
test_names(void)
{
        static const char *good[] = { "a", "backend", "my-net_1.x", "0net", "bridge2" };
        static const char *bad[] = { "", "-a", "_a", ".a", "A", "Net", "a b", "a/b", "a:b", "none", "host",
                                     "x\xc3\xa9" };
        char b[NET_IFNAME_MAX + 1];
        char longest[NETWORK_NAME_MAX + 2];

        for (size_t i = 0; i < ARRAY_SIZE(good); i++)
                ok(network_name_is_valid(good[i]), "valid name `%s`", good[i]);
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                ok(!network_name_is_valid(bad[i]), "invalid name `%s`", bad[i]);
        ok(!network_name_is_valid(NULL), "NULL name");
        memset(longest, 'a', sizeof(longest) - 1);
        longest[NETWORK_NAME_MAX] = '\0';
        ok(network_name_is_valid(longest), "64 characters");
        longest[NETWORK_NAME_MAX] = 'a';
        longest[NETWORK_NAME_MAX + 1] = '\0';
        ok(!network_name_is_valid(longest), "65 characters");

        network_default_bridge("backend", b);
        is_str(b, "ctl-backend", "default bridge");
        network_default_bridge("averyveryverylongname", b);
        is_str(b, "ctl-averyveryve", "default bridge cut to 15 characters");
        ok(net_ifname_is_valid(b), "and valid");
}

/* The config keys of the default network (daemon/config.c). */
static void
test_config(void)
{
        static const char *const bad[][2] = {
                { "bridge", "a/b" },           { "bridge", "0123456789abcdef" }, { "bridge", "vc0" },
                { "subnet", "10.88.0.1/16" },  { "subnet", "10.88.0.0" },        { "subnet", "127.0.0.0/8" },
                { "masquerade", "maybe" },     { "masquerade", "YES" },
        };
        struct daemon_config c;
        struct ctr_error *e = NULL;

        ok(daemon_config_init(&c) == 0, "config init");
        is_str(c.bridge, "ctl0", "default bridge ctl0");
        is_str(c.subnet, "10.88.0.0/16", "default subnet 10.88.0.0/16");
        ok(!c.masquerade, "masquerade off by default");
        ok(daemon_config_parse(&c, "bridge = ctlx1\nsubnet = 10.90.0.0/24\nmasquerade = no\n", "t.conf", &e) ==
                           0 &&
                   strcmp(c.bridge, "ctlx1") == 0 && strcmp(c.subnet, "10.90.0.0/24") == 0 && !c.masquerade,
           "bridge, subnet, masquerade parse");
        ok(daemon_config_set(&c, "masquerade", "yes", NULL) == 0 && c.masquerade, "masquerade = yes");
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                int r = daemon_config_set(&c, bad[i][0], bad[i][1], &e);
                ok(r == -EINVAL && e && strstr(e->message, bad[i][1]), "%s = %s refused: %s", bad[i][0],
                   bad[i][1], e ? e->message : "");
                ctr_error_free(e);
                e = NULL;
        }
        ok(daemon_config_parse(&c, "subnet = 10.90.0.5/24\n", "t.conf", &e) == -EINVAL && e &&
                   strstr(e->message, "t.conf:1:") && strstr(e->message, "did you mean 10.90.0.0/24"),
           "a bad subnet names the file and line");
        ctr_error_free(e);
        daemon_config_clear(&c);
}

static char *
networks_dir(const char *root)
{
        char *p;

        if (asprintf(&p, "%s/networks", root) < 0)
                abort();
        return p;
}

static void
test_records(void)
{
        _cleanup_free_ char *root = NULL, *dir = NULL, *path = NULL;
        _cleanup_(network_unrefp) struct network *n = NULL, *back = NULL;
        struct ctr_error *e = NULL;
        struct net_subnet s;
        int64_t created = 0;
        static const struct {
                const char *text, *what;
        } corrupt[] = {
                { "{", "not JSON" },
                { "{\"version\":1,\"name\":\"rt\",\"subnet\":\"10.1.0.0/16\",\"bridge\":\"b\",\"default\":false}",
                  "no created" },
                { "{\"version\":2,\"name\":\"rt\",\"subnet\":\"10.1.0.0/16\",\"bridge\":\"b\",\"default\":false,"
                  "\"created\":\"2026-01-02T03:04:05Z\"}",
                  "unknown version" },
                { "{\"version\":1,\"name\":\"R T\",\"subnet\":\"10.1.0.0/16\",\"bridge\":\"b\",\"default\":false,"
                  "\"created\":\"2026-01-02T03:04:05Z\"}",
                  "bad name" },
                { "{\"version\":1,\"name\":\"rt\",\"subnet\":\"10.1.0.1/16\",\"bridge\":\"b\",\"default\":false,"
                  "\"created\":\"2026-01-02T03:04:05Z\"}",
                  "host address as subnet" },
                { "{\"version\":1,\"name\":\"rt\",\"subnet\":\"10.1.0.0/16\",\"bridge\":\"a/b\",\"default\":false,"
                  "\"created\":\"2026-01-02T03:04:05Z\"}",
                  "bad bridge" },
                { "{\"version\":1,\"name\":\"rt\",\"subnet\":\"10.1.0.0/16\",\"bridge\":\"b\",\"default\":true,"
                  "\"created\":\"2026-01-02T03:04:05Z\"}",
                  "default flag on another name" },
        };

        if (asprintf(&root, "%s/records", tmpdir) < 0)
                abort();
        dir = networks_dir(root);
        ok(mkdir_p(dir, 0700, NULL) == 0, "records dir");
        ok(net_subnet_parse("10.187.0.0/16", &s, NULL) == 0, "subnet");
        ok(network_new("rt", &s, "ctl-rt", false, dir, &n) == 0, "new network");
        ok(network_record_save(n, 1767323045123456789LL, &e) == 0, "save record");
        if (asprintf(&path, "%s/rt.json", dir) < 0)
                abort();
        ok(network_record_load(dir, path, &back, &created, &e) == 0, "load record");
        if (back) {
                is_str(back->name, "rt", "name round trip");
                is_str(back->bridge, "ctl-rt", "bridge round trip");
                ok(back->subnet.addr == s.addr && back->subnet.prefix == 16, "subnet round trip");
                ok(!back->is_default, "not default");
                is_int(created, 1767323045123456789LL, "created round trip (ns)");
                ok(back->w_persisted, "loaded means persisted");
        }
        for (size_t i = 0; i < ARRAY_SIZE(corrupt); i++) {
                struct network *x = NULL;
                ok(write_file_atomic(path, corrupt[i].text, strlen(corrupt[i].text), 0600, NULL) == 0,
                   "write corrupt record");
                ok(network_record_load(dir, path, &x, &created, &e) == -EBADMSG && !x && e &&
                           strstr(e->message, path),
                   "corrupt record refused, naming the file: %s", corrupt[i].what);
                ctr_error_free(e);
                e = NULL;
        }
}

static int
manager_new(const char *root, const char *bridge, const char *subnet, bool masquerade,
            struct network_manager **ret, struct ctr_error **err)
{
        _cleanup_free_ char *run = NULL;
        struct network_manager_config cfg = {
                .base = base,
                .workers = workers,
                .root = root,
                .default_bridge = bridge,
                .default_subnet = subnet,
                .masquerade = masquerade,
        };

        if (asprintf(&run, "%s/run", root) < 0)
                abort();
        cfg.run_root = run;
        return network_manager_new(&cfg, ret, err);
}

/* Runs the loop until *flag or about two seconds. */
static void
run_until(const bool *flag)
{
        for (int i = 0; i < 2000 && !*flag; i++) {
                event_base_loop(base, EVLOOP_NONBLOCK);
                if (!*flag)
                        usleep(1000);
        }
}

static void
test_default_network(void)
{
        _cleanup_free_ char *root = NULL, *dir = NULL;
        struct network_manager *m = NULL;
        struct ctr_error *e = NULL;
        struct network *def;
        json_t *list;

        if (asprintf(&root, "%s/default", tmpdir) < 0)
                abort();
        ok(manager_new(root, "ctl*0", "10.186.0.0/16", true, &m, &e) == -EINVAL && !m && e &&
                   strstr(e->message, "masquerade") && strstr(e->message, "ctl*0"),
           "masquerade with a bridge name nftables would not take literally is refused");
        ctr_error_free(e);
        e = NULL;
        ok(manager_new(root, "ctltest0", "10.186.0.1/16", false, &m, &e) == -EINVAL && e &&
                   strstr(e->message, "default network") && strstr(e->message, "10.186.0.0/16"),
           "a bad default subnet fails the start");
        ctr_error_free(e);
        e = NULL;
        ok(manager_new(root, "a/b", "10.186.0.0/16", false, &m, &e) == -EINVAL, "bad default bridge");
        ctr_error_free(e);
        e = NULL;

        ok(manager_new(root, "ctltest0", "10.186.0.0/16", false, &m, &e) == 0, "manager");
        if (!m)
                return;
        ok(network_manager_exists(m, NULL), "default exists (NULL)");
        ok(network_manager_exists(m, "bridge"), "default exists by name");
        ok(!network_manager_exists(m, "backend"), "backend does not");
        list = network_manager_list_json(m);
        {
                json_t *a = json_object_get(list, "networks"), *n0 = json_array_get(a, 0);
                is_int(json_array_size(a), 1, "one network listed");
                is_str(json_string_value(json_object_get(n0, "name")), "bridge", "the default one");
                is_str(json_string_value(json_object_get(n0, "bridge")), "ctltest0", "its bridge");
                is_str(json_string_value(json_object_get(n0, "subnet")), "10.186.0.0/16", "its subnet");
                is_str(json_string_value(json_object_get(n0, "gateway")), "10.186.0.1", "its gateway");
                ok(json_is_true(json_object_get(n0, "default")), "default: true");
                ok(json_is_null(json_object_get(n0, "created")), "created: null before first use");
                is_int(json_integer_value(json_object_get(n0, "containers")), 0, "no containers");
        }
        json_decref(list);
        dir = networks_dir(root);
        {
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "%s/bridge.json", dir) < 0)
                        abort();
                ok(access(p, F_OK) < 0 && errno == ENOENT, "no record before first use");
        }
        network_manager_free(m);
        m = NULL;

        /* A persisted default network with another subnet and no lease
         * takes the config's; with a lease it stays. */
        {
                struct net_subnet s;
                struct network *n = NULL;
                uint32_t addr;

                ok(net_subnet_parse("10.185.0.0/16", &s, NULL) == 0 &&
                           network_new("bridge", &s, "ctlold0", true, dir, &n) == 0 &&
                           network_record_save(n, 1767323045000000000LL, NULL) == 0,
                   "persist a default network of another config");
                ok(network_ipam_open(n, NULL) == 0, "its IPAM");
                ok(manager_new(root, "ctltest0", "10.186.0.0/16", false, &m, &e) == 0, "start with new config");
                def = m ? nm_find(m, "bridge") : NULL;
                ok(def && strcmp(def->bridge, "ctltest0") == 0 && def->subnet.addr == 0x0aba0000 &&
                           def->w_stale_bridge && strcmp(def->w_stale_bridge, "ctlold0") == 0 &&
                           !def->w_persisted,
                   "no leases: the config wins, the old bridge is deleted at first use");
                network_manager_free(m);
                m = NULL;

                ok(net_ipam_lease(n->ipam, ID1, &addr, NULL) == 0, "lease in the old default network");
                ok(manager_new(root, "ctltest0", "10.186.0.0/16", false, &m, &e) == 0, "start again");
                def = m ? nm_find(m, "bridge") : NULL;
                ok(def && strcmp(def->bridge, "ctlold0") == 0 && def->subnet.addr == 0x0ab90000 &&
                           def->created_ns == 1767323045000000000LL,
                   "with a lease the record wins");
                network_manager_free(m);
                m = NULL;
                network_unref(n);
        }
        ctr_error_free(e);
}

static void
test_checks(void)
{
        _cleanup_free_ char *root = NULL;
        struct network_manager *m = NULL;
        struct ctr_error *e = NULL;
        enum proto_error_kind kind;
        char br[NET_IFNAME_MAX + 1];
        struct net_subnet s, t;
        struct network *n = NULL;
        static const struct {
                const char *name, *subnet, *bridge;
                int r;
                enum proto_error_kind kind;
                const char *msg;
        } cases[] = {
                { "Bad", "10.187.1.0/24", NULL, -EINVAL, PROTO_ERR_INVALID_PARAMS, "invalid network name" },
                { "host", "10.187.1.0/24", NULL, -EINVAL, PROTO_ERR_INVALID_PARAMS, "invalid network name" },
                { "ok", "10.187.1.5/24", NULL, -EINVAL, PROTO_ERR_INVALID_PARAMS, "did you mean 10.187.1.0/24" },
                { "ok", "127.0.0.0/8", NULL, -EINVAL, PROTO_ERR_INVALID_PARAMS, "127.0.0.0/8" },
                { "ok", "10.187.1.0/24", "a b", -EINVAL, PROTO_ERR_INVALID_PARAMS, "invalid bridge name" },
                { "ok", "10.187.1.0/24", "vc0123456789", -EINVAL, PROTO_ERR_INVALID_PARAMS, "container interfaces" },
                { "bridge", "10.187.1.0/24", NULL, -EEXIST, PROTO_ERR_CONFLICT, "already exists" },
                { "ok", "10.186.128.0/17", NULL, -EADDRINUSE, PROTO_ERR_CONFLICT,
                  "overlaps network `bridge` (10.186.0.0/16)" },
                { "ok", "10.0.0.0/8", NULL, -EADDRINUSE, PROTO_ERR_CONFLICT, "overlaps network `bridge`" },
                { "ok", "10.187.1.0/24", "ctltest0", -EEXIST, PROTO_ERR_CONFLICT,
                  "bridge `ctltest0` is used by network `bridge`" },
                { "averyveryverylongname2", "10.187.2.0/24", NULL, -EEXIST, PROTO_ERR_CONFLICT,
                  "choose a bridge name" },
                { "averyveryverylongname2", "10.187.2.0/24", "ctl-long2", 0, 0, NULL },
                { "ok", "10.187.1.0/24", NULL, 0, 0, NULL },
        };

        if (asprintf(&root, "%s/checks", tmpdir) < 0)
                abort();
        ok(manager_new(root, "ctltest0", "10.186.0.0/16", false, &m, &e) == 0, "manager");
        if (!m)
                return;
        /* A user network in the table as network.create leaves it. */
        ok(net_subnet_parse("10.187.3.0/24", &t, NULL) == 0 &&
                   network_new("averyveryverylongname1", &t, "ctl-averyveryve", false, m->dir, &n) == 0,
           "in-memory network");
        n->ipam = NULL;
        ok(net_ipam_open(n->name, &t, NULL, &n->ipam, NULL) == 0, "in-memory IPAM");
        nm_insert(m, n);
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                int r = nm_check_new_network(m, cases[i].name, cases[i].subnet, cases[i].bridge, &s, br, &kind,
                                             &e);
                if (cases[i].r == 0)
                        ok(r == 0, "accepted: %s %s %s", cases[i].name, cases[i].subnet,
                           cases[i].bridge ? cases[i].bridge : "");
                else
                        ok(r == cases[i].r && kind == cases[i].kind && e && strstr(e->message, cases[i].msg),
                           "refused: %s %s %s: %s", cases[i].name, cases[i].subnet,
                           cases[i].bridge ? cases[i].bridge : "", e ? e->message : "(no message)");
                ctr_error_free(e);
                e = NULL;
        }
        ok(nm_check_new_network(m, "x", "10.187.3.128/25", NULL, &s, br, &kind, &e) == -EADDRINUSE &&
                   strstr(e->message, "averyveryverylongname1"),
           "overlap with a user network");
        ctr_error_free(e);
        e = NULL;
        ok(nm_check_new_network(m, "x", "10.187.4.0/24", "ctl-averyveryve", &s, br, &kind, &e) == -EEXIST,
           "a user network's bridge is taken");
        ctr_error_free(e);
        e = NULL;
        ok(nm_check_new_network(m, "x", "10.187.4.0/24", NULL, &s, br, &kind, &e) == 0 &&
                   strcmp(br, "ctl-x") == 0 && s.addr == 0x0abb0400 && s.prefix == 24,
           "typed results");
        ctr_error_free(e);
        network_manager_free(m);
}

/* ---- callbacks ---- */

struct attach_result {
        bool called;
        int r;
        char msg[256];
};

static void
attach_cb(int r, const struct network_endpoint_info *ep, const struct ctr_error *err, void *userdata)
{
        struct attach_result *a = userdata;

        a->called = true;
        a->r = r;
        snprintf(a->msg, sizeof(a->msg), "%s", err && err->message ? err->message : "");
}

static bool counters_called;
static json_t *counters_got;

static void
counters_cb(json_t *c, void *userdata)
{
        counters_called = true;
        counters_got = c;
}

static void
test_callbacks(void)
{
        _cleanup_free_ char *root = NULL;
        struct network_manager *m = NULL;
        struct attach_result a = { 0 }, b = { 0 };
        struct network_member *members = NULL;
        size_t n = 9;

        if (asprintf(&root, "%s/callbacks", tmpdir) < 0)
                abort();
        ok(manager_new(root, "ctltest0", "10.186.0.0/16", false, &m, NULL) == 0, "manager");
        if (!m)
                return;
        network_manager_attach(m, "nosuch", ID1, "web", "web", attach_cb, &a);
        network_manager_attach(m, NULL, "xyz", "web", "web", attach_cb, &b);
        ok(!a.called && !b.called, "attach callbacks do not run inside the call");
        run_until(&b.called);
        ok(a.called && a.r == -ENOENT && strcmp(a.msg, "no such network `nosuch`") == 0,
           "unknown network: %s", a.msg);
        ok(b.called && b.r == -EINVAL && strstr(b.msg, "invalid container id"), "bad id: %s", b.msg);
        ok(network_manager_endpoint(m, ID1) == NULL, "no endpoint");

        network_manager_counters(m, ID1, counters_cb, NULL);
        ok(!counters_called, "counters callback not inside the call");
        run_until(&counters_called);
        ok(counters_called && counters_got == NULL, "no endpoint, no counters");

        /* Nothing to do: finished without a thread. */
        network_manager_detach(m, ID1);
        network_manager_release(m, ID1);
        for (int i = 0; i < 20; i++)
                event_base_loop(base, EVLOOP_NONBLOCK);
        ok(m->jobs == NULL, "detach and release of an unknown container are no-ops");
        ok(network_manager_members(m, "bridge", &members, &n) == 0 && n == 0, "no members");
        free(members);
        network_manager_free(m);
}

/* ---- reconcile ---- */

static bool
keep_cb(const char *id, bool *ret_running, const char **ret_network, void *userdata)
{
        *ret_running = false;
        *ret_network = NULL;
        return strcmp(id, ID2) == 0; /* ID2 exists (stopped), ID1 is gone */
}

static void
done_cb(void *userdata)
{
        *(bool *) userdata = true;
}

static void
test_reconcile(void)
{
        _cleanup_free_ char *root = NULL, *dir = NULL, *pin = NULL, *rec = NULL, *tmp = NULL;
        struct network_manager *m = NULL;
        struct network *n = NULL;
        struct net_subnet s;
        struct attach_result a = { 0 };
        bool done = false;
        uint32_t addr;

        if (asprintf(&root, "%s/reconcile", tmpdir) < 0)
                abort();
        dir = networks_dir(root);
        ok(mkdir_p(dir, 0700, NULL) == 0 && net_subnet_parse("10.186.0.0/16", &s, NULL) == 0 &&
                   network_new("bridge", &s, "ctltest0", true, dir, &n) == 0 &&
                   network_record_save(n, 1767323045000000000LL, NULL) == 0 && network_ipam_open(n, NULL) == 0 &&
                   net_ipam_lease(n->ipam, ID1, &addr, NULL) == 0 && net_ipam_lease(n->ipam, ID2, &addr, NULL) == 0,
           "a default network with two leases");
        network_unref(n);
        ok(manager_new(root, "ctltest0", "10.186.0.0/16", false, &m, NULL) == 0, "manager");
        if (!m)
                return;
        /* Leftovers of a stopped container: a pin (a plain file here) and
         * an endpoint record. */
        if (asprintf(&pin, "%s/run/netns/%s", root, ID2) < 0 ||
            asprintf(&rec, "%s/run/endpoints/%s.json", root, ID2) < 0)
                abort();
        if (asprintf(&tmp, "%s.tmp", rec) < 0)
                abort();
        ok(write_file_atomic(pin, "", 0, 0444, NULL) == 0 &&
                   write_file_atomic(rec, "{\"network\":\"bridge\"}", 20, 0600, NULL) == 0 &&
                   write_file_atomic(tmp, "{", 1, 0600, NULL) == 0,
           "leftover pin, record and half-written record");
        network_manager_reconcile(m, keep_cb, NULL, done_cb, &done);
        /* Waits behind the reconciliation. */
        network_manager_attach(m, "nosuch", ID1, NULL, NULL, attach_cb, &a);
        ok(!done, "reconcile finishes later");
        run_until(&done);
        ok(done, "reconcile done");
        n = nm_find(m, "bridge");
        ok(n && net_ipam_get(n->ipam, ID1, &addr) == -ENOENT, "the gone container's lease is released");
        ok(n && net_ipam_get(n->ipam, ID2, &addr) == 0, "the stopped container's lease stays");
        ok(access(rec, F_OK) < 0, "its endpoint record is removed");
        ok(access(tmp, F_OK) < 0, "the half-written record is removed");
        if (geteuid() == 0)
                ok(access(pin, F_OK) < 0, "its pin is removed");
        run_until(&a.called);
        ok(a.called && a.r == -ENOENT, "a failed attach still answers");
        network_manager_free(m);
}

/* ---- the API over a socket ---- */

static int
connect_to(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -1;
        return fd;
}

/* Sends one request line and returns its reply, parsed. */
static json_t *
call(int fd, const char *line)
{
        static char buf[1 << 16];
        size_t len = 0;

        if (write(fd, line, strlen(line)) != (ssize_t) strlen(line))
                return NULL;
        for (int i = 0; i < 3000; i++) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                event_base_loop(base, EVLOOP_NONBLOCK);
                if (poll(&p, 1, 1) > 0) {
                        ssize_t k = read(fd, buf + len, sizeof(buf) - 1 - len);
                        if (k <= 0)
                                break;
                        len += (size_t) k;
                        if (memchr(buf, '\n', len))
                                break;
                }
        }
        buf[len] = '\0';
        return json_loads(buf, JSON_DISABLE_EOF_CHECK, NULL);
}

static const char *
error_kind(json_t *reply)
{
        return json_string_value(json_object_get(json_object_get(json_object_get(reply, "error"), "data"), "kind"));
}

static const char *
error_message(json_t *reply)
{
        return json_string_value(json_object_get(json_object_get(reply, "error"), "message"));
}

static void
test_api(void)
{
        _cleanup_free_ char *root = NULL, *sock = NULL, *rec = NULL;
        struct network_manager *m = NULL;
        struct api_context ctx = { 0 };
        struct dispatch *d = NULL;
        struct server *srv = NULL;
        int lfd = -1, fd;
        json_t *r;

        if (asprintf(&root, "%s/api", tmpdir) < 0 || asprintf(&sock, "%s/api.sock", tmpdir) < 0)
                abort();
        ok(manager_new(root, "ctltest0", "10.186.0.0/16", false, &m, NULL) == 0, "manager");
        ctx.networks = m;
        ok(dispatch_new(api_methods, &ctx, &d) == 0 && server_bind_unix(sock, NULL, &lfd, NULL) == 0 &&
                   server_new(base, &lfd, 1, dispatch_line, d, &srv) == 0,
           "server");
        /* Unit tests may run as any uid: make the test's own group the admins. */
        server_set_authz(srv, &(struct authz_groups) { .has_admin = true, .admin_gid = getgid() });
        fd = connect_to(sock);
        ok(fd >= 0, "connect");

        r = call(fd, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"network.create\",\"params\":"
                     "{\"name\":\"backend\",\"subnet\":\"10.187.1.0/24\"}}\n");
        {
                json_t *res = json_object_get(r, "result");
                is_str(json_string_value(json_object_get(res, "name")), "backend", "create: name");
                is_str(json_string_value(json_object_get(res, "bridge")), "ctl-backend", "create: default bridge");
                is_str(json_string_value(json_object_get(res, "gateway")), "10.187.1.1", "create: gateway");
                ok(json_is_false(json_object_get(res, "default")), "create: not default");
                ok(json_is_string(json_object_get(res, "created")), "create: created");
                if (!res)
                        printf("# %s\n", error_message(r));
        }
        json_decref(r);
        if (asprintf(&rec, "%s/networks/backend.json", root) < 0)
                abort();
        ok(access(rec, F_OK) == 0, "record on disk");

        r = call(fd, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"network.create\",\"params\":"
                     "{\"name\":\"other\",\"subnet\":\"10.187.1.0/25\",\"bridge\":\"ctlo\"}}\n");
        is_str(error_kind(r), "conflict", "overlapping create: conflict");
        ok(error_message(r) && strstr(error_message(r), "overlaps network `backend`"), "names the network");
        json_decref(r);
        r = call(fd, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"network.create\",\"params\":"
                     "{\"name\":\"other\",\"subnet\":\"10.187.9.0/24\",\"mtu\":9000}}\n");
        is_str(error_kind(r), "invalid_params", "unknown parameter: invalid_params");
        json_decref(r);
        r = call(fd, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"network.create\",\"params\":{\"name\":\"x\"}}\n");
        is_str(error_kind(r), "invalid_params", "missing subnet: invalid_params");
        json_decref(r);

        r = call(fd, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"network.list\"}\n");
        {
                json_t *a = json_object_get(json_object_get(r, "result"), "networks");
                is_int(json_array_size(a), 2, "list: two networks");
                is_str(json_string_value(json_object_get(json_array_get(a, 0), "name")), "bridge",
                       "list: default first");
                is_str(json_string_value(json_object_get(json_array_get(a, 1), "name")), "backend",
                       "list: then backend");
        }
        json_decref(r);

        r = call(fd, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"network.inspect\",\"params\":{\"network\":\"backend\"}}\n");
        ok(json_is_array(json_object_get(json_object_get(r, "result"), "containers")) &&
                   json_array_size(json_object_get(json_object_get(r, "result"), "containers")) == 0,
           "inspect: containers []");
        json_decref(r);
        r = call(fd, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"network.inspect\",\"params\":{\"network\":\"nope\"}}\n");
        is_str(error_kind(r), "not_found", "inspect unknown: not_found");
        json_decref(r);

        /* A lease makes it busy (as a stopped container's would). */
        {
                uint32_t addr;
                struct network *n = nm_find(m, "backend");
                ok(n && net_ipam_lease(n->ipam, ID1, &addr, NULL) == 0, "lease in backend");
        }
        r = call(fd, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"network.remove\",\"params\":{\"network\":\"backend\"}}\n");
        is_str(error_kind(r), "conflict", "remove while leased: conflict");
        ok(error_message(r) && strstr(error_message(r), "in use by 1 container"), "says so: %s", error_message(r));
        json_decref(r);
        network_manager_release(m, ID1);
        r = call(fd, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"network.remove\",\"params\":{\"network\":\"backend\"}}\n");
        is_str(json_string_value(json_object_get(json_object_get(r, "result"), "name")), "backend",
               "remove right after the release: waits for it");
        json_decref(r);
        ok(access(rec, F_OK) < 0 && errno == ENOENT, "record gone");
        ok(!network_manager_exists(m, "backend"), "network gone");

        r = call(fd, "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"network.remove\",\"params\":{\"network\":\"bridge\"}}\n");
        is_str(error_kind(r), "invalid_params", "removing the default: invalid_params");
        json_decref(r);
        r = call(fd, "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"network.remove\",\"params\":{\"network\":\"backend\"}}\n");
        is_str(error_kind(r), "not_found", "removing again: not_found");
        json_decref(r);

        close(fd);
        for (int i = 0; i < 10; i++)
                event_base_loop(base, EVLOOP_NONBLOCK);
        server_free(srv);
        dispatch_free(d);
        network_manager_free(m);
}

int
main(void)
{
        signal(SIGPIPE, SIG_IGN);
        log_set_max_level(LOG_ERR);
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return 1;
        }
        base = event_base_new();
        if (!base || worker_pool_new(base, &workers) < 0)
                return 1;
        test_names();
        test_config();
        test_records();
        test_default_network();
        test_checks();
        test_callbacks();
        test_reconcile();
        test_api();
        worker_pool_free(workers);
        event_base_free(base);
        rm_rf(tmpdir, NULL);
        return tap_done();
}
