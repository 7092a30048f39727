/* Internal to daemon/network: what endpoint.c needs of an open namespace. */
#pragma once

#include "daemon/network/network.h"
#include "daemon/network/nl-session.h"

/* The O_RDONLY fd of the namespace, owned by ns. */
int net_netns_fd(const struct net_netns *ns);
/* The netlink session inside ns, opened on first use; owned by ns. */
int net_netns_session(struct net_netns *ns, struct nls **ret, struct ctr_error **err);
