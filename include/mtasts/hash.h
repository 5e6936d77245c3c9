#ifndef MTS_HASH_H
#define MTS_HASH_H

/* Core: FNV-1a 64, the one unkeyed hash of the program. It is a contract
 * where it picks a shard (docs/monitoring.md); elsewhere it indexes
 * tables. Tables keyed by strings an attacker chooses need a keyed hash. */

#include <stddef.h>
#include <stdint.h>

#define MTS_FNV64_INIT 0xcbf29ce484222325ULL
#define MTS_FNV64_PRIME 0x100000001b3ULL

/*! Continue an FNV-1a 64 hash \p h (start from MTS_FNV64_INIT) over
 *  \p n bytes at \p p. */
static inline uint64_t
mts_fnv1a64(uint64_t h, const void *p, size_t n)
{
  const unsigned char *b = (const unsigned char *)p;

  for (size_t i = 0; i < n; i++) {
    h ^= b[i];
    h *= MTS_FNV64_PRIME;
  }
  return h;
}

#endif
