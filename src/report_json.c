#include "mtasts/report.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

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
 * byte, and cJSON passes bytes above 0x7f through unchanged. */

/* U+FFFD REPLACEMENT CHARACTER in UTF-8. */
static const char replacement[] = "\xef\xbf\xbd";

/* Return the length of the well-formed UTF-8 sequence at s (RFC 3629 §4:
 * no overlong forms, no surrogates, nothing above U+10FFFF), or 0 if the
 * byte at s does not start one. NUL is not accepted: it would end the
 * C string handed to cJSON. */
static size_t
utf8_seq_len(const unsigned char *s, size_t avail)
{
  unsigned char c = s[0];
  unsigned char lo = 0x80, hi = 0xbf;
  size_t need;

  if (c >= 0x01 && c <= 0x7f) {
    return 1;
  }
  if (c >= 0xc2 && c <= 0xdf) {
    need = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    need = 3;
    if (c == 0xe0) {
      lo = 0xa0; /* overlong */
    } else if (c == 0xed) {
      hi = 0x9f; /* surrogates U+D800..U+DFFF */
    }
  } else if (c >= 0xf0 && c <= 0xf4) {
    need = 4;
    if (c == 0xf0) {
      lo = 0x90; /* overlong */
    } else if (c == 0xf4) {
      hi = 0x8f; /* above U+10FFFF */
    }
  } else {
    return 0; /* NUL, continuation byte, C0, C1, F5..FF */
  }
  if (avail < need || s[1] < lo || s[1] > hi) {
    return 0;
  }
  for (size_t i = 2; i < need; i++) {
    if (s[i] < 0x80 || s[i] > 0xbf) {
      return 0;
    }
  }
  return need;
}

/* Copy s[0..len) into a new NUL-terminated string of valid UTF-8: every
 * well-formed sequence is kept, every other byte (NUL included) becomes one
 * U+FFFD. \return the string (free it), or NULL when out of memory. */
static char *
utf8_sanitize(const char *s, size_t len)
{
  const unsigned char *p = (const unsigned char *)s;
  char *out;
  size_t o = 0;

  /* Worst case: each input byte becomes three output bytes. */
  if (len > (SIZE_MAX - 1) / 3) {
    return NULL;
  }
  out = malloc(len * 3 + 1);
  if (out == NULL) {
    return NULL;
  }
  for (size_t i = 0; i < len;) {
    size_t n = utf8_seq_len(p + i, len - i);
    if (n == 0) {
      memcpy(out + o, replacement, 3);
      o += 3;
      i++;
    } else {
      memcpy(out + o, p + i, n);
      o += n;
      i += n;
    }
  }
  out[o] = '\0';
  return out;
}

/* \return a new cJSON string holding s[0..len) as UTF-8, a cJSON null when
 * s is NULL, or NULL when out of memory. */
static cJSON *
new_string(const char *s, size_t len)
{
  cJSON *item;
  char *clean;

  if (s == NULL) {
    return cJSON_CreateNull();
  }
  clean = utf8_sanitize(s, len);
  if (clean == NULL) {
    return NULL;
  }
  item = cJSON_CreateString(clean);
  free(clean);
  return item;
}

/* Add item under key, or append it when key is NULL; item NULL means an
 * earlier allocation failed. On failure item is freed.
 * \return 0, or -1 when out of memory. */
static int
put(cJSON *parent, const char *key, cJSON *item)
{
  cJSON_bool ok;

  if (item == NULL) {
    return -1;
  }
  if (key == NULL) {
    ok = cJSON_AddItemToArray(parent, item);
  } else {
    ok = cJSON_AddItemToObject(parent, key, item);
  }
  if (!ok) {
    cJSON_Delete(item);
    return -1;
  }
  return 0;
}

static int
put_bytes(cJSON *parent, const char *key, const char *s, size_t len)
{
  return put(parent, key, new_string(s, len));
}

/* A NUL-terminated string, or null when s is NULL. */
static int
put_str(cJSON *parent, const char *key, const char *s)
{
  return put_bytes(parent, key, s, s ? strlen(s) : 0);
}

/* A non-negative integer, or null when v < 0. Written as decimal digits
 * by us: cJSON prints every number through "%1.15g" and sscanf, a
 * noticeable cost at thousands of domains a second. */
static int
put_count(cJSON *parent, const char *key, long long v)
{
  char digits[24];

  if (v < 0) {
    return put(parent, key, cJSON_CreateNull());
  }
  snprintf(digits, sizeof(digits), "%lld", v);
  return put(parent, key, cJSON_CreateRaw(digits));
}

/* 1 = true, 0 = false, anything else = null. */
static int
put_tristate(cJSON *parent, const char *key, int v)
{
  if (v == 0 || v == 1) {
    return put(parent, key, cJSON_CreateBool(v));
  }
  return put(parent, key, cJSON_CreateNull());
}

/* An array of NUL-terminated strings, or null when is_null is set. */
static int
put_strv(cJSON *parent, const char *key, char *const *v, size_t n, int is_null)
{
  cJSON *arr;

  if (is_null) {
    return put(parent, key, cJSON_CreateNull());
  }
  arr = cJSON_AddArrayToObject(parent, key);
  if (arr == NULL) {
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    if (put_str(arr, NULL, v[i]) != 0) {
      return -1;
    }
  }
  return 0;
}

/* "YYYY-MM-DDTHH:MM:SSZ", or null when t is unset (<= 0) or not
 * representable as a four-digit year. */
static int
put_time(cJSON *parent, const char *key, long long t)
{
  char buf[32];
  struct tm tm;
  time_t tt;

  /* 253402300799 is 9999-12-31T23:59:59Z. */
  if (t <= 0 || t > 253402300799LL || (long long)(time_t)t != t) {
    return put(parent, key, cJSON_CreateNull());
  }
  tt = (time_t)t;
  if (gmtime_r(&tt, &tm) == NULL ||
      strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
    return put(parent, key, cJSON_CreateNull());
  }
  return put_str(parent, key, buf);
}

/* The "record" object shared by mta_sts and tls_rpt, up to "txt". */
static cJSON *
add_record_head(cJSON *parent, const struct mts_record_view *rec)
{
  cJSON *obj, *txt;

  obj = cJSON_AddObjectToObject(parent, "record");
  if (obj == NULL) {
    return NULL;
  }
  if (put_str(obj, "status", mts_record_status_str(rec->status)) != 0 ||
      put_str(obj, "name", rec->name) != 0) {
    return NULL;
  }
  if (rec->status == MTS_REC_UNKNOWN && rec->n_txt == 0) {
    return put(obj, "txt", cJSON_CreateNull()) == 0 ? obj : NULL;
  }
  txt = cJSON_AddArrayToObject(obj, "txt");
  if (txt == NULL) {
    return NULL;
  }
  for (size_t i = 0; i < rec->n_txt; i++) {
    if (put_bytes(txt, NULL, rec->txt[i].data, rec->txt[i].len) != 0) {
      return NULL;
    }
  }
  return obj;
}

static int
add_mta_sts(cJSON *root, const struct mts_result *r)
{
  cJSON *sts, *rec, *pol, *mx, *hosts;
  int parsed;

  sts = cJSON_AddObjectToObject(root, "mta_sts");
  if (sts == NULL) {
    return -1;
  }

  rec = add_record_head(sts, &r->sts.record);
  if (rec == NULL || put_str(rec, "id", r->sts.id) != 0 ||
      put_count(rec, "ttl", r->sts.record.ttl) != 0) {
    return -1;
  }

  pol = cJSON_AddObjectToObject(sts, "policy");
  if (pol == NULL) {
    return -1;
  }
  parsed = r->policy.status == MTS_POLICY_VALID ||
           r->policy.status == MTS_POLICY_INVALID;
  if (put_str(pol, "status", mts_policy_status_str(r->policy.status)) != 0 ||
      put_str(pol, "url", r->policy.url) != 0 ||
      put_count(pol, "http_status", r->policy.http_status) != 0 ||
      put_str(pol, "content_type", r->policy.content_type) != 0 ||
      put_str(pol, "mode", r->policy.mode) != 0 ||
      put_count(pol, "max_age", r->policy.max_age) != 0 ||
      put_strv(pol, "mx", r->policy.mx, r->policy.n_mx, !parsed) != 0 ||
      /* Additions to the contract (CHANGELOG): the policy host's
       * certificate, so that monitoring sees a renewal coming. */
      put_time(pol, "cert_not_after", r->policy.cert_not_after) != 0 ||
      put_count(pol, "cert_days_left",
                r->policy.cert_not_after >= 0 &&
                        r->policy.cert_not_after >= r->checked_at
                    ? (r->policy.cert_not_after - r->checked_at) / 86400
                    : -1) != 0) {
    return -1;
  }

  mx = cJSON_AddObjectToObject(sts, "mx");
  if (mx == NULL || put_tristate(mx, "covered", r->mx.covered) != 0) {
    return -1;
  }
  if (mts_findings_has(&r->findings, MTS_F_MX_LOOKUP_FAILED) ||
      mts_findings_has(&r->findings, MTS_F_DOMAIN_INVALID)) {
    return put(mx, "hosts", cJSON_CreateNull());
  }
  hosts = cJSON_AddArrayToObject(mx, "hosts");
  if (hosts == NULL) {
    return -1;
  }
  for (size_t i = 0; i < r->mx.n_hosts; i++) {
    const struct mts_mx_host *h = &r->mx.hosts[i];
    cJSON *o = cJSON_CreateObject();

    if (put(hosts, NULL, o) != 0 || put_str(o, "name", h->name) != 0 ||
        put_count(o, "preference", h->preference) != 0 ||
        put_tristate(o, "covered", h->covered) != 0 ||
        put_str(o, "matched_by", h->matched_by) != 0) {
      return -1;
    }
  }
  return 0;
}

static int
add_tls_rpt(cJSON *root, const struct mts_result *r)
{
  cJSON *rpt, *rec;

  rpt = cJSON_AddObjectToObject(root, "tls_rpt");
  if (rpt == NULL) {
    return -1;
  }
  rec = add_record_head(rpt, &r->tlsrpt.record);
  if (rec == NULL ||
      put_strv(rec, "rua", r->tlsrpt.rua, r->tlsrpt.n_rua,
               r->tlsrpt.record.status == MTS_REC_UNKNOWN &&
                   r->tlsrpt.n_rua == 0) != 0 ||
      put_count(rec, "ttl", r->tlsrpt.record.ttl) != 0) {
    return -1;
  }
  return 0;
}

static int
add_findings(cJSON *root, const struct mts_findings *list)
{
  cJSON *arr = cJSON_AddArrayToObject(root, "findings");

  if (arr == NULL) {
    return -1;
  }
  for (size_t i = 0; i < list->n; i++) {
    const struct mts_finding *f = &list->v[i];
    cJSON *o = cJSON_CreateObject();

    if (put(arr, NULL, o) != 0 ||
        put_str(o, "code", mts_code_name(f->code)) != 0 ||
        put_str(o, "severity", mts_severity_str(f->severity)) != 0 ||
        put_str(o, "message", f->message ? f->message : "") != 0 ||
        put_bytes(o, "subject", f->subject, f->subject_len) != 0 ||
        put_str(o, "rfc", mts_code_rfc(f->code)) != 0) {
      return -1;
    }
  }
  return 0;
}

enum mts_err
mts_report_json_write(FILE *out, const struct mts_result *r)
{
  enum mts_err err = MTS_ENOMEM;
  cJSON *root = NULL;
  char *text = NULL;

  root = cJSON_CreateObject();
  if (root == NULL) {
    goto done;
  }
  if (put_count(root, "schema_version", 1) != 0 ||
      put_str(root, "domain", r->domain) != 0 ||
      put_str(root, "domain_unicode", r->domain_unicode) != 0 ||
      put_time(root, "checked_at", r->checked_at) != 0 ||
      put_count(root, "duration_ms", r->duration_ms) != 0 ||
      put_str(root, "status", mts_status_str(r->status)) != 0 ||
      add_mta_sts(root, r) != 0 || add_tls_rpt(root, r) != 0 ||
      add_findings(root, &r->findings) != 0) {
    goto done;
  }

  text = cJSON_PrintUnformatted(root);
  if (text == NULL) {
    goto done;
  }
  err = MTS_OK;
  if (fputs(text, out) == EOF || fputc('\n', out) == EOF || ferror(out)) {
    err = MTS_EIO;
  }

done:
  cJSON_free(text);
  cJSON_Delete(root);
  return err;
}

enum mts_err
mts_report_json_policy_write(FILE *out, const struct mts_policy_lint *l)
{
  enum mts_err err = MTS_ENOMEM;
  cJSON *root = NULL, *pol;
  char *text = NULL;

  root = cJSON_CreateObject();
  if (root == NULL) {
    goto done;
  }
  if (put_count(root, "schema_version", 1) != 0 ||
      put_str(root, "kind", "policy-file") != 0 ||
      put_bytes(root, "source", l->source, strlen(l->source)) != 0 ||
      put_str(root, "status", mts_status_str(l->status)) != 0) {
    goto done;
  }
  pol = cJSON_AddObjectToObject(root, "policy");
  if (pol == NULL ||
      put_str(pol, "status", mts_policy_status_str(l->policy_status)) != 0 ||
      put_str(pol, "mode", l->mode) != 0 ||
      put_count(pol, "max_age", l->max_age) != 0 ||
      put_strv(pol, "mx", l->mx, l->n_mx, 0) != 0 ||
      add_findings(root, l->findings) != 0) {
    goto done;
  }
  text = cJSON_PrintUnformatted(root);
  if (text == NULL) {
    goto done;
  }
  err = MTS_OK;
  if (fputs(text, out) == EOF || fputc('\n', out) == EOF || ferror(out)) {
    err = MTS_EIO;
  }

done:
  cJSON_free(text);
  cJSON_Delete(root);
  return err;
}
