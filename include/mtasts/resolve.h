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

/*! \return the number of DNS queries sent so far (for benchmarks). */
unsigned long mts_resolver_queries_sent(const struct mts_resolver *res);

#endif
