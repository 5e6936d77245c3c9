#include "mtasts/net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <ares.h>

#include "dnsmsg.h"
#include "ratelimit.h"
#include "udpbatch.h"

#if ARES_VERSION < 0x011201
#error "c-ares 1.18.1 or newer is needed (ares_parse_txt_reply_ext)"
#endif

/* RFC 6891 §6.2.5 and the DNS flag day 2020: 1232 octets avoids IP
 * fragmentation on every common path. */
#define EDNS_PAYLOAD 1232

/* Channels of one server each: the failover from one resolver to the next
 * is ours (see "Servers and failover" below). UDP answers with TC=1 are not
 * retried by c-ares (ARES_FLAG_IGNTC), so that the retry over TCP is ours to
 * see and to report (rfc-rules R17: DNS_TCP_FALLBACK, DNS_TRUNCATED). */
struct chan {
  struct mts_resolver *res;
  ares_channel ch;
  unsigned pending; /* queries c-ares has not called back for */
};

/* A resolver: where to send, and its name for messages. */
struct server {
  struct ares_addr_port_node node; /* node.next stays NULL */
  /* "192.0.2.1:53", "[2001:db8::1]:53": brackets, colon, an int port */
  char name[INET6_ADDRSTRLEN + 16];
};

/* What a server did with the current question (struct mts_query.said). */
enum {
  SAID_NOTHING = -1, /* not asked yet */
  SAID_TIMEOUT = -2, /* asked, no answer in time */
  SAID_REFUSED = -3, /* the datagram was refused (ICMP unreachable) */
};

struct mts_resolver {
  struct mts_loop *loop;
  int authoritative; /* rollout.md R197: RD clear, CNAMEs not followed */
  struct server *servers;
  size_t n_servers;
  unsigned rounds; /* tries per server */
  /* chans[r * n_servers + s]: server s's try in round r, whose timeout is
   * the first try's doubled r times; tcp[s]: server s over TCP. */
  struct chan *chans; /* udp then tcp, one array */
  struct chan *tcp;
  struct mts_timer timer;
  unsigned long sent;
  struct mts_query *live;     /* every query not yet finished by c-ares */
  struct mts_udpbatch *batch; /* the UDP channel's sockets and queries */
  /* --qps: queries wait here, in order, for a token of the bucket. */
  struct mts_ratelimit bucket;
  struct mts_timer bucket_timer;
  struct mts_query *wait_head, *wait_tail;
  struct mts_timer ready_timer; /* when a caller's tokens will be there */
  void (*ready_cb)(void *arg);
  void *ready_arg;
};

/* One lookup: may take several DNS queries (CNAME hops, the TCP retry).
 * Lives until c-ares has called back for its last query, even when the
 * caller cancelled it (cb == NULL). */
struct mts_query {
  struct mts_resolver *res;
  mts_resolve_cb cb;
  void *arg;
  int type;
  int over_tcp;
  struct chan *chan; /* of the query c-ares has, if any */
  unsigned attempt;  /* round * n_servers + server of the current try */
  size_t pin;        /* 1 + the only server to ask (mts_resolve_at), or 0 */
  uint32_t given_up; /* servers not to ask again for this question */
  signed char said[MTS_RESOLVER_MAX_SERVERS]; /* an RCODE or SAID_* */
  long cname_ttl; /* smallest TTL of the CNAMEs followed so far, or -1 */
  char cur[4 * MTS_DNS_NAME_MAX]; /* the name being asked now, in the
                                     c-ares form (see cares_name) */
  struct mts_dns_result *result;
  struct mts_query *prev, *next;
  struct mts_query *wait_next; /* in res->wait_head's queue */
  int waiting;                 /* in that queue, not known to c-ares */
};

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf,
                      int alen);
static void query_unlink_free(struct mts_query *q);
static void wait_unlink(struct mts_query *q);
static void on_bucket(void *arg);
static void on_ready_timer(void *arg);

/* ---- loop glue ---------------------------------------------------------- */

static void
on_io(void *arg, int fd, unsigned events)
{
  struct chan *c = arg;
  ares_socket_t rfd = (events & MTS_EV_READ) ? fd : ARES_SOCKET_BAD;
  ares_socket_t wfd = (events & MTS_EV_WRITE) ? fd : ARES_SOCKET_BAD;

  ares_process_fd(c->ch, rfd, wfd);
}

static void
on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
  struct chan *c = data;
  unsigned events =
      (readable ? MTS_EV_READ : 0u) | (writable ? MTS_EV_WRITE : 0u);

  /* Failure here leaves the socket unwatched: its queries then time out
   * through the timer, which is the right outcome for a dead socket. The
   * UDP sockets are udpbatch's, which also watches them for room to send:
   * it passes the events asked for here on to on_io. */
  (void)mts_udpbatch_watch(c->res->batch, fd, events, on_io, c);
}

static size_t
n_chans(const struct mts_resolver *res)
{
  return (res->rounds + 1) * res->n_servers; /* udp and tcp are one array */
}

static void
on_timer(void *arg)
{
  struct mts_resolver *res = arg;

  /* docs/ares_process.3: process timeouts with no fd ready. A channel
   * with nothing pending has nothing to time out. */
  for (size_t i = 0; i < n_chans(res); i++) {
    if (res->chans[i].pending > 0) {
      ares_process_fd(res->chans[i].ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    }
  }
}

/* Before each wait: arm the timer for the earliest c-ares deadline. Done
 * once per loop turn, because ares_timeout() walks every query. */
static void
on_prepare(void *arg)
{
  struct mts_resolver *res = arg;
  struct timeval tv, *tvp;
  long ms = -1;

  /* This turn's queries leave together (udpbatch.h). */
  mts_udpbatch_flush(res->batch);
  if (res->live == NULL) {
    (void)mts_loop_timer_set(res->loop, &res->timer, -1);
    return;
  }
  for (size_t i = 0; i < n_chans(res); i++) {
    if (res->chans[i].pending == 0) {
      continue;
    }
    tvp = ares_timeout(res->chans[i].ch, NULL, &tv);
    if (tvp != NULL) {
      long t = (long)tvp->tv_sec * 1000 + (long)tvp->tv_usec / 1000;
      if (ms < 0 || t < ms) {
        ms = t;
      }
    }
  }
  /* c-ares rounds down: add 1 ms so that the query is due when we wake. */
  (void)mts_loop_timer_set(res->loop, &res->timer, ms < 0 ? 1000 : ms + 1);
}

/* ---- setup -------------------------------------------------------------- */

/* All UDP answers of a channel arrive on one socket. The default receive
 * buffer (208 KiB on Linux, a few hundred small datagrams counting the
 * kernel's overhead) overflows when many domains are checked at once, and
 * every dropped answer then costs a retry timeout. udpbatch.c asks for
 * more, for receiving and for sending; the kernel caps the requests at
 * net.core.rmem_max and wmem_max. */
#define UDP_SOCKBUF (4 * 1024 * 1024)

/* The UDP channels' sockets go through udpbatch.c: its queries leave in
 * one sendmmsg(2) per loop turn (docs/benchmarks.md). */
static ares_socket_t
batch_socket(int domain, int type, int protocol, void *data)
{
  int fd = mts_udpbatch_socket(data, domain, type, protocol);
  return fd < 0 ? ARES_SOCKET_BAD : fd;
}

static int
batch_close(ares_socket_t fd, void *data)
{
  return mts_udpbatch_close(data, fd);
}

static int
batch_connect(ares_socket_t fd, const struct sockaddr *sa, ares_socklen_t len,
              void *data)
{
  (void)data;
  return connect(fd, sa, len);
}

static ares_ssize_t
batch_recvfrom(ares_socket_t fd, void *buf, size_t len, int flags,
               struct sockaddr *from, ares_socklen_t *fromlen, void *data)
{
  return mts_udpbatch_recvfrom(data, fd, buf, len, flags, from, fromlen);
}

static ares_ssize_t
batch_sendv(ares_socket_t fd, const struct iovec *iov, int iovcnt, void *data)
{
  return mts_udpbatch_sendv(data, fd, iov, iovcnt);
}

static const struct ares_socket_functions batch_funcs = {
    batch_socket, batch_close, batch_connect, batch_recvfrom, batch_sendv};

static enum mts_err
cares_err(int rc, const char *what, char *errbuf, size_t errsz)
{
  snprintf(errbuf, errsz, "%s: %s", what, ares_strerror(rc));
  return rc == ARES_ENOMEM ? MTS_ENOMEM : MTS_ERESOLV;
}

/* A channel asking \p node only (NULL: the system's servers, for the list
 * of them), each query \p tries times with a first timeout of
 * \p timeout_ms. */
static enum mts_err
chan_init(struct mts_resolver *res, struct chan *c, int flags, int timeout_ms,
          int tries, struct ares_addr_port_node *node, char *errbuf,
          size_t errsz)
{
  struct ares_options o;
  int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
             ARES_OPT_SOCK_STATE_CB | ARES_OPT_EDNSPSZ;
  int rc;

  memset(&o, 0, sizeof(o));
  /* ARES_FLAG_NOCHECKRESP: hand SERVFAIL, REFUSED and NOTIMP answers to us.
   * Without it c-ares 1.18 retries them on its own, out of --qps' sight,
   * and reports neither the RCODE nor who said it (rfc-rules R16 wants
   * the RCODE). The failover to the next resolver is ours (send_next). */
  o.flags = flags | ARES_FLAG_NOSEARCH | ARES_FLAG_EDNS | ARES_FLAG_NOCHECKRESP;
  o.timeout = timeout_ms;
  o.tries = tries;
  o.sock_state_cb = on_sock_state;
  o.sock_state_cb_data = c;
  o.ednspsz = EDNS_PAYLOAD;
  c->res = res;
  rc = ares_init_options(&c->ch, &o, mask);
  if (rc != ARES_SUCCESS) {
    c->ch = NULL;
    return cares_err(rc, "cannot set up the resolver", errbuf, errsz);
  }
  if (node != NULL) {
    rc = ares_set_servers_ports(c->ch, node);
    if (rc != ARES_SUCCESS) {
      return cares_err(rc, "cannot set up the resolver", errbuf, errsz);
    }
  }
  return MTS_OK;
}

/* "1.2.3.4", "1.2.3.4:53", "[::1]:53" or "::1", joined by commas for
 * ares_set_servers_ports_csv. A bare IPv6 address gets brackets so that
 * its last group is not read as a port. */
static enum mts_err
servers_csv(const struct mts_resolver_opts *opts, char **out)
{
  size_t len = 1;
  char *csv;

  *out = NULL;
  if (opts->n_servers == 0) {
    return MTS_OK;
  }
  for (size_t i = 0; i < opts->n_servers; i++) {
    len += strlen(opts->servers[i]) + 6;
  }
  csv = malloc(len);
  if (csv == NULL) {
    return MTS_ENOMEM;
  }
  csv[0] = '\0';
  for (size_t i = 0; i < opts->n_servers; i++) {
    const char *s = opts->servers[i];
    const char *colon = strchr(s, ':');
    int bare6 = s[0] != '[' && colon != NULL && strchr(colon + 1, ':');
    /* c-ares 1.18 takes "[addr]" only with a port: add the default. */
    int noport6 = s[0] == '[' && s[strlen(s) - 1] == ']';
    if (i > 0) {
      strcat(csv, ",");
    }
    if (bare6) {
      strcat(csv, "[");
    }
    strcat(csv, s);
    if (bare6) {
      strcat(csv, "]");
    }
    if (bare6 || noport6) {
      strcat(csv, ":53");
    }
  }
  *out = csv;
  return MTS_OK;
}

/* The servers to ask, in order: those of \p csv, or the system's
 * (resolv.conf, as c-ares reads it), each with its name for messages. */
static enum mts_err
servers_load(struct mts_resolver *res, const char *csv, char *errbuf,
             size_t errsz)
{
  struct chan probe = {NULL, NULL, 0};
  struct ares_addr_port_node *list = NULL, *e;
  enum mts_err err;
  size_t n = 0;
  int rc;

  err = chan_init(res, &probe, 0, 1000, 1, NULL, errbuf, errsz);
  if (err != MTS_OK) {
    goto done;
  }
  if (csv != NULL) {
    rc = ares_set_servers_ports_csv(probe.ch, csv);
    if (rc != ARES_SUCCESS) {
      snprintf(errbuf, errsz, "invalid resolver address in '%s': %s", csv,
               ares_strerror(rc));
      err = rc == ARES_ENOMEM ? MTS_ENOMEM : MTS_EINVAL;
      goto done;
    }
  }
  rc = ares_get_servers_ports(probe.ch, &list);
  if (rc != ARES_SUCCESS) {
    err = cares_err(rc, "cannot list the resolvers", errbuf, errsz);
    goto done;
  }
  for (e = list; e != NULL; e = e->next) {
    n++;
  }
  if (n == 0 || n > MTS_RESOLVER_MAX_SERVERS) {
    snprintf(errbuf, errsz, "%zu resolvers: between 1 and %d are needed", n,
             MTS_RESOLVER_MAX_SERVERS);
    err = MTS_EINVAL;
    goto done;
  }
  res->servers = calloc(n, sizeof(*res->servers));
  if (res->servers == NULL) {
    err = MTS_ENOMEM;
    goto done;
  }
  for (e = list; e != NULL; e = e->next) {
    struct server *s = &res->servers[res->n_servers++];
    char text[INET6_ADDRSTRLEN];
    int port = e->udp_port > 0 ? e->udp_port : 53; /* 0: the default */

    s->node = *e;
    s->node.next = NULL;
    if (ares_inet_ntop(e->family, &e->addr, text, sizeof(text)) == NULL) {
      snprintf(text, sizeof(text), "?");
    }
    snprintf(s->name, sizeof(s->name),
             e->family == AF_INET6 ? "[%s]:%d" : "%s:%d", text, port);
  }
  err = MTS_OK;

done:
  ares_free_data(list);
  if (probe.ch != NULL) {
    ares_destroy(probe.ch);
  }
  return err;
}

/* One UDP channel per server and round, and one TCP channel per server. */
static enum mts_err
chans_init(struct mts_resolver *res, const struct mts_resolver_opts *opts,
           char *errbuf, size_t errsz)
{
  int first = opts->try_timeout_ms > 0 ? opts->try_timeout_ms : 2000;
  int tries = opts->tries > 0 ? opts->tries : 2;
  size_t n = res->n_servers;
  int norecurse = res->authoritative ? ARES_FLAG_NORECURSE : 0;
  enum mts_err err;

  /* c-ares' own order, kept: every server once with the first timeout,
   * then every server again with it doubled, and so on (its next_server
   * and ares__send_query). The doubling is capped: 8 rounds. With one
   * server there is nowhere to fail over to: its channel retries on its
   * own, exactly as before, and still takes a late answer to an earlier
   * try (a channel of ours ends the query at its timeout). */
  res->rounds = n == 1 ? 1u : (unsigned)(tries < 8 ? tries : 8);
  res->chans = calloc((res->rounds + 1) * n, sizeof(*res->chans));
  if (res->chans == NULL) {
    return MTS_ENOMEM;
  }
  res->tcp = res->chans + res->rounds * n;
  for (unsigned r = 0; r < res->rounds; r++) {
    for (size_t s = 0; s < n; s++) {
      struct chan *c = &res->chans[r * n + s];
      err = chan_init(res, c, ARES_FLAG_IGNTC | norecurse, first << r,
                      n == 1 ? tries : 1, &res->servers[s].node, errbuf, errsz);
      if (err != MTS_OK) {
        return err;
      }
      ares_set_socket_functions(c->ch, &batch_funcs, res->batch);
    }
  }
  /* Over TCP (after TC=1) the server that truncated is asked again, and
   * c-ares retries it on its own: one connection, one question. */
  for (size_t s = 0; s < n; s++) {
    err = chan_init(res, &res->tcp[s], ARES_FLAG_USEVC | norecurse, first,
                    tries, &res->servers[s].node, errbuf, errsz);
    if (err != MTS_OK) {
      return err;
    }
  }
  return MTS_OK;
}

enum mts_err
mts_resolver_new(struct mts_resolver **out, struct mts_loop *loop,
                 const struct mts_resolver_opts *opts, char *errbuf,
                 size_t errsz)
{
  struct mts_resolver *res = NULL;
  char *csv = NULL;
  enum mts_err err;
  int rc;

  rc = ares_library_init(ARES_LIB_INIT_ALL);
  if (rc != ARES_SUCCESS) {
    snprintf(errbuf, errsz, "cannot initialise c-ares: %s", ares_strerror(rc));
    return MTS_ERESOLV;
  }
  res = calloc(1, sizeof(*res));
  if (res == NULL) {
    err = MTS_ENOMEM;
    goto fail;
  }
  res->loop = loop;
  res->authoritative = opts->authoritative;
  res->timer.cb = on_timer;
  res->timer.arg = res;
  res->bucket_timer.cb = on_bucket;
  res->bucket_timer.arg = res;
  res->ready_timer.cb = on_ready_timer;
  res->ready_timer.arg = res;
  /* The bucket holds a tenth of a second's worth of queries, and at least
   * MTS_RESOLVER_BURST_MIN: one domain's first queries leave together. */
  mts_ratelimit_init(&res->bucket, opts->qps,
                     opts->qps / 10.0 > MTS_RESOLVER_BURST_MIN
                         ? opts->qps / 10.0
                         : MTS_RESOLVER_BURST_MIN,
                     mts_loop_now_ms());
  err = servers_csv(opts, &csv);
  if (err != MTS_OK) {
    goto fail;
  }
  err = mts_udpbatch_new(&res->batch, loop, UDP_SOCKBUF);
  if (err != MTS_OK) {
    goto fail;
  }
  err = servers_load(res, csv, errbuf, errsz);
  if (err != MTS_OK) {
    goto fail;
  }
  err = chans_init(res, opts, errbuf, errsz);
  if (err != MTS_OK) {
    goto fail;
  }
  err = mts_loop_add_prepare(loop, on_prepare, res);
  if (err != MTS_OK) {
    snprintf(errbuf, errsz, "too many components on one loop");
    goto fail;
  }
  free(csv);
  *out = res;
  return MTS_OK;

fail:
  free(csv);
  if (res != NULL) {
    mts_resolver_free(&res); /* also balances ares_library_init */
  } else {
    ares_library_cleanup();
  }
  return err;
}

void
mts_resolver_free(struct mts_resolver **resp)
{
  struct mts_resolver *res;

  if (resp == NULL || *resp == NULL) {
    return;
  }
  res = *resp;
  /* Cancel first: ares_destroy then calls back with ARES_EDESTRUCTION and
   * each query frees itself without calling its owner. */
  for (struct mts_query *q = res->live; q != NULL; q = q->next) {
    q->cb = NULL;
  }
  if (res->chans != NULL) {
    for (size_t i = 0; i < n_chans(res); i++) {
      if (res->chans[i].ch != NULL) {
        ares_destroy(res->chans[i].ch);
      }
    }
  }
  mts_udpbatch_free(&res->batch); /* after ares_destroy closed its sockets */
  /* Queries still waiting for --qps were never handed to c-ares. */
  while (res->wait_head != NULL) {
    struct mts_query *q = res->wait_head;
    wait_unlink(q);
    query_unlink_free(q);
  }
  (void)mts_loop_timer_set(res->loop, &res->bucket_timer, -1);
  (void)mts_loop_timer_set(res->loop, &res->ready_timer, -1);
  (void)mts_loop_timer_set(res->loop, &res->timer, -1);
  mts_loop_remove_prepare(res->loop, on_prepare, res);
  free(res->chans);
  free(res->servers);
  free(res);
  *resp = NULL;
  ares_library_cleanup();
}

unsigned long
mts_resolver_queries_sent(const struct mts_resolver *res)
{
  return res->sent;
}

/* ---- queries ------------------------------------------------------------ */

static void
query_unlink_free(struct mts_query *q)
{
  if (q->prev != NULL) {
    q->prev->next = q->next;
  } else {
    q->res->live = q->next;
  }
  if (q->next != NULL) {
    q->next->prev = q->prev;
  }
  mts_dns_result_free(&q->result);
  free(q);
}

/* A query with the DNSSEC OK bit (RFC 3225 §3), so that a validating
 * resolver's AD bit means something for the answer (RFC 6840 §5.7-5.8):
 * DANE needs it on the MX and the TLSA answers (RFC 7672 §2.2, R169).
 * c-ares 1.18 cannot set DO through ares_query: build the same query with
 * ares_create_query (it appends the OPT RR last: root name, type 41, the
 * UDP size as class, TTL, RDLENGTH 0), set DO, the top bit of the TTL's
 * third octet (RFC 6891 §6.1.3), and send it with ares_send, which in
 * 1.18 takes the message ID from the buffer. */
static void
transmit_do(struct chan *c, struct mts_query *q)
{
  unsigned char *qbuf = NULL;
  int qlen = 0;
  unsigned short id = 0;

  if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id)) {
    id = (unsigned short)(mts_loop_now_ms() ^ (uintptr_t)q);
  }
  if (ares_create_query(q->cur, 1 /* C_IN */, q->type, id,
                        !q->res->authoritative, &qbuf, &qlen,
                        EDNS_PAYLOAD) != ARES_SUCCESS ||
      qlen < 12 + 11 || qbuf[qlen - 11] != 0 || qbuf[qlen - 10] != 0 ||
      qbuf[qlen - 9] != 41) {
    /* Not as expected: ask without DO rather than not at all. */
    if (qbuf != NULL) {
      ares_free_string(qbuf);
    }
    ares_query(c->ch, q->cur, 1 /* C_IN */, q->type, on_answer, q);
    return;
  }
  qbuf[qlen - 4] |= 0x80; /* DO */
  ares_send(c->ch, qbuf, qlen, on_answer, q);
  ares_free_string(qbuf);
}

/* Ask the server of the current try (q->attempt). */
static void
transmit(struct mts_query *q)
{
  struct mts_resolver *res = q->res;
  size_t s = q->attempt % res->n_servers;
  struct chan *c = q->over_tcp ? &res->tcp[s] : &res->chans[q->attempt];

  res->sent++;
  c->pending++;
  q->chan = c;
  if (q->type == MTS_RR_MX || q->type == MTS_RR_TLSA) {
    transmit_do(c, q);
    return;
  }
  ares_query(c->ch, q->cur, 1 /* C_IN */, q->type, on_answer, q);
}

static void
wait_unlink(struct mts_query *q)
{
  struct mts_resolver *res = q->res;
  struct mts_query **pp = &res->wait_head, *prev = NULL;

  while (*pp != NULL && *pp != q) {
    prev = *pp;
    pp = &(*pp)->wait_next;
  }
  if (*pp == q) {
    *pp = q->wait_next;
    if (res->wait_tail == q) {
      res->wait_tail = prev;
    }
  }
  q->wait_next = NULL;
  q->waiting = 0;
}

/* The bucket has tokens again: send the waiting queries, oldest first. A
 * query sent here may call back at once, and its owner may ask again or
 * cancel waiting queries: take the head afresh each time. */
static void
on_bucket(void *arg)
{
  struct mts_resolver *res = arg;
  uint64_t now = mts_loop_now_ms();

  while (res->wait_head != NULL && mts_ratelimit_take(&res->bucket, now)) {
    struct mts_query *q = res->wait_head;
    wait_unlink(q);
    transmit(q);
  }
  if (res->wait_head != NULL) {
    (void)mts_loop_timer_set(res->loop, &res->bucket_timer,
                             mts_ratelimit_wait_ms(&res->bucket, now, 1.0));
  } else if (res->ready_cb != NULL) {
    res->ready_cb(res->ready_arg);
  }
}

/* Every DNS query of the tool passes here (first tries, CNAME hops, the
 * TCP retry, the next try after a timeout or a failing server), so --qps
 * caps them all. Only c-ares' own retries after a timeout inside a channel
 * (TCP, and UDP with a single server) are not seen, hence not counted. */
static void
send_query(struct mts_query *q)
{
  struct mts_resolver *res = q->res;

  if (res->wait_head == NULL &&
      mts_ratelimit_take(&res->bucket, mts_loop_now_ms())) {
    transmit(q);
    return;
  }
  q->waiting = 1;
  q->wait_next = NULL;
  if (res->wait_tail != NULL) {
    res->wait_tail->wait_next = q;
  } else {
    res->wait_head = q;
    (void)mts_loop_timer_set(
        res->loop, &res->bucket_timer,
        mts_ratelimit_wait_ms(&res->bucket, mts_loop_now_ms(), 1.0));
  }
  res->wait_tail = q;
}

static void
finish(struct mts_query *q, enum mts_dns_status st)
{
  struct mts_dns_result *r = q->result;

  r->status = st;
  q->result = NULL;
  if (q->cb != NULL) {
    q->cb(q->arg, r);
  } else {
    mts_dns_result_free(&r);
  }
  query_unlink_free(q);
}

static void
finish_detail(struct mts_query *q, enum mts_dns_status st, const char *detail)
{
  if (detail != NULL && q->result->detail == NULL) {
    q->result->detail = strdup(detail); /* best effort: it is only words */
  }
  finish(q, st);
}

/* ---- servers and failover ----------------------------------------------
 *
 * Each try goes to one server, in c-ares' own order: every server once with
 * the first timeout, then again with the timeout doubled (tries rounds). A
 * server that answers SERVFAIL, NOTIMP or REFUSED, or whose port is
 * unreachable, is not asked again for this question, and the next one is
 * asked at once, as a sender's stub resolver does (glibc res_send, c-ares
 * without NOCHECKRESP). Only when every server has failed does the lookup
 * fail, saying what each one did. Every try passes send_query, so --qps
 * counts retries too. (With a single server there is one round, and its
 * channel retries on its own, as before: see chans_init.) */

/* A new question (the first, or a CNAME target): every server may help. */
static void
question_reset(struct mts_query *q)
{
  q->attempt = q->pin != 0 ? (unsigned)(q->pin - 1) : 0u;
  q->given_up = 0;
  memset(q->said, SAID_NOTHING, sizeof(q->said));
}

/* The current try's server did \p what (an RCODE or SAID_*); \p give_up:
 * it is not asked this question again. Ask the next server that may still
 * answer.
 * \return 1 if a try was sent (or waits for --qps), 0 if none is left. */
static int
send_next(struct mts_query *q, int what, int give_up)
{
  struct mts_resolver *res = q->res;
  size_t n = res->n_servers;
  unsigned total = res->rounds * (unsigned)n;

  q->said[q->attempt % n] = (signed char)what;
  if (give_up) {
    q->given_up |= (uint32_t)1 << (q->attempt % n);
  }
  for (unsigned k = q->attempt + 1; k < total; k++) {
    if (q->pin != 0 && k % n != q->pin - 1) {
      continue;
    }
    if (((q->given_up >> (k % n)) & 1u) == 0) {
      q->attempt = k;
      q->over_tcp = 0;
      send_query(q);
      return 1;
    }
  }
  return 0;
}

/* Every server failed: SERVFAIL if one of them answered with an RCODE
 * (result->rcode holds the last one), else TIMEOUT. With several servers
 * the detail says what each one did. */
static void
finish_failed(struct mts_query *q)
{
  struct mts_resolver *res = q->res;
  char detail[MTS_RESOLVER_MAX_SERVERS * 80];
  size_t len = 0;
  int rcode = 0, refused = 1;

  detail[0] = '\0';
  for (size_t s = 0; s < res->n_servers; s++) {
    char rc[16];
    const char *what;
    int said = q->said[s];
    int w;

    if (said == SAID_NOTHING) {
      continue;
    }
    rcode |= said >= 0;
    refused &= said == SAID_REFUSED;
    what = said == SAID_TIMEOUT   ? "did not answer"
           : said == SAID_REFUSED ? "refused the connection"
                                  : NULL;
    w = snprintf(detail + len, sizeof(detail) - len, "%s%s %s%s",
                 len > 0 ? ", " : "", res->servers[s].name,
                 what ? what : "answered ",
                 what ? "" : mts_rcode_str(said, rc, sizeof(rc)));
    if (w < 0 || (size_t)w >= sizeof(detail) - len) {
      break;
    }
    len += (size_t)w;
  }
  if (res->n_servers > 1) {
    q->result->servers_failed = res->n_servers;
    finish_detail(q, rcode ? MTS_DNS_SERVFAIL : MTS_DNS_TIMEOUT, detail);
  } else if (rcode) {
    finish(q, MTS_DNS_SERVFAIL);
  } else {
    finish_detail(q, MTS_DNS_TIMEOUT, refused ? "connection refused" : NULL);
  }
}

static void
lower_strip(char *s)
{
  size_t n = strlen(s);

  for (size_t i = 0; i < n; i++) {
    if (s[i] >= 'A' && s[i] <= 'Z') {
      s[i] = (char)(s[i] - 'A' + 'a');
    }
  }
  if (n > 0 && s[n - 1] == '.') {
    s[n - 1] = '\0';
  }
}

/* The RRs of one type in the answer, each copied by a per-type step into
 * an array: the walk that TXT, TLSA and NS answers share.
 *
 * The RRs are read from the message that dnsmsg.c has already checked,
 * rather than through c-ares' parse helpers, which expand every name
 * again and allocate each string: at tens of thousands of answers a second
 * that was a tenth of the tool's instructions (docs/benchmarks.md). The
 * outcome is the helpers' own: every RR of the type and class IN counts,
 * whatever its owner, and an answer whose count differs from the RRs owned
 * by the end of the CNAME chain (\p want) holds records that do not belong
 * to the name (*st = MTS_DNS_BADRESP), as does an RR the step rejects. */

/* Copy one RR into \p slot. \return 0, 1 (unusable RR) or -1 (no memory). */
typedef int (*rr_copy_fn)(const struct mts_dnsmsg *msg,
                          const struct mts_dnsmsg_rr *rr, void *slot);
/* Free what a copied slot owns. */
typedef void (*rr_drop_fn)(void *slot);

static void
drop_buf(void *slot)
{
  free(((struct mts_buf *)slot)->data);
}

static void
drop_str(void *slot)
{
  free(*(char **)slot);
}

/* \return MTS_OK (*out, *n_out set when *st stays MTS_DNS_OK) or
 * MTS_ENOMEM. */
static enum mts_err
take_rrs(const struct mts_dnsmsg *msg, int type, size_t want, size_t elem,
         rr_copy_fn copy, rr_drop_fn drop, void **out, size_t *n_out,
         enum mts_dns_status *st)
{
  size_t pos = msg->an_off, n = 0;
  unsigned char *v;
  enum mts_err err = MTS_OK;

  *st = MTS_DNS_OK;
  v = calloc(want > 0 ? want : 1, elem);
  if (v == NULL) {
    return MTS_ENOMEM;
  }
  for (unsigned i = 0; i < msg->ancount; i++) {
    struct mts_dnsmsg_rr rr;
    int rc;

    if (mts_dnsmsg_next_rr(msg, &pos, &rr) != MTS_OK) {
      *st = MTS_DNS_BADRESP;
      break;
    }
    if (rr.type != type || rr.rclass != 1) {
      continue;
    }
    if (n == want) {
      *st = MTS_DNS_BADRESP;
      break;
    }
    rc = copy(msg, &rr, v + n * elem);
    if (rc != 0) {
      if (rc < 0) {
        err = MTS_ENOMEM;
      }
      *st = MTS_DNS_BADRESP;
      break;
    }
    n++;
  }
  if (*st == MTS_DNS_OK && n != want) {
    *st = MTS_DNS_BADRESP;
  }
  if (*st != MTS_DNS_OK) {
    for (size_t j = 0; j < n; j++) {
      drop(v + j * elem);
    }
    free(v);
    return err;
  }
  *out = v;
  *n_out = n;
  return MTS_OK;
}

/* RFC 8461 §3.1: the character-strings of one RR are joined with nothing
 * between them; separate RRs stay separate records. An RR with no
 * character-string, or one whose strings overrun its RDATA, is unusable. */
static int
copy_txt(const struct mts_dnsmsg *msg, const struct mts_dnsmsg_rr *rr,
         void *slot)
{
  struct mts_buf *b = slot;
  const uint8_t *rd = msg->buf + rr->rdoff;
  size_t len = 0, k;
  char *p;

  /* Each character-string: a length octet, then that many octets. */
  for (k = 0; k < rr->rdlen; k += 1 + (size_t)rd[k]) {
    len += rd[k];
  }
  if (rr->rdlen == 0 || k != rr->rdlen) {
    return 1;
  }
  p = malloc(len + 1);
  if (p == NULL) {
    return -1;
  }
  b->data = p;
  b->len = len;
  for (k = 0; k < rr->rdlen; k += 1 + (size_t)rd[k]) {
    memcpy(p, rd + k + 1, rd[k]);
    p += rd[k];
  }
  *p = '\0';
  return 0;
}

/* TLSA (RFC 6698): the RDATA as received; net/tlsa.c reads it. */
static int
copy_rdata(const struct mts_dnsmsg *msg, const struct mts_dnsmsg_rr *rr,
           void *slot)
{
  struct mts_buf *b = slot;

  b->data = malloc(rr->rdlen + 1);
  if (b->data == NULL) {
    return -1;
  }
  memcpy(b->data, msg->buf + rr->rdoff, rr->rdlen);
  b->data[rr->rdlen] = '\0';
  b->len = rr->rdlen;
  return 0;
}

/* NS (RFC 1035 §3.3.11): one domain name filling the RDATA. */
static int
copy_name(const struct mts_dnsmsg *msg, const struct mts_dnsmsg_rr *rr,
          void *slot)
{
  char name[MTS_DNS_NAME_MAX + 2];
  size_t end;

  if (mts_dnsmsg_name(msg->buf, msg->len, rr->rdoff, name, sizeof(name),
                      &end) != MTS_OK ||
      end != rr->rdoff + rr->rdlen || name[0] == '\0') {
    return 1;
  }
  *(char **)slot = strdup(name);
  return *(char **)slot != NULL ? 0 : -1;
}

static enum mts_err
take_txt(struct mts_dns_result *r, const struct mts_dnsmsg *msg, size_t want,
         enum mts_dns_status *st)
{
  return take_rrs(msg, MTS_RR_TXT, want, sizeof(struct mts_buf), copy_txt,
                  drop_buf, (void **)&r->txt, &r->n_txt, st);
}

/* The SOA that says where the zone starts: in the answer (asked for SOA)
 * or the authority section (a negative answer, RFC 2308 §3). Best effort:
 * a malformed one is ignored. */
static void
take_soa(struct mts_dns_result *r, const struct mts_dnsmsg *msg)
{
  size_t pos = msg->an_off;
  unsigned total = (unsigned)msg->ancount + msg->nscount;

  for (unsigned i = 0; i < total; i++) {
    struct mts_dnsmsg_rr rr;
    size_t p, end = 0;
    const uint8_t *f;
    char skip[MTS_DNS_NAME_MAX + 2];
    uint32_t minimum;

    if (mts_dnsmsg_next_rr(msg, &pos, &rr) != MTS_OK) {
      return;
    }
    if (rr.type != MTS_RR_SOA || rr.rclass != 1) {
      continue;
    }
    /* MNAME, RNAME, then SERIAL REFRESH RETRY EXPIRE MINIMUM (RFC 1035
     * §3.3.13): 20 octets. */
    p = rr.rdoff;
    for (int k = 0; k < 2; k++) {
      if (mts_dnsmsg_name(msg->buf, rr.rdoff + rr.rdlen, p, skip, sizeof(skip),
                          &end) != MTS_OK) {
        return;
      }
      p = end;
    }
    if (rr.rdoff + rr.rdlen - p != 20 ||
        (r->soa_zone = strdup(rr.owner)) == NULL) {
      return;
    }
    f = msg->buf + p;
    r->soa_serial = (long long)((uint32_t)f[0] << 24 | (uint32_t)f[1] << 16 |
                                (uint32_t)f[2] << 8 | f[3]);
    minimum = (uint32_t)f[16] << 24 | (uint32_t)f[17] << 16 |
              (uint32_t)f[18] << 8 | f[19];
    r->soa_neg_ttl = (long)(minimum < rr.ttl ? minimum : rr.ttl);
    return;
  }
}

/* A character of a host name as c-ares 1.18 accepts it in an MX target
 * (ares_expand_name's is_hostnamech), without '.': such names read the
 * same through dnsmsg.c. */
static int
plain_hostch(uint8_t c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '/' || c == '*';
}

/* The MX RRs read from the checked message, as take_txt does, when every
 * MX target is an ordinary host name: the result is then exactly
 * ares_parse_mx_reply's, without its name expansions and allocations.
 * \return 1 when done (*err and *st set), 0 when an RR is unusual (the
 * caller falls back to ares_parse_mx_reply, which decides). */
static int
take_mx_plain(struct mts_dns_result *r, const struct mts_dnsmsg *msg,
              size_t want, enum mts_err *err, enum mts_dns_status *st)
{
  size_t pos = msg->an_off, n = 0;
  struct mts_mx *v;
  int plain = 1;

  *err = MTS_OK;
  *st = MTS_DNS_OK;
  v = calloc(want > 0 ? want : 1, sizeof(*v));
  if (v == NULL) {
    *err = MTS_ENOMEM;
    return 1;
  }
  for (unsigned i = 0; i < msg->ancount && plain; i++) {
    struct mts_dnsmsg_rr rr;
    char host[MTS_DNS_NAME_MAX + 2];
    size_t end, k;

    if (mts_dnsmsg_next_rr(msg, &pos, &rr) != MTS_OK) {
      plain = 0;
      break;
    }
    if (rr.type != MTS_RR_MX || rr.rclass != 1) {
      continue;
    }
    if (n == want || rr.rdlen < 3 ||
        mts_dnsmsg_name(msg->buf, msg->len, rr.rdoff + 2, host, sizeof(host),
                        &end) != MTS_OK ||
        end != rr.rdoff + rr.rdlen) {
      plain = 0;
      break;
    }
    for (k = 0; host[k] != '\0'; k++) {
      if (host[k] != '.' && !plain_hostch((uint8_t)host[k])) {
        break;
      }
    }
    /* Anything else, '.' inside a label included (dnsmsg.c writes it
     * "\\046", c-ares "\\."), is left to c-ares. */
    if (host[k] != '\0') {
      plain = 0;
      break;
    }
    v[n].host = strdup(host);
    if (v[n].host == NULL) {
      *err = MTS_ENOMEM;
      break;
    }
    v[n].preference =
        (unsigned)msg->buf[rr.rdoff] << 8 | (unsigned)msg->buf[rr.rdoff + 1];
    n++;
  }
  if (!plain || *err != MTS_OK || n != want) {
    for (size_t j = 0; j < n; j++) {
      free(v[j].host);
    }
    free(v);
    if (*err != MTS_OK) {
      return 1;
    }
    if (!plain) {
      return 0;
    }
    *st = MTS_DNS_BADRESP; /* fewer MX RRs than the name owns: odd */
    return 1;
  }
  r->mx = v;
  r->n_mx = n;
  return 1;
}

static enum mts_err
take_mx(struct mts_dns_result *r, const unsigned char *abuf, int alen,
        size_t want, enum mts_dns_status *st)
{
  struct ares_mx_reply *list = NULL, *e;
  size_t n = 0;
  enum mts_err err = MTS_OK;
  int rc;

  *st = MTS_DNS_OK;
  rc = ares_parse_mx_reply(abuf, alen, &list);
  if (rc != ARES_SUCCESS) {
    *st = MTS_DNS_BADRESP;
    return rc == ARES_ENOMEM ? MTS_ENOMEM : MTS_OK;
  }
  for (e = list; e != NULL; e = e->next) {
    n++;
  }
  if (n != want) {
    *st = MTS_DNS_BADRESP;
    goto done;
  }
  r->mx = calloc(n, sizeof(*r->mx));
  if (r->mx == NULL) {
    err = MTS_ENOMEM;
    goto done;
  }
  for (e = list; e != NULL; e = e->next) {
    char *h = strdup(e->host);
    if (h == NULL) {
      err = MTS_ENOMEM;
      goto done;
    }
    lower_strip(h);
    r->mx[r->n_mx].host = h;
    r->mx[r->n_mx].preference = e->priority;
    r->n_mx++;
  }
done:
  ares_free_data(list);
  return err;
}

/* A or AAAA records as text. ares_parse_a_reply / ares_parse_aaaa_reply
 * also take every address RR of the answer: the same owner check as TXT. */
static enum mts_err
take_addrs(struct mts_dns_result *r, const unsigned char *abuf, int alen,
           int type, size_t want, enum mts_dns_status *st)
{
  enum { MAX_ADDRS = 32 };
  struct ares_addrttl v4[MAX_ADDRS];
  struct ares_addr6ttl v6[MAX_ADDRS];
  int n = MAX_ADDRS, rc;

  *st = MTS_DNS_OK;
  rc = type == MTS_RR_A ? ares_parse_a_reply(abuf, alen, NULL, v4, &n)
                        : ares_parse_aaaa_reply(abuf, alen, NULL, v6, &n);
  if (rc != ARES_SUCCESS) {
    *st = MTS_DNS_BADRESP;
    return rc == ARES_ENOMEM ? MTS_ENOMEM : MTS_OK;
  }
  /* More than MAX_ADDRS: keep the first ones (n is capped), no check. */
  if ((size_t)n != want && want < MAX_ADDRS) {
    *st = MTS_DNS_BADRESP;
    return MTS_OK;
  }
  r->addrs = calloc(n > 0 ? (size_t)n : 1, sizeof(*r->addrs));
  if (r->addrs == NULL) {
    return MTS_ENOMEM;
  }
  for (int i = 0; i < n; i++) {
    char text[INET6_ADDRSTRLEN];
    const void *a = type == MTS_RR_A ? (const void *)&v4[i].ipaddr
                                     : (const void *)&v6[i].ip6addr;
    if (inet_ntop(type == MTS_RR_A ? AF_INET : AF_INET6, a, text,
                  sizeof(text)) == NULL) {
      *st = MTS_DNS_BADRESP;
      return MTS_OK;
    }
    r->addrs[i] = strdup(text);
    if (r->addrs[i] == NULL) {
      return MTS_ENOMEM;
    }
    r->n_addrs = (size_t)i + 1;
  }
  return MTS_OK;
}

/* dnsmsg writes odd octets of a name as \DDD (RFC 4343); c-ares 1.18's
 * ares_create_query only knows "\c" for a literal c. Convert, so that a
 * CNAME target is asked for under its own name.
 * \return 0, or -1 if the name holds a NUL octet or does not fit. */
static int
cares_name(const char *in, char *out, size_t size)
{
  size_t o = 0;

  for (size_t i = 0; in[i] != '\0'; i++) {
    char c = in[i];
    if (c == '\\' && in[i + 1] >= '0' && in[i + 1] <= '9') {
      int v =
          (in[i + 1] - '0') * 100 + (in[i + 2] - '0') * 10 + (in[i + 3] - '0');
      if (v == 0) {
        return -1;
      }
      if (o + 2 >= size) {
        return -1;
      }
      out[o++] = '\\';
      out[o++] = (char)v;
      i += 3;
      continue;
    }
    if (o + 1 >= size) {
      return -1;
    }
    out[o++] = c;
  }
  out[o] = '\0';
  return 0;
}

/* Record the CNAME hops of this answer; a name seen before, or more than
 * MTS_DNS_MAX_CNAMES in all, is a loop (rfc-rules R14). */
static int
add_cnames(struct mts_query *q, const struct mts_dnsmsg_chain *chain)
{
  struct mts_dns_result *r = q->result;

  for (size_t i = 0; i < chain->n_cnames; i++) {
    char **v;
    if (r->n_cnames >= MTS_DNS_MAX_CNAMES ||
        strcmp(chain->cnames[i], r->qname) == 0) {
      return -1;
    }
    for (size_t k = 0; k < r->n_cnames; k++) {
      if (strcmp(r->cnames[k], chain->cnames[i]) == 0) {
        return -1;
      }
    }
    v = realloc(r->cnames, (r->n_cnames + 1) * sizeof(*v));
    if (v == NULL) {
      return -2;
    }
    r->cnames = v;
    r->cnames[r->n_cnames] = strdup(chain->cnames[i]);
    if (r->cnames[r->n_cnames] == NULL) {
      return -2;
    }
    r->n_cnames++;
  }
  return 0;
}

static void
on_message(struct mts_query *q, const unsigned char *abuf, int alen)
{
  struct mts_dns_result *r = q->result;
  struct mts_dnsmsg msg;
  struct mts_dnsmsg_chain chain;
  enum mts_dns_status st;
  enum mts_err err;
  int rc;

  /* RFC 2181 §9: ignore a truncated answer, whatever is in it, and ask
   * again over TCP. c-ares has checked the header and the question. */
  if (alen >= 4 && (abuf[2] & 0x02) != 0 && !q->over_tcp) {
    q->over_tcp = 1;
    r->tcp_fallback = 1;
    send_query(q);
    return;
  }
  /* This server cannot answer: ask the next one (see above). */
  if (alen >= 4 && ((abuf[3] & 0x0F) == 2 || (abuf[3] & 0x0F) == 4 ||
                    (abuf[3] & 0x0F) == 5)) {
    r->rcode = abuf[3] & 0x0F;
    if (!send_next(q, r->rcode, 1)) {
      finish_failed(q);
    }
    return;
  }
  if (mts_dnsmsg_parse(&msg, abuf, (size_t)alen) != MTS_OK ||
      mts_dnsmsg_chase(&msg,
                       r->n_cnames ? r->cnames[r->n_cnames - 1] : r->qname,
                       (uint16_t)q->type, &chain) != MTS_OK) {
    finish_detail(q, MTS_DNS_BADRESP, "the response could not be parsed");
    return;
  }
  if (chain.cname_ttl >= 0 &&
      (q->cname_ttl < 0 || chain.cname_ttl < q->cname_ttl)) {
    q->cname_ttl = chain.cname_ttl;
  }
  r->rcode = msg.rcode;
  r->ad = msg.ad;
  r->aa = msg.aa;
  if (chain.loop) {
    finish(q, MTS_DNS_CNAME_LOOP);
    return;
  }
  rc = add_cnames(q, &chain);
  if (rc == -1) {
    finish(q, MTS_DNS_CNAME_LOOP);
    return;
  }
  if (rc == -2) {
    r->rcode = -1;
    finish_detail(q, MTS_DNS_SERVFAIL, "out of memory");
    return;
  }
  switch (msg.rcode) {
    case 0: /* NOERROR */
      break;
    case 3: /* NXDOMAIN: RFC 6604 §3, about the last name of the chain */
      take_soa(r, &msg);
      finish(q, MTS_DNS_NXDOMAIN);
      return;
    default:
      finish(q, MTS_DNS_SERVFAIL);
      return;
  }
  if (chain.n_rr == 0) {
    if (chain.n_cnames > 0 && !q->res->authoritative) {
      /* The server stopped at a CNAME (an authoritative server does so for
       * a target outside its zones): follow it ourselves. */
      if (cares_name(chain.final, q->cur, sizeof(q->cur)) != 0) {
        finish_detail(q, MTS_DNS_BADRESP, "unusable CNAME target");
        return;
      }
      q->over_tcp = 0;
      question_reset(q);
      send_query(q);
      return;
    }
    /* An authoritative server's CNAME is its answer (cnames says it). */
    take_soa(r, &msg);
    finish(q, MTS_DNS_NODATA);
    return;
  }
  /* R20: what a cache keeps is bounded by every link of the chain. */
  r->ttl =
      q->cname_ttl >= 0 && q->cname_ttl < chain.ttl ? q->cname_ttl : chain.ttl;
  st = MTS_DNS_OK;
  err = MTS_OK;
  switch (q->type) {
    case MTS_RR_TXT:
      err = take_txt(r, &msg, chain.n_rr, &st);
      break;
    case MTS_RR_MX:
      if (!take_mx_plain(r, &msg, chain.n_rr, &err, &st)) {
        err = take_mx(r, abuf, alen, chain.n_rr, &st);
      }
      break;
    case MTS_RR_A:
    case MTS_RR_AAAA:
      err = take_addrs(r, abuf, alen, q->type, chain.n_rr, &st);
      break;
    case MTS_RR_TLSA:
      err =
          take_rrs(&msg, q->type, chain.n_rr, sizeof(struct mts_buf),
                   copy_rdata, drop_buf, (void **)&r->rdata, &r->n_rdata, &st);
      break;
    case MTS_RR_NS:
      err = take_rrs(&msg, q->type, chain.n_rr, sizeof(char *), copy_name,
                     drop_str, (void **)&r->names, &r->n_names, &st);
      break;
    case MTS_RR_SOA:
      take_soa(r, &msg);
      break;
    default:
      break;
  }
  if (err != MTS_OK) {
    r->rcode = -1;
    finish_detail(q, MTS_DNS_SERVFAIL, "out of memory");
    return;
  }
  if (st == MTS_DNS_BADRESP) {
    r->ttl = -1;
    finish_detail(q, st,
                  "the answer holds records that do not belong to the name "
                  "asked, or an empty record");
    return;
  }
  finish(q, st);
}

static void
on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
  struct mts_query *q = arg;

  (void)timeouts;
  q->chan->pending--;
  q->chan = NULL;
  if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) {
    q->cb = NULL;
    finish(q, MTS_DNS_TIMEOUT);
    return;
  }
  if (q->cb == NULL) {
    /* Cancelled while in flight: nobody wants the answer. */
    finish(q, MTS_DNS_TIMEOUT);
    return;
  }
  /* ares_query hands over the message for NOERROR, NXDOMAIN and the other
   * RCODEs it maps (ares_query.c qcallback): read it ourselves. */
  if (abuf != NULL && alen > 0) {
    on_message(q, abuf, alen);
    return;
  }
  if (q->over_tcp && q->result->tcp_fallback &&
      (status == ARES_ETIMEOUT || status == ARES_ECONNREFUSED ||
       status == ARES_ESERVFAIL)) {
    /* RFC 7766 §5: the UDP answer was truncated and TCP failed too. */
    finish_detail(q, MTS_DNS_TRUNCATED, ares_strerror(status));
    return;
  }
  switch (status) {
    case ARES_ENODATA:
      finish(q, MTS_DNS_NODATA);
      break;
    case ARES_ENOTFOUND:
      finish(q, MTS_DNS_NXDOMAIN);
      break;
    case ARES_ETIMEOUT:
      if (!send_next(q, SAID_TIMEOUT, 0)) {
        finish_failed(q);
      }
      break;
    case ARES_ECONNREFUSED:
      if (!send_next(q, SAID_REFUSED, 1)) {
        finish_failed(q);
      }
      break;
    case ARES_ESERVFAIL:
      q->result->rcode = 2;
      finish(q, MTS_DNS_SERVFAIL);
      break;
    case ARES_EREFUSED:
      q->result->rcode = 5;
      finish(q, MTS_DNS_SERVFAIL);
      break;
    case ARES_ENOTIMP:
      q->result->rcode = 4;
      finish(q, MTS_DNS_SERVFAIL);
      break;
    case ARES_EFORMERR:
      q->result->rcode = 1;
      finish(q, MTS_DNS_SERVFAIL);
      break;
    case ARES_EBADRESP:
      finish_detail(q, MTS_DNS_BADRESP, ares_strerror(status));
      break;
    default:
      finish_detail(q, MTS_DNS_SERVFAIL, ares_strerror(status));
      break;
  }
}

static enum mts_err resolve_pinned(struct mts_resolver *res, size_t pin,
                                   const char *name, int type,
                                   mts_resolve_cb cb, void *arg,
                                   struct mts_query **handle);

enum mts_err
mts_resolve(struct mts_resolver *res, const char *name, int type,
            mts_resolve_cb cb, void *arg, struct mts_query **handle)
{
  return resolve_pinned(res, 0, name, type, cb, arg, handle);
}

enum mts_err
mts_resolve_at(struct mts_resolver *res, size_t server, const char *name,
               int type, mts_resolve_cb cb, void *arg,
               struct mts_query **handle)
{
  if (server >= res->n_servers) {
    return MTS_EINVAL;
  }
  return resolve_pinned(res, server + 1, name, type, cb, arg, handle);
}

static enum mts_err
resolve_pinned(struct mts_resolver *res, size_t pin, const char *name, int type,
               mts_resolve_cb cb, void *arg, struct mts_query **handle)
{
  struct mts_query *q;
  size_t len = strlen(name);

  if (len >= sizeof(q->cur)) {
    return MTS_EINVAL;
  }
  q = calloc(1, sizeof(*q));
  if (q == NULL) {
    return MTS_ENOMEM;
  }
  q->result = calloc(1, sizeof(*q->result));
  if (q->result == NULL || (q->result->qname = strdup(name)) == NULL) {
    if (q->result != NULL) {
      free(q->result);
    }
    free(q);
    return MTS_ENOMEM;
  }
  lower_strip(q->result->qname);
  q->result->type = type;
  q->result->rcode = -1;
  q->result->ttl = -1;
  q->result->soa_serial = -1;
  q->result->soa_neg_ttl = -1;
  q->res = res;
  q->cb = cb;
  q->arg = arg;
  q->type = type;
  q->cname_ttl = -1;
  q->pin = pin;
  memcpy(q->cur, q->result->qname, strlen(q->result->qname) + 1);
  question_reset(q);
  q->next = res->live;
  if (res->live != NULL) {
    res->live->prev = q;
  }
  res->live = q;
  if (handle != NULL) {
    *handle = q;
  }
  send_query(q);
  return MTS_OK;
}

void
mts_resolve_cancel(struct mts_query *q)
{
  if (q == NULL) {
    return;
  }
  q->cb = NULL;
  if (q->waiting) {
    /* Not sent yet: c-ares does not know it, nothing will call back. */
    wait_unlink(q);
    query_unlink_free(q);
  }
}

static void
on_ready_timer(void *arg)
{
  struct mts_resolver *res = arg;

  if (res->ready_cb != NULL) {
    res->ready_cb(res->ready_arg);
  }
}

int
mts_resolver_ready(struct mts_resolver *res, unsigned n)
{
  long ms;

  if (res->wait_head != NULL) {
    return 0; /* on_bucket calls back when the queue is empty */
  }
  ms = mts_ratelimit_wait_ms(&res->bucket, mts_loop_now_ms(), (double)n);
  if (ms > 0) {
    (void)mts_loop_timer_set(res->loop, &res->ready_timer, ms);
    return 0;
  }
  return 1;
}

void
mts_resolver_on_ready(struct mts_resolver *res, void (*cb)(void *arg),
                      void *arg)
{
  res->ready_cb = cb;
  res->ready_arg = arg;
}
