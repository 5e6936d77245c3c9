#ifndef MTS_HASH_H
#define MTS_HASH_H

/* Core: the program's two hashes.
 *
 * FNV-1a 64 is unkeyed: it is a contract where it picks a shard
 * (docs/monitoring.md) and a policy's fingerprint in --state; never use it
 * to index a table keyed by strings an attacker chooses (report fields,
 * mail, a fetched policy): colliding names are easy to make, and linear
 * probing then turns quadratic.
 *
 * SipHash-2-4 (Aumasson and Bernstein, 2012) is keyed: with a key drawn at
 * random for the run (mts_hash_key_new), nobody who does not know it can
 * make names collide. Use it for every such table. */

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

/*! A SipHash key: 128 bits, k0 from key bytes 0-7 (little-endian). */
struct mts_hash_key {
  uint64_t k0, k1;
};

/*! Fill \p k with random bytes (getrandom(2); should the kernel refuse,
 *  a mix of the clock, the process id and addresses: weaker, never a
 *  failure). Once per table set, at its creation. */
void mts_hash_key_new(struct mts_hash_key *k);

/*! The state of one SipHash-2-4 computation (mts_siphash_init, _update,
 *  _final), for keys in several pieces. */
struct mts_siphash {
  uint64_t v0, v1, v2, v3;
  uint64_t tail; /* the bytes of the last, incomplete word */
  size_t len;    /* bytes seen */
};

#define MTS_SIP_ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static inline void
mts_sip_round(struct mts_siphash *s)
{
  s->v0 += s->v1;
  s->v1 = MTS_SIP_ROTL(s->v1, 13);
  s->v1 ^= s->v0;
  s->v0 = MTS_SIP_ROTL(s->v0, 32);
  s->v2 += s->v3;
  s->v3 = MTS_SIP_ROTL(s->v3, 16);
  s->v3 ^= s->v2;
  s->v0 += s->v3;
  s->v3 = MTS_SIP_ROTL(s->v3, 21);
  s->v3 ^= s->v0;
  s->v2 += s->v1;
  s->v1 = MTS_SIP_ROTL(s->v1, 17);
  s->v1 ^= s->v2;
  s->v2 = MTS_SIP_ROTL(s->v2, 32);
}

/* One message word: c = 2 compression rounds. */
static inline void
mts_sip_word(struct mts_siphash *s, uint64_t m)
{
  s->v3 ^= m;
  mts_sip_round(s);
  mts_sip_round(s);
  s->v0 ^= m;
}

static inline void
mts_siphash_init(struct mts_siphash *s, const struct mts_hash_key *k)
{
  s->v0 = k->k0 ^ 0x736f6d6570736575ULL;
  s->v1 = k->k1 ^ 0x646f72616e646f6dULL;
  s->v2 = k->k0 ^ 0x6c7967656e657261ULL;
  s->v3 = k->k1 ^ 0x7465646279746573ULL;
  s->tail = 0;
  s->len = 0;
}

/*! Add \p n bytes at \p p. */
static inline void
mts_siphash_update(struct mts_siphash *s, const void *p, size_t n)
{
  const unsigned char *b = (const unsigned char *)p;

  for (size_t i = 0; i < n; i++) {
    /* Bytes are taken little-endian, whatever the machine. */
    s->tail |= (uint64_t)b[i] << (8 * (s->len & 7));
    s->len++;
    if ((s->len & 7) == 0) {
      mts_sip_word(s, s->tail);
      s->tail = 0;
    }
  }
}

/*! \return the 64-bit hash of everything added (\p s is spent). */
static inline uint64_t
mts_siphash_final(struct mts_siphash *s)
{
  mts_sip_word(s, s->tail | (uint64_t)(s->len & 0xff) << 56);
  s->v2 ^= 0xff;
  /* d = 4 finalisation rounds. */
  mts_sip_round(s);
  mts_sip_round(s);
  mts_sip_round(s);
  mts_sip_round(s);
  return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

/*! SipHash-2-4 of \p n bytes at \p p under \p k. */
static inline uint64_t
mts_siphash(const struct mts_hash_key *k, const void *p, size_t n)
{
  struct mts_siphash s;

  mts_siphash_init(&s, k);
  mts_siphash_update(&s, p, n);
  return mts_siphash_final(&s);
}

#endif
