#ifndef MTS_RATELIMIT_H
#define MTS_RATELIMIT_H

/* A token bucket (--qps): pure arithmetic on a caller-given clock, so that
 * tests can drive it without sleeping. The resolver keeps one and a loop
 * timer (docs/design.md "Rate limit, progress and signals"). */

#include <stdint.h>

struct mts_ratelimit {
  double rate;   /*!< tokens per second; <= 0: unlimited */
  double burst;  /*!< the bucket's size */
  double tokens; /*!< private */
  uint64_t last_ms;
};

/*! Start with a full bucket of \p burst tokens (at least 1) at \p now_ms. */
void mts_ratelimit_init(struct mts_ratelimit *rl, double rate, double burst,
                        uint64_t now_ms);

/*! Take one token if one is there at \p now_ms.
 *  \return 1 if taken (always when unlimited), 0 if not. */
int mts_ratelimit_take(struct mts_ratelimit *rl, uint64_t now_ms);

/*! \return milliseconds from \p now_ms until \p need tokens (at most the
 *  bucket's size) are there, 0 if they are there now; rounded up. */
long mts_ratelimit_wait_ms(struct mts_ratelimit *rl, uint64_t now_ms,
                           double need);

#endif
