/* Resource limits, accounting, freezing and OOM watching of one container
 * cgroup, on every layout (unified v2, hybrid, legacy v1). Each controller
 * is looked up where the host provides it: a v1 hierarchy carrying it, else
 * the unified hierarchy if the cgroup's own cgroup.controllers lists it
 * (i.e. its parent enabled it). Paths are absolute from each hierarchy's
 * root, as in cgroup.h. Plain file I/O, no libevent: callable from the
 * monitor, a worker thread or the loop (stats reads are cheap; writes of
 * memory limits may reclaim, so the daemon calls cgroup_limits_apply() and
 * cgroup_freeze() from a worker).
 *
 * Controllers on cgroup2 (the subtree_control rule): cgroup_create(path)
 * enables cpu, cpuset, io, memory and pids (those offered) in the
 * cgroup.subtree_control of path's parent — the configured cgroup parent —
 * and of every level it creates itself on the way down. It never writes the
 * hierarchy root's subtree_control nor that of a pre-existing level above
 * the parent: that is the host's business (systemd with Delegate=yes, see
 * cgroup_delegate_setup(); the test VM's init enables them at the root).
 * cgroup2 then forbids processes in the parent itself ("no internal
 * processes"): only containers' cgroups below it hold processes. A
 * controller that cannot be enabled is not an error at create; a limit that
 * needs it fails with -EOPNOTSUPP naming it. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/error.h"
#include "common/macros.h"

/* A limit not given: nothing is written for it. */
#define CGROUP_UNSET (-1)
/* No limit: "max" on v2, -1 on v1. */
#define CGROUP_UNLIMITED INT64_MAX

/* What the user asks for, in Docker's units. Every int64_t field is
 * CGROUP_UNSET, CGROUP_UNLIMITED or a value; strings are NULL when unset. */
struct cgroup_limits {
        int64_t memory_max;         /* bytes: v2 memory.max, v1 memory.limit_in_bytes */
        int64_t memory_swap;        /* bytes of memory + swap (Docker's --memory-swap):
                                     * v2 memory.swap.max = memory_swap - memory_max,
                                     * v1 memory.memsw.limit_in_bytes */
        int64_t memory_low;         /* bytes (--memory-reservation): v2 memory.low,
                                     * v1 memory.soft_limit_in_bytes */
        int64_t cpu_quota_us;       /* per period (--cpus N = N * period): v2 cpu.max,
                                     * v1 cpu.cfs_quota_us */
        int64_t cpu_period_us;      /* default 100000 when a quota is set: v2 cpu.max,
                                     * v1 cpu.cfs_period_us */
        int64_t cpu_shares;         /* 2..262144, Docker's --cpu-shares: v1 cpu.shares,
                                     * v2 cpu.weight = 1 + (shares - 2) * 9999 / 262142 */
        int64_t pids_max;           /* pids.max */
        int64_t io_weight;          /* 10..1000, Docker's --blkio-weight: v2 io.weight
                                     * (or io.bfq.weight), v1 blkio.weight (or
                                     * blkio.bfq.weight) */
        char *cpuset_cpus;          /* "0-1,3": cpuset.cpus */
        char *cpuset_mems;          /* cpuset.mems */
};
/* Every field unset. Inline so that code which only carries limits (the
 * runtime spec parser and its unit test) needs no libcgroup.a. */
static inline void
cgroup_limits_init(struct cgroup_limits *l)
{
        *l = (struct cgroup_limits){
                .memory_max = CGROUP_UNSET, .memory_swap = CGROUP_UNSET, .memory_low = CGROUP_UNSET,
                .cpu_quota_us = CGROUP_UNSET, .cpu_period_us = CGROUP_UNSET,
                .cpu_shares = CGROUP_UNSET, .pids_max = CGROUP_UNSET, .io_weight = CGROUP_UNSET,
        };
}
/* Frees the strings, then init. NULL-safe. */
static inline void
cgroup_limits_clear(struct cgroup_limits *l)
{
        if (!l)
                return;
        free(l->cpuset_cpus);
        free(l->cpuset_mems);
        cgroup_limits_init(l);
}
/* True if no field is set. */
static inline bool
cgroup_limits_empty(const struct cgroup_limits *l)
{
        return l->memory_max == CGROUP_UNSET && l->memory_swap == CGROUP_UNSET &&
               l->memory_low == CGROUP_UNSET && l->cpu_quota_us == CGROUP_UNSET &&
               l->cpu_period_us == CGROUP_UNSET && l->cpu_shares == CGROUP_UNSET &&
               l->pids_max == CGROUP_UNSET && l->io_weight == CGROUP_UNSET && !l->cpuset_cpus &&
               !l->cpuset_mems;
}
/* Checks values a kernel would refuse or that make no sense, before any
 * write, naming the flag-like field: "memory: 4096 is below the minimum
 * of 6 MiB", "cpuset-cpus: CPU 7 does not exist (this host has 0-1)",
 * "memory-swap must be at least memory". Reads the host's online CPUs and
 * NUMA nodes from sysfs. -EINVAL with *err. */
int cgroup_limits_validate(const struct cgroup_limits *l, struct ctr_error **err);

/* Writes the set fields to path's controllers. All or nothing: if the
 * kernel refuses a value, the fields already written get their old values
 * back and the error names the file and the value ("write 100 to
 * pids.max: ..."). A controller the host lacks for a set field is -EOPNOTSUPP
 * naming it ("swap limit: memory.memsw.limit_in_bytes is missing (boot
 * with swapaccount=1)"). Order-sensitive pairs (v1 memory vs memsw, cpu
 * quota vs period) are written in the order that the kernel accepts. */
int cgroup_limits_apply(const char *path, const struct cgroup_limits *l, struct ctr_error **err);

/* The limits in force, read back from the cgroup files (for inspect). Fields
 * the host has no file for stay CGROUP_UNSET. */
int cgroup_limits_read(const char *path, struct cgroup_limits *ret, struct ctr_error **err);

/* One sample. Counters the host does not provide are UINT64_MAX
 * (CGROUP_STAT_NONE); the JSON view leaves them out. */
#define CGROUP_STAT_NONE UINT64_MAX
struct cgroup_stats {
        uint64_t cpu_usage_ns, cpu_user_ns, cpu_system_ns;
        uint64_t memory_current, memory_peak, memory_limit; /* limit: NONE if unlimited */
        uint64_t memory_anon, memory_file, memory_shmem, memory_kernel;
        uint64_t swap_current;
        uint64_t pids_current, pids_limit;                  /* limit: NONE if unlimited */
        uint64_t io_read_bytes, io_write_bytes, io_read_ops, io_write_ops;
        uint64_t oom_kills;
};

/* Holds the stat files of one cgroup open and re-reads them with pread at
 * offset 0, so a 1 s stream for 100 containers costs no open/close. */
struct cgroup_stats_reader;
int cgroup_stats_reader_open(const char *path, struct cgroup_stats_reader **ret,
                             struct ctr_error **err);
int cgroup_stats_reader_read(struct cgroup_stats_reader *r, struct cgroup_stats *ret,
                             struct ctr_error **err);
void cgroup_stats_reader_free(struct cgroup_stats_reader *r);
DEFINE_FREEP(struct cgroup_stats_reader, cgroup_stats_reader_free)
/* Open, read once, free. */
int cgroup_stats_read(const char *path, struct cgroup_stats *ret, struct ctr_error **err);

/* Freezes (or thaws) every process in path: v2 cgroup.freeze, v1 freezer.state.
 * Returns once the kernel reports the state reached (cgroup.events
 * "frozen 1" / freezer.state FROZEN), polling for at most 2 s, else
 * -ETIMEDOUT (and a freeze is undone). -EOPNOTSUPP without a freezer. */
int cgroup_freeze(const char *path, bool frozen, struct ctr_error **err);
/* True if path is frozen (or freezing). */
int cgroup_is_frozen(const char *path, bool *ret, struct ctr_error **err);

/* The number of OOM kills in path so far (v2 memory.events oom_kill, v1
 * memory.oom_control oom_kill). */
int cgroup_oom_kills(const char *path, uint64_t *ret, struct ctr_error **err);
/* An fd (O_CLOEXEC, O_NONBLOCK) that becomes readable when path's OOM
 * count may have changed: an inotify watch on v2 memory.events, a
 * cgroup.event_control eventfd on v1. Drain it with cgroup_oom_watch_drain()
 * and compare cgroup_oom_kills() with the last value. The caller closes it. */
int cgroup_oom_watch(const char *path, int *ret_fd, struct ctr_error **err);
void cgroup_oom_watch_drain(int fd);
/* Better than drain + cgroup_oom_kills() on a wake-up: drains fd and sets
 * *ret to the OOM kill count. The v1 eventfd fires as the OOM begins, a
 * moment before the kill is counted, so after a v1 wake-up this waits until
 * the count exceeds last, at most 50 ms (an OOM that ended without a kill
 * leaves it unchanged). Never waits on v2 (memory.events changes after the
 * kill). */
int cgroup_oom_watch_read(const char *path, int fd, uint64_t last, uint64_t *ret, struct ctr_error **err);

/* Under systemd with Delegate=yes: own_cgroup is the daemon's cgroup (see
 * cgroup_own_path()), which must be the same path in every hierarchy
 * (-EXDEV naming the odd one otherwise). In each hierarchy, moves every
 * process of <own> (the daemon, and monitors left from an earlier run)
 * into <own>/supervisor (systemd's rule: no processes in inner nodes) and
 * makes <own>/containers; in cgroup2 it also enables the controllers in
 * <own> and <own>/containers. Sets *ret_parent to "<own>/containers"
 * (malloc'd), the cgroup parent to use. main.c calls it when
 * getenv("INVOCATION_ID") is set (run by systemd) and the user gave no
 * cgroup parent; before any monitor spawns. */
int cgroup_delegate_setup(const char *own_cgroup, char **ret_parent, struct ctr_error **err);
/* The calling process's cgroup path: the "0::" entry of /proc/self/cgroup,
 * or on a legacy host the name=systemd one. malloc'd. */
int cgroup_own_path(char **ret, struct ctr_error **err);

/* ---- device access (devices.c) ----
 * OCI linux.resources.devices, evaluated as runc and crun do: the last
 * rule that matches a request decides; a request no rule matches is
 * allowed (as without rules), so a list meant to confine starts with
 * {"allow": false, "access": "rwm"}. An allow rule matches if it grants
 * every access asked for; a deny rule if it names any of them (the v1
 * kernel's own reading: "deny c 1:3 w" refuses an O_RDWR open). */
#define CGROUP_DEV_MKNOD 1u /* the kernel's BPF_DEVCG_ACC_* bits */
#define CGROUP_DEV_READ 2u
#define CGROUP_DEV_WRITE 4u
#define CGROUP_DEV_RWM 7u
#define CGROUP_DEV_ANY (-1) /* major or minor "*" */
/* Linux's dev_t inside the kernel: 12 bits of major, 20 of minor. */
#define CGROUP_DEV_MAJOR_MAX 4095
#define CGROUP_DEV_MINOR_MAX 1048575
#define CGROUP_DEV_RULES_MAX 512

struct cgroup_device_rule {
        bool allow;
        char type;            /* 'a' (any), 'c' or 'b' */
        int64_t major, minor; /* CGROUP_DEV_ANY or 0..*_MAX */
        unsigned access;      /* CGROUP_DEV_* bits, not 0 */
};

/* "rwm", "r", "mw"...: letters once each. Inline so that the runtime's spec
 * parser needs no libcgroup.a. -EINVAL if empty or another letter. */
static inline int
cgroup_device_access_parse(const char *s, unsigned *ret)
{
        unsigned a = 0, bit;

        for (; *s; s++) {
                bit = *s == 'r' ? CGROUP_DEV_READ : *s == 'w' ? CGROUP_DEV_WRITE : *s == 'm' ? CGROUP_DEV_MKNOD : 0;
                if (!bit || (a & bit))
                        return -EINVAL;
                a |= bit;
        }
        if (!a)
                return -EINVAL;
        *ret = a;
        return 0;
}

/* The decision for one request (type 'c' or 'b', access bits), by the
 * rules above. Pure; the kernel's answer is the same for the BPF program
 * and, for lists that start with a rule on every device, for v1. */
bool cgroup_devices_allowed(const struct cgroup_device_rule *rules, size_t n, char type, int64_t major,
                            int64_t minor, unsigned access);

/* "allow c 1:3 rwm", "deny a *:* rwm", "deny a" (all, rwm): the form
 * cgroup-tool and the unit test take. -EINVAL if malformed. */
int cgroup_device_rule_parse(const char *text, struct cgroup_device_rule *ret);

/* Restricts device access for path's processes (before any is in it):
 * on v1 (legacy, hybrid) the devices controller gets each rule as a
 * devices.allow/deny line in order ("a" for a rule on every device, which
 * resets the list); on cgroup2 (unified, and hybrid too: every process is
 * in the unified hierarchy as well and the kernel asks both) a
 * BPF_PROG_TYPE_CGROUP_DEVICE program made from the rules is attached to
 * path with BPF_F_ALLOW_MULTI, so the host's programs above still apply
 * (the kernel allows only what all of them allow). The program lives as
 * long as the cgroup. Not undone on failure: the caller destroys the new
 * cgroup. Errors name the rule: "linux.resources.devices[3]: ...".
 * -EOPNOTSUPP if the host has neither a v1 devices controller nor cgroup2.
 * Called by the runtime between cgroup_create() and the child's clone3. */
int cgroup_devices_apply(const char *path, const struct cgroup_device_rule *rules, size_t n,
                         struct ctr_error **err);

/* For the unit test. The program for rules (malloc'd struct bpf_insn
 * array, *ret_n instructions; *ret NULL if the rules allow everything, so
 * no program is needed). */
struct bpf_insn;
int cgroup_devices_program(const struct cgroup_device_rule *rules, size_t n, struct bpf_insn **ret,
                           size_t *ret_n);
/* BPF_PROG_LOAD of a device program; *ret_fd O_CLOEXEC. A refusal by the
 * verifier carries the end of its log in *err. Root (CAP_BPF/SYS_ADMIN). */
int cgroup_devices_program_load(const struct bpf_insn *insns, size_t n, int *ret_fd, struct ctr_error **err);
