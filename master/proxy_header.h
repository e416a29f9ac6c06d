/*
 * proxy_header.h - connections from a load balancer that sends the PROXY
 * protocol v2 header (HAProxy's send-proxy-v2): gssocksd.conf's
 * proxy-protocol-from.
 *
 * Trust zone: master, network-facing.  The balancer's addresses are
 * trusted (by configuration) to name the client; its bytes are still
 * parsed by proto/proxy2.c only.
 *
 * Design: listen.c hands a connection from a listed address here instead
 * of to greeting.c.  Its header is read exactly (proxy2_length(), never a
 * byte of the SOCKS greeting behind it), within greeting-timeout, into a
 * small record of this file's own; no session exists yet, so admission
 * (per-address limits) is deferred until the client's address is known:
 * then greeting_begin() runs with the header's source address as the
 * client (audit records, per-address limits; the policy does not look at
 * client addresses) and the balancer as `via`.  Connections waiting for
 * their header are bounded by max-unauthenticated; past that a newcomer
 * is refused.
 *
 * LOCAL (the balancer's own connection): a connection that closes before
 * its first greeting octet is a health check and leaves no audit record
 * (a debug line only); one that goes on is served as a client at the
 * balancer's own address.  A connection that closes before sending
 * anything at all is a health check too.  Anything else -- a malformed
 * header, a PROXY header for other than TCP, a header that does not come
 * within greeting-timeout, a close in the middle of it -- is closed
 * without an answer and counted (audit_count: event=refuse
 * reason=proxy-header or proxy-header-timeout, one record per second).
 * A PROXY header from an address that is not listed never comes here: it
 * is a malformed greeting to greeting.c.
 */
#ifndef GSSOCKS_MASTER_PROXY_HEADER_H
#define GSSOCKS_MASTER_PROXY_HEADER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* True when a connection from peer must start with a PROXY v2 header. */
bool proxy_header_expected(const struct sockaddr *peer);

/* A new connection from a listed balancer (non-blocking); takes fd. */
void proxy_header_begin(int fd, const struct sockaddr *peer);

/* Once a second: end connections whose header is late. */
void proxy_header_sweep(uint64_t now_ms);

#endif
