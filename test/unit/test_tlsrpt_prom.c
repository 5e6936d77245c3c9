/* report --format prometheus (tlsrpt_prom.c, docs/monitoring.md "TLS-RPT
 * report metrics"): a golden file from hand-built reports, the caps that
 * bound the series, label values cut and escaped, and the policy types
 * kept apart.
 *
 * Regenerate the golden after a deliberate change, then review it:
 *   MTS_UPDATE_GOLDEN=1 ./test_tlsrpt_prom
 */

#include "mtasts/tlsrpt.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef MTS_SOURCE_DIR
#error "MTS_SOURCE_DIR must name the source tree"
#endif

#define NOW 1795856460LL /* 2026-11-28T09:01:00Z */
#define DAY_END 1795737599LL
#define LAST_LINE "\nmtasts_tlsrpt_last_run_timestamp_seconds 1795856460\n"

/* The tests only read these: string literals stand in for the parser's
 * heap strings. */
#define S(lit) ((char *)(uintptr_t)(lit))

static struct mts_rpt
report(const char *org, struct mts_rpt_policy *pols, size_t n)
{
  struct mts_rpt r;

  memset(&r, 0, sizeof(r));
  r.valid = 1;
  r.organization = S(org);
  r.have_dates = 1;
  r.start_epoch = DAY_END - 86399;
  r.end_epoch = DAY_END;
  r.policies = pols;
  r.n_policies = n;
  return r;
}

static struct mts_rpt_policy
policy(const char *type, const char *domain, uint64_t ok, uint64_t failed)
{
  struct mts_rpt_policy p;

  memset(&p, 0, sizeof(p));
  p.policy_type = S(type);
  p.policy_domain = S(domain);
  p.successful = ok;
  p.failed = failed;
  return p;
}

static char *
write_all(const struct mts_rpt_prom *p, const struct mts_rpt_tally *t,
          size_t *len)
{
  char *buf = NULL;
  FILE *f = open_memstream(&buf, len);

  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(mts_rpt_prom_write(f, p, t, NOW), MTS_OK);
  ck_assert_int_eq(fclose(f), 0);
  return buf;
}

static void
check_golden(const char *name, const char *out, size_t len)
{
  char path[512];
  const char *update = getenv("MTS_UPDATE_GOLDEN");
  FILE *f;
  char *want;
  long size;

  snprintf(path, sizeof(path), "%s/fixtures/expected/%s", MTS_SOURCE_DIR, name);
  if (update != NULL && update[0] == '1') {
    f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(out, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
  }
  f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "%s is missing (MTS_UPDATE_GOLDEN=1 writes it)",
                path);
  ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
  size = ftell(f);
  ck_assert_int_ge(size, 0);
  rewind(f);
  want = malloc((size_t)size + 1);
  ck_assert_ptr_nonnull(want);
  ck_assert_uint_eq(fread(want, 1, (size_t)size, f), (size_t)size);
  fclose(f);
  ck_assert_msg((size_t)size == len && memcmp(want, out, len) == 0,
                "output differs from %s (MTS_UPDATE_GOLDEN=1 rewrites it):\n%s",
                path, out);
  free(want);
}

/* The value of the sample whose line starts with \p series + ' ', or -1. */
static long long
value_of(const char *text, const char *series)
{
  size_t n = strlen(series);

  for (const char *p = text; p != NULL && *p != '\0';) {
    if (strncmp(p, series, n) == 0 && p[n] == ' ') {
      return strtoll(p + n + 1, NULL, 10);
    }
    p = strchr(p, '\n');
    p = p != NULL ? p + 1 : NULL;
  }
  return -1;
}

static size_t
count_lines(const char *text, const char *prefix)
{
  size_t n = 0, len = strlen(prefix);

  for (const char *p = text; p != NULL && *p != '\0';) {
    n += strncmp(p, prefix, len) == 0;
    p = strchr(p, '\n');
    p = p != NULL ? p + 1 : NULL;
  }
  return n;
}

/* A Google-like report with failure details, a Microsoft-like one listing
 * the same sessions under an sts and a tlsa policy, a no-policy-found
 * one, and label values to escape and normalise. */
START_TEST(test_golden)
{
  struct mts_rpt_prom *p = NULL;
  struct mts_rpt_tally t = {8, 2, 1, 0, 0};
  struct mts_rpt_rtcount rts[] = {{S("certificate-expired"), 4},
                                  {S("certificate-not-trusted"), 11}};
  struct mts_rpt_failure fails[3];
  struct mts_rpt_policy g = policy("sts", "Example.COM.", 2210, 15);
  struct mts_rpt_policy ms[2] = {policy("sts", "example.com", 530, 2),
                                 policy("tlsa", "example.com", 530, 2)};
  struct mts_rpt_rtcount ms_rt[] = {{S("tlsa-invalid"), 2}};
  struct mts_rpt_policy npf = policy("no-policy-found", "example.net", 12, 0);
  struct mts_rpt_policy odd = policy("sts", "example.net", 1, 1);
  struct mts_rpt r;
  char *out;
  size_t len;

  memset(fails, 0, sizeof(fails));
  fails[0].result_type = S("certificate-expired");
  fails[0].receiving_mx_hostname = S("MX1.Example.com.");
  fails[0].count = 4;
  fails[1].result_type = S("certificate-not-trusted");
  fails[1].receiving_mx_hostname = S("mx2.mail.example.net");
  fails[1].count = 11;
  g.by_result_type = rts;
  g.n_by_result_type = 2;
  g.failures = fails;
  g.n_failures = 2;
  ms[1].by_result_type = ms_rt;
  ms[1].n_by_result_type = 1;
  fails[2].result_type = S("tlsa-invalid");
  fails[2].count = 2; /* no receiving-mx-hostname: (unknown) */
  ms[1].failures = &fails[2];
  ms[1].n_failures = 1;

  ck_assert_int_eq(mts_rpt_prom_new(&p), MTS_OK);
  r = report("Google Inc.", &g, 1);
  ck_assert_int_eq(mts_rpt_prom_add(p, &r), MTS_OK);
  r = report("Microsoft Corporation", ms, 2);
  ck_assert_int_eq(mts_rpt_prom_add(p, &r), MTS_OK);
  r = report("Google Inc.", &npf, 1);
  r.end_epoch = DAY_END + 86400;
  ck_assert_int_eq(mts_rpt_prom_add(p, &r), MTS_OK);
  r = report("Quote \"and\\ back\nslash", &odd, 1);
  ck_assert_int_eq(mts_rpt_prom_add(p, &r), MTS_OK);
  r = report(NULL, &odd, 1);
  r.have_dates = 0;
  ck_assert_int_eq(mts_rpt_prom_add(p, &r), MTS_OK);
  r.valid = 0; /* ignored */
  ck_assert_int_eq(mts_rpt_prom_add(p, &r), MTS_OK);

  out = write_all(p, &t, &len);
  check_golden("tlsrpt.prom", out, len);

  /* The policy types are apart: the tlsa policy's sessions are not
   * added to the sts ones. */
  ck_assert_int_eq(value_of(out, "mtasts_tlsrpt_sessions_total{policy_domain="
                                 "\"example.com\",policy_type=\"sts\","
                                 "organization=\"Microsoft Corporation\"}"),
                   532);
  ck_assert_int_eq(value_of(out, "mtasts_tlsrpt_sessions_total{policy_domain="
                                 "\"example.com\",policy_type=\"tlsa\","
                                 "organization=\"Microsoft Corporation\"}"),
                   532);
  /* The domain and the MX host are lowercased without the dot. */
  ck_assert_int_eq(value_of(out,
                            "mtasts_tlsrpt_failed_sessions_by_mx_host_total{"
                            "policy_domain=\"example.com\",policy_type=\"sts\","
                            "mx_host=\"mx1.example.com\"}"),
                   4);
  ck_assert_int_eq(
      value_of(out, "mtasts_tlsrpt_last_run_reports{status=\"counted\"}"), 5);
  /* The last line says the file is complete. */
  ck_assert_uint_gt(len, 60);
  ck_assert_str_eq(out + len - strlen(LAST_LINE), LAST_LINE);
  free(out);
  mts_rpt_prom_free(&p);
  mts_rpt_prom_free(&p); /* NULL is a no-op */
}
END_TEST

/* No report: only the run's families. */
START_TEST(test_empty)
{
  struct mts_rpt_prom *p = NULL;
  struct mts_rpt_tally t = {1, 1, 0, 0, 0};
  char *out;
  size_t len;

  ck_assert_int_eq(mts_rpt_prom_new(&p), MTS_OK);
  out = write_all(p, &t, &len);
  ck_assert_ptr_null(strstr(out, "_total"));
  ck_assert_int_eq(
      value_of(out, "mtasts_tlsrpt_last_run_reports{status=\"invalid\"}"), 1);
  ck_assert_uint_eq(count_lines(out, "# TYPE "), 3);
  free(out);
  mts_rpt_prom_free(&p);
}
END_TEST

/* 300 domains: the 256 with the most sessions keep their name, the rest
 * are summed under (other); totals are unchanged. */
START_TEST(test_cap_domains)
{
  struct mts_rpt_prom *p = NULL;
  struct mts_rpt_tally t = {300, 0, 0, 0, 0};
  char names[300][32];
  uint64_t total = 0, other = 0, sum = 0;
  char *out, *line;
  size_t len;

  ck_assert_int_eq(mts_rpt_prom_new(&p), MTS_OK);
  for (int i = 0; i < 300; i++) {
    struct mts_rpt_policy pol;
    struct mts_rpt r;
    snprintf(names[i], sizeof(names[i]), "d%03d.example", i);
    /* d000 has the most sessions; d299 the fewest. */
    pol = policy("sts", names[i], (uint64_t)(1000 - i), 1);
    r = report("Org", &pol, 1);
    ck_assert_int_eq(mts_rpt_prom_add(p, &r), MTS_OK);
    total += (uint64_t)(1000 - i) + 1;
    if (i >= 256) {
      other += (uint64_t)(1000 - i) + 1;
    }
  }
  out = write_all(p, &t, &len);
  ck_assert_uint_eq(count_lines(out, "mtasts_tlsrpt_sessions_total{"), 257);
  ck_assert_int_ne(value_of(out, "mtasts_tlsrpt_sessions_total{policy_domain="
                                 "\"d255.example\",policy_type=\"sts\","
                                 "organization=\"Org\"}"),
                   -1);
  ck_assert_int_eq(value_of(out, "mtasts_tlsrpt_sessions_total{policy_domain="
                                 "\"d256.example\",policy_type=\"sts\","
                                 "organization=\"Org\"}"),
                   -1);
  ck_assert_int_eq(value_of(out, "mtasts_tlsrpt_sessions_total{policy_domain="
                                 "\"(other)\",policy_type=\"sts\","
                                 "organization=\"Org\"}"),
                   (long long)other);
  ck_assert_int_eq(value_of(out, "mtasts_tlsrpt_reports_total{policy_domain="
                                 "\"(other)\",policy_type=\"sts\","
                                 "organization=\"Org\"}"),
                   44);
  ck_assert_int_eq(value_of(out, "mtasts_tlsrpt_last_run_label_values_folded{"
                                 "label=\"policy_domain\"}"),
                   44);
  for (line = strstr(out, "\nmtasts_tlsrpt_sessions_total{"); line != NULL;
       line = strstr(line + 1, "\nmtasts_tlsrpt_sessions_total{")) {
    sum += strtoull(strchr(line, '}') + 2, NULL, 10);
  }
  ck_assert_uint_eq(sum, total);
  free(out);
  mts_rpt_prom_free(&p);
}
END_TEST

/* One domain, 20 organizations, 20 result types, 20 MX hosts: 16 of each
 * and (other). */
START_TEST(test_cap_per_domain)
{
  struct mts_rpt_prom *p = NULL;
  struct mts_rpt_tally t = {20, 0, 0, 0, 0};
  char orgs[20][16], rtn[20][16], mxn[20][24];
  struct mts_rpt_rtcount rts[20];
  struct mts_rpt_failure fails[20];
  char *out;
  size_t len;

  ck_assert_int_eq(mts_rpt_prom_new(&p), MTS_OK);
  memset(fails, 0, sizeof(fails));
  for (int i = 0; i < 20; i++) {
    snprintf(rtn[i], sizeof(rtn[i]), "type-%02d", i);
    snprintf(mxn[i], sizeof(mxn[i]), "mx%02d.example.com", i);
    rts[i].result_type = rtn[i];
    rts[i].count = (uint64_t)(100 - i);
    fails[i].result_type = rtn[i];
    fails[i].receiving_mx_hostname = mxn[i];
    fails[i].count = (uint64_t)(100 - i);
  }
  for (int i = 0; i < 20; i++) {
    struct mts_rpt_policy pol = policy("sts", "example.com", 1000, 0);
    struct mts_rpt r;
    snprintf(orgs[i], sizeof(orgs[i]), "Org %02d", i);
    pol.successful = (uint64_t)(1000 - i);
    if (i == 0) {
      pol.by_result_type = rts;
      pol.n_by_result_type = 20;
      pol.failures = fails;
      pol.n_failures = 20;
    }
    r = report(orgs[i], &pol, 1);
    ck_assert_int_eq(mts_rpt_prom_add(p, &r), MTS_OK);
  }
  out = write_all(p, &t, &len);
  ck_assert_uint_eq(count_lines(out, "mtasts_tlsrpt_sessions_total{"), 17);
  ck_assert_uint_eq(
      count_lines(out, "mtasts_tlsrpt_failed_sessions_by_result_type_total{"),
      17);
  ck_assert_uint_eq(
      count_lines(out, "mtasts_tlsrpt_failed_sessions_by_mx_host_total{"), 17);
  ck_assert_uint_eq(
      count_lines(out, "mtasts_tlsrpt_last_report_timestamp_seconds{"), 17);
  /* Org 16..19: 984 + 983 + 982 + 981 sessions. */
  ck_assert_int_eq(value_of(out, "mtasts_tlsrpt_sessions_total{policy_domain="
                                 "\"example.com\",policy_type=\"sts\","
                                 "organization=\"(other)\"}"),
                   3930);
  /* type-16..19: 84 + 83 + 82 + 81. */
  ck_assert_int_eq(value_of(out,
                            "mtasts_tlsrpt_failed_sessions_by_result_"
                            "type_total{policy_domain=\"example.com\","
                            "policy_type=\"sts\",result_type=\"(other)\"}"),
                   330);
  ck_assert_int_eq(value_of(out, "mtasts_tlsrpt_failed_sessions_by_mx_host_"
                                 "total{policy_domain=\"example.com\","
                                 "policy_type=\"sts\",mx_host=\"(other)\"}"),
                   330);
  ck_assert_int_eq(value_of(out, "mtasts_tlsrpt_last_run_label_values_folded{"
                                 "label=\"organization\"}"),
                   4);
  ck_assert_int_eq(value_of(out, "mtasts_tlsrpt_last_run_label_values_folded{"
                                 "label=\"result_type\"}"),
                   4);
  ck_assert_int_eq(value_of(out, "mtasts_tlsrpt_last_run_label_values_folded{"
                                 "label=\"mx_host\"}"),
                   4);
  free(out);
  mts_rpt_prom_free(&p);
}
END_TEST

/* A long organization name is cut to 256 bytes at a character boundary;
 * two names that differ only after the cut are one series. */
START_TEST(test_cut)
{
  struct mts_rpt_prom *p = NULL;
  struct mts_rpt_tally t = {2, 0, 0, 0, 0};
  char a[400], b[400];
  struct mts_rpt_policy pol = policy("sts", "example.com", 1, 0);
  struct mts_rpt r;
  char *out, *v, *end;
  size_t len;

  /* "é" (2 bytes) 127 times, then "x": byte 256 is 'x'. Offset by one
   * byte, the cut falls inside an "é". */
  a[0] = 'A';
  for (int i = 0; i < 150; i++) {
    memcpy(a + 1 + 2 * i, "\xc3\xa9", 2);
  }
  a[301] = '\0';
  memcpy(b, a, sizeof(a));
  b[299] = 'z';
  b[300] = '\0';
  ck_assert_int_eq(mts_rpt_prom_new(&p), MTS_OK);
  r = report(a, &pol, 1);
  ck_assert_int_eq(mts_rpt_prom_add(p, &r), MTS_OK);
  r = report(b, &pol, 1);
  ck_assert_int_eq(mts_rpt_prom_add(p, &r), MTS_OK);
  out = write_all(p, &t, &len);
  ck_assert_uint_eq(count_lines(out, "mtasts_tlsrpt_sessions_total{"), 1);
  v = strstr(out, "mtasts_tlsrpt_sessions_total{");
  v = strstr(v, "organization=\"") + strlen("organization=\"");
  end = strchr(v, '"');
  ck_assert_uint_eq((size_t)(end - v), 255); /* 'A' + 127 "é" */
  ck_assert_int_eq(strtoll(end + 3, NULL, 10), 2);
  free(out);
  mts_rpt_prom_free(&p);
}
END_TEST

static Suite *
tlsrpt_prom_suite(void)
{
  Suite *s = suite_create("tlsrpt_prom");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_golden);
  tcase_add_test(tc, test_empty);
  tcase_add_test(tc, test_cap_domains);
  tcase_add_test(tc, test_cap_per_domain);
  tcase_add_test(tc, test_cut);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(tlsrpt_prom_suite());
  int failed;

  srunner_run_all(sr, CK_ENV);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
