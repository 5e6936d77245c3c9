#include "mtasts/output.h"

#include <stdlib.h>
#include <string.h>

#include "mtasts/utf8.h"

void
mts_jw_init(struct mts_jw *w, char *stack, size_t size)
{
  memset(w, 0, sizeof(*w));
  w->p = stack;
  w->cap = size;
}

void
mts_jw_release(struct mts_jw *w)
{
  if (w->heap) {
    free(w->p);
  }
  w->heap = 0;
  w->p = NULL;
  w->cap = 0;
  w->len = 0;
}

/* Room for n more bytes. \return 0, or -1 when out of memory. */
static int
reserve(struct mts_jw *w, size_t n)
{
  size_t cap = w->cap;
  char *p;

  if (w->oom) {
    return -1;
  }
  if (n <= w->cap - w->len) {
    return 0;
  }
  while (n > cap - w->len) {
    if (cap > SIZE_MAX / 2) {
      w->oom = 1;
      return -1;
    }
    cap *= 2;
  }
  p = w->heap ? realloc(w->p, cap) : malloc(cap);
  if (p == NULL) {
    w->oom = 1;
    return -1;
  }
  if (!w->heap) {
    memcpy(p, w->p, w->len);
  }
  w->p = p;
  w->cap = cap;
  w->heap = 1;
  return 0;
}

static void
raw(struct mts_jw *w, const char *s, size_t n)
{
  if (reserve(w, n) == 0) {
    memcpy(w->p + w->len, s, n);
    w->len += n;
  }
}

static void
byte(struct mts_jw *w, char c)
{
  if (reserve(w, 1) == 0) {
    w->p[w->len++] = c;
  }
}

/* Bytes written as they are inside a JSON string: printable ASCII but '"'
 * and '\\'. */
static const unsigned char plain_byte[256] = {
    ['\x20'] = 1, ['!'] = 1, ['#'] = 1, ['$'] = 1,   ['%'] = 1, ['&'] = 1,
    ['\''] = 1,   ['('] = 1, [')'] = 1, ['*'] = 1,   ['+'] = 1, [','] = 1,
    ['-'] = 1,    ['.'] = 1, ['/'] = 1, ['0'] = 1,   ['1'] = 1, ['2'] = 1,
    ['3'] = 1,    ['4'] = 1, ['5'] = 1, ['6'] = 1,   ['7'] = 1, ['8'] = 1,
    ['9'] = 1,    [':'] = 1, [';'] = 1, ['<'] = 1,   ['='] = 1, ['>'] = 1,
    ['?'] = 1,    ['@'] = 1, ['A'] = 1, ['B'] = 1,   ['C'] = 1, ['D'] = 1,
    ['E'] = 1,    ['F'] = 1, ['G'] = 1, ['H'] = 1,   ['I'] = 1, ['J'] = 1,
    ['K'] = 1,    ['L'] = 1, ['M'] = 1, ['N'] = 1,   ['O'] = 1, ['P'] = 1,
    ['Q'] = 1,    ['R'] = 1, ['S'] = 1, ['T'] = 1,   ['U'] = 1, ['V'] = 1,
    ['W'] = 1,    ['X'] = 1, ['Y'] = 1, ['Z'] = 1,   ['['] = 1, [']'] = 1,
    ['^'] = 1,    ['_'] = 1, ['`'] = 1, ['a'] = 1,   ['b'] = 1, ['c'] = 1,
    ['d'] = 1,    ['e'] = 1, ['f'] = 1, ['g'] = 1,   ['h'] = 1, ['i'] = 1,
    ['j'] = 1,    ['k'] = 1, ['l'] = 1, ['m'] = 1,   ['n'] = 1, ['o'] = 1,
    ['p'] = 1,    ['q'] = 1, ['r'] = 1, ['s'] = 1,   ['t'] = 1, ['u'] = 1,
    ['v'] = 1,    ['w'] = 1, ['x'] = 1, ['y'] = 1,   ['z'] = 1, ['{'] = 1,
    ['|'] = 1,    ['}'] = 1, ['~'] = 1, ['\x7f'] = 1};

/* s[0..len) as a JSON string: valid UTF-8, escaped as cJSON does. Room for
 * the worst case (6 octets for each byte, "\u00xx") is made once, then
 * the string is written without further checks: the bulk run writes
 * millions of these a second (docs/benchmarks.md). */
static void
string(struct mts_jw *w, const char *s, size_t len)
{
  const unsigned char *p = (const unsigned char *)s;
  static const char hex[] = "0123456789abcdef";
  char *o;

  if (len > (SIZE_MAX - 2) / 6 || reserve(w, len * 6 + 2) != 0) {
    w->oom = 1;
    return;
  }
  o = w->p + w->len;
  *o++ = '"';
  for (size_t i = 0; i < len;) {
    size_t run = i, n;
    /* A run of bytes that need no escape: one copy. */
    while (run < len && plain_byte[p[run]]) {
      run++;
    }
    if (run > i) {
      memcpy(o, s + i, run - i);
      o += run - i;
      i = run;
      continue;
    }
    n = mts_utf8_seq_len(p + i, len - i);
    if (n == 0) {
      memcpy(o, MTS_UTF8_REPLACEMENT, 3);
      o += 3;
      i++;
      continue;
    }
    if (n > 1) {
      memcpy(o, s + i, n);
      o += n;
      i += n;
      continue;
    }
    *o++ = '\\';
    switch (p[i]) {
      case '"':
      case '\\':
        *o++ = (char)p[i];
        break;
      case '\b':
        *o++ = 'b';
        break;
      case '\f':
        *o++ = 'f';
        break;
      case '\n':
        *o++ = 'n';
        break;
      case '\r':
        *o++ = 'r';
        break;
      case '\t':
        *o++ = 't';
        break;
      default:
        *o++ = 'u';
        *o++ = '0';
        *o++ = '0';
        *o++ = hex[p[i] >> 4];
        *o++ = hex[p[i] & 0xf];
        break;
    }
    i++;
  }
  *o++ = '"';
  w->len = (size_t)(o - w->p);
}

/* The separator and, inside an object, the key of the next member. */
static void
key(struct mts_jw *w, const char *k)
{
  if (w->depth > 0) {
    if (w->more[w->depth - 1]) {
      byte(w, ',');
    }
    w->more[w->depth - 1] = 1;
  }
  if (k != NULL) {
    size_t n = strlen(k), i = 0;
    /* Keys are mostly literals that need no escape: copy them at once. */
    while (i < n && plain_byte[(unsigned char)k[i]]) {
      i++;
    }
    if (i < n) {
      string(w, k, n);
      byte(w, ':');
    } else if (reserve(w, n + 3) == 0) {
      char *o = w->p + w->len;
      *o++ = '"';
      memcpy(o, k, n);
      o += n;
      *o++ = '"';
      *o++ = ':';
      w->len = (size_t)(o - w->p);
    }
  }
}

void
mts_jw_open(struct mts_jw *w, const char *k, char bracket)
{
  key(w, k);
  byte(w, bracket);
  if (w->depth < MTS_JW_DEPTH) {
    w->more[w->depth] = 0;
    w->depth++;
  } else {
    w->oom = 1; /* deeper than any caller nests: a bug */
  }
}

void
mts_jw_close(struct mts_jw *w, char bracket)
{
  byte(w, bracket);
  if (w->depth > 0) {
    w->depth--;
  }
}

void
mts_jw_null(struct mts_jw *w, const char *k)
{
  key(w, k);
  raw(w, "null", 4);
}

void
mts_jw_bytes(struct mts_jw *w, const char *k, const char *s, size_t len)
{
  if (s == NULL) {
    mts_jw_null(w, k);
    return;
  }
  key(w, k);
  string(w, s, len);
}

void
mts_jw_str(struct mts_jw *w, const char *k, const char *s)
{
  mts_jw_bytes(w, k, s, s != NULL ? strlen(s) : 0);
}

void
mts_jw_u64(struct mts_jw *w, const char *k, uint64_t v)
{
  char digits[24];
  size_t n = sizeof(digits);

  do {
    digits[--n] = (char)('0' + v % 10);
    v /= 10;
  } while (v > 0);
  key(w, k);
  raw(w, digits + n, sizeof(digits) - n);
}

void
mts_jw_number(struct mts_jw *w, const char *k, const char *num)
{
  key(w, k);
  raw(w, num, strlen(num));
}

void
mts_jw_strv(struct mts_jw *w, const char *k, char *const *v, size_t n,
            int is_null)
{
  if (is_null) {
    mts_jw_null(w, k);
    return;
  }
  mts_jw_open(w, k, '[');
  for (size_t i = 0; i < n; i++) {
    mts_jw_str(w, NULL, v[i]);
  }
  mts_jw_close(w, ']');
}

enum mts_err
mts_jw_finish(struct mts_jw *w, FILE *out)
{
  byte(w, '\n');
  if (w->oom) {
    return MTS_ENOMEM;
  }
  if (fwrite(w->p, 1, w->len, out) != w->len || ferror(out)) {
    return MTS_EIO;
  }
  return MTS_OK;
}

void
mts_jw_findings(struct mts_jw *w, const struct mts_findings *list)
{
  mts_jw_open(w, "findings", '[');
  for (size_t i = 0; list != NULL && i < list->n; i++) {
    const struct mts_finding *f = &list->v[i];

    mts_jw_open(w, NULL, '{');
    mts_jw_str(w, "code", mts_code_name(f->code));
    mts_jw_str(w, "severity", mts_severity_str(f->severity));
    mts_jw_str(w, "message", f->message ? f->message : "");
    mts_jw_bytes(w, "subject", f->subject, f->subject_len);
    mts_jw_str(w, "rfc", mts_code_rfc(f->code));
    mts_jw_close(w, '}');
  }
  mts_jw_close(w, ']');
}
