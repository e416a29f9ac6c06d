/*
 * outbound.h - the master's outbound TCP connects for CONNECT requests.
 *
 * Trust zone: master.  Relays cannot create sockets (invariant 3): the
 * master connects, after the decision, and hands the connected socket over.
 *
 * Design: two steps with the decision between them.  outbound_resolve()
 * finds the destination's addresses (given, or from dns.c) and hands them
 * to request_resolved(), which decides (a policy may look at the addresses)
 * and, if allowed, calls outbound_connect(): the addresses are tried in
 * order with non-blocking connect(2); EPOLLOUT then SO_ERROR tells the
 * outcome of each.  One deadline (connect-timeout) covers the resolution
 * and every attempt.  The outcome goes to request.c, which answers the
 * relay.  REP codes: ECONNREFUSED 05, ENETUNREACH 03, EHOSTUNREACH,
 * ETIMEDOUT, resolution failure and the deadline 04, others 01.
 */
#ifndef GSSOCKS_MASTER_OUTBOUND_H
#define GSSOCKS_MASTER_OUTBOUND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct session;

/* Find the addresses of s->request.dst; calls request_resolved() or
 * request_failed(), possibly before returning. */
void outbound_resolve(struct session *s);
/* The addresses outbound_resolve() found (valid until outbound_cancel). */
size_t outbound_addresses(const struct session *s, const struct sockaddr_storage **addrs);
/* Connect to the resolved addresses in order. */
void outbound_connect(struct session *s);
/* The session's deadline passed (called by the sweep). */
void outbound_timeout(struct session *s);
/* Forget any attempt in progress (session dropped or answered). */
void outbound_cancel(struct session *s);
/* SOCKS REP code for a connect(2) errno. */
uint8_t outbound_rep_for_errno(int err);

#endif
