/* Runs blocking jobs (image unpacks, tree removals) off the event loop, one
 * thread per job, and hands each result back to the loop thread. Jobs must
 * never touch libevent, a client or the container registry: they get their
 * userdata and return an int; done_fn then runs in the loop. */
#pragma once

#include <event2/event.h>

#include "common/macros.h"

struct worker_pool;

/* Runs in the worker thread. Its return value is passed to done_fn. */
typedef int (*worker_work_fn)(void *userdata);
/* Runs later in the loop thread, with the work function's return value. */
typedef void (*worker_done_fn)(int r, void *userdata);

/* Loop thread only. Caller frees with worker_pool_free(). */
int worker_pool_new(struct event_base *base, struct worker_pool **ret);
/* Does not wait for running jobs: their threads are detached and their
 * results are dropped (the daemon is exiting). */
void worker_pool_free(struct worker_pool *p);
DEFINE_FREEP(struct worker_pool, worker_pool_free)

/* Starts work(userdata) in a new thread; done(r, userdata) follows in the
 * loop thread. Returns 0, or -errno if the thread could not start (then
 * neither function runs). Loop thread only. */
int worker_submit(struct worker_pool *p, worker_work_fn work, worker_done_fn done, void *userdata);

/* Number of jobs not yet completed (for tests). */
unsigned worker_pool_pending(struct worker_pool *p);
