/* Unit tests for --state (src/check/state.c, docs/state.md; rfc-rules
 * R100-R102): the pure comparison mts_state_diff on hand-built results,
 * and the file: strict loading, atomic save, merge, where the file is
 * (symbolic links, the lock, mode and owner, the temporary file) and the
 * in-place rewrite when it cannot be renamed over. */
#define _XOPEN_SOURCE 700 /* nftw(3) */
#include "mtasts/check.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mtasts/rules.h"

#define DAY 86400LL
#define T0 1796000000LL /* 2026-11-28 */

static char **
strv(const char *a, const char *b)
{
  char **v = calloc(2, sizeof(*v));

  ck_assert_ptr_nonnull(v);
  v[0] = strdup(a);
  v[1] = b ? strdup(b) : NULL;
  return v;
}

/* A complete, healthy result of example.com at time t. */
static void
result(struct mts_result *r, long long t, const char *id, const char *mode,
       long max_age, const char *mx1, const char *mx2)
{
  mts_result_init(r);
  r->domain = strdup("example.com");
  r->checked_at = t;
  r->sts.record.status = id ? MTS_REC_VALID : MTS_REC_MISSING;
  r->sts.id = id ? strdup(id) : NULL;
  r->policy.status = mode ? MTS_POLICY_VALID : MTS_POLICY_UNREACHABLE;
  if (mode != NULL) {
    r->policy.mode = strdup(mode);
    r->policy.max_age = max_age;
    r->policy.mx = strv(mx1, mx2);
    r->policy.n_mx = mx2 ? 2 : 1;
  }
  r->tlsrpt.record.status = MTS_REC_VALID;
  r->tlsrpt.rua = strv("mailto:tlsrpt@example.com", NULL);
  r->tlsrpt.n_rua = 1;
  mts_result_set_status(r);
}

/* Run the comparison; the previous entry is replaced by the next one. */
static void
diff(struct mts_state_entry *e, int have_prev, struct mts_result *r)
{
  struct mts_state_entry next;

  ck_assert_int_eq(mts_state_diff(have_prev ? e : NULL, r, &next), MTS_OK);
  mts_state_entry_release(e);
  *e = next;
}

static const struct mts_change *
change(const struct mts_result *r, const char *field)
{
  for (size_t i = 0; i < r->changes.n; i++) {
    if (strcmp(r->changes.v[i].field, field) == 0) {
      return &r->changes.v[i];
    }
  }
  return NULL;
}

static struct mts_state_entry
first_run(void)
{
  struct mts_state_entry e;
  struct mts_result r;

  memset(&e, 0, sizeof(e));
  result(&r, T0, "20260101", "enforce", 604800, "mx1.example.com", NULL);
  diff(&e, 0, &r);
  mts_result_release(&r);
  return e;
}

START_TEST(first_run_no_finding)
{
  struct mts_state_entry e;
  struct mts_result r;

  memset(&e, 0, sizeof(e));
  result(&r, T0, "20260101", "enforce", 604800, "mx1.example.com", NULL);
  diff(&e, 0, &r);
  ck_assert_uint_eq(r.findings.n, 0);
  ck_assert_int_eq(r.status, MTS_STATUS_OK);
  ck_assert_int_eq(r.changes.tracked, 1);
  ck_assert_int_eq(r.changes.first, 1);
  ck_assert_uint_eq(r.changes.n, 0);
  ck_assert_str_eq(e.domain, "example.com");
  ck_assert_str_eq(e.field[MTS_SF_STS_ID].json, "\"20260101\"");
  ck_assert_str_eq(e.field[MTS_SF_POLICY_MODE].json, "\"enforce\"");
  ck_assert_str_eq(e.field[MTS_SF_POLICY_MAX_AGE].json, "604800");
  ck_assert_str_eq(e.field[MTS_SF_POLICY_MX].json, "[\"mx1.example.com\"]");
  ck_assert_str_eq(e.field[MTS_SF_TLSRPT_RUA].json,
                   "[\"mailto:tlsrpt@example.com\"]");
  ck_assert_int_eq(e.field[MTS_SF_POLICY_MODE].first_seen, T0);
  ck_assert_str_eq(e.cache_id, "20260101");
  ck_assert_int_eq(e.cache_max_age, 604800);
  mts_result_release(&r);
  mts_state_entry_release(&e);
}
END_TEST

START_TEST(same_again_no_change)
{
  struct mts_state_entry e = first_run();
  struct mts_result r;

  result(&r, T0 + DAY, "20260101", "enforce", 604800, "mx1.example.com", NULL);
  diff(&e, 1, &r);
  ck_assert_uint_eq(r.findings.n, 0);
  ck_assert_int_eq(r.changes.first, 0);
  ck_assert_uint_eq(r.changes.n, 0);
  ck_assert_int_eq(e.field[MTS_SF_POLICY_MODE].first_seen, T0);
  ck_assert_int_eq(e.field[MTS_SF_POLICY_MODE].last_seen, T0 + DAY);
  ck_assert_int_eq(e.last_checked, T0 + DAY);
  mts_result_release(&r);
  mts_state_entry_release(&e);
}
END_TEST

/* R100: a new policy under the old id is an error, and stays one until the
 * id changes or the old policy's max_age has passed since the change. */
START_TEST(id_unchanged_policy_changed_is_error)
{
  struct mts_state_entry e = first_run();
  const struct mts_change *c;
  struct mts_result r;

  result(&r, T0 + DAY, "20260101", "testing", 604800, "mx1.example.com", NULL);
  diff(&e, 1, &r);
  ck_assert(mts_findings_has(&r.findings, MTS_F_POLICY_CHANGED_ID_UNCHANGED));
  ck_assert_int_eq(r.findings.v[0].severity, MTS_SEV_ERROR);
  ck_assert_str_eq(r.findings.v[0].subject, "20260101");
  ck_assert_int_eq(r.status, MTS_STATUS_ERROR);
  ck_assert_uint_eq(r.changes.n, 1);
  c = change(&r, "mta_sts.policy.mode");
  ck_assert_ptr_nonnull(c);
  ck_assert_str_eq(c->old_value, "\"enforce\"");
  ck_assert_str_eq(c->new_value, "\"testing\"");
  ck_assert_int_eq(c->old_first_seen, T0);
  ck_assert_int_eq(c->old_last_seen, T0);
  /* What senders cached is still the first policy under the id. */
  ck_assert_str_eq(e.cache_id, "20260101");
  mts_result_release(&r);

  /* The next day: still wrong, though nothing changed since. */
  result(&r, T0 + 2 * DAY, "20260101", "testing", 604800, "mx1.example.com",
         NULL);
  diff(&e, 1, &r);
  ck_assert(mts_findings_has(&r.findings, MTS_F_POLICY_CHANGED_ID_UNCHANGED));
  ck_assert_uint_eq(r.changes.n, 0);
  mts_result_release(&r);

  /* A week after the change every cached copy has expired. */
  result(&r, T0 + 8 * DAY + 1, "20260101", "testing", 604800, "mx1.example.com",
         NULL);
  diff(&e, 1, &r);
  ck_assert_uint_eq(r.findings.n, 0);
  ck_assert_int_eq(r.status, MTS_STATUS_OK);
  mts_result_release(&r);
  mts_state_entry_release(&e);
}
END_TEST

START_TEST(old_policy_back_is_fine)
{
  struct mts_state_entry e = first_run();
  struct mts_result r;

  result(&r, T0 + DAY, "20260101", "enforce", 86400, "mx1.example.com", NULL);
  diff(&e, 1, &r);
  ck_assert(mts_findings_has(&r.findings, MTS_F_POLICY_CHANGED_ID_UNCHANGED));
  ck_assert_ptr_nonnull(change(&r, "mta_sts.policy.max_age"));
  mts_result_release(&r);
  result(&r, T0 + 2 * DAY, "20260101", "enforce", 604800, "mx1.example.com",
         NULL);
  diff(&e, 1, &r);
  ck_assert_uint_eq(r.findings.n, 0);
  mts_result_release(&r);
  mts_state_entry_release(&e);
}
END_TEST

/* R101: a new id with the same policy is info only. */
START_TEST(id_changed_policy_same_is_info)
{
  struct mts_state_entry e = first_run();
  const struct mts_change *c;
  struct mts_result r;

  result(&r, T0 + DAY, "20260202", "enforce", 604800, "mx1.example.com", NULL);
  diff(&e, 1, &r);
  ck_assert(mts_findings_has(&r.findings, MTS_F_POLICY_ID_CHANGED_POLICY_SAME));
  ck_assert_uint_eq(r.findings.n, 1);
  ck_assert_int_eq(r.findings.v[0].severity, MTS_SEV_INFO);
  ck_assert_int_eq(r.status, MTS_STATUS_OK);
  c = change(&r, "mta_sts.record.id");
  ck_assert_ptr_nonnull(c);
  ck_assert_str_eq(c->old_value, "\"20260101\"");
  ck_assert_str_eq(c->new_value, "\"20260202\"");
  ck_assert_str_eq(e.cache_id, "20260202");
  mts_result_release(&r);
  mts_state_entry_release(&e);
}
END_TEST

/* The right way: new policy and new id. R102: ids need not increase.
 * rollout.md R201: the old policy may still be cached, which is only
 * information. */
START_TEST(id_and_policy_changed_is_fine)
{
  struct mts_state_entry e = first_run();
  struct mts_result r;

  result(&r, T0 + DAY, "aaa", "enforce", 604800, "mx1.example.com",
         "mx2.example.com");
  diff(&e, 1, &r);
  ck_assert_uint_eq(r.findings.n, 1);
  ck_assert(mts_findings_has(&r.findings, MTS_F_POLICY_OLD_MAY_BE_CACHED));
  ck_assert_int_eq(r.findings.v[0].severity, MTS_SEV_INFO);
  ck_assert_int_eq(r.status, MTS_STATUS_OK);
  ck_assert_int_eq(r.old_policy_until, T0 + 604800);
  ck_assert_uint_eq(r.changes.n, 2);
  ck_assert_str_eq(change(&r, "mta_sts.policy.mx")->new_value,
                   "[\"mx1.example.com\",\"mx2.example.com\"]");
  ck_assert_ptr_nonnull(change(&r, "mta_sts.record.id"));
  mts_result_release(&r);
  mts_state_entry_release(&e);
}
END_TEST

/* R100: compare the parsed policy, not its bytes. */

/* Live MX hosts of a result (R202 judges them). */
static void
set_hosts(struct mts_result *r, const char *a, const char *b)
{
  r->mx.n_hosts = b ? 2 : 1;
  r->mx.hosts = calloc(r->mx.n_hosts, sizeof(*r->mx.hosts));
  ck_assert_ptr_nonnull(r->mx.hosts);
  r->mx.hosts[0].name = strdup(a);
  if (b != NULL) {
    r->mx.hosts[1].name = strdup(b);
  }
}

static const struct mts_finding *
finding(const struct mts_result *r, enum mts_code code, const char *subject)
{
  for (size_t i = 0; i < r->findings.n; i++) {
    const struct mts_finding *f = &r->findings.v[i];
    if (f->code == code &&
        (subject == NULL ||
         (f->subject != NULL && strcmp(f->subject, subject) == 0))) {
      return f;
    }
  }
  return NULL;
}

/* R200, R201: the previous policy is remembered with its last-seen time and
 * reported on every run until last seen + max_age, then forgotten. */
START_TEST(old_policy_reported_until_it_expires)
{
  struct mts_state_entry e = first_run(); /* T0, max_age 604800 */
  struct mts_result r;
  const struct mts_finding *f;

  /* Still served as cached one day later: last seen moves. */
  result(&r, T0 + DAY, "20260101", "enforce", 604800, "mx1.example.com", NULL);
  diff(&e, 1, &r);
  ck_assert_int_eq(e.cache_last_seen, T0 + DAY);
  ck_assert_int_eq(r.old_policy_until, -1);
  mts_result_release(&r);

  result(&r, T0 + 2 * DAY, "20260202", "testing", 86400, "mx1.example.com",
         NULL);
  diff(&e, 1, &r);
  f = finding(&r, MTS_F_POLICY_OLD_MAY_BE_CACHED, "20260101");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(r.old_policy_until, T0 + DAY + 604800);
  /* R205: the date in UTC, the zone named. */
  ck_assert_msg(strstr(f->message, "2026-12-08 00:53:20 UTC") != NULL, "%s",
                f->message);
  ck_assert_str_eq(e.prev_id, "20260101");
  ck_assert_str_eq(e.prev_mode, "enforce");
  ck_assert_str_eq(e.prev_mx, "[\"mx1.example.com\"]");
  ck_assert_int_eq(e.prev_max_age, 604800);
  ck_assert_int_eq(e.prev_last_seen, T0 + DAY);
  ck_assert_str_eq(e.cache_id, "20260202");
  mts_result_release(&r);

  /* Every run until the date: even one that could not fetch the policy. */
  result(&r, T0 + 5 * DAY, "20260202", NULL, 0, NULL, NULL);
  diff(&e, 1, &r);
  ck_assert_ptr_nonnull(finding(&r, MTS_F_POLICY_OLD_MAY_BE_CACHED, NULL));
  mts_result_release(&r);

  /* The date has passed: nothing, and the entry forgets it. */
  result(&r, T0 + DAY + 604800, "20260202", "testing", 86400, "mx1.example.com",
         NULL);
  diff(&e, 1, &r);
  ck_assert_uint_eq(r.findings.n, 0);
  ck_assert_int_eq(r.old_policy_until, -1);
  ck_assert_ptr_null(e.prev_id);
  mts_result_release(&r);
  mts_state_entry_release(&e);
}
END_TEST

/* R202, the migration trap: the previous enforce policy does not name the
 * new MX host. An error when it lasts over a day and it is the only MX. */
START_TEST(old_enforce_policy_breaks_new_mx)
{
  struct mts_state_entry e = first_run(); /* enforce, mx1, 604800 */
  struct mts_result r;
  const struct mts_finding *f;

  result(&r, T0 + DAY, "20260202", "enforce", 604800, "mx2.example.com", NULL);
  set_hosts(&r, "mx2.example.com", NULL);
  diff(&e, 1, &r);
  f = finding(&r, MTS_F_POLICY_OLD_CACHE_BREAKS_MX, "mx2.example.com");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(f->severity, MTS_SEV_ERROR);
  ck_assert_int_eq(r.status, MTS_STATUS_ERROR);
  mts_result_release(&r);

  /* Two live hosts, one the old policy names: a warning for the other. */
  result(&r, T0 + 2 * DAY, "20260202", "enforce", 604800, "mx2.example.com",
         NULL);
  set_hosts(&r, "mx1.example.com", "mx2.example.com");
  diff(&e, 1, &r);
  ck_assert_ptr_null(
      finding(&r, MTS_F_POLICY_OLD_CACHE_BREAKS_MX, "mx1.example.com"));
  f = finding(&r, MTS_F_POLICY_OLD_CACHE_BREAKS_MX, "mx2.example.com");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(f->severity, MTS_SEV_WARNING);
  mts_result_release(&r);

  /* Less than a day left: a warning even for the only host. */
  result(&r, T0 + 604800 - 3600, "20260202", "enforce", 604800,
         "mx2.example.com", NULL);
  set_hosts(&r, "mx2.example.com", NULL);
  diff(&e, 1, &r);
  f = finding(&r, MTS_F_POLICY_OLD_CACHE_BREAKS_MX, "mx2.example.com");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(f->severity, MTS_SEV_WARNING);
  mts_result_release(&r);
  mts_state_entry_release(&e);
}
END_TEST

/* R202 applies to an enforce policy only; a wildcard of the old policy
 * that matches the new host covers it. */
START_TEST(old_testing_or_matching_policy_breaks_nothing)
{
  struct mts_state_entry e;
  struct mts_result r;

  memset(&e, 0, sizeof(e));
  result(&r, T0, "a1", "testing", 604800, "mx1.example.com", NULL);
  diff(&e, 0, &r);
  mts_result_release(&r);
  result(&r, T0 + DAY, "a2", "enforce", 604800, "mx2.example.com", NULL);
  set_hosts(&r, "mx2.example.com", NULL);
  diff(&e, 1, &r);
  ck_assert_ptr_nonnull(finding(&r, MTS_F_POLICY_OLD_MAY_BE_CACHED, NULL));
  ck_assert_ptr_null(finding(&r, MTS_F_POLICY_OLD_CACHE_BREAKS_MX, NULL));
  mts_result_release(&r);
  mts_state_entry_release(&e);

  memset(&e, 0, sizeof(e));
  result(&r, T0, "b1", "enforce", 604800, "*.example.com", NULL);
  diff(&e, 0, &r);
  mts_result_release(&r);
  result(&r, T0 + DAY, "b2", "enforce", 604800, "mx2.example.com", NULL);
  set_hosts(&r, "mx2.example.com", NULL);
  diff(&e, 1, &r);
  ck_assert_ptr_null(finding(&r, MTS_F_POLICY_OLD_CACHE_BREAKS_MX, NULL));
  mts_result_release(&r);
  mts_state_entry_release(&e);
}
END_TEST

/* An entry from a version 1 file knows neither the cached policy's mode
 * and mx nor when it was last seen: the previous run's fields and time
 * stand in. */
START_TEST(version_1_entry_gives_previous_policy)
{
  struct mts_state_entry e = first_run();
  struct mts_result r;

  free(e.cache_mode);
  free(e.cache_mx);
  e.cache_mode = e.cache_mx = NULL;
  e.cache_last_seen = 0;
  e.last_checked = T0 + DAY;
  result(&r, T0 + 2 * DAY, "20260202", "enforce", 604800, "mx2.example.com",
         NULL);
  set_hosts(&r, "mx2.example.com", NULL);
  diff(&e, 1, &r);
  ck_assert_int_eq(e.prev_last_seen, T0 + DAY);
  ck_assert_str_eq(e.prev_mode, "enforce");
  ck_assert_str_eq(e.prev_mx, "[\"mx1.example.com\"]");
  ck_assert_ptr_nonnull(finding(&r, MTS_F_POLICY_OLD_CACHE_BREAKS_MX, NULL));
  mts_result_release(&r);
  mts_state_entry_release(&e);
}
END_TEST

START_TEST(crlf_lf_order_case_are_no_change)
{
  static const char crlf[] = "version: STSv1\r\nmode: enforce\r\n"
                             "mx: mx1.example.com\r\nmx: mx2.example.com\r\n"
                             "max_age: 604800\r\n";
  static const char lf[] = "version: STSv1\nmax_age: 604800\n"
                           "mx: MX2.example.com.\nmode: enforce\n"
                           "mx: mx1.example.com\nmx: mx2.example.com\n";
  struct mts_state_entry e;
  struct mts_policy pol;
  struct mts_findings fl = {0};
  struct mts_result r;

  memset(&e, 0, sizeof(e));
  for (int run = 0; run < 2; run++) {
    const char *body = run == 0 ? crlf : lf;
    ck_assert_int_eq(mts_policy_parse(body, strlen(body), &pol, &fl), MTS_OK);
    ck_assert_int_eq(pol.valid, 1);
    result(&r, T0 + run * DAY, "20260101", pol.mode_str, pol.max_age, pol.mx[0],
           pol.mx[1]);
    /* Hand over every pattern (the LF body repeats one). */
    for (size_t i = 0; i < r.policy.n_mx; i++) {
      free(r.policy.mx[i]);
    }
    free(r.policy.mx);
    r.policy.mx = pol.mx;
    r.policy.n_mx = pol.n_mx;
    pol.mx = NULL;
    pol.n_mx = 0;
    mts_policy_release(&pol);
    mts_findings_release(&fl);
    diff(&e, run > 0, &r);
    ck_assert_uint_eq(r.findings.n, 0);
    ck_assert_uint_eq(r.changes.n, 0);
    mts_result_release(&r);
  }
  mts_state_entry_release(&e);
}
END_TEST

START_TEST(hash_is_canonical)
{
  static char x[] = "a.example", y[] = "b.example";
  char *a[] = {y, x, y};
  char *b[] = {x, y};
  uint64_t h1, h2, h3;

  ck_assert_int_eq(mts_state_policy_hash("enforce", 86400, a, 3, &h1), MTS_OK);
  ck_assert_int_eq(mts_state_policy_hash("enforce", 86400, b, 2, &h2), MTS_OK);
  ck_assert_int_eq(mts_state_policy_hash("enforce", 86401, b, 2, &h3), MTS_OK);
  ck_assert(h1 == h2);
  ck_assert(h2 != h3);
}
END_TEST

/* A run that cannot see the policy or the record changes nothing and says
 * nothing: the old entry is kept. */
START_TEST(fetch_failed_keeps_entry)
{
  struct mts_state_entry e = first_run();
  struct mts_result r;

  result(&r, T0 + DAY, "20260101", NULL, 0, NULL, NULL);
  r.sts.record.status = MTS_REC_UNKNOWN; /* the TXT lookup failed too */
  r.tlsrpt.record.status = MTS_REC_UNKNOWN;
  diff(&e, 1, &r);
  ck_assert_uint_eq(r.findings.n, 0);
  ck_assert_uint_eq(r.changes.n, 0);
  ck_assert_str_eq(e.field[MTS_SF_POLICY_MODE].json, "\"enforce\"");
  ck_assert_int_eq(e.field[MTS_SF_POLICY_MODE].last_seen, T0);
  ck_assert_int_eq(e.field[MTS_SF_STS_ID].last_seen, T0);
  ck_assert_str_eq(e.cache_id, "20260101");
  ck_assert_int_eq(e.last_checked, T0 + DAY);
  mts_result_release(&r);

  /* Back the next day, as it was: still no finding. */
  result(&r, T0 + 2 * DAY, "20260101", "enforce", 604800, "mx1.example.com",
         NULL);
  diff(&e, 1, &r);
  ck_assert_uint_eq(r.findings.n, 0);
  ck_assert_uint_eq(r.changes.n, 0);
  mts_result_release(&r);
  mts_state_entry_release(&e);
}
END_TEST

START_TEST(record_removed_is_a_change)
{
  struct mts_state_entry e = first_run();
  struct mts_result r;

  result(&r, T0 + DAY, NULL, NULL, 0, NULL, NULL);
  diff(&e, 1, &r);
  ck_assert_uint_eq(r.changes.n, 1);
  ck_assert_str_eq(change(&r, "mta_sts.record.id")->new_value, "null");
  ck_assert_uint_eq(r.findings.n, 0);
  mts_result_release(&r);
  mts_state_entry_release(&e);
}
END_TEST

/* What the reader would refuse is never stored: the field is left unseen,
 * so that a file the tool wrote always opens again. */
START_TEST(unstorable_values_are_not_stored)
{
  struct mts_state_entry e;
  struct mts_result r;

  memset(&e, 0, sizeof(e));
  result(&r, T0, "20260101", "enforce", 604800, "mx1.example.com", NULL);
  free(r.tlsrpt.rua[0]);
  r.tlsrpt.rua[0] = strdup("mailto:a\x7f@example.com");
  free(r.policy.mode);
  r.policy.mode = strdup("Enforce");
  diff(&e, 0, &r);
  ck_assert_ptr_null(e.field[MTS_SF_TLSRPT_RUA].json);
  ck_assert_ptr_null(e.field[MTS_SF_POLICY_MODE].json);
  ck_assert_ptr_null(e.cache_id);
  ck_assert_ptr_nonnull(e.field[MTS_SF_STS_ID].json);
  mts_result_release(&r);
  mts_state_entry_release(&e);
}
END_TEST

/* ---- the file ----------------------------------------------------------- */

static char dir[64];

static void
mkdir_tmp(void)
{
  snprintf(dir, sizeof(dir), "/tmp/mts-state-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
}

static int
rm_one(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
  (void)sb;
  (void)ftw;
  if (type == FTW_DP) {
    rmdir(p);
  } else {
    unlink(p);
  }
  return 0;
}

static void
rm_tmp(void)
{
  nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
write_file(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");

  ck_assert_ptr_nonnull(f);
  ck_assert_int_ge(fputs(text, f), 0);
  ck_assert_int_eq(fclose(f), 0);
}

static char *
read_all(const char *path)
{
  FILE *f = fopen(path, "r");
  char *buf = calloc(1, 1 << 16);
  size_t n;

  ck_assert_ptr_nonnull(f);
  ck_assert_ptr_nonnull(buf);
  n = fread(buf, 1, (1 << 16) - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

/* Only the state file and its lock in the directory: no temporary left. */
static void
only_state_files(void)
{
  DIR *d = opendir(dir);
  struct dirent *de;

  ck_assert_ptr_nonnull(d);
  while ((de = readdir(d)) != NULL) {
    ck_assert_msg(strcmp(de->d_name, ".") == 0 ||
                      strcmp(de->d_name, "..") == 0 ||
                      strcmp(de->d_name, "state.json") == 0 ||
                      strcmp(de->d_name, "state.json.lock") == 0,
                  "unexpected file %s", de->d_name);
  }
  closedir(d);
}

/* One run over example.com with --state path. */
static void
run_once(const char *path, struct mts_result *r)
{
  struct mts_state *st = NULL;
  char err[512];

  ck_assert_int_eq(mts_state_open(&st, path, err, sizeof(err)), MTS_OK);
  ck_assert_int_eq(mts_state_note(st, r), MTS_OK);
  ck_assert_uint_eq(mts_state_noted(st), 1);
  ck_assert_int_eq(mts_state_save(st, r->checked_at, err, sizeof(err)), MTS_OK);
  mts_state_free(&st);
}

START_TEST(file_round_trip_gives_the_error)
{
  char path[128];
  char *text;
  struct mts_result r;

  mkdir_tmp();
  snprintf(path, sizeof(path), "%s/state.json", dir);
  result(&r, T0, "20260101", "enforce", 604800, "mx1.example.com", NULL);
  run_once(path, &r);
  ck_assert_uint_eq(r.findings.n, 0);
  mts_result_release(&r);
  only_state_files();
  text = read_all(path);
  ck_assert_ptr_nonnull(strstr(text, "\"kind\":\"mtasts-check-state\""));
  ck_assert_ptr_nonnull(strstr(text, "\"example.com\":"));
  free(text);

  result(&r, T0 + DAY, "20260101", "testing", 604800, "mx1.example.com", NULL);
  run_once(path, &r);
  ck_assert(mts_findings_has(&r.findings, MTS_F_POLICY_CHANGED_ID_UNCHANGED));
  ck_assert_uint_eq(r.changes.n, 1);
  mts_result_release(&r);

  /* The error survives another load and save. */
  result(&r, T0 + 2 * DAY, "20260101", "testing", 604800, "mx1.example.com",
         NULL);
  run_once(path, &r);
  ck_assert(mts_findings_has(&r.findings, MTS_F_POLICY_CHANGED_ID_UNCHANGED));
  ck_assert_uint_eq(r.changes.n, 0);
  mts_result_release(&r);
  only_state_files();
  rm_tmp();
}
END_TEST

/* The previous policy survives the file (version 2), and a version 1 file
 * is still read and written back as version 2. */
START_TEST(file_keeps_previous_policy)
{
  char path[128];
  char *text;
  struct mts_result r;

  mkdir_tmp();
  snprintf(path, sizeof(path), "%s/state.json", dir);
  write_file(path,
             "{\"kind\":\"mtasts-check-state\",\"version\":1,\"written_by\":"
             "\"mtasts-check 0.1.0\",\"updated_at\":\"2026-11-28T09:00:00Z\","
             "\"domains\":{\n\"example.com\":{\"last_checked\":"
             "\"2026-11-28T09:00:00Z\",\"fields\":{\"mta_sts.policy.mode\":{"
             "\"value\":\"enforce\",\"first_seen\":\"2026-11-28T09:00:00Z\","
             "\"last_seen\":\"2026-11-28T09:00:00Z\"},\"mta_sts.policy.mx\":{"
             "\"value\":[\"mx1.example.com\"],\"first_seen\":"
             "\"2026-11-28T09:00:00Z\",\"last_seen\":\"2026-11-28T09:00:00Z\""
             "}},\"sender_cache\":{\"id\":\"20260101\",\"policy_hash\":"
             "\"fnv1a64:0000000000000001\",\"max_age\":604800,\"first_seen\":"
             "\"2026-11-28T09:00:00Z\"}}\n}}\n");
  result(&r, T0 + DAY, "20260202", "enforce", 604800, "mx2.example.com", NULL);
  set_hosts(&r, "mx2.example.com", NULL);
  run_once(path, &r);
  ck_assert_ptr_nonnull(finding(&r, MTS_F_POLICY_OLD_CACHE_BREAKS_MX, NULL));
  mts_result_release(&r);
  text = read_all(path);
  ck_assert_ptr_nonnull(strstr(text, "\"version\":2"));
  ck_assert_ptr_nonnull(
      strstr(text, "\"previous_policy\":{\"id\":\"20260101\""));
  free(text);

  result(&r, T0 + 2 * DAY, "20260202", "enforce", 604800, "mx2.example.com",
         NULL);
  set_hosts(&r, "mx2.example.com", NULL);
  run_once(path, &r);
  ck_assert_ptr_nonnull(finding(&r, MTS_F_POLICY_OLD_CACHE_BREAKS_MX, NULL));
  ck_assert_ptr_nonnull(finding(&r, MTS_F_POLICY_OLD_MAY_BE_CACHED, NULL));
  mts_result_release(&r);
  only_state_files();
  rm_tmp();
}
END_TEST

/* Files that are not ours, or damaged: an error naming the file, and the
 * file is left byte for byte as it was. */
static const char *const bad_files[] = {
    "{not json",
    "{\"foo\": 1}",
    "[1, 2, 3]",
    "{\"kind\":\"mtasts-check-state\",\"version\":3,\"domains\":{}}",
    "{\"kind\":\"mtasts-check-state\",\"version\":2,\"domains\":{"
    "\"example.com\":{\"last_checked\":\"2026-11-28T09:00:00Z\","
    "\"fields\":{},\"sender_cache\":null,\"previous_policy\":{\"id\":\"a\","
    "\"max_age\":1}}}}",
    "{\"kind\":\"mtasts-check-state\",\"version\":2,\"domains\":{"
    "\"example.com\":{\"last_checked\":\"2026-11-28T09:00:00Z\","
    "\"fields\":{},\"sender_cache\":null,\"previous_policy\":{\"id\":\"a\","
    "\"max_age\":1,\"last_seen\":\"2026-11-28T09:00:00Z\","
    "\"mode\":\"strict\"}}}}",
    "{\"kind\":\"mtasts-check-state\",\"version\":1}",
    "{\"kind\":\"mtasts-check-state\",\"version\":1,\"domains\":{},"
    "\"extra\":1}",
    "{\"kind\":\"mtasts-check-state\",\"version\":1,\"domains\":{"
    "\"Example.COM\":{\"last_checked\":\"2026-11-28T09:00:00Z\","
    "\"fields\":{},\"sender_cache\":null}}}",
    "{\"kind\":\"mtasts-check-state\",\"version\":1,\"domains\":{"
    "\"example.com\":{\"last_checked\":\"yesterday\","
    "\"fields\":{},\"sender_cache\":null}}}",
    "{\"kind\":\"mtasts-check-state\",\"version\":1,\"domains\":{"
    "\"example.com\":{\"last_checked\":\"2026-11-28T09:00:00Z\","
    "\"fields\":{\"mta_sts.policy.mode\":{\"value\":\"strict\","
    "\"first_seen\":\"2026-11-28T09:00:00Z\",\"last_seen\":"
    "\"2026-11-28T09:00:00Z\"}},\"sender_cache\":null}}}",
    "{\"kind\":\"mtasts-check-state\",\"version\":1,\"domains\":{"
    "\"example.com\":{\"last_checked\":\"2026-11-28T09:00:00Z\","
    "\"fields\":{},\"sender_cache\":null},"
    "\"example.com\":{\"last_checked\":\"2026-11-28T09:00:00Z\","
    "\"fields\":{},\"sender_cache\":null}}}",
    "{\"kind\":\"mtasts-check-state\",\"version\":1,\"domains\":{"
    "\"example.com\":{\"last_checked\":\"2026-11-28T09:00:00Z\","
    "\"fields\":{},\"sender_cache\":{\"id\":\"x\",\"policy_hash\":\"md5:1\","
    "\"max_age\":1,\"first_seen\":\"2026-11-28T09:00:00Z\"}}}}",
};

START_TEST(bad_file_is_refused_and_kept)
{
  char path[128], err[512];
  struct mts_state *st = NULL;
  char *after;

  mkdir_tmp();
  snprintf(path, sizeof(path), "%s/state.json", dir);
  write_file(path, bad_files[_i]);
  err[0] = '\0';
  ck_assert_int_eq(mts_state_open(&st, path, err, sizeof(err)), MTS_EINVAL);
  ck_assert_ptr_null(st);
  ck_assert_msg(strstr(err, path) != NULL, "no file name in: %s", err);
  ck_assert_msg(strstr(err, "left as it is") != NULL, "%s", err);
  after = read_all(path);
  ck_assert_str_eq(after, bad_files[_i]);
  free(after);
  rm_tmp();
}
END_TEST

START_TEST(empty_and_missing_file_are_empty_state)
{
  char path[128], err[512];
  struct mts_state *st = NULL;

  mkdir_tmp();
  snprintf(path, sizeof(path), "%s/state.json", dir);
  ck_assert_int_eq(mts_state_open(&st, path, err, sizeof(err)), MTS_OK);
  /* Nothing noted: nothing written. */
  ck_assert_int_eq(mts_state_save(st, T0, err, sizeof(err)), MTS_OK);
  mts_state_free(&st);
  ck_assert_int_ne(access(path, F_OK), 0);
  write_file(path, "");
  ck_assert_int_eq(mts_state_open(&st, path, err, sizeof(err)), MTS_OK);
  mts_state_free(&st);
  /* A directory we cannot use fails at open, before any check. */
  ck_assert_int_ne(
      mts_state_open(&st, "/nonexistent-dir/state.json", err, sizeof(err)),
      MTS_OK);
  ck_assert_ptr_null(st);
  rm_tmp();
}
END_TEST

/* Two runs that overlap in time over different domains: both are kept,
 * because each merges into the file as it is when it saves. */
START_TEST(concurrent_runs_merge)
{
  char path[128], err[512];
  struct mts_state *a = NULL, *b = NULL;
  struct mts_result ra, rb;
  char *text;

  mkdir_tmp();
  snprintf(path, sizeof(path), "%s/state.json", dir);
  ck_assert_int_eq(mts_state_open(&a, path, err, sizeof(err)), MTS_OK);
  ck_assert_int_eq(mts_state_open(&b, path, err, sizeof(err)), MTS_OK);
  result(&ra, T0, "1", "enforce", 604800, "mx1.example.com", NULL);
  result(&rb, T0, "2", "testing", 604800, "mx1.example.org", NULL);
  free(rb.domain);
  rb.domain = strdup("example.org");
  ck_assert_int_eq(mts_state_note(a, &ra), MTS_OK);
  ck_assert_int_eq(mts_state_note(b, &rb), MTS_OK);
  ck_assert_int_eq(mts_state_save(a, T0, err, sizeof(err)), MTS_OK);
  ck_assert_int_eq(mts_state_save(b, T0, err, sizeof(err)), MTS_OK);
  mts_state_free(&a);
  mts_state_free(&b);
  text = read_all(path);
  ck_assert_ptr_nonnull(strstr(text, "\"example.com\":"));
  ck_assert_ptr_nonnull(strstr(text, "\"example.org\":"));
  free(text);
  only_state_files();
  mts_result_release(&ra);
  mts_result_release(&rb);
  rm_tmp();
}
END_TEST

/* A file damaged between the start and the end of a run is not
 * overwritten either. */
START_TEST(damaged_meanwhile_is_kept)
{
  char path[128], err[512];
  struct mts_state *st = NULL;
  struct mts_result r;
  char *after;

  mkdir_tmp();
  snprintf(path, sizeof(path), "%s/state.json", dir);
  ck_assert_int_eq(mts_state_open(&st, path, err, sizeof(err)), MTS_OK);
  result(&r, T0, "1", "enforce", 604800, "mx1.example.com", NULL);
  ck_assert_int_eq(mts_state_note(st, &r), MTS_OK);
  write_file(path, "garbage");
  ck_assert_int_eq(mts_state_save(st, T0, err, sizeof(err)), MTS_EINVAL);
  ck_assert_ptr_nonnull(strstr(err, path));
  mts_state_free(&st);
  after = read_all(path);
  ck_assert_str_eq(after, "garbage");
  free(after);
  only_state_files();
  mts_result_release(&r);
  rm_tmp();
}
END_TEST

/* The layout we write is read a line at a time: a file cut at a line
 * boundary is damage, not an empty or shorter state. */
START_TEST(truncated_file_is_refused)
{
  char path[128], err[512];
  struct mts_state *st = NULL;
  struct mts_result r;
  char *text, *end;

  mkdir_tmp();
  snprintf(path, sizeof(path), "%s/state.json", dir);
  result(&r, T0, "1", "enforce", 604800, "mx1.example.com", NULL);
  run_once(path, &r);
  mts_result_release(&r);
  text = read_all(path);
  end = strstr(text, "\n}}\n");
  ck_assert_ptr_nonnull(end);
  end[1] = '\0'; /* drop the last line */
  write_file(path, text);
  ck_assert_int_eq(mts_state_open(&st, path, err, sizeof(err)), MTS_EINVAL);
  ck_assert_msg(strstr(err, "ends early") != NULL, "%s", err);
  free(text);
  rm_tmp();
}
END_TEST

/* A file reformatted by hand (jq .) is still read, as one document. */
START_TEST(pretty_printed_file_is_read)
{
  static const char pretty[] =
      "{\n  \"kind\": \"mtasts-check-state\",\n  \"version\": 1,\n"
      "  \"domains\": {\n    \"example.com\": {\n"
      "      \"last_checked\": \"2026-11-27T09:00:00Z\",\n"
      "      \"fields\": {\"mta_sts.policy.mode\": {\"value\": \"enforce\", "
      "\"first_seen\": \"2026-11-27T09:00:00Z\", \"last_seen\": "
      "\"2026-11-27T09:00:00Z\"}},\n"
      "      \"sender_cache\": null\n    }\n  }\n}\n";
  char path[128];
  struct mts_result r;
  const struct mts_change *c;

  mkdir_tmp();
  snprintf(path, sizeof(path), "%s/state.json", dir);
  write_file(path, pretty);
  result(&r, T0, "1", "testing", 604800, "mx1.example.com", NULL);
  run_once(path, &r);
  ck_assert_int_eq(r.changes.first, 0);
  c = change(&r, "mta_sts.policy.mode");
  ck_assert_ptr_nonnull(c);
  ck_assert_str_eq(c->old_value, "\"enforce\"");
  mts_result_release(&r);
  rm_tmp();
}
END_TEST

/* ---- where the file is (issue 10, items 7-9) ------------------------------
 */

/* Linked with -Wl,--wrap=rename (test/CMakeLists.txt): with rename_ebusy
 * set, the library's rename(2) fails as it does over a mount point (a
 * state file bind-mounted into a container). */
int __real_rename(const char *from, const char *to);
int __wrap_rename(const char *from, const char *to);
static int rename_ebusy;

int
__wrap_rename(const char *from, const char *to)
{
  if (rename_ebusy) {
    errno = EBUSY;
    return -1;
  }
  return __real_rename(from, to);
}

static int
exists(const char *path)
{
  struct stat sb;

  return lstat(path, &sb) == 0;
}

static int
is_link_to(const char *path, const char *target)
{
  char buf[512];
  ssize_t n = readlink(path, buf, sizeof(buf) - 1);

  if (n < 0) {
    return 0;
  }
  buf[n] = '\0';
  return strcmp(buf, target) == 0;
}

static void
run_domain(const char *path, const char *domain, long long t)
{
  struct mts_result r;

  result(&r, t, "1", "enforce", 604800, "mx1.example.com", NULL);
  free(r.domain);
  r.domain = strdup(domain);
  run_once(path, &r);
  mts_result_release(&r);
}

/* A symlinked state file: the target is updated, the link stays a link,
 * and the lock is taken next to the target. Relative links, a chain of
 * two, and a link to a file not created yet. */
START_TEST(symlink_target_is_updated)
{
  char real[128], sub[128], link[128], link2[128], p[160];
  char *text;
  struct stat sb;

  mkdir_tmp();
  snprintf(sub, sizeof(sub), "%s/data", dir);
  ck_assert_int_eq(mkdir(sub, 0755), 0);
  snprintf(real, sizeof(real), "%s/data/state.json", dir);
  snprintf(link, sizeof(link), "%s/link.json", dir);
  snprintf(link2, sizeof(link2), "%s/link2.json", dir);
  ck_assert_int_eq(symlink("data/state.json", link), 0);
  ck_assert_int_eq(symlink("link.json", link2), 0);

  /* The target does not exist yet: it is created, not the link replaced. */
  run_domain(link2, "example.com", T0);
  ck_assert(is_link_to(link, "data/state.json"));
  ck_assert(is_link_to(link2, "link.json"));
  ck_assert_int_eq(lstat(real, &sb), 0);
  ck_assert(S_ISREG(sb.st_mode));
  snprintf(p, sizeof(p), "%s.lock", real);
  ck_assert(exists(p));
  snprintf(p, sizeof(p), "%s.lock", link);
  ck_assert(!exists(p));
  snprintf(p, sizeof(p), "%s.lock", link2);
  ck_assert(!exists(p));

  /* And updated where it is, through either link. */
  run_domain(link, "example.org", T0 + DAY);
  ck_assert(is_link_to(link, "data/state.json"));
  text = read_all(real);
  ck_assert_ptr_nonnull(strstr(text, "\"example.com\":"));
  ck_assert_ptr_nonnull(strstr(text, "\"example.org\":"));
  free(text);
  snprintf(p, sizeof(p), "%s.lock", link);
  ck_assert(!exists(p));
  rm_tmp();
}
END_TEST

/* Two links to one file take one lock: that of the file's real name, also
 * through a symlinked directory. */
START_TEST(two_links_take_one_lock)
{
  char real[128], a[128], b[128], d2[128], err[512];
  struct mts_state *sa = NULL, *sb = NULL;
  struct mts_result r;
  DIR *d;
  struct dirent *de;
  char *text;
  int n_lock = 0;

  mkdir_tmp();
  snprintf(real, sizeof(real), "%s/state.json", dir);
  snprintf(a, sizeof(a), "%s/a.json", dir);
  snprintf(d2, sizeof(d2), "%s/alias", dir);
  snprintf(b, sizeof(b), "%s/alias/b.json", dir);
  ck_assert_int_eq(symlink("state.json", a), 0);
  ck_assert_int_eq(symlink(".", d2), 0);
  ck_assert_int_eq(symlink(real, b), 0);
  ck_assert_int_eq(mts_state_open(&sa, a, err, sizeof(err)), MTS_OK);
  ck_assert_int_eq(mts_state_open(&sb, b, err, sizeof(err)), MTS_OK);
  d = opendir(dir);
  ck_assert_ptr_nonnull(d);
  while ((de = readdir(d)) != NULL) {
    if (strstr(de->d_name, ".lock") != NULL) {
      ck_assert_str_eq(de->d_name, "state.json.lock");
      n_lock++;
    }
  }
  closedir(d);
  ck_assert_int_eq(n_lock, 1);
  /* Whichever saves, the file is the real one. (That a run holding this
   * lock keeps the other one out is integration.state's "links" case.) */
  result(&r, T0, "1", "enforce", 604800, "mx1.example.com", NULL);
  ck_assert_int_eq(mts_state_note(sb, &r), MTS_OK);
  ck_assert_int_eq(mts_state_save(sb, T0, err, sizeof(err)), MTS_OK);
  text = read_all(real);
  ck_assert_ptr_nonnull(strstr(text, "\"example.com\":"));
  free(text);
  mts_result_release(&r);
  mts_state_free(&sa);
  mts_state_free(&sb);
  ck_assert(is_link_to(a, "state.json"));
  ck_assert(is_link_to(b, real));
  rm_tmp();
}
END_TEST

/* The mode and the owner of the state file are kept; a new file gets
 * 0666 less the umask (mkstemp alone would give 0600). */
START_TEST(mode_and_owner_are_kept)
{
  char path[128];
  struct stat sb;
  struct passwd *pw = getpwnam("nobody");
  int root = geteuid() == 0 && pw != NULL;

  mkdir_tmp();
  snprintf(path, sizeof(path), "%s/state.json", dir);
  umask(022);
  run_domain(path, "example.com", T0);
  ck_assert_int_eq(stat(path, &sb), 0);
  ck_assert_uint_eq(sb.st_mode & 07777, 0644);
  unlink(path);
  umask(027);
  run_domain(path, "example.com", T0);
  ck_assert_int_eq(stat(path, &sb), 0);
  ck_assert_uint_eq(sb.st_mode & 07777, 0640);

  umask(022);
  ck_assert_int_eq(chmod(path, 0640), 0);
  if (root) {
    ck_assert_int_eq(chown(path, pw->pw_uid, pw->pw_gid), 0);
  }
  run_domain(path, "example.org", T0 + DAY);
  ck_assert_int_eq(stat(path, &sb), 0);
  ck_assert_uint_eq(sb.st_mode & 07777, 0640);
  if (root) {
    ck_assert_uint_eq(sb.st_uid, pw->pw_uid);
    ck_assert_uint_eq(sb.st_gid, pw->pw_gid);
  } else {
    fprintf(stderr, "SKIP: owner kept (needs root and user nobody)\n");
  }
  ck_assert_int_eq(chmod(path, 0600), 0);
  run_domain(path, "example.net", T0 + DAY);
  ck_assert_int_eq(stat(path, &sb), 0);
  ck_assert_uint_eq(sb.st_mode & 07777, 0600);
  only_state_files();
  rm_tmp();
}
END_TEST

/* A symbolic link planted where the temporary file used to go
 * (FILE.tmp.<pid>: this process saves, so getpid() is the name) is never
 * followed: its target is left alone, and so is the link. */
START_TEST(planted_temp_link_is_not_followed)
{
  char path[128], victim[128], link[160];
  char *text;

  mkdir_tmp();
  snprintf(path, sizeof(path), "%s/state.json", dir);
  snprintf(victim, sizeof(victim), "%s/victim", dir);
  write_file(victim, "precious\n");
  snprintf(link, sizeof(link), "%s.tmp.%ld", path, (long)getpid());
  ck_assert_int_eq(symlink(victim, link), 0);
  run_domain(path, "example.com", T0);
  run_domain(path, "example.org", T0 + DAY);
  text = read_all(victim);
  ck_assert_str_eq(text, "precious\n");
  free(text);
  ck_assert(is_link_to(link, victim));
  text = read_all(path);
  ck_assert_ptr_nonnull(strstr(text, "\"example.org\":"));
  free(text);
  rm_tmp();
}
END_TEST

/* Nor one planted as the lock file: the run stops before any check, and
 * nothing is created or changed at its target. */
START_TEST(planted_lock_link_is_not_followed)
{
  char path[128], victim[128], link[160], err[512];
  struct mts_state *st = NULL;
  char *text;

  mkdir_tmp();
  snprintf(path, sizeof(path), "%s/state.json", dir);
  snprintf(victim, sizeof(victim), "%s/victim", dir);
  snprintf(link, sizeof(link), "%s.lock", path);
  ck_assert_int_eq(symlink(victim, link), 0);
  ck_assert_int_ne(mts_state_open(&st, path, err, sizeof(err)), MTS_OK);
  ck_assert_ptr_null(st);
  ck_assert_msg(strstr(err, "symbolic link") != NULL, "%s", err);
  ck_assert(!exists(victim));
  write_file(victim, "precious\n");
  ck_assert_int_ne(mts_state_open(&st, path, err, sizeof(err)), MTS_OK);
  text = read_all(victim);
  ck_assert_str_eq(text, "precious\n");
  free(text);
  rm_tmp();
}
END_TEST

/* A state file link that another user planted in a directory it may write
 * but does not own is not followed (fs.protected_symlinks' rule); one the
 * directory's owner made is. Needs root (lchown). */
START_TEST(foreign_link_is_not_followed)
{
  char path[128], victim[128], err[512];
  struct passwd *pw = getpwnam("nobody");
  struct mts_state *st = NULL;

  if (geteuid() != 0 || pw == NULL) {
    fprintf(stderr, "SKIP: foreign_link_is_not_followed needs root\n");
    return;
  }
  mkdir_tmp();
  snprintf(path, sizeof(path), "%s/state.json", dir);
  snprintf(victim, sizeof(victim), "%s/victim", dir);
  ck_assert_int_eq(symlink(victim, path), 0);
  ck_assert_int_eq(lchown(path, pw->pw_uid, pw->pw_gid), 0);
  ck_assert_int_eq(mts_state_open(&st, path, err, sizeof(err)), MTS_EINVAL);
  ck_assert_ptr_null(st);
  ck_assert_msg(strstr(err, "not followed") != NULL, "%s", err);
  ck_assert(!exists(victim));
  ck_assert(is_link_to(path, victim));
  /* The directory is nobody's: its owner's link is followed. */
  ck_assert_int_eq(chown(dir, pw->pw_uid, pw->pw_gid), 0);
  run_domain(path, "example.com", T0);
  ck_assert(exists(victim));
  ck_assert(is_link_to(path, victim));
  rm_tmp();
}
END_TEST

/* A file that cannot be renamed over (EBUSY, a bind mount): rewritten in
 * place under the lock, same inode, owner and mode, growing and
 * shrinking; no temporary file left. */
START_TEST(busy_file_is_rewritten_in_place)
{
  static const char head[] =
      "{\n  \"kind\": \"mtasts-check-state\",\n  \"version\": 1,\n"
      "  \"domains\": {\n    \"example.com\": {\n"
      "      \"last_checked\": \"2026-11-27T09:00:00Z\",\n"
      "      \"fields\": {\"mta_sts.policy.mode\": {\"value\": \"enforce\", "
      "\"first_seen\": \"2026-11-27T09:00:00Z\", \"last_seen\": "
      "\"2026-11-27T09:00:00Z\"}},\n"
      "      \"sender_cache\": null\n";
  char pretty[sizeof(head) + 4096 + 16];
  char path[128], err[512];
  struct stat before, after;
  struct mts_state *st = NULL;
  struct mts_result r;
  char *text;

  /* Padded with blanks, so that the file we write first is shorter. */
  memcpy(pretty, head, sizeof(head) - 1);
  memset(pretty + sizeof(head) - 1, ' ', 4096);
  strcpy(pretty + sizeof(head) - 1 + 4096, "\n    }\n  }\n}\n");
  mkdir_tmp();
  snprintf(path, sizeof(path), "%s/state.json", dir);
  write_file(path, pretty);
  ck_assert_int_eq(chmod(path, 0640), 0);
  ck_assert_int_eq(stat(path, &before), 0);
  rename_ebusy = 1;
  /* Shrinks: the padded document becomes one short line. */
  run_domain(path, "example.com", T0);
  ck_assert_int_eq(stat(path, &after), 0);
  ck_assert_uint_eq(after.st_ino, before.st_ino);
  ck_assert_int_lt(after.st_size, before.st_size);
  ck_assert_uint_eq(after.st_mode & 07777, 0640);
  /* Grows. */
  run_domain(path, "example.org", T0 + DAY);
  run_domain(path, "example.net", T0 + DAY);
  ck_assert_int_eq(stat(path, &after), 0);
  ck_assert_uint_eq(after.st_ino, before.st_ino);
  rename_ebusy = 0;
  text = read_all(path);
  ck_assert_ptr_nonnull(strstr(text, "\"example.com\":"));
  ck_assert_ptr_nonnull(strstr(text, "\"example.org\":"));
  ck_assert_ptr_nonnull(strstr(text, "\"example.net\":"));
  ck_assert_ptr_nonnull(strstr(text, "\n}}\n"));
  ck_assert_ptr_null(strstr(text, "   "));
  free(text);
  /* And it reads back whole. */
  ck_assert_int_eq(mts_state_open(&st, path, err, sizeof(err)), MTS_OK);
  result(&r, T0 + 2 * DAY, "1", "testing", 604800, "mx1.example.com", NULL);
  ck_assert_int_eq(mts_state_note(st, &r), MTS_OK);
  ck_assert_int_eq(r.changes.first, 0);
  ck_assert_ptr_nonnull(change(&r, "mta_sts.policy.mode"));
  mts_result_release(&r);
  mts_state_free(&st);
  only_state_files();
  rm_tmp();
}
END_TEST

/* A busy file that is not there under the lock (a mount point cannot
 * vanish, but a new name can be busy): not written, the temporary file
 * removed, one sentence why. */
START_TEST(busy_new_file_is_not_written)
{
  char path[128], err[512];
  struct mts_state *st = NULL;
  struct mts_result r;

  mkdir_tmp();
  snprintf(path, sizeof(path), "%s/state.json", dir);
  ck_assert_int_eq(mts_state_open(&st, path, err, sizeof(err)), MTS_OK);
  result(&r, T0, "1", "enforce", 604800, "mx1.example.com", NULL);
  ck_assert_int_eq(mts_state_note(st, &r), MTS_OK);
  rename_ebusy = 1;
  ck_assert_int_eq(mts_state_save(st, T0, err, sizeof(err)), MTS_ESYS);
  rename_ebusy = 0;
  ck_assert_msg(strstr(err, "not updated") != NULL, "%s", err);
  ck_assert(!exists(path));
  only_state_files();
  mts_state_free(&st);
  mts_result_release(&r);
  rm_tmp();
}
END_TEST

static Suite *
state_suite(void)
{
  Suite *s = suite_create("state");
  TCase *tc = tcase_create("diff");
  TCase *tf = tcase_create("file");

  tcase_add_test(tc, first_run_no_finding);
  tcase_add_test(tc, same_again_no_change);
  tcase_add_test(tc, id_unchanged_policy_changed_is_error);
  tcase_add_test(tc, old_policy_back_is_fine);
  tcase_add_test(tc, id_changed_policy_same_is_info);
  tcase_add_test(tc, id_and_policy_changed_is_fine);
  tcase_add_test(tc, old_policy_reported_until_it_expires);
  tcase_add_test(tc, old_enforce_policy_breaks_new_mx);
  tcase_add_test(tc, old_testing_or_matching_policy_breaks_nothing);
  tcase_add_test(tc, version_1_entry_gives_previous_policy);
  tcase_add_test(tc, crlf_lf_order_case_are_no_change);
  tcase_add_test(tc, hash_is_canonical);
  tcase_add_test(tc, fetch_failed_keeps_entry);
  tcase_add_test(tc, record_removed_is_a_change);
  tcase_add_test(tc, unstorable_values_are_not_stored);
  suite_add_tcase(s, tc);

  tcase_add_test(tf, file_round_trip_gives_the_error);
  tcase_add_test(tf, file_keeps_previous_policy);
  tcase_add_loop_test(tf, bad_file_is_refused_and_kept, 0,
                      (int)(sizeof(bad_files) / sizeof(bad_files[0])));
  tcase_add_test(tf, empty_and_missing_file_are_empty_state);
  tcase_add_test(tf, concurrent_runs_merge);
  tcase_add_test(tf, damaged_meanwhile_is_kept);
  tcase_add_test(tf, truncated_file_is_refused);
  tcase_add_test(tf, pretty_printed_file_is_read);
  tcase_add_test(tf, symlink_target_is_updated);
  tcase_add_test(tf, two_links_take_one_lock);
  tcase_add_test(tf, mode_and_owner_are_kept);
  tcase_add_test(tf, planted_temp_link_is_not_followed);
  tcase_add_test(tf, planted_lock_link_is_not_followed);
  tcase_add_test(tf, foreign_link_is_not_followed);
  tcase_add_test(tf, busy_file_is_rewritten_in_place);
  tcase_add_test(tf, busy_new_file_is_not_written);
  suite_add_tcase(s, tf);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(state_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
