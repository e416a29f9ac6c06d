/*
 * channels.h - the direct authproc <-> relay channels: one between each
 * authproc worker and each relay.
 *
 * Trust zone: master.  Exported GSS contexts travel on these channels and
 * the master must never be able to read them, not even when it is
 * compromised (invariant 1).  So the master does not make them: it asks a
 * relay for one (IPC_RELAY_MAKE_CHANNEL, no fd); the relay makes a
 * SOCK_SEQPACKET socketpair, keeps one end and sends the other up
 * (IPC_RELAY_CHANNEL_MADE); the master passes that end on to authproc
 * (IPC_AUTH_RELAY_CHANNEL) and closes its copy.  Holding authproc's end
 * lets nobody read what authproc writes into it: that reaches the relay's
 * end only.  authproc in turn accepts a channel only when its peer
 * credentials are a relay's (authproc/channel_check.c), so a pair the
 * master made itself is refused.
 *
 * Design: a channel is asked for whenever either side is (re)born: after
 * a relay spawn, that relay is asked for one per authproc worker (each
 * authproc replaces the slot's old channel); after an authproc spawn,
 * every running relay is asked for one to that worker.  The request names
 * the authproc worker and the relay answers with the slot, generation and
 * worker it was asked for; an answer nobody asked for, or for another slot
 * or generation, is a violation.  A side that cannot take its message is
 * killed (and respawned).  A relay holds a channel to every authproc
 * worker (relay/loop.c keeps a list), so N authprocs and R relays make
 * N x R channels.  New sessions handed to an authproc go to relay slots
 * whose channel has reached that authproc or is on its way
 * (channels_usable_slots); not to a slot whose channel was lost (authproc
 * refused it, say).
 */
#ifndef GSSOCKS_MASTER_CHANNELS_H
#define GSSOCKS_MASTER_CHANNELS_H

#include <stdbool.h>

struct child;
struct ipc_msg;

/* Called by spawn.c once a child runs and its master channel is watched. */
void channels_on_spawn(struct child *c);

/*
 * IPC_RELAY_CHANNEL_MADE from `relay` (ipc_recv checked type and fd rule):
 * pass the end on to authproc, or close it.  Takes msg->fd in every case.
 * Returns NULL, or the reason for a violation (the caller kills the relay).
 */
const char *channels_on_made(struct child *relay, struct ipc_msg *msg);

/*
 * Which of the first `count` relay slots may take a new session from
 * `authproc` (a running worker): those whose channel has been handed to
 * it, or has been asked for and is on its way.
 */
void channels_usable_slots(const struct child *authproc, bool *usable, unsigned count);

#endif
