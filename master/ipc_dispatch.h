/*
 * ipc_dispatch.h - messages from the children to the master.
 *
 * Trust zone: master.  Every child is treated as possibly compromised
 * (invariant 4): ipc_recv() already refuses types not permitted on the
 * channel (IPC_CHAN_MASTER_FROM_AUTHPROC / IPC_CHAN_MASTER_FROM_RELAY);
 * here each message is decoded and checked against the session table.
 * A message that breaks the rules gets its sender killed (and respawned).
 *
 *   authproc: AUTH_OK    session AUTHENTICATING -> AUTHENTICATED, principal
 *                        and level recorded (the only source of them)
 *             AUTH_FAIL  session AUTHENTICATING/AUTHENTICATED -> dropped
 *   relay N:  RELAY_REQUEST      session AUTHENTICATED, on slot N, first
 *                                request -> decision, resolve, connect
 *             RELAY_SESSION_END  session on slot N -> dropped, audited
 *             RELAY_PROGRESS     byte counts of sessions on slot N, shown
 *                                by gssocksctl sessions, trusted for nothing
 *             RELAY_CHANNEL_MADE the relay's answer to RELAY_MAKE_CHANNEL:
 *                                its end for authproc, passed on by
 *                                channels.c (unasked: a violation)
 *
 * A RELAY_REQUEST for a session the master issued but has dropped since
 * (authproc died, a timeout) is answered REP 01; one for an id never
 * issued, or owned by another slot, gets the relay killed.
 *
 * Because authproc sends AUTH_OK before it hands the session to the relay,
 * a relay message about a session still AUTHENTICATING makes the master
 * drain the authproc channel before it judges the message.
 */
#ifndef GSSOCKS_MASTER_IPC_DISPATCH_H
#define GSSOCKS_MASTER_IPC_DISPATCH_H

#include <stdint.h>

struct child;

/* epoll callback for a child's channel; ctx is the struct child. */
void dispatch_channel_event(int fd, uint32_t events, void *ctx);

/* Read and handle every message waiting on the child's channel. */
void dispatch_drain(struct child *c);

/*
 * authproc is being killed (not for a violation): handle the AUTH_OK and
 * AUTH_FAIL it had already queued, nothing else, so a session it handed
 * to a relay is not lost.  No-op for relays.
 */
void dispatch_last_words(struct child *c);

#endif
