/*
 * Host name matching by RFC 6125 §6.4 as MTA-STS uses it, for the policy's
 * mx patterns (RFC 8461 §4.1) and the policy host's certificate (RFC 8461
 * §3.3): one matcher for both, so they cannot drift apart.
 *
 * - A host holding '*' never matches, and a pattern holding '*' anywhere
 *   but as the whole left-most label matches nothing.
 *
 * Pure functions over strings: no I/O, no globals.
 */
#include "mtasts/rules.h"

#include <string.h>

#include "mtasts/bytes.h"

int
mts_name_match(const char *pattern, const char *host)
{
  size_t pl, hl;

  if (pattern == NULL || host == NULL) {
    return 0;
  }
  pl = strlen(pattern);
  hl = strlen(host);
  /* A trailing dot on either side is ignored (R109, R91). */
  if (pl > 0 && pattern[pl - 1] == '.') {
    pl--;
  }
  if (hl > 0 && host[hl - 1] == '.') {
    hl--;
  }
  if (pl == 0 || hl == 0 || memchr(host, '*', hl) != NULL) {
    return 0;
  }
  if (pl >= 2 && pattern[0] == '*' && pattern[1] == '.') {
    /* RFC 8461 §4.1: "*.example.com" matches exactly one non-empty label
     * before the suffix (R113, R114). */
    const char *suf = pattern + 2;
    size_t sl = pl - 2, label;
    if (sl == 0 || memchr(suf, '*', sl) != NULL || hl < sl + 2) {
      return 0;
    }
    label = hl - sl - 1;
    return host[label] == '.' && memchr(host, '.', label) == NULL &&
           mem_eq_nocase(host + label + 1, suf, sl);
  }
  if (memchr(pattern, '*', pl) != NULL) {
    return 0; /* R114: no partial-label wildcards */
  }
  return pl == hl && mem_eq_nocase(pattern, host, pl);
}

int
mts_name_san_match(const char *san, const char *host)
{
  const char *p = san;

  while (p != NULL && *p != '\0') {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);

    while (len > 0 && *p == ' ') {
      p++;
      len--;
    }
    /* Only DNS-IDs count (RFC 6125 §6.4.4: no CN-ID when a SAN exists,
     * and RFC 8461 §3.3 names the SAN alone). */
    if (len > 4 && strncmp(p, "DNS:", 4) == 0) {
      char name[256];
      size_t n = len - 4;
      if (n < sizeof(name)) {
        memcpy(name, p + 4, n);
        name[n] = '\0';
        if (mts_name_match(name, host)) {
          return 1;
        }
      }
    }
    p = end ? end + 1 : NULL;
  }
  return 0;
}
