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
  long timeout_ms;    /*!< whole check of one domain */
  size_t concurrency; /*!< domains in flight */
  int no_policy;
  const char *ca_file; /*!< trust anchors for HTTPS, NULL = system store */
  enum mts_format format;
  int quiet; /*!< text: print only domains not ok */
  int color;
  FILE *out;
};

/*! Where domains come from: a list of arguments, or a file descriptor of
 *  lines ('#' comments, blank lines skipped). A pipe or a terminal is read
 *  only when the event loop says it is readable, so a slow producer never
 *  stalls the checks in flight. Lines longer than 1024 octets are cut; a
 *  NUL octet in a line is shown as 0x1a (SUB) and fails validation. */
struct mts_source {
  char *const *argv; /*!< used when \p fd < 0 */
  size_t argc;
  int fd; /*!< -1: use argv */
  /* private */
  size_t next;
  char *buf;
  size_t start, end;
  int eof;
  int regular;  /* a regular file: read() never blocks */
  int readable; /* a read() will not block */
  int blocked;  /* the last call found no complete line: wait for input */
  int skipping; /* dropping the rest of an over-long line */
};

/*! Check every domain of \p src.
 *  \param[out] worst the worst status seen (MTS_STATUS_OK if none)
 *  \param[out] errbuf a sentence on failure
 *  \return MTS_OK, or an error that stopped the run. */
enum mts_err mts_run(const struct mts_run_opts *opts, struct mts_source *src,
                     enum mts_status *worst, char *errbuf, size_t errsz);

#endif
