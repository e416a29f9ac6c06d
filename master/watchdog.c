/*
 * watchdog.c - pings authproc and the relays, kills the stalled; see
 * watchdog.h.
 *
 * Trust zone: master.  A PONG is as untrusted as any child message: it is
 * decoded by ipc/, and all it can do is postpone its own sender's deadline
 * (by answering, which is what a healthy child does anyway).
 */
#include <errno.h>
#include <stdio.h>
#include <syslog.h>

#include "../ipc/ipc.h"
#include "audit.h"
#include "log.h"
#include "master.h"
#include "spawn.h"
#include "util.h"
#include "watchdog.h"

#define WATCHDOG_INTERVAL_MAX_MS   1000u
#define WATCHDOG_STARTUP_GRACE_MS  30000u

static uint64_t timeout_ms(void)
{
	return (uint64_t)master_cfg->child_timeout * 1000u;
}

/* Half the timeout, at most a second: two chances to answer in time. */
static uint64_t interval_ms(void)
{
	uint64_t half = timeout_ms() / 2;

	return half < WATCHDOG_INTERVAL_MAX_MS ? half : WATCHDOG_INTERVAL_MAX_MS;
}

static uint64_t deadline_of(const struct watchdog_state *w)
{
	uint64_t limit = timeout_ms();

	if (!w->answered && limit < WATCHDOG_STARTUP_GRACE_MS)
		limit = WATCHDOG_STARTUP_GRACE_MS;
	return w->sent_ms + limit;
}

void watchdog_reset(struct watchdog_state *w, uint64_t now_ms)
{
	w->sent_ms = 0;
	w->answered = false;
	w->next_ms = now_ms + interval_ms();
}

static void stalled(struct child *c, uint64_t now_ms)
{
	const struct watchdog_state *w = &c->watchdog;
	char why[96];

	audit_record(LOG_WARNING, "event=child-stalled role=%s slot=%u pid=%d seq=%u "
		     "waited_ms=%llu timeout_s=%u action=kill", child_name(c), c->slot,
		     (int)c->pid, w->seq, (unsigned long long)(now_ms - w->sent_ms),
		     master_cfg->child_timeout);
	snprintf(why, sizeof(why), "no answer to the watchdog's ping within %llu ms",
		 (unsigned long long)(now_ms - w->sent_ms));
	/* Logs event=child ... action=kill; the reaper drops its sessions
	 * (a relay's end with resets: its sockets linger 0) and respawns it. */
	child_kill(c, why);
}

static void check(struct child *c, uint64_t now_ms)
{
	struct watchdog_state *w = &c->watchdog;

	if (!child_usable(c))
		return;
	if (w->sent_ms != 0) {
		if (now_ms >= deadline_of(w))
			stalled(c, now_ms);
		return;
	}
	if (now_ms < w->next_ms)
		return;
	w->seq++;
	w->sent_ms = now_ms;
	/* A full channel is a child that does not read: the deadline runs
	 * as if the ping were queued. */
	if (ipc_send_ping(c->channel, w->seq) < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		child_kill(c, "cannot send the watchdog's ping");
}

void watchdog_tick(uint64_t now_ms)
{
	if (master_cfg->child_timeout == 0 || master_stopping())
		return;
	for (unsigned i = 0; i < child_authproc_count(); i++)
		check(child_authproc(i), now_ms);
	for (unsigned i = 0; i < child_relay_count(); i++)
		check(child_relay(i), now_ms);
}

static uint64_t due_of(const struct child *c, uint64_t next)
{
	uint64_t at;

	if (!child_usable(c))
		return next;
	at = c->watchdog.sent_ms != 0 ? deadline_of(&c->watchdog) : c->watchdog.next_ms;
	return next == 0 || at < next ? at : next;
}

uint64_t watchdog_next_due(void)
{
	uint64_t next = 0;

	if (master_cfg->child_timeout == 0 || master_stopping())
		return 0;
	for (unsigned i = 0; i < child_authproc_count(); i++)
		next = due_of(child_authproc(i), next);
	for (unsigned i = 0; i < child_relay_count(); i++)
		next = due_of(child_relay(i), next);
	return next;
}

int watchdog_pong(struct child *c, const struct ipc_msg *msg)
{
	struct watchdog_state *w = &c->watchdog;
	struct ipc_ping p;

	if (ipc_decode_pong(msg, &p) < 0)
		return -1;
	if (w->sent_ms == 0 || p.seq != w->seq) {
		log_debug("%s slot=%u pid=%d: PONG %u ignored (outstanding: %s%u)",
			  child_name(c), c->slot, (int)c->pid, p.seq,
			  w->sent_ms == 0 ? "none, last " : "", w->seq);
		return 0;
	}
	w->sent_ms = 0;
	w->answered = true;
	w->next_ms = monotonic_ms() + interval_ms();
	return 0;
}
