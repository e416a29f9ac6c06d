/*
 * session.h - one local SOCKS5 connection served end to end by
 * gssocks-client: plain RFC 1928 towards the local program, RFC 1961
 * towards the gateway.
 *
 * Trust zone: client.  The local program is only trusted as far as the
 * loopback listener implies; its greeting and request are parsed through
 * proto/socks5.h.
 */
#ifndef GSSOCKS_CLIENT_SESSION_H
#define GSSOCKS_CLIENT_SESSION_H

#include "buf.h"
#include "gateway.h"

/* The local program's connection and what it sent that is not used yet. */
#define LOCAL_INPUT_CAP 4096
struct local_peer {
	int fd;
	struct iobuf in;
	uint8_t storage[LOCAL_INPUT_CAP];
};

/* Send the local program a plain RFC 1928 reply (bnd NULL: 0.0.0.0:0).
 * 0, or -1 (printed). */
int local_send_reply(struct local_peer *lp, uint8_t rep, const struct socks5_addr *bnd);

/*
 * Open the gateway session, send req, pass the gateway's (first) reply on
 * to the local program.  0 when the gateway granted it (REP 00) and the
 * local program has the reply; -1 otherwise, everything closed and the
 * local program answered (printed).
 */
int local_open_request(struct local_peer *lp, const struct gateway_config *cfg,
		       const struct socks5_request *req, struct gateway_session *gs);

/*
 * The data phase once the local program has its (last) reply: forward_run
 * with what it sent early, resets on a cut, gateway_close.  Returns the
 * exit status (0: both directions ended cleanly).
 */
int local_relay(struct local_peer *lp, struct gateway_session *gs);

/*
 * Serve the accepted local connection local_fd (closed on return).
 * Returns the process exit status: 0 when the session worked end to end
 * (greeting, gateway authentication, request granted, relay ended
 * cleanly), 1 otherwise (the reason was printed on stderr).
 */
int session_run(int local_fd, const struct gateway_config *cfg);

/*
 * Everything before the relay must finish within NEGOTIATION_TIMEOUT
 * seconds, or the process exits 1 with one line on stderr (SIGALRM).
 * alarm(0) disarms it.  Also used by gssocks-connect.
 */
void arm_negotiation_timeout(void);

#endif
