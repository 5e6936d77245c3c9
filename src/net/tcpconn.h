#ifndef MTS_TCPCONN_H
#define MTS_TCPCONN_H

/* A non-blocking TCP connection to an address given as text, for the
 * policy fetch and the SMTP probe (the address is the one our resolver
 * found: nothing is resolved here). */

/*! Open a non-blocking socket and start connecting to \p address (IPv4 or
 *  IPv6 text) port \p port.
 *  \return the socket (watch it for writing: SO_ERROR tells the outcome),
 *  or -1 with *err an errno value (EINVAL: not an address). */
int mts_tcp_connect(const char *address, unsigned port, int *err);

/*! \return 1 if errno value \p e says this machine has no route or no
 *  address of that family (an IPv4-only host and an AAAA record): not the
 *  server's fault. */
int mts_tcp_no_route(int e);

#endif
