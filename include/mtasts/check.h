#ifndef MTS_CHECK_H
#define MTS_CHECK_H

/* The public interface of src/check/: what other parts may use. */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mtasts/err.h"
#include "mtasts/net.h"
#include "mtasts/plan.h"
#include "mtasts/result.h"

/* ---- progress ------------------------------------------------------------ */

/* The bulk run's words for people: the progress line drawn on a terminal
 * (stderr) and the summary line that ends the text output. Pure formatting:
 * run.c decides when to draw and where. */

/*! Domains written so far, per status (indexed by enum mts_status). */
struct mts_tally {
  unsigned long n[4];
};

/*! \return the number of domains in \p t. */
unsigned long mts_tally_total(const struct mts_tally *t);

/*! Count one result of status \p st. */
void mts_tally_add(struct mts_tally *t, enum mts_status st);

/*! The summary line, without a newline:
 *  "checked 1200 domains: 1100 ok, 60 warning, 30 error, 10 unknown".
 *  \return the length written (cut to fit \p size). */
size_t mts_summary_format(char *buf, size_t size, const struct mts_tally *t);

/*! The progress line, without "\r" or a newline, at most \p width
 *  columns (ASCII only):
 *    known total:  "[#######.......]  1200/5000  24%  850/s  ETA 0:04"
 *    unknown:      "1200 checked  850/s"
 *  \param total 0 when not known
 *  \param elapsed_ms since the run started (the rate is the average)
 *  \return the length written. */
size_t mts_progress_format(char *buf, size_t size, unsigned long done,
                           unsigned long total, uint64_t elapsed_ms,
                           size_t width);

/* ---- shard --------------------------------------------------------------- */

/* --shard K/N: check only the domains of shard K of N, so that one list can
 * be split across machines and the outputs concatenated
 * (docs/monitoring.md). The key and the hash are part of the contract: a
 * domain's shard must never change between versions, or a split run would
 * check some domains twice and others not at all. Pure: no I/O, no
 * globals. */

/*! The largest N of --shard K/N. */
#define MTS_SHARD_MAX 1000000UL

/*! FNV-1a, 64 bits (offset basis 0xcbf29ce484222325, prime
 *  0x100000001b3) of the \p len bytes at \p p. */
uint64_t mts_shard_hash(const char *p, size_t len);

/*! The shard of one input domain: 1 + hash(key) mod \p n, where the key is
 *  the domain's normalised form (the A-label, lowercase, no trailing dot:
 *  mts_domain_normalize), or, when the input is not a valid domain, the
 *  input itself with ASCII letters lowercased.
 *  \param[in] n the number of shards, 1 to MTS_SHARD_MAX
 *  \param[out] shard 1 to \p n, written on success only
 *  \return MTS_OK, MTS_EINVAL (\p n out of range) or MTS_ENOMEM. */
enum mts_err mts_shard_of(const char *input, unsigned long n,
                          unsigned long *shard);

/*! Parse "K/N" (decimal, 1 <= K <= N <= MTS_SHARD_MAX).
 *  \param[out] k, n written on success only
 *  \return MTS_OK or MTS_EINVAL. */
enum mts_err mts_shard_parse(const char *s, unsigned long *k, unsigned long *n);

/* ---- state --------------------------------------------------------------- */

/* Change detection between runs (--state FILE, docs/state.md; rfc-rules
 * R100-R103). Two layers:
 *
 * - mts_state_diff: a pure function. The previous entry of a domain and
 *   this run's result give the findings POLICY_CHANGED_ID_UNCHANGED and
 *   POLICY_ID_CHANGED_POLICY_SAME, the list of changed fields (result
 *   "changes") and the domain's next entry.
 * - struct mts_state: the file. Loaded strictly at start (a file that is
 *   not ours is an error and is left alone), noted per domain, saved once
 *   at the end under a lock on REAL.lock: re-read, merge this run's
 *   entries in, write REAL.tmp.XXXXXX (mkstemp, FILE's mode and owner),
 *   fsync, rename, fsync the directory; a file that cannot be renamed over
 *   (EBUSY: bind-mounted) is rewritten in place instead. REAL is FILE with
 *   its symbolic links resolved once, at open: a symlinked state file is
 *   updated where it is, and all names of one file take one lock. */

/*! The fields whose changes are tracked, named as in the JSON result. */
enum mts_state_field {
  MTS_SF_STS_ID = 0,     /*!< mta_sts.record.id */
  MTS_SF_POLICY_MODE,    /*!< mta_sts.policy.mode */
  MTS_SF_POLICY_MAX_AGE, /*!< mta_sts.policy.max_age */
  MTS_SF_POLICY_MX,      /*!< mta_sts.policy.mx (sorted, no duplicates) */
  MTS_SF_TLSRPT_RUA,     /*!< tls_rpt.record.rua (sorted, no duplicates) */
  MTS_SF__COUNT          /* must be last */
};

/*! One tracked field's last seen value. */
struct mts_state_value {
  char *json; /*!< canonical JSON text ("\"enforce\"", "604800", "null",
                   "[\"a\",\"b\"]"), or NULL: never seen */
  long long first_seen; /*!< when this value was first seen (epoch s) */
  long long last_seen;  /*!< when it was last confirmed */
};

/*! What a domain's state file entry holds. Owned strings; release with
 *  mts_state_entry_release. */
struct mts_state_entry {
  char *domain; /*!< A-label, lowercase, no trailing dot */
  long long last_checked;
  struct mts_state_value field[MTS_SF__COUNT];
  /*! The policy senders have cached under an id (RFC 8461 §3.1, §5.1):
   *  the first valid policy seen under cache_id. NULL = none yet. */
  char *cache_id;
  uint64_t cache_hash; /*!< mts_state_policy_hash of that policy */
  long cache_max_age;  /*!< its max_age: how long senders keep it */
  long long cache_first_seen;
  /* rollout.md R200 (state file version 2; unknown in entries that a
   * version 1 file gave): */
  char *cache_mode;          /*!< its mode, or NULL: not known */
  char *cache_mx;            /*!< its mx patterns as canonical JSON, or NULL */
  long long cache_last_seen; /*!< last run that saw it served, 0 = unknown */
  /*! The policy cached before it, which senders may still apply after an
   *  id change that came with a policy change (R201, R202), until
   *  prev_last_seen + prev_max_age. NULL prev_id: none (or expired). */
  char *prev_id;
  char *prev_mode; /*!< NULL: not known */
  char *prev_mx;   /*!< canonical JSON array, or NULL */
  long prev_max_age;
  long long prev_last_seen;
};

/*! \return the field's JSON path, "mta_sts.policy.mode". */
const char *mts_state_field_name(enum mts_state_field f);

/*! FNV-1a 64 of the canonical policy: "version: STSv1\nmode: M\nmax_age:
 *  N\n" then "mx: P\n" per pattern, sorted, duplicates dropped. Line
 *  endings, key order and duplicate lines of the body do not matter. Not a
 *  security boundary: it tells revisions of one domain's policy apart.
 *  \return MTS_OK or MTS_ENOMEM. */
enum mts_err mts_state_policy_hash(const char *mode, long max_age,
                                   char *const *mx, size_t n_mx, uint64_t *out);

/*! Compare this run's result with the domain's previous entry.
 *  Appends POLICY_CHANGED_ID_UNCHANGED / POLICY_ID_CHANGED_POLICY_SAME and,
 *  while the previous policy may still be cached (rollout.md R201, R202),
 *  POLICY_OLD_MAY_BE_CACHED / POLICY_OLD_CACHE_BREAKS_MX to r->findings
 *  (setting r->old_policy_until, and recomputing r->status), fills r->changes
 * (tracked = 1) and writes the domain's next entry. A field this run could not
 * see (lookup failed, policy not valid) keeps its old value: no change.
 *  \param[in] prev the previous entry, or NULL on the first run
 *  \param[in,out] r a complete result (r->checked_at is "now")
 *  \param[out] next written on success only
 *  \return MTS_OK or MTS_ENOMEM (r is then unchanged). */
enum mts_err mts_state_diff(const struct mts_state_entry *prev,
                            struct mts_result *r, struct mts_state_entry *next);

/*! Free what \p e owns and zero it. */
void mts_state_entry_release(struct mts_state_entry *e);

/*! The state file of one run (opaque). */
struct mts_state;

/*! Open the state file \p path: resolve it to its real name REAL (its
 *  symbolic links followed if they belong to root, to us or to the owner
 *  of their directory; the file need not exist), read and check it (a
 *  missing or empty file is an empty state), and open (create) REAL.lock,
 *  not through a link, so that a directory we cannot write fails now
 *  rather than after the run. A file that looks damaged is read again
 *  under a shared lock (another run may be rewriting it in place).
 *  \param[out] out written on success only
 *  \param[out] errbuf one sentence naming the file on failure
 *  \return MTS_OK, MTS_EINVAL (not JSON, not a state file, a newer
 *  version, a malformed entry, a symbolic link not followed), MTS_EIO /
 *  MTS_ESYS (cannot read, cannot create the lock file) or MTS_ENOMEM. The
 *  file is never written here. */
enum mts_err mts_state_open(struct mts_state **out, const char *path,
                            char *errbuf, size_t errsz);

/*! Compare \p r with its domain's entry (mts_state_diff) and keep the
 *  next entry for mts_state_save. A result with DOMAIN_INVALID is not
 *  tracked (r->changes stays untracked).
 *  \return MTS_OK or MTS_ENOMEM. */
enum mts_err mts_state_note(struct mts_state *st, struct mts_result *r);

/*! Write the noted entries: lock REAL.lock (waiting up to 30 s), re-read
 *  the file (another run may have written it since mts_state_open), merge
 *  (a domain keeps the entry with the later last_checked; domains this run
 *  did not note keep theirs), write REAL.tmp.XXXXXX (mkstemp) with the
 *  file's mode and owner, fsync, rename over REAL, fsync the directory,
 *  unlock. When REAL cannot be renamed over (EBUSY: a bind mount), copy
 *  the new file over it in place, under the lock (not atomic for readers
 *  that do not lock; docs/state.md). On any failure the file is left as it
 *  was, except a failure midway through that copy (errbuf then names the
 *  kept temporary file). Nothing noted: nothing written.
 *  \param[in] now written as "updated_at"
 *  \return MTS_OK, MTS_EINVAL (the file turned corrupt meanwhile), MTS_EIO,
 *  MTS_ESYS (lock timeout, write, rename) or MTS_ENOMEM. */
enum mts_err mts_state_save(struct mts_state *st, long long now, char *errbuf,
                            size_t errsz);

/*! \return the number of entries noted so far. */
size_t mts_state_noted(const struct mts_state *st);

void mts_state_free(struct mts_state **st);

/* ---- run ----------------------------------------------------------------- */

/* Checks many domains on one loop and one resolver, a bounded number at a
 * time, writing each result as soon as it and all before it are done (so
 * output follows input order and memory does not grow with the input). */

struct mts_state;

/*! Where the runner hands its results: the front end wires it to the
 *  chosen writer (text, JSON, Prometheus), so this part knows no output
 *  format. A callback's error stops the run ("cannot write the report"). */
struct mts_sink {
  /*! One result, in input order, after --state has noted it. */
  enum mts_err (*result)(void *arg, const struct mts_result *r);
  /*! The run is over and nothing failed: \p tally counts the results
   *  written; \p several: the domains came from a list or were more than
   *  one; \p stopped: a signal ended the run early. Write what comes last
   *  (a summary line, collected metrics). */
  enum mts_err (*end)(void *arg, const struct mts_tally *tally, int several,
                      int stopped);
  void *arg;
};

struct mts_run_opts {
  struct mts_resolver_opts resolver;
  long timeout_ms;    /*!< whole check of one domain */
  size_t concurrency; /*!< domains in flight */
  int no_policy;
  const char *ca_file; /*!< trust anchors for HTTPS, NULL = system store */
  /* MX transport (issue 12, mx-transport.md "Options") */
  int no_smtp;          /*!< --no-smtp: resolve the MX hosts, no SMTP */
  const char *ehlo;     /*!< --ehlo NAME */
  unsigned smtp_port;   /*!< --smtp-port, 25 */
  long smtp_timeout_ms; /*!< --smtp-timeout: TCP connect, 5000 */
  /* rollout.md R197 */
  int propagation;      /*!< --propagation: ask every authoritative server */
  unsigned ns_port;     /*!< --ns-port: their port, 53 */
  struct mts_sink sink; /*!< where results go */
  /*! Draw a progress line on stderr (--progress; a terminal is assumed:
   *  it is redrawn in place and erased at the end). */
  int progress;
  /*! SIGINT and SIGTERM stop the run cleanly (docs/design.md): mts_run
   *  then returns MTS_EINTR with a sentence in errbuf. 0: leave signals
   *  alone (tests, embedding). */
  int catch_signals;
  /*! The stream the sink writes to: flushed once per loop turn, and when
   *  it is a terminal the progress line is erased before each result. */
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

/* ---- plan (issue 13, rollout.md R187-R196, R204) ------------------------- */

/*! Derive the plan of `mtasts-check plan` from the judged result \p r of
 *  the live check: the records, the policy (R188, R189, R195), the steps
 *  (R192) and the readiness (R196). Pure: the clock is \p opts->now.
 *  \param[out] out written on success only (mts_plan_release it)
 *  \return MTS_OK, MTS_EINVAL (max_age out of range) or MTS_ENOMEM. */
enum mts_err mts_plan_build(const struct mts_result *r,
                            const struct mts_plan_opts *opts,
                            struct mts_plan *out);

/*! The exit code of `plan` (R193): 2 or 3 when the live check is error or
 *  unknown; else 1 when anything is to change; else 0. */
int mts_plan_exit(const struct mts_plan *p, enum mts_status live);

/*! Write \p t as "YYYYMMDDhhmmss" (UTC) into \p buf (at least 15 bytes).
 *  \return 0, or -1 when \p t is not representable. */
int mts_plan_id_from_time(long long t, char *buf, size_t size);

#endif
