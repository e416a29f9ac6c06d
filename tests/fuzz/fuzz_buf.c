/*
 * fuzz_buf.c - fuzz target for the buffer API (proto/buf.c): a little
 * interpreter whose program is the input.
 *
 * Trust zone: tests only.  Every untrusted byte of gssocks goes through
 * rbuf/wbuf/iobuf, so their contract is checked against a model.
 *
 * Design: the input is read with a private cursor (never with the code
 * under test).  A 3-octet header sizes three small buffers (0..47 bytes
 * each, in heap blocks of exactly that size so AddressSanitizer sees any
 * overrun): an rbuf over bytes taken from the input, a wbuf and an iobuf.
 * Then each octet is an opcode, followed by its operands, run against the
 * real buffers and a plain model side by side:
 *  - rbuf: a get succeeds iff no earlier error and the bytes are there
 *    (strings/blobs: the length prefix, the cap and no NUL as documented);
 *    success moves pos by the size and yields the big-endian value or the
 *    bytes; failure sets the sticky error and leaves pos where it was
 *    (also for a string/blob whose length prefix was readable);
 *  - wbuf: a put succeeds iff no earlier error and it fits; the written
 *    bytes equal the model's; a failed put writes nothing;
 *  - iobuf: append/consume/compact keep head <= tail <= cap and the queued
 *    bytes equal the model queue; read_fd/write_fd through a non-blocking
 *    pipe move exactly the bytes the model predicts.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fuzz.h"

#define SMALL 48
#define MAX_OPS 512

struct input {
	const uint8_t *p;
	size_t len;
	size_t pos;
};

static uint8_t in_u8(struct input *in)
{
	return in->pos < in->len ? in->p[in->pos++] : 0;
}

/* Up to n bytes from the input (fewer at its end); returns how many. */
static size_t in_bytes(struct input *in, uint8_t *out, size_t n)
{
	size_t k = in->len - in->pos < n ? in->len - in->pos : n;

	memcpy(out, in->p + in->pos, k);
	in->pos += k;
	return k;
}

static uint64_t be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* ---- rbuf ---------------------------------------------------------------- */

struct rmodel {
	const uint8_t *data;
	size_t len;
	size_t pos;
	bool error;
};

static void rcheck(const struct rbuf *rb, const struct rmodel *m)
{
	FUZZ_CHECK(rb->pos == m->pos && rb->error == m->error && rb->len == m->len);
	FUZZ_CHECK(rb->pos <= rb->len);
	FUZZ_CHECK(rbuf_remaining(rb) == m->len - m->pos);
	FUZZ_CHECK(rbuf_current(rb) == m->data + m->pos);
	FUZZ_CHECK((rbuf_done(rb) == 0) == (!m->error && m->pos == m->len));
}

/* Would n bytes be readable now?  Also sets the model's error. */
static bool rcan(struct rmodel *m, size_t n)
{
	if (m->error || n > m->len - m->pos) {
		m->error = true;
		return false;
	}
	return true;
}

static void run_rbuf_op(struct rbuf *rb, struct rmodel *m, uint8_t op, struct input *in)
{
	static const size_t widths[] = { 1, 2, 4, 8 };
	int r;

	switch (op % 8) {
	case 0: /* integers */
	{
		size_t w = widths[in_u8(in) % 4];
		uint8_t u8 = 0;
		uint16_t u16 = 0;
		uint32_t u32 = 0;
		uint64_t u64 = 0, got;
		size_t at = m->pos;

		switch (w) {
		case 1: r = rbuf_get_u8(rb, &u8); got = u8; break;
		case 2: r = rbuf_get_u16(rb, &u16); got = u16; break;
		case 4: r = rbuf_get_u32(rb, &u32); got = u32; break;
		default: r = rbuf_get_u64(rb, &u64); got = u64; break;
		}
		if (rcan(m, w)) {
			FUZZ_CHECK(r == 0 && got == be(m->data + at, w));
			m->pos += w;
		} else {
			FUZZ_CHECK(r == -1);
		}
		break;
	}
	case 1: /* bytes into an exact-size block */
	{
		size_t n = in_u8(in) % (SMALL + 4);
		uint8_t *dst = malloc(n > 0 ? n : 1);
		size_t at = m->pos;

		FUZZ_CHECK(dst != NULL);
		r = rbuf_get_bytes(rb, dst, n);
		if (rcan(m, n)) {
			FUZZ_CHECK(r == 0 && memcmp(dst, m->data + at, n) == 0);
			m->pos += n;
		} else {
			FUZZ_CHECK(r == -1);
		}
		free(dst);
		break;
	}
	case 2: /* view */
	case 3: /* skip */
	{
		size_t n = in_u8(in) % (SMALL + 4);
		const uint8_t *v = NULL;
		size_t at = m->pos;

		r = op % 8 == 2 ? rbuf_get_view(rb, &v, n) : rbuf_skip(rb, n);
		if (rcan(m, n)) {
			FUZZ_CHECK(r == 0);
			if (op % 8 == 2)
				FUZZ_CHECK(v == m->data + at);
			m->pos += n;
		} else {
			FUZZ_CHECK(r == -1);
		}
		break;
	}
	case 4: /* string with a cap, into a block of exactly max bytes */
	{
		size_t max = in_u8(in) % (SMALL + 4);
		char *dst = malloc(max > 0 ? max : 1);
		size_t at = m->pos;
		bool okm = false;
		size_t n = 0;

		FUZZ_CHECK(dst != NULL);
		r = rbuf_get_string(rb, dst, max);
		if (!m->error && m->len - m->pos >= 2) {
			n = (size_t)be(m->data + at, 2);
			okm = max > 0 && n <= max - 1 && n <= m->len - m->pos - 2 &&
			      memchr(m->data + at + 2, '\0', n) == NULL;
		}
		if (okm) {
			FUZZ_CHECK(r == 0 && memcmp(dst, m->data + at + 2, n) == 0 && dst[n] == '\0');
			m->pos += 2 + n;
		} else {
			FUZZ_CHECK(r == -1);
			m->error = true;
		}
		free(dst);
		break;
	}
	case 5: /* blob with a cap */
	{
		size_t max = in_u8(in) % (SMALL + 4);
		const uint8_t *v = NULL;
		size_t vlen = 12345;
		size_t at = m->pos;
		bool okm = false;
		uint64_t n = 0;

		r = rbuf_get_blob(rb, &v, &vlen, max);
		if (!m->error && m->len - m->pos >= 4) {
			n = be(m->data + at, 4);
			okm = n <= max && n <= m->len - m->pos - 4;
		}
		if (okm) {
			FUZZ_CHECK(r == 0 && v == m->data + at + 4 && vlen == n);
			m->pos += 4 + (size_t)n;
		} else {
			FUZZ_CHECK(r == -1 && vlen == 12345);
			m->error = true;
		}
		break;
	}
	case 6: /* restart the cursor over the same bytes (clears the error) */
		rbuf_init(rb, m->data, m->len);
		m->pos = 0;
		m->error = false;
		break;
	default: /* nothing but the checks */
		break;
	}
	rcheck(rb, m);
}

/* ---- wbuf ---------------------------------------------------------------- */

struct wmodel {
	uint8_t data[SMALL];
	size_t cap;
	size_t len;
	bool error;
};

static void wcheck(const struct wbuf *wb, const struct wmodel *m)
{
	FUZZ_CHECK(wb->len == m->len && wb->error == m->error && wb->cap == m->cap);
	FUZZ_CHECK(wb->len <= wb->cap);
	FUZZ_CHECK(m->len == 0 || memcmp(wb->data, m->data, m->len) == 0);
	FUZZ_CHECK((wbuf_ok(wb) == 0) == !m->error);
}

/* Model of a put of the n bytes p: all or nothing. */
static void wput(struct wmodel *m, const uint8_t *p, size_t n, int r)
{
	if (m->error || n > m->cap - m->len) {
		FUZZ_CHECK(r == -1);
		m->error = true;
		return;
	}
	FUZZ_CHECK(r == 0);
	memcpy(m->data + m->len, p, n);
	m->len += n;
}

static void run_wbuf_op(struct wbuf *wb, struct wmodel *m, uint8_t op, struct input *in)
{
	uint8_t bytes[SMALL + 8];
	uint8_t enc[SMALL + 16];
	size_t n, w;
	uint64_t v;
	int r;

	switch (op % 5) {
	case 0: /* integers */
		w = (size_t)1 << (in_u8(in) % 4);
		n = in_bytes(in, bytes, w);
		memset(bytes + n, 0, w - n);
		v = be(bytes, w);
		switch (w) {
		case 1: r = wbuf_put_u8(wb, (uint8_t)v); break;
		case 2: r = wbuf_put_u16(wb, (uint16_t)v); break;
		case 4: r = wbuf_put_u32(wb, (uint32_t)v); break;
		default: r = wbuf_put_u64(wb, v); break;
		}
		wput(m, bytes, w, r);
		break;
	case 1: /* bytes */
		n = in_bytes(in, bytes, in_u8(in) % (SMALL + 4));
		wput(m, bytes, n, wbuf_put_bytes(wb, bytes, n));
		break;
	case 2: /* string: up to the first NUL of a few input bytes */
	{
		char s[SMALL + 8];

		n = in_bytes(in, (uint8_t *)s, in_u8(in) % (SMALL + 4));
		s[n] = '\0';
		n = strlen(s);
		enc[0] = (uint8_t)(n >> 8);
		enc[1] = (uint8_t)n;
		memcpy(enc + 2, s, n);
		wput(m, enc, 2 + n, wbuf_put_string(wb, s));
		break;
	}
	case 3: /* blob */
		n = in_bytes(in, bytes, in_u8(in) % (SMALL + 4));
		enc[0] = enc[1] = 0;
		enc[2] = (uint8_t)(n >> 8);
		enc[3] = (uint8_t)n;
		memcpy(enc + 4, bytes, n);
		wput(m, enc, 4 + n, wbuf_put_blob(wb, n > 0 ? bytes : NULL, n));
		break;
	default: /* restart */
		wbuf_init(wb, wb->data, m->cap);
		m->len = 0;
		m->error = false;
		break;
	}
	wcheck(wb, m);
}

/* ---- iobuf --------------------------------------------------------------- */

struct iomodel {
	uint8_t q[SMALL];          /* queued bytes, front first */
	size_t used;
	size_t cap;
	uint8_t pipe[4 * SMALL * MAX_OPS]; /* bytes in flight in the pipe */
	size_t pipe_len;
};

static int pipe_fds[2] = { -1, -1 };

static void iocheck(const struct iobuf *io, const struct iomodel *m)
{
	FUZZ_CHECK(io->head <= io->tail && io->tail <= io->cap && io->cap == m->cap);
	FUZZ_CHECK(iobuf_used(io) == m->used);
	FUZZ_CHECK(iobuf_room(io) == m->cap - m->used);
	FUZZ_CHECK(m->used == 0 || memcmp(iobuf_peek(io), m->q, m->used) == 0);
	if (m->used == 0)
		FUZZ_CHECK(io->head == 0 && io->tail == 0);
}

static void run_iobuf_op(struct iobuf *io, struct iomodel *m, uint8_t op, struct input *in)
{
	uint8_t bytes[SMALL + 8];
	size_t n;
	ssize_t r;

	switch (op % 5) {
	case 0: /* append */
		n = in_bytes(in, bytes, in_u8(in) % (SMALL + 4));
		if (n > m->cap - m->used) {
			FUZZ_CHECK(iobuf_append(io, bytes, n) == -1);
		} else {
			FUZZ_CHECK(iobuf_append(io, bytes, n) == 0);
			memcpy(m->q + m->used, bytes, n);
			m->used += n;
		}
		break;
	case 1: /* consume, clamped to what is queued */
		n = in_u8(in) % (SMALL + 4);
		iobuf_consume(io, n);
		if (n > m->used)
			n = m->used;
		memmove(m->q, m->q + n, m->used - n);
		m->used -= n;
		break;
	case 2: /* compact */
		iobuf_compact(io);
		FUZZ_CHECK(io->head == 0 && io->tail == m->used);
		break;
	case 3: /* write everything queued into the pipe */
		if (pipe_fds[1] < 0)
			break;
		r = iobuf_write_fd(io, pipe_fds[1]);
		FUZZ_CHECK(r == (ssize_t)m->used);
		FUZZ_CHECK(m->pipe_len + m->used <= sizeof(m->pipe));
		memcpy(m->pipe + m->pipe_len, m->q, m->used);
		m->pipe_len += m->used;
		m->used = 0;
		break;
	default: /* read at most max bytes from the pipe */
	{
		size_t max = in_u8(in) % (SMALL + 4);
		size_t room = m->cap - m->used;

		if (pipe_fds[0] < 0)
			break;
		errno = 0;
		r = iobuf_read_fd(io, pipe_fds[0], max);
		if (max == 0 || room == 0) {
			FUZZ_CHECK(r == -1 && errno == ENOBUFS);
		} else if (m->pipe_len == 0) {
			FUZZ_CHECK(r == -1 && errno == EAGAIN);
		} else {
			/* Compaction makes the whole room contiguous when max
			 * needs it, so a pipe read gets min(max, room, queued). */
			size_t want = max < room ? max : room;

			if (want > m->pipe_len)
				want = m->pipe_len;
			FUZZ_CHECK(r > 0 && (size_t)r == want);
			memcpy(m->q + m->used, m->pipe, (size_t)r);
			m->used += (size_t)r;
			memmove(m->pipe, m->pipe + r, m->pipe_len - (size_t)r);
			m->pipe_len -= (size_t)r;
		}
		break;
	}
	}
	iocheck(io, m);
}

static void open_pipe(void)
{
	if (pipe_fds[0] >= 0)
		return;
	if (pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) < 0)
		pipe_fds[0] = pipe_fds[1] = -1;
}

static void drain_pipe(void)
{
	uint8_t junk[4096];

	if (pipe_fds[0] < 0)
		return;
	while (read(pipe_fds[0], junk, sizeof(junk)) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct iomodel iom;
	struct input in = { data, size, 0 };
	struct rbuf rb;
	struct rmodel rm;
	struct wbuf wb;
	struct wmodel wm;
	struct iobuf io;
	uint8_t *rdata, *wdata, *iodata;
	size_t rlen, wcap, iocap;

	open_pipe();
	rlen = in_u8(&in) % SMALL;
	wcap = in_u8(&in) % SMALL;
	iocap = in_u8(&in) % SMALL;

	/* The rbuf reads bytes taken from the input, in an exact-size block. */
	rdata = malloc(rlen > 0 ? rlen : 1);
	wdata = malloc(wcap > 0 ? wcap : 1);
	iodata = malloc(iocap > 0 ? iocap : 1);
	FUZZ_CHECK(rdata != NULL && wdata != NULL && iodata != NULL);
	rlen = in_bytes(&in, rdata, rlen);

	rbuf_init(&rb, rdata, rlen);
	rm = (struct rmodel){ rdata, rlen, 0, false };
	rcheck(&rb, &rm);
	wbuf_init(&wb, wdata, wcap);
	memset(&wm, 0, sizeof(wm));
	wm.cap = wcap;
	wcheck(&wb, &wm);
	iobuf_init(&io, iodata, iocap);
	iom.used = 0;
	iom.cap = iocap;
	iom.pipe_len = 0;
	iocheck(&io, &iom);

	/* NULL storage means an empty buffer, never a crash. */
	{
		struct rbuf r0;
		struct wbuf w0;
		uint8_t b;

		rbuf_init(&r0, NULL, 5);
		FUZZ_CHECK(rbuf_remaining(&r0) == 0 && rbuf_get_u8(&r0, &b) == -1);
		wbuf_init(&w0, NULL, 5);
		FUZZ_CHECK(wbuf_put_u8(&w0, 1) == -1 && w0.len == 0);
	}

	for (unsigned ops = 0; in.pos < in.len && ops < MAX_OPS; ops++) {
		uint8_t op = in_u8(&in);

		switch (op % 3) {
		case 0: run_rbuf_op(&rb, &rm, (uint8_t)(op / 3), &in); break;
		case 1: run_wbuf_op(&wb, &wm, (uint8_t)(op / 3), &in); break;
		default: run_iobuf_op(&io, &iom, (uint8_t)(op / 3), &in); break;
		}
	}
	drain_pipe();
	free(rdata);
	free(wdata);
	free(iodata);
	return 0;
}
