/* daemon/userns-alloc.c: the subuid/subgid parser (other users, comments,
 * malformed lines), block allocation (aligned, lowest free, uids and gids
 * apart, never host id 0), persistence and reload, adopt and its clashes,
 * release, prune, and exhaustion with a message naming the file. Temp
 * dirs only; no root needed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs-util.h"
#include "daemon/userns-alloc.h"
#include "tests/unit/tap.h"

#define ID(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
              c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

static char tmp[] = "/tmp/test-userns-alloc-XXXXXX";
static char subuid[128], subgid[128], state[128];

static void
test_parse(void)
{
        struct userns_subid *v = NULL;
        size_t n = 0;
        const char *text = "# comment\n"
                           "containerctlx:1:65536\n"
                           "other:100000:65536\n"
                           "containerctl:200000:131072\n"
                           "containerctl:bad:1\n"
                           "containerctl:5:0\n"
                           "containerctl:4294967295:2\n"
                           "containerctl:300000\n"
                           "\n"
                           "containerctl:1000000000:1000000000\n";

        is_int(userns_subid_parse(text, "containerctl", &v, &n), 0, "parse");
        is_int(n, 2, "two good lines for the user, the rest skipped");
        ok(n == 2 && v[0].start == 200000 && v[0].count == 131072, "first range");
        ok(n == 2 && v[1].start == 1000000000 && v[1].count == 1000000000, "second range");
        free(v);
        v = NULL;
        is_int(userns_subid_parse("other:1:2\n", "containerctl", &v, &n), 0, "no line for the user");
        ok(n == 0 && v == NULL, "empty result");
}

static void
write_ids(const char *uid_text, const char *gid_text)
{
        ok(write_file_atomic(subuid, uid_text, strlen(uid_text), 0644, NULL) == 0 &&
           write_file_atomic(subgid, gid_text, strlen(gid_text), 0644, NULL) == 0, "subordinate id files written");
}

static bool
keep_only_a(const char *id, void *userdata)
{
        (void) userdata;
        return id[0] == 'a';
}

static void
test_alloc(void)
{
        struct userns_alloc *a = NULL;
        struct ctr_error *err = NULL;
        struct userns_range r1, r2, r3;
        char path[256];

        /* uids: 2 blocks (the one starting at 0 is skipped: never host 0);
         * gids: 3 blocks elsewhere. */
        write_ids("containerctl:0:196608\n", "containerctl:5000000:196608\n");
        is_int(userns_alloc_new(state, NULL, subuid, subgid, &a, &err), 0, "allocator opens an empty dir");
        is_int(userns_alloc_reserve(a, ID("a"), &r1, &err), 0, "first block");
        ok(r1.uid == 65536 && r1.gid == 5000000 && r1.size == USERNS_RANGE_SIZE, "first block: uid 65536 (not 0), gid 5000000");
        is_int(userns_alloc_reserve(a, ID("b"), &r2, &err), 0, "second block");
        ok(r2.uid == 131072 && r2.gid == 5065536, "second block is the next one");
        is_int(userns_alloc_reserve(a, ID("a"), &r3, &err), -EEXIST, "one block per container");
        ctr_error_free(err);
        err = NULL;
        is_int(userns_alloc_reserve(a, ID("c"), &r3, &err), -ENOSPC, "uids exhausted");
        ok(err && strstr(err->message, subuid) && strstr(err->message, "in use"), "message names the file: %s",
           err ? err->message : "(none)");
        ctr_error_free(err);
        err = NULL;
        snprintf(path, sizeof(path), "%s/%s.json", state, ID("a"));
        ok(access(path, F_OK) == 0, "the allocation is a file");
        userns_alloc_free(a);
        a = NULL;

        /* Reload: both allocations are back, the freed block is reused. */
        is_int(userns_alloc_new(state, NULL, subuid, subgid, &a, &err), 0, "reload");
        is_int(userns_alloc_count(a), 2, "two allocations reloaded");
        ok(userns_alloc_find(a, ID("b")) && userns_alloc_find(a, ID("b"))->uid == 131072, "b kept its block");
        is_int(userns_alloc_release(a, ID("a")), 0, "release a");
        ok(access(path, F_OK) < 0 && errno == ENOENT, "its file is gone");
        is_int(userns_alloc_release(a, ID("a")), 0, "release twice is fine");
        is_int(userns_alloc_reserve(a, ID("c"), &r3, &err), 0, "c gets the freed block");
        ok(r3.uid == 65536 && r3.gid == 5000000, "lowest free block");

        /* Adopt: the same range again is fine, a clash is not. */
        is_int(userns_alloc_adopt(a, ID("c"), &r3, &err), 0, "adopting what it has");
        is_int(userns_alloc_adopt(a, ID("d"), &(struct userns_range){ 100000, 9000000, 65536 }, &err), -EEXIST,
               "adopting an overlapping uid range fails");
        ctr_error_free(err);
        err = NULL;
        is_int(userns_alloc_adopt(a, ID("a"), &(struct userns_range){ 700000, 9000000, 65536 }, &err), 0,
               "adopting a free range outside the files");
        is_int(userns_alloc_count(a), 3, "three allocations");

        /* Prune: only a survives. */
        userns_alloc_prune(a, keep_only_a, NULL);
        is_int(userns_alloc_count(a), 1, "pruned to one");
        ok(userns_alloc_find(a, ID("a")) != NULL && userns_alloc_find(a, ID("c")) == NULL, "a kept, c released");
        userns_alloc_free(a);
        a = NULL;

        /* Malformed and stray files are dropped at load. */
        snprintf(path, sizeof(path), "%s/%s.json", state, ID("e"));
        ok(write_file_atomic(path, "{\"uid\":0}", 9, 0600, NULL) == 0, "malformed record");
        snprintf(path, sizeof(path), "%s/%s.json.tmp.123", state, ID("f"));
        ok(write_file_atomic(path, "x", 1, 0600, NULL) == 0, "temp file of a crash");
        is_int(userns_alloc_new(state, NULL, subuid, subgid, &a, &err), 0, "reload");
        is_int(userns_alloc_count(a), 1, "only the good record");
        ok(access(path, F_OK) < 0, "temp file removed");
        userns_alloc_free(a);
        a = NULL;

        /* No line for the user: a clear error. */
        write_ids("other:100000:65536\n", "other:100000:65536\n");
        is_int(userns_alloc_new(state, NULL, subuid, subgid, &a, &err), 0, "reload");
        is_int(userns_alloc_reserve(a, ID("9"), &r1, &err), -ENOSPC, "no subordinate ids");
        ok(err && strstr(err->message, "grants user `containerctl` no subordinate uids"), "message: %s",
           err ? err->message : "(none)");
        ctr_error_free(err);
        err = NULL;
        userns_alloc_free(a);
        a = NULL;
        is_int(userns_alloc_new(state, NULL, "/nonexistent/subuid", subgid, &a, &err), 0, "missing file opens");
        is_int(userns_alloc_reserve(a, ID("9"), &r1, &err), -ENOSPC, "missing file: no ids");
        ok(err && strstr(err->message, "does not exist"), "message: %s", err ? err->message : "(none)");
        ctr_error_free(err);
        userns_alloc_free(a);
}

int
main(void)
{
        if (!mkdtemp(tmp)) {
                perror("mkdtemp");
                return 1;
        }
        snprintf(subuid, sizeof(subuid), "%s/subuid", tmp);
        snprintf(subgid, sizeof(subgid), "%s/subgid", tmp);
        snprintf(state, sizeof(state), "%s/userns", tmp);
        test_parse();
        test_alloc();
        (void) rm_rf(tmp, NULL);
        return tap_done();
}
