/* Writers of `mtasts-check report` (report_tlsrpt.h), on reports built by
 * hand: the contract's JSON shape and member order, nulls for unreadable
 * input, the summary object, escaping of hostile bytes in text and JSON,
 * and write errors. */

#include "mtasts/tlsrpt.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#ifndef MTS_SOURCE_DIR
#error "MTS_SOURCE_DIR must name the source tree"
#endif

/* ---- helpers ---------------------------------------------------------- */

static char *
xstrdup(const char *s)
{
  char *p = strdup(s);

  ck_assert_ptr_nonnull(p);
  return p;
}

static void *
xcalloc(size_t n, size_t size)
{
  void *p = calloc(n, size);

  ck_assert_ptr_nonnull(p);
  return p;
}

/* The Google-style report of RFC 8460 Appendix B, with two failures. */
static void
sample(struct mts_rpt *r, const char *org)
{
  struct mts_rpt_policy *p;

  memset(r, 0, sizeof(*r));
  r->valid = 1;
  r->organization = xstrdup(org);
  r->report_id = xstrdup("2026-11-27T00:00:00Z_example.com");
  r->contact_info = xstrdup("smtp-tls-reporting@google.com");
  r->start = xstrdup("2026-11-27T00:00:00Z");
  r->end = xstrdup("2026-11-27T23:59:59Z");
  r->start_epoch = 1795737600;
  r->end_epoch = 1795823999;
  r->have_dates = 1;
  r->policies = xcalloc(1, sizeof(*r->policies));
  r->n_policies = 1;
  p = r->policies;
  p->policy_type = xstrdup("sts");
  p->policy_domain = xstrdup("example.com");
  p->mode = xstrdup("enforce");
  p->policy_string = xcalloc(2, sizeof(char *));
  p->policy_string[0] = xstrdup("version: STSv1");
  p->policy_string[1] = xstrdup("mode: enforce");
  p->n_policy_string = 2;
  p->has_policy_string = 1;
  p->has_mx_host = 0;
  p->successful = 2210;
  p->failed = 15;
  p->failures = xcalloc(2, sizeof(*p->failures));
  p->n_failures = 2;
  p->failures[0].result_type = xstrdup("certificate-expired");
  p->failures[0].sending_mta_ip = xstrdup("209.85.220.41");
  p->failures[0].receiving_mx_hostname = xstrdup("mx1.example.com");
  p->failures[0].receiving_ip = xstrdup("192.0.2.25");
  p->failures[0].count = 4;
  p->failures[1].result_type = xstrdup("starttls-not-supported");
  p->failures[1].receiving_mx_hostname = xstrdup("mx2.example.com");
  p->failures[1].count = 11;
  p->by_result_type = xcalloc(2, sizeof(*p->by_result_type));
  p->n_by_result_type = 2;
  p->by_result_type[0].result_type = xstrdup("certificate-expired");
  p->by_result_type[0].count = 4;
  p->by_result_type[1].result_type = xstrdup("starttls-not-supported");
  p->by_result_type[1].count = 11;
  r->total_successful = 2210;
  r->total_failed = 15;
}

struct buf {
  char *p;
  size_t len;
  FILE *f;
};

static void
buf_open(struct buf *b)
{
  memset(b, 0, sizeof(*b));
  b->f = open_memstream(&b->p, &b->len);
  ck_assert_ptr_nonnull(b->f);
}

static void
buf_close(struct buf *b)
{
  ck_assert_int_eq(fclose(b->f), 0);
  b->f = NULL;
}

/* Parse one JSON line; checks it is one line ending in '\n'. */
static cJSON *
parse_line(const struct buf *b)
{
  cJSON *j;

  ck_assert_uint_gt(b->len, 0);
  ck_assert_int_eq(b->p[b->len - 1], '\n');
  ck_assert_ptr_eq(memchr(b->p, '\n', b->len), b->p + b->len - 1);
  j = cJSON_ParseWithLength(b->p, b->len);
  ck_assert_ptr_nonnull(j);
  return j;
}

/* The member names of an object, in order, joined with ','. */
static void
keys_of(const cJSON *o, char *out, size_t size)
{
  const cJSON *c;

  out[0] = '\0';
  cJSON_ArrayForEach(c, o)
  {
    if (out[0] != '\0') {
      strncat(out, ",", size - strlen(out) - 1);
    }
    strncat(out, c->string, size - strlen(out) - 1);
  }
}

static const char REPORT_KEYS[] =
    "schema_version,kind,source,message_id,status,organization,report_id,"
    "contact_info,date_range,policies,total_successful,total_failed,findings";

/* ---- JSON ------------------------------------------------------------- */

START_TEST(test_json_valid)
{
  struct mts_rpt r;
  struct mts_findings f = {0};
  struct mts_rpt_view v = {"a.json", NULL, &r, &f};
  struct buf b;
  cJSON *j, *p, *x;
  char keys[512];

  sample(&r, "Google Inc.");
  ck_assert_int_eq(
      mts_findings_add(&f, MTS_F_REPORT_DUPLICATE, "b.json", 6, "Seen before."),
      MTS_OK);
  buf_open(&b);
  ck_assert_int_eq(mts_report_tlsrpt_json_write(b.f, &v), MTS_OK);
  buf_close(&b);
  j = parse_line(&b);
  keys_of(j, keys, sizeof(keys));
  ck_assert_str_eq(keys, REPORT_KEYS);
  ck_assert_int_eq(cJSON_GetObjectItem(j, "schema_version")->valueint, 1);
  ck_assert_str_eq(cJSON_GetObjectItem(j, "kind")->valuestring,
                   "tlsrpt-report");
  ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "message_id")));
  ck_assert_str_eq(cJSON_GetObjectItem(j, "status")->valuestring, "valid");
  ck_assert_str_eq(cJSON_GetObjectItem(j, "organization")->valuestring,
                   "Google Inc.");
  x = cJSON_GetObjectItem(j, "date_range");
  ck_assert_str_eq(cJSON_GetObjectItem(x, "start")->valuestring,
                   "2026-11-27T00:00:00Z");
  ck_assert_int_eq(cJSON_GetObjectItem(j, "total_failed")->valueint, 15);
  p = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "policies"), 0);
  keys_of(p, keys, sizeof(keys));
  ck_assert_str_eq(keys, "policy_type,policy_domain,mode,policy_string,"
                         "mx_host,successful,failed,failures_by_result_type,"
                         "failures,same_sessions_as");
  ck_assert_str_eq(cJSON_GetObjectItem(p, "mode")->valuestring, "enforce");
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(p, "policy_string")),
                   2);
  ck_assert(cJSON_IsNull(cJSON_GetObjectItem(p, "mx_host")));
  x = cJSON_GetObjectItem(p, "failures_by_result_type");
  ck_assert_int_eq(cJSON_GetObjectItem(x, "starttls-not-supported")->valueint,
                   11);
  x = cJSON_GetArrayItem(cJSON_GetObjectItem(p, "failures"), 1);
  keys_of(x, keys, sizeof(keys));
  ck_assert_str_eq(keys, "result_type,sending_mta_ip,receiving_mx_hostname,"
                         "receiving_ip,failed_session_count,"
                         "failure_reason_code,receiving_mx_helo,"
                         "additional_information");
  ck_assert(cJSON_IsNull(cJSON_GetObjectItem(x, "receiving_ip")));
  ck_assert_int_eq(cJSON_GetObjectItem(x, "failed_session_count")->valueint,
                   11);
  x = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "findings"), 0);
  keys_of(x, keys, sizeof(keys));
  ck_assert_str_eq(keys, "code,severity,message,subject,rfc");
  ck_assert_str_eq(cJSON_GetObjectItem(x, "code")->valuestring,
                   "REPORT_DUPLICATE");
  ck_assert_str_eq(cJSON_GetObjectItem(x, "severity")->valuestring, "info");
  cJSON_Delete(j);
  free(b.p);
  mts_findings_release(&f);
  mts_rpt_release(&r);
}
END_TEST

/* An unreadable input: invalid, every field null, policies []. */
START_TEST(test_json_unreadable)
{
  struct mts_findings f = {0};
  struct mts_rpt_view v = {"/nope <id@x>", "<id@x>", NULL, &f};
  struct buf b;
  cJSON *j;
  char keys[512];

  ck_assert_int_eq(mts_findings_add(&f, MTS_F_REPORT_READ_FAILED, "/nope", 5,
                                    "Cannot read it."),
                   MTS_OK);
  buf_open(&b);
  ck_assert_int_eq(mts_report_tlsrpt_json_write(b.f, &v), MTS_OK);
  buf_close(&b);
  j = parse_line(&b);
  keys_of(j, keys, sizeof(keys));
  ck_assert_str_eq(keys, REPORT_KEYS);
  ck_assert_str_eq(cJSON_GetObjectItem(j, "status")->valuestring, "invalid");
  ck_assert_str_eq(cJSON_GetObjectItem(j, "message_id")->valuestring, "<id@x>");
  ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "organization")));
  ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "date_range")));
  ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "total_successful")));
  ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "total_failed")));
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "policies")), 0);
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "findings")), 1);
  cJSON_Delete(j);
  free(b.p);
  mts_findings_release(&f);
}
END_TEST

/* An invalid report keeps the raw strings it had, never its figures. */
START_TEST(test_json_invalid)
{
  struct mts_rpt r;
  struct mts_findings f = {0};
  struct mts_rpt_view v = {"x.json", NULL, &r, &f};
  struct buf b;
  cJSON *j;

  sample(&r, "Broken");
  r.valid = 0;
  buf_open(&b);
  ck_assert_int_eq(mts_report_tlsrpt_json_write(b.f, &v), MTS_OK);
  buf_close(&b);
  j = parse_line(&b);
  ck_assert_str_eq(cJSON_GetObjectItem(j, "status")->valuestring, "invalid");
  ck_assert_str_eq(cJSON_GetObjectItem(j, "organization")->valuestring,
                   "Broken");
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "policies")), 0);
  ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "total_failed")));
  cJSON_Delete(j);
  free(b.p);
  mts_rpt_release(&r);
}
END_TEST

/* Hostile bytes: JSON stays valid UTF-8 with the control bytes escaped;
 * text shows no byte outside printable ASCII but '\n'. */
START_TEST(test_escaping)
{
  static const char evil[] = "Evil\x1b]0;pwn\x07\x1b[31m\xff\xfe\"\\ Inc.";
  struct mts_rpt r;
  struct mts_findings f = {0};
  struct mts_rpt_view v = {"evil\x1b[2J.json", NULL, &r, &f};
  struct mts_text_opts topts = {0};
  struct buf b;
  cJSON *j;

  sample(&r, evil);
  free(r.policies[0].failures[0].receiving_mx_hostname);
  r.policies[0].failures[0].receiving_mx_hostname = xstrdup("mx\r\n\x9b.x");
  ck_assert_int_eq(mts_findings_add(&f, MTS_F_REPORT_FIELD_TYPE, evil,
                                    strlen(evil), "Bad \x1b[5m."),
                   MTS_OK);
  buf_open(&b);
  ck_assert_int_eq(mts_report_tlsrpt_json_write(b.f, &v), MTS_OK);
  buf_close(&b);
  ck_assert_ptr_null(memchr(b.p, 0x1b, b.len));
  ck_assert_ptr_null(memchr(b.p, 0xff, b.len));
  j = parse_line(&b);
  ck_assert_str_eq(
      cJSON_GetObjectItem(j, "organization")->valuestring,
      "Evil\x1b]0;pwn\x07\x1b[31m\xef\xbf\xbd\xef\xbf\xbd\"\\ Inc.");
  cJSON_Delete(j);
  free(b.p);

  buf_open(&b);
  ck_assert_int_eq(mts_report_tlsrpt_text_write(b.f, &v, &topts), MTS_OK);
  buf_close(&b);
  for (size_t i = 0; i < b.len; i++) {
    unsigned char c = (unsigned char)b.p[i];
    ck_assert_msg(c == '\n' || (c >= 0x20 && c <= 0x7e), "byte 0x%02x at %zu",
                  c, i);
  }
  ck_assert_ptr_nonnull(strstr(b.p, "Evil\\x1b]0;pwn\\x07\\x1b[31m\\xff\\xfe"));
  ck_assert_ptr_nonnull(strstr(b.p, "mx\\x0d\\x0a\\x9b.x"));
  ck_assert_ptr_nonnull(strstr(b.p, "evil\\x1b[2J.json: INVALID") == NULL
                            ? strstr(b.p, "evil\\x1b[2J.json: VALID")
                            : NULL);
  free(b.p);
  mts_findings_release(&f);
  mts_rpt_release(&r);
}
END_TEST

/* ---- text ------------------------------------------------------------- */

START_TEST(test_text_block)
{
  struct mts_rpt r;
  struct mts_findings f = {0};
  struct mts_rpt_view v = {"a.json", NULL, &r, &f};
  struct mts_text_opts topts = {0};
  struct buf b;

  sample(&r, "Google Inc.");
  buf_open(&b);
  ck_assert_int_eq(mts_report_tlsrpt_text_write(b.f, &v, &topts), MTS_OK);
  buf_close(&b);
  ck_assert_ptr_nonnull(strstr(b.p, "a.json: VALID\n"));
  ck_assert_ptr_nonnull(strstr(b.p, "  Organization    Google Inc.\n"));
  ck_assert_ptr_nonnull(strstr(b.p, "  Date range      2026-11-27T00:00:00Z "
                                    "to 2026-11-27T23:59:59Z\n"));
  ck_assert_ptr_nonnull(strstr(b.p, "  Policy          sts example.com, "
                                    "mode enforce\n"));
  ck_assert_ptr_nonnull(
      strstr(b.p, "sessions: 2210 successful, 15 failed (0.67% failed)\n"));
  ck_assert_ptr_nonnull(strstr(b.p, "certificate-expired: 4\n"));
  ck_assert_ptr_nonnull(strstr(b.p, "mx1.example.com [192.0.2.25]: 4 failed, "
                                    "sending MTA 209.85.220.41\n"));
  ck_assert_ptr_nonnull(strstr(b.p, "mx2.example.com [IP not given]: 11 "
                                    "failed\n"));
  ck_assert_ptr_nonnull(strstr(b.p, "  Findings        none\n"));
  ck_assert_ptr_null(strchr(b.p, 0x1b)); /* colour off */
  free(b.p);

  topts.color = 1;
  buf_open(&b);
  ck_assert_int_eq(mts_report_tlsrpt_text_write(b.f, &v, &topts), MTS_OK);
  buf_close(&b);
  ck_assert_ptr_nonnull(strstr(b.p, "\033[32mVALID\033[0m"));
  free(b.p);
  mts_rpt_release(&r);
}
END_TEST

/* ---- summary ---------------------------------------------------------- */

START_TEST(test_summary)
{
  struct mts_rpt_sum *s = NULL;
  struct mts_rpt a, c;
  const struct mts_rpt_day *d;
  struct mts_text_opts topts = {0};
  struct buf b;
  cJSON *j, *x;
  char keys[512];
  size_t n;

  ck_assert_int_eq(mts_rpt_sum_new(&s), MTS_OK);
  sample(&a, "Google Inc.");
  sample(&c, "Microsoft Corporation");
  c.policies[0].successful = 100;
  c.policies[0].failed = 0;
  c.policies[0].n_failures = 0;
  c.policies[0].n_by_result_type = 0;
  ck_assert_int_eq(mts_rpt_sum_add(s, &a), MTS_OK);
  ck_assert_int_eq(mts_rpt_sum_add(s, &c), MTS_OK);
  ck_assert_int_eq(mts_rpt_sum_days(s, &d, &n), MTS_OK);
  ck_assert_uint_eq(n, 1);

  buf_open(&b);
  ck_assert_int_eq(mts_report_tlsrpt_summary_json_write(b.f, d), MTS_OK);
  buf_close(&b);
  j = parse_line(&b);
  keys_of(j, keys, sizeof(keys));
  ck_assert_str_eq(keys, "schema_version,kind,policy_domain,day,reports,"
                         "sessions,successful,failed,failure_rate,"
                         "failure_percent,failures_by_result_type,"
                         "by_organization,failures_by_mx_host,"
                         "sts_tlsa_counted_once");
  ck_assert_str_eq(cJSON_GetObjectItem(j, "kind")->valuestring,
                   "tlsrpt-summary");
  ck_assert_str_eq(cJSON_GetObjectItem(j, "day")->valuestring, "2026-11-27");
  ck_assert_int_eq(cJSON_GetObjectItem(j, "reports")->valueint, 2);
  ck_assert_int_eq(cJSON_GetObjectItem(j, "sessions")->valueint, 2325);
  ck_assert_ptr_nonnull(strstr(b.p, "\"failure_rate\":0.0065,"));
  ck_assert_ptr_nonnull(strstr(b.p, "\"failure_percent\":0.65,"));
  x = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "by_organization"),
                          "Microsoft Corporation");
  ck_assert_int_eq(cJSON_GetObjectItem(x, "successful")->valueint, 100);
  x = cJSON_GetObjectItem(j, "failures_by_mx_host");
  ck_assert_int_eq(cJSON_GetObjectItem(x, "mx2.example.com")->valueint, 11);
  cJSON_Delete(j);
  free(b.p);

  buf_open(&b);
  ck_assert_int_eq(mts_report_tlsrpt_summary_text_write(b.f, d, n, 0.5, &topts),
                   MTS_OK);
  buf_close(&b);
  ck_assert_ptr_nonnull(strstr(b.p, "Summary (fail threshold 0.5%)\n"));
  ck_assert_ptr_nonnull(strstr(b.p, "2026-11-27"));
  ck_assert_ptr_nonnull(strstr(b.p, "  0.65%  at or above the threshold\n"));
  ck_assert_ptr_nonnull(strstr(b.p, "Microsoft Corporation"));
  free(b.p);

  buf_open(&b);
  ck_assert_int_eq(mts_report_tlsrpt_summary_text_write(b.f, d, 0, 5, &topts),
                   MTS_OK);
  buf_close(&b);
  ck_assert_ptr_nonnull(strstr(b.p, "no valid report"));
  free(b.p);

  mts_rpt_release(&a);
  c.policies[0].n_failures = 2; /* hidden above, freed here */
  c.policies[0].n_by_result_type = 2;
  mts_rpt_release(&c);
  mts_rpt_sum_free(&s);
}
END_TEST

static const struct {
  uint64_t ok, failed;
  const char *rate, *pct;
} rate_cases[] = {
    {0, 0, "null", "null"},      {10, 0, "0.0000", "0.00"},
    {0, 10, "1.0000", "100.00"}, {2210, 15, "0.0067", "0.67"},
    {2, 1, "0.3333", "33.33"},   {999999, 1, "0.0000", "0.00"},
};

START_TEST(test_rate_str)
{
  char rate[32], pct[32];

  mts_rpt_rate_str(rate_cases[_i].ok, rate_cases[_i].failed, rate, sizeof(rate),
                   pct, sizeof(pct));
  ck_assert_str_eq(rate, rate_cases[_i].rate);
  ck_assert_str_eq(pct, rate_cases[_i].pct);
}
END_TEST

START_TEST(test_tally)
{
  struct mts_rpt_tally t = {12, 2, 1, 2, 3};
  struct buf b;

  buf_open(&b);
  ck_assert_int_eq(mts_report_tlsrpt_tally_text_write(b.f, &t), MTS_OK);
  t = (struct mts_rpt_tally){1, 0, 0, 0, 0};
  ck_assert_int_eq(mts_report_tlsrpt_tally_text_write(b.f, &t), MTS_OK);
  t = (struct mts_rpt_tally){3, 0, 2, 1, 0};
  ck_assert_int_eq(mts_report_tlsrpt_tally_text_write(b.f, &t), MTS_OK);
  buf_close(&b);
  ck_assert_str_eq(b.p, "12 reports: 10 valid (1 duplicate), 2 invalid; 3 "
                        "with failed sessions, 2 with warnings or envelope "
                        "errors\n"
                        "1 report: 1 valid, 0 invalid\n"
                        "3 reports: 3 valid (2 duplicates), 0 invalid; 1 "
                        "with warnings or envelope errors\n");
  free(b.p);
}
END_TEST

/* A full disk: the writers say MTS_EIO. */
START_TEST(test_write_error)
{
  struct mts_rpt r;
  struct mts_findings f = {0};
  struct mts_rpt_view v = {"a.json", NULL, &r, &f};
  FILE *full = fopen("/dev/full", "w");

  if (full == NULL) {
    return; /* no /dev/full here */
  }
  setvbuf(full, NULL, _IONBF, 0);
  sample(&r, "Google Inc.");
  ck_assert_int_eq(mts_report_tlsrpt_json_write(full, &v), MTS_EIO);
  ck_assert_int_eq(mts_report_tlsrpt_text_write(full, &v, NULL), MTS_EIO);
  fclose(full);
  mts_rpt_release(&r);
}
END_TEST

/* ---- golden files ------------------------------------------------------
 * fixtures/expected/tlsrpt_<name>.txt and .json, compared byte for byte.
 * Regenerate after a deliberate change, then review:
 *   MTS_UPDATE_GOLDEN=1 ./test_report_tlsrpt && git diff fixtures/expected/ */

static char *
read_all(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  long n;

  if (f == NULL) {
    return NULL;
  }
  ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
  n = ftell(f);
  ck_assert_int_ge(n, 0);
  ck_assert_int_eq(fseek(f, 0, SEEK_SET), 0);
  buf = malloc((size_t)n + 1);
  ck_assert_ptr_nonnull(buf);
  ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *len = (size_t)n;
  return buf;
}

static void
check_golden(const char *name, const char *out, size_t len)
{
  const char *update = getenv("MTS_UPDATE_GOLDEN");
  char path[1024];
  char *want;
  size_t want_len = 0, at = 0;

  ck_assert_int_lt(snprintf(path, sizeof(path),
                            "%s/fixtures/expected/tlsrpt_%s", MTS_SOURCE_DIR,
                            name),
                   (int)sizeof(path));
  if (update != NULL && strcmp(update, "1") == 0) {
    FILE *f = fopen(path, "wb");

    ck_assert_msg(f != NULL, "cannot write %s", path);
    ck_assert_uint_eq(fwrite(out, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    return;
  }
  want = read_all(path, &want_len);
  ck_assert_msg(want != NULL, "%s is missing (MTS_UPDATE_GOLDEN=1 writes it)",
                path);
  while (at < len && at < want_len && out[at] == want[at]) {
    at++;
  }
  ck_assert_msg(at == len && at == want_len,
                "%s: output differs at byte %zu (output %zu bytes, golden "
                "%zu); regenerate with MTS_UPDATE_GOLDEN=1 and review",
                path, at, len, want_len);
  free(want);
}

/* A report with findings, an unreadable input, and the summary of two
 * reports, each as text and as JSON. */
START_TEST(test_golden)
{
  struct mts_rpt a, c;
  struct mts_findings fa = {0}, fu = {0};
  struct mts_rpt_view va = {"mail/google.eml <1@google.com>", "<1@google.com>",
                            &a, &fa};
  struct mts_rpt_view vu = {"missing.json", NULL, NULL, &fu};
  struct mts_text_opts topts = {0};
  struct mts_rpt_sum *s = NULL;
  const struct mts_rpt_day *d;
  struct buf txt, js;
  size_t n;

  sample(&a, "Google Inc.");
  sample(&c, "Microsoft Corporation");
  free(c.report_id);
  c.report_id = xstrdup("ms-1");
  c.start_epoch += 86400;
  ck_assert_int_eq(
      mts_findings_add(&fa, MTS_F_REPORT_DKIM_MISSING, NULL, 0,
                       "The message has no DKIM-Signature header field."),
      MTS_OK);
  ck_assert_int_eq(mts_findings_add(&fa, MTS_F_REPORT_IP_INVALID,
                                    "policies[0].failure-details[1]", 30,
                                    "The address is empty."),
                   MTS_OK);
  ck_assert_int_eq(mts_findings_add(&fu, MTS_F_REPORT_READ_FAILED,
                                    "missing.json", 12,
                                    "Cannot read missing.json: No such file "
                                    "or directory."),
                   MTS_OK);

  buf_open(&txt);
  buf_open(&js);
  ck_assert_int_eq(mts_report_tlsrpt_text_write(txt.f, &va, &topts), MTS_OK);
  ck_assert_int_eq(mts_report_tlsrpt_json_write(js.f, &va), MTS_OK);
  buf_close(&txt);
  buf_close(&js);
  check_golden("valid.txt", txt.p, txt.len);
  check_golden("valid.json", js.p, js.len);
  free(txt.p);
  free(js.p);

  buf_open(&txt);
  buf_open(&js);
  ck_assert_int_eq(mts_report_tlsrpt_text_write(txt.f, &vu, &topts), MTS_OK);
  ck_assert_int_eq(mts_report_tlsrpt_json_write(js.f, &vu), MTS_OK);
  buf_close(&txt);
  buf_close(&js);
  check_golden("unreadable.txt", txt.p, txt.len);
  check_golden("unreadable.json", js.p, js.len);
  free(txt.p);
  free(js.p);

  ck_assert_int_eq(mts_rpt_sum_new(&s), MTS_OK);
  ck_assert_int_eq(mts_rpt_sum_add(s, &a), MTS_OK);
  ck_assert_int_eq(mts_rpt_sum_add(s, &c), MTS_OK);
  ck_assert_int_eq(mts_rpt_sum_days(s, &d, &n), MTS_OK);
  buf_open(&txt);
  buf_open(&js);
  ck_assert_int_eq(
      mts_report_tlsrpt_summary_text_write(txt.f, d, n, 0.5, &topts), MTS_OK);
  for (size_t i = 0; i < n; i++) {
    ck_assert_int_eq(mts_report_tlsrpt_summary_json_write(js.f, &d[i]), MTS_OK);
  }
  buf_close(&txt);
  buf_close(&js);
  check_golden("summary.txt", txt.p, txt.len);
  check_golden("summary.json", js.p, js.len);
  free(txt.p);
  free(js.p);

  mts_rpt_sum_free(&s);
  mts_findings_release(&fa);
  mts_findings_release(&fu);
  mts_rpt_release(&a);
  mts_rpt_release(&c);
}
END_TEST

static Suite *
report_tlsrpt_suite(void)
{
  Suite *s = suite_create("report_tlsrpt");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_json_valid);
  tcase_add_test(tc, test_json_unreadable);
  tcase_add_test(tc, test_json_invalid);
  tcase_add_test(tc, test_escaping);
  tcase_add_test(tc, test_text_block);
  tcase_add_test(tc, test_summary);
  tcase_add_loop_test(tc, test_rate_str, 0,
                      (int)(sizeof(rate_cases) / sizeof(rate_cases[0])));
  tcase_add_test(tc, test_write_error);
  tcase_add_test(tc, test_golden);
  tcase_add_test(tc, test_tally);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(report_tlsrpt_suite());
  int failed;

  srunner_run_all(sr, CK_ENV);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
