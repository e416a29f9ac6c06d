/*
 * fuzz_gssframe.c - fuzz target for the RFC 1961 frame codec (proto/gssframe.c).
 *
 * Trust zone: tests only.  The codec parses frames from untrusted peers in
 * authproc, the relay and the client.
 *
 * Invariants checked on arbitrary bytes, for every prefix of the input
 * that matters and for each frame of a stream of frames:
 *  - gssframe_parse() and gssframe_missing() agree: parse -1 <=> missing
 *    -1, parse 1 <=> missing 0, parse 0 <=> missing > 0;
 *  - a parsed frame uses at most the bytes it was given (used <= len),
 *    its token lies inside them, an abort is exactly 01 ff;
 *  - a frame re-encoded with gssframe_put()/gssframe_put_abort() gives
 *    back the very bytes it was parsed from;
 *  - prefixes of a whole frame are "need more" (never malformed), and the
 *    bytes missing() asks for never reach past the frame (past its 4-octet
 *    header for an abort: see gssframe.c), so a reader that honours it
 *    never swallows a byte of the next phase;
 *  - giving missing() more bytes completes the frame exactly.
 */
#include <string.h>

#include "fuzz.h"
#include "gssframe.h"

static void check_prefix(const uint8_t *p, size_t k, size_t whole)
{
	struct gssframe f;
	size_t used = 0;
	long m = gssframe_missing(p, k);

	FUZZ_CHECK(gssframe_parse(p, k, &f, &used) == 0);
	FUZZ_CHECK(m > 0);
	FUZZ_CHECK(k + (size_t)m <= (whole > GSSFRAME_HEADER_LEN ? whole : GSSFRAME_HEADER_LEN));
}

/* One frame at the start of p[0..len); returns bytes used, 0 when none. */
static size_t check_one(const uint8_t *p, size_t len)
{
	static uint8_t out[GSSFRAME_HEADER_LEN + GSSFRAME_MAX_TOKEN];
	struct gssframe f;
	struct wbuf wb;
	size_t used = 0;
	int r = gssframe_parse(p, len, &f, &used);
	long m = gssframe_missing(p, len);

	FUZZ_CHECK(r >= -1 && r <= 1);
	FUZZ_CHECK((r == -1) == (m == -1));
	FUZZ_CHECK((r == 1) == (m == 0));
	FUZZ_CHECK((r == 0) == (m > 0));
	if (r == 0 && len >= GSSFRAME_HEADER_LEN) {
		/* Header known: exactly m more bytes finish the frame. */
		uint8_t *more = calloc(1, len + (size_t)m);

		FUZZ_CHECK(more != NULL);
		memcpy(more, p, len);
		FUZZ_CHECK(gssframe_parse(more, len + (size_t)m, &f, &used) == 1);
		FUZZ_CHECK(used == len + (size_t)m);
		FUZZ_CHECK(gssframe_missing(more, len + (size_t)m) == 0);
		free(more);
		return 0;
	}
	if (r == 0 && len < GSSFRAME_HEADER_LEN)
		FUZZ_CHECK((size_t)m <= GSSFRAME_HEADER_LEN - len);
	if (r != 1)
		return 0;

	FUZZ_CHECK(used <= len);
	FUZZ_CHECK(used >= GSSFRAME_ABORT_LEN);
	FUZZ_CHECK(p[0] == GSSFRAME_VERSION && f.mtyp == p[1]);
	wbuf_init(&wb, out, sizeof(out));
	if (f.mtyp == GSSFRAME_ABORT) {
		FUZZ_CHECK(used == GSSFRAME_ABORT_LEN && f.len == 0 && f.token == NULL);
		FUZZ_CHECK(gssframe_put_abort(&wb) == 0);
	} else {
		FUZZ_CHECK(f.mtyp == GSSFRAME_AUTH || f.mtyp == GSSFRAME_PROT ||
			   f.mtyp == GSSFRAME_DATA);
		FUZZ_CHECK(used == GSSFRAME_HEADER_LEN + (size_t)f.len);
		FUZZ_CHECK(f.token == p + GSSFRAME_HEADER_LEN);
		FUZZ_CHECK(gssframe_put(&wb, f.mtyp, f.token, f.len) == 0);
	}
	FUZZ_CHECK(wbuf_ok(&wb) == 0 && wb.len == used && memcmp(out, p, used) == 0);

	/* The same frame, given only its own bytes. */
	{
		struct gssframe g;
		size_t used2 = 0;

		FUZZ_CHECK(gssframe_parse(p, used, &g, &used2) == 1);
		FUZZ_CHECK(used2 == used && g.mtyp == f.mtyp && g.len == f.len && g.token == f.token);
	}
	/* Every shorter prefix needs more.  Dense at the start (the header),
	 * then sampled so a 64 KiB token costs little. */
	for (size_t k = 0; k < used; k++) {
		check_prefix(p, k, used);
		if (k == 16 && used > 64)
			k = used - 16;
	}
	return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0;
	unsigned frames = 0;

	/* A stream of frames, as a reader would walk it. */
	while (pos < size && frames < 1024) {
		size_t used = check_one(data + pos, size - pos);

		if (used == 0)
			break;
		FUZZ_CHECK(used <= size - pos);
		pos += used;
		frames++;
	}
	if (pos == size)
		(void)check_one(data + pos, 0);

	/* Builders refuse what the wire cannot carry and leave wb unchanged. */
	{
		uint8_t small[8];
		struct wbuf wb;
		uint8_t mtyp = size > 0 ? data[0] : 0;
		size_t tlen = size > 1 ? data[1] : 0;
		int r;

		wbuf_init(&wb, small, sizeof(small));
		r = gssframe_put(&wb, mtyp, size > 2 ? data + 2 : data,
				 tlen <= (size > 2 ? size - 2 : 0) ? tlen : 0);
		if (r < 0)
			FUZZ_CHECK(wb.len == 0 && wbuf_ok(&wb) < 0);
		else
			FUZZ_CHECK(wb.len >= GSSFRAME_HEADER_LEN && wb.len <= sizeof(small));
		wbuf_init(&wb, small, sizeof(small));
		FUZZ_CHECK(gssframe_put_header(&wb, mtyp, GSSFRAME_MAX_TOKEN + 1 + tlen) == -1);
		FUZZ_CHECK(wb.len == 0);
	}
	return 0;
}
