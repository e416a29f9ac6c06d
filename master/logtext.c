/*
 * logtext.c - see logtext.h.  Trust zone: master.
 */
#include <stdio.h>

#include "logtext.h"

const char *logtext(const char *in, bool in_quotes, char *out, size_t outlen)
{
	size_t used = 0;

	if (outlen == 0)
		return out;
	for (; *in != '\0'; in++) {
		unsigned char c = (unsigned char)*in;
		if (((c == ' ' && in_quotes) || (c > 0x20 && c < 0x7f)) && c != '"' && c != '\\') {
			if (used + 1 >= outlen)
				break;
			out[used++] = (char)c;
		} else {
			if (used + 4 >= outlen)
				break;
			snprintf(out + used, outlen - used, "\\x%02x", c);
			used += 4;
		}
	}
	out[used] = '\0';
	return out;
}
