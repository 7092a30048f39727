/* The client's side of networking arguments: -p/--publish specs, the
 * --network value, --network-alias names, and `network create`. Checked
 * here so that a typo is a usage error before anything is created; the
 * daemon checks them all again. Prints nothing. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* One -p value: [IP:][HOSTPORT:]CTRPORT[/tcp|/udp], the grammar of
 * daemon/ports.h (the client does not link daemon code). */
struct publish_spec {
        char host_ip[16];        /* dotted quad; "" for every address ("0.0.0.0" too) */
        uint16_t host_port;      /* 0: any free port, chosen by the daemon at start */
        uint16_t container_port; /* 1..65535 */
        bool udp;                /* else tcp */
};

/* Parses "80", "8080:80", "127.0.0.1:8080:80", "127.0.0.1::80", each with
 * an optional "/tcp" or "/udp" (any case). Errors name the spec and the
 * bad part, in the daemon's words, sometimes with a hint after them:
 * "port spec `8080:99999`: container port 99999 is out of range
 * (1-65535)". Returns 0, -EINVAL with *err, or -ENOMEM. */
int args_parse_publish(const char *spec, struct publish_spec *ret, struct ctr_error **err);

/* Whether a and b would bind the same host socket: the same port and
 * protocol on the same address, or on any address when one of them is
 * the wildcard. Port 0 (any) never collides. */
bool publish_specs_collide(const struct publish_spec *a, const struct publish_spec *b);

/* The API form of ports: [{"host_ip","host_port","container_port",
 * "protocol"}]. A new reference, or NULL without memory. */
json_t *publish_specs_to_json(const struct publish_spec *ports, size_t n);

/* What --network asks for. */
enum network_mode {
        NETWORK_MODE_DEFAULT,   /* not given: the daemon's default network */
        NETWORK_MODE_BRIDGE,    /* "bridge" or a network's name */
        NETWORK_MODE_NONE,      /* "none": only lo */
        NETWORK_MODE_HOST,      /* "host": the host's stack */
        NETWORK_MODE_CONTAINER, /* "container:NAME": another container's */
};

/* Checks a --network value lightly (not empty; "container:" needs a name)
 * and tells its mode. Whether the network or container exists is for the
 * daemon to say. Returns the mode, or -EINVAL with *err. */
int args_network_mode(const char *value, struct ctr_error **err);

/* Checks a --network-alias: a host name, since it goes into the members'
 * /etc/hosts ([a-zA-Z0-9][a-zA-Z0-9.-]*, at most 63 characters, as the
 * daemon checks it). Returns 0 or -EINVAL with *err. */
int args_check_network_alias(const char *alias, struct ctr_error **err);

/* Refuses what only a container on a bridge network can have: -p and
 * --network-alias with --network none, host or container:NAME. network
 * is the --network value (NULL: not given). Returns 0 or -EINVAL with
 * *err. */
int args_check_network_options(const char *network, size_t n_ports, size_t n_aliases,
                               struct ctr_error **err);

/* `network create [--subnet CIDR] [--bridge NAME] NAME`; options may
 * follow NAME. --subnet is required (an IPv4 CIDR; whether it is a network
 * address and free is the daemon's to check); --bridge is an interface
 * name (1 to 15 characters, no '/', ':' or white space). */
struct args_network_create {
        const char *name;   /* borrowed from argv */
        const char *subnet; /* borrowed */
        const char *bridge; /* borrowed; NULL: the daemon picks "ctl-" + NAME */
        bool masquerade;    /* outbound NAT (--masquerade) */
};

/* Returns 0, 1 for --help, -EINVAL with *err. */
int args_parse_network_create(int argc, char **argv, struct args_network_create *ret,
                              struct ctr_error **err);
