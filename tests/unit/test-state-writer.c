/* daemon/state-writer.c: jobs finish in the order they were queued, their
 * callbacks run in the loop thread with each job's result, a barrier
 * follows every earlier job, a vanished path is no fsync error, and
 * state_writer_free() writes out what is still queued. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/fs-util.h"
#include "common/macros.h"
#include "daemon/state-writer.h"
#include "tests/unit/tap.h"

#define N_WRITES 200

static pthread_t loop_thread;
static int order[N_WRITES + 8];
static int results[N_WRITES + 8];
static int n_done;
static bool wrong_thread;

static void
record_done(int r, void *userdata)
{
        if (!pthread_equal(pthread_self(), loop_thread))
                wrong_thread = true;
        order[n_done] = (int) (intptr_t) userdata;
        results[n_done] = r;
        n_done++;
}

static void
run_until(struct event_base *base, struct state_writer *w)
{
        for (int i = 0; i < 5000 && state_writer_pending(w) > 0; i++) {
                event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
                usleep(1000);
        }
}

static char *
slurp(const char *path)
{
        char *text = NULL;
        size_t len;

        if (read_file_full(path, 1 << 20, &text, &len, NULL) < 0)
                return NULL;
        return text;
}

int
main(void)
{
        char dir[] = "/tmp/test-state-writer.XXXXXX";
        _cleanup_free_ char *path = NULL, *missing = NULL, *nodir = NULL, *text = NULL,
                            *later = NULL;
        struct event_base *base = event_base_new();
        struct state_writer *w = NULL;
        struct stat st;
        bool in_order = true, queued = true;
        char buf[64];

        loop_thread = pthread_self();
        ok(base && mkdtemp(dir), "setup");
        path = path_join(dir, "record.json");
        missing = path_join(dir, "gone");
        nodir = path_join(dir, "no/such/dir/file");
        ok(state_writer_new(base, &w) == 0, "state_writer_new");

        /* Many versions of one file: the last one written wins, and every
         * callback comes in queue order, in the loop thread. */
        for (int i = 0; i < N_WRITES; i++) {
                int n = snprintf(buf, sizeof(buf), "{\"version\":%d}", i);

                if (state_writer_write(w, path, buf, (size_t) n, 0600, record_done,
                                       (void *) (intptr_t) i) < 0)
                        queued = false;
        }
        ok(queued, "%d writes of one file queued", N_WRITES);
        ok(state_writer_fsync(w, missing, record_done, (void *) (intptr_t) 1000) == 0,
           "fsync of a path that does not exist is queued");
        ok(state_writer_write(w, nodir, "x", 1, 0600, record_done, (void *) (intptr_t) 1001) == 0,
           "write into a missing directory is queued");
        ok(state_writer_barrier(w, record_done, (void *) (intptr_t) 1002) == 0, "barrier queued");
        ok(state_writer_pending(w) == N_WRITES + 3, "pending counts every job");
        run_until(base, w);
        is_int(n_done, N_WRITES + 3, "every callback ran");
        for (int i = 0; i < N_WRITES; i++)
                if (order[i] != i || results[i] != 0)
                        in_order = false;
        ok(in_order, "writes finished in queue order, each with 0");
        is_int(order[N_WRITES], 1000, "the fsync came after the writes");
        is_int(results[N_WRITES], 0, "a vanished path is not an fsync error");
        is_int(order[N_WRITES + 1], 1001, "then the failing write");
        is_int(results[N_WRITES + 1], -ENOENT, "which reports -ENOENT");
        is_int(order[N_WRITES + 2], 1002, "the barrier came last");
        ok(!wrong_thread, "callbacks ran in the loop thread");
        text = slurp(path);
        snprintf(buf, sizeof(buf), "{\"version\":%d}", N_WRITES - 1);
        is_str(text, buf, "the file holds the last version");
        ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600, "mode 0600");
        is_int(state_writer_pending(w), 0, "nothing pending");

        /* Freed with jobs still queued: they are written, callbacks are not run. */
        n_done = 0;
        later = path_join(dir, "later.json");
        for (int i = 0; i < 20; i++) {
                int n = snprintf(buf, sizeof(buf), "%d", i);
                (void) state_writer_write(w, later, buf, (size_t) n, 0644, record_done, NULL);
        }
        state_writer_free(w);
        free(text);
        text = slurp(later);
        is_str(text, "19", "free writes out every queued job first");
        is_int(n_done, 0, "and drops their callbacks");

        (void) rm_rf(dir, NULL);
        event_base_free(base);
        return tap_done();
}
