#ifndef MTS_NET_H
#define MTS_NET_H

/* The public interface of src/net/: what other parts may use. */

#include <stddef.h>
#include <stdint.h>

#include "mtasts/buf.h"
#include "mtasts/err.h"

/* ---- dns ----------------------------------------------------------------- */

/* What one DNS lookup found, in the tool's own terms: no c-ares types. */

/*! RR types the tool asks for (RFC 1035 §3.2.2, RFC 3596). */
enum mts_rrtype {
  MTS_RR_A = 1,
  MTS_RR_NS = 2,
  MTS_RR_CNAME = 5,
  MTS_RR_SOA = 6,
  MTS_RR_MX = 15,
  MTS_RR_TXT = 16,
  MTS_RR_AAAA = 28,
  MTS_RR_TLSA = 52, /*!< RFC 6698 */
};

/*! How a lookup ended, after following CNAMEs (rfc-rules R23). */
enum mts_dns_status {
  MTS_DNS_OK = 0,     /*!< records of the asked type were found */
  MTS_DNS_NODATA,     /*!< NOERROR, the name exists, no such records */
  MTS_DNS_NXDOMAIN,   /*!< RCODE 3 for the last name of the chain */
  MTS_DNS_SERVFAIL,   /*!< SERVFAIL, REFUSED, NOTIMP, FORMERR, other RCODE */
  MTS_DNS_TIMEOUT,    /*!< no answer in time */
  MTS_DNS_TRUNCATED,  /*!< TC=1 over UDP and the TCP retry failed */
  MTS_DNS_BADRESP,    /*!< a malformed or unusable answer */
  MTS_DNS_CNAME_LOOP, /*!< CNAME loop, or a chain over MTS_DNS_MAX_CNAMES */
};

/*! Longest CNAME chain followed (rfc-rules R14). */
#define MTS_DNS_MAX_CNAMES 8
/*! Longest domain name in presentation form, without the final dot. */
#define MTS_DNS_NAME_MAX 253

/*! One MX record. */
struct mts_mx {
  char
      *host; /*!< RDATA name, lowercase, no trailing dot; "" = root (null MX) */
  unsigned preference;
};

/*! One lookup's result; free with mts_dns_result_free. */
struct mts_dns_result {
  enum mts_dns_status status;
  int type;      /*!< enum mts_rrtype asked */
  char *qname;   /*!< the name asked, lowercase, no trailing dot */
  int rcode;     /*!< last RCODE seen, -1 if no answer arrived */
  char **cnames; /*!< CNAME targets followed, in order */
  size_t n_cnames;
  long ttl;            /*!< smallest TTL of the answer RRset, -1 if none */
  int ad;              /*!< the AD bit of the final answer */
  int tcp_fallback;    /*!< the UDP answer was truncated, TCP was used */
  struct mts_buf *txt; /*!< TXT: one entry per RR, strings joined (R15) */
  size_t n_txt;
  struct mts_mx *mx; /*!< MX records, in answer order */
  size_t n_mx;
  char **addrs; /*!< A/AAAA: the addresses as text, answer order */
  size_t n_addrs;
  struct mts_buf *rdata; /*!< TLSA: each RR's RDATA as received (R169) */
  size_t n_rdata;
  char **names; /*!< NS: the name servers, lowercase, answer order */
  size_t n_names;
  int aa; /*!< the AA bit of the final answer (rollout.md R198: lame) */
  /* The SOA of the answer section (type SOA) or, for a negative answer,
   * of the authority section (RFC 2308 §3): where the zone starts. */
  char *soa_zone;        /*!< its owner, lowercase, no dot; NULL: none */
  long long soa_serial;  /*!< its SERIAL, -1 if none */
  long soa_neg_ttl;      /*!< min(its TTL, its MINIMUM): how long the
                              negative answer is cached (RFC 2308 §5); -1 */
  char *detail;          /*!< resolver's own words on a failure, or NULL */
  size_t servers_failed; /*!< with several resolvers: how many were asked
                              in vain (detail says what each did), else 0 */
};

/*! \return "NOERROR"-style names for RCODEs 0..10, else "RCODE n". */
const char *mts_rcode_str(int rcode, char *buf, size_t size);
/*! \return a short name for a status ("NXDOMAIN", "timeout", ...). */
const char *mts_dns_status_str(enum mts_dns_status st);
/*! \return 1 if \p st means the lookup failed (the answer is unknown). */
int mts_dns_status_failed(enum mts_dns_status st);

/*! Free \p *res and everything it owns; set \p *res to NULL. NULL-safe. */
void mts_dns_result_free(struct mts_dns_result **res);

/* ---- tlsa --------------------------------------------------------------- */

/*! One TLSA record (RFC 6698 §2.1). \p data is borrowed from the RDATA
 *  it was read from. */
struct mts_tlsa {
  unsigned usage;    /*!< 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE */
  unsigned selector; /*!< 0 full certificate, 1 SubjectPublicKeyInfo */
  unsigned mtype;    /*!< 0 exact, 1 SHA-256, 2 SHA-512 */
  const uint8_t *data;
  size_t len;
};

/*! Read one TLSA RDATA of \p len octets. Pure, length-checked.
 *  \return MTS_OK, or MTS_EINVAL when shorter than 4 octets (the three
 *  fields and at least one octet of data). */
enum mts_err mts_tlsa_parse(const uint8_t *rd, size_t len,
                            struct mts_tlsa *out);

/*! \return 1 if an SMTP client can use \p t (RFC 7672 §3.1.3, RFC 7671
 *  §5.1): usage DANE-TA(2) or DANE-EE(3), selector 0 or 1, matching type
 *  0, or 1 with 32 octets, or 2 with 64 octets; else 0. */
int mts_tlsa_usable(const struct mts_tlsa *t);

/*! \return "3 1 1 0c72..." (lowercase hex), malloc'd; NULL when out of
 *  memory. */
char *mts_tlsa_str(const struct mts_tlsa *t);

/* ---- loop ---------------------------------------------------------------- */

/* One event loop for every socket of the program (epoll(7) and a few
 * caller-owned timers). c-ares plugs in through its socket-state callback;
 * the policy fetch and the SMTP probe watch their own sockets
 * (docs/design.md). */

struct mts_loop;

enum {
  MTS_EV_READ = 1,
  MTS_EV_WRITE = 2,
};

/*! Called when \p fd is ready; \p events is a mask of MTS_EV_*. */
typedef void (*mts_io_cb)(void *arg, int fd, unsigned events);
/*! Called once when a timer expires. */
typedef void (*mts_timer_cb)(void *arg);

/*! A timer: caller-owned storage; zero-initialise it, then arm it with
 *  mts_loop_timer_set. It must stay alive while armed. */
struct mts_timer {
  mts_timer_cb cb;
  void *arg;
  uint64_t due_ms; /* private to loop.c */
  int armed;       /* private to loop.c */
};

enum mts_err mts_loop_new(struct mts_loop **out);
/*! Free the loop; watches and timers are dropped. NULL-safe. */
void mts_loop_free(struct mts_loop **loop);

/*! Watch \p fd for \p events (MTS_EV_* mask); events == 0 stops watching.
 *  Watching again replaces the callback and the mask.
 *  \return MTS_OK, MTS_ENOMEM or MTS_ESYS. */
enum mts_err mts_loop_watch(struct mts_loop *loop, int fd, unsigned events,
                            mts_io_cb cb, void *arg);

/*! Arm \p t to fire in \p ms milliseconds (0 = on the next turn), or
 *  disarm it when \p ms < 0.
 *  \return MTS_OK or MTS_ENOMEM. */
enum mts_err mts_loop_timer_set(struct mts_loop *loop, struct mts_timer *t,
                                long ms);

/*! Called before each wait, e.g. for a library to set its timer once per
 *  turn rather than once per request. */
typedef void (*mts_prepare_cb)(void *arg);

/*! Add a prepare hook (they run in the order added).
 *  \return MTS_OK or MTS_ENOMEM. */
enum mts_err mts_loop_add_prepare(struct mts_loop *loop, mts_prepare_cb cb,
                                  void *arg);

/*! Remove a prepare hook added with the same \p cb and \p arg. */
void mts_loop_remove_prepare(struct mts_loop *loop, mts_prepare_cb cb,
                             void *arg);

/*! Run until mts_loop_stop is called, or nothing is watched or armed.
 *  \return MTS_OK or MTS_ESYS (epoll_wait failed). */
enum mts_err mts_loop_run(struct mts_loop *loop);

/*! Make mts_loop_run return after the current callback. */
void mts_loop_stop(struct mts_loop *loop);

/*! \return a monotonic clock in milliseconds. */
uint64_t mts_loop_now_ms(void);

/* ---- resolve ------------------------------------------------------------- */

/* The asynchronous resolver: c-ares 1.18 channels driven by mts_loop.
 * No c-ares type crosses this header. */

struct mts_resolver;
struct mts_query;

struct mts_resolver_opts {
  const char *const *servers; /*!< "IP", "IP:port", "[IPv6]:port"; n == 0
                                   means the system's (resolv.conf). Asked
                                   in order: a server that fails (SERVFAIL,
                                   REFUSED, NOTIMP, no answer) hands the
                                   question to the next */
  size_t n_servers;
  int try_timeout_ms; /*!< first try's timeout (doubled each round) */
  int tries;          /*!< tries per server: rounds over the servers */
  double qps;         /*!< --qps: DNS queries sent per second at most
                           (a token bucket, docs/design.md); <= 0: no cap */
  int authoritative;  /*!< ask authoritative servers (rollout.md R197):
                           RD clear, a CNAME is reported (cnames) rather
                           than followed; use mts_resolve_at */
};

/*! Called exactly once per query unless cancelled; the callee owns \p res.
 *  It may be called before mts_resolve returns. */
typedef void (*mts_resolve_cb)(void *arg, struct mts_dns_result *res);

/*! Create a resolver on \p loop.
 *  \param[out] errbuf a sentence on failure (bad server address, ...)
 *  \return MTS_OK, MTS_EINVAL (bad option), MTS_ERESOLV or MTS_ENOMEM. */
enum mts_err mts_resolver_new(struct mts_resolver **out, struct mts_loop *loop,
                              const struct mts_resolver_opts *opts,
                              char *errbuf, size_t errsz);

/*! Destroy the resolver. Pending queries are cancelled first: their
 *  callbacks are not called. NULL-safe. */
void mts_resolver_free(struct mts_resolver **res);

/*! Look up \p name (no trailing dot) for \p type, following CNAMEs (up to
 *  MTS_DNS_MAX_CNAMES), retrying a truncated UDP answer over TCP.
 *  \param[out] handle for mts_resolve_cancel; may be NULL
 *  \return MTS_OK (\p cb will be called) or MTS_ENOMEM (it will not). */
enum mts_err mts_resolve(struct mts_resolver *res, const char *name, int type,
                         mts_resolve_cb cb, void *arg,
                         struct mts_query **handle);

/*! As mts_resolve, asking only server \p server (its index in the
 *  options' list): no failover to the others (rollout.md R197).
 *  \return MTS_OK, MTS_EINVAL (no such server) or MTS_ENOMEM. */
enum mts_err mts_resolve_at(struct mts_resolver *res, size_t server,
                            const char *name, int type, mts_resolve_cb cb,
                            void *arg, struct mts_query **handle);

/*! Forget the callback of a query in flight: it will not be called. The
 *  handle is invalid afterwards. */
void mts_resolve_cancel(struct mts_query *q);

/*! At most this many resolvers (arguments or resolv.conf). */
#define MTS_RESOLVER_MAX_SERVERS 32

/*! The --qps bucket holds at least this many queries: a domain's first
 *  queries (3, or 5 with the policy host's) can leave together. */
#define MTS_RESOLVER_BURST_MIN 5.0

/*! \return 1 if \p n queries asked now would all be sent at once: no query
 *  waits for the --qps rate limit and \p n tokens are there (always 1
 *  without --qps). If not, the callback of mts_resolver_on_ready is called
 *  when it may be so. */
int mts_resolver_ready(struct mts_resolver *res, unsigned n);

/*! Call \p cb (may be NULL) when the queries held back by --qps have all
 *  been sent, or tokens asked for by mts_resolver_ready are there, so that
 *  the caller can start more work. */
void mts_resolver_on_ready(struct mts_resolver *res, void (*cb)(void *arg),
                           void *arg);

/*! \return the number of DNS queries sent so far (for benchmarks). */
unsigned long mts_resolver_queries_sent(const struct mts_resolver *res);

/* ---- fetch --------------------------------------------------------------- */

/* The HTTPS fetch of an MTA-STS policy (RFC 8461 §3.3) as a compliant
 * sending MTA does it: one GET over a fresh TLS connection (OpenSSL, one
 * SSL_CTX for the run) on the program's one event loop, one transfer per
 * address of the policy host, to the address our own resolver found. No
 * OpenSSL type crosses this header. OpenSSL writes to its sockets with
 * write(2): the program ignores SIGPIPE (cli/main.c does), as for the
 * SMTP probe. */

/*! RFC 8461 §3.3 suggests 64 KiB; 65536 (rfc-rules A12). */
#define MTS_FETCH_MAX_BODY 65536

struct mts_fetcher;
struct mts_fetch;

struct mts_fetch_opts {
  const char *ca_file; /*!< trust anchors (PEM), NULL = system store */
  long timeout_ms;     /*!< the whole transfer: connect, TLS, response */
};

/*! How one transfer ended (rfc-rules R48-R63). */
enum mts_fetch_outcome {
  MTS_FETCH_OK = 0,  /*!< a response arrived: see http_status */
  MTS_FETCH_CONNECT, /*!< TCP connection failed */
  MTS_FETCH_TLS,     /*!< TLS failed for another reason than below */
  MTS_FETCH_CERT_UNTRUSTED,
  MTS_FETCH_CERT_EXPIRED, /*!< or not yet valid */
  MTS_FETCH_CERT_NAME,    /*!< OpenSSL's host name check failed (the SAN
                               rule itself is the assessment's: cert_san) */
  MTS_FETCH_TIMEOUT,
  MTS_FETCH_TOO_LARGE, /*!< body over MTS_FETCH_MAX_BODY */
  MTS_FETCH_FAILED,    /*!< anything else (detail says what) */
  MTS_FETCH_NO_ROUTE,  /*!< this machine cannot reach that address family
                            (no IPv6 route): says nothing of the host */
};

/*! One transfer's result; free with mts_fetch_result_free. */
struct mts_fetch_result {
  enum mts_fetch_outcome outcome;
  char *address;      /*!< the address tried */
  char *detail;       /*!< the precise words on failure (English, with
                           OpenSSL's own), or NULL */
  long http_status;   /*!< -1 when no response */
  char *content_type; /*!< the header as sent, NULL if absent */
  char *location;     /*!< a redirect's target, or NULL */
  char *body;         /*!< NUL-terminated for convenience; see body_len */
  size_t body_len;
  long long cert_not_after; /*!< the leaf's notAfter (epoch s), -1 unknown */
  int cert_seen;            /*!< the leaf certificate's details were read */
  char *cert_san;   /*!< its subjectAltName as OpenSSL writes it ("DNS:a,
                         DNS:b"), NULL if it has none or was not seen */
  int old_tls_only; /*!< MTS_FETCH_TLS, and the host does answer with TLS
                         1.0 or 1.1 when those are allowed (R53) */
};

/*! Called once per transfer unless cancelled; the callee owns \p res. */
typedef void (*mts_fetch_cb)(void *arg, struct mts_fetch_result *res);

/*! \return "connection failed", "certificate expired", ... */
const char *mts_fetch_outcome_str(enum mts_fetch_outcome o);

enum mts_err mts_fetcher_new(struct mts_fetcher **out, struct mts_loop *loop,
                             const struct mts_fetch_opts *opts, char *errbuf,
                             size_t errsz);
/*! Cancel every transfer (no callbacks) and free. NULL-safe. */
void mts_fetcher_free(struct mts_fetcher **f);

/*! GET https://\p host/.well-known/mta-sts.txt from \p address (IPv4 or
 *  IPv6 text), with SNI and certificate checks for \p host, no redirects
 *  followed, the body capped at MTS_FETCH_MAX_BODY.
 *  \param[out] handle for mts_fetch_cancel; may be NULL
 *  \return MTS_OK (\p cb will be called, never before this returns) or
 *  MTS_ENOMEM. */
enum mts_err mts_fetch_start(struct mts_fetcher *f, const char *host,
                             const char *address, mts_fetch_cb cb, void *arg,
                             struct mts_fetch **handle);

/*! Stop a transfer; its callback is not called. */
void mts_fetch_cancel(struct mts_fetch *fetch);

/*! Stop a transfer whose time is up and return what it knows: a TLS
 *  failure when only the R53 diagnosis was still running, else NULL (the
 *  caller reports a timeout). The callback is not called. */
struct mts_fetch_result *mts_fetch_expire(struct mts_fetch *fetch);

void mts_fetch_result_free(struct mts_fetch_result **res);

/* ---- libver -------------------------------------------------------------- */

/*! The versions of the network libraries this process runs with (not the
 *  headers it was built against), for --version and bug reports:
 *  "c-ares 1.18.1, OpenSSL 3.0.17 1 Jul 2025". Truncated to fit. */
void mts_net_libversions(char *buf, size_t size);

/* ---- smtp ---------------------------------------------------------------- */

/* The SMTP STARTTLS probe of one MX address (mx-transport.md R164): a small
 * non-blocking client on the program's event loop, OpenSSL for TLS. It
 * reports what it saw (the server's words, the TLS version, the leaf's
 * names and dates, the chain's verification) and judges nothing. No
 * OpenSSL type crosses this header. It never sends MAIL FROM. */

struct mts_smtper;
struct mts_smtp;

struct mts_smtp_opts {
  const char *ca_file;     /*!< trust anchors (PEM), NULL = system store */
  const char *ehlo;        /*!< the EHLO name */
  unsigned port;           /*!< 25 */
  long connect_timeout_ms; /*!< --smtp-timeout */
};

/*! How one probe ended. */
enum mts_smtp_outcome {
  MTS_SMTPO_OK = 0,      /*!< STARTTLS and the TLS handshake completed */
  MTS_SMTPO_CONNECT,     /*!< no TCP connection: refused, no answer */
  MTS_SMTPO_NO_ROUTE,    /*!< this machine has no route to that family */
  MTS_SMTPO_NO_STARTTLS, /*!< EHLO did not offer STARTTLS */
  MTS_SMTPO_FAILED,      /*!< the session failed before TLS (detail) */
  MTS_SMTPO_TLS,         /*!< the TLS handshake failed (detail) */
};

/*! One probe's facts; free with mts_smtp_result_free. */
struct mts_smtp_result {
  enum mts_smtp_outcome outcome;
  char *address;       /*!< the address probed */
  char *detail;        /*!< what failed, with the server's reply; or NULL */
  char *detail_local;  /*!< the same in the locale's language, or NULL */
  char *banner;        /*!< the greeting's first line as received, or NULL */
  int starttls;        /*!< EHLO offered STARTTLS: 1, 0, -1 unknown */
  char *tls_version;   /*!< "TLSv1.3", or NULL */
  int tls_version_num; /*!< 0x0304 for TLS 1.3, 0 unknown */
  char *cipher;
  int cert_seen; /*!< the leaf was read */
  char *cert_subject, *cert_issuer;
  char **cert_san; /*!< the leaf's dNSNames, as written */
  size_t n_cert_san;
  long long cert_not_before, cert_not_after; /*!< epoch s, -1 unknown */
  int chain_ok;       /*!< the chain verifies (expiry aside) */
  int cert_expired;   /*!< the chain fails only on a date */
  char *verify_error; /*!< OpenSSL's words for the first other error */
  /* DANE (R169), when the probe was given usable TLSA records */
  int dane;         /*!< 1: the chain was verified against TLSA records */
  int dane_ok;      /*!< 1: it matched one (OpenSSL's DANE verification) */
  char *dane_error; /*!< OpenSSL's words when it did not, or NULL */
};

typedef void (*mts_smtp_cb)(void *arg, struct mts_smtp_result *res);

/*! \param[out] errbuf a sentence on failure (bad --ca-file, ...)
 *  \return MTS_OK, MTS_EINVAL or MTS_ENOMEM. */
enum mts_err mts_smtper_new(struct mts_smtper **out, struct mts_loop *loop,
                            const struct mts_smtp_opts *opts, char *errbuf,
                            size_t errsz);
/*! Cancel every probe (no callbacks) and free. NULL-safe. */
void mts_smtper_free(struct mts_smtper **s);

/*! Probe \p address (IPv4 or IPv6 text) for MX host \p host (the SNI).
 *  \return MTS_OK (\p cb will be called, never before this returns) or
 *  MTS_ENOMEM. */
enum mts_err mts_smtp_start(struct mts_smtper *s, const char *host,
                            const char *address, mts_smtp_cb cb, void *arg,
                            struct mts_smtp **handle);

/*! As mts_smtp_start, and verify the chain with DANE (RFC 7672) against
 *  the usable ones of \p tlsa (copied; mts_tlsa_usable), separately from
 *  the PKIX verdict (chain_ok). No usable record: as mts_smtp_start.
 *  \return MTS_OK or MTS_ENOMEM. */
enum mts_err mts_smtp_start_dane(struct mts_smtper *s, const char *host,
                                 const char *address,
                                 const struct mts_tlsa *tlsa, size_t n_tlsa,
                                 mts_smtp_cb cb, void *arg,
                                 struct mts_smtp **handle);

/*! Stop a probe; its callback is not called. */
void mts_smtp_cancel(struct mts_smtp *p);

/*! Stop a probe whose time is up and return what it saw, as a failure that
 *  names the step that stalled (or a connect failure before a connection).
 *  The callback is not called. NULL when out of memory. */
struct mts_smtp_result *mts_smtp_expire(struct mts_smtp *p);

void mts_smtp_result_free(struct mts_smtp_result **res);

#endif
