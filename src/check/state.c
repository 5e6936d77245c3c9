#define _XOPEN_SOURCE 700 /* realpath(3) */
#include "mtasts/check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "mtasts/i18n.h"
#include "mtasts/civil.h"
#include "mtasts/rules.h"

/* The state file (docs/state.md):
 *
 *   {"kind":"mtasts-check-state","version":2,"written_by":"mtasts-check X",
 *    "updated_at":"2026-11-28T09:00:00Z","domains":{
 *   "example.com":{"last_checked":"...","fields":{
 *     "mta_sts.record.id":{"value":"2019...","first_seen":"...",
 *                          "last_seen":"..."}, ...},
 *    "sender_cache":{"id":"2019...","policy_hash":"fnv1a64:<16 hex>",
 *                    "max_age":604800,"first_seen":"...","mode":"enforce",
 *                    "mx":["mx1..."],"last_seen":"..."},
 *    "previous_policy":{"id":"...","mode":"enforce","max_age":604800,
 *                       "mx":["mx..."],"last_seen":"..."}},
 *   ...
 *   }}
 *
 * one domain a line, sorted, so that the file diffs and greps well. It is
 * read strictly: anything we would not have written is an error, and the
 * file is then left alone (rewriting it would lose what we do not know). */

#define STATE_KIND "mtasts-check-state"
/* Version 2 (rollout.md R200) adds the sender cache's mode, mx and
 * last_seen, and previous_policy; version 1 files are still read. */
#define STATE_VERSION 2
/* A state file above this size is refused rather than read into memory. */
#define STATE_MAX_SIZE (1024L * 1024L * 1024L)
#define LOCK_WAIT_MS 30000L
#define LOCK_POLL_MS 20L
/* Longest string kept in a value: an rua URI, an mx pattern, an id. */
#define VALUE_MAX_LEN 2048
#define HASH_PREFIX "fnv1a64:"
/* How the first line of the layout we write ends. */
#define HEADER_END "\"domains\":{\n"
#define HEADER_END_LEN (sizeof(HEADER_END) - 1)
/* RFC 8461 §3.2: max_age is at most 31557600. */
#define MAX_AGE_MAX 31557600L

static const char *const field_names[MTS_SF__COUNT] = {
    [MTS_SF_STS_ID] = "mta_sts.record.id",
    [MTS_SF_POLICY_MODE] = "mta_sts.policy.mode",
    [MTS_SF_POLICY_MAX_AGE] = "mta_sts.policy.max_age",
    [MTS_SF_POLICY_MX] = "mta_sts.policy.mx",
    [MTS_SF_TLSRPT_RUA] = "tls_rpt.record.rua",
};

const char *
mts_state_field_name(enum mts_state_field f)
{
  return f < MTS_SF__COUNT ? field_names[f] : "?";
}

/* ---- time --------------------------------------------------------------- */

/* "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes). \return 0, or -1
 * when t is not representable. */
static int
format_time(long long t, char *buf, size_t size)
{
  struct tm tm;
  time_t tt;

  /* 253402300799 is 9999-12-31T23:59:59Z. */
  if (t < 0 || t > 253402300799LL || (long long)(time_t)t != t) {
    return -1;
  }
  tt = (time_t)t;
  if (gmtime_r(&tt, &tm) == NULL ||
      strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
    return -1;
  }
  return 0;
}

static int
digits(const char *s, size_t n, unsigned *out)
{
  unsigned v = 0;

  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') {
      return -1;
    }
    v = v * 10 + (unsigned)(s[i] - '0');
  }
  *out = v;
  return 0;
}

/* Exactly "YYYY-MM-DDTHH:MM:SSZ" (what format_time writes). */
static int
parse_time(const char *s, long long *out)
{
  static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30,
                                     31, 31, 30, 31, 30, 31};
  unsigned y, mo, d, h, mi, sec;

  if (strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
      s[13] != ':' || s[16] != ':' || s[19] != 'Z' || digits(s, 4, &y) != 0 ||
      digits(s + 5, 2, &mo) != 0 || digits(s + 8, 2, &d) != 0 ||
      digits(s + 11, 2, &h) != 0 || digits(s + 14, 2, &mi) != 0 ||
      digits(s + 17, 2, &sec) != 0) {
    return -1;
  }
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
      mi > 59 || sec > 59) {
    return -1;
  }
  *out = mts_days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + sec;
  return 0;
}

/* ---- canonical values ---------------------------------------------------- */

static int
cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A sorted copy of v[0..n) without duplicates (the strings are borrowed).
 * \return the array (free it; NULL with *m = 0 when n = 0 is fine too), or
 * NULL when out of memory. */
static const char **
sorted_set(char *const *v, size_t n, size_t *m)
{
  const char **s = malloc((n ? n : 1) * sizeof(*s));
  size_t k = 0;

  if (s == NULL) {
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    s[i] = v[i];
  }
  qsort(s, n, sizeof(*s), cmp_str);
  for (size_t i = 0; i < n; i++) {
    if (k == 0 || strcmp(s[k - 1], s[i]) != 0) {
      s[k++] = s[i];
    }
  }
  *m = k;
  return s;
}

/* JSON text of a cJSON item (consumed). NULL when out of memory. */
static char *
print_item(cJSON *item)
{
  char *text, *copy;

  if (item == NULL) {
    return NULL;
  }
  text = cJSON_PrintUnformatted(item);
  cJSON_Delete(item);
  if (text == NULL) {
    return NULL;
  }
  copy = strdup(text);
  cJSON_free(text);
  return copy;
}

static char *
json_string(const char *s)
{
  return print_item(s ? cJSON_CreateString(s) : cJSON_CreateNull());
}

static char *
json_number(long v)
{
  char buf[24];

  snprintf(buf, sizeof(buf), "%ld", v);
  return strdup(buf);
}

/* A sorted JSON array of the distinct strings of v[0..n). */
static char *
json_set(char *const *v, size_t n)
{
  const char **s;
  cJSON *arr;
  size_t m = 0;

  s = sorted_set(v, n, &m);
  if (s == NULL) {
    return NULL;
  }
  arr = cJSON_CreateArray();
  for (size_t i = 0; arr != NULL && i < m; i++) {
    cJSON *it = cJSON_CreateString(s[i]);
    if (it == NULL || !cJSON_AddItemToArray(arr, it)) {
      cJSON_Delete(it);
      cJSON_Delete(arr);
      arr = NULL;
    }
  }
  free(s);
  return print_item(arr);
}

static uint64_t
fnv1a(uint64_t h, const char *s)
{
  for (; *s != '\0'; s++) {
    h ^= (unsigned char)*s;
    h *= 0x100000001b3ULL;
  }
  return h;
}

enum mts_err
mts_state_policy_hash(const char *mode, long max_age, char *const *mx,
                      size_t n_mx, uint64_t *out)
{
  uint64_t h = 0xcbf29ce484222325ULL;
  const char **s;
  char num[24];
  size_t m = 0;

  s = sorted_set(mx, n_mx, &m);
  if (s == NULL) {
    return MTS_ENOMEM;
  }
  snprintf(num, sizeof(num), "%ld", max_age);
  h = fnv1a(h, "version: STSv1\nmode: ");
  h = fnv1a(h, mode ? mode : "");
  h = fnv1a(h, "\nmax_age: ");
  h = fnv1a(h, num);
  h = fnv1a(h, "\n");
  for (size_t i = 0; i < m; i++) {
    h = fnv1a(h, "mx: ");
    h = fnv1a(h, s[i]);
    h = fnv1a(h, "\n");
  }
  free(s);
  *out = h;
  return MTS_OK;
}

/* ---- the comparison (pure) ---------------------------------------------- */

void
mts_state_entry_release(struct mts_state_entry *e)
{
  free(e->domain);
  for (int i = 0; i < MTS_SF__COUNT; i++) {
    free(e->field[i].json);
  }
  free(e->cache_id);
  free(e->cache_mode);
  free(e->cache_mx);
  free(e->prev_id);
  free(e->prev_mode);
  free(e->prev_mx);
  memset(e, 0, sizeof(*e));
}

/* Copy the string *p in place (NULL stays NULL). \return 0 or -1. */
static int
dup_in_place(char **p)
{
  if (*p != NULL && (*p = strdup(*p)) == NULL) {
    return -1;
  }
  return 0;
}

/* Deep copy; \return 0 or -1 (out of memory; dst released). */
static int
entry_copy(struct mts_state_entry *dst, const struct mts_state_entry *src)
{
  char **owned[] = {&dst->domain,   &dst->cache_id, &dst->cache_mode,
                    &dst->cache_mx, &dst->prev_id,  &dst->prev_mode,
                    &dst->prev_mx};
  int failed = 0;

  *dst = *src;
  for (int i = 0; i < MTS_SF__COUNT; i++) {
    dst->field[i].json = NULL;
  }
  /* On failure the rest are set to NULL so that release frees only ours. */
  for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++) {
    if (failed) {
      *owned[i] = NULL;
    } else if (dup_in_place(owned[i]) != 0) {
      failed = 1;
    }
  }
  if (failed) {
    mts_state_entry_release(dst);
    return -1;
  }
  for (int i = 0; i < MTS_SF__COUNT; i++) {
    if (src->field[i].json != NULL) {
      dst->field[i].json = strdup(src->field[i].json);
      if (dst->field[i].json == NULL) {
        mts_state_entry_release(dst);
        return -1;
      }
    }
  }
  return 0;
}

static int
valid_id(const char *s)
{
  size_t n = strlen(s);

  /* RFC 8461 §3.1: sts-id = 1*32( ALPHA / DIGIT ). */
  if (n < 1 || n > 32) {
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9'))) {
      return 0;
    }
  }
  return 1;
}

/* Strings we store are printable ASCII: ids, modes, host names, URIs.
 * The writer stores only what the reader accepts (observe), so that a file
 * the tool wrote never stops its next run. */
static int
storable(const char *s)
{
  size_t n = strlen(s);

  if (n == 0 || n > VALUE_MAX_LEN) {
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c > 0x7e) {
      return 0;
    }
  }
  return 1;
}

static int
storable_all(char *const *v, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    if (v[i] == NULL || !storable(v[i])) {
      return 0;
    }
  }
  return 1;
}

static int
valid_mode(const char *s)
{
  return s != NULL && (strcmp(s, "enforce") == 0 || strcmp(s, "testing") == 0 ||
                       strcmp(s, "none") == 0);
}

/* A valid policy whose fields the state file can hold. */
static int
policy_storable(const struct mts_result *r)
{
  return r->policy.status == MTS_POLICY_VALID && valid_mode(r->policy.mode) &&
         r->policy.max_age >= 0 && r->policy.max_age <= MAX_AGE_MAX &&
         storable_all(r->policy.mx, r->policy.n_mx);
}

/* What this run saw of each field: canonical JSON, or NULL when it could
 * not see it (the field keeps its old value). \return 0 or -1 (OOM). */
static int
observe(const struct mts_result *r, char *obs[MTS_SF__COUNT])
{
  enum mts_record_status sts = r->sts.record.status;
  enum mts_record_status rpt = r->tlsrpt.record.status;

  /* A record known to be absent or broken has no id: a change worth
   * telling. A failed lookup (unknown) tells nothing. */
  if (sts == MTS_REC_VALID && r->sts.id != NULL && valid_id(r->sts.id)) {
    if ((obs[MTS_SF_STS_ID] = json_string(r->sts.id)) == NULL) {
      return -1;
    }
  } else if (sts == MTS_REC_MISSING || sts == MTS_REC_INVALID) {
    if ((obs[MTS_SF_STS_ID] = json_string(NULL)) == NULL) {
      return -1;
    }
  }
  if (policy_storable(r)) {
    /* rfc-rules R100: the parsed fields, not the bytes. */
    obs[MTS_SF_POLICY_MODE] = json_string(r->policy.mode);
    obs[MTS_SF_POLICY_MAX_AGE] = json_number(r->policy.max_age);
    obs[MTS_SF_POLICY_MX] = json_set(r->policy.mx, r->policy.n_mx);
    if (obs[MTS_SF_POLICY_MODE] == NULL || obs[MTS_SF_POLICY_MAX_AGE] == NULL ||
        obs[MTS_SF_POLICY_MX] == NULL) {
      return -1;
    }
  }
  if (rpt == MTS_REC_VALID && storable_all(r->tlsrpt.rua, r->tlsrpt.n_rua)) {
    if ((obs[MTS_SF_TLSRPT_RUA] = json_set(r->tlsrpt.rua, r->tlsrpt.n_rua)) ==
        NULL) {
      return -1;
    }
  } else if (rpt == MTS_REC_MISSING || rpt == MTS_REC_INVALID) {
    if ((obs[MTS_SF_TLSRPT_RUA] = json_string(NULL)) == NULL) {
      return -1;
    }
  }
  return 0;
}

/* A time for a message: "2026-12-05 09:30:00 UTC" (rollout.md R205: the
 * zone is named). */
static void
message_time(long long t, char *buf, size_t size)
{
  char iso[32];

  if (format_time(t, iso, sizeof(iso)) != 0) {
    snprintf(buf, size, "?");
    return;
  }
  iso[10] = ' ';
  iso[19] = '\0'; /* drop the Z */
  snprintf(buf, size, "%s UTC", iso);
}

/* Does one of the patterns of \p mx_json (a canonical JSON array, as
 * json_set makes it) match \p host? \return 1, 0, or -1 (out of memory). */
static int
patterns_match(const char *mx_json, const char *host)
{
  cJSON *arr = cJSON_Parse(mx_json), *it;
  int found = 0;

  if (arr == NULL) {
    return -1;
  }
  cJSON_ArrayForEach(it, arr)
  {
    if (cJSON_IsString(it) && mts_name_match(it->valuestring, host)) {
      found = 1;
      break;
    }
  }
  cJSON_Delete(arr);
  return found;
}

/* The mode held by a field value "\"enforce\"", as a new string, or NULL. */
static char *
mode_of_json(const char *json)
{
  size_t n = json != NULL ? strlen(json) : 0;
  char *m;

  if (n < 3 || json[0] != '"' || json[n - 1] != '"') {
    return NULL;
  }
  m = strndup(json + 1, n - 2);
  if (m != NULL && !valid_mode(m)) {
    free(m);
    m = NULL;
  }
  return m;
}

/* The cached policy (the one under e->cache_id) becomes the previous one:
 * a new id came with a new policy. \p prev is the entry before this run
 * (for what a version 1 file did not record). \return 0 or -1 (OOM). */
static int
cache_to_prev(struct mts_state_entry *e, const struct mts_state_entry *prev)
{
  free(e->prev_id);
  free(e->prev_mode);
  free(e->prev_mx);
  e->prev_id = e->cache_id;
  e->prev_max_age = e->cache_max_age;
  /* Not recorded (a version 1 file): the previous run saw it last, with
   * the fields it saw then. */
  e->prev_last_seen =
      e->cache_last_seen > 0 ? e->cache_last_seen : prev->last_checked;
  e->prev_mode = e->cache_mode != NULL
                     ? e->cache_mode
                     : mode_of_json(prev->field[MTS_SF_POLICY_MODE].json);
  e->prev_mx = e->cache_mx;
  e->cache_id = NULL;
  e->cache_mode = NULL;
  e->cache_mx = NULL;
  if (e->prev_mx == NULL && prev->field[MTS_SF_POLICY_MX].json != NULL &&
      (e->prev_mx = strdup(prev->field[MTS_SF_POLICY_MX].json)) == NULL) {
    return -1;
  }
  return 0;
}

/* Make this run's policy the cached one. \return 0 or -1 (OOM). */
static int
cache_set(struct mts_state_entry *e, const struct mts_result *r, uint64_t hash,
          long long now)
{
  char *id = strdup(r->sts.id), *mode = strdup(r->policy.mode);
  char *mx = json_set(r->policy.mx, r->policy.n_mx);

  if (id == NULL || mode == NULL || mx == NULL) {
    free(id);
    free(mode);
    free(mx);
    return -1;
  }
  free(e->cache_id);
  free(e->cache_mode);
  free(e->cache_mx);
  e->cache_id = id;
  e->cache_mode = mode;
  e->cache_mx = mx;
  e->cache_hash = hash;
  e->cache_max_age = r->policy.max_age;
  e->cache_first_seen = now;
  e->cache_last_seen = now;
  return 0;
}

/* rollout.md R201, R202: while senders may still apply the previous
 * policy, say until when, and which live MX host it would refuse.
 * \return 0 or -1 (OOM). */
static int
judge_previous(struct mts_state_entry *e, struct mts_result *r, long long now)
{
  long long until;
  char untils[40], seen[40];

  if (e->prev_id == NULL) {
    return 0;
  }
  until = e->prev_last_seen + e->prev_max_age;
  if (now >= until) {
    /* Every sender's copy has expired: forget it. */
    free(e->prev_id);
    free(e->prev_mode);
    free(e->prev_mx);
    e->prev_id = e->prev_mode = e->prev_mx = NULL;
    return 0;
  }
  r->old_policy_until = until;
  message_time(until, untils, sizeof(untils));
  message_time(e->prev_last_seen, seen, sizeof(seen));
  if (mts_findings_add(&r->findings, MTS_F_POLICY_OLD_MAY_BE_CACHED, e->prev_id,
                       strlen(e->prev_id),
                       "The policy changed with the id (previous id %s, mode "
                       "%s, max_age %ld s, last seen %s): senders that "
                       "fetched the previous policy may keep applying it "
                       "until %s.",
                       e->prev_id, e->prev_mode ? e->prev_mode : "unknown",
                       e->prev_max_age, seen, untils) != MTS_OK) {
    return -1;
  }
  if (e->prev_mode == NULL || strcmp(e->prev_mode, "enforce") != 0 ||
      e->prev_mx == NULL) {
    return 0;
  }
  for (size_t i = 0; i < r->mx.n_hosts; i++) {
    const char *host = r->mx.hosts[i].name;
    enum mts_severity sev = MTS_SEV_WARNING;
    int m;
    if (host == NULL || host[0] == '\0') {
      continue; /* a null MX has no host to refuse */
    }
    if ((m = patterns_match(e->prev_mx, host)) < 0) {
      return -1;
    }
    if (m) {
      continue;
    }
    /* R202: an error when it lasts more than a day and no other MX host
     * can take the mail. */
    if (until - now > 86400 && r->mx.n_hosts == 1) {
      sev = MTS_SEV_ERROR;
    }
    if (mts_findings_add_sev(
            &r->findings, MTS_F_POLICY_OLD_CACHE_BREAKS_MX, sev, host,
            strlen(host),
            "The MX host %s is not in the mx patterns of the previous "
            "enforce policy (id %s, mx %s): senders still holding that "
            "policy refuse to deliver to it until %s.",
            host, e->prev_id, e->prev_mx, untils) != MTS_OK) {
      return -1;
    }
  }
  return 0;
}

enum mts_err
mts_state_diff(const struct mts_state_entry *prev, struct mts_result *r,
               struct mts_state_entry *next)
{
  struct mts_state_entry e;
  char *obs[MTS_SF__COUNT] = {NULL};
  struct mts_change *ch = NULL;
  size_t n_ch = 0, n_findings = r->findings.n;
  long long now = r->checked_at, old_until = r->old_policy_until;
  enum mts_err err = MTS_ENOMEM;
  char when[32], until[32];

  memset(&e, 0, sizeof(e));
  if (prev != NULL && entry_copy(&e, prev) != 0) {
    goto done;
  }
  free(e.domain);
  e.domain = strdup(r->domain);
  ch = calloc(MTS_SF__COUNT, sizeof(*ch));
  if (e.domain == NULL || ch == NULL || observe(r, obs) != 0) {
    goto done;
  }
  e.last_checked = now;

  for (int i = 0; i < MTS_SF__COUNT; i++) {
    struct mts_state_value *v = &e.field[i];
    if (obs[i] == NULL) {
      continue; /* not seen this run: keep the old value */
    }
    if (v->json != NULL && strcmp(v->json, obs[i]) == 0) {
      v->last_seen = now;
      continue;
    }
    if (v->json != NULL) {
      /* Seen before with another value: a change. */
      ch[n_ch].field = field_names[i];
      ch[n_ch].old_value = v->json;
      ch[n_ch].new_value = strdup(obs[i]);
      ch[n_ch].old_first_seen = v->first_seen;
      ch[n_ch].old_last_seen = v->last_seen;
      n_ch++;
      if (ch[n_ch - 1].new_value == NULL) {
        v->json = NULL; /* now owned by ch[] */
        goto done;
      }
    }
    v->json = obs[i];
    obs[i] = NULL;
    v->first_seen = now;
    v->last_seen = now;
  }

  /* RFC 8461 §3.1, §5.1 (rfc-rules R100-R102): a sender caches the policy
   * under the record's id and fetches again only when the id changes or
   * the cached policy's max_age runs out. Ids have no order (R102): only
   * equality matters. */
  if (policy_storable(r) && r->sts.record.status == MTS_REC_VALID &&
      r->sts.id != NULL && valid_id(r->sts.id)) {
    uint64_t hash;
    if (mts_state_policy_hash(r->policy.mode, r->policy.max_age, r->policy.mx,
                              r->policy.n_mx, &hash) != MTS_OK) {
      goto done;
    }
    if (e.cache_id != NULL && strcmp(e.cache_id, r->sts.id) == 0) {
      if (e.cache_hash == hash) {
        e.cache_last_seen = now; /* still served as cached */
        if (e.cache_mode == NULL || e.cache_mx == NULL) {
          /* Learn what a version 1 file did not record. */
          if (cache_set(&e, r, hash, e.cache_first_seen) != 0) {
            goto done;
          }
          e.cache_last_seen = now;
        }
      } else {
        /* When this policy was first seen: the latest change of a field. */
        long long since = 0;
        for (int i = MTS_SF_POLICY_MODE; i <= MTS_SF_POLICY_MX; i++) {
          if (e.field[i].first_seen > since) {
            since = e.field[i].first_seen;
          }
        }
        if (now < since + e.cache_max_age) {
          if (format_time(since, when, sizeof(when)) != 0) {
            snprintf(when, sizeof(when), "?");
          }
          if (format_time(since + e.cache_max_age, until, sizeof(until)) != 0) {
            snprintf(until, sizeof(until), "?");
          }
          if (mts_findings_add(
                  &r->findings, MTS_F_POLICY_CHANGED_ID_UNCHANGED, r->sts.id,
                  strlen(r->sts.id),
                  "The policy changed (this version was first seen %s) but "
                  "the _mta-sts id is still %s: senders that cached the "
                  "previous policy under this id keep using it until its "
                  "max_age of %ld s runs out (about %s), without fetching "
                  "the new one.",
                  when, r->sts.id, e.cache_max_age, until) != MTS_OK) {
            goto done;
          }
        } else {
          /* The old policy's max_age has passed since the change: every
           * sender has fetched the new one by now. */
          if (cache_set(&e, r, hash, now) != 0) {
            goto done;
          }
        }
      }
    } else {
      if (e.cache_id != NULL && e.cache_hash == hash &&
          mts_findings_add(&r->findings, MTS_F_POLICY_ID_CHANGED_POLICY_SAME,
                           r->sts.id, strlen(r->sts.id),
                           "The _mta-sts id changed from %s to %s, but the "
                           "policy is the same as under %s: senders fetch it "
                           "again for nothing.",
                           e.cache_id, r->sts.id, e.cache_id) != MTS_OK) {
        goto done;
      }
      /* R200, R201: a new id with a new policy; the old one may stay in
       * senders' caches for its max_age after it was last served. */
      if (e.cache_id != NULL && e.cache_hash != hash &&
          cache_to_prev(&e, prev) != 0) {
        goto done;
      }
      if (cache_set(&e, r, hash, now) != 0) {
        goto done;
      }
    }
  }
  if (judge_previous(&e, r, now) != 0) {
    goto done;
  }

  /* Success: hand everything over. */
  for (size_t i = 0; i < r->changes.n; i++) {
    free(r->changes.v[i].old_value);
    free(r->changes.v[i].new_value);
  }
  free(r->changes.v);
  r->changes.v = ch;
  r->changes.n = n_ch;
  r->changes.tracked = 1;
  r->changes.first = prev == NULL;
  ch = NULL;
  n_ch = 0;
  mts_result_set_status(r);
  *next = e;
  memset(&e, 0, sizeof(e));
  err = MTS_OK;

done:
  if (err != MTS_OK) {
    mts_findings_truncate(&r->findings, n_findings);
    r->old_policy_until = old_until;
  }
  for (size_t i = 0; ch != NULL && i < n_ch; i++) {
    free(ch[i].old_value);
    free(ch[i].new_value);
  }
  free(ch);
  for (int i = 0; i < MTS_SF__COUNT; i++) {
    free(obs[i]);
  }
  mts_state_entry_release(&e);
  return err;
}

/* ---- entries as JSON ------------------------------------------------------
 */

static int
add_time(cJSON *obj, const char *key, long long t)
{
  char buf[32];

  if (format_time(t, buf, sizeof(buf)) != 0) {
    return -1;
  }
  return cJSON_AddStringToObject(obj, key, buf) != NULL ? 0 : -1;
}

/* One entry as JSON text (no domain key). NULL when out of memory. */
static char *
entry_print(const struct mts_state_entry *e)
{
  cJSON *obj = cJSON_CreateObject(), *fields, *cache;
  char hash[32], num[24];
  int ok;

  if (obj == NULL) {
    return NULL;
  }
  ok = add_time(obj, "last_checked", e->last_checked) == 0 &&
       (fields = cJSON_AddObjectToObject(obj, "fields")) != NULL;
  for (int i = 0; ok && i < MTS_SF__COUNT; i++) {
    const struct mts_state_value *v = &e->field[i];
    cJSON *f;
    if (v->json == NULL) {
      continue;
    }
    /* The values are canonical JSON that we printed: raw is safe. */
    ok = (f = cJSON_AddObjectToObject(fields, field_names[i])) != NULL &&
         cJSON_AddRawToObject(f, "value", v->json) != NULL &&
         add_time(f, "first_seen", v->first_seen) == 0 &&
         add_time(f, "last_seen", v->last_seen) == 0;
  }
  if (ok && e->cache_id == NULL) {
    ok = cJSON_AddNullToObject(obj, "sender_cache") != NULL;
  } else if (ok) {
    snprintf(hash, sizeof(hash), HASH_PREFIX "%016llx",
             (unsigned long long)e->cache_hash);
    snprintf(num, sizeof(num), "%ld", e->cache_max_age);
    ok = (cache = cJSON_AddObjectToObject(obj, "sender_cache")) != NULL &&
         cJSON_AddStringToObject(cache, "id", e->cache_id) != NULL &&
         cJSON_AddStringToObject(cache, "policy_hash", hash) != NULL &&
         cJSON_AddRawToObject(cache, "max_age", num) != NULL &&
         add_time(cache, "first_seen", e->cache_first_seen) == 0 &&
         (e->cache_mode == NULL ||
          cJSON_AddStringToObject(cache, "mode", e->cache_mode) != NULL) &&
         (e->cache_mx == NULL ||
          cJSON_AddRawToObject(cache, "mx", e->cache_mx) != NULL) &&
         (e->cache_last_seen <= 0 ||
          add_time(cache, "last_seen", e->cache_last_seen) == 0);
  }
  if (ok && e->prev_id != NULL) {
    cJSON *pp;
    snprintf(num, sizeof(num), "%ld", e->prev_max_age);
    ok = (pp = cJSON_AddObjectToObject(obj, "previous_policy")) != NULL &&
         cJSON_AddStringToObject(pp, "id", e->prev_id) != NULL &&
         (e->prev_mode == NULL ||
          cJSON_AddStringToObject(pp, "mode", e->prev_mode) != NULL) &&
         cJSON_AddRawToObject(pp, "max_age", num) != NULL &&
         (e->prev_mx == NULL ||
          cJSON_AddRawToObject(pp, "mx", e->prev_mx) != NULL) &&
         add_time(pp, "last_seen", e->prev_last_seen) == 0;
  }
  if (!ok) {
    cJSON_Delete(obj);
    return NULL;
  }
  return print_item(obj);
}

static int
plain_string(const cJSON *it)
{
  return cJSON_IsString(it) && it->valuestring != NULL &&
         storable(it->valuestring);
}

static int
integer_in(const cJSON *it, long min, long max, long *out)
{
  double d;

  if (!cJSON_IsNumber(it)) {
    return 0;
  }
  d = it->valuedouble;
  if (!(d >= (double)min && d <= (double)max) || d != (double)(long)d) {
    return 0;
  }
  *out = (long)d;
  return 1;
}

/* A stored value checked against what the field can hold, as canonical
 * JSON text. \return the text, NULL with *why set when it is not
 * acceptable, NULL with *why NULL when out of memory. */
static char *
value_parse(enum mts_state_field f, const cJSON *v, const char **why)
{
  long n;

  *why = NULL;
  switch (f) {
    case MTS_SF_STS_ID:
      if (cJSON_IsNull(v)) {
        return json_string(NULL);
      }
      if (plain_string(v) && valid_id(v->valuestring)) {
        return json_string(v->valuestring);
      }
      *why = "an id is 1 to 32 letters or digits, or null";
      return NULL;
    case MTS_SF_POLICY_MODE:
      if (plain_string(v) && valid_mode(v->valuestring)) {
        return json_string(v->valuestring);
      }
      *why = "a mode is enforce, testing or none";
      return NULL;
    case MTS_SF_POLICY_MAX_AGE:
      if (integer_in(v, 0, MAX_AGE_MAX, &n)) {
        return json_number(n);
      }
      *why = "max_age is a whole number of seconds up to 31557600";
      return NULL;
    case MTS_SF_POLICY_MX:
    case MTS_SF_TLSRPT_RUA: {
      const cJSON *it;
      char **v2;
      char *text;
      size_t k = 0, cnt;
      if (f == MTS_SF_TLSRPT_RUA && cJSON_IsNull(v)) {
        return json_string(NULL);
      }
      if (!cJSON_IsArray(v)) {
        *why = "a list of strings is expected";
        return NULL;
      }
      cnt = (size_t)cJSON_GetArraySize(v);
      v2 = malloc((cnt ? cnt : 1) * sizeof(*v2));
      if (v2 == NULL) {
        return NULL;
      }
      cJSON_ArrayForEach(it, v)
      {
        if (!plain_string(it) || k >= cnt) {
          free(v2);
          *why = "a list holds only non-empty printable ASCII strings";
          return NULL;
        }
        v2[k++] = it->valuestring;
      }
      text = json_set(v2, k);
      free(v2);
      return text;
    }
    case MTS_SF__COUNT:
      break;
  }
  *why = "unknown field";
  return NULL;
}

/* 1 if every member of obj is named in keys. */
static int
only_keys(const cJSON *obj, const char *const *keys, const char **bad)
{
  const cJSON *it;

  cJSON_ArrayForEach(it, obj)
  {
    size_t i;
    for (i = 0; keys[i] != NULL; i++) {
      if (strcmp(it->string, keys[i]) == 0) {
        break;
      }
    }
    if (keys[i] == NULL) {
      *bad = it->string;
      return 0;
    }
  }
  return 1;
}

static int
get_time(const cJSON *obj, const char *key, long long *out)
{
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

  return cJSON_IsString(it) && it->valuestring != NULL &&
                 parse_time(it->valuestring, out) == 0
             ? 0
             : -1;
}

/* A domain as we write it: lowercase A-label form, no trailing dot. */
static int
valid_domain(const char *s)
{
  size_t n = strlen(s);

  if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.') {
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '.' || c == '_')) {
      return 0;
    }
  }
  return 1;
}

/* The optional "mode", "mx" and "last_seen" of a sender_cache or a
 * previous_policy (version 2). \p last_seen NULL: not a member there.
 * \return MTS_OK, MTS_EINVAL (why set) or MTS_ENOMEM. */
static enum mts_err
policy_extra_parse(const cJSON *obj, char **mode, char **mx,
                   long long *last_seen, char *why, size_t whysz,
                   const char *what)
{
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "mode");
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(obj, "mx");
  const char *vwhy = NULL;

  if (m != NULL) {
    if (!plain_string(m) || !valid_mode(m->valuestring)) {
      snprintf(why, whysz, "%s: mode is not enforce, testing or none", what);
      return MTS_EINVAL;
    }
    if ((*mode = strdup(m->valuestring)) == NULL) {
      return MTS_ENOMEM;
    }
  }
  if (x != NULL) {
    *mx = value_parse(MTS_SF_POLICY_MX, x, &vwhy);
    if (*mx == NULL) {
      if (vwhy == NULL) {
        return MTS_ENOMEM;
      }
      snprintf(why, whysz, "%s: mx: %s", what, vwhy);
      return MTS_EINVAL;
    }
  }
  if (last_seen != NULL &&
      cJSON_GetObjectItemCaseSensitive(obj, "last_seen") != NULL &&
      get_time(obj, "last_seen", last_seen) != 0) {
    snprintf(why, whysz, "%s: last_seen is not a YYYY-MM-DDTHH:MM:SSZ time",
             what);
    return MTS_EINVAL;
  }
  return MTS_OK;
}

/* Parse one entry. \return MTS_OK, MTS_EINVAL (why set) or MTS_ENOMEM. */
static enum mts_err
entry_parse(const cJSON *obj, struct mts_state_entry *e, char *why,
            size_t whysz)
{
  static const char *const entry_keys[] = {
      "last_checked", "fields", "sender_cache", "previous_policy", NULL};
  static const char *const value_keys[] = {"value", "first_seen", "last_seen",
                                           NULL};
  static const char *const cache_keys[] = {
      "id",   "policy_hash", "max_age",   "first_seen",
      "mode", "mx",          "last_seen", NULL};
  const cJSON *fields, *cache, *it;
  const char *bad = NULL;
  enum mts_err err = MTS_EINVAL;

  memset(e, 0, sizeof(*e));
  if (!valid_domain(obj->string)) {
    snprintf(why, whysz, "the key is not a domain name");
    return MTS_EINVAL;
  }
  if (!cJSON_IsObject(obj) || !only_keys(obj, entry_keys, &bad)) {
    snprintf(why, whysz, "%s%.64s%s", bad ? "unknown member \"" : "",
             bad ? bad : "not an object", bad ? "\"" : "");
    return MTS_EINVAL;
  }
  e->domain = strdup(obj->string);
  if (e->domain == NULL) {
    return MTS_ENOMEM;
  }
  if (get_time(obj, "last_checked", &e->last_checked) != 0) {
    snprintf(why, whysz, "last_checked is not a YYYY-MM-DDTHH:MM:SSZ time");
    goto fail;
  }
  fields = cJSON_GetObjectItemCaseSensitive(obj, "fields");
  if (!cJSON_IsObject(fields)) {
    snprintf(why, whysz, "\"fields\" is not an object");
    goto fail;
  }
  cJSON_ArrayForEach(it, fields)
  {
    const char *vwhy;
    int f;
    for (f = 0; f < MTS_SF__COUNT; f++) {
      if (strcmp(it->string, field_names[f]) == 0) {
        break;
      }
    }
    if (f == MTS_SF__COUNT) {
      snprintf(why, whysz, "unknown field \"%.64s\"", it->string);
      goto fail;
    }
    if (e->field[f].json != NULL) {
      snprintf(why, whysz, "field %s is given twice", field_names[f]);
      goto fail;
    }
    if (!cJSON_IsObject(it) || !only_keys(it, value_keys, &bad) ||
        get_time(it, "first_seen", &e->field[f].first_seen) != 0 ||
        get_time(it, "last_seen", &e->field[f].last_seen) != 0 ||
        !cJSON_GetObjectItemCaseSensitive(it, "value")) {
      snprintf(why, whysz,
               "field %s needs value, first_seen and last_seen, and nothing "
               "else",
               field_names[f]);
      goto fail;
    }
    e->field[f].json =
        value_parse((enum mts_state_field)f,
                    cJSON_GetObjectItemCaseSensitive(it, "value"), &vwhy);
    if (e->field[f].json == NULL) {
      if (vwhy == NULL) {
        err = MTS_ENOMEM;
      } else {
        snprintf(why, whysz, "field %s: %s", field_names[f], vwhy);
      }
      goto fail;
    }
  }
  cache = cJSON_GetObjectItemCaseSensitive(obj, "sender_cache");
  if (cache == NULL) {
    snprintf(why, whysz, "\"sender_cache\" is missing");
    goto fail;
  }
  if (!cJSON_IsNull(cache)) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(cache, "id");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(cache, "policy_hash");
    const char *hex;
    char *end;
    if (!cJSON_IsObject(cache) || !only_keys(cache, cache_keys, &bad) ||
        !plain_string(id) || !valid_id(id->valuestring) || !plain_string(h) ||
        strncmp(h->valuestring, HASH_PREFIX, strlen(HASH_PREFIX)) != 0 ||
        !integer_in(cJSON_GetObjectItemCaseSensitive(cache, "max_age"), 0,
                    MAX_AGE_MAX, &e->cache_max_age) ||
        get_time(cache, "first_seen", &e->cache_first_seen) != 0) {
      snprintf(why, whysz,
               "\"sender_cache\" needs id, policy_hash, max_age and "
               "first_seen, and nothing else");
      goto fail;
    }
    hex = h->valuestring + strlen(HASH_PREFIX);
    errno = 0;
    e->cache_hash = (uint64_t)strtoull(hex, &end, 16);
    if (strlen(hex) != 16 || *end != '\0' || errno != 0 ||
        strspn(hex, "0123456789abcdef") != 16) {
      snprintf(why, whysz, "policy_hash is not " HASH_PREFIX "<16 hex digits>");
      goto fail;
    }
    e->cache_id = strdup(id->valuestring);
    if (e->cache_id == NULL) {
      err = MTS_ENOMEM;
      goto fail;
    }
    if ((err = policy_extra_parse(cache, &e->cache_mode, &e->cache_mx,
                                  &e->cache_last_seen, why, whysz,
                                  "sender_cache")) != MTS_OK) {
      goto fail;
    }
    err = MTS_EINVAL;
  }
  if ((it = cJSON_GetObjectItemCaseSensitive(obj, "previous_policy")) != NULL) {
    static const char *const prev_keys[] = {"id", "mode",      "max_age",
                                            "mx", "last_seen", NULL};
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
    if (!cJSON_IsObject(it) || !only_keys(it, prev_keys, &bad) ||
        !plain_string(id) || !valid_id(id->valuestring) ||
        !integer_in(cJSON_GetObjectItemCaseSensitive(it, "max_age"), 0,
                    MAX_AGE_MAX, &e->prev_max_age) ||
        get_time(it, "last_seen", &e->prev_last_seen) != 0) {
      snprintf(why, whysz,
               "\"previous_policy\" needs id, max_age and last_seen (mode "
               "and mx may follow), and nothing else");
      goto fail;
    }
    if ((e->prev_id = strdup(id->valuestring)) == NULL) {
      err = MTS_ENOMEM;
      goto fail;
    }
    if ((err = policy_extra_parse(it, &e->prev_mode, &e->prev_mx, NULL, why,
                                  whysz, "previous_policy")) != MTS_OK) {
      goto fail;
    }
  }
  return MTS_OK;

fail:
  mts_state_entry_release(e);
  return err;
}

/* ---- the file -------------------------------------------------------------
 */

struct mts_state {
  char *path;
  char *lock_path;
  int lock_fd;
  struct mts_state_entry *loaded; /* sorted by domain */
  size_t n_loaded;
  struct mts_state_entry *noted; /* this run, in order noted */
  size_t n_noted, cap_noted;
};

static int
cmp_entry(const void *a, const void *b)
{
  return strcmp(((const struct mts_state_entry *)a)->domain,
                ((const struct mts_state_entry *)b)->domain);
}

static void
entries_free(struct mts_state_entry *v, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    mts_state_entry_release(&v[i]);
  }
  free(v);
}

/* The root members other than "domains": ours, and of our version.
 * \return MTS_OK or MTS_EINVAL (errbuf set). */
static enum mts_err
check_header(const char *path, const cJSON *root, char *errbuf, size_t errsz)
{
  static const char *const root_keys[] = {"kind",       "version", "written_by",
                                          "updated_at", "domains", NULL};
  const cJSON *kind, *ver;
  const char *bad = NULL;

  kind = cJSON_GetObjectItemCaseSensitive(root, "kind");
  if (!cJSON_IsObject(root) || !cJSON_IsString(kind) ||
      strcmp(kind->valuestring, STATE_KIND) != 0) {
    snprintf(errbuf, errsz,
             _("'%s' is not an mtasts-check state file (no \"kind\": "
               "\"%s\"); it was left as it is: give --state a file of its "
               "own"),
             path, STATE_KIND);
    return MTS_EINVAL;
  }
  ver = cJSON_GetObjectItemCaseSensitive(root, "version");
  if (!cJSON_IsNumber(ver) ||
      (ver->valuedouble != STATE_VERSION && ver->valuedouble != 1)) {
    snprintf(errbuf, errsz,
             _("the state file '%s' is not of version 1 to %d (a newer "
               "mtasts-check wrote it?); it was left as it is"),
             path, STATE_VERSION);
    return MTS_EINVAL;
  }
  if (!only_keys(root, root_keys, &bad) ||
      !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "domains"))) {
    snprintf(errbuf, errsz,
             _("the state file '%s' is damaged (%s%.64s%s); it was left as it "
               "is"),
             path, bad ? "unknown member \"" : "no \"domains\" object",
             bad ? bad : "", bad ? "\"" : "");
    return MTS_EINVAL;
  }
  return MTS_OK;
}

/* Entries being read. */
struct entries {
  struct mts_state_entry *v;
  size_t n, cap;
};

/* Parse one member of "domains" and append it. */
static enum mts_err
entries_add(struct entries *es, const cJSON *item, const char *path,
            char *errbuf, size_t errsz)
{
  char why[160];
  enum mts_err err;

  if (es->n == es->cap) {
    size_t cap = es->cap ? 2 * es->cap : 256;
    struct mts_state_entry *v;
    if (cap > SIZE_MAX / sizeof(*v)) {
      return MTS_ENOMEM;
    }
    v = realloc(es->v, cap * sizeof(*v));
    if (v == NULL) {
      return MTS_ENOMEM;
    }
    es->v = v;
    es->cap = cap;
  }
  err = entry_parse(item, &es->v[es->n], why, sizeof(why));
  if (err == MTS_EINVAL) {
    snprintf(errbuf, errsz,
             _("the state file '%s' is damaged: the entry of '%.80s': %s; it "
               "was left as it is"),
             path, item->string ? item->string : "?", why);
  }
  if (err == MTS_OK) {
    es->n++;
  }
  return err;
}

/* Sort by domain; a domain twice is damage. */
static enum mts_err
entries_finish(struct entries *es, const char *path, char *errbuf, size_t errsz)
{
  if (es->n > 1) {
    qsort(es->v, es->n, sizeof(*es->v), cmp_entry);
  }
  for (size_t i = 1; i < es->n; i++) {
    if (strcmp(es->v[i - 1].domain, es->v[i].domain) == 0) {
      snprintf(
          errbuf, errsz,
          _("the state file '%s' is damaged: '%.80s' appears twice; it was "
            "left as it is"),
          path, es->v[i].domain);
      return MTS_EINVAL;
    }
  }
  return MTS_OK;
}

/* A whole JSON document (a file not in the layout we write, e.g. after
 * "jq ." by hand). */
static enum mts_err
parse_document(const char *path, const char *text, size_t len,
               struct entries *es, char *errbuf, size_t errsz)
{
  cJSON *root;
  const cJSON *it;
  enum mts_err err;

  root = cJSON_ParseWithLength(text, len);
  if (root == NULL) {
    const char *at = cJSON_GetErrorPtr();
    snprintf(errbuf, errsz,
             _("the state file '%s' is not valid JSON (near byte %zu): it is "
               "damaged or not a state file; it was left as it is (move it "
               "away to start afresh)"),
             path,
             at != NULL && at >= text && at <= text + len ? (size_t)(at - text)
                                                          : (size_t)0);
    return MTS_EINVAL;
  }
  err = check_header(path, root, errbuf, errsz);
  cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(root, "domains"))
  {
    if (err != MTS_OK) {
      break;
    }
    err = entries_add(es, it, path, errbuf, errsz);
  }
  cJSON_Delete(root);
  return err;
}

/* The layout we write, one domain a line: parsed a line at a time, so that
 * a large file never becomes one large cJSON tree. \p f is positioned
 * after the header line. */
static enum mts_err
parse_lines(const char *path, FILE *f, struct entries *es, char *errbuf,
            size_t errsz)
{
  char *line = NULL, *wrap = NULL;
  size_t size = 0, wrap_size = 0, lineno = 1;
  enum mts_err err = MTS_EINVAL;
  int comma = 1, closed = 0;
  ssize_t n;

  while ((n = getline(&line, &size, f)) > 0) {
    cJSON *obj;
    size_t len = (size_t)n;
    lineno++;
    if (closed) {
      snprintf(errbuf, errsz,
               _("the state file '%s' is damaged: line %zu follows the end; it "
                 "was left as it is"),
               path, lineno);
      goto done;
    }
    if (line[len - 1] == '\n') {
      len--;
    }
    if (len == 2 && memcmp(line, "}}", 2) == 0) {
      closed = 1;
      continue;
    }
    if (!comma) {
      snprintf(errbuf, errsz,
               _("the state file '%s' is damaged at line %zu (a ',' is missing "
                 "before it); it was left as it is"),
               path, lineno);
      goto done;
    }
    comma = len > 0 && line[len - 1] == ',';
    if (comma) {
      len--;
    }
    /* {"domain":{...}}: a document of one member. */
    if (len + 3 > wrap_size) {
      char *w = realloc(wrap, len + 3);
      if (w == NULL) {
        err = MTS_ENOMEM;
        goto done;
      }
      wrap = w;
      wrap_size = len + 3;
    }
    wrap[0] = '{';
    memcpy(wrap + 1, line, len);
    wrap[len + 1] = '}';
    wrap[len + 2] = '\0';
    obj = cJSON_ParseWithLength(wrap, len + 2);
    if (obj == NULL || !cJSON_IsObject(obj) || obj->child == NULL ||
        obj->child->next != NULL) {
      cJSON_Delete(obj);
      snprintf(errbuf, errsz,
               _("the state file '%s' is damaged at line %zu (not one "
                 "\"domain\":{...} member); it was left as it is"),
               path, lineno);
      goto done;
    }
    err = entries_add(es, obj->child, path, errbuf, errsz);
    cJSON_Delete(obj);
    if (err != MTS_OK) {
      goto done;
    }
    err = MTS_EINVAL;
  }
  if (ferror(f)) {
    snprintf(errbuf, errsz, _("cannot read the state file '%s': %s"), path,
             strerror(errno));
    err = MTS_EIO;
    goto done;
  }
  if (!closed || comma != (es->n == 0)) {
    snprintf(errbuf, errsz,
             _("the state file '%s' is damaged (it ends early: truncated?); "
               "it was left as it is"),
             path);
    goto done;
  }
  err = MTS_OK;

done:
  free(line);
  free(wrap);
  return err;
}

/* What load() found at the path: the file it read, if any. */
struct file_id {
  int exists;
  dev_t dev;
  ino_t ino;
  uid_t uid;
  gid_t gid;
  mode_t mode;
};

/* Read and check the state file \p path, a resolved path (resolve_path):
 * sorted entries (none for a missing or empty file). A symlink there now
 * is not followed: the path was resolved once, at the start.
 * \param[out] id what was read (id->exists = 0: no file); may be NULL */
static enum mts_err
load(const char *path, struct mts_state_entry **out, size_t *n_out,
     struct file_id *id, char *errbuf, size_t errsz)
{
  struct entries es = {NULL, 0, 0};
  char *line = NULL, *text = NULL;
  size_t size = 0, len = 0;
  struct stat st;
  enum mts_err err = MTS_EIO;
  FILE *f = NULL;
  ssize_t n;
  int fd;

  *out = NULL;
  *n_out = 0;
  if (id != NULL) {
    memset(id, 0, sizeof(*id));
  }
  /* O_NONBLOCK: a FIFO there must not hang the run (it is refused below;
   * reads of a regular file ignore the flag). */
  fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return MTS_OK;
    }
    snprintf(errbuf, errsz, _("cannot read the state file '%s': %s"), path,
             errno == ELOOP ? "it became a symbolic link during the run"
                            : strerror(errno));
    return MTS_EIO;
  }
  f = fdopen(fd, "r");
  if (f == NULL) {
    close(fd);
    snprintf(errbuf, errsz, _("cannot read the state file '%s': %s"), path,
             strerror(errno));
    return MTS_EIO;
  }
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    snprintf(errbuf, errsz, _("the state file '%s' is not a regular file"),
             path);
    goto done;
  }
  if (id != NULL) {
    id->exists = 1;
    id->dev = st.st_dev;
    id->ino = st.st_ino;
    id->uid = st.st_uid;
    id->gid = st.st_gid;
    id->mode = st.st_mode;
  }
  if (st.st_size > STATE_MAX_SIZE) {
    snprintf(errbuf, errsz,
             _("the state file '%s' is larger than %ld MiB; it was left as "
               "it is"),
             path, STATE_MAX_SIZE / 1024 / 1024);
    err = MTS_ERANGE;
    goto done;
  }
  n = getline(&line, &size, f);
  if (n < 0 && !ferror(f)) {
    err = MTS_OK; /* an empty file (touch) is an empty state */
    goto done;
  }
  if (n > 0 && (size_t)n > HEADER_END_LEN &&
      strcmp(line + n - HEADER_END_LEN, HEADER_END) == 0) {
    /* Our layout: the header line, closed, is a document of its own. */
    size_t hl = (size_t)n - 1; /* without the '\n' */
    char *h = malloc(hl + 3);
    cJSON *root;
    if (h == NULL) {
      err = MTS_ENOMEM;
      goto done;
    }
    memcpy(h, line, hl);
    memcpy(h + hl, "}}", 3);
    root = cJSON_Parse(h);
    free(h);
    err = root != NULL ? check_header(path, root, errbuf, errsz) : MTS_EINVAL;
    if (root == NULL) {
      snprintf(errbuf, errsz,
               _("the state file '%s' is damaged at line 1; it was left as it "
                 "is"),
               path);
    }
    cJSON_Delete(root);
    if (err == MTS_OK) {
      err = parse_lines(path, f, &es, errbuf, errsz);
    }
  } else {
    /* Anything else: read it whole and parse it as one document. */
    free(line);
    line = NULL;
    rewind(f);
    text = malloc((size_t)st.st_size + 1);
    if (text == NULL) {
      err = MTS_ENOMEM;
      goto done;
    }
    len = fread(text, 1, (size_t)st.st_size, f);
    if (ferror(f)) {
      snprintf(errbuf, errsz, _("cannot read the state file '%s': %s"), path,
               strerror(errno));
      goto done;
    }
    text[len] = '\0';
    err = parse_document(path, text, len, &es, errbuf, errsz);
  }
  if (err == MTS_OK) {
    err = entries_finish(&es, path, errbuf, errsz);
  }
  if (err == MTS_OK) {
    *out = es.v;
    *n_out = es.n;
    es.v = NULL;
    es.n = 0;
  }

done:
  if (err == MTS_ENOMEM) {
    snprintf(errbuf, errsz, _("out of memory"));
  }
  entries_free(es.v, es.n);
  free(line);
  free(text);
  fclose(f);
  return err;
}

/* ---- where the file is ----------------------------------------------------
 *
 * The path is resolved once, at the start, and everything after that uses
 * the file it named: a symlinked state file is updated where it is (the
 * link stays a link), and two links to one file take one lock, that of the
 * file's real name. */

/* How many symbolic links a name may go through, as the kernel allows. */
#define LINK_HOPS 40

/* The directory part of \p p ("." for a bare name). NULL when out of
 * memory. */
static char *
dir_of(const char *p)
{
  const char *slash = strrchr(p, '/');

  if (slash == NULL) {
    return strdup(".");
  }
  if (slash == p) {
    return strdup("/");
  }
  return strndup(p, (size_t)(slash - p));
}

/* \p a "/" \p b, or b alone when it is absolute. NULL when out of memory. */
static char *
path_join(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b);
  int slash = la > 0 && a[la - 1] == '/';
  char *p;

  if (b[0] == '/') {
    return strdup(b);
  }
  p = malloc(la + lb + 2);
  if (p != NULL) {
    memcpy(p, a, la);
    if (!slash) {
      p[la++] = '/';
    }
    memcpy(p + la, b, lb + 1);
  }
  return p;
}

/* The target of the symbolic link \p p. NULL with errno set. */
static char *
read_link(const char *p, off_t hint)
{
  size_t size = hint > 0 && hint < 65536 ? (size_t)hint + 1 : 256;

  for (;;) {
    char *buf = malloc(size);
    ssize_t n;
    if (buf == NULL) {
      return NULL;
    }
    n = readlink(p, buf, size);
    if (n >= 0 && (size_t)n < size) {
      buf[n] = '\0';
      return buf;
    }
    free(buf);
    if (n < 0) {
      return NULL;
    }
    if (size >= 65536) {
      errno = ENAMETOOLONG;
      return NULL;
    }
    size *= 2;
  }
}

/* A symbolic link is followed only when it belongs to root, to the user
 * running us, or to the owner of the directory that holds it (who could
 * replace it anyway): the rule of the kernel's fs.protected_symlinks,
 * which only covers sticky directories. So a member of the group of a
 * group-writable state directory cannot point a root cron job at a file
 * of its choice. \return 1 trusted, 0 not, -1 out of memory. */
static int
link_trusted(const char *link, const struct stat *lsb)
{
  struct stat dsb;
  char *dir;
  int ok;

  if (lsb->st_uid == 0 || lsb->st_uid == geteuid()) {
    return 1;
  }
  dir = dir_of(link);
  if (dir == NULL) {
    return -1;
  }
  ok = stat(dir, &dsb) == 0 && dsb.st_uid == lsb->st_uid;
  free(dir);
  return ok;
}

/* The real name of the file that \p path names, which need not exist yet:
 * the symbolic links of its last component followed (link_trusted), then
 * its directory resolved (realpath). \param[out] out on success only.
 * \return MTS_OK, MTS_EINVAL (a link not followed), MTS_ESYS or
 * MTS_ENOMEM. */
static enum mts_err
resolve_path(const char *path, char **out, char *errbuf, size_t errsz)
{
  char *cur = strdup(path), *dir = NULL, *rdir = NULL, *next = NULL;
  const char *base;
  enum mts_err err = MTS_ENOMEM;
  struct stat sb;
  int hops = 0, trusted;

  if (cur == NULL) {
    goto done;
  }
  for (;;) {
    if (lstat(cur, &sb) != 0) {
      if (errno == ENOENT) {
        break; /* created under this name */
      }
      snprintf(errbuf, errsz, _("cannot use the state file '%s': %s"), cur,
               strerror(errno));
      err = MTS_ESYS;
      goto done;
    }
    if (!S_ISLNK(sb.st_mode)) {
      break;
    }
    if (++hops > LINK_HOPS) {
      snprintf(errbuf, errsz, _("cannot use the state file '%s': %s"), path,
               strerror(ELOOP));
      err = MTS_ESYS;
      goto done;
    }
    trusted = link_trusted(cur, &sb);
    if (trusted < 0) {
      goto done;
    }
    if (!trusted) {
      snprintf(errbuf, errsz,
               _("the state file '%s' is a symbolic link owned by uid %lu, "
                 "which is neither root, nor this user, nor the owner of its "
                 "directory: it is not followed, and left as it is"),
               cur, (unsigned long)sb.st_uid);
      err = MTS_EINVAL;
      goto done;
    }
    next = read_link(cur, sb.st_size);
    if (next == NULL) {
      if (errno == ENOMEM) {
        goto done;
      }
      snprintf(errbuf, errsz, _("cannot read the symbolic link '%s': %s"), cur,
               strerror(errno));
      err = MTS_ESYS;
      goto done;
    }
    dir = dir_of(cur);
    free(cur);
    cur = dir != NULL ? path_join(dir, next) : NULL;
    free(dir);
    free(next);
    dir = next = NULL;
    if (cur == NULL) {
      goto done;
    }
  }
  dir = dir_of(cur);
  if (dir == NULL) {
    goto done;
  }
  rdir = realpath(dir, NULL);
  if (rdir == NULL) {
    if (errno == ENOMEM) {
      goto done;
    }
    snprintf(errbuf, errsz,
             _("cannot use the state file '%s': its directory '%s': %s"), path,
             dir, strerror(errno));
    err = MTS_ESYS;
    goto done;
  }
  base = strrchr(cur, '/') ? strrchr(cur, '/') + 1 : cur;
  next = path_join(rdir, base);
  if (next == NULL) {
    goto done;
  }
  *out = next;
  next = NULL;
  err = MTS_OK;

done:
  if (err == MTS_ENOMEM) {
    snprintf(errbuf, errsz, _("out of memory"));
  }
  free(cur);
  free(dir);
  free(rdir);
  free(next);
  return err;
}

static int lock_wait(int fd, int op);

/* Open (create) FILE.lock next to the real file. Not through a symbolic
 * link: a link planted there must not make us create a file elsewhere. */
static enum mts_err
lock_open(struct mts_state *st, char *errbuf, size_t errsz)
{
  struct stat sb;

  if (st->lock_fd >= 0) {
    return MTS_OK;
  }
  st->lock_fd =
      open(st->lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (st->lock_fd >= 0 &&
      (fstat(st->lock_fd, &sb) != 0 || !S_ISREG(sb.st_mode))) {
    close(st->lock_fd);
    st->lock_fd = -1;
    errno = EINVAL;
  }
  if (st->lock_fd < 0) {
    snprintf(errbuf, errsz,
             _("cannot create the lock file '%s' of the state file: %s"),
             st->lock_path,
             errno == ELOOP    ? "it is a symbolic link"
             : errno == EINVAL ? "it is not a regular file"
                               : strerror(errno));
    return MTS_ESYS;
  }
  return MTS_OK;
}

enum mts_err
mts_state_open(struct mts_state **out, const char *path, char *errbuf,
               size_t errsz)
{
  struct mts_state *st = calloc(1, sizeof(*st));
  enum mts_err err = MTS_ENOMEM;
  char scratch[256];
  size_t n;

  if (st == NULL) {
    goto done;
  }
  st->lock_fd = -1;
  err = resolve_path(path, &st->path, errbuf, errsz);
  if (err != MTS_OK) {
    goto done;
  }
  err = MTS_ENOMEM;
  n = strlen(st->path);
  st->lock_path = malloc(n + sizeof(".lock"));
  if (st->lock_path == NULL) {
    goto done;
  }
  memcpy(st->lock_path, st->path, n);
  memcpy(st->lock_path + n, ".lock", sizeof(".lock"));
  err = load(st->path, &st->loaded, &st->n_loaded, NULL, errbuf, errsz);
  if (err == MTS_EINVAL && lock_open(st, scratch, sizeof(scratch)) == MTS_OK &&
      lock_wait(st->lock_fd, LOCK_SH) == 0) {
    /* Damaged, or caught half rewritten in place by another run (a file
     * that cannot be renamed over, mts_state_save): read it again once
     * that run is done. */
    err = load(st->path, &st->loaded, &st->n_loaded, NULL, errbuf, errsz);
    flock(st->lock_fd, LOCK_UN);
  }
  if (err != MTS_OK) {
    goto done;
  }
  /* The data file is replaced by rename, so it cannot carry the lock. */
  err = lock_open(st, errbuf, errsz);
  if (err != MTS_OK) {
    goto done;
  }
  *out = st;
  st = NULL;
  err = MTS_OK;

done:
  if (err == MTS_ENOMEM) {
    snprintf(errbuf, errsz, _("out of memory"));
  }
  mts_state_free(&st);
  return err;
}

enum mts_err
mts_state_note(struct mts_state *st, struct mts_result *r)
{
  struct mts_state_entry key, *prev = NULL, next;
  enum mts_err err;

  /* Only names the reader accepts back: a file must never hold what its
   * next run would refuse. */
  if (r->domain == NULL ||
      mts_findings_has(&r->findings, MTS_F_DOMAIN_INVALID) ||
      !valid_domain(r->domain)) {
    return MTS_OK;
  }
  if (st->n_noted == st->cap_noted) {
    size_t cap = st->cap_noted ? 2 * st->cap_noted : 64;
    struct mts_state_entry *v;
    if (cap > SIZE_MAX / sizeof(*v)) {
      return MTS_ENOMEM;
    }
    v = realloc(st->noted, cap * sizeof(*v));
    if (v == NULL) {
      return MTS_ENOMEM;
    }
    st->noted = v;
    st->cap_noted = cap;
  }
  memset(&key, 0, sizeof(key));
  key.domain = r->domain;
  if (st->n_loaded > 0) {
    prev = bsearch(&key, st->loaded, st->n_loaded, sizeof(key), cmp_entry);
  }
  err = mts_state_diff(prev, r, &next);
  if (err == MTS_OK) {
    st->noted[st->n_noted++] = next;
  }
  return err;
}

size_t
mts_state_noted(const struct mts_state *st)
{
  return st ? st->n_noted : 0;
}

/* flock with a time limit: the lock is held only while a run merges. */
static int
lock_wait(int fd, int op)
{
  struct timespec ts = {0, LOCK_POLL_MS * 1000000L};

  for (long waited = 0; waited <= LOCK_WAIT_MS; waited += LOCK_POLL_MS) {
    if (flock(fd, op | LOCK_NB) == 0) {
      return 0;
    }
    if (errno != EWOULDBLOCK && errno != EINTR) {
      return -1;
    }
    nanosleep(&ts, NULL);
  }
  errno = ETIMEDOUT;
  return -1;
}

/* Sort this run's entries by domain; of a domain noted twice (listed
 * twice in the input), keep one. \return how many remain. */
static size_t
noted_unique(struct mts_state_entry *v, size_t n)
{
  size_t k = 0;

  /* qsort is not stable: sort, then for equal domains keep the entry with
   * the later last_checked (the later result). */
  qsort(v, n, sizeof(*v), cmp_entry);
  for (size_t i = 0; i < n; i++) {
    if (k > 0 && strcmp(v[k - 1].domain, v[i].domain) == 0) {
      if (v[i].last_checked >= v[k - 1].last_checked) {
        mts_state_entry_release(&v[k - 1]);
        v[k - 1] = v[i];
      } else {
        mts_state_entry_release(&v[i]);
      }
      memset(&v[i], 0, sizeof(v[i]));
      continue;
    }
    if (k != i) {
      v[k] = v[i];
      memset(&v[i], 0, sizeof(v[i]));
    }
    k++;
  }
  return k;
}

static int
write_entry(FILE *f, const struct mts_state_entry *e, int first)
{
  char *text = entry_print(e);
  char *key = json_string(e->domain);
  int rc = -1;

  if (text != NULL && key != NULL &&
      fprintf(f, "%s%s:%s", first ? "\n" : ",\n", key, text) > 0) {
    rc = 0;
  }
  free(text);
  free(key);
  return rc;
}

/* Write the merge of disk[] and mine[] (both sorted) to f. */
static int
write_merged(FILE *f, long long now, const struct mts_state_entry *disk,
             size_t nd, const struct mts_state_entry *mine, size_t nm)
{
  char when[32];
  size_t i = 0, j = 0;
  int first = 1;

  if (format_time(now, when, sizeof(when)) != 0 ||
      fprintf(f,
              "{\"kind\":\"" STATE_KIND "\",\"version\":%d,"
              "\"written_by\":\"mtasts-check " MTS_VERSION "\","
              "\"updated_at\":\"%s\",\"domains\":{",
              STATE_VERSION, when) < 0) {
    return -1;
  }
  while (i < nd || j < nm) {
    const struct mts_state_entry *e;
    int c = i == nd ? 1 : j == nm ? -1 : strcmp(disk[i].domain, mine[j].domain);
    if (c < 0) {
      e = &disk[i++];
    } else if (c > 0) {
      e = &mine[j++];
    } else {
      /* Checked by this run and by another that saved meanwhile: the
       * later check wins. */
      e = disk[i].last_checked > mine[j].last_checked ? &disk[i] : &mine[j];
      i++;
      j++;
    }
    if (write_entry(f, e, first) != 0) {
      return -1;
    }
    first = 0;
  }
  return fputs("\n}}\n", f) == EOF ? -1 : 0;
}

static int
fsync_dir(const char *path)
{
  char *dir = dir_of(path);
  int fd, rc;

  if (dir == NULL) {
    return -1;
  }
  fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  free(dir);
  if (fd < 0) {
    return -1;
  }
  rc = fsync(fd);
  close(fd);
  return rc;
}

/* Give the new file \p fd (mkstemp made it 0600, ours) the mode and the
 * owner of the file it replaces, \p old; a new state file gets 0666 less
 * the umask, as open(2) would have given it. Only root may give a file
 * away: another user keeps what chown allows (the group, if a member) and
 * owns the new file, as before. chown before chmod: chown may clear the
 * set-id bits. \return 0, or -1 (errno) when the mode cannot be set. */
static int
keep_owner_mode(int fd, const struct file_id *old)
{
  struct stat sb;
  mode_t mode;

  if (!old->exists) {
    /* Reading the umask sets it: put it back at once (no other thread
     * creates files while the state is saved). */
    mode_t mask = umask(077);
    umask(mask);
    return fchmod(fd, 0666 & ~mask);
  }
  if (fstat(fd, &sb) != 0) {
    return -1;
  }
  if ((sb.st_uid != old->uid || sb.st_gid != old->gid) &&
      fchown(fd, old->uid, old->gid) != 0 && sb.st_gid != old->gid) {
    (void)!fchown(fd, (uid_t)-1, old->gid);
  }
  mode = old->mode & 07777;
  return fchmod(fd, mode);
}

/* Write \p len bytes of \p in over the start of \p out. \return 0 or -1
 * (errno). */
static int
copy_bytes(int in, int out, off_t len)
{
  char buf[65536];
  off_t off = 0;

  while (off < len) {
    size_t want =
        len - off < (off_t)sizeof(buf) ? (size_t)(len - off) : sizeof(buf);
    ssize_t got = pread(in, buf, want, off);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      if (got == 0) {
        errno = EIO; /* the new file is shorter than it was */
      }
      return -1;
    }
    for (ssize_t done = 0; done < got;) {
      ssize_t put = pwrite(out, buf + done, (size_t)(got - done), off + done);
      if (put < 0 && errno == EINTR) {
        continue;
      }
      if (put <= 0) {
        if (put == 0) {
          errno = EIO;
        }
        return -1;
      }
      done += put;
    }
    off += got;
  }
  return 0;
}

/* The fallback when \p path cannot be renamed over (EBUSY: a file
 * bind-mounted into a container is a mount point): copy the new file
 * \p tmp over \p path in place, under the caller's lock. The space is
 * reserved first, so that a full disk fails before a byte changes; then
 * write, truncate, fsync. Owner, mode and inode stay. Not atomic: a crash
 * or an I/O error midway leaves a mix, and a reader that does not take
 * the lock (mts_state_open does when the file looks damaged) may see one.
 * \param[in] old what the merge read under this lock: it must still be
 * the file at \p path
 * \param[out] touched set when \p path may have changed (tmp is then kept)
 * \return MTS_OK or MTS_ESYS (errbuf set). */
static enum mts_err
rewrite_in_place(const char *tmp, const char *path, const struct file_id *old,
                 int *touched, char *errbuf, size_t errsz)
{
  struct stat sin, sout;
  int in = -1, out = -1, rc;
  enum mts_err err = MTS_ESYS;
  const char *what = "open it", *why = NULL;

  *touched = 0;
  in = open(tmp, O_RDONLY | O_CLOEXEC);
  out = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0 || out < 0 || fstat(in, &sin) != 0 || fstat(out, &sout) != 0) {
    goto fail;
  }
  if (!S_ISREG(sout.st_mode) || !old->exists || sout.st_dev != old->dev ||
      sout.st_ino != old->ino) {
    what = "use it";
    why = "it is not the file read under the lock";
    goto fail;
  }
  if (sin.st_size > sout.st_size) {
    what = "reserve space";
    rc = posix_fallocate(out, 0, sin.st_size);
    if (rc != 0 && rc != EINVAL && rc != EOPNOTSUPP) {
      errno = rc;
      goto fail;
    }
  }
  *touched = 1;
  what = "write";
  if (copy_bytes(in, out, sin.st_size) != 0 ||
      ftruncate(out, sin.st_size) != 0 || fsync(out) != 0) {
    goto fail;
  }
  rc = close(out);
  out = -1;
  if (rc != 0) {
    goto fail;
  }
  err = MTS_OK;
  goto done;

fail:
  if (why == NULL) {
    why = strerror(errno);
  }
  if (*touched) {
    snprintf(errbuf, errsz,
             _("cannot rename over '%s' (a mount point?), and rewriting it in "
               "place failed (%s: %s): it may be damaged now; the new state is "
               "in '%s'"),
             path, what, why, tmp);
  } else {
    snprintf(errbuf, errsz,
             _("cannot rename over '%s' (a mount point?), nor rewrite it in "
               "place (%s: %s); the state file was not updated"),
             path, what, why);
  }

done:
  if (in >= 0) {
    close(in);
  }
  if (out >= 0) {
    close(out);
  }
  return err;
}

enum mts_err
mts_state_save(struct mts_state *st, long long now, char *errbuf, size_t errsz)
{
  struct mts_state_entry *disk = NULL;
  struct file_id old;
  size_t nd = 0, nm, n;
  char *tmp = NULL;
  FILE *f = NULL;
  int fd = -1, locked = 0, keep_tmp = 0;
  enum mts_err err = MTS_ENOMEM;

  if (st->n_noted == 0) {
    return MTS_OK;
  }
  /* What was loaded at the start is stale now: free it before the file is
   * read again. */
  entries_free(st->loaded, st->n_loaded);
  st->loaded = NULL;
  st->n_loaded = 0;
  nm = noted_unique(st->noted, st->n_noted);
  st->n_noted = nm;

  if (lock_wait(st->lock_fd, LOCK_EX) != 0) {
    snprintf(errbuf, errsz,
             _("cannot lock '%s' (another run holds it?): %s; the state file "
               "was not updated"),
             st->lock_path, strerror(errno));
    err = MTS_ESYS;
    goto done;
  }
  locked = 1;
  err = load(st->path, &disk, &nd, &old, errbuf, errsz);
  if (err != MTS_OK) {
    goto done;
  }
  err = MTS_ENOMEM;
  n = strlen(st->path) + sizeof(".tmp.XXXXXX");
  tmp = malloc(n);
  if (tmp == NULL) {
    goto done;
  }
  /* A name nobody can guess, created with O_EXCL: never through a link
   * planted in the directory. */
  snprintf(tmp, n, "%s.tmp.XXXXXX", st->path);
  err = MTS_ESYS;
  fd = mkstemp(tmp);
  if (fd < 0) {
    snprintf(errbuf, errsz,
             _("cannot create a temporary file next to '%s': %s"), st->path,
             strerror(errno));
    free(tmp);
    tmp = NULL;
    goto done;
  }
  if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || keep_owner_mode(fd, &old) != 0) {
    snprintf(errbuf, errsz, _("cannot set the mode of '%s': %s"), tmp,
             strerror(errno));
    goto done;
  }
  f = fdopen(fd, "w");
  if (f == NULL) {
    snprintf(errbuf, errsz, _("cannot write '%s': %s"), tmp, strerror(errno));
    goto done;
  }
  fd = -1;
  if (write_merged(f, now, disk, nd, st->noted, nm) != 0 || fflush(f) != 0 ||
      fsync(fileno(f)) != 0) {
    snprintf(errbuf, errsz, _("cannot write '%s': %s"), tmp, strerror(errno));
    goto done;
  }
  if (fclose(f) != 0) {
    f = NULL;
    snprintf(errbuf, errsz, _("cannot write '%s': %s"), tmp, strerror(errno));
    goto done;
  }
  f = NULL;
  if (rename(tmp, st->path) == 0) {
    free(tmp);
    tmp = NULL; /* it is the state file now */
  } else if (errno == EBUSY) {
    /* A mount point (a file bind-mounted into a container): rewrite it
     * in place, still under the lock (docs/state.md). */
    err = rewrite_in_place(tmp, st->path, &old, &keep_tmp, errbuf, errsz);
    if (err != MTS_OK) {
      goto done;
    }
    err = MTS_ESYS;
  } else {
    snprintf(errbuf, errsz, _("cannot rename '%s' to '%s': %s"), tmp, st->path,
             strerror(errno));
    goto done;
  }
  if (tmp != NULL) {
    unlink(tmp);
    free(tmp);
    tmp = NULL;
  }
  if (fsync_dir(st->path) != 0) {
    snprintf(errbuf, errsz,
             _("cannot sync the directory of '%s': %s (the state was "
               "written)"),
             st->path, strerror(errno));
    goto done;
  }
  err = MTS_OK;

done:
  if (f != NULL) {
    fclose(f);
  }
  if (fd >= 0) {
    close(fd);
  }
  if (tmp != NULL && !keep_tmp) {
    unlink(tmp);
  }
  if (locked) {
    flock(st->lock_fd, LOCK_UN);
  }
  if (err == MTS_ENOMEM) {
    snprintf(errbuf, errsz, _("out of memory"));
  }
  free(tmp);
  entries_free(disk, nd);
  if (err == MTS_OK) {
    /* Saved: a second save writes nothing new. */
    for (size_t i = 0; i < st->n_noted; i++) {
      mts_state_entry_release(&st->noted[i]);
    }
    st->n_noted = 0;
  }
  return err;
}

void
mts_state_free(struct mts_state **pst)
{
  struct mts_state *st = pst ? *pst : NULL;

  if (st == NULL) {
    return;
  }
  entries_free(st->loaded, st->n_loaded);
  entries_free(st->noted, st->n_noted);
  if (st->lock_fd >= 0) {
    close(st->lock_fd);
  }
  free(st->path);
  free(st->lock_path);
  free(st);
  *pst = NULL;
}
