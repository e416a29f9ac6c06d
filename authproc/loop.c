/*
 * loop.c - authproc's one epoll loop: master channel, relay channels,
 * client handshakes, the timeout sweep.
 *
 * Trust zone: authproc.  fd 3 is the master channel: it brings client
 * sockets (IPC_AUTH_CLIENT), relay channels (IPC_AUTH_RELAY_CHANNEL,
 * each taken only when a relay made it: channel_check.c; otherwise
 * refused with a log line, and authproc goes on), level answers,
 * cancelled handshakes (IPC_AUTH_CANCEL) and the watchdog's PING
 * (answered with PONG at once); ipc_recv() refuses anything else.  A
 * message the master should never
 * send is fatal (the master respawns us); EOF means the master is gone and
 * we exit quietly.  Relay channels are write-only from this side: any
 * input or hang-up on one drops it, and sessions for that slot fail until
 * the master sends a new channel.
 *
 * Design: level-triggered epoll, data.ptr names a struct whose first member
 * is a struct event_tag.  Objects closed while a batch of events is being
 * handled are freed after the batch.  Timeouts are a sweep once a second
 * (epoll_wait waits at most that long).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/util.h"
#include "handshake.h"

#define LOOP_MAX_EVENTS 64
#define LOOP_SWEEP_MS 1000

/* Received master messages are large (IPC_MAX_PAYLOAD): one, not on the stack. */
static struct ipc_msg master_msg;

struct relay_channel *loop_relay_channel(struct authproc *ap, uint32_t slot)
{
	if (slot >= AUTHPROC_MAX_SLOTS)
		return NULL;
	return ap->slots[slot];
}

void loop_drop_relay_channel(struct authproc *ap, struct relay_channel *ch,
			     const char *why)
{
	if (ch->fd < 0)
		return;
	log_info("relay slot %u (generation %u): channel dropped: %s",
		 (unsigned)ch->slot, (unsigned)ch->generation, why);
	(void)epoll_ctl(ap->epfd, EPOLL_CTL_DEL, ch->fd, NULL);
	close_fd(&ch->fd);
	if (ap->slots[ch->slot] == ch)
		ap->slots[ch->slot] = NULL;
	ch->next_dead = ap->dead_channels;
	ap->dead_channels = ch;
}

int loop_watch_client(struct authproc *ap, struct auth_client *c, bool want_write)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = want_write ? EPOLLOUT : (EPOLLIN | EPOLLRDHUP);
	ev.data.ptr = c;
	return epoll_ctl(ap->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void relay_channel_install(struct authproc *ap,
				  const struct ipc_auth_relay_channel *m, int fd)
{
	struct relay_channel *ch;
	struct channel_peer peer;
	struct epoll_event ev;
	const char *why;

	if (m->relay_slot >= AUTHPROC_MAX_SLOTS) {
		close(fd);
		fatal("master sent a channel for relay slot %u (at most %u slots)",
		      (unsigned)m->relay_slot, AUTHPROC_MAX_SLOTS);
	}
	/*
	 * Not a relay's pair (a master that made one itself would read every
	 * context sent on it): refused and closed, and the slot keeps the
	 * channel it had.  Not fatal: the master could otherwise stop
	 * authproc at will with it, and authproc does not trust its word.
	 */
	if (channel_check(fd, &ap->trust, &peer, &why) < 0) {
		log_warn("relay slot %u (generation %u): channel refused: %s "
			 "(maker pid %ld uid %ld; master pid %ld, relay uid %lu)",
			 (unsigned)m->relay_slot, (unsigned)m->generation, why, (long)peer.pid,
			 peer.uid == (uid_t)-1 ? -1L : (long)peer.uid, (long)ap->trust.master_pid,
			 (unsigned long)ap->trust.relay_uid);
		close(fd);
		return;
	}
	if (fd_set_nonblock(fd) < 0 || fd_set_cloexec(fd, true) < 0)
		fatal("relay slot %u: cannot set up the channel: %s",
		      (unsigned)m->relay_slot, strerror(errno));
	ch = calloc(1, sizeof(*ch));
	if (ch == NULL)
		fatal("out of memory");
	ch->tag.kind = EVENT_RELAY_CHANNEL;
	ch->fd = fd;
	ch->slot = m->relay_slot;
	ch->generation = m->generation;

	/* Nothing is ever read here: EPOLLIN means a broken relay or EOF. */
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP;
	ev.data.ptr = ch;
	if (epoll_ctl(ap->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		fatal("relay slot %u: epoll_ctl: %s", (unsigned)ch->slot, strerror(errno));

	if (ap->slots[ch->slot] != NULL)
		loop_drop_relay_channel(ap, ap->slots[ch->slot], "replaced by a new channel");
	ap->slots[ch->slot] = ch;
	log_debug("relay slot %u (generation %u): channel ready",
		  (unsigned)ch->slot, (unsigned)ch->generation);
	handshake_relay_ready(ap, ch->slot);
}

static void relay_channel_event(struct authproc *ap, struct relay_channel *ch,
				uint32_t events)
{
	if (ch->fd < 0)
		return;
	if (events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR))
		loop_drop_relay_channel(ap, ch, "relay closed it");
	else
		loop_drop_relay_channel(ap, ch, "relay wrote to a write-only channel");
}

/* One message from the master, already checked against our table. */
static void master_message(struct authproc *ap, struct ipc_msg *msg)
{
	struct ipc_auth_client client;
	struct ipc_auth_relay_channel channel;
	int fd = msg->fd;

	msg->fd = -1;
	switch (msg->type) {
	case IPC_AUTH_CLIENT:
		if (ipc_decode_auth_client(msg, &client) < 0) {
			close_fd(&fd);
			fatal("master sent a malformed IPC_AUTH_CLIENT");
		}
		handshake_start(ap, &client, fd);
		return;
	case IPC_AUTH_LEVEL_ANSWER: {
		struct ipc_auth_level_answer answer;

		close_fd(&fd);
		if (ipc_decode_auth_level_answer(msg, &answer) < 0)
			fatal("master sent a malformed IPC_AUTH_LEVEL_ANSWER");
		handshake_level_answer(ap, &answer);
		return;
	}
	case IPC_AUTH_CANCEL: {
		struct ipc_auth_cancel cancel;

		close_fd(&fd);
		if (ipc_decode_auth_cancel(msg, &cancel) < 0)
			fatal("master sent a malformed IPC_AUTH_CANCEL");
		handshake_cancel(ap, cancel.session_id);
		return;
	}
	case IPC_PING: {
		struct ipc_ping ping;

		/* The master's watchdog; every step of this loop is short (a
		 * gss_accept_sec_context with the keytab in memory is CPU
		 * work of milliseconds), so the answer comes at once. */
		close_fd(&fd);
		if (ipc_decode_ping(msg, &ping) < 0)
			fatal("master sent a malformed IPC_PING");
		if (ipc_send_pong(ap->master_fd, ping.seq) < 0)
			fatal("master channel: sending PONG: %s", strerror(errno));
		return;
	}
	case IPC_AUTH_RELAY_CHANNEL:
		if (ipc_decode_relay_channel(msg, &channel) < 0) {
			close_fd(&fd);
			fatal("master sent a malformed IPC_AUTH_RELAY_CHANNEL");
		}
		relay_channel_install(ap, &channel, fd);
		return;
	default:
		close_fd(&fd);
		bug("ipc_recv let %s through on the master channel",
		    ipc_type_name(msg->type));
	}
}

/* Drain the master channel. */
static void master_readable(struct authproc *ap)
{
	for (;;) {
		int rc = ipc_recv(ap->master_fd, IPC_CHAN_AUTHPROC_FROM_MASTER, &master_msg);

		if (rc == 0) {
			log_info("master closed the channel; exiting");
			exit(0);
		}
		if (rc < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			if (errno == ECONNRESET) {
				log_info("master channel reset; exiting");
				exit(0);
			}
			if (errno == EPROTO)
				fatal("protocol violation on the master channel");
			fatal("master channel: %s", strerror(errno));
		}
		master_message(ap, &master_msg);
	}
}

static void loop_free_closed(struct authproc *ap)
{
	handshake_free_closed(ap);
	while (ap->dead_channels != NULL) {
		struct relay_channel *ch = ap->dead_channels;

		ap->dead_channels = ch->next_dead;
		free(ch);
	}
}

void loop_run(struct authproc *ap)
{
	struct epoll_event events[LOOP_MAX_EVENTS];
	struct epoll_event ev;
	uint64_t next_sweep;

	ap->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ap->epfd < 0)
		fatal("epoll_create1: %s", strerror(errno));
	if (fd_set_nonblock(ap->master_fd) < 0 || fd_set_cloexec(ap->master_fd, true) < 0)
		fatal("master channel (fd %d): %s", ap->master_fd, strerror(errno));
	ap->master_tag.kind = EVENT_MASTER;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = &ap->master_tag;
	if (epoll_ctl(ap->epfd, EPOLL_CTL_ADD, ap->master_fd, &ev) < 0)
		fatal("epoll_ctl on the master channel: %s", strerror(errno));

	next_sweep = monotonic_ms() + LOOP_SWEEP_MS;
	for (;;) {
		int n = epoll_wait(ap->epfd, events, LOOP_MAX_EVENTS, LOOP_SWEEP_MS);
		uint64_t now;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fatal("epoll_wait: %s", strerror(errno));
		}
		for (int i = 0; i < n; i++) {
			struct event_tag *tag = events[i].data.ptr;

			switch (tag->kind) {
			case EVENT_MASTER:
				master_readable(ap);
				break;
			case EVENT_RELAY_CHANNEL:
				relay_channel_event(ap, (struct relay_channel *)tag,
						    events[i].events);
				break;
			case EVENT_CLIENT:
				handshake_event(ap, (struct auth_client *)tag,
						events[i].events);
				break;
			}
		}
		now = monotonic_ms();
		if (now >= next_sweep) {
			handshake_sweep(ap, now);
			next_sweep = now + LOOP_SWEEP_MS;
		}
		loop_free_closed(ap);
	}
}
