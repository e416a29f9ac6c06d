/*
 * bind.h - the relay's part of RFC 1928 BIND: two replies, then the data
 * path of CONNECT.
 *
 * Trust zone: relay worker.  The relay creates no socket for BIND either:
 * the master listens, accepts the peer the policy allows and hands over
 * the accepted socket (master/bind.c).
 *
 * Design: RELAY_BIND_LISTENING (the master's first answer) queues the
 * first reply, wrapped as every reply is (RFC 1961 section 5), and the
 * session waits in WAIT_PEER.  Meanwhile the client is read only so that
 * its end is noticed (the session then ends, and the master closes the
 * listener on SESSION_END); anything it sends early stays buffered for
 * the target, as after a CONNECT request.  Once that buffer is full the
 * client is watched for its end only (EPOLLRDHUP), and a close or
 * half-close then ends the session too.  The master's second answer,
 * RELAY_REQUEST_RESULT, is CONNECT's: REP 00 with the peer's socket and
 * address (the second reply), or a failure REP (06 at bind-timeout) that
 * ends the session after its reply.  If it comes before the first reply
 * is out, it waits until it is, so the replies keep their order.
 */
#ifndef GSSOCKS_RELAY_BIND_H
#define GSSOCKS_RELAY_BIND_H

#include <stdint.h>

#include "../ipc/ipc.h"

struct relay_session;

/* RELAY_BIND_LISTENING for a session in WAIT_MASTER (the caller checks). */
void bind_on_listening(struct relay_session *s, const struct ipc_relay_bind_listening *m);
/* RELAY_REQUEST_RESULT for a session in WAIT_PEER; takes fd. */
void bind_on_result(struct relay_session *s, const struct ipc_relay_request_result *r, int fd);
/* An event on the client socket in WAIT_PEER. */
void bind_on_event(struct relay_session *s, uint32_t events);
/* The client events WAIT_PEER waits for. */
uint32_t bind_interest(const struct relay_session *s);

#endif
