/*
 * test_gsserr.c - unit test (TAP) of gss_status_text(): the texts come
 * from real GSS-API calls of MIT's library (nothing is mocked), made
 * without a KDC: an acceptor credential from an in-memory keytab with a
 * made-up key, fed tokens that fail in known ways.
 *
 * Trust zone: test only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>

#include "tap.h"
#include "gsserr.h"

#define KEYTAB "MEMORY:gssocks-test-gsserr"

static void bail_out(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void bail_out(const char *fmt, ...)
{
	va_list ap;

	fputs("Bail out! ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	exit(1);
}

/*
 * A MEMORY keytab lives while the process holds a handle: the context and
 * the handle stay in these globals for the whole run (reachable, so the
 * leak checker does not count them).
 */
static krb5_context kc;
static krb5_keytab kt;

/* An acceptor keytab entry for rcmd/localhost with an arbitrary AES key. */
static int make_keytab(void)
{
	krb5_keytab_entry e;
	static krb5_octet key[32] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	int rc = -1;

	if (krb5_init_context(&kc) != 0)
		return -1;
	memset(&e, 0, sizeof(e));
	if (krb5_kt_resolve(kc, KEYTAB, &kt) == 0) {
		if (krb5_build_principal(kc, &e.principal, 4, "TEST", "rcmd", "localhost",
					 NULL) == 0) {
			e.vno = 1;
			e.key.enctype = ENCTYPE_AES256_CTS_HMAC_SHA1_96;
			e.key.length = sizeof(key);
			e.key.contents = key;
			if (krb5_kt_add_entry(kc, kt, &e) == 0)
				rc = 0;
			krb5_free_principal(kc, e.principal);
		}
	}
	return rc;
}

/* gss_display_status(minor) alone, to check what the library itself says. */
static void minor_alone(OM_uint32 minor, char *out, size_t outlen)
{
	OM_uint32 ctx = 0, min;
	gss_buffer_desc msg;

	snprintf(out, outlen, "(none)");
	if (!GSS_ERROR(gss_display_status(&min, minor, GSS_C_MECH_CODE, GSS_C_NO_OID, &ctx,
					  &msg))) {
		snprintf(out, outlen, "%.*s", (int)msg.length, (const char *)msg.value);
		gss_release_buffer(&min, &msg);
	}
}

static void major_alone(OM_uint32 major, char *out, size_t outlen)
{
	gss_status_text(major, 0, out, outlen);
}

int main(void)
{
	/* A krb5 AP-REQ wrapper (RFC 1964 section 1.1) holding no AP-REQ. */
	static unsigned char junk[] = { 0x60, 0x0f, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
					0x12, 0x01, 0x02, 0x02, 0x01, 0x00, 0x61, 0x00 };
	gss_buffer_desc token = { sizeof(junk), junk };
	gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
	gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
	gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
	gss_key_value_element_desc el = { "keytab", KEYTAB };
	gss_key_value_set_desc store = { 1, &el };
	OM_uint32 major, minor, rmin;
	char text[768], alone[768], want[768];

	plan(7);
	setenv("KRB5_CONFIG", "/dev/null", 1);
	unsetenv("KRB5_TRACE");
	if (make_keytab() < 0)
		bail_out("cannot make the in-memory keytab");
	major = gss_acquire_cred_from(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, GSS_C_NO_OID_SET,
				      GSS_C_ACCEPT, &store, &cred, NULL, NULL);
	if (GSS_ERROR(major)) {
		gss_status_text(major, minor, text, sizeof(text));
		bail_out("acquiring the acceptor credential: %s", text);
	}

	/* 1: a mechanism failure whose minor code is 0 ("Success"). */
	major = gss_accept_sec_context(&minor, &ctx, cred, &token, GSS_C_NO_CHANNEL_BINDINGS,
				       NULL, NULL, &out, NULL, NULL, NULL);
	gss_release_buffer(&rmin, &out);
	ok(GSS_ERROR(major) && minor != 0, "junk AP-REQ fails with a minor code (major %#x minor %u)",
	   major, minor);
	minor_alone(minor, alone, sizeof(alone));
	is_str(alone, "Success", "the library displays that minor code as \"Success\"");
	gss_status_text(major, minor, text, sizeof(text));
	major_alone(major, want, sizeof(want));
	ok(strstr(text, "Success") == NULL, "no \"Success\" in the failure text: \"%s\"", text);
	is_str(text, want, "the text is the major text alone");

	/* 2: an informative minor text stays. */
	{
		gss_key_value_element_desc bad = { "keytab", "FILE:/nonexistent/gssocks-keytab" };
		gss_key_value_set_desc badstore = { 1, &bad };
		gss_cred_id_t none = GSS_C_NO_CREDENTIAL;

		major = gss_acquire_cred_from(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE,
					      GSS_C_NO_OID_SET, GSS_C_ACCEPT, &badstore, &none,
					      NULL, NULL);
		gss_status_text(major, minor, text, sizeof(text));
		major_alone(major, want, sizeof(want));
		ok(GSS_ERROR(major), "a missing keytab fails: \"%s\"", text);
		ok(strncmp(text, want, strlen(want)) == 0 && strlen(text) > strlen(want) + 2 &&
		   strstr(text, "/nonexistent/gssocks-keytab") != NULL,
		   "the minor text naming the keytab follows the major text");
		if (none != GSS_C_NO_CREDENTIAL)
			gss_release_cred(&rmin, &none);
	}

	/* 3: nothing displayable at all still says something. */
	gss_status_text(0xdead0000u, 0, text, sizeof(text));
	ok(text[0] != '\0', "an unknown major code still gives a text: \"%s\"", text);

	gss_release_cred(&rmin, &cred);
	return done_testing();
}
