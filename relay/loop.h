/*
 * loop.h - the relay worker's one epoll loop: what it watches and the
 * state the session code shares with it.
 *
 * Trust zone: relay worker.
 *
 * Design: level-triggered epoll.  Every watched fd has a struct watch whose
 * `events` mirrors what is registered; interest 0 means "not in the epoll
 * set at all", so a peer that hung up cannot make a level-triggered loop
 * spin on EPOLLHUP while its session waits for the other side.  Sessions
 * that end during a batch of events are parked on a dead list and freed
 * after the batch, since a later event of the same batch may name them.
 */
#ifndef GSSOCKS_RELAY_LOOP_H
#define GSSOCKS_RELAY_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay.h"

enum watch_kind {
	WATCH_MASTER, WATCH_AUTHPROC, WATCH_CLIENT, WATCH_TARGET,
	WATCH_UDP,              /* a UDP association's socket (owner: session) */
	WATCH_UDP_DEST,         /* a destination's connected socket (owner: session) */
};

struct watch {
	enum watch_kind kind;
	int fd;                 /* -1 when closed */
	uint32_t events;        /* registered interest, 0 = not registered */
	void *owner;            /* struct relay_session or authproc channel */
};

#define SESSION_BUCKETS 1024u

struct relay_session;
struct authproc_channel;

struct relay_loop {
	const struct relay_config *cfg;
	int epfd;
	int master_fd;
	bool master_gone;               /* no SESSION_END to send any more */
	uint64_t now_ms;                /* CLOCK_MONOTONIC, once per wakeup */
	struct relay_session *sessions; /* every live session */
	struct relay_session *buckets[SESSION_BUCKETS];  /* by session id */
	struct relay_session *dead;     /* ended this batch, freed after it */
	size_t session_count;
	struct authproc_channel *channels;
	struct authproc_channel *dead_channels;
	uint64_t orphaned_at_ms;        /* last authproc channel ended (EOF) with
	                                   sessions live; 0: not orphaned */
};

void watch_init(struct watch *w, enum watch_kind kind, int fd, void *owner);

/*
 * Make the registered interest of w equal to events (EPOLLIN/EPOLLOUT):
 * add, modify or remove it from the epoll set.  The fd stays open.
 * Returns 0, or -1 with errno set (e.g. an fd epoll cannot watch).
 */
int watch_interest(struct relay_loop *loop, struct watch *w, uint32_t events);

#endif
