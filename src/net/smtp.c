/* The SMTP STARTTLS probe of one MX address (mx-transport.md R164): a
 * non-blocking state machine on the program's loop, OpenSSL for TLS.
 *
 *   CONNECT -> GREETING (220) -> EHLO (250, STARTTLS?) -> STARTTLS (220)
 *   -> TLS handshake (SNI = the MX host) -> QUIT -> done
 *
 * Facts only: what the server said, the TLS version and cipher, the
 * leaf's names and dates, and whether the chain verifies; the assessment
 * judges them. Never MAIL FROM. */
#include "mtasts/net.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "mtasts/civil.h"
#include "mtasts/i18n.h"
#include "mtasts/msg.h"
#include "smtpreply.h"
#include "tcpconn.h"

enum step {
  ST_CONNECT = 0,
  ST_GREETING,
  ST_EHLO,
  ST_STARTTLS,
  ST_TLS,
  ST_DONE,
};

static const char *const step_name[] = {
    [ST_CONNECT] = N_("connecting"),
    [ST_GREETING] = N_("waiting for the greeting"),
    [ST_EHLO] = N_("waiting for the EHLO reply"),
    [ST_STARTTLS] = N_("waiting for the STARTTLS reply"),
    [ST_TLS] = N_("in the TLS handshake"),
    [ST_DONE] = N_("closing"),
};

struct mts_smtper {
  struct mts_loop *loop;
  SSL_CTX *ctx;
  char *ehlo;
  unsigned port;
  long connect_timeout_ms;
  struct mts_smtp *probes; /* in flight */
};

struct mts_smtp {
  struct mts_smtper *owner;
  struct mts_smtp *prev, *next;
  mts_smtp_cb cb;
  void *arg;
  char *host;
  int fd;
  enum step step;
  SSL *ssl;
  struct mts_timer timer; /* connect timeout; 0 ms for a delivery */
  struct mts_smtp_reply reply;
  char buf[MTS_SMTP_LINE_MAX];
  size_t have;
  struct mts_smtp_result *res;
  int finished; /* res is final: deliver it from the timer */
  /* DANE (R169): the usable TLSA records to verify against, copied. */
  struct mts_tlsa *tlsa;
  size_t n_tlsa;
  int pkix_pass; /* the post-handshake PKIX verification is running */
};

static int verify_idx = -1;

void
mts_smtp_result_free(struct mts_smtp_result **pres)
{
  struct mts_smtp_result *r = *pres;

  if (r == NULL) {
    return;
  }
  free(r->address);
  free(r->detail);
  free(r->detail_local);
  free(r->banner);
  free(r->tls_version);
  free(r->cipher);
  free(r->cert_subject);
  free(r->cert_issuer);
  for (size_t i = 0; i < r->n_cert_san; i++) {
    free(r->cert_san[i]);
  }
  free(r->cert_san);
  free(r->verify_error);
  free(r->dane_error);
  free(r);
  *pres = NULL;
}

/* Keep the chain's verdict without stopping the handshake: a sender
 * decides after it (and so do we, in the assessment). Dates are kept
 * apart from trust (R167: an expired certificate is MX_CERT_EXPIRED only). */
static int
on_verify(int ok, X509_STORE_CTX *sctx)
{
  SSL *ssl =
      X509_STORE_CTX_get_ex_data(sctx, SSL_get_ex_data_X509_STORE_CTX_idx());
  struct mts_smtp *p = ssl ? SSL_get_ex_data(ssl, verify_idx) : NULL;
  int e = X509_STORE_CTX_get_error(sctx);

  if (ok || p == NULL) {
    return 1;
  }
  if (p->n_tlsa > 0 && !p->pkix_pass) {
    /* The handshake's own verification is OpenSSL's DANE one: keep its
     * first error apart from the PKIX verdict (see pkix_verify). */
    if (p->res->dane_error == NULL) {
      p->res->dane_error = strdup(X509_verify_cert_error_string(e));
    }
    return 1;
  }
  if (e == X509_V_ERR_CERT_HAS_EXPIRED || e == X509_V_ERR_CERT_NOT_YET_VALID) {
    p->res->cert_expired = 1;
  } else if (p->res->chain_ok) {
    p->res->chain_ok = 0;
    free(p->res->verify_error);
    p->res->verify_error = strdup(X509_verify_cert_error_string(e));
  }
  return 1;
}

enum mts_err
mts_smtper_new(struct mts_smtper **out, struct mts_loop *loop,
               const struct mts_smtp_opts *opts, char *errbuf, size_t errsz)
{
  struct mts_smtper *s = calloc(1, sizeof(*s));

  if (s == NULL) {
    return MTS_ENOMEM;
  }
  s->loop = loop;
  s->port = opts->port;
  s->connect_timeout_ms = opts->connect_timeout_ms;
  s->ehlo = strdup(opts->ehlo != NULL ? opts->ehlo : "localhost");
  if (verify_idx < 0) {
    verify_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
  }
  s->ctx = SSL_CTX_new(TLS_client_method());
  if (s->ehlo == NULL || s->ctx == NULL || verify_idx < 0) {
    mts_smtper_free(&s);
    return MTS_ENOMEM;
  }
  /* Let old versions through so that a TLS 1.0-only host is named as such
   * (MX_TLS_OLD_VERSION) rather than as a handshake failure. */
  SSL_CTX_set_security_level(s->ctx, 0);
  (void)SSL_CTX_set_min_proto_version(s->ctx, TLS1_VERSION);
  SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, on_verify);
  if (SSL_CTX_dane_enable(s->ctx) <= 0) {
    mts_smtper_free(&s);
    return MTS_ENOMEM;
  }
  if (opts->ca_file != NULL
          ? SSL_CTX_load_verify_locations(s->ctx, opts->ca_file, NULL) != 1
          : SSL_CTX_set_default_verify_paths(s->ctx) != 1) {
    snprintf(errbuf, errsz, "cannot load the trust anchors%s%s for SMTP",
             opts->ca_file ? " of " : "", opts->ca_file ? opts->ca_file : "");
    mts_smtper_free(&s);
    return MTS_EINVAL;
  }
  *out = s;
  return MTS_OK;
}

static void probe_free(struct mts_smtp *p);

void
mts_smtper_free(struct mts_smtper **ps)
{
  struct mts_smtper *s = *ps;

  if (s == NULL) {
    return;
  }
  while (s->probes != NULL) {
    probe_free(s->probes);
  }
  SSL_CTX_free(s->ctx);
  free(s->ehlo);
  free(s);
  *ps = NULL;
}

static void
probe_free(struct mts_smtp *p)
{
  struct mts_smtper *s = p->owner;

  (void)mts_loop_timer_set(s->loop, &p->timer, -1);
  if (p->fd >= 0) {
    (void)mts_loop_watch(s->loop, p->fd, 0, NULL, NULL);
    close(p->fd);
  }
  SSL_free(p->ssl);
  for (size_t i = 0; i < p->n_tlsa; i++) {
    free((void *)(uintptr_t)p->tlsa[i].data);
  }
  free(p->tlsa);
  if (p->prev != NULL) {
    p->prev->next = p->next;
  } else {
    s->probes = p->next;
  }
  if (p->next != NULL) {
    p->next->prev = p->prev;
  }
  mts_smtp_result_free(&p->res);
  free(p->host);
  free(p);
}

/* The probe is over: deliver from a 0 ms timer, never from inside a
 * caller's stack. */
static void finish(struct mts_smtp *p, enum mts_smtp_outcome o, const char *fmt,
                   ...) __attribute__((format(printf, 3, 4)));

static void
finish(struct mts_smtp *p, enum mts_smtp_outcome o, const char *fmt, ...)
{
  struct mts_smtper *s = p->owner;

  p->res->outcome = o;
  if (fmt != NULL && p->res->detail == NULL) {
    /* The facts in English (JSON) and in the locale's words (text). */
    char en[1024], loc[1024];
    va_list ap;
    va_start(ap, fmt);
    mts_vformat2(en, loc, sizeof(en), fmt, ap);
    va_end(ap);
    p->res->detail = strdup(en);
    p->res->detail_local = strcmp(en, loc) != 0 ? strdup(loc) : NULL;
  }
  if (p->fd >= 0) {
    (void)mts_loop_watch(s->loop, p->fd, 0, NULL, NULL);
  }
  p->step = ST_DONE;
  p->finished = 1;
  (void)mts_loop_timer_set(s->loop, &p->timer, 0);
}

static void
on_timer(void *arg)
{
  struct mts_smtp *p = arg;
  struct mts_smtp_result *res;

  if (!p->finished) {
    /* The connect timeout (R168). */
    finish(p, MTS_SMTPO_CONNECT, "no answer to the TCP connection within %ld s",
           p->owner->connect_timeout_ms / 1000);
    return;
  }
  res = p->res;
  p->res = NULL;
  {
    mts_smtp_cb cb = p->cb;
    void *arg2 = p->arg;
    probe_free(p);
    cb(arg2, res);
  }
}

static int
send_all(struct mts_smtp *p, const char *s)
{
  size_t n = strlen(s);
  /* Commands are a few octets on a fresh socket: they fit its buffer. */
  ssize_t w = send(p->fd, s, n, MSG_NOSIGNAL);
  return w == (ssize_t)n ? 0 : -1;
}

/* The reply's first line, for messages ("554 5.7.1 go away"). */
static const char *
said(const struct mts_smtp *p)
{
  return p->reply.first;
}

static void on_io(void *arg, int fd, unsigned events);

static char *
name_str(X509_NAME *n)
{
  BIO *b = BIO_new(BIO_s_mem());
  char *out = NULL, *data;
  long len;

  if (b == NULL) {
    return NULL;
  }
  if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0) {
    len = BIO_get_mem_data(b, &data);
    out = malloc((size_t)len + 1);
    if (out != NULL) {
      memcpy(out, data, (size_t)len);
      out[len] = '\0';
    }
  }
  BIO_free(b);
  return out;
}

static long long
asn1_time(const ASN1_TIME *t)
{
  struct tm tm;

  if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
    return -1;
  }
  return mts_days_from_civil(tm.tm_year + 1900LL, (unsigned)tm.tm_mon + 1,
                             (unsigned)tm.tm_mday) *
             86400 +
         tm.tm_hour * 3600LL + tm.tm_min * 60LL + tm.tm_sec;
}

/* With DANE on, the handshake verified the chain against the TLSA records
 * only (OpenSSL's DANE replaces the PKIX path for DANE-EE matches and
 * checks no name for them), so the MTA-STS verdict (R166) is taken again
 * here, on the chain the server sent, against the trust store, with the
 * same callback and the same purpose as the handshake would use. The two
 * verdicts stay separate facts. */
static void
pkix_verify(struct mts_smtp *p, X509 *leaf)
{
  X509_STORE_CTX *c = X509_STORE_CTX_new();

  if (c == NULL ||
      X509_STORE_CTX_init(c, SSL_CTX_get_cert_store(p->owner->ctx), leaf,
                          SSL_get_peer_cert_chain(p->ssl)) != 1 ||
      X509_STORE_CTX_set_default(c, "ssl_server") != 1 ||
      X509_STORE_CTX_set_ex_data(c, SSL_get_ex_data_X509_STORE_CTX_idx(),
                                 p->ssl) != 1) {
    p->res->chain_ok = 0;
    free(p->res->verify_error);
    p->res->verify_error = strdup("cannot verify the chain");
    X509_STORE_CTX_free(c);
    return;
  }
  X509_STORE_CTX_set_verify_cb(c, on_verify);
  p->pkix_pass = 1;
  (void)X509_verify_cert(c);
  p->pkix_pass = 0;
  X509_STORE_CTX_free(c);
}

/* What the handshake gave: version, cipher, the leaf. */
static void
collect_tls(struct mts_smtp *p)
{
  struct mts_smtp_result *r = p->res;
  X509 *leaf = SSL_get1_peer_certificate(p->ssl);
  GENERAL_NAMES *gens;

  r->tls_version = strdup(SSL_get_version(p->ssl));
  r->tls_version_num = SSL_version(p->ssl);
  r->cipher = strdup(SSL_get_cipher_name(p->ssl));
  if (leaf == NULL) {
    r->chain_ok = 0;
    return;
  }
  r->cert_seen = 1;
  if (p->n_tlsa > 0) {
    r->dane = 1;
    r->dane_ok = r->dane_error == NULL &&
                 SSL_get0_dane_authority(p->ssl, NULL, NULL) >= 0;
    if (!r->dane_ok && r->dane_error == NULL) {
      r->dane_error = strdup("no TLSA record matches");
    }
    pkix_verify(p, leaf);
  }
  r->cert_subject = name_str(X509_get_subject_name(leaf));
  r->cert_issuer = name_str(X509_get_issuer_name(leaf));
  r->cert_not_before = asn1_time(X509_get0_notBefore(leaf));
  r->cert_not_after = asn1_time(X509_get0_notAfter(leaf));
  gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
  if (gens != NULL) {
    int n = sk_GENERAL_NAME_num(gens);
    r->cert_san = calloc(n > 0 ? (size_t)n : 1, sizeof(*r->cert_san));
    for (int i = 0; r->cert_san != NULL && i < n; i++) {
      const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
      const unsigned char *d;
      int len;
      char *v;
      if (g->type != GEN_DNS) {
        continue;
      }
      d = ASN1_STRING_get0_data(g->d.dNSName);
      len = ASN1_STRING_length(g->d.dNSName);
      v = malloc((size_t)len + 1);
      if (v == NULL) {
        break;
      }
      memcpy(v, d, (size_t)len);
      v[len] = '\0';
      for (int k = 0; k < len; k++) {
        if (v[k] == '\0') {
          v[k] = '\x1a';
        }
      }
      r->cert_san[r->n_cert_san++] = v;
    }
    GENERAL_NAMES_free(gens);
  }
  X509_free(leaf);
}

static void
tls_step(struct mts_smtp *p)
{
  int rc = SSL_do_handshake(p->ssl);
  unsigned want;

  if (rc == 1) {
    collect_tls(p);
    /* RFC 5321 §4.1.1.10: end politely; the answer is not awaited. */
    (void)SSL_write(p->ssl, "QUIT\r\n", 6);
    finish(p, MTS_SMTPO_OK, NULL);
    return;
  }
  switch (SSL_get_error(p->ssl, rc)) {
    case SSL_ERROR_WANT_READ:
      want = MTS_EV_READ;
      break;
    case SSL_ERROR_WANT_WRITE:
      want = MTS_EV_WRITE;
      break;
    default: {
      char why[256];
      unsigned long e = ERR_get_error();
      if (e != 0) {
        ERR_error_string_n(e, why, sizeof(why));
      } else {
        snprintf(why, sizeof(why), "the server closed the connection");
      }
      ERR_clear_error();
      finish(p, MTS_SMTPO_TLS, "the TLS handshake failed: %s", why);
      return;
    }
  }
  if (mts_loop_watch(p->owner->loop, p->fd, want, on_io, p) != MTS_OK) {
    finish(p, MTS_SMTPO_FAILED, "cannot watch the socket");
  }
}

static void
start_tls(struct mts_smtp *p)
{
  p->step = ST_TLS;
  p->res->chain_ok = 1;
  p->ssl = SSL_new(p->owner->ctx);
  if (p->ssl == NULL || SSL_set_fd(p->ssl, p->fd) != 1 ||
      SSL_set_ex_data(p->ssl, verify_idx, p) != 1 ||
      SSL_set_tlsext_host_name(p->ssl, p->host) != 1) {
    finish(p, MTS_SMTPO_FAILED, "cannot set up TLS");
    return;
  }
  if (p->n_tlsa > 0) {
    /* RFC 7672 §3.1.1: DANE-EE(3) checks neither name nor dates;
     * §3.1.2: DANE-TA(2) checks the name (the MX host) and the chain. */
    int added = 0;
    if (SSL_dane_enable(p->ssl, p->host) <= 0) {
      finish(p, MTS_SMTPO_FAILED, "cannot set up DANE");
      return;
    }
    (void)SSL_dane_set_flags(p->ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
    for (size_t i = 0; i < p->n_tlsa; i++) {
      const struct mts_tlsa *t = &p->tlsa[i];
      if (SSL_dane_tlsa_add(p->ssl, (uint8_t)t->usage, (uint8_t)t->selector,
                            (uint8_t)t->mtype, t->data, t->len) > 0) {
        added++;
      }
    }
    ERR_clear_error();
    if (added == 0) {
      /* OpenSSL took none: no DANE for this session after all. */
      p->n_tlsa = 0;
    }
  }
  SSL_set_connect_state(p->ssl);
  tls_step(p);
}

/* A complete reply arrived in the current step. */
static void
on_reply(struct mts_smtp *p)
{
  char cmd[300];
  int code = p->reply.code;

  switch (p->step) {
    case ST_GREETING:
      p->res->banner = strdup(said(p));
      if (code != 220) {
        /* R165: a 4xx/5xx greeting, with its text. */
        finish(p, MTS_SMTPO_FAILED, "the server greets with %s", said(p));
        return;
      }
      snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", p->owner->ehlo);
      p->step = ST_EHLO;
      break;
    case ST_EHLO:
      if (code != 250) {
        finish(p, MTS_SMTPO_FAILED, "EHLO is answered with %s", said(p));
        return;
      }
      p->res->starttls = p->reply.starttls;
      if (!p->reply.starttls) {
        (void)send_all(p, "QUIT\r\n");
        finish(p, MTS_SMTPO_NO_STARTTLS, "EHLO does not offer STARTTLS");
        return;
      }
      snprintf(cmd, sizeof(cmd), "STARTTLS\r\n");
      p->step = ST_STARTTLS;
      break;
    case ST_STARTTLS:
      if (code != 220) {
        finish(p, MTS_SMTPO_FAILED, "STARTTLS is answered with %s", said(p));
        return;
      }
      /* RFC 3207 §4.2 (and CVE-2011-0411): bytes sent before the
       * handshake are not part of the TLS session: drop them. */
      p->have = 0;
      start_tls(p);
      return;
    default:
      return;
  }
  mts_smtp_reply_reset(&p->reply);
  if (send_all(p, cmd) != 0) {
    char why[128];
    finish(p, MTS_SMTPO_FAILED, "cannot send to the server: %s",
           mts_errno_str(why, sizeof(why), errno));
  }
}

static void
read_replies(struct mts_smtp *p)
{
  for (;;) {
    ssize_t n = recv(p->fd, p->buf + p->have, sizeof(p->buf) - p->have, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      return;
    }
    if (n <= 0) {
      char st[256];
      finish(p, MTS_SMTPO_FAILED, "the server closed the connection %s",
             mts_frag_str(st, sizeof(st), step_name[p->step]));
      return;
    }
    p->have += (size_t)n;
    for (;;) {
      size_t used = 0;
      enum mts_smtp_rd rd =
          mts_smtp_reply_feed(&p->reply, p->buf, p->have, &used);
      memmove(p->buf, p->buf + used, p->have - used);
      p->have -= used;
      if (rd == MTS_SMTP_RD_MORE) {
        break;
      }
      if (rd != MTS_SMTP_RD_DONE) {
        char st[256], what[256];
        finish(p, MTS_SMTPO_FAILED, "the server sent %s %s",
               mts_frag_str(what, sizeof(what), mts_smtp_rd_str(rd)),
               mts_frag_str(st, sizeof(st), step_name[p->step]));
        return;
      }
      on_reply(p);
      if (p->step == ST_TLS || p->step == ST_DONE) {
        return;
      }
    }
  }
}

static void
on_io(void *arg, int fd, unsigned events)
{
  struct mts_smtp *p = arg;
  int err = 0;
  socklen_t len = sizeof(err);
  char why[128];

  (void)events;
  (void)fd;
  switch (p->step) {
    case ST_CONNECT:
      (void)mts_loop_timer_set(p->owner->loop, &p->timer, -1);
      if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
        err = errno;
      }
      if (err != 0) {
        finish(p,
               mts_tcp_no_route(err) ? MTS_SMTPO_NO_ROUTE : MTS_SMTPO_CONNECT,
               "cannot connect to port %u: %s", p->owner->port,
               mts_errno_str(why, sizeof(why), err));
        return;
      }
      p->step = ST_GREETING;
      if (mts_loop_watch(p->owner->loop, p->fd, MTS_EV_READ, on_io, p) !=
          MTS_OK) {
        finish(p, MTS_SMTPO_FAILED, "cannot watch the socket");
      }
      return;
    case ST_TLS:
      tls_step(p);
      return;
    case ST_DONE:
      return;
    default:
      read_replies(p);
      return;
  }
}

enum mts_err
mts_smtp_start(struct mts_smtper *s, const char *host, const char *address,
               mts_smtp_cb cb, void *arg, struct mts_smtp **handle)
{
  return mts_smtp_start_dane(s, host, address, NULL, 0, cb, arg, handle);
}

/* Copy the usable records: they are added at STARTTLS time. */
static int
copy_tlsa(struct mts_smtp *p, const struct mts_tlsa *tlsa, size_t n)
{
  if (n == 0) {
    return 0;
  }
  p->tlsa = calloc(n, sizeof(*p->tlsa));
  if (p->tlsa == NULL) {
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    uint8_t *d;
    if (!mts_tlsa_usable(&tlsa[i])) {
      continue;
    }
    d = malloc(tlsa[i].len);
    if (d == NULL) {
      return -1;
    }
    memcpy(d, tlsa[i].data, tlsa[i].len);
    p->tlsa[p->n_tlsa] = tlsa[i];
    p->tlsa[p->n_tlsa].data = d;
    p->n_tlsa++;
  }
  return 0;
}

enum mts_err
mts_smtp_start_dane(struct mts_smtper *s, const char *host, const char *address,
                    const struct mts_tlsa *tlsa, size_t n_tlsa, mts_smtp_cb cb,
                    void *arg, struct mts_smtp **handle)
{
  struct mts_smtp *p = calloc(1, sizeof(*p));
  int err = 0;
  char why[128];

  if (p == NULL) {
    return MTS_ENOMEM;
  }
  if (copy_tlsa(p, tlsa, n_tlsa) != 0) {
    for (size_t i = 0; i < p->n_tlsa; i++) {
      free((void *)(uintptr_t)p->tlsa[i].data);
    }
    free(p->tlsa);
    free(p);
    return MTS_ENOMEM;
  }
  p->owner = s;
  p->cb = cb;
  p->arg = arg;
  p->fd = -1;
  p->timer.cb = on_timer;
  p->timer.arg = p;
  p->host = strdup(host);
  p->res = calloc(1, sizeof(*p->res));
  if (p->host == NULL || p->res == NULL ||
      (p->res->address = strdup(address)) == NULL) {
    if (p->res != NULL) {
      mts_smtp_result_free(&p->res);
    }
    free(p->host);
    free(p);
    return MTS_ENOMEM;
  }
  p->res->starttls = -1;
  p->res->cert_not_before = p->res->cert_not_after = -1;
  p->next = s->probes;
  if (s->probes != NULL) {
    s->probes->prev = p;
  }
  s->probes = p;
  if (handle != NULL) {
    *handle = p;
  }

  p->fd = mts_tcp_connect(address, s->port, &err);
  if (p->fd < 0) {
    if (err == EINVAL) {
      finish(p, MTS_SMTPO_FAILED, "%s is not an address", address);
    } else {
      finish(p, mts_tcp_no_route(err) ? MTS_SMTPO_NO_ROUTE : MTS_SMTPO_CONNECT,
             "cannot connect to port %u: %s", s->port,
             mts_errno_str(why, sizeof(why), err));
    }
    return MTS_OK;
  }
  if (mts_loop_watch(s->loop, p->fd, MTS_EV_WRITE, on_io, p) != MTS_OK) {
    finish(p, MTS_SMTPO_FAILED, "cannot watch the socket");
    return MTS_OK;
  }
  (void)mts_loop_timer_set(s->loop, &p->timer, s->connect_timeout_ms);
  return MTS_OK;
}

void
mts_smtp_cancel(struct mts_smtp *p)
{
  if (p != NULL) {
    probe_free(p);
  }
}

/* "the check's time limit was reached <step>", in both languages. */
static void
expired(struct mts_smtp_result *res, const char *step)
{
  char en[256], loc[512], s[256];

  mts_frag_str(s, sizeof(s), step);
  snprintf(en, sizeof(en), "%s", s);
  mts_frag_resolve(en, 0);
  mts_frag_resolve(s, 1);
  snprintf(loc, sizeof(loc), _("the check's time limit was reached %s"), s);
  res->detail_local = strdup(loc);
  snprintf(loc, sizeof(loc), "the check's time limit was reached %s", en);
  res->detail = strdup(loc);
  if (res->detail_local != NULL &&
      strcmp(res->detail, res->detail_local) == 0) {
    free(res->detail_local);
    res->detail_local = NULL;
  }
}

struct mts_smtp_result *
mts_smtp_expire(struct mts_smtp *p)
{
  struct mts_smtp_result *res;

  if (!p->finished) {
    p->res->outcome =
        p->step == ST_CONNECT ? MTS_SMTPO_CONNECT : MTS_SMTPO_FAILED;
    free(p->res->detail);
    free(p->res->detail_local);
    p->res->detail = p->res->detail_local = NULL;
    expired(p->res, step_name[p->step]);
  }
  res = p->res;
  p->res = NULL;
  probe_free(p);
  return res;
}
