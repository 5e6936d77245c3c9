#include "mtasts/output.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One domain's result as one JSON object on one line (contract.md "JSON").
 *
 * Null rules, beyond "unknown scalar = null" (docs/json.md):
 * - record "txt" and tls_rpt "rua" are null when the record's status is
 *   "unknown" and nothing was found (the lookup failed, so what is
 *   published is not known), else arrays (possibly empty);
 * - policy "mx" is null when no policy body was parsed (status not-checked or
 *   unreachable), else an array;
 * - mx "hosts" is null when the MX lookup did not complete (MX_LOOKUP_FAILED
 *   or DOMAIN_INVALID among the findings), else an array;
 * - checked_at is null when not set (<= 0) or not representable;
 *   duration_ms, ttl, max_age, http_status are null when negative.
 *
 * Every string is converted to valid UTF-8 first: network data may hold any
 * byte.
 *
 * The line is written straight into a buffer, member by member, by the
 * writer of jsonw.c (the same bytes as cJSON_PrintUnformatted's), not built
 * as a cJSON tree and then printed: at thousands of domains a second the
 * tree's allocations were a third of the tool's CPU time
 * (docs/benchmarks.md). */

/* The members, through the JSON Lines writer of jsonw.c. */
static void
put_null(struct mts_jw *w, const char *key)
{
  mts_jw_null(w, key);
}

/* s[0..len) as a string, or null when s is NULL. */
static void
put_bytes(struct mts_jw *w, const char *key, const char *s, size_t len)
{
  mts_jw_bytes(w, key, s, len);
}

/* A NUL-terminated string, or null when s is NULL. */
static void
put_str(struct mts_jw *w, const char *key, const char *s)
{
  mts_jw_str(w, key, s);
}

/* A non-negative integer, or null when v < 0. */
static void
put_count(struct mts_jw *w, const char *key, long long v)
{
  if (v < 0) {
    mts_jw_null(w, key);
  } else {
    mts_jw_u64(w, key, (uint64_t)v);
  }
}

/* 1 = true, 0 = false, anything else = null. */
static void
put_tristate(struct mts_jw *w, const char *key, int v)
{
  mts_jw_number(w, key, v == 1 ? "true" : v == 0 ? "false" : "null");
}

/* An array of NUL-terminated strings, or null when is_null is set. */
static void
put_strv(struct mts_jw *w, const char *key, char *const *v, size_t n,
         int is_null)
{
  mts_jw_strv(w, key, v, n, is_null);
}

/* "YYYY-MM-DDTHH:MM:SSZ", or null when t is unset (<= 0) or not
 * representable as a four-digit year. */
static void
put_time(struct mts_jw *w, const char *key, long long t)
{
  char buf[32];
  struct tm tm;
  time_t tt;

  /* 253402300799 is 9999-12-31T23:59:59Z. */
  if (t <= 0 || t > 253402300799LL || (long long)(time_t)t != t) {
    put_null(w, key);
    return;
  }
  tt = (time_t)t;
  if (gmtime_r(&tt, &tm) == NULL ||
      strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
    put_null(w, key);
    return;
  }
  put_str(w, key, buf);
}

/* The "record" object shared by mta_sts and tls_rpt, up to "txt"; left
 * open for the caller's members. */
static void
add_record_head(struct mts_jw *w, const struct mts_record_view *rec)
{
  mts_jw_open(w, "record", '{');
  put_str(w, "status", mts_record_status_str(rec->status));
  put_str(w, "name", rec->name);
  if (rec->status == MTS_REC_UNKNOWN && rec->n_txt == 0) {
    put_null(w, "txt");
    return;
  }
  mts_jw_open(w, "txt", '[');
  for (size_t i = 0; i < rec->n_txt; i++) {
    put_bytes(w, NULL, rec->txt[i].data, rec->txt[i].len);
  }
  mts_jw_close(w, ']');
}

/* policy "addresses": [] when nothing was fetched. */
static void
add_policy_addrs(struct mts_jw *w, const struct mts_result *r)
{
  mts_jw_open(w, "addresses", '[');
  for (size_t i = 0; i < r->policy.n_addrs; i++) {
    const struct mts_policy_addr *a = &r->policy.addrs[i];
    mts_jw_open(w, NULL, '{');
    put_str(w, "address", a->address);
    mts_jw_number(w, "selected", a->selected ? "true" : "false");
    put_str(w, "outcome", a->outcome);
    put_str(w, "status", mts_policy_status_str(a->status));
    put_count(w, "http_status", a->http_status);
    put_str(w, "content_type", a->content_type);
    put_time(w, "cert_not_after", a->cert_not_after);
    mts_jw_number(w, "cert_checked", a->cert_checked ? "true" : "false");
    put_tristate(w, "same_policy", a->same_policy);
    mts_jw_close(w, '}');
  }
  mts_jw_close(w, ']');
}

/* ---- MX transport (issue 12, mx-transport.md "JSON") ------------------- */

static void
add_smtp(struct mts_jw *w, const struct mts_smtp_view *v, long long now)
{
  if (v == NULL) {
    put_null(w, "smtp");
    return;
  }
  mts_jw_open(w, "smtp", '{');
  put_str(w, "status", mts_smtp_status_str(v->status));
  put_str(w, "banner", v->banner);
  put_tristate(w, "starttls", v->starttls);
  put_str(w, "tls_version", v->tls_version);
  put_str(w, "cipher", v->cipher);
  if (!v->cert_seen) {
    put_null(w, "cert");
  } else {
    mts_jw_open(w, "cert", '{');
    put_str(w, "subject", v->cert_subject);
    put_str(w, "issuer", v->cert_issuer);
    put_strv(w, "san", v->cert_san, v->n_cert_san, 0);
    put_time(w, "not_after", v->cert_not_after);
    if (v->cert_not_after < 0) {
      put_null(w, "days_left");
    } else {
      /* Negative once expired: a number, not null. */
      char num[32];
      snprintf(num, sizeof(num), "%lld",
               v->cert_not_after >= now
                   ? (v->cert_not_after - now) / 86400
                   : -((now - v->cert_not_after + 86399) / 86400));
      mts_jw_number(w, "days_left", num);
    }
    put_tristate(w, "trusted", v->trusted);
    put_tristate(w, "name_match", v->name_match);
    mts_jw_close(w, '}');
  }
  put_str(w, "dane", v->dane);
  put_str(w, "error", v->error);
  mts_jw_close(w, '}');
}

/* R169: the host's DANE view. */
static void
add_dane(struct mts_jw *w, const struct mts_dane_view *d)
{
  if (d == NULL) {
    put_null(w, "dane");
    return;
  }
  mts_jw_open(w, "dane", '{');
  put_str(w, "status", mts_dane_status_str(d->status));
  put_strv(w, "tlsa", d->tlsa, d->n_tlsa, 0);
  mts_jw_number(w, "dnssec", d->dnssec ? "true" : "false");
  mts_jw_close(w, '}');
}

static void
add_mx_transport(struct mts_jw *w, const struct mts_mx_host *h, long long now)
{
  put_str(w, "cname", h->cname);
  add_dane(w, h->dane);
  if (!h->addrs_known) {
    put_null(w, "addresses");
    return;
  }
  mts_jw_open(w, "addresses", '[');
  for (size_t i = 0; i < h->n_addrs; i++) {
    mts_jw_open(w, NULL, '{');
    put_str(w, "ip", h->addrs[i].ip);
    add_smtp(w, h->addrs[i].smtp, now);
    mts_jw_close(w, '}');
  }
  mts_jw_close(w, ']');
}

static void
add_mta_sts(struct mts_jw *w, const struct mts_result *r)
{
  int parsed;

  mts_jw_open(w, "mta_sts", '{');

  add_record_head(w, &r->sts.record);
  put_str(w, "id", r->sts.id);
  put_count(w, "ttl", r->sts.record.ttl);
  mts_jw_close(w, '}');

  mts_jw_open(w, "policy", '{');
  parsed = r->policy.status == MTS_POLICY_VALID ||
           r->policy.status == MTS_POLICY_INVALID;
  put_str(w, "status", mts_policy_status_str(r->policy.status));
  put_str(w, "url", r->policy.url);
  put_count(w, "http_status", r->policy.http_status);
  put_str(w, "content_type", r->policy.content_type);
  put_str(w, "mode", r->policy.mode);
  put_count(w, "max_age", r->policy.max_age);
  put_strv(w, "mx", r->policy.mx, r->policy.n_mx, !parsed);
  /* Additions to the contract (CHANGELOG): the policy host's certificate,
   * so that monitoring sees a renewal coming. */
  put_time(w, "cert_not_after", r->policy.cert_not_after);
  put_count(w, "cert_days_left",
            r->policy.cert_not_after >= 0 &&
                    r->policy.cert_not_after >= r->checked_at
                ? (r->policy.cert_not_after - r->checked_at) / 86400
                : -1);
  /* Addition (issue 10): what every address of the policy host served. */
  add_policy_addrs(w, r);
  mts_jw_close(w, '}');

  mts_jw_open(w, "mx", '{');
  put_tristate(w, "covered", r->mx.covered);
  if (mts_findings_has(&r->findings, MTS_F_MX_LOOKUP_FAILED) ||
      mts_findings_has(&r->findings, MTS_F_DOMAIN_INVALID)) {
    put_null(w, "hosts");
  } else {
    mts_jw_open(w, "hosts", '[');
    for (size_t i = 0; i < r->mx.n_hosts; i++) {
      const struct mts_mx_host *h = &r->mx.hosts[i];
      mts_jw_open(w, NULL, '{');
      put_str(w, "name", h->name);
      put_count(w, "preference", h->preference);
      put_tristate(w, "covered", h->covered);
      put_str(w, "matched_by", h->matched_by);
      add_mx_transport(w, h, r->checked_at);
      mts_jw_close(w, '}');
    }
    mts_jw_close(w, ']');
  }
  put_tristate(w, "tls_ok", r->mx.tls_ok);
  mts_jw_close(w, '}');

  mts_jw_close(w, '}');
}

static void
add_tls_rpt(struct mts_jw *w, const struct mts_result *r)
{
  mts_jw_open(w, "tls_rpt", '{');
  add_record_head(w, &r->tlsrpt.record);
  put_strv(w, "rua", r->tlsrpt.rua, r->tlsrpt.n_rua,
           r->tlsrpt.record.status == MTS_REC_UNKNOWN && r->tlsrpt.n_rua == 0);
  put_count(w, "ttl", r->tlsrpt.record.ttl);
  mts_jw_close(w, '}');
  mts_jw_close(w, '}');
}

/* --state (docs/state.md): null without it, else the fields that changed
 * since the previous run. The values are canonical JSON text that the
 * state module made from validated, printable-ASCII data: written as is. */
static void
add_changes(struct mts_jw *w, const struct mts_changes *ch)
{
  if (!ch->tracked) {
    put_null(w, "changes");
    return;
  }
  mts_jw_open(w, "changes", '[');
  for (size_t i = 0; i < ch->n; i++) {
    const struct mts_change *c = &ch->v[i];
    mts_jw_open(w, NULL, '{');
    put_str(w, "field", c->field);
    mts_jw_number(w, "old", c->old_value); /* JSON text, written as is */
    mts_jw_number(w, "new", c->new_value);
    put_time(w, "old_first_seen", c->old_first_seen);
    put_time(w, "old_last_seen", c->old_last_seen);
    mts_jw_close(w, '}');
  }
  mts_jw_close(w, ']');
}

/* One server's data for one name: null when not known. */
static void
put_rrset(struct mts_jw *w, const char *key, const struct mts_rrset_view *set)
{
  if (!set->known) {
    put_null(w, key);
    return;
  }
  mts_jw_open(w, key, '[');
  for (size_t i = 0; i < set->n; i++) {
    put_bytes(w, NULL, set->v[i].data, set->v[i].len);
  }
  mts_jw_close(w, ']');
}

/* --propagation (rollout.md R199): null when not asked. */
static void
add_propagation(struct mts_jw *w, const struct mts_propagation_view *v)
{
  static const char *const rr_key[MTS_PROP__COUNT] = {"sts_txt", "tlsrpt_txt",
                                                      "mx"};

  if (v == NULL) {
    put_null(w, "propagation");
    return;
  }
  mts_jw_open(w, "propagation", '{');
  put_str(w, "zone", v->zone);
  put_str(w, "domain_zone", v->domain_zone);
  put_tristate(w, "in_sync", v->in_sync);
  put_tristate(w, "resolver_current", v->resolver_current);
  mts_jw_open(w, "servers", '[');
  for (size_t i = 0; i < v->n_servers; i++) {
    const struct mts_ns_view *s = &v->servers[i];
    mts_jw_open(w, NULL, '{');
    put_str(w, "name", s->name);
    put_str(w, "ip", s->ip);
    put_str(w, "status", mts_ns_status_str(s->status));
    put_count(w, "serial", s->serial);
    for (int k = 0; k < MTS_PROP__COUNT; k++) {
      put_rrset(w, rr_key[k], &s->rr[k]);
    }
    mts_jw_close(w, '}');
  }
  mts_jw_close(w, ']');
  put_str(w, "error", v->error);
  mts_jw_close(w, '}');
}

/* Most lines fit: a result with no finding is about 1 KiB. */
#define JW_STACK 4096

enum mts_err
mts_report_json_write(FILE *out, const struct mts_result *r)
{
  char stack[JW_STACK];
  struct mts_jw w;
  enum mts_err err;

  mts_jw_init(&w, stack, sizeof(stack));
  mts_jw_open(&w, NULL, '{');
  put_count(&w, "schema_version", 1);
  put_str(&w, "domain", r->domain);
  put_str(&w, "domain_unicode", r->domain_unicode);
  put_time(&w, "checked_at", r->checked_at);
  put_count(&w, "duration_ms", r->duration_ms);
  put_str(&w, "status", mts_status_str(r->status));
  add_mta_sts(&w, r);
  add_tls_rpt(&w, r);
  mts_jw_findings(&w, &r->findings);
  add_changes(&w, &r->changes);
  put_time(&w, "old_policy_until", r->old_policy_until);
  add_propagation(&w, r->propagation);
  mts_jw_close(&w, '}');
  err = mts_jw_finish(&w, out);
  mts_jw_release(&w);
  return err;
}

enum mts_err
mts_report_json_policy_write(FILE *out, const struct mts_policy_lint *l)
{
  char stack[JW_STACK];
  struct mts_jw w;
  enum mts_err err;

  mts_jw_init(&w, stack, sizeof(stack));
  mts_jw_open(&w, NULL, '{');
  put_count(&w, "schema_version", 1);
  put_str(&w, "kind", "policy-file");
  put_bytes(&w, "source", l->source, strlen(l->source));
  put_str(&w, "status", mts_status_str(l->status));
  mts_jw_open(&w, "policy", '{');
  put_str(&w, "status", mts_policy_status_str(l->policy_status));
  put_str(&w, "mode", l->mode);
  put_count(&w, "max_age", l->max_age);
  put_strv(&w, "mx", l->mx, l->n_mx, 0);
  mts_jw_close(&w, '}');
  mts_jw_findings(&w, l->findings);
  mts_jw_close(&w, '}');
  err = mts_jw_finish(&w, out);
  mts_jw_release(&w);
  return err;
}
