#include "mtasts/result.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts/bytes.h"

const char *
mts_status_str(enum mts_status st)
{
  switch (st) {
    case MTS_STATUS_OK:
      return "ok";
    case MTS_STATUS_WARNING:
      return "warning";
    case MTS_STATUS_UNKNOWN:
      return "unknown";
    case MTS_STATUS_ERROR:
      return "error";
  }
  return "unknown";
}

const char *
mts_record_status_str(enum mts_record_status st)
{
  switch (st) {
    case MTS_REC_VALID:
      return "valid";
    case MTS_REC_INVALID:
      return "invalid";
    case MTS_REC_MISSING:
      return "missing";
    case MTS_REC_UNKNOWN:
      return "unknown";
  }
  return "unknown";
}

const char *
mts_policy_status_str(enum mts_policy_status st)
{
  switch (st) {
    case MTS_POLICY_NOT_CHECKED:
      return "not-checked";
    case MTS_POLICY_VALID:
      return "valid";
    case MTS_POLICY_INVALID:
      return "invalid";
    case MTS_POLICY_UNREACHABLE:
      return "unreachable";
  }
  return "not-checked";
}

int
mts_status_exit(enum mts_status st)
{
  switch (st) {
    case MTS_STATUS_OK:
      return 0;
    case MTS_STATUS_WARNING:
      return 1;
    case MTS_STATUS_ERROR:
      return 2;
    case MTS_STATUS_UNKNOWN:
      return 3;
  }
  return 3;
}

static void
record_view_init(struct mts_record_view *v)
{
  memset(v, 0, sizeof(*v));
  v->status = MTS_REC_UNKNOWN;
  v->ttl = -1;
}

static void
record_view_release(struct mts_record_view *v)
{
  free(v->name);
  for (size_t i = 0; i < v->n_txt; i++) {
    free(v->txt[i].data);
  }
  free(v->txt);
  record_view_init(v);
}

static void
strv_free(char **v, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(v[i]);
  }
  free(v);
}

void
mts_result_init(struct mts_result *r)
{
  memset(r, 0, sizeof(*r));
  r->status = MTS_STATUS_UNKNOWN;
  record_view_init(&r->sts.record);
  record_view_init(&r->tlsrpt.record);
  r->policy.status = MTS_POLICY_NOT_CHECKED;
  r->policy.http_status = -1;
  r->policy.max_age = -1;
  r->policy.cert_not_after = -1;
  r->old_policy_until = -1;
  r->mx.covered = -1;
  r->mx.tls_ok = -1;
}

const char *
mts_smtp_status_str(enum mts_smtp_status st)
{
  switch (st) {
    case MTS_SMTP_OK:
      return "ok";
    case MTS_SMTP_FAILED:
      return "failed";
    case MTS_SMTP_UNREACHABLE:
      return "unreachable";
    case MTS_SMTP_NOT_CHECKED:
      return "not-checked";
  }
  return "not-checked";
}

const char *
mts_dane_status_str(enum mts_dane_status st)
{
  switch (st) {
    case MTS_DANE_NONE:
      return "none";
    case MTS_DANE_OK:
      return "ok";
    case MTS_DANE_MISMATCH:
      return "mismatch";
    case MTS_DANE_UNUSABLE:
      return "unusable";
    case MTS_DANE_INSECURE:
      return "insecure";
    case MTS_DANE_UNKNOWN:
      return "unknown";
  }
  return "unknown";
}

void
mts_smtp_view_free(struct mts_smtp_view **pv)
{
  struct mts_smtp_view *v = *pv;

  if (v == NULL) {
    return;
  }
  free(v->banner);
  free(v->tls_version);
  free(v->cipher);
  free(v->cert_subject);
  free(v->cert_issuer);
  strv_free(v->cert_san, v->n_cert_san);
  free(v->error);
  free(v->error_text);
  free(v);
  *pv = NULL;
}

/* MX transport (issue 12): what a host owns beyond name and coverage. */
static void
mx_host_transport_release(struct mts_mx_host *h)
{
  free(h->cname);
  for (size_t i = 0; i < h->n_addrs; i++) {
    free(h->addrs[i].ip);
    mts_smtp_view_free(&h->addrs[i].smtp);
  }
  free(h->addrs);
  if (h->dane != NULL) {
    strv_free(h->dane->tlsa, h->dane->n_tlsa);
    free(h->dane);
    h->dane = NULL;
  }
}

const char *
mts_ns_status_str(enum mts_ns_status st)
{
  switch (st) {
    case MTS_NS_OK:
      return "ok";
    case MTS_NS_UNREACHABLE:
      return "unreachable";
    case MTS_NS_REFUSED:
      return "refused";
    case MTS_NS_LAME:
      return "lame";
  }
  return "unreachable";
}

void
mts_propagation_view_free(struct mts_propagation_view **pv)
{
  struct mts_propagation_view *v;

  if (pv == NULL || *pv == NULL) {
    return;
  }
  v = *pv;
  for (size_t i = 0; i < v->n_servers; i++) {
    struct mts_ns_view *s = &v->servers[i];
    free(s->name);
    free(s->ip);
    for (int k = 0; k < MTS_PROP__COUNT; k++) {
      for (size_t j = 0; j < s->rr[k].n; j++) {
        free(s->rr[k].v[j].data);
      }
      free(s->rr[k].v);
    }
  }
  free(v->servers);
  free(v->zone);
  free(v->domain_zone);
  free(v->error);
  free(v);
  *pv = NULL;
}

void
mts_result_release(struct mts_result *r)
{
  free(r->domain);
  free(r->domain_unicode);
  record_view_release(&r->sts.record);
  free(r->sts.id);
  free(r->policy.url);
  free(r->policy.content_type);
  free(r->policy.mode);
  strv_free(r->policy.mx, r->policy.n_mx);
  for (size_t i = 0; i < r->policy.n_addrs; i++) {
    free(r->policy.addrs[i].address);
    free(r->policy.addrs[i].content_type);
  }
  free(r->policy.addrs);
  for (size_t i = 0; i < r->mx.n_hosts; i++) {
    free(r->mx.hosts[i].name);
    free(r->mx.hosts[i].matched_by);
    mx_host_transport_release(&r->mx.hosts[i]);
  }
  free(r->mx.hosts);
  record_view_release(&r->tlsrpt.record);
  strv_free(r->tlsrpt.rua, r->tlsrpt.n_rua);
  mts_findings_release(&r->findings);
  for (size_t i = 0; i < r->changes.n; i++) {
    free(r->changes.v[i].old_value);
    free(r->changes.v[i].new_value);
  }
  free(r->changes.v);
  mts_propagation_view_free(&r->propagation);
  mts_result_init(r);
}

int
mts_code_is_lookup_failure(enum mts_code code)
{
  switch (code) {
    case MTS_F_DNS_SERVFAIL:
    case MTS_F_DNS_TIMEOUT:
    case MTS_F_DNS_TRUNCATED:
    case MTS_F_DNS_RESPONSE_INVALID:
    case MTS_F_MX_LOOKUP_FAILED:
    case MTS_F_MX_TLSA_LOOKUP_FAILED: /* R169: DANE senders defer */
    case MTS_F_POLICY_CERT_UNKNOWN:   /* not judged: neither pass nor fail */
      return 1;
    default:
      return 0;
  }
}

enum mts_status
mts_findings_status(const struct mts_findings *list)
{
  int error = 0, unknown = 0, warning = 0;

  for (size_t i = 0; i < list->n; i++) {
    const struct mts_finding *f = &list->v[i];
    if (mts_code_is_lookup_failure(f->code)) {
      unknown = 1;
    } else if (f->severity == MTS_SEV_ERROR) {
      error = 1;
    } else if (f->severity == MTS_SEV_WARNING) {
      warning = 1;
    }
  }
  if (error) {
    return MTS_STATUS_ERROR;
  }
  if (unknown) {
    return MTS_STATUS_UNKNOWN;
  }
  return warning ? MTS_STATUS_WARNING : MTS_STATUS_OK;
}

void
mts_result_set_status(struct mts_result *r)
{
  r->status = mts_findings_status(&r->findings);
}

static unsigned
digits_value(const char *p, size_t n)
{
  unsigned v = 0;
  for (size_t i = 0; i < n; i++) {
    v = v * 10 + (unsigned)(p[i] - '0');
  }
  return v;
}

int
mts_sts_id_as_date(const char *id, char *buf, size_t size)
{
  static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30,
                                     31, 31, 30, 31, 30, 31};
  size_t len = 0, digits;
  unsigned y, mo, d, h = 0, mi = 0, s = 0, dim;
  int w;

  if (id == NULL || buf == NULL) {
    return 0;
  }
  while (len < 16 && id[len] != '\0') {
    len++;
  }
  digits = len;
  /* The RFC's own example id=20160831085700Z: a 'Z' (UTC) may follow a
   * time of day. */
  if (len > 0 && id[len - 1] == 'Z') {
    digits = len - 1;
    if (digits != 12 && digits != 14) {
      return 0;
    }
  }
  if (digits != 8 && digits != 12 && digits != 14) {
    return 0;
  }
  for (size_t i = 0; i < digits; i++) {
    if (!is_digit(id[i])) {
      return 0;
    }
  }
  y = digits_value(id, 4);
  mo = digits_value(id + 4, 2);
  d = digits_value(id + 6, 2);
  if (digits >= 12) {
    h = digits_value(id + 8, 2);
    mi = digits_value(id + 10, 2);
  }
  if (digits == 14) {
    s = digits_value(id + 12, 2);
  }
  if (y < 1990 || y > 2099 || mo < 1 || mo > 12 || d < 1) {
    return 0;
  }
  dim = mdays[mo - 1];
  if (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) {
    dim = 29;
  }
  if (d > dim || h > 23 || mi > 59 || s > 60) {
    return 0;
  }
  if (digits == 8) {
    w = snprintf(NULL, 0, "%04u-%02u-%02u UTC", y, mo, d);
  } else if (digits == 12) {
    w = snprintf(NULL, 0, "%04u-%02u-%02u %02u:%02u UTC", y, mo, d, h, mi);
  } else {
    w = snprintf(NULL, 0, "%04u-%02u-%02u %02u:%02u:%02u UTC", y, mo, d, h, mi,
                 s);
  }
  if (w < 0 || (size_t)w >= size) {
    return 0;
  }
  if (digits == 8) {
    (void)snprintf(buf, size, "%04u-%02u-%02u UTC", y, mo, d);
  } else if (digits == 12) {
    (void)snprintf(buf, size, "%04u-%02u-%02u %02u:%02u UTC", y, mo, d, h, mi);
  } else {
    (void)snprintf(buf, size, "%04u-%02u-%02u %02u:%02u:%02u UTC", y, mo, d, h,
                   mi, s);
  }
  return 1;
}
