/* TLSA RDATA (RFC 6698 §2.1), read for DANE over SMTP (RFC 7672,
 * mx-transport.md R169). Pure: no I/O, no globals. */
#include "mtasts/net.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum mts_err
mts_tlsa_parse(const uint8_t *rd, size_t len, struct mts_tlsa *out)
{
  /* Three one-octet fields, then the association data (at least one
   * octet: RFC 6698 §2.2 writes it as hex, which cannot be empty). */
  if (rd == NULL || len < 4) {
    return MTS_EINVAL;
  }
  out->usage = rd[0];
  out->selector = rd[1];
  out->mtype = rd[2];
  out->data = rd + 3;
  out->len = len - 3;
  return MTS_OK;
}

int
mts_tlsa_usable(const struct mts_tlsa *t)
{
  /* RFC 7672 §3.1.3: SMTP clients use DANE-TA(2) and DANE-EE(3) only;
   * PKIX-TA(0) and PKIX-EE(1) are unusable. RFC 7671 §5.1: unknown
   * selectors and matching types are unusable, and a digest of the wrong
   * length can match nothing. */
  if (t->usage != 2 && t->usage != 3) {
    return 0;
  }
  if (t->selector > 1) {
    return 0;
  }
  switch (t->mtype) {
    case 0:
      return 1;
    case 1:
      return t->len == 32;
    case 2:
      return t->len == 64;
    default:
      return 0;
  }
}

char *
mts_tlsa_str(const struct mts_tlsa *t)
{
  static const char hex[] = "0123456789abcdef";
  size_t n;
  char *s, *p;

  /* "255 255 255 " + 2 hex digits an octet + NUL. */
  if (t->len > (SIZE_MAX - 16) / 2) {
    return NULL;
  }
  n = 16 + 2 * t->len;
  s = malloc(n);
  if (s == NULL) {
    return NULL;
  }
  p = s + snprintf(s, n, "%u %u %u ", t->usage, t->selector, t->mtype);
  for (size_t i = 0; i < t->len; i++) {
    *p++ = hex[t->data[i] >> 4];
    *p++ = hex[t->data[i] & 0x0F];
  }
  *p = '\0';
  return s;
}
