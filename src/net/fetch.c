#include "mtasts/net.h"

#include "mtasts/i18n.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "mtasts/civil.h"

#if LIBCURL_VERSION_NUM < 0x075500
#error "libcurl 7.85 or newer is needed (CURLOPT_PROTOCOLS_STR)"
#endif

struct mts_fetcher {
  struct mts_loop *loop;
  CURLM *multi;
  struct mts_timer timer;
  struct mts_fetch_opts opts;
  char *ca_file;
  struct mts_fetch *live; /* transfers in flight, for mts_fetcher_free */
  /* libcurl runs on OpenSSL: the leaf is read from the live session
   * (leaf_from_session) rather than through CURLOPT_CERTINFO, which
   * prints every certificate of the chain to text on every fetch (a
   * tenth of the tool's time in bulk, docs/benchmarks.md). */
  int openssl;
};

/* One transfer. The things libcurl only borrows (the resolve list, the
 * error buffer) live here until curl_easy_cleanup. */
struct mts_fetch {
  struct mts_fetcher *f;
  CURL *easy;
  struct curl_slist *resolve;
  char errbuf[CURL_ERROR_SIZE];
  char *host;
  mts_fetch_cb cb;
  void *arg;
  struct mts_fetch_result *res;
  int too_large;
  char *tls_detail; /* set while the R53 diagnostic retry runs */
  /* The leaf certificate, read once the response starts (openssl). */
  int leaf_read, leaf_seen, leaf_oom;
  char *leaf_san;
  long long leaf_not_after;
  struct mts_fetch *prev, *next;
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

/* OpenSSL's "Mar  1 12:00:00 2027 GMT" as seconds since the epoch, or -1. */
static long long
parse_cert_time(const char *s)
{
  static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  char mon[4];
  int d, hh, mm, ss, y;
  const char *at;

  if (sscanf(s, "%3s %d %d:%d:%d %d", mon, &d, &hh, &mm, &ss, &y) != 6) {
    return -1;
  }
  at = strstr(months, mon);
  if (at == NULL || (at - months) % 3 != 0 || d < 1 || d > 31 || hh > 23 ||
      mm > 59 || ss > 60 || y < 1970) {
    return -1;
  }
  return mts_days_from_civil(y, (unsigned)((at - months) / 3 + 1),
                             (unsigned)d) *
             86400 +
         hh * 3600 + mm * 60 + ss;
}

/* The leaf's subjectAltName as OpenSSL prints the extension ("DNS:a,
 * DNS:b": X509V3_EXT_print, the text libcurl's CERTINFO gives too), and
 * its notAfter, from the TLS session of the transfer while it is alive.
 * Called from the header callback: the handshake is over, the response
 * has begun. */
static void
leaf_from_session(struct mts_fetch *t)
{
  struct curl_tlssessioninfo *info = NULL;
  const ASN1_TIME *na;
  X509 *leaf;
  struct tm tm;
  int idx;

  t->leaf_read = 1;
  if (curl_easy_getinfo(t->easy, CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK ||
      info == NULL || info->backend != CURLSSLBACKEND_OPENSSL ||
      info->internals == NULL) {
    return;
  }
  leaf = SSL_get0_peer_certificate((const SSL *)info->internals);
  if (leaf == NULL) {
    return;
  }
  t->leaf_seen = 1;
  na = X509_get0_notAfter(leaf);
  if (na != NULL && ASN1_TIME_to_tm(na, &tm) == 1 && tm.tm_year >= 70) {
    t->leaf_not_after =
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
      t->leaf_san = strndup(m->data, m->length);
    }
    t->leaf_oom = b == NULL || (m != NULL && t->leaf_san == NULL);
    BIO_free(b);
  }
}

static size_t
on_header(char *data, size_t size, size_t nitems, void *userp)
{
  struct mts_fetch *t = userp;

  (void)data;
  if (!t->leaf_read) {
    leaf_from_session(t);
  }
  return size * nitems;
}

/* Read the leaf certificate's SAN and notAfter from CURLINFO_CERTINFO
 * (libcurl on another TLS library than OpenSSL). */
static int
leaf_info(CURL *easy, const char **san, long long *not_after)
{
  struct curl_certinfo *ci = NULL;

  *san = NULL;
  *not_after = -1;
  if (curl_easy_getinfo(easy, CURLINFO_CERTINFO, &ci) != CURLE_OK ||
      ci == NULL || ci->num_of_certs < 1) {
    return 0; /* no certificate details: the assessment says it could not
                 judge the certificate (POLICY_CERT_UNKNOWN) */
  }
  for (struct curl_slist *e = ci->certinfo[0]; e != NULL; e = e->next) {
    static const char san_key[] = "X509v3 Subject Alternative Name:";
    static const char exp_key[] = "Expire date:";
    if (strncmp(e->data, san_key, sizeof(san_key) - 1) == 0) {
      *san = e->data + sizeof(san_key) - 1;
    } else if (strncmp(e->data, exp_key, sizeof(exp_key) - 1) == 0) {
      *not_after = parse_cert_time(e->data + sizeof(exp_key) - 1);
    }
  }
  return 1;
}

/* ---- completion --------------------------------------------------------- */

static enum mts_fetch_outcome
classify(struct mts_fetch *t, CURLcode rc)
{
  long verify = X509_V_OK;

  switch (rc) {
    case CURLE_OK:
      return MTS_FETCH_OK;
    case CURLE_COULDNT_CONNECT: {
      long os = 0;
      (void)curl_easy_getinfo(t->easy, CURLINFO_OS_ERRNO, &os);
      /* The local host has no route or no address of that family (an
       * IPv4-only monitoring host and an AAAA record): not the server's
       * fault. */
      if (os == ENETUNREACH || os == EADDRNOTAVAIL || os == EAFNOSUPPORT) {
        return MTS_FETCH_NO_ROUTE;
      }
      return MTS_FETCH_CONNECT;
    }
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
      return MTS_FETCH_CONNECT;
    case CURLE_OPERATION_TIMEDOUT:
      return MTS_FETCH_TIMEOUT;
    case CURLE_FILESIZE_EXCEEDED:
      return MTS_FETCH_TOO_LARGE;
    case CURLE_WRITE_ERROR:
      return t->too_large ? MTS_FETCH_TOO_LARGE : MTS_FETCH_FAILED;
    case CURLE_SSL_CONNECT_ERROR:
      return MTS_FETCH_TLS;
    case CURLE_PEER_FAILED_VERIFICATION:
      (void)curl_easy_getinfo(t->easy, CURLINFO_SSL_VERIFYRESULT, &verify);
      switch (verify) {
        case X509_V_ERR_CERT_HAS_EXPIRED:
        case X509_V_ERR_CERT_NOT_YET_VALID:
          return MTS_FETCH_CERT_EXPIRED;
        case X509_V_OK: /* the chain is fine: libcurl's host name check */
        case X509_V_ERR_HOSTNAME_MISMATCH:
          return MTS_FETCH_CERT_NAME;
        default:
          /* libcurl 7.88 checks the host name itself and then leaves
           * X509_V_ERR_UNSPECIFIED (1): tell by its message. */
          return strstr(t->errbuf, "subject name") != NULL
                     ? MTS_FETCH_CERT_NAME
                     : MTS_FETCH_CERT_UNTRUSTED;
      }
    default:
      return MTS_FETCH_FAILED;
  }
}

static char *
dup_or_null(const char *s)
{
  return s != NULL ? strdup(s) : NULL;
}

static void
fetch_free(struct mts_fetch *t)
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
  if (t->easy != NULL) {
    curl_multi_remove_handle(f->multi, t->easy);
    curl_easy_cleanup(t->easy);
  }
  curl_slist_free_all(t->resolve);
  mts_fetch_result_free(&t->res);
  free(t->tls_detail);
  free(t->leaf_san);
  free(t->host);
  free(t);
}

/* R53: the handshake failed; ask once more allowing only TLS 1.0 and 1.1
 * (and the legacy ciphers OpenSSL 3 refuses by default), to tell an
 * outdated server from other TLS failures. \return 1 if the retry runs. */
static int
retry_old_tls(struct mts_fetch *t)
{
  struct mts_fetcher *f = t->f;

  t->tls_detail = strdup(t->errbuf[0] ? t->errbuf : "TLS handshake failed");
  if (t->tls_detail == NULL) {
    return 0;
  }
  curl_multi_remove_handle(f->multi, t->easy);
  t->errbuf[0] = '\0';
  if (curl_easy_setopt(t->easy, CURLOPT_SSLVERSION,
                       (long)(CURL_SSLVERSION_TLSv1_0 |
                              CURL_SSLVERSION_MAX_TLSv1_1)) != CURLE_OK ||
      curl_easy_setopt(t->easy, CURLOPT_SSL_CIPHER_LIST,
                       "DEFAULT:@SECLEVEL=0") != CURLE_OK ||
      /* A diagnosis, not a fetch: it must not cost the check its time. */
      curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS,
                       f->opts.timeout_ms < 3000 ? f->opts.timeout_ms
                                                 : 3000L) != CURLE_OK ||
      curl_multi_add_handle(f->multi, t->easy) != CURLM_OK) {
    return 0; /* finish() reports the first failure */
  }
  return 1;
}

static void
finish(struct mts_fetch *t, CURLcode rc)
{
  struct mts_fetch_result *r = t->res;
  mts_fetch_cb cb = t->cb;
  void *arg = t->arg;
  long code = -1;
  char *ct = NULL, *loc = NULL;

  if (t->tls_detail == NULL && classify(t, rc) == MTS_FETCH_TLS &&
      retry_old_tls(t)) {
    return;
  }
  if (t->tls_detail != NULL) {
    /* The diagnostic retry ended: report the first failure, and whether
     * old TLS would have worked. */
    r->outcome = MTS_FETCH_TLS;
    /* The handshake completed with old TLS (a bad certificate on top of
     * it still means the version was agreed). */
    r->old_tls_only = rc == CURLE_OK || rc == CURLE_PEER_FAILED_VERIFICATION;
    r->detail = t->tls_detail;
    t->tls_detail = NULL;
    free(r->body); /* whatever the diagnosis received is not the policy */
    r->body = calloc(1, 1);
    r->body_len = 0;
    t->res = NULL;
    fetch_free(t);
    cb(arg, r);
    return;
  }
  r->outcome = classify(t, rc);
  if (rc != CURLE_OK) {
    r->detail = strdup(t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
  } else {
    const char *san = NULL;
    (void)curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
    (void)curl_easy_getinfo(t->easy, CURLINFO_CONTENT_TYPE, &ct);
    (void)curl_easy_getinfo(t->easy, CURLINFO_REDIRECT_URL, &loc);
    r->http_status = code;
    r->content_type = dup_or_null(ct);
    r->location = dup_or_null(loc);
    /* RFC 8461 §3.3 names the SAN alone; libcurl falls back to the subject
     * CN. Report what the certificate says: the rules judge it. */
    if (t->f->openssl) {
      r->cert_seen = t->leaf_seen;
      r->cert_not_after = t->leaf_not_after;
      r->cert_san = t->leaf_san;
      t->leaf_san = NULL;
      if (t->leaf_oom) {
        r->outcome = MTS_FETCH_FAILED; /* out of memory: judge nothing */
      }
    } else {
      r->cert_seen = leaf_info(t->easy, &san, &r->cert_not_after);
      r->cert_san = dup_or_null(san);
      if (san != NULL && r->cert_san == NULL) {
        r->outcome = MTS_FETCH_FAILED; /* out of memory: judge nothing */
      }
    }
  }
  if (r->body == NULL) {
    r->body = calloc(1, 1);
  }
  t->res = NULL;
  fetch_free(t);
  cb(arg, r);
}

static void
check_done(struct mts_fetcher *f)
{
  CURLMsg *msg;
  int left;

  while ((msg = curl_multi_info_read(f->multi, &left)) != NULL) {
    struct mts_fetch *t = NULL;
    if (msg->msg != CURLMSG_DONE) {
      continue;
    }
    (void)curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
    if (t != NULL) {
      finish(t, msg->data.result);
    }
  }
}

/* ---- loop glue ---------------------------------------------------------- */

static void
on_io(void *arg, int fd, unsigned events)
{
  struct mts_fetcher *f = arg;
  int flags = 0, running;

  if (events & MTS_EV_READ) {
    flags |= CURL_CSELECT_IN;
  }
  if (events & MTS_EV_WRITE) {
    flags |= CURL_CSELECT_OUT;
  }
  (void)curl_multi_socket_action(f->multi, fd, flags, &running);
  check_done(f);
}

static void
on_timer(void *arg)
{
  struct mts_fetcher *f = arg;
  int running;

  (void)curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  check_done(f);
}

static int
on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp,
               void *socketp)
{
  struct mts_fetcher *f = userp;
  unsigned events = 0;

  (void)easy;
  (void)socketp;
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) {
    events |= MTS_EV_READ;
  }
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) {
    events |= MTS_EV_WRITE;
  }
  /* CURL_POLL_REMOVE: events 0, unwatch. If the loop cannot watch the
   * socket, -1 makes libcurl abort the transfer rather than wait. */
  return mts_loop_watch(f->loop, s, events, on_io, f) == MTS_OK ? 0 : -1;
}

static int
on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
  struct mts_fetcher *f = userp;

  (void)multi;
  /* -1: stop; 0: as soon as possible, but not from inside this callback:
   * a 0 ms loop timer fires on the next turn. */
  (void)mts_loop_timer_set(f->loop, &f->timer, timeout_ms);
  return 0;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *userp)
{
  struct mts_fetch *t = userp;
  struct mts_fetch_result *r = t->res;
  size_t n = size * nmemb; /* size is 1 (CURLOPT_WRITEFUNCTION.3) */
  char *p;

  if (n > MTS_FETCH_MAX_BODY - r->body_len) {
    /* R62: stop at the limit, whatever Content-Length said. */
    t->too_large = 1;
    return 0;
  }
  p = realloc(r->body, r->body_len + n + 1);
  if (p == NULL) {
    return 0;
  }
  memcpy(p + r->body_len, data, n);
  r->body_len += n;
  p[r->body_len] = '\0';
  r->body = p;
  return n;
}

/* ---- setup -------------------------------------------------------------- */

enum mts_err
mts_fetcher_new(struct mts_fetcher **out, struct mts_loop *loop,
                const struct mts_fetch_opts *opts, char *errbuf, size_t errsz)
{
  struct mts_fetcher *f;

  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    snprintf(errbuf, errsz, "cannot initialise libcurl");
    return MTS_ERESOLV;
  }
  f = calloc(1, sizeof(*f));
  if (f == NULL) {
    curl_global_cleanup();
    return MTS_ENOMEM;
  }
  f->loop = loop;
  f->opts = *opts;
  {
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    f->openssl = v != NULL && v->ssl_version != NULL &&
                 strncmp(v->ssl_version, "OpenSSL/", 8) == 0;
  }
  f->timer.cb = on_timer;
  f->timer.arg = f;
  f->multi = curl_multi_init();
  if (opts->ca_file != NULL) {
    f->ca_file = strdup(opts->ca_file);
  }
  if (f->multi == NULL || (opts->ca_file != NULL && f->ca_file == NULL)) {
    mts_fetcher_free(&f);
    return MTS_ENOMEM;
  }
  f->opts.ca_file = f->ca_file;
  curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
  curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
  curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
  curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
  *out = f;
  return MTS_OK;
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
  if (f->multi != NULL) {
    curl_multi_cleanup(f->multi);
  }
  (void)mts_loop_timer_set(f->loop, &f->timer, -1);
  free(f->ca_file);
  free(f);
  *fp = NULL;
  curl_global_cleanup();
}

enum mts_err
mts_fetch_start(struct mts_fetcher *f, const char *host, const char *address,
                mts_fetch_cb cb, void *arg, struct mts_fetch **handle)
{
  struct mts_fetch *t = calloc(1, sizeof(*t));
  char url[300], pin[400];
  int v6 = strchr(address, ':') != NULL;

  if (t == NULL) {
    return MTS_ENOMEM;
  }
  t->f = f;
  t->cb = cb;
  t->arg = arg;
  t->next = f->live;
  if (f->live != NULL) {
    f->live->prev = t;
  }
  f->live = t;
  t->host = strdup(host);
  t->res = calloc(1, sizeof(*t->res));
  t->easy = curl_easy_init();
  if (t->host == NULL || t->res == NULL || t->easy == NULL) {
    goto fail;
  }
  t->res->http_status = -1;
  t->res->cert_not_after = -1;
  t->leaf_not_after = -1;
  t->res->address = strdup(address);
  /* R46, R51: the URL keeps the host name (Host header, SNI, certificate
   * check); CURLOPT_RESOLVE pins the address our resolver found, so that
   * --resolver governs this name too and libcurl resolves nothing. */
  snprintf(url, sizeof(url), "https://%s/.well-known/mta-sts.txt", host);
  snprintf(pin, sizeof(pin), "%s:443:%s%s%s", host, v6 ? "[" : "", address,
           v6 ? "]" : "");
  t->resolve = curl_slist_append(NULL, pin);
  if (t->res->address == NULL || t->resolve == NULL) {
    goto fail;
  }
  if (curl_easy_setopt(t->easy, CURLOPT_URL, url) != CURLE_OK ||
      curl_easy_setopt(t->easy, CURLOPT_RESOLVE, t->resolve) != CURLE_OK ||
      /* R47: HTTPS only, never a fallback to http. */
      curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
      /* R58: redirects are reported, never followed. */
      curl_easy_setopt(t->easy, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
      /* R53, RFC 8461 §7.2: TLS 1.2 or newer, whatever the system's
       * OpenSSL configuration allows (libcurl 7.88's default floor is TLS
       * 1.0); retry_old_tls() alone asks for older versions. */
      curl_easy_setopt(t->easy, CURLOPT_SSLVERSION,
                       (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK ||
      curl_easy_setopt(t->easy, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
      curl_easy_setopt(t->easy, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
      curl_easy_setopt(t->easy, CURLOPT_CERTINFO, f->openssl ? 0L : 1L) !=
          CURLE_OK ||
      curl_easy_setopt(t->easy, CURLOPT_HEADERFUNCTION, on_header) !=
          CURLE_OK ||
      curl_easy_setopt(t->easy, CURLOPT_HEADERDATA, t) != CURLE_OK ||
      (f->opts.ca_file != NULL &&
       (curl_easy_setopt(t->easy, CURLOPT_CAINFO, f->opts.ca_file) !=
            CURLE_OK ||
        /* --ca-file replaces the system store (Debian's libcurl also
         * has a CA path built in). */
        curl_easy_setopt(t->easy, CURLOPT_CAPATH, NULL) != CURLE_OK)) ||
      /* A13: the time limit covers the whole fetch. */
      curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, f->opts.timeout_ms) !=
          CURLE_OK ||
      curl_easy_setopt(t->easy, CURLOPT_MAXFILESIZE_LARGE,
                       (curl_off_t)MTS_FETCH_MAX_BODY) != CURLE_OK ||
      curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
      curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t) != CURLE_OK ||
      curl_easy_setopt(t->easy, CURLOPT_ERRORBUFFER, t->errbuf) != CURLE_OK ||
      curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t) != CURLE_OK ||
      curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
      /* Every fetch its own connection and handshake: a reused one has no
       * certificate to check and ignores the pinned address. */
      curl_easy_setopt(t->easy, CURLOPT_FRESH_CONNECT, 1L) != CURLE_OK ||
      curl_easy_setopt(t->easy, CURLOPT_FORBID_REUSE, 1L) != CURLE_OK ||
      /* A sending MTA connects directly: no proxy from the environment
       * (https_proxy, all_proxy), which would also bypass the pinned
       * address. */
      curl_easy_setopt(t->easy, CURLOPT_PROXY, "") != CURLE_OK ||
      curl_easy_setopt(t->easy, CURLOPT_USERAGENT,
                       "mtasts-check/" MTS_VERSION) != CURLE_OK ||
      curl_multi_add_handle(f->multi, t->easy) != CURLM_OK) {
    goto fail;
  }
  if (handle != NULL) {
    *handle = t;
  }
  return MTS_OK;

fail:
  fetch_free(t);
  return MTS_ENOMEM;
}

struct mts_fetch_result *
mts_fetch_expire(struct mts_fetch *t)
{
  struct mts_fetch_result *r = NULL;

  if (t != NULL && t->tls_detail != NULL) {
    r = t->res;
    t->res = NULL;
    r->outcome = MTS_FETCH_TLS;
    r->detail = t->tls_detail;
    t->tls_detail = NULL;
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
