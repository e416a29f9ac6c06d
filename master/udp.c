/*
 * udp.c - UDP ASSOCIATE in the master: the association's relay socket and
 * the connected socket of each allowed destination; see udp.h.
 *
 * Trust zone: master.  Everything a relay says here is checked against
 * the session table: the session must be this relay's, granted a UDP
 * association, and under its destination bound; the destination is
 * decided with the session's own policy.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "../policy/policy.h"
#include "audit.h"
#include "counters.h"
#include "dns.h"
#include "log.h"
#include "logtext.h"
#include "outbound.h"
#include "request.h"
#include "session.h"
#include "spawn.h"
#include "udp.h"
#include "util.h"

/* Socket buffers of the association's sockets: a burst of full-size
 * datagrams fits (the kernel caps this at net.core.[rw]mem_max). */
#define UDP_SOCKET_BUFFER (1024 * 1024)

struct udp_association {
	unsigned destinations;          /* asked so far (allowed or not) */
	bool have_stats;
	struct ipc_relay_udp_stats stats;
};

/* A name destination being resolved: dns.c calls back with the cookie. */
struct udp_lookup {
	uint64_t cookie;
	uint64_t session_id;
	struct socks5_addr dst;
	struct udp_lookup *next;
};

static struct udp_lookup *lookups;
/* Cookies live apart from session ids (which count up from 1). */
static uint64_t next_cookie = (uint64_t)1 << 63;

static void set_buffers(int fd)
{
	int size = UDP_SOCKET_BUFFER;

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

void udp_associate(struct session *s)
{
	struct sockaddr_storage ss = s->gateway_addr;
	socklen_t len = ss.ss_family == AF_INET ? sizeof(struct sockaddr_in)
		      : ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : 0;
	struct socks5_addr bound;
	char where[SOCKS5_NAME_MAX + 16];
	int fd, err;

	if (len == 0) {
		request_failed(s, SOCKS5_REP_GENERAL_FAILURE, NULL,
			       "the control connection's local address is unknown");
		return;
	}
	s->udp = calloc(1, sizeof(*s->udp));
	if (s->udp == NULL) {
		request_failed(s, SOCKS5_REP_GENERAL_FAILURE, NULL, "out of memory");
		return;
	}
	len = sockaddr_unmap(&ss, len);
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = 0;
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0)
		goto fail;
	set_buffers(fd);
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    socks5_addr_from_sockaddr(&bound, (const struct sockaddr *)&ss) < 0)
		goto fail;
	socks5_addr_format(&bound, where, sizeof(where));
	request_granted(s, fd, where, &bound);
	return;
fail:
	err = errno;
	if (fd >= 0)
		close(fd);
	request_failed(s, SOCKS5_REP_GENERAL_FAILURE, NULL, strerror(err));
}

/* ---- destinations ----------------------------------------------------- */

static void dest_record(const struct session *s, const struct socks5_addr *dst,
			const char *resolved, const char *result, uint8_t rep,
			const struct policy_decision *pd, const char *reason)
{
	char principal[IPC_PRINCIPAL_MAX * 4];
	char target[SOCKS5_NAME_MAX * 4 + 16];
	char where[1100];
	char policy[AUDIT_VALUE_SIZE(1100)];
	char rule[AUDIT_VALUE_SIZE(64)];

	logtext(s->principal, false, principal, sizeof(principal));
	socks5_addr_format(dst, target, sizeof(target));
	policy[0] = rule[0] = '\0';
	if (pd != NULL && pd->file != NULL) {
		snprintf(where, sizeof(where), "%s:%u", pd->file, pd->line);
		audit_value(where, policy, sizeof(policy));
		if (pd->reason != NULL)
			audit_value(pd->reason, rule, sizeof(rule));
	}
	audit_record(rep == SOCKS5_REP_OK ? LOG_INFO : LOG_NOTICE,
		     "event=udp-destination session=%llu principal=%s dst=%s resolved=%s "
		     "result=%s rep=%u%s%s%s%s%s%s",
		     (unsigned long long)s->id, principal, target,
		     resolved != NULL && resolved[0] != '\0' ? resolved : "-", result,
		     (unsigned)rep, policy[0] != '\0' ? " policy=" : "", policy,
		     rule[0] != '\0' ? " rule=" : "", rule,
		     reason != NULL ? " reason=" : "", reason != NULL ? reason : "");
}

static void dest_answer(const struct session *s, const struct socks5_addr *dst,
			uint8_t rep, int fd)
{
	struct ipc_relay_udp_dest_result r;
	struct child *relay = s->relay_slot >= 0 ? child_relay((unsigned)s->relay_slot) : NULL;

	memset(&r, 0, sizeof(r));
	r.session_id = s->id;
	r.rep = rep;
	r.dst = *dst;
	if (relay != NULL && child_usable(relay) &&
	    ipc_send_udp_dest_result(relay->channel, &r, rep == SOCKS5_REP_OK ? fd : -1) < 0)
		child_kill(relay, "cannot send a UDP destination result");
	if (fd >= 0)
		close(fd);
}

/* addrs: the literal address, or every address the name resolved to. */
static void dest_decide(struct session *s, const struct socks5_addr *dst,
			const struct sockaddr_storage *addrs, const socklen_t *lens,
			size_t count)
{
	struct policy_decision pd;
	char resolved[DNS_ADDRESSES_MAX * 50];
	size_t used = 0;
	int fd;

	resolved[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		char one[64];
		int n;

		sockaddr_format((const struct sockaddr *)&addrs[i], one, sizeof(one));
		n = snprintf(resolved + used, sizeof(resolved) - used, "%s%s", i ? "," : "", one);
		if (n < 0 || (size_t)n >= sizeof(resolved) - used)
			break;
		used += (size_t)n;
	}
	for (size_t i = 0; i < count; i++) {
		if (policy_unspecified_destination(&addrs[i])) {
			dest_record(s, dst, resolved, "denied", SOCKS5_REP_NOT_ALLOWED, NULL,
				    "unspecified-destination");
			counters_inc(METRIC_REFUSALS, "udp-destination-unspecified");
			dest_answer(s, dst, SOCKS5_REP_NOT_ALLOWED, -1);
			return;
		}
	}
	pd = policy_decide(s->policy, SOCKS5_CMD_UDP, dst, addrs, count);
	if (!pd.allow) {
		dest_record(s, dst, resolved, "denied", SOCKS5_REP_NOT_ALLOWED, &pd, NULL);
		counters_inc(METRIC_REFUSALS, "udp-destination-policy");
		dest_answer(s, dst, SOCKS5_REP_NOT_ALLOWED, -1);
		return;
	}
	fd = socket(addrs[0].ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)&addrs[0], lens[0]) < 0) {
		int err = errno;
		uint8_t rep = outbound_rep_for_errno(err);

		if (fd >= 0)
			close(fd);
		dest_record(s, dst, resolved, "failed", rep, &pd, strerror(err));
		dest_answer(s, dst, rep, -1);
		return;
	}
	set_buffers(fd);
	dest_record(s, dst, resolved, "allowed", SOCKS5_REP_OK, &pd, NULL);
	dest_answer(s, dst, SOCKS5_REP_OK, fd);
}

static struct session *association_of(uint64_t session_id)
{
	struct session *s = session_find(session_id);

	if (s == NULL || s->udp == NULL || s->phase != SESSION_RELAYING)
		return NULL;
	return s;
}

static void dest_resolved(uint64_t cookie, const char *error, const struct dns_result *result)
{
	struct udp_lookup **pp, *l;
	struct session *s;

	for (pp = &lookups; *pp != NULL && (*pp)->cookie != cookie; pp = &(*pp)->next)
		;
	l = *pp;
	if (l == NULL)
		return;
	*pp = l->next;
	s = association_of(l->session_id);
	if (s != NULL) {
		if (error != NULL) {
			dest_record(s, &l->dst, NULL, "failed", SOCKS5_REP_HOST_UNREACHABLE, NULL,
				    "resolution-failed");
			dest_answer(s, &l->dst, SOCKS5_REP_HOST_UNREACHABLE, -1);
		} else {
			dest_decide(s, &l->dst, result->addr, result->addr_len, result->count);
		}
	}
	free(l);
}

const char *udp_on_dest(struct child *c, const struct ipc_msg *msg, uint64_t *session_id)
{
	struct ipc_relay_udp_dest m;
	struct sockaddr_storage ss;
	socklen_t len;
	struct udp_lookup *l;
	struct session *s;

	*session_id = 0;
	if (ipc_decode_udp_dest(msg, &m) < 0)
		return "malformed RELAY_UDP_DEST";
	*session_id = m.session_id;
	s = session_find(m.session_id);
	if (s == NULL) {
		if (m.session_id == 0 || m.session_id > session_last_id())
			return "UDP destination for a session never handed out";
		return NULL;        /* dropped meanwhile: its relay is told at the end */
	}
	if (s->relay_slot != (int)c->slot)
		return "UDP destination for a session of another relay";
	if (s->udp == NULL || s->phase != SESSION_RELAYING)
		return "UDP destination outside a UDP association";
	if (s->udp->destinations >= IPC_UDP_DESTINATIONS_MAX)
		return "more UDP destinations than an association may have";
	s->udp->destinations++;
	switch (m.dst.atyp) {
	case SOCKS5_ATYP_IPV4:
	case SOCKS5_ATYP_IPV6:
		if (socks5_addr_to_sockaddr(&m.dst, &ss, &len) < 0)
			return "UDP destination that is no address";
		len = sockaddr_unmap(&ss, len);
		dest_decide(s, &m.dst, &ss, &len, 1);
		return NULL;
	case SOCKS5_ATYP_DOMAIN:
		l = calloc(1, sizeof(*l));
		if (l == NULL) {
			dest_answer(s, &m.dst, SOCKS5_REP_GENERAL_FAILURE, -1);
			return NULL;
		}
		l->cookie = next_cookie++;
		l->session_id = s->id;
		l->dst = m.dst;
		l->next = lookups;
		lookups = l;
		/* may answer at once (hosts file, bad name) */
		dns_lookup(m.dst.u.name, m.dst.port, l->cookie, dest_resolved);
		return NULL;
	}
	return "UDP destination of an unknown address type";
}

const char *udp_on_stats(struct child *c, const struct ipc_msg *msg, uint64_t *session_id)
{
	struct ipc_relay_udp_stats m;
	struct session *s;

	*session_id = 0;
	if (ipc_decode_udp_stats(msg, &m) < 0)
		return "malformed RELAY_UDP_STATS";
	*session_id = m.session_id;
	s = session_find(m.session_id);
	if (s == NULL)
		return m.session_id == 0 || m.session_id > session_last_id()
			       ? "UDP counters for a session never handed out" : NULL;
	if (s->relay_slot != (int)c->slot)
		return "UDP counters for a session of another relay";
	if (s->udp == NULL)
		return "UDP counters for a session without an association";
	s->udp->stats = m;
	s->udp->have_stats = true;
	return NULL;
}

void udp_forget(struct session *s)
{
	/* The drops the end record holds, for gssocksctl's counters. */
	if (s->udp != NULL && s->udp->have_stats)
		for (unsigned i = 0; i < IPC_UDP_DROP_COUNT; i++)
			counters_add(METRIC_UDP_DROPS, ipc_udp_drop_name(i),
				     s->udp->stats.dropped[i]);
	/* Lookups in flight find no association when they answer. */
	free(s->udp);
	s->udp = NULL;
}

const char *udp_end_fields(const struct session *s, char *out, size_t outlen)
{
	const struct ipc_relay_udp_stats *st;
	size_t used;
	int n;

	out[0] = '\0';
	if (s->udp == NULL)
		return out;
	st = &s->udp->stats;
	n = snprintf(out, outlen, " datagrams_from_client=%llu datagrams_to_client=%llu "
		     "destinations=%u",
		     (unsigned long long)st->datagrams_from_client,
		     (unsigned long long)st->datagrams_to_client, s->udp->destinations);
	if (n < 0 || (size_t)n >= outlen)
		return out;
	used = (size_t)n;
	for (unsigned i = 0; i < IPC_UDP_DROP_COUNT; i++) {
		n = snprintf(out + used, outlen - used, " dropped_%s=%llu", ipc_udp_drop_name(i),
			     (unsigned long long)st->dropped[i]);
		if (n < 0 || (size_t)n >= outlen - used)
			break;
		used += (size_t)n;
	}
	return out;
}
