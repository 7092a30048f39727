/* Unit tests for client/args.c: run/create option parsing (the "+"
 * behaviour that keeps the container's own flags), -e, -u, -w and the -v
 * mount spec, --entrypoint/--stop-signal/--label, the container.create
 * params built from them, `image import|history|prune` arguments, the
 * networking arguments (-p, --network, --network-alias, `network create`)
 * and the option sets the commands share. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "client/args.h"
#include "common/macros.h"
#include "tests/unit/tap.h"

#define ARGC(a) ((int) (sizeof(a) / sizeof((a)[0])) - 1)

static int
parse(char **argv, int argc, bool run, struct create_opts *o, char **ret_msg)
{
        struct ctr_error *err = NULL;
        int r = args_parse_create(argc, argv, run, o, &err);

        *ret_msg = err ? strdup(err->message) : NULL;
        ctr_error_free(err);
        return r;
}

static void
bad(char **argv, int argc, bool run, const char *needle, const char *name)
{
        struct create_opts o = {};
        char *msg = NULL;
        int r = parse(argv, argc, run, &o, &msg);

        ok(r == -EINVAL && msg && strstr(msg, needle), "%s: %s", name, msg ? msg : "(none)");
        free(msg);
}

static void
test_run_args(void)
{
        char *a1[] = { "run", "busybox", "ls", "-l", NULL };
        char *a2[] = { "run", "-d", "--rm", "--name", "web", "-e", "A=1", "--env", "B=two words",
                       "-w", "/tmp", "-u", "1000:1000", "--hostname", "h1", "-v", "/tmp:/data:ro",
                       "--volume", "/:/host", "img:tag", "sh", "-c", "echo $A", NULL };
        char *a3[] = { "run", "--", "busybox", "-x", NULL };
        char *a4[] = { "run", "-d", NULL };
        char *a5[] = { "run", "--bogus", "busybox", NULL };
        char *a6[] = { "run", "-e", NULL };
        char *a7[] = { "create", "-d", "busybox", NULL };
        char *a8[] = { "run", "-w", "relative", "busybox", NULL };
        char *a9[] = { "run", "-e", "=x", "busybox", NULL };
        char *a10[] = { "run", "-e", "CTL_TEST_UNSET_VAR", "-e", "CTL_TEST_SET_VAR", "busybox", NULL };
        char *a11[] = { "run", "-v", "rel:/x", "busybox", NULL };
        char *a12[] = { "run", "-u", "", "busybox", NULL };
        char *a13[] = { "run", "busybox", "--rm", "-d", NULL };
        struct create_opts o;
        char *msg = NULL;

        ok(parse(a1, ARGC(a1), true, &o, &msg) == 0, "run busybox ls -l");
        is_str(o.image, "busybox", "image");
        is_int(o.n_command, 2, "two command words");
        is_str(o.command[0], "ls", "command");
        is_str(o.command[1], "-l", "-l kept for the container");
        ok(!o.detach && !o.auto_remove && !o.name, "defaults");
        create_opts_done(&o);

        ok(parse(a2, ARGC(a2), true, &o, &msg) == 0, "all options");
        ok(o.detach && o.auto_remove, "-d --rm");
        is_str(o.name, "web", "--name");
        is_int(o.n_env, 2, "two -e");
        is_str(o.env[1], "B=two words", "--env value kept whole");
        is_str(o.workdir, "/tmp", "-w");
        is_str(o.user, "1000:1000", "-u");
        is_str(o.hostname, "h1", "--hostname");
        is_int(o.n_mounts, 2, "two -v");
        ok(o.mounts[0].readonly && !o.mounts[1].readonly, "ro and default rw");
        is_str(o.mounts[1].destination, "/host", "mount destination");
        is_str(o.image, "img:tag", "image with tag");
        is_int(o.n_command, 3, "sh -c 'echo $A'");
        is_str(o.command[1], "-c", "-c kept for the container");
        {
                struct ctr_error *err = NULL;
                json_t *p = create_opts_to_params(&o, &err);
                json_t *m;

                ok(p != NULL, "params built");
                is_str(json_string_value(json_object_get(p, "image")), "img:tag", "params image");
                is_str(json_string_value(json_object_get(p, "name")), "web", "params name");
                ok(json_is_true(json_object_get(p, "auto_remove")), "params auto_remove");
                is_int(json_array_size(json_object_get(p, "command")), 3, "params command");
                is_int(json_array_size(json_object_get(p, "env")), 2, "params env");
                m = json_array_get(json_object_get(p, "mounts"), 0);
                is_str(json_string_value(json_object_get(m, "source")), "/tmp", "mount source");
                ok(json_is_true(json_object_get(m, "readonly")), "mount readonly");
                ok(!json_object_get(p, "detach"), "detach is client-side only");
                json_decref(p);
                ctr_error_free(err);
        }
        create_opts_done(&o);

        ok(parse(a3, ARGC(a3), true, &o, &msg) == 0 && strcmp(o.image, "busybox") == 0 &&
                   o.n_command == 1 && strcmp(o.command[0], "-x") == 0,
           "-- ends options");
        create_opts_done(&o);

        bad(a4, ARGC(a4), true, "image", "missing image");
        bad(a5, ARGC(a5), true, "--bogus", "unknown long option");
        bad(a6, ARGC(a6), true, "argument", "-e without argument");
        bad(a7, ARGC(a7), false, "-d", "create has no -d");
        bad(a8, ARGC(a8), true, "absolute", "relative workdir");
        bad(a9, ARGC(a9), true, "=x", "empty env name");
        unsetenv("CTL_TEST_UNSET_VAR");
        setenv("CTL_TEST_SET_VAR", "v", 1);
        ok(parse(a10, ARGC(a10), true, &o, &msg) == 0 && o.n_env == 1 &&
                   strcmp(o.env[0], "CTL_TEST_SET_VAR=v") == 0,
           "-e NAME takes our value, skipped if unset");
        create_opts_done(&o);
        bad(a11, ARGC(a11), true, "named volume", "named volume rejected");
        bad(a12, ARGC(a12), true, "user", "empty user");
        ok(parse(a13, ARGC(a13), true, &o, &msg) == 0 && !o.detach && !o.auto_remove &&
                   o.n_command == 2,
           "options after the image belong to the container");
        create_opts_done(&o);
}

static void
test_mount_spec(void)
{
        static const char *const bad[] = {
                "/a", "/a:", ":/b", "/a:b", "/a:/b:", "/a:/b:rx", "/a:/b:ro:x", "::", "a:/b",
                "", "/a::ro",
        };
        struct mount_spec m = {};
        struct ctr_error *err = NULL;

        ok(args_parse_mount("/src:/dst", &m, &err) == 0 && !m.readonly &&
                   strcmp(m.source, "/src") == 0 && strcmp(m.destination, "/dst") == 0,
           "SRC:DST");
        mount_spec_done(&m);
        ok(args_parse_mount("/src:/dst:ro", &m, &err) == 0 && m.readonly, "SRC:DST:ro");
        mount_spec_done(&m);
        ok(args_parse_mount("./rel:/dst:rw", &m, &err) == 0 && !m.readonly, "./rel:DST:rw");
        mount_spec_done(&m);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                int r = args_parse_mount(bad[i], &m, &err);

                ok(r == -EINVAL && err, "bad spec '%s': %s", bad[i],
                   err ? err->message : "(no error)");
                ctr_error_free(err);
                err = NULL;
        }
        {
                struct create_opts o = { .image = "x" };
                struct mount_spec ms = { .source = (char *) "/nonexistent-ctl-test",
                                         .destination = (char *) "/d" };
                json_t *p;

                o.mounts = &ms;
                o.n_mounts = 1;
                p = create_opts_to_params(&o, &err);
                ok(!p && err && strstr(err->message, "/nonexistent-ctl-test"),
                   "missing source reported: %s", err ? err->message : "");
                ctr_error_free(err);
        }
}

static void
test_console_args(void)
{
        char *a1[] = { "run", "-it", "--detach-keys", "ctrl-a,d", "--log-opt", "max-size=10m",
                       "--log-opt", "max-file=5", "busybox", "sh", NULL };
        char *a2[] = { "create", "-t", "busybox", NULL };
        char *a3[] = { "run", "--log-opt", "max-size=lots", "busybox", NULL };
        char *a4[] = { "run", "--log-opt", "max-file=0", "busybox", NULL };
        char *a5[] = { "run", "--log-opt", "colour=blue", "busybox", NULL };
        char *a6[] = { "run", "--log-opt", "max-size=0", "busybox", NULL };
        struct create_opts o;
        char *msg = NULL, *v = NULL;
        json_t *p;
        int64_t n;

        ok(parse(a1, ARGC(a1), true, &o, &msg) == 0, "run -it --detach-keys --log-opt");
        ok(o.interactive && o.tty, "-it sets interactive and tty");
        is_str(o.detach_keys, "ctrl-a,d", "--detach-keys kept");
        ok(o.has_log_max_size && o.log_max_size == 10 * 1024 * 1024, "max-size=10m");
        ok(o.has_log_max_files && o.log_max_files == 5, "max-file=5");
        p = create_opts_to_params(&o, NULL);
        ok(p && json_is_true(json_object_get(p, "tty")) &&
           json_is_true(json_object_get(p, "open_stdin")), "params tty and open_stdin");
        is_int(json_integer_value(json_object_get(p, "log_max_size")), 10 * 1024 * 1024,
               "params log_max_size");
        is_int(json_integer_value(json_object_get(p, "log_max_files")), 5, "params log_max_files");
        json_decref(p);
        create_opts_done(&o);

        ok(parse(a2, ARGC(a2), false, &o, &msg) == 0 && o.tty && !o.interactive, "create -t");
        p = create_opts_to_params(&o, NULL);
        ok(p && !json_object_get(p, "open_stdin") && !json_object_get(p, "log_max_size"),
           "no open_stdin or log params unless asked");
        json_decref(p);
        create_opts_done(&o);

        bad(a3, ARGC(a3), true, "invalid --log-opt max-size 'lots'", "bad max-size");
        bad(a4, ARGC(a4), true, "invalid --log-opt max-file '0'", "max-file 0");
        bad(a5, ARGC(a5), true, "invalid --log-opt 'colour=blue'", "unknown log opt");
        ok(parse(a6, ARGC(a6), true, &o, &msg) == 0 && o.has_log_max_size && o.log_max_size == 0,
           "max-size=0 is unbounded");
        create_opts_done(&o);

        ok(args_parse_size("512", &n) == 0 && n == 512, "size 512");
        ok(args_parse_size("4k", &n) == 0 && n == 4096, "size 4k");
        ok(args_parse_size("2MB", &n) == 0 && n == 2 * 1024 * 1024, "size 2MB");
        ok(args_parse_size("1g", &n) == 0 && n == 1024 * 1024 * 1024, "size 1g");
        ok(args_parse_size("", &n) < 0 && args_parse_size("k", &n) < 0 &&
           args_parse_size("-1", &n) < 0 && args_parse_size("1x", &n) < 0 &&
           args_parse_size("99999999999999999g", &n) < 0, "bad sizes rejected");

        ok(args_parse_log_time("10m", 1000000, &v) == 0, "since 10m");
        is_str(v, "999400", "10m before now");
        free(v);
        ok(args_parse_log_time("1h30m", 1000000, &v) == 0, "since 1h30m");
        is_str(v, "994600", "1h30m before now");
        free(v);
        ok(args_parse_log_time("1.5h", 1000000, &v) == 0, "since 1.5h");
        is_str(v, "994600", "1.5h before now");
        free(v);
        ok(args_parse_log_time("2026-01-02T03:04:05Z", 0, &v) == 0, "RFC 3339 passed on");
        is_str(v, "2026-01-02T03:04:05Z", "unchanged");
        free(v);
        ok(args_parse_log_time("1700000000", 0, &v) == 0, "unix seconds passed on");
        is_str(v, "1700000000", "unchanged");
        free(v);
        ok(args_parse_log_time("", 0, &v) == -EINVAL, "empty time rejected");
}

/* --entrypoint, --stop-signal and --label/-l, and the params they give. */
static void
test_image_config_args(void)
{
        char *a1[] = { "run", "--entrypoint", "/bin/sh", "--stop-signal", "quit", "-l", "a=1",
                       "--label", "b=x=y", "--label", "a=2", "-l", "empty=", "busybox", "-c",
                       "echo", NULL };
        char *a2[] = { "create", "--entrypoint", "", "--stop-signal", "9", "busybox", NULL };
        char *a3[] = { "run", "busybox", NULL };
        char *a4[] = { "run", "--label", "novalue", "busybox", NULL };
        char *a5[] = { "run", "-l", "=v", "busybox", NULL };
        char *a6[] = { "run", "--stop-signal", "SIGNOPE", "busybox", NULL };
        char *a7[] = { "run", "--stop-signal", "", "busybox", NULL };
        char *a8[] = { "run", "--label", "k=\xff", "busybox", NULL };
        char *a9[] = { "run", "--entrypoint", NULL };
        char *a10[] = { "run", "--stop-signal", "40", "busybox", NULL };
        struct create_opts o;
        char *msg = NULL;
        json_t *p, *l, *want;

        ok(parse(a1, ARGC(a1), true, &o, &msg) == 0, "run --entrypoint --stop-signal --label");
        p = create_opts_to_params(&o, NULL);
        l = json_object_get(p, "labels");
        want = json_pack("[s]", "/bin/sh");
        ok(p && json_equal(json_object_get(p, "entrypoint"), want), "--entrypoint /bin/sh: one word");
        json_decref(want);
        is_str(json_string_value(json_object_get(p, "stop_signal")), "SIGQUIT",
               "--stop-signal quit sent as SIGQUIT");
        is_int(json_object_size(l), 3, "three labels");
        is_str(json_string_value(json_object_get(l, "a")), "2", "a later label wins");
        is_str(json_string_value(json_object_get(l, "b")), "x=y", "the value keeps its '='");
        is_str(json_string_value(json_object_get(l, "empty")), "", "an empty value is fine");
        want = json_pack("[s, s]", "-c", "echo");
        ok(json_equal(json_object_get(p, "command"), want),
           "the command stays the arguments after the image");
        json_decref(want);
        json_decref(p);
        create_opts_done(&o);

        ok(parse(a2, ARGC(a2), false, &o, &msg) == 0, "create --entrypoint ''");
        p = create_opts_to_params(&o, NULL);
        l = json_object_get(p, "entrypoint");
        ok(json_is_array(l) && json_array_size(l) == 0, "--entrypoint '' clears: []");
        is_str(json_string_value(json_object_get(p, "stop_signal")), "SIGKILL", "--stop-signal 9");
        ok(!json_object_get(p, "labels"), "no labels");
        json_decref(p);
        create_opts_done(&o);

        ok(parse(a3, ARGC(a3), true, &o, &msg) == 0, "run without them");
        p = create_opts_to_params(&o, NULL);
        ok(p && !json_object_get(p, "entrypoint") && !json_object_get(p, "stop_signal") &&
                   !json_object_get(p, "labels"),
           "no entrypoint, stop_signal or labels unless given");
        json_decref(p);
        create_opts_done(&o);

        bad(a4, ARGC(a4), true, "invalid label 'novalue': expected KEY=VALUE", "label without =");
        bad(a5, ARGC(a5), true, "invalid label '=v': the key is empty", "label with empty key");
        bad(a6, ARGC(a6), true, "invalid stop signal 'SIGNOPE'", "unknown stop signal");
        bad(a7, ARGC(a7), true, "invalid stop signal ''", "empty stop signal");
        bad(a8, ARGC(a8), true, "not valid UTF-8", "label not UTF-8");
        bad(a9, ARGC(a9), true, "option '--entrypoint' needs an argument", "--entrypoint alone");
        ok(parse(a10, ARGC(a10), true, &o, &msg) == 0 &&
                   strspn(o.stop_signal, "0123456789") == strlen(o.stop_signal),
           "a signal without a name is sent as its number: %s", o.stop_signal);
        create_opts_done(&o);
}

static void
import_ok(char **argv, int argc, const char *path, const char *name, const char *tag, bool all,
          bool quiet, const char *what)
{
        struct args_import o = {};
        struct ctr_error *err = NULL;
        int r = args_parse_import(argc, argv, &o, &err);

        ok(r == 0 && strcmp(o.path, path) == 0 &&
                   (name ? o.name && strcmp(o.name, name) == 0 : !o.name) &&
                   (tag ? o.tag && strcmp(o.tag, tag) == 0 : !o.tag) && o.all == all &&
                   o.quiet == quiet,
           "%s", what);
        if (err)
                printf("#   %s\n", err->message);
        ctr_error_free(err);
        args_import_done(&o);
}

static void
import_bad(char **argv, int argc, const char *needle)
{
        struct args_import o = {};
        struct ctr_error *err = NULL;
        int r = args_parse_import(argc, argv, &o, &err);

        ok(r == -EINVAL && err && strstr(err->message, needle), "import refused: %s",
           err ? err->message : "(none)");
        ctr_error_free(err);
        args_import_done(&o);
}

static void
test_import_args(void)
{
        char *i1[] = { "image import", "a.tar", NULL };
        char *i2[] = { "image import", "a.tar", "alpine:3", NULL };
        char *i3[] = { "image import", "dir", "--all", "-q", NULL };
        char *i4[] = { "image import", "--quiet", "dir", "repo", "--all", NULL };
        char *i5[] = { "image import", "a.tar", "localhost:5000/x", NULL };
        char *i6[] = { "image import", "a.tar", "localhost:5000/x:1", NULL };
        char *i7[] = { "image import", NULL };
        char *i8[] = { "image import", "a", "b", "c", NULL };
        char *i9[] = { "image import", "a.tar", "x:", NULL };
        char *i10[] = { "image import", "a.tar", ":1", NULL };
        char *i11[] = { "image import", "dir", "repo:1", "--all", NULL };
        char *i12[] = { "image import", "--bogus", "a.tar", NULL };
        char *i13[] = { "image import", "", NULL };
        char *i14[] = { "image import", "--", "-weird.tar", NULL };
        char *i15[] = { "image import", "-h", NULL };
        char *h1[] = { "image history", "--no-trunc", "busybox", NULL };
        char *h2[] = { "image history", NULL };
        char *h3[] = { "image history", "a", "b", NULL };
        char *p1[] = { "image prune", "-f", "--json", NULL };
        char *p2[] = { "image prune", "x", NULL };
        struct args_import io = {};
        struct args_history ho;
        struct ctr_error *err = NULL;
        bool json;

        import_ok(i1, ARGC(i1), "a.tar", NULL, NULL, false, false, "import PATH: no name");
        import_ok(i2, ARGC(i2), "a.tar", "alpine", "3", false, false, "import PATH NAME:TAG");
        import_ok(i3, ARGC(i3), "dir", NULL, NULL, true, true, "import PATH --all -q");
        import_ok(i4, ARGC(i4), "dir", "repo", NULL, true, true, "options anywhere, NAME with --all");
        import_ok(i5, ARGC(i5), "a.tar", "localhost:5000/x", NULL, false, false,
                  "a registry port is not a tag");
        import_ok(i6, ARGC(i6), "a.tar", "localhost:5000/x", "1", false, false,
                  "registry:port/name:tag");
        import_ok(i14, ARGC(i14), "-weird.tar", NULL, NULL, false, false, "-- before a path");
        import_bad(i7, ARGC(i7), "image import requires 1 or 2 arguments: PATH [NAME[:TAG]]");
        import_bad(i8, ARGC(i8), "requires 1 or 2 arguments");
        import_bad(i9, ARGC(i9), "invalid image name 'x:'");
        import_bad(i10, ARGC(i10), "invalid image name ':1'");
        import_bad(i11, ARGC(i11), "with --all, NAME is a repository without a tag");
        import_bad(i12, ARGC(i12), "image import: unknown option '--bogus'");
        import_bad(i13, ARGC(i13), "the path is empty");
        ok(args_parse_import(ARGC(i15), i15, &io, &err) == 1, "import -h");

        ok(args_parse_history(ARGC(h1), h1, &ho, &err) == 0 && ho.no_trunc && !ho.json &&
                   strcmp(h1[optind], "busybox") == 0,
           "history --no-trunc IMAGE");
        ok(args_parse_history(ARGC(h2), h2, &ho, &err) == -EINVAL && err &&
                   strcmp(err->message, "image history requires exactly 1 argument (an image)") == 0,
           "history needs an image: %s", err ? err->message : "(none)");
        ctr_error_free(TAKE_PTR(err));
        ok(args_parse_history(ARGC(h3), h3, &ho, &err) == -EINVAL, "history takes one image");
        ctr_error_free(TAKE_PTR(err));
        ok(args_parse_prune(ARGC(p1), p1, &json, &err) == 0 && json, "prune -f --json");
        ok(args_parse_prune(ARGC(p2), p2, &json, &err) == -EINVAL && err &&
                   strcmp(err->message, "image prune takes no arguments") == 0,
           "prune takes no arguments: %s", err ? err->message : "(none)");
        ctr_error_free(TAKE_PTR(err));
}

/* The shared option sets: args_parse_targets, args_parse_list,
 * args_parse_attach and the getopt messages of args_option_error. */
static void
test_shared_options(void)
{
        char *k1[] = { "kill", "-s", "TERM", "a", "b", NULL };
        char *k2[] = { "kill", "--signal", "NOPE", "a", NULL };
        char *k3[] = { "kill", "-f", "a", NULL };
        char *k4[] = { "kill", NULL };
        char *r1[] = { "rm", "--force", "a", NULL };
        char *r2[] = { "rm", "--signal", "9", "a", NULL };
        char *w1[] = { "wait", "-x", NULL };
        char *w2[] = { "wait", "--help", NULL };
        char *l1[] = { "ps", "-a", "-q", "--json", NULL };
        char *l2[] = { "ls", "-a", NULL };
        char *l3[] = { "ls", "--all", NULL };
        char *a1[] = { "attach", "--no-stdin", "--detach-keys", "ctrl-x", "c", NULL };
        char *a2[] = { "attach", "c", "d", NULL };
        char *a3[] = { "attach", "--detach-keys", NULL };
        struct ctr_error *err = NULL;
        struct args_list lo;
        struct args_attach ao;
        json_t *extra = json_object();

        ok(args_parse_targets(ARGC(k1), k1, "kill", ARGS_OPT_SIGNAL, "a container", extra, &err) == 0 &&
                   optind == 3 && json_integer_value(json_object_get(extra, "signal")) == 15,
           "kill -s TERM: signal 15, targets from argv[3]");
        ok(args_parse_targets(ARGC(k2), k2, "exec kill", ARGS_OPT_SIGNAL, "an exec id", extra, &err) ==
                           -EINVAL && err && strcmp(err->message, "exec kill: invalid signal 'NOPE'") == 0,
           "bad signal: %s", err ? err->message : "(none)");
        ctr_error_free(TAKE_PTR(err));
        ok(args_parse_targets(ARGC(k3), k3, "kill", ARGS_OPT_SIGNAL, "a container", extra, &err) ==
                           -EINVAL && err && strcmp(err->message, "kill: unknown option -f") == 0,
           "kill has no -f: %s", err ? err->message : "(none)");
        ctr_error_free(TAKE_PTR(err));
        ok(args_parse_targets(ARGC(k4), k4, "kill", ARGS_OPT_SIGNAL, "a container", extra, &err) ==
                           -EINVAL && err &&
                   strcmp(err->message, "kill requires at least 1 argument (a container)") == 0,
           "no target: %s", err ? err->message : "(none)");
        ctr_error_free(TAKE_PTR(err));
        json_decref(extra);

        extra = json_object();
        ok(args_parse_targets(ARGC(r1), r1, "rm", ARGS_OPT_FORCE, "a container", extra, &err) == 0 &&
                   optind == 2 && json_is_true(json_object_get(extra, "force")),
           "rm --force");
        ok(args_parse_targets(ARGC(r2), r2, "rm", ARGS_OPT_FORCE, "a container", extra, &err) ==
                           -EINVAL && err && strcmp(err->message, "rm: unknown option '--signal'") == 0,
           "rm has no --signal: %s", err ? err->message : "(none)");
        ctr_error_free(TAKE_PTR(err));
        json_decref(extra);

        ok(args_parse_targets(ARGC(w1), w1, "wait", ARGS_NO_OPTION, "a container", NULL, &err) == 0 &&
                   optind == 1, "no options: -x is a target");
        ok(args_parse_targets(ARGC(w2), w2, "wait", ARGS_NO_OPTION, "a container", NULL, &err) == 1,
           "no options: --help first is help");

        ok(args_parse_list(ARGC(l1), l1, true, &lo, &err) == 0 && lo.all && lo.quiet && lo.json &&
                   optind == 4, "ps -a -q --json");
        ok(args_parse_list(ARGC(l2), l2, false, &lo, &err) == -EINVAL && err &&
                   strcmp(err->message, "ls: unknown option -a") == 0,
           "-a only with_all: %s", err ? err->message : "(none)");
        ctr_error_free(TAKE_PTR(err));
        ok(args_parse_list(ARGC(l3), l3, false, &lo, &err) == -EINVAL, "--all only with_all");
        ctr_error_free(TAKE_PTR(err));

        ok(args_parse_attach(ARGC(a1), a1, "attach", "a container", &ao, &err) == 0 && ao.no_stdin &&
                   ao.detach_keys && strcmp(ao.detach_keys, "ctrl-x") == 0 && optind == 4,
           "attach --no-stdin --detach-keys");
        ok(args_parse_attach(ARGC(a2), a2, "exec attach", "an exec id", &ao, &err) == -EINVAL && err &&
                   strcmp(err->message, "exec attach requires exactly 1 argument (an exec id)") == 0,
           "attach takes one: %s", err ? err->message : "(none)");
        ctr_error_free(TAKE_PTR(err));
        ok(args_parse_attach(ARGC(a3), a3, "attach", "a container", &ao, &err) == -EINVAL && err &&
                   strcmp(err->message, "attach: option '--detach-keys' needs an argument") == 0,
           "missing argument: %s", err ? err->message : "(none)");
        ctr_error_free(TAKE_PTR(err));
}

static void
publish_ok(const char *spec, const char *ip, unsigned host, unsigned ctr, bool udp)
{
        struct publish_spec p = {};
        struct ctr_error *err = NULL;
        int r = args_parse_publish(spec, &p, &err);

        ok(r == 0 && strcmp(p.host_ip, ip) == 0 && p.host_port == host &&
                   p.container_port == ctr && p.udp == udp,
           "-p %s: '%s' %u %u %s", spec, p.host_ip, (unsigned) p.host_port,
           (unsigned) p.container_port, p.udp ? "udp" : "tcp");
        if (err)
                printf("#   %s\n", err->message);
        ctr_error_free(err);
}

/* want is the whole message. */
static void
publish_bad(const char *spec, const char *want)
{
        struct publish_spec p = {};
        struct ctr_error *err = NULL;
        int r = args_parse_publish(spec, &p, &err);

        ok(r == -EINVAL && err && strcmp(err->message, want) == 0, "-p '%s' refused", spec);
        if (!err || strcmp(err->message, want) != 0)
                printf("#   got '%s'\n#  want '%s'\n", err ? err->message : "(none)", want);
        ctr_error_free(err);
}

static void
test_publish_specs(void)
{
        char long_spec[80];
        struct publish_spec ps[2] = {};
        json_t *j, *want;

        publish_ok("80", "", 0, 80, false);
        publish_ok("8080:80", "", 8080, 80, false);
        publish_ok("127.0.0.1:8080:80/udp", "127.0.0.1", 8080, 80, true);
        publish_ok("127.0.0.1::80", "127.0.0.1", 0, 80, false);
        publish_ok("0.0.0.0:9000:90/UDP", "", 9000, 90, true);
        publish_ok("10.0.0.1:65535:1/tcp", "10.0.0.1", 65535, 1, false);
        publish_ok("0:80", "", 0, 80, false);
        publish_ok("00080:0080", "", 80, 80, false);

        publish_bad("", "port spec is empty (expected [IP:][HOSTPORT:]CTRPORT[/tcp|udp])");
        publish_bad("8080:99999",
                    "port spec `8080:99999`: container port 99999 is out of range (1-65535)");
        publish_bad("70000:80", "port spec `70000:80`: host port 70000 is out of range (0-65535)");
        publish_bad("0", "port spec `0`: container port 0 is out of range (1-65535)");
        publish_bad("99999999999999999999",
                    "port spec `99999999999999999999`: container port 99999999999999999999 is out "
                    "of range (1-65535)");
        publish_bad("80/sctp", "port spec `80/sctp`: unknown protocol `sctp` (tcp or udp)");
        publish_bad("80/", "port spec `80/`: unknown protocol `` (tcp or udp)");
        publish_bad("80/tcp/udp", "port spec `80/tcp/udp`: unknown protocol `tcp/udp` (tcp or udp)");
        publish_bad("1:2:3:4",
                    "port spec `1:2:3:4`: too many `:` (expected [IP:][HOSTPORT:]CTRPORT)");
        publish_bad("[::1]:80:80", "port spec `[::1]:80:80`: IPv6 host addresses are not supported");
        publish_bad("::80", "port spec `::80`: the host IP is empty");
        publish_bad(":80", "port spec `:80`: the host port is empty");
        publish_bad("8080:", "port spec `8080:`: the container port is missing");
        publish_bad("/udp", "port spec `/udp`: the container port is missing");
        publish_bad("1.2.3:80:80", "port spec `1.2.3:80:80`: `1.2.3` is not an IPv4 address");
        publish_bad("localhost:80:80",
                    "port spec `localhost:80:80`: `localhost` is not an IPv4 address");
        publish_bad("127.0.0.1:80",
                    "port spec `127.0.0.1:80`: host port `127.0.0.1` is not a number (a host "
                    "address needs IP:HOSTPORT:CTRPORT or IP::CTRPORT)");
        publish_bad("8000-8010:80",
                    "port spec `8000-8010:80`: host port `8000-8010` is not a number (port "
                    "ranges are not supported: one -p per port)");
        publish_bad("http", "port spec `http`: container port `http` is not a number");
        publish_bad("-80", "port spec `-80`: container port `-80` is not a number");
        publish_bad("+80", "port spec `+80`: container port `+80` is not a number");
        publish_bad(" 80", "port spec ` 80`: container port ` 80` is not a number");
        memset(long_spec, '1', 65);
        long_spec[65] = '\0';
        publish_bad(long_spec, "port spec `1111111111111111111111111111111111111111111111111111"
                               "111111111111...` is too long");

        ok(args_parse_publish("127.0.0.1:8080:80", &ps[0], NULL) == 0 &&
                   args_parse_publish("9000:90/udp", &ps[1], NULL) == 0,
           "two specs");
        j = publish_specs_to_json(ps, 2);
        want = json_pack("[{s:s, s:i, s:i, s:s}, {s:s, s:i, s:i, s:s}]", "host_ip", "127.0.0.1",
                         "host_port", 8080, "container_port", 80, "protocol", "tcp", "host_ip", "",
                         "host_port", 9000, "container_port", 90, "protocol", "udp");
        ok(j && json_equal(j, want), "the API's ports array");
        json_decref(j);
        json_decref(want);
        j = publish_specs_to_json(NULL, 0);
        ok(json_is_array(j) && json_array_size(j) == 0, "no ports: []");
        json_decref(j);

        /* Collisions: the same host socket, the wildcard overlapping all. */
        {
                static const struct {
                        const char *a, *b;
                        bool collide;
                } cases[] = {
                        { "8080:80", "8080:81", true },
                        { "8080:80", "127.0.0.1:8080:81", true },
                        { "127.0.0.1:8080:80", "8080:81", true },
                        { "127.0.0.1:8080:80", "127.0.0.2:8080:80", false },
                        { "8080:80", "8080:80/udp", false },
                        { "80", "80", false },
                        { "127.0.0.1::80", "127.0.0.1::81", false },
                };

                for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                        args_parse_publish(cases[i].a, &ps[0], NULL);
                        args_parse_publish(cases[i].b, &ps[1], NULL);
                        ok(publish_specs_collide(&ps[0], &ps[1]) == cases[i].collide &&
                                   publish_specs_collide(&ps[1], &ps[0]) == cases[i].collide,
                           "%s and %s %s", cases[i].a, cases[i].b,
                           cases[i].collide ? "collide" : "do not collide");
                }
        }
}

static void
test_network_args(void)
{
        char *a1[] = { "run", "-p", "8080:80", "--publish", "127.0.0.1::90/udp", "--network",
                       "backend", "--network-alias", "web", "--network-alias", "www", "busybox",
                       "-p", "1", NULL };
        char *a2[] = { "run", "-p", "80", "--network", "none", "busybox", NULL };
        char *a3[] = { "create", "--network", "host", "-p", "80", "busybox", NULL };
        char *a4[] = { "run", "--network", "container:web", "--publish", "80", "busybox", NULL };
        char *a5[] = { "run", "--network", "container:", "busybox", NULL };
        char *a6[] = { "run", "--network", "none", "--network-alias", "x", "busybox", NULL };
        char *a7[] = { "run", "-p", "8080:80", "-p", "127.0.0.1:8080:81", "busybox", NULL };
        char *a8[] = { "run", "-p", "8080:80", "-p", "8080:80/udp", "-p", "80", "-p", "80",
                       "busybox", NULL };
        char *a9[] = { "run", "--network", "", "busybox", NULL };
        char *a10[] = { "run", "--network-alias", "not valid", "busybox", NULL };
        char *a11[] = { "run", "-p", "70000:80", "busybox", NULL };
        char *a12[] = { "run", "busybox", NULL };
        char *a13[] = { "run", "--net", "host", "--network", "container:db", "busybox", NULL };
        char *a14[] = { "run", "-p", NULL };
        char *a15[] = { "create", "--network", "bridge", "-p", "80", "busybox", NULL };
        struct create_opts o;
        char *msg = NULL;
        json_t *p, *want;

        ok(parse(a1, ARGC(a1), true, &o, &msg) == 0, "run -p --publish --network --network-alias");
        is_int(o.n_ports, 2, "two ports (the -p after the image is the container's)");
        is_int(o.n_command, 2, "-p 1 kept for the container");
        p = create_opts_to_params(&o, NULL);
        is_str(json_string_value(json_object_get(p, "network")), "backend", "params network");
        want = json_pack("[{s:s, s:i, s:i, s:s}, {s:s, s:i, s:i, s:s}]", "host_ip", "",
                         "host_port", 8080, "container_port", 80, "protocol", "tcp", "host_ip",
                         "127.0.0.1", "host_port", 0, "container_port", 90, "protocol", "udp");
        ok(json_equal(json_object_get(p, "ports"), want), "params ports");
        json_decref(want);
        want = json_pack("[s, s]", "web", "www");
        ok(json_equal(json_object_get(p, "network_aliases"), want), "params network_aliases");
        json_decref(want);
        json_decref(p);
        create_opts_done(&o);

        bad(a2, ARGC(a2), true,
            "-p/--publish cannot be used with --network none (the container has only lo)",
            "-p with --network none");
        bad(a3, ARGC(a3), false,
            "-p/--publish cannot be used with --network host (the container uses the host's "
            "ports directly)", "-p after --network host");
        bad(a4, ARGC(a4), true,
            "-p/--publish cannot be used with --network container:web (it shares the other "
            "container's network: publish there)", "-p with --network container:");
        bad(a5, ARGC(a5), true, "--network container:NAME needs the name or id of a running container",
            "container: without a name");
        bad(a6, ARGC(a6), true, "--network-alias cannot be used with --network none",
            "alias with --network none");
        bad(a7, ARGC(a7), true,
            "port spec `127.0.0.1:8080:81`: host port 127.0.0.1:8080/tcp is published twice",
            "the same host port twice");
        ok(parse(a8, ARGC(a8), true, &o, &msg) == 0 && o.n_ports == 4,
           "tcp and udp on one port, and two any-ports, are fine");
        create_opts_done(&o);
        bad(a9, ARGC(a9), true, "--network needs a value", "empty --network");
        bad(a10, ARGC(a10), true, "invalid network alias 'not valid'", "bad alias");
        bad(a11, ARGC(a11), true, "port spec `70000:80`: host port 70000 is out of range",
            "bad -p in run");
        bad(a14, ARGC(a14), true, "run: option '-p' needs an argument", "-p without a value");

        ok(parse(a12, ARGC(a12), true, &o, &msg) == 0, "run without network options");
        p = create_opts_to_params(&o, NULL);
        ok(p && !json_object_get(p, "network") && !json_object_get(p, "ports") &&
                   !json_object_get(p, "network_aliases"),
           "no network, ports or network_aliases unless given");
        json_decref(p);
        create_opts_done(&o);

        ok(parse(a13, ARGC(a13), true, &o, &msg) == 0, "--net, then --network: the last wins");
        p = create_opts_to_params(&o, NULL);
        is_str(json_string_value(json_object_get(p, "network")), "container:db", "params network");
        json_decref(p);
        create_opts_done(&o);
        ok(parse(a15, ARGC(a15), false, &o, &msg) == 0 && o.n_ports == 1,
           "-p with --network bridge");
        create_opts_done(&o);

        is_int(args_network_mode(NULL, NULL), NETWORK_MODE_DEFAULT, "mode: not given");
        is_int(args_network_mode("bridge", NULL), NETWORK_MODE_BRIDGE, "mode: bridge");
        is_int(args_network_mode("backend", NULL), NETWORK_MODE_BRIDGE, "mode: a network's name");
        is_int(args_network_mode("none", NULL), NETWORK_MODE_NONE, "mode: none");
        is_int(args_network_mode("host", NULL), NETWORK_MODE_HOST, "mode: host");
        is_int(args_network_mode("container:x", NULL), NETWORK_MODE_CONTAINER, "mode: container");
        {
                char longest[64], too_long[65];

                memset(longest, 'a', 63);
                longest[63] = '\0';
                memset(too_long, 'a', 64);
                too_long[64] = '\0';
                ok(args_check_network_alias("web.local", NULL) == 0 &&
                           args_check_network_alias("1a-b", NULL) == 0 &&
                           args_check_network_alias(longest, NULL) == 0,
                   "aliases: host names with '.' and '-', up to 63 characters");
                ok(args_check_network_alias("", NULL) < 0 &&
                           args_check_network_alias("-x", NULL) < 0 &&
                           args_check_network_alias(".x", NULL) < 0 &&
                           args_check_network_alias("a_b", NULL) < 0 &&
                           args_check_network_alias("a#b", NULL) < 0 &&
                           args_check_network_alias("a\tb", NULL) < 0 &&
                           args_check_network_alias("a b", NULL) < 0 &&
                           args_check_network_alias(too_long, NULL) < 0,
                   "aliases that are no host name (or would break a hosts file) refused");
        }
}

static void
netcreate_bad(char **argv, int argc, const char *needle)
{
        struct args_network_create o;
        struct ctr_error *err = NULL;
        int r = args_parse_network_create(argc, argv, &o, &err);

        ok(r == -EINVAL && err && strstr(err->message, needle), "network create refused: %s",
           err ? err->message : "(none)");
        ctr_error_free(err);
}

static void
test_network_create_args(void)
{
        char *c1[] = { "network create", "--subnet", "10.90.1.0/24", "backend", NULL };
        char *c2[] = { "network create", "backend", "--subnet=10.90.1.0/29", "--bridge", "br-x", NULL };
        char *c3[] = { "network create", "backend", NULL };
        char *c4[] = { "network create", "--subnet", "10.90.1.0/24", NULL };
        char *c5[] = { "network create", "--subnet", "10.90.1.0/24", "a", "b", NULL };
        char *c6[] = { "network create", "--subnet", "10.90.1.0/24", "", NULL };
        char *c7[] = { "network create", "-h", NULL };
        char *c8[] = { "network create", "--gateway", "x", "n", NULL };
        char *c9[] = { "network create", "n", "--subnet", NULL };
        static const char *const bad_subnets[] = {
                "10.90.1.0", "10.90.1.0/33", "10.90.1/24", "x/24", "10.90.1.0/", "10.90.1.0/-1",
                "10.90.1.0/024", "/24", "10.90.1.0/24/1", "::1/64", "",
        };
        static const char *const bad_bridges[] = {
                "", "0123456789abcdef", "a/b", "a b", "a:b", "..", ".",
        };
        struct args_network_create o;
        struct ctr_error *err = NULL;

        ok(args_parse_network_create(ARGC(c1), c1, &o, &err) == 0 &&
                   strcmp(o.name, "backend") == 0 && strcmp(o.subnet, "10.90.1.0/24") == 0 &&
                   !o.bridge,
           "network create --subnet CIDR NAME");
        ok(args_parse_network_create(ARGC(c2), c2, &o, &err) == 0 &&
                   strcmp(o.name, "backend") == 0 && strcmp(o.subnet, "10.90.1.0/29") == 0 &&
                   o.bridge && strcmp(o.bridge, "br-x") == 0,
           "options after NAME, --subnet=CIDR, --bridge");
        netcreate_bad(c3, ARGC(c3), "network create: --subnet CIDR is required (such as 10.90.1.0/24)");
        netcreate_bad(c4, ARGC(c4), "network create requires exactly 1 argument (a network name)");
        netcreate_bad(c5, ARGC(c5), "requires exactly 1 argument");
        netcreate_bad(c6, ARGC(c6), "network create: the network name is empty");
        ok(args_parse_network_create(ARGC(c7), c7, &o, &err) == 1, "network create -h");
        netcreate_bad(c8, ARGC(c8), "network create: unknown option '--gateway'");
        netcreate_bad(c9, ARGC(c9), "network create: option '--subnet' needs an argument");
        for (size_t i = 0; i < ARRAY_SIZE(bad_subnets); i++) {
                char *argv[] = { "network create", "--subnet", (char *) bad_subnets[i], "n", NULL };
                char want[128];

                snprintf(want, sizeof(want), "invalid subnet '%s' (an IPv4 network such as",
                         bad_subnets[i]);
                netcreate_bad(argv, ARGC(argv), want);
        }
        for (size_t i = 0; i < ARRAY_SIZE(bad_bridges); i++) {
                char *argv[] = { "network create", "--subnet", "10.0.0.0/8", "--bridge",
                                 (char *) bad_bridges[i], "n", NULL };
                char want[128];

                snprintf(want, sizeof(want), "invalid bridge name '%s' (1 to 15 characters",
                         bad_bridges[i]);
                netcreate_bad(argv, ARGC(argv), want);
        }
        {
                char *argv[] = { "network create", "--subnet", "0.0.0.0/0", "--bridge",
                                 "0123456789abcde", "n", NULL };

                ok(args_parse_network_create(ARGC(argv), argv, &o, &err) == 0,
                   "a 15-character bridge name, a /0 (the daemon judges the subnet)");
        }
}

int
main(void)
{
        test_run_args();
        test_mount_spec();
        test_console_args();
        test_shared_options();
        test_image_config_args();
        test_import_args();
        test_publish_specs();
        test_network_args();
        test_network_create_args();
        return tap_done();
}
