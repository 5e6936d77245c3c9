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

/*! The offline lint of one policy file (mtasts-check --policy-file):
 *  borrowed data. */
struct mts_policy_lint {
  const char *source; /*!< the path as given, "-" for stdin */
  enum mts_status status;
  enum mts_policy_status policy_status; /*!< valid or invalid */
  const char *mode;                     /*!< as written, or NULL */
  long max_age;                         /*!< -1 = null */
  char *const *mx;
  size_t n_mx;
  const struct mts_findings *findings;
};

/*! Write the lint of a policy file as a text block. */
enum mts_err mts_report_text_policy_write(FILE *out,
                                          const struct mts_policy_lint *l,
                                          const struct mts_text_opts *opts);

/*! Write the lint of a policy file as one JSON line:
 *  {"schema_version":1,"kind":"policy-file","source":...,"status":...,
 *   "policy":{"status","mode","max_age","mx"},"findings":[...]}. */
enum mts_err mts_report_json_policy_write(FILE *out,
                                          const struct mts_policy_lint *l);

#endif
