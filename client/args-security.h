/* The client's side of the security options of `run` and `create`
 * (--cap-add, --cap-drop, --privileged, --read-only, --tmpfs,
 * --security-opt), parsed into the "security" object of container.create
 * (proto/PROTOCOL.md *Security*). Names are normalised and shapes checked
 * here; which capabilities exist and whether a profile parses is the
 * daemon's to say. A seccomp profile file is read here and sent as text:
 * the daemon may not be able to read the client's files. Prints nothing. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "common/error.h"

/* getopt codes of the security flags (all long-only). */
enum {
        ARGS_OPT_CAP_ADD = 0x300,
        ARGS_OPT_CAP_DROP,
        ARGS_OPT_PRIVILEGED,
        ARGS_OPT_READ_ONLY,
        ARGS_OPT_TMPFS,
        ARGS_OPT_SECURITY_OPT,
};

#define ARGS_SECURITY_LONG_OPTIONS                                               \
        { "cap-add", required_argument, NULL, ARGS_OPT_CAP_ADD },                \
        { "cap-drop", required_argument, NULL, ARGS_OPT_CAP_DROP },              \
        { "privileged", no_argument, NULL, ARGS_OPT_PRIVILEGED },                \
        { "read-only", no_argument, NULL, ARGS_OPT_READ_ONLY },                  \
        { "tmpfs", required_argument, NULL, ARGS_OPT_TMPFS },                    \
        { "security-opt", required_argument, NULL, ARGS_OPT_SECURITY_OPT }

/* The usage lines of the security flags, for --help texts. */
extern const char args_security_help[];

/* True if c (a getopt result) is one of the security flags. */
bool args_is_security_opt(int c);

/* Applies one security flag to *security (an object, created on first
 * use). arg is NULL for the flags without a value. Errors name the flag:
 * "--cap-add 'net admin': not a capability name", "--security-opt
 * seccomp=./p.json: open `./p.json`: No such file or directory",
 * "--security-opt 'label=x': unknown option (seccomp=PATH|unconfined,
 * no-new-privileges[=true|false])". Returns 0, -EINVAL with *err, -ENOMEM. */
int args_security_opt(json_t **security, int c, const char *arg, struct ctr_error **err);

/* "net_admin", "CAP_NET_ADMIN", "all" -> "CAP_NET_ADMIN", "ALL" (malloc'd).
 * -EINVAL if s is not a word of letters, digits and '_'. */
int args_cap_normalize(const char *s, char **ret);
