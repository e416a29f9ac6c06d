/*
 * gsserr.c - see gsserr.h.  Trust zone: shared.
 *
 * Design: gss_display_status() is asked for every message of the major
 * code, then of the minor code.  MIT's mechglue maps a mechanism's minor
 * code 0 to a code of its own, which displays as "Success" (com_err's text
 * for 0); a failure "...; Success" tells a reader nothing and reads as a
 * contradiction, so a minor message that says only that is left out.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "gsserr.h"

/* A minor message that carries no information ("Success" for code 0). */
static bool minor_text_empty(const gss_buffer_desc *msg)
{
	static const char success[] = "Success";

	return msg->length == 0 ||
	       (msg->length == sizeof(success) - 1 &&
		memcmp(msg->value, success, sizeof(success) - 1) == 0);
}

static void append_status(OM_uint32 code, int type, char *out, size_t outlen)
{
	OM_uint32 ctx = 0, maj, min;
	gss_buffer_desc msg;

	do {
		maj = gss_display_status(&min, code, type, GSS_C_NO_OID, &ctx, &msg);
		if (GSS_ERROR(maj))
			break;
		size_t used = strlen(out);
		if (!(type == GSS_C_MECH_CODE && minor_text_empty(&msg)) && used + 3 < outlen)
			snprintf(out + used, outlen - used, "%s%.*s", used ? "; " : "",
				 (int)msg.length, (const char *)msg.value);
		gss_release_buffer(&min, &msg);
	} while (ctx != 0);
}

void gss_status_text(OM_uint32 major, OM_uint32 minor, char *out, size_t outlen)
{
	if (outlen == 0)
		return;
	out[0] = '\0';
	append_status(major, GSS_C_GSS_CODE, out, outlen);
	if (minor != 0)
		append_status(minor, GSS_C_MECH_CODE, out, outlen);
	if (out[0] == '\0')
		snprintf(out, outlen, "GSS major 0x%x minor 0x%x", major, minor);
}
