#include "mtasts/msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts/i18n.h"

const char *
mts_show(struct mts_shown *b, const char *p, size_t n)
{
  size_t o = 0;
  size_t lim = n > MTS_SHOW_MAX ? MTS_SHOW_MAX - 3 : n;

  for (size_t i = 0; i < lim; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c == '"' || c == '\\') {
      b->s[o++] = '\\';
      b->s[o++] = (char)c;
    } else if (c == '\t') {
      memcpy(b->s + o, "\\t", 2);
      o += 2;
    } else if (c == '\r') {
      memcpy(b->s + o, "\\r", 2);
      o += 2;
    } else if (c == '\n') {
      memcpy(b->s + o, "\\n", 2);
      o += 2;
    } else if (c < 0x20 || c > 0x7e) {
      static const char hex[] = "0123456789abcdef";
      b->s[o++] = '\\';
      b->s[o++] = 'x';
      b->s[o++] = hex[c >> 4];
      b->s[o++] = hex[c & 0xf];
    } else {
      b->s[o++] = (char)c;
    }
  }
  if (lim < n) {
    memcpy(b->s + o, "...", 3);
    o += 3;
  }
  b->s[o] = '\0';
  return b->s;
}

const char *
mts_describe_byte(char *buf, size_t size, char ch)
{
  unsigned char c = (unsigned char)ch;

  if (c == ' ') {
    (void)snprintf(buf, size, "a space");
  } else if (c == '\t') {
    (void)snprintf(buf, size, "a tab");
  } else if (c == '\0') {
    (void)snprintf(buf, size, "a NUL byte (0x00)");
  } else if (c == '\r') {
    (void)snprintf(buf, size, "a carriage return (0x0d)");
  } else if (c == '\n') {
    (void)snprintf(buf, size, "a line feed (0x0a)");
  } else if (c < 0x20 || c == 0x7f) {
    (void)snprintf(buf, size, "the control character 0x%02x", (unsigned)c);
  } else if (c > 0x7f) {
    (void)snprintf(buf, size, "the non-ASCII byte 0x%02x", (unsigned)c);
  } else {
    (void)snprintf(buf, size, "'%c'", (char)c);
  }
  return buf;
}

void
mts_sentence(char *msg, size_t size)
{
  size_t len = strlen(msg);

  if (msg[0] >= 'a' && msg[0] <= 'z') {
    msg[0] = (char)(msg[0] - 'a' + 'A');
  }
  if (len >= 3 && memcmp(msg + len - 3, "\xe3\x80\x82", 3) == 0) {
    return; /* U+3002 IDEOGRAPHIC FULL STOP */
  }
  if (len > 0 && len + 1 < size && msg[len - 1] != '.') {
    msg[len] = '.';
    msg[len + 1] = '\0';
  }
}

/* A translated format is not a literal: msgfmt --check-format (lint.i18n)
 * checks that it takes the same arguments as the English one. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void
vformat2_tr(char *en, char *loc, size_t size, const char *fmt, const char *tr,
            int translated, va_list ap)
{
  va_list ap2;

  va_copy(ap2, ap);
  (void)vsnprintf(en, size, fmt, ap2);
  va_end(ap2);
  (void)vsnprintf(loc, size, tr, ap);
  mts_frag_resolve(en, 0);
  /* An untranslated sentence keeps English fragments too. */
  mts_frag_resolve(loc, translated);
}

void
mts_vformat2(char *en, char *loc, size_t size, const char *fmt, va_list ap)
{
  const char *tr = fmt[0] != '\0' ? _(fmt) : fmt;

  vformat2_tr(en, loc, size, fmt, tr, tr != fmt, ap);
}

void
mts_vformat2n(char *en, char *loc, size_t size, const char *one,
              const char *many, unsigned long n, va_list ap)
{
  /* The English form by English's rule; the locale's by its catalogue's
   * Plural-Forms (dngettext gives back one or many when untranslated). */
  const char *fmt = n == 1 ? one : many;
  const char *tr = P_(one, many, n);

  vformat2_tr(en, loc, size, fmt, tr, tr != one && tr != many, ap);
}
#pragma GCC diagnostic pop

#define FRAG_OPEN '\x0e'
#define FRAG_SEP '\x1f'
#define FRAG_CLOSE '\x0f'
#define FRAG_DEPTH 8

/* A translated format is not a literal: msgfmt --check-format (lint.i18n)
 * checks that it takes the same arguments as the English one. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
const char *
mts_frag(char *buf, size_t size, const char *fmt, ...)
{
  const char *tr = _(fmt);
  char en[1024], loc[1024];
  va_list ap;

  va_start(ap, fmt);
  (void)vsnprintf(en, sizeof(en), fmt, ap);
  va_end(ap);
  if (tr == fmt) {
    (void)snprintf(buf, size, "%s", en);
    return buf;
  }
  va_start(ap, fmt);
  (void)vsnprintf(loc, sizeof(loc), tr, ap);
  va_end(ap);
  return mts_frag_pair(buf, size, en, loc);
}
#pragma GCC diagnostic pop

const char *
mts_frag_pair(char *buf, size_t size, const char *en, const char *loc)
{
  int n;

  if (loc == NULL || strcmp(loc, en) == 0) {
    (void)snprintf(buf, size, "%s", en);
    return buf;
  }
  n = snprintf(buf, size, "%c%s%c%s%c", FRAG_OPEN, en, FRAG_SEP, loc,
               FRAG_CLOSE);
  if (n < 0 || (size_t)n >= size) {
    (void)snprintf(buf, size, "%s", en);
  }
  return buf;
}

const char *
mts_frag_str(char *buf, size_t size, const char *msgid)
{
  /* _("") is the catalogue's header, not a translation. */
  return mts_frag_pair(buf, size, msgid, msgid[0] != '\0' ? _(msgid) : NULL);
}

/* Copy s[0..n) to out (room for n + 1), choosing one side of each
 * fragment; returns the bytes written. A fragment without its end, or
 * nested deeper than FRAG_DEPTH, is copied as text minus the markers. */
static size_t
frag_copy(const char *s, size_t n, int loc, char *out, int depth)
{
  size_t o = 0;

  for (size_t i = 0; i < n; i++) {
    size_t sep = 0, end = 0;
    int d = 0;

    if (s[i] != FRAG_OPEN || depth >= FRAG_DEPTH) {
      if (s[i] != FRAG_OPEN && s[i] != FRAG_SEP && s[i] != FRAG_CLOSE) {
        out[o++] = s[i];
      }
      continue;
    }
    for (size_t j = i + 1; j < n && end == 0; j++) {
      if (s[j] == FRAG_OPEN) {
        d++;
      } else if (s[j] == FRAG_CLOSE) {
        if (d == 0) {
          end = j;
        } else {
          d--;
        }
      } else if (s[j] == FRAG_SEP && d == 0 && sep == 0) {
        sep = j;
      }
    }
    if (end == 0 || sep == 0) {
      continue; /* a lone marker: dropped */
    }
    if (loc) {
      o += frag_copy(s + sep + 1, end - sep - 1, loc, out + o, depth + 1);
    } else {
      o += frag_copy(s + i + 1, sep - i - 1, loc, out + o, depth + 1);
    }
    i = end;
  }
  return o;
}

void
mts_frag_resolve(char *s, int loc)
{
  size_t n = strlen(s), o;
  char *out;

  if (strchr(s, FRAG_OPEN) == NULL && strchr(s, FRAG_SEP) == NULL &&
      strchr(s, FRAG_CLOSE) == NULL) {
    return;
  }
  out = malloc(n + 1);
  if (out == NULL) {
    return; /* left as it is: markers are harmless control bytes */
  }
  o = frag_copy(s, n, loc, out, 0);
  memcpy(s, out, o);
  s[o] = '\0';
  free(out);
}

const char *
mts_describe_byte2(char *buf, size_t size, char ch)
{
  unsigned char c = (unsigned char)ch;

  if (c == ' ') {
    return mts_frag(buf, size, N_("a space"));
  }
  if (c == '\t') {
    return mts_frag(buf, size, N_("a tab"));
  }
  if (c == '\0') {
    return mts_frag(buf, size, N_("a NUL byte (0x00)"));
  }
  if (c == '\r') {
    return mts_frag(buf, size, N_("a carriage return (0x0d)"));
  }
  if (c == '\n') {
    return mts_frag(buf, size, N_("a line feed (0x0a)"));
  }
  if (c < 0x20 || c == 0x7f) {
    return mts_frag(buf, size, N_("the control character 0x%02x"), (unsigned)c);
  }
  if (c > 0x7f) {
    return mts_frag(buf, size, N_("the non-ASCII byte 0x%02x"), (unsigned)c);
  }
  return mts_describe_byte(buf, size, ch);
}

void
mts_sentence2(char *en, char *loc, size_t size)
{
  int translated = strcmp(en, loc) != 0;

  mts_sentence(en, size);
  if (!translated) {
    mts_sentence(loc, size);
  }
}
