/*
 * lines.h - bounded line reader and word splitter for policy files.
 *
 * Trust zone: master.  The only code in policy/ that walks raw file bytes,
 * and it takes them one at a time from a proto/buf.h rbuf; it copies each line into a caller buffer of POLICY_MAX_LINE + 1 bytes,
 * strips the '#' comment, refuses NUL, carriage returns, other control
 * characters and non-ASCII bytes outside comments, then splits the line
 * into words at spaces and tabs.
 */
#ifndef GSSOCKS_POLICY_LINES_H
#define GSSOCKS_POLICY_LINES_H

#include <stddef.h>

#include "buf.h"
#include "policy.h"

#define LINE_MAX_WORDS 16

struct line_reader {
	struct rbuf rb;
	unsigned lineno;            /* number of the line last returned */
};

struct line_words {
	char buf[POLICY_MAX_LINE + 1];
	char *word[LINE_MAX_WORDS];
	size_t count;
};

void line_reader_init(struct line_reader *lr, const char *text, size_t len);

/*
 * Read the next line into out.  Returns 1 with out->word[0..count) set
 * (count may be 0 for an empty or comment-only line), 0 at the end of the
 * text, or -1 when the line is bad: *why is a reason written into whybuf
 * and reading may go on with the next line.
 */
int line_next(struct line_reader *lr, struct line_words *out, char *whybuf,
	      size_t whylen);

#endif
