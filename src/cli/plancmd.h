#ifndef MTS_PLANCMD_H
#define MTS_PLANCMD_H

/* The `mtasts-check plan DOMAIN` sub-command (rollout.md R187-R196): the
 * check's options plus --mode, --rua, --max-age and --policy-out; one
 * domain is checked (mts_run), the planner (check.h mts_plan_build) derives
 * what to publish, the writers of output.h print it. */

#include <stddef.h>
#include <stdio.h>

#include "cli.h"
#include "mtasts/err.h"
#include "mtasts/plan.h"

struct mts_plancmd_opts {
  struct mts_opts check; /*!< the check's options (mts_cli_parse) */
  struct mts_plan_opts plan;
  const char *policy_out; /*!< --policy-out FILE, or NULL */
  char **rua;             /*!< --rua values (owned array, borrowed strings) */
  size_t n_rua;
  int help;
  int no_propagation; /*!< --no-propagation (R187: on by default) */
  char **argv2;       /*!< the check's arguments handed to mts_cli_parse */
};

/*! Parse the sub-command's arguments (\p argv[0] is "plan").
 *  \param[out] errbuf on MTS_EINVAL, one sentence saying what is wrong
 *  \return MTS_OK, MTS_EINVAL (a usage error) or MTS_ENOMEM. */
enum mts_err mts_plancmd_parse(int argc, char **argv,
                               struct mts_plancmd_opts *o, char *errbuf,
                               size_t errsz);

void mts_plancmd_release(struct mts_plancmd_opts *o);

/*! Write the sub-command's --help text. */
void mts_plancmd_help(FILE *out);

struct mts_optdef;
/*! The sub-command's option table (opttab.h): its own options, then the
 *  check's that apply to one domain. \param[out] n the number of entries */
const struct mts_optdef *mts_plancmd_optdefs(size_t *n);

/*! Write \p len bytes of \p body to \p path atomically (a temporary file
 *  in the same directory, then rename). A symbolic link at \p path is
 *  refused (MTS_EINVAL), never followed or replaced; so is a directory.
 *  \return MTS_OK, MTS_EINVAL or MTS_ESYS (errbuf says why). */
enum mts_err mts_plancmd_write_policy(const char *path, const char *body,
                                      size_t len, char *errbuf, size_t errsz);

/*! Run `mtasts-check plan`: \p argv[0] is "plan".
 *  \return the exit code (R193): 0, 1, 2, 3 or 64. */
int mts_plancmd_main(int argc, char **argv);

#endif
