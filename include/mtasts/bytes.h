#ifndef MTS_BYTES_H
#define MTS_BYTES_H

/* Core: byte classes and span comparisons shared by the
 * validators (txt.c, policy.c). ASCII only, locale-free, length-based:
 * spans of untrusted input are never assumed to be NUL-terminated. */

#include <stddef.h>
#include <string.h>

static inline unsigned char
uc(char c)
{
  return (unsigned char)c;
}

/* RFC 5234: WSP = SP / HTAB */
static inline int
is_wsp(char c)
{
  return c == ' ' || c == '\t';
}

static inline int
is_digit(char c)
{
  return c >= '0' && c <= '9';
}

static inline int
is_alnum(char c)
{
  return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static inline char
to_lower(char c)
{
  return c >= 'A' && c <= 'Z' ? (char)(uc(c) | 0x20u) : c;
}

/* Is the span [p, p+n) exactly the string s? */
static inline int
span_eq(const char *p, size_t n, const char *s)
{
  return n == strlen(s) && (n == 0 || memcmp(p, s, n) == 0);
}

/* n bytes of a and b equal, ASCII case-insensitively? */
static inline int
mem_eq_nocase(const char *a, const char *b, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    if (to_lower(a[i]) != to_lower(b[i])) {
      return 0;
    }
  }
  return 1;
}

/* Is the span [p, p+n) the string s, ASCII case-insensitively? */
static inline int
span_eq_nocase(const char *p, size_t n, const char *s)
{
  return n == strlen(s) && mem_eq_nocase(p, s, n);
}

#endif
