/* Listing links by name prefix, kind and (optionally) bridge, for crash
 * reconciliation at daemon start: one dump of the calling thread's
 * namespace. */
#include <errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/network/network.h"
#include "daemon/network/nl-session.h"

struct collect {
        int master; /* only ports of this ifindex; -1: any link */
        const char *prefix;
        const char *kind;
        char **v;
        size_t n;
        int r;
};

static void
collect_link(struct nl_object *obj, void *arg)
{
        struct rtnl_link *l = (struct rtnl_link *) obj;
        struct collect *c = arg;
        const char *name = rtnl_link_get_name(l), *kind = rtnl_link_get_type(l);
        char **v;

        if (c->r < 0 || !name || (c->master >= 0 && rtnl_link_get_master(l) != c->master) ||
            strncmp(name, c->prefix, strlen(c->prefix)) != 0)
                return;
        if (c->kind && (!kind || strcmp(kind, c->kind) != 0))
                return;
        v = realloc(c->v, (c->n + 2) * sizeof(char *));
        if (!v) {
                c->r = -ENOMEM;
                return;
        }
        c->v = v;
        c->v[c->n] = strdup(name);
        if (!c->v[c->n]) {
                c->r = -ENOMEM;
                return;
        }
        c->v[++c->n] = NULL;
}

static int
cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int
nls_links_collect(struct nls *nl, int master, const char *prefix, const char *kind, char ***ret,
                  const char *what, struct ctr_error **err)
{
        struct collect c = { .master = master, .prefix = prefix ? prefix : "", .kind = kind };
        struct nl_cache *cache = NULL;
        int r;

        c.v = calloc(1, sizeof(char *));
        if (!c.v)
                return ctr_error_sys(err, ENOMEM, "%s", what);
        nls_reset(nl);
        NLS_DUMP_RETRY(r, rtnl_link_alloc_cache(nl->sk, AF_UNSPEC, &cache));
        if (r < 0) {
                net_strv_free(c.v);
                return nls_error(nl, r, err, "%s", what);
        }
        nl_cache_foreach(cache, collect_link, &c);
        nl_cache_free(cache);
        if (c.r < 0) {
                net_strv_free(c.v);
                return ctr_error_sys(err, -c.r, "%s", what);
        }
        qsort(c.v, c.n, sizeof(char *), cmp_str);
        *ret = c.v;
        return 0;
}

int
net_links_list(const char *prefix, const char *kind, char ***ret, struct ctr_error **err)
{
        _cleanup_(nls_freep) struct nls *nl = NULL;
        int r;

        r = nls_open(-1, &nl, err);
        if (r < 0)
                return r;
        return nls_links_collect(nl, -1, prefix, kind, ret, "list links", err);
}
