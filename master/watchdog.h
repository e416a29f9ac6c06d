/*
 * watchdog.h - the master notices a child that stopped answering.
 *
 * Trust zone: master.  A child that is alive but stalled (SIGSTOP, a
 * deadlock, a loop that never returns to epoll) holds its sessions or
 * queues every new handshake behind it without ever dying, so the reaper
 * (spawn.c) never sees it.  The watchdog pings authproc and each relay
 * over its IPC channel (IPC_PING, master -> child, IPC_PONG back with the
 * same sequence number); a child that leaves a ping unanswered for
 * child-timeout seconds (gssocksd.conf(5); 0: off) is killed through
 * child_kill() (pidfd, via its spawner) and respawned like any dead child,
 * with an audit record `event=child-stalled` and a daemon line naming it.
 *
 * Design: one ping outstanding per child, sent child-timeout/2 (at most
 * every second) after the last answer; until a child answered its first
 * ping it has WATCHDOG_STARTUP_GRACE_MS (start-up: keytab, sandbox, a slow
 * sanitizer build) or child-timeout, whichever is longer.  A PONG whose
 * sequence number is not the outstanding one (late, or never asked) is
 * ignored: it proves nothing and costs nothing.  The state lives in each
 * struct child; the master loop calls watchdog_tick() and waits no longer
 * than watchdog_next_due().
 */
#ifndef GSSOCKS_MASTER_WATCHDOG_H
#define GSSOCKS_MASTER_WATCHDOG_H

#include <stdbool.h>
#include <stdint.h>

struct child;
struct ipc_msg;

struct watchdog_state {
	uint32_t seq;            /* of the last ping sent */
	uint64_t sent_ms;        /* when the outstanding ping left; 0: none */
	uint64_t next_ms;        /* when the next ping is due */
	bool answered;           /* answered a ping since it was spawned */
};

/* A child was (re)started now: no ping outstanding, the first one due soon. */
void watchdog_reset(struct watchdog_state *w, uint64_t now_ms);

/* Send the pings that are due; kill children whose ping went unanswered. */
void watchdog_tick(uint64_t now_ms);

/* The earliest time watchdog_tick() has something to do, or 0 (off). */
uint64_t watchdog_next_due(void);

/* A PONG from c (type already checked).  0, or -1 when it does not decode. */
int watchdog_pong(struct child *c, const struct ipc_msg *msg);

#endif
