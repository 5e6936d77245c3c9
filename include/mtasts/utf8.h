#ifndef MTS_UTF8_H
#define MTS_UTF8_H

/* Core: one UTF-8 validator (RFC 3629 §4) for every writer and
 * reader that meets untrusted bytes: the JSON writer (jsonw.c), the text
 * reporter (report_text.c), the Prometheus writer (report_prom.c) and the
 * I-JSON scanner (ijson.c). Static inline: the JSON writer calls it on its
 * hot path. */

#include <stddef.h>

/* U+FFFD REPLACEMENT CHARACTER, written for a byte that is not text. */
#define MTS_UTF8_REPLACEMENT "\xef\xbf\xbd"

/* The length (1 to 4) of the well-formed UTF-8 sequence at s, or 0 if the
 * byte at s does not start one: no overlong form, no surrogate, nothing
 * above U+10FFFF, and no NUL (it would end a C string). avail >= 1. */
static inline size_t
mts_utf8_seq_len(const unsigned char *s, size_t avail)
{
  unsigned char c = s[0];
  unsigned char lo = 0x80, hi = 0xbf;
  size_t need;

  if (c >= 0x01 && c <= 0x7f) {
    return 1;
  }
  if (c >= 0xc2 && c <= 0xdf) {
    need = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    need = 3;
    lo = c == 0xe0 ? 0xa0 : 0x80; /* overlong */
    hi = c == 0xed ? 0x9f : 0xbf; /* surrogates U+D800..U+DFFF */
  } else if (c >= 0xf0 && c <= 0xf4) {
    need = 4;
    lo = c == 0xf0 ? 0x90 : 0x80; /* overlong */
    hi = c == 0xf4 ? 0x8f : 0xbf; /* above U+10FFFF */
  } else {
    return 0; /* NUL, continuation byte, C0/C1 lead bytes, F5..FF */
  }
  if (avail < need || s[1] < lo || s[1] > hi) {
    return 0;
  }
  for (size_t i = 2; i < need; i++) {
    if (s[i] < 0x80 || s[i] > 0xbf) {
      return 0;
    }
  }
  return need;
}

/* The code point of the n-byte sequence at s, which mts_utf8_seq_len
 * accepted. */
static inline unsigned long
mts_utf8_decode(const unsigned char *s, size_t n)
{
  static const unsigned char lead_mask[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
  unsigned long cp = s[0] & lead_mask[n];

  for (size_t i = 1; i < n; i++) {
    cp = (cp << 6) | (s[i] & 0x3fu);
  }
  return cp;
}

#endif
