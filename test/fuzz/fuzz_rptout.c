/* libFuzzer target for the output side of `mtasts-check report`: whatever
 * the parser makes of the input, the writers (src/report_tlsrpt.c,
 * src/jsonw.c) and the aggregation (src/tlsrpt_sum.c) must not crash, the
 * JSON must be one line, the text must hold nothing but printable
 * ASCII and newlines (no terminal control sequence can pass), and the
 * metrics must keep one sample a line.
 * Replayed over fixtures/fuzz/rptout/ by test/fuzz/replay.c as a normal
 * test. */
#include <stdint.h>
#include <stdio.h>
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

/* Run \p fn's output through the checks: JSON one line, text printable. */
static void
check_json(const char *p, size_t len)
{
  check(len > 0 && p[len - 1] == '\n');
  check(memchr(p, '\n', len) == p + len - 1);
}

static void
check_text(const char *p, size_t len)
{
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)p[i];
    check(c == '\n' || (c >= 0x20 && c <= 0x7e));
  }
}

/* --format prometheus: every line is a comment or one of our samples (a
 * label value cannot break a line), and the last line is the run's
 * timestamp. */
static void
check_prom(const struct mts_rpt *r)
{
  static const char last[] = "\nmtasts_tlsrpt_last_run_timestamp_seconds 0\n";
  struct mts_rpt_tally t = {2, 0, 1, 0, 0};
  struct mts_rpt_prom *p = NULL;
  char *buf = NULL;
  size_t len = 0;
  FILE *f;

  check(mts_rpt_prom_new(&p) == MTS_OK);
  check(mts_rpt_prom_add(p, r) == MTS_OK);
  check(mts_rpt_prom_add(p, r) == MTS_OK);
  f = open_memstream(&buf, &len);
  check(f != NULL);
  check(mts_rpt_prom_write(f, p, &t, 0) == MTS_OK);
  check(fclose(f) == 0);
  check(len > sizeof(last) &&
        memcmp(buf + len - (sizeof(last) - 1), last, sizeof(last) - 1) == 0);
  for (const char *l = buf; l < buf + len;) {
    const char *nl = memchr(l, '\n', (size_t)(buf + len - l));
    check(nl != NULL);
    check(strncmp(l, "# ", 2) == 0 || strncmp(l, "mtasts_tlsrpt_", 14) == 0);
    l = nl + 1;
  }
  free(buf);
  mts_rpt_prom_free(&p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct mts_rpt r;
  struct mts_rpt_view v;
  struct mts_rpt_sum *s = NULL;
  const struct mts_rpt_day *d;
  const char *first;
  char *buf = NULL;
  size_t len = 0, n = 0;
  FILE *f;

  if (mts_rpt_parse(data, size, 0, NULL, &r) != MTS_OK) {
    mts_rpt_release(&r);
    return 0;
  }
  v.source = "fuzz \x1b[2J";
  v.message_id = NULL;
  v.r = &r;
  v.findings = &r.findings;

  f = open_memstream(&buf, &len);
  check(f != NULL);
  check(mts_report_tlsrpt_json_write(f, &v) == MTS_OK);
  check(fclose(f) == 0);
  check_json(buf, len);
  free(buf);

  f = open_memstream(&buf, &len);
  check(f != NULL);
  check(mts_report_tlsrpt_text_write(f, &v, NULL) == MTS_OK);
  check(fclose(f) == 0);
  check_text(buf, len);
  free(buf);

  check(mts_rpt_sum_new(&s) == MTS_OK);
  for (int i = 0; i < 2; i++) {
    check(mts_rpt_sum_dedup(s, r.organization, r.report_id, "a", &first) ==
          MTS_OK);
    check((first != NULL) ==
          (i == 1 && r.organization != NULL && r.report_id != NULL));
    check(mts_rpt_sum_add(s, &r) == MTS_OK);
  }
  check(mts_rpt_sum_days(s, &d, &n) == MTS_OK);
  check(r.valid || n == 0);
  for (size_t i = 0; i < n; i++) {
    check(d[i].reports == 2);
    f = open_memstream(&buf, &len);
    check(f != NULL);
    check(mts_report_tlsrpt_summary_json_write(f, &d[i]) == MTS_OK);
    check(fclose(f) == 0);
    check_json(buf, len);
    free(buf);
  }
  f = open_memstream(&buf, &len);
  check(f != NULL);
  check(mts_report_tlsrpt_summary_text_write(f, d, n, 5.0, NULL) == MTS_OK);
  check(fclose(f) == 0);
  check_text(buf, len);
  free(buf);
  mts_rpt_sum_free(&s);
  check_prom(&r);
  mts_rpt_release(&r);
  return 0;
}
