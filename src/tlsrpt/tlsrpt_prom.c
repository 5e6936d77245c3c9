/* tsearch(3) is XSI. */
#define _XOPEN_SOURCE 700

#include "mtasts/tlsrpt.h"

#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts/output.h"

/* `mtasts-check report --format prometheus` (docs/monitoring.md, "TLS-RPT
 * report metrics"): the counted reports' figures per policy domain, policy
 * type and organization, result type or receiving MX host, written as
 * counters for node_exporter's textfile collector.
 *
 * Every label value comes from the reports, which anyone can send, so the
 * number of series is bounded: a label value is cut to MAX_LABEL bytes,
 * and past the caps below the values with the smallest figures are summed
 * under "(other)". The rows are indexed by a balanced tree (glibc's
 * tsearch is a red-black tree) rather than a hash table: the keys are
 * chosen by the sender, and a tree has no worst case to aim at. */

#define MAX_LABEL 256   /* bytes of one label value */
#define MAX_DOMAINS 256 /* policy_domain values */
#define MAX_PER_DOMAIN                                                         \
  16 /* organization, result_type, mx_host values per                          \
        policy domain */
#define OTHER "(other)"
#define UNKNOWN "(unknown)"

enum kind {
  K_ORG = 0, /* reports, sessions and failed sessions per organization */
  K_RT,      /* failed sessions per result type (failure details) */
  K_MX,      /* failed sessions per receiving MX host (failure details) */
  K__COUNT,
};

static const char *const kind_label[K__COUNT] = {"organization", "result_type",
                                                 "mx_host"};

struct row {
  enum kind kind;
  const char *type; /* static */
  char *domain;
  char *name;
  uint64_t reports, sessions, failed;
  int64_t last_end; /* INT64_MIN: no date known */
  uint64_t serial;  /* the report counted last in \p reports */
};

struct mts_rpt_prom {
  struct row **v;
  size_t n, cap;
  void *root; /* tsearch tree of v's rows */
  uint64_t serial;
};

enum mts_err
mts_rpt_prom_new(struct mts_rpt_prom **out)
{
  struct mts_rpt_prom *p = calloc(1, sizeof(*p));

  if (p == NULL) {
    return MTS_ENOMEM;
  }
  *out = p;
  return MTS_OK;
}

static int
cmp_row(const void *pa, const void *pb)
{
  const struct row *a = pa, *b = pb;
  int c;

  if (a->kind != b->kind) {
    return a->kind < b->kind ? -1 : 1;
  }
  c = strcmp(a->domain, b->domain);
  if (c == 0) {
    c = strcmp(a->type, b->type);
  }
  if (c == 0) {
    c = strcmp(a->name, b->name);
  }
  return c;
}

void
mts_rpt_prom_free(struct mts_rpt_prom **pp)
{
  struct mts_rpt_prom *p = pp ? *pp : NULL;

  if (p == NULL) {
    return;
  }
  for (size_t i = 0; i < p->n; i++) {
    tdelete(p->v[i], &p->root, cmp_row);
    free(p->v[i]->domain);
    free(p->v[i]->name);
    free(p->v[i]);
  }
  free(p->v);
  free(p);
  *pp = NULL;
}

/* \p s as a label value into \p buf (MAX_LABEL + 1 bytes): NULL or empty
 * is "(unknown)" (an empty value would be no label at all); \p host: ASCII
 * lowercased, one trailing dot removed; cut to MAX_LABEL bytes, never
 * inside a UTF-8 sequence. */
static const char *
label(const char *s, int host, char *buf)
{
  size_t len;

  if (s == NULL || s[0] == '\0') {
    return UNKNOWN;
  }
  len = strlen(s);
  if (host && len > 1 && s[len - 1] == '.') {
    len--;
  }
  if (len > MAX_LABEL) {
    len = MAX_LABEL;
    while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80) {
      len--;
    }
  }
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    buf[i] = host && c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
  }
  buf[len] = '\0';
  return buf[0] != '\0' ? buf : UNKNOWN;
}

static const char *
type_of(const char *s)
{
  static const char *const known[] = {"sts", "tlsa", "no-policy-found"};

  for (size_t i = 0; s != NULL && i < 3; i++) {
    if (strcmp(s, known[i]) == 0) {
      return known[i];
    }
  }
  return s == NULL ? UNKNOWN : OTHER;
}

/* The row of (kind, domain, type, name), added (zero) when new.
 * \return it, or NULL when out of memory. */
static struct row *
row_get(struct mts_rpt_prom *p, enum kind kind, const char *domain,
        const char *type, const char *name)
{
  struct row key, *r = NULL;
  void *node;

  memset(&key, 0, sizeof(key));
  key.kind = kind;
  key.type = type;
  /* The key only reads them. */
  key.domain = (char *)(uintptr_t)domain;
  key.name = (char *)(uintptr_t)name;
  node = tfind(&key, &p->root, cmp_row);
  if (node != NULL) {
    return *(struct row **)node;
  }
  if (p->n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 64;
    struct row **v;
    if (cap > SIZE_MAX / sizeof(*v)) {
      return NULL;
    }
    v = realloc(p->v, cap * sizeof(*v));
    if (v == NULL) {
      return NULL;
    }
    p->v = v;
    p->cap = cap;
  }
  r = calloc(1, sizeof(*r));
  if (r == NULL) {
    return NULL;
  }
  r->kind = kind;
  r->type = type;
  r->domain = strdup(domain);
  r->name = strdup(name);
  r->last_end = INT64_MIN;
  if (r->domain == NULL || r->name == NULL ||
      tsearch(r, &p->root, cmp_row) == NULL) {
    free(r->domain);
    free(r->name);
    free(r);
    return NULL;
  }
  p->v[p->n++] = r;
  return r;
}

static uint64_t
add_sat(uint64_t a, uint64_t b)
{
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

enum mts_err
mts_rpt_prom_add(struct mts_rpt_prom *p, const struct mts_rpt *r)
{
  char dbuf[MAX_LABEL + 1], nbuf[MAX_LABEL + 1];
  const char *org;

  if (!r->valid) {
    return MTS_OK;
  }
  p->serial++;
  for (size_t i = 0; i < r->n_policies; i++) {
    const struct mts_rpt_policy *pol = &r->policies[i];
    const char *domain = label(pol->policy_domain, 1, dbuf);
    const char *type = type_of(pol->policy_type);
    struct row *row;

    org = label(r->organization, 0, nbuf);
    row = row_get(p, K_ORG, domain, type, org);
    if (row == NULL) {
      return MTS_ENOMEM;
    }
    if (row->serial != p->serial) {
      row->serial = p->serial;
      row->reports++;
    }
    row->sessions =
        add_sat(row->sessions, add_sat(pol->successful, pol->failed));
    row->failed = add_sat(row->failed, pol->failed);
    if (r->have_dates && r->end_epoch > row->last_end) {
      row->last_end = r->end_epoch;
    }
    for (size_t j = 0; j < pol->n_by_result_type; j++) {
      const struct mts_rpt_rtcount *rt = &pol->by_result_type[j];
      row = row_get(p, K_RT, domain, type, label(rt->result_type, 0, nbuf));
      if (row == NULL) {
        return MTS_ENOMEM;
      }
      row->failed = add_sat(row->failed, rt->count);
    }
    for (size_t j = 0; j < pol->n_failures; j++) {
      const struct mts_rpt_failure *f = &pol->failures[j];
      row = row_get(p, K_MX, domain, type,
                    label(f->receiving_mx_hostname, 1, nbuf));
      if (row == NULL) {
        return MTS_ENOMEM;
      }
      row->failed = add_sat(row->failed, f->count);
    }
  }
  return MTS_OK;
}

/* ---- the caps ------------------------------------------------------------ */

/* One label value and its weight (sessions of an organization or a
 * domain, failed sessions of a result type or an MX host), ranked within
 * its group (kind, domain). */
struct val {
  enum kind kind;
  const char *domain; /* "" when ranking the domains themselves */
  const char *name;
  uint64_t weight, second;
  int folded;
};

static int
cmp_val_name(const void *pa, const void *pb)
{
  const struct val *a = pa, *b = pb;
  int c;

  if (a->kind != b->kind) {
    return a->kind < b->kind ? -1 : 1;
  }
  c = strcmp(a->domain, b->domain);
  return c != 0 ? c : strcmp(a->name, b->name);
}

/* Within a group, the heaviest first; ties by name, so the choice does
 * not depend on the order the reports were read in. */
static int
cmp_val_rank(const void *pa, const void *pb)
{
  const struct val *a = pa, *b = pb;
  int c;

  if (a->kind != b->kind) {
    return a->kind < b->kind ? -1 : 1;
  }
  c = strcmp(a->domain, b->domain);
  if (c != 0) {
    return c;
  }
  if (a->weight != b->weight) {
    return a->weight > b->weight ? -1 : 1;
  }
  if (a->second != b->second) {
    return a->second > b->second ? -1 : 1;
  }
  return strcmp(a->name, b->name);
}

/* Merge the runs of equal (kind, domain, name) of \p v (sorted by
 * cmp_val_name), summing the weights; mark folded all but the \p cap
 * heaviest of each (kind, domain); leave \p v sorted by name again.
 * \return the number of values left, and the number folded in \p folded
 * (per kind). */
static size_t
rank(struct val *v, size_t n, size_t cap, size_t *folded)
{
  size_t m = 0;

  for (size_t i = 0; i < n; i++) {
    if (m > 0 && cmp_val_name(&v[m - 1], &v[i]) == 0) {
      v[m - 1].weight = add_sat(v[m - 1].weight, v[i].weight);
      v[m - 1].second = add_sat(v[m - 1].second, v[i].second);
    } else {
      v[m++] = v[i];
    }
  }
  qsort(v, m, sizeof(*v), cmp_val_rank);
  for (size_t i = 0, pos = 0; i < m; i++) {
    if (i > 0 && (v[i].kind != v[i - 1].kind ||
                  strcmp(v[i].domain, v[i - 1].domain) != 0)) {
      pos = 0;
    }
    v[i].folded = pos++ >= cap;
    folded[v[i].kind] += (size_t)v[i].folded;
  }
  qsort(v, m, sizeof(*v), cmp_val_name);
  return m;
}

static int
is_folded(const struct val *v, size_t n, enum kind kind, const char *domain,
          const char *name)
{
  struct val key;
  const struct val *hit;

  memset(&key, 0, sizeof(key));
  key.kind = kind;
  key.domain = domain;
  key.name = name;
  hit = bsearch(&key, v, n, sizeof(*v), cmp_val_name);
  return hit != NULL && hit->folded;
}

/* A row as written: labels after the caps. */
struct out {
  enum kind kind;
  const char *domain, *type, *name;
  uint64_t reports, sessions, failed;
  int64_t last_end;
};

static int
cmp_out(const void *pa, const void *pb)
{
  const struct out *a = pa, *b = pb;
  int c;

  if (a->kind != b->kind) {
    return a->kind < b->kind ? -1 : 1;
  }
  c = strcmp(a->domain, b->domain);
  if (c == 0) {
    c = strcmp(a->type, b->type);
  }
  return c != 0 ? c : strcmp(a->name, b->name);
}

/* Organizations only, by (domain, organization): the last report's time
 * does not depend on the policy type. */
static int
cmp_out_org(const void *pa, const void *pb)
{
  const struct out *a = pa, *b = pb;
  int c = strcmp(a->domain, b->domain);

  return c != 0 ? c : strcmp(a->name, b->name);
}

/* ---- writing ------------------------------------------------------------- */

static void
family(FILE *out, const char *name, const char *type, const char *help)
{
  fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
labels(FILE *out, const char *name, const struct out *o, int with_type,
       const char *extra)
{
  fprintf(out, "%s{policy_domain=\"", name);
  mts_prom_label_value(out, o->domain);
  if (with_type) {
    fputs("\",policy_type=\"", out);
    mts_prom_label_value(out, o->type);
  }
  fprintf(out, "\",%s=\"", extra);
  mts_prom_label_value(out, o->name);
  fputs("\"} ", out);
}

enum fam { F_REPORTS, F_SESSIONS, F_FAILED, F_BY_RT, F_BY_MX };

static const struct {
  const char *name, *help;
  enum kind kind;
} fams[] = {
    [F_REPORTS] = {"mtasts_tlsrpt_reports_total",
                   "TLS-RPT reports counted (valid, first seen) with a policy "
                   "of this type for the domain, per reporting organization.",
                   K_ORG},
    [F_SESSIONS] = {"mtasts_tlsrpt_sessions_total",
                    "Sessions reported (successful plus failed) under a "
                    "policy of this type for the domain, per reporting "
                    "organization.",
                    K_ORG},
    [F_FAILED] = {"mtasts_tlsrpt_failed_sessions_total",
                  "Failed sessions reported (total-failure-session-count) "
                  "under a policy of this type for the domain, per reporting "
                  "organization.",
                  K_ORG},
    [F_BY_RT] = {"mtasts_tlsrpt_failed_sessions_by_result_type_total",
                 "Failed sessions of the failure details, per result type.",
                 K_RT},
    [F_BY_MX] = {"mtasts_tlsrpt_failed_sessions_by_mx_host_total",
                 "Failed sessions of the failure details, per receiving MX "
                 "host.",
                 K_MX},
};

static void
write_family(FILE *out, const struct out *o, size_t n, enum fam f)
{
  int any = 0;

  for (size_t i = 0; i < n; i++) {
    uint64_t v;
    if (o[i].kind != fams[f].kind) {
      continue;
    }
    if (!any) {
      family(out, fams[f].name, "counter", fams[f].help);
      any = 1;
    }
    v = f == F_REPORTS    ? o[i].reports
        : f == F_SESSIONS ? o[i].sessions
                          : o[i].failed;
    labels(out, fams[f].name, &o[i], 1, kind_label[o[i].kind]);
    fprintf(out, "%llu\n", (unsigned long long)v);
  }
}

static void
write_last_report(FILE *out, struct out *o, size_t n)
{
  static const char name[] = "mtasts_tlsrpt_last_report_timestamp_seconds";
  size_t m = 0;
  int any = 0;

  /* o[0..m) are the organization rows, merged over the policy types. */
  for (size_t i = 0; i < n; i++) {
    if (o[i].kind == K_ORG) {
      o[m++] = o[i];
    }
  }
  qsort(o, m, sizeof(*o), cmp_out_org);
  for (size_t i = 0; i < m;) {
    int64_t last = o[i].last_end;
    size_t j = i + 1;
    for (; j < m && cmp_out_org(&o[i], &o[j]) == 0; j++) {
      if (o[j].last_end > last) {
        last = o[j].last_end;
      }
    }
    if (last != INT64_MIN) {
      if (!any) {
        family(out, name, "gauge",
               "End of the date range of the latest report counted from "
               "this organization for the domain, seconds since the epoch.");
        any = 1;
      }
      labels(out, name, &o[i], 0, "organization");
      fprintf(out, "%lld\n", (long long)last);
    }
    i = j;
  }
}

static void
write_run(FILE *out, const struct mts_rpt_tally *t, const size_t folded[4],
          long long now)
{
  static const char *const fold_label[4] = {"policy_domain", "organization",
                                            "result_type", "mx_host"};
  uint64_t counted = t->reports - t->invalid - t->duplicates;

  if (t->invalid + t->duplicates > t->reports) {
    counted = 0;
  }
  family(out, "mtasts_tlsrpt_last_run_reports", "gauge",
         "Reports the last run read: counted (valid, first seen), "
         "duplicate, invalid (or unreadable).");
  fprintf(out, "mtasts_tlsrpt_last_run_reports{status=\"counted\"} %llu\n",
          (unsigned long long)counted);
  fprintf(out, "mtasts_tlsrpt_last_run_reports{status=\"duplicate\"} %llu\n",
          (unsigned long long)t->duplicates);
  fprintf(out, "mtasts_tlsrpt_last_run_reports{status=\"invalid\"} %llu\n",
          (unsigned long long)t->invalid);
  family(out, "mtasts_tlsrpt_last_run_label_values_folded", "gauge",
         "Label values the caps replaced by (other) in the last run "
         "(docs/monitoring.md).");
  for (size_t i = 0; i < 4; i++) {
    fprintf(out,
            "mtasts_tlsrpt_last_run_label_values_folded{label=\"%s\"} %zu\n",
            fold_label[i], folded[i]);
  }
  family(out, "mtasts_tlsrpt_last_run_timestamp_seconds", "gauge",
         "When the last run wrote these metrics, seconds since the epoch.");
  fprintf(out, "mtasts_tlsrpt_last_run_timestamp_seconds %lld\n", now);
}

enum mts_err
mts_rpt_prom_write(FILE *out, const struct mts_rpt_prom *p,
                   const struct mts_rpt_tally *t, long long now)
{
  struct val *doms = NULL, *names = NULL;
  struct out *o = NULL;
  size_t nd = 0, nn = 0, m = 0;
  size_t dom_folded[K__COUNT] = {0}, name_folded[K__COUNT] = {0};
  size_t folded[4];
  enum mts_err err = MTS_ENOMEM;

  /* At least one element each: qsort and bsearch want real pointers. */
  doms = calloc(p->n + 1, sizeof(*doms));
  names = calloc(p->n + 1, sizeof(*names));
  o = calloc(p->n + 1, sizeof(*o));
  if (doms == NULL || names == NULL || o == NULL) {
    goto done;
  }
  /* 1. The policy domains, by sessions (then failed sessions). */
  for (size_t i = 0; i < p->n; i++) {
    const struct row *r = p->v[i];
    if (r->kind == K_ORG) {
      doms[nd].kind = K_ORG;
      doms[nd].domain = "";
      doms[nd].name = r->domain;
      doms[nd].weight = r->sessions;
      doms[nd].second = r->failed;
      nd++;
    }
  }
  qsort(doms, nd, sizeof(*doms), cmp_val_name);
  nd = rank(doms, nd, MAX_DOMAINS, dom_folded);

  /* 2. Organizations, result types and MX hosts within each domain kept
   *    (or within "(other)"). */
  for (size_t i = 0; i < p->n; i++) {
    const struct row *r = p->v[i];
    o[i].kind = r->kind;
    o[i].domain = is_folded(doms, nd, K_ORG, "", r->domain) ? OTHER : r->domain;
    o[i].type = r->type;
    o[i].name = r->name;
    o[i].reports = r->reports;
    o[i].sessions = r->sessions;
    o[i].failed = r->failed;
    o[i].last_end = r->last_end;
    names[nn].kind = r->kind;
    names[nn].domain = o[i].domain;
    names[nn].name = r->name;
    names[nn].weight = r->kind == K_ORG ? r->sessions : r->failed;
    names[nn].second = r->kind == K_ORG ? r->failed : 0;
    nn++;
  }
  qsort(names, nn, sizeof(*names), cmp_val_name);
  nn = rank(names, nn, MAX_PER_DOMAIN, name_folded);
  for (size_t i = 0; i < p->n; i++) {
    if (is_folded(names, nn, o[i].kind, o[i].domain, o[i].name)) {
      o[i].name = OTHER;
    }
  }

  /* 3. Merge the rows that now have the same labels. */
  qsort(o, p->n, sizeof(*o), cmp_out);
  for (size_t i = 0; i < p->n; i++) {
    if (m > 0 && cmp_out(&o[m - 1], &o[i]) == 0) {
      struct out *a = &o[m - 1];
      a->reports = add_sat(a->reports, o[i].reports);
      a->sessions = add_sat(a->sessions, o[i].sessions);
      a->failed = add_sat(a->failed, o[i].failed);
      if (o[i].last_end > a->last_end) {
        a->last_end = o[i].last_end;
      }
    } else {
      o[m++] = o[i];
    }
  }

  write_family(out, o, m, F_REPORTS);
  write_family(out, o, m, F_SESSIONS);
  write_family(out, o, m, F_FAILED);
  write_family(out, o, m, F_BY_RT);
  write_family(out, o, m, F_BY_MX);
  write_last_report(out, o, m);
  folded[0] = dom_folded[K_ORG];
  folded[1] = name_folded[K_ORG];
  folded[2] = name_folded[K_RT];
  folded[3] = name_folded[K_MX];
  write_run(out, t, folded, now);
  err = ferror(out) ? MTS_EIO : MTS_OK;
done:
  free(doms);
  free(names);
  free(o);
  return err;
}
