/*
 * logtext.h - make untrusted text safe for one-line key=value log records.
 *
 * Trust zone: master.  Principal names and failure reasons come from
 * authproc, destination names from a client: none of them may break a log
 * line or forge a key=value pair.
 */
#ifndef GSSOCKS_MASTER_LOGTEXT_H
#define GSSOCKS_MASTER_LOGTEXT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Copy `in` to `out` with every octet outside printable ASCII, and the
 * characters `"` and `\`, written as \xNN; spaces too unless `in_quotes`
 * (the caller prints the value inside "...").  out is always
 * NUL-terminated; long input is cut.  Returns out, for use in printf.
 */
const char *logtext(const char *in, bool in_quotes, char *out, size_t outlen);

#endif
