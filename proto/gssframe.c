/*
 * gssframe.c - RFC 1961 frame codec (see gssframe.h).
 *
 * Trust zone: shared; parses frames from untrusted peers (authproc, relay,
 * client).  Pure functions: no I/O, no GSS-API calls, no allocation.
 *
 * Design choices:
 *  - The version octet and the mtyp octet are judged as soon as they are
 *    present, so garbage is refused after one or two octets instead of
 *    waiting for a length that will never come.
 *  - An abort is exactly the two octets 01 ff (RFC 1961 gives it no length
 *    and no token); every other frame is 4 + len octets.
 *  - gssframe_missing() asks for the 4-octet header first (never more):
 *    a non-abort frame has at least 4 octets and nothing legitimately
 *    follows an abort, so a reader that honours it never consumes a byte
 *    of the next frame or of the next protocol phase.
 */
#include <string.h>

#include "gssframe.h"

static bool mtyp_known(uint8_t mtyp)
{
	return mtyp == GSSFRAME_AUTH || mtyp == GSSFRAME_PROT ||
	       mtyp == GSSFRAME_DATA || mtyp == GSSFRAME_ABORT;
}

/*
 * Total size of the frame starting at p[0..len): > 0 when known, 0 when
 * more header bytes are needed, -1 when the header is invalid.
 */
static long frame_size(const uint8_t *p, size_t len)
{
	if (len < 1)
		return 0;
	if (p[0] != GSSFRAME_VERSION)
		return -1;
	if (len < 2)
		return 0;
	if (!mtyp_known(p[1]))
		return -1;
	if (p[1] == GSSFRAME_ABORT)
		return GSSFRAME_ABORT_LEN;
	if (len < GSSFRAME_HEADER_LEN)
		return 0;
	return GSSFRAME_HEADER_LEN + (long)((unsigned)p[2] << 8 | p[3]);
}

int gssframe_parse(const uint8_t *p, size_t len, struct gssframe *frame, size_t *used)
{
	long size = frame_size(p, len);

	if (size < 0)
		return -1;
	if (size == 0 || (size_t)size > len)
		return 0;
	frame->mtyp = p[1];
	if (frame->mtyp == GSSFRAME_ABORT) {
		frame->len = 0;
		frame->token = NULL;
	} else {
		frame->len = (uint16_t)(size - GSSFRAME_HEADER_LEN);
		frame->token = p + GSSFRAME_HEADER_LEN;
	}
	*used = (size_t)size;
	return 1;
}

long gssframe_missing(const uint8_t *p, size_t len)
{
	long size = frame_size(p, len);

	if (size < 0)
		return -1;
	if (size == 0) {
		/* Header incomplete.  With 01 and a non-abort mtyp we know it
		 * is a 4-octet header; with 0 or 1 octet it may still be an
		 * abort, but asking for 4 is safe (see the file comment). */
		return (long)(GSSFRAME_HEADER_LEN - len);
	}
	if ((size_t)size <= len)
		return 0;
	return size - (long)len;
}

int gssframe_put_header(struct wbuf *wb, uint8_t mtyp, size_t token_len)
{
	uint8_t h[GSSFRAME_HEADER_LEN];

	if (token_len > GSSFRAME_MAX_TOKEN || mtyp == GSSFRAME_ABORT || !mtyp_known(mtyp)) {
		wb->error = true;
		return -1;
	}
	h[0] = GSSFRAME_VERSION;
	h[1] = mtyp;
	h[2] = (uint8_t)(token_len >> 8);
	h[3] = (uint8_t)token_len;
	return wbuf_put_bytes(wb, h, sizeof(h));
}

int gssframe_put(struct wbuf *wb, uint8_t mtyp, const void *token, size_t token_len)
{
	/* Header and token together or nothing. */
	if (wb->error || token_len > GSSFRAME_MAX_TOKEN ||
	    wb->cap - wb->len < GSSFRAME_HEADER_LEN ||
	    token_len > wb->cap - wb->len - GSSFRAME_HEADER_LEN ||
	    (token_len > 0 && token == NULL)) {
		wb->error = true;
		return -1;
	}
	if (gssframe_put_header(wb, mtyp, token_len) < 0)
		return -1;
	return wbuf_put_bytes(wb, token, token_len);
}

int gssframe_put_abort(struct wbuf *wb)
{
	static const uint8_t abort_frame[GSSFRAME_ABORT_LEN] = { GSSFRAME_VERSION, GSSFRAME_ABORT };

	return wbuf_put_bytes(wb, abort_frame, sizeof(abort_frame));
}

static const char *const level_names[] = {
	[GSS_LEVEL_CLEAR] = "clear",
	[GSS_LEVEL_INTEGRITY] = "integrity",
	[GSS_LEVEL_CONFIDENTIALITY] = "confidentiality",
	[GSS_LEVEL_SELECTIVE] = "selective",
};

const char *gss_level_name(enum gss_level level)
{
	if ((unsigned)level < sizeof(level_names) / sizeof(level_names[0]))
		return level_names[level];
	return "unknown";
}

int gss_level_parse(const char *s, enum gss_level *out)
{
	static const struct {
		const char *word;
		enum gss_level level;
	} words[] = {
		{ "clear", GSS_LEVEL_CLEAR },
		{ "integrity", GSS_LEVEL_INTEGRITY },
		{ "confidentiality", GSS_LEVEL_CONFIDENTIALITY },
		{ "selective", GSS_LEVEL_SELECTIVE },
		{ "1", GSS_LEVEL_INTEGRITY },
		{ "2", GSS_LEVEL_CONFIDENTIALITY },
		{ "3", GSS_LEVEL_SELECTIVE },
	};

	if (s == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strcmp(s, words[i].word) == 0) {
			*out = words[i].level;
			return 0;
		}
	}
	return -1;
}
