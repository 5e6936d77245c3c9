#ifndef MTS_TXT_H
#define MTS_TXT_H

/* Validators for the _mta-sts (RFC 8461 §3.1) and _smtp._tls (RFC 8460 §3)
 * TXT records: pure functions over bytes, no I/O, no globals. */

#include <stddef.h>

#include "mtasts/err.h"
#include "mtasts/finding.h"

/*! One TXT resource record, its character-strings already concatenated
 *  without separators (RFC 8461 §3.1). Borrowed bytes, not NUL-terminated
 *  by contract; may hold any octet. */
struct mts_txt {
  const char *data;
  size_t len;
};

/*! Status of a DNS policy record (contract.md "Statuses"). */
enum mts_record_status {
  MTS_REC_VALID = 0,
  MTS_REC_INVALID,
  MTS_REC_MISSING,
  MTS_REC_UNKNOWN, /*!< the lookup failed; set by the caller, never here */
};

/*! \return "valid", "invalid", "missing" or "unknown". */
const char *mts_record_status_str(enum mts_record_status st);

/*! What the _mta-sts validator concluded. Release with mts_sts_release. */
struct mts_sts {
  enum mts_record_status status;
  char *id;        /*!< the selected record's id (NUL-terminated), or NULL */
  size_t selected; /*!< index of the selected candidate (valid/invalid) */
};

/*! What the _smtp._tls validator concluded. Release with
 *  mts_tlsrpt_release. */
struct mts_tlsrpt {
  enum mts_record_status status;
  char **rua; /*!< the URIs of the selected record, merged in order */
  size_t n_rua;
};

/*! Judge every TXT record found at _mta-sts.<domain> (rfc-rules R24-R41).
 *  n == 0 means no record: status missing with STS_RECORD_MISSING.
 *  \param[in] recs the records, in answer order
 *  \param[out] out written on success only (release with mts_sts_release)
 *  \param[in,out] findings findings are appended
 *  \return MTS_OK or MTS_ENOMEM. */
enum mts_err mts_sts_check(const struct mts_txt *recs, size_t n,
                           struct mts_sts *out, struct mts_findings *findings);

/*! Judge every TXT record found at _smtp._tls.<domain> (R118-R134).
 *  n == 0 means no record: status missing with TLSRPT_RECORD_MISSING.
 *  \return MTS_OK or MTS_ENOMEM; \p out written on success only. */
enum mts_err mts_tlsrpt_check(const struct mts_txt *recs, size_t n,
                              struct mts_tlsrpt *out,
                              struct mts_findings *findings);

/*! \return 1 if \p rec is an MTA-STS record or looks like one (R25 classes 1
 *  and 2), used to spot a record published at the domain apex (R22). */
int mts_sts_looks_like(const struct mts_txt *rec);
/*! \return 1 if \p rec is a TLS-RPT record or looks like one (R120). */
int mts_tlsrpt_looks_like(const struct mts_txt *rec);

/*! If \p id reads as a UTC timestamp YYYYMMDD[hhmm[ss]] (the usual advice
 *  for ids), write "YYYY-MM-DD[ hh:mm[:ss]] UTC" into \p buf.
 *  \return 1 if written, 0 if \p id is not such a timestamp. */
int mts_sts_id_as_date(const char *id, char *buf, size_t size);

void mts_sts_release(struct mts_sts *sts);
void mts_tlsrpt_release(struct mts_tlsrpt *rpt);

#endif
