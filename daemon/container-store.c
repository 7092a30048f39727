/* Container records on disk and as the API shows them: container.json
 * (written atomically on every state change) and the summary/inspect
 * objects of PROTOCOL.md. Loading tolerates nothing malformed: a broken
 * record is logged and skipped, never half-loaded. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "common/fs-util.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/time-util.h"
#include "daemon/container-record.h"
#include "daemon/state-writer.h"

#define RECORD_MAX_SIZE (4 * 1024 * 1024)

const char *
container_state_to_string(enum container_state s)
{
        switch (s) {
        case CONTAINER_CREATED:
                return "created";
        case CONTAINER_RUNNING:
                return "running";
        case CONTAINER_EXITED:
                return "exited";
        }
        return "unknown";
}

int
container_state_from_string(const char *s)
{
        if (!s)
                return -EINVAL;
        if (strcmp(s, "created") == 0)
                return CONTAINER_CREATED;
        if (strcmp(s, "running") == 0)
                return CONTAINER_RUNNING;
        if (strcmp(s, "exited") == 0)
                return CONTAINER_EXITED;
        return -EINVAL;
}

static json_t *
strv_to_json(char **v)
{
        json_t *a = json_array();

        for (size_t i = 0; v && v[i]; i++)
                json_array_append_new(a, json_string(v[i]));
        return a;
}

static json_t *
str_or_null(const char *s)
{
        return s ? json_string(s) : json_null();
}

static json_t *
mounts_to_json(const struct container_config *cfg)
{
        json_t *a = json_array();

        for (size_t i = 0; i < cfg->n_mounts; i++)
                json_array_append_new(a, json_pack("{s:s,s:s,s:b,s:b}", "source",
                                                   cfg->mounts[i].source, "destination",
                                                   cfg->mounts[i].destination, "readonly",
                                                   cfg->mounts[i].readonly, "idmap",
                                                   cfg->mounts[i].idmap));
        return a;
}

/* "KEY=VALUE" strings as {"KEY":"VALUE"}. */
static json_t *
labels_to_json(char **labels)
{
        json_t *o = json_object();

        for (size_t i = 0; o && labels && labels[i]; i++) {
                const char *eq = strchr(labels[i], '=');
                _cleanup_free_ char *key = eq ? strndup(labels[i], (size_t) (eq - labels[i])) : NULL;
                if (key)
                        json_object_set_new(o, key, json_string(eq + 1));
        }
        return o;
}

static json_t *
config_to_json(const struct container_config *cfg)
{
        const char *signame = signal_to_name(cfg->stop_signal);
        char sigbuf[16];

        if (!signame) { /* real-time signals go by number */
                snprintf(sigbuf, sizeof(sigbuf), "%d", cfg->stop_signal);
                signame = sigbuf;
        }
        json_t *j = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:b,s:b,s:I,s:i,s:s,s:o,s:s,s:o,s:o,s:o}", "command",
                         strv_to_json(cfg->command), "env", strv_to_json(cfg->env), "workdir",
                         str_or_null(cfg->workdir), "user", str_or_null(cfg->user), "hostname",
                         str_or_null(cfg->hostname), "mounts", mounts_to_json(cfg), "auto_remove",
                         cfg->auto_remove, "tty", cfg->tty, "open_stdin", cfg->open_stdin,
                         "log_max_size", (json_int_t) cfg->log_max_size, "log_max_files",
                         cfg->log_max_files, "stop_signal", signame,
                         "labels", labels_to_json(cfg->labels), "network_mode",
                         container_net_mode_to_string(cfg->net_mode), "network",
                         str_or_null(cfg->network), "ports", ports_to_json(cfg->ports, cfg->n_ports),
                         "network_aliases", strv_to_json(cfg->network_aliases));

        if (j && json_object_set_new(j, "limits", container_limits_to_json(&cfg->limits)) < 0) {
                json_decref(j);
                return NULL;
        }
        return j;
}

/* Back from labels_to_json(); a missing object is no labels. */
static int
labels_from_json(json_t *o, char ***ret)
{
        const char *key;
        json_t *v;
        size_t n = 0;
        char **out;

        *ret = NULL;
        if (!o || json_is_null(o))
                return 0;
        if (!json_is_object(o))
                return -EINVAL;
        out = calloc(json_object_size(o) + 1, sizeof(char *));
        if (!out)
                return -ENOMEM;
        json_object_foreach (o, key, v) {
                if (!json_is_string(v) || asprintf(&out[n], "%s=%s", key, json_string_value(v)) < 0) {
                        out[n] = NULL;
                        for (size_t k = 0; k < n; k++)
                                free(out[k]);
                        free(out);
                        return -EINVAL;
                }
                n++;
        }
        *ret = out;
        return 0;
}

json_t *
container_to_record_json(const struct container *c)
{
        json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:{s:s,s:I,s:I,s:I,s:I,s:o,s:o,s:I,s:I,s:I,s:o}}",
                         "id", c->id, "name", c->name, "image_id", c->image_id, "image_ref",
                         c->image_ref, "image_lowerdir", c->image_lowerdir, "config",
                         config_to_json(&c->config), "state", "status",
                         container_state_to_string(c->state), "pid", (json_int_t) c->pid,
                         "monitor_pid", (json_int_t) c->monitor_pid, "monitor_starttime",
                         (json_int_t) c->monitor_starttime, "exit_code",
                         (json_int_t) c->exit_code, "signal", str_or_null(c->signal), "error",
                         str_or_null(c->error), "created", (json_int_t) c->created_ns,
                         "started", (json_int_t) c->started_ns, "finished",
                         (json_int_t) c->finished_ns, "ports",
                         ports_to_json(c->run_ports, c->n_run_ports));
        json_t *st = json_object_get(j, "state");

        if (j && (json_object_set_new(j, "owner_uid", json_integer((json_int_t) c->owner_uid)) < 0 ||
                  json_object_set_new(j, "generation", json_integer((json_int_t) c->record_gen)) < 0)) {
                json_decref(j);
                return NULL;
        }
        if (st && (json_object_set_new(st, "paused", json_boolean(c->paused)) < 0 ||
                   json_object_set_new(st, "oom_kills", json_integer((json_int_t) c->oom_kills)) < 0)) {
                json_decref(j);
                return NULL;
        }
        /* Beside "config", not in it: inspect shows "config" as is, and a
         * custom seccomp profile's text does not belong there. */
        if (j && json_object_set_new(j, "security", container_security_to_json(&c->config.security)) < 0) {
                json_decref(j);
                return NULL;
        }
        if (j && json_object_set_new(j, "userns", container_userns_to_json(&c->config.userns)) < 0) {
                json_decref(j);
                return NULL;
        }
        return j;
}

static int
json_to_strv(json_t *a, char ***ret)
{
        size_t i, n;
        char **v;

        if (json_is_null(a) || !a) {
                *ret = NULL;
                return 0;
        }
        if (!json_is_array(a))
                return -EINVAL;
        n = json_array_size(a);
        v = calloc(n + 1, sizeof(char *));
        if (!v)
                return -ENOMEM;
        for (i = 0; i < n; i++) {
                const char *s = json_string_value(json_array_get(a, i));
                if (!s || !(v[i] = strdup(s))) {
                        for (size_t k = 0; k < i; k++)
                                free(v[k]);
                        free(v);
                        return -EINVAL;
                }
        }
        *ret = v;
        return 0;
}

static char *
dup_opt(json_t *j)
{
        const char *s = json_string_value(j);
        return s ? strdup(s) : NULL;
}

/* Records from before networking have no network_mode: they ran with lo
 * only, and keep doing so. */
static int
net_from_json(json_t *cfg, const char *mode, struct container_config *c)
{
        static const enum container_net_mode modes[] = { CONTAINER_NET_NONE, CONTAINER_NET_BRIDGE,
                                                        CONTAINER_NET_HOST, CONTAINER_NET_CONTAINER };
        json_t *ports = json_object_get(cfg, "ports");

        c->net_mode = CONTAINER_NET_NONE;
        for (size_t i = 0; mode && i < ARRAY_SIZE(modes); i++)
                if (strcmp(mode, container_net_mode_to_string(modes[i])) == 0)
                        c->net_mode = modes[i];
        c->network = dup_opt(json_object_get(cfg, "network"));
        if ((c->net_mode == CONTAINER_NET_BRIDGE || c->net_mode == CONTAINER_NET_CONTAINER) &&
            !c->network)
                return -EINVAL;
        if (ports && !json_is_null(ports) && ports_from_json(ports, &c->ports, &c->n_ports, NULL) < 0)
                return -EINVAL;
        return json_to_strv(json_object_get(cfg, "network_aliases"), &c->network_aliases);
}

int
container_from_record_json(json_t *j, struct container **ret, struct ctr_error **err)
{
        struct container *c = calloc(1, sizeof(*c));
        json_t *cfg, *st, *mounts;
        const char *id, *name, *image_id, *image_ref, *lowerdir = NULL, *rootfs = NULL, *stop = NULL,
                   *status, *net_mode = NULL;
        json_int_t pid = 0, mpid = 0, mstart = 0, code = 0, cr = 0, sa = 0, fi = 0;
        json_int_t log_max_size = 0;
        int auto_remove = 0, tty = 0, open_stdin = 0, log_max_files = 1, s;

        if (!c)
                return -ENOMEM;
        c->chan_fd = -1;
        c->pidfd = -1;
        c->oom_fd = -1;
        cgroup_limits_init(&c->config.limits);
        /* Records from before layered images name one "image_rootfs". */
        if (json_unpack(j, "{s:s,s:s,s:s,s:s,s?s,s?s,s:o,s:o}", "id", &id, "name", &name, "image_id",
                        &image_id, "image_ref", &image_ref, "image_lowerdir", &lowerdir,
                        "image_rootfs", &rootfs, "config", &cfg, "state", &st) < 0 ||
            !(lowerdir || rootfs) ||
            json_unpack(st, "{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "status", &status, "pid", &pid,
                        "monitor_pid", &mpid, "monitor_starttime", &mstart, "exit_code", &code,
                        "created", &cr, "started", &sa, "finished", &fi) < 0 ||
            json_unpack(cfg, "{s:o,s:b,s?b,s?b,s?I,s?i,s?s,s?s}", "mounts", &mounts, "auto_remove",
                        &auto_remove, "tty", &tty, "open_stdin", &open_stdin, "log_max_size",
                        &log_max_size, "log_max_files", &log_max_files, "stop_signal", &stop,
                        "network_mode", &net_mode) < 0 ||
            !id_is_valid(id) || !id_is_valid(image_id) || !json_is_array(mounts) ||
            (s = container_state_from_string(status)) < 0) {
                container_free(c);
                return ctr_error_msg(err, EINVAL, "malformed container record");
        }
        strcpy(c->id, id);
        strcpy(c->image_id, image_id);
        c->name = strdup(name);
        c->image_ref = strdup(image_ref);
        c->image_lowerdir = strdup(lowerdir ? lowerdir : rootfs);
        c->config.stop_signal = stop ? parse_signal(stop) : SIGTERM;
        if (c->config.stop_signal < 0)
                c->config.stop_signal = SIGTERM;
        c->state = s;
        c->pid = (pid_t) pid;
        c->monitor_pid = (pid_t) mpid;
        c->monitor_starttime = (uint64_t) mstart;
        c->exit_code = (int) code;
        c->signal = dup_opt(json_object_get(st, "signal"));
        c->error = dup_opt(json_object_get(st, "error"));
        if (json_array_size(json_object_get(st, "ports")) > 0 &&
            ports_from_json(json_object_get(st, "ports"), &c->run_ports, &c->n_run_ports, NULL) < 0) {
                container_free(c);
                return ctr_error_msg(err, EINVAL, "malformed container record: ports");
        }
        c->created_ns = cr;
        c->started_ns = sa;
        c->finished_ns = fi;
        c->record_gen = json_is_integer(json_object_get(j, "generation"))
                                ? (int64_t) json_integer_value(json_object_get(j, "generation"))
                                : -1;
        /* Records from before authorization: made by root. */
        c->owner_uid = json_is_integer(json_object_get(j, "owner_uid"))
                               ? (uid_t) json_integer_value(json_object_get(j, "owner_uid"))
                               : 0;
        /* Records from before issue 6 have neither: not paused, no OOM kill. */
        c->paused = json_is_true(json_object_get(st, "paused")) && s == CONTAINER_RUNNING;
        if (json_integer_value(json_object_get(st, "oom_kills")) > 0)
                c->oom_kills = (uint64_t) json_integer_value(json_object_get(st, "oom_kills"));
        c->config.workdir = dup_opt(json_object_get(cfg, "workdir"));
        c->config.user = dup_opt(json_object_get(cfg, "user"));
        c->config.hostname = dup_opt(json_object_get(cfg, "hostname"));
        c->config.auto_remove = auto_remove;
        c->config.tty = tty;
        c->config.open_stdin = open_stdin;
        /* Records from before issue 3 have no limits: unbounded, one file. */
        c->config.log_max_size = log_max_size >= 0 ? log_max_size : 0;
        c->config.log_max_files = log_max_files >= 1 ? log_max_files : 1;
        if (json_to_strv(json_object_get(cfg, "command"), &c->config.command) < 0 ||
            json_to_strv(json_object_get(cfg, "env"), &c->config.env) < 0 ||
            labels_from_json(json_object_get(cfg, "labels"), &c->config.labels) < 0 ||
            net_from_json(cfg, net_mode, &c->config) < 0 ||
            container_limits_from_json(json_object_get(cfg, "limits"), &c->config.limits) < 0 ||
            container_security_from_json(json_object_get(j, "security"), &c->config.security) < 0 ||
            container_userns_from_json(json_object_get(j, "userns"), &c->config.userns) < 0 ||
            !c->name ||
            !c->image_ref || !c->image_lowerdir) {
                container_free(c);
                return ctr_error_msg(err, EINVAL, "malformed container record");
        }
        c->config.mounts = calloc(json_array_size(mounts) + 1, sizeof(struct container_mount));
        if (!c->config.mounts) {
                container_free(c);
                return -ENOMEM;
        }
        for (size_t i = 0; i < json_array_size(mounts); i++) {
                const char *src, *dst;
                int ro = 0, idmap = 0;
                if (json_unpack(json_array_get(mounts, i), "{s:s,s:s,s?b,s?b}", "source", &src,
                                "destination", &dst, "readonly", &ro, "idmap", &idmap) < 0) {
                        container_free(c);
                        return ctr_error_msg(err, EINVAL, "malformed mount in container record");
                }
                c->config.mounts[i].source = strdup(src);
                c->config.mounts[i].destination = strdup(dst);
                c->config.mounts[i].readonly = ro;
                c->config.mounts[i].idmap = idmap;
                c->config.n_mounts++;
        }
        *ret = c;
        return 0;
}

bool
container_durable(const struct container *c)
{
        return !c->config.auto_remove;
}

/* The newest record of a durable container, on the run root (a tmpfs):
 * see container_persist(). */
#define RUN_RECORD_NAME "record.json"

int
container_write_file(const struct container *c, const char *path, const char *text, mode_t mode,
                     struct ctr_error **err)
{
        struct state_writer *w = c->mgr ? c->mgr->writer : NULL;
        bool durable = container_durable(c);
        int r;

        /* No writer: unit tests. */
        if (durable && !w)
                return write_file_replace(path, text, strlen(text), mode, true, err);
        r = write_file_replace(path, text, strlen(text), mode, false, err);
        if (r < 0 || !durable || state_writer_fsync(w, path, NULL, NULL) >= 0)
                return r;
        /* No memory to queue the fsync: here, then. */
        return write_file_replace(path, text, strlen(text), mode, true, err);
}

static int
write_run_copy(const struct container *c, const char *text, struct ctr_error **err)
{
        _cleanup_free_ char *path = path_join(c->run_dir, RUN_RECORD_NAME);
        int r;

        if (!path)
                return ctr_error_sys(err, ENOMEM, "record of %s", c->id);
        r = write_file_replace(path, text, strlen(text), 0600, false, NULL);
        if (r == -ENOENT) {
                r = mkdir_p(c->run_dir, 0755, err);
                if (r < 0)
                        return r;
                r = write_file_replace(path, text, strlen(text), 0600, false, NULL);
        }
        return r < 0 ? ctr_error_sys(err, -r, "write `%s`", path) : 0;
}

/* The record goes to two places. The daemon loop never waits for a disk:
 * the run copy (<run-root>/containers/<id>/record.json, on a tmpfs) is
 * written at once, so a daemon killed a moment later still finds the
 * newest state (the monitor it has just spawned, say); the record under
 * the state root is written by the state writer, durably and in order,
 * after every file of the container written before it. A reboot clears
 * the run copy, and the disk record is then the newest state that reached
 * the disk. A container that does not outlive a reboot (`run --rm`,
 * container_durable()) has only its disk record, written here without
 * fsync. Nothing is written once the removal has begun: the removal waits
 * for the writer, and a later write would land in a directory being
 * deleted. */
int
container_persist(struct container *c, struct ctr_error **err)
{
        _cleanup_free_ char *path = path_join(c->dir, "container.json");
        _cleanup_free_ char *text = NULL;
        json_t *j;
        int r;

        if (c->removing)
                return 0;
        c->record_gen = c->record_gen < 0 ? 1 : c->record_gen + 1;
        j = container_to_record_json(c);
        if (!j || !path) {
                json_decref(j);
                return ctr_error_sys(err, ENOMEM, "serialize container %s", c->id);
        }
        text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
        json_decref(j);
        if (!text)
                return ctr_error_sys(err, ENOMEM, "serialize container %s", c->id);
        if (!container_durable(c))
                return write_file_replace(path, text, strlen(text), 0600, false, err);
        r = write_run_copy(c, text, err);
        if (r < 0)
                return r;
        if (c->mgr && c->mgr->writer &&
            state_writer_write(c->mgr->writer, path, text, strlen(text), 0600, NULL, NULL) >= 0)
                return 0;
        return write_file_replace(path, text, strlen(text), 0600, true, err);
}

void
container_persist_or_log(struct container *c)
{
        _cleanup_error_ struct ctr_error *e = NULL;

        if (container_persist(c, &e) < 0)
                log_error("container %.12s: persist state: %s", c->id, e ? e->message : "failed");
}

/* Parses a record; the container it describes must be the one whose
 * directory holds it. */
static int
record_parse(const char *id, const char *path, const char *text, struct container **ret,
             struct ctr_error **err)
{
        struct container *c = NULL;
        json_error_t jerr;
        json_t *j = json_loads(text, 0, &jerr);
        int r;

        if (!j)
                return ctr_error_msg(err, EINVAL, "%s: %s", path, jerr.text);
        r = container_from_record_json(j, &c, err);
        json_decref(j);
        if (r < 0)
                return r;
        if (strcmp(c->id, id) != 0) {
                container_free(c);
                return ctr_error_msg(err, EINVAL, "%s: id does not match its directory", path);
        }
        *ret = c;
        return 0;
}

/* Reads and parses id's record at path. 0 and *ret; -ENOENT (missing or
 * empty, nothing logged); another -errno with *err. */
static int
record_load(const char *id, const char *path, char **ret_text, struct container **ret,
            struct ctr_error **err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r;

        r = read_file_full(path, RECORD_MAX_SIZE, &text, &len, err);
        if (r == -ENOENT || (r >= 0 && len == 0)) {
                ctr_error_free(TAKE_PTR(*err));
                return -ENOENT;
        }
        if (r >= 0)
                r = record_parse(id, path, text, ret, err);
        if (r >= 0 && ret_text)
                *ret_text = TAKE_PTR(text);
        return r;
}

/* Which record of a durable container to believe: container_persist()
 * writes the run copy first, so a run copy of a later generation means the
 * daemon died before the state writer got that record to the disk. A disk
 * record without a generation was written by a daemon without run copies,
 * after any run copy there is. */
static bool
run_copy_wins(const struct container *run, const struct container *disk)
{
        if (!run)
                return false;
        return !disk || (disk->record_gen >= 0 && run->record_gen > disk->record_gen);
}

int
container_load_all(struct container_manager *m, struct ctr_error **err)
{
        DIR *d = opendir(m->containers_dir);
        struct dirent *de;

        if (!d)
                return ctr_error_sys(err, errno, "open `%s`", m->containers_dir);
        while ((de = readdir(d))) {
                _cleanup_error_ struct ctr_error *e = NULL, *run_e = NULL;
                _cleanup_free_ char *dir = NULL, *path = NULL, *run_dir = NULL, *run_path = NULL,
                                    *run_text = NULL;
                struct container *c = NULL, *run = NULL;
                int r;

                if (!id_is_valid(de->d_name))
                        continue;
                dir = path_join(m->containers_dir, de->d_name);
                path = dir ? path_join(dir, "container.json") : NULL;
                run_dir = path_join(m->run_containers_dir, de->d_name);
                run_path = run_dir ? path_join(run_dir, RUN_RECORD_NAME) : NULL;
                if (!path || !run_path)
                        break;
                r = record_load(de->d_name, path, NULL, &c, &e);
                if (record_load(de->d_name, run_path, &run_text, &run, &run_e) < 0 && run_e)
                        log_warning("container %s: ignoring its run copy: %s", de->d_name, run_e->message);
                if (run_copy_wins(run, c)) {
                        container_free(c);
                        c = TAKE_PTR(run);
                        /* The state writer had not finished: the disk gets
                         * the newest record now. */
                        ctr_error_free(TAKE_PTR(e));
                        if (write_file_atomic(path, run_text, strlen(run_text), 0600, &e) < 0)
                                log_warning("container %s: %s", de->d_name,
                                            e ? e->message : "record not written");
                        r = 0;
                }
                container_free(run);
                if (r == -ENOENT) {
                        /* A durable record is never missing or empty: this
                         * is a create cut short, or a container not meant
                         * to outlive a reboot (container_durable()) after
                         * a power loss. Nothing of it runs. */
                        struct stat st;
                        log_notice("removing container directory %s: it has no record (%s)", de->d_name,
                                   stat(path, &st) < 0 ? "missing" : "empty");
                        if (rm_rf(dir, &e) < 0)
                                log_warning("%s", e ? e->message : "remove failed");
                        continue;
                }
                if (r < 0) {
                        log_warning("skipping container %s: %s", de->d_name,
                                    e ? e->message : "unreadable");
                        continue;
                }
                c->mgr = m;
                c->dir = TAKE_PTR(dir);
                c->run_dir = TAKE_PTR(run_dir);
                c->next = m->containers;
                m->containers = c;
        }
        closedir(d);
        return 0;
}

static json_t *
time_or_null(int64_t ns)
{
        char buf[64];

        if (ns <= 0)
                return json_null();
        return json_string(format_rfc3339(ns, buf, sizeof(buf)));
}

char *
container_cgroup_path(const struct container *c)
{
        return path_join(c->mgr->cgroup_parent, c->id);
}

/* The ports as bound while running, else as configured. */
json_t *
container_ports_json(const struct container *c)
{
        if (c->state == CONTAINER_RUNNING && c->run_ports)
                return ports_to_json(c->run_ports, c->n_run_ports);
        return ports_to_json(c->config.ports, c->config.n_ports);
}

/* The state as the API shows it: "paused" is running with a frozen cgroup. */
static const char *
state_name(const struct container *c)
{
        if (c->state == CONTAINER_RUNNING && c->paused)
                return "paused";
        return container_state_to_string(c->state);
}

json_t *
container_summary_json(const struct container *c)
{
        bool running = c->state == CONTAINER_RUNNING;
        bool exited = c->state == CONTAINER_EXITED;

        return json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:o}", "id", c->id, "name",
                         c->name, "image", c->image_ref, "image_id", c->image_id, "command",
                         strv_to_json(c->config.command), "state", state_name(c), "created",
                         time_or_null(c->created_ns), "started_at",
                         c->state != CONTAINER_CREATED ? time_or_null(c->started_ns) : json_null(),
                         "finished_at", exited ? time_or_null(c->finished_ns) : json_null(),
                         "exit_code", exited ? json_integer(c->exit_code) : json_null(), "pid",
                         running && c->pid > 0 ? json_integer(c->pid) : json_null(), "ports",
                         container_ports_json(c));
}

static json_t *
bind_json(const char *source, const char *destination, bool readonly, bool idmap)
{
        return json_pack("{s:s,s:s,s:s,s:s,s:b,s:b}", "type", "bind", "source", source,
                         "destination", destination, "mode", readonly ? "ro" : "rw", "rw",
                         !readonly, "idmap", idmap);
}

/* What the container really gets bound in, in mount order (Docker's
 * inspect "Mounts", plus the files the daemon provides): a later entry
 * with the same destination hides an earlier one. */
static json_t *
effective_mounts_json(const struct container *c)
{
        json_t *a = json_array();

        for (size_t i = 0; a && container_host_files[i].name; i++) {
                _cleanup_free_ char *src = path_join(c->dir, container_host_files[i].name);
                if (!src) {
                        json_decref(a);
                        return NULL;
                }
                /* Idmapped when the container has its own user namespace. */
                json_array_append_new(a, bind_json(src, container_host_files[i].destination,
                                                   false, c->config.userns.mode ==
                                                                  CONTAINER_USERNS_AUTO));
        }
        for (size_t i = 0; a && i < c->config.n_mounts; i++)
                json_array_append_new(a, bind_json(c->config.mounts[i].source,
                                                   c->config.mounts[i].destination,
                                                   c->config.mounts[i].readonly,
                                                   c->config.mounts[i].idmap));
        return a;
}

json_t *
container_inspect_full_json(const struct container *c)
{
        json_t *j = container_summary_json(c);
        _cleanup_free_ char *cg = container_cgroup_path(c);
        _cleanup_free_ char *upper = path_join(c->dir, "upper");
        _cleanup_free_ char *log = path_join(c->dir, "console.log");
        bool running = c->state == CONTAINER_RUNNING;
        bool exited = c->state == CONTAINER_EXITED;
        json_t *state;

        if (!j)
                return NULL;
        state = json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:b,s:I}", "status", state_name(c),
                          "pid",
                          running && c->pid > 0 ? json_integer(c->pid) : json_null(), "exit_code",
                          exited ? json_integer(c->exit_code) : json_null(), "signal",
                          str_or_null(exited ? c->signal : NULL), "error", str_or_null(c->error),
                          "started_at",
                          c->state != CONTAINER_CREATED ? time_or_null(c->started_ns) : json_null(),
                          "finished_at", exited ? time_or_null(c->finished_ns) : json_null(),
                          "removing", c->removing, "paused", running && c->paused, "oom_kills",
                          (json_int_t) c->oom_kills);
        json_object_set_new(j, "state", state);
        json_object_set_new(j, "status", json_string(state_name(c)));
        json_object_set_new(j, "resources", container_resources_inspect_json(c));
        json_object_set_new(j, "config", config_to_json(&c->config));
        json_object_set_new(j, "cgroup", json_pack("{s:s?}", "path", cg));
        json_object_set_new(j, "rootfs",
                            json_pack("{s:s?,s:s}", "upper", upper, "lower", c->image_lowerdir));
        json_object_set_new(j, "mounts", effective_mounts_json(c));
        json_object_set_new(j, "security", container_security_inspect_json(c));
        json_object_set_new(j, "userns", container_userns_to_json(&c->config.userns));
        json_object_set_new(j, "log_path", log ? json_string(log) : json_null());
        json_object_set_new(j, "monitor_pid",
                            running && c->monitor_pid > 0 ? json_integer(c->monitor_pid)
                                                          : json_null());
        return j;
}
