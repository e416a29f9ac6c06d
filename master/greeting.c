/*
 * greeting.c - RFC 1928 greeting and hand-off to authproc; see greeting.h.
 *
 * Trust zone: master, network-facing.  Client bytes are read into the
 * session's fixed greeting buffer and parsed by proto/ (rbuf and
 * socks5_greeting_parse) only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "../ipc/ipc.h"
#include "../proto/buf.h"
#include "../proto/socks5.h"
#include "admission.h"
#include "audit.h"
#include "counters.h"
#include "channels.h"
#include "event.h"
#include "greeting.h"
#include "log.h"
#include "logtext.h"
#include "master.h"
#include "session.h"
#include "spawn.h"
#include "util.h"

/* Octets still missing from the greeting; -1 when it cannot be one. */
static long greeting_missing(struct session *s, const char **why)
{
	struct rbuf rb;
	uint8_t version, nmethods;

	if (s->greeting_len < 2)
		return (long)(2 - s->greeting_len);
	rbuf_init(&rb, s->greeting, s->greeting_len);
	rbuf_get_u8(&rb, &version);
	rbuf_get_u8(&rb, &nmethods);
	if (version != SOCKS5_VERSION) {
		*why = "version is not 5";
		return -1;
	}
	if (nmethods == 0) {
		*why = "no methods";
		return -1;
	}
	return (long)(2u + nmethods) - (long)s->greeting_len;
}

/*
 * A greeting that ends without a method: its own records, except under a
 * flood (admission_pressure), when such ends are counted per reason
 * instead (audit_count), as accepts are.
 */
static void greeting_end(struct session *s, const char *reason, const char *why)
{
	if (admission_pressure()) {
		audit_count(LOG_INFO, "end", reason, "phase=greeting");
		session_discard(s);
		return;
	}
	if (why != NULL)
		log_info("event=greeting session=%llu result=malformed reason=\"%s\"",
			 (unsigned long long)s->id, why);
	session_drop(s, reason);
}

static void greeting_refuse(struct session *s)
{
	static const uint8_t refused[2] = { SOCKS5_VERSION, SOCKS5_METHOD_REFUSED };
	ssize_t w = send(s->client_fd, refused, sizeof(refused), MSG_NOSIGNAL | MSG_DONTWAIT);

	(void)w;
	counters_inc(METRIC_REFUSALS, "no-acceptable-method");
	if (!admission_pressure())
		audit_record(LOG_NOTICE, "event=method session=%llu client=%s result=refused",
			     (unsigned long long)s->id, s->peer);
	greeting_end(s, "no-acceptable-method", NULL);
}

/*
 * The authproc worker and relay slot a new session goes to: the worker
 * holding the fewest handshakes among those running with a channel to at
 * least one usable relay, then the least loaded of its relays.  NULL when
 * there is none (*why says what is missing).
 */
static struct child *handoff_choose(int *slot, const char **why)
{
	bool usable[CONFIG_RELAYS_MAX];
	bool workers[CONFIG_AUTHPROCS_MAX];
	unsigned relays = child_relay_count();
	unsigned count = child_authproc_count();
	bool any = false;
	int worker;

	if (relays > CONFIG_RELAYS_MAX)
		relays = CONFIG_RELAYS_MAX;
	if (count > CONFIG_AUTHPROCS_MAX)
		count = CONFIG_AUTHPROCS_MAX;
	for (unsigned w = 0; w < count; w++) {
		const struct child *authproc = child_authproc(w);

		workers[w] = false;
		if (!child_usable(authproc))
			continue;
		any = true;
		channels_usable_slots(authproc, usable, relays);
		workers[w] = session_least_loaded_slot(usable, relays) != SESSION_NO_SLOT;
	}
	worker = session_least_loaded_authproc(workers, count);
	if (worker == SESSION_NO_SLOT) {
		*why = any ? "no-relay" : "no-authproc";
		return NULL;
	}
	channels_usable_slots(child_authproc((unsigned)worker), usable, relays);
	*slot = session_least_loaded_slot(usable, relays);
	return child_authproc((unsigned)worker);
}

static void greeting_handoff(struct session *s)
{
	static const uint8_t chosen[2] = { SOCKS5_VERSION, SOCKS5_METHOD_GSSAPI };
	struct ipc_auth_client m;
	const char *why = NULL;
	int slot = SESSION_NO_SLOT;
	struct child *authproc = handoff_choose(&slot, &why);

	if (authproc == NULL) {
		log_warn("event=method session=%llu result=unavailable reason=%s",
			 (unsigned long long)s->id, why);
		session_drop(s, "service-unavailable");
		return;
	}
	if (send(s->client_fd, chosen, sizeof(chosen), MSG_NOSIGNAL | MSG_DONTWAIT) !=
	    (ssize_t)sizeof(chosen)) {
		session_drop(s, "write-error");
		return;
	}
	memset(&m, 0, sizeof(m));
	m.session_id = s->id;
	m.relay_slot = (uint32_t)slot;
	snprintf(m.peer, sizeof(m.peer), "%s", s->peer);
	session_set_slot(s, slot);
	session_set_authproc(s, authproc->slot, authproc->generation);
	if (ipc_send_auth_client(authproc->channel, &m, s->client_fd) < 0) {
		log_err("handing session=%llu to authproc: %m", (unsigned long long)s->id);
		child_kill(authproc, "cannot take a client");
		session_drop(s, "authproc-unavailable");
		return;
	}
	/* From now on a crash of either may be this client's doing: not a
	 * start-up failure (startfail.c). */
	authproc->handed_work = true;
	child_relay((unsigned)slot)->handed_work = true;
	/* authproc owns the client now; the master keeps no copy. */
	close_fd(&s->client_fd);
	session_set_phase(s, SESSION_AUTHENTICATING,
			  monotonic_ms() + 2000u * (uint64_t)master_cfg->auth_timeout + 10000u);
	log_debug("event=method session=%llu result=gssapi slot=%d", (unsigned long long)s->id,
		  slot);
}

static void greeting_complete(struct session *s)
{
	struct socks5_greeting g;
	const char *why = "malformed";
	size_t used = 0;

	event_remove(s->client_fd);
	if (socks5_greeting_parse(s->greeting, s->greeting_len, &g, &used, &why) != 1 ||
	    used != s->greeting_len) {
		greeting_end(s, "malformed-greeting", why);
		return;
	}
	if (!socks5_greeting_offers(&g, SOCKS5_METHOD_GSSAPI)) {
		greeting_refuse(s);
		return;
	}
	greeting_handoff(s);
}

static void greeting_event(int fd, uint32_t events, void *ctx)
{
	struct session *s = ctx;
	const char *why = NULL;

	(void)events;
	for (;;) {
		long missing = greeting_missing(s, &why);
		ssize_t n;

		if (missing < 0) {
			greeting_end(s, "malformed-greeting", why);
			return;
		}
		if (missing == 0) {
			greeting_complete(s);
			return;
		}
		n = read(fd, s->greeting + s->greeting_len, (size_t)missing);
		if (n > 0) {
			s->greeting_len += (size_t)n;
			continue;
		}
		if (n == 0) {
			greeting_end(s, "client-close", NULL);
			return;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		greeting_end(s, "read-error", NULL);
		return;
	}
}

void greeting_begin(int fd, const struct sockaddr *peer, const struct sockaddr *via)
{
	char peer_text[SESSION_PEER_MAX], via_text[SESSION_PEER_MAX + 8] = "";
	char prefix[ADMISSION_PREFIX_MAX];
	struct session *s;

	sockaddr_format(peer, peer_text, sizeof(peer_text));
	if (via != NULL) {
		char balancer[SESSION_PEER_MAX];

		sockaddr_format(via, balancer, sizeof(balancer));
		snprintf(via_text, sizeof(via_text), " via=%s", balancer);
	}
	if (master_stopping()) {
		close(fd);
		return;
	}
	/* Clients that have not authenticated get a budget of their own
	 * (max-unauthenticated, and per prefix): admission.c makes room. */
	if (!admission_admit(fd, peer, prefix, sizeof(prefix)))
		return;
	s = session_new(peer_text, fd);
	if (s == NULL) {
		admission_refuse(fd, "max-sessions", master_cfg->max_sessions, prefix);
		return;
	}
	snprintf(s->addr, sizeof(s->addr), "%s", prefix);
	/* under a flood, connections are counted, not logged one by one */
	if (admission_pressure())
		audit_count(LOG_INFO, "accept", "pressure", "");
	else
		log_debug("event=accept session=%llu client=%s%s", (unsigned long long)s->id,
			  peer_text, via_text);
	/* Negotiation messages must not wait for Nagle (PROTOCOL.md 7). */
	sock_set_nodelay(fd);
	session_set_phase(s, SESSION_GREETING,
			  monotonic_ms() + 1000u * (uint64_t)master_cfg->greeting_timeout);
	if (event_add(fd, EPOLLIN, greeting_event, s) < 0) {
		log_err("greeting: epoll: %m");
		session_drop(s, "internal-error");
	}
}
