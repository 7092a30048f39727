/* Unit tests for daemon/config.c: defaults, good files, every kind of bad
 * line (the error must name file:line), and flag-style overrides. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "common/error.h"
#include "daemon/config.h"
#include "tests/unit/tap.h"

static void
test_defaults(void)
{
        struct daemon_config c;

        ok(daemon_config_init(&c) == 0, "init");
        is_str(c.cgroup_parent, "/containerctl", "default cgroup parent");
        ok(strstr(c.socket_path, "containerctl/containerctld.sock") != NULL, "default socket");
        is_int(c.log_level, LOG_INFO, "default log level");
        is_int(c.stop_timeout, 10, "default stop timeout");
        daemon_config_clear(&c);
}

static void
test_good(void)
{
        struct daemon_config c;
        struct ctr_error *e = NULL;
        const char *text = "# comment\n"
                           "\n"
                           "socket = /tmp/x.sock\n"
                           "  root=/tmp/root  \n"
                           "run_root =\t/tmp/run\n"
                           "cgroup_parent = /ctl/test\n"
                           "log_level = debug\n"
                           "stop_timeout = 3\r\n";

        daemon_config_init(&c);
        ok(daemon_config_parse(&c, text, "t.conf", &e) == 0, "good file parses");
        is_str(c.socket_path, "/tmp/x.sock", "socket");
        is_str(c.root, "/tmp/root", "root trimmed");
        is_str(c.run_root, "/tmp/run", "run_root with tab");
        is_str(c.cgroup_parent, "/ctl/test", "cgroup_parent");
        is_int(c.log_level, LOG_DEBUG, "log_level");
        is_int(c.stop_timeout, 3, "stop_timeout with CRLF");
        ok(daemon_config_set(&c, "root", "/override", NULL) == 0, "flag override");
        is_str(c.root, "/override", "override wins");
        ctr_error_free(e);
        daemon_config_clear(&c);
}

static void
bad(const char *text, const char *want, const char *name)
{
        struct daemon_config c;
        struct ctr_error *e = NULL;
        int r;

        daemon_config_init(&c);
        r = daemon_config_parse(&c, text, "bad.conf", &e);
        ok(r < 0 && e && strstr(e->message, want), "%s", name);
        if (e && !strstr(e->message, want))
                printf("#   message: %s (want %s)\n", e->message, want);
        ctr_error_free(e);
        daemon_config_clear(&c);
}

static void
test_bad(void)
{
        bad("root = /a\nbogus = 1\n", "bad.conf:2: unknown key 'bogus'", "unknown key");
        bad("\n\njust words\n", "bad.conf:3: expected 'key = value'", "line without =");
        bad("= /x\n", "bad.conf:1: missing key", "missing key");
        bad("root =\n", "bad.conf:1: missing value", "missing value");
        bad("root = relative/path\n", "bad.conf:1: root must be an absolute path", "relative root");
        bad("log_level = loud\n", "bad.conf:1: log_level", "bad log level");
        bad("stop_timeout = -1\n", "bad.conf:1: stop_timeout", "negative timeout");
        bad("stop_timeout = 10s\n", "bad.conf:1: stop_timeout", "timeout with unit");
        bad("stop_timeout = 99999999999999999999\n", "bad.conf:1: stop_timeout", "timeout overflow");
        bad("cgroup_parent = /a/../b\n", "bad.conf:1: cgroup_parent", "cgroup_parent with ..");
        bad("cgroup_parent = rel\n", "bad.conf:1: cgroup_parent", "relative cgroup_parent");
        bad("log_max_size = -1\n", "bad.conf:1: log_max_size", "negative log size");
        bad("log_max_size = 10x\n", "bad.conf:1: log_max_size", "bad log size unit");
        bad("log_max_size = k\n", "bad.conf:1: log_max_size", "log size unit only");
        bad("log_max_size = 99999999999g\n", "bad.conf:1: log_max_size", "log size overflow");
        bad("log_max_files = 0\n", "bad.conf:1: log_max_files", "zero log files");
        bad("log_max_files = 101\n", "bad.conf:1: log_max_files", "too many log files");
}

static void
test_log_keys(void)
{
        struct daemon_config c;
        struct ctr_error *e = NULL;

        daemon_config_init(&c);
        ok(c.log_max_size == 10 * 1024 * 1024 && c.log_max_files == 3, "log defaults 10m, 3");
        ok(daemon_config_parse(&c, "log_max_size = 512k\nlog_max_files = 5\n", "t", &e) == 0 &&
                   c.log_max_size == 512 * 1024 && c.log_max_files == 5,
           "log_max_size 512k, log_max_files 5");
        ok(daemon_config_parse(&c, "log_max_size = 2M\n", "t", &e) == 0 &&
                   c.log_max_size == 2 * 1024 * 1024,
           "log_max_size 2M");
        ok(daemon_config_parse(&c, "log_max_size = 0\n", "t", &e) == 0 && c.log_max_size == 0,
           "log_max_size 0 (unbounded)");
        ok(daemon_config_parse(&c, "log_max_size = 1g\n", "t", &e) == 0 &&
                   c.log_max_size == 1024LL * 1024 * 1024,
           "log_max_size 1g");
        ctr_error_free(e);
        daemon_config_clear(&c);
}

static void
test_load(void)
{
        struct daemon_config c;
        struct ctr_error *e = NULL;
        char path[] = "/tmp/test-config-XXXXXX";
        int fd = mkstemp(path);

        daemon_config_init(&c);
        ok(daemon_config_load(&c, "/nonexistent/containerctld.conf", false, &e) == 0 && !e,
           "missing default file is fine");
        ok(daemon_config_load(&c, "/nonexistent/containerctld.conf", true, &e) == -ENOENT && e,
           "missing explicit file is an error");
        if (e)
                ok(strstr(e->message, "/nonexistent/containerctld.conf") != NULL,
                   "error names the file");
        ctr_error_free(e);
        e = NULL;
        ok(fd >= 0 && write(fd, "stop_timeout = 7\n", 17) == 17, "write temp config");
        close(fd);
        ok(daemon_config_load(&c, path, true, &e) == 0 && c.stop_timeout == 7, "load file");
        unlink(path);
        ctr_error_free(e);
        daemon_config_clear(&c);
}

int
main(void)
{
        test_defaults();
        test_good();
        test_bad();
        test_log_keys();
        test_load();
        return tap_done();
}
