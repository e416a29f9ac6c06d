/*
 * channels.c - asking relays for authproc channels and passing them on;
 * see channels.h.
 *
 * Trust zone: master.  The master never creates an authproc <-> relay
 * channel and never keeps a descriptor of one: the end a relay sends up is
 * closed here right after it was passed to authproc (or at once when
 * authproc cannot take it).
 */
#include <errno.h>
#include <string.h>

#include "../ipc/ipc.h"
#include "channels.h"
#include "log.h"
#include "spawn.h"
#include "util.h"

static void channels_ask(struct child *relay)
{
	struct ipc_auth_relay_channel m;

	memset(&m, 0, sizeof(m));
	m.relay_slot = relay->slot;
	m.generation = relay->generation;
	if (ipc_send_relay_channel(relay->channel, IPC_RELAY_MAKE_CHANNEL, &m, -1) < 0) {
		log_err("channels: asking relay slot %u for a channel: %m", relay->slot);
		child_kill(relay, "cannot ask for its authproc channel");
		return;
	}
	relay->channels_asked++;
}

void channels_on_spawn(struct child *c)
{
	struct child *authproc = child_authproc();

	if (c->role == CHILD_RELAY) {
		c->channels_asked = 0;
		c->channel_authproc = 0;
	}
	if (!child_usable(authproc))
		return;
	if (c->role == CHILD_RELAY) {
		channels_ask(c);
		return;
	}
	for (unsigned slot = 0; slot < child_relay_count(); slot++) {
		struct child *relay = child_relay(slot);

		if (child_usable(relay))
			channels_ask(relay);
	}
}

const char *channels_on_made(struct child *relay, struct ipc_msg *msg)
{
	struct child *authproc = child_authproc();
	struct ipc_auth_relay_channel m;
	int fd = msg->fd;

	msg->fd = -1;
	if (ipc_decode_relay_channel(msg, &m) < 0 || fd < 0) {
		close_fd(&fd);
		return "malformed RELAY_CHANNEL_MADE";
	}
	if (relay->channels_asked == 0) {
		close_fd(&fd);
		return "a channel nobody asked for";
	}
	if (m.relay_slot != relay->slot || m.generation != relay->generation) {
		close_fd(&fd);
		return "a channel for another slot or generation";
	}
	relay->channels_asked--;
	if (relay->pid <= 0 || !child_usable(authproc)) {
		/* The relay died (its last words are being read) or authproc
		 * did: the next authproc asks again. */
		log_debug("channels: slot=%u: no authproc to take the channel", relay->slot);
		close_fd(&fd);
		return NULL;
	}
	if (ipc_send_relay_channel(authproc->channel, IPC_AUTH_RELAY_CHANNEL, &m, fd) < 0) {
		log_err("channels: passing the channel of slot %u to authproc: %m", relay->slot);
		close_fd(&fd);
		child_kill(authproc, "cannot take a relay channel");
		return NULL;
	}
	relay->channel_authproc = authproc->generation;
	log_debug("channels: slot=%u generation=%u authproc pid=%d relay pid=%d",
		  relay->slot, relay->generation, (int)authproc->pid, (int)relay->pid);
	/* The master keeps no copy. */
	close_fd(&fd);
	return NULL;
}

static bool channel_ready(const struct child *relay, const struct child *authproc)
{
	return child_usable(relay) && child_usable(authproc) &&
	       relay->channel_authproc != 0 && relay->channel_authproc == authproc->generation;
}

void channels_usable_slots(bool *usable, unsigned count)
{
	const struct child *authproc = child_authproc();

	/* On its way counts: a relay answers as soon as it runs, and
	 * authproc holds a session whose slot has no channel yet until the
	 * channel comes (authproc/handshake.c, CLIENT_RELAY_WAIT). */
	for (unsigned slot = 0; slot < count; slot++) {
		const struct child *relay = child_relay(slot);

		usable[slot] = channel_ready(relay, authproc) ||
			       (child_usable(relay) && relay->channels_asked > 0);
	}
}
