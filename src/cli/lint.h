#ifndef MTS_LINT_H
#define MTS_LINT_H

/* Offline checks of local files: mtasts-check --policy-file FILE. */

#include "mtasts/err.h"
#include "mtasts/result.h"
#include "mtasts/check.h"
#include "writer.h"

/*! Largest policy file read; senders stop at 64 KiB (RFC 8461 §3.3). */
#define MTS_LINT_MAX_FILE (1024 * 1024)

/*! Judge the policy file at \p path ("-" = stdin) with the same rules and
 *  codes as a fetched policy, and write the result as \p opts says to
 *  \p out.
 *  \param[out] status the overall status of the file
 *  \param[out] errbuf a sentence when the file cannot be read
 *  \return MTS_OK, MTS_EINVAL (cannot open or read \p path), MTS_ERANGE
 *  (larger than MTS_LINT_MAX_FILE), MTS_EIO (cannot write the report) or
 *  MTS_ENOMEM. */
enum mts_err mts_lint_policy_file(const char *path,
                                  const struct mts_write_opts *opts, FILE *out,
                                  enum mts_status *status, char *errbuf,
                                  size_t errsz);

#endif
