/* Listing links by name prefix and kind, for crash reconciliation at
 * daemon start: one dump of the calling thread's namespace. */
#include <errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/network/network.h"
#include "daemon/network/nl-session.h"

struct collect {
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

        if (c->r < 0 || !name || strncmp(name, c->prefix, strlen(c->prefix)) != 0)
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
net_links_list(const char *prefix, const char *kind, char ***ret, struct ctr_error **err)
{
        _cleanup_(nls_freep) struct nls *nl = NULL;
        struct collect c = { .prefix = prefix ? prefix : "", .kind = kind };
        struct nl_cache *cache = NULL;
        int r;

        r = nls_open(-1, &nl, err);
        if (r < 0)
                return r;
        c.v = calloc(1, sizeof(char *));
        if (!c.v)
                return ctr_error_sys(err, ENOMEM, "list links");
        nls_reset(nl);
        NLS_DUMP_RETRY(r, rtnl_link_alloc_cache(nl->sk, AF_UNSPEC, &cache));
        if (r < 0) {
                net_strv_free(c.v);
                return nls_error(nl, r, err, "list links");
        }
        nl_cache_foreach(cache, collect_link, &c);
        nl_cache_free(cache);
        if (c.r < 0) {
                net_strv_free(c.v);
                return ctr_error_sys(err, -c.r, "list links");
        }
        qsort(c.v, c.n, sizeof(char *), cmp_str);
        *ret = c.v;
        return 0;
}
