/*
 * session.c - the session table; see session.h.
 *
 * Trust zone: master.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <syslog.h>

#include "../policy/policy.h"
#include "audit.h"
#include "counters.h"
#include "event.h"
#include "log.h"
#include "bind.h"
#include "outbound.h"
#include "session.h"
#include "udp.h"
#include "util.h"

#define HASH_BUCKETS 1024u

static struct session *buckets[HASH_BUCKETS];
static struct session *all_head;
static size_t live_count;
static size_t unauthenticated_count;   /* in SESSION_GREETING or _AUTHENTICATING */
static unsigned max_count;
static uint64_t last_id;
static unsigned *slot_load;     /* sessions per relay slot */
static unsigned slot_total;
static unsigned *authproc_load; /* handshakes per authproc worker */
static unsigned authproc_total;
static unsigned authproc_next;  /* where the next tie is broken */

int session_table_init(unsigned max_sessions, unsigned relay_slots, unsigned authprocs)
{
	max_count = max_sessions;
	slot_total = relay_slots;
	authproc_total = authprocs;
	slot_load = calloc(relay_slots ? relay_slots : 1, sizeof(*slot_load));
	authproc_load = calloc(authprocs ? authprocs : 1, sizeof(*authproc_load));
	return slot_load == NULL || authproc_load == NULL ? -1 : 0;
}

static size_t bucket_of(uint64_t id)
{
	return (size_t)(id % HASH_BUCKETS);
}

struct session *session_new(const char *peer, int client_fd)
{
	struct session *s;
	size_t b;

	if (live_count >= max_count)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->id = ++last_id;
	s->phase = SESSION_GREETING;
	snprintf(s->peer, sizeof(s->peer), "%s", peer);
	s->client_fd = client_fd;
	{
		socklen_t len = sizeof(s->gateway_addr);

		/* BIND listens on this address (bind.c); not a socket: none */
		if (getsockname(client_fd, (struct sockaddr *)&s->gateway_addr, &len) < 0)
			s->gateway_addr.ss_family = AF_UNSPEC;
	}
	s->relay_slot = SESSION_NO_SLOT;
	s->authproc_slot = SESSION_NO_SLOT;
	s->started_ms = monotonic_ms();
	s->phase_ms = s->started_ms;
	b = bucket_of(s->id);
	s->hash_next = buckets[b];
	buckets[b] = s;
	s->next = all_head;
	if (all_head != NULL)
		all_head->prev = s;
	all_head = s;
	live_count++;
	unauthenticated_count++;
	return s;
}

struct session *session_find(uint64_t id)
{
	for (struct session *s = buckets[bucket_of(id)]; s != NULL; s = s->hash_next)
		if (s->id == id)
			return s;
	return NULL;
}

struct session *session_first(void)
{
	return all_head;
}

size_t session_count(void)
{
	return live_count;
}

uint64_t session_last_id(void)
{
	return last_id;
}

static bool phase_unauthenticated(enum session_phase phase)
{
	return phase == SESSION_GREETING || phase == SESSION_AUTHENTICATING;
}

size_t session_count_unauthenticated(void)
{
	return unauthenticated_count;
}

size_t session_count_unauthenticated_from(const char *addr)
{
	size_t n = 0;

	for (const struct session *s = all_head; s != NULL; s = s->next)
		if (phase_unauthenticated(s->phase) && strcmp(s->addr, addr) == 0)
			n++;
	return n;
}

const char *session_phase_name(enum session_phase phase)
{
	switch (phase) {
	case SESSION_GREETING: return "greeting";
	case SESSION_AUTHENTICATING: return "authenticating";
	case SESSION_AUTHENTICATED: return "authenticated";
	case SESSION_REQUESTED: return "requested";
	case SESSION_RELAYING: return "relaying";
	}
	return "unknown";
}

/* Count s in its authproc's load while it authenticates there. */
static void authproc_count(struct session *s, bool counted)
{
	if (s->authproc_counted == counted || s->authproc_slot == SESSION_NO_SLOT ||
	    (unsigned)s->authproc_slot >= authproc_total)
		return;
	if (counted)
		authproc_load[s->authproc_slot]++;
	else
		authproc_load[s->authproc_slot]--;
	s->authproc_counted = counted;
}

void session_set_phase(struct session *s, enum session_phase phase, uint64_t deadline_ms)
{
	if (phase_unauthenticated(s->phase) && !phase_unauthenticated(phase))
		unauthenticated_count--;
	else if (!phase_unauthenticated(s->phase) && phase_unauthenticated(phase))
		unauthenticated_count++;
	authproc_count(s, phase == SESSION_AUTHENTICATING);
	s->phase = phase;
	s->phase_ms = monotonic_ms();
	s->deadline_ms = deadline_ms;
}

void session_set_slot(struct session *s, int slot)
{
	if (s->relay_slot != SESSION_NO_SLOT && (unsigned)s->relay_slot < slot_total)
		slot_load[s->relay_slot]--;
	s->relay_slot = slot;
	if (slot != SESSION_NO_SLOT && (unsigned)slot < slot_total)
		slot_load[slot]++;
}

void session_set_authproc(struct session *s, unsigned worker, uint32_t generation)
{
	authproc_count(s, false);
	s->authproc_slot = (int)worker;
	s->authproc_generation = generation;
	authproc_count(s, s->phase == SESSION_AUTHENTICATING);
}

unsigned session_authproc_load(unsigned worker)
{
	return worker < authproc_total ? authproc_load[worker] : 0;
}

int session_least_loaded_authproc(const bool *usable, unsigned workers)
{
	int best = SESSION_NO_SLOT;

	/* From a start that moves on at every choice: equal loads (an idle
	 * gateway: all 0) take turns instead of all going to worker 0. */
	for (unsigned n = 0; n < workers && n < authproc_total; n++) {
		unsigned i = (authproc_next + n) % (workers < authproc_total ? workers
									   : authproc_total);

		if (!usable[i])
			continue;
		if (best == SESSION_NO_SLOT || authproc_load[i] < authproc_load[best])
			best = (int)i;
	}
	if (best != SESSION_NO_SLOT)
		authproc_next = (unsigned)best + 1;
	return best;
}

int session_least_loaded_slot(const bool *usable, unsigned slots)
{
	int best = SESSION_NO_SLOT;

	for (unsigned i = 0; i < slots && i < slot_total; i++) {
		if (!usable[i])
			continue;
		if (best == SESSION_NO_SLOT || slot_load[i] < slot_load[best])
			best = (int)i;
	}
	return best;
}

static void session_free(struct session *s)
{
	struct session **pp = &buckets[bucket_of(s->id)];

	while (*pp != NULL && *pp != s)
		pp = &(*pp)->hash_next;
	if (*pp == s)
		*pp = s->hash_next;
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		all_head = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	session_set_slot(s, SESSION_NO_SLOT);
	authproc_count(s, false);
	outbound_cancel(s);
	bind_cancel(s);
	udp_forget(s);
	if (s->client_fd >= 0)
		event_remove(s->client_fd);
	close_fd(&s->client_fd);
	if (s->policy_set != NULL)
		policy_set_unref(s->policy_set);
	if (phase_unauthenticated(s->phase))
		unauthenticated_count--;
	live_count--;
	free(s);
	memory_freed();
}

void session_drop(struct session *s, const char *reason)
{
	counters_inc(METRIC_SESSIONS_ENDED, reason);
	audit_record(LOG_INFO, "event=end session=%llu reason=%s phase=%s duration_ms=%llu",
		     (unsigned long long)s->id, reason, session_phase_name(s->phase),
		     (unsigned long long)(monotonic_ms() - s->started_ms));
	session_free(s);
}

void session_discard(struct session *s)
{
	session_free(s);
}

void session_end(struct session *s, const char *reason, uint64_t bytes_from_client,
		 uint64_t bytes_to_client)
{
	char udp[UDP_END_FIELDS_MAX];

	counters_inc(METRIC_SESSIONS_ENDED, reason);
	audit_record(LOG_INFO, "event=end session=%llu reason=%s bytes_from_client=%llu "
		     "bytes_to_client=%llu duration_ms=%llu%s",
		     (unsigned long long)s->id, reason, (unsigned long long)bytes_from_client,
		     (unsigned long long)bytes_to_client,
		     (unsigned long long)(monotonic_ms() - s->started_ms),
		     udp_end_fields(s, udp, sizeof(udp)));
	session_free(s);
}

size_t session_count_principal(const char *principal, const struct session *except)
{
	size_t n = 0;

	for (const struct session *s = all_head; s != NULL; s = s->next)
		if (s != except && s->level_decided && strcmp(s->principal, principal) == 0)
			n++;
	return n;
}

void session_drop_matching(bool (*match)(const struct session *s, const void *arg),
			   const void *arg, const char *reason)
{
	struct session *s = all_head, *next;

	for (; s != NULL; s = next) {
		next = s->next;
		if (match(s, arg))
			session_drop(s, reason);
	}
}

size_t session_count_matching(bool (*match)(const struct session *s, const void *arg),
			      const void *arg)
{
	size_t n = 0;

	for (const struct session *s = all_head; s != NULL; s = s->next)
		n += match(s, arg) ? 1 : 0;
	return n;
}

void session_sweep(uint64_t now_ms)
{
	struct session *s = all_head, *next;

	for (; s != NULL; s = next) {
		next = s->next;
		if (s->deadline_ms == 0 || s->deadline_ms > now_ms)
			continue;
		switch (s->phase) {
		case SESSION_GREETING:
			session_drop(s, "greeting-timeout");
			break;
		case SESSION_AUTHENTICATING:
			/* authproc enforces auth-timeout; it failed to report. */
			session_drop(s, "auth-timeout");
			break;
		case SESSION_AUTHENTICATED:
			/* the relay enforces request-timeout; it failed to report. */
			session_drop(s, "request-timeout");
			break;
		case SESSION_REQUESTED:
			if (s->bind != NULL) {
				/* a BIND's peer did not come in time */
				s->deadline_ms = 0;
				bind_timeout(s);
				break;
			}
			if (s->outbound == NULL) {
				/* answered, but the relay never reported the end */
				session_drop(s, "no-end-report");
				break;
			}
			s->deadline_ms = 0;
			outbound_timeout(s);
			break;
		case SESSION_RELAYING:
			s->deadline_ms = 0;
			break;
		}
	}
}
