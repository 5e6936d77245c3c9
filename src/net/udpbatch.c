#define _GNU_SOURCE /* sendmmsg(2) */
#include "udpbatch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A query is a header, a name of at most 255 octets, a type and a class
 * and an OPT record: under 300 octets. Larger datagrams go out at once. */
#define SLOT_SIZE 512
/* Datagrams queued before a flush is forced; a loop turn starts at most
 * 32 domains of up to 6 queries each. */
#define QUEUE_MAX 256

struct slot {
  int fd;
  size_t len;
  unsigned char data[SLOT_SIZE];
};

/* What is known of each fd we created (index: fd). */
struct fdinfo {
  unsigned char udp; /* a datagram socket of ours */
  int err;           /* errno of a failed batched send, for recvfrom */
};

struct mts_udpbatch {
  struct mts_loop *loop;
  struct mts_timer timer;
  int rcvbuf;
  struct slot *queue; /* QUEUE_MAX slots */
  size_t n;
  struct fdinfo *fds;
  size_t nfds;
  unsigned long syscalls;
};

static void
on_timer(void *arg)
{
  mts_udpbatch_flush(arg);
}

enum mts_err
mts_udpbatch_new(struct mts_udpbatch **out, struct mts_loop *loop, int rcvbuf)
{
  struct mts_udpbatch *b = calloc(1, sizeof(*b));

  if (b == NULL) {
    return MTS_ENOMEM;
  }
  b->queue = malloc(QUEUE_MAX * sizeof(*b->queue));
  if (b->queue == NULL) {
    free(b);
    return MTS_ENOMEM;
  }
  b->loop = loop;
  b->rcvbuf = rcvbuf;
  b->timer.cb = on_timer;
  b->timer.arg = b;
  *out = b;
  return MTS_OK;
}

void
mts_udpbatch_free(struct mts_udpbatch **bp)
{
  struct mts_udpbatch *b;

  if (bp == NULL || *bp == NULL) {
    return;
  }
  b = *bp;
  mts_udpbatch_flush(b);
  (void)mts_loop_timer_set(b->loop, &b->timer, -1);
  free(b->queue);
  free(b->fds);
  free(b);
  *bp = NULL;
}

static struct fdinfo *
fdinfo(struct mts_udpbatch *b, int fd, int grow)
{
  size_t ufd;

  if (fd < 0) {
    return NULL;
  }
  ufd = (size_t)fd;
  if (ufd >= b->nfds) {
    size_t n = b->nfds ? b->nfds : 64;
    struct fdinfo *v;
    if (!grow) {
      return NULL;
    }
    while (n <= ufd) {
      n *= 2;
    }
    v = realloc(b->fds, n * sizeof(*v));
    if (v == NULL) {
      return NULL;
    }
    memset(v + b->nfds, 0, (n - b->nfds) * sizeof(*v));
    b->fds = v;
    b->nfds = n;
  }
  return &b->fds[ufd];
}

int
mts_udpbatch_socket(struct mts_udpbatch *b, int domain, int type, int protocol)
{
  int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  struct fdinfo *fi;

  if (fd < 0) {
    return -1;
  }
  fi = fdinfo(b, fd, 1);
  if (fi == NULL) {
    close(fd);
    errno = ENOMEM;
    return -1;
  }
  fi->udp = type == SOCK_DGRAM;
  fi->err = 0;
  if (fi->udp && b->rcvbuf > 0) {
    /* Best effort: a smaller buffer only makes losses likelier. */
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &b->rcvbuf, sizeof(b->rcvbuf));
  }
  return fd;
}

int
mts_udpbatch_close(struct mts_udpbatch *b, int fd)
{
  struct fdinfo *fi = fdinfo(b, fd, 0);
  size_t k = 0;

  /* The fd number may come back for another socket: nothing queued for
   * this one may reach it. */
  for (size_t i = 0; i < b->n; i++) {
    if (b->queue[i].fd != fd) {
      if (k != i) {
        b->queue[k] = b->queue[i];
      }
      k++;
    }
  }
  b->n = k;
  if (fi != NULL) {
    fi->udp = 0;
    fi->err = 0;
  }
  return close(fd);
}

ssize_t
mts_udpbatch_recvfrom(struct mts_udpbatch *b, int fd, void *buf, size_t len,
                      int flags, struct sockaddr *from, socklen_t *fromlen)
{
  struct fdinfo *fi = fdinfo(b, fd, 0);

  if (fi != NULL && fi->err != 0) {
    errno = fi->err;
    fi->err = 0;
    return -1;
  }
  return recvfrom(fd, buf, len, flags, from, fromlen);
}

ssize_t
mts_udpbatch_sendv(struct mts_udpbatch *b, int fd, const struct iovec *iov,
                   int iovcnt)
{
  struct fdinfo *fi = fdinfo(b, fd, 0);
  size_t total = 0;
  struct slot *s;

  for (int i = 0; i < iovcnt; i++) {
    total += iov[i].iov_len;
  }
  if (fi == NULL || !fi->udp || total > SLOT_SIZE) {
    /* TCP, or an odd datagram: keep the order, then send it now. */
    mts_udpbatch_flush(b);
    return writev(fd, iov, iovcnt);
  }
  if (fi->err != 0) {
    /* Report the error now, as send(2) would, rather than queue behind
     * it. */
    errno = fi->err;
    fi->err = 0;
    return -1;
  }
  if (b->n == QUEUE_MAX) {
    mts_udpbatch_flush(b);
  }
  s = &b->queue[b->n++];
  s->fd = fd;
  s->len = 0;
  for (int i = 0; i < iovcnt; i++) {
    memcpy(s->data + s->len, iov[i].iov_base, iov[i].iov_len);
    s->len += iov[i].iov_len;
  }
  if (b->n == 1) {
    (void)mts_loop_timer_set(b->loop, &b->timer, 0);
  }
  return (ssize_t)total;
}

/* Send queue[from, to), all for one fd. */
static void
send_run(struct mts_udpbatch *b, size_t from, size_t to)
{
  enum { CHUNK = 64 };
  struct mmsghdr msgs[CHUNK];
  struct iovec iovs[CHUNK];
  int fd = b->queue[from].fd;

  while (from < to) {
    unsigned n = (unsigned)(to - from < CHUNK ? to - from : CHUNK);
    int sent;

    memset(msgs, 0, n * sizeof(msgs[0]));
    for (unsigned i = 0; i < n; i++) {
      iovs[i].iov_base = b->queue[from + i].data;
      iovs[i].iov_len = b->queue[from + i].len;
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    b->syscalls++;
    sent = sendmmsg(fd, msgs, n, 0);
    if (sent < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
        /* ECONNREFUSED and the like: the socket's error, which c-ares
         * must see. The datagram is lost. */
        struct fdinfo *fi = fdinfo(b, fd, 0);
        if (fi != NULL) {
          fi->err = errno;
        }
      }
      sent = 1; /* drop the first one; it is lost like a dropped answer */
    }
    from += (size_t)sent;
  }
}

void
mts_udpbatch_flush(struct mts_udpbatch *b)
{
  size_t i = 0;

  if (b->n == 0) {
    return;
  }
  while (i < b->n) {
    size_t j = i + 1;
    while (j < b->n && b->queue[j].fd == b->queue[i].fd) {
      j++;
    }
    send_run(b, i, j);
    i = j;
  }
  b->n = 0;
  (void)mts_loop_timer_set(b->loop, &b->timer, -1);
}

unsigned long
mts_udpbatch_syscalls(const struct mts_udpbatch *b)
{
  return b->syscalls;
}
