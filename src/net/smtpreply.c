#include "smtpreply.h"

#include "mtasts/i18n.h"

#include <string.h>

void
mts_smtp_reply_reset(struct mts_smtp_reply *r)
{
  memset(r, 0, sizeof(*r));
}

static int
is_digit(char c)
{
  return c >= '0' && c <= '9';
}

/* RFC 3207 §4: the EHLO keyword, case-insensitive, alone or followed by
 * parameters (RFC 5321 §4.1.1.1: ehlo-line = ehlo-keyword *( SP
 * ehlo-param )). */
static int
is_starttls(const char *p, size_t n)
{
  static const char kw[] = "STARTTLS";
  size_t k = sizeof(kw) - 1;

  if (n < k) {
    return 0;
  }
  for (size_t i = 0; i < k; i++) {
    char c = p[i];
    if (c >= 'a' && c <= 'z') {
      c = (char)(c - 'a' + 'A');
    }
    if (c != kw[i]) {
      return 0;
    }
  }
  return n == k || p[k] == ' ';
}

/* One line without its line end. \return 1 if it ends the reply, 0 if more
 * lines follow, -1 on a syntax error. */
static int
take_line(struct mts_smtp_reply *r, const char *p, size_t n)
{
  int code;

  /* RFC 5321 §4.2: Reply-line = *( Reply-code "-" [ textstring ] CRLF )
   *                Reply-code [ SP textstring ] CRLF */
  if (n < 3 || !is_digit(p[0]) || !is_digit(p[1]) || !is_digit(p[2]) ||
      p[0] < '1' || p[0] > '5') {
    return -1;
  }
  if (n > 3 && p[3] != ' ' && p[3] != '-') {
    return -1;
  }
  code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
  if (r->n_lines == 0) {
    r->code = code;
    r->first_len = n;
    memcpy(r->first, p, n);
    r->first[n] = '\0';
    /* A NUL would cut the text for the writers: show it as SUB. */
    for (size_t i = 0; i < n; i++) {
      if (r->first[i] == '\0') {
        r->first[i] = '\x1a';
      }
    }
  } else {
    if (code != r->code) {
      return -1;
    }
    if (n > 4 && is_starttls(p + 4, n - 4)) {
      r->starttls = 1;
    }
  }
  r->n_lines++;
  return n == 3 || p[3] == ' ';
}

enum mts_smtp_rd
mts_smtp_reply_feed(struct mts_smtp_reply *r, const char *buf, size_t len,
                    size_t *used)
{
  size_t off = 0;

  for (;;) {
    const char *line = buf + off;
    size_t avail = len - off;
    size_t scan = avail < MTS_SMTP_LINE_MAX ? avail : MTS_SMTP_LINE_MAX;
    const char *nl = memchr(line, '\n', scan);
    size_t n, total;
    int end;

    if (nl == NULL) {
      *used = off;
      return avail >= MTS_SMTP_LINE_MAX ? MTS_SMTP_RD_LONG_LINE
                                        : MTS_SMTP_RD_MORE;
    }
    total = (size_t)(nl - line) + 1;
    n = total - 1;
    if (n > 0 && line[n - 1] == '\r') {
      n--;
    }
    if (r->size + total > MTS_SMTP_REPLY_MAX) {
      *used = off;
      return MTS_SMTP_RD_TOO_LARGE;
    }
    r->size += total;
    end = take_line(r, line, n);
    off += total;
    if (end < 0) {
      *used = off;
      return MTS_SMTP_RD_SYNTAX;
    }
    if (end == 1) {
      *used = off;
      return MTS_SMTP_RD_DONE;
    }
  }
}

const char *
mts_smtp_rd_str(enum mts_smtp_rd rd)
{
  switch (rd) {
    case MTS_SMTP_RD_MORE:
      return N_("an incomplete reply");
    case MTS_SMTP_RD_DONE:
      return N_("a complete reply");
    case MTS_SMTP_RD_LONG_LINE:
      return N_("a reply line over 512 octets");
    case MTS_SMTP_RD_TOO_LARGE:
      return N_("a reply over 64 KiB");
    case MTS_SMTP_RD_SYNTAX:
      return N_("a malformed reply");
  }
  return N_("a malformed reply");
}
