#ifndef MTS_RPTCMD_H
#define MTS_RPTCMD_H

/* The `mtasts-check report` sub-command (contract.md "TLS-RPT aggregate
 * reports", docs/reports.md): option parsing and the driver that walks the
 * inputs (rptsrc.h), parses each report (tlsrpt.h), writes it at once
 * (report_tlsrpt.h) and aggregates it (tlsrpt_sum.h). */

#include <stddef.h>
#include <stdio.h>

#include "mtasts/err.h"
#include "mtasts/tlsrpt.h"

/*! Default --fail-threshold, in percent. */
#define MTS_RPT_DEFAULT_THRESHOLD 5.0

struct mts_rptcmd_opts {
  int json;                  /*!< -j, --json, --format json */
  int prom;                  /*!< --format prometheus */
  int summary;               /*!< --summary */
  int quiet;                 /*!< -q: text shows only reports with problems */
  int color;                 /*!< resolved from --color (auto, always, never) */
  int help;                  /*!< -h, --help: print the help, exit 0 */
  double threshold;          /*!< --fail-threshold PCT, 0 to 100 */
  struct mts_rpt_limits lim; /*!< --max-size sets lim.max_input */
  char *const *paths;        /*!< borrowed from argv */
  size_t n_paths;
};

/*! Parse the sub-command's arguments (\p argv[0] is "report").
 *  \param[out] errbuf on MTS_EINVAL, one sentence saying what is wrong
 *  \return MTS_OK or MTS_EINVAL (a usage error). */
enum mts_err mts_rptcmd_parse(int argc, char **argv, struct mts_rptcmd_opts *o,
                              char *errbuf, size_t errsz);

/*! Write the sub-command's --help text. */
void mts_rptcmd_help(FILE *out);

struct mts_optdef;
/*! The sub-command's option table (opttab.h), for the completions.
 *  \param[out] n the number of entries */
const struct mts_optdef *mts_rptcmd_optdefs(size_t *n);

/*! Run `mtasts-check report`: \p argv[0] is "report" (main passes
 *  argc - 1, argv + 1).
 *  \return the exit code (contract.md): 0, 1, 2, 3 or 64. */
int mts_rptcmd_main(int argc, char **argv);

#endif
