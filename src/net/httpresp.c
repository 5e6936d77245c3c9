#include "httpresp.h"

#include <stdlib.h>
#include <string.h>

enum state {
  S_STATUS = 0, /* the status line */
  S_HEADER,     /* header field lines, up to the empty line */
  S_HEAD_END,   /* HEAD was returned: choose how the body is delimited */
  S_BODY_LEN,   /* Content-Length octets */
  S_BODY_CLOSE, /* everything up to the end of the connection */
  S_CHUNK_SIZE, /* chunk-size [chunk-ext] line */
  S_CHUNK_DATA,
  S_CHUNK_END, /* the CRLF after a chunk's data */
  S_TRAILER,   /* trailer fields, up to the empty line */
  S_DONE,
  S_ERROR,
};

int
mts_http_resp_init(struct mts_http_resp *r, size_t max_body)
{
  memset(r, 0, sizeof(*r));
  r->max_body = max_body;
  r->length = -1;
  r->body = calloc(1, 1);
  r->body_cap = 1;
  return r->body != NULL ? 0 : -1;
}

void
mts_http_resp_free(struct mts_http_resp *r)
{
  free(r->content_type);
  free(r->location);
  free(r->body);
  r->content_type = r->location = r->body = NULL;
}

static int
lower(int c)
{
  return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
is_ows(char c)
{
  return c == ' ' || c == '\t';
}

/* RFC 9110 §5.6.2 tchar. */
static int
is_tchar(unsigned char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
}

static int
name_is(const char *p, size_t n, const char *name)
{
  size_t k = strlen(name);

  if (n != k) {
    return 0;
  }
  for (size_t i = 0; i < k; i++) {
    if (lower((unsigned char)p[i]) != name[i]) {
      return 0;
    }
  }
  return 1;
}

/* Trim OWS on both sides of p[0..*n). */
static const char *
trim(const char *p, size_t *n)
{
  while (*n > 0 && is_ows(p[0])) {
    p++;
    (*n)--;
  }
  while (*n > 0 && is_ows(p[*n - 1])) {
    (*n)--;
  }
  return p;
}

static int
set_value(char **dst, const char *p, size_t n)
{
  char *v = malloc(n + 1);

  if (v == NULL) {
    return -1;
  }
  memcpy(v, p, n);
  v[n] = '\0';
  free(*dst);
  *dst = v;
  return 0;
}

/* obs-fold (RFC 9112 §5.2): a continuation line of the field before it,
 * joined with one space. */
static int
append_value(char **dst, const char *p, size_t n)
{
  size_t have = strlen(*dst);
  char *v;

  if (have + 1 + n >= MTS_HTTP_HEAD_MAX) {
    return 0; /* bounded by the header section size anyway */
  }
  v = realloc(*dst, have + 1 + n + 1);
  if (v == NULL) {
    return -1;
  }
  v[have] = ' ';
  memcpy(v + have + 1, p, n);
  v[have + 1 + n] = '\0';
  *dst = v;
  return 0;
}

/* Content-Length (RFC 9110 §8.6): 1*DIGIT, or a list of the same value
 * (RFC 9110 §8.6 allows a recipient to take "42, 42" as 42). */
static enum mts_http_rd
take_length(struct mts_http_resp *r, const char *p, size_t n)
{
  size_t i = 0;

  while (i < n) {
    unsigned long long v = 0;
    size_t digits = 0;
    while (i < n && is_ows(p[i])) {
      i++;
    }
    while (i < n && p[i] >= '0' && p[i] <= '9') {
      if (v > (1ULL << 50)) {
        return MTS_HTTP_RD_BAD_LENGTH; /* far beyond any cap */
      }
      v = v * 10 + (unsigned)(p[i] - '0');
      i++;
      digits++;
    }
    while (i < n && is_ows(p[i])) {
      i++;
    }
    if (digits == 0 || (i < n && p[i] != ',') ||
        (r->length >= 0 && (unsigned long long)r->length != v)) {
      return MTS_HTTP_RD_BAD_LENGTH;
    }
    r->length = (long long)v;
    i++; /* the comma, if any */
  }
  return r->length >= 0 ? MTS_HTTP_RD_MORE : MTS_HTTP_RD_BAD_LENGTH;
}

/* Transfer-Encoding (RFC 9112 §6.1): chunked when it is the last coding.
 * The field may come more than once: the last one decides. */
static void
take_coding(struct mts_http_resp *r, const char *p, size_t n)
{
  const char *last = p;
  size_t k;

  for (size_t i = 0; i < n; i++) {
    if (p[i] == ',') {
      last = p + i + 1;
    }
  }
  k = n - (size_t)(last - p);
  last = trim(last, &k);
  r->chunked = name_is(last, k, "chunked");
}

static enum mts_http_rd
take_status(struct mts_http_resp *r, const char *p, size_t n)
{
  /* status-line = HTTP-version SP status-code SP [ reason-phrase ] */
  if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' || p[7] > '9' ||
      p[8] != ' ' || p[9] < '1' || p[9] > '9' || p[10] < '0' || p[10] > '9' ||
      p[11] < '0' || p[11] > '9' || (n > 12 && p[12] != ' ')) {
    return MTS_HTTP_RD_BAD_STATUS;
  }
  r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
  r->head_size = 0;
  r->length = -1;
  r->chunked = 0;
  r->last_value = NULL;
  free(r->content_type);
  free(r->location);
  r->content_type = r->location = NULL;
  return MTS_HTTP_RD_MORE;
}

static enum mts_http_rd
take_header(struct mts_http_resp *r, const char *p, size_t n)
{
  const char *colon = memchr(p, ':', n);
  const char *v;
  size_t name_len, vn;

  if (is_ows(p[0])) {
    /* A folded line continues the field before it; one that continues
     * nothing we keep is consumed unread (RFC 9112 §2.2, §5.2). */
    vn = n;
    v = trim(p, &vn);
    if (r->last_value != NULL && *r->last_value != NULL &&
        append_value(r->last_value, v, vn) != 0) {
      return MTS_HTTP_RD_NOMEM;
    }
    return MTS_HTTP_RD_MORE;
  }
  r->last_value = NULL;
  if (colon == NULL || colon == p) {
    return MTS_HTTP_RD_BAD_HEADER;
  }
  name_len = (size_t)(colon - p);
  for (size_t i = 0; i < name_len; i++) {
    if (!is_tchar((unsigned char)p[i])) {
      return MTS_HTTP_RD_BAD_HEADER; /* also "Name :" (RFC 9112 §5.1) */
    }
  }
  vn = n - name_len - 1;
  v = trim(colon + 1, &vn);
  if (r->state == S_TRAILER) {
    return MTS_HTTP_RD_MORE; /* trailers carry nothing we use */
  }
  if (name_is(p, name_len, "content-type")) {
    r->last_value = &r->content_type;
  } else if (name_is(p, name_len, "location")) {
    r->last_value = &r->location;
  } else if (name_is(p, name_len, "content-length")) {
    return take_length(r, v, vn);
  } else if (name_is(p, name_len, "transfer-encoding")) {
    take_coding(r, v, vn);
    return MTS_HTTP_RD_MORE;
  } else {
    return MTS_HTTP_RD_MORE;
  }
  return set_value(r->last_value, v, vn) == 0 ? MTS_HTTP_RD_MORE
                                              : MTS_HTTP_RD_NOMEM;
}

/* chunk = chunk-size [ chunk-ext ] CRLF (RFC 9112 §7.1): hex digits, then
 * nothing, or ";" extensions (ignored), with optional whitespace. */
static enum mts_http_rd
take_chunk_size(struct mts_http_resp *r, const char *p, size_t n)
{
  unsigned long long v = 0;
  size_t i = 0;

  for (; i < n; i++) {
    int c = lower((unsigned char)p[i]), d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      break;
    }
    if (v > (1ULL << 50)) {
      return MTS_HTTP_RD_BAD_CHUNK;
    }
    v = v * 16 + (unsigned)d;
  }
  if (i == 0) {
    return MTS_HTTP_RD_BAD_CHUNK;
  }
  while (i < n && is_ows(p[i])) {
    i++;
  }
  if (i < n && p[i] != ';') {
    return MTS_HTTP_RD_BAD_CHUNK;
  }
  if (v > r->max_body - r->body_len) {
    return MTS_HTTP_RD_TOO_LARGE; /* said before it is sent */
  }
  r->left = v;
  r->state = v == 0 ? S_TRAILER : S_CHUNK_DATA;
  r->head_size = 0;
  return MTS_HTTP_RD_MORE;
}

static enum mts_http_rd
add_body(struct mts_http_resp *r, const char *p, size_t n)
{
  if (n > r->max_body - r->body_len) {
    return MTS_HTTP_RD_TOO_LARGE;
  }
  if (r->body_len + n + 1 > r->body_cap) {
    size_t cap = r->body_cap < 4096 ? 4096 : r->body_cap * 2;
    char *b;
    while (cap < r->body_len + n + 1) {
      cap *= 2;
    }
    if (cap > r->max_body + 1) {
      cap = r->max_body + 1;
    }
    b = realloc(r->body, cap);
    if (b == NULL) {
      return MTS_HTTP_RD_NOMEM;
    }
    r->body = b;
    r->body_cap = cap;
  }
  memcpy(r->body + r->body_len, p, n);
  r->body_len += n;
  r->body[r->body_len] = '\0';
  return MTS_HTTP_RD_MORE;
}

/* The header section ended: how is the body delimited (RFC 9112 §6.3)? */
static enum mts_http_rd
start_body(struct mts_http_resp *r)
{
  if (r->status == 204 || r->status == 304) {
    r->state = S_DONE;
    return MTS_HTTP_RD_DONE;
  }
  if (r->chunked) {
    r->state = S_CHUNK_SIZE;
  } else if (r->length >= 0) {
    if ((unsigned long long)r->length > r->max_body) {
      return MTS_HTTP_RD_TOO_LARGE;
    }
    r->left = (unsigned long long)r->length;
    r->state = r->left == 0 ? S_DONE : S_BODY_LEN;
  } else {
    r->state = S_BODY_CLOSE;
  }
  return r->state == S_DONE ? MTS_HTTP_RD_DONE : MTS_HTTP_RD_MORE;
}

/* A complete line (line end removed) in a line-based state. */
static enum mts_http_rd
take_line(struct mts_http_resp *r, const char *p, size_t n)
{
  switch (r->state) {
    case S_STATUS:
      if (n == 0 && r->status == 0 && r->lines == 1) {
        /* RFC 9112 §2.2: one empty line before the status line is
         * ignored. */
        return MTS_HTTP_RD_MORE;
      }
      if (take_status(r, p, n) != MTS_HTTP_RD_MORE) {
        return MTS_HTTP_RD_BAD_STATUS;
      }
      r->state = S_HEADER;
      return MTS_HTTP_RD_MORE;
    case S_HEADER:
      if (n > 0) {
        return take_header(r, p, n);
      }
      if (r->status < 200) {
        /* 1xx interim response (100 Continue, 103 Early Hints): the
         * final one follows. 101 was never asked for. */
        if (r->status == 101) {
          return MTS_HTTP_RD_BAD_STATUS;
        }
        r->state = S_STATUS;
        return MTS_HTTP_RD_MORE;
      }
      r->state = S_HEAD_END;
      r->last_value = NULL; /* a folded trailer line continues nothing */
      return MTS_HTTP_RD_HEAD;
    case S_CHUNK_SIZE:
      return take_chunk_size(r, p, n);
    case S_CHUNK_END:
      if (n != 0) {
        return MTS_HTTP_RD_BAD_CHUNK;
      }
      r->state = S_CHUNK_SIZE;
      return MTS_HTTP_RD_MORE;
    case S_TRAILER:
      if (n == 0) {
        r->state = S_DONE;
        return MTS_HTTP_RD_DONE;
      }
      return take_header(r, p, n);
    default:
      return MTS_HTTP_RD_BAD_STATUS; /* not reached */
  }
}

static int
line_state(int s)
{
  return s == S_STATUS || s == S_HEADER || s == S_CHUNK_SIZE ||
         s == S_CHUNK_END || s == S_TRAILER;
}

/* Bytes of a line-based state, up to and including its LF. */
static enum mts_http_rd
feed_line(struct mts_http_resp *r, const char *buf, size_t len, size_t *off)
{
  const char *nl = memchr(buf + *off, '\n', len - *off);
  size_t take = nl != NULL ? (size_t)(nl - (buf + *off)) + 1 : len - *off;
  size_t n;

  if (r->line_len + take > MTS_HTTP_LINE_MAX) {
    return MTS_HTTP_RD_LONG_LINE;
  }
  if ((r->state == S_HEADER || r->state == S_TRAILER || r->state == S_STATUS) &&
      r->head_size + take > MTS_HTTP_HEAD_MAX) {
    return MTS_HTTP_RD_LONG_HEAD;
  }
  if (memchr(buf + *off, '\0', take) != NULL) {
    return r->state == S_STATUS ? MTS_HTTP_RD_BAD_STATUS
                                : MTS_HTTP_RD_BAD_HEADER;
  }
  memcpy(r->line + r->line_len, buf + *off, take);
  r->line_len += take;
  r->head_size += take;
  *off += take;
  if (nl == NULL) {
    return MTS_HTTP_RD_MORE;
  }
  n = r->line_len - 1;
  if (n > 0 && r->line[n - 1] == '\r') {
    n--;
  }
  r->line_len = 0;
  r->lines++;
  return take_line(r, r->line, n);
}

enum mts_http_rd
mts_http_resp_feed(struct mts_http_resp *r, const char *buf, size_t len,
                   size_t *used)
{
  size_t off = 0;
  enum mts_http_rd rd = MTS_HTTP_RD_MORE;

  if (r->state == S_DONE || r->state == S_ERROR) {
    *used = 0;
    return r->state == S_DONE ? MTS_HTTP_RD_DONE : r->error;
  }
  if (r->state == S_HEAD_END) {
    rd = start_body(r);
  }
  while (rd == MTS_HTTP_RD_MORE && off < len) {
    size_t n;
    if (line_state(r->state)) {
      size_t before = off;
      rd = feed_line(r, buf, len, &off);
      r->seen += off - before;
      continue;
    }
    n = len - off;
    if (r->state != S_BODY_CLOSE && n > r->left) {
      n = (size_t)r->left;
    }
    rd = add_body(r, buf + off, n);
    off += n;
    r->seen += n;
    if (rd != MTS_HTTP_RD_MORE || r->state == S_BODY_CLOSE) {
      continue;
    }
    r->left -= n;
    if (r->left == 0) {
      if (r->state == S_BODY_LEN) {
        r->state = S_DONE;
        rd = MTS_HTTP_RD_DONE;
      } else {
        r->state = S_CHUNK_END;
        r->head_size = 0;
      }
    }
  }
  *used = off;
  if (rd != MTS_HTTP_RD_MORE && rd != MTS_HTTP_RD_HEAD &&
      rd != MTS_HTTP_RD_DONE) {
    r->state = S_ERROR;
    r->error = rd;
  }
  return rd;
}

enum mts_http_rd
mts_http_resp_eof(struct mts_http_resp *r)
{
  switch (r->state) {
    case S_DONE:
    case S_BODY_CLOSE:
      r->state = S_DONE;
      return MTS_HTTP_RD_DONE;
    case S_ERROR:
      return r->error;
    default:
      return r->seen == 0 ? MTS_HTTP_RD_NOTHING : MTS_HTTP_RD_TRUNCATED;
  }
}

const char *
mts_http_rd_str(enum mts_http_rd rd)
{
  switch (rd) {
    case MTS_HTTP_RD_MORE:
      return "an incomplete response";
    case MTS_HTTP_RD_HEAD:
    case MTS_HTTP_RD_DONE:
      return "a complete response";
    case MTS_HTTP_RD_TOO_LARGE:
      return "a body over the size limit";
    case MTS_HTTP_RD_LONG_LINE:
      return "a response line over 8192 octets";
    case MTS_HTTP_RD_LONG_HEAD:
      return "a header section over 64 KiB";
    case MTS_HTTP_RD_BAD_STATUS:
      return "a malformed status line";
    case MTS_HTTP_RD_BAD_HEADER:
      return "a malformed header field";
    case MTS_HTTP_RD_BAD_LENGTH:
      return "a malformed Content-Length";
    case MTS_HTTP_RD_BAD_CHUNK:
      return "a malformed chunk";
    case MTS_HTTP_RD_TRUNCATED:
      return "a response cut short by the end of the connection";
    case MTS_HTTP_RD_NOTHING:
      return "nothing before closing the connection";
    case MTS_HTTP_RD_NOMEM:
      return "more than this machine's memory allows";
  }
  return "a malformed response";
}
