#ifndef MTS_LOOP_H
#define MTS_LOOP_H

/* One event loop for every socket of the program (epoll(7) and a few
 * caller-owned timers). c-ares plugs in through its socket-state callback;
 * libcurl's multi socket API plugs in the same way (docs/design.md). */

#include <stdint.h>

#include "mtasts/err.h"

struct mts_loop;

enum {
  MTS_EV_READ = 1,
  MTS_EV_WRITE = 2,
};

/*! Called when \p fd is ready; \p events is a mask of MTS_EV_*. */
typedef void (*mts_io_cb)(void *arg, int fd, unsigned events);
/*! Called once when a timer expires. */
typedef void (*mts_timer_cb)(void *arg);

/*! A timer: caller-owned storage; zero-initialise it, then arm it with
 *  mts_loop_timer_set. It must stay alive while armed. */
struct mts_timer {
  mts_timer_cb cb;
  void *arg;
  uint64_t due_ms; /* private to loop.c */
  int armed;       /* private to loop.c */
};

enum mts_err mts_loop_new(struct mts_loop **out);
/*! Free the loop; watches and timers are dropped. NULL-safe. */
void mts_loop_free(struct mts_loop **loop);

/*! Watch \p fd for \p events (MTS_EV_* mask); events == 0 stops watching.
 *  Watching again replaces the callback and the mask.
 *  \return MTS_OK, MTS_ENOMEM or MTS_ESYS. */
enum mts_err mts_loop_watch(struct mts_loop *loop, int fd, unsigned events,
                            mts_io_cb cb, void *arg);

/*! Arm \p t to fire in \p ms milliseconds (0 = on the next turn), or
 *  disarm it when \p ms < 0.
 *  \return MTS_OK or MTS_ENOMEM. */
enum mts_err mts_loop_timer_set(struct mts_loop *loop, struct mts_timer *t,
                                long ms);

/*! Called before each wait, e.g. for a library to set its timer once per
 *  turn rather than once per request. */
typedef void (*mts_prepare_cb)(void *arg);

/*! Add a prepare hook (at most 8; they run in the order added).
 *  \return MTS_OK or MTS_ERANGE. */
enum mts_err mts_loop_add_prepare(struct mts_loop *loop, mts_prepare_cb cb,
                                  void *arg);

/*! Remove a prepare hook added with the same \p cb and \p arg. */
void mts_loop_remove_prepare(struct mts_loop *loop, mts_prepare_cb cb,
                             void *arg);

/*! Run until mts_loop_stop is called, or nothing is watched or armed.
 *  \return MTS_OK or MTS_ESYS (epoll_wait failed). */
enum mts_err mts_loop_run(struct mts_loop *loop);

/*! Make mts_loop_run return after the current callback. */
void mts_loop_stop(struct mts_loop *loop);

/*! \return a monotonic clock in milliseconds. */
uint64_t mts_loop_now_ms(void);

#endif
