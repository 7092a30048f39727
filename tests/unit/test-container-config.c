/* Create-time config from an image (container-config.c) and the views of
 * a layered image without mounting it (daemon/image/lookup.c): command
 * from Entrypoint/Cmd and --entrypoint, env, labels, stop signal, and user
 * names resolved in the passwd that the top-most layer shows, whiteouts
 * and opaque directories included. Whiteouts need CAP_MKNOD and
 * trusted.* xattrs need CAP_SYS_ADMIN: those checks are skipped without. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/fs-util.h"
#include "daemon/container-record.h"
#include "daemon/image/image.h"
#include "tap.h"

static char tmpdir[] = "/tmp/test-ctrcfg.XXXXXX";

static char *
layer(int n)
{
        char *dir = NULL;

        if (asprintf(&dir, "%s/l%d", tmpdir, n) < 0 || mkdir_p(dir, 0755, NULL) < 0)
                abort();
        return dir;
}

static void
put(const char *dir, const char *rel, const char *text)
{
        _cleanup_free_ char *path = path_join(dir, rel);
        _cleanup_free_ char *parent = strdup(path);

        *strrchr(parent, '/') = 0;
        if (mkdir_p(parent, 0755, NULL) < 0 || write_file_atomic(path, text, strlen(text), 0644, NULL) < 0)
                abort();
}

/* An image of n layer dirs l0..l(n-1), bottom first, and config. */
static struct image *
make_image(size_t n, json_t *config)
{
        struct image *img = calloc(1, sizeof(*img));

        img->layers = calloc(n, sizeof(*img->layers));
        img->n_layers = n;
        for (size_t i = 0; i < n; i++)
                img->layers[i].dir = layer((int) i);
        img->config = config;
        return img;
}

static void
free_image(struct image *img)
{
        for (size_t i = 0; i < img->n_layers; i++)
                free(img->layers[i].dir);
        free(img->layers);
        json_decref(img->config);
        free(img);
}

static size_t
strv_len(char **v)
{
        size_t n = 0;

        while (v && v[n])
                n++;
        return n;
}

static void
test_lowerdir(void)
{
        struct image *img = make_image(3, NULL);
        _cleanup_free_ char *want = NULL, *got = image_lowerdir(img);

        if (asprintf(&want, "%s/l2:%s/l1:%s/l0", tmpdir, tmpdir, tmpdir) < 0)
                abort();
        is_str(got, want, "lowerdir: top layer first");
        /* The same layer at the bottom and at the top: only the top copy. */
        free(img->layers[2].dir);
        img->layers[2].dir = strdup(img->layers[0].dir);
        free(got);
        free(want);
        got = image_lowerdir(img);
        if (asprintf(&want, "%s/l0:%s/l1", tmpdir, tmpdir) < 0)
                abort();
        is_str(got, want, "lowerdir: a repeated layer only at its top-most place");
        free_image(img);
}

static void
test_read_file(bool root)
{
        struct image *img = make_image(4, NULL);
        char *text = NULL;

        put(img->layers[0].dir, "etc/passwd", "root:x:0:0::/:/bin/sh\n");
        put(img->layers[0].dir, "etc/motd", "base\n");
        put(img->layers[0].dir, "opq/old", "old\n");
        put(img->layers[1].dir, "etc/passwd", "root:x:0:0::/:/bin/sh\napp:x:1000:1001::/:/bin/sh\n");
        ok(image_read_file(img, "etc/passwd", 4096, &text) == 0 && strstr(text, "app:x:1000"),
           "read_file: the upper layer's copy wins");
        free(text);
        text = NULL;
        ok(image_read_file(img, "etc/motd", 4096, &text) == 0 && strcmp(text, "base\n") == 0,
           "read_file: falls through to a lower layer");
        free(text);
        text = NULL;
        is_int(image_read_file(img, "etc/none", 4096, &text), -ENOENT, "read_file: absent is ENOENT");
        is_int(image_read_file(img, "etc/passwd", 8, &text), -EFBIG, "read_file: over max is EFBIG");
        is_int(image_read_file(img, "/etc/passwd", 4096, &text), -EINVAL, "read_file: absolute path refused");

        /* A symlink in a layer is never followed, even one pointing to a
         * host file. */
        {
                _cleanup_free_ char *p = path_join(img->layers[3].dir, "etc");
                mkdir_p(p, 0755, NULL);
                free(p);
                p = path_join(img->layers[3].dir, "etc/shadow");
                ok(symlink("/etc/passwd", p) == 0, "symlink to a host file in a layer");
                is_int(image_read_file(img, "etc/shadow", 1 << 20, &text), -ENOENT,
                       "read_file: a symlink is not followed");
        }
        if (!root) {
                ok(1, "# SKIP whiteouts and opaque dirs need root");
                free_image(img);
                return;
        }
        {
                _cleanup_free_ char *wh = path_join(img->layers[2].dir, "etc/motd");
                _cleanup_free_ char *opq = path_join(img->layers[2].dir, "opq");
                mkdir_p(opq, 0755, NULL);
                put(img->layers[2].dir, "opq/new", "new\n");
                put(img->layers[2].dir, "etc/other", "x\n");
                ok(mknod(wh, S_IFCHR | 0600, makedev(0, 0)) == 0, "whiteout made");
                ok(setxattr(opq, "trusted.overlay.opaque", "y", 1, 0) == 0, "opaque dir made");
                is_int(image_read_file(img, "etc/motd", 4096, &text), -ENOENT, "read_file: a whiteout hides the lower file");
                is_int(image_read_file(img, "opq/old", 4096, &text), -ENOENT, "read_file: an opaque dir hides lower content");
                ok(image_read_file(img, "opq/new", 4096, &text) == 0 && strcmp(text, "new\n") == 0,
                   "read_file: an opaque dir shows its own content");
                free(text);
        }
        free_image(img);
}

static int
build(struct image *img, struct container_create_params *p, struct container_config *c,
      uid_t *uid, gid_t *gid, struct ctr_error **e)
{
        *c = (struct container_config){ 0 };
        return container_config_build(p, img, "host", c, uid, gid, e);
}

static char **
strv(const char *a, const char *b)
{
        char **v = calloc(3, sizeof(char *));

        if (a)
                v[0] = strdup(a);
        if (a && b)
                v[1] = strdup(b);
        return v;
}

static void
test_config(void)
{
        json_t *cfg = json_pack("{s:{s:[s,s],s:[s],s:[s,s],s:s,s:s,s:{s:s,s:s},s:s}}", "config",
                                "Entrypoint", "/bin/tini", "--", "Cmd", "serve", "Env", "A=image",
                                "PATH=/image/bin", "WorkingDir", "/srv", "User", "app", "Labels",
                                "team", "web", "tier", "front", "StopSignal", "SIGQUIT");
        struct image *img = make_image(2, cfg);
        struct container_create_params p = { 0 };
        struct container_config c;
        struct ctr_error *e = NULL;
        uid_t uid;
        gid_t gid;

        put(img->layers[0].dir, "etc/passwd", "root:x:0:0::/:/bin/sh\n");
        put(img->layers[1].dir, "etc/passwd", "root:x:0:0::/:/bin/sh\napp:x:1000:1001::/:/bin/sh\n");
        put(img->layers[1].dir, "etc/group", "root:x:0:\nstaff:x:50:\n");

        is_int(build(img, &p, &c, &uid, &gid, &e), 0, "image defaults build");
        ok(strv_len(c.command) == 3 && strcmp(c.command[0], "/bin/tini") == 0 &&
           strcmp(c.command[2], "serve") == 0, "Entrypoint + Cmd");
        is_str(c.workdir, "/srv", "WorkingDir");
        ok(uid == 1000 && gid == 1001, "User by name from the upper layer's passwd");
        is_int(c.stop_signal, SIGQUIT, "StopSignal from the image");
        ok(strv_len(c.labels) == 2, "image labels");
        ok(strv_len(c.env) == 2 && strcmp(c.env[1], "PATH=/image/bin") == 0, "image env, its PATH kept");
        container_config_clear(&c);

        p.command = strv("run", "fast");
        is_int(build(img, &p, &c, &uid, &gid, &e), 0, "args build");
        ok(strv_len(c.command) == 4 && strcmp(c.command[2], "run") == 0, "args replace Cmd, keep Entrypoint");
        container_config_clear(&c);

        p.entrypoint = strv("/bin/sh", NULL);
        is_int(build(img, &p, &c, &uid, &gid, &e), 0, "entrypoint + args build");
        ok(strv_len(c.command) == 3 && strcmp(c.command[0], "/bin/sh") == 0 &&
           strcmp(c.command[1], "run") == 0, "--entrypoint replaces Entrypoint, args follow");
        container_config_clear(&c);

        for (size_t i = 0; p.command[i]; i++)
                free(p.command[i]);
        free(p.command);
        p.command = NULL;
        is_int(build(img, &p, &c, &uid, &gid, &e), 0, "entrypoint alone builds");
        ok(strv_len(c.command) == 1, "--entrypoint without args drops the image's Cmd");
        container_config_clear(&c);

        free(p.entrypoint[0]);
        p.entrypoint[0] = NULL; /* --entrypoint "" */
        ok(build(img, &p, &c, &uid, &gid, &e) == -EINVAL && e && strstr(e->message, "no command"),
           "empty entrypoint and no args: no command");
        ctr_error_free(e);
        e = NULL;
        free(p.entrypoint);
        p.entrypoint = NULL;

        p.env = strv("A=cli", "B=new");
        p.labels = strv("tier=back", "owner=me");
        p.stop_signal = strdup("USR1");
        p.user = strdup("app:staff");
        is_int(build(img, &p, &c, &uid, &gid, &e), 0, "overrides build");
        ok(strv_len(c.env) == 3 && strcmp(c.env[0], "A=cli") == 0, "-e overrides an image var");
        ok(strv_len(c.labels) == 3 && strcmp(c.labels[1], "tier=back") == 0, "-l overrides an image label");
        is_int(c.stop_signal, SIGUSR1, "--stop-signal overrides StopSignal");
        ok(uid == 1000 && gid == 50, "user:group by names");
        container_config_clear(&c);

        free(p.stop_signal);
        p.stop_signal = strdup("SIGNOPE");
        ok(build(img, &p, &c, &uid, &gid, &e) == -EINVAL && e && strstr(e->message, "SIGNOPE"),
           "bad stop signal named");
        ctr_error_free(e);
        e = NULL;
        free(p.stop_signal);
        p.stop_signal = strdup("STOP");
        ok(build(img, &p, &c, &uid, &gid, &e) == -EINVAL, "SIGSTOP refused as stop signal");
        ctr_error_free(e);
        e = NULL;
        free(p.stop_signal);
        p.stop_signal = NULL;
        free(p.user);
        p.user = strdup("ghost");
        ok(build(img, &p, &c, &uid, &gid, &e) == -EINVAL && e && strstr(e->message, "ghost"),
           "unknown user named");
        ctr_error_free(e);
        container_create_params_clear(&p);
        free_image(img);
}

int
main(void)
{
        bool root = geteuid() == 0;

        if (!mkdtemp(tmpdir))
                return 1;
        test_lowerdir();
        test_read_file(root);
        test_config();
        (void) rm_rf(tmpdir, NULL);
        return tap_done();
}
