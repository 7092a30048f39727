/* Outbound NAT for bridge networks: one nftables table of our own, rebuilt
 * whole in one transaction from the list of networks (so it never holds a
 * rule of a network that is gone), and the IPv4 forwarding switches that
 * masquerading needs. Talks to the kernel through libnftables (netlink, in
 * the calling thread's namespace) with JSON commands built by jansson, so
 * no name is ever pasted into nft syntax. Never touches another table. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
/* libnftables.h defines _GNU_SOURCE itself (without a value); config.h
 * already did, and the second definition would be a redefinition warning. */
#undef _GNU_SOURCE
#include <nftables/libnftables.h>

#include "common/fs-util.h"
#include "daemon/network/network.h"

bool
net_nat_name_is_valid(const char *name)
{
        size_t n = name ? strlen(name) : 0;

        /* nft reads '*' at the end of an interface name as a wildcard and
         * a leading '@' or '$' as a set or variable, also in JSON: only
         * names that mean exactly themselves. */
        if (n == 0 || n > NET_NAT_TABLE_MAX)
                return false;
        for (const char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '_' || *p == '.' || *p == '-'))
                        return false;
        return true;
}

static json_t *
table_obj(const char *table)
{
        return json_pack("{s:s,s:s}", "family", "ip", "name", table);
}

static json_t *
cmd(const char *verb, const char *what, json_t *obj)
{
        return json_pack("{s:{s:o}}", verb, what, obj);
}

/* {"match": {"op": op, "left": {"meta": {"key": key}}, "right": value}} */
static json_t *
match_meta(const char *key, const char *op, const char *value)
{
        return json_pack("{s:{s:s,s:{s:{s:s}},s:s}}", "match", "op", op, "left", "meta", "key", key, "right",
                         value);
}

static json_t *
rule(const char *table, const char *chain, json_t *expr)
{
        return cmd("add", "rule",
                   json_pack("{s:s,s:s,s:s,s:o}", "family", "ip", "table", table, "chain", chain, "expr", expr));
}

static int
push(json_t *a, json_t *v)
{
        return v && json_array_append_new(a, v) == 0 ? 0 : -ENOMEM;
}

/* The commands that replace table with the rules for nets:
 *
 *   chain postrouting (nat, srcnat), per masquerading network:
 *       ip saddr SUBNET oifname != BRIDGE masquerade
 *   chain forward (filter), per masquerading network:
 *       oifname BRIDGE iifname != BRIDGE ct state established,related accept
 *       oifname BRIDGE iifname != BRIDGE drop      (nothing starts a connection
 *                                                   into a container: ports are
 *                                                   the relay's, not DNAT)
 *       iifname BRIDGE oifname OTHER drop          (per other network: they stay
 *                                                   apart; OTHER's own forwarding
 *                                                   is off, so this is one-way)
 *
 * "add table; delete table; add table ..." in one transaction is atomic and
 * works whether or not the table exists. Both chains have policy accept:
 * what is not ours is left to the host's own firewall. */
static int
build(json_t *a, const char *table, const struct net_nat_network *nets, size_t n)
{
        bool any = false;
        int r = 0;

        for (size_t i = 0; i < n; i++)
                any |= nets[i].masquerade;
        r |= push(a, cmd("add", "table", table_obj(table)));
        r |= push(a, cmd("delete", "table", table_obj(table)));
        if (!any)
                return r;
        r |= push(a, cmd("add", "table", table_obj(table)));
        r |= push(a, cmd("add", "chain",
                         json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:s}", "family", "ip", "table", table, "name",
                                   "postrouting", "type", "nat", "hook", "postrouting", "prio", 100, "policy",
                                   "accept")));
        r |= push(a, cmd("add", "chain",
                         json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:s}", "family", "ip", "table", table, "name",
                                   "forward", "type", "filter", "hook", "forward", "prio", 0, "policy",
                                   "accept")));
        for (size_t i = 0; i < n && r == 0; i++) {
                const struct net_nat_network *x = &nets[i];
                char addr[NET_ADDR_STRLEN];

                if (!x->masquerade)
                        continue;
                net_addr_format(x->subnet.addr, addr);
                r |= push(a, rule(table, "postrouting",
                                  json_pack("[{s:{s:s,s:{s:{s:s,s:s}},s:{s:{s:s,s:i}}}},o,{s:n}]", "match", "op",
                                            "==", "left", "payload", "protocol", "ip", "field", "saddr",
                                            "right", "prefix", "addr", addr, "len", (int) x->subnet.prefix,
                                            match_meta("oifname", "!=", x->bridge), "masquerade")));
                r |= push(a, rule(table, "forward",
                                  json_pack("[o,o,{s:{s:s,s:{s:{s:s}},s:[s,s]}},{s:n}]",
                                            match_meta("oifname", "==", x->bridge),
                                            match_meta("iifname", "!=", x->bridge), "match", "op", "in", "left",
                                            "ct", "key", "state", "right", "established", "related", "accept")));
                r |= push(a, rule(table, "forward",
                                  json_pack("[o,o,{s:n}]", match_meta("oifname", "==", x->bridge),
                                            match_meta("iifname", "!=", x->bridge), "drop")));
                for (size_t k = 0; k < n; k++)
                        if (k != i && strcmp(nets[k].bridge, x->bridge) != 0)
                                r |= push(a, rule(table, "forward",
                                                  json_pack("[o,o,{s:n}]", match_meta("iifname", "==", x->bridge),
                                                            match_meta("oifname", "==", nets[k].bridge),
                                                            "drop")));
        }
        return r;
}

/* Runs one JSON batch. libnftables reports in text only: its message
 * becomes *err; the errno is a guess from it (EPERM and ENOENT matter to
 * callers, the rest is EIO). */
static int
run_batch(json_t *cmds, const char *what, struct ctr_error **err)
{
        _cleanup_free_ char *text = NULL;
        struct nft_ctx *ctx;
        json_t *doc = json_pack("{s:o}", "nftables", cmds);
        const char *msg;
        size_t len;
        int r;

        if (doc)
                text = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        if (!text)
                return ctr_error_sys(err, ENOMEM, "nftables: %s", what);
        ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        if (!ctx)
                return ctr_error_sys(err, ENOMEM, "nftables: %s", what);
        /* JSON output also makes 1.0.x read the input as JSON. */
        nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
        if (nft_ctx_buffer_output(ctx) < 0 || nft_ctx_buffer_error(ctx) < 0) {
                nft_ctx_free(ctx);
                return ctr_error_sys(err, ENOMEM, "nftables: %s", what);
        }
        if (nft_run_cmd_from_buffer(ctx, text) == 0) {
                nft_ctx_free(ctx);
                return 0;
        }
        msg = nft_ctx_get_error_buffer(ctx);
        msg = msg ? msg : "";
        len = strlen(msg);
        while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
                len--;
        r = strstr(msg, "Operation not permitted") ? -EPERM
            : strstr(msg, "No such file or directory") ? -ENOENT
            : -EIO;
        r = ctr_error_msg(err, -r, "nftables: %s: %.*s", what, (int) (len > 400 ? 400 : len),
                          len ? msg : "failed");
        nft_ctx_free(ctx);
        return r;
}

int
net_nat_apply(const char *table, const struct net_nat_network *nets, size_t n, struct ctr_error **err)
{
        json_t *a;

        if (!net_nat_name_is_valid(table))
                return ctr_error_msg(err, EINVAL, "invalid nftables table name `%s`", table ? table : "");
        for (size_t i = 0; i < n; i++)
                if (nets[i].masquerade && !net_nat_name_is_valid(nets[i].bridge))
                        return ctr_error_msg(err, EINVAL,
                                             "bridge `%s`: masquerade needs a name of letters, digits, "
                                             "'_', '.' and '-'",
                                             nets[i].bridge);
        a = json_array();
        if (!a || build(a, table, nets, n) < 0) {
                json_decref(a);
                return ctr_error_sys(err, ENOMEM, "nftables table `%s`", table);
        }
        return run_batch(a, table, err);
}

int
net_nat_table_exists(const char *table, struct ctr_error **err)
{
        _cleanup_error_ struct ctr_error *e = NULL;
        json_t *a = json_array();
        int r;

        if (!a || push(a, cmd("list", "table", table_obj(table))) < 0) {
                json_decref(a);
                return ctr_error_sys(err, ENOMEM, "nftables table `%s`", table);
        }
        r = run_batch(a, table, &e);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                if (err && !*err)
                        *err = TAKE_PTR(e);
                return r;
        }
        return 1;
}

int
net_ipv4_forward_enable(bool *ret_changed, struct ctr_error **err)
{
        static const char path[] = "/proc/sys/net/ipv4/ip_forward";
        _cleanup_free_ char *text = NULL;
        int r;

        *ret_changed = false;
        r = read_file_full(path, 64, &text, NULL, err);
        if (r < 0)
                return r;
        if (text[0] == '1')
                return 0;
        /* Only a 0 -> 1 change is written: the kernel then turns on
         * forwarding of every interface in this namespace (the caller
         * turns its own isolated bridges off again). */
        r = write_file_string(path, "1", err);
        if (r < 0)
                return r;
        *ret_changed = true;
        return 0;
}
