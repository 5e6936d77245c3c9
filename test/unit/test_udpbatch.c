/* Unit tests for the batched datagram sender (src/net/udpbatch.c) with a
 * send buffer too small for the burst: nothing may be lost, nothing
 * reordered, and the owner's watch must see only what it asked for.
 *
 * The socket is an AF_UNIX datagram socket: its datagrams count against
 * the sender's SO_SNDBUF until the receiver reads them, so a tiny buffer
 * and a receiver that has not read yet give EAGAIN for certain (a UDP
 * socket on loopback frees its buffer as soon as the datagram is passed
 * on, so it cannot be made to fill). udpbatch treats any datagram socket
 * the same way. */
#include "net/udpbatch.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define N_DGRAMS 300
#define DGRAM_LEN 100

struct rig {
  struct mts_loop *loop;
  struct mts_udpbatch *batch;
  int rx; /* the receiver */
  int tx; /* the batch's socket */
  int got[N_DGRAMS];
  int n_got;
  int in_order;
  unsigned owner_events; /* what the owner's callback was handed */
  int owner_calls;
  struct mts_timer guard;
  int guard_fired;
};

static void
on_owner(void *arg, int fd, unsigned events)
{
  struct rig *r = arg;

  (void)fd;
  r->owner_calls++;
  r->owner_events |= events;
}

/* Read whatever has arrived; stop the loop once everything has. */
static void
on_rx(void *arg, int fd, unsigned events)
{
  struct rig *r = arg;
  unsigned char buf[DGRAM_LEN + 1];

  (void)events;
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    int seq;
    if (n < 0) {
      break;
    }
    ck_assert_int_eq((int)n, DGRAM_LEN);
    seq = buf[0] << 8 | buf[1];
    ck_assert_int_lt(seq, N_DGRAMS);
    if (seq != r->n_got) {
      r->in_order = 0;
    }
    r->got[seq]++;
    r->n_got++;
  }
  if (r->n_got >= N_DGRAMS) {
    mts_loop_stop(r->loop);
  }
}

/* Not a timing assertion: only a bound so that a lost datagram fails the
 * test instead of hanging it. */
static void
on_guard(void *arg)
{
  struct rig *r = arg;

  r->guard_fired = 1;
  mts_loop_stop(r->loop);
}

static void
rig_init(struct rig *r)
{
  struct sockaddr_un sa;
  socklen_t len;
  int tiny = 1; /* the kernel rounds it up to its minimum */

  memset(r, 0, sizeof(*r));
  r->in_order = 1;
  ck_assert_int_eq(mts_loop_new(&r->loop), MTS_OK);
  ck_assert_int_eq(mts_udpbatch_new(&r->batch, r->loop, 0), MTS_OK);

  /* Receiver on an autobound abstract address. */
  r->rx = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  ck_assert_int_ge(r->rx, 0);
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  ck_assert_int_eq(bind(r->rx, (struct sockaddr *)&sa, sizeof(sa_family_t)), 0);
  len = sizeof(sa);
  ck_assert_int_eq(getsockname(r->rx, (struct sockaddr *)&sa, &len), 0);

  r->tx = mts_udpbatch_socket(r->batch, AF_UNIX, SOCK_DGRAM, 0);
  ck_assert_int_ge(r->tx, 0);
  ck_assert_int_eq(
      setsockopt(r->tx, SOL_SOCKET, SO_SNDBUF, &tiny, sizeof(tiny)), 0);
  ck_assert_int_eq(connect(r->tx, (struct sockaddr *)&sa, len), 0);

  r->guard.cb = on_guard;
  r->guard.arg = r;
}

static void
rig_release(struct rig *r)
{
  (void)mts_loop_timer_set(r->loop, &r->guard, -1);
  (void)mts_loop_watch(r->loop, r->rx, 0, NULL, NULL);
  if (r->tx >= 0) {
    ck_assert_int_eq(mts_udpbatch_close(r->batch, r->tx), 0);
  }
  close(r->rx);
  mts_udpbatch_free(&r->batch);
  mts_loop_free(&r->loop);
}

static void
queue_all(struct rig *r)
{
  for (int i = 0; i < N_DGRAMS; i++) {
    unsigned char d[DGRAM_LEN];
    struct iovec iov = {d, sizeof(d)};
    memset(d, 'x', sizeof(d));
    d[0] = (unsigned char)(i >> 8);
    d[1] = (unsigned char)i;
    ck_assert_int_eq((int)mts_udpbatch_sendv(r->batch, r->tx, &iov, 1),
                     DGRAM_LEN);
  }
}

/* A burst larger than the send buffer: the rest waits and leaves as the
 * receiver makes room, every datagram exactly once and in order. */
START_TEST(full_send_buffer_loses_nothing)
{
  struct rig r;

  rig_init(&r);
  /* The owner (c-ares) watches for answers only. */
  ck_assert_int_eq(mts_udpbatch_watch(r.batch, r.tx, MTS_EV_READ, on_owner, &r),
                   MTS_OK);
  queue_all(&r);
  mts_udpbatch_flush(r.batch);
  /* The buffer cannot hold them all before the receiver reads. */
  ck_assert_uint_gt(mts_udpbatch_queued(r.batch), 0);
  ck_assert_uint_lt(mts_udpbatch_queued(r.batch), N_DGRAMS);

  ck_assert_int_eq(mts_loop_watch(r.loop, r.rx, MTS_EV_READ, on_rx, &r),
                   MTS_OK);
  ck_assert_int_eq(mts_loop_timer_set(r.loop, &r.guard, 30000), MTS_OK);
  ck_assert_int_eq(mts_loop_run(r.loop), MTS_OK);

  ck_assert_int_eq(r.guard_fired, 0);
  ck_assert_int_eq(r.n_got, N_DGRAMS);
  for (int i = 0; i < N_DGRAMS; i++) {
    ck_assert_int_eq(r.got[i], 1);
  }
  ck_assert_int_eq(r.in_order, 1);
  ck_assert_uint_eq(mts_udpbatch_queued(r.batch), 0);
  /* Room to send is udpbatch's business: the owner never hears of it. */
  ck_assert_uint_eq(r.owner_events & MTS_EV_WRITE, 0);
  rig_release(&r);
}
END_TEST

/* Closing a socket whose datagrams wait drops them and its watch: nothing
 * reaches a later socket that gets the same fd number. */
START_TEST(close_drops_waiting_datagrams)
{
  struct rig r;
  int fd;

  rig_init(&r);
  ck_assert_int_eq(mts_udpbatch_watch(r.batch, r.tx, MTS_EV_READ, on_owner, &r),
                   MTS_OK);
  queue_all(&r);
  mts_udpbatch_flush(r.batch);
  ck_assert_uint_gt(mts_udpbatch_queued(r.batch), 0);
  ck_assert_int_eq(mts_udpbatch_watch(r.batch, r.tx, 0, NULL, NULL), MTS_OK);
  fd = r.tx;
  ck_assert_int_eq(mts_udpbatch_close(r.batch, fd), 0);
  r.tx = -1;
  ck_assert_uint_eq(mts_udpbatch_queued(r.batch), 0);
  /* Nothing of the closed socket is left in the loop: with the receiver
   * unwatched, the loop has nothing to wait for and returns at once. */
  ck_assert_int_eq(mts_loop_run(r.loop), MTS_OK);
  ck_assert_int_eq(r.owner_calls, 0);
  rig_release(&r);
}
END_TEST

/* More datagrams than the queue's first size while the socket is full:
 * the queue grows instead of refusing or dropping one. */
START_TEST(queue_grows_while_blocked)
{
  struct rig r;
  int extra = 600;

  rig_init(&r);
  queue_all(&r);
  mts_udpbatch_flush(r.batch);
  for (int i = 0; i < extra; i++) {
    unsigned char d[DGRAM_LEN] = {0};
    struct iovec iov = {d, sizeof(d)};
    ck_assert_int_eq((int)mts_udpbatch_sendv(r.batch, r.tx, &iov, 1),
                     DGRAM_LEN);
  }
  mts_udpbatch_flush(r.batch);
  ck_assert_uint_gt(mts_udpbatch_queued(r.batch), (size_t)extra);
  rig_release(&r);
}
END_TEST

static Suite *
udpbatch_suite(void)
{
  Suite *s = suite_create("udpbatch");
  TCase *tc = tcase_create("core");

  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, full_send_buffer_loses_nothing);
  tcase_add_test(tc, close_drops_waiting_datagrams);
  tcase_add_test(tc, queue_grows_while_blocked);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(udpbatch_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
