/* The aggregation behind `mtasts-check report --summary` and its exit
 * code (tlsrpt_sum.h), on reports built by hand: no parser involved. */

#include "mtasts/tlsrpt.h"
#include "tlsrpt/tlsrpt_sum.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts/hash.h"

/* ---- building reports by hand ----------------------------------------- */

static char *
xstrdup(const char *s)
{
  char *p;

  if (s == NULL) {
    return NULL;
  }
  p = strdup(s);
  ck_assert_ptr_nonnull(p);
  return p;
}

static void *
xcalloc(size_t n, size_t size)
{
  void *p = calloc(n > 0 ? n : 1, size);

  ck_assert_ptr_nonnull(p);
  return p;
}

/* A valid report from org/id starting at epoch start (0 = no dates). */
static void
rpt_init(struct mts_rpt *r, const char *org, const char *id, long long start)
{
  memset(r, 0, sizeof(*r));
  r->valid = 1;
  r->organization = xstrdup(org);
  r->report_id = xstrdup(id);
  r->contact_info = xstrdup("tlsrpt@example.net");
  r->start_epoch = start;
  r->end_epoch = start + 86399;
  r->have_dates = start != 0;
  r->policies = xcalloc(8, sizeof(*r->policies));
}

static struct mts_rpt_policy *
rpt_policy(struct mts_rpt *r, const char *domain, uint64_t ok, uint64_t failed)
{
  struct mts_rpt_policy *p = &r->policies[r->n_policies++];

  ck_assert_uint_le(r->n_policies, 8);
  p->policy_type = xstrdup("sts");
  p->policy_domain = xstrdup(domain);
  p->successful = ok;
  p->failed = failed;
  p->failures = xcalloc(16, sizeof(*p->failures));
  p->by_result_type = xcalloc(16, sizeof(*p->by_result_type));
  r->total_successful += ok;
  r->total_failed += failed;
  return p;
}

/* A failure-details entry; it also adds to the policy's by-type sums. */
static void
rpt_failure(struct mts_rpt_policy *p, const char *rt, const char *mx,
            uint64_t count)
{
  struct mts_rpt_failure *f = &p->failures[p->n_failures++];
  size_t i;

  ck_assert_uint_le(p->n_failures, 16);
  f->result_type = xstrdup(rt);
  f->receiving_mx_hostname = xstrdup(mx);
  f->receiving_ip = xstrdup("192.0.2.1");
  f->count = count;
  for (i = 0; i < p->n_by_result_type; i++) {
    if (strcmp(p->by_result_type[i].result_type, rt) == 0) {
      break;
    }
  }
  if (i == p->n_by_result_type) {
    p->by_result_type[i].result_type = xstrdup(rt);
    p->n_by_result_type++;
  }
  p->by_result_type[i].count += count;
}

#define DAY0 1795737600LL /* 2026-11-27T00:00:00Z */

static const struct mts_rpt_count *
row(const struct mts_rpt_count *v, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++) {
    if (strcmp(v[i].name, name) == 0) {
      return &v[i];
    }
  }
  ck_abort_msg("no row %s", name);
  return NULL;
}

/* ---- tests ------------------------------------------------------------ */

START_TEST(test_one_group)
{
  struct mts_rpt_sum *s = NULL;
  struct mts_rpt a, b;
  struct mts_rpt_policy *p;
  const struct mts_rpt_day *d;
  size_t n;
  const struct mts_rpt_count *c;
  char day[16];

  ck_assert_int_eq(mts_rpt_sum_new(&s), MTS_OK);
  rpt_init(&a, "Google Inc.", "g1", DAY0);
  p = rpt_policy(&a, "example.com", 2210, 15);
  rpt_failure(p, "certificate-expired", "MX1.Example.com.", 4);
  rpt_failure(p, "starttls-not-supported", "mx2.example.com", 11);
  rpt_init(&b, "Microsoft Corporation", "m1", DAY0 + 3600);
  p = rpt_policy(&b, "Example.COM.", 100, 2);
  rpt_failure(p, "certificate-expired", "mx1.example.com", 1);
  rpt_failure(p, "validation-failure", NULL, 1);
  ck_assert_int_eq(mts_rpt_sum_add(s, &a), MTS_OK);
  ck_assert_int_eq(mts_rpt_sum_add(s, &b), MTS_OK);

  ck_assert_int_eq(mts_rpt_sum_days(s, &d, &n), MTS_OK);
  ck_assert_uint_eq(n, 1);
  ck_assert_str_eq(d->policy_domain, "example.com");
  ck_assert_str_eq(mts_rpt_day_str(d->day, day, sizeof(day)), "2026-11-27");
  ck_assert_uint_eq(d->reports, 2);
  ck_assert_uint_eq(d->successful, 2310);
  ck_assert_uint_eq(d->failed, 17);

  ck_assert_uint_eq(d->n_by_organization, 2);
  ck_assert_str_eq(d->by_organization[0].name, "Google Inc.");
  ck_assert_str_eq(d->by_organization[1].name, "Microsoft Corporation");
  ck_assert_uint_eq(d->by_organization[0].reports, 1);
  ck_assert_uint_eq(d->by_organization[0].successful, 2210);
  ck_assert_uint_eq(d->by_organization[0].failed, 15);
  ck_assert_uint_eq(d->by_organization[1].failed, 2);

  ck_assert_uint_eq(d->n_by_result_type, 3);
  /* Sorted by name. */
  ck_assert_str_eq(d->by_result_type[0].name, "certificate-expired");
  ck_assert_uint_eq(d->by_result_type[0].failed, 5);
  c = row(d->by_result_type, d->n_by_result_type, "starttls-not-supported");
  ck_assert_uint_eq(c->failed, 11);

  /* MX hosts lowercased without the trailing dot; absent = (unknown). */
  ck_assert_uint_eq(d->n_by_mx_host, 3);
  ck_assert_str_eq(d->by_mx_host[0].name, "(unknown)");
  ck_assert_uint_eq(d->by_mx_host[0].failed, 1);
  c = row(d->by_mx_host, d->n_by_mx_host, "mx1.example.com");
  ck_assert_uint_eq(c->failed, 5);
  c = row(d->by_mx_host, d->n_by_mx_host, "mx2.example.com");
  ck_assert_uint_eq(c->failed, 11);

  mts_rpt_release(&a);
  mts_rpt_release(&b);
  mts_rpt_sum_free(&s);
  ck_assert_ptr_null(s);
  mts_rpt_sum_free(&s); /* NULL is a no-op */
}
END_TEST

START_TEST(test_sorted_groups)
{
  struct mts_rpt_sum *s = NULL;
  struct mts_rpt a, b, c;
  const struct mts_rpt_day *d;
  size_t n;
  char day[16];

  ck_assert_int_eq(mts_rpt_sum_new(&s), MTS_OK);
  rpt_init(&a, "A", "1", DAY0 + 86400);
  rpt_policy(&a, "example.org", 10, 0);
  rpt_policy(&a, "example.com", 10, 0);
  rpt_init(&b, "A", "2", DAY0);
  rpt_policy(&b, "example.org", 5, 0);
  rpt_init(&c, NULL, "3", 0); /* no dates, no organization */
  rpt_policy(&c, "example.com", 1, 1);
  ck_assert_int_eq(mts_rpt_sum_add(s, &a), MTS_OK);
  ck_assert_int_eq(mts_rpt_sum_add(s, &b), MTS_OK);
  ck_assert_int_eq(mts_rpt_sum_add(s, &c), MTS_OK);

  ck_assert_int_eq(mts_rpt_sum_days(s, &d, &n), MTS_OK);
  ck_assert_uint_eq(n, 4);
  ck_assert_str_eq(d[0].policy_domain, "example.com");
  ck_assert(d[0].day == MTS_RPT_DAY_UNKNOWN);
  ck_assert_ptr_null(mts_rpt_day_str(d[0].day, day, sizeof(day)));
  ck_assert_str_eq(d[0].by_organization[0].name, "(unknown)");
  ck_assert_str_eq(d[1].policy_domain, "example.com");
  ck_assert_str_eq(mts_rpt_day_str(d[1].day, day, sizeof(day)), "2026-11-28");
  ck_assert_str_eq(d[2].policy_domain, "example.org");
  ck_assert_str_eq(mts_rpt_day_str(d[2].day, day, sizeof(day)), "2026-11-27");
  ck_assert_uint_eq(d[2].successful, 5);
  ck_assert_str_eq(d[3].policy_domain, "example.org");
  ck_assert_str_eq(mts_rpt_day_str(d[3].day, day, sizeof(day)), "2026-11-28");
  ck_assert_uint_eq(d[3].n_by_result_type, 0);
  ck_assert_uint_eq(d[3].n_by_mx_host, 0);

  mts_rpt_release(&a);
  mts_rpt_release(&b);
  mts_rpt_release(&c);
  mts_rpt_sum_free(&s);
}
END_TEST

/* Two policies of one report for one domain: the report counts once. */
START_TEST(test_report_counted_once)
{
  struct mts_rpt_sum *s = NULL;
  struct mts_rpt a;
  const struct mts_rpt_day *d;
  size_t n;

  ck_assert_int_eq(mts_rpt_sum_new(&s), MTS_OK);
  rpt_init(&a, "A", "1", DAY0);
  rpt_policy(&a, "example.com", 10, 1);
  rpt_policy(&a, "example.com.", 20, 2);
  ck_assert_int_eq(mts_rpt_sum_add(s, &a), MTS_OK);
  ck_assert_int_eq(mts_rpt_sum_days(s, &d, &n), MTS_OK);
  ck_assert_uint_eq(n, 1);
  ck_assert_uint_eq(d->reports, 1);
  ck_assert_uint_eq(d->by_organization[0].reports, 1);
  ck_assert_uint_eq(d->successful, 30);
  ck_assert_uint_eq(d->failed, 3);
  mts_rpt_release(&a);
  mts_rpt_sum_free(&s);
}
END_TEST

/* issue 11: an sts and a tlsa policy of the same sessions (paired by the
 * parser, same_sessions_as) count once; each result type and MX host with
 * the larger count of the two; a third policy adds up as usual. */
START_TEST(test_same_sessions_counted_once)
{
  struct mts_rpt_sum *s = NULL;
  struct mts_rpt a;
  struct mts_rpt_policy *sts, *tlsa;
  const struct mts_rpt_day *d;
  size_t n;

  ck_assert_int_eq(mts_rpt_sum_new(&s), MTS_OK);
  rpt_init(&a, "Microsoft Corporation", "1", DAY0);
  sts = rpt_policy(&a, "example.com", 100, 4);
  rpt_failure(sts, "certificate-expired", "mx1.example.com", 4);
  tlsa = rpt_policy(&a, "example.com", 100, 4);
  free(tlsa->policy_type);
  tlsa->policy_type = xstrdup("tlsa");
  rpt_failure(tlsa, "certificate-expired", "mx1.example.com", 3);
  rpt_failure(tlsa, "tlsa-invalid", "mx2.example.com", 4);
  sts->same_sessions_as = 2;
  tlsa->same_sessions_as = 1;
  rpt_policy(&a, "example.com", 5, 0);
  ck_assert_int_eq(mts_rpt_sum_add(s, &a), MTS_OK);
  ck_assert_int_eq(mts_rpt_sum_days(s, &d, &n), MTS_OK);
  ck_assert_uint_eq(n, 1);
  ck_assert_uint_eq(d->reports, 1);
  ck_assert_uint_eq(d->successful, 105);
  ck_assert_uint_eq(d->failed, 4);
  ck_assert_uint_eq(d->counted_once, 1);
  ck_assert_uint_eq(d->by_organization[0].successful, 105);
  ck_assert_uint_eq(
      row(d->by_result_type, d->n_by_result_type, "certificate-expired")
          ->failed,
      4);
  ck_assert_uint_eq(
      row(d->by_result_type, d->n_by_result_type, "tlsa-invalid")->failed, 4);
  ck_assert_uint_eq(
      row(d->by_mx_host, d->n_by_mx_host, "mx1.example.com")->failed, 4);
  ck_assert_uint_eq(
      row(d->by_mx_host, d->n_by_mx_host, "mx2.example.com")->failed, 4);
  mts_rpt_release(&a);
  mts_rpt_sum_free(&s);
}
END_TEST

START_TEST(test_invalid_ignored)
{
  struct mts_rpt_sum *s = NULL;
  struct mts_rpt a;
  const struct mts_rpt_day *d;
  size_t n;

  ck_assert_int_eq(mts_rpt_sum_new(&s), MTS_OK);
  rpt_init(&a, "A", "1", DAY0);
  rpt_policy(&a, "example.com", 10, 1);
  a.valid = 0;
  ck_assert_int_eq(mts_rpt_sum_add(s, &a), MTS_OK);
  ck_assert_int_eq(mts_rpt_sum_days(s, &d, &n), MTS_OK);
  ck_assert_uint_eq(n, 0);
  mts_rpt_release(&a);
  mts_rpt_sum_free(&s);
}
END_TEST

START_TEST(test_dedup)
{
  struct mts_rpt_sum *s = NULL;
  const char *first = "x";

  ck_assert_int_eq(mts_rpt_sum_new(&s), MTS_OK);
  ck_assert_int_eq(mts_rpt_sum_dedup(s, "Google Inc.", "id1", "a.json", &first),
                   MTS_OK);
  ck_assert_ptr_null(first);
  ck_assert_int_eq(mts_rpt_sum_dedup(s, "Google Inc.", "id2", "b.json", &first),
                   MTS_OK);
  ck_assert_ptr_null(first);
  /* The split between organization and id is part of the key. */
  ck_assert_int_eq(mts_rpt_sum_dedup(s, "Google Inc.i", "d1", "c.json", &first),
                   MTS_OK);
  ck_assert_ptr_null(first);
  ck_assert_int_eq(mts_rpt_sum_dedup(s, "Google Inc.", "id1", "d.json", &first),
                   MTS_OK);
  ck_assert_ptr_nonnull(first);
  ck_assert_str_eq(first, "a.json");
  ck_assert_int_eq(mts_rpt_sum_dedup(s, NULL, "id1", "e.json", &first), MTS_OK);
  ck_assert_ptr_null(first);
  ck_assert_int_eq(mts_rpt_sum_dedup(s, NULL, "id1", "e.json", &first), MTS_OK);
  ck_assert_ptr_null(first);
  mts_rpt_sum_free(&s);
}
END_TEST

/* Many entries: the indexes grow; everything is still found once. */
START_TEST(test_many)
{
  struct mts_rpt_sum *s = NULL;
  const struct mts_rpt_day *d;
  size_t n;
  char org[32], id[32], src[32];
  const char *first;

  ck_assert_int_eq(mts_rpt_sum_new(&s), MTS_OK);
  for (int i = 0; i < 5000; i++) {
    struct mts_rpt a;
    struct mts_rpt_policy *p;
    char dom[32], mx[32];

    snprintf(org, sizeof(org), "org%d", i % 7);
    snprintf(id, sizeof(id), "id%d", i);
    snprintf(src, sizeof(src), "src%d", i);
    ck_assert_int_eq(mts_rpt_sum_dedup(s, org, id, src, &first), MTS_OK);
    ck_assert_ptr_null(first);
    snprintf(dom, sizeof(dom), "d%d.example", i % 50);
    snprintf(mx, sizeof(mx), "mx%d.example", i);
    rpt_init(&a, org, id, DAY0 + 86400LL * (i % 3));
    p = rpt_policy(&a, dom, 9, 1);
    rpt_failure(p, "dane-required", mx, 1);
    ck_assert_int_eq(mts_rpt_sum_add(s, &a), MTS_OK);
    mts_rpt_release(&a);
  }
  for (int i = 0; i < 5000; i += 97) {
    snprintf(org, sizeof(org), "org%d", i % 7);
    snprintf(id, sizeof(id), "id%d", i);
    snprintf(src, sizeof(src), "src%d", i);
    ck_assert_int_eq(mts_rpt_sum_dedup(s, org, id, "again", &first), MTS_OK);
    ck_assert_ptr_nonnull(first);
    ck_assert_str_eq(first, src);
  }
  ck_assert_int_eq(mts_rpt_sum_days(s, &d, &n), MTS_OK);
  ck_assert_uint_eq(n, 150);
  for (size_t i = 0; i + 1 < 150; i++) {
    int c = strcmp(d[i].policy_domain, d[i + 1].policy_domain);
    ck_assert(c < 0 || (c == 0 && d[i].day < d[i + 1].day));
  }
  ck_assert_uint_eq(d[0].n_by_organization, 7);
  ck_assert_uint_eq(mts_rpt_sum_domains_over(s, 10.0), 50);
  ck_assert_uint_eq(mts_rpt_sum_domains_over(s, 10.01), 0);
  mts_rpt_sum_free(&s);
}
END_TEST

static const struct {
  uint64_t ok, failed;
  double pct;
  int over;
} rate_cases[] = {
    {95, 5, 5.0, 1}, /* exactly at the threshold */
    {96, 4, 5.0, 0},         {0, 1, 100.0, 1},
    {1, 0, 0.0, 0}, /* no failure */
    {0, 0, 0.0, 0},          {999999, 1, 0.0, 1},
    {999999, 1, 0.00005, 1}, {999999, 1, 0.00011, 0},
    {1, 1, 50.0, 1},         {1, 1, 50.5, 0},
};

START_TEST(test_rate_over)
{
  ck_assert_int_eq(mts_rpt_rate_over(rate_cases[_i].ok, rate_cases[_i].failed,
                                     rate_cases[_i].pct),
                   rate_cases[_i].over);
}
END_TEST

/* The per-domain rate is over the whole run, all days together. */
START_TEST(test_domain_over_all_days)
{
  struct mts_rpt_sum *s = NULL;
  struct mts_rpt a, b;

  ck_assert_int_eq(mts_rpt_sum_new(&s), MTS_OK);
  rpt_init(&a, "A", "1", DAY0);
  rpt_policy(&a, "example.com", 1000, 0);
  rpt_init(&b, "A", "2", DAY0 + 86400);
  rpt_policy(&b, "example.com", 0, 10);
  ck_assert_int_eq(mts_rpt_sum_add(s, &a), MTS_OK);
  ck_assert_int_eq(mts_rpt_sum_add(s, &b), MTS_OK);
  ck_assert_uint_eq(mts_rpt_sum_domains_over(s, 5.0), 0);
  ck_assert_uint_eq(mts_rpt_sum_domains_over(s, 0.99), 1);
  mts_rpt_release(&a);
  mts_rpt_release(&b);
  mts_rpt_sum_free(&s);
}
END_TEST

START_TEST(test_exit)
{
  struct mts_rpt_sum *s = NULL;
  struct mts_rpt_tally t;
  struct mts_rpt a;

  ck_assert_int_eq(mts_rpt_sum_new(&s), MTS_OK);
  memset(&t, 0, sizeof(t));
  ck_assert_int_eq(mts_rpt_sum_exit(s, &t, 5.0), 0);
  t.problems = 1;
  ck_assert_int_eq(mts_rpt_sum_exit(s, &t, 5.0), 1);
  t.problems = 0;
  t.failed = 1;
  ck_assert_int_eq(mts_rpt_sum_exit(s, &t, 5.0), 1);
  t.duplicates = 3; /* duplicates alone change nothing */
  ck_assert_int_eq(mts_rpt_sum_exit(s, &t, 5.0), 1);
  t.invalid = 1;
  ck_assert_int_eq(mts_rpt_sum_exit(s, &t, 5.0), 3);

  rpt_init(&a, "A", "1", DAY0);
  rpt_policy(&a, "example.com", 94, 6);
  ck_assert_int_eq(mts_rpt_sum_add(s, &a), MTS_OK);
  ck_assert_int_eq(mts_rpt_sum_exit(s, &t, 5.0), 2); /* 2 beats 3 */
  ck_assert_int_eq(mts_rpt_sum_exit(s, &t, 6.0), 2);
  ck_assert_int_eq(mts_rpt_sum_exit(s, &t, 6.01), 3);
  t.invalid = 0;
  ck_assert_int_eq(mts_rpt_sum_exit(s, &t, 6.01), 1);
  mts_rpt_release(&a);
  mts_rpt_sum_free(&s);
}
END_TEST

static const struct {
  long long day;
  const char *str;
} day_cases[] = {
    {0, "1970-01-01"},       {-1, "1969-12-31"},      {20784, "2026-11-27"},
    {11016, "2000-02-29"},   {2932896, "9999-12-31"}, {2932897, NULL},
    {-719468, "0000-03-01"}, {-719469, NULL},
};

START_TEST(test_day_str)
{
  char buf[16];
  const char *s = mts_rpt_day_str(day_cases[_i].day, buf, sizeof(buf));

  if (day_cases[_i].str == NULL) {
    ck_assert_ptr_null(s);
  } else {
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s, day_cases[_i].str);
  }
  ck_assert_ptr_null(mts_rpt_day_str(0, buf, 10)); /* no room */
}
END_TEST

/* ---- a flood of colliding names (issue 10, item 6) --------------------- */

/* FNV-1a's low bits after a byte depend only on its low bits before, so
 * two 4-letter blocks that take state s to the same low FLOOD_BITS bits
 * give, chained FLOOD_BLOCKS times, 2^FLOOD_BLOCKS names whose FNV-1a
 * hashes agree in those bits: they all start at the same slot of any
 * table of up to 2^FLOOD_BITS slots, and linear probing turns quadratic.
 * 2^17 slots is the largest index of 65,536 names (load at most one
 * half). That is what hostile reports could send to the unkeyed hash. */
#define FLOOD_BITS 17
#define FLOOD_MASK ((1ULL << FLOOD_BITS) - 1)
#define FLOOD_BLOCKS 16
#define FLOOD_N (1u << FLOOD_BLOCKS)
#define FLOOD_SUFFIX ".flood.example"

struct cand {
  uint64_t state;
  unsigned idx;
};

static int
cand_cmp(const void *a, const void *b)
{
  const struct cand *x = a, *y = b;

  if (x->state != y->state) {
    return x->state < y->state ? -1 : 1;
  }
  return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

static void
block_of(unsigned idx, char out[4])
{
  for (int i = 0; i < 4; i++) {
    out[i] = (char)('a' + idx % 26);
    idx /= 26;
  }
}

/* Two blocks taking \p state to the same low FLOOD_BITS. */
static void
block_pair(uint64_t state, char a[4], char b[4], uint64_t *next)
{
  enum { NCAND = 16384 };
  struct cand *c = xcalloc(NCAND, sizeof(*c));
  int found = 0;

  for (unsigned i = 0; i < NCAND; i++) {
    char blk[4];
    block_of(i, blk);
    c[i].state = mts_fnv1a64(state, blk, 4) & FLOOD_MASK;
    c[i].idx = i;
  }
  qsort(c, NCAND, sizeof(*c), cand_cmp);
  for (unsigned i = 0; i + 1 < NCAND && !found; i++) {
    if (c[i].state == c[i + 1].state) {
      block_of(c[i].idx, a);
      block_of(c[i + 1].idx, b);
      *next = c[i].state;
      found = 1;
    }
  }
  free(c);
  ck_assert_msg(found, "no FNV-1a collision among the candidates");
}

/* FLOOD_N distinct names with the same FNV-1a low FLOOD_BITS bits. */
static char **
flood_names(void)
{
  char blocks[FLOOD_BLOCKS][2][4];
  uint64_t state = MTS_FNV64_INIT;
  char **names = xcalloc(FLOOD_N, sizeof(*names));
  uint64_t first = 0;
  unsigned bad = 0;

  for (int k = 0; k < FLOOD_BLOCKS; k++) {
    uint64_t next;
    block_pair(state, blocks[k][0], blocks[k][1], &next);
    /* Only the low bits matter: carry on from any full state with them. */
    state = next;
  }
  for (unsigned i = 0; i < FLOOD_N; i++) {
    /* No ck_assert in these loops: each one costs Check a message. */
    char *n = calloc(FLOOD_BLOCKS * 4 + sizeof(FLOOD_SUFFIX), 1);
    uint64_t h;

    if (n == NULL) {
      ck_abort_msg("no memory");
    }
    for (int k = 0; k < FLOOD_BLOCKS; k++) {
      memcpy(n + 4 * k, blocks[k][(i >> k) & 1], 4);
    }
    strcpy(n + FLOOD_BLOCKS * 4, FLOOD_SUFFIX);
    names[i] = n;
    /* The flood is real: every name has the same low bits under FNV-1a. */
    h = mts_fnv1a64(MTS_FNV64_INIT, n, strlen(n)) & FLOOD_MASK;
    if (i == 0) {
      first = h;
    }
    bad += h != first;
  }
  ck_assert_uint_eq(bad, 0);
  ck_assert_str_ne(names[0], names[FLOOD_N - 1]);
  return names;
}

static void
flood_free(char **names)
{
  for (unsigned i = 0; i < FLOOD_N; i++) {
    free(names[i]);
  }
  free(names);
}

/* 65,536 MX host names colliding under FNV-1a, in one report, then as
 * 65,536 report-ids: the tables look at a number of slots linear in the
 * names (about 2 to 6 a name at a load of at most one half), where the
 * unkeyed hash would have looked at about n^2/2 = 2^31. */
START_TEST(test_flood_linear)
{
  char **names = flood_names();
  struct mts_rpt_sum *s = NULL;
  struct mts_rpt r;
  struct mts_rpt_policy *p;
  const struct mts_rpt_day *d;
  const char *first;
  uint64_t before;
  size_t n;
  unsigned bad = 0;

  ck_assert_int_eq(mts_rpt_sum_new(&s), MTS_OK);
  rpt_init(&r, "Flood Inc.", "flood", DAY0);
  p = rpt_policy(&r, "example.com", 0, FLOOD_N);
  free(p->failures);
  p->failures = xcalloc(FLOOD_N, sizeof(*p->failures));
  for (unsigned i = 0; i < FLOOD_N; i++) {
    p->failures[i].receiving_mx_hostname = strdup(names[i]);
    bad += p->failures[i].receiving_mx_hostname == NULL;
    p->failures[i].count = 1;
  }
  ck_assert_uint_eq(bad, 0);
  p->n_failures = FLOOD_N;
  ck_assert_int_eq(mts_rpt_sum_add(s, &r), MTS_OK);
  mts_rpt_release(&r);
  ck_assert_uint_le(mts_rpt_sum_probes(s), 16ULL * FLOOD_N);

  before = mts_rpt_sum_probes(s);
  for (unsigned i = 0; i < FLOOD_N; i++) {
    bad +=
        mts_rpt_sum_dedup(s, "Flood Inc.", names[i], "src", &first) != MTS_OK ||
        first != NULL;
  }
  ck_assert_uint_eq(bad, 0);
  ck_assert_uint_le(mts_rpt_sum_probes(s) - before, 16ULL * FLOOD_N);

  ck_assert_int_eq(mts_rpt_sum_days(s, &d, &n), MTS_OK);
  ck_assert_uint_eq(n, 1);
  ck_assert_uint_eq(d[0].n_by_mx_host, FLOOD_N);
  mts_rpt_sum_free(&s);
  flood_free(names);
}
END_TEST

static Suite *
sum_suite(void)
{
  Suite *s = suite_create("tlsrpt_sum");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_one_group);
  tcase_add_test(tc, test_sorted_groups);
  tcase_add_test(tc, test_report_counted_once);
  tcase_add_test(tc, test_same_sessions_counted_once);
  tcase_add_test(tc, test_invalid_ignored);
  tcase_add_test(tc, test_dedup);
  tcase_add_test(tc, test_many);
  tcase_add_loop_test(tc, test_rate_over, 0,
                      (int)(sizeof(rate_cases) / sizeof(rate_cases[0])));
  tcase_add_test(tc, test_domain_over_all_days);
  tcase_add_test(tc, test_exit);
  tcase_add_loop_test(tc, test_day_str, 0,
                      (int)(sizeof(day_cases) / sizeof(day_cases[0])));
  suite_add_tcase(s, tc);
  /* 65,536 names: seconds under valgrind or on a loaded machine. */
  tc = tcase_create("flood");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_flood_linear);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(sum_suite());
  int failed;

  srunner_run_all(sr, CK_ENV);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
