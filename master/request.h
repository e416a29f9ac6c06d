/*
 * request.h - the master's decision on a relay's RFC 1928 request and the
 * answer (IPC_RELAY_REQUEST_RESULT) that goes back to the relay.
 *
 * Trust zone: master.  Decisions use the principal and level that authproc
 * reported for the session id (invariant 4); the relay only supplies the
 * request itself, which it unwrapped from the client.
 *
 * Design: request_decide() is the one place where policy lives: it asks
 * policy_decide() with the principal's policy (the one the session took at
 * its level decision), the destination as asked and every resolved
 * address; a denial is REP 02.  Before any policy, a CONNECT whose literal
 * address or any resolved address is unspecified (0.0.0.0/8, ::, mapped:
 * policy_unspecified_destination) is denied with REP 02 and
 * reason=unspecified-destination (invariant 8: Linux would connect it to
 * the gateway host).  A UDP ASSOCIATE is allowed where some rule allows
 * `udp` (policy_decide_association; master/udp.c then decides each
 * destination).  A CONNECT is decided
 * after its destination is resolved, and outbound.c then connects only to
 * the addresses that were decided on; a BIND likewise (DST names the peer
 * expected to connect back), and bind.c then listens.  Every request gets
 * exactly one `event=request` audit record naming the policy file and line
 * that decided, or the reason when no policy line did.
 */
#ifndef GSSOCKS_MASTER_REQUEST_H
#define GSSOCKS_MASTER_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../proto/socks5.h"

struct session;

struct request_decision {
	bool allowed;
	uint8_t rep;            /* REP for the client when not allowed */
	const char *rule;       /* what decided, for the audit record */
	const char *file;       /* policy file that decided (lives with the set) */
	unsigned line;          /* its line; 0 when no rule matched */
	const char *reason;     /* a refusal the policy did not make (static text) */
};

/*
 * Decide s's request.  addresses are the resolved destination addresses
 * (count 0 for commands that are decided before any resolution).
 */
void request_decide(const struct session *s, const struct socks5_request *request,
		    const struct sockaddr_storage *addresses, size_t count,
		    struct request_decision *decision);

/* The relay's request for s passed the checks of ipc_dispatch.c: act on it. */
void request_handle(struct session *s);

/* outbound_resolve() found the destination's addresses: decide, connect. */
void request_resolved(struct session *s);

/*
 * The request is granted with fd (consumed) as the relay's socket and
 * bound as BND.ADDR/BND.PORT: one `result=allowed` record naming `where`
 * and the deciding rule (s->decision_file/line), then the answer.
 */
void request_granted(struct session *s, int fd, const char *where,
		     const struct socks5_addr *bound);

/* Outbound outcome: connected (fd is consumed) or failed. */
void request_connected(struct session *s, int fd, const char *resolved);
void request_failed(struct session *s, uint8_t rep, const char *resolved, const char *error);

/* After a refusal the relay reports the end; do not wait for it forever. */
#define REQUEST_END_GRACE_MS 30000u

/*
 * Send IPC_RELAY_REQUEST_RESULT for s to its relay: rep, the fd (consumed;
 * passed only when rep is 00) and the reply's BND (NULL: 0.0.0.0:0).
 */
void request_answer(struct session *s, uint8_t rep, int fd, const struct socks5_addr *bound);

/*
 * The `event=request` record: result (allowed, denied, failed), the REP,
 * the address connected to (NULL: "-"), the deciding policy line and any
 * error text.
 */
void request_audit(const struct session *s, const char *result, uint8_t rep,
		   const char *resolved, const struct request_decision *decision,
		   const char *error);

#endif
