#include "ijson.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts/i18n.h"
#include "mtasts/utf8.h"

#define MAX_DEPTH_CAP 256
/* Number literals longer than this are refused (no double needs it). */
#define MAX_NUMBER_LEN 400

enum state {
  S_VALUE,        /* a value is due */
  S_VALUE_OR_END, /* after '[': a value or ']' */
  S_KEY_OR_END,   /* after '{': a member name or '}' */
  S_KEY,          /* after ',' in an object */
  S_COLON,        /* after a member name */
  S_AFTER,        /* after a value */
};

struct scan {
  const unsigned char *p;
  size_t n;
  size_t i;
  struct mts_ijson_res *res;
};

static enum mts_ijson_err
fail(struct scan *s, enum mts_ijson_err err, size_t at, const char *why)
{
  s->res->err = err;
  s->res->offset = at;
  s->res->why = why;
  return err;
}

static void
skip_ws(struct scan *s)
{
  while (s->i < s->n && (s->p[s->i] == ' ' || s->p[s->i] == '\t' ||
                         s->p[s->i] == '\n' || s->p[s->i] == '\r')) {
    s->i++;
  }
}

static int
hexval(unsigned char c)
{
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

/* Four hex digits at s->i; \return the code unit or -1. */
static long
hex4(const struct scan *s, size_t at)
{
  long v = 0;

  if (s->n - at < 4) {
    return -1;
  }
  for (size_t k = 0; k < 4; k++) {
    int h = hexval(s->p[at + k]);
    if (h < 0) {
      return -1;
    }
    v = v * 16 + h;
  }
  return v;
}

/* One UTF-8 sequence starting at s->i (a byte >= 0x80), RFC 3629. */
static enum mts_ijson_err
utf8_seq(struct scan *s)
{
  size_t len = mts_utf8_seq_len(s->p + s->i, s->n - s->i);

  if (len == 0) {
    return fail(s, MTS_IJSON_UTF8, s->i, "an invalid UTF-8 sequence");
  }
  s->i += len;
  return MTS_IJSON_OK;
}

/* A string; s->i is on the opening quote. */
static enum mts_ijson_err
string(struct scan *s)
{
  size_t start = s->i;

  s->i++;
  while (s->i < s->n) {
    unsigned char c = s->p[s->i];
    if (c == '"') {
      s->i++;
      return MTS_IJSON_OK;
    }
    if (c < 0x20) {
      return fail(s, MTS_IJSON_SYNTAX, s->i,
                  "a control character inside a string");
    }
    if (c >= 0x80) {
      enum mts_ijson_err e = utf8_seq(s);
      if (e != MTS_IJSON_OK) {
        return e;
      }
      continue;
    }
    if (c != '\\') {
      s->i++;
      continue;
    }
    if (s->i + 1 >= s->n) {
      break;
    }
    c = s->p[s->i + 1];
    if (strchr("\"\\/bfnrt", c) != NULL && c != '\0') {
      s->i += 2;
      continue;
    }
    if (c != 'u') {
      return fail(s, MTS_IJSON_SYNTAX, s->i, "an invalid escape");
    }
    {
      long u = hex4(s, s->i + 2);
      if (u < 0) {
        return fail(s, MTS_IJSON_SYNTAX, s->i, "an invalid \\u escape");
      }
      if (u >= 0xdc00 && u <= 0xdfff) {
        return fail(s, MTS_IJSON_SURROGATE, s->i,
                    "a lone low surrogate escape");
      }
      if (u >= 0xd800 && u <= 0xdbff) {
        long lo;
        if (s->n - s->i < 12 || s->p[s->i + 6] != '\\' ||
            s->p[s->i + 7] != 'u' || (lo = hex4(s, s->i + 8)) < 0xdc00 ||
            lo > 0xdfff) {
          return fail(s, MTS_IJSON_SURROGATE, s->i,
                      "a lone high surrogate escape");
        }
        s->i += 12;
      } else {
        s->i += 6;
      }
    }
  }
  return fail(s, MTS_IJSON_SYNTAX, start, "an unterminated string");
}

static int
is_digit(unsigned char c)
{
  return c >= '0' && c <= '9';
}

/* A number; s->i is on '-' or a digit. */
static enum mts_ijson_err
number(struct scan *s)
{
  size_t start = s->i;
  size_t int_start, int_len;
  int is_int = 1;

  if (s->p[s->i] == '-') {
    s->i++;
  }
  int_start = s->i;
  if (s->i >= s->n || !is_digit(s->p[s->i])) {
    return fail(s, MTS_IJSON_SYNTAX, start, "an invalid number");
  }
  if (s->p[s->i] == '0') {
    s->i++;
  } else {
    while (s->i < s->n && is_digit(s->p[s->i])) {
      s->i++;
    }
  }
  int_len = s->i - int_start;
  if (s->i < s->n && s->p[s->i] == '.') {
    is_int = 0;
    s->i++;
    if (s->i >= s->n || !is_digit(s->p[s->i])) {
      return fail(s, MTS_IJSON_SYNTAX, start, "an invalid number");
    }
    while (s->i < s->n && is_digit(s->p[s->i])) {
      s->i++;
    }
  }
  if (s->i < s->n && (s->p[s->i] == 'e' || s->p[s->i] == 'E')) {
    is_int = 0;
    s->i++;
    if (s->i < s->n && (s->p[s->i] == '+' || s->p[s->i] == '-')) {
      s->i++;
    }
    if (s->i >= s->n || !is_digit(s->p[s->i])) {
      return fail(s, MTS_IJSON_SYNTAX, start, "an invalid number");
    }
    while (s->i < s->n && is_digit(s->p[s->i])) {
      s->i++;
    }
  }
  if (s->i - start > MAX_NUMBER_LEN) {
    return fail(s, MTS_IJSON_NUMBER, start, "an absurdly long number");
  }
  if (is_int) {
    /* 2^53 = 9007199254740992: exact beyond it is not guaranteed. */
    static const char max[] = "9007199254740992";
    if (int_len > sizeof(max) - 1 ||
        (int_len == sizeof(max) - 1 &&
         memcmp(s->p + int_start, max, int_len) > 0)) {
      return fail(s, MTS_IJSON_NUMBER, start, "an integer beyond 2^53");
    }
  } else {
    char buf[MAX_NUMBER_LEN + 1];
    double d;
    memcpy(buf, s->p + start, s->i - start);
    buf[s->i - start] = '\0';
    errno = 0;
    d = strtod(buf, NULL);
    if (isinf(d) || (errno == ERANGE && fabs(d) > 1.0)) {
      return fail(s, MTS_IJSON_NUMBER, start,
                  "a number beyond the range of a double");
    }
  }
  return MTS_IJSON_OK;
}

static enum mts_ijson_err
literal(struct scan *s)
{
  static const char *const words[] = {"true", "false", "null"};

  for (size_t k = 0; k < 3; k++) {
    size_t len = strlen(words[k]);
    if (s->n - s->i >= len && memcmp(s->p + s->i, words[k], len) == 0) {
      s->i += len;
      return MTS_IJSON_OK;
    }
  }
  return fail(s, MTS_IJSON_SYNTAX, s->i, "an unexpected character");
}

enum mts_ijson_err
mts_ijson_check(const char *p, size_t n, unsigned max_depth, size_t max_values,
                struct mts_ijson_res *res)
{
  struct scan s = {(const unsigned char *)p, n, 0, res};
  char stack[MAX_DEPTH_CAP]; /* 'o' or 'a' */
  unsigned depth = 0;
  size_t values = 0;
  enum state st = S_VALUE;
  enum mts_ijson_err e;

  res->err = MTS_IJSON_OK;
  res->offset = 0;
  res->why = NULL;
  if (max_depth > MAX_DEPTH_CAP) {
    max_depth = MAX_DEPTH_CAP;
  }
  for (;;) {
    unsigned char c;

    skip_ws(&s);
    if (s.i >= s.n) {
      if (st == S_AFTER && depth == 0) {
        return MTS_IJSON_OK;
      }
      return fail(&s, MTS_IJSON_SYNTAX, s.i,
                  s.n == 0 ? N_("an empty document") : N_("an unexpected end"));
    }
    c = s.p[s.i];
    switch (st) {
      case S_VALUE_OR_END:
        if (c == ']') {
          s.i++;
          depth--;
          st = S_AFTER;
          break;
        }
        /* fall through */
      case S_VALUE:
        if (++values > max_values) {
          return fail(&s, MTS_IJSON_TOO_MANY, s.i, "too many values");
        }
        if (c == '{' || c == '[') {
          if (depth >= max_depth) {
            return fail(&s, MTS_IJSON_DEPTH, s.i, "nesting too deep");
          }
          stack[depth++] = c == '{' ? 'o' : 'a';
          s.i++;
          st = c == '{' ? S_KEY_OR_END : S_VALUE_OR_END;
          break;
        }
        if (c == '"') {
          e = string(&s);
        } else if (c == '-' || is_digit(c)) {
          e = number(&s);
        } else if (c >= 0x80) {
          e = utf8_seq(&s);
          if (e == MTS_IJSON_OK) {
            e = fail(&s, MTS_IJSON_SYNTAX, s.i, "an unexpected character");
          }
        } else {
          e = literal(&s);
        }
        if (e != MTS_IJSON_OK) {
          return e;
        }
        st = S_AFTER;
        break;
      case S_KEY_OR_END:
        if (c == '}') {
          s.i++;
          depth--;
          st = S_AFTER;
          break;
        }
        /* fall through */
      case S_KEY:
        if (c != '"') {
          return fail(&s, MTS_IJSON_SYNTAX, s.i, "a member name was expected");
        }
        e = string(&s);
        if (e != MTS_IJSON_OK) {
          return e;
        }
        st = S_COLON;
        break;
      case S_COLON:
        if (c != ':') {
          return fail(&s, MTS_IJSON_SYNTAX, s.i, "':' was expected");
        }
        s.i++;
        st = S_VALUE;
        break;
      case S_AFTER:
        if (depth == 0) {
          return fail(&s, MTS_IJSON_SYNTAX, s.i, "data after the JSON value");
        }
        if (c == ',') {
          s.i++;
          st = stack[depth - 1] == 'o' ? S_KEY : S_VALUE;
        } else if ((c == '}' && stack[depth - 1] == 'o') ||
                   (c == ']' && stack[depth - 1] == 'a')) {
          s.i++;
          depth--;
        } else {
          return fail(&s, MTS_IJSON_SYNTAX, s.i,
                      "',' or a closing bracket "
                      "was expected");
        }
        break;
    }
  }
}

static int
cmp_names(const void *a, const void *b)
{
  const char *x = *(const char *const *)a;
  const char *y = *(const char *const *)b;
  return strcmp(x ? x : "", y ? y : "");
}

const char *
mts_ijson_duplicate(const struct cJSON *root, int *nomem)
{
  const cJSON *child;
  const char *dup = NULL;

  *nomem = 0;
  if (root == NULL || !(cJSON_IsObject(root) || cJSON_IsArray(root))) {
    return NULL;
  }
  if (cJSON_IsObject(root)) {
    size_t n = 0, k = 0;
    const char **names;
    for (child = root->child; child != NULL; child = child->next) {
      n++;
    }
    if (n > 1) {
      names = malloc(n * sizeof(*names));
      if (names == NULL) {
        *nomem = 1;
        return NULL;
      }
      for (child = root->child; child != NULL; child = child->next) {
        names[k++] = child->string;
      }
      qsort(names, n, sizeof(*names), cmp_names);
      for (k = 1; k < n && dup == NULL; k++) {
        if (cmp_names(&names[k - 1], &names[k]) == 0) {
          dup = names[k];
        }
      }
      free(names);
      if (dup != NULL) {
        return dup;
      }
    }
  }
  /* Recursion depth is the tree's depth, bounded by mts_ijson_check. */
  for (child = root->child; child != NULL && dup == NULL; child = child->next) {
    dup = mts_ijson_duplicate(child, nomem);
    if (*nomem) {
      return NULL;
    }
  }
  return dup;
}
