/* libFuzzer target for src/policy.c: the policy-body parser, the
 * Content-Type check and MX pattern matching.
 *
 * The whole input is parsed as a policy body. It is also split at its first
 * 0x1e byte (record separator) into two NUL-terminated strings, which are
 * given to mts_name_match (as pattern and host) and the first one to
 * mts_policy_check_content_type. Invariants are checked; a violation aborts,
 * which the fuzzer reports. Replayed over fixtures/fuzz/policy/ by
 * test/fuzz/replay.c as a normal test. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts/rules.h"

#define RS 0x1e

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
  if (!cond) {
    abort();
  }
}

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

/* A kept mx pattern: lowercase ["*."] LDH labels, no trailing dot. */
static void
check_mx(const char *mx)
{
  size_t n = strlen(mx);

  check(n > 0 && n <= 253 && mx[n - 1] != '.');
  for (size_t i = 0; i < n; i++) {
    char c = mx[i];
    check((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '.' || (c == '*' && i == 0));
  }
  /* A pattern matches itself unless it is a wildcard. */
  check(mts_name_match(mx, mx) == (mx[0] != '*'));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct mts_findings fl = {0};
  struct mts_policy pol;
  const uint8_t *rs = memchr(data, RS, size);
  size_t la = rs ? (size_t)(rs - data) : size;
  char *a, *b;

  if (mts_policy_parse((const char *)data, size, &pol, &fl) == MTS_OK) {
    size_t errors = 0;
    check_findings(&fl, 0, pol.valid);
    for (size_t i = 0; i < fl.n; i++) {
      errors += fl.v[i].severity == MTS_SEV_ERROR;
    }
    check(pol.valid == (errors == 0));
    check(fl.n <= 400);
    check(pol.max_age >= -1 && pol.max_age <= 31557600);
    check(pol.n_mx == 0 || pol.mx != NULL);
    check((pol.mode == MTS_MODE_UNSET) ==
          (mts_policy_mode_str(pol.mode) == NULL));
    if (pol.valid) {
      check(pol.version != NULL && strcmp(pol.version, "STSv1") == 0);
      check(pol.mode != MTS_MODE_UNSET && pol.max_age >= 0);
      check(pol.mode == MTS_MODE_NONE || pol.n_mx > 0);
    }
    for (size_t i = 0; i < pol.n_mx; i++) {
      check_mx(pol.mx[i]);
    }
    mts_policy_release(&pol);
    check(pol.mx == NULL && pol.n_mx == 0);
  }
  mts_findings_release(&fl);

  a = malloc(la + 1);
  b = malloc(size - la + 1);
  if (a != NULL && b != NULL) {
    int r;
    memcpy(a, data, la);
    a[la] = '\0';
    if (rs != NULL) {
      memcpy(b, rs + 1, size - la - 1);
      b[size - la - 1] = '\0';
    } else {
      b[0] = '\0';
    }
    r = mts_name_match(a, b);
    check(r == 0 || r == 1);
    check(mts_name_match(b, a) == 0 || mts_name_match(b, a) == 1);
    r = mts_policy_check_content_type(a, &fl);
    check(r == 0 || r == 1);
    check(fl.n <= 1);
    check_findings(&fl, 0, 0);
    if (r == 0) {
      check(fl.n == 1 && fl.v[0].severity == MTS_SEV_ERROR);
    }
    mts_findings_release(&fl);
  }
  free(a);
  free(b);
  return 0;
}
