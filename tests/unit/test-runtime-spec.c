/* Unit tests for daemon/runtime/ without root: config.json parsing (happy
 * path and malformed fields), mount options, PATH resolution. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/runtime/child.h"
#include "daemon/runtime/spec-internal.h"
#include "tests/unit/tap.h"

static const char good[] =
        "{\"ociVersion\":\"1.1.0\",\"unknownTop\":{\"x\":1},"
        "\"process\":{\"args\":[\"sh\",\"-c\",\"echo hi\"],\"env\":[\"PATH=/bin\",\"A=b\"],"
        " \"cwd\":\"/tmp\",\"user\":{\"uid\":1000,\"gid\":100,\"additionalGids\":[5,6]},"
        " \"terminal\":false,\"noNewPrivileges\":true,"
        " \"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":512}],"
        " \"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_KILL\"],\"effective\":[\"CAP_KILL\"]}},"
        "\"root\":{\"path\":\"rootfs\",\"readonly\":true},\"hostname\":\"box\","
        "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
        " {\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
        " {\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"data\",\"options\":[\"rbind\",\"ro\",\"rprivate\"]}],"
        "\"annotations\":{\"org.containerctl.overlay.lowerdir\":\"/l1:/l2\",\"org.containerctl.overlay.upperdir\":\"/u\","
        " \"org.containerctl.overlay.workdir\":\"/w\",\"other\":\"x\"},"
        "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"network\",\"path\":\"/proc/1/ns/net\"}],"
        " \"cgroupsPath\":\"/containerctl/abc\",\"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\"],"
        " \"devices\":[{\"x\":1}],\"sysctl\":{\"a\":\"b\"}}}";

static void
test_good(void)
{
        struct runtime_spec *s = NULL;
        struct ctr_error *err = NULL;
        int r = runtime_spec_parse(good, "/bundle", &s, &err);

        is_int(r, 0, "good config parses");
        if (r < 0) {
                printf("# %s\n", err->message);
                ctr_error_free(err);
                return;
        }
        is_str(s->args[2], "echo hi", "args");
        ok(s->args[3] == NULL, "args NULL-terminated");
        is_str(s->env[1], "A=b", "env");
        is_str(s->cwd, "/tmp", "cwd");
        ok(s->uid == 1000 && s->gid == 100 && s->n_additional_gids == 2 && s->additional_gids[1] == 6, "user");
        ok(s->no_new_privileges, "noNewPrivileges");
        ok(s->n_rlimits == 1 && s->rlimits[0].resource == RLIMIT_NOFILE && s->rlimits[0].soft == 512, "rlimits");
        ok(s->has_capabilities && s->caps[RUNTIME_CAP_BOUNDING] == ((1ull << 0) | (1ull << 5)), "bounding caps");
        ok(s->caps[RUNTIME_CAP_EFFECTIVE] == (1ull << 5) && s->caps[RUNTIME_CAP_AMBIENT] == 0, "effective caps");
        is_str(s->root_path, "/bundle/rootfs", "relative root.path is relative to the bundle");
        ok(s->root_readonly, "root.readonly");
        is_str(s->hostname, "box", "hostname");
        is_int(s->n_mounts, 3, "three mounts");
        is_str(s->mounts[1].data, "mode=755,size=65536k", "non-flag options become data");
        ok(s->mounts[1].flags == (MS_NOSUID | MS_STRICTATIME), "flag options become flags");
        ok(s->mounts[2].bind && s->mounts[2].recursive && s->mounts[2].flags == MS_RDONLY, "rbind ro");
        ok(s->mounts[2].propagation == (MS_PRIVATE | MS_REC), "rprivate");
        is_str(s->mounts[2].source, "/bundle/data", "relative bind source is relative to the bundle");
        ok(s->mounts[2].type == NULL, "bind has no type");
        is_str(s->overlay_lowerdir, "/l1:/l2", "overlay lowerdir");
        is_str(s->overlay_workdir, "/w", "overlay workdir");
        is_int(runtime_spec_new_ns_flags(s), CLONE_NEWPID | CLONE_NEWNS, "namespaces created (net is joined)");
        is_str(runtime_spec_namespace(s, CLONE_NEWNET)->path, "/proc/1/ns/net", "namespace path");
        is_str(runtime_spec_cgroups_path(s), "/containerctl/abc", "cgroupsPath");
        is_str(s->masked_paths[0], "/proc/kcore", "maskedPaths");
        is_str(s->readonly_paths[0], "/proc/sys", "readonlyPaths");
        runtime_spec_free(s);
}

#define MIN_HEAD "{\"ociVersion\":\"1.1.0\","
#define MIN_PROC "\"process\":{\"args\":[\"sh\"]},"
#define MIN_ROOT "\"root\":{\"path\":\"/r\"},"
#define MIN_LINUX "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]}"

static const struct {
        const char *json, *want;
} bad_cases[] = {
        { "not json", "config.json: line 1: " },
        { "[]", "config.json: (top level): expected an object" },
        { "{\"process\":{}}", "config.json: ociVersion: missing" },
        { MIN_HEAD MIN_ROOT MIN_LINUX "}", "config.json: process: missing" },
        { MIN_HEAD "\"process\":{\"args\":[]}," MIN_ROOT MIN_LINUX "}",
          "config.json: process.args: must be a non-empty array of strings" },
        { MIN_HEAD "\"process\":{\"args\":[\"sh\",1]}," MIN_ROOT MIN_LINUX "}",
          "config.json: process.args: expected an array of strings" },
        { MIN_HEAD "\"process\":{\"args\":\"sh\"}," MIN_ROOT MIN_LINUX "}",
          "config.json: process.args: expected an array of strings" },
        { MIN_HEAD "\"process\":{\"args\":[\"sh\"],\"cwd\":\"rel\"}," MIN_ROOT MIN_LINUX "}",
          "config.json: process.cwd: must be an absolute path" },
        { MIN_HEAD "\"process\":{\"args\":[\"sh\"],\"terminal\":1}," MIN_ROOT MIN_LINUX "}",
          "config.json: process.terminal: expected true or false" },
        { MIN_HEAD "\"process\":{\"args\":[\"sh\"],\"consoleSize\":[24,80]}," MIN_ROOT MIN_LINUX "}",
          "config.json: process.consoleSize: expected an object" },
        { MIN_HEAD "\"process\":{\"args\":[\"sh\"],\"consoleSize\":{\"height\":24}}," MIN_ROOT MIN_LINUX "}",
          "config.json: process.consoleSize.width: missing" },
        { MIN_HEAD "\"process\":{\"args\":[\"sh\"],\"consoleSize\":{\"height\":70000,\"width\":1}}," MIN_ROOT MIN_LINUX "}",
          "config.json: process.consoleSize: height and width must be at most 65535" },
        { MIN_HEAD "\"process\":{\"args\":[\"sh\"],\"user\":{\"uid\":-1,\"gid\":0}}," MIN_ROOT MIN_LINUX "}",
          "config.json: process.user.uid: expected an integer from 0 to 4294967295" },
        { MIN_HEAD "\"process\":{\"args\":[\"sh\"],\"user\":{\"uid\":0}}," MIN_ROOT MIN_LINUX "}",
          "config.json: process.user.gid: missing" },
        { MIN_HEAD "\"process\":{\"args\":[\"sh\"],\"rlimits\":[{\"type\":\"RLIMIT_FOO\",\"soft\":1,\"hard\":1}]}," MIN_ROOT MIN_LINUX "}",
          "config.json: process.rlimits.type: unknown rlimit `RLIMIT_FOO`" },
        { MIN_HEAD "\"process\":{\"args\":[\"sh\"],\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":2,\"hard\":1}]}," MIN_ROOT MIN_LINUX "}",
          "config.json: process.rlimits: soft limit of RLIMIT_NOFILE is above the hard limit" },
        { MIN_HEAD "\"process\":{\"args\":[\"sh\"],\"capabilities\":{\"bounding\":[\"CAP_NOPE\"]}}," MIN_ROOT MIN_LINUX "}",
          "config.json: process.capabilities.bounding: unknown capability `CAP_NOPE`" },
        { MIN_HEAD MIN_PROC MIN_LINUX "}", "config.json: root: missing" },
        { MIN_HEAD MIN_PROC "\"root\":{\"path\":5}," MIN_LINUX "}", "config.json: root.path: expected a string" },
        { MIN_HEAD MIN_PROC MIN_ROOT "\"mounts\":[{\"destination\":\"proc\",\"type\":\"proc\"}]," MIN_LINUX "}",
          "config.json: mounts.destination: `proc` is not an absolute path" },
        { MIN_HEAD MIN_PROC MIN_ROOT "\"mounts\":[{\"destination\":\"/x\"}]," MIN_LINUX "}",
          "config.json: mounts.type: missing for `/x`" },
        { MIN_HEAD MIN_PROC MIN_ROOT "\"mounts\":[{\"destination\":\"/x\",\"options\":[\"bind\"]}]," MIN_LINUX "}",
          "config.json: mounts.source: missing for bind mount `/x`" },
        { MIN_HEAD MIN_PROC MIN_ROOT "\"mounts\":{}," MIN_LINUX "}", "config.json: mounts: expected an array" },
        { MIN_HEAD MIN_PROC MIN_ROOT "\"annotations\":{\"org.containerctl.overlay.upperdir\":\"/u\"}," MIN_LINUX "}",
          "config.json: annotations: org.containerctl.overlay.upperdir and .workdir must be given together with .lowerdir" },
        { MIN_HEAD MIN_PROC MIN_ROOT "\"linux\":{}}", "config.json: linux.namespaces: a new `mount` namespace is required" },
        { MIN_HEAD MIN_PROC MIN_ROOT "\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"time\"}]}}",
          "config.json: linux.namespaces.type: unknown namespace `time`" },
        { MIN_HEAD MIN_PROC MIN_ROOT "\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"user\"}]}}",
          "config.json: linux.uidMappings: a new `user` namespace needs uidMappings and gidMappings" },
        { MIN_HEAD MIN_PROC MIN_ROOT "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":1}]}}",
          "config.json: linux.uidMappings: given without a new `user` namespace" },
        { MIN_HEAD MIN_PROC MIN_ROOT "\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"user\"}],\"uidMappings\":[{}]}}",
          "config.json: linux.uidMappings: missing" },
        { MIN_HEAD MIN_PROC MIN_ROOT "\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"user\"}],"
          "\"uidMappings\":[{\"containerID\":0,\"hostID\":4294967295,\"size\":2}]}}",
          "config.json: linux.uidMappings: size must be at least 1" },
        { MIN_HEAD MIN_PROC MIN_ROOT "\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"user\",\"path\":\"/proc/1/ns/user\"}]}}",
          "config.json: linux.namespaces.path: joining an existing `user` namespace is not supported" },
        { MIN_HEAD MIN_PROC MIN_ROOT "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"cgroupsPath\":\"rel\"}}",
          "config.json: linux.cgroupsPath: must be an absolute path without `..`" },
        { MIN_HEAD MIN_PROC MIN_ROOT "\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"mount\"}]}}",
          "config.json: linux.namespaces: `mount` given twice" },
};

static void
test_terminal(void)
{
        static const char json[] = MIN_HEAD
                "\"process\":{\"args\":[\"sh\"],\"terminal\":true,\"consoleSize\":{\"height\":30,\"width\":100}},"
                MIN_ROOT MIN_LINUX "}";
        struct runtime_spec *s = NULL;
        struct ctr_error *err = NULL;
        int r = runtime_spec_parse(json, "/b", &s, &err);

        is_int(r, 0, "process.terminal with consoleSize parses");
        if (r < 0) {
                printf("# %s\n", err->message);
                ctr_error_free(err);
                return;
        }
        ok(s->terminal, "terminal");
        ok(s->console_rows == 30 && s->console_cols == 100, "consoleSize is rows 30, cols 100");
        runtime_spec_free(s);
}

static void
test_userns(void)
{
        static const char json[] = MIN_HEAD MIN_PROC MIN_ROOT
                "\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"user\"}],"
                "\"uidMappings\":[{\"containerID\":0,\"hostID\":1000000000,\"size\":65536}],"
                "\"gidMappings\":[{\"containerID\":0,\"hostID\":1000065536,\"size\":65536},"
                "{\"containerID\":65536,\"hostID\":5,\"size\":1}]}}";
        struct runtime_spec *s = NULL;
        struct ctr_error *err = NULL;
        int r = runtime_spec_parse(json, "/b", &s, &err);

        is_int(r, 0, "a user namespace with id maps parses");
        if (r < 0) {
                printf("# %s\n", err->message);
                ctr_error_free(err);
                return;
        }
        ok(runtime_spec_new_ns_flags(s) & CLONE_NEWUSER, "the user namespace is created");
        ok(s->n_uid_maps == 1 && s->uid_maps[0].container_id == 0 && s->uid_maps[0].host_id == 1000000000 &&
           s->uid_maps[0].size == 65536, "uidMappings");
        ok(s->n_gid_maps == 2 && s->gid_maps[0].host_id == 1000065536 && s->gid_maps[1].container_id == 65536 &&
           s->gid_maps[1].host_id == 5 && s->gid_maps[1].size == 1, "gidMappings");
        runtime_spec_free(s);
}

static void
test_bad(void)
{
        for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
                struct runtime_spec *s = NULL;
                struct ctr_error *err = NULL;
                int r = runtime_spec_parse(bad_cases[i].json, "/b", &s, &err);
                const char *msg = err ? err->message : "(no error)";

                ok(r == -EINVAL && s == NULL && strncmp(msg, bad_cases[i].want, strlen(bad_cases[i].want)) == 0,
                   "bad config %zu rejected: %s", i, msg);
                ctr_error_free(err);
                runtime_spec_free(s);
        }
}

static void
test_find_executable(void)
{
        char dir[] = "/tmp/test-runtime-XXXXXX", exe[64], noexe[64], path_env[128];
        char *env[] = { path_env, NULL }, *got = NULL;
        FILE *f;

        ok(mkdtemp(dir) != NULL, "temp dir");
        snprintf(exe, sizeof(exe), "%s/prog", dir);
        snprintf(noexe, sizeof(noexe), "%s/data", dir);
        f = fopen(exe, "w");
        fclose(f);
        chmod(exe, 0755);
        f = fopen(noexe, "w");
        fclose(f);
        chmod(noexe, 0644);
        snprintf(path_env, sizeof(path_env), "PATH=/nonexistent:%s", dir);

        ok(runtime_find_executable("prog", env, &got) == 0 && got && strcmp(got, exe) == 0, "found in PATH");
        free(got);
        got = NULL;
        if (geteuid() != 0)
                is_int(runtime_find_executable("data", env, &got), -EACCES, "not executable is EACCES");
        else
                ok(1, "# skip EACCES check as root (DAC override)");
        is_int(runtime_find_executable("nope", env, &got), -ENOENT, "missing is ENOENT");
        is_int(runtime_find_executable("/nonexistent/x", env, &got), -ENOENT, "missing absolute is ENOENT");
        is_int(runtime_find_executable(dir, env, &got), -EACCES, "directory is EACCES");
        ok(runtime_find_executable("sh", NULL, &got) == 0 && got, "default PATH finds sh");
        free(got);
        unlink(exe);
        unlink(noexe);
        rmdir(dir);
}

int
main(void)
{
        test_good();
        test_terminal();
        test_userns();
        test_bad();
        test_find_executable();
        return tap_done();
}
