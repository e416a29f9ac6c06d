/*
 * advice.h - failures told as what the user can do about them.
 *
 * Trust zone: client (runs as the user; reads the user's own credentials
 * cache through the Kerberos and GSS-API libraries).
 *
 * A GSS-API status text ("No credentials were supplied, or the credentials
 * were unavailable or inaccessible; ...") or a bare "01 ff" does not tell a
 * person what to do.  The two commonest failures get one line each that
 * does:
 *   advice_check_credentials()  before connecting: no ticket, or an expired
 *                               one -> "run kinit", naming the principal
 *                               and the credentials cache;
 *   advice_context_abort()      the gateway aborted the context (01 ff):
 *                               the likely causes, and where to look;
 *   advice_level_abort()        the gateway refused after authentication
 *                               (01 ff to the level message): what its
 *                               policy may have refused.
 */
#ifndef GSSOCKS_CLIENT_ADVICE_H
#define GSSOCKS_CLIENT_ADVICE_H

#include <stdbool.h>

/*
 * 0 when the default credentials cache (KRB5CCNAME, or krb5.conf's
 * default) yields initiator credentials with lifetime left; -1 after
 * printing one line telling the user to run kinit.
 */
int advice_check_credentials(void);

/* The gateway sent 01 ff during context establishment with target
 * SERVICE@HOST: one line with the likely causes. */
void advice_context_abort(const char *target);

/* The gateway sent 01 ff in answer to our level message (level asked,
 * NEC form or not): it authenticated us and its policy refused. */
void advice_level_abort(const char *level, bool nec);

#endif
