/* Unit tests for the policy part of mts_assess (rfc-rules R4, R48-R63,
 * R113-R115, contract.md preflight): DNS and fetch results are built here,
 * no network. */
#include "check/assess.h"
#include "mtasts/rules.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1800000000LL /* 2027-01-15 */
#define GOOD_BODY                                                              \
  "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\n"                 \
  "mx: *.backup.example.net\r\nmax_age: 604800\r\n"

static struct mts_dns_result *
dns(const char *qname, int type, enum mts_dns_status st)
{
  struct mts_dns_result *r = calloc(1, sizeof(*r));

  ck_assert_ptr_nonnull(r);
  r->qname = strdup(qname);
  r->type = type;
  r->status = st;
  r->rcode = -1;
  r->ttl = -1;
  return r;
}

static void
add_txt(struct mts_dns_result *r, const char *txt)
{
  r->txt = realloc(r->txt, (r->n_txt + 1) * sizeof(*r->txt));
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
  r->mx[r->n_mx].host = strdup(host);
  r->mx[r->n_mx].preference = pref;
  r->n_mx++;
  r->status = MTS_DNS_OK;
}

static void
add_addr(struct mts_dns_result *r, const char *a)
{
  r->addrs = realloc(r->addrs, (r->n_addrs + 1) * sizeof(*r->addrs));
  r->addrs[r->n_addrs++] = strdup(a);
  r->status = MTS_DNS_OK;
}

static struct mts_fetch_result *
fetched(const char *addr, enum mts_fetch_outcome o, long status, const char *ct,
        const char *body)
{
  struct mts_fetch_result *f = calloc(1, sizeof(*f));

  ck_assert_ptr_nonnull(f);
  f->outcome = o;
  f->address = strdup(addr);
  f->http_status = status;
  f->content_type = ct ? strdup(ct) : NULL;
  f->body = strdup(body ? body : "");
  f->body_len = strlen(f->body);
  f->cert_not_after = NOW + 90 * 86400LL;
  if (o != MTS_FETCH_OK) {
    f->detail = strdup("details from the fetch");
  } else {
    /* A response: the fetcher read the certificate, as a real fetch does. */
    f->cert_seen = 1;
    f->cert_san = strdup("DNS:mta-sts.example.com");
  }
  return f;
}

/* A healthy example.com with its policy host at 192.0.2.1. */
struct world {
  struct mts_dns_result *sts, *rpt, *mx, *a, *aaaa;
  struct mts_fetch_result *f[MTS_MAX_POLICY_ADDRS];
  size_t nf;
  int no_policy;
  struct mts_result r;
};

static void
world_init(struct world *w)
{
  memset(w, 0, sizeof(*w));
  w->sts = dns("_mta-sts.example.com", MTS_RR_TXT, MTS_DNS_NODATA);
  add_txt(w->sts, "v=STSv1; id=20190425085700");
  w->rpt = dns("_smtp._tls.example.com", MTS_RR_TXT, MTS_DNS_NODATA);
  add_txt(w->rpt, "v=TLSRPTv1; rua=mailto:tlsrpt@example.com");
  w->mx = dns("example.com", MTS_RR_MX, MTS_DNS_NODATA);
  add_mx(w->mx, 10, "mx1.example.com");
  add_mx(w->mx, 20, "a.backup.example.net");
  w->a = dns("mta-sts.example.com", MTS_RR_A, MTS_DNS_NODATA);
  add_addr(w->a, "192.0.2.1");
  w->aaaa = dns("mta-sts.example.com", MTS_RR_AAAA, MTS_DNS_NODATA);
  w->f[0] = fetched("192.0.2.1", MTS_FETCH_OK, 200, "text/plain", GOOD_BODY);
  w->nf = 1;
  mts_result_init(&w->r);
  w->r.domain = strdup("example.com");
  w->r.checked_at = NOW;
}

static void
world_assess(struct world *w)
{
  struct mts_lookups lk;

  memset(&lk, 0, sizeof(lk));
  lk.sts = w->sts;
  lk.tlsrpt = w->rpt;
  lk.mx = w->mx;
  lk.no_policy = w->no_policy;
  lk.policy_a = w->a;
  lk.policy_aaaa = w->aaaa;
  lk.fetched = (const struct mts_fetch_result *const *)w->f;
  lk.n_fetched = w->nf;
  ck_assert_int_eq(mts_assess(&lk, &w->r), MTS_OK);
}

static void
world_release(struct world *w)
{
  mts_dns_result_free(&w->sts);
  mts_dns_result_free(&w->rpt);
  mts_dns_result_free(&w->mx);
  mts_dns_result_free(&w->a);
  mts_dns_result_free(&w->aaaa);
  for (size_t i = 0; i < w->nf; i++) {
    mts_fetch_result_free(&w->f[i]);
  }
  mts_result_release(&w->r);
}

#define HAS(w, c)                                                              \
  ck_assert_msg(mts_findings_has(&(w).r.findings, MTS_F_##c),                  \
                "missing finding " #c)
#define HASNT(w, c)                                                            \
  ck_assert_msg(!mts_findings_has(&(w).r.findings, MTS_F_##c),                 \
                "unexpected finding " #c)

START_TEST(valid_policy_covers_every_mx)
{
  struct world w;

  world_init(&w);
  world_assess(&w);
  ck_assert_int_eq(w.r.policy.status, MTS_POLICY_VALID);
  ck_assert_int_eq(w.r.policy.http_status, 200);
  ck_assert_str_eq(w.r.policy.content_type, "text/plain");
  ck_assert_str_eq(w.r.policy.mode, "enforce");
  ck_assert_int_eq(w.r.policy.max_age, 604800);
  ck_assert_uint_eq(w.r.policy.n_mx, 2);
  ck_assert_int_eq(w.r.mx.covered, 1);
  ck_assert_int_eq(w.r.mx.hosts[0].covered, 1);
  ck_assert_str_eq(w.r.mx.hosts[0].matched_by, "mx1.example.com");
  ck_assert_str_eq(w.r.mx.hosts[1].matched_by, "*.backup.example.net");
  ck_assert_int_eq(w.r.policy.cert_not_after, NOW + 90 * 86400LL);
  ck_assert_int_eq(w.r.status, MTS_STATUS_OK);
  world_release(&w);
}
END_TEST

START_TEST(no_policy_is_not_checked)
{
  struct world w;

  world_init(&w);
  w.no_policy = 1;
  world_assess(&w);
  ck_assert_int_eq(w.r.policy.status, MTS_POLICY_NOT_CHECKED);
  ck_assert_int_eq(w.r.mx.covered, -1);
  ck_assert_int_eq(w.r.status, MTS_STATUS_OK);
  world_release(&w);
}
END_TEST

START_TEST(host_unresolvable)
{
  struct world w;

  world_init(&w);
  mts_dns_result_free(&w.a);
  w.a = dns("mta-sts.example.com", MTS_RR_A, MTS_DNS_NXDOMAIN);
  mts_dns_result_free(&w.aaaa);
  w.aaaa = dns("mta-sts.example.com", MTS_RR_AAAA, MTS_DNS_NXDOMAIN);
  mts_fetch_result_free(&w.f[0]);
  w.nf = 0;
  world_assess(&w);
  HAS(w, POLICY_HOST_UNRESOLVABLE);
  ck_assert_int_eq(w.r.policy.status, MTS_POLICY_UNREACHABLE);
  ck_assert_int_eq(w.r.status, MTS_STATUS_ERROR);
  world_release(&w);
}
END_TEST

START_TEST(nothing_deployed_is_not_checked)
{
  struct world w;

  world_init(&w);
  mts_dns_result_free(&w.sts);
  w.sts = dns("_mta-sts.example.com", MTS_RR_TXT, MTS_DNS_NXDOMAIN);
  mts_dns_result_free(&w.a);
  w.a = dns("mta-sts.example.com", MTS_RR_A, MTS_DNS_NXDOMAIN);
  mts_dns_result_free(&w.aaaa);
  w.aaaa = dns("mta-sts.example.com", MTS_RR_AAAA, MTS_DNS_NXDOMAIN);
  mts_fetch_result_free(&w.f[0]);
  w.nf = 0;
  world_assess(&w);
  HAS(w, STS_RECORD_MISSING);
  HASNT(w, POLICY_HOST_UNRESOLVABLE);
  ck_assert_int_eq(w.r.policy.status, MTS_POLICY_NOT_CHECKED);
  world_release(&w);
}
END_TEST

START_TEST(preflight_policy_before_record)
{
  struct world w;

  world_init(&w);
  mts_dns_result_free(&w.sts);
  w.sts = dns("_mta-sts.example.com", MTS_RR_TXT, MTS_DNS_NODATA);
  world_assess(&w);
  HAS(w, STS_RECORD_MISSING);
  HAS(w, POLICY_IGNORED_NO_RECORD);
  ck_assert_int_eq(w.r.policy.status, MTS_POLICY_VALID);
  world_release(&w);
}
END_TEST

START_TEST(host_lookup_failure)
{
  struct world w;

  world_init(&w);
  mts_dns_result_free(&w.a);
  w.a = dns("mta-sts.example.com", MTS_RR_A, MTS_DNS_SERVFAIL);
  mts_fetch_result_free(&w.f[0]);
  w.nf = 0;
  world_assess(&w);
  HAS(w, DNS_SERVFAIL);
  ck_assert_int_eq(w.r.policy.status, MTS_POLICY_UNREACHABLE);
  ck_assert_int_eq(w.r.status, MTS_STATUS_UNKNOWN);
  world_release(&w);
}
END_TEST

/* Each failed fetch on the only address: its code, unreachable. */
static const struct {
  enum mts_fetch_outcome o;
  enum mts_code code;
} fetch_failures[] = {
    {MTS_FETCH_CONNECT, MTS_F_POLICY_CONNECT_FAILED},
    {MTS_FETCH_TLS, MTS_F_POLICY_TLS_FAILED},
    {MTS_FETCH_CERT_UNTRUSTED, MTS_F_POLICY_CERT_UNTRUSTED},
    {MTS_FETCH_CERT_EXPIRED, MTS_F_POLICY_CERT_EXPIRED},
    {MTS_FETCH_CERT_NAME, MTS_F_POLICY_CERT_NAME_MISMATCH},
    {MTS_FETCH_TIMEOUT, MTS_F_POLICY_FETCH_TIMEOUT},
    {MTS_FETCH_TOO_LARGE, MTS_F_POLICY_TOO_LARGE},
};

START_TEST(fetch_failure)
{
  struct world w;

  world_init(&w);
  mts_fetch_result_free(&w.f[0]);
  w.f[0] = fetched("192.0.2.1", fetch_failures[_i].o, -1, NULL, NULL);
  world_assess(&w);
  ck_assert_msg(mts_findings_has(&w.r.findings, fetch_failures[_i].code),
                "missing %s", mts_code_name(fetch_failures[_i].code));
  ck_assert_int_eq(w.r.policy.status, MTS_POLICY_UNREACHABLE);
  ck_assert_int_eq(w.r.mx.covered, -1);
  ck_assert_int_eq(w.r.status, MTS_STATUS_ERROR);
  world_release(&w);
}
END_TEST

START_TEST(one_address_of_two_fails)
{
  struct world w;

  world_init(&w);
  add_addr(w.aaaa, "2001:db8::1");
  mts_fetch_result_free(&w.f[0]);
  w.f[0] = fetched("192.0.2.1", MTS_FETCH_CONNECT, -1, NULL, NULL);
  w.f[1] = fetched("2001:db8::1", MTS_FETCH_OK, 200, "text/plain", GOOD_BODY);
  w.nf = 2;
  world_assess(&w);
  HAS(w, POLICY_ADDRESS_UNREACHABLE);
  HASNT(w, POLICY_CONNECT_FAILED);
  ck_assert_int_eq(w.r.policy.status, MTS_POLICY_VALID);
  ck_assert_int_eq(w.r.status, MTS_STATUS_WARNING);
  world_release(&w);
}
END_TEST

START_TEST(http_status_and_redirect)
{
  struct world w;

  world_init(&w);
  w.f[0]->http_status = 301;
  w.f[0]->location = strdup("https://www.example.com/mta-sts.txt");
  world_assess(&w);
  HAS(w, POLICY_HTTP_REDIRECT);
  ck_assert_int_eq(w.r.policy.status, MTS_POLICY_UNREACHABLE);
  ck_assert_int_eq(w.r.policy.http_status, 301);
  world_release(&w);

  world_init(&w);
  w.f[0]->http_status = 203;
  world_assess(&w);
  HAS(w, POLICY_HTTP_STATUS);
  ck_assert_int_eq(w.r.policy.status, MTS_POLICY_UNREACHABLE);
  world_release(&w);
}
END_TEST

START_TEST(wrong_media_type_is_invalid)
{
  struct world w;

  world_init(&w);
  free(w.f[0]->content_type);
  w.f[0]->content_type = strdup("text/html");
  world_assess(&w);
  HAS(w, POLICY_CONTENT_TYPE);
  ck_assert_int_eq(w.r.policy.status, MTS_POLICY_INVALID);
  ck_assert_int_eq(w.r.mx.covered, -1);
  ck_assert_int_eq(w.r.status, MTS_STATUS_ERROR);
  world_release(&w);
}
END_TEST

START_TEST(mx_not_covered_by_mode)
{
  struct world w;

  world_init(&w);
  add_mx(w.mx, 30, "other.example.org");
  world_assess(&w);
  HAS(w, MX_NOT_COVERED);
  ck_assert_int_eq(w.r.mx.covered, 0);
  ck_assert_int_eq(w.r.mx.hosts[2].covered, 0);
  ck_assert_ptr_null(w.r.mx.hosts[2].matched_by);
  ck_assert_int_eq(w.r.status, MTS_STATUS_ERROR);
  world_release(&w);

  world_init(&w);
  add_mx(w.mx, 30, "other.example.org");
  free(w.f[0]->body);
  w.f[0]->body = strdup("version: STSv1\r\nmode: testing\r\nmx: "
                        "mx1.example.com\r\nmx: *.backup.example.net\r\n"
                        "mx: unused.example.com\r\nmax_age: 604800\r\n");
  w.f[0]->body_len = strlen(w.f[0]->body);
  world_assess(&w);
  HAS(w, MX_NOT_COVERED);
  HAS(w, POLICY_MX_UNUSED);
  for (size_t i = 0; i < w.r.findings.n; i++) {
    if (w.r.findings.v[i].code == MTS_F_MX_NOT_COVERED) {
      ck_assert_int_eq(w.r.findings.v[i].severity, MTS_SEV_WARNING);
    }
  }
  ck_assert_int_eq(w.r.status, MTS_STATUS_WARNING);
  world_release(&w);
}
END_TEST

START_TEST(certificate_expiring_soon)
{
  struct world w;

  world_init(&w);
  w.f[0]->cert_not_after = NOW + 5 * 86400LL;
  world_assess(&w);
  HAS(w, POLICY_CERT_EXPIRES_SOON);
  ck_assert_int_eq(w.r.policy.status, MTS_POLICY_VALID);
  ck_assert_int_eq(w.r.status, MTS_STATUS_WARNING);
  world_release(&w);
}
END_TEST

START_TEST(san_matching)
{
  ck_assert_int_eq(
      mts_name_san_match("DNS:mta-sts.example.com", "mta-sts.example.com"), 1);
  ck_assert_int_eq(mts_name_san_match("DNS:www.example.com, "
                                      "DNS:MTA-STS.Example.COM",
                                      "mta-sts.example.com"),
                   1);
  ck_assert_int_eq(
      mts_name_san_match("DNS:*.example.com", "mta-sts.example.com"), 1);
  ck_assert_int_eq(mts_name_san_match("DNS:*.com", "mta-sts.example.com"), 0);
  ck_assert_int_eq(
      mts_name_san_match("DNS:mta*.example.com", "mta-sts.example.com"), 0);
  ck_assert_int_eq(mts_name_san_match("DNS:*", "mta-sts.example.com"), 0);
  ck_assert_int_eq(
      mts_name_san_match("IP Address:192.0.2.1", "mta-sts.example.com"), 0);
  ck_assert_int_eq(mts_name_san_match("", "mta-sts.example.com"), 0);
  ck_assert_int_eq(mts_name_san_match("DNS:example.com", "mta-sts.example.com"),
                   0);
}
END_TEST

/* The fetcher reports the certificate's SAN; the assessment judges it
 * (RFC 8461 §3.3: DNS-IDs only, never the subject CN). */
START_TEST(certificate_name_is_judged_from_the_san)
{
  static const struct {
    const char *san; /* NULL: a CN-only certificate */
    int ok;
  } cases[] = {
      {"DNS:mta-sts.example.com", 1},
      {"DNS:*.example.com", 1},
      {"DNS:www.example.com", 0},
      {NULL, 0},
  };

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct world w;
    world_init(&w);
    w.f[0]->cert_seen = 1;
    free(w.f[0]->cert_san);
    w.f[0]->cert_san = cases[i].san ? strdup(cases[i].san) : NULL;
    world_assess(&w);
    if (cases[i].ok) {
      ck_assert_int_eq(w.r.policy.status, MTS_POLICY_VALID);
    } else {
      HAS(w, POLICY_CERT_NAME_MISMATCH);
      ck_assert_int_eq(w.r.policy.status, MTS_POLICY_UNREACHABLE);
    }
    world_release(&w);
  }
}
END_TEST

START_TEST(not_modified_is_a_status_not_a_redirect)
{
  struct world w;

  world_init(&w);
  w.f[0]->http_status = 304;
  world_assess(&w);
  HAS(w, POLICY_HTTP_STATUS);
  HASNT(w, POLICY_HTTP_REDIRECT);
  world_release(&w);
}
END_TEST

START_TEST(every_failing_address_is_reported)
{
  struct world w;
  size_t n = 0;

  world_init(&w);
  add_addr(w.aaaa, "2001:db8::1");
  mts_fetch_result_free(&w.f[0]);
  w.f[0] = fetched("192.0.2.1", MTS_FETCH_CONNECT, -1, NULL, NULL);
  w.f[1] = fetched("2001:db8::1", MTS_FETCH_TLS, -1, NULL, NULL);
  w.f[1]->old_tls_only = 1;
  w.nf = 2;
  world_assess(&w);
  HAS(w, POLICY_CONNECT_FAILED);
  HAS(w, POLICY_TLS_FAILED);
  HAS(w, POLICY_TLS_OLD_VERSION);
  for (size_t i = 0; i < w.r.findings.n; i++) {
    n += w.r.findings.v[i].subject != NULL &&
         strcmp(w.r.findings.v[i].subject, "2001:db8::1") == 0;
  }
  ck_assert_uint_eq(n, 2);
  ck_assert_int_eq(w.r.policy.status, MTS_POLICY_UNREACHABLE);
  world_release(&w);
}
END_TEST

START_TEST(no_route_is_not_the_servers_fault)
{
  struct world w;

  world_init(&w);
  add_addr(w.aaaa, "2001:db8::1");
  w.f[1] = fetched("2001:db8::1", MTS_FETCH_NO_ROUTE, -1, NULL, NULL);
  w.nf = 2;
  world_assess(&w);
  HAS(w, POLICY_ADDRESS_NOT_CHECKED);
  HASNT(w, POLICY_ADDRESS_UNREACHABLE);
  ck_assert_int_eq(w.r.policy.status, MTS_POLICY_VALID);
  ck_assert_int_eq(w.r.status, MTS_STATUS_OK);
  world_release(&w);
}
END_TEST

START_TEST(unreachable_is_never_bare)
{
  struct world w;

  /* A answered, AAAA timed out before any fetch started. */
  world_init(&w);
  mts_dns_result_free(&w.aaaa);
  w.aaaa = dns("mta-sts.example.com", MTS_RR_AAAA, MTS_DNS_TIMEOUT);
  mts_fetch_result_free(&w.f[0]);
  w.nf = 0;
  world_assess(&w);
  ck_assert_int_eq(w.r.policy.status, MTS_POLICY_UNREACHABLE);
  HAS(w, DNS_TIMEOUT);
  ck_assert_int_ne(w.r.status, MTS_STATUS_OK);
  world_release(&w);
}
END_TEST

/* Issue 10 item 4: a response whose certificate details the fetch did not
 * read is "could not judge" (status unknown), never a pass, even when the
 * certificate would have been CN-only. */
START_TEST(certificate_not_read_is_not_a_pass)
{
  struct world w;

  world_init(&w);
  w.f[0]->cert_seen = 0;
  free(w.f[0]->cert_san);
  w.f[0]->cert_san = NULL;
  world_assess(&w);
  HAS(w, POLICY_CERT_UNKNOWN);
  HASNT(w, POLICY_CERT_NAME_MISMATCH);
  ck_assert(mts_code_is_lookup_failure(MTS_F_POLICY_CERT_UNKNOWN));
  ck_assert_int_eq(w.r.status, MTS_STATUS_UNKNOWN);
  ck_assert_uint_eq(w.r.policy.n_addrs, 1);
  ck_assert_int_eq(w.r.policy.addrs[0].cert_checked, 0);
  world_release(&w);
}
END_TEST

/* The finding of code c whose subject is s, or NULL. */
static const struct mts_finding *
finding_about(const struct world *w, enum mts_code c, const char *s)
{
  for (size_t i = 0; i < w->r.findings.n; i++) {
    const struct mts_finding *f = &w->r.findings.v[i];
    if (f->code == c && f->subject != NULL && strcmp(f->subject, s) == 0) {
      return f;
    }
  }
  return NULL;
}

static size_t
count_code(const struct world *w, enum mts_code c)
{
  size_t n = 0;

  for (size_t i = 0; i < w->r.findings.n; i++) {
    n += w->r.findings.v[i].code == c;
  }
  return n;
}

/* Two addresses: 192.0.2.1 healthy, 192.0.2.2 as \p second; \p swap puts
 * the second first in fetch order (DNS answers come in any order). */
static void
two_addrs(struct world *w, struct mts_fetch_result *second, int swap)
{
  world_init(w);
  add_addr(w->a, "192.0.2.2");
  w->f[1] = second;
  w->nf = 2;
  if (swap) {
    struct mts_fetch_result *t = w->f[0];
    w->f[0] = w->f[1];
    w->f[1] = t;
  }
}

static const struct mts_policy_addr *
addr_entry(const struct world *w, const char *a)
{
  for (size_t i = 0; i < w->r.policy.n_addrs; i++) {
    if (strcmp(w->r.policy.addrs[i].address, a) == 0) {
      return &w->r.policy.addrs[i];
    }
  }
  ck_abort_msg("no policy.addresses entry for %s", a);
  return NULL;
}

/* Issue 10 item 1: every address that answered is judged; the good answer
 * is the one shown, whichever came first; the other is named. */
START_TEST(second_address_serves_404)
{
  for (int swap = 0; swap < 2; swap++) {
    struct world w;
    const struct mts_finding *f;
    two_addrs(&w, fetched("192.0.2.2", MTS_FETCH_OK, 404, "text/html", "x"),
              swap);
    world_assess(&w);
    f = finding_about(&w, MTS_F_POLICY_ADDRESSES_DIFFER, "192.0.2.2");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->severity, MTS_SEV_WARNING);
    ck_assert_ptr_nonnull(strstr(f->message, "HTTP 404"));
    ck_assert_uint_eq(count_code(&w, MTS_F_POLICY_ADDRESSES_DIFFER), 1);
    HASNT(w, POLICY_HTTP_STATUS);
    ck_assert_int_eq(w.r.policy.status, MTS_POLICY_VALID);
    ck_assert_int_eq(w.r.policy.http_status, 200);
    ck_assert_int_eq(w.r.status, MTS_STATUS_WARNING);
    ck_assert_uint_eq(w.r.policy.n_addrs, 2);
    ck_assert_int_eq(addr_entry(&w, "192.0.2.1")->selected, 1);
    ck_assert_int_eq(addr_entry(&w, "192.0.2.1")->same_policy, 1);
    ck_assert_int_eq(addr_entry(&w, "192.0.2.2")->selected, 0);
    ck_assert_int_eq(addr_entry(&w, "192.0.2.2")->http_status, 404);
    ck_assert_int_eq(addr_entry(&w, "192.0.2.2")->status,
                     MTS_POLICY_UNREACHABLE);
    ck_assert_int_eq(addr_entry(&w, "192.0.2.2")->same_policy, -1);
    ck_assert_str_eq(addr_entry(&w, "192.0.2.2")->outcome, "ok");
    world_release(&w);
  }
}
END_TEST

/* Another valid policy (an older revision) at one address: senders cache
 * different policies under one id: an error. */
START_TEST(second_address_serves_another_policy)
{
  for (int swap = 0; swap < 2; swap++) {
    struct world w;
    const struct mts_finding *f;
    two_addrs(&w,
              fetched("192.0.2.2", MTS_FETCH_OK, 200, "text/plain",
                      "version: STSv1\r\nmode: testing\r\nmx: "
                      "mx1.example.com\r\nmax_age: 86400\r\n"),
              swap);
    world_assess(&w);
    /* Both valid: the lower address is the one shown. */
    ck_assert_int_eq(addr_entry(&w, "192.0.2.1")->selected, 1);
    ck_assert_str_eq(w.r.policy.mode, "enforce");
    f = finding_about(&w, MTS_F_POLICY_ADDRESSES_DIFFER, "192.0.2.2");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->severity, MTS_SEV_ERROR);
    ck_assert_ptr_nonnull(strstr(f->message, "mode testing"));
    ck_assert_int_eq(addr_entry(&w, "192.0.2.2")->same_policy, 0);
    ck_assert_int_eq(addr_entry(&w, "192.0.2.2")->status, MTS_POLICY_VALID);
    ck_assert_int_eq(w.r.status, MTS_STATUS_ERROR);
    world_release(&w);
  }
}
END_TEST

/* Same fields in another order, other line ends: the same policy. */
START_TEST(same_policy_written_differently_is_the_same)
{
  struct world w;

  two_addrs(&w,
            fetched("192.0.2.2", MTS_FETCH_OK, 200, "text/plain; charset=utf-8",
                    "version: STSv1\nmax_age: 604800\nmx: "
                    "*.backup.example.net\nmode: enforce\nmx: "
                    "mx1.example.com\n"),
            0);
  world_assess(&w);
  HASNT(w, POLICY_ADDRESSES_DIFFER);
  ck_assert_int_eq(addr_entry(&w, "192.0.2.2")->same_policy, 1);
  world_release(&w);
}
END_TEST

START_TEST(second_address_serves_another_media_type)
{
  struct world w;
  const struct mts_finding *f;

  two_addrs(&w, fetched("192.0.2.2", MTS_FETCH_OK, 200, "text/html", GOOD_BODY),
            1);
  world_assess(&w);
  f = finding_about(&w, MTS_F_POLICY_ADDRESSES_DIFFER, "192.0.2.2");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(f->severity, MTS_SEV_WARNING);
  ck_assert_ptr_nonnull(strstr(f->message, "text/html"));
  /* The good one is shown: no POLICY_CONTENT_TYPE for the domain. */
  HASNT(w, POLICY_CONTENT_TYPE);
  ck_assert_int_eq(w.r.policy.status, MTS_POLICY_VALID);
  ck_assert_str_eq(w.r.policy.content_type, "text/plain");
  ck_assert_int_eq(addr_entry(&w, "192.0.2.2")->status, MTS_POLICY_INVALID);
  ck_assert_int_eq(addr_entry(&w, "192.0.2.2")->same_policy, 1);
  ck_assert_int_eq(w.r.status, MTS_STATUS_WARNING);
  world_release(&w);
}
END_TEST

START_TEST(second_address_serves_an_invalid_policy)
{
  struct world w;
  const struct mts_finding *f;

  two_addrs(&w,
            fetched("192.0.2.2", MTS_FETCH_OK, 200, "text/plain",
                    "version: STSv1\r\nmode: enforce\r\nmx: "
                    "mx1.example.com\r\nmax_age: 604800s\r\n"),
            1);
  world_assess(&w);
  f = finding_about(&w, MTS_F_POLICY_ADDRESSES_DIFFER, "192.0.2.2");
  ck_assert_ptr_nonnull(f);
  ck_assert_ptr_nonnull(strstr(f->message, "POLICY_MAX_AGE_INVALID"));
  HASNT(w, POLICY_MAX_AGE_INVALID); /* the shown policy is fine */
  ck_assert_int_eq(w.r.policy.status, MTS_POLICY_VALID);
  world_release(&w);
}
END_TEST

/* A nearly expired certificate at the address that is not shown. */
START_TEST(certificate_of_every_address_is_judged)
{
  struct world w;
  struct mts_fetch_result *b =
      fetched("192.0.2.2", MTS_FETCH_OK, 200, "text/plain", GOOD_BODY);

  b->cert_not_after = NOW + 3 * 86400LL;
  two_addrs(&w, b, 0);
  world_assess(&w);
  ck_assert_ptr_nonnull(
      finding_about(&w, MTS_F_POLICY_CERT_EXPIRES_SOON, "192.0.2.2"));
  ck_assert_ptr_null(
      finding_about(&w, MTS_F_POLICY_CERT_EXPIRES_SOON, "192.0.2.1"));
  ck_assert_int_eq(w.r.status, MTS_STATUS_WARNING);
  world_release(&w);

  /* Its certificate not read: not judged, so not ok. */
  b = fetched("192.0.2.2", MTS_FETCH_OK, 200, "text/plain", GOOD_BODY);
  b->cert_seen = 0;
  two_addrs(&w, b, 1);
  world_assess(&w);
  ck_assert_ptr_nonnull(
      finding_about(&w, MTS_F_POLICY_CERT_UNKNOWN, "192.0.2.2"));
  ck_assert_int_eq(addr_entry(&w, "192.0.2.1")->selected, 1);
  ck_assert_int_eq(w.r.status, MTS_STATUS_UNKNOWN);
  world_release(&w);
}
END_TEST

/* Every address answers 404: reported once, naming the address shown; the
 * choice is the lowest address, by number, not by text or DNS order. */
START_TEST(same_failure_everywhere_names_the_address)
{
  for (int swap = 0; swap < 2; swap++) {
    struct world w;
    world_init(&w);
    mts_fetch_result_free(&w.f[0]);
    add_addr(w.a, "192.0.2.10");
    add_addr(w.aaaa, "2001:db8::1");
    w.f[0] = fetched("2001:db8::1", MTS_FETCH_OK, 404, "text/html", "x");
    w.f[1] = fetched(swap ? "192.0.2.9" : "192.0.2.10", MTS_FETCH_OK, 404,
                     "text/html", "x");
    w.f[2] = fetched(swap ? "192.0.2.10" : "192.0.2.9", MTS_FETCH_OK, 404,
                     "text/html", "x");
    w.nf = 3;
    world_assess(&w);
    HAS(w, POLICY_HTTP_STATUS);
    HASNT(w, POLICY_ADDRESSES_DIFFER);
    ck_assert_int_eq(addr_entry(&w, "192.0.2.9")->selected, 1);
    for (size_t i = 0; i < w.r.findings.n; i++) {
      if (w.r.findings.v[i].code == MTS_F_POLICY_HTTP_STATUS) {
        ck_assert_ptr_nonnull(strstr(w.r.findings.v[i].message, "192.0.2.9"));
      }
    }
    world_release(&w);
  }
}
END_TEST

/* More addresses than are fetched: the rest are named, not silently
 * skipped. */
START_TEST(addresses_past_the_cap_are_named)
{
  static const char *const a[] = {"192.0.2.1", "192.0.2.2", "192.0.2.3",
                                  "192.0.2.4", "192.0.2.5"};
  struct world w;

  world_init(&w);
  for (size_t i = 1; i < 5; i++) {
    add_addr(w.a, a[i]);
  }
  for (size_t i = 1; i < MTS_MAX_POLICY_ADDRS; i++) {
    w.f[i] = fetched(a[i], MTS_FETCH_OK, 200, "text/plain", GOOD_BODY);
  }
  w.nf = MTS_MAX_POLICY_ADDRS;
  world_assess(&w);
  ck_assert_ptr_nonnull(
      finding_about(&w, MTS_F_POLICY_ADDRESS_NOT_CHECKED, "192.0.2.5"));
  ck_assert_uint_eq(count_code(&w, MTS_F_POLICY_ADDRESS_NOT_CHECKED), 1);
  ck_assert_uint_eq(w.r.policy.n_addrs, MTS_MAX_POLICY_ADDRS);
  ck_assert_int_eq(w.r.status, MTS_STATUS_OK);
  world_release(&w);
}
END_TEST

static Suite *
policy_assess_suite(void)
{
  Suite *s = suite_create("assess_policy");
  TCase *tc = tcase_create("policy");

  tcase_add_test(tc, valid_policy_covers_every_mx);
  tcase_add_test(tc, no_policy_is_not_checked);
  tcase_add_test(tc, host_unresolvable);
  tcase_add_test(tc, nothing_deployed_is_not_checked);
  tcase_add_test(tc, preflight_policy_before_record);
  tcase_add_test(tc, host_lookup_failure);
  tcase_add_loop_test(
      tc, fetch_failure, 0,
      (int)(sizeof(fetch_failures) / sizeof(fetch_failures[0])));
  tcase_add_test(tc, one_address_of_two_fails);
  tcase_add_test(tc, http_status_and_redirect);
  tcase_add_test(tc, wrong_media_type_is_invalid);
  tcase_add_test(tc, mx_not_covered_by_mode);
  tcase_add_test(tc, certificate_expiring_soon);
  tcase_add_test(tc, san_matching);
  tcase_add_test(tc, certificate_name_is_judged_from_the_san);
  tcase_add_test(tc, not_modified_is_a_status_not_a_redirect);
  tcase_add_test(tc, every_failing_address_is_reported);
  tcase_add_test(tc, no_route_is_not_the_servers_fault);
  tcase_add_test(tc, unreachable_is_never_bare);
  tcase_add_test(tc, certificate_not_read_is_not_a_pass);
  tcase_add_test(tc, second_address_serves_404);
  tcase_add_test(tc, second_address_serves_another_policy);
  tcase_add_test(tc, same_policy_written_differently_is_the_same);
  tcase_add_test(tc, second_address_serves_another_media_type);
  tcase_add_test(tc, second_address_serves_an_invalid_policy);
  tcase_add_test(tc, certificate_of_every_address_is_judged);
  tcase_add_test(tc, same_failure_everywhere_names_the_address);
  tcase_add_test(tc, addresses_past_the_cap_are_named);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(policy_assess_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
