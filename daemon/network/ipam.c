/* IPAM: which address of a network's subnet belongs to which owner, kept
 * in memory as an array sorted by address and persisted as one JSON file
 * per network, written atomically before any change is reported. Pure
 * apart from that file; safe to share between threads.
 *
 * The file is what a restarted daemon (a crash, an upgrade) must know so
 * that no address is handed out twice while containers still run: the
 * page cache keeps it across a crash of the daemon. It is not fsynced: a
 * power loss stops every container too, so what a lost write forgets (or
 * an empty file, read as no leases) is only addresses nobody uses; a
 * stopped container then gets a new one at its next start. An fsync pair
 * cost 5-9 ms here, on the start path of every container on a bridge.
 *
 * Writes are group-committed, so concurrent callers do not queue one write
 * each: every change bumps a generation under `lock`; a caller then takes
 * `write_lock` and, unless a write that already covered its generation
 * succeeded meanwhile, writes a snapshot of everything, covering the
 * changes of every caller that queued behind it. */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/fs-util.h"
#include "daemon/network/network.h"

#define IPAM_VERSION 1
#define IPAM_FILE_MAX (64u << 20)

struct net_ipam {
        pthread_mutex_t lock;       /* the fields below */
        pthread_mutex_t write_lock; /* the state file and saved_gen */
        uint64_t gen, saved_gen;    /* changes made / known to be on disk */
        char *name;
        char *path; /* NULL: memory only */
        struct net_subnet subnet;
        uint32_t next; /* round-robin cursor: first candidate of the next lease */
        struct net_lease *leases; /* sorted by addr */
        size_t n, cap;
};

static bool
owner_is_valid(const char *owner)
{
        size_t n = owner ? strlen(owner) : 0;

        if (n == 0 || n >= sizeof(((struct net_lease *) NULL)->owner))
                return false;
        for (const char *p = owner; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '_' || *p == '.' || *p == '-'))
                        return false;
        return true;
}

static uint32_t
first_host(const struct net_ipam *ipam)
{
        return net_subnet_gateway(&ipam->subnet) + 1;
}

static uint32_t
last_host(const struct net_ipam *ipam)
{
        return net_subnet_broadcast(&ipam->subnet) - 1;
}

/* What reserves addr, or NULL if it is leasable. */
static const char *
reserved_for(const struct net_ipam *ipam, uint32_t addr)
{
        if (addr == ipam->subnet.addr)
                return "the network address";
        if (addr == net_subnet_gateway(&ipam->subnet))
                return "the gateway";
        if (addr == net_subnet_broadcast(&ipam->subnet))
                return "the broadcast address";
        return NULL;
}

/* Index of the first lease with address >= addr. */
static size_t
lower_bound(const struct net_ipam *ipam, uint32_t addr)
{
        size_t lo = 0, hi = ipam->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (ipam->leases[mid].addr < addr)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static struct net_lease *
find_owner(const struct net_ipam *ipam, const char *owner)
{
        for (size_t i = 0; i < ipam->n; i++)
                if (strcmp(ipam->leases[i].owner, owner) == 0)
                        return &ipam->leases[i];
        return NULL;
}

static struct net_lease *
find_addr(const struct net_ipam *ipam, uint32_t addr)
{
        size_t i = lower_bound(ipam, addr);

        return i < ipam->n && ipam->leases[i].addr == addr ? &ipam->leases[i] : NULL;
}

/* First free address in [from, to], or 0. */
static uint32_t
first_free(const struct net_ipam *ipam, uint32_t from, uint32_t to)
{
        size_t i = lower_bound(ipam, from);

        for (uint32_t a = from; a <= to && a >= from; a++, i++)
                if (i >= ipam->n || ipam->leases[i].addr != a)
                        return a;
        return 0;
}

static int
insert_lease(struct net_ipam *ipam, const char *owner, uint32_t addr)
{
        size_t i = lower_bound(ipam, addr);

        if (ipam->n == ipam->cap) {
                size_t cap = ipam->cap ? ipam->cap * 2 : 16;
                struct net_lease *l = realloc(ipam->leases, cap * sizeof(*l));

                if (!l)
                        return -ENOMEM;
                ipam->leases = l;
                ipam->cap = cap;
        }
        memmove(&ipam->leases[i + 1], &ipam->leases[i], (ipam->n - i) * sizeof(*ipam->leases));
        snprintf(ipam->leases[i].owner, sizeof(ipam->leases[i].owner), "%s", owner);
        ipam->leases[i].addr = addr;
        ipam->n++;
        return 0;
}

static void
remove_lease(struct net_ipam *ipam, struct net_lease *l)
{
        size_t i = (size_t) (l - ipam->leases);

        memmove(&ipam->leases[i], &ipam->leases[i + 1], (ipam->n - i - 1) * sizeof(*ipam->leases));
        ipam->n--;
}

/* The state as JSON text; called locked. */
static char *
encode_locked(const struct net_ipam *ipam)
{
        char a[NET_ADDR_STRLEN], s[NET_SUBNET_STRLEN];
        json_t *root, *leases;
        char *text;

        leases = json_object();
        root = json_pack("{s:i, s:s, s:s, s:s, s:o}", "version", IPAM_VERSION, "network", ipam->name,
                         "subnet", net_subnet_format(&ipam->subnet, s), "next",
                         net_addr_format(ipam->next, a), "leases", leases);
        if (!root)
                return NULL;
        for (size_t i = 0; i < ipam->n; i++)
                if (json_object_set_new(leases, ipam->leases[i].owner,
                                        json_string(net_addr_format(ipam->leases[i].addr, a))) < 0) {
                        json_decref(root);
                        return NULL;
                }
        text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(root);
        return text;
}

/* Makes sure generation gen is on disk. Called unlocked. */
static int
persist_upto(struct net_ipam *ipam, uint64_t gen, struct ctr_error **err)
{
        char *text;
        uint64_t snap_gen;
        int r = 0;

        if (!ipam->path)
                return 0;
        pthread_mutex_lock(&ipam->write_lock);
        if (ipam->saved_gen >= gen)
                goto out; /* someone else's write covered our change */
        pthread_mutex_lock(&ipam->lock);
        text = encode_locked(ipam);
        snap_gen = ipam->gen;
        pthread_mutex_unlock(&ipam->lock);
        if (!text) {
                r = ctr_error_sys(err, ENOMEM, "network `%s`: encode IPAM state", ipam->name);
                goto out;
        }
        r = write_file_replace(ipam->path, text, strlen(text), 0600, false, err);
        free(text);
        if (r < 0) {
                r = ctr_error_prefix(err, -r, "network `%s`: save IPAM state", ipam->name);
                goto out;
        }
        ipam->saved_gen = snap_gen;
out:
        pthread_mutex_unlock(&ipam->write_lock);
        return r;
}

static int
corrupt(const struct net_ipam *ipam, struct ctr_error **err, const char *fmt, ...) _printf_(3, 4);

static int
corrupt(const struct net_ipam *ipam, struct ctr_error **err, const char *fmt, ...)
{
        char what[256];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        return ctr_error_msg(err, EBADMSG, "network `%s`: IPAM state `%s` is corrupt: %s", ipam->name,
                             ipam->path, what);
}

static int
load_leases(struct net_ipam *ipam, json_t *leases, struct ctr_error **err)
{
        const char *owner;
        json_t *v;

        if (!json_is_object(leases))
                return corrupt(ipam, err, "\"leases\" is not an object");
        json_object_foreach(leases, owner, v) {
                const char *why;
                uint32_t addr;
                struct net_lease *dup;

                if (!owner_is_valid(owner))
                        return corrupt(ipam, err, "invalid owner `%.80s`", owner);
                if (!json_is_string(v) || net_addr_parse(json_string_value(v), &addr) < 0)
                        return corrupt(ipam, err, "lease of `%s` is not an IPv4 address", owner);
                if (!net_subnet_contains(&ipam->subnet, addr))
                        return corrupt(ipam, err, "lease of `%s`: %s is outside the subnet", owner,
                                       json_string_value(v));
                why = reserved_for(ipam, addr);
                if (why)
                        return corrupt(ipam, err, "lease of `%s`: %s is %s", owner, json_string_value(v), why);
                dup = find_addr(ipam, addr);
                if (dup)
                        return corrupt(ipam, err, "%s is leased to both `%s` and `%s`", json_string_value(v),
                                       dup->owner, owner);
                if (insert_lease(ipam, owner, addr) < 0)
                        return ctr_error_sys(err, ENOMEM, "network `%s`: load IPAM state", ipam->name);
        }
        return 0;
}

static int
load(struct net_ipam *ipam, struct ctr_error **err)
{
        _cleanup_free_ char *text = NULL;
        char want[NET_SUBNET_STRLEN];
        json_t *root, *version, *subnet, *next, *network;
        json_error_t jerr;
        struct net_subnet s;
        size_t len = 0;
        int r;

        r = read_file_full(ipam->path, IPAM_FILE_MAX, &text, &len, NULL);
        if (r == -ENOENT || (r >= 0 && len == 0))
                return 0; /* new, or a write lost to a power loss (see above) */
        if (r < 0)
                return ctr_error_sys(err, -r, "network `%s`: read IPAM state `%s`", ipam->name, ipam->path);
        root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return corrupt(ipam, err, "%s (line %d)", jerr.text, jerr.line);
        version = json_object_get(root, "version");
        network = json_object_get(root, "network");
        subnet = json_object_get(root, "subnet");
        next = json_object_get(root, "next");
        if (!json_is_object(root) || !json_is_integer(version) || !json_is_string(network) ||
            !json_is_string(subnet) || !json_is_string(next))
                r = corrupt(ipam, err, "missing or mistyped version, network, subnet or next");
        else if (json_integer_value(version) != IPAM_VERSION)
                r = corrupt(ipam, err, "unknown version %lld", (long long) json_integer_value(version));
        else if (net_subnet_parse(json_string_value(subnet), &s, NULL) < 0)
                r = corrupt(ipam, err, "invalid subnet `%.40s`", json_string_value(subnet));
        else if (s.addr != ipam->subnet.addr || s.prefix != ipam->subnet.prefix)
                r = ctr_error_msg(err, EINVAL, "network `%s`: IPAM state `%s` is for subnet %s, not %s",
                                  ipam->name, ipam->path, json_string_value(subnet),
                                  net_subnet_format(&ipam->subnet, want));
        else if (net_addr_parse(json_string_value(next), &ipam->next) < 0 ||
                 !net_subnet_contains(&ipam->subnet, ipam->next))
                r = corrupt(ipam, err, "\"next\" is not an address of the subnet");
        else
                r = load_leases(ipam, json_object_get(root, "leases"), err);
        json_decref(root);
        return r;
}

int
net_ipam_open(const char *name, const struct net_subnet *subnet, const char *path, struct net_ipam **ret,
              struct ctr_error **err)
{
        _cleanup_(net_ipam_freep) struct net_ipam *ipam = NULL;
        char s[NET_SUBNET_STRLEN];
        int r;

        if (subnet->prefix < 8 || subnet->prefix > 30 ||
            (subnet->addr & net_subnet_mask(subnet)) != subnet->addr)
                return ctr_error_msg(err, EINVAL, "network `%s`: invalid subnet %s", name,
                                     net_subnet_format(subnet, s));
        ipam = calloc(1, sizeof(*ipam));
        if (!ipam)
                return ctr_error_sys(err, ENOMEM, "network `%s`: allocate IPAM", name);
        /* Default mutexes need no destroy on Linux; init cannot fail. */
        pthread_mutex_init(&ipam->lock, NULL);
        pthread_mutex_init(&ipam->write_lock, NULL);
        ipam->subnet = *subnet;
        ipam->next = first_host(ipam);
        ipam->name = strdup(name);
        ipam->path = path ? strdup(path) : NULL;
        if (!ipam->name || (path && !ipam->path))
                return ctr_error_sys(err, ENOMEM, "network `%s`: allocate IPAM", name);
        if (ipam->path) {
                r = load(ipam, err);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(ipam);
        return 0;
}

void
net_ipam_free(struct net_ipam *ipam)
{
        if (!ipam)
                return;
        pthread_mutex_destroy(&ipam->lock);
        pthread_mutex_destroy(&ipam->write_lock);
        free(ipam->name);
        free(ipam->path);
        free(ipam->leases);
        free(ipam);
}

const struct net_subnet *
net_ipam_subnet(const struct net_ipam *ipam)
{
        return &ipam->subnet; /* immutable after open: no lock */
}

const char *
net_ipam_name(const struct net_ipam *ipam)
{
        return ipam->name;
}

static int
invalid_owner(const struct net_ipam *ipam, const char *owner, struct ctr_error **err)
{
        return ctr_error_msg(err, EINVAL, "network `%s`: invalid lease owner `%.80s`", ipam->name,
                             owner ? owner : "");
}

/* Adds the lease and moves the cursor past it. Called locked. */
static int
add_lease_locked(struct net_ipam *ipam, const char *owner, uint32_t addr, struct ctr_error **err)
{
        if (insert_lease(ipam, owner, addr) < 0)
                return ctr_error_sys(err, ENOMEM, "network `%s`: lease an address", ipam->name);
        ipam->next = addr >= last_host(ipam) ? first_host(ipam) : addr + 1;
        ipam->gen++;
        return 0;
}

/* Undoes owner's lease of addr after a failed write, if it is still there.
 * (A write by another thread may already have put it in the file; the
 * next write takes it out again, and crash reconciliation would too.) */
static void
undo_lease(struct net_ipam *ipam, const char *owner, uint32_t addr)
{
        struct net_lease *l;

        pthread_mutex_lock(&ipam->lock);
        l = find_owner(ipam, owner);
        if (l && l->addr == addr) {
                remove_lease(ipam, l);
                ipam->gen++;
        }
        pthread_mutex_unlock(&ipam->lock);
}

static int
lease_locked(struct net_ipam *ipam, const char *owner, uint32_t *ret_addr, bool *ret_new,
             struct ctr_error **err)
{
        char s[NET_SUBNET_STRLEN];
        struct net_lease *l;
        uint32_t from, a;
        int r;

        l = find_owner(ipam, owner);
        if (l) {
                *ret_addr = l->addr;
                *ret_new = false;
                return 0;
        }
        from = ipam->next;
        if (from < first_host(ipam) || from > last_host(ipam))
                from = first_host(ipam);
        a = first_free(ipam, from, last_host(ipam));
        if (a == 0 && from > first_host(ipam))
                a = first_free(ipam, first_host(ipam), from - 1);
        if (a == 0)
                return ctr_error_msg(err, ENOSPC, "network `%s` has no free address in %s", ipam->name,
                                     net_subnet_format(&ipam->subnet, s));
        r = add_lease_locked(ipam, owner, a, err);
        if (r < 0)
                return r;
        *ret_addr = a;
        *ret_new = true;
        return 0;
}

int
net_ipam_lease(struct net_ipam *ipam, const char *owner, uint32_t *ret_addr, struct ctr_error **err)
{
        uint32_t addr = 0;
        uint64_t gen;
        bool is_new = false;
        int r;

        if (!owner_is_valid(owner))
                return invalid_owner(ipam, owner, err);
        pthread_mutex_lock(&ipam->lock);
        r = lease_locked(ipam, owner, &addr, &is_new, err);
        gen = ipam->gen;
        pthread_mutex_unlock(&ipam->lock);
        if (r < 0)
                return r;
        /* Also for an existing lease: it may still be on its way to disk. */
        r = persist_upto(ipam, gen, err);
        if (r < 0) {
                if (is_new)
                        undo_lease(ipam, owner, addr);
                return r;
        }
        *ret_addr = addr;
        return 0;
}

static int
lease_addr_locked(struct net_ipam *ipam, const char *owner, uint32_t addr, bool *ret_new,
                  struct ctr_error **err)
{
        char a[NET_ADDR_STRLEN], b[NET_ADDR_STRLEN], s[NET_SUBNET_STRLEN];
        struct net_lease *l;
        const char *why;

        *ret_new = false;
        if (!net_subnet_contains(&ipam->subnet, addr))
                return ctr_error_msg(err, EINVAL, "network `%s`: %s is not in %s", ipam->name,
                                     net_addr_format(addr, a), net_subnet_format(&ipam->subnet, s));
        why = reserved_for(ipam, addr);
        if (why)
                return ctr_error_msg(err, EINVAL, "network `%s`: %s is %s", ipam->name,
                                     net_addr_format(addr, a), why);
        l = find_owner(ipam, owner);
        if (l && l->addr == addr)
                return 0;
        if (l)
                return ctr_error_msg(err, EEXIST, "network `%s`: `%s` already has address %s, not %s",
                                     ipam->name, owner, net_addr_format(l->addr, a), net_addr_format(addr, b));
        l = find_addr(ipam, addr);
        if (l)
                return ctr_error_msg(err, EEXIST, "network `%s`: %s is already leased to `%s`", ipam->name,
                                     net_addr_format(addr, a), l->owner);
        *ret_new = true;
        return add_lease_locked(ipam, owner, addr, err);
}

int
net_ipam_lease_addr(struct net_ipam *ipam, const char *owner, uint32_t addr, struct ctr_error **err)
{
        uint64_t gen;
        bool is_new = false;
        int r;

        if (!owner_is_valid(owner))
                return invalid_owner(ipam, owner, err);
        pthread_mutex_lock(&ipam->lock);
        r = lease_addr_locked(ipam, owner, addr, &is_new, err);
        gen = ipam->gen;
        pthread_mutex_unlock(&ipam->lock);
        if (r < 0)
                return r;
        r = persist_upto(ipam, gen, err);
        if (r < 0 && is_new)
                undo_lease(ipam, owner, addr);
        return r;
}

/* Puts released leases back after a failed write, where their address is
 * still free (conservative: the file still has them). */
static void
undo_release(struct net_ipam *ipam, const struct net_lease *released, size_t n)
{
        pthread_mutex_lock(&ipam->lock);
        for (size_t i = 0; i < n; i++)
                if (!find_owner(ipam, released[i].owner) && !find_addr(ipam, released[i].addr) &&
                    insert_lease(ipam, released[i].owner, released[i].addr) >= 0)
                        ipam->gen++;
        pthread_mutex_unlock(&ipam->lock);
}

int
net_ipam_release(struct net_ipam *ipam, const char *owner, struct ctr_error **err)
{
        struct net_lease *l, saved;
        bool found = false;
        uint64_t gen;
        int r;

        if (!owner_is_valid(owner))
                return invalid_owner(ipam, owner, err);
        pthread_mutex_lock(&ipam->lock);
        l = find_owner(ipam, owner);
        if (l) {
                saved = *l;
                remove_lease(ipam, l);
                ipam->gen++;
                found = true;
        }
        gen = ipam->gen;
        pthread_mutex_unlock(&ipam->lock);
        r = persist_upto(ipam, gen, err);
        if (r < 0) {
                if (found)
                        undo_release(ipam, &saved, 1);
                return r;
        }
        return found ? 1 : 0;
}

int
net_ipam_release_unless(struct net_ipam *ipam, bool (*keep)(const char *owner, void *userdata), void *userdata,
                        struct ctr_error **err)
{
        _cleanup_free_ struct net_lease *released = NULL;
        size_t n_released = 0, kept = 0;
        uint64_t gen;
        int r;

        pthread_mutex_lock(&ipam->lock);
        if (ipam->n > 0)
                released = malloc(ipam->n * sizeof(*released));
        if (ipam->n > 0 && !released) {
                pthread_mutex_unlock(&ipam->lock);
                return ctr_error_sys(err, ENOMEM, "network `%s`: release leases", ipam->name);
        }
        for (size_t i = 0; i < ipam->n; i++) {
                if (keep(ipam->leases[i].owner, userdata))
                        ipam->leases[kept++] = ipam->leases[i];
                else
                        released[n_released++] = ipam->leases[i];
        }
        ipam->n = kept;
        if (n_released > 0)
                ipam->gen++;
        gen = ipam->gen;
        pthread_mutex_unlock(&ipam->lock);
        r = persist_upto(ipam, gen, err);
        if (r < 0) {
                undo_release(ipam, released, n_released);
                return r;
        }
        return (int) n_released;
}

int
net_ipam_get(struct net_ipam *ipam, const char *owner, uint32_t *ret_addr)
{
        struct net_lease *l;
        int r = -ENOENT;

        if (!owner_is_valid(owner))
                return -ENOENT;
        pthread_mutex_lock(&ipam->lock);
        l = find_owner(ipam, owner);
        if (l) {
                *ret_addr = l->addr;
                r = 0;
        }
        pthread_mutex_unlock(&ipam->lock);
        return r;
}

size_t
net_ipam_count(struct net_ipam *ipam)
{
        size_t n;

        pthread_mutex_lock(&ipam->lock);
        n = ipam->n;
        pthread_mutex_unlock(&ipam->lock);
        return n;
}

int
net_ipam_leases(struct net_ipam *ipam, struct net_lease **ret, size_t *ret_n)
{
        struct net_lease *copy = NULL;
        size_t n;

        pthread_mutex_lock(&ipam->lock);
        n = ipam->n;
        if (n > 0) {
                copy = malloc(n * sizeof(*copy));
                if (copy)
                        memcpy(copy, ipam->leases, n * sizeof(*copy));
        }
        pthread_mutex_unlock(&ipam->lock);
        if (n > 0 && !copy)
                return -ENOMEM;
        *ret = copy;
        *ret_n = n;
        return 0;
}
