/*
 * udp.c - the relay's UDP ASSOCIATE data path; see udp.h for the design.
 *
 * Trust zone: relay worker.  Client datagrams are untrusted network input
 * (parsed through proto/ only); the master's answers are decoded by ipc/.
 * This file creates no socket: the association's socket and each
 * destination's connected socket come from the master.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/util.h"
#include "../proto/gssframe.h"
#include "../proto/socks5.h"
#include "../proto/protection.h"
#include "framepool.h"
#include "session.h"
#include "udp.h"

/* Datagrams waiting for the master's answer about their destination. */
#define UDP_QUEUE_MAX 32
/* Datagrams read per socket and wake-up, so one busy peer cannot starve
 * the others (level-triggered epoll comes back for the rest). */
#define UDP_READS_PER_EVENT 64

enum dest_state { DEST_PENDING, DEST_OPEN, DEST_REFUSED };

struct udp_dest {
	struct watch watch;              /* WATCH_UDP_DEST, owner: the session */
	enum dest_state state;
	uint8_t rep;                     /* the master's refusal */
	struct socks5_addr dst;          /* as the client named it */
	struct socks5_addr peer;         /* the address replies carry */
};

struct udp_queued {
	struct udp_dest *dest;
	size_t len;
	uint8_t *data;
};

struct relay_udp {
	struct watch sock;               /* WATCH_UDP: the association's socket */
	struct sockaddr_storage client;  /* control connection's peer (unmapped) */
	uint16_t client_port;            /* the request's DST.PORT; 0: any */
	struct sockaddr_storage reply_to;/* last good client datagram's source */
	socklen_t reply_to_len;          /* 0: none yet */
	size_t plain_max;                /* SOCKS header + data per datagram */
	bool reply_out;                  /* the TCP reply is sent */
	struct udp_dest dests[IPC_UDP_DESTINATIONS_MAX];
	unsigned ndests;
	struct udp_queued queue[UDP_QUEUE_MAX];
	unsigned nqueued;
	struct ipc_relay_udp_stats stats;
};

static void drop(struct relay_udp *u, enum ipc_udp_drop why)
{
	u->stats.dropped[why]++;
}

/* from is the control connection's peer (and the named port, if any). */
static bool source_allowed(const struct relay_udp *u, struct sockaddr_storage *from)
{
	(void)sockaddr_unmap(from, sizeof(*from));
	return sockaddr_same_host(from, &u->client) &&
	       (u->client_port == 0 || sockaddr_port(from) == u->client_port);
}

static bool addr_equal(const struct socks5_addr *a, const struct socks5_addr *b)
{
	if (a->atyp != b->atyp || a->port != b->port)
		return false;
	switch (a->atyp) {
	case SOCKS5_ATYP_IPV4:
		return memcmp(a->u.ipv4, b->u.ipv4, 4) == 0;
	case SOCKS5_ATYP_IPV6:
		return memcmp(a->u.ipv6, b->u.ipv6, 16) == 0;
	case SOCKS5_ATYP_DOMAIN:
		return strcmp(a->u.name, b->u.name) == 0;
	}
	return false;
}

static struct udp_dest *dest_find(struct relay_udp *u, const struct socks5_addr *dst)
{
	for (unsigned i = 0; i < u->ndests; i++)
		if (addr_equal(&u->dests[i].dst, dst))
			return &u->dests[i];
	return NULL;
}

/* ---- toward destinations ---------------------------------------------- */

static void dest_send(struct relay_session *s, struct udp_dest *d, const uint8_t *data,
		      size_t len)
{
	struct relay_udp *u = s->udp;

	if (send(d->watch.fd, data, len, MSG_DONTWAIT) < 0) {
		drop(u, IPC_UDP_DROP_SEND);
		return;
	}
	u->stats.datagrams_from_client++;
	u->stats.bytes_from_client += len;
}

static void dest_ask(struct relay_session *s, const struct socks5_addr *dst)
{
	struct relay_udp *u = s->udp;
	struct ipc_relay_udp_dest m = { .session_id = s->sid, .dst = *dst };
	struct udp_dest *d;
	char text[SOCKS5_NAME_MAX * 4 + 16];

	if (u->ndests >= IPC_UDP_DESTINATIONS_MAX) {
		drop(u, IPC_UDP_DROP_LIMIT);
		return;
	}
	d = &u->dests[u->ndests++];
	memset(d, 0, sizeof(*d));
	watch_init(&d->watch, WATCH_UDP_DEST, -1, s);
	d->state = DEST_PENDING;
	d->dst = *dst;
	socks5_addr_format(dst, text, sizeof(text));
	log_debug("session %" PRIu64 ": asking for UDP destination %s", s->sid, text);
	if (ipc_send_udp_dest(s->loop->master_fd, &m) < 0)
		fatal("master channel: sending RELAY_UDP_DEST: %m");
}

static void queue_datagram(struct relay_udp *u, struct udp_dest *d, const uint8_t *data,
			   size_t len)
{
	struct udp_queued *q;

	if (u->nqueued >= UDP_QUEUE_MAX) {
		drop(u, IPC_UDP_DROP_LIMIT);
		return;
	}
	q = &u->queue[u->nqueued];
	q->data = malloc(len > 0 ? len : 1);
	if (q->data == NULL) {
		drop(u, IPC_UDP_DROP_LIMIT);
		return;
	}
	memcpy(q->data, data, len);
	q->len = len;
	q->dest = d;
	u->nqueued++;
}

/* The master answered for d: send or drop what waited for it. */
static void queue_release(struct relay_session *s, struct udp_dest *d)
{
	struct relay_udp *u = s->udp;
	unsigned kept = 0;

	for (unsigned i = 0; i < u->nqueued; i++) {
		struct udp_queued *q = &u->queue[i];

		if (q->dest != d) {
			u->queue[kept++] = *q;
			continue;
		}
		if (d->state == DEST_OPEN)
			dest_send(s, d, q->data, q->len);
		else
			drop(u, d->rep == SOCKS5_REP_NOT_ALLOWED ? IPC_UDP_DROP_FORBIDDEN
								 : IPC_UDP_DROP_SEND);
		free(q->data);
	}
	u->nqueued = kept;
}

/* ---- from the client -------------------------------------------------- */

/* One datagram from the association's socket, n octets in buf. */
static void client_datagram(struct relay_session *s, uint8_t *buf, size_t n,
			    struct sockaddr_storage *from, socklen_t fromlen)
{
	struct relay_udp *u = s->udp;
	struct socks5_udp_header h;
	const char *why = NULL;
	uint8_t *plain = buf;
	size_t plain_len = n, used = 0;
	struct udp_dest *d;

	if (!source_allowed(u, from)) {
		drop(u, IPC_UDP_DROP_SOURCE);
		return;
	}
	if (protection_wraps(s->level)) {
		struct gssframe fh;
		size_t frame_used = 0;
		uint32_t supplementary = 0;
		char err[640];

		/* One whole frame filling the datagram, nothing else. */
		if (gssframe_parse(buf, n, &fh, &frame_used) <= 0 || fh.mtyp != GSSFRAME_DATA ||
		    frame_used != n || fh.len == 0) {
			drop(u, IPC_UDP_DROP_TOKEN);
			return;
		}
		if (secwrap_open_datagram(&s->gss, buf + GSSFRAME_HEADER_LEN, fh.len, &plain,
					  &plain_len, &supplementary, err, sizeof(err)) != SECWRAP_OPEN_OK) {
			log_debug("session %" PRIu64 ": datagram dropped: %s", s->sid, err);
			drop(u, IPC_UDP_DROP_TOKEN);
			return;
		}
		/* Reordering and loss are normal on UDP; a duplicate was
		 * forwarded already, and a token older than the replay
		 * window might be one. */
		if (supplementary & (GSS_S_DUPLICATE_TOKEN | GSS_S_OLD_TOKEN)) {
			drop(u, IPC_UDP_DROP_REPLAY);
			return;
		}
	}
	if (socks5_udp_header_parse(plain, plain_len, &h, &used, &why) <= 0) {
		drop(u, IPC_UDP_DROP_MALFORMED);
		return;
	}
	if (h.frag != 0) {
		drop(u, IPC_UDP_DROP_FRAGMENT);
		return;
	}
	memcpy(&u->reply_to, from, sizeof(*from));
	u->reply_to_len = fromlen;
	s->last_activity_ms = s->loop->now_ms;
	d = dest_find(u, &h.dst);
	if (d == NULL) {
		if (u->ndests >= IPC_UDP_DESTINATIONS_MAX) {
			drop(u, IPC_UDP_DROP_LIMIT);
			return;
		}
		dest_ask(s, &h.dst);
		d = dest_find(u, &h.dst);
	}
	switch (d->state) {
	case DEST_PENDING:
		queue_datagram(u, d, plain + used, plain_len - used);
		break;
	case DEST_OPEN:
		dest_send(s, d, plain + used, plain_len - used);
		break;
	case DEST_REFUSED:
		drop(u, d->rep == SOCKS5_REP_NOT_ALLOWED ? IPC_UDP_DROP_FORBIDDEN
							 : IPC_UDP_DROP_SEND);
		break;
	}
}

/* Datagrams are handled one at a time, each in a frame buffer from the
 * worker's pool that goes back once the batch is read (datagrams that
 * wait for a destination are copied into the queue). */
static void client_readable(struct relay_session *s)
{
	struct relay_udp *u = s->udp;
	uint8_t *in = framepool_take();

	if (in == NULL)
		return;         /* logged; the datagrams wait in the socket */
	for (int i = 0; i < UDP_READS_PER_EVENT && s->state != SESSION_CLOSING; i++) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t n;

		memset(&from, 0, sizeof(from));
		n = recvfrom(u->sock.fd, in, SECWRAP_FRAME_MAX, MSG_DONTWAIT | MSG_TRUNC,
			     (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			/* An ICMP error about an earlier reply: not fatal. */
			continue;
		}
		if ((size_t)n > SECWRAP_FRAME_MAX) {
			drop(u, IPC_UDP_DROP_TOKEN);
			continue;
		}
		client_datagram(s, in, (size_t)n, &from, fromlen);
	}
	framepool_give(&in);
}

/* ---- toward the client ------------------------------------------------ */

static size_t header_len(const struct socks5_addr *a)
{
	return 4 + (a->atyp == SOCKS5_ATYP_IPV6 ? 16 : 4) + 2;
}

static void dest_readable(struct relay_session *s, struct udp_dest *d)
{
	struct relay_udp *u = s->udp;
	size_t hlen = header_len(&d->peer), offset = s->gss.data_offset, frame_len;
	uint8_t *out = framepool_take();
	char err[640];

	if (out == NULL)
		return;         /* logged; the datagrams wait in the socket */
	for (int i = 0; i < UDP_READS_PER_EVENT; i++) {
		struct socks5_udp_header h = { .frag = 0, .dst = d->peer };
		size_t room = u->plain_max - hlen;
		struct wbuf wb;
		ssize_t n;

		n = recv(d->watch.fd, out + offset + hlen, room, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			continue;       /* ECONNREFUSED and the like: ICMP news */
		}
		if ((size_t)n > room) {
			drop(u, IPC_UDP_DROP_SIZE);
			continue;
		}
		if (u->reply_to_len == 0) {
			drop(u, IPC_UDP_DROP_SEND);
			continue;
		}
		s->last_activity_ms = s->loop->now_ms;
		wbuf_init(&wb, out + offset, hlen);
		if (socks5_udp_header_put(&wb, &h) < 0 || wb.len != hlen) {
			drop(u, IPC_UDP_DROP_SIZE);
			continue;
		}
		if (secwrap_seal(&s->gss, out, SECWRAP_FRAME_MAX, hlen + (size_t)n, &frame_len, err,
				 sizeof(err)) < 0) {
			log_warn("session %" PRIu64 ": wrapping a datagram: %s", s->sid, err);
			drop(u, IPC_UDP_DROP_SIZE);
			continue;
		}
		if (sendto(u->sock.fd, out, frame_len, MSG_DONTWAIT,
			   (const struct sockaddr *)&u->reply_to, u->reply_to_len) < 0) {
			drop(u, IPC_UDP_DROP_SEND);
			continue;
		}
		u->stats.datagrams_to_client++;
		u->stats.bytes_to_client += (uint64_t)n;
	}
	framepool_give(&out);
}

/* ---- the control connection ------------------------------------------ */

/* Returns an end reason, or 0 to go on. */
static uint8_t control_readable(struct relay_session *s)
{
	uint8_t sink[512];
	ssize_t n;

	for (;;) {
		n = recv(s->client.fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (n == 0)
			return IPC_END_CLIENT_CLOSE;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
				       ? 0 : IPC_END_IO_ERROR;
		/* Nothing is to come after the request (RFC 1928 section 7:
		 * the connection only marks the association's life). */
		log_info("session %" PRIu64 ": octets on a UDP control connection", s->sid);
		return IPC_END_PROTOCOL_ERROR;
	}
}

/* Flush the TCP reply; returns an end reason, or 0. */
static uint8_t reply_flush(struct relay_session *s)
{
	while (s->to_client_off < s->to_client_end) {
		ssize_t n = send(s->client.fd, s->to_client_buf + s->to_client_off,
				 s->to_client_end - s->to_client_off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return 0;
			return IPC_END_IO_ERROR;
		}
		s->to_client_off += (size_t)n;
	}
	s->udp->reply_out = true;
	s->reply_in_flight = false;
	return 0;
}

void udp_update_interest(struct relay_session *s)
{
	struct relay_udp *u = s->udp;

	session_release_buffers(s);     /* the reply's, once it is out */
	bool ok = true;

	if (s->state == SESSION_CLOSING)
		return;
	ok = watch_interest(s->loop, &s->client, u->reply_out ? EPOLLIN : EPOLLIN | EPOLLOUT) == 0;
	ok = ok && watch_interest(s->loop, &u->sock, u->reply_out ? EPOLLIN : 0) == 0;
	for (unsigned i = 0; ok && i < u->ndests; i++)
		ok = watch_interest(s->loop, &u->dests[i].watch,
				    u->dests[i].state == DEST_OPEN ? EPOLLIN : 0) == 0;
	if (!ok) {
		log_warn("session %" PRIu64 ": cannot watch its sockets: %m", s->sid);
		session_end(s, IPC_END_IO_ERROR);
	}
}

void udp_on_event(struct relay_session *s, struct watch *w, uint32_t events)
{
	uint8_t reason = 0;

	switch (w->kind) {
	case WATCH_CLIENT:
		if (events & EPOLLOUT)
			reason = reply_flush(s);
		if (reason == 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			reason = control_readable(s);
		break;
	case WATCH_UDP:
		client_readable(s);
		break;
	case WATCH_UDP_DEST:
		dest_readable(s, (struct udp_dest *)(void *)((char *)w -
							      offsetof(struct udp_dest, watch)));
		break;
	default:
		break;
	}
	if (s->state == SESSION_CLOSING)
		return;
	if (reason != 0) {
		session_end(s, reason);
		return;
	}
	udp_update_interest(s);
}

void udp_start(struct relay_session *s, const struct ipc_relay_request_result *r, int sock)
{
	struct relay_udp *u;
	socklen_t len;
	char err[640];
	uint8_t reason;

	u = calloc(1, sizeof(*u));
	if (u == NULL) {
		log_err("session %" PRIu64 ": out of memory for a UDP association", s->sid);
		close_fd(&sock);
		session_end(s, IPC_END_IO_ERROR);
		return;
	}
	s->udp = u;
	u->stats.session_id = s->sid;
	watch_init(&u->sock, WATCH_UDP, sock, s);
	u->client_port = s->request_dst.port;
	len = sizeof(u->client);
	if (fd_set_nonblock(sock) < 0 ||
	    getpeername(s->client.fd, (struct sockaddr *)&u->client, &len) < 0) {
		log_warn("session %" PRIu64 ": UDP association: %m", s->sid);
		session_end(s, IPC_END_IO_ERROR);
		return;
	}
	(void)sockaddr_unmap(&u->client, len);
	/* A datagram holds one frame: header and token within 65507. */
	if (secwrap_size_limit(&s->gss, protection_wraps(s->level)
					? UDP_DATAGRAM_MAX - GSSFRAME_HEADER_LEN : UDP_DATAGRAM_MAX,
			       &u->plain_max, err, sizeof(err)) < 0 ||
	    u->plain_max <= 22 || u->plain_max > s->gss.chunk_max) {
		log_warn("session %" PRIu64 ": UDP association: no datagram size (%s)", s->sid,
			 err);
		session_end(s, IPC_END_IO_ERROR);
		return;
	}
	if (session_queue_reply(s, SOCKS5_REP_OK, &r->bound) < 0) {
		session_end(s, IPC_END_IO_ERROR);
		return;
	}
	session_start_relaying(s, r);
	log_info("session %" PRIu64 ": UDP association, %zu octets per datagram", s->sid,
		 u->plain_max);
	reason = reply_flush(s);
	if (reason != 0) {
		session_end(s, reason);
		return;
	}
	udp_update_interest(s);
}

void udp_on_dest_result(struct relay_loop *loop, const struct ipc_relay_udp_dest_result *r,
			int fd)
{
	struct relay_session *s = session_find(loop, r->session_id);
	struct udp_dest *d;
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);

	if (s == NULL || s->udp == NULL || s->state == SESSION_CLOSING) {
		close_fd(&fd);      /* ended meanwhile */
		return;
	}
	d = dest_find(s->udp, &r->dst);
	if (d == NULL || d->state != DEST_PENDING)
		fatal("master answered a UDP destination session %" PRIu64 " did not ask for",
		      r->session_id);
	if (r->rep != SOCKS5_REP_OK) {
		d->state = DEST_REFUSED;
		d->rep = r->rep;
	} else if (fd_set_nonblock(fd) < 0 ||
		   getpeername(fd, (struct sockaddr *)&peer, &len) < 0 ||
		   ((void)sockaddr_unmap(&peer, len), socks5_addr_from_sockaddr(&d->peer,
							    (const struct sockaddr *)&peer)) < 0) {
		log_warn("session %" PRIu64 ": UDP destination socket: %m", s->sid);
		close_fd(&fd);
		d->state = DEST_REFUSED;
		d->rep = SOCKS5_REP_GENERAL_FAILURE;
	} else {
		d->watch.fd = fd;
		d->state = DEST_OPEN;
	}
	queue_release(s, d);
	udp_update_interest(s);
}

void udp_finish(struct relay_session *s, struct ipc_relay_udp_stats *stats)
{
	struct relay_udp *u = s->udp;

	if (u == NULL)
		return;
	(void)watch_interest(s->loop, &u->sock, 0);
	close_fd(&u->sock.fd);
	for (unsigned i = 0; i < u->ndests; i++) {
		(void)watch_interest(s->loop, &u->dests[i].watch, 0);
		close_fd(&u->dests[i].watch.fd);
	}
	/* Still waiting for the master's answer: never sent. */
	for (unsigned i = 0; i < u->nqueued; i++) {
		free(u->queue[i].data);
		drop(u, IPC_UDP_DROP_SEND);
	}
	*stats = u->stats;
	s->bytes_from_client = u->stats.bytes_from_client;
	s->bytes_to_client = u->stats.bytes_to_client;
	free(u);
	s->udp = NULL;
}
