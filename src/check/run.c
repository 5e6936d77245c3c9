#include "mtasts/check.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "assess.h"
#include "propagate.h"
#include "mtasts/i18n.h"
#include "mtasts/rules.h"
#include "mtasts/net.h"

/* Longest input line taken as a domain; longer lines are cut (and then
 * fail validation) so that no input can make a line buffer grow. */
#define LINE_MAX_LEN 1024

/* Domains started per loop turn. Starting all of --concurrency at once
 * sends hundreds of queries back to back, and their answers overflow the
 * socket before the loop reads any (docs/benchmarks.md). A turn reads
 * every answer that has arrived, so ramping up keeps the socket drained. */
#define STARTS_PER_TURN 32

/* Finished results kept waiting behind a slow domain, per unit of
 * --concurrency, so that output stays in input order. */
#define WINDOW_FACTOR 8

/* The progress line is redrawn at most this often. */
#define PROGRESS_MS 200

enum slot {
  SLOT_STS = 0,
  SLOT_TLSRPT,
  SLOT_MX,
  SLOT_APEX,
  SLOT_POLICY_A, /* mta-sts.<d>: the policy host (rfc-rules R46) */
  SLOT_POLICY_AAAA,
  SLOT__COUNT,
};

/* What each slot asks: a prefix to the domain and a type. */
static const struct {
  const char *prefix;
  int type;
} slot_query[SLOT__COUNT] = {
    [SLOT_STS] = {"_mta-sts.", MTS_RR_TXT},
    [SLOT_TLSRPT] = {"_smtp._tls.", MTS_RR_TXT},
    [SLOT_MX] = {"", MTS_RR_MX},
    [SLOT_APEX] = {"", MTS_RR_TXT},
    [SLOT_POLICY_A] = {"mta-sts.", MTS_RR_A},
    [SLOT_POLICY_AAAA] = {"mta-sts.", MTS_RR_AAAA},
};

struct runner;

/* One domain being checked. The lookups start together, so a domain costs
 * one round trip (two when a record is missing and the apex is asked). */
struct probe {
  struct runner *run;
  struct probe *next; /* input order */
  struct mts_result result;
  struct mts_dns_result *dns[SLOT__COUNT];
  struct mts_query *query[SLOT__COUNT];
  struct slot_ctx {
    struct probe *probe;
    enum slot slot;
  } ctx[SLOT__COUNT];
  /* One fetch per address of the policy host (R50: senders pick one). */
  struct mts_fetch *fetch[MTS_MAX_POLICY_ADDRS];
  struct mts_fetch_result *fetched[MTS_MAX_POLICY_ADDRS];
  const char *fetch_addr[MTS_MAX_POLICY_ADDRS]; /* in dns[SLOT_POLICY_*] */
  struct fetch_ctx {
    struct probe *probe;
    size_t i;
  } fetch_ctx[MTS_MAX_POLICY_ADDRS];
  size_t n_fetch;
  int fetch_started;
  /* MX transport (issue 12): each MX host's A and AAAA (R163), asked as
   * soon as the MX answer arrives. */
  struct mx_target {
    char *name;
    struct mts_dns_result *dns[2]; /* A, AAAA */
    struct mts_query *query[2];
    struct target_ctx {
      struct probe *probe;
      size_t i;
      int fam;
    } ctx[3]; /* A, AAAA, TLSA */
    /* DANE (R169): _25._tcp.<name> TLSA, asked with the A and AAAA; the
     * SMTP probes wait for it, since DANE is set up before the handshake. */
    struct mts_dns_result *tlsa;
    struct mts_query *tlsa_query;
    int tlsa_asked;
    int smtp_started[2];
    /* One SMTP probe per address (R164). */
    struct smtp_slot {
      struct mts_smtp *h;
      struct mts_smtp_result *res;
      const char *addr; /* in dns[] */
      struct probe *probe;
      size_t t;
    } sp[MTS_MAX_MX_ADDRS];
    size_t n_sp;
  } target[MTS_MAX_MX_TARGETS];
  size_t n_target;
  /* --propagation (rollout.md R197): its own chain beside the rest. */
  struct mts_prop *prop;
  int prop_pending;
  int pending;
  int done;
  uint64_t started_ms;
  uint64_t deadline_ms;
};

struct runner {
  const struct mts_run_opts *opts;
  struct mts_source *src;
  struct mts_loop *loop;
  struct mts_resolver *resolver;
  struct mts_fetcher *fetcher; /* NULL with --no-policy */
  struct mts_smtper *smtper;   /* NULL with --no-smtp */
  unsigned smtp_unreached;     /* R168: probes that could not connect */
  int smtp_reached;            /* a probe connected somewhere */
  int smtp_stopped;            /* R168: port 25 looks blocked: stop */
  struct mts_timer deadline;
  struct mts_timer kick;     /* fill() again after this turn's events */
  size_t turn_starts;        /* domains started in this loop turn */
  struct probe *head, *tail; /* started, not yet written */
  size_t inflight;           /* started, not yet done */
  size_t window;             /* started, not yet written */
  int eof;
  int input_watched; /* the loop watches src->fd for input */
  int unflushed;     /* results written to opts->out since the last flush */
  int filling;       /* fill() is on the stack: do not re-enter it */
  /* Bulk runs (docs/design.md "Rate limit, progress and signals"). */
  struct mts_tally tally;  /* results written, per status */
  unsigned long total;     /* domains to check, 0: not known (yet) */
  off_t in_off;            /* where a regular input file starts, or -1 */
  uint64_t run_started_ms; /* for the progress line's rate */
  struct mts_timer progress;
  int bar_shown;   /* the progress line is on stderr now */
  int out_tty;     /* opts->out is a terminal: erase the bar first */
  int sig_pipe[2]; /* the signal handler's self-pipe, or -1 */
  int sig_set[2];  /* SIGINT, SIGTERM: our handler is set */
  struct sigaction sig_old[2];
  int stopping;        /* a signal came: start nothing more */
  const char *pending; /* read, waiting for --qps tokens (source buffer) */
  int signo;
  enum mts_status worst;
  enum mts_err err;
  char *errbuf;
  size_t errsz;
};

static void fill(struct runner *run);
static void progress_erase(struct runner *run);

/* Queries a domain sends when it starts (probe_start). */
static unsigned
first_queries(const struct runner *run)
{
  return run->fetcher != NULL ? 5u : 3u;
}
static void watch_input(struct runner *run);
static void on_input(void *arg, int fd, unsigned events);

/* ---- input -------------------------------------------------------------- */

#define INBUF_SIZE (4 * LINE_MAX_LEN)

/* Turn the raw line [p, p+len) into a domain: cut the comment, trim
 * blanks, show NUL as SUB. \return the domain (in place), or NULL if the
 * line holds none. */
static const char *
line_domain(char *p, size_t len)
{
  char *s = p, *e;

  for (size_t i = 0; i < len; i++) {
    if (p[i] == '\0') {
      p[i] = '\x1a';
    } else if (p[i] == '#') {
      len = i;
      break;
    }
  }
  p[len] = '\0';
  while (*s != '\0' && isspace((unsigned char)*s)) {
    s++;
  }
  e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1])) {
    *--e = '\0';
  }
  return *s != '\0' ? s : NULL;
}

/* Next domain from the source.
 * \return 1 with *out set (valid until the next call), 0 at the end, 2 when
 * no complete line is buffered and the fd is not known readable (wait for
 * it), -1 on a read error or out of memory. */
static int
source_next(struct mts_source *src, const char **out)
{
  if (src->fd < 0) {
    if (src->next >= src->argc) {
      return 0;
    }
    *out = src->argv[src->next++];
    return 1;
  }
  if (src->buf == NULL) {
    src->buf = malloc(INBUF_SIZE + 1);
    if (src->buf == NULL) {
      return -1;
    }
  }
  src->blocked = 0;
  for (;;) {
    char *line = src->buf + src->start;
    size_t avail = src->end - src->start;
    char *nl = memchr(line, '\n', avail);
    const char *d;
    ssize_t n;

    if (nl != NULL || (src->eof && avail > 0) || avail >= LINE_MAX_LEN) {
      size_t len = nl ? (size_t)(nl - line) : avail;
      int was_skipping = src->skipping;
      /* An over-long line: keep its start, drop the rest up to '\n'. */
      src->skipping = nl == NULL && !src->eof;
      if (len > LINE_MAX_LEN) {
        len = LINE_MAX_LEN;
      }
      src->start += nl ? (size_t)(nl - line) + 1 : avail;
      if (was_skipping) {
        continue;
      }
      d = line_domain(line, len);
      if (d != NULL) {
        *out = d;
        return 1;
      }
      continue;
    }
    if (src->eof) {
      return 0;
    }
    if (!src->readable) {
      src->blocked = 1;
      return 2;
    }
    /* Make room: move the partial line to the front. */
    memmove(src->buf, line, avail);
    src->start = 0;
    src->end = avail;
    n = read(src->fd, src->buf + src->end, INBUF_SIZE - src->end);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return -1;
    }
    if (n == 0) {
      src->eof = 1;
    }
    src->end += (size_t)n;
    /* A regular file never blocks; anything else waits for the loop. */
    src->readable = src->regular;
  }
}

/* ---- output ------------------------------------------------------------- */

static void
write_result(struct runner *run, const struct mts_result *r)
{
  const struct mts_run_opts *o = run->opts;
  enum mts_err err;

  if (r->status > run->worst) {
    run->worst = r->status;
  }
  mts_tally_add(&run->tally, r->status);
  if (run->bar_shown && run->out_tty) {
    fputs("\r\033[K", stderr); /* the results go on the bar's line */
    run->bar_shown = 0;
  }
  err = o->sink.result(o->sink.arg, r);
  run->unflushed = 1; /* on_prepare flushes before the loop waits */
  if (err != MTS_OK && run->err == MTS_OK) {
    run->err = err;
    snprintf(run->errbuf, run->errsz, "cannot write the report: %s",
             mts_strerror(err));
  }
}

static void
targets_free(struct probe *p)
{
  for (size_t i = 0; i < p->n_target; i++) {
    struct mx_target *t = &p->target[i];
    for (size_t k = 0; k < t->n_sp; k++) {
      mts_smtp_cancel(t->sp[k].h);
      t->sp[k].h = NULL;
      mts_smtp_result_free(&t->sp[k].res);
    }
    t->n_sp = 0;
    for (int k = 0; k < 2; k++) {
      mts_resolve_cancel(t->query[k]);
      t->query[k] = NULL;
      mts_dns_result_free(&t->dns[k]);
      t->smtp_started[k] = 0;
    }
    mts_resolve_cancel(t->tlsa_query);
    t->tlsa_query = NULL;
    mts_dns_result_free(&t->tlsa);
    t->tlsa_asked = 0;
    free(t->name);
    t->name = NULL;
  }
  p->n_target = 0;
}

static void
probe_free(struct probe *p)
{
  for (int i = 0; i < SLOT__COUNT; i++) {
    mts_resolve_cancel(p->query[i]);
    mts_dns_result_free(&p->dns[i]);
  }
  for (size_t i = 0; i < p->n_fetch; i++) {
    mts_fetch_cancel(p->fetch[i]);
    mts_fetch_result_free(&p->fetched[i]);
  }
  targets_free(p);
  mts_prop_free(&p->prop);
  mts_result_release(&p->result);
  free(p);
}

/* Write every finished probe at the head of the queue, in input order. */
static void
flush(struct runner *run)
{
  while (run->head != NULL && run->head->done) {
    struct probe *p = run->head;
    run->head = p->next;
    if (run->head == NULL) {
      run->tail = NULL;
    }
    /* --state: compare with the previous run just before writing, so
     * that what was noted is what was written (also on a stop). */
    if (run->opts->state != NULL &&
        mts_state_note(run->opts->state, &p->result) != MTS_OK &&
        run->err == MTS_OK) {
      run->err = MTS_ENOMEM;
      snprintf(run->errbuf, run->errsz, "out of memory");
    }
    write_result(run, &p->result);
    probe_free(p);
    run->window--;
  }
}

/* ---- probes ------------------------------------------------------------- */

static void
probe_complete(struct probe *p)
{
  struct runner *run = p->run;
  struct mts_lookups lk;
  struct mts_mx_lookup targets[MTS_MAX_MX_TARGETS];
  const struct mts_smtp_result *smtp[MTS_MAX_MX_TARGETS][MTS_MAX_MX_ADDRS];
  enum mts_err err;

  memset(&lk, 0, sizeof(lk));
  for (size_t i = 0; i < p->n_target; i++) {
    targets[i].name = p->target[i].name;
    targets[i].a = p->target[i].dns[0];
    targets[i].aaaa = p->target[i].dns[1];
    targets[i].tlsa = p->target[i].tlsa;
    targets[i].n_smtp = 0;
    for (size_t k = 0; k < p->target[i].n_sp; k++) {
      if (p->target[i].sp[k].res != NULL) {
        smtp[i][targets[i].n_smtp++] = p->target[i].sp[k].res;
      }
    }
    targets[i].smtp = smtp[i];
  }
  lk.smtp = run->smtper != NULL;
  lk.smtp_stopped = run->smtp_stopped;
  lk.mx_targets = targets;
  lk.n_mx_targets = p->n_target;
  lk.sts = p->dns[SLOT_STS];
  lk.tlsrpt = p->dns[SLOT_TLSRPT];
  lk.mx = p->dns[SLOT_MX];
  lk.apex = p->dns[SLOT_APEX];
  lk.no_policy = run->fetcher == NULL;
  lk.policy_a = p->dns[SLOT_POLICY_A];
  lk.policy_aaaa = p->dns[SLOT_POLICY_AAAA];
  lk.fetched = (const struct mts_fetch_result *const *)p->fetched;
  lk.n_fetched = p->n_fetch;

  err = mts_assess(&lk, &p->result);
  if (err == MTS_OK && p->prop != NULL) {
    const struct mts_dns_result *mine[MTS_PROP__COUNT] = {
        [MTS_PROP_STS] = p->dns[SLOT_STS],
        [MTS_PROP_TLSRPT] = p->dns[SLOT_TLSRPT],
        [MTS_PROP_MX] = p->dns[SLOT_MX],
    };
    err = mts_prop_judge(mts_prop_facts(p->prop), mine, &p->result);
    mts_prop_free(&p->prop);
  }
  if (err != MTS_OK && run->err == MTS_OK) {
    run->err = err;
    snprintf(run->errbuf, run->errsz, "cannot judge %s: %s", p->result.domain,
             mts_strerror(err));
  }
  p->result.duration_ms = (long)(mts_loop_now_ms() - p->started_ms);
  for (int i = 0; i < SLOT__COUNT; i++) {
    mts_dns_result_free(&p->dns[i]);
  }
  for (size_t i = 0; i < p->n_fetch; i++) {
    mts_fetch_result_free(&p->fetched[i]);
  }
  targets_free(p);
  p->done = 1;
  run->inflight--;
  flush(run);
  fill(run);
}

static void on_lookup(void *arg, struct mts_dns_result *res);
static void probe_fetch(struct probe *p);

/* --propagation's chain is over (called from a timer, never from inside a
 * resolver's callback). */
static void
on_prop(void *arg)
{
  struct probe *p = arg;

  p->prop_pending = 0;
  if (--p->pending == 0) {
    probe_complete(p);
  }
}
static void probe_targets(struct probe *p, const struct mts_dns_result *mx);

/* A result made here rather than by the resolver. NULL if out of memory. */
static struct mts_dns_result *
dns_result_new(const char *name, int type, enum mts_dns_status st,
               const char *detail)
{
  struct mts_dns_result *r = calloc(1, sizeof(*r));

  if (r == NULL) {
    return NULL;
  }
  r->status = st;
  r->type = type;
  r->rcode = -1;
  r->ttl = -1;
  r->qname = strdup(name);
  r->detail = detail ? strdup(detail) : NULL;
  if (r->qname == NULL || (detail != NULL && r->detail == NULL)) {
    mts_dns_result_free(&r);
  }
  return r;
}

static void
probe_ask(struct probe *p, enum slot slot)
{
  char name[MTS_DNS_NAME_MAX + 32];
  int type = slot_query[slot].type;
  struct mts_dns_result *r = NULL;
  enum mts_err err;
  int len;

  len = snprintf(name, sizeof(name), "%s%s", slot_query[slot].prefix,
                 p->result.domain);
  p->ctx[slot].probe = p;
  p->ctx[slot].slot = slot;
  p->pending++;
  if (len > MTS_DNS_NAME_MAX) {
    /* RFC 1035 §2.3.4: _smtp._tls.<d> of a long <d> cannot exist. */
    r = dns_result_new(name, type, MTS_DNS_NXDOMAIN,
                       "the name is longer than 253 characters");
  } else {
    err = mts_resolve(p->run->resolver, name, type, on_lookup, &p->ctx[slot],
                      &p->query[slot]);
    if (err == MTS_OK) {
      return;
    }
    /* Out of memory: report the lookup as failed rather than stall. */
    p->query[slot] = NULL;
    r = dns_result_new(name, type, MTS_DNS_SERVFAIL, mts_strerror(err));
  }
  if (r == NULL) {
    if (p->run->err == MTS_OK) {
      p->run->err = MTS_ENOMEM;
      snprintf(p->run->errbuf, p->run->errsz, "out of memory");
    }
    mts_loop_stop(p->run->loop);
    p->pending--;
    return;
  }
  on_lookup(&p->ctx[slot], r);
}

static void
on_fetched(void *arg, struct mts_fetch_result *res)
{
  struct fetch_ctx *ctx = arg;
  struct probe *p = ctx->probe;

  p->fetch[ctx->i] = NULL;
  p->fetched[ctx->i] = res;
  if (--p->pending == 0) {
    probe_complete(p);
  }
}

/* Fetch the policy from every address of mta-sts.<d>: IPv4 first. */
static void
probe_fetch(struct probe *p)
{
  char host[MTS_DNS_NAME_MAX + 16];
  const struct mts_dns_result *fam[2] = {p->dns[SLOT_POLICY_A],
                                         p->dns[SLOT_POLICY_AAAA]};

  p->fetch_started = 1;
  snprintf(host, sizeof(host), "mta-sts.%s", p->result.domain);
  for (int k = 0; k < 2; k++) {
    for (size_t i = 0; fam[k]->status == MTS_DNS_OK && i < fam[k]->n_addrs &&
                       p->n_fetch < MTS_MAX_POLICY_ADDRS;
         i++) {
      size_t slot = p->n_fetch;
      p->fetch_ctx[slot].probe = p;
      p->fetch_ctx[slot].i = slot;
      if (mts_fetch_start(p->run->fetcher, host, fam[k]->addrs[i], on_fetched,
                          &p->fetch_ctx[slot], &p->fetch[slot]) != MTS_OK) {
        if (p->run->err == MTS_OK) {
          p->run->err = MTS_ENOMEM;
          snprintf(p->run->errbuf, p->run->errsz, "out of memory");
        }
        mts_loop_stop(p->run->loop);
        return;
      }
      p->fetch_addr[slot] = fam[k]->addrs[i];
      p->n_fetch++;
      p->pending++;
    }
  }
}

static void
run_oom(struct runner *run)
{
  if (run->err == MTS_OK) {
    run->err = MTS_ENOMEM;
    snprintf(run->errbuf, run->errsz, "out of memory");
  }
  mts_loop_stop(run->loop);
}

/* R168: after this many addresses failed to connect, with none that
 * did, the run stops probing: outbound port 25 is blocked here. */
#define SMTP_BLOCKED_AFTER 16

/* R168: probing has stopped. The probes still connecting would only wait
 * out their connect timeouts: cancel every probe in flight (their
 * addresses stay not-checked, as those never tried) and complete the
 * domains that were waiting only for them. \p self is the domain whose
 * callback runs now: its own count is the caller's. */
static void
smtp_cancel_inflight(struct runner *run, const struct probe *self)
{
  struct probe *p;
  int again = 1;

  for (p = run->head; p != NULL; p = p->next) {
    for (size_t i = 0; !p->done && i < p->n_target; i++) {
      struct mx_target *t = &p->target[i];
      for (size_t k = 0; k < t->n_sp; k++) {
        if (t->sp[k].h != NULL) {
          mts_smtp_cancel(t->sp[k].h);
          t->sp[k].h = NULL;
          p->pending--;
        }
      }
    }
  }
  /* Completing a domain may write and free those before it: start over
   * from the head each time (the window is small). */
  while (again && run->err == MTS_OK) {
    again = 0;
    for (p = run->head; p != NULL; p = p->next) {
      if (p != self && !p->done && p->pending == 0) {
        probe_complete(p);
        again = 1;
        break;
      }
    }
  }
}

static void
on_smtp(void *arg, struct mts_smtp_result *res)
{
  struct smtp_slot *sl = arg;
  struct probe *p = sl->probe;
  struct runner *run = p->run;

  sl->h = NULL;
  sl->res = res;
  if (res->outcome == MTS_SMTPO_CONNECT) {
    run->smtp_unreached++;
  } else if (res->outcome != MTS_SMTPO_NO_ROUTE) {
    run->smtp_reached = 1;
  }
  if (!run->smtp_reached && !run->smtp_stopped &&
      run->smtp_unreached >= SMTP_BLOCKED_AFTER) {
    run->smtp_stopped = 1;
    progress_erase(run);
    fprintf(stderr,
            "mtasts-check: the first %d SMTP probes could not connect: "
            "outbound port 25 seems blocked here; probing stopped "
            "(--no-smtp skips it)\n",
            SMTP_BLOCKED_AFTER);
    smtp_cancel_inflight(run, p);
  }
  if (--p->pending == 0) {
    probe_complete(p);
  }
}

/* The usable TLSA records of a target when DANE applies to it (R169: the
 * MX and the TLSA answers both validated), into \p v (at most \p cap).
 * \return how many. */
static size_t
target_tlsa(const struct probe *p, const struct mx_target *t,
            struct mts_tlsa *v, size_t cap)
{
  const struct mts_dns_result *mx = p->dns[SLOT_MX];
  size_t n = 0;

  if (t->tlsa == NULL || t->tlsa->status != MTS_DNS_OK || !t->tlsa->ad ||
      mx == NULL || !mx->ad) {
    return 0;
  }
  for (size_t i = 0; i < t->tlsa->n_rdata && n < cap; i++) {
    const struct mts_buf *b = &t->tlsa->rdata[i];
    if (mts_tlsa_parse((const uint8_t *)b->data, b->len, &v[n]) == MTS_OK &&
        mts_tlsa_usable(&v[n])) {
      n++;
    }
  }
  return n;
}

#define MAX_TLSA 16

/* R164: probe each address of one family, once its addresses and the
 * host's TLSA answer are both in. */
static void
target_smtp(struct probe *p, struct mx_target *t, int fam)
{
  const struct mts_dns_result *res = t->dns[fam];
  struct mts_tlsa tl[MAX_TLSA];
  size_t n_tl;

  if (t->smtp_started[fam] || res == NULL || res->status != MTS_DNS_OK ||
      (t->tlsa_asked && t->tlsa == NULL)) {
    return;
  }
  t->smtp_started[fam] = 1;
  n_tl = target_tlsa(p, t, tl, MAX_TLSA);
  for (size_t i = 0; i < res->n_addrs && t->n_sp < MTS_MAX_MX_ADDRS; i++) {
    struct smtp_slot *sl = &t->sp[t->n_sp];
    if (p->run->smtp_stopped) {
      break; /* R168: the addresses stay not-checked */
    }
    sl->addr = res->addrs[i];
    sl->probe = p;
    sl->t = (size_t)(t - p->target);
    if (mts_smtp_start_dane(p->run->smtper, t->name, sl->addr, tl, n_tl,
                            on_smtp, sl, &sl->h) != MTS_OK) {
      run_oom(p->run);
      break;
    }
    t->n_sp++;
    p->pending++;
  }
}

static void
on_target(void *arg, struct mts_dns_result *res)
{
  struct target_ctx *ctx = arg;
  struct probe *p = ctx->probe;
  struct mx_target *t = &p->target[ctx->i];

  if (ctx->fam == 2) {
    t->tlsa_query = NULL;
    t->tlsa = res;
  } else {
    t->query[ctx->fam] = NULL;
    t->dns[ctx->fam] = res;
  }
  if (p->run->smtper != NULL) {
    p->pending++;
    for (int k = 0; k < 2; k++) {
      target_smtp(p, t, k);
    }
    p->pending--;
  }
  if (--p->pending == 0) {
    probe_complete(p);
  }
}

/* Ask A and AAAA for every distinct MX host (null MX and IP literals have
 * nothing to resolve), up to MTS_MAX_MX_TARGETS. */
static void
probe_targets(struct probe *p, const struct mts_dns_result *mx)
{
  for (size_t i = 0; i < mx->n_mx && p->n_target < MTS_MAX_MX_TARGETS; i++) {
    const char *host = mx->mx[i].host;
    struct mx_target *t;
    int seen = 0;

    if (host[0] == '\0' || mts_domain_is_ip_literal(host)) {
      continue;
    }
    for (size_t k = 0; k < p->n_target && !seen; k++) {
      seen = strcmp(p->target[k].name, host) == 0;
    }
    if (seen) {
      continue;
    }
    t = &p->target[p->n_target];
    t->name = strdup(host);
    if (t->name == NULL) {
      run_oom(p->run);
      return;
    }
    p->n_target++;
    /* Set before the A and AAAA are asked: an answer that comes at once
     * must wait for the TLSA answer too. */
    t->tlsa_asked = p->run->smtper != NULL;
    for (int k = 0; k < 2; k++) {
      t->ctx[k].probe = p;
      t->ctx[k].i = (size_t)(t - p->target);
      t->ctx[k].fam = k;
      p->pending++;
      if (mts_resolve(p->run->resolver, host, k == 0 ? MTS_RR_A : MTS_RR_AAAA,
                      on_target, &t->ctx[k], &t->query[k]) != MTS_OK) {
        t->query[k] = NULL;
        p->pending--;
        run_oom(p->run);
        return;
      }
    }
    if (p->run->smtper != NULL) {
      /* R169: DANE's TLSA, in parallel with the addresses. */
      char qname[MTS_DNS_NAME_MAX + 16];
      t->ctx[2].probe = p;
      t->ctx[2].i = (size_t)(t - p->target);
      t->ctx[2].fam = 2;
      snprintf(qname, sizeof(qname), "_25._tcp.%s", host);
      p->pending++;
      if (mts_resolve(p->run->resolver, qname, MTS_RR_TLSA, on_target,
                      &t->ctx[2], &t->tlsa_query) != MTS_OK) {
        t->tlsa_query = NULL;
        t->tlsa_asked = 0;
        p->pending--;
        run_oom(p->run);
        return;
      }
    }
  }
}

static void
on_lookup(void *arg, struct mts_dns_result *res)
{
  struct slot_ctx *ctx = arg;
  struct probe *p = ctx->probe;
  struct mts_lookups lk;

  p->query[ctx->slot] = NULL;
  p->dns[ctx->slot] = res;
  p->pending--;

  lk.sts = p->dns[SLOT_STS];
  lk.tlsrpt = p->dns[SLOT_TLSRPT];
  lk.mx = p->dns[SLOT_MX];
  lk.apex = p->dns[SLOT_APEX];
  if (p->query[SLOT_APEX] == NULL && lk.apex == NULL &&
      mts_assess_wants_apex(&lk)) {
    /* R22: a missing record may have been published at the apex. Hold a
     * reference: the answer may come before probe_ask returns. */
    p->pending++;
    probe_ask(p, SLOT_APEX);
    p->pending--;
  }
  if (ctx->slot == SLOT_MX && res->status == MTS_DNS_OK) {
    /* R163: the MX hosts' addresses, in the same loop turn. */
    p->pending++;
    probe_targets(p, res);
    p->pending--;
  }
  if (!p->fetch_started && p->run->fetcher != NULL &&
      p->dns[SLOT_POLICY_A] != NULL && p->dns[SLOT_POLICY_AAAA] != NULL) {
    /* The fetch starts as soon as the policy host's addresses are known,
     * in parallel with whatever DNS is still out. */
    p->pending++;
    probe_fetch(p);
    p->pending--;
  }
  if (p->pending == 0) {
    probe_complete(p);
  }
}

/* The deadline of a domain has passed: every lookup still out is a
 * timeout. */
static void
probe_expire(struct probe *p)
{
  for (int i = 0; i < SLOT__COUNT; i++) {
    char name[MTS_DNS_NAME_MAX + 32];
    if (p->query[i] == NULL) {
      continue;
    }
    mts_resolve_cancel(p->query[i]);
    p->query[i] = NULL;
    snprintf(name, sizeof(name), "%s%s", slot_query[i].prefix,
             p->result.domain);
    p->dns[i] = dns_result_new(name, slot_query[i].type, MTS_DNS_TIMEOUT,
                               "the check's time limit was reached");
    p->pending--;
    if (p->dns[i] == NULL) {
      /* Out of memory: mts_assess cannot run on a missing lookup. */
      if (p->run->err == MTS_OK) {
        p->run->err = MTS_ENOMEM;
        snprintf(p->run->errbuf, p->run->errsz, "out of memory");
      }
      mts_loop_stop(p->run->loop);
      return;
    }
  }
  for (size_t i = 0; i < p->n_target; i++) {
    struct mx_target *t = &p->target[i];
    for (size_t k = 0; k < t->n_sp; k++) {
      if (t->sp[k].h == NULL) {
        continue;
      }
      t->sp[k].res = mts_smtp_expire(t->sp[k].h);
      t->sp[k].h = NULL;
      p->pending--;
      if (t->sp[k].res == NULL) {
        run_oom(p->run);
        return;
      }
    }
    if (t->tlsa_query != NULL) {
      char qname[MTS_DNS_NAME_MAX + 16];
      mts_resolve_cancel(t->tlsa_query);
      t->tlsa_query = NULL;
      p->pending--;
      snprintf(qname, sizeof(qname), "_25._tcp.%s", t->name);
      t->tlsa = dns_result_new(qname, MTS_RR_TLSA, MTS_DNS_TIMEOUT,
                               "the check's time limit was reached");
      if (t->tlsa == NULL) {
        run_oom(p->run);
        return;
      }
    }
    for (int k = 0; k < 2; k++) {
      if (t->query[k] == NULL) {
        continue;
      }
      mts_resolve_cancel(t->query[k]);
      t->query[k] = NULL;
      p->pending--;
      t->dns[k] =
          dns_result_new(t->name, k == 0 ? MTS_RR_A : MTS_RR_AAAA,
                         MTS_DNS_TIMEOUT, "the check's time limit was reached");
      if (t->dns[k] == NULL) {
        run_oom(p->run);
        return;
      }
    }
  }
  if (p->prop_pending) {
    mts_prop_expire(p->prop);
    p->prop_pending = 0;
    p->pending--;
  }
  for (size_t i = 0; i < p->n_fetch; i++) {
    struct mts_fetch_result *r;
    if (p->fetch[i] == NULL) {
      continue;
    }
    r = mts_fetch_expire(p->fetch[i]);
    p->fetch[i] = NULL;
    p->pending--;
    if (r == NULL && (r = calloc(1, sizeof(*r))) != NULL) {
      r->outcome = MTS_FETCH_TIMEOUT;
      r->http_status = -1;
      r->cert_not_after = -1;
      r->address = strdup(p->fetch_addr[i]);
      r->detail = strdup("the check's time limit was reached");
      r->body = calloc(1, 1);
      if (r->address == NULL || r->detail == NULL || r->body == NULL) {
        mts_fetch_result_free(&r);
      }
    }
    if (r == NULL) {
      if (p->run->err == MTS_OK) {
        p->run->err = MTS_ENOMEM;
        snprintf(p->run->errbuf, p->run->errsz, "out of memory");
      }
      mts_loop_stop(p->run->loop);
      return;
    }
    p->fetched[i] = r;
  }
  probe_complete(p);
}

static void
arm_deadline(struct runner *run)
{
  for (struct probe *p = run->head; p != NULL; p = p->next) {
    if (!p->done) {
      uint64_t now = mts_loop_now_ms();
      long ms = p->deadline_ms > now ? (long)(p->deadline_ms - now) : 0;
      (void)mts_loop_timer_set(run->loop, &run->deadline, ms);
      return;
    }
  }
  (void)mts_loop_timer_set(run->loop, &run->deadline, -1);
}

static void
on_deadline(void *arg)
{
  struct runner *run = arg;
  uint64_t now = mts_loop_now_ms();
  struct probe *p = run->head;

  /* Probes start in input order with the same time limit, so the due ones
   * come first. probe_expire may write and free probes at the head: walk
   * from the head again after each one. */
  while (p != NULL) {
    if (!p->done && p->deadline_ms <= now) {
      probe_expire(p);
      if (run->err != MTS_OK) {
        return;
      }
      p = run->head;
      continue;
    }
    if (!p->done) {
      break;
    }
    p = p->next;
  }
  arm_deadline(run);
}

static enum mts_err
probe_start(struct runner *run, const char *input)
{
  struct probe *p = calloc(1, sizeof(*p));
  char alabel[MTS_DNS_NAME_MAX + 2];
  const char *why = NULL;
  enum mts_err err;

  if (p == NULL) {
    return MTS_ENOMEM;
  }
  p->run = run;
  mts_result_init(&p->result);
  p->result.checked_at = (long long)time(NULL);
  p->started_ms = mts_loop_now_ms();
  p->deadline_ms = p->started_ms + (uint64_t)run->opts->timeout_ms;

  if (run->tail != NULL) {
    run->tail->next = p;
  } else {
    run->head = p;
  }
  run->tail = p;
  run->window++;
  run->inflight++;

  err = mts_domain_normalize(input, alabel, sizeof(alabel),
                             &p->result.domain_unicode, &why);
  if (err == MTS_EINVAL) {
    /* R9: report it and go on with the other domains. */
    p->result.domain = strdup(input);
    if (p->result.domain == NULL ||
        mts_findings_add(&p->result.findings, MTS_F_DOMAIN_INVALID, input,
                         strlen(input), "'%s' is not a valid domain: %s.",
                         input, why) != MTS_OK) {
      return MTS_ENOMEM;
    }
    mts_result_set_status(&p->result);
    p->done = 1;
    run->inflight--;
    return MTS_OK;
  }
  if (err != MTS_OK) {
    return err;
  }
  p->result.domain = strdup(alabel);
  if (p->result.domain == NULL) {
    return MTS_ENOMEM;
  }
  /* Hold a reference while starting, in case a callback comes at once. */
  p->pending = 1;
  probe_ask(p, SLOT_STS);
  probe_ask(p, SLOT_TLSRPT);
  probe_ask(p, SLOT_MX);
  if (run->opts->propagation) {
    /* An authoritative server answers at once or not at all: one second,
     * then two, and it is reported unreachable (R198). */
    struct mts_prop_opts po = {run->opts->ns_port ? run->opts->ns_port : 53u,
                               1000, 2};
    if (mts_prop_start(&p->prop, run->loop, run->resolver, p->result.domain,
                       &po, on_prop, p) != MTS_OK) {
      return MTS_ENOMEM;
    }
    p->prop_pending = 1;
    p->pending++;
  }
  if (run->fetcher != NULL) {
    probe_ask(p, SLOT_POLICY_A);
    probe_ask(p, SLOT_POLICY_AAAA);
  }
  if (--p->pending == 0) {
    probe_complete(p);
  }
  return MTS_OK;
}

/* Watch the input while fill() waits for a line, and only then: a
 * readable fd that fill() has no room to read would wake the loop for
 * nothing. */
static void
watch_input(struct runner *run)
{
  struct mts_source *src = run->src;
  int want = src->fd >= 0 && src->blocked && !run->eof && run->err == MTS_OK;

  if (want == run->input_watched) {
    return;
  }
  if (mts_loop_watch(run->loop, src->fd, want ? MTS_EV_READ : 0, on_input,
                     run) != MTS_OK) {
    /* epoll refuses some files (/dev/null): read them as they come. */
    src->regular = 1;
    src->readable = 1;
    (void)mts_loop_timer_set(run->loop, &run->kick, 0);
    return;
  }
  run->input_watched = want;
}

/* Start domains until the concurrency limit, keeping at most
 * WINDOW_FACTOR times as many finished-but-unwritten results behind a slow
 * one, and at most STARTS_PER_TURN in one loop turn. */
static void
fill(struct runner *run)
{
  const struct mts_run_opts *o = run->opts;

  if (run->filling) {
    return; /* a probe that completes at once calls back into here */
  }
  run->filling = 1;
  while (!run->eof && run->err == MTS_OK && !run->stopping &&
         run->inflight < o->concurrency &&
         run->window < WINDOW_FACTOR * o->concurrency &&
         run->turn_starts < STARTS_PER_TURN) {
    const char *domain = run->pending;
    int rc = domain != NULL ? 1 : source_next(run->src, &domain);
    if (rc == 2) {
      break; /* no complete line yet: on_input calls back */
    }
    if (rc <= 0) {
      run->eof = 1;
      if (rc < 0 && run->err == MTS_OK) {
        run->err = MTS_EIO;
        snprintf(run->errbuf, run->errsz, "cannot read the domain list");
      }
      break;
    }
    if (o->shard_n > 0) {
      /* --shard K/N: another shard's domain leaves no trace. */
      unsigned long shard = 0;
      if (mts_shard_of(domain, o->shard_n, &shard) != MTS_OK) {
        run->err = MTS_ENOMEM;
        snprintf(run->errbuf, run->errsz, "out of memory");
        break;
      }
      if (shard != o->shard_k) {
        continue;
      }
    }
    /* --qps: a domain starts only when its first queries can all leave at
     * once, so that its clock does not run while they queue. It waits
     * here, already read: the end of the input shows without a wait. */
    run->pending = NULL;
    if (!mts_resolver_ready(run->resolver, first_queries(run))) {
      run->pending = domain; /* valid until the next source_next */
      break;
    }
    run->turn_starts++;
    if (probe_start(run, domain) != MTS_OK && run->err == MTS_OK) {
      run->err = MTS_ENOMEM;
      snprintf(run->errbuf, run->errsz, "out of memory");
    }
    flush(run);
  }
  run->filling = 0;
  watch_input(run);
  if (run->err != MTS_OK || (run->eof && run->head == NULL)) {
    mts_loop_stop(run->loop);
  } else {
    arm_deadline(run);
  }
}

static void
flush_output(struct runner *run)
{
  if (!run->unflushed) {
    return;
  }
  run->unflushed = 0;
  if (fflush(run->opts->out) != 0 && run->err == MTS_OK) {
    run->err = MTS_EIO;
    snprintf(run->errbuf, run->errsz, "cannot write the report: %s",
             mts_strerror(MTS_EIO));
    mts_loop_stop(run->loop);
  }
}

static void
on_kick(void *arg)
{
  fill(arg);
}

static void
on_input(void *arg, int fd, unsigned events)
{
  struct runner *run = arg;

  (void)fd;
  (void)events;
  run->src->readable = 1;
  fill(run);
}

/* Before each wait: a new turn may start more domains. They are started
 * from a 0 ms timer, that is after this turn's events, so that the
 * resolver sets its own timer for them in the next turn's prepare. */
static void
on_prepare(void *arg)
{
  struct runner *run = arg;

  /* Results reach a pipe as soon as the loop has nothing else to do: one
   * write per turn rather than one per domain. */
  flush_output(run);
  run->turn_starts = 0;
  if (!run->eof && run->err == MTS_OK && !run->stopping &&
      run->inflight < run->opts->concurrency &&
      run->window < WINDOW_FACTOR * run->opts->concurrency &&
      mts_resolver_ready(run->resolver, first_queries(run))) {
    (void)mts_loop_timer_set(run->loop, &run->kick, 0);
  }
}

/* --qps: the queries held back have all gone: more domains may start. */
static void
on_resolver_ready(void *arg)
{
  struct runner *run = arg;

  if (!run->eof && !run->stopping && run->err == MTS_OK) {
    (void)mts_loop_timer_set(run->loop, &run->kick, 0);
  }
}

/* ---- progress and summary ----------------------------------------------- */

/* Domains a regular file holds from \p off on, counted the way
 * source_next reads them (and in this shard), without moving the file's
 * offset. 0 if unknown. */
static unsigned long
count_domains(const struct mts_run_opts *o, int fd, off_t off)
{
  char buf[16384], line[LINE_MAX_LEN + 1];
  size_t ll = 0;
  unsigned long count = 0;
  int more = off >= 0;

  while (more) {
    ssize_t n = pread(fd, buf, sizeof(buf), off);
    size_t i = 0;
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return 0;
    }
    more = n > 0;
    off += n;
    while (i < (size_t)n || (!more && ll > 0)) {
      const char *d;
      unsigned long shard = 0;
      if (more && buf[i] != '\n') {
        if (ll < LINE_MAX_LEN) {
          line[ll++] = buf[i];
        }
        i++;
        continue;
      }
      i++;
      d = line_domain(line, ll);
      ll = 0;
      if (d != NULL &&
          (o->shard_n == 0 || (mts_shard_of(d, o->shard_n, &shard) == MTS_OK &&
                               shard == o->shard_k))) {
        count++;
      }
    }
  }
  return count;
}

static void
progress_erase(struct runner *run)
{
  if (run->bar_shown) {
    fputs("\r\033[K", stderr);
    run->bar_shown = 0;
  }
}

static void
on_progress(void *arg)
{
  struct runner *run = arg;
  char line[256], out[sizeof(line) + 8];
  struct winsize ws;
  size_t width = 80, n;

  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    width = ws.ws_col;
  }
  /* The last column makes some terminals wrap: leave it free. */
  n = mts_progress_format(line, sizeof(line), mts_tally_total(&run->tally),
                          run->total, mts_loop_now_ms() - run->run_started_ms,
                          width > 1 ? width - 1 : 1);
  /* One write: "\r", the line, erase the rest of the old one. */
  snprintf(out, sizeof(out), "\r%.*s\033[K", (int)n, line);
  fputs(out, stderr);
  run->bar_shown = 1;
  (void)mts_loop_timer_set(run->loop, &run->progress, PROGRESS_MS);
}

/* ---- signals ------------------------------------------------------------ */

/* A self-pipe, not a signalfd: a signalfd needs the signals blocked, and a
 * blocked SIGINT cannot end a process stuck in a write to a full pipe. The
 * handler's state is necessarily static: one run catches signals at a
 * time (mts_run sets it up and restores everything before it returns). */
static volatile sig_atomic_t sig_caught; /* the first signal, 0: none yet */
static int sig_pipe_w = -1;

static void
on_signal_handler(int sig)
{
  int saved = errno;

  if (sig_caught != 0) {
    /* The second signal: its usual effect, at once (it is delivered when
     * this handler returns). */
    signal(sig, SIG_DFL);
    raise(sig);
  } else {
    sig_caught = sig;
    if (write(sig_pipe_w, "", 1) < 0) {
      /* Full or closed: the flag alone will do at the next wake-up. */
    }
  }
  errno = saved;
}

static const int caught_sigs[] = {SIGINT, SIGTERM};
#define N_CAUGHT (sizeof(caught_sigs) / sizeof(caught_sigs[0]))

static void
signals_release(struct runner *run)
{
  for (size_t i = 0; i < N_CAUGHT; i++) {
    if (run->sig_set[i]) {
      (void)sigaction(caught_sigs[i], &run->sig_old[i], NULL);
      run->sig_set[i] = 0;
    }
  }
  if (run->sig_pipe[0] >= 0) {
    (void)mts_loop_watch(run->loop, run->sig_pipe[0], 0, NULL, NULL);
    close(run->sig_pipe[0]);
    close(run->sig_pipe[1]);
    run->sig_pipe[0] = run->sig_pipe[1] = -1;
    sig_pipe_w = -1;
  }
}

/* First SIGINT or SIGTERM: start nothing more, stop the loop; mts_run
 * writes what is complete and returns MTS_EINTR. */
static void
on_signal(void *arg, int fd, unsigned events)
{
  struct runner *run = arg;
  char buf[16];

  (void)events;
  while (read(fd, buf, sizeof(buf)) > 0) {
  }
  if (sig_caught == 0) {
    return;
  }
  run->stopping = 1;
  run->signo = (int)sig_caught;
  mts_loop_stop(run->loop);
}

/* Catch SIGINT and SIGTERM, unless the caller ignores them (nohup, a
 * background job of a non-interactive shell). */
static enum mts_err
signals_catch(struct runner *run)
{
  struct sigaction sa;

  if (pipe(run->sig_pipe) != 0) {
    run->sig_pipe[0] = run->sig_pipe[1] = -1;
    return MTS_ESYS;
  }
  for (int i = 0; i < 2; i++) {
    (void)fcntl(run->sig_pipe[i], F_SETFL, O_NONBLOCK);
    (void)fcntl(run->sig_pipe[i], F_SETFD, FD_CLOEXEC);
  }
  sig_caught = 0;
  sig_pipe_w = run->sig_pipe[1];
  if (mts_loop_watch(run->loop, run->sig_pipe[0], MTS_EV_READ, on_signal,
                     run) != MTS_OK) {
    signals_release(run);
    return MTS_ESYS;
  }
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal_handler;
  sigemptyset(&sa.sa_mask);
  /* Restart interrupted system calls: only the loop needs to wake, and
   * epoll_wait returns EINTR whatever the flag. */
  sa.sa_flags = SA_RESTART;
  for (size_t i = 0; i < N_CAUGHT; i++) {
    if (sigaction(caught_sigs[i], NULL, &run->sig_old[i]) != 0 ||
        run->sig_old[i].sa_handler == SIG_IGN) {
      continue;
    }
    if (sigaction(caught_sigs[i], &sa, NULL) == 0) {
      run->sig_set[i] = 1;
    }
  }
  return MTS_OK;
}

enum mts_err
mts_run(const struct mts_run_opts *opts, struct mts_source *src,
        enum mts_status *worst, char *errbuf, size_t errsz)
{
  struct runner run;
  enum mts_err err;

  memset(&run, 0, sizeof(run));
  run.opts = opts;
  run.src = src;
  run.errbuf = errbuf;
  run.errsz = errsz;
  run.worst = MTS_STATUS_OK;
  run.deadline.cb = on_deadline;
  run.deadline.arg = &run;
  run.kick.cb = on_kick;
  run.kick.arg = &run;
  run.progress.cb = on_progress;
  run.progress.arg = &run;
  run.sig_pipe[0] = run.sig_pipe[1] = -1;
  run.run_started_ms = mts_loop_now_ms();
  run.out_tty = isatty(fileno(opts->out));
  errbuf[0] = '\0';
  if (src->fd >= 0) {
    struct stat st;
    src->regular = fstat(src->fd, &st) == 0 && S_ISREG(st.st_mode);
    src->readable = src->regular;
  }
  run.in_off = src->fd >= 0 && src->regular ? lseek(src->fd, 0, SEEK_CUR) : -1;
  if (src->fd < 0) {
    run.total = opts->shard_n == 0 ? (unsigned long)src->argc : 0;
  } else if (opts->progress && run.in_off >= 0) {
    run.total = count_domains(opts, src->fd, run.in_off); /* cheap */
  }

  err = mts_loop_new(&run.loop);
  if (err != MTS_OK) {
    snprintf(errbuf, errsz, _("cannot create the event loop: %s"),
             mts_strerror(err));
    goto done;
  }
  err =
      mts_resolver_new(&run.resolver, run.loop, &opts->resolver, errbuf, errsz);
  if (err == MTS_OK && !opts->no_policy) {
    struct mts_fetch_opts fo = {opts->ca_file, opts->timeout_ms};
    err = mts_fetcher_new(&run.fetcher, run.loop, &fo, errbuf, errsz);
  }
  if (err == MTS_OK && !opts->no_smtp) {
    struct mts_smtp_opts so = {opts->ca_file, opts->ehlo, opts->smtp_port,
                               opts->smtp_timeout_ms};
    err = mts_smtper_new(&run.smtper, run.loop, &so, errbuf, errsz);
  }
  if (err == MTS_OK) {
    err = mts_loop_add_prepare(run.loop, on_prepare, &run);
  }
  if (err == MTS_OK && opts->catch_signals) {
    err = signals_catch(&run);
    if (err != MTS_OK) {
      snprintf(errbuf, errsz, _("cannot catch signals: %s"), strerror(errno));
    }
  }
  if (err != MTS_OK) {
    goto done;
  }
  mts_resolver_on_ready(run.resolver, on_resolver_ready, &run);
  if (opts->progress) {
    (void)mts_loop_timer_set(run.loop, &run.progress, PROGRESS_MS);
  }
  fill(&run);
  if (run.err == MTS_OK && !(run.eof && run.head == NULL)) {
    err = mts_loop_run(run.loop);
    if (err != MTS_OK) {
      snprintf(errbuf, errsz, _("the event loop failed: %s"),
               mts_strerror(err));
      goto done;
    }
  }
  progress_erase(&run);
  if (run.err == MTS_OK) {
    run.err = opts->sink.end(opts->sink.arg, &run.tally,
                             src->fd >= 0 || src->argc > 1, run.stopping);
    run.unflushed = 1;
    if (run.err != MTS_OK) {
      snprintf(errbuf, errsz, _("cannot write the report: %s"),
               mts_strerror(run.err));
    }
  }
  flush_output(&run);
  err = run.err;
  if (err == MTS_OK && run.stopping) {
    unsigned long n = mts_tally_total(&run.tally);
    err = MTS_EINTR;
    if (run.total == 0 && run.in_off >= 0) {
      run.total = count_domains(opts, src->fd, run.in_off);
    }
    if (run.total > 0) {
      snprintf(errbuf, errsz, _("interrupted by %s after %lu of %lu domains"),
               run.signo == SIGTERM ? "SIGTERM" : "SIGINT", n, run.total);
    } else {
      snprintf(errbuf, errsz,
               P_("interrupted by %s after %lu domain",
                  "interrupted by %s after %lu domains", n),
               run.signo == SIGTERM ? "SIGTERM" : "SIGINT", n);
    }
    if (n == 0) {
      run.worst = MTS_STATUS_UNKNOWN; /* nothing was checked */
    }
  }

done:
  progress_erase(&run);
  signals_release(&run);
  while (run.head != NULL) {
    struct probe *p = run.head;
    run.head = p->next;
    probe_free(p);
  }
  mts_smtper_free(&run.smtper);
  mts_fetcher_free(&run.fetcher);
  mts_resolver_free(&run.resolver);
  if (run.loop != NULL) {
    mts_loop_remove_prepare(run.loop, on_prepare, &run);
  }
  mts_loop_free(&run.loop);
  free(src->buf);
  src->buf = NULL;
  *worst = run.worst;
  return err;
}
