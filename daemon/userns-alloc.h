/* Host id ranges for containers in their own user namespace (`--userns
 * auto`): blocks of USERNS_RANGE_SIZE uids and gids taken from the
 * subordinate ids of one user (subuid(5), subgid(5)), one block per
 * container, never two containers on the same ids. Each allocation is a
 * file <dir>/<container id>.json written atomically, so it survives a
 * daemon restart; the subordinate id files are read at each allocation
 * (an admin may grow them without a restart). Loop thread only; knows
 * nothing of containers beyond their ids. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/macros.h"

/* Container ids 0..65535, as Docker's and Podman's auto userns give. */
#define USERNS_RANGE_SIZE 65536u
#define USERNS_DEFAULT_USER "containerctl"
#define USERNS_DEFAULT_SUBUID "/etc/subuid"
#define USERNS_DEFAULT_SUBGID "/etc/subgid"

/* Container uid/gid 0 is host uid/gid; size ids each. */
struct userns_range {
        uint32_t uid, gid, size;
};

/* One "name:start:count" line of a subordinate id file. */
struct userns_subid {
        uint32_t start, count;
};

/* The ranges text (subuid/subgid format) grants user, in file order.
 * Comments, blank lines, other users' and malformed lines are skipped.
 * *ret is malloc'd (NULL when *ret_n is 0). */
int userns_subid_parse(const char *text, const char *user, struct userns_subid **ret, size_t *ret_n);

struct userns_alloc;

/* Loads the allocations in dir (created 0700 if missing). user,
 * subuid_path and subgid_path may be NULL for the defaults. */
int userns_alloc_new(const char *dir, const char *user, const char *subuid_path, const char *subgid_path,
                     struct userns_alloc **ret, struct ctr_error **err);
void userns_alloc_free(struct userns_alloc *a);
DEFINE_FREEP(struct userns_alloc, userns_alloc_free)

/* A free block for container id, persisted before it returns. No
 * subordinate ids for the user, or all of them in use: -ENOSPC with a
 * message saying which file to extend. */
int userns_alloc_reserve(struct userns_alloc *a, const char *id, struct userns_range *ret, struct ctr_error **err);
/* Records what container id's own record says it has (after a crash
 * between the two writes); a clash with another allocation is -EEXIST. */
int userns_alloc_adopt(struct userns_alloc *a, const char *id, const struct userns_range *r, struct ctr_error **err);
/* Forgets id's block and removes its file. Unknown id: 0. */
int userns_alloc_release(struct userns_alloc *a, const char *id);
/* Releases every allocation whose container keep() says is gone. */
void userns_alloc_prune(struct userns_alloc *a, bool (*keep)(const char *id, void *userdata), void *userdata);
/* id's block, or NULL. Borrowed. */
const struct userns_range *userns_alloc_find(const struct userns_alloc *a, const char *id);
size_t userns_alloc_count(const struct userns_alloc *a);
