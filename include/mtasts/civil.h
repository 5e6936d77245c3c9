#ifndef MTS_CIVIL_H
#define MTS_CIVIL_H

/* Core: calendar arithmetic without timegm() (not POSIX), for
 * the certificate dates (fetch.c), the state file (state.c) and report
 * date-times (tlsrpt.c). */

/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d (m 1..12),
 * H. Hinnant's days_from_civil. */
static inline long long
mts_days_from_civil(long long y, unsigned m, unsigned d)
{
  long long era;
  unsigned yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = (unsigned)(y - era * 400);
  doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (long long)doe - 719468;
}

#endif
