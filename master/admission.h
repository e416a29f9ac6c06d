/*
 * admission.h - who gets in when unauthenticated clients fill their budget.
 *
 * Trust zone: master, network-facing: decisions about connections that
 * have proved nothing yet.
 *
 * Design (after OpenSSH's MaxStartups and nginx's limit_conn, without
 * their flat refusal): a new connection is admitted; when it would pass
 * max-unauthenticated, or max-unauthenticated-per-address for its prefix
 * (IPv4 /32 and IPv6 /64 by default: unauthenticated-prefix-v4/-v6), room
 * is made by evicting the unauthenticated session that made the least
 * progress, taken from the prefix that holds the most unauthenticated
 * sessions (from the newcomer's own prefix when that one is at its cap),
 * so a flood from some prefixes costs those prefixes first.
 *
 * Progress: a session still in the greeting has made less than one the
 * master handed to authproc; among greetings, fewer octets per second
 * (octets read or waiting in the socket, over at least one second) is
 * less, then the older is less; among sessions with authproc, the older
 * is less.  A session whose client authproc has authenticated (its level
 * query reached the master) is never evicted.  A session authproc holds
 * is ended there with IPC_AUTH_CANCEL; when that cannot be sent, the
 * session stays and another is chosen.
 *
 * Under pressure (more than half of max-unauthenticated in use) the
 * greeting and authentication deadlines shrink: with U of M in use, a
 * deadline T becomes T * 2(M - U) / M, at least 1 s for the greeting and
 * 4 s for authentication (admission_sweep).  Evictions, these deadlines
 * and refusals are counted (audit_count: one record per reason and
 * second), never one record per connection.  A client refused or
 * evicted during the greeting gets 05 ff and SOCKS5_BUSY_TEXT, then the
 * connection is closed; one evicted during authentication gets 01 ff.
 */
#ifndef GSSOCKS_MASTER_ADMISSION_H
#define GSSOCKS_MASTER_ADMISSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ADMISSION_PREFIX_MAX 64   /* "xxxx:...:xxxx/128" fits */

/*
 * A new connection fd from peer: make room for it if the budget is full.
 * true: admit it, prefix holds the client's prefix text (for
 * session->addr).  false: it was refused, counted and closed.
 */
bool admission_admit(int fd, const struct sockaddr *peer, char *prefix, size_t prefixlen);

/* Refuse fd for reason (a static word, e.g. "max-sessions"): counted, closed. */
void admission_refuse(int fd, const char *reason, unsigned max, const char *prefix);

/* True while more than half of max-unauthenticated is in use. */
bool admission_pressure(void);

/*
 * Tell the authproc that holds s's handshake (the current one or the one
 * a SIGHUP retired) to drop it (AUTH_CANCEL); the caller then drops s.
 * false when authproc's channel is full (s stays); true also when that
 * authproc is gone (it took its clients with it).
 */
struct session;
bool admission_cancel_handshake(const struct session *s);

/* Once a second: drop sessions past their shortened deadlines. */
void admission_sweep(uint64_t now_ms);

/* ---- the pure parts (admission_choice.c, unit-tested) ---------------- */

/* One unauthenticated session, as the choice sees it. */
struct admission_candidate {
	size_t group;            /* same number: same prefix (< the count given) */
	bool evictable;          /* false: counts for its prefix, never chosen */
	bool with_authproc;      /* greeting done, handed to authproc */
	uint64_t age_ms;         /* time in its phase */
	uint64_t octets;         /* greeting octets read or waiting */
};

#define ADMISSION_ANY_GROUP ((size_t)-1)

/*
 * The index of the session to evict among c[0..n-1]: within `group`, or
 * from the largest group that has an evictable session when group is
 * ADMISSION_ANY_GROUP (ties: the one whose candidate made less progress).
 * -1 when nothing there is evictable.
 */
long admission_choose(const struct admission_candidate *c, size_t n, size_t group);

/* True when a made less progress than b (the order described above). */
bool admission_less_progress(const struct admission_candidate *a,
			     const struct admission_candidate *b);

/*
 * The prefix of addr as text, "192.0.2.0/24" or "2001:db8::/64", with v4
 * and v6 prefix lengths (IPv4-mapped IPv6 counts as IPv4).  0, or -1 for
 * another family (out is then "?").
 */
int admission_prefix(const struct sockaddr *addr, unsigned v4, unsigned v6, char *out,
		     size_t outlen);

/*
 * The deadline in ms under pressure: timeout_ms shrunk for `used` of
 * `max` unauthenticated sessions, never below floor_ms nor above
 * timeout_ms.
 */
uint64_t admission_deadline_ms(uint64_t timeout_ms, uint64_t floor_ms, size_t used, size_t max);

#endif
