#ifndef MTS_RUN_H
#define MTS_RUN_H

/* Checks many domains on one loop and one resolver, a bounded number at a
 * time, writing each result as soon as it and all before it are done (so
 * output follows input order and memory does not grow with the input). */

#include <stdio.h>

#include "mtasts/err.h"
#include "mtasts/resolve.h"
#include "mtasts/result.h"

struct mts_state;

enum mts_format {
  MTS_FORMAT_TEXT = 0,
  MTS_FORMAT_JSON,
  MTS_FORMAT_PROMETHEUS, /*!< collected, written at the end (report.h) */
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
  /*! Draw a progress line on stderr (--progress; a terminal is assumed:
   *  it is redrawn in place and erased at the end). */
  int progress;
  /*! SIGINT and SIGTERM stop the run cleanly (docs/design.md): mts_run
   *  then returns MTS_EINTR with a sentence in errbuf. 0: leave signals
   *  alone (tests, embedding). */
  int catch_signals;
  FILE *out;
  /*! --shard K/N: check only the domains of shard K (shard.h); N = 0:
   *  every domain. */
  unsigned long shard_k, shard_n;
  /*! --state: each result is compared with the previous run before it is
   *  written (mts_state_note); the caller saves it. NULL = none. */
  struct mts_state *state;
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

/*! Check every domain of \p src. Text output ends with a summary line
 *  (counts per status) when the domains come from a list (-f) or are more
 *  than one; with --quiet only when a domain was printed.
 *  \param[out] worst the worst status seen (MTS_STATUS_OK if none)
 *  \param[out] errbuf a sentence on failure
 *  \return MTS_OK, MTS_EINTR (a signal stopped the run: the results
 *  written are complete, \p worst is theirs, errbuf says how many), or an
 *  error that stopped the run. */
enum mts_err mts_run(const struct mts_run_opts *opts, struct mts_source *src,
                     enum mts_status *worst, char *errbuf, size_t errsz);

#endif
