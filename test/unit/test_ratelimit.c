/* Unit tests for the --qps token bucket (ratelimit.h): driven by a fake
 * clock, so that the rate is checked exactly and without sleeping. */
#include "net/ratelimit.h"

#include <check.h>
#include <stdlib.h>

START_TEST(unlimited_always_takes)
{
  struct mts_ratelimit rl;

  mts_ratelimit_init(&rl, 0.0, 0.0, 1000);
  for (int i = 0; i < 100000; i++) {
    ck_assert_int_eq(mts_ratelimit_take(&rl, 1000), 1);
  }
  ck_assert_int_eq(mts_ratelimit_wait_ms(&rl, 1000, 1.0), 0);
}
END_TEST

START_TEST(burst_then_rate)
{
  struct mts_ratelimit rl;
  int taken = 0;

  /* 100 a second, a bucket of 10: 10 at once, then one every 10 ms. */
  mts_ratelimit_init(&rl, 100.0, 10.0, 5000);
  while (mts_ratelimit_take(&rl, 5000)) {
    taken++;
  }
  ck_assert_int_eq(taken, 10);
  ck_assert_int_eq(mts_ratelimit_wait_ms(&rl, 5000, 1.0), 10);
  ck_assert_int_eq(mts_ratelimit_take(&rl, 5009), 0);
  ck_assert_int_eq(mts_ratelimit_wait_ms(&rl, 5009, 1.0), 1);
  ck_assert_int_eq(mts_ratelimit_take(&rl, 5010), 1);
  ck_assert_int_eq(mts_ratelimit_take(&rl, 5010), 0);
}
END_TEST

/* Over any stretch of time T, at most rate * T + burst tokens. */
START_TEST(long_run_rate)
{
  struct mts_ratelimit rl;
  unsigned long taken = 0;

  mts_ratelimit_init(&rl, 250.0, 25.0, 0);
  for (uint64_t now = 0; now <= 10000; now++) {
    while (mts_ratelimit_take(&rl, now)) {
      taken++;
    }
  }
  /* 10 s at 250/s plus the first bucket. */
  ck_assert_uint_eq(taken, 2500 + 25);
}
END_TEST

START_TEST(bucket_does_not_overfill)
{
  struct mts_ratelimit rl;
  int taken = 0;

  mts_ratelimit_init(&rl, 10.0, 1.0, 0);
  ck_assert_int_eq(mts_ratelimit_take(&rl, 0), 1);
  /* An hour idle still earns one token: the bucket holds one. */
  while (mts_ratelimit_take(&rl, 3600000)) {
    taken++;
  }
  ck_assert_int_eq(taken, 1);
}
END_TEST

START_TEST(slow_rates_and_small_buckets)
{
  struct mts_ratelimit rl;

  /* 0.5 a second: a bucket below 1 is raised to 1; the next token is
   * 2000 ms away. */
  mts_ratelimit_init(&rl, 0.5, 0.05, 0);
  ck_assert_int_eq(mts_ratelimit_take(&rl, 0), 1);
  ck_assert_int_eq(mts_ratelimit_take(&rl, 0), 0);
  ck_assert_int_eq(mts_ratelimit_wait_ms(&rl, 0, 1.0), 2000);
  ck_assert_int_eq(mts_ratelimit_wait_ms(&rl, 1500, 1.0), 500);
  ck_assert_int_eq(mts_ratelimit_take(&rl, 2000), 1);
}
END_TEST

/* Waiting for several tokens: a domain's first queries leave together. */
START_TEST(wait_for_several)
{
  struct mts_ratelimit rl;

  mts_ratelimit_init(&rl, 5.0, 5.0, 0);
  for (int i = 0; i < 5; i++) {
    ck_assert_int_eq(mts_ratelimit_take(&rl, 0), 1);
  }
  ck_assert_int_eq(mts_ratelimit_wait_ms(&rl, 0, 5.0), 1000);
  ck_assert_int_eq(mts_ratelimit_wait_ms(&rl, 0, 3.0), 600);
  /* More than the bucket holds: as much as it holds. */
  ck_assert_int_eq(mts_ratelimit_wait_ms(&rl, 0, 50.0), 1000);
  ck_assert_int_eq(mts_ratelimit_wait_ms(&rl, 1000, 5.0), 0);
}
END_TEST

START_TEST(clock_backwards_earns_nothing)
{
  struct mts_ratelimit rl;

  mts_ratelimit_init(&rl, 100.0, 1.0, 1000);
  ck_assert_int_eq(mts_ratelimit_take(&rl, 1000), 1);
  ck_assert_int_eq(mts_ratelimit_take(&rl, 500), 0);
  ck_assert_int_eq(mts_ratelimit_wait_ms(&rl, 500, 1.0), 10);
  ck_assert_int_eq(mts_ratelimit_take(&rl, 1010), 1);
}
END_TEST

/* The wait rounds up: a wake-up at now + wait always finds a token. */
START_TEST(wait_then_take)
{
  struct mts_ratelimit rl;
  uint64_t now = 0;

  mts_ratelimit_init(&rl, 3.0, 1.0, 0);
  for (int i = 0; i < 50; i++) {
    long w = mts_ratelimit_wait_ms(&rl, now, 1.0);
    now += (uint64_t)w;
    ck_assert_int_eq(mts_ratelimit_take(&rl, now), 1);
  }
  /* 49 tokens after the first at 3 a second: about 16.3 s. */
  ck_assert_uint_ge(now, 16300);
  ck_assert_uint_le(now, 16400);
}
END_TEST

static Suite *
ratelimit_suite(void)
{
  Suite *s = suite_create("ratelimit");
  TCase *tc = tcase_create("ratelimit");

  tcase_add_test(tc, unlimited_always_takes);
  tcase_add_test(tc, burst_then_rate);
  tcase_add_test(tc, long_run_rate);
  tcase_add_test(tc, bucket_does_not_overfill);
  tcase_add_test(tc, slow_rates_and_small_buckets);
  tcase_add_test(tc, wait_for_several);
  tcase_add_test(tc, clock_backwards_earns_nothing);
  tcase_add_test(tc, wait_then_take);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(ratelimit_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
