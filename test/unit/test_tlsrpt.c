/* Unit tests for the TLS-RPT report parser (src/tlsrpt.c), its I-JSON
 * scanner (src/ijson.c) and gzip decoding (src/gunzip.c): rfc-rules §9.
 *
 * The fixture files of fixtures/reports/json/ (made by make.py there) are
 * checked against expected.tsv: one Check loop test per line. */
#include "mtasts/tlsrpt.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "tlsrpt/gunzip.h"
#include "tlsrpt/ijson.h"

#ifndef MTS_SOURCE_DIR
#define MTS_SOURCE_DIR "."
#endif

#define FIXDIR MTS_SOURCE_DIR "/fixtures/reports/json/"

static unsigned char *
slurp(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  unsigned char *buf = NULL;
  size_t cap = 0, n = 0;

  ck_assert_msg(f != NULL, "cannot open %s", path);
  for (;;) {
    size_t got;
    if (n == cap) {
      cap = cap ? cap * 2 : 4096;
      buf = realloc(buf, cap);
      ck_assert_ptr_nonnull(buf);
    }
    got = fread(buf + n, 1, cap - n, f);
    if (got == 0) {
      break;
    }
    n += got;
  }
  fclose(f);
  *len = n;
  return buf;
}

/* The codes of r's findings, sorted and unique, comma-joined ("-" none). */
static void
codes_of(const struct mts_rpt *r, char *out, size_t size)
{
  const char *names[256];
  size_t n = 0;

  for (size_t i = 0; i < r->findings.n && n < 256; i++) {
    const char *c = mts_code_name(r->findings.v[i].code);
    size_t k;
    for (k = 0; k < n && strcmp(names[k], c) != 0; k++) {
    }
    if (k == n) {
      names[n++] = c;
    }
  }
  for (size_t i = 1; i < n; i++) {
    for (size_t k = i; k > 0 && strcmp(names[k - 1], names[k]) > 0; k--) {
      const char *t = names[k];
      names[k] = names[k - 1];
      names[k - 1] = t;
    }
  }
  out[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    if (i > 0) {
      strncat(out, ",", size - strlen(out) - 1);
    }
    strncat(out, names[i], size - strlen(out) - 1);
  }
  if (n == 0) {
    snprintf(out, size, "-");
  }
}

struct fcase {
  char file[256];
  int valid;
  char succ[32], fail[32];
  char codes[512];
};

static struct fcase fcases[64];
static int n_fcases;

static void
load_cases(void)
{
  FILE *f = fopen(FIXDIR "expected.tsv", "r");
  char line[1024];

  if (f == NULL) {
    return;
  }
  while (fgets(line, sizeof(line), f) != NULL && n_fcases < 64) {
    struct fcase *c = &fcases[n_fcases];
    if (line[0] == '#' || line[0] == '\n') {
      continue;
    }
    if (sscanf(line, "%255[^\t]\t%d\t%31[^\t]\t%31[^\t]\t%511[^\t\n]", c->file,
               &c->valid, c->succ, c->fail, c->codes) == 5) {
      n_fcases++;
    }
  }
  fclose(f);
}

START_TEST(fixture_case)
{
  const struct fcase *c = &fcases[_i];
  char path[512];
  char codes[1024];
  unsigned char *buf;
  size_t len;
  struct mts_rpt r;

  snprintf(path, sizeof(path), FIXDIR "%s", c->file);
  buf = slurp(path, &len);
  ck_assert_int_eq(mts_rpt_parse(buf, len, 0, NULL, &r), MTS_OK);
  codes_of(&r, codes, sizeof(codes));
  ck_assert_msg(r.valid == c->valid, "%s: valid %d, expected %d (%s)", c->file,
                r.valid, c->valid, codes);
  ck_assert_msg(strcmp(codes, c->codes) == 0, "%s: codes %s, expected %s",
                c->file, codes, c->codes);
  if (c->valid) {
    ck_assert_uint_eq(r.total_successful, strtoull(c->succ, NULL, 10));
    ck_assert_uint_eq(r.total_failed, strtoull(c->fail, NULL, 10));
  } else {
    ck_assert_uint_eq(r.n_policies, 0);
  }
  mts_rpt_release(&r);
  free(buf);
}
END_TEST

START_TEST(fixture_count)
{
  ck_assert_int_ge(n_fcases, 20);
}
END_TEST

/* Parse a JSON text given as a C string. */
static void
parse_str(const char *json, struct mts_rpt *r)
{
  ck_assert_int_eq(
      mts_rpt_parse((const unsigned char *)json, strlen(json), 0, NULL, r),
      MTS_OK);
}

static const char *
find_code(const struct mts_rpt *r, enum mts_code code)
{
  for (size_t i = 0; i < r->findings.n; i++) {
    if (r->findings.v[i].code == code) {
      return mts_severity_str(r->findings.v[i].severity);
    }
  }
  return NULL;
}

/* A minimal valid report with one sts policy; %s slots: start, end. */
#define REPORT_FMT                                                             \
  "{\"organization-name\":\"O\",\"date-range\":{\"start-datetime\":\"%s\","    \
  "\"end-datetime\":\"%s\"},\"contact-info\":\"a@o.example\","                 \
  "\"report-id\":\"r1\",\"policies\":[{\"policy\":{\"policy-type\":\"sts\","   \
  "\"policy-string\":[\"version: STSv1\",\"mode: testing\"],"                  \
  "\"policy-domain\":\"example.com\",\"mx-host\":[\"mx.example.com\"]},"       \
  "\"summary\":{\"total-successful-session-count\":1,"                         \
  "\"total-failure-session-count\":0}}]}"

static const struct dcase {
  const char *start, *end;
  int valid;
  const char *dt_sev;  /* severity of REPORT_DATETIME_INVALID, or NULL */
  const char *day_sev; /* severity of REPORT_DATE_RANGE_NOT_DAY, or NULL */
  long long start_epoch;
} dcases[] = {
    {"2026-11-26T00:00:00Z", "2026-11-27T00:00:00Z", 1, NULL, NULL, 1795651200},
    {"2026-11-26T00:00:00Z", "2026-11-26T23:59:59Z", 1, NULL, NULL, 1795651200},
    {"2026-11-26t00:00:00z", "2026-11-26T23:59:59.999Z", 1, NULL, NULL,
     1795651200},
    {"2026-11-26T01:00:00+01:00", "2026-11-27T00:59:59+01:00", 1, NULL, NULL,
     1795651200},
    {"2026-11-25T19:00:00-05:00", "2026-11-26T19:00:00-05:00", 1, NULL, NULL,
     1795651200},
    {"2026-11-26T00:00:00", "2026-11-26T23:59:59", 1, "warning", NULL,
     1795651200},
    {"2026-11-26 00:00:00Z", "2026-11-26T23:59:59Z", 1, "warning", NULL,
     1795651200},
    {"2026-11-26T06:00:00Z", "2026-11-26T18:00:00Z", 1, NULL, "info",
     1795672800},
    {"2026-11-25T00:00:00Z", "2026-11-25T24:00:00Z", 1, NULL, NULL, 1795564800},
    {"2026-02-29T00:00:00Z", "2026-03-01T00:00:00Z", 0, "error", NULL, 0},
    {"2024-02-29T00:00:00Z", "2024-03-01T00:00:00Z", 1, NULL, NULL, 1709164800},
    {"2026-11-26", "2026-11-27", 0, "error", NULL, 0},
    {"2026-11-26T00:00:00Q", "2026-11-27T00:00:00Z", 0, "error", NULL, 0},
    {"2026-11-26T00:00:00+0100", "2026-11-27T00:00:00Z", 0, "error", NULL, 0},
    {"2026-11-26T25:00:00Z", "2026-11-27T00:00:00Z", 0, "error", NULL, 0},
    {"2026-11-27T00:00:00Z", "2026-11-27T00:00:00Z", 0, "error", NULL, 0},
    {"yesterday", "today", 0, "error", NULL, 0},
};

START_TEST(dates)
{
  const struct dcase *d = &dcases[_i];
  char json[2048];
  struct mts_rpt r;
  const char *sev;

  snprintf(json, sizeof(json), REPORT_FMT, d->start, d->end);
  parse_str(json, &r);
  ck_assert_msg(r.valid == d->valid, "%s .. %s: valid %d", d->start, d->end,
                r.valid);
  sev = find_code(&r, MTS_F_REPORT_DATETIME_INVALID);
  ck_assert_msg((sev == NULL) == (d->dt_sev == NULL) &&
                    (sev == NULL || strcmp(sev, d->dt_sev) == 0),
                "%s .. %s: DATETIME_INVALID %s", d->start, d->end,
                sev ? sev : "absent");
  sev = find_code(&r, MTS_F_REPORT_DATE_RANGE_NOT_DAY);
  ck_assert_msg((sev == NULL) == (d->day_sev == NULL), "%s .. %s: NOT_DAY %s",
                d->start, d->end, sev ? sev : "absent");
  if (d->valid) {
    ck_assert_int_eq(r.have_dates, 1);
    ck_assert_int_eq(r.start_epoch, d->start_epoch);
    ck_assert_str_eq(r.policies[0].mode, "testing");
  }
  mts_rpt_release(&r);
}
END_TEST

/* Substitutions into a valid report: one field each. */
static const struct vcase {
  const char *from, *to;
  int valid;
  enum mts_code code; /* expected, or MTS_F__COUNT for "no finding" */
} vcases[] = {
    {"\"mx.example.com\"", "\"xn--bcher-kva.example\"", 1, MTS_F__COUNT},
    {"\"mx.example.com\"", "\"*.example.com\"", 1, MTS_F__COUNT},
    {"\"mx.example.com\"", "\"mx.example.com.\"", 1, MTS_F__COUNT},
    /* issue 11: mx-host and policy-string describe the policy, they are
     * not figures: a bad one is a warning and the report counts. */
    {"\"mx.example.com\"", "\"xn--zz.example\"", 1,
     MTS_F_REPORT_DOMAIN_NOT_ALABEL},
    {"\"mx.example.com\"", "\"mx_1.example.com\"", 1,
     MTS_F_REPORT_DOMAIN_NOT_ALABEL},
    {"\"mx.example.com\"", "\"-mx.example.com\"", 1,
     MTS_F_REPORT_DOMAIN_NOT_ALABEL},
    {"[\"mx.example.com\"]", "[7]", 1, MTS_F_REPORT_FIELD_TYPE},
    {"[\"mx.example.com\"]", "{}", 1, MTS_F_REPORT_FIELD_TYPE},
    {"[\"mx.example.com\"]", "null", 1, MTS_F__COUNT},
    {"\"example.com\",", "\"EXAMPLE.COM\",", 1, MTS_F__COUNT},
    {"\"example.com\",", "\"example com\",", 0, MTS_F_REPORT_DOMAIN_NOT_ALABEL},
    {"\"example.com\",", "7,", 0, MTS_F_REPORT_FIELD_TYPE},
    {"\"sts\"", "\"STS\"", 0, MTS_F_REPORT_POLICY_TYPE_INVALID},
    {"\"sts\"", "\"no-policy-found\"", 1, MTS_F__COUNT},
    {"\"mode: testing\"", "\"mode testing\"", 1,
     MTS_F_REPORT_POLICY_STRING_INVALID},
    {"\"mode: testing\"", "\"mode: strict\"", 1,
     MTS_F_REPORT_POLICY_STRING_INVALID},
    {"\"mode: testing\"", "1", 1, MTS_F_REPORT_POLICY_STRING_INVALID},
    {"[\"version: STSv1\",\"mode: testing\"]", "42", 1,
     MTS_F_REPORT_POLICY_STRING_INVALID},
    /* issue 11: an array of one string holding a JSON array (Microsoft). */
    {"[\"version: STSv1\",\"mode: testing\"]",
     "[\"[\\\"version: STSv1\\\",\\\"mode: testing\\\"]\"]", 1,
     MTS_F_REPORT_POLICY_STRING_INVALID},
    /* issue 11: libtlsrpt's no-policy-found without policy-domain. */
    {"\"sts\",\"policy-string\":[\"version: STSv1\",\"mode: testing\"],"
     "\"policy-domain\":\"example.com\",",
     "\"no-policy-found\",", 1, MTS_F_REPORT_FIELD_MISSING},
    {"\"policy-domain\":\"example.com\",", "", 0, MTS_F_REPORT_FIELD_MISSING},
    /* issue 11: failure details are the breakdown, not the totals. */
    {"\"total-failure-session-count\":0}",
     "\"total-failure-session-count\":0},\"failure-details\":7", 1,
     MTS_F_REPORT_FIELD_TYPE},
    {"\"total-failure-session-count\":0}",
     "\"total-failure-session-count\":1},\"failure-details\":[7,"
     "{\"failed-session-count\":1},{\"result-type\":\"dane-required\","
     "\"failed-session-count\":\"1\"}]",
     1, MTS_F_REPORT_COUNT_INVALID},
    {"\"policy-string\":[\"version: STSv1\",\"mode: testing\"],", "", 1,
     MTS_F_REPORT_FIELD_MISSING},
    {"\"a@o.example\"", "\"mailto:a@o.example\"", 1,
     MTS_F_REPORT_CONTACT_INFO_INVALID},
    {"\"a@o.example\"", "\"o.example\"", 1, MTS_F_REPORT_CONTACT_INFO_INVALID},
    {"\"a@o.example\"", "\"\\\"a b\\\"@o.example\"", 1, MTS_F__COUNT},
    {"\"a@o.example\"", "[]", 1, MTS_F_REPORT_CONTACT_INFO_INVALID},
    /* A one-string policy-string nesting past the depth cap is not parsed
     * as JSON (bounded like the report itself): it is one bad line. */
    {"[\"version: STSv1\",\"mode: testing\"]",
     "\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]"
     "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\"",
     1, MTS_F_REPORT_POLICY_STRING_INVALID},
    {"\"r1\"", "1", 0, MTS_F_REPORT_FIELD_TYPE},
    {"\"O\"", "null", 0, MTS_F_REPORT_FIELD_MISSING},
    {"\"total-successful-session-count\":1",
     "\"total-successful-session-count\":1.5", 0, MTS_F_REPORT_COUNT_INVALID},
    {"\"total-successful-session-count\":1",
     "\"total-successful-session-count\":1e3", 1, MTS_F__COUNT},
    {"\"total-successful-session-count\":1",
     "\"total-successful-session-count\":9007199254740992", 1, MTS_F__COUNT},
    {"\"total-successful-session-count\":1",
     "\"total-successful-session-count\":9007199254740993", 0,
     MTS_F_REPORT_NOT_IJSON},
    {"\"total-successful-session-count\":1",
     "\"total-successful-session-count\":1e400", 0, MTS_F_REPORT_NOT_IJSON},
    {"\"total-successful-session-count\":1",
     "\"total-successful-session-count\":true", 0, MTS_F_REPORT_COUNT_INVALID},
    {"\"total-successful-session-count\":1,", "", 0,
     MTS_F_REPORT_FIELD_MISSING},
    {"\"report-id\":\"r1\"", "\"report-id\":\"\\ud83d\\ude00\"", 1,
     MTS_F__COUNT},
    {"\"report-id\":\"r1\"", "\"report-id\":\"\\ud83d\"", 0,
     MTS_F_REPORT_NOT_IJSON},
    {"\"report-id\":\"r1\"", "\"report-id\":\"\\ude00x\"", 0,
     MTS_F_REPORT_NOT_IJSON},
    {"\"report-id\":\"r1\"", "\"report-id\":\"a\tb\"", 0,
     MTS_F_REPORT_NOT_JSON},
    {"\"report-id\":\"r1\"", "\"report-id\":\"\xc3\xa9\"", 1, MTS_F__COUNT},
    {"\"report-id\":\"r1\"", "\"report-id\":\"\xed\xa0\x80\"", 0,
     MTS_F_REPORT_NOT_IJSON},
    {"\"report-id\":\"r1\"", "\"report-id\":\"\xc0\xaf\"", 0,
     MTS_F_REPORT_NOT_IJSON},
    {"\"report-id\":\"r1\"", "\"report-id\":\"r1\",\"report-id\":\"r2\"", 0,
     MTS_F_REPORT_NOT_IJSON},
    {"\"report-id\":\"r1\"", "\"report-id\":\"r1\",\"extra\":{\"a\":[1,2]}", 1,
     MTS_F__COUNT},
    {"\"report-id\":\"r1\",", "\"report-id\":\"r1\",,", 0,
     MTS_F_REPORT_NOT_JSON},
    {"[{\"policy\"", "[7,{\"policy\"", 0, MTS_F_REPORT_FIELD_TYPE},
    {"\"policies\":[", "\"policies\":[],\"x\":[", 1, MTS_F__COUNT},
};

static char *
subst(const char *s, const char *from, const char *to)
{
  const char *at = strstr(s, from);
  char *out;

  ck_assert_msg(at != NULL, "'%s' not in the report", from);
  out = malloc(strlen(s) - strlen(from) + strlen(to) + 1);
  ck_assert_ptr_nonnull(out);
  memcpy(out, s, (size_t)(at - s));
  strcpy(out + (at - s), to);
  strcat(out, at + strlen(from));
  return out;
}

START_TEST(variants)
{
  const struct vcase *v = &vcases[_i];
  char base[2048];
  char *json;
  struct mts_rpt r;

  snprintf(base, sizeof(base), REPORT_FMT, "2026-11-26T00:00:00Z",
           "2026-11-27T00:00:00Z");
  json = subst(base, v->from, v->to);
  parse_str(json, &r);
  ck_assert_msg(r.valid == v->valid, "%s -> %s: valid %d (%zu findings: %s)",
                v->from, v->to, r.valid, r.findings.n,
                r.findings.n ? r.findings.v[0].message : "");
  if (v->code == MTS_F__COUNT) {
    ck_assert_msg(r.findings.n == 0, "%s -> %s: unexpected %s: %s", v->from,
                  v->to, mts_code_name(r.findings.v[0].code),
                  r.findings.v[0].message);
  } else {
    ck_assert_msg(find_code(&r, v->code) != NULL, "%s -> %s: no %s", v->from,
                  v->to, mts_code_name(v->code));
  }
  mts_rpt_release(&r);
  free(json);
}
END_TEST

START_TEST(failure_details)
{
  static const char json[] =
      "{\"organization-name\":\"O\",\"date-range\":{\"start-datetime\":"
      "\"2026-11-26T00:00:00Z\",\"end-datetime\":\"2026-11-27T00:00:00Z\"},"
      "\"contact-info\":\"a@o.example\",\"report-id\":\"r1\",\"policies\":[{"
      "\"policy\":{\"policy-type\":\"sts\",\"policy-string\":[\"mode: "
      "enforce\"],\"policy-domain\":\"example.com\"},\"summary\":{"
      "\"total-successful-session-count\":10,\"total-failure-session-count\":"
      "5},\"failure-details\":[{\"result-type\":\"validation-failure\","
      "\"sending-mta-ip\":\"010.0.0.1\",\"receiving-ip\":\"2001:DB8::1\","
      "\"receiving-mx-hostname\":\"mx.example.com\",\"failed-session-count\":"
      "3,\"failure-reason-code\":7},{\"result-type\":\"validation-failure\","
      "\"failed-session-count\":4,\"additional-info-uri\":\"https://x/\"}]}]}";
  struct mts_rpt r;
  const struct mts_rpt_policy *p;

  parse_str(json, &r);
  ck_assert_int_eq(r.valid, 1);
  p = &r.policies[0];
  ck_assert_uint_eq(p->n_failures, 2);
  ck_assert_str_eq(p->failures[0].receiving_mx_hostname, "mx.example.com");
  ck_assert_ptr_null(p->failures[0].failure_reason_code);
  ck_assert_str_eq(p->failures[1].additional_information, "https://x/");
  ck_assert_uint_eq(p->n_by_result_type, 1);
  ck_assert_uint_eq(p->by_result_type[0].count, 7);
  ck_assert_int_eq(p->has_mx_host, 0);
  /* 010.0.0.1 and 2001:DB8::1 are not canonical; reason-code 7 has the
   * wrong type (a warning); both lack a reason code (info). */
  ck_assert_str_eq(find_code(&r, MTS_F_REPORT_IP_INVALID), "info");
  ck_assert_str_eq(find_code(&r, MTS_F_REPORT_FIELD_TYPE), "warning");
  ck_assert_str_eq(find_code(&r, MTS_F_REPORT_FAILURE_REASON_MISSING), "info");
  mts_rpt_release(&r);
}
END_TEST

/* issue 11: Microsoft lists an sts and a tlsa policy for the same domain
 * and sessions: they are paired and the totals count the sessions once.
 * A tlsa policy with other counts, or for another domain, is not paired. */
START_TEST(same_sessions)
{
#define POL(type, dom, ok, bad)                                                \
  "{\"policy\":{\"policy-type\":\"" type "\",\"policy-domain\":\"" dom         \
  "\"},\"summary\":{\"total-successful-session-count\":" #ok                   \
  ",\"total-failure-session-count\":" #bad "}}"
  static const char json[] =
      "{\"organization-name\":\"Microsoft Corporation\",\"date-range\":{"
      "\"start-datetime\":\"2026-11-26T00:00:00Z\",\"end-datetime\":"
      "\"2026-11-26T23:59:59Z\"},\"contact-info\":\"a@o.example\","
      "\"report-id\":\"r1\",\"policies\":[" POL(
          "sts", "example.com", 7,
          1) "," POL("tlsa", "a.example", 7,
                     1) "," POL("tlsa", "EXAMPLE.COM.", 7,
                                1) "," POL("tlsa", "example.com", 7,
                                           2) "," POL("sts", "a.example", 7,
                                                      0) "]}";
#undef POL
  struct mts_rpt r;

  parse_str(json, &r);
  ck_assert_int_eq(r.valid, 1);
  ck_assert_uint_eq(r.n_policies, 5);
  ck_assert_uint_eq(r.policies[0].same_sessions_as, 3);
  ck_assert_uint_eq(r.policies[2].same_sessions_as, 1);
  ck_assert_uint_eq(r.policies[1].same_sessions_as, 0);
  ck_assert_uint_eq(r.policies[3].same_sessions_as, 0);
  ck_assert_uint_eq(r.policies[4].same_sessions_as, 0);
  ck_assert_uint_eq(r.total_successful, 28);
  ck_assert_uint_eq(r.total_failed, 4);
  mts_rpt_release(&r);
}
END_TEST

START_TEST(gzip_multi_member_and_expected)
{
  static const char json[] = "{\"a\":1}";
  unsigned char two[256];
  size_t n = 0;
  unsigned char *out;
  size_t out_len;
  const char *why;

  /* Two gzip members: "{\"a\"" and ":1}". */
  for (int k = 0; k < 2; k++) {
    z_stream z;
    const char *part = k == 0 ? json : json + 4;
    size_t plen = k == 0 ? 4 : strlen(json) - 4;
    memset(&z, 0, sizeof(z));
    ck_assert_int_eq(
        deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
        Z_OK);
    z.next_in = (unsigned char *)(uintptr_t)part;
    z.avail_in = (uInt)plen;
    z.next_out = two + n;
    z.avail_out = (uInt)(sizeof(two) - n);
    ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    n = sizeof(two) - z.avail_out;
    deflateEnd(&z);
  }
  ck_assert_int_eq(mts_gunzip(two, n, 100, &out, &out_len, &why), MTS_GZ_OK);
  ck_assert_uint_eq(out_len, strlen(json));
  ck_assert_int_eq(memcmp(out, json, out_len), 0);
  free(out);
  /* The cap: 7 bytes do not fit in 6. */
  ck_assert_int_eq(mts_gunzip(two, n, 6, &out, &out_len, &why),
                   MTS_GZ_TOO_LARGE);
  ck_assert_ptr_null(out);
  /* Not gzip. */
  ck_assert_int_eq(mts_gunzip((const unsigned char *)json, strlen(json), 100,
                              &out, &out_len, &why),
                   MTS_GZ_NOT_GZIP);
  /* Labelled gzip but plain JSON: REPORT_GZIP_INVALID. */
  {
    struct mts_rpt r;
    ck_assert_int_eq(
        mts_rpt_parse((const unsigned char *)json, strlen(json), 1, NULL, &r),
        MTS_OK);
    ck_assert_int_eq(r.valid, 0);
    ck_assert_ptr_nonnull(find_code(&r, MTS_F_REPORT_GZIP_INVALID));
    mts_rpt_release(&r);
  }
}
END_TEST

START_TEST(limits)
{
  struct mts_rpt_limits lim;
  struct mts_rpt r;
  char json[2048];

  snprintf(json, sizeof(json), REPORT_FMT, "2026-11-26T00:00:00Z",
           "2026-11-27T00:00:00Z");
  mts_rpt_limits_default(&lim);
  lim.max_json = 100;
  ck_assert_int_eq(
      mts_rpt_parse((const unsigned char *)json, strlen(json), 0, &lim, &r),
      MTS_OK);
  ck_assert_ptr_nonnull(find_code(&r, MTS_F_REPORT_TOO_LARGE));
  mts_rpt_release(&r);
  mts_rpt_limits_default(&lim);
  lim.max_depth = 3; /* the report needs 4 */
  ck_assert_int_eq(
      mts_rpt_parse((const unsigned char *)json, strlen(json), 0, &lim, &r),
      MTS_OK);
  ck_assert_ptr_nonnull(find_code(&r, MTS_F_REPORT_JSON_TOO_DEEP));
  mts_rpt_release(&r);
  /* NULL data is an empty document. */
  ck_assert_int_eq(mts_rpt_parse(NULL, 0, 0, NULL, &r), MTS_OK);
  ck_assert_ptr_nonnull(find_code(&r, MTS_F_REPORT_NOT_JSON));
  mts_rpt_release(&r);
}
END_TEST

START_TEST(ijson_scanner)
{
  static const struct {
    const char *s;
    enum mts_ijson_err e;
  } t[] = {
      {"{}", MTS_IJSON_OK},
      {" [ 1 , -0.5e-3 , \"x\" , true , false , null ] ", MTS_IJSON_OK},
      {"-9007199254740992", MTS_IJSON_OK},
      {"-9007199254740993", MTS_IJSON_NUMBER},
      {"1e308", MTS_IJSON_OK},
      {"-1e309", MTS_IJSON_NUMBER},
      {"1e-400", MTS_IJSON_OK},
      {"01", MTS_IJSON_SYNTAX},
      {"1.", MTS_IJSON_SYNTAX},
      {"[1,]", MTS_IJSON_SYNTAX},
      {"{\"a\" 1}", MTS_IJSON_SYNTAX},
      {"{\"a\":1,}", MTS_IJSON_SYNTAX},
      {"[1] 2", MTS_IJSON_SYNTAX},
      {"\"\\x\"", MTS_IJSON_SYNTAX},
      {"\"\\u12\"", MTS_IJSON_SYNTAX},
      {"tru", MTS_IJSON_SYNTAX},
      {"\xef\xbb\xbf{}", MTS_IJSON_SYNTAX},
      {"\"\xf4\x90\x80\x80\"", MTS_IJSON_UTF8},
      {"\"\xf0\x9f\x98\x80\"", MTS_IJSON_OK},
      {"\"\xe2\x82\"", MTS_IJSON_UTF8},
      {"[[[[]]]]", MTS_IJSON_DEPTH},
      {"[[[]]]", MTS_IJSON_OK},
      {"", MTS_IJSON_SYNTAX},
      {"]", MTS_IJSON_SYNTAX},
  };
  struct mts_ijson_res res;

  for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
    enum mts_ijson_err e =
        mts_ijson_check(t[i].s, strlen(t[i].s), 3, 1000, &res);
    ck_assert_msg(e == t[i].e, "'%s': %d, expected %d (%s)", t[i].s, e, t[i].e,
                  res.why ? res.why : "");
  }
  ck_assert_int_eq(mts_ijson_check("[1,2,3]", 7, 3, 3, &res),
                   MTS_IJSON_TOO_MANY);
}
END_TEST

START_TEST(result_types)
{
  ck_assert_int_eq(mts_rpt_result_type_known("sts-webpki-invalid"), 1);
  ck_assert_int_eq(mts_rpt_result_type_known("dane-required"), 1);
  ck_assert_int_eq(mts_rpt_result_type_known("STARTTLS-not-supported"), 0);
  ck_assert_int_eq(mts_rpt_result_type_known(""), 0);
}
END_TEST

static Suite *
tlsrpt_suite(void)
{
  Suite *s = suite_create("tlsrpt");
  TCase *tc = tcase_create("core");

  load_cases();
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, fixture_count);
  tcase_add_loop_test(tc, fixture_case, 0, n_fcases);
  tcase_add_loop_test(tc, dates, 0, (int)(sizeof(dcases) / sizeof(dcases[0])));
  tcase_add_loop_test(tc, variants, 0,
                      (int)(sizeof(vcases) / sizeof(vcases[0])));
  tcase_add_test(tc, failure_details);
  tcase_add_test(tc, same_sessions);
  tcase_add_test(tc, gzip_multi_member_and_expected);
  tcase_add_test(tc, limits);
  tcase_add_test(tc, ijson_scanner);
  tcase_add_test(tc, result_types);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(tlsrpt_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
