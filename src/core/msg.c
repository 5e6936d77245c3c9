#include "mtasts/msg.h"

#include <stdio.h>
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

void
mts_vformat2(char *en, char *loc, size_t size, const char *fmt, va_list ap)
{
  const char *tr = fmt[0] != '\0' ? _(fmt) : fmt;
  va_list ap2;

  va_copy(ap2, ap);
  (void)vsnprintf(en, size, fmt, ap2);
  va_end(ap2);
  (void)vsnprintf(loc, size, tr, ap);
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
