/*
 * request.c - decide and answer a relay's request; see request.h.
 *
 * Trust zone: master.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "../ipc/ipc.h"
#include "../policy/policy.h"
#include "../proto/gssframe.h"
#include "audit.h"
#include "bind.h"
#include "counters.h"
#include "log.h"
#include "master.h"
#include "logtext.h"
#include "outbound.h"
#include "request.h"
#include "session.h"
#include "spawn.h"
#include "udp.h"
#include "util.h"

/* Invariant 8: any address that would reach the gateway host itself. */
static bool unspecified_among(const struct sockaddr_storage *addresses, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (policy_unspecified_destination(&addresses[i]))
			return true;
	return false;
}

void request_decide(const struct session *s, const struct socks5_request *request,
		    const struct sockaddr_storage *addresses, size_t count,
		    struct request_decision *decision)
{
	struct policy_decision pd;

	memset(decision, 0, sizeof(*decision));
	if (s->datagram_only && request->cmd != SOCKS5_CMD_UDP) {
		/* No sequence detection: a dropped or reordered frame of TCP
		 * data would go unnoticed (proto/level.h); datagrams only. */
		decision->allowed = false;
		decision->rep = SOCKS5_REP_NOT_ALLOWED;
		decision->reason = "no-sequence-flag";
		return;
	}
	if (request->cmd == SOCKS5_CMD_CONNECT && unspecified_among(addresses, count)) {
		/* Before the policy, which has no say: the literal or any
		 * address a name resolved to, the ones outbound.c would use. */
		decision->allowed = false;
		decision->rep = SOCKS5_REP_NOT_ALLOWED;
		decision->reason = "unspecified-destination";
		return;
	}
	if (request->cmd == SOCKS5_CMD_UDP) {
		/* The association itself: allowed where some rule allows udp;
		 * each datagram's destination is decided by master/udp.c. */
		pd = policy_decide_association(s->policy, SOCKS5_CMD_UDP);
		decision->file = pd.file;
		decision->line = pd.line;
		decision->rule = pd.reason;
		decision->allowed = pd.allow;
		decision->rep = pd.allow ? SOCKS5_REP_OK : SOCKS5_REP_NOT_ALLOWED;
		return;
	}
	pd = policy_decide(s->policy, request->cmd, &request->dst, addresses, count);
	decision->file = pd.file;
	decision->line = pd.line;
	decision->rule = pd.reason;
	decision->allowed = pd.allow;
	decision->rep = pd.allow ? SOCKS5_REP_OK : SOCKS5_REP_NOT_ALLOWED;
	if (request->cmd != SOCKS5_CMD_CONNECT && request->cmd != SOCKS5_CMD_BIND) {
		/* Unknown commands (the relay forwards only the three). */
		decision->allowed = false;
		decision->rep = SOCKS5_REP_CMD_UNSUPPORTED;
		decision->file = NULL;
		decision->line = 0;
		decision->rule = NULL;
		decision->reason = "unknown-command";
	}
}

/* Every address of the request, "a,b,c" ("-" when none). */
static const char *resolved_list(const struct session *s, char *out, size_t outlen)
{
	const struct sockaddr_storage *addresses;
	size_t count = outbound_addresses(s, &addresses);
	size_t used = 0;

	snprintf(out, outlen, "-");
	for (size_t i = 0; i < count && used + 1 < outlen; i++) {
		char one[SOCKS5_NAME_MAX + 16];
		int n;

		sockaddr_format((const struct sockaddr *)&addresses[i], one, sizeof(one));
		n = snprintf(out + used, outlen - used, "%s%s", i > 0 ? "," : "", one);
		if (n < 0 || (size_t)n >= outlen - used)
			break;
		used += (size_t)n;
	}
	return out;
}

void request_audit(const struct session *s, const char *result, uint8_t rep,
		   const char *resolved, const struct request_decision *decision,
		   const char *error)
{
	char principal[IPC_PRINCIPAL_MAX * 4];
	char dst[SOCKS5_NAME_MAX * 4 + 16];
	char why[IPC_TEXT_MAX * 4];
	char rule[AUDIT_VALUE_SIZE(64)];
	char policy[AUDIT_VALUE_SIZE(1100)];
	char where[1100];

	logtext(s->principal, false, principal, sizeof(principal));
	socks5_addr_format(&s->request.dst, dst, sizeof(dst));
	policy[0] = '\0';
	if (decision != NULL && decision->file != NULL) {
		snprintf(where, sizeof(where), "%s:%u", decision->file, decision->line);
		audit_value(where, policy, sizeof(policy));
	}
	audit_record(decision != NULL && !decision->allowed ? LOG_NOTICE : LOG_INFO,
		     "event=request session=%llu principal=%s level=%s cmd=%s dst=%s "
		     "resolved=%s connected=%s result=%s rep=%u%s%s%s%s%s%s%s%s%s",
		     (unsigned long long)s->id, principal,
		     gss_level_name((enum gss_level)s->level), socks5_cmd_name(s->request.cmd),
		     dst, s->resolved[0] != '\0' ? s->resolved : "-",
		     resolved != NULL && resolved[0] != '\0' ? resolved : "-", result,
		     (unsigned)rep,
		     policy[0] != '\0' ? " policy=" : "", policy,
		     decision != NULL && decision->rule != NULL ? " rule=" : "",
		     decision != NULL && decision->rule != NULL
			     ? audit_value(decision->rule, rule, sizeof(rule)) : "",
		     decision != NULL && decision->reason != NULL ? " reason=" : "",
		     decision != NULL && decision->reason != NULL ? decision->reason : "",
		     error != NULL ? " error=\"" : "",
		     error != NULL ? logtext(error, true, why, sizeof(why)) : "",
		     error != NULL ? "\"" : "");
}

void request_answer(struct session *s, uint8_t rep, int fd, const struct socks5_addr *bound)
{
	struct ipc_relay_request_result result;
	struct child *relay;

	memset(&result, 0, sizeof(result));
	result.session_id = s->id;
	result.rep = rep;
	/* The session's limits: the policy's, else gssocksd.conf's idle-timeout. */
	result.idle_timeout = master_cfg->idle_timeout;
	if (s->policy != NULL) {
		const struct policy_settings *st = policy_get_settings(s->policy);

		if (st->idle_timeout >= 0)
			result.idle_timeout = (uint32_t)st->idle_timeout;
		if (st->max_duration > 0)
			result.max_duration = (uint32_t)st->max_duration;
	}
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
	request_audit(s, "denied", decision->rep, NULL, decision, NULL);
	counters_inc(METRIC_REFUSALS, decision->reason != NULL ? decision->reason : "policy");
	outbound_cancel(s);
	session_set_phase(s, SESSION_REQUESTED, monotonic_ms() + REQUEST_END_GRACE_MS);
	request_answer(s, decision->rep, -1, NULL);
}

void request_handle(struct session *s)
{
	struct request_decision decision;

	if ((s->request.cmd == SOCKS5_CMD_CONNECT || s->request.cmd == SOCKS5_CMD_BIND) &&
	    !s->datagram_only) {
		/* decided once the destination's addresses are known (BIND:
		 * the addresses the peer may come from) */
		outbound_resolve(s);
		return;
	}
	request_decide(s, &s->request, NULL, 0, &decision);
	if (s->request.cmd == SOCKS5_CMD_UDP && decision.allowed) {
		s->decision_file = decision.file;
		s->decision_line = decision.line;
		udp_associate(s);
		return;
	}
	/* UDP ASSOCIATE refused by the policy, TCP on a datagram-only
	 * session, or an unknown command */
	request_deny(s, &decision);
}

void request_resolved(struct session *s)
{
	struct request_decision decision;
	const struct sockaddr_storage *addresses;
	size_t count = outbound_addresses(s, &addresses);

	resolved_list(s, s->resolved, sizeof(s->resolved));
	request_decide(s, &s->request, addresses, count, &decision);
	if (!decision.allowed) {
		request_deny(s, &decision);
		return;
	}
	/* every resolved address passed the policy: outbound tries only them */
	s->decision_file = decision.file;
	s->decision_line = decision.line;
	if (s->request.cmd == SOCKS5_CMD_BIND) {
		bind_listen(s);
		return;
	}
	outbound_connect(s);
}

void request_granted(struct session *s, int fd, const char *where,
		     const struct socks5_addr *bound)
{
	struct request_decision allowed = { .allowed = true, .rep = SOCKS5_REP_OK,
					    .file = s->decision_file,
					    .line = s->decision_line };

	request_audit(s, "allowed", SOCKS5_REP_OK, where, &allowed, NULL);
	session_set_phase(s, SESSION_RELAYING, 0);
	request_answer(s, SOCKS5_REP_OK, fd, bound);
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
	request_granted(s, fd, resolved, &bound);
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
	{
		struct request_decision failed = { .allowed = true, .rep = rep,
						   .file = s->decision_file,
						   .line = s->decision_line };
		request_audit(s, "failed", rep, resolved, s->decision_file != NULL ? &failed : NULL,
			      error);
	}
	outbound_cancel(s);
	session_set_phase(s, SESSION_REQUESTED, monotonic_ms() + REQUEST_END_GRACE_MS);
	request_answer(s, rep, -1, NULL);
}
