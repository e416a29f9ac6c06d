/*
 * lines.c - bounded line reader and word splitter for policy files.
 *
 * Trust zone: master.  See lines.h.  Bytes come from rbuf_get_u8(); a byte
 * is stored into the fixed line buffer only while the line is still within
 * POLICY_MAX_LINE, the rest of an overlong line is consumed and reported.
 */
#include "lines.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void line_reader_init(struct line_reader *lr, const char *text, size_t len)
{
	rbuf_init(&lr->rb, text, len);
	lr->lineno = 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Split out->buf in place at blanks. */
static int split_words(struct line_words *out, char *whybuf, size_t whylen)
{
	size_t i = 0;

	out->count = 0;
	for (;;) {
		while (out->buf[i] != '\0' && is_blank(out->buf[i]))
			i++;
		if (out->buf[i] == '\0')
			return 0;
		if (out->count == LINE_MAX_WORDS) {
			snprintf(whybuf, whylen, "more than %d words on one line",
				 LINE_MAX_WORDS);
			return -1;
		}
		out->word[out->count++] = &out->buf[i];
		while (out->buf[i] != '\0' && !is_blank(out->buf[i]))
			i++;
		if (out->buf[i] == '\0')
			return 0;
		out->buf[i++] = '\0';
	}
}

int line_next(struct line_reader *lr, struct line_words *out, char *whybuf,
	      size_t whylen)
{
	const char *bad = NULL;
	bool in_comment = false;
	size_t length = 0, n = 0;
	uint8_t c;

	out->count = 0;
	out->buf[0] = '\0';
	if (rbuf_remaining(&lr->rb) == 0)
		return 0;
	lr->lineno++;
	while (rbuf_get_u8(&lr->rb, &c) == 0 && c != '\n') {
		if (++length > POLICY_MAX_LINE || bad != NULL)
			continue;       /* consume the rest of the line */
		if (c == '\0') {
			bad = "NUL byte in line";
			continue;
		}
		if (c == '#')
			in_comment = true;
		if (in_comment)
			continue;
		if (c == '\r') {
			bad = "carriage return in line (DOS line ending?)";
		} else if ((c < 0x20 && c != '\t') || c >= 0x7f) {
			snprintf(whybuf, whylen, "invalid byte 0x%02x outside a comment", c);
			bad = whybuf;
		} else {
			out->buf[n++] = (char)c;
		}
	}
	if (length > POLICY_MAX_LINE) {
		snprintf(whybuf, whylen, "line longer than %d bytes", POLICY_MAX_LINE);
		return -1;
	}
	if (bad != NULL) {
		if (bad != whybuf)
			snprintf(whybuf, whylen, "%s", bad);
		return -1;
	}
	out->buf[n] = '\0';
	if (split_words(out, whybuf, whylen) < 0) {
		out->count = 0;
		return -1;
	}
	return 1;
}
