/*
 * udp.h - the master's half of UDP ASSOCIATE: the association's relay
 * socket, one connected socket per allowed destination, the end record's
 * counters.
 *
 * Trust zone: master.  The relay asks, the master decides with the
 * principal authproc reported (invariant 4) and creates every socket after
 * the decision (invariant 3); the relay creates none.
 *
 * Design (also gssocksd(8), UDP ASSOCIATE):
 *  - The association (request.c decided it: some rule allows `udp`):
 *    udp_associate() creates a UDP socket bound to the address the control
 *    connection arrived on, port 0 (the kernel picks it), and grants it as
 *    the request's socket: BND.ADDR/BND.PORT of the reply are its address.
 *    bind(2) in the master's seccomp filter is BIND's rule
 *    (master/sandbox.c: an AF_INET/AF_INET6 address length only, after
 *    the policy allowed it); a UDP socket needs nothing more.
 *  - Each destination a client datagram names (RELAY_UDP_DEST): refused
 *    when it is unspecified (0.0.0.0/8, ::, invariant 8), when the policy
 *    denies `udp` to it (policy_decide, names resolved by dns.c and every
 *    address checked), or when the association already asked for
 *    IPC_UDP_DESTINATIONS_MAX destinations; else the master creates a UDP
 *    socket connect(2)ed to it (the first resolved address) and hands it
 *    over (RELAY_UDP_DEST_RESULT).  A connected UDP socket sends only to
 *    its peer and the kernel drops datagrams from anyone else, so the
 *    relay can reach nothing the policy did not allow for this session.
 *    One `event=udp-destination` record per destination, never one per
 *    datagram.
 *  - RELAY_UDP_STATS (just before SESSION_END) carries datagrams each way
 *    and the drop counters by reason; the session's one `event=end` record
 *    appends them (udp_end_fields), and the drops are added to
 *    gssocks_udp_datagrams_dropped_total{reason} when the session is freed.
 *    A refused destination counts as gssocks_refusals_total
 *    {reason="udp-destination-policy|udp-destination-unspecified"}.
 */
#ifndef GSSOCKS_MASTER_UDP_H
#define GSSOCKS_MASTER_UDP_H

#include <stddef.h>
#include <stdint.h>

#include "../ipc/ipc.h"

struct session;
struct child;

/* The association is allowed: bind its socket and answer the relay. */
void udp_associate(struct session *s);

/*
 * RELAY_UDP_DEST / RELAY_UDP_STATS from relay c.  Return NULL, or the
 * reason the message is a violation (the caller kills the relay) with
 * *session_id set for the record.
 */
const char *udp_on_dest(struct child *c, const struct ipc_msg *msg, uint64_t *session_id);
const char *udp_on_stats(struct child *c, const struct ipc_msg *msg, uint64_t *session_id);

/* The session is freed: count its drops, forget its association
 * (pending lookups too). */
void udp_forget(struct session *s);

/* " datagrams_from_client=N ... dropped_source=N ..." or "" (not UDP). */
#define UDP_END_FIELDS_MAX 512
const char *udp_end_fields(const struct session *s, char *out, size_t outlen);

#endif
