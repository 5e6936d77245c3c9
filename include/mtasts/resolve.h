#ifndef MTS_RESOLVE_H
#define MTS_RESOLVE_H

/* The asynchronous resolver: c-ares 1.18 channels driven by mts_loop.
 * No c-ares type crosses this header. */

#include <stddef.h>

#include "mtasts/dns.h"
#include "mtasts/err.h"
#include "mtasts/loop.h"

struct mts_resolver;
struct mts_query;

struct mts_resolver_opts {
  const char *const *servers; /*!< "IP", "IP:port", "[IPv6]:port"; n == 0
                                   means the system's (resolv.conf) */
  size_t n_servers;
  int try_timeout_ms; /*!< first try's timeout (c-ares doubles it) */
  int tries;          /*!< tries per server */
  double qps;         /*!< --qps: DNS queries sent per second at most
                           (a token bucket, docs/design.md); <= 0: no cap */
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

/*! Forget the callback of a query in flight: it will not be called. The
 *  handle is invalid afterwards. */
void mts_resolve_cancel(struct mts_query *q);

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

#endif
