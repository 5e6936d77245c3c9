/* The HTTPS fetch of an MTA-STS policy (RFC 8461 §3.3), as a sending MTA
 * does it: one GET of https://<host>/.well-known/mta-sts.txt over a fresh
 * TLS connection to the address our resolver found, on the program's one
 * event loop.
 *
 *   CONNECT -> TLS handshake (SNI, chain and host name checked, TLS 1.2+)
 *   -> SEND the request -> RECV the response (httpresp.c) -> done
 *
 * Why not libcurl (the fetch used its multi socket API before): libcurl
 * 7.88 builds a new OpenSSL SSL_CTX for every connection, 15 % of a whole
 * check in bulk runs (docs/benchmarks.md, docs/design.md); here one
 * SSL_CTX serves every fetch of the run. The HTTP needed is small: one
 * request, no redirects followed, no proxy, no compression, no reuse; the
 * response reader (httpresp.c) is pure and fuzzed.
 *
 * Facts only: what the server sent and what its certificate says; the
 * assessment judges them. */
#include "mtasts/net.h"

#include "mtasts/i18n.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "httpresp.h"
#include "mtasts/civil.h"
#include "tcpconn.h"

/* R53 diagnosis: the second handshake, allowing TLS 1.0 and 1.1 only, is
 * a diagnosis, not a fetch: it must not cost the check its time. */
#define OLD_TLS_BUDGET_MS 3000L

struct mts_fetcher {
  struct mts_loop *loop;
  SSL_CTX *ctx;     /* TLS 1.2+, verified: shared by every fetch */
  SSL_CTX *old_ctx; /* R53: TLS 1.0-1.1 only, unverified; made when needed */
  long timeout_ms;
  struct mts_fetch *live; /* transfers in flight, for mts_fetcher_free */
};

enum phase {
  PH_CONNECT = 0,
  PH_TLS,
  PH_SEND,
  PH_RECV,
  PH_DONE,
};

/* One transfer. */
struct mts_fetch {
  struct mts_fetcher *f;
  struct mts_fetch *prev, *next;
  mts_fetch_cb cb;
  void *arg;
  char *host;
  int fd;
  SSL *ssl;
  enum phase phase;
  struct mts_timer timer; /* the fetch's budget; 0 ms to deliver */
  int finished;           /* res is final: deliver it from the timer */
  char *tls_detail;       /* set while the R53 diagnostic retry runs */
  char req[512];          /* the request (SSL_write is retried with the same) */
  int req_len;
  struct mts_http_resp http;
  struct mts_fetch_result *res;
};

const char *
mts_fetch_outcome_str(enum mts_fetch_outcome o)
{
  switch (o) {
    case MTS_FETCH_OK:
      return N_("response received");
    case MTS_FETCH_CONNECT:
      return N_("connection failed");
    case MTS_FETCH_TLS:
      return N_("TLS handshake failed");
    case MTS_FETCH_CERT_UNTRUSTED:
      return N_("certificate not trusted");
    case MTS_FETCH_CERT_EXPIRED:
      return N_("certificate expired or not yet valid");
    case MTS_FETCH_CERT_NAME:
      return N_("certificate does not name the policy host");
    case MTS_FETCH_TIMEOUT:
      return N_("timed out");
    case MTS_FETCH_TOO_LARGE:
      return N_("body too large");
    case MTS_FETCH_FAILED:
      return N_("fetch failed");
    case MTS_FETCH_NO_ROUTE:
      return N_("no route from this machine");
  }
  return N_("fetch failed");
}

void
mts_fetch_result_free(struct mts_fetch_result **resp)
{
  struct mts_fetch_result *r;

  if (resp == NULL || *resp == NULL) {
    return;
  }
  r = *resp;
  free(r->address);
  free(r->detail);
  free(r->content_type);
  free(r->location);
  free(r->body);
  free(r->cert_san);
  free(r);
  *resp = NULL;
}

/* ---- what the certificate says ----------------------------------------- */

/* The leaf's subjectAltName as OpenSSL prints the extension ("DNS:a,
 * DNS:b": X509V3_EXT_print) and its notAfter, once the handshake is over.
 * \return 0, or -1 out of memory. */
static int
read_leaf(struct mts_fetch *t)
{
  struct mts_fetch_result *r = t->res;
  const ASN1_TIME *na;
  X509 *leaf = SSL_get0_peer_certificate(t->ssl);
  struct tm tm;
  int idx, rc = 0;

  if (leaf == NULL) {
    return 0; /* cert_seen stays 0: the assessment cannot judge it */
  }
  r->cert_seen = 1;
  na = X509_get0_notAfter(leaf);
  if (na != NULL && ASN1_TIME_to_tm(na, &tm) == 1 && tm.tm_year >= 70) {
    r->cert_not_after =
        mts_days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
                            (unsigned)tm.tm_mday) *
            86400 +
        tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
  }
  idx = X509_get_ext_by_NID(leaf, NID_subject_alt_name, -1);
  if (idx >= 0) {
    X509_EXTENSION *ext = X509_get_ext(leaf, idx);
    BIO *b = BIO_new(BIO_s_mem());
    BUF_MEM *m = NULL;
    if (b != NULL && ext != NULL &&
        (X509V3_EXT_print(b, ext, 0, 0) == 1 ||
         ASN1_STRING_print(b, X509_EXTENSION_get_data(ext)) == 1)) {
      BIO_get_mem_ptr(b, &m);
    }
    if (m != NULL) {
      r->cert_san = strndup(m->data, m->length);
    }
    rc = b == NULL || (m != NULL && r->cert_san == NULL) ? -1 : 0;
    BIO_free(b);
  }
  return rc;
}

/* ---- ending -------------------------------------------------------------- */

static void
unlink_fetch(struct mts_fetch *t)
{
  struct mts_fetcher *f = t->f;

  if (t->prev != NULL) {
    t->prev->next = t->next;
  } else {
    f->live = t->next;
  }
  if (t->next != NULL) {
    t->next->prev = t->prev;
  }
}

/* Close the connection (a new one follows for the R53 diagnosis). */
static void
close_conn(struct mts_fetch *t)
{
  if (t->fd >= 0) {
    (void)mts_loop_watch(t->f->loop, t->fd, 0, NULL, NULL);
    close(t->fd);
    t->fd = -1;
  }
  SSL_free(t->ssl);
  t->ssl = NULL;
}

static void
fetch_free(struct mts_fetch *t)
{
  (void)mts_loop_timer_set(t->f->loop, &t->timer, -1);
  close_conn(t);
  unlink_fetch(t);
  mts_http_resp_free(&t->http);
  mts_fetch_result_free(&t->res);
  free(t->tls_detail);
  free(t->host);
  free(t);
}

static void finish(struct mts_fetch *t, enum mts_fetch_outcome o,
                   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The transfer is over: deliver from a 0 ms timer, never from inside a
 * caller's stack. \p fmt, if any, says why (English: a value, like the
 * libraries' own messages). */
static void
finish(struct mts_fetch *t, enum mts_fetch_outcome o, const char *fmt, ...)
{
  struct mts_fetch_result *r = t->res;

  r->outcome = o;
  if (fmt != NULL && r->detail == NULL) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    r->detail = strdup(buf);
  }
  if (t->tls_detail != NULL) {
    /* The R53 diagnosis ended: report the first failure (and whether
     * old TLS would have worked: old_tls_only, set by the caller). */
    r->outcome = MTS_FETCH_TLS;
    free(r->detail);
    r->detail = t->tls_detail;
    t->tls_detail = NULL;
  }
  close_conn(t);
  t->phase = PH_DONE;
  t->finished = 1;
  (void)mts_loop_timer_set(t->f->loop, &t->timer, 0);
}

static void
deliver(struct mts_fetch *t)
{
  struct mts_fetch_result *r = t->res;
  mts_fetch_cb cb = t->cb;
  void *arg = t->arg;

  t->res = NULL;
  if (r->body == NULL) {
    r->body = calloc(1, 1);
  }
  fetch_free(t);
  cb(arg, r);
}

/* OpenSSL's first queued error, its reason alone where OpenSSL names it
 * ("wrong version number"), and an empty queue. */
static const char *
ssl_error(char *buf, size_t size, const char *fallback)
{
  unsigned long e = ERR_get_error();
  const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;

  if (reason != NULL) {
    snprintf(buf, size, "%s", reason);
  } else if (e != 0) {
    ERR_error_string_n(e, buf, size);
  } else {
    snprintf(buf, size, "%s", fallback);
  }
  ERR_clear_error();
  return buf;
}

/* ---- the steps ----------------------------------------------------------- */

static void on_io(void *arg, int fd, unsigned events);
static void start_connect(struct mts_fetch *t);

static int
watch(struct mts_fetch *t, unsigned events)
{
  if (mts_loop_watch(t->f->loop, t->fd, events, on_io, t) != MTS_OK) {
    finish(t, MTS_FETCH_FAILED, "cannot watch the socket");
    return -1;
  }
  return 0;
}

/* Wait for what OpenSSL wants after \p rc, or \return 0 if it is an
 * error (*ssl_err set). */
static int
ssl_wait(struct mts_fetch *t, int rc, int *ssl_err)
{
  *ssl_err = SSL_get_error(t->ssl, rc);
  switch (*ssl_err) {
    case SSL_ERROR_WANT_READ:
      return watch(t, MTS_EV_READ) == 0 ? 1 : -1;
    case SSL_ERROR_WANT_WRITE:
      return watch(t, MTS_EV_WRITE) == 0 ? 1 : -1;
    default:
      return 0;
  }
}

static SSL_CTX *old_tls_ctx(struct mts_fetcher *f);

/* R53: the handshake failed for another reason than the certificate; try
 * once more allowing only TLS 1.0 and 1.1 (and the legacy ciphers OpenSSL
 * 3 refuses by default), to tell an outdated server from other failures. */
static void
retry_old_tls(struct mts_fetch *t, const char *why)
{
  close_conn(t);
  t->tls_detail = strdup(why);
  if (t->tls_detail == NULL || old_tls_ctx(t->f) == NULL) {
    finish(t, MTS_FETCH_TLS, "%s", why);
    return;
  }
  (void)mts_loop_timer_set(t->f->loop, &t->timer,
                           t->f->timeout_ms < OLD_TLS_BUDGET_MS
                               ? t->f->timeout_ms
                               : OLD_TLS_BUDGET_MS);
  start_connect(t);
}

/* The handshake failed: the certificate (R54-R56), or TLS itself. */
static void
tls_failed(struct mts_fetch *t, int ssl_err)
{
  long v = SSL_get_verify_result(t->ssl);
  char why[512];

  if (t->tls_detail != NULL) {
    ERR_clear_error();
    finish(t, MTS_FETCH_TLS, NULL); /* old TLS fails too */
    return;
  }
  if (v != X509_V_OK) {
    const char *e = X509_verify_cert_error_string(v);
    ERR_clear_error();
    switch (v) {
      case X509_V_ERR_CERT_HAS_EXPIRED:
      case X509_V_ERR_CERT_NOT_YET_VALID:
        finish(t, MTS_FETCH_CERT_EXPIRED, "%s", e);
        return;
      case X509_V_ERR_HOSTNAME_MISMATCH:
        finish(t, MTS_FETCH_CERT_NAME,
               "no subjectAltName of the certificate matches %s", t->host);
        return;
      default:
        finish(t, MTS_FETCH_CERT_UNTRUSTED, "%s", e);
        return;
    }
  }
  if (ssl_err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
    if (errno != 0) {
      (void)mts_errno_str(why, sizeof(why), errno);
    } else {
      snprintf(why, sizeof(why), "the server closed the connection");
    }
  } else {
    char e[256];
    snprintf(why, sizeof(why), "%s", ssl_error(e, sizeof(e), "unknown error"));
  }
  retry_old_tls(t, why);
}

static void
send_step(struct mts_fetch *t)
{
  int rc, err;

  ERR_clear_error();
  rc = SSL_write(t->ssl, t->req, t->req_len);
  if (rc > 0) {
    t->phase = PH_RECV;
    (void)watch(t, MTS_EV_READ);
    return;
  }
  if (ssl_wait(t, rc, &err) == 0) {
    char e[256];
    finish(t, MTS_FETCH_CONNECT, "cannot send the request: %s",
           ssl_error(e, sizeof(e), "the connection closed"));
  }
}

static void
tls_step(struct mts_fetch *t)
{
  int rc, err;

  ERR_clear_error();
  errno = 0;
  rc = SSL_do_handshake(t->ssl);
  if (rc == 1) {
    if (t->tls_detail != NULL) {
      t->res->old_tls_only = 1; /* the host speaks TLS 1.0 or 1.1 only */
      finish(t, MTS_FETCH_TLS, NULL);
      return;
    }
    if (read_leaf(t) != 0) {
      finish(t, MTS_FETCH_FAILED, "out of memory");
      return;
    }
    t->phase = PH_SEND;
    send_step(t);
    return;
  }
  if (ssl_wait(t, rc, &err) == 0) {
    tls_failed(t, err);
  }
}

/* A redirect's target, as libcurl used to report it: relative references are
 * resolved against the policy URL (RFC 3986 §5; the usual "/path" form
 * is the only one resolved here, others are kept as sent). */
static char *
location_url(const char *host, const char *loc)
{
  size_t n;
  char *u;

  if (loc[0] != '/' || loc[1] == '/') {
    return strdup(loc);
  }
  n = strlen(host) + strlen(loc) + sizeof("https://");
  u = malloc(n);
  if (u != NULL) {
    snprintf(u, n, "https://%s%s", host, loc);
  }
  return u;
}

/* The response is complete (or its header is, for a status whose body
 * RFC 8461 ignores). */
static void
got_response(struct mts_fetch *t)
{
  struct mts_fetch_result *r = t->res;
  struct mts_http_resp *h = &t->http;
  int oom = 0;

  r->http_status = h->status;
  r->content_type = h->content_type;
  h->content_type = NULL;
  if (h->location != NULL && h->status >= 300 && h->status < 400) {
    r->location = location_url(t->host, h->location);
    oom = r->location == NULL;
  }
  if (h->status == 200) {
    r->body = h->body;
    r->body_len = h->body_len;
    h->body = NULL;
  }
  if (oom) {
    finish(t, MTS_FETCH_FAILED, "out of memory");
    return;
  }
  finish(t, MTS_FETCH_OK, NULL);
}

/* Feed the reader; \return 1 when the transfer ended. */
static int
take(struct mts_fetch *t, const char *buf, size_t n)
{
  size_t off = 0;

  for (;;) {
    size_t used = 0;
    enum mts_http_rd rd =
        mts_http_resp_feed(&t->http, buf + off, n - off, &used);
    off += used;
    switch (rd) {
      case MTS_HTTP_RD_MORE:
        return 0;
      case MTS_HTTP_RD_HEAD:
        if (t->http.status != 200) {
          got_response(t); /* R57, R58: the body is not read */
          return 1;
        }
        continue;
      case MTS_HTTP_RD_DONE:
        got_response(t);
        return 1;
      case MTS_HTTP_RD_TOO_LARGE:
        finish(t, MTS_FETCH_TOO_LARGE, "over %d octets", MTS_FETCH_MAX_BODY);
        return 1;
      case MTS_HTTP_RD_NOMEM:
        finish(t, MTS_FETCH_FAILED, "out of memory");
        return 1;
      default:
        finish(t, MTS_FETCH_FAILED, "the server sent %s", mts_http_rd_str(rd));
        return 1;
    }
  }
}

static void
recv_step(struct mts_fetch *t)
{
  char buf[16384];

  for (;;) {
    int rc, err;
    ERR_clear_error();
    errno = 0;
    rc = SSL_read(t->ssl, buf, sizeof(buf));
    if (rc > 0) {
      if (take(t, buf, (size_t)rc)) {
        return;
      }
      continue;
    }
    err = SSL_get_error(t->ssl, rc);
    if (err == SSL_ERROR_ZERO_RETURN) {
      /* The end of the connection (with or without close_notify:
       * SSL_OP_IGNORE_UNEXPECTED_EOF). */
      enum mts_http_rd rd = mts_http_resp_eof(&t->http);
      ERR_clear_error();
      if (rd == MTS_HTTP_RD_DONE) {
        got_response(t);
      } else {
        finish(t,
               rd == MTS_HTTP_RD_NOTHING ? MTS_FETCH_CONNECT : MTS_FETCH_FAILED,
               "the server sent %s", mts_http_rd_str(rd));
      }
      return;
    }
    if (ssl_wait(t, rc, &err) == 0) {
      char e[256];
      finish(t, MTS_FETCH_CONNECT, "receiving failed: %s",
             err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno != 0
                 ? mts_errno_str(e, sizeof(e), errno)
                 : ssl_error(e, sizeof(e), "the connection broke"));
    }
    return;
  }
}

static void
start_tls(struct mts_fetch *t)
{
  int old = t->tls_detail != NULL;

  t->phase = PH_TLS;
  t->ssl = SSL_new(old ? t->f->old_ctx : t->f->ctx);
  if (t->ssl == NULL || SSL_set_fd(t->ssl, t->fd) != 1 ||
      /* R51: SNI and the certificate's name are the policy host. */
      SSL_set_tlsext_host_name(t->ssl, t->host) != 1 ||
      (!old && SSL_set1_host(t->ssl, t->host) != 1)) {
    ERR_clear_error();
    finish(t, MTS_FETCH_FAILED, "cannot set up TLS");
    return;
  }
  /* RFC 6125 §6.4.3: a wildcard is a whole left-most label. A certificate
   * without a DNS-ID passes here on its subject CN as it does in libcurl:
   * the assessment names that case itself (R56, cert_san). */
  SSL_set_hostflags(t->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  SSL_set_connect_state(t->ssl);
  tls_step(t);
}

static void
connect_done(struct mts_fetch *t)
{
  int err = 0;
  socklen_t len = sizeof(err);
  char why[128];

  if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
    err = errno;
  }
  if (err == 0) {
    start_tls(t);
  } else if (t->tls_detail != NULL) {
    finish(t, MTS_FETCH_TLS, NULL);
  } else {
    finish(t, mts_tcp_no_route(err) ? MTS_FETCH_NO_ROUTE : MTS_FETCH_CONNECT,
           "port 443: %s", mts_errno_str(why, sizeof(why), err));
  }
}

static void
on_io(void *arg, int fd, unsigned events)
{
  struct mts_fetch *t = arg;

  (void)fd;
  (void)events;
  switch (t->phase) {
    case PH_CONNECT:
      connect_done(t);
      return;
    case PH_TLS:
      tls_step(t);
      return;
    case PH_SEND:
      send_step(t);
      return;
    case PH_RECV:
      recv_step(t);
      return;
    case PH_DONE:
      return;
  }
}

static void
on_timer(void *arg)
{
  struct mts_fetch *t = arg;

  if (!t->finished) {
    /* A13: the time limit covers the whole fetch (for the R53
     * diagnosis: its own budget, and then the first failure stands). */
    finish(t, MTS_FETCH_TIMEOUT, "no complete response within %ld ms",
           t->f->timeout_ms);
    return;
  }
  deliver(t);
}

static void
start_connect(struct mts_fetch *t)
{
  int err = 0;
  char why[128];

  t->phase = PH_CONNECT;
  t->fd = mts_tcp_connect(t->res->address, 443, &err);
  if (t->fd < 0) {
    if (t->tls_detail != NULL) {
      finish(t, MTS_FETCH_TLS, NULL);
    } else {
      finish(t,
             err == EINVAL           ? MTS_FETCH_FAILED
             : mts_tcp_no_route(err) ? MTS_FETCH_NO_ROUTE
                                     : MTS_FETCH_CONNECT,
             err == EINVAL ? "%s is not an address" : "port 443: %s",
             err == EINVAL ? t->res->address
                           : mts_errno_str(why, sizeof(why), err));
    }
    return;
  }
  (void)watch(t, MTS_EV_WRITE);
}

/* ---- setup -------------------------------------------------------------- */

static SSL_CTX *
old_tls_ctx(struct mts_fetcher *f)
{
  SSL_CTX *c;

  if (f->old_ctx != NULL) {
    return f->old_ctx;
  }
  c = SSL_CTX_new(TLS_client_method());
  if (c == NULL || SSL_CTX_set_min_proto_version(c, TLS1_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(c, TLS1_1_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(c, "DEFAULT:@SECLEVEL=0") != 1) {
    SSL_CTX_free(c);
    ERR_clear_error();
    return NULL;
  }
  /* Whether the versions agree is the question; the certificate is
   * judged by the first handshake. */
  SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
  SSL_CTX_set_options(c, SSL_OP_IGNORE_UNEXPECTED_EOF);
  f->old_ctx = c;
  return c;
}

enum mts_err
mts_fetcher_new(struct mts_fetcher **out, struct mts_loop *loop,
                const struct mts_fetch_opts *opts, char *errbuf, size_t errsz)
{
  struct mts_fetcher *f = calloc(1, sizeof(*f));
  enum mts_err err = MTS_ENOMEM;

  if (f == NULL) {
    return MTS_ENOMEM;
  }
  f->loop = loop;
  f->timeout_ms = opts->timeout_ms;
  f->ctx = SSL_CTX_new(TLS_client_method());
  /* R53, RFC 8461 §7.2: TLS 1.2 or newer, whatever the system's OpenSSL
   * configuration allows; retry_old_tls() alone asks for older ones. */
  if (f->ctx == NULL ||
      SSL_CTX_set_min_proto_version(f->ctx, TLS1_2_VERSION) != 1) {
    goto fail;
  }
  SSL_CTX_set_verify(f->ctx, SSL_VERIFY_PEER, NULL);
  /* A server that closes without close_notify after a complete response
   * is common: the response reader decides whether anything is missing. */
  SSL_CTX_set_options(f->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  /* Every fetch its own full handshake: a resumed session has no
   * certificate to check. */
  SSL_CTX_set_session_cache_mode(f->ctx, SSL_SESS_CACHE_OFF);
  if (opts->ca_file != NULL
          ? SSL_CTX_load_verify_locations(f->ctx, opts->ca_file, NULL) != 1
          : SSL_CTX_set_default_verify_paths(f->ctx) != 1) {
    snprintf(errbuf, errsz, "cannot load the trust anchors%s%s",
             opts->ca_file ? " of " : "", opts->ca_file ? opts->ca_file : "");
    err = MTS_EINVAL;
    goto fail;
  }
  *out = f;
  return MTS_OK;

fail:
  ERR_clear_error();
  mts_fetcher_free(&f);
  return err;
}

void
mts_fetcher_free(struct mts_fetcher **fp)
{
  struct mts_fetcher *f;

  if (fp == NULL || *fp == NULL) {
    return;
  }
  f = *fp;
  while (f->live != NULL) {
    fetch_free(f->live);
  }
  SSL_CTX_free(f->ctx);
  SSL_CTX_free(f->old_ctx);
  free(f);
  *fp = NULL;
}

enum mts_err
mts_fetch_start(struct mts_fetcher *f, const char *host, const char *address,
                mts_fetch_cb cb, void *arg, struct mts_fetch **handle)
{
  struct mts_fetch *t = calloc(1, sizeof(*t));
  int n;

  if (t == NULL) {
    return MTS_ENOMEM;
  }
  t->f = f;
  t->cb = cb;
  t->arg = arg;
  t->fd = -1;
  t->timer.cb = on_timer;
  t->timer.arg = t;
  t->host = strdup(host);
  t->res = calloc(1, sizeof(*t->res));
  if (t->host == NULL || t->res == NULL ||
      mts_http_resp_init(&t->http, MTS_FETCH_MAX_BODY) != 0 ||
      (t->res->address = strdup(address)) == NULL) {
    mts_http_resp_free(&t->http);
    if (t->res != NULL) {
      mts_fetch_result_free(&t->res);
    }
    free(t->host);
    free(t);
    return MTS_ENOMEM;
  }
  t->res->http_status = -1;
  t->res->cert_not_after = -1;
  /* R46: the URL's host in the Host header; never a proxy (a sending MTA
   * connects directly), never a reused connection. */
  n = snprintf(t->req, sizeof(t->req),
               "GET /.well-known/mta-sts.txt HTTP/1.1\r\n"
               "Host: %s\r\n"
               "User-Agent: mtasts-check/" MTS_VERSION "\r\n"
               "Accept: */*\r\n"
               "Connection: close\r\n\r\n",
               host);
  t->req_len = n > 0 && (size_t)n < sizeof(t->req) ? n : 0;
  t->next = f->live;
  if (f->live != NULL) {
    f->live->prev = t;
  }
  f->live = t;
  if (handle != NULL) {
    *handle = t;
  }
  if (t->req_len == 0) {
    finish(t, MTS_FETCH_FAILED, "the host name is too long");
    return MTS_OK;
  }
  (void)mts_loop_timer_set(f->loop, &t->timer, f->timeout_ms);
  start_connect(t);
  return MTS_OK;
}

struct mts_fetch_result *
mts_fetch_expire(struct mts_fetch *t)
{
  struct mts_fetch_result *r = NULL;

  if (t != NULL && t->tls_detail != NULL) {
    r = t->res;
    t->res = NULL;
    r->outcome = MTS_FETCH_TLS;
    free(r->detail);
    r->detail = t->tls_detail;
    t->tls_detail = NULL;
    r->http_status = -1;
    r->body_len = 0;
    if (r->body == NULL) {
      r->body = calloc(1, 1);
    }
  }
  mts_fetch_cancel(t);
  return r;
}

void
mts_fetch_cancel(struct mts_fetch *t)
{
  if (t != NULL) {
    fetch_free(t);
  }
}
