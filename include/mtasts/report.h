#ifndef MTS_REPORT_H
#define MTS_REPORT_H

/* Reporters: pure writers of one domain's result (contract.md). Nothing
 * else in the program prints results. */

#include <stdio.h>

#include "mtasts/err.h"
#include "mtasts/result.h"

struct mts_text_opts {
  int color; /*!< emit ANSI colour sequences */
};

/*! Write the human-readable block for \p r. Every byte that came from the
 *  network is escaped: no terminal control sequence can pass.
 *  \return MTS_OK, MTS_EIO or MTS_ENOMEM. */
enum mts_err mts_report_text_write(FILE *out, const struct mts_result *r,
                                   const struct mts_text_opts *opts);

/*! Write \p r as one JSON object on one line, '\n'-terminated (JSON Lines,
 *  contract.md). Strings that are not valid UTF-8 have each bad byte
 *  replaced by U+FFFD.
 *  \return MTS_OK, MTS_EIO or MTS_ENOMEM. */
enum mts_err mts_report_json_write(FILE *out, const struct mts_result *r);

#endif
