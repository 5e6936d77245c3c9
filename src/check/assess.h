#ifndef MTS_ASSESS_H
#define MTS_ASSESS_H

/* From raw lookup results to a judged mts_result: runs the validators and
 * maps DNS outcomes to statuses and findings (rfc-rules R12-R23, R106-R112).
 * Pure: no I/O. */

#include "mtasts/net.h"
#include "mtasts/err.h"
#include "mtasts/result.h"

/*! The most addresses of mta-sts.<d> the policy is fetched from. */
#define MTS_MAX_POLICY_ADDRS 4

/*! The most MX hosts whose addresses are looked up and probed (issue 12);
 *  hosts beyond it keep "addresses": null. */
#define MTS_MAX_MX_TARGETS 16
/*! The most addresses of one MX host probed over SMTP (issue 12). */
#define MTS_MAX_MX_ADDRS 8

/*! One MX target's lookups (issue 12, mx-transport.md R163). Borrowed. */
struct mts_mx_lookup {
  const char *name;                  /*!< the MX RDATA name */
  const struct mts_dns_result *a;    /*!< NULL: not answered */
  const struct mts_dns_result *aaaa; /*!< NULL: not answered */
  const struct mts_dns_result *tlsa; /*!< _25._tcp.<name> TLSA (R169);
                                          NULL: not asked (--no-smtp) */
  /*! The SMTP probes of its addresses, any order; an address without one
   *  was not probed (not-checked). */
  const struct mts_smtp_result *const *smtp;
  size_t n_smtp;
};

/*! What the resolver and the fetcher learned about one domain. Borrowed. */
struct mts_lookups {
  const struct mts_dns_result *sts;      /*!< _mta-sts.<d> TXT */
  const struct mts_dns_result *tlsrpt;   /*!< _smtp._tls.<d> TXT */
  const struct mts_dns_result *mx;       /*!< <d> MX */
  const struct mts_dns_result *apex;     /*!< <d> TXT, or NULL if not asked */
  int no_policy;                         /*!< --no-policy: none of below */
  const struct mts_dns_result *policy_a; /*!< mta-sts.<d> A */
  const struct mts_dns_result *policy_aaaa;      /*!< mta-sts.<d> AAAA */
  const struct mts_fetch_result *const *fetched; /*!< one per address, in
                                                      address order */
  size_t n_fetched;
  /* MX transport (issue 12) */
  const struct mts_mx_lookup *mx_targets; /*!< one per distinct MX host */
  size_t n_mx_targets;
  int smtp;         /*!< the SMTP probe ran (no --no-smtp) */
  int smtp_stopped; /*!< R168: the run stopped probing (port 25 blocked) */
};

/*! Judge the lookups of \p r->domain and fill \p r (records, MX hosts,
 *  findings, status). \p r must have been initialised with its domain set.
 *  \return MTS_OK or MTS_ENOMEM. */
enum mts_err mts_assess(const struct mts_lookups *lk, struct mts_result *r);

/*! \return 1 if the apex TXT lookup is needed: a policy record is missing
 *  and \p lk->apex has not been asked yet. */
int mts_assess_wants_apex(const struct mts_lookups *lk);

#endif
