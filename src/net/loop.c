#include "mtasts/net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

/* One registration per fd, indexed by fd: c-ares, the fetch and the probes
 * speak in fds, and epoll gives back the fd. Each registration also has a
 * generation: an event of one epoll_wait batch whose fd was closed and reused
 * by a callback earlier in the batch must not reach the new watch. */
struct watch {
  int fd;
  uint32_t gen;
  unsigned events;
  mts_io_cb cb;
  void *arg;
};

struct mts_loop {
  int epfd;
  struct watch **byfd; /* index: fd */
  size_t nbyfd;
  size_t nwatch;
  uint32_t gen;
  struct mts_timer **timers; /* armed timers; few: the resolver, the fetch
                                engine and the runner's deadline */
  size_t ntimers, captimers;
  struct prepare {
    mts_prepare_cb cb;
    void *arg;
  } * prepare; /* the resolver, the fetch engine, each --propagation
                  check's resolver of authoritative servers */
  size_t nprepare, capprepare;
  int stop;
};

uint64_t
mts_loop_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

enum mts_err
mts_loop_new(struct mts_loop **out)
{
  struct mts_loop *loop = calloc(1, sizeof(*loop));

  if (loop == NULL) {
    return MTS_ENOMEM;
  }
  loop->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (loop->epfd < 0) {
    free(loop);
    return MTS_ESYS;
  }
  *out = loop;
  return MTS_OK;
}

void
mts_loop_free(struct mts_loop **loopp)
{
  struct mts_loop *loop;

  if (loopp == NULL || *loopp == NULL) {
    return;
  }
  loop = *loopp;
  for (size_t i = 0; i < loop->nbyfd; i++) {
    free(loop->byfd[i]);
  }
  free(loop->byfd);
  free(loop->timers);
  free(loop->prepare);
  close(loop->epfd);
  free(loop);
  *loopp = NULL;
}

static uint32_t
to_epoll(unsigned events)
{
  uint32_t e = 0;
  if (events & MTS_EV_READ) {
    e |= EPOLLIN;
  }
  if (events & MTS_EV_WRITE) {
    e |= EPOLLOUT;
  }
  return e;
}

enum mts_err
mts_loop_watch(struct mts_loop *loop, int fd, unsigned events, mts_io_cb cb,
               void *arg)
{
  struct watch *w;
  struct epoll_event ev;
  size_t ufd;

  if (fd < 0) {
    return MTS_EINVAL;
  }
  ufd = (size_t)fd;
  w = ufd < loop->nbyfd ? loop->byfd[ufd] : NULL;

  if (events == 0) {
    if (w != NULL) {
      /* The fd may already be closed (c-ares closes right after telling
       * us); epoll dropped it then, so ENOENT/EBADF are fine. */
      (void)epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
      free(w);
      loop->byfd[ufd] = NULL;
      loop->nwatch--;
    }
    return MTS_OK;
  }

  if (ufd >= loop->nbyfd) {
    size_t n = loop->nbyfd ? loop->nbyfd : 64;
    struct watch **v;
    while (n <= ufd) {
      n *= 2;
    }
    v = realloc(loop->byfd, n * sizeof(*v));
    if (v == NULL) {
      return MTS_ENOMEM;
    }
    memset(v + loop->nbyfd, 0, (n - loop->nbyfd) * sizeof(*v));
    loop->byfd = v;
    loop->nbyfd = n;
  }

  memset(&ev, 0, sizeof(ev));
  ev.events = to_epoll(events);
  if (w == NULL) {
    w = calloc(1, sizeof(*w));
    if (w == NULL) {
      return MTS_ENOMEM;
    }
    w->fd = fd;
    w->gen = ++loop->gen;
    ev.data.u64 = (uint64_t)w->gen << 32 | (uint32_t)fd;
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      free(w);
      return MTS_ESYS;
    }
    loop->byfd[ufd] = w;
    loop->nwatch++;
  } else {
    ev.data.u64 = (uint64_t)w->gen << 32 | (uint32_t)fd;
    /* ENOENT: the fd was closed and reopened without an unwatch in
     * between; epoll forgot it, so register it again. */
    if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) != 0 &&
        (errno != ENOENT ||
         epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)) {
      return MTS_ESYS;
    }
  }
  w->events = events;
  w->cb = cb;
  w->arg = arg;
  return MTS_OK;
}

enum mts_err
mts_loop_timer_set(struct mts_loop *loop, struct mts_timer *t, long ms)
{
  if (ms < 0) {
    if (t->armed) {
      for (size_t i = 0; i < loop->ntimers; i++) {
        if (loop->timers[i] == t) {
          loop->timers[i] = loop->timers[--loop->ntimers];
          break;
        }
      }
      t->armed = 0;
    }
    return MTS_OK;
  }
  if (!t->armed) {
    if (loop->ntimers == loop->captimers) {
      size_t n = loop->captimers ? loop->captimers * 2 : 8;
      struct mts_timer **v = realloc(loop->timers, n * sizeof(*v));
      if (v == NULL) {
        return MTS_ENOMEM;
      }
      loop->timers = v;
      loop->captimers = n;
    }
    loop->timers[loop->ntimers++] = t;
    t->armed = 1;
  }
  t->due_ms = mts_loop_now_ms() + (uint64_t)ms;
  return MTS_OK;
}

enum mts_err
mts_loop_add_prepare(struct mts_loop *loop, mts_prepare_cb cb, void *arg)
{
  if (loop->nprepare == loop->capprepare) {
    size_t cap = loop->capprepare ? 2 * loop->capprepare : 8;
    struct prepare *v = realloc(loop->prepare, cap * sizeof(*v));
    if (v == NULL) {
      return MTS_ENOMEM;
    }
    loop->prepare = v;
    loop->capprepare = cap;
  }
  loop->prepare[loop->nprepare].cb = cb;
  loop->prepare[loop->nprepare].arg = arg;
  loop->nprepare++;
  return MTS_OK;
}

void
mts_loop_remove_prepare(struct mts_loop *loop, mts_prepare_cb cb, void *arg)
{
  for (size_t i = 0; i < loop->nprepare; i++) {
    if (loop->prepare[i].cb == cb && loop->prepare[i].arg == arg) {
      memmove(&loop->prepare[i], &loop->prepare[i + 1],
              (loop->nprepare - i - 1) * sizeof(loop->prepare[0]));
      loop->nprepare--;
      return;
    }
  }
}

void
mts_loop_stop(struct mts_loop *loop)
{
  loop->stop = 1;
}

/* Fire every due timer. A callback may arm or disarm any timer, so rescan
 * from the start after each one. */
static void
run_timers(struct mts_loop *loop)
{
  uint64_t now = mts_loop_now_ms();
  int fired;

  do {
    fired = 0;
    for (size_t i = 0; i < loop->ntimers && !loop->stop; i++) {
      struct mts_timer *t = loop->timers[i];
      if (t->due_ms <= now) {
        loop->timers[i] = loop->timers[--loop->ntimers];
        t->armed = 0;
        t->cb(t->arg);
        fired = 1;
        break;
      }
    }
  } while (fired && !loop->stop);
}

static int
next_wait_ms(const struct mts_loop *loop)
{
  uint64_t now = mts_loop_now_ms(), min = UINT64_MAX;

  for (size_t i = 0; i < loop->ntimers; i++) {
    if (loop->timers[i]->due_ms < min) {
      min = loop->timers[i]->due_ms;
    }
  }
  if (min == UINT64_MAX) {
    return -1;
  }
  if (min <= now) {
    return 0;
  }
  return min - now > 60000 ? 60000 : (int)(min - now);
}

enum mts_err
mts_loop_run(struct mts_loop *loop)
{
  struct epoll_event evs[64];

  loop->stop = 0;
  for (;;) {
    int n;

    for (size_t i = 0; i < loop->nprepare; i++) {
      loop->prepare[i].cb(loop->prepare[i].arg);
    }
    if (loop->stop || (loop->nwatch == 0 && loop->ntimers == 0)) {
      break;
    }
    n = epoll_wait(loop->epfd, evs, 64, next_wait_ms(loop));

    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return MTS_ESYS;
    }
    for (int i = 0; i < n && !loop->stop; i++) {
      size_t ufd = (size_t)(evs[i].data.u64 & 0xffffffffu);
      uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
      struct watch *w;
      unsigned events = 0;

      /* Look the watch up by fd: a callback earlier in this batch may have
       * dropped it, or dropped it and watched a new fd of the same number.
       * Either way the event is stale. */
      w = ufd < loop->nbyfd ? loop->byfd[ufd] : NULL;
      if (w == NULL || w->gen != gen) {
        continue;
      }
      if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        events |= MTS_EV_READ;
      }
      if (evs[i].events & (EPOLLOUT | EPOLLERR)) {
        events |= MTS_EV_WRITE;
      }
      w->cb(w->arg, w->fd, events & (w->events | MTS_EV_READ));
    }
    run_timers(loop);
  }
  return MTS_OK;
}
