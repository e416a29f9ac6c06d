/*
 * udp.c - a local program's UDP ASSOCIATE through the gateway; see udp.h.
 *
 * Trust zone: client, in the per-connection child.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "diag.h"
#include "udp.h"
#include "util.h"

/* The largest IPv4 UDP payload; a frame's token is 4 octets less. */
#define UDP_DATAGRAM_MAX 65507u

enum drop { DROP_SOURCE, DROP_TOKEN, DROP_REPLAY, DROP_FRAGMENT, DROP_MALFORMED,
	    DROP_SIZE, DROP_SEND, DROP_COUNT };
static const char *const drop_names[DROP_COUNT] = {
	"source", "token", "replay", "fragment", "malformed", "size", "send",
};

struct association {
	struct gateway_session *gs;
	int local;                          /* UDP socket the local program uses */
	int gateway;                        /* UDP socket connected to the relay */
	struct sockaddr_storage app;        /* local program's address (unmapped) */
	uint16_t app_port;                  /* its request's port; 0: any */
	struct sockaddr_storage reply_to;   /* its last good datagram's source */
	socklen_t reply_to_len;             /* 0: none yet */
	size_t plain_max;                   /* SOCKS header + data per datagram */
	unsigned long long to_gateway, from_gateway;
	unsigned long long dropped[DROP_COUNT];
	uint8_t buf[UDP_DATAGRAM_MAX + 1];
	uint8_t frame[SECWRAP_FRAME_MAX];   /* one wrapped datagram to send */
};

/* A UDP socket bound to near's address with port 0; its address in *bound. */
static int bound_socket(int near_fd, bool peer, struct sockaddr_storage *bound,
			socklen_t *bound_len)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd;

	if ((peer ? getpeername(near_fd, (struct sockaddr *)&ss, &len)
		  : getsockname(near_fd, (struct sockaddr *)&ss, &len)) < 0)
		return -1;
	len = sockaddr_unmap(&ss, len);
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = 0;
	else if (ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&ss)->sin6_port = 0;
	else {
		errno = EAFNOSUPPORT;
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		close_fd(&fd);
		return -1;
	}
	*bound_len = sizeof(*bound);
	if (getsockname(fd, (struct sockaddr *)bound, bound_len) < 0) {
		close_fd(&fd);
		return -1;
	}
	return fd;
}

static bool relay_unspecified(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
	return false;
}

/* One datagram from the local program: check it, wrap it, send it on. */
static void from_local(struct association *a)
{
	struct gateway_session *gs = a->gs;
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	struct socks5_udp_header h;
	const char *why = NULL;
	size_t used = 0;
	ssize_t n;

	memset(&from, 0, sizeof(from));
	n = recvfrom(a->local, a->buf, sizeof(a->buf), MSG_DONTWAIT | MSG_TRUNC,
		     (struct sockaddr *)&from, &fromlen);
	if (n < 0)
		return;
	(void)sockaddr_unmap(&from, fromlen);
	if (!sockaddr_same_host(&from, &a->app) ||
	    (a->app_port != 0 && sockaddr_port(&from) != a->app_port)) {
		a->dropped[DROP_SOURCE]++;
		return;
	}
	if ((size_t)n > a->plain_max) {
		a->dropped[DROP_SIZE]++;
		return;
	}
	if (socks5_udp_header_parse(a->buf, (size_t)n, &h, &used, &why) <= 0) {
		a->dropped[DROP_MALFORMED]++;
		return;
	}
	if (h.frag != 0) {
		a->dropped[DROP_FRAGMENT]++;
		return;
	}
	memcpy(&a->reply_to, &from, sizeof(from));
	a->reply_to_len = fromlen;
	if (gs->level == GSS_LEVEL_CLEAR) {
		if (send(a->gateway, a->buf, (size_t)n, MSG_DONTWAIT) < 0)
			a->dropped[DROP_SEND]++;
		else
			a->to_gateway++;
		return;
	}
	{
		/* Sealed in a frame of our own (secwrap.h); with the fast path
		 * the sequence numbers go on from the request's, and the
		 * gateway checks datagrams with its own replay window. */
		struct secwrap *w = &gs->prot;
		size_t frame_len = 0;
		char err[512];

		if ((size_t)n > w->chunk_max || w->data_offset > sizeof(a->frame) - (size_t)n) {
			a->dropped[DROP_SIZE]++;
			return;
		}
		memcpy(a->frame + w->data_offset, a->buf, (size_t)n);
		if (secwrap_seal(w, a->frame, sizeof(a->frame), (size_t)n, &frame_len, err,
				 sizeof(err)) < 0) {
			diag_fail("wrapping a datagram: %s", err);
			a->dropped[DROP_SIZE]++;
			return;
		}
		if (frame_len > UDP_DATAGRAM_MAX) {
			a->dropped[DROP_SIZE]++;
			return;
		}
		if (send(a->gateway, a->frame, frame_len, MSG_DONTWAIT) < 0)
			a->dropped[DROP_SEND]++;
		else
			a->to_gateway++;
	}
}

/* One datagram from the gateway's relay: unwrap it, hand it to the program. */
static void from_gateway(struct association *a)
{
	struct gateway_session *gs = a->gs;
	uint32_t supplementary = 0;
	struct gssframe frame;
	size_t used = 0, plain_len = 0;
	uint8_t *plain = NULL;
	char err[512];
	ssize_t n;

	n = recv(a->gateway, a->buf, sizeof(a->buf), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0)
		return;                 /* ICMP news about an earlier datagram */
	if ((size_t)n > sizeof(a->buf)) {
		a->dropped[DROP_SIZE]++;
		return;
	}
	if (a->reply_to_len == 0) {
		a->dropped[DROP_SEND]++;
		return;
	}
	if (gs->level == GSS_LEVEL_CLEAR) {
		if (sendto(a->local, a->buf, (size_t)n, MSG_DONTWAIT,
			   (struct sockaddr *)&a->reply_to, a->reply_to_len) < 0)
			a->dropped[DROP_SEND]++;
		else
			a->from_gateway++;
		return;
	}
	if (gssframe_parse(a->buf, (size_t)n, &frame, &used) <= 0 ||
	    frame.mtyp != GSSFRAME_DATA || used != (size_t)n || frame.len == 0) {
		a->dropped[DROP_TOKEN]++;
		return;
	}
	/* secwrap_open_datagram (as the relay's UDP path): reordering and
	 * loss are normal on UDP, so the order bits do not fail it; a
	 * duplicate was delivered already and a token older than the replay
	 * window may be one.  With the fast path the context's own receive
	 * state was left before the reply, so the first datagram is a gap
	 * (accepted).  The plaintext ends up in a->buf. */
	if (secwrap_open_datagram(&gs->prot, a->buf + GSSFRAME_HEADER_LEN, frame.len, &plain,
				  &plain_len, &supplementary, err,
				  sizeof(err)) != SECWRAP_OPEN_OK) {
		a->dropped[DROP_TOKEN]++;
		return;
	}
	if (supplementary & (GSS_S_DUPLICATE_TOKEN | GSS_S_OLD_TOKEN)) {
		a->dropped[DROP_REPLAY]++;
		return;
	}
	if (sendto(a->local, plain, plain_len, MSG_DONTWAIT,
		   (struct sockaddr *)&a->reply_to, a->reply_to_len) < 0)
		a->dropped[DROP_SEND]++;
	else
		a->from_gateway++;
}

/* A TCP connection that must stay silent: 1 when it ended (or spoke). */
static int control_ended(int fd)
{
	uint8_t sink[256];
	ssize_t n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	return 1;
}

static int relay(struct association *a, struct local_peer *lp)
{
	for (;;) {
		struct pollfd p[4] = {
			{ .fd = a->local, .events = POLLIN },
			{ .fd = a->gateway, .events = POLLIN },
			{ .fd = lp->fd, .events = POLLIN | POLLRDHUP },
			{ .fd = a->gs->fd, .events = POLLIN | POLLRDHUP },
		};

		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			diag_fail("UDP ASSOCIATE: poll: %s", strerror(errno));
			return 1;
		}
		if (p[0].revents & POLLIN)
			from_local(a);
		if (p[1].revents & (POLLIN | POLLERR))
			from_gateway(a);
		if (p[2].revents != 0 && control_ended(lp->fd)) {
			diag_step("UDP ASSOCIATE: the local program closed its connection");
			return 0;
		}
		if (p[3].revents != 0 && control_ended(a->gs->fd)) {
			diag_fail("UDP ASSOCIATE: the gateway ended the association");
			return 1;
		}
	}
}

int udp_serve(struct local_peer *lp, const struct gateway_config *cfg,
	      const struct socks5_request *req)
{
	static struct association a;
	struct gateway_session gs;
	struct socks5_request ask = { .cmd = SOCKS5_CMD_UDP };
	struct socks5_reply rep;
	struct socks5_addr local_bnd;
	struct sockaddr_storage ours, relay_addr;
	socklen_t ours_len, relay_len, app_len = sizeof(a.app);
	int status = 1;

	memset(&a, 0, sizeof(a));
	a.local = a.gateway = -1;
	a.gs = &gs;
	gateway_session_init(&gs);
	if (gateway_open(cfg, &gs) < 0) {
		local_send_reply(lp, SOCKS5_REP_GENERAL_FAILURE, NULL);
		return 1;
	}
	/* Our UDP socket toward the gateway, named in the request so that the
	 * gateway takes datagrams from this port only. */
	a.gateway = bound_socket(gs.fd, false, &ours, &ours_len);
	if (a.gateway < 0 || socks5_addr_from_sockaddr(&ask.dst, (struct sockaddr *)&ours) < 0) {
		diag_fail("UDP ASSOCIATE: a UDP socket toward the gateway: %s", strerror(errno));
		goto fail;
	}
	if (gateway_request(&gs, &ask, &rep) < 0)
		goto fail;
	if (rep.rep != SOCKS5_REP_OK) {
		diag_fail("UDP ASSOCIATE: gateway replied: %s", socks5_rep_name(rep.rep));
		local_send_reply(lp, rep.rep, NULL);
		goto out;
	}
	if (socks5_addr_to_sockaddr(&rep.bnd, &relay_addr, &relay_len) < 0) {
		diag_fail("UDP ASSOCIATE: the gateway's relay address is no address");
		goto fail;
	}
	relay_len = sockaddr_unmap(&relay_addr, relay_len);
	if (relay_unspecified(&relay_addr)) {
		/* "Where you reached me": the gateway's own address, its port. */
		uint16_t port = sockaddr_port(&relay_addr);

		relay_len = sizeof(relay_addr);
		if (getpeername(gs.fd, (struct sockaddr *)&relay_addr, &relay_len) < 0)
			goto fail;
		relay_len = sockaddr_unmap(&relay_addr, relay_len);
		if (relay_addr.ss_family == AF_INET)
			((struct sockaddr_in *)&relay_addr)->sin_port = htons(port);
		else
			((struct sockaddr_in6 *)&relay_addr)->sin6_port = htons(port);
	}
	if (connect(a.gateway, (struct sockaddr *)&relay_addr, relay_len) < 0) {
		diag_fail("UDP ASSOCIATE: the gateway's relay address: %s", strerror(errno));
		goto fail;
	}
	/* The local program's side: where it connected to us, port 0. */
	a.local = bound_socket(lp->fd, false, &ours, &ours_len);
	if (a.local < 0 || socks5_addr_from_sockaddr(&local_bnd, (struct sockaddr *)&ours) < 0 ||
	    getpeername(lp->fd, (struct sockaddr *)&a.app, &app_len) < 0) {
		diag_fail("UDP ASSOCIATE: a local UDP socket: %s", strerror(errno));
		goto fail;
	}
	(void)sockaddr_unmap(&a.app, app_len);
	a.app_port = req->dst.port;
	if (gs.level == GSS_LEVEL_CLEAR) {
		a.plain_max = UDP_DATAGRAM_MAX;
	} else {
		char err[512];

		if (secwrap_size_limit(&gs.prot, UDP_DATAGRAM_MAX - GSSFRAME_HEADER_LEN,
				       &a.plain_max, err, sizeof(err)) < 0) {
			diag_fail("UDP ASSOCIATE: %s", err);
			goto fail;
		}
	}
	if (local_send_reply(lp, SOCKS5_REP_OK, &local_bnd) < 0)
		goto out;
	alarm(0);
	diag_step("UDP ASSOCIATE: relaying datagrams, at most %zu octets each", a.plain_max);
	status = relay(&a, lp);
	if (diag_verbose()) {
		char line[512];
		size_t off = 0;

		off += (size_t)snprintf(line, sizeof(line), "datagrams to_gateway=%llu "
					"from_gateway=%llu", a.to_gateway, a.from_gateway);
		for (unsigned i = 0; i < DROP_COUNT && off < sizeof(line); i++)
			off += (size_t)snprintf(line + off, sizeof(line) - off, " dropped_%s=%llu",
						drop_names[i], a.dropped[i]);
		diag_step("UDP ASSOCIATE ended: %s", line);
	}
	goto out;
fail:
	local_send_reply(lp, SOCKS5_REP_GENERAL_FAILURE, NULL);
out:
	close_fd(&a.local);
	close_fd(&a.gateway);
	gateway_close(&gs);
	return status;
}
