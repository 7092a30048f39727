/* Unit tests for the resources part of daemon/cgroup/ (no root, no real
 * cgroup): the stat file parsers, limit and freezer parsing, the shares and
 * weight conversions, validation messages, the delegation logic on a fake
 * tree in a temp dir, and linux.resources in the runtime spec parser. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fs-util.h"
#include "daemon/cgroup/cgroup-internal.h"
#include "daemon/runtime/spec-internal.h"
#include "tests/unit/tap.h"

static const char v2_memory_stat[] = "anon 1052672\nfile 4096\nkernel 311296\nkernel_stack 16384\n"
                                     "file_mapped 0\nshmem 8192\nsock 0\n";
static const char v1_memory_stat[] = "cache 0\nrss 0\nshmem 0\ntotal_cache 12288\ntotal_rss 401408\n"
                                     "total_shmem 0\n";

static void
test_keyed(void)
{
        uint64_t v = 7;

        ok(cgroup_parse_keyed(v2_memory_stat, "anon", &v) == 0 && v == 1052672, "memory.stat anon");
        ok(cgroup_parse_keyed(v2_memory_stat, "file", &v) == 0 && v == 4096, "file, not file_mapped");
        ok(cgroup_parse_keyed(v2_memory_stat, "sock", &v) == 0 && v == 0, "last key");
        is_int(cgroup_parse_keyed(v2_memory_stat, "kern", &v), -ENOENT, "a key prefix is not a key");
        is_int(cgroup_parse_keyed(v1_memory_stat, "rss_huge", &v), -ENOENT, "missing key");
        ok(cgroup_parse_keyed(v1_memory_stat, "total_rss", &v) == 0 && v == 401408, "v1 total_rss");
        ok(cgroup_parse_keyed("usage_usec 12\nuser_usec 5\nsystem_usec 7", "system_usec", &v) == 0 && v == 7,
           "cpu.stat without a final newline");
        is_int(cgroup_parse_keyed("oom_kill x\n", "oom_kill", &v), -EINVAL, "malformed value");
        ok(cgroup_parse_keyed("oom_kill 99999999999999999999999\n", "oom_kill", &v) < 0, "overlong value");
        ok(cgroup_parse_keyed("low 0\nhigh 0\nmax 3\noom 2\noom_kill 1\noom_group_kill 0\n", "oom_kill", &v) == 0 &&
                   v == 1, "memory.events oom_kill, not oom or oom_group_kill");
        ok(cgroup_parse_keyed("oom_kill_disable 0\nunder_oom 0\noom_kill 4\n", "oom_kill", &v) == 0 && v == 4,
           "v1 memory.oom_control");
        is_int(cgroup_parse_keyed("", "x", &v), -ENOENT, "empty text");
}

static void
test_io(void)
{
        uint64_t rb, wb, ri, wi;

        cgroup_parse_io_stat("8:0 rbytes=100 wbytes=200 rios=3 wios=4 dbytes=0 dios=0\n"
                             "253:1 rbytes=1 wbytes=2 rios=1 wios=1 dbytes=9 dios=9\n",
                             &rb, &wb, &ri, &wi);
        ok(rb == 101 && wb == 202 && ri == 4 && wi == 5, "io.stat summed over devices");
        cgroup_parse_io_stat("", &rb, &wb, &ri, &wi);
        ok(rb == 0 && wb == 0 && ri == 0 && wi == 0, "empty io.stat is zero");
        cgroup_parse_io_stat("8:0 xrbytes=5 rbytes=zz wios=7", &rb, &wb, &ri, &wi);
        ok(rb == 0 && wi == 7, "io.stat: lookalike and malformed fields ignored");
        cgroup_parse_blkio("8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 1\n8:0 Async 2\n8:0 Discard 0\n8:0 Total 12288\n"
                           "8:16 Read 1\n8:16 Write 1\nTotal 12290\n",
                           &rb, &wb);
        ok(rb == 4097 && wb == 8193, "blkio io_service_bytes summed, Total ignored");
        cgroup_parse_blkio("Total 0\n", &rb, &wb);
        ok(rb == 0 && wb == 0, "blkio without devices");
}

static void
test_limit_and_states(void)
{
        int64_t v = 0;

        ok(cgroup_parse_limit("max\n", &v) == 0 && v == CGROUP_UNLIMITED, "max");
        ok(cgroup_parse_limit("-1", &v) == 0 && v == CGROUP_UNLIMITED, "-1");
        ok(cgroup_parse_limit("9223372036854771712\n", &v) == 0 && v == CGROUP_UNLIMITED, "v1 unlimited");
        ok(cgroup_parse_limit("67108864", &v) == 0 && v == 67108864, "number");
        is_int(cgroup_parse_limit("-5", &v), -EINVAL, "negative");
        is_int(cgroup_parse_limit("12q", &v), -EINVAL, "garbage");
        is_int(cgroup_parse_limit("", &v), -EINVAL, "empty");
        is_int(cgroup_parse_freezer_state("FROZEN\n"), 1, "FROZEN");
        is_int(cgroup_parse_freezer_state("THAWED"), 0, "THAWED");
        is_int(cgroup_parse_freezer_state("FREEZING\n"), 2, "FREEZING");
        is_int(cgroup_parse_freezer_state("FROZENX"), -EINVAL, "bad freezer state");
        is_int(cgroup_parse_events_frozen("populated 1\nfrozen 1\n"), 1, "cgroup.events frozen 1");
        is_int(cgroup_parse_events_frozen("populated 0\nfrozen 0"), 0, "cgroup.events frozen 0");
        is_int(cgroup_parse_events_frozen("populated 1\n"), -ENOENT, "no frozen key (kernel < 5.2)");
        ok(cgroup_list_has("cpu io memory pids", ' ', "memory"), "list has memory");
        ok(!cgroup_list_has("cpuset io", ' ', "cpu"), "cpuset is not cpu");
        ok(cgroup_list_has("cpu,cpuacct", ',', "cpuacct"), "comma list");
        ok(!cgroup_list_has("", ' ', "cpu"), "empty list");
}

static void
test_conversions(void)
{
        is_int(cgroup_shares_to_weight(2), 1, "shares 2 -> weight 1");
        is_int(cgroup_shares_to_weight(1024), 39, "shares 1024 -> weight 39 (runc's mapping)");
        is_int(cgroup_shares_to_weight(262144), 10000, "shares 262144 -> weight 10000");
        is_int(cgroup_weight_to_shares(1), 2, "weight 1 -> shares 2");
        is_int(cgroup_weight_to_shares(10000), 262144, "weight 10000 -> shares 262144");
        is_int(cgroup_shares_to_weight(cgroup_weight_to_shares(39)), 39, "weight round trip");
        is_int(cgroup_blkio_to_io_weight(10), 1, "blkio 10 -> io 1");
        is_int(cgroup_blkio_to_io_weight(1000), 10000, "blkio 1000 -> io 10000");
        is_int(cgroup_io_to_blkio_weight(cgroup_blkio_to_io_weight(500)), 500, "blkio 500 round trip");
        is_int(cgroup_io_to_blkio_weight(10000), 1000, "io 10000 -> blkio 1000");
}

static void
check_invalid(const struct cgroup_limits *l, const char *want, const char *name)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        int r = cgroup_limits_validate_host(l, "0-1", "0", &err);

        ok(r == -EINVAL && err && strcmp(err->message, want) == 0, "%s", name);
        if (err && strcmp(err->message, want) != 0)
                printf("#   got '%s'\n", err->message);
}

static void
test_validate(void)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        struct cgroup_limits l;

        cgroup_limits_init(&l);
        ok(cgroup_limits_empty(&l), "init: empty");
        is_int(cgroup_limits_validate_host(&l, "0-1", "0", NULL), 0, "nothing set is valid");
        l.memory_max = 64 << 20;
        l.memory_swap = 128 << 20;
        l.memory_low = 32 << 20;
        l.cpu_quota_us = 150000;
        l.cpu_shares = 512;
        l.pids_max = 50;
        l.io_weight = 300;
        l.cpuset_cpus = strdup("0-1");
        l.cpuset_mems = strdup("0");
        ok(!cgroup_limits_empty(&l), "set: not empty");
        is_int(cgroup_limits_validate_host(&l, "0-1", "0", &err), 0, "a full valid set");
        cgroup_limits_clear(&l);
        ok(cgroup_limits_empty(&l) && !l.cpuset_cpus, "clear frees and unsets");

        l.memory_max = 4096;
        check_invalid(&l, "memory: 4096 is below the minimum of 6 MiB", "memory below 6 MiB");
        l.memory_max = 64 << 20;
        l.memory_swap = 32 << 20;
        check_invalid(&l, "memory-swap must be at least memory", "swap below memory");
        l.memory_max = CGROUP_UNSET;
        check_invalid(&l, "memory-swap needs a memory limit too", "swap without memory");
        l.memory_swap = CGROUP_UNLIMITED;
        is_int(cgroup_limits_validate_host(&l, "0-1", "0", NULL), 0, "unlimited swap alone is fine");
        l.memory_swap = -7;
        check_invalid(&l, "memory-swap: -7 is out of range (0 to 9223372036854775806)", "negative swap");
        cgroup_limits_init(&l);
        l.memory_max = 64 << 20;
        l.memory_low = 128 << 20;
        check_invalid(&l, "memory-reservation must not be above memory", "reservation above memory");
        cgroup_limits_init(&l);
        l.cpu_quota_us = 250000;
        check_invalid(&l, "cpus: 2.50 is more than this host's 2 CPUs", "--cpus above the host");
        l.cpu_quota_us = 500;
        check_invalid(&l, "cpu-quota: 500 is out of range (1000 to 4611686018427387903)", "quota below 1 ms");
        l.cpu_quota_us = CGROUP_UNLIMITED;
        l.cpu_period_us = 100;
        check_invalid(&l, "cpu-period: 100 is out of range (1000 to 1000000)", "period below 1 ms");
        cgroup_limits_init(&l);
        l.cpu_shares = 1;
        check_invalid(&l, "cpu-shares: 1 is out of range (2 to 262144)", "shares below 2");
        cgroup_limits_init(&l);
        l.pids_max = 0;
        check_invalid(&l, "pids-limit: 0 must be at least 1", "pids 0");
        cgroup_limits_init(&l);
        l.io_weight = 5;
        check_invalid(&l, "blkio-weight: 5 is out of range (10 to 1000)", "blkio weight 5");
        cgroup_limits_init(&l);
        l.cpuset_cpus = strdup("0,7");
        check_invalid(&l, "cpuset-cpus: CPU 7 does not exist (this host has 0-1)", "cpuset outside the host");
        free(l.cpuset_cpus);
        l.cpuset_cpus = strdup("1-");
        check_invalid(&l, "cpuset-cpus: `1-` is not a list like 0-2,4", "malformed cpuset");
        free(l.cpuset_cpus);
        l.cpuset_cpus = strdup("3-1");
        check_invalid(&l, "cpuset-cpus: `3-1` is not a list like 0-2,4", "reversed range");
        free(l.cpuset_cpus);
        l.cpuset_cpus = NULL;
        l.cpuset_mems = strdup("1");
        check_invalid(&l, "cpuset-mems: node 1 does not exist (this host has 0)", "mems outside the host");
        cgroup_limits_clear(&l);
        is_int(cgroup_cpulist_check("cpuset-cpus", "0-3,8", "0-15", NULL), 0, "list inside a bigger host");
        is_int(cgroup_cpulist_check("cpuset-cpus", "", "0-15", NULL), -EINVAL, "empty list");
        is_int(cgroup_cpulist_check("cpuset-cpus", "1,", "0-15", NULL), -EINVAL, "trailing comma");
}

static void
put(const char *dir, const char *file, const char *text)
{
        _cleanup_free_ char *p = path_join(dir, file);
        FILE *f = fopen(p, "we");

        if (f) {
                fputs(text, f);
                fclose(f);
        }
}

static char *
get(const char *dir, const char *file)
{
        _cleanup_free_ char *p = path_join(dir, file);
        char *text = NULL;

        if (read_file_full(p, 4096, &text, NULL, NULL) < 0)
                return NULL;
        text[strcspn(text, "\n")] = 0;
        return text;
}

/* A fake hierarchy: <tmp>/system.slice/ctl.service with processes and
 * controllers, and files cgroupfs would create in the new directories. */
static void
test_delegate(void)
{
        char tmp[] = "/tmp/test-cgroup-resources.XXXXXX";
        _cleanup_free_ char *own = NULL, *sup = NULL, *cont = NULL, *parent = NULL, *a = NULL, *b = NULL,
                            *c = NULL;
        _cleanup_error_ struct ctr_error *err = NULL;

        if (!mkdtemp(tmp)) {
                ok(0, "mkdtemp");
                return;
        }
        own = path_join(tmp, "system.slice/ctl.service");
        sup = path_join(own, "supervisor");
        cont = path_join(own, "containers");
        mkdir_p(sup, 0755, NULL);
        mkdir_p(cont, 0755, NULL);
        put(own, "cgroup.procs", "101\n202\n");
        put(own, "cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
        put(own, "cgroup.subtree_control", "\n");
        put(sup, "cgroup.procs", "");
        put(cont, "cgroup.controllers", "cpu memory\n");
        put(cont, "cgroup.subtree_control", "cpu\n");

        is_int(cgroup_delegate_setup_at(tmp, "/system.slice/ctl.service", &parent, &err), 0, "delegate setup");
        is_str(parent, "/system.slice/ctl.service/containers", "cgroup parent below the unit's cgroup");
        is_str((a = get(sup, "cgroup.procs")), "202", "processes moved to supervisor (one write per pid)");
        is_str((b = get(own, "cgroup.subtree_control")), "+cpu +cpuset +io +memory +pids",
               "limit controllers enabled in the unit's cgroup, others not");
        is_str((c = get(cont, "cgroup.subtree_control")), "+memory", "containers: only the missing one enabled");
        free(parent);
        parent = NULL;
        is_int(cgroup_delegate_setup_at(tmp, "/", &parent, NULL), -EINVAL, "the root cannot be delegated");
        is_int(cgroup_delegate_setup_at(tmp, "/no/such", &parent, NULL) < 0, 1, "a missing cgroup fails");
        rm_rf(tmp, NULL);
}

#define HEAD "{\"ociVersion\":\"1.1.0\",\"process\":{\"args\":[\"sh\"]},\"root\":{\"path\":\"/r\"},"
#define NS "\"namespaces\":[{\"type\":\"mount\"}]"

static void
spec_bad(const char *json, const char *want)
{
        _cleanup_(runtime_spec_freep) struct runtime_spec *s = NULL;
        _cleanup_error_ struct ctr_error *err = NULL;
        int r = runtime_spec_parse(json, "/b", &s, &err);

        ok(r == -EINVAL && err && strcmp(err->message, want) == 0, "spec: %s", want);
        if (err && strcmp(err->message, want) != 0)
                printf("#   got '%s'\n", err->message);
}

static void
test_spec(void)
{
        _cleanup_(runtime_spec_freep) struct runtime_spec *s = NULL, *none = NULL;
        _cleanup_error_ struct ctr_error *err = NULL;
        const struct cgroup_limits *l;

        is_int(runtime_spec_parse(HEAD "\"linux\":{" NS ",\"cgroupsPath\":\"/c/x\",\"resources\":{"
                                       "\"memory\":{\"limit\":67108864,\"swap\":-1,\"reservation\":0},"
                                       "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,"
                                       "\"cpus\":\"0-1\",\"mems\":\"0\"},"
                                       "\"pids\":{\"limit\":-1},\"blockIO\":{\"weight\":300},"
                                       "\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}}}",
                                  "/b", &s, &err),
               0, "spec with linux.resources");
        if (!s)
                return;
        l = runtime_spec_limits(s);
        ok(l->memory_max == 67108864 && l->memory_swap == CGROUP_UNLIMITED && l->memory_low == CGROUP_UNSET,
           "memory: limit, swap -1 = unlimited, reservation 0 = unset");
        ok(l->cpu_shares == 512 && l->cpu_quota_us == 50000 && l->cpu_period_us == 100000, "cpu numbers");
        ok(l->cpuset_cpus && strcmp(l->cpuset_cpus, "0-1") == 0 && l->cpuset_mems &&
                   strcmp(l->cpuset_mems, "0") == 0, "cpuset strings");
        ok(l->pids_max == CGROUP_UNLIMITED && l->io_weight == 300, "pids -1 = unlimited, blkio weight");
        is_int(runtime_spec_parse(HEAD "\"linux\":{" NS "}}", "/b", &none, NULL), 0, "spec without resources");
        ok(none && cgroup_limits_empty(runtime_spec_limits(none)), "no resources: every limit unset");

        spec_bad(HEAD "\"linux\":{" NS ",\"cgroupsPath\":\"/c\",\"resources\":[]}}",
                 "config.json: linux.resources: expected an object");
        spec_bad(HEAD "\"linux\":{" NS ",\"cgroupsPath\":\"/c\",\"resources\":{\"memory\":{\"limit\":\"64m\"}}}}",
                 "config.json: linux.resources.memory.limit: expected an integer");
        spec_bad(HEAD "\"linux\":{" NS ",\"cgroupsPath\":\"/c\",\"resources\":{\"memory\":{\"swap\":-2}}}}",
                 "config.json: linux.resources.memory.swap: expected -1 (unlimited), 0 (unset) or a positive integer");
        spec_bad(HEAD "\"linux\":{" NS ",\"cgroupsPath\":\"/c\",\"resources\":{\"cpu\":{\"shares\":-1}}}}",
                 "config.json: linux.resources.cpu.shares: expected a non-negative integer");
        spec_bad(HEAD "\"linux\":{" NS ",\"cgroupsPath\":\"/c\",\"resources\":{\"cpu\":{\"cpus\":3}}}}",
                 "config.json: linux.resources.cpu.cpus: expected a string");
        spec_bad(HEAD "\"linux\":{" NS ",\"cgroupsPath\":\"/c\",\"resources\":{\"pids\":{\"limit\":1.5}}}}",
                 "config.json: linux.resources.pids.limit: expected an integer");
        spec_bad(HEAD "\"linux\":{" NS ",\"cgroupsPath\":\"/c\",\"resources\":{\"blockIO\":7}}}",
                 "config.json: linux.resources.blockIO: expected an object");
        spec_bad(HEAD "\"linux\":{" NS ",\"resources\":{\"pids\":{\"limit\":5}}}}",
                 "config.json: linux.resources: needs linux.cgroupsPath");
}

int
main(void)
{
        test_keyed();
        test_io();
        test_limit_and_states();
        test_conversions();
        test_validate();
        test_delegate();
        test_spec();
        return tap_done();
}
