/*
 * udp.h - RFC 1928 UDP ASSOCIATE carried from a local plain SOCKS5 program
 * through the protected gateway session (RFC 1961 section 5).
 *
 * Trust zone: client, in the per-connection child.  The local program is
 * trusted as far as the loopback listener implies, but datagrams on the
 * local UDP socket are taken only from its address; the gateway's
 * datagrams are unwrapped (its relay address only: the socket is
 * connected to it) and parsed through proto/.
 *
 * Design: the local program's UDP ASSOCIATE opens a gateway session and
 * asks the gateway for an association from a UDP socket of our own
 * (bound to the address of our TCP connection to the gateway, port 0, its
 * address sent as DST so the gateway admits that port only), connected to
 * the relay address the gateway answers.  The local program gets, as
 * BND, a UDP socket bound to the address of its own connection to us.
 * Then, until either TCP connection closes:
 *  - local datagram (SOCKS UDP header + data, plain): taken only from the
 *    local program's address (and the port its request named, unless 0),
 *    FRAG 0, at most gss_wrap_size_limit(65503) octets; wrapped whole as
 *    one frame `01 03 len token` in one datagram (clear: sent as is);
 *  - gateway datagram: one whole frame, gss_unwrap accepting reordering
 *    and loss (GSS_S_UNSEQ_TOKEN, GSS_S_GAP_TOKEN) and dropping
 *    duplicates and tokens older than the replay window; the plaintext
 *    (whose header names the sender) goes to the local program's address.
 *  Every other datagram is dropped and counted; the counts are printed
 *  once at the end (-v).
 */
#ifndef GSSOCKS_CLIENT_UDP_H
#define GSSOCKS_CLIENT_UDP_H

#include "gateway.h"
#include "session.h"

/* Serve a local UDP ASSOCIATE; returns the exit status (as session_run). */
int udp_serve(struct local_peer *lp, const struct gateway_config *cfg,
	      const struct socks5_request *req);

#endif
