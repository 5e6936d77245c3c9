#ifndef MTS_TLSRPT_SUM_H
#define MTS_TLSRPT_SUM_H

/* Private to src/tlsrpt/ (and its unit tests): what the tests of
 * tlsrpt_sum.c look at beyond the entry header. */

#include <stdint.h>

#include "mtasts/tlsrpt.h"

/*! The slots looked at so far by every lookup and insertion of \p s's
 *  tables: linear in the names added, whatever they are, unless the hash
 *  is broken (test_tlsrpt_sum: a flood of colliding names). */
uint64_t mts_rpt_sum_probes(const struct mts_rpt_sum *s);

#endif
