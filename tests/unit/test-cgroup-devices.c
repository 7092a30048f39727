/* Device rules (daemon/cgroup/devices.c): parsing, the decision for a
 * request, and the BPF program made from them (its size and jumps); and
 * linux.resources.devices in the runtime spec parser. As root, each
 * program is also loaded (BPF_PROG_LOAD only: nothing is attached, no
 * cgroup is touched) so the kernel's verifier checks it. */
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/cgroup/resources.h"
#include "daemon/runtime/spec-internal.h"
#include "tap.h"

/* Docker's default (moby oci/devices): what the daemon writes. */
static const char *const docker_default[] = {
        "deny a",          "allow c *:* m",   "allow b *:* m",   "allow c 1:3 rwm", "allow c 1:5 rwm",
        "allow c 1:7 rwm", "allow c 1:8 rwm", "allow c 1:9 rwm", "allow c 5:0 rwm", "allow c 5:1 rwm",
        "allow c 5:2 rwm", "allow c 136:* rwm", "allow c 10:200 rwm",
};

static size_t
rules_from(const char *const *text, size_t n, struct cgroup_device_rule *rules)
{
        for (size_t i = 0; i < n; i++)
                if (cgroup_device_rule_parse(text[i], &rules[i]) < 0) {
                        printf("# bad rule in the test: %s\n", text[i]);
                        return 0;
                }
        return n;
}

static void
test_parse(void)
{
        struct cgroup_device_rule r;
        unsigned a = 0;

        ok(cgroup_device_access_parse("rwm", &a) == 0 && a == CGROUP_DEV_RWM, "access rwm");
        ok(cgroup_device_access_parse("mr", &a) == 0 && a == (CGROUP_DEV_MKNOD | CGROUP_DEV_READ), "access mr");
        is_int(cgroup_device_access_parse("", &a), -EINVAL, "access empty");
        is_int(cgroup_device_access_parse("rr", &a), -EINVAL, "access twice");
        is_int(cgroup_device_access_parse("rx", &a), -EINVAL, "access unknown letter");

        ok(cgroup_device_rule_parse("allow c 1:3 rw", &r) == 0 && r.allow && r.type == 'c' && r.major == 1 &&
                   r.minor == 3 && r.access == (CGROUP_DEV_READ | CGROUP_DEV_WRITE),
           "rule allow c 1:3 rw");
        ok(cgroup_device_rule_parse("deny a", &r) == 0 && !r.allow && r.type == 'a' && r.major == CGROUP_DEV_ANY &&
                   r.minor == CGROUP_DEV_ANY && r.access == CGROUP_DEV_RWM,
           "rule deny a");
        ok(cgroup_device_rule_parse("deny b *:* m", &r) == 0 && r.type == 'b' && r.major == CGROUP_DEV_ANY &&
                   r.access == CGROUP_DEV_MKNOD,
           "rule deny b *:* m");
        is_int(cgroup_device_rule_parse("permit c 1:3 r", &r), -EINVAL, "rule: unknown verb");
        is_int(cgroup_device_rule_parse("allow x 1:3 r", &r), -EINVAL, "rule: unknown type");
        is_int(cgroup_device_rule_parse("allow c", &r), -EINVAL, "rule: c without numbers");
        is_int(cgroup_device_rule_parse("allow c 1-3 r", &r), -EINVAL, "rule: no colon");
        is_int(cgroup_device_rule_parse("allow c 4096:0 r", &r), -EINVAL, "rule: major too big");
        is_int(cgroup_device_rule_parse("allow c 1:1048576 r", &r), -EINVAL, "rule: minor too big");
        is_int(cgroup_device_rule_parse("allow c -2:1 r", &r), -EINVAL, "rule: negative major");
}

static void
test_decisions(void)
{
        struct cgroup_device_rule d[ARRAY_SIZE(docker_default)], r[4];
        size_t n = rules_from(docker_default, ARRAY_SIZE(docker_default), d);
        const unsigned R = CGROUP_DEV_READ, W = CGROUP_DEV_WRITE, M = CGROUP_DEV_MKNOD;

        ok(n == ARRAY_SIZE(docker_default), "Docker's default list parses");
        ok(cgroup_devices_allowed(d, n, 'c', 1, 3, R | W), "default: /dev/null rw");
        ok(cgroup_devices_allowed(d, n, 'c', 1, 9, R), "default: /dev/urandom r");
        ok(cgroup_devices_allowed(d, n, 'c', 136, 7, R | W), "default: a pts rw");
        ok(cgroup_devices_allowed(d, n, 'c', 5, 2, R | W), "default: ptmx rw");
        ok(cgroup_devices_allowed(d, n, 'c', 10, 200, R | W), "default: tun rw");
        ok(cgroup_devices_allowed(d, n, 'b', 7, 0, M), "default: mknod of a loop device");
        ok(cgroup_devices_allowed(d, n, 'c', 1, 1, M), "default: mknod of /dev/mem");
        ok(!cgroup_devices_allowed(d, n, 'b', 7, 0, R), "default: loop0 open r refused");
        ok(!cgroup_devices_allowed(d, n, 'b', 8, 0, R | W), "default: sda open rw refused");
        ok(!cgroup_devices_allowed(d, n, 'c', 1, 1, R), "default: /dev/mem open refused");
        ok(!cgroup_devices_allowed(d, n, 'c', 1, 11, W), "default: /dev/kmsg open refused");
        ok(cgroup_devices_allowed(d, n, 'c', 10, 200, R | M), "default: tun rm");

        ok(cgroup_devices_allowed(NULL, 0, 'b', 8, 0, R | W | M), "no rules: everything allowed");

        /* Last match wins. */
        rules_from((const char *const[]){ "deny a", "allow c *:* rwm", "deny c 1:1 rwm" }, 3, r);
        ok(!cgroup_devices_allowed(r, 3, 'c', 1, 1, R), "last match: the later deny wins");
        ok(cgroup_devices_allowed(r, 3, 'c', 1, 2, R), "last match: other char devices allowed");
        ok(!cgroup_devices_allowed(r, 3, 'b', 1, 2, R), "last match: block devices denied by the first");

        /* An allow rule must grant all that is asked, a deny refuses any. */
        rules_from((const char *const[]){ "deny a", "allow c 1:3 r" }, 2, r);
        ok(cgroup_devices_allowed(r, 2, 'c', 1, 3, R), "partial allow: r granted");
        ok(!cgroup_devices_allowed(r, 2, 'c', 1, 3, R | W), "partial allow: rw not granted");
        rules_from((const char *const[]){ "allow a", "deny c 1:3 w" }, 2, r);
        ok(cgroup_devices_allowed(r, 2, 'c', 1, 3, R), "partial deny: r still allowed");
        ok(!cgroup_devices_allowed(r, 2, 'c', 1, 3, R | W), "partial deny: rw refused");
        ok(!cgroup_devices_allowed(r, 2, 'c', 1, 3, W), "partial deny: w refused");
}

/* Every jump lands inside the program and after itself; the last
 * instruction is an exit. */
static bool
jumps_ok(const struct bpf_insn *p, size_t n)
{
        if (n == 0 || p[n - 1].code != (BPF_JMP | BPF_EXIT))
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned cls = BPF_CLASS(p[i].code);
                long target = (long) i + 1 + p[i].off;

                if ((cls == BPF_JMP || cls == BPF_JMP32) && BPF_OP(p[i].code) != BPF_EXIT &&
                    (p[i].off <= 0 || target >= (long) n))
                        return false;
        }
        return true;
}

static void
check_program(const char *name, const char *const *text, size_t n, size_t want_len, bool root)
{
        struct cgroup_device_rule rules[16];
        struct bpf_insn *p = NULL;
        size_t len = 0;
        int r;

        rules_from(text, n, rules);
        r = cgroup_devices_program(rules, n, &p, &len);
        ok(r == 0, "%s: built", name);
        is_int(len, want_len, name);
        if (want_len == 0) {
                ok(p == NULL, "%s: no program needed", name);
                return;
        }
        ok(jumps_ok(p, len), "%s: jumps land inside the program", name);
        if (root) {
                struct ctr_error *e = NULL;
                int fd = -1;

                r = cgroup_devices_program_load(p, len, &fd, &e);
                ok(r == 0 && fd >= 0, "%s: the kernel loads it", name);
                if (r < 0)
                        printf("# %s\n", e ? e->message : "");
                ctr_error_free(e);
                if (fd >= 0)
                        close(fd);
        }
        free(p);
}

static void
test_programs(bool root)
{
        /* Prologue 6; a rule is 2 + 1 per condition (type, major, minor)
         * + 3 for an access check; the list ends with "allow" unless a
         * rule without conditions ended it. */
        check_program("Docker's default: 69 instructions", docker_default, ARRAY_SIZE(docker_default), 69, root);
        check_program("no rules: none", NULL, 0, 0, root);
        check_program("allow everything: none", (const char *const[]){ "deny a", "allow a" }, 2, 0, root);
        check_program("deny everything: 8", (const char *const[]){ "deny a" }, 1, 8, root);
        check_program("one deny: 13", (const char *const[]){ "deny c 1:1 rwm" }, 1, 13, root);
        check_program("partial deny then allow-all: 6 + 6 + 2", (const char *const[]){ "allow a", "deny c *:* w" },
                      2, 14, root);
        check_program("rules after an unconditional one only", (const char *const[]){ "deny c 1:1 rwm", "allow a",
                                                                                    "deny b 8:* r" },
                      3, 6 + 7 + 2, root);
        if (root) {
                /* A jump past the end: the verifier's words reach the error. */
                struct bpf_insn bad[] = {
                        { .code = BPF_JMP | BPF_JA, .off = 5 },
                        { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
                        { .code = BPF_JMP | BPF_EXIT },
                };
                struct ctr_error *e = NULL;
                int fd = -1;

                ok(cgroup_devices_program_load(bad, ARRAY_SIZE(bad), &fd, &e) == -EINVAL && fd < 0 && e &&
                           strstr(e->message, "verifier: "),
                   "a bad program is refused with the verifier's log");
                printf("# %s\n", e ? e->message : "(no error)");
                ctr_error_free(e);
        }
        check_program("largest numbers", (const char *const[]){ "deny a", "allow b 4095:1048575 rw" }, 2,
                      6 + 8 + 2, root);
}

#define HEAD "{\"ociVersion\":\"1.1.0\",\"process\":{\"args\":[\"sh\"]},\"root\":{\"path\":\"/r\"},"
#define LINUX(devices) HEAD "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"cgroupsPath\":\"/c\"," \
                       "\"resources\":{\"devices\":" devices "}}}"

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
        const struct cgroup_device_rule *d;

        is_int(runtime_spec_parse(LINUX("[{\"allow\":false,\"access\":\"rwm\"},"
                                        "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rw\"},"
                                        "{\"allow\":true,\"type\":\"b\",\"major\":-1,\"access\":\"m\"},"
                                        "{\"allow\":false,\"type\":\"c\",\"major\":136,\"minor\":null}]"),
                                  "/b", &s, &err),
               0, "spec with linux.resources.devices");
        if (err)
                printf("# %s\n", err->message);
        if (!s)
                return;
        d = s->devices;
        is_int(s->n_devices, 4, "four rules");
        ok(!d[0].allow && d[0].type == 'a' && d[0].major == CGROUP_DEV_ANY && d[0].minor == CGROUP_DEV_ANY &&
                   d[0].access == CGROUP_DEV_RWM,
           "type and numbers default to any");
        ok(d[1].allow && d[1].type == 'c' && d[1].major == 1 && d[1].minor == 3 &&
                   d[1].access == (CGROUP_DEV_READ | CGROUP_DEV_WRITE),
           "c 1:3 rw");
        ok(d[2].type == 'b' && d[2].major == CGROUP_DEV_ANY && d[2].access == CGROUP_DEV_MKNOD, "b -1:* m");
        ok(!d[3].allow && d[3].major == 136 && d[3].minor == CGROUP_DEV_ANY && d[3].access == CGROUP_DEV_RWM,
           "access defaults to rwm");

        is_int(runtime_spec_parse(LINUX("[]"), "/b", &none, NULL), 0, "an empty list");
        ok(none && none->n_devices == 0 && !none->devices, "an empty list: no rules");

        spec_bad(LINUX("{}"), "config.json: linux.resources.devices: expected an array");
        spec_bad(LINUX("[7]"), "config.json: linux.resources.devices[0]: expected an object");
        spec_bad(LINUX("[{\"access\":\"r\"}]"), "config.json: linux.resources.devices[0].allow: expected true or false");
        spec_bad(LINUX("[{\"allow\":true},{\"allow\":true,\"type\":\"u\"}]"),
                 "config.json: linux.resources.devices[1].type: expected \"a\", \"c\" or \"b\"");
        spec_bad(LINUX("[{\"allow\":true,\"access\":\"rwx\"}]"),
                 "config.json: linux.resources.devices[0].access: expected some of r, w and m, each once");
        spec_bad(LINUX("[{\"allow\":true,\"access\":\"\"}]"),
                 "config.json: linux.resources.devices[0].access: expected some of r, w and m, each once");
        spec_bad(LINUX("[{\"allow\":true},{\"allow\":true},{\"allow\":true},{\"allow\":true,\"major\":4096}]"),
                 "config.json: linux.resources.devices[3].major: 4096 is out of range (0 to 4095, or -1 for any)");
        spec_bad(LINUX("[{\"allow\":true,\"minor\":-2}]"),
                 "config.json: linux.resources.devices[0].minor: -2 is out of range (0 to 1048575, or -1 for any)");
        spec_bad(LINUX("[{\"allow\":true,\"major\":\"8\"}]"),
                 "config.json: linux.resources.devices[0].major: expected an integer");
        spec_bad(HEAD "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"resources\":{\"devices\":"
                      "[{\"allow\":false}]}}}",
                 "config.json: linux.resources: needs linux.cgroupsPath");
}

int
main(void)
{
        bool root = geteuid() == 0;

        test_parse();
        test_decisions();
        test_spec();
        if (!root)
                printf("# not root: the programs are not loaded\n");
        test_programs(root);
        return tap_done();
}
