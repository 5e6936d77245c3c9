/* libFuzzer target for the TLSA RDATA reader: any bytes as one TLSA
 * RDATA, read, judged usable or not, and written as text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct mts_tlsa t;
  char *s;

  if (mts_tlsa_parse(data, size, &t) != MTS_OK) {
    return 0;
  }
  if (t.data != data + 3 || t.len != size - 3 || t.usage > 255 ||
      t.selector > 255 || t.mtype > 255) {
    __builtin_trap();
  }
  (void)mts_tlsa_usable(&t);
  s = mts_tlsa_str(&t);
  if (s != NULL && strlen(s) < 2 * t.len + 6) {
    __builtin_trap();
  }
  free(s);
  return 0;
}
