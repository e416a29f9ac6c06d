/*
 * admission.c - making room for new connections under a flood; see
 * admission.h for the rule.
 *
 * Trust zone: master, network-facing.  Nothing is read from a client
 * here: the greeting octets a session holds were read by greeting.c, and
 * those still waiting are only counted (FIONREAD), never read.
 *
 * Design: the narrow entry points the event loop calls are
 * admission_admit() (greeting_begin, before a session exists) and
 * admission_sweep() (the once-a-second sweep).  Candidates are built
 * from the session table only when room must be made; their prefixes are
 * grouped by sorting, and the choice itself is admission_choose()
 * (admission_choice.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "../ipc/ipc.h"
#include "../proto/socks5.h"
#include "admission.h"
#include "audit.h"
#include "ipc_dispatch.h"
#include "log.h"
#include "master.h"
#include "session.h"
#include "spawn.h"
#include "util.h"

#define GREETING_FLOOR_MS 1000u
#define AUTH_FLOOR_MS 4000u
#define PEEK_TRIES 8        /* candidates re-ranked for octets waiting */

/* Candidates and the session each stands for (grown as needed). */
static struct admission_candidate *candidates;
static struct session **owners;
static size_t *order;
static size_t capacity;

static bool unauthenticated(const struct session *s)
{
	return s->phase == SESSION_GREETING || s->phase == SESSION_AUTHENTICATING;
}

/* Authenticated by authproc already (its principal is known): keep it. */
static bool evictable(const struct session *s)
{
	return unauthenticated(s) && !s->level_decided && s->policy_set == NULL;
}

static bool reserve(size_t n)
{
	struct admission_candidate *c;
	struct session **o;
	size_t *ord;

	if (n <= capacity)
		return true;
	n = n < 64 ? 64 : n * 2;
	c = realloc(candidates, n * sizeof(*c));
	if (c != NULL)
		candidates = c;
	o = realloc(owners, n * sizeof(*o));
	if (o != NULL)
		owners = o;
	ord = realloc(order, n * sizeof(*ord));
	if (ord != NULL)
		order = ord;
	if (c == NULL || o == NULL || ord == NULL)
		return false;
	capacity = n;
	return true;
}

static int by_prefix(const void *a, const void *b)
{
	return strcmp(owners[*(const size_t *)a]->addr, owners[*(const size_t *)b]->addr);
}

/*
 * Fill the candidates from the session table; *group gets the group
 * number of `prefix` (ADMISSION_ANY_GROUP when prefix is NULL or none of
 * its sessions is there).  Returns their count.
 */
static size_t collect(uint64_t now, const char *prefix, size_t *group)
{
	size_t n = 0;

	*group = ADMISSION_ANY_GROUP;
	if (!reserve(session_count_unauthenticated()))
		return 0;
	for (struct session *s = session_first(); s != NULL && n < capacity; s = s->next) {
		if (!unauthenticated(s))
			continue;
		owners[n] = s;
		candidates[n] = (struct admission_candidate){
			.evictable = evictable(s),
			.with_authproc = s->phase == SESSION_AUTHENTICATING,
			.age_ms = now > s->phase_ms ? now - s->phase_ms : 0,
			.octets = s->greeting_len,
		};
		order[n] = n;
		n++;
	}
	qsort(order, n, sizeof(*order), by_prefix);
	for (size_t i = 0, g = 0; i < n; i++) {
		if (i > 0 && strcmp(owners[order[i]]->addr, owners[order[i - 1]]->addr) != 0)
			g++;
		candidates[order[i]].group = g;
		if (prefix != NULL && strcmp(owners[order[i]]->addr, prefix) == 0)
			*group = g;
	}
	return n;
}

/* Octets the client sent that greeting.c has not read yet. */
static uint64_t octets_waiting(const struct session *s)
{
	int waiting = 0;

	if (s->client_fd < 0 || ioctl(s->client_fd, FIONREAD, &waiting) < 0 || waiting < 0)
		return 0;
	return (uint64_t)waiting;
}

/*
 * 05 ff and the busy text, best effort.  What the client sent is read
 * and thrown away first so that closing does not turn into a reset that
 * could overtake the answer.
 */
static void tell_busy(int fd)
{
	static const char notice[] = "\x05\xff" SOCKS5_BUSY_TEXT;
	char sink[512];
	ssize_t w;

	for (int i = 0; i < 4 && recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++)
		;
	w = send(fd, notice, sizeof(notice) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)w;
	(void)shutdown(fd, SHUT_WR);
}

/*
 * The authproc that holds s: the worker it was handed to, or the one a
 * SIGHUP retired while s was in its handshake; NULL when that one is gone
 * (and took its clients with it).
 */
static struct child *holder(const struct session *s)
{
	return child_authproc_holding(s->authproc_generation);
}

bool admission_cancel_handshake(const struct session *s)
{
	struct child *authproc = holder(s);
	struct ipc_auth_cancel cancel = { .session_id = s->id };

	if (authproc != NULL && ipc_send_auth_cancel(authproc->channel, &cancel) < 0) {
		log_debug("cannot cancel session=%llu at authproc: %m",
			  (unsigned long long)s->id);
		return false;
	}
	return true;
}

/*
 * End s to make room, counted under event=evict reason.  false when it
 * could not be done (authproc's channel is full): s stays.
 */
static bool evict(struct session *s, const char *reason, const char *key,
		  unsigned long long value)
{
	char detail[160];

	if (s->phase == SESSION_GREETING)
		tell_busy(s->client_fd);
	else if (!admission_cancel_handshake(s))
		return false;
	snprintf(detail, sizeof(detail), "%s=%llu prefix=%s phase=%s", key, value, s->addr,
		 session_phase_name(s->phase));
	log_debug("event=evict session=%llu reason=%s %s", (unsigned long long)s->id, reason,
		  detail);
	audit_count(LOG_NOTICE, "evict", reason, detail);
	session_discard(s);
	return true;
}

/* Evict one session (from prefix when not NULL); false when none can go. */
static bool make_room(const char *prefix, const char *reason, unsigned max)
{
	uint64_t now;
	size_t group, n;
	unsigned peeks = 0;

	/* a level query an authproc already sent marks a session as kept */
	for (unsigned w = 0; w < child_authproc_count(); w++) {
		struct child *authproc[2] = { child_authproc(w), child_authproc_retired(w) };

		for (size_t i = 0; i < 2; i++)
			if (authproc[i]->channel >= 0)
				dispatch_drain(authproc[i]);
	}
	now = monotonic_ms();
	n = collect(now, prefix, &group);

	if (prefix != NULL && group == ADMISSION_ANY_GROUP)
		return false;
	for (;;) {
		long i = admission_choose(candidates, n, group);
		struct session *s;

		if (i < 0)
			return false;
		s = owners[i];
		/* octets waiting are progress the loop has not seen yet */
		if (s->phase == SESSION_GREETING && peeks < PEEK_TRIES) {
			uint64_t waiting = octets_waiting(s);

			peeks++;
			if (waiting > 0) {
				candidates[i].octets += waiting;
				continue;
			}
		}
		if (evict(s, reason, "max", max))
			return true;
		candidates[i].evictable = false;
	}
}

void admission_refuse(int fd, const char *reason, unsigned max, const char *prefix)
{
	char detail[128];

	tell_busy(fd);
	close(fd);
	snprintf(detail, sizeof(detail), "max=%u prefix=%s", max, prefix);
	audit_count(LOG_NOTICE, "refuse", reason, detail);
}

bool admission_admit(int fd, const struct sockaddr *peer, char *prefix, size_t prefixlen)
{
	const struct master_config *cfg = master_cfg;

	(void)admission_prefix(peer, cfg->unauthenticated_prefix_v4,
			       cfg->unauthenticated_prefix_v6, prefix, prefixlen);
	/* one eviction makes room for one; more only if the counts were off */
	for (int round = 0; round < 4; round++) {
		bool prefix_full = session_count_unauthenticated_from(prefix) >=
				   cfg->max_unauthenticated_per_address;
		bool table_full = session_count_unauthenticated() >= cfg->max_unauthenticated;
		const char *reason = prefix_full ? "max-unauthenticated-per-address"
						 : "max-unauthenticated";
		unsigned max = prefix_full ? cfg->max_unauthenticated_per_address
					   : cfg->max_unauthenticated;

		if (!prefix_full && !table_full)
			return true;
		if (!make_room(prefix_full ? prefix : NULL, reason, max)) {
			admission_refuse(fd, reason, max, prefix);
			return false;
		}
	}
	admission_refuse(fd, "max-unauthenticated", cfg->max_unauthenticated, prefix);
	return false;
}

bool admission_pressure(void)
{
	return session_count_unauthenticated() * 2 > master_cfg->max_unauthenticated;
}

void admission_sweep(uint64_t now_ms)
{
	const struct master_config *cfg = master_cfg;
	size_t used = session_count_unauthenticated();
	uint64_t greeting_ms, auth_ms;
	struct session *s, *next;

	if (!admission_pressure())
		return;
	greeting_ms = admission_deadline_ms(1000u * (uint64_t)cfg->greeting_timeout,
					    GREETING_FLOOR_MS, used, cfg->max_unauthenticated);
	auth_ms = admission_deadline_ms(1000u * (uint64_t)cfg->auth_timeout, AUTH_FLOOR_MS, used,
					cfg->max_unauthenticated);
	for (s = session_first(); s != NULL; s = next) {
		uint64_t age = now_ms > s->phase_ms ? now_ms - s->phase_ms : 0;

		next = s->next;
		if (!evictable(s))
			continue;
		if (s->phase == SESSION_GREETING && age >= greeting_ms)
			(void)evict(s, "greeting-deadline", "deadline_ms", greeting_ms);
		else if (s->phase == SESSION_AUTHENTICATING && age >= auth_ms)
			(void)evict(s, "auth-deadline", "deadline_ms", auth_ms);
	}
}
