#include "mtasts/finding.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts/i18n.h"
#include "mtasts/msg.h"

struct code_info {
  const char *name;
  enum mts_severity severity;
  const char *rfc;
  const char *fix;
};

static const struct code_info codes[] = {
#define MTS_CODE(name, sev, rfc, fix) {#name, MTS_SEV_##sev, rfc, fix},
#include "mtasts/codes.def"
#undef MTS_CODE
};

_Static_assert(sizeof(codes) / sizeof(codes[0]) == MTS_F__COUNT,
               "codes[] must have one entry per enum mts_code");

const char *
mts_code_name(enum mts_code code)
{
  return (unsigned)code < MTS_F__COUNT ? codes[code].name : "?";
}

enum mts_severity
mts_code_severity(enum mts_code code)
{
  return (unsigned)code < MTS_F__COUNT ? codes[code].severity : MTS_SEV_ERROR;
}

const char *
mts_code_rfc(enum mts_code code)
{
  return (unsigned)code < MTS_F__COUNT ? codes[code].rfc : "";
}

const char *
mts_code_fix(enum mts_code code)
{
  return (unsigned)code < MTS_F__COUNT ? codes[code].fix : "";
}

const char *
mts_code_fix_text(enum mts_code code)
{
  const char *fix = mts_code_fix(code);

  return fix[0] != '\0' ? _(fix) : fix;
}

const char *
mts_severity_str(enum mts_severity sev)
{
  switch (sev) {
    case MTS_SEV_INFO:
      return "info";
    case MTS_SEV_WARNING:
      return "warning";
    case MTS_SEV_ERROR:
      return "error";
  }
  return "error";
}

static char *
copy_str(const char *s, size_t len)
{
  char *p = malloc(len + 1);

  if (p != NULL) {
    memcpy(p, s, len);
    p[len] = '\0';
  }
  return p;
}

/* Takes message and text (either may be NULL: then nothing is added). */
static enum mts_err
findings_push(struct mts_findings *list, enum mts_code code,
              enum mts_severity sev, const char *subject, size_t len,
              char *message, char *text)
{
  char *subj = NULL;

  if (message == NULL) {
    goto fail;
  }
  if (list->n == list->cap) {
    size_t cap = list->cap ? list->cap * 2 : 8;
    struct mts_finding *v;
    if (cap > SIZE_MAX / sizeof(*v)) {
      goto fail;
    }
    v = realloc(list->v, cap * sizeof(*v));
    if (v == NULL) {
      goto fail;
    }
    list->v = v;
    list->cap = cap;
  }
  if (subject != NULL) {
    subj = copy_str(subject, len);
    if (subj == NULL) {
      goto fail;
    }
  }

  list->v[list->n].code = code;
  list->v[list->n].severity = sev;
  list->v[list->n].message = message;
  list->v[list->n].text = text;
  list->v[list->n].subject = subj;
  list->v[list->n].subject_len = subj ? len : 0;
  list->n++;
  return MTS_OK;

fail:
  free(message);
  free(text);
  return MTS_ENOMEM;
}

static char *vformat(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));

static char *
vformat(const char *fmt, va_list ap)
{
  va_list ap2;
  char *s;
  int n;

  va_copy(ap2, ap);
  n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0) {
    return NULL;
  }
  s = malloc((size_t)n + 1);
  if (s != NULL) {
    (void)vsnprintf(s, (size_t)n + 1, fmt, ap);
  }
  return s;
}

static enum mts_err findings_vadd(struct mts_findings *list, enum mts_code code,
                                  enum mts_severity sev, const char *subject,
                                  size_t len, const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));

/* The English message from fmt; the localized text from the catalogue's
 * translation of fmt, when it has one (dgettext returns fmt itself when
 * it has not, or when LC_MESSAGES is C). */
static enum mts_err
findings_vadd(struct mts_findings *list, enum mts_code code,
              enum mts_severity sev, const char *subject, size_t len,
              const char *fmt, va_list ap)
{
  const char *tr = fmt[0] != '\0' ? _(fmt) : fmt;
  char *message, *text = NULL;
  va_list ap2;

  va_copy(ap2, ap);
  message = vformat(fmt, ap2);
  va_end(ap2);
  if (message == NULL) {
    return MTS_ENOMEM;
  }
  if (tr != fmt) {
    /* A translated format is not a literal: msgfmt --check-format
     * (lint.i18n) checks that it takes the same arguments. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    text = vformat(tr, ap);
#pragma GCC diagnostic pop
    if (text == NULL) {
      free(message);
      return MTS_ENOMEM;
    }
    mts_frag_resolve(text, 1);
  }
  mts_frag_resolve(message, 0);
  return findings_push(list, code, sev, subject, len, message, text);
}

enum mts_err
mts_findings_add_text(struct mts_findings *list, enum mts_code code,
                      enum mts_severity sev, const char *subject, size_t len,
                      const char *message, const char *text)
{
  char *m = copy_str(message, strlen(message));
  char *t = NULL;

  if (m == NULL) {
    return MTS_ENOMEM;
  }
  if (text != NULL && strcmp(text, message) != 0) {
    t = copy_str(text, strlen(text));
    if (t == NULL) {
      free(m);
      return MTS_ENOMEM;
    }
  }
  return findings_push(list, code, sev, subject, len, m, t);
}

const char *
mts_finding_text(const struct mts_finding *f)
{
  return f->text != NULL ? f->text : f->message;
}

enum mts_err
mts_findings_add(struct mts_findings *list, enum mts_code code,
                 const char *subject, size_t len, const char *fmt, ...)
{
  va_list ap;
  enum mts_err err;

  va_start(ap, fmt);
  err =
      findings_vadd(list, code, mts_code_severity(code), subject, len, fmt, ap);
  va_end(ap);
  return err;
}

enum mts_err
mts_findings_add_sev(struct mts_findings *list, enum mts_code code,
                     enum mts_severity sev, const char *subject, size_t len,
                     const char *fmt, ...)
{
  va_list ap;
  enum mts_err err;

  va_start(ap, fmt);
  err = findings_vadd(list, code, sev, subject, len, fmt, ap);
  va_end(ap);
  return err;
}

int
mts_findings_has(const struct mts_findings *list, enum mts_code code)
{
  for (size_t i = 0; i < list->n; i++) {
    if (list->v[i].code == code) {
      return 1;
    }
  }
  return 0;
}

void
mts_findings_truncate(struct mts_findings *list, size_t n)
{
  while (list->n > n) {
    list->n--;
    free(list->v[list->n].message);
    free(list->v[list->n].text);
    free(list->v[list->n].subject);
  }
}

void
mts_findings_release(struct mts_findings *list)
{
  for (size_t i = 0; i < list->n; i++) {
    free(list->v[i].message);
    free(list->v[i].text);
    free(list->v[i].subject);
  }
  free(list->v);
  list->v = NULL;
  list->n = 0;
  list->cap = 0;
}
