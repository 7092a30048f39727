/* Makes the daemon's state files durable off the event loop. One thread
 * takes jobs strictly in order: write a file durably (temp file, fsync,
 * rename, fsync of its directory), fsync a file the loop has already
 * written (and its directory), or nothing at all (a barrier). A job's
 * callback runs later in the loop thread, after the job and every job
 * queued before it are done.
 *
 * Order is the point: a container's record reaches the disk after the
 * files it names were fsynced, two records of one container reach it in
 * the order they were written, and a container's directory is removed
 * only after its last write (a barrier). The thread never touches libevent
 * or daemon state: completions go back through an eventfd, as in
 * worker.c. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include <event2/event.h>

#include "common/macros.h"

struct state_writer;

/* Runs in the loop thread: r is the job's result (0 or -errno). */
typedef void (*state_writer_done_fn)(int r, void *userdata);

/* Loop thread only. Caller frees with state_writer_free(). */
int state_writer_new(struct event_base *base, struct state_writer **ret);

/* Waits for every queued job to finish (the daemon is exiting: the last
 * states it wrote must reach the disk), then stops the thread. Callbacks
 * not run yet are dropped. NULL-safe. */
void state_writer_free(struct state_writer *w);
DEFINE_FREEP(struct state_writer, state_writer_free)

/* Writes len bytes of data (copied) to path with mode, durably, replacing
 * the file atomically (write_file_replace()). done may be NULL: a failure
 * is then logged. Returns 0, or -ENOMEM (nothing queued). */
int state_writer_write(struct state_writer *w, const char *path, const void *data, size_t len,
                       mode_t mode, state_writer_done_fn done, void *userdata);

/* fsyncs path and its directory; a path gone by then is not an error (its
 * container was removed). done as above. */
int state_writer_fsync(struct state_writer *w, const char *path, state_writer_done_fn done,
                       void *userdata);

/* done(0, userdata) once every job queued before has finished. */
int state_writer_barrier(struct state_writer *w, state_writer_done_fn done, void *userdata);

/* Jobs queued or running, callbacks not yet run included (for tests). */
unsigned state_writer_pending(const struct state_writer *w);
