/* bench/so-rcvbuf.c - LD_PRELOAD shim for bench/dns-throughput.sh -B.
 *
 * Gives every UDP socket that the process opens a receive buffer of
 * $SO_RCVBUF_BYTES bytes (SO_RCVBUFFORCE as root, else SO_RCVBUF, which the
 * kernel caps at net.core.rmem_max). The benchmark uses it on knotd only,
 * which has no setting of its own for this: it stands for the
 * net.core.rmem_default tuning that a busy server gets, without changing
 * the whole machine's sysctl. Diagnostic use only; not part of the tool.
 *
 *   cc -shared -fPIC -O2 -o so-rcvbuf.so so-rcvbuf.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/socket.h>

int socket(int domain, int type, int protocol);

int
socket(int domain, int type, int protocol)
{
  static int (*real_socket)(int, int, int);
  const char *want;
  int fd;

  if (real_socket == NULL) {
    *(void **)&real_socket = dlsym(RTLD_NEXT, "socket");
    if (real_socket == NULL) {
      return -1;
    }
  }
  fd = real_socket(domain, type, protocol);
  want = getenv("SO_RCVBUF_BYTES");
  if (fd >= 0 && want != NULL && (type & 0xff) == SOCK_DGRAM) {
    int v = atoi(want);
    if (v > 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) != 0) {
      (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
    }
  }
  return fd;
}
