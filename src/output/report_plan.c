/* The writers of `mtasts-check plan` (rollout.md R193): the text for a
 * person and the one JSON object. They only write: the plan is made by
 * mts_plan_build (src/check/plan.c). */
#include "mtasts/output.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mtasts/i18n.h"
#include "mtasts/plan.h"

/* ---- text -----------------------------------------------------------------
 */

/* "2026-12-05 09:30:00 UTC" (R205: the zone is named). */
static void
utc_text(long long t, char *buf, size_t size)
{
  struct tm tm;
  time_t tt = (time_t)t;

  if (t < 0 || t > 253402300799LL || gmtime_r(&tt, &tm) == NULL ||
      strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
    snprintf(buf, size, "?");
  }
}

static enum mts_err
put_esc(FILE *out, const char *s, int quote)
{
  return mts_report_text_esc(out, s, strlen(s), quote);
}

static enum mts_err
text_record(FILE *out, const struct mts_plan_record *rec, const char *what)
{
  enum mts_err err;

  if (fprintf(out, "  %s (%s):\n    %s. IN TXT ", what,
              rec->changed ? _("to publish") : _("unchanged, keep it"),
              rec->name) < 0) {
    return MTS_EIO;
  }
  err = put_esc(out, rec->value, 1);
  if (err == MTS_OK && fputc('\n', out) == EOF) {
    err = MTS_EIO;
  }
  return err;
}

enum mts_err
mts_report_text_plan_write(FILE *out, const struct mts_plan *p,
                           const struct mts_result *r,
                           const struct mts_text_opts *opts)
{
  enum mts_err err;
  char when[64];

  /* The live check first, as the check writes it: the findings the plan
   * answers. */
  err = mts_report_text_write(out, r, opts);
  if (err != MTS_OK) {
    return err;
  }
  utc_text(r->checked_at, when, sizeof(when));
  if (fprintf(out, _("\nPlan for %s (from the check of %s)\n\nRecords:\n"),
              p->domain, when) < 0) {
    return MTS_EIO;
  }
  err = text_record(out, &p->sts, _("MTA-STS record"));
  if (err == MTS_OK) {
    err = text_record(out, &p->tlsrpt, _("TLS-RPT record"));
  }
  if (err != MTS_OK) {
    return err;
  }
  if (fprintf(out, _("\nPolicy (mode %s, max_age %ld; %s), served at %s:\n"),
              mts_plan_mode_str(p->policy.mode), p->policy.max_age,
              p->policy.changed ? _("to publish") : _("unchanged, keep it"),
              p->policy.url) < 0) {
    return MTS_EIO;
  }
  /* The body, one line each, without its CR. */
  for (const char *s = p->policy.body; *s != '\0';) {
    size_t n = strcspn(s, "\r\n");
    if (fputs("    ", out) == EOF) {
      return MTS_EIO;
    }
    err = mts_report_text_esc(out, s, n, 0);
    if (err != MTS_OK || fputc('\n', out) == EOF) {
      return err != MTS_OK ? err : MTS_EIO;
    }
    s += n;
    s += strspn(s, "\r\n");
  }
  if (p->n_removed > 0 && fputs(_("  mx: patterns dropped:\n"), out) == EOF) {
    return MTS_EIO;
  }
  for (size_t i = 0; i < p->n_removed; i++) {
    if (fputs("    ", out) == EOF) {
      return MTS_EIO;
    }
    err = put_esc(out, p->removed[i].pattern, 0);
    if (err != MTS_OK || fprintf(out, ": %s\n", _(p->removed[i].reason)) < 0) {
      return err != MTS_OK ? err : MTS_EIO;
    }
  }
  if (fputs(p->n_steps > 0 ? _("\nSteps, in this order:\n")
                           : _("\nSteps: none, everything is in place.\n"),
            out) == EOF) {
    return MTS_EIO;
  }
  for (size_t i = 0; i < p->n_steps; i++) {
    const struct mts_plan_step *s = &p->steps[i];
    if (fprintf(out, "  %zu. [%s", i + 1, mts_plan_action_str(s->action)) < 0) {
      return MTS_EIO;
    }
    if (s->not_before >= 0) {
      utc_text(s->not_before, when, sizeof(when));
      if (fprintf(out, _(", until %s"), when) < 0) {
        return MTS_EIO;
      }
    }
    if (fputs("] ", out) == EOF) {
      return MTS_EIO;
    }
    /* The localized sentence is the catalogue's, with values the planner
     * made from validated data: written as is (escaping would mangle its
     * UTF-8); the English one is escaped as before. */
    if (s->text_local != NULL) {
      err = fputs(s->text_local, out) == EOF ? MTS_EIO : MTS_OK;
    } else {
      err = put_esc(out, s->text, 0);
    }
    if (err != MTS_OK || fputc('\n', out) == EOF) {
      return err != MTS_OK ? err : MTS_EIO;
    }
  }
  if (fprintf(out, _("\nReady for enforce: %s"),
              p->ready == 1   ? _("yes")
              : p->ready == 0 ? _("no")
                              : _("not known (something could not be "
                                  "checked)")) < 0) {
    return MTS_EIO;
  }
  for (size_t i = 0; i < p->n_blockers; i++) {
    if (fprintf(out, "%s%s", i == 0 ? _("; blockers: ") : ", ",
                p->blockers[i]) < 0) {
      return MTS_EIO;
    }
  }
  return fputc('\n', out) == EOF ? MTS_EIO : MTS_OK;
}

/* ---- JSON
 * --------------------------------------------------------------------- */

static void
put_time(struct mts_jw *w, const char *key, long long t)
{
  char buf[32];
  struct tm tm;
  time_t tt = (time_t)t;

  if (t < 0 || t > 253402300799LL || gmtime_r(&tt, &tm) == NULL ||
      strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
    mts_jw_null(w, key);
    return;
  }
  mts_jw_str(w, key, buf);
}

static void
json_record(struct mts_jw *w, const char *key, const struct mts_plan_record *r)
{
  mts_jw_open(w, key, '{');
  mts_jw_str(w, "name", r->name);
  mts_jw_str(w, "value", r->value);
  mts_jw_number(w, "changed", r->changed ? "true" : "false");
  mts_jw_close(w, '}');
}

/* The check's own JSON object (mts_report_json_write, whatever members it
 * has), without its line end, so that "check" is exactly what the check
 * would print. */
static enum mts_err
check_json(const struct mts_result *r, char **text)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  enum mts_err err;

  if (m == NULL) {
    return MTS_ENOMEM;
  }
  err = mts_report_json_write(m, r);
  if (fclose(m) != 0 && err == MTS_OK) {
    err = MTS_ENOMEM;
  }
  if (err != MTS_OK || buf == NULL || len == 0) {
    free(buf);
    return err != MTS_OK ? err : MTS_ENOMEM;
  }
  if (buf[len - 1] == '\n') {
    buf[len - 1] = '\0';
  }
  *text = buf;
  return MTS_OK;
}

enum mts_err
mts_report_json_plan_write(FILE *out, const struct mts_plan *p,
                           const struct mts_result *r)
{
  char stack[8192];
  struct mts_jw w;
  char *check = NULL;
  enum mts_err err;

  err = check_json(r, &check);
  if (err != MTS_OK) {
    return err;
  }
  mts_jw_init(&w, stack, sizeof(stack));
  mts_jw_open(&w, NULL, '{');
  mts_jw_u64(&w, "schema_version", 1);
  mts_jw_str(&w, "kind", "plan");
  mts_jw_str(&w, "domain", p->domain);
  mts_jw_open(&w, "records", '{');
  json_record(&w, "mta_sts", &p->sts);
  json_record(&w, "tls_rpt", &p->tlsrpt);
  mts_jw_close(&w, '}');
  mts_jw_open(&w, "policy", '{');
  mts_jw_bytes(&w, "body", p->policy.body, p->policy.body_len);
  mts_jw_str(&w, "mode", mts_plan_mode_str(p->policy.mode));
  mts_jw_u64(&w, "max_age",
             (uint64_t)(p->policy.max_age < 0 ? 0 : p->policy.max_age));
  mts_jw_strv(&w, "mx", p->policy.mx, p->policy.n_mx, 0);
  mts_jw_number(&w, "changed", p->policy.changed ? "true" : "false");
  mts_jw_close(&w, '}');
  mts_jw_open(&w, "removed_patterns", '[');
  for (size_t i = 0; i < p->n_removed; i++) {
    mts_jw_open(&w, NULL, '{');
    mts_jw_str(&w, "pattern", p->removed[i].pattern);
    mts_jw_str(&w, "reason", p->removed[i].reason);
    mts_jw_close(&w, '}');
  }
  mts_jw_close(&w, ']');
  mts_jw_open(&w, "steps", '[');
  for (size_t i = 0; i < p->n_steps; i++) {
    mts_jw_open(&w, NULL, '{');
    mts_jw_str(&w, "action", mts_plan_action_str(p->steps[i].action));
    mts_jw_str(&w, "text", p->steps[i].text);
    put_time(&w, "not_before", p->steps[i].not_before);
    mts_jw_close(&w, '}');
  }
  mts_jw_close(&w, ']');
  mts_jw_number(&w, "ready_for_enforce",
                p->ready == 1   ? "true"
                : p->ready == 0 ? "false"
                                : "null");
  mts_jw_open(&w, "blockers", '[');
  for (size_t i = 0; i < p->n_blockers; i++) {
    mts_jw_str(&w, NULL, p->blockers[i]);
  }
  mts_jw_close(&w, ']');
  mts_jw_number(&w, "check", check); /* a JSON object, written as is */
  mts_jw_close(&w, '}');
  err = mts_jw_finish(&w, out);
  mts_jw_release(&w);
  free(check);
  return err;
}
