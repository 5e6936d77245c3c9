#ifndef MTS_SHARD_H
#define MTS_SHARD_H

/* --shard K/N: check only the domains of shard K of N, so that one list can
 * be split across machines and the outputs concatenated
 * (docs/monitoring.md). The key and the hash are part of the contract: a
 * domain's shard must never change between versions, or a split run would
 * check some domains twice and others not at all. Pure: no I/O, no
 * globals. */

#include <stddef.h>
#include <stdint.h>

#include "mtasts/err.h"

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

#endif
