/* Unit tests for the TLSA RDATA reader (net/tlsa.c; RFC 6698 §2.1,
 * RFC 7672 §3.1.3, mx-transport.md R169). */
#include "mtasts/net.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t sha256[32] = {
    0x0c, 0x72, 0xac, 0x70, 1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12,
    13,   14,   15,   16,   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28};

static const struct {
  uint8_t usage, selector, mtype;
  size_t len; /* octets of data, from sha256 (repeated for 64) */
  int usable;
} cases[] = {
    {3, 1, 1, 32, 1}, /* the common DANE-EE SPKI SHA-256 */
    {3, 0, 1, 32, 1}, {2, 0, 1, 32, 1},
    {2, 1, 2, 64, 1}, {3, 1, 0, 5, 1}, /* exact: any length */
    {0, 0, 1, 32, 0}, /* PKIX-TA: unusable for SMTP (RFC 7672 §3.1.3) */
    {1, 1, 1, 32, 0}, /* PKIX-EE */
    {4, 1, 1, 32, 0}, /* unknown usage */
    {3, 2, 1, 32, 0}, /* unknown selector */
    {3, 1, 3, 32, 0}, /* unknown matching type */
    {3, 1, 1, 31, 0}, /* SHA-256 of the wrong length matches nothing */
    {3, 1, 2, 32, 0}, /* SHA-512 of the wrong length */
};

START_TEST(table)
{
  uint8_t rd[3 + 64];
  struct mts_tlsa t;

  rd[0] = cases[_i].usage;
  rd[1] = cases[_i].selector;
  rd[2] = cases[_i].mtype;
  memcpy(rd + 3, sha256, 32);
  memcpy(rd + 35, sha256, 32);
  ck_assert_int_eq(mts_tlsa_parse(rd, 3 + cases[_i].len, &t), MTS_OK);
  ck_assert_uint_eq(t.usage, cases[_i].usage);
  ck_assert_uint_eq(t.selector, cases[_i].selector);
  ck_assert_uint_eq(t.mtype, cases[_i].mtype);
  ck_assert_uint_eq(t.len, cases[_i].len);
  ck_assert_ptr_eq(t.data, rd + 3);
  ck_assert_int_eq(mts_tlsa_usable(&t), cases[_i].usable);
}
END_TEST

START_TEST(too_short)
{
  const uint8_t rd[3] = {3, 1, 1};
  struct mts_tlsa t = {9, 9, 9, NULL, 7};

  ck_assert_int_eq(mts_tlsa_parse(rd, 0, &t), MTS_EINVAL);
  ck_assert_int_eq(mts_tlsa_parse(rd, 3, &t), MTS_EINVAL);
  ck_assert_int_eq(mts_tlsa_parse(NULL, 9, &t), MTS_EINVAL);
  /* Out-parameter untouched on failure. */
  ck_assert_uint_eq(t.usage, 9);
  ck_assert_uint_eq(t.len, 7);
}
END_TEST

START_TEST(presentation)
{
  const uint8_t rd[] = {3, 1, 1, 0x0c, 0x72, 0xac, 0xff};
  struct mts_tlsa t;
  char *s;

  ck_assert_int_eq(mts_tlsa_parse(rd, sizeof(rd), &t), MTS_OK);
  s = mts_tlsa_str(&t);
  ck_assert_ptr_nonnull(s);
  ck_assert_str_eq(s, "3 1 1 0c72acff");
  free(s);
}
END_TEST

static Suite *
tlsa_suite(void)
{
  Suite *s = suite_create("tlsa");
  TCase *tc = tcase_create("core");

  tcase_add_loop_test(tc, table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
  tcase_add_test(tc, too_short);
  tcase_add_test(tc, presentation);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(tlsa_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
