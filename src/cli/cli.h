#ifndef MTS_CLI_H
#define MTS_CLI_H

/* Command line (contract.md "Command line"): parsed into plain data; the
 * parser prints nothing and never exits. */

#include <stdio.h>

#include "mtasts/err.h"
#include "mtasts/check.h"
#include "writer.h"

/*! Exit code for a usage error (contract.md; sysexits EX_USAGE). */
#define MTS_EXIT_USAGE 64

struct mts_opts {
  struct mts_run_opts run;
  struct mts_write_opts write; /*!< --format, --quiet, --color */
  char **servers; /*!< --resolver values (owned array, borrowed strings) */
  size_t n_servers;
  const char *file;        /*!< -f FILE, "-" for stdin, or NULL */
  const char *policy_file; /*!< --policy-file FILE: lint it, no network */
  const char *state_file;  /*!< --state FILE (main opens it), or NULL */
  char *const *domains;
  size_t n_domains;
  int help;           /*!< --help was given: print mts_cli_help, exit 0 */
  int version;        /*!< --version was given */
  char ehlo_buf[256]; /*!< the host name, the default --ehlo */
};

/*! Parse the command line into \p o (defaults first).
 *  \param[out] errbuf on MTS_EINVAL, one sentence saying what is wrong
 *  \return MTS_OK, MTS_EINVAL (usage error) or MTS_ENOMEM. */
enum mts_err mts_cli_parse(int argc, char **argv, struct mts_opts *o,
                           char *errbuf, size_t errsz);

/*! Write the --help text. */
void mts_cli_help(FILE *out);

void mts_cli_release(struct mts_opts *o);

struct mts_optdef;
/*! The option table (opttab.h), for the shell completions (complete.h).
 *  \param[out] n the number of entries */
const struct mts_optdef *mts_cli_optdefs(size_t *n);

#endif
