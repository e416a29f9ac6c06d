/*
 * datapath.c - moving bytes between the client and the target once the
 * request is answered: frames from the client are unwrapped into plaintext
 * for the target; target bytes are wrapped into frames for the client.
 *
 * Trust zone: relay worker.  Everything read from the client is untrusted:
 * frames are parsed with proto/gssframe.h and must unwrap, with the
 * conf_state the level demands, before a single plaintext octet moves.
 * Target bytes are opaque payload (never parsed), only wrapped.
 *
 * Design:
 *  - No allocation per frame.  client -> target: frames are read into a
 *    frame-sized iobuf and unwrapped in place; the plaintext is written
 *    from where it lies.  target -> client: target bytes are read straight
 *    into the DATA slot of the outgoing frame, wrapped in place and written
 *    with header and token in one send().  Each direction's buffer comes
 *    from the worker's pool just before a read into it and goes back when
 *    the direction is drained (session_release_buffers, after each step):
 *    a busy session cycles one buffer through the pool's free list, an
 *    idle one holds none.
 *  - Back-pressure: while plaintext waits for the target, the client is not
 *    read; while a frame waits for the client, the target is not read.  So
 *    a session never holds more than one frame each way.
 *  - Half-close: the first end of file in a direction is passed on with
 *    shutdown(SHUT_WR) once that direction's pending bytes are written; the
 *    session ends when both directions are closed (session.c).
 *  - Each call does at most PUMP_READS reads, so one busy session cannot
 *    starve the others; level-triggered epoll brings it back.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/log.h"
#include "../proto/gssframe.h"
#include "../proto/protection.h"
#include "session.h"

#define PUMP_READS 8u

static void note_close(struct relay_session *s, uint8_t reason)
{
	if (s->first_close == 0)
		s->first_close = reason;
}

static uint8_t io_error(const struct relay_session *s, const char *what)
{
	log_info("session %" PRIu64 ": %s: %s", s->sid, what, strerror(errno));
	return IPC_END_IO_ERROR;
}

static bool would_block(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK;
}

static ssize_t send_some(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	do {
		w = send(fd, p, n, MSG_NOSIGNAL);
	} while (w < 0 && errno == EINTR);
	return w;
}

static void pass_shutdown(int fd)
{
	/* The peer may already be gone (ENOTCONN): nothing left to tell it. */
	(void)shutdown(fd, SHUT_WR);
}

int datapath_open_frame(struct relay_session *s, uint8_t **plain, size_t *plain_len,
			uint8_t *reason)
{
	size_t used = iobuf_used(&s->from_client), frame_len;
	enum secwrap_open_result res;
	struct gssframe frame;
	const uint8_t *p;
	char err[640];
	int r;

	if (used == 0)
		return 0;       /* no buffer, or nothing in it */
	p = iobuf_peek(&s->from_client);
	if (!protection_wraps(s->level)) {
		/* Clear: the bytes are the plaintext.  The storage is the
		 * session's own, so dropping const is sound. */
		*plain = (uint8_t *)p;
		*plain_len = used;
		iobuf_consume(&s->from_client, used);
		return 1;
	}
	r = gssframe_parse(p, used, &frame, &frame_len);
	if (r == 0)
		return 0;
	if (r < 0) {
		log_warn("session %" PRIu64 ": client sent bytes that are not an RFC 1961 frame",
			 s->sid);
		*reason = IPC_END_PROTOCOL_ERROR;
		return -1;
	}
	if (frame.mtyp != GSSFRAME_DATA) {
		log_warn("session %" PRIu64 ": client sent frame type 0x%02x where data was expected",
			 s->sid, frame.mtyp);
		*reason = IPC_END_PROTOCOL_ERROR;
		return -1;
	}
	/* The token lies in the session's own storage: unwrap it in place. */
	res = secwrap_open(&s->gss, (uint8_t *)frame.token, frame.len, plain, plain_len,
			   err, sizeof(err));
	if (res != SECWRAP_OPEN_OK) {
		log_warn("session %" PRIu64 ": %s", s->sid, err);
		*reason = IPC_END_UNWRAP_FAILURE;
		return -1;
	}
	/* The plaintext stays valid: nothing is read into the buffer until it
	 * has been written out (to_target_len == 0). */
	iobuf_consume(&s->from_client, frame_len);
	return 1;
}

uint8_t datapath_client_to_target(struct relay_session *s)
{
	unsigned reads = 0;
	uint8_t *plain, reason = 0;
	size_t plain_len;
	ssize_t n;
	int r;

	for (;;) {
		if (s->to_target_len > 0) {
			n = send_some(s->target.fd, s->to_target, s->to_target_len);
			if (n < 0)
				return would_block() ? 0 : io_error(s, "write to target");
			s->to_target += n;
			s->to_target_len -= (size_t)n;
			s->last_activity_ms = s->loop->now_ms;
			if (s->to_target_len > 0)
				return 0;
		}
		s->to_target = NULL;
		r = datapath_open_frame(s, &plain, &plain_len, &reason);
		if (r < 0)
			return reason;
		if (r > 0) {
			s->to_target = plain;
			s->to_target_len = plain_len;
			s->bytes_from_client += plain_len;
			continue;
		}
		if (s->client_eof) {
			if (iobuf_used(&s->from_client) > 0) {
				log_warn("session %" PRIu64 ": client closed in the middle of a frame",
					 s->sid);
				return IPC_END_PROTOCOL_ERROR;
			}
			if (!s->target_shut) {
				pass_shutdown(s->target.fd);
				s->target_shut = true;
			}
			return 0;
		}
		if (reads++ == PUMP_READS)
			return 0;
		if (session_take_in(s) < 0)
			return IPC_END_IO_ERROR;
		n = iobuf_read_fd(&s->from_client, s->client.fd, iobuf_room(&s->from_client));
		if (n > 0) {
			s->last_activity_ms = s->loop->now_ms;
			continue;
		}
		if (n == 0) {
			s->client_eof = true;
			note_close(s, IPC_END_CLIENT_CLOSE);
			continue;
		}
		return would_block() ? 0 : io_error(s, "read from client");
	}
}

uint8_t datapath_target_to_client(struct relay_session *s)
{
	unsigned reads = 0;
	size_t frame_len;
	char err[640];
	ssize_t n;

	for (;;) {
		if (s->to_client_end > s->to_client_off) {
			n = send_some(s->client.fd, s->to_client_buf + s->to_client_off,
				      s->to_client_end - s->to_client_off);
			if (n < 0)
				return would_block() ? 0 : io_error(s, "write to client");
			s->to_client_off += (size_t)n;
			s->last_activity_ms = s->loop->now_ms;
			if (s->to_client_off < s->to_client_end)
				return 0;
			s->to_client_off = s->to_client_end = 0;
			if (s->reply_in_flight) {
				s->reply_in_flight = false;
				s->request_deadline_ms = 0;
				if (s->state == SESSION_SEND_REPLY)
					return s->end_after_reply;
			}
		}
		if (s->state != SESSION_RELAY)
			return 0;
		if (s->target_eof) {
			if (!s->client_shut) {
				pass_shutdown(s->client.fd);
				s->client_shut = true;
			}
			return 0;
		}
		if (reads++ == PUMP_READS)
			return 0;
		if (session_take_out(s) < 0)
			return IPC_END_IO_ERROR;
		do {
			n = read(s->target.fd, s->to_client_buf + s->gss.data_offset,
				 s->gss.chunk_max);
		} while (n < 0 && errno == EINTR);
		if (n > 0) {
			s->last_activity_ms = s->loop->now_ms;
			if (secwrap_seal(&s->gss, s->to_client_buf, SECWRAP_FRAME_MAX, (size_t)n,
					 &frame_len, err, sizeof(err)) < 0) {
				log_err("session %" PRIu64 ": %s", s->sid, err);
				return IPC_END_IO_ERROR;
			}
			s->to_client_off = 0;
			s->to_client_end = frame_len;
			s->bytes_to_client += (uint64_t)n;
			continue;
		}
		if (n == 0) {
			s->target_eof = true;
			note_close(s, IPC_END_TARGET_CLOSE);
			continue;
		}
		return would_block() ? 0 : io_error(s, "read from target");
	}
}
