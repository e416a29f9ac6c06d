/*
 * forward.c - the data phase between the local peer and the gateway.
 * See forward.h.
 *
 * Trust zone: client.  Frames from the gateway are untrusted until
 * secwrap_open (common/secwrap.h: the RFC 4121 fast path for AES contexts,
 * else gss_unwrap_iov) accepted them; a malformed or failing frame ends
 * the session before a single byte of it reaches the local peer.
 *
 * Design: one session per process, so one poll(2) loop over non-blocking
 * fds and four fixed byte queues (proto/buf.h iobuf):
 *
 *   local_in  -> up_plain  --secwrap_seal-->  up_wire   -> gateway
 *   local_out <- down_plain <--secwrap_open-- down_wire <- gateway
 *
 * Each fd is polled for input only while the queue it fills has room and
 * for output only while the queue it drains holds bytes, so a slow reader
 * on either side throttles its writer (no unbounded buffering) and neither
 * direction can block the other.  up_plain is cut into chunks of the
 * session's chunk_max octets (one frame each, sealed in one frame buffer
 * of our own); down_wire may hold partial frames (a header can arrive on
 * its own) and is unwrapped in place, frame by frame, only when
 * down_plain has room for the result.  At level clear the bytes
 * skip the middle queues: local_in -> up_wire, gateway -> down_plain.
 * Half-close is passed on in each direction once that direction's queues
 * are empty; the loop ends when both directions are done.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "util.h"

#include "forward.h"

#define PLAIN_CAP  65536u
#define WIRE_CAP   (2u * SECWRAP_FRAME_MAX)

struct relay {
	struct gateway_session *s;
	int local_in, local_out;
	bool clear;
	struct iobuf up_plain, up_wire, down_wire, down_plain;
	uint8_t *frame;                  /* SECWRAP_FRAME_MAX: pump_up seals here */
	bool local_eof, gateway_eof;     /* read side saw end of file */
	bool up_done, down_done;         /* EOF passed on to the other side */
	struct forward_stats *stats;
};

/* Wrap queued local plaintext into frames while a whole frame fits: each
 * chunk is copied into the frame buffer at the session's data offset and
 * sealed there (common/secwrap.h), then queued. */
static int pump_up(struct relay *r)
{
	const struct secwrap *w = &r->s->prot;

	while (iobuf_used(&r->up_plain) > 0 && iobuf_room(&r->up_wire) >= SECWRAP_FRAME_MAX) {
		size_t n = iobuf_used(&r->up_plain), len;
		char err[512];

		if (n > w->chunk_max)
			n = w->chunk_max;
		/* secwrap_adopt made data_offset + chunk_max fit a frame */
		memcpy(r->frame + w->data_offset, iobuf_peek(&r->up_plain), n);
		if (secwrap_seal(&r->s->prot, r->frame, SECWRAP_FRAME_MAX, n, &len, err,
				 sizeof(err)) < 0) {
			diag_fail("wrapping data for the gateway: %s", err);
			return -1;
		}
		if (iobuf_append(&r->up_wire, r->frame, len) < 0) {
			/* The loop condition guarantees the room: reaching
			 * this is a bug. */
			diag_fail("wrapping data for the gateway: frame does not fit the queue");
			return -1;
		}
		iobuf_consume(&r->up_plain, n);
	}
	return 0;
}

/* Unwrap every whole frame whose plaintext fits down_plain, in place: the
 * frame lies in down_wire's storage, consumed whatever the outcome. */
static int pump_down(struct relay *r)
{
	for (;;) {
		struct gssframe frame;
		char err[512];
		uint8_t *p;
		size_t used, n;
		int rc = gssframe_parse(iobuf_peek(&r->down_wire), iobuf_used(&r->down_wire),
					&frame, &used);

		if (rc < 0) {
			diag_fail("data from the gateway: malformed RFC 1961 frame");
			return -1;
		}
		if (rc == 0)
			return 0;
		if (frame.mtyp == GSSFRAME_ABORT) {
			diag_fail("data from the gateway: gateway aborted the session (01 ff)");
			return -1;
		}
		if (frame.mtyp != GSSFRAME_DATA) {
			diag_fail("data from the gateway: message type 0x%02x, expected 0x03",
				  frame.mtyp);
			return -1;
		}
		/* A wrap token is never shorter than its plaintext. */
		if (iobuf_room(&r->down_plain) < frame.len)
			return 0;
		if (secwrap_open(&r->s->prot, (uint8_t *)frame.token, frame.len, &p, &n, err,
				 sizeof(err)) != SECWRAP_OPEN_OK) {
			diag_fail("data from the gateway: unwrapping: %s", err);
			return -1;
		}
		if (iobuf_append(&r->down_plain, p, n) < 0) {
			diag_fail("data from the gateway: plaintext larger than its token");
			return -1;
		}
		iobuf_consume(&r->down_wire, used);
	}
}

static void shutdown_local_out(struct relay *r)
{
	if (shutdown(r->local_out, SHUT_WR) == 0)
		return;
	if (errno == ENOTSOCK && r->local_out != r->local_in)
		close_fd(&r->local_out);
}

/* Pass EOF on where a direction is drained.  -1 on a truncated frame. */
static int pass_half_close(struct relay *r)
{
	if (r->local_eof && !r->up_done && iobuf_used(&r->up_plain) == 0 &&
	    iobuf_used(&r->up_wire) == 0) {
		if (shutdown(r->s->fd, SHUT_WR) < 0 && errno != ENOTCONN) {
			diag_fail("passing end of file to the gateway: %s", strerror(errno));
			return -1;
		}
		r->up_done = true;
		diag_step("local peer finished sending");
	}
	if (r->gateway_eof && !r->down_done && iobuf_used(&r->down_plain) == 0) {
		if (iobuf_used(&r->down_wire) > 0) {
			diag_fail("data from the gateway: connection closed in the middle of a frame");
			return -1;
		}
		shutdown_local_out(r);
		r->down_done = true;
		diag_step("gateway finished sending");
	}
	return 0;
}

/* Add events for fd to the poll set, merging when local_in == local_out. */
static void want(struct pollfd *set, nfds_t *n, int fd, short events)
{
	if (fd < 0 || events == 0)
		return;
	for (nfds_t i = 0; i < *n; i++) {
		if (set[i].fd == fd) {
			set[i].events |= events;
			return;
		}
	}
	set[*n].fd = fd;
	set[*n].events = events;
	set[*n].revents = 0;
	(*n)++;
}

static short got(const struct pollfd *set, nfds_t n, int fd)
{
	for (nfds_t i = 0; i < n; i++)
		if (set[i].fd == fd)
			return set[i].revents;
	return 0;
}

/* read(2) result: > 0 data, 0 EOF (sets *eof), -1 failure (printed). */
static int fill(struct iobuf *q, int fd, bool *eof, const char *what)
{
	ssize_t n = iobuf_read_fd(q, fd, iobuf_room(q));

	if (n > 0)
		return 1;
	if (n == 0) {
		*eof = true;
		return 0;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	diag_fail("%s: %s", what, strerror(errno));
	return -1;
}

static int drain(struct iobuf *q, int fd, const char *what)
{
	ssize_t n = iobuf_write_fd(q, fd);

	if (n >= 0 || errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	diag_fail("%s: %s", what, strerror(errno));
	return -1;
}

static int relay_loop(struct relay *r)
{
	struct iobuf *local_fill = r->clear ? &r->up_wire : &r->up_plain;
	struct iobuf *gateway_fill = r->clear ? &r->down_plain : &r->down_wire;
	int gw = r->s->fd;

	for (;;) {
		struct pollfd set[3];
		nfds_t n = 0;

		if (!r->clear && (pump_up(r) < 0 || pump_down(r) < 0))
			return -1;
		if (pass_half_close(r) < 0)
			return -1;
		if (r->up_done && r->down_done)
			return 0;

		if (!r->local_eof && iobuf_room(local_fill) > 0)
			want(set, &n, r->local_in, POLLIN);
		if (!r->gateway_eof && iobuf_room(gateway_fill) > 0)
			want(set, &n, gw, POLLIN);
		if (iobuf_used(&r->up_wire) > 0)
			want(set, &n, gw, POLLOUT);
		if (iobuf_used(&r->down_plain) > 0 && !r->down_done)
			want(set, &n, r->local_out, POLLOUT);
		if (n == 0) {
			/* Nothing can move: the gateway closed while a frame
			 * larger than what we can take is stuck (cannot happen
			 * with these capacities) - do not spin. */
			diag_fail("relay: no progress possible");
			return -1;
		}
		if (poll(set, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			diag_fail("relay: poll: %s", strerror(errno));
			return -1;
		}

		short ev = got(set, n, r->local_in);
		if ((ev & (POLLIN | POLLHUP | POLLERR)) && !r->local_eof &&
		    iobuf_room(local_fill) > 0) {
			size_t before = iobuf_used(local_fill);
			if (fill(local_fill, r->local_in, &r->local_eof,
				 "reading from the local peer") < 0)
				return -1;
			r->stats->to_gateway += iobuf_used(local_fill) - before;
		}
		ev = got(set, n, gw);
		if ((ev & (POLLIN | POLLHUP | POLLERR)) && !r->gateway_eof &&
		    iobuf_room(gateway_fill) > 0) {
			if (fill(gateway_fill, gw, &r->gateway_eof, "reading from the gateway") < 0)
				return -1;
		}
		if ((ev & (POLLOUT | POLLERR)) && iobuf_used(&r->up_wire) > 0) {
			if (drain(&r->up_wire, gw, "writing to the gateway") < 0)
				return -1;
		}
		ev = got(set, n, r->local_out);
		if ((ev & (POLLOUT | POLLERR | POLLHUP)) && iobuf_used(&r->down_plain) > 0) {
			size_t before = iobuf_used(&r->down_plain);
			if (drain(&r->down_plain, r->local_out, "writing to the local peer") < 0)
				return -1;
			r->stats->from_gateway += before - iobuf_used(&r->down_plain);
		}
	}
}

int forward_run(struct gateway_session *s, int local_in, int local_out,
		const void *pending, size_t pending_len, struct forward_stats *stats)
{
	struct relay r;
	uint8_t *storage;
	int rc;

	memset(stats, 0, sizeof(*stats));
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.local_in = local_in;
	r.local_out = local_out;
	r.clear = s->level == GSS_LEVEL_CLEAR;
	r.stats = stats;
	if (!r.clear && s->prot.chunk_max == 0) {
		diag_fail("relay: no wrap size limit for the agreed level");
		return -1;
	}
	storage = malloc(2 * PLAIN_CAP + 2 * WIRE_CAP + SECWRAP_FRAME_MAX);
	if (storage == NULL) {
		diag_fail("relay: out of memory");
		return -1;
	}
	iobuf_init(&r.up_plain, storage, PLAIN_CAP);
	iobuf_init(&r.down_plain, storage + PLAIN_CAP, PLAIN_CAP);
	iobuf_init(&r.up_wire, storage + 2 * PLAIN_CAP, WIRE_CAP);
	iobuf_init(&r.down_wire, storage + 2 * PLAIN_CAP + WIRE_CAP, WIRE_CAP);
	r.frame = storage + 2 * PLAIN_CAP + 2 * WIRE_CAP;

	if (fd_set_nonblock(local_in) < 0 || fd_set_nonblock(local_out) < 0 ||
	    fd_set_nonblock(s->fd) < 0) {
		diag_fail("relay: non-blocking mode: %s", strerror(errno));
		free(storage);
		return -1;
	}
	if (pending_len > 0) {
		if (iobuf_append(r.clear ? &r.up_wire : &r.up_plain, pending, pending_len) < 0) {
			diag_fail("relay: %zu octets of early local data do not fit", pending_len);
			free(storage);
			return -1;
		}
		stats->to_gateway += pending_len;
	}
	rc = relay_loop(&r);
	free(storage);
	diag_step("relay %s: %llu octets to the gateway, %llu octets from the gateway",
		  rc == 0 ? "done" : "ended by an error", (unsigned long long)stats->to_gateway,
		  (unsigned long long)stats->from_gateway);
	return rc;
}
