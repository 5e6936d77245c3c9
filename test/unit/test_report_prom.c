/* --format prometheus (report_prom.c, docs/monitoring.md): a golden file,
 * and the rules of the text exposition format whatever the layout: each
 * family's HELP and TYPE once, before its samples, which are together; no
 * series twice; label values escaped and UTF-8; values are numbers.
 *
 * Regenerate the golden after a deliberate change, then review it:
 *   MTS_UPDATE_GOLDEN=1 ./test_report_prom
 */

#include "mtasts/output.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef MTS_SOURCE_DIR
#error "MTS_SOURCE_DIR must name the source tree"
#endif

#define CHECKED_AT 1795856400LL /* 2026-11-28T09:00:00Z */
#define NOW 1795856460LL

static char *
xstrdup(const char *s)
{
  char *p = strdup(s);

  ck_assert_ptr_nonnull(p);
  return p;
}

static void
finding(struct mts_result *r, enum mts_code code)
{
  ck_assert_int_eq(
      mts_findings_add(&r->findings, code, NULL, 0, "%s", "a finding"), MTS_OK);
}

/* A healthy deployment with a fetched policy. */
static void
build_valid(struct mts_result *r, const char *domain)
{
  mts_result_init(r);
  r->domain = xstrdup(domain);
  r->checked_at = CHECKED_AT;
  r->duration_ms = 1184;
  r->sts.record.status = MTS_REC_VALID;
  r->sts.record.ttl = 300;
  r->tlsrpt.record.status = MTS_REC_VALID;
  r->tlsrpt.record.ttl = 3600;
  r->policy.status = MTS_POLICY_VALID;
  r->policy.mode = xstrdup("enforce");
  r->policy.max_age = 604800;
  r->policy.cert_not_after = CHECKED_AT + 30 * 86400 + 43200;
  r->mx.covered = 1;
  /* One MX host, one address, probed (issue 12: per-MX metrics). */
  r->mx.hosts = calloc(1, sizeof(*r->mx.hosts));
  ck_assert_ptr_nonnull(r->mx.hosts);
  r->mx.n_hosts = 1;
  r->mx.hosts[0].name = xstrdup("mx1.example.com");
  r->mx.hosts[0].preference = 10;
  r->mx.hosts[0].covered = 1;
  r->mx.hosts[0].addrs_known = 1;
  r->mx.hosts[0].addrs = calloc(1, sizeof(*r->mx.hosts[0].addrs));
  ck_assert_ptr_nonnull(r->mx.hosts[0].addrs);
  r->mx.hosts[0].n_addrs = 1;
  r->mx.hosts[0].addrs[0].ip = xstrdup("192.0.2.25");
  r->mx.hosts[0].addrs[0].smtp = calloc(1, sizeof(struct mts_smtp_view));
  ck_assert_ptr_nonnull(r->mx.hosts[0].addrs[0].smtp);
  r->mx.hosts[0].addrs[0].smtp->status = MTS_SMTP_OK;
  r->mx.hosts[0].addrs[0].smtp->starttls = 1;
  r->mx.hosts[0].addrs[0].smtp->cert_seen = 1;
  r->mx.hosts[0].addrs[0].smtp->cert_not_after = CHECKED_AT + 60 * 86400;
  r->mx.hosts[0].addrs[0].smtp->trusted = 1;
  r->mx.hosts[0].addrs[0].smtp->name_match = 1;
  mts_result_set_status(r);
}

/* Testing mode, an expired certificate, an uncovered MX, findings of
 * every severity (one code twice). */
static void
build_broken(struct mts_result *r)
{
  mts_result_init(r);
  r->domain = xstrdup("broken.example");
  r->checked_at = CHECKED_AT;
  r->duration_ms = 96;
  r->sts.record.status = MTS_REC_VALID;
  r->sts.record.ttl = 60;
  r->tlsrpt.record.status = MTS_REC_MISSING;
  r->policy.status = MTS_POLICY_VALID;
  r->policy.mode = xstrdup("testing");
  r->policy.max_age = 86400;
  r->policy.cert_not_after = CHECKED_AT - 2 * 86400;
  r->mx.covered = 0;
  finding(r, MTS_F_TLSRPT_RECORD_MISSING);
  finding(r, MTS_F_POLICY_MODE_TESTING);
  finding(r, MTS_F_MX_NOT_COVERED);
  finding(r, MTS_F_MX_NOT_COVERED);
  mts_result_set_status(r);
}

/* Lookups failed: nothing numeric is known. */
static void
build_unknown(struct mts_result *r)
{
  mts_result_init(r);
  r->domain = xstrdup("example.org");
  r->checked_at = CHECKED_AT;
  r->duration_ms = 20000;
  r->sts.record.status = MTS_REC_UNKNOWN;
  r->tlsrpt.record.status = MTS_REC_UNKNOWN;
  r->policy.mode = xstrdup("enforcing"); /* not a mode: no mode metric */
  finding(r, MTS_F_DNS_TIMEOUT);
  mts_result_set_status(r);
}

/* An invalid input is reported under the input itself: a label value
 * with every character the format escapes, and a byte that is not UTF-8. */
static void
build_hostile(struct mts_result *r)
{
  mts_result_init(r);
  r->domain = xstrdup("a\"b\\c\nd\xff.\xc3\xa9xample");
  r->checked_at = CHECKED_AT;
  r->duration_ms = 0;
  finding(r, MTS_F_DOMAIN_INVALID);
  mts_result_set_status(r);
}

/* Render the results added in order; the caller frees the text. */
static char *
render(struct mts_result *rs, size_t n, size_t *len)
{
  struct mts_report_prom *p = NULL;
  char *buf = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&buf, &size);

  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(mts_report_prom_new(&p), MTS_OK);
  for (size_t i = 0; i < n; i++) {
    ck_assert_int_eq(mts_report_prom_add(p, &rs[i]), MTS_OK);
  }
  ck_assert_int_eq(mts_report_prom_write(f, p, NOW), MTS_OK);
  mts_report_prom_free(&p);
  ck_assert_ptr_null(p);
  ck_assert_int_eq(fclose(f), 0);
  *len = size;
  return buf;
}

static void
release_all(struct mts_result *rs, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    mts_result_release(&rs[i]);
  }
}

/* ---- a checker of the text exposition format --------------------------- */

static int
is_name_char(char c, int first)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c == ':' || (!first && c >= '0' && c <= '9');
}

/* Length of the metric or label name at s, 0 if none. */
static size_t
name_len(const char *s)
{
  size_t n = 0;

  while (is_name_char(s[n], n == 0)) {
    n++;
  }
  return n;
}

static int
valid_utf8(const unsigned char *s, size_t len)
{
  for (size_t i = 0; i < len;) {
    size_t need = s[i] < 0x80   ? 1
                  : s[i] < 0xc2 ? 0
                  : s[i] < 0xe0 ? 2
                  : s[i] < 0xf0 ? 3
                  : s[i] < 0xf5 ? 4
                                : 0;
    if (need == 0 || i + need > len) {
      return 0;
    }
    for (size_t k = 1; k < need; k++) {
      if ((s[i + k] & 0xc0) != 0x80) {
        return 0;
      }
    }
    i += need;
  }
  return 1;
}

struct family_seen {
  char name[128];
  int help, type, samples, closed;
};

/* Check \p text line by line; fail the test at the first broken rule.
 * \return the number of samples. */
static size_t
check_exposition(const char *text, size_t len)
{
  struct family_seen fam[64];
  size_t n_fam = 0, n_samples = 0, cur = (size_t)-1;
  char **series = NULL;
  size_t n_series = 0;
  const char *p = text, *end = text + len;

  ck_assert_msg(len > 0 && text[len - 1] == '\n', "output must end with LF");
  ck_assert_msg(valid_utf8((const unsigned char *)text, len), "not UTF-8");
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t ll = (size_t)(nl - p), nlen;
    char line[4096], name[128];
    size_t f;

    ck_assert_uint_lt(ll, sizeof(line));
    memcpy(line, p, ll);
    line[ll] = '\0';
    p = nl + 1;
    ck_assert_msg(ll > 0, "empty line");

    if (line[0] == '#') {
      int is_help = strncmp(line, "# HELP ", 7) == 0;
      int is_type = strncmp(line, "# TYPE ", 7) == 0;
      ck_assert_msg(is_help || is_type, "bad comment: %s", line);
      nlen = name_len(line + 7);
      ck_assert_msg(nlen > 0 && line[7 + nlen] == ' ', "bad name: %s", line);
      memcpy(name, line + 7, nlen);
      name[nlen] = '\0';
      for (f = 0; f < n_fam && strcmp(fam[f].name, name) != 0; f++) {
      }
      if (f == n_fam) {
        ck_assert_uint_lt(n_fam, 64);
        memset(&fam[f], 0, sizeof(fam[f]));
        memcpy(fam[f].name, name, nlen + 1);
        n_fam++;
      }
      if (cur != (size_t)-1 && cur != f) {
        fam[cur].closed = 1;
      }
      cur = f;
      ck_assert_msg(!fam[f].closed && fam[f].samples == 0,
                    "HELP/TYPE of %s after its samples", name);
      if (is_help) {
        ck_assert_msg(!fam[f].help && !fam[f].type, "HELP of %s: %s", name,
                      "twice or after TYPE");
        fam[f].help = 1;
      } else {
        ck_assert_msg(!fam[f].type, "TYPE of %s twice", name);
        ck_assert_str_eq(line + 7 + nlen + 1, "gauge");
        fam[f].type = 1;
      }
      continue;
    }

    /* A sample: name[{labels}] value */
    nlen = name_len(line);
    ck_assert_msg(nlen > 0 && strncmp(line, "mtasts_", 7) == 0,
                  "bad sample: %s", line);
    memcpy(name, line, nlen);
    name[nlen] = '\0';
    ck_assert_msg(cur != (size_t)-1 && strcmp(fam[cur].name, name) == 0,
                  "sample of %s outside its family", name);
    ck_assert_msg(fam[cur].help && fam[cur].type, "%s: no HELP/TYPE", name);
    {
      const char *q = line + nlen;
      char *vend;
      double v;
      if (*q == '{') {
        q++;
        for (;;) {
          size_t ln = name_len(q);
          ck_assert_msg(ln > 0 && q[ln] == '=' && q[ln + 1] == '"',
                        "bad label in: %s", line);
          q += ln + 2;
          while (*q != '"') {
            ck_assert_msg(*q != '\0', "unterminated value: %s", line);
            if (*q == '\\') {
              ck_assert_msg(q[1] == '\\' || q[1] == '"' || q[1] == 'n',
                            "bad escape in: %s", line);
              q++;
            }
            q++;
          }
          q++;
          if (*q == ',') {
            q++;
            continue;
          }
          ck_assert_msg(*q == '}', "bad label list: %s", line);
          q++;
          break;
        }
      }
      ck_assert_msg(*q == ' ', "no value: %s", line);
      /* The series: everything before the value; none twice. */
      for (size_t i = 0; i < n_series; i++) {
        ck_assert_msg(strncmp(series[i], line, (size_t)(q - line)) != 0 ||
                          series[i][q - line] != '\0',
                      "series twice: %s", line);
      }
      series = realloc(series, (n_series + 1) * sizeof(*series));
      ck_assert_ptr_nonnull(series);
      series[n_series] = strndup(line, (size_t)(q - line));
      ck_assert_ptr_nonnull(series[n_series]);
      n_series++;
      v = strtod(q + 1, &vend);
      (void)v;
      ck_assert_msg(vend != q + 1 && *vend == '\0',
                    "value not a number (or a timestamp): %s", line);
    }
    fam[cur].samples++;
    n_samples++;
  }
  for (size_t f = 0; f < n_fam; f++) {
    ck_assert_msg(fam[f].help && fam[f].type, "%s: HELP/TYPE missing",
                  fam[f].name);
  }
  for (size_t i = 0; i < n_series; i++) {
    free(series[i]);
  }
  free(series);
  return n_samples;
}

/* ---- tests ------------------------------------------------------------- */

static void
check_golden(const char *name, const char *out, size_t len)
{
  char path[512];
  const char *update = getenv("MTS_UPDATE_GOLDEN");
  FILE *f;
  char *want = NULL;
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
                "%s: output differs; regenerate with MTS_UPDATE_GOLDEN=1 "
                "and review",
                path);
  free(want);
}

START_TEST(golden)
{
  struct mts_result rs[4];
  size_t len;
  char *out;

  build_valid(&rs[0], "example.com");
  build_broken(&rs[1]);
  build_unknown(&rs[2]);
  build_hostile(&rs[3]);
  out = render(rs, 4, &len);
  check_golden("report.prom", out, len);
  check_exposition(out, len);
  free(out);
  release_all(rs, 4);
}
END_TEST

START_TEST(escaping)
{
  struct mts_result r;
  size_t len;
  char *out;

  build_hostile(&r);
  out = render(&r, 1, &len);
  /* '"', '\\' and LF escaped; 0xff is U+FFFD; UTF-8 passes. */
  ck_assert_ptr_nonnull(strstr(out, "{domain=\"a\\\"b\\\\c\\nd\xef\xbf\xbd."
                                    "\xc3\xa9xample\",check=\"overall\","
                                    "status=\"error\"} 1\n"));
  check_exposition(out, len);
  free(out);
  mts_result_release(&r);
}
END_TEST

START_TEST(values)
{
  struct mts_result rs[3];
  size_t len;
  char *out;

  build_valid(&rs[0], "example.com");
  build_broken(&rs[1]);
  build_unknown(&rs[2]);
  out = render(rs, 3, &len);
#define HAS(s) ck_assert_msg(strstr(out, s) != NULL, "missing: %s", s)
#define HASNT(s) ck_assert_msg(strstr(out, s) == NULL, "unexpected: %s", s)
  HAS("mtasts_check_status{domain=\"example.com\",check=\"overall\","
      "status=\"ok\"} 1\n");
  HAS("mtasts_check_status{domain=\"example.com\",check=\"overall\","
      "status=\"error\"} 0\n");
  HAS("mtasts_check_status{domain=\"broken.example\",check=\"mx_coverage\","
      "status=\"not-covered\"} 1\n");
  HAS("mtasts_check_status{domain=\"broken.example\",check=\"tls_rpt_record\","
      "status=\"missing\"} 1\n");
  HAS("mtasts_check_status{domain=\"example.org\",check=\"overall\","
      "status=\"unknown\"} 1\n");
  HAS("mtasts_check_status{domain=\"example.org\",check=\"policy\","
      "status=\"not-checked\"} 1\n");
  HAS("mtasts_policy_mode{domain=\"broken.example\",mode=\"testing\"} 1\n");
  HAS("mtasts_policy_mode{domain=\"broken.example\",mode=\"enforce\"} 0\n");
  HASNT("mtasts_policy_mode{domain=\"example.org\"");
  HAS("mtasts_policy_max_age_seconds{domain=\"example.com\"} 604800\n");
  HASNT("mtasts_policy_max_age_seconds{domain=\"example.org\"");
  HAS("mtasts_policy_cert_expiry_days{domain=\"example.com\"} 30.500\n");
  HAS("mtasts_policy_cert_expiry_days{domain=\"broken.example\"} -2.000\n");
  HAS("mtasts_policy_cert_not_after_timestamp_seconds{domain=\"example.com\"} "
      "1798491600\n");
  HAS("mtasts_record_ttl_seconds{domain=\"example.com\",check=\"tls_rpt_"
      "record\"} 3600\n");
  HASNT("mtasts_record_ttl_seconds{domain=\"broken.example\",check=\"tls_");
  HASNT("mtasts_record_ttl_seconds{domain=\"example.org\"");
  HAS("mtasts_findings{domain=\"broken.example\",severity=\"error\"} 2\n");
  HAS("mtasts_findings{domain=\"broken.example\",severity=\"warning\"} 1\n");
  HAS("mtasts_findings{domain=\"broken.example\",severity=\"info\"} 1\n");
  HAS("mtasts_findings{domain=\"example.com\",severity=\"error\"} 0\n");
  HAS("mtasts_findings_by_code{domain=\"broken.example\",code=\"MX_NOT_"
      "COVERED\",severity=\"error\"} 2\n");
  HAS("mtasts_check_duration_seconds{domain=\"example.com\"} 1.184\n");
  HAS("mtasts_check_duration_seconds{domain=\"example.org\"} 20.000\n");
  HAS("mtasts_check_timestamp_seconds{domain=\"example.com\"} 1795856400\n");
  HAS("mtasts_last_run_domains 3\n");
  HAS("mtasts_last_run_timestamp_seconds 1795856460\n");
#undef HAS
#undef HASNT
  check_exposition(out, len);
  free(out);
  release_all(rs, 3);
}
END_TEST

/* Issue 10: the earliest certificate of the policy host's addresses, not
 * only the one whose answer is shown. */
START_TEST(cert_of_every_address)
{
  struct mts_result r;
  size_t len;
  char *out;

  build_valid(&r, "example.com");
  r.policy.addrs = calloc(2, sizeof(*r.policy.addrs));
  ck_assert_ptr_nonnull(r.policy.addrs);
  r.policy.n_addrs = 2;
  r.policy.addrs[0].address = xstrdup("192.0.2.1");
  r.policy.addrs[0].cert_not_after = r.policy.cert_not_after;
  r.policy.addrs[0].selected = 1;
  r.policy.addrs[1].address = xstrdup("192.0.2.2");
  r.policy.addrs[1].cert_not_after = CHECKED_AT + 3 * 86400;
  out = render(&r, 1, &len);
  ck_assert_msg(strstr(out, "mtasts_policy_cert_expiry_days{domain=\"example."
                            "com\"} 3.000\n") != NULL,
                "%s", out);
  free(out);
  mts_result_release(&r);
}
END_TEST

/* The same domain twice: one set of series, the last result, at the first
 * place (the textfile collector rejects duplicate series). */
START_TEST(duplicate_domain)
{
  struct mts_result rs[3];
  size_t len;
  char *out;
  const char *a, *b;

  build_valid(&rs[0], "example.com");
  build_valid(&rs[1], "example.net");
  build_valid(&rs[2], "example.com");
  rs[2].status = MTS_STATUS_ERROR;
  out = render(rs, 3, &len);
  check_exposition(out, len);
  ck_assert_ptr_nonnull(strstr(out, "mtasts_last_run_domains 2\n"));
  ck_assert_ptr_nonnull(strstr(out, "{domain=\"example.com\",check=\"overall\","
                                    "status=\"error\"} 1\n"));
  a = strstr(out, "{domain=\"example.com\"");
  b = strstr(out, "{domain=\"example.net\"");
  ck_assert_ptr_nonnull(a);
  ck_assert_ptr_nonnull(b);
  ck_assert_msg(a < b, "example.com must keep its first place");
  free(out);
  release_all(rs, 3);
}
END_TEST

START_TEST(empty)
{
  size_t len;
  char *out = render(NULL, 0, &len);

  ck_assert_ptr_null(strstr(out, "{"));
  ck_assert_ptr_nonnull(strstr(out, "mtasts_last_run_domains 0\n"));
  ck_assert_int_eq((int)check_exposition(out, len), 2);
  free(out);
}
END_TEST

/* Many domains: the duplicate table grows; every one is kept once. */
START_TEST(many)
{
  enum { N = 3000 };
  struct mts_report_prom *p = NULL;
  char *buf = NULL, d[64];
  size_t size = 0;
  FILE *f = open_memstream(&buf, &size);

  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(mts_report_prom_new(&p), MTS_OK);
  for (int round = 0; round < 2; round++) {
    for (unsigned i = 0; i < N; i++) {
      struct mts_result r;
      snprintf(d, sizeof(d), "d%u.example", i);
      build_valid(&r, d);
      ck_assert_int_eq(mts_report_prom_add(p, &r), MTS_OK);
      mts_result_release(&r);
    }
  }
  ck_assert_int_eq(mts_report_prom_write(f, p, NOW), MTS_OK);
  mts_report_prom_free(&p);
  ck_assert_int_eq(fclose(f), 0);
  ck_assert_ptr_nonnull(strstr(buf, "mtasts_last_run_domains 3000\n"));
  free(buf);
}
END_TEST

START_TEST(write_error)
{
  struct mts_report_prom *p = NULL;
  FILE *f = fopen("/dev/null", "r");

  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(mts_report_prom_new(&p), MTS_OK);
  ck_assert_int_eq(mts_report_prom_write(f, p, NOW), MTS_EIO);
  mts_report_prom_free(&p);
  mts_report_prom_free(&p); /* NULL: a no-op */
  fclose(f);
}
END_TEST

static Suite *
report_prom_suite(void)
{
  Suite *s = suite_create("report_prom");
  TCase *tc = tcase_create("prometheus");

  tcase_add_test(tc, golden);
  tcase_add_test(tc, escaping);
  tcase_add_test(tc, values);
  tcase_add_test(tc, cert_of_every_address);
  tcase_add_test(tc, duplicate_domain);
  tcase_add_test(tc, empty);
  tcase_add_test(tc, many);
  tcase_add_test(tc, write_error);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(report_prom_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
