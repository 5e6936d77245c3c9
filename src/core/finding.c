#include "mtasts/finding.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static enum mts_err findings_vadd(struct mts_findings *list, enum mts_code code,
                                  enum mts_severity sev, const char *subject,
                                  size_t len, const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));

static enum mts_err
findings_vadd(struct mts_findings *list, enum mts_code code,
              enum mts_severity sev, const char *subject, size_t len,
              const char *fmt, va_list ap)
{
  char *message = NULL;
  char *subj = NULL;
  va_list ap2;
  int n;

  if (list->n == list->cap) {
    size_t cap = list->cap ? list->cap * 2 : 8;
    struct mts_finding *v;
    if (cap > SIZE_MAX / sizeof(*v)) {
      return MTS_ENOMEM;
    }
    v = realloc(list->v, cap * sizeof(*v));
    if (v == NULL) {
      return MTS_ENOMEM;
    }
    list->v = v;
    list->cap = cap;
  }

  va_copy(ap2, ap);
  n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0) {
    return MTS_EINVAL;
  }
  message = malloc((size_t)n + 1);
  if (message == NULL) {
    goto fail;
  }
  vsnprintf(message, (size_t)n + 1, fmt, ap);

  if (subject != NULL) {
    subj = malloc(len + 1);
    if (subj == NULL) {
      goto fail;
    }
    memcpy(subj, subject, len);
    subj[len] = '\0';
  }

  list->v[list->n].code = code;
  list->v[list->n].severity = sev;
  list->v[list->n].message = message;
  list->v[list->n].subject = subj;
  list->v[list->n].subject_len = subj ? len : 0;
  list->n++;
  return MTS_OK;

fail:
  free(message);
  free(subj);
  return MTS_ENOMEM;
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
    free(list->v[list->n].subject);
  }
}

void
mts_findings_release(struct mts_findings *list)
{
  for (size_t i = 0; i < list->n; i++) {
    free(list->v[i].message);
    free(list->v[i].subject);
  }
  free(list->v);
  list->v = NULL;
  list->n = 0;
  list->cap = 0;
}
