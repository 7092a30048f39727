/* The device rules a container's config.json carries (issue 7): Docker's
 * default list, or every device for --privileged. The runtime turns them
 * into the v1 devices controller's lists and a cgroup2 BPF device program
 * (daemon/cgroup/devices.c). No state; callable from any thread. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

/* A new OCI linux.resources.devices array (the caller owns it), or NULL
 * without memory. Default: every device denied, mknod of any character
 * or block device allowed (opening what it makes is not), and read,
 * write and mknod of null, zero, full, random, urandom, tty, console,
 * ptmx, the pts (136:*) and tun. Privileged: every device. */
json_t *container_spec_devices_json(bool privileged);

/* The same policy in words, for system.info and inspect. */
const char *container_devices_policy(bool privileged);
