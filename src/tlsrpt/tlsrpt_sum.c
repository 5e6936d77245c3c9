#include "mtasts/tlsrpt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts/hash.h"
#include "tlsrpt_sum.h"

/* Aggregation of TLS-RPT reports (docs/reports.md "Summary").
 *
 * Every table is an array of entries plus an open-addressing index of
 * their hashes, so that hostile input (a report with 100,000 distinct MX
 * host names) costs linear time, not quadratic. Every name in the tables
 * comes from a report, so the hash is keyed (SipHash-2-4, a key drawn at
 * random for each mts_rpt_sum): names made to collide under an unkeyed
 * hash (FNV-1a) do not collide here. Sorting happens once, on a shallow
 * copy, when the caller asks for the groups. */

#define UNKNOWN_NAME "(unknown)"
/* The first capacity of every array (and of its index, twice that): most
 * tables of a group hold a handful of rows, and a run may have thousands
 * of groups. Every array grows by doubling from it, in step with its
 * index's hash array (hidx_add). */
#define FIRST_CAP 4

/* ---- hashing ---------------------------------------------------------- */

/* The index: slot[i] holds entry number + 1, or 0 when free; h[] holds
 * each entry's hash, so that growing needs no rehash callback. */
struct hidx {
  uint32_t *slot;
  size_t nslot; /* a power of two, or 0 */
  uint64_t *h;
  size_t n, cap;
  uint64_t probes; /* slots looked at, for the tests (tlsrpt_sum.h) */
};

typedef int (*eq_fn)(const void *ctx, size_t i);

static void
hidx_release(struct hidx *x)
{
  free(x->slot);
  free(x->h);
  memset(x, 0, sizeof(*x));
}

/* \return the entry equal to ctx (eq), or SIZE_MAX. */
static size_t
hidx_find(struct hidx *x, uint64_t hash, eq_fn eq, const void *ctx)
{
  size_t mask, i;

  if (x->nslot == 0) {
    return SIZE_MAX;
  }
  mask = x->nslot - 1;
  for (i = (size_t)hash & mask; x->slot[i] != 0; i = (i + 1) & mask) {
    size_t e = x->slot[i] - 1u;
    x->probes++;
    if (x->h[e] == hash && eq(ctx, e)) {
      return e;
    }
  }
  return SIZE_MAX;
}

static void
hidx_place(struct hidx *x, size_t e)
{
  size_t mask = x->nslot - 1, i;

  for (i = (size_t)x->h[e] & mask; x->slot[i] != 0; i = (i + 1) & mask) {
    x->probes++;
  }
  x->slot[i] = (uint32_t)(e + 1);
}

/* Append entry number x->n with \p hash. \return 0, or -1 (no memory, or
 * more entries than the index can number). */
static int
hidx_add(struct hidx *x, uint64_t hash)
{
  if (x->n >= UINT32_MAX - 1) {
    return -1;
  }
  if (x->n == x->cap) {
    size_t cap = x->cap ? x->cap * 2 : FIRST_CAP;
    uint64_t *h = realloc(x->h, cap * sizeof(*h));
    if (h == NULL) {
      return -1;
    }
    x->h = h;
    x->cap = cap;
  }
  /* Load at most one half. */
  if ((x->n + 1) * 2 > x->nslot) {
    size_t nslot = x->nslot ? x->nslot * 2 : (size_t)2 * FIRST_CAP;
    uint32_t *slot = calloc(nslot, sizeof(*slot));
    if (slot == NULL) {
      return -1;
    }
    free(x->slot);
    x->slot = slot;
    x->nslot = nslot;
    for (size_t e = 0; e < x->n; e++) {
      hidx_place(x, e);
    }
  }
  x->h[x->n] = hash;
  hidx_place(x, x->n);
  x->n++;
  return 0;
}

static uint64_t
add_sat(uint64_t a, uint64_t b)
{
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* ---- count tables ----------------------------------------------------- */

struct ctab {
  struct mts_rpt_count *v;
  struct hidx x;
};

struct name_key {
  const struct ctab *t;
  const char *s;
  size_t len;
};

static int
name_eq(const void *ctx, size_t i)
{
  const struct name_key *k = ctx;
  const char *name = k->t->v[i].name;

  return strlen(name) == k->len && memcmp(name, k->s, k->len) == 0;
}

/* The row named s[0..len), added (zero) when new. \return it, or NULL. */
static struct mts_rpt_count *
ctab_get(struct ctab *t, const struct mts_hash_key *key, const char *s,
         size_t len)
{
  struct name_key k = {t, s, len};
  uint64_t hash = mts_siphash(key, s, len);
  size_t i = hidx_find(&t->x, hash, name_eq, &k);
  struct mts_rpt_count *row;
  char *name;

  if (i != SIZE_MAX) {
    return &t->v[i];
  }
  if (t->x.n == t->x.cap) {
    size_t cap = t->x.cap ? t->x.cap * 2 : FIRST_CAP;
    struct mts_rpt_count *v = realloc(t->v, cap * sizeof(*v));
    if (v == NULL) {
      return NULL;
    }
    t->v = v;
  }
  name = malloc(len + 1);
  if (name == NULL) {
    return NULL;
  }
  memcpy(name, s, len);
  name[len] = '\0';
  /* hidx_add grows h to the same capacity as v above. */
  if (hidx_add(&t->x, hash) != 0) {
    free(name);
    return NULL;
  }
  row = &t->v[t->x.n - 1];
  memset(row, 0, sizeof(*row));
  row->name = name;
  return row;
}

static void
ctab_release(struct ctab *t)
{
  for (size_t i = 0; i < t->x.n; i++) {
    free(t->v[i].name);
  }
  free(t->v);
  hidx_release(&t->x);
  t->v = NULL;
}

/* ---- groups and duplicates -------------------------------------------- */

struct group {
  char *domain; /* NULL = not given */
  int64_t day;
  uint64_t reports, successful, failed;
  uint64_t counted_once; /* pairs of policies of the same sessions */
  uint64_t last_serial;
  struct ctab rt, org, mx;
};

struct dup {
  char *key; /* org '\0' report-id '\0' source '\0' */
  size_t org_len, id_len;
};

struct mts_rpt_sum {
  struct mts_hash_key key; /* of every table, drawn at creation */
  struct group *g;
  struct hidx gx;
  struct dup *d;
  struct hidx dx;
  uint64_t serial;
  /* The sorted view handed out by mts_rpt_sum_days. */
  struct mts_rpt_day *view;
  struct mts_rpt_count *rows;
};

enum mts_err
mts_rpt_sum_new(struct mts_rpt_sum **out)
{
  struct mts_rpt_sum *s = calloc(1, sizeof(*s));

  if (s == NULL) {
    return MTS_ENOMEM;
  }
  mts_hash_key_new(&s->key);
  *out = s;
  return MTS_OK;
}

static void
drop_view(struct mts_rpt_sum *s)
{
  free(s->view);
  free(s->rows);
  s->view = NULL;
  s->rows = NULL;
}

void
mts_rpt_sum_free(struct mts_rpt_sum **sp)
{
  struct mts_rpt_sum *s;

  if (sp == NULL || *sp == NULL) {
    return;
  }
  s = *sp;
  for (size_t i = 0; i < s->gx.n; i++) {
    free(s->g[i].domain);
    ctab_release(&s->g[i].rt);
    ctab_release(&s->g[i].org);
    ctab_release(&s->g[i].mx);
  }
  free(s->g);
  hidx_release(&s->gx);
  for (size_t i = 0; i < s->dx.n; i++) {
    free(s->d[i].key);
  }
  free(s->d);
  hidx_release(&s->dx);
  drop_view(s);
  free(s);
  *sp = NULL;
}

struct dup_key {
  const struct dup *d;
  const char *org, *id;
  size_t org_len, id_len;
};

static int
dup_eq(const void *ctx, size_t i)
{
  const struct dup_key *k = ctx;
  const struct dup *e = &k->d[i];

  return e->org_len == k->org_len && e->id_len == k->id_len &&
         memcmp(e->key, k->org, k->org_len) == 0 &&
         memcmp(e->key + e->org_len + 1, k->id, k->id_len) == 0;
}

enum mts_err
mts_rpt_sum_dedup(struct mts_rpt_sum *s, const char *org, const char *report_id,
                  const char *source, const char **first)
{
  struct dup_key k;
  struct mts_siphash sh;
  uint64_t hash;
  size_t i, slen;
  char *key;

  *first = NULL;
  if (org == NULL || report_id == NULL) {
    return MTS_OK;
  }
  k.d = s->d;
  k.org = org;
  k.id = report_id;
  k.org_len = strlen(org);
  k.id_len = strlen(report_id);
  mts_siphash_init(&sh, &s->key);
  mts_siphash_update(&sh, org, k.org_len + 1);
  mts_siphash_update(&sh, report_id, k.id_len);
  hash = mts_siphash_final(&sh);
  i = hidx_find(&s->dx, hash, dup_eq, &k);
  if (i != SIZE_MAX) {
    *first = s->d[i].key + s->d[i].org_len + 1 + s->d[i].id_len + 1;
    return MTS_OK;
  }
  if (source == NULL) {
    source = "";
  }
  slen = strlen(source);
  if (s->dx.n == s->dx.cap) {
    size_t cap = s->dx.cap ? s->dx.cap * 2 : FIRST_CAP;
    struct dup *d = realloc(s->d, cap * sizeof(*d));
    if (d == NULL) {
      return MTS_ENOMEM;
    }
    s->d = d;
  }
  if (k.org_len > SIZE_MAX / 4 || k.id_len > SIZE_MAX / 4 ||
      slen > SIZE_MAX / 4) {
    return MTS_ENOMEM;
  }
  key = malloc(k.org_len + k.id_len + slen + 3);
  if (key == NULL) {
    return MTS_ENOMEM;
  }
  memcpy(key, org, k.org_len + 1);
  memcpy(key + k.org_len + 1, report_id, k.id_len + 1);
  memcpy(key + k.org_len + k.id_len + 2, source, slen + 1);
  if (hidx_add(&s->dx, hash) != 0) {
    free(key);
    return MTS_ENOMEM;
  }
  s->d[s->dx.n - 1].key = key;
  s->d[s->dx.n - 1].org_len = k.org_len;
  s->d[s->dx.n - 1].id_len = k.id_len;
  return MTS_OK;
}

/* A domain or host name as grouped: ASCII lowercased, one trailing dot
 * removed. The caller frees it. NULL in, NULL out (and *oom stays 0). */
static char *
norm_name(const char *s, int *oom)
{
  size_t len;
  char *n;

  if (s == NULL) {
    return NULL;
  }
  len = strlen(s);
  if (len > 1 && s[len - 1] == '.') {
    len--;
  }
  n = malloc(len + 1);
  if (n == NULL) {
    *oom = 1;
    return NULL;
  }
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    n[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
  }
  n[len] = '\0';
  return n;
}

struct group_key {
  const struct group *g;
  const char *domain;
  int64_t day;
};

static int
group_eq(const void *ctx, size_t i)
{
  const struct group_key *k = ctx;
  const struct group *e = &k->g[i];

  if (e->day != k->day) {
    return 0;
  }
  if (e->domain == NULL || k->domain == NULL) {
    return e->domain == k->domain;
  }
  return strcmp(e->domain, k->domain) == 0;
}

/* The group of (domain, day); \p *domain is moved into a new group.
 * \return it, or NULL when out of memory. */
static struct group *
group_get(struct mts_rpt_sum *s, char **domain, int64_t day)
{
  struct group_key k = {s->g, *domain, day};
  struct mts_siphash sh;
  uint64_t hash;
  size_t i;
  struct group *g;

  mts_siphash_init(&sh, &s->key);
  mts_siphash_update(&sh, &day, sizeof(day));
  if (*domain != NULL) {
    mts_siphash_update(&sh, *domain, strlen(*domain) + 1);
  }
  hash = mts_siphash_final(&sh);
  i = hidx_find(&s->gx, hash, group_eq, &k);
  if (i != SIZE_MAX) {
    return &s->g[i];
  }
  if (s->gx.n == s->gx.cap) {
    size_t cap = s->gx.cap ? s->gx.cap * 2 : FIRST_CAP;
    struct group *v = realloc(s->g, cap * sizeof(*v));
    if (v == NULL) {
      return NULL;
    }
    s->g = v;
  }
  if (hidx_add(&s->gx, hash) != 0) {
    return NULL;
  }
  g = &s->g[s->gx.n - 1];
  memset(g, 0, sizeof(*g));
  g->domain = *domain;
  *domain = NULL;
  g->day = day;
  return g;
}

static int64_t
day_of(int64_t epoch)
{
  int64_t d = epoch / 86400;

  if (epoch % 86400 < 0) {
    d--;
  }
  return d;
}

/* ---- policies of the same sessions (issue 11) ------------------------- */

/* Sum \p p's failed sessions per result type (\p mx 0) or per receiving
 * MX host (\p mx 1) into \p t. \return 0, or -1 when out of memory. */
static int
policy_table(struct ctab *t, const struct mts_hash_key *hk,
             const struct mts_rpt_policy *p, int mx)
{
  int oom = 0;

  if (!mx) {
    for (size_t i = 0; i < p->n_by_result_type; i++) {
      const char *rt = p->by_result_type[i].result_type;
      struct mts_rpt_count *row;
      if (rt == NULL) {
        rt = UNKNOWN_NAME;
      }
      row = ctab_get(t, hk, rt, strlen(rt));
      if (row == NULL) {
        return -1;
      }
      row->failed = add_sat(row->failed, p->by_result_type[i].count);
    }
    return 0;
  }
  for (size_t i = 0; i < p->n_failures; i++) {
    const struct mts_rpt_failure *f = &p->failures[i];
    char *name = norm_name(f->receiving_mx_hostname, &oom);
    const char *nm = name != NULL && name[0] != '\0' ? name : UNKNOWN_NAME;
    struct mts_rpt_count *row;

    if (oom) {
      return -1;
    }
    row = ctab_get(t, hk, nm, strlen(nm));
    free(name);
    if (row == NULL) {
      return -1;
    }
    row->failed = add_sat(row->failed, f->count);
  }
  return 0;
}

/* Add to the group's table \p into, per name, the larger of the two
 * policies' counts: they describe the same failed sessions, so each is
 * counted once. \return 0, or -1 when out of memory. */
static int
add_larger(struct ctab *into, const struct mts_hash_key *hk,
           const struct mts_rpt_policy *p, const struct mts_rpt_policy *q,
           int mx)
{
  struct ctab a = {0}, b = {0};
  int rc = -1;

  if (policy_table(&a, hk, p, mx) != 0 || policy_table(&b, hk, q, mx) != 0) {
    goto done;
  }
  for (size_t i = 0; i < b.x.n; i++) {
    struct mts_rpt_count *row =
        ctab_get(&a, hk, b.v[i].name, strlen(b.v[i].name));
    if (row == NULL) {
      goto done;
    }
    if (b.v[i].failed > row->failed) {
      row->failed = b.v[i].failed;
    }
  }
  for (size_t i = 0; i < a.x.n; i++) {
    struct mts_rpt_count *row =
        ctab_get(into, hk, a.v[i].name, strlen(a.v[i].name));
    if (row == NULL) {
      goto done;
    }
    row->failed = add_sat(row->failed, a.v[i].failed);
  }
  rc = 0;
done:
  ctab_release(&a);
  ctab_release(&b);
  return rc;
}

/* Add one policy of report number \p serial to its group; \p twin is the
 * policy of the same report that describes the same sessions, or NULL. */
static enum mts_err
add_policy(struct mts_rpt_sum *s, const struct mts_rpt *r,
           const struct mts_rpt_policy *p, const struct mts_rpt_policy *twin,
           uint64_t serial)
{
  const char *org = r->organization ? r->organization : UNKNOWN_NAME;
  int64_t day = r->have_dates ? day_of(r->start_epoch) : MTS_RPT_DAY_UNKNOWN;
  int oom = 0;
  char *domain = norm_name(p->policy_domain, &oom);
  struct mts_rpt_count *row;
  struct group *g;
  enum mts_err err = MTS_ENOMEM;

  if (oom) {
    goto done;
  }
  g = group_get(s, &domain, day);
  if (g == NULL) {
    goto done;
  }
  row = ctab_get(&g->org, &s->key, org, strlen(org));
  if (row == NULL) {
    goto done;
  }
  if (g->last_serial != serial) {
    g->last_serial = serial;
    g->reports++;
    row->reports++;
  }
  g->successful = add_sat(g->successful, p->successful);
  g->failed = add_sat(g->failed, p->failed);
  row->successful = add_sat(row->successful, p->successful);
  row->failed = add_sat(row->failed, p->failed);
  if (twin != NULL) {
    /* The pair's sessions were added once, above. */
    g->counted_once++;
    if (add_larger(&g->rt, &s->key, p, twin, 0) == 0 &&
        add_larger(&g->mx, &s->key, p, twin, 1) == 0) {
      err = MTS_OK;
    }
    goto done;
  }
  for (size_t i = 0; i < p->n_by_result_type; i++) {
    const char *rt = p->by_result_type[i].result_type;
    if (rt == NULL) {
      rt = UNKNOWN_NAME;
    }
    row = ctab_get(&g->rt, &s->key, rt, strlen(rt));
    if (row == NULL) {
      goto done;
    }
    row->failed = add_sat(row->failed, p->by_result_type[i].count);
  }
  for (size_t i = 0; i < p->n_failures; i++) {
    const struct mts_rpt_failure *f = &p->failures[i];
    char *mx = norm_name(f->receiving_mx_hostname, &oom);
    const char *name = mx != NULL && mx[0] != '\0' ? mx : UNKNOWN_NAME;

    if (oom) {
      goto done;
    }
    row = ctab_get(&g->mx, &s->key, name, strlen(name));
    free(mx);
    if (row == NULL) {
      goto done;
    }
    row->failed = add_sat(row->failed, f->count);
  }
  err = MTS_OK;
done:
  free(domain);
  return err;
}

enum mts_err
mts_rpt_sum_add(struct mts_rpt_sum *s, const struct mts_rpt *r)
{
  enum mts_err err = MTS_OK;

  if (!r->valid) {
    return MTS_OK;
  }
  drop_view(s);
  s->serial++;
  for (size_t i = 0; i < r->n_policies && err == MTS_OK; i++) {
    const struct mts_rpt_policy *p = &r->policies[i];
    const struct mts_rpt_policy *twin = NULL;
    size_t j = p->same_sessions_as;

    if (j > 0 && j <= r->n_policies && j - 1 != i) {
      if (j - 1 < i) {
        continue; /* counted with its twin */
      }
      twin = &r->policies[j - 1];
    }
    err = add_policy(s, r, p, twin, s->serial);
  }
  return err;
}

static int
cmp_domain(const char *a, const char *b)
{
  if (a == NULL || b == NULL) {
    return (a != NULL) - (b != NULL);
  }
  return strcmp(a, b);
}

static int
cmp_day(const void *pa, const void *pb)
{
  const struct mts_rpt_day *a = pa, *b = pb;
  int c = cmp_domain(a->policy_domain, b->policy_domain);

  if (c != 0) {
    return c;
  }
  return (a->day > b->day) - (a->day < b->day);
}

static int
cmp_count(const void *pa, const void *pb)
{
  const struct mts_rpt_count *a = pa, *b = pb;

  return strcmp(a->name, b->name);
}

/* Shallow, sorted copies of a table's rows into rows[*used...]. */
static struct mts_rpt_count *
view_rows(struct mts_rpt_count *rows, size_t *used, const struct ctab *t)
{
  struct mts_rpt_count *v;

  if (t->x.n == 0 || rows == NULL) {
    return NULL;
  }
  v = rows + *used;
  memcpy(v, t->v, t->x.n * sizeof(*v));
  qsort(v, t->x.n, sizeof(*v), cmp_count);
  *used += t->x.n;
  return v;
}

enum mts_err
mts_rpt_sum_days(struct mts_rpt_sum *s, const struct mts_rpt_day **days,
                 size_t *np)
{
  size_t n = s->gx.n, nrows = 0, used = 0;

  *days = s->view;
  *np = s->view != NULL ? n : 0;
  if (s->view != NULL || n == 0) {
    return MTS_OK;
  }
  for (size_t i = 0; i < n; i++) {
    nrows += s->g[i].rt.x.n + s->g[i].org.x.n + s->g[i].mx.x.n;
  }
  s->view = calloc(n, sizeof(*s->view));
  s->rows = nrows > 0 ? calloc(nrows, sizeof(*s->rows)) : NULL;
  if (s->view == NULL || (nrows > 0 && s->rows == NULL)) {
    drop_view(s);
    return MTS_ENOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    const struct group *g = &s->g[i];
    struct mts_rpt_day *d = &s->view[i];

    d->policy_domain = g->domain;
    d->day = g->day;
    d->reports = g->reports;
    d->successful = g->successful;
    d->failed = g->failed;
    d->counted_once = g->counted_once;
    d->by_result_type = view_rows(s->rows, &used, &g->rt);
    d->n_by_result_type = g->rt.x.n;
    d->by_organization = view_rows(s->rows, &used, &g->org);
    d->n_by_organization = g->org.x.n;
    d->by_mx_host = view_rows(s->rows, &used, &g->mx);
    d->n_by_mx_host = g->mx.x.n;
    d->last_serial = g->last_serial;
  }
  qsort(s->view, n, sizeof(*s->view), cmp_day);
  *days = s->view;
  *np = n;
  return MTS_OK;
}

int
mts_rpt_rate_over(uint64_t successful, uint64_t failed, double threshold_pct)
{
  double sessions = (double)successful + (double)failed;

  if (failed == 0) {
    return 0;
  }
  return (double)failed * 100.0 >= threshold_pct * sessions;
}

size_t
mts_rpt_sum_domains_over(struct mts_rpt_sum *s, double threshold_pct)
{
  const struct mts_rpt_day *d;
  size_t n, over = 0;

  if (mts_rpt_sum_days(s, &d, &n) != MTS_OK) {
    /* No memory for the sorted view: judge each group on its own, which
     * errs on the side of a louder exit code. */
    for (size_t i = 0; i < s->gx.n; i++) {
      over += (size_t)mts_rpt_rate_over(s->g[i].successful, s->g[i].failed,
                                        threshold_pct);
    }
    return over;
  }
  for (size_t i = 0; i < n;) {
    uint64_t ok = 0, failed = 0;
    size_t j = i;

    for (; j < n && cmp_domain(d[j].policy_domain, d[i].policy_domain) == 0;
         j++) {
      ok = add_sat(ok, d[j].successful);
      failed = add_sat(failed, d[j].failed);
    }
    over += (size_t)mts_rpt_rate_over(ok, failed, threshold_pct);
    i = j;
  }
  return over;
}

int
mts_rpt_sum_exit(struct mts_rpt_sum *s, const struct mts_rpt_tally *t,
                 double threshold_pct)
{
  if (mts_rpt_sum_domains_over(s, threshold_pct) > 0) {
    return 2;
  }
  if (t->invalid > 0) {
    return 3;
  }
  if (t->failed > 0 || t->problems > 0) {
    return 1;
  }
  return 0;
}

const char *
mts_rpt_day_str(int64_t day, char *buf, size_t size)
{
  /* Howard Hinnant's civil_from_days. */
  int64_t z, era, doe, yoe, y, doy, mp, d, m;

  if (day == MTS_RPT_DAY_UNKNOWN || size < 11 || day < -719468 ||
      day > 2932896) {
    return NULL;
  }
  z = day + 719468;
  era = z / 146097;
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = yoe + era * 400;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  if (y < 0 || y > 9999) {
    return NULL;
  }
  snprintf(buf, size, "%04d-%02d-%02d", (int)y, (int)m, (int)d);
  return buf;
}

uint64_t
mts_rpt_sum_probes(const struct mts_rpt_sum *s)
{
  uint64_t n = s->gx.probes + s->dx.probes;

  for (size_t i = 0; i < s->gx.n; i++) {
    n += s->g[i].rt.x.probes + s->g[i].org.x.probes + s->g[i].mx.x.probes;
  }
  return n;
}
