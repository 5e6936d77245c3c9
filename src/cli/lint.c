#include "lint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts/i18n.h"
#include "mtasts/net.h"
#include "mtasts/rules.h"
#include "mtasts/output.h"

/* Read all of \p f, at most MTS_LINT_MAX_FILE octets. */
static enum mts_err
read_all(FILE *f, char **out, size_t *len)
{
  char *buf = malloc(MTS_LINT_MAX_FILE + 1);
  size_t n = 0, got;

  if (buf == NULL) {
    return MTS_ENOMEM;
  }
  while ((got = fread(buf + n, 1, MTS_LINT_MAX_FILE + 1 - n, f)) > 0) {
    n += got;
    if (n > MTS_LINT_MAX_FILE) {
      free(buf);
      return MTS_ERANGE;
    }
  }
  if (ferror(f)) {
    free(buf);
    return MTS_EIO;
  }
  *out = buf;
  *len = n;
  return MTS_OK;
}

enum mts_err
mts_lint_policy_file(const char *path, const struct mts_write_opts *opts,
                     FILE *out, enum mts_status *status, char *errbuf,
                     size_t errsz)
{
  struct mts_findings findings = {0};
  struct mts_policy policy;
  struct mts_policy_lint lint;
  FILE *f = NULL;
  char *body = NULL;
  size_t len = 0;
  int parsed = 0;
  enum mts_err err;

  f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (f == NULL) {
    snprintf(errbuf, errsz, _("cannot open '%s': %s"), path, strerror(errno));
    err = MTS_EINVAL;
    goto done;
  }
  err = read_all(f, &body, &len);
  if (err != MTS_OK) {
    snprintf(errbuf, errsz, _("cannot read '%s': %s"), path,
             err == MTS_ERANGE ? _("larger than 1 MiB") : strerror(errno));
    if (err == MTS_EIO) {
      err = MTS_EINVAL; /* an unreadable argument, not an output error */
    }
    goto done;
  }
  if (len > MTS_FETCH_MAX_BODY) {
    /* The same verdict as a fetch of this body (R62). */
    err = mts_findings_add(&findings, MTS_F_POLICY_TOO_LARGE, NULL, 0,
                           "The file is %zu octets: senders stop reading at "
                           "%d.",
                           len, MTS_FETCH_MAX_BODY);
    if (err != MTS_OK) {
      snprintf(errbuf, errsz, "%s", _(mts_strerror(err)));
      goto done;
    }
  }
  err = mts_policy_parse(body, len, &policy, &findings);
  if (err != MTS_OK) {
    snprintf(errbuf, errsz, "%s", _(mts_strerror(err)));
    goto done;
  }
  parsed = 1;

  memset(&lint, 0, sizeof(lint));
  lint.source = path;
  lint.status = mts_findings_status(&findings);
  lint.policy_status = policy.valid && len <= MTS_FETCH_MAX_BODY
                           ? MTS_POLICY_VALID
                           : MTS_POLICY_INVALID;
  lint.mode = policy.mode_str;
  lint.max_age = policy.max_age;
  lint.mx = policy.mx;
  lint.n_mx = policy.n_mx;
  lint.findings = &findings;
  if (opts->format == MTS_FORMAT_JSON) {
    err = mts_report_json_policy_write(out, &lint);
  } else if (!opts->quiet || lint.status != MTS_STATUS_OK) {
    struct mts_text_opts t = {opts->color};
    err = mts_report_text_policy_write(out, &lint, &t);
  }
  if (err == MTS_OK && fflush(out) != 0) {
    err = MTS_EIO;
  }
  if (err != MTS_OK) {
    snprintf(errbuf, errsz, _("cannot write the report: %s"),
             _(mts_strerror(err)));
    goto done;
  }
  *status = lint.status;

done:
  if (parsed) {
    mts_policy_release(&policy);
  }
  mts_findings_release(&findings);
  free(body);
  if (f != NULL && f != stdin) {
    fclose(f);
  }
  return err;
}
