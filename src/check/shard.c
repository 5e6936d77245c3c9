#include "mtasts/check.h"

#include <string.h>

#include "mtasts/hash.h"
#include "mtasts/net.h"
#include "mtasts/rules.h"

uint64_t
mts_shard_hash(const char *p, size_t len)
{
  return mts_fnv1a64(MTS_FNV64_INIT, p, len);
}

/* FNV-1a of s with ASCII letters lowercased: the key of an invalid input,
 * locale-free so that every machine agrees. */
static uint64_t
hash_lower(const char *s)
{
  uint64_t h = MTS_FNV64_INIT;

  for (const unsigned char *q = (const unsigned char *)s; *q != '\0'; q++) {
    unsigned char c = *q;
    if (c >= 'A' && c <= 'Z') {
      c = (unsigned char)(c + ('a' - 'A'));
    }
    h ^= c;
    h *= MTS_FNV64_PRIME;
  }
  return h;
}

enum mts_err
mts_shard_of(const char *input, unsigned long n, unsigned long *shard)
{
  char alabel[MTS_DNS_NAME_MAX + 2];
  const char *why = NULL;
  enum mts_err err;
  uint64_t h;

  if (n < 1 || n > MTS_SHARD_MAX) {
    return MTS_EINVAL;
  }
  err = mts_domain_normalize(input, alabel, sizeof(alabel), NULL, &why);
  if (err == MTS_OK) {
    h = mts_shard_hash(alabel, strlen(alabel));
  } else if (err == MTS_EINVAL) {
    h = hash_lower(input);
  } else {
    return err;
  }
  *shard = (unsigned long)(h % n) + 1;
  return MTS_OK;
}

/* A decimal number of at most 7 digits: no sign, no blank, no "0x". */
static int
parse_count(const char *s, size_t len, unsigned long *out)
{
  unsigned long v = 0;

  if (len == 0 || len > 7) {
    return -1;
  }
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') {
      return -1;
    }
    v = v * 10 + (unsigned long)(s[i] - '0');
  }
  *out = v;
  return 0;
}

enum mts_err
mts_shard_parse(const char *s, unsigned long *k, unsigned long *n)
{
  const char *slash = strchr(s, '/');
  unsigned long kv, nv;

  if (slash == NULL || parse_count(s, (size_t)(slash - s), &kv) != 0 ||
      parse_count(slash + 1, strlen(slash + 1), &nv) != 0 || nv < 1 ||
      nv > MTS_SHARD_MAX || kv < 1 || kv > nv) {
    return MTS_EINVAL;
  }
  *k = kv;
  *n = nv;
  return MTS_OK;
}
