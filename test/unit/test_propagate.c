/* Unit tests for the judgement of --propagation (issue 13, rollout.md
 * R198, R199): mts_prop_judge over facts built here. No network. */
#include "check/propagate.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct mts_dns_result *
dns(int type, int rcode, int aa)
{
  struct mts_dns_result *r = calloc(1, sizeof(*r));

  ck_assert_ptr_nonnull(r);
  r->qname = strdup("x");
  r->type = type;
  r->rcode = rcode;
  r->aa = aa;
  r->ttl = -1;
  r->soa_serial = -1;
  r->soa_neg_ttl = -1;
  r->status = rcode == 0   ? MTS_DNS_NODATA
              : rcode == 3 ? MTS_DNS_NXDOMAIN
              : rcode < 0  ? MTS_DNS_TIMEOUT
                           : MTS_DNS_SERVFAIL;
  return r;
}

static struct mts_dns_result *
txt(const char *s, long ttl)
{
  struct mts_dns_result *r = dns(MTS_RR_TXT, 0, 1);

  r->status = MTS_DNS_OK;
  r->ttl = ttl;
  r->txt = calloc(1, sizeof(*r->txt));
  ck_assert_ptr_nonnull(r->txt);
  r->txt[0].data = strdup(s);
  r->txt[0].len = strlen(s);
  r->n_txt = 1;
  return r;
}

static struct mts_dns_result *
soa(long long serial)
{
  struct mts_dns_result *r = dns(MTS_RR_SOA, 0, 1);

  r->status = MTS_DNS_OK;
  r->soa_zone = strdup("example.com");
  r->soa_serial = serial;
  return r;
}

static struct mts_dns_result *
mx(unsigned pref, const char *host)
{
  struct mts_dns_result *r = dns(MTS_RR_MX, 0, 1);

  r->status = MTS_DNS_OK;
  r->mx = calloc(1, sizeof(*r->mx));
  ck_assert_ptr_nonnull(r->mx);
  r->mx[0].host = strdup(host);
  r->mx[0].preference = pref;
  r->n_mx = 1;
  return r;
}

/* A server that answered all four questions with authority. */
/* A new server entry of \p f, asked all four questions, no answer yet. */
static struct mts_prop_server *
add_server(struct mts_prop_facts *f, const char *name, const char *ip)
{
  struct mts_prop_server *s;

  f->servers = realloc(f->servers, (f->n_servers + 1) * sizeof(*s));
  ck_assert_ptr_nonnull(f->servers);
  s = &f->servers[f->n_servers++];
  memset(s, 0, sizeof(*s));
  s->name = strdup(name);
  s->ip = strdup(ip);
  s->asked = 0xf;
  return s;
}

static void
server(struct mts_prop_facts *f, const char *name, const char *ip,
       long long serial, const char *sts)
{
  struct mts_prop_server *s = add_server(f, name, ip);

  s->ans[MTS_PQ_SOA] = soa(serial);
  s->ans[MTS_PQ_STS] = sts ? txt(sts, 300) : dns(MTS_RR_TXT, 3, 1);
  s->ans[MTS_PQ_TLSRPT] = txt("v=TLSRPTv1; rua=mailto:t@example.com", 300);
  s->ans[MTS_PQ_MX] = mx(10, "mx.example.com");
}

/* A server whose every answer is \p rcode with \p aa (-1: no answer). */
static void
bad_server(struct mts_prop_facts *f, const char *name, const char *ip,
           int rcode, int aa)
{
  struct mts_prop_server *s = add_server(f, name, ip);

  for (int q = 0; q < MTS_PQ__COUNT; q++) {
    s->ans[q] = rcode == -2 ? NULL : dns(MTS_RR_TXT, rcode, aa);
  }
}

static void
facts_init(struct mts_prop_facts *f)
{
  memset(f, 0, sizeof(*f));
  f->zone = strdup("example.com");
}

static const struct mts_finding *
find(const struct mts_result *r, enum mts_code code, size_t nth)
{
  for (size_t i = 0; i < r->findings.n; i++) {
    if (r->findings.v[i].code == code && nth-- == 0) {
      return &r->findings.v[i];
    }
  }
  return NULL;
}

static size_t
count(const struct mts_result *r, enum mts_code code)
{
  size_t n = 0;

  for (size_t i = 0; i < r->findings.n; i++) {
    n += r->findings.v[i].code == code;
  }
  return n;
}

static void
result_init(struct mts_result *r)
{
  mts_result_init(r);
  r->domain = strdup("example.com");
}

START_TEST(in_sync_and_current)
{
  struct mts_prop_facts f;
  struct mts_result r;
  struct mts_dns_result *mine[MTS_PROP__COUNT];

  facts_init(&f);
  server(&f, "ns1.example.com", "192.0.2.1", 5, "v=STSv1; id=2");
  server(&f, "ns2.example.com", "192.0.2.2", 4, "v=STSv1; id=2");
  mine[MTS_PROP_STS] = txt("v=STSv1; id=2", 120);
  mine[MTS_PROP_TLSRPT] = txt("v=TLSRPTv1; rua=mailto:t@example.com", 60);
  mine[MTS_PROP_MX] = mx(10, "mx.example.com");
  result_init(&r);
  ck_assert_int_eq(
      mts_prop_judge(&f, (const struct mts_dns_result *const *)mine, &r),
      MTS_OK);
  ck_assert_ptr_nonnull(r.propagation);
  /* R198: a different serial with the same data is not out of sync. */
  ck_assert_int_eq(r.propagation->in_sync, 1);
  ck_assert_int_eq(r.propagation->resolver_current, 1);
  ck_assert_uint_eq(r.findings.n, 0);
  ck_assert_uint_eq(r.propagation->n_servers, 2);
  ck_assert_int_eq(r.propagation->servers[0].serial, 5);
  ck_assert_str_eq(r.propagation->servers[0].rr[MTS_PROP_MX].v[0].data,
                   "10 mx.example.com");
  for (int k = 0; k < MTS_PROP__COUNT; k++) {
    mts_dns_result_free(&mine[k]);
  }
  mts_prop_facts_release(&f);
  mts_result_release(&r);
}
END_TEST

START_TEST(out_of_sync_names_servers_and_serials)
{
  struct mts_prop_facts f;
  struct mts_result r;
  const struct mts_finding *x;

  facts_init(&f);
  server(&f, "ns1.example.com", "192.0.2.1", 2026120502, "v=STSv1; id=2");
  server(&f, "ns2.example.com", "192.0.2.2", 2026120401, "v=STSv1; id=1");
  server(&f, "ns3.example.com", "192.0.2.3", 2026120502, "v=STSv1; id=2");
  result_init(&r);
  ck_assert_int_eq(mts_prop_judge(&f, NULL, &r), MTS_OK);
  ck_assert_int_eq(r.propagation->in_sync, 0);
  ck_assert_int_eq(r.propagation->resolver_current, -1);
  ck_assert_uint_eq(count(&r, MTS_F_DNS_NS_OUT_OF_SYNC), 1);
  x = find(&r, MTS_F_DNS_NS_OUT_OF_SYNC, 0);
  ck_assert_int_eq(x->severity, MTS_SEV_WARNING);
  ck_assert_str_eq(x->subject, "_mta-sts.example.com TXT");
  ck_assert_ptr_nonnull(strstr(x->message, "ns2.example.com (192.0.2.2, "
                                           "serial 2026120401): \"v=STSv1; "
                                           "id=1\""));
  ck_assert_ptr_nonnull(strstr(x->message, "serial 2026120502"));
  ck_assert_int_eq(r.status, MTS_STATUS_WARNING);
  mts_prop_facts_release(&f);
  mts_result_release(&r);
}
END_TEST

START_TEST(record_missing_on_one_server)
{
  struct mts_prop_facts f;
  struct mts_result r;

  facts_init(&f);
  server(&f, "ns1.example.com", "192.0.2.1", 2, "v=STSv1; id=2");
  server(&f, "ns2.example.com", "192.0.2.2", 1, NULL); /* NXDOMAIN */
  result_init(&r);
  ck_assert_int_eq(mts_prop_judge(&f, NULL, &r), MTS_OK);
  ck_assert_int_eq(r.propagation->in_sync, 0);
  ck_assert_ptr_nonnull(
      strstr(find(&r, MTS_F_DNS_NS_OUT_OF_SYNC, 0)->message, "no record"));
  ck_assert(r.propagation->servers[1].rr[MTS_PROP_STS].known);
  ck_assert_uint_eq(r.propagation->servers[1].rr[MTS_PROP_STS].n, 0);
  mts_prop_facts_release(&f);
  mts_result_release(&r);
}
END_TEST

START_TEST(unreachable_refused_lame)
{
  struct mts_prop_facts f;
  struct mts_result r;

  facts_init(&f);
  server(&f, "ns1.example.com", "192.0.2.1", 2, "v=STSv1; id=2");
  bad_server(&f, "ns2.example.com", "192.0.2.2", -2, 0); /* no answer */
  bad_server(&f, "ns3.example.com", "192.0.2.3", 5, 0);  /* REFUSED */
  bad_server(&f, "ns4.example.com", "192.0.2.4", 0, 0);  /* no AA */
  bad_server(&f, "ns5.example.com", "192.0.2.5", 2, 0);  /* SERVFAIL */
  result_init(&r);
  ck_assert_int_eq(mts_prop_judge(&f, NULL, &r), MTS_OK);
  ck_assert_int_eq(r.propagation->servers[1].status, MTS_NS_UNREACHABLE);
  ck_assert_int_eq(r.propagation->servers[2].status, MTS_NS_REFUSED);
  ck_assert_int_eq(r.propagation->servers[3].status, MTS_NS_LAME);
  ck_assert_int_eq(r.propagation->servers[4].status, MTS_NS_LAME);
  ck_assert_int_eq(r.propagation->servers[1].serial, -1);
  ck_assert(!r.propagation->servers[3].rr[MTS_PROP_STS].known);
  /* Only servers that answered count for in_sync. */
  ck_assert_int_eq(r.propagation->in_sync, 1);
  ck_assert_uint_eq(count(&r, MTS_F_DNS_NS_UNREACHABLE), 4);
  ck_assert_str_eq(find(&r, MTS_F_DNS_NS_UNREACHABLE, 1)->subject,
                   "ns3.example.com 192.0.2.3");
  ck_assert_ptr_nonnull(
      strstr(find(&r, MTS_F_DNS_NS_UNREACHABLE, 1)->message, "REFUSED"));
  ck_assert_ptr_nonnull(
      strstr(find(&r, MTS_F_DNS_NS_UNREACHABLE, 2)->message, "lame"));
  mts_prop_facts_release(&f);
  mts_result_release(&r);
}
END_TEST

START_TEST(stale_resolver_majority_and_ttl)
{
  struct mts_prop_facts f;
  struct mts_result r;
  struct mts_dns_result *mine[MTS_PROP__COUNT] = {NULL, NULL, NULL};
  const struct mts_finding *x;

  facts_init(&f);
  server(&f, "ns1.example.com", "192.0.2.1", 2, "v=STSv1; id=2");
  server(&f, "ns2.example.com", "192.0.2.2", 1, "v=STSv1; id=1");
  server(&f, "ns3.example.com", "192.0.2.3", 2, "v=STSv1; id=2");
  mine[MTS_PROP_STS] = txt("v=STSv1; id=1", 170);
  result_init(&r);
  ck_assert_int_eq(
      mts_prop_judge(&f, (const struct mts_dns_result *const *)mine, &r),
      MTS_OK);
  ck_assert_int_eq(r.propagation->resolver_current, 0);
  x = find(&r, MTS_F_DNS_RESOLVER_STALE, 0);
  ck_assert_ptr_nonnull(x);
  ck_assert_int_eq(x->severity, MTS_SEV_INFO);
  ck_assert_ptr_nonnull(strstr(x->message, "within 170 s"));
  ck_assert_ptr_nonnull(strstr(x->message, "(\"v=STSv1; id=1\")"));
  ck_assert_ptr_nonnull(strstr(x->message, "(\"v=STSv1; id=2\")"));
  mts_dns_result_free(&mine[MTS_PROP_STS]);
  mts_prop_facts_release(&f);
  mts_result_release(&r);
}
END_TEST

START_TEST(tie_goes_to_the_highest_serial)
{
  struct mts_prop_facts f;
  struct mts_result r;
  struct mts_dns_result *mine[MTS_PROP__COUNT] = {NULL, NULL, NULL};

  facts_init(&f);
  server(&f, "ns1.example.com", "192.0.2.1", 1, "v=STSv1; id=1");
  server(&f, "ns2.example.com", "192.0.2.2", 2, "v=STSv1; id=2");
  mine[MTS_PROP_STS] = txt("v=STSv1; id=2", 170);
  result_init(&r);
  ck_assert_int_eq(
      mts_prop_judge(&f, (const struct mts_dns_result *const *)mine, &r),
      MTS_OK);
  /* The resolver gives the newer data: current, though out of sync. */
  ck_assert_int_eq(r.propagation->in_sync, 0);
  ck_assert_int_eq(r.propagation->resolver_current, 1);
  ck_assert_uint_eq(count(&r, MTS_F_DNS_RESOLVER_STALE), 0);
  mts_dns_result_free(&mine[MTS_PROP_STS]);
  mts_prop_facts_release(&f);
  mts_result_release(&r);
}
END_TEST

START_TEST(stale_negative_answer_uses_soa_ttl)
{
  struct mts_prop_facts f;
  struct mts_result r;
  struct mts_dns_result *mine[MTS_PROP__COUNT] = {NULL, NULL, NULL};

  facts_init(&f);
  server(&f, "ns1.example.com", "192.0.2.1", 2, "v=STSv1; id=2");
  mine[MTS_PROP_STS] = dns(MTS_RR_TXT, 3, 0); /* cached NXDOMAIN */
  mine[MTS_PROP_STS]->soa_neg_ttl = 42;
  result_init(&r);
  ck_assert_int_eq(
      mts_prop_judge(&f, (const struct mts_dns_result *const *)mine, &r),
      MTS_OK);
  ck_assert_ptr_nonnull(
      strstr(find(&r, MTS_F_DNS_RESOLVER_STALE, 0)->message, "no record"));
  ck_assert_ptr_nonnull(
      strstr(find(&r, MTS_F_DNS_RESOLVER_STALE, 0)->message, "within 42 s"));
  mts_dns_result_free(&mine[MTS_PROP_STS]);
  mts_prop_facts_release(&f);
  mts_result_release(&r);
}
END_TEST

START_TEST(cname_compares_as_cname)
{
  struct mts_prop_facts f;
  struct mts_result r;
  struct mts_dns_result *mine[MTS_PROP__COUNT] = {NULL, NULL, NULL};
  struct mts_dns_result *a;

  facts_init(&f);
  server(&f, "ns1.example.com", "192.0.2.1", 2, NULL);
  /* The server answers the CNAME; the resolver followed it. */
  a = f.servers[0].ans[MTS_PQ_STS];
  a->status = MTS_DNS_NODATA;
  a->rcode = 0;
  a->cnames = calloc(1, sizeof(char *));
  a->cnames[0] = strdup("_mta-sts.provider.example");
  a->n_cnames = 1;
  mine[MTS_PROP_STS] = txt("v=STSv1; id=9", 300);
  mine[MTS_PROP_STS]->cnames = calloc(1, sizeof(char *));
  mine[MTS_PROP_STS]->cnames[0] = strdup("_mta-sts.provider.example");
  mine[MTS_PROP_STS]->n_cnames = 1;
  result_init(&r);
  ck_assert_int_eq(
      mts_prop_judge(&f, (const struct mts_dns_result *const *)mine, &r),
      MTS_OK);
  ck_assert_str_eq(r.propagation->servers[0].rr[MTS_PROP_STS].v[0].data,
                   "CNAME _mta-sts.provider.example");
  ck_assert_int_eq(r.propagation->resolver_current, 1);
  mts_dns_result_free(&mine[MTS_PROP_STS]);
  mts_prop_facts_release(&f);
  mts_result_release(&r);
}
END_TEST

START_TEST(no_server_found)
{
  struct mts_prop_facts f;
  struct mts_result r;

  memset(&f, 0, sizeof(f));
  f.error = strdup("the zone could not be found");
  result_init(&r);
  ck_assert_int_eq(mts_prop_judge(&f, NULL, &r), MTS_OK);
  ck_assert_ptr_null(r.propagation->zone);
  ck_assert_str_eq(r.propagation->error, "the zone could not be found");
  ck_assert_int_eq(r.propagation->in_sync, -1);
  ck_assert_int_eq(r.propagation->resolver_current, -1);
  ck_assert_uint_eq(r.findings.n, 0);
  mts_prop_facts_release(&f);
  mts_result_release(&r);
}
END_TEST

static Suite *
suite(void)
{
  Suite *s = suite_create("propagate");
  TCase *tc = tcase_create("judge");

  tcase_add_test(tc, in_sync_and_current);
  tcase_add_test(tc, out_of_sync_names_servers_and_serials);
  tcase_add_test(tc, record_missing_on_one_server);
  tcase_add_test(tc, unreachable_refused_lame);
  tcase_add_test(tc, stale_resolver_majority_and_ttl);
  tcase_add_test(tc, tie_goes_to_the_highest_serial);
  tcase_add_test(tc, stale_negative_answer_uses_soa_ttl);
  tcase_add_test(tc, cname_compares_as_cname);
  tcase_add_test(tc, no_server_found);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(suite());
  int failed;

  srunner_run_all(sr, CK_ENV);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
