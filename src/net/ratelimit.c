#include "ratelimit.h"

/* Add the tokens earned since the last call, up to the bucket's size. A
 * clock that goes backwards (it is monotonic, but tests may) earns none. */
static void
refill(struct mts_ratelimit *rl, uint64_t now_ms)
{
  if (now_ms > rl->last_ms) {
    rl->tokens += (double)(now_ms - rl->last_ms) * rl->rate / 1000.0;
    if (rl->tokens > rl->burst) {
      rl->tokens = rl->burst;
    }
    rl->last_ms = now_ms;
  }
}

void
mts_ratelimit_init(struct mts_ratelimit *rl, double rate, double burst,
                   uint64_t now_ms)
{
  rl->rate = rate;
  rl->burst = burst < 1.0 ? 1.0 : burst;
  rl->tokens = rl->burst;
  rl->last_ms = now_ms;
}

int
mts_ratelimit_take(struct mts_ratelimit *rl, uint64_t now_ms)
{
  if (rl->rate <= 0.0) {
    return 1;
  }
  refill(rl, now_ms);
  if (rl->tokens < 1.0) {
    return 0;
  }
  rl->tokens -= 1.0;
  return 1;
}

long
mts_ratelimit_wait_ms(struct mts_ratelimit *rl, uint64_t now_ms, double need)
{
  double ms;
  long whole;

  if (rl->rate <= 0.0) {
    return 0;
  }
  if (need > rl->burst) {
    need = rl->burst; /* never more than the bucket holds */
  }
  refill(rl, now_ms);
  if (rl->tokens >= need) {
    return 0;
  }
  ms = (need - rl->tokens) * 1000.0 / rl->rate;
  whole = (long)ms;
  return (double)whole < ms ? whole + 1 : whole;
}
