/* The security part of a container's config (container-security.c): the
 * container.create "security" object (valid and malformed), capability
 * arithmetic, container.json round trip, and the config.json it fills
 * (capabilities per user, seccomp converted with includes/excludes,
 * tmpfs, masks, privileged). No root needed: nothing is applied. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "common/fs-util.h"
#include "daemon/container-record.h"
#include "tap.h"

#define CAP(n) (UINT64_C(1) << (n))
/* Docker's default set without MKNOD (bits of linux/capability.h). */
#define DEFAULT_CAPS UINT64_C(0xa00425fb)

static bool
in_bounding_set(int cap)
{
        return prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1;
}

static int
parse(const char *text, struct container_security *s, char **ret_msg)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        json_error_t jerr;
        json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);
        int r;

        if (!j) {
                fprintf(stderr, "bad test JSON: %s\n", jerr.text);
                abort();
        }
        r = container_security_from_params(j, s, &e);
        json_decref(j);
        if (ret_msg)
                *ret_msg = e ? strdup(e->message) : NULL;
        return r;
}

/* Fails with a message containing want. */
static void
bad(const char *text, const char *want)
{
        struct container_security s;
        _cleanup_free_ char *msg = NULL;
        int r = parse(text, &s, &msg);

        ok(r < 0 && msg && strstr(msg, want), "refused %s: %s", text, msg ? msg : "(accepted)");
        container_security_clear(&s);
}

static void
test_params(void)
{
        struct container_security s;
        _cleanup_free_ char *msg = NULL;

        ok(parse("null", &s, NULL) == 0 && !s.privileged && s.seccomp == CONTAINER_SECCOMP_DEFAULT &&
                   !s.allow_new_privileges,
           "no security object: the defaults");
        {
                uint64_t want = 0;
                for (int cap = 0; cap < 32; cap++)
                        if ((DEFAULT_CAPS & CAP(cap)) && in_bounding_set(cap))
                                want |= CAP(cap);
                ok(container_security_caps(&s) == want,
                   "defaults: Docker's set without MKNOD (as far as our bounding set has it)");
        }
        ok(!(container_security_caps(&s) & CAP(27)), "defaults: no CAP_MKNOD");
        container_security_clear(&s);

        ok(parse("{\"cap_add\": [\"net_admin\", \"CAP_SYS_TIME\", \"Cap_Kill\"], \"cap_drop\": [\"chown\"]}", &s,
                 &msg) == 0,
           "cap names in any case, with or without CAP_: %s", msg ? msg : "ok");
        is_str(s.cap_add ? s.cap_add[0] : NULL, "CAP_NET_ADMIN", "normalised add");
        is_str(s.cap_add ? s.cap_add[1] : NULL, "CAP_SYS_TIME", "normalised add 2");
        is_str(s.cap_drop ? s.cap_drop[0] : NULL, "CAP_CHOWN", "normalised drop");
        if (in_bounding_set(12) && in_bounding_set(25))
                ok((container_security_caps(&s) & (CAP(12) | CAP(25) | CAP(0))) == (CAP(12) | CAP(25)),
                   "added NET_ADMIN and SYS_TIME, dropped CHOWN");
        container_security_clear(&s);

        ok(parse("{\"cap_drop\": [\"ALL\"], \"cap_add\": [\"NET_BIND_SERVICE\"]}", &s, NULL) == 0 &&
                   container_security_caps(&s) == CAP(10),
           "--cap-drop ALL --cap-add NET_BIND_SERVICE: exactly bit 10");
        container_security_clear(&s);
        ok(parse("{\"cap_add\": [\"all\"], \"cap_drop\": [\"SYS_ADMIN\"]}", &s, NULL) == 0 &&
                   !(container_security_caps(&s) & CAP(21)) && (container_security_caps(&s) & CAP(0)),
           "--cap-add ALL --cap-drop SYS_ADMIN");
        container_security_clear(&s);
        ok(parse("{\"privileged\": true, \"cap_drop\": [\"NET_RAW\"]}", &s, NULL) == 0 && s.privileged &&
                   !(container_security_caps(&s) & CAP(13)) && (container_security_caps(&s) & CAP(0)),
           "privileged: every capability but the dropped");
        container_security_clear(&s);

        ok(parse("{\"read_only\": true, \"no_new_privileges\": false, \"seccomp\": \"unconfined\","
                 " \"tmpfs\": [{\"destination\": \"/tmp\"}, {\"destination\": \"/run\", \"options\": \"size=1m,mode=1777,exec\"}]}",
                 &s, &msg) == 0,
           "read_only, nnp off, unconfined, tmpfs: %s", msg ? msg : "ok");
        ok(s.read_only && s.allow_new_privileges && s.seccomp == CONTAINER_SECCOMP_UNCONFINED && s.n_tmpfs == 2 &&
                   !s.tmpfs[0].options && strcmp(s.tmpfs[1].options, "size=1m,mode=1777,exec") == 0,
           "fields set");

        {
                struct container_security copy;
                json_t *j = container_security_to_json(&s);
                struct container_security back;
                ok(container_security_copy(&s, &copy) == 0 && copy.n_tmpfs == 2 &&
                           strcmp(copy.tmpfs[1].destination, "/run") == 0,
                   "copy");
                ok(j && container_security_from_json(j, &back) == 0 && back.read_only && back.allow_new_privileges &&
                           back.seccomp == CONTAINER_SECCOMP_UNCONFINED && back.n_tmpfs == 2 &&
                           strcmp(back.tmpfs[1].options, "size=1m,mode=1777,exec") == 0,
                   "container.json round trip");
                json_decref(j);
                container_security_clear(&copy);
                container_security_clear(&back);
                ok(container_security_from_json(NULL, &back) == 0 && !back.privileged &&
                           back.seccomp == CONTAINER_SECCOMP_DEFAULT,
                   "a record without security: the defaults");
                j = json_pack("{s:s}", "seccomp", "bogus");
                ok(container_security_from_json(j, &back) == -EINVAL, "a malformed record is refused");
                json_decref(j);
        }
        container_security_clear(&s);

        bad("{\"cap_add\": [\"NET_FLY\"]}", "unknown capability `NET_FLY`");
        bad("{\"cap_drop\": [\"CAP_\"]}", "unknown capability");
        bad("{\"cap_add\": [\"5\"]}", "unknown capability");
        bad("{\"cap_add\": [\"ALL\"], \"cap_drop\": [\"all\"]}", "contradict");
        bad("{\"cap_add\": \"NET_ADMIN\"}", "security.cap_add must be an array");
        bad("{\"privileged\": 1}", "security.privileged must be a boolean");
        bad("{\"bogus\": true}", "unknown key 'bogus'");
        bad("[]", "must be an object");
        bad("{\"tmpfs\": [{\"destination\": \"tmp\"}]}", "absolute");
        bad("{\"tmpfs\": [{\"destination\": \"/\"}]}", "absolute path other than /");
        bad("{\"tmpfs\": [{\"destination\": \"/a/../etc\"}]}", "'..'");
        bad("{\"tmpfs\": [{\"destination\": \"/a,b\"}]}", "','");
        bad("{\"tmpfs\": [{\"destination\": \"/t\"}, {\"destination\": \"/t\"}]}", "given twice");
        bad("{\"tmpfs\": [{\"destination\": \"/t\", \"options\": \"size=1m,upperdir=/etc\"}]}", "upperdir=/etc");
        bad("{\"tmpfs\": [{\"destination\": \"/t\", \"options\": \"size=1m,,ro\"}]}", "empty mount option");
        bad("{\"tmpfs\": [{\"destination\": \"/t\", \"options\": \"size=\"}]}", "size=");
        bad("{\"seccomp\": \"strict\"}", "security.seccomp must be");
        bad("{\"seccomp\": {\"name\": \"p.json\"}}", "security.seccomp must be");
        bad("{\"seccomp\": {\"name\": \"p.json\", \"profile\": \"{\\n  \\\"defaultAction\\\": \\n}\"}}",
            "p.json: line 3");
        bad("{\"seccomp\": {\"name\": \"p.json\", \"profile\": \"{\\\"defaultAction\\\": \\\"SCMP_ACT_ALLOW\\\","
            " \\\"syscalls\\\": [{\\\"names\\\": [\\\"mkdir\\\"], \\\"action\\\": \\\"NOPE\\\"}]}\"}}",
            "syscalls[0].action");

        ok(parse("{\"seccomp\": {\"name\": \"p.json\", \"profile\": \"{\\\"defaultAction\\\": \\\"SCMP_ACT_ALLOW\\\","
                 " \\\"syscalls\\\": [{\\\"names\\\": [\\\"mkdir\\\"], \\\"action\\\": \\\"SCMP_ACT_ERRNO\\\"}]}\"}}",
                 &s, &msg) == 0 &&
                   s.seccomp == CONTAINER_SECCOMP_CUSTOM && strcmp(s.seccomp_name, "p.json") == 0,
           "a custom profile is kept with its name: %s", msg ? msg : "ok");
        container_security_clear(&s);
}

/* A config.json as container-spec.c builds it, reduced to what matters. */
static json_t *
spec_skeleton(void)
{
        return json_pack("{s:{s:[],s:b},s:{s:s,s:b},s:[{s:s,s:s,s:s,s:[s,s]},{s:s,s:s,s:s,s:[s,s,s,s]}],"
                         "s:{},s:{s:[],s:[s]}}",
                         "process", "args", "noNewPrivileges", 1, "root", "path", "/r", "readonly", 0, "mounts",
                         "destination", "/proc", "type", "proc", "source", "proc", "options", "nosuid", "noexec",
                         "destination", "/sys", "type", "sysfs", "source", "sysfs", "options", "nosuid", "noexec",
                         "nodev", "ro", "annotations", "linux", "namespaces", "maskedPaths", "/old");
}

static void
test_spec(void)
{
        struct container c = { 0 };
        _cleanup_error_ struct ctr_error *e = NULL;
        json_t *spec = spec_skeleton(), *caps, *m;
        int r;

        strcpy(c.id, "0123456789abcdef");
        /* Default, root: caps in bounding/effective/permitted, no masks lost,
         * no seccomp without the daemon's defaults. */
        r = container_security_apply_spec(&c, spec, 0, &e);
        ok(r == 0, "apply defaults: %s", e ? e->message : "ok");
        caps = json_object_get(json_object_get(spec, "process"), "capabilities");
        ok(json_array_size(json_object_get(caps, "effective")) == json_array_size(json_object_get(caps, "bounding")) &&
                   json_array_size(json_object_get(caps, "bounding")) > 0 &&
                   json_array_size(json_object_get(caps, "inheritable")) == 0 &&
                   json_array_size(json_object_get(caps, "ambient")) == 0,
           "root: effective = permitted = bounding, no inheritable or ambient");
        ok(json_array_size(json_object_get(json_object_get(spec, "linux"), "maskedPaths")) == 11 &&
                   json_array_size(json_object_get(json_object_get(spec, "linux"), "readonlyPaths")) == 5,
           "Docker's masked and read-only paths");
        ok(!json_object_get(json_object_get(spec, "linux"), "seccomp"), "no daemon defaults: no seccomp");
        json_decref(spec);

        /* A non-root user: bounding only; nnp off; read-only root; a custom
         * profile with an includes entry resolved against the caps. */
        spec = spec_skeleton();
        c.config.security.allow_new_privileges = true;
        c.config.security.read_only = true;
        c.config.security.seccomp = CONTAINER_SECCOMP_CUSTOM;
        c.config.security.seccomp_name = strdup("p.json");
        c.config.security.seccomp_profile = strdup(
                "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
                "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"},"
                "{\"names\": [\"reboot\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": [\"CAP_SYS_BOOT\"]}}]}");
        c.config.security.n_tmpfs = 1;
        c.config.security.tmpfs = calloc(1, sizeof(struct container_tmpfs));
        c.config.security.tmpfs[0].destination = strdup("/tmp");
        c.config.security.tmpfs[0].options = strdup("size=1m,exec");
        r = container_security_apply_spec(&c, spec, 1000, &e);
        ok(r == 0, "apply custom: %s", e ? e->message : "ok");
        caps = json_object_get(json_object_get(spec, "process"), "capabilities");
        ok(json_array_size(json_object_get(caps, "effective")) == 0 &&
                   json_array_size(json_object_get(caps, "permitted")) == 0 &&
                   json_array_size(json_object_get(caps, "bounding")) > 0,
           "non-root: bounding set only");
        ok(json_is_false(json_object_get(json_object_get(spec, "process"), "noNewPrivileges")), "nnp off");
        ok(json_is_true(json_object_get(json_object_get(spec, "root"), "readonly")), "root.readonly");
        {
                _cleanup_free_ char *sc =
                        json_dumps(json_object_get(json_object_get(spec, "linux"), "seccomp"), JSON_COMPACT);
                ok(sc && strstr(sc, "\"read\"") && !strstr(sc, "reboot") && !strstr(sc, "includes"),
                   "seccomp in OCI form, the CAP_SYS_BOOT entry left out: %s", sc ? sc : "(none)");
        }
        m = json_array_get(json_object_get(spec, "mounts"), 2);
        {
                _cleanup_free_ char *ms = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
                is_str(ms,
                       "{\"destination\":\"/tmp\",\"options\":[\"nosuid\",\"nodev\",\"noexec\",\"size=1m\",\"exec\"],"
                       "\"source\":\"tmpfs\",\"type\":\"tmpfs\"}",
                       "tmpfs mount, user options after the defaults");
        }
        json_decref(spec);
        container_security_clear(&c.config.security);

        /* Privileged: no masks, /sys writable, no seccomp, host devices. */
        spec = spec_skeleton();
        c.config.security.privileged = true;
        r = container_security_apply_spec(&c, spec, 0, &e);
        ok(r == 0, "apply privileged: %s", e ? e->message : "ok");
        ok(!json_object_get(json_object_get(spec, "linux"), "maskedPaths") &&
                   !json_object_get(json_object_get(spec, "linux"), "readonlyPaths"),
           "privileged: no masked or read-only paths");
        {
                _cleanup_free_ char *sys = json_dumps(json_array_get(json_object_get(spec, "mounts"), 1), JSON_COMPACT);
                ok(sys && strstr(sys, "\"rw\"") && !strstr(sys, "\"ro\""), "privileged: /sys rw");
        }
        ok(json_array_size(json_object_get(spec, "mounts")) > 2, "privileged: host devices bound (%zu mounts)",
           json_array_size(json_object_get(spec, "mounts")));
        json_decref(spec);
        container_security_clear(&c.config.security);
}

/* The daemon's defaults: the shipped profile loads, a bad one names the
 * line or field, the cache dir is made private, and default containers get
 * the profile converted for their capabilities (memoized per set). */
static void
test_defaults(void)
{
        static const char bad_profile[] = "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": 7}\n";
        char tmpl[] = "/tmp/test-secdef.XXXXXX";
        struct container_security_defaults *d = NULL;
        struct container_manager m = { 0 };
        struct container c = { 0 };
        _cleanup_free_ char *bad_path = NULL, *cache = NULL;
        struct stat st;
        json_t *spec, *info;

        if (!mkdtemp(tmpl))
                abort();
        cache = path_join(tmpl, "seccomp");
        bad_path = path_join(tmpl, "bad.json");
        {
                _cleanup_error_ struct ctr_error *e = NULL;
                int r = container_security_defaults_new(TOP_SRCDIR "/etc/seccomp.json", false, tmpl, &d, &e);
                ok(r == 0,
                   "etc/seccomp.json loads: %s", e ? e->message : "ok");
        }
        ok(lstat(cache, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700, "cache dir 0700");
        m.security = d;
        c.mgr = &m;
        strcpy(c.id, "0123456789abcdef");
        for (int i = 0; i < 2; i++) {
                _cleanup_error_ struct ctr_error *e = NULL;
                _cleanup_free_ char *sc = NULL;
                int r;
                spec = spec_skeleton();
                r = container_security_apply_spec(&c, spec, 0, &e);
                ok(r == 0, "default container %d: %s", i,
                   e ? e->message : "ok");
                sc = json_dumps(json_object_get(json_object_get(spec, "linux"), "seccomp"), JSON_COMPACT);
                ok(sc && strstr(sc, "SCMP_ACT_ERRNO") && !strstr(sc, "\"keyctl\""),
                   "default profile in config.json, without keyctl");
                is_str(json_string_value(json_object_get(json_object_get(spec, "annotations"),
                                                          "org.containerctl.seccomp.cache")),
                       cache, "cache annotation");
                json_decref(spec);
        }
        c.config.security.seccomp = CONTAINER_SECCOMP_UNCONFINED;
        spec = spec_skeleton();
        ok(container_security_apply_spec(&c, spec, 0, NULL) == 0 &&
                   !json_object_get(json_object_get(spec, "linux"), "seccomp"),
           "unconfined: no linux.seccomp");
        json_decref(spec);
        info = container_security_info_json(&m);
        ok(info && strcmp(json_string_value(json_object_get(json_object_get(info, "seccomp"), "default_profile")),
                          TOP_SRCDIR "/etc/seccomp.json") == 0 &&
                   json_array_size(json_object_get(info, "default_capabilities")) == 13,
           "info: default profile and capabilities");
        json_decref(info);
        container_security_defaults_free(d);
        d = NULL;

        ok(write_file_atomic(bad_path, bad_profile, strlen(bad_profile), 0644, NULL) == 0, "bad profile written");
        {
                _cleanup_error_ struct ctr_error *e = NULL;
                int r = container_security_defaults_new(bad_path, true, tmpl, &d, &e);
                ok(r < 0 && e && strstr(e->message, bad_path) &&
                           strstr(e->message, "syscalls"),
                   "a bad default profile names the file and field: %s", e ? e->message : "(loaded)");
        }
        {
                _cleanup_error_ struct ctr_error *e = NULL;
                int r = container_security_defaults_new("/nonexistent/seccomp.json", false, tmpl, &d, &e);
                ok(r < 0 && e &&
                           strstr(e->message, "seccomp_profile") && strstr(e->message, "/nonexistent"),
                   "a missing default profile: %s", e ? e->message : "(loaded)");
        }
        ok(container_security_defaults_new("/nonexistent/seccomp.json", true, tmpl, &d, NULL) == 0 && d,
           "a missing file at the default location: the built-in profile");
        info = d ? container_security_info_json(&(struct container_manager){ .security = d }) : NULL;
        is_str(json_string_value(json_object_get(json_object_get(info, "seccomp"), "default_profile")), "built-in",
               "info names the built-in profile");
        json_decref(info);
        container_security_defaults_free(d);
        d = NULL;
        ok(container_security_defaults_new("unconfined", false, tmpl, &d, NULL) == 0, "unconfined loads");
        container_security_defaults_free(d);
        (void) rm_rf(tmpl, NULL);
}

int
main(void)
{
        test_params();
        test_spec();
        test_defaults();
        return tap_done();
}
