#include "propagate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts/i18n.h"
#include "mtasts/msg.h"

/* rollout.md R198, R199: the judgement of what the authoritative servers
 * said, against each other and against the resolver. Pure: no I/O. */

static int
buf_cmp(const void *a, const void *b)
{
  const struct mts_buf *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->data, y->data, n);

  if (c != 0) {
    return c;
  }
  return x->len < y->len ? -1 : x->len > y->len;
}

static int
push(struct mts_rrset_view *set, const char *p, size_t len)
{
  char *d = malloc(len + 1);

  if (d == NULL) {
    return -1;
  }
  memcpy(d, p, len);
  d[len] = '\0';
  set->v[set->n].data = d;
  set->v[set->n].len = len;
  set->n++;
  return 0;
}

/* The canonical record data of one answer (struct mts_rrset_view): a CNAME
 * at the name stands for the name's data, whoever followed it.
 * \return 0, or -1 when out of memory. */
static int
rrset_of(const struct mts_dns_result *r, struct mts_rrset_view *set)
{
  size_t n;

  memset(set, 0, sizeof(*set));
  if (r == NULL || mts_dns_status_failed(r->status) ||
      r->status == MTS_DNS_CNAME_LOOP) {
    return 0;
  }
  set->known = 1;
  n = r->n_cnames > 0 ? 1 : r->status == MTS_DNS_OK ? r->n_txt + r->n_mx : 0;
  if (n == 0) {
    return 0;
  }
  set->v = calloc(n, sizeof(*set->v));
  if (set->v == NULL) {
    return -1;
  }
  if (r->n_cnames > 0) {
    size_t len = strlen(r->cnames[0]) + 7;
    char *s = malloc(len);
    if (s == NULL) {
      return -1;
    }
    snprintf(s, len, "CNAME %s", r->cnames[0]);
    set->v[0].data = s;
    set->v[0].len = strlen(s);
    set->n = 1;
    return 0;
  }
  for (size_t i = 0; i < r->n_txt; i++) {
    if (push(set, r->txt[i].data, r->txt[i].len) != 0) {
      return -1;
    }
  }
  for (size_t i = 0; i < r->n_mx; i++) {
    char line[MTS_DNS_NAME_MAX + 16];
    int len = snprintf(line, sizeof(line), "%u %s", r->mx[i].preference,
                       r->mx[i].host);
    if (push(set, line, (size_t)len) != 0) {
      return -1;
    }
  }
  qsort(set->v, set->n, sizeof(*set->v), buf_cmp);
  return 0;
}

static void
rrset_free(struct mts_rrset_view *set)
{
  for (size_t i = 0; i < set->n; i++) {
    free(set->v[i].data);
  }
  free(set->v);
  memset(set, 0, sizeof(*set));
}

static int
rrset_eq(const struct mts_rrset_view *a, const struct mts_rrset_view *b)
{
  if (a->n != b->n) {
    return 0;
  }
  for (size_t i = 0; i < a->n; i++) {
    if (buf_cmp(&a->v[i], &b->v[i]) != 0) {
      return 0;
    }
  }
  return 1;
}

/* R198: what one address did with the questions it was asked. */
static enum mts_ns_status
server_status(const struct mts_prop_server *s)
{
  int answered = 0, lame = 0;

  for (int q = 0; q < MTS_PQ__COUNT; q++) {
    const struct mts_dns_result *a = s->ans[q];
    if (a == NULL || a->rcode < 0) {
      continue; /* no answer: timed out, or its port is closed */
    }
    if (a->rcode == 5) {
      return MTS_NS_REFUSED;
    }
    answered = 1;
    lame |= !a->aa;
  }
  return !answered ? MTS_NS_UNREACHABLE : lame ? MTS_NS_LAME : MTS_NS_OK;
}

static const int question_of[MTS_PROP__COUNT] = {
    [MTS_PROP_STS] = MTS_PQ_STS,
    [MTS_PROP_TLSRPT] = MTS_PQ_TLSRPT,
    [MTS_PROP_MX] = MTS_PQ_MX,
};

/* The name each comparison is about, for messages. */
static void
prop_name(const struct mts_result *r, int k, char *buf, size_t size)
{
  static const char *const prefix[MTS_PROP__COUNT] = {"_mta-sts.",
                                                      "_smtp._tls.", ""};
  snprintf(buf, size, "%s%s %s", prefix[k], r->domain,
           k == MTS_PROP_MX ? "MX" : "TXT");
}

/* "\"v=STSv1; id=2\" and \"...\"", "no record": one set for a message. */
static void
show_set(const struct mts_rrset_view *set, char *buf, size_t size)
{
  size_t len = 0;

  buf[0] = '\0';
  if (set->n == 0) {
    mts_frag(buf, size, N_("no record"));
    return;
  }
  for (size_t i = 0; i < set->n && len + 8 < size; i++) {
    struct mts_shown sh;
    int w = snprintf(buf + len, size - len, "%s\"%s\"", i > 0 ? ", " : "",
                     mts_show(&sh, set->v[i].data, set->v[i].len));
    if (w < 0 || (size_t)w >= size - len) {
      break;
    }
    len += (size_t)w;
  }
}

/* The servers that answered name k, grouped by what they gave: group[s] is
 * the index of the first server of its group, or -1 (no answer). */
static size_t
groups_of(const struct mts_propagation_view *v, int k, long *group)
{
  size_t n_groups = 0;

  for (size_t s = 0; s < v->n_servers; s++) {
    const struct mts_ns_view *sv = &v->servers[s];
    group[s] = -1;
    if (sv->status != MTS_NS_OK || !sv->rr[k].known) {
      continue;
    }
    for (size_t t = 0; t < s; t++) {
      if (group[t] == (long)t && rrset_eq(&v->servers[t].rr[k], &sv->rr[k])) {
        group[s] = (long)t;
        break;
      }
    }
    if (group[s] < 0) {
      group[s] = (long)s;
      n_groups++;
    }
  }
  return n_groups;
}

/* The authoritative answer for name k: that of most servers that
 * answered; a tie goes to the group holding the highest serial.
 * \return the index of a server of that group, or -1. */
static long
majority(const struct mts_propagation_view *v, const long *group)
{
  long best = -1;
  size_t best_n = 0;
  long long best_serial = -1;

  for (size_t s = 0; s < v->n_servers; s++) {
    size_t n = 0;
    long long serial = -1;
    if (group[s] != (long)s) {
      continue;
    }
    for (size_t t = 0; t < v->n_servers; t++) {
      if (group[t] == (long)s) {
        n++;
        if (v->servers[t].serial > serial) {
          serial = v->servers[t].serial;
        }
      }
    }
    if (n > best_n || (n == best_n && serial > best_serial)) {
      best = (long)s;
      best_n = n;
      best_serial = serial;
    }
  }
  return best;
}

/* DNS_NS_OUT_OF_SYNC for name k: who gives what, with their serials. */
static enum mts_err
out_of_sync(const struct mts_propagation_view *v, int k, const long *group,
            struct mts_result *r)
{
  char name[MTS_DNS_NAME_MAX + 32];
  char *msg;
  size_t size = 4096, len = 0;
  enum mts_err err;

  msg = malloc(size);
  if (msg == NULL) {
    return MTS_ENOMEM;
  }
  msg[0] = '\0';
  for (size_t g = 0; g < v->n_servers; g++) {
    char set[1024], who[2048];
    size_t wl = 0;
    int w;
    if (group[g] != (long)g) {
      continue;
    }
    who[0] = '\0';
    for (size_t s = 0; s < v->n_servers; s++) {
      char serial[64];
      if (group[s] != (long)g) {
        continue;
      }
      if (v->servers[s].serial >= 0) {
        mts_frag(serial, sizeof(serial), N_("serial %lld"),
                 v->servers[s].serial);
      } else {
        mts_frag(serial, sizeof(serial), N_("serial unknown"));
      }
      w = snprintf(who + wl, sizeof(who) - wl, "%s%s (%s, %s)",
                   wl > 0 ? ", " : "", v->servers[s].name, v->servers[s].ip,
                   serial);
      if (w < 0 || (size_t)w >= sizeof(who) - wl) {
        break;
      }
      wl += (size_t)w;
    }
    show_set(&v->servers[g].rr[k], set, sizeof(set));
    w = snprintf(msg + len, size - len, "%s%s: %s", len > 0 ? "; " : "", who,
                 set);
    if (w < 0 || (size_t)w >= size - len) {
      break;
    }
    len += (size_t)w;
  }
  prop_name(r, k, name, sizeof(name));
  err = mts_findings_add(&r->findings, MTS_F_DNS_NS_OUT_OF_SYNC, name,
                         strlen(name),
                         "The name servers of %s do not give the same %s: "
                         "%s.",
                         v->zone, name, msg);
  free(msg);
  return err;
}

static enum mts_err
unreachable(const struct mts_ns_view *s, const char *zone, struct mts_result *r)
{
  char subject[MTS_DNS_NAME_MAX + 64];

  snprintf(subject, sizeof(subject), "%s %s", s->name, s->ip);
  switch (s->status) {
    case MTS_NS_REFUSED:
      return mts_findings_add(&r->findings, MTS_F_DNS_NS_UNREACHABLE, subject,
                              strlen(subject),
                              "The name server %s (%s) refuses to answer "
                              "for %s (REFUSED).",
                              s->name, s->ip, zone);
    case MTS_NS_LAME:
      return mts_findings_add(&r->findings, MTS_F_DNS_NS_UNREACHABLE, subject,
                              strlen(subject),
                              "The name server %s (%s) answers for %s "
                              "without authority (a lame delegation): it "
                              "does not serve the zone.",
                              s->name, s->ip, zone);
    default:
      return mts_findings_add(&r->findings, MTS_F_DNS_NS_UNREACHABLE, subject,
                              strlen(subject),
                              "The name server %s (%s) of %s did not answer "
                              "(no answer in time, or its port 53 is "
                              "closed).",
                              s->name, s->ip, zone);
  }
}

/* How long the resolver may keep its copy: the TTL it gave (a negative
 * answer: its SOA's), else unknown. */
static long
resolver_ttl(const struct mts_dns_result *res)
{
  if (res->status == MTS_DNS_OK && res->n_cnames == 0) {
    return res->ttl;
  }
  return res->soa_neg_ttl;
}

static enum mts_err
stale(const struct mts_rrset_view *mine, const struct mts_rrset_view *auth,
      const struct mts_dns_result *res, int k, struct mts_result *r)
{
  char name[MTS_DNS_NAME_MAX + 32], a[1024], b[1024];
  long ttl = resolver_ttl(res);

  prop_name(r, k, name, sizeof(name));
  show_set(mine, a, sizeof(a));
  show_set(auth, b, sizeof(b));
  if (ttl >= 0) {
    return mts_findings_add(&r->findings, MTS_F_DNS_RESOLVER_STALE, name,
                            strlen(name),
                            "The resolver still gives an older %s (%s) than "
                            "the name servers (%s): its copy expires within "
                            "%ld s.",
                            name, a, b, ttl);
  }
  return mts_findings_add(&r->findings, MTS_F_DNS_RESOLVER_STALE, name,
                          strlen(name),
                          "The resolver still gives an older %s (%s) than "
                          "the name servers (%s): its copy expires when its "
                          "TTL runs out.",
                          name, a, b);
}

static enum mts_err
judge(struct mts_propagation_view *v,
      const struct mts_dns_result *const *resolver, struct mts_result *r)
{
  long group[MTS_PROP_MAX_ADDRS];
  int compared = 0;

  for (size_t s = 0; s < v->n_servers; s++) {
    if (v->servers[s].status != MTS_NS_OK) {
      if (unreachable(&v->servers[s], v->zone, r) != MTS_OK) {
        return MTS_ENOMEM;
      }
    } else {
      v->in_sync = 1;
    }
  }
  for (int k = 0; k < MTS_PROP__COUNT; k++) {
    struct mts_rrset_view mine;
    long best;

    if (groups_of(v, k, group) > 1) {
      v->in_sync = 0;
      if (out_of_sync(v, k, group, r) != MTS_OK) {
        return MTS_ENOMEM;
      }
    }
    best = majority(v, group);
    if (best < 0 || resolver == NULL || resolver[k] == NULL) {
      continue;
    }
    if (rrset_of(resolver[k], &mine) != 0) {
      rrset_free(&mine);
      return MTS_ENOMEM;
    }
    if (mine.known) {
      compared = 1;
      if (!rrset_eq(&mine, &v->servers[best].rr[k])) {
        v->resolver_current = 0;
        if (stale(&mine, &v->servers[best].rr[k], resolver[k], k, r) !=
            MTS_OK) {
          rrset_free(&mine);
          return MTS_ENOMEM;
        }
      }
    }
    rrset_free(&mine);
  }
  if (compared && v->resolver_current != 0) {
    v->resolver_current = 1;
  }
  return MTS_OK;
}

enum mts_err
mts_prop_judge(const struct mts_prop_facts *f,
               const struct mts_dns_result *const *resolver,
               struct mts_result *r)
{
  struct mts_propagation_view *v = calloc(1, sizeof(*v));
  enum mts_err err = MTS_ENOMEM;

  if (v == NULL) {
    return MTS_ENOMEM;
  }
  v->in_sync = -1;
  v->resolver_current = -1;
  if ((f->zone != NULL && (v->zone = strdup(f->zone)) == NULL) ||
      (f->domain_zone != NULL &&
       (v->domain_zone = strdup(f->domain_zone)) == NULL) ||
      (f->error != NULL && (v->error = strdup(f->error)) == NULL)) {
    goto done;
  }
  if (f->n_servers > 0) {
    v->servers = calloc(f->n_servers, sizeof(*v->servers));
    if (v->servers == NULL) {
      goto done;
    }
  }
  for (size_t s = 0; s < f->n_servers; s++) {
    const struct mts_prop_server *fs = &f->servers[s];
    struct mts_ns_view *sv = &v->servers[v->n_servers++];
    const struct mts_dns_result *soa = fs->ans[MTS_PQ_SOA];

    sv->name = strdup(fs->name);
    sv->ip = strdup(fs->ip);
    if (sv->name == NULL || sv->ip == NULL) {
      goto done;
    }
    sv->status = server_status(fs);
    sv->serial = soa != NULL && soa->status == MTS_DNS_OK &&
                         soa->soa_zone != NULL && sv->status == MTS_NS_OK
                     ? soa->soa_serial
                     : -1;
    for (int k = 0; k < MTS_PROP__COUNT; k++) {
      if (sv->status == MTS_NS_OK &&
          rrset_of(fs->ans[question_of[k]], &sv->rr[k]) != 0) {
        goto done;
      }
    }
  }
  err = judge(v, resolver, r);
  if (err != MTS_OK) {
    goto done;
  }
  mts_propagation_view_free(&r->propagation);
  r->propagation = v;
  v = NULL;
  mts_result_set_status(r);
done:
  mts_propagation_view_free(&v);
  return err;
}
