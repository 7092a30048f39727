/* Parsing of `run`/`create` options into struct create_opts, of the -v
 * mount spec, and of the option sets several commands share. Reports
 * problems through struct ctr_error so that the commands print them the
 * one way a usage error is printed. Prints nothing itself. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/args.h"
#include "client/args-resources.h"
#include "common/macros.h"
#include "common/parse.h"

void
mount_spec_done(struct mount_spec *m)
{
        if (!m)
                return;
        free(m->source);
        free(m->destination);
        *m = (struct mount_spec) {};
}

int
args_parse_mount(const char *spec, struct mount_spec *ret, struct ctr_error **err)
{
        _cleanup_free_ char *copy = NULL;
        char *parts[3] = {};
        size_t n = 0;
        bool readonly = false, idmap = false;
        char *p, *src, *dst;

        copy = strdup(spec);
        if (!copy)
                return -ENOMEM;
        for (p = copy;; ) {
                char *colon = strchr(p, ':');

                if (n == ARRAY_SIZE(parts))
                        return ctr_error_msg(err, EINVAL,
                                             "invalid volume spec '%s': too many ':'", spec);
                parts[n++] = p;
                if (!colon)
                        break;
                *colon = '\0';
                p = colon + 1;
        }
        if (n < 2)
                return ctr_error_msg(err, EINVAL,
                                     "invalid volume spec '%s': expected SRC:DST[:ro|:rw]", spec);
        for (size_t i = 0; i < n; i++)
                if (parts[i][0] == '\0')
                        return ctr_error_msg(err, EINVAL, "invalid volume spec '%s': empty part",
                                             spec);
        src = parts[0];
        dst = parts[1];
        if (src[0] != '/' && src[0] != '.')
                return ctr_error_msg(err, EINVAL,
                                     "invalid volume spec '%s': source must be a path "
                                     "(named volumes are not supported)", spec);
        if (dst[0] != '/')
                return ctr_error_msg(err, EINVAL,
                                     "invalid volume spec '%s': destination '%s' must be an absolute path",
                                     spec, dst);
        /* Options, comma-separated: ro|rw, idmap (with --userns auto: the
         * container's root owns what host root owns, as Podman's idmap). */
        for (char *o = n == 3 ? parts[2] : NULL, *next; o; o = next) {
                next = strchr(o, ',');
                if (next)
                        *next++ = '\0';
                if (strcmp(o, "ro") == 0)
                        readonly = true;
                else if (strcmp(o, "rw") == 0)
                        readonly = false;
                else if (strcmp(o, "idmap") == 0)
                        idmap = true;
                else
                        return ctr_error_msg(err, EINVAL,
                                             "invalid volume spec '%s': unknown option '%s' "
                                             "(ro, rw or idmap)", spec, o);
        }

        ret->source = strdup(src);
        ret->destination = strdup(dst);
        ret->readonly = readonly;
        ret->idmap = idmap;
        if (!ret->source || !ret->destination) {
                mount_spec_done(ret);
                return -ENOMEM;
        }
        return 0;
}

void
create_opts_done(struct create_opts *o)
{
        if (!o)
                return;
        for (size_t i = 0; i < o->n_env; i++)
                free(o->env[i]);
        free(o->env);
        for (size_t i = 0; i < o->n_mounts; i++)
                mount_spec_done(&o->mounts[i]);
        free(o->mounts);
        free(o->stop_signal);
        json_decref(o->labels);
        free(o->ports);
        free(o->network_aliases);
        json_decref(o->limits);
        json_decref(o->security);
        *o = (struct create_opts) {};
}

static int
add_env(struct create_opts *o, const char *arg, struct ctr_error **err)
{
        char **env;
        char *s;

        if (arg[0] == '=' || arg[0] == '\0')
                return ctr_error_msg(err, EINVAL, "invalid environment variable '%s'", arg);
        if (strchr(arg, '=')) {
                s = strdup(arg);
        } else {
                /* "-e NAME" takes the value from our own environment and is
                 * skipped if unset, as Docker does. */
                const char *v = getenv(arg);

                if (!v)
                        return 0;
                if (asprintf(&s, "%s=%s", arg, v) < 0)
                        s = NULL;
        }
        if (!s)
                return -ENOMEM;
        env = reallocarray(o->env, o->n_env + 1, sizeof(*env));
        if (!env) {
                free(s);
                return -ENOMEM;
        }
        o->env = env;
        o->env[o->n_env++] = s;
        return 0;
}

static int
add_mount(struct create_opts *o, const char *arg, struct ctr_error **err)
{
        struct mount_spec m = {}, *mounts;
        int r;

        r = args_parse_mount(arg, &m, err);
        if (r < 0)
                return r;
        mounts = reallocarray(o->mounts, o->n_mounts + 1, sizeof(*mounts));
        if (!mounts) {
                mount_spec_done(&m);
                return -ENOMEM;
        }
        o->mounts = mounts;
        o->mounts[o->n_mounts++] = m;
        return 0;
}

/* -p: parsed, and refused if an earlier -p has the same host socket (the
 * daemon could not bind both). */
static int
add_publish(struct create_opts *o, const char *arg, struct ctr_error **err)
{
        struct publish_spec p, *ports;
        int r;

        r = args_parse_publish(arg, &p, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < o->n_ports; i++)
                if (publish_specs_collide(&o->ports[i], &p))
                        return ctr_error_msg(err, EINVAL,
                                             "port spec `%s`: host port %s:%u/%s is published twice",
                                             arg, p.host_ip[0] ? p.host_ip : "0.0.0.0",
                                             (unsigned) p.host_port, p.udp ? "udp" : "tcp");
        ports = reallocarray(o->ports, o->n_ports + 1, sizeof(*ports));
        if (!ports)
                return -ENOMEM;
        o->ports = ports;
        o->ports[o->n_ports++] = p;
        return 0;
}

static int
add_network_alias(struct create_opts *o, const char *arg, struct ctr_error **err)
{
        const char **aliases;
        int r;

        r = args_check_network_alias(arg, err);
        if (r < 0)
                return r;
        aliases = reallocarray(o->network_aliases, o->n_network_aliases + 1, sizeof(*aliases));
        if (!aliases)
                return -ENOMEM;
        o->network_aliases = aliases;
        o->network_aliases[o->n_network_aliases++] = arg;
        return 0;
}

int
args_add_label(struct create_opts *o, const char *arg, struct ctr_error **err)
{
        const char *eq = strchr(arg, '=');
        _cleanup_free_ char *key = NULL;
        json_t *value;

        if (!eq)
                return ctr_error_msg(err, EINVAL, "invalid label '%s': expected KEY=VALUE", arg);
        if (eq == arg)
                return ctr_error_msg(err, EINVAL, "invalid label '%s': the key is empty", arg);
        key = strndup(arg, (size_t) (eq - arg));
        if (!key)
                return -ENOMEM;
        if (!o->labels) {
                o->labels = json_object();
                if (!o->labels)
                        return -ENOMEM;
        }
        /* json_string() and the key check refuse invalid UTF-8. */
        value = json_string(eq + 1);
        if (!value || json_object_set_new(o->labels, key, value) < 0)
                return ctr_error_msg(err, EINVAL, "invalid label '%s': not valid UTF-8", arg);
        return 0;
}

int
args_set_stop_signal(struct create_opts *o, const char *arg, struct ctr_error **err)
{
        int sig = parse_signal(arg);
        const char *name;
        char *s;

        if (sig < 0)
                return ctr_error_msg(err, EINVAL,
                                     "invalid stop signal '%s' (a name such as SIGTERM or TERM, "
                                     "or a number)", arg);
        /* The canonical name, so the daemon and inspect agree with what
         * was meant whatever the spelling ("term", "sigterm", "15"). */
        name = signal_to_name(sig);
        if (name)
                s = strdup(name);
        else if (asprintf(&s, "%d", sig) < 0)
                s = NULL;
        if (!s)
                return -ENOMEM;
        free(o->stop_signal);
        o->stop_signal = s;
        return 0;
}

int
args_parse_size(const char *s, int64_t *ret)
{
        _cleanup_free_ char *num = NULL;
        size_t len = strlen(s);
        int64_t v, mult = 1;
        int r;

        if (len > 1 && (s[len - 1] == 'b' || s[len - 1] == 'B') &&
            strchr("kKmMgG", s[len - 2]))
                len--;
        if (len > 0) {
                switch (s[len - 1]) {
                case 'k': case 'K': mult = 1024; len--; break;
                case 'm': case 'M': mult = 1024 * 1024; len--; break;
                case 'g': case 'G': mult = 1024 * 1024 * 1024; len--; break;
                default: break;
                }
        }
        num = strndup(s, len);
        if (!num)
                return -ENOMEM;
        r = parse_int_range(num, 0, INT64_MAX / mult, &v);
        if (r < 0)
                return r;
        *ret = v * mult;
        return 0;
}

int
args_parse_log_opt(struct create_opts *o, const char *opt, struct ctr_error **err)
{
        const char *eq = strchr(opt, '=');
        const char *v = eq ? eq + 1 : "";

        if (eq && strncmp(opt, "max-size", (size_t) (eq - opt)) == 0 && eq - opt == 8) {
                if (args_parse_size(v, &o->log_max_size) < 0)
                        return ctr_error_msg(err, EINVAL,
                                             "invalid --log-opt max-size '%s' (bytes, or a "
                                             "number with k, m or g; 0 for unbounded)", v);
                o->has_log_max_size = true;
                return 0;
        }
        if (eq && strncmp(opt, "max-file", (size_t) (eq - opt)) == 0 && eq - opt == 8) {
                if (parse_int_range(v, 1, 1000, &o->log_max_files) < 0)
                        return ctr_error_msg(err, EINVAL,
                                             "invalid --log-opt max-file '%s' (1 to 1000)", v);
                o->has_log_max_files = true;
                return 0;
        }
        return ctr_error_msg(err, EINVAL,
                             "invalid --log-opt '%s' (max-size=SIZE or max-file=N)", opt);
}

int
args_option_error(char **argv, int c, struct ctr_error **err)
{
        if (c == ':')
                return ctr_error_msg(err, EINVAL, "%s: option '%s' needs an argument", argv[0],
                                     argv[optind - 1]);
        /* optopt is the option's val: a character for a short option, 0 for
         * an unknown long one, our own code (>= 0x100) for a long one given
         * an argument it does not take. */
        if (optopt > 0 && optopt < 0x100)
                return ctr_error_msg(err, EINVAL, "%s: unknown option -%c", argv[0], optopt);
        return ctr_error_msg(err, EINVAL, "%s: unknown option '%s'", argv[0], argv[optind - 1]);
}

enum {
        OPT_RM = 0x100,
        OPT_NAME,
        OPT_HOSTNAME,
        OPT_DETACH_KEYS,
        OPT_LOG_OPT,
        OPT_JSON,
        OPT_NO_STDIN,
        OPT_ENTRYPOINT,
        OPT_STOP_SIGNAL,
        OPT_ALL,
        OPT_NO_TRUNC,
        OPT_NETWORK,
        OPT_NETWORK_ALIAS,
        OPT_USERNS,
};

int
args_parse_create(int argc, char **argv, bool allow_detach, struct create_opts *ret,
                  struct ctr_error **err)
{
        static const struct option options[] = {
                { "detach", no_argument, NULL, 'd' },
                { "rm", no_argument, NULL, OPT_RM },
                { "name", required_argument, NULL, OPT_NAME },
                { "env", required_argument, NULL, 'e' },
                { "workdir", required_argument, NULL, 'w' },
                { "user", required_argument, NULL, 'u' },
                { "hostname", required_argument, NULL, OPT_HOSTNAME },
                { "volume", required_argument, NULL, 'v' },
                { "interactive", no_argument, NULL, 'i' },
                { "tty", no_argument, NULL, 't' },
                { "detach-keys", required_argument, NULL, OPT_DETACH_KEYS },
                { "log-opt", required_argument, NULL, OPT_LOG_OPT },
                { "entrypoint", required_argument, NULL, OPT_ENTRYPOINT },
                { "stop-signal", required_argument, NULL, OPT_STOP_SIGNAL },
                { "label", required_argument, NULL, 'l' },
                { "network", required_argument, NULL, OPT_NETWORK },
                { "net", required_argument, NULL, OPT_NETWORK },
                { "publish", required_argument, NULL, 'p' },
                { "network-alias", required_argument, NULL, OPT_NETWORK_ALIAS },
                { "userns", required_argument, NULL, OPT_USERNS },
                ARGS_RESOURCE_LONG_OPTIONS,
                ARGS_SECURITY_LONG_OPTIONS,
                { "help", no_argument, NULL, 'h' },
                {}
        };
        struct create_opts o = {};
        long host_cpus = sysconf(_SC_NPROCESSORS_ONLN);
        int c, r;

        optind = 0; /* full re-initialisation (glibc), tests parse repeatedly */
        opterr = 0;
        while ((c = getopt_long(argc, argv, allow_detach ? "+:de:w:u:v:l:p:m:c:ith" : "+:e:w:u:v:l:p:m:c:ith",
                                options, NULL)) >= 0) {
                r = 0;
                switch (c) {
                case 'd':
                        if (!allow_detach)
                                r = ctr_error_msg(err, EINVAL, "%s: unknown option -d", argv[0]);
                        o.detach = true;
                        break;
                case OPT_RM:
                        o.auto_remove = true;
                        break;
                case OPT_NAME:
                        o.name = optarg;
                        break;
                case 'e':
                        r = add_env(&o, optarg, err);
                        break;
                case 'w':
                        if (optarg[0] != '/')
                                r = ctr_error_msg(err, EINVAL,
                                                  "the working directory '%s' must be an absolute path",
                                                  optarg);
                        o.workdir = optarg;
                        break;
                case 'u':
                        if (optarg[0] == '\0')
                                r = ctr_error_msg(err, EINVAL, "the user must not be empty");
                        o.user = optarg;
                        break;
                case OPT_HOSTNAME:
                        o.hostname = optarg;
                        break;
                case 'i':
                        o.interactive = true;
                        break;
                case 't':
                        o.tty = true;
                        break;
                case OPT_DETACH_KEYS:
                        o.detach_keys = optarg;
                        break;
                case OPT_LOG_OPT:
                        r = args_parse_log_opt(&o, optarg, err);
                        break;
                case 'v':
                        r = add_mount(&o, optarg, err);
                        break;
                case OPT_ENTRYPOINT:
                        o.has_entrypoint = true;
                        o.entrypoint = optarg;
                        break;
                case OPT_STOP_SIGNAL:
                        r = args_set_stop_signal(&o, optarg, err);
                        break;
                case 'l':
                        r = args_add_label(&o, optarg, err);
                        break;
                case OPT_NETWORK:
                        r = args_network_mode(optarg, err);
                        o.network = optarg;
                        break;
                case 'p':
                        r = add_publish(&o, optarg, err);
                        break;
                case OPT_NETWORK_ALIAS:
                        r = add_network_alias(&o, optarg, err);
                        break;
                case OPT_USERNS:
                        if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "host") != 0)
                                r = ctr_error_msg(err, EINVAL, "invalid --userns '%s' (auto or host)", optarg);
                        o.userns = optarg;
                        break;
                case 'h':
                        create_opts_done(&o);
                        return 1;
                default:
                        if (args_is_resource_opt(c))
                                r = args_resource_opt(&o.limits, c, optarg, host_cpus, err);
                        else if (args_is_security_opt(c))
                                r = args_security_opt(&o.security, c, optarg, err);
                        else
                                r = args_option_error(argv, c, err);
                        break;
                }
                if (r < 0) {
                        create_opts_done(&o);
                        return r;
                }
        }

        /* After all options: -p may come before --network none. */
        r = args_check_network_options(o.network, o.n_ports, o.n_network_aliases, err);
        if (r >= 0)
                r = args_resource_check(o.limits, err);
        if (r < 0) {
                create_opts_done(&o);
                return r;
        }
        if (optind >= argc) {
                create_opts_done(&o);
                return ctr_error_msg(err, EINVAL, "%s requires at least 1 argument (the image)",
                                     argv[0]);
        }
        o.image = argv[optind++];
        o.command = argv + optind;
        o.n_command = (size_t) (argc - optind);
        *ret = o;
        return 0;
}

json_t *
create_opts_to_params(const struct create_opts *o, struct ctr_error **err)
{
        json_auto_t *params = json_object();
        json_t *a;

        if (!params)
                goto oom;
        if (json_object_set_new(params, "image", json_string(o->image)) < 0)
                goto oom;
        if (o->name && json_object_set_new(params, "name", json_string(o->name)) < 0)
                goto oom;
        if (o->workdir && json_object_set_new(params, "workdir", json_string(o->workdir)) < 0)
                goto oom;
        if (o->user && json_object_set_new(params, "user", json_string(o->user)) < 0)
                goto oom;
        if (o->hostname && json_object_set_new(params, "hostname", json_string(o->hostname)) < 0)
                goto oom;
        if (o->auto_remove && json_object_set_new(params, "auto_remove", json_true()) < 0)
                goto oom;
        if (o->tty && json_object_set_new(params, "tty", json_true()) < 0)
                goto oom;
        if (o->interactive && json_object_set_new(params, "open_stdin", json_true()) < 0)
                goto oom;
        if (o->has_log_max_size &&
            json_object_set_new(params, "log_max_size", json_integer(o->log_max_size)) < 0)
                goto oom;
        if (o->has_log_max_files &&
            json_object_set_new(params, "log_max_files", json_integer(o->log_max_files)) < 0)
                goto oom;
        if (o->has_entrypoint) {
                a = json_array();
                if (!a || json_object_set_new(params, "entrypoint", a) < 0)
                        goto oom;
                if (o->entrypoint[0] && json_array_append_new(a, json_string(o->entrypoint)) < 0)
                        return ctr_error_msg(err, EINVAL, "entrypoint '%s' is not valid UTF-8",
                                             o->entrypoint),
                               NULL;
        }
        if (o->stop_signal &&
            json_object_set_new(params, "stop_signal", json_string(o->stop_signal)) < 0)
                goto oom;
        if (o->labels && json_object_set(params, "labels", o->labels) < 0)
                goto oom;
        if (o->network && json_object_set_new(params, "network", json_string(o->network)) < 0)
                goto oom;
        if (o->limits && json_object_set(params, "limits", o->limits) < 0)
                goto oom;
        if (o->security && json_object_set(params, "security", o->security) < 0)
                goto oom;
        if (o->userns && json_object_set_new(params, "userns", json_string(o->userns)) < 0)
                goto oom;
        if (o->n_ports > 0 &&
            json_object_set_new(params, "ports", publish_specs_to_json(o->ports, o->n_ports)) < 0)
                goto oom;
        if (o->n_network_aliases > 0) {
                a = json_array();
                if (!a || json_object_set_new(params, "network_aliases", a) < 0)
                        goto oom;
                for (size_t i = 0; i < o->n_network_aliases; i++)
                        if (json_array_append_new(a, json_string(o->network_aliases[i])) < 0)
                                goto oom;
        }

        if (o->n_command > 0) {
                a = json_array();
                if (!a || json_object_set_new(params, "command", a) < 0)
                        goto oom;
                for (size_t i = 0; i < o->n_command; i++)
                        if (json_array_append_new(a, json_string(o->command[i])) < 0)
                                return ctr_error_msg(err, EINVAL,
                                                     "argument '%s' is not valid UTF-8",
                                                     o->command[i]),
                                       NULL;
        }
        if (o->n_env > 0) {
                a = json_array();
                if (!a || json_object_set_new(params, "env", a) < 0)
                        goto oom;
                for (size_t i = 0; i < o->n_env; i++)
                        if (json_array_append_new(a, json_string(o->env[i])) < 0)
                                return ctr_error_msg(err, EINVAL,
                                                     "environment '%s' is not valid UTF-8",
                                                     o->env[i]),
                                       NULL;
        }
        if (o->n_mounts > 0) {
                a = json_array();
                if (!a || json_object_set_new(params, "mounts", a) < 0)
                        goto oom;
                for (size_t i = 0; i < o->n_mounts; i++) {
                        char resolved[PATH_MAX];
                        json_t *m;

                        if (!realpath(o->mounts[i].source, resolved))
                                return ctr_error_sys(err, errno, "volume source '%s'",
                                                     o->mounts[i].source),
                                       NULL;
                        m = json_pack("{s:s, s:s, s:b}", "source", resolved, "destination",
                                      o->mounts[i].destination, "readonly",
                                      (int) o->mounts[i].readonly);
                        /* Only when given: older daemons reject unknown keys. */
                        if (m && o->mounts[i].idmap)
                                json_object_set_new(m, "idmap", json_true());
                        if (!m || json_array_append_new(a, m) < 0)
                                return ctr_error_msg(err, EINVAL, "volume '%s:%s' is not valid UTF-8",
                                                     o->mounts[i].source,
                                                     o->mounts[i].destination),
                                       NULL;
                }
        }
        /* json_string() returns NULL for invalid UTF-8; set_new then fails. */
        return TAKE_PTR(params);

oom:
        ctr_error_msg(err, ENOMEM, "out of memory, or an option is not valid UTF-8");
        return NULL;
}

static bool
is_help(const char *arg)
{
        return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int
args_parse_targets(int argc, char **argv, const char *name, enum args_option opt,
                   const char *what, json_t *extra, struct ctr_error **err)
{
        static const struct option force_options[] = {
                { "force", no_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        static const struct option signal_options[] = {
                { "signal", required_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        bool force = opt == ARGS_OPT_FORCE;
        int c, sig;

        if (opt == ARGS_NO_OPTION) {
                optind = 1;
                if (argc > 1 && is_help(argv[1]))
                        return 1;
        } else {
                optind = 0; /* full re-initialisation (glibc) */
                opterr = 0;
                while ((c = getopt_long(argc, argv, force ? "+:fh" : "+:s:h",
                                        force ? force_options : signal_options, NULL)) >= 0)
                        switch (c) {
                        case 'f':
                                if (json_object_set_new(extra, "force", json_true()) < 0)
                                        return -ENOMEM;
                                break;
                        case 's':
                                sig = parse_signal(optarg);
                                if (sig < 0)
                                        return ctr_error_msg(err, EINVAL, "%s: invalid signal '%s'",
                                                             name, optarg);
                                if (json_object_set_new(extra, "signal", json_integer(sig)) < 0)
                                        return -ENOMEM;
                                break;
                        case 'h':
                                return 1;
                        default:
                                return args_option_error(argv, c, err);
                        }
        }
        if (optind >= argc)
                return ctr_error_msg(err, EINVAL, "%s requires at least 1 argument (%s)", name,
                                     what);
        return 0;
}

int
args_parse_list(int argc, char **argv, bool with_all, struct args_list *ret,
                struct ctr_error **err)
{
        static const struct option options[] = {
                { "all", no_argument, NULL, 'a' },
                { "quiet", no_argument, NULL, 'q' },
                { "json", no_argument, NULL, OPT_JSON },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        int c;

        *ret = (struct args_list) {};
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, with_all ? "+:aqh" : "+:qh",
                                with_all ? options : options + 1, NULL)) >= 0)
                switch (c) {
                case 'a':
                        ret->all = true;
                        break;
                case 'q':
                        ret->quiet = true;
                        break;
                case OPT_JSON:
                        ret->json = true;
                        break;
                case 'h':
                        return 1;
                default:
                        return args_option_error(argv, c, err);
                }
        return 0;
}

int
args_parse_attach(int argc, char **argv, const char *name, const char *what,
                  struct args_attach *ret, struct ctr_error **err)
{
        static const struct option options[] = {
                { "no-stdin", no_argument, NULL, OPT_NO_STDIN },
                { "detach-keys", required_argument, NULL, OPT_DETACH_KEYS },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        int c;

        *ret = (struct args_attach) {};
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:h", options, NULL)) >= 0)
                switch (c) {
                case OPT_NO_STDIN:
                        ret->no_stdin = true;
                        break;
                case OPT_DETACH_KEYS:
                        ret->detach_keys = optarg;
                        break;
                case 'h':
                        return 1;
                default:
                        return args_option_error(argv, c, err);
                }
        if (argc - optind != 1)
                return ctr_error_msg(err, EINVAL, "%s requires exactly 1 argument (%s)", name, what);
        return 0;
}

/* Go-style duration made of <number><h|m|s> parts, in milliseconds;
 * -EINVAL if s is not one. */
static int
parse_duration_ms(const char *s, int64_t *ret)
{
        int64_t total = 0;

        if (!*s)
                return -EINVAL;
        while (*s) {
                int64_t whole = 0, frac = 0, scale = 1, unit;
                bool digits = false;

                for (; *s >= '0' && *s <= '9'; s++, digits = true) {
                        if (whole > INT64_MAX / 100000)
                                return -ERANGE;
                        whole = whole * 10 + (*s - '0');
                }
                if (*s == '.')
                        for (s++; *s >= '0' && *s <= '9'; s++, digits = true)
                                if (scale < 1000) {
                                        frac = frac * 10 + (*s - '0');
                                        scale *= 10;
                                }
                if (!digits)
                        return -EINVAL;
                if (*s == 'h')
                        unit = 3600 * 1000;
                else if (*s == 'm' && s[1] != 's')
                        unit = 60 * 1000;
                else if (*s == 's')
                        unit = 1000;
                else
                        return -EINVAL;
                s++;
                if (whole > INT64_MAX / unit / 2)
                        return -ERANGE;
                total += whole * unit + frac * unit / scale;
        }
        *ret = total;
        return 0;
}

int
args_parse_log_time(const char *s, int64_t now_s, char **ret)
{
        int64_t ms;

        if (!s || !*s)
                return -EINVAL;
        if (parse_duration_ms(s, &ms) == 0) {
                if (asprintf(ret, "%" PRId64, now_s - ms / 1000) < 0)
                        return -ENOMEM;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int
args_split_ref(const char *ref, char **ret_name, char **ret_tag, struct ctr_error **err)
{
        const char *colon = strrchr(ref, ':');
        _cleanup_free_ char *name = NULL, *tag = NULL;

        if (colon && strchr(colon, '/'))
                colon = NULL;
        name = colon ? strndup(ref, (size_t) (colon - ref)) : strdup(ref);
        if (!name || (colon && !(tag = strdup(colon + 1))))
                return -ENOMEM;
        if (name[0] == '\0' || (tag && tag[0] == '\0'))
                return ctr_error_msg(err, EINVAL, "invalid image name '%s'", ref);
        *ret_name = TAKE_PTR(name);
        *ret_tag = TAKE_PTR(tag);
        return 0;
}

void
args_import_done(struct args_import *o)
{
        if (!o)
                return;
        free(o->name);
        free(o->tag);
        *o = (struct args_import) {};
}

int
args_parse_import(int argc, char **argv, struct args_import *ret, struct ctr_error **err)
{
        static const struct option options[] = {
                { "all", no_argument, NULL, OPT_ALL },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        struct args_import o = {};
        int c, n, r;

        optind = 0;
        opterr = 0;
        /* No "+": `import PATH NAME --all` reads as written. */
        while ((c = getopt_long(argc, argv, ":qh", options, NULL)) >= 0)
                switch (c) {
                case OPT_ALL:
                        o.all = true;
                        break;
                case 'q':
                        o.quiet = true;
                        break;
                case 'h':
                        return 1;
                default:
                        return args_option_error(argv, c, err);
                }
        n = argc - optind;
        if (n < 1 || n > 2)
                return ctr_error_msg(err, EINVAL,
                                     "%s requires 1 or 2 arguments: PATH [NAME[:TAG]]", argv[0]);
        if (argv[optind][0] == '\0')
                return ctr_error_msg(err, EINVAL, "%s: the path is empty", argv[0]);
        o.path = argv[optind];
        if (n == 2) {
                r = args_split_ref(argv[optind + 1], &o.name, &o.tag, err);
                if (r < 0)
                        return r;
                if (o.all && o.tag) {
                        args_import_done(&o);
                        return ctr_error_msg(err, EINVAL,
                                             "%s: with --all, NAME is a repository without a tag "
                                             "(each image keeps its own tags)", argv[0]);
                }
        }
        *ret = o;
        return 0;
}

int
args_parse_prune(int argc, char **argv, bool *ret_json, struct ctr_error **err)
{
        static const struct option options[] = {
                { "force", no_argument, NULL, 'f' },
                { "json", no_argument, NULL, OPT_JSON },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        int c;

        *ret_json = false;
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:fh", options, NULL)) >= 0)
                switch (c) {
                case 'f':
                        break;
                case OPT_JSON:
                        *ret_json = true;
                        break;
                case 'h':
                        return 1;
                default:
                        return args_option_error(argv, c, err);
                }
        if (optind < argc)
                return ctr_error_msg(err, EINVAL, "%s takes no arguments", argv[0]);
        return 0;
}

int
args_parse_history(int argc, char **argv, struct args_history *ret, struct ctr_error **err)
{
        static const struct option options[] = {
                { "no-trunc", no_argument, NULL, OPT_NO_TRUNC },
                { "json", no_argument, NULL, OPT_JSON },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        int c;

        *ret = (struct args_history) {};
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0)
                switch (c) {
                case OPT_NO_TRUNC:
                        ret->no_trunc = true;
                        break;
                case OPT_JSON:
                        ret->json = true;
                        break;
                case 'h':
                        return 1;
                default:
                        return args_option_error(argv, c, err);
                }
        if (argc - optind != 1)
                return ctr_error_msg(err, EINVAL, "%s requires exactly 1 argument (an image)",
                                     argv[0]);
        return 0;
}
