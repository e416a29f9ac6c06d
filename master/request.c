/*
 * request.c - decide and answer a relay's request; see request.h.
 *
 * Trust zone: master.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../ipc/ipc.h"
#include "../proto/gssframe.h"
#include "log.h"
#include "logtext.h"
#include "outbound.h"
#include "request.h"
#include "session.h"
#include "spawn.h"
#include "util.h"

/* After a refusal the relay reports the end; do not wait for it forever. */
#define REQUEST_END_GRACE_MS 30000u

void request_decide(const struct session *s, const struct socks5_request *request,
		    const struct sockaddr_storage *addresses, size_t count,
		    struct request_decision *decision)
{
	(void)s;
	(void)addresses;
	(void)count;
	memset(decision, 0, sizeof(*decision));
	switch (request->cmd) {
	case SOCKS5_CMD_CONNECT:
		decision->allowed = true;
		decision->rep = SOCKS5_REP_OK;
		decision->rule = "default-allow-connect";
		break;
	case SOCKS5_CMD_BIND:
	case SOCKS5_CMD_UDP:
		decision->allowed = false;
		decision->rep = SOCKS5_REP_CMD_UNSUPPORTED;
		decision->rule = "command-not-implemented";
		break;
	default:
		decision->allowed = false;
		decision->rep = SOCKS5_REP_CMD_UNSUPPORTED;
		decision->rule = "unknown-command";
		break;
	}
}

static void request_log(const struct session *s, const char *result, uint8_t rep,
			const char *resolved, const char *rule, const char *error)
{
	char principal[IPC_PRINCIPAL_MAX * 4];
	char dst[SOCKS5_NAME_MAX * 4 + 16];
	char why[IPC_TEXT_MAX * 4];

	logtext(s->principal, false, principal, sizeof(principal));
	socks5_addr_format(&s->request.dst, dst, sizeof(dst));
	log_info("event=request session=%llu principal=%s level=%s cmd=%s dst=%s "
		 "resolved=%s result=%s rep=%u%s%s%s%s%s",
		 (unsigned long long)s->id, principal,
		 gss_level_name((enum gss_level)s->level), socks5_cmd_name(s->request.cmd),
		 dst, resolved != NULL && resolved[0] != '\0' ? resolved : "-", result,
		 (unsigned)rep, rule != NULL ? " rule=" : "", rule != NULL ? rule : "",
		 error != NULL ? " error=\"" : "",
		 error != NULL ? logtext(error, true, why, sizeof(why)) : "",
		 error != NULL ? "\"" : "");
}

/* Send the answer to the session's relay; fd (if any) is consumed. */
static void request_answer(struct session *s, uint8_t rep, int fd,
			   const struct socks5_addr *bound)
{
	struct ipc_relay_request_result result;
	struct child *relay;

	memset(&result, 0, sizeof(result));
	result.session_id = s->id;
	result.rep = rep;
	if (bound != NULL) {
		result.bound = *bound;
	} else {
		result.bound.atyp = SOCKS5_ATYP_IPV4;
		result.bound.port = 0;
	}
	relay = s->relay_slot >= 0 ? child_relay((unsigned)s->relay_slot) : NULL;
	if (relay != NULL && child_usable(relay) &&
	    ipc_send_request_result(relay->channel, &result, rep == SOCKS5_REP_OK ? fd : -1) < 0)
		child_kill(relay, "cannot send request result");
	close_fd(&fd);
}

static void request_deny(struct session *s, const struct request_decision *decision)
{
	const struct sockaddr_storage *addresses;
	char first[SOCKS5_NAME_MAX + 16] = "";

	if (outbound_addresses(s, &addresses) > 0)
		sockaddr_format((const struct sockaddr *)&addresses[0], first, sizeof(first));
	outbound_cancel(s);
	request_log(s, "denied", decision->rep, first, decision->rule, NULL);
	session_set_phase(s, SESSION_REQUESTED, monotonic_ms() + REQUEST_END_GRACE_MS);
	request_answer(s, decision->rep, -1, NULL);
}

void request_handle(struct session *s)
{
	struct request_decision decision;

	if (s->request.cmd == SOCKS5_CMD_CONNECT) {
		/* decided once the destination's addresses are known */
		outbound_resolve(s);
		return;
	}
	request_decide(s, &s->request, NULL, 0, &decision);
	if (!decision.allowed) {
		request_deny(s, &decision);
		return;
	}
	/* a policy that allows BIND or UDP needs their data paths first */
	decision.rep = SOCKS5_REP_CMD_UNSUPPORTED;
	decision.rule = "command-not-implemented";
	request_deny(s, &decision);
}

void request_resolved(struct session *s)
{
	struct request_decision decision;
	const struct sockaddr_storage *addresses;
	size_t count = outbound_addresses(s, &addresses);

	request_decide(s, &s->request, addresses, count, &decision);
	if (!decision.allowed) {
		request_deny(s, &decision);
		return;
	}
	log_debug("session=%llu decision=allowed rule=%s", (unsigned long long)s->id,
		  decision.rule);
	outbound_connect(s);
}

void request_connected(struct session *s, int fd, const char *resolved)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct socks5_addr bound;
	char where[SOCKS5_NAME_MAX + 16];

	/* resolved may live in the outbound state that is freed here */
	snprintf(where, sizeof(where), "%s", resolved != NULL ? resolved : "");
	resolved = where;
	outbound_cancel(s);
	memset(&bound, 0, sizeof(bound));
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0 ||
	    socks5_addr_from_sockaddr(&bound, (const struct sockaddr *)&ss) < 0) {
		int err = errno;
		close_fd(&fd);
		request_failed(s, SOCKS5_REP_GENERAL_FAILURE, resolved, strerror(err));
		return;
	}
	request_log(s, "allowed", SOCKS5_REP_OK, resolved, NULL, NULL);
	session_set_phase(s, SESSION_RELAYING, 0);
	request_answer(s, SOCKS5_REP_OK, fd, &bound);
}

void request_failed(struct session *s, uint8_t rep, const char *resolved, const char *error)
{
	char where[SOCKS5_NAME_MAX + 16];
	char why[IPC_TEXT_MAX];

	/* both may live in the outbound state that is freed here */
	snprintf(where, sizeof(where), "%s", resolved != NULL ? resolved : "");
	snprintf(why, sizeof(why), "%s", error != NULL ? error : "");
	resolved = where;
	error = error != NULL ? why : NULL;
	outbound_cancel(s);
	request_log(s, "failed", rep, resolved, NULL, error);
	session_set_phase(s, SESSION_REQUESTED, monotonic_ms() + REQUEST_END_GRACE_MS);
	request_answer(s, rep, -1, NULL);
}
