/* libFuzzer target for src/txt.c: the _mta-sts and _smtp._tls validators.
 *
 * The input is split into TXT records on byte 0x1e (record separator), at
 * most 16 records (the 16th keeps any further 0x1e bytes). Both validators,
 * both looks_like functions and mts_sts_id_as_date run on it, and a few
 * invariants are checked; any violation aborts, which the fuzzer reports.
 * Replayed over fixtures/fuzz/txt/ by test/fuzz/replay.c as a normal test. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts/rules.h"

#define MAX_RECS 16
#define RS 0x1e

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
  if (!cond) {
    abort();
  }
}

/* Findings: messages are non-empty printable ASCII; severities are the
 * codes' own; an "ok" status has no error finding. */
static void
check_findings(const struct mts_findings *fl, size_t n0, int valid)
{
  for (size_t i = n0; i < fl->n; i++) {
    const struct mts_finding *f = &fl->v[i];
    check(f->code < MTS_F__COUNT);
    check(f->severity == mts_code_severity(f->code));
    check(f->message != NULL && f->message[0] != '\0');
    for (const char *m = f->message; *m; m++) {
      check(*m >= 0x20 && *m <= 0x7e);
    }
    check(f->subject != NULL || f->subject_len == 0);
    if (valid) {
      check(f->severity != MTS_SEV_ERROR);
    }
  }
}

static void
check_id(const char *id)
{
  size_t n = strlen(id);
  char date[64];

  check(n >= 1 && n <= 32);
  for (size_t i = 0; i < n; i++) {
    char c = id[i];
    check((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
          (c >= 'A' && c <= 'Z'));
  }
  if (mts_sts_id_as_date(id, date, sizeof(date))) {
    check(strlen(date) < sizeof(date));
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct mts_txt recs[MAX_RECS];
  struct mts_findings fl = {0};
  struct mts_sts sts;
  struct mts_tlsrpt rpt;
  const char *p = (const char *)data;
  size_t n = 0, start = 0;
  char *copy;

  /* Split into at most MAX_RECS records. */
  for (size_t i = 0; i <= size; i++) {
    if (i == size || (data[i] == RS && n < MAX_RECS - 1)) {
      recs[n].data = p + start;
      recs[n].len = i - start;
      n++;
      start = i + 1;
    }
  }
  /* An empty input means "no TXT record". */
  if (size == 0) {
    n = 0;
  }

  for (size_t i = 0; i < n; i++) {
    int s = mts_sts_looks_like(&recs[i]);
    int t = mts_tlsrpt_looks_like(&recs[i]);
    check(s == 0 || s == 1);
    check(t == 0 || t == 1);
  }

  if (mts_sts_check(recs, n, &sts, &fl) == MTS_OK) {
    check_findings(&fl, 0, sts.status == MTS_REC_VALID);
    check(sts.status != MTS_REC_UNKNOWN);
    check(n == 0 || sts.selected < n);
    if (sts.status == MTS_REC_VALID) {
      check(sts.id != NULL);
    }
    if (sts.status == MTS_REC_MISSING) {
      check(sts.id == NULL);
    }
    if (sts.id != NULL) {
      check_id(sts.id);
    }
    check(mts_record_status_str(sts.status) != NULL);
    mts_sts_release(&sts);
  }

  {
    size_t n0 = fl.n;
    if (mts_tlsrpt_check(recs, n, &rpt, &fl) == MTS_OK) {
      check_findings(&fl, n0, rpt.status == MTS_REC_VALID);
      check(rpt.status != MTS_REC_UNKNOWN);
      check(rpt.n_rua == 0 || rpt.rua != NULL);
      if (rpt.status == MTS_REC_VALID) {
        check(rpt.n_rua > 0);
      }
      for (size_t i = 0; i < rpt.n_rua; i++) {
        check(rpt.rua[i] != NULL);
      }
      mts_tlsrpt_release(&rpt);
    }
  }
  mts_findings_release(&fl);

  /* mts_sts_id_as_date on a NUL-terminated copy of the whole input. */
  copy = malloc(size + 1);
  if (copy != NULL) {
    char date[64];
    if (size > 0) {
      memcpy(copy, data, size);
    }
    copy[size] = '\0';
    if (mts_sts_id_as_date(copy, date, sizeof(date))) {
      check(strlen(date) >= 14 && strlen(date) <= 24);
    }
    (void)mts_sts_id_as_date(copy, date, (size_t)(size % 32));
    free(copy);
  }
  return 0;
}
