/*
 * bind.c - the relay's BIND: the first reply, the wait for the master's
 * second answer; see bind.h.
 *
 * Trust zone: relay worker.  Client bytes are untrusted; early bytes are
 * only buffered here and go through the data path's unwrap later.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/epoll.h>

#include "../common/log.h"
#include "../common/util.h"
#include "bind.h"
#include "session.h"

static bool reply_pending(const struct relay_session *s)
{
	return s->to_client_end > s->to_client_off;
}

uint32_t bind_interest(const struct relay_session *s)
{
	uint32_t events = 0;

	if (reply_pending(s))
		events |= EPOLLOUT;
	if (!s->client_eof && (s->from_client_buf == NULL || iobuf_room(&s->from_client) > 0))
		events |= EPOLLIN;
	else if (!s->client_eof)
		events |= EPOLLRDHUP;   /* buffer full: still notice the end */
	return events;
}

void bind_on_listening(struct relay_session *s, const struct ipc_relay_bind_listening *m)
{
	char bound[SOCKS5_NAME_MAX * 4 + 16];

	socks5_addr_format(&m->bound, bound, sizeof(bound));
	log_debug("session %" PRIu64 ": bind listening on %s", s->sid, bound);
	if (session_queue_reply(s, SOCKS5_REP_OK, &m->bound) < 0) {
		session_end(s, IPC_END_IO_ERROR);
		return;
	}
	s->state = SESSION_WAIT_PEER;
	session_progress(s, datapath_target_to_client(s));
}

/* The first reply is out: apply a second answer that came meanwhile. */
static void apply_pending(struct relay_session *s)
{
	struct ipc_relay_request_result r = s->pending_result;
	int fd = s->pending_fd;

	s->result_pending = false;
	s->pending_fd = -1;
	session_on_result(s, &r, fd);
}

void bind_on_result(struct relay_session *s, const struct ipc_relay_request_result *r, int fd)
{
	if (s->result_pending) {
		/* one answer per request: the master's state machine broke */
		close_fd(&fd);
		fatal("master answered session %" PRIu64 "'s BIND twice", s->sid);
	}
	if (reply_pending(s)) {
		s->pending_result = *r;
		s->pending_fd = fd;
		s->result_pending = true;
		return;
	}
	session_on_result(s, r, fd);
}

void bind_on_event(struct relay_session *s, uint32_t events)
{
	uint8_t reason;
	ssize_t n;

	reason = datapath_target_to_client(s);
	if (reason != 0) {
		session_end(s, reason);
		return;
	}
	if (!reply_pending(s) && s->result_pending) {
		apply_pending(s);
		return;
	}
	if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && s->from_client_buf != NULL &&
	    iobuf_room(&s->from_client) == 0) {
		/* The buffer is full of early data, so the end cannot be read
		 * past it, and the event would come back at once: the client
		 * closed (or half-closed) before its peer came; end here. */
		log_info("session %" PRIu64 ": client closed while its BIND waited", s->sid);
		session_end(s, (events & EPOLLERR) ? IPC_END_IO_ERROR : IPC_END_CLIENT_CLOSE);
		return;
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !s->client_eof &&
	    (s->from_client_buf == NULL || iobuf_room(&s->from_client) > 0)) {
		if (session_take_in(s) < 0) {
			session_end(s, IPC_END_IO_ERROR);
			return;
		}
		n = iobuf_read_fd(&s->from_client, s->client.fd, iobuf_room(&s->from_client));
		if (n == 0) {
			log_info("session %" PRIu64 ": client left while its BIND waited", s->sid);
			session_end(s, IPC_END_CLIENT_CLOSE);
			return;
		}
		if (n > 0)
			s->last_activity_ms = s->loop->now_ms;
		else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			log_info("session %" PRIu64 ": read from client: %s", s->sid,
				 strerror(errno));
			session_end(s, IPC_END_IO_ERROR);
			return;
		}
	}
	session_progress(s, 0);
}
