#ifndef MTS_UDPBATCH_H
#define MTS_UDPBATCH_H

/* Batched sending of the resolver's UDP queries (docs/benchmarks.md).
 *
 * c-ares sends each query with its own send(2). On a busy machine every
 * such call can wake the DNS server and hand it the CPU before the next
 * query leaves: the tool and the server then take turns datagram by
 * datagram. Instead the resolver's UDP sockets are created here (c-ares'
 * socket functions), each query is copied into a queue, and the queue
 * leaves with one sendmmsg(2) per socket before the loop waits: the queries
 * of one loop turn reach the server together, its answers come back
 * together.
 *
 * The queue is flushed by mts_udpbatch_flush (the resolver calls it before
 * each wait), and by a 0 ms timer armed by the first queued datagram, so
 * that a query queued after that never waits for the next event.
 *
 * A socket whose send buffer is full (EAGAIN) keeps the rest of its
 * datagrams queued, in order, and they leave when the loop reports it
 * writable: a burst larger than the buffer costs no query. For that the
 * batch watches its sockets itself: the owner's watches of them go through
 * mts_udpbatch_watch, which adds MTS_EV_WRITE while datagrams wait. */

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "mtasts/err.h"
#include "mtasts/net.h"

struct mts_udpbatch;

/*! \param sockbuf SO_RCVBUF and SO_SNDBUF asked for each datagram socket
 *  (0: the system's).
 *  \return MTS_OK or MTS_ENOMEM; *out is written on success only. */
enum mts_err mts_udpbatch_new(struct mts_udpbatch **out, struct mts_loop *loop,
                              int sockbuf);

/*! Send what is queued, then free. NULL-safe; sets *b to NULL. */
void mts_udpbatch_free(struct mts_udpbatch **b);

/*! socket(2), non-blocking and close-on-exec; datagram sockets get the
 *  buffers. \return the fd, or -1 with errno set. */
int mts_udpbatch_socket(struct mts_udpbatch *b, int domain, int type,
                        int protocol);

/*! Drop what is queued for \p fd, stop watching it, then close(2) it. */
int mts_udpbatch_close(struct mts_udpbatch *b, int fd);

/*! recvfrom(2); an error that a batched send met on \p fd (e.g.
 *  ECONNREFUSED) is returned here first, as send(2) would have. */
ssize_t mts_udpbatch_recvfrom(struct mts_udpbatch *b, int fd, void *buf,
                              size_t len, int flags, struct sockaddr *from,
                              socklen_t *fromlen);

/*! Queue one datagram for a UDP \p fd (writev(2) at once for anything
 *  else, or a datagram too large for the queue).
 *  \return its length, or -1 with errno set. */
ssize_t mts_udpbatch_sendv(struct mts_udpbatch *b, int fd,
                           const struct iovec *iov, int iovcnt);

/*! mts_loop_watch for the owner of \p fd: \p cb gets the events it asked
 *  for. Any fd not made by mts_udpbatch_socket as a datagram socket is
 *  passed through to mts_loop_watch. */
enum mts_err mts_udpbatch_watch(struct mts_udpbatch *b, int fd, unsigned events,
                                mts_io_cb cb, void *arg);

/*! Send the queued datagrams now: one sendmmsg(2) per run of the same
 *  socket. What a full send buffer refuses stays queued until the socket
 *  is writable; a datagram refused for another reason (ECONNREFUSED) is
 *  dropped, as a lost one would be, and the error is kept for recvfrom. */
void mts_udpbatch_flush(struct mts_udpbatch *b);

/*! \return the number of datagrams queued (for tests). */
size_t mts_udpbatch_queued(const struct mts_udpbatch *b);

/*! \return the number of sendmmsg(2) calls so far (for benchmarks). */
unsigned long mts_udpbatch_syscalls(const struct mts_udpbatch *b);

#endif
