/* Parsing of the security flags of run and create into the "security"
 * object of container.create: capability names normalised to "CAP_X",
 * tmpfs specs split, a seccomp profile file read into the request. Each
 * error names the flag and the value. Prints nothing. */
#include "client/args-security.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs-util.h"
#include "common/macros.h"

/* The daemon refuses larger profiles too (Docker's default is ~25 KiB). */
#define PROFILE_MAX_SIZE (4 * 1024 * 1024)

const char args_security_help[] =
        "      --cap-add CAP        add a capability (NET_ADMIN, CAP_NET_ADMIN, ALL)\n"
        "      --cap-drop CAP       drop a capability (ALL: every one; adds apply after)\n"
        "      --privileged         every capability and device, no seccomp, no masked paths\n"
        "      --read-only          mount the root file system read-only\n"
        "      --tmpfs PATH[:OPTS]  mount a tmpfs (OPTS: size=64m,mode=1777,exec,...)\n"
        "      --security-opt OPT   seccomp=PROFILE.json, seccomp=unconfined,\n"
        "                           no-new-privileges[=true|false]\n";

bool
args_is_security_opt(int c)
{
        return c >= ARGS_OPT_CAP_ADD && c <= ARGS_OPT_SECURITY_OPT;
}

int
args_cap_normalize(const char *s, char **ret)
{
        size_t n = strlen(s), off = 0;
        char *out;

        if (n == 0 || n > 48)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && s[i] != '_')
                        return -EINVAL;
        if (strcasecmp(s, "ALL") != 0 && strncasecmp(s, "CAP_", 4) != 0)
                off = 4;
        out = malloc(off + n + 1);
        if (!out)
                return -ENOMEM;
        memcpy(out, "CAP_", off);
        for (size_t i = 0; i <= n; i++)
                out[off + i] = (char) toupper((unsigned char) s[i]);
        *ret = out;
        return 0;
}

/* *security's member key as an array (created on first use). */
static json_t *
member_array(json_t *security, const char *key)
{
        json_t *a = json_object_get(security, key);

        if (a)
                return a;
        a = json_array();
        if (!a || json_object_set_new(security, key, a) < 0)
                return NULL;
        return a;
}

static int
add_cap(json_t *security, const char *flag, const char *key, const char *arg, struct ctr_error **err)
{
        _cleanup_free_ char *name = NULL;
        json_t *a;
        int r = args_cap_normalize(arg, &name);

        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return ctr_error_msg(err, EINVAL, "%s '%s': not a capability name (NET_ADMIN, CAP_SYS_TIME, ALL)",
                                     flag, arg);
        a = member_array(security, key);
        if (!a || json_array_append_new(a, json_string(name)) < 0)
                return -ENOMEM;
        return 0;
}

/* PATH[:OPTIONS], as Docker's --tmpfs. */
static int
add_tmpfs(json_t *security, const char *arg, struct ctr_error **err)
{
        const char *colon = strchr(arg, ':');
        _cleanup_free_ char *path = colon ? strndup(arg, (size_t) (colon - arg)) : strdup(arg);
        json_t *a, *o;

        if (!path)
                return -ENOMEM;
        if (path[0] != '/' || strcmp(path, "/") == 0)
                return ctr_error_msg(err, EINVAL, "--tmpfs '%s': the path must be absolute and not /", arg);
        if (colon && !colon[1])
                return ctr_error_msg(err, EINVAL, "--tmpfs '%s': empty options after ':'", arg);
        o = json_pack("{s:s}", "destination", path);
        if (o && colon && json_object_set_new(o, "options", json_string(colon + 1)) < 0) {
                json_decref(o);
                o = NULL;
        }
        a = member_array(security, "tmpfs");
        if (!o || !a || json_array_append_new(a, o) < 0)
                return -ENOMEM;
        return 0;
}

/* seccomp=PATH: the file's text goes in the request, with its name for
 * messages and inspect. */
static int
set_seccomp(json_t *security, const char *path, struct ctr_error **err)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        _cleanup_free_ char *text = NULL;
        json_t *v;
        size_t len = 0;
        int r;

        if (!*path)
                return ctr_error_msg(err, EINVAL, "--security-opt seccomp=: a profile file or unconfined is needed");
        if (strcmp(path, "unconfined") == 0)
                return json_object_set_new(security, "seccomp", json_string("unconfined")) < 0 ? -ENOMEM : 0;
        r = read_file_full(path, PROFILE_MAX_SIZE, &text, &len, &e);
        if (r < 0)
                return ctr_error_msg(err, -r, "--security-opt seccomp=%s: %s", path,
                                     e ? e->message : strerror(-r));
        v = json_pack("{s:s,s:s%}", "name", path, "profile", text, len);
        if (!v)
                return ctr_error_msg(err, EINVAL, "--security-opt seccomp=%s: not a UTF-8 text file", path);
        return json_object_set_new(security, "seccomp", v) < 0 ? -ENOMEM : 0;
}

static int
security_opt(json_t *security, const char *arg, struct ctr_error **err)
{
        static const char nnp[] = "no-new-privileges";
        size_t n = strlen(nnp);

        /* Docker takes KEY=VALUE and the older KEY:VALUE. */
        if (strncmp(arg, "seccomp", 7) == 0 && (arg[7] == '=' || arg[7] == ':'))
                return set_seccomp(security, arg + 8, err);
        if (strncmp(arg, nnp, n) == 0 && (arg[n] == '\0' || arg[n] == '=' || arg[n] == ':')) {
                const char *v = arg[n] ? arg + n + 1 : "true";
                bool on;
                if (strcmp(v, "true") == 0)
                        on = true;
                else if (strcmp(v, "false") == 0)
                        on = false;
                else
                        return ctr_error_msg(err, EINVAL, "--security-opt '%s': no-new-privileges takes true or false",
                                             arg);
                return json_object_set_new(security, "no_new_privileges", json_boolean(on)) < 0 ? -ENOMEM : 0;
        }
        return ctr_error_msg(err, EINVAL,
                             "--security-opt '%s': unknown option (seccomp=PROFILE.json, seccomp=unconfined, "
                             "no-new-privileges[=true|false])",
                             arg);
}

int
args_security_opt(json_t **security, int c, const char *arg, struct ctr_error **err)
{
        if (!*security && !(*security = json_object()))
                return -ENOMEM;
        switch (c) {
        case ARGS_OPT_CAP_ADD:
                return add_cap(*security, "--cap-add", "cap_add", arg, err);
        case ARGS_OPT_CAP_DROP:
                return add_cap(*security, "--cap-drop", "cap_drop", arg, err);
        case ARGS_OPT_PRIVILEGED:
                return json_object_set_new(*security, "privileged", json_true()) < 0 ? -ENOMEM : 0;
        case ARGS_OPT_READ_ONLY:
                return json_object_set_new(*security, "read_only", json_true()) < 0 ? -ENOMEM : 0;
        case ARGS_OPT_TMPFS:
                return add_tmpfs(*security, arg, err);
        case ARGS_OPT_SECURITY_OPT:
                return security_opt(*security, arg, err);
        }
        return ctr_error_msg(err, EINVAL, "unknown security option");
}
