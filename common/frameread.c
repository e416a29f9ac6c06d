/*
 * frameread.c - see frameread.h.  Trust zone: shared; reads untrusted
 * peer bytes.
 *
 * Design: the loop asks gssframe_missing() how many octets the frame
 * still needs, makes room for exactly that (own storage: realloc to
 * have + missing; caller storage: refuse a frame that cannot fit) and
 * reads at most that.  A read that asked for a 4-octet header may return
 * the 2 octets of an abort: gssframe_missing() then says the frame is
 * whole.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frameread.h"

void frame_in_init(struct frame_in *in, uint8_t *buf, size_t cap)
{
	memset(in, 0, sizeof(*in));
	in->buf = buf;
	in->cap = cap;
}

int frame_in_init_grow(struct frame_in *in)
{
	memset(in, 0, sizeof(*in));
	in->grow = true;
	in->buf = malloc(GSSFRAME_HEADER_LEN);
	if (in->buf == NULL)
		return -1;
	in->cap = GSSFRAME_HEADER_LEN;
	return 0;
}

void frame_in_free(struct frame_in *in)
{
	if (in->grow)
		free(in->buf);
	in->buf = NULL;
	in->cap = in->have = 0;
}

void frame_in_next(struct frame_in *in)
{
	in->have = 0;
}

static int reserve(struct frame_in *in, size_t more, const char **why)
{
	uint8_t *p;

	if (in->cap - in->have >= more)
		return 0;
	if (!in->grow || in->have + more > FRAME_IN_MAX) {
		*why = "frame larger than the buffer";
		return -1;
	}
	p = realloc(in->buf, in->have + more);
	if (p == NULL) {
		*why = "out of memory";
		return -1;
	}
	in->buf = p;
	in->cap = in->have + more;
	return 0;
}

int frame_read_one(int fd, uint8_t *storage, size_t cap, struct gssframe *frame,
		   const char **why)
{
	struct frame_in in;

	frame_in_init(&in, storage, cap);
	switch (frame_in_read(&in, fd, frame, why)) {
	case FRAME_IN_READY:
		return 0;
	case FRAME_IN_AGAIN:
		*why = "no data on a non-blocking socket";
		return -1;
	default:
		return -1;
	}
}

enum frame_in_status frame_in_read(struct frame_in *in, int fd, struct gssframe *frame,
				   const char **why)
{
	for (;;) {
		long missing = gssframe_missing(in->buf, in->have);
		size_t used;
		ssize_t n;

		if (missing < 0) {
			*why = "malformed RFC 1961 frame header";
			return FRAME_IN_BAD;
		}
		if (missing == 0) {
			/* Only an abort (2 octets) can be shorter than what
			 * was asked for (a 4-octet header). */
			if (gssframe_parse(in->buf, in->have, frame, &used) != 1 ||
			    (used != in->have && frame->mtyp != GSSFRAME_ABORT)) {
				*why = "malformed RFC 1961 frame";
				return FRAME_IN_BAD;
			}
			return FRAME_IN_READY;
		}
		if (reserve(in, (size_t)missing, why) < 0)
			return FRAME_IN_BAD;
		n = read(fd, in->buf + in->have, (size_t)missing);
		if (n == 0) {
			*why = in->have == 0 ? "connection closed"
					     : "connection closed in the middle of a frame";
			return FRAME_IN_CLOSED;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return FRAME_IN_AGAIN;
			*why = strerror(errno);
			return FRAME_IN_IOERR;
		}
		in->have += (size_t)n;
	}
}
