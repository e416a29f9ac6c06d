/*
 * handoff.h - passing an established session on, and reports to the master.
 *
 * Trust zone: authproc.  The order is fixed by DESIGN.md: IPC_AUTH_OK to
 * the master first, then gss_export_sec_context, then IPC_RELAY_SESSION
 * (context + client fd) on the relay slot's direct channel, so the master
 * knows the session is authenticated before the relay can ask for it.
 */
#ifndef GSSOCKS_AUTHPROC_HANDOFF_H
#define GSSOCKS_AUTHPROC_HANDOFF_H

#include <stdint.h>

#include "authproc.h"

/*
 * The level answer has been written: report, export, hand the session to
 * its relay slot and close our copy of the client fd.  On failure the
 * client is closed and the master gets IPC_AUTH_FAIL.  When the slot has
 * no channel yet, nothing is reported: c waits for one
 * (handshake_wait_relay) and this is called again once it came.
 */
void handoff_session(struct authproc *ap, struct auth_client *c);

/*
 * IPC_AUTH_FAIL {session_id, reason} to the master.  A master that cannot
 * be written to is gone: the process exits.
 */
void report_auth_fail(struct authproc *ap, uint64_t session_id, const char *reason);

/*
 * Ask the master which level c's principal may use (IPC_AUTH_LEVEL_QUERY:
 * principal, mechanism, the requested octet, NEC form, and the context's
 * INTEG / CONF / REPLAY / SEQUENCE flags, from which the master's
 * level_choose() knows what the context can carry and why not).  0, or -1
 * after failing the client.
 */
int report_level_query(struct authproc *ap, struct auth_client *c, uint8_t requested);

#endif
