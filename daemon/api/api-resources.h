/* The "limits" object of container.create and container.update (see
 * proto/PROTOCOL.md *Resources*), shared by daemon/api/container.c and
 * daemon/api/resources.c. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "daemon/cgroup/resources.h"
#include "daemon/dispatch.h"

/* Parses params[key] into *ret (initialised first; *ret_present false if
 * absent). Types and ranges only, naming the field; what the kernel
 * accepts is cgroup_limits_validate()'s to say. On error answers req with
 * invalid_params and returns -EINVAL (*ret is cleared). */
int api_param_limits(struct request *req, json_t *params, const char *key, bool *ret_present,
                     struct cgroup_limits *ret);
