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

/*! --format prometheus (docs/monitoring.md): the text exposition format
 *  groups each metric family's samples, so results are collected (a few
 *  numbers per domain: memory grows with the list) and written at the
 *  end. Opaque; owns copies of what it keeps. */
struct mts_report_prom;

/*! \return MTS_OK or MTS_ENOMEM; *out is written on success only. */
enum mts_err mts_report_prom_new(struct mts_report_prom **out);

/*! Keep what the metrics need of \p r (copied). A domain added again
 *  replaces its earlier result, at its first place.
 *  \return MTS_OK or MTS_ENOMEM (nothing kept then). */
enum mts_err mts_report_prom_add(struct mts_report_prom *p,
                                 const struct mts_result *r);

/*! Write every family, HELP and TYPE first, samples in the order domains
 *  were added; \p now is mtasts_last_run_timestamp_seconds.
 *  \return MTS_OK or MTS_EIO. */
enum mts_err mts_report_prom_write(FILE *out, const struct mts_report_prom *p,
                                   long long now);

/*! Free \p *p and set it to NULL; NULL is a no-op. */
void mts_report_prom_free(struct mts_report_prom **p);

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

/*! For other text writers (report_tlsrpt.c): write s[0..len) as the text
 *  blocks do, printable ASCII as is, '\\' as "\\\\", every other byte as
 *  \\xHH; between double quotes, '"' as \\", when \p quote.
 *  \return MTS_OK or MTS_EIO. */
enum mts_err mts_report_text_esc(FILE *out, const char *s, size_t len,
                                 int quote);

/*! For other text writers: the "Findings" section of a block, as the
 *  domain check writes it (a count line, then each finding worst first
 *  with its subject and fix). \return MTS_OK or MTS_EIO. */
enum mts_err mts_report_text_findings_write(FILE *out,
                                            const struct mts_findings *list,
                                            const struct mts_text_opts *opts);

#endif
