/* Published ports (-p [IP:][HOSTPORT:]CTRPORT[/tcp|udp]): parsing, the
 * JSON form used by the API and the container record, and binding the
 * host sockets. The daemon binds them when the container starts (so a port
 * in use is a clear start error) and hands them to the container's monitor,
 * which relays connections to the container's address (daemon/monitor/
 * proxy.c): the relay lives as long as the container, across daemon
 * restarts. Loop or any thread; no libevent. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct port_mapping {
        char host_ip[16];        /* dotted quad; "" means every address (0.0.0.0) */
        uint16_t host_port;      /* 0: any free port, chosen at bind */
        uint16_t container_port; /* 1..65535 */
        int protocol;            /* IPPROTO_TCP or IPPROTO_UDP */
};

/* Parses one -p value: "8080:80", "127.0.0.1:8080:80", "127.0.0.1::80",
 * "80" (any host port), each with an optional "/tcp" or "/udp". Errors
 * name the value and the part: "port spec `8080:99999`: container port
 * 99999 is out of range (1-65535)". */
int ports_parse(const char *spec, struct port_mapping *ret, struct ctr_error **err);

/* JSON: [{"host_ip":"127.0.0.1"|"","host_port":8080,"container_port":80,
 * "protocol":"tcp"|"udp"}]. from_json validates like ports_parse and
 * refuses the same host ip:port/proto twice. *ret malloc'd (NULL if none). */
json_t *ports_to_json(const struct port_mapping *ports, size_t n);
int ports_from_json(json_t *j, struct port_mapping **ret, size_t *ret_n, struct ctr_error **err);

/* Binds every mapping (TCP: SO_REUSEADDR, listen; UDP: bound datagram
 * socket), non-blocking, close-on-exec, in fds[i]. A host_port of 0 is
 * replaced by the port the kernel chose. On failure closes what it opened:
 * "port 127.0.0.1:8080/tcp is already in use". */
int ports_bind(struct port_mapping *ports, size_t n, int *fds, struct ctr_error **err);
