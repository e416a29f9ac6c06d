/*
 * bind.h - the master's side of RFC 1928 BIND: the listening socket, the
 * wait for the one peer the request allows, the hand-over to the relay.
 *
 * Trust zone: master.  The listening socket and the accepted peer are
 * made here, after request_decide() allowed the BIND; the relay gets the
 * accepted socket only (invariant 3: it still creates no socket).
 *
 * Design (bind.c has the reasons):
 *   bind_listen()  after the decision: a TCP socket bound to the gateway
 *                  address the client's control connection came in on,
 *                  port 0 (the kernel picks one), listen(fd, 1) (DST
 *                  must name a peer of that family, else REP 08); RELAY_BIND_LISTENING tells
 *                  the relay the first reply's address.  Deadline:
 *                  bind-timeout.
 *   (epoll)        each incoming connection is accepted and checked: its
 *                  address must be one the request named (DST.ADDR, or
 *                  any when DST.ADDR is unspecified; DST.PORT, or any
 *                  when 0) and the principal's `bind` rules must allow
 *                  it.  A peer that fails is reset and recorded, and the
 *                  listener keeps waiting; the first one that passes
 *                  ends the listening (closed) and goes to the relay
 *                  with its address for the second reply (REP 00).
 *   bind_timeout() no allowed peer in time: REP 06 (TTL expired) as the
 *                  second reply, recorded.
 *   bind_cancel()  the session went away: close whatever is open.
 */
#ifndef GSSOCKS_MASTER_BIND_H
#define GSSOCKS_MASTER_BIND_H

struct session;

/* The BIND of s was allowed and its DST resolved (outbound_addresses()):
 * listen, or answer a failure.  Consumes the outbound state. */
void bind_listen(struct session *s);
/* s's deadline passed while its BIND waited for the peer. */
void bind_timeout(struct session *s);
/* Forget the listening state of s (none: nothing happens). */
void bind_cancel(struct session *s);

/* Backlog of a BIND listener; the master's seccomp filter allows
 * listen(2) with exactly this backlog (master/sandbox.c). */
#define BIND_BACKLOG 1

#endif
