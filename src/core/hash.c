/* The per-run key of the keyed hash (mtasts/hash.h). */
#include "mtasts/hash.h"

#include <errno.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

void
mts_hash_key_new(struct mts_hash_key *k)
{
  uint64_t b[2];
  size_t got = 0;

  while (got < sizeof(b)) {
    ssize_t n = getrandom((unsigned char *)b + got, sizeof(b) - got, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    got += (size_t)n;
  }
  if (got < sizeof(b)) {
    /* No getrandom (an old kernel, a seccomp filter): the clock, the
     * process and the stack's address, mixed. Hard to guess from the
     * input, which is all a flooder has. */
    struct timespec ts = {0, 0};
    struct mts_hash_key fixed = {0x0123456789abcdefULL, 0xfedcba9876543210ULL};
    uint64_t seed[4];

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    seed[0] = (uint64_t)ts.tv_sec;
    seed[1] = (uint64_t)ts.tv_nsec;
    seed[2] = (uint64_t)getpid();
    seed[3] = (uint64_t)(uintptr_t)&ts;
    b[0] = mts_siphash(&fixed, seed, sizeof(seed));
    seed[3] ^= b[0];
    b[1] = mts_siphash(&fixed, seed, sizeof(seed));
  }
  k->k0 = b[0];
  k->k1 = b[1];
}
