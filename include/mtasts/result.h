#ifndef MTS_RESULT_H
#define MTS_RESULT_H

/* The result of checking one domain: what the reporters print
 * (contract.md "JSON"). Plain data; tests build it by hand. */

#include <stddef.h>

#include "mtasts/buf.h"
#include "mtasts/finding.h"

/*! Overall status. The values order the exit codes: see mts_status_exit. */
enum mts_status {
  MTS_STATUS_OK = 0,
  MTS_STATUS_WARNING,
  MTS_STATUS_UNKNOWN,
  MTS_STATUS_ERROR,
};

/*! Status of a DNS policy record (contract.md "Statuses"). */
enum mts_record_status {
  MTS_REC_VALID = 0,
  MTS_REC_INVALID,
  MTS_REC_MISSING,
  MTS_REC_UNKNOWN, /*!< the lookup failed; set by the assessment, never by a
                      validator */
};

/*! \return "valid", "invalid", "missing" or "unknown". */
const char *mts_record_status_str(enum mts_record_status st);

/*! Policy status (contract.md "Statuses"). */
enum mts_policy_status {
  MTS_POLICY_NOT_CHECKED = 0,
  MTS_POLICY_VALID,
  MTS_POLICY_INVALID,
  MTS_POLICY_UNREACHABLE,
};

/*! One policy TXT record slot: _mta-sts or _smtp._tls. */
struct mts_record_view {
  enum mts_record_status status;
  char *name;          /*!< the name queried, "_mta-sts.example.com" */
  struct mts_buf *txt; /*!< every TXT record at the name (after CNAMEs) */
  size_t n_txt;
  long ttl; /*!< -1 = null */
};

/* ---- MX transport (issue 12, mx-transport.md R163-R170) ---------------- */

/*! How the SMTP probe of one address ended (mx-transport.md "JSON"). */
enum mts_smtp_status {
  MTS_SMTP_OK = 0,      /*!< STARTTLS and the TLS handshake completed */
  MTS_SMTP_FAILED,      /*!< connected, but the session or TLS failed */
  MTS_SMTP_UNREACHABLE, /*!< no TCP connection (refused, no answer) */
  MTS_SMTP_NOT_CHECKED, /*!< not tried: no route for the family, or the
                             run stopped probing (R168) */
};

/*! \return "ok", "failed", "unreachable" or "not-checked". */
const char *mts_smtp_status_str(enum mts_smtp_status st);

/*! What the SMTP probe of one address saw, as judged (R164-R166). */
struct mts_smtp_view {
  enum mts_smtp_status status;
  char *banner;      /*!< the greeting as received, or NULL */
  int starttls;      /*!< EHLO offered STARTTLS: 1, 0, -1 = null */
  char *tls_version; /*!< "TLSv1.3", or NULL */
  char *cipher;      /*!< or NULL */
  int cert_seen;     /*!< 0: "cert" is null */
  char *cert_subject, *cert_issuer; /*!< RFC 2253 one-line forms */
  char **cert_san;                  /*!< dNSNames of the leaf */
  size_t n_cert_san;
  long long cert_not_after; /*!< epoch s, -1 = null */
  int trusted;              /*!< 1, 0, -1 = null */
  int name_match;           /*!< 1, 0, -1 = null */
  char *error;              /*!< why it failed (escaped on output), or NULL */
  char *error_text;         /*!< the same in the locale's language (text
                                 output only), or NULL */
  const char *dane;         /*!< R169, static: "ok" the chain matched a TLSA
                                 record, "mismatch" it did not, NULL = null (DANE
                                 not verified for this address) */
};

/*! Free \p *v and what it owns; NULL-safe; sets \p *v to NULL. */
void mts_smtp_view_free(struct mts_smtp_view **v);

/*! DANE status of one MX host (mx-transport.md R169, JSON "dane"). */
enum mts_dane_status {
  MTS_DANE_NONE = 0, /*!< no TLSA records */
  MTS_DANE_OK,       /*!< every verified address matched */
  MTS_DANE_MISMATCH, /*!< an address's chain matched no record */
  MTS_DANE_UNUSABLE, /*!< validated records, none usable for SMTP */
  MTS_DANE_INSECURE, /*!< records, but the MX or TLSA answer lacked AD */
  MTS_DANE_UNKNOWN,  /*!< the TLSA lookup failed, or no address could be
                          verified */
};

/*! \return "none", "ok", "mismatch", "unusable", "insecure", "unknown". */
const char *mts_dane_status_str(enum mts_dane_status st);

/*! The DANE view of one MX host. */
struct mts_dane_view {
  enum mts_dane_status status;
  char **tlsa; /*!< the records in presentation form ("3 1 1 0c72...") */
  size_t n_tlsa;
  int dnssec; /*!< the MX and TLSA answers were both validated (AD) */
};

/*! One address of an MX host. */
struct mts_mx_addr {
  char *ip;                   /*!< as text */
  struct mts_smtp_view *smtp; /*!< NULL = null (--no-smtp) */
};

/*! One MX host of the domain. */
struct mts_mx_host {
  char *name; /*!< lowercase, no trailing dot */
  unsigned preference;
  int covered;      /*!< 1, 0, or -1 = null (not evaluated) */
  char *matched_by; /*!< the policy pattern that matched, or NULL */
  /* MX transport (issue 12) */
  char *cname;               /*!< the CNAME target the name led to, or NULL */
  int addrs_known;           /*!< 0: "addresses" is null (not resolved) */
  struct mts_mx_addr *addrs; /*!< A then AAAA, answer order */
  size_t n_addrs;
  struct mts_dane_view *dane; /*!< R169; NULL = null (not looked up) */
};

/*! One tracked field that changed since the previous run (--state,
 *  docs/state.md). Values are JSON text made by the state module. */
struct mts_change {
  const char *field;        /*!< static: "mta_sts.policy.mode" */
  char *old_value;          /*!< JSON text: "\"testing\"", "null" */
  char *new_value;          /*!< JSON text */
  long long old_first_seen; /*!< when the old value was first seen */
  long long old_last_seen;  /*!< when it was last seen */
};

/*! The changes of one domain since the previous run. */
struct mts_changes {
  int tracked; /*!< 1 with --state (JSON [] vs null) */
  int first;   /*!< no earlier run saw this domain */
  struct mts_change *v;
  size_t n;
};

/*! What one address of the policy host served (JSON policy.addresses). */
struct mts_policy_addr {
  char *address;       /*!< the address fetched from */
  const char *outcome; /*!< static token: "ok", "connect-failed", ... */
  int selected;        /*!< its response is the one the policy fields show */
  enum mts_policy_status status; /*!< what this address alone would give */
  int http_status;               /*!< -1 = null */
  char *content_type;
  long long cert_not_after; /*!< -1 = null */
  int cert_checked;         /*!< 1 the certificate was judged, 0 not (no
                                 response, or its details were not read) */
  int same_policy; /*!< 1, 0, or -1 = null: its parsed policy (mode, max_age,
                        mx set) equals the selected address's */
};

/* ---- propagation (issue 13, rollout.md R197-R199) ----------------------- */

/*! What one authoritative address did (JSON propagation.servers[].status). */
enum mts_ns_status {
  MTS_NS_OK = 0,      /*!< answered with authority */
  MTS_NS_UNREACHABLE, /*!< no answer in time, or its port is closed */
  MTS_NS_REFUSED,     /*!< answered REFUSED */
  MTS_NS_LAME,        /*!< answered without the AA bit */
};

/*! \return "ok", "unreachable", "refused" or "lame". */
const char *mts_ns_status_str(enum mts_ns_status st);

/*! The record data one server gives for one name, sorted bytewise: TXT
 *  strings, MX as "10 mx1.example.com", a CNAME as "CNAME target". */
struct mts_rrset_view {
  int known;         /*!< 0: null (not asked of it, or no usable answer) */
  struct mts_buf *v; /*!< NXDOMAIN and NODATA: none (known, n = 0) */
  size_t n;
};

/*! Which name: the index of mts_ns_view.rr and of the comparisons. */
enum mts_prop_name {
  MTS_PROP_STS = 0, /*!< _mta-sts.<domain> TXT */
  MTS_PROP_TLSRPT,  /*!< _smtp._tls.<domain> TXT */
  MTS_PROP_MX,      /*!< <domain> MX */
  MTS_PROP__COUNT
};

/*! One address of one name server of the zone. */
struct mts_ns_view {
  char *name; /*!< the NS name, lowercase, no trailing dot */
  char *ip;
  enum mts_ns_status status;
  long long serial; /*!< its SOA serial, -1 = null */
  struct mts_rrset_view rr[MTS_PROP__COUNT];
};

/*! --propagation: every authoritative address asked directly. */
struct mts_propagation_view {
  char *zone;           /*!< the zone holding _mta-sts.<domain>, or NULL */
  char *domain_zone;    /*!< the zone of <domain> when it differs, or NULL */
  int in_sync;          /*!< 1, 0, -1 = null (no server answered) */
  int resolver_current; /*!< 1, 0, -1 = null (nothing to compare) */
  struct mts_ns_view *servers;
  size_t n_servers;
  char *error; /*!< why no server could be asked (English), or NULL */
};

/*! Free \p *v and what it owns; NULL-safe; sets \p *v to NULL. */
void mts_propagation_view_free(struct mts_propagation_view **v);

struct mts_result {
  char *domain;         /*!< A-label form; the input itself if invalid */
  char *domain_unicode; /*!< Unicode form for IDNs, else NULL */
  long long checked_at; /*!< seconds since the epoch, UTC */
  long duration_ms;
  enum mts_status status;

  struct {
    struct mts_record_view record;
    char *id; /*!< the selected record's id, or NULL */
  } sts;

  struct {
    enum mts_policy_status status;
    char *url;       /*!< NULL when not known */
    int http_status; /*!< -1 = null */
    char *content_type;
    char *mode;
    long max_age; /*!< -1 = null */
    char **mx;
    size_t n_mx;
    long long cert_not_after;      /*!< the certificate's notAfter, -1 = null */
    struct mts_policy_addr *addrs; /*!< every address fetched from, in
                                        fetch order (IPv4 first) */
    size_t n_addrs;
  } policy;

  struct {
    int covered; /*!< 1, 0, or -1 = null */
    struct mts_mx_host *hosts;
    size_t n_hosts;
    int tls_ok; /*!< R170: 1, 0, or -1 = null (issue 12) */
  } mx;

  struct {
    struct mts_record_view record;
    char **rua;
    size_t n_rua;
  } tlsrpt;

  struct mts_findings findings;
  struct mts_changes changes; /*!< --state only */
  /*! --state (rollout.md R201): until when senders may still apply the
   *  previous policy after an id change that came with a policy change
   *  (its last-seen time plus its max_age, epoch s); -1 = none (null). */
  long long old_policy_until;
  /*! --propagation (rollout.md R199); NULL = null (not asked). */
  struct mts_propagation_view *propagation;
};

/*! If \p id reads as a UTC timestamp YYYYMMDD[hhmm[ss]] (the usual advice
 *  for ids), write "YYYY-MM-DD[ hh:mm[:ss]] UTC" into \p buf.
 *  A 'Z' after the time of day is accepted, as in the RFC's own example
 *  id=20160831085700Z ('Z' is ALPHA: a valid id).
 *  \return 1 if written, 0 if \p id is not such a timestamp. */
int mts_sts_id_as_date(const char *id, char *buf, size_t size);

/*! \return "ok", "warning", "error" or "unknown". */
const char *mts_status_str(enum mts_status st);
/*! \return "not-checked", "valid", "invalid" or "unreachable". */
const char *mts_policy_status_str(enum mts_policy_status st);
/*! \return the exit code for a worst status: 0 ok, 1 warning, 2 error,
 *  3 unknown (contract.md "Exit codes"). */
int mts_status_exit(enum mts_status st);

/*! Zero \p r and set every "null" field to its null value. */
void mts_result_init(struct mts_result *r);
/*! Free everything \p r owns; \p r is left initialised (as by _init). */
void mts_result_release(struct mts_result *r);

/*! Derive r->status from the findings (rfc-rules R1): error if any error
 *  finding other than a lookup failure; else unknown if a lookup failed;
 *  else warning if any warning; else ok. */
void mts_result_set_status(struct mts_result *r);

/*! The overall status a list of findings gives (rfc-rules R1). */
enum mts_status mts_findings_status(const struct mts_findings *list);

/*! \return 1 if \p code reports a failed lookup (DNS_SERVFAIL, DNS_TIMEOUT,
 *  DNS_TRUNCATED, DNS_RESPONSE_INVALID, MX_LOOKUP_FAILED,
 *  MX_TLSA_LOOKUP_FAILED) or something else
 *  the tool could not judge (POLICY_CERT_UNKNOWN). */
int mts_code_is_lookup_failure(enum mts_code code);

#endif
