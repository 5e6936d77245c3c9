#include "propagate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "mtasts/i18n.h"

/* The chain (rollout.md R197), each step as soon as the one before it is
 * in, beside the rest of the check:
 *
 *   SOA _mta-sts.<d>, SOA <d>   the zones: owners of the SOA records
 *   NS <zone>                   per distinct zone
 *   A, AAAA of each NS name     through the check's resolver
 *   SOA, TXT, TXT, MX           to each address, RD clear, one channel per
 *                               address (mts_resolve_at): no failover
 *
 * When _mta-sts.<d> is a CNAME, the zone holding it is the zone of <d>
 * (a CNAME cannot sit at a zone's apex). */

enum step {
  STEP_SOA = 0,
  STEP_NS,
  STEP_ADDR,
  STEP_DIRECT,
  STEP_DONE,
};

struct prop_ctx {
  struct mts_prop *p;
  int kind; /* enum step of the lookup */
  size_t i; /* zone, name or server */
  int k;    /* family or question */
};

struct ns_name {
  char *name;
  unsigned zones; /* bit z: a server of zone z */
  struct mts_dns_result *addr[2];
  struct mts_query *q[2];
  struct prop_ctx ctx[2];
};

struct mts_prop {
  struct mts_loop *loop;
  struct mts_resolver *res;  /* the check's, borrowed */
  struct mts_resolver *auth; /* the servers', owned */
  struct mts_prop_opts opts;
  char *domain;
  mts_prop_cb cb;
  void *arg;
  enum step step;
  int pending;
  struct mts_dns_result *soa[2]; /* of _mta-sts.<d>, of <d> */
  struct mts_query *soa_q[2];
  struct prop_ctx soa_ctx[2];
  char *zones[2]; /* zones[1] NULL: one zone */
  struct mts_dns_result *ns[2];
  struct mts_query *ns_q[2];
  struct prop_ctx ns_ctx[2];
  struct ns_name names[2 * MTS_PROP_MAX_NS];
  size_t n_names;
  unsigned server_zones[MTS_PROP_MAX_ADDRS];
  struct mts_query *dq[MTS_PROP_MAX_ADDRS][MTS_PQ__COUNT];
  struct prop_ctx dctx[MTS_PROP_MAX_ADDRS][MTS_PQ__COUNT];
  struct mts_timer done_timer;
  struct mts_prop_facts facts;
};

static void on_lookup(void *arg, struct mts_dns_result *res);

void
mts_prop_facts_release(struct mts_prop_facts *f)
{
  for (size_t i = 0; i < f->n_servers; i++) {
    free(f->servers[i].name);
    free(f->servers[i].ip);
    for (int k = 0; k < MTS_PQ__COUNT; k++) {
      mts_dns_result_free(&f->servers[i].ans[k]);
    }
  }
  free(f->servers);
  free(f->zone);
  free(f->domain_zone);
  free(f->error);
  memset(f, 0, sizeof(*f));
}

const struct mts_prop_facts *
mts_prop_facts(const struct mts_prop *p)
{
  return &p->facts;
}

/* Finish on the next loop turn: the servers' resolver may be the one
 * calling us now, and it is freed before the owner hears of the end. */
static void
finish(struct mts_prop *p)
{
  p->step = STEP_DONE;
  (void)mts_loop_timer_set(p->loop, &p->done_timer, 0);
}

static void
on_done_timer(void *arg)
{
  struct mts_prop *p = arg;

  mts_resolver_free(&p->auth);
  p->cb(p->arg);
}

/* Why no server could be asked: the facts say it; best effort. */
static void
fail(struct mts_prop *p, const char *why)
{
  if (p->facts.error == NULL) {
    p->facts.error = strdup(why);
  }
  finish(p);
}

static int
ask(struct mts_prop *p, struct prop_ctx *ctx, const char *name, int type,
    struct mts_query **q)
{
  p->pending++;
  if (mts_resolve(p->res, name, type, on_lookup, ctx, q) != MTS_OK) {
    p->pending--;
    *q = NULL;
    return -1;
  }
  return 0;
}

/* The zone owning the SOA of one answer, or NULL. */
static const char *
soa_zone(const struct mts_dns_result *r)
{
  return r != NULL && r->n_cnames == 0 ? r->soa_zone : NULL;
}

/* Both SOA answers are in: the zones, then their NS sets. */
static void
zones_found(struct mts_prop *p)
{
  const char *sts = soa_zone(p->soa[0]), *dom = soa_zone(p->soa[1]);

  if (sts == NULL) {
    sts = dom; /* a CNAME at _mta-sts.<d>, or no answer: <d>'s zone */
  }
  if (dom == NULL) {
    dom = sts;
  }
  if (sts == NULL) {
    fail(p, N_("the zone could not be found: the SOA lookups of the domain "
               "failed"));
    return;
  }
  p->zones[0] = strdup(sts);
  p->zones[1] = strcmp(sts, dom) != 0 ? strdup(dom) : NULL;
  p->facts.zone = p->zones[0] ? strdup(p->zones[0]) : NULL;
  p->facts.domain_zone = p->zones[1] ? strdup(p->zones[1]) : NULL;
  if (p->zones[0] == NULL || p->facts.zone == NULL ||
      (strcmp(sts, dom) != 0 &&
       (p->zones[1] == NULL || p->facts.domain_zone == NULL))) {
    fail(p, "out of memory");
    return;
  }
  p->step = STEP_NS;
  for (int z = 0; z < 2 && p->zones[z] != NULL; z++) {
    p->ns_ctx[z] = (struct prop_ctx){p, STEP_NS, (size_t)z, 0};
    if (ask(p, &p->ns_ctx[z], p->zones[z], MTS_RR_NS, &p->ns_q[z]) != 0) {
      fail(p, "out of memory");
      return;
    }
  }
}

/* The NS sets are in: look up every distinct name's addresses. */
static void
ns_found(struct mts_prop *p)
{
  for (int z = 0; z < 2; z++) {
    const struct mts_dns_result *ns = p->ns[z];
    for (size_t i = 0; ns != NULL && ns->status == MTS_DNS_OK &&
                       i < ns->n_names && i < MTS_PROP_MAX_NS;
         i++) {
      size_t k;
      for (k = 0; k < p->n_names; k++) {
        if (strcmp(p->names[k].name, ns->names[i]) == 0) {
          break;
        }
      }
      if (k == p->n_names) {
        p->names[k].name = strdup(ns->names[i]);
        if (p->names[k].name == NULL) {
          fail(p, "out of memory");
          return;
        }
        p->n_names++;
      }
      p->names[k].zones |= 1u << z;
    }
  }
  if (p->n_names == 0) {
    fail(p, N_("the zone's name servers could not be found: the NS lookup "
               "failed"));
    return;
  }
  p->step = STEP_ADDR;
  for (size_t k = 0; k < p->n_names; k++) {
    for (int f = 0; f < 2; f++) {
      p->names[k].ctx[f] = (struct prop_ctx){p, STEP_ADDR, k, f};
      if (ask(p, &p->names[k].ctx[f], p->names[k].name,
              f == 0 ? MTS_RR_A : MTS_RR_AAAA, &p->names[k].q[f]) != 0) {
        fail(p, "out of memory");
        return;
      }
    }
  }
}

/* 1 if this machine has a route to \p ip: a UDP connect sends nothing. An
 * IPv6 server seen from a machine without IPv6 is not asked, rather than
 * reported unreachable (as the SMTP probe's R168 "not-checked"). */
static int
routable(const char *ip)
{
  struct sockaddr_in6 a6;
  struct sockaddr_in a4;
  const struct sockaddr *sa;
  socklen_t len;
  int fd, ok;

  memset(&a6, 0, sizeof(a6));
  memset(&a4, 0, sizeof(a4));
  if (inet_pton(AF_INET, ip, &a4.sin_addr) == 1) {
    a4.sin_family = AF_INET;
    a4.sin_port = htons(53);
    sa = (const struct sockaddr *)&a4;
    len = sizeof(a4);
  } else if (inet_pton(AF_INET6, ip, &a6.sin6_addr) == 1) {
    a6.sin6_family = AF_INET6;
    a6.sin6_port = htons(53);
    sa = (const struct sockaddr *)&a6;
    len = sizeof(a6);
  } else {
    return 0;
  }
  fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return 0;
  }
  ok = connect(fd, sa, len) == 0 ||
       (errno != ENETUNREACH && errno != EAFNOSUPPORT &&
        errno != EADDRNOTAVAIL && errno != EHOSTUNREACH);
  close(fd);
  return ok;
}

/* Every address is known: one channel per address, four questions each
 * (those of its zones). */
static void
ask_servers(struct mts_prop *p)
{
  const char *list[MTS_PROP_MAX_ADDRS];
  char hosts[MTS_PROP_MAX_ADDRS][INET6_ADDRSTRLEN + 16];
  struct mts_resolver_opts ro;
  char errbuf[256];
  size_t n = 0;
  struct mts_prop_server *sv;

  sv = calloc(MTS_PROP_MAX_ADDRS, sizeof(*sv));
  if (sv == NULL) {
    fail(p, "out of memory");
    return;
  }
  p->facts.servers = sv;
  for (size_t k = 0; k < p->n_names; k++) {
    for (int f = 0; f < 2; f++) {
      const struct mts_dns_result *a = p->names[k].addr[f];
      for (size_t i = 0; a != NULL && a->status == MTS_DNS_OK &&
                         i < a->n_addrs && n < MTS_PROP_MAX_ADDRS;
           i++) {
        if (!routable(a->addrs[i])) {
          continue;
        }
        sv[n].name = strdup(p->names[k].name);
        sv[n].ip = strdup(a->addrs[i]);
        p->facts.n_servers = n + 1;
        if (sv[n].name == NULL || sv[n].ip == NULL) {
          fail(p, "out of memory");
          return;
        }
        snprintf(hosts[n], sizeof(hosts[n]), f == 0 ? "%s:%u" : "[%s]:%u",
                 a->addrs[i], p->opts.port);
        list[n] = hosts[n];
        p->server_zones[n] = p->names[k].zones;
        n++;
      }
    }
  }
  if (n == 0) {
    fail(p, N_("no address of the zone's name servers could be found"));
    return;
  }
  memset(&ro, 0, sizeof(ro));
  ro.servers = list;
  ro.n_servers = n;
  ro.try_timeout_ms = p->opts.try_timeout_ms;
  ro.tries = p->opts.tries;
  ro.authoritative = 1;
  if (mts_resolver_new(&p->auth, p->loop, &ro, errbuf, sizeof(errbuf)) !=
      MTS_OK) {
    fail(p, errbuf);
    return;
  }
  p->step = STEP_DIRECT;
  for (size_t s = 0; s < n; s++) {
    /* Zone 0 holds _mta-sts.<d>; zone 1 (or zone 0 when there is one)
     * holds <d>, its MX and _smtp._tls.<d>. */
    unsigned z = p->server_zones[s];
    int one = p->zones[1] == NULL;
    int sts = (z & 1u) != 0, dom = one ? sts : (z & 2u) != 0;
    for (int q = 0; q < MTS_PQ__COUNT; q++) {
      char name[MTS_DNS_NAME_MAX + 32];
      int type;
      const char *zone = sts ? p->zones[0] : p->zones[1];
      if ((q == MTS_PQ_STS && !sts) ||
          ((q == MTS_PQ_TLSRPT || q == MTS_PQ_MX) && !dom)) {
        continue;
      }
      switch (q) {
        case MTS_PQ_SOA:
          snprintf(name, sizeof(name), "%s", zone);
          type = MTS_RR_SOA;
          break;
        case MTS_PQ_STS:
          snprintf(name, sizeof(name), "_mta-sts.%s", p->domain);
          type = MTS_RR_TXT;
          break;
        case MTS_PQ_TLSRPT:
          snprintf(name, sizeof(name), "_smtp._tls.%s", p->domain);
          type = MTS_RR_TXT;
          break;
        default:
          snprintf(name, sizeof(name), "%s", p->domain);
          type = MTS_RR_MX;
          break;
      }
      p->dctx[s][q] = (struct prop_ctx){p, STEP_DIRECT, s, q};
      sv[s].asked |= 1u << q;
      p->pending++;
      if (mts_resolve_at(p->auth, s, name, type, on_lookup, &p->dctx[s][q],
                         &p->dq[s][q]) != MTS_OK) {
        p->pending--;
        p->dq[s][q] = NULL;
      }
    }
  }
  if (p->pending == 0) {
    finish(p);
  }
}

static void
on_lookup(void *arg, struct mts_dns_result *res)
{
  struct prop_ctx *ctx = arg;
  struct mts_prop *p = ctx->p;

  p->pending--;
  switch (ctx->kind) {
    case STEP_SOA:
      p->soa_q[ctx->i] = NULL;
      p->soa[ctx->i] = res;
      break;
    case STEP_NS:
      p->ns_q[ctx->i] = NULL;
      p->ns[ctx->i] = res;
      break;
    case STEP_ADDR:
      p->names[ctx->i].q[ctx->k] = NULL;
      p->names[ctx->i].addr[ctx->k] = res;
      break;
    default:
      p->dq[ctx->i][ctx->k] = NULL;
      p->facts.servers[ctx->i].ans[ctx->k] = res;
      break;
  }
  if (p->pending > 0 || p->step == STEP_DONE) {
    return;
  }
  switch (p->step) {
    case STEP_SOA:
      zones_found(p);
      break;
    case STEP_NS:
      ns_found(p);
      break;
    case STEP_ADDR:
      ask_servers(p);
      break;
    default:
      finish(p);
      break;
  }
}

enum mts_err
mts_prop_start(struct mts_prop **out, struct mts_loop *loop,
               struct mts_resolver *res, const char *domain,
               const struct mts_prop_opts *opts, mts_prop_cb cb, void *arg)
{
  struct mts_prop *p = calloc(1, sizeof(*p));
  char name[MTS_DNS_NAME_MAX + 32];

  if (p == NULL || (p->domain = strdup(domain)) == NULL) {
    free(p);
    return MTS_ENOMEM;
  }
  p->loop = loop;
  p->res = res;
  p->opts = *opts;
  p->cb = cb;
  p->arg = arg;
  p->done_timer.cb = on_done_timer;
  p->done_timer.arg = p;
  p->step = STEP_SOA;
  /* Hold a reference: an answer may come before the second ask. */
  p->pending = 1;
  snprintf(name, sizeof(name), "_mta-sts.%s", domain);
  p->soa_ctx[0] = (struct prop_ctx){p, STEP_SOA, 0, 0};
  p->soa_ctx[1] = (struct prop_ctx){p, STEP_SOA, 1, 0};
  if (ask(p, &p->soa_ctx[0], name, MTS_RR_SOA, &p->soa_q[0]) != 0 ||
      ask(p, &p->soa_ctx[1], domain, MTS_RR_SOA, &p->soa_q[1]) != 0) {
    mts_prop_free(&p);
    return MTS_ENOMEM;
  }
  p->pending--;
  if (p->pending == 0) {
    zones_found(p);
  }
  *out = p;
  return MTS_OK;
}

/* Cancel every lookup still out. */
static void
cancel_all(struct mts_prop *p)
{
  for (int z = 0; z < 2; z++) {
    mts_resolve_cancel(p->soa_q[z]);
    p->soa_q[z] = NULL;
    mts_resolve_cancel(p->ns_q[z]);
    p->ns_q[z] = NULL;
  }
  for (size_t k = 0; k < p->n_names; k++) {
    for (int f = 0; f < 2; f++) {
      mts_resolve_cancel(p->names[k].q[f]);
      p->names[k].q[f] = NULL;
    }
  }
  for (size_t s = 0; s < MTS_PROP_MAX_ADDRS; s++) {
    for (int q = 0; q < MTS_PQ__COUNT; q++) {
      if (p->dq[s][q] != NULL) {
        mts_resolve_cancel(p->dq[s][q]);
        p->dq[s][q] = NULL;
      }
    }
  }
  p->pending = 0;
}

void
mts_prop_expire(struct mts_prop *p)
{
  if (p->step < STEP_DIRECT && p->facts.error == NULL) {
    p->facts.error = strdup(N_("the check's time limit was reached before "
                               "the name servers were found"));
  }
  cancel_all(p);
  mts_resolver_free(&p->auth);
  (void)mts_loop_timer_set(p->loop, &p->done_timer, -1);
  p->step = STEP_DONE;
}

void
mts_prop_free(struct mts_prop **pp)
{
  struct mts_prop *p;

  if (pp == NULL || *pp == NULL) {
    return;
  }
  p = *pp;
  cancel_all(p);
  mts_resolver_free(&p->auth);
  (void)mts_loop_timer_set(p->loop, &p->done_timer, -1);
  for (int z = 0; z < 2; z++) {
    mts_dns_result_free(&p->soa[z]);
    mts_dns_result_free(&p->ns[z]);
    free(p->zones[z]);
  }
  for (size_t k = 0; k < p->n_names; k++) {
    free(p->names[k].name);
    mts_dns_result_free(&p->names[k].addr[0]);
    mts_dns_result_free(&p->names[k].addr[1]);
  }
  mts_prop_facts_release(&p->facts);
  free(p->domain);
  free(p);
  *pp = NULL;
}
