/* Finds TLS-RPT aggregate reports in files, mail messages, Maildirs and
 * mboxes (rptsrc.h, docs/reports.md "Inputs"). GMime and GLib stay inside
 * this file. Every read is bounded: a file or a message by max_input, a
 * decoded report part by max_report. */
#include "mtasts/i18n.h"
#include "mtasts/tlsrpt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "gunzip.h"
#include "mtasts/msg.h"

/* Bytes looked at to tell what a file is. */
#define SNIFF_LEN 512
/* Read in chunks of this many bytes. */
#define CHUNK ((size_t)65536)

struct walk {
  const struct mts_rpt_limits *lim;
  mts_rpt_cb cb;
  void *arg;
};

/* Where a message came from, to name it (rptsrc.h: source). */
struct origin {
  const char *path;  /* the file */
  const char *label; /* "-" for stdin, else path */
  unsigned long nth; /* the message's number in an mbox, 0 otherwise */
};

enum kind {
  KIND_GZIP,
  KIND_JSON,
  KIND_MBOX,
  KIND_MAIL,
  KIND_RAW,
};

/* ---- small string helpers ------------------------------------------- */

static int
ends_with_ci(const char *s, const char *suffix)
{
  size_t n = strlen(s);
  size_t m = strlen(suffix);

  return n >= m && g_ascii_strcasecmp(s + n - m, suffix) == 0;
}

static int
ldh_domain(const char *s, size_t n)
{
  size_t label = 0;

  if (n == 0 || n > 253) {
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '.') {
      if (label == 0 || s[i - 1] == '-') {
        return 0;
      }
      label = 0;
    } else if (g_ascii_isalnum(c) || (c == '-' && label > 0)) {
      if (++label > 63) {
        return 0;
      }
    } else {
      return 0;
    }
  }
  return label > 0 && s[n - 1] != '-';
}

/* \return a malloc'ed copy of \p s without leading and trailing
 * whitespace, or NULL when \p s is NULL or blank (or on ENOMEM: *oom). */
static char *
trimmed(const char *s, int *oom)
{
  size_t n;
  char *p;

  if (s == NULL) {
    return NULL;
  }
  while (g_ascii_isspace(*s)) {
    s++;
  }
  n = strlen(s);
  while (n > 0 && g_ascii_isspace(s[n - 1])) {
    n--;
  }
  if (n == 0) {
    return NULL;
  }
  p = malloc(n + 1);
  if (p == NULL) {
    *oom = 1;
    return NULL;
  }
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

static enum mts_err
findings_copy(struct mts_findings *dst, const struct mts_findings *src)
{
  for (size_t i = 0; i < src->n; i++) {
    const struct mts_finding *f = &src->v[i];
    enum mts_err err =
        mts_findings_add_text(dst, f->code, f->severity, f->subject,
                              f->subject_len, f->message, f->text);
    if (err != MTS_OK) {
      return err;
    }
  }
  return MTS_OK;
}

/* ---- callbacks ------------------------------------------------------ */

static enum mts_err
emit(struct walk *w, struct mts_rpt_part *part)
{
  enum mts_err err = w->cb(w->arg, part);

  mts_findings_release(&part->envelope);
  return err;
}

/* One callback for an input that holds no report: \p code says why. */
static enum mts_err emit_unreadable(struct walk *w, const char *source,
                                    const char *path, int from_mail,
                                    enum mts_code code, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static enum mts_err
emit_unreadable(struct walk *w, const char *source, const char *path,
                int from_mail, enum mts_code code, const char *fmt, ...)
{
  struct mts_rpt_part part;
  char msg[512], loc[512];
  va_list ap;

  memset(&part, 0, sizeof(part));
  part.source = source;
  part.path = path;
  part.unreadable = 1;
  part.from_mail = from_mail;
  va_start(ap, fmt);
  mts_vformat2(msg, loc, sizeof(msg), fmt, ap);
  va_end(ap);
  mts_sentence2(msg, loc, sizeof(msg));
  if (mts_findings_add_text(&part.envelope, code, mts_code_severity(code), path,
                            strlen(path), msg, loc) != MTS_OK) {
    return MTS_ENOMEM;
  }
  return emit(w, &part);
}

static enum mts_err
emit_os_error(struct walk *w, const char *path, int errnum)
{
  char why[128];

  return emit_unreadable(w, path, path, 0, MTS_F_REPORT_READ_FAILED,
                         "cannot read %s: %s", path,
                         mts_errno_str(why, sizeof(why), errnum));
}

/* ---- reading -------------------------------------------------------- */

/* Read \p fd to its end or to \p max bytes, whichever comes first.
 * \param[out] over 1 when there was more than \p max bytes (not read)
 * \return 0, or an errno value (ENOMEM too). */
static int
read_bounded(int fd, size_t max, size_t hint, unsigned char **out,
             size_t *outlen, int *over)
{
  unsigned char *buf = NULL;
  size_t len = 0;
  size_t cap = hint < CHUNK ? CHUNK : hint;
  int rc = 0;

  *over = 0;
  if (cap > max) {
    cap = max;
  }
  buf = malloc(cap + 1);
  if (buf == NULL) {
    rc = ENOMEM;
    goto done;
  }
  for (;;) {
    ssize_t n;
    if (len == cap) {
      unsigned char probe;
      unsigned char *nbuf;
      size_t ncap;
      if (len == max) {
        /* At the cap: one more byte says the input is larger. */
        do {
          n = read(fd, &probe, 1);
        } while (n < 0 && errno == EINTR);
        if (n < 0) {
          rc = errno;
          goto done;
        }
        *over = n > 0;
        break;
      }
      ncap = cap > max / 2 ? max : cap * 2;
      nbuf = realloc(buf, ncap + 1);
      if (nbuf == NULL) {
        rc = ENOMEM;
        goto done;
      }
      buf = nbuf;
      cap = ncap;
    }
    n = read(fd, buf + len, cap - len);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      rc = errno;
      goto done;
    }
    if (n == 0) {
      break;
    }
    len += (size_t)n;
  }
  buf[len] = '\0';

done:
  if (rc != 0) {
    free(buf);
    return rc;
  }
  *out = buf;
  *outlen = len;
  return 0;
}

/* The first line looks like an RFC 5322 header field: ftext ":". */
static int
looks_like_header(const unsigned char *p, size_t n)
{
  size_t i = 0;

  while (i < n && p[i] >= 33 && p[i] <= 126 && p[i] != ':') {
    i++;
  }
  if (i == 0) {
    return 0;
  }
  while (i < n && (p[i] == ' ' || p[i] == '\t')) {
    i++;
  }
  return i < n && p[i] == ':';
}

static enum kind
sniff(const unsigned char *p, size_t n)
{
  size_t i = 0;

  if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
    return KIND_GZIP;
  }
  if (n >= 5 && memcmp(p, "From ", 5) == 0) {
    return KIND_MBOX;
  }
  if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
    i = 3;
  }
  while (i < n &&
         (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) {
    i++;
  }
  if (i < n && (p[i] == '{' || p[i] == '[')) {
    return KIND_JSON;
  }
  if (looks_like_header(p, n)) {
    return KIND_MAIL;
  }
  return KIND_RAW;
}

/* ---- mail: envelope checks ------------------------------------------ */

/* RFC 8460 §5.1: sender "!" policy-domain "!" begin "!" end ["!" id]
 * "." ("json" / "json.gz"), timestamps in epoch seconds, begin < end.
 * \return NULL when \p name conforms, else why not (static text). */
static const char *
filename_problem(const char *name)
{
  const char *field[6];
  size_t flen[6];
  size_t nf = 0;
  size_t n = strlen(name);
  const char *p = name;
  unsigned long long begin = 0;
  unsigned long long end = 0;

  if (ends_with_ci(name, ".json.gz")) {
    n -= 8;
  } else if (ends_with_ci(name, ".json")) {
    n -= 5;
  } else {
    return "the extension is not .json or .json.gz";
  }
  for (;;) {
    const char *bang = memchr(p, '!', (size_t)(name + n - p));
    size_t len = bang ? (size_t)(bang - p) : (size_t)(name + n - p);
    if (nf == 6) {
      return "it has more than five '!'-separated fields";
    }
    field[nf] = p;
    flen[nf++] = len;
    if (bang == NULL) {
      break;
    }
    p = bang + 1;
  }
  if (nf < 4 || nf > 5) {
    return "it does not have the four or five '!'-separated fields "
           "sender!policy-domain!begin!end[!unique-id]";
  }
  if (!ldh_domain(field[0], flen[0])) {
    return "the sender is not a domain name in A-label form";
  }
  if (!ldh_domain(field[1], flen[1])) {
    return "the policy domain is not a domain name in A-label form";
  }
  for (int k = 2; k <= 3; k++) {
    unsigned long long v = 0;
    if (flen[k] == 0 || flen[k] > 19) {
      return "a timestamp is not seconds since the epoch";
    }
    for (size_t i = 0; i < flen[k]; i++) {
      if (!g_ascii_isdigit(field[k][i])) {
        return "a timestamp is not seconds since the epoch";
      }
      v = v * 10 + (unsigned long long)(field[k][i] - '0');
    }
    *(k == 2 ? &begin : &end) = v;
  }
  if (begin >= end) {
    return "the begin timestamp is not before the end timestamp";
  }
  if (nf == 5) {
    if (flen[4] == 0) {
      return "the unique-id is empty";
    }
    for (size_t i = 0; i < flen[4]; i++) {
      if (!g_ascii_isalnum(field[4][i])) {
        return "the unique-id holds characters other than letters and "
               "digits";
      }
    }
  }
  return NULL;
}

static const char *
skip_fws(const char *p)
{
  while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
    p++;
  }
  return p;
}

/* Match \p word then at least one FWS character. */
static const char *
match_word(const char *p, const char *word)
{
  size_t n = strlen(word);
  const char *q;

  if (p == NULL || strncmp(p, word, n) != 0) {
    return NULL;
  }
  q = skip_fws(p + n);
  return q == p + n ? NULL : q;
}

/* A domain-name then FWS (or the end when \p last). */
static const char *
match_domain(const char *p)
{
  size_t n = 0;
  const char *q;

  if (p == NULL) {
    return NULL;
  }
  while (p[n] != '\0' && p[n] != ' ' && p[n] != '\t' && p[n] != '\r' &&
         p[n] != '\n') {
    n++;
  }
  if (!ldh_domain(p, n)) {
    return NULL;
  }
  q = skip_fws(p + n);
  return q == p + n ? NULL : q;
}

/* RFC 8460 §5.3 tlsrpt-subject:
 *   %s"Report" FWS %s"Domain:" FWS domain-name FWS %s"Submitter:" FWS
 *   domain-name FWS %s"Report-ID:" FWS msg-id */
static int
subject_ok(const char *s)
{
  const char *p = s;
  const char *at;
  const char *gt;

  p = match_word(p, "Report");
  p = match_word(p, "Domain:");
  p = match_domain(p);
  p = match_word(p, "Submitter:");
  p = match_domain(p);
  p = match_word(p, "Report-ID:");
  if (p == NULL || *p != '<') {
    return 0;
  }
  at = strchr(p, '@');
  gt = strchr(p, '>');
  if (at == NULL || gt == NULL || at == p + 1 || gt <= at + 1) {
    return 0;
  }
  for (const char *c = p + 1; c < gt; c++) {
    if (c != at && (*c == '<' || *c == '@' || *c == ' ' || *c == '\t' ||
                    (unsigned char)*c < 33 || (unsigned char)*c > 126)) {
      return 0;
    }
  }
  return *skip_fws(gt + 1) == '\0';
}

/* Read the tags of one DKIM-Signature value (RFC 6376 §3.2): d= into
 * \p d (whitespace removed, lowercase), and whether l= is there. */
static void
dkim_tags(const char *v, char *d, size_t dsize, int *has_l)
{
  const char *p = v;

  d[0] = '\0';
  *has_l = 0;
  while (*p != '\0') {
    const char *semi = strchr(p, ';');
    const char *end = semi ? semi : p + strlen(p);
    const char *eq;
    const char *name = skip_fws(p);
    size_t nlen = 0;

    while (name + nlen < end &&
           (g_ascii_isalnum(name[nlen]) || name[nlen] == '_')) {
      nlen++;
    }
    eq = skip_fws(name + nlen);
    if (eq < end && *eq == '=') {
      if (nlen == 1 && name[0] == 'l') {
        *has_l = 1;
      } else if (nlen == 1 && name[0] == 'd') {
        size_t k = 0;
        for (const char *c = eq + 1; c < end && k + 1 < dsize; c++) {
          if (!g_ascii_isspace(*c)) {
            d[k++] = g_ascii_tolower(*c);
          }
        }
        d[k] = '\0';
      }
    }
    p = semi ? semi + 1 : end;
  }
}

/* \p d equals \p submitter or is a parent of it (a single label never
 * counts: there is no public suffix list offline). */
static int
dkim_domain_fits(const char *d, const char *submitter)
{
  size_t dn = strlen(d);
  size_t sn = strlen(submitter);

  if (dn == 0 || strchr(d, '.') == NULL) {
    return 0;
  }
  if (dn == sn) {
    return g_ascii_strcasecmp(d, submitter) == 0;
  }
  return sn > dn && submitter[sn - dn - 1] == '.' &&
         g_ascii_strcasecmp(submitter + sn - dn, d) == 0;
}

/* Findings about the whole message (R159, R160, R161), shared by all of
 * its report parts. */
static enum mts_err
check_message(GMimeMessage *m, const char *submitter, struct mts_findings *env)
{
  GMimeObject *top = g_mime_message_get_mime_part(m);
  GMimeObject *obj = GMIME_OBJECT(m);
  GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
  const char *subject = g_mime_message_get_subject(m);
  char missing[256] = "";
  char dkim_d[256];
  int dkim_any = 0;
  int dkim_fit = 0;
  int dkim_l = 0;
  int count;
  enum mts_err err = MTS_OK;
  struct mts_shown sh;

  /* RFC 8460 §5.3: multipart/report; report-type="tlsrpt" and the two
   * TLS-Report-* headers. */
  if (top == NULL ||
      !g_mime_content_type_is_type(g_mime_object_get_content_type(top),
                                   "multipart", "report")) {
    g_strlcat(missing, ", multipart/report as the top-level type",
              sizeof(missing));
  } else {
    const char *rt =
        g_mime_object_get_content_type_parameter(top, "report-type");
    if (rt == NULL || g_ascii_strcasecmp(rt, "tlsrpt") != 0) {
      g_strlcat(missing, ", report-type=\"tlsrpt\"", sizeof(missing));
    }
  }
  {
    char *dom = NULL;
    int oom = 0;
    dom = trimmed(g_mime_object_get_header(obj, "TLS-Report-Domain"), &oom);
    if (oom) {
      err = MTS_ENOMEM;
      goto done;
    }
    if (dom == NULL) {
      g_strlcat(missing, ", the TLS-Report-Domain header", sizeof(missing));
    }
    free(dom);
  }
  if (submitter == NULL) {
    g_strlcat(missing, ", the TLS-Report-Submitter header", sizeof(missing));
  }
  if (missing[0] != '\0') {
    err = mts_findings_add(env, MTS_F_REPORT_EMAIL_HEADERS_MISSING, NULL, 0,
                           "The report mail lacks %s.", missing + 2);
    if (err != MTS_OK) {
      goto done;
    }
  }

  /* RFC 8460 §5.3 SHOULD: the tlsrpt-subject form. */
  if (subject == NULL) {
    err = mts_findings_add(env, MTS_F_REPORT_SUBJECT_FORMAT, NULL, 0,
                           "The report mail has no Subject.");
  } else if (!subject_ok(subject)) {
    err = mts_findings_add(
        env, MTS_F_REPORT_SUBJECT_FORMAT, subject, strlen(subject),
        "The subject \"%s\" is not \"Report Domain: <domain> Submitter: "
        "<domain> Report-ID: <id>\".",
        mts_show(&sh, subject, strlen(subject)));
  }
  if (err != MTS_OK) {
    goto done;
  }

  /* RFC 8460 §3: a DKIM signature of the reporting domain, without l=.
   * Only the presence and the tags are checked: verifying needs the
   * signer's key from the DNS. */
  count = g_mime_header_list_get_count(hl);
  for (int i = 0; i < count; i++) {
    GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
    const char *raw;
    int has_l;
    if (g_ascii_strcasecmp(g_mime_header_get_name(h), "DKIM-Signature") != 0) {
      continue;
    }
    raw = g_mime_header_get_raw_value(h);
    if (raw == NULL) {
      raw = g_mime_header_get_value(h);
    }
    if (raw == NULL) {
      continue;
    }
    dkim_any = 1;
    dkim_tags(raw, dkim_d, sizeof(dkim_d), &has_l);
    dkim_l |= has_l;
    if (submitter == NULL || dkim_domain_fits(dkim_d, submitter)) {
      dkim_fit = 1;
    }
  }
  if (!dkim_fit) {
    if (!dkim_any) {
      err = mts_findings_add(env, MTS_F_REPORT_DKIM_MISSING, NULL, 0,
                             "The report mail has no DKIM-Signature.");
    } else {
      err = mts_findings_add(
          env, MTS_F_REPORT_DKIM_MISSING, submitter, strlen(submitter),
          "No DKIM-Signature of the report mail has d= equal to the "
          "submitter %s or a parent domain of it.",
          mts_show(&sh, submitter, strlen(submitter)));
    }
    if (err != MTS_OK) {
      goto done;
    }
  }
  if (dkim_l) {
    err = mts_findings_add(env, MTS_F_REPORT_DKIM_LENGTH_TAG, NULL, 0,
                           "A DKIM-Signature of the report mail has an l= "
                           "tag.");
  }

done:
  return err;
}

/* ---- mail: parts ---------------------------------------------------- */

struct parts {
  GMimePart **v;
  size_t n;
  size_t cap;
  int oom;
};

static void
collect_part(GMimeObject *parent, GMimeObject *obj, gpointer data)
{
  struct parts *ps = data;

  (void)parent;
  if (!GMIME_IS_PART(obj) || ps->oom) {
    return;
  }
  if (ps->n == ps->cap) {
    size_t cap = ps->cap ? ps->cap * 2 : 8;
    GMimePart **v = realloc(ps->v, cap * sizeof(*v));
    if (v == NULL) {
      ps->oom = 1;
      return;
    }
    ps->v = v;
    ps->cap = cap;
  }
  ps->v[ps->n++] = GMIME_PART(obj);
}

enum report_media {
  MEDIA_NONE,
  MEDIA_GZIP,    /* application/tlsrpt+gzip */
  MEDIA_JSON,    /* application/tlsrpt+json */
  MEDIA_OTHER,   /* a near-miss type with a report's file name */
  MEDIA_CONTENT, /* a near-miss type whose content is a report */
};

/* Media types that real senders use for a report instead of
 * application/tlsrpt+gzip or +json (issue 11: Stalwart-like senders send
 * application/tlsrpt). A part of one of these is a report when its file
 * name says so, or else when its content does (sniff_report). */
static const char *const near_miss[][2] = {
    {"application", "tlsrpt"},       {"application", "gzip"},
    {"application", "x-gzip"},       {"application", "json"},
    {"application", "octet-stream"}, {"text", "plain"},
};

static int
is_near_miss(GMimePart *part)
{
  GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));

  for (size_t i = 0; ct != NULL && i < sizeof(near_miss) / sizeof(near_miss[0]);
       i++) {
    if (g_mime_content_type_is_type(ct, near_miss[i][0], near_miss[i][1])) {
      return 1;
    }
  }
  return 0;
}

static int
mem_has(const unsigned char *p, size_t n, const char *needle)
{
  size_t k = strlen(needle);

  for (size_t i = 0; k <= n && i <= n - k; i++) {
    if (p[i] == (unsigned char)needle[0] && memcmp(p + i, needle, k) == 0) {
      return 1;
    }
  }
  return 0;
}

/* How much of a part's (inflated) content is looked at. */
#define SNIFF_REPORT_LEN ((size_t)65536)

/* Is \p p[0..n) (the start of) a TLS-RPT report: a JSON object, after an
 * optional byte order mark and whitespace, naming "policies" and one more
 * of the report's members? Gzip data is inflated (its start only) first.
 * \return 0 no, 1 a JSON report, 2 a gzip-compressed one, -1 no memory. */
static int
sniff_report(const unsigned char *p, size_t n)
{
  static const char *const members[] = {
      "\"organization-name\"", "\"report-id\"", "\"date-range\"",
      "\"policy-type\"", "\"total-successful-session-count\""};
  unsigned char *head = NULL;
  size_t i = 0;
  int gz = mts_gz_magic(p, n), res = 0;

  if (gz) {
    head = malloc(SNIFF_REPORT_LEN);
    if (head == NULL) {
      return -1;
    }
    n = mts_gunzip_head(p, n, head, SNIFF_REPORT_LEN);
    p = head;
  } else if (n > SNIFF_REPORT_LEN) {
    n = SNIFF_REPORT_LEN;
  }
  if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
    i = 3;
  }
  while (i < n &&
         (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) {
    i++;
  }
  if (i < n && p[i] == '{' && mem_has(p + i, n - i, "\"policies\"")) {
    for (size_t k = 0; k < sizeof(members) / sizeof(members[0]); k++) {
      if (mem_has(p + i, n - i, members[k])) {
        res = gz ? 2 : 1;
        break;
      }
    }
  }
  free(head);
  return res;
}

static enum report_media
classify(GMimePart *part, const char *filename)
{
  GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));

  if (ct == NULL) {
    return MEDIA_NONE;
  }
  if (g_mime_content_type_is_type(ct, "application", "tlsrpt+gzip")) {
    return MEDIA_GZIP;
  }
  if (g_mime_content_type_is_type(ct, "application", "tlsrpt+json")) {
    return MEDIA_JSON;
  }
  /* A near-miss type counts with a report's file name; a DMARC report
   * (.xml.gz) or an archive (.tar.gz) does not. Without one, the caller
   * looks at the content (sniff_report). */
  if (filename == NULL ||
      !(ends_with_ci(filename, ".json") ||
        (ends_with_ci(filename, ".gz") && !ends_with_ci(filename, ".xml.gz") &&
         !ends_with_ci(filename, ".tar.gz")))) {
    return MEDIA_NONE;
  }
  return is_near_miss(part) ? MEDIA_OTHER : MEDIA_NONE;
}

/* Decode a part's content (base64, quoted-printable...) into memory, at
 * most \p max bytes. \return 0, ENOMEM, EFBIG (over \p max) or EIO. */
static int
decode_part(GMimePart *part, size_t max, unsigned char **out, size_t *outlen)
{
  GMimeDataWrapper *dw = g_mime_part_get_content(part);
  GMimeStream *src;
  GMimeStream *fs = NULL;
  GMimeContentEncoding enc;
  unsigned char *buf = NULL;
  size_t len = 0;
  size_t cap = 0;
  unsigned long idle = 0;
  int rc = 0;

  src = dw ? g_mime_data_wrapper_get_stream(dw) : NULL;
  if (src == NULL) {
    buf = malloc(1);
    if (buf == NULL) {
      return ENOMEM;
    }
    *out = buf;
    *outlen = 0;
    return 0;
  }
  enc = g_mime_data_wrapper_get_encoding(dw);
  g_mime_stream_reset(src);
  fs = g_mime_stream_filter_new(src);
  if (enc == GMIME_CONTENT_ENCODING_BASE64 ||
      enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
      enc == GMIME_CONTENT_ENCODING_UUENCODE) {
    GMimeFilter *f = g_mime_filter_basic_new(enc, FALSE);
    g_mime_stream_filter_add(GMIME_STREAM_FILTER(fs), f);
    g_object_unref(f);
  }
  for (;;) {
    ssize_t n;
    if (cap - len < CHUNK) {
      size_t ncap = cap + CHUNK * 4;
      unsigned char *nbuf;
      if (ncap > max + CHUNK * 4) {
        ncap = max + CHUNK * 4;
      }
      if (ncap <= cap) {
        rc = EFBIG;
        goto done;
      }
      nbuf = realloc(buf, ncap + 1);
      if (nbuf == NULL) {
        rc = ENOMEM;
        goto done;
      }
      buf = nbuf;
      cap = ncap;
    }
    n = g_mime_stream_read(fs, (char *)buf + len, cap - len);
    if (n < 0) {
      rc = EIO;
      goto done;
    }
    if (n == 0) {
      /* A filter may give nothing for a chunk of input (base64 of line
       * breaks only); the source always moves on, but never spin. */
      if (g_mime_stream_eos(fs)) {
        break;
      }
      if (++idle > 100000) {
        rc = EIO;
        goto done;
      }
      continue;
    }
    idle = 0;
    len += (size_t)n;
    if (len > max) {
      rc = EFBIG;
      goto done;
    }
  }
  if (buf == NULL) {
    buf = malloc(1);
    if (buf == NULL) {
      rc = ENOMEM;
      goto done;
    }
  }

done:
  g_object_unref(fs);
  if (rc != 0) {
    free(buf);
    return rc;
  }
  *out = buf;
  *outlen = len;
  return 0;
}

/* Findings about one report part of a mail (R138, R157, R158). */
static enum mts_err
check_part(enum report_media media, GMimePart *part, const char *filename,
           struct mts_findings *env)
{
  enum mts_err err = MTS_OK;
  struct mts_shown sh;
  const char *why;

  if (media == MEDIA_JSON) {
    /* RFC 8460 §5.2: compression SHOULD; info only (R158). */
    err = mts_findings_add_sev(env, MTS_F_REPORT_MEDIA_TYPE, MTS_SEV_INFO, NULL,
                               0,
                               "The report is sent uncompressed "
                               "(application/tlsrpt+json); gzip "
                               "(application/tlsrpt+gzip) is recommended.");
  } else if (media == MEDIA_OTHER || media == MEDIA_CONTENT) {
    char *type = g_mime_content_type_get_mime_type(
        g_mime_object_get_content_type(GMIME_OBJECT(part)));
    err = mts_findings_add(
        env, MTS_F_REPORT_MEDIA_TYPE, type, type ? strlen(type) : 0,
        "The report part is %s, not "
        "application/tlsrpt+gzip or "
        "application/tlsrpt+json; it was read because of "
        "its %s.",
        mts_show(&sh, type ? type : "?", type ? strlen(type) : 1),
        media == MEDIA_OTHER ? "file name" : "content");
    g_free(type);
  }
  if (err != MTS_OK) {
    return err;
  }
  if (filename == NULL) {
    return mts_findings_add(env, MTS_F_REPORT_FILENAME_INVALID, NULL, 0,
                            "The report attachment has no file name "
                            "(sender!policy-domain!begin!end.json.gz is "
                            "recommended).");
  }
  if (!ends_with_ci(filename, ".json") && !ends_with_ci(filename, ".json.gz")) {
    err = mts_findings_add(env, MTS_F_REPORT_EXTENSION_INVALID, filename,
                           strlen(filename),
                           "The attachment %s is not named .json or "
                           ".json.gz.",
                           mts_show(&sh, filename, strlen(filename)));
    /* The naming pattern (R157) is not judged on top of a wrong
     * extension (R138). */
    return err;
  }
  why = filename_problem(filename);
  if (why != NULL) {
    err = mts_findings_add(
        env, MTS_F_REPORT_FILENAME_INVALID, filename, strlen(filename),
        "The attachment name %s is not "
        "sender!policy-domain!begin!end[!unique-id].json[.gz]: %s.",
        mts_show(&sh, filename, strlen(filename)), why);
  }
  return err;
}

/* \return the message's source (rptsrc.h), g_free it; its Message-ID
 * with angle brackets in *message_id (g_free it), or NULL. \p m NULL: a
 * message whose headers were not read. */
static char *
name_message(const struct origin *o, GMimeMessage *m, char **message_id)
{
  const char *mid = m != NULL ? g_mime_message_get_message_id(m) : NULL;

  *message_id = NULL;
  if (mid != NULL && mid[0] != '\0') {
    *message_id = g_strdup_printf("<%s>", mid);
    return g_strdup_printf("%s %s", o->label, *message_id);
  }
  if (o->nth > 0) {
    return g_strdup_printf("%s #%lu", o->label, o->nth);
  }
  return g_strdup(o->label);
}

/* Hand every report part of \p m to the callback. */
static enum mts_err
walk_message(struct walk *w, const struct origin *o, GMimeMessage *m)
{
  char *message_id = NULL;
  char *source = NULL;
  char *submitter = NULL;
  struct mts_findings env = {0};
  struct parts ps = {0};
  size_t reports = 0;
  enum mts_err err = MTS_OK;
  int oom = 0;

  source = name_message(o, m, &message_id);
  submitter = trimmed(
      g_mime_object_get_header(GMIME_OBJECT(m), "TLS-Report-Submitter"), &oom);
  if (oom) {
    err = MTS_ENOMEM;
    goto done;
  }

  g_mime_message_foreach(m, collect_part, &ps);
  if (ps.oom) {
    err = MTS_ENOMEM;
    goto done;
  }
  for (size_t i = 0; i < ps.n; i++) {
    const char *filename = g_mime_part_get_filename(ps.v[i]);
    enum report_media media = classify(ps.v[i], filename);
    struct mts_rpt_part part;
    unsigned char *data = NULL;
    size_t len = 0;
    int rc, sniffed = 0;

    if (media == MEDIA_NONE && is_near_miss(ps.v[i])) {
      /* issue 11: a near-miss type without a report's name is a report
       * when its content is one. A part over the cap cannot be told: it
       * is skipped, as any other attachment. */
      rc = decode_part(ps.v[i], w->lim->max_report, &data, &len);
      if (rc == ENOMEM) {
        err = MTS_ENOMEM;
        goto done;
      }
      sniffed = rc == 0 ? sniff_report(data, len) : 0;
      if (sniffed < 0) {
        free(data);
        err = MTS_ENOMEM;
        goto done;
      }
      if (sniffed > 0) {
        media = MEDIA_CONTENT;
      } else {
        free(data);
        data = NULL;
      }
    }
    if (media == MEDIA_NONE) {
      continue;
    }
    if (reports++ == 0) {
      err = check_message(m, submitter, &env);
      if (err != MTS_OK) {
        free(data);
        goto done;
      }
    }
    memset(&part, 0, sizeof(part));
    part.source = source;
    part.path = o->path;
    part.message_id = message_id;
    part.filename = filename;
    part.from_mail = 1;
    part.submitter = submitter;
    part.gzip_expected = media == MEDIA_GZIP || sniffed == 2 ||
                         (filename && ends_with_ci(filename, ".gz"));
    err = findings_copy(&part.envelope, &env);
    if (err == MTS_OK) {
      err = check_part(media, ps.v[i], filename, &part.envelope);
    }
    if (err != MTS_OK) {
      mts_findings_release(&part.envelope);
      free(data);
      goto done;
    }
    if (sniffed > 0) {
      rc = 0; /* decoded above */
      part.len = len;
    } else {
      rc = decode_part(ps.v[i], w->lim->max_report, &data, &part.len);
    }
    if (rc == ENOMEM) {
      mts_findings_release(&part.envelope);
      err = MTS_ENOMEM;
      goto done;
    }
    if (rc != 0) {
      part.unreadable = 1;
      part.len = 0;
      if (rc == EFBIG) {
        err = mts_findings_add(&part.envelope, MTS_F_REPORT_TOO_LARGE, NULL, 0,
                               "The report part is larger than %zu bytes "
                               "once decoded; it was not read further.",
                               w->lim->max_report);
      } else {
        err = mts_findings_add(&part.envelope, MTS_F_REPORT_READ_FAILED, NULL,
                               0, "The report part could not be decoded.");
      }
      if (err != MTS_OK) {
        mts_findings_release(&part.envelope);
        goto done;
      }
    }
    part.data = data;
    err = emit(w, &part);
    free(data);
    if (err != MTS_OK) {
      goto done;
    }
  }
  if (reports == 0) {
    err = emit_unreadable(w, source, o->path, 1, MTS_F_REPORT_NO_REPORT_PART,
                          "the message carries no application/tlsrpt+gzip "
                          "or application/tlsrpt+json part");
  }

done:
  mts_findings_release(&env);
  free(ps.v);
  free(submitter);
  g_free(source);
  g_free(message_id);
  return err;
}

/* ---- mail: the pre-scan --------------------------------------------- */

/* GMime builds a message's whole tree before anything can be checked,
 * and what costs it memory is not the message's size but the number of
 * things in it: about 2 KB a MIME part, 500 bytes a header field, 300 a
 * parameter or an address. 200,000 empty parts in 1 MB took 290 MB, and
 * 1.8 million header fields in 7 MB, 900 MB. So a message is scanned line
 * by line first, cheaply and without building anything, and parsed only
 * when it is under these caps (docs/reports.md "Caps"); the counts are
 * upper bounds of what GMime 3.2 would build from it. */
#define MAX_PARTS 1000
#define MAX_BOUNDARY_LINES 1000
#define MAX_HEADER_FIELDS 10000
#define MAX_HEADER_BYTES 262144 /* 256 KiB */
/* The bytes of a line the scan looks at. */
#define LINE_HEAD 128

/* One line: where it is, its length without the LF (a CR stays), and its
 * first bytes. */
struct line {
  uint64_t off, end; /* end: just past the LF */
  size_t len;
  size_t headlen;
  unsigned char head[LINE_HEAD];
};

/* Lines of a buffer, or of a file read in chunks with pread (so that a
 * GMime stream on the same descriptor may seek as it likes). */
struct lines {
  const unsigned char *mem; /* the buffer, or NULL */
  int fd;
  unsigned char *buf; /* mem, or the chunk read from fd */
  size_t pos, fill;
  uint64_t base; /* the offset of buf[0] */
  int eof;
};

static void
lines_mem(struct lines *lr, const unsigned char *p, size_t n)
{
  memset(lr, 0, sizeof(*lr));
  lr->mem = p;
  lr->buf = (unsigned char *)(uintptr_t)p;
  lr->fill = n;
  lr->fd = -1;
  lr->eof = 1;
}

static enum mts_err
lines_fd(struct lines *lr, int fd)
{
  memset(lr, 0, sizeof(*lr));
  lr->fd = fd;
  lr->buf = malloc(CHUNK);
  return lr->buf == NULL ? MTS_ENOMEM : MTS_OK;
}

static void
lines_release(struct lines *lr)
{
  if (lr->mem == NULL) {
    free(lr->buf);
  }
  lr->buf = NULL;
}

/* \return 1 with the next line in *ln, 0 at the end, or an errno value
 * negated. */
static int
lines_next(struct lines *lr, struct line *ln)
{
  size_t total = 0;

  ln->off = lr->base + lr->pos;
  ln->headlen = 0;
  for (;;) {
    unsigned char *start = lr->buf + lr->pos;
    size_t avail = lr->fill - lr->pos;
    unsigned char *nl = avail > 0 ? memchr(start, '\n', avail) : NULL;
    size_t take = nl != NULL ? (size_t)(nl - start) : avail;
    ssize_t n;

    if (ln->headlen < LINE_HEAD) {
      size_t k =
          LINE_HEAD - ln->headlen < take ? LINE_HEAD - ln->headlen : take;
      memcpy(ln->head + ln->headlen, start, k);
      ln->headlen += k;
    }
    total += take;
    if (nl != NULL) {
      lr->pos += take + 1;
      ln->len = total;
      ln->end = ln->off + total + 1;
      return 1;
    }
    lr->pos += take;
    if (lr->eof) {
      ln->len = total;
      ln->end = ln->off + total;
      return total > 0;
    }
    /* The chunk is used up (its part of this line is counted). */
    lr->base += lr->fill;
    lr->pos = 0;
    lr->fill = 0;
    do {
      n = pread(lr->fd, lr->buf, CHUNK, (off_t)lr->base);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      return -errno;
    }
    lr->fill = (size_t)n;
    lr->eof = n == 0;
  }
}

struct prescan {
  size_t parts, boundaries, fields, header_bytes;
  /* The message's own header block: where it ends, and its share. */
  uint64_t top_end;
  size_t top_fields, top_bytes;
  int top_done;
  int in_header;     /* in a header block */
  int block_child;   /* ... that follows a boundary line */
  int block_ct;      /* ... that has a Content-Type field */
  int block_leaf;    /* ... whose Content-Types all name a type other than
                        message */
  int maybe_message; /* the next line starts an enclosed message's header
                        block */
};

static void
block_start(struct prescan *ps, int child)
{
  ps->parts++;
  ps->in_header = 1;
  ps->block_child = child;
  ps->block_ct = 0;
  ps->block_leaf = 1;
}

static void
prescan_start(struct prescan *ps)
{
  memset(ps, 0, sizeof(*ps));
  block_start(ps, 0);
}

static void
top_done(struct prescan *ps, uint64_t end)
{
  if (!ps->top_done) {
    ps->top_done = 1;
    ps->top_end = end;
    ps->top_fields = ps->fields;
    ps->top_bytes = ps->header_bytes;
  }
}

/* A Content-Type field: 1, and in *leaf whether its value plainly starts
 * with a type other than "message" (RFC 2045 §5.1 token "/"); anything
 * else (a comment, a folded value, a longer head) may be message/rfc822. */
static int
content_type_field(const unsigned char *h, size_t n, int *leaf)
{
  static const char name[] = "content-type";
  size_t i = sizeof(name) - 1, t;

  if (n < i || g_ascii_strncasecmp((const char *)h, name, i) != 0) {
    return 0;
  }
  while (i < n && (h[i] == ' ' || h[i] == '\t')) {
    i++;
  }
  if (i == n || h[i] != ':') {
    return 0;
  }
  i++;
  while (i < n && (h[i] == ' ' || h[i] == '\t')) {
    i++;
  }
  t = i;
  while (i < n && h[i] > ' ' && h[i] < 127 &&
         !strchr("()<>@,;:\\\"/[]?=", h[i])) {
    i++;
  }
  *leaf = i > t && i < n && h[i] == '/' &&
          !(i - t == 7 &&
            g_ascii_strncasecmp((const char *)h + t, "message", 7) == 0);
  return 1;
}

/* Count one line of a message (RFC 2046 §5.1: a boundary line starts
 * with "--"; RFC 5322 §2.2: a header block ends at an empty line). Every
 * "--" line counts as a boundary and opens a part's header block; an
 * enclosed message's header block follows a block whose type may be
 * message/ (or, in a multipart/digest, a block without a type). */
static void
prescan_line(struct prescan *ps, const struct line *ln)
{
  const unsigned char *h = ln->head;
  int empty = ln->len == 0 || (ln->len == 1 && h[0] == '\r');
  int leaf;

  if (ln->len >= 2 && h[0] == '-' && h[1] == '-') {
    ps->boundaries++;
    ps->maybe_message = 0;
    top_done(ps, ln->off);
    block_start(ps, 1);
    return;
  }
  if (ps->maybe_message) {
    ps->maybe_message = 0;
    block_start(ps, 0);
  }
  if (!ps->in_header) {
    return;
  }
  if (empty) {
    ps->in_header = 0;
    top_done(ps, ln->end);
    ps->maybe_message = ps->block_ct ? !ps->block_leaf : ps->block_child;
    return;
  }
  ps->header_bytes += ln->len + 1;
  if (h[0] == ' ' || h[0] == '\t') {
    return; /* a folded field goes on */
  }
  ps->fields++;
  if (content_type_field(h, ln->headlen, &leaf)) {
    ps->block_ct = 1;
    ps->block_leaf &= leaf;
  }
}

/* \return NULL when the counts are under the caps, else what is over
 * (static text). */
static const char *
prescan_over(const struct prescan *ps)
{
  if (ps->parts > MAX_PARTS) {
    return "more than " G_STRINGIFY(MAX_PARTS) " MIME parts";
  }
  if (ps->boundaries > MAX_BOUNDARY_LINES) {
    return "more than " G_STRINGIFY(MAX_BOUNDARY_LINES) " boundary lines";
  }
  if (ps->fields > MAX_HEADER_FIELDS) {
    return "more than " G_STRINGIFY(MAX_HEADER_FIELDS) " header fields";
  }
  if (ps->header_bytes > MAX_HEADER_BYTES) {
    return "more than " G_STRINGIFY(MAX_HEADER_BYTES) " bytes of header "
                                                      "fields";
  }
  return NULL;
}

/* ---- mail: messages ------------------------------------------------- */

/* Parse \p src (a whole message) into *m (NULL when GMime cannot). */
static GMimeMessage *
parse_message(GMimeStream *src)
{
  GMimeParser *parser = g_mime_parser_new_with_stream(src);
  GMimeMessage *m;

  g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
  m = g_mime_parser_construct_message(parser, NULL);
  g_object_unref(parser);
  return m;
}

/* The source of a message that is not read (over a cap): named by its
 * Message-ID when its own header block is under the caps (only that block
 * is parsed), else by its place. g_free the result and *message_id. */
static char *
name_unread(const struct origin *o, GMimeStream *src, uint64_t begin,
            const struct prescan *ps, char **message_id)
{
  GMimeMessage *m = NULL;
  char *name;

  if (ps->top_done && ps->top_fields <= MAX_HEADER_FIELDS &&
      ps->top_bytes <= MAX_HEADER_BYTES) {
    GMimeStream *hdr =
        g_mime_stream_substream(src, (gint64)begin, (gint64)ps->top_end);
    m = parse_message(hdr);
    g_object_unref(hdr);
  }
  name = name_message(o, m, message_id);
  if (m != NULL) {
    g_object_unref(m);
  }
  return name;
}

/* One message: the bytes [begin, end) of \p src (its From line left out),
 * with their pre-scan. \p single: a file that is one message (not an
 * mbox). \return in *parsed whether GMime read it as a message. */
static enum mts_err
walk_one(struct walk *w, const struct origin *o, GMimeStream *src,
         uint64_t begin, uint64_t end, const struct prescan *ps, int single,
         int *parsed)
{
  const char *over = prescan_over(ps);
  char *name, *mid = NULL;
  enum mts_err err = MTS_OK;

  *parsed = 1;
  if (end - begin > w->lim->max_input) {
    /* Only in an mbox: a file's size was checked when it was read. */
    name = name_unread(o, src, begin, ps, &mid);
    err = emit_unreadable(w, name, o->path, 1, MTS_F_REPORT_TOO_LARGE,
                          "message %lu of %s is larger than %zu bytes; it "
                          "was skipped",
                          o->nth, o->label, w->lim->max_input);
  } else if (over != NULL) {
    name = name_unread(o, src, begin, ps, &mid);
    if (single) {
      err = emit_unreadable(w, name, o->path, 1, MTS_F_REPORT_TOO_LARGE,
                            "the message %s has %s; it was not read", o->label,
                            over);
    } else {
      err = emit_unreadable(w, name, o->path, 1, MTS_F_REPORT_TOO_LARGE,
                            "message %lu of %s has %s; it was skipped", o->nth,
                            o->label, over);
    }
  } else {
    GMimeStream *sub = g_mime_stream_substream(src, (gint64)begin, (gint64)end);
    GMimeMessage *m = parse_message(sub);
    g_object_unref(sub);
    name = NULL;
    *parsed = m != NULL;
    if (m != NULL) {
      err = walk_message(w, o, m);
      g_object_unref(m);
    } else if (!single) {
      name = name_message(o, NULL, &mid);
      err = emit_unreadable(w, name, o->path, 1, MTS_F_REPORT_NO_REPORT_PART,
                            "message %lu of %s is not a mail message", o->nth,
                            o->label);
    }
  }
  g_free(name);
  g_free(mid);
  return err;
}

/* An mbox, from its lines: each "From " line starts a message, which is
 * pre-scanned as its lines go by, then parsed on its own (bodies stay in
 * \p src). A message over max_input is never read into memory. */
static enum mts_err
walk_mbox(struct walk *w, const char *label, const char *path, struct lines *lr,
          GMimeStream *src)
{
  struct origin o = {path, label, 0};
  struct prescan ps;
  struct line ln;
  uint64_t begin = 0;
  int in_msg = 0, parsed;
  enum mts_err err = MTS_OK;

  for (;;) {
    int rc = lines_next(lr, &ln);
    int from;

    if (rc < 0) {
      char why[128];
      return emit_unreadable(w, label, path, 1, MTS_F_REPORT_READ_FAILED,
                             "cannot read %s: %s", label,
                             mts_errno_str(why, sizeof(why), -rc));
    }
    from = rc == 1 && ln.headlen >= 5 && memcmp(ln.head, "From ", 5) == 0;
    if (rc == 0 || from) {
      if (in_msg) {
        err = walk_one(w, &o, src, begin, ln.off, &ps, 0, &parsed);
        if (err != MTS_OK) {
          return err;
        }
      }
      if (rc == 0) {
        return MTS_OK;
      }
      in_msg = 1;
      o.nth++;
      begin = ln.end;
      prescan_start(&ps);
      continue;
    }
    if (in_msg) {
      prescan_line(&ps, &ln);
    }
  }
}

/* Bytes already in memory: a report, a message, an mbox, or other bytes. */
static enum mts_err
walk_buffer(struct walk *w, const char *label, const char *path,
            const unsigned char *buf, size_t len)
{
  enum kind k = sniff(buf, len < SNIFF_LEN ? len : SNIFF_LEN);
  struct origin o = {path, label, 0};
  enum mts_err err = MTS_OK;

  if (k == KIND_MBOX || k == KIND_MAIL) {
    GMimeStream *s = g_mime_stream_mem_new_with_buffer((const char *)buf, len);
    struct lines lr;

    lines_mem(&lr, buf, len);
    if (k == KIND_MBOX) {
      err = walk_mbox(w, label, path, &lr, s);
    } else {
      struct prescan ps;
      struct line ln;
      int parsed = 0;

      prescan_start(&ps);
      while (lines_next(&lr, &ln) == 1) {
        prescan_line(&ps, &ln);
      }
      err = walk_one(w, &o, s, 0, len, &ps, 1, &parsed);
      k = parsed ? KIND_MAIL : KIND_RAW;
    }
    lines_release(&lr);
    g_object_unref(s);
  }
  if (k != KIND_MBOX && k != KIND_MAIL) {
    struct mts_rpt_part part;
    memset(&part, 0, sizeof(part));
    part.source = label;
    part.path = path;
    part.data = buf;
    part.len = len;
    /* R139: a .gz file must be gzip (the magic bytes decide anyway). */
    part.gzip_expected = ends_with_ci(path, ".gz");
    err = emit(w, &part);
  }
  return err;
}

static enum mts_err
walk_fd(struct walk *w, int fd, const char *label, const char *path,
        size_t hint)
{
  unsigned char *buf = NULL;
  size_t len = 0;
  int over = 0;
  int rc = read_bounded(fd, w->lim->max_input, hint, &buf, &len, &over);
  enum mts_err err;

  if (rc == ENOMEM) {
    return MTS_ENOMEM;
  }
  if (rc != 0) {
    char why[128];
    return emit_unreadable(w, label, path, 0, MTS_F_REPORT_READ_FAILED,
                           "cannot read %s: %s", label,
                           mts_errno_str(why, sizeof(why), rc));
  }
  if (over) {
    err = emit_unreadable(w, label, path, 0, MTS_F_REPORT_TOO_LARGE,
                          "the input %s is larger than %zu bytes; it was "
                          "not read further",
                          label, w->lim->max_input);
  } else {
    err = walk_buffer(w, label, path, buf, len);
  }
  free(buf);
  return err;
}

static enum mts_err
walk_file(struct walk *w, const char *path)
{
  unsigned char head[5];
  ssize_t n = 0;
  struct stat st;
  int fd;
  enum mts_err err;

  do {
    fd = open(path, O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    return emit_os_error(w, path, errno);
  }
  if (fstat(fd, &st) != 0) {
    err = emit_os_error(w, path, errno);
    goto done;
  }
  if (S_ISDIR(st.st_mode)) {
    err = emit_os_error(w, path, EISDIR);
    goto done;
  }
  if (S_ISREG(st.st_mode)) {
    do {
      n = pread(fd, head, sizeof(head), 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      err = emit_os_error(w, path, errno);
      goto done;
    }
  }
  if (n == (ssize_t)sizeof(head) && memcmp(head, "From ", 5) == 0) {
    /* An mbox may be larger than max_input: its lines are read in
     * chunks, and each message is parsed from the file. */
    GMimeStream *s = g_mime_stream_fs_new_with_bounds(fd, 0, -1);
    struct lines lr;

    g_mime_stream_fs_set_owner(GMIME_STREAM_FS(s), FALSE);
    err = lines_fd(&lr, fd);
    if (err == MTS_OK) {
      err = walk_mbox(w, path, path, &lr, s);
    }
    lines_release(&lr);
    g_object_unref(s);
    goto done;
  }
  err = walk_fd(w, fd, path, path,
                S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size : 0);

done:
  if (fd >= 0) {
    close(fd);
  }
  return err;
}

/* ---- directories ---------------------------------------------------- */

static int
not_dotfile(const struct dirent *d)
{
  return d->d_name[0] != '.';
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
  return strcmp((*a)->d_name, (*b)->d_name);
}

static int
is_dir(const char *path)
{
  struct stat st;

  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Every file of \p dir by name; \p maildir: each entry is a message, and
 * an entry that is not a regular file is reported, not skipped. */
static enum mts_err
walk_dir(struct walk *w, const char *dir, int maildir)
{
  struct dirent **names = NULL;
  int n = scandir(dir, &names, not_dotfile, by_name);
  enum mts_err err = MTS_OK;
  int i = 0;

  if (n < 0) {
    return emit_os_error(w, dir, errno);
  }
  for (; i < n && err == MTS_OK; i++) {
    char *child = g_build_filename(dir, names[i]->d_name, NULL);
    struct stat st;
    if (stat(child, &st) != 0) {
      err = emit_os_error(w, child, errno);
    } else if (S_ISREG(st.st_mode)) {
      err = walk_file(w, child);
    } else if (maildir) {
      err = emit_os_error(w, child, S_ISDIR(st.st_mode) ? EISDIR : EINVAL);
    }
    g_free(child);
  }
  for (i = 0; i < n; i++) {
    free(names[i]);
  }
  free(names);
  return err;
}

enum mts_err
mts_rpt_walk_fd(int fd, const char *label, const struct mts_rpt_limits *lim,
                mts_rpt_cb cb, void *arg)
{
  struct mts_rpt_limits def;
  struct walk w = {lim, cb, arg};

  if (lim == NULL) {
    mts_rpt_limits_default(&def);
    w.lim = &def;
  }
  return walk_fd(&w, fd, label, label, 0);
}

enum mts_err
mts_rpt_walk(const char *path, const struct mts_rpt_limits *lim, mts_rpt_cb cb,
             void *arg)
{
  struct mts_rpt_limits def;
  struct walk w = {lim, cb, arg};
  struct stat st;
  enum mts_err err = MTS_OK;

  if (lim == NULL) {
    mts_rpt_limits_default(&def);
    w.lim = &def;
  }

  if (strcmp(path, "-") == 0) {
    return walk_fd(&w, STDIN_FILENO, "-", "-", 0);
  }
  if (stat(path, &st) != 0) {
    return emit_os_error(&w, path, errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    return walk_file(&w, path);
  }
  {
    char *cur = g_build_filename(path, "cur", NULL);
    char *new = g_build_filename(path, "new", NULL);
    int has_cur = is_dir(cur);
    int has_new = is_dir(new);
    if (has_cur || has_new) {
      /* A Maildir: new/ then cur/; tmp/ holds deliveries in progress. */
      if (has_new) {
        err = walk_dir(&w, new, 1);
      }
      if (err == MTS_OK && has_cur) {
        err = walk_dir(&w, cur, 1);
      }
    } else {
      err = walk_dir(&w, path, 0);
    }
    g_free(cur);
    g_free(new);
  }
  return err;
}

void
mts_rpt_init(void)
{
  g_mime_init();
}

void
mts_rpt_shutdown(void)
{
  g_mime_shutdown();
}
