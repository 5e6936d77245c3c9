#ifndef MTS_PROGRESS_H
#define MTS_PROGRESS_H

/* The bulk run's words for people: the progress line drawn on a terminal
 * (stderr) and the summary line that ends the text output. Pure formatting:
 * run.c decides when to draw and where. */

#include <stddef.h>
#include <stdint.h>

#include "mtasts/result.h"

/*! Domains written so far, per status (indexed by enum mts_status). */
struct mts_tally {
  unsigned long n[4];
};

/*! \return the number of domains in \p t. */
unsigned long mts_tally_total(const struct mts_tally *t);

/*! Count one result of status \p st. */
void mts_tally_add(struct mts_tally *t, enum mts_status st);

/*! The summary line, without a newline:
 *  "checked 1200 domains: 1100 ok, 60 warning, 30 error, 10 unknown".
 *  \return the length written (cut to fit \p size). */
size_t mts_summary_format(char *buf, size_t size, const struct mts_tally *t);

/*! The progress line, without "\r" or a newline, at most \p width
 *  columns (ASCII only):
 *    known total:  "[#######.......]  1200/5000  24%  850/s  ETA 0:04"
 *    unknown:      "1200 checked  850/s"
 *  \param total 0 when not known
 *  \param elapsed_ms since the run started (the rate is the average)
 *  \return the length written. */
size_t mts_progress_format(char *buf, size_t size, unsigned long done,
                           unsigned long total, uint64_t elapsed_ms,
                           size_t width);

#endif
