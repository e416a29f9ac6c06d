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

static void channels_ask(struct child *relay, const struct child *authproc)
{
	struct ipc_auth_relay_channel m;

	memset(&m, 0, sizeof(m));
	m.relay_slot = relay->slot;
	m.generation = relay->generation;
	m.authproc_slot = authproc->slot;
	if (ipc_send_relay_channel(relay->channel, IPC_RELAY_MAKE_CHANNEL, &m, -1) < 0) {
		log_err("channels: asking relay slot %u for a channel: %m", relay->slot);
		child_kill(relay, "cannot ask for its authproc channel");
		return;
	}
	relay->channels_asked[authproc->slot]++;
}

void channels_on_spawn(struct child *c)
{
	if (c->role == CHILD_RELAY) {
		memset(c->channels_asked, 0, sizeof(c->channels_asked));
		memset(c->channel_authproc, 0, sizeof(c->channel_authproc));
		for (unsigned w = 0; w < child_authproc_count() && child_usable(c); w++) {
			const struct child *authproc = child_authproc(w);

			if (child_usable(authproc))
				channels_ask(c, authproc);
		}
		return;
	}
	for (unsigned slot = 0; slot < child_relay_count() && child_usable(c); slot++) {
		struct child *relay = child_relay(slot);

		if (child_usable(relay))
			channels_ask(relay, c);
	}
}

const char *channels_on_made(struct child *relay, struct ipc_msg *msg)
{
	struct child *authproc;
	struct ipc_auth_relay_channel m;
	int fd = msg->fd;

	msg->fd = -1;
	if (ipc_decode_relay_channel(msg, &m) < 0 || fd < 0) {
		close_fd(&fd);
		return "malformed RELAY_CHANNEL_MADE";
	}
	if (m.authproc_slot >= child_authproc_count() ||
	    relay->channels_asked[m.authproc_slot] == 0) {
		close_fd(&fd);
		return "a channel nobody asked for";
	}
	if (m.relay_slot != relay->slot || m.generation != relay->generation) {
		close_fd(&fd);
		return "a channel for another slot or generation";
	}
	relay->channels_asked[m.authproc_slot]--;
	authproc = child_authproc(m.authproc_slot);
	if (relay->pid <= 0 || !child_usable(authproc)) {
		/* The relay died (its last words are being read) or authproc
		 * did: the next authproc asks again. */
		log_debug("channels: slot=%u: no authproc %u to take the channel", relay->slot,
			  m.authproc_slot);
		close_fd(&fd);
		return NULL;
	}
	if (ipc_send_relay_channel(authproc->channel, IPC_AUTH_RELAY_CHANNEL, &m, fd) < 0) {
		log_err("channels: passing the channel of slot %u to authproc %u: %m",
			relay->slot, m.authproc_slot);
		close_fd(&fd);
		child_kill(authproc, "cannot take a relay channel");
		return NULL;
	}
	relay->channel_authproc[m.authproc_slot] = authproc->generation;
	log_debug("channels: slot=%u generation=%u authproc=%u pid=%d relay pid=%d",
		  relay->slot, relay->generation, m.authproc_slot, (int)authproc->pid,
		  (int)relay->pid);
	/* The master keeps no copy. */
	close_fd(&fd);
	return NULL;
}

static bool channel_ready(const struct child *relay, const struct child *authproc)
{
	return child_usable(relay) && child_usable(authproc) &&
	       relay->channel_authproc[authproc->slot] != 0 &&
	       relay->channel_authproc[authproc->slot] == authproc->generation;
}

void channels_usable_slots(const struct child *authproc, bool *usable, unsigned count)
{
	/* On its way counts: a relay answers as soon as it runs, and
	 * authproc holds a session whose slot has no channel yet until the
	 * channel comes (authproc/handshake.c, CLIENT_RELAY_WAIT). */
	for (unsigned slot = 0; slot < count; slot++) {
		const struct child *relay = child_relay(slot);

		usable[slot] = channel_ready(relay, authproc) ||
			       (child_usable(relay) && child_usable(authproc) &&
				relay->channels_asked[authproc->slot] > 0);
	}
}
