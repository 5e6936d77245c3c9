/* Unit tests for --shard K/N (shard.h, docs/monitoring.md): the hash and
 * the key are a contract (a domain's shard never changes between
 * versions), and the shards of a list partition it. */
#include "mtasts/check.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a 64 test vectors (Fowler, Noll, Vo: draft-eastlake-fnv). */
START_TEST(fnv1a_vectors)
{
  ck_assert_uint_eq(mts_shard_hash("", 0), 0xcbf29ce484222325ULL);
  ck_assert_uint_eq(mts_shard_hash("a", 1), 0xaf63dc4c8601ec8cULL);
  ck_assert_uint_eq(mts_shard_hash("foobar", 6), 0x85944171f73967e8ULL);
  /* Length-based: a NUL octet is hashed like any other. */
  ck_assert_uint_ne(mts_shard_hash("a\0b", 3), mts_shard_hash("a", 1));
}
END_TEST

/* Pinned shards: if one of these changes, split runs of two versions
 * would no longer partition a list. Do not "fix" the expected values. */
static const struct {
  const char *input;
  unsigned long n;
  unsigned long shard;
} pinned[] = {
    {"example.com", 7, 2},
    {"example.com", 1000000, 529351},
    {"example.com", 3, 3},
    {"example.com", 1, 1},
    {"EXAMPLE.Com.", 7, 2},
    {"xn--bcher-kva.example", 7, 1},
    {"xn--bcher-kva.example", 1000000, 334741},
    {"b\xc3\xbc"
     "cher.example",
     7, 1},
    {"B\xc3\x9c"
     "CHER.example.",
     1000000, 334741},
    /* Not a domain: the input with ASCII letters lowercased. */
    {"bad domain!", 7, 6},
    {"Bad Domain!", 1000000, 883216},
    {"BAD DOMAIN!", 3, 1},
};

START_TEST(pinned_shards)
{
  unsigned long shard = 0;

  ck_assert_int_eq(mts_shard_of(pinned[_i].input, pinned[_i].n, &shard),
                   MTS_OK);
  ck_assert_msg(shard == pinned[_i].shard, "%s mod %lu: shard %lu, want %lu",
                pinned[_i].input, pinned[_i].n, shard, pinned[_i].shard);
}
END_TEST

/* Every domain of a list falls in exactly one shard 1..N, and the shards
 * are about even. */
START_TEST(partition)
{
  static const unsigned long ns[] = {1, 2, 3, 7, 16, 100};
  enum { N_DOMAINS = 5000 };

  for (size_t t = 0; t < sizeof(ns) / sizeof(ns[0]); t++) {
    unsigned long n = ns[t];
    unsigned long *count = calloc(n + 1, sizeof(*count));
    unsigned long total = 0;

    ck_assert_ptr_nonnull(count);
    for (unsigned i = 0; i < N_DOMAINS; i++) {
      char d[64];
      unsigned long shard = 0, again = 0, hits = 0;

      snprintf(d, sizeof(d), i % 5 == 0 ? "Host-%u.Example.ORG." : "d%u.test",
               i);
      ck_assert_int_eq(mts_shard_of(d, n, &shard), MTS_OK);
      ck_assert_uint_ge(shard, 1);
      ck_assert_uint_le(shard, n);
      /* Deterministic, and of the N runs exactly one takes it. */
      ck_assert_int_eq(mts_shard_of(d, n, &again), MTS_OK);
      ck_assert_uint_eq(again, shard);
      for (unsigned long k = 1; k <= n; k++) {
        hits += shard == k;
      }
      ck_assert_uint_eq(hits, 1);
      count[shard]++;
    }
    for (unsigned long k = 1; k <= n; k++) {
      total += count[k];
      /* Within half of the mean: a crude evenness check. */
      ck_assert_msg(count[k] * 2 >= N_DOMAINS / n,
                    "N=%lu: shard %lu has only %lu of %d", n, k, count[k],
                    N_DOMAINS);
    }
    ck_assert_uint_eq(total, N_DOMAINS);
    free(count);
  }
}
END_TEST

START_TEST(shard_of_bad_n)
{
  unsigned long shard = 42;

  ck_assert_int_eq(mts_shard_of("example.com", 0, &shard), MTS_EINVAL);
  ck_assert_int_eq(mts_shard_of("example.com", MTS_SHARD_MAX + 1, &shard),
                   MTS_EINVAL);
  ck_assert_uint_eq(shard, 42); /* untouched on error */
}
END_TEST

static const struct {
  const char *s;
  int ok;
  unsigned long k, n;
} parse_cases[] = {
    {"1/1", 1, 1, 1},
    {"1/4", 1, 1, 4},
    {"4/4", 1, 4, 4},
    {"17/100", 1, 17, 100},
    {"1000000/1000000", 1, 1000000, 1000000},
    {"007/010", 1, 7, 10},
    {"0/4", 0, 0, 0},
    {"5/4", 0, 0, 0},
    {"1/0", 0, 0, 0},
    {"1/1000001", 0, 0, 0},
    {"1", 0, 0, 0},
    {"1/", 0, 0, 0},
    {"/4", 0, 0, 0},
    {"", 0, 0, 0},
    {"-1/4", 0, 0, 0},
    {"+1/4", 0, 0, 0},
    {" 1/4", 0, 0, 0},
    {"1/4 ", 0, 0, 0},
    {"1/4/5", 0, 0, 0},
    {"1.0/4", 0, 0, 0},
    {"0x1/4", 0, 0, 0},
    {"99999999999999999999/4", 0, 0, 0},
};

START_TEST(parse_table)
{
  unsigned long k = 99, n = 99;
  enum mts_err err = mts_shard_parse(parse_cases[_i].s, &k, &n);

  if (parse_cases[_i].ok) {
    ck_assert_msg(err == MTS_OK, "'%s' rejected", parse_cases[_i].s);
    ck_assert_uint_eq(k, parse_cases[_i].k);
    ck_assert_uint_eq(n, parse_cases[_i].n);
  } else {
    ck_assert_msg(err == MTS_EINVAL, "'%s' accepted", parse_cases[_i].s);
    ck_assert_uint_eq(k, 99);
    ck_assert_uint_eq(n, 99);
  }
}
END_TEST

static Suite *
shard_suite(void)
{
  Suite *s = suite_create("shard");
  TCase *tc = tcase_create("shard");

  tcase_add_test(tc, fnv1a_vectors);
  tcase_add_loop_test(tc, pinned_shards, 0,
                      (int)(sizeof(pinned) / sizeof(pinned[0])));
  tcase_add_test(tc, partition);
  tcase_add_test(tc, shard_of_bad_n);
  tcase_add_loop_test(tc, parse_table, 0,
                      (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(shard_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
