/* Who the container init (or an exec) becomes: capability bounding set,
 * groups, gid, uid (ctx->proc), then the effective/permitted/inheritable/
 * ambient sets from process.capabilities (libcap). Without
 * process.capabilities nothing is dropped: root keeps every capability.
 * Runs in the child only. */
#include "daemon/runtime/child.h"

#include <errno.h>
#include <grp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

static bool
has_cap(const struct runtime_spec *s, int set, int cap)
{
        return (s->caps[set] >> cap) & 1;
}

/* Why before the uid switch: dropping from the bounding set needs
 * CAP_SETPCAP, which a non-root target user no longer has afterwards. */
int
child_drop_bounding_set(struct child_ctx *ctx, struct ctr_error **err)
{
        int last = (int) cap_max_bits() - 1;

        if (!ctx->spec->has_capabilities)
                return 0;
        for (int cap = 0; cap <= last && cap < 64; cap++) {
                if (has_cap(ctx->spec, RUNTIME_CAP_BOUNDING, cap))
                        continue;
                if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
                        return ctr_error_sys(err, errno, "drop capability %d from the bounding set", cap);
        }
        return 0;
}

/* Why here: after everything that needs root (mounts, hostname, rlimits)
 * and before the capability sets are narrowed. PR_SET_KEEPCAPS keeps the
 * permitted set across setresuid() so the next step can pick from it. */
int
child_switch_user(struct child_ctx *ctx, struct ctr_error **err)
{
        const struct child_process *p = &ctx->proc;

        if (ctx->spec->has_capabilities && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return ctr_error_sys(err, errno, "set keep-caps");
        /* Always set the groups, also to none: the process must not
         * inherit the monitor's supplementary groups. */
        if (setgroups(p->n_groups, p->groups) < 0)
                return ctr_error_sys(err, errno, "setgroups for %zu additional gids", p->n_groups);
        if (setresgid(p->gid, p->gid, p->gid) < 0)
                return ctr_error_sys(err, errno, "setgid %u", (unsigned) p->gid);
        if (setresuid(p->uid, p->uid, p->uid) < 0)
                return ctr_error_sys(err, errno, "setuid %u", (unsigned) p->uid);
        return 0;
}

/* Why after the uid switch: setresuid() away from 0 clears the effective
 * set; we set exactly the spec's sets last (capabilities(7)). */
int
child_set_capabilities(struct child_ctx *ctx, struct ctr_error **err)
{
        const struct runtime_spec *s = ctx->spec;
        int last = (int) cap_max_bits() - 1;
        cap_t caps;
        int r = 0;

        if (!s->has_capabilities)
                return 0;
        caps = cap_init();
        if (!caps)
                return ctr_error_sys(err, errno, "allocate a capability set");
        for (cap_value_t cap = 0; cap <= last && cap < 64; cap++) {
                static const struct {
                        int set;
                        cap_flag_t flag;
                } sets[] = {
                        { RUNTIME_CAP_EFFECTIVE, CAP_EFFECTIVE },
                        { RUNTIME_CAP_PERMITTED, CAP_PERMITTED },
                        { RUNTIME_CAP_INHERITABLE, CAP_INHERITABLE },
                };
                for (size_t i = 0; i < ARRAY_SIZE(sets); i++)
                        if (has_cap(s, sets[i].set, cap) && cap_set_flag(caps, sets[i].flag, 1, &cap, CAP_SET) < 0)
                                r = -errno;
        }
        if (r < 0) {
                cap_free(caps);
                return ctr_error_sys(err, -r, "build the capability set");
        }
        if (cap_set_proc(caps) < 0) {
                r = -errno;
                cap_free(caps);
                return ctr_error_sys(err, -r, "set capabilities (effective must be within permitted)");
        }
        cap_free(caps);
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
                return ctr_error_sys(err, errno, "clear the ambient capabilities");
        for (int cap = 0; cap <= last && cap < 64; cap++)
                if (has_cap(s, RUNTIME_CAP_AMBIENT, cap) &&
                    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
                        return ctr_error_sys(err, errno, "raise ambient capability %d (it must be permitted and inheritable)", cap);
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return ctr_error_sys(err, errno, "clear keep-caps");
        return 0;
}
