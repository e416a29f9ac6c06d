/*
 * udp.h - the relay's UDP ASSOCIATE data path (RFC 1928 section 7,
 * RFC 1961 section 5).
 *
 * Trust zone: relay worker.  Datagrams on the association's socket come
 * from anyone on the network; the relay holds no socket that can reach a
 * destination the master has not allowed for this session (each comes
 * from the master, connected, after the policy check: invariant 3).
 *
 * Design (also gssocksd(8), UDP ASSOCIATE):
 *  - The master's answer to the request brings the association's socket
 *    (bound by the master to the address the client connected to; its
 *    address is the reply's BND).  The TCP control connection carries
 *    nothing more; its end (or an error) ends the association, as do the
 *    idle timeout and the policy's max-duration (session.c's sweep).
 *  - A client datagram is taken only from the control connection's peer
 *    address (and the port the request named, when it named one); then
 *    it must be one frame `01 03 len token` filling the datagram (level
 *    clear: the bare SOCKS UDP header and data) that gss_unwrap accepts
 *    at the session's level; then a SOCKS UDP header with FRAG 0.  Every
 *    other datagram is dropped and counted by reason; the counters go to
 *    the master once, at the end (RELAY_UDP_STATS), never one record per
 *    datagram.
 *  - Order and replay (the context has GSS_C_SEQUENCE_FLAG and
 *    GSS_C_REPLAY_FLAG: levels 1-3 require them): UDP reorders and loses
 *    datagrams, so GSS_S_UNSEQ_TOKEN and GSS_S_GAP_TOKEN are accepted; a
 *    GSS_S_DUPLICATE_TOKEN is a datagram already forwarded and is dropped
 *    (never forwarded twice), and so is GSS_S_OLD_TOKEN, which is older
 *    than the replay window and could be a duplicate nobody can tell.
 *  - Replies go to the address of the last client datagram that passed
 *    every check (a forged source cannot redirect them: it fails the
 *    unwrap first).
 *  - Destinations: the first datagram to a new one asks the master
 *    (RELAY_UDP_DEST); up to UDP_QUEUE_MAX datagrams wait for the answer
 *    (more are dropped, reason limit); an allowed destination gets a
 *    connected socket, a refused one is remembered and its datagrams are
 *    dropped (reason forbidden) without asking again.  At most
 *    IPC_UDP_DESTINATIONS_MAX per association (more: reason limit).
 *  - Sizes: a datagram holds one frame, so a token is at most
 *    65507 - 4 octets (the largest IPv4 UDP payload, minus the frame
 *    header), and the plaintext (SOCKS UDP header + data) at most
 *    gss_wrap_size_limit() of that; a reply from a destination that does
 *    not fit is dropped (reason size).
 */
#ifndef GSSOCKS_RELAY_UDP_H
#define GSSOCKS_RELAY_UDP_H

#include <stdint.h>

#include "../ipc/ipc.h"
#include "loop.h"

struct relay_session;
struct relay_udp;

/* The largest UDP payload over IPv4: 65535 - 20 (IP) - 8 (UDP). */
#define UDP_DATAGRAM_MAX 65507u

/*
 * The master granted s's UDP ASSOCIATE with sock (taken in every case):
 * send the reply and start relaying datagrams.
 */
void udp_start(struct relay_session *s, const struct ipc_relay_request_result *r, int sock);

/* Epoll events on the session's control connection, association socket
 * or a destination socket. */
void udp_on_event(struct relay_session *s, struct watch *w, uint32_t events);

/* Register what the association waits for. */
void udp_update_interest(struct relay_session *s);

/* RELAY_UDP_DEST_RESULT from the master (fd: -1 unless rep == 0, taken). */
void udp_on_dest_result(struct relay_loop *loop, const struct ipc_relay_udp_dest_result *r,
			int fd);

/* The session ends: counters to *stats and s's byte counts, close and
 * free every socket and queued datagram. */
void udp_finish(struct relay_session *s, struct ipc_relay_udp_stats *stats);

#endif
