/*
 * buf.c - bounds-checked cursors (rbuf, wbuf) and the streaming byte queue
 * (iobuf) declared in buf.h.
 *
 * Trust zone: shared; this is the code every untrusted byte goes through.
 *
 * Design: every get/put first checks the sticky error flag, then checks the
 * length with a subtraction that cannot overflow (n > len - pos, never
 * pos + n > len).  A failing call sets the error flag and leaves the cursor
 * and the output where they were, so a partially read field is never
 * mistaken for a whole one.  Once the flag is set every later call on the
 * same cursor fails too: a codec cannot "recover" into a misaligned parse.
 * Nothing here allocates.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"

/* ---- reading ---------------------------------------------------------- */

void rbuf_init(struct rbuf *rb, const void *data, size_t len)
{
	rb->data = data;
	rb->len = data != NULL ? len : 0;
	rb->pos = 0;
	rb->error = false;
}

size_t rbuf_remaining(const struct rbuf *rb)
{
	return rb->len - rb->pos;
}

const uint8_t *rbuf_current(const struct rbuf *rb)
{
	return rb->data + rb->pos;
}

/* True (and the cursor usable) when n more bytes can be read. */
static bool rbuf_can_read(struct rbuf *rb, size_t n)
{
	if (rb->error || n > rb->len - rb->pos) {
		rb->error = true;
		return false;
	}
	return true;
}

int rbuf_get_view(struct rbuf *rb, const uint8_t **out, size_t n)
{
	if (!rbuf_can_read(rb, n))
		return -1;
	*out = rb->data + rb->pos;
	rb->pos += n;
	return 0;
}

int rbuf_get_bytes(struct rbuf *rb, void *out, size_t n)
{
	const uint8_t *p;

	if (rbuf_get_view(rb, &p, n) < 0)
		return -1;
	if (n > 0)
		memcpy(out, p, n);
	return 0;
}

int rbuf_skip(struct rbuf *rb, size_t n)
{
	const uint8_t *p;

	return rbuf_get_view(rb, &p, n);
}

int rbuf_get_u8(struct rbuf *rb, uint8_t *out)
{
	const uint8_t *p;

	if (rbuf_get_view(rb, &p, 1) < 0)
		return -1;
	*out = p[0];
	return 0;
}

int rbuf_get_u16(struct rbuf *rb, uint16_t *out)
{
	const uint8_t *p;

	if (rbuf_get_view(rb, &p, 2) < 0)
		return -1;
	*out = (uint16_t)((unsigned)p[0] << 8 | p[1]);
	return 0;
}

int rbuf_get_u32(struct rbuf *rb, uint32_t *out)
{
	const uint8_t *p;

	if (rbuf_get_view(rb, &p, 4) < 0)
		return -1;
	*out = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return 0;
}

int rbuf_get_u64(struct rbuf *rb, uint64_t *out)
{
	const uint8_t *p;
	uint64_t v = 0;

	if (rbuf_get_view(rb, &p, 8) < 0)
		return -1;
	for (size_t i = 0; i < 8; i++)
		v = v << 8 | p[i];
	*out = v;
	return 0;
}

int rbuf_get_string(struct rbuf *rb, char *out, size_t max)
{
	size_t start = rb->pos;
	uint16_t n;
	const uint8_t *p;

	if (rbuf_get_u16(rb, &n) < 0)
		return -1;
	if (max == 0 || n > max - 1 || !rbuf_can_read(rb, n) ||
	    memchr(rb->data + rb->pos, '\0', n) != NULL) {
		rb->pos = start;
		rb->error = true;
		return -1;
	}
	(void)rbuf_get_view(rb, &p, n);
	if (n > 0)
		memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int rbuf_get_blob(struct rbuf *rb, const uint8_t **out, size_t *len, size_t max)
{
	size_t start = rb->pos;
	uint32_t n;

	if (rbuf_get_u32(rb, &n) < 0)
		return -1;
	if ((size_t)n > max || rbuf_get_view(rb, out, n) < 0) {
		rb->pos = start;
		rb->error = true;
		return -1;
	}
	*len = n;
	return 0;
}

int rbuf_done(const struct rbuf *rb)
{
	return (!rb->error && rb->pos == rb->len) ? 0 : -1;
}

/* ---- writing ---------------------------------------------------------- */

void wbuf_init(struct wbuf *wb, void *storage, size_t cap)
{
	wb->data = storage;
	wb->cap = storage != NULL ? cap : 0;
	wb->len = 0;
	wb->error = false;
}

int wbuf_put_bytes(struct wbuf *wb, const void *p, size_t n)
{
	if (wb->error || n > wb->cap - wb->len) {
		wb->error = true;
		return -1;
	}
	if (n > 0)
		memcpy(wb->data + wb->len, p, n);
	wb->len += n;
	return 0;
}

int wbuf_put_u8(struct wbuf *wb, uint8_t v)
{
	return wbuf_put_bytes(wb, &v, 1);
}

int wbuf_put_u16(struct wbuf *wb, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	return wbuf_put_bytes(wb, b, sizeof(b));
}

int wbuf_put_u32(struct wbuf *wb, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	return wbuf_put_bytes(wb, b, sizeof(b));
}

int wbuf_put_u64(struct wbuf *wb, uint64_t v)
{
	uint8_t b[8];

	for (size_t i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	return wbuf_put_bytes(wb, b, sizeof(b));
}

/* Length prefix and body go in together or not at all. */
static int wbuf_put_prefixed(struct wbuf *wb, size_t prefix_len, const void *p, size_t n)
{
	if (wb->error || prefix_len > wb->cap - wb->len ||
	    n > wb->cap - wb->len - prefix_len) {
		wb->error = true;
		return -1;
	}
	if (prefix_len == 2)
		(void)wbuf_put_u16(wb, (uint16_t)n);
	else
		(void)wbuf_put_u32(wb, (uint32_t)n);
	return wbuf_put_bytes(wb, p, n);
}

int wbuf_put_string(struct wbuf *wb, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n > UINT16_MAX) {
		wb->error = true;
		return -1;
	}
	return wbuf_put_prefixed(wb, 2, s, n);
}

int wbuf_put_blob(struct wbuf *wb, const void *p, size_t n)
{
	if (n > UINT32_MAX || (n > 0 && p == NULL)) {
		wb->error = true;
		return -1;
	}
	return wbuf_put_prefixed(wb, 4, p, n);
}

int wbuf_ok(const struct wbuf *wb)
{
	return wb->error ? -1 : 0;
}

/* ---- streaming queue -------------------------------------------------- */

void iobuf_init(struct iobuf *io, void *storage, size_t cap)
{
	io->data = storage;
	io->cap = storage != NULL ? cap : 0;
	io->head = 0;
	io->tail = 0;
}

size_t iobuf_used(const struct iobuf *io)
{
	return io->tail - io->head;
}

size_t iobuf_room(const struct iobuf *io)
{
	return io->cap - iobuf_used(io);
}

const uint8_t *iobuf_peek(const struct iobuf *io)
{
	return io->data + io->head;
}

void iobuf_consume(struct iobuf *io, size_t n)
{
	size_t used = iobuf_used(io);

	/* A caller bug must not move head past tail: clamp. */
	io->head += n < used ? n : used;
	if (io->head == io->tail)
		io->head = io->tail = 0;
}

void iobuf_compact(struct iobuf *io)
{
	size_t used = iobuf_used(io);

	if (io->head == 0)
		return;
	if (used > 0)
		memmove(io->data, io->data + io->head, used);
	io->head = 0;
	io->tail = used;
}

/* Make at least n contiguous free bytes at the tail if the total room allows. */
static size_t iobuf_tail_room(struct iobuf *io, size_t want)
{
	if (io->cap - io->tail < want)
		iobuf_compact(io);
	return io->cap - io->tail;
}

int iobuf_append(struct iobuf *io, const void *p, size_t n)
{
	if (n > iobuf_room(io))
		return -1;
	(void)iobuf_tail_room(io, n);
	if (n > 0)
		memcpy(io->data + io->tail, p, n);
	io->tail += n;
	return 0;
}

ssize_t iobuf_read_fd(struct iobuf *io, int fd, size_t max)
{
	size_t room = iobuf_tail_room(io, max);
	size_t want = max < room ? max : room;
	ssize_t n;

	/* read(2) of 0 bytes would look like end of file to the caller. */
	if (want == 0) {
		errno = ENOBUFS;
		return -1;
	}
	do {
		n = read(fd, io->data + io->tail, want);
	} while (n < 0 && errno == EINTR);
	if (n > 0)
		io->tail += (size_t)n;
	return n;
}

ssize_t iobuf_write_fd(struct iobuf *io, int fd)
{
	size_t used = iobuf_used(io);
	ssize_t n;

	if (used == 0)
		return 0;
	/* send() with MSG_NOSIGNAL: a peer that went away is EPIPE, not a
	 * signal; plain write() for pipes and terminals (gssocks-connect). */
	do {
		n = send(fd, io->data + io->head, used, MSG_NOSIGNAL);
		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, io->data + io->head, used);
	} while (n < 0 && errno == EINTR);
	if (n > 0)
		iobuf_consume(io, (size_t)n);
	return n;
}
