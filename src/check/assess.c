#include "assess.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts/i18n.h"
#include "mtasts/msg.h"
#include "mtasts/bytes.h"
#include "mtasts/check.h"
#include "mtasts/rules.h"

static char *
concat(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b);
  char *s = malloc(la + lb + 1);

  if (s != NULL) {
    memcpy(s, a, la);
    memcpy(s + la, b, lb + 1);
  }
  return s;
}

static const char *
type_str(int type)
{
  switch (type) {
    case MTS_RR_A:
      return "A";
    case MTS_RR_AAAA:
      return "AAAA";
    case MTS_RR_MX:
      return "MX";
    case MTS_RR_TXT:
      return "TXT";
    case MTS_RR_TLSA:
      return "TLSA";
    default:
      return "?";
  }
}

/* A sentence saying why a lookup failed, for DNS_* and MX_LOOKUP_FAILED:
 * a fragment in both languages (mts_frag), only for findings' messages. */
static void
describe_failure(const struct mts_dns_result *d, char *buf, size_t size)
{
  char rc[16];

  switch (d->status) {
    case MTS_DNS_SERVFAIL:
      if (d->servers_failed > 1 && d->detail != NULL) {
        mts_frag(buf, size, N_("none of the %zu resolvers answered: %s"),
                 d->servers_failed, d->detail);
      } else if (d->rcode >= 0) {
        mts_frag(buf, size, N_("the server answered %s%s%s"),
                 mts_rcode_str(d->rcode, rc, sizeof(rc)), d->detail ? ": " : "",
                 d->detail ? d->detail : "");
      } else {
        mts_frag(buf, size, N_("the lookup failed%s%s"), d->detail ? ": " : "",
                 d->detail ? d->detail : "");
      }
      break;
    case MTS_DNS_TIMEOUT:
      if (d->detail != NULL) {
        mts_frag(buf, size, N_("no answer (%s)"), d->detail);
      } else {
        mts_frag(buf, size, N_("no answer arrived in time"));
      }
      break;
    case MTS_DNS_TRUNCATED:
      mts_frag(
          buf, size,
          N_("the UDP answer was truncated and the retry over TCP failed%s%s"),
          d->detail ? ": " : "", d->detail ? d->detail : "");
      break;
    case MTS_DNS_BADRESP:
      mts_frag(buf, size, N_("the server sent a malformed response%s%s"),
               d->detail ? ": " : "", d->detail ? d->detail : "");
      break;
    case MTS_DNS_CNAME_LOOP:
      mts_frag(buf, size, N_("the CNAME chain loops or is longer than %d"),
               MTS_DNS_MAX_CNAMES);
      break;
    case MTS_DNS_OK:
    case MTS_DNS_NODATA:
    case MTS_DNS_NXDOMAIN:
      snprintf(buf, size, "%s", mts_dns_status_str(d->status));
      break;
  }
}

static enum mts_code
failure_code(enum mts_dns_status st)
{
  switch (st) {
    case MTS_DNS_TIMEOUT:
      return MTS_F_DNS_TIMEOUT;
    case MTS_DNS_TRUNCATED:
      return MTS_F_DNS_TRUNCATED;
    case MTS_DNS_BADRESP:
      return MTS_F_DNS_RESPONSE_INVALID;
    case MTS_DNS_CNAME_LOOP:
      return MTS_F_DNS_CNAME_LOOP;
    default:
      return MTS_F_DNS_SERVFAIL;
  }
}

static enum mts_err
add_lookup_failure(struct mts_result *r, const struct mts_dns_result *d)
{
  char why[1024]; /* room for what a few resolvers each said */

  describe_failure(d, why, sizeof(why));
  return mts_findings_add(
      &r->findings, failure_code(d->status), d->qname, strlen(d->qname),
      "The %s lookup of %s could not be completed: %s. Its record is not "
      "known to be missing; senders keep any policy they cached.",
      type_str(d->type), d->qname, why);
}

/* The CNAME chain as "a -> b -> c", into buf. */
static void
chain_str(const struct mts_dns_result *d, char *buf, size_t size)
{
  size_t o = (size_t)snprintf(buf, size, "%s", d->qname);

  for (size_t i = 0; i < d->n_cnames && o < size; i++) {
    o += (size_t)snprintf(buf + o, size - o, " -> %s", d->cnames[i]);
  }
}

/* Copy the TXT records of a lookup into the report. */
static enum mts_err
copy_txt(struct mts_record_view *v, const struct mts_dns_result *d)
{
  if (d->n_txt == 0) {
    return MTS_OK;
  }
  v->txt = calloc(d->n_txt, sizeof(*v->txt));
  if (v->txt == NULL) {
    return MTS_ENOMEM;
  }
  for (size_t i = 0; i < d->n_txt; i++) {
    v->txt[i].data = malloc(d->txt[i].len + 1);
    if (v->txt[i].data == NULL) {
      return MTS_ENOMEM;
    }
    memcpy(v->txt[i].data, d->txt[i].data, d->txt[i].len);
    v->txt[i].data[d->txt[i].len] = '\0';
    v->txt[i].len = d->txt[i].len;
    v->n_txt = i + 1;
  }
  return MTS_OK;
}

/* Turn the lookup's TXT records into the validator's borrowed view. */
static struct mts_txt *
txt_view(const struct mts_dns_result *d, size_t *n)
{
  struct mts_txt *v;

  *n = d->status == MTS_DNS_OK ? d->n_txt : 0;
  v = calloc(*n ? *n : 1, sizeof(*v));
  for (size_t i = 0; v != NULL && i < *n; i++) {
    v[i].data = d->txt[i].data;
    v[i].len = d->txt[i].len;
  }
  return v;
}

/* The lookup went through a CNAME: info for the policy records. */
static enum mts_err
add_cname_note(struct mts_result *r, const struct mts_dns_result *d,
               enum mts_code code)
{
  char chain[1024];

  if (d->n_cnames == 0 || d->status == MTS_DNS_CNAME_LOOP) {
    return MTS_OK;
  }
  chain_str(d, chain, sizeof(chain));
  /* RFC 8461 §3.1: senders follow the CNAME; the policy host stays
   * mta-sts.<domain> (§8.2). */
  return mts_findings_add(&r->findings, code, chain, strlen(chain),
                          "%s is an alias: %s.", d->qname, chain);
}

/* R17: the answer only came over TCP (any lookup). */
static enum mts_err
add_tcp_note(struct mts_result *r, const struct mts_dns_result *d)
{
  if (!d->tcp_fallback || d->status != MTS_DNS_OK) {
    return MTS_OK;
  }
  return mts_findings_add(&r->findings, MTS_F_DNS_TCP_FALLBACK, d->qname,
                          strlen(d->qname),
                          "The UDP answer for %s %s was truncated; the full "
                          "answer came over TCP.",
                          d->qname, type_str(d->type));
}

/* R22: when a record is missing, a record of its kind at the apex was most
 * likely published at the wrong name. */
static enum mts_err
check_apex(struct mts_result *r, const struct mts_dns_result *apex,
           int (*looks_like)(const struct mts_txt *), enum mts_code code,
           const char *right_name)
{
  if (apex == NULL || apex->status != MTS_DNS_OK) {
    return MTS_OK;
  }
  for (size_t i = 0; i < apex->n_txt; i++) {
    struct mts_txt t = {apex->txt[i].data, apex->txt[i].len};
    if (looks_like(&t)) {
      return mts_findings_add(&r->findings, code, t.data, t.len,
                              "%s holds this record, but senders look for it "
                              "only at %s.",
                              apex->qname, right_name);
    }
  }
  return MTS_OK;
}

/* Run the _mta-sts validator and keep what it selected. */
static enum mts_err
validate_sts(struct mts_result *r, const struct mts_txt *recs, size_t n)
{
  struct mts_sts sts;
  enum mts_err err = mts_sts_check(recs, n, &sts, &r->findings);

  if (err == MTS_OK) {
    r->sts.record.status = sts.status;
    r->sts.id = sts.id;
    sts.id = NULL;
    mts_sts_release(&sts);
  }
  return err;
}

/* Run the _smtp._tls validator and keep its rua list. */
static enum mts_err
validate_tlsrpt(struct mts_result *r, const struct mts_txt *recs, size_t n)
{
  struct mts_tlsrpt rpt;
  enum mts_err err = mts_tlsrpt_check(recs, n, &rpt, &r->findings);

  if (err == MTS_OK) {
    r->tlsrpt.record.status = rpt.status;
    r->tlsrpt.rua = rpt.rua;
    r->tlsrpt.n_rua = rpt.n_rua;
    rpt.rua = NULL;
    rpt.n_rua = 0;
    mts_tlsrpt_release(&rpt);
  }
  return err;
}

/* What differs between the two policy records. */
static const struct record_kind {
  const char *prefix;
  enum mts_code cname_code, apex_code;
  int (*looks_like)(const struct mts_txt *rec);
  enum mts_err (*validate)(struct mts_result *r, const struct mts_txt *recs,
                           size_t n);
} sts_kind = {"_mta-sts.", MTS_F_STS_CNAME, MTS_F_STS_RECORD_AT_APEX,
              mts_sts_looks_like, validate_sts},
  tlsrpt_kind = {"_smtp._tls.", MTS_F_TLSRPT_CNAME, MTS_F_TLSRPT_RECORD_AT_APEX,
                 mts_tlsrpt_looks_like, validate_tlsrpt};

/* One policy record slot: the lookup's outcome, the validator's verdict
 * (which sets v->status), the TXT records, the TTL, and the apex look. */
static enum mts_err
assess_record(const struct record_kind *k, const struct mts_dns_result *d,
              const struct mts_dns_result *apex, struct mts_result *r,
              struct mts_record_view *v)
{
  struct mts_txt *view;
  size_t n;
  enum mts_err err;

  v->name = concat(k->prefix, r->domain);
  if (v->name == NULL) {
    return MTS_ENOMEM;
  }
  if (mts_dns_status_failed(d->status) || d->status == MTS_DNS_CNAME_LOOP) {
    v->status = MTS_REC_UNKNOWN;
    return add_lookup_failure(r, d);
  }
  err = add_cname_note(r, d, k->cname_code);
  if (err == MTS_OK) {
    err = add_tcp_note(r, d);
  }
  if (err != MTS_OK) {
    return err;
  }
  view = txt_view(d, &n);
  if (view == NULL) {
    return MTS_ENOMEM;
  }
  err = k->validate(r, view, n);
  free(view);
  if (err != MTS_OK) {
    return err;
  }
  if (d->status == MTS_DNS_OK) {
    v->ttl = d->ttl;
  }
  err = copy_txt(v, d);
  if (err == MTS_OK && v->status == MTS_REC_MISSING) {
    err = check_apex(r, apex, k->looks_like, k->apex_code, v->name);
  }
  return err;
}

static int
cmp_host(const void *a, const void *b)
{
  const struct mts_mx_host *x = a, *y = b;

  if (x->preference != y->preference) {
    return x->preference < y->preference ? -1 : 1;
  }
  return strcmp(x->name, y->name);
}

static enum mts_err
assess_mx(const struct mts_lookups *lk, struct mts_result *r)
{
  const struct mts_dns_result *d = lk->mx;
  enum mts_err err = MTS_OK;
  char why[256];

  switch (d->status) {
    case MTS_DNS_NXDOMAIN:
      /* R12: the domain itself does not exist. */
      return mts_findings_add(
          &r->findings, MTS_F_DOMAIN_NXDOMAIN, r->domain, strlen(r->domain),
          "%s does not exist in DNS (NXDOMAIN).",
          d->n_cnames ? d->cnames[d->n_cnames - 1] : r->domain);
    case MTS_DNS_NODATA:
      /* R107, A11: mail goes to the implicit MX; coverage stays null. */
      return mts_findings_add(&r->findings, MTS_F_MX_RECORDS_MISSING, r->domain,
                              strlen(r->domain), "%s has no MX records.",
                              r->domain);
    case MTS_DNS_CNAME_LOOP:
      /* R14: a loop is a configuration error on any lookup. */
      err = add_lookup_failure(r, d);
      if (err != MTS_OK) {
        return err;
      }
      __attribute__((fallthrough)); /* and the MX hosts are not known */
    case MTS_DNS_SERVFAIL:
    case MTS_DNS_TIMEOUT:
    case MTS_DNS_TRUNCATED:
    case MTS_DNS_BADRESP:
      describe_failure(d, why, sizeof(why));
      return mts_findings_add(&r->findings, MTS_F_MX_LOOKUP_FAILED, r->domain,
                              strlen(r->domain),
                              "The MX lookup of %s could not be completed: "
                              "%s.",
                              r->domain, why);
    case MTS_DNS_OK:
      break;
  }
  err = add_tcp_note(r, d);
  if (err != MTS_OK) {
    return err;
  }

  r->mx.hosts = calloc(d->n_mx ? d->n_mx : 1, sizeof(*r->mx.hosts));
  if (r->mx.hosts == NULL) {
    return MTS_ENOMEM;
  }
  for (size_t i = 0; i < d->n_mx; i++) {
    struct mts_mx_host *h = &r->mx.hosts[i];
    h->name = strdup(d->mx[i].host);
    if (h->name == NULL) {
      return MTS_ENOMEM;
    }
    h->preference = d->mx[i].preference;
    h->covered = -1;
    r->mx.n_hosts = i + 1;
  }
  qsort(r->mx.hosts, r->mx.n_hosts, sizeof(*r->mx.hosts), cmp_host);

  for (size_t i = 0; i < r->mx.n_hosts && err == MTS_OK; i++) {
    const struct mts_mx_host *h = &r->mx.hosts[i];
    if (h->name[0] == '\0') {
      /* RFC 7505 §3: "MX 0 ." says the domain accepts no mail. */
      /* RFC 7505 §3: "MX 0 ." as the only MX. */
      if (r->mx.n_hosts > 1) {
        err = mts_findings_add(&r->findings, MTS_F_MX_NULL, ".", 1,
                               "%s publishes a null MX (target \".\") beside "
                               "other MX records: a null MX must be the only "
                               "one (RFC 7505 §3).",
                               r->domain);
      } else if (h->preference != 0) {
        err = mts_findings_add(&r->findings, MTS_F_MX_NULL, ".", 1,
                               "%s publishes a null MX (target \".\") with "
                               "preference %u: it accepts no mail (RFC 7505 "
                               "writes it with preference 0).",
                               r->domain, h->preference);
      } else {
        err = mts_findings_add(&r->findings, MTS_F_MX_NULL, ".", 1,
                               "%s publishes a null MX: it accepts no mail.",
                               r->domain);
      }
    } else if (mts_domain_is_ip_literal(h->name)) {
      err = mts_findings_add(&r->findings, MTS_F_MX_TARGET_IP_LITERAL, h->name,
                             strlen(h->name),
                             "The MX target %s (preference %u) is an IP "
                             "address, not a host name.",
                             h->name, h->preference);
    }
  }
  return err;
}

/* ---- MX targets (issue 12, mx-transport.md R163) ----------------------- */

static const struct mts_mx_lookup *
find_target(const struct mts_lookups *lk, const char *name)
{
  for (size_t i = 0; i < lk->n_mx_targets; i++) {
    if (strcmp(lk->mx_targets[i].name, name) == 0) {
      return &lk->mx_targets[i];
    }
  }
  return NULL;
}

static int
host_usable(const struct mts_mx_host *h)
{
  return h->name[0] != '\0' && !mts_domain_is_ip_literal(h->name);
}

/* The addresses of one host: A then AAAA, as a sender tries them. */
static enum mts_err
copy_addrs(struct mts_mx_host *h, const struct mts_dns_result *const fam[2])
{
  size_t n = 0;

  for (int k = 0; k < 2; k++) {
    n += fam[k]->status == MTS_DNS_OK ? fam[k]->n_addrs : 0;
  }
  h->addrs = calloc(n ? n : 1, sizeof(*h->addrs));
  if (h->addrs == NULL) {
    return MTS_ENOMEM;
  }
  for (int k = 0; k < 2; k++) {
    for (size_t i = 0; fam[k]->status == MTS_DNS_OK && i < fam[k]->n_addrs;
         i++) {
      h->addrs[h->n_addrs].ip = strdup(fam[k]->addrs[i]);
      if (h->addrs[h->n_addrs].ip == NULL) {
        return MTS_ENOMEM;
      }
      h->n_addrs++;
    }
  }
  return MTS_OK;
}

/* R163: every MX host's A and AAAA, its CNAME, and whether it resolves. */
static enum mts_err
assess_targets(const struct mts_lookups *lk, struct mts_result *r)
{
  size_t usable = 0;
  enum mts_err err = MTS_OK;

  for (size_t i = 0; i < r->mx.n_hosts; i++) {
    usable += host_usable(&r->mx.hosts[i]) ? 1u : 0u;
  }
  for (size_t i = 0; i < r->mx.n_hosts && err == MTS_OK; i++) {
    struct mts_mx_host *h = &r->mx.hosts[i];
    const struct mts_mx_lookup *t =
        host_usable(h) ? find_target(lk, h->name) : NULL;
    const struct mts_dns_result *fam[2];
    int failed = 0, absent = 0;

    if (t == NULL || t->a == NULL || t->aaaa == NULL) {
      continue; /* not asked: addresses stay null */
    }
    fam[0] = t->a;
    fam[1] = t->aaaa;
    for (int k = 0; k < 2 && err == MTS_OK; k++) {
      const struct mts_dns_result *d = fam[k];
      if (mts_dns_status_failed(d->status) || d->status == MTS_DNS_CNAME_LOOP) {
        failed++;
        err = add_lookup_failure(r, d);
      } else if (d->status != MTS_DNS_OK || d->n_addrs == 0) {
        absent++;
      }
    }
    if (err != MTS_OK) {
      return err;
    }
    for (int k = 0; k < 2 && h->cname == NULL; k++) {
      const struct mts_dns_result *d = fam[k];
      if (d->n_cnames > 0 && d->status != MTS_DNS_CNAME_LOOP) {
        char chain[1024];
        h->cname = strdup(d->cnames[d->n_cnames - 1]);
        if (h->cname == NULL) {
          return MTS_ENOMEM;
        }
        /* RFC 2181 §10.3; R110: coverage and the certificate use the MX
         * RDATA name, not the CNAME target. */
        chain_str(d, chain, sizeof(chain));
        err = mts_findings_add(&r->findings, MTS_F_MX_TARGET_CNAME, h->name,
                               strlen(h->name),
                               "The MX host %s (preference %u) is an alias "
                               "(%s): an MX target must be a host name, not "
                               "a CNAME.",
                               h->name, h->preference, chain);
      }
    }
    if (err != MTS_OK || failed == 2) {
      continue; /* nothing is known of its addresses */
    }
    h->addrs_known = 1;
    err = copy_addrs(h, fam);
    if (err == MTS_OK && absent == 2) {
      /* R163: an error when no other host can take the mail. */
      err = mts_findings_add_sev(
          &r->findings, MTS_F_MX_TARGET_UNRESOLVABLE,
          usable == 1 ? MTS_SEV_ERROR : MTS_SEV_WARNING, h->name,
          strlen(h->name),
          usable == 1
              ? N_("The MX host %s (preference %u) has no A or AAAA record "
                   "(%s): senders cannot deliver to it, and it is the only "
                   "MX host.")
              : N_("The MX host %s (preference %u) has no A or AAAA record "
                   "(%s): senders cannot deliver to it."),
          h->name, h->preference, mts_dns_status_str(fam[0]->status));
    }
  }
  return err;
}

/* ---- the policy (rfc-rules R4, R46-R63, R71-R95, R113-R115) ------------ */

/* The code for a failed fetch, and the RFC 8460 result type a sender would
 * report for it (R7, RFC 8460 §4.3.2.2). */
static enum mts_code
fetch_code(enum mts_fetch_outcome o, const char **result_type)
{
  *result_type = "sts-policy-fetch-error";
  switch (o) {
    case MTS_FETCH_CONNECT:
    case MTS_FETCH_FAILED:
    case MTS_FETCH_NO_ROUTE:
    case MTS_FETCH_OK:
      return MTS_F_POLICY_CONNECT_FAILED;
    case MTS_FETCH_TLS:
      return MTS_F_POLICY_TLS_FAILED;
    case MTS_FETCH_CERT_UNTRUSTED:
      *result_type = "sts-webpki-invalid";
      return MTS_F_POLICY_CERT_UNTRUSTED;
    case MTS_FETCH_CERT_EXPIRED:
      *result_type = "sts-webpki-invalid";
      return MTS_F_POLICY_CERT_EXPIRED;
    case MTS_FETCH_CERT_NAME:
      *result_type = "sts-webpki-invalid";
      return MTS_F_POLICY_CERT_NAME_MISMATCH;
    case MTS_FETCH_TIMEOUT:
      return MTS_F_POLICY_FETCH_TIMEOUT;
    case MTS_FETCH_TOO_LARGE:
      return MTS_F_POLICY_TOO_LARGE;
  }
  return MTS_F_POLICY_CONNECT_FAILED;
}

/* How a fetch ended once the certificate rule is judged: the fetcher
 * reports the certificate's subjectAltName, and RFC 8461 §3.3 accepts
 * only a DNS-ID matching the policy host (OpenSSL's host check falls
 * back to the subject CN; senders following RFC 6125 do not). A response whose
 * certificate details were not read stays MTS_FETCH_OK with *cert_checked
 * 0: not judged is not passed (POLICY_CERT_UNKNOWN). */
static enum mts_fetch_outcome
fetch_outcome(const struct mts_fetch_result *f, const char *host,
              const char **detail, int *cert_checked)
{
  *detail = f->detail;
  *cert_checked = 0;
  if (f->outcome != MTS_FETCH_OK || !f->cert_seen) {
    return f->outcome;
  }
  *cert_checked = 1;
  if (f->cert_san == NULL) {
    *detail = N_("the certificate has no subjectAltName; its subject CN "
                 "does not count");
    return MTS_FETCH_CERT_NAME;
  }
  if (!mts_name_san_match(f->cert_san, host)) {
    *detail = N_("no subjectAltName of the certificate names the policy "
                 "host");
    return MTS_FETCH_CERT_NAME;
  }
  return MTS_FETCH_OK;
}

/* The JSON token of an outcome (docs/json.md, policy.addresses). */
static const char *
outcome_token(enum mts_fetch_outcome o)
{
  switch (o) {
    case MTS_FETCH_OK:
      return "ok";
    case MTS_FETCH_CONNECT:
      return "connect-failed";
    case MTS_FETCH_TLS:
      return "tls-failed";
    case MTS_FETCH_CERT_UNTRUSTED:
      return "cert-untrusted";
    case MTS_FETCH_CERT_EXPIRED:
      return "cert-expired";
    case MTS_FETCH_CERT_NAME:
      return "cert-name-mismatch";
    case MTS_FETCH_TIMEOUT:
      return "timeout";
    case MTS_FETCH_TOO_LARGE:
      return "too-large";
    case MTS_FETCH_FAILED:
      return "failed";
    case MTS_FETCH_NO_ROUTE:
      return "no-route";
  }
  return "failed";
}

static enum mts_err
add_fetch_failure(struct mts_result *r, const struct mts_fetch_result *f,
                  enum mts_fetch_outcome outcome, const char *detail,
                  const char *url)
{
  const char *rt;
  enum mts_code code = fetch_code(outcome, &rt);
  char how[512], why[1024];

  return mts_findings_add(
      &r->findings, code, f->address, f->address ? strlen(f->address) : 0,
      "Fetching %s from %s failed: %s%s%s (senders report %s).", url,
      f->address,
      mts_frag_str(how, sizeof(how), mts_fetch_outcome_str(outcome)),
      detail ? ": " : "", detail ? mts_frag_str(why, sizeof(why), detail) : "",
      rt);
}

static char *
strdup_null(const char *s)
{
  return s != NULL ? strdup(s) : NULL;
}

/* R113-R115: every usable MX host against the patterns. */
static enum mts_err
assess_coverage(const struct mts_policy *pol, struct mts_result *r)
{
  enum mts_severity sev =
      pol->mode == MTS_MODE_ENFORCE ? MTS_SEV_ERROR : MTS_SEV_WARNING;
  enum mts_err err = MTS_OK;
  int all = 1, usable = 0;

  for (size_t i = 0; i < r->mx.n_hosts && err == MTS_OK; i++) {
    struct mts_mx_host *h = &r->mx.hosts[i];
    if (h->name[0] == '\0') {
      continue; /* the null MX: nothing to match */
    }
    usable = 1;
    h->covered = 0;
    for (size_t k = 0; k < pol->n_mx && !h->covered; k++) {
      if (mts_name_match(pol->mx[k], h->name)) {
        h->covered = 1;
        h->matched_by = strdup(pol->mx[k]);
        if (h->matched_by == NULL) {
          return MTS_ENOMEM;
        }
      }
    }
    if (!h->covered) {
      all = 0;
      err = mts_findings_add_sev(
          &r->findings, MTS_F_MX_NOT_COVERED, sev, h->name, strlen(h->name),
          /* Whole sentences, so that a translation need not fit in a
           * fragment (po/ja.po); R203: the exact line to add. */
          pol->mode == MTS_MODE_ENFORCE
              ? N_("The MX host %s (preference %u) matches no mx: pattern "
                   "of the policy: senders refuse to deliver mail to it. "
                   "Add the line \"mx: %s\" (its exact name, not a wider "
                   "wildcard).")
              : N_("The MX host %s (preference %u) matches no mx: pattern "
                   "of the policy: senders deliver to it but report a "
                   "failure (mode testing). Add the line \"mx: %s\" (its "
                   "exact name, not a wider wildcard)."),
          h->name, h->preference, h->name);
    }
  }
  if (!usable) {
    return err;
  }
  r->mx.covered = all;
  for (size_t k = 0; k < pol->n_mx && err == MTS_OK; k++) {
    int used = 0;
    for (size_t i = 0; i < r->mx.n_hosts && !used; i++) {
      used = r->mx.hosts[i].name[0] != '\0' &&
             mts_name_match(pol->mx[k], r->mx.hosts[i].name);
    }
    if (!used) {
      err = mts_findings_add(&r->findings, MTS_F_POLICY_MX_UNUSED, pol->mx[k],
                             strlen(pol->mx[k]),
                             "The pattern mx: %s matches none of the "
                             "domain's MX hosts.",
                             pol->mx[k]);
    }
  }
  return err;
}

/* R95, RFC 8461 §10.4: "*.<policy domain>" or broader lets any host of the
 * zone with a certificate pass MX validation. The parser cannot tell (it
 * does not know the domain) beyond single-label suffixes like "*.com". */
static enum mts_err
check_broad_wildcards(char *const *mx, size_t n, struct mts_result *r)
{
  size_t dlen = strlen(r->domain);

  for (size_t k = 0; k < n; k++) {
    const char *suffix;
    size_t slen;
    int already = 0;

    if (strncmp(mx[k], "*.", 2) != 0) {
      continue;
    }
    suffix = mx[k] + 2;
    slen = strlen(suffix);
    if (!(slen == dlen && strcmp(suffix, r->domain) == 0) &&
        !(slen < dlen && r->domain[dlen - slen - 1] == '.' &&
          strcmp(r->domain + dlen - slen, suffix) == 0)) {
      continue;
    }
    for (size_t i = 0; i < r->findings.n && !already; i++) {
      const struct mts_finding *f = &r->findings.v[i];
      already = f->code == MTS_F_POLICY_MX_WILDCARD_BROAD &&
                f->subject != NULL && strstr(f->subject, mx[k]) != NULL;
    }
    if (!already) {
      enum mts_err err = mts_findings_add(
          &r->findings, MTS_F_POLICY_MX_WILDCARD_BROAD, mx[k], strlen(mx[k]),
          "The pattern mx: %s covers every host of %s and its subdomains: "
          "any of them with a certificate passes MX validation.",
          mx[k], suffix);
      if (err != MTS_OK) {
        return err;
      }
    }
  }
  return MTS_OK;
}

/* The body arrived with 200: media type, body, then MX coverage. */
static enum mts_err
assess_body(const struct mts_fetch_result *f, struct mts_result *r)
{
  struct mts_policy pol;
  enum mts_err err;
  int ct;

  ct = mts_policy_check_content_type(f->content_type, &r->findings);
  if (ct < 0) {
    return MTS_ENOMEM;
  }
  err = mts_policy_parse(f->body, f->body_len, &pol, &r->findings);
  if (err != MTS_OK) {
    return err;
  }
  r->policy.status =
      ct == 1 && pol.valid ? MTS_POLICY_VALID : MTS_POLICY_INVALID;
  r->policy.mode = strdup_null(pol.mode_str);
  r->policy.max_age = pol.max_age;
  r->policy.mx = pol.mx;
  r->policy.n_mx = pol.n_mx;
  if ((pol.mode_str != NULL && r->policy.mode == NULL)) {
    err = MTS_ENOMEM;
  }
  if (err == MTS_OK) {
    err = check_broad_wildcards(pol.mx, pol.n_mx, r);
  }
  /* R5: coverage only for a valid policy in enforce or testing. */
  if (err == MTS_OK && r->policy.status == MTS_POLICY_VALID &&
      (pol.mode == MTS_MODE_ENFORCE || pol.mode == MTS_MODE_TESTING)) {
    err = assess_coverage(&pol, r);
  }
  pol.mx = NULL; /* moved to r->policy */
  pol.n_mx = 0;
  mts_policy_release(&pol);
  return err;
}

/* R58: a redirect; a 304 or a 3xx without Location is just a status. */
static int
is_redirect(const struct mts_fetch_result *f)
{
  return f->location != NULL ||
         (f->http_status >= 301 && f->http_status <= 308 &&
          f->http_status != 304 && f->http_status != 305 &&
          f->http_status != 306);
}

/* What one address of the policy host served, judged on its own. Every
 * address that answered is judged: a sender may reach any of them. */
struct addr_view {
  const struct mts_fetch_result *f;
  enum mts_fetch_outcome outcome; /* after the SAN rule */
  const char *detail;
  int cert_checked;
  int parsed; /* a 200 body was parsed: ct_ok, hash, mode... are set */
  int ct_ok;
  enum mts_policy_status status; /* what this address alone would give */
  uint64_t hash;                 /* canonical fields (mts_state_policy_hash) */
  char *mode;                    /* as written, or NULL */
  long max_age;
  size_t n_mx;
  enum mts_code problem; /* its body's first error, or MTS_F__COUNT */
  int rank;              /* lower is better; RANK_NONE: no response */
};

#define RANK_NONE 100

static void
addr_view_release(struct addr_view *v)
{
  free(v->mode);
  v->mode = NULL;
}

static enum mts_err
judge_addr(struct addr_view *v, const struct mts_fetch_result *f,
           const char *host)
{
  struct mts_findings scratch = {NULL, 0, 0};
  struct mts_policy pol;
  enum mts_err err;
  int ct;

  memset(v, 0, sizeof(*v));
  v->f = f;
  v->problem = MTS_F__COUNT;
  v->max_age = -1;
  v->rank = RANK_NONE;
  v->outcome = fetch_outcome(f, host, &v->detail, &v->cert_checked);
  v->status = v->outcome == MTS_FETCH_NO_ROUTE ? MTS_POLICY_NOT_CHECKED
                                               : MTS_POLICY_UNREACHABLE;
  if (v->outcome != MTS_FETCH_OK) {
    return MTS_OK;
  }
  /* A certificate not judged ranks below every judged one. */
  v->rank = v->cert_checked ? 0 : 3;
  if (is_redirect(f) || f->http_status != 200) {
    v->rank += 2;
    return MTS_OK;
  }
  ct = mts_policy_check_content_type(f->content_type, &scratch);
  err = ct < 0 ? MTS_ENOMEM
               : mts_policy_parse(f->body, f->body_len, &pol, &scratch);
  if (err != MTS_OK) {
    mts_findings_release(&scratch);
    return err;
  }
  v->parsed = 1;
  v->ct_ok = ct;
  v->status = ct == 1 && pol.valid ? MTS_POLICY_VALID : MTS_POLICY_INVALID;
  v->rank += v->status == MTS_POLICY_VALID ? 0 : 1;
  v->max_age = pol.max_age;
  v->n_mx = pol.n_mx;
  v->mode = strdup_null(pol.mode_str);
  err = pol.mode_str != NULL && v->mode == NULL
            ? MTS_ENOMEM
            : mts_state_policy_hash(pol.mode_str, pol.max_age, pol.mx, pol.n_mx,
                                    &v->hash);
  for (size_t i = 0; i < scratch.n && v->problem == MTS_F__COUNT; i++) {
    /* The media type is compared on its own (compare_addr). */
    if (scratch.v[i].severity == MTS_SEV_ERROR &&
        scratch.v[i].code != MTS_F_POLICY_CONTENT_TYPE) {
      v->problem = scratch.v[i].code;
    }
  }
  mts_policy_release(&pol);
  mts_findings_release(&scratch);
  return err;
}

/* Address order, for a choice that does not depend on the order of the
 * DNS answer: IPv4 before IPv6, then numerically. */
static int
addr_cmp(const char *a, const char *b)
{
  unsigned char x[16], y[16];
  int va = strchr(a, ':') != NULL, vb = strchr(b, ':') != NULL;

  if (va != vb) {
    return va - vb;
  }
  if (inet_pton(va ? AF_INET6 : AF_INET, a, x) == 1 &&
      inet_pton(vb ? AF_INET6 : AF_INET, b, y) == 1) {
    return memcmp(x, y, va ? 16 : 4);
  }
  return strcmp(a, b);
}

/* The address whose response the policy fields show: the best answer
 * (a judged certificate, then 200, then a valid policy), the lowest
 * address among equals. \return its index, or n if none answered. */
static size_t
select_addr(const struct addr_view *v, size_t n)
{
  size_t best = n;

  for (size_t i = 0; i < n; i++) {
    if (v[i].f == NULL || v[i].rank == RANK_NONE) {
      continue;
    }
    if (best == n || v[i].rank < v[best].rank ||
        (v[i].rank == v[best].rank &&
         addr_cmp(v[i].f->address, v[best].f->address) < 0)) {
      best = i;
    }
  }
  return best;
}

/* The media type of a Content-Type value, for comparison: up to ';',
 * without white space around it. */
static void
media_type(const char *ct, const char **p, size_t *n)
{
  const char *e;

  if (ct == NULL) {
    *p = "";
    *n = 0;
    return;
  }
  while (is_wsp(*ct)) {
    ct++;
  }
  e = strchr(ct, ';');
  e = e != NULL ? e : ct + strlen(ct);
  while (e > ct && is_wsp(e[-1])) {
    e--;
  }
  *p = ct;
  *n = (size_t)(e - ct);
}

static int
same_media_type(const char *a, const char *b)
{
  const char *pa, *pb;
  size_t na, nb;

  if ((a == NULL) != (b == NULL)) {
    return 0;
  }
  media_type(a, &pa, &na);
  media_type(b, &pb, &nb);
  return na == nb && mem_eq_nocase(pa, pb, na);
}

/* A response in a few words: "HTTP 404", "a redirect (HTTP 301) to U". */
static void
describe_response(const struct mts_fetch_result *f, char *buf, size_t size)
{
  if (is_redirect(f)) {
    snprintf(buf, size, "a redirect (HTTP %ld)%s%s", f->http_status,
             f->location ? " to " : "", f->location ? f->location : "");
  } else {
    snprintf(buf, size, "HTTP %ld", f->http_status);
  }
}

/* A policy's canonical fields in a few words. */
static void
describe_policy(const struct addr_view *v, char *buf, size_t size)
{
  char age[24];

  snprintf(age, sizeof(age), "%ld", v->max_age);
  snprintf(buf, size, "mode %s, max_age %s, %zu mx line%s",
           v->mode ? v->mode : "(none)", v->max_age >= 0 ? age : "(invalid)",
           v->n_mx, v->n_mx == 1 ? "" : "s");
}

/* Append the text to buf, after "; " unless buf is empty. */
static void
append(char *buf, size_t size, const char *text)
{
  size_t o = strlen(buf);

  /* Truncation is wanted here: a long list is cut, never overflows. */
  if (o + 1 < size &&
      snprintf(buf + o, size - o, "%s%s", o ? "; " : "", text) < 0) {
    buf[o] = '\0';
  }
}

/* Issue 10: an address that answers, but not as the selected one does:
 * another status, media type or policy. \p s is the selected address. */
static enum mts_err
compare_addr(struct mts_result *r, const struct addr_view *v,
             const struct addr_view *s)
{
  enum mts_severity sev = MTS_SEV_WARNING;
  char what[1024] = "", a[512], b[512], part[1200];

  if (v->outcome != MTS_FETCH_OK) {
    return MTS_OK; /* its failure has its own finding */
  }
  if (v->f->http_status != s->f->http_status ||
      is_redirect(v->f) != is_redirect(s->f) ||
      (v->f->location != NULL && s->f->location != NULL &&
       strcmp(v->f->location, s->f->location) != 0)) {
    describe_response(v->f, a, sizeof(a));
    describe_response(s->f, b, sizeof(b));
    snprintf(part, sizeof(part), "it answers %s, not %s", a, b);
    append(what, sizeof(what), part);
  } else if (v->parsed && s->parsed) {
    if (v->ct_ok != s->ct_ok ||
        !same_media_type(v->f->content_type, s->f->content_type)) {
      snprintf(part, sizeof(part), "its Content-Type is %s, not %s",
               v->f->content_type ? v->f->content_type : "missing",
               s->f->content_type ? s->f->content_type : "missing");
      append(what, sizeof(what), part);
    }
    if (v->hash != s->hash) {
      describe_policy(v, a, sizeof(a));
      describe_policy(s, b, sizeof(b));
      snprintf(part, sizeof(part), "it serves another policy (%s; not %s)", a,
               b);
      append(what, sizeof(what), part);
      if (v->status == MTS_POLICY_VALID && s->status == MTS_POLICY_VALID) {
        /* Senders cache different policies under the same id. */
        sev = MTS_SEV_ERROR;
      }
    }
    if (v->status != s->status && v->problem != MTS_F__COUNT) {
      snprintf(part, sizeof(part), "its policy is %s (%s)",
               mts_policy_status_str(v->status), mts_code_name(v->problem));
      append(what, sizeof(what), part);
    } else if (v->status != s->status && what[0] == '\0') {
      snprintf(part, sizeof(part), "its policy is %s, not %s",
               mts_policy_status_str(v->status),
               mts_policy_status_str(s->status));
      append(what, sizeof(what), part);
    }
  }
  if (what[0] == '\0') {
    return MTS_OK;
  }
  return mts_findings_add_sev(
      &r->findings, MTS_F_POLICY_ADDRESSES_DIFFER, sev, v->f->address,
      strlen(v->f->address),
      "The policy host's address %s does not answer as %s does: %s. "
      "Senders pick any address, so what they get depends on the one they "
      "reach.",
      v->f->address, s->f->address, what);
}

/* The certificate of every address that answered: not read (R56 not
 * judged) or about to expire. */
static enum mts_err
check_addr_cert(struct mts_result *r, const struct addr_view *v,
                const char *host, long long now)
{
  const struct mts_fetch_result *f = v->f;

  if (v->outcome != MTS_FETCH_OK) {
    return MTS_OK;
  }
  if (!v->cert_checked) {
    /* Lookup-failure class: the status becomes unknown, never ok. */
    enum mts_err err = mts_findings_add(
        &r->findings, MTS_F_POLICY_CERT_UNKNOWN, f->address, strlen(f->address),
        "The details of the certificate that %s presented could not be "
        "read: whether a subjectAltName names %s (RFC 8461 §3.3) is not "
        "known.",
        f->address, host);
    if (err != MTS_OK) {
      return err;
    }
  }
  if (f->cert_not_after >= 0 && f->cert_not_after - now < 14 * 86400) {
    return mts_findings_add(&r->findings, MTS_F_POLICY_CERT_EXPIRES_SOON,
                            f->address, strlen(f->address),
                            "The certificate that %s presents for the policy "
                            "host expires in %lld days.",
                            f->address, (f->cert_not_after - now) / 86400);
  }
  return MTS_OK;
}

/* policy.addresses: one entry per address fetched from. */
static enum mts_err
record_addrs(struct mts_result *r, const struct addr_view *v, size_t n,
             size_t sel)
{
  r->policy.addrs = calloc(n ? n : 1, sizeof(*r->policy.addrs));
  if (r->policy.addrs == NULL) {
    return MTS_ENOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    struct mts_policy_addr *a = &r->policy.addrs[r->policy.n_addrs];
    const struct mts_fetch_result *f = v[i].f;
    if (f == NULL) {
      continue;
    }
    a->address = strdup(f->address);
    if (a->address == NULL) {
      return MTS_ENOMEM;
    }
    r->policy.n_addrs++;
    a->outcome = outcome_token(v[i].outcome);
    a->selected = i == sel;
    a->status = v[i].status;
    a->cert_checked = v[i].cert_checked;
    a->same_policy = -1;
    a->http_status = -1;
    a->cert_not_after = -1;
    if (v[i].outcome != MTS_FETCH_OK) {
      continue;
    }
    a->http_status = (int)f->http_status;
    a->cert_not_after = f->cert_not_after;
    a->content_type = strdup_null(f->content_type);
    if (f->content_type != NULL && a->content_type == NULL) {
      return MTS_ENOMEM;
    }
    if (sel < n && v[i].parsed && v[sel].parsed) {
      a->same_policy = v[i].hash == v[sel].hash;
    }
  }
  return MTS_OK;
}

/* The addresses past MTS_MAX_POLICY_ADDRS are not fetched: say so rather
 * than judge the host from some of its addresses silently. */
static enum mts_err
note_unfetched(const struct mts_lookups *lk, struct mts_result *r,
               const char *host)
{
  const struct mts_dns_result *fam[2] = {lk->policy_a, lk->policy_aaaa};
  enum mts_err err = MTS_OK;

  if (lk->n_fetched < MTS_MAX_POLICY_ADDRS) {
    return MTS_OK;
  }
  for (int k = 0; k < 2; k++) {
    for (size_t i = 0;
         fam[k]->status == MTS_DNS_OK && i < fam[k]->n_addrs && err == MTS_OK;
         i++) {
      const char *a = fam[k]->addrs[i];
      int fetched = 0;
      for (size_t j = 0; j < lk->n_fetched && !fetched; j++) {
        fetched = lk->fetched[j] != NULL && lk->fetched[j]->address != NULL &&
                  strcmp(lk->fetched[j]->address, a) == 0;
      }
      if (!fetched) {
        err = mts_findings_add(&r->findings, MTS_F_POLICY_ADDRESS_NOT_CHECKED,
                               a, strlen(a),
                               "%s was not checked: the policy is fetched "
                               "from at most %d addresses of %s.",
                               a, MTS_MAX_POLICY_ADDRS, host);
      }
    }
  }
  return err;
}

static enum mts_err
assess_fetches(const struct mts_lookups *lk, struct mts_result *r,
               const char *host, long long now)
{
  struct addr_view v[MTS_MAX_POLICY_ADDRS];
  size_t n = lk->n_fetched < MTS_MAX_POLICY_ADDRS ? lk->n_fetched
                                                  : MTS_MAX_POLICY_ADDRS;
  size_t sel, n_answered = 0;
  const struct mts_fetch_result *ok = NULL;
  enum mts_err err = MTS_OK;

  memset(v, 0, sizeof(v));
  for (size_t i = 0; i < n && err == MTS_OK; i++) {
    if (lk->fetched[i] != NULL) {
      err = judge_addr(&v[i], lk->fetched[i], host);
      n_answered += v[i].outcome == MTS_FETCH_OK;
    } else {
      v[i].rank = RANK_NONE;
    }
  }
  if (err != MTS_OK) {
    goto done;
  }
  sel = select_addr(v, n);
  ok = sel < n ? v[sel].f : NULL;
  err = record_addrs(r, v, n, sel);
  if (err == MTS_OK) {
    err = note_unfetched(lk, r, host);
  }

  /* Every address that fails gets its finding (R49, R50, R53). */
  for (size_t i = 0; i < n && err == MTS_OK; i++) {
    const struct mts_fetch_result *f = v[i].f;
    const char *detail = v[i].detail;
    char how[512], why[1024];
    if (f == NULL || v[i].outcome == MTS_FETCH_OK) {
      continue;
    }
    if (v[i].outcome == MTS_FETCH_NO_ROUTE && ok != NULL) {
      err = mts_findings_add(
          &r->findings, MTS_F_POLICY_ADDRESS_NOT_CHECKED, f->address,
          strlen(f->address),
          "%s was not checked: this machine has no route "
          "to it (%s).",
          f->address,
          detail ? detail : mts_frag_str(how, sizeof(how), N_("no route")));
    } else if (ok != NULL) {
      err = mts_findings_add(
          &r->findings, MTS_F_POLICY_ADDRESS_UNREACHABLE, f->address,
          strlen(f->address),
          "The policy host's address %s fails (%s%s%s), while %s answers: "
          "senders that pick it cannot fetch the policy.",
          f->address,
          mts_frag_str(how, sizeof(how), mts_fetch_outcome_str(v[i].outcome)),
          detail ? ": " : "",
          detail ? mts_frag_str(why, sizeof(why), detail) : "", ok->address);
    } else {
      err = add_fetch_failure(r, f, v[i].outcome, detail, r->policy.url);
    }
    if (err == MTS_OK && f->old_tls_only) {
      /* R53: why the handshake fails. */
      err = mts_findings_add(&r->findings, MTS_F_POLICY_TLS_OLD_VERSION,
                             f->address, strlen(f->address),
                             "%s speaks only TLS 1.0 or 1.1; senders need "
                             "TLS 1.2 or newer (RFC 8461 §7.2, RFC 8996).",
                             f->address);
    }
  }
  /* Every address that answered: its certificate, and how its answer
   * differs from the selected one (issue 10). */
  for (size_t i = 0; i < n && err == MTS_OK && ok != NULL; i++) {
    if (v[i].f == NULL) {
      continue;
    }
    err = check_addr_cert(r, &v[i], host, now);
    if (err == MTS_OK && i != sel) {
      err = compare_addr(r, &v[i], &v[sel]);
    }
  }
  if (err != MTS_OK || ok == NULL) {
    r->policy.status = MTS_POLICY_UNREACHABLE;
    goto done;
  }
  r->policy.http_status = (int)ok->http_status;
  r->policy.content_type = strdup_null(ok->content_type);
  r->policy.cert_not_after = ok->cert_not_after;
  if (ok->content_type != NULL && r->policy.content_type == NULL) {
    err = MTS_ENOMEM;
    goto done;
  }
  if (is_redirect(ok)) {
    /* R58: never followed. */
    r->policy.status = MTS_POLICY_UNREACHABLE;
    err =
        mts_findings_add(&r->findings, MTS_F_POLICY_HTTP_REDIRECT, ok->location,
                         ok->location ? strlen(ok->location) : 0,
                         "The policy URL answers %ld with a redirect%s%s "
                         "at %s%s: senders do not follow it (senders "
                         "report sts-policy-fetch-error).",
                         ok->http_status, ok->location ? " to " : "",
                         ok->location ? ok->location : "", ok->address,
                         n_answered > 1 ? " (the best answer of its "
                                          "addresses)"
                                        : "");
  } else if (ok->http_status != 200) {
    /* R57: only 200 OK; any other status, other 2xx included. */
    r->policy.status = MTS_POLICY_UNREACHABLE;
    err = mts_findings_add(&r->findings, MTS_F_POLICY_HTTP_STATUS, NULL, 0,
                           "The policy URL answers HTTP %ld at %s%s, not 200 "
                           "(senders report sts-policy-fetch-error).",
                           ok->http_status, ok->address,
                           n_answered > 1 ? " (the best answer of its "
                                            "addresses)"
                                          : "");
  } else {
    err = assess_body(ok, r);
  }

done:
  for (size_t i = 0; i < n; i++) {
    addr_view_release(&v[i]);
  }
  return err;
}

static enum mts_err
assess_policy(const struct mts_lookups *lk, struct mts_result *r, long long now)
{
  const struct mts_dns_result *fam[2] = {lk->policy_a, lk->policy_aaaa};
  const char *host;
  size_t n_addrs = 0;
  int sts_valid = r->sts.record.status == MTS_REC_VALID;
  enum mts_err err = MTS_OK;

  if (lk->no_policy || lk->policy_a == NULL || lk->policy_aaaa == NULL) {
    return MTS_OK; /* not-checked */
  }
  host = lk->policy_a->qname; /* mta-sts.<d>, what was fetched */
  for (int k = 0; k < 2; k++) {
    n_addrs += fam[k]->status == MTS_DNS_OK ? fam[k]->n_addrs : 0;
  }
  if (n_addrs == 0) {
    for (int k = 0; k < 2; k++) {
      if (mts_dns_status_failed(fam[k]->status) ||
          fam[k]->status == MTS_DNS_CNAME_LOOP) {
        /* R23: the policy host's lookup failed: unreachable. */
        r->policy.status = MTS_POLICY_UNREACHABLE;
        return add_lookup_failure(r, fam[k]);
      }
    }
    if (!sts_valid) {
      return MTS_OK; /* R4: nothing is deployed: not-checked */
    }
    r->policy.status = MTS_POLICY_UNREACHABLE;
    return mts_findings_add(&r->findings, MTS_F_POLICY_HOST_UNRESOLVABLE,
                            lk->policy_a->qname, strlen(lk->policy_a->qname),
                            "%s has no A or AAAA record: senders cannot fetch "
                            "the policy and deliver as if there were none.",
                            lk->policy_a->qname);
  }
  if (!sts_valid) {
    /* contract.md: preflight for a policy hosted before its record. */
    err =
        mts_findings_add(&r->findings, MTS_F_POLICY_IGNORED_NO_RECORD, NULL, 0,
                         r->sts.record.status == MTS_REC_MISSING
                             ? N_("The policy host answers, but the "
                                  "_mta-sts record is missing: senders "
                                  "ignore the policy.")
                         : r->sts.record.status == MTS_REC_INVALID
                             ? N_("The policy host answers, but the "
                                  "_mta-sts record is invalid: senders "
                                  "ignore the policy.")
                             : N_("The policy host answers, but the "
                                  "_mta-sts record is unknown: senders "
                                  "ignore the policy."));
    if (err != MTS_OK) {
      return err;
    }
  }
  if (lk->n_fetched == 0) {
    /* Addresses came, but the time ran out before a fetch could start:
     * say which lookup was late rather than leave "unreachable" bare. */
    r->policy.status = MTS_POLICY_UNREACHABLE;
    for (int k = 0; k < 2 && err == MTS_OK; k++) {
      if (mts_dns_status_failed(fam[k]->status)) {
        err = add_lookup_failure(r, fam[k]);
      }
    }
    return err;
  }
  return assess_fetches(lk, r, host, now);
}

/* ---- the SMTP probe's verdict (issue 12, mx-transport.md R164-R170) ---- */

/* R167: what an MX transport failure costs under the policy. */
static enum mts_severity
transport_sev(const struct mts_result *r)
{
  if (r->policy.status != MTS_POLICY_VALID || r->policy.mode == NULL) {
    return MTS_SEV_INFO;
  }
  if (strcmp(r->policy.mode, "enforce") == 0) {
    return MTS_SEV_ERROR;
  }
  return strcmp(r->policy.mode, "testing") == 0 ? MTS_SEV_WARNING
                                                : MTS_SEV_INFO;
}

/* Per host: the addresses concerned by each code, for one finding each. */
enum hcode {
  H_MISSING = 0,
  H_FAILED,
  H_OLD,
  H_UNTRUSTED,
  H_EXPIRED,
  H_NAME,
  H_SOON,
  H_UNREACHED,
  H__COUNT,
};

static const enum mts_code hcode_code[H__COUNT] = {
    [H_MISSING] = MTS_F_MX_STARTTLS_MISSING,
    [H_FAILED] = MTS_F_MX_STARTTLS_FAILED,
    [H_OLD] = MTS_F_MX_TLS_OLD_VERSION,
    [H_UNTRUSTED] = MTS_F_MX_CERT_UNTRUSTED,
    [H_EXPIRED] = MTS_F_MX_CERT_EXPIRED,
    [H_NAME] = MTS_F_MX_CERT_NAME_MISMATCH,
    [H_SOON] = MTS_F_MX_CERT_EXPIRES_SOON,
    [H_UNREACHED] = MTS_F_MX_SMTP_UNREACHABLE,
};

struct hnote {
  char addrs[512];
  char why[1024]; /* the first address's reason, in both languages */
  int n;
};

static void
note(struct hnote *hn, const char *ip, const char *why)
{
  size_t o = strlen(hn->addrs);

  if (o + strlen(ip) + 3 < sizeof(hn->addrs)) {
    snprintf(hn->addrs + o, sizeof(hn->addrs) - o, "%s%s", o ? ", " : "", ip);
  }
  if (hn->n++ == 0 && why != NULL) {
    snprintf(hn->why, sizeof(hn->why), "%s", why);
  }
}

static const struct mts_smtp_result *
find_smtp(const struct mts_mx_lookup *t, const char *ip)
{
  for (size_t i = 0; t != NULL && i < t->n_smtp; i++) {
    if (t->smtp[i]->address != NULL && strcmp(t->smtp[i]->address, ip) == 0) {
      return t->smtp[i];
    }
  }
  return NULL;
}

static char *
dup_or_null(const char *s, int *oom)
{
  char *d = s != NULL ? strdup(s) : NULL;
  if (s != NULL && d == NULL) {
    *oom = 1;
  }
  return d;
}

/* The probe's reason as a fragment of a finding's message (mts_frag):
 * English in JSON, the locale's words in text. NULL when it has none. */
static const char *
detail_frag(const struct mts_smtp_result *f, char *buf, size_t size)
{
  if (f->detail == NULL) {
    return NULL;
  }
  return mts_frag_pair(buf, size, f->detail, f->detail_local);
}

/* One address's view from its probe; notes what fails into hn. */
static enum mts_err
judge_smtp_addr(const struct mts_smtp_result *f, const struct mts_mx_host *h,
                long long now, struct mts_smtp_view *v, struct hnote *hn,
                int *reached, int *failed)
{
  int oom = 0;
  const char *ip = f->address;
  char why[1024];

  v->starttls = f->starttls;
  v->banner = dup_or_null(f->banner, &oom);
  v->error = dup_or_null(f->detail, &oom);
  v->error_text = dup_or_null(f->detail_local, &oom);
  v->cert_not_after = -1;
  v->trusted = v->name_match = -1;
  switch (f->outcome) {
    case MTS_SMTPO_NO_ROUTE:
      v->status = MTS_SMTP_NOT_CHECKED; /* R168: says nothing of the host */
      return oom ? MTS_ENOMEM : MTS_OK;
    case MTS_SMTPO_CONNECT:
      v->status = MTS_SMTP_UNREACHABLE;
      note(&hn[H_UNREACHED], ip, detail_frag(f, why, sizeof(why)));
      return oom ? MTS_ENOMEM : MTS_OK;
    case MTS_SMTPO_NO_STARTTLS:
      *reached = 1;
      *failed = 1;
      v->status = MTS_SMTP_FAILED;
      note(&hn[H_MISSING], ip, detail_frag(f, why, sizeof(why)));
      return oom ? MTS_ENOMEM : MTS_OK;
    case MTS_SMTPO_FAILED:
    case MTS_SMTPO_TLS:
      *reached = 1;
      *failed = 1;
      v->status = MTS_SMTP_FAILED;
      note(&hn[H_FAILED], ip, detail_frag(f, why, sizeof(why)));
      break;
    case MTS_SMTPO_OK:
      *reached = 1;
      v->status = MTS_SMTP_OK;
      break;
  }
  v->tls_version = dup_or_null(f->tls_version, &oom);
  v->cipher = dup_or_null(f->cipher, &oom);
  if (f->dane) {
    v->dane = f->dane_ok ? "ok" : "mismatch";
  }
  if (f->tls_version_num > 0 && f->tls_version_num < 0x0303) {
    /* RFC 8461 §7.2, RFC 8996: TLS 1.2 or newer. */
    *failed = 1;
    note(&hn[H_OLD], ip, f->tls_version);
  }
  if (f->cert_seen) {
    int expired = f->cert_expired ||
                  (f->cert_not_after >= 0 && f->cert_not_after < now) ||
                  (f->cert_not_before >= 0 && f->cert_not_before > now);
    v->cert_seen = 1;
    v->cert_subject = dup_or_null(f->cert_subject, &oom);
    v->cert_issuer = dup_or_null(f->cert_issuer, &oom);
    v->cert_not_after = f->cert_not_after;
    v->trusted = f->chain_ok;
    v->name_match = 0;
    v->cert_san = calloc(f->n_cert_san ? f->n_cert_san : 1, sizeof(char *));
    if (v->cert_san == NULL) {
      return MTS_ENOMEM;
    }
    for (size_t i = 0; i < f->n_cert_san; i++) {
      v->cert_san[i] = dup_or_null(f->cert_san[i], &oom);
      v->n_cert_san = i + 1;
      /* RFC 8461 §4.2, RFC 6125 §6.4: the MX record's name, DNS-ID
       * only, "*" as the whole left-most label. */
      if (mts_name_match(f->cert_san[i], h->name)) {
        v->name_match = 1;
      }
    }
    /* R167: an expired certificate is that only. */
    if (expired) {
      *failed = 1;
      note(&hn[H_EXPIRED], ip, NULL);
    } else if (!f->chain_ok) {
      *failed = 1;
      note(&hn[H_UNTRUSTED], ip, f->verify_error);
    } else if (f->cert_not_after >= 0 && f->cert_not_after - now < 14 * 86400) {
      char days[64];
      snprintf(days, sizeof(days), "%lld", (f->cert_not_after - now) / 86400);
      note(&hn[H_SOON], ip, days);
    }
    if (!v->name_match) {
      *failed = 1;
      note(&hn[H_NAME], ip, NULL);
    }
  } else if (f->outcome == MTS_SMTPO_OK) {
    *failed = 1;
    v->trusted = 0;
    note(&hn[H_UNTRUSTED], ip,
         mts_frag_str(why, sizeof(why), N_("the server sent no certificate")));
  }
  return oom ? MTS_ENOMEM : MTS_OK;
}

static enum mts_err
host_findings(struct mts_result *r, const struct mts_mx_host *h,
              const struct hnote *hn, enum mts_severity sev, int any_reached)
{
  enum mts_err err = MTS_OK;

  for (int c = 0; c < H__COUNT && err == MTS_OK; c++) {
    const struct hnote *x = &hn[c];
    enum mts_code code = hcode_code[c];
    char reason[1100];

    if (x->n == 0) {
      continue;
    }
    /* Whole sentences, so that each translates; the reason (the first
     * address's) is a fragment in both languages. */
    reason[0] = '\0';
    if (x->why[0] != '\0' && c == H_SOON) {
      mts_frag(reason, sizeof(reason), N_(" (%s days left)"), x->why);
    } else if (x->why[0] != '\0') {
      mts_frag(reason, sizeof(reason), N_(" (%s)"), x->why);
    }
#define HOST_FINDING(sev_, fmt_)                                               \
  mts_findings_add_sev(&r->findings, code, (sev_), h->name, strlen(h->name),   \
                       (fmt_), h->name, x->addrs, reason)
    switch ((enum hcode)c) {
      case H_MISSING:
        err = HOST_FINDING(sev, N_("The MX host %s (%s) does not offer "
                                   "STARTTLS in its EHLO reply%s."));
        break;
      case H_FAILED:
        err = HOST_FINDING(sev, N_("The MX host %s (%s) fails before TLS is "
                                   "established%s."));
        break;
      case H_OLD:
        err = HOST_FINDING(sev, N_("The MX host %s (%s) negotiates a TLS "
                                   "version older than 1.2%s."));
        break;
      case H_UNTRUSTED:
        err = HOST_FINDING(sev, N_("The MX host %s (%s) presents a "
                                   "certificate that does not verify%s."));
        break;
      case H_EXPIRED:
        err = HOST_FINDING(sev, N_("The MX host %s (%s) presents an expired "
                                   "(or not yet valid) certificate%s."));
        break;
      case H_NAME:
        err = HOST_FINDING(sev, N_("The MX host %s (%s) presents a "
                                   "certificate whose subjectAltName does not "
                                   "name the host%s."));
        break;
      case H_SOON:
        err = HOST_FINDING(MTS_SEV_WARNING,
                           N_("The MX host %s (%s) presents a certificate "
                              "that expires within 14 days%s."));
        break;
      case H_UNREACHED:
        if (!any_reached) {
          continue; /* one domain-wide info finding instead (R168) */
        }
        err = HOST_FINDING(MTS_SEV_WARNING,
                           N_("The MX host %s (%s) does not accept a "
                              "connection on the SMTP port, while other "
                              "addresses of the domain do%s."));
        break;
      case H__COUNT:
        break;
    }
#undef HOST_FINDING
  }
  return err;
}

/* Append \p ip to the list \p buf (", "-separated), if it fits. */
static void
list_add(char *buf, size_t size, const char *ip)
{
  size_t o = strlen(buf);

  if (o + strlen(ip) + 3 < size) {
    snprintf(buf + o, size - o, "%s%s", o ? ", " : "", ip);
  }
}

/* R169: the DANE view of one MX host, from its TLSA answer, the MX
 * answer's AD bit and what the probes of its addresses verified. */
static enum mts_err
assess_dane(const struct mts_lookups *lk, const struct mts_mx_lookup *t,
            struct mts_mx_host *h, struct mts_result *r, int *mismatch)
{
  const struct mts_dns_result *d = t != NULL ? t->tlsa : NULL;
  struct mts_dane_view *dv;
  size_t usable = 0;
  char bad[512] = "", good[512] = "";
  const char *why = NULL;

  if (d == NULL) {
    return MTS_OK;
  }
  dv = calloc(1, sizeof(*dv));
  if (dv == NULL) {
    return MTS_ENOMEM;
  }
  h->dane = dv;
  if (mts_dns_status_failed(d->status) && lk->mx != NULL &&
      lk->mx->status == MTS_DNS_OK && !lk->mx->ad) {
    /* RFC 7672 §2.2.1: a DANE sender looks for TLSA records only under a
     * validated MX answer, so with an insecure one the failure delays no
     * mail and DANE does not apply (read so in CHANGELOG). */
    dv->status = MTS_DANE_NONE;
    return MTS_OK;
  }
  if (mts_dns_status_failed(d->status)) {
    char msg[512];
    dv->status = MTS_DANE_UNKNOWN;
    describe_failure(d, msg, sizeof(msg));
    /* A DANE sender defers mail for this host: a lookup failure. */
    return mts_findings_add(
        &r->findings, MTS_F_MX_TLSA_LOOKUP_FAILED, h->name, strlen(h->name),
        "The TLSA lookup for the MX host %s failed: %s", h->name, msg);
  }
  if (d->status != MTS_DNS_OK) {
    dv->status = MTS_DANE_NONE;
    return MTS_OK;
  }
  dv->dnssec = d->ad && lk->mx != NULL && lk->mx->ad;
  dv->tlsa = calloc(d->n_rdata ? d->n_rdata : 1, sizeof(char *));
  if (dv->tlsa == NULL) {
    return MTS_ENOMEM;
  }
  for (size_t i = 0; i < d->n_rdata; i++) {
    struct mts_tlsa tl;
    if (mts_tlsa_parse((const uint8_t *)d->rdata[i].data, d->rdata[i].len,
                       &tl) != MTS_OK) {
      continue; /* shorter than a record: unusable, and not shown */
    }
    usable += (size_t)mts_tlsa_usable(&tl);
    dv->tlsa[dv->n_tlsa] = mts_tlsa_str(&tl);
    if (dv->tlsa[dv->n_tlsa] == NULL) {
      return MTS_ENOMEM;
    }
    dv->n_tlsa++;
  }
  if (!dv->dnssec) {
    dv->status = MTS_DANE_INSECURE;
    why = !d->ad ? "TLSA" : "MX";
    return mts_findings_add(
        &r->findings, MTS_F_MX_TLSA_INSECURE, h->name, strlen(h->name),
        "The MX host %s has TLSA records, but the %s answer was not "
        "validated (the resolver did not set the AD bit): DANE senders "
        "ignore them.",
        h->name, why);
  }
  if (usable == 0) {
    dv->status = MTS_DANE_UNUSABLE;
    return mts_findings_add(
        &r->findings, MTS_F_MX_DANE_UNUSABLE_TLSA, h->name, strlen(h->name),
        "The MX host %s has validated TLSA records, but none is usable for "
        "SMTP (only PKIX-TA(0)/PKIX-EE(1) usages, or unknown parameters).",
        h->name);
  }
  for (size_t k = 0; k < h->n_addrs; k++) {
    const struct mts_smtp_view *v = h->addrs[k].smtp;
    if (v == NULL || v->dane == NULL) {
      continue;
    }
    list_add(strcmp(v->dane, "ok") == 0 ? good : bad,
             strcmp(v->dane, "ok") == 0 ? sizeof(good) : sizeof(bad),
             h->addrs[k].ip);
  }
  if (bad[0] != '\0') {
    dv->status = MTS_DANE_MISMATCH;
    *mismatch = 1;
    /* RFC 8461 §2: MTA-STS never overrides a failed DANE check. */
    return mts_findings_add(
        &r->findings, MTS_F_MX_DANE_MISMATCH, h->name, strlen(h->name),
        "The MX host %s (%s) presents a certificate that matches none of its "
        "DANE TLSA records: DANE senders refuse to deliver to it.",
        h->name, bad);
  }
  if (good[0] != '\0') {
    dv->status = MTS_DANE_OK;
    return mts_findings_add(&r->findings, MTS_F_MX_DANE_OK, h->name,
                            strlen(h->name),
                            "The MX host %s (%s) presents a certificate that "
                            "matches its DANE TLSA records.",
                            h->name, good);
  }
  /* Validated, usable records, but no address could be verified. */
  dv->status = MTS_DANE_UNKNOWN;
  return MTS_OK;
}

static enum mts_err
assess_transport(const struct mts_lookups *lk, struct mts_result *r)
{
  enum mts_severity sev = transport_sev(r);
  int any_reached = 0, any_failed = 0, any_unreached = 0, any_stopped = 0;
  int dane_mismatch = 0;
  struct hnote(*hn)[H__COUNT];
  enum mts_err err = MTS_OK;

  if (!lk->smtp || r->mx.n_hosts == 0) {
    return MTS_OK;
  }
  hn = calloc(r->mx.n_hosts, sizeof(*hn));
  if (hn == NULL) {
    return MTS_ENOMEM;
  }
  for (size_t i = 0; i < r->mx.n_hosts && err == MTS_OK; i++) {
    struct mts_mx_host *h = &r->mx.hosts[i];
    const struct mts_mx_lookup *t =
        h->addrs_known ? find_target(lk, h->name) : NULL;
    for (size_t k = 0; t != NULL && k < h->n_addrs && err == MTS_OK; k++) {
      const struct mts_smtp_result *f = find_smtp(t, h->addrs[k].ip);
      struct mts_smtp_view *v = calloc(1, sizeof(*v));
      if (v == NULL) {
        err = MTS_ENOMEM;
        break;
      }
      h->addrs[k].smtp = v;
      if (f == NULL) {
        v->status = MTS_SMTP_NOT_CHECKED;
        v->starttls = v->trusted = v->name_match = -1;
        v->cert_not_after = -1;
        if (lk->smtp_stopped) {
          any_stopped = 1;
          v->error = strdup("not probed: outbound port 25 seems blocked "
                            "where the check runs");
          err = v->error ? MTS_OK : MTS_ENOMEM;
        }
        continue;
      }
      err = judge_smtp_addr(f, h, r->checked_at, v, hn[i], &any_reached,
                            &any_failed);
    }
    any_unreached |= hn[i][H_UNREACHED].n > 0;
    if (err == MTS_OK) {
      err = assess_dane(lk, t != NULL ? t : find_target(lk, h->name), h, r,
                        &dane_mismatch);
    }
  }
  for (size_t i = 0; i < r->mx.n_hosts && err == MTS_OK; i++) {
    err = host_findings(r, &r->mx.hosts[i], hn[i], sev, any_reached);
  }
  free(hn);
  if (err == MTS_OK && !any_reached && (any_unreached || any_stopped)) {
    /* R168: nothing answered: most likely port 25 is blocked here. */
    err = mts_findings_add_sev(
        &r->findings, MTS_F_MX_SMTP_UNREACHABLE, MTS_SEV_INFO, NULL, 0,
        any_stopped
            ? N_("No address of any MX host of %s accepted a connection on "
                 "the SMTP port, or probing was stopped: outbound port 25 "
                 "may be blocked where the check runs (--no-smtp skips the "
                 "probe).")
            : N_("No address of any MX host of %s accepted a connection on "
                 "the SMTP port: outbound port 25 may be blocked where the "
                 "check runs (--no-smtp skips the probe)."),
        r->domain);
  }
  /* R170: readiness, with a valid policy only. */
  if (r->policy.status == MTS_POLICY_VALID && any_reached) {
    r->mx.tls_ok = !any_failed;
  }
  /* R170: not with a DANE mismatch. */
  if (err == MTS_OK && r->mx.tls_ok == 1 && r->mx.covered == 1 &&
      !dane_mismatch && r->policy.mode != NULL &&
      strcmp(r->policy.mode, "testing") == 0) {
    err =
        mts_findings_add(&r->findings, MTS_F_POLICY_READY_FOR_ENFORCE, NULL, 0,
                         "Every MX host is covered by the policy and passes "
                         "the certificate checks: %s can move from mode "
                         "testing to enforce.",
                         r->domain);
  }
  return err;
}

enum mts_err
mts_assess(const struct mts_lookups *lk, struct mts_result *r)
{
  enum mts_err err;

  err = assess_record(&sts_kind, lk->sts, lk->apex, r, &r->sts.record);
  if (err == MTS_OK) {
    err =
        assess_record(&tlsrpt_kind, lk->tlsrpt, lk->apex, r, &r->tlsrpt.record);
  }
  if (err == MTS_OK) {
    err = assess_mx(lk, r);
  }
  if (err == MTS_OK) {
    err = assess_targets(lk, r);
  }
  if (err == MTS_OK && r->policy.url == NULL) {
    r->policy.url = concat("https://mta-sts.", r->domain);
    if (r->policy.url == NULL) {
      err = MTS_ENOMEM;
    } else {
      char *u = concat(r->policy.url, "/.well-known/mta-sts.txt");
      free(r->policy.url);
      r->policy.url = u;
      err = u ? MTS_OK : MTS_ENOMEM;
    }
  }
  if (err == MTS_OK) {
    err = assess_policy(lk, r, r->checked_at);
  }
  if (err == MTS_OK) {
    err = assess_transport(lk, r);
  }
  mts_result_set_status(r);
  return err;
}

/* Would the validator call this record missing? No record, or none that
 * is or looks like one of its kind (R25 classes 1 and 2). */
static int
record_missing(const struct mts_dns_result *d,
               int (*looks_like)(const struct mts_txt *))
{
  if (d == NULL) {
    return 0;
  }
  if (d->status == MTS_DNS_NODATA || d->status == MTS_DNS_NXDOMAIN) {
    return 1;
  }
  if (d->status != MTS_DNS_OK) {
    return 0;
  }
  for (size_t i = 0; i < d->n_txt; i++) {
    struct mts_txt t = {d->txt[i].data, d->txt[i].len};
    if (looks_like(&t)) {
      return 0;
    }
  }
  return 1;
}

int
mts_assess_wants_apex(const struct mts_lookups *lk)
{
  return lk->apex == NULL &&
         (record_missing(lk->sts, mts_sts_looks_like) ||
          record_missing(lk->tlsrpt, mts_tlsrpt_looks_like));
}
