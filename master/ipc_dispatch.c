/*
 * ipc_dispatch.c - handlers for what children tell the master; see
 * ipc_dispatch.h.
 *
 * Trust zone: master.  Every payload is decoded by ipc/ (bounds-checked,
 * every byte consumed) before it is looked at here.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <syslog.h>

#include "../ipc/ipc.h"
#include "../proto/level.h"
#include "../policy/policy.h"
#include "../proto/gssframe.h"
#include "audit.h"
#include "channels.h"
#include "childlog.h"
#include "counters.h"
#include "ipc_dispatch.h"
#include "log.h"
#include "logtext.h"
#include "master.h"
#include "policy_current.h"
#include "request.h"
#include "session.h"
#include "udp.h"
#include "spawn.h"
#include "util.h"
#include "watchdog.h"

/* Messages handled per wake-up of one channel, so no child starves others;
 * a drain stops too, so a flooding child cannot hold the loop. */
#define DISPATCH_BATCH 64
#define DISPATCH_DRAIN_MAX 4096

/* Received messages are large (the context cap); one buffer per direction,
 * and one for the last words of a child being killed (read while the
 * others may still hold a message being handled). */
static struct ipc_msg authproc_msg;
static struct ipc_msg relay_msg;
static struct ipc_msg last_words_msg;

/* Set while dispatch_last_words() runs: a violation then ends the reading
 * (the child is being killed already) instead of killing it again. */
static bool in_last_words;
static bool last_words_stop;

static void violation(struct child *c, uint64_t session_id, const char *why)
{
	log_warn("event=violation name=%s slot=%u pid=%d session=%llu reason=\"%s\"",
		 child_name(c), c->slot, (int)c->pid, (unsigned long long)session_id, why);
	if (in_last_words) {
		last_words_stop = true;
		return;
	}
	/* Nothing more it queued counts: no draining. */
	child_kill_violation(c, why);
}

static bool level_allowed(uint8_t level)
{
	if (level == GSS_LEVEL_CLEAR)
		return master_cfg->allow_clear;
	if (level > GSS_LEVEL_SELECTIVE)
		return false;
	return (master_cfg->levels & (1u << level)) != 0;
}

/*
 * The levels this session may use: the principal's policy narrowed by the
 * daemon-wide ceiling of gssocksd.conf (clear and nec only where both say
 * so).  Without a policy file, the ceiling alone (its requests are all
 * denied anyway).
 */
static void session_levels(const struct session *s, struct level_policy *lp, bool *nec)
{
	unsigned ceiling = master_cfg->levels & ~LEVEL_BIT(GSS_LEVEL_CLEAR);

	if (master_cfg->allow_clear)
		ceiling |= LEVEL_BIT(GSS_LEVEL_CLEAR);
	lp->allowed = ceiling;
	lp->preferred = (enum gss_level)master_cfg->preferred_level;
	*nec = master_cfg->allow_nec;
	if (s->policy != NULL) {
		const struct policy_settings *st = policy_get_settings(s->policy);

		lp->allowed &= st->levels;
		if (st->levels_written)
			lp->preferred = st->preferred;
		*nec = *nec && st->nec;
	}
	/* A preferred level the ceiling took away: the daemon's preferred,
	 * else the strongest level left (as gssocks-policy(5) orders them). */
	if (!(lp->allowed & LEVEL_BIT(lp->preferred))) {
		static const enum gss_level strongest[] = {
			GSS_LEVEL_CONFIDENTIALITY, GSS_LEVEL_SELECTIVE, GSS_LEVEL_INTEGRITY,
			GSS_LEVEL_CLEAR,
		};

		lp->preferred = (enum gss_level)master_cfg->preferred_level;
		for (size_t i = 0; i < sizeof(strongest) / sizeof(strongest[0]) &&
				   !(lp->allowed & LEVEL_BIT(lp->preferred)); i++)
			lp->preferred = strongest[i];
	}
}

static void level_answer(struct child *c, struct session *s, uint8_t level, const char *reason)
{
	struct ipc_auth_level_answer answer;

	memset(&answer, 0, sizeof(answer));
	answer.session_id = s->id;
	answer.level = level;
	snprintf(answer.reason, sizeof(answer.reason), "%s", reason);
	s->level_answered = level;
	if (ipc_send_auth_level_answer(c->channel, &answer) < 0)
		child_kill(c, "cannot send level answer");
}

static void on_level_query(struct child *c, const struct ipc_msg *msg)
{
	struct ipc_auth_level_query q;
	struct session *s;
	struct level_policy lp;
	enum gss_level answer;
	enum level_refusal refusal;
	bool nec_allowed;
	long max_sessions = -1;
	char principal[AUDIT_VALUE_SIZE(IPC_PRINCIPAL_MAX)];
	char file[AUDIT_VALUE_SIZE(1024)];

	if (ipc_decode_auth_level_query(msg, &q) < 0) {
		violation(c, 0, "malformed AUTH_LEVEL_QUERY");
		return;
	}
	s = session_find(q.session_id);
	if (s == NULL && q.session_id > session_last_id()) {
		violation(c, q.session_id, "level query for a session never handed out");
		return;
	}
	if (s == NULL) {
		struct ipc_auth_level_answer gone = { .session_id = q.session_id,
						      .level = IPC_LEVEL_ABORT };
		snprintf(gone.reason, sizeof(gone.reason), "session timed out");
		if (ipc_send_auth_level_answer(c->channel, &gone) < 0)
			child_kill(c, "cannot send level answer");
		return;
	}
	if (s->phase != SESSION_AUTHENTICATING || s->level_decided || s->policy_set != NULL ||
	    s->authproc_generation != c->generation) {
		violation(c, s->id, "level query for a session not awaiting one");
		return;
	}
	snprintf(s->principal, sizeof(s->principal), "%s", q.principal);
	s->policy_set = policy_set_ref(policy_current());
	s->policy = policy_for_principal(s->policy_set, s->principal);
	session_levels(s, &lp, &nec_allowed);
	if (s->policy != NULL)
		max_sessions = policy_get_settings(s->policy)->max_sessions;
	audit_value(s->principal, principal, sizeof(principal));
	audit_value(s->policy != NULL ? policy_file(s->policy) : "(no policy)", file, sizeof(file));

	if (max_sessions > 0 &&
	    session_count_principal(s->principal, s) >= (size_t)max_sessions) {
		audit_record(LOG_NOTICE, "event=auth session=%llu result=refused principal=%s "
			     "client=%s reason=session-limit max_sessions=%ld policy=%s",
			     (unsigned long long)s->id, principal, s->peer, max_sessions, file);
		counters_inc(METRIC_REFUSALS, "session-limit");
		level_answer(c, s, IPC_LEVEL_ABORT, "session limit of the principal reached");
		return;
	}
	if (q.nec && !nec_allowed) {
		/* by=allow-nec: gssocksd.conf's ceiling; by=policy: the file's levels */
		bool daemon = !master_cfg->allow_nec;

		audit_record(LOG_NOTICE, "event=level session=%llu result=refused principal=%s "
			     "requested=%u nec=yes reason=nec-not-allowed policy=%s by=%s",
			     (unsigned long long)s->id, principal, (unsigned)q.requested, file,
			     daemon ? "allow-nec" : "policy");
		counters_inc(METRIC_REFUSALS, "nec-not-allowed");
		level_answer(c, s, IPC_LEVEL_ABORT, daemon
			     ? "NEC form not allowed (gssocksd.conf allow-nec no)"
			     : "NEC form not allowed by policy");
		return;
	}
	if (level_choose(&lp, q.requested, q.flags, &answer, &refusal) < 0) {
		audit_record(LOG_NOTICE, "event=level session=%llu result=refused principal=%s "
			     "requested=%u nec=%s reason=%s policy=%s",
			     (unsigned long long)s->id, principal, (unsigned)q.requested,
			     q.nec ? "yes" : "no", level_refusal_reason(refusal), file);
		counters_inc(METRIC_REFUSALS, level_refusal_reason(refusal));
		level_answer(c, s, IPC_LEVEL_ABORT, level_refusal_text(refusal));
		return;
	}
	s->level_decided = true;
	s->datagram_only = level_datagram_only(answer, q.flags);
	audit_record(LOG_INFO, "event=level session=%llu result=ok principal=%s level=%s "
		     "requested=%u nec=%s policy=%s%s",
		     (unsigned long long)s->id, principal, gss_level_name(answer),
		     (unsigned)q.requested, q.nec ? "yes" : "no", file,
		     s->datagram_only ? " datagram_only=yes reason=no-sequence-flag" : "");
	level_answer(c, s, (uint8_t)answer, "");
}

static void on_auth_ok(struct child *c, const struct ipc_msg *msg)
{
	struct ipc_auth_ok ok;
	struct session *s;
	char principal[IPC_PRINCIPAL_MAX * 4];
	char mechanism[IPC_TEXT_MAX * 4];
	char service[IPC_PRINCIPAL_MAX * 4];

	if (ipc_decode_auth_ok(msg, &ok) < 0) {
		violation(c, 0, "malformed AUTH_OK");
		return;
	}
	s = session_find(ok.session_id);
	if (s == NULL && ok.session_id > session_last_id()) {
		violation(c, ok.session_id, "AUTH_OK for a session never handed out");
		return;
	}
	if (s == NULL) {
		/* dropped meanwhile (timeout): nothing to authenticate any more */
		log_warn("auth ok for unknown session=%llu ignored",
			 (unsigned long long)ok.session_id);
		return;
	}
	if (s->phase != SESSION_AUTHENTICATING || s->authproc_generation != c->generation) {
		violation(c, s->id, "AUTH_OK for a session not authenticating");
		return;
	}
	if (!level_allowed(ok.level) || ok.principal[0] == '\0' || !s->level_decided ||
	    ok.level != s->level_answered || strcmp(ok.principal, s->principal) != 0) {
		violation(c, s->id, "AUTH_OK with a level or principal the master refuses");
		session_drop(s, "auth-refused");
		return;
	}
	snprintf(s->principal, sizeof(s->principal), "%s", ok.principal);
	s->level = ok.level;
	session_set_phase(s, SESSION_AUTHENTICATED,
			  monotonic_ms() + 2000u * (uint64_t)master_cfg->request_timeout + 10000u);
	/* service= and authproc= last: parsers of the older record keep
	 * working */
	audit_record(LOG_INFO, "event=auth session=%llu result=ok principal=%s level=%s nec=%s "
		     "mechanism=%s client=%s slot=%d service=%s authproc=%u",
		     (unsigned long long)s->id,
		     logtext(s->principal, false, principal, sizeof(principal)),
		     gss_level_name((enum gss_level)s->level), ok.nec ? "yes" : "no",
		     logtext(ok.mechanism, false, mechanism, sizeof(mechanism)), s->peer,
		     s->relay_slot, logtext(ok.service, false, service, sizeof(service)),
		     c->slot);
}

static void on_auth_fail(struct child *c, const struct ipc_msg *msg)
{
	struct ipc_auth_fail fail;
	struct session *s;
	char reason[IPC_TEXT_MAX * 4];

	if (ipc_decode_auth_fail(msg, &fail) < 0) {
		violation(c, 0, "malformed AUTH_FAIL");
		return;
	}
	s = session_find(fail.session_id);
	if (s == NULL && fail.session_id > session_last_id()) {
		violation(c, fail.session_id, "AUTH_FAIL for a session never handed out");
		return;
	}
	if (s == NULL) {
		log_warn("auth fail for unknown session=%llu ignored",
			 (unsigned long long)fail.session_id);
		return;
	}
	if ((s->phase != SESSION_AUTHENTICATING && s->phase != SESSION_AUTHENTICATED) ||
	    s->authproc_generation != c->generation) {
		violation(c, s->id, "AUTH_FAIL for a session past authentication");
		return;
	}
	audit_record(LOG_NOTICE, "event=auth session=%llu result=fail client=%s reason=\"%s\" "
		     "authproc=%u", (unsigned long long)s->id, s->peer,
		     logtext(fail.reason, true, reason, sizeof(reason)), c->slot);
	session_drop(s, "auth-failed");
}

/*
 * A relay speaks about a session authproc may not have reported yet: read
 * what authproc already sent, then look again.
 */
static struct session *session_after_authproc(uint64_t session_id)
{
	struct session *s = session_find(session_id);

	if (s != NULL && s->phase == SESSION_AUTHENTICATING) {
		/* The authproc worker holding it, or the one a SIGHUP retired. */
		struct child *authproc = child_authproc_holding(s->authproc_generation);

		if (authproc != NULL)
			dispatch_drain(authproc);
		s = session_find(session_id);
	}
	return s;
}

/*
 * A request for a session the master issued and has dropped since (its
 * authproc died after handing it over, a timeout): the relay cannot know,
 * so it is answered REP 01 (general failure), not treated as hostile.
 */
static void answer_dropped_session(struct child *c, uint64_t session_id)
{
	struct ipc_relay_request_result result;

	memset(&result, 0, sizeof(result));
	result.session_id = session_id;
	result.rep = SOCKS5_REP_GENERAL_FAILURE;
	result.bound.atyp = SOCKS5_ATYP_IPV4;
	log_info("event=request session=%llu result=refused rep=%u reason=session-gone slot=%u",
		 (unsigned long long)session_id, (unsigned)result.rep, c->slot);
	if (ipc_send_request_result(c->channel, &result, -1) < 0)
		child_kill(c, "cannot send request result");
}

static void on_relay_request(struct child *c, const struct ipc_msg *msg)
{
	struct ipc_relay_request req;
	struct session *s;

	if (ipc_decode_relay_request(msg, &req) < 0) {
		violation(c, 0, "malformed RELAY_REQUEST");
		return;
	}
	s = session_after_authproc(req.session_id);
	if (s == NULL && req.session_id != 0 && req.session_id <= session_last_id()) {
		answer_dropped_session(c, req.session_id);
		return;
	}
	if (s == NULL) {
		violation(c, req.session_id, "request for a session never handed out");
		return;
	}
	if (s->relay_slot != (int)c->slot) {
		violation(c, s->id, "request for a session of another relay");
		return;
	}
	if (s->phase != SESSION_AUTHENTICATED || s->requested) {
		violation(c, s->id, s->requested ? "second request for a session"
						 : "request for a session not authenticated");
		return;
	}
	/* gssocksctl end came while the session was on its way from authproc
	 * to this relay (which ignored the first END it did not know): again,
	 * now that it holds the session; nothing of the request is decided. */
	if (s->admin_ending) {
		if (ipc_send_relay_end_session(c->channel, s->id) < 0)
			child_kill(c, "cannot send RELAY_END_SESSION");
		return;
	}
	s->requested = true;
	s->request = req.request;
	session_set_phase(s, SESSION_REQUESTED, 0);
	request_handle(s);
}

static void on_session_end(struct child *c, const struct ipc_msg *msg)
{
	struct ipc_relay_session_end end;
	struct session *s;

	if (ipc_decode_session_end(msg, &end) < 0) {
		violation(c, 0, "malformed RELAY_SESSION_END");
		return;
	}
	s = session_after_authproc(end.session_id);
	if (s == NULL && end.session_id > session_last_id()) {
		violation(c, end.session_id, "end of a session never handed out");
		return;
	}
	if (s == NULL) {
		log_warn("end of unknown session=%llu from relay slot=%u ignored",
			 (unsigned long long)end.session_id, c->slot);
		return;
	}
	if (s->relay_slot != (int)c->slot) {
		violation(c, s->id, "end of a session of another relay");
		return;
	}
	if (s->phase == SESSION_GREETING || s->phase == SESSION_AUTHENTICATING) {
		violation(c, s->id, "end of a session the relay cannot have");
		return;
	}
	if (end.reason == IPC_END_UNWRAP_FAILURE)
		counters_inc(METRIC_UNWRAP_FAILURES, NULL);
	session_end(s, ipc_end_reason_name(end.reason), end.bytes_from_client,
		    end.bytes_to_client);
}

/*
 * The relay's byte counts so far, for gssocksctl sessions and nothing
 * else.  Entries for sessions that ended meanwhile are skipped; one for
 * an id never handed out, or for another relay's session, is a lie.
 */
static void on_progress(struct child *c, const struct ipc_msg *msg)
{
	static struct ipc_relay_progress progress;

	if (ipc_decode_relay_progress(msg, &progress) < 0) {
		violation(c, 0, "malformed RELAY_PROGRESS");
		return;
	}
	for (size_t i = 0; i < progress.count; i++) {
		const struct ipc_progress_entry *e = &progress.entry[i];
		struct session *s = session_find(e->session_id);

		if (s == NULL && e->session_id > session_last_id()) {
			violation(c, e->session_id, "progress of a session never handed out");
			return;
		}
		if (s == NULL)
			continue;
		if (s->relay_slot != (int)c->slot) {
			violation(c, s->id, "progress of a session of another relay");
			return;
		}
		s->progress_from_client = e->bytes_from_client;
		s->progress_to_client = e->bytes_to_client;
	}
}

static void dispatch_message(struct child *c, struct ipc_msg *msg)
{
	/* ipc_recv checked the type against the channel and the per-type fd
	 * rule.  The one fd the master takes is a relay's channel end, which
	 * channels.c passes on to authproc; any other is closed. */
	if (msg->type == IPC_RELAY_CHANNEL_MADE && c->role == CHILD_RELAY) {
		const char *why = channels_on_made(c, msg);

		if (why != NULL)
			violation(c, 0, why);
		return;
	}
	if (msg->fd >= 0)
		close_fd(&msg->fd);
	switch (msg->type) {
	case IPC_AUTH_OK:
		if (c->role == CHILD_AUTHPROC) {
			on_auth_ok(c, msg);
			return;
		}
		break;
	case IPC_AUTH_FAIL:
		if (c->role == CHILD_AUTHPROC) {
			on_auth_fail(c, msg);
			return;
		}
		break;
	case IPC_AUTH_LEVEL_QUERY:
		if (c->role == CHILD_AUTHPROC) {
			on_level_query(c, msg);
			return;
		}
		break;
	case IPC_RELAY_REQUEST:
		if (c->role == CHILD_RELAY) {
			on_relay_request(c, msg);
			return;
		}
		break;
	case IPC_RELAY_SESSION_END:
		if (c->role == CHILD_RELAY) {
			on_session_end(c, msg);
			return;
		}
		break;
	case IPC_RELAY_UDP_DEST:
	case IPC_RELAY_UDP_STATS:
		if (c->role == CHILD_RELAY) {
			uint64_t sid;
			const char *why = msg->type == IPC_RELAY_UDP_DEST
						  ? udp_on_dest(c, msg, &sid)
						  : udp_on_stats(c, msg, &sid);

			if (why != NULL)
				violation(c, sid, why);
			return;
		}
		break;
	case IPC_RELAY_PROGRESS:
		if (c->role == CHILD_RELAY) {
			on_progress(c, msg);
			return;
		}
		break;
	case IPC_LOG:
		if (childlog_line(c, msg) < 0)
			violation(c, 0, "malformed log line");
		return;
	case IPC_PONG:
		if (watchdog_pong(c, msg) < 0)
			violation(c, 0, "malformed PONG");
		return;
	default:
		break;
	}
	violation(c, 0, "message not permitted from this child");
}

/* Handle up to `limit` messages; stops at EAGAIN, EOF or a violation. */
static void dispatch_some(struct child *c, unsigned limit)
{
	enum ipc_channel chan = c->role == CHILD_AUTHPROC ? IPC_CHAN_MASTER_FROM_AUTHPROC
							  : IPC_CHAN_MASTER_FROM_RELAY;
	struct ipc_msg *msg = c->role == CHILD_AUTHPROC ? &authproc_msg : &relay_msg;

	for (unsigned n = 0; n < limit && c->channel >= 0; n++) {
		int fd = c->channel;
		int rc = ipc_recv(fd, chan, msg);

		if (rc == 1) {
			dispatch_message(c, msg);
			continue;
		}
		/*
		 * A child that exits with messages of ours unread resets the
		 * pair: Linux reports ECONNRESET once, BEFORE the records it
		 * had queued for us.  Those (AUTH_OK, SESSION_END) still
		 * count: read on until end of file.
		 */
		if (rc < 0 && errno == ECONNRESET) {
			log_debug("%s slot=%u: channel reset; reading what it queued",
				  child_name(c), c->slot);
			continue;
		}
		if (rc == 0) {
			child_channel_closed(c);
			return;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		if (errno == EPROTO) {
			violation(c, 0, "malformed or unpermitted IPC message");
			return;
		}
		log_err("ipc from %s slot=%u: %m", child_name(c), c->slot);
		child_kill(c, "channel error");
		return;
	}
}

void dispatch_channel_event(int fd, uint32_t events, void *ctx)
{
	struct child *c = ctx;

	if (c->channel != fd)
		bug("dispatch: event for fd %d which is not the channel", fd);
	dispatch_some(c, DISPATCH_BATCH);
}

void dispatch_drain(struct child *c)
{
	dispatch_some(c, DISPATCH_DRAIN_MAX);
}

void dispatch_last_words(struct child *c)
{
	if (c->role != CHILD_AUTHPROC || in_last_words)
		return;
	in_last_words = true;
	last_words_stop = false;
	for (unsigned n = 0; n < DISPATCH_DRAIN_MAX && c->channel >= 0 && !last_words_stop;
	     n++) {
		int rc = ipc_recv(c->channel, IPC_CHAN_MASTER_FROM_AUTHPROC, &last_words_msg);

		if (rc < 0 && (errno == ECONNRESET || errno == EINTR))
			continue;
		if (rc != 1)
			break;  /* end of file, nothing more queued, or garbage */
		if (last_words_msg.fd >= 0)
			close_fd(&last_words_msg.fd);
		/* What it reported is still true; what it asks needs an
		 * answer nobody will read (those sessions end with it). */
		if (last_words_msg.type == IPC_AUTH_OK)
			on_auth_ok(c, &last_words_msg);
		else if (last_words_msg.type == IPC_AUTH_FAIL)
			on_auth_fail(c, &last_words_msg);
		else if (last_words_msg.type == IPC_LOG)
			(void)childlog_line(c, &last_words_msg);
	}
	in_last_words = false;
}
