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
 * 32 domains of up to 6 queries each. The queue grows past this only while
 * sockets wait for room in their send buffers. */
#define QUEUE_MAX 256

struct slot {
  int fd;
  size_t len;
  unsigned char data[SLOT_SIZE];
};

/* What is known of each fd we created (index: fd). */
struct fdinfo {
  unsigned char udp;     /* a datagram socket of ours */
  unsigned char blocked; /* its send buffer was full: wait for MTS_EV_WRITE */
  int err;               /* errno of a failed batched send, for recvfrom */
  unsigned want;         /* the owner's watch (mts_udpbatch_watch) */
  mts_io_cb cb;
  void *arg;
};

struct mts_udpbatch {
  struct mts_loop *loop;
  struct mts_timer timer;
  int armed; /* the timer is */
  int sockbuf;
  struct slot *queue; /* cap slots, n used, in the order queued */
  size_t n, cap;
  struct fdinfo *fds;
  size_t nfds;
  unsigned long syscalls;
};

static void
on_timer(void *arg)
{
  struct mts_udpbatch *b = arg;

  b->armed = 0;
  mts_udpbatch_flush(b);
}

enum mts_err
mts_udpbatch_new(struct mts_udpbatch **out, struct mts_loop *loop, int sockbuf)
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
  b->cap = QUEUE_MAX;
  b->loop = loop;
  b->sockbuf = sockbuf;
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
  memset(fi, 0, sizeof(*fi));
  fi->udp = type == SOCK_DGRAM;
  if (fi->udp && b->sockbuf > 0) {
    /* Best effort: smaller buffers only make losses and waits likelier. A
     * loop turn's queries leave together, so the send buffer must hold a
     * burst as the receive buffer holds its answers. */
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &b->sockbuf,
                     sizeof(b->sockbuf));
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &b->sockbuf,
                     sizeof(b->sockbuf));
  }
  return fd;
}

static void on_io(void *arg, int fd, unsigned events);

/* Watch \p fd for what its owner wants, and for room to send while its
 * datagrams wait. */
static enum mts_err
rewatch(struct mts_udpbatch *b, int fd, const struct fdinfo *fi)
{
  unsigned events = fi->want | (fi->blocked ? (unsigned)MTS_EV_WRITE : 0u);

  return mts_loop_watch(b->loop, fd, events, events ? on_io : NULL, b);
}

static void
on_io(void *arg, int fd, unsigned events)
{
  struct mts_udpbatch *b = arg;
  struct fdinfo *fi = fdinfo(b, fd, 0);
  mts_io_cb cb;
  void *cb_arg;

  if (fi == NULL) {
    return;
  }
  if ((events & MTS_EV_WRITE) && fi->blocked) {
    fi->blocked = 0;
    (void)rewatch(b, fd, fi);
    mts_udpbatch_flush(b); /* may block it again */
  }
  /* The owner may close fd in its callback: call it last. */
  events &= fi->want;
  cb = fi->cb;
  cb_arg = fi->arg;
  if (events != 0 && cb != NULL) {
    cb(cb_arg, fd, events);
  }
}

enum mts_err
mts_udpbatch_watch(struct mts_udpbatch *b, int fd, unsigned events,
                   mts_io_cb cb, void *arg)
{
  struct fdinfo *fi = fdinfo(b, fd, 0);

  if (fi == NULL || !fi->udp) {
    return mts_loop_watch(b->loop, fd, events, cb, arg);
  }
  fi->want = events;
  fi->cb = events ? cb : NULL;
  fi->arg = events ? arg : NULL;
  return rewatch(b, fd, fi);
}

int
mts_udpbatch_close(struct mts_udpbatch *b, int fd)
{
  struct fdinfo *fi = fdinfo(b, fd, 0);
  size_t k = 0;

  /* The fd number may come back for another socket: nothing queued for
   * this one may reach it, and no watch of ours may outlive it. */
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
    if (fi->udp && (fi->want != 0 || fi->blocked)) {
      (void)mts_loop_watch(b->loop, fd, 0, NULL, NULL);
    }
    memset(fi, 0, sizeof(*fi));
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
  if (b->n == b->cap) {
    mts_udpbatch_flush(b);
  }
  if (b->n == b->cap) {
    /* Every datagram left waits for a full socket: make room rather than
     * lose this one (the queries in flight bound the queue). */
    struct slot *v = realloc(b->queue, 2 * b->cap * sizeof(*v));
    if (v == NULL) {
      errno = ENOMEM;
      return -1;
    }
    b->queue = v;
    b->cap *= 2;
  }
  s = &b->queue[b->n++];
  s->fd = fd;
  s->len = 0;
  for (int i = 0; i < iovcnt; i++) {
    memcpy(s->data + s->len, iov[i].iov_base, iov[i].iov_len);
    s->len += iov[i].iov_len;
  }
  if (!fi->blocked && !b->armed) {
    b->armed = 1;
    (void)mts_loop_timer_set(b->loop, &b->timer, 0);
  }
  return (ssize_t)total;
}

/* Send queue[from, to), all for one fd.
 * \return how many left; the rest stays queued when the socket's send
 * buffer is full (the fd is then marked blocked and watched for room). */
static size_t
send_run(struct mts_udpbatch *b, size_t from, size_t to)
{
  enum { CHUNK = 64 };
  struct mmsghdr msgs[CHUNK];
  struct iovec iovs[CHUNK];
  int fd = b->queue[from].fd;
  size_t start = from;

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
      struct fdinfo *fi = fdinfo(b, fd, 0);
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
        /* No room: the rest waits, in order, until the socket is
         * writable. (ENOBUFS, a full device queue, clears as fast.) */
        if (fi != NULL) {
          fi->blocked = 1;
          (void)rewatch(b, fd, fi);
        }
        break;
      }
      /* ECONNREFUSED and the like: the socket's error, which c-ares must
       * see. The datagram is lost, like a dropped answer. */
      if (fi != NULL) {
        fi->err = errno;
      }
      sent = 1;
    }
    from += (size_t)sent;
  }
  return from - start;
}

void
mts_udpbatch_flush(struct mts_udpbatch *b)
{
  size_t i = 0, k = 0;

  while (i < b->n) {
    const struct fdinfo *fi = fdinfo(b, b->queue[i].fd, 0);
    size_t j = i + 1, sent = 0;
    while (j < b->n && b->queue[j].fd == b->queue[i].fd) {
      j++;
    }
    if (fi == NULL || !fi->blocked) {
      sent = send_run(b, i, j);
    }
    /* Keep what did not leave, in order. */
    if (k != i + sent) {
      memmove(&b->queue[k], &b->queue[i + sent],
              (j - i - sent) * sizeof(*b->queue));
    }
    k += j - i - sent;
    i = j;
  }
  b->n = k;
  if (b->armed) {
    b->armed = 0;
    (void)mts_loop_timer_set(b->loop, &b->timer, -1);
  }
}

size_t
mts_udpbatch_queued(const struct mts_udpbatch *b)
{
  return b->n;
}

unsigned long
mts_udpbatch_syscalls(const struct mts_udpbatch *b)
{
  return b->syscalls;
}
