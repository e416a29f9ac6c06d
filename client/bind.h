/*
 * bind.h - RFC 1928 BIND carried from a local plain SOCKS5 program through
 * the protected gateway session.
 *
 * Trust zone: client, in the per-connection child.  The local program is
 * trusted as far as the loopback listener implies; the gateway's replies
 * are unwrapped and parsed through proto/ (gateway.c).
 *
 * Design: the request goes to the gateway as CONNECT's does (wrapped per
 * level); the gateway's first reply (where it listens) goes to the local
 * program at once, in plain RFC 1928; then the wait for the second reply
 * (the peer that connected, or the gateway's failure REP at its
 * bind-timeout) has no negotiation alarm: the gateway's bind-timeout
 * bounds it, and a local program that gives up ends it (its end of the
 * connection is watched).  After a REP 00 second reply, the data phase
 * is CONNECT's (local_relay).
 */
#ifndef GSSOCKS_CLIENT_BIND_H
#define GSSOCKS_CLIENT_BIND_H

#include "gateway.h"
#include "session.h"

/* Serve a local BIND request; returns the exit status (as session_run). */
int bind_serve(struct local_peer *lp, const struct gateway_config *cfg,
	       const struct socks5_request *req);

#endif
