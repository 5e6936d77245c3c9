/* Unit tests for the planner of `mtasts-check plan` (rollout.md R187-R196,
 * R204) and its --policy-out writer. Results are built by hand; the clock
 * is a given value (no sleeping, no system time). */
#include "cli/plancmd.h"
#include "optcheck.h"

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mtasts/check.h"
#include "mtasts/civil.h"
#include "mtasts/output.h"

#define LIVE_ID "20190425085700"

/* 2027-01-15 08:00:00 UTC */
static long long
now_fixed(void)
{
  return mts_days_from_civil(2027, 1, 15) * 86400LL + 8 * 3600;
}

static char *
xdup(const char *s)
{
  char *d = strdup(s);
  ck_assert_ptr_nonnull(d);
  return d;
}

static void
set_record(struct mts_record_view *v, const char *name, const char *txt,
           enum mts_record_status st)
{
  free(v->name);
  v->name = xdup(name);
  v->status = st;
  if (txt != NULL) {
    v->txt = calloc(1, sizeof(*v->txt));
    ck_assert_ptr_nonnull(v->txt);
    v->txt[0].data = xdup(txt);
    v->txt[0].len = strlen(txt);
    v->n_txt = 1;
  }
  v->ttl = 300;
}

static char **
strv(const char *const *v, size_t *n)
{
  char **out;

  for (*n = 0; v != NULL && v[*n] != NULL; (*n)++) {
  }
  out = calloc(*n + 1, sizeof(*out));
  ck_assert_ptr_nonnull(out);
  for (size_t i = 0; i < *n; i++) {
    out[i] = xdup(v[i]);
  }
  return out;
}

/* example.com: a valid _mta-sts record (id LIVE_ID, TTL 300) and a valid
 * TLS-RPT record; no policy and no MX host yet. */
static void
res_init(struct mts_result *r)
{
  static const char *const rua[] = {"mailto:tlsrpt@example.com", NULL};

  mts_result_init(r);
  r->domain = xdup("example.com");
  r->checked_at = now_fixed();
  set_record(&r->sts.record, "_mta-sts.example.com", "v=STSv1; id=" LIVE_ID ";",
             MTS_REC_VALID);
  r->sts.id = xdup(LIVE_ID);
  set_record(&r->tlsrpt.record, "_smtp._tls.example.com",
             "v=TLSRPTv1; rua=mailto:tlsrpt@example.com", MTS_REC_VALID);
  r->tlsrpt.rua = strv(rua, &r->tlsrpt.n_rua);
}

static void
set_policy(struct mts_result *r, const char *mode, long max_age,
           const char *const *mx)
{
  r->policy.status = MTS_POLICY_VALID;
  r->policy.mode = xdup(mode);
  r->policy.max_age = max_age;
  r->policy.mx = strv(mx, &r->policy.n_mx);
}

/* An MX host with one address; smtp < 0: not probed (--no-smtp). */
static void
add_host(struct mts_result *r, const char *name, unsigned pref, int smtp)
{
  struct mts_mx_host *h;

  r->mx.hosts = realloc(r->mx.hosts, (r->mx.n_hosts + 1) * sizeof(*h));
  ck_assert_ptr_nonnull(r->mx.hosts);
  h = &r->mx.hosts[r->mx.n_hosts++];
  memset(h, 0, sizeof(*h));
  h->name = xdup(name);
  h->preference = pref;
  h->covered = -1;
  h->addrs_known = 1;
  h->addrs = calloc(1, sizeof(*h->addrs));
  ck_assert_ptr_nonnull(h->addrs);
  h->n_addrs = 1;
  h->addrs[0].ip = xdup("192.0.2.25");
  if (smtp >= 0) {
    h->addrs[0].smtp = calloc(1, sizeof(*h->addrs[0].smtp));
    ck_assert_ptr_nonnull(h->addrs[0].smtp);
    h->addrs[0].smtp->status = (enum mts_smtp_status)smtp;
    h->addrs[0].smtp->starttls = -1;
    h->addrs[0].smtp->cert_not_after = -1;
    h->addrs[0].smtp->trusted = -1;
    h->addrs[0].smtp->name_match = -1;
  }
}

static void
add_finding(struct mts_result *r, enum mts_code code)
{
  ck_assert_int_eq(mts_findings_add(&r->findings, code, NULL, 0, "x"), MTS_OK);
}

static struct mts_plan_opts
opts_default(void)
{
  struct mts_plan_opts o;

  memset(&o, 0, sizeof(o));
  o.mode = MTS_PLAN_MODE_AUTO;
  o.max_age = -1;
  o.now = now_fixed();
  o.old_policy_until = -1;
  return o;
}

static void
build(const struct mts_result *r, const struct mts_plan_opts *o,
      struct mts_plan *p)
{
  ck_assert_int_eq(mts_plan_build(r, o, p), MTS_OK);
}

static void
assert_strv(char *const *got, size_t n, const char *const *want)
{
  size_t k = 0;

  for (; want[k] != NULL; k++) {
    ck_assert_msg(k < n, "missing %s", want[k]);
    ck_assert_str_eq(got[k], want[k]);
  }
  ck_assert_uint_eq(n, k);
}

static int
blocked_by(const struct mts_plan *p, const char *code)
{
  for (size_t i = 0; i < p->n_blockers; i++) {
    if (strcmp(p->blockers[i], code) == 0) {
      return 1;
    }
  }
  return 0;
}

/* ---- R188: the mx lines ------------------------------------------------- */

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})
static const char *const none_list[] = {NULL};

static const struct {
  const char *const *live; /* NULL: no valid policy */
  const char *const *hosts;
  const char *const *mx;
  const char *const *removed;
} mx_cases[] = {
    /* a pattern kept, one dropped, an uncovered host added exactly */
    {L("mx1.example.com", "old.example.com"),
     L("mx1.example.com", "mx2.example.com"),
     L("mx1.example.com", "mx2.example.com"), L("old.example.com")},
    /* a wildcard the domain uses stays */
    {L("*.example.com"), L("a.example.com", "b.example.com"),
     L("*.example.com"), none_list},
    /* ... and a host outside it gets its exact name */
    {L("*.example.com"), L("a.example.com", "mail.other.net"),
     L("*.example.com", "mail.other.net"), none_list},
    /* no policy: exact names, never a new wildcard */
    {NULL, L("mx1.example.com", "mx2.example.com"),
     L("mx1.example.com", "mx2.example.com"), none_list},
    /* a wildcard matching one label only: dropped, the deep host exact */
    {L("*.example.com"), L("deep.sub.example.com"), L("deep.sub.example.com"),
     L("*.example.com")},
    /* what no policy line may hold never reaches the body */
    {L("mx1.example.com", "bad\r\nmode: none"),
     L("mx1.example.com", "x\ny.example.com"), L("mx1.example.com"),
     L("bad\r\nmode: none")},
    /* a repeated line is dropped */
    {L("mx1.example.com", "MX1.example.com"), L("mx1.example.com"),
     L("mx1.example.com"), L("MX1.example.com")},
};

START_TEST(r188_mx_lines)
{
  struct mts_result r;
  struct mts_plan p;
  struct mts_plan_opts o = opts_default();
  size_t k;

  res_init(&r);
  if (mx_cases[_i].live != NULL) {
    set_policy(&r, "testing", 86400, mx_cases[_i].live);
  }
  for (size_t i = 0; mx_cases[_i].hosts[i] != NULL; i++) {
    add_host(&r, mx_cases[_i].hosts[i], (unsigned)(10 * (i + 1)), -1);
  }
  build(&r, &o, &p);
  assert_strv(p.policy.mx, p.policy.n_mx, mx_cases[_i].mx);
  for (k = 0; mx_cases[_i].removed[k] != NULL; k++) {
    ck_assert_uint_gt(p.n_removed, k);
    ck_assert_str_eq(p.removed[k].pattern, mx_cases[_i].removed[k]);
    ck_assert_ptr_nonnull(p.removed[k].reason);
  }
  ck_assert_uint_eq(p.n_removed, k);
  for (size_t i = 0; i < p.policy.n_mx; i++) {
    /* never a wildcard the domain did not already use */
    if (p.policy.mx[i][0] == '*') {
      int used = 0;
      for (size_t j = 0; mx_cases[_i].live && mx_cases[_i].live[j]; j++) {
        used |= strcmp(mx_cases[_i].live[j], p.policy.mx[i]) == 0;
      }
      ck_assert(used);
    }
  }
  mts_plan_release(&p);
  mts_result_release(&r);
}
END_TEST

/* ---- R189: mode and max_age --------------------------------------------- */

static const struct {
  const char *live_mode; /* NULL: no valid policy */
  long live_max_age;
  int probed; /* SMTP probe ran and passed: ready for enforce */
  enum mts_plan_mode opt_mode;
  long opt_max_age;
  enum mts_plan_mode mode;
  long max_age;
} mode_cases[] = {
    {NULL, 0, 1, MTS_PLAN_MODE_AUTO, -1, MTS_PLAN_MODE_TESTING, 86400},
    {"testing", 604800, 1, MTS_PLAN_MODE_AUTO, -1, MTS_PLAN_MODE_ENFORCE,
     604800},
    {"testing", 1209600, 0, MTS_PLAN_MODE_AUTO, -1, MTS_PLAN_MODE_TESTING,
     1209600},
    {"testing", 3600, 1, MTS_PLAN_MODE_AUTO, -1, MTS_PLAN_MODE_ENFORCE, 604800},
    {"enforce", 86400, 0, MTS_PLAN_MODE_AUTO, -1, MTS_PLAN_MODE_ENFORCE,
     604800},
    {"enforce", 1209600, 0, MTS_PLAN_MODE_AUTO, -1, MTS_PLAN_MODE_ENFORCE,
     1209600},
    {"none", 86400, 1, MTS_PLAN_MODE_AUTO, -1, MTS_PLAN_MODE_NONE, 86400},
    {NULL, 0, 0, MTS_PLAN_MODE_ENFORCE, -1, MTS_PLAN_MODE_ENFORCE, 604800},
    {"testing", 3600, 0, MTS_PLAN_MODE_TESTING, -1, MTS_PLAN_MODE_TESTING,
     3600},
    {NULL, 0, 0, MTS_PLAN_MODE_TESTING, -1, MTS_PLAN_MODE_TESTING, 86400},
    {"testing", 3600, 0, MTS_PLAN_MODE_ENFORCE, -1, MTS_PLAN_MODE_ENFORCE,
     604800},
    {"enforce", 1209600, 0, MTS_PLAN_MODE_AUTO, 100, MTS_PLAN_MODE_ENFORCE,
     100},
    {"enforce", 1209600, 0, MTS_PLAN_MODE_AUTO, 0, MTS_PLAN_MODE_ENFORCE, 0},
};

START_TEST(r189_mode_max_age)
{
  struct mts_result r;
  struct mts_plan p;
  struct mts_plan_opts o = opts_default();

  res_init(&r);
  if (mode_cases[_i].live_mode != NULL) {
    set_policy(&r, mode_cases[_i].live_mode, mode_cases[_i].live_max_age,
               L("mx1.example.com"));
  }
  add_host(&r, "mx1.example.com", 10,
           mode_cases[_i].probed ? (int)MTS_SMTP_OK : -1);
  o.mode = mode_cases[_i].opt_mode;
  o.max_age = mode_cases[_i].opt_max_age;
  build(&r, &o, &p);
  ck_assert_int_eq(p.policy.mode, mode_cases[_i].mode);
  ck_assert_int_eq(p.policy.max_age, mode_cases[_i].max_age);
  mts_plan_release(&p);
  mts_result_release(&r);
}
END_TEST

START_TEST(r189_max_age_range)
{
  struct mts_result r;
  struct mts_plan p;
  struct mts_plan_opts o = opts_default();

  res_init(&r);
  o.max_age = MTS_PLAN_MAX_AGE_MAX + 1;
  ck_assert_int_eq(mts_plan_build(&r, &o, &p), MTS_EINVAL);
  o.max_age = MTS_PLAN_MAX_AGE_MAX;
  build(&r, &o, &p);
  ck_assert_int_eq(p.policy.max_age, MTS_PLAN_MAX_AGE_MAX);
  mts_plan_release(&p);
  mts_result_release(&r);
}
END_TEST

/* ---- R190: TLS-RPT ----------------------------------------------------------
 */

static const struct {
  int live; /* 1 valid record, 0 missing */
  const char *const *rua;
  const char *value;
  int changed;
  int mailbox;
} rpt_cases[] = {
    {1, NULL, "v=TLSRPTv1; rua=mailto:tlsrpt@example.com", 0, 0},
    {0, NULL, "v=TLSRPTv1; rua=mailto:tlsrpt@example.com", 1, 1},
    {0, L("mailto:a@example.net", "https://r.example.net/x"),
     "v=TLSRPTv1; rua=mailto:a@example.net,https://r.example.net/x", 1, 0},
    {1, L("mailto:tlsrpt@example.com"),
     "v=TLSRPTv1; rua=mailto:tlsrpt@example.com", 0, 0},
    {1, L("mailto:other@example.com"),
     "v=TLSRPTv1; rua=mailto:other@example.com", 1, 0},
};

START_TEST(r190_tlsrpt)
{
  struct mts_result r;
  struct mts_plan p;
  struct mts_plan_opts o = opts_default();
  size_t n = 0;
  int mailbox = 0;
  char **ruav = NULL;

  res_init(&r);
  if (!rpt_cases[_i].live) {
    r.tlsrpt.record.status = MTS_REC_MISSING;
    free(r.tlsrpt.record.txt[0].data);
    r.tlsrpt.record.n_txt = 0;
  }
  if (rpt_cases[_i].rua != NULL) {
    ruav = strv(rpt_cases[_i].rua, &n);
    o.rua = ruav;
    o.n_rua = n;
  }
  add_host(&r, "mx1.example.com", 10, -1);
  build(&r, &o, &p);
  ck_assert_str_eq(p.tlsrpt.name, "_smtp._tls.example.com");
  ck_assert_str_eq(p.tlsrpt.value, rpt_cases[_i].value);
  ck_assert_int_eq(p.tlsrpt.changed, rpt_cases[_i].changed);
  for (size_t i = 0; i < p.n_steps; i++) {
    mailbox |= p.steps[i].action == MTS_PLAN_CREATE_MAILBOX;
  }
  ck_assert_int_eq(mailbox, rpt_cases[_i].mailbox);
  for (size_t i = 0; i < n; i++) {
    free(ruav[i]);
  }
  free(ruav);
  mts_plan_release(&p);
  mts_result_release(&r);
}
END_TEST

/* A long --rua (many addresses): the step names the whole record, never
 * a sentence cut at a fixed buffer's end. */
START_TEST(long_value_not_cut)
{
  struct mts_result r;
  struct mts_plan p;
  struct mts_plan_opts o = opts_default();
  char *ruav[40], buf[64];
  int found = 0;

  for (int i = 0; i < 40; i++) {
    snprintf(buf, sizeof(buf), "mailto:tls-reports-%02d@example.com", i);
    ruav[i] = xdup(buf);
  }
  o.rua = ruav;
  o.n_rua = 40;
  res_init(&r);
  add_host(&r, "mx1.example.com", 10, -1);
  build(&r, &o, &p);
  ck_assert_uint_gt(strlen(p.tlsrpt.value), 1300);
  for (size_t i = 0; i < p.n_steps; i++) {
    if (p.steps[i].action == MTS_PLAN_TLSRPT_RECORD) {
      found = 1;
      ck_assert_ptr_nonnull(strstr(p.steps[i].text, p.tlsrpt.value));
      ck_assert_ptr_nonnull(
          strstr(p.steps[i].text, "first failures are seen."));
    }
  }
  ck_assert(found);
  for (int i = 0; i < 40; i++) {
    free(ruav[i]);
  }
  mts_plan_release(&p);
  mts_result_release(&r);
}
END_TEST

/* ---- R191, R204: the id -------------------------------------------------- */

START_TEST(r191_id_kept_when_same)
{
  struct mts_result r;
  struct mts_plan p;
  struct mts_plan_opts o = opts_default();

  res_init(&r);
  /* same fields, other order and case of nothing: equal */
  set_policy(&r, "enforce", 604800, L("mx2.example.com", "mx1.example.com"));
  add_host(&r, "mx1.example.com", 10, -1);
  add_host(&r, "mx2.example.com", 20, -1);
  build(&r, &o, &p);
  ck_assert_int_eq(p.policy.changed, 0);
  ck_assert_str_eq(p.sts.value, "v=STSv1; id=" LIVE_ID ";");
  ck_assert_int_eq(p.sts.changed, 0);
  ck_assert_int_eq(p.tlsrpt.changed, 0);
  ck_assert_uint_eq(p.n_steps, 0);
  ck_assert_int_eq(mts_plan_exit(&p, MTS_STATUS_OK), 0);
  ck_assert_int_eq(mts_plan_exit(&p, MTS_STATUS_WARNING), 0);
  ck_assert_int_eq(mts_plan_exit(&p, MTS_STATUS_ERROR), 2);
  ck_assert_int_eq(mts_plan_exit(&p, MTS_STATUS_UNKNOWN), 3);
  mts_plan_release(&p);
  mts_result_release(&r);
}
END_TEST

START_TEST(r191_new_id_is_run_time)
{
  struct mts_result r;
  struct mts_plan p;
  struct mts_plan_opts o = opts_default();

  res_init(&r);
  set_policy(&r, "enforce", 604800, L("mx1.example.com"));
  add_host(&r, "mx1.example.com", 10, -1);
  add_host(&r, "mx2.example.com", 20, -1);
  build(&r, &o, &p);
  ck_assert_int_eq(p.policy.changed, 1);
  ck_assert_str_eq(p.sts.value, "v=STSv1; id=20270115080000;");
  ck_assert_int_eq(p.sts.changed, 1);
  ck_assert_int_eq(mts_plan_exit(&p, MTS_STATUS_WARNING), 1);
  mts_plan_release(&p);

  /* the live id equals the run time: one second later */
  free(r.sts.id);
  r.sts.id = xdup("20270115080000");
  build(&r, &o, &p);
  ck_assert_str_eq(p.sts.value, "v=STSv1; id=20270115080001;");
  mts_plan_release(&p);
  mts_result_release(&r);
}
END_TEST

START_TEST(r204_changed_id_unchanged)
{
  struct mts_result r;
  struct mts_plan p;
  struct mts_plan_opts o = opts_default();

  res_init(&r);
  set_policy(&r, "enforce", 604800, L("mx1.example.com"));
  add_host(&r, "mx1.example.com", 10, -1);
  add_finding(&r, MTS_F_POLICY_CHANGED_ID_UNCHANGED);
  build(&r, &o, &p);
  ck_assert_int_eq(p.policy.changed, 0);
  ck_assert_int_eq(p.sts.changed, 1);
  ck_assert_str_eq(p.sts.value, "v=STSv1; id=20270115080000;");
  ck_assert_uint_ge(p.n_steps, 1);
  ck_assert_int_eq(p.steps[0].action, MTS_PLAN_STS_RECORD);
  mts_plan_release(&p);
  mts_result_release(&r);
}
END_TEST

/* ---- R192: the steps and their dates ---------------------------------------
 */

START_TEST(r192_fresh_domain)
{
  struct mts_result r;
  struct mts_plan p;
  struct mts_plan_opts o = opts_default();
  static const enum mts_plan_action want[] = {
      MTS_PLAN_TLSRPT_RECORD, MTS_PLAN_CREATE_MAILBOX, MTS_PLAN_POLICY_FILE,
      MTS_PLAN_STS_RECORD};

  res_init(&r);
  r.sts.record.status = MTS_REC_MISSING;
  r.tlsrpt.record.status = MTS_REC_MISSING;
  add_finding(&r, MTS_F_STS_RECORD_MISSING);
  add_finding(&r, MTS_F_TLSRPT_RECORD_MISSING);
  add_host(&r, "mx1.example.com", 10, -1);
  build(&r, &o, &p);
  ck_assert_uint_eq(p.n_steps, 4);
  for (size_t i = 0; i < 4; i++) {
    ck_assert_int_eq(p.steps[i].action, want[i]);
    ck_assert_int_eq(p.steps[i].not_before, -1);
    ck_assert_ptr_nonnull(strchr(p.steps[i].text, ':')); /* a reason */
  }
  ck_assert_str_eq(p.policy.body, "version: STSv1\r\nmode: testing\r\n"
                                  "mx: mx1.example.com\r\nmax_age: 86400\r\n");
  ck_assert_uint_eq(p.policy.body_len, strlen(p.policy.body));
  ck_assert_str_eq(p.policy.url,
                   "https://mta-sts.example.com/.well-known/mta-sts.txt");
  ck_assert_int_eq(p.ready, 0);
  ck_assert(blocked_by(&p, "TLSRPT_RECORD_MISSING"));
  ck_assert(blocked_by(&p, "POLICY_NOT_SERVED"));
  mts_plan_release(&p);
  mts_result_release(&r);
}
END_TEST

static const struct {
  int y;
  unsigned m, d;
  long ttl;        /* of the live _mta-sts record */
  int live_policy; /* 1: a valid policy of max_age below */
  long max_age;
  long long hook; /* old_policy_until after now, seconds; -1 none */
  long long wait; /* the wait's not_before after now; -1: no wait step */
  const char *text;
} wait_cases[] = {
    /* the old max_age: across the year end, in UTC */
    {2026, 12, 28, 300, 1, 604800, -1, 604800, "2027-01-04 00:00:00 UTC"},
    /* a leap day */
    {2028, 2, 25, 300, 1, 345600, -1, 345600, "2028-02-29 00:00:00 UTC"},
    /* no valid policy: the record's TTL */
    {2027, 1, 15, 3600, 0, 0, -1, 3600, "2027-01-15 01:00:00 UTC"},
    /* the stale-cache hook outlasts max_age */
    {2027, 3, 1, 300, 1, 86400, 10 * 86400, 10 * 86400,
     "2027-03-11 00:00:00 UTC"},
};

START_TEST(r192_wait_dates)
{
  struct mts_result r;
  struct mts_plan p;
  struct mts_plan_opts o = opts_default();
  long long now = mts_days_from_civil(wait_cases[_i].y, wait_cases[_i].m,
                                      wait_cases[_i].d) *
                  86400LL;
  const struct mts_plan_step *w;

  res_init(&r);
  r.checked_at = now;
  o.now = now;
  r.sts.record.ttl = wait_cases[_i].ttl;
  if (wait_cases[_i].live_policy) {
    set_policy(&r, "testing", wait_cases[_i].max_age, L("old.example.com"));
  } else {
    r.policy.status = MTS_POLICY_UNREACHABLE;
  }
  add_host(&r, "mx1.example.com", 10, -1);
  if (wait_cases[_i].hook >= 0) {
    o.old_policy_until = now + wait_cases[_i].hook;
  }
  build(&r, &o, &p);
  ck_assert_uint_ge(p.n_steps, 3);
  w = &p.steps[p.n_steps - 1];
  ck_assert_int_eq(w->action, MTS_PLAN_WAIT);
  ck_assert_int_eq(p.steps[p.n_steps - 2].action, MTS_PLAN_STS_RECORD);
  ck_assert_int_eq(p.steps[p.n_steps - 3].action, MTS_PLAN_POLICY_FILE);
  ck_assert_int_eq(w->not_before, now + wait_cases[_i].wait);
  ck_assert_msg(strstr(w->text, wait_cases[_i].text) != NULL, "%s", w->text);
  mts_plan_release(&p);
  mts_result_release(&r);
}
END_TEST

START_TEST(id_from_time)
{
  char id[32];

  ck_assert_int_eq(mts_plan_id_from_time(0, id, sizeof(id)), 0);
  ck_assert_str_eq(id, "19700101000000");
  ck_assert_int_eq(
      mts_plan_id_from_time(mts_days_from_civil(2000, 2, 29) * 86400LL + 86399,
                            id, sizeof(id)),
      0);
  ck_assert_str_eq(id, "20000229235959");
  ck_assert_int_eq(mts_plan_id_from_time(-1, id, sizeof(id)), -1);
  ck_assert_int_eq(mts_plan_id_from_time(0, id, 10), -1);
}
END_TEST

/* ---- R195: removal ----------------------------------------------------------
 */

START_TEST(r195_null_mx)
{
  struct mts_result r;
  struct mts_plan p;
  struct mts_plan_opts o = opts_default();

  res_init(&r);
  set_policy(&r, "enforce", 1209600, L("mx1.example.com", "mx2.example.com"));
  add_host(&r, "", 0, -1);
  add_finding(&r, MTS_F_MX_NULL);
  build(&r, &o, &p);
  ck_assert_int_eq(p.policy.mode, MTS_PLAN_MODE_NONE);
  ck_assert_int_eq(p.policy.max_age, 1209600);
  assert_strv(p.policy.mx, p.policy.n_mx,
              L("mx1.example.com", "mx2.example.com"));
  ck_assert_uint_eq(p.n_removed, 0);
  ck_assert_int_eq(p.sts.changed, 1);
  ck_assert_int_eq(p.steps[p.n_steps - 1].action, MTS_PLAN_WAIT);
  ck_assert_int_eq(p.steps[p.n_steps - 1].not_before, now_fixed() + 1209600);
  ck_assert_ptr_nonnull(strstr(p.steps[p.n_steps - 1].text, "deleting"));
  mts_plan_release(&p);
  mts_result_release(&r);
}
END_TEST

START_TEST(r195_mode_none_without_policy)
{
  struct mts_result r;
  struct mts_plan p;
  struct mts_plan_opts o = opts_default();

  res_init(&r);
  add_host(&r, "mx1.example.com", 10, -1);
  o.mode = MTS_PLAN_MODE_NONE;
  build(&r, &o, &p);
  ck_assert_int_eq(p.policy.mode, MTS_PLAN_MODE_NONE);
  ck_assert_int_eq(p.policy.max_age, 86400);
  ck_assert_uint_eq(p.policy.n_mx, 0);
  ck_assert_str_eq(p.policy.body,
                   "version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n");
  ck_assert_int_eq(p.sts.changed, 1);
  mts_plan_release(&p);
  mts_result_release(&r);
}
END_TEST

/* ---- R196: readiness
 * ---------------------------------------------------------- */

static const struct {
  int smtp; /* the probe of the one host; -1 not run */
  enum mts_code finding;
  int no_tlsrpt;
  enum mts_policy_status policy;
  int ready;
  const char *blocker; /* NULL: none */
} ready_cases[] = {
    {MTS_SMTP_OK, MTS_F__COUNT, 0, MTS_POLICY_VALID, 1, NULL},
    {-1, MTS_F__COUNT, 0, MTS_POLICY_VALID, -1, "MX_TLS_NOT_CHECKED"},
    {MTS_SMTP_NOT_CHECKED, MTS_F__COUNT, 0, MTS_POLICY_VALID, -1,
     "MX_TLS_NOT_CHECKED"},
    {MTS_SMTP_FAILED, MTS_F_MX_CERT_EXPIRED, 0, MTS_POLICY_VALID, 0,
     "MX_CERT_EXPIRED"},
    {MTS_SMTP_FAILED, MTS_F_MX_STARTTLS_MISSING, 0, MTS_POLICY_VALID, 0,
     "MX_STARTTLS_MISSING"},
    {MTS_SMTP_UNREACHABLE, MTS_F_MX_SMTP_UNREACHABLE, 0, MTS_POLICY_VALID, -1,
     "MX_SMTP_UNREACHABLE"},
    {MTS_SMTP_OK, MTS_F__COUNT, 1, MTS_POLICY_VALID, 0,
     "TLSRPT_RECORD_MISSING"},
    {MTS_SMTP_OK, MTS_F_POLICY_CONNECT_FAILED, 0, MTS_POLICY_UNREACHABLE, 0,
     "POLICY_CONNECT_FAILED"},
    {MTS_SMTP_OK, MTS_F_DNS_TIMEOUT, 0, MTS_POLICY_VALID, -1, "DNS_TIMEOUT"},
    /* R169: a DANE mismatch blocks whatever the probe says of PKIX; a
     * failed TLSA lookup is a lookup failure */
    {MTS_SMTP_OK, MTS_F_MX_DANE_MISMATCH, 0, MTS_POLICY_VALID, 0,
     "MX_DANE_MISMATCH"},
    {MTS_SMTP_OK, MTS_F_MX_TLSA_LOOKUP_FAILED, 0, MTS_POLICY_VALID, -1,
     "MX_TLSA_LOOKUP_FAILED"},
    /* a definite failure wins over what could not be checked */
    {-1, MTS_F__COUNT, 1, MTS_POLICY_VALID, 0, "TLSRPT_RECORD_MISSING"},
};

START_TEST(r196_ready)
{
  struct mts_result r;
  struct mts_plan p;
  struct mts_plan_opts o = opts_default();

  res_init(&r);
  set_policy(&r, "testing", 86400, L("mx1.example.com"));
  r.policy.status = ready_cases[_i].policy;
  add_host(&r, "mx1.example.com", 10, ready_cases[_i].smtp);
  if (ready_cases[_i].finding != MTS_F__COUNT) {
    add_finding(&r, ready_cases[_i].finding);
  }
  if (ready_cases[_i].no_tlsrpt) {
    r.tlsrpt.record.status = MTS_REC_MISSING;
  }
  build(&r, &o, &p);
  ck_assert_int_eq(p.ready, ready_cases[_i].ready);
  if (ready_cases[_i].blocker == NULL) {
    ck_assert_uint_eq(p.n_blockers, 0);
  } else {
    ck_assert_msg(blocked_by(&p, ready_cases[_i].blocker), "no %s",
                  ready_cases[_i].blocker);
  }
  /* ready in testing: the plan moves to enforce; else it stays */
  ck_assert_int_eq(p.policy.mode, p.ready == 1 ? MTS_PLAN_MODE_ENFORCE
                                               : MTS_PLAN_MODE_TESTING);
  mts_plan_release(&p);
  mts_result_release(&r);
}
END_TEST

/* ---- the writers and --policy-out
 * ----------------------------------------------- */

START_TEST(json_shape)
{
  struct mts_result r;
  struct mts_plan p;
  struct mts_plan_opts o = opts_default();
  char *buf = NULL;
  size_t len = 0;
  FILE *f;

  res_init(&r);
  set_policy(&r, "testing", 86400, L("mx1.example.com", "old.example.com"));
  add_host(&r, "mx1.example.com", 10, -1);
  add_host(&r, "mx2.example.com", 20, -1);
  build(&r, &o, &p);
  f = open_memstream(&buf, &len);
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(mts_report_json_plan_write(f, &p, &r), MTS_OK);
  fclose(f);
  ck_assert_ptr_nonnull(
      strstr(buf, "{\"schema_version\":1,\"kind\":\"plan\",\"domain\":"
                  "\"example.com\",\"records\":{\"mta_sts\":{\"name\":"
                  "\"_mta-sts.example.com\",\"value\":\"v=STSv1; "
                  "id=20270115080000;\",\"changed\":true}"));
  ck_assert_ptr_nonnull(
      strstr(buf, "\"policy\":{\"body\":\"version: STSv1\\r\\nmode: "
                  "testing\\r\\nmx: mx1.example.com\\r\\nmx: "
                  "mx2.example.com\\r\\nmax_age: 86400\\r\\n\""));
  ck_assert_ptr_nonnull(
      strstr(buf, "\"removed_patterns\":[{\"pattern\":\"old.example.com\","
                  "\"reason\":\"matches no live MX host\"}]"));
  ck_assert_ptr_nonnull(strstr(buf, "\"not_before\":\"2027-01-16T08:00:00Z\""));
  ck_assert_ptr_nonnull(strstr(buf, "\"ready_for_enforce\":null,"
                                    "\"blockers\":[\"MX_TLS_NOT_CHECKED\"],"
                                    "\"check\":{\"schema_version\":1,"));
  ck_assert_int_eq(buf[len - 1], '\n');
  ck_assert(strchr(buf, '\n') == buf + len - 1); /* one line */
  free(buf);
  mts_plan_release(&p);
  mts_result_release(&r);
}
END_TEST

static char tmpdir[64];

static char *
slurp(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  char *b = calloc(1, 4096);

  ck_assert_ptr_nonnull(f);
  ck_assert_ptr_nonnull(b);
  *len = fread(b, 1, 4095, f);
  fclose(f);
  return b;
}

START_TEST(policy_out_atomic)
{
  char path[128], link[128], err[256];
  static const char body[] = "version: STSv1\r\nmode: none\r\nmax_age: 1\r\n";
  size_t len;
  char *got;
  struct stat st;

  ck_assert_ptr_nonnull(mkdtemp(strcpy(tmpdir, "/tmp/test_plan.XXXXXX")));
  snprintf(path, sizeof(path), "%s/mta-sts.txt", tmpdir);
  ck_assert_int_eq(
      mts_plancmd_write_policy(path, body, strlen(body), err, sizeof(err)),
      MTS_OK);
  got = slurp(path, &len);
  ck_assert_uint_eq(len, strlen(body));
  ck_assert_int_eq(memcmp(got, body, len), 0);
  free(got);
  /* replaced: same bytes again, no temporary file left */
  ck_assert_int_eq(
      mts_plancmd_write_policy(path, body, strlen(body), err, sizeof(err)),
      MTS_OK);
  /* a symbolic link is refused, and its target left alone */
  snprintf(link, sizeof(link), "%s/link.txt", tmpdir);
  ck_assert_int_eq(symlink(path, link), 0);
  ck_assert_int_eq(mts_plancmd_write_policy(link, "x", 1, err, sizeof(err)),
                   MTS_EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "symbolic link"));
  ck_assert_int_eq(lstat(link, &st), 0);
  ck_assert(S_ISLNK(st.st_mode));
  got = slurp(path, &len);
  ck_assert_uint_eq(len, strlen(body));
  free(got);
  /* a dangling link too */
  unlink(path);
  ck_assert_int_eq(mts_plancmd_write_policy(link, "x", 1, err, sizeof(err)),
                   MTS_EINVAL);
  ck_assert_int_eq(access(path, F_OK), -1);
  /* a directory */
  ck_assert_int_eq(mts_plancmd_write_policy(tmpdir, "x", 1, err, sizeof(err)),
                   MTS_EINVAL);
  unlink(link);
  ck_assert_int_eq(rmdir(tmpdir), 0); /* nothing else was left there */
}
END_TEST

/* Parse a NULL-terminated list of arguments (copied: getopt permutes). */
static enum mts_err
parse_plan(struct mts_plancmd_opts *o, char ***keep, const char *const *args)
{
  size_t n;
  char err[256];

  *keep = strv(args, &n);
  return mts_plancmd_parse((int)n, *keep, o, err, sizeof(err));
}

static void
parse_done(struct mts_plancmd_opts *o, char **keep)
{
  mts_plancmd_release(o);
  for (size_t i = 0; keep[i] != NULL; i++) {
    free(keep[i]);
  }
  free(keep);
}

START_TEST(parse_usage)
{
  struct mts_plancmd_opts o;
  char **k;

  ck_assert_int_eq(
      parse_plan(&o, &k,
                 L("plan", "--mode", "enforce", "--rua", "mailto:a@b.example",
                   "--rua", "https://r.example/x", "--max-age", "31557600",
                   "-j", "--no-smtp", "example.com")),
      MTS_OK);
  ck_assert_int_eq(o.plan.mode, MTS_PLAN_MODE_ENFORCE);
  ck_assert_int_eq(o.plan.max_age, 31557600);
  ck_assert_uint_eq(o.plan.n_rua, 2);
  ck_assert_int_eq(o.check.write.format, MTS_FORMAT_JSON);
  ck_assert_int_eq(o.check.run.no_smtp, 1);
  ck_assert_uint_eq(o.check.n_domains, 1);
  ck_assert_str_eq(o.check.domains[0], "example.com");
  parse_done(&o, k);
  ck_assert_int_eq(
      parse_plan(&o, &k, L("plan", "--max-age", "31557601", "example.com")),
      MTS_EINVAL);
  parse_done(&o, k);
  ck_assert_int_eq(
      parse_plan(&o, &k, L("plan", "--max-age", "-1", "example.com")),
      MTS_EINVAL);
  parse_done(&o, k);
  ck_assert_int_eq(
      parse_plan(&o, &k, L("plan", "--mode", "strict", "example.com")),
      MTS_EINVAL);
  parse_done(&o, k);
  ck_assert_int_eq(parse_plan(&o, &k, L("plan", "a.example", "b.example")),
                   MTS_EINVAL);
  parse_done(&o, k);
  ck_assert_int_eq(parse_plan(&o, &k, L("plan", "--shard", "1/2", "a.example")),
                   MTS_EINVAL);
  parse_done(&o, k);
  ck_assert_int_eq(parse_plan(&o, &k, L("plan", "--no-policy", "a.example")),
                   MTS_EINVAL);
  parse_done(&o, k);
  ck_assert_int_eq(
      parse_plan(&o, &k, L("plan", "--rua", "mailto:a@b,c@d", "a.example")),
      MTS_EINVAL);
  parse_done(&o, k);
  ck_assert_int_eq(
      parse_plan(&o, &k, L("plan", "--timeout", "nope", "a.example")),
      MTS_EINVAL); /* the check's own validation */
  parse_done(&o, k);
}
END_TEST

/* The man page documents every long option of plan. */
START_TEST(man_page_lists_plan_options)
{
  size_t n;
  const struct mts_optdef *defs = mts_plancmd_optdefs(&n);
  char *text = test_slurp(MTS_SOURCE_DIR "/docs/mtasts-check.1");

  ck_assert_ptr_nonnull(strstr(text, "plan"));
  optcheck_documents(defs, n, text, "docs/mtasts-check.1");
  free(text);
}
END_TEST

static Suite *
plan_suite(void)
{
  Suite *s = suite_create("plan");
  TCase *tc = tcase_create("plan");

  tcase_add_loop_test(tc, r188_mx_lines, 0,
                      (int)(sizeof(mx_cases) / sizeof(mx_cases[0])));
  tcase_add_loop_test(tc, r189_mode_max_age, 0,
                      (int)(sizeof(mode_cases) / sizeof(mode_cases[0])));
  tcase_add_test(tc, r189_max_age_range);
  tcase_add_loop_test(tc, r190_tlsrpt, 0,
                      (int)(sizeof(rpt_cases) / sizeof(rpt_cases[0])));
  tcase_add_test(tc, long_value_not_cut);
  tcase_add_test(tc, r191_id_kept_when_same);
  tcase_add_test(tc, r191_new_id_is_run_time);
  tcase_add_test(tc, r204_changed_id_unchanged);
  tcase_add_test(tc, r192_fresh_domain);
  tcase_add_loop_test(tc, r192_wait_dates, 0,
                      (int)(sizeof(wait_cases) / sizeof(wait_cases[0])));
  tcase_add_test(tc, id_from_time);
  tcase_add_test(tc, r195_null_mx);
  tcase_add_test(tc, r195_mode_none_without_policy);
  tcase_add_loop_test(tc, r196_ready, 0,
                      (int)(sizeof(ready_cases) / sizeof(ready_cases[0])));
  tcase_add_test(tc, json_shape);
  tcase_add_test(tc, policy_out_atomic);
  tcase_add_test(tc, parse_usage);
  tcase_add_test(tc, man_page_lists_plan_options);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(plan_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
