/* Unit tests for daemon/cgroup/: mountinfo and /proc/<pid>/cgroup parsing
 * and path validation, no root needed. With CTL_TEST_CGROUP_ROOT=1 and root
 * it also creates, joins and destroys a real cgroup under a unique parent
 * (/ctltest-<pid>-cgroup) and checks nothing is left behind. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fs-util.h"
#include "common/time-util.h"
#include "daemon/cgroup/cgroup-internal.h"
#include "tests/unit/tap.h"

static const char hybrid_mountinfo[] =
        "22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:5 - proc proc rw\n"
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
        "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset,clone_children\n"
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,release_agent=/x,name=systemd\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
        "50 22 0:32 / /mnt/other\\040dir rw - cgroup cgroup rw,memory\n"
        "51 22 0:39 /sub /mnt/pids rw - cgroup cgroup rw,pids\n"
        "52 22 0:40 / /mnt/none rw - cgroup cgroup rw,none\n"
        "garbage line\n"
        "60 22 0:41 / /mnt/x rw - cgroup\n";

static void
test_mountinfo(void)
{
        struct cgroup_table t = {};
        _cleanup_free_ char *dir = NULL;
        _cleanup_error_ struct ctr_error *err = NULL;

        is_int(cgroup_parse_mountinfo(hybrid_mountinfo, &t, NULL), 0, "parse hybrid mountinfo");
        is_int(t.n, 6, "six hierarchies (duplicate memory mount and nameless hierarchy dropped)");
        if (t.n < 6)
                return;
        is_str(t.h[0].mount, "/sys/fs/cgroup/cpu,cpuacct", "comounted cpu,cpuacct mount");
        is_str(t.h[0].controllers, "cpu,cpuacct", "comounted controllers");
        ok(t.h[1].cpuset && !t.h[1].noprefix, "cpuset hierarchy flagged");
        is_str(t.h[1].controllers, "cpuset", "clone_children is not a controller");
        is_str(t.h[2].mount, "/sys/fs/cgroup/memory", "memory under /sys/fs/cgroup kept over /mnt");
        is_str(t.h[3].controllers, "name=systemd", "named hierarchy, options dropped");
        ok(t.h[4].unified && strcmp(t.h[4].mount, "/sys/fs/cgroup/unified") == 0, "cgroup2 hierarchy");
        is_str(t.h[5].root, "/sub", "mount root recorded");

        ok(cgroup_hierarchy_path(&t.h[2], "/a/b", &dir, NULL) == 0 &&
                   strcmp(dir, "/sys/fs/cgroup/memory/a/b") == 0, "hierarchy path");
        free(dir);
        dir = NULL;
        ok(cgroup_hierarchy_path(&t.h[5], "/sub/c", &dir, NULL) == 0 && strcmp(dir, "/mnt/pids/c") == 0,
           "hierarchy path below a subtree mount");
        free(dir);
        dir = NULL;
        is_int(cgroup_hierarchy_path(&t.h[5], "/subx/c", &dir, &err), -EXDEV, "path outside a subtree mount");
        ok(err && strstr(err->message, "/subx/c"), "error names the path");
        cgroup_table_clear(&t);

        is_int(cgroup_parse_mountinfo("50 22 0:32 / /mnt/a\\040b rw - cgroup cgroup rw,memory,noprefix,cpuset\n",
                                      &t, NULL), 0, "parse escaped mount point");
        ok(t.n == 1 && strcmp(t.h[0].mount, "/mnt/a b") == 0, "octal escape decoded");
        ok(t.n == 1 && t.h[0].noprefix && t.h[0].cpuset, "noprefix cpuset");
        cgroup_table_clear(&t);

        is_int(cgroup_parse_mountinfo("", &t, NULL), 0, "empty mountinfo");
        is_int(t.n, 0, "no hierarchies");
        cgroup_table_clear(&t);
}

static void
test_proc_cgroup(void)
{
        const char *text = "9:name=systemd:/\n4:memory:/process_api/abc\n2:cpu,cpuacct:/x\n0::/u\n";
        char *p = NULL;

        ok(cgroup_parse_proc_cgroup(text, "memory", &p) == 0 && strcmp(p, "/process_api/abc") == 0, "memory");
        free(p);
        p = NULL;
        ok(cgroup_parse_proc_cgroup(text, "cpuacct", &p) == 0 && strcmp(p, "/x") == 0, "comounted controller");
        free(p);
        p = NULL;
        ok(cgroup_parse_proc_cgroup(text, "name=systemd", &p) == 0 && strcmp(p, "/") == 0, "named hierarchy");
        free(p);
        p = NULL;
        ok(cgroup_parse_proc_cgroup(text, NULL, &p) == 0 && strcmp(p, "/u") == 0, "unified entry");
        free(p);
        p = NULL;
        is_int(cgroup_parse_proc_cgroup(text, "pids", &p), -ENOENT, "absent controller");
        is_int(cgroup_parse_proc_cgroup("4:memory:/a\n", NULL, &p), -ENOENT, "no unified entry");
        is_int(cgroup_parse_proc_cgroup("junk\n::\n", "memory", &p), -ENOENT, "malformed lines");
        ok(p == NULL, "ret untouched on failure");
}

static void
test_paths(void)
{
        ok(cgroup_path_is_valid("/a"), "/a valid");
        ok(cgroup_path_is_valid("/containerctl/abc"), "nested valid");
        ok(!cgroup_path_is_valid("/"), "/ invalid");
        ok(!cgroup_path_is_valid(""), "empty invalid");
        ok(!cgroup_path_is_valid(NULL), "NULL invalid");
        ok(!cgroup_path_is_valid("a/b"), "relative invalid");
        ok(!cgroup_path_is_valid("/a/../b"), ".. invalid");
        ok(!cgroup_path_is_valid("/a/./b"), ". invalid");
        ok(!cgroup_path_is_valid("/a//b"), "empty component invalid");
        ok(!cgroup_path_is_valid("/a/"), "trailing slash invalid");
        ok(!cgroup_path_is_valid("/.."), "/.. invalid");
        is_int(cgroup_create("/../x", NULL), -EINVAL, "create refuses ..");
        is_int(cgroup_destroy("/", NULL), -EINVAL, "destroy refuses /");
}

/* Root only: a real create/enter/destroy round trip under a unique parent. */
static void
test_real(void)
{
        char parent[64], path[128];
        enum cgroup_mode mode;
        _cleanup_free_ char *dir = NULL;
        _cleanup_error_ struct ctr_error *err = NULL;
        struct stat st;
        int64_t t0, t1;
        pid_t pid;
        int status;

        snprintf(parent, sizeof(parent), "/ctltest-%d-cgroup", (int) getpid());
        snprintf(path, sizeof(path), "%s/ctr", parent);
        is_int(cgroup_detect(&mode, &err), 0, "detect");
        printf("# mode %s\n", cgroup_mode_to_string(mode));

        t0 = now_ns();
        is_int(cgroup_create(path, &err), 0, "create (parent too)");
        t1 = now_ns();
        printf("# create with parent: %lld us\n", (long long) (t1 - t0) / 1000);
        if (err)
                printf("# %s\n", err->message);
        is_int(cgroup_create(path, &err), 0, "create again is fine");
        ok(cgroup_hierarchy_dir(path, &dir, &err) == 0 && stat(dir, &st) == 0, "hierarchy dir exists");

        pid = fork();
        if (pid == 0) {
                pause();
                _exit(0);
        }
        t0 = now_ns();
        is_int(cgroup_enter(path, pid, &err), 0, "enter");
        t1 = now_ns();
        printf("# enter: %lld us\n", (long long) (t1 - t0) / 1000);
        if (err)
                printf("# %s\n", err->message);
        {
                char cg[64];
                _cleanup_free_ char *text = NULL, *mem = NULL;
                snprintf(cg, sizeof(cg), "/proc/%d/cgroup", (int) pid);
                if (read_file_full(cg, 65536, &text, NULL, NULL) == 0)
                        printf("# %s", text);
                ok(text && cgroup_parse_proc_cgroup(text, mode == CGROUP_MODE_UNIFIED ? NULL : "memory", &mem) == 0 &&
                           strcmp(mem, path) == 0, "child is in the cgroup");
        }
        /* A sub-cgroup the container could have made must go too. */
        {
                char sub[160];
                snprintf(sub, sizeof(sub), "%s/inner", path);
                is_int(cgroup_create(sub, &err), 0, "create a sub-cgroup");
        }
        t0 = now_ns();
        is_int(cgroup_destroy(path, &err), 0, "destroy kills and removes");
        t1 = now_ns();
        printf("# destroy: %lld us\n", (long long) (t1 - t0) / 1000);
        if (err)
                printf("# %s\n", err->message);
        ok(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
           "member was SIGKILLed");
        ok(stat(dir, &st) < 0 && errno == ENOENT, "cgroup dir gone");
        is_int(cgroup_destroy(path, &err), 0, "destroy of a missing cgroup is success");

        /* Leaf under an already prepared parent: the hot path. */
        t0 = now_ns();
        is_int(cgroup_create(path, &err), 0, "create leaf under existing parent");
        t1 = now_ns();
        printf("# create leaf: %lld us\n", (long long) (t1 - t0) / 1000);
        {
                _cleanup_(cgroup_join_freep) struct cgroup_join *j = NULL;
                _cleanup_free_ char *text = NULL, *mem = NULL, *uni = NULL;
                int pfd[2];
                char cg[64], c;

                is_int(cgroup_join_prepare(path, &j, &err), 0, "join prepare");
                ok(pipe(pfd) == 0, "pipe");
                pid = fork();
                if (pid == 0) {
                        int64_t a = now_ns();
                        int r = cgroup_join_self(j, true, NULL);
                        printf("# join self: %lld us\n", (long long) (now_ns() - a) / 1000);
                        fflush(stdout);
                        c = r == 0 ? 'y' : 'n';
                        if (write(pfd[1], &c, 1) != 1)
                                _exit(1);
                        pause();
                        _exit(0);
                }
                close(pfd[1]);
                ok(read(pfd[0], &c, 1) == 1 && c == 'y', "child joined itself");
                close(pfd[0]);
                snprintf(cg, sizeof(cg), "/proc/%d/cgroup", (int) pid);
                ok(read_file_full(cg, 65536, &text, NULL, NULL) == 0 &&
                           cgroup_parse_proc_cgroup(text, mode == CGROUP_MODE_UNIFIED ? NULL : "cpuset", &mem) == 0 &&
                           strcmp(mem, path) == 0 &&
                           (mode == CGROUP_MODE_LEGACY || (cgroup_parse_proc_cgroup(text, NULL, &uni) == 0 &&
                                                           strcmp(uni, path) == 0)),
                   "self-joined child is in the cgroup everywhere");
                is_int(cgroup_destroy(path, &err), 0, "destroy kills the self-joined child");
                ok(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status), "child killed");
        }
        is_int(cgroup_destroy(path, &err), 0, "destroy empty leaf");
        is_int(cgroup_destroy(parent, &err), 0, "destroy test parent");
        ok(stat(dir, &st) < 0, "nothing left");
        if (err)
                printf("# %s\n", err->message);
}

int
main(void)
{
        test_mountinfo();
        test_proc_cgroup();
        test_paths();
        if (getenv("CTL_TEST_CGROUP_ROOT") && geteuid() == 0)
                test_real();
        return tap_done();
}
