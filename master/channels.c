/*
 * channels.c - authproc <-> relay socketpairs; see channels.h.
 *
 * Trust zone: master.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../ipc/ipc.h"
#include "channels.h"
#include "log.h"
#include "spawn.h"
#include "util.h"

static void channels_pair(struct child *authproc, struct child *relay)
{
	struct ipc_auth_relay_channel m;
	int pair[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
		log_err("channels: socketpair for relay slot %u: %m", relay->slot);
		child_kill(relay, "no channel to authproc");
		return;
	}
	memset(&m, 0, sizeof(m));
	m.relay_slot = relay->slot;
	m.generation = relay->generation;
	if (ipc_send_relay_channel(relay->channel, IPC_RELAY_AUTH_CHANNEL, &m, pair[1]) < 0) {
		log_err("channels: sending channel to relay slot %u: %m", relay->slot);
		child_kill(relay, "cannot take its authproc channel");
	} else if (ipc_send_relay_channel(authproc->channel, IPC_AUTH_RELAY_CHANNEL, &m,
					  pair[0]) < 0) {
		log_err("channels: sending channel for slot %u to authproc: %m", relay->slot);
		child_kill(authproc, "cannot take a relay channel");
	} else {
		log_debug("channels: slot=%u generation=%u authproc pid=%d relay pid=%d",
			  relay->slot, relay->generation, (int)authproc->pid, (int)relay->pid);
	}
	/* The master keeps neither end. */
	close_fd(&pair[0]);
	close_fd(&pair[1]);
}

void channels_on_spawn(struct child *c)
{
	struct child *authproc = child_authproc();

	if (!child_usable(authproc))
		return;
	if (c->role == CHILD_RELAY) {
		channels_pair(authproc, c);
		return;
	}
	for (unsigned slot = 0; slot < child_relay_count(); slot++) {
		struct child *relay = child_relay(slot);
		if (child_usable(relay))
			channels_pair(authproc, relay);
		if (!child_usable(authproc))
			return;
	}
}
