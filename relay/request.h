/*
 * request.h - the client's RFC 1928 request and the relay's reply
 * (pure: no I/O, no GSS-API; table-tested by test_relay_rules.c).
 *
 * Trust zone: relay worker.  The request bytes are untrusted client input
 * (after gss_unwrap, or plain at level "clear").  Decoding goes through
 * proto/socks5.h and proto/buf.h only.
 */
#ifndef GSSOCKS_RELAY_REQUEST_H
#define GSSOCKS_RELAY_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/buf.h"
#include "../proto/socks5.h"

/*
 * Decode one request from the start of p[0..len).
 * Returns 1 with *req and *used set, 0 when more bytes are needed, -1 when
 * the bytes cannot be a request we carry: *rep is then the REP of the
 * refusal reply (07 for an unknown CMD, 08 for an unknown ATYP, 01 for
 * anything else) and *why a static reason for the log.
 */
int request_decode(const uint8_t *p, size_t len, struct socks5_request *req,
		   size_t *used, uint8_t *rep, const char **why);

/*
 * Write the RFC 1928 reply 05 REP 00 ATYP BND.ADDR BND.PORT.  A missing or
 * unencodable bound address becomes 0.0.0.0:0 (refusals carry no address).
 * Returns 0, or -1 when wb has no room.
 */
int request_reply_put(struct wbuf *wb, uint8_t rep, const struct socks5_addr *bound);

#endif
