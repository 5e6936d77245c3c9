#ifndef MTS_FETCH_H
#define MTS_FETCH_H

/* The HTTPS fetch of an MTA-STS policy (RFC 8461 §3.3) as a compliant
 * sending MTA does it: libcurl's multi socket API on the program's one
 * event loop, one transfer per address of the policy host, pinned to the
 * address our own resolver found. No libcurl type crosses this header. */

#include <stddef.h>

#include "mtasts/err.h"
#include "mtasts/loop.h"

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
  MTS_FETCH_CERT_NAME,    /*!< no SAN dNSName matches the host */
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
  char *detail;       /*!< libcurl's precise words on failure, or NULL */
  long http_status;   /*!< -1 when no response */
  char *content_type; /*!< the header as sent, NULL if absent */
  char *location;     /*!< a redirect's target, or NULL */
  char *body;         /*!< NUL-terminated for convenience; see body_len */
  size_t body_len;
  long long cert_not_after; /*!< the leaf's notAfter (epoch s), -1 unknown */
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

/*! RFC 8461 §3.3 and RFC 6125: does one of the SAN dNSNames in \p san
 *  (OpenSSL's text, "DNS:a.example, DNS:*.example") match \p host? The
 *  subject CN is never used; a wildcard stands for one whole leftmost
 *  label. \return 1 or 0. */
int mts_fetch_san_matches(const char *san, const char *host);

#endif
