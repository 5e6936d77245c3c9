#ifndef MTS_STATE_H
#define MTS_STATE_H

/* Change detection between runs (--state FILE, docs/state.md; rfc-rules
 * R100-R103). Two layers:
 *
 * - mts_state_diff: a pure function. The previous entry of a domain and
 *   this run's result give the findings POLICY_CHANGED_ID_UNCHANGED and
 *   POLICY_ID_CHANGED_POLICY_SAME, the list of changed fields (result
 *   "changes") and the domain's next entry.
 * - struct mts_state: the file. Loaded strictly at start (a file that is
 *   not ours is an error and is left alone), noted per domain, saved once
 *   at the end under a lock on FILE.lock: re-read, merge this run's
 *   entries in, write FILE.tmp.<pid>, fsync, rename, fsync the directory. */

#include <stddef.h>
#include <stdint.h>

#include "mtasts/err.h"
#include "mtasts/result.h"

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
 *  Appends POLICY_CHANGED_ID_UNCHANGED / POLICY_ID_CHANGED_POLICY_SAME to
 *  r->findings (and recomputes r->status), fills r->changes (tracked = 1)
 *  and writes the domain's next entry. A field this run could not see
 *  (lookup failed, policy not valid) keeps its old value: no change.
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

/*! Open the state file \p path: read and check it (a missing or empty file
 *  is an empty state), and open (create) \p path.lock, so that a
 *  directory we cannot write fails now rather than after the run.
 *  \param[out] out written on success only
 *  \param[out] errbuf one sentence naming the file on failure
 *  \return MTS_OK, MTS_EINVAL (not JSON, not a state file, a newer
 *  version, a malformed entry), MTS_EIO / MTS_ESYS (cannot read, cannot
 *  create the lock file) or MTS_ENOMEM. The file is never written here. */
enum mts_err mts_state_open(struct mts_state **out, const char *path,
                            char *errbuf, size_t errsz);

/*! Compare \p r with its domain's entry (mts_state_diff) and keep the
 *  next entry for mts_state_save. A result with DOMAIN_INVALID is not
 *  tracked (r->changes stays untracked).
 *  \return MTS_OK or MTS_ENOMEM. */
enum mts_err mts_state_note(struct mts_state *st, struct mts_result *r);

/*! Write the noted entries: lock \p path.lock (waiting up to 30 s), re-read
 *  the file (another run may have written it since mts_state_open), merge
 *  (a domain keeps the entry with the later last_checked; domains this run
 *  did not note keep theirs), write \p path.tmp.<pid>, fsync, rename over
 *  \p path, fsync the directory, unlock. On any failure the file is left
 *  as it was. Nothing noted: nothing written.
 *  \param[in] now written as "updated_at"
 *  \return MTS_OK, MTS_EINVAL (the file turned corrupt meanwhile), MTS_EIO,
 *  MTS_ESYS (lock timeout, write, rename) or MTS_ENOMEM. */
enum mts_err mts_state_save(struct mts_state *st, long long now, char *errbuf,
                            size_t errsz);

/*! \return the number of entries noted so far. */
size_t mts_state_noted(const struct mts_state *st);

void mts_state_free(struct mts_state **st);

#endif
