#ifndef MTS_RUN_H
#define MTS_RUN_H

/* Checks many domains on one loop and one resolver, a bounded number at a
 * time, writing each result as soon as it and all before it are done (so
 * output follows input order and memory does not grow with the input). */

#include <stdio.h>

#include "mtasts/err.h"
#include "mtasts/resolve.h"
#include "mtasts/result.h"

enum mts_format {
  MTS_FORMAT_TEXT = 0,
  MTS_FORMAT_JSON,
};

struct mts_run_opts {
  struct mts_resolver_opts resolver;
  long timeout_ms;   /*!< whole check of one domain */
  size_t concurrency; /*!< domains in flight */
  int no_policy;
  const char *ca_file; /*!< trust anchors for HTTPS, NULL = system store */
  enum mts_format format;
  int quiet;         /*!< text: print only domains not ok */
  int color;
  FILE *out;
};

/*! Where domains come from: a list of arguments, or a stream of lines
 *  ('#' comments, blank lines skipped). */
struct mts_source {
  char *const *argv; /*!< used when \p file is NULL */
  size_t argc;
  FILE *file;
  /* private */
  size_t next;
  char *line;
  size_t line_cap;
};

/*! Check every domain of \p src.
 *  \param[out] worst the worst status seen (MTS_STATUS_OK if none)
 *  \param[out] errbuf a sentence on failure
 *  \return MTS_OK, or an error that stopped the run. */
enum mts_err mts_run(const struct mts_run_opts *opts, struct mts_source *src,
                     enum mts_status *worst, char *errbuf, size_t errsz);

#endif
