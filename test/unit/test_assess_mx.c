/* Unit tests for the MX transport part of mts_assess (issue 12,
 * mx-transport.md R163-R170): MX targets, their addresses and CNAMEs.
 * No network: lookups are built here. */
#include "check/assess.h"

#include <check.h>
#include <stdio.h>
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
#define NOW 1800000000LL

struct world {
  struct mts_dns_result *sts, *rpt, *mx, *pa, *paaaa;
  struct mts_fetch_result *f;
  const char *mode; /* a valid policy in this mode, or NULL: none */
  int smtp;
  struct mts_smtp_result *sr[MAX_T];
  const struct mts_smtp_result *srv[MAX_T][1];
  struct mts_mx_lookup t[MAX_T];
  struct mts_dns_result *a[MAX_T], *aaaa[MAX_T];
  struct mts_dns_result *tlsa[MAX_T]; /* R169, or NULL: not asked */
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
  w->r.checked_at = NOW;
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

/* Host i's first address was probed with this outcome; a healthy
 * certificate for the host unless the test changes it. */
static struct mts_smtp_result *
world_smtp(struct world *w, size_t i, enum mts_smtp_outcome o)
{
  struct mts_smtp_result *f = calloc(1, sizeof(*f));

  ck_assert_ptr_nonnull(f);
  ck_assert_uint_gt(w->a[i]->n_addrs, 0);
  w->smtp = 1;
  f->outcome = o;
  f->address = strdup(w->a[i]->addrs[0]);
  f->starttls = o == MTS_SMTPO_NO_STARTTLS ? 0 : 1;
  f->cert_not_before = f->cert_not_after = -1;
  if (o == MTS_SMTPO_OK) {
    f->tls_version = strdup("TLSv1.3");
    f->tls_version_num = 0x0304;
    f->cipher = strdup("TLS_AES_256_GCM_SHA384");
    f->cert_seen = 1;
    f->cert_subject = strdup("CN=x");
    f->cert_issuer = strdup("CN=ca");
    f->cert_san = calloc(1, sizeof(char *));
    f->cert_san[0] = strdup(w->t[i].name);
    f->n_cert_san = 1;
    f->cert_not_before = NOW - 86400;
    f->cert_not_after = NOW + 90 * 86400LL;
    f->chain_ok = 1;
  } else {
    f->detail = strdup("what went wrong");
  }
  w->sr[i] = f;
  w->srv[i][0] = f;
  w->t[i].smtp = w->srv[i];
  w->t[i].n_smtp = 1;
  return f;
}

static void
world_assess(struct world *w)
{
  struct mts_lookups lk = {.sts = w->sts,
                           .tlsrpt = w->rpt,
                           .mx = w->mx,
                           .mx_targets = w->t,
                           .n_mx_targets = w->n_t,
                           .smtp = w->smtp,
                           .no_policy = w->mode == NULL};
  const struct mts_fetch_result *fv[1];
  char body[512];

  if (w->mode != NULL) {
    size_t n = (size_t)snprintf(body, sizeof(body),
                                "version: STSv1\r\nmode: %s\r\nmax_age: "
                                "604800\r\n",
                                w->mode);
    for (size_t i = 0; i < w->n_t; i++) {
      n += (size_t)snprintf(body + n, sizeof(body) - n, "mx: %s\r\n",
                            w->t[i].name);
    }
    w->pa = dns("mta-sts.example.com", MTS_RR_A, MTS_DNS_NODATA);
    add_addr(w->pa, "192.0.2.1");
    w->paaaa = dns("mta-sts.example.com", MTS_RR_AAAA, MTS_DNS_NODATA);
    w->f = calloc(1, sizeof(*w->f));
    ck_assert_ptr_nonnull(w->f);
    w->f->outcome = MTS_FETCH_OK;
    w->f->address = strdup("192.0.2.1");
    w->f->http_status = 200;
    w->f->content_type = strdup("text/plain");
    w->f->body = strdup(body);
    w->f->body_len = strlen(body);
    w->f->cert_not_after = NOW + 90 * 86400LL;
    /* A real fetch reads the certificate (issue 10: unread is unknown). */
    w->f->cert_seen = 1;
    w->f->cert_san = strdup("DNS:mta-sts.example.com");
    fv[0] = w->f;
    lk.policy_a = w->pa;
    lk.policy_aaaa = w->paaaa;
    lk.fetched = fv;
    lk.n_fetched = 1;
  }
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
    mts_dns_result_free(&w->tlsa[i]);
    mts_smtp_result_free(&w->sr[i]);
  }
  mts_dns_result_free(&w->pa);
  mts_dns_result_free(&w->paaaa);
  mts_fetch_result_free(&w->f);
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

/* R167: one failure, judged under each mode. */
static const struct {
  const char *mode;
  enum mts_severity sev;
  enum mts_status st;
} modes[] = {
    {"enforce", MTS_SEV_ERROR, MTS_STATUS_ERROR},
    {"testing", MTS_SEV_WARNING, MTS_STATUS_WARNING},
    {"none", MTS_SEV_INFO, MTS_STATUS_OK},
    {NULL, MTS_SEV_INFO, MTS_STATUS_OK},
};

static void
one_host(struct world *w, const char *mode)
{
  size_t i;

  world_init(w);
  w->mode = mode;
  i = world_host(w, 10, "mx1.example.com", MTS_DNS_NODATA, MTS_DNS_NODATA);
  add_addr(w->a[i], "192.0.2.25");
}

START_TEST(severity_follows_mode)
{
  struct world w;
  struct mts_smtp_result *f;

  one_host(&w, modes[_i].mode);
  f = world_smtp(&w, 0, MTS_SMTPO_OK);
  f->chain_ok = 0;
  world_assess(&w);
  ck_assert_int_eq(finding(&w.r, MTS_F_MX_CERT_UNTRUSTED)->severity,
                   modes[_i].sev);
  ck_assert_str_eq(finding(&w.r, MTS_F_MX_CERT_UNTRUSTED)->subject,
                   "mx1.example.com");
  ck_assert_int_eq(w.r.status, modes[_i].st);
  ck_assert_int_eq(w.r.mx.hosts[0].addrs[0].smtp->trusted, 0);
  ck_assert_int_eq(w.r.mx.tls_ok, modes[_i].mode != NULL ? 0 : -1);
  world_release(&w);

  one_host(&w, modes[_i].mode);
  world_smtp(&w, 0, MTS_SMTPO_NO_STARTTLS);
  world_assess(&w);
  ck_assert_int_eq(finding(&w.r, MTS_F_MX_STARTTLS_MISSING)->severity,
                   modes[_i].sev);
  ck_assert_int_eq(w.r.mx.hosts[0].addrs[0].smtp->status, MTS_SMTP_FAILED);
  world_release(&w);
}
END_TEST

START_TEST(healthy_and_ready)
{
  struct world w;

  one_host(&w, "enforce");
  world_smtp(&w, 0, MTS_SMTPO_OK);
  world_assess(&w);
  ck_assert_int_eq(w.r.status, MTS_STATUS_OK);
  ck_assert_msg(w.r.findings.n == 0, "unexpected %s",
                w.r.findings.n ? mts_code_name(w.r.findings.v[0].code) : "");
  ck_assert_int_eq(w.r.mx.tls_ok, 1);
  ck_assert_int_eq(w.r.mx.hosts[0].addrs[0].smtp->name_match, 1);
  world_release(&w);

  /* R170: testing + covered + tls_ok: ready for enforce. */
  one_host(&w, "testing");
  world_smtp(&w, 0, MTS_SMTPO_OK);
  world_assess(&w);
  ck_assert_int_eq(finding(&w.r, MTS_F_POLICY_READY_FOR_ENFORCE)->severity,
                   MTS_SEV_INFO);
  ck_assert_int_eq(w.r.status, MTS_STATUS_OK);
  world_release(&w);
}
END_TEST

START_TEST(certificate_rules)
{
  struct world w;
  struct mts_smtp_result *f;

  /* Expired: MX_CERT_EXPIRED only, even with a failed chain. */
  one_host(&w, "enforce");
  f = world_smtp(&w, 0, MTS_SMTPO_OK);
  f->cert_not_after = NOW - 86400;
  f->cert_expired = 1;
  world_assess(&w);
  ck_assert_int_eq(finding(&w.r, MTS_F_MX_CERT_EXPIRED)->severity,
                   MTS_SEV_ERROR);
  ck_assert(!mts_findings_has(&w.r.findings, MTS_F_MX_CERT_UNTRUSTED));
  ck_assert(!mts_findings_has(&w.r.findings, MTS_F_MX_CERT_EXPIRES_SOON));
  world_release(&w);

  /* Expires soon: a warning whatever the mode. */
  one_host(&w, NULL);
  f = world_smtp(&w, 0, MTS_SMTPO_OK);
  f->cert_not_after = NOW + 5 * 86400LL;
  world_assess(&w);
  ck_assert_int_eq(finding(&w.r, MTS_F_MX_CERT_EXPIRES_SOON)->severity,
                   MTS_SEV_WARNING);
  world_release(&w);

  /* Name: wildcard only as the whole left-most label, no CN fallback. */
  one_host(&w, "enforce");
  f = world_smtp(&w, 0, MTS_SMTPO_OK);
  free(f->cert_san[0]);
  f->cert_san[0] = strdup("*.example.com");
  world_assess(&w);
  ck_assert(!mts_findings_has(&w.r.findings, MTS_F_MX_CERT_NAME_MISMATCH));
  world_release(&w);

  one_host(&w, "enforce");
  f = world_smtp(&w, 0, MTS_SMTPO_OK);
  free(f->cert_san[0]);
  f->cert_san[0] = strdup("mx*.example.com");
  world_assess(&w);
  ck_assert_int_eq(finding(&w.r, MTS_F_MX_CERT_NAME_MISMATCH)->severity,
                   MTS_SEV_ERROR);
  ck_assert_int_eq(w.r.mx.hosts[0].addrs[0].smtp->name_match, 0);
  world_release(&w);

  /* TLS 1.0. */
  one_host(&w, "testing");
  f = world_smtp(&w, 0, MTS_SMTPO_OK);
  f->tls_version_num = 0x0301;
  world_assess(&w);
  ck_assert_int_eq(finding(&w.r, MTS_F_MX_TLS_OLD_VERSION)->severity,
                   MTS_SEV_WARNING);
  ck_assert(!mts_findings_has(&w.r.findings, MTS_F_POLICY_READY_FOR_ENFORCE));
  world_release(&w);
}
END_TEST

START_TEST(unreachable_rules)
{
  struct world w;
  size_t i;

  /* R168: nothing answers: one info finding, status unchanged. */
  one_host(&w, "enforce");
  world_smtp(&w, 0, MTS_SMTPO_CONNECT);
  world_assess(&w);
  ck_assert_int_eq(finding(&w.r, MTS_F_MX_SMTP_UNREACHABLE)->severity,
                   MTS_SEV_INFO);
  ck_assert_int_eq(w.r.status, MTS_STATUS_OK);
  ck_assert_int_eq(w.r.mx.tls_ok, -1);
  ck_assert_int_eq(w.r.mx.hosts[0].addrs[0].smtp->status, MTS_SMTP_UNREACHABLE);
  world_release(&w);

  /* One host answers, the other does not: a warning for that one. */
  one_host(&w, "enforce");
  world_smtp(&w, 0, MTS_SMTPO_OK);
  i = world_host(&w, 20, "mx2.example.com", MTS_DNS_NODATA, MTS_DNS_NODATA);
  add_addr(w.a[i], "192.0.2.26");
  world_smtp(&w, i, MTS_SMTPO_CONNECT);
  world_assess(&w);
  ck_assert_int_eq(finding(&w.r, MTS_F_MX_SMTP_UNREACHABLE)->severity,
                   MTS_SEV_WARNING);
  ck_assert_str_eq(finding(&w.r, MTS_F_MX_SMTP_UNREACHABLE)->subject,
                   "mx2.example.com");
  ck_assert_int_eq(w.r.mx.tls_ok, 1);
  world_release(&w);

  /* No route for the family: not-checked, no finding. */
  one_host(&w, "enforce");
  world_smtp(&w, 0, MTS_SMTPO_NO_ROUTE);
  world_assess(&w);
  ck_assert_int_eq(w.r.mx.hosts[0].addrs[0].smtp->status, MTS_SMTP_NOT_CHECKED);
  ck_assert_msg(w.r.findings.n == 0, "unexpected %s",
                w.r.findings.n ? mts_code_name(w.r.findings.v[0].code) : "");
  world_release(&w);
}
END_TEST

/* ---- DANE (R169, R170) ------------------------------------------------ */

/* A TLSA RR of this usage, selector 1, SHA-256 (32 octets). */
static void
add_tlsa(struct mts_dns_result *r, unsigned usage)
{
  uint8_t rd[35] = {(uint8_t)usage, 1, 1, 0x0c, 0x72};

  r->rdata = realloc(r->rdata, (r->n_rdata + 1) * sizeof(*r->rdata));
  ck_assert_ptr_nonnull(r->rdata);
  r->rdata[r->n_rdata].data = malloc(sizeof(rd));
  ck_assert_ptr_nonnull(r->rdata[r->n_rdata].data);
  memcpy(r->rdata[r->n_rdata].data, rd, sizeof(rd));
  r->rdata[r->n_rdata].len = sizeof(rd);
  r->n_rdata++;
  r->status = MTS_DNS_OK;
}

static const struct {
  const char *name;
  const char *mode;
  int mx_ad, tlsa_ad;
  enum mts_dns_status tlsa_st; /* NODATA with usage < 0 = no records */
  int usage;                   /* of the one record, -1 none */
  int probe;                   /* the probe's DANE: -1 none, 0 no match, 1 */
  enum mts_dane_status want;
  int code; /* enum mts_code, or -1: no DANE finding */
  enum mts_severity sev;
  enum mts_status status;
  int ready; /* POLICY_READY_FOR_ENFORCE */
} dane_cases[] = {
    {"match", "testing", 1, 1, MTS_DNS_OK, 3, 1, MTS_DANE_OK, MTS_F_MX_DANE_OK,
     MTS_SEV_INFO, MTS_STATUS_OK, 1},
    /* R169: an error whatever the mode; R170: not ready. */
    {"mismatch_testing", "testing", 1, 1, MTS_DNS_OK, 3, 0, MTS_DANE_MISMATCH,
     MTS_F_MX_DANE_MISMATCH, MTS_SEV_ERROR, MTS_STATUS_ERROR, 0},
    {"mismatch_no_policy", NULL, 1, 1, MTS_DNS_OK, 2, 0, MTS_DANE_MISMATCH,
     MTS_F_MX_DANE_MISMATCH, MTS_SEV_ERROR, MTS_STATUS_ERROR, 0},
    {"pkix_only", "testing", 1, 1, MTS_DNS_OK, 1, -1, MTS_DANE_UNUSABLE,
     MTS_F_MX_DANE_UNUSABLE_TLSA, MTS_SEV_WARNING, MTS_STATUS_WARNING, 1},
    {"tlsa_unsigned", "testing", 1, 0, MTS_DNS_OK, 3, -1, MTS_DANE_INSECURE,
     MTS_F_MX_TLSA_INSECURE, MTS_SEV_WARNING, MTS_STATUS_WARNING, 1},
    {"mx_unsigned", "testing", 0, 1, MTS_DNS_OK, 3, -1, MTS_DANE_INSECURE,
     MTS_F_MX_TLSA_INSECURE, MTS_SEV_WARNING, MTS_STATUS_WARNING, 1},
    {"servfail", "testing", 1, 0, MTS_DNS_SERVFAIL, -1, -1, MTS_DANE_UNKNOWN,
     MTS_F_MX_TLSA_LOOKUP_FAILED, MTS_SEV_ERROR, MTS_STATUS_UNKNOWN, 1},
    {"none", "testing", 1, 1, MTS_DNS_NXDOMAIN, -1, -1, MTS_DANE_NONE, -1,
     MTS_SEV_INFO, MTS_STATUS_OK, 1},
    /* RFC 7672 §2.2.1: under an insecure MX answer no DANE sender asks for
     * TLSA records, so their lookup failing delays nothing. */
    {"servfail_mx_unsigned", "testing", 0, 0, MTS_DNS_SERVFAIL, -1, -1,
     MTS_DANE_NONE, -1, MTS_SEV_INFO, MTS_STATUS_OK, 1},
};

START_TEST(dane_rules)
{
  struct world w;
  struct mts_smtp_result *f;
  const struct mts_dane_view *d;

  one_host(&w, dane_cases[_i].mode);
  w.mx->ad = dane_cases[_i].mx_ad;
  w.tlsa[0] =
      dns("_25._tcp.mx1.example.com", MTS_RR_TLSA, dane_cases[_i].tlsa_st);
  if (dane_cases[_i].usage >= 0) {
    add_tlsa(w.tlsa[0], (unsigned)dane_cases[_i].usage);
  }
  w.tlsa[0]->ad = dane_cases[_i].tlsa_ad;
  w.t[0].tlsa = w.tlsa[0];
  f = world_smtp(&w, 0, MTS_SMTPO_OK);
  if (dane_cases[_i].probe >= 0) {
    f->dane = 1;
    f->dane_ok = dane_cases[_i].probe;
  }
  world_assess(&w);
  d = w.r.mx.hosts[0].dane;
  ck_assert_ptr_nonnull(d);
  ck_assert_str_eq(mts_dane_status_str(d->status),
                   mts_dane_status_str(dane_cases[_i].want));
  ck_assert_int_eq(d->dnssec, dane_cases[_i].tlsa_st == MTS_DNS_OK &&
                                  dane_cases[_i].mx_ad &&
                                  dane_cases[_i].tlsa_ad);
  if (dane_cases[_i].usage >= 0) {
    ck_assert_uint_eq(d->n_tlsa, 1);
    ck_assert_int_eq(strncmp(d->tlsa[0], "3 1 1 0c72", 10) == 0,
                     dane_cases[_i].usage == 3);
  }
  if (dane_cases[_i].code >= 0) {
    const struct mts_finding *x =
        finding(&w.r, (enum mts_code)dane_cases[_i].code);
    ck_assert_int_eq(x->severity, dane_cases[_i].sev);
    ck_assert_str_eq(x->subject, "mx1.example.com");
  }
  ck_assert_int_eq(w.r.status, dane_cases[_i].status);
  ck_assert_int_eq(
      mts_findings_has(&w.r.findings, MTS_F_POLICY_READY_FOR_ENFORCE),
      dane_cases[_i].ready);
  /* The PKIX verdict stays its own fact. */
  ck_assert_int_eq(w.r.mx.hosts[0].addrs[0].smtp->trusted, 1);
  if (dane_cases[_i].probe >= 0) {
    ck_assert_str_eq(w.r.mx.hosts[0].addrs[0].smtp->dane,
                     dane_cases[_i].probe ? "ok" : "mismatch");
  } else {
    ck_assert_ptr_null(w.r.mx.hosts[0].addrs[0].smtp->dane);
  }
  world_release(&w);
}
END_TEST

START_TEST(dane_not_asked_is_null)
{
  struct world w;

  one_host(&w, "enforce");
  world_smtp(&w, 0, MTS_SMTPO_OK);
  world_assess(&w);
  ck_assert_ptr_null(w.r.mx.hosts[0].dane);
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
  tc = tcase_create("smtp");
  tcase_add_loop_test(tc, severity_follows_mode, 0,
                      (int)(sizeof(modes) / sizeof(modes[0])));
  tcase_add_test(tc, healthy_and_ready);
  tcase_add_test(tc, certificate_rules);
  tcase_add_test(tc, unreachable_rules);
  suite_add_tcase(s, tc);
  tc = tcase_create("dane");
  tcase_add_loop_test(tc, dane_rules, 0,
                      (int)(sizeof(dane_cases) / sizeof(dane_cases[0])));
  tcase_add_test(tc, dane_not_asked_is_null);
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
