/* Unit tests for domain normalisation (rfc-rules R9). */
#include "mtasts/rules.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static const struct {
  const char *input;
  const char *alabel;  /* NULL: must be rejected */
  const char *unicode; /* expected Unicode form, or NULL */
} cases[] = {
    {"example.com", "example.com", NULL},
    {"Example.COM.", "example.com", NULL},
    {"mail.example.com", "mail.example.com", NULL},
    {"a-b.example", "a-b.example", NULL},
    {"xn--bcher-kva.example", "xn--bcher-kva.example",
     "b\xc3\xbc"
     "cher.example"},
    {"XN--BCHER-KVA.example.", "xn--bcher-kva.example",
     "b\xc3\xbc"
     "cher.example"},
    {"b\xc3\xbc"
     "cher.example",
     "xn--bcher-kva.example",
     "b\xc3\xbc"
     "cher.example"},
    {"B\xc3\x9c"
     "CHER.example",
     "xn--bcher-kva.example",
     "b\xc3\xbc"
     "cher.example"},
    {"\xe4\xbe\x8b\xe3\x81\x88.jp", "xn--r8jz45g.jp",
     "\xe4\xbe\x8b\xe3\x81\x88.jp"},
    {"com", "com", NULL},
    /* 63-octet label: the longest allowed. */
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test",
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test",
     NULL},
    /* rejected */
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test",
     NULL, NULL},
    {"", NULL, NULL},
    {".", NULL, NULL},
    {"..", NULL, NULL},
    {"a..b", NULL, NULL},
    {".example.com", NULL, NULL},
    {"example.com..", NULL, NULL},
    {"-a.example", NULL, NULL},
    {"a-.example", NULL, NULL},
    {"a_b.example", NULL, NULL},
    {"_mta-sts.example", NULL, NULL},
    {"exa mple.com", NULL, NULL},
    {"example.com/x", NULL, NULL},
    {"user@example.com", NULL, NULL},
    {"192.0.2.1", NULL, NULL},
    {"[192.0.2.1]", NULL, NULL},
    {"2001:db8::1", NULL, NULL},
    {"[IPv6:2001:db8::1]", NULL, NULL},
    {"xn--zz.example", NULL, NULL},
    {"\xff\xfe.example", NULL, NULL},
    {"a\tb.example", NULL, NULL},
};

START_TEST(normalize_table)
{
  char out[256];
  char *uni = NULL;
  const char *why = NULL;
  enum mts_err err;

  err = mts_domain_normalize(cases[_i].input, out, sizeof(out), &uni, &why);
  if (cases[_i].alabel == NULL) {
    ck_assert_msg(err == MTS_EINVAL, "'%s' accepted as '%s'", cases[_i].input,
                  err == MTS_OK ? out : "?");
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_null(uni);
    return;
  }
  ck_assert_msg(err == MTS_OK, "'%s' rejected: %s", cases[_i].input,
                why ? why : "?");
  ck_assert_str_eq(out, cases[_i].alabel);
  if (cases[_i].unicode == NULL) {
    ck_assert_ptr_null(uni);
  } else {
    ck_assert_ptr_nonnull(uni);
    ck_assert_str_eq(uni, cases[_i].unicode);
  }
  free(uni);
}
END_TEST

START_TEST(name_too_long)
{
  char in[300], out[256];
  const char *why = NULL;

  /* 4 labels of 63 + 3 dots = 255 > 253. */
  memset(in, 'a', sizeof(in));
  in[63] = in[127] = in[191] = '.';
  in[255] = '\0';
  ck_assert_int_eq(mts_domain_normalize(in, out, sizeof(out), NULL, &why),
                   MTS_EINVAL);
  /* 253 exactly is fine. */
  in[253] = '\0';
  ck_assert_int_eq(mts_domain_normalize(in, out, sizeof(out), NULL, &why),
                   MTS_OK);
}
END_TEST

START_TEST(ip_literals)
{
  ck_assert_int_eq(mts_domain_is_ip_literal("192.0.2.1"), 1);
  ck_assert_int_eq(mts_domain_is_ip_literal("::1"), 1);
  ck_assert_int_eq(mts_domain_is_ip_literal("[192.0.2.1]"), 1);
  ck_assert_int_eq(mts_domain_is_ip_literal("mx1.example.com"), 0);
  ck_assert_int_eq(mts_domain_is_ip_literal("192.0.2.1.example"), 0);
}
END_TEST

static Suite *
domain_suite(void)
{
  Suite *s = suite_create("domain");
  TCase *tc = tcase_create("normalize");

  tcase_add_loop_test(tc, normalize_table, 0,
                      (int)(sizeof(cases) / sizeof(cases[0])));
  tcase_add_test(tc, name_too_long);
  tcase_add_test(tc, ip_literals);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(domain_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
