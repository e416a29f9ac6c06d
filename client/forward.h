/*
 * forward.h - the data phase (RFC 1961 section 5): relay between a local
 * peer and an authenticated gateway session.
 *
 * Trust zone: client.  Bytes from the gateway become plaintext for the
 * local peer only after gss_unwrap succeeded with the conf_state the level
 * demands; a bad frame ends the session and none of its bytes are written.
 */
#ifndef GSSOCKS_CLIENT_FORWARD_H
#define GSSOCKS_CLIENT_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include "gateway.h"

struct forward_stats {
	uint64_t to_gateway;      /* plaintext octets read from the local peer */
	uint64_t from_gateway;    /* plaintext octets written to the local peer */
};

/*
 * Relay until both directions have ended.  local_in / local_out are the
 * same socket for gssocks-client, stdin / stdout for a stdio front end.
 * pending[0..pending_len) is plaintext the local peer sent before the relay
 * started (after its request); it goes to the gateway first.  The fds are
 * switched to non-blocking mode.  A local EOF is passed on with
 * shutdown(gateway, SHUT_WR); the gateway's EOF with shutdown(local_out,
 * SHUT_WR) (close(local_out) when it is not a socket and differs from
 * local_in).  Returns 0 when both directions ended cleanly, -1 on any
 * failure (printed on stderr).  *stats is filled either way.
 */
int forward_run(struct gateway_session *s, int local_in, int local_out,
		const void *pending, size_t pending_len, struct forward_stats *stats);

#endif
