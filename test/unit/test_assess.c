/* Unit tests for mts_assess: DNS outcomes -> statuses and findings
 * (rfc-rules R1, R12-R23, R106-R112). No network: results are built here. */
#include "check/assess.h"

#include <check.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define STS_OK "v=STSv1; id=20190425085700"
#define RPT_OK "v=TLSRPTv1; rua=mailto:tlsrpt@example.com"

static struct mts_dns_result *
dns(const char *qname, int type, enum mts_dns_status st)
{
  struct mts_dns_result *r = calloc(1, sizeof(*r));

  ck_assert_ptr_nonnull(r);
  r->qname = strdup(qname);
  r->type = type;
  r->status = st;
  r->rcode = st == MTS_DNS_NXDOMAIN ? 3 : st == MTS_DNS_SERVFAIL ? 2 : 0;
  r->ttl = -1;
  return r;
}

static void
add_txt(struct mts_dns_result *r, const char *txt, long ttl)
{
  r->txt = realloc(r->txt, (r->n_txt + 1) * sizeof(*r->txt));
  ck_assert_ptr_nonnull(r->txt);
  r->txt[r->n_txt].data = strdup(txt);
  r->txt[r->n_txt].len = strlen(txt);
  r->n_txt++;
  r->status = MTS_DNS_OK;
  r->ttl = ttl;
}

static void
add_mx(struct mts_dns_result *r, unsigned pref, const char *host)
{
  r->mx = realloc(r->mx, (r->n_mx + 1) * sizeof(*r->mx));
  ck_assert_ptr_nonnull(r->mx);
  r->mx[r->n_mx].host = strdup(host);
  r->mx[r->n_mx].preference = pref;
  r->n_mx++;
  r->status = MTS_DNS_OK;
  r->ttl = 300;
}

static void
add_cname(struct mts_dns_result *r, const char *target)
{
  r->cnames = realloc(r->cnames, (r->n_cnames + 1) * sizeof(*r->cnames));
  ck_assert_ptr_nonnull(r->cnames);
  r->cnames[r->n_cnames++] = strdup(target);
}

/* A fixture: a healthy example.com; tests break one part of it. */
struct world {
  struct mts_dns_result *sts, *rpt, *mx, *apex;
  struct mts_result r;
};

static void
world_init(struct world *w)
{
  memset(w, 0, sizeof(*w));
  w->sts = dns("_mta-sts.example.com", MTS_RR_TXT, MTS_DNS_NODATA);
  add_txt(w->sts, STS_OK, 300);
  w->rpt = dns("_smtp._tls.example.com", MTS_RR_TXT, MTS_DNS_NODATA);
  add_txt(w->rpt, RPT_OK, 3600);
  w->mx = dns("example.com", MTS_RR_MX, MTS_DNS_NODATA);
  add_mx(w->mx, 10, "mx1.example.com");
  mts_result_init(&w->r);
  w->r.domain = strdup("example.com");
}

static void
world_assess(struct world *w)
{
  struct mts_lookups lk = {
      .sts = w->sts, .tlsrpt = w->rpt, .mx = w->mx, .apex = w->apex};
  ck_assert_int_eq(mts_assess(&lk, &w->r), MTS_OK);
}

static void
world_release(struct world *w)
{
  mts_dns_result_free(&w->sts);
  mts_dns_result_free(&w->rpt);
  mts_dns_result_free(&w->mx);
  mts_dns_result_free(&w->apex);
  mts_result_release(&w->r);
}

static void
assert_has(const struct mts_result *r, enum mts_code code)
{
  ck_assert_msg(mts_findings_has(&r->findings, code), "missing finding %s",
                mts_code_name(code));
}

static void
assert_not(const struct mts_result *r, enum mts_code code)
{
  ck_assert_msg(!mts_findings_has(&r->findings, code), "unexpected finding %s",
                mts_code_name(code));
}

START_TEST(healthy_domain_is_ok)
{
  struct world w;

  world_init(&w);
  world_assess(&w);
  ck_assert_int_eq(w.r.status, MTS_STATUS_OK);
  ck_assert_int_eq(w.r.sts.record.status, MTS_REC_VALID);
  ck_assert_str_eq(w.r.sts.record.name, "_mta-sts.example.com");
  ck_assert_str_eq(w.r.sts.id, "20190425085700");
  ck_assert_int_eq(w.r.sts.record.ttl, 300);
  ck_assert_uint_eq(w.r.sts.record.n_txt, 1);
  ck_assert_str_eq(w.r.sts.record.txt[0].data, STS_OK);
  ck_assert_int_eq(w.r.tlsrpt.record.status, MTS_REC_VALID);
  ck_assert_int_eq(w.r.tlsrpt.record.ttl, 3600);
  ck_assert_uint_eq(w.r.tlsrpt.n_rua, 1);
  ck_assert_str_eq(w.r.tlsrpt.rua[0], "mailto:tlsrpt@example.com");
  ck_assert_uint_eq(w.r.mx.n_hosts, 1);
  ck_assert_int_eq(w.r.mx.covered, -1);
  ck_assert_int_eq(w.r.policy.status, MTS_POLICY_NOT_CHECKED);
  ck_assert_str_eq(w.r.policy.url,
                   "https://mta-sts.example.com/.well-known/mta-sts.txt");
  ck_assert_uint_eq(w.r.findings.n, 0);
  world_release(&w);
}

/* Each failed lookup: its code, record unknown, overall unknown. */
static const struct {
  enum mts_dns_status st;
  enum mts_code code;
} failures[] = {
    {MTS_DNS_SERVFAIL, MTS_F_DNS_SERVFAIL},
    {MTS_DNS_TIMEOUT, MTS_F_DNS_TIMEOUT},
    {MTS_DNS_TRUNCATED, MTS_F_DNS_TRUNCATED},
    {MTS_DNS_BADRESP, MTS_F_DNS_RESPONSE_INVALID},
};

START_TEST(sts_lookup_failure_is_unknown)
{
  struct world w;

  world_init(&w);
  mts_dns_result_free(&w.sts);
  w.sts = dns("_mta-sts.example.com", MTS_RR_TXT, failures[_i].st);
  world_assess(&w);
  assert_has(&w.r, failures[_i].code);
  assert_not(&w.r, MTS_F_STS_RECORD_MISSING);
  ck_assert_int_eq(w.r.sts.record.status, MTS_REC_UNKNOWN);
  ck_assert_int_eq(w.r.tlsrpt.record.status, MTS_REC_VALID);
  ck_assert_int_eq(w.r.status, MTS_STATUS_UNKNOWN);
  ck_assert_ptr_null(w.r.sts.id);
  world_release(&w);
}
END_TEST

START_TEST(tlsrpt_lookup_failure_is_unknown)
{
  struct world w;

  world_init(&w);
  mts_dns_result_free(&w.rpt);
  w.rpt = dns("_smtp._tls.example.com", MTS_RR_TXT, failures[_i].st);
  world_assess(&w);
  assert_has(&w.r, failures[_i].code);
  assert_not(&w.r, MTS_F_TLSRPT_RECORD_MISSING);
  ck_assert_int_eq(w.r.tlsrpt.record.status, MTS_REC_UNKNOWN);
  ck_assert_int_eq(w.r.status, MTS_STATUS_UNKNOWN);
  world_release(&w);
}
END_TEST

START_TEST(mx_lookup_failure_is_unknown)
{
  struct world w;

  world_init(&w);
  mts_dns_result_free(&w.mx);
  w.mx = dns("example.com", MTS_RR_MX, failures[_i].st);
  world_assess(&w);
  assert_has(&w.r, MTS_F_MX_LOOKUP_FAILED);
  ck_assert_int_eq(w.r.mx.covered, -1);
  ck_assert_int_eq(w.r.status, MTS_STATUS_UNKNOWN);
  world_release(&w);
}
END_TEST

START_TEST(failure_plus_error_is_error)
{
  struct world w;

  world_init(&w);
  mts_dns_result_free(&w.sts);
  w.sts = dns("_mta-sts.example.com", MTS_RR_TXT, MTS_DNS_SERVFAIL);
  mts_dns_result_free(&w.rpt);
  w.rpt = dns("_smtp._tls.example.com", MTS_RR_TXT, MTS_DNS_NODATA);
  add_txt(w.rpt, "v=TLSRPTv1; rua=tlsrpt@example.com", 300);
  world_assess(&w);
  assert_has(&w.r, MTS_F_DNS_SERVFAIL);
  ck_assert_int_eq(w.r.tlsrpt.record.status, MTS_REC_INVALID);
  ck_assert_int_eq(w.r.status, MTS_STATUS_ERROR);
  world_release(&w);
}
END_TEST

START_TEST(cname_loop_is_an_error)
{
  struct world w;

  world_init(&w);
  mts_dns_result_free(&w.sts);
  w.sts = dns("_mta-sts.example.com", MTS_RR_TXT, MTS_DNS_CNAME_LOOP);
  world_assess(&w);
  assert_has(&w.r, MTS_F_DNS_CNAME_LOOP);
  ck_assert_int_eq(w.r.status, MTS_STATUS_ERROR);
  world_release(&w);
}
END_TEST

START_TEST(missing_records)
{
  struct world w;

  world_init(&w);
  mts_dns_result_free(&w.sts);
  mts_dns_result_free(&w.rpt);
  w.sts = dns("_mta-sts.example.com", MTS_RR_TXT, MTS_DNS_NXDOMAIN);
  w.rpt = dns("_smtp._tls.example.com", MTS_RR_TXT, MTS_DNS_NODATA);
  {
    struct mts_lookups lk = {.sts = w.sts, .tlsrpt = w.rpt, .mx = w.mx};
    ck_assert_int_eq(mts_assess_wants_apex(&lk), 1);
  }
  world_assess(&w);
  assert_has(&w.r, MTS_F_STS_RECORD_MISSING);
  assert_has(&w.r, MTS_F_TLSRPT_RECORD_MISSING);
  ck_assert_int_eq(w.r.sts.record.status, MTS_REC_MISSING);
  ck_assert_int_eq(w.r.tlsrpt.record.status, MTS_REC_MISSING);
  ck_assert_int_eq(w.r.sts.record.ttl, -1);
  ck_assert_int_eq(w.r.status, MTS_STATUS_ERROR);
  world_release(&w);
}
END_TEST

START_TEST(record_at_apex)
{
  struct world w;

  world_init(&w);
  mts_dns_result_free(&w.sts);
  mts_dns_result_free(&w.rpt);
  w.sts = dns("_mta-sts.example.com", MTS_RR_TXT, MTS_DNS_NODATA);
  w.rpt = dns("_smtp._tls.example.com", MTS_RR_TXT, MTS_DNS_NODATA);
  /* Only an unrelated record: still missing, still worth the apex look. */
  add_txt(w.rpt, "google-site-verification=abc", 300);
  w.apex = dns("example.com", MTS_RR_TXT, MTS_DNS_NODATA);
  add_txt(w.apex, "v=spf1 -all", 300);
  add_txt(w.apex, STS_OK, 300);
  add_txt(w.apex, RPT_OK, 300);
  world_assess(&w);
  assert_has(&w.r, MTS_F_STS_RECORD_AT_APEX);
  assert_has(&w.r, MTS_F_TLSRPT_RECORD_AT_APEX);
  assert_has(&w.r, MTS_F_TLSRPT_UNRELATED_TXT);
  world_release(&w);
}
END_TEST

START_TEST(apex_not_wanted_when_present)
{
  struct world w;
  struct mts_lookups lk;

  memset(&lk, 0, sizeof(lk));
  world_init(&w);
  lk.sts = w.sts;
  lk.tlsrpt = w.rpt;
  lk.mx = w.mx;
  lk.apex = NULL;
  ck_assert_int_eq(mts_assess_wants_apex(&lk), 0);
  /* Not while a record is still unknown. */
  lk.tlsrpt = NULL;
  ck_assert_int_eq(mts_assess_wants_apex(&lk), 0);
  world_release(&w);
}
END_TEST

START_TEST(domain_nxdomain)
{
  struct world w;

  world_init(&w);
  mts_dns_result_free(&w.sts);
  mts_dns_result_free(&w.rpt);
  mts_dns_result_free(&w.mx);
  w.sts = dns("_mta-sts.example.com", MTS_RR_TXT, MTS_DNS_NXDOMAIN);
  w.rpt = dns("_smtp._tls.example.com", MTS_RR_TXT, MTS_DNS_NXDOMAIN);
  w.mx = dns("example.com", MTS_RR_MX, MTS_DNS_NXDOMAIN);
  world_assess(&w);
  assert_has(&w.r, MTS_F_DOMAIN_NXDOMAIN);
  ck_assert_int_eq(w.r.sts.record.status, MTS_REC_MISSING);
  ck_assert_int_eq(w.r.tlsrpt.record.status, MTS_REC_MISSING);
  ck_assert_int_eq(w.r.policy.status, MTS_POLICY_NOT_CHECKED);
  ck_assert_int_eq(w.r.mx.covered, -1);
  ck_assert_int_eq(w.r.status, MTS_STATUS_ERROR);
  world_release(&w);
}
END_TEST

START_TEST(mx_missing_null_literal_sorted)
{
  struct world w;

  world_init(&w);
  mts_dns_result_free(&w.mx);
  w.mx = dns("example.com", MTS_RR_MX, MTS_DNS_NODATA);
  world_assess(&w);
  assert_has(&w.r, MTS_F_MX_RECORDS_MISSING);
  ck_assert_int_eq(w.r.status, MTS_STATUS_WARNING);
  world_release(&w);

  world_init(&w);
  mts_dns_result_free(&w.mx);
  w.mx = dns("example.com", MTS_RR_MX, MTS_DNS_NODATA);
  add_mx(w.mx, 0, "");
  world_assess(&w);
  assert_has(&w.r, MTS_F_MX_NULL);
  ck_assert_int_eq(w.r.status, MTS_STATUS_WARNING);
  world_release(&w);

  world_init(&w);
  add_mx(w.mx, 5, "192.0.2.1");
  add_mx(w.mx, 10, "a.example.com");
  world_assess(&w);
  assert_has(&w.r, MTS_F_MX_TARGET_IP_LITERAL);
  ck_assert_uint_eq(w.r.mx.n_hosts, 3);
  ck_assert_str_eq(w.r.mx.hosts[0].name, "192.0.2.1");
  ck_assert_str_eq(w.r.mx.hosts[1].name, "a.example.com");
  ck_assert_str_eq(w.r.mx.hosts[2].name, "mx1.example.com");
  ck_assert_int_eq(w.r.mx.hosts[2].covered, -1);
  world_release(&w);
}
END_TEST

START_TEST(cname_and_tcp_fallback_are_info)
{
  struct world w;

  world_init(&w);
  add_cname(w.sts, "_mta-sts.provider.example");
  w.sts->tcp_fallback = 1;
  add_cname(w.rpt, "_smtp._tls.provider.example");
  world_assess(&w);
  assert_has(&w.r, MTS_F_STS_CNAME);
  assert_has(&w.r, MTS_F_TLSRPT_CNAME);
  assert_has(&w.r, MTS_F_DNS_TCP_FALLBACK);
  ck_assert_int_eq(w.r.status, MTS_STATUS_OK);
  world_release(&w);
}
END_TEST

START_TEST(status_derivation)
{
  struct mts_result r;

  mts_result_init(&r);
  mts_result_set_status(&r);
  ck_assert_int_eq(r.status, MTS_STATUS_OK);
  ck_assert_int_eq(
      mts_findings_add(&r.findings, MTS_F_STS_UNKNOWN_FIELD, NULL, 0, "info"),
      MTS_OK);
  mts_result_set_status(&r);
  ck_assert_int_eq(r.status, MTS_STATUS_OK);
  ck_assert_int_eq(
      mts_findings_add(&r.findings, MTS_F_STS_TRAILING_WSP, NULL, 0, "warning"),
      MTS_OK);
  mts_result_set_status(&r);
  ck_assert_int_eq(r.status, MTS_STATUS_WARNING);
  ck_assert_int_eq(mts_findings_add(&r.findings, MTS_F_DNS_TIMEOUT, NULL, 0,
                                    "lookup failure"),
                   MTS_OK);
  mts_result_set_status(&r);
  ck_assert_int_eq(r.status, MTS_STATUS_UNKNOWN);
  ck_assert_int_eq(
      mts_findings_add(&r.findings, MTS_F_STS_ID_INVALID, NULL, 0, "error"),
      MTS_OK);
  mts_result_set_status(&r);
  ck_assert_int_eq(r.status, MTS_STATUS_ERROR);
  ck_assert_int_eq(mts_status_exit(MTS_STATUS_OK), 0);
  ck_assert_int_eq(mts_status_exit(MTS_STATUS_WARNING), 1);
  ck_assert_int_eq(mts_status_exit(MTS_STATUS_ERROR), 2);
  ck_assert_int_eq(mts_status_exit(MTS_STATUS_UNKNOWN), 3);
  /* The enum orders "worst": error over unknown over warning. */
  ck_assert_int_gt(MTS_STATUS_ERROR, MTS_STATUS_UNKNOWN);
  ck_assert_int_gt(MTS_STATUS_UNKNOWN, MTS_STATUS_WARNING);
  mts_result_release(&r);
}
END_TEST

static Suite *
assess_suite(void)
{
  Suite *s = suite_create("assess");
  TCase *tc = tcase_create("core");
  int nf = (int)(sizeof(failures) / sizeof(failures[0]));

  tcase_add_test(tc, healthy_domain_is_ok);
  tcase_add_loop_test(tc, sts_lookup_failure_is_unknown, 0, nf);
  tcase_add_loop_test(tc, tlsrpt_lookup_failure_is_unknown, 0, nf);
  tcase_add_loop_test(tc, mx_lookup_failure_is_unknown, 0, nf);
  tcase_add_test(tc, failure_plus_error_is_error);
  tcase_add_test(tc, cname_loop_is_an_error);
  tcase_add_test(tc, missing_records);
  tcase_add_test(tc, record_at_apex);
  tcase_add_test(tc, apex_not_wanted_when_present);
  tcase_add_test(tc, domain_nxdomain);
  tcase_add_test(tc, mx_missing_null_literal_sorted);
  tcase_add_test(tc, cname_and_tcp_fallback_are_info);
  tcase_add_test(tc, status_derivation);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(assess_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
