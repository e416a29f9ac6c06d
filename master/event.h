/*
 * event.h - the master's one epoll loop: fd readiness and the clock.
 *
 * Trust zone: master.  Every fd the master watches (listeners, client
 * sockets during the greeting, child channels, c-ares sockets, outbound
 * connects, the signalfd) is registered here with a callback.
 *
 * Design: registrations live in a table indexed by fd and carry a
 * generation number that is also stored in the epoll event, so an event
 * that was already fetched for an fd that a previous callback of the same
 * batch closed (and perhaps reused) is recognised as stale and dropped.
 * Timers are not kept here: the loop runs a sweep callback at least once
 * a second and whenever the caller's next deadline passes.
 */
#ifndef GSSOCKS_MASTER_EVENT_H
#define GSSOCKS_MASTER_EVENT_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*event_fn)(int fd, uint32_t events, void *ctx);

/* Create the epoll instance.  Returns 0 or -1 (errno). */
int event_init(void);

/* Watch fd for `events` (EPOLLIN, EPOLLOUT...).  0 or -1 (errno). */
int event_add(int fd, uint32_t events, event_fn fn, void *ctx);
/* Change the watched events of a registered fd.  0 or -1 (errno). */
int event_modify(int fd, uint32_t events);
/* Forget fd (call before closing it).  Unknown fds are ignored. */
void event_remove(int fd);

/*
 * Wait at most timeout_ms (-1: forever) and run the callbacks of the ready
 * fds.  Returns the number of callbacks run, or -1 on an epoll error other
 * than EINTR.
 */
int event_run_once(int timeout_ms);

#endif
