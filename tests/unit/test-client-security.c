/* The security flags of run/create (client/args-security.c) and the
 * "security" object they build: names normalised, tmpfs split, a profile
 * file read into the request, errors naming the flag. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/args.h"
#include "common/fs-util.h"
#include "tap.h"

static char *
dump(json_t *j)
{
        return j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : strdup("null");
}

/* Parses `run [args...] busybox` and returns the "security" params. */
static char *
security_of(char **argv, int argc, char **ret_err)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        struct create_opts o;
        json_t *params;
        char *out;
        int r = args_parse_create(argc, argv, true, &o, &e);

        *ret_err = NULL;
        if (r != 0) {
                *ret_err = strdup(e ? e->message : "?");
                return NULL;
        }
        params = create_opts_to_params(&o, &e);
        out = dump(json_object_get(params, "security"));
        json_decref(params);
        create_opts_done(&o);
        return out;
}

#define ARGV(...) ((char *[]){ "run", __VA_ARGS__, "busybox", NULL })
#define ARGC(...) ((int) (sizeof((char *[]){ "run", __VA_ARGS__, "busybox" }) / sizeof(char *)))
#define RUN(ret_err, ...) security_of(ARGV(__VA_ARGS__), ARGC(__VA_ARGS__), ret_err)

int
main(void)
{
        char tmpl[] = "/tmp/test-clisec.XXXXXX", *err = NULL, *s;
        _cleanup_free_ char *profile = NULL, *arg = NULL, *want = NULL;

        s = RUN(&err, "--cap-add", "net_admin", "--cap-drop", "ALL", "--cap-add", "CAP_sys_time", "--privileged",
                "--read-only");
        is_str(s, "{\"cap_add\":[\"CAP_NET_ADMIN\",\"CAP_SYS_TIME\"],\"cap_drop\":[\"ALL\"],\"privileged\":true,"
                  "\"read_only\":true}",
               "caps normalised, privileged, read-only");
        free(s);
        s = RUN(&err, "--tmpfs", "/tmp", "--tmpfs", "/run:size=1m,mode=700", "--security-opt", "seccomp=unconfined",
                "--security-opt", "no-new-privileges=false");
        is_str(s, "{\"no_new_privileges\":false,\"seccomp\":\"unconfined\",\"tmpfs\":[{\"destination\":\"/tmp\"},"
                  "{\"destination\":\"/run\",\"options\":\"size=1m,mode=700\"}]}",
               "tmpfs, unconfined, no-new-privileges=false");
        free(s);
        s = RUN(&err, "--security-opt", "no-new-privileges");
        is_str(s, "{\"no_new_privileges\":true}", "no-new-privileges alone is true");
        free(s);
        s = RUN(&err, "--security-opt", "no-new-privileges:false");
        is_str(s, "{\"no_new_privileges\":false}", "Docker's old KEY:VALUE form");
        free(s);
        s = RUN(&err, "--name", "x");
        is_str(s, "null", "no security flag: no security object");
        free(s);

        ok(mkdtemp(tmpl) != NULL, "temp dir");
        profile = path_join(tmpl, "p.json");
        ok(write_file_atomic(profile, "{\"defaultAction\": \"SCMP_ACT_ALLOW\"}\n", 36, 0644, NULL) == 0, "profile");
        ok(asprintf(&arg, "seccomp=%s", profile) > 0 &&
                   asprintf(&want, "{\"seccomp\":{\"name\":\"%s\",\"profile\":\"{\\\"defaultAction\\\": "
                                   "\\\"SCMP_ACT_ALLOW\\\"}\\n\"}}",
                            profile) > 0,
           "args");
        s = RUN(&err, "--security-opt", arg);
        is_str(s, want, "seccomp=FILE sends the file's text and its name");
        free(s);
        unlink(profile);
        s = RUN(&err, "--security-opt", arg);
        ok(!s && err && strstr(err, "--security-opt seccomp=") && strstr(err, "No such file"),
           "missing profile: %s", err ? err : "(accepted)");
        free(s);
        free(err);
        rmdir(tmpl);

        s = RUN(&err, "--cap-add", "net admin");
        ok(!s && err && strstr(err, "--cap-add 'net admin': not a capability name"), "bad cap: %s", err);
        free(err);
        s = RUN(&err, "--cap-drop", "");
        ok(!s && err && strstr(err, "--cap-drop"), "empty cap: %s", err);
        free(err);
        s = RUN(&err, "--tmpfs", "tmp");
        ok(!s && err && strstr(err, "--tmpfs 'tmp'"), "relative tmpfs: %s", err);
        free(err);
        s = RUN(&err, "--tmpfs", "/tmp:");
        ok(!s && err && strstr(err, "empty options"), "empty tmpfs options: %s", err);
        free(err);
        s = RUN(&err, "--security-opt", "label=disable");
        ok(!s && err && strstr(err, "unknown option"), "unknown --security-opt: %s", err);
        free(err);
        s = RUN(&err, "--security-opt", "no-new-privileges=maybe");
        ok(!s && err && strstr(err, "true or false"), "bad no-new-privileges: %s", err);
        free(err);
        s = RUN(&err, "--security-opt", "seccomp=");
        ok(!s && err && strstr(err, "seccomp="), "empty seccomp: %s", err);
        free(err);
        return tap_done();
}
