/* Thread-per-job worker pool. Completion is posted through an eventfd the
 * loop watches, with a mutex-protected list of finished jobs: the worker
 * thread never calls into libevent, so no evthread locking is needed. */
#include "daemon/worker.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>

#include "common/log.h"

struct worker_shared;

struct worker_job {
        struct worker_job *next;
        struct worker_shared *shared;
        worker_work_fn work;
        worker_done_fn done;
        void *userdata;
        int result;
};

/* Shared with the threads: refcounted so a thread finishing after
 * worker_pool_free() still has somewhere to post. */
struct worker_shared {
        pthread_mutex_t lock;
        unsigned refs;
        int efd;
        bool closed;
        struct worker_job *done_head;
};

struct worker_pool {
        struct worker_shared *shared;
        struct event *ev;
        unsigned pending;
};

static void
shared_unref(struct worker_shared *s)
{
        bool last;

        pthread_mutex_lock(&s->lock);
        last = --s->refs == 0;
        pthread_mutex_unlock(&s->lock);
        if (!last)
                return;
        while (s->done_head) {
                struct worker_job *j = s->done_head;
                s->done_head = j->next;
                free(j);
        }
        safe_close(s->efd);
        pthread_mutex_destroy(&s->lock);
        free(s);
}

static void *
worker_thread(void *arg)
{
        struct worker_job *j = arg;
        struct worker_shared *s = j->shared;
        uint64_t one = 1;

        j->result = j->work(j->userdata);
        pthread_mutex_lock(&s->lock);
        if (s->closed) {
                free(j);
        } else {
                j->next = s->done_head;
                s->done_head = j;
                (void) !write(s->efd, &one, sizeof(one));
        }
        pthread_mutex_unlock(&s->lock);
        shared_unref(s);
        return NULL;
}

static void
worker_done_cb(evutil_socket_t fd, short what, void *arg)
{
        struct worker_pool *p = arg;
        struct worker_job *list, *rev = NULL;
        uint64_t n;

        (void) !read(fd, &n, sizeof(n));
        pthread_mutex_lock(&p->shared->lock);
        list = p->shared->done_head;
        p->shared->done_head = NULL;
        pthread_mutex_unlock(&p->shared->lock);
        /* Reverse into completion order. */
        while (list) {
                struct worker_job *j = list;
                list = j->next;
                j->next = rev;
                rev = j;
        }
        while (rev) {
                struct worker_job *j = rev;
                rev = j->next;
                p->pending--;
                j->done(j->result, j->userdata);
                free(j);
        }
}

int
worker_pool_new(struct event_base *base, struct worker_pool **ret)
{
        struct worker_pool *p = calloc(1, sizeof(*p));
        struct worker_shared *s = calloc(1, sizeof(*s));

        if (!p || !s) {
                free(p);
                free(s);
                return -ENOMEM;
        }
        pthread_mutex_init(&s->lock, NULL);
        s->refs = 1;
        s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        p->shared = s;
        if (s->efd < 0) {
                int r = negative_errno();
                worker_pool_free(p);
                return r;
        }
        p->ev = event_new(base, s->efd, EV_READ | EV_PERSIST, worker_done_cb, p);
        if (!p->ev || event_add(p->ev, NULL) < 0) {
                worker_pool_free(p);
                return -ENOMEM;
        }
        *ret = p;
        return 0;
}

void
worker_pool_free(struct worker_pool *p)
{
        if (!p)
                return;
        if (p->ev)
                event_free(p->ev);
        pthread_mutex_lock(&p->shared->lock);
        p->shared->closed = true;
        pthread_mutex_unlock(&p->shared->lock);
        shared_unref(p->shared);
        free(p);
}

int
worker_submit(struct worker_pool *p, worker_work_fn work, worker_done_fn done, void *userdata)
{
        struct worker_job *j = calloc(1, sizeof(*j));
        pthread_attr_t attr;
        pthread_t t;
        sigset_t all, old;
        int r;

        if (!j)
                return -ENOMEM;
        *j = (struct worker_job){
                .shared = p->shared, .work = work, .done = done, .userdata = userdata
        };
        pthread_mutex_lock(&p->shared->lock);
        p->shared->refs++;
        pthread_mutex_unlock(&p->shared->lock);

        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        /* Signals belong to the loop thread (libevent's signal handling). */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        r = pthread_create(&t, &attr, worker_thread, j);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&attr);
        if (r != 0) {
                free(j);
                shared_unref(p->shared);
                return -r;
        }
        p->pending++;
        return 0;
}

unsigned
worker_pool_pending(struct worker_pool *p)
{
        return p->pending;
}
