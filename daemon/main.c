/* containerctld: command line, config, and the wiring of one event loop:
 * listening socket (own or systemd's), dispatch, orchestrators, workers,
 * signals and sd_notify. Shutting down never touches containers: their
 * monitors keep running and are re-adopted at the next start. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "common/fs-util.h"
#include "common/log.h"
#include "daemon/api/api.h"
#include "daemon/cgroup/cgroup.h"
#include "daemon/cgroup/resources.h"
#include "daemon/config.h"
#include "daemon/container.h"
#include "daemon/dispatch.h"
#include "daemon/events.h"
#include "daemon/image-manager.h"
#include "daemon/network-manager.h"
#include "daemon/server.h"
#include "daemon/worker.h"

struct options {
        const char *config_path;
        bool config_explicit;
        const char *keys[16];
        const char *values[16];
        size_t n;
};

struct daemon {
        struct event_base *base;
        struct server *server;
        struct daemon_config *config;
        const char *config_path;
        bool config_explicit;
};

static void
usage(FILE *f)
{
        fprintf(f,
                "Usage: containerctld [OPTIONS]\n\n"
                "The containerctl daemon.\n\n"
                "  --socket PATH          API socket (default %s)\n"
                "  --root DIR             persistent state (default %s)\n"
                "  --run-root DIR         runtime state (default %s)\n"
                "  --config FILE          config file (default %s)\n"
                "  --cgroup-parent NAME   cgroup for containers (default %s)\n"
                "  --bridge NAME          the default network's bridge (default %s)\n"
                "  --subnet CIDR          the default network's subnet (default %s)\n"
                "  --log-level LEVEL      error|warning|notice|info|debug (default info)\n"
                "  --seccomp-profile FILE the default seccomp profile, or unconfined\n"
                "                         (default %s)\n"
                "  -h, --help             show this help\n"
                "  --version              show the version\n",
                DAEMON_DEFAULT_SOCKET, DAEMON_DEFAULT_ROOT, DAEMON_DEFAULT_RUN_ROOT,
                DAEMON_DEFAULT_CONFIG, DAEMON_DEFAULT_CGROUP_PARENT, DAEMON_DEFAULT_BRIDGE,
                DAEMON_DEFAULT_SUBNET, DAEMON_DEFAULT_SECCOMP_PROFILE);
}

/* Returns 0 to run, 1 to exit 0 (help/version), -EINVAL on bad usage. */
static int
parse_argv(int argc, char **argv, struct options *o)
{
        enum { ARG_SOCKET = 0x100, ARG_ROOT, ARG_RUN_ROOT, ARG_CONFIG, ARG_CGROUP, ARG_LOG,
               ARG_VERSION, ARG_BRIDGE, ARG_SUBNET, ARG_SECCOMP };
        static const struct option opts[] = {
                { "socket", required_argument, NULL, ARG_SOCKET },
                { "root", required_argument, NULL, ARG_ROOT },
                { "run-root", required_argument, NULL, ARG_RUN_ROOT },
                { "config", required_argument, NULL, ARG_CONFIG },
                { "cgroup-parent", required_argument, NULL, ARG_CGROUP },
                { "log-level", required_argument, NULL, ARG_LOG },
                { "bridge", required_argument, NULL, ARG_BRIDGE },
                { "subnet", required_argument, NULL, ARG_SUBNET },
                { "seccomp-profile", required_argument, NULL, ARG_SECCOMP },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {},
        };
        int c;

        o->config_path = DAEMON_DEFAULT_CONFIG;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
                const char *key = NULL;
                switch (c) {
                case 'h':
                        usage(stdout);
                        return 1;
                case ARG_VERSION:
                        printf("containerctld %s (api %d)\n", PACKAGE_VERSION, PROTO_API_VERSION);
                        return 1;
                case ARG_CONFIG:
                        o->config_path = optarg;
                        o->config_explicit = true;
                        continue;
                case ARG_SOCKET:
                        key = "socket";
                        break;
                case ARG_ROOT:
                        key = "root";
                        break;
                case ARG_RUN_ROOT:
                        key = "run_root";
                        break;
                case ARG_CGROUP:
                        key = "cgroup_parent";
                        break;
                case ARG_LOG:
                        key = "log_level";
                        break;
                case ARG_BRIDGE:
                        key = "bridge";
                        break;
                case ARG_SUBNET:
                        key = "subnet";
                        break;
                case ARG_SECCOMP:
                        key = "seccomp_profile";
                        break;
                default:
                        usage(stderr);
                        return -EINVAL;
                }
                if (o->n < ARRAY_SIZE(o->keys)) {
                        o->keys[o->n] = key;
                        o->values[o->n++] = optarg;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "containerctld: unexpected argument '%s'\n", argv[optind]);
                return -EINVAL;
        }
        return 0;
}

/* Defaults, then the file, then the flags. */
static int
build_config(const struct options *o, struct daemon_config *cfg, struct ctr_error **err)
{
        int r = daemon_config_init(cfg);

        if (r < 0)
                return ctr_error_sys(err, -r, "config");
        r = daemon_config_load(cfg, o->config_path, o->config_explicit, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < o->n; i++) {
                _cleanup_error_ struct ctr_error *e = NULL;
                r = daemon_config_set(cfg, o->keys[i], o->values[i], &e);
                if (r < 0)
                        return ctr_error_msg(err, -r, "--%s: %s", o->keys[i],
                                             e ? e->message : "invalid");
        }
        return 0;
}

static void
sigterm_cb(evutil_socket_t sig, short what, void *arg)
{
        struct daemon *d = arg;

        log_info("received %s, shutting down (containers keep running)",
                 sig == SIGTERM ? "SIGTERM" : "SIGINT");
        sd_notify(0, "STOPPING=1\nSTATUS=Shutting down");
        server_stop_listening(d->server);
        event_base_loopbreak(d->base);
}

/* SIGHUP re-reads the log level (other settings need a restart). */
static void
sighup_cb(evutil_socket_t sig, short what, void *arg)
{
        struct daemon *d = arg;
        _cleanup_error_ struct ctr_error *e = NULL;
        struct daemon_config fresh;

        if (daemon_config_init(&fresh) < 0)
                return;
        if (daemon_config_load(&fresh, d->config_path, d->config_explicit, &e) < 0)
                log_error("reload: %s", e ? e->message : "failed");
        else {
                log_set_max_level(fresh.log_level);
                log_notice("reloaded %s: log level %d", d->config_path, fresh.log_level);
        }
        daemon_config_clear(&fresh);
}

static const char *
level_name(int level)
{
        static const char *const names[] = { "error", "error", "error", "error",
                                             "warning", "notice", "info", "debug" };
        return level >= 0 && level < 8 ? names[level] : "info";
}

static int
get_listen_fds(const char *path, const struct authz_groups *groups, int *fds, size_t *n,
               struct ctr_error **err)
{
        int k = sd_listen_fds(1);

        if (k > 0) {
                size_t m = 0;
                for (int i = 0; i < k && m < 8; i++) {
                        int fd = SD_LISTEN_FDS_START + i, flags = fcntl(fd, F_GETFD);
                        /* systemd passes them without FD_CLOEXEC: no monitor
                         * or worker may inherit the listening socket. */
                        if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
                                log_warning_errno(negative_errno(), "set FD_CLOEXEC on fd %d", fd);
                        if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) > 0) {
                                server_socket_allow_admin(fd, groups);
                                fds[m++] = fd;
                        } else
                                safe_close(fd);
                }
                if (m == 0)
                        return ctr_error_msg(err, EINVAL,
                                             "systemd passed no listening Unix stream socket");
                *n = m;
                log_info("using %zu socket(s) from systemd", m);
                return 0;
        }
        {
                _cleanup_free_ char *dir = strdup(path);
                char *slash = dir ? strrchr(dir, '/') : NULL;
                if (slash && slash != dir) {
                        *slash = '\0';
                        int r = mkdir_p(dir, 0755, err);
                        if (r < 0)
                                return r;
                }
        }
        *n = 1;
        return server_bind_unix(path, groups, &fds[0], err);
}

/* Under systemd (INVOCATION_ID is set for every service it starts), with
 * the default cgroup parent: follow systemd's delegation rules
 * (Delegate=yes in the unit). The daemon and its monitors move into
 * <own cgroup>/supervisor, containers go below <own cgroup>/containers,
 * and no process sits in an inner node, in every hierarchy. If the unit
 * does not delegate (the daemon's cgroup differs between hierarchies), the
 * default parent stays, with a warning. Elsewhere the configured parent is
 * absolute from each hierarchy's root, as documented. */
static int
cgroup_parent_for_systemd(struct daemon_config *cfg, struct ctr_error **err)
{
        _cleanup_free_ char *own = NULL, *parent = NULL;
        _cleanup_error_ struct ctr_error *e = NULL;
        int r;

        if (!getenv("INVOCATION_ID") || strcmp(cfg->cgroup_parent, DAEMON_DEFAULT_CGROUP_PARENT) != 0)
                return 0;
        r = cgroup_own_path(&own, err);
        if (r < 0)
                return r;
        r = cgroup_delegate_setup(own, &parent, &e);
        if (r == -EXDEV) {
                log_warning("systemd delegation: %s; containers go below %s", e->message,
                            cfg->cgroup_parent);
                return 0;
        }
        if (r < 0)
                return ctr_error_msg(err, -r, "systemd delegation: %s", e ? e->message : "failed");
        log_info("systemd delegation: daemon in %s/supervisor, containers below %s", own, parent);
        free(cfg->cgroup_parent);
        cfg->cgroup_parent = TAKE_PTR(parent);
        return 0;
}

int
main(int argc, char **argv)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        struct options o = { 0 };
        struct daemon_config cfg = { 0 };
        struct daemon d = { 0 };
        struct api_context ctx = { 0 };
        struct worker_pool *workers = NULL;
        struct image_manager *images = NULL;
        struct network_manager *networks = NULL;
        struct container_manager *containers = NULL;
        struct event_bus *events = NULL;
        struct container_security_defaults *security = NULL;
        struct dispatch *dispatch = NULL;
        struct event *ev_term = NULL, *ev_int = NULL, *ev_hup = NULL;
        struct authz_groups groups;
        int fds[8], r, ret = 1;
        size_t n_fds = 0;

        log_set_ident("containerctld");
        r = parse_argv(argc, argv, &o);
        if (r != 0)
                return r > 0 ? 0 : 2;
        r = build_config(&o, &cfg, &e);
        if (r < 0) {
                log_error("%s", e ? e->message : "bad configuration");
                daemon_config_clear(&cfg);
                return 2;
        }
        log_set_max_level(cfg.log_level);
        signal(SIGPIPE, SIG_IGN);

        d.config = &cfg;
        d.config_path = o.config_path;
        d.config_explicit = o.config_explicit;
        d.base = event_base_new();
        if (!d.base) {
                log_error("event_base_new failed");
                goto out;
        }
        if (mkdir_p(cfg.root, 0700, &e) < 0 || mkdir_p(cfg.run_root, 0755, &e) < 0) {
                log_error("%s", e->message);
                goto out;
        }
        r = cgroup_parent_for_systemd(&cfg, &e);
        if (r < 0) {
                log_error("cgroup delegation: %s", e ? e->message : strerror(-r));
                goto out;
        }
        /* Before anything is served: a default profile that is missing or
         * does not parse must stop the daemon, not weaken containers. */
        r = container_security_defaults_new(cfg.seccomp_profile,
                                            strcmp(cfg.seccomp_profile, DAEMON_DEFAULT_SECCOMP_PROFILE) == 0,
                                            cfg.run_root, &security, &e);
        if (r < 0) {
                log_error("%s", e ? e->message : strerror(-r));
                goto out;
        }
        r = worker_pool_new(d.base, &workers);
        if (r < 0) {
                log_error_errno(r, "worker pool");
                goto out;
        }
        r = event_bus_new(d.base, &events);
        if (r < 0) {
                log_error_errno(r, "event bus");
                goto out;
        }
        r = image_manager_new(d.base, workers, cfg.root, &images, &e);
        if (r < 0) {
                log_error("image store: %s", e ? e->message : strerror(-r));
                goto out;
        }
        image_manager_set_events(images, events);
        {
                struct network_manager_config nc = {
                        .base = d.base,
                        .workers = workers,
                        .root = cfg.root,
                        .run_root = cfg.run_root,
                        .default_bridge = cfg.bridge,
                        .default_subnet = cfg.subnet,
                        .masquerade = cfg.masquerade,
                };
                r = network_manager_new(&nc, &networks, &e);
                if (r < 0) {
                        log_error("networks: %s", e ? e->message : strerror(-r));
                        goto out;
                }
        }
        {
                struct container_manager_config mc = {
                        .base = d.base,
                        .workers = workers,
                        .images = image_manager_store(images),
                        .networks = networks,
                        .events = events,
                        .root = cfg.root,
                        .run_root = cfg.run_root,
                        .cgroup_parent = cfg.cgroup_parent,
                        .log_level = level_name(cfg.log_level),
                        .stop_timeout = cfg.stop_timeout,
                        .log_max_size = cfg.log_max_size,
                        .log_max_files = cfg.log_max_files,
                        .subuid_path = cfg.subuid_file,
                        .subgid_path = cfg.subgid_file,
                };
                r = container_manager_new(&mc, &containers, &e);
                if (r < 0) {
                        log_error("containers: %s", e ? e->message : strerror(-r));
                        goto out;
                }
                container_manager_set_security(containers, security);
        }
        image_manager_set_containers(images, containers);
        ctx = (struct api_context){
                .containers = containers, .images = images, .networks = networks, .events = events,
                .config = &cfg
        };
        r = dispatch_new(api_methods, &ctx, &dispatch);
        if (r < 0)
                goto out;
        dispatch_set_authorize(dispatch, api_authorize);
        r = authz_groups_resolve(cfg.admin_group, cfg.user_group, &groups, &e);
        if (r < 0) {
                log_error("%s", e ? e->message : strerror(-r));
                goto out;
        }
        r = get_listen_fds(cfg.socket_path, &groups, fds, &n_fds, &e);
        if (r < 0) {
                log_error("%s", e ? e->message : strerror(-r));
                goto out;
        }
        r = server_new(d.base, fds, n_fds, dispatch_line, dispatch, &d.server);
        if (r < 0) {
                for (size_t i = 0; i < n_fds; i++)
                        safe_close(fds[i]);
                log_error_errno(r, "server");
                goto out;
        }
        server_set_authz(d.server, &groups);
        ev_term = evsignal_new(d.base, SIGTERM, sigterm_cb, &d);
        ev_int = evsignal_new(d.base, SIGINT, sigterm_cb, &d);
        ev_hup = evsignal_new(d.base, SIGHUP, sighup_cb, &d);
        if (!ev_term || !ev_int || !ev_hup || event_add(ev_term, NULL) < 0 ||
            event_add(ev_int, NULL) < 0 || event_add(ev_hup, NULL) < 0) {
                log_error("cannot install signal handlers");
                goto out;
        }

        log_info("containerctld %s serving on %s (root %s, run-root %s, cgroup parent %s)",
                 PACKAGE_VERSION, cfg.socket_path, cfg.root, cfg.run_root, cfg.cgroup_parent);
        sd_notify(0, "READY=1\nSTATUS=Serving");
        if (event_base_dispatch(d.base) < 0) {
                log_error("event loop failed");
                goto out;
        }
        /* Event subscribers hear why their stream ends: one more turn of
         * the loop writes it to each socket that can take it. */
        event_bus_shutdown(events);
        event_base_loop(d.base, EVLOOP_NONBLOCK);
        ret = 0;
out:
        /* Order: stop talking to clients, then drop records (monitors keep
         * running), then the stores and the loop. */
        if (ev_term)
                event_free(ev_term);
        if (ev_int)
                event_free(ev_int);
        if (ev_hup)
                event_free(ev_hup);
        worker_pool_free(workers);
        container_manager_free(containers);
        container_security_defaults_free(security);
        /* After the containers, which hold endpoints of it. */
        network_manager_free(networks);
        server_free(d.server);
        dispatch_free(dispatch);
        image_manager_free(images);
        /* Last of the producers gone: subscribers get their end. */
        event_bus_free(events);
        if (d.base)
                event_base_free(d.base);
        daemon_config_clear(&cfg);
        return ret;
}
