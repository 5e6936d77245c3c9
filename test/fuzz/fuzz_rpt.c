/* libFuzzer target for src/tlsrpt.c (with src/ijson.c and src/gunzip.c):
 * one TLS-RPT aggregate report, as found (gzip or JSON bytes).
 *
 * The input is parsed twice, as found and labelled gzip (the first byte's
 * low bit picks the small limits of the second parse, to reach the caps).
 * Invariants are checked; a violation aborts, which the fuzzer reports.
 * Replayed over fixtures/fuzz/rpt/ by test/fuzz/replay.c as a normal
 * test. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts/tlsrpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
  if (!cond) {
    abort();
  }
}

static void
check_report(const struct mts_rpt *r)
{
  int errors = 0;
  uint64_t succ = 0, fail = 0;

  for (size_t i = 0; i < r->findings.n; i++) {
    const struct mts_finding *f = &r->findings.v[i];
    check(f->code < MTS_F__COUNT);
    check(f->message != NULL && f->message[0] != '\0');
    errors += f->severity == MTS_SEV_ERROR;
  }
  check(r->valid == (errors == 0));
  if (!r->valid) {
    check(r->n_policies == 0 && r->policies == NULL);
    check(r->total_successful == 0 && r->total_failed == 0);
    return;
  }
  check(r->organization != NULL && r->report_id != NULL);
  check(r->start != NULL && r->end != NULL && r->have_dates);
  check(r->start_epoch < r->end_epoch);
  for (size_t k = 0; k < r->n_policies; k++) {
    const struct mts_rpt_policy *p = &r->policies[k];
    uint64_t listed = 0, by_type = 0;
    check(p->policy_type != NULL);
    /* issue 11: only no-policy-found may leave its domain unknown. */
    check(p->policy_domain != NULL ||
          strcmp(p->policy_type, "no-policy-found") == 0);
    /* An sts and a tlsa policy of the same sessions: paired both ways,
     * same counts, counted once (the later one left out of the totals). */
    if (p->same_sessions_as > 0) {
      const struct mts_rpt_policy *q;
      check(p->same_sessions_as <= r->n_policies &&
            p->same_sessions_as - 1 != k);
      q = &r->policies[p->same_sessions_as - 1];
      check(q->same_sessions_as == k + 1);
      check(q->successful == p->successful && q->failed == p->failed);
      check(p->policy_domain != NULL && q->policy_domain != NULL);
      check((strcmp(p->policy_type, "sts") == 0 &&
             strcmp(q->policy_type, "tlsa") == 0) ||
            (strcmp(p->policy_type, "tlsa") == 0 &&
             strcmp(q->policy_type, "sts") == 0));
    }
    if (p->same_sessions_as == 0 || p->same_sessions_as - 1 > k) {
      succ += p->successful;
      fail += p->failed;
    }
    for (size_t j = 0; j < p->n_failures; j++) {
      if (p->failures[j].result_type != NULL) {
        listed += p->failures[j].count;
      }
    }
    for (size_t j = 0; j < p->n_by_result_type; j++) {
      by_type += p->by_result_type[j].count;
    }
    check(listed == by_type);
  }
  check(succ == r->total_successful && fail == r->total_failed);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct mts_rpt r;
  struct mts_rpt_limits lim;

  if (mts_rpt_parse(data, size, 0, NULL, &r) == MTS_OK) {
    check_report(&r);
  }
  mts_rpt_release(&r);

  mts_rpt_limits_default(&lim);
  if (size > 0 && (data[0] & 1)) {
    lim.max_json = 256;
    lim.max_depth = 4;
  }
  if (mts_rpt_parse(data, size, 1, &lim, &r) == MTS_OK) {
    check_report(&r);
  }
  mts_rpt_release(&r);
  return 0;
}
