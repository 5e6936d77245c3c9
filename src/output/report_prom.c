#include "mtasts/output.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts/hash.h"
#include "mtasts/utf8.h"

/* --format prometheus: the Prometheus text exposition format (version
 * 0.0.4), as node_exporter's textfile collector reads it
 * (docs/monitoring.md lists the metrics).
 *
 * The format wants each metric family's HELP and TYPE once, with all its
 * samples together, so the results of every domain are collected first
 * (a few numbers each) and written at the end. A domain seen twice keeps
 * its last result at its first place: the textfile collector rejects a
 * file with a duplicate series. No sample carries a timestamp: the
 * collector rejects those too. */

enum mode {
  MODE_UNKNOWN = -1,
  MODE_ENFORCE = 0,
  MODE_TESTING,
  MODE_NONE,
  MODE__COUNT,
};

static const char *const mode_names[MODE__COUNT] = {"enforce", "testing",
                                                    "none"};

/* One finding code of a domain, with the severity it was reported at. */
struct code_count {
  enum mts_code code;
  enum mts_severity severity;
  unsigned long count;
};

/* What the metrics need from one result. */
struct entry {
  char *domain;
  enum mts_status status;
  enum mts_record_status sts, tlsrpt;
  enum mts_policy_status policy;
  int covered; /* 1, 0, -1 = not evaluated */
  enum mode mode;
  long max_age;
  long long cert_not_after;
  long long checked_at;
  long duration_ms;
  long sts_ttl, tlsrpt_ttl;
  unsigned long by_severity[3]; /* indexed by enum mts_severity */
  struct code_count *codes;
  size_t n_codes;
  /* MX transport (issue 12): one per probed MX address. */
  struct mx_sample {
    char *mx, *ip;
    enum mts_smtp_status status;
    long long cert_not_after; /* -1: no certificate seen */
  } * mxs;
  size_t n_mxs;
};

struct mts_report_prom {
  struct entry *v;
  size_t n, cap;
  size_t *slots; /* open addressing on the domain: index + 1, 0 = empty */
  size_t n_slots;
  /* The domains are the operator's, but a list may gather names that
   * others chose (customers' domains): keyed, so they cannot collide on
   * purpose. */
  struct mts_hash_key key;
};

enum mts_err
mts_report_prom_new(struct mts_report_prom **out)
{
  struct mts_report_prom *p = calloc(1, sizeof(*p));

  if (p == NULL) {
    return MTS_ENOMEM;
  }
  mts_hash_key_new(&p->key);
  *out = p;
  return MTS_OK;
}

static void
entry_release(struct entry *e)
{
  free(e->domain);
  free(e->codes);
  for (size_t i = 0; i < e->n_mxs; i++) {
    free(e->mxs[i].mx);
    free(e->mxs[i].ip);
  }
  free(e->mxs);
  memset(e, 0, sizeof(*e));
}

void
mts_report_prom_free(struct mts_report_prom **pp)
{
  struct mts_report_prom *p = pp ? *pp : NULL;

  if (p == NULL) {
    return;
  }
  for (size_t i = 0; i < p->n; i++) {
    entry_release(&p->v[i]);
  }
  free(p->v);
  free(p->slots);
  free(p);
  *pp = NULL;
}

static enum mode
mode_of(const char *s)
{
  for (int i = 0; s != NULL && i < MODE__COUNT; i++) {
    if (strcmp(s, mode_names[i]) == 0) {
      return (enum mode)i;
    }
  }
  return MODE_UNKNOWN;
}

/* The probed MX addresses of \p r (issue 12). */
static enum mts_err
mx_fill(struct entry *e, const struct mts_result *r)
{
  size_t n = 0;

  for (size_t i = 0; i < r->mx.n_hosts; i++) {
    for (size_t k = 0; k < r->mx.hosts[i].n_addrs; k++) {
      n += r->mx.hosts[i].addrs[k].smtp != NULL;
    }
  }
  if (n == 0) {
    return MTS_OK;
  }
  e->mxs = calloc(n, sizeof(*e->mxs));
  if (e->mxs == NULL) {
    entry_release(e);
    return MTS_ENOMEM;
  }
  for (size_t i = 0; i < r->mx.n_hosts; i++) {
    const struct mts_mx_host *h = &r->mx.hosts[i];
    for (size_t k = 0; k < h->n_addrs; k++) {
      const struct mts_smtp_view *v = h->addrs[k].smtp;
      struct mx_sample *m = &e->mxs[e->n_mxs];
      if (v == NULL) {
        continue;
      }
      m->mx = strdup(h->name);
      m->ip = strdup(h->addrs[k].ip);
      m->status = v->status;
      m->cert_not_after = v->cert_seen ? v->cert_not_after : -1;
      e->n_mxs++;
      if (m->mx == NULL || m->ip == NULL) {
        entry_release(e);
        return MTS_ENOMEM;
      }
    }
  }
  return MTS_OK;
}

/* Fill \p e from \p r. \return MTS_OK or MTS_ENOMEM (e is then empty). */
static enum mts_err
entry_fill(struct entry *e, const struct mts_result *r)
{
  const struct mts_findings *f = &r->findings;

  memset(e, 0, sizeof(*e));
  e->domain = strdup(r->domain != NULL ? r->domain : "");
  if (f->n > 0) {
    e->codes = calloc(f->n, sizeof(e->codes[0]));
  }
  if (e->domain == NULL || (f->n > 0 && e->codes == NULL)) {
    entry_release(e);
    return MTS_ENOMEM;
  }
  e->status = r->status;
  e->sts = r->sts.record.status;
  e->tlsrpt = r->tlsrpt.record.status;
  e->policy = r->policy.status;
  e->covered = r->mx.covered;
  e->mode = mode_of(r->policy.mode);
  e->max_age = r->policy.max_age;
  /* The earliest notAfter of every address that answered: a renewal
   * forgotten on one server of the policy host alerts too (issue 10). */
  e->cert_not_after = r->policy.cert_not_after;
  for (size_t i = 0; i < r->policy.n_addrs; i++) {
    long long t = r->policy.addrs[i].cert_not_after;
    if (t >= 0 && (e->cert_not_after < 0 || t < e->cert_not_after)) {
      e->cert_not_after = t;
    }
  }
  e->checked_at = r->checked_at;
  e->duration_ms = r->duration_ms;
  e->sts_ttl = r->sts.record.ttl;
  e->tlsrpt_ttl = r->tlsrpt.record.ttl;
  for (size_t i = 0; i < f->n; i++) {
    const struct mts_finding *fi = &f->v[i];
    size_t j;

    if ((unsigned)fi->severity < 3) {
      e->by_severity[fi->severity]++;
    }
    for (j = 0; j < e->n_codes; j++) {
      if (e->codes[j].code == fi->code &&
          e->codes[j].severity == fi->severity) {
        break;
      }
    }
    if (j == e->n_codes) {
      e->codes[j].code = fi->code;
      e->codes[j].severity = fi->severity;
      e->n_codes++;
    }
    e->codes[j].count++;
  }
  return mx_fill(e, r);
}

/* The slot of \p domain: where it is, or the empty slot where it goes. */
static size_t
slot_find(const struct mts_report_prom *p, const char *domain)
{
  size_t mask = p->n_slots - 1;
  size_t i = (size_t)mts_siphash(&p->key, domain, strlen(domain)) & mask;

  while (p->slots[i] != 0 && strcmp(p->v[p->slots[i] - 1].domain, domain)) {
    i = (i + 1) & mask;
  }
  return i;
}

/* Keep the table at most half full. */
static enum mts_err
slots_grow(struct mts_report_prom *p)
{
  size_t n = p->n_slots ? p->n_slots : 64;
  size_t *old = p->slots, old_n = p->n_slots;

  if (p->n_slots > 0 && (p->n + 1) * 2 <= p->n_slots) {
    return MTS_OK;
  }
  while ((p->n + 1) * 2 > n) {
    if (n > SIZE_MAX / 2 / sizeof(size_t)) {
      return MTS_ENOMEM;
    }
    n *= 2;
  }
  p->slots = calloc(n, sizeof(size_t));
  if (p->slots == NULL) {
    p->slots = old;
    return MTS_ENOMEM;
  }
  p->n_slots = n;
  for (size_t i = 0; i < old_n; i++) {
    if (old[i] != 0) {
      p->slots[slot_find(p, p->v[old[i] - 1].domain)] = old[i];
    }
  }
  free(old);
  return MTS_OK;
}

enum mts_err
mts_report_prom_add(struct mts_report_prom *p, const struct mts_result *r)
{
  struct entry e;
  enum mts_err err;
  size_t s;

  err = slots_grow(p);
  if (err != MTS_OK) {
    return err;
  }
  if (p->n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 64;
    struct entry *v;
    if (cap > SIZE_MAX / sizeof(*v)) {
      return MTS_ENOMEM;
    }
    v = realloc(p->v, cap * sizeof(*v));
    if (v == NULL) {
      return MTS_ENOMEM;
    }
    p->v = v;
    p->cap = cap;
  }
  err = entry_fill(&e, r);
  if (err != MTS_OK) {
    return err;
  }
  s = slot_find(p, e.domain);
  if (p->slots[s] != 0) {
    /* The same domain again: its last result wins, at its first place. */
    entry_release(&p->v[p->slots[s] - 1]);
    p->v[p->slots[s] - 1] = e;
  } else {
    p->v[p->n] = e;
    p->slots[s] = ++p->n;
  }
  return MTS_OK;
}

/* ---- writing ------------------------------------------------------------- */

/* A label value: the format escapes backslash, double quote and line feed;
 * it must be UTF-8, so a byte that is not is written as U+FFFD. */
void
mts_prom_label_value(FILE *out, const char *s)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t len = strlen(s);

  for (size_t i = 0; i < len;) {
    size_t n = mts_utf8_seq_len(p + i, len - i);
    if (n == 0) {
      fputs(MTS_UTF8_REPLACEMENT, out);
      i++;
    } else if (p[i] == '\\') {
      fputs("\\\\", out);
      i++;
    } else if (p[i] == '"') {
      fputs("\\\"", out);
      i++;
    } else if (p[i] == '\n') {
      fputs("\\n", out);
      i++;
    } else {
      fwrite(p + i, 1, n, out);
      i += n;
    }
  }
}

static void
family(FILE *out, const char *name, const char *help)
{
  fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* name{domain="..." then the caller's other labels, then "} value\n". */
static void
sample_start(FILE *out, const char *name, const struct entry *e)
{
  fprintf(out, "%s{domain=\"", name);
  mts_prom_label_value(out, e->domain);
  fputc('"', out);
}

static void
sample_long(FILE *out, const char *name, const struct entry *e, long v)
{
  sample_start(out, name, e);
  fprintf(out, "} %ld\n", v);
}

/* Milliseconds as seconds, without floating point: "1.234". */
static void
sample_ms(FILE *out, const char *name, const struct entry *e, long ms)
{
  sample_start(out, name, e);
  fprintf(out, "} %ld.%03ld\n", ms / 1000, ms % 1000);
}

static const char *const check_names[] = {
    "overall", "mta_sts_record", "tls_rpt_record", "policy", "mx_coverage",
};
#define N_CHECKS (sizeof(check_names) / sizeof(check_names[0]))

/* The states of each check, in a fixed order, and which one holds. */
static size_t
check_states(size_t check, const char *const **names)
{
  static const char *const overall[] = {"ok", "warning", "error", "unknown"};
  static const char *const record[] = {"valid", "invalid", "missing",
                                       "unknown"};
  static const char *const policy[] = {"valid", "invalid", "unreachable",
                                       "not-checked"};
  static const char *const mx[] = {"covered", "not-covered", "not-checked"};

  switch (check) {
    case 0:
      *names = overall;
      return 4;
    case 1:
    case 2:
      *names = record;
      return 4;
    case 3:
      *names = policy;
      return 4;
    default:
      *names = mx;
      return 3;
  }
}

static const char *
check_current(const struct entry *e, size_t check)
{
  switch (check) {
    case 0:
      return mts_status_str(e->status);
    case 1:
      return mts_record_status_str(e->sts);
    case 2:
      return mts_record_status_str(e->tlsrpt);
    case 3:
      return mts_policy_status_str(e->policy);
    default:
      return e->covered == 1   ? "covered"
             : e->covered == 0 ? "not-covered"
                               : "not-checked";
  }
}

static void
write_check_status(FILE *out, const struct mts_report_prom *p)
{
  static const char name[] = "mtasts_check_status";

  family(out, name,
         "1 for the current status of a check, 0 for its other "
         "statuses (check: overall, mta_sts_record, tls_rpt_record, "
         "policy, mx_coverage).");
  for (size_t i = 0; i < p->n; i++) {
    const struct entry *e = &p->v[i];
    for (size_t c = 0; c < N_CHECKS; c++) {
      const char *const *states;
      size_t n = check_states(c, &states);
      const char *cur = check_current(e, c);
      for (size_t s = 0; s < n; s++) {
        sample_start(out, name, e);
        fprintf(out, ",check=\"%s\",status=\"%s\"} %d\n", check_names[c],
                states[s], strcmp(cur, states[s]) == 0);
      }
    }
  }
}

static void
write_mode(FILE *out, const struct mts_report_prom *p)
{
  static const char name[] = "mtasts_policy_mode";
  int any = 0;

  for (size_t i = 0; i < p->n; i++) {
    const struct entry *e = &p->v[i];
    if (e->mode == MODE_UNKNOWN) {
      continue;
    }
    if (!any) {
      family(out, name,
             "1 for the policy's mode, 0 for the other modes (only when "
             "the policy was fetched and its mode is known).");
      any = 1;
    }
    for (int m = 0; m < MODE__COUNT; m++) {
      sample_start(out, name, e);
      fprintf(out, ",mode=\"%s\"} %d\n", mode_names[m], (int)e->mode == m);
    }
  }
}

/* The policy and certificate numbers: one family each, samples only for
 * the domains where the value is known. */
enum num {
  NUM_MAX_AGE = 0,
  NUM_CERT_NOT_AFTER,
  NUM_CERT_DAYS,
  NUM_DURATION,
  NUM_CHECKED_AT,
  NUM__COUNT,
};

static const struct {
  const char *name;
  const char *help;
} nums[NUM__COUNT] = {
    [NUM_MAX_AGE] = {"mtasts_policy_max_age_seconds",
                     "The policy's max_age (RFC 8461, section 3.2)."},
    [NUM_CERT_NOT_AFTER] =
        {"mtasts_policy_cert_not_after_timestamp_seconds",
         "End of validity (notAfter) of the policy host's certificate, "
         "seconds since the epoch."},
    [NUM_CERT_DAYS] =
        {"mtasts_policy_cert_expiry_days",
         "Days from the check to the end of validity of the policy host's "
         "certificate; negative once expired."},
    [NUM_DURATION] = {"mtasts_check_duration_seconds",
                      "How long the check of the domain took."},
    [NUM_CHECKED_AT] = {"mtasts_check_timestamp_seconds",
                        "When the check of the domain started, seconds since "
                        "the epoch."},
};

static int
num_known(const struct entry *e, enum num k)
{
  switch (k) {
    case NUM_MAX_AGE:
      return e->max_age >= 0;
    case NUM_CERT_NOT_AFTER:
      return e->cert_not_after >= 0;
    case NUM_CERT_DAYS:
      return e->cert_not_after >= 0 && e->checked_at > 0;
    case NUM_DURATION:
      return e->duration_ms >= 0;
    case NUM_CHECKED_AT:
      return e->checked_at > 0;
    case NUM__COUNT:
      break;
  }
  return 0;
}

static void
write_num(FILE *out, const struct mts_report_prom *p, enum num k)
{
  int any = 0;

  for (size_t i = 0; i < p->n; i++) {
    const struct entry *e = &p->v[i];
    if (!num_known(e, k)) {
      continue;
    }
    if (!any) {
      family(out, nums[k].name, nums[k].help);
      any = 1;
    }
    switch (k) {
      case NUM_MAX_AGE:
        sample_long(out, nums[k].name, e, e->max_age);
        break;
      case NUM_CERT_NOT_AFTER:
        sample_start(out, nums[k].name, e);
        fprintf(out, "} %lld\n", e->cert_not_after);
        break;
      case NUM_CERT_DAYS:
        sample_start(out, nums[k].name, e);
        fprintf(out, "} %.3f\n",
                (double)(e->cert_not_after - e->checked_at) / 86400.0);
        break;
      case NUM_DURATION:
        sample_ms(out, nums[k].name, e, e->duration_ms);
        break;
      case NUM_CHECKED_AT:
        sample_start(out, nums[k].name, e);
        fprintf(out, "} %lld\n", e->checked_at);
        break;
      case NUM__COUNT:
        break;
    }
  }
}

static void
write_ttls(FILE *out, const struct mts_report_prom *p)
{
  static const char name[] = "mtasts_record_ttl_seconds";
  int any = 0;

  for (size_t i = 0; i < p->n; i++) {
    const struct entry *e = &p->v[i];
    const long ttl[2] = {e->sts_ttl, e->tlsrpt_ttl};
    for (size_t c = 0; c < 2; c++) {
      if (ttl[c] < 0) {
        continue;
      }
      if (!any) {
        family(out, name,
               "TTL of the record's RRset (check: mta_sts_record, "
               "tls_rpt_record).");
        any = 1;
      }
      sample_start(out, name, e);
      fprintf(out, ",check=\"%s\"} %ld\n", check_names[1 + c], ttl[c]);
    }
  }
}

static void
write_findings(FILE *out, const struct mts_report_prom *p)
{
  static const char name[] = "mtasts_findings";
  static const char by_code[] = "mtasts_findings_by_code";
  static const enum mts_severity sevs[] = {MTS_SEV_ERROR, MTS_SEV_WARNING,
                                           MTS_SEV_INFO};
  int any = 0;

  if (p->n > 0) {
    family(out, name, "Number of findings of the domain, per severity.");
  }
  for (size_t i = 0; i < p->n; i++) {
    const struct entry *e = &p->v[i];
    for (size_t s = 0; s < 3; s++) {
      sample_start(out, name, e);
      fprintf(out, ",severity=\"%s\"} %lu\n", mts_severity_str(sevs[s]),
              e->by_severity[sevs[s]]);
    }
  }
  for (size_t i = 0; i < p->n; i++) {
    const struct entry *e = &p->v[i];
    for (size_t j = 0; j < e->n_codes; j++) {
      if (!any) {
        family(out, by_code,
               "Number of findings of the domain with this code "
               "(docs/findings.md); only codes that were found.");
        any = 1;
      }
      sample_start(out, by_code, e);
      fprintf(out, ",code=\"%s\",severity=\"%s\"} %lu\n",
              mts_code_name(e->codes[j].code),
              mts_severity_str(e->codes[j].severity), e->codes[j].count);
    }
  }
}

/* MX transport (issue 12): per MX address, the probe's status (a state
 * set) and the certificate's days left. Written only when some address was
 * probed, so a run with --no-smtp has the families it always had. */
static void
mx_sample_start(FILE *out, const char *name, const struct entry *e,
                const struct mx_sample *m)
{
  sample_start(out, name, e);
  fputs(",mx=\"", out);
  mts_prom_label_value(out, m->mx);
  fputs("\",address=\"", out);
  mts_prom_label_value(out, m->ip);
  fputc('"', out);
}

static void
write_mx(FILE *out, const struct mts_report_prom *p, long long now)
{
  static const enum mts_smtp_status states[] = {
      MTS_SMTP_OK, MTS_SMTP_FAILED, MTS_SMTP_UNREACHABLE, MTS_SMTP_NOT_CHECKED};
  int any = 0, certs = 0;

  for (size_t i = 0; i < p->n; i++) {
    any |= p->v[i].n_mxs > 0;
    for (size_t k = 0; k < p->v[i].n_mxs; k++) {
      certs |= p->v[i].mxs[k].cert_not_after >= 0;
    }
  }
  if (!any) {
    return;
  }
  family(out, "mtasts_mx_probe_status",
         "The SMTP STARTTLS probe of one MX address: 1 for its status.");
  for (size_t i = 0; i < p->n; i++) {
    for (size_t k = 0; k < p->v[i].n_mxs; k++) {
      for (size_t s = 0; s < sizeof(states) / sizeof(states[0]); s++) {
        mx_sample_start(out, "mtasts_mx_probe_status", &p->v[i],
                        &p->v[i].mxs[k]);
        fprintf(out, ",status=\"%s\"} %d\n", mts_smtp_status_str(states[s]),
                p->v[i].mxs[k].status == states[s]);
      }
    }
  }
  if (!certs) {
    return;
  }
  family(out, "mtasts_mx_cert_days_left",
         "Whole days until the MX address's certificate expires (negative "
         "once expired).");
  for (size_t i = 0; i < p->n; i++) {
    for (size_t k = 0; k < p->v[i].n_mxs; k++) {
      const struct mx_sample *m = &p->v[i].mxs[k];
      long long d;
      if (m->cert_not_after < 0) {
        continue;
      }
      d = m->cert_not_after >= now
              ? (m->cert_not_after - now) / 86400
              : -((now - m->cert_not_after + 86399) / 86400);
      mx_sample_start(out, "mtasts_mx_cert_days_left", &p->v[i], m);
      fprintf(out, "} %lld\n", d);
    }
  }
}

enum mts_err
mts_report_prom_write(FILE *out, const struct mts_report_prom *p, long long now)
{
  if (p->n > 0) {
    write_check_status(out, p);
  }
  write_mode(out, p);
  write_num(out, p, NUM_MAX_AGE);
  write_num(out, p, NUM_CERT_NOT_AFTER);
  write_num(out, p, NUM_CERT_DAYS);
  write_ttls(out, p);
  write_findings(out, p);
  write_mx(out, p, now);
  write_num(out, p, NUM_DURATION);
  write_num(out, p, NUM_CHECKED_AT);
  family(out, "mtasts_last_run_domains",
         "Number of domains the last run reported.");
  fprintf(out, "mtasts_last_run_domains %zu\n", p->n);
  family(out, "mtasts_last_run_timestamp_seconds",
         "When the last run wrote these metrics, seconds since the epoch.");
  fprintf(out, "mtasts_last_run_timestamp_seconds %lld\n", now);
  return ferror(out) ? MTS_EIO : MTS_OK;
}
