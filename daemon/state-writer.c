/* One long-lived thread with a FIFO of jobs (state-writer.h). A worker.c
 * job per write would not do: two threads could finish two records of one
 * container in the wrong order. */
#include "daemon/state-writer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fs-util.h"
#include "common/log.h"

enum job_kind {
        JOB_WRITE,
        JOB_FSYNC,
        JOB_BARRIER,
};

struct job {
        struct job *next;
        enum job_kind kind;
        char *path;
        void *data;
        size_t len;
        mode_t mode;
        state_writer_done_fn done;
        void *userdata;
        int result;
};

/* A FIFO of jobs. */
struct job_list {
        struct job *head;
        struct job **tail;
};

struct state_writer {
        pthread_t thread;
        bool started;
        /* lock guards todo, finished and quit; the loop side alone uses
         * the rest. */
        pthread_mutex_t lock;
        pthread_cond_t cond;
        struct job_list todo;
        struct job_list finished;
        bool quit;
        int efd;
        struct event *ev;
        unsigned pending;
};

static void
job_free(struct job *j)
{
        if (!j)
                return;
        free(j->path);
        free(j->data);
        free(j);
}

static void
list_init(struct job_list *l)
{
        l->head = NULL;
        l->tail = &l->head;
}

static void
list_push(struct job_list *l, struct job *j)
{
        j->next = NULL;
        *l->tail = j;
        l->tail = &j->next;
}

static struct job *
list_pop(struct job_list *l)
{
        struct job *j = l->head;

        if (j) {
                l->head = j->next;
                if (!l->head)
                        l->tail = &l->head;
        }
        return j;
}

/* fsync of path and of its directory; a path (or directory) gone since is
 * fine: whatever removed it no longer needs it on disk. */
static int
fsync_file_and_dir(const char *path)
{
        _cleanup_free_ char *dir = strdup(path);
        char *slash = dir ? strrchr(dir, '/') : NULL;
        int fd, r = 0;

        if (!dir)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (fsync(fd) < 0)
                r = -errno;
        close(fd);
        if (r < 0 || !slash)
                return r;
        if (slash == dir)
                slash[1] = '\0';
        else
                *slash = '\0';
        r = fsync_path(dir);
        return r == -ENOENT ? 0 : r;
}

static int
job_run(struct job *j)
{
        struct ctr_error *err = NULL;
        int r = 0;

        switch (j->kind) {
        case JOB_WRITE:
                r = write_file_replace(j->path, j->data, j->len, j->mode, true, &err);
                if (r < 0 && !j->done)
                        log_error("%s", err ? err->message : "state write failed");
                ctr_error_free(err);
                break;
        case JOB_FSYNC:
                r = fsync_file_and_dir(j->path);
                if (r < 0 && !j->done)
                        log_error("fsync `%s`: %s", j->path, strerror(-r));
                break;
        case JOB_BARRIER:
                break;
        }
        return r;
}

static void *
writer_thread(void *arg)
{
        struct state_writer *w = arg;
        uint64_t one = 1;

        pthread_mutex_lock(&w->lock);
        for (;;) {
                struct job *j;

                while (!w->todo.head && !w->quit)
                        pthread_cond_wait(&w->cond, &w->lock);
                j = list_pop(&w->todo);
                if (!j)
                        break; /* quit, and nothing left to do */
                pthread_mutex_unlock(&w->lock);
                j->result = job_run(j);
                pthread_mutex_lock(&w->lock);
                list_push(&w->finished, j);
                (void) !write(w->efd, &one, sizeof(one));
        }
        pthread_mutex_unlock(&w->lock);
        return NULL;
}

static void
finished_cb(evutil_socket_t fd, short what, void *arg)
{
        struct state_writer *w = arg;
        struct job_list done;
        struct job *j;
        uint64_t n;

        (void) what;
        (void) !read(fd, &n, sizeof(n));
        pthread_mutex_lock(&w->lock);
        done = w->finished;
        if (!done.head)
                done.tail = &done.head;
        list_init(&w->finished);
        pthread_mutex_unlock(&w->lock);
        while ((j = list_pop(&done))) {
                w->pending--;
                if (j->done)
                        j->done(j->result, j->userdata);
                job_free(j);
        }
}

int
state_writer_new(struct event_base *base, struct state_writer **ret)
{
        struct state_writer *w = calloc(1, sizeof(*w));
        sigset_t all, old;
        int r;

        if (!w)
                return -ENOMEM;
        pthread_mutex_init(&w->lock, NULL);
        pthread_cond_init(&w->cond, NULL);
        list_init(&w->todo);
        list_init(&w->finished);
        w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (w->efd < 0) {
                r = -errno;
                state_writer_free(w);
                return r;
        }
        w->ev = event_new(base, w->efd, EV_READ | EV_PERSIST, finished_cb, w);
        if (!w->ev || event_add(w->ev, NULL) < 0) {
                state_writer_free(w);
                return -ENOMEM;
        }
        /* Signals belong to the loop thread (libevent's signal handling). */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        r = pthread_create(&w->thread, NULL, writer_thread, w);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (r != 0) {
                state_writer_free(w);
                return -r;
        }
        w->started = true;
        *ret = w;
        return 0;
}

void
state_writer_free(struct state_writer *w)
{
        struct job *j;

        if (!w)
                return;
        if (w->started) {
                pthread_mutex_lock(&w->lock);
                w->quit = true;
                pthread_cond_signal(&w->cond);
                pthread_mutex_unlock(&w->lock);
                pthread_join(w->thread, NULL);
        }
        while ((j = list_pop(&w->todo)))
                job_free(j);
        while ((j = list_pop(&w->finished)))
                job_free(j);
        if (w->ev)
                event_free(w->ev);
        safe_close(w->efd);
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->lock);
        free(w);
}

static int
enqueue(struct state_writer *w, struct job *j)
{
        pthread_mutex_lock(&w->lock);
        list_push(&w->todo, j);
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
        w->pending++;
        return 0;
}

static struct job *
job_new(enum job_kind kind, const char *path, state_writer_done_fn done, void *userdata)
{
        struct job *j = calloc(1, sizeof(*j));

        if (!j)
                return NULL;
        *j = (struct job){ .kind = kind, .done = done, .userdata = userdata };
        if (path && !(j->path = strdup(path))) {
                free(j);
                return NULL;
        }
        return j;
}

int
state_writer_write(struct state_writer *w, const char *path, const void *data, size_t len,
                   mode_t mode, state_writer_done_fn done, void *userdata)
{
        struct job *j = job_new(JOB_WRITE, path, done, userdata);

        if (!j || !(j->data = malloc(len ? len : 1))) {
                job_free(j);
                return -ENOMEM;
        }
        memcpy(j->data, data, len);
        j->len = len;
        j->mode = mode;
        return enqueue(w, j);
}

int
state_writer_fsync(struct state_writer *w, const char *path, state_writer_done_fn done,
                   void *userdata)
{
        struct job *j = job_new(JOB_FSYNC, path, done, userdata);

        if (!j)
                return -ENOMEM;
        return enqueue(w, j);
}

int
state_writer_barrier(struct state_writer *w, state_writer_done_fn done, void *userdata)
{
        struct job *j = job_new(JOB_BARRIER, NULL, done, userdata);

        if (!j)
                return -ENOMEM;
        return enqueue(w, j);
}

unsigned
state_writer_pending(const struct state_writer *w)
{
        return w->pending;
}
