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

#include "gateway.h"

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
