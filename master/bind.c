/*
 * bind.c - RFC 1928 BIND in the master: listen, accept the allowed peer,
 * hand it to the relay; see bind.h.
 *
 * Trust zone: master.  The client (through the relay) chose DST; the
 * peers that connect to the listener are anyone on the network.  Neither
 * gets more than the policy allows: the BIND itself is decided by
 * request_decide() (the `bind` rules match DST, the peer the client
 * expects), and every peer that connects is checked again, against DST
 * and against the same rules, before the relay sees a byte of it.
 *
 * Design, and why:
 *  - The master binds after its sandbox is in place, so its seccomp
 *    filter allows bind(2) and listen(2), narrowed as far as seccomp can
 *    see (it cannot read the sockaddr behind the pointer): bind only
 *    with the length of a sockaddr_in or sockaddr_in6, listen only with
 *    backlog BIND_BACKLOG (1; the start-up listeners use another).  The
 *    master holds no capability then, so no port below 1024 can be bound
 *    (CAP_NET_BIND_SERVICE is gone), and it already accepts on its
 *    listeners.  A pool of listeners bound at start-up (OpenSSH's and
 *    Dante's servers bind when asked, too) would keep ports open with no
 *    session behind them and limit BINDs to the pool's size; port 0 on
 *    the one interface the client came in on binds only what a BIND
 *    needs, when it needs it.
 *  - Address: the gateway's own address of the client's control
 *    connection (getsockname at accept, session.c), port 0, so the first
 *    reply names an address the client can reach and the listener is on
 *    that interface only, never a wildcard.  So the family is the
 *    control connection's: DST (or one of the addresses its name
 *    resolved to) must be of that family, else REP 08; an unspecified
 *    DST (0.0.0.0 or ::, what Dante's client sends when the application
 *    has connected nowhere yet) names no family and any peer.
 *  - Peer (RFC 1928: DST.ADDR/DST.PORT name the host that will connect):
 *    its address must be DST.ADDR, one of DST's resolved addresses for a
 *    name, or anything when DST.ADDR is unspecified; its port must be
 *    DST.PORT unless that is 0; and policy_decide(bind, peer) must allow
 *    it (a rule that admits 0.0.0.0 for "any peer" still only admits
 *    the peers its other rules allow).  A peer that fails is reset and
 *    recorded (event=bind result=refused) and the listener goes on
 *    waiting, so that a stranger racing for the port cannot end the
 *    client's BIND; the first peer that passes is the only one accepted
 *    (the listener closes at once).
 *  - Timeout: bind-timeout (gssocksd.conf) after the first reply, REP 06
 *    "TTL expired" (the nearest RFC 1928 code to "nobody came") as the
 *    second reply; the relay then ends the session.
 *  - Records: event=request (allowed, with the deciding policy line),
 *    event=bind result=listening|refused|accepted|timeout, and the
 *    session's event=end with the bytes each way.  A refused peer also
 *    counts as gssocks_refusals_total{reason="bind-peer-REASON"}.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../ipc/ipc.h"
#include "../policy/policy.h"
#include "audit.h"
#include "bind.h"
#include "counters.h"
#include "dns.h"
#include "event.h"
#include "log.h"
#include "master.h"
#include "outbound.h"
#include "request.h"
#include "session.h"
#include "spawn.h"
#include "util.h"

#define ADDRESS_TEXT_MAX (SOCKS5_NAME_MAX * 4 + 16)

struct bind_wait {
	int fd;                                   /* the listener */
	bool any_address;                         /* DST.ADDR unspecified */
	uint16_t port;                            /* DST.PORT, 0: any */
	struct socks5_addr expect[DNS_ADDRESSES_MAX];
	size_t expect_count;
	char bound[ADDRESS_TEXT_MAX];
};

static bool addr_unspecified(const struct socks5_addr *a)
{
	static const uint8_t zero[16];

	if (a->atyp == SOCKS5_ATYP_IPV4)
		return memcmp(a->u.ipv4, zero, 4) == 0;
	if (a->atyp == SOCKS5_ATYP_IPV6)
		return memcmp(a->u.ipv6, zero, 16) == 0;
	return false;
}

static bool addr_same_host(const struct socks5_addr *a, const struct socks5_addr *b)
{
	if (a->atyp != b->atyp)
		return false;
	if (a->atyp == SOCKS5_ATYP_IPV4)
		return memcmp(a->u.ipv4, b->u.ipv4, 4) == 0;
	if (a->atyp == SOCKS5_ATYP_IPV6)
		return memcmp(a->u.ipv6, b->u.ipv6, 16) == 0;
	return false;
}

/* The request failed before a peer came: record, answer, forget. */
static void bind_fail(struct session *s, uint8_t rep, const char *error)
{
	bind_cancel(s);
	request_failed(s, rep, NULL, error);
}

static void bind_record(const struct session *s, int priority, const char *result,
			const char *peer, const char *reason)
{
	audit_record(priority, "event=bind session=%llu result=%s bound=%s%s%s%s%s",
		     (unsigned long long)s->id, result,
		     s->bind != NULL ? s->bind->bound : "-",
		     peer != NULL ? " peer=" : "", peer != NULL ? peer : "",
		     reason != NULL ? " reason=" : "", reason != NULL ? reason : "");
}

/* Why peer may not be the BIND's peer, or NULL when it may. */
static const char *peer_refusal(const struct session *s, const struct socks5_addr *peer)
{
	const struct bind_wait *bw = s->bind;
	struct policy_decision pd;
	bool named = bw->any_address;

	for (size_t i = 0; !named && i < bw->expect_count; i++)
		named = addr_same_host(&bw->expect[i], peer);
	if (!named)
		return "unexpected-address";
	if (bw->port != 0 && peer->port != bw->port)
		return "unexpected-port";
	pd = policy_decide(s->policy, SOCKS5_CMD_BIND, peer, NULL, 0);
	if (!pd.allow)
		return "policy";
	return NULL;
}

/* The allowed peer: stop listening, give it to the relay (second reply). */
static void bind_hand_over(struct session *s, int peer_fd, const struct socks5_addr *peer,
			   const char *peer_text)
{
	bind_record(s, LOG_INFO, "accepted", peer_text, NULL);
	bind_cancel(s);
	session_set_phase(s, SESSION_RELAYING, 0);
	request_answer(s, SOCKS5_REP_OK, peer_fd, peer);
}

static void bind_event(int fd, uint32_t events, void *ctx)
{
	struct session *s = ctx;

	(void)events;
	if (s->bind == NULL || s->bind->fd != fd)
		bug("bind: event for fd %d that is not the listener", fd);
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);
		struct socks5_addr peer;
		char peer_text[ADDRESS_TEXT_MAX];
		const char *why;
		int peer_fd;

		peer_fd = accept4(fd, (struct sockaddr *)&ss, &sslen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (peer_fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
			    errno == ECONNABORTED)
				return;
			/* EMFILE and the like: the peer waits in the backlog;
			 * the timeout still runs. */
			log_warn("session=%llu bind: accept: %s", (unsigned long long)s->id,
				 strerror(errno));
			return;
		}
		if (socks5_addr_from_sockaddr(&peer, (const struct sockaddr *)&ss) < 0) {
			close_fd_reset(&peer_fd);
			continue;
		}
		socks5_addr_format(&peer, peer_text, sizeof(peer_text));
		why = peer_refusal(s, &peer);
		if (why != NULL) {
			char label[48];

			bind_record(s, LOG_NOTICE, "refused", peer_text, why);
			snprintf(label, sizeof(label), "bind-peer-%s", why);
			counters_inc(METRIC_REFUSALS, label);
			close_fd_reset(&peer_fd);
			continue;
		}
		bind_hand_over(s, peer_fd, &peer, peer_text);
		return;
	}
}

/*
 * Where to listen: the gateway's own address of the client's connection,
 * port 0, provided DST names a peer of its family (or any peer).  -1 when
 * it does not, or when that address is unspecified (never a wildcard:
 * invariant 8's rule, policy_unspecified_destination).
 */
static int bind_local_address(const struct session *s, const struct bind_wait *bw,
			      struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct socks5_addr local;
	bool family_named = bw->any_address;

	if (socks5_addr_from_sockaddr(&local, (const struct sockaddr *)&s->gateway_addr) < 0)
		return -1;
	for (size_t i = 0; !family_named && i < bw->expect_count; i++)
		family_named = bw->expect[i].atyp == local.atyp;
	if (!family_named)
		return -1;
	local.port = 0;
	if (socks5_addr_to_sockaddr(&local, ss, sslen) < 0 || policy_unspecified_destination(ss))
		return -1;
	return 0;
}

/* Copy DST's addresses (the literal, or what its name resolved to). */
static int bind_expect(struct session *s, struct bind_wait *bw)
{
	const struct sockaddr_storage *addresses;
	size_t count = outbound_addresses(s, &addresses);

	for (size_t i = 0; i < count && i < DNS_ADDRESSES_MAX; i++) {
		if (socks5_addr_from_sockaddr(&bw->expect[bw->expect_count],
					      (const struct sockaddr *)&addresses[i]) == 0)
			bw->expect_count++;
	}
	if (bw->expect_count == 0)
		return -1;
	bw->any_address = s->request.dst.atyp != SOCKS5_ATYP_DOMAIN &&
			  addr_unspecified(&bw->expect[0]);
	bw->port = s->request.dst.port;
	return 0;
}

static void bind_send_listening(struct session *s, const struct socks5_addr *bound)
{
	struct ipc_relay_bind_listening m = { .session_id = s->id, .bound = *bound };
	struct child *relay = s->relay_slot >= 0 ? child_relay((unsigned)s->relay_slot) : NULL;

	if (relay != NULL && child_usable(relay) && ipc_send_bind_listening(relay->channel, &m) < 0)
		child_kill(relay, "cannot send bind listening");
}

void bind_listen(struct session *s)
{
	struct bind_wait *bw;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct socks5_addr bound;
	struct request_decision allowed = { .allowed = true, .rep = SOCKS5_REP_OK,
					    .file = s->decision_file,
					    .line = s->decision_line };
	int family;

	bw = calloc(1, sizeof(*bw));
	if (bw == NULL) {
		bind_fail(s, SOCKS5_REP_GENERAL_FAILURE, "out of memory");
		return;
	}
	bw->fd = -1;
	s->bind = bw;
	if (bind_expect(s, bw) < 0) {
		bind_fail(s, SOCKS5_REP_ATYP_UNSUPPORTED, "no address to expect a peer from");
		return;
	}
	outbound_cancel(s);
	if (bind_local_address(s, bw, &ss, &sslen) < 0) {
		bind_fail(s, SOCKS5_REP_ATYP_UNSUPPORTED,
			  "the expected peer has no address of the control connection's family");
		return;
	}
	family = ss.ss_family;
	bw->fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (bw->fd < 0 || bind(bw->fd, (struct sockaddr *)&ss, sslen) < 0 ||
	    listen(bw->fd, BIND_BACKLOG) < 0) {
		bind_fail(s, SOCKS5_REP_GENERAL_FAILURE, strerror(errno));
		return;
	}
	sslen = sizeof(ss);
	if (getsockname(bw->fd, (struct sockaddr *)&ss, &sslen) < 0 ||
	    socks5_addr_from_sockaddr(&bound, (const struct sockaddr *)&ss) < 0) {
		bind_fail(s, SOCKS5_REP_GENERAL_FAILURE, strerror(errno));
		return;
	}
	if (event_add(bw->fd, EPOLLIN, bind_event, s) < 0) {
		bind_fail(s, SOCKS5_REP_GENERAL_FAILURE, strerror(errno));
		return;
	}
	socks5_addr_format(&bound, bw->bound, sizeof(bw->bound));
	request_audit(s, "allowed", SOCKS5_REP_OK, NULL, &allowed, NULL);
	bind_record(s, LOG_INFO, "listening", NULL, NULL);
	session_set_phase(s, SESSION_REQUESTED,
			  monotonic_ms() + (uint64_t)master_cfg->bind_timeout * 1000u);
	bind_send_listening(s, &bound);
}

void bind_timeout(struct session *s)
{
	if (s->bind == NULL)
		return;
	bind_record(s, LOG_NOTICE, "timeout", NULL, "bind-timeout");
	bind_cancel(s);
	session_set_phase(s, SESSION_REQUESTED, monotonic_ms() + REQUEST_END_GRACE_MS);
	request_answer(s, SOCKS5_REP_TTL_EXPIRED, -1, NULL);
}

void bind_cancel(struct session *s)
{
	struct bind_wait *bw = s->bind;

	if (bw == NULL)
		return;
	if (bw->fd >= 0) {
		event_remove(bw->fd);
		close_fd(&bw->fd);
	}
	free(bw);
	s->bind = NULL;
}
