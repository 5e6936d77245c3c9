/* `mtasts-check report` option parsing (rptcmd.h), its --help, and its
 * man page section. The driver itself is tested end to end by
 * test/integration/report_cases.py. */

#include "cli/opttab.h"
#include "cli/rptcmd.h"
#include "optcheck.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef MTS_SOURCE_DIR
#error "MTS_SOURCE_DIR must name the source tree"
#endif

#define MAXARGS 8

static const struct {
  const char *argv[MAXARGS]; /* after "report"; NULL-terminated */
  int ok;
  int json, summary, quiet;
  double threshold;
  size_t max_input; /* 0: the default */
  size_t n_paths;
} cases[] = {
    {{"a.json", NULL}, 1, 0, 0, 0, 5.0, 0, 1},
    {{"-j", "--summary", "-q", "-", "b", NULL}, 1, 1, 1, 1, 5.0, 0, 2},
    {{"--format", "json", "x", NULL}, 1, 1, 0, 0, 5.0, 0, 1},
    {{"-j", "--format", "text", "x", NULL}, 1, 0, 0, 0, 5.0, 0, 1},
    {{"--fail-threshold", "0", "x", NULL}, 1, 0, 0, 0, 0.0, 0, 1},
    {{"--fail-threshold=2.5", "x", NULL}, 1, 0, 0, 0, 2.5, 0, 1},
    {{"--fail-threshold", "100", "x", NULL}, 1, 0, 0, 0, 100.0, 0, 1},
    {{"--fail-threshold", ".5", "x", NULL}, 1, 0, 0, 0, 0.5, 0, 1},
    {{"--max-size", "1000", "x", NULL}, 1, 0, 0, 0, 5.0, 1000, 1},
    {{"--max-size", "2k", "x", NULL}, 1, 0, 0, 0, 5.0, 2048, 1},
    {{"--max-size", "3M", "x", NULL}, 1, 0, 0, 0, 5.0, 3u << 20, 1},
    {{"x", "--summary", NULL}, 1, 0, 1, 0, 5.0, 0, 1}, /* options after */
    {{"--", "-q", NULL}, 1, 0, 0, 0, 5.0, 0, 1},       /* a path "-q" */
    {{"--color", "never", "x", NULL}, 1, 0, 0, 0, 5.0, 0, 1},
    {{NULL}, 0, 0, 0, 0, 0, 0, 0},
    {{"-j", NULL}, 0, 0, 0, 0, 0, 0, 0},
    {{"--fail-threshold", "101", "x", NULL}, 0, 0, 0, 0, 0, 0, 0},
    {{"--fail-threshold", "-1", "x", NULL}, 0, 0, 0, 0, 0, 0, 0},
    {{"--fail-threshold", "1e1", "x", NULL}, 0, 0, 0, 0, 0, 0, 0},
    {{"--fail-threshold", "1.2.3", "x", NULL}, 0, 0, 0, 0, 0, 0, 0},
    {{"--fail-threshold", "", "x", NULL}, 0, 0, 0, 0, 0, 0, 0},
    {{"--fail-threshold", "inf", "x", NULL}, 0, 0, 0, 0, 0, 0, 0},
    {{"--max-size", "0", "x", NULL}, 0, 0, 0, 0, 0, 0, 0},
    {{"--max-size", "5G", "x", NULL}, 0, 0, 0, 0, 0, 0, 0},
    {{"--max-size", "12x", "x", NULL}, 0, 0, 0, 0, 0, 0, 0},
    {{"--format", "prom", "x", NULL}, 0, 0, 0, 0, 0, 0, 0},
    {{"--color", "maybe", "x", NULL}, 0, 0, 0, 0, 0, 0, 0},
    {{"--nope", "x", NULL}, 0, 0, 0, 0, 0, 0, 0},
    {{"-V", "x", NULL}, 0, 0, 0, 0, 0, 0, 0},
    {{"", NULL}, 0, 0, 0, 0, 0, 0, 0},
    {{"--max-size", NULL}, 0, 0, 0, 0, 0, 0, 0},
};

START_TEST(test_parse)
{
  char *argv[MAXARGS + 1];
  char errbuf[256] = "";
  struct mts_rptcmd_opts o;
  struct mts_rpt_limits def;
  int argc = 0;
  enum mts_err err;

  argv[argc++] = (char *)(uintptr_t) "report";
  for (int i = 0; cases[_i].argv[i] != NULL; i++) {
    argv[argc++] = (char *)(uintptr_t)cases[_i].argv[i];
  }
  argv[argc] = NULL;
  mts_rpt_limits_default(&def);
  err = mts_rptcmd_parse(argc, argv, &o, errbuf, sizeof(errbuf));
  if (!cases[_i].ok) {
    ck_assert_int_eq(err, MTS_EINVAL);
    ck_assert_msg(errbuf[0] != '\0' && strchr(errbuf, '\n') == NULL,
                  "one line of error: '%s'", errbuf);
    return;
  }
  ck_assert_msg(err == MTS_OK, "case %d: %s", _i, errbuf);
  ck_assert_int_eq(o.json, cases[_i].json);
  ck_assert_int_eq(o.summary, cases[_i].summary);
  ck_assert_int_eq(o.quiet, cases[_i].quiet);
  ck_assert_double_eq_tol(o.threshold, cases[_i].threshold, 1e-9);
  ck_assert_uint_eq(o.lim.max_input,
                    cases[_i].max_input ? cases[_i].max_input : def.max_input);
  ck_assert_uint_eq(o.lim.max_json, def.max_json);
  ck_assert_uint_eq(o.n_paths, cases[_i].n_paths);
  ck_assert_int_eq(o.color, 0); /* never, or auto and not a terminal */
}
END_TEST

/* --format prometheus: the last of -j and --format wins; --summary has no
 * meaning with it (a usage error, whatever the order). */
static const struct {
  const char *argv[MAXARGS];
  int ok, json, prom;
} prom_cases[] = {
    {{"--format", "prometheus", "x", NULL}, 1, 0, 1},
    {{"--format=prometheus", "-q", "x", NULL}, 1, 0, 1},
    {{"-j", "--format", "prometheus", "x", NULL}, 1, 0, 1},
    {{"--format", "prometheus", "-j", "x", NULL}, 1, 1, 0},
    {{"--format", "prometheus", "--format", "text", "x", NULL}, 1, 0, 0},
    {{"--format", "prometheus", "--summary", "x", NULL}, 0, 0, 0},
    {{"--summary", "--format", "prometheus", "x", NULL}, 0, 0, 0},
    {{"--format", "Prometheus", "x", NULL}, 0, 0, 0},
};

START_TEST(test_prom_format)
{
  char *argv[MAXARGS + 1];
  char errbuf[256] = "";
  struct mts_rptcmd_opts o;
  int argc = 0;
  enum mts_err err;

  argv[argc++] = (char *)(uintptr_t) "report";
  for (int i = 0; prom_cases[_i].argv[i] != NULL; i++) {
    argv[argc++] = (char *)(uintptr_t)prom_cases[_i].argv[i];
  }
  argv[argc] = NULL;
  err = mts_rptcmd_parse(argc, argv, &o, errbuf, sizeof(errbuf));
  if (!prom_cases[_i].ok) {
    ck_assert_int_eq(err, MTS_EINVAL);
    ck_assert_msg(errbuf[0] != '\0' && strchr(errbuf, '\n') == NULL,
                  "one line of error: '%s'", errbuf);
    return;
  }
  ck_assert_msg(err == MTS_OK, "case %d: %s", _i, errbuf);
  ck_assert_int_eq(o.json, prom_cases[_i].json);
  ck_assert_int_eq(o.prom, prom_cases[_i].prom);
}
END_TEST

START_TEST(test_help_option)
{
  char *argv[] = {(char *)(uintptr_t) "report", (char *)(uintptr_t) "-h", NULL};
  struct mts_rptcmd_opts o;
  char errbuf[256];

  /* --help needs no path. */
  ck_assert_int_eq(mts_rptcmd_parse(2, argv, &o, errbuf, sizeof(errbuf)),
                   MTS_OK);
  ck_assert_int_eq(o.help, 1);
}
END_TEST

/* Every long option in the man page's REPORT section and in --help. */
START_TEST(test_documented)
{
  size_t n;
  const struct mts_optdef *defs = mts_rptcmd_optdefs(&n);
  char *text = test_slurp(MTS_SOURCE_DIR "/docs/mtasts-check.1");
  char *sec = strstr(text, "\n.SH REPORT");
  char *end, *help = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&help, &len);

  ck_assert_msg(sec != NULL, "docs/mtasts-check.1 has no .SH REPORT");
  end = strstr(sec + 1, "\n.SH ");
  if (end != NULL) {
    *end = '\0';
  }
  ck_assert_ptr_nonnull(f);
  mts_rptcmd_help(f);
  fclose(f);
  optcheck_documents(defs, n, sec, "the REPORT section of docs/mtasts-check.1");
  optcheck_documents(defs, n, help, "report --help");
  free(help);
  free(text);
}
END_TEST

/* The words the completions offer after --format and --color (the
 * table's values) are the ones the parser takes. */
START_TEST(test_option_words_accepted)
{
  size_t n;
  const struct mts_optdef *defs = mts_rptcmd_optdefs(&n);
  struct mts_rptcmd_opts o;
  char errbuf[256], name[64];
  size_t with_words = 0;

  for (size_t i = 0; i < n; i++) {
    if (defs[i].values == NULL) {
      continue;
    }
    with_words++;
    snprintf(name, sizeof(name), "--%s", defs[i].name);
    for (size_t j = 0; defs[i].values[j] != NULL; j++) {
      char *argv[] = {(char *)(uintptr_t) "report", name,
                      (char *)(uintptr_t)defs[i].values[j],
                      (char *)(uintptr_t) "-", NULL};
      ck_assert_msg(mts_rptcmd_parse(4, argv, &o, errbuf, sizeof(errbuf)) ==
                        MTS_OK,
                    "%s %s: %s", name, defs[i].values[j], errbuf);
    }
    {
      char *argv[] = {(char *)(uintptr_t) "report", name,
                      (char *)(uintptr_t) "bogus", (char *)(uintptr_t) "-",
                      NULL};
      ck_assert_int_eq(mts_rptcmd_parse(4, argv, &o, errbuf, sizeof(errbuf)),
                       MTS_EINVAL);
      optcheck_error_words(errbuf, defs[i].values);
    }
  }
  ck_assert_uint_eq(with_words, 3); /* --format, --color, --lang */
}
END_TEST

static Suite *
rptcmd_suite(void)
{
  Suite *s = suite_create("rptcmd");
  TCase *tc = tcase_create("core");

  tcase_add_loop_test(tc, test_parse, 0,
                      (int)(sizeof(cases) / sizeof(cases[0])));
  tcase_add_loop_test(tc, test_prom_format, 0,
                      (int)(sizeof(prom_cases) / sizeof(prom_cases[0])));
  tcase_add_test(tc, test_help_option);
  tcase_add_test(tc, test_documented);
  tcase_add_test(tc, test_option_words_accepted);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(rptcmd_suite());
  int failed;

  srunner_run_all(sr, CK_ENV);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
