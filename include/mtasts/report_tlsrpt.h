#ifndef MTS_REPORT_TLSRPT_H
#define MTS_REPORT_TLSRPT_H

/* Writers of `mtasts-check report` (contract.md "TLS-RPT aggregate
 * reports", docs/json.md, docs/reports.md): one report as a JSON line or a
 * text block, and the --summary groups as JSON lines or a text table.
 * Pure: they read plain data and write to the stream given, nothing
 * else. Every byte that came from input is escaped (text: \xHH; JSON:
 * valid UTF-8, U+FFFD for the rest). */

#include <stdio.h>

#include "mtasts/err.h"
#include "mtasts/finding.h"
#include "mtasts/report.h"
#include "mtasts/tlsrpt.h"
#include "mtasts/tlsrpt_sum.h"

/*! One report as written: borrowed data. */
struct mts_rpt_view {
  const char *source;     /*!< "PATH" or "PATH <message-id>"; never NULL */
  const char *message_id; /*!< or NULL */
  /*! The parsed report, or NULL when the input could not be read (the
   *  report is then invalid and every field but the findings null). */
  const struct mts_rpt *r;
  /*! All findings: the envelope's, then the report's, then the
   *  driver's (REPORT_SUBMITTER_MISMATCH, REPORT_DUPLICATE). */
  const struct mts_findings *findings;
};

/*! 1 when the view is a valid report (\p v->r set and valid). */
int mts_rpt_view_valid(const struct mts_rpt_view *v);

/*! The report as one JSON line, "kind": "tlsrpt-report".
 *  \return MTS_OK, MTS_EIO or MTS_ENOMEM. */
enum mts_err mts_report_tlsrpt_json_write(FILE *out,
                                          const struct mts_rpt_view *v);

/*! The report as a text block (docs/reports.md "Text output").
 *  \return MTS_OK or MTS_EIO. */
enum mts_err mts_report_tlsrpt_text_write(FILE *out,
                                          const struct mts_rpt_view *v,
                                          const struct mts_text_opts *opts);

/*! One --summary group as one JSON line, "kind": "tlsrpt-summary".
 *  \return MTS_OK, MTS_EIO or MTS_ENOMEM. */
enum mts_err mts_report_tlsrpt_summary_json_write(FILE *out,
                                                  const struct mts_rpt_day *d);

/*! The --summary table of \p n groups (sorted as mts_rpt_sum_days gives
 *  them), flagging the rates at or above \p threshold_pct.
 *  \return MTS_OK or MTS_EIO. */
enum mts_err
mts_report_tlsrpt_summary_text_write(FILE *out, const struct mts_rpt_day *days,
                                     size_t n, double threshold_pct,
                                     const struct mts_text_opts *opts);

/*! The line that ends text output of several reports, e.g.
 *  "12 reports: 10 valid (1 duplicate), 2 invalid; 3 with failed
 *  sessions, 2 with warnings or envelope errors" (parts that are 0 left
 *  out). \return MTS_OK or MTS_EIO. */
enum mts_err mts_report_tlsrpt_tally_text_write(FILE *out,
                                                const struct mts_rpt_tally *t);

/*! The failure rate of \p failed among \p successful + \p failed sessions
 *  as JSON numbers: a fraction with 4 decimals ("0.0067") into \p rate and
 *  a percentage with 2 decimals ("0.67") into \p pct, or "null" into both
 *  when there was no session. */
void mts_rpt_rate_str(uint64_t successful, uint64_t failed, char *rate,
                      size_t rate_size, char *pct, size_t pct_size);

#endif
