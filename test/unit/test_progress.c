/* Unit tests for the progress line and the summary line (progress.h). */
#include "mtasts/check.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(summary_counts)
{
  struct mts_tally t;
  char buf[160];

  memset(&t, 0, sizeof(t));
  for (int i = 0; i < 1100; i++) {
    mts_tally_add(&t, MTS_STATUS_OK);
  }
  for (int i = 0; i < 60; i++) {
    mts_tally_add(&t, MTS_STATUS_WARNING);
  }
  for (int i = 0; i < 30; i++) {
    mts_tally_add(&t, MTS_STATUS_ERROR);
  }
  for (int i = 0; i < 10; i++) {
    mts_tally_add(&t, MTS_STATUS_UNKNOWN);
  }
  ck_assert_uint_eq(mts_tally_total(&t), 1200);
  mts_summary_format(buf, sizeof(buf), &t);
  ck_assert_str_eq(buf, "checked 1200 domains: 1100 ok, 60 warning, 30 "
                        "error, 10 unknown");
}
END_TEST

START_TEST(summary_singular_and_cut)
{
  struct mts_tally t;
  char buf[160], small[10];
  size_t n;

  memset(&t, 0, sizeof(t));
  mts_tally_add(&t, MTS_STATUS_UNKNOWN);
  mts_summary_format(buf, sizeof(buf), &t);
  ck_assert_str_eq(buf,
                   "checked 1 domain: 0 ok, 0 warning, 0 error, 1 unknown");
  n = mts_summary_format(small, sizeof(small), &t);
  ck_assert_uint_eq(n, 9);
  ck_assert_str_eq(small, "checked 1");
}
END_TEST

START_TEST(progress_known_total)
{
  char buf[256];
  size_t n;

  /* 1200 of 5000 in 2 s: 600/s, 3800 left: 6.3 s -> 6s. */
  n = mts_progress_format(buf, sizeof(buf), 1200, 5000, 2000, 79);
  ck_assert_uint_eq(n, strlen(buf));
  ck_assert_uint_le(n, 79);
  ck_assert_ptr_nonnull(strstr(buf, "1200/5000"));
  ck_assert_ptr_nonnull(strstr(buf, " 24%"));
  ck_assert_ptr_nonnull(strstr(buf, "600/s"));
  ck_assert_ptr_nonnull(strstr(buf, "ETA 6s"));
  ck_assert_int_eq(buf[0], '[');
}
END_TEST

START_TEST(progress_bar_fill)
{
  char buf[256];

  /* Half done: the bar is half '#'. 80 columns: a bar of 40. */
  mts_progress_format(buf, sizeof(buf), 50, 100, 1000, 80);
  ck_assert_int_eq(
      strncmp(buf, "[####################....................]", 42), 0);
  mts_progress_format(buf, sizeof(buf), 100, 100, 1000, 80);
  ck_assert_int_eq(
      strncmp(buf, "[########################################]", 42), 0);
  ck_assert_ptr_nonnull(strstr(buf, "ETA 0s"));
}
END_TEST

START_TEST(progress_eta_forms)
{
  char buf[256];

  /* 1 a second, 125 left: 2:05; 3725 left: 1:02:05. */
  mts_progress_format(buf, sizeof(buf), 10, 135, 10000, 100);
  ck_assert_ptr_nonnull(strstr(buf, "ETA 2:05"));
  mts_progress_format(buf, sizeof(buf), 10, 3735, 10000, 100);
  ck_assert_ptr_nonnull(strstr(buf, "ETA 1:02:05"));
  /* Nothing done yet: no rate, no ETA. */
  mts_progress_format(buf, sizeof(buf), 0, 10, 0, 100);
  ck_assert_ptr_nonnull(strstr(buf, "ETA -"));
}
END_TEST

START_TEST(progress_unknown_total)
{
  char buf[256];

  mts_progress_format(buf, sizeof(buf), 1500, 0, 3000, 80);
  ck_assert_str_eq(buf, "1500 checked  500/s");
}
END_TEST

START_TEST(progress_narrow)
{
  char buf[256];
  size_t n;

  /* No room for a bar: the numbers alone, cut to the width. */
  n = mts_progress_format(buf, sizeof(buf), 1200, 5000, 2000, 30);
  ck_assert_uint_le(n, 30);
  ck_assert_int_eq(strncmp(buf, "1200/5000", 9), 0);
  n = mts_progress_format(buf, sizeof(buf), 1200, 5000, 2000, 5);
  ck_assert_uint_eq(n, 5);
  n = mts_progress_format(buf, 8, 1200, 5000, 2000, 200);
  ck_assert_uint_eq(n, 7);
  ck_assert_uint_eq(strlen(buf), 7);
  /* More done than counted up front: the total follows. */
  mts_progress_format(buf, sizeof(buf), 12, 10, 1000, 80);
  ck_assert_ptr_nonnull(strstr(buf, "12/12"));
}
END_TEST

static Suite *
progress_suite(void)
{
  Suite *s = suite_create("progress");
  TCase *tc = tcase_create("progress");

  tcase_add_test(tc, summary_counts);
  tcase_add_test(tc, summary_singular_and_cut);
  tcase_add_test(tc, progress_known_total);
  tcase_add_test(tc, progress_bar_fill);
  tcase_add_test(tc, progress_eta_forms);
  tcase_add_test(tc, progress_unknown_total);
  tcase_add_test(tc, progress_narrow);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(progress_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
