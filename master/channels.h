/*
 * channels.h - the direct authproc <-> relay channels.
 *
 * Trust zone: master.  The master creates each channel (a SOCK_SEQPACKET
 * socketpair), hands one end to authproc (IPC_AUTH_RELAY_CHANNEL) and the
 * other to a relay (IPC_RELAY_AUTH_CHANNEL), and closes both of its copies
 * at once: exported GSS contexts travel on these channels and the master
 * must never be able to read them (invariant 1).
 *
 * Design: a pair is made for a relay slot whenever either side is (re)born:
 * after a relay spawn, one pair for that slot (authproc replaces the old
 * channel of the slot); after an authproc spawn, one pair per running relay.
 * A side that cannot take its end is killed (and respawned).
 */
#ifndef GSSOCKS_MASTER_CHANNELS_H
#define GSSOCKS_MASTER_CHANNELS_H

struct child;

/* Called by spawn.c once a child runs and its master channel is watched. */
void channels_on_spawn(struct child *c);

#endif
