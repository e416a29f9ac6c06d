/*
 * principal.c - principal names <-> policy file names.
 *
 * Trust zone: master.  Principal names come from authproc (the name that
 * GSS-API authenticated); file names from the administrator's directory.
 *
 * Design: the only bytes a Linux file name cannot hold are '/' and NUL, and
 * the loader ignores names starting with '.', so the encoding escapes
 * exactly '/', a leading '.' and the escape character itself: "%2F",
 * "%2E", "%25".  Every principal has exactly one file name; a file name is
 * accepted only in that canonical spelling (decode, re-encode, compare),
 * so two files can never claim the same principal.
 */
#include "policy.h"

#include <string.h>

static int principal_valid(const char *s, size_t len)
{
	size_t at = len;

	if (len == 0 || len > POLICY_MAX_PRINCIPAL)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return -1;
		if (c == '@')
			at = i;
	}
	if (at == len || at + 1 == len)
		return -1;          /* no '@' or an empty realm */
	return 0;
}

int policy_principal_to_file(const char *principal, char *out, size_t outlen)
{
	size_t len = strnlen(principal, POLICY_MAX_PRINCIPAL + 1);
	size_t n = 0;

	if (principal_valid(principal, len) < 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		const char *esc = NULL;
		char c = principal[i];

		if (c == '%')
			esc = "%25";
		else if (c == '/')
			esc = "%2F";
		else if (c == '.' && i == 0)
			esc = "%2E";
		if (esc != NULL) {
			if (n + 3 >= outlen)
				return -1;
			memcpy(&out[n], esc, 3);
			n += 3;
		} else {
			if (n + 1 >= outlen)
				return -1;
			out[n++] = c;
		}
	}
	if (n >= outlen)
		return -1;
	out[n] = '\0';
	return 0;
}

int policy_file_to_principal(const char *file_name, char *out, size_t outlen)
{
	char canonical[3 * POLICY_MAX_PRINCIPAL + 1];
	size_t len = strnlen(file_name, sizeof(canonical));
	size_t n = 0;

	if (len == sizeof(canonical) || outlen == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = file_name[i];

		if (c == '%') {
			if (i + 2 >= len)
				return -1;
			if (file_name[i + 1] == '2' && file_name[i + 2] == '5')
				c = '%';
			else if (file_name[i + 1] == '2' && file_name[i + 2] == 'F')
				c = '/';
			else if (file_name[i + 1] == '2' && file_name[i + 2] == 'E')
				c = '.';
			else
				return -1;
			i += 2;
		}
		if (n + 1 >= outlen)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';
	if (n == 0)
		return -1;
	if (policy_principal_to_file(out, canonical, sizeof(canonical)) < 0 ||
	    strcmp(canonical, file_name) != 0)
		return -1;
	return 0;
}
