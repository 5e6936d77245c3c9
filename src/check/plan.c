/* The planner of `mtasts-check plan` (rollout.md R187-R196, R204): from a
 * judged result of the live check, what to publish and in what order. Pure:
 * no I/O, no clock (opts->now), no globals. */
#include "mtasts/check.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mtasts/i18n.h"
#include "mtasts/msg.h"
#include "mtasts/rules.h"

#define WEEK 604800L
#define DAY 86400L

/* English (JSON); the text writer translates them (po/ja.po). */
static const char *const reason_unused = N_("matches no live MX host");
static const char *const reason_dup = N_("repeats an earlier mx: line");
static const char *const reason_bad = N_("is not a valid mx: pattern");

/* ---- small helpers ------------------------------------------------------ */

static char *xprintf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static char *
xprintf(const char *fmt, ...)
{
  va_list ap;
  int n;
  char *s;

  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) {
    return NULL;
  }
  s = malloc((size_t)n + 1);
  if (s == NULL) {
    return NULL;
  }
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

int
mts_plan_id_from_time(long long t, char *buf, size_t size)
{
  struct tm tm;
  time_t tt;

  if (t < 0 || t > 253402300799LL || (long long)(time_t)t != t || size < 15) {
    return -1;
  }
  tt = (time_t)t;
  if (gmtime_r(&tt, &tm) == NULL ||
      strftime(buf, size, "%Y%m%d%H%M%S", &tm) != 14) {
    return -1;
  }
  return 0;
}

/* "2026-12-05 09:30:00 UTC" (R205: the zone is named). */
static void
format_utc(long long t, char *buf, size_t size)
{
  struct tm tm;
  time_t tt = (time_t)t;

  if (t < 0 || t > 253402300799LL || gmtime_r(&tt, &tm) == NULL ||
      strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
    snprintf(buf, size, "(a date out of range)");
  }
}

static int
has_null_mx(const struct mts_result *r)
{
  if (mts_findings_has(&r->findings, MTS_F_MX_NULL)) {
    return 1;
  }
  for (size_t i = 0; i < r->mx.n_hosts; i++) {
    if (r->mx.hosts[i].name[0] == '\0') {
      return 1;
    }
  }
  return 0;
}

/* The MX hosts are known: the lookup completed. */
static int
hosts_known(const struct mts_result *r)
{
  return !mts_findings_has(&r->findings, MTS_F_MX_LOOKUP_FAILED) &&
         !mts_findings_has(&r->findings, MTS_F_DOMAIN_INVALID);
}

static int
live_valid(const struct mts_result *r)
{
  return r->policy.status == MTS_POLICY_VALID && r->policy.mode != NULL &&
         r->policy.max_age >= 0;
}

static enum mts_plan_mode
mode_of(const char *s)
{
  if (s == NULL) {
    return MTS_PLAN_MODE_AUTO;
  }
  if (strcmp(s, "enforce") == 0) {
    return MTS_PLAN_MODE_ENFORCE;
  }
  if (strcmp(s, "testing") == 0) {
    return MTS_PLAN_MODE_TESTING;
  }
  if (strcmp(s, "none") == 0) {
    return MTS_PLAN_MODE_NONE;
  }
  return MTS_PLAN_MODE_AUTO;
}

/* ---- R196: readiness ------------------------------------------------------
 */

struct codes {
  const char *v[MTS_F__COUNT + 8];
  size_t n;
};

static void
codes_add(struct codes *c, const char *name)
{
  for (size_t i = 0; i < c->n; i++) {
    if (strcmp(c->v[i], name) == 0) {
      return;
    }
  }
  if (c->n < sizeof(c->v) / sizeof(c->v[0])) {
    c->v[c->n++] = name;
  }
}

static int
is_smtp_failure(enum mts_code code)
{
  switch (code) {
    case MTS_F_MX_STARTTLS_MISSING:
    case MTS_F_MX_STARTTLS_FAILED:
    case MTS_F_MX_TLS_OLD_VERSION:
    case MTS_F_MX_CERT_UNTRUSTED:
    case MTS_F_MX_CERT_EXPIRED:
    case MTS_F_MX_CERT_NAME_MISMATCH:
      return 1;
    default:
      return 0;
  }
}

/* The findings of one family ("TLSRPT_", "POLICY_") at \p sev or worse. */
static size_t
codes_add_family(struct codes *c, const struct mts_result *r,
                 const char *prefix, enum mts_severity sev)
{
  size_t added = 0, plen = strlen(prefix);

  for (size_t i = 0; i < r->findings.n; i++) {
    const struct mts_finding *f = &r->findings.v[i];
    const char *name = mts_code_name(f->code);
    if (f->severity < sev || strncmp(name, prefix, plen) != 0 ||
        mts_code_is_lookup_failure(f->code) ||
        f->code == MTS_F_POLICY_CHANGED_ID_UNCHANGED ||
        f->code == MTS_F_POLICY_ID_CHANGED_POLICY_SAME ||
        f->code == MTS_F_POLICY_IGNORED_NO_RECORD) {
      continue;
    }
    codes_add(c, name);
    added++;
  }
  return added;
}

static void
judge_ready(const struct mts_result *r, struct codes *no, struct codes *unk)
{
  int usable = 0;

  /* An MX host failed the SMTP probe (R166). */
  for (size_t i = 0; i < r->findings.n; i++) {
    if (is_smtp_failure(r->findings.v[i].code)) {
      codes_add(no, mts_code_name(r->findings.v[i].code));
    }
  }
  /* A DANE mismatch (R169): DANE senders refuse the host whatever the
   * MTA-STS mode. (A failed TLSA lookup is a lookup failure: null.) */
  if (mts_findings_has(&r->findings, MTS_F_MX_DANE_MISMATCH)) {
    codes_add(no, mts_code_name(MTS_F_MX_DANE_MISMATCH));
  }

  /* The _smtp._tls record missing or invalid. */
  if (r->tlsrpt.record.status == MTS_REC_MISSING) {
    codes_add(no, mts_code_name(MTS_F_TLSRPT_RECORD_MISSING));
  } else if (r->tlsrpt.record.status == MTS_REC_INVALID) {
    if (codes_add_family(no, r, "TLSRPT_", MTS_SEV_ERROR) == 0 &&
        codes_add_family(no, r, "TLSRPT_", MTS_SEV_WARNING) == 0) {
      codes_add(no, mts_code_name(MTS_F_TLSRPT_RECORD_SYNTAX));
    }
  }

  /* The policy host not serving a valid policy. */
  switch (r->policy.status) {
    case MTS_POLICY_VALID:
      break;
    case MTS_POLICY_INVALID:
    case MTS_POLICY_UNREACHABLE:
      if (codes_add_family(no, r, "POLICY_", MTS_SEV_ERROR) == 0) {
        codes_add(no, "POLICY_NOT_SERVED");
      }
      break;
    case MTS_POLICY_NOT_CHECKED:
      if (r->sts.record.status == MTS_REC_VALID) {
        codes_add(unk, "POLICY_NOT_CHECKED"); /* not fetched */
      } else {
        codes_add(no, "POLICY_NOT_SERVED"); /* nothing deployed */
      }
      break;
  }

  /* What could not be checked: lookups, probes that did not run. */
  for (size_t i = 0; i < r->findings.n; i++) {
    enum mts_code code = r->findings.v[i].code;
    if (mts_code_is_lookup_failure(code) || code == MTS_F_MX_SMTP_UNREACHABLE ||
        code == MTS_F_MX_TARGET_UNRESOLVABLE) {
      codes_add(unk, mts_code_name(code));
    }
  }
  for (size_t i = 0; i < r->mx.n_hosts; i++) {
    const struct mts_mx_host *h = &r->mx.hosts[i];
    if (h->name[0] == '\0') {
      continue;
    }
    usable = 1;
    for (size_t k = 0; h->addrs_known && k < h->n_addrs; k++) {
      const struct mts_smtp_view *v = h->addrs[k].smtp;
      if (v == NULL || v->status == MTS_SMTP_NOT_CHECKED) {
        codes_add(unk, "MX_TLS_NOT_CHECKED");
      }
    }
    if (!h->addrs_known) {
      codes_add(unk, "MX_TLS_NOT_CHECKED");
    }
  }
  if (r->mx.tls_ok == 0 && no->n == 0) {
    codes_add(no, mts_code_name(MTS_F_MX_STARTTLS_FAILED));
  }
  if (!usable && hosts_known(r)) {
    codes_add(no, mts_code_name(has_null_mx(r) ? MTS_F_MX_NULL
                                               : MTS_F_MX_RECORDS_MISSING));
  }
}

static enum mts_err
set_ready(const struct mts_result *r, struct mts_plan *p)
{
  struct codes no, unk;
  const struct codes *use;

  no.n = unk.n = 0;
  judge_ready(r, &no, &unk);
  p->ready = no.n > 0 ? 0 : unk.n > 0 ? -1 : 1;
  use = no.n > 0 ? &no : &unk;
  if (use->n == 0) {
    return MTS_OK;
  }
  p->blockers = malloc(use->n * sizeof(*p->blockers));
  if (p->blockers == NULL) {
    return MTS_ENOMEM;
  }
  memcpy(p->blockers, use->v, use->n * sizeof(*p->blockers));
  p->n_blockers = use->n;
  return MTS_OK;
}

/* ---- R188, R195: the mx lines ----------------------------------------------
 */

static enum mts_err
mx_push(struct mts_plan *p, const char *s)
{
  char **v = realloc(p->policy.mx, (p->policy.n_mx + 1) * sizeof(*v));
  if (v == NULL) {
    return MTS_ENOMEM;
  }
  p->policy.mx = v;
  v[p->policy.n_mx] = strdup(s);
  if (v[p->policy.n_mx] == NULL) {
    return MTS_ENOMEM;
  }
  p->policy.n_mx++;
  return MTS_OK;
}

static enum mts_err
removed_push(struct mts_plan *p, const char *pattern, const char *reason)
{
  struct mts_plan_removed *v =
      realloc(p->removed, (p->n_removed + 1) * sizeof(*v));
  if (v == NULL) {
    return MTS_ENOMEM;
  }
  p->removed = v;
  v[p->n_removed].pattern = strdup(pattern);
  v[p->n_removed].reason = reason;
  if (v[p->n_removed].pattern == NULL) {
    return MTS_ENOMEM;
  }
  p->n_removed++;
  return MTS_OK;
}

/* A name the policy body can carry as it is: letters, digits, '-', '_',
 * '.', at most 253 octets, a leading "*." only when \p wild. Anything else
 * (a byte from the network that no MX host name holds) never reaches the
 * body. */
static int
pattern_ok(const char *s, int wild)
{
  size_t n = strlen(s);

  if (wild && strncmp(s, "*.", 2) == 0) {
    s += 2;
    n -= 2;
  }
  if (n == 0 || n > 253 || s[0] == '.') {
    return 0;
  }
  for (; *s != '\0'; s++) {
    char c = *s;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) {
      return 0;
    }
  }
  return 1;
}

static int
mx_has(const struct mts_plan *p, const char *s)
{
  for (size_t i = 0; i < p->policy.n_mx; i++) {
    if (strcasecmp(p->policy.mx[i], s) == 0) {
      return 1;
    }
  }
  return 0;
}

static int
mx_covers(const struct mts_plan *p, const char *host)
{
  for (size_t i = 0; i < p->policy.n_mx; i++) {
    if (mts_name_match(p->policy.mx[i], host)) {
      return 1;
    }
  }
  return 0;
}

static enum mts_err
plan_mx(const struct mts_result *r, struct mts_plan *p)
{
  enum mts_err err = MTS_OK;
  int parsed = r->policy.status == MTS_POLICY_VALID ||
               r->policy.status == MTS_POLICY_INVALID;
  size_t n_live = parsed ? r->policy.n_mx : 0;
  int known = hosts_known(r);

  /* R195: mode none keeps the live lines as they are. */
  if (p->policy.mode == MTS_PLAN_MODE_NONE) {
    for (size_t k = 0; k < n_live && err == MTS_OK; k++) {
      if (!pattern_ok(r->policy.mx[k], 1)) {
        err = removed_push(p, r->policy.mx[k], reason_bad);
      } else if (!mx_has(p, r->policy.mx[k])) {
        err = mx_push(p, r->policy.mx[k]);
      }
    }
    return err;
  }
  /* R188: a live pattern stays while it matches a live host. When the MX
   * hosts are not known (the lookup failed), nothing is dropped. */
  for (size_t k = 0; k < n_live && err == MTS_OK; k++) {
    const char *pat = r->policy.mx[k];
    int used = !known;
    if (!pattern_ok(pat, 1)) {
      err = removed_push(p, pat, reason_bad);
      continue;
    }
    if (mx_has(p, pat)) {
      err = removed_push(p, pat, reason_dup);
      continue;
    }
    for (size_t i = 0; i < r->mx.n_hosts && !used; i++) {
      used = r->mx.hosts[i].name[0] != '\0' &&
             mts_name_match(pat, r->mx.hosts[i].name);
    }
    err = used ? mx_push(p, pat) : removed_push(p, pat, reason_unused);
  }
  /* A live host no kept pattern matches: its exact name, never a new
   * wildcard. */
  for (size_t i = 0; i < r->mx.n_hosts && err == MTS_OK; i++) {
    const char *host = r->mx.hosts[i].name;
    if (host[0] != '\0' && pattern_ok(host, 0) && !mx_covers(p, host)) {
      err = mx_push(p, host);
    }
  }
  return err;
}

/* ---- R189: mode and max_age
 * -------------------------------------------------- */

static void
plan_mode(const struct mts_result *r, const struct mts_plan_opts *o,
          struct mts_plan *p)
{
  int valid = live_valid(r);
  enum mts_plan_mode live =
      valid ? mode_of(r->policy.mode) : MTS_PLAN_MODE_AUTO;
  enum mts_plan_mode m = o->mode;

  if (m == MTS_PLAN_MODE_AUTO) {
    if (has_null_mx(r)) {
      m = MTS_PLAN_MODE_NONE; /* R195 */
    } else if (live == MTS_PLAN_MODE_AUTO) {
      m = MTS_PLAN_MODE_TESTING;
    } else if (live == MTS_PLAN_MODE_TESTING) {
      m = p->ready == 1 ? MTS_PLAN_MODE_ENFORCE : MTS_PLAN_MODE_TESTING;
    } else {
      m = live;
    }
  }
  p->policy.mode = m;
  if (o->max_age >= 0) {
    p->policy.max_age = o->max_age;
    return;
  }
  switch (m) {
    case MTS_PLAN_MODE_ENFORCE:
      /* A live enforce policy keeps its max_age, raised to a week. */
      p->policy.max_age =
          live == MTS_PLAN_MODE_ENFORCE && r->policy.max_age > WEEK
              ? r->policy.max_age
              : WEEK;
      break;
    case MTS_PLAN_MODE_AUTO:
    case MTS_PLAN_MODE_TESTING:
    case MTS_PLAN_MODE_NONE:
      p->policy.max_age = valid ? r->policy.max_age : DAY;
      break;
  }
}

static enum mts_err
plan_body(struct mts_plan *p)
{
  size_t len = 0, cap = 64;
  char *b;

  for (size_t i = 0; i < p->policy.n_mx; i++) {
    cap += strlen(p->policy.mx[i]) + 6;
  }
  b = malloc(cap);
  if (b == NULL) {
    return MTS_ENOMEM;
  }
  len += (size_t)snprintf(b + len, cap - len, "version: STSv1\r\nmode: %s\r\n",
                          mts_plan_mode_str(p->policy.mode));
  for (size_t i = 0; i < p->policy.n_mx; i++) {
    len += (size_t)snprintf(b + len, cap - len, "mx: %s\r\n", p->policy.mx[i]);
  }
  len += (size_t)snprintf(b + len, cap - len, "max_age: %ld\r\n",
                          p->policy.max_age);
  p->policy.body = b;
  p->policy.body_len = len;
  return MTS_OK;
}

/* The recommended policy equals the live one field by field (the canonical
 * comparison of --state). */
static enum mts_err
policy_same(const struct mts_result *r, const struct mts_plan *p, int *same)
{
  uint64_t a, b;

  *same = 0;
  if (!live_valid(r) ||
      strcmp(r->policy.mode, mts_plan_mode_str(p->policy.mode)) != 0 ||
      r->policy.max_age != p->policy.max_age) {
    return MTS_OK;
  }
  if (mts_state_policy_hash(r->policy.mode, r->policy.max_age, r->policy.mx,
                            r->policy.n_mx, &a) != MTS_OK ||
      mts_state_policy_hash(mts_plan_mode_str(p->policy.mode),
                            p->policy.max_age, p->policy.mx, p->policy.n_mx,
                            &b) != MTS_OK) {
    return MTS_ENOMEM;
  }
  *same = a == b;
  return MTS_OK;
}

/* ---- R190: TLS-RPT
 * ------------------------------------------------------------- */

/* The live record's text, when it is valid. */
static const char *
live_tlsrpt(const struct mts_result *r)
{
  if (r->tlsrpt.record.status != MTS_REC_VALID) {
    return NULL;
  }
  for (size_t i = 0; i < r->tlsrpt.record.n_txt; i++) {
    const struct mts_buf *t = &r->tlsrpt.record.txt[i];
    if (t->len >= 10 && memcmp(t->data, "v=TLSRPTv1", 10) == 0 &&
        memchr(t->data, '\0', t->len) == NULL) {
      return t->data;
    }
  }
  return NULL;
}

/* The live rua set equals the given one (order and repeats aside). */
static int
rua_same(const struct mts_result *r, char *const *rua, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    int found = 0;
    for (size_t k = 0; k < r->tlsrpt.n_rua && !found; k++) {
      found = strcmp(rua[i], r->tlsrpt.rua[k]) == 0;
    }
    if (!found) {
      return 0;
    }
  }
  for (size_t k = 0; k < r->tlsrpt.n_rua; k++) {
    int found = 0;
    for (size_t i = 0; i < n && !found; i++) {
      found = strcmp(rua[i], r->tlsrpt.rua[k]) == 0;
    }
    if (!found) {
      return 0;
    }
  }
  return 1;
}

static enum mts_err
plan_tlsrpt(const struct mts_result *r, const struct mts_plan_opts *o,
            struct mts_plan *p, int *mailbox)
{
  const char *live = live_tlsrpt(r);

  *mailbox = 0;
  p->tlsrpt.name = xprintf("_smtp._tls.%s", r->domain);
  if (p->tlsrpt.name == NULL) {
    return MTS_ENOMEM;
  }
  if (live != NULL && (o->n_rua == 0 || rua_same(r, o->rua, o->n_rua))) {
    p->tlsrpt.value = strdup(live);
    p->tlsrpt.changed = 0;
  } else if (o->n_rua > 0) {
    size_t cap = 32, len;
    for (size_t i = 0; i < o->n_rua; i++) {
      cap += strlen(o->rua[i]) + 1;
    }
    p->tlsrpt.value = malloc(cap);
    if (p->tlsrpt.value == NULL) {
      return MTS_ENOMEM;
    }
    len = (size_t)snprintf(p->tlsrpt.value, cap, "v=TLSRPTv1; rua=");
    for (size_t i = 0; i < o->n_rua; i++) {
      len += (size_t)snprintf(p->tlsrpt.value + len, cap - len, "%s%s",
                              i ? "," : "", o->rua[i]);
    }
    p->tlsrpt.changed = 1;
  } else {
    p->tlsrpt.value = xprintf("v=TLSRPTv1; rua=mailto:tlsrpt@%s", r->domain);
    p->tlsrpt.changed = 1;
    *mailbox = 1;
  }
  return p->tlsrpt.value != NULL ? MTS_OK : MTS_ENOMEM;
}

/* ---- R191, R204: the _mta-sts record ----------------------------------------
 */

static enum mts_err
plan_sts(const struct mts_result *r, const struct mts_plan_opts *o,
         struct mts_plan *p)
{
  const char *live = r->sts.record.status == MTS_REC_VALID ? r->sts.id : NULL;
  char id[32];
  long long t = o->now;

  p->sts.name = xprintf("_mta-sts.%s", r->domain);
  if (p->sts.name == NULL) {
    return MTS_ENOMEM;
  }
  if (live != NULL && !p->policy.changed &&
      !mts_findings_has(&r->findings, MTS_F_POLICY_CHANGED_ID_UNCHANGED)) {
    p->sts.value = xprintf("v=STSv1; id=%s;", live);
    p->sts.changed = 0;
    return p->sts.value != NULL ? MTS_OK : MTS_ENOMEM;
  }
  /* The run's time; a second later while it equals the live id. */
  do {
    if (mts_plan_id_from_time(t++, id, sizeof(id)) != 0) {
      return MTS_EINVAL;
    }
  } while (r->sts.id != NULL && strcmp(id, r->sts.id) == 0);
  p->sts.value = xprintf("v=STSv1; id=%s;", id);
  p->sts.changed = 1;
  return p->sts.value != NULL ? MTS_OK : MTS_ENOMEM;
}

/* ---- R192: the steps --------------------------------------------------------
 */

/* A step's sentence in English (JSON) and in the user's language (text):
 * \p fmt is English, marked N_(); its translation is formatted with the
 * same arguments (mts_vformat2). */
static enum mts_err step_push(struct mts_plan *p, enum mts_plan_action a,
                              long long not_before, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum mts_err
step_push(struct mts_plan *p, enum mts_plan_action a, long long not_before,
          const char *fmt, ...)
{
  struct mts_plan_step *v;
  char *en, *loc;
  size_t size;
  va_list ap;
  int n;

  /* Sized from the English sentence (a kept record's value may be long),
   * with room for a translation up to four times as many bytes (UTF-8). */
  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  size = 4 * (size_t)(n > 0 ? n : 0) + 1024;
  en = malloc(size);
  loc = malloc(size);
  v = realloc(p->steps, (p->n_steps + 1) * sizeof(*v));
  if (en == NULL || loc == NULL || v == NULL) {
    free(en);
    free(loc);
    if (v != NULL) {
      p->steps = v;
    }
    return MTS_ENOMEM;
  }
  va_start(ap, fmt);
  mts_vformat2(en, loc, size, fmt, ap);
  va_end(ap);
  p->steps = v;
  v[p->n_steps].action = a;
  v[p->n_steps].text = en;
  v[p->n_steps].text_local = loc;
  v[p->n_steps].not_before = not_before;
  p->n_steps++;
  return MTS_OK;
}

static enum mts_err
plan_steps(const struct mts_result *r, const struct mts_plan_opts *o,
           struct mts_plan *p, int mailbox)
{
  enum mts_err err = MTS_OK;
  const char *d = r->domain;
  int had_record = r->sts.record.status == MTS_REC_VALID ||
                   r->sts.record.status == MTS_REC_INVALID;
  int had_policy = live_valid(r);

  /* Whole sentences (no word spliced in), so that each translates. */
  if (p->tlsrpt.changed) {
    err = step_push(
        p, MTS_PLAN_TLSRPT_RECORD, -1,
        r->tlsrpt.record.status == MTS_REC_MISSING
            ? N_("Publish the TXT record %s as \"%s\": reports should flow "
                 "before senders start applying a policy, so that its first "
                 "failures are seen.")
            : N_("Replace the TXT record %s as \"%s\": reports should flow "
                 "before senders start applying a policy, so that its first "
                 "failures are seen."),
        p->tlsrpt.name, p->tlsrpt.value);
  }
  if (err == MTS_OK && mailbox) {
    err = step_push(p, MTS_PLAN_CREATE_MAILBOX, -1,
                    N_("Create the mailbox tlsrpt@%s: the reports are "
                       "mailed there (or give --rua for another address)."),
                    d);
  }
  if (err == MTS_OK && p->policy.changed) {
    err = step_push(
        p, MTS_PLAN_POLICY_FILE, -1,
        N_("Serve the recommended policy at %s, with a certificate valid for "
           "mta-sts.%s: senders must find the new policy before they see a "
           "new id."),
        p->policy.url, d);
  }
  if (err == MTS_OK && p->sts.changed) {
    err = step_push(
        p, MTS_PLAN_STS_RECORD, -1,
        !p->policy.changed
            ? (had_record
                   ? N_("Replace the TXT record %s as \"%s\": the policy "
                        "served differs from the one senders cached under "
                        "the current id, and only a new id makes them fetch "
                        "it again.")
                   : N_("Publish the TXT record %s as \"%s\": the policy "
                        "served differs from the one senders cached under "
                        "the current id, and only a new id makes them fetch "
                        "it again."))
        : had_record ? N_("Replace the TXT record %s as \"%s\": a new id "
                          "tells senders to fetch the policy again.")
                     : N_("Publish the TXT record %s as \"%s\": a new id "
                          "tells senders to fetch the policy again."),
        p->sts.name, p->sts.value);
  }
  if (err == MTS_OK && (p->sts.changed || p->policy.changed) &&
      (had_record || had_policy || o->old_policy_until > o->now)) {
    long long until = o->now;
    char when[64];
    if (had_record && r->sts.record.ttl > 0) {
      until = o->now + r->sts.record.ttl;
    }
    if (had_policy && o->now + r->policy.max_age > until) {
      until = o->now + r->policy.max_age;
    }
    /* Stale caches (R201): the check's "old_policy_until" (--state). */
    if (o->old_policy_until > until) {
      until = o->old_policy_until;
    }
    if (until > o->now) {
      format_utc(until, when, sizeof(when));
      if (p->policy.mode == MTS_PLAN_MODE_NONE) {
        err = step_push(
            p, MTS_PLAN_WAIT, until,
            N_("Wait until %s before deleting the _mta-sts record and the "
               "policy: senders that fetched the old policy may apply it "
               "until max_age after their last fetch."),
            when);
      } else {
        err = step_push(
            p, MTS_PLAN_WAIT, until,
            N_("Wait until %s: resolvers may answer with the old _mta-sts "
               "record for up to its TTL, and senders that fetched the old "
               "policy may keep it until max_age after their last fetch; keep "
               "every MX host the old policy names in service until then, and "
               "remove none before that date."),
            when);
      }
    }
  }
  return err;
}

/* ---- the plan
 * ----------------------------------------------------------------- */

enum mts_err
mts_plan_build(const struct mts_result *r, const struct mts_plan_opts *opts,
               struct mts_plan *out)
{
  struct mts_plan p;
  enum mts_err err;
  int same = 0, mailbox = 0;

  if (opts->max_age > MTS_PLAN_MAX_AGE_MAX || opts->max_age < -1) {
    return MTS_EINVAL;
  }
  mts_plan_init(&p);
  p.domain = strdup(r->domain);
  p.policy.url =
      xprintf("https://mta-sts.%s/.well-known/mta-sts.txt", r->domain);
  if (p.domain == NULL || p.policy.url == NULL) {
    err = MTS_ENOMEM;
    goto done;
  }
  err = set_ready(r, &p);
  if (err != MTS_OK) {
    goto done;
  }
  plan_mode(r, opts, &p);
  err = plan_mx(r, &p);
  if (err == MTS_OK) {
    err = plan_body(&p);
  }
  if (err == MTS_OK) {
    err = policy_same(r, &p, &same);
  }
  if (err != MTS_OK) {
    goto done;
  }
  p.policy.changed = !same;
  err = plan_tlsrpt(r, opts, &p, &mailbox);
  if (err == MTS_OK) {
    err = plan_sts(r, opts, &p);
  }
  if (err == MTS_OK) {
    err = plan_steps(r, opts, &p, mailbox);
  }
done:
  if (err != MTS_OK) {
    mts_plan_release(&p);
    return err;
  }
  *out = p;
  return MTS_OK;
}

int
mts_plan_exit(const struct mts_plan *p, enum mts_status live)
{
  if (live == MTS_STATUS_ERROR || live == MTS_STATUS_UNKNOWN) {
    return mts_status_exit(live);
  }
  return p->sts.changed || p->tlsrpt.changed || p->policy.changed ||
                 p->n_steps > 0
             ? 1
             : 0;
}
