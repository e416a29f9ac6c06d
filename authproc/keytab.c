/*
 * keytab.c - service keys into memory, acceptor credentials (see keytab.h).
 *
 * Trust zone: authproc, start-up only.  The keytab file is trusted (the
 * operator's); the failure modes are its absence, unreadability or
 * emptiness, each refused with a message naming the path.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>

#include "../common/gsserr.h"
#include "../common/log.h"
#include "keytab.h"

/* Start-up cannot go on without keys: say what failed, with krb5's text. */
static void krb5_fatal(krb5_context kctx, krb5_error_code code, const char *what,
		       const char *path) __attribute__((noreturn));

static void krb5_fatal(krb5_context kctx, krb5_error_code code, const char *what,
		       const char *path)
{
	const char *msg = krb5_get_error_message(kctx, code);

	fatal("keytab %s: %s: %s", path, what, msg);
}

/* Append the entry's principal to list (", "-separated) unless it is there. */
static void principal_note(krb5_context kctx, krb5_const_principal principal, char *list,
			   size_t listlen)
{
	char *name = NULL;
	size_t used = strlen(list);

	if (krb5_unparse_name(kctx, principal, &name) != 0)
		return;
	if (strstr(list, name) == NULL && used + strlen(name) + 3 < listlen)
		snprintf(list + used, listlen - used, "%s%s", used ? ", " : "", name);
	krb5_free_unparsed_name(kctx, name);
}

void keytab_load(struct acceptor *a, const char *path)
{
	char file_name[4096];
	krb5_keytab file = NULL;
	krb5_kt_cursor cursor;
	krb5_keytab_entry entry;
	krb5_error_code code;
	char principals[1024] = "";
	size_t n = 0;
	int len;

	memset(a, 0, sizeof(*a));
	a->cred = GSS_C_NO_CREDENTIAL;
	code = krb5_init_context(&a->kctx);
	if (code != 0)
		fatal("krb5 configuration: krb5_init_context failed: %s",
		      krb5_get_error_message(NULL, code));

	len = snprintf(file_name, sizeof(file_name), "FILE:%s", path);
	if (len < 0 || (size_t)len >= sizeof(file_name))
		fatal("keytab path too long: %s", path);

	code = krb5_kt_resolve(a->kctx, file_name, &file);
	if (code != 0)
		krb5_fatal(a->kctx, code, "cannot resolve", path);

	snprintf(a->memory_name, sizeof(a->memory_name),
		 "MEMORY:gssocks-authproc-%ld", (long)getpid());
	code = krb5_kt_resolve(a->kctx, a->memory_name, &a->memory);
	if (code != 0)
		krb5_fatal(a->kctx, code, "cannot create the MEMORY keytab", path);

	code = krb5_kt_start_seq_get(a->kctx, file, &cursor);
	if (code != 0)
		krb5_fatal(a->kctx, code, "cannot read", path);
	while ((code = krb5_kt_next_entry(a->kctx, file, &entry, &cursor)) == 0) {
		krb5_error_code add = krb5_kt_add_entry(a->kctx, a->memory, &entry);

		principal_note(a->kctx, entry.principal, principals, sizeof(principals));
		krb5_free_keytab_entry_contents(a->kctx, &entry);
		if (add != 0)
			krb5_fatal(a->kctx, add, "cannot copy an entry into memory", path);
		n++;
	}
	if (code != KRB5_KT_END)
		krb5_fatal(a->kctx, code, "cannot read an entry", path);
	krb5_kt_end_seq_get(a->kctx, file, &cursor);
	krb5_kt_close(a->kctx, file);

	if (n == 0)
		fatal("keytab %s holds no keys: refusing to start", path);
	a->entries = n;
	/* gssocksd.conf names no service: any principal of the keytab is
	 * accepted (GSS_C_NO_NAME); which ones, for whoever debugs a client. */
	log_debug("keytab %s: keys for %s", path, principals);
	log_info("keytab %s: %zu entries loaded into %s", path, n, a->memory_name);
}

void acceptor_acquire(struct acceptor *a)
{
	OM_uint32 major, minor;
	gss_OID_set_desc mechs = { 1, (gss_OID)gss_mech_krb5 };
	gss_key_value_element_desc element = { "keytab", a->memory_name };
	gss_key_value_set_desc store = { 1, &element };
	char text[512];

	major = gss_acquire_cred_from(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE,
				      &mechs, GSS_C_ACCEPT, &store, &a->cred,
				      NULL, NULL);
	if (GSS_ERROR(major)) {
		gss_status_text(major, minor, text, sizeof(text));
		fatal("cannot acquire acceptor credentials from %s: %s",
		      a->memory_name, text);
	}
}
