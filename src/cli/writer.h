#ifndef MTS_WRITER_H
#define MTS_WRITER_H

/* The front end's end of the runner's result sink (check.h): the chosen
 * output format, wired to the writers of src/output/. */

#include <stdio.h>

#include "mtasts/check.h"
#include "mtasts/output.h"

enum mts_format {
  MTS_FORMAT_TEXT = 0,
  MTS_FORMAT_JSON,
  MTS_FORMAT_PROMETHEUS, /*!< collected, written at the end */
};

/*! How results are written (--format, --quiet, --color). */
struct mts_write_opts {
  enum mts_format format;
  int quiet; /*!< text: print only domains not ok (or changed) */
  int color;
};

/*! One run's writer. Caller-owned storage: mts_writer_init, then
 *  mts_writer_release. */
struct mts_writer {
  struct mts_write_opts opts;
  FILE *out;
  struct mts_report_prom *prom; /*!< --format prometheus: written at end */
  int text_written;             /*!< a text block was written */
};

/*! \return MTS_OK or MTS_ENOMEM. */
enum mts_err mts_writer_init(struct mts_writer *w,
                             const struct mts_write_opts *opts, FILE *out);
/*! The sink that hands the runner's results to \p w. */
struct mts_sink mts_writer_sink(struct mts_writer *w);
void mts_writer_release(struct mts_writer *w);

#endif
