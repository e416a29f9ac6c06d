/*
 * session.c - a relay session's life: start from authproc's hand-over,
 * read and forward the request, apply the master's answer, watch the
 * timeouts, end with one SESSION_END record.
 *
 * Trust zone: relay worker.  The client is untrusted: a bad request earns
 * a refusal reply where RFC 1928 has one, then the end of that session
 * only.  The request goes to the master as parsed fields, never as raw
 * bytes; the master decides with the principal authproc reported, not with
 * anything the relay says (invariant 4).
 *
 * Sessions live on one list (for the timeout sweep) and in a hash by
 * session id (for the master's answers); ended sessions wait on the dead
 * list until the current batch of epoll events is done.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "../common/kcrypto.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../proto/protection.h"
#include "../proto/socks5.h"
#include "bind.h"
#include "framepool.h"
#include "request.h"
#include "session.h"
#include "udp.h"

static struct relay_session **bucket_of(struct relay_loop *loop, uint64_t sid)
{
	return &loop->buckets[sid % SESSION_BUCKETS];
}

static void session_link(struct relay_session *s)
{
	struct relay_loop *loop = s->loop;
	struct relay_session **b = bucket_of(loop, s->sid);

	s->prev = NULL;
	s->next = loop->sessions;
	if (loop->sessions != NULL)
		loop->sessions->prev = s;
	loop->sessions = s;
	s->hash_next = *b;
	*b = s;
	loop->session_count++;
}

static void session_unlink(struct relay_session *s)
{
	struct relay_loop *loop = s->loop;
	struct relay_session **b = bucket_of(loop, s->sid);

	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		loop->sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	for (; *b != NULL; b = &(*b)->hash_next) {
		if (*b == s) {
			*b = s->hash_next;
			break;
		}
	}
	loop->session_count--;
}

struct relay_session *session_find(struct relay_loop *loop, uint64_t sid)
{
	struct relay_session *s;

	for (s = *bucket_of(loop, sid); s != NULL; s = s->hash_next)
		if (s->sid == sid)
			return s;
	return NULL;
}

static void send_session_end(struct relay_loop *loop, uint64_t sid, uint64_t from_client,
			     uint64_t to_client, uint8_t reason)
{
	struct ipc_relay_session_end m = {
		.session_id = sid,
		.bytes_from_client = from_client,
		.bytes_to_client = to_client,
		.reason = reason,
	};

	if (loop->master_gone)
		return;
	if (ipc_send_session_end(loop->master_fd, &m) < 0)
		fatal("master channel: sending SESSION_END: %m");
}

/*
 * A live session's sockets reset on close (session_on_result), and so they
 * do when this worker dies: then the kernel closes them and both peers see
 * a reset, never an end of file that looks complete (invariant 7).  Only
 * an orderly end, each direction's end of file passed on with every byte,
 * clears that, so the FIN follows the last byte; every other end (an
 * error, a timeout, max-duration, shutdown) resets both peers.
 */
static void session_close_sockets(struct relay_session *s)
{
	if (s->state == SESSION_RELAY && s->client_shut && s->target_shut) {
		(void)sock_set_reset_on_close(s->client.fd, false);
		(void)sock_set_reset_on_close(s->target.fd, false);
	}
	close_fd(&s->client.fd);
	close_fd(&s->target.fd);
	close_fd(&s->pending_fd);
}

void session_end(struct relay_session *s, uint8_t reason)
{
	struct relay_loop *loop = s->loop;

	if (s->state == SESSION_CLOSING)
		return;
	struct ipc_relay_udp_stats udp_stats;
	bool udp = s->udp != NULL;

	(void)watch_interest(loop, &s->client, 0);
	(void)watch_interest(loop, &s->target, 0);
	if (udp)
		udp_finish(s, &udp_stats);
	session_close_sockets(s);
	secwrap_release(&s->gss);
	framepool_give(&s->from_client_buf);
	iobuf_init(&s->from_client, NULL, 0);
	framepool_give(&s->to_client_buf);
	s->to_client_off = s->to_client_end = 0;
	s->to_target = NULL;
	s->to_target_len = 0;
	session_unlink(s);
	s->state = SESSION_CLOSING;
	log_debug("session %" PRIu64 " ended: reason=%s from_client=%" PRIu64
		  " to_client=%" PRIu64, s->sid, ipc_end_reason_name(reason),
		  s->bytes_from_client, s->bytes_to_client);
	if (udp && !loop->master_gone && ipc_send_udp_stats(loop->master_fd, &udp_stats) < 0)
		fatal("master channel: sending RELAY_UDP_STATS: %m");
	send_session_end(loop, s->sid, s->bytes_from_client, s->bytes_to_client, reason);
	s->dead_next = loop->dead;
	loop->dead = s;
}

void session_reap(struct relay_loop *loop)
{
	struct relay_session *s;

	while ((s = loop->dead) != NULL) {
		loop->dead = s->dead_next;
		free(s);
		memory_freed();
	}
}

int session_take_in(struct relay_session *s)
{
	if (s->from_client_buf != NULL)
		return 0;
	s->from_client_buf = framepool_take();
	if (s->from_client_buf == NULL)
		return -1;
	iobuf_init(&s->from_client, s->from_client_buf, SECWRAP_FRAME_MAX);
	return 0;
}

int session_take_out(struct relay_session *s)
{
	if (s->to_client_buf != NULL)
		return 0;
	s->to_client_buf = framepool_take();
	return s->to_client_buf != NULL ? 0 : -1;
}

void session_release_buffers(struct relay_session *s)
{
	if (s->from_client_buf != NULL && iobuf_used(&s->from_client) == 0 &&
	    s->to_target_len == 0) {
		s->to_target = NULL;
		framepool_give(&s->from_client_buf);
		iobuf_init(&s->from_client, NULL, 0);
	}
	if (s->to_client_buf != NULL && s->to_client_end == s->to_client_off) {
		s->to_client_off = s->to_client_end = 0;
		framepool_give(&s->to_client_buf);
	}
}

void session_update_interest(struct relay_session *s)
{
	uint32_t client = 0, target = 0;
	bool to_client_pending = s->to_client_end > s->to_client_off;

	session_release_buffers(s);
	if (s->udp != NULL) {
		udp_update_interest(s);
		return;
	}
	switch (s->state) {
	case SESSION_READ_REQUEST:
		client = EPOLLIN;
		break;
	case SESSION_WAIT_MASTER:
		break;
	case SESSION_WAIT_PEER:
		client = bind_interest(s);
		break;
	case SESSION_SEND_REPLY:
		client = EPOLLOUT;
		break;
	case SESSION_RELAY:
		if (!s->client_eof && s->to_target_len == 0)
			client |= EPOLLIN;
		if (to_client_pending)
			client |= EPOLLOUT;
		if (!s->target_eof && !to_client_pending)
			target |= EPOLLIN;
		if (s->to_target_len > 0)
			target |= EPOLLOUT;
		break;
	case SESSION_CLOSING:
		return;
	}
	if (watch_interest(s->loop, &s->client, client) < 0 ||
	    watch_interest(s->loop, &s->target, target) < 0) {
		log_warn("session %" PRIu64 ": cannot watch its sockets: %m", s->sid);
		session_end(s, IPC_END_IO_ERROR);
	}
}

void session_progress(struct relay_session *s, uint8_t reason)
{
	if (s->state == SESSION_CLOSING)
		return;
	if (reason != 0) {
		session_end(s, reason);
		return;
	}
	if (s->state == SESSION_RELAY && s->client_shut && s->target_shut) {
		session_end(s, s->first_close != 0 ? s->first_close : IPC_END_CLIENT_CLOSE);
		return;
	}
	session_update_interest(s);
}

int session_queue_reply(struct relay_session *s, uint8_t rep, const struct socks5_addr *bound)
{
	size_t room = SECWRAP_FRAME_MAX - s->gss.data_offset, frame_len;
	char err[640];
	struct wbuf wb;

	if (session_take_out(s) < 0)
		return -1;
	if (s->gss.chunk_max < room)
		room = s->gss.chunk_max;
	wbuf_init(&wb, s->to_client_buf + s->gss.data_offset, room);
	if (request_reply_put(&wb, rep, bound) < 0) {
		log_err("session %" PRIu64 ": reply does not fit", s->sid);
		return -1;
	}
	if (secwrap_seal(&s->gss, s->to_client_buf, SECWRAP_FRAME_MAX, wb.len,
			 &frame_len, err, sizeof(err)) < 0) {
		log_err("session %" PRIu64 ": wrapping the reply: %s", s->sid, err);
		return -1;
	}
	s->to_client_off = 0;
	s->to_client_end = frame_len;
	s->reply_in_flight = true;
	return 0;
}

/* Send a refusal (REP != 0), then end the session with `reason`. */
static void request_refuse(struct relay_session *s, uint8_t rep, uint8_t reason)
{
	if (session_queue_reply(s, rep, NULL) < 0) {
		session_end(s, reason);
		return;
	}
	s->state = SESSION_SEND_REPLY;
	s->end_after_reply = reason;
	session_progress(s, datapath_target_to_client(s));
}

static void request_forward(struct relay_session *s, const struct socks5_request *req)
{
	struct ipc_relay_request m = { .session_id = s->sid, .request = *req };
	char dst[SOCKS5_NAME_MAX * 4 + 16];

	socks5_addr_format(&req->dst, dst, sizeof(dst));
	log_debug("session %" PRIu64 ": request %s %s", s->sid, socks5_cmd_name(req->cmd), dst);
	if (ipc_send_relay_request(s->loop->master_fd, &m) < 0)
		fatal("master channel: sending RELAY_REQUEST: %m");
	s->cmd = req->cmd;
	s->request_dst = req->dst;
	s->state = SESSION_WAIT_MASTER;
	session_update_interest(s);
}

/*
 * Try to take the request from what the client sent so far.
 * Returns 0 when more bytes are needed, 1 when the session moved on
 * (forwarded, refused or ended).
 */
static int request_take(struct relay_session *s)
{
	struct socks5_request req;
	const char *why = "malformed request";
	uint8_t rep = SOCKS5_REP_GENERAL_FAILURE, reason = 0;
	size_t used = 0;
	int r;

	if (iobuf_used(&s->from_client) == 0)
		return 0;
	if (protection_wraps(s->level)) {
		uint8_t *plain;
		size_t plain_len;

		r = datapath_open_frame(s, &plain, &plain_len, &reason);
		if (r == 0)
			return 0;
		if (r < 0) {
			session_end(s, reason);
			return 1;
		}
		/* One frame carries exactly one request (RFC 1961 section 5). */
		r = request_decode(plain, plain_len, &req, &used, &rep, &why);
		if (r == 0) {
			r = -1;
			rep = SOCKS5_REP_GENERAL_FAILURE;
			why = "truncated request";
		} else if (r > 0 && used != plain_len) {
			r = -1;
			rep = SOCKS5_REP_GENERAL_FAILURE;
			why = "octets after the request";
		}
	} else {
		r = request_decode(iobuf_peek(&s->from_client), iobuf_used(&s->from_client),
				   &req, &used, &rep, &why);
		if (r == 0)
			return 0;
		/* Bytes after the request are data for the target: they stay. */
		if (r > 0)
			iobuf_consume(&s->from_client, used);
	}
	if (r < 0) {
		log_warn("session %" PRIu64 ": refusing request: %s (REP %s)", s->sid, why,
			 socks5_rep_name(rep));
		request_refuse(s, rep, IPC_END_PROTOCOL_ERROR);
		return 1;
	}
	request_forward(s, &req);
	return 1;
}

static void request_read(struct relay_session *s)
{
	ssize_t n;

	for (;;) {
		if (request_take(s) != 0)
			return;
		if (session_take_in(s) < 0) {
			session_end(s, IPC_END_IO_ERROR);
			return;
		}
		if (iobuf_room(&s->from_client) == 0) {
			log_warn("session %" PRIu64 ": request does not fit a frame", s->sid);
			session_end(s, IPC_END_PROTOCOL_ERROR);
			return;
		}
		n = iobuf_read_fd(&s->from_client, s->client.fd, iobuf_room(&s->from_client));
		if (n > 0) {
			s->last_activity_ms = s->loop->now_ms;
			continue;
		}
		if (n == 0) {
			if (iobuf_used(&s->from_client) > 0) {
				log_warn("session %" PRIu64 ": client closed inside the request",
					 s->sid);
				session_end(s, IPC_END_PROTOCOL_ERROR);
			} else {
				session_end(s, IPC_END_CLIENT_CLOSE);
			}
			return;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			session_update_interest(s);
			return;
		}
		log_info("session %" PRIu64 ": read from client: %m", s->sid);
		session_end(s, IPC_END_IO_ERROR);
		return;
	}
}

void session_start(struct relay_loop *loop, const struct ipc_relay_session *m, int client_fd)
{
	struct relay_session *s;
	char err[640];

	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		log_err("session %" PRIu64 ": out of memory", m->session_id);
		close_fd(&client_fd);
		send_session_end(loop, m->session_id, 0, 0, IPC_END_IO_ERROR);
		return;
	}
	s->sid = m->session_id;
	s->level = (enum gss_level)m->level;
	s->loop = loop;
	snprintf(s->principal, sizeof(s->principal), "%s", m->principal);
	s->gss.ctx = GSS_C_NO_CONTEXT;
	s->pending_fd = -1;
	watch_init(&s->client, WATCH_CLIENT, client_fd, s);
	watch_init(&s->target, WATCH_TARGET, -1, s);
	iobuf_init(&s->from_client, NULL, 0);
	s->state = SESSION_READ_REQUEST;
	s->request_deadline_ms = loop->now_ms + loop->cfg->request_timeout * 1000u;
	s->last_activity_ms = loop->now_ms;
	session_link(s);

	if (secwrap_import(&s->gss, s->level, loop->cfg->selective_conf, m->context,
			   m->context_len, err, sizeof(err)) < 0) {
		log_warn("session %" PRIu64 ": %s", s->sid, err);
		session_end(s, IPC_END_PROTOCOL_ERROR);
		return;
	}
	if (protection_wraps(s->level)) {
		if (s->gss.fast != NULL)
			log_debug("context protected by the RFC 4121 fast path (%s)",
				  kcrypto_name(rfc4121_enctype(s->gss.fast)));
		else
			log_debug("context protected by gss_wrap_iov: %s", err);
	}
	if (fd_set_nonblock(client_fd) < 0) {
		log_warn("session %" PRIu64 ": client socket: %m", s->sid);
		session_end(s, IPC_END_IO_ERROR);
		return;
	}
	/* Frames go out whole (header and token in one send), so Nagle only
	 * adds delay; not a TCP socket (tests) is fine too. */
	(void)sock_set_nodelay(client_fd);
	log_debug("session %" PRIu64 ": started for %s at level %s", s->sid, s->principal,
		  gss_level_name(s->level));
	request_read(s);
}

void session_start_relaying(struct relay_session *s, const struct ipc_relay_request_result *r)
{
	s->state = SESSION_RELAY;
	s->last_activity_ms = s->loop->now_ms;
	/* Per-session limits from the principal's policy (0: none / default). */
	s->idle_ms = (uint64_t)(r->idle_timeout != 0 ? r->idle_timeout
						      : s->loop->cfg->idle_timeout) * 1000u;
	s->end_at_ms = r->max_duration != 0
			       ? s->loop->now_ms + (uint64_t)r->max_duration * 1000u : 0;
}

void session_on_result(struct relay_session *s, const struct ipc_relay_request_result *r,
		       int target_fd)
{
	uint8_t reason;

	if (r->rep != SOCKS5_REP_OK) {
		log_debug("session %" PRIu64 ": master refused: %s", s->sid, socks5_rep_name(r->rep));
		close_fd(&target_fd);
		request_refuse(s, r->rep, IPC_END_REQUEST_REFUSED);
		return;
	}
	if (s->cmd == SOCKS5_CMD_UDP) {
		udp_start(s, r, target_fd);
		return;
	}
	s->target.fd = target_fd;
	if (fd_set_nonblock(target_fd) < 0) {
		log_warn("session %" PRIu64 ": target socket: %m", s->sid);
		session_end(s, IPC_END_IO_ERROR);
		return;
	}
	(void)sock_set_nodelay(target_fd);
	/* From now on a cut resets both peers (session_close_sockets);
	 * not TCP (tests' socketpairs): nothing to reset, fine too. */
	(void)sock_set_reset_on_close(s->client.fd, true);
	(void)sock_set_reset_on_close(target_fd, true);
	if (session_queue_reply(s, SOCKS5_REP_OK, &r->bound) < 0) {
		session_end(s, IPC_END_IO_ERROR);
		return;
	}
	session_start_relaying(s, r);
	/* The reply goes first; data the client sent after its request may
	 * already wait in the buffer and can go to the target at once. */
	reason = datapath_target_to_client(s);
	if (reason == 0)
		reason = datapath_client_to_target(s);
	session_progress(s, reason);
}

void session_on_event(struct relay_session *s, struct watch *w, uint32_t events)
{
	bool failed = (events & (EPOLLERR | EPOLLHUP)) != 0;
	bool client_to_target, target_to_client;
	uint8_t reason = 0;

	if (s->udp != NULL) {
		udp_on_event(s, w, events);
		return;
	}
	switch (s->state) {
	case SESSION_READ_REQUEST:
		request_read(s);
		return;
	case SESSION_WAIT_PEER:
		bind_on_event(s, events);
		return;
	case SESSION_SEND_REPLY:
		reason = datapath_target_to_client(s);
		break;
	case SESSION_RELAY:
		/* An error or hang-up is surfaced by the read or write it
		 * spoils, so both directions get a turn. */
		client_to_target = failed ||
			(w->kind == WATCH_CLIENT && (events & EPOLLIN)) ||
			(w->kind == WATCH_TARGET && (events & EPOLLOUT));
		target_to_client = failed ||
			(w->kind == WATCH_TARGET && (events & EPOLLIN)) ||
			(w->kind == WATCH_CLIENT && (events & EPOLLOUT));
		if (client_to_target)
			reason = datapath_client_to_target(s);
		if (reason == 0 && target_to_client)
			reason = datapath_target_to_client(s);
		break;
	case SESSION_WAIT_MASTER:
	case SESSION_CLOSING:
		break;
	}
	session_progress(s, reason);
}

void session_sweep(struct relay_loop *loop)
{
	struct relay_session *s, *next;

	for (s = loop->sessions; s != NULL; s = next) {
		next = s->next;
		if (s->request_deadline_ms != 0 && loop->now_ms >= s->request_deadline_ms) {
			log_info("session %" PRIu64 ": no reply within %lu s", s->sid,
				 loop->cfg->request_timeout);
			session_end(s, IPC_END_TIMEOUT);
		} else if (s->idle_ms != 0 && s->state == SESSION_RELAY &&
			   loop->now_ms - s->last_activity_ms >= s->idle_ms) {
			session_end(s, IPC_END_IDLE);
		} else if (s->end_at_ms != 0 && s->state == SESSION_RELAY &&
			   loop->now_ms >= s->end_at_ms) {
			log_info("session %" PRIu64 ": max-duration reached", s->sid);
			session_end(s, IPC_END_MAX_DURATION);
		}
	}
}
