/*
 * outbound.c - non-blocking connects to the destination; see outbound.h.
 *
 * Trust zone: master.  The sockets made here are the only network sockets
 * a relay ever gets; each is created after request_decide() allowed it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns.h"
#include "event.h"
#include "log.h"
#include "master.h"
#include "outbound.h"
#include "request.h"
#include "session.h"
#include "util.h"

#define ADDRESS_TEXT_MAX 64

struct outbound {
	struct sockaddr_storage addr[DNS_ADDRESSES_MAX];
	socklen_t addr_len[DNS_ADDRESSES_MAX];
	size_t count;
	size_t next;                   /* next address to try */
	int fd;                        /* attempt in progress, -1 if none */
	int last_errno;
	char last_tried[ADDRESS_TEXT_MAX];
};

uint8_t outbound_rep_for_errno(int err)
{
	switch (err) {
	case ECONNREFUSED: return SOCKS5_REP_REFUSED;
	case ENETUNREACH: return SOCKS5_REP_NET_UNREACHABLE;
	case EHOSTUNREACH:
	case ETIMEDOUT: return SOCKS5_REP_HOST_UNREACHABLE;
	default: return SOCKS5_REP_GENERAL_FAILURE;
	}
}

static void outbound_try_next(struct session *s);

static void outbound_event(int fd, uint32_t events, void *ctx)
{
	struct session *s = ctx;
	struct outbound *ob = s->outbound;
	int err = 0;
	socklen_t errlen = sizeof(err);

	if (ob == NULL || ob->fd != fd)
		bug("outbound: event for fd %d that is not the attempt", fd);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) < 0)
		err = errno;
	if (err == 0 && !(events & EPOLLOUT))
		err = ECONNABORTED;
	event_remove(fd);
	if (err == 0) {
		ob->fd = -1;
		request_connected(s, fd, ob->last_tried);
		return;
	}
	close_fd(&ob->fd);
	ob->last_errno = err;
	log_debug("session=%llu connect %s: %s", (unsigned long long)s->id, ob->last_tried,
		  strerror(err));
	outbound_try_next(s);
}

/* Try addresses from ob->next on until one is in progress or all failed. */
static void outbound_try_next(struct session *s)
{
	struct outbound *ob = s->outbound;

	while (ob->next < ob->count) {
		const struct sockaddr *sa = (const struct sockaddr *)&ob->addr[ob->next];
		socklen_t salen = ob->addr_len[ob->next];
		int fd;

		ob->next++;
		sockaddr_format(sa, ob->last_tried, sizeof(ob->last_tried));
		fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			ob->last_errno = errno;
			continue;
		}
		if (connect(fd, sa, salen) == 0) {
			request_connected(s, fd, ob->last_tried);
			return;
		}
		if (errno == EINPROGRESS) {
			if (event_add(fd, EPOLLOUT, outbound_event, s) < 0) {
				ob->last_errno = errno;
				close(fd);
				continue;
			}
			ob->fd = fd;
			return;
		}
		ob->last_errno = errno;
		log_debug("session=%llu connect %s: %s", (unsigned long long)s->id,
			  ob->last_tried, strerror(ob->last_errno));
		close(fd);
	}
	request_failed(s, outbound_rep_for_errno(ob->last_errno), ob->last_tried,
		       strerror(ob->last_errno));
}

static void outbound_resolved(uint64_t session_id, const char *error,
			      const struct dns_result *result)
{
	struct session *s = session_find(session_id);
	struct outbound *ob;

	/* Dropped, timed out or answered while the lookup ran. */
	if (s == NULL || s->phase != SESSION_REQUESTED || s->outbound == NULL)
		return;
	ob = s->outbound;
	if (error != NULL) {
		request_failed(s, SOCKS5_REP_HOST_UNREACHABLE, NULL, error);
		return;
	}
	for (size_t i = 0; i < result->count && i < DNS_ADDRESSES_MAX; i++) {
		ob->addr[i] = result->addr[i];
		ob->addr_len[i] = result->addr_len[i];
	}
	ob->count = result->count;
	ob->next = 0;
	request_resolved(s);
}

size_t outbound_addresses(const struct session *s, const struct sockaddr_storage **addrs)
{
	if (s->outbound == NULL) {
		*addrs = NULL;
		return 0;
	}
	*addrs = s->outbound->addr;
	return s->outbound->count;
}

void outbound_connect(struct session *s)
{
	if (s->outbound == NULL)
		bug("outbound_connect: session=%llu has nothing resolved",
		    (unsigned long long)s->id);
	s->outbound->next = 0;
	outbound_try_next(s);
}

void outbound_resolve(struct session *s)
{
	struct outbound *ob;
	const struct socks5_addr *dst = &s->request.dst;

	ob = calloc(1, sizeof(*ob));
	if (ob == NULL) {
		request_failed(s, SOCKS5_REP_GENERAL_FAILURE, NULL, "out of memory");
		return;
	}
	ob->fd = -1;
	ob->last_errno = EHOSTUNREACH;
	s->outbound = ob;
	session_set_phase(s, SESSION_REQUESTED,
			  monotonic_ms() + (uint64_t)master_cfg->connect_timeout * 1000u);
	switch (dst->atyp) {
	case SOCKS5_ATYP_IPV4:
	case SOCKS5_ATYP_IPV6:
		if (socks5_addr_to_sockaddr(dst, &ob->addr[0], &ob->addr_len[0]) < 0) {
			request_failed(s, SOCKS5_REP_ATYP_UNSUPPORTED, NULL, "bad address");
			return;
		}
		ob->count = 1;
		request_resolved(s);
		return;
	case SOCKS5_ATYP_DOMAIN:
		/* may answer at once (hosts file, bad name): nothing may follow */
		dns_lookup(dst->u.name, dst->port, s->id, outbound_resolved);
		return;
	default:
		request_failed(s, SOCKS5_REP_ATYP_UNSUPPORTED, NULL, "address type not supported");
		return;
	}
}

void outbound_timeout(struct session *s)
{
	struct outbound *ob = s->outbound;

	if (ob == NULL)
		return;
	request_failed(s, SOCKS5_REP_HOST_UNREACHABLE, ob->last_tried[0] ? ob->last_tried : NULL,
		       "connect timeout");
}

void outbound_cancel(struct session *s)
{
	struct outbound *ob = s->outbound;

	if (ob == NULL)
		return;
	if (ob->fd >= 0) {
		event_remove(ob->fd);
		close_fd(&ob->fd);
	}
	free(ob);
	s->outbound = NULL;
}
