#include "mtasts/result.h"

#include <stdlib.h>
#include <string.h>

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
  r->mx.covered = -1;
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
  for (size_t i = 0; i < r->mx.n_hosts; i++) {
    free(r->mx.hosts[i].name);
    free(r->mx.hosts[i].matched_by);
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
