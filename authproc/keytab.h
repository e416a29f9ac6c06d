/*
 * keytab.h - the service keys in memory and the acceptor credentials.
 *
 * Trust zone: authproc (holds long-term keys).  The FILE keytab named by
 * --keytab is read once at start-up and every entry is copied into a
 * MEMORY: keytab private to this process; the file is closed before the
 * loop starts (and before any sandbox), because MIT krb5 reopens a FILE
 * keytab on every lookup.  Acceptor credentials are acquired from the
 * MEMORY keytab with GSS_C_NO_NAME, so any principal in the keytab is
 * accepted (one gateway, several service names).  The replay cache is left
 * at its default: disabling it would let a replayed AP-REQ authenticate.
 */
#ifndef GSSOCKS_AUTHPROC_KEYTAB_H
#define GSSOCKS_AUTHPROC_KEYTAB_H

#include <stddef.h>

#include <gssapi/gssapi.h>
#include <krb5.h>

struct acceptor {
	krb5_context kctx;
	krb5_keytab memory;            /* kept open: the MEMORY keytab lives on */
	char memory_name[64];          /* "MEMORY:gssocks-authproc-<pid>" */
	size_t entries;
	gss_cred_id_t cred;
};

/*
 * Copy every entry of the FILE keytab at path into a fresh MEMORY keytab.
 * fatal() with a message naming the path when the keytab cannot be read or
 * holds no entries: authproc must not run without keys.
 */
void keytab_load(struct acceptor *a, const char *path);

/* Acquire krb5 acceptor credentials from the MEMORY keytab; fatal() on failure. */
void acceptor_acquire(struct acceptor *a);

#endif
