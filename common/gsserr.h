/*
 * gsserr.h - GSS-API status codes as text, for logs and audit records.
 * Trust zone: shared (authproc, relay, client).
 */
#ifndef GSSOCKS_COMMON_GSSERR_H
#define GSSOCKS_COMMON_GSSERR_H

#include <stddef.h>
#include <gssapi/gssapi.h>

/*
 * "major text; minor text" into out (always NUL-terminated); a minor text
 * that only says "Success" (a mechanism minor code 0) is left out.
 */
void gss_status_text(OM_uint32 major, OM_uint32 minor, char *out, size_t outlen);

#endif
