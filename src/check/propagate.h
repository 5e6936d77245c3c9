#ifndef MTS_PROPAGATE_H
#define MTS_PROPAGATE_H

/* --propagation (issue 13, rollout.md R197-R199): every authoritative
 * address of the zone asked directly, on the check's event loop.
 *
 * Two layers, as for the rest of the check: the driver (propagate.c) finds
 * the zone (SOA), its name servers (NS) and their addresses (A, AAAA)
 * through the check's resolver, then asks each address for the SOA and the
 * three names with RD clear, and reports the facts; the judgement
 * (propjudge.c) is a pure function of those facts and the resolver's own
 * answers. */

#include "mtasts/err.h"
#include "mtasts/net.h"
#include "mtasts/result.h"

/*! The most name servers asked per zone, and addresses in all (the
 *  resolver's limit). */
#define MTS_PROP_MAX_NS 13
#define MTS_PROP_MAX_ADDRS MTS_RESOLVER_MAX_SERVERS

/*! The questions one address is asked (index of mts_prop_server.ans). */
enum {
  MTS_PQ_SOA = 0,
  MTS_PQ_STS,    /*!< _mta-sts.<d> TXT */
  MTS_PQ_TLSRPT, /*!< _smtp._tls.<d> TXT */
  MTS_PQ_MX,     /*!< <d> MX */
  MTS_PQ__COUNT
};

/*! One authoritative address and its answers. */
struct mts_prop_server {
  char *name; /*!< the NS name */
  char *ip;
  unsigned asked; /*!< bit q: question q was asked of it */
  struct mts_dns_result *ans[MTS_PQ__COUNT]; /*!< NULL: no answer (timed out
                                                 or not asked) */
};

/*! What the driver found. */
struct mts_prop_facts {
  char *zone;        /*!< the zone holding _mta-sts.<d>, or NULL */
  char *domain_zone; /*!< the zone of <d> when it differs, or NULL */
  struct mts_prop_server *servers;
  size_t n_servers;
  char *error; /*!< why no server could be asked, or NULL */
};

void mts_prop_facts_release(struct mts_prop_facts *f);

/*! Judge \p f against the resolver's answers \p resolver (indexed by enum
 *  mts_prop_name; an entry may be NULL) and write r->propagation and the
 *  findings DNS_NS_OUT_OF_SYNC, DNS_NS_UNREACHABLE, DNS_RESOLVER_STALE
 *  (R198, R199); r->status is recomputed. Pure.
 *  \return MTS_OK or MTS_ENOMEM. */
enum mts_err mts_prop_judge(const struct mts_prop_facts *f,
                            const struct mts_dns_result *const *resolver,
                            struct mts_result *r);

/* ---- the driver ---------------------------------------------------------- */

struct mts_prop;

/*! Called once when every answer is in (never before mts_prop_start
 *  returns, never from inside a resolver's callback). */
typedef void (*mts_prop_cb)(void *arg);

struct mts_prop_opts {
  unsigned port;      /*!< the servers' port: 53, or --ns-port */
  int try_timeout_ms; /*!< as the check's resolver */
  int tries;
};

/*! Start the propagation check of \p domain (A-label) on \p loop, finding
 *  the servers through \p res.
 *  \return MTS_OK (\p cb will be called) or MTS_ENOMEM. */
enum mts_err mts_prop_start(struct mts_prop **out, struct mts_loop *loop,
                            struct mts_resolver *res, const char *domain,
                            const struct mts_prop_opts *opts, mts_prop_cb cb,
                            void *arg);

/*! The facts found so far; complete once the callback has come. */
const struct mts_prop_facts *mts_prop_facts(const struct mts_prop *p);

/*! Stop now (the check's time is up): questions still out stay without
 *  an answer. The callback is not called. Not from a resolver callback. */
void mts_prop_expire(struct mts_prop *p);

/*! Cancel and free. NULL-safe. Not from a resolver callback. */
void mts_prop_free(struct mts_prop **p);

#endif
