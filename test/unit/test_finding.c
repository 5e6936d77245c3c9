/* The finding codes are a public contract: every code has a name, an RFC
 * reference and a fix-it sentence, and docs/findings.md documents each one
 * with its severity. */
#include "mtasts/finding.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testfile.h"

START_TEST(every_code_is_complete)
{
  enum mts_code c = (enum mts_code)_i;
  const char *name = mts_code_name(c);

  ck_assert_str_ne(name, "?");
  for (const char *p = name; *p; p++) {
    ck_assert_msg((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '_',
                  "%s is not UPPER_SNAKE_CASE", name);
  }
  ck_assert_msg(strncmp(mts_code_rfc(c), "RFC ", 4) == 0, "%s: rfc '%s'", name,
                mts_code_rfc(c));
  ck_assert_msg(strlen(mts_code_fix(c)) > 20, "%s: no fix-it text", name);
  for (int k = 0; k < _i; k++) {
    ck_assert_str_ne(mts_code_name((enum mts_code)k), name);
  }
}
END_TEST

START_TEST(every_code_is_documented)
{
  enum mts_code c = (enum mts_code)_i;
  char *doc = test_slurp(MTS_SOURCE_DIR "/docs/findings.md");
  char heading[96], sev[64];
  const char *at, *next;

  snprintf(heading, sizeof(heading), "### %s\n", mts_code_name(c));
  at = strstr(doc, heading);
  ck_assert_msg(at != NULL, "docs/findings.md lacks '### %s'",
                mts_code_name(c));
  /* The severity line belongs to this heading, before the next one. */
  next = strstr(at + 1, "\n### ");
  snprintf(sev, sizeof(sev), "Severity: %s",
           mts_severity_str(mts_code_severity(c)));
  at = strstr(at, sev);
  ck_assert_msg(at != NULL && (next == NULL || at < next),
                "docs/findings.md: %s should say '%s'", mts_code_name(c), sev);
  free(doc);
}
END_TEST

START_TEST(findings_list)
{
  struct mts_findings list = {0};

  for (int i = 0; i < 100; i++) {
    ck_assert_int_eq(
        mts_findings_add(&list, MTS_F_STS_ID_INVALID, "a\0b", 3, "case %d", i),
        MTS_OK);
  }
  ck_assert_uint_eq(list.n, 100);
  ck_assert_str_eq(list.v[42].message, "case 42");
  ck_assert_uint_eq(list.v[42].subject_len, 3);
  ck_assert_int_eq(memcmp(list.v[42].subject, "a\0b", 3), 0);
  ck_assert_int_eq(list.v[0].severity, MTS_SEV_ERROR);
  ck_assert_int_eq(mts_findings_add_sev(&list, MTS_F_STS_ID_INVALID,
                                        MTS_SEV_WARNING, NULL, 0, "x"),
                   MTS_OK);
  ck_assert_int_eq(list.v[100].severity, MTS_SEV_WARNING);
  ck_assert_ptr_null(list.v[100].subject);
  ck_assert_int_eq(mts_findings_has(&list, MTS_F_STS_ID_INVALID), 1);
  ck_assert_int_eq(mts_findings_has(&list, MTS_F_STS_ID_MISSING), 0);
  mts_findings_release(&list);
  ck_assert_uint_eq(list.n, 0);
  mts_findings_release(&list);
}
END_TEST

static Suite *
finding_suite(void)
{
  Suite *s = suite_create("finding");
  TCase *tc = tcase_create("codes");

  tcase_add_loop_test(tc, every_code_is_complete, 0, MTS_F__COUNT);
  tcase_add_loop_test(tc, every_code_is_documented, 0, MTS_F__COUNT);
  tcase_add_test(tc, findings_list);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(finding_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
