#include "tcpconn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
mts_tcp_connect(const char *address, unsigned port, int *err)
{
  struct sockaddr_storage ss;
  socklen_t sl;
  int fd;

  memset(&ss, 0, sizeof(ss));
  if (strchr(address, ':') != NULL) {
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    sl = sizeof(*a6);
    if (inet_pton(AF_INET6, address, &a6->sin6_addr) != 1) {
      *err = EINVAL;
      return -1;
    }
  } else {
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    sl = sizeof(*a4);
    if (inet_pton(AF_INET, address, &a4->sin_addr) != 1) {
      *err = EINVAL;
      return -1;
    }
  }
  fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  if (connect(fd, (struct sockaddr *)&ss, sl) != 0 && errno != EINPROGRESS) {
    *err = errno;
    close(fd);
    return -1;
  }
  return fd;
}

int
mts_tcp_no_route(int e)
{
  return e == ENETUNREACH || e == EADDRNOTAVAIL || e == EAFNOSUPPORT;
}
