/*
 * greeting.h - RFC 1928 method selection, done by the master.
 *
 * Trust zone: master, network-facing: the first bytes of an
 * unauthenticated client.
 *
 * Design: read EXACTLY the greeting, never more: 2 octets (VER, NMETHODS),
 * then NMETHODS octets, because every byte after it belongs to authproc,
 * which gets the socket next.  Within greeting-timeout.  If the client
 * offers 01 (GSS-API): answer `05 01` and send the socket to authproc with
 * IPC_AUTH_CLIENT (session id, least loaded relay slot, peer text), then
 * close the master's copy.  If not: `05 ff` and close.  Version other than
 * 5 or NMETHODS 0: close without an answer.
 */
#ifndef GSSOCKS_MASTER_GREETING_H
#define GSSOCKS_MASTER_GREETING_H

#include <sys/socket.h>

/*
 * A new client connection (non-blocking) from peer; takes ownership of
 * fd.  via: the load balancer that named peer in a PROXY header
 * (proxy_header.c), written in the accept record; NULL for a direct
 * client.
 */
void greeting_begin(int fd, const struct sockaddr *peer, const struct sockaddr *via);

#endif
