/* Names the network back-end derives: interface name rules, host veth
 * names from container ids, MACs from addresses. Pure. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/network/network.h"

bool
net_ifname_is_valid(const char *name)
{
        size_t n;

        if (!name)
                return false;
        n = strlen(name);
        if (n == 0 || n > NET_IFNAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return false;
        /* The kernel's dev_valid_name() rejects '/', ':' and whitespace;
         * we also keep out anything unprintable so names log safely. */
        for (const char *p = name; *p; p++)
                if (*p <= ' ' || *p >= 0x7f || *p == '/' || *p == ':')
                        return false;
        return true;
}

int
net_veth_name(const char *container_id, char buf[static NET_IFNAME_MAX + 1])
{
        if (!container_id)
                return -EINVAL;
        for (int i = 0; i < 10; i++)
                if (!((container_id[i] >= '0' && container_id[i] <= '9') ||
                      (container_id[i] >= 'a' && container_id[i] <= 'f')))
                        return -EINVAL; /* also catches ids shorter than 10 */
        snprintf(buf, NET_IFNAME_MAX + 1, NET_VETH_PREFIX "%.10s", container_id);
        return 0;
}

void
net_mac_from_addr(uint32_t addr, uint8_t mac[static 6])
{
        /* 0x02: locally administered, unicast. 0x42 as Docker, so tools
         * that recognise container MACs keep working. */
        mac[0] = 0x02;
        mac[1] = 0x42;
        mac[2] = (uint8_t) (addr >> 24);
        mac[3] = (uint8_t) (addr >> 16);
        mac[4] = (uint8_t) (addr >> 8);
        mac[5] = (uint8_t) addr;
}

char *
net_mac_format(const uint8_t mac[static 6], char buf[static NET_MAC_STRLEN])
{
        snprintf(buf, NET_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                 mac[4], mac[5]);
        return buf;
}

void
net_strv_free(char **v)
{
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}
