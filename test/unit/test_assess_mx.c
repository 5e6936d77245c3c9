/* Unit tests for the MX transport part of mts_assess (issue 12,
 * mx-transport.md R163-R170): MX targets, their addresses and CNAMEs.
 * No network: lookups are built here. */
#include "check/assess.h"

#include <check.h>
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
add_txt(struct mts_dns_result *r, const char *txt)
{
  r->txt = realloc(r->txt, (r->n_txt + 1) * sizeof(*r->txt));
  ck_assert_ptr_nonnull(r->txt);
  r->txt[r->n_txt].data = strdup(txt);
  r->txt[r->n_txt].len = strlen(txt);
  r->n_txt++;
  r->status = MTS_DNS_OK;
  r->ttl = 300;
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
add_addr(struct mts_dns_result *r, const char *ip)
{
  r->addrs = realloc(r->addrs, (r->n_addrs + 1) * sizeof(*r->addrs));
  ck_assert_ptr_nonnull(r->addrs);
  r->addrs[r->n_addrs++] = strdup(ip);
  r->status = MTS_DNS_OK;
}

static void
add_cname(struct mts_dns_result *r, const char *target)
{
  r->cnames = realloc(r->cnames, (r->n_cnames + 1) * sizeof(*r->cnames));
  ck_assert_ptr_nonnull(r->cnames);
  r->cnames[r->n_cnames++] = strdup(target);
}

#define MAX_T 4

/* example.com with MX hosts given by the test, each with its A and AAAA. */
struct world {
  struct mts_dns_result *sts, *rpt, *mx;
  struct mts_mx_lookup t[MAX_T];
  struct mts_dns_result *a[MAX_T], *aaaa[MAX_T];
  size_t n_t;
  struct mts_result r;
};

static void
world_init(struct world *w)
{
  memset(w, 0, sizeof(*w));
  w->sts = dns("_mta-sts.example.com", MTS_RR_TXT, MTS_DNS_NODATA);
  add_txt(w->sts, STS_OK);
  w->rpt = dns("_smtp._tls.example.com", MTS_RR_TXT, MTS_DNS_NODATA);
  add_txt(w->rpt, RPT_OK);
  w->mx = dns("example.com", MTS_RR_MX, MTS_DNS_NODATA);
  mts_result_init(&w->r);
  w->r.domain = strdup("example.com");
}

/* An MX host whose A and AAAA lookups end with a_st and aaaa_st. */
static size_t
world_host(struct world *w, unsigned pref, const char *name,
           enum mts_dns_status a_st, enum mts_dns_status aaaa_st)
{
  size_t i = w->n_t++;

  ck_assert_uint_lt(i, MAX_T);
  add_mx(w->mx, pref, name);
  w->a[i] = dns(name, MTS_RR_A, a_st);
  w->aaaa[i] = dns(name, MTS_RR_AAAA, aaaa_st);
  w->t[i].name = w->mx->mx[w->mx->n_mx - 1].host;
  w->t[i].a = w->a[i];
  w->t[i].aaaa = w->aaaa[i];
  return i;
}

static void
world_assess(struct world *w)
{
  struct mts_lookups lk = {.sts = w->sts,
                           .tlsrpt = w->rpt,
                           .mx = w->mx,
                           .mx_targets = w->t,
                           .n_mx_targets = w->n_t};
  ck_assert_int_eq(mts_assess(&lk, &w->r), MTS_OK);
}

static void
world_release(struct world *w)
{
  mts_dns_result_free(&w->sts);
  mts_dns_result_free(&w->rpt);
  mts_dns_result_free(&w->mx);
  for (size_t i = 0; i < w->n_t; i++) {
    mts_dns_result_free(&w->a[i]);
    mts_dns_result_free(&w->aaaa[i]);
  }
  mts_result_release(&w->r);
}

static const struct mts_finding *
finding(const struct mts_result *r, enum mts_code code)
{
  for (size_t i = 0; i < r->findings.n; i++) {
    if (r->findings.v[i].code == code) {
      return &r->findings.v[i];
    }
  }
  ck_abort_msg("missing finding %s", mts_code_name(code));
  return NULL;
}

START_TEST(addresses_a_then_aaaa)
{
  struct world w;
  size_t i;

  world_init(&w);
  i = world_host(&w, 10, "mx1.example.com", MTS_DNS_NODATA, MTS_DNS_NODATA);
  add_addr(w.aaaa[i], "2001:db8::25");
  add_addr(w.a[i], "192.0.2.25");
  add_addr(w.a[i], "192.0.2.26");
  world_assess(&w);
  ck_assert_int_eq(w.r.status, MTS_STATUS_OK);
  ck_assert_int_eq(w.r.mx.hosts[0].addrs_known, 1);
  ck_assert_uint_eq(w.r.mx.hosts[0].n_addrs, 3);
  ck_assert_str_eq(w.r.mx.hosts[0].addrs[0].ip, "192.0.2.25");
  ck_assert_str_eq(w.r.mx.hosts[0].addrs[1].ip, "192.0.2.26");
  ck_assert_str_eq(w.r.mx.hosts[0].addrs[2].ip, "2001:db8::25");
  ck_assert_ptr_null(w.r.mx.hosts[0].addrs[0].smtp);
  ck_assert_ptr_null(w.r.mx.hosts[0].cname);
  ck_assert_int_eq(w.r.mx.tls_ok, -1);
  world_release(&w);
}
END_TEST

START_TEST(cname_target_is_a_warning)
{
  struct world w;
  size_t i;

  world_init(&w);
  i = world_host(&w, 10, "mx1.example.com", MTS_DNS_NODATA, MTS_DNS_NODATA);
  add_cname(w.a[i], "mail.provider.example");
  add_addr(w.a[i], "192.0.2.25");
  add_cname(w.aaaa[i], "mail.provider.example");
  world_assess(&w);
  ck_assert_int_eq(w.r.status, MTS_STATUS_WARNING);
  ck_assert_str_eq(w.r.mx.hosts[0].cname, "mail.provider.example");
  ck_assert_str_eq(finding(&w.r, MTS_F_MX_TARGET_CNAME)->subject,
                   "mx1.example.com");
  ck_assert_int_eq(finding(&w.r, MTS_F_MX_TARGET_CNAME)->severity,
                   MTS_SEV_WARNING);
  ck_assert_uint_eq(w.r.mx.hosts[0].n_addrs, 1);
  world_release(&w);
}
END_TEST

START_TEST(unresolvable_only_host_is_an_error)
{
  struct world w;

  world_init(&w);
  world_host(&w, 10, "mx1.example.com", MTS_DNS_NXDOMAIN, MTS_DNS_NXDOMAIN);
  world_assess(&w);
  ck_assert_int_eq(w.r.status, MTS_STATUS_ERROR);
  ck_assert_int_eq(finding(&w.r, MTS_F_MX_TARGET_UNRESOLVABLE)->severity,
                   MTS_SEV_ERROR);
  ck_assert_int_eq(w.r.mx.hosts[0].addrs_known, 1);
  ck_assert_uint_eq(w.r.mx.hosts[0].n_addrs, 0);
  world_release(&w);
}
END_TEST

START_TEST(unresolvable_backup_is_a_warning)
{
  struct world w;
  size_t i;

  world_init(&w);
  i = world_host(&w, 10, "mx1.example.com", MTS_DNS_NODATA, MTS_DNS_NODATA);
  add_addr(w.a[i], "192.0.2.25");
  world_host(&w, 20, "mx2.example.com", MTS_DNS_NODATA, MTS_DNS_NODATA);
  world_assess(&w);
  ck_assert_int_eq(w.r.status, MTS_STATUS_WARNING);
  ck_assert_int_eq(finding(&w.r, MTS_F_MX_TARGET_UNRESOLVABLE)->severity,
                   MTS_SEV_WARNING);
  ck_assert_str_eq(finding(&w.r, MTS_F_MX_TARGET_UNRESOLVABLE)->subject,
                   "mx2.example.com");
  world_release(&w);
}
END_TEST

START_TEST(target_lookup_failure_is_unknown)
{
  struct world w;
  size_t i;

  /* Both families fail: the addresses are not known (null). */
  world_init(&w);
  world_host(&w, 10, "mx1.example.com", MTS_DNS_SERVFAIL, MTS_DNS_TIMEOUT);
  world_assess(&w);
  ck_assert_int_eq(w.r.status, MTS_STATUS_UNKNOWN);
  ck_assert_int_eq(w.r.mx.hosts[0].addrs_known, 0);
  ck_assert(!mts_findings_has(&w.r.findings, MTS_F_MX_TARGET_UNRESOLVABLE));
  world_release(&w);

  /* One family fails: the other's addresses are listed. */
  world_init(&w);
  i = world_host(&w, 10, "mx1.example.com", MTS_DNS_NODATA, MTS_DNS_TIMEOUT);
  add_addr(w.a[i], "192.0.2.25");
  world_assess(&w);
  ck_assert_int_eq(w.r.status, MTS_STATUS_UNKNOWN);
  ck_assert_int_eq(w.r.mx.hosts[0].addrs_known, 1);
  ck_assert_uint_eq(w.r.mx.hosts[0].n_addrs, 1);
  world_release(&w);
}
END_TEST

START_TEST(not_asked_stays_null)
{
  struct world w;

  /* Null MX and an MX beyond the cap: nothing asked, nothing judged. */
  world_init(&w);
  add_mx(w.mx, 10, "mx1.example.com");
  world_assess(&w);
  ck_assert_int_eq(w.r.status, MTS_STATUS_OK);
  ck_assert_int_eq(w.r.mx.hosts[0].addrs_known, 0);
  world_release(&w);
}
END_TEST

static Suite *
assess_mx_suite(void)
{
  Suite *s = suite_create("assess_mx");
  TCase *tc = tcase_create("targets");

  tcase_add_test(tc, addresses_a_then_aaaa);
  tcase_add_test(tc, cname_target_is_a_warning);
  tcase_add_test(tc, unresolvable_only_host_is_an_error);
  tcase_add_test(tc, unresolvable_backup_is_a_warning);
  tcase_add_test(tc, target_lookup_failure_is_unknown);
  tcase_add_test(tc, not_asked_stays_null);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(assess_mx_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
