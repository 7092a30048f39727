/* A container's user namespace setting (`--userns auto|host`, issue 7):
 * the mode asked at create and, for auto, the host ids its root maps to;
 * persisted in container.json, shown by inspect, written into config.json
 * (linux.namespaces "user", uidMappings, gidMappings). The ids come from
 * the manager's allocator (userns-alloc.h) at create and go back at
 * removal. Loop thread only. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "common/error.h"

enum container_userns_mode {
        CONTAINER_USERNS_HOST, /* the host's user namespace (the default) */
        CONTAINER_USERNS_AUTO, /* its own, on a block of subordinate ids */
};

struct container_userns {
        enum container_userns_mode mode;
        uint32_t uid, gid, size; /* auto: container id 0 is host uid/gid; size ids */
};

/* "auto" or "host" (NULL: host). */
int container_userns_mode_parse(const char *s, enum container_userns_mode *ret, struct ctr_error **err);
const char *container_userns_mode_to_string(enum container_userns_mode mode);

/* container.json's and inspect's "userns": {"mode","uid","gid","size"} (the
 * ids for auto only); back: absent is host. */
json_t *container_userns_to_json(const struct container_userns *u);
int container_userns_from_json(json_t *j, struct container_userns *ret);

struct container;
struct container_manager;

/* Opens the allocator at <root>/userns (subuid/subgid: NULL for /etc's),
 * releases the ids of containers that are gone and takes back those a
 * container's record has. After container_load_all(). */
int container_userns_manager_init(struct container_manager *m, const char *subuid_path,
                                  const char *subgid_path, struct ctr_error **err);
void container_userns_manager_free(struct container_manager *m);

/* Create, after the dirs exist and before config.json: for auto, takes a
 * block of ids and gives the upper and work dirs to the container's root. */
int container_userns_create(struct container *c, struct ctr_error **err);
/* Removal (or a failed create): the ids go back. */
void container_userns_removed(struct container *c);
/* config.json: the user namespace and its maps; a process user outside
 * the mapped ids is an error. */
int container_userns_apply_spec(const struct container *c, json_t *spec, struct ctr_error **err);
/* system.info: {"supported","default","user","range_size","containers"}. */
json_t *container_userns_info_json(struct container_manager *m);
